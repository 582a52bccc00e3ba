/* jianductl certs: loading the instance CA; signing and writing its CRL. */
#include "crl.h"

#include <errno.h>
#include <stdint.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certindex.h"

static char *join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static int openssl_fail(struct ctl_err *err, const char *what, const char *path)
{
	char buf[256] = "unknown OpenSSL error";
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return ctl_fail(err, CTL_FAIL, "%s%s%s: %s", path ? path : "", path ? ": " : "", what, buf);
}

/* ---- the CA ---------------------------------------------------------------- */

static int read_pem(const char *tlsdir, const char *name, X509 **cert, EVP_PKEY **key,
		    struct ctl_err *err)
{
	char *path = join(tlsdir, name);
	FILE *f;
	int rc = CTL_OK;

	if (path == NULL)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	f = fopen(path, "re");
	if (f == NULL) {
		rc = ctl_fail(err, CTL_FAIL, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (cert != NULL)
		*cert = PEM_read_X509(f, NULL, NULL, NULL);
	else
		*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if ((cert != NULL && *cert == NULL) || (key != NULL && *key == NULL))
		rc = openssl_fail(err, cert ? "not a PEM certificate" : "not a PEM private key",
				  path);
out:
	free(path);
	return rc;
}

int ca_load(const char *tlsdir, X509 **ca, EVP_PKEY **key, struct ctl_err *err)
{
	int rc;

	*ca = NULL;
	if (key != NULL)
		*key = NULL;
	rc = read_pem(tlsdir, "ca.crt", ca, NULL, err);
	if (rc != CTL_OK || key == NULL)
		return rc;
	rc = read_pem(tlsdir, "ca.key", NULL, key, err);
	if (rc == CTL_OK && X509_check_private_key(*ca, *key) != 1)
		rc = openssl_fail(err, "ca.key does not match ca.crt", tlsdir);
	if (rc != CTL_OK) {
		X509_free(*ca);
		EVP_PKEY_free(*key);
		*ca = NULL;
		*key = NULL;
	}
	return rc;
}

/* ---- the CRL --------------------------------------------------------------- */

/* The number of the CRL now at path, 0 when there is none or it has none. */
static int64_t previous_number(const char *path)
{
	FILE *f = fopen(path, "re");
	X509_CRL *old = f ? PEM_read_X509_CRL(f, NULL, NULL, NULL) : NULL;
	ASN1_INTEGER *num = old ? X509_CRL_get_ext_d2i(old, NID_crl_number, NULL, NULL) : NULL;
	int64_t n = 0;

	if (num == NULL || ASN1_INTEGER_get_int64(&n, num) != 1 || n < 0)
		n = 0;
	ASN1_INTEGER_free(num);
	X509_CRL_free(old);
	if (f)
		fclose(f);
	ERR_clear_error();
	return n;
}

static int add_revoked(X509_CRL *crl, const json_t *entry)
{
	const char *hex = json_string_value(json_object_get(entry, "serial"));
	const char *when = json_string_value(json_object_get(entry, "revoked_at"));
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *date = NULL;
	BIGNUM *bn = NULL;
	time_t t;
	int ok = 0;

	if (r == NULL || hex == NULL || BN_hex2bn(&bn, hex) == 0)
		goto out;
	if (certindex_time_parse(when, &t) < 0)
		t = time(NULL);
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	date = ASN1_TIME_set(NULL, t);
	ok = serial && date && X509_REVOKED_set_serialNumber(r, serial) == 1 &&
	     X509_REVOKED_set_revocationDate(r, date) == 1 && X509_CRL_add0_revoked(crl, r) == 1;
out:
	if (!ok)
		X509_REVOKED_free(r);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(date);
	BN_free(bn);
	return ok;
}

static int add_all_revoked(X509_CRL *crl, const json_t *index, size_t *count)
{
	size_t i;
	json_t *e;

	*count = 0;
	json_array_foreach(index, i, e)
	{
		if (!certindex_is_revoked(e))
			continue;
		if (!add_revoked(crl, e))
			return 0;
		(*count)++;
	}
	return 1;
}

static int set_times(X509_CRL *crl)
{
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
	ASN1_TIME *next = X509_time_adj_ex(NULL, CRL_NEXT_UPDATE_DAYS, 0, NULL);
	int ok = now && next && X509_CRL_set1_lastUpdate(crl, now) == 1 &&
		 X509_CRL_set1_nextUpdate(crl, next) == 1;

	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	return ok;
}

static int add_extensions(X509_CRL *crl, X509 *ca, int64_t number)
{
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509_EXTENSION *aki;
	X509V3_CTX ctx;
	int ok;

	memset(&ctx, 0, sizeof ctx);
	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	ok = num && aki && ASN1_INTEGER_set_int64(num, number) == 1 &&
	     X509_CRL_add_ext(crl, aki, -1) == 1 &&
	     X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(num);
	return ok;
}

static X509_CRL *make_crl(X509 *ca, EVP_PKEY *key, const json_t *index, int64_t number,
			  size_t *count)
{
	X509_CRL *crl = X509_CRL_new();

	if (crl == NULL)
		return NULL;
	if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1 || !set_times(crl) ||
	    !add_all_revoked(crl, index, count) || !add_extensions(crl, ca, number) ||
	    X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, key, EVP_sha256()) <= 0) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

static int write_crl(const char *path, X509_CRL *crl, struct ctl_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	int rc;

	if (b == NULL)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	if (PEM_write_bio_X509_CRL(b, crl) != 1 || (len = BIO_get_mem_data(b, &data)) <= 0)
		rc = openssl_fail(err, "cannot encode the revocation list", NULL);
	else
		rc = certs_write_atomic(path, 0644, data, (size_t)len, err);
	BIO_free(b);
	return rc;
}

int crl_write(const char *tlsdir, X509 *ca, EVP_PKEY *key, const json_t *index, size_t *count,
	      struct ctl_err *err)
{
	char *path = join(tlsdir, "ca.crl");
	X509_CRL *crl = NULL;
	size_t n = 0;
	int rc;

	if (path == NULL)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	crl = make_crl(ca, key, index, previous_number(path) + 1, &n);
	if (crl == NULL)
		rc = openssl_fail(err, "cannot make the revocation list", NULL);
	else
		rc = write_crl(path, crl, err);
	if (count != NULL)
		*count = n;
	X509_CRL_free(crl);
	free(path);
	return rc;
}
