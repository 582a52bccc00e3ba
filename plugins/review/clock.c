/*
 * The one-month clock (审理期限): it starts on acceptance, is due a
 * calendar month later (the 31st of a shorter month is its last day),
 * moves once by an approved extension, and pauses while a supplementary
 * investigation runs: the days paused are added to the due date when the
 * case comes back.  It is the deadline "review:<id>#clock" of the plugin's
 * index, so the host's sweep publishes review.due_soon and review.overdue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

jd_day clock_month_after(jd_day d)
{
	long n = host->day_number(d), y = n / 10000, mo = n % 10000 / 100, day = n % 100;
	jd_day out = -1;

	if (++mo > 12) {
		mo = 1;
		y++;
	}
	/* the same day next month, or that month's last day */
	for (; day >= 28 && out < 0; day--) {
		char s[48];

		snprintf(s, sizeof(s), "%04ld-%02ld-%02ld", y, mo, day);
		if (host->day_parse(s, &out) != JD_OK)
			out = -1;
	}
	if (out < 0)
		out = host->day_from_number(y * 10000 + mo * 100 + day);
	return out;
}

void clock_put(struct rctx *c, jd_day due)
{
	char s[11];

	host->day_format(due, s);
	host->deadline_put(&review_machine, c->m, c->id, "clock", due);
	host->mut_set(c->m, "clock_due", s);
}

void clock_drop(struct rctx *c)
{
	host->deadline_drop(&review_machine, c->m, c->id, "clock");
}

long clock_days(const json_t *rec, jd_day completed)
{
	jd_day accepted;

	if (host->day_parse(jstr(rec, "accepted", ""), &accepted) != JD_OK)
		return -1;
	return (long)(completed - accepted) - atol(jstr(rec, "paused_days", ""));
}
