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

#endif
