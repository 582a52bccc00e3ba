/*
 * jd_store against a real redis-server started here on a unix socket.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "runtime/log.h"
#include "storage/redis.h"
#include "redis_harness.h"
#include "storage/listing.h"
#include "storage/stage.h"
#include "storage/store.h"

/* ---- Fixture ------------------------------------------------------------ */

static struct store_fx *F; /* for the callbacks' helpers */

static int setup(void **state)
{
	F = store_fx_new("store");
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	store_fx_free(*state);
	F = NULL;
	return 0;
}

/* ---- Helpers ------------------------------------------------------------- */

struct mres {
	int done;
	int calls;
	int rc;
	long long version;
	int replayed;
	char record[256];
};

static void mutate_cb(int rc, const struct jd_mutate_result *r, void *arg)
{
	struct mres *m = arg;

	m->calls++;
	m->done = 1;
	m->rc = rc;
	m->version = r ? r->version : 0;
	m->replayed = r ? r->replayed : 0;
	snprintf(m->record, sizeof(m->record), "%s", r && r->record ? r->record : "");
}

/* Mutates and waits: the rc of the call, or of the callback. */
static int mutate(const struct jd_mutation *m, struct mres *res)
{
	int rc;

	memset(res, 0, sizeof(*res));
	rc = jd_store_mutate(F->s, m, mutate_cb, res);
	if (rc != JD_OK) {
		run_for(F->base, 5);
		assert_int_equal(res->calls, 0); /* refused: the callback never runs */
		return rc;
	}
	assert_int_equal(res->calls, 0); /* never from inside the call */
	assert_true(run_until(F->base, &res->done, 3000));
	assert_int_equal(res->calls, 1);
	return res->rc;
}

struct rres {
	int done;
	int calls;
	int rc;
	json_t *json; /* a reference of our own */
};

static void read_cb(int rc, json_t *result, void *arg)
{
	struct rres *r = arg;

	r->calls++;
	r->done = 1;
	r->rc = rc;
	if (rc == JD_OK) {
		assert_non_null(result);
		r->json = json_incref(result);
	} else {
		assert_null(result);
	}
}

static int read_argv(const char *tenant, int argc, const char **argv, struct rres *res)
{
	int rc;

	json_decref(res->json);
	memset(res, 0, sizeof(*res));
	rc = jd_store_read(F->s, tenant, argc, argv, read_cb, res);
	if (rc != JD_OK)
		return rc;
	assert_true(run_until(F->base, &res->done, 3000));
	assert_int_equal(res->calls, 1);
	return res->rc;
}

#define READ(res, ...)                                                                             \
	read_argv("t1", (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),       \
		  (const char *[]){__VA_ARGS__}, (res))

/* The string a read returned, or NULL for nil. */
static const char *read_str(struct rres *res, const char *cmd, const char *key, const char *f)
{
	if (f != NULL)
		assert_int_equal(READ(res, cmd, key, f), JD_OK);
	else
		assert_int_equal(READ(res, cmd, key), JD_OK);
	if (json_is_null(res->json))
		return NULL;
	assert_true(json_is_string(res->json));
	return json_string_value(res->json);
}

static long long read_int(struct rres *res, const char *cmd, const char *key, const char *f)
{
	if (f != NULL)
		assert_int_equal(READ(res, cmd, key, f), JD_OK);
	else
		assert_int_equal(READ(res, cmd, key), JD_OK);
	assert_true(json_is_integer(res->json));
	return json_integer_value(res->json);
}

/* ---- Tests ----------------------------------------------------------------- */

static void test_create_then_conflict(void **state)
{
	const char *set[] = {"title", "first", NULL};
	struct jd_mutation m = {
	    .tenant = "t1", .record = "note:1", .expect_version = JD_VERSION_NEW, .set = set};
	struct mres res;
	struct rres rr = {0};

	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(res.version, 1);
	assert_int_equal(res.replayed, 0);
	assert_int_equal(mutate(&m, &res), JD_E_CONFLICT);
	assert_int_equal(res.version, 1); /* the current version, for the client */
	assert_string_equal(read_str(&rr, "HGET", "note:1", "title"), "first");
	assert_string_equal(read_str(&rr, "HGET", "note:1", "_v"), "1");
	json_decref(rr.json);
}

static void test_update_versions(void **state)
{
	const char *v1[] = {"title", "one", "body", "b", NULL};
	const char *v2[] = {"title", "two", NULL};
	const char *stale[] = {"title", "stale", NULL};
	const char *del[] = {"body", NULL};
	struct jd_mutation m = {
	    .tenant = "t1", .record = "note:2", .expect_version = JD_VERSION_NEW, .set = v1};
	struct mres res;
	struct rres rr = {0};

	assert_int_equal(mutate(&m, &res), JD_OK);
	m.expect_version = 1;
	m.set = v2;
	m.del = del;
	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(res.version, 2);
	m.set = stale;
	m.del = NULL;
	assert_int_equal(mutate(&m, &res), JD_E_CONFLICT);
	assert_int_equal(res.version, 2);
	assert_string_equal(read_str(&rr, "HGET", "note:2", "title"), "two");
	assert_null(read_str(&rr, "HGET", "note:2", "body"));
	m.expect_version = JD_VERSION_ANY;
	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(res.version, 3);
	assert_string_equal(read_str(&rr, "HGET", "note:2", "title"), "stale");
	/* a version that never existed */
	m.expect_version = 42;
	assert_int_equal(mutate(&m, &res), JD_E_CONFLICT);
	assert_int_equal(res.version, 3);
	json_decref(rr.json);
}

static void test_idempotent_retry(void **state)
{
	const char *set[] = {"status", "open", NULL};
	const char *set2[] = {"status", "changed", NULL};
	struct jd_op ops[] = {{JD_OP_HINCRBY, "counters", "notes", "5"}};
	struct jd_mutation m = {.tenant = "t1",
				.record = "note:3",
				.expect_version = JD_VERSION_NEW,
				.idempotency_key = "req-7f3a",
				.set = set,
				.ops = ops,
				.n_ops = 1};
	struct mres res;
	struct rres rr = {0};

	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(res.version, 1);
	assert_int_equal(res.replayed, 0);
	assert_string_equal(res.record, "note:3");
	/* the retry: same answer, nothing applied twice, even with other content
	 * or another record: the answer names the record the first call wrote */
	m.set = set2;
	m.record = "note:4";
	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(res.version, 1);
	assert_int_equal(res.replayed, 1);
	assert_string_equal(res.record, "note:3");
	assert_int_equal(read_int(&rr, "EXISTS", "note:4", NULL), 0);
	m.record = "note:3";
	assert_string_equal(read_str(&rr, "HGET", "counters", "notes"), "5");
	assert_string_equal(read_str(&rr, "HGET", "note:3", "status"), "open");
	assert_string_equal(read_str(&rr, "HGET", "note:3", "_v"), "1");
	assert_true(read_int(&rr, "TTL", "idem:req-7f3a", NULL) > 86000);
	/* another key applies */
	m.idempotency_key = "req-8000";
	m.expect_version = 1;
	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(res.version, 2);
	assert_int_equal(res.replayed, 0);
	assert_string_equal(read_str(&rr, "HGET", "counters", "notes"), "10");
	json_decref(rr.json);
}

static void test_ops_indexes_counters(void **state)
{
	const char *set[] = {"owner", "alice", NULL};
	struct jd_op add[] = {
	    {JD_OP_SADD, "idx:open", "case:9", NULL},
	    {JD_OP_ZADD, "idx:by_time", "case:9", "1700000000"},
	    {JD_OP_HINCRBY, "counters", "open", "1"},
	    {JD_OP_INCRBY, "seq:cases", NULL, "-3"},
	    {JD_OP_HSET, "owners", "case:9", "alice"},
	    {JD_OP_HINCRBY, "case:9", "comments", "2"}, /* the record itself */
	};
	struct jd_op remove_ops[] = {
	    {JD_OP_SREM, "idx:open", "case:9", NULL},
	    {JD_OP_ZREM, "idx:by_time", "case:9", NULL},
	    {JD_OP_HINCRBY, "counters", "open", "-1"},
	    {JD_OP_HDEL, "owners", "case:9", NULL},
	};
	struct jd_mutation m = {.tenant = "t1",
				.record = "case:9",
				.expect_version = JD_VERSION_NEW,
				.set = set,
				.ops = add,
				.n_ops = sizeof(add) / sizeof(add[0])};
	struct mres res;
	struct rres rr = {0};

	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(read_int(&rr, "SISMEMBER", "idx:open", "case:9"), 1);
	assert_string_equal(read_str(&rr, "ZSCORE", "idx:by_time", "case:9"), "1700000000");
	assert_string_equal(read_str(&rr, "HGET", "counters", "open"), "1");
	assert_string_equal(read_str(&rr, "GET", "seq:cases", NULL), "-3");
	assert_string_equal(read_str(&rr, "HGET", "owners", "case:9"), "alice");
	assert_string_equal(read_str(&rr, "HGET", "case:9", "comments"), "2");

	m.expect_version = 1;
	m.set = NULL;
	m.ops = remove_ops;
	m.n_ops = sizeof(remove_ops) / sizeof(remove_ops[0]);
	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(res.version, 2);
	assert_int_equal(read_int(&rr, "SCARD", "idx:open", NULL), 0);
	assert_int_equal(read_int(&rr, "ZCARD", "idx:by_time", NULL), 0);
	assert_string_equal(read_str(&rr, "HGET", "counters", "open"), "0");
	assert_null(read_str(&rr, "HGET", "owners", "case:9"));
	assert_string_equal(read_str(&rr, "HGET", "case:9", "owner"), "alice");
	json_decref(rr.json);
}

/* A large mutation prepared in slices: one atomic step all the same, cb once and never inside. */
static void test_sliced_mutation(void **state)
{
	enum { N = 3000 };
	struct jd_op *ops = calloc(N, sizeof(*ops));
	char(*keys)[32] = calloc(N, sizeof(*keys));
	struct jd_mutation m = {.tenant = "t1", .record = "bulk", .expect_version = JD_VERSION_NEW};
	struct mres res = {0};
	struct rres rr = {0};

	(void)state;
	assert_non_null(ops);
	assert_non_null(keys);
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "item:%d", i / 3); /* three fields a key */
		ops[i] = (struct jd_op){JD_OP_HSET, keys[i], i % 3 ? "b" : "a", keys[i]};
	}
	m.ops = ops;
	m.n_ops = N;
	assert_int_equal(jd_store_mutate_sliced(F->s, &m, mutate_cb, &res), JD_OK);
	assert_int_equal(res.calls, 0);
	assert_true(run_until(F->base, &res.done, 5000));
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.rc, JD_OK);
	assert_int_equal(res.version, 1);
	assert_string_equal(read_str(&rr, "HGET", "item:999", "b"), "item:999");
	/* expected at a version it is not at: nothing of it is applied */
	memset(&res, 0, sizeof(res));
	ops[0].value = "changed";
	assert_int_equal(jd_store_mutate_sliced(F->s, &m, mutate_cb, &res), JD_OK);
	assert_true(run_until(F->base, &res.done, 5000));
	assert_int_equal(res.rc, JD_E_CONFLICT);
	assert_string_equal(read_str(&rr, "HGET", "item:0", "a"), "item:0");
	/* refused in the call, the callback never runs */
	m.n_ops = 50001;
	assert_int_equal(jd_store_mutate_sliced(F->s, &m, mutate_cb, &res), JD_E_INVALID);
	json_decref(rr.json);
	free(keys);
	free(ops);
}

/* A raw command to the fixture's Redis: an integer reply, or an array's length. */
struct raw_res {
	int done;
	long long n;
};

static void raw_cb(int rc, redisReply *r, void *arg)
{
	struct raw_res *x = arg;

	x->done = 1;
	x->n = rc != JD_OK			? -100
	       : r->type == REDIS_REPLY_INTEGER ? r->integer
	       : r->type == REDIS_REPLY_ARRAY	? (long long)r->elements
						: -99;
}

static long long raw(int argc, const char **argv)
{
	struct raw_res x = {0};

	assert_int_equal(jd_redis_command(F->r, argc, argv, NULL, raw_cb, &x), JD_OK);
	assert_true(run_until(F->base, &x.done, 3000));
	return x.n;
}

#define RAW(...)                                                                                   \
	raw((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),                   \
	    (const char *[]){__VA_ARGS__})

/* Staged keys left: polled, since a refused stage is deleted after its callback. */
static int stage_keys_gone(void)
{
	for (int i = 0; i < 100; i++) {
		if (RAW("KEYS", "jd:{t1}:stage*") == 0)
			return 1;
		run_for(F->base, 20);
	}
	return 0;
}

static void staged_cb(int rc, void *arg)
{
	*(int *)arg = rc == JD_OK ? 1 : -1;
}

/*
 * A sliced mutation of hset/zadd/sadd ops is staged and committed: new
 * keys renamed into place (without the stage's lifetime), existing ones
 * merged, a later op on one member winning; a refused commit leaves no
 * staged key; staged keys a crash would leave expire and are invisible.
 */
static void test_staged_mutation(void **state)
{
	enum { N = 2 * JD_STAGE_OPS + 10 };
	struct jd_op *ops = calloc(N + 4, sizeof(*ops));
	char(*names)[16] = calloc(N, sizeof(*names));
	const struct jd_op pre_ops[] = {{JD_OP_HSET, "sum", "old", "1"},
					{JD_OP_ZADD, "idx", "old", "5"},
					{JD_OP_SADD, "tags", "a", NULL}};
	struct jd_mutation pre = {.tenant = "t1",
				  .record = "pre",
				  .expect_version = JD_VERSION_NEW,
				  .ops = pre_ops,
				  .n_ops = 3};
	struct jd_mutation m = {.tenant = "t1", .record = "bulk", .expect_version = JD_VERSION_NEW};
	struct jd_op bad = {JD_OP_HSET, "stage:x:sum", "f", "v"};
	struct mres res = {0};
	struct rres rr = {0};
	struct jd_stage *st;
	int staged = 0;
	size_t n = 0;

	(void)state;
	assert_non_null(ops);
	assert_non_null(names);
	assert_int_equal(mutate(&pre, &res), JD_OK);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "m%d", i);
		ops[n++] = (struct jd_op){i % 2 ? JD_OP_ZADD : JD_OP_HSET, i % 2 ? "idx" : "sum",
					  names[i], i % 2 ? "3" : "v"};
	}
	ops[n++] = (struct jd_op){JD_OP_ZADD, "idx", "old", "7"};
	ops[n++] = (struct jd_op){JD_OP_SADD, "tags", "b", NULL};
	ops[n++] = (struct jd_op){JD_OP_HSET, "new:1", "x", "y"};
	ops[n++] = (struct jd_op){JD_OP_HSET, "sum", "m0", "last"};
	m.ops = ops;
	m.n_ops = n;
	memset(&res, 0, sizeof(res));
	assert_int_equal(jd_store_mutate_sliced(F->s, &m, mutate_cb, &res), JD_OK);
	assert_true(run_until(F->base, &res.done, 5000));
	assert_int_equal(res.rc, JD_OK);
	assert_string_equal(read_str(&rr, "HGET", "sum", "old"), "1");
	assert_string_equal(read_str(&rr, "HGET", "sum", "m0"), "last");
	assert_string_equal(read_str(&rr, "ZSCORE", "idx", "old"), "7");
	assert_int_equal(read_int(&rr, "ZCARD", "idx", NULL), N / 2 + 1);
	assert_int_equal(read_int(&rr, "HLEN", "sum", NULL), N / 2 + 1);
	assert_int_equal(read_int(&rr, "SCARD", "tags", NULL), 2);
	assert_string_equal(read_str(&rr, "HGET", "new:1", "x"), "y");
	assert_int_equal(read_int(&rr, "TTL", "new:1", NULL), -1);
	assert_int_equal(read_int(&rr, "TTL", "sum", NULL), -1);
	assert_true(stage_keys_gone());
	/* refused at the commit (the record exists): nothing applied, nothing staged left */
	ops[n - 1].value = "refused";
	memset(&res, 0, sizeof(res));
	assert_int_equal(jd_store_mutate_sliced(F->s, &m, mutate_cb, &res), JD_OK);
	assert_true(run_until(F->base, &res.done, 5000));
	assert_int_equal(res.rc, JD_E_CONFLICT);
	assert_string_equal(read_str(&rr, "HGET", "sum", "m0"), "last");
	assert_true(stage_keys_gone());
	/* callers cannot write the stage's keys */
	pre = (struct jd_mutation){.tenant = "t1", .record = "r", .ops = &bad, .n_ops = 1};
	assert_int_equal(jd_store_mutate(F->s, &pre, mutate_cb, &res), JD_E_INVALID);
	/* staged, never committed (a crash): invisible, and expiring */
	ops[0] = (struct jd_op){JD_OP_HSET, "new:2", "x", "y"};
	st = jd_stage_start(F->r, "t1", ops, 1, staged_cb, &staged);
	assert_non_null(st);
	assert_true(run_until(F->base, &staged, 3000));
	assert_int_equal(staged, 1);
	assert_int_equal(jd_stage_count(st), 1);
	assert_int_equal(read_int(&rr, "EXISTS", "new:2", NULL), 0);
	assert_true(RAW("PTTL", jd_stage_manifest(st)) > 0);
	assert_int_equal(RAW("KEYS", "jd:{t1}:stage*"), 2);
	jd_stage_end(st, 0);
	assert_true(stage_keys_gone());
	json_decref(rr.json);
	free(names);
	free(ops);
}

/* JD_OP_CHECK: another record's version must be the one read, or nothing is written. */
static void test_check_other_record(void **state)
{
	const char *lead[] = {"state", "to_file", NULL};
	const char *kase[] = {"lead", "1", NULL};
	struct jd_op at_v1[] = {{JD_OP_CHECK, "lead:1", NULL, "1"},
				{JD_OP_SADD, "cases", "c1", NULL}};
	struct jd_op absent[] = {{JD_OP_CHECK, "lead:9", NULL, "0"}};
	struct jd_op self[] = {{JD_OP_CHECK, "case:1", NULL, "1"}};
	struct jd_op negative[] = {{JD_OP_CHECK, "lead:1", NULL, "-1"}};
	struct jd_mutation m = {
	    .tenant = "t1", .record = "lead:1", .expect_version = JD_VERSION_NEW, .set = lead};
	struct mres res;
	struct rres rr = {0};

	assert_int_equal(mutate(&m, &res), JD_OK);
	m = (struct jd_mutation){.tenant = "t1",
				 .record = "case:1",
				 .expect_version = JD_VERSION_NEW,
				 .set = kase,
				 .ops = at_v1,
				 .n_ops = 2};
	at_v1[0].value = "2"; /* the lead moved on since it was read */
	assert_int_equal(mutate(&m, &res), JD_E_CONFLICT);
	assert_int_equal(read_int(&rr, "EXISTS", "case:1", NULL), 0);
	assert_int_equal(read_int(&rr, "SCARD", "cases", NULL), 0);
	at_v1[0].value = "1";
	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(read_int(&rr, "SISMEMBER", "cases", "c1"), 1);
	assert_string_equal(read_str(&rr, "HGET", "lead:1", "_v"), "1"); /* checked, not bumped */
	/* "0": must not exist */
	m.record = "case:2";
	m.ops = absent;
	m.n_ops = 1;
	assert_int_equal(mutate(&m, &res), JD_OK);
	absent[0].key = "lead:1";
	m.record = "case:3";
	assert_int_equal(mutate(&m, &res), JD_E_CONFLICT);
	/* not on the record itself (expect_version is its check), not negative */
	m.record = "case:1";
	m.expect_version = JD_VERSION_ANY;
	m.ops = self;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	m.ops = negative;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	json_decref(rr.json);
}

/* Redis does not roll a script back: a doomed mutation must write nothing. */
static void test_failed_mutation_applies_nothing(void **state)
{
	struct jd_op counter[] = {{JD_OP_INCRBY, "plain", NULL, "1"}};
	struct jd_op wrong[] = {{JD_OP_HINCRBY, "counters", "n", "1"},
				{JD_OP_SADD, "plain", "x", NULL}};
	const char *set[] = {"f", "v", NULL};
	struct jd_mutation m = {.tenant = "t1",
				.record = "rec:a",
				.expect_version = JD_VERSION_ANY,
				.ops = counter,
				.n_ops = 1};
	struct mres res;
	struct rres rr = {0};

	assert_int_equal(mutate(&m, &res), JD_OK);
	m.set = set;
	m.ops = wrong;
	m.n_ops = 2;
	assert_int_equal(mutate(&m, &res), JD_ERR);
	assert_null(read_str(&rr, "HGET", "rec:a", "f"));
	assert_null(read_str(&rr, "HGET", "counters", "n"));
	assert_string_equal(read_str(&rr, "HGET", "rec:a", "_v"), "1");
	/* the record key itself holding another type */
	m.record = "plain";
	m.ops = NULL;
	m.n_ops = 0;
	assert_int_equal(mutate(&m, &res), JD_ERR);
	json_decref(rr.json);
}

/*
 * The checks the script makes with fewer reads: counters of one hash read
 * together (one not an integer refuses the whole mutation), a key of another
 * type found by the read of its counter, and a write repeated within one
 * mutation made once, but an add after a remove made again.
 */
static void test_trimmed_checks(void **state)
{
	struct jd_op bad[] = {{JD_OP_HINCRBY, "cnt", "a", "1"},
			      {JD_OP_HINCRBY, "cnt", "b", "1"},
			      {JD_OP_SADD, "units", "u", NULL}};
	struct jd_op typed[] = {{JD_OP_ZADD, "idx", "m", "1"}, {JD_OP_HINCRBY, "units", "x", "1"}};
	struct jd_op twice[] = {{JD_OP_SADD, "s", "x", NULL},	  {JD_OP_SREM, "s", "x", NULL},
				{JD_OP_SADD, "s", "x", NULL},	  {JD_OP_SADD, "s", "y", NULL},
				{JD_OP_SADD, "s", "y", NULL},	  {JD_OP_SREM, "s", "y", NULL},
				{JD_OP_HINCRBY, "cnt", "a", "2"}, {JD_OP_HINCRBY, "cnt", "a", "2"}};
	const char *set[] = {"f", "v", NULL};
	struct jd_mutation m = {.tenant = "t1",
				.record = "rec:t",
				.expect_version = JD_VERSION_ANY,
				.set = set,
				.ops = twice,
				.n_ops = 8};
	struct mres res;
	struct rres rr = {0};

	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(read_int(&rr, "SISMEMBER", "s", "x"), 1);
	assert_int_equal(read_int(&rr, "SISMEMBER", "s", "y"), 0);
	assert_string_equal(read_str(&rr, "HGET", "cnt", "a"), "4");
	/* a counter that is not an integer: refused, nothing written */
	m.ops = typed;
	m.n_ops = 1;
	assert_int_equal(mutate(&m, &res), JD_OK);
	m.ops = (struct jd_op[]){{JD_OP_HSET, "cnt", "b", "text"}};
	assert_int_equal(mutate(&m, &res), JD_OK);
	m.ops = bad;
	m.n_ops = 3;
	assert_int_equal(mutate(&m, &res), JD_ERR);
	assert_string_equal(read_str(&rr, "HGET", "cnt", "a"), "4");
	assert_int_equal(read_int(&rr, "SCARD", "units", NULL), 0);
	assert_string_equal(read_str(&rr, "HGET", "rec:t", "_v"), "3");
	/* a counter's key holding a sorted set: refused, nothing written */
	m.ops = typed;
	m.n_ops = 2;
	assert_int_equal(mutate(&m, &res), JD_OK);
	m.ops = (struct jd_op[]){{JD_OP_ZADD, "idx2", "n", "2"}, {JD_OP_HINCRBY, "s", "x", "1"}};
	assert_int_equal(mutate(&m, &res), JD_ERR);
	assert_int_equal(read_int(&rr, "ZCARD", "idx2", NULL), 0);
	assert_string_equal(read_str(&rr, "HGET", "rec:t", "_v"), "4");
	json_decref(rr.json);
}

struct flushed {
	int done;
};

static void flush_cb(int rc, redisReply *reply, void *arg)
{
	struct flushed *fl = arg;

	assert_int_equal(rc, JD_OK);
	assert_int_equal(reply->type, REDIS_REPLY_STATUS);
	fl->done = 1;
}

static void test_noscript_fallback(void **state)
{
	struct store_fx *f = *state;
	const char *argv[] = {"SCRIPT", "FLUSH"};
	const char *set[] = {"a", "1", NULL};
	struct jd_mutation m = {
	    .tenant = "t1", .record = "ns:1", .expect_version = JD_VERSION_ANY, .set = set};
	struct flushed fl = {0};
	struct mres res;

	assert_int_equal(jd_redis_command(f->r, 2, argv, NULL, flush_cb, &fl), JD_OK);
	assert_true(run_until(f->base, &fl.done, 2000));
	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(res.version, 1);
	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(res.version, 2);
	/* several in flight when the cache is gone: each falls back once */
	fl.done = 0;
	assert_int_equal(jd_redis_command(f->r, 2, argv, NULL, flush_cb, &fl), JD_OK);
	struct mres many[5];
	memset(many, 0, sizeof(many));
	for (int i = 0; i < 5; i++)
		assert_int_equal(jd_store_mutate(f->s, &m, mutate_cb, &many[i]), JD_OK);
	assert_true(run_until(f->base, &many[4].done, 3000));
	for (int i = 0; i < 5; i++) {
		assert_int_equal(many[i].calls, 1);
		assert_int_equal(many[i].rc, JD_OK);
		assert_int_equal(many[i].version, 3 + i);
	}
}

static void test_reads(void **state)
{
	const char *set[] = {"name", "Zhang", "city", "Hangzhou", NULL};
	struct jd_mutation m = {
	    .tenant = "t1", .record = "person:1", .expect_version = JD_VERSION_NEW, .set = set};
	struct mres res;
	struct rres rr = {0};
	json_t *a;
	int seen = 0;

	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(READ(&rr, "HGETALL", "person:1"), JD_OK);
	a = rr.json;
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 6); /* name, city and _v */
	for (size_t i = 0; i + 1 < json_array_size(a); i += 2) {
		const char *k = json_string_value(json_array_get(a, i));
		const char *v = json_string_value(json_array_get(a, i + 1));

		if (strcmp(k, "name") == 0 && strcmp(v, "Zhang") == 0)
			seen |= 1;
		if (strcmp(k, "city") == 0 && strcmp(v, "Hangzhou") == 0)
			seen |= 2;
	}
	assert_int_equal(seen, 3);
	assert_int_equal(read_int(&rr, "hlen", "person:1", NULL), 3); /* case-insensitive */
	assert_null(read_str(&rr, "HGET", "person:1", "nothing"));
	assert_int_equal(READ(&rr, "HMGET", "person:1", "name", "nope"), JD_OK);
	assert_true(json_is_string(json_array_get(rr.json, 0)));
	assert_true(json_is_null(json_array_get(rr.json, 1)));
	assert_string_equal(read_str(&rr, "TYPE", "person:1", NULL), "hash");
	assert_int_equal(READ(&rr, "SMEMBERS", "no-such-set"), JD_OK);
	assert_int_equal(json_array_size(rr.json), 0);
	/* another tenant does not see it */
	assert_int_equal(read_argv("t2", 2, (const char *[]){"EXISTS", "person:1"}, &rr), JD_OK);
	assert_int_equal(json_integer_value(rr.json), 0);

	/* write commands and tricks are refused before anything is sent */
	assert_int_equal(READ(&rr, "SET", "person:1", "x"), JD_E_INVALID);
	assert_int_equal(READ(&rr, "DEL", "person:1"), JD_E_INVALID);
	assert_int_equal(READ(&rr, "EVAL", "return 1", "0"), JD_E_INVALID);
	assert_int_equal(READ(&rr, "EXISTS", "person:1", "jd:{t2}:x"), JD_E_INVALID);
	assert_int_equal(READ(&rr, "GET", "a{b}"), JD_E_INVALID);
	assert_int_equal(READ(&rr, "GET", "with space"), JD_E_INVALID);
	assert_int_equal(READ(&rr, "GET"), JD_E_INVALID);
	assert_int_equal(read_argv("bad tenant", 2, (const char *[]){"GET", "k"}, &rr),
			 JD_E_INVALID);
	/* a Redis error reply */
	assert_int_equal(READ(&rr, "GET", "person:1"), JD_ERR);
	json_decref(rr.json);
}

static void test_read_invalid_utf8(void **state)
{
	const char *set[] = {"blob", "\xff\xfe", NULL};
	struct jd_mutation m = {
	    .tenant = "t1", .record = "bin:1", .expect_version = JD_VERSION_ANY, .set = set};
	struct mres res;
	struct rres rr = {0};

	assert_int_equal(mutate(&m, &res), JD_OK);
	assert_int_equal(READ(&rr, "HGET", "bin:1", "blob"), JD_ERR);
	assert_int_equal(READ(&rr, "HGETALL", "bin:1"), JD_ERR);
	json_decref(rr.json);
}

struct ping {
	int done;
	int ok;
};

static void ping_cb(int rc, json_t *result, void *arg)
{
	struct ping *p = arg;

	p->done = 1;
	p->ok =
	    rc == JD_OK && json_is_string(result) && strcmp(json_string_value(result), "PONG") == 0;
}

static void test_ping(void **state)
{
	struct store_fx *f = *state;
	struct ping p = {0};

	assert_int_equal(jd_store_ping(f->s, ping_cb, &p), JD_OK);
	assert_true(run_until(f->base, &p.done, 2000));
	assert_true(p.ok);
}

static void test_invalid_mutations(void **state)
{
	const char *ok_set[] = {"f", "v", NULL};
	const char *reserved[] = {"_v", "9", NULL};
	const char *odd[] = {"f", NULL, NULL};
	const char *empty_field[] = {"", "v", NULL};
	const char *del_reserved[] = {"_x", NULL};
	static const char *const bad_tenants[] = {
	    "",
	    "a b",
	    "t{1}",
	    "t:1",
	    "tenant.one",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}; /* 65 */
	static const char *const bad_ints[] = {
	    "1.5", "+1", "01", "-0", "", "1e3", " 1", "9223372036854775808", "abc"};
	struct jd_mutation good = {
	    .tenant = "t1", .record = "r:1", .expect_version = JD_VERSION_ANY, .set = ok_set};
	struct jd_mutation m;
	struct jd_op op;
	struct mres res;
	char longkey[202];

	for (size_t i = 0; i < sizeof(bad_tenants) / sizeof(bad_tenants[0]); i++) {
		m = good;
		m.tenant = bad_tenants[i];
		assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	}
	m = good;
	m.tenant = NULL;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	m = good;
	m.record = NULL;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	memset(longkey, 'k', 201);
	longkey[201] = '\0';
	m.record = longkey;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	longkey[200] = '\0';
	m.record = longkey; /* 200 is the limit */
	assert_int_equal(mutate(&m, &res), JD_OK);
	m.record = "idem:r"; /* ours */
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	m = good;
	m.set = reserved;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	m.set = odd;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	m.set = empty_field;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	m = good;
	m.del = del_reserved;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	m = good;
	m.expect_version = -2;
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	m = good;
	m.idempotency_key = "has space";
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	m = good;
	m.n_ops = 1; /* and ops NULL */
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);

	m = good;
	m.ops = &op;
	m.n_ops = 1;
	for (size_t i = 0; i < sizeof(bad_ints) / sizeof(bad_ints[0]); i++) {
		op = (struct jd_op){JD_OP_INCRBY, "n", NULL, bad_ints[i]};
		assert_int_equal(mutate(&m, &res), JD_E_INVALID);
		op = (struct jd_op){JD_OP_ZADD, "z", "m", bad_ints[i]};
		assert_int_equal(mutate(&m, &res), JD_E_INVALID);
		op = (struct jd_op){JD_OP_HINCRBY, "h", "f", bad_ints[i]};
		assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	}
	op = (struct jd_op){JD_OP_INCRBY, "n", NULL, "-9223372036854775808"};
	assert_int_equal(mutate(&m, &res), JD_OK);
	op = (struct jd_op){JD_OP_SADD, "s", NULL, NULL}; /* no member */
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	op = (struct jd_op){JD_OP_HSET, "h", "f", NULL}; /* no value */
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	op = (struct jd_op){(enum jd_op_kind)99, "s", "m", NULL};
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	op = (struct jd_op){JD_OP_SADD, "idem:x", "m", NULL};
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	op = (struct jd_op){JD_OP_SADD, "a}b", "m", NULL};
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	op = (struct jd_op){JD_OP_HSET, "r:1", "_v", "100"}; /* the version, through an op */
	assert_int_equal(mutate(&m, &res), JD_E_INVALID);
	assert_int_equal(jd_store_mutate(F->s, NULL, mutate_cb, &res), JD_E_INVALID);
	assert_int_equal(jd_store_mutate(F->s, &good, NULL, NULL), JD_E_INVALID);
}

static void test_unavailable(void **state)
{
	struct store_fx *f = *state;
	struct jd_redis_opts o = {
	    .url = "unix:///nonexistent/jd/redis.sock", .backoff_min_ms = 10, .backoff_max_ms = 50};
	const char *set[] = {"f", "v", NULL};
	struct jd_mutation m = {
	    .tenant = "t1", .record = "r", .expect_version = JD_VERSION_ANY, .set = set};
	struct jd_redis *r = jd_redis_new(f->base, &o);
	struct jd_store *s;
	struct mres res = {0};
	struct ping p = {0};

	assert_non_null(r);
	s = jd_store_new(r);
	assert_non_null(s);
	run_for(f->base, 20);
	assert_int_equal(jd_store_mutate(s, &m, mutate_cb, &res), JD_E_UNAVAILABLE);
	assert_int_equal(jd_store_read(s, "t1", 2, (const char *[]){"GET", "k"}, ping_cb, &p),
			 JD_E_UNAVAILABLE);
	assert_int_equal(jd_store_ping(s, ping_cb, &p), JD_E_UNAVAILABLE);
	run_for(f->base, 20);
	assert_int_equal(res.calls, 0);
	assert_int_equal(p.done, 0);
	jd_store_free(s);
	jd_redis_free(r);
}

/* Freeing the store with work in flight: the callbacks still run, once. */
static void test_free_with_pending(void **state)
{
	struct store_fx *f = *state;
	const char *set[] = {"f", "v", NULL};
	struct jd_mutation m = {
	    .tenant = "t1", .record = "r", .expect_version = JD_VERSION_ANY, .set = set};
	struct mres res[3];

	memset(res, 0, sizeof(res));
	for (int i = 0; i < 3; i++)
		assert_int_equal(jd_store_mutate(f->s, &m, mutate_cb, &res[i]), JD_OK);
	jd_store_free(f->s);
	f->s = NULL;
	assert_true(run_until(f->base, &res[0].done, 2000));
	/* and the rest when the connection goes */
	jd_redis_free(f->r);
	f->r = NULL;
	for (int i = 0; i < 3; i++)
		assert_int_equal(res[i].calls, 1);
	assert_int_equal(res[0].rc, JD_OK);
}

/* ---- Paged listings (storage/listing.c) ----------------------------------- */

#define N_IDS 250

/* ids "i000".."i249" in index "idx" (score 0: by id), summaries "s<n>" in "sums",
 * and owners "o<n % 3>" of each in "owners". */
static void make_index(void)
{
	static char ids[N_IDS][8], sums[N_IDS][8], own[3][8];
	struct jd_op ops[2 * N_IDS + 3];
	struct mres m;
	size_t n = 0;

	for (int i = 0; i < N_IDS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "i%03d", i);
		snprintf(sums[i], sizeof(sums[i]), "s%d", i);
		ops[n++] = (struct jd_op){JD_OP_ZADD, "idx", ids[i], "0"};
		ops[n++] = (struct jd_op){JD_OP_HSET, "sums", ids[i], sums[i]};
	}
	for (int k = 0; k < 3; k++) {
		snprintf(own[k], sizeof(own[k]), "o%d", k);
		ops[n++] = (struct jd_op){JD_OP_HSET, "owners", own[k], k == 1 ? "yes" : "no"};
	}
	assert_int_equal(mutate(&(const struct jd_mutation){.tenant = "t1",
							    .record = "listing",
							    .expect_version = JD_VERSION_ANY,
							    .ops = ops,
							    .n_ops = n},
				&m),
			 JD_OK);
}

/* keeps the ids whose number is a multiple of arg's divisor */
static int every_nth(void *arg, const char *id, const char *summary, const char *joined,
		     json_t **item)
{
	int n = atoi(id + 1);

	(void)joined;
	assert_non_null(summary);
	assert_int_equal(atoi(summary + 1), n); /* the summary of that id */
	*item = n % *(int *)arg == 0 ? json_string(id) : NULL;
	return JD_OK;
}

static const char *owner_of(void *arg, const char *id, const char *summary, char *buf, size_t len)
{
	(void)arg;
	(void)summary;
	snprintf(buf, len, "o%d", atoi(id + 1) % 3);
	return buf;
}

/* keeps the ids whose owner says "yes" (those with n % 3 == 1) */
static int owner_yes(void *arg, const char *id, const char *summary, const char *joined,
		     json_t **item)
{
	(void)arg;
	(void)summary;
	assert_non_null(joined);
	*item = strcmp(joined, "yes") == 0 ? json_string(id) : NULL;
	return JD_OK;
}

struct page_res {
	int done, calls, rc;
	json_t *items;
	char next[24];
	int has_next;
};

static void page_cb(int rc, json_t *items, const char *next, void *arg)
{
	struct page_res *p = arg;

	p->calls++;
	p->done = 1;
	p->rc = rc;
	p->items = json_incref(items);
	p->has_next = next != NULL;
	snprintf(p->next, sizeof(p->next), "%s", next ? next : "");
}

/* Follows the cursors of spec from the start: all items, pages in *pages, sizes checked. */
static json_t *all_pages(struct jd_listing *spec, int *pages)
{
	json_t *all = json_array();
	struct page_res p;
	char cursor[24] = "";

	*pages = 0;
	do {
		memset(&p, 0, sizeof(p));
		spec->cursor = cursor;
		assert_int_equal(jd_listing_page(F->s, spec, page_cb, &p), JD_OK);
		assert_int_equal(p.calls, 0); /* never from inside the call */
		assert_true(run_until(F->base, &p.done, 3000));
		assert_int_equal(p.rc, JD_OK);
		assert_true(json_array_size(p.items) <= spec->limit);
		if (p.has_next) /* only a full page (or a scan cut short) has a next */
			assert_int_equal(json_array_size(p.items), spec->limit);
		json_array_extend(all, p.items);
		json_decref(p.items);
		snprintf(cursor, sizeof(cursor), "%s", p.next);
		assert_true(++*pages < 100);
	} while (p.has_next);
	return all;
}

static void test_listing_filtered_pages(void **state)
{
	int div = 7, pages;
	struct jd_listing spec = {.tenant = "t1",
				  .index = "idx",
				  .summaries = "sums",
				  .limit = 4,
				  .item = every_nth,
				  .arg = &div};
	json_t *all;

	(void)state;
	make_index();
	/* 36 kept of 250, read 100 ids a batch: pages of 4 go on across batches */
	all = all_pages(&spec, &pages);
	assert_int_equal(json_array_size(all), 36);
	for (size_t i = 0; i < json_array_size(all); i++) {
		char want[8];

		snprintf(want, sizeof(want), "i%03zu", i * 7);
		assert_string_equal(json_string_value(json_array_get(all, i)), want);
	}
	assert_true(pages >= 9 && pages <= 10); /* the last may be empty */
	json_decref(all);

	/* newest first: the same ids the other way round */
	spec.newest_first = 1;
	spec.limit = 500;
	all = all_pages(&spec, &pages);
	assert_int_equal(pages, 1);
	assert_int_equal(json_array_size(all), 36);
	assert_string_equal(json_string_value(json_array_get(all, 0)), "i245");
	json_decref(all);
}

static void test_listing_join(void **state)
{
	int pages;
	struct jd_listing spec = {.tenant = "t1",
				  .index = "idx",
				  .summaries = "sums",
				  .join = "owners",
				  .join_key = owner_of,
				  .limit = 30,
				  .item = owner_yes};
	json_t *all;

	(void)state;
	make_index();
	all = all_pages(&spec, &pages);
	assert_int_equal(json_array_size(all), 83); /* 1, 4, ..., 247 */
	assert_string_equal(json_string_value(json_array_get(all, 0)), "i001");
	assert_string_equal(json_string_value(json_array_get(all, 82)), "i247");
	json_decref(all);
}

static void test_listing_refused(void **state)
{
	int div = 1;
	struct jd_listing spec = {.tenant = "t1",
				  .index = "idx",
				  .summaries = "sums",
				  .limit = 10,
				  .item = every_nth,
				  .arg = &div};
	struct page_res p = {0};

	(void)state;
	spec.cursor = "12a";
	assert_int_equal(jd_listing_page(F->s, &spec, page_cb, &p), JD_E_INVALID);
	spec.cursor = "1234567890"; /* longer than any cursor a page answers */
	assert_int_equal(jd_listing_page(F->s, &spec, page_cb, &p), JD_E_INVALID);
	spec.cursor = NULL;
	spec.limit = 0;
	assert_int_equal(jd_listing_page(F->s, &spec, page_cb, &p), JD_E_INVALID);
	spec.limit = JD_LISTING_MAX + 1;
	assert_int_equal(jd_listing_page(F->s, &spec, page_cb, &p), JD_E_INVALID);
	spec.limit = 10;
	spec.join = "owners"; /* a join without its key */
	assert_int_equal(jd_listing_page(F->s, &spec, page_cb, &p), JD_E_INVALID);
	run_for(F->base, 5);
	assert_int_equal(p.calls, 0);
	/* an empty index: one empty page, no next */
	spec.join = NULL;
	spec.index = "nothing";
	assert_int_equal(jd_listing_page(F->s, &spec, page_cb, &p), JD_OK);
	assert_true(run_until(F->base, &p.done, 3000));
	assert_int_equal(p.rc, JD_OK);
	assert_int_equal(json_array_size(p.items), 0);
	assert_false(p.has_next);
	json_decref(p.items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_then_conflict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idempotent_retry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ops_indexes_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sliced_mutation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_staged_mutation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_other_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_mutation_applies_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trimmed_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_noscript_fallback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_invalid_utf8, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_mutations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unavailable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_with_pending, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_filtered_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_join, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_refused, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	jd_log_set_level(getenv("JD_TEST_LOG") ? "debug" : "err");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
