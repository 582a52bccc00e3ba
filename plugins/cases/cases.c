/*
 * The cases plugin: problem leads (问题线索) from intake through
 * disposition (处置) to filed cases (立案), investigation (审查调查) and
 * decisions per person, sealed, scoped, on deadlines, with the figures
 * leaders report (docs/cases.md).
 *
 * This file holds the descriptor, the config keys, the route table, init
 * and fini; cases.h says which file holds what else.  It includes
 * <jiandu/plugin.h> and nothing else of jiandu's.
 */
#include <stdio.h>

#include "cases.h"

const struct jd_host *host;
jd_plugin_handle *self;

static const struct jd_field f_tenant[] = {JD_FIELD_TENANT, JD_FIELD_END};

static const struct jd_field f_lead_add[] = {
    JD_FIELD_TENANT,
    {"source", JD_FIELD_STRING, 1, 32,
     "letters_visits, inspection_tour, audit, judicial, other_body, self_supervision or "
     "self_investigation",
     0},
    {"unit", JD_FIELD_STRING, 1, 64, "the receiving unit (a unit code of the county)", 0},
    {"received", JD_FIELD_STRING, 0, 10, "date received (YYYY-MM-DD; default today)", 0},
    {"handling", JD_FIELD_STRING, 0, 16, "self (default), transfer, assign or supervise", 0},
    {"transfer_to", JD_FIELD_STRING, 0, 200, "the body a transferred lead goes to", 0},
    {"transfer_due", JD_FIELD_STRING, 0, 10, "when a transferred lead's reply is due", 0},
    {"groups", JD_FIELD_STRING, 0, 256, "groups that see it, comma-separated (scope)", 0},
    {"subject_name", JD_FIELD_STRING, 1, 100, "the subject's name (sealed)", 1},
    {"subject_id_number", JD_FIELD_STRING, 0, 32, "the subject's ID number (sealed)", 1},
    {"subject_post", JD_FIELD_STRING, 0, 200, "the subject's post (sealed)", 1},
    {"subject_employer", JD_FIELD_STRING, 0, 200, "the subject's employer (sealed)", 1},
    {"allegation", JD_FIELD_STRING, 1, 8000, "what is alleged (sealed)", 1},
    {"reporter_name", JD_FIELD_STRING, 0, 100,
     "the reporter's identity (sealed under the lead's own key)", 1},
    {"reporter_contact", JD_FIELD_STRING, 0, 200,
     "the reporter's contact (sealed under the lead's own key)", 1},
    {"idempotency_key", JD_FIELD_STRING, 0, 64, "retry key: a retry returns the first result", 0},
    JD_FIELD_END,
};

static const struct jd_field f_list[] = {
    JD_FIELD_TENANT,
    {"state", JD_FIELD_STRING, 0, 24, "only records in this state", 0},
    {"limit", JD_FIELD_INTEGER, 0, 0, "at most this many (1..50, default 50)", 0},
    JD_FIELD_END,
};

static const struct jd_field f_subject[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"subject_name", JD_FIELD_STRING, 1, 100, "the subject's name (sealed)", 1},
    {"subject_id_number", JD_FIELD_STRING, 0, 32, "the subject's ID number (sealed)", 1},
    {"subject_post", JD_FIELD_STRING, 0, 200, "the subject's post (sealed)", 1},
    {"subject_employer", JD_FIELD_STRING, 0, 200, "the subject's employer (sealed)", 1},
    JD_FIELD_END,
};

static const struct jd_field f_dispose[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"way", JD_FIELD_STRING, 1, 32, "talk_inquiry, prelim_verification, hold_pending or close", 0},
    JD_FIELD_END,
};

static const struct jd_field f_outcome[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"outcome", JD_FIELD_STRING, 1, 32,
     "talk inquiry: cleared, reminder, criticism or escalate; verification: file, close or "
     "hold",
     0},
    {"report", JD_FIELD_STRING, 0, 20000, "the report (sealed; required after a verification)", 1},
    JD_FIELD_END,
};

static const struct jd_field f_extend[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"days", JD_FIELD_INTEGER, 1, 0, "days added to the stage's deadline (1..365)", 0},
    {"reason", JD_FIELD_STRING, 1, 500, "why", 0},
    JD_FIELD_END,
};

static const struct jd_field f_approve[] = {JD_FIELD_TENANT, JD_FIELD_VERSION,
					    JD_FIELD_DATE("the date of the step approved"),
					    JD_FIELD_END};

static const struct jd_field f_reject[] = {
    JD_FIELD_TENANT, JD_FIELD_VERSION, {"reason", JD_FIELD_STRING, 0, 500, "why", 0}, JD_FIELD_END};

static const struct jd_field f_reactivate[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    JD_FIELD_DATE("when the new material arrived"),
    {"material", JD_FIELD_STRING, 0, 8000, "the new material (sealed)", 1},
    JD_FIELD_END,
};

static const struct jd_field f_assign[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"handler", JD_FIELD_STRING, 0, 64, "the handler's user id", 0},
    {"team", JD_FIELD_STRING, 0, 256, "the team's user ids, comma-separated", 0},
    JD_FIELD_END,
};

static const struct jd_field f_assign_override[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"handler", JD_FIELD_STRING, 0, 64, "the handler's user id", 0},
    {"team", JD_FIELD_STRING, 0, 256, "the team's user ids, comma-separated", 0},
    {"reason", JD_FIELD_STRING, 1, 500, "why the conflict check is overridden (audited)", 0},
    JD_FIELD_END,
};

static const struct jd_field f_recuse[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"reason", JD_FIELD_STRING, 1, 500, "why you recuse yourself", 0},
    JD_FIELD_END};

static const struct jd_field f_recusal[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"user", JD_FIELD_STRING, 1, 64, "the user recused", 0},
    {"accept", JD_FIELD_BOOLEAN, 1, 0, "true: recused (deny list); false: refused", 0},
    JD_FIELD_END,
};

static const struct jd_field f_file[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    JD_FIELD_DATE("the date filed"),
    {"filing_unit", JD_FIELD_STRING, 0, 64, "the filing unit (default: the receiving unit)", 0},
    {"handling_unit", JD_FIELD_STRING, 0, 64, "the handling unit (default: the filing unit)", 0},
    {"joint_units", JD_FIELD_STRING, 0, 256, "units handling it jointly, comma-separated", 0},
    {"groups", JD_FIELD_STRING, 0, 256, "groups that see it (default: the lead's)", 0},
    {"persons", JD_FIELD_STRING, 0, 128, "the lead's subjects filed, by number (default all)", 0},
    JD_FIELD_END,
};

static const struct jd_field f_plan[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"plan", JD_FIELD_STRING, 0, 20000, "the plan (sealed)", 1},
    JD_FIELD_END};

static const struct jd_field f_measure[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"kind", JD_FIELD_STRING, 1, 64, "the measure (talk, inquiry, freezing, detention, ...)", 0},
    JD_FIELD_DATE("the date of the measure"),
    JD_FIELD_END,
};

static const struct jd_field f_conclude[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"report", JD_FIELD_STRING, 0, 20000, "the report (sealed)", 1},
    {"proposals", JD_FIELD_STRING, 0, 8000,
     "findings per person for review: JSON [{person, characterization, party, government, "
     "form}]",
     0},
    {"materials", JD_FIELD_STRING, 0, 2000, "the file's materials, comma-separated", 0},
    JD_FIELD_END,
};

static const struct jd_field f_decide[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"person", JD_FIELD_INTEGER, 1, 0, "the person of the case, by number", 0},
    {"party", JD_FIELD_STRING, 0, 32,
     "none, warning, serious_warning, removal_from_party_post, probation or expulsion", 0},
    {"government", JD_FIELD_STRING, 0, 32,
     "none, warning, demerit, major_demerit, demotion, dismissal or expulsion", 0},
    {"form", JD_FIELD_STRING, 0, 2, "the four forms class f1..f4 (default: from the sanction)", 0},
    JD_FIELD_DATE("the date decided"),
    JD_FIELD_END,
};

static const struct jd_field f_check[] = {
    JD_FIELD_TENANT,
    {"id_number", JD_FIELD_STRING, 0, 32, "an ID number (never stored)", 1},
    {"name", JD_FIELD_STRING, 0, 100, "a name (never stored)", 1},
    JD_FIELD_END,
};

static const struct jd_field f_overdue[] = {
    JD_FIELD_TENANT,
    {"days", JD_FIELD_INTEGER, 0, 0, "also what is due within this many days (default near_days)",
     0},
    JD_FIELD_END,
};

static const struct jd_field f_stats[] = {
    JD_FIELD_TENANT,
    {"from", JD_FIELD_STRING, 1, 10, "first day (YYYY-MM-DD)", 0},
    {"to", JD_FIELD_STRING, 1, 10, "last day (YYYY-MM-DD)", 0},
    {"unit", JD_FIELD_STRING, 0, 64, "only this unit (county only)", 0},
    {"group", JD_FIELD_STRING, 0, 64, "only this group's units (county only)", 0},
    {"compare", JD_FIELD_STRING, 0, 16, "previous-year: the same range a year earlier", 0},
    JD_FIELD_END,
};

static const struct jd_field f_recount[] = {
    JD_FIELD_TENANT,
    {"fix", JD_FIELD_BOOLEAN, 0, 0, "correct the drift found", 0},
    JD_FIELD_END,
};

#define LEAD  "/v1/cases/leads/{id}"
#define CASE  "/v1/cases/cases/{id}"
#define VA(v) ((void *)&(v))

static const struct jd_route routes[] = {
    /* leads */
    {"POST", "/v1/cases/leads", PERM_WRITE,
     "Register a lead (subjects, allegation, reporter sealed)", "cases leads add", f_lead_add, 0,
     lead_create, NULL},
    {"GET", "/v1/cases/leads", PERM_READ, "List the latest leads you may see", "cases leads list",
     f_list, 0, lead_list, NULL},
    {"GET", LEAD, PERM_READ, "Show a lead (subjects and allegation opened; repeat subjects)",
     "cases leads show", f_tenant, 0, lead_show, NULL},
    {"POST", LEAD "/subjects", PERM_WRITE, "Add a subject to a lead", "cases leads subject-add",
     f_subject, 0, subject_add, NULL},
    {"POST", LEAD "/dispose", PERM_WRITE, "Propose a disposition (a leader approves)",
     "cases leads dispose", f_dispose, 0, rec_propose, VA(verb_dispose)},
    {"POST", LEAD "/outcome", PERM_WRITE,
     "Propose the outcome of a talk inquiry or a verification (a leader approves)",
     "cases leads outcome", f_outcome, 0, rec_propose, VA(verb_outcome)},
    {"POST", LEAD "/extend", PERM_WRITE, "Propose an extension of the stage's deadline",
     "cases leads extend", f_extend, 0, rec_propose, VA(verb_lead_extend)},
    {"POST", LEAD "/approve", PERM_APPROVE, "Approve what a lead awaits", "cases leads approve",
     f_approve, 0, rec_approve, VA(verb_lead)},
    {"POST", LEAD "/reject", PERM_APPROVE, "Reject what a lead awaits", "cases leads reject",
     f_reject, 0, rec_reject, VA(verb_lead)},
    {"POST", LEAD "/reactivate", PERM_WRITE, "Reactivate a held lead on new material",
     "cases leads reactivate", f_reactivate, 0, lead_reactivate, NULL},
    {"POST", LEAD "/assign", PERM_WRITE, "Assign a handler or team (conflict checked)",
     "cases leads assign", f_assign, 0, rec_assign, VA(verb_lead)},
    {"POST", LEAD "/assign-override", PERM_APPROVE,
     "Assign despite a conflict, with a reason (audited)", "cases leads assign-override",
     f_assign_override, 0, rec_assign_override, VA(verb_lead)},
    {"POST", LEAD "/recuse", PERM_WRITE, "Declare your recusal from a lead", "cases leads recuse",
     f_recuse, 0, rec_recuse, VA(verb_lead)},
    {"POST", LEAD "/recusal", PERM_APPROVE, "Decide a recusal (accepted: deny list)",
     "cases leads recusal", f_recusal, 0, rec_recusal_decide, VA(verb_lead)},
    {"GET", LEAD "/reporter", PERM_REPORTER, "Open the reporter's identity (audited)",
     "cases leads reporter", f_tenant, 0, lead_reporter, NULL},
    {"POST", LEAD "/shred", PERM_APPROVE, "Shred the reporter's identity (crypto-shredding)",
     "cases leads shred", f_approve, 0, lead_shred, NULL},
    {"POST", LEAD "/file", PERM_WRITE, "File a case from a lead approved for filing", "cases file",
     f_file, 0, case_file, NULL},
    /* cases */
    {"GET", "/v1/cases/cases", PERM_READ, "List the latest cases you may see", "cases case list",
     f_list, 0, case_list, NULL},
    {"GET", CASE, PERM_READ, "Show a case (persons, measures, decisions)", "cases case show",
     f_tenant, 0, case_show, NULL},
    {"POST", CASE "/plan", PERM_WRITE, "Propose the investigation plan", "cases case plan", f_plan,
     0, rec_propose, VA(verb_plan)},
    {"POST", CASE "/measure", PERM_WRITE, "Propose a measure for the ledger", "cases case measure",
     f_measure, 0, rec_propose, VA(verb_measure)},
    {"POST", CASE "/extend", PERM_WRITE, "Propose an extension of the deadline",
     "cases case extend", f_extend, 0, rec_propose, VA(verb_case_extend)},
    {"POST", CASE "/conclude", PERM_WRITE, "Propose concluding the investigation",
     "cases case conclude", f_conclude, 0, rec_propose, VA(verb_conclude)},
    {"POST", CASE "/approve", PERM_APPROVE, "Approve what a case awaits", "cases case approve",
     f_approve, 0, rec_approve, VA(verb_case)},
    {"POST", CASE "/reject", PERM_APPROVE, "Reject what a case awaits", "cases case reject",
     f_reject, 0, rec_reject, VA(verb_case)},
    {"POST", CASE "/decide", PERM_APPROVE, "Record the decision on one person", "cases case decide",
     f_decide, 0, case_decide, NULL},
    {"POST", CASE "/assign", PERM_WRITE, "Assign a handler or team (conflict checked)",
     "cases case assign", f_assign, 0, rec_assign, VA(verb_case)},
    {"POST", CASE "/assign-override", PERM_APPROVE,
     "Assign despite a conflict, with a reason (audited)", "cases case assign-override",
     f_assign_override, 0, rec_assign_override, VA(verb_case)},
    {"POST", CASE "/recuse", PERM_WRITE, "Declare your recusal from a case", "cases case recuse",
     f_recuse, 0, rec_recuse, VA(verb_case)},
    {"POST", CASE "/recusal", PERM_APPROVE, "Decide a recusal (accepted: deny list)",
     "cases case recusal", f_recusal, 0, rec_recusal_decide, VA(verb_case)},
    /* across records */
    {"POST", "/v1/cases/subjects/check", PERM_READ,
     "Earlier leads and cases of a person (blind indexes)", "cases subjects check", f_check, 0,
     subjects_check, NULL},
    {"GET", "/v1/cases/overdue", PERM_READ, "What is late or due within N days", "cases overdue",
     f_overdue, 0, overdue_list, NULL},
    {"GET", "/v1/cases/stats", PERM_STATS, "The figures for a range (county or roll-up)",
     "cases stats", f_stats, 0, stats_get, NULL},
    {"POST", "/v1/cases/recount", PERM_ADMIN, "Recompute every counter from the records",
     "cases recount", f_recount, JD_ROUTE_CONTROL_ONLY, recount_run, NULL},
};

static int cases_init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	if (host->size < sizeof(struct jd_host) || host->record_visible == NULL ||
	    host->open_rk == NULL || host->org_read == NULL || host->org_conflicts == NULL) {
		host->log(self, JD_LOG_ERR,
			  "this daemon lacks record scope, record keys or the "
			  "organization: the cases plugin needs them");
		return JD_ERR;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (host->route_add(self, &routes[i]) != JD_OK)
			return JD_ERR;
	if (decision_subscribe() != JD_OK || intake_subscribe() != JD_OK ||
	    report_declare() != JD_OK || deadlines_start() != JD_OK)
		return JD_ERR;
	host->log(self, JD_LOG_INFO, "cases plugin ready, review=%s",
		  host->config_get(self, "review", "auto"));
	return JD_OK;
}

static void cases_fini(void)
{
	deadlines_stop();
	org_cache_clear();
}

/* Who holds what by default (docs/cases.md, "Permissions"); the admin holds all. */
static const struct jd_permission permissions[] = {
    {PERM_READ, "Leads and cases in scope, their sealed subjects and allegation",
     "leader,staff,reviewer"},
    {PERM_WRITE, "Register, propose, file, assign, declare a recusal", "leader,staff"},
    {PERM_APPROVE,
     "Approve or reject proposals, decide, override a conflict check, decide recusals, "
     "shred a reporter",
     "leader"},
    {PERM_REPORTER, "Open a reporter's identity (every open audited)", "leader"},
    {PERM_STATS, "The figures for a range, a county or a roll-up", "leader,staff,viewer"},
    {PERM_ADMIN, "Recount every counter from the records", ""},
    {NULL, NULL, NULL},
};

static const struct jd_config_key config_keys[] = {
    {"disposition_days", "30", "days to dispose of a registered lead"},
    {"talk_inquiry_days", "30", "days for a talk or letter inquiry"},
    {"verification_days", "60", "days for a preliminary verification"},
    {"hold_review_days", "180", "days before a held lead is looked at again"},
    {"filing_days", "15", "days to file a case once filing is approved"},
    {"plan_days", "15", "days from filing to an approved investigation plan"},
    {"investigation_days", "90", "days for the investigation (extensions add to it)"},
    {"decision_days", "30", "days from the conclusion (or review) to the decisions"},
    {"near_days", "7", "a deadline this close is 'near' (deadline.near, cases overdue)"},
    {"check_interval_s", "3600", "seconds between two deadline sweeps"},
    {"review", "auto",
     "auto: decisions directly until a review plugin announces itself; none; required"},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "cases", .version = "0.1.0",
		 .summary = "Problem leads to filed cases, investigations and decisions, with the "
			    "figures leaders report",
		 .requires = NULL, .config = config_keys, .permissions = permissions,
		 .init = cases_init, .fini = cases_fini);
