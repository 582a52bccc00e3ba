/*
 * Growth plans (成长培养计划) from versioned templates.  A template
 * ("tpl:<code>") keeps every version ("v.<n>": its milestones as JSON);
 * adding it again adds a version, and a plan keeps the version it started
 * from.  A milestone is due a number of days after the cadre's start date
 * (the first political lesson 政治首课 within the first month, ...), has an
 * owner (the mentee or one of the mentors), and gathers its evidence
 * (sealed notes, attachment digests), the cadre's self-assessment (sealed)
 * and the mentor's score.  A plan is complete when every milestone is done,
 * behind while one is overdue (not done, due date passed), else on track.
 * Open milestones sit in "milestones:due" (scored by due date) so the digest
 * finds the overdue ones in one read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

#define MS_MAX 30

/* ---- templates ---- */

static int owner_valid(const char *o)
{
	return o != NULL &&
	       (strcmp(o, "mentee") == 0 || strcmp(o, "theory") == 0 || strcmp(o, "practice") == 0);
}

/* "" when valid, else why */
static const char *milestones_check(json_t *ms, char *err, size_t len)
{
	size_t i;
	json_t *m;

	if (!json_is_array(ms) || json_array_size(ms) == 0 || json_array_size(ms) > MS_MAX) {
		snprintf(err, len, "field 'milestones': a JSON array of 1 to %d milestones",
			 MS_MAX);
		return err;
	}
	json_array_foreach(ms, i, m)
	{
		json_t *days = json_object_get(m, "days");

		if (!ids_valid(obj_str(m, "key")) || *obj_str(m, "title") == '\0' ||
		    strlen(obj_str(m, "title")) > 200 || !json_is_integer(days) ||
		    json_integer_value(days) < 1 || json_integer_value(days) > 1095 ||
		    !owner_valid(obj_str(m, "owner"))) {
			snprintf(err, len,
				 "field 'milestones': entry %zu needs key (code), title (1..200), "
				 "days (1..1095 after the start) and owner (mentee, theory or "
				 "practice)",
				 i + 1);
			return err;
		}
	}
	return "";
}

static void template_apply(struct ctx *c)
{
	json_t *ms = json_loads(in_str(c, "milestones"), 0, NULL);
	char err[300], f[24];
	long n = atol(rec_str(c, "versions")) + 1;
	char *text;

	c->version = rec_int(c, "_v");
	if (*milestones_check(ms, err, sizeof(err))) {
		json_decref(ms);
		ctx_invalid(c, "%s", err);
		return;
	}
	text = json_dumps(ms, JSON_COMPACT);
	json_decref(ms);
	if (text == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	snprintf(f, sizeof(f), "v.%ld", n);
	host->mut_set(c->m, f, text);
	host->mut_setf(c->m, "versions", "%ld", n);
	host->mut_set(c->m, "name", in_str(c, "name"));
	free(text);
	snprintf(c->to, sizeof(c->to), "v%ld", n);
	ctx_submit(c, "training.template.add", c->version ? c->version : JD_VERSION_NEW, NULL);
}

void template_add(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "template");

	(void)arg;
	if (c == NULL)
		return;
	if (ctx_keyed(c, "code", "tpl") == 0)
		ctx_read(c, c->record, &c->rec, template_apply);
}

/* ---- the plan's state ---- */

static json_t *milestone(const json_t *rec, long i)
{
	char f[24];

	snprintf(f, sizeof(f), "m.%ld", i);
	return json_loads(obj_str(rec, f), 0, NULL);
}

static const char *ms_field(const json_t *rec, long i, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "m.%ld.%s", i, what);
	return obj_str(rec, buf);
}

const char *plan_state(const json_t *rec, jd_day day)
{
	long n = atol(obj_str(rec, "milestones"));
	int behind = 0, open = 0;

	for (long i = 1; i <= n; i++) {
		char f[32];
		json_t *m = milestone(rec, i);
		jd_day due;

		if (*ms_field(rec, i, "done", f, sizeof(f)) == '\0') {
			open++;
			if (host->day_parse(obj_str(m, "due"), &due) == JD_OK && due < day)
				behind = 1;
		}
		json_decref(m);
	}
	return open == 0 ? "complete" : behind ? "behind" : "on_track";
}

/*
 * "plans:open" holds each open plan scored by its earliest open milestone's
 * due date, so the plans behind (a due date passed) and on track are two
 * counts of one sorted set, whatever the number of plans (now.c).
 */
static void plan_open_index(struct ctx *c, const char *pid, const json_t *rec)
{
	long n = atol(obj_str(rec, "milestones"));
	jd_day first = -1;
	char f[32], score[24];

	for (long i = 1; i <= n; i++) {
		json_t *m = milestone(rec, i);
		jd_day due;

		if (*ms_field(rec, i, "done", f, sizeof(f)) == '\0' &&
		    host->day_parse(obj_str(m, "due"), &due) == JD_OK && (first < 0 || due < first))
			first = due;
		json_decref(m);
	}
	if (first < 0) {
		host->mut_op(c->m, JD_OP_ZREM, PLANS_OPEN, pid, NULL);
		return;
	}
	snprintf(score, sizeof(score), "%ld", host->day_number(first));
	host->mut_op(c->m, JD_OP_ZADD, PLANS_OPEN, pid, score);
}

/* ---- a plan from a template ---- */

static void plan_apply(struct ctx *c)
{
	const json_t *tpl = c->aux2;
	long v = atol(obj_str(tpl, "versions"));
	char f[24], pid[33], date[11], score[24], member[80];
	json_t *ms;
	size_t i;
	json_t *m;
	jd_day start, first = -1;

	if (v < 1) {
		ctx_invalid(c, "field 'template': no template %s in tenant %s",
			    in_str(c, "template"), c->tenant);
		return;
	}
	if (*rec_str(c, "plan")) {
		ctx_conflict(c, "has_plan", "mentee %s already has plan %s", c->id,
			     rec_str(c, "plan"));
		return;
	}
	if (host->day_parse(rec_str(c, "start"), &start) != JD_OK) {
		ctx_fail(c, JD_ERR);
		return;
	}
	snprintf(f, sizeof(f), "v.%ld", v);
	ms = json_loads(obj_str(tpl, f), 0, NULL);
	host->new_id(pid);
	snprintf(c->record, sizeof(c->record), "plan:%s", pid);
	host->mut_set(c->m, "mentee", c->id);
	host->mut_set(c->m, "unit", rec_str(c, "unit"));
	host->mut_set(c->m, "start", rec_str(c, "start"));
	host->mut_set(c->m, "template", in_str(c, "template"));
	host->mut_setf(c->m, "template_version", "%ld", v);
	host->day_format(host->day_today(), date);
	host->mut_set(c->m, "created", date);
	host->mut_setf(c->m, "milestones", "%zu", json_array_size(ms));
	json_array_foreach(ms, i, m)
	{
		char due[11], *text;
		jd_day d = start + (jd_day)json_integer_value(json_object_get(m, "days"));

		host->day_format(d, due);
		json_object_set_new(m, "due", json_string(due));
		text = json_dumps(m, JSON_COMPACT);
		snprintf(f, sizeof(f), "m.%zu", i + 1);
		if (text == NULL)
			host->mut_fail(c->m);
		else
			host->mut_set(c->m, f, text);
		free(text);
		snprintf(member, sizeof(member), "%s#%zu", pid, i + 1);
		snprintf(score, sizeof(score), "%ld", host->day_number(d));
		host->mut_op(c->m, JD_OP_ZADD, "milestones:due", member, score);
		if (first < 0 || d < first)
			first = d;
	}
	json_decref(ms);
	if (first >= 0) { /* every milestone open: the earliest due date */
		snprintf(score, sizeof(score), "%ld", host->day_number(first));
		host->mut_op(c->m, JD_OP_ZADD, PLANS_OPEN, pid, score);
	}
	snprintf(score, sizeof(score), "%ld", host->day_number(host->day_today()));
	host->mut_op(c->m, JD_OP_ZADD, "plans:all", pid, score);
	snprintf(member, sizeof(member), "mentee:%s", c->id);
	host->mut_op(c->m, JD_OP_CHECK, member, NULL, rec_str(c, "_v"));
	host->mut_op(c->m, JD_OP_HINCRBY, member, "_v", "1");
	host->mut_op(c->m, JD_OP_HSET, member, "plan", pid);
	cnt_plan(c->m, rec_str(c, "unit"), host->day_today(), 1);
	snprintf(c->id, sizeof(c->id), "%s", pid);
	c->type = "plan";
	snprintf(c->to, sizeof(c->to), "on_track");
	ctx_submit(c, "training.plan.add", JD_VERSION_NEW, NULL);
}

static void plan_template(struct ctx *c)
{
	char key[80];

	snprintf(key, sizeof(key), "tpl:%s", in_str(c, "template"));
	ctx_read(c, key, &c->aux2, plan_apply);
}

void plan_add(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "mentee");

	(void)arg;
	if (c == NULL)
		return;
	if (!ids_valid(in_str(c, "template"))) {
		ctx_invalid(c, "field 'template': a template's code");
		return;
	}
	if (ctx_keyed(c, "mentee", "mentee") == 0)
		ctx_load(c, plan_template);
}

/* ---- need-to-know: the plan, the caller, the mentee's mentors ---- */

enum role { R_NONE, R_MENTEE, R_MENTOR, R_LEADER };

static enum role role_of(struct ctx *c)
{
	if (*c->who && strcmp(c->who, rec_str(c, "mentee")) == 0)
		return R_MENTEE;
	if (*c->who && (strcmp(c->who, obj_str(c->aux, "theory")) == 0 ||
			strcmp(c->who, obj_str(c->aux, "practice")) == 0))
		return R_MENTOR;
	return ctx_county_wide(c) ? R_LEADER : R_NONE;
}

static void with_mentee_rec(struct ctx *c)
{
	char key[80];

	snprintf(key, sizeof(key), "mentee:%s", rec_str(c, "mentee"));
	ctx_read(c, key, &c->aux, c->then);
}

static void plan_loaded(struct ctx *c)
{
	ctx_whoami(c, with_mentee_rec);
}

static void plan_route(jd_req *req, ctx_step then)
{
	struct ctx *c = ctx_route(req, "plan");

	if (c == NULL)
		return;
	c->then = then;
	ctx_load(c, plan_loaded);
}

static void plan_answer(struct ctx *c)
{
	json_t *o = json_object(), *list = json_array();
	long n = rec_int(c, "milestones");

	for (long i = 1; i <= n; i++) {
		json_t *m = milestone(c->rec, i);
		char f[32], name[32];
		const char *v;

		if (m == NULL)
			continue;
		json_object_set_new(m, "n", json_integer(i));
		if (*(v = ms_field(c->rec, i, "done", f, sizeof(f))))
			json_object_set_new(m, "done", json_string(v));
		if (*(v = ms_field(c->rec, i, "digests", f, sizeof(f))))
			json_object_set_new(m, "digests", json_string(v));
		if (*(v = ms_field(c->rec, i, "score", f, sizeof(f))))
			json_object_set_new(m, "score", json_integer(atoll(v)));
		snprintf(name, sizeof(name), "m.%ld.notes", i);
		ctx_open_into(c, m, "notes", "plan", c->id, name, rec_str(c, name));
		snprintf(name, sizeof(name), "m.%ld.self", i);
		ctx_open_into(c, m, "self_assessment", "plan", c->id, name, rec_str(c, name));
		json_array_append_new(list, m);
	}
	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "mentee", json_string(rec_str(c, "mentee")));
	json_object_set_new(o, "unit", json_string(rec_str(c, "unit")));
	json_object_set_new(o, "start", json_string(rec_str(c, "start")));
	json_object_set_new(o, "template", json_string(rec_str(c, "template")));
	json_object_set_new(o, "template_version", json_integer(rec_int(c, "template_version")));
	json_object_set_new(o, "state", json_string(plan_state(c->rec, host->day_today())));
	json_object_set_new(o, "version", json_integer(c->version));
	json_object_set_new(o, "milestones", list);
	ctx_reply(c, 200, o);
}

static void plan_visible(struct ctx *c)
{
	if (role_of(c) == R_NONE) {
		ctx_not_found(c);
		return;
	}
	ctx_keys(c, plan_answer);
}

void plan_show(jd_req *req, void *arg)
{
	(void)arg;
	plan_route(req, plan_visible);
}

/* ---- a milestone's record ---- */

/* Who may give what: 0 with the milestone's due date, or -1 replied */
static int ms_check(struct ctx *c, long i, jd_day *due)
{
	json_t *m = milestone(c->rec, i), *score = json_object_get(c->in, "score");
	enum role r = role_of(c);

	if (r == R_NONE) {
		json_decref(m);
		ctx_not_found(c);
		return -1;
	}
	if (m == NULL || i < 1) {
		json_decref(m);
		ctx_invalid(c, "no milestone %s in plan %s (1..%lld)", host->req_param(c->req, "n"),
			    c->id, rec_int(c, "milestones"));
		return -1;
	}
	if (host->day_parse(obj_str(m, "due"), due) != JD_OK)
		*due = -1;
	json_decref(m);
	if (score != NULL &&
	    (r == R_MENTEE || json_integer_value(score) < 0 || json_integer_value(score) > 100)) {
		ctx_invalid(c, "field 'score': 0..100, given by a mentor or a leader");
		return -1;
	}
	if (in_str(c, "self_assessment") != NULL && r != R_MENTEE) {
		ctx_invalid(c, "field 'self_assessment' is the mentee's own");
		return -1;
	}
	return 0;
}

/* Digests, the mentor's score, the sealed notes and self-assessment; 0 or -1 replied */
static int ms_evidence(struct ctx *c, long i)
{
	const char *digests = in_str(c, "digests"), *notes = in_str(c, "notes");
	const char *selfa = in_str(c, "self_assessment");
	json_t *score = json_object_get(c->in, "score");
	char f[32];

	if (digests != NULL) {
		if (strspn(digests, "0123456789abcdef,") != strlen(digests)) {
			ctx_invalid(c, "field 'digests': sha256 hex digests, comma-separated");
			return -1;
		}
		snprintf(f, sizeof(f), "m.%ld.digests", i);
		host->mut_set(c->m, f, digests);
	}
	if (score != NULL) {
		snprintf(f, sizeof(f), "m.%ld.score", i);
		host->mut_setf(c->m, f, "%lld", (long long)json_integer_value(score));
	}
	snprintf(f, sizeof(f), "m.%ld.notes", i);
	if (notes != NULL && ctx_seal_set(c, "plan", c->id, f, notes, NULL) != 0)
		return -1;
	snprintf(f, sizeof(f), "m.%ld.self", i);
	if (selfa != NULL && ctx_seal_set(c, "plan", c->id, f, selfa, NULL) != 0)
		return -1;
	return 0;
}

/* The done date (set once): counted on time or late; the plan complete with its last */
static int ms_done(struct ctx *c, long i, jd_day due)
{
	char f[32], member[100], sc[24];
	jd_day start = -1, d;

	if (in_str(c, "done") == NULL || *ms_field(c->rec, i, "done", f, sizeof(f)) != '\0')
		return 0;
	(void)host->day_parse(rec_str(c, "start"), &start);
	if (ctx_date(c, "done", start, "the cadre started", &d) != 0)
		return -1;
	host->day_format(d, member);
	host->mut_set(c->m, f, member);
	snprintf(member, sizeof(member), "%s#%ld", c->id, i);
	host->mut_op(c->m, JD_OP_ZREM, "milestones:due", member, NULL);
	cnt_milestone(c->m, rec_str(c, "unit"), d, d <= due, 1);
	json_object_set_new(c->rec, f, json_string("x")); /* the state after it */
	plan_open_index(c, c->id, c->rec);
	snprintf(c->to, sizeof(c->to), "%s", plan_state(c->rec, host->day_today()));
	if (strcmp(c->to, "complete") != 0)
		return 0;
	host->day_format(d, member);
	host->mut_set(c->m, "completed", member);
	snprintf(sc, sizeof(sc), "%ld", host->day_number(d));
	host->mut_op(c->m, JD_OP_ZADD, "plans:state:complete", c->id, sc);
	cnt_plan_complete(c->m, rec_str(c, "unit"), d, 1);
	return 0;
}

static void ms_apply(struct ctx *c)
{
	long i = atol(host->req_param(c->req, "n"));
	jd_day due;

	if (ms_check(c, i, &due) != 0 || ms_evidence(c, i) != 0)
		return;
	snprintf(c->to, sizeof(c->to), "%s", plan_state(c->rec, host->day_today()));
	if (ms_done(c, i, due) != 0)
		return;
	ctx_submit(c, "training.plan.milestone", c->version, NULL);
}

static void ms_keys(struct ctx *c)
{
	ctx_keys(c, ms_apply);
}

void milestone_update(jd_req *req, void *arg)
{
	(void)arg;
	plan_route(req, ms_keys);
}
