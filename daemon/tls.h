/* TLS contexts for the listeners: TLS 1.2 and 1.3, Mozilla "intermediate". */
#ifndef JD_TLS_H
#define JD_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

enum jd_tls_client_auth {
	JD_TLS_CLIENT_CERT_REQUIRED, /* control: handshake fails without a CA-signed cert */
	JD_TLS_CLIENT_CERT_OPTIONAL, /* api: a cert if the client has one, else a token */
};

/*
 * Builds a server context from PEM files.  NULL on failure, with the
 * reason (file and OpenSSL's words) in err.
 */
SSL_CTX *jd_tls_server_ctx(const char *cert, const char *key, const char *ca,
			   enum jd_tls_client_auth auth, char *err, size_t errlen);

/*
 * The verified client certificate's subject CN of a connection, or NULL
 * when there is none or it did not verify.  `ou` (may be NULL) receives
 * the subject's OU, empty when absent.
 */
int jd_tls_peer_identity(SSL *ssl, char *cn, size_t cnlen, char *ou, size_t oulen);

#endif
