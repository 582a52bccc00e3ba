/*
 * Returns (退回): supplementary investigation (补充调查: the case goes back
 * to investigating with a deadline and the review clock pauses) or
 * reinvestigation (重新调查: the panel's findings are set aside and the
 * clock pauses as well).  Each return is kept in the record's ledger
 * ("return.<n>": kind, why, reason, date, due, by) and counted by kind and
 * by why; review.returned sends the case back.  A review returned
 * max_returns times needs a leader for the next (route return-over).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

static const char *const whys[] = {"facts_unclear",
				   "evidence_insufficient",
				   "procedure_flawed",
				   "characterization_wrong",
				   "other",
				   NULL};

static int why_valid(const char *w)
{
	for (const char *const *p = whys; w != NULL && *p; p++)
		if (strcmp(*p, w) == 0)
			return 1;
	return 0;
}

/* The return's input, checked: 0 or -1 (replied). */
static int return_input(struct rctx *c, const char **kind, const char **why, long long *days)
{
	*kind = in_str(c, "kind");
	*why = in_str(c, "why") ? in_str(c, "why") : "other";
	*days = in_int(c, "days", atoll(host->config_get(self, "supplementary_days", "30")));
	if (*kind == NULL ||
	    (strcmp(*kind, "supplementary") != 0 && strcmp(*kind, "reinvestigation") != 0)) {
		rctx_invalid(
		    c, "field 'kind': supplementary (补充调查) or reinvestigation (重新调查)");
		return -1;
	}
	if (!why_valid(*why)) {
		rctx_invalid(c, "field 'why': facts_unclear, evidence_insufficient, "
				"procedure_flawed, characterization_wrong or other");
		return -1;
	}
	if (in_str(c, "reason") == NULL || in_str(c, "reason")[0] == '\0') {
		rctx_invalid(c, "field 'reason': what the investigators must do");
		return -1;
	}
	if (*days < 1 || *days > 365) {
		rctx_invalid(c, "field 'days': the supplementary investigation's days, 1..365");
		return -1;
	}
	return 0;
}

/* Reinvestigation: the panel's findings per person are set aside. */
static void set_aside(struct rctx *c)
{
	const char *persons = rec_str(c, "persons");

	for (const char *p = persons; p != NULL && *p;) {
		char field[32];

		snprintf(field, sizeof(field), "work.%ld", atol(p));
		host->mut_del(c->m, field);
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
}

static void return_loaded(struct rctx *c)
{
	int over = c->route != NULL;
	long long n = rec_int(c, "returns"), days;
	long long max = atoll(host->config_get(self, "max_returns", "2"));
	const char *kind, *why;
	char field[32], date[11], due[11];
	json_t *r;
	char *text;

	if (rctx_step_ok(c, "return") != 0 || return_input(c, &kind, &why, &days) != 0 ||
	    rctx_date(c, "acceptance") != 0)
		return;
	if (strcmp(rec_str(c, "kind"), "appeal") == 0) {
		rctx_conflict(
		    c, "illegal_transition",
		    "review %s is an appeal: the decided case is not returned; the appeal "
		    "ends upheld, changed or revoked",
		    c->id);
		return;
	}
	if (!over && n >= max) {
		rctx_conflict(c, "approval_required",
			      "review %s was returned %lld times (max_returns %lld): a further "
			      "return needs a leader (review reviews return-over)",
			      c->id, n, max);
		return;
	}
	host->day_format(c->day, date);
	host->day_format(c->day + days, due);
	r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "kind", kind, "why", why, "reason",
		      in_str(c, "reason"), "date", date, "due", due, "by",
		      host->req_principal(c->req), "over_limit", over && n >= max);
	text = r ? json_dumps(r, JSON_COMPACT) : NULL;
	json_decref(r);
	if (text == NULL) {
		rctx_fail(c, JD_E_NOMEM);
		return;
	}
	snprintf(field, sizeof(field), "return.%lld", n + 1);
	host->mut_set(c->m, field, text);
	free(text);
	host->mut_setf(c->m, "returns", "%lld", n + 1);
	host->mut_set(c->m, "paused_on", date);
	clock_drop(c);
	host->deadline_put(&review_machine, c->m, c->id, "supplementary", c->day + days);
	if (strcmp(kind, "reinvestigation") == 0)
		set_aside(c);
	cnt_returned(c->m, rec_str(c, "count_unit"), kind, why, c->day, 1);
	rctx_move(c, "returned");
	host->mut_event(c->m, "review.returned",
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "tenant", c->tenant,
				  "case", rec_str(c, "case"), "review", c->id, "kind", kind, "why",
				  why, "due", due, "date", date));
	rctx_submit(c, over ? "review.review.return.approved" : "review.review.return");
}

void review_return(jd_req *req, void *arg)
{
	rctx_route(req, arg, return_loaded);
}
