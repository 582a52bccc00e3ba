#include "storage/lease.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"
#include "storage/redis.h"

#define KIND_MAX  96
#define OWNER_MAX 128

static struct jd_redis *shared;
static char owner[OWNER_MAX];

/*
 * KEYS[1] the lease; ARGV owner, ttl ms.  Ours: renewed (1).  Free: taken
 * (2).  Another's: 0.  One step, so two workers never both take it.
 */
static const char lease_script[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end\n"
    "if v then return 0 end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
    "return 2\n";

struct lease_call {
	jd_lease_cb cb;
	void *arg;
	char kind[KIND_MAX];
};

void jd_lease_share(struct jd_redis *r, const char *name)
{
	shared = name != NULL ? r : NULL;
	snprintf(owner, sizeof(owner), "%s", name ? name : "");
}

int jd_lease_on(void)
{
	return shared != NULL;
}

unsigned jd_lease_ttl(unsigned period_ms)
{
	return period_ms > (UINT_MAX - 1000) / 2 ? UINT_MAX : period_ms * 2 + 1000;
}

static void on_reply(int rc, redisReply *reply, void *arg)
{
	struct lease_call *c = arg;

	int held = rc == JD_OK && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;

	if (held && reply->integer == 2)
		jd_info("lease taken", "kind=%s owner=%s", c->kind, owner);
	if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR) {
		char q[160];

		jd_warn("lease not checked", "kind=%s err=%s", c->kind,
			jd_log_quote(q, sizeof(q), reply->str));
	}
	c->cb(held, c->arg);
	free(c);
}

void jd_lease_run(const char *kind, unsigned ttl_ms, jd_lease_cb cb, void *arg)
{
	char key[KIND_MAX + 32], ttl[16];
	const char *argv[] = {"EVAL", lease_script, "1", key, owner, ttl};
	struct lease_call *c;

	if (shared == NULL) {
		cb(1, arg);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		cb(0, arg);
		return;
	}
	c->cb = cb;
	c->arg = arg;
	snprintf(c->kind, sizeof(c->kind), "%s", kind);
	snprintf(key, sizeof(key), "jd:{_sys}:lease:%s", c->kind);
	snprintf(ttl, sizeof(ttl), "%u", ttl_ms);
	/* not connected: no run this period; the next tick asks again */
	if (jd_redis_command(shared, 6, argv, NULL, on_reply, c) != JD_OK) {
		free(c);
		cb(0, arg);
	}
}
