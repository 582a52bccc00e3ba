/*
 * The training plugin (docs/training.md): dual mentors (双导师) for new
 * cadres with eligibility enforced, growth plans (成长培养计划) from
 * versioned templates, mentoring talks (谈心谈话) and stalled pairs, courses
 * with credit hours (学时), practice records from other plugins' events, and
 * the figures of a cohort.  This file holds the descriptor, the config keys,
 * the route table, init and fini; training.h says which file holds what else.
 */
#include <stdio.h>

#include "training.h"

const struct jd_host *host;
jd_plugin_handle *self;

static const struct jd_field f_tenant[] = {JD_FIELD_TENANT, JD_FIELD_END};

static const struct jd_field f_link[] = {
    JD_FIELD_TENANT,
    {"user", JD_FIELD_STRING, 1, 64, "the user id", 0},
    {"person", JD_FIELD_STRING, 1, 64, "the person of the organization they are", 0},
    JD_FIELD_END,
};

static const struct jd_field f_mentee[] = {
    JD_FIELD_TENANT,
    {"person", JD_FIELD_STRING, 1, 64, "the new cadre (a person id of the organization)", 0},
    {"user", JD_FIELD_STRING, 0, 64, "their user id (need-to-know: they see their own plan)", 0},
    JD_FIELD_END,
};

static const struct jd_field f_suggest[] = {
    JD_FIELD_TENANT,
    {"mentee", JD_FIELD_STRING, 1, 64, "the mentee (person id)", 0},
    {"kind", JD_FIELD_STRING, 1, 16, "theory (政治理论导师) or practice (业务实践导师)", 0},
    JD_FIELD_END,
};

static const struct jd_field f_propose[] = {
    JD_FIELD_TENANT,
    {"mentee", JD_FIELD_STRING, 1, 64, "the mentee (person id)", 0},
    {"mentor", JD_FIELD_STRING, 1, 64, "the mentor (person id)", 0},
    {"kind", JD_FIELD_STRING, 1, 16, "theory or practice", 0},
    JD_FIELD_DATE("the date proposed"),
    JD_FIELD_END,
};

static const struct jd_field f_decide[] = {JD_FIELD_TENANT,
					   JD_FIELD_DATE("the date"),
					   {"reason", JD_FIELD_STRING, 0, 500, "why", 0},
					   JD_FIELD_END};

static const struct jd_field f_template[] = {
    JD_FIELD_TENANT,
    {"code", JD_FIELD_STRING, 1, 32, "the template's code", 0},
    {"name", JD_FIELD_STRING, 1, 200, "its name", 0},
    {"milestones", JD_FIELD_STRING, 1, 8000,
     "JSON array of {key, title, days (from the start date), owner: mentee|theory|practice}", 0},
    JD_FIELD_END,
};

static const struct jd_field f_plan[] = {
    JD_FIELD_TENANT,
    {"mentee", JD_FIELD_STRING, 1, 64, "the mentee (person id)", 0},
    {"template", JD_FIELD_STRING, 1, 32, "the template's code (its latest version)", 0},
    JD_FIELD_END,
};

static const struct jd_field f_milestone[] = {
    JD_FIELD_TENANT,
    {"done", JD_FIELD_STRING, 0, 10, "the date it was done (YYYY-MM-DD)", 0},
    {"notes", JD_FIELD_STRING, 0, 8000, "evidence notes (sealed)", 1},
    {"digests", JD_FIELD_STRING, 0, 1000, "attachment digests, comma-separated (sha256 hex)", 0},
    {"self_assessment", JD_FIELD_STRING, 0, 2000, "the cadre's self-assessment (sealed)", 1},
    {"score", JD_FIELD_INTEGER, 0, 0, "the mentor's score (0..100)", 0},
    JD_FIELD_END,
};

static const struct jd_field f_talk[] = {
    JD_FIELD_TENANT,
    {"pair", JD_FIELD_STRING, 1, 64, "the pairing", 0},
    JD_FIELD_DATE("the date of the talk"),
    {"notes", JD_FIELD_STRING, 0, 8000, "what was said (sealed)", 1},
    JD_FIELD_END,
};

static const struct jd_field f_course[] = {
    JD_FIELD_TENANT,
    {"code", JD_FIELD_STRING, 1, 32, "the course's code", 0},
    {"name", JD_FIELD_STRING, 1, 200, "its name", 0},
    {"capacity", JD_FIELD_INTEGER, 1, 0, "seats (1..1000); beyond, a waiting list", 0},
    {"trainers", JD_FIELD_STRING, 0, 256, "the trainers' user ids, comma-separated", 0},
    JD_FIELD_END,
};

static const struct jd_field f_session[] = {
    JD_FIELD_TENANT,
    {"date", JD_FIELD_STRING, 1, 10, "the session's date (YYYY-MM-DD)", 0},
    {"hours", JD_FIELD_INTEGER, 1, 0, "credit hours (学时) it gives (1..40)", 0},
    JD_FIELD_END,
};

static const struct jd_field f_enrol[] = {
    JD_FIELD_TENANT,
    {"person", JD_FIELD_STRING, 1, 64, "the cadre (person id)", 0},
    JD_FIELD_DATE("the date of enrolment"),
    {"withdraw", JD_FIELD_BOOLEAN, 0, 0, "true: leave the course (the first waiting moves up)", 0},
    JD_FIELD_END,
};

static const struct jd_field f_attend[] = {
    JD_FIELD_TENANT,
    {"session", JD_FIELD_INTEGER, 1, 0, "the session's number", 0},
    {"person", JD_FIELD_STRING, 1, 64, "the cadre (person id)", 0},
    {"mark", JD_FIELD_STRING, 1, 16, "present, late, excused or absent", 0},
    JD_FIELD_END,
};

static const struct jd_field f_hours[] = {
    JD_FIELD_TENANT,
    {"person", JD_FIELD_STRING, 0, 64, "one cadre (default: all)", 0},
    {"year", JD_FIELD_INTEGER, 0, 0, "the year (default this year)", 0},
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
    JD_FIELD_TENANT, {"fix", JD_FIELD_BOOLEAN, 0, 0, "correct the drift found", 0}, JD_FIELD_END};

#define PAIR   "/v1/training/pairs/{id}"
#define COURSE "/v1/training/courses/{id}"

static const struct jd_route routes[] = {
    {"POST", "/v1/training/links", PERM_APPROVE, "Link a user to their person (need-to-know)",
     "training link", f_link, 0, link_user, NULL},
    {"POST", "/v1/training/mentees", PERM_WRITE, "Register a new cadre as a mentee",
     "training mentees add", f_mentee, 0, mentee_add, NULL},
    {"GET", "/v1/training/mentees/{id}", PERM_READ, "Show a mentee and their mentors",
     "training mentees show", f_tenant, 0, mentee_show, NULL},
    {"GET", "/v1/training/suggest", PERM_WRITE,
     "Rank the eligible mentors of a kind and say why the others are not", "training suggest",
     f_suggest, 0, mentor_suggest, NULL},
    {"POST", "/v1/training/pairs", PERM_WRITE, "Propose a mentor (eligibility enforced)",
     "training pairs propose", f_propose, 0, pair_propose, NULL},
    {"POST", PAIR "/approve", PERM_APPROVE, "Approve a proposed pairing", "training pairs approve",
     f_decide, 0, pair_approve, NULL},
    {"POST", PAIR "/reject", PERM_APPROVE, "Reject a proposed pairing", "training pairs reject",
     f_decide, 0, pair_reject, NULL},
    {"POST", PAIR "/end", PERM_APPROVE, "End a pairing (before its term: a reason, flagged)",
     "training pairs end", f_decide, 0, pair_end, NULL},
    {"GET", "/v1/training/flags", PERM_READ,
     "New cadres without both mentors after N days, pairings ended early", "training flags",
     f_tenant, 0, flags_list, NULL},
    {"POST", "/v1/training/templates", PERM_APPROVE,
     "Add a growth-plan template or a new version of it", "training templates add", f_template, 0,
     template_add, NULL},
    {"POST", "/v1/training/plans", PERM_WRITE, "Start a mentee's growth plan from a template",
     "training plans add", f_plan, 0, plan_add, NULL},
    {"GET", "/v1/training/plans/{id}", PERM_READ, "Show a plan (need-to-know; notes audited)",
     "training plans show", f_tenant, 0, plan_show, NULL},
    {"POST", "/v1/training/plans/{id}/milestones/{n}", PERM_READ,
     "Record a milestone: done, evidence, self-assessment (mentee), score (mentor)",
     "training plans milestone", f_milestone, 0, milestone_update, NULL},
    {"POST", "/v1/training/talks", PERM_READ, "Record a mentoring talk (the pair's mentor)",
     "training talks add", f_talk, 0, talk_add, NULL},
    {"GET", "/v1/training/stalled", PERM_READ,
     "Stalled pairs and overdue milestones (the weekly digest's content)", "training stalled",
     f_tenant, 0, stalled_list, NULL},
    {"POST", "/v1/training/digest", PERM_APPROVE, "Publish the digest event now", "training digest",
     f_tenant, 0, digest_now, NULL},
    {"POST", "/v1/training/courses", PERM_TRAIN, "Add a course", "training courses add", f_course,
     0, course_add, NULL},
    {"GET", COURSE, PERM_READ, "Show a course: sessions, enrolled, waiting, attendance",
     "training courses show", f_tenant, 0, course_show, NULL},
    {"POST", COURSE "/sessions", PERM_TRAIN, "Add a session with its credit hours",
     "training courses session", f_session, 0, session_add, NULL},
    {"POST", COURSE "/enrol", PERM_WRITE, "Enrol (or withdraw); full: the waiting list",
     "training courses enrol", f_enrol, 0, course_enrol, NULL},
    {"POST", COURSE "/attendance", PERM_TRAIN, "Mark attendance at a session",
     "training courses attend", f_attend, 0, course_attend, NULL},
    {"GET", "/v1/training/hours", PERM_READ, "Credit hours for the year against the requirement",
     "training hours", f_hours, 0, hours_get, NULL},
    {"GET", "/v1/training/stats", PERM_STATS, "The figures for a range (county or roll-up)",
     "training stats", f_stats, 0, stats_get, NULL},
    {"POST", "/v1/training/recount", PERM_ADMIN, "Recompute every counter from the records",
     "training recount", f_recount, JD_ROUTE_CONTROL_ONLY, recount_route, NULL},
};

static int training_init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	if (host->size < sizeof(struct jd_host) || host->req_ctx == NULL) {
		host->log(self, JD_LOG_ERR,
			  "this daemon lacks the domain services the training "
			  "plugin needs");
		return JD_ERR;
	}
	if (metrics_init() != JD_OK)
		return JD_ERR;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (host->route_add(self, &routes[i]) != JD_OK)
			return JD_ERR;
	if (practice_subscribe() != JD_OK || report_declare() != JD_OK || digest_start() != JD_OK)
		return JD_ERR;
	host->log(self, JD_LOG_INFO, "training plugin ready");
	return JD_OK;
}

static void training_fini(void)
{
	digest_stop();
}

static const struct jd_permission permissions[] = {
    {PERM_READ, "Plans, talks and courses on a need-to-know basis (sealed notes audited)",
     "leader,staff,trainer"},
    {PERM_WRITE, "Register mentees, propose mentors, start plans, enrol", "leader,staff"},
    {PERM_APPROVE, "Approve, reject or end pairings; templates; links; the digest", "leader"},
    {PERM_TRAIN, "Courses, sessions and attendance", "leader,trainer"},
    {PERM_STATS, "The figures for a range, a county or a roll-up", "leader,staff,viewer"},
    {PERM_ADMIN, "Recount every counter from the records", ""},
    {NULL, NULL, NULL},
};

static const struct jd_config_key config_keys[] = {
    {"min_years", "3", "full years in discipline work a mentor needs (from their start date)"},
    {"capacity", "3", "mentees per mentor of each kind (proposed and active)"},
    {"theory_posts", "leader,head,deputy", "posts a theory mentor may hold (empty: any)"},
    {"practice_posts", "", "posts a practice mentor may hold (empty: any)"},
    {"match_days", "30",
     "a new cadre without both mentors this many days after the start is "
     "flagged"},
    {"term_days", "365", "a pairing ended before this many days ends early (reason, flag)"},
    {"stall_days", "30", "a pair with no talk for this many days is stalled"},
    {"digest_interval_s", "604800", "seconds between two digests (weekly)"},
    {"hours_required", "40", "credit hours (学时) a cadre needs in a year"},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "training", .version = "0.1.0",
		 .summary = "Dual mentors for new cadres, growth plans, mentoring talks, courses "
			    "with credit hours, and the figures of a cohort",
		 .requires = NULL, .config = config_keys, .permissions = permissions,
		 .init = training_init, .fini = training_fini);
