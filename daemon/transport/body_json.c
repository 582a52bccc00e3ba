/* Large bodies parsed on a worker thread (body_json.h). */
#include "transport/body_json.h"

#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "runtime/worker.h"

struct jd_body_parse {
	char *data; /* the thread's own copy */
	size_t len;
	json_t *out;
	json_error_t err;
	int cancelled;
	jd_body_json_cb cb;
	void *arg;
};

static int running; /* loop thread only */

static void parse(void *arg)
{
	struct jd_body_parse *p = arg;

	p->out = json_loadb(p->data, p->len, JSON_REJECT_DUPLICATES, &p->err);
}

static void parsed(void *arg)
{
	struct jd_body_parse *p = arg;

	running--;
	free(p->data);
	if (p->cancelled)
		json_decref(p->out);
	else
		p->cb(p->out, p->out != NULL ? NULL : &p->err, p->arg);
	free(p);
}

struct jd_body_parse *jd_body_json_start(struct event_base *base, const char *data, size_t len,
					 jd_body_json_cb cb, void *arg, int *rc)
{
	struct jd_body_parse *p;

	if (running >= JD_BODY_ASYNC_JOBS) {
		*rc = JD_E_UNAVAILABLE;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->data = malloc(len)) == NULL) {
		free(p);
		*rc = JD_E_NOMEM;
		return NULL;
	}
	memcpy(p->data, data, len);
	p->len = len;
	p->cb = cb;
	p->arg = arg;
	*rc = jd_worker_run(base, parse, parsed, p);
	if (*rc != JD_OK) {
		free(p->data);
		free(p);
		return NULL;
	}
	running++;
	return p;
}

void jd_body_json_cancel(struct jd_body_parse *p)
{
	if (p != NULL)
		p->cancelled = 1;
}
