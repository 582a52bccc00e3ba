/*
 * GET /v1/report (docs/report.md): the leaders' report of a county, city
 * or province over a date range, year on year: the organization section
 * (the org report's figures, org/org_report.h) and the section of every
 * plugin that declared one (report_hooks.h), each figure with its
 * definition, growth, and small counts suppressed for viewers; by=month
 * and by=tenant add each month's or county's values.  Built from
 * counters and the organization, never from records.
 */
#ifndef JD_REPORT_H
#define JD_REPORT_H

#include <stddef.h>

struct jd_server;

int jd_report_register(struct jd_server *srv, char *err, size_t errlen);

#endif
