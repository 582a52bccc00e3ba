/*
 * GET /v1/cases/stats: the figures leaders report, for a county or a
 * city's or province's counties (host->org_tenants), a date range and
 * optionally one unit or one group, with the same range a year earlier.
 *
 * Read from the counters (counters.c) only: per county one HMGET per
 * metric and counter hash over the range's buckets (whole months, and the
 * days at the edges), and one per agency for "agencies with a case".  The
 * cost grows with the length of the range and the size of the
 * organization, never with the number of leads or cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
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
};

#define NM	     (sizeof(metrics) / sizeof(metrics[0]))
#define RANGE_MAX    3660 /* days */
#define COUNTIES_MAX 512

enum { M_RECEIVED = 0, M_DISPOSED = 8, M_FILED = 13, M_FILED_SELF = 14 };

struct stats {
	struct ctx *c;
	jd_day from, to, pfrom, pto;
	int compare;
	char **cur, **prev;
	int ncur, nprev;
	json_t *counties; /* codes */
	json_t *orgs;	  /* code -> organization */
	json_t *reads;	  /* per read: {"metric": i} or {"agency": code} */
	int pending, rc;
	long long sum[NM][2];
	long long ag_total, ag_with[2];
};

static void stats_free(struct stats *s)
{
	buckets_free(s->cur, s->ncur);
	buckets_free(s->prev, s->nprev);
	json_decref(s->counties);
	json_decref(s->orgs);
	json_decref(s->reads);
	free(s);
}

static void stats_fail(struct stats *s, int rc)
{
	ctx_fail(s->c, rc);
	stats_free(s);
}

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

	if (r != NULL && s->compare) {
		json_object_set_new(r, "previous", json_integer(prev));
		json_object_set_new(r, "growth_pct", growth(cur, prev));
	}
	json_array_append_new(rows, r);
}

static void share_row(struct stats *s, json_t *rows, const char *figure, long long part[2],
		      long long whole[2])
{
	json_t *r = json_pack("{s:s, s:o}", "figure", figure, "value", pct(part[0], whole[0]));

	if (r != NULL && s->compare) {
		json_object_set_new(r, "previous", pct(part[1], whole[1]));
		json_object_set_new(r, "growth_pct", json_null());
	}
	json_array_append_new(rows, r);
}

static long long sum_of(struct stats *s, const char *const *names, int p)
{
	long long n = 0;

	for (size_t i = 0; i < NM; i++)
		for (const char *const *q = names; *q; q++)
			if (strcmp(metrics[i], *q) == 0)
				n += s->sum[i][p];
	return n;
}

static void metric_row(struct stats *s, json_t *rows, const char *figure, const char *metric)
{
	const char *names[] = {metric, NULL};

	row(s, rows, figure, sum_of(s, names, 0), sum_of(s, names, 1));
}

static json_t *figures(struct stats *s)
{
	static const char *const self_found[] = {"received.self_supervision",
						 "received.self_investigation", NULL};
	static const char *const transferred[] = {"received.inspection_tour", "received.audit",
						  "received.judicial", "received.other_body", NULL};
	json_t *rows = json_array();
	long long filed[2] = {s->sum[M_FILED][0], s->sum[M_FILED][1]};
	long long own[2] = {s->sum[M_FILED_SELF][0], s->sum[M_FILED_SELF][1]};
	long long total[2] = {s->ag_total, s->ag_total};

	metric_row(s, rows, "leads_received", "received");
	row(s, rows, "leads_self_discovered", sum_of(s, self_found, 0), sum_of(s, self_found, 1));
	row(s, rows, "leads_transferred", sum_of(s, transferred, 0), sum_of(s, transferred, 1));
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
	row(s, rows, "agencies_with_cases", s->ag_with[0], s->ag_with[1]);
	row(s, rows, "agencies_total", s->ag_total, s->ag_total);
	share_row(s, rows, "agencies_with_cases_share_pct", s->ag_with, total);
	return rows;
}

static void reply(struct stats *s)
{
	struct ctx *c = s->c;
	char from[11], to[11], pfrom[11], pto[11];
	json_t *o;

	day_format(s->from, from);
	day_format(s->to, to);
	o = json_pack("{s:s, s:s, s:s, s:I, s:o}", "tenant", c->tenant, "from", from, "to", to,
		      "counties", (json_int_t)json_array_size(s->counties), "figures", figures(s));
	if (o != NULL && in_str(c, "unit"))
		json_object_set_new(o, "unit", json_string(in_str(c, "unit")));
	if (o != NULL && in_str(c, "group"))
		json_object_set_new(o, "group", json_string(in_str(c, "group")));
	if (o != NULL && s->compare) {
		day_format(s->pfrom, pfrom);
		day_format(s->pto, pto);
		json_object_set_new(o, "compare", json_string("previous-year"));
		json_object_set_new(o, "previous_from", json_string(pfrom));
		json_object_set_new(o, "previous_to", json_string(pto));
	}
	ctx_reply(c, 200, o);
	s->c = NULL;
	stats_free(s);
}

/* ---- the reads ------------------------------------------------------------------------------ */

static void reads_done(struct batch *b, void *arg)
{
	struct stats *s = arg;

	if (b->rc != JD_OK) {
		int rc = b->rc;

		batch_free(b);
		stats_fail(s, rc);
		return;
	}
	for (size_t i = 0; i < b->n; i++) {
		json_t *d = json_array_get(s->reads, i), *r = json_array_get(b->results, i);
		long long part[2] = {0, 0};

		for (size_t j = 0; j < json_array_size(r); j++) {
			const char *v = json_string_value(json_array_get(r, j));

			part[(int)j < s->ncur ? 0 : 1] += v ? atoll(v) : 0;
		}
		if (json_object_get(d, "agency") != NULL) {
			s->ag_with[0] += part[0] > 0;
			s->ag_with[1] += part[1] > 0;
		} else {
			json_int_t m = json_integer_value(json_object_get(d, "metric"));

			s->sum[m][0] += part[0];
			s->sum[m][1] += part[1];
		}
	}
	batch_free(b);
	reply(s);
}

/* HMGET hash metric|<current buckets> metric|<previous buckets> */
static void read_metric(struct stats *s, struct batch *b, size_t slot, const char *tenant,
			const char *hash, const char *metric)
{
	int n = 2 + s->ncur + s->nprev;
	const char **argv = calloc((size_t)n, sizeof(*argv));
	char **fields = calloc((size_t)n, sizeof(*fields));

	if (argv == NULL || fields == NULL) {
		b->rc = JD_E_NOMEM;
		goto done;
	}
	argv[0] = "HMGET";
	argv[1] = hash;
	for (int i = 0; i < s->ncur + s->nprev; i++) {
		const char *bk = i < s->ncur ? s->cur[i] : s->prev[i - s->ncur];

		if (asprintf(&fields[i], "%s|%s", metric, bk) < 0) {
			fields[i] = NULL;
			b->rc = JD_E_NOMEM;
			goto done;
		}
		argv[2 + i] = fields[i];
	}
	batch_read(b, slot, tenant, n, argv);
done:
	for (int i = 0; fields != NULL && i < n; i++)
		free(fields[i]);
	free(fields);
	free(argv);
}

/* The counter hashes of one county for the filter; -1 with err when the filter is wrong. */
static json_t *county_hashes(struct stats *s, json_t *org, char *err, size_t len)
{
	const char *unit = in_str(s->c, "unit"), *group = in_str(s->c, "group");
	json_t *h = json_array();
	char units[1024], key[96];

	if (h == NULL)
		return NULL;
	if (unit != NULL) {
		if (org_unit(org, unit) == NULL) {
			snprintf(err, len, "field 'unit': no unit '%.64s' in tenant %s", unit,
				 s->c->tenant);
			json_decref(h);
			return NULL;
		}
		snprintf(key, sizeof(key), CNT_UNIT "%s", unit);
		json_array_append_new(h, json_string(key));
	} else if (group != NULL) {
		if (org_group_units(org, group, units, sizeof(units)) != 0) {
			snprintf(err, len, "field 'group': no group '%.64s' in tenant %s", group,
				 s->c->tenant);
			json_decref(h);
			return NULL;
		}
		for (const char *p = units; *p;) {
			const char *end = strchr(p, ',');

			snprintf(key, sizeof(key), CNT_UNIT "%.*s",
				 (int)(end ? end - p : (long)strlen(p)), p);
			json_array_append_new(h, json_string(key));
			p = end ? end + 1 : p + strlen(p);
		}
	} else {
		json_array_append_new(h, json_string(CNT_TENANT));
	}
	return h;
}

static void start_reads(struct stats *s)
{
	json_t *plan = json_array(); /* [tenant, hash, metric|agency] per read */
	const char *code;
	json_t *org;
	char err[200], units[1024];
	struct batch *b;

	json_object_foreach(s->orgs, code, org)
	{
		const char *group = in_str(s->c, "group"), *unit = in_str(s->c, "unit");
		json_t *hashes = county_hashes(s, org, err, sizeof(err)), *ag, *h;
		size_t i;

		if (hashes == NULL) {
			json_decref(plan);
			ctx_invalid(s->c, "%s", err);
			s->c = NULL;
			stats_free(s);
			return;
		}
		if (group != NULL && org_group_units(org, group, units, sizeof(units)) != 0)
			units[0] = '\0';
		ag = org_agencies(org, unit ? unit : group ? units : NULL);
		json_array_foreach(hashes, i, h) for (size_t m = 0; m < NM; m++)
		    json_array_append_new(plan, json_pack("[s, O, I]", code, h, (json_int_t)m));
		json_array_foreach(ag, i, h)
		{
			char key[96];

			snprintf(key, sizeof(key), CNT_UNIT "%s", json_string_value(h));
			json_array_append_new(
			    plan, json_pack("[s, s, s]", code, key, json_string_value(h)));
		}
		s->ag_total += (long long)json_array_size(ag);
		json_decref(ag);
		json_decref(hashes);
	}
	s->reads = json_array();
	b = batch_new(json_array_size(plan), reads_done, s);
	if (b == NULL || s->reads == NULL) {
		json_decref(plan);
		batch_free(b);
		stats_fail(s, JD_E_NOMEM);
		return;
	}
	for (size_t i = 0; i < json_array_size(plan); i++) {
		json_t *p = json_array_get(plan, i), *what = json_array_get(p, 2);
		const char *t = json_string_value(json_array_get(p, 0));
		const char *hash = json_string_value(json_array_get(p, 1));

		if (json_is_integer(what)) {
			json_array_append_new(s->reads, json_pack("{s:O}", "metric", what));
			read_metric(s, b, i, t, hash, metrics[json_integer_value(what)]);
		} else {
			json_array_append_new(s->reads, json_pack("{s:O}", "agency", what));
			read_metric(s, b, i, t, hash, "filed");
		}
	}
	json_decref(plan);
	batch_go(b);
}

/* ---- the counties and their organizations -------------------------------------------------------
 */

struct org_wait {
	struct stats *s;
	char code[65];
};

/* One county's organization is in (or the last request went out): after the last, go on. */
static void orgs_settle(struct stats *s)
{
	if (--s->pending > 0)
		return;
	if (s->rc != JD_OK)
		stats_fail(s, s->rc);
	else
		start_reads(s);
}

static void on_county_org(int rc, json_t *org, void *arg)
{
	struct org_wait *w = arg;
	struct stats *s = w->s;

	if (rc == JD_OK)
		json_object_set_new(s->orgs, w->code, org);
	else if (s->rc == JD_OK)
		s->rc = rc;
	free(w);
	orgs_settle(s);
}

static void read_orgs(struct stats *s)
{
	size_t i;
	json_t *code;

	s->orgs = json_object();
	s->pending = 1;
	json_array_foreach(s->counties, i, code)
	{
		struct org_wait *w = calloc(1, sizeof(*w));

		if (w == NULL || s->orgs == NULL) {
			free(w);
			s->rc = JD_E_NOMEM;
			break;
		}
		w->s = s;
		snprintf(w->code, sizeof(w->code), "%s", json_string_value(code));
		if (org_get(w->code, on_county_org, w) != JD_OK) {
			free(w);
			s->rc = JD_ERR;
			break;
		}
		s->pending++;
	}
	orgs_settle(s);
}

static void on_tree(int rc, json_t *tree, void *arg)
{
	struct stats *s = arg;
	json_t *counties = json_object_get(tree, "counties");
	const char *level = json_string_value(json_object_get(tree, "level"));

	if (rc == JD_E_NOTFOUND) {
		ctx_invalid(s->c, "field 'tenant': no tenant %s in the organization", s->c->tenant);
		s->c = NULL;
		stats_free(s);
		return;
	}
	if (rc != JD_OK || !json_is_array(counties)) {
		stats_fail(s, rc != JD_OK ? rc : JD_ERR);
		return;
	}
	if ((in_str(s->c, "unit") || in_str(s->c, "group")) && level != NULL &&
	    strcmp(level, "county") != 0) {
		ctx_invalid(s->c, "fields 'unit' and 'group' filter a county's figures; %s is a %s",
			    s->c->tenant, level);
		s->c = NULL;
		stats_free(s);
		return;
	}
	if (json_array_size(counties) > COUNTIES_MAX) {
		ctx_invalid(s->c, "tenant %s rolls up more than %d counties", s->c->tenant,
			    COUNTIES_MAX);
		s->c = NULL;
		stats_free(s);
		return;
	}
	s->counties = json_incref(counties);
	read_orgs(s);
}

/* ---- GET /v1/cases/stats ------------------------------------------------------------------------
 */

static int stats_input(struct stats *s)
{
	struct ctx *c = s->c;
	const char *compare = in_str(c, "compare");

	if (ctx_tenant_check(c) != 0)
		return -1;
	if (day_parse(in_str(c, "from"), &s->from) != 0 || day_parse(in_str(c, "to"), &s->to)) {
		ctx_invalid(c, "fields 'from' and 'to' must be dates YYYY-MM-DD");
		return -1;
	}
	if (s->to < s->from || s->to - s->from >= RANGE_MAX) {
		ctx_invalid(c, "field 'to' must be on or after 'from', within %d days", RANGE_MAX);
		return -1;
	}
	if (compare != NULL && strcmp(compare, "previous-year") != 0 &&
	    strcmp(compare, "none") != 0) {
		ctx_invalid(c, "field 'compare': 'previous-year' or 'none'");
		return -1;
	}
	if (in_str(c, "unit") && in_str(c, "group")) {
		ctx_invalid(c, "give field 'unit' or field 'group', not both");
		return -1;
	}
	if (!ids_valid(in_str(c, "unit"), 0) || !ids_valid(in_str(c, "group"), 0)) {
		ctx_invalid(c, "fields 'unit' and 'group' take codes of [A-Za-z0-9._-]");
		return -1;
	}
	s->compare = compare != NULL && strcmp(compare, "previous-year") == 0;
	s->pfrom = day_year_before(s->from);
	s->pto = day_year_before(s->to);
	s->ncur = buckets_plan(s->from, s->to, &s->cur);
	s->nprev = s->compare ? buckets_plan(s->pfrom, s->pto, &s->prev) : 0;
	if (s->ncur < 0 || s->nprev < 0) {
		ctx_fail(c, JD_E_NOMEM);
		return -1;
	}
	return 0;
}

/*
 * Figures are counts, never records.  A tenant's totals: whoever the role
 * matrix lets ask (cases.stats) and who belongs to the tenant, a viewer
 * too.  One unit's or group's figures say more (a case in a small unit),
 * so they follow the record scope: leaders, and staff whose scope holds
 * the unit or group.  Both decisions are the core's.
 */
static int figures_visible(jd_req *req, struct ctx *c)
{
	const char *unit = in_str(c, "unit"), *group = in_str(c, "group");
	int filtered = (unit != NULL && *unit != '\0') || (group != NULL && *group != '\0');

	if (!filtered && host->tenant_readable != NULL &&
	    host->tenant_readable(req, c->tenant, NULL))
		return 1;
	return scope_visible(req, NULL, c->tenant, unit ? unit : "", group ? group : "", "");
}

void stats_get(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, KIND_LEAD, host->req_param(req, "tenant"), "");
	struct stats *s = c ? calloc(1, sizeof(*s)) : NULL;
	int rc;

	(void)arg;
	if (s == NULL) {
		ctx_free(c);
		host->reply_rc(req, JD_E_NOMEM, "stats");
		return;
	}
	s->c = c;
	if (stats_input(s) != 0) {
		s->c = NULL;
		stats_free(s);
		return;
	}
	if (!figures_visible(req, c)) {
		host->reply_error(
		    req, 403, "forbidden",
		    "the figures of tenant %s are for its own people (and those of the "
		    "tenants above it), and for staff of the unit or group asked "
		    "(--unit, --group)",
		    c->tenant);
		ctx_free(c);
		s->c = NULL;
		stats_free(s);
		return;
	}
	if (host->org_tenants == NULL) {
		s->counties = json_pack("[s]", c->tenant);
		read_orgs(s);
		return;
	}
	rc = host->org_tenants(self, c->tenant, on_tree, s);
	if (rc != JD_OK)
		stats_fail(s, rc);
}
