/*
 * The domain services' pure parts (daemon/services/): calendar dates
 * (parsing, order, counter buckets, the year before, event dates checked
 * against the record's history) and state machines declared as data (the
 * cases plugin's tables, compiled in: they are data and need no host).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "services/svc_dates.h"
#include "services/svc_machine.h"

#include "../../plugins/cases/states.c"

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

/* A state's deadline key, "" when it has none. */
static const char *deadline_key(const struct jd_machine *m, const char *state)
{
	const struct jd_state *s = jd_machine_state(m, state);

	return s && s->deadline_key ? s->deadline_key : "";
}

static void states_lead(void **state)
{
	const struct jd_transition *t;
	char allowed[300];

	(void)state;
	t = jd_machine_find(&lead_machine, "registered", "dispose.talk_inquiry");
	assert_non_null(t);
	assert_string_equal(t->to, "inquiring");
	assert_true(t->approval);
	assert_string_equal(t->tag, "talk_inquiry");
	t = jd_machine_find(&lead_machine, "inquiring", "outcome.escalate");
	assert_string_equal(t->to, "verifying");
	assert_string_equal(t->tag, "prelim_verification");
	assert_null(jd_machine_find(&lead_machine, "closed", "dispose.close"));
	assert_null(jd_machine_find(&lead_machine, "registered", "file"));
	assert_false(jd_machine_find(&lead_machine, "held", "reactivate")->approval);
	jd_machine_allowed(&lead_machine, "registered", allowed, sizeof(allowed));
	assert_string_equal(
	    allowed, "dispose (talk_inquiry, prelim_verification, hold_pending, close), extend");
	jd_machine_allowed(&lead_machine, "verifying", allowed, sizeof(allowed));
	assert_string_equal(allowed, "outcome (file, close, hold), extend");
	jd_machine_allowed(&lead_machine, "closed", allowed, sizeof(allowed));
	assert_string_equal(allowed, "none (closed is final)");
	jd_machine_allowed(&lead_machine, "registered", allowed, 12); /* cut, never overrun */
	assert_int_equal(strlen(allowed), 11);
	assert_true(jd_machine_terminal(&lead_machine, "filed"));
	assert_false(jd_machine_terminal(&lead_machine, "to_file"));
	assert_string_equal(deadline_key(&lead_machine, "verifying"), "verification_days");
	assert_string_equal(deadline_key(&lead_machine, "closed"), "");
	assert_true(jd_machine_state(&lead_machine, "held") != NULL);
	assert_false(jd_machine_state(&lead_machine, "decided") != NULL);
}

static void states_case(void **state)
{
	char allowed[300];

	(void)state;
	assert_string_equal(jd_machine_find(&case_machine, "filed", "plan")->to, "investigating");
	assert_null(jd_machine_find(&case_machine, "filed", "measure"));
	assert_null(jd_machine_find(&case_machine, "investigating", "measure")->to);
	assert_string_equal(jd_machine_find(&case_machine, "in_review", "review.return")->to,
			    "investigating");
	jd_machine_allowed(&case_machine, "investigating", allowed, sizeof(allowed));
	assert_string_equal(allowed, "measure, extend, conclude");
	assert_true(jd_machine_terminal(&case_machine, "decided"));
	assert_string_equal(deadline_key(&case_machine, "investigating"), "investigation_days");
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
