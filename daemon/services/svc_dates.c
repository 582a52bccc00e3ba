/*
 * Calendar dates (svc_dates.h).  Event dates are calendar days in the
 * commission's local time; a date before 1949 is refused as a typo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/svc_dates.h"

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
static jd_day from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void to_civil(jd_day z, long *y, unsigned *m, unsigned *d)
{
	long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

static unsigned month_days(long y, unsigned m)
{
	static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int jd_day_parse_since(const char *s, unsigned min_year, jd_day *out)
{
	unsigned y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return JD_E_INVALID;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return JD_E_INVALID;
	y = (unsigned)atoi(s);
	m = (unsigned)atoi(s + 5);
	d = (unsigned)atoi(s + 8);
	if (y < min_year || y > 9999 || m < 1 || m > 12 || d < 1 || d > month_days((long)y, m))
		return JD_E_INVALID;
	*out = from_civil((long)y, m, d);
	return JD_OK;
}

int jd_day_parse(const char *s, jd_day *out)
{
	return jd_day_parse_since(s, 1949, out);
}

void jd_day_format(jd_day day, char out[11])
{
	long y;
	unsigned m, d;

	to_civil(day, &y, &m, &d);
	snprintf(out, 11, "%04ld-%02u-%02u", labs(y % 10000), m % 100, d % 100);
}

void jd_day_bucket(jd_day day, char out[9])
{
	long y;
	unsigned m, d;

	to_civil(day, &y, &m, &d);
	snprintf(out, 9, "%04ld%02u%02u", labs(y % 10000), m % 100, d % 100);
}

void jd_month_bucket(jd_day day, char out[7])
{
	long y;
	unsigned m, d;

	to_civil(day, &y, &m, &d);
	snprintf(out, 7, "%04ld%02u", labs(y % 10000), m % 100);
}

int jd_day_year(jd_day day)
{
	long y;
	unsigned m, d;

	to_civil(day, &y, &m, &d);
	return (int)y;
}

long jd_day_number(jd_day day)
{
	long y;
	unsigned m, d;

	to_civil(day, &y, &m, &d);
	return y * 10000 + (long)m * 100 + (long)d;
}

jd_day jd_day_from_number(long n)
{
	return from_civil(n / 10000, (unsigned)(n / 100 % 100), (unsigned)(n % 100));
}

jd_day jd_day_today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		return (jd_day)(now / 86400);
	return from_civil(tm.tm_year + 1900L, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

jd_day jd_day_year_before(jd_day day)
{
	long y;
	unsigned m, d;

	to_civil(day, &y, &m, &d);
	if (m == 2 && d == 29)
		d = 28;
	return from_civil(y - 1, m, d);
}

static int push(char ***b, int *n, int *cap, const char *s)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 64;
		char **p = realloc(*b, sizeof(*p) * (size_t)nc);

		if (p == NULL)
			return -1;
		*b = p;
		*cap = nc;
	}
	if (((*b)[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int jd_buckets_plan(jd_day from, jd_day to, char ***out)
{
	char **b = NULL;
	int n = 0, cap = 0;
	jd_day d = from;

	while (d <= to) {
		long y;
		unsigned m, dd;
		char s[9];

		to_civil(d, &y, &m, &dd);
		if (dd == 1 && d + (jd_day)month_days(y, m) - 1 <= to) {
			jd_month_bucket(d, s);
			d += (jd_day)month_days(y, m);
		} else {
			jd_day_bucket(d, s);
			d++;
		}
		if (push(&b, &n, &cap, s) != 0) {
			jd_buckets_free(b, n);
			return -1;
		}
	}
	*out = b;
	return n;
}

void jd_buckets_free(char **b, int n)
{
	for (int i = 0; i < n; i++)
		free(b[i]);
	free(b);
}

int jd_date_input(const char *field, const char *value, jd_day not_before, const char *after_what,
		  jd_day *out, char *err, size_t errlen)
{
	jd_day today = jd_day_today(), d = today;
	char s[11];

	if (value != NULL && jd_day_parse(value, &d) != 0) {
		snprintf(err, errlen, "field '%s' must be a date YYYY-MM-DD (got '%.32s')", field,
			 value);
		return JD_E_INVALID;
	}
	if (d > today) {
		snprintf(err, errlen, "field '%s': %.32s is in the future", field, value);
		return JD_E_INVALID;
	}
	if (not_before >= 0 && d < not_before) {
		jd_day_format(not_before, s);
		snprintf(err, errlen, "field '%s': %.32s is before %s (%s)", field,
			 value ? value : "today", after_what ? after_what : "the previous step", s);
		return JD_E_INVALID;
	}
	*out = d;
	return JD_OK;
}
