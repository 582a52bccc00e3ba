/*
 * jianductl keys rotate: adds master.<max+1> (32 random bytes) to the
 * instance's keyring and makes it active, atomically: the new text goes to
 * a temporary file (O_EXCL) in the same directory, is synced and renamed
 * over the keyring, and the directory is synced, all under an flock of the
 * instance directory.  The file keeps its permission bits (the daemon
 * refuses a keyring accessible by group or others, and says how to fix it).
 * Key material lives in sodium_malloc memory and is wiped.  Then the daemon
 * is asked to reload, which loads the new keyring.
 */
#include "keys.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "output.h"

#define MASTER_BYTES   32
#define B64	       sodium_base64_VARIANT_ORIGINAL
#define MAX_FILE_BYTES 65536 /* as the daemon reads */
#define MAX_VERSION    2147483648u

struct rotate {
	char *dir, *path, *tmp;
	struct client_conf conf;
	int have_conf;
	int lock, tmpfd;
	mode_t mode;
	char *text; /* sodium_malloc: the file as read */
	size_t len;
	char *out; /* sodium_malloc: the new file */
	size_t outlen;
	unsigned max, version;
};

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int parse_args(int argc, char **argv, const char **instance, struct ctl *ctl,
		      const struct command *self)
{
	for (int i = 1; i < argc; i++) {
		const char *v;
		int m;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			ctl_command_help(self, stdout);
			return CTL_OK;
		}
		m = ctl_output_arg(ctl, argc, argv, &i);
		if (m < 0)
			return CTL_USAGE;
		if (m > 0)
			continue;
		m = ctl_opt(argc, argv, &i, "--instance", &v);
		if (m < 0)
			return ctl_error(CTL_USAGE, "keys rotate: --instance needs a value");
		if (m == 0)
			return ctl_error(CTL_USAGE, "keys rotate: unknown argument '%s'", argv[i]);
		*instance = v;
	}
	return -1;
}

static int instance_open(const struct ctl *ctl, const char *given, struct rotate *r)
{
	struct ctl_err err = {0};
	struct stat st;

	r->have_conf = client_conf_load(ctl, &r->conf, &err) == CTL_OK;
	if (given != NULL)
		r->dir = strdup(given);
	else if (r->have_conf && r->conf.file != NULL)
		r->dir = dir_of(r->conf.file);
	else
		return ctl_error(CTL_USAGE,
				 "keys rotate: which instance? give --instance DIR, or -c with the "
				 "instance's jianductl.conf%s%s",
				 err.msg[0] ? ": " : "", err.msg);
	if (r->dir == NULL || asprintf(&r->path, "%s/keyring", r->dir) < 0 ||
	    asprintf(&r->tmp, "%s/.keyring.%ld.tmp", r->dir, (long)getpid()) < 0) {
		r->path = r->tmp = NULL;
		return ctl_error(CTL_FAIL, "out of memory");
	}
	if (stat(r->dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return ctl_error(CTL_FAIL, "keys rotate: %s is not a directory", r->dir);
	return CTL_OK;
}

static int lock_dir(struct rotate *r)
{
	r->lock = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->lock < 0)
		return ctl_error(CTL_FAIL, "keys rotate: %s: %s", r->dir, strerror(errno));
	while (flock(r->lock, LOCK_EX) < 0) {
		if (errno != EINTR)
			return ctl_error(CTL_FAIL, "keys rotate: cannot lock %s: %s", r->dir,
					 strerror(errno));
	}
	return CTL_OK;
}

static int read_keyring(struct rotate *r)
{
	struct stat st;
	ssize_t n;
	int fd, rc = CTL_FAIL;

	fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return ctl_error(CTL_FAIL, "keys rotate: %s: %s", r->path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE_BYTES) {
		ctl_error(CTL_FAIL,
			  "keys rotate: %s: not a keyring (not a regular file, or too "
			  "large)",
			  r->path);
		goto cleanup;
	}
	r->mode = st.st_mode & 0777;
	r->text = sodium_malloc((size_t)st.st_size + 1);
	if (r->text == NULL) {
		ctl_error(CTL_FAIL, "keys rotate: cannot allocate secure memory");
		goto cleanup;
	}
	while (r->len < (size_t)st.st_size) {
		n = read(fd, r->text + r->len, (size_t)st.st_size - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ctl_error(CTL_FAIL, "keys rotate: cannot read %s: %s", r->path,
				  n < 0 ? strerror(errno) : "short read");
			goto cleanup;
		}
		r->len += (size_t)n;
	}
	r->text[r->len] = '\0';
	rc = CTL_OK;
cleanup:
	close(fd);
	return rc;
}

/* "name = value" with optional spaces: the value, or NULL when the line is another key. */
static const char *value_of(const char *line, size_t len, const char *name, size_t *vlen)
{
	size_t i = 0, nlen = strlen(name);

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < nlen || memcmp(line + i, name, nlen) != 0)
		return NULL;
	i += nlen;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != '=')
		return NULL;
	i++;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*vlen = len - i;
	while (*vlen > 0 && (line[i + *vlen - 1] == '\r' || line[i + *vlen - 1] == ' '))
		(*vlen)--;
	return line + i;
}

/* The highest master.N; the daemon checks the rest when it loads the result. */
static int find_max(struct rotate *r)
{
	const char *p = r->text, *end = r->text + r->len;
	int seen_active = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t i = 0;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (len - i > 7 && memcmp(p + i, "master.", 7) == 0) {
			unsigned long v = strtoul(p + i + 7, NULL, 10);

			if (v == 0 || v >= MAX_VERSION)
				return ctl_error(CTL_FAIL, "keys rotate: %s: a bad master version",
						 r->path);
			if (v > r->max)
				r->max = (unsigned)v;
		} else {
			size_t vlen;

			if (value_of(p, len, "active", &vlen) != NULL)
				seen_active = 1;
		}
		p = nl ? nl + 1 : end;
	}
	if (r->max == 0 || !seen_active)
		return ctl_error(CTL_FAIL, "keys rotate: %s has no master key or no 'active' line",
				 r->path);
	r->version = r->max + 1;
	return CTL_OK;
}

/* The file again, with "active" set to the new version and master.<new> after the last line. */
static int render(struct rotate *r)
{
	unsigned char key[MASTER_BYTES];
	char b64[sodium_base64_ENCODED_LEN(MASTER_BYTES, B64)];
	const char *p = r->text, *end = r->text + r->len;
	size_t cap = r->len + 64 + sizeof(b64), o = 0;
	int n, rc = CTL_FAIL;

	r->out = sodium_malloc(cap);
	if (r->out == NULL)
		return ctl_error(CTL_FAIL, "keys rotate: cannot allocate secure memory");
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), B64);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), vlen;

		if (value_of(p, len, "active", &vlen) != NULL) {
			n = snprintf(r->out + o, cap - o, "active = %u\n", r->version);
			if (n < 0 || (size_t)n >= cap - o)
				goto cleanup;
			o += (size_t)n;
		} else {
			if (len + 1 > cap - o)
				goto cleanup;
			memcpy(r->out + o, p, len);
			o += len;
			r->out[o++] = '\n';
		}
		p = nl ? nl + 1 : end;
	}
	n = snprintf(r->out + o, cap - o, "master.%u = %s\n", r->version, b64);
	if (n < 0 || (size_t)n >= cap - o)
		goto cleanup;
	r->outlen = o + (size_t)n;
	rc = CTL_OK;
cleanup:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
	if (rc != CTL_OK)
		ctl_error(CTL_FAIL, "keys rotate: the new keyring does not fit");
	return rc;
}

static int replace_file(struct rotate *r)
{
	int dfd, rc = CTL_FAIL;

	r->tmpfd = open(r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (r->tmpfd < 0)
		return ctl_error(CTL_FAIL, "keys rotate: %s: %s", r->tmp, strerror(errno));
	if (fs_write_all(r->tmpfd, r->out, r->outlen) < 0 || fchmod(r->tmpfd, r->mode) < 0 ||
	    fsync(r->tmpfd) < 0) {
		ctl_error(CTL_FAIL, "keys rotate: cannot write %s: %s", r->tmp, strerror(errno));
		goto cleanup;
	}
	if (close(r->tmpfd) < 0) {
		r->tmpfd = -1;
		ctl_error(CTL_FAIL, "keys rotate: cannot write %s: %s", r->tmp, strerror(errno));
		goto cleanup;
	}
	r->tmpfd = -1;
	if (rename(r->tmp, r->path) < 0) {
		ctl_error(CTL_FAIL, "keys rotate: cannot replace %s: %s", r->path, strerror(errno));
		goto cleanup;
	}
	dfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		/* renamed: the new keyring is in place, only its durability is uncertain */
		ctl_error(CTL_OK, "warning: cannot sync %s: %s", r->dir, strerror(errno));
	}
	if (dfd >= 0)
		close(dfd);
	return CTL_OK;
cleanup:
	if (r->tmpfd >= 0)
		close(r->tmpfd);
	r->tmpfd = -1;
	unlink(r->tmp);
	return rc;
}

/* As certs revoke: unreachable is a warning, a refusal is a failure. */
static int reload_daemon(struct ctl *ctl, const struct rotate *r, int *reloaded, char *why,
			 size_t whylen)
{
	struct ctl_err err = {0};
	int rc;

	*reloaded = 0;
	if (!r->have_conf) {
		snprintf(why, whylen, "no client config");
		ctl_error(CTL_OK,
			  "warning: no client config, so the daemon was not asked to reload; "
			  "the new version is used from its next reload or start");
		return CTL_OK;
	}
	rc = ctl_post_reload(ctl, &err);
	*reloaded = rc == CTL_OK;
	if (*reloaded)
		return CTL_OK;
	snprintf(why, whylen, "%s", err.msg);
	if (rc == CTL_CONNECT) {
		ctl_error(CTL_OK,
			  "warning: the daemon is not reachable (%s); master.%u is used from its "
			  "next start or reload",
			  err.msg, r->version);
		return CTL_OK;
	}
	return ctl_error(CTL_FAIL,
			 "master.%u is in the keyring, but the daemon did not reload (%s); it "
			 "keeps wrapping new tenant keys under the old version until a reload "
			 "succeeds",
			 r->version, why);
}

static void rotate_free(struct rotate *r)
{
	if (r->have_conf)
		client_conf_free(&r->conf);
	if (r->lock >= 0)
		close(r->lock); /* releases the lock */
	if (r->tmpfd >= 0)
		close(r->tmpfd);
	sodium_free(r->text); /* wipes */
	sodium_free(r->out);
	free(r->dir);
	free(r->path);
	free(r->tmp);
}

int cmd_keys_rotate(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	struct rotate r;
	const char *instance = NULL;
	char why[1024] = "";
	int rc, reloaded = 0;

	memset(&r, 0, sizeof(r));
	r.lock = r.tmpfd = -1;
	rc = parse_args(argc, argv, &instance, ctl, self);
	if (rc >= 0)
		return rc;
	if (sodium_init() < 0)
		return ctl_error(CTL_FAIL, "cannot initialise libsodium");
	if ((rc = instance_open(ctl, instance, &r)) != CTL_OK || (rc = lock_dir(&r)) != CTL_OK ||
	    (rc = read_keyring(&r)) != CTL_OK || (rc = find_max(&r)) != CTL_OK ||
	    (rc = render(&r)) != CTL_OK || (rc = replace_file(&r)) != CTL_OK)
		goto cleanup;
	if (r.mode & 077)
		ctl_error(CTL_OK,
			  "warning: %s is accessible by group or others (mode %04o); jiandud "
			  "refuses it: chmod 600 %s",
			  r.path, (unsigned)r.mode, r.path);
	rc = reload_daemon(ctl, &r, &reloaded, why, sizeof(why));
	if (ctl->json) {
		json_t *j = json_pack("{s:I, s:I, s:b}", "version", (json_int_t)r.version, "active",
				      (json_int_t)r.version, "reloaded", reloaded);

		if (j == NULL || out_json(stdout, j) < 0)
			rc = ctl_error(CTL_FAIL, "cannot write the answer");
		json_decref(j);
	} else if (rc == CTL_OK) {
		printf("master key version %u added to %s and made active%s\n", r.version, r.path,
		       reloaded ? "; the daemon reloaded it" : "");
		printf("next: jianductl keys rewrap (re-wraps tenant keys; then keys status shows "
		       "what version %u still protects)\n",
		       r.max);
	}
cleanup:
	rotate_free(&r);
	return rc;
}
