/*
 * The managed redis-server.
 *
 * Start-up blocks until the server answers PING: nothing else can work
 * before it does, and the loop is not running yet.  Restarts after a crash
 * never block: the connection layer (redis.c) reconnects by itself once
 * the new server listens.
 *
 * SIGCHLD: we add our own evsignal and only ever waitpid() our own pid, so
 * other parts of the daemon may watch SIGCHLD for their children too.
 */
#include "storage/redis_child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "runtime/log.h"

#define RESTART_BACKOFF_MIN_MS 100
#define RESTART_BACKOFF_MAX_MS 5000
/* A server that stayed up this long is healthy: its next restart is quick. */
#define RESTART_STABLE_MS 30000
#define STOP_WAIT_MS	  5000
#define POLL_MS		  20
#define DEFAULT_WAIT_MS	  10000
#define LOG_TAIL_LINES	  10

struct jd_redis_child {
	struct event_base *base;
	char *server;
	char *dir;
	char *sock_path;
	char *log_path;
	char *url;
	pid_t pid;
	unsigned restarts;
	unsigned backoff_ms;
	uint64_t started_ms;
	int stopping;
	struct event *sigchld;
	struct event *restart_timer;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- The child side of fork(): async-signal-safe calls only ------------- */

static void child_write_err(const char *what, const char *server)
{
	const char *e = strerror(errno);
	ssize_t n;

	n = write(STDERR_FILENO, what, strlen(what));
	n = write(STDERR_FILENO, server, strlen(server));
	n = write(STDERR_FILENO, ": ", 2);
	n = write(STDERR_FILENO, e, strlen(e));
	n = write(STDERR_FILENO, "\n", 1);
	(void)n;
}

static void child_reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* an ignored signal (SIGPIPE) would stay ignored across exec */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_close_fds(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	if (close_range(3, ~0u, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (long i = 3; i < (max > 0 ? max : 1024); i++)
			close((int)i);
	}
}

static void child_exec(char *const *argv, pid_t parent)
{
	setsid();
	/* the daemon's death (even by SIGKILL) stops its redis-server */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(1);
	child_close_fds();
	child_reset_signals();
	/* redis-server creates its append-only files 0644 and its dirs 0755: make them ours only */
	umask(077);
	execvp(argv[0], argv);
	child_write_err("jiandud: cannot run ", argv[0]);
	_exit(127);
}

/* ---- Spawning ---------------------------------------------------------- */

static pid_t spawn(struct jd_redis_child *c)
{
	/* clang-format off */
	char *argv[] = {
		c->server,
		"--port", "0",
		"--unixsocket", c->sock_path,
		"--unixsocketperm", "700",
		"--dir", c->dir,
		"--appendonly", "yes",
		"--appendfsync", "always",
		"--save", "",
		"--daemonize", "no",
		"--logfile", c->log_path,
		"--protected-mode", "yes",
		NULL,
	};
	/* clang-format on */
	pid_t parent = getpid();
	sigset_t all, old;
	pid_t pid;

	/* no signal may run a handler of ours in the child before exec */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(argv, parent);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		jd_err("redis-server: fork failed", "err=\"%s\"", strerror(errno));
		return -1;
	}
	c->started_ms = now_ms();
	return pid;
}

const char *jd_describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		snprintf(buf, len, "exit_status=%d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));

		snprintf(buf, len, "signal=SIG%s", name ? name : "?");
	} else {
		snprintf(buf, len, "status=%d", status);
	}
	return buf;
}

/* ---- Start-up ------------------------------------------------------------ */

static int ping_once(const char *path)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	redisContext *ctx = redisConnectUnixWithTimeout(path, tv);
	redisReply *reply;
	int rc = JD_ERR;

	if (ctx == NULL)
		return JD_E_NOMEM;
	if (ctx->err != 0 || redisSetTimeout(ctx, tv) != REDIS_OK)
		goto out;
	reply = redisCommand(ctx, "PING");
	if (reply != NULL && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0)
		rc = JD_OK;
	if (reply != NULL)
		freeReplyObject(reply);
out:
	redisFree(ctx);
	return rc;
}

/* Polls until PING answers, the child dies, or wait_ms has passed. */
static int wait_for_ping(struct jd_redis_child *c, unsigned wait_ms, char *why, size_t len)
{
	uint64_t deadline = now_ms() + wait_ms;
	char st[64];
	int status;

	for (;;) {
		pid_t w = waitpid(c->pid, &status, WNOHANG);

		if (w == c->pid) {
			c->pid = 0;
			snprintf(why, len, "redis-server exited during start-up (%s)",
				 jd_describe_exit(status, st, sizeof(st)));
			return JD_ERR;
		}
		if (ping_once(c->sock_path) == JD_OK)
			return JD_OK;
		if (now_ms() >= deadline) {
			snprintf(why, len, "no answer to PING within %u ms", wait_ms);
			return JD_E_TIMEOUT;
		}
		sleep_ms(POLL_MS);
	}
}

/* redis-server says why it would not start in its own log, not on stderr. */
static void log_server_log_tail(const struct jd_redis_child *c)
{
	char buf[8192], q[600];
	const char *lines[LOG_TAIL_LINES];
	size_t n, nlines = 0;
	FILE *f = fopen(c->log_path, "r");

	if (f == NULL) {
		jd_err("redis-server left no log", "path=%s", c->log_path);
		return;
	}
	if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > (long)sizeof(buf) - 1)
		fseek(f, -(long)sizeof(buf) + 1, SEEK_END);
	else
		rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (nlines == LOG_TAIL_LINES) {
			memmove(lines, lines + 1, sizeof(lines[0]) * (LOG_TAIL_LINES - 1));
			nlines--;
		}
		lines[nlines++] = line;
	}
	for (size_t i = 0; i < nlines; i++)
		jd_err("redis-server log", "line=%s", jd_log_quote(q, sizeof(q), lines[i]));
}

static void kill_and_reap(struct jd_redis_child *c)
{
	if (c->pid <= 0)
		return;
	if (kill(c->pid, SIGKILL) != 0 && errno != ESRCH)
		jd_err("redis-server: kill failed", "pid=%d err=\"%s\"", (int)c->pid,
		       strerror(errno));
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}

/* ---- Supervision on the loop ------------------------------------------------ */

static void schedule_restart(struct jd_redis_child *c)
{
	struct timeval tv = {.tv_sec = c->backoff_ms / 1000,
			     .tv_usec = (suseconds_t)(c->backoff_ms % 1000) * 1000};

	jd_info("redis-server restart scheduled", "in_ms=%u", c->backoff_ms);
	if (evtimer_add(c->restart_timer, &tv) != 0)
		jd_err("redis-server: cannot schedule a restart", NULL);
	c->backoff_ms =
	    c->backoff_ms > RESTART_BACKOFF_MAX_MS / 2 ? RESTART_BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void on_restart_timer(evutil_socket_t fd, short what, void *arg)
{
	struct jd_redis_child *c = arg;
	pid_t pid;

	if (c->stopping || c->pid > 0)
		return;
	pid = spawn(c);
	if (pid < 0) {
		schedule_restart(c);
		return;
	}
	c->pid = pid;
	c->restarts++;
	jd_info("redis-server restarted", "pid=%d restarts=%u socket=%s", (int)pid, c->restarts,
		c->sock_path);
}

static void handle_death(struct jd_redis_child *c, int status)
{
	uint64_t uptime = now_ms() - c->started_ms;
	char st[64];

	jd_warn("redis-server died", "pid=%d %s uptime_ms=%llu", (int)c->pid,
		jd_describe_exit(status, st, sizeof(st)), (unsigned long long)uptime);
	c->pid = 0;
	if (c->stopping)
		return;
	if (uptime >= RESTART_STABLE_MS)
		c->backoff_ms = RESTART_BACKOFF_MIN_MS;
	schedule_restart(c);
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct jd_redis_child *c = arg;
	int status;
	pid_t w;

	if (c->pid <= 0)
		return;
	do {
		w = waitpid(c->pid, &status, WNOHANG);
	} while (w < 0 && errno == EINTR);
	if (w == c->pid)
		handle_death(c, status);
}

/* ---- Public API -------------------------------------------------------- */

static void child_free(struct jd_redis_child *c)
{
	if (c->sigchld != NULL)
		event_free(c->sigchld);
	if (c->restart_timer != NULL)
		event_free(c->restart_timer);
	free(c->server);
	free(c->dir);
	free(c->sock_path);
	free(c->log_path);
	free(c->url);
	free(c);
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s != NULL) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

static int child_paths(struct jd_redis_child *c, const char *server, const char *dir)
{
	struct stat st;

	c->server = strdup(server);
	c->dir = realpath(dir, NULL);
	if (c->server == NULL || c->dir == NULL) {
		jd_err("redis-server: bad data directory", "dir=%s err=\"%s\"", dir,
		       strerror(errno));
		return JD_E_INVALID;
	}
	if (stat(c->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		jd_err("redis-server: data directory is not a directory", "dir=%s", c->dir);
		return JD_E_INVALID;
	}
	c->sock_path = join(c->dir, "/redis.sock");
	c->log_path = join(c->dir, "/redis.log");
	c->url = c->sock_path ? join("unix://", c->sock_path) : NULL;
	if (c->sock_path == NULL || c->log_path == NULL || c->url == NULL)
		return JD_E_NOMEM;
	if (strlen(c->sock_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		jd_err("redis-server: data directory path too long for a unix socket", "dir=%s",
		       c->dir);
		return JD_E_INVALID;
	}
	return JD_OK;
}

static int child_events(struct jd_redis_child *c, struct event_base *base)
{
	c->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, c);
	c->restart_timer = evtimer_new(base, on_restart_timer, c);
	if (c->sigchld == NULL || c->restart_timer == NULL || event_add(c->sigchld, NULL) != 0) {
		jd_err("redis-server: cannot watch SIGCHLD", NULL);
		return JD_ERR;
	}
	return JD_OK;
}

struct jd_redis_child *jd_redis_child_start(struct event_base *base, const char *server,
					    const char *dir, unsigned wait_ms, const char **url)
{
	struct jd_redis_child *c;
	char why[200];

	if (base == NULL || dir == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->base = base;
	c->backoff_ms = RESTART_BACKOFF_MIN_MS;
	if (child_paths(c, server && server[0] ? server : "redis-server", dir) != JD_OK ||
	    child_events(c, base) != JD_OK)
		goto fail;
	c->pid = spawn(c);
	if (c->pid < 0)
		goto fail;
	if (wait_for_ping(c, wait_ms ? wait_ms : DEFAULT_WAIT_MS, why, sizeof(why)) != JD_OK) {
		jd_err("redis-server did not start", "server=%s reason=\"%s\"", c->server, why);
		kill_and_reap(c);
		log_server_log_tail(c);
		goto fail;
	}
	jd_info("redis-server started", "pid=%d socket=%s", (int)c->pid, c->sock_path);
	if (url != NULL)
		*url = c->url;
	return c;
fail:
	child_free(c);
	return NULL;
}

void jd_redis_child_stop(struct jd_redis_child *c)
{
	uint64_t deadline;
	int status;

	if (c == NULL)
		return;
	c->stopping = 1;
	event_del(c->restart_timer);
	event_del(c->sigchld);
	if (c->pid > 0 && kill(c->pid, SIGTERM) == 0) {
		deadline = now_ms() + STOP_WAIT_MS;
		while (now_ms() < deadline) {
			pid_t w = waitpid(c->pid, &status, WNOHANG);

			if (w == c->pid || (w < 0 && errno == ECHILD)) {
				jd_info("redis-server stopped", "pid=%d", (int)c->pid);
				c->pid = 0;
				break;
			}
			sleep_ms(POLL_MS);
		}
	}
	if (c->pid > 0) {
		jd_warn("redis-server did not stop in time: killing it", "pid=%d", (int)c->pid);
		kill_and_reap(c);
	}
	child_free(c);
}

pid_t jd_redis_child_pid(const struct jd_redis_child *c)
{
	return c->pid;
}

unsigned jd_redis_child_restarts(const struct jd_redis_child *c)
{
	return c->restarts;
}
