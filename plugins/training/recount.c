/*
 * POST /v1/training/recount: every counter recomputed from the records
 * (mentees, plans, talks, courses, practice records) with the functions the
 * writers use (counters.c); drift reported, and with fix corrected in one
 * audited mutation (the host's recount_run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

static const char *field(const json_t *rec, const char *name)
{
	return obj_str(rec, name);
}

static void mentee_counters(struct jd_mut *m, const json_t *rec)
{
	jd_day start, matched;

	if (host->day_parse(field(rec, "start"), &start) != JD_OK)
		return;
	cnt_mentee(m, field(rec, "unit"), start, 1);
	if (host->day_parse(field(rec, "matched"), &matched) == JD_OK)
		cnt_matched(m, field(rec, "unit"), start, matched, 1);
}

static void plan_counters(struct jd_mut *m, const json_t *rec)
{
	const char *unit = field(rec, "unit");
	long n = atol(field(rec, "milestones"));
	jd_day d, due;

	if (host->day_parse(field(rec, "created"), &d) == JD_OK)
		cnt_plan(m, unit, d, 1);
	if (host->day_parse(field(rec, "completed"), &d) == JD_OK)
		cnt_plan_complete(m, unit, d, 1);
	for (long i = 1; i <= n; i++) {
		char f[32];
		json_t *ms;

		snprintf(f, sizeof(f), "m.%ld.done", i);
		if (host->day_parse(field(rec, f), &d) != JD_OK)
			continue;
		snprintf(f, sizeof(f), "m.%ld", i);
		ms = json_loads(field(rec, f), 0, NULL);
		if (host->day_parse(obj_str(ms, "due"), &due) != JD_OK)
			due = d;
		cnt_milestone(m, unit, d, d <= due, 1);
		json_decref(ms);
	}
}

static void talk_counters(struct jd_mut *m, const json_t *rec)
{
	jd_day d;

	if (host->day_parse(field(rec, "date"), &d) == JD_OK)
		cnt_talk(m, field(rec, "unit"), d, 1);
}

/* A pairing counts the day it began and the day it ended (talks per pair-month) */
static void pair_counters(struct jd_mut *m, const json_t *rec)
{
	jd_day d;

	if (host->day_parse(field(rec, "since"), &d) == JD_OK)
		cnt_pair_began(m, field(rec, "unit"), d, 1);
	if (host->day_parse(field(rec, "ended"), &d) == JD_OK)
		cnt_pair_ended(m, field(rec, "unit"), d, 1);
}

static void course_counters(struct jd_mut *m, const json_t *rec)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)rec, k, v)
	{
		const char *mark = json_string_value(v), *bar;
		char f[24];
		const char *s;
		long i;
		jd_day d;

		if (strncmp(k, "a.", 2) != 0 || mark == NULL ||
		    (strncmp(mark, "present|", 8) != 0 && strncmp(mark, "late|", 5) != 0))
			continue;
		i = atol(k + 2);
		snprintf(f, sizeof(f), "s.%ld", i);
		s = field(rec, f);
		if (strlen(s) < 12)
			continue;
		snprintf(f, sizeof(f), "%.10s", s);
		if (host->day_parse(f, &d) != JD_OK)
			continue;
		bar = strchr(mark, '|');
		cnt_hours(m, bar + 1, d, atoll(s + 11), 1);
	}
}

static void practice_counters(struct jd_mut *m, const json_t *rec)
{
	long n = atol(field(rec, "mentees"));
	jd_day d;

	if (host->day_parse(field(rec, "date"), &d) != JD_OK)
		return;
	for (long i = 0; i < n; i++)
		cnt_practice(m, "", d, 1);
}

static const struct jd_recount_walk walks[] = {
    {"mentees:all", "mentee", "mentees", mentee_counters},
    {"plans:all", "plan", "plans", plan_counters},
    {"pairs:all", "pair", "pairs", pair_counters},
    {"talks:all", "talk", "talks", talk_counters},
    {"courses:all", "course", "courses", course_counters},
    {"practices:all", "practice", "practice_records", practice_counters},
    {NULL, NULL, NULL, NULL},
};

static const struct jd_recount training_recount = {
    .counters = &training_counters,
    .walks = walks,
    .record = "recount:last",
    .fix_action = "training.recount.fix",
};

static void on_recounted(int rc, json_t *answer, const char *message, void *arg)
{
	struct ctx *c = arg;

	if (rc == JD_E_INVALID && message != NULL)
		ctx_invalid(c, "%s", message);
	else if (rc != JD_OK)
		ctx_fail(c, rc);
	else
		ctx_reply(c, 200, json_incref(answer));
}

void recount_route(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "recount");
	int rc;

	(void)arg;
	if (c == NULL)
		return;
	rc = host->recount_run(self, &training_recount, req, c->tenant, in_bool(c, "fix"),
			       on_recounted, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}
