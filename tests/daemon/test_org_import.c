/*
 * Checking an organization import (org_import.h), the pure part: CSV texts
 * against a hand-made county snapshot.  Each rule of the one-by-one
 * routes, the line a bad row is reported on (a byte order mark, quoted
 * commas, line breaks inside quotes, CRLF), and that a bad import keeps
 * nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/org_csv.h"
#include "org/org_export.h"
#include "org/org_import.h"

#define TODAY "2024-06-30"

#define ID_LEADER  "1111111111111111111111111111111a"
#define ID_LEADER2 "1111111111111111111111111111111b"
#define ID_HEAD	   "1111111111111111111111111111111c"
#define ID_GONE	   "1111111111111111111111111111111d"

#define UNITS_HEADER  "code,name,kind,supervised,linked,posts,leadership_posts\n"
#define PEOPLE_HEADER "name,post,unit,start,new_cadre,ties\n"
#define POSTS_HEADER  "date,from,to,posts,leadership_posts,reason\n"
#define GROUPS_HEADER                                                                              \
	"code,name,kind,leader,units,members,parent,function,policy,rotation,shares,year\n"

static unsigned next_id;

static void counting_id(char out[33])
{
	snprintf(out, 33, "%032x", ++next_id);
}

static json_t *snapshot(void)
{
	json_error_t e;
	json_t *s = json_loads(
	    "{\"tenant\": \"510681\", \"rev\": 7,"
	    " \"county\": {\"name\": \"青川县\", \"level\": \"county\"},"
	    " \"units\": {"
	    "  \"of1\": {\"name\": \"第一纪检监察室\", \"kind\": \"office\", \"status\": "
	    "\"active\"},"
	    "  \"ag1\": {\"name\": \"第一派驻纪检监察组\", \"kind\": \"agency\", \"status\": "
	    "\"active\"},"
	    "  \"ag2\": {\"name\": \"第二派驻纪检监察组\", \"kind\": \"agency\", \"status\": "
	    "\"active\"},"
	    "  \"tw1\": {\"name\": \"乔庄镇纪委\", \"kind\": \"township\", \"status\": \"active\"},"
	    "  \"ag9\": {\"name\": \"撤销的组\", \"kind\": \"agency\", \"status\": \"retired\"}},"
	    " \"people\": {"
	    "  \"" ID_LEADER "\": {\"name\": \"王建国\", \"post\": \"leader\", \"unit\": \"of1\","
	    "   \"status\": \"active\"},"
	    "  \"" ID_LEADER2 "\": {\"name\": \"刘明\", \"post\": \"leader\", \"unit\": \"of1\","
	    "   \"status\": \"active\"},"
	    "  \"" ID_HEAD "\": {\"name\": \"张伟\", \"post\": \"head\", \"unit\": \"ag1\","
	    "   \"status\": \"active\"},"
	    "  \"" ID_GONE "\": {\"name\": \"赵退\", \"post\": \"leader\", \"unit\": \"of1\","
	    "   \"status\": \"retired\"}},"
	    " \"groups\": {"
	    "  \"tf1\": {\"name\": \"第一专班\", \"kind\": \"task_force\", \"status\": \"active\","
	    "   \"leader\": \"" ID_LEADER "\", \"units\": \"of1,ag1\", \"members\": \"\"}},"
	    " \"transfers\": []}",
	    0, &e);

	assert_non_null(s);
	return s;
}

/* 0: run() checks in one call; else in steps of this many rows (the route's way). */
static size_t step_budget;

/* Runs a check over the four texts (NULL: not given). */
static void run(const json_t *snap, const char *units, const char *people, const char *posts,
		const char *groups, struct jd_import *out)
{
	struct jd_import_text files[JD_CSV_KINDS] = {
	    {units, units ? strlen(units) : 0},
	    {people, people ? strlen(people) : 0},
	    {posts, posts ? strlen(posts) : 0},
	    {groups, groups ? strlen(groups) : 0},
	};

	next_id = 0;
	if (step_budget == 0) {
		assert_int_equal(jd_import_check(snap, files, TODAY, counting_id, out), 0);
	} else {
		struct jd_import_job *j = jd_import_begin(snap, files, TODAY, counting_id, out);
		int rc;

		assert_non_null(j);
		while ((rc = jd_import_step(j, step_budget)) == 1)
			;
		assert_int_equal(rc, 0);
		jd_import_job_free(j);
	}
}

/* Whether the bad rows hold one at file:line whose reason contains text. */
static int has_error(const struct jd_import *imp, const char *file, long long line,
		     const char *text)
{
	for (size_t i = 0; i < json_array_size(imp->errors); i++) {
		json_t *e = json_array_get(imp->errors, i);

		if (strcmp(json_string_value(json_object_get(e, "file")), file) == 0 &&
		    json_integer_value(json_object_get(e, "line")) == line &&
		    strstr(json_string_value(json_object_get(e, "error")), text) != NULL)
			return 1;
	}
	return 0;
}

static void dump_errors(const struct jd_import *imp)
{
	for (size_t i = 0; i < json_array_size(imp->errors); i++) {
		json_t *e = json_array_get(imp->errors, i);

		fprintf(stderr, "  %s:%lld: %s\n", json_string_value(json_object_get(e, "file")),
			json_integer_value(json_object_get(e, "line")),
			json_string_value(json_object_get(e, "error")));
	}
}

static void expect_error(const struct jd_import *imp, const char *file, long long line,
			 const char *text)
{
	if (!has_error(imp, file, line, text)) {
		fprintf(stderr, "wanted %s:%lld: ...%s...; got:\n", file, line, text);
		dump_errors(imp);
		fail();
	}
}

/* ---- the reader -------------------------------------------------------------------------- */

static void test_csv_lines(void **state)
{
	const char *text = "\xef\xbb\xbf"
			   "a,b\r\n"
			   "\r\n"
			   "1,\"x, y\"\r\n"
			   "2,\"two\nlines\"\n"
			   "   \n"
			   "3,\"say \"\"hi\"\"\"\n"
			   ",,\n"
			   "4, trimmed \n";
	struct jd_csv c;
	size_t map[JD_CSV_MAX_COLS];

	(void)state;
	assert_int_equal(jd_csv_parse(text, strlen(text), &c), 0);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.rows[0].fields[0], "a"); /* the byte order mark is gone */
	assert_int_equal(c.rows[1].line, 3);
	assert_string_equal(c.rows[1].fields[1], "x, y");
	assert_int_equal(c.rows[2].line, 4);
	assert_string_equal(c.rows[2].fields[1], "two\nlines");
	assert_int_equal(c.rows[3].line, 7);
	assert_string_equal(c.rows[3].fields[1], "say \"hi\"");
	assert_int_equal(c.rows[4].line, 9);
	assert_string_equal(c.rows[4].fields[1], "trimmed");
	assert_int_equal(jd_csv_kind_of(&c.rows[0], map), -1);
	jd_csv_free(&c);

	text = "a,b\n1,\"open\n2,3\n";
	assert_int_equal(jd_csv_parse(text, strlen(text), &c), -1);
	assert_int_equal(c.err_line, 2);
	assert_non_null(strstr(c.err, "not closed"));
	jd_csv_free(&c);

	text = "a,b\n1,x\"y\n";
	assert_int_equal(jd_csv_parse(text, strlen(text), &c), -1);
	assert_int_equal(c.err_line, 2);
	jd_csv_free(&c);

	/* any column order is recognised */
	text = "ties,name,post,unit,start,new_cadre\n";
	assert_int_equal(jd_csv_parse(text, strlen(text), &c), 0);
	assert_int_equal(jd_csv_kind_of(&c.rows[0], map), JD_CSV_PEOPLE);
	assert_int_equal(map[0], 1); /* name */
	assert_int_equal(map[5], 0); /* ties */
	jd_csv_free(&c);
}

static void test_csv_put(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(jd_csv_put(f, "plain", 0), 0);
	assert_int_equal(jd_csv_put(f, "a,b", 0), 0);
	assert_int_equal(jd_csv_put(f, "say \"hi\"", 0), 0);
	assert_int_equal(jd_csv_put(f, "two\nlines", 0), 0);
	assert_int_equal(jd_csv_put(f, "", 1), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
	free(buf);
}

/* ---- a good import ------------------------------------------------------------------------- */

static void test_good_import(void **state)
{
	json_t *snap = snapshot();
	struct jd_import imp;
	const char *units = "\xef\xbb\xbf" UNITS_HEADER
			    "ag3,\"第三派驻纪检监察组, 教育\",agency,县教育局;县卫健局,,5,1\r\n"
			    "of2,第二纪检监察室,office,,ag3;tw1,6,2\r\n";
	const char *people = PEOPLE_HEADER "陈静,head,ag3,2021-03-01,false,\"老家\n青川\"\n"
					   "周文,cadre,ag3,2023-09-01,true,\n"
					   "孙书记,leader,of2,2020-01-01,,\n";
	const char *posts = POSTS_HEADER "2023-01-15,ag1,of2,2,1,充实一线\n";
	const char *groups = GROUPS_HEADER
	    "sub1,综合组,sub_group,,,,jg1,general,,,,\n"
	    "jg1,党群联组,joint_group,孙书记,ag1;ag3,陈静;周文,,,division,,ag1:党委;ag3:教育,2024\n"
	    "ar1,第一片区,area,刘明,of2;tw1,,,,,,,\n";

	(void)state;
	run(snap, units, people, posts, groups, &imp);
	dump_errors(&imp);
	assert_int_equal(imp.n_errors, 0);
	assert_int_equal(json_object_size(imp.units), 2);
	assert_int_equal(json_object_size(imp.people), 3);
	assert_int_equal(json_array_size(imp.transfers), 1);
	assert_int_equal(json_object_size(imp.groups), 3);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(imp.units, "ag3"), "name")),
	    "第三派驻纪检监察组, 教育");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(imp.groups, "jg1"), "shares"), "ag3")),
	    "教育");
	json_decref(snap);
	jd_import_clear(&imp);
}

/* The ties an import holds in the clear are wiped when it is cleared (after sealing, or when bad).
 */
static void test_clear_wipes_ties(void **state)
{
	json_t *snap = snapshot(), *ties;
	struct jd_import imp;
	const char *people = PEOPLE_HEADER "陈静,head,ag1,2021-03-01,false,表哥在教育局 SECRET\n";
	size_t len;

	(void)state;
	run(snap, NULL, people, NULL, NULL, &imp);
	assert_int_equal(imp.n_errors, 0);
	ties = json_object_get(json_object_iter_value(json_object_iter(imp.people)), "ties");
	assert_string_equal(json_string_value(ties), "表哥在教育局 SECRET");
	len = json_string_length(ties);
	json_incref(ties); /* kept past the clear, to look at its bytes */
	jd_import_clear(&imp);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(json_string_value(ties)[i], 0);
	assert_null(imp.people);
	json_decref(ties);
	json_decref(snap);
}

/*
 * Group rows name their members by name: thousands of people and hundreds
 * of such rows are checked by looking names up, not by walking every
 * person for each (which took minutes on the loop).
 */
static void test_many_named_members(void **state)
{
	json_t *snap = snapshot();
	struct jd_import imp;
	char *people = malloc(4000 * 40 + 64), *groups = malloc(300 * (200 * 12 + 80) + 128);
	size_t p = 0, g = 0;

	(void)state;
	assert_non_null(people);
	assert_non_null(groups);
	p += (size_t)sprintf(people + p, "%s", PEOPLE_HEADER);
	for (int i = 0; i < 4000; i++)
		p += (size_t)sprintf(people + p, "人%d,cadre,ag1,2021-03-01,,\n", i);
	g += (size_t)sprintf(groups + g, "%s", GROUPS_HEADER);
	for (int r = 0; r < 300; r++) {
		g += (size_t)sprintf(groups + g, "m%d,事项%d,matter,王建国,ag1,", r, r);
		for (int m = 0; m < 200; m++)
			g += (size_t)sprintf(groups + g, "%s人%d", m ? ";" : "", 3999 - m);
		g += (size_t)sprintf(groups + g, ",,,,,,2024\n");
	}
	run(snap, NULL, people, NULL, groups, &imp);
	dump_errors(&imp);
	assert_int_equal(imp.n_errors, 0);
	assert_int_equal(json_object_size(imp.people), 4000);
	assert_int_equal(json_object_size(imp.groups), 300);
	jd_import_clear(&imp);
	free(people);
	free(groups);
	json_decref(snap);
}

static void test_good_import_values(void **state)
{
	json_t *snap = snapshot();
	struct jd_import imp;
	const char *units = UNITS_HEADER "ag3,第三组,agency,县教育局;县卫健局,,5,1\n"
					 "of2,第二室,office,,ag3;tw1,6,2\n";
	const char *people =
	    PEOPLE_HEADER "陈静,head,ag3,2021-03-01,false,\"县教育局,老家\n青川\"\n"
			  "孙书记,leader,of2,2020-01-01,true,\n";
	const char *groups = GROUPS_HEADER "jg1,联组,joint_group,孙书记,ag1;ag3,陈静,,,rotating,"
					   "ag3;ag1,,2024\n";
	json_t *p1, *p2, *g;
	char id1[33], id2[33];

	(void)state;
	run(snap, units, people, NULL, groups, &imp);
	dump_errors(&imp);
	assert_int_equal(imp.n_errors, 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(imp.units, "ag3"), "supervised")),
	    "县教育局,县卫健局");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(imp.units, "of2"), "linked")),
	    "ag3,tw1");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(imp.units, "of2"),
							    "leadership_posts")),
			 2);
	snprintf(id1, sizeof(id1), "%032x", 1);
	snprintf(id2, sizeof(id2), "%032x", 2);
	p1 = json_object_get(imp.people, id1);
	p2 = json_object_get(imp.people, id2);
	assert_non_null(p1);
	assert_non_null(p2);
	assert_string_equal(json_string_value(json_object_get(p1, "ties")), "县教育局,老家\n青川");
	assert_string_equal(json_string_value(json_object_get(p1, "status")), "active");
	assert_true(json_is_false(json_object_get(p1, "new_cadre")));
	assert_true(json_is_true(json_object_get(p2, "new_cadre")));
	assert_string_equal(json_string_value(json_object_get(p2, "ties")), "");
	g = json_object_get(imp.groups, "jg1");
	assert_string_equal(json_string_value(json_object_get(g, "leader")), id2);
	assert_string_equal(json_string_value(json_object_get(g, "members")), id1);
	assert_string_equal(json_string_value(json_object_get(g, "units")), "ag1,ag3");
	assert_string_equal(json_string_value(json_object_get(g, "rotation")), "ag3,ag1");
	assert_int_equal(json_integer_value(json_object_get(g, "year")), 2024);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(g, "leaders"), "2024")), id2);
	json_decref(snap);
	jd_import_clear(&imp);
}

/* ---- bad rows ------------------------------------------------------------------------------ */

static void test_unit_rules(void **state)
{
	json_t *snap = snapshot();
	struct jd_import imp;
	const char *units = UNITS_HEADER "ag1,重复,agency,,,,\n"      /* 2: exists */
					 "Bad!,x,agency,,,,\n"	      /* 3: code form */
					 "ag4,,agency,,,,\n"	      /* 4: no name */
					 "ag5,x,bureau,,,,\n"	      /* 5: kind */
					 "of5,x,office,县教育局,,,\n" /* 6: supervised */
					 "ag6,x,agency,,ag1,,\n"      /* 7: linked */
					 "of6,x,office,,ag7,,\n"      /* 8: no such unit */
					 "of7,x,office,,of1,,\n"      /* 9: wrong kind */
					 "of8,x,office,,ag9,,\n"      /* 10: retired */
					 "of9,x,office,,ag1;ag1,,\n"  /* 11: twice */
					 "ag8,x,agency,,,-1,\n"	      /* 12: posts */
					 "ag10,x,agency,,,2,3\n"      /* 13: leadership > posts */
					 "ag11,x,agency,,,2\n"	      /* 14: field count */
					 "ag12,x,agency,\"a,b\",,,\n" /* 15: comma in an entry */
					 "ag13,x,agency,a;;b,,,\n"    /* 16: empty entry */
					 "ag14,x,agency,,,,\n"	      /* 17: fine */
					 "ag14,y,agency,,,,\n";	      /* 18: twice in the file */

	(void)state;
	run(snap, units, NULL, NULL, NULL, &imp);
	expect_error(&imp, "units.csv", 2,
		     "field 'code': unit 'ag1' exists already in tenant 510681");
	expect_error(&imp, "units.csv", 3, "field 'code' must be 1..32");
	expect_error(&imp, "units.csv", 4, "field 'name' must not be empty");
	expect_error(&imp, "units.csv", 5, "field 'kind': 'bureau' is not a kind");
	expect_error(&imp, "units.csv", 6, "field 'supervised' is only for an agency");
	expect_error(&imp, "units.csv", 7, "field 'linked' is only for an office");
	expect_error(&imp, "units.csv", 8, "field 'linked': no unit 'ag7' in tenant 510681");
	expect_error(&imp, "units.csv", 9, "unit 'of1' is of kind office");
	expect_error(&imp, "units.csv", 10, "field 'linked': unit 'ag9' is retired");
	expect_error(&imp, "units.csv", 11, "unit 'ag1' is named twice");
	expect_error(&imp, "units.csv", 12, "field 'posts' must be 0..10000, not '-1'");
	expect_error(&imp, "units.csv", 13, "field 'leadership_posts' must be 0..posts (2), not 3");
	expect_error(&imp, "units.csv", 14, "6 fields; the header has 7");
	expect_error(&imp, "units.csv", 15, "must not contain ','");
	expect_error(&imp, "units.csv", 16, "empty entry");
	expect_error(&imp, "units.csv", 18, "unit 'ag14' is on line 17 too");
	assert_int_equal(imp.n_errors, 16);
	assert_int_equal(json_array_size(imp.errors), 16);
	/* nothing of a bad import is kept */
	assert_null(imp.units);
	assert_null(imp.people);
	assert_null(imp.groups);
	assert_null(imp.transfers);
	json_decref(snap);
	jd_import_clear(&imp);
}

static void test_people_and_posts_rules(void **state)
{
	json_t *snap = snapshot();
	struct jd_import imp;
	const char *units = UNITS_HEADER "ag3,第三组,agency,,,4,1\n";
	const char *people =
	    PEOPLE_HEADER ",head,ag1,2021-01-01,,\n"	  /* 2: no name */
			  "甲,chief,ag1,2021-01-01,,\n"	  /* 3: post */
			  "乙,head,ag7,2021-01-01,,\n"	  /* 4: unit */
			  "丙,head,ag9,2021-01-01,,\n"	  /* 5: retired unit */
			  "丁,head,ag1,2021-02-30,,\n"	  /* 6: date */
			  "戊,head,ag1,2999-01-01,,\n"	  /* 7: future */
			  "己,head,ag1,2021-01-01,yes,\n" /* 8: new_cadre */
			  "庚,head,ag3,2021-01-01,,\n";	  /* 9: fine: a unit of the import */
	const char *posts =
	    POSTS_HEADER "2023-13-01,ag1,of1,1,0,x\n"  /* 2: date */
			 "2023-01-01,ag7,of1,1,0,x\n"  /* 3: from */
			 "2023-01-01,ag1,ag1,1,0,x\n"  /* 4: itself */
			 "2023-01-01,ag1,of1,0,0,x\n"  /* 5: nothing moved */
			 "2023-01-01,ag1,of1,x,0,x\n"  /* 6: count */
			 "2023-01-01,ag3,of1,1,1,x\n"  /* 7: fine: a unit of the import */
			 "2023-01-01,ag9,of1,1,0,x\n"  /* 8: retired, as the transfers route */
			 "2023-01-01,ag1,of1,1,2,x\n"; /* 9: more leadership posts than posts */

	(void)state;
	run(snap, units, people, posts, NULL, &imp);
	expect_error(&imp, "people.csv", 2, "field 'name' must not be empty");
	expect_error(&imp, "people.csv", 3, "field 'post': 'chief' is not a post");
	expect_error(&imp, "people.csv", 4, "field 'unit': no unit 'ag7' in tenant 510681");
	expect_error(&imp, "people.csv", 5, "field 'unit': unit 'ag9' is retired");
	expect_error(&imp, "people.csv", 6, "field 'start' must be a date YYYY-MM-DD");
	expect_error(&imp, "people.csv", 7, "field 'start': 2999-01-01 is in the future");
	expect_error(&imp, "people.csv", 8, "field 'new_cadre' must be true, false or empty");
	expect_error(&imp, "posts.csv", 2, "field 'date' must be a date");
	expect_error(&imp, "posts.csv", 3, "field 'from': no unit 'ag7'");
	expect_error(&imp, "posts.csv", 4, "to itself");
	expect_error(&imp, "posts.csv", 5, "field 'posts' must be 1..10000, not '0'");
	expect_error(&imp, "posts.csv", 6, "field 'posts' must be 1..10000, not 'x'");
	expect_error(&imp, "posts.csv", 8, "field 'from': unit 'ag9' is retired");
	expect_error(&imp, "posts.csv", 9,
		     "field 'leadership_posts' must be 0..posts (1), not '2'");
	assert_int_equal(imp.n_errors, 14);
	json_decref(snap);
	jd_import_clear(&imp);
}

static void test_group_rules(void **state)
{
	json_t *snap = snapshot();
	struct jd_import imp;
	const char *people = PEOPLE_HEADER "张伟,cadre,ag2,2021-01-01,,\n"
					   "新书记,leader,of1,2022-01-01,,\n";
	const char *groups = GROUPS_HEADER
	    "tf1,重复,task_force,王建国,of1,,,,,,,\n"			/* 2: exists */
	    "g3,专班,task_force,张伟,of1,,,,,,,\n"			/* 3: ambiguous name */
	    "g4,专班,task_force," ID_HEAD ",of1,,,,,,,\n"		/* 4: not a leader */
	    "g5,专班,task_force,赵退,of1,,,,,,,\n"			/* 5: retired */
	    "g6,片区,area,王建国,of1,,,,,,,\n"				/* 6: one unit */
	    "g7,小组,sub_group,,,,gx,general,,,,\n"			/* 7: no parent */
	    "g8,片区,area,王建国,of1;ag1,,,,rotating,of1;ag1,,\n"	/* 8: policy */
	    "g9,专班,bureau,王建国,of1,,,,,,,\n"			/* 9: kind */
	    "g10,联组,joint_group,王建国,ag1;ag2,,,,division,,ag1:x,\n" /* 10: a share missing */
	    "g11,专班,task_force,无名,of1,,,,,,,\n"			/* 11: no person */
	    "g12,专班,task_force,新书记,of1;ag7,,,,,,,\n"		/* 12: no unit */
	    "g13,专班,task_force,新书记,of1,,,,,,,abc\n"		/* 13: year */
	    "g14,小组,sub_group,,,,g15,general,,,,\n"			/* 14: fine: parent later */
	    "g15,专班,task_force,新书记,of1,张伟;王建国,,,,,,\n";	/* 15: ambiguous member */

	(void)state;
	run(snap, NULL, people, NULL, groups, &imp);
	expect_error(&imp, "groups.csv", 2, "field 'code': group 'tf1' exists already");
	expect_error(&imp, "groups.csv", 3, "field 'leader': 2 people are named '张伟'");
	expect_error(&imp, "groups.csv", 4,
		     "field 'leader': 张伟 is a head, not a leadership member");
	expect_error(&imp, "groups.csv", 5, "field 'leader': 赵退 is retired");
	expect_error(&imp, "groups.csv", 6, "needs at least 2 member units");
	expect_error(&imp, "groups.csv", 7, "field 'parent': no group 'gx'");
	expect_error(&imp, "groups.csv", 8, "field 'policy' is only for a joint_group");
	expect_error(&imp, "groups.csv", 9, "field 'kind': 'bureau' is not a kind");
	expect_error(&imp, "groups.csv", 10, "member unit 'ag2' has no share");
	expect_error(&imp, "groups.csv", 11, "field 'leader': no person '无名'");
	expect_error(&imp, "groups.csv", 12, "field 'units': no unit 'ag7'");
	expect_error(&imp, "groups.csv", 13, "field 'year' must be a year");
	expect_error(&imp, "groups.csv", 15, "field 'members': 2 people are named '张伟'");
	assert_int_equal(imp.n_errors, 13);
	json_decref(snap);
	jd_import_clear(&imp);
}

static void test_files(void **state)
{
	json_t *snap = snapshot();
	struct jd_import imp;
	char big[8192] = PEOPLE_HEADER;

	(void)state;
	/* a header of another kind, an empty file, malformed quoting */
	run(snap, PEOPLE_HEADER "甲,head,ag1,2021-01-01,,\n", "", POSTS_HEADER "2023-01-01,\"ag1\n",
	    "\n\n", &imp);
	expect_error(&imp, "units.csv", 1, "the header row must name the columns code,name,kind");
	expect_error(&imp, "posts.csv", 2, "a quoted field is not closed");
	expect_error(&imp, "groups.csv", 1, "no header row");
	assert_int_equal(imp.n_errors, 3); /* an empty text is a file not given */
	jd_import_clear(&imp);

	/* a stray quote: the line it is on, after a quoted line break */
	run(snap, NULL, PEOPLE_HEADER "甲,head,ag1,2021-01-01,,\"a\nb\"\n乙,he\"ad,ag1,,,\n", NULL,
	    NULL, &imp);
	expect_error(&imp, "people.csv", 4, "malformed CSV");
	jd_import_clear(&imp);

	/* at most 100 listed, all counted */
	for (int i = 0; i < 150; i++)
		strcat(big, "x,chief,ag1,2021-01-01,,\n");
	run(snap, NULL, big, NULL, NULL, &imp);
	assert_int_equal(imp.n_errors, 150);
	assert_int_equal(json_array_size(imp.errors), JD_IMPORT_ERRORS_MAX);
	expect_error(&imp, "people.csv", 101, "'chief' is not a post");
	jd_import_clear(&imp);
	json_decref(snap);
}

/* ---- export, and its import into an empty county ------------------------------------------- */

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"
#define ID_B "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2"
#define ID_C "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3"
#define ID_D "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa4"

static json_t *county_to_export(void)
{
	json_error_t e;
	json_t *s = json_loads(
	    "{\"tenant\": \"510682\", \"rev\": 3,"
	    " \"units\": {"
	    "  \"of1\": {\"name\": \"第一室\", \"kind\": \"office\", \"status\": \"active\","
	    "   \"supervised\": \"\", \"linked\": \"ag1,ag9\", \"posts\": 6, \"leadership_posts\": "
	    "2},"
	    "  \"ag1\": {\"name\": \"第一组, \\\"教育\\\"\", \"kind\": \"agency\","
	    "   \"status\": \"active\", \"supervised\": \"县教育局,县卫健局\", \"linked\": \"\","
	    "   \"posts\": 5, \"leadership_posts\": 2},"
	    "  \"ag2\": {\"name\": \"第二组\\n(两行)\", \"kind\": \"agency\", \"status\": "
	    "\"active\", \"supervised\": \"\", \"linked\": \"\", \"posts\": 4, "
	    "\"leadership_posts\": 1},"
	    "  \"ag9\": {\"name\": \"撤销\", \"kind\": \"agency\", \"status\": \"retired\","
	    "   \"supervised\": \"\", \"linked\": \"\", \"posts\": 0, \"leadership_posts\": 0}},"
	    " \"people\": {"
	    "  \"" ID_A "\": {\"name\": \"王建国\", \"post\": \"leader\", \"unit\": \"of1\","
	    "   \"start\": \"2020-01-01\", \"new_cadre\": false, \"status\": \"active\","
	    "   \"former\": \"ag9\"},"
	    "  \"" ID_B "\": {\"name\": \"陈静\", \"post\": \"head\", \"unit\": \"ag1\","
	    "   \"start\": \"2021-03-01\", \"new_cadre\": false, \"status\": \"active\"},"
	    "  \"" ID_C "\": {\"name\": \"周文\", \"post\": \"cadre\", \"unit\": \"ag2\","
	    "   \"start\": \"2023-09-01\", \"new_cadre\": true, \"status\": \"active\"},"
	    "  \"" ID_D "\": {\"name\": \"退休者\", \"post\": \"cadre\", \"unit\": \"ag1\","
	    "   \"start\": \"2001-09-01\", \"new_cadre\": false, \"status\": \"retired\"}},"
	    " \"groups\": {"
	    "  \"jg1\": {\"name\": \"联组\", \"kind\": \"joint_group\", \"status\": \"active\","
	    "   \"leader\": \"" ID_A "\", \"units\": \"ag1,ag2\", \"members\": \"" ID_B ","
	    "" ID_C "," ID_D "\", \"parent\": \"\", \"function\": \"\", \"policy\": \"division\","
	    "   \"rotation\": \"\", \"shares\": {\"ag1\": \"教育, 卫健\", \"ag2\": \"其他\"},"
	    "   \"year\": 2024, \"leaders\": {\"2024\": \"" ID_A "\"}},"
	    "  \"jg1-a\": {\"name\": \"审查调查组\", \"kind\": \"sub_group\", \"status\": "
	    "\"active\", \"leader\": \"\", \"units\": \"\", \"members\": \"" ID_C "\","
	    "   \"parent\": \"jg1\", \"function\": \"review_investigation\", \"policy\": \"\","
	    "   \"rotation\": \"\", \"shares\": {}, \"year\": 2024, \"leaders\": {}},"
	    "  \"old\": {\"name\": \"旧专班\", \"kind\": \"task_force\", \"status\": \"retired\","
	    "   \"leader\": \"" ID_A "\", \"units\": \"of1\", \"members\": \"\"}},"
	    " \"transfers\": [{\"id\": \"x\", \"date\": \"2024-01-02\", \"from\": \"ag1\", "
	    "\"to\": \"of1\", \"count\": 1, \"leadership_count\": 0, \"reason\": \"充实一线\"},"
	    "  {\"id\": \"y\", \"date\": \"2023-01-02\", \"from\": \"ag9\", \"to\": \"of1\", "
	    "\"count\": 1, \"leadership_count\": 0, \"reason\": \"x\"}]}",
	    0, &e);

	if (s == NULL)
		fprintf(stderr, "fixture: %s at %d\n", e.text, e.position);
	assert_non_null(s);
	return s;
}

static const char *name_of(const json_t *people, const char *id)
{
	return json_string_value(json_object_get(json_object_get(people, id), "name"));
}

static void test_export_round_trip(void **state)
{
	json_t *snap = county_to_export();
	json_t *empty = json_pack("{s:s, s:I, s:{}, s:{}, s:{}, s:[]}", "tenant", "510699", "rev",
				  (json_int_t)0, "units", "people", "groups", "transfers");
	json_t *files = jd_org_export(snap), *g;
	struct jd_import_text texts[JD_CSV_KINDS];
	struct jd_import imp;
	const char *id;
	json_t *p;

	(void)state;
	assert_non_null(files);
	assert_non_null(strstr(json_string_value(json_object_get(files, "units")),
			       "ag1,\"第一组, \"\"教育\"\"\",agency,县教育局;县卫健局,,5,2\r\n"));
	assert_null(strstr(json_string_value(json_object_get(files, "units")), "ag9"));
	assert_null(strstr(json_string_value(json_object_get(files, "people")), "退休者"));
	for (int k = 0; k < JD_CSV_KINDS; k++) {
		json_t *t = json_object_get(files, jd_csv_kinds[k].name);

		texts[k] = (struct jd_import_text){json_string_value(t), json_string_length(t)};
	}
	run(empty, texts[0].text, texts[1].text, texts[2].text, texts[3].text, &imp);
	dump_errors(&imp);
	assert_int_equal(imp.n_errors, 0);

	/* units: the active ones, equal; a link to a retired unit is left out */
	assert_int_equal(json_object_size(imp.units), 3);
	assert_true(json_equal(json_object_get(imp.units, "ag1"),
			       json_object_get(json_object_get(snap, "units"), "ag1")));
	assert_true(json_equal(json_object_get(imp.units, "ag2"),
			       json_object_get(json_object_get(snap, "units"), "ag2")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(imp.units, "of1"), "linked")), "ag1");
	/* people: the active ones, by name, never ties */
	assert_int_equal(json_object_size(imp.people), 3);
	json_object_foreach(imp.people, id, p)
	{
		assert_string_equal(json_string_value(json_object_get(p, "ties")), "");
		assert_string_equal(json_string_value(json_object_get(p, "former")), "");
	}
	/* groups: leader and members by name, the retired ones left out */
	assert_int_equal(json_object_size(imp.groups), 2);
	g = json_object_get(imp.groups, "jg1");
	assert_string_equal(name_of(imp.people, json_string_value(json_object_get(g, "leader"))),
			    "王建国");
	assert_string_equal(json_string_value(json_object_get(json_object_get(g, "shares"), "ag1")),
			    "教育, 卫健");
	assert_int_equal(strlen(json_string_value(json_object_get(g, "members"))), 2 * 32 + 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(imp.groups, "jg1-a"), "function")),
	    "review_investigation");
	/* transfers: those between exported units */
	assert_int_equal(json_array_size(imp.transfers), 1);
	jd_import_clear(&imp);
	json_decref(files);
	json_decref(empty);
	json_decref(snap);
}

static void test_export_same_names(void **state)
{
	json_t *snap = snapshot(), *files;
	const char *groups;

	(void)state;
	/* two active people named 张伟: the export names the one in a group by id */
	json_object_set_new(json_object_get(snap, "people"), ID_GONE,
			    json_pack("{s:s, s:s, s:s, s:s}", "name", "张伟", "post", "cadre",
				      "unit", "ag2", "status", "active"));
	json_object_set_new(json_object_get(json_object_get(snap, "groups"), "tf1"), "members",
			    json_string(ID_HEAD "," ID_LEADER2));
	files = jd_org_export(snap);
	assert_non_null(files);
	groups = json_string_value(json_object_get(files, "groups"));
	assert_non_null(strstr(groups, "tf1,第一专班,task_force,王建国,of1;ag1," ID_HEAD ";刘明,"));
	json_decref(files);
	json_decref(snap);
}

/* The same rules, checked a row at a time as the route does (every pass resumed mid-file). */
static void test_in_steps(void **state)
{
	step_budget = 1;
	test_unit_rules(state);
	test_people_and_posts_rules(state);
	test_group_rules(state);
	test_files(state);
	step_budget = 0;
}

/* A job dropped before it ends (the client left) frees all and leaves nothing in out. */
static void test_job_freed_midway(void **state)
{
	json_t *snap = snapshot();
	struct jd_import imp;
	const char *people = PEOPLE_HEADER "陈静,head,ag1,2021-03-01,false,SECRET\n"
					   "李四,cadre,ag1,2021-03-01,false,\n";
	struct jd_import_text files[JD_CSV_KINDS] = {{0}, {people, strlen(people)}, {0}, {0}};
	struct jd_import_job *j = jd_import_begin(snap, files, TODAY, counting_id, &imp);

	(void)state;
	assert_non_null(j);
	assert_int_equal(jd_import_step(j, 1), 1);
	jd_import_job_free(j);
	assert_null(imp.people);
	assert_null(imp.errors);
	json_decref(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv_lines),	      cmocka_unit_test(test_csv_put),
	    cmocka_unit_test(test_good_import),	      cmocka_unit_test(test_good_import_values),
	    cmocka_unit_test(test_clear_wipes_ties),  cmocka_unit_test(test_many_named_members),
	    cmocka_unit_test(test_in_steps),	      cmocka_unit_test(test_job_freed_midway),
	    cmocka_unit_test(test_unit_rules),	      cmocka_unit_test(test_people_and_posts_rules),
	    cmocka_unit_test(test_group_rules),	      cmocka_unit_test(test_files),
	    cmocka_unit_test(test_export_round_trip), cmocka_unit_test(test_export_same_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
