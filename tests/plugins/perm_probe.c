/*
 * Test plugin: permissions declared for roles no other plugin gives them
 * (perm_probe.read to auditor and viewer, perm_probe.write to leader), to
 * show a role gets what it was declared for and nothing else.
 */
#include <jiandu/plugin.h>

static const struct jd_host *host;

static void answer(jd_req *req, void *arg)
{
	host->reply_json(req, 200, json_pack("{s:s}", "did", (const char *)arg));
}

static const struct jd_route routes[] = {
    {"GET", "/v1/perm_probe/read", "perm_probe.read", "read", NULL, NULL, JD_ROUTE_NO_STORE, answer,
     "read"},
    {"POST", "/v1/perm_probe/write", "perm_probe.write", "write", NULL, NULL, JD_ROUTE_NO_STORE,
     answer, "write"},
};

static const struct jd_permission permissions[] = {
    {"perm_probe.read", "Read probes", "auditor,viewer"},
    {"perm_probe.write", "Write probes", "leader"},
    {NULL, NULL, NULL},
};

static int init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (h->route_add(s, &routes[i]) != JD_OK)
			return JD_ERR;
	return JD_OK;
}

JD_PLUGIN_DEFINE(.name = "perm_probe", .version = "0.0.1",
		 .summary = "test: permissions declared for unusual roles",
		 .permissions = permissions, .init = init);
