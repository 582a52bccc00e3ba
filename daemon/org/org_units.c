/* Units of a county tenant: /v1/org/units.  Records live in their tenant. */
#include "org/org_history.h"
#include "org/org_units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "runtime/log.h"
#include "org/org_codes.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "transport/req_list.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"

#define LIST_DEFAULT  500 /* units per page unless asked */
#define UNIT_CODE_MAX JD_ORG_CODE_MAX
#define ORG_NAME_MAX  128
#define LINKED_MAX    100 /* units one office links */
#define CSV_MAX	      2000
#define POSTS_MAX     10000 /* approved posts (编制数) of one unit */

static const char *const kind_names[] = {"office", "agency", "township", "review_office",
					 "case_management_office"};

#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

/* ---- helpers -------------------------------------------------------------------- */

static int kind_valid(const char *s)
{
	for (size_t i = 0; s != NULL && i < N_KINDS; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return 1;
	return 0;
}

static const char *input_str(jd_req *req, const char *name)
{
	return json_string_value(json_object_get(req->input, name));
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/*
 * Splits linked (unit codes) into codes[] (pointers into buf); checks the
 * form, duplicates and the count.  JD_E_INVALID with the reason in why.
 */
static int split_linked(const char *csv, char *buf, size_t buflen, const char **codes, size_t *n,
			char *why, size_t len)
{
	char *p, *end;

	*n = 0;
	if (*csv == '\0')
		return JD_OK;
	if (strlen(csv) >= buflen) {
		snprintf(why, len, "field 'linked' is too long");
		return JD_E_INVALID;
	}
	snprintf(buf, buflen, "%s", csv);
	for (p = buf;; p = end + 1) {
		end = strchr(p, ',');
		if (end != NULL)
			*end = '\0';
		if (!jd_org_code_ok(p)) {
			snprintf(why, len,
				 "field 'linked': '%.40s' is not a unit code ([a-z0-9_-]{1,32})",
				 p);
			return JD_E_INVALID;
		}
		for (size_t i = 0; i < *n; i++)
			if (strcmp(codes[i], p) == 0) {
				snprintf(why, len, "field 'linked': unit '%s' is named twice", p);
				return JD_E_INVALID;
			}
		if (*n == LINKED_MAX) {
			snprintf(why, len, "field 'linked': at most %d units", LINKED_MAX);
			return JD_E_INVALID;
		}
		codes[(*n)++] = p;
		if (end == NULL)
			break;
	}
	return JD_OK;
}

/* ---- the context of one request, and the tenant check every route starts with ---------- */

struct unit_ctx {
	jd_req *req;
	char tenant[8];
	char code[UNIT_CODE_MAX + 1];
	void (*next)(struct unit_ctx *u);
	json_t *rec; /* the unit's HGETALL, once read */
	char kind[32];
	int create, retire;
};

/* Runs when the request is finished: what the context holds. */
static void ctx_dtor(void *ptr)
{
	struct unit_ctx *u = ptr;

	json_decref(u->rec);
}

static void on_tenant(int rc, json_t *result, void *arg)
{
	struct unit_ctx *u = arg;

	if (jd_org_county_check(u->req, rc, result, u->tenant, "units") != JD_OK)
		return;
	u->next(u); /* replies or passes u on */
}

/*
 * Starts a unit request: checks the tenant's form (and the write scope
 * when write), then reads the tenant and calls next(u) when it is a
 * county.  Replies itself on every failure.
 */
static void start(jd_req *req, const char *code, int write, void (*next)(struct unit_ctx *),
		  int create, int retire)
{
	const char *tenant = input_str(req, "tenant");
	char key[16];
	const char *argv[2] = {"HGETALL", key};
	struct unit_ctx *u;
	int rc;

	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", or_empty(tenant));
		return;
	}
	if (code != NULL && !jd_org_code_ok(code)) {
		if (create)
			jd_reply_error(req, 400, "invalid",
				       "field 'code' must be 1..32 of a-z 0-9 _ -, not '%.40s'",
				       code);
		else
			jd_reply_error(req, 404, "not_found", "no unit '%.40s' in tenant %s", code,
				       tenant);
		return;
	}
	if (write && jd_org_write_check(req, tenant) != JD_OK)
		return;
	u = jd_req_ctx(req, sizeof(*u), ctx_dtor);
	if (u == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "unit");
		return;
	}
	u->req = req;
	u->next = next;
	u->create = create;
	u->retire = retire;
	snprintf(u->tenant, sizeof(u->tenant), "%s", tenant);
	snprintf(u->code, sizeof(u->code), "%s", or_empty(code));
	snprintf(key, sizeof(key), "tenant:%s", tenant);
	rc = jd_store_read(req->srv->store, JD_SYSTEM_TENANT, 2, argv, on_tenant, u);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "unit");
}

/* Reads the unit into u->rec, then calls then(u); 404 when absent. */
static void on_unit(int rc, json_t *result, void *arg);

static void fetch_unit(struct unit_ctx *u, void (*then)(struct unit_ctx *))
{
	char key[8 + UNIT_CODE_MAX];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	u->next = then;
	snprintf(key, sizeof(key), "unit:%s", u->code);
	rc = jd_store_read(u->req->srv->store, u->tenant, 2, argv, on_unit, u);
	if (rc != JD_OK)
		jd_reply_rc(u->req, rc, "unit");
}

static void on_unit(int rc, json_t *result, void *arg)
{
	struct unit_ctx *u = arg;

	if (rc != JD_OK) {
		jd_reply_rc(u->req, rc, "unit");
		return;
	}
	if (json_array_size(result) == 0) {
		jd_reply_error(u->req, 404, "not_found", "no unit '%s' in tenant %s", u->code,
			       u->tenant);
		return;
	}
	u->rec = json_incref(result);
	snprintf(u->kind, sizeof(u->kind), "%s", or_empty(jd_hgetall_field(result, "kind")));
	u->next(u);
}

/* ---- writing ------------------------------------------------------------------------- */

static void on_written(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct unit_ctx *u = arg;
	const char *what = u->create ? "created" : u->retire ? "retired" : "changed";

	if (rc == JD_OK) { /* before the reply, which frees the request */
		char msg[32];

		snprintf(msg, sizeof(msg), "unit %s", what);
		jd_notice(msg, "req=%s tenant=%s unit=%s by=%s", u->req->id, u->tenant, u->code,
			  u->req->principal.name);
		jd_org_history_refresh(u->req->srv, u->tenant); /* org_history.h */
	}
	if (rc == JD_E_CONFLICT && u->create)
		jd_reply_error(u->req, 409, "conflict", "unit '%s' exists already in tenant %s",
			       u->code, u->tenant);
	else if (rc == JD_E_CONFLICT)
		jd_reply_error(u->req, 409, "conflict",
			       "unit '%s' was changed since the version you read", u->code);
	else if (rc != JD_OK)
		jd_reply_rc(u->req, rc, "unit");
	else
		jd_reply_json(u->req, u->create ? 201 : 200,
			      json_pack("{s:s, s:s, s:s, s:I}", "tenant", u->tenant, "code",
					u->code, "status", u->retire ? "retired" : "active",
					"version", (json_int_t)res->version));
}

/* What a unit write stores, in its record and its summary. */
struct unit_values {
	const char *name, *status, *supervised, *linked;
	long long posts, leadership;
};

/* The unit's summary (units:summary), malloc'd; NULL on failure. */
static char *summary_of(const struct unit_ctx *u, const struct unit_values *v)
{
	json_t *s =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name", v->name, "kind", u->kind,
		      "status", v->status, "supervised", v->supervised, "linked", v->linked,
		      "posts", (json_int_t)v->posts, "leadership_posts", (json_int_t)v->leadership);
	char *out = s ? json_dumps(s, JSON_COMPACT) : NULL;

	json_decref(s);
	return out;
}

/* Writes every field of the unit and its summary (values copied by the store). */
static int write_unit(struct unit_ctx *u, long long version, const struct unit_values *v)
{
	char posts[24], leadership[24];
	const char *set[] = {
	    "name",	   v->name,  "kind",	u->kind, "status", v->status,	       "supervised",
	    v->supervised, "linked", v->linked, "posts", posts,	   "leadership_posts", leadership,
	    NULL};
	char record[8 + UNIT_CODE_MAX];
	char *summary = summary_of(u, v);
	struct jd_op ops[3];
	size_t n_ops = 0;
	int rc;

	if (summary == NULL)
		return JD_E_NOMEM;
	snprintf(posts, sizeof(posts), "%lld", v->posts);
	snprintf(leadership, sizeof(leadership), "%lld", v->leadership);
	snprintf(record, sizeof(record), "unit:%s", u->code);
	ops[n_ops++] = (struct jd_op){JD_OP_HSET, "units:summary", u->code, summary};
	ops[n_ops++] = jd_org_rev_op();
	if (u->create)
		ops[n_ops++] = (struct jd_op){JD_OP_ZADD, "units:by_code", u->code, "0"};
	rc = jd_store_mutate(u->req->srv->store,
			     &(const struct jd_mutation){.tenant = u->tenant,
							 .record = record,
							 .expect_version = version,
							 .set = set,
							 .ops = ops,
							 .n_ops = n_ops,
							 .req = u->req,
							 .action = u->create   ? "org.unit.create"
								   : u->retire ? "org.unit.retire"
									       : "org.unit.update"},
			     on_written, u);
	free(summary);
	return rc;
}

/* The values to write: the input's, else the record's (on an edit). */
static const char *value_of(struct unit_ctx *u, const char *name)
{
	const char *v = input_str(u->req, name);

	return v ? v : or_empty(jd_hgetall_field(u->rec, name));
}

/* An integer to write: the input's, else the record's (0 when it has none). */
static long long int_of(struct unit_ctx *u, const char *name)
{
	json_t *v = json_object_get(u->req->input, name);

	return v ? json_integer_value(v) : atoll(or_empty(jd_hgetall_field(u->rec, name)));
}

static void write_now(struct unit_ctx *u)
{
	long long version = u->create
				? JD_VERSION_NEW
				: json_integer_value(json_object_get(u->req->input, "version"));
	const struct unit_values v = {
	    .name = value_of(u, "name"),
	    .status = u->create ? "active" : value_of(u, "status"),
	    .supervised = value_of(u, "supervised"),
	    .linked = value_of(u, "linked"),
	    .posts = int_of(u, "posts"),
	    .leadership = int_of(u, "leadership_posts"),
	};
	int rc = write_unit(u, version, &v);

	if (rc != JD_OK)
		jd_reply_rc(u->req, rc, "unit");
}

/* JD_OK, or 400 replied: the approved posts as they will be after the write. */
static int posts_check(struct unit_ctx *u)
{
	long long posts = int_of(u, "posts"), leadership = int_of(u, "leadership_posts");

	if (posts < 0 || posts > POSTS_MAX)
		jd_reply_error(u->req, 400, "invalid", "field 'posts' must be 0..%d, not %lld",
			       POSTS_MAX, posts);
	else if (json_object_get(u->req->input, "leadership_posts") != NULL &&
		 (leadership < 0 || leadership > posts))
		jd_reply_error(u->req, 400, "invalid",
			       "field 'leadership_posts' must be 0..posts (%lld), not %lld", posts,
			       leadership);
	else if (leadership > posts)
		jd_reply_error(u->req, 400, "invalid",
			       "field 'posts': %lld is fewer than the unit's %lld leadership posts",
			       posts, leadership);
	else
		return JD_OK;
	return JD_E_INVALID;
}

static void on_linked(int rc, json_t *result, void *arg)
{
	struct unit_ctx *u = arg;
	const char *old = u->rec ? or_empty(jd_hgetall_field(u->rec, "linked")) : "";
	char buf[CSV_MAX + 1], why[200];
	const char *codes[LINKED_MAX];
	size_t n;

	if (rc != JD_OK) {
		jd_reply_rc(u->req, rc, "unit");
		return;
	}
	if (split_linked(input_str(u->req, "linked"), buf, sizeof(buf), codes, &n, why,
			 sizeof(why)) != JD_OK) {
		jd_reply_error(u->req, 400, "invalid", "%s", why);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(result, i));
		json_t *sum = s ? json_loads(s, 0, NULL) : NULL;
		const char *kind = json_string_value(json_object_get(sum, "kind"));
		const char *status = json_string_value(json_object_get(sum, "status"));
		int bad = 1;

		if (sum == NULL)
			jd_reply_error(u->req, 400, "invalid",
				       "field 'linked': no unit '%s' in tenant %s", codes[i],
				       u->tenant);
		else if (kind == NULL ||
			 (strcmp(kind, "agency") != 0 && strcmp(kind, "township") != 0))
			jd_reply_error(u->req, 400, "invalid",
				       "field 'linked': unit '%s' is of kind %s; an office links "
				       "agencies and townships",
				       codes[i], or_empty(kind));
		else if (status != NULL && strcmp(status, "retired") == 0 &&
			 !jd_csv_has(old, codes[i], strlen(codes[i])))
			jd_reply_error(u->req, 400, "invalid",
				       "field 'linked': unit '%s' is retired", codes[i]);
		else
			bad = 0;
		json_decref(sum);
		if (bad)
			return;
	}
	write_now(u);
}

/* Checks the kind-dependent fields, then the linked units, then writes. */
static void check_and_write(struct unit_ctx *u)
{
	jd_req *req = u->req;
	const char *linked = input_str(req, "linked");
	const char *name = input_str(req, "name");
	char buf[CSV_MAX + 1], why[200];
	const char *argv[2 + LINKED_MAX] = {"HMGET", "units:summary"};
	size_t n;
	int rc;

	if (!u->create && strcmp(value_of(u, "status"), "retired") == 0) {
		jd_reply_error(req, 409, "conflict", "unit '%s' is retired", u->code);
		return;
	}
	if (name != NULL && *name == '\0') {
		jd_reply_error(req, 400, "invalid", "field 'name' must not be empty");
		return;
	}
	if (posts_check(u) != JD_OK)
		return;
	if (input_str(req, "supervised") != NULL && strcmp(u->kind, "agency") != 0) {
		jd_reply_error(req, 400, "invalid",
			       "field 'supervised' is only for an agency (this unit is of kind %s)",
			       u->kind);
		return;
	}
	if (linked != NULL && strcmp(u->kind, "office") != 0) {
		jd_reply_error(req, 400, "invalid",
			       "field 'linked' is only for an office (this unit is of kind %s)",
			       u->kind);
		return;
	}
	if (linked == NULL) {
		write_now(u);
		return;
	}
	if (split_linked(linked, buf, sizeof(buf), argv + 2, &n, why, sizeof(why)) != JD_OK) {
		jd_reply_error(req, 400, "invalid", "%s", why);
		return;
	}
	if (n == 0) {
		write_now(u);
		return;
	}
	rc = jd_store_read(req->srv->store, u->tenant, (int)(2 + n), argv, on_linked, u);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "unit");
}

static void create_next(struct unit_ctx *u)
{
	snprintf(u->kind, sizeof(u->kind), "%s", input_str(u->req, "kind"));
	check_and_write(u);
}

static void create_unit(jd_req *req, void *arg)
{
	const char *kind = input_str(req, "kind");

	(void)arg;
	if (!kind_valid(kind)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'kind': '%.32s' is not a kind (office, agency, township, "
			       "review_office, case_management_office)",
			       or_empty(kind));
		return;
	}
	start(req, input_str(req, "code"), 1, create_next, 1, 0);
}

static void edit_fetch(struct unit_ctx *u)
{
	fetch_unit(u, check_and_write);
}

static void edit_unit(jd_req *req, void *arg)
{
	(void)arg;
	if (json_integer_value(json_object_get(req->input, "version")) < 1) {
		jd_reply_error(req, 400, "invalid", "field 'version' must be at least 1");
		return;
	}
	start(req, jd_params_get(&req->params, "code"), 1, edit_fetch, 0, 0);
}

static void retire_now(struct unit_ctx *u)
{
	json_t *v = json_object_get(u->req->input, "version");
	long long version =
	    v ? json_integer_value(v) : atoll(or_empty(jd_hgetall_field(u->rec, "_v")));
	int rc;

	if (strcmp(or_empty(jd_hgetall_field(u->rec, "status")), "retired") == 0) {
		jd_reply_error(u->req, 409, "conflict", "unit '%s' is retired already", u->code);
		return;
	}
	rc = write_unit(u, version,
			&(const struct unit_values){
			    .name = or_empty(jd_hgetall_field(u->rec, "name")),
			    .status = "retired",
			    .supervised = or_empty(jd_hgetall_field(u->rec, "supervised")),
			    .linked = or_empty(jd_hgetall_field(u->rec, "linked")),
			    .posts = int_of(u, "posts"),
			    .leadership = int_of(u, "leadership_posts"),
			});
	if (rc != JD_OK)
		jd_reply_rc(u->req, rc, "unit");
}

static void retire_fetch(struct unit_ctx *u)
{
	fetch_unit(u, retire_now);
}

static void retire_unit(jd_req *req, void *arg)
{
	json_t *v = json_object_get(req->input, "version");

	(void)arg;
	if (v != NULL && json_integer_value(v) < 1) {
		jd_reply_error(req, 400, "invalid", "field 'version' must be at least 1");
		return;
	}
	start(req, jd_params_get(&req->params, "code"), 1, retire_fetch, 0, 1);
}

/* ---- reading ----------------------------------------------------------------------------- */

static void show_now(struct unit_ctx *u)
{
	json_t *out = json_pack("{s:s, s:s}", "tenant", u->tenant, "code", u->code);

	for (size_t i = 0; out && i + 1 < json_array_size(u->rec); i += 2) {
		const char *k = json_string_value(json_array_get(u->rec, i));
		const char *v = json_string_value(json_array_get(u->rec, i + 1));
		int rc = 0;

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "_v") == 0)
			rc = json_object_set_new(out, "version", json_integer(atoll(v)));
		else if (strcmp(k, "posts") == 0 || strcmp(k, "leadership_posts") == 0)
			rc = json_object_set_new(out, k, json_integer(atoll(v)));
		else if (k[0] != '_')
			rc = json_object_set_new(out, k, json_string(v));
		if (rc != 0) { /* a reply missing a field would read as that field unset */
			json_decref(out);
			out = NULL;
		}
	}
	if (out == NULL)
		jd_reply_rc(u->req, JD_E_NOMEM, "unit");
	else
		jd_reply_json(u->req, 200, out);
}

static void show_fetch(struct unit_ctx *u)
{
	fetch_unit(u, show_now);
}

static void show_unit(jd_req *req, void *arg)
{
	(void)arg;
	start(req, jd_params_get(&req->params, "code"), 0, show_fetch, 0, 0);
}

static void list_now(struct unit_ctx *u)
{
	struct jd_listing spec = {
	    .tenant = u->tenant,
	    .index = "units:by_code",
	    .summaries = "units:summary",
	};
	const struct jd_listing_match by_code = {.id_name = "code"};

	jd_reply_listing(u->req, &spec, &by_code, "units", u->tenant, LIST_DEFAULT);
}

static void list_units(jd_req *req, void *arg)
{
	(void)arg;
	start(req, NULL, 0, list_now, 0, 0);
}

/* ---- routes -------------------------------------------------------------------------------- */

static const struct jd_field create_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"code", JD_FIELD_STRING, 1, UNIT_CODE_MAX, "unit code, unique in the tenant: a-z 0-9 _ -", 0},
    {"name", JD_FIELD_STRING, 1, ORG_NAME_MAX, "name, e.g. 第一纪检监察室", 0},
    {"kind", JD_FIELD_STRING, 1, 32,
     "office, agency, township, review_office or case_management_office", 0},
    {"supervised", JD_FIELD_STRING, 0, CSV_MAX,
     "agency: comma-separated names of the supervised units (驻在单位)", 0},
    {"linked", JD_FIELD_STRING, 0, CSV_MAX,
     "office: comma-separated codes of the agencies and townships it links", 0},
    {"posts", JD_FIELD_INTEGER, 0, 0, "approved posts (编制数), 0..10000", 0},
    {"leadership_posts", JD_FIELD_INTEGER, 0, 0, "of them, leadership posts (领导职数), 0..posts",
     0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field edit_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"name", JD_FIELD_STRING, 0, ORG_NAME_MAX, "name", 0},
    {"supervised", JD_FIELD_STRING, 0, CSV_MAX,
     "agency: comma-separated names of the supervised units (驻在单位)", 0},
    {"linked", JD_FIELD_STRING, 0, CSV_MAX,
     "office: comma-separated codes of the agencies and townships it links", 0},
    {"posts", JD_FIELD_INTEGER, 0, 0, "approved posts (编制数), 0..10000", 0},
    {"leadership_posts", JD_FIELD_INTEGER, 0, 0, "of them, leadership posts (领导职数), 0..posts",
     0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field retire_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"version", JD_FIELD_INTEGER, 0, 0, "the version you read (optimistic check)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field tenant_only[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field list_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    JD_LIST_FIELDS,
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route unit_routes[] = {
    {"POST", "/v1/org/units", "org.write", "Add a unit to a county", "org units add", create_fields,
     0, create_unit, NULL},
    {"GET", "/v1/org/units", "org.read", "List a county's units by code, a page at a time",
     "org units list", list_fields, 0, list_units, NULL},
    {"GET", "/v1/org/units/{code}", "org.read", "Show a unit", "org units show", tenant_only, 0,
     show_unit, NULL},
    {"PATCH", "/v1/org/units/{code}", "org.write",
     "Change a unit's name, supervised units, links or approved posts", "org units edit",
     edit_fields, 0, edit_unit, NULL},
    {"POST", "/v1/org/units/{code}/retire", "org.write",
     "Retire a unit (kept: records refer to it)", "org units retire", retire_fields, 0, retire_unit,
     NULL},
};

int jd_org_units_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, unit_routes,
				   sizeof(unit_routes) / sizeof(unit_routes[0]), "core", err,
				   errlen);
}
