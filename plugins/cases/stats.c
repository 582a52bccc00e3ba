/*
 * GET /v1/cases/stats: the figures leaders report, for a county or a
 * city's or province's counties, a date range and optionally one unit or
 * one group, with the same range a year earlier.
 *
 * The host sums the counters (stats_query: the input checked, who may
 * read them, the roll-up, the reads); this file declares the metrics and
 * makes the figures of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

static const char *const metrics[] = {
    "received",
    "received.letters_visits",
    "received.inspection_tour",
    "received.audit",
    "received.judicial",
    "received.other_body",
    "received.self_supervision",
    "received.self_investigation",
    "disposed",
    "disposed.talk_inquiry",
    "disposed.prelim_verification",
    "disposed.hold_pending",
    "disposed.close",
    "filed",
    "filed.self",
    "sanctioned",
    "sanctioned.party",
    "sanctioned.gov",
    "form.f1",
    "form.f2",
    "form.f3",
    "form.f4",
    NULL,
};

const struct jd_counters cases_counters = {.prefix = "cnt", .metrics = metrics};

/* the leads a county's own supervision and investigation found (自主发现) */
const char *const cases_self_found[] = {"received.self_supervision", "received.self_investigation",
					NULL};
/* the leads other bodies transferred (移送) */
const char *const cases_transferred[] = {"received.inspection_tour", "received.audit",
					 "received.judicial", "received.other_body", NULL};

#define NM (sizeof(metrics) / sizeof(metrics[0]) - 1)

enum { M_RECEIVED = 0, M_DISPOSED = 8, M_FILED = 13, M_FILED_SELF = 14 };

struct stats {
	struct ctx *c;
	const struct jd_stats_result *r;
};

/* ---- the answer ---------------------------------------------------------------------------- */

/* a / b in percent, one decimal (rounded half away from zero), without libm */
static json_t *percent(long long a, long long b)
{
	double v = 1000.0 * (double)a / (double)b;
	long long q = (long long)(v >= 0 ? v + 0.5 : v - 0.5);

	return json_real((double)q / 10.0);
}

static json_t *pct(long long part, long long whole)
{
	return whole > 0 ? percent(part, whole) : json_null();
}

static json_t *growth(long long cur, long long prev)
{
	return prev > 0 ? percent(cur - prev, prev) : json_null();
}

static void row(struct stats *s, json_t *rows, const char *figure, long long cur, long long prev)
{
	json_t *r = json_pack("{s:s, s:I}", "figure", figure, "value", (json_int_t)cur);

	if (r != NULL && s->r->compare) {
		json_object_set_new(r, "previous", json_integer(prev));
		json_object_set_new(r, "growth_pct", growth(cur, prev));
	}
	json_array_append_new(rows, r);
}

static void share_row(struct stats *s, json_t *rows, const char *figure, long long part[2],
		      long long whole[2])
{
	json_t *r = json_pack("{s:s, s:o}", "figure", figure, "value", pct(part[0], whole[0]));

	if (r != NULL && s->r->compare) {
		json_object_set_new(r, "previous", pct(part[1], whole[1]));
		json_object_set_new(r, "growth_pct", json_null());
	}
	json_array_append_new(rows, r);
}

long long cases_sum(const struct jd_stats_result *r, const char *const *names, int p)
{
	long long n = 0;

	for (size_t i = 0; i < NM; i++)
		for (const char *const *q = names; *q; q++)
			if (strcmp(metrics[i], *q) == 0)
				n += r->sum[i][p];
	return n;
}

static long long sum_of(struct stats *s, const char *const *names, int p)
{
	return cases_sum(s->r, names, p);
}

static void metric_row(struct stats *s, json_t *rows, const char *figure, const char *metric)
{
	const char *names[] = {metric, NULL};

	row(s, rows, figure, sum_of(s, names, 0), sum_of(s, names, 1));
}

static json_t *figures(struct stats *s)
{
	json_t *rows = json_array();
	long long filed[2] = {s->r->sum[M_FILED][0], s->r->sum[M_FILED][1]};
	long long own[2] = {s->r->sum[M_FILED_SELF][0], s->r->sum[M_FILED_SELF][1]};
	long long total[2] = {s->r->agencies_total, s->r->agencies_total};
	long long with[2] = {s->r->agencies_with[0], s->r->agencies_with[1]};

	metric_row(s, rows, "leads_received", "received");
	row(s, rows, "leads_self_discovered", sum_of(s, cases_self_found, 0),
	    sum_of(s, cases_self_found, 1));
	row(s, rows, "leads_transferred", sum_of(s, cases_transferred, 0),
	    sum_of(s, cases_transferred, 1));
	for (size_t i = 1; i < 8; i++) {
		char f[64];

		snprintf(f, sizeof(f), "source_%s", metrics[i] + 9);
		metric_row(s, rows, f, metrics[i]);
	}
	metric_row(s, rows, "leads_disposed", "disposed");
	for (size_t i = 9; i < 13; i++) {
		char f[64];

		snprintf(f, sizeof(f), "disposed_%s", metrics[i] + 9);
		metric_row(s, rows, f, metrics[i]);
	}
	metric_row(s, rows, "cases_filed", "filed");
	metric_row(s, rows, "cases_self_handled", "filed.self");
	share_row(s, rows, "self_handled_share_pct", own, filed);
	metric_row(s, rows, "persons_sanctioned", "sanctioned");
	metric_row(s, rows, "persons_party_sanction", "sanctioned.party");
	metric_row(s, rows, "persons_government_sanction", "sanctioned.gov");
	for (size_t i = 18; i < 22; i++) {
		char f[64];

		snprintf(f, sizeof(f), "four_forms_%s", metrics[i] + 5);
		metric_row(s, rows, f, metrics[i]);
	}
	row(s, rows, "agencies_with_cases", s->r->agencies_with[0], s->r->agencies_with[1]);
	row(s, rows, "agencies_total", s->r->agencies_total, s->r->agencies_total);
	share_row(s, rows, "agencies_with_cases_share_pct", with, total);
	return rows;
}

static json_t *answer(struct stats *s)
{
	struct ctx *c = s->c;
	char from[11], to[11], pfrom[11], pto[11];
	json_t *o;

	host->day_format(s->r->from, from);
	host->day_format(s->r->to, to);
	o = json_pack("{s:s, s:s, s:s, s:I, s:o}", "tenant", c->tenant, "from", from, "to", to,
		      "counties", (json_int_t)s->r->counties, "figures", figures(s));
	if (o != NULL && in_str(c, "unit"))
		json_object_set_new(o, "unit", json_string(in_str(c, "unit")));
	if (o != NULL && in_str(c, "group"))
		json_object_set_new(o, "group", json_string(in_str(c, "group")));
	if (o != NULL && s->r->compare) {
		host->day_format(s->r->prev_from, pfrom);
		host->day_format(s->r->prev_to, pto);
		json_object_set_new(o, "compare", json_string("previous-year"));
		json_object_set_new(o, "previous_from", json_string(pfrom));
		json_object_set_new(o, "previous_to", json_string(pto));
	}
	return o;
}

static void on_figures(int rc, const struct jd_stats_result *r, const char *message, void *arg)
{
	struct stats s = {arg, r};

	if (rc == JD_E_INVALID)
		ctx_invalid(s.c, "%s", message);
	else if (rc != JD_OK)
		ctx_fail(s.c, rc);
	else
		ctx_reply(s.c, 200, answer(&s));
}

/* ---- GET /v1/cases/stats ------------------------------------------------------------------------
 */

void stats_get(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, KIND_LEAD, host->req_param(req, "tenant"), "");
	struct jd_stats_query q = {
	    .req = req, .counters = &cases_counters, .agencies_with = "filed"};
	char err[300];
	int rc;

	(void)arg;
	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "stats");
		return;
	}
	if (ctx_tenant_check(c) != 0)
		return;
	q.tenant = c->tenant;
	q.from = in_str(c, "from");
	q.to = in_str(c, "to");
	q.compare = in_str(c, "compare");
	q.unit = in_str(c, "unit");
	q.group = in_str(c, "group");
	rc = host->stats_query(self, &q, on_figures, c, err, sizeof(err));
	if (rc == JD_E_INVALID)
		ctx_invalid(c, "%s", err);
	else if (rc == JD_E_FORBIDDEN) {
		host->reply_error(req, 403, "forbidden", "%s", err);
		ctx_free(c);
	} else if (rc != JD_OK)
		ctx_fail(c, rc);
}
