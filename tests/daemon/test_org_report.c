/*
 * The org report's figures (org_report.h) on hand-made snapshots: a
 * province of three counties, two in centralized office, the three modes,
 * staffing rates, rule breaches, posts moved and groups with their leaders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "org/org_report.h"

/*
 * 广汉市: task force, 15 posts, 9 filled; ag2 lacks a deputy and a cadre; 2
 * posts moved out of ag1 to the office, 1 back into ag2: 1 moved out in all.
 */
static const char county_a[] =
    "{\"tenant\": \"510681\", \"rev\": 7,"
    " \"county\": {\"name\": \"广汉市\", \"level\": \"county\", \"parent\": \"510600\","
    "   \"centralized\": true, \"centralized_since\": \"2021-03-01\", \"modes\": \"task_force\"},"
    " \"units\": {"
    "   \"of1\": {\"name\": \"第一纪检监察室\", \"kind\": \"office\", \"status\": \"active\","
    "            \"posts\": 5, \"leadership_posts\": 1, \"linked\": \"ag1,ag2\"},"
    "   \"ag1\": {\"name\": \"第一派驻纪检监察组\", \"kind\": \"agency\", \"status\": \"active\","
    "            \"posts\": 6, \"leadership_posts\": 2},"
    "   \"ag2\": {\"name\": \"第二派驻纪检监察组\", \"kind\": \"agency\", \"status\": \"active\","
    "            \"posts\": 4, \"leadership_posts\": 2}},"
    " \"people\": {"
    "   \"l1\": {\"name\": \"王五\", \"post\": \"leader\", \"unit\": \"of1\", \"status\": "
    "\"active\"},"
    "   \"o1\": {\"name\": \"赵一\", \"post\": \"cadre\", \"unit\": \"of1\", \"status\": "
    "\"active\"},"
    "   \"o2\": {\"name\": \"赵二\", \"post\": \"cadre\", \"unit\": \"of1\", \"status\": "
    "\"active\"},"
    "   \"a1\": {\"name\": \"钱一\", \"post\": \"head\", \"unit\": \"ag1\", \"status\": "
    "\"active\"},"
    "   \"a2\": {\"name\": \"钱二\", \"post\": \"deputy\", \"unit\": \"ag1\", \"status\": "
    "\"active\"},"
    "   \"a3\": {\"name\": \"钱三\", \"post\": \"cadre\", \"unit\": \"ag1\", \"status\": "
    "\"active\"},"
    "   \"a4\": {\"name\": \"钱四\", \"post\": \"cadre\", \"unit\": \"ag1\", \"status\": "
    "\"active\","
    "            \"new_cadre\": true},"
    "   \"b1\": {\"name\": \"孙一\", \"post\": \"head\", \"unit\": \"ag2\", \"status\": "
    "\"active\"},"
    "   \"b2\": {\"name\": \"孙二\", \"post\": \"cadre\", \"unit\": \"ag2\", \"status\": "
    "\"active\"},"
    "   \"bx\": {\"name\": \"孙退\", \"post\": \"deputy\", \"unit\": \"ag2\", \"status\": "
    "\"retired\"}},"
    " \"groups\": {"
    "   \"tf1a\": {\"name\": \"综合组\", \"kind\": \"sub_group\", \"status\": \"active\","
    "             \"leader\": \"\", \"parent\": \"tf1\", \"function\": \"综合组\","
    "             \"units\": \"\", \"members\": \"o1\"},"
    "   \"tf1\": {\"name\": \"派驻监督专班\", \"kind\": \"task_force\", \"status\": \"active\","
    "            \"leader\": \"l1\", \"units\": \"of1,ag1,ag2\", \"members\": \"o1,a1,b1\"},"
    "   \"tf0\": {\"name\": \"旧专班\", \"kind\": \"task_force\", \"status\": \"retired\","
    "            \"leader\": \"l1\", \"units\": \"of1\", \"members\": \"\"}},"
    " \"transfers\": ["
    "   {\"date\": \"2022-01-01\", \"from\": \"ag1\", \"to\": \"of1\", \"count\": 2,"
    "    \"leadership_count\": 1,"
    "    \"reason\": \"充实一线\"},"
    "   {\"date\": \"2022-02-01\", \"from\": \"of1\", \"to\": \"ag2\", \"count\": 1,"
    "    \"reason\": \"x\"}]}";

/* 什邡市: area and joint group, 7 posts (a retired unit's not counted), 5 filled, no breach. */
static const char county_b[] =
    "{\"tenant\": \"510682\", \"rev\": 3,"
    " \"county\": {\"name\": \"什邡市\", \"level\": \"county\", \"parent\": \"510600\","
    "   \"centralized\": true, \"centralized_since\": \"2022-05-01\","
    "   \"modes\": \"area,joint_group\"},"
    " \"units\": {"
    "   \"ag1\": {\"name\": \"派驻第一组\", \"kind\": \"agency\", \"status\": \"active\","
    "            \"posts\": 4},"
    "   \"tw1\": {\"name\": \"方亭街道纪工委\", \"kind\": \"township\", \"status\": \"active\","
    "            \"posts\": 3},"
    "   \"ag9\": {\"name\": \"撤销组\", \"kind\": \"agency\", \"status\": \"retired\","
    "            \"posts\": 10}},"
    " \"people\": {"
    "   \"h\": {\"name\": \"周一\", \"post\": \"head\", \"unit\": \"ag1\", \"status\": \"active\"},"
    "   \"d\": {\"name\": \"周二\", \"post\": \"deputy\", \"unit\": \"ag1\", \"status\": "
    "\"active\"},"
    "   \"c1\": {\"name\": \"周三\", \"post\": \"cadre\", \"unit\": \"ag1\", \"status\": "
    "\"active\"},"
    "   \"c2\": {\"name\": \"周四\", \"post\": \"cadre\", \"unit\": \"ag1\", \"status\": "
    "\"active\"},"
    "   \"t1\": {\"name\": \"吴一\", \"post\": \"cadre\", \"unit\": \"tw1\", \"status\": "
    "\"active\"}},"
    " \"groups\": {"
    "   \"pq1\": {\"name\": \"第一片区\", \"kind\": \"area\", \"status\": \"active\","
    "            \"leader\": \"h\", \"units\": \"ag1,tw1\", \"members\": \"c1,t1\"}},"
    " \"transfers\": ["
    "   {\"date\": \"2022-06-01\", \"from\": \"ag1\", \"to\": \"tw1\", \"count\": 1,"
    "    \"reason\": \"y\"}]}";

/* 绵竹市: not centralized, no modes, one empty agency (every post of the rule missing). */
static const char county_c[] =
    "{\"tenant\": \"510683\", \"rev\": 1,"
    " \"county\": {\"name\": \"绵竹市\", \"level\": \"county\", \"parent\": \"510600\","
    "   \"centralized\": false, \"centralized_since\": \"\", \"modes\": \"\"},"
    " \"units\": {"
    "   \"ag1\": {\"name\": \"空组\", \"kind\": \"agency\", \"status\": \"active\", \"posts\": 4}},"
    " \"people\": {}, \"groups\": {}, \"transfers\": []}";

struct fixture {
	json_t *snaps[3];
};

static int setup(void **state)
{
	static struct fixture f;
	const char *texts[3] = {county_a, county_b, county_c};

	for (int i = 0; i < 3; i++) {
		json_error_t e;

		f.snaps[i] = json_loads(texts[i], 0, &e);
		if (f.snaps[i] == NULL) {
			print_error("fixture %d: %s (line %d)\n", i, e.text, e.line);
			return -1;
		}
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++)
		json_decref(f->snaps[i]);
	return 0;
}

static json_t *report_of(struct fixture *f, const char *code, const char *name, const char *level,
			 int first, int n)
{
	static const char *const codes[3] = {"510681", "510682", "510683"};
	struct jd_org_report_input in[3];
	json_t *scope = json_pack("{s:s, s:s, s:s}", "code", code, "name", name, "level", level);
	json_t *r;

	assert_non_null(scope);
	for (int i = 0; i < n; i++)
		in[i] = (struct jd_org_report_input){codes[first + i], NULL, f->snaps[first + i]};
	r = jd_org_report(scope, in, (size_t)n);
	json_decref(scope);
	assert_non_null(r);
	return r;
}

/* Follows a path of object members ("a.b.c"). */
static json_t *at(json_t *v, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	return v;
}

static long long int_at(json_t *v, const char *path)
{
	json_t *x = at(v, path);

	if (!json_is_integer(x))
		fail_msg("%s is not an integer", path);
	return json_integer_value(x);
}

static double real_at(json_t *v, const char *path)
{
	json_t *x = at(v, path);

	if (!json_is_number(x))
		fail_msg("%s is not a number", path);
	return json_number_value(x);
}

static const char *str_at(json_t *v, const char *path)
{
	json_t *x = at(v, path);

	if (!json_is_string(x))
		fail_msg("%s is not a string", path);
	return json_string_value(x);
}

#define assert_pct(v, path, want)                                                                  \
	assert_true(real_at(v, path) > (want)-0.001 && real_at(v, path) < (want) + 0.001)

static void test_province(void **state)
{
	json_t *r = report_of(*state, "510000", "四川省", "province", 0, 3);

	assert_string_equal(str_at(r, "tenant"), "510000");
	assert_string_equal(str_at(r, "name"), "四川省");
	assert_string_equal(str_at(r, "level"), "province");
	/* 集中办公: 2 of 3 */
	assert_int_equal(int_at(r, "counties.total"), 3);
	assert_int_equal(int_at(r, "counties.centralized"), 2);
	assert_pct(r, "counties.share", 66.67);
	/* the modes in use */
	assert_int_equal(int_at(r, "modes.task_force"), 1);
	assert_int_equal(int_at(r, "modes.area"), 1);
	assert_int_equal(int_at(r, "modes.joint_group"), 1);
	/* 配备率 = sum filled / sum approved: 14 / 26 */
	assert_int_equal(int_at(r, "staffing.posts"), 26);
	assert_int_equal(int_at(r, "staffing.filled"), 14);
	assert_pct(r, "staffing.rate", 53.85);
	assert_int_equal(int_at(r, "staffing.agency_posts"), 18);
	assert_int_equal(int_at(r, "staffing.agency_filled"), 10);
	assert_pct(r, "staffing.agency_rate", 55.56);
	/* posts moved out of agencies: 2 - 1 + 1, of 18 + 2 agency posts */
	assert_int_equal(int_at(r, "transfers.count"), 3);
	assert_int_equal(int_at(r, "transfers.posts_moved"), 2);
	assert_int_equal(int_at(r, "transfers.leadership_moved"), 1);
	assert_pct(r, "transfers.share", 10.0);
	/* groups: counts per kind, no list above a county */
	assert_int_equal(int_at(r, "groups.total"), 3);
	assert_int_equal(int_at(r, "groups.by_kind.task_force"), 1);
	assert_int_equal(int_at(r, "groups.by_kind.sub_group"), 1);
	assert_int_equal(int_at(r, "groups.by_kind.area"), 1);
	assert_int_equal(int_at(r, "groups.by_kind.joint_group"), 0);
	assert_int_equal(int_at(r, "groups.by_kind.case_centre"), 0);
	assert_int_equal(int_at(r, "groups.by_kind.matter"), 0);
	assert_null(at(r, "groups.list"));
	json_decref(r);
}

static void test_breaches(void **state)
{
	json_t *r = report_of(*state, "510000", "四川省", "province", 0, 3);
	json_t *list = at(r, "breaches.list"), *b;

	assert_int_equal(int_at(r, "breaches.count"), 2);
	assert_int_equal(json_array_size(list), 2);
	b = json_array_get(list, 0);
	assert_string_equal(str_at(b, "tenant"), "510681");
	assert_string_equal(str_at(b, "county"), "广汉市");
	assert_string_equal(str_at(b, "unit"), "ag2");
	assert_string_equal(str_at(b, "name"), "第二派驻纪检监察组");
	assert_int_equal(int_at(b, "head"), 1);
	assert_int_equal(int_at(b, "deputy"), 0); /* the retired deputy does not count */
	assert_int_equal(int_at(b, "cadre"), 1);
	assert_non_null(strstr(str_at(b, "missing"), "deputy"));
	assert_non_null(strstr(str_at(b, "missing"), "cadre"));
	assert_null(strstr(str_at(b, "missing"), "head"));
	b = json_array_get(list, 1);
	assert_string_equal(str_at(b, "tenant"), "510683");
	assert_string_equal(str_at(b, "county"), "绵竹市");
	assert_string_equal(str_at(b, "unit"), "ag1");
	assert_int_equal(int_at(b, "head") + int_at(b, "deputy") + int_at(b, "cadre"), 0);
	assert_non_null(strstr(str_at(b, "missing"), "head"));
	json_decref(r);
}

static void test_county_rows(void **state)
{
	json_t *r = report_of(*state, "510000", "四川省", "province", 0, 3);
	json_t *list = at(r, "counties.list"), *c;

	assert_int_equal(json_array_size(list), 3);
	c = json_array_get(list, 0);
	assert_string_equal(str_at(c, "tenant"), "510681");
	assert_string_equal(str_at(c, "name"), "广汉市");
	assert_true(json_is_true(at(c, "centralized")));
	assert_string_equal(str_at(c, "centralized_since"), "2021-03-01");
	assert_string_equal(str_at(c, "modes"), "task_force");
	assert_int_equal(int_at(c, "posts"), 15);
	assert_int_equal(int_at(c, "filled"), 9);
	assert_pct(c, "rate", 60.0);
	assert_int_equal(int_at(c, "breaches"), 1);
	assert_int_equal(int_at(c, "posts_moved"), 1);
	assert_pct(c, "moved_share", 9.09); /* 1 of 10 + 1 */
	assert_int_equal(int_at(c, "groups"), 2);
	c = json_array_get(list, 1);
	assert_int_equal(int_at(c, "posts"), 7); /* the retired agency's 10 posts are not counted */
	assert_int_equal(int_at(c, "filled"), 5);
	assert_pct(c, "rate", 71.43);
	assert_int_equal(int_at(c, "breaches"), 0);
	c = json_array_get(list, 2);
	assert_true(json_is_false(at(c, "centralized")));
	assert_int_equal(int_at(c, "filled"), 0);
	assert_pct(c, "rate", 0.0);
	assert_true(json_is_null(at(c, "moved_share")) || real_at(c, "moved_share") == 0.0);
	json_decref(r);
}

static void test_county_groups(void **state)
{
	json_t *r = report_of(*state, "510681", "广汉市", "county", 0, 1);
	json_t *list = at(r, "groups.list"), *g;

	assert_string_equal(str_at(r, "level"), "county");
	assert_int_equal(int_at(r, "counties.total"), 1);
	assert_int_equal(int_at(r, "counties.centralized"), 1);
	assert_pct(r, "counties.share", 100.0);
	/* the retired group is left out; the rest by code, with the leader's name */
	assert_int_equal(json_array_size(list), 2);
	g = json_array_get(list, 0);
	assert_string_equal(str_at(g, "code"), "tf1");
	assert_string_equal(str_at(g, "tenant"), "510681");
	assert_string_equal(str_at(g, "name"), "派驻监督专班");
	assert_string_equal(str_at(g, "kind"), "task_force");
	assert_string_equal(str_at(g, "leader"), "l1");
	assert_string_equal(str_at(g, "leader_name"), "王五");
	assert_int_equal(int_at(g, "units"), 3);
	assert_int_equal(int_at(g, "members"), 3);
	g = json_array_get(list, 1);
	assert_string_equal(str_at(g, "code"), "tf1a");
	assert_string_equal(str_at(g, "kind"), "sub_group");
	assert_string_equal(str_at(g, "parent"), "tf1");
	assert_string_equal(str_at(g, "leader_name"), "");
	assert_int_equal(int_at(g, "units"), 0);
	assert_int_equal(int_at(g, "members"), 1);
	json_decref(r);
}

/* A city with no county yet: zeros, and null where nothing divides. */
static void test_empty(void **state)
{
	json_t *r = report_of(*state, "510600", "德阳市", "city", 0, 0);

	assert_int_equal(int_at(r, "counties.total"), 0);
	assert_int_equal(int_at(r, "counties.centralized"), 0);
	assert_true(json_is_null(at(r, "counties.share")));
	assert_true(json_is_null(at(r, "staffing.rate")));
	assert_true(json_is_null(at(r, "transfers.share")));
	assert_int_equal(int_at(r, "breaches.count"), 0);
	assert_int_equal(json_array_size(at(r, "breaches.list")), 0);
	assert_int_equal(json_array_size(at(r, "counties.list")), 0);
	json_decref(r);
}

/* The tenant record, when given, wins over the snapshot's copy (which may be older). */
static void test_record_wins(void **state)
{
	struct fixture *f = *state;
	json_t *rec = json_pack("{s:s, s:b, s:s, s:s}", "name", "绵竹市", "centralized", 1,
				"centralized_since", "2023-01-01", "modes", "area");
	json_t *fig = jd_org_report_county("510683", rec, f->snaps[2]);

	assert_non_null(fig);
	assert_true(json_is_true(at(fig, "centralized")));
	assert_string_equal(str_at(fig, "modes"), "area");
	assert_string_equal(str_at(fig, "tenant"), "510683");
	json_decref(fig);
	json_decref(rec);
}

/* Figures of a snapshot missing optional members (written before they existed). */
static void test_sparse_snapshot(void **state)
{
	json_t *snap = json_pack("{s:s, s:{s:s}}", "tenant", "510684", "county", "name", "x");
	json_t *fig = jd_org_report_county("510684", NULL, snap);
	json_t *figs = json_pack("[O]", fig);
	json_t *scope =
	    json_pack("{s:s, s:s, s:s}", "code", "510684", "name", "x", "level", "county");
	json_t *r = jd_org_report_build(scope, figs);

	(void)state;
	assert_non_null(r);
	assert_int_equal(int_at(r, "counties.total"), 1);
	assert_int_equal(int_at(r, "counties.centralized"), 0);
	assert_int_equal(int_at(r, "staffing.posts"), 0);
	assert_int_equal(json_array_size(at(r, "groups.list")), 0);
	json_decref(r);
	json_decref(scope);
	json_decref(figs);
	json_decref(fig);
	json_decref(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_province),	    cmocka_unit_test(test_breaches),
	    cmocka_unit_test(test_county_rows),	    cmocka_unit_test(test_county_groups),
	    cmocka_unit_test(test_empty),	    cmocka_unit_test(test_record_wins),
	    cmocka_unit_test(test_sparse_snapshot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
