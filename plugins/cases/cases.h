/*
 * The cases plugin's own declarations, shared by its files.  Private to the
 * plugin (built with -fvisibility=hidden); like every file of the plugin it
 * includes <jiandu/plugin.h> and nothing else of jiandu's.
 *
 * Where things are (docs/cases.md has the records, states and figures):
 *   cases.c         descriptor, config keys, route table, init/fini
 *   ctx.c           one request's context: load a record, scope, replies
 *   states.c        the state machines of leads and cases (data for the host)
 *   org.c           the county's organization (org_read, cached by revision)
 *   lead.c          leads: create, show, list, reporter, shred
 *   subjects.c      sealed subjects, blind indexes, repeat subjects
 *   disposition.c   proposals and approvals on leads (the four ways)
 *   case.c          filing a case (numbers), show, list
 *   investigation.c plan, measures, conclusion (cases)
 *   decision.c      decisions per person, the review plugin's events
 *   review_events.c the review contract's payloads: findings out, decisions and appeals in
 *   recusal.c       handlers, conflict checks, overrides, declared recusal
 *   deadlines.c     due dates per stage, overdue listing, the timer
 *   counters.c      the figures kept in the same mutation as each change
 *   stats.c         GET statistics: the figures from the host's stats_query
 *   recount.c       what each record counts, for the host's recount
 *   batch.c         several reads at once, one callback after the last
 *   intake_events.c leads raised by another plugin's durable event (supervision)
 */
#ifndef CASES_H
#define CASES_H

#include <stddef.h>

#include <jiandu/plugin.h>

extern const struct jd_host *host;
extern jd_plugin_handle *self;

/* Permissions (daemon/security/auth.c grants them; docs/security.md lists them). */
#define PERM_READ     "cases.read"
#define PERM_WRITE    "cases.write"
#define PERM_APPROVE  "cases.approve"
#define PERM_REPORTER "cases.reporter.read"
#define PERM_STATS    "cases.stats"
#define PERM_ADMIN    "cases.admin"

#define LIST_MAX 50 /* a listing answers at most this many records */

/* ---- state machines (states.c: tables; the host's machine does the rest) --------------- */

enum rec_kind { KIND_LEAD, KIND_CASE };

extern const struct jd_machine lead_machine, case_machine;
/* Their deadlines (states.c; deadlines.c uses them) */
extern const struct jd_deadline_conf cases_deadlines;
const struct jd_machine *machine_of(enum rec_kind k);

/* ---- one request's context (ctx.c) --------------------------------------------- */

struct ctx;
typedef void (*ctx_step)(struct ctx *c);

struct ctx {
	jd_req *req;
	enum rec_kind kind;
	char tenant[65];
	char id[65];
	char record[80]; /* "lead:<id>" or "case:<no>" */
	json_t *in;	 /* the validated input (borrowed from the request) */
	json_t *rec;	 /* the record read: an object of its fields (owned) */
	long long version;
	json_t *org;	  /* the county's organization (owned), when read */
	json_t *aux;	  /* a step's own data (owned) */
	json_t *aux2;	  /* (owned) */
	struct jd_mut *m; /* the mutation being built (owned) */
	/* the durable event this context applies (decision.c); the core finishes it */
	const struct jd_event *cause;
	ctx_step next;	    /* what runs after a read */
	const char *action; /* the audit action of the mutation */
	int tries;	    /* case numbers: allocation attempts */
	long n;		    /* a step's number */
	jd_day day;	    /* the event date of the step */
	int late;	    /* the event date is before today: entered after the fact */
	char to[24];	    /* the state after the change, for the reply */
	const void *route;  /* the route's argument (e.g. the verb of a proposal) */
};

struct ctx *ctx_new(jd_req *req, enum rec_kind kind, const char *tenant, const char *id);
void ctx_free(struct ctx *c);
/* Replies rc (as reply_rc) and frees c. */
void ctx_fail(struct ctx *c, int rc);
/* Replies 400 with the formatted message and frees c. */
void ctx_invalid(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Replies 409 with the message and frees c. */
void ctx_conflict(struct ctx *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replies the host's refusal (status, code, message) and frees c. */
void ctx_refused(struct ctx *c, const struct jd_refusal *r);
/* Replies status with body (stolen) and frees c. */
void ctx_reply(struct ctx *c, int status, json_t *body);
/* 404 as for an absent record (also for a hidden one) and frees c. */
void ctx_not_found(struct ctx *c);
/*
 * Reads c's record (HGETALL) into c->rec and c->version; an absent record
 * or one the caller may not see answers 404 (a hidden one is audited); a
 * request whose tenant is no tenant code 400.  Then runs next(c).
 */
void ctx_load(struct ctx *c, ctx_step next);
/*
 * A route on one record (the path's {tenant} and {id}): a context of kind
 * with route as its argument, loaded as ctx_load, then next(c).  Out of
 * memory answers 500 naming the record type.
 */
void ctx_route(jd_req *req, enum rec_kind kind, const void *route, ctx_step next);
/* Loads the tenant's key, then runs next(c) (seal, open, blind indexes). */
void ctx_keys(struct ctx *c, ctx_step next);
/* Reads the county's organization into c->org, then runs next(c). */
void ctx_org(struct ctx *c, ctx_step next);
/* The record's field as a string, "" when absent. */
const char *rec_str(const struct ctx *c, const char *field);
long long rec_int(const struct ctx *c, const char *field);
/* The input's string (NULL when absent). */
const char *in_str(const struct ctx *c, const char *name);
/* The input's integer, def when absent. */
long long in_int(const struct ctx *c, const char *name, long long def);
int in_bool(const struct ctx *c, const char *name);
/* Whether the caller sees a record of this scope; audited when target is not NULL. */
int scope_visible(jd_req *req, const char *target, const char *tenant, const char *unit,
		  const char *groups, const char *deny);
/* "leads" or "cases": index key prefix; "lead" or "case": record type */
const char *kind_plural(enum rec_kind k);
const char *kind_type(enum rec_kind k);
/* [A-Za-z0-9._-] (and ',' in a list); NULL or "" is valid */
int ids_valid(const char *s, int list);
/* A comma-separated list of codes of [A-Za-z0-9._-], none empty nor longer than max; NULL or "" is
 * valid */
int csv_valid(const char *s, size_t max);
/* Whether the comma-separated csv names code (NULL names nothing). */
int csv_names(const char *csv, const char *code);
/* A tenant code as the store takes it: [A-Za-z0-9_-], 1..64 bytes */
int tenant_valid(const char *t);
/* 0, or replies 400 naming field 'tenant' (and frees c) when the request's tenant is not one */
int ctx_tenant_check(struct ctx *c);
/*
 * The version check of the input ("version": optional; when given, 1 or
 * more, else 400).  Checks it against the record read: a mismatch replies
 * 409 now (the store would refuse it anyway).  0, or -1 when it replied.
 */
int ctx_version(struct ctx *c);
/* The mutation's callback for the common case: replies {id, version, state}. */
void ctx_on_mutated(int rc, const struct jd_mutate_result *res, void *arg);
/* Submits c->m on c's record with c->version; replies from ctx_on_mutated. */
void ctx_submit(struct ctx *c, const char *action);
/* As ctx_submit, answered by cb (which gets c; it ends with ctx_on_mutated or its own reply). */
void ctx_submit_cb(struct ctx *c, const char *action, jd_mutate_cb cb);
/* The action name with ".backdated" appended when c->late. */
const char *ctx_action(struct ctx *c, const char *action, char *buf, size_t len);
/* A JSON object of the public fields of c->rec (no sealed or key fields). */
json_t *rec_public(const struct ctx *c);
/* The record's state moves: fields, indexes, deadline (deadlines.c). */
void move_state(struct ctx *c, const char *from, const char *to, jd_day start);

/* ---- organization (org.c) -------------------------------------------------------- */

/*
 * The county's organization (daemon/org/org_snapshot.h for the shape), cached
 * per tenant by its revision.  cb gets JD_OK and a new reference, or an
 * error and NULL.  JD_OK: cb runs later; otherwise it does not run.
 */
int org_get(const char *tenant, void (*cb)(int rc, json_t *org, void *arg), void *arg);
void org_cache_clear(void);
/* The unit of the organization: its object, NULL when absent. */
json_t *org_unit(json_t *org, const char *code);
/* "" when valid (active unit); otherwise why not, into err. */
int org_unit_check(json_t *org, const char *field, const char *code, char *err, size_t len);
/* 0 when every group of csv is an active group of the county; otherwise -1, why into err. */
int org_groups_check(json_t *org, const char *field, const char *csv, char *err, size_t len);

/* ---- counters (counters.c; the host keeps them: counter_add, stats_query) -------------- */

/* The plugin's counters: hashes "cnt:t", "cnt:u:<unit>", set "cnt:units" (docs/cases.md). */
extern const struct jd_counters cases_counters;
extern const char *const cases_self_found[], *const cases_transferred[];
/* the metrics `names` (NULL-terminated) summed: p 0 the range, 1 the year before */
long long cases_sum(const struct jd_stats_result *r, const char *const *names, int p);
/* The metrics a lead's, a case's records make (recount.c and the writers share these). */
void cnt_lead_received(struct jd_mut *m, const char *unit, const char *source, jd_day d, int sign);
void cnt_lead_disposed(struct jd_mut *m, const char *unit, const char *way, jd_day d, int sign);
void cnt_case_filed(struct jd_mut *m, const char *unit, int self_handled, jd_day d, int sign);
/*
 * Self-handled (自办), as the dispatched agencies' report counts it: the
 * case was filed by a dispatched agency (filing_kind "agency", 派驻机构),
 * which also leads it (handling_unit = filing_unit) with no other unit
 * taking part (joint_units empty).  A case filed or led by an office
 * (纪检监察室), a township or any other unit is a filed case, never
 * self-handled, even on an agency's lead or with agencies taking part.
 * Decided once, at filing, from the organization of that day; the record
 * keeps filing_kind and the answer (self_handled), and recount.c asks
 * this same function.  1 or 0.
 */
/*
 * The filing unit's kind for case_self_handled: as kept on the case at
 * filing (kept), else, for a case filed before it was kept, the unit's
 * kind in the county's organization (org, org_read's shape; may be NULL).
 * NULL when neither knows: not self-handled.
 */
const char *case_filing_kind(const char *kept, const json_t *org, const char *filing);
int case_self_handled(const char *filing_kind, const char *filing, const char *handling,
		      const char *joint);
void cnt_decision(struct jd_mut *m, const char *unit, const char *party, const char *gov,
		  const char *form, jd_day d, int sign);

/* ---- routes ------------------------------------------------------------------------ */

/* lead.c */
void lead_create(jd_req *req, void *arg);
void lead_show(jd_req *req, void *arg);
void lead_list(jd_req *req, void *arg);
void lead_reporter(jd_req *req, void *arg);
void lead_shred(jd_req *req, void *arg);
/* subjects.c */
void subject_add(jd_req *req, void *arg);
void subjects_check(jd_req *req, void *arg);
/* subjects.c, for lead.c and case.c */
int subject_seal(struct ctx *c, json_t *subject, const char *field, char **sealed);
int subject_index_ops(struct ctx *c, json_t *subject, const char *member);
json_t *subject_from_input(struct ctx *c, const char *prefix, char *err, size_t len);
int subjects_open(struct ctx *c, const char *prefix, json_t **out);
void subjects_repeat(struct ctx *c, json_t *subjects, ctx_step next);
/* disposition.c (leads) and investigation.c (cases): proposals and approvals */
void rec_propose(jd_req *req, void *arg);
void rec_approve(jd_req *req, void *arg);
void rec_reject(jd_req *req, void *arg);
void lead_reactivate(jd_req *req, void *arg);
void rec_list(jd_req *req, enum rec_kind kind);
/* A route's argument: the kind of record, and for a proposal its verb. */
struct verb {
	enum rec_kind kind;
	const char *verb; /* "dispose", "outcome", "extend", "plan", "measure", "conclude" */
	const char *arg;  /* the input field naming the action's argument, or NULL */
};
extern const struct verb verb_dispose, verb_outcome, verb_lead_extend, verb_plan, verb_measure,
    verb_case_extend, verb_conclude, verb_lead, verb_case;
/* what an approval does beyond the state (disposition.c) */
void approve_effects(struct ctx *c, const struct jd_transition *t, json_t *pending);
/* case.c */
void case_file(jd_req *req, void *arg);
void case_show(jd_req *req, void *arg);
void case_list(jd_req *req, void *arg);
/* investigation.c */
void investigation_effects(struct ctx *c, const struct jd_transition *t, json_t *pending);
int investigation_check(struct ctx *c, const char *action, json_t *pending);
/* decision.c */
void case_decide(jd_req *req, void *arg);
int decision_subscribe(void);
/* intake_events.c */
int intake_subscribe(void);
int review_loaded(void);
/* decision.c: a sanction's fields checked (*form inferred when empty); 0 or -1 with why in err */
int sanction_check(const char *party, const char *gov, const char **form, char *err, size_t len);
/* decision.c: person's decision put in c->m and counted (persons sanctioned) on day; 0 or -1 */
int decision_put(struct ctx *c, long long person, const char *party, const char *gov,
		 const char *form, jd_day day, const char *by);
/* review_events.c: the contract with a review plugin beyond the states (docs/review.md) */
int review_conclusion_check(struct ctx *c, json_t *pending);
void review_conclusion_keep(struct ctx *c, json_t *pending);
json_t *review_concluded_payload(struct ctx *c, json_t *pending);
/* The step's date a review event carries ("date"), not before the case's state, else today. */
jd_day review_event_day(struct ctx *c, const json_t *payload);
/* 1 when every person is decided after the event's decisions, 0 otherwise, -1 out of memory */
int review_decisions_apply(struct ctx *c, const json_t *payload);
/* 0 when the appeal's outcome was put in c->m; -1 when there is nothing to change */
int review_appeal_apply(struct ctx *c, const json_t *payload);
/* recusal.c */
void rec_assign(jd_req *req, void *arg);
void rec_assign_override(jd_req *req, void *arg);
void rec_recuse(jd_req *req, void *arg);
void rec_recusal_decide(jd_req *req, void *arg);
/* training_events.c: case.team_assigned in the assignment's mutation */
void team_event(struct ctx *c, const char *handler, const char *team);
/* deadlines.c */
void overdue_list(jd_req *req, void *arg);
int deadlines_start(void);
void deadlines_stop(void);
void deadlines_note_tenant(const char *tenant);
void deadlines_sweep(void);
/* A stage's due date from its start (config days), or -1 when the state has none. */
jd_day deadline_due(enum rec_kind k, const char *state, jd_day start);
/* stats.c, recount.c */
void stats_get(jd_req *req, void *arg);
/* declares the leaders' report section (report.c) */
int report_declare(void);
void recount_run(jd_req *req, void *arg);

#endif
