/*
 * libevent's own error pages, answered as our JSON errors.
 *
 * evhttp (libevent 2.1.12, Debian 12's) answers some requests by itself,
 * before any handler of ours runs, with an HTML page: a body over its
 * ceiling or headers over limits.max_headers (413), a request it cannot
 * parse (400), an Expect it does not know (417).  2.1 has no hook to answer
 * them first (evhttp_set_errorcb came in 2.2).  So each connection's output
 * buffer is watched: bytes written while none of our replies is being
 * written are libevent's, and an HTML error page among them is replaced,
 * before it reaches the socket, by a JSON error with the same status that
 * names the limit or the fault, in the shape of every other error.
 *
 * Only our own output is looked at, never the request bytes: the request's
 * framing stays libevent's alone.
 */
#ifndef JD_ERROR_PAGES_H
#define JD_ERROR_PAGES_H

#include <stddef.h>

struct jd_conn;
struct jd_config;

/* Starts watching c's output; JD_OK or JD_E_NOMEM. */
int jd_error_pages_watch(struct jd_conn *c);
/* Stops watching and frees what watching held; c's bufferevent still stands. */
void jd_error_pages_unwatch(struct jd_conn *c);
/* Around each reply of ours: its bytes are never rewritten. */
void jd_error_pages_ours(struct jd_conn *c, int ours);
/*
 * The JSON body for libevent's page with this status (the limits named from
 * cfg), at most len bytes with its NUL; its length, or 0 if it did not fit.
 */
size_t jd_error_pages_body(int status, const struct jd_config *cfg, char *out, size_t len);
/* libevent's pages answered as JSON since the start (a metric). */
unsigned long long jd_error_pages_rewritten_total(void);

#endif
