/* A county's whole organization in one JSON object (the shape: org_snapshot.h). */
#include "org/org_snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "org/org_division.h"
#include "org/org_history.h"
#include "security/auth.h"
#include "org/org_tenants.h"
#include "runtime/slice.h"
#include "transport/server.h"
#include "storage/store.h"

/* The reads after the tenant's record, sent together; "rev" first. */
enum {
	READ_REV,
	READ_UNITS,
	READ_PEOPLE,
	READ_GROUPS,
	READ_TRANSFERS,
	READ_TIES,
	READ_HISTORY,
	N_READS
};

struct snap_ctx {
	struct jd_server *srv;
	char tenant[8];
	unsigned flags;
	jd_org_snapshot_cb cb;
	void *arg;
	json_t *snap;
	int pending;
	int rc; /* the first failure */
};

struct snap_read {
	struct snap_ctx *ctx;
	int which;
};

static const char *const read_names[N_READS] = {"rev",	     "units", "people", "groups",
						"transfers", "ties",  "history"};

const char *jd_snap_str(const json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));

	return s ? s : "";
}

long long jd_snap_int(const json_t *obj, const char *name)
{
	return json_integer_value(json_object_get(obj, name));
}

int jd_snap_bool(const json_t *obj, const char *name)
{
	return json_is_true(json_object_get(obj, name));
}

struct jd_op jd_org_rev_op(void)
{
	return (struct jd_op){JD_OP_HINCRBY, JD_ORG_REV_KEY, "_v", "1"};
}

static void finish(struct snap_ctx *c)
{
	if (c->rc == JD_OK)
		c->cb(JD_OK, c->snap, c->arg);
	else
		c->cb(c->rc, NULL, c->arg);
	json_decref(c->snap);
	free(c);
}

/*
 * HGETALL [field, JSON, ...] entries [from, to) into out {field: parsed};
 * an entry that does not parse is left out.  JD_OK or JD_E_NOMEM.
 */
static int summaries_range(const json_t *arr, size_t from, size_t to, json_t *out)
{
	for (size_t i = from; i + 1 < to; i += 2) {
		const char *k = json_string_value(json_array_get(arr, i));
		const char *v = json_string_value(json_array_get(arr, i + 1));
		json_t *o = v ? json_loads(v, 0, NULL) : NULL;

		if (k == NULL || !json_is_object(o)) {
			json_decref(o);
			continue;
		}
		if (json_object_set_new(out, k, o) != 0)
			return JD_E_NOMEM;
	}
	return JD_OK;
}

json_t *jd_snap_summaries(const json_t *arr)
{
	json_t *out = json_object();

	if (out != NULL && summaries_range(arr, 0, json_array_size(arr), out) != JD_OK) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* HGETALL [field, value, ...] -> {field: value} as strings. */
static json_t *strings_of(const json_t *arr)
{
	json_t *out = json_object();

	for (size_t i = 0; out != NULL && i + 1 < json_array_size(arr); i += 2) {
		const char *k = json_string_value(json_array_get(arr, i));
		const char *v = json_string_value(json_array_get(arr, i + 1));

		if (k != NULL && v != NULL && json_object_set_new(out, k, json_string(v)) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static json_t *transfers_of(const json_t *arr)
{
	json_t *out = json_array();

	for (size_t i = 0; out != NULL && i < json_array_size(arr); i++) {
		const char *v = json_string_value(json_array_get(arr, i));
		json_t *o = v ? json_loads(v, 0, NULL) : NULL;

		if (!json_is_object(o)) {
			json_decref(o);
			continue;
		}
		if (json_array_append_new(out, o) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static json_t *value_of(int which, json_t *result)
{
	switch (which) {
	case READ_REV:
		return json_integer(json_is_string(result) ? atoll(json_string_value(result)) : 0);
	case READ_TRANSFERS:
		return transfers_of(result);
	case READ_TIES:
		return strings_of(result);
	case READ_HISTORY:
		return jd_org_history_of(result);
	default:
		return jd_snap_summaries(result);
	}
}

static void read_in(struct snap_ctx *c, int which, int rc, json_t *value)
{
	if (rc == JD_OK && c->rc == JD_OK &&
	    json_object_set_new(c->snap, read_names[which], value) != 0)
		rc = JD_E_NOMEM;
	else if (rc != JD_OK || c->rc != JD_OK)
		json_decref(value);
	if (rc != JD_OK && c->rc == JD_OK)
		c->rc = rc;
	if (--c->pending == 0)
		finish(c);
}

/*
 * A large summaries reply is parsed SUMMARY_STEP entries a step, in slices
 * (runtime/slice.h): the 4,000 people of a large county are as many
 * json_loads, about 35 ms of the loop in one piece.
 */
#define SUMMARY_STEP  128
#define SUMMARY_SLICE 512 /* replies of more entries than this are parsed in slices */

struct snap_parse {
	struct snap_ctx *c;
	int which;
	json_t *arr, *out;
	size_t at;
	struct jd_slice *slice;
};

static int parse_step(void *arg)
{
	struct snap_parse *p = arg;
	size_t n = json_array_size(p->arr);
	size_t to = p->at + 2 * SUMMARY_STEP < n ? p->at + 2 * SUMMARY_STEP : n;
	int rc = summaries_range(p->arr, p->at, to, p->out);

	p->at = to;
	if (rc == JD_OK && to < n)
		return 1;
	json_decref(p->arr);
	jd_slice_free(p->slice); /* this one: it runs no further step */
	read_in(p->c, p->which, rc, p->out);
	free(p);
	return 0;
}

/* 1 when result is parsed in slices from now on (read_in runs then). */
static int parse_sliced(struct snap_ctx *c, int which, json_t *result)
{
	struct snap_parse *p;

	if (which == READ_REV || which == READ_TRANSFERS || which == READ_TIES ||
	    json_array_size(result) <= 2 * SUMMARY_SLICE || (p = calloc(1, sizeof(*p))) == NULL)
		return 0;
	*p = (struct snap_parse){c, which, json_incref(result), json_object(), 0, NULL};
	if (p->out != NULL)
		p->slice = jd_slice_start(c->srv->base, parse_step, p);
	if (p->slice == NULL) {
		json_decref(p->arr);
		json_decref(p->out);
		free(p);
		return 0;
	}
	return 1;
}

static void on_read(int rc, json_t *result, void *arg)
{
	struct snap_read *r = arg;
	struct snap_ctx *c = r->ctx;
	int which = r->which;

	free(r);
	if (rc == JD_OK && c->rc == JD_OK && parse_sliced(c, which, result))
		return;
	read_in(c, which, rc, rc == JD_OK && c->rc == JD_OK ? value_of(which, result) : NULL);
}

/* Sends one read; on failure counts it done with rc. */
static void send_read(struct snap_ctx *c, int which, int argc, const char **argv)
{
	struct snap_read *r = malloc(sizeof(*r));
	int rc = JD_E_NOMEM;

	c->pending++;
	if (r != NULL) {
		*r = (struct snap_read){c, which};
		rc = jd_store_read(c->srv->store, c->tenant, argc, argv, on_read, r);
		if (rc == JD_OK)
			return;
		free(r);
	}
	if (c->rc == JD_OK)
		c->rc = rc;
	c->pending--;
}

static void read_all(struct snap_ctx *c)
{
	const char *rev[] = {"HGET", JD_ORG_REV_KEY, "_v"};
	const char *units[] = {"HGETALL", "units:summary"};
	const char *people[] = {"HGETALL", "people:summary"};
	const char *groups[] = {"HGETALL", "groups:summary"};
	const char *transfers[] = {"ZRANGE", "transfers", "0", "-1"};
	const char *ties[] = {"HGETALL", "people:ties"};
	const char *history[] = {"HGETALL", JD_ORG_HISTORY_KEY};

	c->pending = 1; /* held while sending, so no reply finishes early */
	send_read(c, READ_REV, 3, rev);
	send_read(c, READ_UNITS, 2, units);
	send_read(c, READ_PEOPLE, 2, people);
	send_read(c, READ_GROUPS, 2, groups);
	send_read(c, READ_TRANSFERS, 4, transfers);
	if (c->flags & JD_SNAP_TIES)
		send_read(c, READ_TIES, 2, ties);
	if (c->flags & JD_SNAP_HISTORY)
		send_read(c, READ_HISTORY, 2, history);
	if (--c->pending == 0)
		finish(c);
}

static const char *field(json_t *rec, const char *name)
{
	const char *v = jd_hgetall_field(rec, name);

	return v ? v : "";
}

static json_t *county_of(json_t *rec)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "name", field(rec, "name"), "level",
			 field(rec, "level"), "parent", field(rec, "parent"), "centralized",
			 strcmp(field(rec, "centralized"), "true") == 0, "centralized_since",
			 field(rec, "centralized_since"), "modes", field(rec, "modes"));
}

static void on_tenant(int rc, json_t *result, void *arg)
{
	struct snap_ctx *c = arg;
	const char *level = jd_hgetall_field(result, "level");

	if (rc == JD_OK && json_array_size(result) == 0)
		rc = JD_E_NOTFOUND;
	else if (rc == JD_OK && !jd_division_county_level(level))
		rc = JD_E_INVALID;
	if (rc == JD_OK) {
		c->snap =
		    json_pack("{s:s, s:o*}", "tenant", c->tenant, "county", county_of(result));
		if (c->snap == NULL || json_object_get(c->snap, "county") == NULL)
			rc = JD_E_NOMEM;
	}
	if (rc != JD_OK) {
		c->rc = rc;
		finish(c);
		return;
	}
	read_all(c);
}

int jd_org_snapshot_read(struct jd_server *srv, const char *tenant, unsigned flags,
			 jd_org_snapshot_cb cb, void *arg)
{
	char key[16];
	const char *argv[2] = {"HGETALL", key};
	struct snap_ctx *c;
	int rc;

	if (srv == NULL || srv->store == NULL || cb == NULL || !jd_org_code_valid(tenant))
		return JD_E_INVALID;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return JD_E_NOMEM;
	*c = (struct snap_ctx){.srv = srv, .flags = flags, .cb = cb, .arg = arg};
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	snprintf(key, sizeof(key), "tenant:%s", tenant);
	rc = jd_store_read(srv->store, JD_SYSTEM_TENANT, 2, argv, on_tenant, c);
	if (rc != JD_OK)
		free(c);
	return rc;
}
