/*
 * jianductl org report --tenant T [--json | --csv]: the daemon's org report
 * (GET /v1/org/report, daemon/org/org_report.h) as aligned tables for a
 * human, as JSON, or as CSV.  The route is in the daemon's catalog like
 * any other; this command takes it over because a report has sections a
 * generic rendering cannot show, and a CSV form.
 */
#ifndef JDCTL_ORG_REPORT_H
#define JDCTL_ORG_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "ctl.h"

#define ORG_REPORT_COMMAND "org report"

/* A command of the table (ctl.h): argv[0] is "report". */
int cmd_org_report(struct ctl *ctl, const struct command *self, int argc, char **argv);

/* The report for a human: the summary lines, then a table per section. 0, or -1. */
int org_report_print(FILE *f, const json_t *report);
/*
 * The report as CSV: one table per section (summary, county, breach,
 * group_kind, and group for a county), separated by an empty line; each
 * starts with its header row, and every row's first cell is the
 * section's name ("section" in the header).  0, or -1.
 */
int org_report_csv(FILE *f, const json_t *report);

#endif
