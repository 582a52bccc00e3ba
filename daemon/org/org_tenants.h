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

#include <jiandu/plugin.h>

struct jd_server;
struct jd_principal;

/* Whether s is a 6-digit administrative division code. */
int jd_org_code_valid(const char *s);
/* Whether the caller may write the organization of tenant `code`: admins any, tenant admins theirs.
 */
int jd_org_may_write(const struct jd_principal *caller, const char *code);
/* As jd_org_may_write for req's caller: JD_OK, or 403 replied and JD_E_FORBIDDEN. */
int jd_org_write_check(jd_req *req, const char *code);
/*
 * The check the county routes start with, on the HGETALL of "tenant:<code>"
 * (rc and result as the read gave them): JD_OK when it is a county whose
 * organization the caller may read (jd_auth_tenant_readable); otherwise it
 * has replied (the read's error, 404 no tenant, 400 not a county, 403 out
 * of scope) and returns that error.  `what` names the records: "units".
 */
int jd_org_county_check(jd_req *req, int rc, json_t *result, const char *code, const char *what);
/* As jd_org_county_check, on a snapshot's rc and snap (org_snapshot.h). */
int jd_org_snapshot_check(jd_req *req, int rc, const json_t *snap, const char *code,
			  const char *what);
int jd_org_tenants_register(struct jd_server *srv, char *err, size_t errlen);

#endif
