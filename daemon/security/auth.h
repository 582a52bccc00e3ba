/*
 * Who is calling and what they may do: every access decision of the
 * daemon is made here.  A request resolves once to a principal (user,
 * roles, scope) from its verified client certificate or bearer token;
 * the route's permission is then checked against the roles' matrix
 * (docs/security.md).  Failed authentication is rate-limited per source
 * address and per identity.
 */
#ifndef JD_AUTH_H
#define JD_AUTH_H

#include <stddef.h>
#include <openssl/ssl.h>

/* SESSION: the browser's cookie (reads only); PASSWORD: a sign-in by password (POST /v1/session).
 */
enum jd_cred { JD_CRED_NONE, JD_CRED_CERT, JD_CRED_TOKEN, JD_CRED_SESSION, JD_CRED_PASSWORD };

enum jd_role {
	JD_ROLE_ADMIN = 1u << 0,
	JD_ROLE_TENANT_ADMIN = 1u << 1,
	JD_ROLE_LEADER = 1u << 2,
	JD_ROLE_STAFF = 1u << 3,
	JD_ROLE_REVIEWER = 1u << 4,
	JD_ROLE_TRAINER = 1u << 5,
	JD_ROLE_AUDITOR = 1u << 6,
	JD_ROLE_VIEWER = 1u << 7,
};

#define JD_SYSTEM_TENANT "_sys" /* where users and tokens live */
#define JD_USER_ID_MAX	 64

struct jd_principal {
	char name[128]; /* user id (certificate CN or the token's user) */
	enum jd_cred cred;
	unsigned roles;
	char tenants[256]; /* scope, comma-separated */
	char units[512];
	char groups[256];
	char token_id[40];
	/* the org person the user is linked to, "<county>/<person id>", or "" */
	char person[40];
	int instance_admin_cert; /* the certificate of `jianductl init` (OU=admin): no user record
				  */
};

struct event_base;
struct jd_route;
struct jd_store;
struct jd_permission;

/* Failed bearer tokens also count against their first characters (a guess at one token). */
#define JD_AUTH_PREFIX_LEN 12

struct jd_auth_input {
	const struct jd_route *route;
	SSL *ssl;
	const char *authorization; /* the header, or NULL */
	const char *source;	   /* the client's address */
	int control;		   /* arrived on the control listener */
	const char *method;	   /* "GET", "POST", ...: a session cookie is good for GET only */
	const char *cookie;	   /* the Cookie header, or NULL */
};

/*
 * rc JD_OK: p is filled and may proceed.  Otherwise status is 401 (no
 * acceptable credential), 403 (lacks the permission), 429 (too many
 * failures) or 503 (the user store is unreachable) and why says so.
 */
typedef void (*jd_auth_done)(void *arg, int rc, int status, const char *why);

/* Resolves and decides; done runs exactly once, possibly before this returns. */
void jd_auth_request(struct jd_store *store, const struct jd_auth_input *in, struct jd_principal *p,
		     jd_auth_done done, void *arg);

/*
 * jd_auth_request for a route that needs no credential but wants to know
 * the caller's (GET /v1/session): the same decision, except that a
 * request presenting no credential at all is answered 401 without
 * counting as a failure.
 */
void jd_auth_identify(struct jd_store *store, const struct jd_auth_input *in,
		      struct jd_principal *p, jd_auth_done done, void *arg);
/*
 * The browser's sign-in (POST /v1/session, docs/security.md "Browser
 * sessions"): a verified client certificate, or else user and password,
 * the password checked against its Argon2id hash off the loop (base).
 * Failures count against the address and the user as any failed
 * authentication does; then the user is read and in->route's permission
 * decided, as jd_auth_request does.  done runs exactly once.
 */
void jd_auth_sign_in(struct jd_store *store, struct event_base *base,
		     const struct jd_auth_input *in, const char *user, const char *password,
		     struct jd_principal *p, jd_auth_done done, void *arg);

/*
 * Whether roles grant `permission`: the admin any, another role when the
 * permission's declaration names it (security/permissions.h).
 */
int jd_auth_roles_allow(unsigned roles, const char *permission);
/* The core's own permissions, name == NULL ends (merged into the matrix first). */
const struct jd_permission *jd_auth_core_permissions(void);
/* The built-in roles, in order: name and bit of the i-th (i < jd_auth_role_count()). */
size_t jd_auth_role_count(void);
const char *jd_auth_role_at(size_t i, unsigned *bit);
/* Whether an authenticated principal may do `permission` (e.g. open a sealed field). */
int jd_auth_may(const struct jd_principal *p, const char *permission);
/*
 * What a record says about who may see it (docs/security.md, "Record
 * scope").  Every text may be NULL, read as "".
 */
struct jd_record_scope {
	const char *tenant; /* the record's tenant */
	const char *unit;   /* its unit; may be empty */
	const char *groups; /* comma-separated; may be empty */
	const char *deny;   /* comma-separated user ids who must never see it (recusal) */
};

enum jd_record_access {
	JD_RECORD_VISIBLE,	 /* may see it */
	JD_RECORD_OUT_OF_SCOPE,	 /* tenant, unit or groups do not match, or no role reads records */
	JD_RECORD_DENIED_BY_LIST /* named on the record's deny list: wins over roles, even admin */
};

/*
 * The one scope decision, in this order: on the deny list -> denied (an
 * instance admin too); instance admin -> visible; the tenant not within
 * p->tenants (jd_auth_tenant_within) -> out of scope; leader or reviewer -> the whole tenant;
 * staff or trainer -> records whose unit is among p->units or whose
 * groups meet p->groups (an entry "<tenant>/x" there, as group
 * membership adds, counts in that tenant only); any other role (tenant_admin, auditor, viewer)
 * -> no records.  A NULL or unnamed principal or a NULL scope: out of scope.
 */
enum jd_record_access jd_auth_record_access(const struct jd_principal *p,
					    const struct jd_record_scope *s);
/*
 * The tenant rule, used by every decision below: whether `code` is one of
 * p->tenants or lies beneath one of them (a province's, municipality's or
 * city's people belong to every tenant under it: org/org_division.h reads
 * that from the division codes).  Roles are not looked at here.
 */
int jd_auth_tenant_within(const struct jd_principal *p, const char *code);
/*
 * Whether p may read what is aggregated over tenant `code` (its
 * organization: units, people, groups, staffing, export, report; and
 * plugins' figures), `parent` being code's parent (NULL or "" when none):
 * instance admins any tenant; anyone else when code, or its parent, is
 * within p's tenants (jd_auth_tenant_within).  The route's permission is
 * checked before.
 */
int jd_auth_tenant_readable(const struct jd_principal *p, const char *code, const char *parent);
/* 1 when jd_auth_record_access is JD_RECORD_VISIBLE, 0 otherwise. */
int jd_auth_record_visible(const struct jd_principal *p, const struct jd_record_scope *s);
/* "staff,leader" -> bits; JD_E_INVALID names the bad role in err. */
int jd_auth_parse_roles(const char *csv, unsigned *roles, char *err, size_t errlen);
/* bits -> "leader,staff" */
void jd_auth_format_roles(unsigned roles, char *out, size_t len);
const char *jd_auth_cred_name(enum jd_cred c);
/*
 * Whether the comma-separated csv holds item[0..len): the scope lists'
 * membership test (spaces around entries ignored; empty never matches).
 */
int jd_csv_has(const char *csv, const char *item, size_t len);
/* Whether s is a valid user id: 1..64 of [a-z0-9._-], starting with a letter or digit. */
int jd_auth_user_id_valid(const char *s);

#endif
