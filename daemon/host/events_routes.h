/* `jianductl events list|show|retry`: the durable events' backlog and dead letters. */
#ifndef JD_EVENTS_ROUTES_H
#define JD_EVENTS_ROUTES_H

#include <stddef.h>

struct jd_server;

int jd_events_routes_register(struct jd_server *srv, char *err, size_t errlen);

#endif
