/* One request's life: dispatch from evhttp, authentication, input, reply. */
#ifndef JD_REQUEST_H
#define JD_REQUEST_H

#include <time.h>
#include <jansson.h>
#include <jiandu/plugin.h>

#include "security/auth.h"
#include "transport/router.h"

struct evhttp_request;
struct jd_server;
struct jd_listener;
struct jd_req_block;

struct jd_req {
	struct jd_server *srv;
	struct jd_listener *listener;
	struct evhttp_request *ev;
	struct jd_route_entry *route; /* NULL before a route matched */
	struct jd_params params;
	json_t *input;
	struct jd_principal principal;
	struct timespec start;
	char id[40];
	char path[128];			/* for the access log: path only, never the query */
	char source[64];		/* the client's address */
	const char *query;		/* the raw query string, owned by evhttp's request */
	struct jd_req_block *owned;	/* jd_req_ctx blocks, newest first */
	struct jd_sealed_batch *sealed; /* sealed reads not yet audited (sealed_reads.c) */
	/*
	 * GET /v1/report: the tenants the core let the caller read the
	 * figures of (the report's tenant and its counties), for the plugins'
	 * stats_query; NULL otherwise.  Owned by the route's context.
	 */
	const json_t *report_scope;
	/* read_gate.c: an authenticated GET holds a place, or waits for one */
	int gated;
	struct jd_req *gate_next;
	void (*gate_cb)(struct jd_req *req);
};

/* evhttp's generic callback for both listeners; arg is the jd_listener. */
void jd_request_dispatch(struct evhttp_request *ev, void *arg);

/*
 * Appends one audit entry for req's caller (principal, credential,
 * address, request id) to tenant's trail: action, target (never a value),
 * outcome.  Fire and forget: the store copies what it needs; a failure is
 * logged here.  Nothing when the daemon is shutting down.
 */
void jd_req_audit(const jd_req *req, const char *tenant, const char *action, const char *target,
		  const char *outcome);
/*
 * A sealed field read (or refused): target "<record_type>:<id>#<field>",
 * outcome "opened", "refused"...  Gathered per tenant and outcome into one
 * sealed.read entry, appended when the request is finished
 * (jd_req_sealed_flush, called by the reply) or when the batch is full.
 */
void jd_req_sealed_read(jd_req *req, const char *tenant, const char *target, const char *outcome);
void jd_req_sealed_flush(jd_req *req);
/*
 * Zeroed memory owned by req: freed, dtor(ptr) first when not NULL, when
 * the request is finished, i.e. by the one reply every request gets
 * (jd_reply_*).  A request whose client has gone, or that is cut short by
 * a drain, is still finished through a reply: libevent 2.1 keeps a request
 * the handler holds until it answers, and a drain fails pending storage
 * callbacks so that they answer.  So the memory lives exactly as long as
 * req: a callback that may still run must not be pending when the handler
 * replies (the handler waits for it, as one that fans out counts them).
 * Blocks are freed newest first.  NULL when out of memory or size is 0.
 */
void *jd_req_ctx(jd_req *req, size_t size, void (*dtor)(void *ptr));
void jd_reply_json(jd_req *req, int status, json_t *body);
void jd_reply_error(jd_req *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void jd_reply_rc(jd_req *req, int rc, const char *what);
/* 401 (with WWW-Authenticate), 403, 429 (with Retry-After) or 503, saying why. */
void jd_reply_auth_refusal(jd_req *req, int status, const char *why);
/* What the core's access decision needs of req (auth.h), its route matched. */
void jd_req_auth_input(const jd_req *req, struct jd_auth_input *in);
/* The TLS session the request came on. */
SSL *jd_req_ssl(const jd_req *req);
/* Sends a text body (metrics). */
void jd_reply_text(jd_req *req, int status, const char *content_type, const char *text, size_t len);

#endif
