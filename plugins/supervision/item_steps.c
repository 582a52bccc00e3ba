/*
 * An item's ladder (整改): issued → plan filed → in progress → closure
 * requested (with evidence) → reviewed by the issuing agency (passed, or
 * returned with reasons to in progress) → closed (销号).
 *
 * The rectifying unit files the plan, starts, and requests closure; the
 * review and the closure belong to the issuing side: the caller must be in
 * scope of the issuing unit (the core's record_visible), and whoever
 * requested the closure cannot review it.  Every step is dated by the
 * client (not in the future, not before the item entered its state).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static jd_day state_since(struct ctx *c)
{
	jd_day d;

	return host->day_parse(rec_str(c, "state_since"), &d) == JD_OK ? d : -1;
}

/* The machine's step for action; 0, or replies 409 naming the allowed ones. */
int item_allowed(struct ctx *c, const char *action)
{
	struct jd_refusal r;

	if (host->machine_step(&item_machine, c->id, rec_str(c, "state"), action, &r) == NULL) {
		ctx_refused(c, &r);
		return -1;
	}
	return 0;
}

int item_date(struct ctx *c)
{
	return ctx_date(c, "date", state_since(c), "the item entered its state");
}

/* Moves the item to `to` on c->day (indexes, escalation forgotten). */
void item_move(struct ctx *c, const char *to)
{
	host->machine_move(self, &item_machine, c->m, c->id, rec_str(c, "state"), to, c->day);
	snprintf(c->to, sizeof(c->to), "%s", to);
}

/* ---- plan, start, request_close: the rectifying unit --------------------------------------- */

static void step_loaded(struct ctx *c)
{
	const char *action = c->route;
	char date[11];

	if (ctx_version(c) != 0 || item_allowed(c, action) != 0 || item_date(c) != 0)
		return;
	host->day_format(c->day, date);
	if (strcmp(action, "plan") == 0) {
		if (in_str(c, "plan") == NULL) {
			ctx_invalid(c, "field 'plan': the rectification plan is required");
			return;
		}
		host->mut_set(c->m, "plan", in_str(c, "plan"));
		host->mut_set(c->m, "plan_filed", date);
		item_move(c, "plan_filed");
	} else if (strcmp(action, "start") == 0) {
		host->mut_set(c->m, "started", date);
		item_move(c, "in_progress");
	} else {
		if (in_str(c, "evidence") == NULL) {
			ctx_invalid(c, "field 'evidence': a closure request needs its evidence");
			return;
		}
		host->mut_set(c->m, "evidence", in_str(c, "evidence"));
		host->mut_set(c->m, "closure_requested", date);
		host->mut_set(c->m, "closure_by", host->req_principal(c->req));
		item_move(c, "closure_requested");
	}
	{
		char a[64];

		snprintf(a, sizeof(a), "supervision.item.%s", action);
		ctx_submit(c, a);
	}
}

void item_step(jd_req *req, void *arg)
{
	ctx_route(req, "item", arg, step_loaded);
}

/* ---- review and close: the issuing side ------------------------------------------------------ */

/* 0 when the caller may review or close c's item; otherwise replies 403. */
int item_issuer_side(struct ctx *c)
{
	if (!host->record_visible(c->req, NULL, c->tenant, rec_str(c, "issuer"), "", "")) {
		ctx_forbidden(c,
			      "item %s: only the issuing unit (%s) reviews and closes it; the "
			      "rectifying unit never closes its own item",
			      c->id, rec_str(c, "issuer"));
		return -1;
	}
	return 0;
}

static void review_loaded(struct ctx *c)
{
	const char *result = in_str(c, "result"), *reason = in_str(c, "reason");
	char action[32], date[11], f[32];

	if (ctx_version(c) != 0 || item_issuer_side(c) != 0)
		return;
	if (result == NULL || (strcmp(result, "passed") != 0 && strcmp(result, "returned") != 0)) {
		ctx_invalid(c, "field 'result': passed or returned");
		return;
	}
	snprintf(action, sizeof(action), "review.%s", result);
	if (item_allowed(c, action) != 0 || item_date(c) != 0)
		return;
	if (strcmp(rec_str(c, "closure_by"), host->req_principal(c->req)) == 0) {
		ctx_forbidden(c, "item %s: who requested the closure cannot review it", c->id);
		return;
	}
	host->day_format(c->day, date);
	host->mut_set(c->m, "reviewed_by", host->req_principal(c->req));
	if (strcmp(result, "returned") == 0) {
		long long n = rec_int(c, "returns") + 1;

		if (reason == NULL || *reason == '\0') {
			ctx_invalid(c, "field 'reason': a returned closure needs its reasons");
			return;
		}
		host->mut_setf(c->m, "returns", "%lld", n);
		snprintf(f, sizeof(f), "return.%lld", n);
		host->mut_setf(c->m, f, "%s|%s", date, reason);
		item_move(c, "in_progress");
	} else {
		host->mut_set(c->m, "reviewed", date);
		item_move(c, "reviewed");
	}
	ctx_submit(c, strcmp(result, "passed") == 0 ? "supervision.item.review.passed"
						    : "supervision.item.review.returned");
}

void item_review(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "item", NULL, review_loaded);
}

/* Counts a closure on day d (sign -1 takes it back: a rebound). */
void item_count_closed(struct jd_mut *m, const char *unit, const char *deadline, jd_day d, int sign)
{
	jd_day dl;

	cnt(m, unit, "items.rectified", d, sign);
	if (host->day_parse(deadline, &dl) == JD_OK && d <= dl)
		cnt(m, unit, "items.on_time", d, sign);
}

static void close_loaded(struct ctx *c)
{
	char date[11], score[16];
	jd_day lb;

	if (ctx_version(c) != 0 || item_issuer_side(c) != 0 || item_allowed(c, "close") != 0 ||
	    item_date(c) != 0)
		return;
	host->day_format(c->day, date);
	lb = c->day + item_lookback_days();
	host->mut_set(c->m, "closed", date);
	host->mut_set(c->m, "closed_by", host->req_principal(c->req));
	host->mut_set(c->m, "on_time", strcmp(date, rec_str(c, "deadline")) <= 0 ? "1" : "0");
	host->day_format(lb, date);
	host->mut_set(c->m, "lookback_due", date);
	host->mut_set(c->m, "lookback", "due");
	snprintf(score, sizeof(score), "%ld", host->day_number(lb));
	host->mut_op(c->m, JD_OP_ZADD, "items:lookback", c->id, score);
	item_open_drop(c->m, c->id, rec_str(c, "unit"));
	item_count_closed(c->m, rec_str(c, "unit"), rec_str(c, "deadline"), c->day, 1);
	item_move(c, "closed");
	ctx_submit(c, "supervision.item.close");
}

void item_close(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "item", NULL, close_loaded);
}
