/*
 * A pairing after its proposal: approved or rejected by a leader, or ended.
 * Ending before term_days needs a reason and flags the mentee ("ended_early")
 * until both mentors are there again (flags.c).  The approval that gives a
 * mentee their second mentor dates "matched" and counts the cohort's
 * matched cadre and days from the start (counters.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

/* ---- approve, reject, end: the pair, then the mentee and the mentor's load ---- */

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

/* What the three steps share: the pair's mentee and mentor, the date */
struct step {
	const char *kind, *mentor, *person;
	char mkey[100], date[11], score[24];
	int has_other; /* the mentee has the other kind's mentor */
};

static void mentee_field(struct ctx *c, const struct step *s, enum jd_op_kind op,
			 const char *suffix, const char *value)
{
	char f[48];

	snprintf(f, sizeof(f), "%s%s", s->kind, suffix);
	host->mut_op(c->m, op, s->mkey, f, value);
}

static void approve_apply(struct ctx *c, const struct step *s)
{
	jd_day start;

	host->mut_set(c->m, "state", "active");
	host->mut_set(c->m, "since", s->date);
	host->mut_set(c->m, "last_talk", s->date);
	host->mut_set(c->m, "approved_by", host->req_principal(c->req));
	mentee_field(c, s, JD_OP_HSET, "", s->mentor);
	mentee_field(c, s, JD_OP_HSET, "_pair", c->id);
	mentee_field(c, s, JD_OP_HDEL, "_proposed", NULL);
	host->mut_op(c->m, JD_OP_ZADD, "pairs:active", c->id, s->score);
	host->mut_op(c->m, JD_OP_ZADD, "pairs:state:active", c->id, s->score);
	cnt_pair_began(c->m, rec_str(c, "unit"), c->day, 1);
	if (s->has_other) { /* both mentors now: the flag goes, the first time is counted */
		host->mut_op(c->m, JD_OP_HDEL, s->mkey, "flag", NULL);
		if (*obj_str(c->aux, "matched") == '\0' &&
		    host->day_parse(obj_str(c->aux, "start"), &start) == JD_OK) {
			host->mut_op(c->m, JD_OP_HSET, s->mkey, "matched", s->date);
			cnt_matched(c->m, obj_str(c->aux, "unit"), start, c->day, 1);
		}
	}
	mentee_summary(c->m, s->person, s->has_other || strcmp(s->kind, "theory") == 0,
		       s->has_other || strcmp(s->kind, "practice") == 0,
		       s->has_other ? "" : obj_str(c->aux, "flag"));
	snprintf(c->to, sizeof(c->to), "active");
	ctx_submit(c, "training.pair.approve", c->version, NULL);
}

static void reject_apply(struct ctx *c, const struct step *s)
{
	const char *reason = in_str(c, "reason");

	host->mut_set(c->m, "state", "rejected");
	host->mut_set(c->m, "rejected_by", host->req_principal(c->req));
	host->mut_set(c->m, "rejected_reason", reason ? reason : "");
	host->mut_op(c->m, JD_OP_ZADD, "pairs:state:rejected", c->id, s->score);
	mentee_field(c, s, JD_OP_HDEL, "_proposed", NULL);
	mentor_load(c->m, s->mentor, s->kind, c->aux3, "-1");
	snprintf(c->to, sizeof(c->to), "rejected");
	ctx_submit(c, "training.pair.reject", c->version, NULL);
}

/* Before the term, a reason is required and the mentee is flagged until re-matched. */
static void end_apply(struct ctx *c, const struct step *s)
{
	const char *reason = in_str(c, "reason");
	long long term = config_int("term_days", 365);
	jd_day since = c->day;
	int early;

	(void)host->day_parse(rec_str(c, "since"), &since);
	early = c->day < since + term;
	if (early && (reason == NULL || *reason == '\0')) {
		ctx_invalid(
		    c, "field 'reason' is required: the pairing ends before its term (%lld days)",
		    term);
		return;
	}
	host->mut_set(c->m, "state", "ended");
	host->mut_set(c->m, "ended", s->date);
	host->mut_set(c->m, "early", early ? "1" : "0");
	host->mut_set(c->m, "end_reason", reason ? reason : "");
	host->mut_set(c->m, "ended_by", host->req_principal(c->req));
	host->mut_op(c->m, JD_OP_ZREM, "pairs:active", c->id, NULL);
	host->mut_op(c->m, JD_OP_ZREM, "pairs:state:active", c->id, NULL);
	host->mut_op(c->m, JD_OP_ZADD, "pairs:state:ended", c->id, s->score);
	cnt_pair_ended(c->m, rec_str(c, "unit"), c->day, 1);
	mentee_field(c, s, JD_OP_HDEL, "", NULL);
	mentee_field(c, s, JD_OP_HDEL, "_pair", NULL);
	if (early)
		host->mut_op(c->m, JD_OP_HSET, s->mkey, "flag", "ended_early");
	mentee_summary(c->m, s->person, strcmp(s->kind, "theory") != 0 && s->has_other,
		       strcmp(s->kind, "practice") != 0 && s->has_other,
		       early ? "ended_early" : obj_str(c->aux, "flag"));
	mentor_load(c->m, s->mentor, s->kind, c->aux3, "-1");
	snprintf(c->to, sizeof(c->to), "ended");
	ctx_submit(c, early ? "training.pair.end.early" : "training.pair.end", c->version, NULL);
}

static void decide_apply(struct ctx *c)
{
	const char *action = json_string_value(json_object_get(c->aux2, "action"));
	struct step s = {.kind = rec_str(c, "kind"),
			 .mentor = rec_str(c, "mentor"),
			 .person = rec_str(c, "mentee")};

	s.has_other = *obj_str(c->aux, other_kind(s.kind)) != '\0';
	host->day_format(c->day, s.date);
	snprintf(s.mkey, sizeof(s.mkey), "mentee:%s", s.person);
	snprintf(s.score, sizeof(s.score), "%ld", host->day_number(c->day));
	rec_guard(c->m, s.mkey, c->aux);
	host->mut_op(c->m, JD_OP_ZREM, "pairs:state:proposed", c->id, NULL);
	if (strcmp(action, "approve") == 0)
		approve_apply(c, &s);
	else if (strcmp(action, "reject") == 0)
		reject_apply(c, &s);
	else
		end_apply(c, &s);
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
