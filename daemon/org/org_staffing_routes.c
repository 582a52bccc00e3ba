/*
 * The staffing routes (org_staffing.h): GET /v1/org/staffing, and the post
 * transfers, GET and POST /v1/org/transfers.  Each reads the county whole
 * (org_snapshot.h).  A transfer is checked against that snapshot and
 * written in one mutation whose record is "orgrev", expected at the
 * snapshot's revision: an org change made in between answers 409, so the
 * approved posts checked are the ones moved.
 */
#include "org/org_history.h"
#include "org/org_staffing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"
#include "org/org_codes.h"
#include "org/org_date.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"

#define UNIT_CODE_MAX JD_ORG_CODE_MAX
#define POSTS_MAX     10000 /* as a unit's approved posts (org_units.c) */
#define REASON_MAX    500
#define ID_LEN	      32

enum { OP_STAFFING, OP_LIST, OP_TRANSFER };

struct staff_ctx {
	jd_req *req;
	int op;
	char tenant[8];
	char from[UNIT_CODE_MAX + 1], to[UNIT_CODE_MAX + 1];
	char id[ID_LEN + 1];
	long long posts, leadership;
	json_t *texts; /* strings the mutation points into, kept until it is sent */
};

static const char *input_str(jd_req *req, const char *name)
{
	return json_string_value(json_object_get(req->input, name));
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Runs when the request is finished: what the context holds. */
static void ctx_dtor(void *ptr)
{
	struct staff_ctx *c = ptr;

	json_decref(c->texts);
}

/* Keeps text (malloc'd, taken over) alive in c->texts; NULL when text is NULL or on failure. */
static const char *keep(struct staff_ctx *c, char *text)
{
	json_t *s = text ? json_string(text) : NULL;

	free(text);
	if (s == NULL || json_array_append_new(c->texts, s) != 0)
		return NULL;
	return json_string_value(s);
}

/* ---- GET /v1/org/staffing and /v1/org/transfers ------------------------------------------- */

static void reply_staffing(struct staff_ctx *c, const json_t *snap)
{
	json_t *st = jd_org_staffing(snap);

	if (st == NULL || json_object_set_new(st, "tenant", json_string(c->tenant)) != 0 ||
	    json_object_set_new(st, "rev", json_integer(jd_snap_int(snap, "rev"))) != 0) {
		json_decref(st);
		jd_reply_rc(c->req, JD_E_NOMEM, "staffing");
		return;
	}
	jd_reply_json(c->req, 200, st);
}

static void reply_transfers(struct staff_ctx *c, const json_t *snap)
{
	json_t *list = json_object_get(snap, "transfers");

	jd_reply_json(c->req, 200,
		      json_pack("{s:s, s:o}", "tenant", c->tenant, "transfers",
				list ? json_incref(list) : json_array()));
}

/* ---- POST /v1/org/transfers ------------------------------------------------------------------ */

static void on_transferred(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct staff_ctx *c = arg;

	if (rc == JD_OK) /* before the reply, which frees the request */
		jd_notice("posts transferred", "req=%s tenant=%s from=%s to=%s posts=%lld by=%s",
			  c->req->id, c->tenant, c->from, c->to, c->posts, c->req->principal.name);
	if (rc == JD_OK) /* this month's org figures (org_history.h) */
		jd_org_history_refresh(c->req->srv, c->tenant);
	if (rc == JD_E_CONFLICT)
		jd_reply_error(c->req, 409, "conflict",
			       "the organization of tenant %s changed meanwhile: read it again",
			       c->tenant);
	else if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "transfer");
	else
		jd_reply_json(c->req, 201,
			      json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "tenant", c->tenant,
					"id", c->id, "from", c->from, "to", c->to, "posts",
					(json_int_t)c->posts, "leadership_posts",
					(json_int_t)c->leadership, "rev",
					(json_int_t)res->version));
}

/* The unit's summary with its approved posts changed by sign * the transfer's. */
static char *summary_after(const struct staff_ctx *c, const json_t *u, int sign)
{
	json_t *s = json_deep_copy(u);
	char *out = NULL;

	if (s != NULL &&
	    json_object_set_new(s, "posts",
				json_integer(jd_snap_int(u, "posts") + sign * c->posts)) == 0 &&
	    json_object_set_new(
		s, "leadership_posts",
		json_integer(jd_snap_int(u, "leadership_posts") + sign * c->leadership)) == 0)
		out = json_dumps(s, JSON_COMPACT);
	json_decref(s);
	return out;
}

static char *decimal(long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return strdup(buf);
}

#define OPS_PER_UNIT 4

/*
 * The ops that rewrite one unit's approved posts: its record, its version
 * (an edit made against the version read before the transfer must now
 * conflict) and its summary.
 */
static int unit_ops(struct staff_ctx *c, const char *code, const json_t *u, int sign,
		    struct jd_op *op)
{
	char rec[8 + UNIT_CODE_MAX];
	const char *key, *posts, *leadership, *summary;

	snprintf(rec, sizeof(rec), "unit:%s", code);
	key = keep(c, strdup(rec));
	posts = keep(c, decimal(jd_snap_int(u, "posts") + sign * c->posts));
	leadership = keep(c, decimal(jd_snap_int(u, "leadership_posts") + sign * c->leadership));
	summary = keep(c, summary_after(c, u, sign));
	if (key == NULL || posts == NULL || leadership == NULL || summary == NULL)
		return JD_E_NOMEM;
	op[0] = (struct jd_op){JD_OP_HSET, key, "posts", posts};
	op[1] = (struct jd_op){JD_OP_HSET, key, "leadership_posts", leadership};
	op[2] = (struct jd_op){JD_OP_HINCRBY, key, "_v", "1"};
	op[3] = (struct jd_op){JD_OP_HSET, "units:summary", code, summary};
	return JD_OK;
}

/* The sorted set's member: the transfer as org_staffing.h describes it. */
static char *member_of(struct staff_ctx *c)
{
	unsigned char rnd[ID_LEN / 2];
	json_t *t;
	char *out;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(c->id, sizeof(c->id), rnd, sizeof(rnd));
	t = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "id", c->id, "date",
		      input_str(c->req, "date"), "from", c->from, "to", c->to, "count",
		      (json_int_t)c->posts, "leadership_count", (json_int_t)c->leadership, "reason",
		      or_empty(input_str(c->req, "reason")));
	out = t ? json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(t);
	return out;
}

static void transfer_write(struct staff_ctx *c, const json_t *snap)
{
	const json_t *units = json_object_get(snap, "units");
	struct jd_op ops[2 * OPS_PER_UNIT + 1];
	const char *member, *score;
	int rc = JD_E_NOMEM;

	c->texts = json_array();
	if (c->texts == NULL)
		goto fail;
	member = keep(c, member_of(c));
	score = keep(c, decimal(jd_org_date_score(input_str(c->req, "date"))));
	if (member == NULL || score == NULL ||
	    unit_ops(c, c->from, json_object_get(units, c->from), -1, ops) != JD_OK ||
	    unit_ops(c, c->to, json_object_get(units, c->to), 1, ops + OPS_PER_UNIT) != JD_OK)
		goto fail;
	ops[2 * OPS_PER_UNIT] = (struct jd_op){JD_OP_ZADD, "transfers", member, score};
	/*
	 * The revision is the record (it is bumped as such), so no jd_org_rev_op:
	 * rev 0 (no org write yet) expects it absent, as JD_VERSION_NEW does.
	 */
	rc = jd_store_mutate(c->req->srv->store,
			     &(const struct jd_mutation){.tenant = c->tenant,
							 .record = JD_ORG_REV_KEY,
							 .expect_version = jd_snap_int(snap, "rev"),
							 .ops = ops,
							 .n_ops = 2 * OPS_PER_UNIT + 1,
							 .req = c->req,
							 .action = "org.transfer.create"},
			     on_transferred, c);
	if (rc == JD_OK)
		return;
fail:
	jd_reply_rc(c->req, rc, "transfer");
}

/* JD_OK, or 400 replied: field names an active unit of the county. */
static int unit_check(struct staff_ctx *c, const json_t *snap, const char *field, const char *code)
{
	const json_t *u = json_object_get(json_object_get(snap, "units"), code);
	const char *status = jd_snap_str(u, "status");

	if (u == NULL) {
		jd_reply_error(c->req, 400, "invalid", "field '%s': no unit '%s' in tenant %s",
			       field, code, c->tenant);
		return JD_E_INVALID;
	}
	if (*status != '\0' && strcmp(status, "active") != 0) {
		jd_reply_error(c->req, 400, "invalid", "field '%s': unit '%s' is %s", field, code,
			       status);
		return JD_E_INVALID;
	}
	return JD_OK;
}

/* JD_OK, or 400 replied: the approved posts allow the transfer. */
static int posts_check(struct staff_ctx *c, const json_t *snap)
{
	const json_t *units = json_object_get(snap, "units");
	const json_t *from = json_object_get(units, c->from), *to = json_object_get(units, c->to);
	long long fp = jd_snap_int(from, "posts"), fl = jd_snap_int(from, "leadership_posts");

	if (fp < c->posts)
		jd_reply_error(c->req, 400, "invalid",
			       "field 'posts': unit '%s' has %lld approved posts, fewer than the "
			       "%lld to move",
			       c->from, fp, c->posts);
	else if (fl < c->leadership)
		jd_reply_error(c->req, 400, "invalid",
			       "field 'leadership_posts': unit '%s' has %lld leadership posts, "
			       "fewer than the %lld to move",
			       c->from, fl, c->leadership);
	else if (fl - c->leadership > fp - c->posts)
		jd_reply_error(c->req, 400, "invalid",
			       "field 'leadership_posts': unit '%s' would keep %lld leadership "
			       "posts for %lld posts",
			       c->from, fl - c->leadership, fp - c->posts);
	else if (jd_snap_int(to, "posts") + c->posts > POSTS_MAX)
		jd_reply_error(c->req, 400, "invalid",
			       "field 'posts': unit '%s' would have more than %d approved posts",
			       c->to, POSTS_MAX);
	else
		return JD_OK;
	return JD_E_INVALID;
}

static void transfer_check(struct staff_ctx *c, const json_t *snap)
{
	if (unit_check(c, snap, "from", c->from) != JD_OK ||
	    unit_check(c, snap, "to", c->to) != JD_OK || posts_check(c, snap) != JD_OK) {
		return;
	}
	transfer_write(c, snap); /* replies */
}

/* ---- the snapshot, then each route's part ---------------------------------------------------- */

static void on_snapshot(int rc, json_t *snap, void *arg)
{
	struct staff_ctx *c = arg;

	if (jd_org_snapshot_check(c->req, rc, snap, c->tenant, "posts") != JD_OK)
		; /* replied */
	else if (c->op == OP_TRANSFER) {
		transfer_check(c, snap); /* replies */
		return;
	} else if (c->op == OP_LIST)
		reply_transfers(c, snap);
	else
		reply_staffing(c, snap);
}

/* Reads the county (its snapshot borrowed for the callback), then goes on by c->op. */
static void start(jd_req *req, int op, struct staff_ctx *c)
{
	const char *tenant = input_str(req, "tenant");
	int rc;

	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", or_empty(tenant));
		return;
	}
	c->req = req;
	c->op = op;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	rc = jd_org_snapshot_read(req->srv, c->tenant, 0, on_snapshot, c);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "staffing");
}

static void new_ctx(jd_req *req, int op)
{
	struct staff_ctx *c = jd_req_ctx(req, sizeof(*c), ctx_dtor);

	if (c == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "staffing");
		return;
	}
	start(req, op, c);
}

static void get_staffing(jd_req *req, void *arg)
{
	(void)arg;
	new_ctx(req, OP_STAFFING);
}

static void list_transfers(jd_req *req, void *arg)
{
	(void)arg;
	new_ctx(req, OP_LIST);
}

/* JD_OK, or 400 replied: the input's unit code is of the right form. */
static int code_check(jd_req *req, const char *field, const char *s)
{
	if (jd_org_code_ok(s))
		return JD_OK;
	jd_reply_error(req, 400, "invalid", "field '%s': no unit '%.40s'", field, or_empty(s));
	return JD_E_INVALID;
}

/* JD_OK, or 400 replied: the counts moved. */
static int counts_check(jd_req *req, long long posts, long long leadership)
{
	if (posts < 1 || posts > POSTS_MAX)
		jd_reply_error(req, 400, "invalid", "field 'posts' must be 1..%d, not %lld",
			       POSTS_MAX, posts);
	else if (leadership < 0 || leadership > posts)
		jd_reply_error(req, 400, "invalid",
			       "field 'leadership_posts' must be 0..posts (%lld), not %lld", posts,
			       leadership);
	else
		return JD_OK;
	return JD_E_INVALID;
}

static void add_transfer(jd_req *req, void *arg)
{
	const char *from = input_str(req, "from"), *to = input_str(req, "to");
	long long posts = json_integer_value(json_object_get(req->input, "posts"));
	long long leadership = json_integer_value(json_object_get(req->input, "leadership_posts"));
	struct staff_ctx *c;

	(void)arg;
	if (!jd_org_code_valid(input_str(req, "tenant"))) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'",
			       or_empty(input_str(req, "tenant")));
		return;
	}
	if (jd_org_write_check(req, input_str(req, "tenant")) != JD_OK)
		return;
	if (jd_org_date_check(req, "date", input_str(req, "date")) != JD_OK ||
	    code_check(req, "from", from) != JD_OK || code_check(req, "to", to) != JD_OK ||
	    counts_check(req, posts, leadership) != JD_OK)
		return;
	if (strcmp(from, to) == 0) {
		jd_reply_error(req, 400, "invalid", "field 'to': posts move from '%s' to itself",
			       from);
		return;
	}
	c = jd_req_ctx(req, sizeof(*c), ctx_dtor);
	if (c == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "transfer");
		return;
	}
	snprintf(c->from, sizeof(c->from), "%s", from);
	snprintf(c->to, sizeof(c->to), "%s", to);
	c->posts = posts;
	c->leadership = leadership;
	start(req, OP_TRANSFER, c);
}

/* ---- routes ---------------------------------------------------------------------------------- */

static const struct jd_field tenant_only[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field transfer_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"date", JD_FIELD_STRING, 1, 10, "date of the transfer YYYY-MM-DD, not in the future", 0},
    {"from", JD_FIELD_STRING, 1, UNIT_CODE_MAX, "the unit giving approved posts (active)", 0},
    {"to", JD_FIELD_STRING, 1, UNIT_CODE_MAX, "the unit receiving them (active)", 0},
    {"posts", JD_FIELD_INTEGER, 1, 0, "approved posts moved (编制数), at least 1", 0},
    {"leadership_posts", JD_FIELD_INTEGER, 0, 0,
     "of them, leadership posts moved (领导职数), 0 by default", 0},
    {"reason", JD_FIELD_STRING, 0, REASON_MAX, "why", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route staffing_routes[] = {
    {"GET", "/v1/org/staffing", "org.read",
     "A county's staffing: approved and filled posts, rate, breaches of 1 head + 1 deputy + 2 "
     "cadres, posts moved",
     "org staffing", tenant_only, 0, get_staffing, NULL},
    {"POST", "/v1/org/transfers", "org.write",
     "Move approved posts from one unit to another (kept as a transfer)", "org transfers add",
     transfer_fields, 0, add_transfer, NULL},
    {"GET", "/v1/org/transfers", "org.read", "List a county's post transfers, by date",
     "org transfers list", tenant_only, 0, list_transfers, NULL},
};

int jd_org_staffing_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, staffing_routes,
				   sizeof(staffing_routes) / sizeof(staffing_routes[0]), "core",
				   err, errlen);
}
