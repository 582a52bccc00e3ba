/* Users and their roles and scope: /v1/users.  Records live in the system tenant. */
#include "security/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "security/session.h"
#include "runtime/log.h"
#include "org/org_group_model.h"
#include "transport/req_list.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"

#define LIST_DEFAULT 200 /* users per page unless asked */

/* ---- reading one user ------------------------------------------------------ */

struct fetch_ctx {
	jd_user_cb cb;
	void *arg;
	char id[JD_USER_ID_MAX + 1];
};

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void on_fetched(int rc, json_t *result, void *arg)
{
	struct fetch_ctx *f = arg;
	struct jd_user_view u;
	char err[160];

	if (rc != JD_OK || json_array_size(result) == 0) {
		f->cb(rc, NULL, f->arg);
		free(f);
		return;
	}
	u.id = f->id;
	u.display_name = or_empty(jd_hgetall_field(result, "display_name"));
	u.roles_csv = or_empty(jd_hgetall_field(result, "roles"));
	u.tenants = or_empty(jd_hgetall_field(result, "tenants"));
	u.status = or_empty(jd_hgetall_field(result, "status"));
	if (jd_auth_parse_roles(u.roles_csv, &u.roles, err, sizeof(err)) != JD_OK)
		u.roles = 0;
	f->cb(JD_OK, &u, f->arg);
	free(f);
}

int jd_users_fetch(struct jd_store *store, const char *id, jd_user_cb cb, void *arg)
{
	struct fetch_ctx *f;
	char key[16 + JD_USER_ID_MAX];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	if (store == NULL)
		return JD_E_UNAVAILABLE;
	if (!jd_auth_user_id_valid(id))
		return JD_E_INVALID;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return JD_E_NOMEM;
	f->cb = cb;
	f->arg = arg;
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(key, sizeof(key), "user:%s", id);
	rc = jd_store_read(store, JD_SYSTEM_TENANT, 2, argv, on_fetched, f);
	if (rc != JD_OK)
		free(f);
	return rc;
}

/* ---- scope ------------------------------------------------------------------- */

int jd_users_caller_may_manage(const struct jd_principal *caller, const char *tenants_csv,
			       unsigned roles)
{
	const char *p = tenants_csv;

	if (caller->roles & JD_ROLE_ADMIN)
		return 1;
	if (!(caller->roles & JD_ROLE_TENANT_ADMIN) || (roles & JD_ROLE_ADMIN) || *p == '\0')
		return 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (!jd_csv_has(caller->tenants, p, n))
			return 0;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 1;
}

int jd_users_may_act_as(const struct jd_principal *caller, unsigned roles)
{
	return (caller->roles & JD_ROLE_ADMIN) || (roles & ~caller->roles) == 0;
}

int jd_users_summary_managed(const struct jd_principal *caller, const char *summary)
{
	char buf[600], *roles, *tenants, *p;
	unsigned bits = 0;
	char err[160];

	if (summary == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", summary);
	roles = buf; /* roles|status|tenants|display */
	p = strchr(roles, '|');
	if (p == NULL)
		return 0;
	*p = '\0';
	p = strchr(p + 1, '|');
	if (p == NULL)
		return 0;
	tenants = p + 1;
	p = strchr(tenants, '|');
	if (p != NULL)
		*p = '\0';
	if (jd_auth_parse_roles(roles, &bits, err, sizeof(err)) != JD_OK)
		bits = JD_ROLE_ADMIN; /* unknown roles: only an admin manages them */
	return jd_users_caller_may_manage(caller, tenants, bits);
}

/* Comma-separated tenant ids, each valid: JD_OK or JD_E_INVALID. */
static int tenants_valid(const char *csv)
{
	char buf[256], *save = NULL;

	if (strlen(csv) >= sizeof(buf))
		return JD_E_INVALID;
	snprintf(buf, sizeof(buf), "%s", csv);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!jd_store_tenant_valid(t) || strcmp(t, JD_SYSTEM_TENANT) == 0)
			return JD_E_INVALID;
	return JD_OK;
}

/* ---- POST /v1/users and PATCH /v1/users/{id} ----------------------------------- */

struct write_ctx {
	jd_req *req;
	char id[JD_USER_ID_MAX + 1];
	int create;
};

static const char *const user_fields[] = {"display_name", "roles",  "tenants", "units",
					  "groups",	  "person", "status"};

#define N_USER_FIELDS (sizeof(user_fields) / sizeof(user_fields[0]))

static void on_written(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct write_ctx *w = arg;

	const char *status = json_string_value(json_object_get(w->req->input, "status"));

	if (rc == JD_OK) /* before the reply, which frees the request */
		jd_notice(w->create ? "user created" : "user changed", "req=%s user=%s by=%s",
			  w->req->id, w->id, w->req->principal.name);
	/* a suspended user's browser sessions end now (each request checks the status too) */
	if (rc == JD_OK && status != NULL && strcmp(status, "active") != 0)
		jd_sessions_end_user(w->req->srv->redis, w->id);
	if (rc == JD_E_CONFLICT)
		jd_reply_error(w->req, 409, "conflict",
			       w->create ? "user '%s' exists already"
					 : "user '%s' was changed since the version you read",
			       w->id);
	else if (rc != JD_OK)
		jd_reply_rc(w->req, rc, "user");
	else
		jd_reply_json(
		    w->req, w->create ? 201 : 200,
		    json_pack("{s:s, s:I}", "id", w->id, "version", (json_int_t)res->version));
}

/* Checks the input's roles, tenants and status; fills roles. */
static int check_user_input(jd_req *req, unsigned *roles, char *why, size_t len)
{
	const char *r = json_string_value(json_object_get(req->input, "roles"));
	const char *t = json_string_value(json_object_get(req->input, "tenants"));
	const char *st = json_string_value(json_object_get(req->input, "status"));
	const char *pl = json_string_value(json_object_get(req->input, "person"));
	char county[7], person[33];

	*roles = 0;
	if (r != NULL && jd_auth_parse_roles(r, roles, why, len) != JD_OK)
		return JD_E_INVALID;
	if (t != NULL && tenants_valid(t) != JD_OK) {
		snprintf(why, len, "field 'tenants' must be comma-separated tenant ids");
		return JD_E_INVALID;
	}
	if (st != NULL && strcmp(st, "active") != 0 && strcmp(st, "suspended") != 0) {
		snprintf(why, len, "field 'status' must be active or suspended");
		return JD_E_INVALID;
	}
	if (pl != NULL && *pl != '\0' && jd_person_link_parse(pl, county, person) != JD_OK) {
		snprintf(why, len, "field 'person' must be <county code>/<person id>, not '%.64s'",
			 pl);
		return JD_E_INVALID;
	}
	return JD_OK;
}

static int write_user(struct write_ctx *w, long long version, const char *tenants,
		      const char *roles, const char *status, const char *display)
{
	const char *set[2 * N_USER_FIELDS + 3];
	char record[16 + JD_USER_ID_MAX], summary[600];
	size_t n = 0;
	struct jd_op ops[2] = {
	    {JD_OP_HSET, "users:summary", w->id, summary},
	    {JD_OP_ZADD, "users:by_id", w->id, "0"},
	};

	for (size_t i = 0; i < N_USER_FIELDS; i++) {
		json_t *v = json_object_get(w->req->input, user_fields[i]);

		if (v == NULL)
			continue;
		set[n++] = user_fields[i];
		set[n++] = json_string_value(v);
	}
	if (w->create) {
		set[n++] = "status";
		set[n++] = "active";
	}
	set[n] = NULL;
	snprintf(record, sizeof(record), "user:%s", w->id);
	snprintf(summary, sizeof(summary), "%s|%s|%s|%s", roles, status, tenants, display);
	return jd_store_mutate(
	    w->req->srv->store,
	    &(const struct jd_mutation){.tenant = JD_SYSTEM_TENANT,
					.record = record,
					.expect_version = version,
					.set = set,
					.ops = ops,
					.n_ops = w->create ? 2 : 1,
					.req = w->req,
					.action = w->create ? "users.create" : "users.update"},
	    on_written, w);
}

static const char *input_or(jd_req *req, const char *name, const char *def)
{
	const char *v = json_string_value(json_object_get(req->input, name));

	return v ? v : def;
}

static void create_user(jd_req *req, void *arg)
{
	const char *id = json_string_value(json_object_get(req->input, "id"));
	const char *tenants = input_or(req, "tenants", "");
	struct write_ctx *w;
	unsigned roles;
	char why[200];
	int rc;

	(void)arg;
	if (!jd_auth_user_id_valid(id)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'id' must be 1..64 of a-z 0-9 . _ - (the certificate CN)");
		return;
	}
	if (check_user_input(req, &roles, why, sizeof(why)) != JD_OK) {
		jd_reply_error(req, 400, "invalid", "%s", why);
		return;
	}
	if (json_object_get(req->input, "status") != NULL) {
		jd_reply_error(req, 400, "invalid", "a new user is active; change status later");
		return;
	}
	if (!jd_users_caller_may_manage(&req->principal, tenants, roles)) {
		jd_reply_error(req, 403, "forbidden",
			       "you may only create users within your own tenants, and no admin");
		return;
	}
	w = jd_req_ctx(req, sizeof(*w), NULL);
	rc = w ? JD_OK : JD_E_NOMEM;
	if (rc == JD_OK) {
		w->req = req;
		w->create = 1;
		snprintf(w->id, sizeof(w->id), "%s", id);
		rc = write_user(w, JD_VERSION_NEW, tenants, input_or(req, "roles", ""), "active",
				input_or(req, "display_name", ""));
	}
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "user");
}

static void on_edit_fetched(int rc, const struct jd_user_view *u, void *arg)
{
	struct write_ctx *w = arg;
	jd_req *req = w->req;
	unsigned new_roles;
	char why[200];
	const char *tenants, *roles;

	if (rc != JD_OK || u == NULL ||
	    !jd_users_caller_may_manage(&req->principal, u->tenants, u->roles)) {
		if (rc != JD_OK)
			jd_reply_rc(req, rc, "user");
		else /* out of scope: as if it did not exist */
			jd_reply_error(req, 404, "not_found", "no user '%s'", w->id);
		return;
	}
	tenants = input_or(req, "tenants", u->tenants);
	roles = input_or(req, "roles", u->roles_csv);
	if (jd_auth_parse_roles(roles, &new_roles, why, sizeof(why)) != JD_OK ||
	    !jd_users_caller_may_manage(&req->principal, tenants, new_roles)) {
		jd_reply_error(req, 403, "forbidden",
			       "you may only give users your own tenants, and no admin");
		return;
	}
	rc = write_user(w, json_integer_value(json_object_get(req->input, "version")), tenants,
			roles, input_or(req, "status", u->status),
			input_or(req, "display_name", u->display_name));
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "user");
}

static void edit_user(jd_req *req, void *arg)
{
	const char *id = jd_params_get(&req->params, "id");
	struct write_ctx *w;
	unsigned roles;
	char why[200];
	int rc;

	(void)arg;
	if (check_user_input(req, &roles, why, sizeof(why)) != JD_OK) {
		jd_reply_error(req, 400, "invalid", "%s", why);
		return;
	}
	if (json_integer_value(json_object_get(req->input, "version")) < 1) {
		jd_reply_error(req, 400, "invalid", "field 'version' must be at least 1");
		return;
	}
	w = jd_req_ctx(req, sizeof(*w), NULL);
	rc = w ? JD_OK : JD_E_NOMEM;
	if (rc == JD_OK) {
		w->req = req;
		snprintf(w->id, sizeof(w->id), "%s", id);
		rc = jd_users_fetch(req->srv->store, id, on_edit_fetched, w);
	}
	if (rc == JD_E_INVALID)
		jd_reply_error(req, 404, "not_found", "no user '%.64s'", id);
	else if (rc != JD_OK)
		jd_reply_rc(req, rc, "user");
}

/* ---- GET /v1/users/{id} and GET /v1/users ------------------------------------- */

static void on_show(int rc, json_t *result, void *arg)
{
	jd_req *req = arg;
	const char *id = jd_params_get(&req->params, "id");
	const char *tenants = jd_hgetall_field(result, "tenants"),
		   *roles_csv = jd_hgetall_field(result, "roles");
	unsigned roles = 0;
	char err[160];
	json_t *out;

	if (rc != JD_OK) {
		jd_reply_rc(req, rc, "user");
		return;
	}
	if (roles_csv != NULL)
		jd_auth_parse_roles(roles_csv, &roles, err, sizeof(err));
	if (json_array_size(result) == 0 ||
	    !jd_users_caller_may_manage(&req->principal, or_empty(tenants), roles)) {
		jd_reply_error(req, 404, "not_found", "no user '%s'", id);
		return;
	}
	out = json_pack("{s:s}", "id", id);
	for (size_t i = 0; out && i + 1 < json_array_size(result); i += 2) {
		const char *k = json_string_value(json_array_get(result, i));
		const char *v = json_string_value(json_array_get(result, i + 1));

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "_v") == 0)
			json_object_set_new(out, "version", json_integer(atoll(v)));
		else if (k[0] != '_')
			json_object_set_new(out, k, json_string(v));
	}
	jd_reply_json(req, 200, out);
}

static void show_user(jd_req *req, void *arg)
{
	const char *id = jd_params_get(&req->params, "id");
	char key[16 + JD_USER_ID_MAX];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	(void)arg;
	if (!jd_auth_user_id_valid(id)) {
		jd_reply_error(req, 404, "not_found", "no user '%.64s'", id);
		return;
	}
	snprintf(key, sizeof(key), "user:%s", id);
	rc = jd_store_read(req->srv->store, JD_SYSTEM_TENANT, 2, argv, on_show, req);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "user");
}

static json_t *summary_json(const char *id, const char *s)
{
	char buf[600], *f[4] = {"", "", "", ""}, *p;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", s ? s : "");
	p = buf;
	/* fields may be empty: split by hand rather than with strtok */
	for (f[n++] = p; *p && n < 4; p++)
		if (*p == '|') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "roles", f[0], "status", f[1],
			 "tenants", f[2], "display_name", f[3]);
}

/* A user of users:summary, kept when the caller manages them. */
static int user_item(void *arg, const char *id, const char *summary, const char *joined,
		     json_t **item)
{
	jd_req *req = arg;
	json_t *u = summary_json(id, summary);
	unsigned roles = 0;
	char err[160];

	(void)joined;
	*item = NULL;
	if (u == NULL)
		return JD_E_NOMEM;
	jd_auth_parse_roles(json_string_value(json_object_get(u, "roles")), &roles, err,
			    sizeof(err));
	if (jd_users_caller_may_manage(&req->principal,
				       json_string_value(json_object_get(u, "tenants")), roles))
		*item = u;
	else
		json_decref(u);
	return JD_OK;
}

static void list_users(jd_req *req, void *arg)
{
	struct jd_listing spec = {
	    .tenant = JD_SYSTEM_TENANT,
	    .index = "users:by_id",
	    .summaries = "users:summary",
	    .item = user_item,
	    .arg = req,
	};

	(void)arg;
	jd_reply_listing(req, &spec, NULL, "users", NULL, LIST_DEFAULT);
}

static const struct jd_field create_fields[] = {
    {"id", JD_FIELD_STRING, 1, JD_USER_ID_MAX, "user id: the CN of their certificate", 0},
    {"display_name", JD_FIELD_STRING, 0, 128, "name shown to people", 0},
    {"roles", JD_FIELD_STRING, 1, 128,
     "comma-separated: admin, tenant_admin, leader, staff, reviewer, trainer, auditor, viewer", 0},
    {"tenants", JD_FIELD_STRING, 0, 250, "scope: comma-separated tenant ids", 0},
    {"units", JD_FIELD_STRING, 0, 500, "scope: comma-separated unit ids", 0},
    {"groups", JD_FIELD_STRING, 0, 250, "scope: comma-separated group ids", 0},
    {"person", JD_FIELD_STRING, 0, 64,
     "the org person this user is, <county code>/<person id>: their groups widen the scope", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field edit_fields[] = {
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"display_name", JD_FIELD_STRING, 0, 128, "name shown to people", 0},
    {"roles", JD_FIELD_STRING, 0, 128, "comma-separated roles", 0},
    {"tenants", JD_FIELD_STRING, 0, 250, "scope: comma-separated tenant ids", 0},
    {"units", JD_FIELD_STRING, 0, 500, "scope: comma-separated unit ids", 0},
    {"groups", JD_FIELD_STRING, 0, 250, "scope: comma-separated group ids", 0},
    {"person", JD_FIELD_STRING, 0, 64,
     "the org person this user is, <county code>/<person id> (empty: none)", 0},
    {"status", JD_FIELD_STRING, 0, 16, "active or suspended (suspended: refused at once)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field list_fields[] = {
    JD_LIST_FIELDS,
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route user_routes[] = {
    {"POST", "/v1/users", "users.write", "Add a user with roles and scope", "users add",
     create_fields, 0, create_user, NULL},
    {"GET", "/v1/users", "users.read", "List users by id, within your scope, a page at a time",
     "users list", list_fields, 0, list_users, NULL},
    {"GET", "/v1/users/{id}", "users.read", "Show a user", "users show", NULL, 0, show_user, NULL},
    {"PATCH", "/v1/users/{id}", "users.write", "Change a user's roles, scope or status",
     "users edit", edit_fields, 0, edit_user, NULL},
};

int jd_users_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, user_routes,
				   sizeof(user_routes) / sizeof(user_routes[0]), "core", err,
				   errlen);
}
