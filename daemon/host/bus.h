/* The event bus: plugins publish domain events by name; subscribers get them on the loop. */
#ifndef JD_BUS_H
#define JD_BUS_H

#include <jansson.h>
#include <jiandu/plugin.h>

struct event_base;
struct jd_bus;

struct jd_bus *jd_bus_new(struct event_base *base);
/* Drops deliveries not yet made (their payloads are released). */
void jd_bus_free(struct jd_bus *bus);
/* owner: a tag to remove a plugin's subscriptions with jd_bus_unsubscribe_owner. */
int jd_bus_subscribe(struct jd_bus *bus, const void *owner, const char *name, jd_event_cb cb,
		     void *arg);
void jd_bus_unsubscribe_owner(struct jd_bus *bus, const void *owner);
/* Steals payload.  Each subscriber gets it later, from the loop. */
int jd_bus_publish(struct jd_bus *bus, const char *name, json_t *payload);
unsigned long long jd_bus_published(const struct jd_bus *bus);

#endif
