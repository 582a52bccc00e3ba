/*
 * GET /v1/training/stats: the figures of a cohort for a range (county or
 * roll-up), with the same range a year earlier (docs/training.md, "Figures",
 * for each definition, 口径).  The host sums the counters (stats_query);
 * this file names the figures made of them, then adds the pair-days of the
 * talks per pair-month (pairdays.c) and the figures of now (now.c), read
 * from every county of the roll-up (org_tenants).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

struct stats {
	struct ctx *c;
	const struct jd_stats_result *r;
};

long long training_sum(const struct jd_stats_result *r, const char *metric, int p)
{
	for (size_t i = 0; training_counters.metrics[i] != NULL; i++)
		if (strcmp(training_counters.metrics[i], metric) == 0)
			return r->sum[i][p];
	return 0;
}

static long long sum(struct stats *s, const char *metric, int p)
{
	return training_sum(s->r, metric, p);
}

long training_median_days(const struct jd_stats_result *r, int p)
{
	long long n = training_sum(r, "matched", p), seen = 0;
	char name[16];

	if (n <= 0)
		return -1;
	for (int d = 0; d <= 180; d++) {
		snprintf(name, sizeof(name), "md.%d", d);
		seen += training_sum(r, name, p);
		if (2 * seen >= n)
			return d;
	}
	return 181;
}

json_t *round_json(double v, double scale)
{
	return json_real((double)(long long)(v * scale + 0.5) / scale);
}

json_t *ratio(long long a, long long b, int scale)
{
	return b > 0 ? round_json((double)scale * (double)a / (double)b, 10) : json_null();
}

/* The median of days start->matched from the md.<d> histogram, or null */
static json_t *median(struct stats *s, int p)
{
	long d = training_median_days(s->r, p);

	return d < 0 ? json_null() : d > 180 ? json_string(">180") : json_integer(d);
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
	count_row(s, rows, "talks", "talks"); /* per pair-month: pairdays.c */
	count_row(s, rows, "credit_hours", "hours");
	count_row(s, rows, "practice_records", "practice");
	return rows;
}

/* ---- the parts read after the sums: pair-days, then the figures of now ---- */

void stats_run_end(struct stats_run *s, int rc)
{
	struct ctx *c = s->c;

	json_decref(s->counties);
	json_decref(s->sources);
	json_decref(s->fields);
	free(s->sum);
	free(s);
	if (rc != JD_OK)
		ctx_fail(c, rc);
	else
		ctx_reply(c, 200, json_incref(c->aux3));
}

static void answered(struct stats_run *s)
{
	stats_run_end(s, JD_OK);
}

/* A unit or a group is filtered: its figures of now would be the county's; none then */
static void after_pairdays(struct stats_run *s)
{
	if (in_str(s->c, "unit") != NULL || in_str(s->c, "group") != NULL)
		answered(s);
	else
		now_start(s, answered);
}

static void source(struct stats_run *s, const char *tenant, const char *unit)
{
	char key[120];

	if (unit != NULL)
		snprintf(key, sizeof(key), "%s:u:%s", training_counters.prefix, unit);
	else
		snprintf(key, sizeof(key), "%s:t", training_counters.prefix);
	json_array_append_new(s->sources, json_pack("[s, s]", tenant, key));
}

/* A group's pair-days: the counter hashes of its units */
static void on_group_org(int rc, json_t *org, void *arg)
{
	struct stats_run *s = arg;
	const json_t *g = json_object_get(json_object_get(org, "groups"), in_str(s->c, "group"));
	char *units, *save = NULL;

	if (rc != JD_OK) {
		stats_run_end(s, rc);
		return;
	}
	units = strdup(obj_str(g, "units"));
	if (units == NULL) {
		stats_run_end(s, JD_E_NOMEM);
		return;
	}
	for (char *u = strtok_r(units, ",", &save); u != NULL; u = strtok_r(NULL, ",", &save))
		source(s, s->c->tenant, u);
	free(units);
	pairdays_start(s, after_pairdays);
}

static void on_tenants(int rc, json_t *tree, void *arg)
{
	struct stats_run *s = arg;
	const json_t *counties = json_object_get(tree, "counties");
	size_t i;
	json_t *v;

	if (rc != JD_OK || !json_is_array(counties)) {
		stats_run_end(s, rc != JD_OK ? rc : JD_ERR);
		return;
	}
	s->counties = json_deep_copy(counties);
	if (in_str(s->c, "group") != NULL) {
		rc = host->org_read(self, s->c->tenant, on_group_org, s);
		if (rc != JD_OK)
			stats_run_end(s, rc);
		return;
	}
	if (in_str(s->c, "unit") != NULL)
		source(s, s->c->tenant, in_str(s->c, "unit"));
	else
		json_array_foreach(counties, i, v) source(s, json_string_value(v), NULL);
	pairdays_start(s, after_pairdays);
}

/* The sums are in: the pair-days and (without a filter) the figures of now follow */
static void stats_more(struct stats *st)
{
	struct ctx *c = st->c;
	struct stats_run *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL || (s->sources = json_array()) == NULL) {
		free(s);
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	s->c = c;
	s->periods = st->r->compare ? 2 : 1;
	s->from[0] = st->r->from;
	s->to[0] = st->r->to;
	s->from[1] = st->r->prev_from;
	s->to[1] = st->r->prev_to;
	s->talks[0] = sum(st, "talks", 0);
	s->talks[1] = sum(st, "talks", 1);
	rc = host->org_tenants(self, c->tenant, on_tenants, s);
	if (rc != JD_OK)
		stats_run_end(s, rc);
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
	stats_more(&s);
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
