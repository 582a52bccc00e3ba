/*
 * The example plugin: a template for plugin authors (docs/plugins.md walks
 * through it).  It keeps short notes per tenant and shows each thing a
 * plugin does: export a descriptor, declare config keys, register routes
 * with their fields and permissions, change records with one atomic store
 * mutation (version check, idempotency key, index and counter in the same
 * step), read them back, publish and subscribe to events.
 *
 * It includes <jiandu/plugin.h> and nothing else of jiandu's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jiandu/plugin.h>

#define LIST_LIMIT "49" /* the list route returns at most 50 notes: bounded cost */

static const struct jd_host *host;
static jd_plugin_handle *self;
static unsigned long long notes_created_seen; /* counted from our own events */

/* ---- POST /v1/example/notes --------------------------------------------- */

struct pending {
	jd_req *req;
	char id[33];
	char tenant[65];
};

static struct pending *pending_new(jd_req *req, const char *tenant, const char *id)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->req = req;
	snprintf(p->tenant, sizeof(p->tenant), "%s", tenant);
	snprintf(p->id, sizeof(p->id), "%s", id);
	return p;
}

/* "note:<id>" -> "<id>": on a retry the store names the record the first call wrote. */
static const char *note_id(const char *record)
{
	return strncmp(record, "note:", 5) == 0 ? record + 5 : record;
}

static void on_created(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct pending *p = arg;

	if (rc != JD_OK) {
		host->reply_rc(p->req, rc, "note");
	} else {
		if (!res->replayed)
			host->publish(self, "example.note_created",
				      json_pack("{s:s, s:s}", "tenant", p->tenant, "id", p->id));
		host->reply_json(p->req, res->replayed ? 200 : 201,
				 json_pack("{s:s, s:I, s:b}", "id", note_id(res->record), "version",
					   (json_int_t)res->version, "replayed", res->replayed));
	}
	free(p);
}

static void create_note(jd_req *req, void *arg)
{
	json_t *in = host->req_body(req);
	const char *tenant = json_string_value(json_object_get(in, "tenant"));
	const char *title = json_string_value(json_object_get(in, "title"));
	const char *text = json_string_value(json_object_get(in, "text"));
	const char *idem = json_string_value(json_object_get(in, "idempotency_key"));
	char id[33], record[64], score[32], idem_key[96];
	struct pending *p;
	int rc;

	(void)arg;
	host->new_id(id);
	snprintf(record, sizeof(record), "note:%s", id);
	/* the client's key is scoped to this action, so another route's key cannot collide */
	if (idem != NULL)
		snprintf(idem_key, sizeof(idem_key), "example.note:%s", idem);
	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	{
		const char *set[] = {"title",	       title,	     "text",
				     text ? text : "", "created_by", host->req_principal(req),
				     "created_at",     score,	     NULL};
		const struct jd_op ops[] = {
		    {JD_OP_ZADD, "notes:by_time", id, score},
		    {JD_OP_HSET, "notes:titles", id, title},
		    {JD_OP_HINCRBY, "notes:stats", "created", "1"},
		};
		const struct jd_mutation m = {
		    .tenant = tenant,
		    .record = record,
		    .expect_version = JD_VERSION_NEW,
		    .idempotency_key = idem ? idem_key : NULL,
		    .set = set,
		    .ops = ops,
		    .n_ops = sizeof(ops) / sizeof(ops[0]),
		};

		p = pending_new(req, tenant, id);
		if (p == NULL) {
			host->reply_rc(req, JD_E_NOMEM, "note");
			return;
		}
		rc = host->store_mutate(self, &m, on_created, p);
	}
	if (rc != JD_OK) {
		free(p);
		host->reply_rc(req, rc, "note");
	}
}

/* ---- GET /v1/example/notes/{id} ------------------------------------------ */

/* HGETALL gives [field, value, ...]; hidden fields start with "_" except the version. */
static json_t *note_from_fields(const char *id, json_t *arr)
{
	json_t *note = json_pack("{s:s}", "id", id);
	size_t i;

	for (i = 0; note && i + 1 < json_array_size(arr); i += 2) {
		const char *k = json_string_value(json_array_get(arr, i));
		const char *v = json_string_value(json_array_get(arr, i + 1));

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "_v") == 0)
			json_object_set_new(note, "version", json_integer(atoll(v)));
		else if (k[0] != '_')
			json_object_set_new(note, k, json_string(v));
	}
	return note;
}

static void on_note_read(int rc, json_t *result, void *arg)
{
	struct pending *p = arg;

	if (rc != JD_OK)
		host->reply_rc(p->req, rc, "note");
	else if (json_array_size(result) == 0)
		host->reply_error(p->req, 404, "not_found", "no note %s in tenant %s", p->id,
				  p->tenant);
	else
		host->reply_json(p->req, 200, note_from_fields(p->id, result));
	free(p);
}

static void show_note(jd_req *req, void *arg)
{
	const char *tenant = host->req_param(req, "tenant");
	const char *id = host->req_param(req, "id");
	char record[80];
	const char *argv[2] = {"HGETALL", record};
	struct pending *p;
	int rc;

	(void)arg;
	snprintf(record, sizeof(record), "note:%.64s", id);
	p = pending_new(req, tenant, id);
	if (p == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "note");
		return;
	}
	rc = host->store_read(self, tenant, 2, argv, on_note_read, p);
	if (rc != JD_OK) {
		free(p);
		host->reply_rc(req, rc, "note");
	}
}

/* ---- PUT /v1/example/notes/{id} ------------------------------------------ */

static void on_updated(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct pending *p = arg;

	if (rc == JD_E_CONFLICT)
		host->reply_error(p->req, 409, "conflict",
				  "note %s does not exist or was changed since the version you "
				  "read; read it again",
				  p->id);
	else if (rc != JD_OK)
		host->reply_rc(p->req, rc, "note");
	else
		host->reply_json(
		    p->req, 200,
		    json_pack("{s:s, s:I}", "id", p->id, "version", (json_int_t)res->version));
	free(p);
}

static void edit_note(jd_req *req, void *arg)
{
	json_t *in = host->req_body(req);
	const char *tenant = json_string_value(json_object_get(in, "tenant"));
	const char *title = json_string_value(json_object_get(in, "title"));
	const char *text = json_string_value(json_object_get(in, "text"));
	json_int_t version = json_integer_value(json_object_get(in, "version"));
	const char *id = host->req_param(req, "id");
	const char *set[5] = {NULL};
	struct jd_op ops[1];
	size_t n = 0, n_ops = 0;
	char record[80];
	struct pending *p;
	int rc;

	(void)arg;
	if (version < 1) {
		host->reply_error(req, 400, "invalid", "field 'version' must be at least 1");
		return;
	}
	if (title != NULL) {
		set[n++] = "title";
		set[n++] = title;
		ops[n_ops++] = (struct jd_op){JD_OP_HSET, "notes:titles", id, title};
	}
	if (text != NULL) {
		set[n++] = "text";
		set[n++] = text;
	}
	snprintf(record, sizeof(record), "note:%.64s", id);
	p = pending_new(req, tenant, id);
	if (p == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "note");
		return;
	}
	rc = host->store_mutate(self,
				&(const struct jd_mutation){.tenant = tenant,
							    .record = record,
							    .expect_version = version,
							    .set = set,
							    .ops = ops,
							    .n_ops = n_ops},
				on_updated, p);
	if (rc != JD_OK) {
		free(p);
		host->reply_rc(req, rc, "note");
	}
}

/* ---- GET /v1/example/notes ------------------------------------------------ */

struct listing {
	jd_req *req;
	char tenant[65];
	json_t *ids;
};

static void on_titles(int rc, json_t *result, void *arg)
{
	struct listing *l = arg;
	json_t *notes = json_array();

	if (rc != JD_OK) {
		host->reply_rc(l->req, rc, "notes");
	} else {
		for (size_t i = 0; notes && i < json_array_size(l->ids); i++)
			json_array_append_new(notes, json_pack("{s:O, s:O}", "id",
							       json_array_get(l->ids, i), "title",
							       json_array_get(result, i)));
		host->reply_json(l->req, 200, json_pack("{s:O}", "notes", notes));
	}
	json_decref(notes);
	json_decref(l->ids);
	free(l);
}

static void on_ids(int rc, json_t *result, void *arg)
{
	struct listing *l = arg;
	const char *argv[2 + 50] = {"HMGET", "notes:titles"};
	size_t n = json_array_size(result);

	if (rc != JD_OK || n == 0) {
		if (rc != JD_OK)
			host->reply_rc(l->req, rc, "notes");
		else
			host->reply_json(l->req, 200, json_pack("{s:[]}", "notes"));
		free(l);
		return;
	}
	l->ids = json_incref(result);
	for (size_t i = 0; i < n && i < 50; i++)
		argv[2 + i] = json_string_value(json_array_get(result, i));
	rc = host->store_read(self, l->tenant, (int)(2 + (n < 50 ? n : 50)), argv, on_titles, l);
	if (rc != JD_OK) {
		host->reply_rc(l->req, rc, "notes");
		json_decref(l->ids);
		free(l);
	}
}

static void list_notes(jd_req *req, void *arg)
{
	const char *tenant = host->req_param(req, "tenant");
	const char *argv[] = {"ZREVRANGE", "notes:by_time", "0", LIST_LIMIT};
	struct listing *l = calloc(1, sizeof(*l));
	int rc;

	(void)arg;
	if (l == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "notes");
		return;
	}
	l->req = req;
	snprintf(l->tenant, sizeof(l->tenant), "%s", tenant);
	rc = host->store_read(self, tenant, 4, argv, on_ids, l);
	if (rc != JD_OK) {
		free(l);
		host->reply_rc(req, rc, "notes");
	}
}

/* ---- GET /v1/example/hello ------------------------------------------------ */

static void hello(jd_req *req, void *arg)
{
	(void)arg;
	host->reply_json(req, 200,
			 json_pack("{s:s, s:s, s:I}", "greeting",
				   host->config_get(self, "greeting", "hello"), "principal",
				   host->req_principal(req), "notes_created_seen",
				   (json_int_t)notes_created_seen));
}

/* ---- events ---------------------------------------------------------------- */

static void on_note_created(const char *name, json_t *payload, void *arg)
{
	(void)name;
	(void)arg;
	notes_created_seen++;
	host->log(self, JD_LOG_DEBUG, "note created id=%s",
		  json_string_value(json_object_get(payload, "id")));
}

/* ---- routes and descriptor ------------------------------------------------- */

static const struct jd_field tenant_only[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field create_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"title", JD_FIELD_STRING, 1, 200, "one-line title", 0},
    {"text", JD_FIELD_STRING, 0, 4000, "the note", 0},
    {"idempotency_key", JD_FIELD_STRING, 0, 64, "retry key: a retry returns the first result", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field edit_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"title", JD_FIELD_STRING, 0, 200, "new title", 0},
    {"text", JD_FIELD_STRING, 0, 4000, "new text", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route routes[] = {
    {"POST", "/v1/example/notes", "example.write", "Add a note", "example notes add", create_fields,
     0, create_note, NULL},
    {"GET", "/v1/example/notes", "example.read", "List the latest 50 notes", "example notes list",
     tenant_only, 0, list_notes, NULL},
    {"GET", "/v1/example/notes/{id}", "example.read", "Show a note", "example notes show",
     tenant_only, 0, show_note, NULL},
    {"PUT", "/v1/example/notes/{id}", "example.write", "Change a note (needs its version)",
     "example notes edit", edit_fields, 0, edit_note, NULL},
    {"GET", "/v1/example/hello", "example.read", "Say hello (no storage needed)", "example hello",
     NULL, JD_ROUTE_NO_STORE, hello, NULL},
};

static int example_init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (host->route_add(self, &routes[i]) != JD_OK)
			return JD_ERR;
	if (host->subscribe(self, "example.note_created", on_note_created, NULL) != JD_OK)
		return JD_ERR;
	host->log(self, JD_LOG_INFO, "example plugin ready");
	return JD_OK;
}

static void example_fini(void)
{
	notes_created_seen = 0;
}

static const struct jd_config_key config_keys[] = {
    {"greeting", "hello", "what GET /v1/example/hello says"},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "example", .version = "0.1.0",
		 .summary = "Notes per tenant: the template for plugin authors", .requires = NULL,
		 .config = config_keys, .init = example_init, .fini = example_fini);
