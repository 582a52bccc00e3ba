/*
 * The host's recount_run over the tenant tree (svc_recount.h).  A roll-up
 * keeps no records of its own: its figures are its counties' counters
 * summed at query time.  Recounting it as a tenant would walk empty
 * indexes and answer "0 records, drift 0", which reads as "checked, all
 * good".  So a roll-up recounts each county-level tenant under it, one at
 * a time (each its own walk and, with fix, its own audited mutation), and
 * a roll-up with none under it is refused, and so is one with more than
 * JD_RECOUNT_COUNTIES_MAX (a request's work stays bounded: a province is
 * recounted city by city).  Every plugin's recount goes through here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/plugins.h"
#include "org/org_division.h"
#include "org/org_tenants.h"
#include "org/org_tree.h"
#include "security/auth.h"
#include "services/svc_recount.h"
#include "storage/store.h"
#include "transport/server.h"

/* Counties one roll-up recount covers: every city (Chongqing, a municipality, has 38). */
#define JD_RECOUNT_COUNTIES_MAX 40

struct tree_recount {
	struct jd_server *srv;
	const struct jd_recount *decl;
	jd_req *req;
	int fix;
	char tenant[65];
	json_t *tree;	 /* {"code", "level", "counties": [...]}; NULL before it is read */
	json_t *answers; /* each county's answer, in order */
	size_t next;	 /* the county to recount next */
	jd_recount_cb cb;
	void *arg;
};

static void tree_free(struct tree_recount *t)
{
	json_decref(t->tree);
	json_decref(t->answers);
	free(t);
}

static void tree_finish(struct tree_recount *t, int rc, json_t *answer, const char *message)
{
	t->cb(rc, rc == JD_OK ? answer : NULL, message, t->arg);
	json_decref(answer);
	tree_free(t);
}

static long long int_of(const json_t *o, const char *name)
{
	return json_integer_value(json_object_get(o, name));
}

/* The roll-up's answer: the counties' sums, and each county's answer in "counties". */
static json_t *rollup_answer(struct tree_recount *t)
{
	json_t *o = json_pack("{s:s, s:O, s:O}", "tenant", t->tenant, "level",
			      json_object_get(t->tree, "level"), "counties", t->answers);
	long long checked = 0, drift = 0;
	int fixed = 0;
	size_t i;
	json_t *a;

	if (o == NULL)
		return NULL;
	for (const struct jd_recount_walk *w = t->decl->walks; w->index != NULL; w++) {
		long long n = 0;

		json_array_foreach(t->answers, i, a) n += int_of(a, w->count);
		json_object_set_new(o, w->count, json_integer(n));
	}
	json_array_foreach(t->answers, i, a)
	{
		checked += int_of(a, "counters_checked");
		drift += int_of(a, "drift");
		fixed |= json_is_true(json_object_get(a, "fixed"));
	}
	json_object_set_new(o, "counters_checked", json_integer(checked));
	json_object_set_new(o, "drift", json_integer(drift));
	json_object_set_new(o, "fixed", json_boolean(fixed));
	return o;
}

static void recount_next(struct tree_recount *t);

static void on_county(int rc, json_t *answer, const char *message, void *arg)
{
	struct tree_recount *t = arg;
	const char *county =
	    json_string_value(json_array_get(json_object_get(t->tree, "counties"), t->next));
	char msg[300];

	if (rc != JD_OK) {
		snprintf(msg, sizeof(msg), "county %s: %s", county ? county : "?",
			 message ? message : "recount failed");
		tree_finish(t, rc, NULL, message ? msg : NULL);
		return;
	}
	if (json_array_append(t->answers, answer) != 0) {
		tree_finish(t, JD_E_NOMEM, NULL, NULL);
		return;
	}
	t->next++;
	recount_next(t);
}

static void recount_next(struct tree_recount *t)
{
	json_t *counties = json_object_get(t->tree, "counties");
	const char *county = json_string_value(json_array_get(counties, t->next));
	int rc;

	if (t->next >= json_array_size(counties)) {
		json_t *answer = rollup_answer(t);

		tree_finish(t, answer ? JD_OK : JD_E_NOMEM, answer, NULL);
		return;
	}
	rc = jd_recount_tenant(t->srv, t->decl, t->req, county, t->fix, on_county, t);
	if (rc != JD_OK)
		tree_finish(t, rc, NULL, NULL);
}

static void on_tree(int rc, json_t *tree, void *arg)
{
	struct tree_recount *t = arg;
	const char *level = json_string_value(json_object_get(tree, "level"));
	char msg[300];

	/* a tenant the organization does not know, or a county: itself */
	if (rc == JD_E_NOTFOUND || (rc == JD_OK && jd_division_county_level(level))) {
		rc = jd_recount_tenant(t->srv, t->decl, t->req, t->tenant, t->fix, t->cb, t->arg);
		if (rc != JD_OK)
			t->cb(rc, NULL, NULL, t->arg);
		tree_free(t);
		return;
	}
	if (rc != JD_OK) {
		tree_finish(t, rc, NULL, NULL);
		return;
	}
	if (json_array_size(json_object_get(tree, "counties")) == 0) {
		snprintf(msg, sizeof(msg),
			 "tenant %s is a %s, a roll-up with no county-level tenant under it: "
			 "nothing to recount (a roll-up recounts each county under it)",
			 t->tenant, level ? level : "roll-up");
		tree_finish(t, JD_E_INVALID, NULL, msg);
		return;
	}
	if (json_array_size(json_object_get(tree, "counties")) > JD_RECOUNT_COUNTIES_MAX) {
		snprintf(msg, sizeof(msg),
			 "tenant %s is a %s rolling up %zu counties; one recount covers at most %d "
			 "(each county is a walk of its records): recount each city under it, or "
			 "each county",
			 t->tenant, level ? level : "roll-up",
			 json_array_size(json_object_get(tree, "counties")),
			 JD_RECOUNT_COUNTIES_MAX);
		tree_finish(t, JD_E_INVALID, NULL, msg);
		return;
	}
	t->tree = json_incref(tree);
	recount_next(t);
}

int jd_recount_run(jd_plugin_handle *self, const struct jd_recount *decl, jd_req *req,
		   const char *tenant, int fix, jd_recount_cb cb, void *arg)
{
	struct tree_recount *t;
	int rc;

	if (self == NULL || decl == NULL || decl->counters == NULL || decl->walks == NULL ||
	    decl->record == NULL || cb == NULL || !jd_store_tenant_valid(tenant) ||
	    strcmp(tenant, JD_SYSTEM_TENANT) == 0)
		return JD_E_INVALID;
	if (self->srv->store == NULL)
		return JD_E_UNAVAILABLE;
	if (!jd_org_code_valid(tenant)) /* not a division: no tree to look at */
		return jd_recount_tenant(self->srv, decl, req, tenant, fix, cb, arg);
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->answers = json_array()) == NULL) {
		free(t);
		return JD_E_NOMEM;
	}
	t->srv = self->srv;
	t->decl = decl;
	t->req = req;
	t->fix = fix;
	t->cb = cb;
	t->arg = arg;
	snprintf(t->tenant, sizeof(t->tenant), "%s", tenant);
	rc = jd_org_tree_read(self->srv, tenant, on_tree, t);
	if (rc != JD_OK)
		tree_free(t);
	return rc;
}
