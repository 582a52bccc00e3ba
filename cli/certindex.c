/* jianductl certs: the index of issued certificates (tls/issued.json). */
#include "certindex.h"
#include "files.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX_NAME "issued.json"

static char *join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

int certindex_lock(const char *tlsdir, int *fd, struct ctl_err *err)
{
	*fd = open(tlsdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return ctl_fail(err, CTL_FAIL, "%s: %s", tlsdir, strerror(errno));
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		close(*fd);
		*fd = -1;
		return ctl_fail(err, CTL_FAIL, "cannot lock %s: %s", tlsdir, strerror(errno));
	}
	return CTL_OK;
}

void certindex_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the lock */
}

/* ---- times and serials ---------------------------------------------------- */

void certindex_time_fmt(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}

int certindex_time_parse(const char *s, time_t *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	if (end == NULL || *end != '\0')
		return -1;
	*t = timegm(&tm);
	return 0;
}

static int asn1_time(const ASN1_TIME *a, char *buf, size_t len)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	certindex_time_fmt(timegm(&tm), buf, len);
	return 0;
}

char *certindex_serial_norm(const char *s)
{
	BIGNUM *bn = NULL;
	char *hex, *out;
	size_t n = strlen(s);

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return NULL;
	if (*s == '\0' || strlen(s) > 64 || BN_hex2bn(&bn, s) == 0)
		return NULL;
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (hex == NULL)
		return NULL;
	for (char *p = hex; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	out = strdup(hex[0] == '0' && hex[1] ? hex + 1 : hex);
	OPENSSL_free(hex);
	return out;
}

char *certindex_cert_serial(X509 *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL, *out;

	BN_free(bn);
	if (hex == NULL)
		return NULL;
	out = certindex_serial_norm(hex);
	OPENSSL_free(hex);
	return out;
}

/* ---- entries -------------------------------------------------------------- */

static char *name_entry(X509_NAME *name, int nid)
{
	char buf[256];

	if (X509_NAME_get_text_by_NID(name, nid, buf, sizeof buf) < 0)
		return NULL;
	return strdup(buf);
}

static char *subject_line(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, X509_get_subject_name(cert), 0,
			       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(b, &data)) >= 0)
		out = strndup(data, (size_t)len);
	BIO_free(b);
	return out;
}

json_t *certindex_entry(X509 *cert, const char *path)
{
	X509_NAME *name = X509_get_subject_name(cert);
	char *serial = certindex_cert_serial(cert), *cn = name_entry(name, NID_commonName);
	char *ou = name_entry(name, NID_organizationalUnitName), *subject = subject_line(cert);
	char nb[32], na[32];
	json_t *e = NULL;

	if (serial && cn && subject && asn1_time(X509_get0_notBefore(cert), nb, sizeof nb) == 0 &&
	    asn1_time(X509_get0_notAfter(cert), na, sizeof na) == 0)
		e = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s}", "serial", serial, "user",
			      cn, "role", ou, "subject", subject, "not_before", nb, "not_after", na,
			      "status", "valid", "cert", path);
	free(serial);
	free(cn);
	free(ou);
	free(subject);
	return e;
}

int certindex_is_revoked(const json_t *entry)
{
	const char *s = json_string_value(json_object_get(entry, "status"));

	return s != NULL && strcmp(s, "revoked") == 0;
}

const char *certindex_status(const json_t *entry, time_t now)
{
	time_t na;

	if (certindex_is_revoked(entry))
		return "revoked";
	if (certindex_time_parse(json_string_value(json_object_get(entry, "not_after")), &na) ==
		0 &&
	    na < now)
		return "expired";
	return "valid";
}

/* ---- reading and writing -------------------------------------------------- */

/* The index of an instance that has none yet: the admin certificate from init. */
static int seed_index(const char *tlsdir, json_t **index, struct ctl_err *err)
{
	char *rel = join(tlsdir, "admin.crt"), *path = rel ? realpath(rel, NULL) : NULL;
	FILE *f = path ? fopen(path, "re") : NULL;
	X509 *admin = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	json_t *e = admin ? certindex_entry(admin, path) : NULL;
	int rc = CTL_OK;

	*index = json_array();
	if (*index == NULL || rel == NULL || (admin && e == NULL) ||
	    (e && json_array_append(*index, e) < 0))
		rc = ctl_fail(err, CTL_FAIL, "out of memory");
	json_decref(e);
	X509_free(admin);
	if (f)
		fclose(f);
	free(path);
	free(rel);
	return rc;
}

static int entries_valid(const json_t *index)
{
	size_t i;
	json_t *e;

	json_array_foreach(index, i, e)
	{
		if (!json_is_object(e) || !json_is_string(json_object_get(e, "serial")) ||
		    !json_is_string(json_object_get(e, "user")) ||
		    !json_is_string(json_object_get(e, "status")))
			return 0;
	}
	return 1;
}

int certindex_load(const char *tlsdir, json_t **index, struct ctl_err *err)
{
	char *path = join(tlsdir, INDEX_NAME);
	json_error_t je;
	int rc = CTL_OK;

	*index = NULL;
	if (path == NULL)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		free(path);
		return seed_index(tlsdir, index, err);
	}
	*index = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (*index == NULL)
		rc = ctl_fail(err, CTL_FAIL, "%s:%d: %s", path, je.line, je.text);
	else if (!json_is_array(*index) || !entries_valid(*index))
		rc = ctl_fail(err, CTL_FAIL,
			      "%s: not an index of certificates (a JSON array of objects with "
			      "serial, user and status)",
			      path);
	if (rc != CTL_OK) {
		json_decref(*index);
		*index = NULL;
	}
	free(path);
	return rc;
}

int certindex_save(const char *tlsdir, const json_t *index, struct ctl_err *err)
{
	char *path = join(tlsdir, INDEX_NAME);
	char *text = json_dumps(index, JSON_INDENT(2));
	int rc;

	if (path == NULL || text == NULL)
		rc = ctl_fail(err, CTL_FAIL, "out of memory");
	else
		rc = certs_write_atomic(path, 0644, text, strlen(text), err);
	free(path);
	free(text);
	return rc;
}

/* ---- atomic replacement --------------------------------------------------- */

static int sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;

	if (copy == NULL)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int certs_write_atomic(const char *path, mode_t mode, const void *data, size_t len,
		       struct ctl_err *err)
{
	char *tmp = NULL;
	int fd = -1, rc = CTL_OK;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = ctl_fail(err, CTL_FAIL, "cannot create a file next to %s: %s", path,
			      strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 || fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		rc = ctl_fail(err, CTL_FAIL, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = ctl_fail(err, CTL_FAIL, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = ctl_fail(err, CTL_FAIL, "cannot replace %s: %s", path, strerror(errno));
		goto out;
	}
	if (sync_dir_of(path) < 0)
		rc = ctl_fail(err, CTL_FAIL, "cannot sync the directory of %s: %s", path,
			      strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc != CTL_OK && tmp != NULL)
		unlink(tmp); /* fails harmlessly once renamed */
	free(tmp);
	return rc;
}
