/*
 * The organization's history as routes (org_history.h, docs/report.md):
 *   GET  /v1/org/history?tenant=T   the months kept for a county
 *   POST /v1/org/history            the figures of a past month entered
 *                                   from the paper report, for the months
 *                                   before the instance kept them
 * A month entered is kept as any other (one audited mutation,
 * "org.history.set"); this month and later are the organization's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "org/org_history.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "storage/store.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"

/* The figures of an entry that may be entered, each a count. */
static const char *const counts[] = {"posts",	      "filled",	     "agency_posts",
				     "agency_filled", "posts_moved", "leadership_moved",
				     "breaches",      NULL};

struct hist_ctx {
	jd_req *req;
	char tenant[8], month[8];
	char *text;
};

static void ctx_dtor(void *ptr)
{
	free(((struct hist_ctx *)ptr)->text);
}

static const char *in_str(const jd_req *req, const char *name)
{
	return json_string_value(json_object_get(req->input, name));
}

static void on_show(int rc, json_t *snap, void *arg)
{
	struct hist_ctx *c = arg;

	if (jd_org_snapshot_check(c->req, rc, snap, c->tenant, "history") != JD_OK)
		return;
	jd_reply_json(c->req, 200,
		      json_pack("{s:s, s:O}", "tenant", c->tenant, "months",
				json_object_get(snap, "history")));
}

static void show_history(jd_req *req, void *arg)
{
	struct hist_ctx *c = jd_req_ctx(req, sizeof(*c), ctx_dtor);
	int rc;

	(void)arg;
	if (c == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "history");
		return;
	}
	c->req = req;
	snprintf(c->tenant, sizeof(c->tenant), "%.7s",
		 in_str(req, "tenant") ? in_str(req, "tenant") : "");
	if (!jd_org_code_valid(c->tenant)) {
		jd_reply_error(req, 404, "not_found", "field 'tenant': no tenant '%s'", c->tenant);
		return;
	}
	if ((rc = jd_org_snapshot_read(req->srv, c->tenant, JD_SNAP_HISTORY, on_show, c)) != JD_OK)
		jd_reply_rc(req, rc, "history");
}

static void on_set(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct hist_ctx *c = arg;

	(void)res;
	if (rc != JD_OK) {
		jd_reply_rc(c->req, rc, "history");
		return;
	}
	jd_reply_json(c->req, 201,
		      json_pack("{s:s, s:s, s:o}", "tenant", c->tenant, "month", c->month, "entry",
				json_loads(c->text, 0, NULL)));
}

/* The entry of the input, or NULL (400 replied, or out of memory: 500). */
static json_t *entry_of(jd_req *req)
{
	const char *modes = in_str(req, "modes");
	json_t *e = json_pack("{s:i, s:b, s:s, s:i}", "rev", 0, "centralized",
			      json_is_true(json_object_get(req->input, "centralized")), "modes",
			      modes ? modes : "", "transfers", 0);

	for (const char *const *k = counts; e != NULL && *k; k++) {
		json_int_t n = json_integer_value(json_object_get(req->input, *k));

		if (n < 0 || n > 1000000) {
			jd_reply_error(req, 400, "invalid", "field '%s' must be 0..1000000", *k);
			json_decref(e);
			return NULL;
		}
		if (json_object_set_new(e, *k, json_integer(n)) != 0) {
			json_decref(e);
			e = NULL;
		}
	}
	if (e == NULL)
		jd_reply_rc(req, JD_E_NOMEM, "history");
	return e;
}

static void on_county(int rc, json_t *snap, void *arg)
{
	struct hist_ctx *c = arg;
	const char *set[3] = {c->month, NULL, NULL};
	json_t *e;

	if (jd_org_snapshot_check(c->req, rc, snap, c->tenant, "history") != JD_OK ||
	    (e = entry_of(c->req)) == NULL)
		return;
	c->text = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(e);
	set[1] = c->text;
	rc = c->text == NULL
		 ? JD_E_NOMEM
		 : jd_store_mutate(c->req->srv->store,
				   &(const struct jd_mutation){.tenant = c->tenant,
							       .record = JD_ORG_HISTORY_KEY,
							       .expect_version = JD_VERSION_ANY,
							       .set = set,
							       .req = c->req,
							       .action = "org.history.set"},
				   on_set, c);
	if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "history");
}

/* "YYYY-MM" with a month 01..12 */
static int month_valid(const char *s)
{
	return s != NULL && strlen(s) == 7 && s[4] == '-' && strspn(s, "0123456789") == 4 &&
	       strspn(s + 5, "0123456789") == 2 && strncmp(s + 5, "01", 2) >= 0 &&
	       strncmp(s + 5, "12", 2) <= 0 && strncmp(s, "1949", 4) >= 0;
}

static void set_history(jd_req *req, void *arg)
{
	struct hist_ctx *c;
	const char *tenant = in_str(req, "tenant"), *month = in_str(req, "month");
	char now[8];
	int rc;

	(void)arg;
	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 404, "not_found", "field 'tenant': no tenant '%.16s'",
			       tenant ? tenant : "");
		return;
	}
	if (jd_org_write_check(req, tenant) != JD_OK)
		return;
	jd_org_history_month(now);
	if (!month_valid(month) || strcmp(month, now) >= 0) {
		jd_reply_error(
		    req, 400, "invalid",
		    "field 'month' must be a past month YYYY-MM, before %s (this month's "
		    "figures are the organization's own)",
		    now);
		return;
	}
	if ((c = jd_req_ctx(req, sizeof(*c), ctx_dtor)) == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "history");
		return;
	}
	c->req = req;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	snprintf(c->month, sizeof(c->month), "%s", month);
	if ((rc = jd_org_snapshot_read(req->srv, tenant, 0, on_county, c)) != JD_OK)
		jd_reply_rc(req, rc, "history");
}

static const struct jd_field show_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    JD_FIELD_END,
};

static const struct jd_field set_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"month", JD_FIELD_STRING, 1, 7, "the past month YYYY-MM whose figures these are", 0},
    {"centralized", JD_FIELD_BOOLEAN, 0, 0, "the county worked in centralized office", 0},
    {"modes", JD_FIELD_STRING, 0, 64, "modes in use: task_force,area,joint_group", 0},
    {"posts", JD_FIELD_INTEGER, 0, 0, "approved posts of the active units", 0},
    {"filled", JD_FIELD_INTEGER, 0, 0, "people in post", 0},
    {"agency_posts", JD_FIELD_INTEGER, 0, 0, "approved posts of the dispatched agencies", 0},
    {"agency_filled", JD_FIELD_INTEGER, 0, 0, "people in post in the dispatched agencies", 0},
    {"posts_moved", JD_FIELD_INTEGER, 0, 0, "posts moved out of the agencies, to date", 0},
    {"leadership_moved", JD_FIELD_INTEGER, 0, 0, "of them, leadership posts", 0},
    {"breaches", JD_FIELD_INTEGER, 0, 0, "agencies short of 1 head, 1 deputy, 2 cadres", 0},
    JD_FIELD_END,
};

static const struct jd_route history_routes[] = {
    {"GET", "/v1/org/history", "org.read",
     "The organization's figures kept at the end of each month, of a county", "org history show",
     show_fields, 0, show_history, NULL},
    {"POST", "/v1/org/history", "org.write",
     "Enter a past month's organization figures of a county (from the paper report), for "
     "the months before the instance kept them",
     "org history set", set_fields, 0, set_history, NULL},
};

int jd_org_history_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, history_routes,
				   sizeof(history_routes) / sizeof(history_routes[0]), "core", err,
				   errlen);
}
