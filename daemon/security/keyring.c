/*
 * The keyring file: parsed with inih from a copy held in sodium_malloc
 * memory, every key decoded through a stack buffer that is wiped, and kept
 * in one locked region that is read-only once loaded.
 */
#include "security/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <sodium.h>

#include <jiandu/plugin.h>

#include "runtime/files.h"

#define KEYRING_FORMAT "1"
#define MAX_VERSIONS   JD_KEYRING_MAX_VERSIONS
#define MAX_VERSION    2147483648u /* 2^31 */
#define MAX_FILE_BYTES 65536	   /* 64 versions take about 4 KiB */
#define DECODE_MAX     192	   /* what a 256-character value decodes to, at most */

/* Everything lives in the sodium_malloc'd region: sizeof is a multiple of the
 * struct's alignment, so the end-of-page placement keeps it aligned. */
struct jd_keyring {
	unsigned char master[MAX_VERSIONS][JD_MASTER_KEY_BYTES];
	unsigned char sign_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned version[MAX_VERSIONS]; /* ascending */
	size_t n;
	unsigned active;
};

struct load_state {
	struct jd_keyring *k;
	const char *pos, *end; /* the unread part of the file text */
	int line;	       /* the line inih is processing */
	int fail_line;	       /* first failure, 0 while none */
	char reason[200];
	int seen_format, seen_active, seen_sign, seen_verify;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int fail(struct load_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Remembers only the first failure: inih keeps calling after a handler error. */
static int fail(struct load_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->fail_line != 0)
		return 0;
	st->fail_line = st->line;
	va_start(ap, fmt);
	vsnprintf(st->reason, sizeof st->reason, fmt, ap);
	va_end(ap);
	return 0;
}

/* A version number: decimal, no sign or leading zero, 1..2^31. */
static int parse_version(const char *s, unsigned *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] < '1' || s[0] > '9')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > MAX_VERSION)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/*
 * Decodes value (base64, original variant, padded, nothing ignored) into
 * dst of exactly len bytes.  The stack copy is wiped on every path.  The
 * value itself is never echoed: it is key material.
 */
static int decode_key(struct load_state *st, const char *name, const char *value,
		      unsigned char *dst, size_t len)
{
	unsigned char buf[DECODE_MAX];
	size_t got = 0, vlen = strlen(value);
	int rc;

	/* libsodium's errno cannot tell a short buffer from missing padding, so
	 * decode into room for any value of this length and check the length after */
	if ((vlen + 3) / 4 * 3 > sizeof buf)
		return fail(st, "%s: wrong length (%zu characters), expected %zu bytes", name, vlen,
			    len);
	if (sodium_base642bin(buf, sizeof buf, value, vlen, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		rc = fail(st, "%s: not valid base64", name);
	else if (got != len)
		rc = fail(st, "%s: wrong length (%zu bytes), expected %zu", name, got, len);
	else {
		memcpy(dst, buf, len);
		rc = 1;
	}
	sodium_memzero(buf, sizeof buf);
	return rc;
}

static int find_version(const struct jd_keyring *k, unsigned v, size_t *at)
{
	size_t i;

	for (i = 0; i < k->n && k->version[i] < v; i++)
		;
	*at = i;
	return i < k->n && k->version[i] == v;
}

/* master.N: inserted in order so the versions stay ascending. */
static int on_master(struct load_state *st, const char *name, const char *value)
{
	struct jd_keyring *k = st->k;
	unsigned v;
	size_t at;

	if (parse_version(name + strlen("master."), &v) != 0)
		return fail(st, "'%s': a master version is 1..%u", name, MAX_VERSION);
	if (find_version(k, v, &at))
		return fail(st, "duplicate '%s'", name);
	if (k->n == MAX_VERSIONS)
		return fail(st, "more than %d master versions", MAX_VERSIONS);
	memmove(k->master[at + 1], k->master[at], (k->n - at) * sizeof k->master[0]);
	memmove(&k->version[at + 1], &k->version[at], (k->n - at) * sizeof k->version[0]);
	k->version[at] = v;
	k->n++;
	return decode_key(st, name, value, k->master[at], JD_MASTER_KEY_BYTES);
}

static int once(struct load_state *st, int *seen, const char *name)
{
	if (*seen)
		return fail(st, "duplicate '%s'", name);
	*seen = 1;
	return 1;
}

static int on_keyring_entry(struct load_state *st, const char *name, const char *value)
{
	if (strncmp(name, "master.", strlen("master.")) == 0)
		return on_master(st, name, value);
	if (strcmp(name, "format") == 0) {
		if (!once(st, &st->seen_format, name))
			return 0;
		if (strcmp(value, KEYRING_FORMAT) != 0)
			return fail(st, "unknown keyring format (this jiandud reads format %s)",
				    KEYRING_FORMAT);
		return 1;
	}
	if (strcmp(name, "active") == 0) {
		if (!once(st, &st->seen_active, name))
			return 0;
		if (parse_version(value, &st->k->active) != 0)
			return fail(st, "'active': a master version is 1..%u", MAX_VERSION);
		return 1;
	}
	if (strcmp(name, "audit_sign") == 0)
		return once(st, &st->seen_sign, name) &&
		       decode_key(st, name, value, st->k->sign_sk, sizeof st->k->sign_sk);
	if (strcmp(name, "audit_verify") == 0)
		return once(st, &st->seen_verify, name) &&
		       decode_key(st, name, value, st->k->sign_pk, sizeof st->k->sign_pk);
	return fail(st, "unknown key '%s' in [keyring]", name);
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;

	if (st->fail_line != 0)
		return 0;
	if (section[0] == '\0')
		return fail(st, "key '%s' before [keyring]", name);
	if (strcmp(section, "keyring") != 0)
		return fail(st, "unknown key '%s' in [%s]", name, section);
	return on_keyring_entry(st, name, value);
}

/*
 * An fgets-style reader over the in-memory text that counts lines, so the
 * handler knows its line (inih's own count is only returned at the end).
 * A line too long for inih's buffer is refused rather than split in two.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct load_state *st = stream;
	const char *nl;
	size_t len;

	if (st->pos >= st->end || num < 2)
		return NULL;
	nl = memchr(st->pos, '\n', (size_t)(st->end - st->pos));
	len = nl != NULL ? (size_t)(nl - st->pos) + 1 : (size_t)(st->end - st->pos);
	st->line++;
	if (len > (size_t)num - 1) {
		fail(st, "line longer than %d bytes", num - 1);
		str[0] = '\0';
	} else {
		memcpy(str, st->pos, len);
		str[len] = '\0';
	}
	st->pos += len;
	return str;
}

/*
 * inih copies every line, keys included, into a buffer on its own stack.
 * Once it has returned, overwrite that part of the stack (best effort: it
 * covers inih's frames, which are far smaller than this).
 */
static __attribute__((noinline)) void scrub_stack(void)
{
	unsigned char area[16384];

	sodium_memzero(area, sizeof area);
}

static int check_mode(const char *path, const struct stat *sb, char *err, size_t errlen)
{
	if (!S_ISREG(sb->st_mode)) {
		set_err(err, errlen, "%s: not a regular file", path);
		return JD_E_INVALID;
	}
	if (sb->st_mode & (S_IRWXG | S_IRWXO)) {
		set_err(err, errlen,
			"%s is readable or writable by group or others (mode %04o); "
			"run: chmod 600 %s",
			path, (unsigned)(sb->st_mode & 07777), path);
		return JD_E_INVALID;
	}
	if (sb->st_size > MAX_FILE_BYTES) {
		set_err(err, errlen, "%s: larger than %d bytes", path, MAX_FILE_BYTES);
		return JD_E_INVALID;
	}
	return JD_OK;
}

static int read_all(int fd, char *buf, size_t size, size_t *got)
{
	ssize_t n;

	*got = 0;
	while (*got < size) {
		n = read(fd, buf + *got, size - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/*
 * Reads the file into sodium_malloc'd memory (not a stdio buffer, which
 * would be freed unwiped).  The mode is checked on the descriptor that is
 * read, so the file cannot be swapped between the check and the read.
 */
static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	int fd, rc = JD_ERR;

	*text = NULL;
	fd =
	    open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO must not block us */
	if (fd < 0) {
		int e = errno;

		set_err(err, errlen, "%s: cannot open: %s", path, strerror(e));
		return e == ENOENT ? JD_E_NOTFOUND : JD_ERR;
	}
	if (fstat(fd, &sb) != 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if ((rc = check_mode(path, &sb, err, errlen)) != JD_OK)
		goto cleanup;
	*text = sodium_malloc((size_t)sb.st_size + 1);
	if (*text == NULL) {
		set_err(err, errlen, "%s: cannot allocate secure memory", path);
		rc = JD_E_NOMEM;
		goto cleanup;
	}
	if (read_all(fd, *text, (size_t)sb.st_size, len) != 0) {
		set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		rc = JD_ERR;
		goto cleanup;
	}
	(*text)[*len] = '\0';
	rc = JD_OK;
cleanup:
	if (rc != JD_OK) {
		sodium_free(*text);
		*text = NULL;
	}
	close(fd);
	return rc;
}

static int parse(struct load_state *st, const char *text, size_t len, const char *path, char *err,
		 size_t errlen)
{
	int line;

	if (jd_text_printable(path, text, len, err, errlen) != JD_OK)
		return JD_E_INVALID;
	st->pos = text;
	st->end = text + len;
	line = ini_parse_stream(read_line, st, on_ini_entry, st);
	scrub_stack();
	if (line == -2) {
		set_err(err, errlen, "%s: out of memory", path);
		return JD_E_NOMEM;
	}
	if (line < 0) {
		set_err(err, errlen, "%s: parser error %d", path, line);
		return JD_ERR;
	}
	/* inih reports the first bad line: ours, or a syntax error before it */
	if (line > 0 && (st->fail_line == 0 || line < st->fail_line)) {
		set_err(err, errlen, "%s:%d: syntax error", path, line);
		return JD_E_INVALID;
	}
	if (st->fail_line != 0) {
		set_err(err, errlen, "%s:%d: %s", path, st->fail_line, st->reason);
		return JD_E_INVALID;
	}
	return JD_OK;
}

/* The signing key must be whole: its seed gives both halves, and those match audit_verify. */
static int check_sign_pair(const struct jd_keyring *k)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	int ok;

	ok = crypto_sign_ed25519_sk_to_seed(seed, k->sign_sk) == 0 &&
	     crypto_sign_seed_keypair(pk, sk, seed) == 0 &&
	     sodium_memcmp(sk, k->sign_sk, sizeof sk) == 0 &&
	     crypto_sign_ed25519_sk_to_pk(pk, k->sign_sk) == 0 &&
	     sodium_memcmp(pk, k->sign_pk, sizeof pk) == 0;
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	return ok ? 0 : -1;
}

static int check_complete(const struct load_state *st, unsigned min_version, char *reason,
			  size_t len)
{
	const struct jd_keyring *k = st->k;
	size_t at;

	if (!st->seen_format)
		snprintf(reason, len, "no 'format' in [keyring]");
	else if (k->n == 0)
		snprintf(reason, len, "no master key (master.1 = ...)");
	else if (!st->seen_active)
		snprintf(reason, len, "no 'active' master version");
	else if (!find_version(k, k->active, &at))
		snprintf(reason, len, "active version %u has no master.%u", k->active, k->active);
	else if (k->version[0] < min_version)
		snprintf(reason, len,
			 "master.%u is below the minimum version %u: rewrap what it protects, "
			 "then remove it",
			 k->version[0], min_version);
	else if (!st->seen_sign || !st->seen_verify)
		snprintf(reason, len, "no '%s'", st->seen_sign ? "audit_verify" : "audit_sign");
	else if (check_sign_pair(k) != 0)
		snprintf(reason, len, "audit_verify is not the public half of audit_sign");
	else
		return JD_OK;
	return JD_E_INVALID;
}

static int build(struct load_state *st, const char *path, unsigned min_version, char *err,
		 size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = read_file(path, &text, &len, err, errlen)) != JD_OK)
		return rc;
	rc = parse(st, text, len, path, err, errlen);
	sodium_free(text);
	if (rc != JD_OK)
		return rc;
	rc = check_complete(st, min_version, st->reason, sizeof st->reason);
	if (rc != JD_OK)
		set_err(err, errlen, "%s: %s", path, st->reason);
	return rc;
}

int jd_keyring_load(const char *path, unsigned min_version, struct jd_keyring **out, char *err,
		    size_t errlen)
{
	struct load_state st;
	int rc;

	memset(&st, 0, sizeof st);
	if (out == NULL || path == NULL) {
		set_err(err, errlen, "keyring: no path");
		return JD_E_INVALID;
	}
	*out = NULL;
	if (sodium_init() < 0) {
		set_err(err, errlen, "%s: cannot initialise libsodium", path);
		return JD_ERR;
	}
	st.k = sodium_malloc(sizeof *st.k);
	if (st.k == NULL) {
		set_err(err, errlen, "%s: cannot allocate secure memory", path);
		return JD_E_NOMEM;
	}
	memset(st.k, 0, sizeof *st.k);
	rc = build(&st, path, min_version, err, errlen);
	if (rc == JD_OK && sodium_mprotect_readonly(st.k) != 0) {
		set_err(err, errlen, "%s: cannot make the keys read-only: %s", path,
			strerror(errno));
		rc = JD_ERR;
	}
	if (rc != JD_OK) {
		sodium_free(st.k);
		return rc;
	}
	*out = st.k;
	return JD_OK;
}

/* sodium_free makes the region writable again, wipes it and unlocks it. */
void jd_keyring_free(struct jd_keyring *k)
{
	sodium_free(k);
}

unsigned jd_keyring_active(const struct jd_keyring *k)
{
	return k->active;
}

const unsigned char *jd_keyring_master(const struct jd_keyring *k, unsigned version)
{
	size_t at;

	return find_version(k, version, &at) ? k->master[at] : NULL;
}

size_t jd_keyring_versions(const struct jd_keyring *k, unsigned *out, size_t max)
{
	size_t i;

	for (i = 0; i < k->n && i < max; i++)
		out[i] = k->version[i];
	return i;
}

const unsigned char *jd_keyring_sign_sk(const struct jd_keyring *k)
{
	return k->sign_sk;
}

const unsigned char *jd_keyring_sign_pk(const struct jd_keyring *k)
{
	return k->sign_pk;
}
