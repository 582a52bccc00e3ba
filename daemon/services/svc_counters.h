/*
 * Counters bucketed by day and month (the host's counter_add slot and the
 * statistics and recount that read them).  Each event adds, in the same
 * mutation as the change it counts, to four hash fields:
 *
 *   <prefix>:t          "<metric>|YYYYMMDD" and "<metric>|YYYYMM"   the tenant
 *   <prefix>:u:<unit>   the same two fields                         the unit
 *
 * bucketed by the event's own date, so a query over a range reads whole
 * months and the days at its edges: its cost grows with the length of the
 * range, never with the number of records.  "<prefix>:units" is the set of
 * units that have counters.
 */
#ifndef JD_SVC_COUNTERS_H
#define JD_SVC_COUNTERS_H

#include <stddef.h>

#include <jiandu/plugin.h>

void jd_counter_add(struct jd_mut *m, const struct jd_counters *c, const char *unit,
		    const char *metric, jd_day d, long long by);
/* "<prefix>:t" */
void jd_counter_key_tenant(const struct jd_counters *c, char *out, size_t len);
/* "<prefix>:u:<unit>" */
void jd_counter_key_unit(const struct jd_counters *c, const char *unit, char *out, size_t len);
/* "<prefix>:units" */
void jd_counter_key_units(const struct jd_counters *c, char *out, size_t len);

#endif
