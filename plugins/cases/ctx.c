/*
 * One request's context, from the handler to the last callback: the record
 * read (with its version, so the mutation that follows is refused if the
 * record changed in between), the organization, the mutation being built,
 * and the replies that end it.  Record scope is decided by the core
 * (host->record_visible): a record the caller may not see answers exactly
 * as an absent one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

const char *kind_plural(enum rec_kind k)
{
	return k == KIND_LEAD ? "leads" : "cases";
}

const char *kind_type(enum rec_kind k)
{
	return k == KIND_LEAD ? "lead" : "case";
}

static int code_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

int ids_valid(const char *s, int list)
{
	for (; s != NULL && *s; s++)
		if (!code_char(*s) && !(list && *s == ','))
			return 0;
	return 1;
}

int csv_valid(const char *s, size_t max)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return 1;
	for (; *s; s++) {
		if (*s == ',') {
			if (n == 0)
				return 0; /* an empty entry: ",a", "a,,b" */
			n = 0;
		} else if (!code_char(*s) || ++n > max) {
			return 0;
		}
	}
	return n > 0; /* not "a," */
}

/* Whether the comma-separated csv names code. */
int csv_names(const char *csv, const char *code)
{
	size_t n = strlen(code);

	for (const char *p = csv; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (l == n && strncmp(p, code, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* The store's tenant codes (daemon/storage/store.c): [A-Za-z0-9_-], 1..64 bytes. */
int tenant_valid(const char *t)
{
	size_t n = 0;

	for (; t != NULL && *t; t++, n++)
		if (*t == '.' || !code_char(*t))
			return 0;
	return n >= 1 && n <= 64;
}

int ctx_tenant_check(struct ctx *c)
{
	const char *t = c->req ? host->req_param(c->req, "tenant") : c->tenant;

	if (tenant_valid(t))
		return 0;
	ctx_invalid(c, "field 'tenant': a tenant code is 1 to 64 characters of [A-Za-z0-9_-]");
	return -1;
}

struct ctx *ctx_new(jd_req *req, enum rec_kind kind, const char *tenant, const char *id)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->req = req;
	c->kind = kind;
	c->in = req ? host->req_body(req) : NULL;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant ? tenant : "");
	snprintf(c->id, sizeof(c->id), "%s", id ? id : "");
	snprintf(c->record, sizeof(c->record), "%s:%s", kind_type(kind), c->id);
	c->m = host->mut_new();
	if (c->m == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void ctx_free(struct ctx *c)
{
	if (c == NULL)
		return;
	json_decref(c->rec);
	json_decref(c->org);
	json_decref(c->aux);
	json_decref(c->aux2);
	host->mut_free(c->m);
	free(c);
}

void ctx_fail(struct ctx *c, int rc)
{
	host->reply_rc(c->req, rc, kind_type(c->kind));
	ctx_free(c);
}

void ctx_invalid(struct ctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	host->reply_error(c->req, 400, "invalid", "%s", msg);
	ctx_free(c);
}

void ctx_refused(struct ctx *c, const struct jd_refusal *r)
{
	host->reply_error(c->req, r->status, r->code, "%s", r->message);
	ctx_free(c);
}

void ctx_conflict(struct ctx *c, const char *code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	host->reply_error(c->req, 409, code, "%s", msg);
	ctx_free(c);
}

void ctx_reply(struct ctx *c, int status, json_t *body)
{
	if (body == NULL)
		host->reply_rc(c->req, JD_E_NOMEM, kind_type(c->kind));
	else
		host->reply_json(c->req, status, body);
	ctx_free(c);
}

void ctx_not_found(struct ctx *c)
{
	host->reply_error(c->req, 404, "not_found", "no %s %s in tenant %s", kind_type(c->kind),
			  c->id, c->tenant);
	ctx_free(c);
}

/* ---- scope ------------------------------------------------------------------- */

int scope_visible(jd_req *req, const char *target, const char *tenant, const char *unit,
		  const char *groups, const char *deny)
{
	if (host->record_visible == NULL)
		return 0; /* fail closed */
	return host->record_visible(req, target, tenant, unit, groups, deny);
}

/* ---- reading the record ------------------------------------------------------ */

const char *rec_str(const struct ctx *c, const char *field)
{
	const char *v = json_string_value(json_object_get(c->rec, field));

	return v ? v : "";
}

long long rec_int(const struct ctx *c, const char *field)
{
	return atoll(rec_str(c, field));
}

const char *in_str(const struct ctx *c, const char *name)
{
	const char *v = json_string_value(json_object_get(c->in, name));

	return v ? v : host->req_param(c->req, name);
}

long long in_int(const struct ctx *c, const char *name, long long def)
{
	json_t *v = json_object_get(c->in, name);

	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

int in_bool(const struct ctx *c, const char *name)
{
	return json_is_true(json_object_get(c->in, name));
}

static void on_record(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg;
	json_t *obj;

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	if (json_array_size(result) == 0) {
		ctx_not_found(c);
		return;
	}
	if ((obj = json_object()) == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	for (size_t i = 0; i + 1 < json_array_size(result); i += 2)
		json_object_set(obj, json_string_value(json_array_get(result, i)),
				json_array_get(result, i + 1));
	json_decref(c->rec);
	c->rec = obj;
	c->version = rec_int(c, "_v");
	if (!scope_visible(c->req, c->record, c->tenant, rec_str(c, "unit"), rec_str(c, "groups"),
			   rec_str(c, "deny"))) {
		ctx_not_found(c);
		return;
	}
	c->next(c);
}

void ctx_load(struct ctx *c, ctx_step next)
{
	const char *argv[2] = {"HGETALL", c->record};
	int rc;

	if (ctx_tenant_check(c) != 0)
		return;
	if (c->id[0] == '\0' || !ids_valid(c->id, 0)) {
		ctx_not_found(c);
		return;
	}
	c->next = next;
	rc = host->store_read(self, c->tenant, 2, argv, on_record, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}

void ctx_route(jd_req *req, enum rec_kind kind, const void *route, ctx_step next)
{
	struct ctx *c =
	    ctx_new(req, kind, host->req_param(req, "tenant"), host->req_param(req, "id"));

	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, kind_type(kind));
		return;
	}
	c->route = route;
	ctx_load(c, next);
}

static void on_keys(int rc, void *arg)
{
	struct ctx *c = arg;

	if (rc != JD_OK)
		ctx_fail(c, rc);
	else
		c->next(c);
}

void ctx_keys(struct ctx *c, ctx_step next)
{
	int rc;

	c->next = next;
	rc = host->keys_ready(self, c->tenant, on_keys, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}

static void on_org(int rc, json_t *org, void *arg)
{
	struct ctx *c = arg;

	if (rc == JD_E_NOTFOUND || rc == JD_E_INVALID) {
		ctx_invalid(c, "field 'tenant': %s is not a county of the organization (%s)",
			    c->tenant, rc == JD_E_NOTFOUND ? "no such tenant" : "not a county");
		return;
	}
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	json_decref(c->org);
	c->org = org;
	c->next(c);
}

void ctx_org(struct ctx *c, ctx_step next)
{
	int rc;

	c->next = next;
	rc = org_get(c->tenant, on_org, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}

/* ---- changing the record --------------------------------------------------------- */

int ctx_version(struct ctx *c)
{
	long long v = in_int(c, "version", 0);

	if (json_object_get(c->in, "version") != NULL && v < 1) {
		ctx_invalid(c, "field 'version' must be the version you read (1 or more)");
		return -1;
	}
	if (v != 0 && v != c->version) {
		ctx_conflict(c, "conflict",
			     "%s %s is at version %lld, not %lld: it changed since you read it",
			     kind_type(c->kind), c->id, c->version, v);
		return -1;
	}
	return 0;
}

void ctx_on_mutated(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;

	if (rc == JD_E_CONFLICT) {
		ctx_conflict(c, "conflict", "%s %s changed meanwhile; read it again and retry",
			     kind_type(c->kind), c->id);
		return;
	}
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	ctx_reply(c, 200,
		  json_pack("{s:s, s:I, s:s}", "id", c->id, "version", (json_int_t)res->version,
			    "state", c->to[0] ? c->to : rec_str(c, "state")));
}

const char *ctx_action(struct ctx *c, const char *action, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", action, c->late ? ".backdated" : "");
	return buf;
}

void ctx_submit_cb(struct ctx *c, const char *action, jd_mutate_cb cb)
{
	char a[128];
	int rc = host->mut_submit(
	    self, c->m,
	    &(const struct jd_mutation){.tenant = c->tenant,
					.record = c->record,
					.expect_version = c->version,
					.req = c->req,
					.action = ctx_action(c, action, a, sizeof(a))},
	    cb, c);

	if (rc != JD_OK)
		ctx_fail(c, rc);
}

void ctx_submit(struct ctx *c, const char *action)
{
	ctx_submit_cb(c, action, ctx_on_mutated);
}

/* Fields never shown as they are: sealed values, the wrapped record key, ledgers. */
static int field_hidden(const char *k, const char *v)
{
	return k[0] == '_' || strcmp(k, "rkey") == 0 || strncmp(v, "s1.", 3) == 0 ||
	       strncmp(v, "w1.", 3) == 0;
}

json_t *rec_public(const struct ctx *c)
{
	json_t *o = json_pack("{s:s, s:I}", "id", c->id, "version", (json_int_t)c->version);
	const char *k;
	json_t *v;

	if (o == NULL)
		return NULL;
	json_object_foreach(c->rec, k, v)
	{
		const char *s = json_string_value(v);

		if (s != NULL && !field_hidden(k, s) && strchr(k, '.') == NULL)
			json_object_set(o, k, v);
	}
	return o;
}
