/*
 * GET /v1/training/stats: the figures of a cohort for a range (county or
 * roll-up), with the same range a year earlier (docs/training.md, "Figures",
 * for each definition, 口径).  The host sums the counters (stats_query);
 * this file names the figures made of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

struct stats {
	struct ctx *c;
	const struct jd_stats_result *r;
};

static long long sum(struct stats *s, const char *metric, int p)
{
	for (size_t i = 0; training_counters.metrics[i] != NULL; i++)
		if (strcmp(training_counters.metrics[i], metric) == 0)
			return s->r->sum[i][p];
	return 0;
}

static json_t *ratio(long long a, long long b, int scale)
{
	double v;
	long long q;

	if (b <= 0)
		return json_null();
	v = (double)scale * 10.0 * (double)a / (double)b;
	q = (long long)(v + 0.5);
	return json_real((double)q / 10.0);
}

/* The median of days start->matched from the md.<d> histogram, or null */
static json_t *median(struct stats *s, int p)
{
	long long n = sum(s, "matched", p), seen = 0;
	char name[16];

	if (n <= 0)
		return json_null();
	for (int d = 0; d <= 180; d++) {
		snprintf(name, sizeof(name), "md.%d", d);
		seen += sum(s, name, p);
		if (2 * seen >= n)
			return json_integer(d);
	}
	return json_string(">180");
}

static void row(struct stats *s, json_t *rows, const char *figure, json_t *cur, json_t *prev)
{
	json_t *r = json_pack("{s:s, s:o}", "figure", figure, "value", cur);

	if (s->r->compare)
		json_object_set_new(r, "previous", prev);
	else
		json_decref(prev);
	json_array_append_new(rows, r);
}

static void count_row(struct stats *s, json_t *rows, const char *figure, const char *metric)
{
	row(s, rows, figure, json_integer(sum(s, metric, 0)), json_integer(sum(s, metric, 1)));
}

static json_t *figures(struct stats *s)
{
	json_t *rows = json_array();
	double months = (double)(s->r->to - s->r->from + 1) / 30.4375;
	json_t *pm[2];

	count_row(s, rows, "new_cadres", "new");
	count_row(s, rows, "matched_both_mentors", "matched");
	row(s, rows, "both_mentors_share_pct", ratio(sum(s, "matched", 0), sum(s, "new", 0), 100),
	    ratio(sum(s, "matched", 1), sum(s, "new", 1), 100));
	row(s, rows, "median_days_start_to_matched", median(s, 0), median(s, 1));
	count_row(s, rows, "plans_started", "plans");
	count_row(s, rows, "plans_completed", "plans.complete");
	count_row(s, rows, "milestones_done", "ms.done");
	count_row(s, rows, "milestones_done_on_time", "ms.ontime");
	row(s, rows, "milestones_on_time_pct",
	    ratio(sum(s, "ms.ontime", 0), sum(s, "ms.done", 0), 100),
	    ratio(sum(s, "ms.ontime", 1), sum(s, "ms.done", 1), 100));
	count_row(s, rows, "talks", "talks");
	for (int p = 0; p < 2; p++) {
		long long pairs = 2 * sum(s, "matched", p);

		pm[p] = pairs > 0 && months > 0
			    ? ratio(sum(s, "talks", p), (long long)(pairs * months * 10 + 0.5), 10)
			    : json_null();
	}
	row(s, rows, "talks_per_pair_per_month", pm[0], pm[1]);
	count_row(s, rows, "credit_hours", "hours");
	count_row(s, rows, "practice_records", "practice");
	return rows;
}

/* The answer's "now" object (created on first use) */
static json_t *now_of(struct ctx *c)
{
	json_t *now = json_object_get(c->aux3, "now");

	if (now == NULL) {
		now = json_object();
		json_object_set_new(c->aux3, "now", now);
	}
	return now;
}

/* Read results as numbers: ZCARD gives an integer */
static long long count_of(const json_t *v)
{
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void now_hours(struct ctx *c)
{
	json_t *now = now_of(c);
	long long need = config_int("hours_required", 40), total = 0, meeting = 0, hours = 0;
	const char *id;
	json_t *p;

	json_object_foreach(json_object_get(c->org, "people"), id, p)
	{
		long long h = atoll(obj_str(c->aux2, id));

		if (strcmp(obj_str(p, "status"), "retired") == 0)
			continue;
		total++;
		hours += h;
		meeting += h >= need;
	}
	json_object_set_new(now, "cadres", json_integer(total));
	json_object_set_new(now, "hours_per_cadre", ratio(hours, total, 1));
	json_object_set_new(now, "hours_required", json_integer(need));
	json_object_set_new(now, "meeting_requirement_pct", ratio(meeting, total, 100));
	ctx_reply(c, 200, json_incref(c->aux3));
}

static void now_org(struct ctx *c)
{
	char key[32];

	snprintf(key, sizeof(key), "hours:%d", host->day_year(host->day_today()));
	ctx_read(c, key, &c->aux2, now_hours);
}

/* aux: the overdue milestones "<plan>#<n>": their distinct plans are behind */
static void now_behind(struct ctx *c)
{
	json_t *now = now_of(c), *behind = json_object();
	long long plans = count_of(json_object_get(now, "plans"));
	long long complete = count_of(json_object_get(now, "plans_complete"));
	size_t i;
	json_t *v;

	json_array_foreach(c->aux, i, v)
	{
		const char *m = json_string_value(v), *hash = m ? strchr(m, '#') : NULL;

		if (hash != NULL)
			json_object_setn_new(behind, m, (size_t)(hash - m), json_true());
	}
	json_object_set_new(now, "plans_behind",
			    json_integer((json_int_t)json_object_size(behind)));
	json_object_set_new(now, "plans_on_track",
			    json_integer(plans - complete - (long long)json_object_size(behind)));
	json_decref(behind);
	now_org(c);
}

static void now_complete(struct ctx *c)
{
	char max[24];
	const char *argv[4] = {"ZRANGEBYSCORE", "milestones:due", "-inf", max};

	json_object_set_new(now_of(c), "plans_complete", json_integer(count_of(c->aux)));
	snprintf(max, sizeof(max), "%ld", host->day_number(host->day_today() - 1));
	ctx_cmd(c, 4, argv, &c->aux, now_behind);
}

static void now_plans(struct ctx *c)
{
	const char *argv[2] = {"ZCARD", "plans:state:complete"};

	json_object_set_new(now_of(c), "plans", json_integer(count_of(c->aux)));
	ctx_cmd(c, 2, argv, &c->aux, now_complete);
}

static void now_pairs(struct ctx *c)
{
	const char *argv[2] = {"ZCARD", "plans:all"};

	json_object_set_new(now_of(c), "stalled_pairs",
			    json_integer((json_int_t)json_array_size(c->aux) / 2));
	ctx_cmd(c, 2, argv, &c->aux, now_plans);
}

static void now_stalled(struct ctx *c)
{
	char max[24];
	const char *argv[5] = {"ZRANGEBYSCORE", "pairs:active", "-inf", max, "WITHSCORES"};

	snprintf(max, sizeof(max), "%ld",
		 host->day_number(host->day_today() - config_int("stall_days", 30)));
	ctx_cmd(c, 5, argv, &c->aux, now_pairs);
}

static void on_county(int rc, json_t *org, void *arg)
{
	struct ctx *c = arg;

	if (rc != JD_OK) { /* a city or province of one county: no figures of now */
		ctx_reply(c, 200, json_incref(c->aux3));
		return;
	}
	c->org = json_incref(org);
	now_stalled(c);
}

static void now_county(struct ctx *c)
{
	int rc = host->org_read(self, c->tenant, on_county, c);

	if (rc != JD_OK)
		ctx_reply(c, 200, json_incref(c->aux3));
}

static void on_figures(int rc, const struct jd_stats_result *r, const char *message, void *arg)
{
	struct stats s = {arg, r};
	struct ctx *c = arg;
	char from[11], to[11];

	if (rc == JD_E_INVALID) {
		ctx_invalid(c, "%s", message);
		return;
	}
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	host->day_format(r->from, from);
	host->day_format(r->to, to);
	c->aux3 = json_pack("{s:s, s:s, s:s, s:I, s:o}", "tenant", c->tenant, "from", from, "to",
			    to, "counties", (json_int_t)r->counties, "figures", figures(&s));
	if (r->compare)
		json_object_set_new(c->aux3, "compare", json_string("previous-year"));
	if (r->counties == 1 && in_str(c, "unit") == NULL && in_str(c, "group") == NULL)
		now_county(c); /* a county: the figures of now too */
	else
		ctx_reply(c, 200, json_incref(c->aux3));
}

void stats_get(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "stats");
	struct jd_stats_query q = {.req = req, .counters = &training_counters};
	char err[300];
	int rc;

	(void)arg;
	if (c == NULL)
		return;
	q.tenant = c->tenant;
	q.from = in_str(c, "from");
	q.to = in_str(c, "to");
	q.compare = in_str(c, "compare");
	q.unit = in_str(c, "unit");
	q.group = in_str(c, "group");
	rc = host->stats_query(self, &q, on_figures, c, err, sizeof(err));
	if (rc == JD_E_INVALID) {
		ctx_invalid(c, "%s", err);
	} else if (rc == JD_E_FORBIDDEN) {
		host->reply_error(req, 403, "forbidden", "%s", err);
		ctx_free(c);
	} else if (rc != JD_OK) {
		ctx_fail(c, rc);
	}
}
