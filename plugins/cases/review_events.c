/*
 * The cases plugin's side of the contract with a review plugin
 * (docs/cases.md "Review", docs/review.md "The event contract"), beyond
 * the state changes decision.c applies:
 *
 * - the conclusion's proposal may carry the investigators' findings per
 *   person ("proposals": characterization, proposed party and government
 *   sanctions, four-forms class) and the file's materials list; the
 *   approved conclusion keeps them on the case and publishes them in
 *   case.investigation_concluded, with who handled the lead and the case
 *   (handler, teams, measures' proposers and approvers, the conclusion's
 *   proposer and approver) for the review's separation of duties.  Only
 *   references and codes: persons by number, never a sealed field;
 * - review.completed may carry the decisions per person: they are
 *   recorded and counted (persons sanctioned) in the mutation keyed by the
 *   event, so exactly once, and the case is decided;
 * - review.appeal_decided (an appeal's outcome: upheld, changed, revoked)
 *   replaces the person's decision and moves its counts, in one mutation
 *   keyed by the event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

#define PROPOSALS_MAX 50

static const char *jstr(const json_t *o, const char *k, const char *def)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : def;
}

/* ---- the conclusion ------------------------------------------------------------------------ */

/* A characterization code: [a-z0-9_.-], 1..64. */
static int code_valid(const char *s)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= 64 && ids_valid(s, 0);
}

int review_conclusion_check(struct ctx *c, json_t *pending)
{
	const char *text = in_str(c, "proposals"), *materials = in_str(c, "materials");
	json_t *props, *p, *out;
	size_t i;
	char err[300];

	if (materials != NULL && materials[0] != '\0')
		json_object_set_new(pending, "materials", json_string(materials));
	if (text == NULL || text[0] == '\0')
		return 0;
	props = json_loads(text, 0, NULL);
	if (!json_is_array(props) || json_array_size(props) > PROPOSALS_MAX) {
		json_decref(props);
		ctx_invalid(c,
			    "field 'proposals': a JSON array of {person, characterization, party, "
			    "government, form}, at most %d",
			    PROPOSALS_MAX);
		return -1;
	}
	out = json_array();
	json_array_foreach(props, i, p)
	{
		long long n = json_integer_value(json_object_get(p, "person"));
		const char *party = jstr(p, "party", "none"), *gov = jstr(p, "government", "none");
		const char *form = jstr(p, "form", "");

		if (n < 1 || n > rec_int(c, "persons") ||
		    !code_valid(jstr(p, "characterization", ""))) {
			snprintf(
			    err, sizeof(err),
			    "field 'proposals': entry %zu needs a person of the case (1..%lld) "
			    "and a characterization code",
			    i + 1, rec_int(c, "persons"));
			goto bad;
		}
		if (sanction_check(party, gov, &form, err, sizeof(err)) != 0)
			goto bad;
		json_array_append_new(out, json_pack("{s:I, s:s, s:s, s:s, s:s}", "person",
						     (json_int_t)n, "characterization",
						     jstr(p, "characterization", ""), "party",
						     party, "government", gov, "form", form));
	}
	json_decref(props);
	json_object_set_new(pending, "proposals", out);
	return 0;
bad:
	json_decref(props);
	json_decref(out);
	ctx_invalid(c, "%s", err);
	return -1;
}

void review_conclusion_keep(struct ctx *c, json_t *pending)
{
	json_t *p = json_object_get(pending, "proposals");
	char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;

	if (p != NULL && text == NULL)
		host->mut_fail(c->m);
	if (text != NULL)
		host->mut_set(c->m, "proposals", text);
	free(text);
	if (json_string_value(json_object_get(pending, "materials")))
		host->mut_set(c->m, "materials", jstr(pending, "materials", ""));
	host->mut_set(c->m, "concluded_by", jstr(pending, "by", ""));
}

/* Who proposed or approved a measure of the case's ledger. */
static json_t *measure_people(struct ctx *c)
{
	json_t *out = json_array();
	char field[32];

	for (long long i = 1; out != NULL && i <= rec_int(c, "measures"); i++) {
		json_t *m;

		snprintf(field, sizeof(field), "measure.%lld", i);
		if ((m = json_loads(rec_str(c, field), 0, NULL)) == NULL)
			continue;
		json_array_append_new(out, json_string(jstr(m, "proposed_by", "")));
		json_array_append_new(out, json_string(jstr(m, "approver", "")));
		json_decref(m);
	}
	return out;
}

json_t *review_concluded_payload(struct ctx *c, json_t *pending)
{
	json_t *props = json_object_get(pending, "proposals");
	const char *materials = jstr(pending, "materials", "");
	char date[11];
	json_t *handlers = json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "lead_handler", rec_str(c, "lead_handler"),
	    "lead_team", rec_str(c, "lead_team"), "handler", rec_str(c, "handler"), "team",
	    rec_str(c, "team"), "measures", measure_people(c), "concluded_by",
	    jstr(pending, "by", ""), "conclusion_approved_by", host->req_principal(c->req));

	host->day_format(c->day, date);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:o, s:s, s:o}", "tenant",
			 c->tenant, "case", c->id, "concluded", date, "lead", rec_str(c, "lead"),
			 "unit", rec_str(c, "unit"), "filing_unit", rec_str(c, "filing_unit"),
			 "review_loaded", review_loaded(), "persons",
			 (json_int_t)rec_int(c, "persons"), "proposals",
			 props ? json_incref(props) : json_array(), "materials", materials,
			 "handlers", handlers);
}

/* ---- the date of a review step ------------------------------------------------------------- */

jd_day review_event_day(struct ctx *c, const json_t *payload)
{
	jd_day d, since;

	/* the review's own date of the step (entered after the fact too), in order, never ahead */
	if (host->day_parse(jstr(payload, "date", ""), &d) != JD_OK || d > host->day_today())
		return host->day_today();
	if (host->day_parse(rec_str(c, "state_since"), &since) == JD_OK && d < since)
		return since;
	return d;
}

/* ---- decisions from the review ---------------------------------------------------------- */

/* One decision from a review event, checked; 0, or -1 (logged: the event is not applied). */
static int decision_of(struct ctx *c, const json_t *d, long long *n, const char **party,
		       const char **gov, const char **form, jd_day *day)
{
	char err[300];

	*n = json_integer_value(json_object_get(d, "person"));
	*party = jstr(d, "party", "none");
	*gov = jstr(d, "government", "none");
	*form = jstr(d, "form", "");
	if (*n < 1 || *n > rec_int(c, "persons") ||
	    sanction_check(*party, *gov, form, err, sizeof(err)) != 0 ||
	    host->day_parse(jstr(d, "date", ""), day) != JD_OK) {
		host->log(self, JD_LOG_WARN,
			  "case %s: a review decision for person %lld is not "
			  "valid; ignored",
			  c->id, *n);
		return -1;
	}
	return 0;
}

int review_decisions_apply(struct ctx *c, const json_t *payload)
{
	json_t *list = json_object_get(payload, "decisions"), *d;
	long long decided = rec_int(c, "decided");
	size_t i;
	int applied = 0;

	json_array_foreach(list, i, d)
	{
		long long n;
		const char *party, *gov, *form;
		char field[32];
		jd_day day;

		if (decision_of(c, d, &n, &party, &gov, &form, &day) != 0)
			continue;
		snprintf(field, sizeof(field), "decision.%lld", n);
		if (rec_str(c, field)[0] != '\0')
			continue; /* decided already */
		if (decision_put(c, n, party, gov, form, day, "review") != 0)
			return -1;
		decided++;
		applied++;
	}
	if (applied > 0)
		host->mut_setf(c->m, "decided", "%lld", decided);
	return decided >= rec_int(c, "persons") && applied > 0;
}

/* ---- an appeal's outcome ------------------------------------------------------------------ */

int review_appeal_apply(struct ctx *c, const json_t *payload)
{
	const char *outcome = jstr(payload, "outcome", "");
	long long n;
	const char *party, *gov, *form;
	char field[32], afield[32];
	json_t *old;
	jd_day day, old_day;

	if (decision_of(c, payload, &n, &party, &gov, &form, &day) != 0)
		return -1;
	snprintf(field, sizeof(field), "decision.%lld", n);
	snprintf(afield, sizeof(afield), "appeal.%lld", n);
	old = json_loads(rec_str(c, field), 0, NULL);
	if (old == NULL || strcmp(rec_str(c, "state"), "decided") != 0 ||
	    strcmp(rec_str(c, afield), jstr(payload, "review", "")) == 0) {
		json_decref(old);
		return -1;
	}
	host->mut_set(c->m, afield, jstr(payload, "review", ""));
	snprintf(afield, sizeof(afield), "appeal_outcome.%lld", n);
	host->mut_set(c->m, afield, outcome);
	if (strcmp(outcome, "upheld") != 0 &&
	    host->day_parse(jstr(old, "date", ""), &old_day) == JD_OK) {
		/* the decision appealed leaves the figures; the new one enters on its date */
		cnt_decision(c->m, rec_str(c, "filing_unit"), jstr(old, "party", "none"),
			     jstr(old, "government", "none"), jstr(old, "form", ""), old_day, -1);
		if (decision_put(c, n, party, gov, form, day, "appeal") != 0) {
			json_decref(old);
			return -1;
		}
	}
	json_decref(old);
	return 0;
}
