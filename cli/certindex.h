/*
 * jianductl certs: the instance's index of issued client certificates,
 * <instance>/tls/issued.json, a JSON array of
 *   {"serial": "<hex>", "user", "role" (or null), "subject", "not_before",
 *    "not_after", "status": "valid" | "revoked", "revoked_at" (when revoked),
 *    "cert": "<path of the .crt written>"}
 * with times as "YYYY-MM-DDTHH:MM:SSZ".  Written to a temporary file that
 * is then renamed over it, so a reader sees the old index or the new one.
 */
#ifndef JDCTL_CERTINDEX_H
#define JDCTL_CERTINDEX_H

#include <jansson.h>
#include <openssl/x509.h>
#include <sys/types.h>
#include <time.h>

#include "ctl.h"

/*
 * An exclusive lock on the tls directory (flock), held by the returned
 * descriptor until certindex_unlock: one issue or revoke at a time.
 */
int certindex_lock(const char *tlsdir, int *fd, struct ctl_err *err);
void certindex_unlock(int fd);

/*
 * Reads tlsdir/issued.json into *index (a new reference).  A missing file
 * is an index holding the admin certificate `jianductl init` made
 * (tlsdir/admin.crt), when there is one.
 */
int certindex_load(const char *tlsdir, json_t **index, struct ctl_err *err);
/* Writes the index atomically (0644). */
int certindex_save(const char *tlsdir, const json_t *index, struct ctl_err *err);

/* The index entry describing cert (a new object), with status "valid". */
json_t *certindex_entry(X509 *cert, const char *path);

/* The certificate's serial, normalised as below (NULL: out of memory). */
char *certindex_cert_serial(X509 *cert);
/* Normalised serial: lower-case hex without leading zeros; NULL if s is not hex. */
char *certindex_serial_norm(const char *s);
/* 1 when the entry is revoked. */
int certindex_is_revoked(const json_t *entry);
/* "valid", "revoked" or, for a valid entry past not_after, "expired". */
const char *certindex_status(const json_t *entry, time_t now);

/* "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes); and back (-1 if malformed). */
void certindex_time_fmt(time_t t, char *buf, size_t len);
int certindex_time_parse(const char *s, time_t *t);

/*
 * Writes data to path through a temporary file in the same directory
 * (mode, fsync) and renames it into place; the directory is synced too.
 */
int certs_write_atomic(const char *path, mode_t mode, const void *data, size_t len,
		       struct ctl_err *err);

#endif
