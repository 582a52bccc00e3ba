/*
 * Large work in bounded slices (docs/architecture.md "Large work"): a job
 * whose step does a small, fixed amount (a few dozen rows) is run step after
 * step for at most JD_SLICE_MS, then the loop gets the rest of its turn
 * (other requests, /healthz, Redis replies) before the next slice.
 *
 * The next slice is a timer of zero delay, not event_active(): libevent
 * 2.1 runs events made active by an active callback in the same pass,
 * before it polls the sockets again, so a job re-activating itself would
 * starve every connection.  A timer is only due after the next poll.
 */
#ifndef JD_RUNTIME_SLICE_H
#define JD_RUNTIME_SLICE_H

struct event_base;

/* How long one slice may hold the loop. */
#define JD_SLICE_MS 4

/* One step: 1 when there is more to do; anything else ends the job (the step finished it). */
typedef int (*jd_slice_step)(void *arg);

struct jd_slice;

/*
 * Starts the job: its first slice runs on the next turn of the loop, never
 * inside this call.  NULL when out of memory (nothing runs).  The job ends
 * when a step returns other than 1; free it then, or before, with
 * jd_slice_free (a job freed while running runs no further step).
 */
struct jd_slice *jd_slice_start(struct event_base *base, jd_slice_step step, void *arg);
void jd_slice_free(struct jd_slice *s);

#endif
