/*
 * Look-back (回头看): a closed item is due for a re-check at "lookback_due"
 * (its closure plus [plugin.supervision] lookback_days), kept in the sorted
 * set "items:lookback" scored by that date.  The re-check passes, or finds
 * a rebound (反弹): the item reopens (in progress, with a new deadline),
 * is flagged as sham rectification (虚假整改, "sham" = 1) and its closure is
 * taken back from the figures.  A lead for accountability (问责) is a
 * finding on the item, which a leader approves (findings.c): named with the
 * rebound (subject_*, allegation), it is written in the rebound's own
 * mutation; or added later (findings add --source item:<id>).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

/* The rebound's reply: the item, and the finding raised with it when there is one. */
static void on_rebound(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;

	if (rc != JD_OK) {
		ctx_on_mutated(rc, res, arg);
		return;
	}
	ctx_reply(c, 200,
		  json_pack("{s:s, s:I, s:s, s:O}", "id", c->id, "version",
			    (json_int_t)res->version, "state", c->to, "finding", c->aux));
}

/*
 * The accountability lead (问责) of a rebound, raised with it: the finding
 * (state proposed, a leader approves it as a lead: findings.c) is written
 * in the rebound's own mutation, so the reopened item never stands without
 * the finding its re-check named.
 */
static void rebound_finding(struct ctx *c)
{
	char fid[33], key[48], src[80];
	struct jd_mut *fm;
	int rc;

	host->new_id(fid);
	snprintf(key, sizeof(key), "finding:%s", fid);
	snprintf(src, sizeof(src), "item:%s", c->id);
	if ((fm = host->mut_record(c->m, key, JD_VERSION_NEW)) == NULL ||
	    (c->aux = json_string(fid)) == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	if ((rc = finding_put(c, fm, fid, rec_str(c, "issuer"), rec_str(c, "groups"), src)) !=
	    JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	host->mut_set(c->m, "finding", fid);
	ctx_submit_cb(c, "supervision.item.lookback.rebound", on_rebound);
}

/* 0, or replies 400: a finding goes with a rebound and names its subject and allegation. */
static int finding_check(struct ctx *c, int rebound)
{
	if (!finding_in_input(c))
		return 0;
	if (!rebound) {
		ctx_invalid(c, "field 'allegation': a finding is raised with a rebound only");
		return -1;
	}
	if (in_str(c, "allegation") == NULL || in_str(c, "subject_name") == NULL) {
		ctx_invalid(c,
			    "field '%s': the finding of a rebound names its subject and its "
			    "allegation",
			    in_str(c, "allegation") == NULL ? "allegation" : "subject_name");
		return -1;
	}
	return 0;
}

static void lookback_loaded(struct ctx *c)
{
	const char *result = in_str(c, "result");
	int rebound = result != NULL && strcmp(result, "rebound") == 0;
	char action[32], date[11], f[32];
	jd_day due, closed, dl;
	long long n = rec_int(c, "lookbacks") + 1;

	if (ctx_version(c) != 0 || item_issuer_side(c) != 0)
		return;
	if (result == NULL || (!rebound && strcmp(result, "passed") != 0)) {
		ctx_invalid(c, "field 'result': passed or rebound");
		return;
	}
	if (finding_check(c, rebound) != 0)
		return;
	snprintf(action, sizeof(action), "lookback.%s", result);
	if (item_allowed(c, action) != 0)
		return;
	if (host->day_parse(rec_str(c, "lookback_due"), &due) != JD_OK ||
	    strcmp(rec_str(c, "lookback"), "due") != 0) {
		ctx_conflict(c, "illegal_transition", "item %s: no look-back is due", c->id);
		return;
	}
	if (ctx_date(c, "date", due, "the look-back is due") != 0)
		return;
	host->day_format(c->day, date);
	host->mut_setf(c->m, "lookbacks", "%lld", n);
	snprintf(f, sizeof(f), "lb.%lld", n);
	host->mut_setf(c->m, f, "%s|%s", result, date);
	host->mut_set(c->m, "lookback", result);
	host->mut_op(c->m, JD_OP_ZREM, "items:lookback", c->id, NULL);
	cnt(c->m, rec_str(c, "unit"), "lookbacks", c->day, 1);
	if (!rebound) {
		ctx_submit(c, "supervision.item.lookback.passed");
		return;
	}
	if (host->day_parse(rec_str(c, "closed"), &closed) != JD_OK ||
	    ctx_deadline(c, "deadline", c->day, &dl) != 0)
		return;
	cnt(c->m, rec_str(c, "unit"), "lookbacks.rebound", c->day, 1);
	/* the closure was not real: it no longer counts as rectified */
	item_count_closed(c->m, rec_str(c, "unit"), rec_str(c, "deadline"), closed, -1);
	host->mut_set(c->m, "sham", "1");
	host->mut_setf(c->m, "rebounds", "%lld", rec_int(c, "rebounds") + 1);
	host->mut_del(c->m, "closed");
	host->mut_del(c->m, "on_time");
	host->mut_del(c->m, "lookback_due");
	host->day_format(dl, date);
	host->mut_set(c->m, "deadline", date);
	item_open_put(c->m, c->id, rec_str(c, "unit"), dl);
	item_move(c, "in_progress");
	if (!finding_in_input(c)) {
		ctx_submit(c, "supervision.item.lookback.rebound");
		return;
	}
	ctx_keys(c, rebound_finding);
}

void item_lookback(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "item", NULL, lookback_loaded);
}

/* ---- GET /v1/supervision/lookbacks: closed items due for a re-check -------------------------- */

/*
 * Like every listing, it shows only the items the caller may see: each id
 * due is checked with the core's record scope (its unit, groups and deny
 * read with one HMGET) before it is listed.
 */
struct due {
	struct ctx *c;
	json_t *due; /* [id, score, id, score, ...] */
	size_t at;
	json_t *rows;
};

static void due_free(struct due *d)
{
	json_decref(d->due);
	json_decref(d->rows);
	free(d);
}

static void next_due(struct due *d);

static void on_scope(int rc, json_t *f, void *arg)
{
	struct due *d = arg;
	const char *unit = json_string_value(json_array_get(f, 0));

	if (rc != JD_OK) {
		ctx_fail(d->c, rc);
		due_free(d);
		return;
	}
	if (unit != NULL && host->record_visible(d->c->req, NULL, d->c->tenant, unit,
						 json_string_value(json_array_get(f, 1))
						     ? json_string_value(json_array_get(f, 1))
						     : "",
						 json_string_value(json_array_get(f, 2))
						     ? json_string_value(json_array_get(f, 2))
						     : "")) {
		jd_day day = host->day_from_number(
		    atol(json_string_value(json_array_get(d->due, d->at + 1))));
		char date[11];

		host->day_format(day, date);
		json_array_append_new(d->rows,
				      json_pack("{s:O, s:s}", "item", json_array_get(d->due, d->at),
						"lookback_due", date));
	}
	d->at += 2;
	next_due(d);
}

static void next_due(struct due *d)
{
	char key[80];
	const char *argv[5] = {"HMGET", key, "unit", "groups", "deny"};
	int rc;

	if (d->at + 1 >= json_array_size(d->due)) {
		struct ctx *c = d->c;
		json_t *o = json_pack("{s:s, s:O}", "tenant", c->tenant, "items", d->rows);

		due_free(d);
		ctx_reply(c, 200, o);
		return;
	}
	snprintf(key, sizeof(key), "item:%.64s", json_string_value(json_array_get(d->due, d->at)));
	if ((rc = host->store_read(self, d->c->tenant, 5, argv, on_scope, d)) != JD_OK) {
		ctx_fail(d->c, rc);
		due_free(d);
	}
}

static void on_due(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg;
	struct due *d;

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL || (d->rows = json_array()) == NULL) {
		free(d);
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	d->c = c;
	d->due = json_incref(result);
	next_due(d);
}

void lookback_due_list(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, "item", host->req_param(req, "tenant"), "");
	char today[16];
	const char *argv[] = {"ZRANGEBYSCORE", "items:lookback", "-inf", today,
			      "WITHSCORES",    "LIMIT",		 "0",	 "200"};
	int rc;

	(void)arg;
	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "item");
		return;
	}
	if (!code_valid(c->tenant, 0) || c->tenant[0] == '\0') {
		ctx_invalid(c, "field 'tenant': a tenant code");
		return;
	}
	snprintf(today, sizeof(today), "%ld", host->day_number(host->day_today()));
	if ((rc = host->store_read(self, c->tenant, 8, argv, on_due, c)) != JD_OK)
		ctx_fail(c, rc);
}
