/*
 * GET /v1/org/report?tenant=T (org_report.h): the tenant tree says which
 * counties T rolls up; their snapshots are read at most
 * JD_ORG_REPORT_IN_FLIGHT at a time, each reduced to its figures as it
 * arrives (a province's snapshots are never all held at once), then the
 * report is built and sent.
 */
#include "org/org_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "runtime/log.h"
#include "runtime/worker.h"
#include "org/org_history.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "org/org_tree.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"

/* A report being gathered: the counties' figures, read a bounded number at a time. */
struct gather {
	struct jd_server *srv;
	json_t *scope;	  /* {"code", "name", "level"} */
	json_t *counties; /* the codes, sorted */
	json_t **figures; /* per county; NULL: gone since the tree was read */
	json_t *months;	  /* NULL, or the months ("YYYY-MM") asked as of (org_history.h) */
	json_t **dated;	  /* with months, per county: {month: entry, or null: no history} */
	char **first;	  /* with months, per county: the first month of its history, or NULL */
	int per_county;	  /* with months: each county's sums too ("county_dated") */
	size_t n, next, in_flight;
	int rc; /* the first failure: no more reads are sent */
	jd_org_report_cb cb;
	void *arg;
};

/* What one snapshot read needs to find its slot. */
struct slot {
	struct gather *g;
	size_t i;
};

static void gather_free(struct gather *g)
{
	for (size_t i = 0; g->figures != NULL && i < g->n; i++)
		json_decref(g->figures[i]);
	for (size_t i = 0; g->dated != NULL && i < g->n; i++)
		json_decref(g->dated[i]);
	for (size_t i = 0; g->first != NULL && i < g->n; i++)
		free(g->first[i]);
	free(g->figures);
	free(g->dated);
	free(g->first);
	json_decref(g->months);
	json_decref(g->scope);
	json_decref(g->counties);
	free(g);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* ---- the report, once every county is read ----------------------------------------------- */

/* The counties' entries as of month summed, or null when one has no history reaching back. */
static json_t *dated_sum(struct gather *g, const char *month)
{
	const json_t **e = calloc(g->n ? g->n : 1, sizeof(*e));
	size_t k = 0;
	json_t *out;

	if (e == NULL)
		return NULL;
	for (size_t i = 0; i < g->n; i++) {
		const json_t *x;

		if (g->figures[i] == NULL)
			continue;
		if (!json_is_object(x = json_object_get(g->dated[i], month))) {
			free(e);
			return json_null();
		}
		e[k++] = x;
	}
	out = jd_org_history_sum(e, k);
	free(e);
	return out;
}

/* The latest of the counties' first months: the history reaches back to it for all. */
static json_t *history_from(struct gather *g)
{
	const char *from = NULL;

	for (size_t i = 0; i < g->n; i++) {
		if (g->figures[i] == NULL)
			continue;
		if (g->first[i] == NULL)
			return json_null();
		if (from == NULL || strcmp(g->first[i], from) > 0)
			from = g->first[i];
	}
	return from ? json_string(from) : json_null();
}

/* "county_dated": {county: {month: its sums or null}}. */
static int add_county_dated(struct gather *g, json_t *report)
{
	json_t *all = json_object();

	if (all == NULL || json_object_set_new(report, "county_dated", all) != 0)
		return -1;
	for (size_t i = 0; i < g->n; i++) {
		json_t *mine = json_object();
		const char *month;
		json_t *e;

		if (g->figures[i] == NULL) {
			json_decref(mine);
			continue;
		}
		if (mine == NULL ||
		    json_object_set_new(all, json_string_value(json_array_get(g->counties, i)),
					mine) != 0)
			return -1;
		json_object_foreach(g->dated[i], month, e)
		{
			const json_t *one = e;

			if (json_object_set_new(mine, month,
						json_is_object(e) ? jd_org_history_sum(&one, 1)
								  : json_null()) != 0)
				return -1;
		}
	}
	return 0;
}

/* With months: "dated" {month: the sums or null} and "history_from". */
static int add_dated(struct gather *g, json_t *report)
{
	json_t *dated = json_object();
	size_t i;
	json_t *m;

	if (dated == NULL || json_object_set_new(report, "dated", dated) != 0 ||
	    json_object_set_new(report, "history_from", history_from(g)) != 0)
		return -1;
	json_array_foreach(g->months, i, m)
	{
		if (json_object_set_new(dated, json_string_value(m),
					dated_sum(g, json_string_value(m))) != 0)
			return -1;
	}
	return g->per_county ? add_county_dated(g, report) : 0;
}

static void finish(struct gather *g)
{
	json_t *figures = json_array(), *report = NULL;

	for (size_t i = 0; g->rc == JD_OK && figures != NULL && i < g->n; i++)
		if (g->figures[i] != NULL && json_array_append(figures, g->figures[i]) != 0) {
			json_decref(figures);
			figures = NULL;
		}
	if (g->rc == JD_OK && figures != NULL)
		report = jd_org_report_build(g->scope, figures);
	json_decref(figures);
	if (g->rc == JD_OK && report != NULL && g->months != NULL && add_dated(g, report) != 0) {
		json_decref(report);
		report = NULL;
	}
	if (g->rc == JD_OK && report == NULL)
		g->rc = JD_E_NOMEM;
	g->cb(g->rc, report, g->arg);
	json_decref(report);
	gather_free(g);
}

/* ---- the counties' snapshots, a bounded number at a time ----------------------------------- */

static void on_snapshot(int rc, json_t *snap, void *arg);

/*
 * Sends reads while fewer than the bound are in flight; once none is
 * left in flight, answers: the report, or the first failure.
 */
static void pump(struct gather *g)
{
	while (g->rc == JD_OK && g->in_flight < JD_ORG_REPORT_IN_FLIGHT && g->next < g->n) {
		struct slot *s = malloc(sizeof(*s));
		int rc = JD_E_NOMEM;

		if (s != NULL) {
			*s = (struct slot){g, g->next};
			rc = jd_org_snapshot_read(
			    g->srv, json_string_value(json_array_get(g->counties, g->next)),
			    JD_SNAP_HISTORY, on_snapshot, s);
		}
		if (rc != JD_OK) {
			free(s);
			g->rc = rc;
			break;
		}
		g->next++;
		g->in_flight++;
	}
	if (g->in_flight == 0)
		finish(g);
}

/*
 * A county's figures are worked out on a worker thread (runtime/worker.h):
 * for thousands of people they held the loop for tens of milliseconds in
 * one piece.  The job keeps its own reference to the snapshot and counts
 * as in flight until its figures are in.
 */
struct county_job {
	struct slot *s;
	json_t *snap;
	char code[16];
	json_t *figures;
};

static void county_work(void *arg)
{
	struct county_job *j = arg;

	j->figures = jd_org_report_county(j->code, NULL, j->snap);
}

static int date_county(struct gather *g, size_t i, const json_t *snap);

static void county_in(struct gather *g, size_t i, json_t *figures, const json_t *snap)
{
	if (g->rc != JD_OK) {
		json_decref(figures);
		return;
	}
	g->figures[i] = figures;
	if (figures == NULL || date_county(g, i, snap) != 0)
		g->rc = JD_E_NOMEM;
}

static void county_done(void *arg)
{
	struct county_job *j = arg;
	struct gather *g = j->s->g;

	g->in_flight--;
	county_in(g, j->s->i, j->figures, j->snap);
	json_decref(j->snap);
	free(j->s);
	free(j);
	pump(g);
}

/* 1 when a job now works out the county's figures (and answers in county_done). */
static int county_start(struct slot *s, const char *code, json_t *snap)
{
	struct county_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return 0;
	j->s = s;
	j->snap = json_incref(snap);
	snprintf(j->code, sizeof(j->code), "%s", or_empty(code));
	if (jd_worker_run(s->g->srv->base, county_work, county_done, j) != JD_OK) {
		json_decref(j->snap);
		free(j);
		return 0;
	}
	return 1;
}

/*
 * Keeps this month's entry of the county (org_history.h) and, with months,
 * picks its entry as of each: today's figures for this month and later.
 */
static int date_county(struct gather *g, size_t i, const json_t *snap)
{
	const json_t *hist = json_object_get(snap, "history");
	json_t *live = jd_org_history_entry(g->figures[i], jd_snap_int(snap, "rev"));
	const char *first = NULL;
	char now[8];
	size_t k;
	json_t *m;
	int rc = -1;

	if (live == NULL)
		return -1;
	jd_org_history_keep(g->srv, json_string_value(json_array_get(g->counties, i)), hist, live);
	jd_org_history_month(now);
	if (g->months == NULL) {
		json_decref(live);
		return 0;
	}
	if ((g->dated[i] = json_object()) == NULL)
		goto done;
	json_array_foreach(g->months, k, m)
	{
		const char *month = json_string_value(m);
		const json_t *e =
		    strcmp(month, now) >= 0 ? live : jd_org_history_at(hist, month, NULL);

		if (json_object_set_new(g->dated[i], month, e ? json_deep_copy(e) : json_null()) !=
		    0)
			goto done;
	}
	/* the history reaches back to its first entry; today's figures are history too */
	jd_org_history_at(hist, now, &first);
	if ((g->first[i] = strdup(first != NULL && strcmp(first, now) < 0 ? first : now)) == NULL)
		goto done;
	rc = 0;
done:
	json_decref(live);
	return rc;
}

static void on_snapshot(int rc, json_t *snap, void *arg)
{
	struct slot *s = arg;
	struct gather *g = s->g;
	const char *code = json_string_value(json_array_get(g->counties, s->i));

	/* a county retired or re-levelled since the tree was read is left out, not an error */
	if (rc == JD_OK && g->rc == JD_OK) {
		if (county_start(s, code, snap))
			return;
		county_in(g, s->i, jd_org_report_county(code, NULL, snap),
			  snap); /* no thread: here */
	} else if (rc != JD_OK && rc != JD_E_NOTFOUND && rc != JD_E_INVALID && g->rc == JD_OK) {
		jd_warn("org report: a county's snapshot failed", "tenant=%s rc=%d", or_empty(code),
			rc);
		g->rc = rc;
	}
	g->in_flight--;
	free(s);
	pump(g);
}

int jd_org_report_gather(struct jd_server *srv, const json_t *tree, jd_org_report_cb cb, void *arg)
{
	return jd_org_report_gather_dated(srv, tree, NULL, 0, cb, arg);
}

int jd_org_report_gather_dated(struct jd_server *srv, const json_t *tree, const json_t *months,
			       int per_county, jd_org_report_cb cb, void *arg)
{
	const json_t *counties = json_object_get(tree, "counties");
	struct gather *g;

	if (!json_is_array(counties))
		return JD_ERR;
	if (json_array_size(counties) > JD_ORG_REPORT_COUNTIES_MAX)
		return JD_E_INVALID;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return JD_E_NOMEM;
	*g = (struct gather){.srv = srv, .cb = cb, .arg = arg, .n = json_array_size(counties)};
	g->scope = json_pack("{s:s?, s:s?, s:s?}", "code",
			     json_string_value(json_object_get(tree, "code")), "name",
			     json_string_value(json_object_get(tree, "name")), "level",
			     json_string_value(json_object_get(tree, "level")));
	g->counties = json_incref((json_t *)counties);
	g->figures = calloc(g->n ? g->n : 1, sizeof(*g->figures));
	g->months = months ? json_incref((json_t *)months) : NULL;
	g->per_county = per_county;
	g->dated = calloc(g->n ? g->n : 1, sizeof(*g->dated));
	g->first = calloc(g->n ? g->n : 1, sizeof(*g->first));
	if (g->scope == NULL || g->figures == NULL || g->dated == NULL || g->first == NULL) {
		gather_free(g);
		return JD_E_NOMEM;
	}
	pump(g);
	return JD_OK;
}

/* ---- who may read it ---------------------------------------------------------------------- */

/*
 * The decision is auth.c's (jd_auth_tenant_readable), as for every route:
 * one rule, who reads a tenant reads every tenant beneath it.  Answered
 * through cb so that a caller need not know it takes no read.
 */
int jd_org_report_may_read(jd_req *req, const json_t *tree, jd_org_may_read_cb cb, void *arg)
{
	const char *code = or_empty(json_string_value(json_object_get(tree, "code")));
	const char *parent = or_empty(json_string_value(json_object_get(tree, "parent")));

	cb(JD_OK, jd_auth_tenant_readable(&req->principal, code, parent), arg);
	return JD_OK;
}

/* ---- the request ---------------------------------------------------------------------------- */

struct report_ctx {
	jd_req *req;
	char code[8];
	json_t *tree;
};

static void ctx_dtor(void *ptr)
{
	struct report_ctx *r = ptr;

	json_decref(r->tree);
}

static void on_report(int rc, json_t *report, void *arg)
{
	struct report_ctx *r = arg;

	if (rc != JD_OK)
		jd_reply_rc(r->req, rc, "report");
	else
		jd_reply_json(r->req, 200, json_incref(report));
}

static void on_may_read(int rc, int ok, void *arg)
{
	struct report_ctx *r = arg;

	if (rc != JD_OK) {
		jd_reply_rc(r->req, rc, "report");
		return;
	}
	if (!ok) {
		jd_reply_error(r->req, 403, "forbidden",
			       "you may only read the organization of your own tenants and of "
			       "every tenant beneath them");
		return;
	}
	rc = jd_org_report_gather(r->req->srv, r->tree, on_report, r);
	if (rc == JD_E_INVALID)
		jd_reply_error(r->req, 400, "invalid",
			       "tenant '%s' rolls up %zu counties; a report covers at most %d",
			       r->code, json_array_size(json_object_get(r->tree, "counties")),
			       JD_ORG_REPORT_COUNTIES_MAX);
	else if (rc != JD_OK)
		jd_reply_rc(r->req, rc, "report");
}

static void on_tree(int rc, json_t *tree, void *arg)
{
	struct report_ctx *r = arg;

	if (rc == JD_E_NOTFOUND) {
		jd_reply_error(r->req, 404, "not_found", "no tenant '%s'", r->code);
		return;
	}
	if (rc != JD_OK) {
		jd_reply_rc(r->req, rc, "report");
		return;
	}
	r->tree = json_incref(tree);
	rc = jd_org_report_may_read(r->req, tree, on_may_read, r);
	if (rc != JD_OK)
		jd_reply_rc(r->req, rc, "report");
}

static void org_report(jd_req *req, void *arg)
{
	const char *tenant = json_string_value(json_object_get(req->input, "tenant"));
	struct report_ctx *r;
	int rc;

	(void)arg;
	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'tenant' must be a 6-digit administrative division code, not "
			       "'%.16s'",
			       or_empty(tenant));
		return;
	}
	r = jd_req_ctx(req, sizeof(*r), ctx_dtor);
	if (r == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "report");
		return;
	}
	r->req = req;
	snprintf(r->code, sizeof(r->code), "%s", tenant);
	rc = jd_org_tree_read(req->srv, tenant, on_tree, r);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "report");
}

static const struct jd_field report_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "a county's, city's or province's code", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route report_routes[] = {
    {"GET", "/v1/org/report", "org.read",
     "The org report of a county, city or province: centralized office, modes, staffing rate, "
     "rule breaches, posts moved, groups",
     "org report", report_fields, 0, org_report, NULL},
};

int jd_org_report_register(struct jd_server *srv, char *err, size_t errlen)
{
	int rc = jd_router_add_table(srv->router, report_routes,
				     sizeof(report_routes) / sizeof(report_routes[0]), "core", err,
				     errlen);

	/* the history the report reads the organization's past from (org_history.h) */
	return rc != JD_OK ? rc : jd_org_history_register(srv, err, errlen);
}
