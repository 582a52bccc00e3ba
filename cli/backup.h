/*
 * jianductl backup DIR and restore DIR: an instance's data copied while it
 * serves (a Redis snapshot streamed by redis-cli --rdb, the audit checkpoint
 * and anchor files, the configuration; the keyring only with --with-keys),
 * with a manifest of checksums; restored into a stopped, fresh instance.
 * Run them where the instance lives (docs/operations.md, "Backup").
 */
#ifndef JDCTL_BACKUP_H
#define JDCTL_BACKUP_H

#include "ctl.h"

#define BACKUP_USAGE  "DIR [--instance DIR] [--with-keys]"
#define RESTORE_USAGE "DIR [--instance DIR] [--keyring FILE] [--force]"

/* The audit files of data_dir a backup carries (NULL ends). */
extern const char *const backup_audit_files[];

int cmd_backup(struct ctl *ctl, const struct command *self, int argc, char **argv);
int cmd_restore(struct ctl *ctl, const struct command *self, int argc, char **argv);

#endif
