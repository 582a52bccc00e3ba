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
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "org/org_tree.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"

#define COUNTIES_MAX 5000 /* a country has under 3000 */

struct report_ctx {
	jd_req *req;
	char code[8];
	json_t *scope;	  /* {"code", "name", "level"} */
	json_t *counties; /* the codes, sorted */
	json_t **figures; /* per county; NULL: gone since the tree was read */
	size_t n, next, in_flight;
	int rc; /* the first failure: no more reads are sent */
};

/* What one snapshot read needs to find its slot. */
struct slot {
	struct report_ctx *r;
	size_t i;
};

/* Runs when the request is finished: what the context holds. */
static void ctx_dtor(void *ptr)
{
	struct report_ctx *r = ptr;

	for (size_t i = 0; r->figures != NULL && i < r->n; i++)
		json_decref(r->figures[i]);
	free(r->figures);
	json_decref(r->scope);
	json_decref(r->counties);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* ---- the report, once every county is read ----------------------------------------------- */

static void reply_report(struct report_ctx *r)
{
	json_t *figures = json_array(), *report = NULL;

	for (size_t i = 0; figures != NULL && i < r->n; i++)
		if (r->figures[i] != NULL && json_array_append(figures, r->figures[i]) != 0) {
			json_decref(figures);
			figures = NULL;
		}
	if (figures != NULL)
		report = jd_org_report_build(r->scope, figures);
	json_decref(figures);
	if (report == NULL)
		jd_reply_rc(r->req, JD_E_NOMEM, "report");
	else
		jd_reply_json(r->req, 200, report);
}

/* ---- the counties' snapshots, a bounded number at a time ----------------------------------- */

static void on_snapshot(int rc, json_t *snap, void *arg);

/*
 * Sends reads while fewer than the bound are in flight; once none is
 * left in flight, replies: the report, or the first failure.
 */
static void pump(struct report_ctx *r)
{
	while (r->rc == JD_OK && r->in_flight < JD_ORG_REPORT_IN_FLIGHT && r->next < r->n) {
		struct slot *s = malloc(sizeof(*s));
		int rc = JD_E_NOMEM;

		if (s != NULL) {
			*s = (struct slot){r, r->next};
			rc = jd_org_snapshot_read(
			    r->req->srv, json_string_value(json_array_get(r->counties, r->next)), 0,
			    on_snapshot, s);
		}
		if (rc != JD_OK) {
			free(s);
			r->rc = rc;
			break;
		}
		r->next++;
		r->in_flight++;
	}
	if (r->in_flight > 0)
		return;
	if (r->rc != JD_OK) {
		jd_reply_rc(r->req, r->rc, "report");
		return;
	}
	reply_report(r);
}

static void on_snapshot(int rc, json_t *snap, void *arg)
{
	struct slot *s = arg;
	struct report_ctx *r = s->r;
	const char *code = json_string_value(json_array_get(r->counties, s->i));

	r->in_flight--;
	/* a county retired or re-levelled since the tree was read is left out, not an error */
	if (rc == JD_OK && r->rc == JD_OK) {
		r->figures[s->i] = jd_org_report_county(code, NULL, snap);
		if (r->figures[s->i] == NULL)
			r->rc = JD_E_NOMEM;
	} else if (rc != JD_OK && rc != JD_E_NOTFOUND && rc != JD_E_INVALID && r->rc == JD_OK) {
		jd_warn("org report: a county's snapshot failed", "req=%s tenant=%s rc=%d",
			r->req->id, or_empty(code), rc);
		r->rc = rc;
	}
	free(s);
	pump(r);
}

static void read_counties(struct report_ctx *r)
{
	r->n = json_array_size(r->counties);
	if (r->n > COUNTIES_MAX) {
		jd_reply_error(r->req, 400, "invalid",
			       "tenant '%s' rolls up %zu counties; a report covers at most %d",
			       r->code, r->n, COUNTIES_MAX);
		return;
	}
	r->figures = calloc(r->n ? r->n : 1, sizeof(*r->figures));
	if (r->figures == NULL) {
		jd_reply_rc(r->req, JD_E_NOMEM, "report");
		return;
	}
	pump(r);
}

/* ---- who may read it ---------------------------------------------------------------------- */

/* The decision is auth.c's (jd_auth_tenant_readable), as for every route: one rule. */
static void check_scope(struct report_ctx *r, const char *parent)
{
	if (!jd_auth_tenant_readable(&r->req->principal, r->code, parent)) {
		jd_reply_error(r->req, 403, "forbidden",
			       "you may only read the organization of your own tenants and of "
			       "every tenant beneath them");
		return;
	}
	read_counties(r);
}

/* ---- the request ---------------------------------------------------------------------------- */

static void on_tree(int rc, json_t *tree, void *arg)
{
	struct report_ctx *r = arg;
	const char *level = or_empty(json_string_value(json_object_get(tree, "level")));
	const char *parent = or_empty(json_string_value(json_object_get(tree, "parent")));

	if (rc == JD_E_NOTFOUND) {
		jd_reply_error(r->req, 404, "not_found", "no tenant '%s'", r->code);
		return;
	}
	if (rc != JD_OK) {
		jd_reply_rc(r->req, rc, "report");
		return;
	}
	r->scope = json_pack("{s:s, s:s?, s:s}", "code", r->code, "name",
			     json_string_value(json_object_get(tree, "name")), "level", level);
	r->counties = json_incref(json_object_get(tree, "counties"));
	if (r->scope == NULL || !json_is_array(r->counties)) {
		jd_reply_rc(r->req, JD_E_NOMEM, "report");
		return;
	}
	check_scope(r, parent);
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
