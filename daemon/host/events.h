/*
 * Durable events between plugins (docs/plugins.md "Events"): the
 * transactional outbox.  A mutation's events are XADDed to its tenant's
 * stream by the store's script; here each subscribing plugin reads every
 * tenant's stream through its own consumer group (the group is the
 * plugin's name), hands each event to its handler, and acknowledges it
 * once the handler's mutation (keyed by the event) is applied.
 *
 * The Redis connection is the shared one and nothing blocks on it: lanes
 * (a tenant and a group) are polled with XREADGROUP ... COUNT n from a
 * timer, and at once after a local mutation that published.  A sweep
 * discovers tenants (the registry "jd:{_sys}:events:tenants", added to
 * before a tenant's first publishing mutation), claims what dead
 * consumers left pending (XAUTOCLAIM), trims and counts.
 */
#ifndef JD_EVENTS_H
#define JD_EVENTS_H

#include <jiandu/plugin.h>

#include "host/events_stats.h"

struct event_base;
struct jd_redis;
struct jd_store;
struct jd_events;

/* The registry of tenants with an event stream: a set of the system tenant. */
#define JD_EVENTS_REGISTRY "jd:{_sys}:events:tenants"

struct jd_events_opts {
	unsigned poll_ms;	/* between two polls of the lanes */
	unsigned sweep_ms;	/* between two sweeps (discover, claim, trim, count) */
	unsigned claim_idle_ms; /* a pending entry idle this long is claimed */
	unsigned max_attempts;	/* deliveries before an event is dead-lettered */
	unsigned batch;		/* entries read at once per lane */
};

struct jd_events *jd_events_new(struct event_base *base, struct jd_redis *r, struct jd_store *s,
				const struct jd_events_opts *o);
/* Timers start: the first sweep and poll run as soon as the loop does. */
int jd_events_start(struct jd_events *e);
/* Before the store and its connection go: no new work; what is in flight is dropped. */
void jd_events_stop(struct jd_events *e);
/* After jd_redis_free (every callback has run). */
void jd_events_free(struct jd_events *e);

/*
 * A plugin's handler for event `name`; group is the plugin's name, owner
 * its handle.  Before jd_events_start only (JD_E_INVALID after).
 */
int jd_events_subscribe(struct jd_events *e, void *owner, const char *group, const char *name,
			jd_event_handler cb, void *arg);
/* Drops owner's handlers (a plugin whose init failed). */
void jd_events_forget(struct jd_events *e, const void *owner);

/*
 * A plugin's mutation that publishes events (m->events) or handles one
 * (m->cause, which must be an event given to owner): registers the
 * tenant, keys the mutation by the event, acknowledges the event when it
 * is applied and polls the tenant's lanes after it published.  With
 * m->cause, the event is finished whatever this returns.  Returns as
 * jd_store_mutate.
 */
int jd_events_mutate(struct jd_events *e, void *owner, const char *publisher,
		     const struct jd_mutation *m, jd_mutate_cb cb, void *arg);
/* event_done: finishes ev (given to owner): JD_OK acknowledges it, an error counts a failure. */
void jd_events_done(struct jd_events *e, const void *owner, const struct jd_event *ev, int rc);

/* What the last sweep counted, for metrics and `jianductl events list`. */
struct jd_events_totals {
	size_t n_groups;
	struct jd_events_group_stats g[JD_EVENTS_GROUPS_MAX]; /* summed over tenants; oldest: max */
	long long dead;
	unsigned long long handled, failed, dead_lettered; /* by this process */
};
void jd_events_totals(const struct jd_events *e, struct jd_events_totals *out);
/* The tenants known (registry and local), for listing; i < count. */
size_t jd_events_tenant_count(const struct jd_events *e);
const char *jd_events_tenant_at(const struct jd_events *e, size_t i);
/* The tenant's counts from the last sweep, or NULL. */
const struct jd_events_tenant_stats *jd_events_tenant_last(const struct jd_events *e, size_t i);
struct jd_redis *jd_events_redis(const struct jd_events *e);

#endif
