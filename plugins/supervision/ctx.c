/*
 * One request's context, from the handler to the last callback: the record
 * read (with its version, so the mutation that follows is refused if the
 * record changed in between), the organization, the mutation being built,
 * and the replies that end it.  Record scope is the core's
 * (host->record_visible): a record the caller may not see answers exactly
 * as an absent one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervision.h"

static const char *tenant_of(jd_req *req)
{
	const char *t = json_string_value(json_object_get(host->req_body(req), "tenant"));

	return t ? t : host->req_param(req, "tenant");
}

struct ctx *ctx_new(jd_req *req, const char *type, const char *tenant, const char *id)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->req = req;
	c->type = type;
	c->in = req ? host->req_body(req) : NULL;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant ? tenant : "");
	snprintf(c->id, sizeof(c->id), "%s", id ? id : "");
	snprintf(c->record, sizeof(c->record), "%s:%s", type, c->id);
	if ((c->m = host->mut_new()) == NULL) {
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
	host->mut_free(c->m);
	free(c);
}

void ctx_fail(struct ctx *c, int rc)
{
	host->reply_rc(c->req, rc, c->type);
	ctx_free(c);
}

static void reply_v(struct ctx *c, int status, const char *code, const char *fmt, va_list ap)
{
	char msg[400];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	host->reply_error(c->req, status, code, "%s", msg);
	ctx_free(c);
}

void ctx_invalid(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_v(c, 400, "invalid", fmt, ap);
	va_end(ap);
}

void ctx_conflict(struct ctx *c, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_v(c, 409, code, fmt, ap);
	va_end(ap);
}

void ctx_forbidden(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_v(c, 403, "forbidden", fmt, ap);
	va_end(ap);
}

void ctx_refused(struct ctx *c, const struct jd_refusal *r)
{
	host->reply_error(c->req, r->status, r->code, "%s", r->message);
	ctx_free(c);
}

void ctx_reply(struct ctx *c, int status, json_t *body)
{
	if (body == NULL)
		host->reply_rc(c->req, JD_E_NOMEM, c->type);
	else
		host->reply_json(c->req, status, body);
	ctx_free(c);
}

void ctx_not_found(struct ctx *c)
{
	host->reply_error(c->req, 404, "not_found", "no %s %s in tenant %s", c->type, c->id,
			  c->tenant);
	ctx_free(c);
}

/* The store's tenant codes: [A-Za-z0-9_-], 1..64 bytes. */
static int tenant_valid(const char *t)
{
	size_t n = 0;

	for (; t != NULL && *t; t++, n++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || *t == '_' || *t == '-'))
			return 0;
	return n >= 1 && n <= 64;
}

/* ---- reading ------------------------------------------------------------------------------ */

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

	return v ? v : c->req ? host->req_param(c->req, name) : NULL;
}

long long in_int(const struct ctx *c, const char *name, long long def)
{
	json_t *v = json_object_get(c->in, name);
	const char *s;

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	s = c->req ? host->req_param(c->req, name) : NULL;
	return s != NULL && *s ? atoll(s) : def;
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
	if (host->record_visible == NULL ||
	    !host->record_visible(c->req, c->record, c->tenant, rec_str(c, "unit"),
				  rec_str(c, "groups"), rec_str(c, "deny"))) {
		ctx_not_found(c);
		return;
	}
	c->next(c);
}

void ctx_load(struct ctx *c, ctx_step next)
{
	const char *argv[2] = {"HGETALL", c->record};
	int rc;

	if (!tenant_valid(c->tenant)) {
		ctx_invalid(c,
			    "field 'tenant': a tenant code is 1 to 64 characters of [A-Za-z0-9_-]");
		return;
	}
	if (c->id[0] == '\0' || !code_valid(c->id, 0)) {
		ctx_not_found(c);
		return;
	}
	c->next = next;
	if ((rc = host->store_read(self, c->tenant, 2, argv, on_record, c)) != JD_OK)
		ctx_fail(c, rc);
}

void ctx_route(jd_req *req, const char *type, const void *arg, ctx_step next)
{
	struct ctx *c = ctx_new(req, type, tenant_of(req), host->req_param(req, "id"));

	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, type);
		return;
	}
	c->route = arg;
	ctx_load(c, next);
}

struct ctx *ctx_create(jd_req *req, const char *type)
{
	char id[33];
	struct ctx *c;

	host->new_id(id);
	if ((c = ctx_new(req, type, tenant_of(req), id)) == NULL) {
		host->reply_rc(req, JD_E_NOMEM, type);
		return NULL;
	}
	if (!tenant_valid(c->tenant)) {
		ctx_invalid(c,
			    "field 'tenant': a tenant code is 1 to 64 characters of [A-Za-z0-9_-]");
		return NULL;
	}
	return c;
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
	if ((rc = host->keys_ready(self, c->tenant, on_keys, c)) != JD_OK)
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
	c->org = json_incref(org);
	c->next(c);
}

void ctx_org(struct ctx *c, ctx_step next)
{
	int rc;

	c->next = next;
	if ((rc = host->org_read(self, c->tenant, on_org, c)) != JD_OK)
		ctx_fail(c, rc);
}

/* ---- changing ----------------------------------------------------------------------------- */

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
			     c->type, c->id, c->version, v);
		return -1;
	}
	return 0;
}

void ctx_on_mutated(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;

	if (rc == JD_E_CONFLICT) {
		ctx_conflict(c, "conflict", "%s %s changed meanwhile; read it again and retry",
			     c->type, c->id);
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

void ctx_on_created(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;
	const char *id;

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	id = strchr(res->record, ':') ? strchr(res->record, ':') + 1 : res->record;
	if (!res->replayed)
		sweeper_note(c->tenant);
	ctx_reply(c, res->replayed ? 200 : 201,
		  json_pack("{s:s, s:I, s:s, s:b}", "id", id, "version", (json_int_t)res->version,
			    "state", c->to, "replayed", res->replayed));
}

void ctx_submit_cb(struct ctx *c, const char *action, jd_mutate_cb cb)
{
	char a[128], idem[112];
	const char *key = in_str(c, "idempotency_key");
	int rc;

	snprintf(a, sizeof(a), "%s%s", action, c->late ? ".backdated" : "");
	if (key != NULL)
		snprintf(idem, sizeof(idem), "%s:%s", action, key);
	rc = host->mut_submit(self, c->m,
			      &(const struct jd_mutation){
				  .tenant = c->tenant,
				  .record = c->record,
				  .expect_version = c->version ? c->version : JD_VERSION_NEW,
				  .idempotency_key = c->version == 0 && key != NULL ? idem : NULL,
				  .req = c->req,
				  .action = a},
			      cb, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}

void ctx_submit(struct ctx *c, const char *action)
{
	ctx_submit_cb(c, action, c->version ? ctx_on_mutated : ctx_on_created);
}

static int field_hidden(const char *k, const char *v)
{
	return k[0] == '_' || strncmp(v, "s1.", 3) == 0 || strncmp(v, "w1.", 3) == 0;
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

		if (s != NULL && !field_hidden(k, s))
			json_object_set(o, k, v);
	}
	return o;
}

int ctx_seal(struct ctx *c, const char *field, const char *plain)
{
	char *sealed;

	if (plain == NULL || *plain == '\0')
		return JD_OK;
	sealed = host->seal(self, c->tenant, c->type, c->id, field, plain);
	if (sealed == NULL)
		return errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
	host->mut_set(c->m, field, sealed);
	free(sealed);
	return JD_OK;
}

json_t *ctx_open(struct ctx *c, const char *field)
{
	const char *sealed = rec_str(c, field);
	char *plain;
	json_t *v;

	if (*sealed == '\0')
		return json_null();
	plain = host->open(self, c->req, PERM_SEALED, c->tenant, c->type, c->id, field, sealed);
	if (plain == NULL)
		return json_string(errno == EACCES ? "sealed (supervision.sealed.read)"
						   : "unreadable");
	v = json_string(plain);
	host->plain_free(plain);
	return v;
}

void ctx_new_fields_in(struct ctx *c, struct jd_mut *m, const char *unit, const char *groups,
		       const char *date_field)
{
	char date[11];

	host->day_format(c->day, date);
	host->mut_set(m, "unit", unit);
	host->mut_set(m, "groups", groups ? groups : "");
	host->mut_set(m, "deny", "");
	host->mut_set(m, date_field, date);
	host->mut_set(m, "created_by", host->req_principal(c->req));
	host->mut_setf(m, "created_at", "%lld", (long long)time(NULL));
	host->mut_set(m, "late", c->late ? "1" : "0");
}

void ctx_new_fields(struct ctx *c, const char *date_field)
{
	ctx_new_fields_in(c, c->m, in_str(c, "unit"), in_str(c, "groups"), date_field);
}

void ctx_index_in(struct jd_mut *m, const char *id, const char *plural, const char *unit)
{
	char key[140], score[24];

	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	snprintf(key, sizeof(key), "%s:all", plural);
	host->mut_op(m, JD_OP_ZADD, key, id, score);
	snprintf(key, sizeof(key), "%s:u:%s", plural, unit);
	host->mut_op(m, JD_OP_ZADD, key, id, score);
}

void ctx_index(struct ctx *c, const char *plural, const char *unit)
{
	ctx_index_in(c->m, c->id, plural, unit);
}
