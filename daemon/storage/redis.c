/*
 * Redis connection over a bufferevent of our own.
 *
 * Why not hiredis's async context and its libevent adapter (0.14.1): the
 * adapter can free memory inside its own event callback, it has no
 * timeouts, it frees the context by itself on a disconnect (so pending
 * state cannot be kept across a reconnect), and it has no TLS.  hiredis is
 * kept for what it does well: the reply reader and the command formatter.
 *
 * Replies come back in the order commands were sent, so pending commands
 * are a FIFO.  When the oldest one times out the connection is dropped:
 * a late reply could otherwise be taken for the next command's.
 *
 * Re-entrancy: user callbacks run only from event handlers (never from
 * jd_redis_command).  Each handler brackets its work with enter()/leave();
 * jd_redis_free() called from a callback only marks the object, which is
 * destroyed when the outermost handler leaves.  Each transport gets a new
 * generation number so that a handler notices when a callback tore the
 * connection down under it.
 */
#include "storage/redis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "runtime/files.h"
#include "storage/cluster.h"
#include "runtime/log.h"

#define DEFAULT_COMMAND_TIMEOUT_MS 2000
#define DEFAULT_CONNECT_TIMEOUT_MS 2000
#define DEFAULT_BACKOFF_MIN_MS	   100
#define DEFAULT_BACKOFF_MAX_MS	   5000
/* A connection that lived this long earns an immediate reconnect. */
#define STABLE_CONNECTION_MS 1000
#define MAX_DB		     1000000

enum url_kind { URL_TCP, URL_TLS, URL_UNIX };

struct redis_url {
	enum url_kind kind;
	char host[256];
	int port;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char user[128];
	char password[256];
	int has_password;
	int db;
	char display[400]; /* for logs: never holds the password */
};

/* Where the connection is; the public state is derived from it. */
enum phase {
	PHASE_WAIT,	  /* backoff before the next attempt */
	PHASE_OPENING,	  /* inside transport_open(): events are recorded, not handled */
	PHASE_CONNECTING, /* socket connect, DNS, TLS handshake */
	PHASE_HANDSHAKE,  /* AUTH / SELECT sent */
	PHASE_HOOK,	  /* on_connect running: it may queue commands */
	PHASE_READY,
	PHASE_CLOSED,
};

struct jd_cmd {
	struct jd_cmd *next;
	jd_redis_cb cb;
	void *arg;
	uint64_t deadline_ms;
};

struct jd_redis {
	struct event_base *base;
	struct redis_url url;
	unsigned command_timeout_ms;
	unsigned connect_timeout_ms;
	unsigned backoff_min_ms;
	unsigned backoff_max_ms;

	SSL_CTX *ssl_ctx;
	struct evdns_base *dns;
	struct bufferevent *bev;
	redisReader *reader;
	struct event *conn_timer; /* connect timeout, or the backoff wait */
	struct event *cmd_timer;  /* deadline of the oldest pending command */
	uint64_t cmd_timer_due_ms;

	struct jd_cmd *head, *tail;
	size_t npending;

	enum jd_redis_state state;
	enum phase phase;
	short sync_events; /* bufferevent events seen during PHASE_OPENING */
	unsigned handshake_left;
	unsigned backoff_ms;
	unsigned fail_streak;
	uint64_t ready_since_ms;
	unsigned gen;

	int depth;
	int closing;
	int free_pending;

	jd_redis_connect_cb on_connect;
	void *on_connect_arg;
	jd_redis_cb on_push;
	void *on_push_arg;
	struct jd_redis_target target; /* where is NULL: the url's address */
	struct jd_redis_stats stats;
	struct jd_cluster *cluster; /* set: this is Redis Cluster's front, no connection */
	char refusal[128]; /* the last "unavailable" error reply; "" once a reply is not one */
};

static void attempt_start(struct jd_redis *r);
static void drop_connection(struct jd_redis *r, int head_rc, const char *why);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int timer_arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	if (evtimer_add(ev, &tv) != 0) {
		jd_err("redis: cannot arm timer", NULL);
		return JD_ERR;
	}
	return JD_OK;
}

/* ---- URL ------------------------------------------------------------- */

static int set_err(char *err, size_t errlen, const char *reason)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", reason);
	return JD_E_INVALID;
}

/* Decimal digits only, no sign, no spaces; JD_OK when in [min, max]. */
static int parse_uint(const char *s, size_t n, long min, long max, long *out)
{
	long v = 0;

	if (n == 0 || n > 9)
		return JD_E_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return JD_E_INVALID;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return JD_E_INVALID;
	*out = v;
	return JD_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into out (NUL-terminated). */
static int percent_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			if (i + 2 >= n)
				return JD_E_INVALID;
			if (hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return JD_E_INVALID;
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			if (c == '\0')
				return JD_E_INVALID;
			i += 2;
		}
		if (o + 1 >= outlen)
			return JD_E_INVALID;
		out[o++] = c;
	}
	out[o] = '\0';
	return JD_OK;
}

static int parse_userinfo(const char *s, size_t n, struct redis_url *u, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n);

	if (colon == NULL)
		return set_err(err, errlen, "credentials must be written [user]:password@");
	if (percent_decode(s, (size_t)(colon - s), u->user, sizeof(u->user)) != JD_OK)
		return set_err(err, errlen, "bad or too long user name");
	if (percent_decode(colon + 1, n - (size_t)(colon - s) - 1, u->password,
			   sizeof(u->password)) != JD_OK)
		return set_err(err, errlen, "bad or too long password");
	if (u->password[0] == '\0')
		return set_err(err, errlen, "empty password");
	u->has_password = 1;
	return JD_OK;
}

static int host_char_ok(char c, int bracketed)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	if (bracketed)
		return c == ':' || c == '.' || c == '%';
	return c == '.' || c == '-' || c == '_';
}

static int parse_host(const char *s, size_t n, int bracketed, struct redis_url *u)
{
	if (n == 0 || n >= sizeof(u->host))
		return JD_E_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (!host_char_ok(s[i], bracketed))
			return JD_E_INVALID;
	}
	memcpy(u->host, s, n);
	u->host[n] = '\0';
	return JD_OK;
}

/* host:port, [v6]:port, host or [v6]. */
static int parse_hostport(const char *s, size_t n, struct redis_url *u, char *err, size_t errlen)
{
	const char *port = NULL;
	size_t hostlen;
	long v;

	if (n > 0 && s[0] == '[') {
		const char *end = memchr(s, ']', n);

		if (end == NULL)
			return set_err(err, errlen, "missing ] after an IPv6 address");
		if (parse_host(s + 1, (size_t)(end - s) - 1, 1, u) != JD_OK)
			return set_err(err, errlen, "bad IPv6 address");
		if ((size_t)(end - s) + 1 < n) {
			if (end[1] != ':')
				return set_err(err, errlen, "unexpected text after ]");
			port = end + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);

		hostlen = colon ? (size_t)(colon - s) : n;
		if (colon && memchr(colon + 1, ':', n - hostlen - 1))
			return set_err(err, errlen, "IPv6 addresses must be written in [brackets]");
		if (parse_host(s, hostlen, 0, u) != JD_OK)
			return set_err(err, errlen, "missing or bad host name");
		if (colon)
			port = colon + 1;
	}
	u->port = 6379;
	if (port != NULL) {
		if (parse_uint(port, n - (size_t)(port - s), 1, 65535, &v) != JD_OK)
			return set_err(err, errlen, "port must be a number from 1 to 65535");
		u->port = (int)v;
	}
	return JD_OK;
}

static int parse_network(const char *s, struct redis_url *u, char *err, size_t errlen)
{
	size_t authlen = strcspn(s, "/?#");
	const char *at = NULL;
	const char *path = s + authlen;
	long db = 0;
	int rc;

	for (const char *p = s; p < s + authlen; p++) {
		if (*p == '@')
			at = p;
	}
	if (at != NULL) {
		rc = parse_userinfo(s, (size_t)(at - s), u, err, errlen);
		if (rc != JD_OK)
			return rc;
	}
	rc = parse_hostport(at ? at + 1 : s, authlen - (at ? (size_t)(at - s) + 1 : 0), u, err,
			    errlen);
	if (rc != JD_OK)
		return rc;
	if (*path == '?' || *path == '#')
		return set_err(err, errlen, "no query or fragment allowed in a redis:// URL");
	if (*path == '/' && path[1] != '\0' &&
	    parse_uint(path + 1, strlen(path + 1), 0, MAX_DB, &db) != JD_OK)
		return set_err(err, errlen, "database must be a number after the last /");
	u->db = (int)db;
	return JD_OK;
}

static int parse_unix(const char *s, struct redis_url *u, char *err, size_t errlen)
{
	size_t pathlen = strcspn(s, "?");
	long db = 0;

	if (s[0] != '/')
		return set_err(err, errlen, "unix socket path must be absolute (unix:///path)");
	if (pathlen >= sizeof(u->path))
		return set_err(err, errlen, "unix socket path too long");
	for (size_t i = 0; i < pathlen; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return set_err(err, errlen, "control character in unix socket path");
	}
	memcpy(u->path, s, pathlen);
	u->path[pathlen] = '\0';
	if (s[pathlen] == '?') {
		const char *q = s + pathlen + 1;

		if (strncmp(q, "db=", 3) != 0 ||
		    parse_uint(q + 3, strlen(q + 3), 0, MAX_DB, &db) != JD_OK)
			return set_err(err, errlen, "the only query allowed is ?db=N");
	}
	u->db = (int)db;
	return JD_OK;
}

static void url_set_display(struct redis_url *u)
{
	if (u->kind == URL_UNIX) {
		if (u->db != 0)
			snprintf(u->display, sizeof(u->display), "unix://%s?db=%d", u->path, u->db);
		else
			snprintf(u->display, sizeof(u->display), "unix://%s", u->path);
		return;
	}
	snprintf(u->display, sizeof(u->display), "%s://%s%s%s:%d/%d",
		 u->kind == URL_TLS ? "rediss" : "redis", strchr(u->host, ':') ? "[" : "", u->host,
		 strchr(u->host, ':') ? "]" : "", u->port, u->db);
}

static int url_parse(const char *url, struct redis_url *u, char *err, size_t errlen)
{
	int rc;

	memset(u, 0, sizeof(*u));
	if (url == NULL || url[0] == '\0')
		return set_err(err, errlen, "empty URL");
	if (strncmp(url, "unix://", 7) == 0) {
		u->kind = URL_UNIX;
		rc = parse_unix(url + 7, u, err, errlen);
	} else if (strncmp(url, "redis://", 8) == 0) {
		u->kind = URL_TCP;
		rc = parse_network(url + 8, u, err, errlen);
	} else if (strncmp(url, "rediss://", 9) == 0) {
		u->kind = URL_TLS;
		rc = parse_network(url + 9, u, err, errlen);
	} else {
		rc = set_err(err, errlen, "scheme must be redis://, rediss:// or unix://");
	}
	if (rc == JD_OK)
		url_set_display(u);
	return rc;
}

int jd_redis_url_check(const char *url, char *err, size_t errlen)
{
	struct redis_url u;
	int rc = url_parse(url, &u, err, errlen);

	explicit_bzero(&u, sizeof(u));
	return rc;
}

/* ---- TLS --------------------------------------------------------------- */

static void tls_log_errors(const char *msg)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		jd_err(msg, "ssl_error=\"%s\"", buf);
	}
}

/* Each TLS file given opens: otherwise logs its path and the system's reason. */
static int tls_files_readable(const struct jd_redis_opts *o)
{
	const char *const what[] = {"redis.tls_ca", "redis.tls_cert", "redis.tls_key"};
	const char *const path[] = {o->tls_ca, o->tls_cert, o->tls_key};
	char err[512], q[560];

	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		if (path[i] != NULL && path[i][0] != '\0' &&
		    jd_file_readable(what[i], path[i], err, sizeof(err)) != JD_OK) {
			jd_err("redis: cannot set up TLS", "reason=%s",
			       jd_log_quote(q, sizeof(q), err));
			return JD_E_INVALID;
		}
	}
	return JD_OK;
}

static SSL_CTX *tls_ctx_new(const struct jd_redis_opts *o)
{
	SSL_CTX *ctx;

	if (tls_files_readable(o) != JD_OK)
		return NULL;
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		goto fail;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* libevent may retry a write from a different buffer address */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
	if (o->tls_ca != NULL && o->tls_ca[0] != '\0') {
		if (SSL_CTX_load_verify_locations(ctx, o->tls_ca, NULL) != 1)
			goto fail;
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		goto fail;
	}
	if (o->tls_cert != NULL && o->tls_cert[0] != '\0') {
		const char *key = o->tls_key && o->tls_key[0] ? o->tls_key : o->tls_cert;

		if (SSL_CTX_use_certificate_chain_file(ctx, o->tls_cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1)
			goto fail;
	}
	return ctx;
fail:
	tls_log_errors("redis: cannot set up TLS");
	SSL_CTX_free(ctx);
	return NULL;
}

static int host_is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* One SSL per attempt, checking the server's name (or IP) in its certificate. */
static SSL *tls_session_new(struct jd_redis *r)
{
	SSL *ssl = SSL_new(r->ssl_ctx);

	if (ssl == NULL)
		return NULL;
	if (host_is_ip(r->url.host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), r->url.host) != 1)
			goto fail;
	} else if (SSL_set_tlsext_host_name(ssl, r->url.host) != 1 ||
		   SSL_set1_host(ssl, r->url.host) != 1) {
		goto fail;
	}
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}

/* The handshake already enforces SSL_VERIFY_PEER; this is the belt to its braces. */
static int tls_peer_ok(struct jd_redis *r)
{
	SSL *ssl = bufferevent_openssl_get_ssl(r->bev);

	return ssl != NULL && SSL_get0_peer_certificate(ssl) != NULL &&
	       SSL_get_verify_result(ssl) == X509_V_OK;
}

/* ---- Pending commands -------------------------------------------------- */

static struct jd_cmd *pending_pop(struct jd_redis *r)
{
	struct jd_cmd *c = r->head;

	if (c == NULL)
		return NULL;
	r->head = c->next;
	if (r->head == NULL)
		r->tail = NULL;
	r->npending--;
	return c;
}

static void pending_push(struct jd_redis *r, struct jd_cmd *c)
{
	c->next = NULL;
	if (r->tail != NULL)
		r->tail->next = c;
	else
		r->head = c;
	r->tail = c;
	r->npending++;
}

/*
 * Keeps the timer no later than the oldest command's deadline.  Deadlines
 * are normally increasing, so this rarely re-arms; they are not when
 * jd_redis_set_timeouts() shortened the timeout.
 */
static void cmd_timer_update(struct jd_redis *r)
{
	uint64_t now;

	if (r->head == NULL)
		return;
	if (evtimer_pending(r->cmd_timer, NULL) && r->cmd_timer_due_ms <= r->head->deadline_ms)
		return;
	now = now_ms();
	r->cmd_timer_due_ms = r->head->deadline_ms;
	timer_arm(r->cmd_timer, r->head->deadline_ms > now ? r->head->deadline_ms - now : 0);
}

/* Runs the callbacks of a detached list: the first gets head_rc. */
static void fail_commands(struct jd_redis *r, struct jd_cmd *list, int head_rc)
{
	int rc = head_rc;

	while (list != NULL) {
		struct jd_cmd *c = list;

		list = c->next;
		if (rc == JD_E_TIMEOUT)
			r->stats.timeouts++;
		else
			r->stats.failed++;
		c->cb(rc, NULL, c->arg);
		free(c);
		rc = JD_E_UNAVAILABLE;
	}
}

/*
 * Formats and writes one command, whatever the state: the caller checks it.
 * The sds formatter, not redisFormatCommandArgv: that one prints each
 * argument's length with sprintf, a tenth of jiandud's CPU on a mutation's
 * few hundred arguments.
 */
static int cmd_send(struct jd_redis *r, int argc, const char **argv, const size_t *argvlen,
		    jd_redis_cb cb, void *arg)
{
	struct jd_cmd *c;
	sds buf = NULL;
	int len, rc = JD_E_NOMEM;

	c = malloc(sizeof(*c));
	if (c == NULL)
		return JD_E_NOMEM;
	len = redisFormatSdsCommandArgv(&buf, argc, argv, argvlen);
	if (len < 0)
		goto fail;
	if (r->url.kind == URL_TLS)
		ERR_clear_error();
	if (bufferevent_write(r->bev, buf, (size_t)len) != 0) {
		rc = JD_ERR;
		goto fail;
	}
	redisFreeSdsCommand(buf);
	c->cb = cb;
	c->arg = arg;
	c->deadline_ms = now_ms() + r->command_timeout_ms;
	pending_push(r, c);
	r->stats.commands++;
	cmd_timer_update(r);
	return JD_OK;
fail:
	if (buf != NULL)
		redisFreeSdsCommand(buf);
	free(c);
	return rc;
}

/* ---- Life cycle of one connection ---------------------------------------- */

static void enter(struct jd_redis *r)
{
	r->depth++;
}

static void destroy(struct jd_redis *r)
{
	event_free(r->conn_timer);
	event_free(r->cmd_timer);
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	SSL_CTX_free(r->ssl_ctx);
	explicit_bzero(&r->url, sizeof(r->url));
	free(r);
}

/* After leave() the caller must not touch r: it may be gone. */
static void leave(struct jd_redis *r)
{
	if (--r->depth == 0 && r->free_pending)
		destroy(r);
}

static void transport_close(struct jd_redis *r)
{
	r->gen++;
	if (r->bev != NULL) {
		bufferevent_setcb(r->bev, NULL, NULL, NULL, NULL);
		bufferevent_disable(r->bev, EV_READ | EV_WRITE);
		if (r->url.kind == URL_TLS)
			ERR_clear_error();
		/* BEV_OPT_CLOSE_ON_FREE: closes the socket and frees the SSL too */
		bufferevent_free(r->bev);
		r->bev = NULL;
	}
	if (r->reader != NULL) {
		redisReaderFree(r->reader);
		r->reader = NULL;
	}
	evtimer_del(r->conn_timer);
	evtimer_del(r->cmd_timer);
	r->handshake_left = 0;
}

/*
 * Always through the timer, never from inside the handler that saw the
 * loss.  After a good connection the state is "connecting" until the first
 * attempt fails; that attempt is immediate if the connection had been up a
 * while, so that a server that accepts and then drops us at once is not
 * hammered.
 */
static void schedule_reconnect(struct jd_redis *r, int was_ready, int stable)
{
	uint64_t delay = r->backoff_ms;

	r->phase = PHASE_WAIT;
	r->state = was_ready ? JD_REDIS_CONNECTING : JD_REDIS_DOWN;
	if (stable) {
		r->backoff_ms = r->backoff_min_ms;
		delay = 0;
	} else {
		r->backoff_ms =
		    r->backoff_ms > r->backoff_max_ms / 2 ? r->backoff_max_ms : r->backoff_ms * 2;
	}
	timer_arm(r->conn_timer, delay);
}

/* A long outage would log a line per attempt: log the 1st, 2nd, 4th, 8th... */
static void log_attempt_failure(struct jd_redis *r, const char *why)
{
	char q[256];

	r->fail_streak++;
	if ((r->fail_streak & (r->fail_streak - 1)) != 0)
		return;
	jd_warn("redis connect failed", "url=%s reason=%s attempts=%u", r->url.display,
		jd_log_quote(q, sizeof(q), why), r->fail_streak);
}

/*
 * Tears the transport down and fails every pending command.  The state
 * changes before the callbacks run, so that a callback calling
 * jd_redis_command is refused instead of queuing on a dead connection.
 */
static void drop_connection(struct jd_redis *r, int head_rc, const char *why)
{
	int was_ready = (r->phase == PHASE_READY);
	int stable = was_ready && now_ms() - r->ready_since_ms >= STABLE_CONNECTION_MS;
	struct jd_cmd *list = r->head;
	size_t npending = r->npending;
	char q[256];

	r->head = r->tail = NULL;
	r->npending = 0;
	transport_close(r);
	if (was_ready)
		r->stats.disconnects++;
	if (r->closing) {
		r->phase = PHASE_CLOSED;
		r->state = JD_REDIS_DOWN;
		if (was_ready)
			jd_info("redis connection closed", "url=%s pending=%zu", r->url.display,
				npending);
	} else {
		if (was_ready)
			jd_warn("redis connection lost", "url=%s reason=%s pending=%zu",
				r->url.display, jd_log_quote(q, sizeof(q), why), npending);
		else
			log_attempt_failure(r, why);
		schedule_reconnect(r, was_ready, stable);
	}
	fail_commands(r, list, head_rc);
}

static void handshake_done(struct jd_redis *r)
{
	unsigned gen = r->gen;

	r->phase = PHASE_HOOK;
	if (r->on_connect != NULL)
		r->on_connect(r, r->on_connect_arg);
	if (gen != r->gen || r->closing)
		return;
	evtimer_del(r->conn_timer);
	r->phase = PHASE_READY;
	r->state = JD_REDIS_OK;
	r->ready_since_ms = now_ms();
	r->backoff_ms = r->backoff_min_ms;
	r->stats.connects++;
	jd_info("redis connected", "url=%s after_failures=%u", r->url.display, r->fail_streak);
	r->fail_streak = 0;
}

static void handshake_reply(int rc, redisReply *reply, void *arg)
{
	struct jd_redis *r = arg;
	char why[200];

	if (rc != JD_OK)
		return; /* the attempt is already being dropped */
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "AUTH/SELECT refused: %s", reply->str);
		drop_connection(r, JD_E_UNAVAILABLE, why);
		return;
	}
	if (--r->handshake_left == 0)
		handshake_done(r);
}

/* ROLE, when the target checks it: the server must still be what where() said. */
static void role_reply(int rc, redisReply *reply, void *arg)
{
	struct jd_redis *r = arg;
	char why[200];

	if (rc != JD_OK)
		return; /* the attempt is already being dropped */
	why[0] = '\0';
	if (r->target.check(r->target.arg, reply, why, sizeof(why)) != JD_OK) {
		drop_connection(r, JD_E_UNAVAILABLE, why[0] ? why : "ROLE check failed");
		return;
	}
	if (--r->handshake_left == 0)
		handshake_done(r);
}

static int send_role(struct jd_redis *r)
{
	const char *argv[] = {"ROLE"};
	int rc;

	if (r->target.check == NULL)
		return JD_OK;
	rc = cmd_send(r, 1, argv, NULL, role_reply, r);
	if (rc == JD_OK)
		r->handshake_left++;
	return rc;
}

static int send_handshake(struct jd_redis *r)
{
	const char *argv[3];
	char db[16];
	int argc = 0, rc;

	if (r->url.has_password) {
		argv[argc++] = "AUTH";
		if (r->url.user[0] != '\0')
			argv[argc++] = r->url.user;
		argv[argc++] = r->url.password;
		rc = cmd_send(r, argc, argv, NULL, handshake_reply, r);
		if (rc != JD_OK)
			return rc;
		r->handshake_left++;
	}
	if (r->url.db != 0) {
		snprintf(db, sizeof(db), "%d", r->url.db);
		argv[0] = "SELECT";
		argv[1] = db;
		rc = cmd_send(r, 2, argv, NULL, handshake_reply, r);
		if (rc != JD_OK)
			return rc;
		r->handshake_left++;
	}
	return send_role(r);
}

static void set_nodelay(struct jd_redis *r)
{
	evutil_socket_t fd = bufferevent_getfd(r->bev);
	int one = 1;

	if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		jd_warn("redis: cannot set TCP_NODELAY", "err=\"%s\"", strerror(errno));
}

static void transport_connected(struct jd_redis *r)
{
	if (r->url.kind != URL_UNIX)
		set_nodelay(r);
	if (r->url.kind == URL_TLS && !tls_peer_ok(r)) {
		drop_connection(r, JD_E_UNAVAILABLE, "server certificate not verified");
		return;
	}
	r->reader = redisReaderCreate();
	if (r->reader == NULL) {
		drop_connection(r, JD_E_UNAVAILABLE, "out of memory");
		return;
	}
	r->phase = PHASE_HANDSHAKE;
	if (send_handshake(r) != JD_OK) {
		drop_connection(r, JD_E_UNAVAILABLE, "cannot send AUTH/SELECT");
		return;
	}
	if (r->handshake_left == 0)
		handshake_done(r);
}

static void tls_error_reason(struct jd_redis *r, unsigned long ssl_err, char *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(r->bev);
	long verify = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	char e[200];

	ERR_error_string_n(ssl_err, e, sizeof(e));
	if (verify != X509_V_OK)
		snprintf(buf, len, "%s (%s)", e, X509_verify_cert_error_string(verify));
	else
		snprintf(buf, len, "%s", e);
}

/* Why the transport failed, as precisely as libevent and OpenSSL say. */
static void transport_error_reason(struct jd_redis *r, short what, int err, char *buf, size_t len)
{
	unsigned long ssl_err = 0, e;
	int dns_err = bufferevent_socket_get_dns_error(r->bev);

	if (r->url.kind == URL_TLS) {
		/* libevent also stores SSL_get_error()'s code, which has no library */
		while ((e = bufferevent_get_openssl_error(r->bev)) != 0) {
			if (ssl_err == 0 && ERR_GET_LIB(e) != 0)
				ssl_err = e;
		}
		while ((e = ERR_get_error()) != 0) {
			if (ssl_err == 0 && ERR_GET_LIB(e) != 0)
				ssl_err = e;
		}
	}
	if (dns_err != 0)
		snprintf(buf, len, "cannot resolve host: %s", evutil_gai_strerror(dns_err));
	else if (ssl_err != 0)
		tls_error_reason(r, ssl_err, buf, len);
	else if ((what & BEV_EVENT_EOF) || err == 0)
		/* OpenSSL 3 reports a peer's EOF as an error with nothing queued */
		snprintf(buf, len, "connection closed by the server");
	else
		snprintf(buf, len, "%s", evutil_socket_error_to_string(err));
}

static void transport_event(struct jd_redis *r, short what, int err)
{
	char why[256];

	if (what & BEV_EVENT_CONNECTED) {
		transport_connected(r);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	transport_error_reason(r, what, err, why, sizeof(why));
	drop_connection(r, JD_E_UNAVAILABLE, why);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct jd_redis *r = arg;
	int err = EVUTIL_SOCKET_ERROR();

	if (r->phase == PHASE_OPENING) {
		/* libevent can report a failure from inside the connect call */
		r->sync_events |= what;
		return;
	}
	enter(r);
	transport_event(r, what, err);
	if (r->url.kind == URL_TLS)
		ERR_clear_error();
	leave(r);
}

static int feed_reader(struct jd_redis *r)
{
	struct evbuffer *in = bufferevent_get_input(r->bev);

	while (evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v[8];
		int n = evbuffer_peek(in, -1, NULL, v, 8);
		size_t total = 0;

		for (int i = 0; i < n && i < 8; i++) {
			if (redisReaderFeed(r->reader, v[i].iov_base, v[i].iov_len) != REDIS_OK)
				return JD_ERR;
			total += v[i].iov_len;
		}
		if (evbuffer_drain(in, total) != 0)
			return JD_ERR;
	}
	return JD_OK;
}

int jd_redis_reply_unavailable(const redisReply *reply)
{
	static const char *const codes[] = {"LOADING",	  "BUSY",    "MASTERDOWN", "READONLY",
					    "NOREPLICAS", "MISCONF", "OOM"};

	if (reply == NULL || reply->type != REDIS_REPLY_ERROR || reply->str == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t n = strlen(codes[i]);

		if (strncmp(reply->str, codes[i], n) == 0 &&
		    (reply->str[n] == ' ' || reply->str[n] == '\0'))
			return 1;
	}
	return 0;
}

/*
 * Remembers whether Redis refuses for now (loading, busy, read-only...):
 * returns 1 for such a reply, which its command gets as JD_E_UNAVAILABLE.
 * Logged when it starts and when it ends, not for every reply.
 */
static int note_refusal(struct jd_redis *r, const redisReply *reply)
{
	char q[160];

	if (!jd_redis_reply_unavailable(reply)) {
		if (r->refusal[0] != '\0')
			jd_info("redis answers again", "url=%s", r->url.display);
		r->refusal[0] = '\0';
		return 0;
	}
	r->stats.refused++;
	if (r->refusal[0] == '\0')
		jd_warn("redis refuses commands for now: storage unavailable", "url=%s err=%s",
			r->url.display, jd_log_quote(q, sizeof(q), reply->str));
	snprintf(r->refusal, sizeof(r->refusal), "%s", reply->str);
	return 1;
}

const char *jd_redis_refusal(const struct jd_redis *r)
{
	if (r->cluster != NULL)
		return jd_cluster_refusal(r->cluster);
	return r->refusal;
}

static int is_readonly(const redisReply *reply)
{
	return reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
	       strncmp(reply->str, "READONLY", 8) == 0;
}

/* Hands replies to their commands, in order, until none is complete. */
static void dispatch_replies(struct jd_redis *r)
{
	unsigned gen = r->gen;
	void *obj;

	for (;;) {
		redisReply *reply;
		struct jd_cmd *c;
		char why[200];
		int demoted;

		if (redisReaderGetReply(r->reader, &obj) != REDIS_OK) {
			snprintf(why, sizeof(why), "protocol error: %s", r->reader->errstr);
			drop_connection(r, JD_E_UNAVAILABLE, why);
			return;
		}
		if (obj == NULL)
			return;
		reply = obj;
		c = pending_pop(r);
		if (c == NULL && r->on_push != NULL) {
			r->on_push(JD_OK, reply, r->on_push_arg);
			freeReplyObject(reply);
			if (gen != r->gen)
				return;
			continue;
		}
		if (c == NULL) {
			freeReplyObject(reply);
			drop_connection(r, JD_E_UNAVAILABLE, "reply to no command");
			return;
		}
		r->stats.replies++;
		if (reply->type == REDIS_REPLY_ERROR)
			r->stats.errors++;
		demoted = r->target.where != NULL && is_readonly(reply);
		if (r->state == JD_REDIS_OK && note_refusal(r, reply))
			c->cb(JD_E_UNAVAILABLE, NULL, c->arg);
		else
			c->cb(JD_OK, reply, c->arg);
		free(c);
		freeReplyObject(reply);
		if (gen != r->gen)
			return; /* a callback freed us: the reader is gone */
		if (demoted) {
			drop_connection(r, JD_E_UNAVAILABLE,
					"the server is a replica now (READONLY)");
			return;
		}
		cmd_timer_update(r);
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct jd_redis *r = arg;

	enter(r);
	if (r->reader == NULL)
		drop_connection(r, JD_E_UNAVAILABLE, "data before the connection was set up");
	else if (feed_reader(r) != JD_OK)
		drop_connection(r, JD_E_UNAVAILABLE, "protocol error");
	else
		dispatch_replies(r);
	if (r->url.kind == URL_TLS)
		ERR_clear_error();
	leave(r);
}

static struct bufferevent *transport_new(struct jd_redis *r)
{
	const int opts = BEV_OPT_CLOSE_ON_FREE;
	struct bufferevent *bev;
	SSL *ssl;

	if (r->url.kind != URL_TLS)
		return bufferevent_socket_new(r->base, -1, opts);
	ssl = tls_session_new(r);
	if (ssl == NULL)
		return NULL;
	ERR_clear_error();
	/* with BEV_OPT_CLOSE_ON_FREE the bufferevent owns the SSL from here */
	bev = bufferevent_openssl_socket_new(r->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, opts);
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static int transport_connect(struct jd_redis *r)
{
	struct sockaddr_un sun;

	if (r->url.kind != URL_UNIX)
		return bufferevent_socket_connect_hostname(r->bev, r->dns, AF_UNSPEC, r->url.host,
							   r->url.port);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, r->url.path, strlen(r->url.path) + 1);
	return bufferevent_socket_connect(r->bev, (struct sockaddr *)&sun, (int)sizeof(sun));
}

/* The target's address for this attempt, into the url (shown in the logs). */
static int target_resolve(struct jd_redis *r, char *why, size_t len)
{
	int port = 0;

	if (r->target.where == NULL)
		return JD_OK;
	if (r->target.where(r->target.arg, r->url.host, sizeof(r->url.host), &port, why, len) !=
	    JD_OK)
		return JD_E_UNAVAILABLE;
	r->url.port = port;
	url_set_display(&r->url);
	return JD_OK;
}

static void attempt_start(struct jd_redis *r)
{
	char why[200];
	short sync;

	if (target_resolve(r, why, sizeof(why)) != JD_OK) {
		r->phase = PHASE_CONNECTING;
		drop_connection(r, JD_E_UNAVAILABLE, why);
		return;
	}
	r->phase = PHASE_OPENING;
	r->sync_events = 0;
	r->bev = transport_new(r);
	if (r->bev == NULL) {
		r->phase = PHASE_CONNECTING;
		drop_connection(r, JD_E_UNAVAILABLE, "cannot create a connection");
		return;
	}
	bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
	if (transport_connect(r) != 0) {
		snprintf(why, sizeof(why), "connect: %s",
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		r->phase = PHASE_CONNECTING;
		drop_connection(r, JD_E_UNAVAILABLE, why);
		return;
	}
	r->phase = PHASE_CONNECTING;
	if (bufferevent_enable(r->bev, EV_READ) != 0 ||
	    timer_arm(r->conn_timer, r->connect_timeout_ms) != JD_OK) {
		drop_connection(r, JD_E_UNAVAILABLE, "cannot watch the connection");
		return;
	}
	sync = r->sync_events;
	if (sync != 0)
		transport_event(r, sync, EVUTIL_SOCKET_ERROR());
}

static void on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct jd_redis *r = arg;

	enter(r);
	if (r->phase == PHASE_WAIT)
		attempt_start(r);
	else if (r->phase == PHASE_CONNECTING || r->phase == PHASE_HANDSHAKE)
		drop_connection(r, JD_E_UNAVAILABLE, "connect timeout");
	leave(r);
}

static void on_cmd_timer(evutil_socket_t fd, short what, void *arg)
{
	struct jd_redis *r = arg;
	uint64_t now = now_ms();

	if (r->head == NULL)
		return;
	if (now < r->head->deadline_ms) {
		cmd_timer_update(r);
		return;
	}
	enter(r);
	jd_warn("redis command timed out", "url=%s timeout_ms=%u pending=%zu", r->url.display,
		r->command_timeout_ms, r->npending);
	drop_connection(r, JD_E_TIMEOUT, "command timeout");
	leave(r);
}

/* ---- Public API -------------------------------------------------------- */

static void apply_timeouts(struct jd_redis *r, const struct jd_redis_opts *o)
{
	r->command_timeout_ms =
	    o->command_timeout_ms ? o->command_timeout_ms : DEFAULT_COMMAND_TIMEOUT_MS;
	r->connect_timeout_ms =
	    o->connect_timeout_ms ? o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	r->backoff_min_ms = o->backoff_min_ms ? o->backoff_min_ms : DEFAULT_BACKOFF_MIN_MS;
	r->backoff_max_ms = o->backoff_max_ms ? o->backoff_max_ms : DEFAULT_BACKOFF_MAX_MS;
	if (r->backoff_max_ms < r->backoff_min_ms)
		r->backoff_max_ms = r->backoff_min_ms;
	if (r->backoff_ms < r->backoff_min_ms)
		r->backoff_ms = r->backoff_min_ms;
	if (r->backoff_ms > r->backoff_max_ms)
		r->backoff_ms = r->backoff_max_ms;
}

static int has_tls_opts(const struct jd_redis_opts *o)
{
	return (o->tls_ca && o->tls_ca[0]) || (o->tls_cert && o->tls_cert[0]) ||
	       (o->tls_key && o->tls_key[0]);
}

static int redis_init(struct jd_redis *r, struct event_base *base, const struct jd_redis_opts *o)
{
	char err[200];

	r->base = base;
	if (o->target != NULL) {
		r->target = *o->target;
		if (o->url == NULL) {
			snprintf(r->url.display, sizeof(r->url.display), "(not resolved yet)");
			r->url.kind = URL_TCP;
		}
	}
	if ((o->target == NULL || o->url != NULL) &&
	    url_parse(o->url, &r->url, err, sizeof(err)) != JD_OK) {
		jd_err("redis: bad url", "reason=\"%s\"", err);
		return JD_E_INVALID;
	}
	apply_timeouts(r, o);
	r->backoff_ms = r->backoff_min_ms;
	if (r->url.kind != URL_TLS && has_tls_opts(o))
		jd_warn("redis: tls options ignored for a non-TLS url", "url=%s", r->url.display);
	if (r->url.kind == URL_TLS && (r->ssl_ctx = tls_ctx_new(o)) == NULL)
		return JD_ERR;
	if (r->url.kind != URL_UNIX) {
		/* without DISABLE_WHEN_INACTIVE its idle socket keeps the loop alive */
		r->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
						  EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (r->dns == NULL) {
			jd_err("redis: cannot set up the DNS resolver", NULL);
			return JD_ERR;
		}
	}
	r->conn_timer = evtimer_new(base, on_conn_timer, r);
	r->cmd_timer = evtimer_new(base, on_cmd_timer, r);
	if (r->conn_timer == NULL || r->cmd_timer == NULL)
		return JD_E_NOMEM;
	return JD_OK;
}

/* Redis Cluster: the same interface, every call handed to cluster.c. */
static struct jd_redis *cluster_front_new(struct event_base *base, const struct jd_redis_opts *opts)
{
	struct jd_redis *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->base = base;
	r->cluster = jd_cluster_new(base, opts);
	if (r->cluster == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

struct jd_redis *jd_redis_new(struct event_base *base, const struct jd_redis_opts *opts)
{
	struct jd_redis *r;

	if (base == NULL || opts == NULL)
		return NULL;
	if (opts->cluster != NULL && opts->cluster[0] != '\0')
		return cluster_front_new(base, opts);
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (redis_init(r, base, opts) != JD_OK)
		goto fail;
	r->state = JD_REDIS_CONNECTING;
	jd_info("redis connecting", "url=%s", r->url.display);
	enter(r);
	attempt_start(r);
	leave(r);
	return r;
fail:
	if (r->conn_timer != NULL)
		event_free(r->conn_timer);
	if (r->cmd_timer != NULL)
		event_free(r->cmd_timer);
	r->conn_timer = r->cmd_timer = NULL;
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	SSL_CTX_free(r->ssl_ctx);
	explicit_bzero(&r->url, sizeof(r->url));
	free(r);
	return NULL;
}

void jd_redis_free(struct jd_redis *r)
{
	if (r == NULL || r->closing)
		return;
	if (r->cluster != NULL) {
		jd_cluster_free(r->cluster);
		free(r);
		return;
	}
	r->closing = 1;
	enter(r);
	drop_connection(r, JD_E_UNAVAILABLE, "closing");
	r->free_pending = 1;
	leave(r);
}

void jd_redis_on_connect(struct jd_redis *r, jd_redis_connect_cb cb, void *arg)
{
	if (r == NULL)
		return;
	if (r->cluster != NULL)
		jd_cluster_on_connect(r->cluster, r, cb, arg);
	r->on_connect = cb;
	r->on_connect_arg = arg;
}

void jd_redis_on_push(struct jd_redis *r, jd_redis_cb cb, void *arg)
{
	if (r == NULL)
		return;
	r->on_push = cb;
	r->on_push_arg = arg;
}

void jd_redis_reconnect(struct jd_redis *r, int now, const char *why)
{
	if (r == NULL || r->closing || r->phase == PHASE_OPENING)
		return;
	enter(r);
	if (r->phase != PHASE_WAIT)
		drop_connection(r, JD_E_UNAVAILABLE, why);
	if (now && r->phase == PHASE_WAIT && !r->closing)
		timer_arm(r->conn_timer, 0);
	leave(r);
}

int jd_redis_command(struct jd_redis *r, int argc, const char **argv, const size_t *argvlen,
		     jd_redis_cb cb, void *arg)
{
	if (r == NULL || argc <= 0 || argv == NULL || cb == NULL)
		return JD_E_INVALID;
	if (r->cluster != NULL)
		return jd_cluster_command(r->cluster, argc, argv, argvlen, cb, arg);
	if (r->state != JD_REDIS_OK && r->phase != PHASE_HOOK) {
		r->stats.failed++;
		return JD_E_UNAVAILABLE;
	}
	if (r->closing || r->bev == NULL) {
		r->stats.failed++;
		return JD_E_UNAVAILABLE;
	}
	return cmd_send(r, argc, argv, argvlen, cb, arg);
}

enum jd_redis_state jd_redis_state(const struct jd_redis *r)
{
	if (r->cluster != NULL)
		return jd_cluster_state(r->cluster);
	return r->state;
}

struct event_base *jd_redis_base(const struct jd_redis *r)
{
	return r->base;
}

const char *jd_redis_state_name(enum jd_redis_state s)
{
	switch (s) {
	case JD_REDIS_CONNECTING:
		return "connecting";
	case JD_REDIS_OK:
		return "ok";
	case JD_REDIS_DOWN:
		return "down";
	}
	return "unknown";
}

const struct jd_redis_stats *jd_redis_stats(const struct jd_redis *r)
{
	if (r->cluster != NULL)
		return jd_cluster_stats(r->cluster);
	return &r->stats;
}

void jd_redis_set_timeouts(struct jd_redis *r, const struct jd_redis_opts *opts)
{
	if (r == NULL || opts == NULL)
		return;
	if (r->cluster != NULL)
		jd_cluster_set_timeouts(r->cluster, opts);
	apply_timeouts(r, opts);
}
