/* Bearer tokens: creation (shown once), listing, revocation; only hashes are stored. */
#include "security/tokens.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "runtime/log.h"
#include "transport/req_list.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"
#include "security/users.h"

#define TOKEN_RANDOM_BYTES 32
#define LIST_DEFAULT	   200 /* tokens per page unless asked */
/* tokens:summary holds, per token id: user|label|created|expires|revoked|hash */
#define SUMMARY_FMT    "%s|%s|%s|%s|%s|%s"
#define SUMMARY_FIELDS 6

/* Splits a summary into its fields (in buf; fields may be empty); JD_OK when all are there. */
static int split_summary(const char *s, char *buf, size_t len, char *f[SUMMARY_FIELDS])
{
	char *p = buf;
	int n = 0;

	snprintf(buf, len, "%s", s ? s : "");
	f[n++] = p;
	for (; *p && n < SUMMARY_FIELDS; p++) {
		if (*p == '|') {
			*p = '\0';
			f[n++] = p + 1;
		}
	}
	return n == SUMMARY_FIELDS && strchr(f[SUMMARY_FIELDS - 1], '|') == NULL ? JD_OK
										 : JD_E_INVALID;
}

int jd_secret_hash(const char *prefix, const char *token, char out[65])
{
	unsigned char h[32];
	size_t n = strlen(token), plen = strlen(prefix);

	if (n < plen + 4 || n >= JD_TOKEN_MAX || strncmp(token, prefix, plen) != 0)
		return JD_E_INVALID;
	for (const char *p = token + plen; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
			return JD_E_INVALID;
	crypto_generichash(h, sizeof(h), (const unsigned char *)token, n, NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
	return JD_OK;
}

int jd_secret_new(const char *prefix, char token[JD_TOKEN_MAX], char hash[65])
{
	unsigned char rnd[TOKEN_RANDOM_BYTES];
	size_t plen = strlen(prefix);

	randombytes_buf(rnd, sizeof(rnd));
	memcpy(token, prefix, plen);
	sodium_bin2base64(token + plen, JD_TOKEN_MAX - plen, rnd, sizeof(rnd),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
	return jd_secret_hash(prefix, token, hash);
}

int jd_token_hash(const char *token, char out[65])
{
	return jd_secret_hash(JD_TOKEN_PREFIX, token, out);
}

int jd_token_new(char token[JD_TOKEN_MAX], char hash[65])
{
	return jd_secret_new(JD_TOKEN_PREFIX, token, hash);
}

int jd_token_parse_ttl(const char *s, long long *seconds)
{
	char *end;
	long long n, unit;

	if (!isdigit((unsigned char)*s))
		return JD_E_INVALID;
	n = strtoll(s, &end, 10);
	switch (*end) {
	case 'd':
		unit = 86400;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'm':
		unit = 60;
		break;
	case 's':
		unit = 1;
		break;
	default:
		return JD_E_INVALID;
	}
	if (end[1] != '\0' || n <= 0 || n > 365LL * 86400 || n * unit < 60 ||
	    n * unit > 365LL * 86400)
		return JD_E_INVALID;
	*seconds = n * unit;
	return JD_OK;
}

/* ---- POST /v1/tokens ------------------------------------------------------- */

struct create_ctx {
	jd_req *req;
	char user[JD_USER_ID_MAX + 1];
	char label[65];
	long long ttl;
	char token[JD_TOKEN_MAX];
	char hash[65];
	char id[33];
	long long expires;
};

/* The token is shown once: wiped with the request. */
static void create_ctx_wipe(void *ptr)
{
	struct create_ctx *c = ptr;

	sodium_memzero(c->token, sizeof(c->token));
}

static void on_token_stored(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct create_ctx *c = arg;

	(void)res;
	if (rc != JD_OK) {
		jd_reply_rc(c->req, rc, "token");
	} else {
		jd_notice("token created", "req=%s user=%s token_id=%s by=%s", c->req->id, c->user,
			  c->id, c->req->principal.name);
		jd_reply_json(c->req, 201,
			      json_pack("{s:s, s:s, s:s, s:I, s:s}", "token", c->token, "id", c->id,
					"user", c->user, "expires", (json_int_t)c->expires, "note",
					"shown once: store it now"));
	}
}

static int store_token(struct create_ctx *c)
{
	char record[80], created[24], expires[24], summary[256];
	const char *set[] = {"user",	c->user,   "id",    c->id,     "label",
			     c->label,	"created", created, "expires", expires,
			     "revoked", "0",	   "hash",  c->hash,   NULL};
	struct jd_op ops[] = {
	    {JD_OP_ZADD, "tokens:by_time", c->id, created},
	    {JD_OP_HSET, "tokens:summary", c->id, summary},
	};

	snprintf(record, sizeof(record), "token:%s", c->hash);
	snprintf(created, sizeof(created), "%lld", (long long)time(NULL));
	c->expires = (long long)time(NULL) + c->ttl;
	snprintf(expires, sizeof(expires), "%lld", c->expires);
	snprintf(summary, sizeof(summary), SUMMARY_FMT, c->user, c->label, created, expires, "0",
		 c->hash);
	return jd_store_mutate(c->req->srv->store,
			       &(const struct jd_mutation){.tenant = JD_SYSTEM_TENANT,
							   .record = record,
							   .expect_version = JD_VERSION_NEW,
							   .set = set,
							   .ops = ops,
							   .n_ops = 2,
							   .req = c->req,
							   .action = "tokens.create"},
			       on_token_stored, c);
}

static void on_token_user(int rc, const struct jd_user_view *u, void *arg)
{
	struct create_ctx *c = arg;

	if (rc != JD_OK) {
		jd_reply_rc(c->req, rc, "user");
	} else if (u == NULL ||
		   !jd_users_caller_may_manage(&c->req->principal, u->tenants, u->roles)) {
		/* out of scope: as if the user did not exist */
		jd_reply_error(c->req, 404, "not_found", "no user '%s'", c->user);
	} else if (!jd_users_may_act_as(&c->req->principal, u->roles)) {
		jd_reply_error(c->req, 403, "forbidden",
			       "a token for '%s' would carry roles you do not hold", c->user);
	} else if (strcmp(u->status, "active") != 0) {
		jd_reply_error(c->req, 409, "conflict", "user '%s' is suspended", c->user);
	} else if ((rc = store_token(c)) != JD_OK) {
		jd_reply_rc(c->req, rc, "token");
	}
}

static void create_token(jd_req *req, void *arg)
{
	const char *user = json_string_value(json_object_get(req->input, "user"));
	const char *ttl = json_string_value(json_object_get(req->input, "ttl"));
	const char *label = json_string_value(json_object_get(req->input, "label"));
	struct create_ctx *c;
	unsigned char rnd[16];

	(void)arg;
	c = jd_req_ctx(req, sizeof(*c), create_ctx_wipe);
	if (c == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "token");
		return;
	}
	c->req = req;
	if (!jd_auth_user_id_valid(user) ||
	    jd_token_parse_ttl(ttl ? ttl : "30d", &c->ttl) != JD_OK) {
		jd_reply_error(req, 400, "invalid", "%s",
			       !jd_auth_user_id_valid(user)
				   ? "field 'user' is not a user id"
				   : "field 'ttl' must be like 30d, 12h or 90m (1 minute to "
				     "365 days)");
		return;
	}
	snprintf(c->user, sizeof(c->user), "%s", user);
	snprintf(c->label, sizeof(c->label), "%s", label ? label : "");
	for (char *p = c->label; *p; p++)
		if (*p == '|' || (unsigned char)*p < 0x20)
			*p = ' ';
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(c->id, sizeof(c->id), rnd, sizeof(rnd));
	if (jd_token_new(c->token, c->hash) != JD_OK ||
	    jd_users_fetch(req->srv->store, c->user, on_token_user, c) != JD_OK)
		jd_reply_rc(req, JD_E_UNAVAILABLE, "token");
}

/* ---- GET /v1/tokens -------------------------------------------------------- */

struct list_ctx {
	jd_req *req;
	char user[JD_USER_ID_MAX + 1]; /* only this user's tokens; "": all */
};

static json_t *token_summary(const char *id, const char *s)
{
	char buf[256], *f[SUMMARY_FIELDS];

	if (split_summary(s, buf, sizeof(buf), f) != JD_OK)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:b, s:b}", "id", id, "user", f[0], "label",
			 f[1], "created", (json_int_t)atoll(f[2]), "expires",
			 (json_int_t)atoll(f[3]), "revoked", strcmp(f[4], "1") == 0, "expired",
			 atoll(f[3]) <= (long long)time(NULL));
}

/* The owner of a token, whose summary says whether a tenant admin sees it. */
static const char *token_owner(void *arg, const char *id, const char *summary, char *buf,
			       size_t len)
{
	char sbuf[256], *f[SUMMARY_FIELDS];

	(void)arg;
	(void)id;
	if (split_summary(summary, sbuf, sizeof(sbuf), f) != JD_OK)
		return NULL;
	snprintf(buf, len, "%s", f[0]);
	return buf;
}

/* Tenant admins see only the tokens of users they manage (owner: the user's summary). */
static int token_item(void *arg, const char *id, const char *summary, const char *owner,
		      json_t **item)
{
	struct list_ctx *l = arg;
	json_t *t = token_summary(id, summary);
	const char *user = json_string_value(json_object_get(t, "user"));

	*item = NULL;
	if (t == NULL) /* malformed summary */
		return JD_OK;
	if ((l->user[0] && strcmp(user, l->user) != 0) ||
	    (!(l->req->principal.roles & JD_ROLE_ADMIN) &&
	     !jd_users_summary_managed(&l->req->principal, owner)))
		json_decref(t);
	else
		*item = t;
	return JD_OK;
}

static void list_tokens(jd_req *req, void *arg)
{
	const char *user = json_string_value(json_object_get(req->input, "user"));
	struct list_ctx *l = jd_req_ctx(req, sizeof(*l), NULL);
	int admin = (req->principal.roles & JD_ROLE_ADMIN) != 0;
	struct jd_listing spec = {
	    .tenant = JD_SYSTEM_TENANT,
	    .index = "tokens:by_time",
	    .summaries = "tokens:summary",
	    .newest_first = 1,
	    .join = admin ? NULL : "users:summary",
	    .join_key = token_owner,
	    .item = token_item,
	    .arg = l,
	};

	(void)arg;
	if (l == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "tokens");
		return;
	}
	l->req = req;
	snprintf(l->user, sizeof(l->user), "%s", user ? user : "");
	jd_reply_listing(req, &spec, NULL, "tokens", NULL, LIST_DEFAULT);
}

/* ---- DELETE /v1/tokens/{id} ------------------------------------------------ */

struct revoke_ctx {
	jd_req *req;
	char id[33];
	char summary[256];
	char record[80];
	char user[JD_USER_ID_MAX + 1];
};

static void on_revoked(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct revoke_ctx *r = arg;

	(void)res;
	if (rc != JD_OK) {
		jd_reply_rc(r->req, rc, "token");
	} else {
		jd_notice("token revoked", "req=%s token_id=%s by=%s", r->req->id, r->id,
			  r->req->principal.name);
		jd_reply_json(r->req, 200, json_pack("{s:s, s:b}", "id", r->id, "revoked", 1));
	}
}

static void on_revoke_owner(int rc, const struct jd_user_view *u, void *arg)
{
	struct revoke_ctx *r = arg;
	const char *set[] = {"revoked", "1", NULL};
	struct jd_op op = {JD_OP_HSET, "tokens:summary", r->id, r->summary};

	if (rc != JD_OK) {
		jd_reply_rc(r->req, rc, "token");
		return;
	}
	/* a token of a user outside the caller's scope: as if it did not exist */
	if (u == NULL || !jd_users_caller_may_manage(&r->req->principal, u->tenants, u->roles)) {
		jd_reply_error(r->req, 404, "not_found", "no token '%s'", r->id);
		return;
	}
	rc = jd_store_mutate(r->req->srv->store,
			     &(const struct jd_mutation){.tenant = JD_SYSTEM_TENANT,
							 .record = r->record,
							 .expect_version = JD_VERSION_ANY,
							 .set = set,
							 .ops = &op,
							 .n_ops = 1,
							 .req = r->req,
							 .action = "tokens.revoke"},
			     on_revoked, r);
	if (rc != JD_OK)
		jd_reply_rc(r->req, rc, "token");
}

static void on_revoke_lookup(int rc, json_t *result, void *arg)
{
	struct revoke_ctx *r = arg;
	char buf[256], *f[SUMMARY_FIELDS];

	if (rc != JD_OK || split_summary(json_string_value(result), buf, sizeof(buf), f) != JD_OK) {
		if (rc != JD_OK)
			jd_reply_rc(r->req, rc, "token");
		else
			jd_reply_error(r->req, 404, "not_found", "no token '%s'", r->id);
		return;
	}
	snprintf(r->record, sizeof(r->record), "token:%s", f[5]);
	snprintf(r->user, sizeof(r->user), "%s", f[0]);
	snprintf(r->summary, sizeof(r->summary), SUMMARY_FMT, f[0], f[1], f[2], f[3], "1", f[5]);
	rc = jd_users_fetch(r->req->srv->store, r->user, on_revoke_owner, r);
	if (rc == JD_E_INVALID) /* a malformed owner in the summary */
		rc = JD_ERR;
	if (rc != JD_OK)
		jd_reply_rc(r->req, rc, "token");
}

static void revoke_token(jd_req *req, void *arg)
{
	const char *id = jd_params_get(&req->params, "id");
	const char *argv[] = {"HGET", "tokens:summary", id};
	struct revoke_ctx *r;
	int rc;

	(void)arg;
	if (strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32) {
		jd_reply_error(req, 404, "not_found", "no token '%.40s'", id);
		return;
	}
	r = jd_req_ctx(req, sizeof(*r), NULL);
	rc = r ? JD_OK : JD_E_NOMEM;
	if (rc == JD_OK) {
		r->req = req;
		snprintf(r->id, sizeof(r->id), "%s", id);
		rc = jd_store_read(req->srv->store, JD_SYSTEM_TENANT, 3, argv, on_revoke_lookup, r);
	}
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "token");
}

static const struct jd_field create_fields[] = {
    {"user", JD_FIELD_STRING, 1, JD_USER_ID_MAX, "the user the token acts as", 0},
    {"ttl", JD_FIELD_STRING, 0, 8, "lifetime: 30d (default), 12h, 90m; at most 365d", 0},
    {"label", JD_FIELD_STRING, 0, 64, "what the token is for", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field list_fields[] = {
    {"user", JD_FIELD_STRING, 0, JD_USER_ID_MAX, "only this user's tokens", 0},
    JD_LIST_FIELDS,
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route token_routes[] = {
    {"POST", "/v1/tokens", "tokens.write", "Create a bearer token (shown once)", "tokens create",
     create_fields, 0, create_token, NULL},
    {"GET", "/v1/tokens", "tokens.read",
     "List tokens, newest first, a page at a time (never the tokens)", "tokens list", list_fields,
     0, list_tokens, NULL},
    {"DELETE", "/v1/tokens/{id}", "tokens.write", "Revoke a token (next request refused)",
     "tokens revoke", NULL, 0, revoke_token, NULL},
};

int jd_tokens_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, token_routes,
				   sizeof(token_routes) / sizeof(token_routes[0]), "core", err,
				   errlen);
}
