/*
 * POST /v1/cases/recount: recomputes every counter from the records and
 * reports any drift; with fix, corrects it (one mutation of HINCRBY
 * deltas, audited as cases.recount.fix).
 *
 * The host's recount walks "leads:all" and "cases:all" in pages and calls
 * back here per record: its counters are derived with the same functions
 * the writers use (counters.c).  Run it while the tenant is quiet, or run
 * it twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

/* The record's field, "" when absent */
static const char *field(const json_t *rec, const char *name)
{
	const char *v = json_string_value(json_object_get(rec, name));

	return v ? v : "";
}

static void lead_counters(struct jd_mut *m, const json_t *rec)
{
	const char *unit = field(rec, "unit");
	long long n = atoll(field(rec, "dispositions"));
	jd_day d;

	if (host->day_parse(field(rec, "received"), &d) == 0)
		cnt_lead_received(m, unit, field(rec, "source"), d, 1);
	for (long long i = 1; i <= n; i++) {
		char f[32], way[48];
		const char *v, *bar;

		snprintf(f, sizeof(f), "disp.%lld", i);
		v = field(rec, f);
		bar = strchr(v, '|');
		if (bar == NULL || host->day_parse(bar + 1, &d) != 0)
			continue;
		snprintf(way, sizeof(way), "%.*s", (int)(bar - v), v);
		cnt_lead_disposed(m, unit, way, d, 1);
	}
}

/*
 * Asked again of case_self_handled from the record's facts, for every
 * case: never the flag a case was filed with (an older definition).  A
 * case filed before its filing unit's kind was kept takes the unit's kind
 * in the county's organization, which the host's walk hands over ("_org").
 */
static int self_handled(const json_t *rec)
{
	return case_self_handled(
	    case_filing_kind(field(rec, "filing_kind"), json_object_get(rec, "_org"),
			     field(rec, "filing_unit")),
	    field(rec, "filing_unit"), field(rec, "handling_unit"), field(rec, "joint_units"));
}

static void case_counters(struct jd_mut *m, const json_t *rec)
{
	const char *unit = field(rec, "filing_unit");
	long long n = atoll(field(rec, "persons"));
	jd_day d;

	if (host->day_parse(field(rec, "filed"), &d) == 0)
		cnt_case_filed(m, unit, self_handled(rec), d, 1);
	for (long long i = 1; i <= n; i++) {
		char f[32];
		json_t *dec;

		snprintf(f, sizeof(f), "decision.%lld", i);
		dec = json_loads(field(rec, f), 0, NULL);
		if (dec != NULL &&
		    host->day_parse(json_string_value(json_object_get(dec, "date")), &d) == 0)
			cnt_decision(m, unit, json_string_value(json_object_get(dec, "party")),
				     json_string_value(json_object_get(dec, "government")),
				     json_string_value(json_object_get(dec, "form")), d, 1);
		json_decref(dec);
	}
}

static const struct jd_recount_walk walks[] = {
    {"leads:all", "lead", "leads", lead_counters},
    {"cases:all", "case", "cases", case_counters},
    {NULL, NULL, NULL, NULL},
};

static const struct jd_recount cases_recount = {
    .counters = &cases_counters,
    .walks = walks,
    .record = "recount:last",
    .fix_action = "cases.recount.fix",
};

static void on_recounted(int rc, json_t *answer, const char *message, void *arg)
{
	struct ctx *c = arg;

	if (rc == JD_E_INVALID && message != NULL)
		ctx_invalid(c, "%s", message);
	else if (rc != JD_OK)
		ctx_fail(c, rc);
	else
		ctx_reply(c, 200, json_incref(answer));
}

void recount_run(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, KIND_LEAD, host->req_param(req, "tenant"), "");
	int rc;

	(void)arg;
	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "recount");
		return;
	}
	if (ctx_tenant_check(c) != 0)
		return;
	rc = host->recount_run(self, &cases_recount, req, c->tenant, in_bool(c, "fix"),
			       on_recounted, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}
