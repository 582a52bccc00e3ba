/* Prometheus text exposition of the daemon's counters (GET /metrics, control only). */
#ifndef JD_METRICS_H
#define JD_METRICS_H

#include <stddef.h>

#include "transport/router.h"

struct jd_server;

void jd_metrics_observe(struct jd_route_stats *s, int status, double seconds);
/* Requests that matched no route (404, 405, 400 before routing). */
struct jd_route_stats *jd_metrics_unmatched(void);
/* Malloc'd text; NULL on memory failure. */
char *jd_metrics_render(struct jd_server *srv, size_t *len);

#endif
