/*
 * jianductl: the instance PKI: a self-signed CA (EC P-256, 10 years), the
 * daemon's server certificate and the first admin's client certificate
 * (2 years each), written as PEM files.
 */
#ifndef JDCTL_PKI_H
#define JDCTL_PKI_H

#include <stddef.h>

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

#endif
