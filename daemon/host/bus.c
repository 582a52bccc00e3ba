#include "host/bus.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "runtime/log.h"

struct subscription {
	const void *owner;
	char *name;
	jd_event_cb cb;
	void *arg;
};

struct delivery {
	struct delivery *next;
	char *name;
	json_t *payload;
};

struct jd_bus {
	struct event *ev;
	struct subscription *subs;
	size_t n_subs;
	struct delivery *head, *tail;
	unsigned long long published;
};

static void deliver_pending(evutil_socket_t fd, short what, void *arg);

struct jd_bus *jd_bus_new(struct event_base *base)
{
	struct jd_bus *bus = calloc(1, sizeof(*bus));

	if (bus == NULL)
		return NULL;
	bus->ev = event_new(base, -1, 0, deliver_pending, bus);
	if (bus->ev == NULL) {
		free(bus);
		return NULL;
	}
	return bus;
}

static void free_delivery(struct delivery *d)
{
	json_decref(d->payload);
	free(d->name);
	free(d);
}

void jd_bus_free(struct jd_bus *bus)
{
	if (bus == NULL)
		return;
	while (bus->head != NULL) {
		struct delivery *d = bus->head;

		bus->head = d->next;
		free_delivery(d);
	}
	for (size_t i = 0; i < bus->n_subs; i++)
		free(bus->subs[i].name);
	free(bus->subs);
	event_free(bus->ev);
	free(bus);
}

int jd_bus_subscribe(struct jd_bus *bus, const void *owner, const char *name, jd_event_cb cb,
		     void *arg)
{
	struct subscription *n;

	if (name == NULL || *name == '\0' || cb == NULL)
		return JD_E_INVALID;
	n = realloc(bus->subs, (bus->n_subs + 1) * sizeof(*n));
	if (n == NULL)
		return JD_E_NOMEM;
	bus->subs = n;
	n[bus->n_subs].name = strdup(name);
	if (n[bus->n_subs].name == NULL)
		return JD_E_NOMEM;
	n[bus->n_subs].owner = owner;
	n[bus->n_subs].cb = cb;
	n[bus->n_subs].arg = arg;
	bus->n_subs++;
	return JD_OK;
}

void jd_bus_unsubscribe_owner(struct jd_bus *bus, const void *owner)
{
	size_t keep = 0;

	for (size_t i = 0; i < bus->n_subs; i++) {
		if (bus->subs[i].owner == owner)
			free(bus->subs[i].name);
		else
			bus->subs[keep++] = bus->subs[i];
	}
	bus->n_subs = keep;
}

int jd_bus_publish(struct jd_bus *bus, const char *name, json_t *payload)
{
	struct delivery *d;

	if (name == NULL || *name == '\0') {
		json_decref(payload);
		return JD_E_INVALID;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->name = strdup(name)) == NULL) {
		free(d);
		json_decref(payload);
		return JD_E_NOMEM;
	}
	d->payload = payload ? payload : json_object();
	if (bus->tail != NULL)
		bus->tail->next = d;
	else
		bus->head = d;
	bus->tail = d;
	bus->published++;
	if (!event_pending(bus->ev, EV_TIMEOUT, NULL))
		event_active(bus->ev, 0, 0);
	return JD_OK;
}

/* Delivers what was queued before this pass; events published by subscribers wait for the next. */
static void deliver_pending(evutil_socket_t fd, short what, void *arg)
{
	struct jd_bus *bus = arg;
	struct delivery *d = bus->head, *last = bus->tail;

	(void)fd;
	(void)what;
	bus->head = bus->tail = NULL;
	while (d != NULL) {
		struct delivery *next = d->next;
		int stop = (d == last);

		for (size_t i = 0; i < bus->n_subs; i++)
			if (strcmp(bus->subs[i].name, d->name) == 0)
				bus->subs[i].cb(d->name, d->payload, bus->subs[i].arg);
		jd_debug("event delivered", "event=%s", d->name);
		free_delivery(d);
		if (stop)
			break;
		d = next;
	}
}

unsigned long long jd_bus_published(const struct jd_bus *bus)
{
	return bus->published;
}
