/*
 * The review plugin's own declarations (案件审理), shared by its files.
 * Private to the plugin (built with -fvisibility=hidden); it includes
 * <jiandu/plugin.h> and nothing else of jiandu's.
 *
 * Where things are (docs/review.md has the records, states and figures):
 *   review.c    descriptor, permissions, config keys, route table, init/fini
 *   rctx.c      one request's (or event's) context: load, scope, replies
 *   states.c    the review record's state machine and its deadlines
 *   receive.c   case.investigation_concluded: the record received; resume
 *   intake.c    accept (the clock starts), missing materials, supplied
 *   panel.c     the panel, separation of duties (查审分离), recusal
 *   head.c      who assigns the panel: the review office's head
 *   work.c      review work per person, review talks and their waiver
 *   returns.c   supplementary investigation and reinvestigation
 *   decide.c    opinion, meeting, the leadership's decision, extension
 *   appeal.c    appeals (申诉): a new review on the same case
 *   clock.c     the one-month clock: due date, pauses, completion days
 *   counters.c  what each change counts (shared with recount)
 *   stats.c     the figures, recount
 *   show.c      show and list
 */
#ifndef REVIEW_H
#define REVIEW_H

#include <stddef.h>

#include <jiandu/plugin.h>

extern const struct jd_host *host;
extern jd_plugin_handle *self;

#define PERM_READ    "review.read"
#define PERM_MANAGE  "review.manage"
#define PERM_WORK    "review.work"
#define PERM_ASSIGN  "review.assign"
#define PERM_APPROVE "review.approve"
#define PERM_SUPPLY  "review.supply"
#define PERM_STATS   "review.stats"
#define PERM_ADMIN   "review.admin"

#define LIST_MAX 50

extern const struct jd_machine review_machine;
extern const struct jd_deadline_conf review_deadlines;

/* ---- one request's or event's context (rctx.c) ---------------------------------- */

struct rctx;
typedef void (*rctx_step)(struct rctx *c);

struct rctx {
	jd_req *req;		      /* NULL for an event */
	const struct jd_event *cause; /* the event handled, or NULL */
	char tenant[65];
	char id[72];
	char record[96]; /* "review:<id>" */
	json_t *in;	 /* validated input (borrowed) */
	json_t *rec;	 /* the record's fields (owned), NULL when absent */
	long long version;
	json_t *org; /* owned */
	json_t *aux; /* owned: a step's own data */
	struct jd_mut *m;
	jd_day day;
	char to[24];
	const void *route; /* the route's argument */
	rctx_step next;	   /* what runs after a read */
	rctx_step then;	   /* what runs after the route's record is loaded */
	int case_scope;	   /* also visible to who sees the case's unit (rctx_route_case) */
	int pending;	   /* checks in flight (panel.c) */
	int rc;
};

struct rctx *rctx_new(jd_req *req, const char *tenant, const char *id);
void rctx_free(struct rctx *c);
void rctx_fail(struct rctx *c, int rc);
void rctx_invalid(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rctx_conflict(struct rctx *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rctx_refused(struct rctx *c, const struct jd_refusal *r);
void rctx_reply(struct rctx *c, int status, json_t *body);
/* A route on one review: {tenant} and {id} of the path, loaded and in scope, then next. */
void rctx_route(jd_req *req, const void *route, rctx_step next);
/* As rctx_route, also for who sees the case's unit (the investigators). */
void rctx_route_case(jd_req *req, rctx_step next);
/* Reads c->record into c->rec (NULL when absent), then next (an event's read). */
int rctx_read(struct rctx *c, rctx_step next);
/* Reads the county's organization into c->org, then next. */
void rctx_org(struct rctx *c, rctx_step next);
void rctx_keys(struct rctx *c, rctx_step next);
const char *rec_str(const struct rctx *c, const char *field);
long long rec_int(const struct rctx *c, const char *field);
const char *in_str(const struct rctx *c, const char *name);
long long in_int(const struct rctx *c, const char *name, long long def);
/* The input's date (field "date") not before the record's state_since; 0 or -1 (replied). */
int rctx_date(struct rctx *c, const char *after_what);
/* 409 unless the state allows action; 0 or -1 (replied). */
int rctx_step_ok(struct rctx *c, const char *action);
/* The record moves to `to` on c->day (fields, indexes) and c->to is set. */
void rctx_move(struct rctx *c, const char *to);
/* Submits c->m on c->record at c->version; replies {id, state, version}. */
void rctx_submit(struct rctx *c, const char *action);
/* Whether csv names code. */
int csv_names(const char *csv, const char *code);
int ids_valid(const char *s, int list);
/* The caller is on the panel (lead only: the lead reviewer); 0 or -1 (replied 403). */
int rctx_on_panel(struct rctx *c, int lead_only);
/* o's string member k, or def. */
const char *jstr(const json_t *o, const char *k, const char *def);
/* A JSON value of the record's field (a new reference) or NULL. */
json_t *rec_json(const struct rctx *c, const char *field);

/* The caller heads a review office of the county (needs c->org); 0 or -1 (replied 403). */
int head_only(struct rctx *c);

/* ---- the clock (clock.c) --------------------------------------------------------------- */

jd_day clock_month_after(jd_day d);
/* Puts the clock's deadline (stage "clock") and field "due". */
void clock_put(struct rctx *c, jd_day due);
void clock_drop(struct rctx *c);
/* Days from acceptance to completion, less the pauses. */
long clock_days(const json_t *rec, jd_day completed);

/* ---- counters (counters.c) ---------------------------------------------------------------- */

extern const struct jd_counters review_counters;
/* a metric summed: p 0 the range, 1 the year before (stats.c) */
long long review_sum(const struct jd_stats_result *r, const char *metric, int p);
/* the days of the q-th quantile (q in tenths: 5 median, 9 p90), or -1 (none, or past 120) */
long review_quantile(const struct jd_stats_result *r, int p, int q);
/* declares the leaders' report section (report.c) */
int report_declare(void);
void cnt_received(struct jd_mut *m, const char *unit, int appeal, jd_day d, int sign);
void cnt_accepted(struct jd_mut *m, const char *unit, int appeal, jd_day d, int sign);
void cnt_returned(struct jd_mut *m, const char *unit, const char *kind, const char *why, jd_day d,
		  int sign);
/* completion: on time, days, what review changed; appeal: its outcome */
void cnt_completed(struct jd_mut *m, const char *unit, int appeal, int on_time, long days,
		   int changed_any, int changed_char, int changed_sanction, const char *outcome,
		   jd_day d, int sign);
/* The record's counters (the writers' functions), for recount. */
void cnt_record(struct jd_mut *m, const json_t *rec);

/* ---- sanctions (work.c) ---------------------------------------------------------------- */

/* party, gov valid; *form inferred when empty; 0 or -1 with why in err */
int sanction_valid(const char *party, const char *gov, const char **form, char *err, size_t len);
int sanctioned(const char *party, const char *gov);

/* ---- routes and handlers ---------------------------------------------------------------- */

int receive_subscribe(void);
void review_accept(jd_req *req, void *arg);
void review_missing(jd_req *req, void *arg);
void review_supplied(jd_req *req, void *arg);
void panel_assign(jd_req *req, void *arg);
void panel_override(jd_req *req, void *arg);
void panel_recuse(jd_req *req, void *arg);
void work_record(jd_req *req, void *arg);
void work_talk(jd_req *req, void *arg);
void work_talk_waive(jd_req *req, void *arg);
void review_return(jd_req *req, void *arg);
void review_opinion(jd_req *req, void *arg);
void review_meeting(jd_req *req, void *arg);
void review_propose(jd_req *req, void *arg);
void review_approve(jd_req *req, void *arg);
void review_reject(jd_req *req, void *arg);
void appeal_open(jd_req *req, void *arg);
void review_show(jd_req *req, void *arg);
void review_list(jd_req *req, void *arg);
void review_stats(jd_req *req, void *arg);
void review_recount(jd_req *req, void *arg);
void review_overdue(jd_req *req, void *arg);
int review_sweep_start(void);
void review_sweep_stop(void);
void review_note_tenant(const char *tenant);

#endif
