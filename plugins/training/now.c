/*
 * The figures of now (现状), for a county or summed over the counties of a
 * roll-up: plans on track / behind / complete, stalled pairs, this year's
 * credit hours per cadre and the share meeting the requirement.  They are
 * a snapshot of today, not of a range: a plan falls behind, and a pair
 * stalls, when a date passes without any change, so no counter dated by a
 * change can say what they were on a past day; hence no previous-year value.
 *
 * Each county is a few reads of indexes, whatever the number of its plans
 * and pairs (ZCOUNT / ZCARD of "pairs:active", "plans:all",
 * "plans:state:complete", "plans:open"), plus its hours hash and its
 * organization (people), read in the bounded fan-out of fanout.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

struct county {
	struct stats_run *s;
	const char *tenant;
	int step;
	json_t *hours; /* {person: hours} of this year */
};

static void county_step(struct county *k);

static void county_end(struct county *k, int rc)
{
	struct stats_run *s = k->s;

	json_decref(k->hours);
	free(k);
	fanout_item_done(&s->f, rc);
}

static long long as_int(const json_t *v)
{
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void on_people(int rc, json_t *org, void *arg)
{
	struct county *k = arg;
	long long need = config_int("hours_required", 40), *now = k->s->now;
	const char *id;
	json_t *p;

	if (rc != JD_OK) {
		county_end(k, rc == JD_E_NOTFOUND || rc == JD_E_INVALID ? JD_OK : rc);
		return;
	}
	json_object_foreach(json_object_get(org, "people"), id, p)
	{
		long long h = atoll(obj_str(k->hours, id));

		if (strcmp(obj_str(p, "status"), "retired") == 0)
			continue;
		now[NOW_CADRES]++;
		now[NOW_HOURS] += h;
		now[NOW_MEETING] += h >= need;
	}
	county_end(k, JD_OK);
}

static void on_read(int rc, json_t *result, void *arg)
{
	static const int into[] = {NOW_STALLED, NOW_PLANS, NOW_COMPLETE, NOW_BEHIND, NOW_ON_TRACK};
	struct county *k = arg;

	if (rc != JD_OK) {
		county_end(k, rc);
		return;
	}
	if (k->step < (int)(sizeof(into) / sizeof(into[0])))
		k->s->now[into[k->step]] += as_int(result);
	else
		k->hours = pairs_to_object(result);
	k->step++;
	county_step(k);
}

static void county_step(struct county *k)
{
	char lo[24], hi[24], key[32];
	jd_day today = host->day_today();
	const char *argv[4] = {"ZCOUNT", "pairs:active", "-inf", hi};
	int argc = 4, rc;

	switch (k->step) {
	case 0: /* no talk (nor approval) for stall_days */
		snprintf(hi, sizeof(hi), "%ld",
			 host->day_number(today - config_int("stall_days", 30)));
		break;
	case 1:
	case 2:
		argv[0] = "ZCARD";
		argv[1] = k->step == 1 ? "plans:all" : "plans:state:complete";
		argc = 2;
		break;
	case 3: /* an open milestone due before today */
		argv[1] = PLANS_OPEN;
		snprintf(hi, sizeof(hi), "%ld", host->day_number(today - 1));
		break;
	case 4:
		argv[1] = PLANS_OPEN;
		snprintf(lo, sizeof(lo), "%ld", host->day_number(today));
		argv[2] = lo;
		argv[3] = "+inf";
		break;
	case 5:
		snprintf(key, sizeof(key), "hours:%d", host->day_year(today));
		argv[0] = "HGETALL";
		argv[1] = key;
		argc = 2;
		break;
	default:
		rc = host->org_read(self, k->tenant, on_people, k);
		if (rc != JD_OK)
			county_end(k, rc);
		return;
	}
	rc = host->store_read(self, k->tenant, argc, argv, on_read, k);
	if (rc != JD_OK)
		county_end(k, rc);
}

static int county_start(struct fanout *f, size_t i)
{
	struct stats_run *s = (struct stats_run *)f;
	struct county *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return JD_E_NOMEM;
	k->s = s;
	k->tenant = json_string_value(json_array_get(s->counties, i));
	county_step(k);
	return JD_OK;
}

static void now_done(struct fanout *f)
{
	struct stats_run *s = (struct stats_run *)f;
	const long long *n = s->now;
	char today[11];
	json_t *now;

	if (f->rc != JD_OK) {
		stats_run_end(s, f->rc);
		return;
	}
	host->day_format(host->day_today(), today);
	now = json_pack(
	    "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:o}", "as_of", today,
	    "why_no_previous",
	    "a snapshot of today: plans fall behind and pairs stall as dates pass, without a "
	    "change "
	    "to date a counter by, so there is no value for a past day or the previous year",
	    "stalled_pairs", (json_int_t)n[NOW_STALLED], "plans", (json_int_t)n[NOW_PLANS],
	    "plans_complete", (json_int_t)n[NOW_COMPLETE], "plans_behind",
	    (json_int_t)n[NOW_BEHIND], "plans_on_track", (json_int_t)n[NOW_ON_TRACK], "cadres",
	    (json_int_t)n[NOW_CADRES], "hours_per_cadre", ratio(n[NOW_HOURS], n[NOW_CADRES], 1),
	    "hours_required", (json_int_t)config_int("hours_required", 40),
	    "meeting_requirement_pct", ratio(n[NOW_MEETING], n[NOW_CADRES], 100));
	json_object_set_new(s->c->aux3, "now", now);
	s->next(s);
}

void now_start(struct stats_run *s, void (*next)(struct stats_run *s))
{
	s->next = next;
	fanout_run(&s->f, json_array_size(s->counties), county_start, now_done);
}
