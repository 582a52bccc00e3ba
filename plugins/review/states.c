/*
 * The review record's state machine, as data for the host's machine
 * (docs/review.md draws it).  A row is one allowed action from one state;
 * any other answers 409 naming the allowed ones.  The decision and an
 * extension are proposed and take effect when a leader approves them.
 * The one-month clock is not a state's deadline: it runs across
 * accepted, opinion and meeting and pauses while the case is returned
 * (clock.c keeps it as stage "clock" of the same deadline index).
 */
#include <stddef.h>

#include "review.h"

static const struct jd_transition table[] = {
    {"received", "accept", "accepted", 0, NULL},
    {"received", "missing", "awaiting_materials", 0, NULL},
    {"awaiting_materials", "supplied", "received", 0, NULL},
    {"accepted", "panel", NULL, 0, NULL},
    {"accepted", "recuse", NULL, 0, NULL},
    {"accepted", "work", NULL, 0, NULL},
    {"accepted", "talk", NULL, 0, NULL},
    {"accepted", "return", "returned", 0, NULL},
    {"accepted", "opinion", "opinion", 0, NULL},
    {"accepted", "extend", NULL, 1, NULL},
    {"returned", "resume", "accepted", 0, NULL},
    {"opinion", "meeting", "meeting", 0, NULL},
    {"opinion", "back", "accepted", 0, NULL},
    {"opinion", "extend", NULL, 1, NULL},
    {"meeting", "decide", "completed", 1, NULL},
    {"meeting", "extend", NULL, 1, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct jd_state states[] = {
    {"received", NULL, 0},  {"awaiting_materials", NULL, 0},
    {"accepted", NULL, 0},  {"returned", NULL, 0},
    {"opinion", NULL, 0},   {"meeting", NULL, 0},
    {"completed", NULL, 0}, {NULL, NULL, 0},
};

/* The clock's and a supplementary investigation's deadlines; the host's sweep. */
const struct jd_deadline_conf review_deadlines = {
    .index = "reviews:deadlines",
    .sent = "reviews:deadlines:sent",
    .near_key = "near_days",
    .near_days = 7,
    .interval_key = "check_interval_s",
    .interval_s = 3600,
    .event_near = "review.due_soon",
    .event_missed = "review.overdue",
    .notify_action = "review.deadline.notify",
};

const struct jd_machine review_machine = {"review", "reviews", states, table, &review_deadlines};
