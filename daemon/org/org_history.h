/*
 * The organization's history (docs/report.md, "The organization's
 * history"): the org figures of a county as they stood at the end of each
 * month, so that the report can give them a year earlier and month by
 * month although the organization model keeps only today's state.
 *
 * Key of a county tenant T (hash tag {T}): "orghist", a hash
 *   "YYYY-MM" -> JSON entry {"rev", "centralized": bool, "modes", "posts",
 *                "filled", "agency_posts", "agency_filled", "transfers",
 *                "posts_moved", "leadership_moved", "breaches": n}
 * (and the record's own "_v").  The month's entry is rewritten, in one
 * audited mutation ("org.history.month"), whenever the county's figures
 * are read from a snapshot of another revision than the entry's: after
 * every org write (jd_org_history_refresh) and whenever a report reads
 * the county.  A month with no entry holds the figures of the last month
 * before it that has one (nothing changed in between); before the first
 * entry there is no history, and the report says so (never a zero).
 *
 * The cost is the size of the organization and the number of months kept
 * (12 a year), never the number of records.
 */
#ifndef JD_ORG_HISTORY_H
#define JD_ORG_HISTORY_H

#include <stddef.h>

#include <jansson.h>

struct jd_server;

#define JD_ORG_HISTORY_KEY "orghist"

/* Pure: the entry of a county's figures (jd_org_report_county's answer) at revision rev. */
json_t *jd_org_history_entry(const json_t *county, long long rev);

/* Pure: an HGETALL of "orghist" as {month: entry}; fields that are not months are left out. */
json_t *jd_org_history_of(const json_t *hgetall);

/*
 * Pure: the entry of hist ({month: entry}) that holds at the end of
 * month ("YYYY-MM"): the latest at or before it; NULL when the history
 * begins after it.  *first (may be NULL) gets the first month kept, or NULL.
 */
const json_t *jd_org_history_at(const json_t *hist, const char *month, const char **first);

/*
 * Pure: the org figures of n entries summed, in the org report's shape
 * (org_report.h) for the members the report section reads:
 * {"counties": {"total", "centralized", "share"}, "modes": {...},
 *  "staffing": {"posts", "filled", "rate", "agency_posts", "agency_filled",
 *  "agency_rate"}, "transfers": {"count", "posts_moved", "leadership_moved",
 *  "share"}, "breaches": {"count"}}.  NULL when out of memory.
 */
json_t *jd_org_history_sum(const json_t *const *entries, size_t n);

/* "YYYY-MM" of today (the daemon's local date) into out[8]. */
void jd_org_history_month(char out[8]);

/*
 * Writes entry as this month's entry of tenant unless hist (the county's
 * {month: entry}, may be NULL) has it already, and only while the
 * organization is still at the entry's revision ("rev", checked in the
 * same mutation): a refresh that lost a race never overwrites a later one.
 * Asynchronous, logged on failure: a missed write is made by the next read.
 */
void jd_org_history_keep(struct jd_server *srv, const char *tenant, const json_t *hist,
			 const json_t *entry);

/*
 * After an org write to tenant (a county): reads its snapshot and keeps
 * this month's entry (jd_org_history_keep).  Not a county: nothing.
 */
void jd_org_history_refresh(struct jd_server *srv, const char *tenant);

/* GET and POST /v1/org/history (org_history_routes.c); registered with the org report's. */
int jd_org_history_register(struct jd_server *srv, char *err, size_t errlen);

#endif
