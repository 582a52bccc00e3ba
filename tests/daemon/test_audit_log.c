/*
 * The audited store against a real redis-server: two store objects (two
 * "workers", each with its own connection and its own idea of the chain
 * head) append to one tenant; the compare-and-set on the head and the
 * retry keep one linear chain that verifies.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <sodium.h>

#include "audit/audit.h"
#include "audit/audit_log.h"
#include "runtime/log.h"
#include "storage/redis.h"
#include "redis_harness.h"
#include "storage/store.h"

/* ---- Fixture: one redis-server, two workers ------------------------------- */

#define WORKERS 2

struct fx {
	struct event_base *base;
	char dir[64];
	char sock[PATH_MAX];
	char url[PATH_MAX + 8];
	pid_t pid;
	struct jd_redis *r[WORKERS];
	struct jd_store *s[WORKERS];
	unsigned char key[32];
};

/* Worker i's audit log, its anchors in its own file (as if in its own data_dir). */
static struct jd_audit_log *new_log(struct fx *f, int i)
{
	char path[PATH_MAX];
	struct jd_audit_log_opts ao = {.audit_key = f->key, .anchor_path = path};

	snprintf(path, sizeof(path), "%s/anchors-%d.log", f->dir, i);
	return jd_audit_log_new(&ao);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct jd_redis_opts o = {.command_timeout_ms = 2000,
				  .connect_timeout_ms = 1000,
				  .backoff_min_ms = 10,
				  .backoff_max_ms = 100};
	unsigned char master[32];

	assert_non_null(f);
	assert_true(sodium_init() >= 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/jdtest-auditlog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/redis.sock", f->dir);
	snprintf(f->url, sizeof(f->url), "unix://%s", f->sock);
	f->pid = spawn_server(f->dir, NULL);
	f->base = event_base_new();
	assert_non_null(f->base);
	randombytes_buf(master, sizeof(master));
	assert_int_equal(jd_audit_key(f->key, master), JD_OK);
	o.url = f->url;
	for (int i = 0; i < WORKERS; i++) {
		struct jd_audit_log *l;

		f->r[i] = jd_redis_new(f->base, &o);
		assert_non_null(f->r[i]);
		f->s[i] = jd_store_new(f->r[i]);
		assert_non_null(f->s[i]);
		l = new_log(f, i);
		assert_non_null(l);
		jd_store_set_audit(f->s[i], l);
		assert_true(run_until_state(f->base, f->r[i], JD_REDIS_OK, 2000));
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < WORKERS; i++) {
		jd_store_free(f->s[i]);
		jd_redis_free(f->r[i]);
	}
	event_base_free(f->base);
	kill_server(&f->pid);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* ---- Helpers ------------------------------------------------------------- */

struct mres {
	int done;
	int rc;
	int replayed;
};

static void mutate_cb(int rc, const struct jd_mutate_result *r, void *arg)
{
	struct mres *m = arg;

	m->done++;
	m->rc = rc;
	m->replayed = r ? r->replayed : 0;
}

static int wait_all(struct fx *f, struct mres *res, size_t n)
{
	for (uint64_t deadline = now_ms() + 5000; now_ms() < deadline;) {
		size_t done = 0;

		for (size_t i = 0; i < n; i++)
			done += res[i].done == 1;
		if (done == n)
			return 1;
		run_for(f->base, 5);
	}
	return 0;
}

static redisContext *sync_conn(struct fx *f)
{
	struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
	redisContext *c = redisConnectUnixWithTimeout(f->sock, tv);

	assert_non_null(c);
	assert_int_equal(c->err, 0);
	return c;
}

/* Reads the tenant's stream and verifies it; returns the report (caller decrefs). */
static json_t *verify_stream(struct fx *f, const char *tenant, size_t *n_out)
{
	redisContext *c = sync_conn(f);
	redisReply *r = redisCommand(c, "XRANGE jd:{%s}:audit - +", tenant);
	struct jd_audit_entry *es;
	const char **fv;
	size_t *lens;
	json_t *report;

	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	es = calloc(r->elements + 1, sizeof(*es));
	assert_non_null(es);
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *fields = r->element[i]->element[1];

		fv = calloc(fields->elements + 1, sizeof(*fv));
		lens = calloc(fields->elements + 1, sizeof(*lens));
		assert_non_null(fv);
		assert_non_null(lens);
		for (size_t k = 0; k < fields->elements; k++) {
			fv[k] = fields->element[k]->str;
			lens[k] = fields->element[k]->len;
		}
		assert_int_equal(jd_audit_entry_from_fields(&es[i], fv, lens, fields->elements),
				 JD_OK);
		free(fv);
		free(lens);
	}
	report = jd_audit_verify(f->key, es, r->elements, NULL, NULL, NULL, 0);
	assert_non_null(report);
	*n_out = r->elements;
	free(es);
	freeReplyObject(r);
	redisFree(c);
	return report;
}

/* ---- Tests ----------------------------------------------------------------- */

#define ROUNDS 20

/* The creation of t1's note i, its key in rec. */
static struct jd_mutation note_create(int i, char rec[32])
{
	static const char *set[] = {"title", "x", NULL};

	snprintf(rec, 32, "note:%d", i);
	return (struct jd_mutation){.tenant = "t1",
				    .record = rec,
				    .expect_version = JD_VERSION_NEW,
				    .set = set,
				    .action = "test.create"};
}

static void create_on(struct fx *f, int worker, int i, char rec[32], struct mres *res)
{
	struct jd_mutation m = note_create(i, rec);

	assert_int_equal(jd_store_mutate(f->s[worker], &m, mutate_cb, res), JD_OK);
}

/*
 * Strictly alternating, each worker's head is stale every time (the other
 * one appended since): every mutation goes through the retry path once.
 * Then both at once, a pair at a time: one wins the head, the other
 * rebuilds its entry on the winner's and sends again.
 */
static void test_two_workers_alternate(void **state)
{
	struct fx *f = *state;
	struct mres res[4 * ROUNDS];
	char records[4 * ROUNDS][32];
	json_t *report;
	size_t n;

	memset(res, 0, sizeof(res));
	for (int i = 0; i < 2 * ROUNDS; i++) {
		create_on(f, i % 2, i, records[i], &res[i]);
		assert_true(wait_all(f, &res[i], 1));
		assert_int_equal(res[i].rc, JD_OK);
	}
	for (int i = 2 * ROUNDS; i < 4 * ROUNDS; i += 2) {
		create_on(f, 0, i, records[i], &res[i]);
		create_on(f, 1, i + 1, records[i + 1], &res[i + 1]);
		assert_true(wait_all(f, &res[i], 2));
		assert_int_equal(res[i].rc, JD_OK);
		assert_int_equal(res[i + 1].rc, JD_OK);
	}
	report = verify_stream(f, "t1", &n);
	assert_int_equal(n, 4 * ROUNDS);
	assert_true(json_is_true(json_object_get(report, "ok")));
	assert_int_equal(json_integer_value(json_object_get(report, "valid")), 4 * ROUNDS);
	json_decref(report);
}

/*
 * Another writer's turn holds a mutation back until it is gone (deleted
 * here: its holder appended or died); a writer that lost the head takes the
 * turn and leaves none behind once its resend applied.
 */
static void test_turn_yields_to_its_holder(void **state)
{
	struct fx *f = *state;
	redisContext *c = sync_conn(f);
	struct mres res[2];
	char records[2][32];
	redisReply *r;

	memset(res, 0, sizeof(res));
	/* worker 1 appends first: worker 0's first send finds the head moved */
	create_on(f, 1, 0, records[0], &res[0]);
	assert_true(wait_all(f, &res[0], 1));
	assert_int_equal(res[0].rc, JD_OK);
	r = redisCommand(c, "SET jd:{t1}:audit:turn someone-else");
	assert_non_null(r);
	freeReplyObject(r);
	create_on(f, 0, 1, records[1], &res[1]);
	/* 100 ms of the loop: time enough for many sends, had it not yielded */
	for (uint64_t until = now_ms() + 100; now_ms() < until;)
		run_for(f->base, 5);
	assert_int_equal(res[1].done, 0);
	r = redisCommand(c, "EXISTS jd:{t1}:note:1");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	r = redisCommand(c, "DEL jd:{t1}:audit:turn");
	freeReplyObject(r);
	assert_true(wait_all(f, &res[1], 1));
	assert_int_equal(res[1].rc, JD_OK);
	r = redisCommand(c, "EXISTS jd:{t1}:audit:turn jd:{t1}:note:1");
	assert_int_equal(r->integer, 1);
	freeReplyObject(r);
	redisFree(c);
}

/* A turn that is not a string is refused like any damaged audit key. */
static void test_turn_of_another_type_refused(void **state)
{
	struct fx *f = *state;
	redisContext *c = sync_conn(f);
	struct mres res = {0};
	char rec[32];
	redisReply *r = redisCommand(c, "HSET jd:{t1}:audit:turn a b");

	freeReplyObject(r);
	create_on(f, 0, 0, rec, &res);
	assert_true(wait_all(f, &res, 1));
	assert_int_equal(res.rc, JD_ERR);
	r = redisCommand(c, "EXISTS jd:{t1}:note:0");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	redisFree(c);
}

/*
 * Worker 0 keeps a queue of mutations in flight while worker 1 sends one
 * at a time: every mutation of both goes through, and the chain verifies.
 * (Two daemons, where the one with work queued won every round without
 * the turn, are t_audit's.)
 */
#define FLOOD 200
static void test_a_flood_does_not_starve_the_other(void **state)
{
	struct fx *f = *state;
	static struct mres res[FLOOD + ROUNDS];
	static char records[FLOOD + ROUNDS][32];
	json_t *report;
	size_t n;

	memset(res, 0, sizeof(res));
	for (int i = 0; i < FLOOD; i++)
		create_on(f, 0, i, records[i], &res[i]);
	for (int i = FLOOD; i < FLOOD + ROUNDS; i++) {
		create_on(f, 1, i, records[i], &res[i]);
		assert_true(wait_all(f, &res[i], 1));
		assert_int_equal(res[i].rc, JD_OK);
	}
	assert_true(wait_all(f, res, FLOOD));
	for (int i = 0; i < FLOOD; i++)
		assert_int_equal(res[i].rc, JD_OK);
	report = verify_stream(f, "t1", &n);
	assert_int_equal(n, FLOOD + ROUNDS);
	assert_true(json_is_true(json_object_get(report, "ok")));
	json_decref(report);
}

/*
 * The tenant's queue: mutations first, but after JD_AUDIT_WRITES_PER_ACCESS
 * in a row a waiting access entry has its turn; the backlog counts both.
 */
static void noop_start(struct jd_audit_waiter *w)
{
	(void)w;
}

static void test_queue_order_and_backlog(void **state)
{
	struct fx *f = *state;
	struct jd_audit_log *l = jd_store_audit_log(f->s[0]);
	struct jd_audit_waiter holder[JD_AUDIT_PIPELINE], w[6], a[2];
	const struct jd_audit_waiter *want[] = {&w[0], &w[1], &w[2], &w[3], &a[0],
						&w[4], &w[5], &a[1], NULL};

	memset(holder, 0, sizeof(holder));
	memset(w, 0, sizeof(w));
	memset(a, 0, sizeof(a));
	/* the pipeline's slots, all taken */
	for (int i = 0; i < JD_AUDIT_PIPELINE; i++) {
		holder[i].start = noop_start;
		assert_int_equal(jd_audit_log_acquire(l, "tq", &holder[i]), 1);
	}
	for (int i = 0; i < 2; i++) {
		a[i].access = 1;
		assert_int_equal(jd_audit_log_acquire(l, "tq", &a[i]), 0);
	}
	for (int i = 0; i < 6; i++)
		assert_int_equal(jd_audit_log_acquire(l, "tq", &w[i]), 0);
	assert_int_equal(jd_audit_log_backlog(l, "tq"), 8);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_ptr_equal(jd_audit_log_release(l, "tq"), want[i]);
	assert_int_equal(jd_audit_log_backlog(l, "tq"), 0);
	for (int i = 1; i < JD_AUDIT_PIPELINE; i++)
		assert_null(jd_audit_log_release(l, "tq"));
	assert_int_equal(jd_audit_log_acquire(l, "tq", &holder[0]), 1); /* free again */
	assert_null(jd_audit_log_release(l, "tq"));
	assert_null(jd_audit_log_release(l, "tq")); /* nothing held: nothing to free */
}

static void test_conflict_and_replay_append_nothing(void **state)
{
	struct fx *f = *state;
	const char *set[] = {"title", "x", NULL};
	struct jd_mutation m = {.tenant = "t2",
				.record = "note:1",
				.expect_version = JD_VERSION_NEW,
				.idempotency_key = "k1",
				.set = set,
				.action = "test.create"};
	struct jd_mutation c = m;
	struct mres res[3];
	json_t *report;
	size_t n;

	memset(res, 0, sizeof(res));
	c.idempotency_key = NULL;
	assert_int_equal(jd_store_mutate(f->s[0], &m, mutate_cb, &res[0]), JD_OK);
	assert_true(wait_all(f, res, 1)); /* two connections: no order between them */
	assert_int_equal(jd_store_mutate(f->s[1], &m, mutate_cb, &res[1]), JD_OK); /* replay */
	assert_int_equal(jd_store_mutate(f->s[1], &c, mutate_cb, &res[2]), JD_OK); /* conflict */
	assert_true(wait_all(f, res, 3));
	assert_int_equal(res[0].rc, JD_OK);
	assert_int_equal(res[1].rc, JD_OK);
	assert_int_equal(res[1].replayed, 1);
	assert_int_equal(res[2].rc, JD_E_CONFLICT);
	report = verify_stream(f, "t2", &n);
	assert_int_equal(n, 1);
	assert_true(json_is_true(json_object_get(report, "ok")));
	json_decref(report);
}

/* ---- The pipeline (group commit) ------------------------------------------ */

#define PIPE_N (JD_AUDIT_PIPELINE + 24)

/* The targets of tenant's entries, in the stream's order, into out (n at most); their count. */
static size_t stream_targets(struct fx *f, const char *tenant, char (*out)[32], size_t n)
{
	redisContext *c = sync_conn(f);
	redisReply *r = redisCommand(c, "XRANGE jd:{%s}:audit - +", tenant);
	size_t k = 0;

	assert_non_null(r);
	for (size_t i = 0; i < r->elements && k < n; i++) {
		redisReply *fields = r->element[i]->element[1];

		for (size_t j = 0; j + 1 < fields->elements; j += 2)
			if (strcmp(fields->element[j]->str, "target") == 0)
				snprintf(out[k++], 32, "%s", fields->element[j + 1]->str);
	}
	freeReplyObject(r);
	redisFree(c);
	return k;
}

/* The scripts the server ran since the statistics were reset (INFO commandstats). */
static long long script_calls(struct fx *f)
{
	redisContext *c = sync_conn(f);
	redisReply *r = redisCommand(c, "INFO commandstats");
	long long n = 0;

	assert_non_null(r);
	for (const char *p = r->str; (p = strstr(p, "cmdstat_eval")) != NULL; p++) {
		const char *calls = strstr(p, "calls=");

		if (calls != NULL)
			n += atoll(calls + 6);
	}
	freeReplyObject(r);
	redisFree(c);
	return n;
}

static void reset_stats(struct fx *f)
{
	redisContext *c = sync_conn(f);
	redisReply *r = redisCommand(c, "CONFIG RESETSTAT");

	freeReplyObject(r);
	redisFree(c);
}

/* The stream of tenant verifies and holds n entries. */
static void expect_chain(struct fx *f, const char *tenant, size_t want)
{
	json_t *report;
	size_t n;

	report = verify_stream(f, tenant, &n);
	assert_int_equal(n, want);
	assert_true(json_is_true(json_object_get(report, "ok")));
	assert_int_equal(json_integer_value(json_object_get(report, "valid")), (json_int_t)want);
	json_decref(report);
}

/*
 * Many mutations of one tenant at once: JD_AUDIT_PIPELINE are sent at once
 * (the rest wait), each chained on the one before; Redis applies them in
 * the order sent, each script once (none found its head stale), and the
 * chain verifies.
 */
static void test_pipeline_in_order(void **state)
{
	struct fx *f = *state;
	struct mres res[PIPE_N];
	char records[PIPE_N][32], got[PIPE_N][32];

	memset(res, 0, sizeof(res));
	create_on(f, 0, 0, records[0], &res[0]); /* the first learns the head */
	assert_true(wait_all(f, res, 1));
	reset_stats(f);
	for (int i = 1; i < PIPE_N; i++)
		create_on(f, 0, i, records[i], &res[i]);
	assert_int_equal(jd_audit_log_backlog(jd_store_audit_log(f->s[0]), "t1"),
			 PIPE_N - 1 - JD_AUDIT_PIPELINE);
	assert_true(wait_all(f, res, PIPE_N));
	for (int i = 0; i < PIPE_N; i++)
		assert_int_equal(res[i].rc, JD_OK);
	assert_int_equal(script_calls(f), PIPE_N - 1);
	assert_int_equal(stream_targets(f, "t1", got, PIPE_N), PIPE_N);
	for (int i = 0; i < PIPE_N; i++)
		assert_string_equal(got[i], records[i]);
	expect_chain(f, "t1", PIPE_N);
}

/*
 * Refused mutations in the middle of a pipeline (a conflict, a replay, a
 * script error) append nothing; the ones sent after them, chained on
 * entries that never were, append nothing either, and are built again on
 * the head and sent again: every other mutation applies, the chain verifies.
 */
static void test_pipeline_failures_in_the_middle(void **state)
{
	struct fx *f = *state;
	const char *set[] = {"title", "x", NULL};
	struct jd_op bad = {JD_OP_SADD, "notaset", "m", NULL};
	struct mres res[PIPE_N], pre[3];
	char records[PIPE_N][32], got[PIPE_N][32];
	redisContext *c = sync_conn(f);
	redisReply *r = redisCommand(c, "SET jd:{t1}:notaset x");
	size_t ok = 0;

	freeReplyObject(r);
	redisFree(c);
	memset(res, 0, sizeof(res));
	memset(pre, 0, sizeof(pre));
	create_on(f, 0, 5, records[5], &pre[0]);   /* note:5 exists: its create conflicts */
	create_on(f, 0, 11, records[11], &pre[1]); /* and note:11 */
	{
		struct jd_mutation m = {.tenant = "t1",
					.record = "note:k",
					.expect_version = JD_VERSION_NEW,
					.idempotency_key = "k8",
					.set = set};

		assert_int_equal(jd_store_mutate(f->s[0], &m, mutate_cb, &pre[2]), JD_OK);
	}
	assert_true(wait_all(f, pre, 3));
	for (int i = 0; i < PIPE_N; i++) {
		struct jd_mutation m = note_create(i, records[i]);

		if (i == 8) { /* a replay of the create above */
			m.record = "note:k";
			m.idempotency_key = "k8";
		}
		if (i == 14) { /* the script refuses it: an op on a key of another type */
			m.ops = &bad;
			m.n_ops = 1;
		}
		assert_int_equal(jd_store_mutate(f->s[0], &m, mutate_cb, &res[i]), JD_OK);
	}
	assert_true(wait_all(f, res, PIPE_N));
	for (int i = 0; i < PIPE_N; i++) {
		int want = i == 5 || i == 11 ? JD_E_CONFLICT : i == 14 ? JD_ERR : JD_OK;

		assert_int_equal(res[i].rc, want);
		assert_int_equal(res[i].replayed, i == 8);
		ok += want == JD_OK && i != 8;
	}
	assert_int_equal(stream_targets(f, "t1", got, PIPE_N), 3 + ok);
	for (size_t i = 3; i < 3 + ok; i++) /* each applied create once, none refused */
		assert_true(strcmp(got[i], "note:5") && strcmp(got[i], "note:11") &&
			    strcmp(got[i], "note:14") && strcmp(got[i], "note:k"));
	expect_chain(f, "t1", 3 + ok);
}

/*
 * Two workers (two daemons) pipeline onto one tenant at once: each finds
 * the head moved by the other, recomputes what it has in flight and sends
 * it again; every mutation applies once and the chain verifies.
 */
static void test_pipeline_two_workers(void **state)
{
	struct fx *f = *state;
	struct mres res[2 * PIPE_N];
	char records[2 * PIPE_N][32];
	redisContext *c;
	redisReply *r;

	memset(res, 0, sizeof(res));
	for (int i = 0; i < 2 * PIPE_N; i++)
		create_on(f, i % 2, i, records[i], &res[i]);
	assert_true(wait_all(f, res, 2 * PIPE_N));
	for (int i = 0; i < 2 * PIPE_N; i++)
		assert_int_equal(res[i].rc, JD_OK);
	expect_chain(f, "t1", 2 * PIPE_N);
	c = sync_conn(f);
	r = redisCommand(c, "EXISTS jd:{t1}:audit:turn");
	assert_int_equal(r->integer, 0); /* the last to take the turn appended since */
	freeReplyObject(r);
	redisFree(c);
}

/* The head key lost: the stream's last entry is the head; a wrong head key fails closed. */
static void test_head_key_lost_or_malformed(void **state)
{
	struct fx *f = *state;
	const char *set[] = {"title", "x", NULL};
	struct jd_mutation m = {
	    .tenant = "t3", .record = "note:1", .expect_version = JD_VERSION_ANY, .set = set};
	redisContext *c = sync_conn(f);
	redisReply *r;
	struct mres res[3];
	json_t *report;
	size_t n;

	memset(res, 0, sizeof(res));
	assert_int_equal(jd_store_mutate(f->s[0], &m, mutate_cb, &res[0]), JD_OK);
	assert_true(wait_all(f, res, 1));
	r = redisCommand(c, "DEL jd:{t3}:audit:head");
	freeReplyObject(r);
	assert_int_equal(jd_store_mutate(f->s[1], &m, mutate_cb, &res[1]), JD_OK);
	assert_true(wait_all(f, res, 2));
	assert_int_equal(res[1].rc, JD_OK);
	report = verify_stream(f, "t3", &n);
	assert_int_equal(n, 2);
	assert_true(json_is_true(json_object_get(report, "ok")));
	json_decref(report);
	r = redisCommand(c, "SET jd:{t3}:audit:head garbage");
	freeReplyObject(r);
	assert_int_equal(jd_store_mutate(f->s[1], &m, mutate_cb, &res[2]), JD_OK);
	assert_true(wait_all(f, res, 3));
	assert_int_equal(res[2].rc, JD_ERR);
	r = redisCommand(c, "XLEN jd:{t3}:audit");
	assert_int_equal(r->integer, 2); /* nothing applied */
	freeReplyObject(r);
	r = redisCommand(c, "HGET jd:{t3}:note:1 _v");
	assert_string_equal(r->str, "2");
	freeReplyObject(r);
	redisFree(c);
}

static void test_audit_keys_refused(void **state)
{
	struct fx *f = *state;
	const char *set[] = {"title", "x", NULL};
	struct jd_op op = {JD_OP_ZADD, "audit", "m", "1"};
	struct jd_mutation m = {
	    .tenant = "t4", .record = "audit:head", .expect_version = JD_VERSION_ANY, .set = set};
	struct mres res = {0};

	assert_int_equal(jd_store_mutate(f->s[0], &m, mutate_cb, &res), JD_E_INVALID);
	m.record = "note:1";
	m.ops = &op;
	m.n_ops = 1;
	assert_int_equal(jd_store_mutate(f->s[0], &m, mutate_cb, &res), JD_E_INVALID);
	op.key = "auditor"; /* only "audit" and "audit:*" are reserved */
	assert_int_equal(jd_store_mutate(f->s[0], &m, mutate_cb, &res), JD_OK);
	assert_true(wait_all(f, &res, 1));
	assert_int_equal(res.rc, JD_OK);
}

/* The chain value of the stream's entry k from the end (0: the last); its id in id. */
static void entry_from_end(struct fx *f, int k, char chain[JD_AUDIT_HEX], char id[64])
{
	redisContext *c = sync_conn(f);
	redisReply *r = redisCommand(c, "XREVRANGE jd:{t1}:audit + - COUNT %d", k + 1);
	redisReply *e, *fields;

	assert_non_null(r);
	assert_int_equal(r->elements, (size_t)k + 1);
	e = r->element[k];
	fields = e->element[1];
	snprintf(id, 64, "%s", e->element[0]->str);
	for (size_t j = 0; j + 1 < fields->elements; j += 2)
		if (strcmp(fields->element[j]->str, "chain") == 0)
			snprintf(chain, JD_AUDIT_HEX, "%s", fields->element[j + 1]->str);
	freeReplyObject(r);
	redisFree(c);
}

static long long xlen(struct fx *f, const char *tenant)
{
	redisContext *c = sync_conn(f);
	redisReply *r = redisCommand(c, "XLEN jd:{%s}:audit", tenant);
	long long n = r->integer;

	freeReplyObject(r);
	redisFree(c);
	return n;
}

/* Worker i's log freed (its anchors written) and made anew on the same file. */
static void restart_log(struct fx *f, int i)
{
	struct jd_audit_log *l;

	jd_store_set_audit(f->s[i], NULL);
	l = new_log(f, i);
	assert_non_null(l);
	jd_store_set_audit(f->s[i], l);
}

/* One create on worker; its outcome, now (refused before sending) or later, is want. */
static void write_expect(struct fx *f, int worker, int i, int want)
{
	char rec[32];
	struct jd_mutation m = note_create(i, rec);
	struct mres res = {0};
	int rc;

	rc = jd_store_mutate(f->s[worker], &m, mutate_cb, &res);
	if (rc == JD_OK) {
		assert_true(wait_all(f, &res, 1));
		rc = res.rc;
	}
	assert_int_equal(rc, want);
}

/*
 * The tail cut and the head key set back: the worker that wrote the tail
 * refuses to chain from the cut head (and alarms in _sys), a worker that
 * never saw the tail cannot know; the anchor survives a new log on the same
 * file; the administrator's decision resumes writes.
 */
static void test_tail_cut_holds_the_tenant(void **state)
{
	struct fx *f = *state;
	char chain2[JD_AUDIT_HEX], chain3[JD_AUDIT_HEX], id3[64], id[64], c[JD_AUDIT_HEX];
	char head[JD_AUDIT_HEX + 24];
	redisContext *rc;
	redisReply *r;
	uint64_t seq = 0, was = 0;

	for (int i = 0; i < 3; i++)
		write_expect(f, 0, i, JD_OK);
	entry_from_end(f, 0, chain3, id3);
	entry_from_end(f, 1, chain2, id);
	/* the attack: the last entry deleted, the head key set back to seq 2 */
	rc = sync_conn(f);
	r = redisCommand(rc, "XDEL jd:{t1}:audit %s", id3);
	assert_int_equal(r->integer, 1);
	freeReplyObject(r);
	snprintf(head, sizeof(head), "2 %s", chain2);
	r = redisCommand(rc, "SET jd:{t1}:audit:head %s", head);
	freeReplyObject(r);
	redisFree(rc);

	write_expect(f, 0, 10, JD_E_UNAVAILABLE);
	assert_true(jd_audit_log_held(jd_store_audit_log(f->s[0]), "t1"));
	assert_int_equal(xlen(f, "t1"), 2);
	for (uint64_t deadline = now_ms() + 5000; xlen(f, "_sys") < 1 && now_ms() < deadline;)
		run_for(f->base, 5);
	assert_int_equal(xlen(f, "_sys"), 1); /* the alarm */
	assert_true(jd_audit_log_moved_back_total() >= 1);

	/* a worker that never saw seq 3 chains from 2: its own anchor is lower */
	write_expect(f, 1, 11, JD_OK);
	entry_from_end(f, 0, c, id);
	assert_string_not_equal(c, chain3);
	write_expect(f, 0, 12, JD_E_UNAVAILABLE);

	/* a new log on the same file (a restart): the anchor is seq 3 as written */
	restart_log(f, 0);
	jd_audit_log_anchor(jd_store_audit_log(f->s[0]), "t1", &seq, c);
	assert_int_equal(seq, 3);
	assert_string_equal(c, chain3);
	assert_int_equal(jd_audit_log_accept_head(jd_store_audit_log(f->s[0]), "t1", &seq, c, &was),
			 JD_E_NOTFOUND);	  /* not held yet: nothing found */
	write_expect(f, 0, 13, JD_E_UNAVAILABLE); /* seq 3 with another chain */

	assert_int_equal(jd_audit_log_accept_head(jd_store_audit_log(f->s[0]), "t1", &seq, c, &was),
			 JD_OK);
	assert_int_equal(seq, 3);
	assert_int_equal(was, 3);
	assert_string_not_equal(c, chain3);
	assert_false(jd_audit_log_held(jd_store_audit_log(f->s[0]), "t1"));
	write_expect(f, 0, 14, JD_OK);
	assert_int_equal(xlen(f, "t1"), 4);

	/* the decision and the new head are in the file */
	restart_log(f, 0);
	jd_audit_log_anchor(jd_store_audit_log(f->s[0]), "t1", &seq, c);
	assert_int_equal(seq, 4);
	write_expect(f, 0, 15, JD_OK);
}

/* A long anchor file (mostly superseded lines) is compacted at start to one line a tenant. */
static void test_anchor_file_compacted(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], a[JD_AUDIT_HEX], b[JD_AUDIT_HEX], c[JD_AUDIT_HEX];
	struct jd_audit_log_opts ao = {.audit_key = f->key, .anchor_path = path};
	struct jd_audit_log *l;
	struct stat st;
	uint64_t seq = 0;
	FILE *out;

	memset(a, 'a', 64);
	memset(b, 'b', 64);
	a[64] = b[64] = '\0';
	snprintf(path, sizeof(path), "%s/anchors-long.log", f->dir);
	out = fopen(path, "w");
	assert_non_null(out);
	for (int i = 1; i <= 1000; i++)
		fprintf(out, "anchor1 t9 %d %s\n", i, a);
	fprintf(out, "not an anchor\naccept1 t9 7 %s\nanchor1 t8 3 %s\n", b, a);
	assert_int_equal(fclose(out), 0);
	for (int round = 0; round < 2; round++) {
		l = jd_audit_log_new(&ao);
		assert_non_null(l);
		jd_audit_log_anchor(l, "t9", &seq, c);
		assert_int_equal(seq, 7); /* the administrator's decision, not the highest */
		assert_string_equal(c, b);
		jd_audit_log_anchor(l, "t8", &seq, c);
		assert_int_equal(seq, 3);
		jd_audit_log_free(l);
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size < 1024);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
}

/* ---- Merged reads -------------------------------------------------------- */

struct eres {
	int done;
	int rc;
};

static void event_cb(int rc, void *arg)
{
	struct eres *e = arg;

	e->done++;
	e->rc = rc;
}

static void read_on(struct fx *f, const char *actor, const char *req, const char *target,
		    struct eres *res)
{
	struct jd_audit_event ev = {.actor = actor,
				    .cred = "token",
				    .source = "10.0.0.1",
				    .req = req,
				    .action = "sealed.read",
				    .target = target,
				    .outcome = "opened",
				    .merge = 1};

	assert_int_equal(jd_store_audit_event(f->s[0], "tm", &ev, event_cb, res), JD_OK);
}

static int events_done(struct fx *f, struct eres *res, size_t n)
{
	for (uint64_t deadline = now_ms() + 5000; now_ms() < deadline; run_for(f->base, 5)) {
		size_t done = 0;

		for (size_t i = 0; i < n; i++)
			done += res[i].done > 0;
		if (done == n)
			return 1;
	}
	return 0;
}

/* Field name of the k-th entry of tenant's stream into out. */
static void entry_field(struct fx *f, const char *tenant, size_t k, const char *name, char *out,
			size_t len)
{
	redisContext *c = sync_conn(f);
	redisReply *r = redisCommand(c, "XRANGE jd:{%s}:audit - +", tenant);
	redisReply *fields;

	assert_non_null(r);
	assert_true(k < r->elements);
	fields = r->element[k]->element[1];
	out[0] = '\0';
	for (size_t j = 0; j + 1 < fields->elements; j += 2)
		if (strcmp(fields->element[j]->str, name) == 0)
			snprintf(out, len, "%s", fields->element[j + 1]->str);
	freeReplyObject(r);
	redisFree(c);
}

/* Sends JD_AUDIT_PIPELINE reads, all in flight until the loop runs: the next ones wait. */
static void fill_pipeline(struct fx *f, struct eres *res)
{
	char req[16];

	for (int i = 0; i < JD_AUDIT_PIPELINE; i++) {
		snprintf(req, sizeof(req), "fill%d", i);
		read_on(f, "filler", req, "note:f#text", &res[i]);
	}
	assert_int_equal(jd_audit_log_backlog(jd_store_audit_log(f->s[0]), "tm"), 0);
}

/*
 * Sealed reads waiting behind a full pipeline: those of one caller become
 * one entry naming every read with its request id, another actor's stay
 * apart; each callback runs once, the merges are counted, the chain
 * verifies.
 */
static void test_reads_merged_while_waiting(void **state)
{
	struct fx *f = *state;
	struct eres fill[JD_AUDIT_PIPELINE], res[4];
	unsigned long long merged = jd_audit_log_reads_merged_total();
	char got[1024];

	memset(fill, 0, sizeof(fill));
	memset(res, 0, sizeof(res));
	fill_pipeline(f, fill);
	read_on(f, "alice", "r1", "note:a#text", &res[0]);
	read_on(f, "bob", "r2", "note:d#text", &res[1]);
	read_on(f, "alice", "r3", "note:b#text note:b#source", &res[2]);
	read_on(f, "alice", "r4", "note:c#text", &res[3]);
	assert_int_equal(jd_audit_log_backlog(jd_store_audit_log(f->s[0]), "tm"), 2);
	assert_true(events_done(f, fill, JD_AUDIT_PIPELINE));
	assert_true(events_done(f, res, 4));
	run_for(f->base, 20); /* a second call would show now */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(res[i].done, 1);
		assert_int_equal(res[i].rc, JD_OK);
	}
	assert_int_equal(jd_audit_log_reads_merged_total() - merged, 2);
	expect_chain(f, "tm", JD_AUDIT_PIPELINE + 2);
	entry_field(f, "tm", JD_AUDIT_PIPELINE, "actor", got, sizeof(got));
	assert_string_equal(got, "alice");
	entry_field(f, "tm", JD_AUDIT_PIPELINE, "target", got, sizeof(got));
	assert_string_equal(got, "req:r1 note:a#text req:r3 note:b#text note:b#source "
				 "req:r4 note:c#text");
	entry_field(f, "tm", JD_AUDIT_PIPELINE + 1, "actor", got, sizeof(got));
	assert_string_equal(got, "bob");
	entry_field(f, "tm", JD_AUDIT_PIPELINE + 1, "target", got, sizeof(got));
	assert_string_equal(got, "note:d#text");
}

/* A read that would outgrow the waiting entry's target starts an entry of its own. */
static void test_merge_capped(void **state)
{
	struct fx *f = *state;
	struct eres fill[JD_AUDIT_PIPELINE], res[3];
	char big[700], got[1024];

	memset(fill, 0, sizeof(fill));
	memset(res, 0, sizeof(res));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "note:", 5);
	fill_pipeline(f, fill);
	read_on(f, "alice", "r1", big, &res[0]);
	read_on(f, "alice", "r2", big, &res[1]);	   /* 1023 bytes at most: apart */
	read_on(f, "alice", "r3", "note:c#text", &res[2]); /* joins the first */
	assert_int_equal(jd_audit_log_backlog(jd_store_audit_log(f->s[0]), "tm"), 2);
	assert_true(events_done(f, fill, JD_AUDIT_PIPELINE));
	assert_true(events_done(f, res, 3));
	expect_chain(f, "tm", JD_AUDIT_PIPELINE + 2);
	entry_field(f, "tm", JD_AUDIT_PIPELINE + 1, "target", got, sizeof(got));
	assert_string_equal(got, big);
	entry_field(f, "tm", JD_AUDIT_PIPELINE, "target", got, sizeof(got));
	assert_non_null(strstr(got, " req:r3 note:c#text"));
	assert_int_equal(strncmp(got, "req:r1 note:xxx", 15), 0);
}

/*
 * A read joins only the newest JD_AUDIT_OPEN waiting entries: once as many
 * other callers' entries were queued after it, a caller's entry takes no
 * more reads, so a read never looks through the whole queue.
 */
static void test_merge_only_into_open_entries(void **state)
{
	struct fx *f = *state;
	struct eres fill[JD_AUDIT_PIPELINE], res[JD_AUDIT_OPEN + 3];
	unsigned long long merged = jd_audit_log_reads_merged_total();
	char actor[16], req[16];
	int n = 0;

	memset(fill, 0, sizeof(fill));
	memset(res, 0, sizeof(res));
	fill_pipeline(f, fill);
	read_on(f, "alice", "a1", "note:a#text", &res[n++]);
	for (int i = 0; i < JD_AUDIT_OPEN - 1; i++) {
		snprintf(actor, sizeof(actor), "other%d", i);
		snprintf(req, sizeof(req), "o%d", i);
		read_on(f, actor, req, "note:o#text", &res[n++]);
	}
	read_on(f, "alice", "a2", "note:b#text", &res[n++]); /* alice's entry is still open */
	read_on(f, "zed", "z1", "note:z#text", &res[n++]);   /* alice's scrolls out */
	read_on(f, "alice", "a3", "note:c#text", &res[n++]); /* an entry of its own */
	assert_int_equal(jd_audit_log_backlog(jd_store_audit_log(f->s[0]), "tm"),
			 JD_AUDIT_OPEN + 2);
	assert_int_equal(jd_audit_log_reads_merged_total() - merged, 1);
	assert_true(events_done(f, fill, JD_AUDIT_PIPELINE));
	assert_true(events_done(f, res, (size_t)n));
	for (int i = 0; i < n; i++)
		assert_int_equal(res[i].rc, JD_OK);
	expect_chain(f, "tm", JD_AUDIT_PIPELINE + JD_AUDIT_OPEN + 2);
}

/* One length-prefixed piece of the change digest (store.c, "The audit entry"). */
static void lp(crypto_hash_sha256_state *st, const void *p, size_t n)
{
	unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
				(unsigned char)(n >> 8), (unsigned char)n};

	crypto_hash_sha256_update(st, len, sizeof(len));
	crypto_hash_sha256_update(st, p, n);
}

static void lp_str(crypto_hash_sha256_state *st, const char *s)
{
	lp(st, s, strlen(s));
}

static void lp_value(crypto_hash_sha256_state *st, const char *v)
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)v, strlen(v), NULL, 0);
	lp(st, h, sizeof(h));
}

/*
 * The change digest an entry carries is "jd-change-v1" as documented,
 * computed here piece by piece: however the store buffers it, the bytes
 * hashed stay the same (a member longer than its buffer included).
 */
static void test_change_digest_format(void **state)
{
	struct fx *f = *state;
	static char body[3000], member[1500];
	const char *set[] = {"title", "x", "body", body, NULL};
	const char *del[] = {"old", NULL};
	struct jd_op ops[] = {{JD_OP_SADD, "idx:notes", member, NULL},
			      {JD_OP_HINCRBY, "counts", "n", "1"}};
	struct jd_mutation m = {.tenant = "td",
				.record = "note:d",
				.expect_version = JD_VERSION_NEW,
				.set = set,
				.del = del,
				.ops = ops,
				.n_ops = 2,
				.action = "test.digest"};
	struct mres res = {0};
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	char want[JD_AUDIT_HEX], got[1024];

	memset(body, 'b', sizeof(body) - 1);
	memset(member, 'm', sizeof(member) - 1);
	assert_int_equal(jd_store_mutate(f->s[0], &m, mutate_cb, &res), JD_OK);
	assert_true(wait_all(f, &res, 1));
	assert_int_equal(res.rc, JD_OK);
	crypto_hash_sha256_init(&st);
	lp_str(&st, "jd-change-v1");
	lp_str(&st, "note:d");
	lp_str(&st, "2");
	lp_str(&st, "title");
	lp_value(&st, "x");
	lp_str(&st, "body");
	lp_value(&st, body);
	lp_str(&st, "1");
	lp_str(&st, "old");
	lp_str(&st, "2");
	lp_str(&st, "sadd");
	lp_str(&st, "idx:notes");
	lp_str(&st, member);
	lp_value(&st, "");
	lp_str(&st, "hincrby");
	lp_str(&st, "counts");
	lp_str(&st, "n");
	lp_value(&st, "1");
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(want, sizeof(want), h, sizeof(h));
	entry_field(f, "td", 0, "digest", got, sizeof(got));
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_two_workers_alternate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_turn_yields_to_its_holder, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_order_and_backlog, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_turn_of_another_type_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_flood_does_not_starve_the_other, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_conflict_and_replay_append_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pipeline_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipeline_failures_in_the_middle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipeline_two_workers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_head_key_lost_or_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_keys_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tail_cut_holds_the_tenant, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_anchor_file_compacted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reads_merged_while_waiting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_merge_capped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_merge_only_into_open_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_change_digest_format, setup, teardown),
	};

	jd_log_set_level(getenv("JD_TEST_LOG") ? "debug" : "err");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
