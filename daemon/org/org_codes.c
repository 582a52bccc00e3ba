/* The forms and small rules shared by the organization's routes, import and models. */
#include "org/org_codes.h"

#include <string.h>

#include "org/org_snapshot.h"

int jd_org_code_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > JD_ORG_CODE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

int jd_org_hex_ok(const char *s, size_t n)
{
	if (s == NULL || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int jd_org_person_id_ok(const char *s)
{
	return jd_org_hex_ok(s, JD_ORG_PERSON_ID_LEN);
}

json_t *jd_org_percent(long long num, long long den)
{
	long long hundredths;

	if (den <= 0 || num < 0)
		return json_null();
	hundredths = (num * 20000 / den + 1) / 2;
	return json_real((double)hundredths / 100.0);
}

int jd_org_active(const json_t *record)
{
	const char *st = jd_snap_str(record, "status");

	/* written before "status" existed: active */
	return *st == '\0' || strcmp(st, "active") == 0;
}
