#include "transport/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"
#include "runtime/log.h"
#include "transport/error_pages.h"
#include "transport/request.h"
#include "transport/server.h"

/* How long accepting rests after accept failed: relayd's one second. */
#define ACCEPT_PAUSE_MS 1000

static int conn_index = -1;
/* evhttp keeps the accept callback's argument for itself: its listener is found here. */
static struct jd_listener *listeners;

static struct jd_listener *listener_of_http(const void *http)
{
	for (struct jd_listener *l = listeners; l != NULL; l = l->next_listener)
		if (l->http == http)
			return l;
	return NULL;
}

static void resume_if_room(struct jd_listener *l)
{
	if (l->closed || !l->paused || l->conns >= l->max_conns || l->bound == NULL)
		return;
	l->paused = 0;
	if (!l->fd_paused) /* else the timer re-arms it */
		evconnlistener_enable(evhttp_bound_socket_get_listener(l->bound));
	jd_info("accepting again", "listener=%s connections=%u", l->name, l->conns);
}

static void on_fd_timer(evutil_socket_t fd, short what, void *arg)
{
	struct jd_listener *l = arg;

	(void)fd;
	(void)what;
	l->fd_paused = 0;
	if (l->closed || l->bound == NULL || l->paused)
		return;
	evconnlistener_enable(evhttp_bound_socket_get_listener(l->bound));
	jd_debug("accepting again after a pause", "listener=%s connections=%u", l->name, l->conns);
}

/*
 * accept() failed with an error that retrying at once would not cure
 * (EMFILE, ENFILE, ENOBUFS...): the socket stays readable, so a listener
 * left enabled would spin the loop.  Rest, and let the timer try again;
 * the waiting clients stay in the backlog.
 */
static void on_accept_error(struct evconnlistener *lev, void *http)
{
	struct jd_listener *l = listener_of_http(http);
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {ACCEPT_PAUSE_MS / 1000, (ACCEPT_PAUSE_MS % 1000) * 1000};

	if (l == NULL)
		return; /* not ours: libevent's warning */

	evconnlistener_disable(lev);
	l->fd_paused = 1;
	l->fd_pauses++;
	if (l->fd_timer == NULL)
		l->fd_timer = evtimer_new(l->srv->base, on_fd_timer, l);
	if (l->fd_timer == NULL || evtimer_add(l->fd_timer, &tv) != 0) {
		/* no timer: accept again at once rather than never */
		jd_err("cannot arm the accept timer", "listener=%s", l->name);
		l->fd_paused = 0;
		evconnlistener_enable(lev);
		return;
	}
	jd_warn("accept failed; accepting paused",
		"listener=%s error=\"%s\" connections=%u pauses=%llu ms=%d", l->name,
		evutil_socket_error_to_string(err), l->conns, (unsigned long long)l->fd_pauses,
		ACCEPT_PAUSE_MS);
}

static void unlink_conn(struct jd_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (c->l != NULL)
		c->l->conn_list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

/* Runs when OpenSSL frees a connection's SSL: the connection is gone. */
static void on_ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct jd_conn *c = ptr;
	struct jd_listener *l;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (c == NULL)
		return;
	l = c->l;
	jd_error_pages_unwatch(c);
	unlink_conn(c);
	if (c->deadline != NULL)
		event_free(c->deadline);
	free(c);
	if (l == NULL)
		return;
	l->conns--;
	resume_if_room(l);
}

static int ensure_conn_index(void)
{
	if (conn_index < 0)
		conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, on_ssl_free);
	return conn_index >= 0 ? JD_OK : JD_ERR;
}

struct jd_conn *jd_listener_conn_of(struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	return ssl ? SSL_get_ex_data(ssl, conn_index) : NULL;
}

/*
 * evhttp's idle timeout restarts with every byte, so a client trickling a
 * handshake or a header would hold its slot for ever.  Each connection must
 * complete a request within request_timeout of opening or of its last one;
 * otherwise the socket is shut down and evhttp frees the connection.
 */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct jd_conn *c = arg;
	evutil_socket_t sock;

	(void)fd;
	(void)what;
	if (c->pending > 0 || c->dispatched != c->dispatched_seen) {
		c->dispatched_seen = c->dispatched;
		return;
	}
	sock = bufferevent_getfd(c->bev);
	jd_debug("closing a connection that sent no complete request in time", "listener=%s",
		 c->l ? c->l->name : "-");
	if (sock >= 0)
		shutdown(sock, SHUT_RDWR);
	event_del(c->deadline);
}

static struct jd_conn *conn_new(struct jd_listener *l, struct bufferevent *bev)
{
	struct timeval tv = {(time_t)l->request_timeout, 0};
	struct jd_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->l = l;
	c->bev = bev;
	c->deadline = event_new(l->srv->base, -1, EV_PERSIST, on_deadline, c);
	if (c->deadline == NULL || event_add(c->deadline, &tv) != 0) {
		if (c->deadline != NULL)
			event_free(c->deadline);
		free(c);
		return NULL;
	}
	c->next = l->conn_list;
	if (c->next != NULL)
		c->next->prev = c;
	l->conn_list = c;
	return c;
}

static void pause_if_full(struct jd_listener *l)
{
	if (l->conns < l->max_conns || l->paused || l->bound == NULL)
		return;
	evconnlistener_disable(evhttp_bound_socket_get_listener(l->bound));
	l->paused = 1;
	jd_warn("connection limit reached; accepting paused", "listener=%s connections=%u", l->name,
		l->conns);
}

/* evhttp asks for each accepted connection's bufferevent: a TLS one. */
static struct bufferevent *make_tls_bev(struct event_base *base, void *arg)
{
	struct jd_listener *l = arg;
	struct bufferevent *bev;
	struct jd_conn *conn;
	SSL *ssl;

	ERR_clear_error();
	ssl = SSL_new(l->ctx);
	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* libevent 2.1.12 never sends close_notify; a peer's bare EOF is a normal close. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	conn = conn_new(l, bev);
	if (conn == NULL) {
		bufferevent_free(bev); /* frees ssl too */
		return NULL;
	}
	SSL_set_ex_data(ssl, conn_index, conn);
	if (jd_error_pages_watch(conn) != JD_OK) {
		bufferevent_free(bev); /* frees ssl and conn too */
		return NULL;
	}
	l->conns++;
	l->accepted++;
	pause_if_full(l);
	return bev;
}

/* The address fd is bound to, "127.0.0.1:7443" or "[::1]:7443" (port 0 resolved). */
static void local_addr(int fd, char *addr, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0)
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(addr, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(addr, len, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

static int set_opt(int fd, int level, int name)
{
	int one = 1;

	return setsockopt(fd, level, name, &one, sizeof(one));
}

int jd_listener_open(const char *name, const char *spec, char *addr, size_t addrlen, char *err,
		     size_t errlen)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss), fd;
	char host[256];
	unsigned port;

	if (jd_config_split_hostport(spec, host, sizeof(host), &port) != JD_OK)
		goto bad;
	snprintf(addr, addrlen, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) != 0)
		goto bad;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || set_opt(fd, SOL_SOCKET, SO_REUSEADDR) != 0 ||
	    set_opt(fd, SOL_SOCKET, SO_KEEPALIVE) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, (socklen_t)sslen) != 0 || listen(fd, 1024) != 0) {
		snprintf(err, errlen, "%s.listen %s: cannot bind: %s", name, spec,
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Accepted sockets inherit it: without it evhttp's split TLS records wait ~40 ms. */
	if (set_opt(fd, IPPROTO_TCP, TCP_NODELAY) != 0)
		jd_warn("cannot set TCP_NODELAY", "listener=%s", name);
	local_addr(fd, addr, addrlen);
	return fd;
bad:
	snprintf(err, errlen, "%s.listen: bad address '%s'", name, spec);
	return -1;
}

/* Serves fd, the listener's own or one a master process opened (workers). */
static int bind_socket(struct jd_listener *l, const char *listen, int fd, char *err, size_t errlen)
{
	struct evconnlistener *lev;

	if (fd < 0)
		fd = jd_listener_open(l->name, listen, l->addr, sizeof(l->addr), err, errlen);
	else
		local_addr(fd, l->addr, sizeof(l->addr));
	if (fd < 0)
		return JD_E_INVALID;
	/* backlog 0: listen() was called where the socket was opened */
	lev = evconnlistener_new(l->srv->base, NULL, NULL,
				 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (lev == NULL) {
		close(fd);
		snprintf(err, errlen, "%s.listen %s: cannot serve", l->name, listen);
		return JD_ERR;
	}
	l->bound = evhttp_bind_listener(l->http, lev);
	if (l->bound == NULL) {
		evconnlistener_free(lev);
		snprintf(err, errlen, "%s.listen %s: cannot serve", l->name, listen);
		return JD_ERR;
	}
	evconnlistener_set_error_cb(lev, on_accept_error);
	return JD_OK;
}

struct jd_listener *jd_listener_new(struct jd_server *srv, const char *name, int control,
				    const char *listen, int fd, SSL_CTX *ctx, char *err,
				    size_t errlen)
{
	struct jd_listener *l;

	if (ensure_conn_index() != JD_OK)
		snprintf(err, errlen, "cannot allocate TLS ex_data index");
	l = conn_index >= 0 ? calloc(1, sizeof(*l)) : NULL;
	if (l == NULL) {
		SSL_CTX_free(ctx);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	l->srv = srv;
	l->name = name;
	l->control = control;
	l->ctx = ctx;
	l->next_listener = listeners;
	listeners = l;
	l->http = evhttp_new(srv->base);
	if (l->http == NULL) {
		snprintf(err, errlen, "%s: cannot create HTTP server", name);
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	evhttp_set_bevcb(l->http, make_tls_bev, l);
	evhttp_set_gencb(l->http, jd_request_dispatch, l);
	evhttp_set_allowed_methods(l->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE);
	evhttp_set_default_content_type(l->http, "application/json");
	jd_listener_apply_limits(l, srv->cfg);
	if (bind_socket(l, listen, fd, err, errlen) != JD_OK)
		goto fail;
	jd_info("listening", "listener=%s addr=%s client_cert=%s", name, l->addr,
		control ? "required" : "optional");
	return l;
fail:
	jd_listener_free(l);
	return NULL;
}

size_t jd_body_ceiling(size_t max_body)
{
	return max_body * 2 + 65536;
}

void jd_listener_apply_limits(struct jd_listener *l, const struct jd_config *cfg)
{
	evhttp_set_max_body_size(l->http, (ev_ssize_t)jd_body_ceiling(cfg->max_body));
	evhttp_set_max_headers_size(l->http, (ev_ssize_t)cfg->max_headers);
	evhttp_set_timeout(l->http, (int)cfg->idle_timeout);
	l->max_conns = cfg->max_connections;
	l->request_timeout = cfg->request_timeout;
	pause_if_full(l);
	resume_if_room(l);
}

void jd_listener_set_ctx(struct jd_listener *l, SSL_CTX *ctx)
{
	/* Connections hold their own reference: the old context lives until they close. */
	SSL_CTX_free(l->ctx);
	l->ctx = ctx;
}

void jd_listener_stop_accepting(struct jd_listener *l)
{
	if (l == NULL || l->bound == NULL)
		return;
	evhttp_del_accept_socket(l->http, l->bound);
	l->bound = NULL;
	l->paused = 0;
	l->fd_paused = 0;
	if (l->fd_timer != NULL)
		event_del(l->fd_timer);
}

void jd_listener_close(struct jd_listener *l)
{
	if (l == NULL || l->closed)
		return;
	l->closed = 1;
	l->bound = NULL;
	if (l->fd_timer != NULL)
		event_free(l->fd_timer);
	l->fd_timer = NULL;
	if (l->http != NULL)
		evhttp_free(l->http); /* some connections go now, the rest in event_base_free */
	l->http = NULL;
	for (struct jd_conn *c = l->conn_list; c != NULL; c = c->next) {
		if (c->deadline != NULL)
			event_free(c->deadline);
		c->deadline = NULL;
	}
}

void jd_listener_free(struct jd_listener *l)
{
	if (l == NULL)
		return;
	jd_listener_close(l);
	while (l->conn_list != NULL) { /* not freed by libevent yet: they outlive us */
		struct jd_conn *c = l->conn_list;

		unlink_conn(c);
		c->l = NULL;
	}
	for (struct jd_listener **p = &listeners; *p != NULL; p = &(*p)->next_listener)
		if (*p == l) {
			*p = l->next_listener;
			break;
		}
	SSL_CTX_free(l->ctx);
	free(l);
}
