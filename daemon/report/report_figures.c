/* A report figure as JSON (report_figures.h). */
#include "report/report_figures.h"

#include <string.h>

/* x rounded to `scale` (10^decimals), half away from zero, without libm. */
static double rounded(double x, double scale)
{
	double v = x * scale;
	long long q = (long long)(v >= 0 ? v + 0.5 : v - 0.5);

	return (double)q / scale;
}

static int is_count(const struct jd_report_figure *f)
{
	return strcmp(f->unit, "count") == 0;
}

static json_t *number(const struct jd_report_figure *f, int known, double x)
{
	if (!known)
		return json_null();
	if (is_count(f))
		return json_integer((json_int_t)rounded(x, 1));
	return json_real(rounded(x, 100));
}

json_t *jd_report_growth(const struct jd_report_value *v)
{
	if (!v->has_value || !v->has_previous || v->previous == 0)
		return json_null();
	return json_real(rounded(v->value / v->previous - 1, 10000));
}

static int small(double x, int known, unsigned below)
{
	return known && x >= 1 && x < (double)below;
}

/* A count figure with a small value or previous shows neither (a 1 names a person). */
static int suppressed(const struct jd_report_figure *f, const struct jd_report_value *v,
		      const struct jd_report_view *view)
{
	return view->suppress_below > 0 && is_count(f) &&
	       (small(v->value, v->has_value, view->suppress_below) ||
		(view->compare && small(v->previous, v->has_previous, view->suppress_below)));
}

/* value, previous (with compare), growth (with growth), suppressed into o. */
static int put_values(json_t *o, const struct jd_report_figure *f, const struct jd_report_value *v,
		      const struct jd_report_view *view, int growth)
{
	int hide = suppressed(f, v, view);

	if (json_object_set_new(o, "value", number(f, v->has_value && !hide, v->value)) != 0 ||
	    json_object_set_new(o, "suppressed", json_boolean(hide)) != 0)
		return -1;
	if (view->compare &&
	    json_object_set_new(o, "previous", number(f, v->has_previous && !hide, v->previous)) !=
		0)
		return -1;
	if (growth &&
	    json_object_set_new(o, "growth",
				view->compare && !hide ? jd_report_growth(v) : json_null()) != 0)
		return -1;
	return 0;
}

json_t *jd_report_figure_json(const struct jd_report_figure *f, const struct jd_report_value *v,
			      const struct jd_report_view *view)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", f->key, "label", f->label, "label_zh",
		      f->label_zh, "unit", f->unit, "definition", f->definition);

	if (o != NULL && put_values(o, f, v, view, 1) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *jd_report_by_json(const char *key, const char *name, const struct jd_report_figure *f,
			  const struct jd_report_value *v, const struct jd_report_view *view)
{
	json_t *o = json_pack("{s:s, s:s?}", "key", key, "name", name);

	if (o != NULL && put_values(o, f, v, view, 0) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
