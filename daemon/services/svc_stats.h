/*
 * The statistics query behind the host's stats_query slot: a plugin's
 * counters (svc_counters.h) summed over a range of days, and over the same
 * range a year earlier, for a county or the counties a city or province
 * rolls up, optionally one unit or group of a county.
 *
 * Per county it reads the organization (for the filter and the agencies),
 * then one HMGET per metric and counter hash over the range's buckets
 * (whole months, and the days at the edges), and one per agency when the
 * query counts agencies.  The cost grows with the length of the range and
 * the size of the organization, never with the number of records.
 */
#ifndef JD_SVC_STATS_H
#define JD_SVC_STATS_H

#include <stddef.h>

#include <jiandu/plugin.h>

struct jd_server;

/* As the host's stats_query slot (include/jiandu/plugin.h). */
int jd_stats_query(struct jd_server *srv, const struct jd_stats_query *q, jd_stats_cb cb, void *arg,
		   char *err, size_t errlen);

#endif
