/*
 * Leases (storage/lease.c) and leased timers (host/timers.c) against a real
 * redis-server: off, a lease runs the work at once; on, one owner takes it,
 * renews it, and another owner skips until it is free again; a leased timer
 * fires only while its lease is ours, and a cancelled one never fires.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "host/timers.h"
#include "redis_harness.h"
#include "storage/lease.h"
#include "storage/redis.h"

#define KEY "jd:{_sys}:lease:test"

static struct store_fx *F;

struct result {
	int done, held;
};

static void on_lease(int held, void *arg)
{
	struct result *r = arg;

	r->done = 1;
	r->held = held;
}

/* One lease call as `owner`; returns held. */
static int ask(const char *owner, unsigned ttl_ms)
{
	struct result r = {0};

	jd_lease_share(F->r, owner);
	jd_lease_run("test", ttl_ms, on_lease, &r);
	assert_true(run_until(F->base, &r.done, 2000));
	return r.held;
}

static void raw(const char *cmd, const char *key, const char *val)
{
	char path[PATH_MAX];
	redisContext *c;
	redisReply *rep;

	snprintf(path, sizeof(path), "%s/redis.sock", F->dir);
	c = redisConnectUnix(path);
	assert_non_null(c);
	assert_int_equal(c->err, 0);
	rep = val ? redisCommand(c, "%s %s %s", cmd, key, val) : redisCommand(c, "%s %s", cmd, key);
	assert_non_null(rep);
	freeReplyObject(rep);
	redisFree(c);
}

static int setup(void **state)
{
	F = store_fx_new("lease");
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	jd_lease_share(NULL, NULL);
	store_fx_free(*state);
	return 0;
}

static void test_off_runs_at_once(void **state)
{
	struct result r = {0};

	(void)state;
	jd_lease_share(NULL, NULL);
	assert_false(jd_lease_on());
	jd_lease_run("test", 1000, on_lease, &r);
	assert_true(r.done); /* synchronously: one process needs no round trip */
	assert_true(r.held);
}

static void test_one_owner_at_a_time(void **state)
{
	(void)state;
	assert_true(ask("a", 60000));
	assert_true(jd_lease_on());
	assert_false(ask("b", 60000)); /* taken: b skips */
	assert_true(ask("a", 60000));  /* renewed */
	raw("DEL", KEY, NULL);	       /* a is gone and its lease expired */
	assert_true(ask("b", 60000));
	assert_false(ask("a", 60000));
	assert_int_equal(jd_lease_ttl(1000), 3000);
	assert_int_equal(jd_lease_ttl(UINT_MAX), UINT_MAX);
}

static int fired, plain_fired;

static void on_fire(void *arg)
{
	(void)arg;
	fired++;
}

static void on_plain(void *arg)
{
	(void)arg;
	plain_fired++;
}

static int plain_at_least(int n)
{
	uint64_t deadline = now_ms() + 3000;

	while (plain_fired < n && now_ms() < deadline)
		run_for(F->base, 5);
	return plain_fired >= n;
}

static void test_leased_timer(void **state)
{
	struct jd_timer *list = NULL;
	uint64_t id, plain, once;

	(void)state;
	fired = plain_fired = 0;
	jd_lease_share(F->r, "a");
	raw("SET", KEY, "b"); /* another worker holds it */
	id = jd_timer_add(F->base, &list, 20, 1, on_fire, NULL);
	plain = jd_timer_add(F->base, &list, 20, 1, on_plain, NULL);
	assert_true(id != 0 && plain != 0);
	assert_int_equal(jd_timer_lease(&list, id, "test"), JD_OK);
	once = jd_timer_add(F->base, &list, 20, 0, on_plain, NULL);
	assert_int_equal(jd_timer_lease(&list, once, "test"), JD_E_INVALID); /* one-shots: never */
	assert_int_equal(jd_timer_lease(&list, 999999, "test"), JD_E_NOTFOUND);
	assert_true(plain_at_least(6));
	assert_int_equal(fired, 0); /* ticked as often as the plain one, ran never */
	raw("DEL", KEY, NULL);
	plain_fired = 0;
	assert_true(plain_at_least(6));
	assert_true(fired > 0); /* free: taken, and run */
	jd_timer_cancel_all(&list);
	assert_null(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_off_runs_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_owner_at_a_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leased_timer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
