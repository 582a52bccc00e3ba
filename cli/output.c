/* jianductl: tables, key/value lines and JSON on the terminal. */
#include "output.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "lib/org_csv.h"

#define GAP 2

struct table {
	size_t ncols, nrows, cap, indent;
	int header;
	char **cells; /* nrows * ncols */
};

char *out_clean(const char *s)
{
	size_t len = strlen(s), i = 0, j = 0;
	mbstate_t st;
	char *o = malloc(len + 1);
	wchar_t wc;

	if (!o)
		return NULL;
	memset(&st, 0, sizeof st);
	while (i < len) {
		size_t n = mbrtowc(&wc, s + i, len - i, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			o[j++] = '?';
			i++;
			memset(&st, 0, sizeof st);
			continue;
		}
		if (wc == L'\t' || wc == L'\n' || wc == L'\r')
			o[j++] = ' ';
		else if (wcwidth(wc) < 0)
			o[j++] = '?';
		else {
			memcpy(o + j, s + i, n);
			j += n;
		}
		i += n;
	}
	o[j] = '\0';
	return o;
}

char *out_clean_fmt(const char *fmt, ...)
{
	va_list ap;
	char *raw, *clean;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	clean = out_clean(raw);
	free(raw);
	return clean;
}

size_t out_width(const char *s)
{
	size_t len = strlen(s), i = 0, w = 0;
	mbstate_t st;
	wchar_t wc;

	memset(&st, 0, sizeof st);
	while (i < len) {
		size_t n = mbrtowc(&wc, s + i, len - i, &st);
		int cw;
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			w++;
			i++;
			memset(&st, 0, sizeof st);
			continue;
		}
		cw = wcwidth(wc);
		w += cw > 0 ? (size_t)cw : 0;
		i += n;
	}
	return w;
}

struct table *table_new(size_t ncols, int header)
{
	struct table *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->header = header;
	return t;
}

static int table_grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16;
	char **p;

	if (t->nrows < t->cap)
		return 0;
	p = realloc(t->cells, cap * (t->ncols ? t->ncols : 1) * sizeof *p);
	if (!p)
		return -1;
	t->cells = p;
	t->cap = cap;
	return 0;
}

int table_add(struct table *t, const char *const *cells)
{
	char **row;

	if (table_grow(t) < 0)
		return -1;
	row = t->cells + t->nrows * t->ncols;
	for (size_t c = 0; c < t->ncols; c++) {
		row[c] = out_clean(cells[c] ? cells[c] : "-");
		if (!row[c]) {
			while (c > 0)
				free(row[--c]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

int table_add_header(struct table *t, const char *const *names)
{
	size_t before = t->nrows;
	char **row;

	if (table_add(t, names) < 0)
		return -1;
	row = t->cells + before * t->ncols;
	for (size_t c = 0; c < t->ncols; c++)
		for (char *p = row[c]; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	return 0;
}

size_t table_rows(const struct table *t)
{
	return t->nrows - (t->header && t->nrows ? 1 : 0);
}

void table_indent(struct table *t, size_t n)
{
	t->indent = n;
}

static int no_headers, tables_csv;

void out_no_headers(int on)
{
	no_headers = on;
}

void out_tables_csv(int on)
{
	tables_csv = on;
}

int out_tables_are_csv(void)
{
	return tables_csv;
}

/* The header as the JSON keys are spelled: "NOT AFTER" is not_after. */
static char *csv_header_cell(const char *s)
{
	char *h = strdup(s);

	for (char *p = h; p && *p; p++)
		*p = *p == ' ' ? '_' : (char)tolower((unsigned char)*p);
	return h;
}

static void table_print_csv(const struct table *t, FILE *f)
{
	for (size_t r = t->header && no_headers ? 1 : 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			char *h = r == 0 && t->header ? csv_header_cell(cell) : NULL;
			/* "-" is how tables show nothing; CSV leaves the cell empty */
			const char *out = h ? h : strcmp(cell, "-") == 0 ? "" : cell;

			if (jd_csv_put(f, out, c + 1 == t->ncols) != 0)
				r = t->nrows; /* the stream's error stays for the final fflush */
			free(h);
		}
}

void table_print(const struct table *t, FILE *f)
{
	size_t *w;

	if (tables_csv) {
		table_print_csv(t, f);
		return;
	}
	w = calloc(t->ncols ? t->ncols : 1, sizeof *w);

	if (!w) {
		fputs("jianductl: out of memory\n", stderr);
		return;
	}
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = out_width(t->cells[r * t->ncols + c]);
			w[c] = cw > w[c] ? cw : w[c];
		}
	for (size_t r = t->header && no_headers ? 1 : 0; r < t->nrows; r++) {
		fprintf(f, "%*s", (int)t->indent, "");
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			fputs(cell, f);
			if (c + 1 < t->ncols)
				fprintf(f, "%*s", (int)(w[c] - out_width(cell) + GAP), "");
		}
		fputc('\n', f);
	}
	free(w);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

char *out_scalar(const json_t *v)
{
	if (!v || json_is_null(v))
		return strdup("-");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
}

int out_json(FILE *f, const json_t *v)
{
	if (json_dumpf(v, f, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)) < 0)
		return -1;
	fputc('\n', f);
	return 0;
}

static int is_object_array(const json_t *v)
{
	if (!json_is_array(v))
		return 0;
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_object(json_array_get(v, i)))
			return 0;
	return 1;
}

static int has_string(const json_t *list, const char *s)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_array_get(list, i)), s) == 0)
			return 1;
	return 0;
}

/* Column names: the keys of every object, in order of first appearance. */
static json_t *union_keys(const json_t *rows)
{
	json_t *cols = json_array(), *row;

	if (!cols)
		return NULL;
	for (size_t i = 0; i < json_array_size(rows); i++) {
		row = json_array_get(rows, i);
		for (void *it = json_object_iter(row); it; it = json_object_iter_next(row, it)) {
			const char *key = json_object_iter_key(it);
			if (!has_string(cols, key) &&
			    json_array_append_new(cols, json_string(key)) < 0) {
				json_decref(cols);
				return NULL;
			}
		}
	}
	return cols;
}

static int add_json_row(struct table *t, const json_t *cols, const json_t *row, const char **cells)
{
	size_t n = json_array_size(cols);
	int rc = 0;

	for (size_t c = 0; c < n; c++) {
		const char *k = json_string_value(json_array_get(cols, c));
		cells[c] = out_scalar(json_object_get(row, k));
		if (!cells[c])
			rc = -1;
	}
	if (rc == 0)
		rc = table_add(t, cells);
	for (size_t c = 0; c < n; c++)
		free((char *)cells[c]);
	return rc;
}

static int print_rows(FILE *f, const json_t *rows)
{
	json_t *cols = union_keys(rows);
	size_t n = json_array_size(cols);
	const char **cells = calloc(n ? n : 1, sizeof *cells);
	struct table *t = table_new(n, 1);
	int rc = -1;

	if (!cols || !cells || !t)
		goto out;
	for (size_t c = 0; c < n; c++)
		cells[c] = json_string_value(json_array_get(cols, c));
	if (table_add_header(t, cells) < 0)
		goto out;
	for (size_t i = 0; i < json_array_size(rows); i++)
		if (add_json_row(t, cols, json_array_get(rows, i), cells) < 0)
			goto out;
	table_print(t, f);
	rc = 0;
out:
	table_free(t);
	free(cells);
	json_decref(cols);
	return rc;
}

/* The one member holding an array of objects, or NULL when none or several. */
static const char *table_member(const json_t *obj)
{
	json_t *o = (json_t *)obj;
	const char *found = NULL;

	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		if (!is_object_array(json_object_iter_value(it)))
			continue;
		if (found)
			return NULL;
		found = json_object_iter_key(it);
	}
	return found;
}

static int print_kv(FILE *f, const json_t *obj, const char *skip)
{
	struct table *t = table_new(2, 0);
	json_t *o = (json_t *)obj;
	int rc = 0;

	if (!t)
		return -1;
	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		const char *cells[2] = {json_object_iter_key(it), NULL};
		char *s;
		if (skip && strcmp(cells[0], skip) == 0)
			continue;
		s = out_scalar(json_object_iter_value(it));
		cells[1] = s;
		if (!s || table_add(t, cells) < 0)
			rc = -1;
		free(s);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		table_print(t, f);
	table_free(t);
	return rc;
}

static int print_object(FILE *f, const json_t *obj)
{
	const char *tkey = table_member(obj);
	const json_t *rows;
	char *clean;

	if (json_object_size(obj) == 0) {
		fputs("ok\n", f);
		return 0;
	}
	if (!tkey)
		return print_kv(f, obj, NULL);
	rows = json_object_get(obj, tkey);
	if (json_array_size(rows) == 0) {
		clean = out_clean_fmt("(no %s)", tkey);
		if (!clean)
			return -1;
		fprintf(f, "%s\n", clean);
		free(clean);
	} else if (print_rows(f, rows) < 0) {
		return -1;
	}
	if (json_object_size(obj) == 1)
		return 0;
	fputc('\n', f);
	return print_kv(f, obj, tkey);
}

int out_result(FILE *f, const json_t *v)
{
	char *s, *clean;

	if (json_is_object(v))
		return print_object(f, v);
	if (is_object_array(v) && json_array_size(v) > 0)
		return print_rows(f, v);
	s = out_scalar(v);
	clean = s ? out_clean(s) : NULL;
	free(s);
	if (!clean)
		return -1;
	fprintf(f, "%s\n", clean);
	free(clean);
	return 0;
}

static int csv_row(FILE *f, const json_t *cols, const json_t *row)
{
	size_t n = json_array_size(cols);

	for (size_t c = 0; c < n; c++) {
		char *s = row ? out_scalar(json_object_get(
				    row, json_string_value(json_array_get(cols, c))))
			      : strdup(json_string_value(json_array_get(cols, c)));
		int rc = s ? jd_csv_put(f, strcmp(s, "-") == 0 && row ? "" : s, c + 1 == n) : -1;

		free(s);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* An array as one cell: its members' names (or values) apart by spaces. */
static char *names_cell(const json_t *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);
		const json_t *name = json_is_object(e) ? json_object_get(e, "name") : e;
		char *s = out_scalar(name ? name : e);

		if (s)
			fprintf(m, "%s%s", i ? " " : "", s);
		free(s);
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The members of obj as key,value rows; flat: nested objects as
 * "outer.inner" and arrays as names_cell, else either as compact JSON.
 */
static int csv_fields(FILE *f, const json_t *obj, const char *prefix, int flat)
{
	int rc = 0;

	for (void *it = json_object_iter((json_t *)obj); rc == 0 && it;
	     it = json_object_iter_next((json_t *)obj, it)) {
		const json_t *v = json_object_iter_value(it);
		char *key = NULL, *s = NULL;

		if (asprintf(&key, "%s%s%s", prefix, prefix[0] ? "." : "",
			     json_object_iter_key(it)) < 0)
			return -1;
		if (flat && json_is_object(v)) {
			rc = csv_fields(f, v, key, flat);
		} else {
			s = flat && json_is_array(v) ? names_cell(v) : out_scalar(v);
			rc = s && jd_csv_put(f, key, 0) == 0 && jd_csv_put(f, s, 1) == 0 ? 0 : -1;
		}
		free(s);
		free(key);
	}
	return rc;
}

static int csv_key_value(FILE *f, const json_t *v, int flat)
{
	if (!no_headers && (jd_csv_put(f, "key", 0) != 0 || jd_csv_put(f, "value", 1) != 0))
		return -1;
	return csv_fields(f, v, "", flat);
}

int out_csv_fields(FILE *f, const json_t *v)
{
	return csv_key_value(f, v, 1);
}

int out_csv(FILE *f, const json_t *v)
{
	const char *tkey = json_is_object(v) ? table_member(v) : NULL;
	const json_t *rows = tkey ? json_object_get(v, tkey) : is_object_array(v) ? v : NULL;
	json_t *cols;
	int rc = 0;

	if (rows == NULL)
		return csv_key_value(f, v, 0);
	if ((cols = union_keys(rows)) == NULL)
		return -1;
	rc = no_headers ? 0 : csv_row(f, cols, NULL);
	for (size_t i = 0; rc == 0 && i < json_array_size(rows); i++)
		rc = csv_row(f, cols, json_array_get(rows, i));
	json_decref(cols);
	return rc;
}
