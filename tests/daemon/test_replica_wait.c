/*
 * durability = replica against real redis-servers: a mutation no replica
 * confirms is answered JD_E_UNAVAILABLE and yet stands (what the docs warn
 * of); with a replica in sync it is acknowledged; a conflict stays a
 * conflict.
 */
#include <stdlib.h>

#include <jiandu/plugin.h>

#include "redis_harness.h"

struct mres {
	int done;
	int rc;
	long long version;
};

static void mutate_cb(int rc, const struct jd_mutate_result *r, void *arg)
{
	struct mres *m = arg;

	m->done = 1;
	m->rc = rc;
	m->version = r ? r->version : 0;
}

static int mutate(struct store_fx *f, const char *record, long long expect, struct mres *res)
{
	const char *set[] = {"title", "t", NULL};
	struct jd_mutation m = {
	    .tenant = "t1", .record = record, .expect_version = expect, .set = set};

	memset(res, 0, sizeof(*res));
	assert_int_equal(jd_store_mutate(f->s, &m, mutate_cb, res), JD_OK);
	assert_true(run_until(f->base, &res->done, 3000));
	return res->rc;
}

static void test_no_replica(void **state)
{
	struct store_fx *f = store_fx_new("replwait");
	struct mres res;

	(void)state;
	jd_store_wait_replicas(f->s, 1, 50);
	assert_int_equal(mutate(f, "note:1", JD_VERSION_NEW, &res), JD_E_UNAVAILABLE);
	/* not acknowledged, but applied: the record exists at version 1 */
	jd_store_wait_replicas(f->s, 0, 0);
	assert_int_equal(mutate(f, "note:1", JD_VERSION_NEW, &res), JD_E_CONFLICT);
	assert_int_equal(res.version, 1);
	store_fx_free(f);
}

/* The replica at sock says its link to the master is up. */
static int replica_linked(const char *sock)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);
	redisReply *reply = NULL;
	int up = 0;

	if (c != NULL && c->err == 0) {
		reply = redisCommand(c, "INFO replication");
		up = reply != NULL && reply->type == REDIS_REPLY_STRING &&
		     strstr(reply->str, "master_link_status:up") != NULL;
	}
	if (reply != NULL)
		freeReplyObject(reply);
	if (c != NULL)
		redisFree(c);
	return up;
}

static void test_with_replica(void **state)
{
	struct store_fx *f;
	char dir[64], sock[PATH_MAX], port[16];
	int linked = 0;
	pid_t replica;
	struct mres res;

	(void)state;
	snprintf(port, sizeof(port), "%d", free_tcp_port());
	f = store_fx_new("replmaster");
	{
		/* the store's server gets a TCP port for its replica */
		redisContext *c = redisConnectUnix(f->url + strlen("unix://"));
		redisReply *r;

		assert_true(c != NULL && c->err == 0);
		r = redisCommand(c, "CONFIG SET port %s", port);
		assert_true(r != NULL && r->type == REDIS_REPLY_STATUS);
		freeReplyObject(r);
		redisFree(c);
	}
	snprintf(dir, sizeof(dir), "/tmp/jdtest-replica-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	const char *extra[] = {"--replicaof", "127.0.0.1", port, NULL};
	replica = spawn_server(dir, extra);
	for (uint64_t end = now_ms() + 10000; !(linked = replica_linked(sock)) && now_ms() < end;)
		usleep(20000);
	assert_true(linked);

	jd_store_wait_replicas(f->s, 1, 1000);
	assert_int_equal(mutate(f, "note:1", JD_VERSION_NEW, &res), JD_OK);
	assert_int_equal(res.version, 1);
	assert_int_equal(mutate(f, "note:1", 1, &res), JD_OK);
	assert_int_equal(res.version, 2);
	/* nothing written: a conflict is answered as one, whatever the replicas */
	assert_int_equal(mutate(f, "note:1", JD_VERSION_NEW, &res), JD_E_CONFLICT);
	assert_int_equal(res.version, 2);

	kill_server(&replica);
	rm_tree(dir);
	store_fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_replica),
	    cmocka_unit_test(test_with_replica),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
