/*
 * One HTTPS listener (control or api): evhttp over bufferevent_openssl,
 * with the limits of [limits] and a connection cap that pauses accepting.
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

struct jd_listener {
	struct jd_server *srv;
	const char *name; /* "control" or "api" */
	int control;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	SSL_CTX *ctx;
	unsigned conns;
	unsigned max_conns;
	int paused;
	uint64_t accepted;
	char addr[80]; /* the bound address, "127.0.0.1:7443" */
};

/* Binds `listen` (host:port); takes ctx.  NULL with the reason in err. */
struct jd_listener *jd_listener_new(struct jd_server *srv, const char *name, int control,
				    const char *listen, SSL_CTX *ctx, char *err, size_t errlen);
/* Body, header, timeout and connection limits from cfg (also on reload). */
void jd_listener_apply_limits(struct jd_listener *l, const struct jd_config *cfg);
/* New connections use ctx from now on (reload); takes ctx. */
void jd_listener_set_ctx(struct jd_listener *l, SSL_CTX *ctx);
/* Closes the listening socket; open connections go on. */
void jd_listener_stop_accepting(struct jd_listener *l);
void jd_listener_free(struct jd_listener *l);

#endif
