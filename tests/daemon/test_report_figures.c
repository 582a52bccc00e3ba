/*
 * The report's figures as JSON (report/report_figures.h) and the
 * organization section's values (report/report_org.h): rounding by unit,
 * growth, suppression of small counts, a by entry, and the org report's
 * figures mapped to their keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "report/report_figures.h"
#include "report/report_org.h"

static const struct jd_report_figure count_fig = {"t.count", "Count", "计数", "count", "d"};
static const struct jd_report_figure pct_fig = {"t.pct", "Share", "占比", "percent", "d"};

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void test_growth_and_rounding(void **state)
{
	struct jd_report_value v = {1218, 862, 1, 1};
	struct jd_report_view view = {1, 0};
	json_t *f = jd_report_figure_json(&count_fig, &v, &view);

	(void)state;
	assert_non_null(f);
	assert_true(json_is_integer(json_object_get(f, "value")));
	assert_int_equal(json_integer_value(json_object_get(f, "value")), 1218);
	assert_true(num(f, "growth") > 0.41299 && num(f, "growth") < 0.41301); /* +41.3% */
	assert_false(json_is_true(json_object_get(f, "suppressed")));
	assert_string_equal(json_string_value(json_object_get(f, "label_zh")), "计数");
	json_decref(f);

	v = (struct jd_report_value){95.6789, 0, 1, 0};
	f = jd_report_figure_json(&pct_fig, &v, &view);
	assert_true(num(f, "value") > 95.6799 && num(f, "value") < 95.6801);
	assert_true(json_is_null(json_object_get(f, "previous")));
	assert_true(json_is_null(json_object_get(f, "growth"))); /* nothing to compare with */
	json_decref(f);
}

static void test_no_compare(void **state)
{
	struct jd_report_value v = {5, 2, 1, 1};
	struct jd_report_view view = {0, 0};
	json_t *f = jd_report_figure_json(&count_fig, &v, &view);

	(void)state;
	assert_null(json_object_get(f, "previous"));
	assert_true(json_is_null(json_object_get(f, "growth")));
	json_decref(f);
}

static void test_suppression(void **state)
{
	struct jd_report_view view = {1, 3};
	struct jd_report_value small = {2, 10, 1, 1}, small_prev = {10, 1, 1, 1};
	struct jd_report_value zero = {0, 0, 1, 1}, big = {3, 7, 1, 1};
	json_t *f;

	(void)state;
	f = jd_report_figure_json(&count_fig, &small, &view);
	assert_true(json_is_true(json_object_get(f, "suppressed")));
	assert_true(json_is_null(json_object_get(f, "value")));
	assert_true(json_is_null(json_object_get(f, "previous")));
	assert_true(json_is_null(json_object_get(f, "growth")));
	json_decref(f);
	f = jd_report_figure_json(&count_fig, &small_prev, &view);
	assert_true(json_is_true(json_object_get(f, "suppressed")));
	json_decref(f);
	f = jd_report_figure_json(&count_fig, &zero, &view);
	assert_false(json_is_true(json_object_get(f, "suppressed"))); /* zero names no one */
	json_decref(f);
	f = jd_report_figure_json(&count_fig, &big, &view);
	assert_false(json_is_true(json_object_get(f, "suppressed")));
	json_decref(f);
	f = jd_report_figure_json(&pct_fig, &small, &view);
	assert_false(json_is_true(json_object_get(f, "suppressed"))); /* a share is no count */
	json_decref(f);
}

static void test_by_entry(void **state)
{
	struct jd_report_value v = {1, 0, 1, 1};
	struct jd_report_view view = {1, 3};
	json_t *e = jd_report_by_json("510681", "广汉市", &count_fig, &v, &view);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(e, "key")), "510681");
	assert_string_equal(json_string_value(json_object_get(e, "name")), "广汉市");
	assert_true(json_is_true(json_object_get(e, "suppressed")));
	assert_null(json_object_get(e, "growth"));
	json_decref(e);
}

static void test_org_values(void **state)
{
	json_t *r = json_loads("{\"counties\": {\"total\": 183, \"centralized\": 106, \"share\": "
			       "57.92}, \"modes\": {\"task_force\": 1, \"area\": 2, "
			       "\"joint_group\": 0}, \"staffing\": {\"rate\": 95.68, "
			       "\"agency_rate\": null}, \"transfers\": {\"posts_moved\": 78, "
			       "\"leadership_moved\": 10, \"share\": 13.0}, \"breaches\": "
			       "{\"count\": 4}}",
			       0, NULL);
	struct jd_report_value v[32];
	const struct jd_report_figure *f = jd_report_org_section.figures;
	size_t n = jd_report_org_count();

	(void)state;
	assert_non_null(r);
	assert_true(n <= 32);
	jd_report_org_values(r, v);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(f[i].key, "org.centralized_tenants") == 0)
			assert_true(v[i].has_value && v[i].value == 106);
		if (strcmp(f[i].key, "org.staffing_rate") == 0)
			assert_true(v[i].value == 95.68);
		if (strcmp(f[i].key, "org.agency_staffing_rate") == 0)
			assert_false(v[i].has_value); /* null: nothing to divide by */
		if (strcmp(f[i].key, "org.leadership_posts_moved") == 0)
			assert_true(v[i].value == 10);
		assert_false(v[i].has_previous); /* the organization is today's */
	}
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_growth_and_rounding), cmocka_unit_test(test_no_compare),
	    cmocka_unit_test(test_suppression),		cmocka_unit_test(test_by_entry),
	    cmocka_unit_test(test_org_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
