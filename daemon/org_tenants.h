/*
 * Organization, part 1: tenants (administrative divisions).  A county is
 * one commission's tenant; cities and provinces roll counties up.  Kept
 * in the system tenant: "tenant:<code>", the index "tenants:by_code",
 * "tenants:summary" (code -> JSON) and "tenant:<parent>:children".
 * Which counties a city or province rolls up: jd_org_tree_read (org_tree.h).
 */
#ifndef JD_ORG_TENANTS_H
#define JD_ORG_TENANTS_H

#include <stddef.h>

struct jd_server;
struct jd_principal;

/* Whether s is a 6-digit administrative division code. */
int jd_org_code_valid(const char *s);
/* Whether the caller may write the organization of tenant `code`: admins any, tenant admins theirs.
 */
int jd_org_may_write(const struct jd_principal *caller, const char *code);
int jd_org_tenants_register(struct jd_server *srv, char *err, size_t errlen);

#endif
