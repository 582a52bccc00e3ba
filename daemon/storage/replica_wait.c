#include "storage/replica_wait.h"

#include <stdio.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"
#include "storage/redis.h"

static void wait_reply(int rc, redisReply *reply, void *arg)
{
	struct jd_replica_gate *g = arg;

	g->waits--;
	/* only the last WAIT's answer counts: it covers the earlier writes */
	g->unconfirmed = g->unsent || rc != JD_OK || reply->type != REDIS_REPLY_INTEGER ||
			 reply->integer < (long long)g->want;
	if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR)
		jd_warn("redis: WAIT refused", "err=\"%s\"", reply->str);
	if (g->waits == 0 && g->held) {
		g->held = 0;
		g->release(g);
	}
}

void jd_replica_wait_send(struct jd_redis *r, unsigned replicas, unsigned timeout_ms,
			  struct jd_replica_gate *g)
{
	char n[16], ms[16];
	const char *argv[] = {"WAIT", n, ms};

	snprintf(n, sizeof(n), "%u", replicas);
	snprintf(ms, sizeof(ms), "%u", timeout_ms);
	g->want = replicas;
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

int jd_replica_verdict(const struct jd_replica_gate *g, int rc, const char *what,
		       const char *tenant)
{
	if (rc != JD_OK || g->want == 0 || !g->unconfirmed)
		return rc;
	jd_warn("redis: no replica confirmed a write in time: answered 503 (it may stand)",
		"what=%s tenant=%s replicas=%u", what, tenant, g->want);
	return JD_E_UNAVAILABLE;
}
