/*
 * POST /v1/org/import (org_import.h): the county's snapshot, the check of
 * every row, the declared ties sealed under the tenant key, then every
 * record, summary and index in one mutation on "orgrev" expected at the
 * snapshot's revision.
 */
#include "org/org_history.h"
#include "org/org_import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"
#include "runtime/slice.h"
#include "org/org_date.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "transport/request.h"
#include "transport/router.h"
#include "security/seal.h"
#include "transport/server.h"
#include "storage/store.h"
#include "security/tenant_keys.h"

#define TEXT_MAX (64u << 20) /* per file; limits.max_body bounds the request first */
#define OPS_MAX	 50000	     /* the store's limit of ops in one mutation */

/*
 * The record fields each kind's route writes, in the snapshot's names;
 * the summary is the record in the snapshot's shape.  Booleans are
 * stored "true"/"false", numbers in decimal.
 */
static const char *const unit_fields[] = {"name",   "kind",  "status",		 "supervised",
					  "linked", "posts", "leadership_posts", NULL};
static const char *const person_fields[] = {"name",	 "post",   "unit",   "start",
					    "new_cadre", "status", "former", NULL};
static const char *const group_fields[] = {"name",    "kind",	"status",   "leader", "units",
					   "members", "parent", "function", "policy", "rotation",
					   "year",    "shares", "leaders",  NULL};

/* Rows checked, ties sealed or records turned into writes per step of a slice. */
#define STEP_ROWS 32
/* Records freed per step once written (strings: four times as many). */
#define RELEASE_STEP 256

struct import_ctx {
	jd_req *req;
	char tenant[8];
	char day[11];
	long long rev;
	json_t *snap; /* the county's, while the check runs */
	struct jd_import_text files[JD_CSV_KINDS];
	struct jd_import_job *job;
	struct jd_slice *slice; /* the phase under way */
	void *iter;		/* its place in an object of imp */
	size_t part, index;	/* build: the part (units, people, ...) and its place */
	struct jd_import imp;
	struct jd_mutation mut; /* alive until written: the store prepares it in slices */
	json_t *sealed;		/* person id -> sealed ties */
	int written_rc;		/* the write's outcome, answered once released */
	long long written_version;
	json_t *imported; /* the counts answered */
	/* the mutation's strings, alive until it is queued */
	char **strs;
	size_t n_strs, cap_strs;
	struct jd_op *ops;
	size_t n_ops, cap_ops;
	int nomem;
};

static void strs_free(struct import_ctx *c)
{
	for (size_t i = 0; i < c->n_strs; i++)
		free(c->strs[i]);
	free(c->strs);
	free(c->ops);
	c->strs = NULL;
	c->ops = NULL;
	c->n_strs = c->cap_strs = c->n_ops = c->cap_ops = 0;
}

/* Runs when the request is finished: what the context holds. */
static void ctx_dtor(void *ptr)
{
	struct import_ctx *c = ptr;

	jd_slice_free(c->slice); /* a client gone mid-way: no further step */
	jd_import_job_free(c->job);
	json_decref(c->snap);
	jd_import_clear(&c->imp); /* wipes the ties in the clear */
	json_decref(c->sealed);
	json_decref(c->imported);
	strs_free(c);
}

/* ---- building the mutation ------------------------------------------------------------------ */

/* Keeps s (malloc'd, or NULL: out of memory) until the mutation is queued. */
static const char *keep(struct import_ctx *c, char *s)
{
	if (s != NULL && c->n_strs == c->cap_strs) {
		size_t cap = c->cap_strs ? c->cap_strs * 2 : 1024;
		char **p = realloc(c->strs, cap * sizeof(*p));

		if (p == NULL) {
			free(s);
			s = NULL;
		} else {
			c->strs = p;
			c->cap_strs = cap;
		}
	}
	if (s == NULL) {
		c->nomem = 1;
		return "";
	}
	c->strs[c->n_strs++] = s;
	return s;
}

static const char *keepf(struct import_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *keepf(struct import_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return keep(c, n < 0 ? NULL : s);
}

static void op(struct import_ctx *c, enum jd_op_kind kind, const char *key, const char *member,
	       const char *value)
{
	if (c->n_ops == c->cap_ops) {
		size_t cap = c->cap_ops ? c->cap_ops * 2 : 1024;
		struct jd_op *p = realloc(c->ops, cap * sizeof(*p));

		if (p == NULL) {
			c->nomem = 1;
			return;
		}
		c->ops = p;
		c->cap_ops = cap;
	}
	c->ops[c->n_ops++] = (struct jd_op){kind, key, member, value};
}

/* A record's field as stored: text as is, booleans "true"/"false", numbers and objects as JSON. */
static const char *stored(struct import_ctx *c, const json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_integer(v))
		return keepf(c, "%lld", (long long)json_integer_value(v));
	if (v == NULL)
		return "";
	return keep(c, json_dumps(v, JSON_COMPACT));
}

/*
 * One new record: its fields (then "ties" when given, then "_v" 1, as a
 * first write leaves it), its summary (JSON text) and its index entry.
 * The values must live until the mutation is queued: obj is the import's.
 */
static void record_ops(struct import_ctx *c, const char *type, const char *id, const json_t *obj,
		       const char *const *fields, const char *ties, const char *summary,
		       const char *summaries, const char *index)
{
	const char *key = keepf(c, "%s:%s", type, id);

	for (size_t i = 0; fields[i] != NULL; i++)
		op(c, JD_OP_HSET, key, fields[i], stored(c, json_object_get(obj, fields[i])));
	if (ties != NULL)
		op(c, JD_OP_HSET, key, "ties", ties);
	op(c, JD_OP_HSET, key, "_v", "1");
	op(c, JD_OP_HSET, summaries, id, summary);
	op(c, JD_OP_ZADD, index, id, "0");
}

/* The summary of obj: all of it but "ties" (the people route never puts them there). */
static const char *summary_of(struct import_ctx *c, const json_t *obj)
{
	json_t *s = json_copy((json_t *)obj);
	char *text = NULL;

	if (s != NULL && (json_object_get(s, "ties") == NULL || json_object_del(s, "ties") == 0))
		text = json_dumps(s, JSON_COMPACT);
	json_decref(s);
	return keep(c, text);
}

/* A person as the people route writes one: no ties declared, no "ties" field. */
static void person_ops(struct import_ctx *c, const char *id, const json_t *p)
{
	const char *sealed = json_string_value(json_object_get(c->sealed, id));

	record_ops(c, "person", id, p, person_fields, sealed, summary_of(c, p), "people:summary",
		   "people:by_id");
	if (sealed != NULL)
		op(c, JD_OP_HSET, "people:ties", id, sealed);
}

static void transfer_ops(struct import_ctx *c, const json_t *t)
{
	long score = jd_org_date_score(jd_snap_str(t, "date"));

	/* the member as the transfers route writes it: sorted keys */
	op(c, JD_OP_ZADD, "transfers", keep(c, json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS)),
	   keepf(c, "%ld", score));
}

/*
 * The next record of the build into ops: units, people, transfers, groups,
 * in that order.  0 when all are built.
 */
static int build_one(struct import_ctx *c)
{
	json_t *parts[] = {c->imp.units, c->imp.people, c->imp.transfers, c->imp.groups};

	for (; c->part < 4; c->part++, c->iter = NULL, c->index = 0) {
		json_t *part = parts[c->part];

		if (c->part == 2) {
			if (c->index < json_array_size(part)) {
				transfer_ops(c, json_array_get(part, c->index++));
				return 1;
			}
			continue;
		}
		if (c->index++ == 0)
			c->iter = json_object_iter(part);
		if (c->iter == NULL)
			continue;
		{
			const char *key = json_object_iter_key(c->iter);
			json_t *v = json_object_iter_value(c->iter);

			c->iter = json_object_iter_next(part, c->iter);
			if (c->part == 0)
				record_ops(c, "unit", key, v, unit_fields, NULL, summary_of(c, v),
					   "units:summary", "units:by_code");
			else if (c->part == 1)
				person_ops(c, key, v);
			else
				record_ops(c, "group", key, v, group_fields, NULL, summary_of(c, v),
					   "groups:summary", "groups:by_code");
		}
		return 1;
	}
	return 0;
}

/* ---- the steps ----------------------------------------------------------------------------------
 */

static json_t *counts(const struct import_ctx *c)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "units",
			 (json_int_t)json_object_size(c->imp.units), "people",
			 (json_int_t)json_object_size(c->imp.people), "posts",
			 (json_int_t)json_array_size(c->imp.transfers), "groups",
			 (json_int_t)json_object_size(c->imp.groups));
}

static void next_phase(struct import_ctx *c, jd_slice_step step);

static void reply_written(struct import_ctx *c)
{
	if (c->written_rc == JD_OK) {
		json_t *imported = c->imported;

		c->imported = NULL; /* the answer takes it; the reply frees c */
		jd_reply_json(c->req, 201,
			      json_pack("{s:s, s:o, s:I}", "tenant", c->tenant, "imported",
					imported, "rev", (json_int_t)c->written_version));
	} else if (c->written_rc == JD_E_CONFLICT) {
		jd_reply_error(c->req, 409, "conflict",
			       "the organization of tenant %s changed while the import was "
			       "checked; nothing was imported: run it again",
			       c->tenant);
	} else {
		jd_reply_rc(c->req, c->written_rc, "import");
	}
}

/* Deletes up to n entries of obj (each person's ties wiped first); 1 when some are left. */
static int release_some(json_t *obj, size_t n)
{
	void *it;

	while (n-- > 0 && (it = json_object_iter(obj)) != NULL) {
		json_t *t = json_object_get(json_object_iter_value(it), "ties");

		if (json_is_string(t))
			sodium_memzero((char *)json_string_value(t), json_string_length(t));
		if (json_object_del(obj, json_object_iter_key(it)) != 0)
			return 0;
	}
	return json_object_size(obj) > 0;
}

/*
 * After the write, what the import held (tens of thousands of strings and
 * objects) is freed in slices too, then the answer goes: freeing it all at
 * once, when the request ends, held the loop as long as a slice of work.
 */
static int release_step(void *arg)
{
	struct import_ctx *c = arg;
	json_t *parts[] = {c->imp.people, c->imp.units, c->imp.groups, c->sealed};

	if (c->n_strs > 0) {
		for (size_t i = 0; i < RELEASE_STEP * 4 && c->n_strs > 0; i++)
			free(c->strs[--c->n_strs]);
		return 1;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (release_some(parts[i], RELEASE_STEP))
			return 1;
	reply_written(c);
	return 0;
}

static void on_written(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct import_ctx *c = arg;

	if (rc == JD_OK) {
		jd_notice("organization imported",
			  "req=%s tenant=%s units=%zu people=%zu posts=%zu groups=%zu by=%s",
			  c->req->id, c->tenant, json_object_size(c->imp.units),
			  json_object_size(c->imp.people), json_array_size(c->imp.transfers),
			  json_object_size(c->imp.groups), c->req->principal.name);
		c->written_version = res->version;
		jd_org_history_refresh(c->req->srv, c->tenant); /* org_history.h */
		c->imported = counts(c);
	}
	c->written_rc = rc;
	next_phase(c, release_step);
}

/* The one mutation of everything built: one atomic step, as the import promises. */
static void write_all(struct import_ctx *c)
{
	int rc = c->nomem ? JD_E_NOMEM : JD_OK;

	if (rc == JD_OK && c->n_ops > OPS_MAX) {
		jd_reply_error(c->req, 400, "invalid",
			       "the import needs %zu writes and one step takes at most %d: split "
			       "the files (import the units first, then the people a few units "
			       "at a time; a person takes about 10 writes)",
			       c->n_ops, OPS_MAX);
		return;
	}
	if (rc == JD_OK) {
		c->mut =
		    (struct jd_mutation){.tenant = c->tenant,
					 .record = JD_ORG_REV_KEY,
					 .expect_version = c->rev > 0 ? c->rev : JD_VERSION_NEW,
					 .ops = c->ops,
					 .n_ops = c->n_ops,
					 .req = c->req,
					 .action = "org.import"};
		/* the strings and ops stay with the context until it goes */
		rc = jd_store_mutate_sliced(c->req->srv->store, &c->mut, on_written, c);
	}
	if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "import");
}

/* The build, STEP_ROWS records a step; then the write. */
static int build_step(void *arg)
{
	struct import_ctx *c = arg;

	for (int i = 0; i < STEP_ROWS; i++)
		if (!build_one(c) || c->nomem || c->n_ops > OPS_MAX) {
			write_all(c); /* replies, or queues the write */
			return 0;
		}
	return 1;
}

/* Starts the next phase of the import as a sliced job; replies when it cannot. */
static void next_phase(struct import_ctx *c, jd_slice_step step)
{
	struct jd_slice *old = c->slice;

	c->iter = NULL;
	c->part = c->index = 0;
	c->slice = jd_slice_start(c->req->srv->base, step, c);
	jd_slice_free(old); /* may be the one running this: it runs no further step */
	if (c->slice == NULL)
		jd_reply_rc(c->req, JD_E_NOMEM, "import");
}

/* Seals one declared tie as the people route does: record "person", field "ties". */
static int seal_one(struct import_ctx *c, const char *id, const json_t *p)
{
	const char *ties = jd_snap_str(p, "ties");
	const struct jd_seal_ad ad = {
	    .tenant = c->tenant, .record_type = "person", .record_id = id, .field = "ties"};
	char *sealed = NULL;
	int rc;

	if (*ties == '\0')
		return JD_OK;
	rc = jd_tenant_seal(c->req->srv->tenant_keys, &ad, ties, &sealed);
	if (rc != JD_OK) { /* names where, never the value */
		jd_warn("seal failed", "req=%s tenant=%s record_type=person field=ties rc=%d",
			c->req->id, c->tenant, rc);
		return rc;
	}
	rc = json_object_set_new(c->sealed, id, json_string(sealed));
	free(sealed);
	return rc == 0 ? JD_OK : JD_E_NOMEM;
}

/* The sealing, STEP_ROWS people a step; then the build. */
static int seal_step(void *arg)
{
	struct import_ctx *c = arg;

	if (c->index++ == 0)
		c->iter = json_object_iter(c->imp.people);
	for (int i = 0; i < STEP_ROWS && c->iter != NULL; i++) {
		int rc =
		    seal_one(c, json_object_iter_key(c->iter), json_object_iter_value(c->iter));

		if (rc != JD_OK) {
			jd_reply_rc(c->req, rc, "import");
			return 0;
		}
		c->iter = json_object_iter_next(c->imp.people, c->iter);
	}
	if (c->iter != NULL)
		return 1;
	next_phase(c, build_step);
	return 0;
}

static void on_keys(int rc, void *arg)
{
	struct import_ctx *c = arg;

	if (rc != JD_OK) {
		jd_warn("tenant key not loaded", "req=%s tenant=%s rc=%d", c->req->id, c->tenant,
			rc);
		jd_reply_rc(c->req, rc == JD_E_FORBIDDEN ? JD_ERR : rc, "import");
		return;
	}
	next_phase(c, seal_step);
}

static int any_ties(const json_t *people)
{
	const char *id;
	json_t *p;

	json_object_foreach((json_t *)people, id, p)
	{
		if (*jd_snap_str(p, "ties") != '\0')
			return 1;
	}
	return 0;
}

static void reply_bad_rows(struct import_ctx *c)
{
	const struct jd_import *imp = &c->imp;
	char msg[200];

	snprintf(msg, sizeof(msg), "%zu bad row%s%s; nothing was imported", imp->n_errors,
		 imp->n_errors == 1 ? "" : "s",
		 imp->n_errors > JD_IMPORT_ERRORS_MAX ? " (the first 100 listed)" : "");
	jd_reply_json(c->req, 400,
		      json_pack("{s:{s:s, s:s, s:s, s:O, s:I}}", "error", "code", "invalid",
				"message", msg, "request_id", c->req->id, "rows", imp->errors,
				"count", (json_int_t)imp->n_errors));
}

static void today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) == 0)
		snprintf(out, 11, "1900-01-01"); /* nothing dated passes rather than everything */
}

static void fresh_id(char out[33])
{
	unsigned char rnd[16];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(out, 33, rnd, sizeof(rnd));
}

/* After the check: the bad rows, or the ties sealed (when any) and the records written. */
static void checked(struct import_ctx *c, int rc)
{
	jd_import_job_free(c->job);
	c->job = NULL;
	json_decref(c->snap);
	c->snap = NULL;
	if (rc != JD_OK) { /* memory */
		jd_reply_rc(c->req, rc, "import");
		return;
	}
	if (c->imp.n_errors > 0) {
		reply_bad_rows(c);
		return;
	}
	if (!any_ties(c->imp.people)) {
		next_phase(c, build_step);
		return;
	}
	rc = c->req->srv->tenant_keys == NULL
		 ? JD_E_UNAVAILABLE
		 : jd_tenant_keys_ready(c->req->srv->tenant_keys, c->tenant, on_keys, c);
	if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "import");
}

/* The check, STEP_ROWS rows a step. */
static int check_step(void *arg)
{
	struct import_ctx *c = arg;
	int rc = jd_import_step(c->job, STEP_ROWS);

	if (rc == 1)
		return 1;
	jd_slice_free(c->slice); /* this one: it runs no further step */
	c->slice = NULL;
	checked(c, rc);
	return 0;
}

static void on_snapshot(int rc, json_t *snap, void *arg)
{
	struct import_ctx *c = arg;

	if (jd_org_snapshot_check(c->req, rc, snap, c->tenant, "units and people") != JD_OK)
		return; /* replied */
	for (int k = 0; k < JD_CSV_KINDS; k++) {
		json_t *v = json_object_get(c->req->input, jd_csv_kinds[k].name);

		c->files[k] = (struct jd_import_text){json_string_value(v), json_string_length(v)};
	}
	today(c->day);
	c->rev = jd_snap_int(snap, "rev");
	c->snap = json_incref(snap);
	c->job = jd_import_begin(c->snap, c->files, c->day, fresh_id, &c->imp);
	if (c->job == NULL) {
		jd_reply_rc(c->req, JD_E_NOMEM, "import");
		return;
	}
	next_phase(c, check_step);
}

static void import_org(jd_req *req, void *arg)
{
	const char *tenant = json_string_value(json_object_get(req->input, "tenant"));
	struct import_ctx *c;
	int given = 0, rc;

	(void)arg;
	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", tenant ? tenant : "");
		return;
	}
	if (jd_org_write_check(req, tenant) != JD_OK)
		return;
	for (int k = 0; k < JD_CSV_KINDS; k++)
		given += json_string_length(json_object_get(req->input, jd_csv_kinds[k].name)) > 0;
	if (!given) {
		jd_reply_error(req, 400, "invalid",
			       "nothing to import: give at least one of the fields 'units', "
			       "'people', 'posts', 'groups' (the CSV text of that file)");
		return;
	}
	c = jd_req_ctx(req, sizeof(*c), ctx_dtor);
	if (c == NULL || (c->sealed = json_object()) == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "import");
		return;
	}
	c->req = req;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	rc = jd_org_snapshot_read(req->srv, tenant, 0, on_snapshot, c);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "import");
}

static const struct jd_field import_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"units", JD_FIELD_STRING, 0, TEXT_MAX,
     "units.csv: code,name,kind,supervised,linked,posts,leadership_posts", 0},
    {"people", JD_FIELD_STRING, 0, TEXT_MAX,
     "people.csv: name,post,unit,start,new_cadre,ties (ties sealed on import)", 1},
    {"posts", JD_FIELD_STRING, 0, TEXT_MAX,
     "posts.csv (post transfers): date,from,to,posts,leadership_posts,reason", 0},
    {"groups", JD_FIELD_STRING, 0, TEXT_MAX,
     "groups.csv: code,name,kind,leader,units,members,parent,function,policy,rotation,shares,"
     "year",
     0},
    {NULL, 0, 0, 0, NULL, 0},
};

/* No CLI command from the catalog: jianductl's own "org import" reads the files. */
static const struct jd_route import_routes[] = {
    {"POST", "/v1/org/import", "org.write",
     "Import a county's units, people, post transfers and groups from CSV, all or nothing", NULL,
     import_fields, 0, import_org, NULL},
};

int jd_org_import_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, import_routes,
				   sizeof(import_routes) / sizeof(import_routes[0]), "core", err,
				   errlen);
}
