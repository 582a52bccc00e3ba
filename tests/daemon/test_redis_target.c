/*
 * The connection's target hook (what Redis Sentinel steers) against a real
 * redis-server on TCP: where() asked before each attempt, ROLE checked
 * after the handshake, a READONLY reply drops the connection, messages
 * that answer no command go to the push handler, and jd_redis_reconnect.
 */
#include <stdlib.h>

#include <jiandu/plugin.h>

#include "redis_harness.h"
#include "storage/redis.h"
#include "storage/sentinel.h"

struct fx {
	struct event_base *base;
	char dir[64];
	char url[PATH_MAX]; /* the unix socket: a second client, outside the hook */
	int port;
	pid_t pid;
	struct jd_redis *r;
	struct jd_redis *admin;
	/* what the hook saw */
	int wheres;
	int checks;
	char want_role[16];
	int pushes;
	char pushed[64];
};

static int where(void *arg, char *host, size_t hostlen, int *port, char *why, size_t len)
{
	struct fx *f = arg;

	(void)why;
	(void)len;
	f->wheres++;
	snprintf(host, hostlen, "127.0.0.1");
	*port = f->port;
	return JD_OK;
}

static int check(void *arg, const redisReply *role, char *why, size_t len)
{
	struct fx *f = arg;

	f->checks++;
	if (role->type == REDIS_REPLY_ARRAY && role->elements > 0 &&
	    strcmp(role->element[0]->str, f->want_role) == 0)
		return JD_OK;
	snprintf(why, len, "not a %s", f->want_role);
	return JD_E_UNAVAILABLE;
}

static struct jd_redis_opts opts(const struct jd_redis_target *t)
{
	struct jd_redis_opts o = {.command_timeout_ms = 2000,
				  .connect_timeout_ms = 1000,
				  .backoff_min_ms = 10,
				  .backoff_max_ms = 50,
				  .target = t};
	return o;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char port[16];
	struct jd_redis_opts o;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/jdtest-target-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->url, sizeof(f->url), "unix://%s/redis.sock", f->dir);
	f->port = free_tcp_port();
	snprintf(port, sizeof(port), "%d", f->port);
	const char *extra[] = {"--port", port, "--bind", "127.0.0.1", NULL};
	f->pid = spawn_server(f->dir, extra);
	f->base = event_base_new();
	assert_non_null(f->base);
	o = opts(NULL);
	o.url = f->url;
	f->admin = jd_redis_new(f->base, &o);
	assert_non_null(f->admin);
	assert_true(run_until_state(f->base, f->admin, JD_REDIS_OK, 2000));
	snprintf(f->want_role, sizeof(f->want_role), "master");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jd_redis_free(f->r);
	jd_redis_free(f->admin);
	event_base_free(f->base);
	kill_server(&f->pid);
	rm_tree(f->dir);
	free(f);
	return 0;
}

struct result {
	int done;
	int rc;
	int type;
	long long integer;
};

static void record_cb(int rc, redisReply *reply, void *arg)
{
	struct result *res = arg;

	res->done = 1;
	res->rc = rc;
	if (reply != NULL) {
		res->type = reply->type;
		res->integer = reply->integer;
	}
}

static int call(struct fx *f, struct jd_redis *r, int argc, const char **argv, struct result *res)
{
	memset(res, 0, sizeof(*res));
	if (jd_redis_command(r, argc, argv, NULL, record_cb, res) != JD_OK)
		return JD_E_UNAVAILABLE;
	assert_true(run_until(f->base, &res->done, 3000));
	return res->rc;
}

static void connect_target(struct fx *f, const struct jd_redis_target *t)
{
	struct jd_redis_opts o = opts(t);

	f->r = jd_redis_new(f->base, &o);
	assert_non_null(f->r);
}

static void test_where_and_role(void **state)
{
	struct fx *f = *state;
	const struct jd_redis_target t = {where, check, f};
	const char *ping[] = {"PING"};
	struct result res;

	connect_target(f, &t);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 2000));
	assert_int_equal(f->wheres, 1);
	assert_int_equal(f->checks, 1);
	assert_int_equal(call(f, f->r, 1, ping, &res), JD_OK);
	assert_int_equal(res.type, REDIS_REPLY_STATUS);
}

static void test_role_refused(void **state)
{
	struct fx *f = *state;
	const struct jd_redis_target t = {where, check, f};

	snprintf(f->want_role, sizeof(f->want_role), "sentinel");
	connect_target(f, &t);
	/* never ready; each attempt asks where() again and checks ROLE again */
	for (uint64_t end = now_ms() + 3000; f->checks < 3 && now_ms() < end;)
		run_for(f->base, 5);
	assert_true(f->checks >= 3);
	assert_true(f->wheres >= f->checks);
	assert_int_not_equal(jd_redis_state(f->r), JD_REDIS_OK);
}

static void test_readonly_drops(void **state)
{
	struct fx *f = *state;
	const struct jd_redis_target t = {where, check, f};
	/* a replica of nothing: read-only at once */
	const char *demote[] = {"REPLICAOF", "127.0.0.1", "1"};
	const char *set[] = {"SET", "k", "v"};
	struct result res;

	connect_target(f, &t);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 2000));
	assert_int_equal(call(f, f->admin, 3, demote, &res), JD_OK);
	assert_int_equal(call(f, f->r, 3, set, &res), JD_E_UNAVAILABLE);
	assert_int_equal(jd_redis_stats(f->r)->disconnects, 1);
	/* and it does not come back: ROLE says slave now */
	for (uint64_t end = now_ms() + 3000; f->checks < 3 && now_ms() < end;)
		run_for(f->base, 5);
	assert_true(f->checks >= 3);
	assert_int_not_equal(jd_redis_state(f->r), JD_REDIS_OK);
}

static void on_push(int rc, redisReply *reply, void *arg)
{
	struct fx *f = arg;

	assert_int_equal(rc, JD_OK);
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
		snprintf(f->pushed, sizeof(f->pushed), "%s", reply->element[2]->str);
		f->pushes++;
	}
}

static void test_push_and_reconnect(void **state)
{
	struct fx *f = *state;
	const struct jd_redis_target t = {where, NULL, f};
	const char *sub[] = {"SUBSCRIBE", "chan"};
	const char *pub[] = {"PUBLISH", "chan", "hello"};
	struct result res;
	int pushed = 0;

	connect_target(f, &t);
	jd_redis_on_push(f->r, on_push, f);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 2000));
	assert_int_equal(f->checks, 0); /* no check: no ROLE */
	assert_int_equal(call(f, f->r, 2, sub, &res), JD_OK);
	assert_int_equal(call(f, f->admin, 3, pub, &res), JD_OK);
	assert_int_equal(res.integer, 1);
	for (uint64_t end = now_ms() + 2000; !(pushed = f->pushes) && now_ms() < end;)
		run_for(f->base, 5);
	assert_int_equal(pushed, 1);
	assert_string_equal(f->pushed, "hello");

	/* re-made at once, where() asked again */
	jd_redis_reconnect(f->r, 1, "test");
	assert_int_not_equal(jd_redis_state(f->r), JD_REDIS_OK);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 2000));
	assert_int_equal(f->wheres, 2);
	assert_int_equal(jd_redis_stats(f->r)->connects, 2);
}

static void test_sentinel_list_check(void **state)
{
	char err[200];

	(void)state;
	assert_int_equal(jd_sentinel_list_check("127.0.0.1:26379", err, sizeof(err)), JD_OK);
	assert_int_equal(jd_sentinel_list_check(" a:1, b.example:2 ,[::1]:26379", err, sizeof(err)),
			 JD_OK);
	assert_int_equal(jd_sentinel_list_check("a:1,b", err, sizeof(err)), JD_E_INVALID);
	assert_non_null(strstr(err, "'b' is not host:port"));
	assert_int_equal(jd_sentinel_list_check("a:0", err, sizeof(err)), JD_E_INVALID);
	assert_int_equal(jd_sentinel_list_check("a:70000", err, sizeof(err)), JD_E_INVALID);
	assert_int_equal(jd_sentinel_list_check(" , ", err, sizeof(err)), JD_E_INVALID);
	assert_non_null(strstr(err, "no sentinel given"));
	assert_int_equal(jd_sentinel_list_check("a:1,a:2,a:3,a:4,a:5,a:6,a:7,a:8,a:9,a:10,a:11,"
						"a:12,a:13,a:14,a:15,a:16,a:17",
						err, sizeof(err)),
			 JD_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_where_and_role, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_role_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_drops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_push_and_reconnect, setup, teardown),
	    cmocka_unit_test(test_sentinel_list_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
