/*
 * China's administrative divisions (org_division.h): the levels, the
 * GB/T 2260 code against the level and the parent, and the one tenant rule
 * built on them in auth.c (who reads a roll-up reads every tenant beneath
 * it; a county's reader not its sibling).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "org/org_division.h"
#include "security/auth.h"

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(jd_division_tier("province"), JD_TIER_PROVINCE);
	assert_int_equal(jd_division_tier("municipality"), JD_TIER_PROVINCE);
	assert_int_equal(jd_division_tier("city"), JD_TIER_PREFECTURE);
	assert_int_equal(jd_division_tier("district"), JD_TIER_COUNTY);
	assert_int_equal(jd_division_tier("county"), JD_TIER_COUNTY);
	assert_int_equal(jd_division_tier("county_city"), JD_TIER_COUNTY);
	assert_int_equal(jd_division_tier("borough"), -1);
	assert_int_equal(jd_division_tier(NULL), -1);
	assert_true(jd_division_county_level("district"));
	assert_false(jd_division_county_level("municipality"));
	assert_false(jd_division_county_level(NULL));
}

/* A check's answer: accepted when want is NULL, else refused with why containing want. */
static void expect_why(int rc, const char *why, const char *want, const char *what)
{
	if (want == NULL) {
		assert_int_equal(rc, JD_OK);
		return;
	}
	assert_int_equal(rc, JD_E_INVALID);
	if (strstr(why, want) == NULL)
		fail_msg("%s: '%s' does not say '%s'", what, why, want);
}

static void expect_code(const char *code, const char *level, const char *want)
{
	char why[300] = "";

	expect_why(jd_division_code_check(code, level, why, sizeof(why)), why, want, code);
}

static void test_codes(void **state)
{
	(void)state;
	expect_code("510000", "province", NULL);
	expect_code("120000", "municipality", NULL);
	expect_code("500000", "municipality", NULL);
	expect_code("510600", "city", NULL);
	expect_code("510681", "county_city", NULL);
	expect_code("120101", "district", NULL);
	expect_code("429004", "county_city", NULL);
	expect_code("120000", "province", "use level municipality");
	expect_code("510000", "municipality", "not a municipality's");
	expect_code("510600", "province", "then 0000");
	expect_code("000000", "province", "then 0000");
	expect_code("120100", "city", "sit directly under it");
	expect_code("510601", "city", "then 00");
	expect_code("519000", "city", "xx90xx");
	expect_code("510000", "city", "a province's code");
	expect_code("510600", "district", "ends in 00");
	expect_code("51068", "county", "is not a division");
}

static void expect_parent(const char *code, const char *level, const char *parent,
			  const char *plevel, const char *want)
{
	char why[300] = "";

	expect_why(jd_division_parent_check(code, level, parent, plevel, why, sizeof(why)), why,
		   want, code);
}

static void test_parents(void **state)
{
	(void)state;
	expect_parent("510600", "city", "510000", "province", NULL);
	expect_parent("510681", "county", "510600", "city", NULL);
	expect_parent("120101", "district", "120000", "municipality", NULL);
	expect_parent("500229", "county", "500000", "municipality", NULL);
	expect_parent("429004", "county_city", "420000", "province", NULL);
	expect_parent("510698", "county", "510000", "province", "wrong level");
	expect_parent("510681", "county", "510682", "county_city", "wrong level");
	expect_parent("510600", "city", "120000", "municipality", "wrong level");
	expect_parent("511002", "district", "510600", "city", "does not lie under '510600'");
	expect_parent("120101", "district", "510600", "city", "does not lie under");
	expect_parent("520100", "city", "510000", "province", "does not lie under");
}

static void test_covers(void **state)
{
	(void)state;
	assert_true(jd_division_covers("510000", "510681"));
	assert_true(jd_division_covers("510000", "510600"));
	assert_true(jd_division_covers("510600", "510681"));
	assert_true(jd_division_covers("120000", "120101"));
	assert_true(jd_division_covers("510681", "510681"));
	assert_true(jd_division_covers("t1", "t1"));
	assert_false(jd_division_covers("510681", "510683")); /* siblings */
	assert_false(jd_division_covers("510600", "511002"));
	assert_false(jd_division_covers("510681", "510600")); /* up, not down */
	assert_false(jd_division_covers("510000", "520000"));
	assert_false(jd_division_covers("t1", "t10"));
	assert_false(jd_division_covers("", "510681"));
	assert_false(jd_division_covers(NULL, "510681"));
}

static struct jd_principal who(const char *tenants, unsigned roles)
{
	struct jd_principal p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "u");
	snprintf(p.tenants, sizeof(p.tenants), "%s", tenants);
	p.roles = roles;
	return p;
}

static void test_tenant_rule(void **state)
{
	struct jd_principal city = who("510600", JD_ROLE_LEADER);
	struct jd_principal tianjin = who("t1, 120000", JD_ROLE_LEADER);
	struct jd_principal county = who("510681", JD_ROLE_LEADER);
	struct jd_principal admin = who("", JD_ROLE_ADMIN);
	struct jd_record_scope lead = {"510681", "ag1", "", ""};
	struct jd_record_scope sibling = {"510683", "ag1", "", ""};
	struct jd_record_scope district = {"120101", "ag1", "", ""};

	(void)state;
	assert_true(jd_auth_tenant_within(&city, "510681"));
	assert_true(jd_auth_tenant_within(&tianjin, "120101"));
	assert_true(jd_auth_tenant_within(&tianjin, "t1"));
	assert_false(jd_auth_tenant_within(&county, "510683"));
	assert_false(jd_auth_tenant_within(&county, "510600"));
	/* figures and organization */
	assert_true(jd_auth_tenant_readable(&city, "510683", NULL));
	assert_true(jd_auth_tenant_readable(&tianjin, "120101", NULL));
	assert_false(jd_auth_tenant_readable(&county, "510683", NULL));
	assert_false(jd_auth_tenant_readable(&tianjin, "510681", NULL));
	assert_true(jd_auth_tenant_readable(&admin, "510681", NULL));
	/* a tenant made before codes were checked: its parent's people still read it */
	assert_true(jd_auth_tenant_readable(&city, "999999", "510600"));
	/* records: the same rule */
	assert_true(jd_auth_record_visible(&city, &lead));
	assert_true(jd_auth_record_visible(&city, &sibling));
	assert_true(jd_auth_record_visible(&tianjin, &district));
	assert_true(jd_auth_record_visible(&county, &lead));
	assert_false(jd_auth_record_visible(&county, &sibling));
	assert_false(jd_auth_record_visible(&tianjin, &lead));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels),	cmocka_unit_test(test_codes),
	    cmocka_unit_test(test_parents),	cmocka_unit_test(test_covers),
	    cmocka_unit_test(test_tenant_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
