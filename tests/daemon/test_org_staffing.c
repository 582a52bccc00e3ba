/* Staffing figures of a county (org_staffing.h) on hand-made snapshots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "org/org_staffing.h"

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fprintf(stderr, "fixture line %d: %s\n", e.line, e.text);
	assert_non_null(j);
	return j;
}

/*
 * A county: one office, two agencies (ag1 keeps the rule; ag2 has no head,
 * its head having retired, and one cadre only), a retired agency, and a
 * person in a unit that does not exist.
 */
static json_t *county(void)
{
	return load(
	    "{\"tenant\": \"510681\", \"rev\": 7,"
	    " \"units\": {"
	    "  \"of1\": {\"name\": \"第一纪检监察室\", \"kind\": \"office\", \"status\": "
	    "\"active\","
	    "           \"posts\": 10, \"leadership_posts\": 2},"
	    "  \"ag1\": {\"name\": \"第一派驻纪检监察组\", \"kind\": \"agency\", \"status\": "
	    "\"active\","
	    "           \"posts\": 6, \"leadership_posts\": 2},"
	    "  \"ag2\": {\"name\": \"第二派驻纪检监察组\", \"kind\": \"agency\", \"status\": "
	    "\"active\","
	    "           \"posts\": 5, \"leadership_posts\": 2},"
	    "  \"ag9\": {\"name\": \"撤销的组\", \"kind\": \"agency\", \"status\": \"retired\","
	    "           \"posts\": 4}},"
	    " \"people\": {"
	    "  \"p01\": {\"name\": \"甲\", \"post\": \"leader\", \"unit\": \"of1\", \"status\": "
	    "\"active\"},"
	    "  \"p02\": {\"name\": \"乙\", \"post\": \"cadre\", \"unit\": \"of1\"},"
	    "  \"p03\": {\"name\": \"丙\", \"post\": \"head\", \"unit\": \"ag1\", \"status\": "
	    "\"active\"},"
	    "  \"p04\": {\"name\": \"丁\", \"post\": \"deputy\", \"unit\": \"ag1\", \"status\": "
	    "\"active\"},"
	    "  \"p05\": {\"name\": \"戊\", \"post\": \"cadre\", \"unit\": \"ag1\", \"status\": "
	    "\"active\"},"
	    "  \"p06\": {\"name\": \"己\", \"post\": \"cadre\", \"unit\": \"ag1\", \"status\": "
	    "\"active\"},"
	    "  \"p07\": {\"name\": \"庚\", \"post\": \"cadre\", \"unit\": \"ag1\", \"status\": "
	    "\"retired\"},"
	    "  \"p08\": {\"name\": \"辛\", \"post\": \"head\", \"unit\": \"ag2\", \"status\": "
	    "\"retired\"},"
	    "  \"p09\": {\"name\": \"壬\", \"post\": \"deputy\", \"unit\": \"ag2\", \"status\": "
	    "\"active\"},"
	    "  \"p10\": {\"name\": \"癸\", \"post\": \"cadre\", \"unit\": \"ag2\", \"status\": "
	    "\"active\"},"
	    "  \"p11\": {\"name\": \"子\", \"post\": \"cadre\", \"unit\": \"gone\", \"status\": "
	    "\"active\"}},"
	    " \"groups\": {}, \"transfers\": []}");
}

static long long int_at(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* A percentage: a number equal to want (to the cent), or null when want < 0. */
static void expect_rate(const json_t *o, const char *name, double want)
{
	const json_t *v = json_object_get(o, name);
	double got, d;

	assert_non_null(v);
	if (want < 0) {
		assert_true(json_is_null(v));
		return;
	}
	assert_true(json_is_real(v));
	got = json_real_value(v);
	d = got > want ? got - want : want - got;
	if (d > 1e-9)
		fail_msg("%s: got %.6f, want %.2f", name, got, want);
}

static const json_t *row_of(const json_t *st, const char *code)
{
	const json_t *units = json_object_get(st, "units");

	for (size_t i = 0; i < json_array_size(units); i++) {
		const json_t *u = json_array_get(units, i);

		if (strcmp(json_string_value(json_object_get(u, "code")), code) == 0)
			return u;
	}
	return NULL;
}

static void test_units_and_rates(void **state)
{
	json_t *snap = county(), *st = jd_org_staffing(snap);
	const json_t *units, *ag1, *of1;

	(void)state;
	assert_non_null(st);
	units = json_object_get(st, "units");
	assert_int_equal(json_array_size(units), 3); /* the retired agency is left out */
	assert_string_equal(json_string_value(json_object_get(json_array_get(units, 0), "code")),
			    "ag1"); /* by code */
	assert_string_equal(json_string_value(json_object_get(json_array_get(units, 2), "code")),
			    "of1");
	assert_null(row_of(st, "ag9"));

	ag1 = row_of(st, "ag1");
	assert_non_null(ag1);
	assert_string_equal(json_string_value(json_object_get(ag1, "name")), "第一派驻纪检监察组");
	assert_string_equal(json_string_value(json_object_get(ag1, "kind")), "agency");
	assert_int_equal(int_at(ag1, "posts"), 6);
	assert_int_equal(int_at(ag1, "leadership_posts"), 2);
	assert_int_equal(int_at(ag1, "filled"), 4); /* the retired cadre does not count */
	assert_int_equal(int_at(ag1, "leadership_filled"), 2);
	expect_rate(ag1, "rate", 66.67);
	of1 = row_of(st, "of1");
	assert_int_equal(int_at(of1, "filled"), 2); /* a person without status is active */
	assert_int_equal(int_at(of1, "leadership_filled"), 1);
	expect_rate(of1, "rate", 20.0);
	expect_rate(row_of(st, "ag2"), "rate", 40.0);

	assert_int_equal(int_at(st, "posts"), 21);
	assert_int_equal(int_at(st, "filled"), 8); /* not the person of a unit that is gone */
	expect_rate(st, "rate", 38.10);
	assert_int_equal(int_at(st, "agencies"), 2);
	assert_int_equal(int_at(st, "agency_posts"), 11);
	assert_int_equal(int_at(st, "agency_filled"), 6);
	expect_rate(st, "agency_rate", 54.55);
	json_decref(st);
	json_decref(snap);
}

static void test_rule_breaches(void **state)
{
	json_t *snap = county(), *st;
	const json_t *breaches, *b;

	(void)state;
	/* an agency nobody works in yet misses everything */
	json_object_set_new(json_object_get(snap, "units"), "ag3",
			    load("{\"name\": \"第三组\", \"kind\": \"agency\", \"posts\": 4}"));
	st = jd_org_staffing(snap);
	assert_non_null(st);
	breaches = json_object_get(st, "breaches");
	assert_int_equal(json_array_size(breaches), 2); /* ag1 keeps the rule; ag9 is retired */

	b = json_array_get(breaches, 0); /* two ways: no head (retired), one cadre short */
	assert_string_equal(json_string_value(json_object_get(b, "unit")), "ag2");
	assert_string_equal(json_string_value(json_object_get(b, "name")), "第二派驻纪检监察组");
	assert_int_equal(int_at(b, "head"), 0);
	assert_int_equal(int_at(b, "deputy"), 1);
	assert_int_equal(int_at(b, "cadre"), 1);
	assert_string_equal(json_string_value(json_object_get(b, "missing")), "1 head, 1 cadre");

	b = json_array_get(breaches, 1);
	assert_string_equal(json_string_value(json_object_get(b, "unit")), "ag3");
	assert_string_equal(json_string_value(json_object_get(b, "missing")),
			    "1 head, 1 deputy, 2 cadres");
	assert_int_equal(int_at(st, "agencies"), 3);
	expect_rate(row_of(st, "ag3"), "rate", 0.0);
	json_decref(st);
	json_decref(snap);
}

/* The Tianjin figure: 78 posts and 10 leadership posts moved, 13% of the agencies' posts. */
static void test_transfer_share(void **state)
{
	json_t *snap =
	    load("{\"units\": {"
		 "  \"of1\": {\"name\": \"第一纪检监察室\", \"kind\": \"office\", \"posts\": 120},"
		 "  \"ag1\": {\"name\": \"第一组\", \"kind\": \"agency\", \"posts\": 300,"
		 "           \"leadership_posts\": 30},"
		 "  \"ag2\": {\"name\": \"第二组\", \"kind\": \"agency\", \"posts\": 222,"
		 "           \"leadership_posts\": 20}},"
		 " \"people\": {},"
		 " \"transfers\": ["
		 "  {\"id\": \"a\", \"date\": \"2023-01-05\", \"from\": \"ag1\", \"to\": \"of1\","
		 "   \"count\": 70, \"leadership_count\": 8, \"reason\": \"充实一线\"},"
		 "  {\"id\": \"b\", \"date\": \"2023-02-05\", \"from\": \"ag2\", \"to\": \"of1\","
		 "   \"count\": 8, \"leadership_count\": 2, \"reason\": \"\"},"
		 "  {\"id\": \"c\", \"date\": \"2023-03-05\", \"from\": \"ag1\", \"to\": \"ag2\","
		 "   \"count\": 5, \"leadership_count\": 1, \"reason\": \"between agencies\"}]}");
	json_t *st = jd_org_staffing(snap), *tr;

	(void)state;
	assert_non_null(st);
	tr = json_object_get(st, "transfers");
	assert_int_equal(int_at(tr, "count"), 3);
	assert_int_equal(int_at(tr, "posts_moved"), 78); /* not the move between agencies */
	assert_int_equal(int_at(tr, "leadership_moved"), 10);
	assert_int_equal(int_at(st, "agency_posts"), 522);
	expect_rate(tr, "share", 13.0); /* 78 / (522 + 78) */
	expect_rate(st, "agency_rate", 0.0);
	json_decref(st);

	/* posts moved back into an agency count against the share */
	json_array_append_new(json_object_get(snap, "transfers"),
			      load("{\"id\": \"d\", \"date\": \"2023-04-01\", \"from\": \"of1\","
				   " \"to\": \"ag1\", \"count\": 3, \"leadership_count\": 0}"));
	json_object_set_new(json_object_get(json_object_get(snap, "units"), "ag1"), "posts",
			    json_integer(303));
	st = jd_org_staffing(snap);
	assert_non_null(st);
	tr = json_object_get(st, "transfers");
	assert_int_equal(int_at(tr, "posts_moved"), 75);
	expect_rate(tr, "share", 12.5); /* 75 / (525 + 75) */
	json_decref(st);
	json_decref(snap);
}

static void test_rounding_and_empty(void **state)
{
	json_t *snap =
	    load("{\"units\": {\"u\": {\"name\": \"u\", \"kind\": \"office\", \"posts\": "
		 "32}}, \"people\": {\"p\": {\"post\": \"cadre\", \"unit\": \"u\"}}}");
	json_t *st = jd_org_staffing(snap), *empty;

	(void)state;
	assert_non_null(st);
	expect_rate(st, "rate", 3.13);	      /* 3.125 rounds half up */
	expect_rate(st, "agency_rate", -1.0); /* no agency posts: null */
	expect_rate(json_object_get(st, "transfers"), "share", -1.0);
	assert_int_equal(json_array_size(json_object_get(st, "breaches")), 0);
	json_decref(st);
	json_decref(snap);

	snap = load("{}");
	empty = jd_org_staffing(snap);
	assert_non_null(empty);
	assert_int_equal(json_array_size(json_object_get(empty, "units")), 0);
	assert_int_equal(int_at(empty, "posts"), 0);
	expect_rate(empty, "rate", -1.0);
	json_decref(empty);
	json_decref(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_units_and_rates),
	    cmocka_unit_test(test_rule_breaches),
	    cmocka_unit_test(test_transfer_share),
	    cmocka_unit_test(test_rounding_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
