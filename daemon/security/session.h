/*
 * Browser sessions (docs/security.md, "Browser sessions"): after a sign-in
 * (POST /v1/session) the page holds only a cookie
 * `__Host-jd_session=jds_<256 random bits>`; Redis keeps
 * `session:<BLAKE2b-256 of it>` = "<user>|<expires>" with a TTL, and the
 * user's set `sessions:<user>` of those hashes, so that suspending the
 * user ends them all.  The cookie is accepted for GET only (auth.c).
 */
#ifndef JD_SESSION_H
#define JD_SESSION_H

#include <stddef.h>

#define JD_SESSION_COOKIE "__Host-jd_session"
#define JD_SESSION_PREFIX "jds_"

struct jd_server;
struct jd_redis;

/*
 * The session token in a Cookie header ("a=b; __Host-jd_session=jds_..."),
 * copied into out; 0 when there is none or it does not fit.
 */
int jd_session_from_cookie(const char *header, char *out, size_t len);
/* "<user>|<expires>" -> user (JD_USER_ID_MAX + 1) and expires; JD_E_INVALID when malformed. */
int jd_session_parse(const char *value, char *user, size_t len, long long *expires);
/*
 * Ends every session of user (its suspension): fire and forget, a failure
 * is logged (the user's status is read on every request anyway).
 */
void jd_sessions_end_user(struct jd_redis *r, const char *user);

/* POST and DELETE /v1/session, PUT /v1/users/{id}/password. */
int jd_session_register(struct jd_server *srv, char *err, size_t errlen);

#endif
