/*
 * Work that would hold the loop and cannot be cut into slices (Argon2id,
 * parsing one large JSON body) runs on a short-lived thread of its own;
 * its result comes back to the loop through a pipe the loop watches.  The
 * work must touch nothing the loop touches meanwhile: hand it copies.
 */
#ifndef JD_RUNTIME_WORKER_H
#define JD_RUNTIME_WORKER_H

struct event_base;

/*
 * Runs work(arg) on a new thread, then done(arg) from the loop, exactly
 * once, later.  At most 16 threads at once: past that, or when no thread
 * can start, work runs in place (logged) and done still runs later.
 * JD_OK; JD_E_NOMEM: nothing runs.
 */
int jd_worker_run(struct event_base *base, void (*work)(void *arg), void (*done)(void *arg),
		  void *arg);

#endif
