/*
 * Redis Sentinel: where the master is.  jiandud asks the sentinels
 * (SENTINEL get-master-addr-by-name, one sentinel after another until one
 * names the master), steers the store's connection there before each
 * (re)connection, checks with ROLE that the server is the master, and asks
 * again when the connection is lost, a reply says READONLY, or a sentinel
 * publishes +switch-master.  Nothing here blocks the loop: the sentinels
 * are two jd_redis connections of their own.  See docs/operations.md,
 * "Redis Sentinel".
 */
#ifndef JD_SENTINEL_H
#define JD_SENTINEL_H

#include <stddef.h>

struct event_base;
struct jd_redis;
struct jd_redis_opts;
struct jd_sentinel;

/* "host:port,host:port,...": JD_OK or JD_E_INVALID with the reason in err. */
int jd_sentinel_list_check(const char *list, char *err, size_t errlen);

/*
 * Starts asking the sentinels of list for master_name, and connects to the
 * master with o's timeouts (o->url and o->target are ignored).  The master
 * connection is jd_sentinel_master(); NULL on bad options (logged).
 */
struct jd_sentinel *jd_sentinel_new(struct event_base *base, const char *list,
				    const char *master_name, const struct jd_redis_opts *o);
/* The connection to the master; owned by s. */
struct jd_redis *jd_sentinel_master(const struct jd_sentinel *s);
/* Changes the timeouts of the master and sentinel connections (SIGHUP). */
void jd_sentinel_set_timeouts(struct jd_sentinel *s, const struct jd_redis_opts *o);
/* Frees the master connection too: free what uses it first. */
void jd_sentinel_free(struct jd_sentinel *s);

#endif
