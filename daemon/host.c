/* The table of host functions that plugins call (include/jiandu/plugin.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "plugins.h"
#include "request.h"
#include "router.h"
#include "server.h"
#include "store.h"
#include "timers.h"

static void host_log(jd_plugin_handle *self, enum jd_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jd_log(level, msg, "plugin=%s", self->name);
}

static const char *host_config_get(jd_plugin_handle *self, const char *key, const char *def)
{
	const char *v = jd_config_plugin_value(self->srv->cfg, self->name, key);

	return v ? v : def;
}

static int host_route_add(jd_plugin_handle *self, const struct jd_route *route)
{
	char prefix[64], err[256];
	int rc;

	snprintf(prefix, sizeof(prefix), "/v1/%s/", self->name);
	if (route == NULL || route->path == NULL ||
	    strncmp(route->path, prefix, strlen(prefix)) != 0) {
		jd_err("plugin route refused", "plugin=%s reason=\"path must start with %s\"",
		       self->name, prefix);
		return JD_E_INVALID;
	}
	rc = jd_router_add(self->srv->router, route, self->name, err, sizeof(err));
	if (rc != JD_OK) {
		char q[300];

		jd_err("plugin route refused", "plugin=%s reason=%s", self->name,
		       jd_log_quote(q, sizeof(q), err));
	}
	return rc;
}

static const char *host_req_param(jd_req *req, const char *name)
{
	const char *v = jd_params_get(&req->params, name);
	json_t *j;

	if (v != NULL)
		return v;
	j = json_object_get(req->input, name);
	return json_is_string(j) ? json_string_value(j) : NULL;
}

static json_t *host_req_body(jd_req *req)
{
	return req->input;
}

static const char *host_req_principal(jd_req *req)
{
	return req->principal.name;
}

static const char *host_req_id(jd_req *req)
{
	return req->id;
}

static void host_reply_error(jd_req *req, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jd_reply_error(req, status, code, "%s", msg);
}

static int host_store_mutate(jd_plugin_handle *self, const struct jd_mutation *m, jd_mutate_cb cb,
			     void *arg)
{
	if (self->srv->store == NULL)
		return JD_E_UNAVAILABLE; /* shutting down */
	return jd_store_mutate(self->srv->store, m, cb, arg);
}

static int host_store_read(jd_plugin_handle *self, const char *tenant, int argc, const char **argv,
			   jd_read_cb cb, void *arg)
{
	if (self->srv->store == NULL)
		return JD_E_UNAVAILABLE;
	return jd_store_read(self->srv->store, tenant, argc, argv, cb, arg);
}

static int host_subscribe(jd_plugin_handle *self, const char *name, jd_event_cb cb, void *arg)
{
	return jd_bus_subscribe(self->srv->bus, self, name, cb, arg);
}

static int host_publish(jd_plugin_handle *self, const char *name, json_t *payload)
{
	jd_debug("event published", "plugin=%s event=%s", self->name, name);
	return jd_bus_publish(self->srv->bus, name, payload);
}

static uint64_t host_timer_add(jd_plugin_handle *self, unsigned ms, int repeat, jd_timer_cb cb,
			       void *arg)
{
	return jd_timer_add(self->srv->base, &self->timers, ms, repeat, cb, arg);
}

static void host_timer_cancel(jd_plugin_handle *self, uint64_t id)
{
	jd_timer_cancel(&self->timers, id);
}

static void host_new_id(char out[33])
{
	unsigned char rnd[16];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(out, 33, rnd, sizeof(rnd));
}

static const struct jd_host host = {
    .abi_major = JD_ABI_MAJOR,
    .abi_minor = JD_ABI_MINOR,
    .size = sizeof(struct jd_host),
    .log = host_log,
    .config_get = host_config_get,
    .route_add = host_route_add,
    .req_param = host_req_param,
    .req_body = host_req_body,
    .req_principal = host_req_principal,
    .req_id = host_req_id,
    .reply_json = jd_reply_json,
    .reply_error = host_reply_error,
    .reply_rc = jd_reply_rc,
    .store_mutate = host_store_mutate,
    .store_read = host_store_read,
    .subscribe = host_subscribe,
    .publish = host_publish,
    .timer_add = host_timer_add,
    .timer_cancel = host_timer_cancel,
    .new_id = host_new_id,
};

const struct jd_host *jd_host_table(void)
{
	return &host;
}
