/*
 * Proposals and approvals (处置 and the steps after it), for leads and
 * cases alike: staff (or a leader) propose an action the state machine
 * allows from the record's state; the proposal waits in the record's
 * "pending" field, and blocks every other proposal, until a leader
 * approves it (the transition takes effect, dated by the approval) or
 * rejects it.  An action the state machine does not allow answers 409
 * naming the allowed ones.
 *
 * A lead's approved disposition is entered in its ledger ("disp.<n>" =
 * "way|date") and counted (leads disposed, by way) in the same mutation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

/* Route arguments (cases.c) */
const struct verb verb_dispose = {KIND_LEAD, "dispose", "way"};
const struct verb verb_outcome = {KIND_LEAD, "outcome", "outcome"};
const struct verb verb_lead_extend = {KIND_LEAD, "extend", NULL};
const struct verb verb_plan = {KIND_CASE, "plan", NULL};
const struct verb verb_measure = {KIND_CASE, "measure", NULL};
const struct verb verb_case_extend = {KIND_CASE, "extend", NULL};
const struct verb verb_conclude = {KIND_CASE, "conclude", NULL};
const struct verb verb_lead = {KIND_LEAD, "", NULL}; /* approve, reject, ... of a lead */
const struct verb verb_case = {KIND_CASE, "", NULL};

/* 409 when a proposal already waits; 0 when none does. */
static int no_pending(struct ctx *c)
{
	struct jd_refusal r;

	if (host->proposal_none(machine_of(c->kind), c->rec, c->id, &r) == 0)
		return 0;
	ctx_refused(c, &r);
	return -1;
}

/* Seals the input field `name` (if given) into the record's field of the same name. */
static int seal_input(struct ctx *c, const char *name)
{
	const char *v = in_str(c, name);
	char *sealed;

	if (v == NULL || v[0] == '\0')
		return JD_OK;
	sealed = host->seal(self, c->tenant, kind_type(c->kind), c->id, name, v);
	if (sealed == NULL)
		return errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
	host->mut_set(c->m, name, sealed);
	free(sealed);
	return JD_OK;
}

/* ---- propose ------------------------------------------------------------------------------- */

static void propose_keyed(struct ctx *c)
{
	json_t *pending = c->aux;
	const char *action = json_string_value(json_object_get(pending, "action"));
	char a[96];
	int rc = JD_OK;

	/* the texts a step comes with are sealed where they will stay */
	if (rc == JD_OK)
		rc = seal_input(c, "report");
	if (rc == JD_OK)
		rc = seal_input(c, "plan");
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	host->proposal_put(c->m, pending);
	snprintf(c->to, sizeof(c->to), "%s", rec_str(c, "state"));
	snprintf(a, sizeof(a), "cases.%s.propose.%s", kind_type(c->kind), action);
	ctx_submit(c, a);
}

/* The proposal's arguments beyond the action, checked; 0 or -1 (replied). */
static int propose_args(struct ctx *c, const struct verb *v, json_t *pending)
{
	if (strcmp(v->verb, "extend") == 0) {
		long long days = in_int(c, "days", 0);
		const char *reason = in_str(c, "reason");

		if (days < 1 || days > 365) {
			ctx_invalid(c, "field 'days' must be between 1 and 365");
			return -1;
		}
		if (reason == NULL || reason[0] == '\0') {
			ctx_invalid(c, "field 'reason' is required for an extension");
			return -1;
		}
		json_object_set_new(pending, "days", json_integer(days));
		json_object_set_new(pending, "reason", json_string(reason));
		return 0;
	}
	if (strcmp(v->verb, "dispose") == 0 &&
	    strcmp(in_str(c, "way"), "prelim_verification") == 0) {
		const char *team = rec_str(c, "team");
		int members = team[0] ? 1 : 0;

		for (const char *p = team; *p; p++)
			members += *p == ',';
		if (members < 2) {
			ctx_invalid(c, "a preliminary verification needs a team of at least two: "
				       "assign one first (cases leads assign --team a,b)");
			return -1;
		}
	}
	if (strcmp(v->verb, "outcome") == 0 && strcmp(rec_str(c, "state"), "verifying") == 0 &&
	    (in_str(c, "report") == NULL || in_str(c, "report")[0] == '\0')) {
		ctx_invalid(c, "field 'report' is required: a verification ends with its report");
		return -1;
	}
	if (c->kind == KIND_CASE && investigation_check(c, v->verb, pending) != 0)
		return -1;
	return 0;
}

static void propose_loaded(struct ctx *c)
{
	const struct verb *v = c->route;
	struct jd_refusal r;
	json_t *pending;
	int rc;

	if (ctx_version(c) != 0)
		return;
	rc = host->proposal_open(machine_of(c->kind), c->rec, c->id, v->verb, v->arg,
				 v->arg ? in_str(c, v->arg) : NULL, c->req, &pending, &r);
	if (rc == JD_E_CONFLICT || rc == JD_E_INVALID) {
		ctx_refused(c, &r);
		return;
	}
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	c->aux = pending;
	if (propose_args(c, v, pending) != 0)
		return;
	ctx_keys(c, propose_keyed);
}

void rec_propose(jd_req *req, void *arg)
{
	const struct verb *v = arg;

	ctx_route(req, v->kind, v, propose_loaded);
}

/* ---- approve ------------------------------------------------------------------------------- */

void approve_effects(struct ctx *c, const struct jd_transition *t, json_t *pending)
{
	const char *action = t->action;
	char date[11];

	host->day_format(c->day, date);
	if (strcmp(action, "extend") == 0)
		host->deadline_extend(machine_of(c->kind), c->m, c->rec, c->id,
				      json_integer_value(json_object_get(pending, "days")));
	if (strncmp(action, "outcome.", 8) == 0)
		host->mut_set(c->m, "outcome", action + 8);
	if (t->tag != NULL) {
		long long n = rec_int(c, "dispositions") + 1;
		char field[32];

		snprintf(field, sizeof(field), "disp.%lld", n);
		host->mut_setf(c->m, field, "%s|%s", t->tag, date);
		host->mut_setf(c->m, "dispositions", "%lld", n);
		host->mut_set(c->m, "way", t->tag);
		host->mut_set(c->m, "disposed", date);
		cnt_lead_disposed(c->m, rec_str(c, "unit"), t->tag, c->day, 1);
	}
	if (c->kind == KIND_CASE)
		investigation_effects(c, t, pending);
}

/*
 * The conclusion, for the review plugin: a durable event of the conclusion's
 * own mutation, so the case is concluded and the event written together or
 * not at all.
 */
static void publish_concluded(struct ctx *c, json_t *pending)
{
	host->mut_event(c->m, "case.investigation_concluded", review_concluded_payload(c, pending));
}

static void approve_loaded(struct ctx *c)
{
	json_t *pending;
	const struct jd_transition *t;
	struct jd_refusal r;
	char a[128];
	int rc;

	if (ctx_version(c) != 0)
		return;
	rc = host->proposal_approve(machine_of(c->kind), c->rec, c->id, in_str(c, "date"), c->req,
				    c->m, &t, &pending, &c->day, &r);
	if (rc == JD_E_CONFLICT || rc == JD_E_INVALID) {
		ctx_refused(c, &r);
		return;
	}
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	c->late = c->day < host->day_today();
	if (t->to != NULL)
		move_state(c, rec_str(c, "state"), t->to, c->day);
	else
		snprintf(c->to, sizeof(c->to), "%s", rec_str(c, "state"));
	approve_effects(c, t, pending);
	if (c->kind == KIND_CASE && strcmp(c->to, "concluded") == 0)
		publish_concluded(c, pending);
	json_decref(pending);
	snprintf(a, sizeof(a), "cases.%s.approve.%s", kind_type(c->kind), t->action);
	ctx_submit(c, a);
}

static void reject_loaded(struct ctx *c)
{
	struct jd_refusal r;

	if (ctx_version(c) != 0)
		return;
	if (host->proposal_reject(machine_of(c->kind), c->rec, c->id, in_str(c, "reason"), c->req,
				  c->m, &r) != JD_OK) {
		ctx_refused(c, &r);
		return;
	}
	snprintf(c->to, sizeof(c->to), "%s", rec_str(c, "state"));
	ctx_submit(c, kind_type(c->kind)[0] == 'l' ? "cases.lead.reject" : "cases.case.reject");
}

void rec_approve(jd_req *req, void *arg)
{
	const struct verb *v = arg;

	ctx_route(req, v->kind, NULL, approve_loaded);
}

void rec_reject(jd_req *req, void *arg)
{
	const struct verb *v = arg;

	ctx_route(req, v->kind, NULL, reject_loaded);
}

/* ---- POST /v1/cases/leads/{id}/reactivate ------------------------------------------------------
 */

static void reactivate_keyed(struct ctx *c)
{
	int rc = seal_input(c, "material");

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	host->mut_setf(c->m, "reactivations", "%lld", rec_int(c, "reactivations") + 1);
	move_state(c, "held", "registered", c->day);
	ctx_submit(c, "cases.lead.reactivate");
}

static void reactivate_loaded(struct ctx *c)
{
	struct jd_refusal r;
	jd_day since;
	char err[200];

	if (ctx_version(c) != 0 || no_pending(c) != 0)
		return;
	if (host->machine_step(&lead_machine, c->id, rec_str(c, "state"), "reactivate", &r) ==
	    NULL) {
		ctx_refused(c, &r);
		return;
	}
	if (host->day_parse(rec_str(c, "state_since"), &since) != 0)
		since = -1;
	if (host->date_input("date", in_str(c, "date"), since, "the lead was put on hold", &c->day,
			     err, sizeof(err)) != 0) {
		ctx_invalid(c, "%s", err);
		return;
	}
	c->late = c->day < host->day_today();
	ctx_keys(c, reactivate_keyed);
}

void lead_reactivate(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, verb_lead.kind, NULL, reactivate_loaded);
}
