/*
 * The keyring file made by `jianductl init`: versioned master keys (key-
 * encryption keys) and the audit signing key.  Loaded once into locked,
 * read-only sodium_malloc memory and wiped on free.  Never sent to Redis.
 */
#ifndef JD_KEYRING_H
#define JD_KEYRING_H

#include <stddef.h>

#define JD_MASTER_KEY_BYTES	32
#define JD_KEYRING_MAX_VERSIONS 64 /* master versions a keyring may hold (1..2^31 each) */

struct jd_keyring;

/*
 * Loads `path`.  Refuses (JD_E_INVALID, reason in err) a file readable or
 * writable by group or others, an unknown format, a bad base64 value or
 * length, an `active` version that is not present, or a master version
 * below min_version.  JD_E_NOTFOUND when the file does not exist, JD_ERR
 * for another I/O error, JD_E_NOMEM.
 */
int jd_keyring_load(const char *path, unsigned min_version, struct jd_keyring **out, char *err,
		    size_t errlen);
void jd_keyring_free(struct jd_keyring *k);

unsigned jd_keyring_active(const struct jd_keyring *k);
/* The master key of `version`, or NULL when the keyring has no such version. */
const unsigned char *jd_keyring_master(const struct jd_keyring *k, unsigned version);
/* Versions present, ascending; returns how many were written (at most max:
 * pass JD_KEYRING_MAX_VERSIONS to get them all). */
size_t jd_keyring_versions(const struct jd_keyring *k, unsigned *out, size_t max);
/* Ed25519 keys for audit checkpoints (64-byte secret, 32-byte public). */
const unsigned char *jd_keyring_sign_sk(const struct jd_keyring *k);
const unsigned char *jd_keyring_sign_pk(const struct jd_keyring *k);

#endif
