/*
 * jianductl backup and restore: copying files whole and checked, and the
 * backup's manifest (MANIFEST.json, and SHA256SUMS for `sha256sum -c`).
 */
#ifndef JDCTL_ARCHIVE_H
#define JDCTL_ARCHIVE_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl.h"

#define ARCHIVE_ALL	 SIZE_MAX
#define ARCHIVE_MANIFEST "MANIFEST.json"

/*
 * Copies the first `limit` bytes of src (ARCHIVE_ALL: all) to dst, a new
 * file with exactly `mode` (fails if dst exists), synced.
 */
int archive_copy(const char *src, const char *dst, mode_t mode, size_t limit, struct ctl_err *err);
/* Bytes up to and including the last newline of path: a log being appended is cut there. */
int archive_whole_lines(const char *path, size_t *len, struct ctl_err *err);
/* Copies src over dst atomically (a temporary beside dst, then rename). */
int archive_replace(const char *src, const char *dst, mode_t mode, struct ctl_err *err);

/* Appends {path, size, sha256} of root/rel to the manifest's "files". */
int archive_add(json_t *manifest, const char *root, const char *rel, struct ctl_err *err);
/* Writes root/MANIFEST.json and root/SHA256SUMS (0600). */
int archive_write_manifest(const char *root, json_t *manifest, struct ctl_err *err);
/*
 * Reads root/MANIFEST.json and checks every file's size and checksum;
 * CTL_FAIL naming the first that differs.  *out: the manifest.
 */
int archive_verify(const char *root, json_t **out, struct ctl_err *err);
/* The manifest lists rel. */
int archive_has(const json_t *manifest, const char *rel);

#endif
