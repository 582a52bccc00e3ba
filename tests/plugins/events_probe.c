/*
 * Test-only plugin for durable events (t_events.sh).  POST
 * /v1/events_probe/emit publishes events_probe.ping with the mutation
 * that counts it.  Its handler first counts its own invocation with a
 * mutation of its own, not keyed by the event ("probe:calls", field the
 * event id: a second delivery shows), then:
 * - while the file `hang_marker` exists, never finishes the event (the
 *   test kills the daemon then);
 * - while `fail_marker` exists, fails it;
 * - otherwise applies the effect ("probe:effects", field the event id) in
 *   the mutation that handles the event: exactly once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jiandu/plugin.h>

static const struct jd_host *host;
static jd_plugin_handle *self;

static int marker(const char *key)
{
	const char *path = host->config_get(self, key, "");

	return path[0] != '\0' && access(path, F_OK) == 0;
}

static void on_emitted(int rc, const struct jd_mutate_result *res, void *arg)
{
	jd_req *req = arg;

	if (rc != JD_OK)
		host->reply_rc(req, rc, "ping");
	else
		host->reply_json(req, 200, json_pack("{s:I}", "n", (json_int_t)res->version));
}

static void emit(jd_req *req, void *arg)
{
	const char *tenant = host->req_param(req, "tenant");
	const struct jd_op ops[] = {{JD_OP_HINCRBY, "probe:emits", "n", "1"}};
	json_t *payload = json_pack("{s:s}", "tenant", tenant ? tenant : "");
	const struct jd_event_out events[] = {{"events_probe.ping", payload}};
	const struct jd_mutation m = {.tenant = tenant,
				      .record = "probe:emits",
				      .expect_version = JD_VERSION_ANY,
				      .ops = ops,
				      .n_ops = 1,
				      .req = req,
				      .action = "events_probe.emit",
				      .events = events,
				      .n_events = 1};
	int rc = payload ? host->store_mutate(self, &m, on_emitted, req) : JD_E_NOMEM;

	(void)arg;
	json_decref(payload);
	if (rc != JD_OK)
		host->reply_rc(req, rc, "ping");
}

static void on_effect(int rc, const struct jd_mutate_result *res, void *arg)
{
	(void)res;
	(void)arg;
	if (rc != JD_OK)
		host->log(self, JD_LOG_WARN, "effect not applied rc=%d", rc);
}

static void on_counted(int rc, const struct jd_mutate_result *res, void *arg)
{
	const struct jd_event *ev = arg;
	const struct jd_op ops[] = {{JD_OP_HINCRBY, "probe:effects", ev->id, "1"}};
	const struct jd_mutation m = {.tenant = ev->tenant,
				      .record = "probe:effects",
				      .expect_version = JD_VERSION_ANY,
				      .ops = ops,
				      .n_ops = 1,
				      .action = "events_probe.effect",
				      .cause = ev};

	(void)res;
	if (rc != JD_OK) {
		host->event_done(self, ev, rc);
		return;
	}
	if (marker("hang_marker")) {
		host->log(self, JD_LOG_NOTICE, "probe hangs id=%s", ev->id);
		return; /* never finished: the test kills the daemon */
	}
	if (marker("fail_marker")) {
		host->log(self, JD_LOG_NOTICE, "probe fails id=%s attempt=%u", ev->id, ev->attempt);
		host->event_done(self, ev, JD_E_CONFLICT);
		return;
	}
	(void)host->store_mutate(self, &m, on_effect, NULL);
}

static int on_ping(const struct jd_event *ev, void *arg)
{
	const struct jd_op ops[] = {{JD_OP_HINCRBY, "probe:calls", ev->id, "1"}};
	const struct jd_mutation m = {.tenant = ev->tenant,
				      .record = "probe:calls",
				      .expect_version = JD_VERSION_ANY,
				      .ops = ops,
				      .n_ops = 1,
				      .action = "events_probe.call"};

	(void)arg;
	host->log(self, JD_LOG_INFO, "probe handles id=%s attempt=%u pid=%ld", ev->id, ev->attempt,
		  (long)getpid());
	return host->store_mutate(self, &m, on_counted, (void *)ev);
}

static const struct jd_field emit_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route routes[] = {
    {"POST", "/v1/events_probe/emit", "events_probe.write", "Publish one events_probe.ping",
     "events_probe emit", emit_fields, 0, emit, NULL},
};

static int probe_init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	if (host->route_add(self, &routes[0]) != JD_OK)
		return JD_ERR;
	return host->on_event(self, "events_probe.ping", on_ping, NULL);
}

static void probe_fini(void)
{
}

static const struct jd_config_key config_keys[] = {
    {"hang_marker", "", "while this file exists, the handler never finishes"},
    {"fail_marker", "", "while this file exists, the handler fails"},
    {NULL, NULL, NULL},
};

static const struct jd_permission permissions[] = {
    {"events_probe.write", "Publish a probe event", "staff"},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "events_probe", .version = "0.0.1",
		 .summary = "test: durable events through a crash, failures and two processes",
		 .requires = NULL, .config = config_keys, .permissions = permissions,
		 .init = probe_init, .fini = probe_fini);
