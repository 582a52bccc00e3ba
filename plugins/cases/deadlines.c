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

#define OVERDUE_MAX "200"

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
	json_t *items; /* [member, score, ...] */
	jd_day today;
};

/* "lead:<id>#stage" -> record "lead:<id>", stage */
static int split_member(const char *m, char *record, size_t rlen, const char **stage)
{
	const char *hash = strchr(m, '#');

	if (hash == NULL || (size_t)(hash - m) >= rlen)
		return -1;
	snprintf(record, rlen, "%.*s", (int)(hash - m), m);
	*stage = hash + 1;
	return 0;
}

static void overdue_done(struct batch *b, void *arg)
{
	struct overdue *o = arg;
	struct ctx *c = o->c;
	json_t *out = json_array();

	for (size_t i = 0; b->rc == JD_OK && out && i < b->n; i++) {
		json_t *r = json_array_get(b->results, i);
		const char *m = json_string_value(json_array_get(o->items, 2 * i));
		const char *score = json_string_value(json_array_get(o->items, 2 * i + 1));
		long due = score ? atol(score) : 0;
		const char *stage, *state = json_string_value(json_array_get(r, 0));
		char record[80], date[11];
		jd_day d = host->day_from_number(due);

		if (state == NULL || m == NULL ||
		    split_member(m, record, sizeof(record), &stage) != 0 ||
		    !scope_visible(c->req, NULL, c->tenant, json_string_value(json_array_get(r, 1)),
				   json_string_value(json_array_get(r, 2)),
				   json_string_value(json_array_get(r, 3))))
			continue;
		host->day_format(d, date);
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "record",
						     record, "stage", stage, "state", state, "due",
						     date, "days_left", (json_int_t)(d - o->today),
						     "late", d < o->today));
	}
	if (b->rc != JD_OK)
		ctx_fail(c, b->rc);
	else
		ctx_reply(c, 200, out ? json_pack("{s:o}", "overdue", out) : NULL);
	if (b->rc != JD_OK)
		json_decref(out);
	json_decref(o->items);
	free(o);
	batch_free(b);
}

static void on_overdue_range(int rc, json_t *result, void *arg)
{
	struct overdue *o = arg;
	size_t n = json_array_size(result) / 2;
	struct batch *b;

	if (rc != JD_OK || (b = batch_new(n, overdue_done, o)) == NULL) {
		ctx_fail(o->c, rc != JD_OK ? rc : JD_E_NOMEM);
		free(o);
		return;
	}
	o->items = json_incref(result);
	for (size_t i = 0; i < n; i++) {
		const char *stage, *m = json_string_value(json_array_get(result, 2 * i));
		char record[80];
		const char *argv[6] = {"HMGET", record, "state", "unit", "groups", "deny"};

		if (m != NULL && split_member(m, record, sizeof(record), &stage) == 0)
			batch_read(b, i, o->c->tenant, 6, argv);
	}
	batch_go(b);
}

void overdue_list(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, KIND_LEAD, host->req_param(req, "tenant"), "");
	struct overdue *o;
	char max[24];
	const char *argv[] = {"ZRANGEBYSCORE", "deadlines", "-inf", max,
			      "WITHSCORES",    "LIMIT",	    "0",    OVERDUE_MAX};
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
	o->today = host->day_today();
	snprintf(max, sizeof(max), "%ld", host->day_number(o->today + (jd_day)days));
	rc = host->store_read(self, c->tenant, 8, argv, on_overdue_range, o);
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
