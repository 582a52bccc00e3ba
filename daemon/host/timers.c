#include "host/timers.h"

#include <stdlib.h>

#include <event2/event.h>

static void unlink_timer(struct jd_timer *t)
{
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		*t->list = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
}

static void free_timer(struct jd_timer *t)
{
	unlink_timer(t);
	event_free(t->ev);
	free(t);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct jd_timer *t = arg;
	jd_timer_cb cb = t->cb;
	void *cbarg = t->arg;

	(void)fd;
	(void)what;
	if (!t->repeat)
		free_timer(t); /* before the callback, which may add timers */
	cb(cbarg);
}

uint64_t jd_timer_add(struct event_base *base, struct jd_timer **list, unsigned ms, int repeat,
		      jd_timer_cb cb, void *arg)
{
	static uint64_t next_id;
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
	struct jd_timer *t;

	if (cb == NULL || (repeat && ms == 0))
		return 0;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return 0;
	t->ev = event_new(base, -1, repeat ? EV_PERSIST : 0, on_timer, t);
	if (t->ev == NULL || event_add(t->ev, &tv) != 0) {
		if (t->ev != NULL)
			event_free(t->ev);
		free(t);
		return 0;
	}
	t->id = ++next_id;
	t->cb = cb;
	t->arg = arg;
	t->repeat = repeat;
	t->list = list;
	t->next = *list;
	if (*list != NULL)
		(*list)->prev = t;
	*list = t;
	return t->id;
}

int jd_timer_cancel(struct jd_timer **list, uint64_t id)
{
	for (struct jd_timer *t = *list; t != NULL; t = t->next) {
		if (t->id == id) {
			free_timer(t);
			return JD_OK;
		}
	}
	return JD_E_NOTFOUND;
}

void jd_timer_cancel_all(struct jd_timer **list)
{
	while (*list != NULL)
		free_timer(*list);
}
