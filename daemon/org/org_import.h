/*
 * Bulk set-up of a county (issue 4, part 6): POST /v1/org/import takes up
 * to four CSV texts (org_csv.h: units, people, posts, groups), checks every
 * row against the county's snapshot (org_snapshot.h) and the other rows,
 * and either answers 400 with every bad row (file, line, reason), applying
 * nothing, or writes it all in one mutation whose record is "orgrev",
 * expected at the snapshot's revision (409 when the organization changed
 * in between).  What it writes is what the one-by-one routes write
 * (org_units.c, org_people.c, org_groups.c, org_staffing.c), so records
 * imported and records created one by one cannot be told apart.
 *
 * The body is {"tenant", "units", "people", "posts", "groups"}, one string
 * field per kind (struct jd_field has no array type, and the CLI knows each
 * file's kind from its header row anyway); errors name the kind's file
 * ("people.csv"), which jianductl maps back to the path it read.
 *
 * This file is the pure part: rows in, records or bad rows out.  The route
 * (sealing the ties, the mutation) is org_import_route.c.
 */
#ifndef JD_ORG_IMPORT_H
#define JD_ORG_IMPORT_H

#include <stddef.h>

#include <jansson.h>

#include "lib/org_csv.h"

struct jd_server;

/* Bad rows listed in an answer; the count covers them all. */
#define JD_IMPORT_ERRORS_MAX 100

/* One CSV text per kind; text NULL (or len 0): that file is not imported. */
struct jd_import_text {
	const char *text;
	size_t len;
};

/*
 * What a check finds.  On success (n_errors 0) the records to write, in the
 * snapshot's shape (org_snapshot.h), every one new:
 *   units:     {code: unit}
 *   people:    {id: person}, each with "ties" in the clear ("" when none
 *              declared): seal it before it goes anywhere
 *   transfers: [transfer]
 *   groups:    {code: group, as jd_group_check stores it}
 */
struct jd_import {
	json_t *errors;	 /* [{"file", "line", "error"}], the first JD_IMPORT_ERRORS_MAX */
	size_t n_errors; /* how many bad rows in all */
	json_t *units;	 /* each of these four: NULL when n_errors > 0 */
	json_t *people;
	json_t *transfers;
	json_t *groups;
};

/*
 * Pure: checks files against snap (a county's snapshot), as of today
 * ("YYYY-MM-DD": no date after it is accepted), new people's ids from
 * new_id (32 lowercase hex and a NUL).  JD_OK with *out filled (bad rows
 * or records; release with jd_import_clear), or JD_E_NOMEM.
 */
int jd_import_check(const json_t *snap, const struct jd_import_text files[JD_CSV_KINDS],
		    const char *today, void (*new_id)(char out[33]), struct jd_import *out);
/*
 * The same check in steps, so that a large import never holds the loop
 * (docs/architecture.md "Large work"): begin (NULL: out of memory), then
 * step until it returns other than 1, each step checking about budget rows
 * (a file's parse counts as its bytes / 100); the outcome is jd_import_check's
 * (JD_OK with *out filled, or JD_E_NOMEM).  snap, files and today must
 * outlive the job; free it with jd_import_job_free, finished or not (an
 * unfinished job clears out).
 */
struct jd_import_job;
struct jd_import_job *jd_import_begin(const json_t *snap,
				      const struct jd_import_text files[JD_CSV_KINDS],
				      const char *today, void (*new_id)(char out[33]),
				      struct jd_import *out);
int jd_import_step(struct jd_import_job *job, size_t budget);
void jd_import_job_free(struct jd_import_job *job);
/* Frees what a check made, the people's ties in the clear wiped first; zeroes imp. */
void jd_import_clear(struct jd_import *imp);

int jd_org_import_register(struct jd_server *srv, char *err, size_t errlen);

#endif
