/*
 * Deadlines per stage.  The host keeps them (docs/plugins.md, "Deadlines"):
 * entering a state that has a deadline (states.c names its config key,
 * e.g. "verification_days") puts the record in the tenant's sorted set
 * "deadlines" as "<type>:<id>#<state>" scored by the due date (YYYYMMDD),
 * in the same mutation; leaving it removes it; an approved extension
 * moves it.  A transferred lead's reply date is "lead:<id>#transfer"
 * until the lead reaches a final state.
 *
 * `cases overdue` reads one bounded range of that set.  The host's sweep
 * reads it for every tenant that has leads (the registry of tenant
 * "_cases") and publishes deadline.near and deadline.missed once per
 * deadline and due date, remembering what it sent in "deadlines:sent".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cases.h"

static struct jd_sweeper *sweeper;

jd_day deadline_due(enum rec_kind k, const char *state, jd_day start)
{
	return host->deadline_due(self, machine_of(k), state, start);
}

void move_state(struct ctx *c, const char *from, const char *to, jd_day start)
{
	host->machine_move(self, machine_of(c->kind), c->m, c->id, from, to, start);
	snprintf(c->to, sizeof(c->to), "%s", to);
	if (c->kind == KIND_LEAD && host->machine_terminal(&lead_machine, to))
		host->deadline_drop(&lead_machine, c->m, c->id, "transfer");
}

void deadlines_note_tenant(const char *tenant)
{
	host->sweeper_note_tenant(sweeper, tenant);
}

static int near_days(void)
{
	const char *v = host->config_get(self, cases_deadlines.near_key, NULL);

	return v ? atoi(v) : cases_deadlines.near_days;
}

/* ---- GET /v1/cases/overdue ------------------------------------------------------------ */

struct overdue {
	struct ctx *c;
	json_t *items; /* the host's listing: [{record, stage, due, days_left, late}] */
};

static void overdue_done(struct batch *b, void *arg)
{
	struct overdue *o = arg;
	struct ctx *c = o->c;
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach(o->items, i, it)
	{
		json_t *r = json_array_get(b->results, i);
		const char *state = json_string_value(json_array_get(r, 0));

		if (b->rc != JD_OK || out == NULL || state == NULL ||
		    !scope_visible(c->req, NULL, c->tenant, json_string_value(json_array_get(r, 1)),
				   json_string_value(json_array_get(r, 2)),
				   json_string_value(json_array_get(r, 3))))
			continue;
		json_array_append_new(out, json_pack("{s:O, s:O, s:s, s:O, s:O, s:O}", "record",
						     json_object_get(it, "record"), "stage",
						     json_object_get(it, "stage"), "state", state,
						     "due", json_object_get(it, "due"), "days_left",
						     json_object_get(it, "days_left"), "late",
						     json_object_get(it, "late")));
	}
	if (b->rc != JD_OK) {
		ctx_fail(c, b->rc);
		json_decref(out);
	} else {
		ctx_reply(c, 200, out ? json_pack("{s:o}", "overdue", out) : NULL);
	}
	json_decref(o->items);
	free(o);
	batch_free(b);
}

/* The host's listing: one read per record for its state and scope. */
static void on_listed(int rc, json_t *items, void *arg)
{
	struct overdue *o = arg;
	struct batch *b;
	json_t *it;
	size_t i;

	if (rc != JD_OK || (b = batch_new(json_array_size(items), overdue_done, o)) == NULL) {
		ctx_fail(o->c, rc != JD_OK ? rc : JD_E_NOMEM);
		free(o);
		return;
	}
	o->items = json_incref(items);
	json_array_foreach(items, i, it)
	{
		const char *argv[6] = {"HMGET",	 json_string_value(json_object_get(it, "record")),
				       "state",	 "unit",
				       "groups", "deny"};

		batch_read(b, i, o->c->tenant, 6, argv);
	}
	batch_go(b);
}

void overdue_list(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, KIND_LEAD, host->req_param(req, "tenant"), "");
	struct overdue *o;
	long long days;
	int rc;

	(void)arg;
	if (c == NULL || (o = calloc(1, sizeof(*o))) == NULL) {
		if (c)
			ctx_free(c);
		host->reply_rc(req, JD_E_NOMEM, "overdue");
		return;
	}
	if (ctx_tenant_check(c) != 0) {
		free(o);
		return;
	}
	days = in_int(c, "days", near_days());
	if (days < 0 || days > 3650) {
		free(o);
		ctx_invalid(c, "field 'days' must be between 0 and 3650");
		return;
	}
	o->c = c;
	rc = host->deadline_list(self, &cases_deadlines, c->tenant, (int)days, on_listed, o);
	if (rc != JD_OK) {
		free(o);
		ctx_fail(c, rc);
	}
}

/* ---- the sweep ------------------------------------------------------------------------ */

void deadlines_sweep(void)
{
	host->sweeper_run(sweeper);
}

int deadlines_start(void)
{
	sweeper = host->sweeper_start(self, &cases_deadlines);
	return sweeper ? JD_OK : JD_E_INVALID;
}

void deadlines_stop(void)
{
	host->sweeper_stop(sweeper);
	sweeper = NULL;
}
