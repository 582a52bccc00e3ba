/*
 * jianductl org report: the report (daemon/org/org_report.h) for a human and
 * as CSV.  Both walk the same column lists, so a figure shows the same
 * way in either; widths come from output.c (CJK names count 2 columns).
 */
#include "org_report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/org_csv.h"
#include "output.h"

enum fmt {
	F_STR,
	F_INT,
	F_PCT,
	F_BOOL,
	F_TERM /* a code, its Chinese beside for a human */,
	F_ID /* CSV only: an id a human does not read */
};

/* One column: its human header, its member (a path "a.b" from the row), the CSV header. */
struct col {
	const char *head, *key;
	enum fmt fmt;
	const char *csv; /* NULL: the key */
};

static const struct col summary_cols[] = {
    {NULL, "tenant", F_STR, NULL},
    {NULL, "name", F_STR, NULL},
    {NULL, "level", F_STR, NULL},
    {NULL, "counties.total", F_INT, "counties"},
    {NULL, "counties.centralized", F_INT, "centralized"},
    {NULL, "counties.share", F_PCT, "centralized_share"},
    {NULL, "modes.task_force", F_INT, "task_force"},
    {NULL, "modes.area", F_INT, "area"},
    {NULL, "modes.joint_group", F_INT, "joint_group"},
    {NULL, "staffing.posts", F_INT, "posts"},
    {NULL, "staffing.filled", F_INT, "filled"},
    {NULL, "staffing.rate", F_PCT, "rate"},
    {NULL, "staffing.agency_posts", F_INT, "agency_posts"},
    {NULL, "staffing.agency_filled", F_INT, "agency_filled"},
    {NULL, "staffing.agency_rate", F_PCT, "agency_rate"},
    {NULL, "breaches.count", F_INT, "breaches"},
    {NULL, "transfers.count", F_INT, "transfers"},
    {NULL, "transfers.posts_moved", F_INT, "posts_moved"},
    {NULL, "transfers.leadership_moved", F_INT, "leadership_moved"},
    {NULL, "transfers.share", F_PCT, "moved_share"},
    {NULL, "groups.total", F_INT, "groups"},
};

static const struct col county_cols[] = {
    {"county", "tenant", F_STR, NULL},
    {"name", "name", F_STR, NULL},
    {"centralized", "centralized", F_BOOL, NULL},
    {"since", "centralized_since", F_STR, NULL},
    {"modes", "modes", F_STR, NULL},
    {"posts", "posts", F_INT, NULL},
    {"filled", "filled", F_INT, NULL},
    {"rate", "rate", F_PCT, NULL},
    {"breaches", "breaches", F_INT, NULL},
    {"moved", "posts_moved", F_INT, NULL},
    {"moved share", "moved_share", F_PCT, NULL},
    {"groups", "groups", F_INT, NULL},
};

static const struct col breach_cols[] = {
    {"county", "tenant", F_STR, NULL}, {"county name", "county", F_STR, NULL},
    {"unit", "unit", F_STR, NULL},     {"name", "name", F_STR, NULL},
    {"head", "head", F_INT, NULL},     {"deputy", "deputy", F_INT, NULL},
    {"cadre", "cadre", F_INT, NULL},   {"missing", "missing", F_STR, NULL},
};

static const struct col group_cols[] = {
    {"code", "code", F_STR, NULL},	    {"name", "name", F_STR, NULL},
    {"kind", "kind", F_TERM, NULL},	    {"part of", "parent", F_STR, NULL},
    {"function", "function", F_TERM, NULL}, {"lead policy", "policy", F_TERM, NULL},
    {"leader", "leader_name", F_STR, NULL}, {"leader id", "leader", F_ID, NULL},
    {"units", "units", F_INT, NULL},	    {"members", "members", F_INT, NULL},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The Chinese names of the modes and group kinds, shown beside the codes. */
static const char *const chinese[][2] = {
    {"task_force", "专班"},
    {"case_centre", "办案中心"},
    {"area", "片区"},
    {"joint_group", "联组"},
    {"matter", "1+N"},
    /* sub-groups' functions */
    {"general", "综合组"},
    {"supervision_inspection", "监督检查组"},
    {"review_investigation", "审查调查组"},
    {"daily_supervision", "日常监督组"},
    {"case_handling", "专案查办组"},
    /* joint groups' lead policies */
    {"rotating", "轮岗牵头制"},
    {"division", "分工负责制"},
};

static const char *chinese_of(const char *code)
{
	for (size_t i = 0; i < N(chinese); i++)
		if (strcmp(chinese[i][0], code) == 0)
			return chinese[i][1];
	return NULL;
}

/* ---- cells ----------------------------------------------------------------------------- */

static const json_t *at(const json_t *v, const char *path)
{
	char buf[96], *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	return v;
}

static const char *str_or(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "?";
}

static long long int_at(const json_t *v, const char *path)
{
	return json_integer_value(at(v, path));
}

/* A percentage: "66.67%" (csv "66.67"); "-" (csv "") when there was nothing to divide. */
static char *fmt_pct(const json_t *v, int csv)
{
	char *s = NULL;

	if (!json_is_number(v))
		return strdup(csv ? "" : "-");
	if (asprintf(&s, csv ? "%.2f" : "%.2f%%", json_number_value(v)) < 0)
		return NULL;
	return s;
}

/* A cell of the row, formatted; empty text shows as "-" for a human. */
static char *cell(const json_t *row, const struct col *c, int csv)
{
	const json_t *v = at(row, c->key);
	const char *s;
	char *out = NULL;

	switch (c->fmt) {
	case F_INT:
		return asprintf(&out, "%lld", (long long)json_integer_value(v)) < 0 ? NULL : out;
	case F_PCT:
		return fmt_pct(v, csv);
	case F_BOOL:
		return strdup(json_is_true(v) ? (csv ? "true" : "yes") : (csv ? "false" : "no"));
	case F_TERM:
		s = json_string_value(v);
		if (!csv && s && chinese_of(s))
			return asprintf(&out, "%s (%s)", s, chinese_of(s)) < 0 ? NULL : out;
		return strdup(s && *s ? s : csv ? "" : "-");
	default:
		s = json_string_value(v);
		return strdup(s && *s ? s : csv ? "" : "-");
	}
}

/* ---- the human form ---------------------------------------------------------------------- */

#define COLS_MAX 16

/* One row's human cells (n of them, allocated) into t. 0, or -1. */
static int human_row(struct table *t, const json_t *row, const struct col *const *cols, size_t n)
{
	char *cells[COLS_MAX] = {0};
	int bad = 0;

	for (size_t c = 0; c < n; c++)
		bad |= (cells[c] = cell(row, cols[c], 0)) == NULL;
	if (!bad)
		bad = table_add(t, (const char *const *)cells) < 0;
	for (size_t c = 0; c < n; c++)
		free(cells[c]);
	return bad ? -1 : 0;
}

/* The rows under a title, in the columns a human reads. */
static int table_of(FILE *f, const char *title, const json_t *rows, const struct col *cols,
		    size_t ncols)
{
	const struct col *use[COLS_MAX];
	const char *heads[COLS_MAX];
	struct table *t = NULL;
	size_t n = 0;
	int rc = -1;

	for (size_t c = 0; c < ncols && n < COLS_MAX; c++)
		if (cols[c].fmt != F_ID) {
			use[n] = &cols[c];
			heads[n++] = cols[c].head;
		}
	t = table_new(n, 1);
	if (!t || table_add_header(t, heads) < 0)
		goto out;
	for (size_t i = 0; i < json_array_size(rows); i++)
		if (human_row(t, json_array_get(rows, i), use, n) < 0)
			goto out;
	fprintf(f, "\n%s\n", title);
	table_print(t, f);
	rc = 0;
out:
	table_free(t);
	return rc;
}

/* "task_force (专班) 1, area (片区) 1": the members of obj in order, each with its count. */
static char *counts_line(const json_t *obj, int skip_zero)
{
	char *buf = NULL;
	size_t len = 0, n = 0;
	FILE *m = open_memstream(&buf, &len);
	const char *k;
	json_t *v;

	if (!m)
		return NULL;
	json_object_foreach((json_t *)obj, k, v)
	{
		const char *zh = chinese_of(k);

		if (skip_zero && json_integer_value(v) == 0)
			continue;
		fprintf(m, "%s%s%s%s%s %lld", n++ ? ", " : "", k, zh ? " (" : "", zh ? zh : "",
			zh ? ")" : "", (long long)json_integer_value(v));
	}
	if (n == 0)
		fputs("none", m);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int kv(struct table *t, const char *key, char *value)
{
	const char *cells[2] = {key, value};
	int rc = value ? table_add(t, cells) : -1;

	free(value);
	return rc;
}

static char *sprintf_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *sprintf_new(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* The figures that are one line each: "2 of 3 counties (66.67%)". */
static int summary_lines(FILE *f, const json_t *r)
{
	struct table *t = table_new(2, 0);
	char *p[4] = {fmt_pct(at(r, "counties.share"), 0), fmt_pct(at(r, "staffing.rate"), 0),
		      fmt_pct(at(r, "staffing.agency_rate"), 0),
		      fmt_pct(at(r, "transfers.share"), 0)};
	int rc = -1;

	if (!t || !p[0] || !p[1] || !p[2] || !p[3])
		goto out;
	if (kv(t, "centralized office (集中办公)",
	       sprintf_new("%lld of %lld counties (%s)", int_at(r, "counties.centralized"),
			   int_at(r, "counties.total"), p[0])) < 0 ||
	    kv(t, "modes in use (counties)", counts_line(at(r, "modes"), 0)) < 0 ||
	    kv(t, "staffing rate (配备率)",
	       sprintf_new("%lld of %lld posts filled (%s); agencies %lld of %lld (%s)",
			   int_at(r, "staffing.filled"), int_at(r, "staffing.posts"), p[1],
			   int_at(r, "staffing.agency_filled"), int_at(r, "staffing.agency_posts"),
			   p[2])) < 0 ||
	    kv(t, "posts moved out of agencies",
	       sprintf_new("%lld (%s of agency posts), %lld leadership, %lld %s",
			   int_at(r, "transfers.posts_moved"), p[3],
			   int_at(r, "transfers.leadership_moved"), int_at(r, "transfers.count"),
			   int_at(r, "transfers.count") == 1 ? "transfer" : "transfers")) < 0 ||
	    kv(t, "rule breaches (1正+1副+2干部)",
	       sprintf_new("%lld %s", int_at(r, "breaches.count"),
			   int_at(r, "breaches.count") == 1 ? "agency" : "agencies")) < 0 ||
	    kv(t, "groups by kind", counts_line(at(r, "groups.by_kind"), 1)) < 0)
		goto out;
	table_print(t, f);
	rc = 0;
out:
	for (size_t i = 0; i < N(p); i++)
		free(p[i]);
	table_free(t);
	return rc;
}

int org_report_print(FILE *f, const json_t *r)
{
	const json_t *groups = at(r, "groups.list");
	char *title = out_clean_fmt("%s (%s, %s)", str_or(at(r, "name")), str_or(at(r, "tenant")),
				    str_or(at(r, "level")));
	int rc = -1;

	if (!title)
		return -1;
	fprintf(f, "%s\n\n", title);
	if (summary_lines(f, r) < 0 ||
	    table_of(f, "counties:", at(r, "counties.list"), county_cols, N(county_cols)) < 0)
		goto out;
	if (json_array_size(at(r, "breaches.list")) > 0 &&
	    table_of(f, "agencies breaching 1 head + 1 deputy + 2 cadres (1正+1副+2干部):",
		     at(r, "breaches.list"), breach_cols, N(breach_cols)) < 0)
		goto out;
	if (json_is_array(groups) && json_array_size(groups) == 0)
		fputs("\ngroups: none\n", f);
	else if (json_is_array(groups) &&
		 table_of(f, "groups:", groups, group_cols, N(group_cols)) < 0)
		goto out;
	rc = 0;
out:
	free(title);
	return rc;
}

/* ---- CSV ----------------------------------------------------------------------------------- */

/* RFC 4180: quoted when it holds a comma, a quote, a line break or edge spaces. */
static int csv_header(FILE *f, const struct col *cols, size_t ncols)
{
	if (jd_csv_put(f, "section", ncols == 0) != 0)
		return -1;
	for (size_t c = 0; c < ncols; c++)
		if (jd_csv_put(f, cols[c].csv ? cols[c].csv : cols[c].key, c + 1 == ncols) != 0)
			return -1;
	return 0;
}

static int csv_row(FILE *f, const char *section, const json_t *row, const struct col *cols,
		   size_t ncols)
{
	if (jd_csv_put(f, section, ncols == 0) != 0)
		return -1;
	for (size_t c = 0; c < ncols; c++) {
		char *raw = cell(row, &cols[c], 1);
		/* cleaned as for the terminal: CSV is often just looked at */
		char *s = raw ? out_clean(raw) : NULL;
		int rc = s ? jd_csv_put(f, s, c + 1 == ncols) : -1;

		free(raw);
		free(s);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int csv_table(FILE *f, const char *section, const json_t *rows, const struct col *cols,
		     size_t ncols, int first)
{
	if (!first)
		fputs("\r\n", f);
	if (csv_header(f, cols, ncols) != 0)
		return -1;
	for (size_t i = 0; i < json_array_size(rows); i++)
		if (csv_row(f, section, json_array_get(rows, i), cols, ncols) < 0)
			return -1;
	return 0;
}

/* groups.by_kind as rows {"kind", "count"}. */
static json_t *kind_rows(const json_t *by_kind)
{
	json_t *rows = json_array();
	const char *k;
	json_t *v;

	json_object_foreach(
	    (json_t *)by_kind, k,
	    v) if (!rows ||
		   json_array_append_new(rows, json_pack("{s:s, s:O}", "kind", k, "count", v)) != 0)
	{
		json_decref(rows);
		return NULL;
	}
	return rows;
}

int org_report_csv(FILE *f, const json_t *r)
{
	static const struct col kind_cols[] = {{"kind", "kind", F_TERM, NULL},
					       {"count", "count", F_INT, NULL}};
	json_t *summary = json_pack("[O]", (json_t *)r),
	       *kinds = kind_rows(at(r, "groups.by_kind"));
	const json_t *groups = at(r, "groups.list");
	int rc = -1;

	if (!summary || !kinds)
		goto out;
	if (csv_table(f, "summary", summary, summary_cols, N(summary_cols), 1) < 0 ||
	    csv_table(f, "county", at(r, "counties.list"), county_cols, N(county_cols), 0) < 0 ||
	    csv_table(f, "breach", at(r, "breaches.list"), breach_cols, N(breach_cols), 0) < 0 ||
	    csv_table(f, "group_kind", kinds, kind_cols, N(kind_cols), 0) < 0)
		goto out;
	if (json_is_array(groups) &&
	    csv_table(f, "group", groups, group_cols, N(group_cols), 0) < 0)
		goto out;
	rc = 0;
out:
	json_decref(summary);
	json_decref(kinds);
	return rc;
}
