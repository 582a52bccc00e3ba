/*
 * One tenant's event stream as its consumer groups see it: backlog,
 * oldest unacknowledged age, dead letters; and the trim that never drops
 * an entry some group has not acknowledged (docs/plugins.md "Events").
 */
#ifndef JD_EVENTS_STATS_H
#define JD_EVENTS_STATS_H

#include <jiandu/plugin.h>

struct jd_redis;

#define JD_EVENTS_GROUPS_MAX 32
#define JD_EVENTS_GROUP_MAX  33 /* a plugin name (32) and its NUL */
/* The tenant's keys besides the stream (JD_STORE_EVENTS_KEY): */
#define JD_EVENTS_DEAD_KEY  "events:dead"  /* a stream of dead letters */
#define JD_EVENTS_TRIES_KEY "events:tries" /* hash "<group> <entry id>" -> deliveries */

struct jd_events_group_stats {
	char name[JD_EVENTS_GROUP_MAX];
	long long pending;   /* delivered to a consumer, not acknowledged */
	long long backlog;   /* pending and not yet delivered */
	long long oldest_ms; /* age of the oldest of those; 0 when none */
};

struct jd_events_tenant_stats {
	size_t n_groups;
	struct jd_events_group_stats g[JD_EVENTS_GROUPS_MAX];
	long long length;  /* entries in the stream (after the trim) */
	long long dead;	   /* dead letters */
	long long trimmed; /* entries the trim removed */
};

/* st is valid during the call, NULL unless rc is JD_OK. */
typedef void (*jd_events_stats_cb)(int rc, const struct jd_events_tenant_stats *st, void *arg);

/*
 * Reads the stats of tenant's stream in one script and, with trim, trims
 * it first (XTRIM MINID): to the oldest entry some group still has
 * pending or has not been delivered; nothing when the stream has no
 * group.  With trim and forget_idle_ms > 0, it also forgets the consumers
 * (former processes) with nothing pending idle longer than that.  JD_OK:
 * cb runs exactly once, later.  Otherwise cb does not run.
 */
int jd_events_tenant_stats(struct jd_redis *r, const char *tenant, int trim,
			   unsigned forget_idle_ms, jd_events_stats_cb cb, void *arg);

#endif
