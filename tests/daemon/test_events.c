/*
 * Durable events against a real redis-server: the store's script XADDs a
 * mutation's events with the change (and not on a replay or a conflict),
 * refuses what it must, keys a handler's mutation by its event; the
 * stats script counts per group and trims only what every group has
 * acknowledged.
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

#include "host/events_stats.h"
#include "redis_harness.h"
#include "runtime/log.h"
#include "storage/redis.h"
#include "storage/store.h"

static struct store_fx *F;
static redisContext *SYNC; /* for setting up and looking */

static int setup(void **state)
{
	char sock[PATH_MAX];

	F = store_fx_new("events");
	snprintf(sock, sizeof(sock), "%s/redis.sock", F->dir);
	SYNC = redisConnectUnix(sock);
	assert_true(SYNC != NULL && SYNC->err == 0);
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	redisFree(SYNC);
	store_fx_free(*state);
	F = NULL;
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------------- */

static long long sync_int(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;
	long long v;

	va_start(ap, fmt);
	r = redisvCommand(SYNC, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

static void sync_ok(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(SYNC, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
}

struct mres {
	int done, rc, replayed;
};

static void mutate_cb(int rc, const struct jd_mutate_result *r, void *arg)
{
	struct mres *m = arg;

	m->done = 1;
	m->rc = rc;
	m->replayed = r ? r->replayed : 0;
}

static int mutate_from(const struct jd_mutation *m, const struct jd_store_origin *o,
		       struct mres *res)
{
	int rc;

	memset(res, 0, sizeof(*res));
	rc = jd_store_mutate_from(F->s, m, o, mutate_cb, res);
	if (rc != JD_OK)
		return rc;
	assert_true(run_until(F->base, &res->done, 3000));
	return res->rc;
}

/* field `name` of the stream entry i of jd:{t1}:events, copied into out */
static void entry_field(size_t i, const char *name, char *out, size_t len)
{
	redisReply *r = redisCommand(SYNC, "XRANGE jd:{t1}:events - +");

	out[0] = '\0';
	assert_non_null(r);
	assert_true(i < r->elements);
	for (size_t j = 0; j + 1 < r->element[i]->element[1]->elements; j += 2) {
		redisReply *f = r->element[i]->element[1];

		if (strcmp(f->element[j]->str, name) == 0)
			snprintf(out, len, "%s", f->element[j + 1]->str);
	}
	freeReplyObject(r);
}

/* ---- the store's XADD --------------------------------------------------------------------- */

static void test_mutation_publishes_with_the_change(void **state)
{
	json_t *p1 = json_pack("{s:s}", "case", "c1");
	const struct jd_event_out events[] = {{"case.concluded", p1}, {"case.other", NULL}};
	const char *set[] = {"state", "concluded", NULL};
	struct jd_mutation m = {.tenant = "t1",
				.record = "case:1",
				.expect_version = JD_VERSION_NEW,
				.idempotency_key = "k1",
				.set = set,
				.events = events,
				.n_events = 2};
	const struct jd_store_origin o = {.publisher = "cases"};
	struct mres res;
	char v[128];

	(void)state;
	assert_int_equal(mutate_from(&m, &o, &res), JD_OK);
	assert_int_equal(sync_int("XLEN jd:{t1}:events"), 2);
	entry_field(0, "name", v, sizeof(v));
	assert_string_equal(v, "case.concluded");
	entry_field(0, "tenant", v, sizeof(v));
	assert_string_equal(v, "t1");
	entry_field(0, "publisher", v, sizeof(v));
	assert_string_equal(v, "cases");
	entry_field(0, "payload", v, sizeof(v));
	assert_string_equal(v, "{\"case\":\"c1\"}");
	entry_field(1, "payload", v, sizeof(v));
	assert_string_equal(v, "{}");
	/* a replay publishes nothing */
	assert_int_equal(mutate_from(&m, &o, &res), JD_OK);
	assert_true(res.replayed);
	assert_int_equal(sync_int("XLEN jd:{t1}:events"), 2);
	/* nor does a conflict */
	m.idempotency_key = NULL;
	assert_int_equal(mutate_from(&m, &o, &res), JD_E_CONFLICT);
	assert_int_equal(sync_int("XLEN jd:{t1}:events"), 2);
	json_decref(p1);
}

static void test_events_refused(void **state)
{
	json_t *arr = json_array();
	struct jd_event_out ev = {"ok.name", NULL};
	struct jd_event_out many[JD_STORE_EVENTS_MAX + 1];
	const struct jd_op op = {JD_OP_SADD, "events", "x", NULL};
	struct jd_mutation m = {.tenant = "t1",
				.record = "r:1",
				.expect_version = JD_VERSION_ANY,
				.events = &ev,
				.n_events = 1};
	struct jd_store_origin o = {.event_key = "ev:g:1-1"};
	struct mres res;

	(void)state;
	ev.name = "Bad Name";
	assert_int_equal(mutate_from(&m, NULL, &res), JD_E_INVALID);
	ev.name = "ok.name";
	ev.payload = arr; /* not an object */
	assert_int_equal(mutate_from(&m, NULL, &res), JD_E_INVALID);
	ev.payload = NULL;
	for (size_t i = 0; i <= JD_STORE_EVENTS_MAX; i++)
		many[i] = ev;
	m.events = many;
	m.n_events = JD_STORE_EVENTS_MAX + 1;
	assert_int_equal(mutate_from(&m, NULL, &res), JD_E_INVALID);
	m.events = NULL;
	m.n_events = 0;
	m.ops = &op; /* the event stream is the core's */
	m.n_ops = 1;
	assert_int_equal(mutate_from(&m, NULL, &res), JD_E_INVALID);
	m.ops = NULL;
	m.n_ops = 0;
	m.idempotency_key = "k"; /* one key: the event's */
	assert_int_equal(mutate_from(&m, &o, &res), JD_E_INVALID);
	m.record = "events:x";
	m.idempotency_key = NULL;
	assert_int_equal(mutate_from(&m, NULL, &res), JD_E_INVALID);
	assert_int_equal(sync_int("EXISTS jd:{t1}:events"), 0);
	json_decref(arr);
}

static void test_event_key_replays(void **state)
{
	const struct jd_op op = {JD_OP_HINCRBY, "effects", "n", "1"};
	const struct jd_mutation m = {.tenant = "t1",
				      .record = "effects",
				      .expect_version = JD_VERSION_ANY,
				      .ops = &op,
				      .n_ops = 1};
	const struct jd_store_origin o = {.publisher = "g", .event_key = "ev:g:1-1"};
	struct mres res;

	(void)state;
	assert_int_equal(mutate_from(&m, &o, &res), JD_OK);
	assert_false(res.replayed);
	assert_int_equal(mutate_from(&m, &o, &res), JD_OK);
	assert_true(res.replayed);
	assert_int_equal(sync_int("HINCRBY jd:{t1}:effects n 0"), 1);
	/* kept longer than a client's key: a redelivery days later still replays */
	assert_true(sync_int("TTL jd:{t1}:idem:ev:g:1-1") > 86400);
}

/* ---- stats and trim ---------------------------------------------------------------------------
 */

struct sres {
	int done, rc;
	struct jd_events_tenant_stats st;
};

static void stats_cb(int rc, const struct jd_events_tenant_stats *st, void *arg)
{
	struct sres *s = arg;

	s->done = 1;
	s->rc = rc;
	if (st != NULL)
		s->st = *st;
}

static void stats_forgetting(int trim, unsigned forget_ms, struct sres *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(jd_events_tenant_stats(F->r, "t1", trim, forget_ms, stats_cb, s), JD_OK);
	assert_true(run_until(F->base, &s->done, 3000));
	assert_int_equal(s->rc, JD_OK);
}

static void stats(int trim, struct sres *s)
{
	stats_forgetting(trim, 0, s);
}

static const struct jd_events_group_stats *group(const struct sres *s, const char *name)
{
	for (size_t i = 0; i < s->st.n_groups; i++)
		if (strcmp(s->st.g[i].name, name) == 0)
			return &s->st.g[i];
	fail_msg("no group %s", name);
	return NULL;
}

static void add_entries(int n)
{
	for (int i = 1; i <= n; i++)
		sync_ok("XADD jd:{t1}:events %d-0 name e%d", i, i);
}

static void test_no_group_no_trim(void **state)
{
	struct sres s;

	(void)state;
	add_entries(3);
	stats(1, &s);
	assert_int_equal(s.st.trimmed, 0);
	assert_int_equal(s.st.length, 3);
	assert_int_equal(s.st.n_groups, 0);
}

static void test_trim_keeps_what_a_group_needs(void **state)
{
	struct sres s;

	(void)state;
	add_entries(6);
	sync_ok("XGROUP CREATE jd:{t1}:events a 0");
	sync_ok("XGROUP CREATE jd:{t1}:events b 0");
	sync_ok("XREADGROUP GROUP a c1 COUNT 4 STREAMS jd:{t1}:events >"); /* 1..4 */
	sync_ok("XACK jd:{t1}:events a 1-0 2-0");			   /* a: 3, 4 pending */
	sync_ok("XREADGROUP GROUP b c1 COUNT 2 STREAMS jd:{t1}:events >"); /* 1, 2 */
	sync_ok("XACK jd:{t1}:events b 1-0 2-0");			   /* b: 3.. undelivered */
	sync_ok("XADD jd:{t1}:events:dead * group a id 9-0");
	stats(0, &s);
	assert_int_equal(s.st.trimmed, 0);
	assert_int_equal(s.st.length, 6);
	assert_int_equal(s.st.dead, 1);
	assert_int_equal(group(&s, "a")->pending, 2);
	assert_int_equal(group(&s, "a")->backlog, 4); /* 3, 4 pending; 5, 6 undelivered */
	assert_int_equal(group(&s, "b")->pending, 0);
	assert_int_equal(group(&s, "b")->backlog, 4);
	assert_true(group(&s, "a")->oldest_ms > 0); /* entry 3 is from 1970 */
	stats(1, &s);
	assert_int_equal(s.st.trimmed, 2); /* 1 and 2: acknowledged by both */
	assert_int_equal(s.st.length, 4);
	assert_int_equal(sync_int("XLEN jd:{t1}:events"), 4);
	/* b acknowledges everything: a still holds 3 and 4 */
	sync_ok("XREADGROUP GROUP b c1 COUNT 10 STREAMS jd:{t1}:events >");
	sync_ok("XACK jd:{t1}:events b 3-0 4-0 5-0 6-0");
	stats(1, &s);
	assert_int_equal(s.st.trimmed, 0);
	assert_int_equal(s.st.length, 4);
	/* a too: nothing is needed any more */
	sync_ok("XREADGROUP GROUP a c1 COUNT 10 STREAMS jd:{t1}:events >");
	sync_ok("XACK jd:{t1}:events a 3-0 4-0 5-0 6-0");
	stats(1, &s);
	assert_int_equal(s.st.trimmed, 4);
	assert_int_equal(s.st.length, 0);
	assert_int_equal(group(&s, "a")->backlog, 0);
	assert_int_equal(group(&s, "a")->oldest_ms, 0);
}

static long long consumers(void)
{
	redisReply *r = redisCommand(SYNC, "XINFO CONSUMERS jd:{t1}:events a");
	long long n;

	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	n = (long long)r->elements;
	freeReplyObject(r);
	return n;
}

/* Former processes with nothing pending are forgotten; one with a pending entry stays. */
static void test_idle_consumers_forgotten(void **state)
{
	struct sres s;
	uint64_t deadline = now_ms() + 3000;

	(void)state;
	add_entries(2);
	sync_ok("XGROUP CREATE jd:{t1}:events a 0");
	sync_ok("XREADGROUP GROUP a old COUNT 1 STREAMS jd:{t1}:events >");
	sync_ok("XACK jd:{t1}:events a 1-0");
	sync_ok("XREADGROUP GROUP a busy COUNT 1 STREAMS jd:{t1}:events >");
	assert_int_equal(consumers(), 2);
	stats_forgetting(0, 1, &s); /* no trim: forgets nothing */
	assert_int_equal(consumers(), 2);
	while (consumers() == 2 && now_ms() < deadline)
		stats_forgetting(1, 1, &s);
	assert_int_equal(consumers(), 1);
	assert_int_equal(group(&s, "a")->pending, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mutation_publishes_with_the_change, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_events_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_event_key_replays, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_group_no_trim, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trim_keeps_what_a_group_needs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_consumers_forgotten, setup, teardown),
	};

	jd_log_set_level("err");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
