/* The conflict check's reasons (pure) on a hand-made county snapshot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "org/org_conflicts.h"

/* of1 links ag1 and tw1; ag1 supervises 财政局 and 税务局; ag2 supervises 教育局. */
static const char *const county =
    "{\"tenant\": \"510681\", \"rev\": 3,"
    " \"units\": {"
    "  \"of1\": {\"name\": \"第一纪检监察室\", \"kind\": \"office\", \"status\": \"active\","
    "           \"linked\": \"ag1,tw1\"},"
    "  \"ag1\": {\"name\": \"财政局派驻组\", \"kind\": \"agency\", \"status\": \"active\","
    "           \"supervised\": \"财政局, 税务局\"},"
    "  \"ag2\": {\"name\": \"教育局派驻组\", \"kind\": \"agency\", \"status\": \"active\","
    "           \"supervised\": \"教育局\"},"
    "  \"ag3\": {\"name\": \"Water Bureau Group\", \"kind\": \"agency\", \"status\": "
    "\"active\","
    "           \"supervised\": \"Water Bureau\"},"
    "  \"tw1\": {\"name\": \"城关镇\", \"kind\": \"township\", \"status\": \"active\"}},"
    " \"people\": {"
    "  \"p1\": {\"name\": \"张三\", \"post\": \"cadre\", \"unit\": \"ag1\", \"former\": "
    "\"ag2\"},"
    "  \"p2\": {\"name\": \"李四\", \"post\": \"head\", \"unit\": \"of1\"},"
    "  \"p3\": {\"name\": \"王五\", \"post\": \"cadre\", \"unit\": \"ag2\"},"
    "  \"p4\": {\"name\": \"赵六\", \"post\": \"cadre\", \"unit\": \"tw1\"}},"
    " \"groups\": {}}";

/* What p1 declared: never to appear in a reason. */
static const char secret[] = "my cousin SECRETNAME works at the city bank; born in 城关镇; "
			     "brother at water bureau";

static json_t *snap_load(void)
{
	json_error_t e;
	json_t *s = json_loads(county, 0, &e);

	if (s == NULL)
		fail_msg("fixture: %s at %d", e.text, e.line);
	return s;
}

static struct jd_org_tie tie_of_p1(void)
{
	struct jd_org_tie t = {.text = secret, .len = sizeof(secret) - 1};

	strcpy(t.person, "p1");
	return t;
}

static int has(const json_t *reasons, const char *want)
{
	for (size_t i = 0; i < json_array_size(reasons); i++)
		if (strcmp(json_string_value(json_array_get(reasons, i)), want) == 0)
			return 1;
	return 0;
}

/* Every reason, none quoting the declared text. */
static void no_tie_text(const json_t *reasons)
{
	for (size_t i = 0; i < json_array_size(reasons); i++) {
		const char *r = json_string_value(json_array_get(reasons, i));

		assert_null(strstr(r, "SECRETNAME"));
		assert_null(strstr(r, "cousin"));
		assert_null(strstr(r, "city bank"));
	}
}

static json_t *reasons_of(const json_t *snap, const char *person, const struct jd_org_tie *tie,
			  const char *unit, const char *employer, unsigned mask)
{
	json_t *r = json_array();

	assert_non_null(r);
	assert_true(jd_org_conflict_reasons(snap, person, tie, unit, employer, mask, r) >= 0);
	no_tie_text(r);
	return r;
}

static void test_own_and_former_unit(void **state)
{
	json_t *snap = snap_load(), *r;

	(void)state;
	r = reasons_of(snap, "p1", NULL, "ag1", NULL, JD_CONFLICT_ALL);
	assert_int_equal(json_array_size(r), 1);
	assert_true(has(r, "works in ag1"));
	json_decref(r);
	r = reasons_of(snap, "p1", NULL, "ag2", NULL, JD_CONFLICT_ALL);
	assert_true(has(r, "worked in ag2 until it moved"));
	json_decref(r);
	/* the kinds the mask leaves out are not weighed */
	r = reasons_of(snap, "p1", NULL, "ag1", NULL, JD_CONFLICT_FORMER | JD_CONFLICT_TIE);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
	r = reasons_of(snap, "p3", NULL, "ag1", NULL, JD_CONFLICT_ALL);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
	json_decref(snap);
}

static void test_linked_and_supervised(void **state)
{
	json_t *snap = snap_load(), *r;

	(void)state;
	/* an office and the agencies and townships it links, both ways */
	r = reasons_of(snap, "p2", NULL, "ag1", NULL, JD_CONFLICT_ALL);
	assert_true(has(r, "is in of1, linked to ag1"));
	json_decref(r);
	r = reasons_of(snap, "p4", NULL, "of1", NULL, JD_CONFLICT_ALL);
	assert_true(has(r, "is in tw1, linked to of1"));
	json_decref(r);
	r = reasons_of(snap, "p2", NULL, "ag2", NULL, JD_CONFLICT_ALL);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
	/* an agency and the employer it supervises (trimmed), now or before */
	r = reasons_of(snap, "p1", NULL, NULL, "  财政局 ", JD_CONFLICT_ALL);
	assert_int_equal(json_array_size(r), 1);
	assert_true(has(r, "is in ag1, which supervises 财政局"));
	json_decref(r);
	r = reasons_of(snap, "p1", NULL, NULL, "县教育局", JD_CONFLICT_ALL);
	assert_true(has(r, "worked in ag2, which supervises 教育局"));
	json_decref(r);
	r = reasons_of(snap, "p3", NULL, NULL, "财政局", JD_CONFLICT_ALL);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
	json_decref(snap);
}

static void test_declared_ties(void **state)
{
	json_t *snap = snap_load(), *r;
	struct jd_org_tie t = tie_of_p1();

	(void)state;
	/* the unit's name */
	r = reasons_of(snap, "p1", &t, "tw1", NULL, JD_CONFLICT_ALL);
	assert_int_equal(json_array_size(r), 1);
	assert_true(has(r, "has a declared tie to tw1"));
	json_decref(r);
	/* a unit the agency supervises, ASCII case ignored */
	r = reasons_of(snap, "p1", &t, "ag3", NULL, JD_CONFLICT_ALL);
	assert_true(has(r, "has a declared tie to Water Bureau, supervised by ag3"));
	json_decref(r);
	/* the subject's employer: named, but never the text */
	r = reasons_of(snap, "p1", &t, NULL, " City Bank ", JD_CONFLICT_ALL);
	assert_int_equal(json_array_size(r), 1);
	assert_true(has(r, "has a declared tie to the subject's employer"));
	json_decref(r);
	r = reasons_of(snap, "p1", &t, NULL, "Post Office", JD_CONFLICT_ALL);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
	/* without the tie kind nothing of the ties counts */
	r = reasons_of(snap, "p1", &t, "tw1", "city bank", JD_CONFLICT_OWN | JD_CONFLICT_FORMER);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
	json_decref(snap);
}

static void test_both_and_no_repeat(void **state)
{
	json_t *snap = snap_load(), *r = json_array();
	struct jd_org_tie t = tie_of_p1();

	(void)state;
	assert_int_equal(
	    jd_org_conflict_reasons(snap, "p1", &t, "ag2", "教育局", JD_CONFLICT_ALL, r), 2);
	assert_true(has(r, "worked in ag2 until it moved"));
	assert_true(has(r, "worked in ag2, which supervises 教育局"));
	/* the same check again adds nothing */
	assert_int_equal(
	    jd_org_conflict_reasons(snap, "p1", &t, "ag2", "教育局", JD_CONFLICT_ALL, r), 0);
	assert_int_equal(json_array_size(r), 2);
	/* no such person */
	assert_int_equal(
	    jd_org_conflict_reasons(snap, "nobody", NULL, "ag1", NULL, JD_CONFLICT_ALL, r), -1);
	/* an unknown unit has no name to match, but its code still counts */
	assert_int_equal(jd_org_conflict_reasons(snap, "p3", &t, "zz9", NULL, JD_CONFLICT_ALL, r),
			 0);
	json_decref(r);
	json_decref(snap);
}

static void test_ties_find(void **state)
{
	struct jd_org_tie v[2] = {tie_of_p1(), tie_of_p1()};
	struct jd_org_ties t = {.n = 2, .v = v};

	(void)state;
	strcpy(v[1].person, "p9");
	assert_ptr_equal(jd_org_ties_find(&t, "p9"), &v[1]);
	assert_ptr_equal(jd_org_ties_find(&t, "p1"), &v[0]);
	assert_null(jd_org_ties_find(&t, "p2"));
	assert_null(jd_org_ties_find(NULL, "p1"));
	jd_org_ties_free(NULL);
}

/*
 * The ties are matched by containing the employer: an employer too short
 * to name a body would let a caller spell them out ("S", "SE", ...).
 */
static void test_short_employer(void **state)
{
	json_t *snap = snap_load(), *r;
	struct jd_org_tie t = tie_of_p1();

	(void)state;
	assert_false(jd_org_employer_ok(NULL));
	assert_false(jd_org_employer_ok(""));
	assert_false(jd_org_employer_ok("S"));
	assert_false(jd_org_employer_ok("  局 "));
	assert_false(jd_org_employer_ok("SE"));
	assert_false(jd_org_employer_ok("SEC"));
	assert_true(jd_org_employer_ok("SECR"));
	assert_true(jd_org_employer_ok("法院"));
	assert_true(jd_org_employer_ok(" 教育局 "));
	/* the ties hold "S" and "my": neither is an answer */
	for (const char *const *e = (const char *const[]){"S", "my", " c ", "局", NULL}; *e; e++) {
		r = reasons_of(snap, "p1", &t, NULL, *e, JD_CONFLICT_ALL);
		assert_int_equal(json_array_size(r), 0);
		json_decref(r);
	}
	/* nor does a short employer match a supervised name ("局" is in 财政局) */
	r = reasons_of(snap, "p1", NULL, NULL, "局", JD_CONFLICT_ALL);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
	/* long enough: answered as before */
	r = reasons_of(snap, "p1", &t, NULL, "city bank", JD_CONFLICT_ALL);
	assert_true(has(r, "has a declared tie to the subject's employer"));
	json_decref(r);
	json_decref(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_own_and_former_unit),
	    cmocka_unit_test(test_linked_and_supervised),
	    cmocka_unit_test(test_declared_ties),
	    cmocka_unit_test(test_both_and_no_repeat),
	    cmocka_unit_test(test_ties_find),
	    cmocka_unit_test(test_short_employer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
