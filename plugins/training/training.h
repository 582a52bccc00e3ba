/*
 * The training plugin's own declarations, shared by its files (docs/training.md).
 * Private to the plugin; includes <jiandu/plugin.h> and nothing else of jiandu's.
 *
 *   training.c   descriptor, config keys, route table, init/fini
 *   ctx.c        one request's context: records, need-to-know, replies
 *   eligible.c   who may mentor whom (the rules, the ranking of suggest)
 *   mentees.c    mentees (new cadres registered), links of users to persons
 *   mentors.c    suggest and propose (eligibility enforced), the pairing machine
 *   pairs.c      pairings approved, rejected, ended
 *   flags.c      new cadres short of a mentor, pairs ended early
 *   plans.c      versioned templates, plans, milestones, plan state
 *   talks.c      mentoring talks, stalled pairs, the weekly digest
 *   courses.c    courses, sessions, enrolment with a waiting list, attendance, hours
 *   practice.c   practice records from other plugins' durable events
 *   counters.c   the metrics each change adds (writers and recount share them)
 *   stats.c      GET stats: the figures; recount.c: what each record counts
 *   pairdays.c   talks per pair-month from the pairs-active running sum
 *   now.c        the figures of now (as of today), summed over a roll-up's counties
 *   fanout.c     a bounded fan-out of reads
 */
#ifndef TRAINING_H
#define TRAINING_H

#include <stddef.h>

#include <jiandu/plugin.h>

extern const struct jd_host *host;
extern jd_plugin_handle *self;

#define PERM_READ    "training.read"
#define PERM_WRITE   "training.write"
#define PERM_APPROVE "training.approve"
#define PERM_TRAIN   "training.train"
#define PERM_STATS   "training.stats"
#define PERM_ADMIN   "training.admin"

#define LIST_MAX 500 /* a listing reads at most this many records */

/* ---- pairings (mentors.c) ---- */
extern const struct jd_machine pair_machine;
int kind_valid(const char *k);
const char *other_kind(const char *k);
/* CHECK another record of the mutation at the version read (rec's "_v"), then bump it */
void rec_guard(struct jd_mut *m, const char *key, const json_t *rec);
/* The mentee's one-line summary "theory|practice|flag" (flags.c reads them all at once) */
void mentee_summary(struct jd_mut *m, const char *person, int theory, int practice,
		    const char *flag);
/* Adds by ("1", "-1") to the mentor's load of kind, guarding its record */
void mentor_load(struct jd_mut *m, const char *mentor, const char *kind, const json_t *rec,
		 const char *by);

/* ---- one request's context (ctx.c) ---- */
struct ctx;
typedef void (*ctx_step)(struct ctx *c);

struct ctx {
	jd_req *req;
	char tenant[65];
	char id[65];
	char record[100];
	const char *type; /* record type: "mentee", "pair", "plan", "course", ... */
	json_t *in;	  /* validated input (borrowed) */
	json_t *rec;	  /* the record read (owned) */
	long long version;
	json_t *org;  /* the county's organization (owned) */
	json_t *aux;  /* a step's own data (owned) */
	json_t *aux2; /* (owned) */
	json_t *aux3; /* (owned) */
	struct jd_mut *m;
	const struct jd_event *cause;
	ctx_step next;
	ctx_step then; /* what runs after a chain of reads */
	jd_day day;
	long n;
	char who[65]; /* the caller's linked person, "" when none */
	char to[40];
};

struct ctx *ctx_new(jd_req *req, const char *type, const char *tenant, const char *id);
void ctx_free(struct ctx *c);
void ctx_fail(struct ctx *c, int rc);
void ctx_invalid(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctx_conflict(struct ctx *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ctx_refused(struct ctx *c, const struct jd_refusal *r);
void ctx_reply(struct ctx *c, int status, json_t *body);
void ctx_not_found(struct ctx *c);
/* A context for the route's {tenant} and {id}, of type; NULL replied 500. */
struct ctx *ctx_route(jd_req *req, const char *type);
/* c's id and record ("<prefix>:<id>") from the input's field; 0, or -1 replied 400 naming it */
int ctx_keyed(struct ctx *c, const char *field, const char *prefix);
/* Reads c->record into c->rec (404 when absent), then next. */
void ctx_load(struct ctx *c, ctx_step next);
/* Reads another record (type:id) into *into (an empty object when absent), then next. */
void ctx_read(struct ctx *c, const char *key, json_t **into, ctx_step next);
/* Any read command: its raw result into *into, then next. */
void ctx_cmd(struct ctx *c, int argc, const char **argv, json_t **into, ctx_step next);
void ctx_org(struct ctx *c, ctx_step next);
void ctx_keys(struct ctx *c, ctx_step next);
/* Resolves the caller's linked person (links:user) into c->who, then next. */
void ctx_whoami(struct ctx *c, ctx_step next);
/* Whether the caller sees the whole county (leaders, admins) */
int ctx_county_wide(struct ctx *c);
const char *rec_str(const struct ctx *c, const char *field);
long long rec_int(const struct ctx *c, const char *field);
const char *obj_str(const json_t *o, const char *field);
const char *in_str(const struct ctx *c, const char *name);
long long in_int(const struct ctx *c, const char *name, long long def);
int in_bool(const struct ctx *c, const char *name);
int tenant_valid(const char *t);
int ids_valid(const char *s);
int csv_names(const char *csv, const char *code);
/* A date input (absent: today) not before not_before; 0, or -1 replied 400. */
int ctx_date(struct ctx *c, const char *field, jd_day not_before, const char *after, jd_day *out);
void ctx_submit(struct ctx *c, const char *action, long long version, jd_mutate_cb cb);
/* Replies {id, version, state: c->to} */
void ctx_on_mutated(int rc, const struct jd_mutate_result *res, void *arg);
json_t *rec_public(const json_t *rec);
/* HGETALL array -> object */
json_t *pairs_to_object(const json_t *arr);
/* The organization's person, NULL when absent */
json_t *org_person(const json_t *org, const char *id);
long long config_int(const char *key, long long def);
/* Seals plain for (type, id, field) of c's tenant, into the mutation; 0 or -1 (replied). */
int ctx_seal_set(struct ctx *c, const char *type, const char *id, const char *field,
		 const char *plain, const char *key);
/* Adds an audited open of a sealed field to out as member name (or "sealed" when refused). */
void ctx_open_into(struct ctx *c, json_t *out, const char *name, const char *type, const char *id,
		   const char *field, const char *sealed);

/* ---- eligibility (eligible.c) ---- */
/* Why person p may not mentor mentee (kind), into reasons (array of strings); capacity from loads.
 */
void eligible_reasons(struct ctx *c, const json_t *mentee_rec, const char *mentor, const char *kind,
		      const json_t *loads, json_t *reasons);
/* Then the conflict check for each candidate; cb(c) with c->aux2 = {person: [reasons]} */
void eligible_conflicts(struct ctx *c, const char *mentee_name, json_t *candidates, ctx_step next);
/* Full years between a start date and day */
long years_between(const char *start, jd_day day);

/* ---- routes ---- */
void link_user(jd_req *req, void *arg);
void mentee_add(jd_req *req, void *arg);
void mentee_show(jd_req *req, void *arg);
void mentor_suggest(jd_req *req, void *arg);
void pair_propose(jd_req *req, void *arg);
void pair_approve(jd_req *req, void *arg);
void pair_reject(jd_req *req, void *arg);
void pair_end(jd_req *req, void *arg);
void flags_list(jd_req *req, void *arg);
void template_add(jd_req *req, void *arg);
void plan_add(jd_req *req, void *arg);
void plan_show(jd_req *req, void *arg);
void milestone_update(jd_req *req, void *arg);
void talk_add(jd_req *req, void *arg);
void stalled_list(jd_req *req, void *arg);
void digest_now(jd_req *req, void *arg);
int digest_start(void);
void digest_note_tenant(const char *tenant);
void digest_stop(void);
void course_add(jd_req *req, void *arg);
void session_add(jd_req *req, void *arg);
void course_enrol(jd_req *req, void *arg);
void course_attend(jd_req *req, void *arg);
void course_show(jd_req *req, void *arg);
void hours_get(jd_req *req, void *arg);
void stats_get(jd_req *req, void *arg);
void recount_route(jd_req *req, void *arg);
int practice_subscribe(void);

/* ---- counters (counters.c) ---- */
extern const struct jd_counters training_counters;
/* a metric summed: p 0 the range, 1 the year before (stats.c) */
long long training_sum(const struct jd_stats_result *r, const char *metric, int p);
/* the median of days start -> both mentors of the cohort: -1 none, 181 beyond 180 */
long training_median_days(const struct jd_stats_result *r, int p);
/* declares the leaders' report section (report.c) */
int report_declare(void);
void cnt_mentee(struct jd_mut *m, const char *unit, jd_day start, int sign);
void cnt_matched(struct jd_mut *m, const char *unit, jd_day start, jd_day matched, int sign);
void cnt_plan(struct jd_mut *m, const char *unit, jd_day start, int sign);
void cnt_plan_complete(struct jd_mut *m, const char *unit, jd_day d, int sign);
void cnt_milestone(struct jd_mut *m, const char *unit, jd_day done, int on_time, int sign);
void cnt_talk(struct jd_mut *m, const char *unit, jd_day d, int sign);
void cnt_hours(struct jd_mut *m, const char *unit, jd_day d, long long hours, int sign);
void cnt_practice(struct jd_mut *m, const char *unit, jd_day d, int sign);
int metrics_init(void);
#define PAIRS_ON  "pairs.on"  /* pairings that began (approved) on the day */
#define PAIRS_OFF "pairs.off" /* pairings that ended on the day */
void cnt_pair_began(struct jd_mut *m, const char *unit, jd_day since, int sign);
void cnt_pair_ended(struct jd_mut *m, const char *unit, jd_day ended, int sign);

/* ---- a bounded fan-out of reads (fanout.c) ---- */
struct fanout;
typedef int (*fanout_one)(struct fanout *f, size_t i); /* starts item i: JD_OK or an error */
typedef void (*fanout_done)(struct fanout *f);
struct fanout {
	size_t n, next, running;
	int rc; /* the first error */
	fanout_one one;
	fanout_done done;
};
void fanout_run(struct fanout *f, size_t n, fanout_one one, fanout_done done);
void fanout_item_done(struct fanout *f, int rc);

/* ---- one statistics answer being assembled (stats.c, pairdays.c, now.c) ---- */
enum {
	NOW_STALLED,
	NOW_PLANS,
	NOW_COMPLETE,
	NOW_BEHIND,
	NOW_ON_TRACK,
	NOW_CADRES,
	NOW_HOURS,
	NOW_MEETING,
	NOW_N
};
struct stats_run {
	struct fanout f;  /* first: the fan-out's callbacks cast back */
	struct ctx *c;	  /* c->aux3: the answer */
	json_t *counties; /* the county codes summed (owned) */
	json_t *sources;  /* [[tenant, counter hash], ...] of the pair-days (owned) */
	int periods;	  /* 1, or 2 with the previous year */
	jd_day from[2], to[2];
	long long talks[2];
	json_t *fields; /* the counter fields read (owned) */
	long long *sum; /* their sums over the sources */
	size_t chunks;
	long long now[NOW_N];
	void (*next)(struct stats_run *s);
};
/* pairdays.c: the pair-days of each period, then the talks-per-pair rows, then next */
void pairdays_start(struct stats_run *s, void (*next)(struct stats_run *s));
/* now.c: the as-of-now figures of every county summed into "now", then next */
void now_start(struct stats_run *s, void (*next)(struct stats_run *s));
void stats_run_end(struct stats_run *s, int rc);
/* v rounded to 1/scale (10: one decimal) */
json_t *round_json(double v, double scale);
/* scale × a ÷ b to one decimal, null when b is 0 */
json_t *ratio(long long a, long long b, int scale);

/* plans.c: open plans scored by their earliest open due date (YYYYMMDD) */
#define PLANS_OPEN "plans:open"
/* plans.c: the plan's state from its milestones as of day */
const char *plan_state(const json_t *rec, jd_day day);

#endif
