/* Counters bucketed by day and month (svc_counters.h). */
#include <stdio.h>

#include "services/svc_counters.h"
#include "services/svc_dates.h"
#include "services/svc_mut.h"

void jd_counter_key_tenant(const struct jd_counters *c, char *out, size_t len)
{
	snprintf(out, len, "%s:t", c->prefix);
}

void jd_counter_key_unit(const struct jd_counters *c, const char *unit, char *out, size_t len)
{
	snprintf(out, len, "%s:u:%s", c->prefix, unit);
}

void jd_counter_key_units(const struct jd_counters *c, char *out, size_t len)
{
	snprintf(out, len, "%s:units", c->prefix);
}

void jd_counter_add(struct jd_mut *m, const struct jd_counters *c, const char *unit,
		    const char *metric, jd_day d, long long by)
{
	char fday[96], fmon[96], key[96], b[9], mo[7], v[24];

	if (m == NULL || c == NULL || c->prefix == NULL || metric == NULL) {
		jd_mut_fail(m);
		return;
	}
	jd_day_bucket(d, b);
	jd_month_bucket(d, mo);
	snprintf(fday, sizeof(fday), "%s|%s", metric, b);
	snprintf(fmon, sizeof(fmon), "%s|%s", metric, mo);
	snprintf(v, sizeof(v), "%lld", by);
	jd_counter_key_tenant(c, key, sizeof(key));
	jd_mut_op(m, JD_OP_HINCRBY, key, fday, v);
	jd_mut_op(m, JD_OP_HINCRBY, key, fmon, v);
	if (unit == NULL || unit[0] == '\0')
		return;
	jd_counter_key_unit(c, unit, key, sizeof(key));
	jd_mut_op(m, JD_OP_HINCRBY, key, fday, v);
	jd_mut_op(m, JD_OP_HINCRBY, key, fmon, v);
	jd_counter_key_units(c, key, sizeof(key));
	jd_mut_op(m, JD_OP_SADD, key, unit, NULL);
}
