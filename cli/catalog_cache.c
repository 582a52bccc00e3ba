/* jianductl: the cached catalog behind shell completion. */
#include "catalog_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_FILE "catalog.json"

/* $XDG_CACHE_HOME/jianductl, or ~/.cache/jianductl; NULL without either. */
static char *cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir = NULL;

	if (xdg && *xdg == '/') {
		if (asprintf(&dir, "%s/jianductl", xdg) < 0)
			return NULL;
	} else if (home && *home == '/') {
		if (asprintf(&dir, "%s/.cache/jianductl", home) < 0)
			return NULL;
	}
	return dir;
}

/* dir and its parent (~/.cache may not exist yet), private. */
static int make_dirs(const char *dir)
{
	char *parent = strdup(dir), *slash;
	int rc = -1;

	if (!parent)
		return -1;
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0700) < 0 && errno != EEXIST)
			goto out;
	}
	rc = mkdir(dir, 0700) < 0 && errno != EEXIST ? -1 : 0;
out:
	free(parent);
	return rc;
}

void catalog_cache_save(json_t *root)
{
	char *dir = cache_dir(), *tmp = NULL, *path = NULL;
	int fd = -1;

	if (!dir || make_dirs(dir) < 0 || asprintf(&path, "%s/" CACHE_FILE, dir) < 0 ||
	    asprintf(&tmp, "%s/.catalog.XXXXXX", dir) < 0) {
		tmp = NULL;
		goto out;
	}
	/* a completion reading it meanwhile sees the old file or the new one */
	if ((fd = mkstemp(tmp)) < 0)
		goto out;
	if (json_dumpfd(root, fd, JSON_COMPACT) != 0 || close(fd) != 0) {
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		unlink(tmp);
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(path);
	free(dir);
}

int catalog_cache_load(struct catalog *cat)
{
	char *dir = cache_dir(), *path = NULL;
	json_t *root = NULL;
	int rc = -1;

	if (dir && asprintf(&path, "%s/" CACHE_FILE, dir) >= 0)
		root = json_load_file(path, 0, NULL);
	else
		path = NULL;
	if (root)
		rc = catalog_parse(root, cat) == 0 ? 0 : -1;
	free(path);
	free(dir);
	return rc;
}
