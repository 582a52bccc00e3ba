#include "transport/server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include <jiandu/plugin.h>

#include "audit/audit_routes.h"
#include "host/bus.h"
#include "host/events.h"
#include "host/events_routes.h"
#include "runtime/config.h"
#include "security/keyring.h"
#include "security/ratelimit.h"
#include "security/keys_routes.h"
#include "security/permissions.h"
#include "transport/listener.h"
#include "transport/read_gate.h"
#include "runtime/log.h"
#include "runtime/metrics_share.h"
#include "org/org_conflicts.h"
#include "org/org_export.h"
#include "org/org_groups.h"
#include "org/org_import.h"
#include "org/org_people.h"
#include "org/org_report.h"
#include "report/report.h"
#include "org/org_rotation.h"
#include "org/org_staffing.h"
#include "org/org_tenants.h"
#include "org/org_units.h"
#include "host/plugins.h"
#include "storage/lease.h"
#include "storage/redis.h"
#include "storage/readiness.h"
#include "storage/redis_child.h"
#include "storage/sentinel.h"
#include "transport/router.h"
#include "storage/store.h"
#include "security/tenant_keys.h"
#include "transport/tls.h"
#include "security/session.h"
#include "transport/ui_files.h"
#include "security/tokens.h"
#include "security/users.h"

#define REDIS_START_WAIT_MS 10000
#define DRAIN_POLL_MS	    20

int jd_server_data_dir(const struct jd_config *cfg, char *err, size_t errlen)
{
	const char *dir = cfg->data_dir;
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "server.data_dir %s: %s", dir, strerror(errno));
		return JD_E_INVALID;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "server.data_dir %s: not a directory", dir);
		return JD_E_INVALID;
	}
	return JD_OK;
}

/* The keyring holds the master keys: loaded once, into locked read-only memory. */
static int load_keyring(const struct jd_config *cfg, struct jd_keyring **out, char *err,
			size_t errlen)
{
	char why[512];
	int rc = jd_keyring_load(cfg->keyring, cfg->min_key_version, out, why, sizeof(why));

	if (rc != JD_OK)
		snprintf(err, errlen, "security.keyring: %s", why);
	return rc;
}

const char *jd_server_redis_mode(const struct jd_server *srv)
{
	if (srv->sentinel != NULL)
		return "sentinel";
	if (*srv->cfg->redis_cluster != '\0')
		return "cluster";
	if (srv->master_redis != NULL)
		return "managed"; /* by the master of the workers */
	return srv->redis_child ? "managed" : "external";
}

static void redis_opts_from(const struct jd_config *cfg, const char *url, struct jd_redis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->url = url;
	o->cluster = cfg->redis_cluster;
	o->command_timeout_ms = cfg->redis_command_timeout_ms;
	o->connect_timeout_ms = cfg->redis_connect_timeout_ms;
	o->backoff_min_ms = cfg->redis_backoff_min_ms;
	o->backoff_max_ms = cfg->redis_backoff_max_ms;
	o->tls_ca = *cfg->redis_tls_ca ? cfg->redis_tls_ca : NULL;
	o->tls_cert = *cfg->redis_tls_cert ? cfg->redis_tls_cert : NULL;
	o->tls_key = *cfg->redis_tls_key ? cfg->redis_tls_key : NULL;
}

/* A worker's timers run under leases named for its slot (storage/lease.h). */
static int share_leases(struct jd_server *srv)
{
	char host[64] = "host", owner[128];

	(void)gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	if (snprintf(owner, sizeof(owner), "%.60s:%ld:%u", host, srv->master, srv->worker) < 0)
		return JD_E_NOMEM;
	jd_lease_share(srv->redis, owner);
	return JD_OK;
}

static int start_storage(struct jd_server *srv, char *err, size_t errlen)
{
	const struct jd_config *cfg = srv->cfg;
	struct jd_redis_opts o;
	const char *url = srv->master_redis ? srv->master_redis : cfg->redis_url;

	if (srv->master_redis == NULL && jd_config_managed_redis(cfg)) {
		srv->redis_child = jd_redis_child_start(srv->base, cfg->redis_server, cfg->data_dir,
							REDIS_START_WAIT_MS, &url);
		if (srv->redis_child == NULL) {
			snprintf(err, errlen,
				 "cannot start the managed redis-server (%s) in %s; "
				 "see the log above",
				 cfg->redis_server, cfg->data_dir);
			return JD_ERR;
		}
	}
	redis_opts_from(cfg, url, &o);
	if (*cfg->redis_sentinels != '\0') {
		srv->sentinel =
		    jd_sentinel_new(srv->base, cfg->redis_sentinels, cfg->redis_master_name, &o);
		srv->redis = srv->sentinel ? jd_sentinel_master(srv->sentinel) : NULL;
	} else {
		srv->redis = jd_redis_new(srv->base, &o);
	}
	if (srv->redis == NULL) {
		snprintf(err, errlen, "redis: cannot set up the connection; see the log above");
		return JD_ERR;
	}
	srv->store = jd_store_new(srv->redis);
	if (srv->store == NULL) {
		snprintf(err, errlen, "out of memory");
		return JD_E_NOMEM;
	}
	if (strcmp(cfg->redis_durability, "replica") == 0)
		jd_store_wait_replicas(srv->store, 1, cfg->redis_replica_timeout_ms);
	jd_ratelimit_share(srv->redis); /* failed-login counters hold across restarts */
	if (srv->worker > 0 && share_leases(srv) != JD_OK) {
		snprintf(err, errlen, "out of memory");
		return JD_E_NOMEM;
	}
	srv->ready = jd_readiness_new(srv->base, srv->redis, srv->store);
	if (srv->ready == NULL) {
		snprintf(err, errlen, "out of memory");
		return JD_E_NOMEM;
	}
	if (jd_audit_attach(srv, err, errlen) != JD_OK)
		return JD_ERR;
	srv->events = jd_events_new(srv->base, srv->redis, srv->store,
				    &(const struct jd_events_opts){
					.poll_ms = cfg->events_poll_ms,
					.sweep_ms = cfg->events_sweep_ms,
					.claim_idle_ms = cfg->events_claim_idle_ms,
					.max_attempts = cfg->events_max_attempts,
					.batch = cfg->events_batch,
				    });
	if (srv->events == NULL) {
		snprintf(err, errlen, "out of memory");
		return JD_E_NOMEM;
	}
	srv->tenant_keys = jd_tenant_keys_new(srv->base, srv->store, srv->keyring,
					      cfg->min_key_version, JD_TENANT_KEYS_CAPACITY);
	if (srv->tenant_keys == NULL) {
		snprintf(err, errlen, "out of memory");
		return JD_E_NOMEM;
	}
	return JD_OK;
}

static int make_ctxs(const struct jd_config *cfg, SSL_CTX **control, SSL_CTX **api, char *err,
		     size_t errlen)
{
	const struct jd_tls_files files = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca, cfg->tls_crl};

	*control = jd_tls_listener_ctx(&files, JD_TLS_CLIENT_CERT_REQUIRED, err, errlen);
	if (*control == NULL)
		return JD_E_INVALID;
	*api = jd_tls_listener_ctx(&files, JD_TLS_CLIENT_CERT_OPTIONAL, err, errlen);
	if (*api == NULL) {
		SSL_CTX_free(*control);
		*control = NULL;
		return JD_E_INVALID;
	}
	jd_tls_make_current(*api); /* both built: their revocation list now applies */
	return JD_OK;
}

static int start_listeners(struct jd_server *srv, char *err, size_t errlen)
{
	SSL_CTX *cctx, *actx;
	/* a worker serves the master's sockets: taken over, -1 once handed on */
	int cfd = srv->worker ? srv->listen_fds[0] : -1,
	    afd = srv->worker ? srv->listen_fds[1] : -1;

	if (make_ctxs(srv->cfg, &cctx, &actx, err, errlen) != JD_OK)
		return JD_E_INVALID;
	srv->listen_fds[0] = srv->listen_fds[1] = -1;
	srv->control =
	    jd_listener_new(srv, "control", 1, srv->cfg->control_listen, cfd, cctx, err, errlen);
	if (srv->control == NULL) {
		SSL_CTX_free(actx);
		if (afd >= 0)
			close(afd);
		return JD_E_INVALID;
	}
	srv->api = jd_listener_new(srv, "api", 0, srv->cfg->api_listen, afd, actx, err, errlen);
	return srv->api ? JD_OK : JD_E_INVALID;
}

/* After the plugins' init: their handlers are known, the lanes can be laid out. */
static int start_events(struct jd_server *srv, char *err, size_t errlen)
{
	if (jd_events_start(srv->events) != JD_OK) {
		snprintf(err, errlen, "events: cannot start the timers");
		return JD_ERR;
	}
	return JD_OK;
}

int jd_server_check(const struct jd_config *cfg, char *err, size_t errlen)
{
	struct jd_keyring *kr = NULL;
	SSL_CTX *cctx, *actx;
	int rc;

	if ((rc = load_keyring(cfg, &kr, err, errlen)) != JD_OK)
		return rc;
	jd_keyring_free(kr);
	if ((rc = make_ctxs(cfg, &cctx, &actx, err, errlen)) != JD_OK)
		return rc;
	SSL_CTX_free(cctx);
	SSL_CTX_free(actx);
	return jd_plugins_check(cfg, err, errlen);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct jd_server *srv = arg;

	(void)what;
	jd_notice("stop signal", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
	jd_server_begin_shutdown(srv);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	char changed[1024], err[512];

	(void)sig;
	(void)what;
	if (jd_server_reload(arg, changed, sizeof(changed), err, sizeof(err)) != JD_OK) {
		char q[600];

		jd_err("reload refused; the old config keeps serving", "reason=%s",
		       jd_log_quote(q, sizeof(q), err));
	}
}

static int add_signal(struct jd_server *srv, size_t slot, int sig, event_callback_fn fn)
{
	srv->signals[slot] = evsignal_new(srv->base, sig, fn, srv);
	if (srv->signals[slot] == NULL || event_add(srv->signals[slot], NULL) != 0)
		return JD_ERR;
	return JD_OK;
}

static int start_signals(struct jd_server *srv)
{
	/* A client that leaves mid-write must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	if (add_signal(srv, 0, SIGTERM, on_stop_signal) != JD_OK ||
	    add_signal(srv, 1, SIGINT, on_stop_signal) != JD_OK ||
	    add_signal(srv, 2, SIGHUP, on_hup) != JD_OK)
		return JD_ERR;
	return JD_OK;
}

/* Every core route names a permission of the core's table (security/auth.c). */
static int check_core_permissions(struct jd_server *srv, char *err, size_t errlen)
{
	for (size_t i = 0; i < jd_router_count(srv->router); i++) {
		const struct jd_route *r = &jd_router_at(srv->router, i)->route;
		const char *owner = jd_perms_owner(r->permission);

		if (owner == NULL || strcmp(owner, JD_PERMS_CORE) != 0) {
			snprintf(err, errlen,
				 "core route %s %s: permission '%s' is not in the core's table "
				 "(daemon/security/auth.c)",
				 r->method, r->path, r->permission);
			return JD_ERR;
		}
	}
	return JD_OK;
}

static int start_core(struct jd_server *srv, char *err, size_t errlen)
{
	srv->base = event_base_new();
	if (srv->base == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		return JD_ERR;
	}
	srv->router = jd_router_new();
	srv->bus = jd_bus_new(srv->base);
	srv->reads = jd_read_gate_new(srv);
	if (srv->router == NULL || srv->bus == NULL || srv->reads == NULL) {
		snprintf(err, errlen, "out of memory");
		return JD_E_NOMEM;
	}
	if (jd_users_register(srv, err, errlen) != JD_OK ||
	    jd_tokens_register(srv, err, errlen) != JD_OK ||
	    jd_session_register(srv, err, errlen) != JD_OK ||
	    jd_audit_routes_register(srv, err, errlen) != JD_OK ||
	    jd_events_routes_register(srv, err, errlen) != JD_OK ||
	    jd_keys_routes_register(srv, err, errlen) != JD_OK ||
	    jd_org_tenants_register(srv, err, errlen) != JD_OK ||
	    jd_org_units_register(srv, err, errlen) != JD_OK ||
	    jd_org_people_register(srv, err, errlen) != JD_OK ||
	    jd_org_import_register(srv, err, errlen) != JD_OK ||
	    jd_org_export_register(srv, err, errlen) != JD_OK ||
	    jd_org_staffing_register(srv, err, errlen) != JD_OK ||
	    jd_org_groups_register(srv, err, errlen) != JD_OK ||
	    jd_org_conflicts_register(srv, err, errlen) != JD_OK ||
	    jd_org_rotation_register(srv, err, errlen) != JD_OK ||
	    jd_org_report_register(srv, err, errlen) != JD_OK ||
	    jd_report_register(srv, err, errlen) != JD_OK ||
	    jd_core_routes_register(srv, err, errlen) != JD_OK)
		return JD_ERR;
	return check_core_permissions(srv, err, errlen);
}

static int start_metrics_share(struct jd_server *srv, char *err, size_t errlen)
{
	int rc = jd_metrics_share_start(srv);

	if (rc != JD_OK)
		snprintf(err, errlen, "cannot start sharing this worker's metrics: out of memory");
	return rc;
}

int jd_server_start(struct jd_server *srv, struct jd_config *cfg)
{
	char err[1024];
	int rc;

	srv->cfg = cfg;
	srv->started = time(NULL);
	jd_log_set_level(cfg->log_level);
	if ((rc = load_keyring(cfg, &srv->keyring, err, sizeof(err))) != JD_OK ||
	    (rc = jd_server_data_dir(cfg, err, sizeof(err))) != JD_OK ||
	    (rc = start_core(srv, err, sizeof(err))) != JD_OK ||
	    (rc = jd_ui_files_load(cfg->ui_dir, &srv->ui, err, sizeof(err))) != JD_OK ||
	    (rc = start_storage(srv, err, sizeof(err))) != JD_OK ||
	    (rc = jd_plugins_load(srv, cfg, jd_host_table(), &srv->plugins, err, sizeof(err))) !=
		JD_OK ||
	    (rc = start_events(srv, err, sizeof(err))) != JD_OK ||
	    (rc = start_listeners(srv, err, sizeof(err))) != JD_OK ||
	    (rc = start_signals(srv)) != JD_OK ||
	    (rc = start_metrics_share(srv, err, sizeof(err))) != JD_OK) {
		char q[1100];

		jd_err("start-up failed", "reason=%s", jd_log_quote(q, sizeof(q), err));
		return rc;
	}
	jd_notice("dashboard files", "dir=%s", jd_ui_files_root(srv->ui));
	jd_notice("jiandud started", "version=%s control=%s api=%s plugins=%zu redis=%s worker=%u",
		  JD_VERSION, srv->control->addr, srv->api->addr,
		  srv->plugins ? srv->plugins->n : (size_t)0, jd_server_redis_mode(srv),
		  srv->worker);
	return JD_OK;
}

/* Each plugin's [plugin.<name>] keys with their defaults, as its descriptor declares them. */
static json_t *plugin_settings(const struct jd_plugins *ps)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < ps->n; i++) {
		const struct jd_plugin *d = ps->list[i]->desc;
		json_t *keys = json_array();

		for (const struct jd_config_key *k = d->config; keys && k && k->name; k++)
			json_array_append_new(
			    keys, json_pack("{s:s, s:s, s:s}", "name", k->name, "default",
					    k->def ? k->def : "", "description",
					    k->description ? k->description : ""));
		json_array_append_new(arr,
				      json_pack("{s:s, s:o*}", "name", d->name, "settings", keys));
	}
	return arr;
}

/*
 * The catalog without serving: the core's routes and the plugins' (their
 * init adds them) with no Redis, no listener and the loop never run, so a
 * build can document what a daemon with these plugins offers.
 */
int jd_server_catalog(struct jd_config *cfg, json_t **out, char *err, size_t errlen)
{
	struct jd_server srv;
	int rc;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = cfg;
	if ((rc = start_core(&srv, err, errlen)) != JD_OK)
		goto done;
	srv.events = jd_events_new(srv.base, NULL, NULL, &(const struct jd_events_opts){0});
	if (srv.events == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = JD_E_NOMEM;
		goto done;
	}
	rc = jd_plugins_load(&srv, cfg, jd_host_table(), &srv.plugins, err, errlen);
	if (rc == JD_OK &&
	    ((*out = jd_router_catalog(srv.router)) == NULL ||
	     json_object_set_new(*out, "plugins", plugin_settings(srv.plugins)) != 0)) {
		snprintf(err, errlen, "out of memory");
		rc = JD_E_NOMEM;
	}
done:
	jd_server_free(&srv);
	return rc;
}

int jd_server_run(struct jd_server *srv)
{
	if (event_base_dispatch(srv->base) < 0)
		return 1;
	return srv->exit_code;
}

static void free_storage(struct jd_server *srv)
{
	jd_keys_job_stop(srv);		       /* a rewrap batch in flight fails with the store */
	jd_tenant_keys_free(srv->tenant_keys); /* before the store: wipes the cached keys */
	srv->tenant_keys = NULL;
	jd_events_stop(srv->events); /* sends nothing more; what is in flight is failed below */
	jd_ratelimit_share(NULL);
	jd_lease_share(NULL, NULL);
	jd_readiness_free(srv->ready); /* before the store: a probe in flight ends harmlessly */
	srv->ready = NULL;
	jd_store_free(srv->store);
	srv->store = NULL;
	if (srv->sentinel != NULL)
		jd_sentinel_free(srv->sentinel); /* and the master connection */
	else if (srv->redis != NULL)
		jd_redis_free(srv->redis);
	srv->redis = NULL;
	srv->sentinel = NULL;
	jd_events_free(srv->events); /* every callback has run */
	srv->events = NULL;
}

static int drained(struct jd_server *srv)
{
	struct timespec now;

	if (srv->in_flight == 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > srv->drain_deadline.tv_sec ||
	       (now.tv_sec == srv->drain_deadline.tv_sec &&
		now.tv_nsec >= srv->drain_deadline.tv_nsec);
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct jd_server *srv = arg;
	/* Lets the last replies leave the socket buffers before the loop ends. */
	struct timeval flush = {0, 100000};

	(void)fd;
	(void)what;
	if (!drained(srv))
		return;
	if (srv->in_flight > 0) {
		/* their storage callbacks answer 503 now, while the loop can still send it */
		jd_warn("shutdown timeout: failing the requests still waiting", "in_flight=%u",
			srv->in_flight);
		free_storage(srv);
	}
	event_del(srv->drain_timer);
	event_base_loopexit(srv->base, &flush);
}

void jd_server_begin_shutdown(struct jd_server *srv)
{
	struct timeval tick = {0, DRAIN_POLL_MS * 1000};
	unsigned ms = srv->cfg->shutdown_timeout_ms;

	if (srv->draining) {
		jd_warn("second stop signal: exiting now", NULL);
		event_base_loopbreak(srv->base);
		return;
	}
	srv->draining = 1;
	jd_listener_stop_accepting(srv->control);
	jd_listener_stop_accepting(srv->api);
	clock_gettime(CLOCK_MONOTONIC, &srv->drain_deadline);
	srv->drain_deadline.tv_sec += ms / 1000;
	srv->drain_deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (srv->drain_deadline.tv_nsec >= 1000000000L) {
		srv->drain_deadline.tv_sec++;
		srv->drain_deadline.tv_nsec -= 1000000000L;
	}
	jd_notice("draining", "in_flight=%u timeout_ms=%u", srv->in_flight, ms);
	srv->drain_timer = event_new(srv->base, -1, EV_PERSIST, on_drain_tick, srv);
	if (srv->drain_timer == NULL || event_add(srv->drain_timer, &tick) != 0)
		event_base_loopbreak(srv->base);
}

static int apply_reload(struct jd_server *srv, struct jd_config *next, char *err, size_t errlen)
{
	SSL_CTX *cctx, *actx;
	struct jd_redis_opts o;

	if (make_ctxs(next, &cctx, &actx, err, errlen) != JD_OK)
		return JD_E_INVALID;
	jd_listener_set_ctx(srv->control, cctx);
	jd_listener_set_ctx(srv->api, actx);
	jd_log_set_level(next->log_level);
	jd_config_free(srv->cfg);
	srv->cfg = next;
	jd_listener_apply_limits(srv->control, next);
	jd_listener_apply_limits(srv->api, next);
	redis_opts_from(next, next->redis_url, &o);
	if (srv->sentinel != NULL)
		jd_sentinel_set_timeouts(srv->sentinel, &o);
	else
		jd_redis_set_timeouts(srv->redis, &o);
	if (strcmp(next->redis_durability, "replica") == 0)
		jd_store_wait_replicas(srv->store, 1, next->redis_replica_timeout_ms);
	return JD_OK;
}

/*
 * The keyring again (keys rotate adds a master version), from the path and
 * minimum version in force (both need a restart to change).  The audit
 * signing key must not change: the audit log and verify use it.
 */
static int reload_keyring(struct jd_server *srv, struct jd_keyring **out, char *err, size_t errlen)
{
	const unsigned char *pk;
	int rc = load_keyring(srv->cfg, out, err, errlen);

	if (rc != JD_OK) {
		char q[600];

		jd_err("reload refused: the keyring does not load; the old keyring keeps serving",
		       "reason=%s", jd_log_quote(q, sizeof(q), err));
		return rc;
	}
	pk = jd_keyring_sign_pk(srv->keyring);
	if (pk != NULL &&
	    sodium_memcmp(jd_keyring_sign_pk(*out), pk, crypto_sign_PUBLICKEYBYTES) != 0) {
		snprintf(err, errlen,
			 "security.keyring: the audit signing key changed; that needs a restart "
			 "(and breaks verification of the trail signed so far)");
		jd_keyring_free(*out);
		*out = NULL;
		return JD_E_INVALID;
	}
	return JD_OK;
}

/* Tenant keys unwrap with the new keyring from now on; the old one goes unless the audit log
 * borrows from it (the first one). */
static void swap_keyring(struct jd_server *srv, struct jd_keyring *kr)
{
	struct jd_keyring *old = srv->keyring;

	jd_tenant_keys_set_keyring(srv->tenant_keys, kr);
	srv->keyring = kr;
	if (srv->keyring_first == NULL)
		srv->keyring_first = old;
	else
		jd_keyring_free(old); /* wipes */
	jd_notice("keyring reloaded", "active_master_version=%u", jd_keyring_active(kr));
}

int jd_server_reload(struct jd_server *srv, char *changed, size_t changed_len, char *err,
		     size_t errlen)
{
	struct jd_config *next = NULL;
	struct jd_keyring *kr = NULL;
	char fixed[1024];
	int rc;

	changed[0] = '\0';
	rc = jd_config_load(srv->cfg->path, &next, err, errlen);
	if (rc != JD_OK)
		return rc;
	/* refuse what the next start would refuse, even if it only applies then */
	rc = jd_plugins_check(next, err, errlen);
	if (rc == JD_OK)
		rc = reload_keyring(srv, &kr, err, errlen);
	if (rc != JD_OK) {
		jd_config_free(next);
		return rc;
	}
	jd_config_diff(srv->cfg, next, changed, changed_len, fixed, sizeof(fixed));
	jd_config_keep_fixed(next, srv->cfg);
	rc = apply_reload(srv, next, err, errlen);
	if (rc != JD_OK) {
		jd_keyring_free(kr);
		jd_config_free(next);
		return rc;
	}
	swap_keyring(srv, kr);
	jd_notice("reloaded", "certificates=reloaded changed=%s", changed[0] ? changed : "none");
	if (fixed[0])
		jd_warn("changed settings need a restart to take effect", "keys=%s", fixed);
	return JD_OK;
}

void jd_server_free(struct jd_server *srv)
{
	/*
	 * Storage first: callbacks still pending run now (with "unavailable")
	 * while the plugin code they belong to is loaded and their requests
	 * still have connections.  Then plugins, then connections.  Reads
	 * still waiting for a place are answered before all of it.
	 */
	jd_read_gate_refuse_waiting(srv->reads);
	jd_metrics_share_stop(srv);
	free_storage(srv);
	jd_plugins_unload(srv->plugins);
	jd_report_hooks_free(&srv->report_hooks);
	srv->plugins = NULL;
	jd_listener_close(srv->control);
	jd_listener_close(srv->api);
	if (srv->redis_child != NULL)
		jd_redis_child_stop(srv->redis_child);
	jd_bus_free(srv->bus);
	jd_read_gate_free(srv->reads);
	jd_router_free(srv->router);
	jd_ui_files_free(srv->ui);
	for (size_t i = 0; i < sizeof(srv->signals) / sizeof(srv->signals[0]); i++)
		if (srv->signals[i] != NULL)
			event_free(srv->signals[i]);
	if (srv->drain_timer != NULL)
		event_free(srv->drain_timer);
	if (srv->base != NULL)
		event_base_free(srv->base); /* frees the last connections */
	jd_listener_free(srv->control);
	jd_listener_free(srv->api);
	jd_tls_make_current(NULL);
	jd_keyring_free(srv->keyring); /* wipes the keys */
	jd_keyring_free(srv->keyring_first);
	jd_config_free(srv->cfg);
	memset(srv, 0, sizeof(*srv));
}
