/* Calendar dates of the organization's records (org_date.h). */
#include "org/org_date.h"

#include "services/svc_dates.h"
#include "transport/request.h"

long jd_org_date_score(const char *s)
{
	jd_day d;

	return jd_day_parse_since(s, 1900, &d) == JD_OK ? jd_day_number(d) : 0;
}

int jd_org_date_check(jd_req *req, const char *field, const char *s)
{
	long score = jd_org_date_score(s);

	if (score == 0) {
		jd_reply_error(req, 400, "invalid",
			       "field '%s' must be a date YYYY-MM-DD, not '%.16s'", field,
			       s ? s : "");
		return JD_E_INVALID;
	}
	if (score > jd_day_number(jd_day_today())) {
		jd_reply_error(req, 400, "invalid", "field '%s': %s is in the future", field, s);
		return JD_E_INVALID;
	}
	return JD_OK;
}
