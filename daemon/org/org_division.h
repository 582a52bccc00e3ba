/*
 * China's administrative divisions as tenants: the levels and the 6-digit
 * division code (GB/T 2260: two digits the province, two the prefecture,
 * two the county) that names them.  The code is the hierarchy: a tenant
 * lies beneath another exactly when the other's code covers it, which the
 * tenant routes enforce on creation (the parent's code agrees with the
 * child's).  So who reads a roll-up reads every tenant beneath it from the
 * codes alone, with no read (security/auth.c).  Pure: no I/O.
 */
#ifndef JD_ORG_DIVISION_H
#define JD_ORG_DIVISION_H

#include <stddef.h>

/* The tiers a level sits at: what may be its parent, what rolls up. */
enum jd_division_tier {
	JD_TIER_PROVINCE,   /* province (省/自治区), municipality (直辖市) */
	JD_TIER_PREFECTURE, /* city (地级市/州/盟) */
	JD_TIER_COUNTY /* district (市辖区), county (县), county_city (县级市): one commission */
};

/* The levels accepted, comma-separated, for messages and field help. */
#define JD_DIVISION_LEVELS "province, municipality, city, district, county, county_city"

/* The tier of a level name, or -1 when it is none of JD_DIVISION_LEVELS. */
int jd_division_tier(const char *level);

/* Whether level is county-level (a commission's tenant, holding units); NULL: 0. */
int jd_division_county_level(const char *level);

/*
 * Whether a tenant of this code may be at this level (known): JD_OK, or
 * JD_E_INVALID with why naming what is wrong ("field 'level': 120000 is
 * Tianjin's code, a municipality: use level municipality").
 */
int jd_division_code_check(const char *code, const char *level, char *why, size_t len);

/*
 * Whether `parent` (at parent_level) may be the parent of `code` at
 * `level` (both already code-checked): by tier (a province or municipality
 * has none; a city's is a province; a county-level unit's a city, a
 * municipality, or for the province-administered ones coded xx90xx a
 * province) and by code (the parent's code covers the child's).  JD_OK, or
 * JD_E_INVALID with why naming it; a wrong tier says "wrong level".
 */
int jd_division_parent_check(const char *code, const char *level, const char *parent,
			     const char *parent_level, char *why, size_t len);

/*
 * Whether the division `above` covers `code` by the codes: the same code,
 * a province-tier code xx0000 covering xx...., a prefecture xxyy00 covering
 * xxyy... .  Codes that are not 6 digits cover only themselves.
 */
int jd_division_covers(const char *above, const char *code);

#endif
