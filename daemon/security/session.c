/*
 * Browser sessions: POST /v1/session signs in (a client certificate, or a
 * password) and sets the cookie; GET /v1/session says who is signed in;
 * DELETE /v1/session signs out; PUT /v1/users/{id}/password sets a
 * password.  The decisions are auth.c's; this file keeps the sessions.
 */
#include "security/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <sodium.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"
#include "runtime/log.h"
#include "security/auth.h"
#include "security/pwhash.h"
#include "security/tokens.h"
#include "security/users.h"
#include "storage/redis.h"
#include "storage/store.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"

#define KEY_PREFIX   "jd:{" JD_SYSTEM_TENANT "}:"
#define COOKIE_ATTRS "Path=/; Secure; HttpOnly; SameSite=Strict"

/* Stores the session, adds it to its user's set; both live as long as the newest session. */
static const char mint_script[] =
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) "
    "redis.call('SADD', KEYS[2], ARGV[3]) "
    "local t = redis.call('TTL', KEYS[2]) "
    "if t < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[2], ARGV[2]) end "
    "return 1";
/* Ends one session, and takes it out of its user's set. */
static const char end_script[] = "local v = redis.call('GET', KEYS[1]) "
				 "if not v then return 0 end "
				 "redis.call('DEL', KEYS[1]) "
				 "local u = string.match(v, '^([^|]+)|') "
				 "if u then redis.call('SREM', ARGV[1] .. u, ARGV[2]) end "
				 "return 1";
/* Ends every session of a user. */
static const char end_user_script[] =
    "local m = redis.call('SMEMBERS', KEYS[1]) "
    "for _, h in ipairs(m) do redis.call('DEL', ARGV[1] .. h) end "
    "redis.call('DEL', KEYS[1]) "
    "return #m";

int jd_session_from_cookie(const char *header, char *out, size_t len)
{
	static const char name[] = JD_SESSION_COOKIE "=";
	const char *p = header;

	while (p != NULL && *p) {
		size_t n;

		while (*p == ' ' || *p == ';')
			p++;
		n = strcspn(p, ";");
		if (strncmp(p, name, sizeof(name) - 1) == 0) {
			size_t v = n - (sizeof(name) - 1);

			if (v == 0 || v >= len)
				return 0;
			memcpy(out, p + sizeof(name) - 1, v);
			out[v] = '\0';
			return 1;
		}
		p += n;
	}
	return 0;
}

int jd_session_parse(const char *value, char *user, size_t len, long long *expires)
{
	const char *bar = value ? strchr(value, '|') : NULL;
	char *end;
	size_t n;

	if (bar == NULL || (n = (size_t)(bar - value)) == 0 || n >= len)
		return JD_E_INVALID;
	memcpy(user, value, n);
	user[n] = '\0';
	*expires = strtoll(bar + 1, &end, 10);
	return *end == '\0' && *expires > 0 && jd_auth_user_id_valid(user) ? JD_OK : JD_E_INVALID;
}

static void on_ended_logged(int rc, redisReply *reply, void *arg)
{
	char *user = arg;

	if (rc != JD_OK || reply->type == REDIS_REPLY_ERROR)
		jd_warn("sessions not ended (the user's status still refuses them)",
			"user=%s rc=%d", user, rc);
	free(user);
}

void jd_sessions_end_user(struct jd_redis *r, const char *user)
{
	char set[160], *copy = strdup(user);
	const char *argv[] = {"EVAL", end_user_script, "1", set, KEY_PREFIX "session:"};

	snprintf(set, sizeof(set), KEY_PREFIX "sessions:%s", user);
	if (copy == NULL || r == NULL ||
	    jd_redis_command(r, 5, argv, NULL, on_ended_logged, copy) != JD_OK)
		on_ended_logged(JD_E_UNAVAILABLE, NULL, copy ? copy : strdup("-"));
}

/* ---- GET /v1/session: who is signed in ------------------------------------ */

static json_t *principal_json(const struct jd_principal *p)
{
	char roles[160];

	jd_auth_format_roles(p->roles, roles, sizeof(roles));
	return json_pack("{s:s, s:s, s:s, s:s}", "user", p->name, "roles", roles, "tenants",
			 p->tenants, "credential", jd_auth_cred_name(p->cred));
}

static void on_identified(void *arg, int rc, int status, const char *why)
{
	jd_req *req = arg;
	json_t *body;

	if (rc == JD_OK) {
		body = principal_json(&req->principal);
		json_object_set_new(body, "signed_in", json_true());
		jd_reply_json(req, 200, body);
	} else if (status == 401) { /* a question the page asks before sign-in: no error */
		jd_reply_json(req, 200, json_pack("{s:b, s:s}", "signed_in", 0, "reason", why));
	} else {
		jd_reply_auth_refusal(req, status, why);
	}
}

/* Who is signed in: 200 either way, so that the page's first question is no failure. */
static void show_session(jd_req *req, void *arg)
{
	struct jd_auth_input in;

	(void)arg;
	jd_req_auth_input(req, &in);
	jd_auth_identify(req->srv->store, &in, &req->principal, on_identified, req);
}

/* ---- POST /v1/session: sign in ------------------------------------------- */

struct sign_in {
	jd_req *req;
	char token[JD_TOKEN_MAX];
	char hash[65];
	long long expires;
	char target[144];
};

static void sign_in_wipe(void *ptr)
{
	struct sign_in *s = ptr;

	sodium_memzero(s->token, sizeof(s->token));
}

static void on_minted(int rc, redisReply *reply, void *arg)
{
	struct sign_in *s = arg;
	jd_req *req = s->req;
	char cookie[JD_TOKEN_MAX + 160];
	json_t *body;

	if (rc != JD_OK || reply->type == REDIS_REPLY_ERROR) {
		jd_reply_rc(req, rc != JD_OK ? rc : JD_ERR, "session");
		return;
	}
	jd_req_audit(req, JD_SYSTEM_TENANT, "session.create", s->target, "ok");
	snprintf(cookie, sizeof(cookie), JD_SESSION_COOKIE "=%s; Max-Age=%u; " COOKIE_ATTRS,
		 s->token, req->srv->cfg->session_ttl);
	evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Set-Cookie", cookie);
	body = principal_json(&req->principal);
	json_object_set_new(body, "expires", json_integer(s->expires));
	jd_reply_json(req, 201, body);
}

static int mint(struct sign_in *s)
{
	jd_req *req = s->req;
	char key[128], set[160], value[160], ttl[16];
	const char *argv[] = {"EVAL", mint_script, "2", key, set, value, ttl, s->hash};

	if (req->srv->redis == NULL)
		return JD_E_UNAVAILABLE;
	if (jd_secret_new(JD_SESSION_PREFIX, s->token, s->hash) != JD_OK)
		return JD_ERR;
	s->expires = (long long)time(NULL) + req->srv->cfg->session_ttl;
	snprintf(key, sizeof(key), KEY_PREFIX "session:%s", s->hash);
	snprintf(set, sizeof(set), KEY_PREFIX "sessions:%s", req->principal.name);
	snprintf(value, sizeof(value), "%s|%lld", req->principal.name, s->expires);
	snprintf(ttl, sizeof(ttl), "%u", req->srv->cfg->session_ttl);
	return jd_redis_command(req->srv->redis, 8, argv, NULL, on_minted, s);
}

static void on_signed_in(void *arg, int rc, int status, const char *why)
{
	struct sign_in *s = arg;
	jd_req *req = s->req;

	snprintf(s->target, sizeof(s->target), "user:%s",
		 req->principal.name[0] ? req->principal.name : "-");
	if (rc != JD_OK) {
		if (status == 401 || status == 403 || status == 429)
			jd_req_audit(req, JD_SYSTEM_TENANT, "session.create", s->target,
				     status == 403 ? "forbidden" : "denied");
		jd_reply_auth_refusal(req, status, why);
		return;
	}
	/* the instance administrator's certificate is no user: it signs each request itself */
	if (req->principal.instance_admin_cert) {
		jd_reply_error(req, 409, "conflict",
			       "the instance administrator's certificate needs no session");
		return;
	}
	rc = mint(s);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "session");
}

static void create_session(jd_req *req, void *arg)
{
	struct sign_in *s = jd_req_ctx(req, sizeof(*s), sign_in_wipe);
	struct jd_auth_input in;

	(void)arg;
	if (s == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "session");
		return;
	}
	s->req = req;
	jd_req_auth_input(req, &in);
	jd_auth_sign_in(req->srv->store, req->srv->base, &in,
			json_string_value(json_object_get(req->input, "user")),
			json_string_value(json_object_get(req->input, "password")), &req->principal,
			on_signed_in, s);
}

/* ---- DELETE /v1/session: sign out ----------------------------------------- */

static void on_ended(int rc, redisReply *reply, void *arg)
{
	jd_req *req = arg;

	if (rc != JD_OK || reply->type == REDIS_REPLY_ERROR) {
		jd_reply_rc(req, rc != JD_OK ? rc : JD_ERR, "session");
		return;
	}
	jd_req_audit(req, JD_SYSTEM_TENANT, "session.end", "session", "ok");
	jd_reply_json(req, 200, json_pack("{s:b}", "ended", reply->integer == 1));
}

/*
 * Whoever holds the cookie may end its session: knowing the secret is the
 * authority.  The browser forgets the cookie whatever Redis answers.
 */
static void end_session(jd_req *req, void *arg)
{
	const char *header =
	    evhttp_find_header(evhttp_request_get_input_headers(req->ev), "Cookie");
	char token[JD_TOKEN_MAX], hash[65], key[128];
	const char *argv[] = {"EVAL", end_script, "1", key, KEY_PREFIX "sessions:", hash};
	int rc;

	(void)arg;
	evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Set-Cookie",
			  JD_SESSION_COOKIE "=; Max-Age=0; " COOKIE_ATTRS);
	if (header == NULL || !jd_session_from_cookie(header, token, sizeof(token)) ||
	    jd_secret_hash(JD_SESSION_PREFIX, token, hash) != JD_OK) {
		jd_reply_json(req, 200, json_pack("{s:b}", "ended", 0));
		return;
	}
	sodium_memzero(token, sizeof(token));
	snprintf(key, sizeof(key), KEY_PREFIX "session:%s", hash);
	rc = req->srv->redis ? jd_redis_command(req->srv->redis, 6, argv, NULL, on_ended, req)
			     : JD_E_UNAVAILABLE;
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "session");
}

/* ---- PUT /v1/users/{id}/password ------------------------------------------ */

struct set_password {
	jd_req *req;
	char id[JD_USER_ID_MAX + 1];
};

static void on_password_stored(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct set_password *w = arg;

	(void)res;
	if (rc != JD_OK) {
		jd_reply_rc(w->req, rc, "password");
		return;
	}
	/* a new password ends the sessions the old one (or a certificate) opened */
	jd_sessions_end_user(w->req->srv->redis, w->id);
	jd_notice("password set", "req=%s user=%s by=%s", w->req->id, w->id,
		  w->req->principal.name);
	jd_reply_json(w->req, 200, json_pack("{s:s, s:b}", "id", w->id, "password_set", 1));
}

static void on_password_hashed(int rc, const char *hash, void *arg)
{
	struct set_password *w = arg;
	char record[16 + JD_USER_ID_MAX], at[24];
	const char *set[] = {"hash", hash, "set_by", w->req->principal.name, "set_at", at, NULL};

	if (rc != JD_OK) {
		jd_reply_rc(w->req, rc, "password");
		return;
	}
	snprintf(record, sizeof(record), "password:%s", w->id);
	snprintf(at, sizeof(at), "%lld", (long long)time(NULL));
	rc = jd_store_mutate(w->req->srv->store,
			     &(const struct jd_mutation){.tenant = JD_SYSTEM_TENANT,
							 .record = record,
							 .expect_version = JD_VERSION_ANY,
							 .set = set,
							 .req = w->req,
							 .action = "users.password"},
			     on_password_stored, w);
	if (rc != JD_OK)
		jd_reply_rc(w->req, rc, "password");
}

static void on_password_user(int rc, const struct jd_user_view *u, void *arg)
{
	struct set_password *w = arg;
	const char *pw = json_string_value(json_object_get(w->req->input, "password"));

	if (rc != JD_OK) {
		jd_reply_rc(w->req, rc, "user");
	} else if (u == NULL ||
		   !jd_users_caller_may_manage(&w->req->principal, u->tenants, u->roles)) {
		jd_reply_error(w->req, 404, "not_found", "no user '%s'", w->id);
	} else if (!jd_users_may_act_as(&w->req->principal, u->roles)) {
		jd_reply_error(w->req, 403, "forbidden",
			       "a password for '%s' would carry roles you do not hold", w->id);
	} else if ((rc = jd_pwhash_hash(w->req->srv->base, pw, on_password_hashed, w)) != JD_OK) {
		jd_reply_rc(w->req, rc, "password");
	}
}

static void set_password(jd_req *req, void *arg)
{
	const char *id = jd_params_get(&req->params, "id");
	const char *pw = json_string_value(json_object_get(req->input, "password"));
	struct set_password *w;
	int rc;

	(void)arg;
	if (!jd_password_length_ok(pw ? strlen(pw) : 0)) {
		jd_reply_error(req, 400, "invalid", "field 'password' must be %d to %d bytes",
			       JD_PASSWORD_MIN, JD_PASSWORD_MAX);
		return;
	}
	if (!jd_auth_user_id_valid(id)) {
		jd_reply_error(req, 404, "not_found", "no user '%.64s'", id);
		return;
	}
	w = jd_req_ctx(req, sizeof(*w), NULL);
	rc = w ? JD_OK : JD_E_NOMEM;
	if (rc == JD_OK) {
		w->req = req;
		snprintf(w->id, sizeof(w->id), "%s", id);
		rc = jd_users_fetch(req->srv->store, id, on_password_user, w);
	}
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "user");
}

static const struct jd_field sign_in_fields[] = {
    {"user", JD_FIELD_STRING, 0, JD_USER_ID_MAX, "user id (with password; none with a certificate)",
     0},
    {"password", JD_FIELD_STRING, 0, JD_PASSWORD_MAX, "the user's password", 0},
    JD_FIELD_END,
};

static const struct jd_field password_fields[] = {
    {"password", JD_FIELD_STRING, 1, JD_PASSWORD_MAX, "the new password (12 to 128 bytes)", 0},
    JD_FIELD_END,
};

static const struct jd_route session_routes[] = {
    {"POST", "/v1/session", "session.create",
     "Browser sign-in (client certificate or password): sets the session cookie", NULL,
     sign_in_fields, JD_ROUTE_NO_AUTH, create_session, NULL},
    {"GET", "/v1/session", "status.read",
     "Who is signed in, with which credential (signed_in false when nobody is)", "whoami", NULL,
     JD_ROUTE_NO_AUTH, show_session, NULL},
    {"DELETE", "/v1/session", "session.create", "Browser sign-out: ends the cookie's session", NULL,
     NULL, JD_ROUTE_NO_AUTH, end_session, NULL},
    {"PUT", "/v1/users/{id}/password", "users.write",
     "Set a user's password for the browser sign-in (ends their sessions)", "users password",
     password_fields, 0, set_password, NULL},
};

int jd_session_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, session_routes,
				   sizeof(session_routes) / sizeof(session_routes[0]), "core", err,
				   errlen);
}
