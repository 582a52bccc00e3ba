/*
 * Failed-authentication limiter, per worker process: a key (a source
 * address or an identity) that fails JD_RL_MAX_FAILURES times within
 * JD_RL_WINDOW_S seconds is refused for JD_RL_BLOCK_S seconds.  A fixed
 * table keyed by SipHash under a random key, so memory is bounded and a
 * client cannot aim collisions at someone else's slot.
 */
#ifndef JD_RATELIMIT_H
#define JD_RATELIMIT_H

#include <time.h>

#define JD_RL_MAX_FAILURES 10
#define JD_RL_WINDOW_S	   300
#define JD_RL_BLOCK_S	   300
#define JD_RL_SLOTS	   4096

/* Seconds the key stays blocked, or 0 when it may try. */
unsigned jd_ratelimit_blocked(const char *kind, const char *key, time_t now);
void jd_ratelimit_failure(const char *kind, const char *key, time_t now);
void jd_ratelimit_reset(void); /* tests */

/*
 * The counters are shared through Redis, so they hold across restarts and
 * worker processes: keys "jd:{_sys}:rl:<hash of kind and key>" (no address
 * or token text in Redis), counted and expired by one script.  The local
 * table above stays the fast path for the checks made before a lookup;
 * each Redis reply teaches it the shared count.
 */
struct jd_redis;
/* The connection to share through; NULL: local counters only. */
void jd_ratelimit_share(struct jd_redis *r);
/* Seconds the first key (the address) stays blocked, after this failure. */
typedef void (*jd_ratelimit_cb)(unsigned first_wait, void *arg);
/*
 * Counts one failure for each of the n (kind, key) pairs (n <= 4), in the
 * local table and in Redis.  cb runs exactly once: later with Redis's
 * counts, or at once with the local ones when Redis cannot be asked.
 */
void jd_ratelimit_failures(int n, const char *const kinds[], const char *const keys[],
			   jd_ratelimit_cb cb, void *arg);

/*
 * Before a credential is checked: whether any of the n (kind, key) pairs
 * (n <= 4) is blocked, here or in Redis (a block set by another worker or
 * another daemon).  cb runs exactly once with the index of the first
 * blocked pair and its wait, or -1 and 0: at once when the local table
 * already blocks, or when Redis cannot be asked (then the local counters
 * decide alone, as without sharing); else with Redis's answer, which the
 * local table learns.  One read-only script: one round trip, nothing counted.
 */
typedef void (*jd_ratelimit_check_cb)(int which, unsigned wait, void *arg);
void jd_ratelimit_check(int n, const char *const kinds[], const char *const keys[],
			jd_ratelimit_check_cb cb, void *arg);

#endif
