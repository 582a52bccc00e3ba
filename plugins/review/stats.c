/*
 * The figures (审理工作统计), from the counters the writers keep in the
 * same mutation as each change (counters.c), summed by the host's
 * stats_query for a county or a roll-up, a range, a unit or a group, with
 * the previous year; the recount; the overdue listing and the sweep.
 *
 * The median and the 90th percentile of the days from acceptance to
 * completion come from the day histogram: the smallest bucket whose
 * cumulative count reaches half (nine tenths) of the reviews completed.
 * Up to 60 days a bucket is one day, so the figure is exact; beyond, it
 * is the bucket's upper bound (90, 120), or null past 120.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

#define N_DAYS 64 /* days.0 .. days.60, 61_90, 91_120, 121_plus */

static struct jd_sweeper *sweeper;

static const char *mname(size_t i)
{
	return review_counters.metrics[i];
}

long long review_sum(const struct jd_stats_result *r, const char *metric, int p)
{
	for (size_t i = 0; mname(i); i++)
		if (strcmp(mname(i), metric) == 0)
			return r->sum[i][p];
	return 0;
}

/* The days of the q-th quantile (q in tenths: 5 median, 9 p90), or -1 (none, or past 120). */
long review_quantile(const struct jd_stats_result *r, int p, int q)
{
	static const long upper[] = {90, 120, -1};
	long long total = 0, acc = 0;
	size_t d0 = 0;

	while (mname(d0) && strcmp(mname(d0), "days.0") != 0)
		d0++;

	for (int i = 0; i < N_DAYS; i++)
		total += r->sum[d0 + i][p];
	if (total == 0)
		return -1;
	for (int i = 0; i < N_DAYS; i++) {
		acc += r->sum[d0 + i][p];
		if (acc * 10 >= total * q)
			return i <= 60 ? i : upper[i - 61];
	}
	return -1;
}

static json_t *num_or_null(long v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *growth(long long cur, long long prev)
{
	long long q;

	if (prev <= 0)
		return json_null();
	q = (2000 * (cur - prev) / prev + (cur >= prev ? 1 : -1)) / 2;
	return json_real((double)q / 10.0);
}

static void row(json_t *rows, int compare, const char *figure, json_t *cur, json_t *prev)
{
	json_t *o = json_pack("{s:s, s:o}", "figure", figure, "value", cur);

	if (o != NULL && compare) {
		json_object_set(o, "previous", prev);
		json_object_set_new(o, "growth_pct",
				    json_is_integer(cur) && json_is_integer(prev)
					? growth(json_integer_value(cur), json_integer_value(prev))
					: json_null());
	}
	json_decref(prev);
	json_array_append_new(rows, o);
}

static void metric(json_t *rows, const struct jd_stats_result *r, const char *figure, const char *m)
{
	row(rows, r->compare, figure, json_integer(review_sum(r, m, 0)),
	    json_integer(review_sum(r, m, 1)));
}

static json_t *figures(const struct jd_stats_result *r)
{
	static const char *const plain[][2] = {
	    {"received", "received"},
	    {"accepted", "accepted"},
	    {"completed", "completed"},
	    {"completed_on_time", "completed.on_time"},
	    {"returned", "returned"},
	    {"returned_supplementary", "returned.supplementary"},
	    {"returned_reinvestigation", "returned.reinvestigation"},
	    {"returned_facts_unclear", "returned.facts_unclear"},
	    {"returned_evidence_insufficient", "returned.evidence_insufficient"},
	    {"returned_procedure_flawed", "returned.procedure_flawed"},
	    {"returned_characterization_wrong", "returned.characterization_wrong"},
	    {"returned_other", "returned.other"},
	    {"changed_by_review", "changed"},
	    {"changed_characterization", "changed.characterization"},
	    {"changed_sanction", "changed.sanction"},
	    {"appeals_received", "appeals"},
	    {"appeals_completed", "appeals.completed"},
	    {"appeals_upheld", "appeal.upheld"},
	    {"appeals_changed", "appeal.changed"},
	    {"appeals_revoked", "appeal.revoked"},
	};
	json_t *rows = json_array();

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		metric(rows, r, plain[i][0], plain[i][1]);
	row(rows, r->compare, "median_days", num_or_null(review_quantile(r, 0, 5)),
	    num_or_null(review_quantile(r, 1, 5)));
	row(rows, r->compare, "p90_days", num_or_null(review_quantile(r, 0, 9)),
	    num_or_null(review_quantile(r, 1, 9)));
	return rows;
}

struct q {
	jd_req *req;
	char tenant[65];
};

static void on_figures(int rc, const struct jd_stats_result *r, const char *message, void *arg)
{
	struct q *q = arg;
	char from[11], to[11];
	json_t *o;

	if (rc == JD_E_INVALID) {
		host->reply_error(q->req, 400, "invalid", "%s", message ? message : "bad input");
	} else if (rc != JD_OK) {
		host->reply_rc(q->req, rc, "stats");
	} else {
		host->day_format(r->from, from);
		host->day_format(r->to, to);
		o = json_pack("{s:s, s:s, s:s, s:I, s:o}", "tenant", q->tenant, "from", from, "to",
			      to, "counties", (json_int_t)r->counties, "figures", figures(r));
		if (o != NULL && r->compare)
			json_object_set_new(o, "compare", json_string("previous-year"));
		host->reply_json(q->req, 200, o);
	}
	free(q);
}

void review_stats(jd_req *req, void *arg)
{
	json_t *in = host->req_body(req);
	struct q *q = calloc(1, sizeof(*q));
	struct jd_stats_query sq = {.req = req, .counters = &review_counters};
	char err[300];
	int rc;

	(void)arg;
	if (q == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "stats");
		return;
	}
	q->req = req;
	snprintf(q->tenant, sizeof(q->tenant), "%s", host->req_param(req, "tenant"));
	sq.tenant = q->tenant;
	sq.from = json_string_value(json_object_get(in, "from"));
	sq.to = json_string_value(json_object_get(in, "to"));
	sq.compare = json_string_value(json_object_get(in, "compare"));
	sq.unit = json_string_value(json_object_get(in, "unit"));
	sq.group = json_string_value(json_object_get(in, "group"));
	rc = host->stats_query(self, &sq, on_figures, q, err, sizeof(err));
	if (rc == JD_OK)
		return;
	if (rc == JD_E_INVALID)
		host->reply_error(req, 400, "invalid", "%s", err);
	else if (rc == JD_E_FORBIDDEN)
		host->reply_error(req, 403, "forbidden", "%s", err);
	else
		host->reply_rc(req, rc, "stats");
	free(q);
}

/* ---- recount -------------------------------------------------------------------------- */

static const struct jd_recount_walk walks[] = {
    {"reviews:all", "review", "reviews", cnt_record},
    {NULL, NULL, NULL, NULL},
};

static const struct jd_recount recount = {&review_counters, walks, "reviews:recount:last",
					  "review.recount.fix"};

static void on_recounted(int rc, json_t *answer, const char *message, void *arg)
{
	jd_req *req = arg;

	if (rc == JD_E_INVALID)
		host->reply_error(req, 400, "invalid", "%s", message ? message : "bad input");
	else if (rc != JD_OK)
		host->reply_rc(req, rc, "recount");
	else
		host->reply_json(req, 200, json_incref(answer));
}

void review_recount(jd_req *req, void *arg)
{
	json_t *in = host->req_body(req);
	int rc;

	(void)arg;
	rc = host->recount_run(self, &recount, req, host->req_param(req, "tenant"),
			       json_is_true(json_object_get(in, "fix")), on_recounted, req);
	if (rc == JD_E_INVALID)
		host->reply_error(req, 400, "invalid", "field 'tenant': a tenant code");
	else if (rc != JD_OK)
		host->reply_rc(req, rc, "recount");
}

/* ---- deadlines ------------------------------------------------------------------------ */

static void on_due(int rc, json_t *items, void *arg)
{
	jd_req *req = arg;

	if (rc != JD_OK)
		host->reply_rc(req, rc, "overdue");
	else
		host->reply_json(req, 200, json_pack("{s:O}", "due", items));
}

void review_overdue(jd_req *req, void *arg)
{
	json_t *in = host->req_body(req);
	json_t *d = json_object_get(in, "days");
	int days = json_is_integer(d) ? (int)json_integer_value(d)
				      : atoi(host->config_get(self, "near_days", "7"));
	int rc;

	(void)arg;
	rc = host->deadline_list(self, &review_deadlines, host->req_param(req, "tenant"), days,
				 on_due, req);
	if (rc != JD_OK)
		host->reply_rc(req, rc, "overdue");
}

int review_sweep_start(void)
{
	sweeper = host->sweeper_start(self, &review_deadlines);
	return sweeper ? JD_OK : JD_ERR;
}

void review_sweep_stop(void)
{
	if (sweeper)
		host->sweeper_stop(sweeper);
	sweeper = NULL;
}

void review_note_tenant(const char *tenant)
{
	if (sweeper)
		host->sweeper_note_tenant(sweeper, tenant);
}
