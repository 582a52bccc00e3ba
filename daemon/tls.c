#include "tls.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include <jiandu/plugin.h>

/* Mozilla "intermediate" (v5.7) for TLS 1.2; TLS 1.3 suites are OpenSSL's defaults. */
static const char intermediate_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

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

/*
 * api: a certificate that does not verify must not end the handshake, so
 * the client gets a 401 that says why; the verify result stays on the
 * connection and jd_tls_peer_identity() refuses such a certificate.
 */
static int keep_going(int preverify_ok, X509_STORE_CTX *ctx)
{
	(void)preverify_ok;
	(void)ctx;
	return 1;
}

SSL_CTX *jd_tls_server_ctx(const char *cert, const char *key, const char *ca,
			   enum jd_tls_client_auth auth, char *err, size_t errlen)
{
	static const unsigned char sid_ctx[] = "jiandud";
	SSL_CTX *ctx;
	int mode = SSL_VERIFY_PEER;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create TLS context");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, intermediate_ciphers) != 1) {
		snprintf(err, errlen, "cannot set TLS protocol versions or ciphers");
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
		snprintf(err, errlen, "cannot set TLS session id context");
		goto fail;
	}
	if (load_identity(ctx, cert, key, err, errlen) != JD_OK)
		goto fail;
	if (load_client_ca(ctx, ca, err, errlen) != JD_OK)
		goto fail;
	if (auth == JD_TLS_CLIENT_CERT_REQUIRED)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, auth == JD_TLS_CLIENT_CERT_OPTIONAL ? keep_going : NULL);
	SSL_CTX_set_verify_depth(ctx, 3);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

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

int jd_tls_peer_identity(SSL *ssl, char *cn, size_t cnlen, char *ou, size_t oulen)
{
	X509 *peer;
	X509_NAME *name;

	if (ssl == NULL)
		return JD_E_NOTFOUND;
	peer = SSL_get1_peer_certificate(ssl);
	if (peer == NULL)
		return JD_E_NOTFOUND;
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		X509_free(peer);
		return JD_E_FORBIDDEN;
	}
	name = X509_get_subject_name(peer);
	subject_entry(name, NID_commonName, cn, cnlen);
	if (ou != NULL)
		subject_entry(name, NID_organizationalUnitName, ou, oulen);
	X509_free(peer);
	return cn[0] ? JD_OK : JD_E_FORBIDDEN;
}
