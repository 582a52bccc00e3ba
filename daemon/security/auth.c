#include "security/auth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "org/org_division.h"
#include "runtime/log.h"
#include "org/org_group_model.h"
#include "security/permissions.h"
#include "security/pwhash.h"
#include "security/ratelimit.h"
#include "security/session.h"
#include "security/token_users.h"
#include "storage/store.h"
#include "transport/tls.h"
#include "security/tokens.h"

/* ---- roles and the core's permissions ----------------------------------------- */

struct role_def {
	const char *name;
	unsigned bit;
};

/*
 * The built-in roles.  What each holds is declared per permission: the
 * core's below, each plugin's in its descriptor (security/permissions.c
 * merges them).  The admin holds every permission ("*"), declared or not.
 */
static const struct role_def roles[] = {
    {"admin", JD_ROLE_ADMIN},	    {"tenant_admin", JD_ROLE_TENANT_ADMIN},
    {"leader", JD_ROLE_LEADER},	    {"staff", JD_ROLE_STAFF},
    {"reviewer", JD_ROLE_REVIEWER}, {"trainer", JD_ROLE_TRAINER},
    {"auditor", JD_ROLE_AUDITOR},   {"viewer", JD_ROLE_VIEWER},
};

#define N_ROLES	    (sizeof(roles) / sizeof(roles[0]))
#define EVERY_ROLE  "tenant_admin,leader,staff,reviewer,trainer,auditor,viewer"
#define ORG_READERS "tenant_admin,leader,staff,reviewer,trainer"

/* What the core's routes and checks name; "": the instance admin only. */
static const struct jd_permission core_permissions[] = {
    {"health.read", "Liveness and storage health (no credential needed)", EVERY_ROLE},
    {"status.read", "Status, plugins, the route catalog, roles, OpenAPI", EVERY_ROLE},
    {"session.create", "Sign in from a browser: a session cookie good for reads only", EVERY_ROLE},
    {"metrics.read", "Prometheus metrics (control listener)", ""},
    {"admin.reload", "Reload certificates and live settings (control listener)", ""},
    {"keys.admin", "Re-wrap tenant keys, show what each master key protects", ""},
    {"users.read", "List and show users within one's scope", "tenant_admin"},
    {"users.write", "Add users, change their roles, scope or status", "tenant_admin"},
    {"tokens.read", "List bearer tokens (never the tokens)", "tenant_admin"},
    {"tokens.write", "Create and revoke bearer tokens", "tenant_admin"},
    {"org.read", "Read the organization: tenants, units, people, groups, staffing", ORG_READERS},
    {"org.write", "Change the organization: tenants, units, people, groups, import",
     "tenant_admin"},
    {"org.ties.read", "Open a cadre's sealed declared ties", ""},
    {"org.conflicts", "Check a person against a unit for conflicts (reasons only)",
     "tenant_admin,leader,staff"},
    {"org.conflicts.employer", "Check a person against a free-text employer", "leader"},
    {"audit.read", "Read and search the audit trail", "auditor"},
    {"audit.verify", "Verify the audit trail's hash chain and checkpoints", "auditor"},
    {"audit.admin", "Accept an audit chain head that moved back (control listener)", ""},
    {"events.admin", "See durable events' backlog and dead letters, and retry them", ""},
    {"report.read", "Read the leaders' report: every section's figures, year on year",
     "tenant_admin,leader,auditor,viewer"},
    {"report.small_counts", "See the report's small counts, which are suppressed otherwise",
     "tenant_admin,leader,auditor"},
    {NULL, NULL, NULL},
};

const struct jd_permission *jd_auth_core_permissions(void)
{
	return core_permissions;
}

size_t jd_auth_role_count(void)
{
	return N_ROLES;
}

const char *jd_auth_role_at(size_t i, unsigned *bit)
{
	*bit = roles[i].bit;
	return roles[i].name;
}

int jd_auth_roles_allow(unsigned r, const char *permission)
{
	if (permission == NULL || *permission == '\0' || r == 0)
		return 0;
	if (r & JD_ROLE_ADMIN)
		return 1;
	return (jd_perms_roles(permission) & r) != 0;
}

int jd_auth_may(const struct jd_principal *p, const char *permission)
{
	if (p == NULL || permission == NULL || *permission == '\0' || p->name[0] == '\0')
		return 0;
	return jd_auth_roles_allow(p->roles, permission);
}

int jd_auth_parse_roles(const char *csv, unsigned *out, char *err, size_t errlen)
{
	char *copy = strdup(csv), *save = NULL;
	int rc = JD_OK;

	if (copy == NULL)
		return JD_E_NOMEM;
	*out = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;

		while (*t == ' ')
			t++;
		for (i = 0; i < N_ROLES && strcmp(roles[i].name, t) != 0; i++)
			;
		if (i == N_ROLES) {
			snprintf(err, errlen,
				 "unknown role '%.32s' (roles: admin, tenant_admin, "
				 "leader, staff, reviewer, trainer, auditor, viewer)",
				 t);
			rc = JD_E_INVALID;
			break;
		}
		*out |= roles[i].bit;
	}
	free(copy);
	return rc;
}

void jd_auth_format_roles(unsigned r, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < N_ROLES && used < len; i++)
		if (r & roles[i].bit)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "",
						 roles[i].name);
}

const char *jd_auth_cred_name(enum jd_cred c)
{
	switch (c) {
	case JD_CRED_CERT:
		return "cert";
	case JD_CRED_TOKEN:
		return "token";
	case JD_CRED_SESSION:
		return "session";
	case JD_CRED_PASSWORD:
		return "password";
	default:
		return "none";
	}
}

int jd_auth_user_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > JD_USER_ID_MAX ||
	    !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '.' ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* ---- record scope ------------------------------------------------------------ */

/*
 * Whether the comma-separated csv holds item[0..len).  Spaces around an
 * entry are ignored; an empty entry or item never matches.
 */
int jd_csv_has(const char *csv, const char *item, size_t len)
{
	const char *p = csv;

	while (len > 0 && *item == ' ') {
		item++;
		len--;
	}
	while (len > 0 && item[len - 1] == ' ')
		len--;
	if (csv == NULL || len == 0)
		return 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *q = p;

		while (n > 0 && *q == ' ') {
			q++;
			n--;
		}
		while (n > 0 && q[n - 1] == ' ')
			n--;
		if (n == len && strncmp(q, item, len) == 0)
			return 1;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

static int csv_has(const char *csv, const char *item)
{
	return item != NULL && jd_csv_has(csv, item, strlen(item));
}

/*
 * Whether the scope list csv grants item[0..len) of a record of tenant:
 * as a bare entry "x" (in every tenant of the principal's), or as
 * "<tenant>/x", good in that tenant only.  Group membership adds the
 * latter: unit and group codes are unique only within their county.
 */
static int scope_has(const char *csv, const char *tenant, const char *item, size_t len)
{
	char q[160];
	int n;

	if (item == NULL)
		return 0;
	if (jd_csv_has(csv, item, len))
		return 1;
	while (len > 0 && *item == ' ') {
		item++;
		len--;
	}
	while (len > 0 && item[len - 1] == ' ')
		len--;
	if (tenant == NULL || *tenant == '\0' || len == 0)
		return 0;
	n = snprintf(q, sizeof(q), "%s/%.*s", tenant, (int)len, item);
	return n > 0 && (size_t)n < sizeof(q) && jd_csv_has(csv, q, (size_t)n);
}

/* Whether a record's groups (comma-separated) meet the scope list granted. */
static int scope_meet(const char *groups, const char *tenant, const char *granted)
{
	const char *p = groups;

	if (groups == NULL || granted == NULL)
		return 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (scope_has(granted, tenant, p, n))
			return 1;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

/*
 * The one tenant rule: who belongs to a tenant belongs to every tenant
 * beneath it.  "Beneath" is read from the division codes (GB/T 2260),
 * which the tenant routes check against the tree on creation, so the
 * decision needs no read and cannot disagree between routes.
 */
int jd_auth_tenant_within(const struct jd_principal *p, const char *code)
{
	const char *e;

	if (p == NULL || code == NULL || *code == '\0')
		return 0;
	for (e = p->tenants; *e != '\0';) {
		const char *end = strchr(e, ',');
		size_t n = end ? (size_t)(end - e) : strlen(e);
		char entry[65]; /* a tenant code: at most 64 characters */

		while (n > 0 && *e == ' ') {
			e++;
			n--;
		}
		while (n > 0 && e[n - 1] == ' ')
			n--;
		if (n > 0 && n < sizeof(entry)) {
			memcpy(entry, e, n);
			entry[n] = '\0';
			if (jd_division_covers(entry, code))
				return 1;
		}
		if (end == NULL)
			break;
		e = end + 1;
	}
	return 0;
}

int jd_auth_tenant_readable(const struct jd_principal *p, const char *code, const char *parent)
{
	if (p == NULL || p->name[0] == '\0' || code == NULL || *code == '\0')
		return 0;
	if (p->roles & JD_ROLE_ADMIN)
		return 1;
	/* the parent too: a tenant created before the codes were checked against the tree */
	return jd_auth_tenant_within(p, code) ||
	       (parent != NULL && *parent != '\0' && jd_auth_tenant_within(p, parent));
}

enum jd_record_access jd_auth_record_access(const struct jd_principal *p,
					    const struct jd_record_scope *s)
{
	if (p == NULL || s == NULL || p->name[0] == '\0')
		return JD_RECORD_OUT_OF_SCOPE;
	/* recusal wins over every role: a recused admin does not see it either */
	if (csv_has(s->deny, p->name))
		return JD_RECORD_DENIED_BY_LIST;
	if (p->roles & JD_ROLE_ADMIN)
		return JD_RECORD_VISIBLE;
	if (!jd_auth_tenant_within(p, s->tenant))
		return JD_RECORD_OUT_OF_SCOPE;
	if (p->roles & (JD_ROLE_LEADER | JD_ROLE_REVIEWER))
		return JD_RECORD_VISIBLE;
	if ((p->roles & (JD_ROLE_STAFF | JD_ROLE_TRAINER)) &&
	    (scope_has(p->units, s->tenant, s->unit, s->unit ? strlen(s->unit) : 0) ||
	     scope_meet(s->groups, s->tenant, p->groups)))
		return JD_RECORD_VISIBLE;
	return JD_RECORD_OUT_OF_SCOPE;
}

int jd_auth_record_visible(const struct jd_principal *p, const struct jd_record_scope *s)
{
	return jd_auth_record_access(p, s) == JD_RECORD_VISIBLE;
}

/* ---- one request's decision ------------------------------------------------- */

struct pending {
	struct jd_store *store;
	const struct jd_route *route;
	struct jd_principal *p;
	jd_auth_done done;
	void *arg;
	char source[64];
	char prefix[JD_AUTH_PREFIX_LEN + 1]; /* a bearer token's first characters, or "" */
	char why[200];			     /* refusals: the reason, kept while counting */
	char identity[256];
	char token_hash[65];
	char county[7]; /* the user's org person "<county>/<person>", when linked */
	char person[33];
	struct event_base *base; /* sign-in by password: where the hash is checked */
	char password[JD_PASSWORD_MAX + 1];
	/* a bearer token whose user is remembered: both read in one round trip */
	int prefetching;		/* the user's reply follows the token's */
	char guess[JD_USER_ID_MAX + 1]; /* the user read with the token */
	int token_rc, user_rc;
	json_t *token_json, *user_json; /* their replies, until both are in */
	int session;
	char checked[128]; /* an identity whose shared counter was read (a principal's name) */
	/* the shared counters, read beside the secret: the secret's reply waits for them */
	int checking;
	int rl_which;
	unsigned rl_wait;
	int held_rc;
	json_t *held_json;
	void (*held_next)(struct pending *x, int rc, json_t *result);
};

static void finish(struct pending *x, int rc, int status, const char *why)
{
	x->done(x->arg, rc, status, why);
	sodium_memzero(x->password, sizeof(x->password));
	json_decref(x->token_json);
	json_decref(x->user_json);
	json_decref(x->held_json);
	free(x);
}

/*
 * A failed credential counts against the source, the token's prefix and,
 * when known, the identity.  From an address over its limit the answer is
 * 429: the guesser is told to stop, while a valid credential from the same
 * address still gets through (jd_auth_request looks it up all the same).
 */
static void refused(unsigned wait, void *arg)
{
	struct pending *x = arg;
	char msg[300];

	if (wait > 0) {
		snprintf(msg, sizeof(msg),
			 "%s; too many failed authentications from this address: "
			 "retry in %u s",
			 x->why, wait);
		finish(x, JD_E_FORBIDDEN, 429, msg);
		return;
	}
	finish(x, JD_E_FORBIDDEN, 401, x->why);
}

static void refuse(struct pending *x, const char *identity, const char *why)
{
	const char *kinds[3] = {"ip"}, *keys[3] = {x->source};
	int n = 1;

	snprintf(x->why, sizeof(x->why), "%s", why);
	if (x->prefix[0] != '\0') {
		kinds[n] = "pfx";
		keys[n++] = x->prefix;
	}
	if (identity != NULL && *identity) {
		snprintf(x->identity, sizeof(x->identity), "%s", identity);
		kinds[n] = "id";
		keys[n++] = x->identity;
	}
	/* answered once the shared count is known: a restart does not reset a guesser */
	jd_ratelimit_failures(n, kinds, keys, refused, x);
}

static void decide(struct pending *x)
{
	char why[200];

	if (jd_auth_roles_allow(x->p->roles, x->route->permission)) {
		finish(x, JD_OK, 200, NULL);
		return;
	}
	snprintf(why, sizeof(why), "'%.64s' lacks the permission %.64s", x->p->name,
		 x->route->permission);
	finish(x, JD_E_FORBIDDEN, 403, why);
}

static void copy_field(char *dst, size_t len, json_t *arr, const char *name)
{
	const char *v = jd_hgetall_field(arr, name);

	snprintf(dst, len, "%s", v ? v : "");
}

static void on_groups(int rc, json_t *result, void *arg)
{
	struct pending *x = arg;
	size_t dropped;

	if (rc != JD_OK) {
		finish(x, rc, 503, "the user store is unavailable; retry later");
		return;
	}
	dropped = jd_group_scope(result, x->county, x->person, x->p->units, sizeof(x->p->units),
				 x->p->groups, sizeof(x->p->groups));
	if (dropped > 0) /* the scope is narrower than the groups say, never wider */
		jd_warn("group scope cut to fit", "user=%s county=%s person=%s dropped=%zu",
			x->p->name, x->county, x->person, dropped);
	decide(x);
}

/*
 * Group membership feeds the scope (docs/security.md, "Record scope"): a
 * user linked to an org person ("<county>/<person id>") also gets the
 * member units and codes of that person's groups, qualified by the
 * county.  One HGETALL of the county's "groups:summary", bounded by the
 * number of groups of one county; skipped when the county is not within
 * the user's tenants (it could grant nothing there).
 */
static void feed_groups(struct pending *x, const char *link)
{
	const char *argv[2] = {"HGETALL", "groups:summary"};
	int rc;

	if (link == NULL || *link == '\0') {
		decide(x);
		return;
	}
	if (jd_person_link_parse(link, x->county, x->person) != JD_OK) {
		jd_warn("person link ignored: not <county>/<person id>", "user=%s", x->p->name);
		decide(x);
		return;
	}
	snprintf(x->p->person, sizeof(x->p->person), "%s/%s", x->county, x->person);
	if (!jd_auth_tenant_within(x->p, x->county)) {
		decide(x);
		return;
	}
	rc = jd_store_read(x->store, x->county, 2, argv, on_groups, x);
	if (rc != JD_OK)
		finish(x, rc, 503, "the user store is unavailable; retry later");
}

static void on_user(int rc, json_t *result, void *arg)
{
	struct pending *x = arg;
	const char *status, *role_csv;
	char err[160];

	if (rc != JD_OK) {
		finish(x, rc, 503, "the user store is unavailable; retry later");
		return;
	}
	if (json_array_size(result) == 0) {
		refuse(x, x->p->name, "no such user");
		return;
	}
	status = jd_hgetall_field(result, "status");
	if (status == NULL || strcmp(status, "active") != 0) {
		refuse(x, x->p->name, "the user is suspended");
		return;
	}
	role_csv = jd_hgetall_field(result, "roles");
	if (jd_auth_parse_roles(role_csv ? role_csv : "", &x->p->roles, err, sizeof(err)) != JD_OK)
		x->p->roles = 0; /* a role this version does not know grants nothing */
	copy_field(x->p->tenants, sizeof(x->p->tenants), result, "tenants");
	copy_field(x->p->units, sizeof(x->p->units), result, "units");
	copy_field(x->p->groups, sizeof(x->p->groups), result, "groups");
	feed_groups(x, jd_hgetall_field(result, "person"));
}

/* 429 for an identity over its limit: the answer a local or a shared block gets. */
static void refuse_identity(struct pending *x, unsigned wait)
{
	char why[120];

	snprintf(why, sizeof(why), "too many failed authentications for this user; retry in %u s",
		 wait);
	finish(x, JD_E_FORBIDDEN, 429, why);
}

static void user_checked(int which, unsigned wait, void *arg)
{
	struct pending *x = arg;
	char key[16 + sizeof(x->p->name)];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	(void)which;
	if (wait > 0) {
		refuse_identity(x, wait);
		return;
	}
	if (x->user_json != NULL && strcmp(x->guess, x->p->name) == 0) {
		json_t *u = x->user_json; /* read with the token: the same answer, now */

		x->user_json = NULL;
		on_user(x->user_rc, u, x);
		json_decref(u);
		return;
	}
	snprintf(key, sizeof(key), "user:%s", x->p->name);
	rc = jd_store_read(x->store, JD_SYSTEM_TENANT, 2, argv, on_user, x);
	if (rc != JD_OK)
		finish(x, rc, 503, "the user store is unavailable; retry later");
}

/*
 * The identity's counter is read from Redis before its record is, unless
 * this request read it already (with the token's beginning, or before a
 * password's hash): a block set by another worker or daemon holds here.
 */
static void lookup_user(struct pending *x)
{
	const char *kinds[1] = {"id"}, *keys[1] = {x->p->name};

	if (strcmp(x->checked, x->p->name) == 0) {
		user_checked(0, jd_ratelimit_blocked("id", x->p->name, time(NULL)), x);
		return;
	}
	snprintf(x->checked, sizeof(x->checked), "%s", x->p->name);
	jd_ratelimit_check(1, kinds, keys, user_checked, x);
}

/* 429 for a key found blocked before a secret is judged: its beginning (0) or its user. */
static void refuse_blocked(struct pending *x, int which, unsigned wait)
{
	char why[160];

	if (which != 0) {
		refuse_identity(x, wait);
		return;
	}
	snprintf(why, sizeof(why),
		 "too many failed authentications with this %s's beginning; retry in %u s",
		 x->session ? "session" : "token", wait);
	finish(x, JD_E_FORBIDDEN, 429, why);
}

typedef void (*secret_next)(struct pending *x, int rc, json_t *result);

/*
 * The secret's reply goes on (next) once the shared counters read beside
 * it are in, whichever comes first; a block found there refuses it.
 */
static void secret_reply(struct pending *x, int rc, json_t *result, secret_next next)
{
	if (x->checking) {
		x->held_rc = rc;
		x->held_json = json_incref(result);
		x->held_next = next;
		return;
	}
	if (x->rl_wait > 0) {
		refuse_blocked(x, x->rl_which, x->rl_wait);
		return;
	}
	next(x, rc, result);
}

static void counters_read(int which, unsigned wait, void *arg)
{
	struct pending *x = arg;
	json_t *held = x->held_json;

	x->checking = 0;
	x->rl_which = which;
	x->rl_wait = wait;
	if (x->held_next == NULL)
		return; /* the secret's reply comes later */
	x->held_json = NULL;
	secret_reply(x, x->held_rc, held, x->held_next);
	json_decref(held);
}

static void token_checked(struct pending *x, int rc, json_t *result)
{
	const char *user, *expires, *revoked, *hash;

	if (rc != JD_OK) {
		finish(x, rc, 503, "the token store is unavailable; retry later");
		return;
	}
	user = jd_hgetall_field(result, "user");
	expires = jd_hgetall_field(result, "expires");
	revoked = jd_hgetall_field(result, "revoked");
	hash = jd_hgetall_field(result, "hash");
	/* the key already matched; compare again without leaking timing anyway */
	if (user == NULL || hash == NULL || strlen(hash) != 64 ||
	    sodium_memcmp(hash, x->token_hash, 64) != 0) {
		refuse(x, NULL, "unknown bearer token");
		return;
	}
	if (revoked != NULL && strcmp(revoked, "1") == 0) {
		refuse(x, user, "the bearer token was revoked");
		return;
	}
	if (expires == NULL || atoll(expires) <= (long long)time(NULL)) {
		refuse(x, user, "the bearer token has expired");
		return;
	}
	snprintf(x->p->name, sizeof(x->p->name), "%s", user);
	copy_field(x->p->token_id, sizeof(x->p->token_id), result, "id");
	x->p->cred = JD_CRED_TOKEN;
	jd_token_user_put(x->token_hash, user);
	lookup_user(x);
}

static void on_token(int rc, json_t *result, void *arg)
{
	struct pending *x = arg;

	if (x->prefetching) { /* the user's reply comes next, on the same connection */
		x->token_rc = rc;
		x->token_json = rc == JD_OK ? json_incref(result) : NULL;
		return;
	}
	secret_reply(x, rc, result, token_checked);
}

static void on_user_prefetched(int rc, json_t *result, void *arg)
{
	struct pending *x = arg;
	json_t *t = x->token_json;

	x->prefetching = 0;
	x->token_json = NULL;
	x->user_rc = rc;
	x->user_json = rc == JD_OK ? json_incref(result) : NULL;
	secret_reply(x, x->token_rc, t, token_checked);
	json_decref(t);
}

/* The token's user, when remembered, read right behind the token (token_users.h). */
static void prefetch_user(struct pending *x)
{
	char key[16 + sizeof(x->guess)];
	const char *argv[2] = {"HGETALL", key};

	if (!jd_token_user_get(x->token_hash, x->guess, sizeof(x->guess)))
		return;
	snprintf(key, sizeof(key), "user:%s", x->guess);
	x->prefetching =
	    jd_store_read(x->store, JD_SYSTEM_TENANT, 2, argv, on_user_prefetched, x) == JD_OK;
}

/*
 * A secret (a bearer token, a session cookie) is looked up by its hash
 * under "<kind>:<hash>", never by itself; malformed: refused unread.
 * JD_OK: the read is sent; else x is answered (or being answered).
 */
static int lookup_secret(struct pending *x, const char *prefix, const char *secret,
			 const char *kind, const char *cmd, jd_read_cb cb, const char *malformed)
{
	char key[80];
	const char *argv[2] = {cmd, key};
	int rc;

	if (jd_secret_hash(prefix, secret, x->token_hash) != JD_OK) {
		refuse(x, NULL, malformed);
		return JD_E_INVALID;
	}
	snprintf(key, sizeof(key), "%s:%s", kind, x->token_hash);
	rc = jd_store_read(x->store, JD_SYSTEM_TENANT, 2, argv, cb, x);
	if (rc != JD_OK) {
		finish(x, rc, 503, "the credential store is unavailable; retry later");
		return rc;
	}
	if (cb == on_token)
		prefetch_user(x);
	return JD_OK;
}

static int resolve_token(struct pending *x, const char *header)
{
	const char *token = header + 7;

	while (*token == ' ')
		token++;
	return lookup_secret(x, JD_TOKEN_PREFIX, token, "token", "HGETALL", on_token,
			     "malformed bearer token");
}

static void session_checked(struct pending *x, int rc, json_t *result)
{
	char user[JD_USER_ID_MAX + 1];
	long long expires = 0;

	if (rc != JD_OK) {
		finish(x, rc, 503, "the session store is unavailable; retry later");
		return;
	}
	if (!json_is_string(result) ||
	    jd_session_parse(json_string_value(result), user, sizeof(user), &expires) != JD_OK) {
		refuse(x, NULL, "the session has ended or was revoked: sign in again");
		return;
	}
	if (expires <= (long long)time(NULL)) {
		refuse(x, user, "the session has expired: sign in again");
		return;
	}
	snprintf(x->p->name, sizeof(x->p->name), "%s", user);
	x->p->cred = JD_CRED_SESSION;
	lookup_user(x);
}

static void on_session(int rc, json_t *result, void *arg)
{
	secret_reply(arg, rc, result, session_checked);
}

static int resolve_session(struct pending *x, const char *cookie)
{
	return lookup_secret(x, JD_SESSION_PREFIX, cookie, "session", "GET", on_session,
			     "malformed session cookie: sign in again");
}

static void resolve_cert(struct pending *x, const struct jd_auth_input *in)
{
	char ou[64], why[160];
	int rc = jd_tls_peer_identity(in->ssl, x->p->name, sizeof(x->p->name), ou, sizeof(ou));

	if (rc != JD_OK) {
		snprintf(why, sizeof(why), "client certificate refused: %s",
			 jd_tls_peer_refusal(in->ssl));
		x->p->name[0] = '\0';
		refuse(x, NULL, why);
		return;
	}
	x->p->cred = JD_CRED_CERT;
	/* the instance administrator's certificate, made by `jianductl init` */
	if (strcmp(ou, "admin") == 0) {
		x->p->roles = JD_ROLE_ADMIN;
		x->p->instance_admin_cert = 1;
		decide(x);
		return;
	}
	if (!jd_auth_user_id_valid(x->p->name)) {
		refuse(x, NULL, "the certificate's CN is not a user id");
		return;
	}
	lookup_user(x);
}

/*
 * The first JD_AUTH_PREFIX_LEN characters of a bearer token ("jdt_" and
 * 48 of its random bits): enough to tell tokens apart, far too little to
 * use one.  "" for another scheme.
 */
static const char *token_prefix(const char *authorization, char out[JD_AUTH_PREFIX_LEN + 1])
{
	const char *t = authorization + 7;

	out[0] = '\0';
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return out;
	while (*t == ' ')
		t++;
	snprintf(out, JD_AUTH_PREFIX_LEN + 1, "%s", t);
	return out;
}

static int has_peer_cert(SSL *ssl)
{
	X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;

	return peer != NULL;
}

static struct pending *new_pending(struct jd_store *store, const struct jd_auth_input *in,
				   struct jd_principal *p, jd_auth_done done, void *arg)
{
	struct pending *x = calloc(1, sizeof(*x));

	if (x == NULL) {
		done(arg, JD_E_NOMEM, 503, "out of memory");
		return NULL;
	}
	x->store = store;
	x->route = in->route;
	x->p = p;
	x->done = done;
	x->arg = arg;
	snprintf(x->source, sizeof(x->source), "%s", in->source ? in->source : "-");
	return x;
}

/*
 * The secret a request without a certificate presents, and its first
 * characters (which count failures of one guessed secret): a bearer
 * token, else a session cookie.  *session says which.
 */
static const char *presented_secret(const struct jd_auth_input *in, char *cookie, size_t len,
				    char prefix[JD_AUTH_PREFIX_LEN + 1], int *session)
{
	*session = 0;
	prefix[0] = '\0';
	if (in->authorization != NULL) {
		token_prefix(in->authorization, prefix);
		return in->authorization;
	}
	if (in->cookie == NULL || !jd_session_from_cookie(in->cookie, cookie, len))
		return NULL;
	*session = 1;
	snprintf(prefix, JD_AUTH_PREFIX_LEN + 1, "%.12s", cookie);
	return cookie;
}

/*
 * A session cookie authenticates reads only: the browser sends it with
 * any request to this origin, so a write must carry a credential a page
 * cannot be made to send (SameSite=Strict is the first fence, this the
 * second).
 */
static int cookie_method_ok(const struct jd_auth_input *in)
{
	return in->method != NULL && strcmp(in->method, "GET") == 0;
}

/*
 * Guessing at one secret (a known beginning) is refused before any
 * lookup.  Its counter, and the remembered user of a token, are also read
 * from Redis in the same round trip as the secret (and that user), so a
 * block set by another worker or daemon holds here; the secret's reply
 * waits for them (secret_reply).  The address's limit does not refuse up
 * front: someone else's failures from a shared address (a NAT, a proxy)
 * must not lock out a valid credential; refuse() answers the guesser 429.
 */
static void check_secret(struct pending *x, const char *prefix, const char *secret, int session)
{
	const char *kinds[2] = {"pfx", "id"}, *keys[2] = {x->prefix, x->checked};
	unsigned wait;
	int n = 1, rc;

	snprintf(x->prefix, sizeof(x->prefix), "%s", prefix);
	x->session = session;
	wait = jd_ratelimit_blocked("pfx", x->prefix, time(NULL));
	if (wait > 0) {
		refuse_blocked(x, 0, wait);
		return;
	}
	if (x->store == NULL) {
		finish(x, JD_E_UNAVAILABLE, 503, "the token store is unavailable; retry later");
		return;
	}
	if (!session && strncasecmp(secret, "Bearer ", 7) != 0) {
		refuse(x, NULL, "unsupported Authorization scheme: use Bearer");
		return;
	}
	x->checking = 1; /* a reply that comes at once waits too */
	rc = session ? resolve_session(x, secret) : resolve_token(x, secret);
	if (rc != JD_OK)
		return; /* answered */
	if (x->prefetching) {
		snprintf(x->checked, sizeof(x->checked), "%s", x->guess);
		n = 2;
	}
	jd_ratelimit_check(n, kinds, keys, counters_read, x);
}

static void authenticate(struct jd_store *store, const struct jd_auth_input *in,
			 struct jd_principal *p, jd_auth_done done, void *arg)
{
	struct pending *x;
	char why[160], prefix[JD_AUTH_PREFIX_LEN + 1], cookie[JD_TOKEN_MAX];
	const char *secret = NULL;
	int session = 0;

	if (!has_peer_cert(in->ssl))
		secret = presented_secret(in, cookie, sizeof(cookie), prefix, &session);
	if (session && !cookie_method_ok(in)) {
		snprintf(why, sizeof(why),
			 "a browser session reads only (GET): %.8s needs a client certificate or "
			 "a bearer token",
			 in->method ? in->method : "-");
		done(arg, JD_E_FORBIDDEN, 403, why);
		return;
	}
	x = new_pending(store, in, p, done, arg);
	if (x == NULL)
		return;
	if (has_peer_cert(in->ssl))
		resolve_cert(x, in);
	else if (secret == NULL)
		refuse(x, NULL, "no credential: present a client certificate or a bearer token");
	else
		check_secret(x, prefix, secret, session);
}

void jd_auth_request(struct jd_store *store, const struct jd_auth_input *in, struct jd_principal *p,
		     jd_auth_done done, void *arg)
{
	memset(p, 0, sizeof(*p));
	if (in->route->flags & JD_ROUTE_NO_AUTH) {
		done(arg, JD_OK, 200, NULL);
		return;
	}
	authenticate(store, in, p, done, arg);
}

void jd_auth_identify(struct jd_store *store, const struct jd_auth_input *in,
		      struct jd_principal *p, jd_auth_done done, void *arg)
{
	char cookie[JD_TOKEN_MAX];

	memset(p, 0, sizeof(*p));
	if (!has_peer_cert(in->ssl) && in->authorization == NULL &&
	    (in->cookie == NULL || !jd_session_from_cookie(in->cookie, cookie, sizeof(cookie)))) {
		done(arg, JD_E_FORBIDDEN, 401, "no credential"); /* asking is no failure */
		return;
	}
	authenticate(store, in, p, done, arg);
}

/* ---- the browser's sign-in by password ------------------------------------- */

#define SIGN_IN_REFUSED "unknown user or wrong password"

static void on_password_checked(int rc, const char *hash, void *arg)
{
	struct pending *x = arg;

	(void)hash;
	sodium_memzero(x->password, sizeof(x->password));
	if (rc == JD_E_FORBIDDEN) {
		refuse(x, x->p->name, SIGN_IN_REFUSED);
		return;
	}
	if (rc != JD_OK) {
		finish(x, rc, 503, "the password could not be checked; retry later");
		return;
	}
	x->p->cred = JD_CRED_PASSWORD;
	lookup_user(x);
}

static void on_password_hash(int rc, json_t *result, void *arg)
{
	struct pending *x = arg;
	const char *stored = json_string_value(result);

	if (rc != JD_OK) {
		finish(x, rc, 503, "the user store is unavailable; retry later");
		return;
	}
	if (stored == NULL) { /* no such user, or no password set: the same answer */
		refuse(x, x->p->name, SIGN_IN_REFUSED);
		return;
	}
	rc = jd_pwhash_verify(x->base, stored, x->password, on_password_checked, x);
	if (rc == JD_E_UNAVAILABLE)
		finish(x, rc, 503, "too many sign-ins at once; retry in a moment");
	else if (rc != JD_OK)
		refuse(x, x->p->name, SIGN_IN_REFUSED);
}

static void password_checked(int which, unsigned wait, void *arg)
{
	struct pending *x = arg;
	char key[16 + sizeof(x->p->name)];
	const char *argv[3] = {"HGET", key, "hash"};
	int rc;

	(void)which;
	if (wait > 0) {
		refuse_identity(x, wait);
		return;
	}
	snprintf(key, sizeof(key), "password:%s", x->p->name);
	rc = jd_store_read(x->store, JD_SYSTEM_TENANT, 3, argv, on_password_hash, x);
	if (rc != JD_OK)
		finish(x, rc, 503, "the user store is unavailable; retry later");
}

static void sign_in_password(struct pending *x, const char *user, const char *password)
{
	const char *kinds[1] = {"id"}, *keys[1] = {x->p->name};

	if (!jd_auth_user_id_valid(user) || !jd_password_length_ok(strlen(password))) {
		refuse(x, NULL, SIGN_IN_REFUSED);
		return;
	}
	snprintf(x->p->name, sizeof(x->p->name), "%s", user);
	snprintf(x->password, sizeof(x->password), "%s", password);
	/*
	 * Before the costly hash, the user's counter here and in Redis: a user
	 * blocked by any worker is not worth a tenth of a second, and a right
	 * password guessed at another worker is refused all the same.
	 */
	snprintf(x->checked, sizeof(x->checked), "%s", user);
	jd_ratelimit_check(1, kinds, keys, password_checked, x);
}

void jd_auth_sign_in(struct jd_store *store, struct event_base *base,
		     const struct jd_auth_input *in, const char *user, const char *password,
		     struct jd_principal *p, jd_auth_done done, void *arg)
{
	struct pending *x;

	memset(p, 0, sizeof(*p));
	x = new_pending(store, in, p, done, arg);
	if (x == NULL)
		return;
	x->base = base;
	if (has_peer_cert(in->ssl))
		resolve_cert(x, in);
	else if (user == NULL || password == NULL)
		refuse(x, NULL,
		       "no credential: sign in with a client certificate, or a user and password");
	else if (store == NULL)
		finish(x, JD_E_UNAVAILABLE, 503, "the user store is unavailable; retry later");
	else
		sign_in_password(x, user, password);
}
