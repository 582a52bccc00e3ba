/*
 * The deadline sweep (svc_sweep.h).  One tenant's sweep walks the due part
 * of the index in pages (by rank, each read bounded), so deadlines long
 * missed (and already notified) at the head of the set never hide the
 * ones behind them.  What a sweep needs of the plugin's declaration is
 * copied (struct names, shared by reference count): a read still in flight
 * when the plugin is unloaded touches nothing of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/plugins.h"
#include "host/timers.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "services/svc_dates.h"
#include "services/svc_deadlines.h"
#include "services/svc_mut.h"
#include "services/svc_sweep.h"
#include "storage/store.h"
#include "transport/server.h"

#define SWEEP_PAGE	500
#define KNOWN_MAX	256
#define REGISTRY_RECORD "registry:tenants"

/* The plugin's names a sweep uses, copied. */
struct names {
	int refs;
	jd_plugin_handle *self; /* NULL once the sweeper stopped: nothing more is published */
	char *plugin, *registry, *index, *sent, *near, *missed, *action, *reg_action;
};

struct jd_sweeper {
	struct jd_server *srv;
	jd_plugin_handle *self;
	struct names *n;
	uint64_t timer;
	int near_days;
	char known[KNOWN_MAX][65]; /* tenants noted in the registry by this process */
	size_t n_known;
};

struct sweep {
	struct jd_server *srv;
	struct names *n;
	char tenant[65];
	json_t *items; /* [member, score, ...] of the page */
	jd_day today;
	int near;
	long offset; /* rank of the page's first member */
};

static void names_release(struct names *n)
{
	if (n == NULL || --n->refs > 0)
		return;
	free(n->plugin);
	free(n->registry);
	free(n->index);
	free(n->sent);
	free(n->near);
	free(n->missed);
	free(n->action);
	free(n->reg_action);
	free(n);
}

static struct names *names_new(const char *plugin, const struct jd_deadline_conf *c)
{
	struct names *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->refs = 1;
	if (asprintf(&n->registry, "_%s", plugin) < 0)
		n->registry = NULL;
	if (asprintf(&n->reg_action, "%s.registry.tenant", plugin) < 0)
		n->reg_action = NULL;
	n->plugin = strdup(plugin);
	n->index = strdup(c->index);
	n->sent = strdup(c->sent);
	n->near = strdup(c->event_near);
	n->missed = strdup(c->event_missed);
	if (c->notify_action != NULL)
		n->action = strdup(c->notify_action);
	else if (asprintf(&n->action, "%s.deadline.notify", plugin) < 0)
		n->action = NULL;
	if (!n->plugin || !n->registry || !n->reg_action || !n->index || !n->sent || !n->near ||
	    !n->missed || !n->action) {
		names_release(n);
		return NULL;
	}
	return n;
}

static void sweep_free(struct sweep *s)
{
	json_decref(s->items);
	names_release(s->n);
	free(s);
}

/* ---- one tenant ------------------------------------------------------------------------------ */

static void sweep_page(struct sweep *s);

static void on_sent_recorded(int rc, const struct jd_mutate_result *res, void *arg)
{
	(void)res;
	if (rc != JD_OK)
		jd_warn("deadline notices not recorded", "tenant=%s rc=%d", (char *)arg, rc);
	free(arg);
}

/* "lead:<id>#stage" -> record "lead:<id>", stage */
static int split_member(const char *m, char *record, size_t rlen, const char **stage)
{
	const char *hash = strchr(m, '#');

	if (hash == NULL || (size_t)(hash - m) >= rlen)
		return -1;
	snprintf(record, rlen, "%.*s", (int)(hash - m), m);
	*stage = hash + 1;
	return 0;
}

/* Publishes the notice of one deadline; 0 when published. */
static int notify(const struct sweep *s, const char *record, const char *stage, jd_day d)
{
	char date[11];
	json_t *payload;
	int rc;

	jd_day_format(d, date);
	payload = json_pack("{s:s, s:s, s:s, s:s, s:I}", "tenant", s->tenant, "record", record,
			    "stage", stage, "due", date, "days_left", (json_int_t)(d - s->today));
	if (payload == NULL)
		return -1;
	if (s->n->self == NULL) {
		json_decref(payload);
		return -1;
	}
	/* the plugin's own publish: the event is the plugin's, as if it had sent it */
	rc =
	    jd_host_table()->publish(s->n->self, d < s->today ? s->n->missed : s->n->near, payload);
	if (rc != JD_OK)
		jd_warn("deadline notice not published", "plugin=%s tenant=%s rc=%d", s->n->plugin,
			s->tenant, rc);
	return rc == JD_OK ? 0 : -1;
}

/* Records what was published in the sent hash (one mutation). */
static void sent_record(const struct sweep *s, struct jd_mut *m)
{
	char *t = strdup(s->tenant);
	struct jd_mutation w = {.tenant = s->tenant,
				.record = s->n->sent,
				.expect_version = JD_VERSION_ANY,
				.action = s->n->action};
	int rc = t && s->srv->store ? jd_mut_fill(m, &w) : JD_E_NOMEM;

	if (rc == JD_OK)
		rc = jd_store_mutate(s->srv->store, &w, on_sent_recorded, t);
	if (rc != JD_OK)
		on_sent_recorded(rc, NULL, t); /* logs, frees t */
}

/* sent: HMGET <sent> <members> -> publish what was not sent for this due date */
static void on_sent(int rc, json_t *sent, void *arg)
{
	struct sweep *s = arg;
	struct jd_mut *m = jd_mut_new();
	size_t n = json_array_size(s->items) / 2, published = 0;

	for (size_t i = 0; rc == JD_OK && m != NULL && i < n; i++) {
		const char *member = json_string_value(json_array_get(s->items, 2 * i));
		const char *score = json_string_value(json_array_get(s->items, 2 * i + 1));
		long due = score ? atol(score) : 0;
		jd_day d = jd_day_from_number(due);
		const char *was = json_string_value(json_array_get(sent, i));
		char mark[40], record[160];
		const char *stage;

		snprintf(mark, sizeof(mark), "%s:%ld", d < s->today ? "missed" : "near", due);
		if (member == NULL || score == NULL || (was != NULL && strcmp(was, mark) == 0) ||
		    split_member(member, record, sizeof(record), &stage) != 0 ||
		    notify(s, record, stage, d) != 0)
			continue;
		jd_mut_set(m, member, mark);
		published++;
	}
	if (published > 0)
		sent_record(s, m);
	jd_mut_free(m);
	if (rc != JD_OK || n < SWEEP_PAGE) {
		sweep_free(s);
		return;
	}
	json_decref(s->items);
	s->items = NULL;
	s->offset += SWEEP_PAGE;
	sweep_page(s);
}

static void on_due_range(int rc, json_t *result, void *arg)
{
	struct sweep *s = arg;
	size_t n = json_array_size(result) / 2;
	const char **argv = NULL;

	if (rc != JD_OK || n == 0 || s->srv->store == NULL ||
	    (argv = calloc(n + 2, sizeof(*argv))) == NULL) {
		sweep_free(s);
		return;
	}
	argv[0] = "HMGET";
	argv[1] = s->n->sent;
	for (size_t i = 0; i < n; i++) {
		const char *member = json_string_value(json_array_get(result, 2 * i));

		argv[2 + i] = member ? member : "-";
	}
	s->items = json_incref(result);
	rc = jd_store_read(s->srv->store, s->tenant, (int)n + 2, argv, on_sent, s);
	free(argv);
	if (rc != JD_OK) {
		jd_warn("deadline sweep: notices not read", "plugin=%s tenant=%s rc=%d",
			s->n->plugin, s->tenant, rc);
		sweep_free(s);
	}
}

static void sweep_page(struct sweep *s)
{
	char max[24], offset[24], page[24];
	const char *argv[] = {"ZRANGEBYSCORE", s->n->index, "-inf", max,
			      "WITHSCORES",    "LIMIT",	    offset, page};
	int rc = JD_E_UNAVAILABLE;

	snprintf(max, sizeof(max), "%ld", jd_day_number(s->today + s->near));
	snprintf(offset, sizeof(offset), "%ld", s->offset);
	snprintf(page, sizeof(page), "%d", SWEEP_PAGE);
	if (s->srv->store != NULL)
		rc = jd_store_read(s->srv->store, s->tenant, 8, argv, on_due_range, s);
	if (rc != JD_OK) {
		jd_warn("deadline sweep: deadlines not read", "plugin=%s tenant=%s rc=%d",
			s->n->plugin, s->tenant, rc);
		sweep_free(s);
	}
}

/* ---- the due listing
 * ----------------------------------------------------------------------------- */

#define LIST_MAX "200"

struct listing {
	void (*cb)(int rc, json_t *items, void *arg);
	void *arg;
	jd_day today;
};

static void on_listed(int rc, json_t *result, void *arg)
{
	struct listing *l = arg;
	json_t *out = rc == JD_OK ? json_array() : NULL;

	for (size_t i = 0; out != NULL && i + 1 < json_array_size(result); i += 2) {
		const char *m = json_string_value(json_array_get(result, i));
		const char *score = json_string_value(json_array_get(result, i + 1));
		jd_day d = jd_day_from_number(score ? atol(score) : 0);
		const char *stage;
		char record[160], date[11];

		if (m == NULL || split_member(m, record, sizeof(record), &stage) != 0)
			continue;
		jd_day_format(d, date);
		json_array_append_new(out,
				      json_pack("{s:s, s:s, s:s, s:I, s:b}", "record", record,
						"stage", stage, "due", date, "days_left",
						(json_int_t)(d - l->today), "late", d < l->today));
	}
	if (rc == JD_OK && out == NULL)
		rc = JD_E_NOMEM;
	l->cb(rc, out, l->arg);
	json_decref(out);
	free(l);
}

int jd_deadline_list(jd_plugin_handle *self, const struct jd_deadline_conf *conf,
		     const char *tenant, int days, void (*cb)(int rc, json_t *items, void *arg),
		     void *arg)
{
	char max[24];
	const char *argv[] = {
	    "ZRANGEBYSCORE", conf ? conf->index : "", "-inf", max, "WITHSCORES", "LIMIT", "0",
	    LIST_MAX};
	struct listing *l;
	int rc;

	if (self == NULL || conf == NULL || conf->index == NULL || cb == NULL || days < 0 ||
	    !jd_store_tenant_valid(tenant) || tenant[0] == '_')
		return JD_E_INVALID;
	if (self->srv->store == NULL)
		return JD_E_UNAVAILABLE;
	if ((l = malloc(sizeof(*l))) == NULL)
		return JD_E_NOMEM;
	*l = (struct listing){cb, arg, jd_day_today()};
	snprintf(max, sizeof(max), "%ld", jd_day_number(l->today + (jd_day)days));
	rc = jd_store_read(self->srv->store, tenant, 8, argv, on_listed, l);
	if (rc != JD_OK)
		free(l);
	return rc;
}

/* ---- every tenant of the registry --------------------------------------------------------------
 */

struct registry_read {
	struct jd_server *srv;
	struct names *n;
	int near;
};

static void sweep_tenant(struct registry_read *r, const char *tenant, jd_day today)
{
	struct sweep *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return;
	s->srv = r->srv;
	s->n = r->n;
	s->n->refs++;
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	s->today = today;
	s->near = r->near;
	sweep_page(s);
}

static void on_registry(int rc, json_t *result, void *arg)
{
	struct registry_read *r = arg;
	jd_day today = jd_day_today();

	for (size_t i = 0; rc == JD_OK && i < json_array_size(result); i++) {
		const char *t = json_string_value(json_array_get(result, i));

		if (t != NULL && t[0] != '_' && jd_store_tenant_valid(t))
			sweep_tenant(r, t, today);
	}
	names_release(r->n);
	free(r);
}

void jd_sweeper_run(struct jd_sweeper *sw)
{
	const char *argv[2] = {"HKEYS", REGISTRY_RECORD};
	struct registry_read *r;
	int rc = JD_E_NOMEM;

	if (sw == NULL)
		return;
	if ((r = calloc(1, sizeof(*r))) != NULL) {
		*r = (struct registry_read){sw->srv, sw->n, sw->near_days};
		sw->n->refs++;
		rc = sw->srv->store
			 ? jd_store_read(sw->srv->store, sw->n->registry, 2, argv, on_registry, r)
			 : JD_E_UNAVAILABLE;
		if (rc != JD_OK) {
			names_release(r->n);
			free(r);
		}
	}
	if (rc != JD_OK)
		jd_warn("deadline sweep: tenants not read", "plugin=%s rc=%d", sw->n->plugin, rc);
}

static void on_tick(void *arg)
{
	struct jd_sweeper *sw = arg;

	/* the pid tells which worker swept (t_workers: one per period) */
	jd_debug("deadline sweep", "plugin=%s pid=%ld", sw->n->plugin, (long)getpid());
	jd_sweeper_run(sw);
}

/* ---- the registry of tenants -------------------------------------------------------------------
 */

static void on_registered(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct names *n = arg;

	(void)res;
	if (rc != JD_OK)
		jd_warn("tenant registry not updated", "plugin=%s rc=%d", n->plugin, rc);
	names_release(n);
}

void jd_sweeper_note_tenant(struct jd_sweeper *sw, const char *tenant)
{
	const char *set[] = {tenant, "1", NULL};
	int rc;

	if (sw == NULL || tenant == NULL)
		return;
	for (size_t i = 0; i < sw->n_known; i++)
		if (strcmp(sw->known[i], tenant) == 0)
			return;
	if (sw->n_known < KNOWN_MAX)
		snprintf(sw->known[sw->n_known++], 65, "%s", tenant);
	/* idempotent: every worker may write it once */
	sw->n->refs++;
	rc = sw->srv->store
		 ? jd_store_mutate(sw->srv->store,
				   &(const struct jd_mutation){.tenant = sw->n->registry,
							       .record = REGISTRY_RECORD,
							       .expect_version = JD_VERSION_ANY,
							       .set = set,
							       .action = sw->n->reg_action},
				   on_registered, sw->n)
		 : JD_E_UNAVAILABLE;
	if (rc != JD_OK) {
		sw->n_known = 0; /* forget what we noted: the next record writes it again */
		on_registered(rc, NULL, sw->n);
	}
}

/* ---- start and stop ----------------------------------------------------------------------------
 */

struct jd_sweeper *jd_sweeper_start(jd_plugin_handle *self, const struct jd_deadline_conf *conf)
{
	struct jd_sweeper *sw;
	const char *v;
	long interval;
	char *end = NULL, kind[96];

	if (self == NULL || conf == NULL || conf->index == NULL || conf->sent == NULL ||
	    conf->event_near == NULL || conf->event_missed == NULL)
		return NULL;
	v = conf->interval_key
		? jd_config_plugin_value(self->srv->cfg, self->name, conf->interval_key)
		: NULL;
	interval = v ? strtol(v, &end, 10) : conf->interval_s;
	if (interval < 1 || interval > 86400 || (v && *end != '\0')) {
		jd_err("deadline sweep not started", "plugin=%s reason=\"%s must be 1..86400\"",
		       self->name, conf->interval_key ? conf->interval_key : "interval");
		return NULL;
	}
	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		return NULL;
	sw->srv = self->srv;
	sw->self = self;
	sw->near_days = jd_config_days(self, conf->near_key, conf->near_days);
	sw->n = names_new(self->name, conf);
	if (sw->n != NULL)
		sw->n->self = self;
	if (sw->n != NULL)
		sw->timer = jd_timer_add(self->srv->base, &self->timers, (unsigned)interval * 1000u,
					 1, on_tick, sw);
	/* one sweep per period across workers: each notice is published once */
	if (sw->timer != 0 && (snprintf(kind, sizeof(kind), "%s:sweep", self->name) < 0 ||
			       jd_timer_lease(&self->timers, sw->timer, kind) != JD_OK)) {
		jd_timer_cancel(&self->timers, sw->timer);
		sw->timer = 0;
	}
	if (sw->timer == 0) {
		names_release(sw->n);
		free(sw);
		return NULL;
	}
	return sw;
}

void jd_sweeper_stop(struct jd_sweeper *sw)
{
	if (sw == NULL)
		return;
	jd_timer_cancel(&sw->self->timers, sw->timer);
	sw->n->self = NULL;
	names_release(sw->n);
	free(sw);
}
