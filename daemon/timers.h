/* Timers for plugins: one-shot or repeating, on the loop, cancelled with their plugin. */
#ifndef JD_TIMERS_H
#define JD_TIMERS_H

#include <jiandu/plugin.h>

struct event_base;

struct jd_timer {
	struct jd_timer *next, *prev;
	struct jd_timer **list; /* the owner's list head */
	struct event *ev;
	jd_timer_cb cb;
	void *arg;
	int repeat;
};

/* NULL on bad arguments or memory; a one-shot timer frees itself after it fires. */
struct jd_timer *jd_timer_add(struct event_base *base, struct jd_timer **list, unsigned ms,
			      int repeat, jd_timer_cb cb, void *arg);
void jd_timer_cancel(struct jd_timer *t);
void jd_timer_cancel_all(struct jd_timer **list);

#endif
