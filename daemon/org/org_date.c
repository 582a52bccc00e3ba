/* Calendar dates of the organization's records (org_date.h). */
#include "org/org_date.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transport/request.h"

long jd_org_date_score(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return (long)y * 10000 + m * 100 + d;
}

int jd_org_date_check(jd_req *req, const char *field, const char *s)
{
	time_t now = time(NULL);
	struct tm tm;
	char today[16];

	if (jd_org_date_score(s) == 0) {
		jd_reply_error(req, 400, "invalid",
			       "field '%s' must be a date YYYY-MM-DD, not '%.16s'", field,
			       s ? s : "");
		return JD_E_INVALID;
	}
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(today, sizeof(today), "%Y-%m-%d", &tm) == 0) {
		jd_reply_rc(req, JD_ERR, "date");
		return JD_ERR;
	}
	if (strcmp(s, today) > 0) {
		jd_reply_error(req, 400, "invalid", "field '%s': %s is in the future", field, s);
		return JD_E_INVALID;
	}
	return JD_OK;
}
