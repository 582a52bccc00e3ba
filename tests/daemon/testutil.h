/* Helpers shared by the cmocka tests: temporary files and directories. */
#ifndef JD_TESTUTIL_H
#define JD_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a fresh file in a fresh directory; returns its path (static buffer). */
static inline const char *write_temp_file(const char *name, const char *text)
{
	static char path[256];
	char dir[] = "/tmp/jdtest.XXXXXX";
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

/* Like write_temp_file, for bytes (a NUL included); NULL on failure. */
static inline const char *write_temp_bytes(const char *name, const char *bytes, size_t len)
{
	const char *path = write_temp_file(name, "");
	FILE *f = path ? fopen(path, "wb") : NULL;
	int ok;

	if (f == NULL)
		return NULL;
	ok = fwrite(bytes, 1, len, f) == len;
	if (fclose(f) != 0 || !ok)
		return NULL;
	return path;
}

static inline void remove_temp_file(const char *path)
{
	char dir[256], *slash;

	if (path == NULL)
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	unlink(path);
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		rmdir(dir);
	}
}

#endif
