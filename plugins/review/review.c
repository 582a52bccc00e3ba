/*
 * The review plugin (案件审理): a concluded investigation, sent by the
 * cases plugin as the durable event case.investigation_concluded, is
 * reviewed by a separate office (查审分离): accepted on a one-month clock,
 * checked per person by a panel that did not investigate it, returned
 * for supplementary investigation or reinvestigation, decided by the
 * leadership, and sent back to the case (review.completed) with the
 * sanctions per person; appeals reopen it before a new panel
 * (docs/review.md).
 *
 * This file holds the descriptor, permissions, config keys, route table,
 * init and fini; review.h says which file holds what else.
 */
#include <stdio.h>

#include "review.h"

const struct jd_host *host;
jd_plugin_handle *self;

#define F_PERSON                                                                                   \
	{                                                                                          \
		"person", JD_FIELD_INTEGER, 1, 0, "the person of the case, by number", 0           \
	}

static const struct jd_field f_tenant[] = {JD_FIELD_TENANT, JD_FIELD_END};
static const struct jd_field f_dated[] = {JD_FIELD_TENANT, JD_FIELD_VERSION,
					  JD_FIELD_DATE("the step's date"), JD_FIELD_END};
static const struct jd_field f_list[] = {
    JD_FIELD_TENANT,
    {"state", JD_FIELD_STRING, 0, 24, "only reviews in this state", 0},
    JD_FIELD_END};
static const struct jd_field f_missing[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    JD_FIELD_DATE("when the materials were asked for"),
    {"missing", JD_FIELD_STRING, 1, 2000, "the materials the file lacks", 0},
    JD_FIELD_END};
#define F_PANEL                                                                                    \
	JD_FIELD_TENANT, JD_FIELD_VERSION, JD_FIELD_DATE("the date assigned"),                     \
	    {"lead", JD_FIELD_STRING, 1, 64, "the lead reviewer's user id", 0},                    \
	{                                                                                          \
		"members", JD_FIELD_STRING, 1, 600,                                                \
		    "the other reviewers' user ids, comma-separated", 0                            \
	}
static const struct jd_field f_panel[] = {F_PANEL, JD_FIELD_END};
static const struct jd_field f_override[] = {
    F_PANEL,
    {"reason", JD_FIELD_STRING, 1, 500, "why the admin assigns, not the office's head", 0},
    JD_FIELD_END,
};
static const struct jd_field f_recuse[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"user", JD_FIELD_STRING, 1, 64, "the reviewer recused", 0},
    {"reason", JD_FIELD_STRING, 1, 500, "why", 0},
    JD_FIELD_END};
static const struct jd_field f_work[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    F_PERSON,
    JD_FIELD_DATE("the date of the finding"),
    {"facts", JD_FIELD_STRING, 1, 16, "confirmed or not_confirmed (事实认定)", 0},
    {"evidence", JD_FIELD_STRING, 1, 16, "sufficient or insufficient", 0},
    {"procedure", JD_FIELD_STRING, 1, 16, "lawful or unlawful", 0},
    {"characterization", JD_FIELD_STRING, 1, 64, "the characterization (定性), a code", 0},
    {"party", JD_FIELD_STRING, 0, 32,
     "none, warning, serious_warning, removal_from_party_post, probation or expulsion", 0},
    {"government", JD_FIELD_STRING, 0, 32,
     "none, warning, demerit, major_demerit, demotion, dismissal or expulsion", 0},
    {"form", JD_FIELD_STRING, 0, 2, "the four forms class f1..f4 (default: from the sanction)", 0},
    {"change_reason", JD_FIELD_STRING, 0, 1000,
     "why the panel departs from the investigators' characterization or sanction", 0},
    JD_FIELD_END,
};
static const struct jd_field f_talk[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    F_PERSON,
    JD_FIELD_DATE("the date of the talk"),
    {"notes", JD_FIELD_STRING, 1, 20000, "the talk's notes (sealed)", 1},
    JD_FIELD_END};
static const struct jd_field f_waive[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    F_PERSON,
    JD_FIELD_DATE("the date of the waiver"),
    {"reason", JD_FIELD_STRING, 1, 500, "why the review talk is waived (audited)", 0},
    JD_FIELD_END};
static const struct jd_field f_return[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    JD_FIELD_DATE("the date returned"),
    {"kind", JD_FIELD_STRING, 1, 16, "supplementary (补充调查) or reinvestigation (重新调查)", 0},
    {"why", JD_FIELD_STRING, 0, 32,
     "facts_unclear, evidence_insufficient, procedure_flawed, characterization_wrong or other", 0},
    {"reason", JD_FIELD_STRING, 1, 1000, "what the investigators must do", 0},
    {"days", JD_FIELD_INTEGER, 0, 0, "days for the supplementary investigation", 0},
    JD_FIELD_END,
};
static const struct jd_field f_meeting[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    JD_FIELD_DATE("the date of the meeting"),
    {"result", JD_FIELD_STRING, 1, 8, "agreed (to the leadership) or back (to the panel)", 0},
    JD_FIELD_END};
static const struct jd_field f_propose[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"action", JD_FIELD_STRING, 1, 8, "decide or extend", 0},
    {"days", JD_FIELD_INTEGER, 0, 0, "extend: days added (default extension_days)", 0},
    {"reason", JD_FIELD_STRING, 0, 500, "why", 0},
    JD_FIELD_END,
};
static const struct jd_field f_approve[] = {
    JD_FIELD_TENANT, JD_FIELD_VERSION, JD_FIELD_DATE("the date of the approval"), JD_FIELD_END};
static const struct jd_field f_reject[] = {
    JD_FIELD_TENANT, JD_FIELD_VERSION, {"reason", JD_FIELD_STRING, 0, 500, "why", 0}, JD_FIELD_END};
static const struct jd_field f_appeal[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    F_PERSON,
    JD_FIELD_DATE("the date the appeal was received"),
    {"reason", JD_FIELD_STRING, 1, 1000, "the grounds of the appeal (申诉)", 0},
    JD_FIELD_END};
static const struct jd_field f_stats[] = {
    JD_FIELD_TENANT,
    {"from", JD_FIELD_STRING, 1, 10, "first day (YYYY-MM-DD)", 0},
    {"to", JD_FIELD_STRING, 1, 10, "last day (YYYY-MM-DD)", 0},
    {"unit", JD_FIELD_STRING, 0, 64, "only this unit (the case's filing unit; county only)", 0},
    {"group", JD_FIELD_STRING, 0, 64, "only this group's units (county only)", 0},
    {"compare", JD_FIELD_STRING, 0, 16, "previous-year: the same range a year earlier", 0},
    JD_FIELD_END,
};
static const struct jd_field f_recount[] = {
    JD_FIELD_TENANT, {"fix", JD_FIELD_BOOLEAN, 0, 0, "correct the drift found", 0}, JD_FIELD_END};
static const struct jd_field f_overdue[] = {
    JD_FIELD_TENANT,
    {"days", JD_FIELD_INTEGER, 0, 0, "also what is due within this many days", 0},
    JD_FIELD_END};

static const int over = 1;

#define R "/v1/review/reviews/{id}"

static const struct jd_route routes[] = {
    {"GET", "/v1/review/reviews", PERM_READ, "List the latest reviews you may see",
     "review reviews list", f_list, 0, review_list, NULL},
    {"GET", R, PERM_READ, "Show a review (findings, work, returns, decision)",
     "review reviews show", f_tenant, 0, review_show, NULL},
    {"POST", R "/accept", PERM_MANAGE, "Accept the file (受理): the one-month clock starts",
     "review reviews accept", f_dated, 0, review_accept, NULL},
    {"POST", R "/missing", PERM_MANAGE, "Ask for the materials the file lacks",
     "review reviews missing", f_missing, 0, review_missing, NULL},
    {"POST", R "/supplied", PERM_SUPPLY, "The missing materials were supplied",
     "review reviews supplied", f_dated, 0, review_supplied, NULL},
    {"POST", R "/panel", PERM_ASSIGN, "Assign the panel (separation of duties enforced)",
     "review reviews panel", f_panel, 0, panel_assign, NULL},
    {"POST", R "/panel-override", PERM_ADMIN,
     "The instance admin assigns the panel instead of the office's head (reason audited)",
     "review reviews panel-override", f_override, 0, panel_override, NULL},
    {"POST", R "/recuse", PERM_ASSIGN, "A reviewer recuses: off the panel, on the deny list",
     "review reviews recuse", f_recuse, 0, panel_recuse, NULL},
    {"POST", R "/work", PERM_WORK, "Record the review work on one person", "review reviews work",
     f_work, 0, work_record, NULL},
    {"POST", R "/talk", PERM_WORK, "Record a review talk with one person (notes sealed)",
     "review reviews talk", f_talk, 0, work_talk, NULL},
    {"POST", R "/talk-waive", PERM_APPROVE, "Waive the review talk with one person (audited)",
     "review reviews talk-waive", f_waive, 0, work_talk_waive, NULL},
    {"POST", R "/return", PERM_MANAGE,
     "Return the case for supplementary investigation or "
     "reinvestigation",
     "review reviews return", f_return, 0, review_return, NULL},
    {"POST", R "/return-over", PERM_APPROVE, "Return beyond max_returns (a leader's approval)",
     "review reviews return-over", f_return, 0, review_return, (void *)&over},
    {"POST", R "/opinion", PERM_WORK, "The panel's opinion (lead reviewer)",
     "review reviews opinion", f_dated, 0, review_opinion, NULL},
    {"POST", R "/meeting", PERM_MANAGE, "The review office meeting's result",
     "review reviews meeting", f_meeting, 0, review_meeting, NULL},
    {"POST", R "/propose", PERM_MANAGE, "Propose the decision or the clock's extension",
     "review reviews propose", f_propose, 0, review_propose, NULL},
    {"POST", R "/approve", PERM_APPROVE, "Approve what the review awaits (leadership)",
     "review reviews approve", f_approve, 0, review_approve, NULL},
    {"POST", R "/reject", PERM_APPROVE, "Reject what the review awaits", "review reviews reject",
     f_reject, 0, review_reject, NULL},
    {"POST", R "/appeal", PERM_MANAGE, "An appeal (申诉): a new review before a new panel",
     "review reviews appeal", f_appeal, 0, appeal_open, NULL},
    {"GET", "/v1/review/overdue", PERM_READ, "Reviews late or due within N days", "review overdue",
     f_overdue, 0, review_overdue, NULL},
    {"GET", "/v1/review/stats", PERM_STATS, "The review figures for a range (county or roll-up)",
     "review stats", f_stats, 0, review_stats, NULL},
    {"POST", "/v1/review/recount", PERM_ADMIN, "Recompute every review counter from the records",
     "review recount", f_recount, JD_ROUTE_CONTROL_ONLY, review_recount, NULL},
};

static int review_init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	if (host->size < sizeof(struct jd_host) || host->on_event == NULL ||
	    host->org_conflicts == NULL || host->record_visible == NULL) {
		host->log(self, JD_LOG_ERR,
			  "this daemon lacks durable events, the organization or "
			  "record scope: the review plugin needs them");
		return JD_ERR;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (host->route_add(self, &routes[i]) != JD_OK)
			return JD_ERR;
	if (receive_subscribe() != JD_OK || report_declare() != JD_OK ||
	    review_sweep_start() != JD_OK)
		return JD_ERR;
	/* the cases plugin sends new concluded cases to review from now on */
	return host->publish(self, "review.ready", json_object());
}

static void review_fini(void)
{
	review_sweep_stop();
}

static const struct jd_permission permissions[] = {
    {PERM_READ, "Reviews in scope", "leader,reviewer"},
    {PERM_MANAGE, "Accept, ask for materials, return, hold the meeting, propose, open appeals",
     "leader,reviewer"},
    {PERM_WORK, "Review work, talks and the panel's opinion (panel members)", "leader,reviewer"},
    {PERM_ASSIGN, "Assign the panel and decide recusals (the review office's head)", "leader"},
    {PERM_APPROVE, "Approve decisions and extensions, waive talks, return beyond the limit",
     "leader"},
    {PERM_SUPPLY, "Report missing materials supplied (the investigators)", "leader,staff"},
    {PERM_STATS, "The review figures", "leader,reviewer,viewer"},
    {PERM_ADMIN, "Recount the review counters; assign a panel in the head's stead", ""},
    {NULL, NULL, NULL},
};

static const struct jd_config_key config_keys[] = {
    {"max_returns", "2", "returns after which a further return needs a leader"},
    {"supplementary_days", "30", "default days of a supplementary investigation"},
    {"extension_days", "30", "default days of the clock's one extension"},
    {"near_days", "7", "a deadline this close is due soon (review.due_soon)"},
    {"check_interval_s", "3600", "seconds between two deadline sweeps"},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "review", .version = "0.1.0",
		 .summary = "Case review (案件审理): a separate office checks facts, evidence, "
			    "procedure and sanction, and sends the decision back to the case",
		 .requires = NULL, .config = config_keys, .permissions = permissions,
		 .init = review_init, .fini = review_fini);
