/* Test plugin: registers a route, then fails its init. */
#include <jiandu/plugin.h>

static void never(jd_req *req, void *arg)
{
	(void)arg;
	(void)req;
}

static const struct jd_route route = {
    "GET", "/v1/init_fails/x", "x.read", "never served", NULL, NULL, 0, never, NULL};

static int init(const struct jd_host *h, jd_plugin_handle *s)
{
	h->route_add(s, &route);
	h->log(s, JD_LOG_ERR, "refusing to start: this plugin always fails");
	return JD_ERR;
}

JD_PLUGIN_DEFINE(.name = "init_fails", .version = "0.0.1", .init = init);
