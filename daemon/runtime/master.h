/*
 * workers = N above 1: this process becomes the master (docs/operations.md,
 * "Workers").  It opens the listening sockets and runs the managed Redis,
 * then starts N workers (this binary again, each a whole jiandud serving
 * the sockets it inherits) and supervises them: a worker that dies is
 * restarted in its slot with backoff, SIGHUP and SIGTERM/SIGINT are passed
 * to every worker, and the master stops the Redis and exits once the last
 * worker has.  The master holds no keys and serves nothing.
 */
#ifndef JD_MASTER_H
#define JD_MASTER_H

struct jd_config;

/* What main passes a worker: --worker=SLOT:CONTROL_FD:API_FD:READY_FD:SYSLOG. */
struct jd_worker_args {
	unsigned slot; /* 1..workers; 0: not a worker */
	int control_fd, api_fd;
	int ready_fd; /* a byte 1 when started, then closed */
	int syslog;
	long master;	       /* the master's pid */
	const char *redis_url; /* --worker-redis: the master's Redis, "" for redis.url */
};

/* Parses --worker's value; JD_OK or JD_E_INVALID. */
int jd_worker_args_parse(const char *spec, struct jd_worker_args *w);

/*
 * Runs the master until every worker has stopped; takes cfg.  ready_fd (or
 * -1) gets a byte 1 once every worker has started, 0 if start-up failed,
 * through report.  Returns the exit code.
 */
int jd_master_run(struct jd_config *cfg, int syslog, int ready_fd, void (*report)(int fd, char ok));

#endif
