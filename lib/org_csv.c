/* Reading and writing the organization's CSV files with libcsv (the shape: org_csv.h). */
#include "lib/org_csv.h"

#include <csv.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

const struct jd_csv_kind_info jd_csv_kinds[JD_CSV_KINDS] = {
    [JD_CSV_UNITS] = {"units",
		      "units.csv",
		      7,
		      {"code", "name", "kind", "supervised", "linked", "posts",
		       "leadership_posts"}},
    [JD_CSV_PEOPLE] = {"people",
		       "people.csv",
		       6,
		       {"name", "post", "unit", "start", "new_cadre", "ties"}},
    [JD_CSV_POSTS] = {"posts",
		      "posts.csv",
		      6,
		      {"date", "from", "to", "posts", "leadership_posts", "reason"}},
    [JD_CSV_GROUPS] = {"groups",
		       "groups.csv",
		       12,
		       {"code", "name", "kind", "leader", "units", "members", "parent", "function",
			"policy", "rotation", "shares", "year"}},
};

/* ---- reading --------------------------------------------------------------------------- */

/* What the callbacks build while libcsv reads. */
struct reader {
	struct jd_csv *c;
	char **fields; /* the record being read */
	size_t n, cap;
	size_t line;  /* the line being fed */
	size_t start; /* the line the record being read starts on */
	int between;  /* no record begun since the last one ended */
	int nomem;
};

/* Frees a field, wiped first: a people file holds declared ties in the clear. */
static void field_free(char *f)
{
	if (f != NULL) {
		explicit_bzero(f, strlen(f));
		free(f);
	}
}

/*
 * libcsv's own buffer holds each field as it is read and grows by
 * realloc, which would free the old copy of a long field (declared ties)
 * unwiped: these move it by hand and wipe what they let go.
 */
static void *wiping_realloc(void *old, size_t n)
{
	void *p = malloc(n);
	size_t had = old != NULL ? malloc_usable_size(old) : 0;

	if (p == NULL)
		return NULL; /* libcsv keeps old, and frees it with wiping_free */
	if (old != NULL) {
		memcpy(p, old, had < n ? had : n);
		explicit_bzero(old, had);
		free(old);
	}
	return p;
}

static void wiping_free(void *p)
{
	if (p != NULL) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

static void drop_fields(struct reader *r)
{
	for (size_t i = 0; i < r->n; i++)
		field_free(r->fields[i]);
	r->n = 0;
}

static void on_field(void *data, size_t len, void *arg)
{
	struct reader *r = arg;
	char *copy;

	if (r->nomem)
		return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		char **p = realloc(r->fields, cap * sizeof(*p));

		if (p == NULL) {
			r->nomem = 1;
			return;
		}
		r->fields = p;
		r->cap = cap;
	}
	copy = malloc(len + 1);
	if (copy == NULL) {
		r->nomem = 1;
		return;
	}
	if (len > 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	r->fields[r->n++] = copy;
}

static int all_empty(const struct reader *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->fields[i][0] != '\0')
			return 0;
	return 1;
}

static void on_record(int term, void *arg)
{
	struct reader *r = arg;
	struct jd_csv *c = r->c;

	(void)term;
	r->between = 1;
	if (r->nomem || all_empty(r)) { /* a row of empty fields (",,,") says nothing */
		drop_fields(r);
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct jd_csv_row *p = realloc(c->rows, cap * sizeof(*p));

		if (p == NULL) {
			r->nomem = 1;
			drop_fields(r);
			return;
		}
		c->rows = p;
		c->cap = cap;
	}
	c->rows[c->n++] = (struct jd_csv_row){r->start, r->n, r->fields, 0};
	r->fields = NULL;
	r->n = r->cap = 0;
}

/* The length of the line at s: through its "\n", "\r\n" or lone "\r". */
static size_t line_len(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			return i + 1;
		if (s[i] == '\r')
			return i + 1 < len && s[i + 1] == '\n' ? i + 2 : i + 1;
	}
	return len;
}

/* Whether a line holds more than what libcsv skips between records (blanks, line ends). */
static int has_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 1;
	return 0;
}

static int fail(struct jd_csv *c, size_t line, const char *why)
{
	c->err_line = line;
	snprintf(c->err, sizeof(c->err), "%s", why);
	return strcmp(why, "out of memory") == 0 ? -2 : -1;
}

/*
 * libcsv reports fields and records but not where they are; fed one line
 * at a time, a record starts on the first line with text after the last
 * one ended (a record ends only at the end of a line).
 */
int jd_csv_parse(const char *text, size_t len, struct jd_csv *c)
{
	struct csv_parser p;
	struct reader r = {.c = c, .line = 1, .between = 1};
	size_t off = 0;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return fail(c, 0, "out of memory");
	csv_set_realloc_func(&p, wiping_realloc);
	csv_set_free_func(&p, wiping_free);
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		off = 3;
	while (off < len && rc == 0 && !r.nomem) {
		size_t n = line_len(text + off, len - off);

		if (r.between && has_text(text + off, n)) {
			r.start = r.line;
			r.between = 0;
		}
		if (csv_parse(&p, text + off, n, on_field, on_record, &r) != n)
			rc = fail(c, r.line,
				  csv_error(&p) == CSV_EPARSE
				      ? "malformed CSV: a quote inside an unquoted field, or text "
					"after a closing quote"
				      : "out of memory");
		off += n;
		r.line++;
	}
	if (rc == 0 && !r.nomem && csv_fini(&p, on_field, on_record, &r) != 0)
		rc = fail(c, r.start, "malformed CSV: a quoted field is not closed");
	if (rc == 0 && r.nomem)
		rc = fail(c, r.line, "out of memory");
	drop_fields(&r);
	free(r.fields);
	csv_free(&p); /* wiping_free: libcsv's copy of the last field goes wiped */
	return rc;
}

void jd_csv_free(struct jd_csv *c)
{
	for (size_t i = 0; c != NULL && i < c->n; i++) {
		for (size_t j = 0; j < c->rows[i].n; j++)
			field_free(c->rows[i].fields[j]);
		free(c->rows[i].fields);
	}
	if (c != NULL) {
		free(c->rows);
		c->rows = NULL;
		c->n = c->cap = 0;
	}
}

int jd_csv_kind_of(const struct jd_csv_row *header, size_t map[JD_CSV_MAX_COLS])
{
	for (int k = 0; header != NULL && k < JD_CSV_KINDS; k++) {
		const struct jd_csv_kind_info *info = &jd_csv_kinds[k];
		size_t found = 0;

		if (header->n != info->n_cols)
			continue;
		for (size_t i = 0; i < info->n_cols; i++) {
			size_t hits = 0;

			for (size_t j = 0; j < header->n; j++)
				if (strcmp(header->fields[j], info->cols[i]) == 0) {
					map[i] = j;
					hits++;
				}
			found += hits == 1;
		}
		if (found == info->n_cols)
			return k;
	}
	return -1;
}

/* ---- writing --------------------------------------------------------------------------- */

static int needs_quotes(const char *s)
{
	size_t n = strlen(s);

	if (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		return 1;
	return strpbrk(s, ",\"\r\n") != NULL;
}

int jd_csv_put(FILE *f, const char *s, int last)
{
	const char *v = s ? s : "";
	int rc;

	if (needs_quotes(v))
		rc = csv_fwrite(f, v, strlen(v));
	else
		rc = fputs(v, f) == EOF ? EOF : 0;
	if (rc != 0 || fputs(last ? "\r\n" : ",", f) == EOF)
		return -1;
	return 0;
}
