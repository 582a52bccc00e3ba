/*
 * Redis Cluster behind one struct jd_redis (redis.c hands over to it when
 * jd_redis_opts.cluster is set): the slot map (CLUSTER SLOTS), one
 * jd_redis connection per node, each command routed by its key's slot
 * and MOVED / ASK redirections followed.  Nobody else needs to know:
 * every key of a tenant shares its hash tag "{tenant}", so every command
 * and script of the daemon names keys of one slot.
 *
 * No CRC16 of our own: the slot of a hash tag is asked of the server
 * (CLUSTER KEYSLOT) once and cached; commands wait for it in order.
 * Commands without a key (PING, SCRIPT LOAD/EXISTS) go to every master.
 * A slot without a reachable master fails its command with
 * JD_E_UNAVAILABLE (HTTP 503), like a lost standalone connection.
 */
#ifndef JD_CLUSTER_H
#define JD_CLUSTER_H

#include <stddef.h>

#include "storage/redis.h"

struct jd_cluster;

/*
 * "host:port,host:port,..." (entries may also be redis:// or rediss://
 * URLs; credentials, TLS and database of the first entry are used for
 * every node found): JD_OK or JD_E_INVALID with a reason in err.
 */
int jd_cluster_seeds_check(const char *seeds, char *err, size_t errlen);

/* Starts connecting to the seeds at once; NULL on bad options (logged). */
struct jd_cluster *jd_cluster_new(struct event_base *base, const struct jd_redis_opts *opts);
/* Fails every waiting command with JD_E_UNAVAILABLE (callbacks run), then frees. */
void jd_cluster_free(struct jd_cluster *c);

/* As jd_redis_command: JD_OK means cb runs exactly once, later. */
int jd_cluster_command(struct jd_cluster *c, int argc, const char **argv, const size_t *argvlen,
		       jd_redis_cb cb, void *arg);
/*
 * hook runs each time a master's connection is set up (or a connected node
 * becomes a master), with facade as its connection: the commands without a
 * key it sends then go to that master only.
 */
void jd_cluster_on_connect(struct jd_cluster *c, struct jd_redis *facade, jd_redis_connect_cb cb,
			   void *arg);

/* connecting until the first slot map; ok while a master answers; down else. */
enum jd_redis_state jd_cluster_state(const struct jd_cluster *c);
/* The sums over every node's connection. */
const struct jd_redis_stats *jd_cluster_stats(struct jd_cluster *c);
/* The first master's refusal ("LOADING ...") or "". */
const char *jd_cluster_refusal(const struct jd_cluster *c);
void jd_cluster_set_timeouts(struct jd_cluster *c, const struct jd_redis_opts *opts);

#endif
