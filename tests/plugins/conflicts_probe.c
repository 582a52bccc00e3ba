/*
 * Test plugin: asks the host's org_conflicts slot, as the cases plugin
 * does before assigning a handler.  GET /v1/conflicts_probe/check?tenant=
 * &who=&unit=&employer= answers {"rc", "reasons"} with 200 whatever the
 * slot said: "sync" is true when the call itself refused.
 */
#include <stddef.h>
#include <string.h>

#include <jiandu/plugin.h>

static const struct jd_host *host;
static jd_plugin_handle *me;

static void on_reasons(int rc, json_t *reasons, void *arg)
{
	jd_req *req = arg;

	host->reply_json(req, 200,
			 json_pack("{s:i, s:b, s:O?}", "rc", rc, "sync", 0, "reasons", reasons));
}

static const char *param(jd_req *req, const char *name)
{
	const char *v = host->req_param(req, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void check(jd_req *req, void *arg)
{
	int rc;

	(void)arg;
	rc = host->org_conflicts(me, param(req, "tenant"), param(req, "who"), param(req, "unit"),
				 param(req, "employer"), on_reasons, req);
	if (rc != JD_OK)
		host->reply_json(req, 200, json_pack("{s:i, s:b}", "rc", rc, "sync", 1));
}

static const struct jd_field fields[] = {
    {"tenant", JD_FIELD_STRING, 0, 16, "the county", 0},
    {"who", JD_FIELD_STRING, 0, 64, "a person id or a user id", 0},
    {"unit", JD_FIELD_STRING, 0, 64, "a unit code", 0},
    {"employer", JD_FIELD_STRING, 0, 200, "a subject's employer", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route route = {"GET",
				      "/v1/conflicts_probe/check",
				      "conflicts_probe.read",
				      "ask org_conflicts",
				      NULL,
				      fields,
				      0,
				      check,
				      NULL};

static int init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	me = s;
	/* a host older than the slot: refuse to start rather than crash */
	if (h->size < offsetof(struct jd_host, org_conflicts) + sizeof(h->org_conflicts) ||
	    h->org_conflicts == NULL)
		return JD_ERR;
	return h->route_add(s, &route);
}

static const struct jd_permission permissions[] = {
    {"conflicts_probe.read", "Ask org_conflicts", NULL},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "conflicts_probe", .version = "0.0.1",
		 .summary = "test: the org_conflicts host slot", .permissions = permissions,
		 .init = init);
