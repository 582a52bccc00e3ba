/*
 * One request's (or one event's) context, from the handler to the last
 * callback: the review record read with its version (so the mutation that
 * follows is refused if it changed in between), the organization, the
 * mutation being built, and the replies that end it.  A record the caller
 * may not see (the core's record scope) answers as an absent one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

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

int csv_names(const char *csv, const char *code)
{
	size_t n = strlen(code);

	for (const char *p = csv; n > 0 && p != NULL && *p;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (l == n && strncmp(p, code, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

struct rctx *rctx_new(jd_req *req, const char *tenant, const char *id)
{
	struct rctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->req = req;
	c->in = req ? host->req_body(req) : NULL;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant ? tenant : "");
	snprintf(c->id, sizeof(c->id), "%s", id ? id : "");
	snprintf(c->record, sizeof(c->record), "review:%s", c->id);
	c->day = host->day_today();
	c->m = host->mut_new();
	if (c->m == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void rctx_free(struct rctx *c)
{
	if (c == NULL)
		return;
	json_decref(c->rec);
	json_decref(c->org);
	json_decref(c->aux);
	host->mut_free(c->m);
	free(c);
}

void rctx_fail(struct rctx *c, int rc)
{
	if (c->req != NULL)
		host->reply_rc(c->req, rc, "review");
	rctx_free(c);
}

void rctx_invalid(struct rctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	host->reply_error(c->req, 400, "invalid", "%s", msg);
	rctx_free(c);
}

void rctx_conflict(struct rctx *c, const char *code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	host->reply_error(c->req, 409, code, "%s", msg);
	rctx_free(c);
}

void rctx_refused(struct rctx *c, const struct jd_refusal *r)
{
	host->reply_error(c->req, r->status, r->code, "%s", r->message);
	rctx_free(c);
}

void rctx_reply(struct rctx *c, int status, json_t *body)
{
	if (body == NULL)
		host->reply_rc(c->req, JD_E_NOMEM, "review");
	else
		host->reply_json(c->req, status, body);
	rctx_free(c);
}

const char *rec_str(const struct rctx *c, const char *field)
{
	const char *v = json_string_value(json_object_get(c->rec, field));

	return v ? v : "";
}

long long rec_int(const struct rctx *c, const char *field)
{
	return atoll(rec_str(c, field));
}

const char *jstr(const json_t *o, const char *k, const char *def)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : def;
}

json_t *rec_json(const struct rctx *c, const char *field)
{
	const char *v = rec_str(c, field);

	return v[0] ? json_loads(v, 0, NULL) : NULL;
}

const char *in_str(const struct rctx *c, const char *name)
{
	return json_string_value(json_object_get(c->in, name));
}

long long in_int(const struct rctx *c, const char *name, long long def)
{
	json_t *v = json_object_get(c->in, name);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

/* A failed step: the event handled, if any, is delivered again; a request gets the error. */
static void rctx_abort(struct rctx *c, int rc)
{
	if (c->cause != NULL)
		host->event_done(self, c->cause, rc);
	rctx_fail(c, rc);
}

/* ---- reading ------------------------------------------------------------------------------- */

static void on_read(int rc, json_t *result, void *arg)
{
	struct rctx *c = arg;

	if (rc != JD_OK) {
		rctx_abort(c, rc);
		return;
	}
	json_decref(c->rec);
	c->rec = NULL;
	c->version = 0;
	if (json_array_size(result) > 0) {
		c->rec = json_object();
		for (size_t i = 0; c->rec && i + 1 < json_array_size(result); i += 2)
			json_object_set(c->rec, json_string_value(json_array_get(result, i)),
					json_array_get(result, i + 1));
		c->version = rec_int(c, "_v");
	}
	c->next(c);
}

int rctx_read(struct rctx *c, rctx_step next)
{
	const char *argv[2] = {"HGETALL", c->record};

	c->next = next;
	return host->store_read(self, c->tenant, 2, argv, on_read, c);
}

static int tenant_valid(const char *t)
{
	size_t n = 0;

	for (; t != NULL && *t; t++, n++)
		if (*t == '.' || !code_char(*t))
			return 0;
	return n >= 1 && n <= 64;
}

static const int case_scope_route;

static void route_loaded(struct rctx *c)
{
	rctx_step next = c->then;

	/* the investigators see a review of their case where they act on it (materials) */
	if (c->rec == NULL ||
	    !(host->record_visible(c->req, c->case_scope ? NULL : c->record, c->tenant,
				   rec_str(c, "unit"), "", rec_str(c, "deny")) ||
	      (c->case_scope &&
	       host->record_visible(c->req, c->record, c->tenant, rec_str(c, "case_unit"), "",
				    rec_str(c, "deny"))))) {
		host->reply_error(c->req, 404, "not_found", "no review %s in tenant %s", c->id,
				  c->tenant);
		rctx_free(c);
		return;
	}
	if (json_is_integer(json_object_get(c->in, "version")) &&
	    in_int(c, "version", 0) != c->version) {
		rctx_conflict(c, "conflict",
			      "review %s is at version %lld, not %lld: read it again", c->id,
			      c->version, in_int(c, "version", 0));
		return;
	}
	next(c);
}

void rctx_route_case(jd_req *req, rctx_step next)
{
	rctx_route(req, &case_scope_route, next);
}

void rctx_route(jd_req *req, const void *route, rctx_step next)
{
	const char *tenant = host->req_param(req, "tenant"), *id = host->req_param(req, "id");
	struct rctx *c;
	int rc;

	if (!tenant_valid(tenant)) {
		host->reply_error(req, 400, "invalid",
				  "field 'tenant': a tenant code is 1 to 64 characters of "
				  "[A-Za-z0-9_-]");
		return;
	}
	if (id == NULL || id[0] == '\0' || strlen(id) > 64 || !ids_valid(id, 0)) {
		host->reply_error(req, 400, "invalid", "field 'id': a review id (e.g. 2026-0001)");
		return;
	}
	if ((c = rctx_new(req, tenant, id)) == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "review");
		return;
	}
	c->route = route;
	c->case_scope = route == &case_scope_route;
	c->then = next;
	if ((rc = rctx_read(c, route_loaded)) != JD_OK)
		rctx_fail(c, rc);
}

static void on_org(int rc, json_t *org, void *arg)
{
	struct rctx *c = arg;

	if (rc != JD_OK) {
		rctx_abort(c, rc);
		return;
	}
	c->org = json_incref(org);
	c->next(c);
}

void rctx_org(struct rctx *c, rctx_step next)
{
	int rc;

	c->next = next;
	if ((rc = host->org_read(self, c->tenant, on_org, c)) != JD_OK)
		rctx_abort(c, rc);
}

static void on_keys(int rc, void *arg)
{
	struct rctx *c = arg;

	if (rc != JD_OK) {
		rctx_fail(c, rc);
		return;
	}
	c->next(c);
}

void rctx_keys(struct rctx *c, rctx_step next)
{
	int rc;

	c->next = next;
	if ((rc = host->keys_ready(self, c->tenant, on_keys, c)) != JD_OK)
		rctx_fail(c, rc);
}

int rctx_date(struct rctx *c, const char *after_what)
{
	jd_day since;
	char err[200];

	if (host->day_parse(rec_str(c, "state_since"), &since) != 0)
		since = -1;
	if (host->date_input("date", in_str(c, "date"), since, after_what, &c->day, err,
			     sizeof(err)) != JD_OK) {
		rctx_invalid(c, "%s", err);
		return -1;
	}
	return 0;
}

int rctx_step_ok(struct rctx *c, const char *action)
{
	struct jd_refusal r;

	if (host->machine_step(&review_machine, c->id, rec_str(c, "state"), action, &r) != NULL)
		return 0;
	rctx_refused(c, &r);
	return -1;
}

void rctx_move(struct rctx *c, const char *to)
{
	host->machine_move(self, &review_machine, c->m, c->id, rec_str(c, "state"), to, c->day);
	snprintf(c->to, sizeof(c->to), "%s", to);
}

static void on_mutated(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct rctx *c = arg;

	if (rc == JD_E_CONFLICT) {
		rctx_conflict(c, "conflict", "review %s changed meanwhile: read it again", c->id);
		return;
	}
	if (rc != JD_OK) {
		rctx_fail(c, rc);
		return;
	}
	rctx_reply(c, 200,
		   json_pack("{s:s, s:s, s:I}", "id", c->id, "state",
			     c->to[0] ? c->to : rec_str(c, "state"), "version",
			     (json_int_t)res->version));
}

void rctx_submit(struct rctx *c, const char *action)
{
	char a[128];
	int rc;

	snprintf(a, sizeof(a), "%s%s", action, c->day < host->day_today() ? ".backdated" : "");
	rc = host->mut_submit(self, c->m,
			      &(const struct jd_mutation){.tenant = c->tenant,
							  .record = c->record,
							  .expect_version = c->version,
							  .req = c->req,
							  .action = a},
			      on_mutated, c);
	if (rc != JD_OK)
		rctx_fail(c, rc);
}

int rctx_on_panel(struct rctx *c, int lead_only)
{
	const char *me = host->req_principal(c->req);

	if (lead_only ? strcmp(rec_str(c, "lead_reviewer"), me) == 0
		      : csv_names(rec_str(c, "panel"), me))
		return 0;
	host->reply_error(c->req, 403, "forbidden", "only %s of review %s may do this",
			  lead_only ? "the lead reviewer" : "a reviewer of the panel", c->id);
	rctx_free(c);
	return -1;
}
