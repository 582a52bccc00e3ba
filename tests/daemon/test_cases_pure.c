/*
 * The cases plugin's pure parts: calendar dates (parsing, order, counter
 * buckets, the year before) and the state machine tables.  The plugin's
 * files are compiled in here: they need nothing of the host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/cases/dates.c"
#include "../../plugins/cases/states.c"

static void dates_parse(void **state)
{
	jd_day d, e;
	char s[11];

	(void)state;
	assert_int_equal(day_parse("2026-03-01", &d), 0);
	assert_int_equal(day_parse("2026-02-28", &e), 0);
	assert_int_equal(d - e, 1);
	assert_int_equal(day_parse("2024-02-29", &d), 0);
	assert_int_equal(day_parse("2026-02-29", &d), -1);
	assert_int_equal(day_parse("2026-13-01", &d), -1);
	assert_int_equal(day_parse("2026-1-01", &d), -1);
	assert_int_equal(day_parse("20260101", &d), -1);
	assert_int_equal(day_parse(NULL, &d), -1);
	assert_int_equal(day_parse("1900-01-01", &d), -1); /* before 1949 is refused */
	assert_int_equal(day_parse("2000-01-01", &d), 0);
	assert_int_equal(d, 10957);
	day_format(d + 366, s);
	assert_string_equal(s, "2001-01-01");
	assert_int_equal(day_number(d), 20000101);
	assert_int_equal(day_from_number(20000101), d);
	assert_int_equal(day_year(d), 2000);
}

static void dates_year_before(void **state)
{
	jd_day d;
	char s[11];

	(void)state;
	day_parse("2024-02-29", &d);
	day_format(day_year_before(d), s);
	assert_string_equal(s, "2023-02-28");
	day_parse("2026-06-30", &d);
	day_format(day_year_before(d), s);
	assert_string_equal(s, "2025-06-30");
}

static void dates_buckets(void **state)
{
	jd_day a, b;
	char **bk;
	int n;

	(void)state;
	day_parse("2026-01-30", &a);
	day_parse("2026-04-02", &b);
	n = buckets_plan(a, b, &bk);
	/* 30, 31 January; February; March; 1, 2 April */
	assert_int_equal(n, 6);
	assert_string_equal(bk[0], "20260130");
	assert_string_equal(bk[1], "20260131");
	assert_string_equal(bk[2], "202602");
	assert_string_equal(bk[3], "202603");
	assert_string_equal(bk[4], "20260401");
	assert_string_equal(bk[5], "20260402");
	buckets_free(bk, n);
	day_parse("2026-01-01", &a);
	day_parse("2026-12-31", &b);
	n = buckets_plan(a, b, &bk);
	assert_int_equal(n, 12); /* a year: twelve months, not 365 days */
	buckets_free(bk, n);
	n = buckets_plan(b, a, &bk);
	assert_int_equal(n, 0);
	buckets_free(bk, n);
}

static void dates_input(void **state)
{
	jd_day d, before;
	char err[200];

	(void)state;
	assert_int_equal(date_input("date", NULL, -1, NULL, &d, err, sizeof(err)), 0);
	assert_int_equal(d, day_today());
	assert_int_equal(date_input("date", "2999-01-01", -1, NULL, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "field 'date': 2999-01-01 is in the future"));
	assert_int_equal(date_input("date", "2026-02-31", -1, NULL, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "must be a date"));
	day_parse("2026-01-10", &before);
	assert_int_equal(date_input("date", "2026-01-09", before, "received", &d, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "is before received (2026-01-10)"));
	assert_int_equal(date_input("date", "2026-01-10", before, "received", &d, err, sizeof(err)),
			 0);
}

static void states_lead(void **state)
{
	const struct transition *t;
	char allowed[300];

	(void)state;
	t = transition_find(KIND_LEAD, "registered", "dispose.talk_inquiry");
	assert_non_null(t);
	assert_string_equal(t->to, "inquiring");
	assert_true(t->approval);
	assert_string_equal(t->disposition, "talk_inquiry");
	t = transition_find(KIND_LEAD, "inquiring", "outcome.escalate");
	assert_string_equal(t->to, "verifying");
	assert_string_equal(t->disposition, "prelim_verification");
	assert_null(transition_find(KIND_LEAD, "closed", "dispose.close"));
	assert_null(transition_find(KIND_LEAD, "registered", "file"));
	assert_false(transition_find(KIND_LEAD, "held", "reactivate")->approval);
	transitions_allowed(KIND_LEAD, "registered", allowed, sizeof(allowed));
	assert_string_equal(
	    allowed, "dispose (talk_inquiry, prelim_verification, hold_pending, close), extend");
	transitions_allowed(KIND_LEAD, "verifying", allowed, sizeof(allowed));
	assert_string_equal(allowed, "outcome (file, close, hold), extend");
	transitions_allowed(KIND_LEAD, "closed", allowed, sizeof(allowed));
	assert_string_equal(allowed, "none (closed is final)");
	transitions_allowed(KIND_LEAD, "registered", allowed, 12); /* cut, never overrun */
	assert_int_equal(strlen(allowed), 11);
	assert_true(state_terminal(KIND_LEAD, "filed"));
	assert_false(state_terminal(KIND_LEAD, "to_file"));
	assert_string_equal(state_deadline_key(KIND_LEAD, "verifying"), "verification_days");
	assert_string_equal(state_deadline_key(KIND_LEAD, "closed"), "");
	assert_true(state_valid(KIND_LEAD, "held"));
	assert_false(state_valid(KIND_LEAD, "decided"));
}

static void states_case(void **state)
{
	char allowed[300];

	(void)state;
	assert_string_equal(transition_find(KIND_CASE, "filed", "plan")->to, "investigating");
	assert_null(transition_find(KIND_CASE, "filed", "measure"));
	assert_null(transition_find(KIND_CASE, "investigating", "measure")->to);
	assert_string_equal(transition_find(KIND_CASE, "in_review", "review.return")->to,
			    "investigating");
	transitions_allowed(KIND_CASE, "investigating", allowed, sizeof(allowed));
	assert_string_equal(allowed, "measure, extend, conclude");
	assert_true(state_terminal(KIND_CASE, "decided"));
	assert_string_equal(state_deadline_key(KIND_CASE, "investigating"), "investigation_days");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dates_parse),   cmocka_unit_test(dates_year_before),
	    cmocka_unit_test(dates_buckets), cmocka_unit_test(dates_input),
	    cmocka_unit_test(states_lead),   cmocka_unit_test(states_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
