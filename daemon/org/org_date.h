/*
 * Calendar dates of the organization's records ("YYYY-MM-DD"): a person's
 * start, a move, a retirement, a transfer of posts.
 */
#ifndef JD_ORG_DATE_H
#define JD_ORG_DATE_H

#include <jiandu/plugin.h>

/* "YYYY-MM-DD", a real calendar day from 1900: its sort score YYYYMMDD, else 0. */
long jd_org_date_score(const char *s);

/*
 * JD_OK when s is such a day and not after today (local time); otherwise
 * replies (400 naming field, or 500) and returns JD_E_INVALID or JD_ERR.
 */
int jd_org_date_check(jd_req *req, const char *field, const char *s);

#endif
