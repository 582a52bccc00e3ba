/* POST /v1/org/groups/rotate: propose the area groups' rotation, apply it on confirmation. */
#include "org/org_rotation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "runtime/log.h"
#include "org/org_codes.h"
#include "org/org_group_model.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"
#include "security/tenant_keys.h"

#define WHY_MAX 4096

struct rotate_ctx {
	jd_req *req;
	char tenant[8];
	int year;
	char confirm[JD_ROTATION_DIGEST_HEX + 1];
	char digest[JD_ROTATION_DIGEST_HEX + 1];
	json_t *snap;
	json_t *plan;
	/* the mutation's texts and ops (the store copies them when it is sent) */
	json_t *texts;
	struct jd_op *ops;
};

/* Runs when the request is finished: what the context holds. */
static void ctx_dtor(void *ptr)
{
	struct rotate_ctx *c = ptr;

	json_decref(c->snap);
	json_decref(c->plan);
	json_decref(c->texts);
	free(c->ops);
}

/* 409 with a message that may be longer than jd_reply_error's. */
static void reply_no_plan(jd_req *req, const char *why)
{
	jd_reply_json(req, 409,
		      json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "no_plan", "message", why,
				"request_id", req->id));
}

/* The proposal or the applied plan, for a human (names) with what to do next. */
static void reply_plan(struct rotate_ctx *c, int applied, long long version)
{
	json_t *view = jd_org_rotation_view(c->snap, c->plan);
	json_t *out = json_pack("{s:s, s:i, s:I, s:s, s:b}", "tenant", c->tenant, "year", c->year,
				"rev", (json_int_t)jd_snap_int(c->snap, "rev"), "digest", c->digest,
				"applied", applied);
	char next[256];
	int rc = view != NULL && out != NULL ? json_object_update(out, view) : -1;

	if (rc == 0 && applied)
		rc = json_object_set_new(out, "rev", json_integer(version));
	if (rc == 0 && !applied) {
		snprintf(next, sizeof(next),
			 "jianductl groups rotate --tenant %s --year %d --confirm %s", c->tenant,
			 c->year, c->digest);
		rc = json_object_set_new(out, "confirm_with", json_string(next));
	}
	json_decref(view);
	if (rc != 0) {
		json_decref(out);
		jd_reply_rc(c->req, JD_E_NOMEM, "rotation");
		return;
	}
	jd_reply_json(c->req, 200, out);
}

/* ---- applying ------------------------------------------------------------------------------ */

static void on_applied(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct rotate_ctx *c = arg;

	if (rc == JD_OK) /* before the reply, which frees the request */
		jd_notice("area groups rotated", "req=%s tenant=%s year=%d groups=%zu by=%s",
			  c->req->id, c->tenant, c->year,
			  json_array_size(json_object_get(c->plan, "groups")),
			  c->req->principal.name);
	if (rc == JD_E_CONFLICT)
		jd_reply_error(c->req, 409, "conflict",
			       "the organization changed since the proposal: propose again");
	else if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "rotation");
	else
		reply_plan(c, 1, res->version);
}

/* Keeps text alive in c->texts until the mutation answers; NULL out of memory. */
static const char *keep(struct rotate_ctx *c, char *text)
{
	json_t *s = text ? json_string(text) : NULL;

	free(text);
	if (s == NULL || json_array_append_new(c->texts, s) != 0)
		return NULL;
	return json_string_value(s);
}

/* The ops rewriting one group: its record's fields, its version, its summary. */
static int group_ops(struct rotate_ctx *c, const char *code, const json_t *g, struct jd_op *op)
{
	char rec_key[8 + JD_GROUP_CODE_MAX];
	const char *rec;
	const char *summary = keep(c, json_dumps(g, JSON_COMPACT));
	const char *leaders = keep(c, json_dumps(json_object_get(g, "leaders"), JSON_COMPACT));
	char y[16];
	const char *year;

	snprintf(rec_key, sizeof(rec_key), "group:%s", code);
	rec = keep(c, strdup(rec_key));
	snprintf(y, sizeof(y), "%lld", jd_snap_int(g, "year"));
	year = keep(c, strdup(y));
	if (rec == NULL || summary == NULL || leaders == NULL || year == NULL)
		return JD_E_NOMEM;
	op[0] = (struct jd_op){JD_OP_HSET, rec, "leader", jd_snap_str(g, "leader")};
	op[1] = (struct jd_op){JD_OP_HSET, rec, "year", year};
	op[2] = (struct jd_op){JD_OP_HSET, rec, "leaders", leaders};
	op[3] = (struct jd_op){JD_OP_HSET, rec, "members", jd_snap_str(g, "members")};
	/* a group edit made against the version read before the rotation must now conflict */
	op[4] = (struct jd_op){JD_OP_HINCRBY, rec, "_v", "1"};
	op[5] = (struct jd_op){JD_OP_HSET, "groups:summary", code, summary};
	return JD_OK;
}

#define OPS_PER_GROUP 6

static void apply(struct rotate_ctx *c)
{
	json_t *after = jd_org_rotation_groups(c->snap, c->plan);
	size_t n = 0, cap = json_object_size(after) * OPS_PER_GROUP + 1;
	const char *code, *plan_text, *score;
	json_t *g;
	int rc = JD_E_NOMEM;
	char y[16];

	c->texts = json_array();
	c->ops = calloc(cap, sizeof(*c->ops));
	if (after == NULL || c->texts == NULL || c->ops == NULL)
		goto fail;
	json_object_foreach(after, code, g)
	{
		if (group_ops(c, code, g, &c->ops[n]) != JD_OK)
			goto fail;
		n += OPS_PER_GROUP;
	}
	snprintf(y, sizeof(y), "%d", c->year);
	plan_text = keep(c, json_dumps(c->plan, JSON_COMPACT | JSON_SORT_KEYS));
	score = keep(c, strdup(y));
	if (plan_text == NULL || score == NULL)
		goto fail;
	c->ops[n++] = (struct jd_op){JD_OP_ZADD, "rotations", plan_text, score};
	/* the organization's revision is the record: a change since the snapshot answers 409 */
	rc = jd_store_mutate(
	    c->req->srv->store,
	    &(const struct jd_mutation){.tenant = c->tenant,
					.record = JD_ORG_REV_KEY,
					.expect_version = jd_snap_int(c->snap, "rev"),
					.ops = c->ops,
					.n_ops = n,
					.req = c->req,
					.action = "org.groups.rotate"},
	    on_applied, c);
	if (rc == JD_OK) {
		json_decref(after);
		return;
	}
fail:
	json_decref(after);
	jd_reply_rc(c->req, rc, "rotation");
}

/* ---- planning ------------------------------------------------------------------------------ */

static void plan_with(struct rotate_ctx *c, const struct jd_org_ties *ties)
{
	char why[WHY_MAX];
	int rc = jd_org_rotation_plan(c->snap, c->year, ties, &c->plan, why, sizeof(why));

	if (rc == JD_OK)
		rc = jd_org_rotation_digest(c->plan, jd_snap_int(c->snap, "rev"), c->digest);
	if (rc == JD_E_CONFLICT) {
		reply_no_plan(c->req, why);
	} else if (rc == JD_E_INVALID) {
		jd_reply_error(c->req, 400, "invalid", "%s", why);
	} else if (rc != JD_OK) {
		jd_reply_rc(c->req, rc, "rotation");
	} else if (c->confirm[0] == '\0') {
		reply_plan(c, 0, 0);
	} else if (strcmp(c->confirm, c->digest) != 0) {
		jd_reply_error(c->req, 409, "conflict",
			       "the organization changed since the proposal: propose again");
	} else {
		apply(c); /* replies */
		return;
	}
}

/* Whose ties the plan weighs: the active leadership members and the area groups' members. */
static json_t *weighed_people(const json_t *snap)
{
	json_t *ids = json_array(), *people = json_object_get(snap, "people");
	json_t *groups = json_object_get(snap, "groups"), *v;
	const char *k;

	json_object_foreach(people, k, v)
	{
		const char *st = jd_snap_str(v, "status");

		if (ids != NULL && strcmp(jd_snap_str(v, "post"), "leader") == 0 &&
		    (*st == '\0' || strcmp(st, "active") == 0) &&
		    json_array_append_new(ids, json_string(k)) != 0) {
			json_decref(ids);
			ids = NULL;
		}
	}
	json_object_foreach(groups, k, v)
	{
		const char *p = jd_snap_str(v, "members");

		if (strcmp(jd_snap_str(v, "kind"), "area") != 0)
			continue;
		while (ids != NULL && *p != '\0') {
			const char *end = strchr(p, ',');
			size_t n = end ? (size_t)(end - p) : strlen(p);

			if (n > 0 && json_array_append_new(ids, json_stringn(p, n)) != 0) {
				json_decref(ids);
				ids = NULL;
			}
			p = end ? end + 1 : p + n;
		}
	}
	return ids;
}

static void on_keys(int rc, void *arg)
{
	struct rotate_ctx *c = arg;
	const jd_req *req = c->req;
	const struct jd_org_actor who = {
	    req->principal.name, jd_auth_cred_name(req->principal.cred), req->source, req->id};
	json_t *ids = rc == JD_OK ? weighed_people(c->snap) : NULL;
	struct jd_org_ties *ties = NULL;

	if (rc == JD_OK)
		rc = ids ? jd_org_ties_open(req->srv, c->snap, c->tenant, ids, &who, &ties)
			 : JD_E_NOMEM;
	json_decref(ids);
	if (rc != JD_OK) {
		jd_warn("rotation: ties not opened", "req=%s tenant=%s rc=%d", req->id, c->tenant,
			rc);
		jd_reply_rc(c->req, rc == JD_E_FORBIDDEN || rc == JD_E_NOTFOUND ? JD_ERR : rc,
			    "rotation");
		return;
	}
	plan_with(c, ties);
	jd_org_ties_free(ties); /* wiped as soon as the plan is made */
}

static void on_snapshot(int rc, json_t *snap, void *arg)
{
	struct rotate_ctx *c = arg;

	if (jd_org_snapshot_check(c->req, rc, snap, c->tenant, "groups") != JD_OK)
		return;
	c->snap = json_incref(snap); /* the reader frees its reference after this call */
	if (json_object_size(json_object_get(snap, "ties")) == 0) {
		plan_with(c, NULL);
		return;
	}
	rc = c->req->srv->tenant_keys
		 ? jd_tenant_keys_ready(c->req->srv->tenant_keys, c->tenant, on_keys, c)
		 : JD_E_UNAVAILABLE;
	if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "rotation");
}

static void rotate(jd_req *req, void *arg)
{
	const char *tenant = json_string_value(json_object_get(req->input, "tenant"));
	const char *confirm = json_string_value(json_object_get(req->input, "confirm"));
	long long year = json_integer_value(json_object_get(req->input, "year"));
	struct rotate_ctx *c;
	int rc;

	(void)arg;
	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", tenant ? tenant : "");
		return;
	}
	if (year < JD_GROUP_YEAR_MIN || year > JD_GROUP_YEAR_MAX) {
		jd_reply_error(req, 400, "invalid", "field 'year' must be a year %d..%d",
			       JD_GROUP_YEAR_MIN, JD_GROUP_YEAR_MAX);
		return;
	}
	if (confirm != NULL && *confirm != '\0' &&
	    !jd_org_hex_ok(confirm, JD_ROTATION_DIGEST_HEX)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'confirm' must be the digest a proposal answered (64 hex)");
		return;
	}
	if (jd_org_write_check(req, tenant) != JD_OK)
		return;
	c = jd_req_ctx(req, sizeof(*c), ctx_dtor);
	if (c == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "rotation");
		return;
	}
	c->req = req;
	c->year = (int)year;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	snprintf(c->confirm, sizeof(c->confirm), "%s", confirm ? confirm : "");
	rc = jd_org_snapshot_read(req->srv, c->tenant, JD_SNAP_TIES, on_snapshot, c);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "rotation");
}

static const struct jd_field rotate_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"year", JD_FIELD_INTEGER, 1, 0, "the year the new leaders lead", 0},
    {"confirm", JD_FIELD_STRING, 0, JD_ROTATION_DIGEST_HEX,
     "the digest of the proposal to apply (omit to propose)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route rotation_routes[] = {
    {"POST", "/v1/org/groups/rotate", "org.write",
     "Rotate the area groups' leaders and members for a year (propose, then confirm)",
     "groups rotate", rotate_fields, 0, rotate, NULL},
};

int jd_org_rotation_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, rotation_routes,
				   sizeof(rotation_routes) / sizeof(rotation_routes[0]), "core",
				   err, errlen);
}
