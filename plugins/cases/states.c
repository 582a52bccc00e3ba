/*
 * The state machines of leads and cases, as data for the host's machine
 * (docs/cases.md draws them).  A row is one allowed action from one
 * state; an action not in the table for the record's state answers 409
 * naming the allowed ones.  Actions marked `approval` are proposed (by
 * staff or a leader) and take effect when a leader approves them.  A
 * lead's tag is the way it is counted as disposed (counters.c).  A
 * state's deadline is a config key of [plugin.cases] and its default
 * days (deadlines.c).
 */
#include <stddef.h>

#include "cases.h"

static const struct jd_transition lead_table[] = {
    {"registered", "dispose.talk_inquiry", "inquiring", 1, "talk_inquiry"},
    {"registered", "dispose.prelim_verification", "verifying", 1, "prelim_verification"},
    {"registered", "dispose.hold_pending", "held", 1, "hold_pending"},
    {"registered", "dispose.close", "closed", 1, "close"},
    {"registered", "extend", NULL, 1, NULL},
    {"inquiring", "outcome.cleared", "concluded", 1, NULL},
    {"inquiring", "outcome.reminder", "concluded", 1, NULL},
    {"inquiring", "outcome.criticism", "concluded", 1, NULL},
    /* escalating to verification is a new disposition (counted as such) */
    {"inquiring", "outcome.escalate", "verifying", 1, "prelim_verification"},
    {"inquiring", "extend", NULL, 1, NULL},
    {"verifying", "outcome.file", "to_file", 1, NULL},
    {"verifying", "outcome.close", "closed", 1, NULL},
    {"verifying", "outcome.hold", "held", 1, NULL},
    {"verifying", "extend", NULL, 1, NULL},
    {"held", "reactivate", "registered", 0, NULL},
    {"held", "extend", NULL, 1, NULL},
    {"to_file", "file", "filed", 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct jd_transition case_table[] = {
    {"filed", "plan", "investigating", 1, NULL},
    {"filed", "extend", NULL, 1, NULL},
    {"investigating", "measure", NULL, 1, NULL},
    {"investigating", "extend", NULL, 1, NULL},
    {"investigating", "conclude", "concluded", 1, NULL},
    /* the review plugin's events (decision.c) */
    {"concluded", "review.accept", "in_review", 0, NULL},
    {"concluded", "decide", "decided", 0, NULL},
    {"concluded", "extend", NULL, 1, NULL},
    {"in_review", "review.return", "investigating", 0, NULL},
    {"in_review", "review.done", "reviewed", 0, NULL},
    {"reviewed", "decide", "decided", 0, NULL},
    {"reviewed", "extend", NULL, 1, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct jd_state lead_states[] = {
    {"registered", "disposition_days", 30},
    {"inquiring", "talk_inquiry_days", 30},
    {"verifying", "verification_days", 60},
    {"held", "hold_review_days", 180},
    {"to_file", "filing_days", 15},
    {"filed", NULL, 0},
    {"closed", NULL, 0},
    {"concluded", NULL, 0},
    {NULL, NULL, 0},
};

static const struct jd_state case_states[] = {
    {"filed", "plan_days", 15},
    {"investigating", "investigation_days", 90},
    {"concluded", "decision_days", 30},
    {"in_review", NULL, 0},
    {"reviewed", "decision_days", 30},
    {"decided", NULL, 0},
    {NULL, NULL, 0},
};

/* The stages' deadlines: one index per tenant for leads and cases (deadlines.c). */
const struct jd_deadline_conf cases_deadlines = {
    .index = "deadlines",
    .sent = "deadlines:sent",
    .near_key = "near_days",
    .near_days = 7,
    .interval_key = "check_interval_s",
    .interval_s = 3600,
    .event_near = "deadline.near",
    .event_missed = "deadline.missed",
    .notify_action = "cases.deadline.notify",
};

const struct jd_machine lead_machine = {"lead", "leads", lead_states, lead_table, &cases_deadlines};
const struct jd_machine case_machine = {"case", "cases", case_states, case_table, &cases_deadlines};

const struct jd_machine *machine_of(enum rec_kind k)
{
	return k == KIND_LEAD ? &lead_machine : &case_machine;
}
