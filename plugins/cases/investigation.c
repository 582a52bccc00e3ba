/*
 * Review and investigation (审查调查) of a filed case: the plan, approved
 * by a leader, starts the investigation and its deadline; measures are
 * proposed and, once approved, entered in the case's ledger
 * ("measure.<n>": kind, date, proposer, approver); extensions move the
 * deadline; the approved conclusion publishes case.investigation_concluded
 * (disposition.c, on_approved) for the review plugin.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

/* A case proposal's own arguments (disposition.c calls it); 0 or -1 (replied). */
int investigation_check(struct ctx *c, const char *verb, json_t *pending)
{
	const char *kind = in_str(c, "kind");
	jd_day filed, d;
	char err[200];

	if (strcmp(verb, "conclude") == 0)
		return review_conclusion_check(c, pending);
	if (strcmp(verb, "measure") != 0)
		return 0;
	if (kind == NULL || kind[0] == '\0') {
		ctx_invalid(c, "field 'kind' is required: what measure (e.g. talk, inquiry, "
			       "freezing, detention)");
		return -1;
	}
	if (host->day_parse(rec_str(c, "filed"), &filed) != 0)
		filed = -1;
	if (host->date_input("date", in_str(c, "date"), filed, "the case was filed", &d, err,
			     sizeof(err)) != 0) {
		ctx_invalid(c, "%s", err);
		return -1;
	}
	host->day_format(d, err);
	json_object_set_new(pending, "kind", json_string(kind));
	json_object_set_new(pending, "date", json_string(err));
	return 0;
}

void investigation_effects(struct ctx *c, const struct jd_transition *t, json_t *pending)
{
	char date[11];

	host->day_format(c->day, date);
	if (strcmp(t->action, "plan") == 0) {
		host->mut_set(c->m, "plan_approved", date);
	} else if (strcmp(t->action, "conclude") == 0) {
		host->mut_set(c->m, "concluded", date);
		review_conclusion_keep(c, pending);
	} else if (strcmp(t->action, "measure") == 0) {
		long long n = rec_int(c, "measures") + 1;
		char field[32];
		json_t *e = json_pack(
		    "{s:O, s:O, s:O, s:s, s:s}", "kind", json_object_get(pending, "kind"), "date",
		    json_object_get(pending, "date"), "proposed_by", json_object_get(pending, "by"),
		    "approver", host->req_principal(c->req), "approved", date);
		char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;

		snprintf(field, sizeof(field), "measure.%lld", n);
		if (text != NULL) {
			host->mut_set(c->m, field, text);
			host->mut_setf(c->m, "measures", "%lld", n);
		} else {
			host->mut_fail(c->m);
		}
		free(text);
		json_decref(e);
	}
}
