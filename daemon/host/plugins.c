#include "host/plugins.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/bus.h"
#include "host/plugin_abi.h"
#include "host/events.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "security/permissions.h"
#include "transport/router.h"
#include "transport/server.h"
#include "host/timers.h"

#define MAX_PLUGINS 32

static int valid_plugin_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static void free_handle(struct jd_plugin_handle *h)
{
	if (h == NULL)
		return;
	if (h->dl != NULL)
		dlclose(h->dl);
	free(h->name);
	free(h->path);
	free(h);
}

static void free_list(struct jd_plugin_handle **hs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_handle(hs[i]);
}

/* Splits "a, b,c" into names; JD_E_INVALID on a bad or repeated name. */
static int parse_load_list(const char *load, char names[][33], size_t *n, char *err, size_t errlen)
{
	char *copy = strdup(load), *save = NULL;
	int rc = JD_OK;

	if (copy == NULL)
		return JD_E_NOMEM;
	*n = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;

		while (isspace((unsigned char)*tok))
			tok++;
		end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*tok == '\0')
			continue;
		if (!valid_plugin_name(tok) || *n == MAX_PLUGINS) {
			snprintf(err, errlen, "plugins.load: bad plugin name '%.40s'", tok);
			rc = JD_E_INVALID;
			break;
		}
		for (size_t i = 0; i < *n; i++) {
			if (strcmp(names[i], tok) == 0) {
				snprintf(err, errlen, "plugins.load: '%s' is listed twice", tok);
				rc = JD_E_INVALID;
			}
		}
		if (rc != JD_OK)
			break;
		snprintf(names[(*n)++], 33, "%s", tok);
	}
	free(copy);
	return rc;
}

static int check_descriptor(struct jd_plugin_handle *h, char *err, size_t errlen)
{
	const struct jd_plugin *d = h->desc;

	if (jd_plugin_abi_check(d, h->name, h->path, err, errlen) != JD_OK)
		return JD_E_INVALID;
	if (d->name == NULL || strcmp(d->name, h->name) != 0) {
		snprintf(err, errlen, "plugin '%s': %s declares the name '%s'", h->name, h->path,
			 d->name ? d->name : "(none)");
		return JD_E_INVALID;
	}
	if (d->init == NULL || d->version == NULL) {
		snprintf(err, errlen, "plugin '%s': descriptor has no init function or version",
			 h->name);
		return JD_E_INVALID;
	}
	return jd_perms_check(h->name, d->permissions, err, errlen);
}

static int open_plugin(const char *dir, const char *name, struct jd_plugin_handle **out, char *err,
		       size_t errlen)
{
	struct jd_plugin_handle *h = calloc(1, sizeof(*h));
	const char *why;

	if (h == NULL || (h->name = strdup(name)) == NULL ||
	    asprintf(&h->path, "%s/%s.so", dir, name) < 0) {
		if (h != NULL)
			h->path = NULL;
		free_handle(h);
		return JD_E_NOMEM;
	}
	dlerror();
	h->dl = dlopen(h->path, RTLD_NOW | RTLD_LOCAL);
	if (h->dl == NULL) {
		why = dlerror();
		snprintf(err, errlen, "plugin '%s': cannot load: %s", name, why ? why : "?");
		goto fail;
	}
	h->desc = dlsym(h->dl, JD_PLUGIN_SYMBOL);
	if (h->desc == NULL) {
		snprintf(err, errlen,
			 "plugin '%s': %s exports no '%s' descriptor (not a jiandu "
			 "plugin)",
			 name, h->path, JD_PLUGIN_SYMBOL);
		goto fail;
	}
	if (check_descriptor(h, err, errlen) != JD_OK)
		goto fail;
	*out = h;
	return JD_OK;
fail:
	free_handle(h);
	return JD_E_INVALID;
}

static struct jd_plugin_handle *find_handle(struct jd_plugin_handle **hs, size_t n,
					    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(hs[i]->name, name) == 0)
			return hs[i];
	return NULL;
}

static int check_requirements(struct jd_plugin_handle **hs, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *const *req = hs[i]->desc->requires;

		for (; req != NULL && *req != NULL; req++) {
			if (find_handle(hs, n, *req) == NULL) {
				snprintf(err, errlen,
					 "plugin '%s' requires plugin '%s', which is "
					 "not in [plugins] load",
					 hs[i]->name, *req);
				return JD_E_INVALID;
			}
		}
	}
	return JD_OK;
}

static int key_declared(const struct jd_plugin *d, const char *key)
{
	for (const struct jd_config_key *k = d->config; k != NULL && k->name != NULL; k++)
		if (strcmp(k->name, key) == 0)
			return 1;
	return 0;
}

static int check_settings(const struct jd_config *cfg, struct jd_plugin_handle **hs, size_t n,
			  char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n_plugin_settings; i++) {
		const struct jd_plugin_setting *s = &cfg->plugin_settings[i];
		struct jd_plugin_handle *h = find_handle(hs, n, s->plugin);

		if (h == NULL) {
			jd_warn("config section for a plugin that is not loaded", "plugin=%s",
				s->plugin);
			continue;
		}
		if (!key_declared(h->desc, s->key)) {
			snprintf(err, errlen, "%s: [plugin.%s] unknown key '%s'", cfg->path,
				 s->plugin, s->key);
			return JD_E_INVALID;
		}
	}
	return JD_OK;
}

/* Depth-first: a plugin goes after everything it requires. */
static int visit(struct jd_plugin_handle **hs, size_t n, size_t i, int *mark,
		 struct jd_plugin_handle **order, size_t *k, char *err, size_t errlen)
{
	const char *const *req = hs[i]->desc->requires;

	if (mark[i] == 2)
		return JD_OK;
	if (mark[i] == 1) {
		snprintf(err, errlen, "plugin '%s' is part of a dependency cycle", hs[i]->name);
		return JD_E_INVALID;
	}
	mark[i] = 1;
	for (; req != NULL && *req != NULL; req++) {
		for (size_t j = 0; j < n; j++)
			if (strcmp(hs[j]->name, *req) == 0 &&
			    visit(hs, n, j, mark, order, k, err, errlen) != JD_OK)
				return JD_E_INVALID;
	}
	mark[i] = 2;
	order[(*k)++] = hs[i];
	return JD_OK;
}

static int order_by_dependency(struct jd_plugin_handle **hs, size_t n, char *err, size_t errlen)
{
	struct jd_plugin_handle *order[MAX_PLUGINS];
	int mark[MAX_PLUGINS] = {0};
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (visit(hs, n, i, mark, order, &k, err, errlen) != JD_OK)
			return JD_E_INVALID;
	memcpy(hs, order, n * sizeof(*hs));
	return JD_OK;
}

static void fini_one(struct jd_plugin_handle *h)
{
	if (!h->initialized)
		return;
	if (h->desc->fini != NULL)
		h->desc->fini();
	h->initialized = 0;
	jd_timer_cancel_all(&h->timers);
	jd_bus_unsubscribe_owner(h->srv->bus, h);
	jd_events_forget(h->srv->events, h);
	jd_report_hooks_forget(&h->srv->report_hooks, h);
	jd_router_remove_owner(h->srv->router, h->name);
	jd_info("plugin stopped", "plugin=%s", h->name);
}

/* Undoes what a plugin whose start failed left: its fini if its init succeeded. */
static void abandon(struct jd_plugin_handle *h, int init_rc)
{
	if (init_rc == JD_OK) {
		h->initialized = 1;
		fini_one(h);
		return;
	}
	jd_router_remove_owner(h->srv->router, h->name);
	jd_bus_unsubscribe_owner(h->srv->bus, h);
	jd_events_forget(h->srv->events, h);
	jd_report_hooks_forget(&h->srv->report_hooks, h);
	jd_timer_cancel_all(&h->timers);
}

static int init_all(struct jd_plugin_handle **hs, size_t n, const struct jd_host *host, char *err,
		    size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int rc = hs[i]->desc->init(host, hs[i]);

		/* a refused permission stops start-up even if init went on without the route */
		if (hs[i]->refusal[0] != '\0')
			snprintf(err, errlen, "plugin '%s': %s", hs[i]->name, hs[i]->refusal);
		else if (rc != JD_OK)
			snprintf(err, errlen, "plugin '%s': init failed (rc %d); see its log lines",
				 hs[i]->name, rc);
		if (hs[i]->refusal[0] != '\0' || rc != JD_OK) {
			abandon(hs[i], rc);
			while (i-- > 0)
				fini_one(hs[i]);
			return JD_ERR;
		}
		hs[i]->initialized = 1;
		jd_info("plugin started", "plugin=%s version=%s", hs[i]->name,
			hs[i]->desc->version);
	}
	return JD_OK;
}

/* Merges every plugin's permissions into the role matrix, before any route names one. */
static int declare_all(struct jd_plugin_handle **hs, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (jd_perms_declare(hs[i]->name, hs[i]->desc->permissions, err, errlen) != JD_OK)
			return JD_E_INVALID;
	return JD_OK;
}

static void forget_permissions(struct jd_plugin_handle **hs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		jd_perms_remove_owner(hs[i]->name);
}

/* Opens and checks every plugin of the load list, in dependency order; nothing runs yet. */
static int open_all(struct jd_server *srv, const struct jd_config *cfg,
		    struct jd_plugin_handle **hs, size_t *n, char *err, size_t errlen)
{
	char names[MAX_PLUGINS][33];
	size_t opened;
	int rc;

	if ((rc = parse_load_list(cfg->plugins_load, names, n, err, errlen)) != JD_OK)
		return rc;
	for (opened = 0; opened < *n; opened++) {
		if ((rc = open_plugin(cfg->plugins_dir, names[opened], &hs[opened], err, errlen)) !=
		    JD_OK)
			goto fail;
		hs[opened]->srv = srv;
	}
	if ((rc = check_requirements(hs, *n, err, errlen)) != JD_OK ||
	    (rc = check_settings(cfg, hs, *n, err, errlen)) != JD_OK ||
	    (rc = order_by_dependency(hs, *n, err, errlen)) != JD_OK)
		goto fail;
	return JD_OK;
fail:
	free_list(hs, opened);
	return rc;
}

int jd_plugins_check(const struct jd_config *cfg, char *err, size_t errlen)
{
	struct jd_plugin_handle *hs[MAX_PLUGINS];
	size_t n = 0;
	int rc = open_all(NULL, cfg, hs, &n, err, errlen);

	if (rc == JD_OK)
		free_list(hs, n);
	return rc;
}

int jd_plugins_load(struct jd_server *srv, const struct jd_config *cfg, const struct jd_host *host,
		    struct jd_plugins **out, char *err, size_t errlen)
{
	struct jd_plugin_handle *hs[MAX_PLUGINS];
	struct jd_plugins *ps;
	size_t n = 0;
	int rc;

	if ((rc = open_all(srv, cfg, hs, &n, err, errlen)) != JD_OK)
		return rc;
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL || (ps->list = calloc(n ? n : 1, sizeof(*hs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = JD_E_NOMEM;
		goto fail;
	}
	if ((rc = declare_all(hs, n, err, errlen)) != JD_OK ||
	    (rc = init_all(hs, n, host, err, errlen)) != JD_OK)
		goto fail;
	memcpy(ps->list, hs, n * sizeof(*hs));
	ps->n = n;
	*out = ps;
	return JD_OK;
fail:
	forget_permissions(hs, n);
	free_list(hs, n);
	if (ps != NULL)
		free(ps->list);
	free(ps);
	return rc;
}

void jd_plugins_unload(struct jd_plugins *ps)
{
	if (ps == NULL)
		return;
	for (size_t i = ps->n; i-- > 0;)
		fini_one(ps->list[i]);
	forget_permissions(ps->list, ps->n);
	free_list(ps->list, ps->n);
	free(ps->list);
	free(ps);
}
