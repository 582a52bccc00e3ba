/*
 * jianductl: what the user reads: aligned tables and key/value lines
 * (widths in terminal columns, CJK counted as 2), pretty JSON, and a
 * generic rendering of any JSON answer.  Text from the server is cleaned
 * of control characters before it reaches the terminal.
 */
#ifndef JDCTL_OUTPUT_H
#define JDCTL_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

struct table;

/* --no-headers: tables and CSV without their header row, for scripts. */
void out_no_headers(int on);

/*
 * --output csv: table_print writes RFC 4180 CSV (the header lower-cased,
 * spaces as '_') instead of aligned columns.
 */
void out_tables_csv(int on);
int out_tables_are_csv(void);

/* A table of ncols columns; the first row added is the header when `header`. */
struct table *table_new(size_t ncols, int header);
/* Copies (and cleans) ncols cells; NULL cells print as "-". 0, or -1 out of memory. */
int table_add(struct table *t, const char *const *cells);
/* Adds the header row, upper-cased. */
int table_add_header(struct table *t, const char *const *names);
size_t table_rows(const struct table *t);
/* Spaces before every row (default 0). */
void table_indent(struct table *t, size_t n);
/* Columns two spaces apart; no trailing blanks. */
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/* A copy of s with control characters and invalid UTF-8 replaced. */
char *out_clean(const char *s);
/* out_clean of a formatted string. */
char *out_clean_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Terminal columns taken by s (which out_clean has cleaned). */
size_t out_width(const char *s);

/* A JSON value as one cell: strings raw, null "-", the rest compact JSON. */
char *out_scalar(const json_t *v);
/* Pretty JSON (indent 2) and a newline. 0, or -1. */
int out_json(FILE *f, const json_t *v);
/*
 * Any answer for a human: an object as aligned key/value lines, except
 * that its one array of objects (if it has exactly one) becomes a table
 * with the union of their keys as columns.  0, or -1 out of memory.
 */
int out_result(FILE *f, const json_t *v);
/*
 * CSV (RFC 4180) of an answer's one array of objects (as out_result
 * finds it), with the union of their keys as the header; an answer
 * without one prints its members as key,value rows.  0, or -1.
 */
int out_csv(FILE *f, const json_t *v);
/*
 * CSV of an object's members as key,value rows (status): a nested
 * object's members as "outer.inner", an array as its members' names (or
 * values) apart by spaces.  0, or -1.
 */
int out_csv_fields(FILE *f, const json_t *v);

#endif
