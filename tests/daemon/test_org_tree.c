/* The counties a city or province rolls up, from the tenants' summaries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "org/org_tree.h"

static json_t *fixture(void)
{
	json_error_t e;
	json_t *all = json_loads(
	    "{\"510000\": {\"name\": \"四川省\", \"level\": \"province\", \"parent\": \"\"},"
	    " \"510600\": {\"name\": \"德阳市\", \"level\": \"city\", \"parent\": \"510000\"},"
	    " \"510681\": {\"name\": \"广汉市\", \"level\": \"county\", \"parent\": \"510600\","
	    "             \"centralized\": true},"
	    " \"510603\": {\"name\": \"旌阳区\", \"level\": \"county\", \"parent\": \"510600\","
	    "             \"centralized\": false},"
	    " \"511000\": {\"name\": \"内江市\", \"level\": \"city\", \"parent\": \"510000\"},"
	    " \"511002\": {\"name\": \"市中区\", \"level\": \"county\", \"parent\": \"511000\","
	    "             \"centralized\": true},"
	    " \"120000\": {\"name\": \"天津市\", \"level\": \"province\", \"parent\": \"\"},"
	    " \"120101\": {\"name\": \"和平区\", \"level\": \"county\", \"parent\": \"120000\","
	    "             \"centralized\": true},"
	    " \"990001\": {\"name\": \"loop a\", \"level\": \"city\", \"parent\": \"990002\"},"
	    " \"990002\": {\"name\": \"loop b\", \"level\": \"city\", \"parent\": \"990001\"},"
	    " \"990003\": {\"name\": \"in loop\", \"level\": \"county\", \"parent\": \"990001\"}}",
	    0, &e);

	assert_non_null(all);
	return all;
}

static void expect_counties(const json_t *all, const char *code, const char *want, int centralized)
{
	json_t *tree = jd_org_tree_of(all, code);
	json_t *list;
	char got[256] = "";

	assert_non_null(tree);
	list = json_object_get(tree, "counties");
	for (size_t i = 0; i < json_array_size(list); i++) {
		if (i > 0)
			strcat(got, ",");
		strcat(got, json_string_value(json_array_get(list, i)));
	}
	assert_string_equal(got, want);
	assert_int_equal(json_integer_value(json_object_get(tree, "centralized")), centralized);
	assert_string_equal(json_string_value(json_object_get(tree, "code")), code);
	json_decref(tree);
}

static void test_rollups(void **state)
{
	json_t *all = fixture();

	(void)state;
	expect_counties(all, "510000", "510603,510681,511002", 2);
	expect_counties(all, "510600", "510603,510681", 1);
	expect_counties(all, "510681", "510681", 1); /* a county is its own roll-up */
	expect_counties(all, "120000", "120101", 1); /* a municipality's districts directly */
	expect_counties(all, "990001", "990003", 0); /* a parent loop ends */
	assert_null(jd_org_tree_of(all, "999999"));  /* absent */
	json_decref(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rollups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
