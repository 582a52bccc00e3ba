/*
 * Dual mentors (双导师): a new cadre registered as a mentee gets a theory
 * mentor (政治理论导师) and a practice mentor (业务实践导师).  A pairing
 * is proposed (eligibility enforced: eligible.c), approved or rejected by a
 * leader, and ended with a reason when it ends before its term; an early end
 * flags the mentee until both mentors are there again (flags.c).
 *
 * A proposal reserves the mentor's capacity.  Three records move together
 * in one mutation: the pair (the mutation's record, or the mentee's on a
 * proposal), the mentee (its kind's mentor) and the mentor's load
 * ("mentor:<id>"); each bumps its version ("_v") and the mutation checks the
 * versions it read, so two leaders approving at once cannot overfill a
 * mentor nor give a mentee two mentors of a kind: the second gets 409.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

static const struct jd_transition pair_table[] = {
    {"proposed", "approve", "active", 0, NULL},
    {"proposed", "reject", "rejected", 0, NULL},
    {"active", "end", "ended", 0, NULL},
    {"active", "talk", NULL, 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct jd_state pair_states[] = {
    {"proposed", NULL, 0}, {"active", NULL, 0}, {"rejected", NULL, 0},
    {"ended", NULL, 0},	   {NULL, NULL, 0},
};

const struct jd_machine pair_machine = {"pair", "pairs", pair_states, pair_table, NULL};

static int kind_valid(const char *k)
{
	return k != NULL && (strcmp(k, "theory") == 0 || strcmp(k, "practice") == 0);
}

static const char *other_kind(const char *k)
{
	return strcmp(k, "theory") == 0 ? "practice" : "theory";
}

/* ---- checks of other records in the same mutation ---- */

/* CHECK key at the version read, then bump it (it is written through ops). */
static void guard(struct jd_mut *m, const char *key, const json_t *rec)
{
	const char *v = obj_str(rec, "_v");

	host->mut_op(m, JD_OP_CHECK, key, NULL, *v ? v : "0");
	host->mut_op(m, JD_OP_HINCRBY, key, "_v", "1");
}

/* The mentee's one-line summary "theory|practice|flag" (flags.c reads them all at once). */
static void summary(struct jd_mut *m, const char *person, int theory, int practice,
		    const char *flag)
{
	char v[80];

	snprintf(v, sizeof(v), "%d|%d|%s", theory, practice, flag);
	host->mut_op(m, JD_OP_HSET, "mentees:summary", person, v);
}

static void load_add(struct jd_mut *m, const char *mentor, const char *kind, const json_t *rec,
		     const char *by)
{
	char key[100], lk[32];

	snprintf(key, sizeof(key), "mentor:%s", mentor);
	snprintf(lk, sizeof(lk), "loads:%s", kind);
	guard(m, key, rec);
	host->mut_op(m, JD_OP_HINCRBY, key, kind, by);
	host->mut_op(m, JD_OP_HINCRBY, lk, mentor, by);
}

/* ---- links: which user is which person (need-to-know) ---- */

static void link_apply(struct ctx *c)
{
	const char *user = in_str(c, "user"), *person = in_str(c, "person");

	if (org_person(c->org, person) == NULL) {
		ctx_invalid(c, "field 'person': %s is not a person of county %s", person,
			    c->tenant);
		return;
	}
	host->mut_set(c->m, "person", person);
	host->mut_op(c->m, JD_OP_HSET, "links:user", user, person);
	host->mut_op(c->m, JD_OP_HSET, "links:person", person, user);
	snprintf(c->to, sizeof(c->to), "linked");
	ctx_submit(c, "training.link", JD_VERSION_ANY, NULL);
}

void link_user(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "link");

	(void)arg;
	if (c == NULL)
		return;
	if (!ids_valid(in_str(c, "person"))) {
		ctx_invalid(c, "field 'person': a person id");
		return;
	}
	if (ctx_keyed(c, "user", "link") == 0)
		ctx_org(c, link_apply);
}

/* ---- mentees ---- */

static void mentee_create(struct ctx *c)
{
	const json_t *p = org_person(c->org, c->id);
	const char *start = obj_str(p, "start");
	jd_day sd;
	char score[24];

	if (p == NULL || strcmp(obj_str(p, "status"), "retired") == 0) {
		ctx_invalid(c, "field 'person': %s is not an active person of county %s", c->id,
			    c->tenant);
		return;
	}
	if (!json_is_true(json_object_get(p, "new_cadre"))) {
		ctx_conflict(c, "not_new_cadre",
			     "person %s is not marked a new cadre (new_cadre) in the organization",
			     c->id);
		return;
	}
	if (host->day_parse(start, &sd) != JD_OK) {
		ctx_conflict(c, "no_start", "person %s has no start date in the organization",
			     c->id);
		return;
	}
	host->mut_set(c->m, "person", c->id);
	host->mut_set(c->m, "unit", obj_str(p, "unit"));
	host->mut_set(c->m, "start", start);
	snprintf(score, sizeof(score), "%ld", host->day_number(sd));
	host->mut_op(c->m, JD_OP_ZADD, "mentees:all", c->id, score);
	summary(c->m, c->id, 0, 0, "");
	cnt_mentee(c->m, obj_str(p, "unit"), sd, 1);
	if (in_str(c, "user") != NULL) {
		host->mut_op(c->m, JD_OP_HSET, "links:user", in_str(c, "user"), c->id);
		host->mut_op(c->m, JD_OP_HSET, "links:person", c->id, in_str(c, "user"));
	}
	snprintf(c->to, sizeof(c->to), "unmatched");
	digest_note_tenant(c->tenant);
	ctx_submit(c, "training.mentee.add", JD_VERSION_NEW, NULL);
}

void mentee_add(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "mentee");

	(void)arg;
	if (c == NULL)
		return;
	if (in_str(c, "user") != NULL && !ids_valid(in_str(c, "user"))) {
		ctx_invalid(c, "field 'user': a user id");
		return;
	}
	if (ctx_keyed(c, "person", "mentee") == 0)
		ctx_org(c, mentee_create);
}

static void mentee_answer(struct ctx *c)
{
	const char *theory = rec_str(c, "theory"), *practice = rec_str(c, "practice");

	if (!ctx_county_wide(c) && strcmp(c->who, c->id) != 0 &&
	    (!*c->who || (strcmp(c->who, theory) != 0 && strcmp(c->who, practice) != 0))) {
		ctx_not_found(c);
		return;
	}
	json_t *o = rec_public(c->rec);

	json_object_set_new(o, "state",
			    json_string(*theory && *practice   ? "matched"
					: *theory || *practice ? "partial"
							       : "unmatched"));
	ctx_reply(c, 200, o);
}

static void mentee_loaded(struct ctx *c)
{
	ctx_whoami(c, mentee_answer);
}

void mentee_show(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "mentee");

	(void)arg;
	if (c == NULL)
		return;
	ctx_load(c, mentee_loaded);
}

/* ---- suggest and propose: the mentee, the organization, the loads, the conflicts ---- */

static void on_loads(struct ctx *c)
{
	const json_t *me = org_person(c->org, c->id);

	if (me == NULL) {
		ctx_conflict(c, "not_in_organization",
			     "mentee %s is no longer a person of county %s", c->id, c->tenant);
		return;
	}
	eligible_conflicts(c, obj_str(me, "name"), c->aux3, c->then);
}

/* Every active person of the county but the mentee, or the one mentor asked for */
static void candidates(struct ctx *c)
{
	const char *mentor = in_str(c, "mentor");
	json_t *list = json_array();
	const char *id;
	json_t *p;
	char key[32];

	json_object_foreach(json_object_get(c->org, "people"), id, p)
	{
		if (mentor != NULL
			? strcmp(id, mentor) == 0
			: strcmp(id, c->id) != 0 && strcmp(obj_str(p, "status"), "retired") != 0)
			json_array_append_new(list, json_string(id));
	}
	if (mentor != NULL && json_array_size(list) == 0)
		json_array_append_new(list, json_string(mentor));
	json_decref(c->aux3);
	c->aux3 = list;
	snprintf(key, sizeof(key), "loads:%s", in_str(c, "kind"));
	ctx_read(c, key, &c->aux, on_loads);
}

static void with_org(struct ctx *c)
{
	ctx_org(c, candidates);
}

/* Loads the mentee of the input, the organization, the loads and the conflicts, then then(c). */
static void with_mentee(struct ctx *c, ctx_step then)
{
	c->then = then;
	if (!kind_valid(in_str(c, "kind"))) {
		ctx_invalid(c, "field 'kind': theory (政治理论导师) or practice (业务实践导师)");
		return;
	}
	if (ctx_keyed(c, "mentee", "mentee") != 0)
		return;
	if (c->day == 0) /* suggest: as of today; a proposal: its date */
		c->day = host->day_today();
	ctx_load(c, with_org);
}

/* The reasons a candidate may not mentor (rules and the conflict check), a new array */
static json_t *reasons_of(struct ctx *c, const char *who)
{
	json_t *r = json_array();
	json_t *conf = json_object_get(c->aux2, who);

	eligible_reasons(c, c->rec, who, in_str(c, "kind"), c->aux, r);
	if (conf != NULL)
		json_array_extend(r, conf);
	return r;
}

/* Same unit, or a group of the mentee's unit holding the candidate's unit too */
static int shares_area(struct ctx *c, const json_t *p)
{
	const char *mu = rec_str(c, "unit"), *pu = obj_str(p, "unit"), *code;
	json_t *g;

	if (strcmp(mu, pu) == 0)
		return 2;
	json_object_foreach(json_object_get(c->org, "groups"), code, g)
	{
		if (strcmp(obj_str(g, "status"), "retired") == 0)
			continue;
		if (csv_names(obj_str(g, "units"), mu) && csv_names(obj_str(g, "units"), pu))
			return 1;
	}
	return 0;
}

static int by_score(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t sx = json_integer_value(json_object_get(x, "score")),
		   sy = json_integer_value(json_object_get(y, "score"));

	if (sx != sy)
		return sx < sy ? 1 : -1;
	return strcmp(obj_str(x, "person"), obj_str(y, "person"));
}

static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *out = json_array();

	for (size_t i = 0; v != NULL && i < n; i++)
		v[i] = json_array_get(arr, i);
	if (v != NULL)
		qsort(v, n, sizeof(*v), by_score);
	for (size_t i = 0; v != NULL && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

/*
 * The ranking: for practice, same unit (+200) or a group with the mentee's
 * unit (+100); then the lighter load (-20 per mentee of the kind); then
 * seniority (+1 per year in discipline work).
 */
static void suggest_answer(struct ctx *c)
{
	const char *kind = in_str(c, "kind");
	json_t *ok = json_array(), *no = json_array();
	size_t i;
	json_t *v;

	json_array_foreach(c->aux3, i, v)
	{
		const char *who = json_string_value(v);
		const json_t *p = org_person(c->org, who);
		json_t *r = reasons_of(c, who);
		long years = years_between(obj_str(p, "start"), c->day);
		long load = atol(obj_str(c->aux, who));
		int area = strcmp(kind, "practice") == 0 ? shares_area(c, p) : 0;

		if (json_array_size(r) > 0) {
			json_array_append_new(no,
					      json_pack("{s:s, s:s, s:o}", "person", who, "name",
							obj_str(p, "name"), "reasons", r));
			continue;
		}
		json_decref(r);
		json_array_append_new(
		    ok, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:I}", "person", who, "name",
				  obj_str(p, "name"), "post", obj_str(p, "post"), "unit",
				  obj_str(p, "unit"), "years", (json_int_t)years, "load",
				  (json_int_t)load, "area",
				  area == 2   ? "same unit"
				  : area == 1 ? "same group"
					      : "",
				  "score", (json_int_t)(area * 100 - load * 20 + years)));
	}
	ctx_reply(c, 200,
		  json_pack("{s:s, s:s, s:o, s:o}", "mentee", c->id, "kind", kind, "eligible",
			    sorted(ok), "not_eligible", no));
}

void mentor_suggest(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "mentee");

	(void)arg;
	if (c != NULL)
		with_mentee(c, suggest_answer);
}

/* ---- propose ---- */

static void propose_apply(struct ctx *c)
{
	const char *kind = in_str(c, "kind"), *mentor = in_str(c, "mentor");
	char pid[33], key[100], f[40], date[11], score[24];
	json_t *r;
	jd_day start;

	if (host->day_parse(rec_str(c, "start"), &start) == JD_OK && c->day < start) {
		ctx_invalid(c, "field 'date': %s is before the mentee started (%s)",
			    in_str(c, "date"), rec_str(c, "start"));
		return;
	}
	r = reasons_of(c, mentor);
	if (json_array_size(r) > 0) {
		char text[600] = "";
		size_t i, used = 0;
		json_t *v;

		json_array_foreach(r, i, v)
		{
			int n = snprintf(text + used, sizeof(text) - used, "%s%s", i ? "; " : "",
					 json_string_value(v));
			if (n < 0 || (size_t)n >= sizeof(text) - used)
				break;
			used += (size_t)n;
		}
		host->reply_json(c->req, 409,
				 json_pack("{s:{s:s, s:s, s:o}}", "error", "code", "not_eligible",
					   "message", text, "reasons", r));
		ctx_free(c);
		return;
	}
	json_decref(r);
	snprintf(f, sizeof(f), "%s_proposed", kind);
	if (*rec_str(c, kind) || *rec_str(c, f)) {
		ctx_conflict(c, *rec_str(c, kind) ? "already_matched" : "awaiting_approval",
			     "mentee %s already has a %s mentor %s", c->id, kind,
			     *rec_str(c, kind) ? "" : "awaiting approval");
		return;
	}
	host->new_id(pid);
	host->day_format(c->day, date);
	snprintf(key, sizeof(key), "pair:%s", pid);
	host->mut_set(c->m, f, pid);
	host->mut_op(c->m, JD_OP_CHECK, key, NULL, "0");
	host->mut_op(c->m, JD_OP_HINCRBY, key, "_v", "1");
	host->mut_op(c->m, JD_OP_HSET, key, "mentee", c->id);
	host->mut_op(c->m, JD_OP_HSET, key, "mentor", mentor);
	host->mut_op(c->m, JD_OP_HSET, key, "kind", kind);
	host->mut_op(c->m, JD_OP_HSET, key, "unit", rec_str(c, "unit"));
	host->mut_op(c->m, JD_OP_HSET, key, "state", "proposed");
	host->mut_op(c->m, JD_OP_HSET, key, "proposed", date);
	host->mut_op(c->m, JD_OP_HSET, key, "proposed_by", host->req_principal(c->req));
	snprintf(score, sizeof(score), "%ld", host->day_number(c->day));
	host->mut_op(c->m, JD_OP_ZADD, "pairs:all", pid, score);
	host->mut_op(c->m, JD_OP_ZADD, "pairs:state:proposed", pid, score);
	load_add(c->m, mentor, kind, c->aux3, "1");
	snprintf(c->id, sizeof(c->id), "%s", pid);
	snprintf(c->to, sizeof(c->to), "proposed");
	ctx_submit(c, "training.pair.propose", c->version, NULL);
}

static void propose_mentor(struct ctx *c)
{
	char key[100];

	/* aux3 becomes the mentor's load record (its version guards the capacity) */
	snprintf(key, sizeof(key), "mentor:%s", in_str(c, "mentor"));
	json_decref(c->aux3);
	c->aux3 = NULL;
	ctx_read(c, key, &c->aux3, propose_apply);
}

void pair_propose(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "mentee");

	(void)arg;
	if (c == NULL)
		return;
	if (!ids_valid(in_str(c, "mentor"))) {
		ctx_invalid(c, "field 'mentor': a person id");
		return;
	}
	if (ctx_date(c, "date", -1, "", &c->day) != 0)
		return;
	with_mentee(c, propose_mentor);
}

/* ---- approve, reject, end: the pair, then the mentee and the mentor's load ---- */

struct step {
	const char *action; /* approve, reject, end */
};

static void decide_apply(struct ctx *c);

static void read_mentor(struct ctx *c)
{
	char key[100];

	snprintf(key, sizeof(key), "mentor:%s", rec_str(c, "mentor"));
	ctx_read(c, key, &c->aux3, decide_apply);
}

static void pair_loaded(struct ctx *c)
{
	const char *action = json_string_value(json_object_get(c->aux2, "action"));
	struct jd_refusal r;
	char key[100];
	jd_day since = -1;

	if (host->machine_step(&pair_machine, c->id, rec_str(c, "state"), action, &r) == NULL) {
		ctx_refused(c, &r);
		return;
	}
	if (host->day_parse(rec_str(c, strcmp(action, "end") == 0 ? "since" : "proposed"),
			    &since) != JD_OK)
		since = -1;
	if (ctx_date(c, "date", since,
		     strcmp(action, "end") == 0 ? "the pairing began" : "the pairing was proposed",
		     &c->day) != 0)
		return;
	snprintf(key, sizeof(key), "mentee:%s", rec_str(c, "mentee"));
	ctx_read(c, key, &c->aux, read_mentor);
}

static void pair_route(jd_req *req, const char *action)
{
	struct ctx *c = ctx_route(req, "pair");

	if (c == NULL)
		return;
	c->aux2 = json_pack("{s:s}", "action", action);
	ctx_load(c, pair_loaded);
}

static void decide_apply(struct ctx *c)
{
	const char *action = json_string_value(json_object_get(c->aux2, "action"));
	const char *kind = rec_str(c, "kind"), *mentor = rec_str(c, "mentor");
	const char *other = other_kind(kind), *person = rec_str(c, "mentee");
	const char *reason = in_str(c, "reason");
	char mkey[100], f[48], date[11], score[24];
	int has_other = *obj_str(c->aux, other) != '\0';
	jd_day start = -1, since = -1, matched = -1;

	host->day_format(c->day, date);
	snprintf(mkey, sizeof(mkey), "mentee:%s", person);
	snprintf(score, sizeof(score), "%ld", host->day_number(c->day));
	(void)host->day_parse(obj_str(c->aux, "start"), &start);
	guard(c->m, mkey, c->aux);
	host->mut_op(c->m, JD_OP_ZREM, "pairs:state:proposed", c->id, NULL);
	if (strcmp(action, "approve") == 0) {
		host->mut_set(c->m, "state", "active");
		host->mut_set(c->m, "since", date);
		host->mut_set(c->m, "last_talk", date);
		host->mut_set(c->m, "approved_by", host->req_principal(c->req));
		host->mut_op(c->m, JD_OP_HSET, mkey, kind, mentor);
		snprintf(f, sizeof(f), "%s_pair", kind);
		host->mut_op(c->m, JD_OP_HSET, mkey, f, c->id);
		snprintf(f, sizeof(f), "%s_proposed", kind);
		host->mut_op(c->m, JD_OP_HDEL, mkey, f, NULL);
		host->mut_op(c->m, JD_OP_ZADD, "pairs:active", c->id, score);
		host->mut_op(c->m, JD_OP_ZADD, "pairs:state:active", c->id, score);
		if (has_other) {
			host->mut_op(c->m, JD_OP_HDEL, mkey, "flag", NULL);
			if (*obj_str(c->aux, "matched") == '\0' && start >= 0) {
				host->mut_op(c->m, JD_OP_HSET, mkey, "matched", date);
				cnt_matched(c->m, obj_str(c->aux, "unit"), start, c->day, 1);
			}
		}
		summary(c->m, person, has_other || strcmp(kind, "theory") == 0,
			has_other || strcmp(kind, "practice") == 0,
			has_other ? "" : obj_str(c->aux, "flag"));
		snprintf(c->to, sizeof(c->to), "active");
		ctx_submit(c, "training.pair.approve", c->version, NULL);
		return;
	}
	if (strcmp(action, "reject") == 0) {
		host->mut_set(c->m, "state", "rejected");
		host->mut_set(c->m, "rejected_by", host->req_principal(c->req));
		host->mut_set(c->m, "rejected_reason", reason ? reason : "");
		snprintf(f, sizeof(f), "%s_proposed", kind);
		host->mut_op(c->m, JD_OP_HDEL, mkey, f, NULL);
		load_add(c->m, mentor, kind, c->aux3, "-1");
		snprintf(c->to, sizeof(c->to), "rejected");
		ctx_submit(c, "training.pair.reject", c->version, NULL);
		return;
	}
	/* end: before the term, a reason is required and the mentee is flagged */
	(void)host->day_parse(rec_str(c, "since"), &since);
	int early = c->day < since + config_int("term_days", 365);

	if (early && (reason == NULL || *reason == '\0')) {
		ctx_invalid(c,
			    "field 'reason' is required: the pairing ends before its term (%lld "
			    "days)",
			    config_int("term_days", 365));
		return;
	}
	(void)matched;
	host->mut_set(c->m, "state", "ended");
	host->mut_set(c->m, "ended", date);
	host->mut_set(c->m, "early", early ? "1" : "0");
	host->mut_set(c->m, "end_reason", reason ? reason : "");
	host->mut_set(c->m, "ended_by", host->req_principal(c->req));
	host->mut_op(c->m, JD_OP_ZREM, "pairs:active", c->id, NULL);
	host->mut_op(c->m, JD_OP_ZREM, "pairs:state:active", c->id, NULL);
	host->mut_op(c->m, JD_OP_ZADD, "pairs:state:ended", c->id, score);
	host->mut_op(c->m, JD_OP_HDEL, mkey, kind, NULL);
	snprintf(f, sizeof(f), "%s_pair", kind);
	host->mut_op(c->m, JD_OP_HDEL, mkey, f, NULL);
	if (early)
		host->mut_op(c->m, JD_OP_HSET, mkey, "flag", "ended_early");
	summary(c->m, person, strcmp(kind, "theory") != 0 && has_other,
		strcmp(kind, "practice") != 0 && has_other,
		early ? "ended_early" : obj_str(c->aux, "flag"));
	load_add(c->m, mentor, kind, c->aux3, "-1");
	snprintf(c->to, sizeof(c->to), "ended");
	ctx_submit(c, early ? "training.pair.end.early" : "training.pair.end", c->version, NULL);
}

void pair_approve(jd_req *req, void *arg)
{
	(void)arg;
	pair_route(req, "approve");
}

void pair_reject(jd_req *req, void *arg)
{
	(void)arg;
	pair_route(req, "reject");
}

void pair_end(jd_req *req, void *arg)
{
	(void)arg;
	pair_route(req, "end");
}
