/*
 * Readiness: whether this process can serve requests that need the store
 * now.  A timer probes Redis without ever blocking the loop (the store's
 * write-path probe: a small SET and SCRIPT EXISTS), every second while
 * ready and every 200 ms while not or after a reconnection; a new
 * connection is not ready until a probe on it succeeded.  See docs/operations.md, "Health".
 */
#ifndef JD_READINESS_H
#define JD_READINESS_H

#include <stddef.h>

struct event_base;
struct jd_redis;
struct jd_store;
struct jd_readiness;

/* The first probe goes out at once.  NULL when out of memory. */
struct jd_readiness *jd_readiness_new(struct event_base *base, struct jd_redis *r,
				      struct jd_store *s);
/* Call before freeing the store; a probe in flight ends harmlessly. */
void jd_readiness_free(struct jd_readiness *rd);
/* 1 when ready; otherwise 0 with the reason in why. */
int jd_readiness_ready(const struct jd_readiness *rd, char *why, size_t len);

#endif
