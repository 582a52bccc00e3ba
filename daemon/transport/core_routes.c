/* The core's own routes: health, status, plugins, the catalog, roles, OpenAPI, metrics, reload. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/config.h"
#include "transport/listener.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "runtime/metrics_share.h"
#include "security/permissions.h"
#include "host/plugins.h"
#include "storage/readiness.h"
#include "storage/redis.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"

static const char *redis_state(struct jd_server *srv)
{
	return srv->redis ? jd_redis_state_name(jd_redis_state(srv->redis)) : "down";
}

/* The process serves: no store involved, so a Redis outage never fails it. */
static void get_livez(jd_req *req, void *arg)
{
	struct jd_server *srv = arg;

	jd_reply_json(req, 200, json_pack("{s:s, s:b}", "status", "ok", "draining", srv->draining));
}

/* Ready for traffic (also /healthz): Redis takes writes, the scripts are loaded, not draining. */
static void get_readyz(jd_req *req, void *arg)
{
	struct jd_server *srv = arg;
	char why[256];
	int ok = jd_readiness_ready(srv->ready, why, sizeof(why));
	json_t *body;

	if (ok && srv->draining) {
		snprintf(why, sizeof(why), "draining");
		ok = 0;
	}
	body = json_pack("{s:s, s:b, s:s}", "status", ok ? "ok" : "degraded", "ready", ok, "redis",
			 redis_state(srv));
	if (body != NULL && !ok)
		json_object_set_new(body, "reason", json_string(why));
	jd_reply_json(req, ok ? 200 : 503, body);
}

static json_t *plugins_json(struct jd_server *srv)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && srv->plugins && i < srv->plugins->n; i++) {
		const struct jd_plugin *d = srv->plugins->list[i]->desc;
		json_t *req = json_array();

		for (const char *const *r = d->requires; req && r && *r; r++)
			json_array_append_new(req, json_string(*r));
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s, s:o}", "name", d->name, "version", d->version,
				   "summary", d->summary ? d->summary : "", "requires", req));
	}
	return arr;
}

static void get_status(jd_req *req, void *arg)
{
	struct jd_server *srv = arg;
	json_t *body = json_pack(
	    "{s:s, s:I, s:i, s:o, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:i, s:i}, s:i, s:I, s:b}",
	    "version", JD_VERSION, "uptime_s", (json_int_t)(time(NULL) - srv->started), "pid",
	    (int)getpid(), "plugins", plugins_json(srv), "redis", "state", redis_state(srv), "mode",
	    jd_server_redis_mode(srv), "listeners", "control", srv->control->addr, "api",
	    srv->api->addr, "connections", "control", (int)srv->control->conns, "api",
	    (int)srv->api->conns, "requests_in_flight", (int)srv->in_flight, "requests_total",
	    (json_int_t)srv->requests, "draining", srv->draining);

	jd_reply_json(req, 200, body);
}

static void get_plugins(jd_req *req, void *arg)
{
	jd_reply_json(req, 200, json_pack("{s:o}", "plugins", plugins_json(arg)));
}

static void get_routes(jd_req *req, void *arg)
{
	struct jd_server *srv = arg;
	json_t *cat = jd_router_catalog(srv->router);

	/* the body limit too: a client refuses a file over it before reading it all */
	if (cat != NULL && json_object_set_new(cat, "max_body",
					       json_integer((json_int_t)srv->cfg->max_body)) != 0) {
		json_decref(cat);
		cat = NULL;
	}
	jd_reply_json(req, 200, cat);
}

static void get_roles(jd_req *req, void *arg)
{
	json_t *m = jd_perms_matrix();

	(void)arg;
	if (m == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "roles");
		return;
	}
	jd_reply_json(req, 200, m);
}

static void get_openapi(jd_req *req, void *arg)
{
	struct jd_server *srv = arg;

	jd_reply_json(req, 200, jd_router_openapi(srv->router, JD_VERSION));
}

static void get_metrics(jd_req *req, void *arg)
{
	size_t len = 0;
	char *text = jd_metrics_share_merge(arg, jd_metrics_render(arg, &len), &len);

	if (text == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "metrics");
		return;
	}
	jd_reply_text(req, 200, "text/plain; version=0.0.4", text, len);
	free(text);
}

static json_t *split_names(const char *list)
{
	json_t *arr = json_array();
	char *copy = strdup(list), *save = NULL;

	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(t));
	free(copy);
	return arr;
}

static void post_reload(jd_req *req, void *arg)
{
	struct jd_server *srv = arg;
	char changed[1024], err[512];

	if (jd_server_reload(srv, changed, sizeof(changed), err, sizeof(err)) != JD_OK) {
		jd_reply_error(req, 400, "bad_config", "reload refused, old config kept: %s", err);
		return;
	}
	/* the other workers too (a new master key must reach them all): the master passes
	 * SIGHUP on to every worker, this one reloading once more finds nothing changed */
	if (srv->worker > 0 && kill((pid_t)srv->master, SIGHUP) != 0)
		jd_warn("reload: cannot tell the master", "master=%ld", srv->master);
	jd_reply_json(req, 200,
		      json_pack("{s:b, s:o}", "reloaded", 1, "changed", split_names(changed)));
}

static const struct jd_route core_routes[] = {
    {"GET", "/livez", "health.read", "Liveness: the process serves (no credential needed)", NULL,
     NULL, JD_ROUTE_NO_AUTH | JD_ROUTE_NO_STORE, get_livez, NULL},
    {"GET", "/readyz", "health.read",
     "Readiness: Redis takes writes and the scripts are loaded (no credential needed)", NULL, NULL,
     JD_ROUTE_NO_AUTH | JD_ROUTE_NO_STORE | JD_ROUTE_503_ANSWER, get_readyz, NULL},
    {"GET", "/healthz", "health.read", "Alias of /readyz (no credential needed)", NULL, NULL,
     JD_ROUTE_NO_AUTH | JD_ROUTE_NO_STORE | JD_ROUTE_503_ANSWER, get_readyz, NULL},
    {"GET", "/v1/status", "status.read", "Version, uptime, plugins, Redis, listeners", NULL, NULL,
     JD_ROUTE_NO_STORE, get_status, NULL},
    {"GET", "/v1/plugins", "status.read", "Loaded plugins, in start-up order", NULL, NULL,
     JD_ROUTE_NO_STORE, get_plugins, NULL},
    {"GET", "/v1/routes", "status.read", "The route catalog (drives the CLI)", NULL, NULL,
     JD_ROUTE_NO_STORE, get_routes, NULL},
    {"GET", "/v1/roles", "status.read",
     "Roles and the permissions each holds: the core's and the loaded plugins'", "roles", NULL,
     JD_ROUTE_NO_STORE, get_roles, NULL},
    {"GET", "/v1/openapi.json", "status.read", "OpenAPI 3.1 description of the loaded routes",
     "openapi", NULL, JD_ROUTE_NO_STORE, get_openapi, NULL},
    {"GET", "/metrics", "metrics.read", "Prometheus metrics", NULL, NULL,
     JD_ROUTE_NO_STORE | JD_ROUTE_CONTROL_ONLY | JD_ROUTE_TEXT_ANSWER, get_metrics, NULL},
    {"POST", "/v1/reload", "admin.reload", "Reload certificates and live settings", NULL, NULL,
     JD_ROUTE_NO_STORE | JD_ROUTE_CONTROL_ONLY, post_reload, NULL},
};

int jd_core_routes_register(struct jd_server *srv, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(core_routes) / sizeof(core_routes[0]); i++) {
		struct jd_route r = core_routes[i];
		int rc;

		r.arg = srv;
		rc = jd_router_add(srv->router, &r, "core", err, errlen);
		if (rc != JD_OK)
			return rc;
	}
	return JD_OK;
}
