/*
 * The figures, kept in the same atomic mutation as each change they count
 * (docs/cases.md, "Counters").  Each event adds to four hash fields:
 *
 *   cnt:t            "<metric>|YYYYMMDD" and "<metric>|YYYYMM"   the tenant
 *   cnt:u:<unit>     the same two fields                         the unit
 *
 * bucketed by the event's own date (received, disposed, filed, decided),
 * so a statistics query over a range reads whole months and the days at
 * its edges: its cost grows with the length of the range, never with the
 * number of records.  "cnt:units" is the set of units that have counters
 * (recount reads it).  recount.c rebuilds the same fields from the records
 * through these same functions.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

void cnt_add(struct mut *m, const char *unit, const char *metric, jd_day d, long long by)
{
	char fday[96], fmon[96], key[80], b[9], mo[7], v[24];

	day_bucket(d, b);
	month_bucket(d, mo);
	snprintf(fday, sizeof(fday), "%s|%s", metric, b);
	snprintf(fmon, sizeof(fmon), "%s|%s", metric, mo);
	snprintf(v, sizeof(v), "%lld", by);
	mut_op(m, JD_OP_HINCRBY, CNT_TENANT, fday, v);
	mut_op(m, JD_OP_HINCRBY, CNT_TENANT, fmon, v);
	if (unit == NULL || unit[0] == '\0')
		return;
	snprintf(key, sizeof(key), CNT_UNIT "%s", unit);
	mut_op(m, JD_OP_HINCRBY, key, fday, v);
	mut_op(m, JD_OP_HINCRBY, key, fmon, v);
	mut_op(m, JD_OP_SADD, CNT_UNITS, unit, NULL);
}

/* metric "<base>.<arg>" */
static void cnt_sub(struct mut *m, const char *unit, const char *base, const char *arg, jd_day d,
		    int sign)
{
	char metric[64];

	snprintf(metric, sizeof(metric), "%s.%s", base, arg);
	cnt_add(m, unit, metric, d, sign);
}

void cnt_lead_received(struct mut *m, const char *unit, const char *source, jd_day d, int sign)
{
	cnt_add(m, unit, "received", d, sign);
	cnt_sub(m, unit, "received", source, d, sign);
}

void cnt_lead_disposed(struct mut *m, const char *unit, const char *way, jd_day d, int sign)
{
	cnt_add(m, unit, "disposed", d, sign);
	cnt_sub(m, unit, "disposed", way, d, sign);
}

void cnt_case_filed(struct mut *m, const char *unit, int self_handled, jd_day d, int sign)
{
	cnt_add(m, unit, "filed", d, sign);
	if (self_handled)
		cnt_add(m, unit, "filed.self", d, sign);
}

static int sanctioned(const char *s)
{
	return s != NULL && s[0] != '\0' && strcmp(s, "none") != 0;
}

/* A person with a party or a government sanction (or both) counts once in "sanctioned". */
void cnt_decision(struct mut *m, const char *unit, const char *party, const char *gov,
		  const char *form, jd_day d, int sign)
{
	if (sanctioned(party))
		cnt_add(m, unit, "sanctioned.party", d, sign);
	if (sanctioned(gov))
		cnt_add(m, unit, "sanctioned.gov", d, sign);
	if (sanctioned(party) || sanctioned(gov))
		cnt_add(m, unit, "sanctioned", d, sign);
	if (form != NULL && form[0] != '\0')
		cnt_sub(m, unit, "form", form, d, sign);
}
