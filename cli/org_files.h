/*
 * jianductl org import / org export: a county's organization from and to
 * CSV files (daemon/org/org_import.h, daemon/org/org_export.h).
 *
 *   jianductl org import --tenant T FILE.csv [FILE.csv ...]
 *     reads the files (any names: each is known by its header row), sends
 *     them in one request, and prints every bad row as "FILE:LINE: reason"
 *     (nothing is imported then), or what was imported.
 *   jianductl org export --tenant T --dir D
 *     writes D/units.csv, D/people.csv, D/posts.csv and D/groups.csv (D is
 *     created if need be; an existing file is never overwritten).
 *
 * The routes are the daemon's (POST /v1/org/import, GET /v1/org/export)
 * without catalog commands: these two read and write files.
 */
#ifndef JDCTL_ORG_FILES_H
#define JDCTL_ORG_FILES_H

#include "ctl.h"

#define ORG_IMPORT_COMMAND "org import"
#define ORG_EXPORT_COMMAND "org export"

/* Commands of the table (ctl.h): argv[0] is "import" / "export". */
int cmd_org_import(struct ctl *ctl, const struct command *self, int argc, char **argv);
int cmd_org_export(struct ctl *ctl, const struct command *self, int argc, char **argv);

#endif
