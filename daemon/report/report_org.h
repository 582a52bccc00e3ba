/*
 * The report's organization section (pure): its figures declared as a
 * plugin's would be, and their values from the org report
 * (org/org_report.h) of the tenant, or from one county's row of it.  The
 * organization is today's: these figures have no previous year.
 */
#ifndef JD_REPORT_ORG_H
#define JD_REPORT_ORG_H

#include <jansson.h>
#include <jiandu/plugin.h>

extern const struct jd_report_section jd_report_org_section;
/* How many figures it declares. */
size_t jd_report_org_count(void);

/* The values, in the declared order, from the whole org report. */
void jd_report_org_values(const json_t *report, struct jd_report_value *out);
/*
 * From one county's row (report "counties.list"): the values a county
 * has; has_value 0 for a figure a row does not carry.
 */
void jd_report_org_county_values(const json_t *row, struct jd_report_value *out);

/* The figure with key "org.centralized_tenants" gets "of": the counties. */
int jd_report_org_decorate(json_t *figure, const json_t *report);

#endif
