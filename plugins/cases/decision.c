/*
 * Decisions (处分决定), per person of a case: a party sanction, a
 * government sanction, or none, and the "four forms" class (f1 to f4).
 * Each decision is counted, in the same mutation, on its date under the
 * case's filing unit: a person with a party or government sanction (or
 * both) counts once in "persons sanctioned".  When every person has a
 * decision the case is "decided".
 *
 * Case review (案件审理) is the review plugin's: the approved conclusion
 * publishes the durable event case.investigation_concluded; the review
 * plugin answers with durable events (review.accepted, review.returned for
 * supplementary investigation, review.completed), each applied here by one
 * mutation keyed by the event (a redelivery changes nothing), and announces
 * itself with the notice review.ready (in memory: it says what this process
 * has loaded).  While no review plugin has announced itself (config
 * "review" = auto), or with review = none, a leader records the decision
 * directly on the concluded case; with review = required, only after
 * review.completed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

static const char *const party_sanctions[] = {
    "none",	 "warning", "serious_warning", "removal_from_party_post", "probation",
    "expulsion", NULL};
static const char *const gov_sanctions[] = {"none",	"warning",   "demerit",	  "major_demerit",
					    "demotion", "dismissal", "expulsion", NULL};

static int review_announced;

int review_loaded(void)
{
	const char *mode = host->config_get(self, "review", "auto");

	if (mode != NULL && strcmp(mode, "required") == 0)
		return 1;
	if (mode != NULL && strcmp(mode, "none") == 0)
		return 0;
	return review_announced;
}

static int one_of(const char *v, const char *const *list)
{
	for (; v != NULL && *list; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

/*
 * The four forms class when the leader gives none: f2 for the lighter
 * sanctions, f3 for the heavier; f4 (serious violations handed to
 * prosecution) and f1 (no sanction: criticism, a talk) only when given.
 */
static const char *form_inferred(const char *party, const char *gov)
{
	static const char *const heavy[] = {
	    "removal_from_party_post", "probation", "expulsion", "demotion", "dismissal", NULL};
	int p = party && strcmp(party, "none") != 0, g = gov && strcmp(gov, "none") != 0;

	if (!p && !g)
		return "";
	return one_of(party, heavy) || one_of(gov, heavy) ? "f3" : "f2";
}

int sanction_check(const char *party, const char *gov, const char **form, char *err, size_t len)
{
	static const char *const forms[] = {"f1", "f2", "f3", "f4", NULL};

	if (!one_of(party, party_sanctions)) {
		snprintf(err, len,
			 "field 'party': '%.40s' is not a party sanction (none, warning, "
			 "serious_warning, removal_from_party_post, probation, expulsion)",
			 party ? party : "");
		return -1;
	}
	if (!one_of(gov, gov_sanctions)) {
		snprintf(err, len,
			 "field 'government': '%.40s' is not a government sanction (none, "
			 "warning, demerit, major_demerit, demotion, dismissal, expulsion)",
			 gov ? gov : "");
		return -1;
	}
	if (*form == NULL || (*form)[0] == '\0') {
		*form = form_inferred(party, gov);
	} else if (!one_of(*form, forms)) {
		snprintf(err, len,
			 "field 'form': '%.8s' is not one of the four forms (f1, f2, f3, f4)",
			 *form);
		return -1;
	} else if (strcmp(*form, "f1") == 0 && form_inferred(party, gov)[0] != '\0') {
		snprintf(err, len,
			 "field 'form': f1 is for no sanction (criticism, a talk); this "
			 "decision gives a sanction");
		return -1;
	}
	return 0;
}

/* The decision's fields, checked: 0 or -1 (replied). */
static int decision_input(struct ctx *c, const char **party, const char **gov, const char **form)
{
	char err[300];

	*party = in_str(c, "party") ? in_str(c, "party") : "none";
	*gov = in_str(c, "government") ? in_str(c, "government") : "none";
	*form = in_str(c, "form");
	if (sanction_check(*party, *gov, form, err, sizeof(err)) != 0) {
		ctx_invalid(c, "%s", err);
		return -1;
	}
	return 0;
}

int decision_put(struct ctx *c, long long person, const char *party, const char *gov,
		 const char *form, jd_day day, const char *by)
{
	char field[32], date[11];
	json_t *d;
	char *text;

	host->day_format(day, date);
	d = json_pack("{s:s, s:s, s:s, s:s, s:s}", "party", party, "government", gov, "form", form,
		      "date", date, "by", by);
	text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	if (text == NULL) {
		host->mut_fail(c->m);
		return -1;
	}
	snprintf(field, sizeof(field), "decision.%lld", person);
	host->mut_set(c->m, field, text);
	free(text);
	cnt_decision(c->m, rec_str(c, "filing_unit"), party, gov, form, day, 1);
	return 0;
}

static int decide_allowed(struct ctx *c)
{
	const char *state = rec_str(c, "state");
	char allowed[300];

	if (strcmp(state, "concluded") == 0 && review_loaded()) {
		ctx_conflict(c, "awaiting_review",
			     "case %s goes to case review first (a review plugin is loaded); "
			     "decisions follow review.completed",
			     c->id);
		return 0;
	}
	if (host->machine_find(&case_machine, state, "decide") == NULL) {
		host->machine_allowed(&case_machine, state, allowed, sizeof(allowed));
		ctx_conflict(c, "illegal_transition",
			     "case %s is %s: 'decide' is not allowed; allowed: %s", c->id, state,
			     allowed);
		return 0;
	}
	return 1;
}

static void decide_loaded(struct ctx *c)
{
	long long person = in_int(c, "person", 0), persons = rec_int(c, "persons");
	const char *party, *gov, *form;
	char field[32], err[200];
	jd_day since;

	if (ctx_version(c) != 0 || !decide_allowed(c) || decision_input(c, &party, &gov, &form))
		return;
	if (person < 1 || person > persons) {
		ctx_invalid(c, "field 'person': case %s has persons 1..%lld", c->id, persons);
		return;
	}
	snprintf(field, sizeof(field), "decision.%lld", person);
	if (rec_str(c, field)[0] != '\0') {
		ctx_conflict(c, "already_decided", "person %lld of case %s already has a decision",
			     person, c->id);
		return;
	}
	if (host->day_parse(rec_str(c, "state_since"), &since) != 0)
		since = -1;
	if (host->date_input("date", in_str(c, "date"), since, "the investigation was concluded",
			     &c->day, err, sizeof(err)) != 0) {
		ctx_invalid(c, "%s", err);
		return;
	}
	c->late = c->day < host->day_today();
	if (decision_put(c, person, party, gov, form, c->day, host->req_principal(c->req)) != 0) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	host->mut_setf(c->m, "decided", "%lld", rec_int(c, "decided") + 1);
	if (rec_int(c, "decided") + 1 >= persons)
		move_state(c, rec_str(c, "state"), "decided", c->day);
	else
		snprintf(c->to, sizeof(c->to), "%s", rec_str(c, "state"));
	ctx_submit(c, "cases.case.decide");
}

void case_decide(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, KIND_CASE, NULL, decide_loaded);
}

/* ---- the review plugin's events ------------------------------------------------------------ */

struct review_event {
	const char *event;
	const char *action; /* in the case state machine */
};

static const struct review_event review_events[] = {
    {"review.accepted", "review.accept"},
    {"review.returned", "review.return"},
    {"review.completed", "review.done"},
    {"review.appeal_decided", NULL}, /* no state change: review_events.c */
};

/* The core acknowledges the event once this mutation is applied; otherwise delivers it again. */
static void on_event_applied(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;

	(void)res;
	if (rc != JD_OK)
		host->log(self, JD_LOG_WARN, "review event not applied case=%s rc=%d", c->id, rc);
	ctx_free(c);
}

/* Nothing to change for this event (rc JD_OK), or not now (an error: delivered again). */
static void event_finish(struct ctx *c, int rc)
{
	host->event_done(self, c->cause, rc);
	ctx_free(c);
}

static void on_event_record(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg;
	const struct review_event *e = c->route;
	const struct jd_transition *t;
	const char *to;
	char a[64];

	if (rc != JD_OK) {
		event_finish(c, rc);
		return;
	}
	if (json_array_size(result) == 0) {
		host->log(self, JD_LOG_WARN, "%s: no case %s in tenant %s", e->event, c->id,
			  c->tenant);
		event_finish(c, JD_OK);
		return;
	}
	c->rec = json_object();
	for (size_t i = 0; c->rec && i + 1 < json_array_size(result); i += 2)
		json_object_set(c->rec, json_string_value(json_array_get(result, i)),
				json_array_get(result, i + 1));
	c->version = rec_int(c, "_v");
	if (e->action == NULL) {
		if (review_appeal_apply(c, c->cause->payload) != 0) {
			host->log(self, JD_LOG_WARN, "%s: case %s is %s; ignored", e->event, c->id,
				  rec_str(c, "state"));
			event_finish(c, JD_OK);
			return;
		}
		snprintf(a, sizeof(a), "cases.case.review.appeal");
		goto submit;
	}
	t = host->machine_find(&case_machine, rec_str(c, "state"), e->action);
	if (t == NULL) {
		host->log(self, JD_LOG_WARN, "%s: case %s is %s; ignored", e->event, c->id,
			  rec_str(c, "state"));
		event_finish(c, JD_OK);
		return;
	}
	to = t->to;
	/* a review that sends the decisions decides the case, counted here exactly once */
	if (strcmp(e->event, "review.completed") == 0 &&
	    review_decisions_apply(c, c->cause->payload) > 0)
		to = "decided";
	move_state(c, rec_str(c, "state"), to, review_event_day(c, c->cause->payload));
	snprintf(a, sizeof(a), "cases.case.%s", e->action);
submit:
	/* the event is the cause: the core finishes it whatever this returns */
	if (host->mut_submit(self, c->m,
			     &(const struct jd_mutation){.tenant = c->tenant,
							 .record = c->record,
							 .expect_version = c->version,
							 .action = a,
							 .cause = c->cause},
			     on_event_applied, c) != JD_OK)
		ctx_free(c);
}

/* A review event: the case as it is now, then one mutation keyed by the event. */
static int on_review_event(const struct jd_event *ev, void *arg)
{
	const struct review_event *e = arg;
	const char *no = json_string_value(json_object_get(ev->payload, "case"));
	struct ctx *c;
	const char *argv[2] = {"HGETALL", NULL};
	int rc;

	if (no == NULL || no[0] == '\0' || strlen(no) > 32 || !ids_valid(no, 0)) {
		host->log(self, JD_LOG_WARN, "%s %s: no valid case number; ignored", e->event,
			  ev->id);
		host->event_done(self, ev, JD_OK);
		return JD_OK;
	}
	c = ctx_new(NULL, KIND_CASE, ev->tenant, no);
	if (c == NULL)
		return JD_E_NOMEM;
	c->route = e;
	c->cause = ev;
	argv[1] = c->record;
	rc = host->store_read(self, ev->tenant, 2, argv, on_event_record, c);
	if (rc != JD_OK) {
		c->cause = NULL;
		ctx_free(c);
	}
	return rc; /* an error: delivered again */
}

static void on_review_ready(const char *name, json_t *payload, void *arg)
{
	(void)name;
	(void)payload;
	(void)arg;
	review_announced = 1;
	host->log(self, JD_LOG_INFO, "a review plugin announced itself: decisions follow review");
}

int decision_subscribe(void)
{
	const char *mode = host->config_get(self, "review", "auto");

	if (mode == NULL || (strcmp(mode, "auto") != 0 && strcmp(mode, "none") != 0 &&
			     strcmp(mode, "required") != 0)) {
		host->log(self, JD_LOG_ERR, "review must be auto, none or required (got %s)",
			  mode ? mode : "-");
		return JD_E_INVALID;
	}
	review_announced = 0;
	if (host->subscribe(self, "review.ready", on_review_ready, NULL) != JD_OK)
		return JD_ERR;
	for (size_t i = 0; i < sizeof(review_events) / sizeof(review_events[0]); i++)
		if (host->on_event(self, review_events[i].event, on_review_event,
				   (void *)&review_events[i]) != JD_OK)
			return JD_ERR;
	return JD_OK;
}
