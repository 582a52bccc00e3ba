#include "transport/router.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#define DEFAULT_MAX_LEN 256

const double jd_latency_buckets[10] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
				       0.025,  0.05,  0.1,    0.5,   1.0};

struct jd_router {
	struct jd_route_entry **routes;
	size_t n, cap;
};

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

struct jd_router *jd_router_new(void)
{
	return calloc(1, sizeof(struct jd_router));
}

static size_t count_fields(const struct jd_field *f)
{
	size_t n = 0;

	while (f != NULL && f[n].name != NULL)
		n++;
	return n;
}

static void free_fields(struct jd_field *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; f[i].name != NULL; i++) {
		free((char *)f[i].name);
		free((char *)f[i].description);
	}
	free(f);
}

static void free_entry(struct jd_route_entry *e)
{
	if (e == NULL)
		return;
	free((char *)e->route.method);
	free((char *)e->route.path);
	free((char *)e->route.permission);
	free((char *)e->route.summary);
	free((char *)e->route.command);
	free_fields((struct jd_field *)e->route.fields);
	for (size_t i = 0; i < e->n_segments; i++)
		free(e->segments[i]);
	free(e->owner);
	free(e);
}

void jd_router_free(struct jd_router *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free_entry(r->routes[i]);
	free(r->routes);
	free(r);
}

static int valid_ident(const char *s, size_t len)
{
	if (len == 0 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

static int valid_literal(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static int valid_method(const char *m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (m != NULL && strcmp(m, methods[i]) == 0)
			return 1;
	return 0;
}

/* Splits a route pattern into segments; "{name}" segments are parameters. */
static int split_pattern(struct jd_route_entry *e, char *err, size_t errlen)
{
	const char *p = e->route.path;
	size_t n_params = 0;

	if (p[0] != '/') {
		snprintf(err, errlen, "path '%s' does not start with /", e->route.path);
		return JD_E_INVALID;
	}
	while (*p == '/') {
		const char *start = p + 1, *end = strchr(start, '/');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		char *seg;

		if (e->n_segments == JD_MAX_SEGMENTS) {
			snprintf(err, errlen, "path '%s' has too many segments", e->route.path);
			return JD_E_INVALID;
		}
		seg = strndup(start, len);
		if (seg == NULL)
			return JD_E_NOMEM;
		e->segments[e->n_segments++] = seg;
		if (seg[0] == '{'
			? !(len > 2 && seg[len - 1] == '}' && valid_ident(seg + 1, len - 2))
			: !valid_literal(seg)) {
			snprintf(err, errlen, "path '%s': bad segment '%s'", e->route.path, seg);
			return JD_E_INVALID;
		}
		if (seg[0] == '{' && ++n_params > JD_MAX_PARAMS) {
			snprintf(err, errlen, "path '%s' has more than %d parameters",
				 e->route.path, JD_MAX_PARAMS);
			return JD_E_INVALID;
		}
		if (seg[0] == '{')
			seg[len - 1] = '\0'; /* kept as "{name": the name starts at seg + 1 */
		p = start + len;
	}
	return JD_OK;
}

static int copy_fields(struct jd_route_entry *e, const struct jd_field *src, char *err,
		       size_t errlen)
{
	size_t n = count_fields(src);
	struct jd_field *f = calloc(n + 1, sizeof(*f));

	if (f == NULL)
		return JD_E_NOMEM;
	e->route.fields = f;
	for (size_t i = 0; i < n; i++) {
		f[i] = src[i];
		f[i].name = strdup(src[i].name);
		f[i].description = strdup(src[i].description ? src[i].description : "");
		if (f[i].max_len == 0)
			f[i].max_len = DEFAULT_MAX_LEN;
		if (f[i].name == NULL || f[i].description == NULL)
			return JD_E_NOMEM;
		if (!valid_ident(f[i].name, strlen(f[i].name)) || f[i].type > JD_FIELD_BOOLEAN) {
			snprintf(err, errlen, "route %s %s: bad field '%s'", e->route.method,
				 e->route.path, f[i].name);
			return JD_E_INVALID;
		}
	}
	return JD_OK;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int same_shape(const struct jd_route_entry *a, const struct jd_route_entry *b)
{
	if (a->n_segments != b->n_segments || strcmp(a->route.method, b->route.method) != 0)
		return 0;
	for (size_t i = 0; i < a->n_segments; i++) {
		int pa = a->segments[i][0] == '{', pb = b->segments[i][0] == '{';

		if (pa != pb || (!pa && strcmp(a->segments[i], b->segments[i]) != 0))
			return 0;
	}
	return 1;
}

static int check_unique(const struct jd_router *r, const struct jd_route_entry *e, char *err,
			size_t errlen)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct jd_route_entry *o = r->routes[i];

		if (same_shape(o, e)) {
			snprintf(err, errlen, "route %s %s is already registered by %s",
				 e->route.method, e->route.path, o->owner);
			return JD_E_CONFLICT;
		}
		if (e->route.command && o->route.command &&
		    strcmp(e->route.command, o->route.command) == 0) {
			snprintf(err, errlen, "command '%s' is already registered by %s",
				 e->route.command, o->owner);
			return JD_E_CONFLICT;
		}
	}
	return JD_OK;
}

static int grow(struct jd_router *r)
{
	struct jd_route_entry **n;
	size_t cap = r->cap ? r->cap * 2 : 32;

	if (r->n < r->cap)
		return JD_OK;
	n = realloc(r->routes, cap * sizeof(*n));
	if (n == NULL)
		return JD_E_NOMEM;
	r->routes = n;
	r->cap = cap;
	return JD_OK;
}

int jd_router_add(struct jd_router *r, const struct jd_route *route, const char *owner, char *err,
		  size_t errlen)
{
	struct jd_route_entry *e;
	int rc;

	if (!valid_method(route->method) || route->path == NULL || route->handler == NULL ||
	    route->permission == NULL || route->summary == NULL) {
		snprintf(err, errlen,
			 "route %s %s: needs a method, path, permission, summary "
			 "and handler",
			 route->method ? route->method : "?", route->path ? route->path : "?");
		return JD_E_INVALID;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return JD_E_NOMEM;
	e->route = *route;
	e->route.method = strdup(route->method);
	e->route.path = strdup(route->path);
	e->route.permission = strdup(route->permission);
	e->route.summary = strdup(route->summary);
	e->route.command = dup_or_null(route->command);
	e->route.fields = NULL;
	e->owner = strdup(owner);
	rc = JD_E_NOMEM;
	if (!e->route.method || !e->route.path || !e->route.permission || !e->route.summary ||
	    (route->command && !e->route.command) || !e->owner)
		goto fail;
	if ((rc = copy_fields(e, route->fields, err, errlen)) != JD_OK)
		goto fail;
	if ((rc = split_pattern(e, err, errlen)) != JD_OK)
		goto fail;
	if ((rc = check_unique(r, e, err, errlen)) != JD_OK)
		goto fail;
	if ((rc = grow(r)) != JD_OK)
		goto fail;
	r->routes[r->n++] = e;
	return JD_OK;
fail:
	if (rc == JD_E_NOMEM)
		snprintf(err, errlen, "out of memory");
	free_entry(e);
	return rc;
}

int jd_router_add_table(struct jd_router *r, const struct jd_route *routes, size_t n,
			const char *owner, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int rc = jd_router_add(r, &routes[i], owner, err, errlen);

		if (rc != JD_OK)
			return rc;
	}
	return JD_OK;
}

void jd_router_remove_owner(struct jd_router *r, const char *owner)
{
	size_t keep = 0;

	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->routes[i]->owner, owner) == 0)
			free_entry(r->routes[i]);
		else
			r->routes[keep++] = r->routes[i];
	}
	r->n = keep;
}

void jd_params_clear(struct jd_params *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->value[i]);
	p->n = 0;
}

const char *jd_params_get(const struct jd_params *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return p->value[i];
	return NULL;
}

/* Literal segments that match, or -1 when the route does not match. */
static int match_score(const struct jd_route_entry *e, char **segs, size_t n)
{
	int score = 0;

	if (e->n_segments != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (e->segments[i][0] == '{') {
			if (segs[i][0] == '\0')
				return -1;
			continue;
		}
		if (strcmp(e->segments[i], segs[i]) != 0)
			return -1;
		score++;
	}
	return score;
}

static int fill_params(const struct jd_route_entry *e, char **segs, struct jd_params *params)
{
	params->n = 0;
	for (size_t i = 0; i < e->n_segments; i++) {
		size_t len = 0;
		char *v;

		if (e->segments[i][0] != '{')
			continue;
		if (params->n == JD_MAX_PARAMS)
			return JD_E_INVALID;
		v = evhttp_uridecode(segs[i], 0, &len);
		if (v == NULL)
			return JD_E_NOMEM;
		if (strlen(v) != len) { /* an encoded NUL */
			free(v);
			return JD_E_INVALID;
		}
		params->name[params->n] = e->segments[i] + 1;
		params->value[params->n++] = v;
	}
	return JD_OK;
}

static int tokenize(const char *path, char *buf, size_t buflen, char **segs)
{
	int n = 0;
	char *p;

	if (strlen(path) >= buflen || path[0] != '/')
		return -1;
	strcpy(buf, path);
	p = buf;
	while (p != NULL) {
		char *next;

		if (n == JD_MAX_SEGMENTS)
			return -1;
		p++; /* past '/' */
		next = strchr(p, '/');
		if (next != NULL)
			*next = '\0';
		segs[n++] = p;
		p = next;
	}
	return n;
}

struct jd_route_entry *jd_router_match(struct jd_router *r, const char *method, const char *path,
				       int control, struct jd_params *params, int *path_matched)
{
	char buf[4096], *segs[JD_MAX_SEGMENTS];
	struct jd_route_entry *best = NULL;
	int n, best_score = -1;

	*path_matched = 0;
	params->n = 0;
	n = tokenize(path, buf, sizeof(buf), segs);
	if (n < 0)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		int s;

		/* control-only routes do not exist on the api listener, not even for a 405 */
		if (!control && (r->routes[i]->route.flags & JD_ROUTE_CONTROL_ONLY))
			continue;
		s = match_score(r->routes[i], segs, (size_t)n);
		if (s < 0)
			continue;
		if (strcmp(r->routes[i]->route.method, method) != 0) {
			*path_matched = 1;
			continue;
		}
		if (s > best_score) {
			best = r->routes[i];
			best_score = s;
		}
	}
	if (best != NULL && fill_params(best, segs, params) != JD_OK) {
		jd_params_clear(params);
		return NULL;
	}
	return best;
}

size_t jd_router_count(const struct jd_router *r)
{
	return r->n;
}

struct jd_route_entry *jd_router_at(struct jd_router *r, size_t i)
{
	return i < r->n ? r->routes[i] : NULL;
}

/* ---- input validation ---------------------------------------------- */

static const struct jd_field *find_field(const struct jd_field *fields, const char *name)
{
	for (size_t i = 0; fields != NULL && fields[i].name != NULL; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static const char *type_name(enum jd_field_type t)
{
	switch (t) {
	case JD_FIELD_INTEGER:
		return "integer";
	case JD_FIELD_BOOLEAN:
		return "boolean";
	default:
		return "string";
	}
}

/* "an integer", "a string": for messages. */
static const char *type_phrase(enum jd_field_type t)
{
	return t == JD_FIELD_INTEGER   ? "an integer"
	       : t == JD_FIELD_BOOLEAN ? "a boolean"
				       : "a string";
}

static int check_value(const struct jd_field *f, json_t *v, char *err, size_t errlen)
{
	int ok = (f->type == JD_FIELD_STRING && json_is_string(v)) ||
		 (f->type == JD_FIELD_INTEGER && json_is_integer(v)) ||
		 (f->type == JD_FIELD_BOOLEAN && json_is_boolean(v));

	if (!ok) {
		snprintf(err, errlen, "field '%s' must be %s", f->name, type_phrase(f->type));
		return JD_E_INVALID;
	}
	if (f->type == JD_FIELD_STRING && json_string_length(v) > f->max_len) {
		snprintf(err, errlen, "field '%s' is longer than %zu bytes", f->name, f->max_len);
		return JD_E_INVALID;
	}
	return JD_OK;
}

int jd_fields_validate(const struct jd_field *fields, json_t *input, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(input)) {
		snprintf(err, errlen, "the body must be a JSON object");
		return JD_E_INVALID;
	}
	json_object_foreach(input, key, v)
	{
		const struct jd_field *f = find_field(fields, key);

		if (f == NULL) {
			snprintf(err, errlen, "unknown field '%.64s'", key);
			return JD_E_INVALID;
		}
		if (check_value(f, v, err, errlen) != JD_OK)
			return JD_E_INVALID;
	}
	for (size_t i = 0; fields != NULL && fields[i].name != NULL; i++) {
		if (fields[i].required && json_object_get(input, fields[i].name) == NULL) {
			snprintf(err, errlen, "missing required field '%s'", fields[i].name);
			return JD_E_INVALID;
		}
	}
	return JD_OK;
}

static json_t *typed_value(const struct jd_field *f, const char *s)
{
	char *end;
	long long n;

	switch (f->type) {
	case JD_FIELD_INTEGER:
		if (!(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
			return NULL;
		errno = 0;
		n = strtoll(s, &end, 10);
		return *end == '\0' && errno == 0 ? json_integer(n) : NULL;
	case JD_FIELD_BOOLEAN:
		if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
			return json_true();
		if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
			return json_false();
		return NULL;
	default:
		return json_string(s);
	}
}

int jd_fields_from_query(const struct jd_field *fields, const char *query, json_t **out, char *err,
			 size_t errlen)
{
	struct evkeyvalq q;
	struct evkeyval *kv;
	json_t *obj = json_object();
	int rc = JD_E_INVALID;

	TAILQ_INIT(&q);
	if (obj == NULL)
		return JD_E_NOMEM;
	if (query != NULL && *query != '\0' && evhttp_parse_query_str(query, &q) != 0) {
		snprintf(err, errlen, "malformed query string");
		goto done;
	}
	TAILQ_FOREACH(kv, &q, next)
	{
		const struct jd_field *f = find_field(fields, kv->key);
		json_t *v;

		if (f == NULL) {
			snprintf(err, errlen, "unknown parameter '%.64s'", kv->key);
			goto done;
		}
		if (json_object_get(obj, f->name) != NULL) {
			snprintf(err, errlen, "parameter '%s' is given twice", f->name);
			goto done;
		}
		v = typed_value(f, kv->value);
		if (v == NULL) {
			snprintf(err, errlen, "parameter '%s' must be %s", f->name,
				 type_phrase(f->type));
			goto done;
		}
		json_object_set_new(obj, f->name, v);
	}
	rc = jd_fields_validate(fields, obj, err, errlen);
done:
	evhttp_clear_headers(&q);
	if (rc != JD_OK) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return JD_OK;
}

/* ---- descriptions ---------------------------------------------------- */

static json_t *fields_json(const struct jd_field *fields)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && fields && fields[i].name; i++) {
		const struct jd_field *f = &fields[i];

		json_array_append_new(arr,
				      json_pack("{s:s, s:s, s:b, s:s, s:I, s:b}", "name", f->name,
						"type", type_name(f->type), "required", f->required,
						"description", f->description, "max_len",
						(json_int_t)f->max_len, "sensitive", f->sensitive));
	}
	return arr;
}

json_t *jd_router_catalog(struct jd_router *r)
{
	json_t *routes = json_array();

	for (size_t i = 0; routes && i < r->n; i++) {
		const struct jd_route *rt = &r->routes[i]->route;

		json_array_append_new(
		    routes,
		    json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:b, s:b, s:o}", "method",
			      rt->method, "path", rt->path, "permission", rt->permission, "summary",
			      rt->summary, "command", rt->command, "owner", r->routes[i]->owner,
			      "control_only", (rt->flags & JD_ROUTE_CONTROL_ONLY) != 0, "auth",
			      (rt->flags & JD_ROUTE_NO_AUTH) == 0, "fields",
			      fields_json(rt->fields)));
	}
	return json_pack("{s:o}", "routes", routes);
}

static json_t *schema_of(const struct jd_field *f)
{
	json_t *s =
	    json_pack("{s:s, s:s}", "type", type_name(f->type), "description", f->description);

	if (s != NULL && f->type == JD_FIELD_STRING)
		json_object_set_new(s, "maxLength", json_integer((json_int_t)f->max_len));
	return s;
}

static json_t *body_schema(const struct jd_field *fields)
{
	json_t *props = json_object(), *req = json_array();

	for (size_t i = 0; fields && fields[i].name; i++) {
		json_object_set_new(props, fields[i].name, schema_of(&fields[i]));
		if (fields[i].required)
			json_array_append_new(req, json_string(fields[i].name));
	}
	return json_pack("{s:s, s:o, s:o, s:b}", "type", "object", "properties", props, "required",
			 req, "additionalProperties", 0);
}

static json_t *parameters_of(const struct jd_route_entry *e, int query_fields)
{
	json_t *params = json_array();
	const struct jd_field *fields = e->route.fields;

	for (size_t i = 0; i < e->n_segments; i++) {
		const char *s = e->segments[i];

		if (s[0] != '{')
			continue;
		json_array_append_new(params,
				      json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", s + 1, "in",
						"path", "required", 1, "schema", "type", "string"));
	}
	for (size_t i = 0; query_fields && fields && fields[i].name; i++)
		json_array_append_new(params,
				      json_pack("{s:s, s:s, s:b, s:o}", "name", fields[i].name,
						"in", "query", "required", fields[i].required,
						"schema", schema_of(&fields[i])));
	return params;
}

/*
 * An identifier client generators can use: the CLI command ("cases leads
 * assign-override" -> casesLeadsAssignOverride), else the method and path
 * (GET /v1/notes/{id} -> getV1NotesById); unique as commands and paths are.
 */
static void operation_id(const struct jd_route *rt, char *out, size_t len)
{
	const char *src = rt->command;
	size_t n = 0;
	int upper = 0, by = 0;

	if (src == NULL) {
		for (size_t k = 0; rt->method[k] && n + 1 < len; k++)
			out[n++] = (char)tolower((unsigned char)rt->method[k]);
		src = rt->path;
		upper = 1;
	}
	for (; *src && n + 3 < len; src++) {
		unsigned char c = (unsigned char)*src;

		if (c == '{' && !by) {
			memcpy(out + n, "By", 2);
			n += 2;
			by = 1;
			upper = 1;
			continue;
		}
		if (!isalnum(c)) {
			upper = n > 0;
			continue;
		}
		out[n++] = upper ? (char)toupper(c) : (char)c;
		upper = 0;
	}
	out[n] = '\0';
}

/*
 * What a client generator types the answers by: a JSON object on success
 * (200, or 201/202 for what a route creates or starts), the one error body
 * of every refusal (components/schemas/ApiError); /metrics answers text.
 */
static json_t *responses_of(const struct jd_route *rt)
{
	json_t *ok = rt->flags & JD_ROUTE_TEXT_ANSWER
			 ? json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "OK: text", "content",
				     "text/plain", "schema", "type", "string")
			 : json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "OK: a JSON object",
				     "content", "application/json", "schema", "type", "object");
	json_t *error = json_pack("{s:{s:{s:s}}}", "application/json", "schema", "$ref",
				  "#/components/schemas/ApiError");
	json_t *r =
	    json_pack("{s:o, s:{s:s, s:O}}", "2XX", ok, "4XX", "description",
		      "refused: the request, its credential or its scope", "content", error);

	if (r != NULL && rt->flags & JD_ROUTE_503_ANSWER)
		json_object_set_new(r, "503",
				    json_pack("{s:s, s:O}", "description",
					      "not ready: the same object, with the reason",
					      "content", json_object_get(ok, "content")));
	else if (r != NULL)
		json_object_set_new(r, "503",
				    json_pack("{s:s, s:O}", "description",
					      "storage unavailable, or too busy (Retry-After)",
					      "content", error));
	json_decref(error);
	return r;
}

/* {"error":{"code":"invalid","message":"...","request_id":"..."}} */
static json_t *error_schema(void)
{
	return json_pack(
	    "{s:s, s:[s], s:{s:{s:s, s:[s, s], s:{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}}}}}",
	    "type", "object", "required", "error", "properties", "error", "type", "object",
	    "required", "code", "message", "properties", "code", "type", "string", "description",
	    "what went wrong, for programs: invalid, forbidden, not_found, conflict, ...",
	    "message", "type", "string", "description", "what went wrong, for people", "request_id",
	    "type", "string", "description", "the request's id in the log");
}

static json_t *operation_of(const struct jd_route_entry *e)
{
	const struct jd_route *rt = &e->route;
	int has_body = strcmp(rt->method, "GET") != 0 && strcmp(rt->method, "DELETE") != 0;
	char id[256];
	json_t *op;

	operation_id(rt, id, sizeof(id));
	op = json_pack("{s:s, s:s, s:[s], s:s, s:o, s:o}", "summary", rt->summary, "operationId",
		       id, "tags", e->owner, "x-permission", rt->permission, "parameters",
		       parameters_of(e, !has_body), "responses", responses_of(rt));

	if (op == NULL)
		return NULL;
	if (has_body)
		json_object_set_new(op, "requestBody",
				    json_pack("{s:b, s:{s:{s:o}}}", "required", 1, "content",
					      "application/json", "schema",
					      body_schema(rt->fields)));
	if (rt->flags & JD_ROUTE_NO_AUTH)
		json_object_set_new(op, "security", json_array());
	if (rt->flags & JD_ROUTE_CONTROL_ONLY)
		json_object_set_new(op, "x-listener", json_string("control"));
	return op;
}

json_t *jd_router_openapi(struct jd_router *r, const char *version)
{
	json_t *paths = json_object();

	for (size_t i = 0; paths && i < r->n; i++) {
		const struct jd_route *rt = &r->routes[i]->route;
		json_t *item = json_object_get(paths, rt->path);
		char method[8];
		size_t k;

		if (item == NULL) {
			item = json_object();
			json_object_set_new(paths, rt->path, item);
		}
		for (k = 0; k < sizeof(method) - 1 && rt->method[k]; k++)
			method[k] = (char)tolower((unsigned char)rt->method[k]);
		method[k] = '\0';
		json_object_set_new(item, method, operation_of(r->routes[i]));
	}
	/* "/": the listener this document was read from (control or api) */
	return json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s, s:s}], s:o, "
			 "s:{s:{s:o}, s:{s:{s:s}, s:{s:s, s:s}}}, s:[{s:[]}, {s:[]}]}",
			 "openapi", "3.1.0", "info", "title", "jiandu", "version", version,
			 "description", "jiandud API: core and loaded plugins", "servers", "url",
			 "/", "description", "the listener that served this document", "paths",
			 paths, "components", "schemas", "ApiError", error_schema(),
			 "securitySchemes", "mtls", "type", "mutualTLS", "bearer", "type", "http",
			 "scheme", "bearer", "security", "mtls", "bearer");
}
