/*
 * Test plugin: answers after a delay, to prove that a stop signal lets
 * in-flight requests finish.
 */
#include <stdlib.h>

#include <jiandu/plugin.h>

static const struct jd_host *host;
static jd_plugin_handle *self;
static uint64_t warmup; /* a one-shot that fires long before fini cancels it */

struct waiting {
	jd_req *req;
	long ms;
};

static void on_timer(void *arg)
{
	struct waiting *w = arg;

	host->reply_json(w->req, 200, json_pack("{s:i}", "waited_ms", (int)w->ms));
	free(w);
}

static void wait_route(jd_req *req, void *arg)
{
	json_t *ms = json_object_get(host->req_body(req), "ms");
	struct waiting *w = malloc(sizeof(*w));

	(void)arg;
	if (w == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "wait");
		return;
	}
	w->req = req;
	w->ms = ms ? (long)json_integer_value(ms) : 1000;
	if (w->ms < 0 || w->ms > 60000 ||
	    host->timer_add(self, (unsigned)w->ms, 0, on_timer, w) == 0) {
		free(w);
		host->reply_error(req, 400, "invalid", "ms must be 0..60000");
	}
}

static const struct jd_field fields[] = {
    {"ms", JD_FIELD_INTEGER, 0, 0, "milliseconds to wait", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route route = {
    "GET",	 "/v1/slow/wait", "slow.read",	     "Answer after ms",
    "slow wait", fields,	  JD_ROUTE_NO_STORE, wait_route,
    NULL};

static void on_warmup(void *arg)
{
	(void)arg;
	host->log(self, JD_LOG_DEBUG, "warm");
}

static int init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	warmup = host->timer_add(self, 1, 0, on_warmup, NULL);
	if (warmup == 0)
		return JD_ERR;
	return host->route_add(self, &route);
}

/* Cancelling a timer that already fired must be harmless. */
static void fini(void)
{
	host->timer_cancel(self, warmup);
}

static const struct jd_permission permissions[] = {
    {"slow.read", "Wait, then answer", NULL},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "slow", .version = "0.0.1", .summary = "test: delayed answers",
		 .permissions = permissions, .init = init, .fini = fini);
