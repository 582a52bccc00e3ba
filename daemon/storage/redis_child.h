/*
 * The managed redis-server: a child process on a unix socket in the data
 * directory, append-only file on with appendfsync always, restarted with
 * backoff when it dies, stopped on exit.
 */
#ifndef JD_REDIS_CHILD_H
#define JD_REDIS_CHILD_H

#include <sys/types.h>

struct event_base;
struct jd_redis_child;

/*
 * Starts redis-server (`server` is the binary, looked up in PATH; NULL or
 * "" means "redis-server") with its files in `dir` (must exist, 0700) and
 * waits, before the loop runs, until it answers PING (at most `wait_ms`;
 * 0 means 10 s).  On success *url is set to "unix://<realpath of dir>/redis.sock",
 * a string owned by the child object.  NULL on failure (logged, with the
 * tail of redis-server's own log).
 *
 * Adds an evsignal for SIGCHLD on `base` and only ever reaps its own pid:
 * other code may watch SIGCHLD too, but must not waitpid(-1).  Call it
 * from the main thread (PR_SET_PDEATHSIG follows the forking thread).
 */
struct jd_redis_child *jd_redis_child_start(struct event_base *base, const char *server,
					    const char *dir, unsigned wait_ms, const char **url);
/* SIGTERM, wait up to 5 s, then SIGKILL; frees. */
void jd_redis_child_stop(struct jd_redis_child *c);
pid_t jd_redis_child_pid(const struct jd_redis_child *c);
unsigned jd_redis_child_restarts(const struct jd_redis_child *c);
/* A waitpid() status for the log: "exit_status=N" or "signal=SIGKILL". */
const char *jd_describe_exit(int status, char *buf, size_t len);

#endif
