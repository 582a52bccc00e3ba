/*
 * Staffing (编制) of a county, computed from its snapshot (org_snapshot.h),
 * and the routes that keep approved posts' transfers: /v1/org/staffing,
 * /v1/org/transfers.  Approved posts per unit are the unit's "posts" and
 * "leadership_posts"; filled posts are its active people.
 *
 * A transfer (POST /v1/org/transfers) moves approved posts between two
 * active units of the county and is kept in the sorted set "transfers"
 * (score YYYYMMDD), member the JSON
 *   {"id": 32 hex (two equal transfers stay two), "date", "from", "to",
 *    "count": posts moved, "leadership_count": of them leadership posts,
 *    "reason"}
 * in the same mutation that rewrites both units' records and summaries.
 */
#ifndef JD_ORG_STAFFING_H
#define JD_ORG_STAFFING_H

#include <stddef.h>

#include <jansson.h>

struct jd_server;

/*
 * Pure: the staffing figures of one county snapshot, a new object, NULL on
 * failure (memory):
 * {"units": [{"code", "name", "kind", "posts", "leadership_posts",
 *             "filled", "leadership_filled", "rate": percent or null}],
 *                      the active units; filled: their active people,
 *                      leadership_filled: those whose post is leader, head
 *                      or deputy
 *  "posts": approved (active units), "filled": filled, "rate": percent or null,
 *  "agencies": active agencies, "agency_posts": their approved posts,
 *  "agency_filled": their filled posts, "agency_rate": percent or null,
 *  "breaches": [{"unit", "name", "head": n, "deputy": n, "cadre": n,
 *                "missing": "1 head, 2 cadres"}]   the rule 1 head + 1 deputy
 *                                                  + 2 cadres, every active
 *                                                  agency, active people,
 *  "transfers": {"count": transfers, "posts_moved": posts moved out of
 *                agencies (to units of another kind; moved back in counts
 *                minus), "leadership_moved": leadership posts likewise,
 *                "share": posts_moved / (agency_posts + posts_moved) in
 *                percent, or null}}
 * Percentages are rounded half up to 2 decimals.  Units sort by code.
 * People and units without "status" (written before it) are active.
 */
json_t *jd_org_staffing(const json_t *snap);

int jd_org_staffing_register(struct jd_server *srv, char *err, size_t errlen);

#endif
