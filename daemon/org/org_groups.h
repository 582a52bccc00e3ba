/*
 * Organization, part 5: the groups of a county's centralized office
 * (task forces, case centres, areas, joint groups, "1+N" matters and
 * their sub-groups): /v1/org/groups.  Kept in their tenant as
 * daemon/org/org_snapshot.h says: "group:<code>" (every field; "shares" and
 * "leaders" as JSON text, "year" as decimal), "groups:summary" (code ->
 * the group as JSON, the snapshot's shape) and the index
 * "groups:by_code".  A retired group is kept, never deleted.  What makes a
 * group valid: org_group_model.h.
 */
#ifndef JD_ORG_GROUPS_H
#define JD_ORG_GROUPS_H

#include <stddef.h>

struct jd_server;

int jd_org_groups_register(struct jd_server *srv, char *err, size_t errlen);

#endif
