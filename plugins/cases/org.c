/*
 * The county's organization (host->org_read; the shape is documented in
 * daemon/org/org_snapshot.h), for validating receiving and filing units, the
 * agencies of the figures and the units of a group.  A snapshot is cached
 * per tenant with its revision: every org write bumps the county's
 * "orgrev" hash field "_v", so one HGET tells whether the cached copy is
 * still the organization, and a lead's creation costs one small read
 * instead of a whole snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

#define CACHE_SIZE 64

struct cached {
	char tenant[65];
	long long rev;
	json_t *org;
	unsigned long long used;
};

static struct cached cache[CACHE_SIZE];
static unsigned long long clock_tick;

struct org_req {
	char tenant[65];
	long long rev;
	void (*cb)(int rc, json_t *org, void *arg);
	void *arg;
};

void org_cache_clear(void)
{
	for (size_t i = 0; i < CACHE_SIZE; i++) {
		json_decref(cache[i].org);
		memset(&cache[i], 0, sizeof(cache[i]));
	}
}

static struct cached *cache_find(const char *tenant)
{
	for (size_t i = 0; i < CACHE_SIZE; i++)
		if (cache[i].org != NULL && strcmp(cache[i].tenant, tenant) == 0)
			return &cache[i];
	return NULL;
}

static void cache_put(const char *tenant, long long rev, json_t *org)
{
	struct cached *c = cache_find(tenant), *lru = &cache[0];

	if (c == NULL) {
		for (size_t i = 0; i < CACHE_SIZE; i++)
			if (cache[i].used < lru->used)
				lru = &cache[i];
		c = lru;
	}
	json_decref(c->org);
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	c->rev = rev;
	c->org = json_incref(org);
	c->used = ++clock_tick;
}

static void on_snapshot(int rc, json_t *org, void *arg)
{
	struct org_req *r = arg;

	if (rc == JD_OK && json_is_object(org)) {
		/* the snapshot's own revision: it may be newer than the one we read */
		json_t *rev = json_object_get(org, "rev");

		cache_put(r->tenant, json_is_integer(rev) ? json_integer_value(rev) : r->rev, org);
		r->cb(JD_OK, json_incref(org), r->arg);
	} else {
		r->cb(rc == JD_OK ? JD_ERR : rc, NULL, r->arg);
	}
	free(r);
}

static void on_rev(int rc, json_t *result, void *arg)
{
	struct org_req *r = arg;
	struct cached *c;

	if (rc != JD_OK) {
		r->cb(rc, NULL, r->arg);
		free(r);
		return;
	}
	r->rev = json_is_string(result) ? atoll(json_string_value(result)) : 0;
	c = cache_find(r->tenant);
	if (c != NULL && r->rev != 0 && c->rev == r->rev) {
		c->used = ++clock_tick;
		r->cb(JD_OK, json_incref(c->org), r->arg);
		free(r);
		return;
	}
	rc = host->org_read(self, r->tenant, on_snapshot, r);
	if (rc != JD_OK) {
		r->cb(rc, NULL, r->arg);
		free(r);
	}
}

int org_get(const char *tenant, void (*cb)(int rc, json_t *org, void *arg), void *arg)
{
	const char *argv[3] = {"HGET", "orgrev", "_v"};
	struct org_req *r;
	int rc;

	if (host->size < offsetof(struct jd_host, org_conflicts) || host->org_read == NULL)
		return JD_E_UNAVAILABLE; /* a host without the organization */
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return JD_E_NOMEM;
	snprintf(r->tenant, sizeof(r->tenant), "%s", tenant);
	r->cb = cb;
	r->arg = arg;
	rc = host->store_read(self, tenant, 3, argv, on_rev, r);
	if (rc != JD_OK)
		free(r);
	return rc;
}

/* The county's code, for messages */
static const char *org_tenant(json_t *org)
{
	const char *t = json_string_value(json_object_get(org, "tenant"));

	return t ? t : "?";
}

json_t *org_unit(json_t *org, const char *code)
{
	return code ? json_object_get(json_object_get(org, "units"), code) : NULL;
}

int org_unit_check(json_t *org, const char *field, const char *code, char *err, size_t len)
{
	json_t *u = org_unit(org, code);
	const char *status = json_string_value(json_object_get(u, "status"));

	if (u == NULL) {
		snprintf(err, len, "field '%s': no unit '%.64s' in tenant %s", field,
			 code ? code : "", org_tenant(org));
		return -1;
	}
	if (status != NULL && strcmp(status, "active") != 0) {
		snprintf(err, len, "field '%s': unit '%.64s' is %s", field, code, status);
		return -1;
	}
	return 0;
}

int org_groups_check(json_t *org, const char *field, const char *csv, char *err, size_t len)
{
	json_t *groups = json_object_get(org, "groups");
	char code[65];

	for (const char *p = csv; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		json_t *g;
		const char *status;

		snprintf(code, sizeof(code), "%.*s", (int)(n < 64 ? n : 64), p);
		g = json_object_get(groups, code);
		status = json_string_value(json_object_get(g, "status"));
		if (g == NULL) {
			snprintf(err, len, "field '%s': no group '%s' in tenant %s", field, code,
				 org_tenant(org));
			return -1;
		}
		if (status != NULL && strcmp(status, "active") != 0) {
			snprintf(err, len, "field '%s': group '%s' is %s", field, code, status);
			return -1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}
