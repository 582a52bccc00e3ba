/*
 * Passwords for the browser sign-in: Argon2id through libsodium's
 * crypto_pwhash_str (interactive limits: about 64 MiB and a tenth of a
 * second), run on a short-lived thread so the event loop never waits for
 * it.  The thread hands the result back through a pipe the loop watches.
 */
#ifndef JD_PWHASH_H
#define JD_PWHASH_H

#include <stddef.h>

#define JD_PASSWORD_MIN	 12  /* bytes */
#define JD_PASSWORD_MAX	 128 /* bytes */
#define JD_PWHASH_JOBS	 4   /* hashes at once; more answer JD_E_UNAVAILABLE */
#define JD_PWHASH_STRLEN 128 /* crypto_pwhash_STRBYTES */

struct event_base;

/*
 * hash: for jd_pwhash_hash, the encoded Argon2id string on JD_OK.
 * jd_pwhash_verify: rc JD_OK when the password matches, JD_E_FORBIDDEN
 * when it does not; JD_E_NOMEM when the hash could not be computed.
 */
typedef void (*jd_pwhash_cb)(int rc, const char *hash, void *arg);

/*
 * JD_OK: cb runs exactly once, later, from the loop.  JD_E_INVALID (the
 * password's length is out of bounds, or the stored hash is no Argon2id
 * string), JD_E_UNAVAILABLE (JD_PWHASH_JOBS are running), JD_E_NOMEM:
 * cb does not run.  The password is copied and wiped once used.
 */
int jd_pwhash_hash(struct event_base *base, const char *password, jd_pwhash_cb cb, void *arg);
int jd_pwhash_verify(struct event_base *base, const char *stored, const char *password,
		     jd_pwhash_cb cb, void *arg);
/* Whether len bytes make an acceptable password (JD_PASSWORD_MIN..MAX). */
int jd_password_length_ok(size_t len);

#endif
