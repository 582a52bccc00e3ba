/* One thread per job, its end signalled through a pipe (worker.h). */
#include "runtime/worker.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"

/* Threads at once; past it (or when no thread can start) the work runs in place. */
#define WORKERS_MAX 16

static unsigned running; /* loop thread only */

struct job {
	int fds[2];
	int threaded; /* 0: ran in place */
	pthread_t thread;
	struct event *ev;
	void (*work)(void *arg);
	void (*done)(void *arg);
	void *arg;
};

static void *run(void *ptr)
{
	struct job *j = ptr;
	char one = 1;
	ssize_t n;

	j->work(j->arg);
	do
		n = write(j->fds[1], &one, 1);
	while (n < 0);
	return NULL;
}

static void job_free(struct job *j)
{
	if (j->ev != NULL)
		event_free(j->ev);
	if (j->fds[0] >= 0)
		close(j->fds[0]);
	if (j->fds[1] >= 0)
		close(j->fds[1]);
	free(j);
}

static void on_done(evutil_socket_t fd, short what, void *ptr)
{
	struct job *j = ptr;

	(void)fd;
	(void)what;
	if (j->threaded) {
		pthread_join(j->thread, NULL);
		running--;
	}
	j->done(j->arg);
	job_free(j);
}

int jd_worker_run(struct event_base *base, void (*work)(void *arg), void (*done)(void *arg),
		  void *arg)
{
	struct job *j = calloc(1, sizeof(*j));
	int rc = JD_E_NOMEM;

	if (j == NULL)
		return JD_E_NOMEM;
	*j = (struct job){.fds = {-1, -1}, .work = work, .done = done, .arg = arg};
	if (pipe2(j->fds, O_CLOEXEC) != 0)
		goto fail;
	j->ev = event_new(base, j->fds[0], EV_READ, on_done, j);
	if (j->ev == NULL || event_add(j->ev, NULL) != 0)
		goto fail;
	if (running < WORKERS_MAX && pthread_create(&j->thread, NULL, run, j) == 0) {
		j->threaded = 1;
		running++;
		return JD_OK;
	}
	/* done still runs later, from the loop: the pipe is written already */
	jd_warn("worker: no thread; the work runs on the loop", "running=%u", running);
	(void)run(j);
	return JD_OK;
fail:
	job_free(j);
	return rc;
}
