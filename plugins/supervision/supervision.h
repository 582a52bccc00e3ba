/*
 * The supervision plugin's own declarations, shared by its files.  Private to
 * the plugin (built with -fvisibility=hidden); like every file of the plugin it
 * includes <jiandu/plugin.h> and nothing else of jiandu's.
 *
 * Where things are (docs/supervision.md has the records, states and figures):
 *   supervision.c  descriptor, config keys, permissions, init/fini
 *   routes.c       the route table (every route a jianductl command)
 *   ctx.c          one request's context: load a record, scope, replies
 *   input.c        input checks shared by the writers (codes, dates, units)
 *   states.c       the state machines (data for the host) and deadlines
 *   items.c        rectification items: create, show
 *   item_steps.c   an item's ladder: plan, start, closure, review, close
 *   extension.c    extensions: requested by the unit, decided by the issuer
 *   lookback.c     look-back of closed items: passed or rebound (reopens)
 *   talks.c        talks (约谈), content sealed
 *   letters.c      prompt letters and recommendations, numbered per year
 *   problem_items.c the problems of a letter or talk, each an item in the same step
 *   rules.c        rules established (建章立制)
 *   tasks.c        task lists and dispatch orders to units and sub-groups, lead policy
 *   task_steps.c   a receiver of an order signs, reports progress, submits
 *   task_assess.c  the issuing group's leader assesses an order (admin override)
 *   findings.c     findings raised as leads in the cases plugin (durable event)
 *   escalation.c   overdue items escalated to the group and overseeing leader
 *   ledger.c       the ledger (台账): filtered, paged listing of items
 *   counters.c     what each change counts, kept in its own mutation
 *   stats.c        the figures from the host's stats_query
 *   recount.c      what each record counts, for the host's recount
 */
#ifndef SUPERVISION_H
#define SUPERVISION_H

#include <stddef.h>

#include <jiandu/plugin.h>

extern const struct jd_host *host;
extern jd_plugin_handle *self;

#define PERM_READ    "supervision.read"
#define PERM_WRITE   "supervision.write"
#define PERM_REVIEW  "supervision.review"
#define PERM_APPROVE "supervision.approve"
#define PERM_SEALED  "supervision.sealed.read"
#define PERM_STATS   "supervision.stats"
#define PERM_ADMIN   "supervision.admin"

#define LIST_MAX 50

/* ---- state machines and deadlines (states.c) ---------------------------------------------- */

extern const struct jd_machine item_machine, letter_machine, task_machine, finding_machine;
extern const struct jd_deadline_conf sup_deadlines;

/* ---- one request's context (ctx.c) ------------------------------------------------------- */

struct ctx;
typedef void (*ctx_step)(struct ctx *c);

struct ctx {
	jd_req *req;
	const char *type; /* "item", "talk", "letter", "rule", "task", "finding" */
	char tenant[65];
	char id[65];
	char record[80];
	json_t *in;  /* the validated input (borrowed) */
	json_t *rec; /* the record read (owned) */
	long long version;
	json_t *org;	  /* the county's organization (owned) */
	json_t *aux;	  /* a step's own data (owned) */
	struct jd_mut *m; /* the mutation being built (owned) */
	ctx_step next;
	jd_day day;	   /* the event date of the step */
	int late;	   /* entered after the fact */
	char to[24];	   /* the state after the change */
	const void *route; /* the route's argument */
	long n;		   /* a step's number */
	int tries;
};

struct ctx *ctx_new(jd_req *req, const char *type, const char *tenant, const char *id);
void ctx_free(struct ctx *c);
void ctx_fail(struct ctx *c, int rc);
void ctx_invalid(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctx_conflict(struct ctx *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ctx_forbidden(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctx_refused(struct ctx *c, const struct jd_refusal *r);
void ctx_reply(struct ctx *c, int status, json_t *body);
void ctx_not_found(struct ctx *c);
/* Reads the record (HGETALL, scope checked: hidden answers 404), then next(c). */
void ctx_load(struct ctx *c, ctx_step next);
/* A route on one record (path {id}, input tenant): context, load, next. */
void ctx_route(jd_req *req, const char *type, const void *arg, ctx_step next);
/* A route creating a record: a context with a new id and the body's tenant checked; NULL replied.
 */
struct ctx *ctx_create(jd_req *req, const char *type);
void ctx_keys(struct ctx *c, ctx_step next);
void ctx_org(struct ctx *c, ctx_step next);
const char *rec_str(const struct ctx *c, const char *field);
long long rec_int(const struct ctx *c, const char *field);
const char *in_str(const struct ctx *c, const char *name);
long long in_int(const struct ctx *c, const char *name, long long def);
int ctx_version(struct ctx *c);
void ctx_on_mutated(int rc, const struct jd_mutate_result *res, void *arg);
/* Submits c->m on c's record (JD_VERSION_NEW when c->version is 0). */
void ctx_submit(struct ctx *c, const char *action);
void ctx_submit_cb(struct ctx *c, const char *action, jd_mutate_cb cb);
/* The reply of a created record: 201 {id, version, state, replayed}. */
void ctx_on_created(int rc, const struct jd_mutate_result *res, void *arg);
json_t *rec_public(const struct ctx *c);
/* Seals plain for c's record's field into the mutation; JD_OK or an error. */
int ctx_seal(struct ctx *c, const char *field, const char *plain);
/* Opens c's record's sealed field for the caller (audited): a new JSON string, or a note. */
json_t *ctx_open(struct ctx *c, const char *field);
/* The common fields of a new record: unit, groups, deny, created_by, late, date field. */
void ctx_new_fields(struct ctx *c, const char *date_field);
/* The same into m (another record of c's mutation: mut_record) for unit and groups. */
void ctx_new_fields_in(struct ctx *c, struct jd_mut *m, const char *unit, const char *groups,
		       const char *date_field);
/* "item:<id>" ZADD to "<plural>:all" and "<plural>:u:<unit>" (c's id; _in: id's, into m). */
void ctx_index(struct ctx *c, const char *plural, const char *unit);
void ctx_index_in(struct jd_mut *m, const char *id, const char *plural, const char *unit);

/* ---- input (input.c) ---------------------------------------------------------------------- */

int code_valid(const char *s, int list);
int one_of(const char *v, const char *const *list);
int csv_names(const char *csv, const char *code);
/* 0, or replies 400 (date not valid, in the future, before not_before) and frees c */
int ctx_date(struct ctx *c, const char *field, jd_day not_before, const char *after_what);
/* 0, or 400 naming field: an active unit of the county (c->org) */
int ctx_unit_check(struct ctx *c, const char *field, const char *code);
/* 0, or 400 naming field: active groups of the county */
int ctx_groups_check(struct ctx *c, const char *field, const char *csv);
json_t *org_group(json_t *org, const char *code);
/* A future-or-today YYYY-MM-DD deadline from input field; 0 or replies 400. */
int ctx_deadline(struct ctx *c, const char *field, jd_day not_before, jd_day *out);

/* ---- counters (counters.c) ---------------------------------------------------------------- */

extern const struct jd_counters sup_counters;
/* the metrics of sup_counters, in its order (counters.c) */
enum {
	M_TALKS,
	M_PERSONS,
	M_LEADERS,
	M_KEY_POSTS,
	M_PROMPT,
	M_RECOMMENDATION,
	M_ISSUED,
	M_RECTIFIED,
	M_ON_TIME,
	M_RULES,
	M_LOOKBACKS,
	M_REBOUND,
	M_DISPATCHED,
	M_COMPLETED,
	M_ASSESSED,
	M_SCORE,
	M_LEADS,
};
void cnt(struct jd_mut *m, const char *unit, const char *metric, jd_day d, long long by);
void cnt_group(struct jd_mut *m, const char *group, const char *metric, jd_day d, long long by);

/* ---- shared steps ------------------------------------------------------------------------- */

/* items.c: the open-deadline indexes of an item (overdue now) */
void item_open_put(struct jd_mut *m, const char *id, const char *unit, jd_day deadline);
void item_open_drop(struct jd_mut *m, const char *id, const char *unit);
jd_day item_lookback_days(void);
/* items.c: a new item's fields, first state, indexes and counter, into m */
struct item_spec {
	const char *id, *unit, *issuer, *groups, *title, *responsible, *source, *source_kind, *by;
	jd_day issued, deadline;
	int late;
};
void item_fields(struct jd_mut *m, const struct item_spec *s);
/* item_steps.c: the step allowed (0, or 409 replied), its date (0, or 400 replied), the move */
int item_allowed(struct ctx *c, const char *action);
int item_date(struct ctx *c);
void item_move(struct ctx *c, const char *to);
/* 0 when the caller is on the issuing side of c's item; otherwise replies 403 */
int item_issuer_side(struct ctx *c);
/* item_steps.c: a closure counted on day d (sign -1: taken back by a rebound) */
void item_count_closed(struct jd_mut *m, const char *unit, const char *deadline, jd_day d,
		       int sign);
/*
 * problem_items.c: the problems a letter or a talk found, each a rectification item made in the
 * record's own mutation.  problems_split: a JSON array of strings (NULL out of memory).
 * problems_check: input "problems" split into c->aux, "rectifier" and "rectify_by" (or the
 * input field default_by) required with problems; 0 or replied 400.  problems_org_check: the
 * rectifier an active unit, not the issuing "unit"; 0 or replied 400.  problem_items_put: each
 * problem the item "<c->id>-<n>" in c->m (JD_OK or an error).  problems_on_created: the reply,
 * 201 (200 replayed) {id, version, state, replayed, items}.
 */
#define PROBLEMS_MAX 50
json_t *problems_split(const char *text);
int problems_check(struct ctx *c, const char *default_by);
int problems_org_check(struct ctx *c);
int problem_items_put(struct ctx *c, const char *source_kind, const char *default_by);
void problems_on_created(int rc, const struct jd_mutate_result *res, void *arg);
/*
 * findings.c: the finding `id` on record `source` of unit (and groups) into m, in state
 * proposed: its lead's id chosen, the input's subject_* and allegation sealed for the lead
 * (the tenant's keys ready: ctx_keys).  JD_OK or an error.  Whether c's input names one.
 */
int finding_put(struct ctx *c, struct jd_mut *m, const char *id, const char *unit,
		const char *groups, const char *source);
int finding_in_input(const struct ctx *c);
/* talks.c: what a talk counts (recount.c shares it) */
void talk_count(struct jd_mut *m, const char *unit, long long persons, long long leaders,
		long long key_posts, jd_day d);
/* task_assess.c: what an order counts (recount.c shares it) */
void task_counters(struct jd_mut *m, const json_t *rec);
/* tasks.c: o's string member k, or "" */
const char *jobj_str(json_t *o, const char *k);
/* tasks.c: whether code receives c's order (a unit or a sub-group) */
int task_receiver(struct ctx *c, const char *code);
/* tasks.c: whether every receiver but except has "<prefix><code>" = status (set, if NULL) */
int task_all(struct ctx *c, const char *prefix, const char *status, const char *except);
/* escalation.c: what an escalation level was computed on (the item as it stands), and the
 * item's escalation record, current or not, for show */
void escalation_basis(json_t *item, char *out, size_t len);
json_t *escalation_public(json_t *item, json_t *esc_fields);
int escalation_start(void);
void escalation_stop(void);
void sweeper_note(const char *tenant);

/* ---- routes ------------------------------------------------------------------------------- */

void item_create(jd_req *req, void *arg);
void item_show(jd_req *req, void *arg);
void item_step(jd_req *req, void *arg);
void item_review(jd_req *req, void *arg);
void item_close(jd_req *req, void *arg);
void item_extend(jd_req *req, void *arg);
void item_extend_decide(jd_req *req, void *arg);
void item_lookback(jd_req *req, void *arg);
void lookback_due_list(jd_req *req, void *arg);
void talk_create(jd_req *req, void *arg);
void talk_show(jd_req *req, void *arg);
void letter_create(jd_req *req, void *arg);
void letter_show(jd_req *req, void *arg);
void letter_reply(jd_req *req, void *arg);
void rule_create(jd_req *req, void *arg);
void rule_show(jd_req *req, void *arg);
void task_create(jd_req *req, void *arg);
void task_show(jd_req *req, void *arg);
void task_unit_step(jd_req *req, void *arg);
void task_assess(jd_req *req, void *arg);
void task_assess_override(jd_req *req, void *arg);
void finding_create(jd_req *req, void *arg);
void finding_show(jd_req *req, void *arg);
void finding_decide(jd_req *req, void *arg);
void ledger_list(jd_req *req, void *arg);
void stats_get(jd_req *req, void *arg);
/* declares the leaders' report section (report.c) */
int report_declare(void);
void recount_get(jd_req *req, void *arg);

extern const struct jd_route sup_routes[];
extern const size_t sup_n_routes;

#endif
