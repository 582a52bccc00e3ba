/*
 * Dual mentors (双导师): suggest and propose.  A new cadre registered as a
 * mentee (mentees.c) gets a theory mentor (政治理论导师) and a practice
 * mentor (业务实践导师).  A proposal is refused unless the mentor is eligible
 * (eligible.c); it reserves the mentor's capacity; a leader then approves
 * or rejects it (pairs.c).
 *
 * Several records move together in one mutation (the mutation's record, the
 * mentee, the mentor's load "mentor:<id>"): each other record's version
 * ("_v") is checked at the value read and bumped (rec_guard), so two leaders
 * acting at once cannot overfill a mentor nor give a mentee two mentors of a
 * kind: the second gets 409.
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

int kind_valid(const char *k)
{
	return k != NULL && (strcmp(k, "theory") == 0 || strcmp(k, "practice") == 0);
}

const char *other_kind(const char *k)
{
	return strcmp(k, "theory") == 0 ? "practice" : "theory";
}

/* ---- checks of other records in the same mutation ---- */

/* CHECK key at the version read, then bump it (it is written through ops). */
void rec_guard(struct jd_mut *m, const char *key, const json_t *rec)
{
	const char *v = obj_str(rec, "_v");

	host->mut_op(m, JD_OP_CHECK, key, NULL, *v ? v : "0");
	host->mut_op(m, JD_OP_HINCRBY, key, "_v", "1");
}

/* The mentee's one-line summary "theory|practice|flag" (flags.c reads them all at once). */
void mentee_summary(struct jd_mut *m, const char *person, int theory, int practice,
		    const char *flag)
{
	char v[80];

	snprintf(v, sizeof(v), "%d|%d|%s", theory, practice, flag);
	host->mut_op(m, JD_OP_HSET, "mentees:summary", person, v);
}

void mentor_load(struct jd_mut *m, const char *mentor, const char *kind, const json_t *rec,
		 const char *by)
{
	char key[100], lk[32];

	snprintf(key, sizeof(key), "mentor:%s", mentor);
	snprintf(lk, sizeof(lk), "loads:%s", kind);
	rec_guard(m, key, rec);
	host->mut_op(m, JD_OP_HINCRBY, key, kind, by);
	host->mut_op(m, JD_OP_HINCRBY, lk, mentor, by);
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

/* 409 not_eligible with every reason (stolen), one line and a list */
static void not_eligible(struct ctx *c, json_t *reasons)
{
	char text[600] = "";
	size_t i, used = 0;
	json_t *v;

	json_array_foreach(reasons, i, v)
	{
		int n = snprintf(text + used, sizeof(text) - used, "%s%s", i ? "; " : "",
				 json_string_value(v));

		if (n < 0 || (size_t)n >= sizeof(text) - used)
			break;
		used += (size_t)n;
	}
	host->reply_json(c->req, 409,
			 json_pack("{s:{s:s, s:s, s:o}}", "error", "code", "not_eligible",
				   "message", text, "reasons", reasons));
	ctx_free(c);
}

/* The new pairing "pair:<pid>", written through ops of the mentee's mutation */
static void pair_new(struct ctx *c, const char *pid)
{
	const char *kind = in_str(c, "kind");
	char key[100], date[11], score[24];

	host->day_format(c->day, date);
	snprintf(key, sizeof(key), "pair:%s", pid);
	host->mut_op(c->m, JD_OP_CHECK, key, NULL, "0");
	host->mut_op(c->m, JD_OP_HINCRBY, key, "_v", "1");
	host->mut_op(c->m, JD_OP_HSET, key, "mentee", c->id);
	host->mut_op(c->m, JD_OP_HSET, key, "mentor", in_str(c, "mentor"));
	host->mut_op(c->m, JD_OP_HSET, key, "kind", kind);
	host->mut_op(c->m, JD_OP_HSET, key, "unit", rec_str(c, "unit"));
	host->mut_op(c->m, JD_OP_HSET, key, "state", "proposed");
	host->mut_op(c->m, JD_OP_HSET, key, "proposed", date);
	host->mut_op(c->m, JD_OP_HSET, key, "proposed_by", host->req_principal(c->req));
	snprintf(score, sizeof(score), "%ld", host->day_number(c->day));
	host->mut_op(c->m, JD_OP_ZADD, "pairs:all", pid, score);
	host->mut_op(c->m, JD_OP_ZADD, "pairs:state:proposed", pid, score);
	mentor_load(c->m, in_str(c, "mentor"), kind, c->aux3, "1");
}

static void propose_apply(struct ctx *c)
{
	const char *kind = in_str(c, "kind");
	char pid[33], f[40];
	json_t *r;
	jd_day start;

	if (host->day_parse(rec_str(c, "start"), &start) == JD_OK && c->day < start) {
		ctx_invalid(c, "field 'date': %s is before the mentee started (%s)",
			    in_str(c, "date"), rec_str(c, "start"));
		return;
	}
	r = reasons_of(c, in_str(c, "mentor"));
	if (json_array_size(r) > 0) {
		not_eligible(c, r);
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
	host->mut_set(c->m, f, pid);
	pair_new(c, pid);
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
