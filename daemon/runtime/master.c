/*
 * The master process of workers = N (master.h).
 *
 * Workers are started with fork and exec of this binary: each begins with
 * a clean process (its own event loop, its own keyring in locked memory,
 * nothing of the master's libevent state), and a worker's crash touches
 * neither the master nor its siblings.  The listening sockets are opened
 * here once and inherited, so every worker accepts on the same ports
 * (port 0 included) and a restarted worker needs no bind.
 *
 * Only our own children are reaped (waitpid per pid): the managed Redis
 * watches SIGCHLD on the same loop for its own pid.
 */
#include "runtime/master.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"
#include "runtime/log.h"
#include "storage/redis_child.h"
#include "transport/listener.h"
#include "transport/server.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define STABLE_MS      10000 /* a worker up this long restarts quickly again */
#define REDIS_WAIT_MS  10000

struct master;

struct worker {
	struct master *m;
	unsigned slot;
	pid_t pid;
	int ready_fd;
	struct event *ready_ev;
	struct event *restart_ev;
	unsigned backoff_ms;
	struct timespec started;
	int ready;
};

struct master {
	struct event_base *base;
	struct jd_config *cfg;
	char exe[PATH_MAX];
	char conf[PATH_MAX];
	int fds[2]; /* control, api */
	struct jd_redis_child *redis;
	const char *redis_url;
	struct worker *w;
	unsigned n;
	unsigned n_ready; /* workers of the first start that reported ready */
	int started;	  /* every worker of the first start reported ready */
	int syslog;
	int stopping;
	int failed;
	int ready_fd;
	void (*report)(int fd, char ok);
	struct event *sig[4];
};

int jd_worker_args_parse(const char *spec, struct jd_worker_args *w)
{
	int used = 0;

	if (sscanf(spec, "%u:%d:%d:%d:%d:%ld%n", &w->slot, &w->control_fd, &w->api_fd, &w->ready_fd,
		   &w->syslog, &w->master, &used) != 6 ||
	    spec[used] != '\0' || w->slot == 0 || w->control_fd < 0 || w->api_fd < 0)
		return JD_E_INVALID;
	return JD_OK;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static unsigned live_workers(const struct master *m)
{
	unsigned n = 0;

	for (unsigned i = 0; m->w != NULL && i < m->n; i++)
		n += m->w[i].pid > 0;
	return n;
}

static void report_once(struct master *m, char ok)
{
	if (m->ready_fd < 0)
		return;
	m->report(m->ready_fd, ok);
	m->ready_fd = -1;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void exec_worker(const struct master *m, const struct worker *w, int ready)
{
	char spec[96], redis[PATH_MAX + 32];
	char *argv[] = {(char *)"jiandud", (char *)"-c", (char *)m->conf, spec, redis, NULL};

	/* the master gone (kill -9), its workers stop too */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
		_exit(126);
	if (fcntl(m->fds[0], F_SETFD, 0) != 0 || fcntl(m->fds[1], F_SETFD, 0) != 0 ||
	    fcntl(ready, F_SETFD, 0) != 0)
		_exit(126);
	snprintf(spec, sizeof(spec), "--worker=%u:%d:%d:%d:%d:%ld", w->slot, m->fds[0], m->fds[1],
		 ready, m->syslog, (long)getppid());
	snprintf(redis, sizeof(redis), "--worker-redis=%s", m->redis_url ? m->redis_url : "");
	execv(m->exe, argv);
	_exit(127);
}

static void close_ready(struct worker *w)
{
	if (w->ready_ev != NULL)
		event_free(w->ready_ev);
	w->ready_ev = NULL;
	if (w->ready_fd >= 0)
		close(w->ready_fd);
	w->ready_fd = -1;
}

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct master *m = w->m;
	char ok = 0;

	(void)what;
	if (read(fd, &ok, 1) != 1)
		ok = 0;
	close_ready(w); /* one byte, then EOF: watched no more */
	if (ok != 1)
		return; /* closed without a word: its exit says why */
	w->ready = 1;
	jd_info("worker started", "worker=%u pid=%ld", w->slot, (long)w->pid);
	if (!m->started && ++m->n_ready == m->n) {
		m->started = 1;
		jd_notice("workers started", "workers=%u", m->n);
		report_once(m, 1);
	}
}

static int start_worker(struct worker *w)
{
	struct master *m = w->m;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return JD_ERR;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return JD_ERR;
	}
	if (pid == 0)
		exec_worker(m, w, p[1]);
	close(p[1]);
	w->pid = pid;
	w->ready = 0;
	w->ready_fd = p[0];
	clock_gettime(CLOCK_MONOTONIC, &w->started);
	w->ready_ev = event_new(m->base, p[0], EV_READ | EV_PERSIST, on_ready, w);
	if (w->ready_ev == NULL || event_add(w->ready_ev, NULL) != 0)
		jd_warn("cannot watch a worker's start", "worker=%u", w->slot);
	return JD_OK;
}

static void on_restart(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval again = {BACKOFF_MAX_MS / 1000, 0};

	(void)fd;
	(void)what;
	if (w->m->stopping || w->pid > 0)
		return;
	if (start_worker(w) != JD_OK) {
		jd_err("cannot start a worker; trying again", "worker=%u err=\"%s\"", w->slot,
		       strerror(errno));
		w->backoff_ms = BACKOFF_MAX_MS;
		if (evtimer_add(w->restart_ev, &again) != 0)
			jd_err("cannot schedule a worker's restart", "worker=%u", w->slot);
	}
}

static void schedule_restart(struct worker *w, long lived_ms)
{
	struct timeval tv;

	if (lived_ms >= STABLE_MS || w->backoff_ms == 0)
		w->backoff_ms = BACKOFF_MIN_MS;
	else
		w->backoff_ms =
		    w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
	tv = (struct timeval){w->backoff_ms / 1000, (suseconds_t)(w->backoff_ms % 1000) * 1000};
	jd_warn("worker restart scheduled", "worker=%u in_ms=%u", w->slot, w->backoff_ms);
	if (evtimer_add(w->restart_ev, &tv) != 0)
		jd_err("cannot schedule a worker's restart", "worker=%u", w->slot);
}

static void signal_workers(struct master *m, int sig)
{
	for (unsigned i = 0; m->w != NULL && i < m->n; i++)
		if (m->w[i].pid > 0 && kill(m->w[i].pid, sig) != 0 && errno != ESRCH)
			jd_warn("cannot signal a worker", "worker=%u err=\"%s\"", m->w[i].slot,
				strerror(errno));
}

static void begin_stop(struct master *m)
{
	m->stopping = 1;
	for (unsigned i = 0; m->w != NULL && i < m->n; i++)
		if (m->w[i].restart_ev != NULL)
			event_del(m->w[i].restart_ev);
	if (live_workers(m) == 0 && m->base != NULL)
		event_base_loopexit(m->base, NULL);
}

static void reaped(struct master *m, struct worker *w, int status)
{
	long lived = elapsed_ms(&w->started);
	char st[64];
	int was_ready = w->ready;

	close_ready(w);
	w->pid = 0;
	if (m->stopping) {
		jd_info("worker stopped", "worker=%u %s", w->slot,
			jd_describe_exit(status, st, sizeof(st)));
		if (live_workers(m) == 0)
			event_base_loopexit(m->base, NULL);
		return;
	}
	jd_err("worker exited", "worker=%u %s lived_ms=%ld", w->slot,
	       jd_describe_exit(status, st, sizeof(st)), lived);
	if (!was_ready && !m->started) {
		/* the first start failed: the configuration or the keys, not bad luck */
		jd_err("start-up failed: a worker did not start; stopping", "worker=%u", w->slot);
		m->failed = 1;
		signal_workers(m, SIGTERM);
		begin_stop(m);
		return;
	}
	schedule_restart(w, lived);
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;

	(void)sig;
	(void)what;
	for (unsigned i = 0; i < m->n; i++) {
		struct worker *w = &m->w[i];
		int status;

		if (w->pid > 0 && waitpid(w->pid, &status, WNOHANG) == w->pid)
			reaped(m, w, status);
	}
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;

	(void)what;
	jd_notice("stop signal: passed to the workers", "signal=%s workers=%u",
		  sig == SIGTERM ? "TERM" : "INT", live_workers(m));
	signal_workers(m, (int)sig); /* a second one makes them exit at once, as alone */
	begin_stop(m);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;

	(void)sig;
	(void)what;
	jd_notice("reload: passed to the workers", "workers=%u", live_workers(m));
	signal_workers(m, SIGHUP);
}

static int watch(struct master *m, size_t slot, int sig, event_callback_fn fn)
{
	m->sig[slot] = evsignal_new(m->base, sig, fn, m);
	return m->sig[slot] != NULL && event_add(m->sig[slot], NULL) == 0 ? JD_OK : JD_ERR;
}

static int open_sockets(struct master *m, char *err, size_t errlen)
{
	char caddr[80], aaddr[80];

	m->fds[0] =
	    jd_listener_open("control", m->cfg->control_listen, caddr, sizeof(caddr), err, errlen);
	if (m->fds[0] < 0)
		return JD_E_INVALID;
	m->fds[1] = jd_listener_open("api", m->cfg->api_listen, aaddr, sizeof(aaddr), err, errlen);
	if (m->fds[1] < 0)
		return JD_E_INVALID;
	jd_notice("jiandud master listening", "control=%s api=%s workers=%u", caddr, aaddr, m->n);
	return JD_OK;
}

static int start_master(struct master *m, char *err, size_t errlen)
{
	ssize_t n = readlink("/proc/self/exe", m->exe, sizeof(m->exe) - 1);

	if (n <= 0 || realpath(m->cfg->path, m->conf) == NULL) {
		snprintf(err, errlen, "cannot find this program or its configuration file: %s",
			 strerror(errno));
		return JD_ERR;
	}
	m->exe[n] = '\0';
	if ((m->base = event_base_new()) == NULL || (m->w = calloc(m->n, sizeof(*m->w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return JD_E_NOMEM;
	}
	signal(SIGPIPE, SIG_IGN);
	if (watch(m, 0, SIGCHLD, on_sigchld) != JD_OK || watch(m, 1, SIGTERM, on_stop) != JD_OK ||
	    watch(m, 2, SIGINT, on_stop) != JD_OK || watch(m, 3, SIGHUP, on_hup) != JD_OK) {
		snprintf(err, errlen, "cannot watch signals");
		return JD_ERR;
	}
	if (jd_server_data_dir(m->cfg, err, errlen) != JD_OK ||
	    open_sockets(m, err, errlen) != JD_OK)
		return JD_E_INVALID;
	if (jd_config_managed_redis(m->cfg)) {
		m->redis = jd_redis_child_start(m->base, m->cfg->redis_server, m->cfg->data_dir,
						REDIS_WAIT_MS, &m->redis_url);
		if (m->redis == NULL) {
			snprintf(err, errlen, "cannot start the managed redis-server (%s) in %s",
				 m->cfg->redis_server, m->cfg->data_dir);
			return JD_ERR;
		}
	}
	for (unsigned i = 0; i < m->n; i++) {
		struct worker *w = &m->w[i];

		*w = (struct worker){.m = m, .slot = i + 1, .ready_fd = -1};
		w->restart_ev = evtimer_new(m->base, on_restart, w);
		if (w->restart_ev == NULL || start_worker(w) != JD_OK) {
			snprintf(err, errlen, "cannot start worker %u: %s", i + 1, strerror(errno));
			return JD_ERR;
		}
	}
	return JD_OK;
}

static void free_master(struct master *m)
{
	for (unsigned i = 0; m->w != NULL && i < m->n; i++) {
		close_ready(&m->w[i]);
		if (m->w[i].restart_ev != NULL)
			event_free(m->w[i].restart_ev);
	}
	free(m->w);
	if (m->redis != NULL)
		jd_redis_child_stop(m->redis); /* after the workers: they flushed through it */
	for (size_t i = 0; i < sizeof(m->sig) / sizeof(m->sig[0]); i++)
		if (m->sig[i] != NULL)
			event_free(m->sig[i]);
	for (int i = 0; i < 2; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	if (m->base != NULL)
		event_base_free(m->base);
	jd_config_free(m->cfg);
}

int jd_master_run(struct jd_config *cfg, int syslog, int ready_fd, void (*report)(int fd, char ok))
{
	struct master m = {.cfg = cfg,
			   .n = cfg->workers,
			   .syslog = syslog,
			   .ready_fd = ready_fd,
			   .report = report,
			   .fds = {-1, -1}};
	char err[1024];
	int rc;

	jd_log_set_level(cfg->log_level);
	if (start_master(&m, err, sizeof(err)) != JD_OK) {
		char q[1100];

		jd_err("start-up failed", "reason=%s", jd_log_quote(q, sizeof(q), err));
		signal_workers(&m, SIGTERM);
		m.failed = 1;
		begin_stop(&m);
	}
	if (live_workers(&m) > 0)
		event_base_dispatch(m.base);
	rc = m.failed ? 1 : 0;
	free_master(&m);
	report_once(&m, (char)!rc);
	jd_notice("jiandud master stopped", "exit=%d", rc);
	return rc;
}
