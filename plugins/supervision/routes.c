/*
 * The route table: every route is also a jianductl command (its `command`
 * words), with one --flag per field.  docs/supervision.md lists them.
 */
#include <stddef.h>

#include "supervision.h"

#define F_GROUPS                                                                                   \
	{                                                                                          \
		"groups", JD_FIELD_STRING, 0, 256, "groups that see it, comma-separated", 0        \
	}
/* a finding's subject beyond the name (sealed): findings add and a rebound's finding */
#define F_SUBJECT_MORE                                                                             \
	{"subject_id_number", JD_FIELD_STRING, 0, 32, "the subject's ID number (sealed)", 1},      \
	    {"subject_post", JD_FIELD_STRING, 0, 200, "the subject's post (sealed)", 1},           \
	{                                                                                          \
		"subject_employer", JD_FIELD_STRING, 0, 200, "the subject's employer (sealed)", 1  \
	}
#define F_IDEM                                                                                     \
	{                                                                                          \
		"idempotency_key", JD_FIELD_STRING, 0, 64, "retry key: a retry returns the first", \
		    0                                                                              \
	}

static const struct jd_field f_tenant[] = {JD_FIELD_TENANT, JD_FIELD_END};

static const struct jd_field f_item_add[] = {
    JD_FIELD_TENANT,
    {"unit", JD_FIELD_STRING, 1, 64, "the unit that must rectify (a unit code)", 0},
    {"issuer", JD_FIELD_STRING, 1, 64, "the issuing unit: it reviews and closes the item", 0},
    {"title", JD_FIELD_STRING, 1, 500, "the problem to rectify", 0},
    {"responsible", JD_FIELD_STRING, 0, 100, "the responsible person", 0},
    {"deadline", JD_FIELD_STRING, 1, 10, "the rectification deadline (YYYY-MM-DD)", 0},
    {"source", JD_FIELD_STRING, 0, 80,
     "where it comes from: task:<id>, talk:<id>, letter:<number>, item:<id> (look-back)", 0},
    JD_FIELD_DATE("the date issued"),
    F_GROUPS,
    F_IDEM,
    JD_FIELD_END,
};

static const struct jd_field f_plan[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"plan", JD_FIELD_STRING, 1, 4000, "the rectification plan", 0},
    JD_FIELD_DATE("the date filed"),
    JD_FIELD_END};
static const struct jd_field f_start[] = {JD_FIELD_TENANT, JD_FIELD_VERSION,
					  JD_FIELD_DATE("the date started"), JD_FIELD_END};
static const struct jd_field f_request_close[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"evidence", JD_FIELD_STRING, 1, 4000, "what shows it is rectified", 0},
    JD_FIELD_DATE("the date requested"),
    JD_FIELD_END};
static const struct jd_field f_review[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"result", JD_FIELD_STRING, 1, 16, "passed or returned", 0},
    {"reason", JD_FIELD_STRING, 0, 1000, "why it is returned (required then)", 0},
    JD_FIELD_DATE("the date reviewed"),
    JD_FIELD_END,
};
static const struct jd_field f_close[] = {JD_FIELD_TENANT, JD_FIELD_VERSION,
					  JD_FIELD_DATE("the date closed (销号)"), JD_FIELD_END};
static const struct jd_field f_extend[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"days", JD_FIELD_INTEGER, 1, 0, "days added to the deadline (1..365)", 0},
    {"reason", JD_FIELD_STRING, 1, 500, "why", 0},
    JD_FIELD_DATE("the date requested"),
    JD_FIELD_END,
};
static const struct jd_field f_extension[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"approve", JD_FIELD_BOOLEAN, 1, 0, "true: approved; false: refused", 0},
    JD_FIELD_DATE("the date decided"),
    JD_FIELD_END};
static const struct jd_field f_lookback[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"result", JD_FIELD_STRING, 1, 16, "passed or rebound (反弹: reopens the item)", 0},
    {"deadline", JD_FIELD_STRING, 0, 10, "the new deadline after a rebound (YYYY-MM-DD)", 0},
    {"subject_name", JD_FIELD_STRING, 0, 100,
     "a rebound's accountability finding (问责): the subject's name (sealed)", 1},
    F_SUBJECT_MORE,
    {"allegation", JD_FIELD_STRING, 0, 8000,
     "what is alleged (sealed): with subject_name, the rebound raises the finding at once", 1},
    JD_FIELD_DATE("the date of the re-check (on or after the look-back date)"),
    JD_FIELD_END,
};

static const struct jd_field f_talk_add[] = {
    JD_FIELD_TENANT,
    {"unit", JD_FIELD_STRING, 1, 64, "the unit that held the talk (a unit code)", 0},
    {"supervised", JD_FIELD_STRING, 1, 200, "the supervised unit talked to", 0},
    {"persons", JD_FIELD_INTEGER, 1, 0, "persons talked to (person-times)", 0},
    {"leaders", JD_FIELD_INTEGER, 0, 0, "of them leadership members (班子成员)", 0},
    {"key_posts", JD_FIELD_INTEGER, 0, 0, "of them key posts (关键岗位)", 0},
    {"reason", JD_FIELD_STRING, 1, 500, "why", 0},
    {"held_by", JD_FIELD_STRING, 0, 200, "who held it", 0},
    {"content", JD_FIELD_STRING, 0, 20000, "what was said (sealed)", 1},
    {"problems", JD_FIELD_STRING, 0, 8000,
     "problems found, one per line or ';'-separated: each a rectification item", 0},
    {"rectifier", JD_FIELD_STRING, 0, 64, "the unit that rectifies them (with problems)", 0},
    {"rectify_by", JD_FIELD_STRING, 0, 10, "the items' deadline (with problems)", 0},
    JD_FIELD_DATE("the date held"),
    F_GROUPS,
    F_IDEM,
    JD_FIELD_END,
};

static const struct jd_field f_letter_add[] = {
    JD_FIELD_TENANT,
    {"kind", JD_FIELD_STRING, 1, 16, "prompt (提示函) or recommendation (纪检监察建议)", 0},
    {"unit", JD_FIELD_STRING, 1, 64, "the issuing unit (a unit code)", 0},
    {"supervised", JD_FIELD_STRING, 1, 200, "the supervised unit it goes to", 0},
    {"problems", JD_FIELD_STRING, 0, 8000,
     "the problems found, one per line or ';'-separated: each a rectification item", 0},
    {"rectifier", JD_FIELD_STRING, 0, 64, "the unit that rectifies them (with problems)", 0},
    {"rectify_by", JD_FIELD_STRING, 0, 10, "the items' deadline (default: reply_due)", 0},
    {"reply_due", JD_FIELD_STRING, 1, 10, "when the written reply is due (YYYY-MM-DD)", 0},
    JD_FIELD_DATE("the date sent"),
    F_GROUPS,
    F_IDEM,
    JD_FIELD_END,
};
static const struct jd_field f_letter_reply[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"reply", JD_FIELD_STRING, 0, 8000, "the unit's written reply", 0},
    JD_FIELD_DATE("the date the reply came"),
    JD_FIELD_END};

static const struct jd_field f_rule_add[] = {
    JD_FIELD_TENANT,
    {"unit", JD_FIELD_STRING, 1, 64, "the unit that adopted it", 0},
    {"title", JD_FIELD_STRING, 1, 500, "the rule", 0},
    {"links", JD_FIELD_STRING, 0, 1000, "item:<id>, letter:<number> that caused it", 0},
    JD_FIELD_DATE("the date adopted"),
    F_GROUPS,
    F_IDEM,
    JD_FIELD_END,
};

static const struct jd_field f_task_add[] = {
    JD_FIELD_TENANT,
    {"group", JD_FIELD_STRING, 1, 64, "the issuing group (task force, area, joint group, matter)",
     0},
    {"title", JD_FIELD_STRING, 1, 500, "the task", 0},
    {"kind", JD_FIELD_STRING, 1, 32,
     "coordinated_supervision, joint_case_handling or special_rectification", 0},
    {"period", JD_FIELD_STRING, 0, 16, "the period of the task list (e.g. 2026-03)", 0},
    {"units", JD_FIELD_STRING, 0, 512, "the receiving units, comma-separated", 0},
    {"sub_groups", JD_FIELD_STRING, 0, 512,
     "the receiving sub-groups of the group, comma-separated", 0},
    {"lead_unit", JD_FIELD_STRING, 0, 64, "the lead unit (default: the group's policy)", 0},
    {"due", JD_FIELD_STRING, 1, 10, "the due date (YYYY-MM-DD)", 0},
    JD_FIELD_DATE("the date dispatched"),
    F_IDEM,
    JD_FIELD_END,
};
static const struct jd_field f_task_unit[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"unit", JD_FIELD_STRING, 1, 64, "the receiving unit or sub-group", 0},
    {"note", JD_FIELD_STRING, 0, 4000, "progress or result", 0},
    JD_FIELD_DATE("the date"),
    JD_FIELD_END};
#define F_ASSESS                                                                                   \
	JD_FIELD_TENANT, JD_FIELD_VERSION,                                                         \
	    {"unit",                                                                               \
	     JD_FIELD_STRING,                                                                      \
	     0,                                                                                    \
	     64,                                                                                   \
	     "the unit or sub-group assessed (not for a 1+N matter: one for all)",                 \
	     0},                                                                                   \
	    {"score", JD_FIELD_INTEGER, 1, 0, "the score (0..100)", 0},                            \
	    {"comment", JD_FIELD_STRING, 0, 2000, "the leader's comment", 0},                      \
	    JD_FIELD_DATE("the date assessed")
static const struct jd_field f_task_assess[] = {F_ASSESS, JD_FIELD_END};
static const struct jd_field f_task_assess_override[] = {
    F_ASSESS,
    {"reason", JD_FIELD_STRING, 1, 500, "why the admin assesses, not the group leader", 0},
    JD_FIELD_END,
};

static const struct jd_field f_finding_add[] = {
    JD_FIELD_TENANT,
    {"source", JD_FIELD_STRING, 1, 80,
     "the record: item:<id>, talk:<id>, letter:<number>, task:<id>, rule:<id>", 0},
    {"unit", JD_FIELD_STRING, 1, 64, "the unit that found it (the lead's receiving unit)", 0},
    {"subject_name", JD_FIELD_STRING, 1, 100, "the subject's name (sealed)", 1},
    F_SUBJECT_MORE,
    {"allegation", JD_FIELD_STRING, 1, 8000, "what is alleged (sealed)", 1},
    JD_FIELD_DATE("the date found"),
    F_GROUPS,
    F_IDEM,
    JD_FIELD_END,
};
static const struct jd_field f_finding_decide[] = {
    JD_FIELD_TENANT,
    JD_FIELD_VERSION,
    {"approve", JD_FIELD_BOOLEAN, 1, 0, "true: raise the lead; false: reject", 0},
    {"reason", JD_FIELD_STRING, 0, 500, "why", 0},
    JD_FIELD_DATE("the date decided"),
    JD_FIELD_END};

static const struct jd_field f_ledger[] = {
    JD_FIELD_TENANT,
    {"unit", JD_FIELD_STRING, 0, 64, "only this unit's items", 0},
    {"group", JD_FIELD_STRING, 0, 64, "only the items of this group's units (or shared with it)",
     0},
    {"state", JD_FIELD_STRING, 0, 24, "only items in this state", 0},
    {"cursor", JD_FIELD_INTEGER, 0, 0, "where the previous page ended (its next_cursor)", 0},
    {"limit", JD_FIELD_INTEGER, 0, 0, "at most this many (1..50, default 50)", 0},
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

#define ITEM   "/v1/supervision/items/{id}"
#define TALK   "/v1/supervision/talks/{id}"
#define LETTER "/v1/supervision/letters/{id}"
#define RULE   "/v1/supervision/rules/{id}"
#define TASK   "/v1/supervision/tasks/{id}"
#define FIND   "/v1/supervision/findings/{id}"

const struct jd_route sup_routes[] = {
    /* rectification items */
    {"POST", "/v1/supervision/items", PERM_WRITE, "Issue a rectification item",
     "supervision items add", f_item_add, 0, item_create, NULL},
    {"GET", ITEM, PERM_READ, "Show an item", "supervision items show", f_tenant, 0, item_show,
     NULL},
    {"POST", ITEM "/plan", PERM_WRITE, "File the rectification plan", "supervision items plan",
     f_plan, 0, item_step, "plan"},
    {"POST", ITEM "/start", PERM_WRITE, "Start rectifying", "supervision items start", f_start, 0,
     item_step, "start"},
    {"POST", ITEM "/request-close", PERM_WRITE, "Request closure with evidence",
     "supervision items request-close", f_request_close, 0, item_step, "request_close"},
    {"POST", ITEM "/review", PERM_REVIEW, "Review a closure request: passed or returned",
     "supervision items review", f_review, 0, item_review, NULL},
    {"POST", ITEM "/close", PERM_REVIEW, "Close a reviewed item (销号)", "supervision items close",
     f_close, 0, item_close, NULL},
    {"POST", ITEM "/extend", PERM_WRITE, "Request an extension of the deadline",
     "supervision items extend", f_extend, 0, item_extend, NULL},
    {"POST", ITEM "/extension", PERM_REVIEW, "Approve or refuse the extension requested",
     "supervision items extension", f_extension, 0, item_extend_decide, NULL},
    {"POST", ITEM "/lookback", PERM_REVIEW, "Look back at a closed item: passed or rebound",
     "supervision items lookback", f_lookback, 0, item_lookback, NULL},
    {"GET", "/v1/supervision/lookbacks", PERM_REVIEW, "Closed items due for a look-back",
     "supervision lookbacks", f_tenant, 0, lookback_due_list, NULL},
    {"GET", "/v1/supervision/ledger", PERM_READ, "The ledger (台账) of items, paged",
     "supervision ledger", f_ledger, 0, ledger_list, NULL},
    /* talks, letters, rules */
    {"POST", "/v1/supervision/talks", PERM_WRITE, "Record a talk (content sealed)",
     "supervision talks add", f_talk_add, 0, talk_create, NULL},
    {"GET", TALK, PERM_READ, "Show a talk (content opened, audited)", "supervision talks show",
     f_tenant, 0, talk_show, NULL},
    {"POST", "/v1/supervision/letters", PERM_WRITE,
     "Send a prompt letter or a recommendation (numbered)", "supervision letters add", f_letter_add,
     0, letter_create, NULL},
    {"GET", LETTER, PERM_READ, "Show a letter", "supervision letters show", f_tenant, 0,
     letter_show, NULL},
    {"POST", LETTER "/reply", PERM_WRITE, "Record the unit's written reply",
     "supervision letters reply", f_letter_reply, 0, letter_reply, NULL},
    {"POST", "/v1/supervision/rules", PERM_WRITE, "Record a rule established",
     "supervision rules add", f_rule_add, 0, rule_create, NULL},
    {"GET", RULE, PERM_READ, "Show a rule", "supervision rules show", f_tenant, 0, rule_show, NULL},
    /* task lists and dispatch orders */
    {"POST", "/v1/supervision/tasks", PERM_WRITE, "Dispatch a task order (派单) from a group",
     "supervision tasks add", f_task_add, 0, task_create, NULL},
    {"GET", TASK, PERM_READ, "Show a task order", "supervision tasks show", f_tenant, 0, task_show,
     NULL},
    {"POST", TASK "/sign", PERM_WRITE, "A receiving unit signs for the order",
     "supervision tasks sign", f_task_unit, 0, task_unit_step, "sign"},
    {"POST", TASK "/progress", PERM_WRITE, "A receiving unit reports progress",
     "supervision tasks progress", f_task_unit, 0, task_unit_step, "progress"},
    {"POST", TASK "/submit", PERM_WRITE, "A receiving unit submits its result",
     "supervision tasks submit", f_task_unit, 0, task_unit_step, "submit"},
    {"POST", TASK "/assess", PERM_APPROVE, "The group leader assesses (score, comment)",
     "supervision tasks assess", f_task_assess, 0, task_assess, NULL},
    {"POST", TASK "/assess-override", PERM_ADMIN,
     "The instance admin assesses instead of the group leader (reason kept and audited)",
     "supervision tasks assess-override", f_task_assess_override, 0, task_assess_override, NULL},
    /* findings -> leads */
    {"POST", "/v1/supervision/findings", PERM_WRITE,
     "Raise a discipline finding on a record (a leader approves it as a lead)",
     "supervision findings add", f_finding_add, 0, finding_create, NULL},
    {"GET", FIND, PERM_READ, "Show a finding (subject, allegation opened)",
     "supervision findings show", f_tenant, 0, finding_show, NULL},
    {"POST", FIND "/decide", PERM_APPROVE, "Approve a finding as a lead in cases, or reject it",
     "supervision findings decide", f_finding_decide, 0, finding_decide, NULL},
    /* figures */
    {"GET", "/v1/supervision/stats", PERM_STATS, "The figures for a range (county or roll-up)",
     "supervision stats", f_stats, 0, stats_get, NULL},
    {"POST", "/v1/supervision/recount", PERM_ADMIN, "Recompute every counter from the records",
     "supervision recount", f_recount, JD_ROUTE_CONTROL_ONLY, recount_get, NULL},
};

const size_t sup_n_routes = sizeof(sup_routes) / sizeof(sup_routes[0]);
