/*
 * `jianductl events list|show|retry` (control listener, permission
 * events.admin): the backlog of each tenant's stream per group, its dead
 * letters, one event, and the replay of a dead letter to the group that
 * failed it (docs/operations.md "Events").
 *
 * list without a tenant answers from the last sweep (every
 * events.sweep_ms); with one it asks Redis now.  A retry appends the dead
 * letter to the stream again with "for" (the group) and "orig" (its first
 * id): other groups acknowledge it unread, and the group's handler gets
 * the original id, so a mutation that did apply before replays.
 */
#include "host/events_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/events.h"
#include "runtime/log.h"
#include "storage/redis.h"
#include "storage/store.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"

#define ID_MAX	   41
#define KEY_MAX	   128
#define DEAD_SHOWN "50" /* dead letters listed per tenant */

/*
 * KEYS[1] the stream, KEYS[2] the dead letters; ARGV[1] the dead letter's
 * id.  Nil when there is no such dead letter; otherwise the new entry's id
 * and the group it is for.
 */
static const char retry_script[] =
    "local e = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])\n"
    "if #e == 0 then return false end\n"
    "local f, h = e[1][2], {}\n"
    "for i = 1, #f - 1, 2 do h[f[i]] = f[i + 1] end\n"
    "if not (h.group and h.id and h.name) then return redis.error_reply('ERR jd: not a dead "
    "letter') end\n"
    "local id = redis.call('XADD', KEYS[1], '*', 'name', h.name, 'tenant', h.tenant or '',\n"
    "  'publisher', h.publisher or '', 'payload', h.payload or '{}', 'for', h.group, 'orig', "
    "h.id)\n"
    "redis.call('XDEL', KEYS[2], ARGV[1])\n"
    "return {id, h.group, h.id}\n";

struct call {
	jd_req *req;
	char tenant[65];
	char id[ID_MAX + 1];
	char stream[KEY_MAX], dead[KEY_MAX];
	json_t *out;
};

/* ---- input ---------------------------------------------------------------------------------- */

static int stream_id_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0, digits = 0, dashes = 0;

	if (n == 0 || n > ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-' && digits > 0 && dashes == 0) {
			dashes++;
			digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9') {
			digits++;
		} else {
			return 0;
		}
	}
	return dashes == 1 && digits > 0;
}

/* The call for req, its input checked: NULL when it replied. */
static struct call *call_new(jd_req *req, int needs_id)
{
	const char *tenant = json_string_value(json_object_get(req->input, "tenant"));
	const char *id = jd_params_get(&req->params, "id");
	struct call *c;

	if (tenant != NULL && !jd_store_tenant_valid(tenant)) {
		jd_reply_error(req, 400, "invalid", "field 'tenant': 1..64 of [A-Za-z0-9_-]");
		return NULL;
	}
	if (needs_id && !stream_id_valid(id)) {
		jd_reply_error(req, 400, "invalid",
			       "id: '%.48s' is not an event id (<milliseconds>-<sequence>)",
			       id ? id : "");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "events");
		return NULL;
	}
	c->req = req;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant ? tenant : "");
	snprintf(c->id, sizeof(c->id), "%s", needs_id ? id : "");
	snprintf(c->stream, sizeof(c->stream), "jd:{%s}:%s", c->tenant, JD_STORE_EVENTS_KEY);
	snprintf(c->dead, sizeof(c->dead), "jd:{%s}:%s", c->tenant, JD_EVENTS_DEAD_KEY);
	return c;
}

static void call_free(struct call *c)
{
	json_decref(c->out);
	free(c);
}

/* The reply to a Redis command, or a reply of rc / the error (then 0). */
static int redis_answered(struct call *c, int rc, const redisReply *reply)
{
	char q[300];

	if (rc == JD_OK && reply->type != REDIS_REPLY_ERROR)
		return 1;
	if (rc == JD_OK) {
		jd_warn("events: admin command failed", "err=%s",
			jd_log_quote(q, sizeof(q), reply->str ? reply->str : ""));
		rc = JD_ERR;
	}
	jd_reply_rc(c->req, rc, "events");
	call_free(c);
	return 0;
}

static void send_or_fail(struct call *c, int argc, const char **argv, jd_redis_cb cb)
{
	int rc = jd_redis_command(c->req->srv->redis, argc, argv, NULL, cb, c);

	if (rc != JD_OK) {
		jd_reply_rc(c->req, rc, "events");
		call_free(c);
	}
}

/* ---- JSON of entries and stats --------------------------------------------------------------- */

/* [id, [field, value, ...]] -> {"id": id, field: value, ...}; payload parsed when it is JSON. */
static json_t *entry_json(const redisReply *e)
{
	json_t *o;
	const redisReply *f;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return NULL;
	o = json_pack("{s:s}", "id", e->element[0]->str);
	f = e->element[1];
	for (size_t i = 0; o && f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2) {
		const char *k = f->element[i]->str, *v = f->element[i + 1]->str;
		json_t *pv = NULL;

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "id") == 0)
			k = "event"; /* a dead letter's: the id of the event it holds */
		if (strcmp(k, "payload") == 0)
			pv = json_loads(v, 0, NULL);
		json_object_set_new(o, k, pv ? pv : json_string(v));
	}
	return o;
}

static json_t *entries_json(const redisReply *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		json_t *e = entry_json(r->element[i]);

		if (e != NULL)
			json_array_append_new(a, e);
	}
	return a;
}

static json_t *stats_json(const char *tenant, const struct jd_events_tenant_stats *st)
{
	json_t *groups = json_array();

	for (size_t i = 0; groups && i < st->n_groups; i++)
		json_array_append_new(groups,
				      json_pack("{s:s, s:I, s:I, s:f}", "group", st->g[i].name,
						"pending", (json_int_t)st->g[i].pending, "backlog",
						(json_int_t)st->g[i].backlog, "oldest_s",
						(double)st->g[i].oldest_ms / 1000.0));
	return json_pack("{s:s, s:I, s:I, s:o}", "tenant", tenant, "length", (json_int_t)st->length,
			 "dead", (json_int_t)st->dead, "groups", groups ? groups : json_array());
}

/* ---- GET /v1/events ---------------------------------------------------------------------------
 */

static void list_all(jd_req *req)
{
	const struct jd_events *e = req->srv->events;
	json_t *tenants = json_array();

	for (size_t i = 0; tenants && i < jd_events_tenant_count(e); i++) {
		const struct jd_events_tenant_stats *st = jd_events_tenant_last(e, i);

		if (st != NULL)
			json_array_append_new(tenants, stats_json(jd_events_tenant_at(e, i), st));
	}
	jd_reply_json(req, 200,
		      json_pack("{s:o, s:s}", "tenants", tenants ? tenants : json_array(), "as_of",
				"the last sweep (events.sweep_ms)"));
}

static void dead_listed(int rc, redisReply *reply, void *arg)
{
	struct call *c = arg;

	if (!redis_answered(c, rc, reply))
		return;
	json_object_set_new(c->out, "dead_letters", entries_json(reply));
	jd_reply_json(c->req, 200, c->out);
	c->out = NULL;
	call_free(c);
}

static void tenant_counted(int rc, const struct jd_events_tenant_stats *st, void *arg)
{
	struct call *c = arg;
	const char *argv[] = {"XRANGE", c->dead, "-", "+", "COUNT", DEAD_SHOWN};

	if (rc != JD_OK) {
		jd_reply_rc(c->req, rc, "events");
		call_free(c);
		return;
	}
	c->out = stats_json(c->tenant, st);
	if (c->out == NULL) {
		jd_reply_rc(c->req, JD_E_NOMEM, "events");
		call_free(c);
		return;
	}
	send_or_fail(c, 6, argv, dead_listed);
}

static void get_events(jd_req *req, void *arg)
{
	struct call *c;
	int rc;

	(void)arg;
	if (json_object_get(req->input, "tenant") == NULL) {
		list_all(req);
		return;
	}
	c = call_new(req, 0);
	if (c == NULL)
		return;
	rc = jd_events_tenant_stats(req->srv->redis, c->tenant, 0, 0, tenant_counted, c);
	if (rc != JD_OK) {
		jd_reply_rc(req, rc, "events");
		call_free(c);
	}
}

/* ---- GET /v1/events/{id} ----------------------------------------------------------------------
 */

static void dead_shown(int rc, redisReply *reply, void *arg)
{
	struct call *c = arg;
	json_t *e;

	if (!redis_answered(c, rc, reply))
		return;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0 ||
	    (e = entry_json(reply->element[0])) == NULL) {
		jd_reply_error(c->req, 404, "not_found",
			       "no event %s in tenant %s (nor a dead letter of that id)", c->id,
			       c->tenant);
	} else {
		json_object_set_new(e, "where", json_string("dead_letters"));
		jd_reply_json(c->req, 200, e);
	}
	call_free(c);
}

static void stream_shown(int rc, redisReply *reply, void *arg)
{
	struct call *c = arg;
	const char *argv[] = {"XRANGE", c->dead, c->id, c->id};
	json_t *e;

	if (!redis_answered(c, rc, reply))
		return;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	    (e = entry_json(reply->element[0])) != NULL) {
		json_object_set_new(e, "where", json_string("stream"));
		jd_reply_json(c->req, 200, e);
		call_free(c);
		return;
	}
	send_or_fail(c, 4, argv, dead_shown);
}

static void get_event(jd_req *req, void *arg)
{
	struct call *c = call_new(req, 1);
	const char *argv[4];

	(void)arg;
	if (c == NULL)
		return;
	argv[0] = "XRANGE";
	argv[1] = c->stream;
	argv[2] = c->id;
	argv[3] = c->id;
	send_or_fail(c, 4, argv, stream_shown);
}

/* ---- POST /v1/events/{id}/retry ---------------------------------------------------------------
 */

static void retried(int rc, redisReply *reply, void *arg)
{
	struct call *c = arg;

	if (!redis_answered(c, rc, reply))
		return;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
		jd_reply_error(c->req, 404, "not_found", "no dead letter %s in tenant %s", c->id,
			       c->tenant);
	} else {
		jd_notice("events: dead letter retried", "tenant=%s dead=%s group=%s event=%s",
			  c->tenant, c->id, reply->element[1]->str, reply->element[2]->str);
		jd_reply_json(c->req, 200,
			      json_pack("{s:s, s:s, s:s, s:s}", "tenant", c->tenant, "entry",
					reply->element[0]->str, "group", reply->element[1]->str,
					"event", reply->element[2]->str));
	}
	call_free(c);
}

static void post_retry(jd_req *req, void *arg)
{
	struct call *c = call_new(req, 1);
	const char *argv[6];

	(void)arg;
	if (c == NULL)
		return;
	argv[0] = "EVAL";
	argv[1] = retry_script;
	argv[2] = "2";
	argv[3] = c->stream;
	argv[4] = c->dead;
	argv[5] = c->id;
	send_or_fail(c, 6, argv, retried);
}

/* ---- the table --------------------------------------------------------------------------------
 */

static const struct jd_field list_fields[] = {
    {"tenant", JD_FIELD_STRING, 0, 64,
     "one tenant, asked now, with its dead letters; none: every tenant as of the last sweep", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field tenant_field[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route events_routes[] = {
    {"GET", "/v1/events", "events.admin",
     "Durable events: backlog per tenant and group, dead letters", "events list", list_fields,
     JD_ROUTE_CONTROL_ONLY, get_events, NULL},
    {"GET", "/v1/events/{id}", "events.admin", "One event of a tenant's stream, or a dead letter",
     "events show", tenant_field, JD_ROUTE_CONTROL_ONLY, get_event, NULL},
    {"POST", "/v1/events/{id}/retry", "events.admin",
     "Deliver a dead letter again, to the group that failed it only", "events retry", tenant_field,
     JD_ROUTE_CONTROL_ONLY, post_retry, NULL},
};

int jd_events_routes_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, events_routes,
				   sizeof(events_routes) / sizeof(events_routes[0]), "core", err,
				   errlen);
}
