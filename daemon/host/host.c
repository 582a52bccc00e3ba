/* The table of host functions that plugins call (include/jiandu/plugin.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "security/auth.h"
#include "host/bus.h"
#include "host/events.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "org/org_conflicts.h"
#include "org/org_snapshot.h"
#include "org/org_tree.h"
#include "host/plugins.h"
#include "transport/request.h"
#include "transport/router.h"
#include "security/permissions.h"
#include "security/seal.h"
#include "transport/server.h"
#include "storage/store.h"
#include "security/tenant_keys.h"
#include "host/timers.h"
#include "services/svc_counters.h"
#include "services/svc_dates.h"
#include "services/svc_deadlines.h"
#include "services/svc_machine.h"
#include "services/svc_mut.h"
#include "services/svc_proposal.h"
#include "services/svc_recount.h"
#include "services/svc_stats.h"
#include "services/svc_sweep.h"

__attribute__((format(printf, 3, 4))) static void
host_log(jd_plugin_handle *self, enum jd_log_level level, const char *fmt, ...)
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

/*
 * A route may name a permission the core or this plugin declared: not an
 * undeclared one (nobody but the admin would hold it), nor another
 * plugin's (its roles were chosen for that plugin's records).
 */
static int route_permission_ok(jd_plugin_handle *self, const struct jd_route *route)
{
	const char *owner = jd_perms_owner(route->permission);

	if (owner != NULL && (strcmp(owner, JD_PERMS_CORE) == 0 || strcmp(owner, self->name) == 0))
		return 1;
	snprintf(self->refusal, sizeof(self->refusal),
		 "route %s %s: permission '%.64s' is declared by neither the core nor plugin '%s'",
		 route->method ? route->method : "-", route->path,
		 route->permission ? route->permission : "(none)", self->name);
	return 0;
}

static void log_refusal(jd_plugin_handle *self, const char *why)
{
	char q[400];

	jd_err("plugin route refused", "plugin=%s reason=%s", self->name,
	       jd_log_quote(q, sizeof(q), why));
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
	if (!route_permission_ok(self, route)) {
		log_refusal(self, self->refusal);
		return JD_E_INVALID;
	}
	rc = jd_router_add(self->srv->router, route, self->name, err, sizeof(err));
	if (rc != JD_OK)
		log_refusal(self, err);
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

/* The person the auth step linked the caller to (docs/plugins.md, "req_person"). */
static const char *host_req_person(jd_req *req)
{
	return req != NULL && req->principal.person[0] != '\0' ? req->principal.person : NULL;
}

/* A plugin's section of GET /v1/report (docs/plugins.md, "The report hook"). */
static int host_report_register(jd_plugin_handle *self, const struct jd_report_section *section,
				jd_report_fn fn, void *arg)
{
	char err[300];
	int rc =
	    jd_report_hook_add(&self->srv->report_hooks, self, section, fn, arg, err, sizeof(err));

	if (rc != JD_OK)
		jd_err("report section refused", "plugin=%s reason=%s", self->name, err);
	return rc;
}

static const char *host_req_id(jd_req *req)
{
	return req->id;
}

__attribute__((format(printf, 4, 5))) static void
host_reply_error(jd_req *req, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jd_reply_error(req, status, code, "%s", msg);
}

static void host_event_done(jd_plugin_handle *self, const struct jd_event *ev, int rc);

static int host_store_mutate(jd_plugin_handle *self, const struct jd_mutation *m, jd_mutate_cb cb,
			     void *arg)
{
	struct jd_mutation c;
	char action[96];
	int rc = JD_OK;

	if (m == NULL)
		return JD_E_INVALID;
	if (self->srv->store == NULL || self->srv->events == NULL)
		rc = JD_E_UNAVAILABLE; /* shutting down */
	else if (m->tenant != NULL && strcmp(m->tenant, JD_SYSTEM_TENANT) == 0)
		rc = JD_E_FORBIDDEN; /* users, tokens and tenants are the core's */
	if (rc != JD_OK) {
		/* an event handled is finished all the same */
		if (m->cause != NULL)
			host_event_done(self, m->cause, rc);
		return rc;
	}
	c = *m;
	if (m->action == NULL) {
		/* the audit entry names at least the plugin that made the change */
		snprintf(action, sizeof(action), "%s.mutate", self->name);
		c.action = action;
	}
	/* events, published or handled, go through the outbox */
	if (c.n_events > 0 || c.cause != NULL)
		return jd_events_mutate(self->srv->events, self, self->name, &c, cb, arg);
	return jd_store_mutate(self->srv->store, &c, cb, arg);
}

static int host_store_read(jd_plugin_handle *self, const char *tenant, int argc, const char **argv,
			   jd_read_cb cb, void *arg)
{
	if (self->srv->store == NULL)
		return JD_E_UNAVAILABLE;
	if (tenant != NULL && strcmp(tenant, JD_SYSTEM_TENANT) == 0)
		return JD_E_FORBIDDEN; /* users, tokens and tenants are the core's */
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

static int host_on_event(jd_plugin_handle *self, const char *name, jd_event_handler cb, void *arg)
{
	if (self->srv->events == NULL)
		return JD_E_UNAVAILABLE;
	return jd_events_subscribe(self->srv->events, self, self->name, name, cb, arg);
}

static void host_event_done(jd_plugin_handle *self, const struct jd_event *ev, int rc)
{
	if (self->srv->events != NULL)
		jd_events_done(self->srv->events, self, ev, rc);
}

/*
 * A repeating timer runs once per period however many workers tick: under
 * a lease named for the plugin and the period (docs/plugins.md, "Timers").
 */
static uint64_t host_timer_add(jd_plugin_handle *self, unsigned ms, int repeat, jd_timer_cb cb,
			       void *arg)
{
	uint64_t id = jd_timer_add(self->srv->base, &self->timers, ms, repeat, cb, arg);
	char kind[96];

	if (id == 0 || !repeat)
		return id;
	snprintf(kind, sizeof(kind), "%s:timer:%ums", self->name, ms);
	if (jd_timer_lease(&self->timers, id, kind) != JD_OK) {
		jd_timer_cancel(&self->timers, id);
		return 0;
	}
	return id;
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

/* ---- Sealed fields (backed by tenant_keys.c) ------------------------------------ */

static int host_keys_ready(jd_plugin_handle *self, const char *tenant,
			   void (*cb)(int rc, void *arg), void *arg)
{
	return jd_tenant_keys_ready(self->srv->tenant_keys, tenant, cb, arg);
}

static int errno_of(int rc)
{
	switch (rc) {
	case JD_E_NOTFOUND:
		return EAGAIN;
	case JD_E_NOMEM:
		return ENOMEM;
	case JD_E_FORBIDDEN:
		return EBADMSG;
	default:
		return EINVAL;
	}
}

static char *host_seal(jd_plugin_handle *self, const char *tenant, const char *record_type,
		       const char *record_id, const char *field, const char *plain)
{
	const struct jd_seal_ad ad = {
	    .tenant = tenant, .record_type = record_type, .record_id = record_id, .field = field};
	char *out = NULL;
	int rc = jd_tenant_seal(self->srv->tenant_keys, &ad, plain, &out);

	if (rc != JD_OK) {
		/* names where, never the value */
		jd_warn("seal failed", "plugin=%s tenant=%.64s record_type=%.64s field=%.64s rc=%d",
			self->name, tenant ? tenant : "-", record_type ? record_type : "-",
			field ? field : "-", rc);
		errno = errno_of(rc);
		return NULL;
	}
	return out;
}

/*
 * Notes "sealed.read" of "<record_type>:<record_id>#<field>" with the
 * outcome for the tenant's audit trail: the request gathers its reads into
 * one entry (daemon/transport/sealed_reads.c).  Never the value.
 */
static void audit_sealed_read(jd_req *req, const char *tenant, const char *record_type,
			      const char *record_id, const char *field, const char *outcome)
{
	char target[256];

	snprintf(target, sizeof(target), "%.64s:%.64s#%.64s", record_type ? record_type : "-",
		 record_id ? record_id : "-", field ? field : "-");
	jd_req_sealed_read(req, tenant, target, outcome);
}

/*
 * The hook for the audit trail: every read of a sealed field, allowed or
 * refused, passes here (outcome "opened", "refused" or "unreadable").  It
 * logs at notice level: who, which request, which record and field; never
 * the value.  The audit stream gets its entry from here (audit_sealed_read).
 */
static void note_sealed_read(jd_req *req, const jd_plugin_handle *self, const char *permission,
			     const char *tenant, const char *record_type, const char *record_id,
			     const char *field, const char *outcome)
{
	char principal[160], perm[80], t[80], rt[80], rid[80], f[80];

	jd_notice("sealed field read",
		  "outcome=%s req=%s plugin=%s principal=%s cred=%s permission=%s tenant=%s "
		  "record_type=%s record_id=%s field=%s",
		  outcome, req->id, self->name,
		  jd_log_quote(principal, sizeof(principal), req->principal.name),
		  jd_auth_cred_name(req->principal.cred),
		  jd_log_quote(perm, sizeof(perm), permission ? permission : "-"),
		  jd_log_quote(t, sizeof(t), tenant ? tenant : "-"),
		  jd_log_quote(rt, sizeof(rt), record_type ? record_type : "-"),
		  jd_log_quote(rid, sizeof(rid), record_id ? record_id : "-"),
		  jd_log_quote(f, sizeof(f), field ? field : "-"));
	audit_sealed_read(req, tenant, record_type, record_id, field, outcome);
}

/*
 * The decision both opens share, made by auth.c: 1 when the caller may
 * read; 0 with errno set (EINVAL, or EACCES with the refusal noted).
 */
static int open_allowed(jd_plugin_handle *self, jd_req *req, const char *permission,
			const char *tenant, const char *record_type, const char *record_id,
			const char *field)
{
	if (req == NULL) {
		errno = EINVAL;
		return 0;
	}
	if (!jd_auth_may(&req->principal, permission)) {
		note_sealed_read(req, self, permission, tenant, record_type, record_id, field,
				 "refused");
		errno = EACCES;
		return 0;
	}
	return 1;
}

static char *host_open(jd_plugin_handle *self, jd_req *req, const char *permission,
		       const char *tenant, const char *record_type, const char *record_id,
		       const char *field, const char *sealed)
{
	const struct jd_seal_ad ad = {
	    .tenant = tenant, .record_type = record_type, .record_id = record_id, .field = field};
	unsigned char *plain = NULL;
	size_t len = 0;
	int rc;

	if (!open_allowed(self, req, permission, tenant, record_type, record_id, field))
		return NULL;
	rc = jd_tenant_open(self->srv->tenant_keys, &ad, sealed, &plain, &len);
	if (rc != JD_OK) {
		note_sealed_read(req, self, permission, tenant, record_type, record_id, field,
				 rc == JD_E_NOTFOUND ? "key_not_loaded" : "unreadable");
		errno = rc == JD_E_INVALID ? EBADMSG : errno_of(rc);
		return NULL;
	}
	note_sealed_read(req, self, permission, tenant, record_type, record_id, field, "opened");
	return (char *)plain;
}

static void host_plain_free(char *plain)
{
	jd_plain_free((unsigned char *)plain);
}

static int host_blind_index(jd_plugin_handle *self, const char *tenant, const char *record_type,
			    const char *field, const char *value, char out[33])
{
	int rc = jd_tenant_blind(self->srv->tenant_keys, tenant, record_type, field, value, out);

	if (rc != JD_OK)
		jd_warn("blind index failed",
			"plugin=%s tenant=%.64s record_type=%.64s field=%.64s rc=%d", self->name,
			tenant ? tenant : "-", record_type ? record_type : "-", field ? field : "-",
			rc);
	return rc;
}

/* ---- Record keys (crypto-shredding; tenant_keys.c) ---------------------------------- */

static char *host_record_key_new(jd_plugin_handle *self, const char *tenant,
				 const char *record_type, const char *record_id)
{
	char wrapped[JD_WRAPPED_MAX];
	char *out = NULL;
	int rc = jd_tenant_record_key_new(self->srv->tenant_keys, tenant, record_type, record_id,
					  wrapped, sizeof(wrapped));

	if (rc != JD_OK) {
		jd_warn("record key not created",
			"plugin=%s tenant=%.64s record_type=%.64s record_id=%.64s rc=%d",
			self->name, tenant ? tenant : "-", record_type ? record_type : "-",
			record_id ? record_id : "-", rc);
		errno = rc == JD_E_INVALID ? EINVAL : errno_of(rc);
		return NULL;
	}
	out = strdup(wrapped);
	if (out == NULL)
		errno = ENOMEM;
	return out;
}

static char *host_seal_rk(jd_plugin_handle *self, const char *tenant, const char *record_type,
			  const char *record_id, const char *field, const char *wrapped_rkey,
			  const char *plain)
{
	const struct jd_seal_ad ad = {
	    .tenant = tenant, .record_type = record_type, .record_id = record_id, .field = field};
	char *out = NULL;
	int rc = jd_tenant_seal_rk(self->srv->tenant_keys, &ad, wrapped_rkey, plain, &out);

	if (rc != JD_OK) {
		/* names where, never the value */
		jd_warn("seal under record key failed",
			"plugin=%s tenant=%.64s record_type=%.64s record_id=%.64s field=%.64s "
			"rc=%d",
			self->name, tenant ? tenant : "-", record_type ? record_type : "-",
			record_id ? record_id : "-", field ? field : "-", rc);
		errno = errno_of(rc);
		return NULL;
	}
	return out;
}

static char *host_open_rk(jd_plugin_handle *self, jd_req *req, const char *permission,
			  const char *tenant, const char *record_type, const char *record_id,
			  const char *field, const char *wrapped_rkey, const char *sealed)
{
	const struct jd_seal_ad ad = {
	    .tenant = tenant, .record_type = record_type, .record_id = record_id, .field = field};
	unsigned char *plain = NULL;
	size_t len = 0;
	int rc;

	if (!open_allowed(self, req, permission, tenant, record_type, record_id, field))
		return NULL;
	/* no wrapped key (purged) is as unreadable as a wrong one */
	rc = wrapped_rkey == NULL ? JD_E_FORBIDDEN
				  : jd_tenant_open_rk(self->srv->tenant_keys, &ad, wrapped_rkey,
						      sealed, &plain, &len);
	if (rc != JD_OK) {
		note_sealed_read(req, self, permission, tenant, record_type, record_id, field,
				 rc == JD_E_NOTFOUND ? "key_not_loaded" : "unreadable");
		errno = rc == JD_E_INVALID ? EBADMSG : errno_of(rc);
		return NULL;
	}
	note_sealed_read(req, self, permission, tenant, record_type, record_id, field, "opened");
	return (char *)plain;
}

/* ---- Record scope (the decision is auth.c's) ------------------------------------ */

/*
 * Whether the caller of req may see a record of (tenant, unit, groups,
 * deny).  A hidden record is logged and, when target names it, audited as
 * "record.hidden" in the record's tenant: fire and forget.
 */
static int host_record_visible(jd_req *req, const char *target, const char *tenant,
			       const char *unit, const char *groups, const char *deny)
{
	const struct jd_record_scope scope = {
	    .tenant = tenant, .unit = unit, .groups = groups, .deny = deny};
	enum jd_record_access access;
	const char *outcome;
	char principal[160], t[80], tg[160];

	if (req == NULL)
		return 0;
	access = jd_auth_record_access(&req->principal, &scope);
	if (access == JD_RECORD_VISIBLE)
		return 1;
	if (target == NULL)
		return 0; /* filtering a listing: not an attempt on one record */
	outcome = access == JD_RECORD_DENIED_BY_LIST ? "denied_by_list" : "out_of_scope";
	jd_notice("record hidden", "outcome=%s req=%s principal=%s cred=%s tenant=%s target=%s",
		  outcome, req->id, jd_log_quote(principal, sizeof(principal), req->principal.name),
		  jd_auth_cred_name(req->principal.cred),
		  jd_log_quote(t, sizeof(t), tenant ? tenant : "-"),
		  jd_log_quote(tg, sizeof(tg), target));
	jd_req_audit(req, tenant, "record.hidden", target, outcome);
	return 0;
}

/* A plugin's callback with its argument, for the org reads. */
struct org_call {
	void (*cb)(int rc, json_t *out, void *arg);
	void *arg;
};

static void org_call_done(int rc, json_t *out, void *arg)
{
	struct org_call *c = arg;

	c->cb(rc, out, c->arg);
	free(c);
}

static struct org_call *org_call_new(void (*cb)(int, json_t *, void *), void *arg)
{
	struct org_call *c = cb ? malloc(sizeof(*c)) : NULL;

	if (c != NULL)
		*c = (struct org_call){cb, arg};
	return c;
}

/* The plugin's callback, from the core's answer (org_conflicts.c). */
static void org_conflicts_done(const struct jd_org_conflict_answer *a, void *arg)
{
	struct org_call *c = arg;
	/* a tenant that is not a county has no such person */
	int rc = a->rc == JD_E_INVALID ? JD_E_NOTFOUND : a->rc;

	c->cb(rc, rc == JD_OK ? a->reasons : NULL, c->arg);
	free(c);
}

/*
 * Starts one core call on `in` (a tenant code, or a conflict query) whose
 * callback gets c and frees it.  JD_OK, or an error and no callback.
 */
typedef int (*org_start)(struct jd_server *srv, const void *in, struct org_call *c);

/* Never the ties: a plugin asks org_conflicts, the core opens them. */
static int start_snapshot(struct jd_server *srv, const void *tenant, struct org_call *c)
{
	return jd_org_snapshot_read(srv, tenant, 0, org_call_done, c);
}

static int start_tree(struct jd_server *srv, const void *tenant, struct org_call *c)
{
	return jd_org_tree_read(srv, tenant, org_call_done, c);
}

static int start_conflicts(struct jd_server *srv, const void *q, struct org_call *c)
{
	return jd_org_conflicts_check(srv, q, org_conflicts_done, c);
}

/* One org call for a plugin: its callback wrapped, the wrapper freed after it ran. */
static int host_org_call(jd_plugin_handle *self, org_start start, const void *in,
			 void (*cb)(int rc, json_t *out, void *arg), void *arg)
{
	struct org_call *c;
	int rc;

	if (self->srv->store == NULL)
		return JD_E_UNAVAILABLE;
	c = org_call_new(cb, arg);
	if (c == NULL)
		return cb ? JD_E_NOMEM : JD_E_INVALID;
	rc = start(self->srv, in, c);
	if (rc != JD_OK)
		free(c);
	return rc;
}

static int host_org_read(jd_plugin_handle *self, const char *tenant,
			 void (*cb)(int rc, json_t *org, void *arg), void *arg)
{
	return host_org_call(self, start_snapshot, tenant, cb, arg);
}

static int host_org_tenants(jd_plugin_handle *self, const char *tenant,
			    void (*cb)(int rc, json_t *tree, void *arg), void *arg)
{
	return host_org_call(self, start_tree, tenant, cb, arg);
}

/* The core opens the ties; the audit entry names the plugin that asked. */
static int host_org_conflicts(jd_plugin_handle *self, const char *tenant, const char *who,
			      const char *unit, const char *employer,
			      void (*cb)(int rc, json_t *reasons, void *arg), void *arg)
{
	const struct jd_org_conflict_query q = {
	    .tenant = tenant,
	    .who = who,
	    .unit = unit,
	    .employer = employer,
	    .by = {self->name, "none", "", ""},
	};

	/* the core copies q before it returns: the stack is enough */
	return host_org_call(self, start_conflicts, &q, cb, arg);
}

static int host_tenant_readable(jd_req *req, const char *tenant, const char *parent)
{
	return req != NULL && jd_auth_tenant_readable(&req->principal, tenant, parent);
}

/* ---- Domain services (daemon/services/) ------------------------------------------ */

static int host_mut_submit(jd_plugin_handle *self, struct jd_mut *m, const struct jd_mutation *what,
			   jd_mutate_cb cb, void *arg)
{
	struct jd_mutation c;
	int rc;

	if (what == NULL)
		return JD_E_INVALID;
	c = *what;
	if ((rc = jd_mut_fill(m, &c)) != JD_OK) {
		if (c.cause != NULL) /* an event handled is finished all the same */
			host_event_done(self, c.cause, rc);
		return rc;
	}
	return host_store_mutate(self, &c, cb, arg);
}

static int host_stats_query(jd_plugin_handle *self, const struct jd_stats_query *q, jd_stats_cb cb,
			    void *arg, char *err, size_t errlen)
{
	return jd_stats_query(self->srv, q, cb, arg, err, errlen);
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
    .keys_ready = host_keys_ready,
    .seal = host_seal,
    .open = host_open,
    .plain_free = host_plain_free,
    .blind_index = host_blind_index,
    .record_visible = host_record_visible,
    .record_key_new = host_record_key_new,
    .seal_rk = host_seal_rk,
    .open_rk = host_open_rk,
    .org_read = host_org_read,
    .org_conflicts = host_org_conflicts,
    .org_tenants = host_org_tenants,
    .tenant_readable = host_tenant_readable,
    .on_event = host_on_event,
    .event_done = host_event_done,
    /* ---- domain services (daemon/services/) ---- */
    .mut_new = jd_mut_new,
    .mut_free = jd_mut_free,
    .mut_set = jd_mut_set,
    .mut_setf = jd_mut_setf,
    .mut_del = jd_mut_del,
    .mut_op = jd_mut_op,
    .mut_fail = jd_mut_fail,
    .mut_ops = jd_mut_ops,
    .mut_event = jd_mut_event,
    .mut_submit = host_mut_submit,
    .day_parse = jd_day_parse,
    .day_format = jd_day_format,
    .day_today = jd_day_today,
    .day_year = jd_day_year,
    .day_number = jd_day_number,
    .day_from_number = jd_day_from_number,
    .date_input = jd_date_input,
    .counter_add = jd_counter_add,
    .stats_query = host_stats_query,
    .machine_find = jd_machine_find,
    .machine_step = jd_machine_step,
    .machine_allowed = jd_machine_allowed,
    .machine_state = jd_machine_state,
    .machine_terminal = jd_machine_terminal,
    .proposal_open = jd_proposal_open,
    .proposal_put = jd_proposal_put,
    .proposal_approve = jd_proposal_approve,
    .proposal_reject = jd_proposal_reject,
    .proposal_none = jd_proposal_none,
    .machine_move = jd_machine_move,
    .deadline_due = jd_deadline_due,
    .deadline_put = jd_deadline_put,
    .deadline_drop = jd_deadline_drop,
    .deadline_extend = jd_deadline_extend,
    .sweeper_start = jd_sweeper_start,
    .sweeper_note_tenant = jd_sweeper_note_tenant,
    .deadline_list = jd_deadline_list,
    .sweeper_run = jd_sweeper_run,
    .sweeper_stop = jd_sweeper_stop,
    .recount_run = jd_recount_run,
    /* listing: request-owned memory */
    .req_ctx = jd_req_ctx,
    /* the caller's person */
    .req_person = host_req_person,
    /* the leaders' report */
    .report_register = host_report_register,
    /* further records in one mutation */
    .mut_record = jd_mut_record,
};

const struct jd_host *jd_host_table(void)
{
	return &host;
}
