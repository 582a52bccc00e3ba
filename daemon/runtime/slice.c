#include "runtime/slice.h"

#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "runtime/log.h"

struct jd_slice {
	struct event *ev;
	jd_slice_step step;
	void *arg;
};

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void arm(struct jd_slice *s)
{
	static const struct timeval zero = {0, 0};

	if (evtimer_add(s->ev, &zero) != 0) /* libevent only fails on a broken base */
		jd_warn("cannot schedule the next slice", "step=%p", (void *)s->step);
}

static void run(evutil_socket_t fd, short what, void *arg)
{
	struct jd_slice *s = arg;
	long long end = now_us() + JD_SLICE_MS * 1000;
	int more;

	(void)fd;
	(void)what;
	/* the step may free s (it ends the job): read nothing of s after a last step */
	do
		more = s->step(s->arg);
	while (more == 1 && now_us() < end);
	if (more == 1)
		arm(s);
}

struct jd_slice *jd_slice_start(struct event_base *base, jd_slice_step step, void *arg)
{
	struct jd_slice *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->step = step;
	s->arg = arg;
	s->ev = evtimer_new(base, run, s);
	if (s->ev == NULL) {
		free(s);
		return NULL;
	}
	arm(s);
	return s;
}

void jd_slice_free(struct jd_slice *s)
{
	if (s == NULL)
		return;
	event_free(s->ev);
	free(s);
}
