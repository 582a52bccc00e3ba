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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jiandu/plugin.h>

#define LIST_LIMIT "49" /* the list route returns at most 50 notes: bounded cost */

static const struct jd_host *host;
static jd_plugin_handle *self;
static unsigned long long notes_created_seen; /* counted from our own events */

/* ---- sealed fields ------------------------------------------------------------ */

/*
 * The note's text is sensitive: the core seals it (keys_ready, then seal)
 * before it is stored, and opens it only for callers holding
 * READ_TEXT_PERMISSION.  The title gets a blind index, so "which notes
 * have this title" is answered without the title in any index key.
 */
#define RECORD_TYPE	     "note"
#define READ_TEXT_PERMISSION "example.read"

/* "notes:by_title:<blind index of title>": the ids of the notes with that title. */
static int title_index_key(const char *tenant, const char *title, char *out, size_t len)
{
	char blind[33];
	int rc = host->blind_index(self, tenant, RECORD_TYPE, "title", title, blind);

	if (rc == JD_OK)
		snprintf(out, len, "notes:by_title:%s", blind);
	return rc;
}

/* Frees a copy of something a user typed into a sensitive field, wiping it first. */
static void free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* ---- POST /v1/example/notes --------------------------------------------- */

struct pending {
	jd_req *req;
	char id[33];
	char tenant[65];
	char *title;	    /* create and edit: copies of the input */
	char *text;	    /* sensitive: wiped when freed */
	char *idem;	    /* create */
	char *old_title;    /* edit: the title being replaced (its index entry goes) */
	json_int_t version; /* edit */
	json_t *fields;	    /* show: the record read, until its text is opened */
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

static void pending_free(struct pending *p)
{
	free(p->title);
	free_secret(p->text);
	free(p->idem);
	free(p->old_title);
	json_decref(p->fields);
	free(p);
}

/* strdup of an optional string: 0 on success (also for NULL), -1 out of memory. */
static int dup_opt(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return s != NULL && *dst == NULL ? -1 : 0;
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
	pending_free(p);
}

/* The tenant's key is loaded: seal the text, index the title, store it all in one step. */
static void create_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	char record[64], score[32], idem_key[96], by_title[64];
	char *sealed = NULL;

	if (rc != JD_OK)
		goto fail;
	snprintf(record, sizeof(record), "note:%s", p->id);
	/* the client's key is scoped to this action, so another route's key cannot collide */
	if (p->idem != NULL)
		snprintf(idem_key, sizeof(idem_key), "example.note:%s", p->idem);
	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	if (p->text != NULL &&
	    (sealed = host->seal(self, p->tenant, RECORD_TYPE, p->id, "text", p->text)) == NULL) {
		rc = errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
		goto fail;
	}
	if ((rc = title_index_key(p->tenant, p->title, by_title, sizeof(by_title))) != JD_OK)
		goto fail;
	{
		const char *set[] = {
		    "title",	  p->title, "created_by",	    host->req_principal(p->req),
		    "created_at", score,    sealed ? "text" : NULL, sealed,
		    NULL};
		const struct jd_op ops[] = {
		    {JD_OP_ZADD, "notes:by_time", p->id, score},
		    {JD_OP_HSET, "notes:titles", p->id, p->title},
		    {JD_OP_SADD, by_title, p->id, NULL},
		    {JD_OP_HINCRBY, "notes:stats", "created", "1"},
		};
		const struct jd_mutation m = {
		    .tenant = p->tenant,
		    .record = record,
		    .expect_version = JD_VERSION_NEW,
		    .idempotency_key = p->idem ? idem_key : NULL,
		    .set = set,
		    .ops = ops,
		    .n_ops = sizeof(ops) / sizeof(ops[0]),
		    .req = p->req,
		    .action = "example.note.create",
		};

		rc = host->store_mutate(self, &m, on_created, p);
	}
	free(sealed);
	if (rc == JD_OK)
		return;
fail:
	host->reply_rc(p->req, rc, "note");
	pending_free(p);
}

static void create_note(jd_req *req, void *arg)
{
	json_t *in = host->req_body(req);
	const char *tenant = json_string_value(json_object_get(in, "tenant"));
	char id[33];
	struct pending *p;
	int rc;

	(void)arg;
	host->new_id(id);
	p = pending_new(req, tenant, id);
	if (p == NULL || dup_opt(&p->title, json_string_value(json_object_get(in, "title"))) ||
	    dup_opt(&p->text, json_string_value(json_object_get(in, "text"))) ||
	    dup_opt(&p->idem, json_string_value(json_object_get(in, "idempotency_key")))) {
		rc = JD_E_NOMEM;
		goto fail;
	}
	rc = host->keys_ready(self, tenant, create_keys_ready, p);
	if (rc == JD_OK)
		return;
fail:
	host->reply_rc(req, rc, "note");
	if (p != NULL)
		pending_free(p);
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

/* The key is loaded: open the text for callers allowed to read it, then reply. */
static void show_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	json_t *note;
	const char *sealed;
	char *plain;

	if (rc != JD_OK) {
		host->reply_rc(p->req, rc, "note");
		goto done;
	}
	note = note_from_fields(p->id, p->fields);
	sealed = json_string_value(json_object_get(note, "text"));
	plain = host->open(self, p->req, READ_TEXT_PERMISSION, p->tenant, RECORD_TYPE, p->id,
			   "text", sealed);
	if (plain != NULL) {
		json_object_set_new(note, "text", json_string(plain));
		host->plain_free(plain);
	} else if (errno == EACCES) {
		json_object_del(note, "text"); /* not for this caller */
	} else {
		json_decref(note);
		if (errno == EAGAIN || errno == ENOMEM)
			host->reply_rc(p->req, errno == ENOMEM ? JD_E_NOMEM : JD_E_UNAVAILABLE,
				       "note");
		else
			host->reply_error(p->req, 500, "unreadable_field",
					  "field 'text' of note %s cannot be opened (altered, or "
					  "not sealed for this record); see the log",
					  p->id);
		goto done;
	}
	host->reply_json(p->req, 200, note);
done:
	pending_free(p);
}

static void on_note_read(int rc, json_t *result, void *arg)
{
	struct pending *p = arg;
	json_t *note;

	if (rc != JD_OK) {
		host->reply_rc(p->req, rc, "note");
	} else if (json_array_size(result) == 0) {
		host->reply_error(p->req, 404, "not_found", "no note %s in tenant %s", p->id,
				  p->tenant);
	} else {
		note = note_from_fields(p->id, result);
		if (json_object_get(note, "text") == NULL) { /* nothing sealed to open */
			host->reply_json(p->req, 200, note);
		} else {
			json_decref(note);
			p->fields = json_incref(result);
			rc = host->keys_ready(self, p->tenant, show_keys_ready, p);
			if (rc == JD_OK)
				return;
			host->reply_rc(p->req, rc, "note");
		}
	}
	pending_free(p);
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
		pending_free(p);
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
	pending_free(p);
}

/*
 * Seals the new text, moves the note between title index entries, stores
 * it all in one step.  The old title was read before: if the note changed
 * since, the version check refuses the whole step.
 */
static void edit_apply(struct pending *p)
{
	const char *set[5] = {NULL};
	struct jd_op ops[3];
	size_t n = 0, n_ops = 0;
	char record[80], old_key[64], new_key[64];
	char *sealed = NULL;
	int rc = JD_OK;

	if (p->text != NULL) {
		sealed = host->seal(self, p->tenant, RECORD_TYPE, p->id, "text", p->text);
		if (sealed == NULL) {
			rc = errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
			goto fail;
		}
		set[n++] = "text";
		set[n++] = sealed;
	}
	if (p->title != NULL) {
		set[n++] = "title";
		set[n++] = p->title;
		ops[n_ops++] = (struct jd_op){JD_OP_HSET, "notes:titles", p->id, p->title};
		if (p->old_title != NULL) {
			if ((rc = title_index_key(p->tenant, p->old_title, old_key,
						  sizeof(old_key))) != JD_OK)
				goto fail;
			ops[n_ops++] = (struct jd_op){JD_OP_SREM, old_key, p->id, NULL};
		}
		if ((rc = title_index_key(p->tenant, p->title, new_key, sizeof(new_key))) != JD_OK)
			goto fail;
		ops[n_ops++] = (struct jd_op){JD_OP_SADD, new_key, p->id, NULL};
	}
	snprintf(record, sizeof(record), "note:%.64s", p->id);
	rc = host->store_mutate(self,
				&(const struct jd_mutation){.tenant = p->tenant,
							    .record = record,
							    .expect_version = p->version,
							    .set = set,
							    .ops = ops,
							    .n_ops = n_ops,
							    .req = p->req,
							    .action = "example.note.update"},
				on_updated, p);
	free(sealed);
	if (rc == JD_OK)
		return;
fail:
	host->reply_rc(p->req, rc, "note");
	pending_free(p);
}

static void on_old_title(int rc, json_t *result, void *arg)
{
	struct pending *p = arg;

	if (rc != JD_OK) {
		host->reply_rc(p->req, rc, "note");
		pending_free(p);
		return;
	}
	if (json_is_string(result) && dup_opt(&p->old_title, json_string_value(result))) {
		host->reply_rc(p->req, JD_E_NOMEM, "note");
		pending_free(p);
		return;
	}
	edit_apply(p);
}

static void edit_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	char record[80];
	const char *argv[3] = {"HGET", record, "title"};

	if (rc != JD_OK)
		goto fail;
	if (p->title == NULL) {
		edit_apply(p);
		return;
	}
	snprintf(record, sizeof(record), "note:%.64s", p->id);
	rc = host->store_read(self, p->tenant, 3, argv, on_old_title, p);
	if (rc == JD_OK)
		return;
fail:
	host->reply_rc(p->req, rc, "note");
	pending_free(p);
}

static void edit_note(jd_req *req, void *arg)
{
	json_t *in = host->req_body(req);
	const char *tenant = json_string_value(json_object_get(in, "tenant"));
	json_int_t version = json_integer_value(json_object_get(in, "version"));
	const char *id = host->req_param(req, "id");
	struct pending *p;
	int rc;

	(void)arg;
	if (version < 1) {
		host->reply_error(req, 400, "invalid", "field 'version' must be at least 1");
		return;
	}
	p = pending_new(req, tenant, id);
	if (p == NULL || dup_opt(&p->title, json_string_value(json_object_get(in, "title"))) ||
	    dup_opt(&p->text, json_string_value(json_object_get(in, "text")))) {
		rc = JD_E_NOMEM;
		goto fail;
	}
	p->version = version;
	rc = host->keys_ready(self, tenant, edit_keys_ready, p);
	if (rc == JD_OK)
		return;
fail:
	host->reply_rc(req, rc, "note");
	if (p != NULL)
		pending_free(p);
}

/* ---- GET /v1/example/notes/find ------------------------------------------ */

/*
 * "Which notes have this title?" without the title in Redis: the blind
 * index of the normalised title names the set of ids.  The template for
 * "has this person been reported before?".
 */
static void on_found(int rc, json_t *result, void *arg)
{
	struct pending *p = arg;

	if (rc != JD_OK)
		host->reply_rc(p->req, rc, "notes");
	else
		host->reply_json(p->req, 200, json_pack("{s:O}", "ids", result));
	pending_free(p);
}

static void find_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	char key[64];
	const char *argv[2] = {"SMEMBERS", key};

	if (rc == JD_OK)
		rc = title_index_key(p->tenant, p->title, key, sizeof(key));
	if (rc == JD_OK)
		rc = host->store_read(self, p->tenant, 2, argv, on_found, p);
	if (rc == JD_OK)
		return;
	host->reply_rc(p->req, rc, "notes");
	pending_free(p);
}

static void find_notes(jd_req *req, void *arg)
{
	const char *tenant = host->req_param(req, "tenant");
	struct pending *p;
	int rc;

	(void)arg;
	p = pending_new(req, tenant, "");
	if (p == NULL || dup_opt(&p->title, host->req_param(req, "title"))) {
		rc = JD_E_NOMEM;
		goto fail;
	}
	rc = host->keys_ready(self, tenant, find_keys_ready, p);
	if (rc == JD_OK)
		return;
fail:
	host->reply_rc(req, rc, "notes");
	if (p != NULL)
		pending_free(p);
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
    {"text", JD_FIELD_STRING, 0, 4000, "the note (sealed)", 1},
    {"idempotency_key", JD_FIELD_STRING, 0, 64, "retry key: a retry returns the first result", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field edit_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"title", JD_FIELD_STRING, 0, 200, "new title", 0},
    {"text", JD_FIELD_STRING, 0, 4000, "new text (sealed)", 1},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field find_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"title", JD_FIELD_STRING, 1, 200, "the title (case and full-width forms do not matter)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route routes[] = {
    {"POST", "/v1/example/notes", "example.write", "Add a note", "example notes add", create_fields,
     0, create_note, NULL},
    {"GET", "/v1/example/notes", "example.read", "List the latest 50 notes", "example notes list",
     tenant_only, 0, list_notes, NULL},
    {"GET", "/v1/example/notes/{id}", "example.read", "Show a note", "example notes show",
     tenant_only, 0, show_note, NULL},
    {"GET", "/v1/example/notes/find", "example.read", "Find the notes with a title (blind index)",
     "example notes find", find_fields, 0, find_notes, NULL},
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
