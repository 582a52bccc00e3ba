/*
 * Calendar dates for the domain services (the host's day_* and date_input
 * slots): event dates are calendar days in local time, exchanged as
 * "YYYY-MM-DD" and counted as days since 1970-01-01, so ordering and adding
 * days are integer operations.  Counter buckets are "YYYYMMDD" and "YYYYMM".
 */
#ifndef JD_SVC_DATES_H
#define JD_SVC_DATES_H

#include <stddef.h>

#include <jiandu/plugin.h>

/* "YYYY-MM-DD" -> day; JD_OK, or JD_E_INVALID when not a real date (1949..9999). */
/* As jd_day_parse, for dates from min_year on (records older than the commission's events). */
int jd_day_parse_since(const char *s, unsigned min_year, jd_day *out);
int jd_day_parse(const char *s, jd_day *out);
/* day -> "YYYY-MM-DD" */
void jd_day_format(jd_day d, char out[11]);
/* day -> "YYYYMMDD" / "YYYYMM" (counter buckets) */
void jd_day_bucket(jd_day d, char out[9]);
void jd_month_bucket(jd_day d, char out[7]);
int jd_day_year(jd_day d);
/* YYYYMMDD as a number (sorted set scores) */
long jd_day_number(jd_day d);
jd_day jd_day_from_number(long n);
/* today, local time */
jd_day jd_day_today(void);
/* the same day a year earlier (29 February -> 28 February) */
jd_day jd_day_year_before(jd_day d);
/*
 * The counter buckets covering [from, to]: whole months as "YYYYMM", the
 * other days as "YYYYMMDD".  *out is a malloc'd array of malloc'd strings;
 * returns the count or -1 (out of memory).
 */
int jd_buckets_plan(jd_day from, jd_day to, char ***out);
void jd_buckets_free(char **b, int n);
/*
 * The event date of an input field: absent -> today; otherwise parsed and
 * checked: not in the future, not before `not_before` (negative: no bound).
 * JD_OK, or JD_E_INVALID with a message naming the field in err.
 */
int jd_date_input(const char *field, const char *value, jd_day not_before, const char *after_what,
		  jd_day *out, char *err, size_t errlen);

#endif
