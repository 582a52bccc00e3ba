/*
 * The org report (issue 4, part 7): GET /v1/org/report?tenant=T for a
 * county, a city or a province.  A county reports itself; a city or a
 * province rolls up every county under it (the tenant tree's
 * "tenant:<code>:children" sets), each county's snapshot
 * (org_snapshot.h) read with at most 8 in flight.
 *
 * The figures are computed by the pure functions below, in two steps so
 * that the route keeps one small object per county instead of its whole
 * snapshot while a province's counties are read:
 *   jd_org_report_county: one county's figures from its snapshot;
 *   jd_org_report_build:  the report from the counties' figures.
 * jd_org_report does both, from (county tenant record, snapshot) pairs.
 *
 * The report (percentages rounded to 2 decimals, null when nothing to
 * divide by):
 * {"tenant", "name", "level",
 *  "counties": {"total", "centralized", "share",     集中办公: "106 of 183"
 *               "list": [{"tenant", "name", "centralized", "centralized_since",
 *                         "modes", "posts", "filled", "rate", "breaches": n,
 *                         "posts_moved", "leadership_moved", "moved_share",
 *                         "groups": n}]},
 *  "modes": {"task_force": n, "area": n, "joint_group": n}   counties running it,
 *  "staffing": {"posts", "filled", "rate",                     配备率, summed
 *               "agency_posts", "agency_filled", "agency_rate"},
 *  "breaches": {"count", "list": [{"tenant", "county", "unit", "name",
 *               "head", "deputy", "cadre", "missing"}]},      1正+1副+2干部
 *  "transfers": {"count", "posts_moved", "leadership_moved", "share"},
 *  "groups": {"total", "by_kind": {"task_force": n, "case_centre": n, "area": n,
 *             "joint_group": n, "matter": n, "sub_group": n},
 *             "list": [{"tenant", "code", "name", "kind", "parent", "function",
 *                       "policy", "leader", "leader_name", "units": n,
 *                       "members": n}]}}
 * "groups.list" (each active group with its leader's name) is there for a
 * county only; a city or province gets the counts per kind.
 */
#ifndef JD_ORG_REPORT_H
#define JD_ORG_REPORT_H

#include <stddef.h>

#include <jansson.h>

struct jd_server;

/* Counties read at once while a city or province report is gathered. */
#define JD_ORG_REPORT_IN_FLIGHT 8

/*
 * Pure: one county's figures (a new object, NULL when out of memory):
 * record is its tenant record ({"name", "parent", "centralized",
 * "centralized_since", "modes"}) or NULL to take those from the
 * snapshot's "county".  Uses jd_org_staffing (org_staffing.h).
 */
json_t *jd_org_report_county(const char *code, const json_t *record, const json_t *snap);

/*
 * Pure: the report of scope ({"code", "name", "level"}) from figures, an
 * array of jd_org_report_county results in the order to list them.  A new
 * object, NULL when out of memory.
 */
json_t *jd_org_report_build(const json_t *scope, const json_t *figures);

struct jd_org_report_input {
	const char *code;     /* the county's division code */
	const json_t *record; /* its tenant record, or NULL: the snapshot's "county" */
	const json_t *snap;   /* its snapshot */
};

/* Pure: both steps, from n (record, snapshot) pairs. */
json_t *jd_org_report(const json_t *scope, const struct jd_org_report_input *in, size_t n);

/* The most counties one report reads (a country has under 3000). */
#define JD_ORG_REPORT_COUNTIES_MAX 5000

typedef struct jd_req jd_req;

/*
 * The report of tree (a jd_org_tree_read answer: {"code", "name",
 * "level", "counties"}): each county's snapshot read, at most
 * JD_ORG_REPORT_IN_FLIGHT at a time, reduced to its figures as it
 * arrives, then built.  cb gets JD_OK and the report (borrowed for the
 * call) or an error and NULL.  JD_OK: cb runs exactly once, maybe before
 * this returns; JD_E_INVALID: more counties than JD_ORG_REPORT_COUNTIES_MAX;
 * any other error: cb does not run.  No access check: the caller's.
 */
typedef void (*jd_org_report_cb)(int rc, json_t *report, void *arg);
int jd_org_report_gather(struct jd_server *srv, const json_t *tree, jd_org_report_cb cb, void *arg);
/*
 * The same, and as of each month of months (an array of "YYYY-MM"): the
 * report gets "dated": {month: the org figures at the end of it, summed
 * over the counties (jd_org_history_sum), or null when the history of one
 * of them does not reach back to it} and "history_from": the first month
 * every county's history covers (null: none); with per_county also
 * "county_dated": {county: {month: its own sums or null}} (keep months few:
 * counties x months objects).  Each county's month entry is kept as it is
 * read (org_history.h), by both.
 */
int jd_org_report_gather_dated(struct jd_server *srv, const json_t *tree, const json_t *months,
			       int per_county, jd_org_report_cb cb, void *arg);

/*
 * Whether req's caller may read the reports of tree's tenant: the core's
 * one tenant rule (auth.c: its own tenants and every tenant beneath them).
 * cb(rc, ok): JD_OK: it runs exactly once, maybe before this returns.
 */
typedef void (*jd_org_may_read_cb)(int rc, int ok, void *arg);
int jd_org_report_may_read(jd_req *req, const json_t *tree, jd_org_may_read_cb cb, void *arg);

int jd_org_report_register(struct jd_server *srv, char *err, size_t errlen);

#endif
