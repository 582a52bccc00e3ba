/* The paged recount (svc_recount.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/auth.h"
#include "services/svc_counters.h"
#include "services/svc_mut.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "services/svc_recount.h"
#include "storage/store.h"
#include "transport/request.h"
#include "transport/server.h"

#define PAGE	    500
#define DRIFT_SHOWN 50
#define FIX_OPS_MAX 40000

struct recount {
	struct jd_server *srv;
	const struct jd_recount *decl; /* the plugin's: lives while the plugin is loaded */
	char tenant[65];
	char *principal;
	jd_req *req; /* the caller: alive until the plugin replies from cb */
	int fix;
	size_t walk; /* the index being walked */
	long page;
	json_t *counts;	  /* count name -> records walked */
	json_t *expected; /* key -> {field: count} */
	json_t *keys;	  /* the counter hashes read */
	json_t *results;  /* per key: its HGETALL (or per page record) */
	json_t *org;	  /* the county's organization (as org_read), NULL: not a county */
	int pending, rc;
	jd_recount_cb cb;
	void *arg;
};

static void recount_free(struct recount *r)
{
	json_decref(r->counts);
	json_decref(r->expected);
	json_decref(r->keys);
	json_decref(r->results);
	json_decref(r->org);
	free(r->principal);
	free(r);
}

static void finish(struct recount *r, int rc, json_t *answer, const char *message)
{
	r->cb(rc, rc == JD_OK ? answer : NULL, message, r->arg);
	json_decref(answer);
	recount_free(r);
}

/* Reads several keys (HGETALL) into r->results, then runs next(r) once, after the last. */
struct slot {
	struct recount *r;
	size_t i;
	void (*next)(struct recount *r);
};

static void on_hash(int rc, json_t *result, void *arg)
{
	struct slot *s = arg;
	struct recount *r = s->r;
	void (*next)(struct recount *) = s->next;

	if (rc != JD_OK && r->rc == JD_OK)
		r->rc = rc;
	if (rc == JD_OK)
		json_array_set(r->results, s->i, result);
	free(s);
	if (--r->pending == 0)
		next(r);
}

static void read_hashes(struct recount *r, json_t *keys, void (*next)(struct recount *))
{
	size_t n = json_array_size(keys);

	json_decref(r->results);
	r->results = json_array();
	r->pending = 1;
	for (size_t i = 0; r->results != NULL && i < n; i++) {
		const char *argv[2] = {"HGETALL", json_string_value(json_array_get(keys, i))};
		struct slot *s = malloc(sizeof(*s));
		int rc = s ? JD_OK : JD_E_NOMEM;

		json_array_append_new(r->results, json_null());
		if (s != NULL) {
			*s = (struct slot){r, i, next};
			rc = r->srv->store
				 ? jd_store_read(r->srv->store, r->tenant, 2, argv, on_hash, s)
				 : JD_E_UNAVAILABLE;
		}
		if (rc != JD_OK) {
			free(s);
			if (r->rc == JD_OK)
				r->rc = rc;
			break;
		}
		r->pending++;
	}
	if (r->results == NULL && r->rc == JD_OK)
		r->rc = JD_E_NOMEM;
	if (--r->pending == 0)
		next(r);
}

/* ---- the walk ----------------------------------------------------------------------------------
 */

/* Adds the scratch mutation's HINCRBY ops to the expected counters. */
static void fold(struct recount *r, struct jd_mut *m)
{
	size_t nops;
	const struct jd_op *ops = jd_mut_ops(m, &nops);

	for (size_t i = 0; i < nops; i++) {
		json_t *h;
		long long v;

		if (ops[i].kind != JD_OP_HINCRBY)
			continue;
		h = json_object_get(r->expected, ops[i].key);
		if (h == NULL) {
			h = json_object();
			json_object_set_new(r->expected, ops[i].key, h);
		}
		v = json_integer_value(json_object_get(h, ops[i].member)) + atoll(ops[i].value);
		json_object_set_new(h, ops[i].member, json_integer(v));
	}
}

/* HGETALL [field, value, ...] -> {field: value} */
static json_t *fields_object(json_t *arr, int as_integers)
{
	json_t *o = json_object();

	for (size_t j = 0; o && j + 1 < json_array_size(arr); j += 2) {
		const char *f = json_string_value(json_array_get(arr, j));
		json_t *v = json_array_get(arr, j + 1);

		if (f == NULL)
			continue;
		if (as_integers)
			json_object_set_new(
			    o, f,
			    json_integer(atoll(json_string_value(v) ? json_string_value(v) : "0")));
		else
			json_object_set(o, f, v);
	}
	return o;
}

static int next_page(struct recount *r);
static int read_counters(struct recount *r);
/* Goes on with the walk: the next page, or the counters after the last index. */
static void walk_on(struct recount *r)
{
	int rc = r->decl->walks[r->walk].index != NULL ? next_page(r) : read_counters(r);

	if (rc != JD_OK)
		finish(r, rc, NULL, NULL);
}

static void page_done(struct recount *r)
{
	const struct jd_recount_walk *w = &r->decl->walks[r->walk];
	struct jd_mut *m = jd_mut_new();
	long long n = json_integer_value(json_object_get(r->counts, w->count));

	if (r->rc != JD_OK || m == NULL) {
		jd_mut_free(m);
		finish(r, r->rc != JD_OK ? r->rc : JD_E_NOMEM, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < json_array_size(r->results); i++) {
		json_t *arr = json_array_get(r->results, i), *rec;

		if (json_array_size(arr) == 0)
			continue;
		rec = fields_object(arr, 0);
		/* the facts beyond the record a derivation may need (docs/plugins.md) */
		if (rec != NULL &&
		    json_object_set_new(rec, "_tenant", json_string(r->tenant)) == 0 &&
		    (r->org == NULL || json_object_set(rec, "_org", r->org) == 0))
			w->derive(m, rec);
		json_decref(rec);
		n++;
	}
	json_object_set_new(r->counts, w->count, json_integer(n));
	fold(r, m);
	jd_mut_free(m);
	r->page++;
	walk_on(r);
}

static void on_page(int rc, json_t *ids, void *arg)
{
	struct recount *r = arg;
	const struct jd_recount_walk *w = &r->decl->walks[r->walk];
	json_t *keys;

	if (rc != JD_OK) {
		finish(r, rc, NULL, NULL);
		return;
	}
	if (json_array_size(ids) == 0) { /* this index is done */
		r->walk++;
		r->page = 0;
		walk_on(r);
		return;
	}
	if ((keys = json_array()) == NULL) {
		finish(r, JD_E_NOMEM, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < json_array_size(ids); i++) {
		char key[160];

		snprintf(key, sizeof(key), "%s:%s", w->type,
			 json_string_value(json_array_get(ids, i)));
		json_array_append_new(keys, json_string(key));
	}
	read_hashes(r, keys, page_done);
	json_decref(keys);
}

static int next_page(struct recount *r)
{
	char start[24], stop[24];
	const char *argv[4] = {"ZRANGE", r->decl->walks[r->walk].index, start, stop};

	snprintf(start, sizeof(start), "%ld", r->page * PAGE);
	snprintf(stop, sizeof(stop), "%ld", r->page * PAGE + PAGE - 1);
	return r->srv->store ? jd_store_read(r->srv->store, r->tenant, 4, argv, on_page, r)
			     : JD_E_UNAVAILABLE;
}

/* ---- compare ------------------------------------------------------------------------------------
 */

struct drift {
	json_t *shown;
	struct jd_mut *fix; /* NULL: report only */
	long long n, checked;
};

/* One counter field compared; a difference is shown (the first few) and corrected when fixing. */
static void compare(struct drift *d, const char *key, const char *f, long long want, long long have)
{
	char delta[24];

	d->checked++;
	if (want == have)
		return;
	if (++d->n <= DRIFT_SHOWN)
		json_array_append_new(d->shown, json_pack("{s:s, s:s, s:I, s:I}", "counter", key,
							  "field", f, "expected", (json_int_t)want,
							  "actual", (json_int_t)have));
	snprintf(delta, sizeof(delta), "%lld", want - have);
	if (d->fix != NULL)
		jd_mut_op(d->fix, JD_OP_HINCRBY, key, f, delta);
}

static void compare_all(struct recount *r, json_t *actual, struct drift *d)
{
	const char *key, *f;
	json_t *h, *v;

	json_object_foreach(r->expected, key, h) json_object_foreach(h, f, v)
	    compare(d, key, f, json_integer_value(v),
		    json_integer_value(json_object_get(json_object_get(actual, key), f)));
	json_object_foreach(actual, key, h) json_object_foreach(h, f, v)
	{
		if (json_object_get(json_object_get(r->expected, key), f) == NULL)
			compare(d, key, f, 0, json_integer_value(v));
	}
}

static json_t *answer_of(struct recount *r, struct drift *d)
{
	json_t *o = json_pack("{s:s}", "tenant", r->tenant);
	const char *k;
	json_t *v;

	json_object_foreach(r->counts, k, v) json_object_set(o, k, v);
	json_object_set_new(o, "counters_checked", json_integer(d->checked));
	json_object_set_new(o, "drift", json_integer(d->n));
	json_object_set(o, "drifted", d->shown);
	json_object_set_new(o, "fixed", json_false());
	return o;
}

/*
 * A fix is applied FIX_STEP counters at a time, each step its own short
 * mutation (and audit entry), the next sent when the last one is answered:
 * one step of tens of thousands of HINCRBYs held Redis, and every request
 * waiting on it, for most of a second.  Each step is right on its own (a
 * delta per counter, which commutes with other writers' increments), so a
 * fix cut short leaves counters either fixed or as they were, and the
 * next recount finds the rest.
 */
#define FIX_STEP 2000

struct fixing {
	struct recount *r;
	json_t *answer;
	struct jd_mut *fix; /* all the deltas */
	struct jd_mutation m;
	const struct jd_op *ops;
	size_t nops, done; /* deltas in all, and applied */
};

static void on_fixed(int rc, const struct jd_mutate_result *res, void *arg);

static int fix_step(struct fixing *x)
{
	size_t n = x->nops - x->done < FIX_STEP ? x->nops - x->done : FIX_STEP;

	x->m.ops = x->ops + x->done;
	x->m.n_ops = n;
	return x->r->srv->store ? jd_store_mutate(x->r->srv->store, &x->m, on_fixed, x)
				: JD_E_UNAVAILABLE;
}

static void fixing_end(struct fixing *x, int rc)
{
	char msg[200];

	if (rc == JD_OK) {
		json_object_set_new(x->answer, "fixed", json_true());
		finish(x->r, JD_OK, x->answer, NULL);
	} else {
		json_decref(x->answer);
		snprintf(msg, sizeof(msg),
			 "%zu of %zu drifted counters fixed before the fix failed; run the "
			 "recount again to fix the rest",
			 x->done, x->nops);
		finish(x->r, rc, NULL, x->done > 0 ? msg : NULL);
	}
	jd_mut_free(x->fix);
	free(x);
}

static void on_fixed(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct fixing *x = arg;

	(void)res;
	if (rc == JD_OK) {
		x->done += x->m.n_ops;
		if (x->done < x->nops && (rc = fix_step(x)) == JD_OK)
			return;
	}
	fixing_end(x, rc);
}

/* Applies d->fix (taking it over); answers when it is applied or cannot be. */
static void apply_fix(struct recount *r, struct drift *d, json_t *answer)
{
	struct fixing *x = calloc(1, sizeof(*x));
	char msg[120];
	int rc;

	if (x == NULL) { /* the caller frees d->fix */
		json_decref(answer);
		finish(r, JD_E_NOMEM, NULL, NULL);
		return;
	}
	x->r = r;
	x->answer = answer;
	x->fix = d->fix;
	d->fix = NULL;
	x->m = (struct jd_mutation){.tenant = r->tenant,
				    .record = r->decl->record,
				    .expect_version = JD_VERSION_ANY,
				    .req = r->req,
				    .action = r->decl->fix_action};
	if (jd_mut_ops(x->fix, &x->nops), x->nops > FIX_OPS_MAX) {
		snprintf(msg, sizeof(msg), "%lld counters drifted: more than %d to fix", d->n,
			 FIX_OPS_MAX);
		json_decref(x->answer);
		x->answer = NULL;
		finish(r, JD_E_INVALID, NULL, msg);
		jd_mut_free(x->fix);
		free(x);
		return;
	}
	jd_mut_setf(x->fix, "drift", "%lld", d->n);
	jd_mut_set(x->fix, "by", r->principal);
	rc = jd_mut_fill(x->fix, &x->m);
	x->ops = x->m.ops;
	if (rc == JD_OK)
		rc = fix_step(x);
	if (rc != JD_OK) {
		x->done = 0; /* nothing was sent */
		fixing_end(x, rc);
	}
}

static void counters_done(struct recount *r)
{
	json_t *actual = json_object(), *answer;
	struct drift d = {json_array(), r->fix ? jd_mut_new() : NULL, 0, 0};

	for (size_t i = 0; r->rc == JD_OK && actual && i < json_array_size(r->keys); i++)
		json_object_set_new(actual, json_string_value(json_array_get(r->keys, i)),
				    fields_object(json_array_get(r->results, i), 1));
	if (r->rc != JD_OK || actual == NULL || d.shown == NULL || (r->fix && d.fix == NULL)) {
		json_decref(actual);
		json_decref(d.shown);
		jd_mut_free(d.fix);
		finish(r, r->rc != JD_OK ? r->rc : JD_E_NOMEM, NULL, NULL);
		return;
	}
	compare_all(r, actual, &d);
	json_decref(actual);
	answer = answer_of(r, &d);
	json_decref(d.shown);
	if (answer == NULL || d.fix == NULL || d.n == 0)
		finish(r, answer ? JD_OK : JD_E_NOMEM, answer, NULL);
	else
		apply_fix(r, &d, answer);
	jd_mut_free(d.fix); /* NULL when apply_fix took it */
}

/* The counter hashes: the tenant's, every unit's of "<prefix>:units", and any expected. */
static void on_units(int rc, json_t *units, void *arg)
{
	struct recount *r = arg;
	const struct jd_counters *c = r->decl->counters;
	const char *key;
	json_t *h;
	char k[160];

	if (rc != JD_OK || (r->keys = json_array()) == NULL) {
		finish(r, rc != JD_OK ? rc : JD_E_NOMEM, NULL, NULL);
		return;
	}
	jd_counter_key_tenant(c, k, sizeof(k));
	json_array_append_new(r->keys, json_string(k));
	for (size_t i = 0; i < json_array_size(units); i++) {
		jd_counter_key_unit(c, json_string_value(json_array_get(units, i)), k, sizeof(k));
		json_array_append_new(r->keys, json_string(k));
	}
	json_object_foreach(r->expected, key, h)
	{
		int seen = 0;

		for (size_t i = 0; i < json_array_size(r->keys); i++)
			seen |= strcmp(json_string_value(json_array_get(r->keys, i)), key) == 0;
		if (!seen)
			json_array_append_new(r->keys, json_string(key));
	}
	read_hashes(r, r->keys, counters_done);
}

static int read_counters(struct recount *r)
{
	char k[160];
	const char *argv[2] = {"SMEMBERS", k};

	jd_counter_key_units(r->decl->counters, k, sizeof(k));
	return r->srv->store ? jd_store_read(r->srv->store, r->tenant, 2, argv, on_units, r)
			     : JD_E_UNAVAILABLE;
}

/* ---- start -------------------------------------------------------------------------------------
 */

static int start_walk(struct recount *r)
{
	return r->decl->walks[0].index != NULL ? next_page(r) : read_counters(r);
}

/* Not a county (no such tenant, a roll-up): walked without an organization. */
static void on_org(int rc, json_t *snap, void *arg)
{
	struct recount *r = arg;

	if (rc == JD_OK)
		r->org = json_incref(snap);
	else if (rc != JD_E_NOTFOUND && rc != JD_E_INVALID) {
		finish(r, rc, NULL, NULL);
		return;
	}
	if ((rc = start_walk(r)) != JD_OK)
		finish(r, rc, NULL, NULL);
}

int jd_recount_tenant(struct jd_server *srv, const struct jd_recount *decl, jd_req *req,
		      const char *tenant, int fix, jd_recount_cb cb, void *arg)
{
	struct recount *r;
	int rc;

	if (srv->store == NULL)
		return JD_E_UNAVAILABLE;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return JD_E_NOMEM;
	r->srv = srv;
	r->decl = decl;
	r->fix = fix;
	r->req = req;
	r->cb = cb;
	r->arg = arg;
	snprintf(r->tenant, sizeof(r->tenant), "%s", tenant);
	r->principal = strdup(req ? req->principal.name : "");
	r->counts = json_object();
	r->expected = json_object();
	if (r->principal == NULL || r->counts == NULL || r->expected == NULL) {
		recount_free(r);
		return JD_E_NOMEM;
	}
	for (const struct jd_recount_walk *w = decl->walks; w->index != NULL; w++)
		json_object_set_new(r->counts, w->count, json_integer(0));
	/* a county's records are derived with its organization at hand (the walk's "_org") */
	rc = jd_org_code_valid(tenant) ? jd_org_snapshot_read(srv, tenant, 0, on_org, r)
				       : start_walk(r);
	if (rc != JD_OK)
		recount_free(r); /* cb does not run */
	return rc;
}
