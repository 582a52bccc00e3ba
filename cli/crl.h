/*
 * jianductl certs: the instance CA's certificate revocation list,
 * <instance>/tls/ca.crl (PEM, X.509 v2 CRL): every revoked serial of the
 * index, signed by the CA key, nextUpdate 30 days on, a CRL number one
 * above the previous list's.  jiandud reads it on start and reload.
 */
#ifndef JDCTL_CRL_H
#define JDCTL_CRL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ctl.h"

#define CRL_NEXT_UPDATE_DAYS 30

/* tlsdir/ca.crt, and with key != NULL also tlsdir/ca.key (checked to match). */
int ca_load(const char *tlsdir, X509 **ca, EVP_PKEY **key, struct ctl_err *err);

/*
 * Signs a new CRL listing the index's revoked entries and writes it to
 * tlsdir/ca.crl atomically (0644).  *count (may be NULL): how many it lists.
 */
int crl_write(const char *tlsdir, X509 *ca, EVP_PKEY *key, const json_t *index, size_t *count,
	      struct ctl_err *err);

#endif
