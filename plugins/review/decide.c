/*
 * From the panel's opinion to the decision: the lead reviewer submits the
 * panel's opinion once every person has its review work; the review
 * office meeting (审理室会议) agrees or sends it back to the panel; the
 * decision is proposed and a leader of the commission approves it (the
 * host's proposals, as in the cases plugin).  The approved decision
 * completes the review in one mutation: the decision per person, what
 * review changed against the investigators, the clock stopped, the
 * counters, and the durable event back to the case: review.completed with
 * the sanctions per person (an appeal: review.appeal_decided with its
 * outcome).  The clock's one extension is proposed and approved the same
 * way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

/* Each person's review work, or 409 naming the first without; 0 or -1 (replied). */
static int work_complete(struct rctx *c)
{
	for (const char *p = rec_str(c, "persons"); p != NULL && *p;) {
		char field[32];

		snprintf(field, sizeof(field), "work.%ld", atol(p));
		if (rec_str(c, field)[0] == '\0') {
			rctx_conflict(c, "work_incomplete",
				      "review %s: person %ld has no review work yet", c->id,
				      atol(p));
			return -1;
		}
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

static void opinion_loaded(struct rctx *c)
{
	char date[11];
	const char *panel = rec_str(c, "panel");

	if (rctx_step_ok(c, "opinion") != 0 || rctx_on_panel(c, 1) != 0 ||
	    rctx_date(c, "acceptance") != 0)
		return;
	if (strchr(panel, ',') == NULL || rec_str(c, "lead_reviewer")[0] == '\0') {
		rctx_conflict(c, "panel_incomplete",
			      "review %s: the panel needs a lead reviewer and one more", c->id);
		return;
	}
	if (work_complete(c) != 0)
		return;
	host->day_format(c->day, date);
	host->mut_set(c->m, "opinion", date);
	rctx_move(c, "opinion");
	rctx_submit(c, "review.review.opinion");
}

void review_opinion(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, opinion_loaded);
}

static void meeting_loaded(struct rctx *c)
{
	const char *result = in_str(c, "result");
	int agreed = result && strcmp(result, "agreed") == 0;
	char date[11];

	if (result == NULL || (!agreed && strcmp(result, "back") != 0)) {
		rctx_invalid(c,
			     "field 'result': agreed (to the leadership) or back (to the panel)");
		return;
	}
	if (rctx_step_ok(c, agreed ? "meeting" : "back") != 0 ||
	    rctx_date(c, "the panel's opinion") != 0)
		return;
	host->day_format(c->day, date);
	host->mut_set(c->m, "meeting", date);
	host->mut_set(c->m, "meeting_result", result);
	rctx_move(c, agreed ? "meeting" : "accepted");
	rctx_submit(c, agreed ? "review.review.meeting" : "review.review.meeting.back");
}

void review_meeting(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, meeting_loaded);
}

/* ---- proposals: the decision, the extension ---------------------------------------------- */

static void propose_loaded(struct rctx *c)
{
	const char *verb = in_str(c, "action");
	struct jd_refusal r;
	json_t *pending;
	char a[64];
	int rc;

	if (verb == NULL || (strcmp(verb, "decide") != 0 && strcmp(verb, "extend") != 0)) {
		rctx_invalid(c, "field 'action': decide or extend");
		return;
	}
	if (strcmp(verb, "extend") == 0 && rec_int(c, "extended") > 0) {
		rctx_conflict(c, "already_extended",
			      "review %s: the clock was extended once already", c->id);
		return;
	}
	rc = host->proposal_open(&review_machine, c->rec, c->id, verb, NULL, NULL, c->req, &pending,
				 &r);
	if (rc == JD_E_CONFLICT || rc == JD_E_INVALID) {
		rctx_refused(c, &r);
		return;
	}
	if (rc != JD_OK) {
		rctx_fail(c, rc);
		return;
	}
	if (strcmp(verb, "extend") == 0)
		json_object_set_new(
		    pending, "days",
		    json_integer(
			in_int(c, "days", atoll(host->config_get(self, "extension_days", "30")))));
	if (in_str(c, "reason"))
		json_object_set_new(pending, "reason", json_string(in_str(c, "reason")));
	host->proposal_put(c->m, pending);
	json_decref(pending);
	snprintf(a, sizeof(a), "review.review.propose.%s", verb);
	rctx_submit(c, a);
}

void review_propose(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, propose_loaded);
}

/* The appeal's outcome for its person against the decision appealed. */
static const char *appeal_outcome(struct rctx *c, const json_t *d)
{
	json_t *orig = rec_json(c, "original");
	const char *out;

	if (!sanctioned(jstr(d, "party", "none"), jstr(d, "government", "none")))
		out = "revoked";
	else if (strcmp(jstr(orig, "party", "none"), jstr(d, "party", "none")) == 0 &&
		 strcmp(jstr(orig, "government", "none"), jstr(d, "government", "none")) == 0)
		out = "upheld";
	else
		out = "changed";
	json_decref(orig);
	return out;
}

static void complete(struct rctx *c)
{
	int appeal = strcmp(rec_str(c, "kind"), "appeal") == 0;
	int any = 0, ch = 0, sa = 0;
	json_t *decisions = json_array();
	const char *outcome = "";
	char date[11], field[32];
	jd_day due;
	long days = clock_days(c->rec, c->day);
	int on_time;

	host->day_format(c->day, date);
	on_time = host->day_parse(rec_str(c, "clock_due"), &due) == JD_OK && c->day <= due;
	for (const char *p = rec_str(c, "persons"); decisions && p && *p;) {
		long n = atol(p);
		json_t *w, *d;

		snprintf(field, sizeof(field), "work.%ld", n);
		w = rec_json(c, field);
		d = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "person", (int)n, "party",
			      jstr(w, "party", "none"), "government", jstr(w, "government", "none"),
			      "form", jstr(w, "form", ""), "characterization",
			      jstr(w, "characterization", ""), "date", date);
		any += json_is_true(json_object_get(w, "changed_characterization")) ||
		       json_is_true(json_object_get(w, "changed_sanction"));
		ch += json_is_true(json_object_get(w, "changed_characterization"));
		sa += json_is_true(json_object_get(w, "changed_sanction"));
		json_decref(w);
		if (d != NULL) {
			char *text = json_dumps(d, JSON_COMPACT);

			snprintf(field, sizeof(field), "decision.%ld", n);
			if (text)
				host->mut_set(c->m, field, text);
			free(text);
			json_array_append_new(decisions, d);
		}
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	if (decisions == NULL) {
		host->mut_fail(c->m);
		return;
	}
	if (appeal) {
		outcome = appeal_outcome(c, json_array_get(decisions, 0));
		host->mut_set(c->m, "outcome", outcome);
	}
	host->mut_set(c->m, "completed", date);
	host->mut_set(c->m, "on_time", on_time ? "1" : "0");
	host->mut_setf(c->m, "days", "%ld", days);
	host->mut_setf(c->m, "changed", "%d", any);
	host->mut_setf(c->m, "changed_char", "%d", ch);
	host->mut_setf(c->m, "changed_sanction", "%d", sa);
	clock_drop(c);
	cnt_completed(c->m, rec_str(c, "count_unit"), appeal, on_time, days, any, ch, sa, outcome,
		      c->day, 1);
	if (appeal) {
		json_t *d = json_array_get(decisions, 0);

		host->mut_event(c->m, "review.appeal_decided",
				json_pack("{s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:s, s:s}", "tenant",
					  c->tenant, "case", rec_str(c, "case"), "review", c->id,
					  "person", json_object_get(d, "person"), "outcome",
					  outcome, "party", jstr(d, "party", "none"), "government",
					  jstr(d, "government", "none"), "form",
					  jstr(d, "form", ""), "date", date));
		json_decref(decisions);
	} else {
		host->mut_event(c->m, "review.completed",
				json_pack("{s:s, s:s, s:s, s:s, s:o}", "tenant", c->tenant, "case",
					  rec_str(c, "case"), "review", c->id, "date", date,
					  "decisions", decisions));
	}
}

static void approve_loaded(struct rctx *c)
{
	const struct jd_transition *t;
	struct jd_refusal r;
	json_t *pending;
	char a[64];
	int rc;

	rc = host->proposal_approve(&review_machine, c->rec, c->id, in_str(c, "date"), c->req, c->m,
				    &t, &pending, &c->day, &r);
	if (rc == JD_E_CONFLICT || rc == JD_E_INVALID) {
		rctx_refused(c, &r);
		return;
	}
	if (rc != JD_OK) {
		rctx_fail(c, rc);
		return;
	}
	if (strcmp(t->action, "extend") == 0) {
		jd_day due;

		if (host->day_parse(rec_str(c, "clock_due"), &due) == JD_OK)
			clock_put(c, due + json_integer_value(json_object_get(pending, "days")));
		host->mut_set(c->m, "extended", "1");
		snprintf(c->to, sizeof(c->to), "%s", rec_str(c, "state"));
	} else {
		complete(c);
		rctx_move(c, t->to);
	}
	json_decref(pending);
	snprintf(a, sizeof(a), "review.review.approve.%s", t->action);
	rctx_submit(c, a);
}

void review_approve(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, approve_loaded);
}

static void reject_loaded(struct rctx *c)
{
	struct jd_refusal r;

	if (host->proposal_reject(&review_machine, c->rec, c->id, in_str(c, "reason"), c->req, c->m,
				  &r) != JD_OK) {
		rctx_refused(c, &r);
		return;
	}
	rctx_submit(c, "review.review.reject");
}

void review_reject(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, reject_loaded);
}
