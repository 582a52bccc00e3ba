/* jianductl: CA and certificates with the OpenSSL 3 X509 API. */
#include "pki.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CA_DAYS	  3652 /* 10 years */
#define LEAF_DAYS 730  /* 2 years */
#define BASE_SANS "DNS:localhost,IP:127.0.0.1,IP:::1"

struct leaf_spec {
	const char *ou; /* NULL: none */
	const char *cn;
	const char *eku;
	const char *san; /* NULL: none */
	long days;	 /* 0: LEAF_DAYS */
};

int pki_name_is_ip(const char *name)
{
	unsigned char b[16];

	return inet_pton(AF_INET, name, b) == 1 || inet_pton(AF_INET6, name, b) == 1;
}

int pki_name_valid(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (pki_name_is_ip(name))
		return 1;
	if (strncmp(name, "*.", 2) == 0) {
		name += 2;
		len -= 2;
	}
	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum(c) || (c == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && name[len - 1] != '-';
}

static int openssl_fail(struct ctl_err *err, const char *what)
{
	char buf[256] = "unknown OpenSSL error";
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return ctl_fail(err, CTL_FAIL, "%s: %s", what, buf);
}

static int set_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(b, sizeof b) != 1)
		return 0;
	b[0] &= 0x7f; /* positive */
	b[0] |= 0x01; /* and never zero */
	bn = BN_bin2bn(b, sizeof b, NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int set_subject(X509 *x, const char *ou, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(x);

	if (ou && !X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, (const unsigned char *)ou,
					      -1, -1, 0))
		return 0;
	return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					  -1, 0);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* Version 3, random serial, validity from now, subject and public key. */
static X509 *cert_start(EVP_PKEY *key, const char *ou, const char *cn, long days)
{
	X509 *x = X509_new();

	if (!x)
		return NULL;
	if (!X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) ||
	    !set_subject(x, ou, cn) || !X509_set_pubkey(x, key)) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static X509 *make_ca(EVP_PKEY *key)
{
	unsigned char rnd[8];
	char cn[64];
	X509V3_CTX ctx;
	X509 *x;
	int n;

	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return NULL;
	n = snprintf(cn, sizeof cn, "jiandu instance CA ");
	for (size_t i = 0; i < sizeof rnd; i++)
		n += snprintf(cn + n, sizeof cn - (size_t)n, "%02x", rnd[i]);
	x = cert_start(key, NULL, cn, CA_DAYS);
	if (!x)
		return NULL;
	memset(&ctx, 0, sizeof ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
	    X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static X509 *make_leaf(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, const struct leaf_spec *s)
{
	X509V3_CTX ctx;
	X509 *x = cert_start(key, s->ou, s->cn, s->days ? s->days : LEAF_DAYS);

	if (!x)
		return NULL;
	memset(&ctx, 0, sizeof ctx);
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	if (!X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
	    !add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(x, &ctx, NID_ext_key_usage, s->eku) ||
	    (s->san && !add_ext(x, &ctx, NID_subject_alt_name, s->san)) ||
	    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
	    X509_sign(x, ca_key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int is_base_name(const char *name)
{
	return strcasecmp(name, "localhost") == 0 || strcmp(name, "127.0.0.1") == 0 ||
	       strcmp(name, "::1") == 0;
}

/* "DNS:localhost,IP:127.0.0.1,IP:::1" and the extra names, once each. */
static char *make_san(const char *const *names, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	fputs(BASE_SANS, m);
	for (size_t i = 0; i < n; i++) {
		int dup = is_base_name(names[i]);
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcasecmp(names[i], names[j]) == 0;
		if (!dup)
			fprintf(m, ",%s:%s", pki_name_is_ip(names[i]) ? "IP" : "DNS", names[i]);
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static int write_key(struct fs_tx *tx, const char *dir, const char *name, EVP_PKEY *key,
		     const char *what, struct ctl_err *err)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *path = join(dir, name), *data = NULL;
	long len;
	int rc;

	if (!b || !path) {
		rc = ctl_fail(err, CTL_FAIL, "out of memory");
		goto out;
	}
	if (!PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) ||
	    (len = BIO_get_mem_data(b, &data)) <= 0) {
		rc = openssl_fail(err, "cannot encode a private key");
		goto out;
	}
	rc = fs_create(tx, path, 0600, data, (size_t)len, what, err);
	OPENSSL_cleanse(data, (size_t)len);
out:
	BIO_free(b);
	free(path);
	return rc;
}

static int write_cert(struct fs_tx *tx, const char *dir, const char *name, X509 *x,
		      const char *what, struct ctl_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *path = join(dir, name), *data = NULL;
	long len;
	int rc;

	if (!b || !path) {
		rc = ctl_fail(err, CTL_FAIL, "out of memory");
		goto out;
	}
	if (!PEM_write_bio_X509(b, x) || (len = BIO_get_mem_data(b, &data)) <= 0) {
		rc = openssl_fail(err, "cannot encode a certificate");
		goto out;
	}
	rc = fs_create(tx, path, 0644, data, (size_t)len, what, err);
out:
	BIO_free(b);
	free(path);
	return rc;
}

struct pki {
	EVP_PKEY *ca_key, *server_key, *admin_key;
	X509 *ca, *server, *admin;
};

static int pki_make(struct pki *p, const char *const *names, size_t n, struct ctl_err *err)
{
	struct leaf_spec server = {NULL, "jiandud", "serverAuth", NULL, 0};
	const struct leaf_spec admin = {"admin", "admin", "clientAuth", NULL, 0};
	char *san;

	p->ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->server_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->admin_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!p->ca_key || !p->server_key || !p->admin_key)
		return openssl_fail(err, "cannot generate an EC P-256 key");
	p->ca = make_ca(p->ca_key);
	if (!p->ca)
		return openssl_fail(err, "cannot make the CA certificate");
	san = make_san(names, n);
	if (!san)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	server.san = san;
	p->server = make_leaf(p->ca, p->ca_key, p->server_key, &server);
	free(san);
	if (!p->server)
		return openssl_fail(err, "cannot make the server certificate");
	p->admin = make_leaf(p->ca, p->ca_key, p->admin_key, &admin);
	if (!p->admin)
		return openssl_fail(err, "cannot make the admin certificate");
	return CTL_OK;
}

static int pki_write(struct fs_tx *tx, const char *dir, const struct pki *p, struct ctl_err *err)
{
	int rc = write_key(tx, dir, "ca.key", p->ca_key, "CA key: signs certificates", err);

	if (rc == CTL_OK)
		rc = write_cert(tx, dir, "ca.crt", p->ca, "CA certificate", err);
	if (rc == CTL_OK)
		rc = write_key(tx, dir, "server.key", p->server_key, "jiandud's key", err);
	if (rc == CTL_OK)
		rc = write_cert(tx, dir, "server.crt", p->server, "jiandud's certificate", err);
	if (rc == CTL_OK)
		rc = write_key(tx, dir, "admin.key", p->admin_key, "admin client key", err);
	if (rc == CTL_OK)
		rc = write_cert(tx, dir, "admin.crt", p->admin, "admin client certificate", err);
	return rc;
}

int pki_create(struct fs_tx *tx, const char *tlsdir, const char *const *names, size_t n,
	       struct ctl_err *err)
{
	struct pki p;
	int rc;

	memset(&p, 0, sizeof p);
	rc = pki_make(&p, names, n, err);
	if (rc == CTL_OK)
		rc = pki_write(tx, tlsdir, &p, err);
	EVP_PKEY_free(p.ca_key);
	EVP_PKEY_free(p.server_key);
	EVP_PKEY_free(p.admin_key);
	X509_free(p.ca);
	X509_free(p.server);
	X509_free(p.admin);
	return rc;
}

int pki_issue_client(X509 *ca, EVP_PKEY *ca_key, const struct pki_client *c, EVP_PKEY **key,
		     X509 **cert, struct ctl_err *err)
{
	const struct leaf_spec spec = {c->ou, c->cn, "clientAuth", NULL, c->days};

	*cert = NULL;
	*key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!*key)
		return openssl_fail(err, "cannot generate an EC P-256 key");
	*cert = make_leaf(ca, ca_key, *key, &spec);
	if (*cert)
		return CTL_OK;
	EVP_PKEY_free(*key);
	*key = NULL;
	return openssl_fail(err, "cannot make the client certificate");
}

int pki_write_client(struct fs_tx *tx, const char *dir, const char *name, EVP_PKEY *key, X509 *cert,
		     struct ctl_err *err)
{
	char *key_name = NULL, *cert_name = NULL;
	int rc;

	if (asprintf(&key_name, "%s.key", name) < 0 || asprintf(&cert_name, "%s.crt", name) < 0) {
		free(key_name);
		return ctl_fail(err, CTL_FAIL, "out of memory");
	}
	rc = write_key(tx, dir, key_name, key, "client key", err);
	if (rc == CTL_OK)
		rc = write_cert(tx, dir, cert_name, cert, "client certificate", err);
	free(key_name);
	free(cert_name);
	return rc;
}
