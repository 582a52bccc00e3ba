/*
 * Test plugin: registers a route whose permission it never declared, and
 * carries on as if the route had been added: start-up must still stop,
 * naming the plugin, the route and the permission.
 */
#include <jiandu/plugin.h>

static void never(jd_req *req, void *arg)
{
	(void)arg;
	(void)req;
}

static const struct jd_route route = {
    "POST", "/v1/perm_undeclared/x", "perm_undeclared.write", "never served", NULL, NULL, 0, never,
    NULL};

static const struct jd_permission permissions[] = {
    {"perm_undeclared.read", "declared, but not what the route names", "staff"},
    {NULL, NULL, NULL},
};

static int init(const struct jd_host *h, jd_plugin_handle *s)
{
	h->route_add(s, &route); /* refused; a careless plugin goes on */
	return JD_OK;
}

JD_PLUGIN_DEFINE(.name = "perm_undeclared", .version = "0.0.1",
		 .summary = "test: a route naming an undeclared permission",
		 .permissions = permissions, .init = init);
