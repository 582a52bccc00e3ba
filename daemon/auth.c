#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jiandu/plugin.h>

#include "tls.h"

const char *jd_auth_cred_name(enum jd_cred c)
{
	switch (c) {
	case JD_CRED_CERT:
		return "cert";
	case JD_CRED_TOKEN:
		return "token";
	default:
		return "none";
	}
}

static int resolve_cert(SSL *ssl, int control, struct jd_principal *p)
{
	char ou[64];
	int rc = jd_tls_peer_identity(ssl, p->name, sizeof(p->name), ou, sizeof(ou));

	if (rc != JD_OK) {
		p->name[0] = '\0';
		return rc;
	}
	p->cred = JD_CRED_CERT;
	/*
	 * The control listener only completes a handshake with a certificate
	 * of the instance CA, which `jianductl init` issues to administrators.
	 */
	if (control || strcmp(ou, "admin") == 0)
		p->roles |= JD_ROLE_ADMIN;
	return JD_OK;
}

/*
 * Bearer tokens are checked against the token store, which the security
 * issue adds; until a token can be issued, none is accepted.
 */
static int resolve_token(const char *token, struct jd_principal *p, char *why, size_t whylen)
{
	(void)p;
	if (*token == '\0') {
		snprintf(why, whylen, "empty bearer token");
		return JD_E_FORBIDDEN;
	}
	snprintf(why, whylen, "unknown or expired bearer token");
	return JD_E_FORBIDDEN;
}

int jd_auth_resolve(SSL *ssl, const char *authorization, int control, struct jd_principal *p,
		    char *why, size_t whylen)
{
	int rc;

	memset(p, 0, sizeof(*p));
	rc = resolve_cert(ssl, control, p);
	if (rc == JD_OK)
		return JD_OK;
	if (rc == JD_E_FORBIDDEN) {
		snprintf(why, whylen,
			 "client certificate not issued by this instance's CA, "
			 "expired or revoked");
		return JD_E_FORBIDDEN;
	}
	if (authorization == NULL) {
		snprintf(why, whylen,
			 "no credential: present a client certificate or a bearer "
			 "token");
		return JD_E_FORBIDDEN;
	}
	if (strncasecmp(authorization, "Bearer ", 7) != 0) {
		snprintf(why, whylen, "unsupported Authorization scheme: use Bearer");
		return JD_E_FORBIDDEN;
	}
	return resolve_token(authorization + 7, p, why, whylen);
}

int jd_auth_allows(const struct jd_principal *p, const char *permission)
{
	if (p->roles & JD_ROLE_ADMIN)
		return 1;
	(void)permission;
	return 0;
}

int jd_auth_request(const struct jd_route *route, SSL *ssl, const char *authorization, int control,
		    struct jd_principal *p, int *status, char *why, size_t whylen)
{
	if (route->flags & JD_ROUTE_NO_AUTH) {
		memset(p, 0, sizeof(*p));
		return JD_OK;
	}
	if (jd_auth_resolve(ssl, authorization, control, p, why, whylen) != JD_OK) {
		*status = 401;
		return JD_E_FORBIDDEN;
	}
	if (!jd_auth_allows(p, route->permission)) {
		snprintf(why, whylen, "'%.64s' lacks the permission %.64s", p->name,
			 route->permission);
		*status = 403;
		return JD_E_FORBIDDEN;
	}
	return JD_OK;
}
