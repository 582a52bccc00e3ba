/*
 * Who is calling and what they may do: every access decision of the
 * daemon is made here.  The security issue extends the roles, scopes and
 * token store; the shape of the decision stays in this one place.
 */
#ifndef JD_AUTH_H
#define JD_AUTH_H

#include <stddef.h>
#include <openssl/ssl.h>

enum jd_cred { JD_CRED_NONE, JD_CRED_CERT, JD_CRED_TOKEN };

enum jd_role { JD_ROLE_ADMIN = 1u << 0 };

struct jd_principal {
	char name[128];
	enum jd_cred cred;
	unsigned roles;
};

/*
 * Resolves the caller from the connection's verified client certificate
 * or the Authorization header.  JD_OK with p filled; JD_E_FORBIDDEN with
 * the reason (for a 401) when a credential is missing or not accepted.
 */
int jd_auth_resolve(SSL *ssl, const char *authorization, int control, struct jd_principal *p,
		    char *why, size_t whylen);
/* Whether p holds `permission`. */
int jd_auth_allows(const struct jd_principal *p, const char *permission);

struct jd_route;

/*
 * The decision for one request to `route`: who is calling (p) and whether
 * they may.  JD_OK, or JD_E_FORBIDDEN with *status 401 (no acceptable
 * credential) or 403 (lacks the permission) and the reason in why.
 */
int jd_auth_request(const struct jd_route *route, SSL *ssl, const char *authorization, int control,
		    struct jd_principal *p, int *status, char *why, size_t whylen);
const char *jd_auth_cred_name(enum jd_cred c);

#endif
