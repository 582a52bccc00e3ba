/*
 * Organization, part 3: people (cadres) of a county tenant.  Kept in their
 * tenant (hash tag = the county code): "person:<id>" (name, post, unit,
 * start, new_cadre, status "active"/"retired" with retired_on and
 * retire_reason, former: the units moved away from, and ties sealed under
 * the tenant key: record type "person", field "ties"), the index
 * "people:by_id", "people:summary" (id -> JSON, never the ties),
 * "people:ties" (id -> the same sealed ties, so the county's snapshot reads
 * them in one go) and the moves between units, a sorted set
 * "person:<id>:moves" scored by date (YYYYMMDD), member
 * "date|from|to|reason".  A retired person is kept, fills no post and no
 * longer changes.  Every write bumps the county's "orgrev" (org_snapshot.h).
 */
#ifndef JD_ORG_PEOPLE_H
#define JD_ORG_PEOPLE_H

#include <stddef.h>

struct jd_server;

int jd_org_people_register(struct jd_server *srv, char *err, size_t errlen);

#endif
