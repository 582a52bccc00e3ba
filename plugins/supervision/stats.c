/*
 * GET /v1/supervision/stats: the figures leaders report (docs/supervision.md,
 * "The figures" has each definition, 口径), for a county or a city's or
 * province's counties, a date range and optionally one unit or group, with
 * the same range a year earlier.
 *
 * Three reads, each flat in the number of records: the host's stats_query
 * over the plugin's metrics; for a county, a second one over the per-group
 * task metrics "g.<group>.*" of its groups; and "overdue now" as one
 * O(log n) ZCOUNT per county or per unit of the filter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static const char *const group_parts[] = {"dispatched", "completed", "assessed", "score"};

struct stats {
	struct ctx *c;
	json_t *rows;
	int compare;
	char from[11], to[11], pfrom[11], pto[11];
	size_t counties;
	int county; /* the tenant is a county (the organization read, or a unit filter) */
	/* the per-group query: its metrics live until its callback */
	char **names;
	const char **metrics;
	struct jd_counters gcnt;
	json_t *groups;	   /* codes, in the order of names */
	char *group_units; /* with a group filter: its member units */
	json_t *open;	   /* overdue now: [tenant, sorted set, ...] to count */
	size_t at;
	long long overdue;
};

static void stats_free(struct stats *s)
{
	for (size_t i = 0; s->names && s->names[i]; i++)
		free(s->names[i]);
	free(s->names);
	free(s->metrics);
	json_decref(s->rows);
	json_decref(s->groups);
	json_decref(s->open);
	free(s->group_units);
	free(s);
}

static void stats_fail(struct stats *s, int rc, const char *msg)
{
	if (msg != NULL && rc == JD_E_INVALID)
		ctx_invalid(s->c, "%s", msg);
	else
		ctx_fail(s->c, rc);
	stats_free(s);
}

/* a / b in percent, one decimal, without libm */
static json_t *percent(long long a, long long b)
{
	double v = 1000.0 * (double)a / (double)b;
	long long q = (long long)(v >= 0 ? v + 0.5 : v - 0.5);

	return json_real((double)q / 10.0);
}

static json_t *ratio(long long a, long long b)
{
	double v = 10.0 * (double)a / (double)b;
	long long q = (long long)(v >= 0 ? v + 0.5 : v - 0.5);

	return json_real((double)q / 10.0);
}

static void row(struct stats *s, const char *figure, long long cur, long long prev)
{
	json_t *r = json_pack("{s:s, s:I}", "figure", figure, "value", (json_int_t)cur);

	if (r != NULL && s->compare) {
		json_object_set_new(r, "previous", json_integer(prev));
		json_object_set_new(r, "growth_pct",
				    prev > 0 ? percent(cur - prev, prev) : json_null());
	}
	json_array_append_new(s->rows, r);
}

/* a share (pct) or an average (avg) row: the previous value, no growth */
static void derived_row(struct stats *s, const char *figure, const long long *a, const long long *b,
			int pct)
{
	json_t *cur = b[0] > 0 ? (pct ? percent(a[0], b[0]) : ratio(a[0], b[0])) : json_null();
	json_t *r = json_pack("{s:s, s:o}", "figure", figure, "value", cur);

	if (r != NULL && s->compare) {
		json_object_set_new(r, "previous",
				    b[1] > 0 ? (pct ? percent(a[1], b[1]) : ratio(a[1], b[1]))
					     : json_null());
		json_object_set_new(r, "growth_pct", json_null());
	}
	json_array_append_new(s->rows, r);
}

#define SUM(i) r->sum[i][0], r->sum[i][1]

static void main_rows(struct stats *s, const struct jd_stats_result *r)
{
	long long letters[2] = {r->sum[M_PROMPT][0] + r->sum[M_RECOMMENDATION][0],
				r->sum[M_PROMPT][1] + r->sum[M_RECOMMENDATION][1]};

	row(s, "talks", SUM(M_TALKS));
	row(s, "talk_person_times", SUM(M_PERSONS));
	row(s, "talk_leaders", SUM(M_LEADERS));
	row(s, "talk_key_posts", SUM(M_KEY_POSTS));
	row(s, "prompt_letters", SUM(M_PROMPT));
	row(s, "recommendations", SUM(M_RECOMMENDATION));
	row(s, "letters_and_recommendations", letters[0], letters[1]);
	row(s, "items_issued", SUM(M_ISSUED));
	row(s, "items_rectified", SUM(M_RECTIFIED));
	row(s, "items_rectified_on_time", SUM(M_ON_TIME));
	derived_row(s, "on_time_share_pct", r->sum[M_ON_TIME], r->sum[M_RECTIFIED], 1);
	row(s, "rules_established", SUM(M_RULES));
	row(s, "lookbacks_done", SUM(M_LOOKBACKS));
	row(s, "lookback_rebounds", SUM(M_REBOUND));
	derived_row(s, "rebound_rate_pct", r->sum[M_REBOUND], r->sum[M_LOOKBACKS], 1);
	row(s, "tasks_dispatched", SUM(M_DISPATCHED));
	row(s, "tasks_completed", SUM(M_COMPLETED));
	row(s, "tasks_assessed", SUM(M_ASSESSED));
	derived_row(s, "task_average_score", r->sum[M_SCORE], r->sum[M_ASSESSED], 0);
	row(s, "leads_raised", SUM(M_LEADS));
}

static void reply(struct stats *s)
{
	struct ctx *c = s->c;
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:O}", "tenant", c->tenant, "from", s->from,
			      "to", s->to, "counties", (json_int_t)s->counties, "figures", s->rows);

	if (o != NULL && in_str(c, "unit"))
		json_object_set_new(o, "unit", json_string(in_str(c, "unit")));
	if (o != NULL && in_str(c, "group"))
		json_object_set_new(o, "group", json_string(in_str(c, "group")));
	if (o != NULL && s->compare) {
		json_object_set_new(o, "compare", json_string("previous-year"));
		json_object_set_new(o, "previous_from", json_string(s->pfrom));
		json_object_set_new(o, "previous_to", json_string(s->pto));
	}
	ctx_reply(c, 200, o);
	stats_free(s);
}

/*
 * ---- overdue now: the open items whose deadline is before today ------------------------------
 *
 * One ZCOUNT (O(log n)) per sorted set: "items:open" of the county, or of
 * each county a city or province rolls up; "items:open:u:<unit>" of the
 * unit, or of each member unit of the group (as the host sums a group's
 * counters).  The reads are made one after another: their number is that of
 * the counties or of the group's units, never that of the records.
 */

static void overdue_row(struct stats *s)
{
	json_t *r =
	    json_pack("{s:s, s:I}", "figure", "items_overdue_now", "value", (json_int_t)s->overdue);

	if (r != NULL && s->compare) {
		json_object_set_new(r, "previous", json_null());
		json_object_set_new(r, "growth_pct", json_null());
	}
	json_array_append_new(s->rows, r);
	reply(s);
}

static void next_open(struct stats *s);

static void on_count(int rc, json_t *result, void *arg)
{
	struct stats *s = arg;

	if (rc != JD_OK) {
		stats_fail(s, rc, NULL);
		return;
	}
	s->overdue += json_is_integer(result)  ? json_integer_value(result)
		      : json_is_string(result) ? atoll(json_string_value(result))
					       : 0;
	s->at += 2;
	next_open(s);
}

static void next_open(struct stats *s)
{
	char before[24];
	const char *argv[4] = {"ZCOUNT", json_string_value(json_array_get(s->open, s->at + 1)),
			       "-inf", before};
	int rc;

	if (s->at + 1 >= json_array_size(s->open)) {
		overdue_row(s);
		return;
	}
	snprintf(before, sizeof(before), "(%ld", host->day_number(host->day_today()));
	rc = host->store_read(self, json_string_value(json_array_get(s->open, s->at)), 4, argv,
			      on_count, s);
	if (rc != JD_OK)
		stats_fail(s, rc, NULL);
}

/* Appends (tenant, key) to the sets to count. */
static void open_add(struct stats *s, const char *tenant, const char *key)
{
	json_array_append_new(s->open, json_string(tenant));
	json_array_append_new(s->open, json_string(key));
}

static void on_counties(int rc, json_t *t, void *arg)
{
	struct stats *s = arg;
	json_t *counties = json_object_get(t, "counties");

	if (rc != JD_OK) {
		stats_fail(s, rc, NULL);
		return;
	}
	for (size_t i = 0; i < json_array_size(counties); i++)
		open_add(s, json_string_value(json_array_get(counties, i)), "items:open");
	next_open(s);
}

static void overdue_read(struct stats *s)
{
	const char *unit = in_str(s->c, "unit");
	char key[100];
	int rc;

	if ((s->open = json_array()) == NULL) {
		stats_fail(s, JD_E_NOMEM, NULL);
		return;
	}
	if (unit != NULL && *unit) {
		snprintf(key, sizeof(key), "items:open:u:%s", unit);
		open_add(s, s->c->tenant, key);
	} else if (in_str(s->c, "group") != NULL) {
		for (const char *p = s->group_units ? s->group_units : ""; *p;) {
			const char *end = strchr(p, ',');

			snprintf(key, sizeof(key), "items:open:u:%.*s",
				 (int)(end ? end - p : (long)strlen(p)), p);
			open_add(s, s->c->tenant, key);
			p = end ? end + 1 : "";
		}
	} else if (s->county) {
		open_add(s, s->c->tenant, "items:open");
	} else { /* a roll-up: each of its counties */
		if ((rc = host->org_tenants(self, s->c->tenant, on_counties, s)) != JD_OK)
			stats_fail(s, rc, NULL);
		return;
	}
	next_open(s);
}

/* ---- per group: tasks dispatched, completed, average score ----------------------------------- */

static void on_groups(int rc, const struct jd_stats_result *r, const char *msg, void *arg)
{
	struct stats *s = arg;

	if (rc != JD_OK) {
		stats_fail(s, rc, msg);
		return;
	}
	for (size_t g = 0; g < json_array_size(s->groups); g++) {
		const char *code = json_string_value(json_array_get(s->groups, g));
		const long long(*v)[2] = r->sum + 4 * g;
		char f[120];

		snprintf(f, sizeof(f), "group_%s_tasks_dispatched", code);
		row(s, f, v[0][0], v[0][1]);
		snprintf(f, sizeof(f), "group_%s_tasks_completed", code);
		row(s, f, v[1][0], v[1][1]);
		snprintf(f, sizeof(f), "group_%s_average_score", code);
		derived_row(s, f, v[3], v[2], 0);
	}
	overdue_read(s);
}

static int group_metrics(struct stats *s, json_t *org)
{
	const char *only = in_str(s->c, "group"), *code;
	json_t *g;
	size_t n = 0, k = 0;

	s->groups = json_array();
	json_object_foreach(json_object_get(org, "groups"), code,
			    g) if (only == NULL || strcmp(only, code) == 0)
	    json_array_append_new(s->groups, json_string(code));
	n = json_array_size(s->groups);
	s->names = calloc(4 * n + 1, sizeof(*s->names));
	s->metrics = calloc(4 * n + 1, sizeof(*s->metrics));
	if (s->groups == NULL || s->names == NULL || s->metrics == NULL)
		return JD_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t p = 0; p < 4; p++, k++) {
			size_t len = 64 + strlen(json_string_value(json_array_get(s->groups, i)));

			if ((s->names[k] = malloc(len)) == NULL)
				return JD_E_NOMEM;
			snprintf(s->names[k], len, "g.%s.%s",
				 json_string_value(json_array_get(s->groups, i)), group_parts[p]);
			s->metrics[k] = s->names[k];
		}
	s->gcnt.prefix = sup_counters.prefix;
	s->gcnt.metrics = s->metrics;
	return JD_OK;
}

static void on_org(int rc, json_t *org, void *arg)
{
	struct stats *s = arg;
	struct ctx *c = s->c;
	char err[300];

	if (rc != JD_OK) { /* a roll-up: no per-group rows */
		overdue_read(s);
		return;
	}
	s->county = 1;
	if (in_str(c, "group") != NULL) {
		const char *u =
		    json_string_value(json_object_get(org_group(org, in_str(c, "group")), "units"));

		s->group_units = strdup(u ? u : "");
	}
	if ((rc = group_metrics(s, org)) != JD_OK) {
		stats_fail(s, rc, NULL);
		return;
	}
	if (json_array_size(s->groups) == 0) {
		overdue_read(s);
		return;
	}
	rc = host->stats_query(self,
			       &(struct jd_stats_query){.req = c->req,
							.tenant = c->tenant,
							.from = in_str(c, "from"),
							.to = in_str(c, "to"),
							.compare = in_str(c, "compare"),
							.counters = &s->gcnt},
			       on_groups, s, err, sizeof(err));
	if (rc != JD_OK)
		stats_fail(s, rc, err);
}

static void on_figures(int rc, const struct jd_stats_result *r, const char *msg, void *arg)
{
	struct stats *s = arg;

	if (rc != JD_OK) {
		stats_fail(s, rc, msg);
		return;
	}
	s->compare = r->compare;
	s->counties = r->counties;
	host->day_format(r->from, s->from);
	host->day_format(r->to, s->to);
	host->day_format(r->prev_from, s->pfrom);
	host->day_format(r->prev_to, s->pto);
	main_rows(s, r);
	s->county = in_str(s->c, "unit") != NULL;
	if (s->county || (rc = host->org_read(self, s->c->tenant, on_org, s)) != JD_OK)
		overdue_read(s);
}

void stats_get(jd_req *req, void *arg)
{
	struct stats *s = calloc(1, sizeof(*s));
	struct ctx *c = ctx_new(req, "stats", host->req_param(req, "tenant"), "");
	char err[300];
	int rc;

	(void)arg;
	if (s == NULL || c == NULL || (s->rows = json_array()) == NULL) {
		free(s);
		ctx_free(c);
		host->reply_rc(req, JD_E_NOMEM, "stats");
		return;
	}
	s->c = c;
	rc = host->stats_query(self,
			       &(struct jd_stats_query){.req = req,
							.tenant = c->tenant,
							.from = in_str(c, "from"),
							.to = in_str(c, "to"),
							.compare = in_str(c, "compare"),
							.unit = in_str(c, "unit"),
							.group = in_str(c, "group"),
							.counters = &sup_counters},
			       on_figures, s, err, sizeof(err));
	if (rc == JD_E_FORBIDDEN) {
		host->reply_error(req, 403, "forbidden", "%s", err);
		ctx_free(c);
		stats_free(s);
	} else if (rc != JD_OK) {
		stats_fail(s, rc, err);
	}
}
