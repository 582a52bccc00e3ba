/* The rotation plan of area groups (pure) on hand-made county snapshots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jiandu/plugin.h>

#include "org/org_rotation.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

/*
 * Three areas of two agencies each; four leadership members (l1..l3 lead
 * area1..area3 in 2026, l4 leads none); two cadres per area.  m1 came
 * from ag3 (in area2), so m1 may not go there.
 */
static const char *const three_areas =
    "{\"tenant\": \"511011\", \"rev\": 7,"
    " \"units\": {"
    "  \"ag1\": {\"name\": \"财政局派驻组\", \"kind\": \"agency\", \"supervised\": \"财政局\"},"
    "  \"ag2\": {\"name\": \"教育局派驻组\", \"kind\": \"agency\", \"supervised\": \"教育局\"},"
    "  \"ag3\": {\"name\": \"卫健局派驻组\", \"kind\": \"agency\", \"supervised\": \"卫健局\"},"
    "  \"ag4\": {\"name\": \"公安局派驻组\", \"kind\": \"agency\", \"supervised\": \"公安局\"},"
    "  \"ag5\": {\"name\": \"水务局派驻组\", \"kind\": \"agency\", \"supervised\": \"水务局\"},"
    "  \"ag6\": {\"name\": \"交通局派驻组\", \"kind\": \"agency\", \"supervised\": \"交通局\"},"
    "  \"lead\": {\"name\": \"委领导\", \"kind\": \"office\"}},"
    " \"people\": {"
    "  \"l1\": {\"name\": \"王一\", \"post\": \"leader\", \"unit\": \"lead\"},"
    "  \"l2\": {\"name\": \"王二\", \"post\": \"leader\", \"unit\": \"lead\"},"
    "  \"l3\": {\"name\": \"王三\", \"post\": \"leader\", \"unit\": \"lead\"},"
    "  \"l4\": {\"name\": \"王四\", \"post\": \"leader\", \"unit\": \"lead\"},"
    "  \"m1\": {\"name\": \"张一\", \"post\": \"cadre\", \"unit\": \"ag1\", \"former\": "
    "\"ag3\"},"
    "  \"m2\": {\"name\": \"张二\", \"post\": \"cadre\", \"unit\": \"ag2\"},"
    "  \"m3\": {\"name\": \"张三\", \"post\": \"cadre\", \"unit\": \"ag3\"},"
    "  \"m4\": {\"name\": \"张四\", \"post\": \"cadre\", \"unit\": \"ag4\"},"
    "  \"m5\": {\"name\": \"张五\", \"post\": \"cadre\", \"unit\": \"ag5\"},"
    "  \"m6\": {\"name\": \"张六\", \"post\": \"cadre\", \"unit\": \"ag6\"},"
    "  \"m7\": {\"name\": \"张七\", \"post\": \"cadre\", \"unit\": \"ag6\", \"status\": "
    "\"retired\"}},"
    " \"groups\": {"
    "  \"area1\": {\"name\": \"一片区\", \"kind\": \"area\", \"status\": \"active\","
    "   \"leader\": \"l1\", \"year\": 2026, \"units\": \"ag1,ag2\", \"members\": \"m1,m2\","
    "   \"leaders\": {\"2025\": \"l2\", \"2026\": \"l1\"}},"
    "  \"area2\": {\"name\": \"二片区\", \"kind\": \"area\", \"status\": \"active\","
    "   \"leader\": \"l2\", \"year\": 2026, \"units\": \"ag3,ag4\", \"members\": \"m3,m4\"},"
    "  \"area3\": {\"name\": \"三片区\", \"kind\": \"area\", \"status\": \"active\","
    "   \"leader\": \"l3\", \"year\": 2026, \"units\": \"ag5,ag6\", \"members\": \"m5,m6,m7\"},"
    "  \"tf1\": {\"name\": \"专班\", \"kind\": \"task_force\", \"status\": \"retired\","
    "   \"leader\": \"l4\", \"units\": \"ag1\"}}}";

/*
 * Two areas, two leadership members: l2 would have to lead area1, but
 * declared a tie to its agency's supervised unit.
 */
static const char *const tied_leader =
    "{\"tenant\": \"511012\", \"rev\": 2,"
    " \"units\": {"
    "  \"ag1\": {\"name\": \"财政局派驻组\", \"kind\": \"agency\", \"supervised\": \"财政局\"},"
    "  \"ag2\": {\"name\": \"教育局派驻组\", \"kind\": \"agency\", \"supervised\": \"教育局\"}},"
    " \"people\": {"
    "  \"l1\": {\"name\": \"王五\", \"post\": \"leader\", \"unit\": \"lead\"},"
    "  \"l2\": {\"name\": \"赵六\", \"post\": \"leader\", \"unit\": \"lead\"},"
    "  \"m1\": {\"name\": \"张一\", \"post\": \"cadre\", \"unit\": \"ag1\"},"
    "  \"m2\": {\"name\": \"张二\", \"post\": \"cadre\", \"unit\": \"ag2\"}},"
    " \"groups\": {"
    "  \"area1\": {\"name\": \"一片区\", \"kind\": \"area\", \"leader\": \"l1\","
    "   \"year\": 2026, \"units\": \"ag1\", \"members\": \"m1\"},"
    "  \"area2\": {\"name\": \"二片区\", \"kind\": \"area\", \"leader\": \"l2\","
    "   \"year\": 2026, \"units\": \"ag2\", \"members\": \"m2\"}}}";

static const char l2_ties[] = "spouse works at the 财政局 (private)";

/* Two areas, m1 worked in area2's agency: m1 can go nowhere. */
static const char *const stuck_member =
    "{\"tenant\": \"511013\", \"rev\": 4,"
    " \"units\": {"
    "  \"ag1\": {\"name\": \"财政局派驻组\", \"kind\": \"agency\"},"
    "  \"ag2\": {\"name\": \"教育局派驻组\", \"kind\": \"agency\"}},"
    " \"people\": {"
    "  \"l1\": {\"name\": \"王五\", \"post\": \"leader\", \"unit\": \"lead\"},"
    "  \"l2\": {\"name\": \"赵六\", \"post\": \"leader\", \"unit\": \"lead\"},"
    "  \"m1\": {\"name\": \"张一\", \"post\": \"cadre\", \"unit\": \"ag1\", \"former\": "
    "\"ag2\"},"
    "  \"m2\": {\"name\": \"张二\", \"post\": \"cadre\", \"unit\": \"ag2\"}},"
    " \"groups\": {"
    "  \"area1\": {\"name\": \"一片区\", \"kind\": \"area\", \"leader\": \"l1\","
    "   \"year\": 2026, \"units\": \"ag1\", \"members\": \"m1\"},"
    "  \"area2\": {\"name\": \"二片区\", \"kind\": \"area\", \"leader\": \"l2\","
    "   \"year\": 2026, \"units\": \"ag2\", \"members\": \"m2\"}}}";

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *s = json_loads(text, 0, &e);

	if (s == NULL)
		fail_msg("fixture: %s at line %d col %d", e.text, e.line, e.column);
	return s;
}

static const json_t *plan_group(const json_t *plan, const char *code)
{
	const json_t *groups = json_object_get(plan, "groups");

	for (size_t i = 0; i < json_array_size(groups); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(groups, i), "code")),
			   code) == 0)
			return json_array_get(groups, i);
	fail_msg("no group %s in the plan", code);
	return NULL;
}

static int in_list(const json_t *arr, const char *id)
{
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (strcmp(json_string_value(json_array_get(arr, i)), id) == 0)
			return 1;
	return 0;
}

/* The rules a plan must keep, checked from the outside. */
static void assert_valid_plan(const json_t *snap, const json_t *plan, int year)
{
	const json_t *groups = json_object_get(plan, "groups");
	char y[16];

	snprintf(y, sizeof(y), "%d", year - 1);
	for (size_t i = 0; i < json_array_size(groups); i++) {
		const json_t *p = json_array_get(groups, i);
		const char *code = json_string_value(json_object_get(p, "code"));
		const json_t *g = json_object_get(json_object_get(snap, "groups"), code);
		const char *leader = json_string_value(json_object_get(p, "leader"));
		const json_t *before = json_object_get(p, "members_before");
		const json_t *after = json_object_get(p, "members");
		long d = (long)json_array_size(after) - (long)json_array_size(before);

		assert_string_not_equal(leader, json_string_value(json_object_get(g, "leader")));
		if (json_object_get(json_object_get(g, "leaders"), y) != NULL)
			assert_string_not_equal(leader, json_string_value(json_object_get(
							    json_object_get(g, "leaders"), y)));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(leader, json_string_value(json_object_get(
							    json_array_get(groups, j), "leader")));
		assert_true(d >= -1 && d <= 1);
		for (size_t m = 0; m < json_array_size(after); m++)
			assert_false(in_list(before, json_string_value(json_array_get(after, m))));
	}
}

/* ---- a plan exists ----------------------------------------------------------------------- */

static void test_plan_exists(void **state)
{
	json_t *snap = load(three_areas), *plan = NULL, *again = NULL, *after, *view;
	char why[2048], d1[65], d2[65], d3[65];
	char *a, *b;

	(void)state;
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)), JD_OK);
	assert_valid_plan(snap, plan, 2027);
	/* m1 worked in ag3: not placed in area2 */
	assert_false(in_list(json_object_get(plan_group(plan, "area2"), "members"), "m1"));
	assert_true(in_list(json_object_get(plan_group(plan, "area3"), "members"), "m1"));
	/* the retired member is left out, and said so */
	assert_int_equal(json_array_size(json_object_get(plan, "dropped")), 1);
	assert_false(in_list(json_object_get(plan_group(plan, "area1"), "members"), "m7"));
	assert_false(in_list(json_object_get(plan_group(plan, "area2"), "members"), "m7"));
	/* l4's task force is retired: l4 may lead */
	assert_int_equal(json_integer_value(json_object_get(plan, "year")), 2027);

	/* deterministic: the same snapshot gives the same plan and digest */
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &again, why, sizeof(why)), JD_OK);
	a = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
	b = json_dumps(again, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(jd_org_rotation_digest(plan, 7, d1), JD_OK);
	assert_int_equal(jd_org_rotation_digest(again, 7, d2), JD_OK);
	assert_int_equal(jd_org_rotation_digest(plan, 8, d3), JD_OK);
	assert_int_equal(strlen(d1), 64);
	assert_string_equal(d1, d2);
	assert_string_not_equal(d1, d3); /* the organization changed */

	/* what is stored: the new leader, the year, the history, the members */
	after = jd_org_rotation_groups(snap, plan);
	assert_non_null(after);
	{
		const json_t *g = json_object_get(after, "area1");
		const char *leader = json_string_value(json_object_get(g, "leader"));
		const json_t *h = json_object_get(g, "leaders");

		assert_int_equal(json_integer_value(json_object_get(g, "year")), 2027);
		assert_string_equal(json_string_value(json_object_get(h, "2027")), leader);
		assert_string_equal(json_string_value(json_object_get(h, "2026")), "l1");
		assert_string_equal(json_string_value(json_object_get(h, "2025")), "l2");
		/* area2 had no history: the outgoing leader's year is added */
		assert_string_equal(
		    json_string_value(json_object_get(
			json_object_get(json_object_get(after, "area2"), "leaders"), "2026")),
		    "l2");
		assert_string_equal(json_string_value(json_object_get(g, "name")), "一片区");
	}
	json_decref(after);

	/* for a human: names, old → new */
	view = jd_org_rotation_view(snap, plan);
	assert_non_null(view);
	assert_int_equal(json_array_size(json_object_get(view, "groups")), 3);
	assert_non_null(strstr(json_string_value(json_object_get(
				   json_array_get(json_object_get(view, "groups"), 0), "leader")),
			       "王一 → "));
	assert_int_equal(json_array_size(json_object_get(view, "moves")), 6);
	assert_non_null(
	    strstr(json_string_value(json_array_get(json_object_get(view, "dropped"), 0)), "张七"));
	json_decref(view);
	json_decref(plan);
	json_decref(again);
	json_decref(snap);
}

static void test_ties_steer_members(void **state)
{
	json_t *snap = load(three_areas), *plan = NULL;
	/* m2 declared a tie to 水务局, which ag5 (area3) supervises */
	static const char text[] = "uncle at 水务局";
	struct jd_org_tie v = {.person = "m2", .text = text, .len = sizeof(text) - 1};
	struct jd_org_ties ties = {.n = 1, .v = &v};
	char why[2048];

	(void)state;
	assert_int_equal(jd_org_rotation_plan(snap, 2027, &ties, &plan, why, sizeof(why)), JD_OK);
	assert_valid_plan(snap, plan, 2027);
	assert_false(in_list(json_object_get(plan_group(plan, "area3"), "members"), "m2"));
	json_decref(plan);
	json_decref(snap);
}

/* ---- no plan ----------------------------------------------------------------------------- */

static void test_only_other_leader_has_a_tie(void **state)
{
	json_t *snap = load(tied_leader), *plan = NULL;
	struct jd_org_tie v = {.person = "l2", .text = l2_ties, .len = sizeof(l2_ties) - 1};
	struct jd_org_ties ties = {.n = 1, .v = &v};
	char why[2048];

	(void)state;
	assert_int_equal(jd_org_rotation_plan(snap, 2027, &ties, &plan, why, sizeof(why)),
			 JD_E_CONFLICT);
	assert_null(plan);
	assert_non_null(strstr(why, "no valid leader for group area1"));
	assert_non_null(strstr(why, "王五 led it in 2026"));
	assert_non_null(strstr(why, "赵六 has a declared tie to 财政局, supervised by ag1"));
	assert_null(strstr(why, "spouse"));
	assert_null(strstr(why, "private"));
	/* area2 has its leader (王五): only area1 is named */
	assert_null(strstr(why, "group area2"));

	/* without the tie the swap is a plan */
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)), JD_OK);
	assert_string_equal(json_string_value(json_object_get(plan_group(plan, "area1"), "leader")),
			    "l2");
	json_decref(plan);
	json_decref(snap);
}

static void test_member_cannot_move(void **state)
{
	json_t *snap = load(stuck_member), *plan = NULL;
	char why[2048];

	(void)state;
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)),
			 JD_E_CONFLICT);
	assert_null(plan);
	assert_non_null(strstr(why, "张一 (in area1) cannot move to any other area group"));
	assert_non_null(strstr(why, "worked in ag2 until it moved (area2)"));
	json_decref(snap);
}

static json_t *cadre(const char *name, const char *unit, const char *former)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "name", name, "post", "cadre", "unit", unit,
			 "former", former);
}

static void test_sizes_bound_the_moves(void **state)
{
	json_t *snap = load(stuck_member), *plan = NULL;
	json_t *groups = json_object_get(snap, "groups"), *people = json_object_get(snap, "people");
	char why[2048];

	(void)state;
	/* area1 has three, area2 one: area1 would keep only the one joining it (3 - 1 at least) */
	json_object_set_new(people, "m1", cadre("张一", "ag1", ""));
	json_object_set_new(people, "m3", cadre("张三", "ag1", ""));
	json_object_set_new(people, "m4", cadre("张四", "ag1", ""));
	json_object_set_new(json_object_get(groups, "area1"), "members", json_string("m1,m3,m4"));
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)),
			 JD_E_CONFLICT);
	assert_non_null(strstr(why, "group area1 (一片区) cannot get the 2 members it needs"));

	/* a third area whose unit all of area1 came from: area2 takes two of them at most */
	json_object_set_new(json_object_get(snap, "units"), "ag3",
			    json_pack("{s:s, s:s}", "name", "卫健局派驻组", "kind", "agency"));
	json_object_set_new(
	    people, "l3",
	    json_pack("{s:s, s:s, s:s}", "name", "王七", "post", "leader", "unit", "lead"));
	json_object_set_new(people, "m5", cadre("张五", "ag3", ""));
	json_object_set_new(groups, "area3",
			    json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "name", "三片区", "kind",
				      "area", "leader", "l3", "year", 2026, "units", "ag3",
				      "members", "m5"));
	json_object_set_new(people, "m1", cadre("张一", "ag1", "ag3"));
	json_object_set_new(people, "m3", cadre("张三", "ag1", "ag3"));
	json_object_set_new(people, "m4", cadre("张四", "ag1", "ag3"));
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)),
			 JD_E_CONFLICT);
	assert_non_null(strstr(why, "may only move to area2, which is full (sizes stay within ±1"));
	json_decref(snap);
}

static void test_year_and_groups(void **state)
{
	json_t *snap = load(three_areas), *plan = NULL;
	json_t *groups = json_object_get(snap, "groups");
	char why[2048];

	(void)state;
	/* 2026 is led already */
	assert_int_equal(jd_org_rotation_plan(snap, 2026, NULL, &plan, why, sizeof(why)),
			 JD_E_INVALID);
	assert_non_null(strstr(why, "field 'year'"));
	/* one area left: nobody can move */
	json_object_set_new(json_object_get(groups, "area2"), "status", json_string("retired"));
	json_object_set_new(json_object_get(groups, "area3"), "kind", json_string("joint_group"));
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)),
			 JD_E_CONFLICT);
	assert_non_null(strstr(why, "only one active area group"));
	/* none */
	json_object_set_new(json_object_get(groups, "area1"), "status", json_string("retired"));
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)),
			 JD_E_CONFLICT);
	assert_non_null(strstr(why, "no active area group"));
	json_decref(snap);
}

static void test_leader_of_another_group(void **state)
{
	json_t *snap = load(tied_leader), *plan = NULL;
	char why[2048];

	(void)state;
	/* 赵六 leads an active joint group: may not take an area too */
	json_object_set_new(json_object_get(snap, "groups"), "jg1",
			    json_pack("{s:s, s:s, s:s, s:s}", "name", "联组", "kind", "joint_group",
				      "status", "active", "leader", "l2"));
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)),
			 JD_E_CONFLICT);
	assert_non_null(strstr(why, "赵六 leads jg1"));
	json_decref(snap);
}

/* A county past a bound is refused before any planning, naming the field and the bound. */
static void test_bounds(void **state)
{
	json_t *snap = load(three_areas), *plan = NULL;
	json_t *groups = json_object_get(snap, "groups"), *people = json_object_get(snap, "people");
	char why[2048], code[32], *members;
	size_t used = 0;

	(void)state;
	/* 1 + JD_ROTATION_GROUPS_MAX - 2 more: one area group too many */
	for (int i = 0; i < JD_ROTATION_GROUPS_MAX - 2; i++) {
		snprintf(code, sizeof(code), "more%03d", i);
		json_object_set_new(groups, code,
				    json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "name", code,
					      "kind", "area", "leader", "l4", "year",
					      (json_int_t)2026, "units", "ag1", "members", ""));
	}
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)),
			 JD_E_INVALID);
	assert_null(plan);
	assert_non_null(strstr(why, "field 'tenant'"));
	assert_non_null(strstr(why, "active area groups; a rotation plans at most 100"));
	json_decref(snap);

	/* one member too many in all, all in area3 */
	snap = load(three_areas);
	people = json_object_get(snap, "people");
	members = calloc(JD_ROTATION_MEMBERS_MAX + 1, 8);
	assert_non_null(members);
	for (int i = 0; i <= JD_ROTATION_MEMBERS_MAX - 7; i++) {
		snprintf(code, sizeof(code), "x%d", i);
		json_object_set_new(
		    people, code,
		    json_pack("{s:s, s:s, s:s}", "name", code, "post", "cadre", "unit", "ag5"));
		used += (size_t)sprintf(members + used, "%s%s", used ? "," : "", code);
	}
	sprintf(members + used, ",m5,m6,m7");
	json_object_set_new(json_object_get(json_object_get(snap, "groups"), "area3"), "members",
			    json_string(members));
	free(members);
	assert_int_equal(jd_org_rotation_plan(snap, 2027, NULL, &plan, why, sizeof(why)),
			 JD_E_INVALID);
	assert_non_null(strstr(why, "field 'tenant': the area groups of 511011 have 2001 members"));
	json_decref(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_exists),
	    cmocka_unit_test(test_ties_steer_members),
	    cmocka_unit_test(test_only_other_leader_has_a_tie),
	    cmocka_unit_test(test_member_cannot_move),
	    cmocka_unit_test(test_sizes_bound_the_moves),
	    cmocka_unit_test(test_year_and_groups),
	    cmocka_unit_test(test_leader_of_another_group),
	    cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
