/* China's administrative divisions: levels and GB/T 2260 codes (org_division.h). */
#include "org/org_division.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jiandu/plugin.h>

#define CODE_LEN 6

static const struct {
	const char *name;
	enum jd_division_tier tier;
} levels[] = {
    {"province", JD_TIER_PROVINCE}, {"municipality", JD_TIER_PROVINCE},
    {"city", JD_TIER_PREFECTURE},   {"district", JD_TIER_COUNTY},
    {"county", JD_TIER_COUNTY},	    {"county_city", JD_TIER_COUNTY},
};

#define N_LEVELS (sizeof(levels) / sizeof(levels[0]))

/* The province-level municipalities (直辖市), by their two first digits. */
static const struct {
	const char prefix[3];
	const char *name;
} municipalities[] = {
    {"11", "Beijing (北京)"},
    {"12", "Tianjin (天津)"},
    {"31", "Shanghai (上海)"},
    {"50", "Chongqing (重庆)"},
};

#define N_MUNICIPALITIES (sizeof(municipalities) / sizeof(municipalities[0]))

/* Under a province, the prefecture digits of its directly administered county-level units. */
#define PROVINCE_DIRECT "90"

int jd_division_tier(const char *level)
{
	for (size_t i = 0; level != NULL && i < N_LEVELS; i++)
		if (strcmp(level, levels[i].name) == 0)
			return (int)levels[i].tier;
	return -1;
}

int jd_division_county_level(const char *level)
{
	return jd_division_tier(level) == JD_TIER_COUNTY;
}

static int is_code(const char *s)
{
	if (s == NULL || strlen(s) != CODE_LEN)
		return 0;
	for (size_t i = 0; i < CODE_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The municipality whose code starts as code does, or NULL. */
static const char *municipality_of(const char *code)
{
	for (size_t i = 0; i < N_MUNICIPALITIES; i++)
		if (strncmp(code, municipalities[i].prefix, 2) == 0)
			return municipalities[i].name;
	return NULL;
}

/* Whether digits [at, at+2) of code are "00". */
static int zero_pair(const char *code, size_t at)
{
	return code[at] == '0' && code[at + 1] == '0';
}

__attribute__((format(printf, 3, 4))) static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return JD_E_INVALID;
}

static int check_province_tier(const char *code, const char *level, char *why, size_t len)
{
	const char *m = municipality_of(code);

	if (zero_pair(code, 0) || !zero_pair(code, 2) || !zero_pair(code, 4))
		return refuse(why, len,
			      "field 'code': a %s's code is its two digits then 0000 (e.g. "
			      "510000), not '%s'",
			      level, code);
	if (strcmp(level, "municipality") == 0 && m == NULL)
		return refuse(why, len,
			      "field 'code': '%s' is not a municipality's: they are Beijing "
			      "110000, Tianjin 120000, Shanghai 310000 and Chongqing 500000",
			      code);
	if (strcmp(level, "province") == 0 && m != NULL)
		return refuse(why, len,
			      "field 'level': '%s' is the code of %s, a province-level "
			      "municipality (直辖市): use level municipality",
			      code, m);
	return JD_OK;
}

int jd_division_code_check(const char *code, const char *level, char *why, size_t len)
{
	int tier = jd_division_tier(level);
	const char *m;

	if (!is_code(code) || tier < 0)
		return refuse(why, len, "field 'code': '%s' at level '%s' is not a division", code,
			      level ? level : "");
	if (tier == JD_TIER_PROVINCE)
		return check_province_tier(code, level, why, len);
	if (zero_pair(code, 0) || zero_pair(code, 2))
		return refuse(why, len,
			      "field 'code': '%s' is a province's code (xx0000), not a %s's", code,
			      level);
	m = municipality_of(code);
	if (tier == JD_TIER_PREFECTURE && m != NULL)
		return refuse(why, len,
			      "field 'level': '%s' lies in %s, a municipality: its districts and "
			      "counties sit directly under it, with no city between",
			      code, m);
	if (tier == JD_TIER_PREFECTURE && !zero_pair(code, 4))
		return refuse(why, len,
			      "field 'code': a city's code is its prefecture's four digits then "
			      "00 (e.g. 510600), not '%s'",
			      code);
	if (tier == JD_TIER_PREFECTURE && strncmp(code + 2, PROVINCE_DIRECT, 2) == 0)
		return refuse(why, len,
			      "field 'code': '%s' is in the range xx90xx of the county-level "
			      "units a province administers directly, not a city's",
			      code);
	if (tier == JD_TIER_COUNTY && zero_pair(code, 4))
		return refuse(why, len,
			      "field 'code': '%s' ends in 00, a city's code: a %s's code ends in "
			      "its own two digits (e.g. 510681)",
			      code, level);
	return JD_OK;
}

int jd_division_parent_check(const char *code, const char *level, const char *parent,
			     const char *parent_level, char *why, size_t len)
{
	int tier = jd_division_tier(level), ptier = jd_division_tier(parent_level);
	const char *pl = parent_level ? parent_level : "?";
	int direct = tier == JD_TIER_COUNTY && strcmp(pl, "province") == 0 &&
		     strncmp(code + 2, PROVINCE_DIRECT, 2) == 0;

	if (tier == JD_TIER_PREFECTURE && strcmp(pl, "province") != 0)
		return refuse(why, len,
			      "field 'parent': wrong level: '%s' is a %s, and a city's parent "
			      "must be a province",
			      parent, pl);
	if (tier == JD_TIER_COUNTY && !direct && ptier != JD_TIER_PREFECTURE &&
	    strcmp(pl, "municipality") != 0)
		return refuse(why, len,
			      "field 'parent': wrong level: '%s' is a %s, and a county-level "
			      "tenant's parent must be a city or a municipality (a province only "
			      "for the units it administers directly, coded xx90xx)",
			      parent, pl);
	if (!jd_division_covers(parent, code))
		return refuse(why, len,
			      "field 'parent': the code '%s' does not lie under '%s' (GB/T 2260: "
			      "the first two digits are the province, the next two the prefecture)",
			      code, parent);
	return JD_OK;
}

int jd_division_covers(const char *above, const char *code)
{
	if (above == NULL || code == NULL || *above == '\0')
		return 0;
	if (strcmp(above, code) == 0)
		return 1;
	if (!is_code(above) || !is_code(code) || zero_pair(above, 0))
		return 0;
	if (zero_pair(above, 2) && zero_pair(above, 4))
		return strncmp(above, code, 2) == 0;
	if (zero_pair(above, 4))
		return strncmp(above, code, 4) == 0;
	return 0;
}
