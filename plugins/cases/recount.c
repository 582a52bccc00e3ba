/*
 * POST /v1/cases/recount: recomputes every counter from the records and
 * reports any drift; with fix, corrects it (one mutation of HINCRBY
 * deltas, audited as cases.recount.fix).
 *
 * It walks the indexes "leads:all" and "cases:all" in pages by rank (no
 * SCAN), reads each page's records together, and derives their counters
 * with the same functions the writers use (counters.c), through a scratch
 * mutation whose HINCRBY ops are summed instead of applied.  Then it reads
 * the counter hashes (the tenant's and every unit's in "cnt:units") and
 * compares field by field.  Counters are compared as they are when read:
 * run it while the tenant is quiet, or run it twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cases.h"

#define PAGE	    500
#define DRIFT_SHOWN 50
#define FIX_OPS_MAX 40000

struct recount {
	struct ctx *c;
	enum rec_kind walking;
	long page;
	long long records[2];
	json_t *expected; /* key -> {field: count} */
	json_t *ids;	  /* the page being read */
};

static void recount_free(struct recount *r)
{
	json_decref(r->expected);
	json_decref(r->ids);
	free(r);
}

static void recount_fail(struct recount *r, int rc)
{
	ctx_fail(r->c, rc);
	recount_free(r);
}

/* Adds the scratch mutation's HINCRBY ops to the expected counters, then empties it. */
static void fold(struct recount *r, struct jd_mut *m)
{
	size_t nops;
	const struct jd_op *ops = host->mut_ops(m, &nops);

	for (size_t i = 0; i < nops; i++) {
		const struct jd_op *op = &ops[i];
		json_t *h;
		long long v;

		if (op->kind != JD_OP_HINCRBY)
			continue;
		h = json_object_get(r->expected, op->key);
		if (h == NULL) {
			h = json_object();
			json_object_set_new(r->expected, op->key, h);
		}
		v = json_integer_value(json_object_get(h, op->member)) + atoll(op->value);
		json_object_set_new(h, op->member, json_integer(v));
	}
}

/* HGETALL [field, value, ...] -> the value of name, "" when absent */
static const char *field(json_t *arr, const char *name)
{
	for (size_t i = 0; i + 1 < json_array_size(arr); i += 2)
		if (strcmp(json_string_value(json_array_get(arr, i)), name) == 0)
			return json_string_value(json_array_get(arr, i + 1));
	return "";
}

static void lead_counters(struct jd_mut *m, json_t *rec)
{
	const char *unit = field(rec, "unit");
	long long n = atoll(field(rec, "dispositions"));
	jd_day d;

	if (host->day_parse(field(rec, "received"), &d) == 0)
		cnt_lead_received(m, unit, field(rec, "source"), d, 1);
	for (long long i = 1; i <= n; i++) {
		char f[32], way[48];
		const char *v, *bar;

		snprintf(f, sizeof(f), "disp.%lld", i);
		v = field(rec, f);
		bar = strchr(v, '|');
		if (bar == NULL || host->day_parse(bar + 1, &d) != 0)
			continue;
		snprintf(way, sizeof(way), "%.*s", (int)(bar - v), v);
		cnt_lead_disposed(m, unit, way, d, 1);
	}
}

static void case_counters(struct jd_mut *m, json_t *rec)
{
	const char *unit = field(rec, "filing_unit");
	long long n = atoll(field(rec, "persons"));
	jd_day d;

	if (host->day_parse(field(rec, "filed"), &d) == 0)
		cnt_case_filed(m, unit, strcmp(field(rec, "self_handled"), "1") == 0, d, 1);
	for (long long i = 1; i <= n; i++) {
		char f[32];
		json_t *dec;

		snprintf(f, sizeof(f), "decision.%lld", i);
		dec = json_loads(field(rec, f), 0, NULL);
		if (dec != NULL &&
		    host->day_parse(json_string_value(json_object_get(dec, "date")), &d) == 0)
			cnt_decision(m, unit, json_string_value(json_object_get(dec, "party")),
				     json_string_value(json_object_get(dec, "government")),
				     json_string_value(json_object_get(dec, "form")), d, 1);
		json_decref(dec);
	}
}

static void next_page(struct recount *r);
static void read_counters(struct recount *r);

static void page_done(struct batch *b, void *arg)
{
	struct recount *r = arg;
	struct jd_mut *m = host->mut_new();

	if (b->rc != JD_OK || m == NULL) {
		int rc = b->rc != JD_OK ? b->rc : JD_E_NOMEM;

		batch_free(b);
		host->mut_free(m);
		recount_fail(r, rc);
		return;
	}
	for (size_t i = 0; i < b->n; i++) {
		json_t *rec = json_array_get(b->results, i);

		if (json_array_size(rec) == 0)
			continue;
		if (r->walking == KIND_LEAD)
			lead_counters(m, rec);
		else
			case_counters(m, rec);
		r->records[r->walking]++;
	}
	fold(r, m);
	host->mut_free(m);
	batch_free(b);
	r->page++;
	next_page(r);
}

static void on_page(int rc, json_t *ids, void *arg)
{
	struct recount *r = arg;
	struct batch *b;

	if (rc != JD_OK) {
		recount_fail(r, rc);
		return;
	}
	if (json_array_size(ids) == 0) { /* this index is done */
		if (r->walking == KIND_LEAD) {
			r->walking = KIND_CASE;
			r->page = 0;
			next_page(r);
		} else {
			read_counters(r);
		}
		return;
	}
	if ((b = batch_new(json_array_size(ids), page_done, r)) == NULL) {
		recount_fail(r, JD_E_NOMEM);
		return;
	}
	for (size_t i = 0; i < json_array_size(ids); i++) {
		char key[96];
		const char *argv[2] = {"HGETALL", key};

		snprintf(key, sizeof(key), "%s:%s", kind_type(r->walking),
			 json_string_value(json_array_get(ids, i)));
		batch_read(b, i, r->c->tenant, 2, argv);
	}
	batch_go(b);
}

static void next_page(struct recount *r)
{
	char key[32], start[24], stop[24];
	const char *argv[4] = {"ZRANGE", key, start, stop};
	int rc;

	snprintf(key, sizeof(key), "%s:all", kind_plural(r->walking));
	snprintf(start, sizeof(start), "%ld", r->page * PAGE);
	snprintf(stop, sizeof(stop), "%ld", r->page * PAGE + PAGE - 1);
	rc = host->store_read(self, r->c->tenant, 4, argv, on_page, r);
	if (rc != JD_OK)
		recount_fail(r, rc);
}

/* ---- compare
 * ------------------------------------------------------------------------------------- */

static void on_fixed(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct recount *r = arg;

	(void)res;
	if (rc != JD_OK) {
		recount_fail(r, rc);
		return;
	}
	json_object_set_new(r->ids, "fixed", json_true());
	ctx_reply(r->c, 200, json_incref(r->ids));
	recount_free(r);
}

/* One drift entry; adds the correcting op when fixing. */
static void drift(struct recount *r, json_t *shown, struct jd_mut *fix, long long *n,
		  const char *key, const char *f, long long want, long long have)
{
	char delta[24];

	if (want == have)
		return;
	if (++*n <= DRIFT_SHOWN)
		json_array_append_new(shown, json_pack("{s:s, s:s, s:I, s:I}", "counter", key,
						       "field", f, "expected", (json_int_t)want,
						       "actual", (json_int_t)have));
	snprintf(delta, sizeof(delta), "%lld", want - have);
	if (fix != NULL)
		host->mut_op(fix, JD_OP_HINCRBY, key, f, delta);
	(void)r;
}

static void counters_done(struct batch *b, void *arg)
{
	struct recount *r = arg;
	json_t *actual = json_object(), *shown = json_array(), *h, *keys = r->ids;
	struct jd_mut *fix = in_bool(r->c, "fix") ? host->mut_new() : NULL;
	long long n = 0, checked = 0;
	size_t nops;
	const char *key, *f;
	json_t *v;
	size_t i;

	for (i = 0; b->rc == JD_OK && actual && i < b->n; i++) {
		json_t *arr = json_array_get(b->results, i), *o = json_object();

		for (size_t j = 0; o && j + 1 < json_array_size(arr); j += 2)
			json_object_set_new(
			    o, json_string_value(json_array_get(arr, j)),
			    json_integer(atoll(json_string_value(json_array_get(arr, j + 1)))));
		json_object_set_new(actual, json_string_value(json_array_get(keys, i)), o);
	}
	if (b->rc != JD_OK || actual == NULL || shown == NULL) {
		int rc = b->rc != JD_OK ? b->rc : JD_E_NOMEM;

		json_decref(actual);
		json_decref(shown);
		host->mut_free(fix);
		batch_free(b);
		recount_fail(r, rc);
		return;
	}
	batch_free(b);
	json_object_foreach(r->expected, key, h) json_object_foreach(h, f, v)
	{
		json_t *have = json_object_get(json_object_get(actual, key), f);

		checked++;
		drift(r, shown, fix, &n, key, f, json_integer_value(v), json_integer_value(have));
	}
	json_object_foreach(actual, key, h) json_object_foreach(h, f, v)
	{
		if (json_object_get(json_object_get(r->expected, key), f) != NULL)
			continue;
		checked++;
		drift(r, shown, fix, &n, key, f, 0, json_integer_value(v));
	}
	json_decref(actual);
	json_decref(r->ids);
	r->ids =
	    json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:b}", "tenant", r->c->tenant, "leads",
		      (json_int_t)r->records[KIND_LEAD], "cases", (json_int_t)r->records[KIND_CASE],
		      "counters_checked", (json_int_t)checked, "drift", (json_int_t)n, "drifted",
		      shown, "fixed", 0);
	if (fix == NULL || n == 0 || r->ids == NULL) {
		host->mut_free(fix);
		ctx_reply(r->c, 200, json_incref(r->ids));
		recount_free(r);
		return;
	}
	if ((host->mut_ops(fix, &nops), nops) > FIX_OPS_MAX) {
		host->mut_free(fix);
		ctx_invalid(r->c, "%lld counters drifted: too many to fix in one step", n);
		recount_free(r);
		return;
	}
	host->mut_setf(fix, "drift", "%lld", n);
	host->mut_set(fix, "by", host->req_principal(r->c->req));
	if (host->mut_submit(self, fix,
			     &(const struct jd_mutation){.tenant = r->c->tenant,
							 .record = "recount:last",
							 .expect_version = JD_VERSION_ANY,
							 .req = r->c->req,
							 .action = "cases.recount.fix"},
			     on_fixed, r) != JD_OK)
		recount_fail(r, JD_ERR);
	host->mut_free(fix);
}

static void on_units(int rc, json_t *units, void *arg)
{
	struct recount *r = arg;
	json_t *keys = json_array();
	const char *key;
	json_t *h;
	struct batch *b;

	if (rc != JD_OK || keys == NULL) {
		json_decref(keys);
		recount_fail(r, rc != JD_OK ? rc : JD_E_NOMEM);
		return;
	}
	json_array_append_new(keys, json_string(CNT_TENANT));
	for (size_t i = 0; i < json_array_size(units); i++) {
		char k[96];

		snprintf(k, sizeof(k), CNT_UNIT "%s", json_string_value(json_array_get(units, i)));
		json_array_append_new(keys, json_string(k));
	}
	json_object_foreach(r->expected, key, h)
	{
		int seen = 0;

		for (size_t i = 0; i < json_array_size(keys); i++)
			seen |= strcmp(json_string_value(json_array_get(keys, i)), key) == 0;
		if (!seen)
			json_array_append_new(keys, json_string(key));
	}
	r->ids = keys;
	if ((b = batch_new(json_array_size(keys), counters_done, r)) == NULL) {
		recount_fail(r, JD_E_NOMEM);
		return;
	}
	for (size_t i = 0; i < json_array_size(keys); i++) {
		const char *argv[2] = {"HGETALL", json_string_value(json_array_get(keys, i))};

		batch_read(b, i, r->c->tenant, 2, argv);
	}
	batch_go(b);
}

static void read_counters(struct recount *r)
{
	const char *argv[2] = {"SMEMBERS", CNT_UNITS};
	int rc = host->store_read(self, r->c->tenant, 2, argv, on_units, r);

	if (rc != JD_OK)
		recount_fail(r, rc);
}

void recount_run(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, KIND_LEAD, host->req_param(req, "tenant"), "");
	struct recount *r = c ? calloc(1, sizeof(*r)) : NULL;

	(void)arg;
	if (r == NULL || (r->expected = json_object()) == NULL) {
		free(r);
		ctx_free(c);
		host->reply_rc(req, JD_E_NOMEM, "recount");
		return;
	}
	r->c = c;
	r->walking = KIND_LEAD;
	if (ctx_tenant_check(c) != 0) {
		r->c = NULL;
		recount_free(r);
		return;
	}
	next_page(r);
}
