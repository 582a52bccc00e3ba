/*
 * Talks per pair per month (每对每月谈心谈话次数), exactly by its definition:
 * talks dated in the range ÷ pair-months active in the range, a pair being
 * active each day from its approval date to its end date (or today), both
 * counted; a pair-month is 30.4375 pair-days (docs/training.md, "Figures").
 *
 * The pairs active on a day are a running sum of the PAIRS_ON / PAIRS_OFF
 * counters (counters.c): the opening balance from the year, month and day
 * buckets before the range, then one day at a time.  So the fields read
 * grow with the length of the range (and the calendar: one per year since
 * 1949), never with the number of pairs; a roll-up reads each county's
 * counter hash in the same bounded fan-out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

#define FIRST_YEAR   1949 /* the earliest date the host accepts */
#define CHUNK	     1000 /* fields per HMGET (the host reads at most 1024 arguments) */
#define MONTH_DAYS   30.4375
#define PAIR_METRICS 2

static const char *const edge[PAIR_METRICS] = {PAIRS_ON, PAIRS_OFF};

static void field(json_t *fields, const char *metric, long bucket)
{
	char f[48];

	snprintf(f, sizeof(f), "%s|%ld", metric, bucket);
	json_array_append_new(fields, json_string(f));
}

/* The buckets adding up to every day up to and including d */
static void upto(json_t *fields, const char *metric, jd_day d)
{
	long n = host->day_number(d), y = n / 10000, m = n / 100 % 100;

	for (long yy = FIRST_YEAR; yy < y; yy++)
		field(fields, metric, yy);
	for (long mm = 1; mm < m; mm++)
		field(fields, metric, y * 100 + mm);
	for (jd_day x = host->day_from_number(y * 10000 + m * 100 + 1); x <= d; x++)
		field(fields, metric, host->day_number(x));
}

/* The last day counted: the range's end, but never after today */
static jd_day last_day(const struct stats_run *s, int p)
{
	jd_day today = host->day_today();

	return s->to[p] < today ? s->to[p] : today;
}

/*
 * Per period and metric: the opening buckets (to from-2), then one field
 * per day from from-1 to the last day.  pair_days walks the same layout.
 */
static void layout(struct stats_run *s)
{
	for (int p = 0; p < s->periods; p++)
		for (int k = 0; k < PAIR_METRICS; k++) {
			upto(s->fields, edge[k], s->from[p] - 2);
			for (jd_day d = s->from[p] - 1; d <= last_day(s, p); d++)
				field(s->fields, edge[k], host->day_number(d));
		}
}

/* Sums the fields from *at: the opening ones (as upto laid them out) */
static long long opening(const struct stats_run *s, size_t *at, jd_day d)
{
	long n = host->day_number(d), y = n / 10000, m = n / 100 % 100;
	size_t k =
	    (size_t)(y > FIRST_YEAR ? y - FIRST_YEAR : 0) + (size_t)(m - 1) + (size_t)(n % 100);
	long long v = 0;

	for (size_t i = 0; i < k; i++)
		v += s->sum[(*at)++];
	return v;
}

static long long pair_days(const struct stats_run *s, size_t *at, int p)
{
	jd_day last = last_day(s, p);
	size_t days = last >= s->from[p] - 1 ? (size_t)(last - s->from[p] + 2) : 0;
	long long on, off, total = 0;
	const long long *don, *doff;

	on = opening(s, at, s->from[p] - 2);
	don = s->sum + *at;
	*at += days;
	off = opening(s, at, s->from[p] - 2);
	doff = s->sum + *at;
	*at += days;
	if (days == 0)
		return 0;
	on += don[0]; /* began by the day before the range; ended before it: */
	for (size_t i = 1; i < days; i++) {
		on += don[i];
		off += doff[i - 1];
		total += on - off;
	}
	return total;
}

static void row(struct stats_run *s, const char *figure, json_t *v[2])
{
	json_t *figures = json_object_get(s->c->aux3, "figures");
	json_t *r = json_pack("{s:s, s:o}", "figure", figure, "value", v[0]);

	if (s->periods == 2)
		json_object_set_new(r, "previous", v[1]);
	json_array_append_new(figures, r);
}

static void pairdays_done(struct fanout *f)
{
	struct stats_run *s = (struct stats_run *)f;
	json_t *months[2] = {NULL, NULL}, *rate[2] = {NULL, NULL};
	size_t at = 0;

	if (f->rc != JD_OK) {
		stats_run_end(s, f->rc);
		return;
	}
	for (int p = 0; p < s->periods; p++) {
		long long pd = pair_days(s, &at, p);

		months[p] = round_json((double)pd / MONTH_DAYS, 10);
		rate[p] = pd > 0 ? round_json((double)s->talks[p] * MONTH_DAYS / (double)pd, 100)
				 : json_null();
	}
	row(s, "pair_months", months);
	row(s, "talks_per_pair_per_month", rate);
	s->next(s);
}

static void on_chunk(int rc, json_t *result, void *arg);

struct chunk_read {
	struct stats_run *s;
	size_t base;
};

static int read_chunk(struct fanout *f, size_t i)
{
	struct stats_run *s = (struct stats_run *)f;
	json_t *src = json_array_get(s->sources, i / s->chunks);
	size_t base = (i % s->chunks) * CHUNK, n = json_array_size(s->fields) - base;
	const char **argv;
	struct chunk_read *r;
	int rc;

	if (n > CHUNK)
		n = CHUNK;
	argv = calloc(n + 2, sizeof(*argv));
	r = malloc(sizeof(*r));
	if (argv == NULL || r == NULL) {
		free(argv);
		free(r);
		return JD_E_NOMEM;
	}
	*r = (struct chunk_read){s, base};
	argv[0] = "HMGET";
	argv[1] = json_string_value(json_array_get(src, 1));
	for (size_t j = 0; j < n; j++)
		argv[j + 2] = json_string_value(json_array_get(s->fields, base + j));
	rc = host->store_read(self, json_string_value(json_array_get(src, 0)), (int)n + 2, argv,
			      on_chunk, r);
	free(argv);
	if (rc != JD_OK)
		free(r);
	return rc;
}

static void on_chunk(int rc, json_t *result, void *arg)
{
	struct chunk_read *r = arg;
	size_t i;
	json_t *v;

	if (rc == JD_OK)
		json_array_foreach(result, i, v) r->s->sum[r->base + i] +=
		    json_is_string(v) ? atoll(json_string_value(v)) : 0;
	fanout_item_done(&r->s->f, rc);
	free(r);
}

void pairdays_start(struct stats_run *s, void (*next)(struct stats_run *s))
{
	size_t n;

	s->next = next;
	s->fields = json_array();
	if (s->fields == NULL) {
		stats_run_end(s, JD_E_NOMEM);
		return;
	}
	layout(s);
	n = json_array_size(s->fields);
	s->chunks = (n + CHUNK - 1) / CHUNK;
	s->sum = calloc(n ? n : 1, sizeof(*s->sum));
	if (s->sum == NULL) {
		stats_run_end(s, JD_E_NOMEM);
		return;
	}
	fanout_run(&s->f, json_array_size(s->sources) * s->chunks, read_chunk, pairdays_done);
}
