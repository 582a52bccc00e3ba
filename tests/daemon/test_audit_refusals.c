/* The cap on audited refusals: per source and minute, and in all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include <sodium.h>

#include "audit/audit_refusals.h"

static void test_per_source(void **state)
{
	time_t t = 6000000; /* the start of a minute */
	int n = 0;

	(void)state;
	jd_audit_refusals_reset();
	for (int i = 0; i < 50; i++)
		n += jd_audit_refusal_admit("10.0.0.1", t + 1);
	assert_int_equal(n, JD_AUDIT_REFUSALS_PER_SOURCE);
	assert_int_equal(jd_audit_refusals_dropped(), 50 - JD_AUDIT_REFUSALS_PER_SOURCE);
	/* another source has its own allowance */
	assert_true(jd_audit_refusal_admit("10.0.0.2", t + 2));
	/* the next minute starts over */
	assert_true(jd_audit_refusal_admit("10.0.0.1", t + 60));
	/* no source counts as "-" */
	assert_true(jd_audit_refusal_admit(NULL, t + 61));
}

static void test_total(void **state)
{
	time_t t = 6000000;
	char src[32];
	int n = 0;

	(void)state;
	jd_audit_refusals_reset();
	for (int i = 0; i < 2 * JD_AUDIT_REFUSALS_TOTAL; i++) {
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 256, i % 256);
		n += jd_audit_refusal_admit(src, t);
	}
	assert_int_equal(n, JD_AUDIT_REFUSALS_TOTAL);
	assert_true(jd_audit_refusal_admit("10.9.9.9", t + 60));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_per_source),
	    cmocka_unit_test(test_total),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
