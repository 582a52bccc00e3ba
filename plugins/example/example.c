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
 *
 * The note's source (who told us: the template for a reporter's identity)
 * is sealed under the note's own record key (record_key_new, seal_rk,
 * open_rk), kept wrapped in the note's field RKEY_FIELD.  Purging the note
 * deletes that field: from then on no copy of the sealed source opens, in
 * Redis or in a backup, once every copy of the wrapped key is gone
 * (crypto-shredding, docs/security.md).
 */
#define RECORD_TYPE	     "note"
#define READ_TEXT_PERMISSION "example.read"
#define RKEY_FIELD	     "rkey"

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
	char *source;	    /* create: sensitive, sealed under the note's record key; wiped */
	char *idem;	    /* create */
	char *old_title;    /* edit: the title being replaced (its index entry goes) */
	json_int_t version; /* edit */
	json_t *fields;	    /* show: the record read, until its text is opened */
	char *unit;	    /* create and edit: the note's scope, copies of the input */
	char *groups;
	char *deny;
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
	free_secret(p->source);
	free(p->idem);
	free(p->old_title);
	free(p->unit);
	free(p->groups);
	free(p->deny);
	json_decref(p->fields);
	free(p);
}

/* strdup of an optional string: 0 on success (also for NULL), -1 out of memory. */
static int dup_opt(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return s != NULL && *dst == NULL ? -1 : 0;
}

/* ---- record scope ------------------------------------------------------------- */

/*
 * A note may name its unit, groups and deny list (fields "unit", "groups",
 * "deny"); the core decides who sees it (record_visible).  A copy
 * "unit|groups|deny" per note in the hash "notes:scope" lets the list
 * route filter its 50 notes with one more HMGET, not one read per note.
 */
#define SCOPE_MAX (64 + 1 + 256 + 1 + 256 + 1)

/* NULL or "": valid.  Otherwise [A-Za-z0-9._-], and ',' between entries of a list. */
static int scope_text_valid(const char *s, int list)
{
	for (; s != NULL && *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-' ||
		      (list && *s == ',')))
			return 0;
	return 1;
}

static void scope_join(char out[SCOPE_MAX], const char *unit, const char *groups, const char *deny)
{
	snprintf(out, SCOPE_MAX, "%.64s|%.256s|%.256s", unit ? unit : "", groups ? groups : "",
		 deny ? deny : "");
}

/* "unit|groups|deny" (or NULL: none) -> its three parts, "" when absent. */
static void scope_split(const char *v, char unit[65], char groups[257], char deny[257])
{
	const char *a = v ? strchr(v, '|') : NULL, *b = a ? strchr(a + 1, '|') : NULL;

	unit[0] = groups[0] = deny[0] = '\0';
	if (a == NULL || b == NULL)
		return;
	snprintf(unit, 65, "%.*s", (int)(a - v < 64 ? a - v : 64), v);
	snprintf(groups, 257, "%.*s", (int)(b - a - 1 < 256 ? b - a - 1 : 256), a + 1);
	snprintf(deny, 257, "%.256s", b + 1);
}

/*
 * Whether the caller sees note id.  audited: a read or change of this one
 * note (a hidden one is audited by the core); 0: filtering a list.  A host
 * without record_visible hides everything (fail closed).
 */
static int note_visible(jd_req *req, const char *tenant, const char *id, const char *unit,
			const char *groups, const char *deny, int audited)
{
	char target[80];

	if (host->record_visible == NULL)
		return 0;
	snprintf(target, sizeof(target), "note:%.64s", id);
	return host->record_visible(req, audited ? target : NULL, tenant, unit, groups, deny);
}

/* In HGETALL's [field, value, ...]: the value of name, or NULL. */
static const char *field_of(json_t *arr, const char *name)
{
	for (size_t i = 0; i + 1 < json_array_size(arr); i += 2)
		if (json_is_string(json_array_get(arr, i)) &&
		    strcmp(json_string_value(json_array_get(arr, i)), name) == 0)
			return json_string_value(json_array_get(arr, i + 1));
	return NULL;
}

/* Copies the optional scope fields of the input; JD_E_INVALID (replied) or JD_E_NOMEM. */
static int scope_input(struct pending *p, json_t *in)
{
	const char *unit = json_string_value(json_object_get(in, "unit"));
	const char *groups = json_string_value(json_object_get(in, "groups"));
	const char *deny = json_string_value(json_object_get(in, "deny"));

	if (!scope_text_valid(unit, 0) || !scope_text_valid(groups, 1) ||
	    !scope_text_valid(deny, 1)) {
		host->reply_error(p->req, 400, "invalid",
				  "fields 'unit', 'groups' and 'deny' take ids of [A-Za-z0-9._-], "
				  "groups and deny comma-separated");
		return JD_E_INVALID;
	}
	if (dup_opt(&p->unit, unit) || dup_opt(&p->groups, groups) || dup_opt(&p->deny, deny))
		return JD_E_NOMEM;
	return JD_OK;
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

/*
 * The tenant's key is loaded: create the note's record key, seal the text
 * (tenant key) and the source (record key), index the title, store it all
 * in one step.
 */
static void create_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	char record[64], score[32], idem_key[96], by_title[64];
	char *sealed = NULL, *rkey = NULL, *sealed_source = NULL;
	const char *set[19];
	size_t n = 0;
	char scope[SCOPE_MAX];

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
	if (host->record_key_new == NULL || host->seal_rk == NULL) {
		rc = JD_ERR; /* a host without record keys */
		goto fail;
	}
	if ((rkey = host->record_key_new(self, p->tenant, RECORD_TYPE, p->id)) == NULL) {
		rc = errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
		goto fail;
	}
	if (p->source != NULL &&
	    (sealed_source = host->seal_rk(self, p->tenant, RECORD_TYPE, p->id, "source", rkey,
					   p->source)) == NULL) {
		rc = errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
		goto fail;
	}
	if ((rc = title_index_key(p->tenant, p->title, by_title, sizeof(by_title))) != JD_OK)
		goto fail;
	set[n++] = "title";
	set[n++] = p->title;
	set[n++] = "created_by";
	set[n++] = host->req_principal(p->req);
	set[n++] = "created_at";
	set[n++] = score;
	set[n++] = RKEY_FIELD;
	set[n++] = rkey;
	if (sealed != NULL) {
		set[n++] = "text";
		set[n++] = sealed;
	}
	if (sealed_source != NULL) {
		set[n++] = "source";
		set[n++] = sealed_source;
	}
	if (p->unit != NULL) {
		set[n++] = "unit";
		set[n++] = p->unit;
	}
	if (p->groups != NULL) {
		set[n++] = "groups";
		set[n++] = p->groups;
	}
	if (p->deny != NULL) {
		set[n++] = "deny";
		set[n++] = p->deny;
	}
	scope_join(scope, p->unit, p->groups, p->deny);
	set[n] = NULL;
	{
		const struct jd_op ops[] = {
		    {JD_OP_ZADD, "notes:by_time", p->id, score},
		    {JD_OP_HSET, "notes:titles", p->id, p->title},
		    {JD_OP_SADD, by_title, p->id, NULL},
		    {JD_OP_HINCRBY, "notes:stats", "created", "1"},
		    {JD_OP_HSET, "notes:scope", p->id, scope},
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
	if (rc == JD_OK)
		goto cleanup;
fail:
	host->reply_rc(p->req, rc, "note");
	pending_free(p);
cleanup:
	free(sealed);
	free(rkey);
	free(sealed_source);
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
	    dup_opt(&p->source, json_string_value(json_object_get(in, "source"))) ||
	    dup_opt(&p->idem, json_string_value(json_object_get(in, "idempotency_key")))) {
		rc = JD_E_NOMEM;
		goto fail;
	}
	if ((rc = scope_input(p, in)) != JD_OK) {
		if (rc == JD_E_INVALID) { /* already answered */
			pending_free(p);
			return;
		}
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

/*
 * HGETALL gives [field, value, ...]; hidden fields start with "_" except
 * the version; the wrapped record key is not shown either.
 */
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
		else if (k[0] != '_' && strcmp(k, RKEY_FIELD) != 0)
			json_object_set_new(note, k, json_string(v));
	}
	return note;
}

/*
 * Replaces the sealed `field` of note by its plaintext, or drops it when
 * the caller may not read it.  under_rkey 0: sealed under the tenant key
 * (open); otherwise under the record key that rkey holds (open_rk; rkey
 * NULL when the note has none: purged, so it does not open).  JD_OK (also when the
 * note has no such field), JD_E_FORBIDDEN when it does not open,
 * JD_E_UNAVAILABLE (key not loaded) or JD_E_NOMEM.
 */
static int open_into(struct pending *p, json_t *note, const char *field, int under_rkey,
		     const char *rkey)
{
	const char *sealed = json_string_value(json_object_get(note, field));
	char *plain;

	if (sealed == NULL)
		return JD_OK;
	if (under_rkey && host->open_rk == NULL)
		return JD_E_FORBIDDEN; /* a host without record keys */
	if (under_rkey)
		plain = host->open_rk(self, p->req, READ_TEXT_PERMISSION, p->tenant, RECORD_TYPE,
				      p->id, field, rkey, sealed);
	else
		plain = host->open(self, p->req, READ_TEXT_PERMISSION, p->tenant, RECORD_TYPE,
				   p->id, field, sealed);
	if (plain != NULL) {
		json_object_set_new(note, field, json_string(plain));
		host->plain_free(plain);
		return JD_OK;
	}
	if (errno == EACCES) {
		json_object_del(note, field); /* not for this caller */
		return JD_OK;
	}
	if (errno == EAGAIN)
		return JD_E_UNAVAILABLE;
	return errno == ENOMEM ? JD_E_NOMEM : JD_E_FORBIDDEN;
}

/*
 * The key is loaded: open the text and the source for callers allowed to
 * read them, then reply.  A text that does not open fails the request; a
 * source that does not open (its record key was purged, or is another
 * note's) is dropped and reported as "source_unreadable": true.
 */
static void show_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	json_t *note = NULL;

	if (rc != JD_OK)
		goto fail;
	note = note_from_fields(p->id, p->fields);
	if (note == NULL) {
		rc = JD_E_NOMEM;
		goto fail;
	}
	rc = open_into(p, note, "text", 0, NULL);
	if (rc == JD_E_FORBIDDEN) {
		host->reply_error(p->req, 500, "unreadable_field",
				  "field 'text' of note %s cannot be opened (altered, or "
				  "not sealed for this record); see the log",
				  p->id);
		goto done;
	}
	if (rc != JD_OK)
		goto fail;
	rc = open_into(p, note, "source", 1, field_of(p->fields, RKEY_FIELD));
	if (rc == JD_E_FORBIDDEN) {
		json_object_del(note, "source");
		json_object_set_new(note, "source_unreadable", json_true());
		rc = JD_OK;
	}
	if (rc != JD_OK)
		goto fail;
	host->reply_json(p->req, 200, note);
	note = NULL; /* stolen */
	goto done;
fail:
	host->reply_rc(p->req, rc, "note");
done:
	json_decref(note);
	pending_free(p);
}

static void on_note_read(int rc, json_t *result, void *arg)
{
	struct pending *p = arg;
	json_t *note;

	if (rc != JD_OK) {
		host->reply_rc(p->req, rc, "note");
	} else if (json_array_size(result) == 0 ||
		   !note_visible(p->req, p->tenant, p->id, field_of(result, "unit"),
				 field_of(result, "groups"), field_of(result, "deny"), 1)) {
		/* hidden answers exactly as absent */
		host->reply_error(p->req, 404, "not_found", "no note %s in tenant %s", p->id,
				  p->tenant);
	} else {
		note = note_from_fields(p->id, result);
		if (json_object_get(note, "text") == NULL &&
		    json_object_get(note, "source") == NULL) { /* nothing sealed to open */
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
	const char *set[11] = {NULL};
	struct jd_op ops[4];
	size_t n = 0, n_ops = 0;
	char record[80], old_key[64], new_key[64], scope[SCOPE_MAX];
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
	if (p->unit != NULL || p->groups != NULL || p->deny != NULL) {
		/* p->fields: [title, unit, groups, deny] as read before (edit_keys_ready) */
		const char *unit =
		    p->unit ? p->unit : json_string_value(json_array_get(p->fields, 1));
		const char *groups =
		    p->groups ? p->groups : json_string_value(json_array_get(p->fields, 2));
		const char *deny =
		    p->deny ? p->deny : json_string_value(json_array_get(p->fields, 3));

		set[n++] = "unit";
		set[n++] = unit ? unit : "";
		set[n++] = "groups";
		set[n++] = groups ? groups : "";
		set[n++] = "deny";
		set[n++] = deny ? deny : "";
		scope_join(scope, unit, groups, deny);
		ops[n_ops++] = (struct jd_op){JD_OP_HSET, "notes:scope", p->id, scope};
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
	if (rc == JD_OK)
		goto cleanup;
fail:
	host->reply_rc(p->req, rc, "note");
	pending_free(p);
cleanup:
	free(sealed);
}

/*
 * result: [title, unit, groups, deny] of the note.  An absent note and one
 * the caller may not see answer the same 404; a hidden one is audited.
 */
static void on_old_fields(int rc, json_t *result, void *arg)
{
	struct pending *p = arg;
	const char *title = json_string_value(json_array_get(result, 0));

	if (rc != JD_OK) {
		host->reply_rc(p->req, rc, "note");
		goto fail;
	}
	if (title == NULL ||
	    !note_visible(p->req, p->tenant, p->id, json_string_value(json_array_get(result, 1)),
			  json_string_value(json_array_get(result, 2)),
			  json_string_value(json_array_get(result, 3)), 1)) {
		host->reply_error(p->req, 404, "not_found", "no note %s in tenant %s", p->id,
				  p->tenant);
		goto fail;
	}
	if (p->title != NULL && dup_opt(&p->old_title, title)) {
		host->reply_rc(p->req, JD_E_NOMEM, "note");
		goto fail;
	}
	p->fields = json_incref(result);
	edit_apply(p);
	return;
fail:
	pending_free(p);
}

/* Reads what the edit needs first: the old title (index) and the note's scope. */
static void edit_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	char record[80];
	const char *argv[6] = {"HMGET", record, "title", "unit", "groups", "deny"};

	if (rc != JD_OK)
		goto fail;
	snprintf(record, sizeof(record), "note:%.64s", p->id);
	rc = host->store_read(self, p->tenant, 6, argv, on_old_fields, p);
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
	if ((rc = scope_input(p, in)) != JD_OK) {
		if (rc == JD_E_INVALID) { /* already answered */
			pending_free(p);
			return;
		}
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

/* ---- POST /v1/example/notes/{id}/purge ------------------------------------ */

/*
 * Crypto-shredding: deletes the note's wrapped record key, its source
 * (sealed under that key) and its text in one mutation, and marks the note
 * purged.  Every other copy of the sealed source (AOF history, backups) is
 * unreadable once no copy of the wrapped key is left.  The note's version
 * is read first, so a purge never creates a note that did not exist.
 */
static void on_purged(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct pending *p = arg;

	if (rc == JD_E_CONFLICT)
		host->reply_error(p->req, 409, "conflict",
				  "note %s was changed while being purged; try again", p->id);
	else if (rc != JD_OK)
		host->reply_rc(p->req, rc, "note");
	else
		host->reply_json(p->req, 200,
				 json_pack("{s:s, s:I, s:b}", "id", p->id, "version",
					   (json_int_t)res->version, "purged", 1));
	pending_free(p);
}

static void on_purge_version(int rc, json_t *result, void *arg)
{
	struct pending *p = arg;
	char record[80], when[32];
	const char *set[] = {"purged_at", when, NULL};
	const char *del[] = {RKEY_FIELD, "source", "text", NULL};

	if (rc != JD_OK)
		goto fail;
	if (!json_is_string(result)) {
		host->reply_error(p->req, 404, "not_found", "no note %s in tenant %s", p->id,
				  p->tenant);
		pending_free(p);
		return;
	}
	snprintf(record, sizeof(record), "note:%.64s", p->id);
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL));
	rc = host->store_mutate(
	    self,
	    &(const struct jd_mutation){.tenant = p->tenant,
					.record = record,
					.expect_version = atoll(json_string_value(result)),
					.set = set,
					.del = del,
					.req = p->req,
					.action = "example.note.purge"},
	    on_purged, p);
	if (rc == JD_OK)
		return;
fail:
	host->reply_rc(p->req, rc, "note");
	pending_free(p);
}

static void purge_note(jd_req *req, void *arg)
{
	json_t *in = host->req_body(req);
	const char *tenant = json_string_value(json_object_get(in, "tenant"));
	const char *id = host->req_param(req, "id");
	char record[80];
	const char *argv[3] = {"HGET", record, "_v"};
	struct pending *p;
	int rc;

	(void)arg;
	p = pending_new(req, tenant, id);
	if (p == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "note");
		return;
	}
	snprintf(record, sizeof(record), "note:%.64s", id);
	rc = host->store_read(self, tenant, 3, argv, on_purge_version, p);
	if (rc != JD_OK) {
		pending_free(p);
		host->reply_rc(req, rc, "note");
	}
}

/* ---- GET /v1/example/notes/find ------------------------------------------ */

/*
 * "Which notes have this title?" without the title in Redis: the blind
 * index of the normalised title names the set of ids.  The template for
 * "has this person been reported before?".
 */
/* ---- GET /v1/example/notes ------------------------------------------------ */

/*
 * Three reads, whatever the number of notes (at most 50): the ids
 * (ZREVRANGE), their titles (one HMGET of "notes:titles"), their scopes
 * (one HMGET of "notes:scope"); the notes the caller may not see are left
 * out (not audited: a list is not an attempt on one note).
 */
struct listing {
	jd_req *req;
	char tenant[65];
	json_t *ids;
	json_t *titles;
};

static void listing_free(struct listing *l)
{
	json_decref(l->ids);
	json_decref(l->titles);
	free(l);
}

/* HMGET hash <the listed ids>: JD_OK and cb runs later, or an error (cb does not run). */
static int read_by_ids(struct listing *l, const char *hash, jd_read_cb cb)
{
	const char *argv[2 + 50] = {"HMGET", hash};
	size_t n = json_array_size(l->ids);

	if (n > 50)
		n = 50;
	for (size_t i = 0; i < n; i++)
		argv[2 + i] = json_string_value(json_array_get(l->ids, i));
	return host->store_read(self, l->tenant, (int)(2 + n), argv, cb, l);
}

static void on_scopes(int rc, json_t *result, void *arg)
{
	struct listing *l = arg;
	json_t *notes = NULL;
	char unit[65], groups[257], deny[257];

	if (rc != JD_OK) {
		host->reply_rc(l->req, rc, "notes");
		goto cleanup;
	}
	if ((notes = json_array()) == NULL) {
		host->reply_rc(l->req, JD_E_NOMEM, "notes");
		goto cleanup;
	}
	for (size_t i = 0; i < json_array_size(l->ids) && i < 50; i++) {
		const char *id = json_string_value(json_array_get(l->ids, i));

		scope_split(json_string_value(json_array_get(result, i)), unit, groups, deny);
		if (id == NULL || !note_visible(l->req, l->tenant, id, unit, groups, deny, 0))
			continue;
		if (json_array_append_new(notes, json_pack("{s:s, s:O}", "id", id, "title",
							   json_array_get(l->titles, i))) != 0) {
			host->reply_rc(l->req, JD_E_NOMEM, "notes");
			goto cleanup;
		}
	}
	host->reply_json(l->req, 200, json_pack("{s:O}", "notes", notes));
cleanup:
	json_decref(notes);
	listing_free(l);
}

static void on_titles(int rc, json_t *result, void *arg)
{
	struct listing *l = arg;

	if (rc == JD_OK) {
		l->titles = json_incref(result);
		rc = read_by_ids(l, "notes:scope", on_scopes);
		if (rc == JD_OK)
			return;
	}
	host->reply_rc(l->req, rc, "notes");
	listing_free(l);
}

static void on_ids(int rc, json_t *result, void *arg)
{
	struct listing *l = arg;

	if (rc != JD_OK || json_array_size(result) == 0) {
		if (rc != JD_OK)
			host->reply_rc(l->req, rc, "notes");
		else
			host->reply_json(l->req, 200, json_pack("{s:[]}", "notes"));
		listing_free(l);
		return;
	}
	l->ids = json_incref(result);
	rc = read_by_ids(l, "notes:titles", on_titles);
	if (rc != JD_OK) {
		host->reply_rc(l->req, rc, "notes");
		listing_free(l);
	}
}

/*
 * GET /v1/example/notes/find: "which notes have this title?" without the
 * title in Redis: the blind index of the normalised title names the set of
 * ids, and the listing above filters them by scope.  The template for "has
 * this person been reported before?".
 */
static void find_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	struct listing *l = NULL;
	char key[64];
	const char *argv[2] = {"SMEMBERS", key};

	if (rc == JD_OK)
		rc = title_index_key(p->tenant, p->title, key, sizeof(key));
	if (rc == JD_OK && (l = calloc(1, sizeof(*l))) == NULL)
		rc = JD_E_NOMEM;
	if (rc == JD_OK) {
		l->req = p->req;
		snprintf(l->tenant, sizeof(l->tenant), "%s", p->tenant);
		rc = host->store_read(self, p->tenant, 2, argv, on_ids, l);
	}
	if (rc != JD_OK) {
		host->reply_rc(p->req, rc, "notes");
		free(l);
	}
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
    {"source", JD_FIELD_STRING, 0, 200,
     "who told us (sealed under the note's own key: purge destroys it)", 1},
    {"unit", JD_FIELD_STRING, 0, 64, "the unit the note belongs to (scope)", 0},
    {"groups", JD_FIELD_STRING, 0, 256, "groups that see it, comma-separated (scope)", 0},
    {"deny", JD_FIELD_STRING, 0, 256, "users who must never see it, comma-separated (recusal)", 0},
    {"idempotency_key", JD_FIELD_STRING, 0, 64, "retry key: a retry returns the first result", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field edit_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"title", JD_FIELD_STRING, 0, 200, "new title", 0},
    {"text", JD_FIELD_STRING, 0, 4000, "new text (sealed)", 1},
    {"unit", JD_FIELD_STRING, 0, 64, "new unit (scope)", 0},
    {"groups", JD_FIELD_STRING, 0, 256, "new groups, comma-separated (scope)", 0},
    {"deny", JD_FIELD_STRING, 0, 256, "new deny list, comma-separated user ids (recusal)", 0},
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
    {"POST", "/v1/example/notes/{id}/purge", "example.write",
     "Purge a note: destroy its record key, source and text (crypto-shredding)",
     "example notes purge", tenant_only, 0, purge_note, NULL},
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
