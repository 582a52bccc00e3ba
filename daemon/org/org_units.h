/*
 * Organization, part 2: units of a county tenant (offices, dispatched
 * agencies, townships, the review and case management offices).  Kept in
 * their tenant (hash tag = the county code): "unit:<code>" (name, kind,
 * status, supervised, linked, posts: approved posts 编制数, and
 * leadership_posts 领导职数), the index "units:by_code" and
 * "units:summary" (code -> the same as JSON, posts as integers).  Retired,
 * never deleted: records refer to them.  Every write bumps the county's
 * "orgrev" (org_snapshot.h); post transfers (org_staffing.h) rewrite the
 * posts of two units at once.
 */
#ifndef JD_ORG_UNITS_H
#define JD_ORG_UNITS_H

#include <stddef.h>

struct jd_server;

int jd_org_units_register(struct jd_server *srv, char *err, size_t errlen);

#endif
