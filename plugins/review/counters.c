/*
 * What each change counts, in the same mutation as the change (the host's
 * counter_add: hashes "rcnt:t", "rcnt:u:<unit>", dated by the event's own
 * date, under the case's filing unit).  The days from acceptance to
 * completion are kept as a histogram, one metric per day up to 60 and
 * three wider buckets beyond, so the median and the 90th percentile of a
 * range come from sums like every other figure.  cnt_record derives a
 * record's counters with the writers' functions, for recount.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

#define DAY_BUCKETS 61 /* days.0 .. days.60 */

static const char *const metrics[] = {
    "received", "accepted", "completed", "completed.on_time", "returned", "returned.supplementary",
    "returned.reinvestigation", "returned.facts_unclear", "returned.evidence_insufficient",
    "returned.procedure_flawed", "returned.characterization_wrong", "returned.other", "changed",
    "changed.characterization", "changed.sanction", "appeals", "appeals.completed", "appeal.upheld",
    "appeal.changed", "appeal.revoked",
    /* the days histogram: its order is the buckets' (stats.c reads it so) */
    "days.0", "days.1", "days.2", "days.3", "days.4", "days.5", "days.6", "days.7", "days.8",
    "days.9", "days.10", "days.11", "days.12", "days.13", "days.14", "days.15", "days.16",
    "days.17", "days.18", "days.19", "days.20", "days.21", "days.22", "days.23", "days.24",
    "days.25", "days.26", "days.27", "days.28", "days.29", "days.30", "days.31", "days.32",
    "days.33", "days.34", "days.35", "days.36", "days.37", "days.38", "days.39", "days.40",
    "days.41", "days.42", "days.43", "days.44", "days.45", "days.46", "days.47", "days.48",
    "days.49", "days.50", "days.51", "days.52", "days.53", "days.54", "days.55", "days.56",
    "days.57", "days.58", "days.59", "days.60", "days.61_90", "days.91_120", "days.121_plus", NULL};

const struct jd_counters review_counters = {.prefix = "rcnt", .metrics = metrics};

static void add(struct jd_mut *m, const char *unit, const char *metric, jd_day d, int sign)
{
	host->counter_add(m, &review_counters, unit, metric, d, sign);
}

void cnt_received(struct jd_mut *m, const char *unit, int appeal, jd_day d, int sign)
{
	add(m, unit, appeal ? "appeals" : "received", d, sign);
}

void cnt_accepted(struct jd_mut *m, const char *unit, int appeal, jd_day d, int sign)
{
	if (!appeal)
		add(m, unit, "accepted", d, sign);
}

void cnt_returned(struct jd_mut *m, const char *unit, const char *kind, const char *why, jd_day d,
		  int sign)
{
	char metric[64];

	add(m, unit, "returned", d, sign);
	snprintf(metric, sizeof(metric), "returned.%s", kind ? kind : "");
	add(m, unit, metric, d, sign);
	snprintf(metric, sizeof(metric), "returned.%s", why ? why : "other");
	add(m, unit, metric, d, sign);
}

static void days_bucket(long days, char *out, size_t len)
{
	if (days < 0)
		days = 0;
	if (days < DAY_BUCKETS)
		snprintf(out, len, "days.%ld", days);
	else
		snprintf(out, len, "%s",
			 days <= 90    ? "days.61_90"
			 : days <= 120 ? "days.91_120"
				       : "days.121_plus");
}

void cnt_completed(struct jd_mut *m, const char *unit, int appeal, int on_time, long days,
		   int changed_any, int changed_char, int changed_sanction, const char *outcome,
		   jd_day d, int sign)
{
	char metric[48];

	if (appeal) {
		snprintf(metric, sizeof(metric), "appeal.%s", outcome);
		add(m, unit, "appeals.completed", d, sign);
		add(m, unit, metric, d, sign);
		return;
	}
	add(m, unit, "completed", d, sign);
	if (on_time)
		add(m, unit, "completed.on_time", d, sign);
	days_bucket(days, metric, sizeof(metric));
	add(m, unit, metric, d, sign);
	for (int i = 0; i < changed_char; i++)
		add(m, unit, "changed.characterization", d, sign);
	for (int i = 0; i < changed_sanction; i++)
		add(m, unit, "changed.sanction", d, sign);
	for (int i = 0; i < changed_any; i++)
		add(m, unit, "changed", d, sign);
}

void cnt_record(struct jd_mut *m, const json_t *rec)
{
	const char *unit = jstr(rec, "count_unit", "");
	int appeal = strcmp(jstr(rec, "kind", ""), "appeal") == 0;
	long long n = atoll(jstr(rec, "returns", ""));
	jd_day d;

	if (host->day_parse(jstr(rec, "received", ""), &d) == JD_OK)
		cnt_received(m, unit, appeal, d, 1);
	if (host->day_parse(jstr(rec, "accepted", ""), &d) == JD_OK)
		cnt_accepted(m, unit, appeal, d, 1);
	for (long long i = 1; i <= n; i++) {
		char f[32];
		json_t *r;

		snprintf(f, sizeof(f), "return.%lld", i);
		r = json_loads(jstr(rec, f, ""), 0, NULL);
		if (r != NULL &&
		    host->day_parse(json_string_value(json_object_get(r, "date")), &d) == JD_OK)
			cnt_returned(m, unit, json_string_value(json_object_get(r, "kind")),
				     json_string_value(json_object_get(r, "why")), d, 1);
		json_decref(r);
	}
	if (host->day_parse(jstr(rec, "completed", ""), &d) == JD_OK)
		cnt_completed(m, unit, appeal, strcmp(jstr(rec, "on_time", ""), "1") == 0,
			      atol(jstr(rec, "days", "")), atoi(jstr(rec, "changed", "")),
			      atoi(jstr(rec, "changed_char", "")),
			      atoi(jstr(rec, "changed_sanction", "")), jstr(rec, "outcome", ""), d,
			      1);
}
