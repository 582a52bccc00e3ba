/*
 * Organization, part 2: units of a county tenant (offices, dispatched
 * agencies, townships, the review and case management offices).  Kept in
 * their tenant (hash tag = the county code): "unit:<code>", the index
 * "units:by_code" and "units:summary" (code -> JSON).  Retired, never
 * deleted: records refer to them.
 */
#ifndef JD_ORG_UNITS_H
#define JD_ORG_UNITS_H

#include <stddef.h>

struct jd_server;

int jd_org_units_register(struct jd_server *srv, char *err, size_t errlen);

#endif
