/*
 * The org report's figures (org_report.h), pure: from county snapshots to
 * one JSON object.  The route that gathers the snapshots is in
 * org_report_route.c.
 */
#include "org/org_report.h"

#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "org/org_codes.h"
#include "org/org_snapshot.h"
#include "org/org_staffing.h"

static const char *const mode_names[] = {"task_force", "area", "joint_group"};
static const char *const group_kinds[] = {"task_force",	 "case_centre", "area",
					  "joint_group", "matter",	"sub_group"};

#define N_MODES	      (sizeof(mode_names) / sizeof(mode_names[0]))
#define N_GROUP_KINDS (sizeof(group_kinds) / sizeof(group_kinds[0]))

/* ---- small helpers ------------------------------------------------------------------ */

/* Entries of a comma-separated list ("" is none). */
static long long csv_count(const char *csv)
{
	long long n = 0;

	if (*csv == '\0')
		return 0;
	for (const char *p = csv; *p; p++)
		n += *p == ',';
	return n + 1;
}

/* obj[name] += by (an integer member; absent reads as 0). */
static int add_int(json_t *obj, const char *name, long long by)
{
	return json_object_set_new(obj, name, json_integer(jd_snap_int(obj, name) + by));
}

/* A copy of src[name], or null when absent (a percentage that may be null). */
static json_t *copy_member(const json_t *src, const char *name)
{
	json_t *v = json_object_get(src, name);

	return v ? json_deep_copy(v) : json_null();
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- one county ------------------------------------------------------------------------ */

static json_t *group_row(const char *code, const json_t *g, const json_t *people)
{
	const char *leader = jd_snap_str(g, "leader");
	const json_t *p = *leader ? json_object_get(people, leader) : NULL;

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "code", code, "name",
			 jd_snap_str(g, "name"), "kind", jd_snap_str(g, "kind"), "parent",
			 jd_snap_str(g, "parent"), "function", jd_snap_str(g, "function"), "policy",
			 jd_snap_str(g, "policy"), "leader", leader, "leader_name",
			 jd_snap_str(p, "name"), "units",
			 (json_int_t)csv_count(jd_snap_str(g, "units")), "members",
			 (json_int_t)csv_count(jd_snap_str(g, "members")));
}

/* The county's active groups, by code, each with its leader's name. */
static json_t *groups_of(const json_t *snap)
{
	const json_t *groups = json_object_get(snap, "groups");
	const json_t *people = json_object_get(snap, "people");
	size_t n = 0, cap = json_object_size(groups);
	const char **codes = calloc(cap ? cap : 1, sizeof(*codes));
	json_t *out = json_array();
	const char *code;
	json_t *g;

	if (codes == NULL || out == NULL)
		goto fail;
	json_object_foreach((json_t *)groups, code,
			    g) if (json_is_object(g) && strcmp(jd_snap_str(g, "status"),
							       "retired") != 0) codes[n++] = code;
	qsort(codes, n, sizeof(*codes), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(
			out, group_row(codes[i], json_object_get(groups, codes[i]), people)) != 0)
			goto fail;
	free(codes);
	return out;
fail:
	free(codes);
	json_decref(out);
	return NULL;
}

/* The staffing figures the report keeps (org_staffing.h names them). */
static int put_staffing(json_t *out, const json_t *st)
{
	const json_t *tr = json_object_get(st, "transfers");
	const json_t *breaches = json_object_get(st, "breaches");

	return json_object_set_new(out, "posts", json_integer(jd_snap_int(st, "posts"))) ||
	       json_object_set_new(out, "filled", json_integer(jd_snap_int(st, "filled"))) ||
	       json_object_set_new(out, "rate", copy_member(st, "rate")) ||
	       json_object_set_new(out, "agency_posts",
				   json_integer(jd_snap_int(st, "agency_posts"))) ||
	       json_object_set_new(out, "agency_filled",
				   json_integer(jd_snap_int(st, "agency_filled"))) ||
	       json_object_set_new(out, "transfers", json_integer(jd_snap_int(tr, "count"))) ||
	       json_object_set_new(out, "posts_moved",
				   json_integer(jd_snap_int(tr, "posts_moved"))) ||
	       json_object_set_new(out, "leadership_moved",
				   json_integer(jd_snap_int(tr, "leadership_moved"))) ||
	       json_object_set_new(out, "moved_share", copy_member(tr, "share")) ||
	       json_object_set_new(out, "breaches",
				   json_is_array(breaches) ? json_deep_copy(breaches)
							   : json_array());
}

json_t *jd_org_report_county(const char *code, const json_t *record, const json_t *snap)
{
	const json_t *c = record ? record : json_object_get(snap, "county");
	json_t *st = jd_org_staffing(snap);
	json_t *out = NULL;

	if (st == NULL)
		return NULL;
	out = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "tenant", code, "name",
			jd_snap_str(c, "name"), "parent", jd_snap_str(c, "parent"), "centralized",
			jd_snap_bool(c, "centralized"), "centralized_since",
			jd_snap_str(c, "centralized_since"), "modes", jd_snap_str(c, "modes"));
	if (out == NULL || put_staffing(out, st) != 0 ||
	    json_object_set_new(out, "groups", groups_of(snap)) != 0) {
		json_decref(out);
		out = NULL;
	}
	json_decref(st);
	return out;
}

/* ---- the roll-up --------------------------------------------------------------------------- */

/* The report's sections, filled county by county, then finished. */
struct sections {
	json_t *counties, *list, *modes, *staffing, *breaches, *blist, *transfers, *groups,
	    *by_kind, *glist;
};

static void sections_free(struct sections *s)
{
	json_decref(s->counties);
	json_decref(s->list);
	json_decref(s->modes);
	json_decref(s->staffing);
	json_decref(s->breaches);
	json_decref(s->blist);
	json_decref(s->transfers);
	json_decref(s->groups);
	json_decref(s->by_kind);
	json_decref(s->glist);
}

static int sections_init(struct sections *s)
{
	memset(s, 0, sizeof(*s));
	s->counties = json_pack("{s:i, s:i}", "total", 0, "centralized", 0);
	s->list = json_array();
	s->modes = json_object();
	s->staffing = json_pack("{s:i, s:i, s:i, s:i}", "posts", 0, "filled", 0, "agency_posts", 0,
				"agency_filled", 0);
	s->breaches = json_pack("{s:i}", "count", 0);
	s->blist = json_array();
	s->transfers =
	    json_pack("{s:i, s:i, s:i}", "count", 0, "posts_moved", 0, "leadership_moved", 0);
	s->groups = json_pack("{s:i}", "total", 0);
	s->by_kind = json_object();
	s->glist = json_array();
	if (!s->counties || !s->list || !s->modes || !s->staffing || !s->breaches || !s->blist ||
	    !s->transfers || !s->groups || !s->by_kind || !s->glist)
		return -1;
	for (size_t i = 0; i < N_MODES; i++)
		if (json_object_set_new(s->modes, mode_names[i], json_integer(0)) != 0)
			return -1;
	for (size_t i = 0; i < N_GROUP_KINDS; i++)
		if (json_object_set_new(s->by_kind, group_kinds[i], json_integer(0)) != 0)
			return -1;
	return 0;
}

/* The county's row in counties.list: its figures less the lists. */
static int add_county_row(struct sections *s, const json_t *f)
{
	json_t *row =
	    json_pack("{s:s, s:s, s:b, s:s, s:s, s:I, s:I, s:O?, s:I, s:I, s:I, s:O?, s:I}",
		      "tenant", jd_snap_str(f, "tenant"), "name", jd_snap_str(f, "name"),
		      "centralized", jd_snap_bool(f, "centralized"), "centralized_since",
		      jd_snap_str(f, "centralized_since"), "modes", jd_snap_str(f, "modes"),
		      "posts", (json_int_t)jd_snap_int(f, "posts"), "filled",
		      (json_int_t)jd_snap_int(f, "filled"), "rate", json_object_get(f, "rate"),
		      "breaches", (json_int_t)json_array_size(json_object_get(f, "breaches")),
		      "posts_moved", (json_int_t)jd_snap_int(f, "posts_moved"), "leadership_moved",
		      (json_int_t)jd_snap_int(f, "leadership_moved"), "moved_share",
		      json_object_get(f, "moved_share"), "groups",
		      (json_int_t)json_array_size(json_object_get(f, "groups")));

	return json_array_append_new(s->list, row);
}

static int add_modes(struct sections *s, const json_t *f)
{
	const char *modes = jd_snap_str(f, "modes");

	for (size_t i = 0; i < N_MODES; i++)
		if (jd_csv_has(modes, mode_names[i], strlen(mode_names[i])) &&
		    add_int(s->modes, mode_names[i], 1) != 0)
			return -1;
	return 0;
}

static int add_figures(struct sections *s, const json_t *f)
{
	return add_int(s->counties, "total", 1) ||
	       add_int(s->counties, "centralized", jd_snap_bool(f, "centralized")) ||
	       add_int(s->staffing, "posts", jd_snap_int(f, "posts")) ||
	       add_int(s->staffing, "filled", jd_snap_int(f, "filled")) ||
	       add_int(s->staffing, "agency_posts", jd_snap_int(f, "agency_posts")) ||
	       add_int(s->staffing, "agency_filled", jd_snap_int(f, "agency_filled")) ||
	       add_int(s->transfers, "count", jd_snap_int(f, "transfers")) ||
	       add_int(s->transfers, "posts_moved", jd_snap_int(f, "posts_moved")) ||
	       add_int(s->transfers, "leadership_moved", jd_snap_int(f, "leadership_moved"));
}

/* Each breach of the county, named with the county. */
static int add_breaches(struct sections *s, const json_t *f)
{
	const json_t *list = json_object_get(f, "breaches");

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *b = json_array_get(list, i);
		json_t *row = json_pack(
		    "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "tenant", jd_snap_str(f, "tenant"),
		    "county", jd_snap_str(f, "name"), "unit", jd_snap_str(b, "unit"), "name",
		    jd_snap_str(b, "name"), "head", (json_int_t)jd_snap_int(b, "head"), "deputy",
		    (json_int_t)jd_snap_int(b, "deputy"), "cadre",
		    (json_int_t)jd_snap_int(b, "cadre"), "missing", jd_snap_str(b, "missing"));

		if (json_array_append_new(s->blist, row) != 0)
			return -1;
	}
	return add_int(s->breaches, "count", (long long)json_array_size(list));
}

/* Counts per kind (a kind not known here is counted under its own name); the list if wanted. */
static int add_groups(struct sections *s, const json_t *f, int listed)
{
	const json_t *list = json_object_get(f, "groups");

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *g = json_array_get(list, i);
		json_t *row;

		if (add_int(s->by_kind, jd_snap_str(g, "kind"), 1) != 0 ||
		    add_int(s->groups, "total", 1) != 0)
			return -1;
		if (!listed)
			continue;
		row = json_pack("{s:s}", "tenant", jd_snap_str(f, "tenant"));
		if (row == NULL || json_object_update(row, (json_t *)g) != 0 ||
		    json_array_append_new(s->glist, row) != 0)
			return -1;
	}
	return 0;
}

/* The shares, once every county is in. */
static int finish_sections(struct sections *s, int county)
{
	long long moved = jd_snap_int(s->transfers, "posts_moved");

	if (json_object_set_new(s->counties, "share",
				jd_org_percent(jd_snap_int(s->counties, "centralized"),
					       jd_snap_int(s->counties, "total"))) != 0 ||
	    json_object_set(s->counties, "list", s->list) != 0 ||
	    json_object_set_new(s->staffing, "rate",
				jd_org_percent(jd_snap_int(s->staffing, "filled"),
					       jd_snap_int(s->staffing, "posts"))) != 0 ||
	    json_object_set_new(s->staffing, "agency_rate",
				jd_org_percent(jd_snap_int(s->staffing, "agency_filled"),
					       jd_snap_int(s->staffing, "agency_posts"))) != 0 ||
	    json_object_set(s->breaches, "list", s->blist) != 0 ||
	    /* moved out of agencies, of the agency posts there were: the document's 13% */
	    json_object_set_new(
		s->transfers, "share",
		jd_org_percent(moved, jd_snap_int(s->staffing, "agency_posts") + moved)) != 0 ||
	    json_object_set(s->groups, "by_kind", s->by_kind) != 0)
		return -1;
	if (county && json_object_set(s->groups, "list", s->glist) != 0)
		return -1;
	return 0;
}

json_t *jd_org_report_build(const json_t *scope, const json_t *figures)
{
	int county = strcmp(jd_snap_str(scope, "level"), "county") == 0;
	struct sections s;
	json_t *out = NULL;

	if (sections_init(&s) != 0)
		goto cleanup;
	for (size_t i = 0; i < json_array_size(figures); i++) {
		const json_t *f = json_array_get(figures, i);

		if (add_figures(&s, f) != 0 || add_modes(&s, f) != 0 ||
		    add_county_row(&s, f) != 0 || add_breaches(&s, f) != 0 ||
		    add_groups(&s, f, county) != 0)
			goto cleanup;
	}
	if (finish_sections(&s, county) != 0)
		goto cleanup;
	out = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:O}", "tenant",
			jd_snap_str(scope, "code"), "name", jd_snap_str(scope, "name"), "level",
			jd_snap_str(scope, "level"), "counties", s.counties, "modes", s.modes,
			"staffing", s.staffing, "breaches", s.breaches, "transfers", s.transfers,
			"groups", s.groups);
cleanup:
	sections_free(&s);
	return out;
}

json_t *jd_org_report(const json_t *scope, const struct jd_org_report_input *in, size_t n)
{
	json_t *figures = json_array(), *out = NULL;

	if (figures == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(
			figures, jd_org_report_county(in[i].code, in[i].record, in[i].snap)) != 0)
			goto cleanup;
	out = jd_org_report_build(scope, figures);
cleanup:
	json_decref(figures);
	return out;
}
