/*
 * One request's context, from the handler to the last callback: the record
 * read with its version (the mutation that follows is refused if it moved),
 * other records and the organization read on the way, the mutation being
 * built and the replies that end it.  Need-to-know: the caller's linked
 * person (links:user) decides what a mentee, a mentor or a trainer sees;
 * leaders and admins see their county's (host->record_visible with no unit).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "training.h"

static int code_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

int ids_valid(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!code_char(*s))
			return 0;
	return 1;
}

int tenant_valid(const char *t)
{
	return ids_valid(t) && strchr(t, '.') == NULL;
}

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

long long config_int(const char *key, long long def)
{
	char d[24];
	const char *v;

	snprintf(d, sizeof(d), "%lld", def);
	v = host->config_get(self, key, d);
	return v != NULL ? atoll(v) : def;
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
	json_decref(c->aux2);
	json_decref(c->aux3);
	host->mut_free(c->m);
	free(c);
}

void ctx_fail(struct ctx *c, int rc)
{
	if (c->req != NULL)
		host->reply_rc(c->req, rc, c->type);
	else if (c->cause != NULL)
		host->event_done(self, c->cause, rc);
	ctx_free(c);
}

static void reply_msg(struct ctx *c, int status, const char *code, const char *fmt, va_list ap)
{
	char msg[600];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (c->req != NULL)
		host->reply_error(c->req, status, code, "%s", msg);
	else if (c->cause != NULL)
		host->event_done(self, c->cause, JD_OK); /* nothing to apply */
	ctx_free(c);
}

void ctx_invalid(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_msg(c, 400, "invalid", fmt, ap);
	va_end(ap);
}

void ctx_conflict(struct ctx *c, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_msg(c, 409, code, fmt, ap);
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
	if (c->req == NULL) {
		ctx_fail(c, JD_OK);
		return;
	}
	host->reply_error(c->req, 404, "not_found", "no %s %s in tenant %s", c->type, c->id,
			  c->tenant);
	ctx_free(c);
}

const char *obj_str(const json_t *o, const char *field)
{
	const char *v = json_string_value(json_object_get(o, field));

	return v ? v : "";
}

const char *rec_str(const struct ctx *c, const char *field)
{
	return obj_str(c->rec, field);
}

long long rec_int(const struct ctx *c, const char *field)
{
	return atoll(rec_str(c, field));
}

const char *in_str(const struct ctx *c, const char *name)
{
	const char *v = json_string_value(json_object_get(c->in, name));

	return v ? v : (c->req ? host->req_param(c->req, name) : NULL);
}

long long in_int(const struct ctx *c, const char *name, long long def)
{
	json_t *v = json_object_get(c->in, name);
	const char *q;

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	q = c->req ? host->req_param(c->req, name) : NULL;
	return q != NULL && *q ? atoll(q) : def;
}

int in_bool(const struct ctx *c, const char *name)
{
	return json_is_true(json_object_get(c->in, name));
}

json_t *pairs_to_object(const json_t *arr)
{
	json_t *obj = json_object();

	for (size_t i = 0; obj != NULL && i + 1 < json_array_size(arr); i += 2)
		json_object_set(obj, json_string_value(json_array_get(arr, i)),
				json_array_get(arr, i + 1));
	return obj;
}

json_t *org_person(const json_t *org, const char *id)
{
	return id != NULL ? json_object_get(json_object_get(org, "people"), id) : NULL;
}

struct ctx *ctx_route(jd_req *req, const char *type)
{
	struct ctx *c =
	    ctx_new(req, type, host->req_param(req, "tenant"), host->req_param(req, "id"));

	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, type);
		return NULL;
	}
	if (!tenant_valid(c->tenant)) {
		ctx_invalid(c,
			    "field 'tenant': a tenant code is 1 to 64 characters of [A-Za-z0-9_-]");
		return NULL;
	}
	/*
	 * a county's records are its own people's and those of the tenants above
	 * it, the core's one tenant rule (figures decide for themselves: roll-ups)
	 */
	if (strcmp(type, "stats") != 0 && !host->tenant_readable(req, c->tenant, NULL)) {
		host->reply_error(req, 403, "forbidden",
				  "tenant %s is neither among yours nor beneath one of them",
				  c->tenant);
		ctx_free(c);
		return NULL;
	}
	return c;
}

int ctx_keyed(struct ctx *c, const char *field, const char *prefix)
{
	const char *v = in_str(c, field);

	if (!ids_valid(v)) {
		ctx_invalid(c, "field '%s': an id or code of [A-Za-z0-9._-], 1..64", field);
		return -1;
	}
	snprintf(c->id, sizeof(c->id), "%s", v);
	snprintf(c->record, sizeof(c->record), "%s:%s", prefix, c->id);
	return 0;
}

/* ---- reads ---- */

struct rd {
	struct ctx *c;
	json_t **into;
	int object; /* HGETALL: as an object */
	int must;   /* absent: 404 */
};

static void on_read(int rc, json_t *result, void *arg)
{
	struct rd *r = arg;
	struct ctx *c = r->c;
	int object = r->object, must = r->must;
	json_t **into = r->into;

	free(r);
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	if (must && json_array_size(result) == 0) {
		ctx_not_found(c);
		return;
	}
	json_decref(*into);
	*into = object ? pairs_to_object(result) : json_incref(result);
	if (*into == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	if (must) {
		c->version = rec_int(c, "_v");
	}
	c->next(c);
}

static void read_any(struct ctx *c, int argc, const char **argv, json_t **into, int object,
		     int must, ctx_step next)
{
	struct rd *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	*r = (struct rd){c, into, object, must};
	c->next = next;
	rc = host->store_read(self, c->tenant, argc, argv, on_read, r);
	if (rc != JD_OK) {
		free(r);
		ctx_fail(c, rc);
	}
}

void ctx_load(struct ctx *c, ctx_step next)
{
	const char *argv[2] = {"HGETALL", c->record};

	if (!ids_valid(c->id)) {
		ctx_not_found(c);
		return;
	}
	read_any(c, 2, argv, &c->rec, 1, 1, next);
}

void ctx_read(struct ctx *c, const char *key, json_t **into, ctx_step next)
{
	const char *argv[2] = {"HGETALL", key};

	read_any(c, 2, argv, into, 1, 0, next);
}

void ctx_cmd(struct ctx *c, int argc, const char **argv, json_t **into, ctx_step next)
{
	read_any(c, argc, argv, into, 0, 0, next);
}

static void on_org(int rc, json_t *org, void *arg)
{
	struct ctx *c = arg;

	if (rc == JD_E_NOTFOUND || rc == JD_E_INVALID) {
		ctx_invalid(c, "field 'tenant': %s is not a county of the organization", c->tenant);
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
	rc = host->org_read(self, c->tenant, on_org, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
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

/* ---- who is asking ---- */

struct who {
	struct ctx *c;
	ctx_step next;
};

static void on_who(int rc, json_t *result, void *arg)
{
	struct who *w = arg;
	struct ctx *c = w->c;
	ctx_step next = w->next;

	free(w);
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	snprintf(c->who, sizeof(c->who), "%s",
		 json_is_string(result) ? json_string_value(result) : "");
	next(c);
}

void ctx_whoami(struct ctx *c, ctx_step next)
{
	const char *user = c->req ? host->req_principal(c->req) : NULL;
	const char *argv[3] = {"HGET", "links:user", user};
	struct who *w;
	int rc;

	if (user == NULL || !ids_valid(user)) {
		next(c);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	*w = (struct who){c, next};
	rc = host->store_read(self, c->tenant, 3, argv, on_who, w);
	if (rc != JD_OK) {
		free(w);
		ctx_fail(c, rc);
	}
}

int ctx_county_wide(struct ctx *c)
{
	/* with neither unit nor group only leaders, reviewers and admins see a record */
	return c->req != NULL && host->record_visible(c->req, NULL, c->tenant, "", "", "");
}

/* ---- dates, mutations ---- */

int ctx_date(struct ctx *c, const char *field, jd_day not_before, const char *after, jd_day *out)
{
	char err[300];

	if (host->date_input(field, in_str(c, field), not_before, after, out, err, sizeof(err)) !=
	    JD_OK) {
		ctx_invalid(c, "%s", err);
		return -1;
	}
	return 0;
}

void ctx_on_mutated(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;

	if (c->req == NULL) {
		ctx_free(c); /* an event's mutation: the core finishes the event */
		return;
	}
	if (rc == JD_E_CONFLICT) {
		ctx_conflict(c, "conflict", "%s %s changed meanwhile; read it again and retry",
			     c->type, c->id);
		return;
	}
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	ctx_reply(c, res->replayed ? 200 : 201,
		  json_pack("{s:s, s:I, s:s}", "id", c->id, "version", (json_int_t)res->version,
			    "state", c->to[0] ? c->to : rec_str(c, "state")));
}

void ctx_submit(struct ctx *c, const char *action, long long version, jd_mutate_cb cb)
{
	int rc = host->mut_submit(self, c->m,
				  &(const struct jd_mutation){.tenant = c->tenant,
							      .record = c->record,
							      .expect_version = version,
							      .req = c->req,
							      .action = action,
							      .cause = c->cause},
				  cb ? cb : ctx_on_mutated, c);

	if (rc != JD_OK) {
		if (c->cause != NULL) /* the core finished the event */
			c->cause = NULL;
		ctx_fail(c, rc);
	}
}

json_t *rec_public(const json_t *rec)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)rec, k, v)
	{
		const char *s = json_string_value(v);

		if (k[0] == '_' || (s != NULL && strncmp(s, "s1.", 3) == 0))
			continue;
		json_object_set(o, k, v);
	}
	return o;
}

/* ---- sealed fields ---- */

int ctx_seal_set(struct ctx *c, const char *type, const char *id, const char *field,
		 const char *plain, const char *key)
{
	char *sealed = host->seal(self, c->tenant, type, id, field, plain);

	if (sealed == NULL) {
		ctx_fail(c, JD_ERR);
		return -1;
	}
	if (key == NULL)
		host->mut_set(c->m, field, sealed);
	else
		host->mut_op(c->m, JD_OP_HSET, key, field, sealed);
	free(sealed);
	return 0;
}

void ctx_open_into(struct ctx *c, json_t *out, const char *name, const char *type, const char *id,
		   const char *field, const char *sealed)
{
	char *plain;

	if (sealed == NULL || *sealed == '\0')
		return;
	plain = host->open(self, c->req, PERM_READ, c->tenant, type, id, field, sealed);
	if (plain == NULL) {
		json_object_set_new(out, name, json_string("sealed"));
		return;
	}
	json_object_set_new(out, name, json_string(plain));
	host->plain_free(plain);
}
