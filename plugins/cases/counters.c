/*
 * The figures, kept in the same atomic mutation as each change they count
 * (docs/cases.md, "Counters"): the metrics each event makes, bucketed by
 * the event's own date (received, disposed, filed, decided).  The host
 * keeps them (counter_add: "cnt:t", "cnt:u:<unit>", "cnt:units") and sums
 * them (stats_query).  recount.c rebuilds the same fields from the records
 * through these same functions.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

static void cnt_add(struct jd_mut *m, const char *unit, const char *metric, jd_day d, long long by)
{
	host->counter_add(m, &cases_counters, unit, metric, d, by);
}

/* metric "<base>.<arg>" */
static void cnt_sub(struct jd_mut *m, const char *unit, const char *base, const char *arg, jd_day d,
		    int sign)
{
	char metric[64];

	snprintf(metric, sizeof(metric), "%s.%s", base, arg);
	cnt_add(m, unit, metric, d, sign);
}

void cnt_lead_received(struct jd_mut *m, const char *unit, const char *source, jd_day d, int sign)
{
	cnt_add(m, unit, "received", d, sign);
	cnt_sub(m, unit, "received", source, d, sign);
}

void cnt_lead_disposed(struct jd_mut *m, const char *unit, const char *way, jd_day d, int sign)
{
	cnt_add(m, unit, "disposed", d, sign);
	cnt_sub(m, unit, "disposed", way, d, sign);
}

void cnt_case_filed(struct jd_mut *m, const char *unit, int self_handled, jd_day d, int sign)
{
	cnt_add(m, unit, "filed", d, sign);
	if (self_handled)
		cnt_add(m, unit, "filed.self", d, sign);
}

int case_self_handled(const char *filing_kind, const char *filing, const char *handling,
		      const char *joint)
{
	return filing_kind != NULL && strcmp(filing_kind, "agency") == 0 && filing != NULL &&
	       *filing != '\0' && handling != NULL && strcmp(filing, handling) == 0 &&
	       (joint == NULL || *joint == '\0');
}

const char *case_filing_kind(const char *kept, const json_t *org, const char *filing)
{
	if (kept != NULL && *kept != '\0')
		return kept;
	return json_string_value(json_object_get(
	    json_object_get(json_object_get(org, "units"), filing ? filing : ""), "kind"));
}

static int sanctioned(const char *s)
{
	return s != NULL && s[0] != '\0' && strcmp(s, "none") != 0;
}

/* A person with a party or a government sanction (or both) counts once in "sanctioned". */
void cnt_decision(struct jd_mut *m, const char *unit, const char *party, const char *gov,
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
