/* jianductl: files created as one step, removed again on failure. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prepares the next entry without counting it: fs_tx_keep counts it. */
static struct fs_entry *tx_prepare(struct fs_tx *tx, const char *path, int is_dir, mode_t mode,
				   const char *what)
{
	struct fs_entry *e;

	if (tx->n == tx->cap) {
		size_t cap = tx->cap ? tx->cap * 2 : 16;
		e = realloc(tx->v, cap * sizeof *e);
		if (!e)
			return NULL;
		tx->v = e;
		tx->cap = cap;
	}
	e = &tx->v[tx->n];
	e->path = strdup(path);
	if (!e->path)
		return NULL;
	e->is_dir = is_dir;
	e->mode = mode;
	e->what = what;
	return e;
}

static void tx_drop(struct fs_entry *e)
{
	free(e->path);
	e->path = NULL;
}

int fs_mkdir(struct fs_tx *tx, const char *path, mode_t mode, const char *what, struct ctl_err *err)
{
	struct fs_entry *e = tx_prepare(tx, path, 1, mode, what);

	if (!e)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	if (mkdir(path, mode) < 0) {
		tx_drop(e);
		return ctl_fail(err, CTL_FAIL, "cannot create directory %s: %s", path,
				strerror(errno));
	}
	tx->n++;
	if (chmod(path, mode) < 0)
		return ctl_fail(err, CTL_FAIL, "cannot set the mode of %s: %s", path,
				strerror(errno));
	return CTL_OK;
}

int fs_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_create(struct fs_tx *tx, const char *path, mode_t mode, const void *data, size_t len,
	      const char *what, struct ctl_err *err)
{
	struct fs_entry *e = tx_prepare(tx, path, 0, mode, what);
	int fd, saved;

	if (!e)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		tx_drop(e);
		return ctl_fail(err, CTL_FAIL, "cannot create %s: %s", path, strerror(errno));
	}
	tx->n++;
	if (fchmod(fd, mode) < 0 || fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		return ctl_fail(err, CTL_FAIL, "cannot write %s: %s", path, strerror(saved));
	}
	if (close(fd) < 0)
		return ctl_fail(err, CTL_FAIL, "cannot write %s: %s", path, strerror(errno));
	return CTL_OK;
}

void fs_tx_rollback(struct fs_tx *tx)
{
	while (tx->n > 0) {
		struct fs_entry *e = &tx->v[--tx->n];
		int rc = e->is_dir ? rmdir(e->path) : unlink(e->path);
		if (rc < 0)
			ctl_error(CTL_FAIL, "could not remove %s: %s", e->path, strerror(errno));
		free(e->path);
	}
	fs_tx_release(tx);
}

void fs_tx_release(struct fs_tx *tx)
{
	for (size_t i = 0; i < tx->n; i++)
		free(tx->v[i].path);
	free(tx->v);
	memset(tx, 0, sizeof *tx);
}
