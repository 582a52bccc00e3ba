/*
 * Checking an organization import, the pure part (org_import.h): every row
 * of every file against the county's snapshot and the other rows, with the
 * rules of the one-by-one routes.  Groups go through jd_group_check itself,
 * on the snapshot with the import's units, people and groups added, so a
 * group row is judged exactly as "org groups add" would judge it.
 */
#include "org/org_import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "org/org_codes.h"
#include "org/org_date.h"
#include "org/org_group_model.h"
#include "org/org_snapshot.h"

#define NAME_MAX_LEN	128  /* names of units and people, as their routes */
#define LIST_MAX_LEN	2000 /* supervised, linked: as the units route */
#define LINKED_MAX	100
#define TIES_MAX	4000
#define REASON_MAX	500
#define POSTS_MAX	10000 /* approved posts of one unit, as the units route */
#define WHY_MAX		300
#define GROUP_UNITS_LEN (JD_GROUP_UNITS_MAX * (JD_GROUP_CODE_MAX + 1))

static const char *const unit_kinds[] = {"office", "agency", "township", "review_office",
					 "case_management_office"};
static const char *const post_names[] = {"leader", "head", "deputy", "cadre"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Columns, by their index in jd_csv_kinds. */
enum { U_CODE, U_NAME, U_KIND, U_SUPERVISED, U_LINKED, U_POSTS, U_LEADERSHIP };
enum { P_NAME, P_POST, P_UNIT, P_START, P_NEW_CADRE, P_TIES };
enum { T_DATE, T_FROM, T_TO, T_POSTS, T_LEADERSHIP, T_REASON };
enum {
	G_CODE,
	G_NAME,
	G_KIND,
	G_LEADER,
	G_UNITS,
	G_MEMBERS,
	G_PARENT,
	G_FUNCTION,
	G_POLICY,
	G_ROTATION,
	G_SHARES,
	G_YEAR
};

struct check {
	const json_t *snap;
	json_t *vsnap; /* snap with what this import adds: the later rows refer to it */
	json_t *units, *people, *groups; /* vsnap's, owned by it */
	json_t *names;			 /* people by name (jd_group_names_index), for the groups */
	const char *tenant;
	const char *today;
	long long this_year;
	void (*new_id)(char out[33]);
	struct jd_import *out;
	struct jd_csv csv[JD_CSV_KINDS];
	size_t map[JD_CSV_KINDS][JD_CSV_MAX_COLS];
	json_t *lines[JD_CSV_KINDS]; /* units, groups: code -> the line that adds it */
	int usable[JD_CSV_KINDS];    /* parsed, with the right header */
	int nomem;
};

/* ---- bad rows ------------------------------------------------------------------------------ */

static void bad(struct check *c, int kind, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void bad(struct check *c, int kind, size_t line, const char *fmt, ...)
{
	char why[WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	c->out->n_errors++;
	if (json_array_size(c->out->errors) >= JD_IMPORT_ERRORS_MAX)
		return;
	if (json_array_append_new(c->out->errors,
				  json_pack("{s:s, s:I, s:s}", "file", jd_csv_kinds[kind].file,
					    "line", (json_int_t)line, "error", why)) != 0)
		c->nomem = 1;
}

/* The row's value of column col (by the kind's column order). */
static const char *cell(const struct check *c, int kind, const struct jd_csv_row *row, int col)
{
	return row->fields[c->map[kind][col]];
}

/* ---- small checks ------------------------------------------------------------------------- */

static int one_of(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return 1;
	return 0;
}

/* A past or present date; else a bad row naming field, and 0. */
static int date_ok(struct check *c, int kind, size_t line, const char *field, const char *s)
{
	if (jd_org_date_score(s) == 0) {
		bad(c, kind, line, "field '%s' must be a date YYYY-MM-DD, not '%.16s'", field, s);
		return 0;
	}
	if (strcmp(s, c->today) > 0) {
		bad(c, kind, line, "field '%s': %s is in the future", field, s);
		return 0;
	}
	return 1;
}

/* "" (0) or a whole number 0..max; else -1. */
static long long count_of(const char *s, long long max)
{
	long long v = 0;

	if (strlen(s) > 9)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v <= max ? v : -1;
}

/* A count column; else a bad row and -1. */
static long long count_ok(struct check *c, int kind, size_t line, const char *field, const char *s,
			  long long max)
{
	long long v = count_of(s, max);

	if (v < 0)
		bad(c, kind, line, "field '%s' must be 0..%lld, not '%.16s'", field, max, s);
	return v;
}

static int longer_than(struct check *c, int kind, size_t line, const char *field, const char *s,
		       size_t max)
{
	if (strlen(s) <= max)
		return 0;
	bad(c, kind, line, "field '%s' is longer than %zu bytes", field, max);
	return 1;
}

/* A unit's or person's name as their routes take it; else a bad row, and 1. */
static int name_bad(struct check *c, int kind, size_t line, const char *name)
{
	if (*name == '\0') {
		bad(c, kind, line, "field 'name' must not be empty");
		return 1;
	}
	return longer_than(c, kind, line, "name", name, NAME_MAX_LEN);
}

/*
 * A ';'-separated list cell as the routes store it: ','-separated, each
 * entry trimmed.  NULL with a bad row when an entry is empty or holds a ','
 * (which the stored form cannot tell from a separator).
 */
static char *list_of(struct check *c, int kind, size_t line, const char *field, const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 1), *o = out;
	const char *p = s;

	if (out == NULL) {
		c->nomem = 1;
		return NULL;
	}
	*out = '\0';
	while (n > 0) {
		const char *end = strchr(p, ';'), *e;

		if (end == NULL)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		for (e = end; e > p && (e[-1] == ' ' || e[-1] == '\t');)
			e--;
		if (e == p || memchr(p, ',', (size_t)(e - p)) != NULL) {
			bad(c, kind, line,
			    e == p ? "field '%s' has an empty entry (entries are separated by ';')"
				   : "field '%s': an entry must not contain ',' (entries are "
				     "separated by ';')",
			    field);
			free(out);
			return NULL;
		}
		if (o != out)
			*o++ = ',';
		memcpy(o, p, (size_t)(e - p));
		o += e - p;
		*o = '\0';
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return out;
}

/* Sets key in obj to v (taken); notes running out of memory. */
static void put(struct check *c, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		c->nomem = 1;
}

/* ---- files and headers ---------------------------------------------------------------------- */

static void read_files(struct check *c, const struct jd_import_text files[JD_CSV_KINDS])
{
	for (int k = 0; k < JD_CSV_KINDS; k++) {
		struct jd_csv *csv = &c->csv[k];
		int kind, rc;

		if (files[k].text == NULL || files[k].len == 0)
			continue;
		rc = jd_csv_parse(files[k].text, files[k].len, csv);
		if (rc == -2)
			c->nomem = 1;
		if (rc == -1)
			bad(c, k, csv->err_line, "%s", csv->err);
		if (rc != 0)
			continue;
		if (csv->n == 0) {
			bad(c, k, 1, "no header row (%s starts with its columns' names)",
			    jd_csv_kinds[k].file);
			continue;
		}
		kind = jd_csv_kind_of(&csv->rows[0], c->map[k]);
		if (kind != k) {
			char cols[200] = "";

			for (size_t i = 0; i < jd_csv_kinds[k].n_cols; i++)
				snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols), "%s%s",
					 i ? "," : "", jd_csv_kinds[k].cols[i]);
			bad(c, k, csv->rows[0].line, "the header row must name the columns %s",
			    cols);
			continue;
		}
		c->usable[k] = 1;
		for (size_t i = 1; i < csv->n; i++)
			if (csv->rows[i].n != jd_csv_kinds[k].n_cols) {
				bad(c, k, csv->rows[i].line, "%zu fields; the header has %zu",
				    csv->rows[i].n, jd_csv_kinds[k].n_cols);
				csv->rows[i].skip = 1;
			}
	}
}

/* ---- units --------------------------------------------------------------------------------- */

/*
 * The first pass: codes, so that rows may name units of later rows.  A row
 * whose code is bad is marked and checked no further.
 */
static void claim_unit_code(struct check *c, struct jd_csv_row *row)
{
	const char *code = cell(c, JD_CSV_UNITS, row, U_CODE);
	json_t *u = json_object_get(c->units, code);

	if (!jd_org_code_ok(code))
		bad(c, JD_CSV_UNITS, row->line,
		    "field 'code' must be 1..32 of a-z 0-9 _ -, not '%.40s'", code);
	else if (u != NULL && json_object_get(c->lines[JD_CSV_UNITS], code) == NULL)
		bad(c, JD_CSV_UNITS, row->line,
		    "field 'code': unit '%s' exists already in tenant %s", code, c->tenant);
	else if (u != NULL)
		bad(c, JD_CSV_UNITS, row->line, "field 'code': unit '%s' is on line %lld too", code,
		    json_integer_value(json_object_get(c->lines[JD_CSV_UNITS], code)));
	else {
		put(c, c->lines[JD_CSV_UNITS], code, json_integer((json_int_t)row->line));
		put(c, c->units, code,
		    json_pack("{s:s, s:s, s:s}", "name", cell(c, JD_CSV_UNITS, row, U_NAME), "kind",
			      cell(c, JD_CSV_UNITS, row, U_KIND), "status", "active"));
		return;
	}
	row->skip = 1;
}

/* linked (stored form "a,b"): agencies and townships of the county or the import, active. */
static int linked_ok(struct check *c, size_t line, const char *linked)
{
	char *buf = strdup(linked);
	const char *seen[LINKED_MAX];
	size_t n = 0;
	int ok = 1;

	if (buf == NULL) {
		c->nomem = 1;
		return 0;
	}
	for (char *p = buf, *end = buf; ok && *buf != '\0' && end != NULL; p = end + 1) {
		const json_t *u;
		const char *kind;

		end = strchr(p, ',');
		if (end != NULL)
			*end = '\0';
		u = json_object_get(c->units, p);
		kind = jd_snap_str(u, "kind");
		ok = 0;
		if (!jd_org_code_ok(p))
			bad(c, JD_CSV_UNITS, line,
			    "field 'linked': '%.40s' is not a unit code ([a-z0-9_-]{1,32})", p);
		else if (n == LINKED_MAX)
			bad(c, JD_CSV_UNITS, line, "field 'linked': at most %d units", LINKED_MAX);
		else if (one_of(p, seen, n))
			bad(c, JD_CSV_UNITS, line, "field 'linked': unit '%s' is named twice", p);
		else if (u == NULL)
			bad(c, JD_CSV_UNITS, line, "field 'linked': no unit '%s' in tenant %s", p,
			    c->tenant);
		else if (strcmp(kind, "agency") != 0 && strcmp(kind, "township") != 0)
			bad(c, JD_CSV_UNITS, line,
			    "field 'linked': unit '%s' is of kind %s; an office links agencies and "
			    "townships",
			    p, kind);
		else if (!jd_org_active(u))
			bad(c, JD_CSV_UNITS, line, "field 'linked': unit '%s' is retired", p);
		else
			ok = 1;
		if (ok)
			seen[n++] = p;
	}
	free(buf);
	return ok;
}

/* The kind-dependent lists of a unit row, in their stored form; 0 with a bad row. */
static int unit_lists(struct check *c, const struct jd_csv_row *row, const char *kind,
		      char **supervised, char **linked)
{
	const char *sv = cell(c, JD_CSV_UNITS, row, U_SUPERVISED);
	const char *ln = cell(c, JD_CSV_UNITS, row, U_LINKED);

	if (*sv != '\0' && strcmp(kind, "agency") != 0) {
		bad(c, JD_CSV_UNITS, row->line,
		    "field 'supervised' is only for an agency (this unit is of kind %s)", kind);
		return 0;
	}
	if (*ln != '\0' && strcmp(kind, "office") != 0) {
		bad(c, JD_CSV_UNITS, row->line,
		    "field 'linked' is only for an office (this unit is of kind %s)", kind);
		return 0;
	}
	*supervised = list_of(c, JD_CSV_UNITS, row->line, "supervised", sv);
	if (*supervised == NULL)
		return 0;
	*linked = list_of(c, JD_CSV_UNITS, row->line, "linked", ln);
	if (*linked == NULL)
		return 0;
	if (longer_than(c, JD_CSV_UNITS, row->line, "supervised", *supervised, LIST_MAX_LEN) ||
	    longer_than(c, JD_CSV_UNITS, row->line, "linked", *linked, LIST_MAX_LEN))
		return 0;
	return linked_ok(c, row->line, *linked);
}

static void check_unit(struct check *c, struct jd_csv_row *row)
{
	const char *code = cell(c, JD_CSV_UNITS, row, U_CODE);
	const char *name = cell(c, JD_CSV_UNITS, row, U_NAME);
	const char *kind = cell(c, JD_CSV_UNITS, row, U_KIND);
	char *supervised = NULL, *linked = NULL;
	long long posts, leadership;
	json_t *u;

	if (name_bad(c, JD_CSV_UNITS, row->line, name))
		return;
	if (!one_of(kind, unit_kinds, N_OF(unit_kinds))) {
		bad(c, JD_CSV_UNITS, row->line,
		    "field 'kind': '%.32s' is not a kind (office, agency, township, "
		    "review_office, case_management_office)",
		    kind);
		return;
	}
	if (!unit_lists(c, row, kind, &supervised, &linked))
		goto cleanup;
	posts = count_ok(c, JD_CSV_UNITS, row->line, "posts", cell(c, JD_CSV_UNITS, row, U_POSTS),
			 POSTS_MAX);
	if (posts < 0)
		goto cleanup;
	leadership = count_ok(c, JD_CSV_UNITS, row->line, "leadership_posts",
			      cell(c, JD_CSV_UNITS, row, U_LEADERSHIP), POSTS_MAX);
	if (leadership < 0)
		goto cleanup;
	if (leadership > posts) {
		bad(c, JD_CSV_UNITS, row->line,
		    "field 'leadership_posts' must be 0..posts (%lld), not %lld", posts,
		    leadership);
		goto cleanup;
	}
	u = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name", name, "kind", kind, "status",
		      "active", "supervised", supervised, "linked", linked, "posts",
		      (json_int_t)posts, "leadership_posts", (json_int_t)leadership);
	if (u == NULL || json_object_set(c->units, code, u) != 0)
		c->nomem = 1;
	put(c, c->out->units, code, u);
cleanup:
	free(supervised);
	free(linked);
}

/* ---- people --------------------------------------------------------------------------------- */

/* The unit a row names: of the county or the import, active; else a bad row and 0. */
static int unit_ok(struct check *c, int kind, size_t line, const char *field, const char *code,
		   int retired_ok)
{
	const json_t *u = json_object_get(c->units, code);

	if (!jd_org_code_ok(code) || u == NULL) {
		bad(c, kind, line, "field '%s': no unit '%.40s' in tenant %s", field, code,
		    c->tenant);
		return 0;
	}
	if (!retired_ok && !jd_org_active(u)) {
		bad(c, kind, line, "field '%s': unit '%s' is %s", field, code,
		    jd_snap_str(u, "status"));
		return 0;
	}
	return 1;
}

static void check_person(struct check *c, struct jd_csv_row *row)
{
	const char *name = cell(c, JD_CSV_PEOPLE, row, P_NAME);
	const char *post = cell(c, JD_CSV_PEOPLE, row, P_POST);
	const char *unit = cell(c, JD_CSV_PEOPLE, row, P_UNIT);
	const char *start = cell(c, JD_CSV_PEOPLE, row, P_START);
	const char *nc = cell(c, JD_CSV_PEOPLE, row, P_NEW_CADRE);
	const char *ties = cell(c, JD_CSV_PEOPLE, row, P_TIES);
	char id[33];
	json_t *p, *mine;

	if (name_bad(c, JD_CSV_PEOPLE, row->line, name))
		return;
	if (!one_of(post, post_names, N_OF(post_names))) {
		bad(c, JD_CSV_PEOPLE, row->line,
		    "field 'post': '%.32s' is not a post (leader, head, deputy, cadre)", post);
		return;
	}
	if (!unit_ok(c, JD_CSV_PEOPLE, row->line, "unit", unit, 0) ||
	    !date_ok(c, JD_CSV_PEOPLE, row->line, "start", start))
		return;
	if (*nc != '\0' && strcmp(nc, "true") != 0 && strcmp(nc, "false") != 0) {
		bad(c, JD_CSV_PEOPLE, row->line,
		    "field 'new_cadre' must be true, false or empty, not '%.16s'", nc);
		return;
	}
	if (longer_than(c, JD_CSV_PEOPLE, row->line, "ties", ties, TIES_MAX))
		return;
	c->new_id(id);
	p = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "name", name, "post", post, "unit",
		      unit, "start", start, "new_cadre", strcmp(nc, "true") == 0, "status",
		      "active", "former", "");
	if (p == NULL || json_object_set_new(c->people, id, p) != 0) {
		c->nomem = 1;
		return;
	}
	mine = json_deep_copy(p); /* the import's copy carries the ties; the snapshot's never */
	if (mine != NULL && json_object_set_new(mine, "ties", json_string(ties)) != 0) {
		json_decref(mine);
		mine = NULL;
	}
	put(c, c->out->people, id, mine);
}

/* ---- post transfers ------------------------------------------------------------------------- */

/* As the transfers route checks one, less the approved posts: the units' columns are the state. */
static void check_transfer(struct check *c, struct jd_csv_row *row)
{
	const char *date = cell(c, JD_CSV_POSTS, row, T_DATE);
	const char *from = cell(c, JD_CSV_POSTS, row, T_FROM);
	const char *to = cell(c, JD_CSV_POSTS, row, T_TO);
	const char *posts_text = cell(c, JD_CSV_POSTS, row, T_POSTS);
	const char *lead_text = cell(c, JD_CSV_POSTS, row, T_LEADERSHIP);
	const char *reason = cell(c, JD_CSV_POSTS, row, T_REASON);
	long long posts = *posts_text ? count_of(posts_text, POSTS_MAX) : -1;
	long long leadership = count_of(lead_text, POSTS_MAX);
	char id[33];

	if (!date_ok(c, JD_CSV_POSTS, row->line, "date", date) ||
	    !unit_ok(c, JD_CSV_POSTS, row->line, "from", from, 0) ||
	    !unit_ok(c, JD_CSV_POSTS, row->line, "to", to, 0))
		return;
	if (strcmp(from, to) == 0) {
		bad(c, JD_CSV_POSTS, row->line, "field 'to': posts move from '%s' to itself", from);
		return;
	}
	if (posts < 1) {
		bad(c, JD_CSV_POSTS, row->line, "field 'posts' must be 1..%d, not '%.16s'",
		    POSTS_MAX, posts_text);
		return;
	}
	if (leadership < 0 || leadership > posts) {
		bad(c, JD_CSV_POSTS, row->line,
		    "field 'leadership_posts' must be 0..posts (%lld), not '%.16s'", posts,
		    lead_text);
		return;
	}
	if (longer_than(c, JD_CSV_POSTS, row->line, "reason", reason, REASON_MAX))
		return;
	c->new_id(id);
	if (json_array_append_new(c->out->transfers,
				  json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "id", id, "date",
					    date, "from", from, "to", to, "count",
					    (json_int_t)posts, "leadership_count",
					    (json_int_t)leadership, "reason", reason)) != 0)
		c->nomem = 1;
}

/* ---- groups --------------------------------------------------------------------------------- */

static void claim_group_code(struct check *c, struct jd_csv_row *row)
{
	json_t *lines = c->lines[JD_CSV_GROUPS];
	const char *code = cell(c, JD_CSV_GROUPS, row, G_CODE);

	if (!jd_org_code_ok(code))
		bad(c, JD_CSV_GROUPS, row->line,
		    "field 'code' must be 1..32 of a-z 0-9 _ -, not '%.40s'", code);
	else if (json_object_get(lines, code) != NULL)
		bad(c, JD_CSV_GROUPS, row->line, "field 'code': group '%s' is on line %lld too",
		    code, json_integer_value(json_object_get(lines, code)));
	else if (json_object_get(c->groups, code) != NULL)
		bad(c, JD_CSV_GROUPS, row->line,
		    "field 'code': group '%s' exists already in tenant %s", code, c->tenant);
	else {
		put(c, lines, code, json_integer((json_int_t)row->line));
		put(c, c->groups, code,
		    json_pack("{s:s, s:s, s:s, s:s}", "name", cell(c, JD_CSV_GROUPS, row, G_NAME),
			      "kind", cell(c, JD_CSV_GROUPS, row, G_KIND), "status", "active",
			      "parent", cell(c, JD_CSV_GROUPS, row, G_PARENT)));
		return;
	}
	row->skip = 1;
}

/* The group a row proposes, in jd_group_check's input shape; NULL with a bad row. */
static json_t *group_input(struct check *c, const struct jd_csv_row *row)
{
	static const struct {
		int col;
		const char *name;
	} lists[] = {{G_UNITS, "units"}, {G_MEMBERS, "members"}, {G_ROTATION, "rotation"}};
	const char *shares = cell(c, JD_CSV_GROUPS, row, G_SHARES);
	const char *year = cell(c, JD_CSV_GROUPS, row, G_YEAR);
	char why[WHY_MAX];
	json_t *in, *sh = NULL;
	long long y = count_of(year, 9999);

	if (y < 0) {
		bad(c, JD_CSV_GROUPS, row->line, "field 'year' must be a year, not '%.16s'", year);
		return NULL;
	}
	in = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "name", cell(c, JD_CSV_GROUPS, row, G_NAME),
	    "kind", cell(c, JD_CSV_GROUPS, row, G_KIND), "leader",
	    cell(c, JD_CSV_GROUPS, row, G_LEADER), "parent", cell(c, JD_CSV_GROUPS, row, G_PARENT),
	    "function", cell(c, JD_CSV_GROUPS, row, G_FUNCTION), "policy",
	    cell(c, JD_CSV_GROUPS, row, G_POLICY), "year", (json_int_t)y);
	if (in == NULL) {
		c->nomem = 1;
		return NULL;
	}
	for (size_t i = 0; i < N_OF(lists); i++) {
		char *v = list_of(c, JD_CSV_GROUPS, row->line, lists[i].name,
				  cell(c, JD_CSV_GROUPS, row, lists[i].col));

		if (v == NULL)
			goto fail;
		put(c, in, lists[i].name, json_string(v));
		free(v);
	}
	if (*shares != '\0') {
		int rc = jd_group_shares_parse(shares, &sh, why, sizeof(why));

		if (rc == JD_E_NOMEM)
			c->nomem = 1;
		if (rc != JD_OK) {
			if (rc != JD_E_NOMEM)
				bad(c, JD_CSV_GROUPS, row->line, "%s", why);
			goto fail;
		}
		put(c, in, "shares", sh);
	}
	return in;
fail:
	json_decref(in);
	return NULL;
}

/* The longest cells the groups route takes (its fields' max_len). */
static const struct {
	int col;
	const char *name;
	size_t max;
} group_limits[] = {
    {G_NAME, "name", NAME_MAX_LEN},
    {G_LEADER, "leader", NAME_MAX_LEN},
    {G_UNITS, "units", GROUP_UNITS_LEN},
    {G_MEMBERS, "members", 8000},
    {G_PARENT, "parent", JD_GROUP_CODE_MAX},
    {G_FUNCTION, "function", 32},
    {G_POLICY, "policy", 16},
    {G_ROTATION, "rotation", GROUP_UNITS_LEN},
    {G_SHARES, "shares", 8000},
};

static void check_group(struct check *c, struct jd_csv_row *row)
{
	const char *code = cell(c, JD_CSV_GROUPS, row, G_CODE);
	json_t *in, *g = NULL;
	char why[WHY_MAX];
	int rc;

	for (size_t i = 0; i < N_OF(group_limits); i++)
		if (longer_than(c, JD_CSV_GROUPS, row->line, group_limits[i].name,
				cell(c, JD_CSV_GROUPS, row, group_limits[i].col),
				group_limits[i].max))
			return;
	in = group_input(c, row);
	if (in == NULL)
		return;
	rc = jd_group_check_indexed(c->vsnap, c->names, code, in, NULL, c->this_year, &g, why,
				    sizeof(why));
	json_decref(in);
	if (rc == JD_E_INVALID)
		bad(c, JD_CSV_GROUPS, row->line, "%s", why);
	else if (rc != JD_OK)
		c->nomem = 1;
	else
		put(c, c->out->groups, code, g);
}

/* ---- the whole check, in steps ----------------------------------------------------------- */

/* snap's units, people and groups, copied so that the import can add to them. */
static json_t *extended(struct check *c)
{
	static const char *const parts[] = {"units", "people", "groups"};
	json_t *v = json_copy((json_t *)c->snap);
	json_t **mine[] = {&c->units, &c->people, &c->groups};

	for (size_t i = 0; v != NULL && i < N_OF(parts); i++) {
		json_t *part = json_object_get(c->snap, parts[i]);

		*mine[i] = json_is_object(part) ? json_copy(part) : json_object();
		if (json_object_set_new(v, parts[i], *mine[i]) != 0) {
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

static int setup(struct check *c, const json_t *snap, const char *today, struct jd_import *out)
{
	memset(out, 0, sizeof(*out));
	c->snap = snap;
	c->out = out;
	c->today = today;
	c->this_year = atoll(today);
	c->tenant = jd_snap_str(snap, "tenant");
	out->errors = json_array();
	out->units = json_object();
	out->people = json_object();
	out->transfers = json_array();
	out->groups = json_object();
	c->lines[JD_CSV_UNITS] = json_object();
	c->lines[JD_CSV_GROUPS] = json_object();
	c->vsnap = extended(c);
	if (out->errors == NULL || out->units == NULL || out->people == NULL ||
	    out->transfers == NULL || out->groups == NULL || c->lines[JD_CSV_UNITS] == NULL ||
	    c->lines[JD_CSV_GROUPS] == NULL || c->vsnap == NULL)
		return JD_E_NOMEM;
	return JD_OK;
}

/* every person the group rows may name is known by now: index them once */
static void index_names(struct check *c)
{
	if (c->usable[JD_CSV_GROUPS] && !c->nomem &&
	    (c->names = jd_group_names_index(c->people)) == NULL)
		c->nomem = 1;
}

/*
 * The passes, in order: one over each file's rows (past the header; rows
 * an earlier pass marked are left), or one call (rows NULL).  Later rows
 * may name what earlier passes added, so the order is the check's meaning.
 */
static const struct pass {
	int kind;
	void (*row)(struct check *c, struct jd_csv_row *row);
	void (*once)(struct check *c);
} passes[] = {
    {JD_CSV_UNITS, claim_unit_code, NULL},   {JD_CSV_UNITS, check_unit, NULL},
    {JD_CSV_PEOPLE, check_person, NULL},     {JD_CSV_POSTS, check_transfer, NULL},
    {JD_CSV_GROUPS, claim_group_code, NULL}, {-1, NULL, index_names},
    {JD_CSV_GROUPS, check_group, NULL},
};

struct jd_import_job {
	struct check c;
	const struct jd_import_text *files;
	int parsed;   /* files read so far */
	size_t pass;  /* the pass under way */
	size_t row;   /* its next row */
	int finished; /* the outcome is in out */
};

/* Frees what the check holds besides out. */
static void check_free(struct check *c)
{
	for (int k = 0; k < JD_CSV_KINDS; k++) {
		jd_csv_free(&c->csv[k]);
		json_decref(c->lines[k]);
		c->lines[k] = NULL;
	}
	json_decref(c->names);
	json_decref(c->vsnap);
	c->names = c->vsnap = NULL;
}

/* The outcome into out: a bad import keeps only its errors, a failed one nothing. */
static int finish(struct jd_import_job *j)
{
	struct jd_import *out = j->c.out;
	int rc = j->c.nomem ? JD_E_NOMEM : JD_OK;

	if (rc == JD_OK && out->n_errors > 0) { /* nothing of a bad import is kept */
		json_t *errors = out->errors;
		size_t n = out->n_errors;

		out->errors = NULL;
		jd_import_clear(out);
		out->errors = errors;
		out->n_errors = n;
	}
	if (rc != JD_OK)
		jd_import_clear(out);
	check_free(&j->c);
	j->finished = 1;
	return rc;
}

struct jd_import_job *jd_import_begin(const json_t *snap,
				      const struct jd_import_text files[JD_CSV_KINDS],
				      const char *today, void (*new_id)(char out[33]),
				      struct jd_import *out)
{
	struct jd_import_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->c.new_id = new_id;
	j->files = files;
	if (setup(&j->c, snap, today, out) != JD_OK) {
		jd_import_clear(out);
		check_free(&j->c);
		free(j);
		return NULL;
	}
	return j;
}

/* One file read and its header checked: its length counts against the budget. */
static size_t parse_one(struct jd_import_job *j)
{
	struct jd_import_text one[JD_CSV_KINDS] = {{0}};
	int k = j->parsed++;

	one[k] = j->files[k];
	read_files(&j->c, one);
	return j->files[k].len / 100 + 1; /* about a row's worth of bytes */
}

int jd_import_step(struct jd_import_job *j, size_t budget)
{
	struct check *c = &j->c;
	size_t done = 0;

	if (j->finished)
		return JD_OK;
	while (done < budget && j->parsed < JD_CSV_KINDS)
		done += parse_one(j);
	while (done < budget && j->pass < N_OF(passes) && !c->nomem) {
		const struct pass *p = &passes[j->pass];
		struct jd_csv *csv = p->kind >= 0 ? &c->csv[p->kind] : NULL;

		if (p->once != NULL) {
			p->once(c);
			done++;
		} else if (c->usable[p->kind] && j->row < csv->n) {
			if (j->row == 0)
				j->row = 1; /* the header */
			for (; j->row < csv->n && done < budget && !c->nomem; j->row++, done++)
				if (!csv->rows[j->row].skip)
					p->row(c, &csv->rows[j->row]);
			if (j->row < csv->n)
				break;
		}
		j->pass++;
		j->row = 0;
	}
	if (j->parsed < JD_CSV_KINDS || (j->pass < N_OF(passes) && !c->nomem))
		return 1;
	return finish(j);
}

void jd_import_job_free(struct jd_import_job *j)
{
	if (j == NULL)
		return;
	if (!j->finished) {
		jd_import_clear(j->c.out);
		check_free(&j->c);
	}
	free(j);
}

int jd_import_check(const json_t *snap, const struct jd_import_text files[JD_CSV_KINDS],
		    const char *today, void (*new_id)(char out[33]), struct jd_import *out)
{
	struct jd_import_job *j = jd_import_begin(snap, files, today, new_id, out);
	int rc;

	if (j == NULL)
		return JD_E_NOMEM;
	while ((rc = jd_import_step(j, SIZE_MAX)) == 1)
		;
	jd_import_job_free(j);
	return rc;
}

/*
 * The declared ties the import holds in the clear, wiped before they are
 * freed: on a good import after they are sealed, on a bad one as soon as
 * the check is done.
 */
static void wipe_ties(json_t *people)
{
	const char *id;
	json_t *p;

	json_object_foreach(people, id, p)
	{
		json_t *t = json_object_get(p, "ties");

		if (json_is_string(t))
			sodium_memzero((char *)json_string_value(t), json_string_length(t));
	}
}

void jd_import_clear(struct jd_import *imp)
{
	wipe_ties(imp->people); /* NULL: nothing */
	json_decref(imp->errors);
	json_decref(imp->units);
	json_decref(imp->people);
	json_decref(imp->transfers);
	json_decref(imp->groups);
	memset(imp, 0, sizeof(*imp));
}
