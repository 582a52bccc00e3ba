#include "transport/request.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "audit/audit_refusals.h"
#include "runtime/config.h"
#include "transport/body_json.h"
#include "transport/forwarded.h"
#include "transport/error_pages.h"
#include "transport/listener.h"
#include "transport/read_gate.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "storage/redis.h"
#include "transport/server.h"
#include "transport/ui_files.h"
#include "audit/audit_log.h"
#include "storage/store.h"

/* seconds a client waits before retrying a 503 */
#define JD_RETRY_AFTER_S "1"

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	default:
		return "OTHER";
	}
}

static const char *status_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 301:
		return "Moved Permanently";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 503:
		return "Service Unavailable";
	default:
		return status < 400 ? "OK" : "Error";
	}
}

/* A client's X-Request-Id is kept when it is short and plain; otherwise we make one. */
static void set_request_id(struct jd_req *req)
{
	const char *given =
	    evhttp_find_header(evhttp_request_get_input_headers(req->ev), "X-Request-Id");
	unsigned char rnd[8];
	size_t n = given ? strlen(given) : 0;

	if (n > 0 && n < sizeof(req->id) &&
	    strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
		n) {
		memcpy(req->id, given, n + 1);
		return;
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(req->id, sizeof(req->id), rnd, sizeof(rnd));
}

static double elapsed_seconds(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void log_access(struct jd_req *req, int status, double secs)
{
	char path[300], who[300];

	/* both come from the client: quoted, so they cannot forge fields or lines */
	jd_log(status >= 500 ? JD_LOG_WARN : JD_LOG_INFO, "request",
	       "req=%s listener=%s method=%s path=%s status=%d ms=%.3f principal=%s cred=%s",
	       req->id, req->listener->name, method_name(evhttp_request_get_command(req->ev)),
	       jd_log_quote(path, sizeof(path), req->path), status, secs * 1000.0,
	       jd_log_quote(who, sizeof(who), req->principal.name[0] ? req->principal.name : "-"),
	       jd_auth_cred_name(req->principal.cred));
}

struct jd_req_block {
	struct jd_req_block *next;
	void (*dtor)(void *ptr);
	max_align_t data[]; /* what jd_req_ctx hands out */
};

void *jd_req_ctx(jd_req *req, size_t size, void (*dtor)(void *ptr))
{
	struct jd_req_block *b;

	if (req == NULL || size == 0 || size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = calloc(1, sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->dtor = dtor;
	b->next = req->owned;
	req->owned = b;
	return b->data;
}

static void free_owned(struct jd_req *req)
{
	while (req->owned != NULL) {
		struct jd_req_block *b = req->owned;

		req->owned = b->next;
		if (b->dtor != NULL)
			b->dtor(b->data);
		free(b);
	}
}

static void finish(struct jd_req *req, int status, const char *ctype, const char *body, size_t len)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req->ev);
	struct evbuffer *buf = evbuffer_new();
	double secs = elapsed_seconds(&req->start);
	struct jd_conn *conn = jd_listener_conn_of(req->ev);

	if (conn != NULL && conn->pending > 0)
		conn->pending--;
	jd_read_gate_leave(req->srv->reads, req);
	evhttp_add_header(out, "Content-Type", ctype);
	evhttp_add_header(out, "X-Request-Id", req->id);
	if (evhttp_find_header(out, "Cache-Control") == NULL) /* the dashboard's files set theirs */
		evhttp_add_header(out, "Cache-Control", "no-store");
	if (req->srv->draining)
		evhttp_add_header(out, "Connection", "close");
	/* every 503 is "try again soon": Redis loading, busy, unreachable, or not ready */
	if (status == 503 && evhttp_find_header(out, "Retry-After") == NULL)
		evhttp_add_header(out, "Retry-After", JD_RETRY_AFTER_S);
	if (buf == NULL || evbuffer_add(buf, body, len) != 0) {
		jd_err("cannot buffer reply", "req=%s", req->id);
		evhttp_send_error(req->ev, 500, "Internal Server Error");
	} else {
		jd_error_pages_ours(conn, 1);
		evhttp_send_reply(req->ev, status, status_reason(status), buf);
		jd_error_pages_ours(conn, 0);
	}
	if (buf != NULL)
		evbuffer_free(buf);
	jd_metrics_observe(req->route ? &req->route->stats : jd_metrics_unmatched(), status, secs);
	log_access(req, status, secs);
	req->srv->in_flight--;
	jd_req_sealed_flush(req);
	free_owned(req); /* before params and input: a destructor may still read them */
	jd_params_clear(&req->params);
	json_decref(req->input);
	free(req);
}

void jd_reply_text(jd_req *req, int status, const char *content_type, const char *text, size_t len)
{
	finish(req, status, content_type, text, len);
}

void jd_reply_json(jd_req *req, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;

	json_decref(body);
	if (text == NULL) {
		static const char oom[] =
		    "{\"error\":{\"code\":\"internal\",\"message\":\"cannot encode reply\"}}\n";

		finish(req, 500, "application/json", oom, sizeof(oom) - 1);
		return;
	}
	finish(req, status, "application/json", text, strlen(text));
	free(text);
}

void jd_reply_error(jd_req *req, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jd_reply_json(req, status,
		      json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code, "message", msg,
				"request_id", req->id));
}

/* Whether the request's tenant is held: its audit chain head in Redis moved back. */
static const char *held_tenant(const jd_req *req)
{
	const char *t = json_string_value(json_object_get(req->input, "tenant"));

	if (t == NULL || req->srv->store == NULL)
		return NULL;
	return jd_audit_log_held(jd_store_audit_log(req->srv->store), t) ? t : NULL;
}

void jd_reply_rc(jd_req *req, int rc, const char *what)
{
	const char *w = what ? what : "request";
	const char *held = rc == JD_E_UNAVAILABLE ? held_tenant(req) : NULL;

	if (held != NULL) {
		jd_reply_error(req, 503, "audit_held",
			       "%s: the audit chain head of '%s' in Redis moved back (a cut tail); "
			       "writes are refused until an administrator runs `jianductl audit "
			       "accept-head`",
			       w, held);
		return;
	}

	switch (rc) {
	case JD_E_INVALID:
		jd_reply_error(req, 400, "invalid", "%s: invalid input", w);
		break;
	case JD_E_NOTFOUND:
		jd_reply_error(req, 404, "not_found", "%s: not found", w);
		break;
	case JD_E_CONFLICT:
		jd_reply_error(req, 409, "conflict",
			       "%s: changed by someone else (stale version) or not allowed now", w);
		break;
	case JD_E_UNAVAILABLE:
		jd_reply_error(req, 503, "unavailable", "%s: storage unavailable, retry later", w);
		break;
	case JD_E_TIMEOUT:
		jd_reply_error(req, 503, "timeout", "%s: storage did not answer in time", w);
		break;
	case JD_E_FORBIDDEN:
		jd_reply_error(req, 403, "forbidden", "%s: not permitted", w);
		break;
	default:
		jd_reply_error(req, 500, "internal", "%s: internal error (see log, request id)", w);
		break;
	}
}

SSL *jd_req_ssl(const jd_req *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req->ev);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;

	return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
}

static void continue_after_auth(struct jd_req *req);

static int has_body_method(const struct jd_route *r);

/*
 * The tenant a refused request named: its `tenant` query parameter or, on
 * a body method, the JSON body's "tenant" string; JD_SYSTEM_TENANT when
 * none is given or valid.  The body is parsed only for refusals under the
 * cap, so an unauthenticated client cannot make this unbounded work.
 */
static void refused_tenant(struct jd_req *req, char out[65])
{
	struct evkeyvalq q;
	const char *t;

	snprintf(out, 65, "%s", JD_SYSTEM_TENANT);
	if (req->query != NULL && evhttp_parse_query_str(req->query, &q) == 0) {
		int named;

		t = evhttp_find_header(&q, "tenant");
		named = t != NULL;
		if (named && jd_store_tenant_valid(t))
			snprintf(out, 65, "%s", t);
		evhttp_clear_headers(&q);
		if (named)
			return;
	}
	if (has_body_method(&req->route->route)) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req->ev);
		size_t len = evbuffer_get_length(in);
		unsigned char *data = len > 0 ? evbuffer_pullup(in, (ev_ssize_t)len) : NULL;
		json_t *body = data ? json_loadb((const char *)data, len, 0, NULL) : NULL;

		t = json_string_value(json_object_get(body, "tenant"));
		if (t != NULL && jd_store_tenant_valid(t))
			snprintf(out, 65, "%s", t);
		json_decref(body);
	}
}

/*
 * Every refused access (401, 403, 429) appends an entry to the audit
 * trail of the tenant it named (or _sys), within the cap of
 * audit_refusals.h; fire and forget: the store copies what it needs and
 * logs a failure, the reply does not wait.
 */
void jd_req_audit(const jd_req *req, const char *tenant, const char *action, const char *target,
		  const char *outcome)
{
	struct jd_audit_event ev;
	char t[80];
	int rc;

	if (req->srv->store == NULL)
		return; /* shutting down */
	ev = (struct jd_audit_event){
	    .actor = req->principal.name[0] ? req->principal.name : "-",
	    .cred = jd_auth_cred_name(req->principal.cred),
	    .source = req->source,
	    .req = req->id,
	    .action = action,
	    .target = target,
	    .outcome = outcome,
	    /* reads only: each refusal stays an entry of its own (their cap counts entries) */
	    .merge = action != NULL && strcmp(action, "sealed.read") == 0,
	};
	rc = jd_store_audit_event(req->srv->store, tenant ? tenant : "", &ev, NULL, NULL);
	if (rc != JD_OK)
		jd_warn("audit: entry not appended", "req=%s tenant=%s action=%s outcome=%s rc=%d",
			req->id, jd_log_quote(t, sizeof(t), tenant ? tenant : "-"),
			action ? action : "-", outcome ? outcome : "-", rc);
}

static void audit_refusal(struct jd_req *req, int status)
{
	const struct jd_route *r = &req->route->route;
	char tenant[65];

	if (req->srv->store == NULL || !jd_audit_refusal_admit(req->source, time(NULL)))
		return;
	refused_tenant(req, tenant);
	jd_req_audit(req, tenant, r->permission ? r->permission : "-", req->path,
		     status == 403 ? "forbidden" : "denied");
}

void jd_reply_auth_refusal(jd_req *req, int status, const char *why)
{
	switch (status) {
	case 401:
		evhttp_add_header(evhttp_request_get_output_headers(req->ev), "WWW-Authenticate",
				  "Bearer realm=\"jiandu\"");
		jd_reply_error(req, 401, "unauthenticated", "%s", why);
		break;
	case 403:
		jd_reply_error(req, 403, "forbidden", "%s", why);
		break;
	case 429:
		evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Retry-After", "300");
		jd_reply_error(req, 429, "too_many_failures", "%s", why);
		break;
	default:
		jd_reply_error(req, 503, "unavailable", "%s", why);
		break;
	}
}

static void on_authorized(void *arg, int rc, int status, const char *why)
{
	struct jd_req *req = arg;

	if (rc == JD_OK) {
		continue_after_auth(req);
		return;
	}
	if (status == 401 || status == 403 || status == 429)
		audit_refusal(req, status); /* before the reply, which frees req */
	jd_reply_auth_refusal(req, status, why);
}

static void peer_address(struct evhttp_request *ev, char *out, size_t len)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(out, len, "%s", addr ? addr : "-");
}

/* Every line of header name joined with ", " (a proxy may add a line rather than extend one). */
static char *joined_header(struct evkeyvalq *in, const char *name)
{
	struct evkeyval *h;
	size_t total = 0, at = 0;
	char *out;

	TAILQ_FOREACH(h, in, next)
	{
		if (strcasecmp(h->key, name) == 0)
			total += strlen(h->value) + 2;
	}
	if (total == 0 || (out = malloc(total + 1)) == NULL)
		return NULL;
	TAILQ_FOREACH(h, in, next)
	{
		if (strcasecmp(h->key, name) == 0)
			at += (size_t)snprintf(out + at, total + 1 - at, "%s%s", at ? ", " : "",
					       h->value);
	}
	return out;
}

/* The peer, or the client it forwards for when the peer is a trusted proxy. */
static void client_address(struct jd_req *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req->ev);
	const char *trusted = req->srv->cfg->trusted_proxies;
	char peer[sizeof(req->source)];
	char *fwd, *xff;

	peer_address(req->ev, peer, sizeof(peer));
	if (trusted == NULL || *trusted == '\0') {
		snprintf(req->source, sizeof(req->source), "%s", peer);
		return;
	}
	fwd = joined_header(in, "Forwarded");
	xff = joined_header(in, "X-Forwarded-For");
	jd_forwarded_client(peer, trusted, fwd, xff, req->source, sizeof(req->source));
	free(fwd);
	free(xff);
}

void jd_req_auth_input(const jd_req *req, struct jd_auth_input *in)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req->ev);

	*in = (struct jd_auth_input){
	    .route = &req->route->route,
	    .ssl = jd_req_ssl(req),
	    .authorization = evhttp_find_header(h, "Authorization"),
	    .source = req->source,
	    .control = req->listener->control,
	    .method = method_name(evhttp_request_get_command(req->ev)),
	    .cookie = evhttp_find_header(h, "Cookie"),
	};
}

static void authorize(struct jd_req *req)
{
	struct jd_auth_input in;

	jd_req_auth_input(req, &in);

	jd_auth_request(req->srv->store, &in, &req->principal, on_authorized, req);
}

static int has_body_method(const struct jd_route *r)
{
	return strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
	       strcmp(r->method, "PATCH") == 0;
}

static void malformed(char *err, size_t errlen, const json_error_t *e)
{
	snprintf(err, errlen, "malformed JSON at line %d column %d: %s", e->line, e->column,
		 e->text);
}

/* The body's bytes once its Content-Type is checked (*len 0: none). */
static int body_bytes(struct jd_req *req, const char **data, size_t *len, char *err, size_t errlen)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req->ev);
	const char *ctype =
	    evhttp_find_header(evhttp_request_get_input_headers(req->ev), "Content-Type");

	*data = NULL;
	*len = evbuffer_get_length(in);
	if (*len == 0)
		return JD_OK;
	if (ctype != NULL && strncmp(ctype, "application/json", 16) != 0) {
		snprintf(err, errlen, "Content-Type must be application/json");
		return JD_E_INVALID;
	}
	*data = (const char *)evbuffer_pullup(in, (ev_ssize_t)*len);
	return *data != NULL ? JD_OK : JD_E_NOMEM;
}

static int parse_body(struct jd_req *req, const char *data, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;

	if (len == 0) {
		req->input = json_object();
		return req->input ? JD_OK : JD_E_NOMEM;
	}
	req->input = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req->input == NULL) {
		malformed(err, errlen, &jerr);
		return JD_E_INVALID;
	}
	return JD_OK;
}

/* The input read (rc), checked against the route's fields when it came as a body; replies if bad.
 */
static int input_checked(struct jd_req *req, int rc, char *err, size_t errlen, int body)
{
	if (rc == JD_OK && body)
		rc = jd_fields_validate(req->route->route.fields, req->input, err, errlen);
	if (rc == JD_OK)
		return JD_OK;
	if (rc == JD_E_NOMEM)
		jd_reply_rc(req, JD_E_NOMEM, "input");
	else
		jd_reply_error(req, 400, "invalid", "%s", err);
	return rc;
}

static int audit_backlogged(struct jd_req *req);

static void run_route(struct jd_req *req)
{
	if (audit_backlogged(req))
		return;
	req->route->route.handler(req, req->route->route.arg);
}

/* A large body being parsed on a thread (body_json.h), until the request goes. */
struct body_wait {
	struct jd_req *req;
	struct jd_body_parse *p;
};

static void body_wait_end(void *ptr)
{
	jd_body_json_cancel(((struct body_wait *)ptr)->p);
}

static void body_parsed(json_t *v, const json_error_t *e, void *arg)
{
	struct body_wait *w = arg;
	char err[256] = "";
	int rc = JD_OK;

	w->p = NULL;
	w->req->input = v;
	if (v == NULL && e != NULL)
		malformed(err, sizeof(err), e);
	if (v == NULL)
		rc = e != NULL ? JD_E_INVALID : JD_E_NOMEM;
	if (input_checked(w->req, rc, err, sizeof(err), 1) == JD_OK)
		run_route(w->req);
}

static void parse_body_async(struct jd_req *req, const char *data, size_t len)
{
	struct body_wait *w = jd_req_ctx(req, sizeof(*w), body_wait_end);
	int rc = JD_E_NOMEM;

	if (w != NULL) {
		w->req = req;
		w->p = jd_body_json_start(req->srv->base, data, len, body_parsed, w, &rc);
		if (w->p != NULL)
			return;
	}
	if (rc == JD_E_UNAVAILABLE) {
		evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Retry-After", "1");
		jd_reply_error(req, 503, "busy", "%d large bodies are being read; retry later",
			       JD_BODY_ASYNC_JOBS);
		return;
	}
	jd_reply_rc(req, rc, "input");
}

/* The request's input (the query, or the JSON body), then its handler. */
static void read_input(struct jd_req *req)
{
	const struct jd_route *r = &req->route->route;
	const char *data;
	char err[256] = "";
	size_t len;
	int rc;

	if (!has_body_method(r)) {
		rc = jd_fields_from_query(r->fields, req->query, &req->input, err, sizeof(err));
		if (input_checked(req, rc, err, sizeof(err), 0) == JD_OK)
			run_route(req);
		return;
	}
	rc = body_bytes(req, &data, &len, err, sizeof(err));
	if (rc == JD_OK && len >= JD_BODY_ASYNC_MIN) {
		parse_body_async(req, data, len);
		return;
	}
	if (rc == JD_OK)
		rc = parse_body(req, data, len, err, sizeof(err));
	if (input_checked(req, rc, err, sizeof(err), 1) == JD_OK)
		run_route(req);
}

static struct jd_req *new_request(struct evhttp_request *ev, struct jd_listener *l)
{
	struct jd_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->srv = l->srv;
	req->listener = l;
	req->ev = ev;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	set_request_id(req);
	snprintf(req->path, sizeof(req->path), "-");
	client_address(req);
	l->srv->in_flight++;
	l->srv->requests++;
	return req;
}

/*
 * A body over limits.max_body, answered as our JSON error naming the limit
 * and how to split the work.  evhttp reads bodies up to jd_body_ceiling()
 * so that this check answers them with the body's size; above the ceiling
 * libevent 2.1 refuses alone (it has no error hook before 2.2), which bounds
 * what one connection can make us hold, and error_pages.c turns its page
 * into our JSON error.  1 when replied.
 */
static int body_too_large(struct jd_req *req)
{
	size_t len = evbuffer_get_length(evhttp_request_get_input_buffer(req->ev));
	size_t max = req->srv->cfg->max_body;
	const char *split = "send less in one request: split the work into several";
	char msg[400];

	if (len <= max)
		return 0;
	if (strcmp(req->path, "/v1/org/import") == 0)
		split = "split the import: the units first, then the people a few units at a time "
			"(each file of a request counts; a person's row is about 60 bytes plus "
			"the ties)";
	snprintf(msg, sizeof(msg), "the body is %zu bytes, over limits.max_body (%zu bytes): %s",
		 len, max, split);
	jd_reply_json(req, 413,
		      json_pack("{s:{s:s, s:s, s:s, s:s, s:I, s:I}}", "error", "code",
				"body_too_large", "message", msg, "request_id", req->id, "limit",
				"limits.max_body", "max_bytes", (json_int_t)max, "bytes",
				(json_int_t)len));
	return 1;
}

/*
 * While writes are in progress, an authenticated GET waits for a place
 * among limits.reads_in_flight (read_gate.h): 1 when it waits, authorize()
 * then running when its turn comes.  A write is counted, never held.
 */
static int held_for_a_place(struct jd_req *req)
{
	/* the administrators' listener (verify, exports: long reads) is never held */
	if ((req->route->route.flags & JD_ROUTE_NO_AUTH) || req->listener->control)
		return 0;
	if (evhttp_request_get_command(req->ev) != EVHTTP_REQ_GET) {
		jd_read_gate_write(req->srv->reads, req);
		return 0;
	}
	return !jd_read_gate_enter(req->srv->reads, req, authorize);
}

static void route_request(struct jd_req *req, const char *path, const char *query)
{
	const char *method = method_name(evhttp_request_get_command(req->ev));
	int path_matched = 0;

	req->route = jd_router_match(req->srv->router, method, path, req->listener->control,
				     &req->params, &path_matched);
	if (req->route == NULL) {
		if (path_matched)
			jd_reply_error(req, 405, "method_not_allowed", "%s is not allowed on %s",
				       method, req->path);
		else
			jd_reply_error(req, 404, "not_found", "no route for %s %s", method,
				       req->path);
		return;
	}
	req->query = query;
	if (held_for_a_place(req))
		return;
	authorize(req);
}

/*
 * The tenant the request names has limits.audit_backlog entries waiting
 * for its audit chain: answered 503 (Retry-After) before it adds more.
 */
static int audit_backlogged(struct jd_req *req)
{
	const char *t = json_string_value(json_object_get(req->input, "tenant"));
	struct jd_audit_log *l = req->srv->store ? jd_store_audit_log(req->srv->store) : NULL;
	unsigned max = req->srv->cfg->audit_backlog;

	if (t == NULL || l == NULL || jd_audit_log_backlog(l, t) < max)
		return 0;
	jd_audit_log_count_backlog_refusal();
	evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Retry-After", "1");
	jd_reply_error(req, 503, "audit_backlog",
		       "tenant %s has %u audit entries waiting (limits.audit_backlog); retry later",
		       t, max);
	return 1;
}

static void continue_after_auth(struct jd_req *req)
{
	if (!(req->route->route.flags & JD_ROUTE_NO_STORE) &&
	    (req->srv->redis == NULL || jd_redis_state(req->srv->redis) != JD_REDIS_OK)) {
		jd_reply_error(req, 503, "unavailable", "storage unavailable, retry later");
		return;
	}
	read_input(req);
}

/* evhttp 2.1 lets spaces, quotes and control bytes through in a path: no route has them. */
static int plain_path(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

void jd_request_dispatch(struct evhttp_request *ev, void *arg)
{
	struct jd_listener *l = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *raw = evhttp_request_get_uri(ev);
	struct jd_req *req = new_request(ev, l);
	struct jd_conn *conn = jd_listener_conn_of(ev);
	const char *path;

	if (req == NULL) {
		evhttp_send_error(ev, 503, "Service Unavailable");
		return;
	}
	if (conn != NULL) { /* the connection made progress: see listener.c on_deadline */
		conn->dispatched++;
		conn->pending++;
	}
	path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (path != NULL)
		snprintf(req->path, sizeof(req->path), "%s", path);
	if (raw != NULL && strlen(raw) > l->srv->cfg->max_uri) {
		jd_reply_error(req, 414, "uri_too_long", "the request URI is longer than %u bytes",
			       l->srv->cfg->max_uri);
		return;
	}
	if (path == NULL || *path != '/' || !plain_path(path)) {
		jd_reply_error(req, 400, "bad_request", "malformed request URI");
		return;
	}
	if (body_too_large(req))
		return;
	if (!l->control && jd_ui_path(path)) {
		jd_ui_serve(req, l->srv->ui, method_name(evhttp_request_get_command(ev)), path);
		return;
	}
	route_request(req, path, evhttp_uri_get_query(uri));
}
