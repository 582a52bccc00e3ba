/* Test plugin: registers a route, then fails its init. */
#include <jiandu/plugin.h>

static void never(jd_req *req, void *arg)
{
	(void)arg;
	(void)req;
}

static const struct jd_route route = {
    "GET", "/v1/init_fails/x", "init_fails.read", "never served", NULL, NULL, 0, never, NULL};

static int init(const struct jd_host *h, jd_plugin_handle *s)
{
	h->route_add(s, &route);
	h->log(s, JD_LOG_ERR, "refusing to start: this plugin always fails");
	return JD_ERR;
}

static const struct jd_permission permissions[] = {
    {"init_fails.read", "Never served", NULL},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "init_fails", .version = "0.0.1", .permissions = permissions,
		 .init = init);
