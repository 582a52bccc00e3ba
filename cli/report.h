/*
 * jianductl report --tenant T --from D --to D [--compare previous-year|none]
 * [--by month|tenant] [--json | --csv]: the leaders' report (GET
 * /v1/report, docs/report.md).  The route is in the daemon's catalog; this
 * command takes it over because the answer's sections of figures need a
 * table of their own (one row per figure, a column per month or county
 * with --by), which the generic rendering cannot make.
 */
#ifndef JDCTL_REPORT_H
#define JDCTL_REPORT_H

#include "ctl.h"

#define REPORT_COMMAND "report"

int cmd_report(struct ctl *ctl, const struct command *self, int argc, char **argv);

#endif
