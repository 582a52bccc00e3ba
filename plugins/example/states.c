/*
 * A note's life, declared as data for the host's state machine
 * (docs/plugins.md, "States and proposals"):
 *
 *   draft --publish (proposed; a leader approves or rejects)--> published
 *   published --archive (dated)--> archived
 *
 * An action the table does not allow from the note's state answers 409
 * naming the allowed ones; a proposal waits in the note's field "pending"
 * until a leader approves it (the step takes effect, dated by the
 * approval) or rejects it (the note stays a draft).  A draft has a review
 * deadline (deadlines.c); a publication is counted (counters.c).  Each
 * step reads the note, then applies one mutation built with the host's
 * mutation builder, refused if the note changed in between (its version).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

static const struct jd_transition note_table[] = {
    {"draft", "publish", "published", 1, NULL},
    {"published", "archive", "archived", 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct jd_state note_states[] = {
    {"draft", "review_days", 14}, /* a deadline: config key, default days */
    {"published", NULL, 0},
    {"archived", NULL, 0},
    {NULL, NULL, 0},
};

const struct jd_machine note_machine = {"note", "notes", note_states, note_table, &note_deadlines};

void note_enter(struct jd_mut *m, const char *id, const char *unit, jd_day d)
{
	host->machine_move(self, &note_machine, m, id, NULL, "draft", d);
	count_created(m, unit, d, 1);
}

/* ---- reading the note, applying the step ------------------------------------- */

/* An input field: the body's (POST) or the query's. */
static const char *in_str(jd_req *req, const char *name)
{
	const char *v = json_string_value(json_object_get(host->req_body(req), name));

	return v ? v : host->req_param(req, name);
}

/* The loaded note's field, "" when absent. */
static const char *rec_str(const struct pending *p, const char *name)
{
	const char *v = json_string_value(json_object_get(p->fields, name));

	return v ? v : "";
}

static void refused(struct pending *p, const struct jd_refusal *r)
{
	host->reply_error(p->req, r->status, r->code, "%s", r->message);
	pending_free(p);
}

static void on_stepped(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct pending *p = arg;

	if (rc == JD_E_CONFLICT)
		host->reply_error(p->req, 409, "conflict",
				  "note %s changed meanwhile; read it again and retry", p->id);
	else if (rc != JD_OK)
		host->reply_rc(p->req, rc, "note");
	else
		host->reply_json(p->req, 200,
				 json_pack("{s:s, s:I, s:s}", "id", p->id, "version",
					   (json_int_t)res->version, "state", p->state));
	pending_free(p);
}

/* Applies p->mut to the note as read (its version), leaving it in `state`. */
static void step_submit(struct pending *p, const char *state, const char *action)
{
	int rc;

	snprintf(p->state, sizeof(p->state), "%s", state);
	rc = host->mut_submit(self, p->mut,
			      &(const struct jd_mutation){.tenant = p->tenant,
							  .record = p->record,
							  .expect_version = p->version,
							  .req = p->req,
							  .action = action},
			      on_stepped, p);
	if (rc != JD_OK)
		note_fail(p, rc);
}

/* HGETALL's [field, value, ...] as the object the machine reads; the caller must see it. */
static void on_loaded(int rc, json_t *result, void *arg)
{
	struct pending *p = arg;

	if (rc != JD_OK) {
		note_fail(p, rc);
		return;
	}
	if ((p->fields = json_object()) == NULL || (p->mut = host->mut_new()) == NULL) {
		note_fail(p, JD_E_NOMEM);
		return;
	}
	for (size_t i = 0; i + 1 < json_array_size(result); i += 2)
		json_object_set(p->fields, json_string_value(json_array_get(result, i)),
				json_array_get(result, i + 1));
	if (!note_found(p, json_array_size(result) != 0, rec_str(p, "unit"), rec_str(p, "groups"),
			rec_str(p, "deny"))) {
		pending_free(p);
		return;
	}
	p->version = atoll(rec_str(p, "_v"));
	p->next(p);
}

/* The route's note ({id} of the path), read and checked, then next. */
static void step_route(jd_req *req, void (*next)(struct pending *p))
{
	const char *id = host->req_param(req, "id");
	struct pending *p;
	const char *argv[2] = {"HGETALL", NULL};
	int rc;

	if ((p = pending_new(req, in_str(req, "tenant"), id)) == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "note");
		return;
	}
	if (strlen(id) >= sizeof(p->id)) { /* not an id this plugin made */
		reply_not_found(p);
		pending_free(p);
		return;
	}
	p->next = next;
	argv[1] = p->record;
	rc = host->store_read(self, p->tenant, 2, argv, on_loaded, p);
	if (rc != JD_OK)
		note_fail(p, rc);
}

/* ---- POST /v1/example/notes/{id}/publish: propose ----------------------------- */

static void publish_loaded(struct pending *p)
{
	struct jd_refusal r;
	json_t *pending;
	int rc;

	rc = host->proposal_open(&note_machine, p->fields, p->id, "publish", NULL, NULL, p->req,
				 &pending, &r);
	if (rc == JD_E_CONFLICT || rc == JD_E_INVALID) {
		refused(p, &r); /* another proposal waits, or the state does not allow it */
		return;
	}
	if (rc != JD_OK) {
		note_fail(p, rc);
		return;
	}
	host->proposal_put(p->mut, pending);
	json_decref(pending);
	step_submit(p, rec_str(p, "state"), "example.note.propose.publish");
}

void publish_note(jd_req *req, void *arg)
{
	(void)arg;
	step_route(req, publish_loaded);
}

/* ---- POST /v1/example/notes/{id}/approve and /reject: a leader decides -------- */

static void approve_loaded(struct pending *p)
{
	const struct jd_transition *t;
	struct jd_refusal r;
	json_t *pending;
	char date[11];
	int rc;

	rc = host->proposal_approve(&note_machine, p->fields, p->id, in_str(p->req, "date"), p->req,
				    p->mut, &t, &pending, &p->day, &r);
	if (rc == JD_E_CONFLICT || rc == JD_E_INVALID) {
		refused(p, &r); /* nothing waits, or a bad date */
		return;
	}
	if (rc != JD_OK) {
		note_fail(p, rc);
		return;
	}
	json_decref(pending); /* a publication takes no arguments */
	/* the step, its date, its deadline leaving and its counter: one mutation */
	host->machine_move(self, &note_machine, p->mut, p->id, rec_str(p, "state"), t->to, p->day);
	host->day_format(p->day, date);
	host->mut_set(p->mut, "published", date);
	count_published(p->mut, rec_str(p, "unit"), p->day, 1);
	step_submit(p, t->to, "example.note.approve.publish");
}

static void reject_loaded(struct pending *p)
{
	struct jd_refusal r;

	if (host->proposal_reject(&note_machine, p->fields, p->id, in_str(p->req, "reason"), p->req,
				  p->mut, &r) != JD_OK) {
		refused(p, &r);
		return;
	}
	step_submit(p, rec_str(p, "state"), "example.note.reject");
}

void approve_note(jd_req *req, void *arg)
{
	(void)arg;
	step_route(req, approve_loaded);
}

void reject_note(jd_req *req, void *arg)
{
	(void)arg;
	step_route(req, reject_loaded);
}

/* ---- POST /v1/example/notes/{id}/archive: a dated step without approval ------- */

static void archive_loaded(struct pending *p)
{
	struct jd_refusal r;
	jd_day since;
	char err[200];

	if (host->proposal_none(&note_machine, p->fields, p->id, &r) != 0 ||
	    host->machine_step(&note_machine, p->id, rec_str(p, "state"), "archive", &r) == NULL) {
		refused(p, &r);
		return;
	}
	if (host->day_parse(rec_str(p, "state_since"), &since) != JD_OK)
		since = -1;
	/* absent: today; never in the future, nor before the note was published */
	if (host->date_input("date", in_str(p->req, "date"), since, "the note was published",
			     &p->day, err, sizeof(err)) != JD_OK) {
		host->reply_error(p->req, 400, "invalid", "%s", err);
		pending_free(p);
		return;
	}
	host->machine_move(self, &note_machine, p->mut, p->id, rec_str(p, "state"), "archived",
			   p->day);
	step_submit(p, "archived", "example.note.archive");
}

void archive_note(jd_req *req, void *arg)
{
	(void)arg;
	step_route(req, archive_loaded);
}
