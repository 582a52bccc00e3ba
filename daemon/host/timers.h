/* Timers for plugins: one-shot or repeating, on the loop, cancelled with their plugin. */
#ifndef JD_TIMERS_H
#define JD_TIMERS_H

#include <stdint.h>
#include <jiandu/plugin.h>

struct event_base;

struct jd_timer {
	struct jd_timer *next, *prev;
	struct jd_timer **list; /* the owner's list head */
	struct event *ev;
	jd_timer_cb cb;
	void *arg;
	int repeat;
	unsigned ms;
	char *lease; /* the lease kind a repeating timer runs under (workers), or NULL */
	uint64_t id;
};

/*
 * Ids, not pointers, name timers: a one-shot frees itself when it fires,
 * and a plugin that cancels it afterwards must not touch freed memory.
 * Returns 0 on bad arguments or memory.
 */
uint64_t jd_timer_add(struct event_base *base, struct jd_timer **list, unsigned ms, int repeat,
		      jd_timer_cb cb, void *arg);
/* JD_OK, or JD_E_NOTFOUND when the timer already fired or was cancelled. */
int jd_timer_cancel(struct jd_timer **list, uint64_t id);
void jd_timer_cancel_all(struct jd_timer **list);
/*
 * A repeating timer that must run once per period across worker
 * processes: each tick asks for the lease `kind` (storage/lease.h) and
 * runs only where it is held.  No effect while leases are off.
 */
int jd_timer_lease(struct jd_timer **list, uint64_t id, const char *kind);

#endif
