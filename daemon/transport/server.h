/*
 * The running daemon: the loop, the config in force, and the services the
 * core offers to requests and plugins.  One per worker process.
 */
#ifndef JD_SERVER_H
#define JD_SERVER_H

#include <time.h>

#include "report/report_hooks.h"
#include <jansson.h>

struct event_base;
struct event;
struct jd_config;
struct jd_router;
struct jd_bus;
struct jd_read_gate;
struct jd_events;
struct jd_plugins;
struct jd_redis;
struct jd_redis_child;
struct jd_sentinel;
struct jd_store;
struct jd_readiness;
struct jd_listener;
struct jd_keyring;
struct jd_tenant_keys;
struct jd_keys_job;
struct jd_ui_files;

struct jd_server {
	struct event_base *base;
	struct jd_config *cfg;
	struct jd_router *router;
	struct jd_bus *bus;
	struct jd_read_gate *reads; /* read_gate.h */
	struct jd_plugins *plugins;
	struct jd_report_hooks report_hooks; /* the plugins' report sections */
	struct jd_redis *redis;
	struct jd_redis_child *redis_child;
	struct jd_sentinel *sentinel; /* redis.sentinels: owns srv->redis */
	struct jd_store *store;
	struct jd_events *events;   /* durable events: the outbox's consumer side */
	struct jd_readiness *ready; /* /readyz: Redis takes writes, the scripts are loaded */
	struct jd_listener *control;
	struct jd_listener *api;
	struct jd_keyring *keyring;	    /* in force: reload swaps it (keys rotate) */
	struct jd_keyring *keyring_first;   /* the one loaded at start, once swapped: the audit
					       log borrows its signing key; freed last */
	struct jd_tenant_keys *tenant_keys; /* per-tenant data keys (sealed fields) */
	struct jd_keys_job *keys_job;	    /* keys rewrap in the background (keys_routes.c) */
	struct jd_ui_files *ui;		    /* the dashboard's files (/ui/), or NULL */
	time_t started;
	unsigned in_flight;
	unsigned long long requests;
	int draining;
	int exit_code;
	/* one of several workers under a master (runtime/master.h); all 0 when alone */
	unsigned worker;	  /* its slot, 1..workers */
	int listen_fds[2];	  /* control, api: the master's sockets */
	long master;		  /* the master's pid */
	const char *master_redis; /* the Redis the master runs, or NULL */
	struct event *signals[4];
	struct event *drain_timer;
	struct event
	    *metrics_share; /* metrics_share.c: this worker's figures, written each second */
	int metrics_share_failing;
	struct timespec drain_deadline;
};

/* jiandud -t: the keyring's mode, both TLS contexts, every plugin's descriptor and needs. */
int jd_server_check(const struct jd_config *cfg, char *err, size_t errlen);
/* Creates server.data_dir (0700) if missing; JD_E_INVALID with the reason. */
int jd_server_data_dir(const struct jd_config *cfg, char *err, size_t errlen);
/* Builds everything from cfg (taken over) and binds the listeners. */
int jd_server_start(struct jd_server *srv, struct jd_config *cfg);
/*
 * The route catalog (as GET /v1/routes) of the core and cfg's plugins,
 * built without Redis or listeners and torn down again; takes cfg over.
 */
int jd_server_catalog(struct jd_config *cfg, json_t **out, char *err, size_t errlen);
/* Runs the loop until a stop signal has drained; returns the exit code. */
int jd_server_run(struct jd_server *srv);
/* Stops plugins in reverse order and frees everything. */
void jd_server_free(struct jd_server *srv);
/* "managed", "external" or "sentinel": where Redis comes from (status). */
const char *jd_server_redis_mode(const struct jd_server *srv);

/*
 * Re-reads the config file; on success applies what can change live and
 * lists the changed keys in `changed` (comma-separated).  On failure the
 * old config keeps serving and err says why.
 */
int jd_server_reload(struct jd_server *srv, char *changed, size_t changed_len, char *err,
		     size_t errlen);
/* Stops accepting, lets in-flight requests finish (bounded), exits the loop. */
void jd_server_begin_shutdown(struct jd_server *srv);

/* Registers the core's own routes (status, health, catalog, metrics, reload). */
int jd_core_routes_register(struct jd_server *srv, char *err, size_t errlen);

#endif
