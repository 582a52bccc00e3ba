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
	free(g->figures);
	json_decref(g->scope);
	json_decref(g->counties);
	free(g);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* ---- the report, once every county is read ----------------------------------------------- */

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
			    g->srv, json_string_value(json_array_get(g->counties, g->next)), 0,
			    on_snapshot, s);
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

static void county_in(struct gather *g, size_t i, json_t *figures)
{
	if (g->rc != JD_OK) {
		json_decref(figures);
		return;
	}
	g->figures[i] = figures;
	if (figures == NULL)
		g->rc = JD_E_NOMEM;
}

static void county_done(void *arg)
{
	struct county_job *j = arg;
	struct gather *g = j->s->g;

	g->in_flight--;
	county_in(g, j->s->i, j->figures);
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

static void on_snapshot(int rc, json_t *snap, void *arg)
{
	struct slot *s = arg;
	struct gather *g = s->g;
	const char *code = json_string_value(json_array_get(g->counties, s->i));

	/* a county retired or re-levelled since the tree was read is left out, not an error */
	if (rc == JD_OK && g->rc == JD_OK) {
		if (county_start(s, code, snap))
			return;
		county_in(g, s->i, jd_org_report_county(code, NULL, snap)); /* no thread: here */
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
	if (g->scope == NULL || g->figures == NULL) {
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
	return jd_router_add_table(srv->router, report_routes,
				   sizeof(report_routes) / sizeof(report_routes[0]), "core", err,
				   errlen);
}
