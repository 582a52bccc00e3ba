#include "storage/readiness.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"
#include "storage/redis.h"
#include "storage/store.h"

#define PROBE_READY_MS	   1000
#define PROBE_NOT_READY_MS 200 /* also the tick: a new connection is probed within it */

struct jd_readiness {
	struct event *timer;
	struct jd_redis *r;
	struct jd_store *s;
	uint64_t ok_connects; /* the connection count when the last probe succeeded */
	int ok;		      /* the last probe succeeded */
	uint64_t probed_ms;   /* when the last probe was sent (monotonic) */
	int probing;
	int freed; /* freed while probing: the probe's callback frees */
	char why[200];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void arm(struct jd_readiness *rd)
{
	struct timeval tv = {0, PROBE_NOT_READY_MS * 1000};

	if (evtimer_add(rd->timer, &tv) != 0)
		jd_err("readiness: cannot arm the probe timer", NULL);
}

static void set_outcome(struct jd_readiness *rd, int ok, const char *why)
{
	char q[sizeof(rd->why) + 8];

	if (ok != rd->ok)
		jd_log(ok ? JD_LOG_INFO : JD_LOG_WARN, ok ? "ready" : "not ready", "reason=%s",
		       jd_log_quote(q, sizeof(q), ok ? "probe succeeded" : why));
	rd->ok = ok;
	if (ok)
		rd->ok_connects = jd_redis_stats(rd->r)->connects;
	snprintf(rd->why, sizeof(rd->why), "%s", ok ? "" : why);
}

static void probe_done(int rc, void *arg)
{
	struct jd_readiness *rd = arg;
	const char *refusal = jd_redis_refusal(rd->r);
	char why[sizeof(rd->why)];

	rd->probing = 0;
	if (rd->freed) {
		free(rd);
		return;
	}
	switch (rc) {
	case JD_OK:
		why[0] = '\0';
		break;
	case JD_E_UNAVAILABLE:
		snprintf(why, sizeof(why), "redis unavailable%s%.150s", *refusal ? ": " : "",
			 refusal);
		break;
	case JD_E_TIMEOUT:
		snprintf(why, sizeof(why), "redis did not answer the probe in time");
		break;
	case JD_E_NOTFOUND:
		snprintf(why, sizeof(why), "the store's scripts are not loaded (loading them)");
		break;
	default:
		snprintf(why, sizeof(why), "redis refused the probe's write (see the log)");
		break;
	}
	set_outcome(rd, rc == JD_OK, why);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct jd_readiness *rd = arg;
	enum jd_redis_state st = jd_redis_state(rd->r);
	int due = !rd->ok || rd->ok_connects != jd_redis_stats(rd->r)->connects ||
		  now_ms() - rd->probed_ms >= PROBE_READY_MS;
	char why[80];

	(void)fd;
	(void)what;

	if (rd->probing || !due) {
		/* a probe in flight ends by its reply or the command timeout */
	} else if (st != JD_REDIS_OK) {
		snprintf(why, sizeof(why), "redis %s", jd_redis_state_name(st));
		set_outcome(rd, 0, why);
	} else if (jd_store_probe(rd->s, probe_done, rd) == JD_OK) {
		rd->probing = 1;
		rd->probed_ms = now_ms();
	} else {
		set_outcome(rd, 0, "cannot send the readiness probe");
	}
	arm(rd);
}

struct jd_readiness *jd_readiness_new(struct event_base *base, struct jd_redis *r,
				      struct jd_store *s)
{
	struct jd_readiness *rd = calloc(1, sizeof(*rd));
	struct timeval now = {0, 0};

	if (rd == NULL)
		return NULL;
	rd->r = r;
	rd->s = s;
	snprintf(rd->why, sizeof(rd->why), "not probed yet");
	rd->timer = evtimer_new(base, on_timer, rd);
	if (rd->timer == NULL || evtimer_add(rd->timer, &now) != 0) {
		if (rd->timer != NULL)
			event_free(rd->timer);
		free(rd);
		return NULL;
	}
	return rd;
}

void jd_readiness_free(struct jd_readiness *rd)
{
	if (rd == NULL)
		return;
	event_free(rd->timer);
	rd->timer = NULL;
	if (rd->probing)
		rd->freed = 1;
	else
		free(rd);
}

int jd_readiness_ready(const struct jd_readiness *rd, char *why, size_t len)
{
	enum jd_redis_state st;
	const char *refusal;

	if (rd == NULL) {
		snprintf(why, len, "shutting down");
		return 0;
	}
	st = jd_redis_state(rd->r);
	refusal = jd_redis_refusal(rd->r);
	if (st != JD_REDIS_OK)
		snprintf(why, len, "redis %s", jd_redis_state_name(st));
	else if (*refusal != '\0')
		snprintf(why, len, "redis unavailable: %s", refusal);
	else if (!rd->ok)
		snprintf(why, len, "%s", rd->why);
	else if (rd->ok_connects != jd_redis_stats(rd->r)->connects)
		snprintf(why, len, "redis reconnected: not probed since");
	else
		return 1;
	return 0;
}
