/* Tenants (administrative divisions): /v1/org/tenants.  Records live in the system tenant. */
#include "org/org_history.h"
#include "org/org_tenants.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "org/org_division.h"
#include "security/auth.h"
#include "runtime/log.h"
#include "transport/req_list.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"
#include "security/users.h"

#define LIST_DEFAULT 500 /* tenants per page unless asked */
#define CODE_LEN     6
#define ORG_NAME_MAX 128
#define MODES_MAX    64

#define LEVEL_MAX 16

static const char *const mode_names[] = {"task_force", "area", "joint_group"};

#define N_MODES (sizeof(mode_names) / sizeof(mode_names[0]))

/* ---- validation --------------------------------------------------------------- */

int jd_org_code_valid(const char *s)
{
	if (s == NULL || strlen(s) != CODE_LEN)
		return 0;
	for (size_t i = 0; i < CODE_LEN; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int jd_org_may_write(const struct jd_principal *caller, const char *code)
{
	return jd_users_caller_may_manage(caller, code, 0);
}

int jd_org_write_check(jd_req *req, const char *code)
{
	if (jd_org_may_write(&req->principal, code))
		return JD_OK;
	jd_reply_error(req, 403, "forbidden",
		       "you may only write the organization of your own tenants");
	return JD_E_FORBIDDEN;
}

static int reply_out_of_scope(jd_req *req)
{
	jd_reply_error(req, 403, "forbidden",
		       "you may only read the organization of your own tenants and of every tenant "
		       "beneath them");
	return JD_E_FORBIDDEN;
}

int jd_org_county_check(jd_req *req, int rc, json_t *result, const char *code, const char *what)
{
	const char *level = jd_hgetall_field(result, "level");
	const char *parent = jd_hgetall_field(result, "parent");

	if (rc != JD_OK) {
		jd_reply_rc(req, rc, what);
		return rc;
	}
	if (json_array_size(result) == 0) {
		jd_reply_error(req, 404, "not_found", "no tenant '%s'", code);
		return JD_E_NOTFOUND;
	}
	if (!jd_division_county_level(level)) {
		jd_reply_error(req, 400, "invalid",
			       "tenant '%s' is a %s: %s belong to a county-level tenant (district, "
			       "county or county-level city)",
			       code, level ? level : "", what);
		return JD_E_INVALID;
	}
	if (!jd_auth_tenant_readable(&req->principal, code, parent))
		return reply_out_of_scope(req);
	return JD_OK;
}

int jd_org_snapshot_check(jd_req *req, int rc, const json_t *snap, const char *code,
			  const char *what)
{
	const json_t *county = json_object_get(snap, "county");

	if (rc == JD_E_NOTFOUND) {
		jd_reply_error(req, 404, "not_found", "no tenant '%s'", code);
		return rc;
	}
	if (rc == JD_E_INVALID) {
		jd_reply_error(req, 400, "invalid",
			       "tenant '%s' is not a county: %s belong to a county", code, what);
		return rc;
	}
	if (rc != JD_OK) {
		jd_reply_rc(req, rc, what);
		return rc;
	}
	if (!jd_auth_tenant_readable(&req->principal, code,
				     json_string_value(json_object_get(county, "parent"))))
		return reply_out_of_scope(req);
	return JD_OK;
}

/* Comma-separated modes, each one of mode_names, none twice; "" is none. */
static int modes_check(const char *csv, char *why, size_t len)
{
	char buf[MODES_MAX + 1];
	int seen[N_MODES] = {0};
	char *p, *end;

	if (strlen(csv) > MODES_MAX) {
		snprintf(why, len, "field 'modes' is too long");
		return JD_E_INVALID;
	}
	if (*csv == '\0')
		return JD_OK;
	snprintf(buf, sizeof(buf), "%s", csv);
	for (p = buf;; p = end + 1) {
		size_t i;

		end = strchr(p, ',');
		if (end != NULL)
			*end = '\0';
		for (i = 0; i < N_MODES && strcmp(p, mode_names[i]) != 0; i++)
			;
		if (i == N_MODES) {
			snprintf(why, len,
				 "field 'modes': '%.32s' is not a mode (task_force, area, "
				 "joint_group)",
				 p);
			return JD_E_INVALID;
		}
		if (seen[i]++) {
			snprintf(why, len, "field 'modes': '%s' is named twice", mode_names[i]);
			return JD_E_INVALID;
		}
		if (end == NULL)
			break;
	}
	return JD_OK;
}

static int date_valid(const char *s)
{
	static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

static const char *input_str(jd_req *req, const char *name)
{
	return json_string_value(json_object_get(req->input, name));
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Checks the county-only fields against the level and each other's form. */
static int check_county_fields(jd_req *req, const char *level, char *why, size_t len)
{
	static const char *const county_only[] = {"centralized", "centralized_since", "modes"};
	const char *since = input_str(req, "centralized_since");
	const char *modes = input_str(req, "modes");

	if (!jd_division_county_level(level))
		for (size_t i = 0; i < 3; i++)
			if (json_object_get(req->input, county_only[i]) != NULL) {
				snprintf(why, len,
					 "field '%s' is only for a county-level tenant, not a %s",
					 county_only[i], level);
				return JD_E_INVALID;
			}
	if (since != NULL && *since != '\0' && !date_valid(since)) {
		snprintf(why, len, "field 'centralized_since' must be a date YYYY-MM-DD");
		return JD_E_INVALID;
	}
	if (modes != NULL && modes_check(modes, why, len) != JD_OK)
		return JD_E_INVALID;
	return JD_OK;
}

/* ---- writing --------------------------------------------------------------------- */

struct write_ctx {
	jd_req *req;
	char code[CODE_LEN + 1];
	char parent[CODE_LEN + 1];
	char level[LEVEL_MAX + 1];
	int create;
};

static void on_written(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct write_ctx *w = arg;

	if (rc == JD_OK) /* before the reply, which frees the request */
		jd_notice(w->create ? "tenant created" : "tenant changed", "req=%s tenant=%s by=%s",
			  w->req->id, w->code, w->req->principal.name);
	if (rc == JD_OK) /* a county's centralization and modes are org figures (org_history.h) */
		jd_org_history_refresh(w->req->srv, w->code);
	if (rc == JD_E_CONFLICT)
		jd_reply_error(w->req, 409, "conflict",
			       w->create ? "tenant '%s' exists already"
					 : "tenant '%s' was changed since the version you read",
			       w->code);
	else if (rc != JD_OK)
		jd_reply_rc(w->req, rc, "tenant");
	else
		jd_reply_json(
		    w->req, w->create ? 201 : 200,
		    json_pack("{s:s, s:I}", "code", w->code, "version", (json_int_t)res->version));
}

/*
 * Writes the record with these values (all copied by the store before it
 * returns) and its summary and indexes.
 */
static int write_tenant(struct write_ctx *w, long long version, const char *name, int centralized,
			const char *since, const char *modes)
{
	const char *set[16];
	char record[16], children[32], score[16];
	char *summary = NULL;
	json_t *s = NULL;
	size_t n = 0, n_ops = 0;
	struct jd_op ops[3];
	int rc = JD_E_NOMEM;

	s = json_pack("{s:s, s:s, s:s}", "name", name, "level", w->level, "parent", w->parent);
	if (s == NULL)
		goto cleanup;
	set[n++] = "name";
	set[n++] = name;
	if (w->create) {
		set[n++] = "level";
		set[n++] = w->level;
		set[n++] = "parent";
		set[n++] = w->parent;
	}
	if (jd_division_county_level(w->level)) {
		if (json_object_set_new(s, "centralized", json_boolean(centralized)) != 0 ||
		    json_object_set_new(s, "centralized_since", json_string(since)) != 0 ||
		    json_object_set_new(s, "modes", json_string(modes)) != 0)
			goto cleanup;
		set[n++] = "centralized";
		set[n++] = centralized ? "true" : "false";
		set[n++] = "centralized_since";
		set[n++] = since;
		set[n++] = "modes";
		set[n++] = modes;
	}
	set[n] = NULL;
	summary = json_dumps(s, JSON_COMPACT);
	if (summary == NULL)
		goto cleanup;
	snprintf(record, sizeof(record), "tenant:%s", w->code);
	snprintf(children, sizeof(children), "tenant:%s:children", w->parent);
	snprintf(score, sizeof(score), "%d", atoi(w->code));
	ops[n_ops++] = (struct jd_op){JD_OP_HSET, "tenants:summary", w->code, summary};
	if (w->create) {
		ops[n_ops++] = (struct jd_op){JD_OP_ZADD, "tenants:by_code", w->code, score};
		if (w->parent[0] != '\0')
			ops[n_ops++] = (struct jd_op){JD_OP_SADD, children, w->code, NULL};
	}
	rc = jd_store_mutate(w->req->srv->store,
			     &(const struct jd_mutation){.tenant = JD_SYSTEM_TENANT,
							 .record = record,
							 .expect_version = version,
							 .set = set,
							 .ops = ops,
							 .n_ops = n_ops,
							 .req = w->req,
							 .action = w->create ? "org.tenant.create"
									     : "org.tenant.update"},
			     on_written, w);
cleanup:
	free(summary);
	json_decref(s);
	return rc;
}

static int write_new(struct write_ctx *w)
{
	jd_req *req = w->req;
	json_t *c = json_object_get(req->input, "centralized");

	return write_tenant(w, JD_VERSION_NEW, input_str(req, "name"), c != NULL && json_is_true(c),
			    or_empty(input_str(req, "centralized_since")),
			    or_empty(input_str(req, "modes")));
}

static void on_parent(int rc, json_t *result, void *arg)
{
	struct write_ctx *w = arg;
	jd_req *req = w->req;
	char why[300];

	if (rc != JD_OK) {
		jd_reply_rc(req, rc, "tenant");
		return;
	}
	if (json_array_size(result) == 0) {
		jd_reply_error(req, 400, "invalid", "field 'parent': no tenant '%s'", w->parent);
		return;
	}
	if (jd_division_parent_check(w->code, w->level, w->parent,
				     jd_hgetall_field(result, "level"), why,
				     sizeof(why)) != JD_OK) {
		jd_reply_error(req, 400, "invalid", "%s", why);
		return;
	}
	rc = write_new(w);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "tenant");
}

/* The context of a write of tenant code, after the write scope check; NULL: replied. */
static struct write_ctx *write_ctx_new(jd_req *req, const char *code)
{
	struct write_ctx *w;

	if (jd_org_write_check(req, code) != JD_OK)
		return NULL;
	w = jd_req_ctx(req, sizeof(*w), NULL);
	if (w == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "tenant");
		return NULL;
	}
	w->req = req;
	snprintf(w->code, sizeof(w->code), "%s", code);
	return w;
}

static void create_tenant(jd_req *req, void *arg)
{
	const char *code = input_str(req, "code"), *parent = input_str(req, "parent");
	const char *since = input_str(req, "centralized_since");
	json_t *c = json_object_get(req->input, "centralized");
	const char *level = or_empty(input_str(req, "level"));
	int tier = jd_division_tier(level);
	struct write_ctx *w = NULL;
	char key[16], why[300];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	(void)arg;
	if (!jd_org_code_valid(code)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'code' must be a 6-digit administrative division code, not "
			       "'%.16s'",
			       or_empty(code));
		return;
	}
	if (*input_str(req, "name") == '\0') {
		jd_reply_error(req, 400, "invalid", "field 'name' must not be empty");
		return;
	}
	if (tier < 0) {
		jd_reply_error(req, 400, "invalid", "field 'level' must be one of %s, not '%.16s'",
			       JD_DIVISION_LEVELS, level);
		return;
	}
	if (jd_division_code_check(code, level, why, sizeof(why)) != JD_OK) {
		jd_reply_error(req, 400, "invalid", "%s", why);
		return;
	}
	if (check_county_fields(req, level, why, sizeof(why)) != JD_OK) {
		jd_reply_error(req, 400, "invalid", "%s", why);
		return;
	}
	if (since != NULL && *since != '\0' && !(c != NULL && json_is_true(c))) {
		jd_reply_error(req, 400, "invalid",
			       "field 'centralized_since' needs centralized true");
		return;
	}
	if (tier == JD_TIER_PROVINCE && parent != NULL && *parent != '\0') {
		jd_reply_error(req, 400, "invalid", "field 'parent': a %s has no parent", level);
		return;
	}
	if (tier != JD_TIER_PROVINCE && (parent == NULL || *parent == '\0')) {
		jd_reply_error(req, 400, "invalid", "field 'parent' is required for a %s (%s)",
			       level,
			       tier == JD_TIER_PREFECTURE
				   ? "its province"
				   : "its city, or its municipality for a municipality's district");
		return;
	}
	if (tier != JD_TIER_PROVINCE && !jd_org_code_valid(parent)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'parent' must be a 6-digit administrative division code, not "
			       "'%.16s'",
			       parent);
		return;
	}
	w = write_ctx_new(req, code);
	if (w == NULL)
		return;
	w->create = 1;
	snprintf(w->level, sizeof(w->level), "%s", level);
	if (tier == JD_TIER_PROVINCE) {
		rc = write_new(w);
	} else {
		snprintf(w->parent, sizeof(w->parent), "%s", parent);
		snprintf(key, sizeof(key), "tenant:%s", parent);
		rc = jd_store_read(req->srv->store, JD_SYSTEM_TENANT, 2, argv, on_parent, w);
	}
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "tenant");
}

static void on_edit_fetched(int rc, json_t *result, void *arg)
{
	struct write_ctx *w = arg;
	jd_req *req = w->req;
	json_t *c = json_object_get(req->input, "centralized");
	const char *since = input_str(req, "centralized_since");
	int centralized;
	char why[200];

	if (rc != JD_OK) {
		jd_reply_rc(req, rc, "tenant");
		return;
	}
	if (json_array_size(result) == 0) {
		jd_reply_error(req, 404, "not_found", "no tenant '%s'", w->code);
		return;
	}
	if (jd_division_tier(jd_hgetall_field(result, "level")) < 0) {
		jd_reply_rc(req, JD_ERR, "tenant");
		return;
	}
	snprintf(w->level, sizeof(w->level), "%s", jd_hgetall_field(result, "level"));
	snprintf(w->parent, sizeof(w->parent), "%s", or_empty(jd_hgetall_field(result, "parent")));
	if (check_county_fields(req, w->level, why, sizeof(why)) != JD_OK) {
		jd_reply_error(req, 400, "invalid", "%s", why);
		return;
	}
	centralized = c != NULL
			  ? json_is_true(c)
			  : strcmp(or_empty(jd_hgetall_field(result, "centralized")), "true") == 0;
	if (since == NULL) /* leaving centralized office clears the date */
		since = centralized ? or_empty(jd_hgetall_field(result, "centralized_since")) : "";
	if (*since != '\0' && !centralized) {
		jd_reply_error(req, 400, "invalid",
			       "field 'centralized_since' needs centralized true");
		return;
	}
	rc = write_tenant(w, json_integer_value(json_object_get(req->input, "version")),
			  input_str(req, "name") ? input_str(req, "name")
						 : or_empty(jd_hgetall_field(result, "name")),
			  centralized, since,
			  input_str(req, "modes") ? input_str(req, "modes")
						  : or_empty(jd_hgetall_field(result, "modes")));
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "tenant");
}

static void edit_tenant(jd_req *req, void *arg)
{
	const char *code = jd_params_get(&req->params, "code");
	struct write_ctx *w;
	char key[16];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	(void)arg;
	if (!jd_org_code_valid(code)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", or_empty(code));
		return;
	}
	if (json_integer_value(json_object_get(req->input, "version")) < 1) {
		jd_reply_error(req, 400, "invalid", "field 'version' must be at least 1");
		return;
	}
	if (input_str(req, "name") != NULL && *input_str(req, "name") == '\0') {
		jd_reply_error(req, 400, "invalid", "field 'name' must not be empty");
		return;
	}
	w = write_ctx_new(req, code);
	if (w == NULL)
		return;
	snprintf(key, sizeof(key), "tenant:%s", code);
	rc = jd_store_read(req->srv->store, JD_SYSTEM_TENANT, 2, argv, on_edit_fetched, w);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "tenant");
}

/* ---- reading ---------------------------------------------------------------------- */

static void on_show(int rc, json_t *result, void *arg)
{
	jd_req *req = arg;
	const char *code = jd_params_get(&req->params, "code");
	json_t *out = NULL;

	if (rc != JD_OK) {
		jd_reply_rc(req, rc, "tenant");
		return;
	}
	if (json_array_size(result) == 0) {
		jd_reply_error(req, 404, "not_found", "no tenant '%s'", code);
		return;
	}
	out = json_pack("{s:s}", "code", code);
	for (size_t i = 0; out && i + 1 < json_array_size(result); i += 2) {
		const char *k = json_string_value(json_array_get(result, i));
		const char *v = json_string_value(json_array_get(result, i + 1));
		int set = 0;

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "_v") == 0)
			set = json_object_set_new(out, "version", json_integer(atoll(v)));
		else if (strcmp(k, "centralized") == 0)
			set = json_object_set_new(out, k, json_boolean(strcmp(v, "true") == 0));
		else if (k[0] != '_')
			set = json_object_set_new(out, k, json_string(v));
		if (set != 0) { /* a reply missing a field would read as that field unset */
			json_decref(out);
			out = NULL;
		}
	}
	if (out == NULL)
		jd_reply_rc(req, JD_E_NOMEM, "tenant");
	else
		jd_reply_json(req, 200, out);
}

static void show_tenant(jd_req *req, void *arg)
{
	const char *code = jd_params_get(&req->params, "code");
	char key[16];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	(void)arg;
	if (!jd_org_code_valid(code)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", or_empty(code));
		return;
	}
	snprintf(key, sizeof(key), "tenant:%s", code);
	rc = jd_store_read(req->srv->store, JD_SYSTEM_TENANT, 2, argv, on_show, req);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "tenant");
}

static void list_tenants(jd_req *req, void *arg)
{
	struct jd_listing spec = {
	    .tenant = JD_SYSTEM_TENANT,
	    .index = "tenants:by_code",
	    .summaries = "tenants:summary",
	};
	const struct jd_listing_match by_code = {.id_name = "code"};

	(void)arg;
	jd_reply_listing(req, &spec, &by_code, "tenants", NULL, LIST_DEFAULT);
}

/* ---- routes ------------------------------------------------------------------------- */

static const struct jd_field create_fields[] = {
    {"code", JD_FIELD_STRING, 1, 6, "6-digit administrative division code; the tenant id", 0},
    {"name", JD_FIELD_STRING, 1, ORG_NAME_MAX, "name, e.g. 广汉市", 0},
    {"level", JD_FIELD_STRING, 1, LEVEL_MAX, JD_DIVISION_LEVELS, 0},
    {"parent", JD_FIELD_STRING, 0, 6,
     "the code one level up (none for a province or municipality); its code covers this one", 0},
    {"centralized", JD_FIELD_BOOLEAN, 0, 0,
     "county: dispatched agencies work in centralized office", 0},
    {"centralized_since", JD_FIELD_STRING, 0, 10, "county: since when, YYYY-MM-DD", 0},
    {"modes", JD_FIELD_STRING, 0, MODES_MAX,
     "county: comma-separated of task_force, area, joint_group", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field edit_fields[] = {
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"name", JD_FIELD_STRING, 0, ORG_NAME_MAX, "name", 0},
    {"centralized", JD_FIELD_BOOLEAN, 0, 0,
     "county: dispatched agencies work in centralized office", 0},
    {"centralized_since", JD_FIELD_STRING, 0, 10, "county: since when, YYYY-MM-DD", 0},
    {"modes", JD_FIELD_STRING, 0, MODES_MAX,
     "county: comma-separated of task_force, area, joint_group", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field list_fields[] = {
    JD_LIST_FIELDS,
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route tenant_routes[] = {
    {"POST", "/v1/org/tenants", "org.write",
     "Add a tenant (province, municipality, city, district, county, county_city)",
     "org tenants add", create_fields, 0, create_tenant, NULL},
    {"GET", "/v1/org/tenants", "org.read", "List tenants by code, a page at a time",
     "org tenants list", list_fields, 0, list_tenants, NULL},
    {"GET", "/v1/org/tenants/{code}", "org.read", "Show a tenant", "org tenants show", NULL, 0,
     show_tenant, NULL},
    {"PATCH", "/v1/org/tenants/{code}", "org.write",
     "Change a tenant's name, centralized office or modes", "org tenants edit", edit_fields, 0,
     edit_tenant, NULL},
};

int jd_org_tenants_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, tenant_routes,
				   sizeof(tenant_routes) / sizeof(tenant_routes[0]), "core", err,
				   errlen);
}
