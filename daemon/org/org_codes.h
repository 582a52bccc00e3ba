/*
 * The forms and small rules that every part of the organization shares:
 * the code of a unit or group, the id of a person, a percentage, and
 * whether a snapshot record is active.  One copy here so that the routes,
 * the import and the pure models cannot drift apart.  Pure: no I/O.
 *
 * Not the tenant code (6 digits): that is jd_org_code_valid (org_tenants.h).
 */
#ifndef JD_ORG_CODES_H
#define JD_ORG_CODES_H

#include <stddef.h>

#include <jansson.h>

#define JD_ORG_CODE_MAX	     32 /* a unit or group code: [a-z0-9_-]{1,32} */
#define JD_ORG_PERSON_ID_LEN 32 /* a person id: 32 lowercase hex digits */

/* Whether s is a unit or group code: 1..JD_ORG_CODE_MAX of [a-z0-9_-]. */
int jd_org_code_ok(const char *s);

/* Whether s is exactly n lowercase hex digits. */
int jd_org_hex_ok(const char *s, size_t n);

/* Whether s is a person id: JD_ORG_PERSON_ID_LEN lowercase hex digits. */
int jd_org_person_id_ok(const char *s);

/*
 * num / den in percent, rounded half up to 2 decimals (no libm): a new
 * JSON real, or JSON null when den <= 0 or num < 0 (nothing to divide).
 */
json_t *jd_org_percent(long long num, long long den);

/* Whether a snapshot record (unit, person, group) is active: one written before "status" was. */
int jd_org_active(const json_t *record);

#endif
