/* jianductl: files of a backup, copied and checksummed. */
#include "archive.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instance.h"

int archive_copy(const char *src, const char *dst, mode_t mode, size_t limit, struct ctl_err *err)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = CTL_FAIL;
	ssize_t n = 0;

	if (in < 0)
		return ctl_fail(err, CTL_FAIL, "cannot open %s: %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0) {
		ctl_fail(err, CTL_FAIL, "cannot create %s: %s", dst, strerror(errno));
		goto done;
	}
	while (limit > 0 && (n = read(in, buf, limit < sizeof buf ? limit : sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fs_write_all(out, buf, (size_t)n) < 0)
			break;
		limit -= limit == ARCHIVE_ALL ? 0 : (size_t)n;
	}
	if (n < 0 || (limit != ARCHIVE_ALL && limit > 0 && n == 0) || fchmod(out, mode) < 0 ||
	    fsync(out) < 0) {
		ctl_fail(err, CTL_FAIL, "cannot copy %s to %s: %s", src, dst,
			 n == 0 ? "it shrank while copied" : strerror(errno));
		goto done;
	}
	rc = CTL_OK;
done:
	if (out >= 0 && close(out) < 0 && rc == CTL_OK)
		rc = ctl_fail(err, CTL_FAIL, "cannot write %s: %s", dst, strerror(errno));
	if (rc != CTL_OK && out >= 0)
		unlink(dst);
	close(in);
	return rc;
}

int archive_whole_lines(const char *path, size_t *len, struct ctl_err *err)
{
	FILE *f = fopen(path, "re");
	size_t pos = 0;
	int c;

	if (!f)
		return ctl_fail(err, CTL_FAIL, "cannot open %s: %s", path, strerror(errno));
	*len = 0;
	while ((c = getc(f)) != EOF) {
		pos++;
		if (c == '\n')
			*len = pos;
	}
	fclose(f);
	return CTL_OK;
}

int archive_replace(const char *src, const char *dst, mode_t mode, struct ctl_err *err)
{
	char *tmp = NULL;
	int rc;

	if (asprintf(&tmp, "%s.restore-%ld", dst, (long)getpid()) < 0)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	rc = archive_copy(src, tmp, mode, ARCHIVE_ALL, err);
	if (rc == CTL_OK && rename(tmp, dst) < 0) {
		rc = ctl_fail(err, CTL_FAIL, "cannot replace %s: %s", dst, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* sha256 of path in hex (65 bytes), and its size. */
static int sha256_file(const char *path, char hex[65], off_t *size, struct ctl_err *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = CTL_FAIL;
	ssize_t n;

	*size = 0;
	if (fd < 0 || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		ctl_fail(err, CTL_FAIL, "cannot read %s: %s", path,
			 fd < 0 ? strerror(errno) : "no SHA-256");
		goto done;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || !EVP_DigestUpdate(ctx, buf, (size_t)n))
			break;
		*size += n;
	}
	if (n != 0 || !EVP_DigestFinal_ex(ctx, md, &mdlen)) {
		ctl_fail(err, CTL_FAIL, "cannot read %s: %s", path, strerror(errno));
		goto done;
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = CTL_OK;
done:
	EVP_MD_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}

int archive_add(json_t *manifest, const char *root, const char *rel, struct ctl_err *err)
{
	char hex[65], *path = instance_path(root, rel);
	off_t size;
	int rc;

	if (!path)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	rc = sha256_file(path, hex, &size, err);
	free(path);
	if (rc != CTL_OK)
		return rc;
	if (json_array_append_new(json_object_get(manifest, "files"),
				  json_pack("{s:s, s:I, s:s}", "path", rel, "size",
					    (json_int_t)size, "sha256", hex)) != 0)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	return CTL_OK;
}

static int write_sums(const char *root, json_t *files, struct ctl_err *err)
{
	char *path = instance_path(root, "SHA256SUMS");
	FILE *f = NULL;
	json_t *e;
	size_t i;
	int fd, rc = CTL_FAIL;

	if (!path)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ctl_fail(err, CTL_FAIL, "cannot create %s: %s", path, strerror(errno));
		goto done;
	}
	json_array_foreach(files, i, e)
	{
		fprintf(f, "%s  %s\n", json_string_value(json_object_get(e, "sha256")),
			json_string_value(json_object_get(e, "path")));
	}
	rc = fflush(f) == 0 && fsync(fd) == 0 ? CTL_OK
					      : ctl_fail(err, CTL_FAIL, "cannot write %s", path);
done:
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

int archive_write_manifest(const char *root, json_t *manifest, struct ctl_err *err)
{
	char *path = instance_path(root, ARCHIVE_MANIFEST);
	int fd, rc = CTL_FAIL;

	if (!path)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	if (write_sums(root, json_object_get(manifest, "files"), err) != CTL_OK)
		goto done;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ctl_fail(err, CTL_FAIL, "cannot create %s: %s", path, strerror(errno));
		goto done;
	}
	if (json_dumpfd(manifest, fd, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
	    fs_write_all(fd, "\n", 1) < 0 || fsync(fd) < 0)
		ctl_fail(err, CTL_FAIL, "cannot write %s: %s", path, strerror(errno));
	else
		rc = CTL_OK;
	if (close(fd) < 0 && rc == CTL_OK)
		rc = ctl_fail(err, CTL_FAIL, "cannot write %s: %s", path, strerror(errno));
done:
	free(path);
	return rc;
}

static int check_entry(const char *root, json_t *e, struct ctl_err *err)
{
	const char *rel = json_string_value(json_object_get(e, "path"));
	const char *want = json_string_value(json_object_get(e, "sha256"));
	json_t *size = json_object_get(e, "size");
	char hex[65], *path;
	off_t got;
	int rc;

	if (!rel || !want || !json_is_integer(size) || strstr(rel, "..") || rel[0] == '/')
		return ctl_fail(err, CTL_FAIL, "the manifest has a malformed entry");
	if (!(path = instance_path(root, rel)))
		return ctl_fail(err, CTL_FAIL, "out of memory");
	rc = sha256_file(path, hex, &got, err);
	free(path);
	if (rc != CTL_OK)
		return rc;
	if (got != (off_t)json_integer_value(size) || strcmp(hex, want) != 0)
		return ctl_fail(err, CTL_FAIL,
				"%s/%s does not match the manifest (size %lld, sha256 %.16s...): "
				"the backup is damaged",
				root, rel, (long long)got, hex);
	return CTL_OK;
}

int archive_verify(const char *root, json_t **out, struct ctl_err *err)
{
	char *path = instance_path(root, ARCHIVE_MANIFEST);
	json_error_t jerr;
	json_t *m, *files, *e;
	size_t i;

	if (!path)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	m = json_load_file(path, 0, &jerr);
	free(path);
	if (!m)
		return ctl_fail(err, CTL_USAGE, "%s: not a backup (no readable %s: %s)", root,
				ARCHIVE_MANIFEST, jerr.text);
	files = json_object_get(m, "files");
	if (!json_is_array(files) || json_integer_value(json_object_get(m, "format")) != 1) {
		json_decref(m);
		return ctl_fail(err, CTL_FAIL, "%s/%s: not a manifest of this version", root,
				ARCHIVE_MANIFEST);
	}
	json_array_foreach(files, i, e)
	{
		if (check_entry(root, e, err) != CTL_OK) {
			json_decref(m);
			return CTL_FAIL;
		}
	}
	*out = m;
	return CTL_OK;
}

int archive_has(const json_t *manifest, const char *rel)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(manifest, "files"), i, e)
	{
		const char *p = json_string_value(json_object_get(e, "path"));

		if (p && strcmp(p, rel) == 0)
			return 1;
	}
	return 0;
}
