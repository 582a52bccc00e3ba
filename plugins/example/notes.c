/*
 * The example plugin's note routes: create, show, edit, purge, list and
 * find.  Each change is one atomic store mutation (version check,
 * idempotency key, index and counter in the same step); reads are bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "example.h"

#define LIST_LIMIT "49" /* the list route returns at most 50 notes: bounded cost */

/* ---- the request's context ------------------------------------------------ */

struct pending *pending_new(jd_req *req, const char *tenant, const char *id)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->req = req;
	snprintf(p->tenant, sizeof(p->tenant), "%s", tenant);
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->record, sizeof(p->record), "note:%s", p->id);
	return p;
}

void pending_free(struct pending *p)
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
	host->mut_free(p->mut);
	free(p);
}

void note_fail(struct pending *p, int rc)
{
	host->reply_rc(p->req, rc, "note");
	pending_free(p);
}

int dup_opt(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return s != NULL && *dst == NULL ? -1 : 0;
}

/* Runs cb once p's tenant key is loaded; otherwise replies rc for what and frees p. */
static void pending_keys_ready(struct pending *p, void (*cb)(int rc, void *arg), const char *what)
{
	int rc = host->keys_ready(self, p->tenant, cb, p);

	if (rc != JD_OK) {
		host->reply_rc(p->req, rc, what);
		pending_free(p);
	}
}

/*
 * A create's or an edit's context for note id: copies of the input's title,
 * text, source, idempotency key and scope.  NULL when it has replied
 * (invalid scope, out of memory).
 */
static struct pending *note_input(jd_req *req, const char *id)
{
	json_t *in = host->req_body(req);
	struct pending *p = pending_new(req, json_string_value(json_object_get(in, "tenant")), id);
	int rc = JD_E_NOMEM;

	if (p != NULL && !dup_opt(&p->title, json_string_value(json_object_get(in, "title"))) &&
	    !dup_opt(&p->text, json_string_value(json_object_get(in, "text"))) &&
	    !dup_opt(&p->source, json_string_value(json_object_get(in, "source"))) &&
	    !dup_opt(&p->idem, json_string_value(json_object_get(in, "idempotency_key"))))
		rc = scope_input(p, in);
	if (rc == JD_OK)
		return p;
	if (rc != JD_E_INVALID) /* JD_E_INVALID: already answered */
		host->reply_rc(req, rc, "note");
	if (p != NULL)
		pending_free(p);
	return NULL;
}

/* A context for the note named by the path, and its first read: cmd on its record (and field). */
static void note_read(jd_req *req, const char *tenant, const char *cmd, const char *field,
		      jd_read_cb cb)
{
	const char *id = host->req_param(req, "id");
	struct pending *p = pending_new(req, tenant, id);
	char record[80];
	const char *argv[3] = {cmd, record, field};
	int rc;

	if (p == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "note");
		return;
	}
	snprintf(record, sizeof(record), "note:%.64s", id); /* the id as given, not p->id */
	rc = host->store_read(self, tenant, field ? 3 : 2, argv, cb, p);
	if (rc != JD_OK)
		note_fail(p, rc);
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

/* ---- POST /v1/example/notes --------------------------------------------- */

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
		/* example.note_created went out with the note, in the same step (none on a replay)
		 */
		if (!res->replayed) /* the sweep looks at this tenant's review deadlines */
			deadlines_note_tenant(p->tenant);
		host->reply_json(p->req, res->replayed ? 200 : 201,
				 json_pack("{s:s, s:I, s:b}", "id", note_id(res->record), "version",
					   (json_int_t)res->version, "replayed", res->replayed));
	}
	pending_free(p);
}

/* The note's fields, set in m: title, author, sealed text and source, scope. */
static void create_fields(struct jd_mut *m, struct pending *p, const char *rkey, const char *sealed,
			  const char *sealed_source)
{
	const char *opt[][2] = {{"text", sealed},
				{"source", sealed_source},
				{"unit", p->unit},
				{"groups", p->groups},
				{"deny", p->deny}};
	char date[11];

	host->mut_set(m, "title", p->title);
	host->mut_set(m, "created_by", host->req_principal(p->req));
	host->mut_setf(m, "created_at", "%lld", (long long)time(NULL));
	host->day_format(p->day, date);
	host->mut_set(m, "date", date); /* the day the note is dated: what it counts on */
	host->mut_set(m, RKEY_FIELD, rkey);
	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		if (opt[i][1] != NULL)
			host->mut_set(m, opt[i][0], opt[i][1]);
}

/*
 * The tenant's key is loaded: create the note's record key, seal the text
 * (tenant key) and the source (record key), index the title, and store it
 * all in one step built with the host's mutation builder, with the note's
 * first state, its review deadline, its counters and its durable event.
 */
static void create_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	char score[32], idem_key[96], by_title[64];
	char *sealed = NULL, *rkey = NULL, *sealed_source = NULL;
	char scope[SCOPE_MAX];
	struct jd_mut *m = NULL;
	json_t *payload;

	if (rc != JD_OK)
		goto fail;
	/* the client's key is scoped to this action, so another route's key cannot collide */
	if (p->idem != NULL)
		snprintf(idem_key, sizeof(idem_key), "example.note:%s", p->idem);
	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	if ((rc = seal_text(p, &sealed)) != JD_OK ||
	    (rc = seal_source(p, &rkey, &sealed_source)) != JD_OK ||
	    (rc = title_index_key(p->tenant, p->title, by_title, sizeof(by_title))) != JD_OK)
		goto fail;
	if ((m = host->mut_new()) == NULL) {
		rc = JD_E_NOMEM;
		goto fail;
	}
	create_fields(m, p, rkey, sealed, sealed_source);
	scope_join(scope, p->unit, p->groups, p->deny);
	host->mut_op(m, JD_OP_ZADD, "notes:by_time", p->id, score); /* an index */
	host->mut_op(m, JD_OP_HSET, "notes:titles", p->id, p->title);
	host->mut_op(m, JD_OP_SADD, by_title, p->id, NULL);
	host->mut_op(m, JD_OP_HINCRBY, "notes:stats", "created", "1");
	host->mut_op(m, JD_OP_HSET, "notes:scope", p->id, scope);
	note_enter(m, p->id, p->unit, p->day); /* state "draft", its deadline, counted */
	/* a durable event: written with the note or not at all (payload: ids, never text) */
	payload = json_pack("{s:s, s:s}", "tenant", p->tenant, "id", p->id);
	if (payload == NULL)
		host->mut_fail(m);			     /* mut_submit answers JD_E_NOMEM */
	host->mut_event(m, "example.note_created", payload); /* stolen */
	rc = host->mut_submit(self, m,
			      &(const struct jd_mutation){
				  .tenant = p->tenant,
				  .record = p->record,
				  .expect_version = JD_VERSION_NEW,
				  .idempotency_key = p->idem ? idem_key : NULL,
				  .req = p->req,
				  .action = "example.note.create",
			      },
			      on_created, p);
	if (rc == JD_OK)
		goto cleanup;
fail:
	note_fail(p, rc);
cleanup:
	host->mut_free(m); /* submitted: the store copied it */
	free(sealed);
	free(rkey);
	free(sealed_source);
}

void create_note(jd_req *req, void *arg)
{
	char id[33], err[200];
	struct pending *p;

	(void)arg;
	host->new_id(id);
	if ((p = note_input(req, id)) == NULL)
		return;
	/* a dated step: absent means today; never in the future */
	if (host->date_input("date",
			     json_string_value(json_object_get(host->req_body(req), "date")), -1,
			     NULL, &p->day, err, sizeof(err)) != JD_OK) {
		host->reply_error(req, 400, "invalid", "%s", err);
		pending_free(p);
		return;
	}
	pending_keys_ready(p, create_keys_ready, "note");
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
	} else if (note_found(p, json_array_size(result) != 0, field_of(result, "unit"),
			      field_of(result, "groups"), field_of(result, "deny"))) {
		note = note_from_fields(p->id, result);
		if (json_object_get(note, "text") == NULL &&
		    json_object_get(note, "source") == NULL) { /* nothing sealed to open */
			host->reply_json(p->req, 200, note);
		} else {
			json_decref(note);
			p->fields = json_incref(result);
			pending_keys_ready(p, show_keys_ready, "note");
			return;
		}
	}
	pending_free(p);
}

void show_note(jd_req *req, void *arg)
{
	(void)arg;
	note_read(req, host->req_param(req, "tenant"), "HGETALL", NULL, on_note_read);
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
 * A note moved to another unit takes its counts along (-1 here, +1 there,
 * on the days it was counted), so the unit's figures and the recount,
 * which counts a note under its unit (recount.c), still agree.
 */
static void move_counts(struct jd_mut *m, const char *from, const char *to, const char *date,
			const char *published)
{
	jd_day d;

	if (strcmp(from ? from : "", to ? to : "") == 0)
		return;
	if (host->day_parse(date, &d) == JD_OK) {
		count_created(m, from, d, -1);
		count_created(m, to, d, 1);
	}
	if (host->day_parse(published, &d) == JD_OK) {
		count_published(m, from, d, -1);
		count_published(m, to, d, 1);
	}
}

/*
 * Seals the new text, moves the note between title index entries (and its
 * counts between units), stores it all in one step.  The old title was read before: if the note
 * changed since, the version check refuses the whole step.
 */
static void edit_apply(struct pending *p)
{
	char key[64], scope[SCOPE_MAX];
	char *sealed = NULL;
	int rc;

	if ((p->mut = host->mut_new()) == NULL) {
		rc = JD_E_NOMEM;
		goto fail;
	}
	if ((rc = seal_text(p, &sealed)) != JD_OK)
		goto fail;
	if (sealed != NULL)
		host->mut_set(p->mut, "text", sealed);
	if (p->title != NULL) {
		host->mut_set(p->mut, "title", p->title);
		host->mut_op(p->mut, JD_OP_HSET, "notes:titles", p->id, p->title);
		if (p->old_title != NULL) {
			if ((rc = title_index_key(p->tenant, p->old_title, key, sizeof(key))) !=
			    JD_OK)
				goto fail;
			host->mut_op(p->mut, JD_OP_SREM, key, p->id, NULL);
		}
		if ((rc = title_index_key(p->tenant, p->title, key, sizeof(key))) != JD_OK)
			goto fail;
		host->mut_op(p->mut, JD_OP_SADD, key, p->id, NULL);
	}
	if (p->unit != NULL || p->groups != NULL || p->deny != NULL) {
		/* p->fields: [title, unit, groups, deny, date, published] as read (edit_keys_ready)
		 */
		const char *was = json_string_value(json_array_get(p->fields, 1));
		const char *unit = p->unit ? p->unit : was;
		const char *groups =
		    p->groups ? p->groups : json_string_value(json_array_get(p->fields, 2));
		const char *deny =
		    p->deny ? p->deny : json_string_value(json_array_get(p->fields, 3));

		host->mut_set(p->mut, "unit", unit ? unit : "");
		host->mut_set(p->mut, "groups", groups ? groups : "");
		host->mut_set(p->mut, "deny", deny ? deny : "");
		scope_join(scope, unit, groups, deny);
		host->mut_op(p->mut, JD_OP_HSET, "notes:scope", p->id, scope);
		move_counts(p->mut, was, unit, json_string_value(json_array_get(p->fields, 4)),
			    json_string_value(json_array_get(p->fields, 5)));
	}
	rc = host->mut_submit(self, p->mut,
			      &(const struct jd_mutation){.tenant = p->tenant,
							  .record = p->record,
							  .expect_version = p->version,
							  .req = p->req,
							  .action = "example.note.update"},
			      on_updated, p);
	if (rc == JD_OK)
		goto cleanup;
fail:
	note_fail(p, rc);
cleanup:
	free(sealed);
}

/*
 * result: [title, unit, groups, deny, date, published] of the note.  An absent note and one
 * the caller may not see answer the same 404; a hidden one is audited.
 */
static void on_old_fields(int rc, json_t *result, void *arg)
{
	struct pending *p = arg;
	const char *title = json_string_value(json_array_get(result, 0));

	if (rc != JD_OK) {
		note_fail(p, rc);
		return;
	}
	if (!note_found(p, title != NULL, json_string_value(json_array_get(result, 1)),
			json_string_value(json_array_get(result, 2)),
			json_string_value(json_array_get(result, 3)))) {
		pending_free(p);
		return;
	}
	if (p->title != NULL && dup_opt(&p->old_title, title)) {
		note_fail(p, JD_E_NOMEM);
		return;
	}
	p->fields = json_incref(result);
	edit_apply(p);
}

/* Reads what the edit needs first: the old title (index), the note's scope and its count days. */
static void edit_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	const char *argv[8] = {"HMGET",	 p->record, "title", "unit",
			       "groups", "deny",    "date",  "published"};

	if (rc == JD_OK)
		rc = host->store_read(self, p->tenant, 8, argv, on_old_fields, p);
	if (rc != JD_OK)
		note_fail(p, rc);
}

void edit_note(jd_req *req, void *arg)
{
	json_int_t version = json_integer_value(json_object_get(host->req_body(req), "version"));
	struct pending *p;

	(void)arg;
	if (version < 1) {
		host->reply_error(req, 400, "invalid", "field 'version' must be at least 1");
		return;
	}
	if ((p = note_input(req, host->req_param(req, "id"))) == NULL)
		return;
	p->version = version;
	pending_keys_ready(p, edit_keys_ready, "note");
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
	char when[32];
	const char *set[] = {"purged_at", when, NULL};
	const char *del[] = {RKEY_FIELD, "source", "text", NULL};

	if (rc != JD_OK)
		goto fail;
	/* [_v, unit, groups, deny]: a purge is a change, so scope and recusal apply */
	if (!note_found(p, json_is_string(json_array_get(result, 0)),
			json_string_value(json_array_get(result, 1)),
			json_string_value(json_array_get(result, 2)),
			json_string_value(json_array_get(result, 3)))) {
		pending_free(p);
		return;
	}
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL));
	rc = host->store_mutate(
	    self,
	    &(const struct jd_mutation){.tenant = p->tenant,
					.record = p->record,
					.expect_version =
					    atoll(json_string_value(json_array_get(result, 0))),
					.set = set,
					.del = del,
					.req = p->req,
					.action = "example.note.purge"},
	    on_purged, p);
	if (rc == JD_OK)
		return;
fail:
	note_fail(p, rc);
}

void purge_note(jd_req *req, void *arg)
{
	const char *tenant = json_string_value(json_object_get(host->req_body(req), "tenant"));
	struct pending *p = pending_new(req, tenant, host->req_param(req, "id"));
	const char *argv[6] = {"HMGET", NULL, "_v", "unit", "groups", "deny"};
	int rc;

	(void)arg;
	if (p == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "note");
		return;
	}
	argv[1] = p->record;
	rc = host->store_read(self, tenant, 6, argv, on_purge_version, p);
	if (rc != JD_OK)
		note_fail(p, rc);
}

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

/*
 * One step of the listing: keeps result in *slot, then reads hash for the
 * listed ids (cb next).  Replies and frees l when rc or that read fails.
 */
static void listing_next(struct listing *l, int rc, json_t **slot, json_t *result, const char *hash,
			 jd_read_cb cb)
{
	if (rc == JD_OK) {
		*slot = json_incref(result);
		rc = read_by_ids(l, hash, cb);
		if (rc == JD_OK)
			return;
	}
	host->reply_rc(l->req, rc, "notes");
	listing_free(l);
}

static void on_titles(int rc, json_t *result, void *arg)
{
	struct listing *l = arg;

	listing_next(l, rc, &l->titles, result, "notes:scope", on_scopes);
}

static void on_ids(int rc, json_t *result, void *arg)
{
	struct listing *l = arg;

	if (rc == JD_OK && json_array_size(result) == 0) {
		host->reply_json(l->req, 200, json_pack("{s:[]}", "notes"));
		listing_free(l);
		return;
	}
	listing_next(l, rc, &l->ids, result, "notes:titles", on_titles);
}

/*
 * The listing of the ids that argv reads (a ZREVRANGE or SMEMBERS); JD_OK
 * and it replies later, or an error (nothing replied).
 */
static int listing_start(jd_req *req, const char *tenant, int argc, const char **argv)
{
	struct listing *l = calloc(1, sizeof(*l));
	int rc;

	if (l == NULL)
		return JD_E_NOMEM;
	l->req = req;
	snprintf(l->tenant, sizeof(l->tenant), "%s", tenant);
	rc = host->store_read(self, tenant, argc, argv, on_ids, l);
	if (rc != JD_OK)
		free(l);
	return rc;
}

void list_notes(jd_req *req, void *arg)
{
	const char *tenant = host->req_param(req, "tenant");
	const char *argv[] = {"ZREVRANGE", "notes:by_time", "0", LIST_LIMIT};
	int rc;

	(void)arg;
	rc = listing_start(req, tenant, 4, argv);
	if (rc != JD_OK)
		host->reply_rc(req, rc, "notes");
}

/* ---- GET /v1/example/notes/find ------------------------------------------ */

/*
 * "Which notes have this title?" without the title in Redis: the blind
 * index of the normalised title names the set of ids, and the listing
 * above filters them by scope.  The template for "has this person been
 * reported before?".
 */
static void find_keys_ready(int rc, void *arg)
{
	struct pending *p = arg;
	char key[64];
	const char *argv[2] = {"SMEMBERS", key};

	if (rc == JD_OK)
		rc = title_index_key(p->tenant, p->title, key, sizeof(key));
	if (rc == JD_OK)
		rc = listing_start(p->req, p->tenant, 2, argv);
	if (rc != JD_OK)
		host->reply_rc(p->req, rc, "notes");
	pending_free(p);
}

void find_notes(jd_req *req, void *arg)
{
	struct pending *p;

	(void)arg;
	p = pending_new(req, host->req_param(req, "tenant"), "");
	if (p == NULL || dup_opt(&p->title, host->req_param(req, "title"))) {
		host->reply_rc(req, JD_E_NOMEM, "notes");
		if (p != NULL)
			pending_free(p);
		return;
	}
	pending_keys_ready(p, find_keys_ready, "notes");
}
