#include "storage/replica_wait.h"

#include <stdio.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"
#include "storage/redis.h"

/* How long a WAIT waits while the replicas are known to be missing. */
#define SHORT_WAIT_MS 10

/* Logged when it changes, not for every write. */
static void note_outcome(struct jd_replica_policy *p, int confirmed, long long got)
{
	if (confirmed && p->short_wait)
		jd_info("redis: a replica confirms writes again", "replicas=%u", p->replicas);
	else if (!confirmed && !p->short_wait)
		jd_warn("redis: too few replicas confirm writes: they are answered 503 (they may "
			"stand)",
			"wanted=%u got=%lld timeout_ms=%u", p->replicas, got, p->timeout_ms);
	p->short_wait = !confirmed;
}

static void wait_reply(int rc, redisReply *reply, void *arg)
{
	struct jd_replica_gate *g = arg;
	struct jd_replica_policy *p = g->policy;
	int counted = rc == JD_OK && reply->type == REDIS_REPLY_INTEGER;

	g->waits--;
	/* only the last WAIT's answer counts: it covers the earlier writes */
	g->unconfirmed = g->unsent || !counted || reply->integer < (long long)p->replicas;
	if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR)
		jd_warn("redis: WAIT refused", "err=\"%s\"", reply->str);
	if (counted)
		note_outcome(p, !g->unconfirmed, reply->integer);
	if (g->waits == 0 && g->held) {
		g->held = 0;
		g->release(g);
	}
}

void jd_replica_wait_send(struct jd_redis *r, struct jd_replica_policy *p,
			  struct jd_replica_gate *g)
{
	char n[16], ms[16];
	const char *argv[] = {"WAIT", n, ms};
	unsigned timeout =
	    p->short_wait && p->timeout_ms > SHORT_WAIT_MS ? SHORT_WAIT_MS : p->timeout_ms;

	g->policy = p;
	if (p->replicas == 0)
		return;
	snprintf(n, sizeof(n), "%u", p->replicas);
	snprintf(ms, sizeof(ms), "%u", timeout);
	if (jd_redis_command(r, 3, argv, NULL, wait_reply, g) == JD_OK) {
		g->waits++;
		return;
	}
	g->unsent = g->unconfirmed = 1;
}

int jd_replica_hold(struct jd_replica_gate *g)
{
	if (g->waits == 0)
		return 0;
	g->held = 1;
	return 1;
}

int jd_replica_verdict(const struct jd_replica_gate *g, int rc)
{
	if (rc != JD_OK || g->policy == NULL || g->policy->replicas == 0 || !g->unconfirmed)
		return rc;
	return JD_E_UNAVAILABLE;
}
