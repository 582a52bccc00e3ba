/*
 * The CSV files of an organization import and export (issue 4, part 6):
 * reading them with libcsv (RFC 4180: quotes, doubled quotes, commas and
 * newlines inside quotes; a UTF-8 byte order mark is skipped), each record
 * with the line it starts on as a text editor counts, and recognising which
 * of the four kinds a file is by its header row.
 *
 * Compiled into jianductl too (it sorts the files it is given by their
 * header), so this file needs only libc and libcsv.
 */
#ifndef JD_ORG_CSV_H
#define JD_ORG_CSV_H

#include <stddef.h>
#include <stdio.h>

/* The four kinds of file, in the order an import applies and reports them. */
enum jd_csv_kind { JD_CSV_UNITS, JD_CSV_PEOPLE, JD_CSV_POSTS, JD_CSV_GROUPS, JD_CSV_KINDS };

#define JD_CSV_MAX_COLS 12

struct jd_csv_kind_info {
	const char *name; /* "units": the import field, and the file is "<name>.csv" */
	const char *file; /* "units.csv" */
	size_t n_cols;	  /* the columns, in the order export writes them */
	const char *cols[JD_CSV_MAX_COLS];
};

extern const struct jd_csv_kind_info jd_csv_kinds[JD_CSV_KINDS];

/* One record: its fields (NUL-terminated copies) and the line it starts on (1-based). */
struct jd_csv_row {
	size_t line;
	size_t n;
	char **fields;
	int skip; /* the caller's mark: checked no further */
};

struct jd_csv {
	struct jd_csv_row *rows;
	size_t n, cap;
	size_t err_line; /* parse failure: where */
	char err[160];	 /* and why */
};

/*
 * Parses text[0..len): every record that is not blank (a line of nothing,
 * or of empty fields only, is skipped), each with the line it starts on.
 * 0; -1 with c->err and c->err_line (malformed quoting: the records
 * before it are kept); -2 out of memory.  Free c with jd_csv_free
 * whatever the outcome.
 */
int jd_csv_parse(const char *text, size_t len, struct jd_csv *c);
/* Frees the records, every field wiped first (a people file holds declared ties). */
void jd_csv_free(struct jd_csv *c);

/*
 * The kind whose columns the header row holds, each exactly once in any
 * order, or -1.  map[i] is then the header's index of the kind's column i.
 */
int jd_csv_kind_of(const struct jd_csv_row *header, size_t map[JD_CSV_MAX_COLS]);

/*
 * Writes one field to f, quoted by libcsv when it has to be (a comma, a
 * quote, a line break, or spaces at either end, which readers trim), then
 * "," or, when last, "\r\n" as RFC 4180 ends a record.  0 or -1.
 */
int jd_csv_put(FILE *f, const char *s, int last);

#endif
