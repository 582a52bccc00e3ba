/*
 * libevent's own error pages, answered as our JSON errors (error_pages.h).
 *
 * evhttp writes a response into the connection's output buffer in one go
 * (evhttp_make_header: the status line, each header, the blank line, then
 * the body), and only once the previous response has left that buffer, so
 * a response of libevent's starts where an addition not made by us starts
 * with "HTTP/1.", and its error page is complete when the buffer ends with
 * the page's last line.  Then those bytes are replaced by ours: evbuffer
 * callbacks run at once (never deferred for a bufferevent's buffers), so
 * nothing of the page has been written to the socket yet.
 */
#include "transport/error_pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"
#include "runtime/log.h"
#include "transport/listener.h"
#include "transport/server.h"

/* The last line of libevent 2.1's ERR_FORMAT, and its pages' size at most. */
#define PAGE_END      "</BODY></HTML>\n"
#define PAGE_MAX      4096
#define NOT_FOREIGN   ((size_t)-1)
#define RETRY_AFTER_S "1"

struct jd_error_watch {
	struct jd_conn *c;
	struct evbuffer_cb_entry *entry;
	size_t foreign_at; /* where libevent's response starts; NOT_FOREIGN: none */
	int ours;	   /* one of our replies is being written */
	int rewriting;	   /* our own change to the buffer: not looked at */
};

static unsigned long long rewritten_total;

static const char *reason_of(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 413:
		return "Payload Too Large";
	case 417:
		return "Expectation Failed";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	}
	return status >= 500 ? "Internal Server Error" : "Bad Request";
}

static json_t *error_json(int status, const char *code, const char *msg)
{
	return json_pack("{s:{s:s, s:s, s:i}}", "error", "code", code, "message", msg, "status",
			 status);
}

size_t jd_error_pages_body(int status, const struct jd_config *cfg, char *out, size_t len)
{
	char msg[400];
	json_t *o;
	size_t n = 0;

	switch (status) {
	case 413: /* libevent stopped reading a body over its ceiling (jd_body_ceiling) */
		snprintf(msg, sizeof(msg),
			 "the body is far over limits.max_body (%u bytes): send less in one "
			 "request: split the work into several",
			 cfg->max_body);
		o = json_pack("{s:{s:s, s:s, s:s, s:I, s:i}}", "error", "code", "body_too_large",
			      "message", msg, "limit", "limits.max_body", "max_bytes",
			      (json_int_t)cfg->max_body, "status", status);
		break;
	case 417:
		o = error_json(status, "expectation_failed",
			       "only \"Expect: 100-continue\" is understood");
		break;
	case 501:
		o = error_json(status, "not_implemented",
			       "the request method is not one this server serves");
		break;
	case 503:
		o = error_json(status, "unavailable",
			       "the server cannot take the request now: try again");
		break;
	default: /* libevent answers 400 for headers over its limit too */
		snprintf(msg, sizeof(msg),
			 "malformed HTTP request: the request line or a header could not be "
			 "read, or the headers are over limits.max_headers (%u bytes)",
			 cfg->max_headers);
		o = error_json(status, "bad_request", msg);
		break;
	}
	if (o != NULL)
		n = json_dumpb(o, out, len, JSON_COMPACT);
	json_decref(o);
	return n < len ? n : 0;
}

/* The status of "HTTP/1.x NNN ..." at p; 0 if it is not a status line. */
static int status_of(const char *p, size_t n)
{
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' || p[12] != ' ')
		return 0;
	if (p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
		return 0;
	return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}

/* Replaces buf's bytes from w->foreign_at on, libevent's page, with our JSON error. */
static void rewrite(struct jd_error_watch *w, struct evbuffer *buf, int status)
{
	const struct jd_config *cfg = w->c->l != NULL ? w->c->l->srv->cfg : NULL;
	char body[1024];
	size_t n = cfg != NULL ? jd_error_pages_body(status, cfg, body, sizeof(body)) : 0;
	size_t keep = w->foreign_at;
	struct evbuffer *tail;

	if (n == 0)
		return; /* libevent's page goes out as it is */
	tail = evbuffer_new();
	if (tail == NULL)
		return;
	w->rewriting = 1;
	/* the bytes before libevent's response (a "100 Continue") stay */
	if (evbuffer_remove_buffer(buf, tail, keep) == (int)keep &&
	    evbuffer_drain(buf, evbuffer_get_length(buf)) == 0 &&
	    evbuffer_add_printf(tail,
				"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
				"Content-Length: %zu\r\nCache-Control: no-store\r\n"
				"X-Content-Type-Options: nosniff\r\n%sConnection: close\r\n\r\n",
				status, reason_of(status), n,
				status == 503 ? "Retry-After: " RETRY_AFTER_S "\r\n" : "") > 0 &&
	    evbuffer_add(tail, body, n) == 0 && evbuffer_add_buffer(buf, tail) == 0) {
		rewritten_total++;
		jd_debug("http: libevent's error page answered as JSON", "status=%d", status);
	} else {
		jd_err("http: cannot rewrite libevent's error page; the connection is closed",
		       "status=%d", status);
		evbuffer_drain(buf, evbuffer_get_length(buf));
		if (w->c->bev != NULL)
			bufferevent_disable(w->c->bev, EV_WRITE);
	}
	w->rewriting = 0;
	w->foreign_at = NOT_FOREIGN;
	evbuffer_free(tail);
}

/* Whether buf, from w->foreign_at on, is one of libevent's complete error pages. */
static int page_complete(const struct jd_error_watch *w, struct evbuffer *buf, int *status)
{
	size_t len = evbuffer_get_length(buf);
	size_t n = len - w->foreign_at;
	char end[sizeof(PAGE_END) - 1];
	struct evbuffer_ptr at;
	char head[13];

	if (n < sizeof(head) + sizeof(end) || n > PAGE_MAX)
		return 0;
	if (evbuffer_ptr_set(buf, &at, len - sizeof(end), EVBUFFER_PTR_SET) != 0 ||
	    evbuffer_copyout_from(buf, &at, end, sizeof(end)) != (ev_ssize_t)sizeof(end) ||
	    memcmp(end, PAGE_END, sizeof(end)) != 0)
		return 0;
	if (evbuffer_ptr_set(buf, &at, w->foreign_at, EVBUFFER_PTR_SET) != 0 ||
	    evbuffer_copyout_from(buf, &at, head, sizeof(head)) != (ev_ssize_t)sizeof(head))
		return 0;
	*status = status_of(head, sizeof(head));
	return *status >= 400;
}

/* Whether the bytes at off start a status line: libevent began a response there. */
static int starts_response(struct evbuffer *buf, size_t off)
{
	char head[7];
	struct evbuffer_ptr at;

	return evbuffer_ptr_set(buf, &at, off, EVBUFFER_PTR_SET) == 0 &&
	       evbuffer_copyout_from(buf, &at, head, sizeof(head)) == (ev_ssize_t)sizeof(head) &&
	       memcmp(head, "HTTP/1.", sizeof(head)) == 0;
}

static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct jd_error_watch *w = arg;
	int status;

	if (w->ours || w->rewriting || info->n_added == 0) {
		if (info->n_deleted > 0 && w->foreign_at != NOT_FOREIGN) {
			/* sent: what is left of libevent's response moved to the front */
			w->foreign_at =
			    w->foreign_at > info->n_deleted ? w->foreign_at - info->n_deleted : 0;
		}
		return;
	}
	if (starts_response(buf, info->orig_size))
		w->foreign_at = info->orig_size; /* after a "100 Continue", the page is the last */
	if (w->foreign_at == NOT_FOREIGN)
		return;
	if (page_complete(w, buf, &status))
		rewrite(w, buf, status);
	else if (evbuffer_get_length(buf) - w->foreign_at > PAGE_MAX)
		w->foreign_at = NOT_FOREIGN; /* not an error page: left alone */
}

int jd_error_pages_watch(struct jd_conn *c)
{
	struct jd_error_watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return JD_E_NOMEM;
	w->c = c;
	w->foreign_at = NOT_FOREIGN;
	w->entry = evbuffer_add_cb(bufferevent_get_output(c->bev), on_output, w);
	if (w->entry == NULL) {
		free(w);
		return JD_E_NOMEM;
	}
	c->pages = w;
	return JD_OK;
}

void jd_error_pages_unwatch(struct jd_conn *c)
{
	struct jd_error_watch *w = c->pages;

	if (w == NULL)
		return;
	/* the bufferevent is being freed: its output buffer still stands */
	if (c->bev != NULL)
		(void)evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), w->entry);
	free(w);
	c->pages = NULL;
}

void jd_error_pages_ours(struct jd_conn *c, int ours)
{
	struct jd_error_watch *w = c != NULL ? c->pages : NULL;

	if (w == NULL)
		return;
	w->ours = ours;
	if (ours)
		w->foreign_at = NOT_FOREIGN; /* a "100 Continue" of libevent's before it, sent */
}

unsigned long long jd_error_pages_rewritten_total(void)
{
	return rewritten_total;
}
