/*
 * storage/cluster.c through jd_redis (redis.cluster) against a real
 * three-master Redis Cluster started here: routing by hash tag, keyless
 * commands on every master, the connect hook per master, a slot moved
 * (MOVED), and every callback run exactly once when the front is freed
 * with commands still waiting.  The daemon's paths over it are
 * tests/integration/t_redis_cluster.sh.
 */
#include "runtime/log.h"
#include "storage/cluster.h"
#include "storage/redis.h"
#include "redis_harness.h"

#define NODES 3

struct fx {
	struct event_base *base;
	char dir[NODES][64];
	pid_t pid[NODES];
	int port[NODES];
	char seeds[128];
	struct jd_redis *r;
};

/* A synchronous command on node i (through its unix socket): the reply, to free. */
static redisReply *node_cmd(struct fx *f, int i, const char *fmt, ...)
{
	char sock[PATH_MAX];
	struct timeval tv = {2, 0};
	redisContext *c;
	redisReply *reply;
	va_list ap;

	snprintf(sock, sizeof(sock), "%s/redis.sock", f->dir[i]);
	c = redisConnectUnixWithTimeout(sock, tv);
	assert_true(c != NULL && c->err == 0);
	va_start(ap, fmt);
	reply = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	assert_non_null(reply);
	return reply;
}

static void node_ok(struct fx *f, int i, const char *fmt, const char *a, const char *b)
{
	redisReply *reply = node_cmd(f, i, fmt, a, b);

	if (reply->type == REDIS_REPLY_ERROR)
		fail_msg("node %d: %s", i, reply->str);
	freeReplyObject(reply);
}

static int cluster_formed(struct fx *f)
{
	for (int i = 0; i < NODES; i++) {
		redisReply *reply = node_cmd(f, i, "CLUSTER INFO");
		int ok = reply->type == REDIS_REPLY_STRING &&
			 strstr(reply->str, "cluster_state:ok") != NULL &&
			 strstr(reply->str, "cluster_known_nodes:3") != NULL;

		freeReplyObject(reply);
		if (!ok)
			return 0;
	}
	return 1;
}

/* Three masters, slots split as redis-cli --cluster create would. */
static void cluster_start(struct fx *f)
{
	static const char *const ranges[NODES][2] = {
	    {"0", "5460"}, {"5461", "10922"}, {"10923", "16383"}};
	char port[NODES][8], bus[NODES][8], conf[NODES][PATH_MAX];

	for (int i = 0; i < NODES; i++) {
		const char *extra[] = {"--port",
				       port[i],
				       "--bind",
				       "127.0.0.1",
				       "--cluster-enabled",
				       "yes",
				       "--cluster-port",
				       bus[i],
				       "--cluster-config-file",
				       conf[i],
				       "--cluster-node-timeout",
				       "2000",
				       NULL};

		snprintf(f->dir[i], sizeof(f->dir[i]), "/tmp/jdtest-cluster-XXXXXX");
		assert_non_null(mkdtemp(f->dir[i]));
		f->port[i] = free_tcp_port();
		snprintf(port[i], sizeof(port[i]), "%d", f->port[i]);
		snprintf(bus[i], sizeof(bus[i]), "%d", free_tcp_port());
		snprintf(conf[i], sizeof(conf[i]), "%s/nodes.conf", f->dir[i]);
		f->pid[i] = spawn_server(f->dir[i], extra);
		node_ok(f, i, "CLUSTER ADDSLOTSRANGE %s %s", ranges[i][0], ranges[i][1]);
	}
	for (int i = 1; i < NODES; i++)
		node_ok(f, 0, "CLUSTER MEET 127.0.0.1 %s %s", port[i], bus[i]);
	for (uint64_t deadline = now_ms() + 20000; !cluster_formed(f);) {
		if (now_ms() > deadline)
			fail_msg("the cluster did not form within 20 s");
		usleep(50000);
	}
	snprintf(f->seeds, sizeof(f->seeds), "127.0.0.1:%d", f->port[0]);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct jd_redis_opts o;

	assert_non_null(f);
	cluster_start(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	o = harness_opts(NULL);
	o.cluster = f->seeds;
	f->r = jd_redis_new(f->base, &o);
	assert_non_null(f->r);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jd_redis_free(f->r);
	event_base_free(f->base);
	for (int i = 0; i < NODES; i++) {
		kill_server(&f->pid[i]);
		rm_tree(f->dir[i]);
	}
	free(f);
	return 0;
}

/* ---- Commands through the front ----------------------------------------------------------- */

static struct cmd_result run_cmd(struct fx *f, int argc, const char **argv)
{
	struct cmd_result res;

	assert_int_equal(cmd_send(f->r, &res, argc, argv), JD_OK);
	assert_true(run_until(f->base, &res.done, 5000));
	assert_int_equal(res.calls, 1);
	return res;
}

static void wait_ready(struct fx *f)
{
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 10000));
}

/* Until PING, sent to every master, is answered by all of them. */
static void wait_all_masters(struct fx *f)
{
	const char *ping[] = {"PING"};
	uint64_t deadline = now_ms() + 10000;

	wait_ready(f);
	for (;;) {
		struct cmd_result res = run_cmd(f, 1, ping);

		if (res.rc == JD_OK) {
			assert_string_equal(res.str, "PONG");
			return;
		}
		assert_int_equal(res.rc, JD_E_UNAVAILABLE);
		assert_true(now_ms() < deadline);
		run_for(f->base, 20);
	}
}

/* The node (index) whose data holds key (KEYS answers for its own node only). */
static int holder(struct fx *f, const char *key)
{
	int found = -1;

	for (int i = 0; i < NODES; i++) {
		redisReply *reply = node_cmd(f, i, "KEYS %s", key);

		if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1) {
			assert_int_equal(found, -1);
			found = i;
		}
		freeReplyObject(reply);
	}
	return found;
}

static void test_routes_by_tag(void **state)
{
	struct fx *f = *state;
	/* {510681}, {510683} and {510000} sit in the three ranges above */
	const char *tags[] = {"jd:{510000}:x", "jd:{510683}:x", "jd:{510681}:x"};
	int where[3];

	wait_ready(f);
	for (int i = 0; i < 3; i++) {
		const char *set[] = {"SET", tags[i], tags[i]};
		const char *get[] = {"GET", tags[i]};
		struct cmd_result res = run_cmd(f, 3, set);

		assert_int_equal(res.rc, JD_OK);
		assert_string_equal(res.str, "OK");
		res = run_cmd(f, 2, get);
		assert_int_equal(res.rc, JD_OK);
		assert_string_equal(res.str, tags[i]);
		where[i] = holder(f, tags[i]);
		assert_int_equal(where[i], i);
	}
}

/* A script with keys goes to its keys' master; without, to every master. */
static void test_scripts_everywhere(void **state)
{
	struct fx *f = *state;
	const char *load[] = {"SCRIPT", "LOAD", "return KEYS[1]"};
	const char *exists[] = {"SCRIPT", "EXISTS", NULL};
	const char *evalsha[] = {"EVALSHA", NULL, "1", "jd:{510683}:k"};
	char sha[48];
	struct cmd_result res;
	redisReply *reply;

	wait_all_masters(f);
	res = run_cmd(f, 3, load);
	assert_int_equal(res.rc, JD_OK);
	assert_int_equal(strlen(res.str), 40);
	memcpy(sha, res.str, 41); /* 40 hex digits and the NUL */
	for (int i = 0; i < NODES; i++) {
		reply = node_cmd(f, i, "SCRIPT EXISTS %s", sha);
		assert_int_equal(reply->element[0]->integer, 1);
		freeReplyObject(reply);
	}
	evalsha[1] = sha;
	res = run_cmd(f, 4, evalsha);
	assert_int_equal(res.rc, JD_OK);
	assert_string_equal(res.str, "jd:{510683}:k");
	/* one master loses its scripts: EXISTS through the front says 0 */
	reply = node_cmd(f, 2, "SCRIPT FLUSH");
	freeReplyObject(reply);
	exists[2] = sha;
	res = run_cmd(f, 3, exists);
	assert_int_equal(res.rc, JD_OK);
	assert_int_equal(res.first, 0);
}

static void count_hook(struct jd_redis *r, void *arg)
{
	(*(int *)arg)++;
}

/* The connect hook runs once per master, with the front as its connection. */
static void test_hook_per_master(void **state)
{
	struct fx *f = *state;
	int hooks = 0;

	jd_redis_on_connect(f->r, count_hook, &hooks);
	wait_ready(f);
	for (uint64_t deadline = now_ms() + 5000; hooks < NODES && now_ms() < deadline;)
		run_for(f->base, 5);
	assert_int_equal(hooks, NODES);
	jd_redis_on_connect(f->r, NULL, NULL);
}

/* A slot moved behind the front's back: MOVED is followed. */
static void test_moved(void **state)
{
	struct fx *f = *state;
	const char *set[] = {"SET", "jd:{510683}:m", "v"};
	const char *get[] = {"GET", "jd:{510683}:m"};
	redisReply *slot, *id;
	struct cmd_result res;

	wait_ready(f);
	res = run_cmd(f, 3, set);
	assert_int_equal(res.rc, JD_OK);
	slot = node_cmd(f, 0, "CLUSTER KEYSLOT %s", "{510683}");
	id = node_cmd(f, 0, "CLUSTER MYID");
	/* an empty slot moves with SETSLOT alone: delete the key first */
	freeReplyObject(node_cmd(f, 1, "DEL %s", "jd:{510683}:m"));
	for (int i = 0; i < NODES; i++)
		freeReplyObject(
		    node_cmd(f, i, "CLUSTER SETSLOT %lld NODE %s", slot->integer, id->str));
	res = run_cmd(f, 3, set);
	assert_int_equal(res.rc, JD_OK);
	res = run_cmd(f, 2, get);
	assert_int_equal(res.rc, JD_OK);
	assert_string_equal(res.str, "v");
	assert_int_equal(holder(f, "jd:{510683}:m"), 0);
	freeReplyObject(slot);
	freeReplyObject(id);
}

/* Freed with commands waiting for a slot and on the wire: each callback once. */
static void test_free_with_pending(void **state)
{
	struct fx *f = *state;
	struct cmd_result res[40];
	char key[40][32];

	wait_ready(f);
	for (int i = 0; i < 40; i++) {
		const char *get[] = {"GET", key[i]};

		snprintf(key[i], sizeof(key[i]), "jd:{t%d}:k", i % 7);
		assert_int_equal(cmd_send(f->r, &res[i], 2, get), JD_OK);
	}
	jd_redis_free(f->r);
	f->r = NULL;
	for (int i = 0; i < 40; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].rc, JD_E_UNAVAILABLE);
	}
}

static void test_seeds_check(void **state)
{
	char err[160];

	assert_int_equal(jd_cluster_seeds_check("10.0.0.1:6379, 10.0.0.2:6379", err, sizeof(err)),
			 JD_OK);
	assert_int_equal(jd_cluster_seeds_check("rediss://:pw@h:7000", err, sizeof(err)), JD_OK);
	assert_int_equal(jd_cluster_seeds_check("", err, sizeof(err)), JD_E_INVALID);
	assert_int_equal(jd_cluster_seeds_check("h:1,,h:2", err, sizeof(err)), JD_E_INVALID);
	assert_non_null(strstr(err, "entry 2 is empty"));
	assert_int_equal(jd_cluster_seeds_check("unix:///run/r.sock", err, sizeof(err)),
			 JD_E_INVALID);
	assert_non_null(strstr(err, "TCP"));
	assert_int_equal(jd_cluster_seeds_check("redis://h:1/0", err, sizeof(err)), JD_OK);
	assert_int_equal(jd_cluster_seeds_check("h:1,redis://h:2/3", err, sizeof(err)),
			 JD_E_INVALID);
	assert_non_null(strstr(err, "entry 2: a cluster has database 0 only"));
	assert_int_equal(jd_cluster_seeds_check("h:99999", err, sizeof(err)), JD_E_INVALID);
	assert_non_null(strstr(err, "entry 1: port"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seeds_check),
	    cmocka_unit_test_setup_teardown(test_routes_by_tag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scripts_everywhere, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hook_per_master, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_moved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_with_pending, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	jd_log_set_level(getenv("JD_TEST_LOG") ? "debug" : "err");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
