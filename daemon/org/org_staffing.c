/*
 * Staffing (编制) figures of one county, from its snapshot: approved posts
 * against active people, the Tianjin rule for every active agency, and
 * the share of agency posts moved to the commission's front line.  Pure:
 * the routes are in org_staffing_routes.c.
 */
#include "org/org_staffing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "org/org_codes.h"
#include "org/org_snapshot.h"

/* The Tianjin rule (1正+1副+2干部): what every active agency has at least. */
#define RULE_HEADS    1
#define RULE_DEPUTIES 1
#define RULE_CADRES   2

/* What one unit has: active people by post. */
struct unit_count {
	long long filled, leadership, head, deputy, cadre;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_agency(const json_t *u)
{
	return u != NULL && strcmp(jd_snap_str(u, "kind"), "agency") == 0;
}

/* The units' codes, sorted; *n their number.  NULL on failure (or none: *n 0). */
static const char **sorted_codes(const json_t *units, size_t *n)
{
	const char **codes = calloc(json_object_size(units) + 1, sizeof(*codes));
	const char *code;
	json_t *u;

	*n = 0;
	if (codes == NULL)
		return NULL;
	json_object_foreach((json_t *)units, code, u) codes[(*n)++] = code;
	qsort(codes, *n, sizeof(*codes), cmp_str);
	return codes;
}

/* Counts every active person in the unit they belong to (index in codes). */
static void count_people(const json_t *people, const char **codes, size_t n,
			 struct unit_count *counts)
{
	const char *id;
	json_t *p;

	json_object_foreach((json_t *)people, id, p)
	{
		const char *unit = jd_snap_str(p, "unit"), *post = jd_snap_str(p, "post");
		const char **hit;
		struct unit_count *c;

		if (!jd_org_active(p))
			continue;
		hit = bsearch(&unit, codes, n, sizeof(*codes), cmp_str);
		if (hit == NULL)
			continue;
		c = &counts[hit - codes];
		c->filled++;
		if (strcmp(post, "head") == 0)
			c->head++;
		else if (strcmp(post, "deputy") == 0)
			c->deputy++;
		else if (strcmp(post, "cadre") == 0)
			c->cadre++;
		if (strcmp(post, "cadre") != 0) /* leader, head, deputy: leadership posts */
			c->leadership++;
	}
}

/* Appends ", 1 head" (or "2 cadres") to buf when have < need. */
static void add_missing(char *buf, size_t len, long long have, long long need, const char *one,
			const char *many)
{
	size_t used = strlen(buf);

	if (have >= need)
		return;
	snprintf(buf + used, len - used, "%s%lld %s", used ? ", " : "", need - have,
		 need - have == 1 ? one : many);
}

/* The agency's breach of the rule, or NULL (no breach, or *fail set on failure). */
static json_t *breach_of(const char *code, const json_t *u, const struct unit_count *c, int *fail)
{
	char missing[128] = "";
	json_t *b;

	add_missing(missing, sizeof(missing), c->head, RULE_HEADS, "head", "heads");
	add_missing(missing, sizeof(missing), c->deputy, RULE_DEPUTIES, "deputy", "deputies");
	add_missing(missing, sizeof(missing), c->cadre, RULE_CADRES, "cadre", "cadres");
	if (missing[0] == '\0')
		return NULL;
	b = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "unit", code, "name",
		      jd_snap_str(u, "name"), "head", (json_int_t)c->head, "deputy",
		      (json_int_t)c->deputy, "cadre", (json_int_t)c->cadre, "missing", missing);
	if (b == NULL)
		*fail = 1;
	return b;
}

static json_t *unit_row(const char *code, const json_t *u, const struct unit_count *c)
{
	long long posts = jd_snap_int(u, "posts");

	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "code", code, "name",
			 jd_snap_str(u, "name"), "kind", jd_snap_str(u, "kind"), "posts",
			 (json_int_t)posts, "leadership_posts",
			 (json_int_t)jd_snap_int(u, "leadership_posts"), "filled",
			 (json_int_t)c->filled, "leadership_filled", (json_int_t)c->leadership,
			 "rate", jd_org_percent(c->filled, posts));
}

/* Posts a transfer takes out of agencies: + from an agency to another kind, - back. */
static long long agency_outflow(const json_t *units, const json_t *t, long long n)
{
	int from = is_agency(json_object_get(units, jd_snap_str(t, "from")));
	int to = is_agency(json_object_get(units, jd_snap_str(t, "to")));

	return from == to ? 0 : from ? n : -n;
}

static json_t *transfers_of(const json_t *snap, long long agency_posts)
{
	const json_t *units = json_object_get(snap, "units");
	const json_t *list = json_object_get(snap, "transfers");
	long long posts = 0, leadership = 0;

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *t = json_array_get(list, i);

		posts += agency_outflow(units, t, jd_snap_int(t, "count"));
		leadership += agency_outflow(units, t, jd_snap_int(t, "leadership_count"));
	}
	return json_pack("{s:I, s:I, s:I, s:o}", "count", (json_int_t)json_array_size(list),
			 "posts_moved", (json_int_t)posts, "leadership_moved",
			 (json_int_t)leadership, "share",
			 jd_org_percent(posts, agency_posts + posts));
}

/* Totals over active units; agencies apart. */
struct totals {
	long long posts, filled, agencies, agency_posts, agency_filled;
};

/* The rows, breaches and totals of the active units. */
static int walk_units(const json_t *units, const char **codes, size_t n,
		      const struct unit_count *counts, json_t *rows, json_t *breaches,
		      struct totals *t)
{
	int fail = 0;

	for (size_t i = 0; i < n && !fail; i++) {
		const json_t *u = json_object_get(units, codes[i]);
		json_t *b;

		if (!jd_org_active(u))
			continue;
		t->posts += jd_snap_int(u, "posts");
		t->filled += counts[i].filled;
		if (json_array_append_new(rows, unit_row(codes[i], u, &counts[i])) != 0)
			return JD_E_NOMEM;
		if (!is_agency(u))
			continue;
		t->agencies++;
		t->agency_posts += jd_snap_int(u, "posts");
		t->agency_filled += counts[i].filled;
		b = breach_of(codes[i], u, &counts[i], &fail);
		if (b != NULL && json_array_append_new(breaches, b) != 0)
			return JD_E_NOMEM;
	}
	return fail ? JD_E_NOMEM : JD_OK;
}

json_t *jd_org_staffing(const json_t *snap)
{
	const json_t *units = json_object_get(snap, "units");
	struct unit_count *counts = NULL;
	struct totals t = {0};
	json_t *rows = json_array(), *breaches = json_array(), *out = NULL;
	const char **codes;
	size_t n = 0;

	codes = sorted_codes(units, &n);
	counts = calloc(n + 1, sizeof(*counts));
	if (codes == NULL || counts == NULL || rows == NULL || breaches == NULL)
		goto cleanup;
	count_people(json_object_get(snap, "people"), codes, n, counts);
	if (walk_units(units, codes, n, counts, rows, breaches, &t) != JD_OK)
		goto cleanup;
	out = json_pack("{s:O, s:I, s:I, s:o, s:I, s:I, s:I, s:o, s:O, s:o*}", "units", rows,
			"posts", (json_int_t)t.posts, "filled", (json_int_t)t.filled, "rate",
			jd_org_percent(t.filled, t.posts), "agencies", (json_int_t)t.agencies,
			"agency_posts", (json_int_t)t.agency_posts, "agency_filled",
			(json_int_t)t.agency_filled, "agency_rate",
			jd_org_percent(t.agency_filled, t.agency_posts), "breaches", breaches,
			"transfers", transfers_of(snap, t.agency_posts));
	if (out != NULL && json_object_get(out, "transfers") == NULL) {
		json_decref(out);
		out = NULL;
	}
cleanup:
	free(codes);
	free(counts);
	json_decref(rows);
	json_decref(breaches);
	return out;
}
