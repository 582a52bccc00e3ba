/*
 * One HTTPS listener (control or api): evhttp over bufferevent_openssl,
 * with the limits of [limits] and a connection cap that pauses accepting.
 * An accept that fails (out of file descriptors) pauses accepting too, and
 * a timer re-arms it, as OpenBSD relayd does, instead of the loop spinning
 * on a listening socket that stays readable.
 */
#ifndef JD_LISTENER_H
#define JD_LISTENER_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

struct jd_server;
struct jd_config;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;
struct event;
struct bufferevent;
struct jd_error_watch;

/* One accepted connection, alive until OpenSSL frees its SSL. */
struct jd_conn {
	struct jd_conn *next, *prev;
	struct jd_listener *l; /* NULL once the listener is gone */
	struct bufferevent *bev;
	struct event *deadline; /* request_timeout check */
	unsigned long long dispatched, dispatched_seen;
	unsigned pending;	      /* requests dispatched, not yet answered */
	struct jd_error_watch *pages; /* error_pages.c: libevent's own pages rewritten */
};

struct jd_listener {
	struct jd_server *srv;
	const char *name; /* "control" or "api" */
	int control;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	SSL_CTX *ctx;
	unsigned conns;
	unsigned max_conns;
	unsigned request_timeout;
	int paused;    /* at max_conns: until a connection closes */
	int fd_paused; /* accept failed (EMFILE...): until fd_timer re-arms it */
	struct event *fd_timer;
	uint64_t fd_pauses;		   /* how often accept failed */
	struct jd_listener *next_listener; /* the process's listeners (listener.c) */
	int closed;
	struct jd_conn *conn_list;
	uint64_t accepted;
	char addr[80]; /* the bound address, "127.0.0.1:7443" */
};

/*
 * Binds `listen` (host:port), or serves fd when it is not -1 (a socket
 * jd_listener_open made, inherited from the master process); takes ctx
 * and fd.  NULL with the reason in err.
 */
struct jd_listener *jd_listener_new(struct jd_server *srv, const char *name, int control,
				    const char *listen, int fd, SSL_CTX *ctx, char *err,
				    size_t errlen);
/*
 * A listening socket on `spec` (host:port) (non-blocking, close-on-exec, TCP_NODELAY),
 * its bound address in addr; -1 with the reason in err ("cannot bind").
 */
int jd_listener_open(const char *name, const char *spec, char *addr, size_t addrlen, char *err,
		     size_t errlen);
/* Body, header, timeout and connection limits from cfg (also on reload). */
/*
 * What evhttp reads of a body before libevent itself refuses it (its 413,
 * rewritten as our JSON by error_pages.c): twice limits.max_body and a little, so that bodies just
 * over the limit, the common mistake, get our JSON 413 naming the limit
 * (request.c), while one connection still holds at most this much.
 */
size_t jd_body_ceiling(size_t max_body);
void jd_listener_apply_limits(struct jd_listener *l, const struct jd_config *cfg);
/* New connections use ctx from now on (reload); takes ctx. */
void jd_listener_set_ctx(struct jd_listener *l, SSL_CTX *ctx);
/* Closes the listening socket; open connections go on. */
void jd_listener_stop_accepting(struct jd_listener *l);
/*
 * Frees the HTTP server and its connections.  libevent frees some of their
 * bufferevents later (in event_base_free), so the struct itself stays until
 * jd_listener_free, which runs after the loop is gone.
 */
void jd_listener_close(struct jd_listener *l);
void jd_listener_free(struct jd_listener *l);

/* The connection a request arrived on, or NULL once the client has gone. */
struct jd_conn *jd_listener_conn_of(struct evhttp_request *ev);

#endif
