/*
 * The plugin loader: dlopen each plugin named in [plugins] load, check its
 * descriptor (magic, ABI and layout, name, declared permissions), its
 * dependencies and its config keys before any init runs, merge its
 * permissions into the role matrix, then init in dependency order; fini
 * in reverse.
 */
#ifndef JD_PLUGINS_H
#define JD_PLUGINS_H

#include <stddef.h>
#include <jiandu/plugin.h>

struct jd_server;
struct jd_config;
struct jd_timer;

struct jd_plugin_handle {
	struct jd_server *srv;
	const struct jd_plugin *desc;
	void *dl;
	char *name;
	char *path;
	int initialized;
	struct jd_timer *timers; /* live timers, cancelled at fini */
	char refusal[320];	 /* a route refused for its permission: start-up stops */
};

struct jd_plugins {
	struct jd_plugin_handle **list; /* in init order once loaded */
	size_t n;
};

/*
 * Loads, checks and initializes the plugins of `load` (comma-separated)
 * from `dir`.  On failure nothing stays loaded and err names the plugin
 * and the reason.
 */
int jd_plugins_load(struct jd_server *srv, const struct jd_config *cfg, const struct jd_host *host,
		    struct jd_plugins **out, char *err, size_t errlen);
/* What jd_plugins_load checks before any init runs (jiandud -t). */
int jd_plugins_check(const struct jd_config *cfg, char *err, size_t errlen);
/* fini in reverse init order, cancel timers, drop routes and subscriptions, dlclose. */
void jd_plugins_unload(struct jd_plugins *ps);

/* The host table handed to every plugin. */
const struct jd_host *jd_host_table(void);

#endif
