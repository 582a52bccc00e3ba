/*
 * keys rewrap and keys status.
 *
 * Master keys wrap only the per-tenant keys ("keys:tenant", field
 * "wrapped"); field values are sealed under subkeys of the tenant key, which
 * a rotation does not change.  So a rotation needs a re-wrap of each tenant
 * key, never a re-seal of fields, and the tenant keys cached unwrapped stay
 * valid.
 *
 * The tenants are found through the index kept by tenant_keys.c (a sorted
 * set "jd:{_sys}:keys:tenants" ordered by creation time).  The rewrap job
 * takes BATCH tenants per turn of the loop (a timer, never blocking): for
 * each, it reads the wrapped key, re-wraps it under the active version when
 * it is under another, and writes it back with a store mutation expecting
 * the version it read; a concurrent change makes the batch run again (at
 * most BATCH_RETRIES times).  After each batch the progress goes to the
 * hash "jd:{_sys}:keys:rewrap" (cursor, done, failed, total, target,
 * started, finished), so after a crash the next `keys rewrap` resumes at
 * the cursor.
 *
 * keys status is an administrative scan: it reads the index in pages of
 * PAGE and one HGET per tenant, at most STATUS_MAX tenants ("truncated"
 * says when there were more).
 */
#include "security/keys_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"
#include "security/keyring.h"
#include "runtime/log.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"
#include "security/tenant_keys.h"

#define BATCH	       20
#define BATCH_RETRIES  3
#define BATCH_DELAY_MS 10
#define PAGE	       100
#define STATUS_MAX     100000
#define PROGRESS_KEY   "keys:rewrap"

struct jd_keys_job {
	struct jd_server *srv;
	struct event *timer;
	int running, closing;
	unsigned inflight; /* store calls whose callback has not run */
	long long cursor, done, failed, total, started;
	unsigned target;
	/* the batch in progress */
	size_t batch_n;
	unsigned pending, retries;
	int conflict;
};

/* One tenant's rewrap: for the job, or for one request (keys rewrap --tenant). */
struct step {
	struct jd_keys_job *job; /* NULL: req */
	jd_req *req;
	struct jd_server *srv;
	char tenant[65];
	unsigned from, to;
};

enum step_outcome { STEP_SKIPPED, STEP_REWRAPPED, STEP_CONFLICT, STEP_FAILED };

static long long now_s(void)
{
	return (long long)time(NULL);
}

static long long ll_of(json_t *arr, const char *name)
{
	const char *v = jd_hgetall_field(arr, name);

	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

static void job_release(struct jd_keys_job *job)
{
	if (job->closing && job->inflight == 0) {
		if (job->timer != NULL)
			event_free(job->timer);
		free(job);
	}
}

/* ---- one tenant -------------------------------------------------------------- */

static void step_done(struct step *st, enum step_outcome out, int rc);

static void on_written(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct step *st = arg;

	(void)res;
	if (st->job != NULL)
		st->job->inflight--;
	if (rc == JD_OK) {
		jd_notice("tenant key rewrapped", "tenant=%s from=%u to=%u", st->tenant, st->from,
			  st->to);
		step_done(st, STEP_REWRAPPED, rc);
	} else {
		step_done(st, rc == JD_E_CONFLICT ? STEP_CONFLICT : STEP_FAILED, rc);
	}
}

static void on_tenant_read(int rc, json_t *result, void *arg)
{
	struct step *st = arg;
	char wrapped[JD_WRAPPED_MAX], vtext[16], when[24];
	const char *set[] = {"wrapped", wrapped, "master_version", vtext, "rewrapped", when, NULL};
	struct jd_mutation m = {.tenant = st->tenant,
				.record = JD_TENANT_KEYS_RECORD,
				.set = set,
				.action = "keys.tenant_rewrap"};
	const char *v;
	unsigned active;

	if (st->job != NULL)
		st->job->inflight--;
	if (st->job != NULL && st->job->closing) {
		step_done(st, STEP_FAILED, JD_E_UNAVAILABLE);
		return;
	}
	if (rc != JD_OK) {
		step_done(st, STEP_FAILED, rc);
		return;
	}
	if (json_array_size(result) == 0) {
		step_done(st, STEP_SKIPPED, JD_E_NOTFOUND); /* no key (yet): nothing to rewrap */
		return;
	}
	active = jd_keyring_active(st->srv->keyring);
	st->from = jd_tenant_keys_wrapped_version(jd_hgetall_field(result, "wrapped"));
	st->to = active;
	if (st->from == active) {
		step_done(st, STEP_SKIPPED, JD_OK);
		return;
	}
	v = jd_hgetall_field(result, "_v");
	m.expect_version = v != NULL ? strtoll(v, NULL, 10) : 0;
	if (m.expect_version <= 0) {
		step_done(st, STEP_FAILED, JD_ERR);
		return;
	}
	rc = jd_tenant_keys_rewrap(st->srv->tenant_keys, st->tenant,
				   jd_hgetall_field(result, "wrapped"), wrapped, sizeof(wrapped),
				   &st->from, &st->to);
	if (rc != JD_OK) {
		jd_err("tenant key not rewrapped",
		       "tenant=%s master_version=%u rc=%d reason=\"the keyring lacks that "
		       "version, or the wrapped key does not open\"",
		       st->tenant, st->from, rc);
		step_done(st, STEP_FAILED, rc);
		return;
	}
	snprintf(vtext, sizeof(vtext), "%u", st->to);
	snprintf(when, sizeof(when), "%lld", now_s());
	rc = jd_store_mutate(st->srv->store, &m, on_written, st);
	if (rc != JD_OK) {
		step_done(st, STEP_FAILED, rc);
		return;
	}
	if (st->job != NULL)
		st->job->inflight++;
}

static int step_start(struct step *st)
{
	const char *argv[] = {"HGETALL", JD_TENANT_KEYS_RECORD};
	int rc = jd_store_read(st->srv->store, st->tenant, 2, argv, on_tenant_read, st);

	if (rc == JD_OK && st->job != NULL)
		st->job->inflight++;
	return rc;
}

/* ---- the job ------------------------------------------------------------------- */

static void batch_next(struct jd_keys_job *job);

static void on_progress(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct jd_keys_job *job = arg;

	(void)res;
	job->inflight--;
	if (job->closing) {
		job_release(job);
		return;
	}
	if (rc != JD_OK)
		jd_warn("keys rewrap: progress not saved; a resume may redo a batch", "rc=%d", rc);
	if (!job->running)
		return;
	{
		struct timeval tv = {0, BATCH_DELAY_MS * 1000};

		if (event_add(job->timer, &tv) != 0) {
			jd_err("keys rewrap stopped: cannot schedule the next batch", NULL);
			job->running = 0;
		}
	}
}

static int save_progress(struct jd_keys_job *job, long long finished)
{
	char cur[24], done[24], failed[24], total[24], target[16], started[24], fin[24];
	const char *set[] = {"cursor",	cur,	 "done",     done,     "failed",
			     failed,	"total", total,	     "target", target,
			     "started", started, "finished", fin,      NULL};
	const struct jd_mutation m = {.tenant = JD_KEYS_SYS_TENANT,
				      .record = PROGRESS_KEY,
				      .expect_version = JD_VERSION_ANY,
				      .set = set,
				      .action = "keys.rewrap_progress"};
	int rc;

	snprintf(cur, sizeof(cur), "%lld", job->cursor);
	snprintf(done, sizeof(done), "%lld", job->done);
	snprintf(failed, sizeof(failed), "%lld", job->failed);
	snprintf(total, sizeof(total), "%lld", job->total);
	snprintf(target, sizeof(target), "%u", job->target);
	snprintf(started, sizeof(started), "%lld", job->started);
	snprintf(fin, sizeof(fin), "%lld", finished);
	rc = jd_store_mutate(job->srv->store, &m, on_progress, job);
	if (rc == JD_OK)
		job->inflight++;
	return rc;
}

static void batch_end(struct jd_keys_job *job)
{
	int last;

	if (job->conflict && job->retries < BATCH_RETRIES) {
		job->retries++; /* read the batch again: the rewrapped ones are skipped now */
		last = 0;
	} else {
		if (job->conflict)
			job->failed++;
		job->cursor += (long long)job->batch_n;
		job->retries = 0;
		last = job->batch_n < BATCH;
	}
	job->conflict = 0;
	if (last) {
		job->running = 0;
		jd_notice("keys rewrap finished",
			  "target=%u rewrapped=%lld failed=%lld tenants=%lld", job->target,
			  job->done, job->failed, job->cursor);
	}
	if (save_progress(job, last ? now_s() : 0) != JD_OK) {
		jd_warn("keys rewrap: progress not saved", NULL);
		if (job->running) {
			struct timeval tv = {0, BATCH_DELAY_MS * 1000};

			if (event_add(job->timer, &tv) != 0)
				job->running = 0;
		}
	}
}

static void step_done(struct step *st, enum step_outcome out, int rc)
{
	struct jd_keys_job *job = st->job;

	if (job == NULL) { /* keys rewrap --tenant */
		if (out == STEP_FAILED || (out == STEP_SKIPPED && rc == JD_E_NOTFOUND))
			jd_reply_rc(st->req, out == STEP_SKIPPED ? JD_E_NOTFOUND : rc,
				    "tenant key");
		else if (out == STEP_CONFLICT)
			jd_reply_error(st->req, 409, "conflict",
				       "the tenant key changed meanwhile; run it again");
		else
			jd_reply_json(st->req, 200,
				      json_pack("{s:s, s:b, s:I, s:I}", "tenant", st->tenant,
						"rewrapped", out == STEP_REWRAPPED, "from",
						(json_int_t)st->from, "to", (json_int_t)st->to));
		free(st);
		return;
	}
	free(st);
	if (out == STEP_REWRAPPED)
		job->done++;
	else if (out == STEP_CONFLICT)
		job->conflict = 1;
	else if (out == STEP_FAILED)
		job->failed++;
	if (--job->pending > 0)
		return;
	if (job->closing) {
		job_release(job);
		return;
	}
	batch_end(job);
}

static void on_batch(int rc, json_t *result, void *arg)
{
	struct jd_keys_job *job = arg;
	size_t n;

	job->inflight--;
	if (job->closing) {
		job_release(job);
		return;
	}
	if (rc != JD_OK) {
		/* Redis away: stop; the next keys rewrap resumes at the saved cursor */
		jd_err("keys rewrap paused: cannot read the tenant index", "rc=%d cursor=%lld", rc,
		       job->cursor);
		job->running = 0;
		return;
	}
	n = json_array_size(result);
	job->batch_n = n;
	job->pending = 1; /* held until every step has started */
	for (size_t i = 0; i < n; i++) {
		const char *t = json_string_value(json_array_get(result, i));
		struct step *st = calloc(1, sizeof(*st));

		job->pending++;
		if (st == NULL || t == NULL || !jd_store_tenant_valid(t)) {
			free(st);
			job->pending--;
			job->failed++;
			continue;
		}
		st->job = job;
		st->srv = job->srv;
		snprintf(st->tenant, sizeof(st->tenant), "%s", t);
		if (step_start(st) != JD_OK) {
			free(st);
			job->pending--;
			job->failed++;
		}
	}
	if (--job->pending == 0)
		batch_end(job);
}

static void batch_next(struct jd_keys_job *job)
{
	char start[24], stop[24];
	const char *argv[] = {"ZRANGE", JD_KEYS_TENANTS_INDEX, start, stop};

	snprintf(start, sizeof(start), "%lld", job->cursor);
	snprintf(stop, sizeof(stop), "%lld", job->cursor + BATCH - 1);
	if (jd_store_read(job->srv->store, JD_KEYS_SYS_TENANT, 4, argv, on_batch, job) != JD_OK) {
		jd_err("keys rewrap paused: storage unavailable", "cursor=%lld", job->cursor);
		job->running = 0;
		return;
	}
	job->inflight++;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (!((struct jd_keys_job *)arg)->closing)
		batch_next(arg);
}

static struct jd_keys_job *job_of(struct jd_server *srv)
{
	struct jd_keys_job *job = srv->keys_job;

	if (job != NULL)
		return job;
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return NULL;
	job->srv = srv;
	job->timer = event_new(srv->base, -1, 0, on_timer, job);
	if (job->timer == NULL) {
		free(job);
		return NULL;
	}
	srv->keys_job = job;
	return job;
}

void jd_keys_job_stop(struct jd_server *srv)
{
	struct jd_keys_job *job = srv->keys_job;

	if (job == NULL)
		return;
	srv->keys_job = NULL;
	job->closing = 1;
	job->running = 0;
	event_del(job->timer);
	job_release(job);
}

static json_t *job_json(const struct jd_keys_job *job)
{
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "running", job->running, "cursor",
			 (json_int_t)job->cursor, "done", (json_int_t)job->done, "failed",
			 (json_int_t)job->failed, "total", (json_int_t)job->total, "target",
			 (json_int_t)job->target, "started", (json_int_t)job->started);
}

/* ---- POST /v1/keys/rewrap ------------------------------------------------------- */

struct start_ctx {
	jd_req *req;
	struct jd_keys_job *job;
	int resumed;
};

static void on_total(int rc, json_t *result, void *arg)
{
	struct start_ctx *c = arg;
	struct jd_keys_job *job = c->job;
	jd_req *req = c->req;
	int resumed = c->resumed;

	job->inflight--;
	if (job->closing) {
		job_release(job);
		jd_reply_rc(req, JD_E_UNAVAILABLE, "keys rewrap");
		return;
	}
	if (rc != JD_OK) {
		job->running = 0;
		jd_reply_rc(req, rc, "keys rewrap");
		return;
	}
	job->total = json_integer_value(result);
	jd_notice("keys rewrap started", "target=%u tenants=%lld resumed=%d cursor=%lld",
		  job->target, job->total, resumed, job->cursor);
	batch_next(job);
	if (!job->running) {
		jd_reply_rc(req, JD_E_UNAVAILABLE, "keys rewrap");
		return;
	}
	jd_reply_json(req, 202,
		      json_pack("{s:b, s:b, s:o}", "started", 1, "resumed", resumed, "progress",
				job_json(job)));
}

static void on_saved_progress(int rc, json_t *result, void *arg)
{
	struct start_ctx *c = arg;
	struct jd_keys_job *job = c->job;
	const char *argv[] = {"ZCARD", JD_KEYS_TENANTS_INDEX};
	unsigned active;

	job->inflight--;
	if (job->closing || rc != JD_OK) {
		jd_reply_rc(c->req, job->closing ? JD_E_UNAVAILABLE : rc, "keys rewrap");
		job->running = 0;
		job_release(job);
		return;
	}
	active = jd_keyring_active(job->srv->keyring);
	/* an unfinished job towards the same version resumes at its cursor */
	if (json_array_size(result) > 0 && ll_of(result, "finished") == 0 &&
	    ll_of(result, "target") == (long long)active) {
		c->resumed = 1;
		job->cursor = ll_of(result, "cursor");
		job->done = ll_of(result, "done");
		job->failed = ll_of(result, "failed");
		job->started = ll_of(result, "started");
	} else {
		job->cursor = job->done = job->failed = 0;
		job->started = now_s();
	}
	job->target = active;
	job->retries = 0;
	job->conflict = 0;
	rc = jd_store_read(job->srv->store, JD_KEYS_SYS_TENANT, 2, argv, on_total, c);
	if (rc != JD_OK) {
		job->running = 0;
		jd_reply_rc(c->req, rc, "keys rewrap");
		return;
	}
	job->inflight++;
}

static void post_rewrap(jd_req *req, void *arg)
{
	struct jd_server *srv = arg;
	const char *tenant = json_string_value(json_object_get(req->input, "tenant"));
	const char *argv[] = {"HGETALL", PROGRESS_KEY};
	struct jd_keys_job *job;
	struct start_ctx *c;
	int rc;

	if (tenant != NULL) {
		struct step *st;

		if (!jd_store_tenant_valid(tenant)) {
			jd_reply_error(req, 400, "invalid", "tenant: 1..64 of [A-Za-z0-9_-]");
			return;
		}
		st = calloc(1, sizeof(*st));
		if (st == NULL) {
			jd_reply_rc(req, JD_E_NOMEM, "keys rewrap");
			return;
		}
		st->req = req;
		st->srv = srv;
		snprintf(st->tenant, sizeof(st->tenant), "%s", tenant);
		rc = step_start(st);
		if (rc != JD_OK) {
			free(st);
			jd_reply_rc(req, rc, "keys rewrap");
		}
		return;
	}
	job = job_of(srv);
	if (job == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "keys rewrap");
		return;
	}
	if (job->running) {
		jd_reply_json(req, 200,
			      json_pack("{s:b, s:b, s:o}", "started", 0, "resumed", 0, "progress",
					job_json(job)));
		return;
	}
	c = jd_req_ctx(req, sizeof(*c), NULL);
	if (c == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "keys rewrap");
		return;
	}
	c->req = req;
	c->job = job;
	rc = jd_store_read(srv->store, JD_KEYS_SYS_TENANT, 2, argv, on_saved_progress, c);
	if (rc != JD_OK) {
		jd_reply_rc(req, rc, "keys rewrap");
		return;
	}
	job->running = 1; /* a second call now answers "already running" */
	job->inflight++;
}

/* ---- GET /v1/keys/status ------------------------------------------------------ */

struct status_ctx {
	jd_req *req;
	struct jd_server *srv;
	unsigned versions[JD_KEYRING_MAX_VERSIONS];
	long long counts[JD_KEYRING_MAX_VERSIONS];
	size_t nversions;
	long long other, missing, unreadable, scanned;
	json_t *unknown; /* {"<version>": count} of versions the keyring lacks */
	size_t page_n;
	unsigned pending;
	int failed; /* the first storage error */
};

/* Runs when the request is finished. */
static void status_dtor(void *ptr)
{
	struct status_ctx *c = ptr;

	json_decref(c->unknown);
}

static void status_page(struct status_ctx *c);
static void status_finish(struct status_ctx *c);

static void status_count(struct status_ctx *c, const char *wrapped)
{
	unsigned v;
	char key[16];

	if (wrapped == NULL) {
		c->missing++;
		return;
	}
	v = jd_tenant_keys_wrapped_version(wrapped);
	if (v == 0) {
		c->unreadable++;
		return;
	}
	for (size_t i = 0; i < c->nversions; i++) {
		if (c->versions[i] == v) {
			c->counts[i]++;
			return;
		}
	}
	snprintf(key, sizeof(key), "%u", v);
	json_object_set_new(c->unknown, key,
			    json_integer(json_integer_value(json_object_get(c->unknown, key)) + 1));
}

static void status_page_end(struct status_ctx *c)
{
	if (c->failed != JD_OK) {
		jd_reply_rc(c->req, c->failed, "keys status");
		return;
	}
	if (c->page_n == PAGE && c->scanned < STATUS_MAX)
		status_page(c);
	else
		status_finish(c);
}

static void on_status_item(int rc, json_t *result, void *arg)
{
	struct status_ctx *c = arg;

	if (rc != JD_OK && c->failed == JD_OK)
		c->failed = rc;
	else if (rc == JD_OK)
		status_count(c, json_string_value(result));
	if (--c->pending == 0)
		status_page_end(c);
}

static void on_status_page(int rc, json_t *result, void *arg)
{
	struct status_ctx *c = arg;
	const char *argv[] = {"HGET", JD_TENANT_KEYS_RECORD, "wrapped"};

	if (rc != JD_OK) {
		c->failed = rc;
		status_page_end(c);
		return;
	}
	c->page_n = json_array_size(result);
	c->pending = 1;
	for (size_t i = 0; i < c->page_n; i++) {
		const char *t = json_string_value(json_array_get(result, i));

		c->scanned++;
		if (t == NULL || !jd_store_tenant_valid(t)) {
			c->unreadable++;
			continue;
		}
		c->pending++;
		rc = jd_store_read(c->srv->store, t, 3, argv, on_status_item, c);
		if (rc != JD_OK) {
			c->pending--;
			if (c->failed == JD_OK)
				c->failed = rc;
		}
	}
	if (--c->pending == 0)
		status_page_end(c);
}

static void status_page(struct status_ctx *c)
{
	char start[24], stop[24];
	const char *argv[] = {"ZRANGE", JD_KEYS_TENANTS_INDEX, start, stop};
	int rc;

	snprintf(start, sizeof(start), "%lld", c->scanned);
	snprintf(stop, sizeof(stop), "%lld", c->scanned + PAGE - 1);
	rc = jd_store_read(c->srv->store, JD_KEYS_SYS_TENANT, 4, argv, on_status_page, c);
	if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "keys status");
}

static void on_status_progress(int rc, json_t *result, void *arg)
{
	struct status_ctx *c = arg;
	const struct jd_server *srv = c->srv;
	unsigned active = jd_keyring_active(srv->keyring);
	struct jd_keys_job *job = srv->keys_job;
	json_t *versions = json_array(), *rewrap, *out;

	if (rc != JD_OK) {
		jd_reply_rc(c->req, rc, "keys status");
		goto cleanup;
	}
	for (size_t i = 0; i < c->nversions; i++)
		json_array_append_new(versions,
				      json_pack("{s:I, s:I, s:b, s:b}", "version",
						(json_int_t)c->versions[i], "tenant_keys",
						(json_int_t)c->counts[i], "active",
						c->versions[i] == active, "retirable",
						c->versions[i] != active && c->counts[i] == 0));
	rewrap = json_pack(
	    "{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "running", job != NULL && job->running,
	    "cursor", (json_int_t)ll_of(result, "cursor"), "done",
	    (json_int_t)ll_of(result, "done"), "failed", (json_int_t)ll_of(result, "failed"),
	    "total", (json_int_t)ll_of(result, "total"), "target",
	    (json_int_t)ll_of(result, "target"), "started", (json_int_t)ll_of(result, "started"),
	    "finished", (json_int_t)ll_of(result, "finished"));
	out = json_pack(
	    "{s:I, s:I, s:o, s:O, s:I, s:I, s:I, s:b, s:o}", "active", (json_int_t)active,
	    "min_key_version", (json_int_t)srv->cfg->min_key_version, "versions", versions,
	    "unknown_versions", c->unknown, "tenants", (json_int_t)c->scanned, "without_key",
	    (json_int_t)c->missing, "unreadable", (json_int_t)c->unreadable, "truncated",
	    c->scanned >= STATUS_MAX, "rewrap", rewrap);
	versions = NULL;
	if (out == NULL)
		jd_reply_rc(c->req, JD_E_NOMEM, "keys status");
	else
		jd_reply_json(c->req, 200, out);
cleanup:
	json_decref(versions);
}

static void status_finish(struct status_ctx *c)
{
	const char *argv[] = {"HGETALL", PROGRESS_KEY};
	int rc = jd_store_read(c->srv->store, JD_KEYS_SYS_TENANT, 2, argv, on_status_progress, c);

	if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "keys status");
}

static void get_status(jd_req *req, void *arg)
{
	struct jd_server *srv = arg;
	struct status_ctx *c = jd_req_ctx(req, sizeof(*c), status_dtor);

	if (c == NULL || (c->unknown = json_object()) == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "keys status");
		return;
	}
	c->req = req;
	c->srv = srv;
	c->nversions = jd_keyring_versions(srv->keyring, c->versions, JD_KEYRING_MAX_VERSIONS);
	status_page(c);
}

/* ---- registration ---------------------------------------------------------------- */

static const struct jd_field rewrap_fields[] = {
    {"tenant", JD_FIELD_STRING, 0, 64,
     "only this tenant, at once (default: every tenant, in the background)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route keys_routes[] = {
    {"POST", "/v1/keys/rewrap", "keys.admin",
     "Re-wrap tenant keys under the active master version (background, resumable)", "keys rewrap",
     rewrap_fields, JD_ROUTE_CONTROL_ONLY, post_rewrap, NULL},
    {"GET", "/v1/keys/status", "keys.admin",
     "What each master version still wraps, and the rewrap job's progress "
     "(administrative scan)",
     "keys status", NULL, JD_ROUTE_CONTROL_ONLY, get_status, NULL},
};

int jd_keys_routes_register(struct jd_server *srv, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(keys_routes) / sizeof(keys_routes[0]); i++) {
		struct jd_route r = keys_routes[i];
		int rc;

		r.arg = srv;
		rc = jd_router_add(srv->router, &r, "core", err, errlen);
		if (rc != JD_OK)
			return rc;
	}
	return JD_OK;
}
