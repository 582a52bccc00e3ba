/*
 * The metrics each change adds, in the same mutation (docs/training.md,
 * "Figures"): the host keeps them (counter_add: "tcnt:t", "tcnt:u:<unit>")
 * and sums them for a range (stats_query).  recount.c derives the same
 * fields from the records with these same functions.
 *
 * Cohort metrics (new, matched, md.<days>) are dated by the cadre's start
 * date, so "of the cadres who started in the range" is one read; events
 * (plans, milestones, talks, hours, practice) by their own date.
 */
#include <stdio.h>
#include <stdlib.h>

#include "training.h"

#define MD_MAX 180 /* days start->matched kept one by one; beyond: "md.more" */

static const char *fixed[] = {"new",	  "matched",   "plans",	  "plans.complete",
			      "ms.done",  "ms.ontime", "talks",	  "hours",
			      "practice", PAIRS_ON,    PAIRS_OFF, NULL};
static const char *metrics[sizeof(fixed) / sizeof(fixed[0]) + MD_MAX + 2];
static char md_names[MD_MAX + 1][12];

const struct jd_counters training_counters = {.prefix = "tcnt", .metrics = metrics};

int metrics_init(void)
{
	size_t n = 0;

	for (; fixed[n] != NULL; n++)
		metrics[n] = fixed[n];
	for (int d = 0; d <= MD_MAX; d++) {
		snprintf(md_names[d], sizeof(md_names[d]), "md.%d", d);
		metrics[n++] = md_names[d];
	}
	metrics[n++] = "md.more";
	metrics[n] = NULL;
	return JD_OK;
}

static void add(struct jd_mut *m, const char *unit, const char *metric, jd_day d, long long by)
{
	host->counter_add(m, &training_counters, unit, metric, d, by);
}

void cnt_mentee(struct jd_mut *m, const char *unit, jd_day start, int sign)
{
	add(m, unit, "new", start, sign);
}

void cnt_matched(struct jd_mut *m, const char *unit, jd_day start, jd_day matched, int sign)
{
	long days = matched - start;
	char md[16];

	add(m, unit, "matched", start, sign);
	if (days < 0)
		days = 0;
	if (days > MD_MAX)
		snprintf(md, sizeof(md), "md.more");
	else
		snprintf(md, sizeof(md), "md.%ld", days);
	add(m, unit, md, start, sign);
}

void cnt_plan(struct jd_mut *m, const char *unit, jd_day start, int sign)
{
	add(m, unit, "plans", start, sign);
}

void cnt_plan_complete(struct jd_mut *m, const char *unit, jd_day d, int sign)
{
	add(m, unit, "plans.complete", d, sign);
}

void cnt_milestone(struct jd_mut *m, const char *unit, jd_day done, int on_time, int sign)
{
	add(m, unit, "ms.done", done, sign);
	if (on_time)
		add(m, unit, "ms.ontime", done, sign);
}

void cnt_talk(struct jd_mut *m, const char *unit, jd_day d, int sign)
{
	add(m, unit, "talks", d, sign);
}

void cnt_hours(struct jd_mut *m, const char *unit, jd_day d, long long hours, int sign)
{
	add(m, unit, "hours", d, hours * sign);
}

void cnt_practice(struct jd_mut *m, const char *unit, jd_day d, int sign)
{
	add(m, unit, "practice", d, sign);
}

/*
 * A pairing active from its approval date to its end date (both counted):
 * PAIRS_ON on the day it began, PAIRS_OFF on the day it ended, by day and
 * month (counter_add) and by year ("<metric>|YYYY" on the same hashes), so
 * the pairs active on any day are a running sum whose opening balance is
 * read from the year, month and day buckets before it (pairdays.c).
 */
static void pair_edge(struct jd_mut *m, const char *unit, const char *metric, jd_day d, int sign)
{
	char key[96], f[48], by[8];

	add(m, unit, metric, d, sign);
	snprintf(f, sizeof(f), "%s|%d", metric, host->day_year(d));
	snprintf(by, sizeof(by), "%d", sign);
	snprintf(key, sizeof(key), "%s:t", training_counters.prefix);
	host->mut_op(m, JD_OP_HINCRBY, key, f, by);
	if (unit == NULL || *unit == '\0')
		return;
	snprintf(key, sizeof(key), "%s:u:%s", training_counters.prefix, unit);
	host->mut_op(m, JD_OP_HINCRBY, key, f, by);
}

void cnt_pair_began(struct jd_mut *m, const char *unit, jd_day since, int sign)
{
	pair_edge(m, unit, PAIRS_ON, since, sign);
}

void cnt_pair_ended(struct jd_mut *m, const char *unit, jd_day ended, int sign)
{
	pair_edge(m, unit, PAIRS_OFF, ended, sign);
}
