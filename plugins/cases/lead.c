/*
 * Leads (问题线索): create, show, list, the reporter's identity and its
 * shredding.
 *
 * A lead's subjects and allegation are sealed under the tenant key; the
 * reporter's identity and contact under the lead's own record key
 * ("rkey", wrapped under the tenant key), so shredding it (deleting the
 * wrapped key) makes every copy unreadable, and it opens only for callers
 * holding cases.reporter.read, each open audited by the core.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "cases.h"

static const char *const sources[] = {
    "letters_visits",	"inspection_tour",    "audit", "judicial", "other_body",
    "self_supervision", "self_investigation", NULL};
static const char *const handlings[] = {"self", "transfer", "assign", "supervise", NULL};

static int one_of(const char *v, const char *const *list)
{
	for (; v != NULL && *list; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

/* ---- POST /v1/cases/leads --------------------------------------------------------------- */

static void on_lead_created(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;
	const char *id;

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	id = strncmp(res->record, "lead:", 5) == 0 ? res->record + 5 : res->record;
	if (!res->replayed)
		deadlines_note_tenant(c->tenant);
	ctx_reply(c, res->replayed ? 200 : 201,
		  json_pack("{s:s, s:I, s:s, s:b}", "id", id, "version", (json_int_t)res->version,
			    "state", "registered", "replayed", res->replayed));
}

/* The reporter's identity (name, contact) under a new record key; JD_OK or an error. */
static int seal_reporter(struct ctx *c)
{
	const char *name = in_str(c, "reporter_name"), *contact = in_str(c, "reporter_contact");
	json_t *r;
	char *text, *rkey, *sealed = NULL;
	int rc;

	if ((name == NULL || !*name) && (contact == NULL || !*contact))
		return JD_OK;
	if (host->record_key_new == NULL || host->seal_rk == NULL)
		return JD_ERR;
	r = json_pack("{s:s, s:s}", "name", name ? name : "", "contact", contact ? contact : "");
	text = r ? json_dumps(r, JSON_COMPACT) : NULL;
	json_decref(r);
	if (text == NULL)
		return JD_E_NOMEM;
	rkey = host->record_key_new(self, c->tenant, "lead", c->id);
	if (rkey != NULL)
		sealed = host->seal_rk(self, c->tenant, "lead", c->id, "reporter", rkey, text);
	/* errno of the failed call, before free and bzero may touch it */
	rc = sealed != NULL ? JD_OK : errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
	explicit_bzero(text, strlen(text));
	free(text);
	if (rc == JD_OK) {
		host->mut_set(c->m, "rkey", rkey);
		host->mut_set(c->m, "reporter", sealed);
	}
	free(rkey);
	free(sealed);
	return rc;
}

static int seal_allegation(struct ctx *c)
{
	char *sealed =
	    host->seal(self, c->tenant, "lead", c->id, "allegation", in_str(c, "allegation"));

	if (sealed == NULL)
		return errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
	host->mut_set(c->m, "allegation", sealed);
	free(sealed);
	return JD_OK;
}

static void lead_fields(struct ctx *c)
{
	const char *handling = in_str(c, "handling");
	char date[11];
	jd_day due;

	host->day_format(c->day, date);
	host->mut_set(c->m, "source", in_str(c, "source"));
	host->mut_set(c->m, "unit", in_str(c, "unit"));
	host->mut_set(c->m, "groups", in_str(c, "groups") ? in_str(c, "groups") : "");
	host->mut_set(c->m, "deny", "");
	host->mut_set(c->m, "handling", handling ? handling : "self");
	host->mut_set(c->m, "received", date);
	host->mut_set(c->m, "created_by", host->req_principal(c->req));
	host->mut_setf(c->m, "created_at", "%lld", (long long)time(NULL));
	host->mut_set(c->m, "late", c->late ? "1" : "0");
	host->mut_set(c->m, "subjects", "1");
	host->mut_set(c->m, "dispositions", "0");
	if (in_str(c, "transfer_to") != NULL)
		host->mut_set(c->m, "transfer_to", in_str(c, "transfer_to"));
	if (handling != NULL && strcmp(handling, "transfer") == 0 &&
	    host->day_parse(in_str(c, "transfer_due"), &due) == 0) {
		host->mut_set(c->m, "transfer_due", in_str(c, "transfer_due"));
		host->deadline_put(&lead_machine, c->m, c->id, "transfer", due);
	}
}

static void create_keyed(struct ctx *c)
{
	char err[200], idem[96], a[96], score[24];
	json_t *s = subject_from_input(c, "subject_", err, sizeof(err));
	char *sealed = NULL;
	int rc;

	if (s == NULL) {
		ctx_invalid(c, "%s", err);
		return;
	}
	rc = subject_seal(c, s, "subject.1", &sealed);
	if (rc == JD_OK)
		rc = subject_index_ops(c, s, c->record);
	json_decref(s);
	if (rc == JD_OK) {
		host->mut_set(c->m, "subject.1", sealed);
		rc = seal_allegation(c);
	}
	free(sealed);
	if (rc == JD_OK)
		rc = seal_reporter(c);
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	lead_fields(c);
	/* the index for recount and listings: creation order */
	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	host->mut_op(c->m, JD_OP_ZADD, "leads:all", c->id, score);
	move_state(c, NULL, "registered", c->day);
	cnt_lead_received(c->m, in_str(c, "unit"), in_str(c, "source"), c->day, 1);
	if (in_str(c, "idempotency_key") != NULL)
		snprintf(idem, sizeof(idem), "cases.lead:%s", in_str(c, "idempotency_key"));
	rc = host->mut_submit(self, c->m,
			      &(const struct jd_mutation){
				  .tenant = c->tenant,
				  .record = c->record,
				  .expect_version = JD_VERSION_NEW,
				  .idempotency_key = in_str(c, "idempotency_key") ? idem : NULL,
				  .req = c->req,
				  .action = ctx_action(c, "cases.lead.create", a, sizeof(a))},
			      on_lead_created, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}

static void create_org(struct ctx *c)
{
	char err[200];

	if (org_unit_check(c->org, "unit", in_str(c, "unit"), err, sizeof(err)) != 0 ||
	    org_groups_check(c->org, "groups", in_str(c, "groups"), err, sizeof(err)) != 0) {
		ctx_invalid(c, "%s", err);
		return;
	}
	ctx_keys(c, create_keyed);
}

/* What the store takes in a key (daemon/storage/store.c key_valid); absent is valid. */
static int idem_valid(const char *k)
{
	if (k == NULL)
		return 1;
	if (*k == '\0')
		return 0;
	for (; *k; k++)
		if ((unsigned char)*k <= 0x20 || (unsigned char)*k >= 0x7f || *k == '{' ||
		    *k == '}')
			return 0;
	return 1;
}

/* Checks what needs no storage; 0, or -1 when it replied. */
static int create_input(struct ctx *c)
{
	const char *source = in_str(c, "source"), *handling = in_str(c, "handling");
	char err[200];
	jd_day due;

	if (ctx_tenant_check(c) != 0)
		return -1;
	if (!one_of(source, sources)) {
		ctx_invalid(c,
			    "field 'source': '%.32s' is not a source (letters_visits, "
			    "inspection_tour, audit, judicial, other_body, self_supervision, "
			    "self_investigation)",
			    source ? source : "");
		return -1;
	}
	if (handling != NULL && !one_of(handling, handlings)) {
		ctx_invalid(c,
			    "field 'handling': '%.32s' is not a handling (self, transfer, assign, "
			    "supervise)",
			    handling);
		return -1;
	}
	if (!ids_valid(in_str(c, "unit"), 0) || !csv_valid(in_str(c, "groups"), 64)) {
		ctx_invalid(c, "fields 'unit' and 'groups' take codes of [A-Za-z0-9._-], groups "
			       "comma-separated");
		return -1;
	}
	if (!idem_valid(in_str(c, "idempotency_key"))) {
		ctx_invalid(c, "field 'idempotency_key': 1 to 64 printable ASCII characters, no "
			       "space and no braces");
		return -1;
	}
	if (host->date_input("received", in_str(c, "received"), -1, NULL, &c->day, err,
			     sizeof(err))) {
		ctx_invalid(c, "%s", err);
		return -1;
	}
	c->late = c->day < host->day_today();
	if (handling != NULL && strcmp(handling, "transfer") == 0 &&
	    (host->day_parse(in_str(c, "transfer_due"), &due) != 0 || due < c->day)) {
		ctx_invalid(c, "field 'transfer_due': a transferred lead needs the date its reply "
			       "is due (YYYY-MM-DD, not before the date received)");
		return -1;
	}
	return 0;
}

void lead_create(jd_req *req, void *arg)
{
	char id[33];
	struct ctx *c;

	(void)arg;
	host->new_id(id);
	if ((c = ctx_new(req, KIND_LEAD,
			 json_string_value(json_object_get(host->req_body(req), "tenant")), id)) ==
	    NULL) {
		host->reply_rc(req, JD_E_NOMEM, "lead");
		return;
	}
	if (create_input(c) == 0)
		ctx_org(c, create_org);
}

/* ---- GET /v1/cases/leads/{id} ------------------------------------------------------------- */

static void show_reply(struct ctx *c)
{
	json_t *o = rec_public(c);
	char *allegation = NULL, *report = NULL;

	if (o == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	json_object_set(o, "subjects", c->aux2);
	allegation = host->open(self, c->req, PERM_READ, c->tenant, "lead", c->id, "allegation",
				rec_str(c, "allegation"));
	if (allegation != NULL)
		json_object_set_new(o, "allegation", json_string(allegation));
	host->plain_free(allegation);
	if (rec_str(c, "report")[0]) {
		report = host->open(self, c->req, PERM_READ, c->tenant, "lead", c->id, "report",
				    rec_str(c, "report"));
		if (report != NULL)
			json_object_set_new(o, "report", json_string(report));
		host->plain_free(report);
	}
	json_object_set_new(
	    o, "reporter",
	    json_string(rec_str(c, "reporter")[0] ? "sealed (cases leads reporter)" : "none"));
	if (rec_str(c, "pending")[0])
		json_object_set_new(o, "pending", json_loads(rec_str(c, "pending"), 0, NULL));
	ctx_reply(c, 200, o);
}

static void show_keyed(struct ctx *c)
{
	json_t *subjects = NULL;
	int rc = subjects_open(c, "subject.", &subjects);

	if (rc != JD_OK) {
		if (rc == JD_ERR)
			host->reply_error(c->req, 500, "unreadable_field",
					  "a subject of lead %s cannot be opened; see the log",
					  c->id);
		else
			host->reply_rc(c->req, rc, "lead");
		ctx_free(c);
		return;
	}
	subjects_repeat(c, subjects, show_reply);
	json_decref(subjects);
}

static void show_loaded(struct ctx *c)
{
	ctx_keys(c, show_keyed);
}

void lead_show(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, KIND_LEAD, NULL, show_loaded);
}

/* ---- GET /v1/cases/leads ------------------------------------------------------------------ */

static void list_done(struct batch *b, void *arg)
{
	struct ctx *c = arg;
	json_t *out = json_array();
	static const char *const cols[] = {"state", "source",  "unit", "received",
					   "due",   "handler", "case"};

	for (size_t i = 0; b->rc == JD_OK && out != NULL && i < b->n; i++) {
		json_t *r = json_array_get(b->results, i), *row;

		/* HMGET: the columns, then unit groups deny again for scope */
		if (json_string_value(json_array_get(r, 0)) == NULL ||
		    !scope_visible(c->req, NULL, c->tenant, json_string_value(json_array_get(r, 2)),
				   json_string_value(json_array_get(r, 7)),
				   json_string_value(json_array_get(r, 8))))
			continue;
		row = json_pack("{s:O}", "id", json_array_get(c->aux, i));
		for (size_t k = 0; row != NULL && k < 7; k++) {
			const char *v = json_string_value(json_array_get(r, k));

			json_object_set_new(row, cols[k], json_string(v ? v : ""));
		}
		json_array_append_new(out, row);
	}
	if (b->rc != JD_OK) {
		json_decref(out);
		ctx_fail(c, b->rc);
	} else {
		ctx_reply(c, 200, out ? json_pack("{s:o}", kind_plural(c->kind), out) : NULL);
	}
	batch_free(b);
}

static void on_list_ids(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg;
	struct batch *b;

	if (rc != JD_OK || (b = batch_new(json_array_size(result), list_done, c)) == NULL) {
		ctx_fail(c, rc != JD_OK ? rc : JD_E_NOMEM);
		return;
	}
	c->aux = json_incref(result);
	for (size_t i = 0; i < json_array_size(result); i++) {
		char record[80];
		const char *argv[11] = {"HMGET", record,    "state", "source", "unit", "received",
					"due",	 "handler", "case",  "groups", "deny"};

		snprintf(record, sizeof(record), "%s:%s", kind_type(c->kind),
			 json_string_value(json_array_get(result, i)));
		if (c->kind == KIND_CASE) {
			argv[3] = "filing_unit";
			argv[5] = "filed";
			argv[8] = "lead";
		}
		batch_read(b, i, c->tenant, 11, argv);
	}
	batch_go(b);
}

/* The latest LIST_MAX leads or cases, of one state when asked; bounded reads. */
void rec_list(jd_req *req, enum rec_kind kind)
{
	struct ctx *c = ctx_new(req, kind, host->req_param(req, "tenant"), "");
	const char *state;
	char key[64], last[16];
	const char *argv[4] = {"ZREVRANGE", key, "0", last};
	long long limit;
	int rc;

	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, kind_plural(kind));
		return;
	}
	if (ctx_tenant_check(c) != 0)
		return;
	state = in_str(c, "state");
	limit = in_int(c, "limit", LIST_MAX);
	if (state != NULL && !(host->machine_state(machine_of(kind), state) != NULL)) {
		ctx_invalid(c, "field 'state': '%.32s' is not a state of a %s", state,
			    kind_type(kind));
		return;
	}
	if (limit < 1 || limit > LIST_MAX) {
		ctx_invalid(c, "field 'limit' must be between 1 and %d", LIST_MAX);
		return;
	}
	if (state != NULL)
		snprintf(key, sizeof(key), "%s:state:%s", kind_plural(kind), state);
	else
		snprintf(key, sizeof(key), "%s:all", kind_plural(kind));
	snprintf(last, sizeof(last), "%lld", limit - 1);
	rc = host->store_read(self, c->tenant, 4, argv, on_list_ids, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}

void lead_list(jd_req *req, void *arg)
{
	(void)arg;
	rec_list(req, KIND_LEAD);
}

/* ---- GET /v1/cases/leads/{id}/reporter ------------------------------------------------------ */

static void reporter_keyed(struct ctx *c)
{
	char *plain;
	json_t *r;

	if (rec_str(c, "reporter")[0] == '\0' || host->open_rk == NULL) {
		ctx_reply(c, 200,
			  json_pack("{s:s, s:s}", "id", c->id, "reporter",
				    rec_str(c, "shredded")[0] ? "shredded" : "none"));
		return;
	}
	plain = host->open_rk(self, c->req, PERM_REPORTER, c->tenant, "lead", c->id, "reporter",
			      rec_str(c, "rkey")[0] ? rec_str(c, "rkey") : NULL,
			      rec_str(c, "reporter"));
	if (plain == NULL) {
		if (errno == EACCES)
			host->reply_error(c->req, 403, "forbidden",
					  "reading a reporter's identity needs the permission %s",
					  PERM_REPORTER);
		else
			host->reply_error(c->req, 500, "unreadable_field",
					  "the reporter of lead %s cannot be opened; see the log",
					  c->id);
		ctx_free(c);
		return;
	}
	r = json_loads(plain, 0, NULL);
	host->plain_free(plain);
	ctx_reply(c, 200, r ? json_pack("{s:s, s:o}", "id", c->id, "reporter", r) : NULL);
}

static void reporter_loaded(struct ctx *c)
{
	ctx_keys(c, reporter_keyed);
}

void lead_reporter(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, KIND_LEAD, NULL, reporter_loaded);
}

/* ---- POST /v1/cases/leads/{id}/shred -------------------------------------------------------- */

/* Crypto-shredding: the wrapped record key and the reporter go in one mutation. */
static void shred_loaded(struct ctx *c)
{
	char when[32];

	if (ctx_version(c) != 0)
		return;
	if (rec_str(c, "rkey")[0] == '\0') {
		ctx_conflict(c, "nothing_to_shred", "lead %s holds no reporter identity", c->id);
		return;
	}
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL));
	host->mut_del(c->m, "rkey");
	host->mut_del(c->m, "reporter");
	host->mut_set(c->m, "shredded", when);
	ctx_submit(c, "cases.lead.reporter.shred");
}

void lead_shred(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, KIND_LEAD, NULL, shred_loaded);
}
