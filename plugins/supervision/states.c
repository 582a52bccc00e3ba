/*
 * The state machines of the plugin's records, as data for the host's
 * machine (docs/supervision.md draws them).  An action not in the table for
 * the record's state answers 409 naming the allowed ones.  No state carries
 * a stage deadline of its own: the deadlines are the client's dates (an
 * item's rectification deadline, a letter's reply date, an order's due
 * date), put in the same index with deadline_put under the stages
 * "rectify", "reply" and "due".
 */
#include <stddef.h>

#include "supervision.h"

static const struct jd_transition item_table[] = {
    {"issued", "plan", "plan_filed", 0, NULL},
    {"issued", "extend", NULL, 0, NULL},
    {"plan_filed", "start", "in_progress", 0, NULL},
    {"plan_filed", "extend", NULL, 0, NULL},
    {"in_progress", "request_close", "closure_requested", 0, NULL},
    {"in_progress", "extend", NULL, 0, NULL},
    {"closure_requested", "review.passed", "reviewed", 0, NULL},
    {"closure_requested", "review.returned", "in_progress", 0, NULL},
    {"reviewed", "close", "closed", 0, NULL},
    {"closed", "lookback.passed", NULL, 0, NULL},
    {"closed", "lookback.rebound", "in_progress", 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct jd_state item_states[] = {
    {"issued", NULL, 0},      {"plan_filed", NULL, 0},
    {"in_progress", NULL, 0}, {"closure_requested", NULL, 0},
    {"reviewed", NULL, 0},    {"closed", NULL, 0},
    {NULL, NULL, 0},
};

static const struct jd_transition letter_table[] = {
    {"sent", "reply", "replied", 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct jd_state letter_states[] = {
    {"sent", NULL, 0}, {"replied", NULL, 0}, {NULL, NULL, 0}};

static const struct jd_transition task_table[] = {
    {"issued", "sign", NULL, 0, NULL},
    {"issued", "progress", NULL, 0, NULL},
    {"issued", "submit", NULL, 0, NULL},
    {"issued", "complete", "submitted", 0, NULL},
    {"submitted", "assess", NULL, 0, NULL},
    {"submitted", "assessed", "assessed", 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct jd_state task_states[] = {
    {"issued", NULL, 0}, {"submitted", NULL, 0}, {"assessed", NULL, 0}, {NULL, NULL, 0}};

static const struct jd_transition finding_table[] = {
    {"proposed", "approve", "raised", 0, NULL},
    {"proposed", "reject", "rejected", 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct jd_state finding_states[] = {
    {"proposed", NULL, 0}, {"raised", NULL, 0}, {"rejected", NULL, 0}, {NULL, NULL, 0}};

/* due_soon / overdue notices for items, replies and orders (the host's sweep) */
const struct jd_deadline_conf sup_deadlines = {
    .index = "deadlines",
    .sent = "deadlines:sent",
    .near_key = "near_days",
    .near_days = 7,
    .interval_key = "check_interval_s",
    .interval_s = 3600,
    .event_near = "supervision.due_soon",
    .event_missed = "supervision.overdue",
    .notify_action = "supervision.deadline.notify",
};

const struct jd_machine item_machine = {"item", "items", item_states, item_table, &sup_deadlines};
const struct jd_machine letter_machine = {"letter", "letters", letter_states, letter_table,
					  &sup_deadlines};
const struct jd_machine task_machine = {"task", "tasks", task_states, task_table, &sup_deadlines};
const struct jd_machine finding_machine = {"finding", "findings", finding_states, finding_table,
					   NULL};
