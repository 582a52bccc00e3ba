/*
 * A report figure as JSON (pure): value and previous rounded by unit,
 * growth, suppression.  Shared by the organization section and the
 * plugins' sections.
 */
#ifndef JD_REPORT_FIGURES_H
#define JD_REPORT_FIGURES_H

#include <jansson.h>
#include <jiandu/plugin.h>

/*
 * How a figure is shown: compare (the previous year was read) and
 * suppress_below (0: nothing suppressed; otherwise a count figure whose
 * value or previous is 1 .. suppress_below - 1 shows neither).
 */
struct jd_report_view {
	int compare;
	unsigned suppress_below;
};

/*
 * {"key", "label", "label_zh", "unit", "value", "previous", "growth",
 * "suppressed", "definition"}: a new object, NULL when out of memory.
 */
json_t *jd_report_figure_json(const struct jd_report_figure *f, const struct jd_report_value *v,
			      const struct jd_report_view *view);

/* One entry of a figure's "by": {"key", "name"?, "value", "previous", "suppressed"}. */
json_t *jd_report_by_json(const char *key, const char *name, const struct jd_report_figure *f,
			  const struct jd_report_value *v, const struct jd_report_view *view);

/* value / previous - 1, rounded to 4 decimals; null when either is null or previous is 0. */
json_t *jd_report_growth(const struct jd_report_value *v);

#endif
