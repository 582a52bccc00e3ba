/*
 * Harness shared by the cmocka tests that talk to a real Redis: a
 * redis-server of our own on <dir>/redis.sock (started, waited for,
 * killed), the libevent loop driven with a deadline, and a temporary
 * directory removed with all it holds. Everything is static inline, so a
 * test that uses only part of it still builds with -Wall -Wextra -Werror.
 */
#ifndef JD_REDIS_HARNESS_H
#define JD_REDIS_HARNESS_H

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "storage/redis.h"
#include "storage/store.h"

/* The options every test connection uses (fast backoff, 2 s commands). */
static inline struct jd_redis_opts harness_opts(const char *url)
{
	struct jd_redis_opts o = {
	    .url = url,
	    .command_timeout_ms = 2000,
	    .connect_timeout_ms = 1000,
	    .backoff_min_ms = 10,
	    .backoff_max_ms = 100,
	};
	return o;
}

/* ---- The loop with a deadline ------------------------------------------- */

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Runs the loop once, returning after at most ms. */
static inline void run_for(struct event_base *base, unsigned ms)
{
	struct event *t = evtimer_new(base, tick, NULL);
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	assert_non_null(t);
	assert_int_equal(evtimer_add(t, &tv), 0);
	assert_true(event_base_loop(base, EVLOOP_ONCE) >= 0);
	event_free(t);
}

/* Runs the loop until *flag is set or ms have passed; returns *flag. */
static inline int run_until(struct event_base *base, const int *flag, unsigned ms)
{
	uint64_t deadline = now_ms() + ms;

	while (!*flag && now_ms() < deadline)
		run_for(base, 5);
	return *flag;
}

/* Runs the loop until r is in state s or ms have passed; whether it is. */
static inline int run_until_state(struct event_base *base, struct jd_redis *r,
				  enum jd_redis_state s, unsigned ms)
{
	uint64_t deadline = now_ms() + ms;

	while (jd_redis_state(r) != s && now_ms() < deadline)
		run_for(base, 5);
	return jd_redis_state(r) == s;
}

/* ---- Temporary directories ------------------------------------------------ */

static inline int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* Removes dir and everything below it. */
static inline void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- One command's outcome ------------------------------------------------ */

static int cmd_in_command; /* a callback must never run inside jd_redis_command */

struct cmd_result {
	int done;
	int calls;
	int rc;
	int type;
	long long integer;
	long long first; /* an array's first element, if an integer */
	char str[256];
};

static inline void cmd_record_cb(int rc, redisReply *reply, void *arg)
{
	struct cmd_result *res = arg;

	assert_false(cmd_in_command);
	res->calls++;
	res->done = 1;
	res->rc = rc;
	if (rc != JD_OK) {
		assert_null(reply);
		return;
	}
	res->type = reply->type;
	res->integer = reply->integer;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	    reply->element[0]->type == REDIS_REPLY_INTEGER)
		res->first = reply->element[0]->integer;
	if (reply->str != NULL)
		snprintf(res->str, sizeof(res->str), "%.*s", (int)reply->len, reply->str);
}

/* Queues a command recording into res (cleared first); jd_redis_command's rc. */
static inline int cmd_send(struct jd_redis *r, struct cmd_result *res, int argc, const char **argv)
{
	int rc;

	memset(res, 0, sizeof(*res));
	cmd_in_command = 1;
	rc = jd_redis_command(r, argc, argv, NULL, cmd_record_cb, res);
	cmd_in_command = 0;
	return rc;
}

/* A TCP port nobody listens on now (the kernel's pick, released). */
static inline int free_tcp_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* ---- A redis-server of our own -------------------------------------------- */

/*
 * Any reply to PING but LOADING means the server is up: a server with no
 * password answers PONG, one with --requirepass answers NOAUTH.
 */
static inline int server_answers(const char *sock)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);
	redisReply *reply = NULL;
	int up = 0;

	if (c != NULL && c->err == 0) {
		reply = redisCommand(c, "PING");
		up = reply != NULL &&
		     !(reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "LOADING", 7) == 0);
	}
	if (reply != NULL)
		freeReplyObject(reply);
	if (c != NULL)
		redisFree(c);
	return up;
}

/*
 * Starts redis-server on <dir>/redis.sock (no TCP port, no persistence, its
 * log in <dir>/redis.log) plus the extra arguments, a NULL-terminated list
 * or NULL for none, and waits up to 5 s for it to answer. The server dies
 * with the test.
 */
static inline pid_t spawn_server(const char *dir, const char *const *extra)
{
	char sock[PATH_MAX], log[PATH_MAX];
	const char *argv[64];
	int n = 0;
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	snprintf(log, sizeof(log), "%s/redis.log", dir);
	const char *base_args[] = {
	    "redis-server", "--port",	   "0",	 "--unixsocket", sock, "--unixsocketperm",
	    "700",	    "--dir",	   dir,	 "--save",	 "",   "--appendonly",
	    "no",	    "--daemonize", "no", "--logfile",	 log,  NULL};
	for (int i = 0; base_args[i] != NULL; i++)
		argv[n++] = base_args[i];
	for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
		assert_true(n < (int)(sizeof(argv) / sizeof(argv[0])) - 1);
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_true(pid > 0);
	for (uint64_t deadline = now_ms() + 20000; now_ms() < deadline;) {
		if (server_answers(sock))
			return pid;
		usleep(10000);
	}
	fail_msg("redis-server did not start in %s within 20 s", dir);
	return -1;
}

/* Kills the server *pid (if any) at once, reaps it and clears *pid. */
static inline void kill_server(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

/* ---- A server with a connection and a store on it ----------------------------------------- */

struct store_fx {
	struct event_base *base;
	char dir[64];
	char url[PATH_MAX + 16];
	pid_t pid;
	struct jd_redis *r;
	struct jd_store *s;
};

/* A server of our own in /tmp/jdtest-<name>-XXXXXX, connected, its store ready. */
static inline struct store_fx *store_fx_new(const char *name)
{
	struct store_fx *f = calloc(1, sizeof(*f));
	struct jd_redis_opts o;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/jdtest-%.20s-XXXXXX", name);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->url, sizeof(f->url), "unix://%s/redis.sock", f->dir);
	f->pid = spawn_server(f->dir, NULL);
	f->base = event_base_new();
	assert_non_null(f->base);
	o = harness_opts(f->url);
	f->r = jd_redis_new(f->base, &o);
	assert_non_null(f->r);
	f->s = jd_store_new(f->r);
	assert_non_null(f->s);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 2000));
	return f;
}

static inline void store_fx_free(struct store_fx *f)
{
	jd_store_free(f->s);
	jd_redis_free(f->r);
	event_base_free(f->base);
	kill_server(&f->pid);
	rm_tree(f->dir);
	free(f);
}

#endif
