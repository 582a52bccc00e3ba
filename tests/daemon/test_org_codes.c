/* The organization's shared forms (org_codes.h): codes, person ids, percentages, active records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "org/org_codes.h"

#define H32 "0123456789abcdef0123456789abcdef"

static void test_code(void **state)
{
	char longest[JD_ORG_CODE_MAX + 2];

	(void)state;
	assert_true(jd_org_code_ok("ag1"));
	assert_true(jd_org_code_ok("case_centre-2"));
	memset(longest, 'a', JD_ORG_CODE_MAX);
	longest[JD_ORG_CODE_MAX] = '\0';
	assert_true(jd_org_code_ok(longest));
	/* one too long */
	longest[JD_ORG_CODE_MAX] = 'a';
	longest[JD_ORG_CODE_MAX + 1] = '\0';
	assert_false(jd_org_code_ok(longest));
	assert_false(jd_org_code_ok(NULL));
	assert_false(jd_org_code_ok(""));
	assert_false(jd_org_code_ok("Ag1"));  /* upper case */
	assert_false(jd_org_code_ok("ag 1")); /* a space */
	assert_false(jd_org_code_ok("ag,1")); /* a list separator */
	assert_false(jd_org_code_ok("派驻组"));
}

static void test_person_id(void **state)
{
	(void)state;
	assert_true(jd_org_person_id_ok(H32));
	assert_false(jd_org_person_id_ok(NULL));
	assert_false(jd_org_person_id_ok(""));
	assert_false(jd_org_person_id_ok(H32 "0"));			      /* 33 */
	assert_false(jd_org_person_id_ok("0123456789abcdef0123456789abcde")); /* 31 */
	assert_false(jd_org_person_id_ok("0123456789ABCDEF0123456789abcdef"));
	assert_false(jd_org_person_id_ok("0123456789abcdeg0123456789abcdef"));
	assert_true(jd_org_hex_ok(H32 H32, 64));
	assert_false(jd_org_hex_ok(H32, 64));
	assert_false(jd_org_hex_ok(NULL, 0));
}

static void expect_percent(long long num, long long den, double want)
{
	json_t *v = jd_org_percent(num, den);

	assert_true(json_is_real(v));
	assert_true(json_real_value(v) > want - 0.0001 && json_real_value(v) < want + 0.0001);
	json_decref(v);
}

static void test_percent(void **state)
{
	(void)state;
	expect_percent(2, 3, 66.67); /* rounded half up */
	expect_percent(1, 3, 33.33);
	expect_percent(1, 8, 12.5);
	expect_percent(1, 200, 0.5);
	expect_percent(1, 40000, 0.0);	/* 0.0025: below half a hundredth */
	expect_percent(1, 20000, 0.01); /* 0.005: half up */
	expect_percent(0, 5, 0.0);
	expect_percent(7, 7, 100.0);
	expect_percent(3, 2, 150.0); /* more filled than approved: said as it is */
	assert_true(json_is_null(jd_org_percent(1, 0)));
	assert_true(json_is_null(jd_org_percent(1, -1)));
	assert_true(json_is_null(jd_org_percent(-1, 5)));
}

static void test_active(void **state)
{
	json_t *old = json_pack("{s:s}", "name", "x");
	json_t *on = json_pack("{s:s}", "status", "active");
	json_t *off = json_pack("{s:s}", "status", "retired");

	(void)state;
	assert_true(jd_org_active(old)); /* written before "status" existed */
	assert_true(jd_org_active(on));
	assert_false(jd_org_active(off));
	json_decref(old);
	json_decref(on);
	json_decref(off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_code),
	    cmocka_unit_test(test_person_id),
	    cmocka_unit_test(test_percent),
	    cmocka_unit_test(test_active),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
