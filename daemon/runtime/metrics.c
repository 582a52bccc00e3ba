#include "runtime/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "audit/audit_log.h"
#include "audit/audit_refusals.h"
#include "host/bus.h"
#include "host/events.h"
#include "transport/error_pages.h"
#include "transport/listener.h"
#include "transport/read_gate.h"
#include "storage/redis.h"
#include "transport/server.h"

#define N_BUCKETS (sizeof(jd_latency_buckets) / sizeof(jd_latency_buckets[0]))

static struct jd_route_stats unmatched;

struct jd_route_stats *jd_metrics_unmatched(void)
{
	return &unmatched;
}

void jd_metrics_observe(struct jd_route_stats *s, int status, double seconds)
{
	unsigned cls = (unsigned)status / 100;

	if (cls >= 1 && cls <= 5)
		s->by_status[cls]++;
	s->count++;
	s->seconds_sum += seconds;
	for (size_t i = 0; i < N_BUCKETS; i++)
		if (seconds <= jd_latency_buckets[i])
			s->buckets[i]++;
}

static void route_labels(char *buf, size_t len, const struct jd_route_entry *e)
{
	if (e == NULL)
		snprintf(buf, len, "method=\"\",route=\"unmatched\"");
	else
		snprintf(buf, len, "method=\"%s\",route=\"%s\"", e->route.method, e->route.path);
}

/*
 * The Prometheus text format wants each family's samples together: the
 * counts of every route, then the histogram of every route, never the two
 * families interleaved route by route.
 */
static void render_route_counts(struct evbuffer *b, const struct jd_route_entry *e,
				const struct jd_route_stats *s)
{
	char labels[300];

	if (s->count == 0)
		return;
	route_labels(labels, sizeof(labels), e);
	for (unsigned c = 1; c <= 5; c++)
		if (s->by_status[c])
			evbuffer_add_printf(b,
					    "jiandu_http_requests_total{%s,code=\"%uxx\"} %llu\n",
					    labels, c, (unsigned long long)s->by_status[c]);
}

static void render_route_histogram(struct evbuffer *b, const struct jd_route_entry *e,
				   const struct jd_route_stats *s)
{
	char labels[300];

	if (s->count == 0)
		return;
	route_labels(labels, sizeof(labels), e);
	for (size_t i = 0; i < N_BUCKETS; i++)
		evbuffer_add_printf(b,
				    "jiandu_http_request_duration_seconds_bucket{%s,le=\"%g\"} "
				    "%llu\n",
				    labels, jd_latency_buckets[i],
				    (unsigned long long)s->buckets[i]);
	evbuffer_add_printf(b, "jiandu_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n",
			    labels, (unsigned long long)s->count);
	evbuffer_add_printf(b, "jiandu_http_request_duration_seconds_sum{%s} %.6f\n", labels,
			    s->seconds_sum);
	evbuffer_add_printf(b, "jiandu_http_request_duration_seconds_count{%s} %llu\n", labels,
			    (unsigned long long)s->count);
}

typedef void (*route_render_fn)(struct evbuffer *, const struct jd_route_entry *,
				const struct jd_route_stats *);

static void render_routes(struct evbuffer *b, struct jd_server *srv, route_render_fn fn)
{
	for (size_t i = 0; i < jd_router_count(srv->router); i++) {
		struct jd_route_entry *e = jd_router_at(srv->router, i);

		fn(b, e, &e->stats);
	}
	fn(b, NULL, &unmatched);
}

static void render_http(struct evbuffer *b, struct jd_server *srv)
{
	evbuffer_add_printf(b, "# HELP jiandu_http_requests_total Requests by route and status "
			       "class.\n# TYPE jiandu_http_requests_total counter\n");
	render_routes(b, srv, render_route_counts);
	evbuffer_add_printf(b, "# HELP jiandu_http_request_duration_seconds Time from dispatch "
			       "to reply.\n# TYPE jiandu_http_request_duration_seconds "
			       "histogram\n");
	render_routes(b, srv, render_route_histogram);
	evbuffer_add_printf(b,
			    "# HELP jiandu_http_requests_in_flight Requests not yet "
			    "answered.\n# TYPE jiandu_http_requests_in_flight gauge\n"
			    "jiandu_http_requests_in_flight %u\n",
			    srv->in_flight);
}

static void render_listeners(struct evbuffer *b, struct jd_server *srv)
{
	const struct jd_listener *ls[2] = {srv->control, srv->api};

	evbuffer_add_printf(b, "# HELP jiandu_connections Open connections.\n"
			       "# TYPE jiandu_connections gauge\n");
	for (size_t i = 0; i < 2; i++)
		if (ls[i] != NULL)
			evbuffer_add_printf(b, "jiandu_connections{listener=\"%s\"} %u\n",
					    ls[i]->name, ls[i]->conns);
	evbuffer_add_printf(b, "# HELP jiandu_connections_accepted_total Connections accepted.\n"
			       "# TYPE jiandu_connections_accepted_total counter\n");
	for (size_t i = 0; i < 2; i++)
		if (ls[i] != NULL)
			evbuffer_add_printf(b,
					    "jiandu_connections_accepted_total{listener=\"%s\"} "
					    "%llu\n",
					    ls[i]->name, (unsigned long long)ls[i]->accepted);
}

static void render_redis(struct evbuffer *b, struct jd_server *srv)
{
	const struct jd_redis_stats *s;

	if (srv->redis == NULL)
		return;
	s = jd_redis_stats(srv->redis);
	evbuffer_add_printf(b,
			    "# HELP jiandu_redis_up 1 when connected to Redis.\n"
			    "# TYPE jiandu_redis_up gauge\njiandu_redis_up %d\n",
			    jd_redis_state(srv->redis) == JD_REDIS_OK);
	evbuffer_add_printf(b,
			    "# HELP jiandu_redis_commands_total Redis round trips started.\n"
			    "# TYPE jiandu_redis_commands_total counter\n"
			    "jiandu_redis_commands_total %llu\n",
			    (unsigned long long)s->commands);
	evbuffer_add_printf(b,
			    "# HELP jiandu_redis_replies_total Redis replies received.\n"
			    "# TYPE jiandu_redis_replies_total counter\n"
			    "jiandu_redis_replies_total %llu\n"
			    "# HELP jiandu_redis_errors_total Error replies from Redis.\n"
			    "# TYPE jiandu_redis_errors_total counter\n"
			    "jiandu_redis_errors_total %llu\n"
			    "# HELP jiandu_redis_timeouts_total Commands past command_timeout_ms.\n"
			    "# TYPE jiandu_redis_timeouts_total counter\n"
			    "jiandu_redis_timeouts_total %llu\n"
			    "# HELP jiandu_redis_failed_total Commands failed without a reply.\n"
			    "# TYPE jiandu_redis_failed_total counter\n"
			    "jiandu_redis_failed_total %llu\n"
			    "# HELP jiandu_redis_connects_total Connections made to Redis.\n"
			    "# TYPE jiandu_redis_connects_total counter\n"
			    "jiandu_redis_connects_total %llu\n",
			    (unsigned long long)s->replies, (unsigned long long)s->errors,
			    (unsigned long long)s->timeouts, (unsigned long long)s->failed,
			    (unsigned long long)s->connects);
	evbuffer_add_printf(b,
			    "# HELP jiandu_redis_refused_total Error replies meaning Redis cannot "
			    "serve for now (LOADING, BUSY, READONLY...): answered 503.\n"
			    "# TYPE jiandu_redis_refused_total counter\n"
			    "jiandu_redis_refused_total %llu\n",
			    (unsigned long long)s->refused);
}

/* Durable events: gauges as of the last sweep (events.sweep_ms), counters of this process. */
static void render_events(struct evbuffer *b, struct jd_server *srv)
{
	struct jd_events_totals t;

	if (srv->events == NULL)
		return;
	jd_events_totals(srv->events, &t);
	evbuffer_add_printf(b, "# HELP jiandu_events_backlog Durable events a group has not "
			       "acknowledged (pending and undelivered), over all tenants.\n"
			       "# TYPE jiandu_events_backlog gauge\n");
	for (size_t i = 0; i < t.n_groups; i++)
		evbuffer_add_printf(b, "jiandu_events_backlog{group=\"%s\"} %lld\n", t.g[i].name,
				    t.g[i].backlog);
	evbuffer_add_printf(b,
			    "# HELP jiandu_events_pending Durable events delivered to a consumer "
			    "and not acknowledged.\n# TYPE jiandu_events_pending gauge\n");
	for (size_t i = 0; i < t.n_groups; i++)
		evbuffer_add_printf(b, "jiandu_events_pending{group=\"%s\"} %lld\n", t.g[i].name,
				    t.g[i].pending);
	evbuffer_add_printf(b,
			    "# HELP jiandu_events_oldest_pending_seconds Age of the oldest event "
			    "a group has not acknowledged.\n"
			    "# TYPE jiandu_events_oldest_pending_seconds gauge\n");
	for (size_t i = 0; i < t.n_groups; i++)
		evbuffer_add_printf(b, "jiandu_events_oldest_pending_seconds{group=\"%s\"} %.3f\n",
				    t.g[i].name, (double)t.g[i].oldest_ms / 1000.0);
	evbuffer_add_printf(
	    b,
	    "# HELP jiandu_events_dead_letters Events in the dead letters, over "
	    "all tenants.\n# TYPE jiandu_events_dead_letters gauge\n"
	    "jiandu_events_dead_letters %lld\n"
	    "# HELP jiandu_events_handled_total Durable events handled by this process.\n"
	    "# TYPE jiandu_events_handled_total counter\n"
	    "jiandu_events_handled_total %llu\n"
	    "# HELP jiandu_events_failed_total Durable event deliveries that failed here.\n"
	    "# TYPE jiandu_events_failed_total counter\n"
	    "jiandu_events_failed_total %llu\n"
	    "# HELP jiandu_events_dead_lettered_total Durable events this process dead-lettered.\n"
	    "# TYPE jiandu_events_dead_lettered_total counter\n"
	    "jiandu_events_dead_lettered_total %llu\n",
	    t.dead, t.handled, t.failed, t.dead_lettered);
}

char *jd_metrics_render(struct jd_server *srv, size_t *len)
{
	struct evbuffer *b = evbuffer_new();
	char *out = NULL;

	if (b == NULL)
		return NULL;
	render_http(b, srv);
	render_listeners(b, srv);
	render_redis(b, srv);
	evbuffer_add_printf(b,
			    "# HELP jiandu_events_published_total Notices published on the "
			    "in-memory bus (not durable).\n"
			    "# TYPE jiandu_events_published_total counter\n"
			    "jiandu_events_published_total %llu\n",
			    jd_bus_published(srv->bus));
	render_events(b, srv);
	evbuffer_add_printf(b,
			    "# HELP jiandu_audit_refusals_dropped_total Refused requests not "
			    "audited: over the per-source or total cap a minute.\n"
			    "# TYPE jiandu_audit_refusals_dropped_total counter\n"
			    "jiandu_audit_refusals_dropped_total %llu\n",
			    jd_audit_refusals_dropped());
	evbuffer_add_printf(b,
			    "# HELP jiandu_audit_head_moved_back_total Audit chain heads found in "
			    "Redis behind the anchor (a cut tail): writes refused.\n"
			    "# TYPE jiandu_audit_head_moved_back_total counter\n"
			    "jiandu_audit_head_moved_back_total %llu\n"
			    "# HELP jiandu_audit_tenants_held Tenants whose audited writes are "
			    "refused until an administrator accepts their head.\n"
			    "# TYPE jiandu_audit_tenants_held gauge\n"
			    "jiandu_audit_tenants_held %llu\n"
			    "# HELP jiandu_audit_backlog_refused_total Requests answered 503: "
			    "their tenant's audit queue was full.\n"
			    "# TYPE jiandu_audit_backlog_refused_total counter\n"
			    "jiandu_audit_backlog_refused_total %llu\n"
			    "# HELP jiandu_audit_waiting Audit entries waiting for their tenant's "
			    "turn.\n"
			    "# TYPE jiandu_audit_waiting gauge\n"
			    "jiandu_audit_waiting %llu\n"
			    "# HELP jiandu_audit_reads_merged_total Sealed-read audit entries "
			    "merged into a waiting entry of the same caller (no chain step of "
			    "their own).\n"
			    "# TYPE jiandu_audit_reads_merged_total counter\n"
			    "jiandu_audit_reads_merged_total %llu\n",
			    jd_audit_log_moved_back_total(), jd_audit_log_held_now(),
			    jd_audit_log_backlog_refused_total(), jd_audit_log_waiting_now(),
			    jd_audit_log_reads_merged_total());
	evbuffer_add_printf(b,
			    "# HELP jiandu_reads_waiting Authenticated GET requests waiting for "
			    "a place while writes are in progress (limits.reads_in_flight).\n"
			    "# TYPE jiandu_reads_waiting gauge\n"
			    "jiandu_reads_waiting %u\n"
			    "# HELP jiandu_reads_held_total Authenticated GET requests that "
			    "waited for a place so that writes went first.\n"
			    "# TYPE jiandu_reads_held_total counter\n"
			    "jiandu_reads_held_total %llu\n",
			    jd_read_gate_waiting(srv->reads), jd_read_gate_held_total(srv->reads));
	evbuffer_add_printf(b,
			    "# HELP jiandu_http_error_pages_rewritten_total Requests libevent "
			    "refused by itself (malformed, too large) answered with our JSON "
			    "error instead of its HTML page.\n"
			    "# TYPE jiandu_http_error_pages_rewritten_total counter\n"
			    "jiandu_http_error_pages_rewritten_total %llu\n",
			    jd_error_pages_rewritten_total());
	/* with workers = N each answers for itself: a scraper sums by pid (docs/operations.md) */
	evbuffer_add_printf(b,
			    "# HELP jiandu_worker The process that answered: its worker slot "
			    "(1..workers; 0 alone) and pid; every other figure is its own.\n"
			    "# TYPE jiandu_worker gauge\n"
			    "jiandu_worker{slot=\"%u\",pid=\"%ld\"} 1\n",
			    srv->worker, (long)getpid());
	*len = evbuffer_get_length(b);
	out = malloc(*len + 1);
	if (out != NULL) {
		evbuffer_remove(b, out, *len);
		out[*len] = '\0';
	}
	evbuffer_free(b);
	return out;
}
