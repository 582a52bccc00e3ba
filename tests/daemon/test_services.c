/*
 * The domain services' pure parts (daemon/services/): calendar dates
 * (parsing, order, counter buckets, the year before, event dates checked
 * against the record's history).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "services/svc_dates.h"

static void dates_parse(void **state)
{
	jd_day d, e;
	char s[11];

	(void)state;
	assert_int_equal(jd_day_parse("2026-03-01", &d), 0);
	assert_int_equal(jd_day_parse("2026-02-28", &e), 0);
	assert_int_equal(d - e, 1);
	assert_int_equal(jd_day_parse("2024-02-29", &d), 0);
	assert_int_equal(jd_day_parse("2026-02-29", &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse("2026-13-01", &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse("2026-1-01", &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse("20260101", &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse(NULL, &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse("1900-01-01", &d), JD_E_INVALID); /* before 1949 is refused */
	assert_int_equal(jd_day_parse("2000-01-01", &d), 0);
	assert_int_equal(d, 10957);
	jd_day_format(d + 366, s);
	assert_string_equal(s, "2001-01-01");
	assert_int_equal(jd_day_number(d), 20000101);
	assert_int_equal(jd_day_from_number(20000101), d);
	assert_int_equal(jd_day_year(d), 2000);
}

static void dates_year_before(void **state)
{
	jd_day d;
	char s[11];

	(void)state;
	jd_day_parse("2024-02-29", &d);
	jd_day_format(jd_day_year_before(d), s);
	assert_string_equal(s, "2023-02-28");
	jd_day_parse("2026-06-30", &d);
	jd_day_format(jd_day_year_before(d), s);
	assert_string_equal(s, "2025-06-30");
}

static void dates_buckets(void **state)
{
	jd_day a, b;
	char **bk;
	int n;

	(void)state;
	jd_day_parse("2026-01-30", &a);
	jd_day_parse("2026-04-02", &b);
	n = jd_buckets_plan(a, b, &bk);
	/* 30, 31 January; February; March; 1, 2 April */
	assert_int_equal(n, 6);
	assert_string_equal(bk[0], "20260130");
	assert_string_equal(bk[1], "20260131");
	assert_string_equal(bk[2], "202602");
	assert_string_equal(bk[3], "202603");
	assert_string_equal(bk[4], "20260401");
	assert_string_equal(bk[5], "20260402");
	jd_buckets_free(bk, n);
	jd_day_parse("2026-01-01", &a);
	jd_day_parse("2026-12-31", &b);
	n = jd_buckets_plan(a, b, &bk);
	assert_int_equal(n, 12); /* a year: twelve months, not 365 days */
	jd_buckets_free(bk, n);
	n = jd_buckets_plan(b, a, &bk);
	assert_int_equal(n, 0);
	jd_buckets_free(bk, n);
}

static void dates_input(void **state)
{
	jd_day d, before;
	char err[200];

	(void)state;
	assert_int_equal(jd_date_input("date", NULL, -1, NULL, &d, err, sizeof(err)), 0);
	assert_int_equal(d, jd_day_today());
	assert_int_equal(jd_date_input("date", "2999-01-01", -1, NULL, &d, err, sizeof(err)),
			 JD_E_INVALID);
	assert_non_null(strstr(err, "field 'date': 2999-01-01 is in the future"));
	assert_int_equal(jd_date_input("date", "2026-02-31", -1, NULL, &d, err, sizeof(err)),
			 JD_E_INVALID);
	assert_non_null(strstr(err, "must be a date"));
	jd_day_parse("2026-01-10", &before);
	assert_int_equal(
	    jd_date_input("date", "2026-01-09", before, "received", &d, err, sizeof(err)),
	    JD_E_INVALID);
	assert_non_null(strstr(err, "is before received (2026-01-10)"));
	assert_int_equal(
	    jd_date_input("date", "2026-01-10", before, "received", &d, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dates_parse),
	    cmocka_unit_test(dates_year_before),
	    cmocka_unit_test(dates_buckets),
	    cmocka_unit_test(dates_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
