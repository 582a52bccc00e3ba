/*
 * Reads admitted in bounded number (read_gate.h).
 *
 * The next waiting read is started from a zero-timeout event, never from
 * inside the answer that freed its place: that answer is still unwinding
 * (finish() in request.c), and a chain of starts must not grow the stack.
 */
#include "transport/read_gate.h"

#include <stdlib.h>

#include <event2/event.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"
#include "transport/request.h"
#include "transport/server.h"

enum { GATED_READ = 1, GATED_WRITE = 2 }; /* jd_req.gated */

struct jd_read_gate {
	struct jd_server *srv;
	unsigned running; /* reads past the gate */
	unsigned writes;  /* writes in progress: while there are some, reads are bounded */
	struct jd_req *first, *last; /* waiting, oldest first */
	unsigned waiting;
	unsigned long long held_total;
	struct event *kick;
};

/* Reads may go on now: no write in progress, or fewer than the limit past the gate. */
static int room(const struct jd_read_gate *g)
{
	unsigned max = g->srv->cfg->reads_in_flight;

	return g->writes == 0 || g->running < (max > 0 ? max : 1);
}

/* The oldest read waiting, taken off the queue. */
static struct jd_req *pop_waiting(struct jd_read_gate *g)
{
	struct jd_req *req = g->first;

	g->first = req->gate_next;
	if (g->first == NULL)
		g->last = NULL;
	g->waiting--;
	req->gate_next = NULL;
	return req;
}

static void start_waiting(evutil_socket_t fd, short what, void *arg)
{
	struct jd_read_gate *g = arg;

	(void)fd;
	(void)what;
	while (g->first != NULL && room(g)) {
		struct jd_req *req = pop_waiting(g);

		req->gated = GATED_READ;
		g->running++;
		req->gate_cb(req); /* may answer at once: leave() then runs inside */
	}
}

struct jd_read_gate *jd_read_gate_new(struct jd_server *srv)
{
	struct jd_read_gate *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->srv = srv;
	g->kick = event_new(srv->base, -1, 0, start_waiting, g);
	if (g->kick == NULL) {
		free(g);
		return NULL;
	}
	return g;
}

void jd_read_gate_free(struct jd_read_gate *g)
{
	if (g == NULL)
		return;
	event_free(g->kick);
	free(g);
}

int jd_read_gate_enter(struct jd_read_gate *g, struct jd_req *req, jd_read_gate_cb cb)
{
	if (g == NULL)
		return 1;
	if (room(g) && g->first == NULL) {
		req->gated = GATED_READ;
		g->running++;
		return 1;
	}
	req->gate_cb = cb;
	req->gate_next = NULL;
	if (g->last != NULL)
		g->last->gate_next = req;
	else
		g->first = req;
	g->last = req;
	g->waiting++;
	g->held_total++;
	return 0;
}

void jd_read_gate_write(struct jd_read_gate *g, struct jd_req *req)
{
	if (g == NULL || req->gated)
		return;
	req->gated = GATED_WRITE;
	g->writes++;
}

void jd_read_gate_leave(struct jd_read_gate *g, struct jd_req *req)
{
	if (g == NULL || !req->gated)
		return;
	if (req->gated == GATED_WRITE)
		g->writes--;
	else
		g->running--;
	req->gated = 0;
	if (g->first != NULL && room(g))
		event_active(g->kick, EV_TIMEOUT, 0);
}

void jd_read_gate_refuse_waiting(struct jd_read_gate *g)
{
	while (g != NULL && g->first != NULL)
		jd_reply_error(pop_waiting(g), 503, "unavailable",
			       "the server is stopping; retry later");
}

unsigned jd_read_gate_waiting(const struct jd_read_gate *g)
{
	return g != NULL ? g->waiting : 0;
}

unsigned long long jd_read_gate_held_total(const struct jd_read_gate *g)
{
	return g != NULL ? g->held_total : 0;
}
