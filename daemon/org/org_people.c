/* People (cadres) of a county tenant: /v1/org/people.  Records live in their tenant. */
#include "org/org_history.h"
#include "org/org_people.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "runtime/log.h"
#include "org/org_codes.h"
#include "org/org_date.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "transport/req_list.h"
#include "transport/request.h"
#include "transport/router.h"
#include "security/seal.h"
#include "transport/server.h"
#include "storage/store.h"
#include "security/tenant_keys.h"

#define LIST_DEFAULT  500 /* people per page unless asked */
#define UNIT_CODE_MAX JD_ORG_CODE_MAX
#define ORG_NAME_MAX  128
#define TIES_MAX      4000
#define REASON_MAX    500
#define ID_LEN	      JD_ORG_PERSON_ID_LEN
#define TIES_PERM     "org.ties.read"

static const char *const post_names[] = {"leader", "head", "deputy", "cadre"};

#define N_POSTS (sizeof(post_names) / sizeof(post_names[0]))

/* ---- helpers -------------------------------------------------------------------- */

static const char *input_str(jd_req *req, const char *name)
{
	return json_string_value(json_object_get(req->input, name));
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static int post_valid(const char *s)
{
	for (size_t i = 0; s != NULL && i < N_POSTS; i++)
		if (strcmp(s, post_names[i]) == 0)
			return 1;
	return 0;
}

/* ---- the context of one request --------------------------------------------------------- */

enum { OP_CREATE, OP_MOVE, OP_EDIT, OP_RETIRE, OP_SHOW, OP_LIST };

struct person_ctx {
	jd_req *req;
	int op;
	char tenant[8];
	char id[ID_LEN + 1];
	char unit[UNIT_CODE_MAX + 1]; /* create: the unit; move: to_unit; list: the filter */
	void (*next)(struct person_ctx *p);
	json_t *rec;   /* the person's HGETALL */
	json_t *moves; /* show: the moves read */
};

/* Runs when the request is finished: what the context holds. */
static void ctx_dtor(void *ptr)
{
	struct person_ctx *p = ptr;

	json_decref(p->rec);
	json_decref(p->moves);
}

static void on_tenant(int rc, json_t *result, void *arg)
{
	struct person_ctx *p = arg;

	if (jd_org_county_check(p->req, rc, result, p->tenant, "people") != JD_OK)
		return;
	p->next(p);
}

/*
 * Starts a request: checks the tenant's form, the id's, the write scope
 * when write, then reads the tenant and calls next(p) when it is a
 * county.  Replies itself on every failure.
 */
static void start(jd_req *req, int op, const char *id, int write, void (*next)(struct person_ctx *))
{
	const char *tenant = input_str(req, "tenant");
	char key[16];
	const char *argv[2] = {"HGETALL", key};
	struct person_ctx *p;
	int rc;

	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", or_empty(tenant));
		return;
	}
	if (op != OP_CREATE && op != OP_LIST && !jd_org_person_id_ok(id)) {
		jd_reply_error(req, 404, "not_found", "no person '%.40s' in tenant %s",
			       or_empty(id), tenant);
		return;
	}
	if (write && jd_org_write_check(req, tenant) != JD_OK)
		return;
	p = jd_req_ctx(req, sizeof(*p), ctx_dtor);
	if (p == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "person");
		return;
	}
	p->req = req;
	p->op = op;
	p->next = next;
	snprintf(p->tenant, sizeof(p->tenant), "%s", tenant);
	if (id != NULL)
		snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(key, sizeof(key), "tenant:%s", tenant);
	rc = jd_store_read(req->srv->store, JD_SYSTEM_TENANT, 2, argv, on_tenant, p);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "person");
}

/* Reads the person into p->rec, then calls then(p); 404 when absent. */
static void on_person(int rc, json_t *result, void *arg)
{
	struct person_ctx *p = arg;

	if (rc != JD_OK) {
		jd_reply_rc(p->req, rc, "person");
		return;
	}
	if (json_array_size(result) == 0) {
		jd_reply_error(p->req, 404, "not_found", "no person '%s' in tenant %s", p->id,
			       p->tenant);
		return;
	}
	p->rec = json_incref(result);
	p->next(p);
}

static void fetch_person(struct person_ctx *p, void (*then)(struct person_ctx *))
{
	char key[8 + ID_LEN + 1];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	p->next = then;
	snprintf(key, sizeof(key), "person:%s", p->id);
	rc = jd_store_read(p->req->srv->store, p->tenant, 2, argv, on_person, p);
	if (rc != JD_OK)
		jd_reply_rc(p->req, rc, "person");
}

/* Checks that p->unit is an active unit of the tenant, then calls then(p). */
static void on_unit_summary(int rc, json_t *result, void *arg)
{
	struct person_ctx *p = arg;
	const char *field = p->op == OP_MOVE ? "to_unit" : "unit";
	const char *s = json_string_value(result);
	json_t *sum = s ? json_loads(s, 0, NULL) : NULL;
	const char *status = json_string_value(json_object_get(sum, "status"));

	if (rc != JD_OK) {
		jd_reply_rc(p->req, rc, "person");
		goto fail;
	}
	if (sum == NULL) {
		jd_reply_error(p->req, 400, "invalid", "field '%s': no unit '%s' in tenant %s",
			       field, p->unit, p->tenant);
		goto fail;
	}
	if (status != NULL && strcmp(status, "active") != 0) {
		jd_reply_error(p->req, 400, "invalid", "field '%s': unit '%s' is %s", field,
			       p->unit, status);
		goto fail;
	}
	json_decref(sum);
	p->next(p);
	return;
fail:
	json_decref(sum);
}

static void check_unit(struct person_ctx *p, void (*then)(struct person_ctx *))
{
	const char *argv[3] = {"HGET", "units:summary", p->unit};
	int rc;

	p->next = then;
	rc = jd_store_read(p->req->srv->store, p->tenant, 3, argv, on_unit_summary, p);
	if (rc != JD_OK)
		jd_reply_rc(p->req, rc, "person");
}

/* Loads the tenant key, then calls p->next(p). */
static void on_keys(int rc, void *arg)
{
	struct person_ctx *p = arg;

	if (rc != JD_OK) {
		jd_warn("tenant key not loaded", "req=%s tenant=%s rc=%d", p->req->id, p->tenant,
			rc);
		jd_reply_rc(p->req, rc == JD_E_FORBIDDEN ? JD_ERR : rc, "person");
		return;
	}
	p->next(p);
}

static void with_keys(struct person_ctx *p, void (*then)(struct person_ctx *))
{
	int rc = JD_E_UNAVAILABLE;

	p->next = then;
	if (p->req->srv->tenant_keys != NULL)
		rc = jd_tenant_keys_ready(p->req->srv->tenant_keys, p->tenant, on_keys, p);
	if (rc != JD_OK)
		jd_reply_rc(p->req, rc, "person");
}

/* ---- writing ------------------------------------------------------------------------- */

static const char *const op_done[] = {
    [OP_CREATE] = "person created",
    [OP_MOVE] = "person moved",
    [OP_EDIT] = "person changed",
    [OP_RETIRE] = "person retired",
};

static void on_written(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct person_ctx *p = arg;

	if (rc == JD_OK) /* before the reply, which frees the request */
		jd_notice(op_done[p->op], "req=%s tenant=%s person=%s unit=%s by=%s", p->req->id,
			  p->tenant, p->id, p->unit, p->req->principal.name);
	if (rc == JD_OK) /* this month's org figures (org_history.h) */
		jd_org_history_refresh(p->req->srv, p->tenant);
	if (rc == JD_E_CONFLICT && p->op == OP_CREATE)
		jd_reply_error(p->req, 409, "conflict", "person '%s' exists already", p->id);
	else if (rc == JD_E_CONFLICT)
		jd_reply_error(p->req, 409, "conflict",
			       "person '%s' was changed since the version you read", p->id);
	else if (rc != JD_OK)
		jd_reply_rc(p->req, rc, "person");
	else
		jd_reply_json(p->req, p->op == OP_CREATE ? 201 : 200,
			      json_pack("{s:s, s:s, s:s, s:s, s:I}", "tenant", p->tenant, "id",
					p->id, "unit", p->unit, "status",
					p->op == OP_RETIRE ? "retired" : "active", "version",
					(json_int_t)res->version));
}

/* A person as people:summary keeps it: never the ties. */
struct person_values {
	const char *name, *post, *unit, *start, *status, *former;
	int new_cadre;
};

/* The values of a stored record; written before "status" and "former" existed: active, none. */
static void values_of(json_t *rec, struct person_values *v)
{
	const char *nc = jd_hgetall_field(rec, "new_cadre");
	const char *status = jd_hgetall_field(rec, "status");

	*v = (struct person_values){
	    .name = or_empty(jd_hgetall_field(rec, "name")),
	    .post = or_empty(jd_hgetall_field(rec, "post")),
	    .unit = or_empty(jd_hgetall_field(rec, "unit")),
	    .start = or_empty(jd_hgetall_field(rec, "start")),
	    .status = status != NULL && *status != '\0' ? status : "active",
	    .former = or_empty(jd_hgetall_field(rec, "former")),
	    .new_cadre = nc != NULL && strcmp(nc, "true") == 0,
	};
}

/* malloc'd, NULL on failure. */
static char *summary_of(const struct person_values *v)
{
	json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "name", v->name, "post",
			      v->post, "unit", v->unit, "start", v->start, "new_cadre",
			      v->new_cadre, "status", v->status, "former", v->former);
	char *out = s ? json_dumps(s, JSON_COMPACT) : NULL;

	json_decref(s);
	return out;
}

#define EXTRA_OPS_MAX 2

/*
 * Sends one write of person p: the record's set/del, its summary from v,
 * the organization's revision and the extra ops.  JD_OK: on_written
 * replies.  Values are copied by the store.
 */
static int submit(struct person_ctx *p, long long version, const char *const *set,
		  const char *const *del, const struct person_values *v, const struct jd_op *extra,
		  size_t n_extra, const char *action)
{
	struct jd_op ops[2 + EXTRA_OPS_MAX];
	char record[8 + ID_LEN + 1];
	char *summary = summary_of(v);
	size_t n = 0;
	int rc;

	if (summary == NULL)
		return JD_E_NOMEM;
	snprintf(record, sizeof(record), "person:%s", p->id);
	ops[n++] = (struct jd_op){JD_OP_HSET, "people:summary", p->id, summary};
	ops[n++] = jd_org_rev_op();
	for (size_t i = 0; i < n_extra && i < EXTRA_OPS_MAX; i++)
		ops[n++] = extra[i];
	rc = jd_store_mutate(p->req->srv->store,
			     &(const struct jd_mutation){.tenant = p->tenant,
							 .record = record,
							 .expect_version = version,
							 .set = set,
							 .del = del,
							 .ops = ops,
							 .n_ops = n,
							 .req = p->req,
							 .action = action},
			     on_written, p);
	free(summary);
	return rc;
}

/* Seals ties under the tenant key for person p (record "person", field "ties"). */
static int seal_ties(struct person_ctx *p, const char *ties, char **sealed)
{
	const struct jd_seal_ad ad = {
	    .tenant = p->tenant, .record_type = "person", .record_id = p->id, .field = "ties"};
	int rc = jd_tenant_seal(p->req->srv->tenant_keys, &ad, ties, sealed);

	if (rc != JD_OK) /* names where, never the value */
		jd_warn("seal failed", "req=%s tenant=%s record_type=person field=ties rc=%d",
			p->req->id, p->tenant, rc);
	return rc;
}

/* Replies rc when the write was not sent. */
static void sent(struct person_ctx *p, int rc)
{
	if (rc != JD_OK)
		jd_reply_rc(p->req, rc, "person");
}

/* JD_OK, or 409 replied: a retired person's record no longer changes. */
static int active_check(struct person_ctx *p)
{
	struct person_values v;

	values_of(p->rec, &v);
	if (strcmp(v.status, "active") == 0)
		return JD_OK;
	jd_reply_error(p->req, 409, "conflict", "person '%s' is retired", p->id);
	return JD_E_CONFLICT;
}

static void create_write(struct person_ctx *p)
{
	jd_req *req = p->req;
	const char *ties = input_str(req, "ties");
	const struct person_values v = {
	    .name = input_str(req, "name"),
	    .post = input_str(req, "post"),
	    .unit = p->unit,
	    .start = input_str(req, "start"),
	    .status = "active",
	    .former = "",
	    .new_cadre = json_is_true(json_object_get(req->input, "new_cadre")),
	};
	const char *set[] = {
	    "name",   v.name,	"post",	  v.post,      "unit",
	    v.unit,   "start",	v.start,  "new_cadre", v.new_cadre ? "true" : "false",
	    "status", v.status, "former", v.former,    "ties",
	    NULL,     NULL};
	unsigned char rnd[ID_LEN / 2];
	char *sealed = NULL;
	struct jd_op extra[2];
	size_t n_extra = 0;
	int rc = JD_OK;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(p->id, sizeof(p->id), rnd, sizeof(rnd));
	extra[n_extra++] = (struct jd_op){JD_OP_ZADD, "people:by_id", p->id, "0"};
	if (ties != NULL && *ties != '\0') {
		rc = seal_ties(p, ties, &sealed);
		set[15] = sealed;
		extra[n_extra++] = (struct jd_op){JD_OP_HSET, "people:ties", p->id, sealed};
	} else {
		set[14] = NULL; /* no ties declared: no field */
	}
	if (rc == JD_OK)
		rc = submit(p, JD_VERSION_NEW, set, NULL, &v, extra, n_extra, "org.person.create");
	free(sealed);
	sent(p, rc);
}

static void create_unit_ok(struct person_ctx *p)
{
	const char *ties = input_str(p->req, "ties");

	if (ties != NULL && *ties != '\0')
		with_keys(p, create_write);
	else
		create_write(p);
}

static void create_next(struct person_ctx *p)
{
	snprintf(p->unit, sizeof(p->unit), "%s", input_str(p->req, "unit"));
	check_unit(p, create_unit_ok);
}

/* JD_OK, or 400 replied: name and post, when given, are valid. */
static int name_post_check(jd_req *req)
{
	const char *post = input_str(req, "post"), *name = input_str(req, "name");

	if (name != NULL && *name == '\0') {
		jd_reply_error(req, 400, "invalid", "field 'name' must not be empty");
		return JD_E_INVALID;
	}
	if (post != NULL && !post_valid(post)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'post': '%.32s' is not a post (leader, head, deputy, cadre)",
			       post);
		return JD_E_INVALID;
	}
	return JD_OK;
}

static void create_person(jd_req *req, void *arg)
{
	const char *unit = input_str(req, "unit");

	(void)arg;
	if (name_post_check(req) != JD_OK) /* both required: the router checked they are there */
		return;
	if (!jd_org_code_ok(unit)) {
		jd_reply_error(req, 400, "invalid", "field 'unit': no unit '%.40s'",
			       or_empty(unit));
		return;
	}
	if (jd_org_date_check(req, "start", input_str(req, "start")) != JD_OK)
		return;
	start(req, OP_CREATE, NULL, 1, create_next);
}

/* ---- moving ------------------------------------------------------------------------- */

/* former with code added once, malloc'd; NULL on failure. */
static char *former_with(const char *former, const char *code)
{
	size_t n = strlen(former), m = strlen(code);
	char *out;

	if (m == 0 || jd_csv_has(former, code, m))
		return strdup(former);
	out = malloc(n + m + 2);
	if (out != NULL)
		snprintf(out, n + m + 2, "%s%s%s", former, n ? "," : "", code);
	return out;
}

static void move_write(struct person_ctx *p)
{
	jd_req *req = p->req;
	const char *date = input_str(req, "date"), *reason = or_empty(input_str(req, "reason"));
	long long version = json_integer_value(json_object_get(req->input, "version"));
	struct person_values v;
	char *former = NULL, *member = NULL;
	char moves[16 + ID_LEN], score[16];
	struct jd_op extra[1];
	size_t mlen;
	int rc = JD_E_NOMEM;

	values_of(p->rec, &v);
	former = former_with(v.former, v.unit);
	mlen = strlen(date) + strlen(v.unit) + strlen(p->unit) + strlen(reason) + 4;
	member = malloc(mlen);
	if (former == NULL || member == NULL)
		goto cleanup;
	snprintf(member, mlen, "%s|%s|%s|%s", date, v.unit, p->unit, reason);
	snprintf(score, sizeof(score), "%ld", jd_org_date_score(date));
	snprintf(moves, sizeof(moves), "person:%s:moves", p->id);
	extra[0] = (struct jd_op){JD_OP_ZADD, moves, member, score};
	v.unit = p->unit;
	v.former = former;
	rc = submit(p, version, (const char *const[]){"unit", p->unit, "former", former, NULL},
		    NULL, &v, extra, 1, "org.person.move");
cleanup:
	free(member);
	free(former);
	sent(p, rc);
}

static void move_check(struct person_ctx *p)
{
	const char *date = input_str(p->req, "date");
	const char *from = or_empty(jd_hgetall_field(p->rec, "unit"));
	const char *since = or_empty(jd_hgetall_field(p->rec, "start"));

	if (active_check(p) != JD_OK)
		return;
	if (strcmp(from, p->unit) == 0) {
		jd_reply_error(p->req, 400, "invalid",
			       "field 'to_unit': the person is in unit '%s'", from);
		return;
	}
	if (jd_org_date_score(date) < jd_org_date_score(since)) {
		jd_reply_error(p->req, 400, "invalid",
			       "field 'date': %s is before the person's start %s", date, since);
		return;
	}
	check_unit(p, move_write);
}

static void move_fetch(struct person_ctx *p)
{
	snprintf(p->unit, sizeof(p->unit), "%s", input_str(p->req, "to_unit"));
	fetch_person(p, move_check);
}

/* JD_OK, or 400 replied: version at least 1. */
static int version_check(jd_req *req)
{
	if (json_integer_value(json_object_get(req->input, "version")) >= 1)
		return JD_OK;
	jd_reply_error(req, 400, "invalid", "field 'version' must be at least 1");
	return JD_E_INVALID;
}

static void move_person(jd_req *req, void *arg)
{
	const char *to = input_str(req, "to_unit");

	(void)arg;
	if (version_check(req) != JD_OK)
		return;
	if (!jd_org_code_ok(to)) {
		jd_reply_error(req, 400, "invalid", "field 'to_unit': no unit '%.40s'",
			       or_empty(to));
		return;
	}
	if (strchr(or_empty(input_str(req, "reason")), '|') != NULL) {
		jd_reply_error(req, 400, "invalid", "field 'reason' must not contain '|'");
		return;
	}
	if (jd_org_date_check(req, "date", input_str(req, "date")) != JD_OK)
		return;
	start(req, OP_MOVE, jd_params_get(&req->params, "id"), 1, move_fetch);
}

/* ---- editing -------------------------------------------------------------------------- */

static void edit_write(struct person_ctx *p)
{
	jd_req *req = p->req;
	const char *ties = input_str(req, "ties");
	json_t *nc = json_object_get(req->input, "new_cadre");
	long long version = json_integer_value(json_object_get(req->input, "version"));
	const char *set[9], *del[2] = {NULL, NULL};
	struct person_values v;
	char *sealed = NULL;
	struct jd_op extra[1];
	size_t n = 0, n_extra = 0;
	int rc = JD_OK;

	values_of(p->rec, &v);
	snprintf(p->unit, sizeof(p->unit), "%s", v.unit);
	if (input_str(req, "name") != NULL) {
		v.name = input_str(req, "name");
		set[n++] = "name";
		set[n++] = v.name;
	}
	if (input_str(req, "post") != NULL) {
		v.post = input_str(req, "post");
		set[n++] = "post";
		set[n++] = v.post;
	}
	if (nc != NULL) {
		v.new_cadre = json_is_true(nc);
		set[n++] = "new_cadre";
		set[n++] = v.new_cadre ? "true" : "false";
	}
	if (ties != NULL && *ties != '\0') {
		rc = seal_ties(p, ties, &sealed);
		set[n++] = "ties";
		set[n++] = sealed;
		extra[n_extra++] = (struct jd_op){JD_OP_HSET, "people:ties", p->id, sealed};
	} else if (ties != NULL) { /* "" withdraws the declaration */
		del[0] = "ties";
		extra[n_extra++] = (struct jd_op){JD_OP_HDEL, "people:ties", p->id, NULL};
	}
	set[n] = NULL;
	if (rc == JD_OK)
		rc = submit(p, version, set, del, &v, extra, n_extra, "org.person.update");
	free(sealed);
	sent(p, rc);
}

static void edit_check(struct person_ctx *p)
{
	const char *ties = input_str(p->req, "ties");

	if (active_check(p) != JD_OK)
		return;
	if (ties != NULL && *ties != '\0')
		with_keys(p, edit_write);
	else
		edit_write(p);
}

static void edit_fetch(struct person_ctx *p)
{
	fetch_person(p, edit_check);
}

static void edit_person(jd_req *req, void *arg)
{
	static const char *const editable[] = {"name", "post", "new_cadre", "ties"};
	int given = 0;

	(void)arg;
	if (version_check(req) != JD_OK || name_post_check(req) != JD_OK)
		return;
	for (size_t i = 0; i < sizeof(editable) / sizeof(editable[0]); i++)
		given |= json_object_get(req->input, editable[i]) != NULL;
	if (!given) {
		jd_reply_error(req, 400, "invalid",
			       "nothing to change: give name, post, new_cadre or ties");
		return;
	}
	start(req, OP_EDIT, jd_params_get(&req->params, "id"), 1, edit_fetch);
}

/* ---- retiring ------------------------------------------------------------------------- */

static void retire_write(struct person_ctx *p)
{
	jd_req *req = p->req;
	const char *date = input_str(req, "date"), *reason = or_empty(input_str(req, "reason"));
	long long version = json_integer_value(json_object_get(req->input, "version"));
	struct person_values v;

	values_of(p->rec, &v);
	snprintf(p->unit, sizeof(p->unit), "%s", v.unit);
	if (strcmp(v.status, "active") != 0) {
		jd_reply_error(req, 409, "conflict", "person '%s' is retired already", p->id);
		return;
	}
	if (jd_org_date_score(date) < jd_org_date_score(v.start)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'date': %s is before the person's start %s", date, v.start);
		return;
	}
	v.status = "retired";
	sent(p, submit(p, version,
		       (const char *const[]){"status", "retired", "retired_on", date,
					     "retire_reason", reason, NULL},
		       NULL, &v, NULL, 0, "org.person.retire"));
}

static void retire_fetch(struct person_ctx *p)
{
	fetch_person(p, retire_write);
}

static void retire_person(jd_req *req, void *arg)
{
	(void)arg;
	if (version_check(req) != JD_OK ||
	    jd_org_date_check(req, "date", input_str(req, "date")) != JD_OK)
		return;
	start(req, OP_RETIRE, jd_params_get(&req->params, "id"), 1, retire_fetch);
}

/* ---- reading ----------------------------------------------------------------------------- */

/* Logs and audits a read of the sealed ties: who, which record; never the value. */
static void note_ties_read(struct person_ctx *p, const char *outcome)
{
	jd_req *req = p->req;
	char target[64];

	jd_notice("sealed field read",
		  "outcome=%s req=%s principal=%s permission=%s tenant=%s record_type=person "
		  "record_id=%s field=ties",
		  outcome, req->id, req->principal.name, TIES_PERM, p->tenant, p->id);
	snprintf(target, sizeof(target), "person:%s#ties", p->id);
	jd_req_audit(req, p->tenant, "sealed.read", target, outcome);
}

static void show_reply(struct person_ctx *p)
{
	json_t *out = json_pack("{s:s, s:s}", "tenant", p->tenant, "id", p->id);
	json_t *moves = json_array();
	const char *sealed = jd_hgetall_field(p->rec, "ties");

	if (out == NULL || moves == NULL)
		goto nomem;
	for (size_t i = 0; i + 1 < json_array_size(p->rec); i += 2) {
		const char *k = json_string_value(json_array_get(p->rec, i));
		const char *v = json_string_value(json_array_get(p->rec, i + 1));
		int rc = 0;

		if (k == NULL || v == NULL || strcmp(k, "ties") == 0)
			continue;
		if (strcmp(k, "_v") == 0)
			rc = json_object_set_new(out, "version", json_integer(atoll(v)));
		else if (strcmp(k, "new_cadre") == 0)
			rc = json_object_set_new(out, k, json_boolean(strcmp(v, "true") == 0));
		else if (k[0] != '_')
			rc = json_object_set_new(out, k, json_string(v));
		if (rc != 0) /* a reply missing a field would read as that field unset */
			goto nomem;
	}
	for (size_t i = 0; i < json_array_size(p->moves); i++) {
		const char *m = json_string_value(json_array_get(p->moves, i));
		char buf[1024], *f[4] = {buf, NULL, NULL, NULL};
		int n = 1;

		if (m == NULL)
			continue;
		snprintf(buf, sizeof(buf), "%s", m);
		for (char *c = buf; *c && n < 4; c++)
			if (*c == '|') {
				*c = '\0';
				f[n++] = c + 1;
			}
		if (n < 4)
			continue;
		if (json_array_append_new(moves,
					  json_pack("{s:s, s:s, s:s, s:s}", "date", f[0], "from",
						    f[1], "to", f[2], "reason", f[3])) != 0)
			goto nomem;
	}
	if (json_object_set(out, "moves", moves) != 0)
		goto nomem;
	if (sealed != NULL && jd_auth_may(&p->req->principal, TIES_PERM) &&
	    jd_org_may_write(&p->req->principal, p->tenant)) {
		const struct jd_seal_ad ad = {.tenant = p->tenant,
					      .record_type = "person",
					      .record_id = p->id,
					      .field = "ties"};
		unsigned char *plain = NULL;
		size_t len = 0;
		int rc = jd_tenant_open(p->req->srv->tenant_keys, &ad, sealed, &plain, &len);

		if (rc != JD_OK) {
			note_ties_read(p, rc == JD_E_NOTFOUND ? "key_not_loaded" : "unreadable");
			jd_reply_error(p->req, 500, "unreadable_field",
				       "field 'ties' of person '%s' does not open", p->id);
			goto cleanup;
		}
		note_ties_read(p, "opened");
		rc = json_object_set_new(out, "ties", json_stringn((const char *)plain, len));
		jd_plain_free(plain);
		if (rc != 0)
			goto nomem;
	}
	jd_reply_json(p->req, 200, json_incref(out));
	goto cleanup;
nomem:
	jd_reply_rc(p->req, JD_E_NOMEM, "person");
cleanup:
	json_decref(out);
	json_decref(moves);
}

static void on_moves(int rc, json_t *result, void *arg)
{
	struct person_ctx *p = arg;

	if (rc != JD_OK) {
		jd_reply_rc(p->req, rc, "person");
		return;
	}
	p->moves = json_incref(result);
	if (jd_hgetall_field(p->rec, "ties") != NULL &&
	    jd_auth_may(&p->req->principal, TIES_PERM) &&
	    jd_org_may_write(&p->req->principal, p->tenant))
		with_keys(p, show_reply);
	else
		show_reply(p);
}

static void show_moves(struct person_ctx *p)
{
	char key[16 + ID_LEN];
	const char *argv[4] = {"ZRANGE", key, "0", "499"};
	int rc;

	snprintf(key, sizeof(key), "person:%s:moves", p->id);
	rc = jd_store_read(p->req->srv->store, p->tenant, 4, argv, on_moves, p);
	if (rc != JD_OK)
		jd_reply_rc(p->req, rc, "person");
}

static void show_fetch(struct person_ctx *p)
{
	fetch_person(p, show_moves);
}

static void show_person(jd_req *req, void *arg)
{
	(void)arg;
	start(req, OP_SHOW, jd_params_get(&req->params, "id"), 0, show_fetch);
}

static void list_now(struct person_ctx *p)
{
	struct jd_listing spec = {
	    .tenant = p->tenant,
	    .index = "people:by_id",
	    .summaries = "people:summary",
	};
	struct jd_listing_match in_unit = {.id_name = "id", .field = "unit"};

	snprintf(in_unit.value, sizeof(in_unit.value), "%s", or_empty(input_str(p->req, "unit")));
	jd_reply_listing(p->req, &spec, &in_unit, "people", p->tenant, LIST_DEFAULT);
}

static void list_people(jd_req *req, void *arg)
{
	const char *unit = input_str(req, "unit");

	(void)arg;
	if (unit != NULL && *unit != '\0' && !jd_org_code_ok(unit)) {
		jd_reply_error(req, 400, "invalid", "field 'unit': no unit '%.40s'", unit);
		return;
	}
	start(req, OP_LIST, NULL, 0, list_now);
}

/* ---- routes -------------------------------------------------------------------------------- */

static const struct jd_field create_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"name", JD_FIELD_STRING, 1, ORG_NAME_MAX, "name", 0},
    {"post", JD_FIELD_STRING, 1, 16, "leader, head, deputy or cadre", 0},
    {"unit", JD_FIELD_STRING, 1, UNIT_CODE_MAX, "the unit's code (active, in the tenant)", 0},
    {"start", JD_FIELD_STRING, 1, 10, "start date YYYY-MM-DD, not in the future", 0},
    {"new_cadre", JD_FIELD_BOOLEAN, 0, 0, "a new cadre (dual mentor)", 0},
    {"ties", JD_FIELD_STRING, 0, TIES_MAX,
     "declared ties: former employers, hometown, relatives' employers (sealed)", 1},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field move_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"to_unit", JD_FIELD_STRING, 1, UNIT_CODE_MAX, "the unit moved to (active, in the tenant)", 0},
    {"date", JD_FIELD_STRING, 1, 10, "date of the move YYYY-MM-DD, not in the future", 0},
    {"reason", JD_FIELD_STRING, 0, REASON_MAX, "why (no '|')", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field edit_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"name", JD_FIELD_STRING, 0, ORG_NAME_MAX, "name", 0},
    {"post", JD_FIELD_STRING, 0, 16, "leader, head, deputy or cadre", 0},
    {"new_cadre", JD_FIELD_BOOLEAN, 0, 0, "a new cadre (dual mentor)", 0},
    {"ties", JD_FIELD_STRING, 0, TIES_MAX,
     "declared ties, replacing the former declaration; \"\" withdraws it (sealed)", 1},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field retire_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"date", JD_FIELD_STRING, 1, 10, "date of retirement YYYY-MM-DD, not in the future", 0},
    {"reason", JD_FIELD_STRING, 0, REASON_MAX, "why (retirement, transfer out, ...)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field list_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"unit", JD_FIELD_STRING, 0, UNIT_CODE_MAX, "only the people of this unit", 0},
    JD_LIST_FIELDS,
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field tenant_only[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route people_routes[] = {
    {"POST", "/v1/org/people", "org.write", "Add a person (cadre) to a county", "org people add",
     create_fields, 0, create_person, NULL},
    {"GET", "/v1/org/people", "org.read", "List a county's people, a page at a time, without ties",
     "org people list", list_fields, 0, list_people, NULL},
    {"GET", "/v1/org/people/{id}", "org.read",
     "Show a person with their moves (ties with org.ties.read)", "org people show", tenant_only, 0,
     show_person, NULL},
    {"POST", "/v1/org/people/{id}/move", "org.write", "Move a person to another unit (kept)",
     "org people move", move_fields, 0, move_person, NULL},
    {"PATCH", "/v1/org/people/{id}", "org.write",
     "Change a person's name, post, new cadre mark or declared ties", "org people edit",
     edit_fields, 0, edit_person, NULL},
    {"POST", "/v1/org/people/{id}/retire", "org.write",
     "Retire a person (kept; no longer fills a post)", "org people retire", retire_fields, 0,
     retire_person, NULL},
};

int jd_org_people_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, people_routes,
				   sizeof(people_routes) / sizeof(people_routes[0]), "core", err,
				   errlen);
}
