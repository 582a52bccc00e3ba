/* Groups of a county tenant: /v1/org/groups.  Records live in their tenant. */
#include "org/org_groups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "runtime/log.h"
#include "org/org_codes.h"
#include "org/org_group_model.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "transport/req_list.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"

#define LIST_DEFAULT 500 /* groups per page unless asked */
#define ORG_NAME_MAX 128
#define UNITS_CSV    (JD_GROUP_UNITS_MAX * (JD_GROUP_CODE_MAX + 1))
#define MEMBERS_CSV  8000
#define SHARES_MAX   8000

/* The record's fields, in the order they are written; all text. */
static const char *const text_fields[] = {"name",    "kind",   "status",   "leader", "units",
					  "members", "parent", "function", "policy", "rotation"};

#define N_TEXT (sizeof(text_fields) / sizeof(text_fields[0]))

/* The fields an edit may change (kind and status never: retire is its own route). */
static const char *const editable[] = {"name",	 "leader",   "units",  "members",
				       "parent", "function", "policy", "rotation"};

#define N_EDITABLE (sizeof(editable) / sizeof(editable[0]))

static const char *input_str(jd_req *req, const char *name)
{
	return json_string_value(json_object_get(req->input, name));
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static long long this_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	return localtime_r(&now, &tm) != NULL ? tm.tm_year + 1900LL : 0;
}

/* ---- the context of one request ------------------------------------------------------------ */

enum { OP_CREATE, OP_EDIT, OP_RETIRE, OP_SHOW, OP_LIST };

/* per write op: the audit action and the log message */
static const char *const op_actions[] = {"org.group.create", "org.group.update",
					 "org.group.retire"};
static const char *const op_notes[] = {"group created", "group changed", "group retired"};

struct group_ctx {
	jd_req *req;
	int op;
	char tenant[8];
	char code[JD_GROUP_CODE_MAX + 1];
	json_t *old;	  /* edit, retire, show: the group as stored, in the snapshot's shape */
	long long ver;	  /* its version */
	long long rev;	  /* the organization's revision checked against (org_snapshot.h) */
	long long expect; /* write: the version expected of the group's record */
	json_t *out;	  /* write: the group written, for the reply */
};

/* Runs when the request is finished: what the context holds. */
static void ctx_dtor(void *ptr)
{
	struct group_ctx *g = ptr;

	json_decref(g->old);
	json_decref(g->out);
}

/*
 * Checks the tenant's form, the code's (when code), the write scope (when
 * a write), and makes the context.  Replies itself and returns NULL on
 * every failure.
 */
static struct group_ctx *ctx_new(jd_req *req, int op, const char *code)
{
	const char *tenant = input_str(req, "tenant");
	struct group_ctx *g;

	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", or_empty(tenant));
		return NULL;
	}
	if (code != NULL && !jd_org_code_ok(code)) {
		if (op == OP_CREATE)
			jd_reply_error(req, 400, "invalid",
				       "field 'code' must be 1..32 of a-z 0-9 _ -, not '%.40s'",
				       code);
		else
			jd_reply_error(req, 404, "not_found", "no group '%.40s' in tenant %s", code,
				       tenant);
		return NULL;
	}
	if (op <= OP_RETIRE && jd_org_write_check(req, tenant) != JD_OK)
		return NULL;
	g = jd_req_ctx(req, sizeof(*g), ctx_dtor);
	if (g == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "group");
		return NULL;
	}
	g->req = req;
	g->op = op;
	snprintf(g->tenant, sizeof(g->tenant), "%s", tenant);
	snprintf(g->code, sizeof(g->code), "%s", or_empty(code));
	return g;
}

/* "group:<code>" HGETALL -> the group in the snapshot's shape; NULL on failure. */
static json_t *group_of_record(json_t *rec)
{
	json_t *g = json_object();

	for (size_t i = 0; g != NULL && i + 1 < json_array_size(rec); i += 2) {
		const char *k = json_string_value(json_array_get(rec, i));
		const char *v = json_string_value(json_array_get(rec, i + 1));
		json_t *val;

		if (k == NULL || v == NULL || k[0] == '_')
			continue;
		if (strcmp(k, "year") == 0)
			val = json_integer(atoll(v));
		else if (strcmp(k, "shares") == 0 || strcmp(k, "leaders") == 0)
			val = json_loads(v, 0, NULL);
		else
			val = json_string(v);
		if (!json_is_object(val) &&
		    (strcmp(k, "shares") == 0 || strcmp(k, "leaders") == 0)) {
			json_decref(val); /* damaged: read as none rather than fail the group */
			val = json_object();
		}
		if (json_object_set_new(g, k, val) != 0) {
			json_decref(g);
			return NULL;
		}
	}
	return g;
}

/* The reply: {tenant, code, the group..., version}. */
static json_t *reply_of(struct group_ctx *g, const json_t *grp, long long version)
{
	json_t *out = json_pack("{s:s, s:s}", "tenant", g->tenant, "code", g->code);

	if (out == NULL || json_object_update(out, (json_t *)grp) != 0 ||
	    json_object_set_new(out, "version", json_integer(version)) != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* ---- writing ------------------------------------------------------------------------- */

static void on_written(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct group_ctx *g = arg;

	if (rc == JD_OK) /* before the reply, which frees the request */
		jd_notice(op_notes[g->op], "req=%s tenant=%s group=%s by=%s", g->req->id, g->tenant,
			  g->code, g->req->principal.name);
	/* the record's own version, or the organization's revision (the check op) */
	if (rc == JD_E_CONFLICT && g->op == OP_CREATE && res->version > 0)
		jd_reply_error(g->req, 409, "conflict", "group '%s' exists already in tenant %s",
			       g->code, g->tenant);
	else if (rc == JD_E_CONFLICT && g->op != OP_CREATE && res->version != g->expect)
		jd_reply_error(g->req, 409, "conflict",
			       "group '%s' was changed since the version you read", g->code);
	else if (rc == JD_E_CONFLICT)
		jd_reply_error(g->req, 409, "conflict",
			       "the organization of tenant %s changed while group '%s' was checked "
			       "against it: try again",
			       g->tenant, g->code);
	else if (rc != JD_OK)
		jd_reply_rc(g->req, rc, "group");
	else
		jd_reply_json(g->req, g->op == OP_CREATE ? 201 : 200,
			      reply_of(g, g->out, res->version));
}

/* Writes grp (the group to store; the context takes it) as the record and its summary. */
static int write_group(struct group_ctx *g, json_t *grp, long long version)
{
	const char *set[2 * (N_TEXT + 3) + 1];
	char record[8 + JD_GROUP_CODE_MAX], year[24];
	char *summary = json_dumps(grp, JSON_COMPACT);
	char *shares = json_dumps(json_object_get(grp, "shares"), JSON_COMPACT);
	char *leaders = json_dumps(json_object_get(grp, "leaders"), JSON_COMPACT);
	struct jd_op ops[4];
	size_t n = 0, n_ops = 0;
	char rev[24];
	int rc = JD_E_NOMEM;

	g->out = grp;
	g->expect = version;
	if (summary == NULL || shares == NULL || leaders == NULL)
		goto cleanup;
	for (size_t i = 0; i < N_TEXT; i++) {
		set[n++] = text_fields[i];
		set[n++] = jd_snap_str(grp, text_fields[i]);
	}
	snprintf(year, sizeof(year), "%lld", jd_snap_int(grp, "year"));
	set[n++] = "year";
	set[n++] = year;
	set[n++] = "shares";
	set[n++] = shares;
	set[n++] = "leaders";
	set[n++] = leaders;
	set[n] = NULL;
	snprintf(record, sizeof(record), "group:%s", g->code);
	ops[n_ops++] = (struct jd_op){JD_OP_HSET, "groups:summary", g->code, summary};
	if (g->op == OP_CREATE)
		ops[n_ops++] = (struct jd_op){JD_OP_ZADD, "groups:by_code", g->code, "0"};
	/* checked against the snapshot: it must still be the organization written to */
	snprintf(rev, sizeof(rev), "%lld", g->rev);
	ops[n_ops++] = (struct jd_op){JD_OP_CHECK, JD_ORG_REV_KEY, NULL, rev};
	ops[n_ops++] = jd_org_rev_op();
	rc = jd_store_mutate(g->req->srv->store,
			     &(const struct jd_mutation){.tenant = g->tenant,
							 .record = record,
							 .expect_version = version,
							 .set = set,
							 .ops = ops,
							 .n_ops = n_ops,
							 .req = g->req,
							 .action = op_actions[g->op]},
			     on_written, g);
cleanup:
	free(summary);
	free(shares);
	free(leaders);
	return rc;
}

/*
 * The group the request proposes: the stored one (edit) with the input's
 * fields over it.  A new policy drops the old one's rotation and shares;
 * "year" is the input's or 0 (org_group_model.h).  NULL and a reason in
 * why (400) or not (out of memory).
 */
static json_t *proposed(struct group_ctx *g, char *why, size_t len)
{
	jd_req *req = g->req;
	json_t *in = g->old ? json_deep_copy(g->old) : json_pack("{s:s}", "status", "active");
	json_t *year = json_object_get(req->input, "year");
	const char *policy = input_str(req, "policy"), *shares = input_str(req, "shares");
	json_t *parsed = NULL;
	int rc = in != NULL ? 0 : -1;

	why[0] = '\0';
	if (rc == 0 && g->op == OP_CREATE)
		rc = json_object_set_new(in, "kind", json_string(input_str(req, "kind")));
	for (size_t i = 0; rc == 0 && i < N_EDITABLE; i++)
		if (input_str(req, editable[i]) != NULL)
			rc = json_object_set_new(in, editable[i],
						 json_string(input_str(req, editable[i])));
	if (rc == 0 && policy != NULL && strcmp(policy, jd_snap_str(g->old, "policy")) != 0) {
		if (input_str(req, "rotation") == NULL)
			rc = json_object_set_new(in, "rotation", json_string(""));
		if (rc == 0 && shares == NULL)
			rc = json_object_set_new(in, "shares", json_object());
	}
	if (rc == 0 && shares != NULL) {
		if (jd_group_shares_parse(shares, &parsed, why, len) != JD_OK)
			rc = -1;
		else
			rc = json_object_set_new(in, "shares", parsed);
	}
	if (rc == 0)
		rc = json_object_set_new(in, "year", json_integer(json_integer_value(year)));
	if (rc != 0) {
		json_decref(in);
		return NULL;
	}
	return in;
}

static void check_and_write(struct group_ctx *g, const json_t *snap)
{
	long long version = g->op == OP_CREATE
				? JD_VERSION_NEW
				: json_integer_value(json_object_get(g->req->input, "version"));
	json_t *in, *grp = NULL;
	char why[300];
	int rc;

	in = proposed(g, why, sizeof(why));
	if (in == NULL) {
		if (why[0] != '\0')
			jd_reply_error(g->req, 400, "invalid", "%s", why);
		else
			jd_reply_rc(g->req, JD_E_NOMEM, "group");
		return;
	}
	rc = jd_group_check(snap, g->code, in, g->old, this_year(), &grp, why, sizeof(why));
	json_decref(in);
	if (rc == JD_E_INVALID) {
		jd_reply_error(g->req, 400, "invalid", "%s", why);
		return;
	}
	if (rc == JD_OK)
		rc = write_group(g, grp, version);
	if (rc != JD_OK)
		jd_reply_rc(g->req, rc, "group");
}

/* A group with active sub-groups is not retired under them: "a,b" of them, or "". */
static void active_children(const json_t *snap, const char *code, char *out, size_t len)
{
	const char *key;
	json_t *sub;
	size_t used = 0;

	out[0] = '\0';
	json_object_foreach(json_object_get(snap, "groups"), key, sub)
	{
		const char *st = jd_snap_str(sub, "status");

		if (strcmp(jd_snap_str(sub, "parent"), code) == 0 &&
		    (*st == '\0' || strcmp(st, "active") == 0) && used < len)
			used +=
			    (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", key);
	}
}

static void retire_now(struct group_ctx *g, const json_t *snap)
{
	long long version = json_integer_value(json_object_get(g->req->input, "version"));
	json_t *grp = json_deep_copy(g->old);
	char children[200];
	int rc = JD_E_NOMEM;

	active_children(snap, g->code, children, sizeof(children));
	if (children[0] != '\0') {
		jd_reply_error(g->req, 409, "conflict",
			       "group '%s' has active sub-groups (%s): retire them first", g->code,
			       children);
		json_decref(grp);
		return;
	}
	if (grp != NULL && json_object_set_new(grp, "status", json_string("retired")) == 0)
		rc = write_group(g, grp, version);
	else
		json_decref(grp);
	if (rc != JD_OK)
		jd_reply_rc(g->req, rc, "group");
}

static void on_snapshot(int rc, json_t *snap, void *arg)
{
	struct group_ctx *g = arg;

	if (jd_org_snapshot_check(g->req, rc, snap, g->tenant, "groups") != JD_OK)
		; /* replied */
	else if ((g->rev = jd_snap_int(snap, "rev")) < 0)
		jd_reply_rc(g->req, JD_ERR, "group"); /* a revision is never negative */
	else if (g->op == OP_CREATE &&
		 json_object_get(json_object_get(snap, "groups"), g->code) != NULL)
		jd_reply_error(g->req, 409, "conflict", "group '%s' exists already in tenant %s",
			       g->code, g->tenant);
	else if (g->op == OP_RETIRE) {
		retire_now(g, snap);
		return;
	} else {
		check_and_write(g, snap);
		return;
	}
}

/* Reads the county (the snapshot borrowed for the call), then validates and writes. */
static void with_snapshot(struct group_ctx *g)
{
	int rc = jd_org_snapshot_read(g->req->srv, g->tenant, 0, on_snapshot, g);

	if (rc != JD_OK)
		jd_reply_rc(g->req, rc, "group");
}

/* ---- reading one group (show, and before an edit or a retirement) ------------------------ */

static void on_record(int rc, json_t *result, void *arg)
{
	struct group_ctx *g = arg;
	const char *v = jd_hgetall_field(result, "_v");

	if (rc != JD_OK) {
		jd_reply_rc(g->req, rc, "group");
		return;
	}
	if (json_array_size(result) == 0) {
		jd_reply_error(g->req, 404, "not_found", "no group '%s' in tenant %s", g->code,
			       g->tenant);
		return;
	}
	g->old = group_of_record(result);
	g->ver = v ? atoll(v) : 0;
	if (g->old == NULL) {
		jd_reply_rc(g->req, JD_E_NOMEM, "group");
		return;
	}
	if (g->op == OP_SHOW) {
		jd_reply_json(g->req, 200, reply_of(g, g->old, g->ver));
		return;
	}
	if (strcmp(jd_snap_str(g->old, "status"), "retired") == 0) {
		jd_reply_error(g->req, 409, "conflict", "group '%s' is retired%s", g->code,
			       g->op == OP_RETIRE ? " already" : "");
		return;
	}
	with_snapshot(g);
}

static void fetch_group(struct group_ctx *g)
{
	char key[8 + JD_GROUP_CODE_MAX];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	snprintf(key, sizeof(key), "group:%s", g->code);
	rc = jd_store_read(g->req->srv->store, g->tenant, 2, argv, on_record, g);
	if (rc != JD_OK)
		jd_reply_rc(g->req, rc, "group");
}

/* ---- the write routes ---------------------------------------------------------------------- */

static void create_group(jd_req *req, void *arg)
{
	const char *kind = input_str(req, "kind");
	struct group_ctx *g;

	(void)arg;
	if (!jd_group_kind_valid(kind)) {
		jd_reply_error(
		    req, 400, "invalid",
		    "field 'kind': '%.32s' is not a kind (task_force, case_centre, area, "
		    "joint_group, matter, sub_group)",
		    or_empty(kind));
		return;
	}
	g = ctx_new(req, OP_CREATE, input_str(req, "code"));
	if (g != NULL)
		with_snapshot(g);
}

/* edit and retire: a version, then the stored group, then the county. */
static void change_group(jd_req *req, int op)
{
	struct group_ctx *g;

	if (json_integer_value(json_object_get(req->input, "version")) < 1) {
		jd_reply_error(req, 400, "invalid", "field 'version' must be at least 1");
		return;
	}
	g = ctx_new(req, op, jd_params_get(&req->params, "code"));
	if (g != NULL)
		fetch_group(g);
}

static void edit_group(jd_req *req, void *arg)
{
	(void)arg;
	change_group(req, OP_EDIT);
}

static void retire_group(jd_req *req, void *arg)
{
	(void)arg;
	change_group(req, OP_RETIRE);
}

static void show_group(jd_req *req, void *arg)
{
	struct group_ctx *g;

	(void)arg;
	g = ctx_new(req, OP_SHOW, jd_params_get(&req->params, "code"));
	if (g != NULL)
		fetch_group(g);
}

/* ---- listing ---------------------------------------------------------------------------- */

static void list_now(struct group_ctx *g)
{
	struct jd_listing spec = {
	    .tenant = g->tenant,
	    .index = "groups:by_code",
	    .summaries = "groups:summary",
	};
	struct jd_listing_match of_kind = {.id_name = "code", .field = "kind"};

	snprintf(of_kind.value, sizeof(of_kind.value), "%s", or_empty(input_str(g->req, "kind")));
	jd_reply_listing(g->req, &spec, &of_kind, "groups", g->tenant, LIST_DEFAULT);
}

static void on_tenant(int rc, json_t *result, void *arg)
{
	struct group_ctx *g = arg;

	if (jd_org_county_check(g->req, rc, result, g->tenant, "groups") == JD_OK)
		list_now(g);
}

static void list_groups(jd_req *req, void *arg)
{
	const char *kind = input_str(req, "kind");
	struct group_ctx *g;
	char key[16];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	(void)arg;
	if (kind != NULL && *kind != '\0' && !jd_group_kind_valid(kind)) {
		jd_reply_error(req, 400, "invalid", "field 'kind': '%.32s' is not a kind", kind);
		return;
	}
	g = ctx_new(req, OP_LIST, NULL);
	if (g == NULL)
		return;
	snprintf(key, sizeof(key), "tenant:%s", g->tenant);
	rc = jd_store_read(req->srv->store, JD_SYSTEM_TENANT, 2, argv, on_tenant, g);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "groups");
}

/* ---- routes -------------------------------------------------------------------------------- */

/* clang-format off */
#define GROUP_FIELDS \
	{"leader", JD_FIELD_STRING, 0, ORG_NAME_MAX, \
	 "the leader: a leadership member (委班子成员), by id or unique name", 0}, \
	{"units", JD_FIELD_STRING, 0, UNITS_CSV, "member units: comma-separated codes", 0}, \
	{"members", JD_FIELD_STRING, 0, MEMBERS_CSV, \
	 "members: comma-separated person ids or unique names", 0}, \
	{"parent", JD_FIELD_STRING, 0, JD_GROUP_CODE_MAX, \
	 "sub_group: the group it is part of (active, not a sub_group)", 0}, \
	{"function", JD_FIELD_STRING, 0, 32, \
	 "sub_group: general, supervision_inspection, review_investigation, " \
	 "daily_supervision or case_handling", 0}, \
	{"policy", JD_FIELD_STRING, 0, 16, \
	 "joint_group: rotating (轮岗牵头) or division (分工负责)", 0}, \
	{"rotation", JD_FIELD_STRING, 0, UNITS_CSV, \
	 "policy rotating: the member units in their order of leading, each once", 0}, \
	{"shares", JD_FIELD_STRING, 0, SHARES_MAX, \
	 "policy division: unit:what it answers for;unit:... one per member unit", 0}, \
	{"year", JD_FIELD_INTEGER, 0, 0, \
	 "the year the leader leads (default: this year, or kept with the leader)", 0}
/* clang-format on */

static const struct jd_field create_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"code", JD_FIELD_STRING, 1, JD_GROUP_CODE_MAX, "group code, unique in the tenant: a-z 0-9 _ -",
     0},
    {"kind", JD_FIELD_STRING, 1, 16,
     "task_force, case_centre, area, joint_group, matter (1+N) or sub_group", 0},
    {"name", JD_FIELD_STRING, 1, ORG_NAME_MAX, "name, e.g. 第一协作片区", 0},
    GROUP_FIELDS,
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field edit_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"name", JD_FIELD_STRING, 0, ORG_NAME_MAX, "name", 0},
    GROUP_FIELDS,
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field retire_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field list_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"kind", JD_FIELD_STRING, 0, 16, "only the groups of this kind", 0},
    JD_LIST_FIELDS,
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field tenant_only[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route group_routes[] = {
    {"POST", "/v1/org/groups", "org.write",
     "Add a group (task force, case centre, area, joint group, 1+N matter, sub-group)",
     "org groups add", create_fields, 0, create_group, NULL},
    {"GET", "/v1/org/groups", "org.read", "List a county's groups by code, a page at a time",
     "org groups list", list_fields, 0, list_groups, NULL},
    {"GET", "/v1/org/groups/{code}", "org.read", "Show a group with its leader history",
     "org groups show", tenant_only, 0, show_group, NULL},
    {"PATCH", "/v1/org/groups/{code}", "org.write",
     "Change a group's name, leader, units, members or lead policy", "org groups edit", edit_fields,
     0, edit_group, NULL},
    {"POST", "/v1/org/groups/{code}/retire", "org.write", "Retire a group (kept, never deleted)",
     "org groups retire", retire_fields, 0, retire_group, NULL},
};

int jd_org_groups_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, group_routes,
				   sizeof(group_routes) / sizeof(group_routes[0]), "core", err,
				   errlen);
}
