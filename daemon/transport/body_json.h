/*
 * A large JSON body (an organization import, about a megabyte) is parsed
 * on a worker thread (runtime/worker.h): jansson parses in one call, tens
 * of milliseconds for a megabyte, which would hold every other request.
 * Smaller bodies are parsed in place, where a thread would cost more than
 * it saves.
 */
#ifndef JD_TRANSPORT_BODY_JSON_H
#define JD_TRANSPORT_BODY_JSON_H

#include <stddef.h>

#include <jansson.h>

struct event_base;

/* Bodies of at least this many bytes are parsed off the loop; at most this many at once. */
#define JD_BODY_ASYNC_MIN  (64 * 1024)
#define JD_BODY_ASYNC_JOBS 4

/* v: the parsed value (the callee takes it), or NULL: err says why (NULL: out of memory). */
typedef void (*jd_body_json_cb)(json_t *v, const json_error_t *err, void *arg);

struct jd_body_parse;
/*
 * Parses a copy of data (JSON_REJECT_DUPLICATES) on a thread; cb runs
 * exactly once, later, from the loop, unless cancelled first.  NULL (cb
 * does not run) with *rc JD_E_NOMEM, or JD_E_UNAVAILABLE when
 * JD_BODY_ASYNC_JOBS are running or no thread could start.
 */
struct jd_body_parse *jd_body_json_start(struct event_base *base, const char *data, size_t len,
					 jd_body_json_cb cb, void *arg, int *rc);
/* cb will not run (the request went); NULL is ignored. */
void jd_body_json_cancel(struct jd_body_parse *p);

#endif
