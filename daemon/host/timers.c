#include "host/timers.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "storage/lease.h"

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
	free(t->lease);
	free(t);
}

static struct jd_timer *find(struct jd_timer **list, uint64_t id)
{
	for (struct jd_timer *t = *list; t != NULL; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

/* A leased tick in flight names its timer by id: it may be cancelled meanwhile. */
struct leased_tick {
	struct jd_timer **list;
	uint64_t id;
};

static void on_lease(int held, void *arg)
{
	struct leased_tick *lt = arg;
	struct jd_timer *t = held ? find(lt->list, lt->id) : NULL;

	free(lt);
	if (t != NULL)
		t->cb(t->arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct jd_timer *t = arg;
	jd_timer_cb cb = t->cb;
	void *cbarg = t->arg;

	(void)fd;
	(void)what;
	if (t->lease != NULL && jd_lease_on()) {
		struct leased_tick *lt = malloc(sizeof(*lt));

		if (lt == NULL)
			return;
		*lt = (struct leased_tick){t->list, t->id};
		jd_lease_run(t->lease, jd_lease_ttl(t->ms), on_lease, lt);
		return;
	}
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
	t->ms = ms;
	t->list = list;
	t->next = *list;
	if (*list != NULL)
		(*list)->prev = t;
	*list = t;
	return t->id;
}

int jd_timer_cancel(struct jd_timer **list, uint64_t id)
{
	struct jd_timer *t = find(list, id);

	if (t == NULL)
		return JD_E_NOTFOUND;
	free_timer(t);
	return JD_OK;
}

int jd_timer_lease(struct jd_timer **list, uint64_t id, const char *kind)
{
	struct jd_timer *t = find(list, id);
	char *k;

	if (t == NULL || !t->repeat)
		return t == NULL ? JD_E_NOTFOUND : JD_E_INVALID;
	if ((k = strdup(kind)) == NULL)
		return JD_E_NOMEM;
	free(t->lease);
	t->lease = k;
	return JD_OK;
}

void jd_timer_cancel_all(struct jd_timer **list)
{
	while (*list != NULL)
		free_timer(*list);
}
