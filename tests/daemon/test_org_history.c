/*
 * The organization's history (org/org_history.h), its pure parts: a
 * county's entry from its figures, the HGETALL read back, the entry that
 * holds at the end of a month (the latest at or before it; none before
 * the first), and the sums of a roll-up in the org report's shape, which
 * the report section maps to its figures (report/report_org.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "org/org_history.h"
#include "report/report_org.h"

static json_t *county(int centralized, const char *modes, int posts, int filled, int breaches)
{
	return json_pack("{s:b, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:[" /* breaches */ "]}",
			 "centralized", centralized, "modes", modes, "posts", posts, "filled",
			 filled, "agency_posts", posts / 2, "agency_filled", filled / 2,
			 "transfers", 1, "posts_moved", 2, "leadership_moved", 1, "breaches");
}

static json_t *with_breaches(json_t *c, int n)
{
	json_t *list = json_object_get(c, "breaches");

	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_object());
	return c;
}

static void test_entry(void **state)
{
	json_t *c = with_breaches(county(1, "task_force,area", 10, 9, 0), 2);
	json_t *e = jd_org_history_entry(c, 7);

	(void)state;
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "rev")), 7);
	assert_true(json_is_true(json_object_get(e, "centralized")));
	assert_int_equal(json_integer_value(json_object_get(e, "breaches")), 2);
	assert_int_equal(json_integer_value(json_object_get(e, "posts_moved")), 2);
	assert_string_equal(json_string_value(json_object_get(e, "modes")), "task_force,area");
	json_decref(e);
	json_decref(c);
}

static void test_of_and_at(void **state)
{
	json_t *arr = json_pack("[s, s, s, s, s, s, s, s]", "_v", "3", "2025-06", "{\"posts\": 1}",
				"2025-12", "{\"posts\": 2}", "junk", "{}");
	json_t *hist = jd_org_history_of(arr);
	const char *first = NULL;

	(void)state;
	assert_non_null(hist);
	assert_int_equal(json_object_size(hist), 2); /* "_v" and "junk" are no months */
	assert_null(jd_org_history_at(hist, "2025-05", &first));
	assert_string_equal(first, "2025-06");
	assert_int_equal(
	    json_integer_value(json_object_get(jd_org_history_at(hist, "2025-06", NULL), "posts")),
	    1);
	/* a month without an entry holds the last before it */
	assert_int_equal(
	    json_integer_value(json_object_get(jd_org_history_at(hist, "2025-11", NULL), "posts")),
	    1);
	assert_int_equal(
	    json_integer_value(json_object_get(jd_org_history_at(hist, "2026-03", NULL), "posts")),
	    2);
	json_decref(hist);
	json_decref(arr);
}

static double value_of(const struct jd_report_value *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(jd_report_org_section.figures[i].key, key) == 0)
			return v[i].has_value ? v[i].value : -1;
	return -2;
}

static void test_sum_as_the_report_reads_it(void **state)
{
	json_t *a = county(1, "task_force", 10, 9, 0), *b = county(0, "area", 10, 7, 0);
	json_t *ea = jd_org_history_entry(with_breaches(a, 1), 1);
	json_t *eb = jd_org_history_entry(b, 1);
	const json_t *both[] = {ea, eb};
	json_t *sum = jd_org_history_sum(both, 2);
	size_t n = jd_report_org_count();
	struct jd_report_value v[32];

	(void)state;
	assert_non_null(sum);
	assert_true(n <= 32);
	jd_report_org_values(sum, v);
	assert_true(value_of(v, n, "org.centralized_tenants") == 1);
	assert_true(value_of(v, n, "org.centralized_share") == 50);
	assert_true(value_of(v, n, "org.staffing_rate") == 80); /* 16 of 20 */
	assert_true(value_of(v, n, "org.posts_moved") == 4);
	assert_true(value_of(v, n, "org.rule_breaches") == 1);
	assert_true(value_of(v, n, "org.modes_task_force") == 1);
	assert_true(value_of(v, n, "org.modes_joint_group") == 0);
	/* no history: every figure null, never zero */
	jd_report_org_values(NULL, v);
	assert_true(value_of(v, n, "org.staffing_rate") == -1);
	assert_true(value_of(v, n, "org.rule_breaches") == -1);
	json_decref(sum);
	json_decref(ea);
	json_decref(eb);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entry),
	    cmocka_unit_test(test_of_and_at),
	    cmocka_unit_test(test_sum_as_the_report_reads_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
