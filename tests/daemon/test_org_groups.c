/* Groups: validation against a county snapshot, the text forms, the scope membership gives. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "org/org_group_model.h"

#define L1 "11111111111111111111111111111111" /* 王书记, leader */
#define L2 "22222222222222222222222222222222" /* 刘副书记, leader */
#define H1 "33333333333333333333333333333333" /* 张三, head */
#define C1 "44444444444444444444444444444444" /* 李四, cadre */
#define R1 "55555555555555555555555555555555" /* 赵五, leader, retired */
#define D1 "66666666666666666666666666666666" /* 重名 */
#define D2 "77777777777777777777777777777777" /* 重名 */

static json_t *snapshot(void)
{
	json_error_t e;
	json_t *s = json_loads(
	    "{\"tenant\": \"510681\", \"rev\": 3,"
	    " \"units\": {\"of1\": {\"name\": \"第一室\", \"kind\": \"office\", \"status\": "
	    "\"active\"},"
	    "  \"ag1\": {\"name\": \"一组\", \"kind\": \"agency\", \"status\": \"active\"},"
	    "  \"ag2\": {\"name\": \"二组\", \"kind\": \"agency\"},"
	    "  \"ag3\": {\"name\": \"三组\", \"kind\": \"agency\", \"status\": \"active\"},"
	    "  \"tw1\": {\"name\": \"街道\", \"kind\": \"township\", \"status\": \"active\"},"
	    "  \"ag9\": {\"name\": \"旧组\", \"kind\": \"agency\", \"status\": \"retired\"}},"
	    " \"people\": {"
	    "  \"" L1 "\": {\"name\": \"王书记\", \"post\": \"leader\", \"unit\": \"of1\"},"
	    "  \"" L2 "\": {\"name\": \"刘副书记\", \"post\": \"leader\", \"unit\": \"of1\"},"
	    "  \"" H1 "\": {\"name\": \"张三\", \"post\": \"head\", \"unit\": \"ag1\"},"
	    "  \"" C1 "\": {\"name\": \"李四\", \"post\": \"cadre\", \"unit\": \"ag2\"},"
	    "  \"" R1 "\": {\"name\": \"赵五\", \"post\": \"leader\", \"status\": \"retired\"},"
	    "  \"" D1 "\": {\"name\": \"重名\", \"post\": \"cadre\"},"
	    "  \"" D2 "\": {\"name\": \"重名\", \"post\": \"cadre\"}},"
	    " \"groups\": {"
	    "  \"tf1\": {\"name\": \"专班\", \"kind\": \"task_force\", \"status\": \"active\","
	    "           \"leader\": \"" L1 "\", \"units\": \"ag3\"},"
	    "  \"sg1\": {\"name\": \"综合组\", \"kind\": \"sub_group\", \"status\": \"active\","
	    "           \"parent\": \"tf1\", \"function\": \"general\"},"
	    "  \"old\": {\"name\": \"旧\", \"kind\": \"area\", \"status\": \"retired\"}}}",
	    0, &e);

	assert_non_null(s);
	return s;
}

/* A proposal of kind with units, leader and members; year 0. */
static json_t *proposal(const char *kind, const char *units, const char *leader,
			const char *members)
{
	json_t *in =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "name", "组", "kind", kind, "status",
		      "active", "units", units, "leader", leader, "members", members, "year", 0);

	assert_non_null(in);
	return in;
}

static void set(json_t *in, const char *k, const char *v)
{
	assert_int_equal(json_object_set_new(in, k, json_string(v)), 0);
}

/* Checks in (taken) as a new group with code and expects the reason `want`. */
static void expect_refused(const json_t *snap, const char *code, json_t *in, const json_t *old,
			   const char *want)
{
	json_t *out = NULL;
	char why[300] = "";
	int rc = jd_group_check(snap, code, in, old, 2026, &out, why, sizeof(why));

	if (rc != JD_E_INVALID || strstr(why, want) == NULL)
		fail_msg("want '%s', got rc %d '%s'", want, rc, why);
	assert_null(out);
	json_decref(in);
}

static json_t *expect_ok(const json_t *snap, const char *code, json_t *in, const json_t *old)
{
	json_t *out = NULL;
	char why[300] = "";
	int rc = jd_group_check(snap, code, in, old, 2026, &out, why, sizeof(why));

	if (rc != JD_OK)
		fail_msg("refused: %s", why);
	json_decref(in);
	return out;
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	assert_non_null(s);
	return s;
}

static void test_valid_area(void **state)
{
	json_t *snap = snapshot();
	json_t *g =
	    expect_ok(snap, "a1", proposal("area", "of1, ag1,tw1", "王书记", "张三," C1), NULL);

	(void)state;
	assert_string_equal(str(g, "units"), "of1,ag1,tw1");
	assert_string_equal(str(g, "leader"), L1);
	assert_string_equal(str(g, "members"), H1 "," C1);
	assert_string_equal(str(g, "status"), "active");
	assert_int_equal(json_integer_value(json_object_get(g, "year")), 2026);
	assert_string_equal(str(json_object_get(g, "leaders"), "2026"), L1);
	assert_int_equal(json_object_size(json_object_get(g, "shares")), 0);
	json_decref(g);
	json_decref(snap);
}

static void test_refusals(void **state)
{
	json_t *snap = snapshot(), *in;

	(void)state;
	expect_refused(snap, "a1", proposal("area", "of1,ag7", L1, ""), NULL,
		       "field 'units': no unit 'ag7' in tenant 510681");
	expect_refused(snap, "a1", proposal("area", "of1,ag9", L1, ""), NULL,
		       "field 'units': unit 'ag9' is retired");
	expect_refused(snap, "a1", proposal("area", "of1", L1, ""), NULL,
		       "field 'units': an area needs at least 2 member units");
	expect_refused(snap, "j1", proposal("joint_group", "ag1", L1, ""), NULL,
		       "a joint_group needs at least 2 member units");
	expect_refused(snap, "m1", proposal("matter", "", L1, ""), NULL,
		       "a matter needs at least 1 member unit");
	expect_refused(snap, "a1", proposal("area", "of1,of1", L1, ""), NULL,
		       "unit 'of1' is named twice");
	expect_refused(snap, "a1", proposal("area", "of1,ag1", "张三", ""), NULL,
		       "field 'leader': 张三 is a head, not a leadership member");
	expect_refused(snap, "a1", proposal("area", "of1,ag1", "无名", ""), NULL,
		       "field 'leader': no person '无名' in tenant 510681");
	expect_refused(snap, "a1", proposal("area", "of1,ag1", "赵五", ""), NULL,
		       "field 'leader': 赵五 is retired");
	expect_refused(snap, "a1", proposal("area", "of1,ag1", "", ""), NULL,
		       "field 'leader': an area needs a leader");
	expect_refused(snap, "a1", proposal("area", "of1,ag1", L1, "重名"), NULL,
		       "field 'members': 2 people are named '重名'");
	expect_refused(snap, "a1", proposal("area", "of1,ag1", L1, "张三," H1), NULL,
		       "field 'members': 张三 is named twice");
	expect_refused(snap, "a1", proposal("area", "of1,ag1", L1, R1), NULL,
		       "field 'members': 赵五 is retired");
	expect_refused(snap, "a1", proposal("area", "of1,ag1", L1, "张三,,李四"), NULL,
		       "field 'members' has an empty entry");
	expect_refused(snap, "x", proposal("committee", "", L1, ""), NULL,
		       "field 'kind': 'committee' is not a kind");
	in = proposal("area", "of1,ag1", L1, "");
	set(in, "name", "");
	expect_refused(snap, "a1", in, NULL, "field 'name' must not be empty");
	in = proposal("area", "of1,ag1", L1, "");
	assert_int_equal(json_object_set_new(in, "year", json_integer(1800)), 0);
	expect_refused(snap, "a1", in, NULL, "field 'year': 1800 is not a year");
	json_decref(snap);
}

static void test_sub_groups(void **state)
{
	json_t *snap = snapshot(), *in, *g;

	(void)state;
	in = proposal("sub_group", "", "", C1);
	expect_refused(snap, "s1", in, NULL, "field 'parent': a sub_group needs its parent group");
	in = proposal("sub_group", "", "", C1);
	set(in, "parent", "tf1");
	expect_refused(snap, "s1", in, NULL, "field 'function': '' is not a sub-group function");
	in = proposal("sub_group", "", "", C1);
	set(in, "parent", "sg1");
	set(in, "function", "general");
	expect_refused(snap, "s1", in, NULL, "field 'parent': group 'sg1' is itself a sub_group");
	in = proposal("sub_group", "", "", C1);
	set(in, "parent", "old");
	set(in, "function", "general");
	expect_refused(snap, "s1", in, NULL, "field 'parent': group 'old' is retired");
	in = proposal("sub_group", "", "", C1);
	set(in, "parent", "nope");
	set(in, "function", "general");
	expect_refused(snap, "s1", in, NULL, "field 'parent': no group 'nope' in tenant 510681");
	in = proposal("area", "of1,ag1", L1, "");
	set(in, "parent", "tf1");
	expect_refused(snap, "a1", in, NULL, "field 'parent' is only for a sub_group");
	in = proposal("area", "of1,ag1", L1, "");
	set(in, "function", "general");
	expect_refused(snap, "a1", in, NULL, "field 'function' is only for a sub_group");

	in = proposal("sub_group", "", "", C1);
	set(in, "parent", "tf1");
	set(in, "function", "review_investigation");
	g = expect_ok(snap, "s1", in, NULL);
	assert_string_equal(str(g, "leader"), "");
	assert_int_equal(json_object_size(json_object_get(g, "leaders")), 0);
	json_decref(g);
	json_decref(snap);
}

static void test_policies(void **state)
{
	json_t *snap = snapshot(), *in, *g, *shares = NULL;
	char why[200];

	(void)state;
	in = proposal("area", "of1,ag1", L1, "");
	set(in, "policy", "rotating");
	expect_refused(snap, "a1", in, NULL,
		       "field 'policy' is only for a joint_group (this group is an area)");
	in = proposal("joint_group", "ag1,ag2,ag3", L1, "");
	set(in, "policy", "rotating");
	set(in, "rotation", "ag2,tw1,ag1");
	expect_refused(snap, "j1", in, NULL,
		       "field 'rotation': unit 'tw1' is not a member unit of the group");
	in = proposal("joint_group", "ag1,ag2,ag3", L1, "");
	set(in, "policy", "rotating");
	set(in, "rotation", "ag2,ag1");
	expect_refused(snap, "j1", in, NULL,
		       "field 'rotation': member unit 'ag3' is not in the rotation");
	in = proposal("joint_group", "ag1,ag2,ag3", L1, "");
	set(in, "policy", "rotating");
	set(in, "rotation", "ag2,ag1,ag2");
	expect_refused(snap, "j1", in, NULL, "field 'rotation': unit 'ag2' is named twice");
	in = proposal("joint_group", "ag1,ag2", L1, "");
	set(in, "policy", "rotating");
	expect_refused(snap, "j1", in, NULL, "policy rotating needs the order");
	in = proposal("joint_group", "ag1,ag2", L1, "");
	set(in, "rotation", "ag1,ag2");
	expect_refused(snap, "j1", in, NULL, "field 'rotation' is only for policy rotating");
	in = proposal("joint_group", "ag1,ag2", L1, "");
	set(in, "policy", "chairs");
	expect_refused(snap, "j1", in, NULL,
		       "field 'policy': 'chairs' is not rotating or division");

	in = proposal("joint_group", "ag1,ag2,ag3", L1, "");
	set(in, "policy", "rotating");
	set(in, "rotation", "ag3,ag1,ag2");
	g = expect_ok(snap, "j1", in, NULL);
	assert_string_equal(str(g, "rotation"), "ag3,ag1,ag2");
	json_decref(g);

	assert_int_equal(
	    jd_group_shares_parse("ag1:党群综合; ag2 : 国企金融", &shares, why, sizeof(why)),
	    JD_OK);
	assert_string_equal(str(shares, "ag2"), "国企金融");
	in = proposal("joint_group", "ag1,ag2,ag3", L1, "");
	set(in, "policy", "division");
	assert_int_equal(json_object_set(in, "shares", shares), 0);
	expect_refused(snap, "j1", in, NULL, "field 'shares': member unit 'ag3' has no share");
	in = proposal("joint_group", "ag1,ag2", L1, "");
	set(in, "policy", "rotating");
	set(in, "rotation", "ag1,ag2");
	assert_int_equal(json_object_set(in, "shares", shares), 0);
	expect_refused(snap, "j1", in, NULL, "field 'shares' is only for policy division");
	in = proposal("joint_group", "ag1,ag2", L1, "");
	set(in, "policy", "division");
	assert_int_equal(json_object_set(in, "shares", shares), 0);
	set(in, "rotation", "");
	g = expect_ok(snap, "j1", in, NULL);
	assert_string_equal(str(json_object_get(g, "shares"), "ag1"), "党群综合");
	assert_string_equal(str(g, "rotation"), "");
	json_decref(g);
	json_decref(shares);
	json_decref(snap);
}

static void test_shares_text(void **state)
{
	const char *bad[][2] = {
	    {"ag1", "is not unit:what"},
	    {"ag1:x;;ag2:y", "has an empty entry"},
	    {"AG1:x", "'AG1' is not a unit code"},
	    {"ag1: ", "unit 'ag1' has no text"},
	    {"ag1:x;ag1:y", "unit 'ag1' is named twice"},
	};
	json_t *out = NULL;
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(jd_group_shares_parse(bad[i][0], &out, why, sizeof(why)),
				 JD_E_INVALID);
		assert_null(out);
		if (strstr(why, bad[i][1]) == NULL || strstr(why, "field 'shares'") == NULL)
			fail_msg("'%s': %s", bad[i][0], why);
	}
	assert_int_equal(jd_group_shares_parse("", &out, why, sizeof(why)), JD_OK);
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	/* a text may hold colons of its own: only the first separates */
	assert_int_equal(jd_group_shares_parse("ag1:a:b", &out, why, sizeof(why)), JD_OK);
	assert_string_equal(str(out, "ag1"), "a:b");
	json_decref(out);
}

/* An edit keeps what the group has even when it changed since; the year stays with the leader. */
static void test_edit_keeps(void **state)
{
	json_t *snap = snapshot(), *old, *g, *in;

	(void)state;
	old = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:{s:s, s:s}}", "name", "片区", "kind",
			"area", "status", "active", "units", "ag1,ag9", "leader", R1, "members", R1,
			"year", 2024, "leaders", "2023", L2, "2024", R1);
	assert_non_null(old);
	g = expect_ok(snap, "a1", proposal("area", "ag1,ag9", R1, R1), old);
	assert_int_equal(json_integer_value(json_object_get(g, "year")), 2024);
	assert_int_equal(json_object_size(json_object_get(g, "leaders")), 2);
	json_decref(g);
	/* a new leader without a year leads this year; the history keeps the others */
	g = expect_ok(snap, "a1", proposal("area", "ag1,ag9", L1, ""), old);
	assert_int_equal(json_integer_value(json_object_get(g, "year")), 2026);
	assert_string_equal(str(json_object_get(g, "leaders"), "2023"), L2);
	assert_string_equal(str(json_object_get(g, "leaders"), "2024"), R1);
	assert_string_equal(str(json_object_get(g, "leaders"), "2026"), L1);
	json_decref(g);
	/* a new leader with a year */
	in = proposal("area", "ag1,ag9", L2, "");
	assert_int_equal(json_object_set_new(in, "year", json_integer(2025)), 0);
	g = expect_ok(snap, "a1", in, old);
	assert_string_equal(str(json_object_get(g, "leaders"), "2025"), L2);
	json_decref(g);
	/* what is new is checked: ag9 added to another group's units, R1 as a new member */
	expect_refused(snap, "a1", proposal("area", "ag1,ag9", L1, ""), NULL,
		       "unit 'ag9' is retired");
	json_decref(old);
	json_decref(snap);
}

static void test_person_link(void **state)
{
	char county[7], id[33];

	(void)state;
	assert_int_equal(jd_person_link_parse("510681/" H1, county, id), JD_OK);
	assert_string_equal(county, "510681");
	assert_string_equal(id, H1);
	assert_int_equal(jd_person_link_parse("510681:" H1, county, id), JD_E_INVALID);
	assert_int_equal(jd_person_link_parse("51068/" H1 "1", county, id), JD_E_INVALID);
	assert_int_equal(jd_person_link_parse("510681/" H1 "0", county, id), JD_E_INVALID);
	assert_int_equal(
	    jd_person_link_parse("510681/3333333333333333333333333333333G", county, id),
	    JD_E_INVALID);
	assert_int_equal(jd_person_link_parse("", county, id), JD_E_INVALID);
	assert_int_equal(jd_person_link_parse(NULL, county, id), JD_E_INVALID);
}

/* [code, JSON, ...] as HGETALL answers groups:summary. */
static json_t *summaries(void)
{
	json_error_t e;
	json_t *s = json_loads(
	    "[\"a1\", \"{\\\"kind\\\":\\\"area\\\",\\\"status\\\":\\\"active\\\","
	    "\\\"leader\\\":\\\"" L1 "\\\",\\\"units\\\":\\\"of1,ag1\\\","
	    "\\\"members\\\":\\\"" H1 "," C1 "\\\"}\","
	    " \"j1\", \"{\\\"kind\\\":\\\"joint_group\\\",\\\"status\\\":\\\"active\\\","
	    "\\\"leader\\\":\\\"" L2 "\\\",\\\"units\\\":\\\"ag1,ag2\\\",\\\"members\\\":\\\"" H1
	    "\\\"}\","
	    " \"tf1\", \"{\\\"kind\\\":\\\"task_force\\\",\\\"status\\\":\\\"active\\\","
	    "\\\"leader\\\":\\\"" L1 "\\\",\\\"units\\\":\\\"ag3\\\",\\\"members\\\":\\\"\\\"}\","
	    " \"sg1\", \"{\\\"kind\\\":\\\"sub_group\\\",\\\"status\\\":\\\"active\\\","
	    "\\\"parent\\\":\\\"tf1\\\",\\\"members\\\":\\\"" C1 "\\\"}\","
	    " \"r1\", \"{\\\"kind\\\":\\\"area\\\",\\\"status\\\":\\\"retired\\\","
	    "\\\"units\\\":\\\"tw1,ag9\\\",\\\"members\\\":\\\"" C1 "\\\"}\","
	    " \"sgr\", \"{\\\"kind\\\":\\\"sub_group\\\",\\\"status\\\":\\\"active\\\","
	    "\\\"parent\\\":\\\"r1\\\",\\\"members\\\":\\\"" C1 "\\\"}\","
	    " \"bad\", \"not json\"]",
	    0, &e);

	if (s == NULL)
		fail_msg("fixture: %s", e.text);
	return s;
}

static void test_scope(void **state)
{
	json_t *sum = summaries();
	char units[512], groups[256], tiny[30];

	(void)state;
	snprintf(units, sizeof(units), "ag7");
	groups[0] = '\0';
	assert_int_equal(
	    jd_group_scope(sum, "510681", H1, units, sizeof(units), groups, sizeof(groups)), 0);
	assert_string_equal(units, "ag7,510681/of1,510681/ag1,510681/ag2");
	assert_string_equal(groups, "510681/a1,510681/j1");

	/* a sub-group member counts as a member of its active parent; a retired one gives nothing
	 */
	units[0] = groups[0] = '\0';
	assert_int_equal(
	    jd_group_scope(sum, "510681", C1, units, sizeof(units), groups, sizeof(groups)), 0);
	assert_string_equal(units, "510681/of1,510681/ag1,510681/ag3");
	assert_string_equal(groups, "510681/a1,510681/tf1");

	/* the leader counts too */
	units[0] = groups[0] = '\0';
	jd_group_scope(sum, "510681", L2, units, sizeof(units), groups, sizeof(groups));
	assert_string_equal(units, "510681/ag1,510681/ag2");

	/* nobody's groups: nothing */
	units[0] = groups[0] = '\0';
	assert_int_equal(
	    jd_group_scope(sum, "510681", D1, units, sizeof(units), groups, sizeof(groups)), 0);
	assert_string_equal(units, "");

	/* what does not fit is counted, never written past the buffer */
	snprintf(tiny, sizeof(tiny), "u1");
	groups[0] = '\0';
	assert_true(jd_group_scope(sum, "510681", H1, tiny, sizeof(tiny), groups, sizeof(groups)) >
		    0);
	assert_string_equal(tiny, "u1,510681/of1,510681/ag1");
	json_decref(sum);
}

/* "<tenant>/x" in a scope list grants x in that tenant only; a bare "x" in each. */
static void test_qualified_scope(void **state)
{
	struct jd_principal p = {.name = "s1", .roles = JD_ROLE_STAFF};
	struct jd_record_scope in_a = {.tenant = "510681", .unit = "ag1"};
	struct jd_record_scope in_b = {.tenant = "510682", .unit = "ag1"};
	struct jd_record_scope grp_a = {.tenant = "510681", .unit = "zz", .groups = "x, a1"};
	struct jd_record_scope grp_b = {.tenant = "510682", .unit = "zz", .groups = "a1"};

	(void)state;
	snprintf(p.tenants, sizeof(p.tenants), "510681,510682");
	snprintf(p.units, sizeof(p.units), "u9,510681/ag1");
	snprintf(p.groups, sizeof(p.groups), "510681/a1");
	assert_true(jd_auth_record_visible(&p, &in_a));
	assert_false(jd_auth_record_visible(&p, &in_b));
	assert_true(jd_auth_record_visible(&p, &grp_a));
	assert_false(jd_auth_record_visible(&p, &grp_b));
	snprintf(p.units, sizeof(p.units), "ag1");
	assert_true(jd_auth_record_visible(&p, &in_b)); /* bare: every tenant of the user's */
	snprintf(p.tenants, sizeof(p.tenants), "510682");
	snprintf(p.units, sizeof(p.units), "510681/ag1");
	assert_false(jd_auth_record_visible(&p, &in_a)); /* the tenant itself still decides */
}

/* The names index answers as walking every person does: unique, duplicate, retired. */
static void test_names_index(void **state)
{
	json_t *snap = snapshot(), *people = json_object_get(snap, "people");
	json_t *names = jd_group_names_index(people);
	const char *const texts[] = {"王书记", "重名", "赵五", "无此人", L2};

	(void)state;
	assert_non_null(names);
	assert_int_equal(json_array_size(json_object_get(names, "重名")), 2);
	assert_int_equal(json_array_size(json_object_get(names, "张三")), 1);
	/* an active 赵五 as well: the active one is meant */
	json_object_set_new(people, "88888888888888888888888888888888",
			    json_pack("{s:s, s:s}", "name", "赵五", "post", "cadre"));
	json_decref(names);
	names = jd_group_names_index(people);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char why[2][300] = {"", ""};
		json_t *out[2] = {NULL, NULL};
		int rc[2];

		for (int k = 0; k < 2; k++) { /* 0: by the index, 1: walking the people */
			json_t *in = proposal("area", "of1,ag1", L1, texts[i]);

			rc[k] = jd_group_check_indexed(snap, k == 0 ? names : NULL, "a1", in, NULL,
						       2026, &out[k], why[k], sizeof(why[k]));
			json_decref(in);
		}
		assert_int_equal(rc[0], rc[1]);
		assert_string_equal(why[0], why[1]);
		if (rc[0] == JD_OK)
			assert_string_equal(str(out[0], "members"), str(out[1], "members"));
		json_decref(out[0]);
		json_decref(out[1]);
	}
	json_decref(names);
	/* and jd_group_check itself (which indexes) picks the active 赵五 */
	names = expect_ok(snap, "a1", proposal("area", "of1,ag1", L1, "赵五"), NULL);
	assert_string_equal(str(names, "members"), "88888888888888888888888888888888");
	json_decref(names);
	json_decref(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_area),	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_sub_groups),	    cmocka_unit_test(test_policies),
	    cmocka_unit_test(test_shares_text),	    cmocka_unit_test(test_edit_keeps),
	    cmocka_unit_test(test_person_link),	    cmocka_unit_test(test_scope),
	    cmocka_unit_test(test_qualified_scope), cmocka_unit_test(test_names_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
