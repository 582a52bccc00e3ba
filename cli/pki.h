/*
 * jianductl: the instance PKI: a self-signed CA (EC P-256, 10 years), the
 * daemon's server certificate and the first admin's client certificate
 * (2 years each), written as PEM files.
 */
#ifndef JDCTL_PKI_H
#define JDCTL_PKI_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ctl.h"
#include "files.h"

/* A host name (letters, digits, '-', '.', an optional leading "*.") or an IP address. */
int pki_name_valid(const char *name);
int pki_name_is_ip(const char *name);

/*
 * Creates tlsdir/ca.key, ca.crt, server.key, server.crt, admin.key and
 * admin.crt through tx.  The server certificate names localhost, 127.0.0.1,
 * ::1 and each of names[0..n).  Keys are 0600, certificates 0644.
 */
int pki_create(struct fs_tx *tx, const char *tlsdir, const char *const *names, size_t n,
	       struct ctl_err *err);

/* A client certificate to issue: subject OU (NULL: none) and CN, validity in days. */
struct pki_client {
	const char *ou;
	const char *cn;
	long days;
};

/*
 * A new EC P-256 key (*key) and a clientAuth certificate for it (*cert)
 * signed by ca with ca_key; random serial, valid from now.  The caller
 * frees both; on failure both are NULL.
 */
int pki_issue_client(X509 *ca, EVP_PKEY *ca_key, const struct pki_client *c, EVP_PKEY **key,
		     X509 **cert, struct ctl_err *err);

/* Writes dir/<name>.key (0600) and dir/<name>.crt (0644) through tx, never overwriting. */
int pki_write_client(struct fs_tx *tx, const char *dir, const char *name, EVP_PKEY *key, X509 *cert,
		     struct ctl_err *err);

#endif
