/*
 * jianductl: creating files and directories as one undoable step.  Every
 * path created through an fs_tx is remembered; fs_tx_rollback removes them
 * all (newest first), fs_tx_release keeps them.
 */
#ifndef JDCTL_FILES_H
#define JDCTL_FILES_H

#include <stddef.h>
#include <sys/types.h>

#include "ctl.h"

struct fs_entry {
	char *path;
	int is_dir;
	mode_t mode;
	const char *what; /* a static description, for the report */
};

struct fs_tx {
	struct fs_entry *v;
	size_t n, cap;
};

/* mkdir with exactly `mode`; fails if the path exists. */
int fs_mkdir(struct fs_tx *tx, const char *path, mode_t mode, const char *what,
	     struct ctl_err *err);
/* A new file (O_EXCL, no symlink followed) with exactly `mode`, written and synced. */
int fs_create(struct fs_tx *tx, const char *path, mode_t mode, const void *data, size_t len,
	      const char *what, struct ctl_err *err);
/* Writes all of p (again after EINTR and short writes); 0, or -1 with errno. */
int fs_write_all(int fd, const char *p, size_t len);
void fs_tx_rollback(struct fs_tx *tx);
void fs_tx_release(struct fs_tx *tx);

#endif
