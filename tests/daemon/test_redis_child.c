/*
 * The managed redis-server: started in a temporary directory, reached
 * through jd_redis, killed, restarted by the supervisor, stopped.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "runtime/log.h"
#include "storage/redis.h"
#include "redis_harness.h"
#include "storage/redis_child.h"

struct fx {
	struct event_base *base;
	char dir[64];
	struct jd_redis_child *child;
	struct jd_redis *r;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/jdtest-child-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	assert_non_null(f->base);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jd_redis_free(f->r);
	jd_redis_child_stop(f->child);
	event_base_free(f->base);
	rm_tree(f->dir);
	free(f);
	return 0;
}

struct result {
	int done;
	int rc;
	int type;
	char str[128];
	char second[128];
};

static void record_cb(int rc, redisReply *reply, void *arg)
{
	struct result *res = arg;

	res->done = 1;
	res->rc = rc;
	if (rc != JD_OK)
		return;
	res->type = reply->type;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
		snprintf(res->str, sizeof(res->str), "%s", reply->element[0]->str);
		snprintf(res->second, sizeof(res->second), "%s", reply->element[1]->str);
	} else if (reply->str != NULL) {
		snprintf(res->str, sizeof(res->str), "%s", reply->str);
	}
}

static int call(struct fx *f, struct result *res, int argc, const char **argv)
{
	int rc;

	memset(res, 0, sizeof(*res));
	rc = jd_redis_command(f->r, argc, argv, NULL, record_cb, res);
	if (rc != JD_OK)
		return rc;
	assert_true(run_until(f->base, &res->done, 3000));
	return res->rc;
}

#define CALL(f, res, ...)                                                                          \
	call((f), (res), (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),      \
	     (const char *[]){__VA_ARGS__})

/* Waits until a PING through jd_redis succeeds (the connection may lag a restart). */
static int ping_until_ok(struct fx *f, unsigned ms)
{
	uint64_t deadline = now_ms() + ms;
	struct result res;

	while (now_ms() < deadline) {
		if (CALL(f, &res, "PING") == JD_OK && strcmp(res.str, "PONG") == 0)
			return 1;
		run_for(f->base, 10);
	}
	return 0;
}

static void connect_redis(struct fx *f, const char *url)
{
	struct jd_redis_opts o = {.url = url,
				  .command_timeout_ms = 2000,
				  .connect_timeout_ms = 1000,
				  .backoff_min_ms = 20,
				  .backoff_max_ms = 200};

	f->r = jd_redis_new(f->base, &o);
	assert_non_null(f->r);
}

static void test_start_kill_restart_stop(void **state)
{
	struct fx *f = *state;
	const char *url = NULL;
	char expect_url[PATH_MAX + 32], real[PATH_MAX];
	struct result res;
	struct stat st;
	pid_t first, second;

	f->child = jd_redis_child_start(f->base, "redis-server", f->dir, 5000, &url);
	assert_non_null(f->child);
	assert_non_null(realpath(f->dir, real));
	snprintf(expect_url, sizeof(expect_url), "unix://%s/redis.sock", real);
	assert_string_equal(url, expect_url);
	first = jd_redis_child_pid(f->child);
	assert_true(first > 0);
	assert_int_equal(jd_redis_child_restarts(f->child), 0);
	/* the socket is for us alone */
	assert_int_equal(stat(url + strlen("unix://"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	connect_redis(f, url);
	assert_true(ping_until_ok(f, 2000));
	assert_int_equal(CALL(f, &res, "CONFIG", "GET", "appendonly"), JD_OK);
	assert_string_equal(res.second, "yes");
	assert_int_equal(CALL(f, &res, "CONFIG", "GET", "appendfsync"), JD_OK);
	assert_string_equal(res.second, "always");
	assert_int_equal(CALL(f, &res, "CONFIG", "GET", "port"), JD_OK);
	assert_string_equal(res.second, "0");
	assert_int_equal(CALL(f, &res, "SET", "durable", "yes"), JD_OK);

	assert_int_equal(kill(first, SIGKILL), 0);
	{
		uint64_t deadline = now_ms() + 5000;

		while (now_ms() < deadline &&
		       (jd_redis_child_pid(f->child) == first || jd_redis_child_pid(f->child) <= 0))
			run_for(f->base, 10);
	}
	second = jd_redis_child_pid(f->child);
	assert_true(second > 0);
	assert_int_not_equal(second, first);
	assert_int_equal(jd_redis_child_restarts(f->child), 1);
	/* the old one is reaped: no zombie left behind */
	assert_int_equal(waitpid(first, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);

	assert_true(ping_until_ok(f, 5000));
	assert_true(jd_redis_stats(f->r)->connects >= 2);
	/* appendfsync always: what was acknowledged survived the SIGKILL */
	assert_int_equal(CALL(f, &res, "GET", "durable"), JD_OK);
	assert_string_equal(res.str, "yes");

	jd_redis_free(f->r);
	f->r = NULL;
	jd_redis_child_stop(f->child);
	f->child = NULL;
	assert_int_equal(kill(second, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_start_failures(void **state)
{
	struct fx *f = *state;
	const char *url = NULL;
	char missing[PATH_MAX];
	uint64_t t0 = now_ms();

	/* no such binary: the child exits at once, we do not wait wait_ms */
	assert_null(jd_redis_child_start(f->base, "/nonexistent/redis-server", f->dir, 5000, &url));
	assert_true(now_ms() - t0 < 2000);
	assert_null(url);
	snprintf(missing, sizeof(missing), "%s/not-created", f->dir);
	assert_null(jd_redis_child_start(f->base, "redis-server", missing, 5000, &url));
	/* a binary that is not redis-server at all */
	assert_null(jd_redis_child_start(f->base, "false", f->dir, 1000, &url));
	/* redis-server that cannot bind its socket: it says why in its log, which we report */
	snprintf(missing, sizeof(missing), "%s/redis.sock", f->dir);
	assert_int_equal(mkdir(missing, 0700), 0);
	t0 = now_ms();
	assert_null(jd_redis_child_start(f->base, "redis-server", f->dir, 3000, &url));
	assert_true(now_ms() - t0 < 2500);
	snprintf(missing, sizeof(missing), "%s/redis.log", f->dir);
	assert_int_equal(access(missing, R_OK), 0);
}

static void test_stop_while_waiting_to_restart(void **state)
{
	struct fx *f = *state;
	const char *url = NULL;
	pid_t pid;

	f->child = jd_redis_child_start(f->base, "redis-server", f->dir, 5000, &url);
	assert_non_null(f->child);
	pid = jd_redis_child_pid(f->child);
	assert_int_equal(kill(pid, SIGKILL), 0);
	while (jd_redis_child_pid(f->child) == pid)
		run_for(f->base, 5);
	assert_int_equal(jd_redis_child_pid(f->child), 0); /* backoff before the restart */
	jd_redis_child_stop(f->child);
	f->child = NULL;
	run_for(f->base, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_start_kill_restart_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_while_waiting_to_restart, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	jd_log_set_level(getenv("JD_TEST_LOG") ? "debug" : "err");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
