/*
 * The report's organization section (pure): its figures declared as a
 * plugin's would be, and their values from the org report
 * (org/org_report.h) of the tenant, or from the sums of the organization's
 * history (org/org_history.h, jd_org_history_sum), which have the same shape.
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
/* The figure with key "org.centralized_tenants" gets "of": the counties. */
int jd_report_org_decorate(json_t *figure, const json_t *report);

#endif
