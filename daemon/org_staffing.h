/*
 * Staffing (编制) of a county, computed from its snapshot (org_snapshot.h),
 * and the routes that keep approved posts' transfers: /v1/org/staffing,
 * /v1/org/transfers.  Approved posts per unit are the unit's "posts" and
 * "leadership_posts"; filled posts are its active people.
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
 *  "posts": approved (active units), "filled": filled, "rate": percent or null,
 *  "agencies": active agencies, "agency_posts": their approved posts,
 *  "agency_filled": their filled posts, "agency_rate": percent or null,
 *  "breaches": [{"unit", "name", "head": n, "deputy": n, "cadre": n,
 *                "missing": "1 head, 2 cadres"}]   the rule 1 head + 1 deputy
 *                                                  + 2 cadres, every agency,
 *  "transfers": {"count": transfers, "posts_moved": posts moved out of
 *                agencies, "leadership_moved": leadership posts moved,
 *                "share": posts_moved / (agency_posts + posts_moved) in
 *                percent, or null}}
 * Percentages are rounded to 2 decimals.  Units sort by code.
 */
json_t *jd_org_staffing(const json_t *snap);

int jd_org_staffing_register(struct jd_server *srv, char *err, size_t errlen);

#endif
