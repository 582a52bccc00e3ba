/*
 * TLS contexts for the listeners.  control: TLS 1.3 only (Mozilla
 * "modern"); api: TLS 1.2 and 1.3 (Mozilla "intermediate").  Both verify
 * client certificates against the instance CA and, when the instance has
 * one, its certificate revocation list (CRL).
 */
#ifndef JD_TLS_H
#define JD_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

enum jd_tls_client_auth {
	/* control: TLS 1.3 only; the handshake fails without a valid, unrevoked CA-signed cert */
	JD_TLS_CLIENT_CERT_REQUIRED,
	/* api: TLS 1.2 and 1.3; a cert if the client has one (checked per request), else a token */
	JD_TLS_CLIENT_CERT_OPTIONAL,
};

struct jd_tls_files {
	const char *cert; /* the server's certificate chain (PEM) */
	const char *key;  /* its private key (PEM) */
	const char *ca;	  /* the instance CA (PEM): client certificates must chain to it */
	/*
	 * The CA's revocation list (PEM).  NULL, "" or a missing file: nothing
	 * is revoked yet.  A file that does not parse, or that the CA in `ca`
	 * did not sign, is an error.  An expired one (past nextUpdate) is still
	 * enforced, with a warning: revocations in it stay in force.
	 */
	const char *crl;
};

/*
 * Builds a listener's server context.  NULL on failure, with the reason
 * (key, file and OpenSSL's words) in err.  The CRL of the context built
 * last (none if it has none) is also the process's current revocation
 * list, which jd_tls_peer_identity() checks on every request: a
 * certificate revoked by a reload is refused even on a connection opened
 * before it.  The context owns its CRL; it goes when the context is freed.
 */
SSL_CTX *jd_tls_listener_ctx(const struct jd_tls_files *files, enum jd_tls_client_auth auth,
			     char *err, size_t errlen);

/*
 * Makes ctx's revocation list the one every request is checked against
 * (call once both listeners' new contexts are built); NULL clears it.
 */
void jd_tls_make_current(SSL_CTX *ctx);

/*
 * The verified client certificate's subject CN of a connection: JD_OK,
 * JD_E_NOTFOUND when there is no certificate, JD_E_FORBIDDEN when it did
 * not verify (jd_tls_peer_refusal() says why), is revoked or has no CN.
 * `ou` (may be NULL) receives the subject's OU, empty when absent.
 */
int jd_tls_peer_identity(SSL *ssl, char *cn, size_t cnlen, char *ou, size_t oulen);

/*
 * Why jd_tls_peer_identity() refuses the connection's client certificate,
 * in a few words for a 401 message: "no client certificate", "revoked",
 * "not issued by this instance's CA", "expired", "not yet valid", "not
 * for client authentication", "no subject common name", or OpenSSL's
 * words for a rarer verify error.  "accepted" when it does not refuse it.
 * Never NULL; a static string.
 */
const char *jd_tls_peer_refusal(SSL *ssl);

#endif
