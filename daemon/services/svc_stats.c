/* The statistics query (svc_stats.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "org/org_snapshot.h"
#include "org/org_tree.h"
#include "security/auth.h"
#include "services/svc_counters.h"
#include "services/svc_dates.h"
#include "services/svc_stats.h"
#include "storage/store.h"
#include "transport/request.h"
#include "transport/server.h"

#define RANGE_MAX    3660 /* days */
#define COUNTIES_MAX 512

struct stats {
	struct jd_server *srv;
	const struct jd_counters *cnt;
	size_t nm; /* metrics */
	char tenant[65];
	char *unit, *group, *agencies_with;
	jd_day from, to, pfrom, pto;
	int compare;
	char **cur, **prev;
	int ncur, nprev;
	json_t *counties; /* codes */
	json_t *orgs;	  /* code -> organization */
	int pending, rc;
	char message[256];
	long long (*sum)[2];
	long long ag_total, ag_with[2];
	jd_stats_cb cb;
	void *arg;
};

/* One read's destination: a metric's sums, or (metric < 0) an agency's. */
struct slot {
	struct stats *s;
	long metric;
};

static void stats_free(struct stats *s)
{
	jd_buckets_free(s->cur, s->ncur);
	jd_buckets_free(s->prev, s->nprev);
	json_decref(s->counties);
	json_decref(s->orgs);
	free(s->unit);
	free(s->group);
	free(s->agencies_with);
	free(s->sum);
	free(s);
}

/* Answers the plugin once and frees s. */
static void finish(struct stats *s, int rc)
{
	struct jd_stats_result r = {
	    .counties = json_array_size(s->counties),
	    .from = s->from,
	    .to = s->to,
	    .prev_from = s->pfrom,
	    .prev_to = s->pto,
	    .compare = s->compare,
	    .sum = (const long long(*)[2])s->sum,
	    .agencies_total = s->ag_total,
	    .agencies_with = {s->ag_with[0], s->ag_with[1]},
	};

	if (rc == JD_E_INVALID)
		s->cb(rc, NULL, s->message, s->arg);
	else
		s->cb(rc, rc == JD_OK ? &r : NULL, NULL, s->arg);
	stats_free(s);
}

__attribute__((format(printf, 2, 3))) static void invalid(struct stats *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->message, sizeof(s->message), fmt, ap);
	va_end(ap);
	finish(s, JD_E_INVALID);
}

/* ---- the reads ------------------------------------------------------------------------------ */

static void read_settle(struct stats *s)
{
	if (--s->pending == 0)
		finish(s, s->rc);
}

static void on_read(int rc, json_t *r, void *arg)
{
	struct slot *sl = arg;
	struct stats *s = sl->s;
	long long part[2] = {0, 0};

	if (rc != JD_OK && s->rc == JD_OK)
		s->rc = rc;
	for (size_t j = 0; rc == JD_OK && j < json_array_size(r); j++) {
		const char *v = json_string_value(json_array_get(r, j));

		part[(int)j < s->ncur ? 0 : 1] += v ? atoll(v) : 0;
	}
	if (sl->metric < 0) {
		s->ag_with[0] += part[0] > 0;
		s->ag_with[1] += part[1] > 0;
	} else {
		s->sum[sl->metric][0] += part[0];
		s->sum[sl->metric][1] += part[1];
	}
	free(sl);
	read_settle(s);
}

/* HMGET hash metric|<current buckets> metric|<previous buckets>; JD_OK or why not queued */
static int read_metric(struct stats *s, const char *tenant, const char *hash, const char *metric,
		       long slot_metric)
{
	int n = 2 + s->ncur + s->nprev, rc = JD_E_NOMEM;
	const char **argv = calloc((size_t)n, sizeof(*argv));
	char **fields = calloc((size_t)n, sizeof(*fields));
	struct slot *sl = malloc(sizeof(*sl));

	if (argv == NULL || fields == NULL || sl == NULL)
		goto done;
	argv[0] = "HMGET";
	argv[1] = hash;
	for (int i = 0; i < s->ncur + s->nprev; i++) {
		const char *bk = i < s->ncur ? s->cur[i] : s->prev[i - s->ncur];

		if (asprintf(&fields[i], "%s|%s", metric, bk) < 0) {
			fields[i] = NULL;
			goto done;
		}
		argv[2 + i] = fields[i];
	}
	*sl = (struct slot){s, slot_metric};
	rc = jd_store_read(s->srv->store, tenant, n, argv, on_read, sl);
	if (rc == JD_OK) {
		sl = NULL;
		s->pending++;
	}
done:
	for (int i = 0; fields != NULL && i < n; i++)
		free(fields[i]);
	free(fields);
	free(argv);
	free(sl);
	return rc;
}

/* The units of the filter, as a csv ("" for the unit's own), or NULL when no such group. */
static const char *filter_units(struct stats *s, json_t *org)
{
	json_t *g;

	if (s->unit != NULL)
		return s->unit;
	if (s->group == NULL)
		return NULL;
	g = json_object_get(json_object_get(org, "groups"), s->group);
	return g ? jd_snap_str(g, "units") : NULL;
}

/* 0 when every county has the filter's unit or group; otherwise answers 400 and frees s. */
static int filter_check(struct stats *s)
{
	const char *code;
	json_t *org;

	json_object_foreach(s->orgs, code, org)
	{
		if (s->unit != NULL &&
		    json_object_get(json_object_get(org, "units"), s->unit) == NULL) {
			invalid(s, "field 'unit': no unit '%.64s' in tenant %s", s->unit,
				s->tenant);
			return -1;
		}
		if (s->group != NULL && filter_units(s, org) == NULL) {
			invalid(s, "field 'group': no group '%.64s' in tenant %s", s->group,
				s->tenant);
			return -1;
		}
	}
	return 0;
}

/* The counter hashes of one county for the (checked) filter, into hashes. */
static void county_hashes(struct stats *s, json_t *org, json_t *hashes)
{
	const char *units = filter_units(s, org);
	char key[128];

	if (units == NULL) {
		jd_counter_key_tenant(s->cnt, key, sizeof(key));
		json_array_append_new(hashes, json_string(key));
		return;
	}
	for (const char *p = units; *p;) {
		const char *end = strchr(p, ',');
		char unit[65];

		snprintf(unit, sizeof(unit), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		jd_counter_key_unit(s->cnt, unit, key, sizeof(key));
		json_array_append_new(hashes, json_string(key));
		p = end ? end + 1 : p + strlen(p);
	}
}

/* Queues the agency reads of one county (active agencies of the filter). */
static int read_agencies(struct stats *s, const char *county, json_t *org)
{
	const char *units = filter_units(s, org), *code;
	json_t *u;
	char key[128];
	int rc = JD_OK;

	json_object_foreach(json_object_get(org, "units"), code, u)
	{
		const char *status = jd_snap_str(u, "status");

		if (strcmp(jd_snap_str(u, "kind"), "agency") != 0 ||
		    (status[0] != '\0' && strcmp(status, "active") != 0) ||
		    (units != NULL && !jd_csv_has(units, code, strlen(code))))
			continue;
		s->ag_total++;
		jd_counter_key_unit(s->cnt, code, key, sizeof(key));
		if (rc == JD_OK)
			rc = read_metric(s, county, key, s->agencies_with, -1);
	}
	return rc;
}

/* Queues one county's reads; JD_OK or why not. */
static int read_county(struct stats *s, const char *county, json_t *org)
{
	json_t *hashes = json_array(), *h;
	size_t i;
	int rc = JD_OK;

	if (hashes == NULL)
		return JD_E_NOMEM;
	county_hashes(s, org, hashes);
	json_array_foreach(hashes, i, h) for (size_t m = 0; rc == JD_OK && m < s->nm; m++) rc =
	    read_metric(s, county, json_string_value(h), s->cnt->metrics[m], (long)m);
	json_decref(hashes);
	if (rc == JD_OK && s->agencies_with != NULL)
		rc = read_agencies(s, county, org);
	return rc;
}

static void start_reads(struct stats *s)
{
	const char *code;
	json_t *org;
	int rc = JD_OK;

	if (filter_check(s) != 0)
		return;
	s->pending = 1; /* this function's own */
	json_object_foreach(s->orgs, code, org)
	{
		rc = read_county(s, code, org);
		if (rc != JD_OK)
			break;
	}
	if (rc != JD_OK && s->rc == JD_OK)
		s->rc = rc;
	read_settle(s);
}

/* ---- the counties and their organizations ---------------------------------------------------- */

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
		finish(s, s->rc);
	else
		start_reads(s);
}

static void on_county_org(int rc, json_t *org, void *arg)
{
	struct org_wait *w = arg;
	struct stats *s = w->s;

	if (rc == JD_OK)
		json_object_set(s->orgs, w->code, org);
	else if (s->rc == JD_OK)
		s->rc = rc;
	free(w);
	orgs_settle(s);
}

static void read_orgs(struct stats *s)
{
	size_t i;
	json_t *code;

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
		if (jd_org_snapshot_read(s->srv, w->code, 0, on_county_org, w) != JD_OK) {
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
		invalid(s, "field 'tenant': no tenant %s in the organization", s->tenant);
		return;
	}
	if (rc != JD_OK || !json_is_array(counties)) {
		finish(s, rc != JD_OK ? rc : JD_ERR);
		return;
	}
	if ((s->unit || s->group) && level != NULL && strcmp(level, "county") != 0) {
		invalid(s, "fields 'unit' and 'group' filter a county's figures; %s is a %s",
			s->tenant, level);
		return;
	}
	if (json_array_size(counties) > COUNTIES_MAX) {
		invalid(s, "tenant %s rolls up more than %d counties", s->tenant, COUNTIES_MAX);
		return;
	}
	s->counties = json_incref(counties);
	read_orgs(s);
}

/* ---- the query --------------------------------------------------------------------------------
 */

/* [A-Za-z0-9._-]*; NULL is valid */
static int code_valid(const char *s)
{
	for (; s != NULL && *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* JD_OK, or JD_E_INVALID with err naming the field. */
static int query_check(const struct jd_stats_query *q, jd_day *from, jd_day *to, char *err,
		       size_t len)
{
	const char *msg = NULL;

	if (!jd_store_tenant_valid(q->tenant))
		msg = "field 'tenant': a tenant code is 1 to 64 characters of [A-Za-z0-9_-]";
	else if (jd_day_parse(q->from, from) != JD_OK || jd_day_parse(q->to, to) != JD_OK)
		msg = "fields 'from' and 'to' must be dates YYYY-MM-DD";
	else if (*to < *from || *to - *from >= RANGE_MAX) {
		snprintf(err, len, "field 'to' must be on or after 'from', within %d days",
			 RANGE_MAX);
		return JD_E_INVALID;
	} else if (q->compare != NULL && strcmp(q->compare, "previous-year") != 0 &&
		   strcmp(q->compare, "none") != 0)
		msg = "field 'compare': 'previous-year' or 'none'";
	else if (q->unit && q->group)
		msg = "give field 'unit' or field 'group', not both";
	else if (!code_valid(q->unit) || !code_valid(q->group))
		msg = "fields 'unit' and 'group' take codes of [A-Za-z0-9._-]";
	else if (q->counters == NULL || q->counters->prefix == NULL || q->counters->metrics == NULL)
		msg = "the plugin declared no counters";
	if (msg == NULL)
		return JD_OK;
	snprintf(err, len, "%s", msg);
	return JD_E_INVALID;
}

/* A tenant the report route (daemon/report/) has let the caller read. */
static int in_report_scope(const jd_req *req, const char *tenant)
{
	for (size_t i = 0; i < json_array_size(req->report_scope); i++)
		if (strcmp(json_string_value(json_array_get(req->report_scope, i)), tenant) == 0)
			return 1;
	return 0;
}

/*
 * Figures are counts, never records.  A tenant's totals: whoever the
 * route's permission lets ask and who belongs to the tenant (or one above
 * it).  One unit's or group's figures say more (a case in a small unit),
 * so they follow the record scope.
 */
static int figures_visible(const struct jd_stats_query *q)
{
	const char *unit = q->unit ? q->unit : "", *group = q->group ? q->group : "";
	const struct jd_record_scope scope = {
	    .tenant = q->tenant, .unit = unit, .groups = group, .deny = ""};

	if (q->req == NULL)
		return 0;
	if (unit[0] == '\0' && group[0] == '\0' &&
	    (jd_auth_tenant_readable(&q->req->principal, q->tenant, NULL) ||
	     in_report_scope(q->req, q->tenant)))
		return 1;
	return jd_auth_record_visible(&q->req->principal, &scope);
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d = s ? strdup(s) : NULL;

	*oom |= s != NULL && d == NULL;
	return d;
}

static struct stats *stats_new(struct jd_server *srv, const struct jd_stats_query *q)
{
	struct stats *s = calloc(1, sizeof(*s));
	int oom = 0;

	if (s == NULL)
		return NULL;
	s->srv = srv;
	s->cnt = q->counters;
	while (q->counters->metrics[s->nm] != NULL)
		s->nm++;
	snprintf(s->tenant, sizeof(s->tenant), "%s", q->tenant);
	s->unit = dup_or_null(q->unit, &oom);
	s->group = dup_or_null(q->group, &oom);
	s->agencies_with = dup_or_null(q->agencies_with, &oom);
	s->sum = calloc(s->nm ? s->nm : 1, sizeof(*s->sum));
	s->orgs = json_object();
	if (oom || s->sum == NULL || s->orgs == NULL) {
		stats_free(s);
		return NULL;
	}
	return s;
}

int jd_stats_query(struct jd_server *srv, const struct jd_stats_query *q, jd_stats_cb cb, void *arg,
		   char *err, size_t errlen)
{
	jd_day from, to;
	struct stats *s;
	int rc;

	if (q == NULL || cb == NULL)
		return JD_E_INVALID;
	if ((rc = query_check(q, &from, &to, err, errlen)) != JD_OK)
		return rc;
	if (!figures_visible(q)) {
		snprintf(err, errlen,
			 "the figures of tenant %s are for its own people (and those of the "
			 "tenants above it), and for staff of the unit or group asked "
			 "(--unit, --group)",
			 q->tenant);
		return JD_E_FORBIDDEN;
	}
	if (srv->store == NULL)
		return JD_E_UNAVAILABLE;
	if ((s = stats_new(srv, q)) == NULL)
		return JD_E_NOMEM;
	s->cb = cb;
	s->arg = arg;
	s->from = from;
	s->to = to;
	s->compare = q->compare != NULL && strcmp(q->compare, "previous-year") == 0;
	s->pfrom = jd_day_year_before(from);
	s->pto = jd_day_year_before(to);
	s->ncur = jd_buckets_plan(from, to, &s->cur);
	s->nprev = s->compare ? jd_buckets_plan(s->pfrom, s->pto, &s->prev) : 0;
	if (s->ncur < 0 || s->nprev < 0 ||
	    (rc = jd_org_tree_read(srv, s->tenant, on_tree, s)) != JD_OK) {
		stats_free(s);
		return rc != JD_OK ? rc : JD_E_NOMEM;
	}
	return JD_OK;
}
