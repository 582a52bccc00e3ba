#include "transport/tls.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <jiandu/plugin.h>

#include "runtime/files.h"
#include "runtime/log.h"

/*
 * Mozilla server-side TLS v5.7.  api, "intermediate": these suites for
 * TLS 1.2, and TLS 1.3; control, "modern": TLS 1.3 only.  Both: the
 * three TLS 1.3 suites, groups X25519, P-256, P-384, no server cipher
 * preference (every suite is strong, so the client's choice wins), no
 * session tickets (ticket keys would live as long as a context; the
 * session cache resumes instead).
 */
static const char intermediate_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
static const char tls13_suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
static const char groups[] = "X25519:prime256v1:secp384r1";

/* SSL ex_data: the first error of the client certificate's verification (0: none). */
static int first_error_index = -1;

/*
 * The revocation list of the context built last: jd_tls_peer_identity()
 * checks it on every request, so a reload that revokes a certificate also
 * stops connections that were opened before it.  The daemon runs one
 * thread.  Each context owns its CRL (SSL_CTX ex_data); current_crl only
 * points at the newest one and is cleared when that context is freed.
 */
static X509_CRL *current_crl;
static int ctx_crl_index = -1;

static void openssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

static int load_identity(SSL_CTX *ctx, const char *cert, const char *key, char *err, size_t errlen)
{
	char why[256];

	if (jd_file_readable("tls.cert", cert, err, errlen) != JD_OK ||
	    jd_file_readable("tls.key", key, err, errlen) != JD_OK)
		return JD_E_INVALID;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		openssl_reason(why, sizeof(why));
		snprintf(err, errlen, "tls.cert %s: %s", cert, why);
		return JD_E_INVALID;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		openssl_reason(why, sizeof(why));
		snprintf(err, errlen, "tls.key %s: %s", key, why);
		return JD_E_INVALID;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		openssl_reason(why, sizeof(why));
		snprintf(err, errlen, "tls.key %s does not match tls.cert %s", key, cert);
		return JD_E_INVALID;
	}
	return JD_OK;
}

static int load_client_ca(SSL_CTX *ctx, const char *ca, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) * names;
	char why[256];

	if (jd_file_readable("tls.ca", ca, err, errlen) != JD_OK)
		return JD_E_INVALID;
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		openssl_reason(why, sizeof(why));
		snprintf(err, errlen, "tls.ca %s: %s", ca, why);
		return JD_E_INVALID;
	}
	names = SSL_load_client_CA_file(ca);
	if (names == NULL) {
		openssl_reason(why, sizeof(why));
		snprintf(err, errlen, "tls.ca %s: no CA certificate: %s", ca, why);
		return JD_E_INVALID;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	return JD_OK;
}

/* ---- the revocation list ------------------------------------------------ */

/* Reads a PEM CRL: JD_OK with *out NULL when the file does not exist. */
static int read_crl(const char *path, X509_CRL **out, char *err, size_t errlen)
{
	char why[256];
	FILE *f;

	*out = NULL;
	ERR_clear_error();
	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return JD_OK;
		snprintf(err, errlen, "tls.crl %s: %s", path, strerror(errno));
		return JD_E_INVALID;
	}
	*out = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (*out == NULL) {
		openssl_reason(why, sizeof(why));
		snprintf(err, errlen, "tls.crl %s: not a PEM certificate revocation list: %s", path,
			 why);
		return JD_E_INVALID;
	}
	return JD_OK;
}

/* 1 when a CA certificate of the store has the CRL's issuer name and signed it. */
static int signed_by_store(X509_STORE *store, X509_CRL *crl)
{
	STACK_OF(X509) *certs = X509_STORE_get1_all_certs(store);
	int found = 0;

	for (int i = 0; certs != NULL && i < sk_X509_num(certs) && !found; i++) {
		X509 *ca = sk_X509_value(certs, i);
		EVP_PKEY *pub = X509_get0_pubkey(ca);

		found = X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) == 0 &&
			pub != NULL && X509_CRL_verify(crl, pub) == 1;
	}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return found;
}

static void warn_if_stale(const char *path, X509_CRL *crl)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);

	if (next != NULL && X509_cmp_current_time(next) < 0)
		jd_warn("tls.crl is past its next update; its revocations stay in force; "
			"refresh it with: jianductl certs crl",
			"crl=%s", path);
}

/*
 * Loads the CRL at path (if any) into ctx's store and turns on checking
 * of the leaf certificate against it.  *out: the CRL, or NULL.
 */
static int load_crl(SSL_CTX *ctx, const char *path, X509_CRL **out, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	int rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return JD_OK;
	rc = read_crl(path, out, err, errlen);
	if (rc != JD_OK || *out == NULL)
		return rc;
	if (!signed_by_store(store, *out)) {
		snprintf(err, errlen, "tls.crl %s: not issued and signed by the CA in tls.ca",
			 path);
		goto fail;
	}
	if (X509_STORE_add_crl(store, *out) != 1 ||
	    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK) != 1) {
		snprintf(err, errlen, "tls.crl %s: cannot add it to the certificate store", path);
		goto fail;
	}
	warn_if_stale(path, *out);
	return JD_OK;
fail:
	ERR_clear_error();
	X509_CRL_free(*out);
	*out = NULL;
	return JD_E_INVALID;
}

/* SSL_CTX ex_data free callback: the context's CRL goes with it. */
static void free_ctx_crl(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			 void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	X509_CRL_free(ptr);
}

/* Hands crl (may be NULL) to ctx; jd_tls_make_current() publishes it. */
static int publish_crl(SSL_CTX *ctx, X509_CRL *crl)
{
	if (SSL_CTX_set_ex_data(ctx, ctx_crl_index, crl) != 1)
		return JD_ERR;
	return JD_OK;
}

void jd_tls_make_current(SSL_CTX *ctx)
{
	X509_CRL *crl = ctx ? SSL_CTX_get_ex_data(ctx, ctx_crl_index) : NULL;

	/* our own reference: contexts come and go with their connections */
	if (crl != NULL && X509_CRL_up_ref(crl) != 1)
		crl = NULL;
	X509_CRL_free(current_crl);
	current_crl = crl;
}

/* A keep-alive connection can outlive its certificate: dates are checked per request too. */
static int expired_now(X509 *peer)
{
	return X509_cmp_current_time(X509_get0_notAfter(peer)) < 0 ||
	       X509_cmp_current_time(X509_get0_notBefore(peer)) > 0;
}

static int revoked_now(X509 *peer)
{
	X509_REVOKED *rev = NULL;

	return current_crl != NULL && X509_CRL_get0_by_cert(current_crl, &rev, peer) == 1;
}

/* ---- client certificate verification ------------------------------------ */

static int first_error(const SSL *ssl)
{
	if (ssl == NULL || first_error_index < 0)
		return X509_V_OK;
	return (int)(intptr_t)SSL_get_ex_data(ssl, first_error_index);
}

static int crl_time_error(int e)
{
	return e == X509_V_ERR_CRL_HAS_EXPIRED || e == X509_V_ERR_CRL_NOT_YET_VALID;
}

/*
 * Remembers the first failure on the SSL, so that a later step cannot
 * hide it.  A stale CRL is not a failure: it is our own file, and the
 * revocations it lists stay in force.  `keep_going`: api, where a bad
 * certificate must not end the handshake, so that the client gets a 401
 * saying why; jd_tls_peer_identity() refuses such a certificate.
 */
static int verify_step(int ok, X509_STORE_CTX *x, int keep_going)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	int e = X509_STORE_CTX_get_error(x), first = first_error(ssl);

	if (ok)
		return 1;
	if (crl_time_error(e)) {
		X509_STORE_CTX_set_error(x, first);
		return 1;
	}
	if (first == X509_V_OK && ssl != NULL)
		SSL_set_ex_data(ssl, first_error_index, (void *)(intptr_t)e);
	return keep_going;
}

static int verify_required(int ok, X509_STORE_CTX *x)
{
	return verify_step(ok, x, 0);
}

static int verify_optional(int ok, X509_STORE_CTX *x)
{
	return verify_step(ok, x, 1);
}

/* ---- contexts ------------------------------------------------------------ */

static int set_profile(SSL_CTX *ctx, enum jd_tls_client_auth auth)
{
	int modern = auth == JD_TLS_CLIENT_CERT_REQUIRED;

	if (SSL_CTX_set_min_proto_version(ctx, modern ? TLS1_3_VERSION : TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, tls13_suites) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, groups) != 1)
		return JD_E_INVALID;
	if (!modern && SSL_CTX_set_cipher_list(ctx, intermediate_ciphers) != 1)
		return JD_E_INVALID;
	SSL_CTX_set_options(ctx,
			    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return JD_OK;
}

static int init_index(char *err, size_t errlen)
{
	if (first_error_index < 0)
		first_error_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (ctx_crl_index < 0)
		ctx_crl_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_ctx_crl);
	if (first_error_index < 0 || ctx_crl_index < 0) {
		snprintf(err, errlen, "cannot set up TLS connection data");
		return JD_ERR;
	}
	return JD_OK;
}

static SSL_CTX *new_ctx(enum jd_tls_client_auth auth, char *err, size_t errlen)
{
	/* resumed sessions keep their client certificate: one context id for all */
	static const unsigned char sid_ctx[] = "jiandud";
	SSL_CTX *ctx;

	ERR_clear_error();
	if (init_index(err, errlen) != JD_OK)
		return NULL;
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create TLS context");
		return NULL;
	}
	if (set_profile(ctx, auth) != JD_OK) {
		snprintf(err, errlen, "cannot set TLS protocol versions, ciphers or groups");
		goto fail;
	}
	if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
		snprintf(err, errlen, "cannot set TLS session id context");
		goto fail;
	}
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *jd_tls_listener_ctx(const struct jd_tls_files *files, enum jd_tls_client_auth auth,
			     char *err, size_t errlen)
{
	SSL_CTX *ctx = new_ctx(auth, err, errlen);
	X509_CRL *crl = NULL;
	int mode = SSL_VERIFY_PEER;

	if (ctx == NULL)
		return NULL;
	if (load_identity(ctx, files->cert, files->key, err, errlen) != JD_OK ||
	    load_client_ca(ctx, files->ca, err, errlen) != JD_OK ||
	    load_crl(ctx, files->crl, &crl, err, errlen) != JD_OK) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (auth == JD_TLS_CLIENT_CERT_REQUIRED)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode,
			   auth == JD_TLS_CLIENT_CERT_REQUIRED ? verify_required : verify_optional);
	SSL_CTX_set_verify_depth(ctx, 3);
	if (publish_crl(ctx, crl) != JD_OK) {
		snprintf(err, errlen, "cannot keep the revocation list with the TLS context");
		X509_CRL_free(crl);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* ---- after the handshake -------------------------------------------------- */

static void subject_entry(X509_NAME *name, int nid, char *buf, size_t len)
{
	int n;

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	n = X509_NAME_get_text_by_NID(name, nid, buf, (int)len);
	if (n < 0)
		buf[0] = '\0';
}

/* The first verify error of the handshake, else its result (a resumed session's). */
static long verify_error(const SSL *ssl)
{
	int first = first_error(ssl);

	return first != X509_V_OK ? first : SSL_get_verify_result(ssl);
}

int jd_tls_peer_identity(SSL *ssl, char *cn, size_t cnlen, char *ou, size_t oulen)
{
	X509 *peer;
	X509_NAME *name;

	cn[0] = '\0';
	if (ou != NULL && oulen > 0)
		ou[0] = '\0';
	if (ssl == NULL)
		return JD_E_NOTFOUND;
	peer = SSL_get0_peer_certificate(ssl);
	if (peer == NULL)
		return JD_E_NOTFOUND;
	if (verify_error(ssl) != X509_V_OK || revoked_now(peer) || expired_now(peer))
		return JD_E_FORBIDDEN;
	name = X509_get_subject_name(peer);
	subject_entry(name, NID_commonName, cn, cnlen);
	if (ou != NULL)
		subject_entry(name, NID_organizationalUnitName, ou, oulen);
	return cn[0] ? JD_OK : JD_E_FORBIDDEN;
}

static const char *verify_words(long e)
{
	switch (e) {
	case X509_V_ERR_CERT_REVOKED:
		return "revoked";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		return "not issued by this instance's CA";
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "not yet valid";
	case X509_V_ERR_INVALID_PURPOSE:
		return "not for client authentication";
	default:
		return X509_verify_cert_error_string(e);
	}
}

const char *jd_tls_peer_refusal(SSL *ssl)
{
	X509 *peer = ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
	char cn[8];
	long e;

	if (peer == NULL)
		return "no client certificate";
	e = verify_error(ssl);
	if (e == X509_V_ERR_CERT_REVOKED || revoked_now(peer))
		return "revoked";
	if (e != X509_V_OK)
		return verify_words(e);
	if (expired_now(peer))
		return "expired";
	subject_entry(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
	return cn[0] ? "accepted" : "no subject common name";
}
