/*
 * The yearly rotation of area groups (片区) against the acquaintance
 * society (熟人社会): group leaders rotate every year and members move
 * across areas (组员横向流动).  POST /v1/org/groups/rotate ("groups
 * rotate") proposes next year's plan with a digest, and applies it in one
 * mutation when called again with that digest as `confirm`.
 *
 * The plan for year Y, over the county's active area groups:
 *   leaders  each group gets an active person with post leader who did
 *            not lead it in Y-1 (its "leaders" history, or its current
 *            leader), leads no other group (an active group of another
 *            kind than area or sub_group counts), and has no conflict
 *            with any of its member units (org_conflicts.h, every kind);
 *            found as a bipartite matching;
 *   members  every active member moves to another area group, no
 *            group's size leaves today's ±1, and nobody is placed in a
 *            group whose member units they worked in or have a declared
 *            tie to (their own current unit is fine); found as a
 *            capacitated assignment (max flow, lower bounds first).
 *   Members who are retired (or no longer people) are left out ("dropped").
 * Everything is sorted by ids and codes: the same snapshot and year give
 * the same plan.
 *
 * The plan (canonical JSON, the digest's input, kept in the sorted set
 * "rotations" scored by year):
 * {"tenant", "year", "groups": [{"code", "leader_before", "leader",
 *   "members_before": [ids], "members": [ids]}] (by code),
 *  "dropped": [{"person", "group"}]}
 */
#ifndef JD_ORG_ROTATION_H
#define JD_ORG_ROTATION_H

#include <stddef.h>

#include <jansson.h>

#include "org/org_conflicts.h"

struct jd_server;

#define JD_ROTATION_DIGEST_HEX 64

/*
 * What one plan weighs at most.  The plan runs on the event loop and its
 * work grows with (members + leadership members) x member units and with
 * members^2 x groups; a county has a few area groups and dozens of
 * members, so these bound a hostile or mistaken import, not a real county
 * (2000 members in 100 groups plan in well under a second).
 */
#define JD_ROTATION_GROUPS_MAX	100  /* active area groups */
#define JD_ROTATION_MEMBERS_MAX 2000 /* their active members */
#define JD_ROTATION_LEADERS_MAX 200  /* active people with post leader */
#define JD_ROTATION_UNITS_MAX	1000 /* member units, summed over the area groups */

/*
 * Pure.  JD_OK: *plan (the caller's).  JD_E_CONFLICT: no valid plan; why
 * says which constraint cannot be met and for whom.  JD_E_INVALID: the
 * year cannot be planned (why names field 'year'), or the county is past
 * one of the bounds above (why names field 'tenant').  JD_E_NOMEM.
 * ties: the opened ties of the leaders and members (may be NULL).
 */
int jd_org_rotation_plan(const json_t *snap, int year, const struct jd_org_ties *ties,
			 json_t **plan, char *why, size_t len);

/* Lowercase hex BLAKE2b-256 of the canonical plan and rev.  JD_OK or JD_E_NOMEM. */
int jd_org_rotation_digest(const json_t *plan, long long rev, char out[JD_ROTATION_DIGEST_HEX + 1]);

/*
 * The groups as the plan leaves them: {code: group in the snapshot's
 * shape, with the new "leader", "year", "leaders" history and
 * "members"}.  NULL out of memory.
 */
json_t *jd_org_rotation_groups(const json_t *snap, const json_t *plan);

/*
 * The plan for a human: {"groups": [{"group", "name", "leader": "old →
 * new", "members": "n → m", "joining", "leaving"}], "moves": ["name: from
 * → to", ...], "dropped": [...]}, names from snap; moves and dropped only
 * when not empty.  NULL out of memory.
 */
json_t *jd_org_rotation_view(const json_t *snap, const json_t *plan);

int jd_org_rotation_register(struct jd_server *srv, char *err, size_t errlen);

#endif
