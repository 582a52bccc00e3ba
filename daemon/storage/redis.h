/*
 * Redis connection: hiredis's protocol reader and command formatter over a
 * libevent bufferevent of our own (plain TCP, unix socket, or
 * bufferevent_openssl for rediss://), with per-command timeouts and
 * reconnection with backoff.  See docs/architecture.md for why we do not
 * use hiredis's async context and libevent adapter.
 */
#ifndef JD_REDIS_H
#define JD_REDIS_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

struct event_base;
struct jd_redis;
struct jd_redis_target;

enum jd_redis_state { JD_REDIS_CONNECTING, JD_REDIS_OK, JD_REDIS_DOWN };

/* Zero timeouts and backoffs mean the defaults: 2000, 2000, 100, 5000 ms. */
struct jd_redis_opts {
	const char *url; /* redis://[[user]:pw@]host:port/db, rediss://..., unix:///path[?db=N] */
	unsigned command_timeout_ms;
	unsigned connect_timeout_ms;
	unsigned backoff_min_ms;
	unsigned backoff_max_ms;
	const char *tls_ca; /* rediss:// only; may be NULL */
	const char *tls_cert;
	const char *tls_key;
	/* Redis Cluster: "host:port,..." seeds; url is then unused (storage/cluster.h) */
	const char *cluster;
	/* Set: where to connect is asked before each attempt, url may be NULL (plain TCP, db 0) */
	const struct jd_redis_target *target;
};

struct jd_redis_stats {
	uint64_t commands; /* commands sent */
	uint64_t replies;  /* replies received */
	uint64_t errors;   /* error replies */
	uint64_t refused;  /* of those, "unavailable" ones (jd_redis_reply_unavailable) */
	uint64_t timeouts; /* commands that timed out */
	uint64_t failed;   /* commands failed by a disconnect or refused while down */
	uint64_t connects; /* successful connections */
	uint64_t disconnects;
};

/*
 * reply is borrowed: valid only during the callback, NULL unless rc is
 * JD_OK.  rc: JD_OK (reply may be an error reply: check reply->type),
 * JD_E_UNAVAILABLE (connection lost, or an error reply saying Redis
 * cannot serve for now: see jd_redis_reply_unavailable), JD_E_TIMEOUT.
 */
typedef void (*jd_redis_cb)(int rc, redisReply *reply, void *arg);
/*
 * Called each time a connection is established, after AUTH/SELECT and
 * before the state becomes JD_REDIS_OK: commands it sends go first.  One
 * hook per connection (the store uses it); NULL removes it.
 */
typedef void (*jd_redis_connect_cb)(struct jd_redis *r, void *arg);

/*
 * Where to connect, resolved before each (re)connection attempt (Redis
 * Sentinel: the master the sentinels name).  where() fills host and port,
 * or returns JD_E_UNAVAILABLE with why (the attempt fails and backs off).
 * check, when set, gets the reply to ROLE, sent after AUTH/SELECT: anything
 * but JD_OK drops the connection with why.  A READONLY reply on such a
 * connection drops it too: the server is no longer the master, the next
 * attempt asks where() again.
 */
struct jd_redis_target {
	int (*where)(void *arg, char *host, size_t hostlen, int *port, char *why, size_t whylen);
	int (*check)(void *arg, const redisReply *role, char *why, size_t whylen);
	void *arg;
};

/* Validates the URL: JD_OK or JD_E_INVALID with a reason in err. */
int jd_redis_url_check(const char *url, char *err, size_t errlen);

/* Starts connecting at once; never blocks. NULL on bad options (logged). */
struct jd_redis *jd_redis_new(struct event_base *base, const struct jd_redis_opts *opts);
/*
 * Fails every pending command with JD_E_UNAVAILABLE (callbacks run), then
 * frees.  Safe from inside a callback (the free is deferred until the
 * callback returns).  Free a jd_store using this connection first.
 */
void jd_redis_free(struct jd_redis *r);

void jd_redis_on_connect(struct jd_redis *r, jd_redis_connect_cb cb, void *arg);
/*
 * A reply that answers no command (a message after SUBSCRIBE) goes to cb
 * (rc JD_OK) instead of dropping the connection.  NULL removes it.
 */
void jd_redis_on_push(struct jd_redis *r, jd_redis_cb cb, void *arg);
/*
 * Drops the connection (pending commands fail with JD_E_UNAVAILABLE) and
 * connects again: at once when now is set, else after the backoff.  Safe
 * from a callback.
 */
void jd_redis_reconnect(struct jd_redis *r, int now, const char *why);

/*
 * Queues a command.  JD_OK: cb will run exactly once, later, from the
 * loop (never from inside this call).  JD_E_UNAVAILABLE: not connected,
 * cb will not run.
 */
int jd_redis_command(struct jd_redis *r, int argc, const char **argv, const size_t *argvlen,
		     jd_redis_cb cb, void *arg);

/*
 * 1 when reply is an error reply by which Redis says it cannot serve for
 * now (LOADING, BUSY, MASTERDOWN, READONLY, NOREPLICAS, MISCONF, OOM):
 * the command's callback gets JD_E_UNAVAILABLE instead of the reply.
 */
int jd_redis_reply_unavailable(const redisReply *reply);
/* The text of the last such reply while Redis keeps refusing, "" otherwise. */
const char *jd_redis_refusal(const struct jd_redis *r);

enum jd_redis_state jd_redis_state(const struct jd_redis *r);
/* The loop the connection runs on (for a caller's own timers). */
struct event_base *jd_redis_base(const struct jd_redis *r);
const char *jd_redis_state_name(enum jd_redis_state s); /* "connecting", "ok", "down" */
const struct jd_redis_stats *jd_redis_stats(const struct jd_redis *r);
/* Changes timeouts and backoff live (SIGHUP). */
void jd_redis_set_timeouts(struct jd_redis *r, const struct jd_redis_opts *opts);

#endif
