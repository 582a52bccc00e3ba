/*
 * Cases (立案): filing a lead whose verification ended in "file", show and
 * list.
 *
 * The number is unique per tenant and year ("2026-0042") because it IS the
 * record's key: "case:2026-0042" is created with JD_VERSION_NEW, so two
 * filings that pick the same number cannot both succeed; the loser reads
 * the year's counter ("cases:seq", field YYYY) again and tries the next.
 * The same mutation moves the lead to "filed" and counts the case; its
 * idempotency key "cases.file:<lead>" makes a second filing of the same
 * lead (a retry, or a race) return the first case instead of a second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cases.h"

#define FILE_TRIES 20

static void file_next(struct ctx *c);

static void on_filed(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *k = arg; /* the case's context; its aux holds the lead's */
	struct ctx *c = (struct ctx *)(void *)k->route;
	const char *no;

	k->route = NULL;
	if (rc == JD_E_CONFLICT && res != NULL && res->version == 0) {
		/* the new case's number was free: the lead's own check failed */
		ctx_free(k);
		ctx_conflict(c, "conflict",
			     "lead %s was changed while it was being filed: read it "
			     "again and file it",
			     c->id);
		return;
	}
	if (rc == JD_E_CONFLICT && ++c->tries < FILE_TRIES) {
		ctx_free(k);
		file_next(c); /* the number was taken: read the counter again */
		return;
	}
	if (rc != JD_OK) {
		ctx_free(k);
		ctx_fail(c, rc);
		return;
	}
	no = strncmp(res->record, "case:", 5) == 0 ? res->record + 5 : res->record;
	ctx_reply(c, res->replayed ? 200 : 201,
		  json_pack("{s:s, s:s, s:I, s:s, s:b, s:b}", "case", no, "lead", c->id, "version",
			    (json_int_t)res->version, "state", "filed", "self_handled",
			    json_is_true(json_object_get(c->aux, "self")), "replayed",
			    res->replayed));
	ctx_free(k);
}

/* The lead's side of the filing, as ops of the case's mutation. */
static void lead_ops(struct ctx *c, struct ctx *k)
{
	char score[24], date[11], version[24];

	host->day_format(c->day, date);
	/* filed from the lead as read: a recusal accepted meanwhile must reach the case */
	snprintf(version, sizeof(version), "%lld", c->version);
	host->mut_op(k->m, JD_OP_CHECK, c->record, NULL, version);
	host->mut_op(k->m, JD_OP_HSET, c->record, "state", "filed");
	host->mut_op(k->m, JD_OP_HSET, c->record, "state_since", date);
	host->mut_op(k->m, JD_OP_HSET, c->record, "case", k->id);
	host->mut_op(k->m, JD_OP_HSET, c->record, "due", "");
	/* the lead's version moves too: a change prepared on the lead before is refused */
	host->mut_op(k->m, JD_OP_HINCRBY, c->record, "_v", "1");
	host->mut_op(k->m, JD_OP_ZREM, "leads:state:to_file", c->id, NULL);
	snprintf(score, sizeof(score), "%ld", host->day_number(c->day));
	host->mut_op(k->m, JD_OP_ZADD, "leads:state:filed", c->id, score);
	host->deadline_drop(&lead_machine, k->m, c->id, "to_file");
	host->deadline_drop(&lead_machine, k->m, c->id, "transfer");
}

/* The persons: the lead's subjects chosen, sealed again for the case (seals bind the record). */
static int persons_ops(struct ctx *c, struct ctx *k)
{
	json_t *subjects = c->aux2, *s;
	size_t i;
	long long n = 0;
	char field[32], member[80];

	snprintf(member, sizeof(member), "case:%s", k->id);
	json_array_foreach(subjects, i, s)
	{
		char *sealed = NULL;
		int rc;

		if (!json_is_true(json_object_get(s, "chosen")))
			continue;
		snprintf(field, sizeof(field), "person.%lld", ++n);
		json_object_del(s, "chosen");
		rc = subject_seal(k, s, field, &sealed);
		if (rc == JD_OK)
			rc = subject_index_ops(k, s, member);
		json_object_set_new(s, "chosen", json_true());
		if (rc != JD_OK) {
			free(sealed);
			return rc;
		}
		host->mut_set(k->m, field, sealed);
		free(sealed);
	}
	host->mut_setf(k->m, "persons", "%lld", n);
	return JD_OK;
}

static int case_fields(struct ctx *c, struct ctx *k, long seq)
{
	json_t *f = c->aux;
	const char *filing = json_string_value(json_object_get(f, "filing_unit"));
	const char *handling = json_string_value(json_object_get(f, "handling_unit"));
	int self_handled = json_is_true(json_object_get(f, "self"));
	char date[11], score[24], year[8];

	host->day_format(c->day, date);
	snprintf(year, sizeof(year), "%d", host->day_year(c->day));
	host->mut_set(k->m, "lead", c->id);
	host->mut_set(k->m, "filing_unit", filing);
	host->mut_set(k->m, "handling_unit", handling);
	host->mut_set(k->m, "joint_units", json_string_value(json_object_get(f, "joint_units")));
	host->mut_set(k->m, "filing_kind", json_string_value(json_object_get(f, "filing_kind")));
	host->mut_set(k->m, "self_handled", self_handled ? "1" : "0");
	host->mut_set(k->m, "unit", handling);
	host->mut_set(k->m, "groups", json_string_value(json_object_get(f, "groups")));
	host->mut_set(k->m, "deny", rec_str(c, "deny"));
	host->mut_set(k->m, "handler", rec_str(c, "handler"));
	host->mut_set(k->m, "team", rec_str(c, "team"));
	/* who handled the lead, for a review's separation of duties (review_events.c) */
	host->mut_set(k->m, "lead_handler", rec_str(c, "handler"));
	host->mut_set(k->m, "lead_team", rec_str(c, "team"));
	host->mut_set(k->m, "filed", date);
	host->mut_set(k->m, "year", year);
	host->mut_setf(k->m, "seq", "%ld", seq);
	host->mut_set(k->m, "decided", "0");
	host->mut_set(k->m, "created_by", host->req_principal(c->req));
	host->mut_set(k->m, "late", c->late ? "1" : "0");
	host->mut_op(k->m, JD_OP_HSET, "cases:seq", year, k->id + 5);
	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	host->mut_op(k->m, JD_OP_ZADD, "cases:all", k->id, score);
	move_state(k, NULL, "filed", c->day);
	cnt_case_filed(k->m, filing, self_handled, c->day, 1);
	lead_ops(c, k);
	return persons_ops(c, k);
}

static void on_seq(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg, *k;
	long seq;
	char no[32], idem[96], a[96];

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	seq = (json_is_string(result) ? atol(json_string_value(result)) : 0) + 1;
	if (seq > 9999) {
		ctx_conflict(c, "numbers_exhausted", "tenant %s filed 9999 cases this year",
			     c->tenant);
		return;
	}
	snprintf(no, sizeof(no), "%04d-%04ld", host->day_year(c->day), seq);
	if ((k = ctx_new(c->req, KIND_CASE, c->tenant, no)) == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	k->route = c;
	rc = case_fields(c, k, seq);
	snprintf(idem, sizeof(idem), "cases.file:%s", c->id);
	if (rc == JD_OK)
		rc = host->mut_submit(self, k->m,
				      &(const struct jd_mutation){
					  .tenant = c->tenant,
					  .record = k->record,
					  .expect_version = JD_VERSION_NEW,
					  .idempotency_key = idem,
					  .req = c->req,
					  .action = ctx_action(c, "cases.case.file", a, sizeof(a))},
				      on_filed, k);
	if (rc != JD_OK) {
		ctx_free(k);
		ctx_fail(c, rc);
	}
}

static void file_next(struct ctx *c)
{
	char year[8];
	const char *argv[3] = {"HGET", "cases:seq", year};
	int rc;

	snprintf(year, sizeof(year), "%d", host->day_year(c->day));
	rc = host->store_read(self, c->tenant, 3, argv, on_seq, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}

/* Each entry of "persons" a subject's number, 1..n; 0, or -1 (replied). */
static int persons_valid(struct ctx *c, const char *persons, size_t n)
{
	for (const char *p = persons; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		char *stop;
		unsigned long v;

		errno = 0;
		v = strtoul(p, &stop, 10);
		if (l == 0 || l > 6 || *p < '0' || *p > '9' || stop != p + l || errno != 0 ||
		    v < 1 || v > n) {
			ctx_invalid(
			    c,
			    "field 'persons': '%.*s' is not a subject of the lead; give their "
			    "numbers (1..%zu), comma-separated",
			    (int)(l < 16 ? l : 16), p, n);
			return -1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* Marks the chosen subjects ("persons": "1,3"; absent: all). 0 or -1 (replied). */
static int choose_persons(struct ctx *c)
{
	const char *persons = in_str(c, "persons");
	size_t i, chosen = 0;
	json_t *s;

	if (persons_valid(c, persons, json_array_size(c->aux2)) != 0)
		return -1;

	json_array_foreach(c->aux2, i, s)
	{
		char n[24];

		snprintf(n, sizeof(n), "%zu", i + 1);
		if (persons == NULL || csv_names(persons, n)) {
			json_object_set_new(s, "chosen", json_true());
			chosen++;
		}
	}
	if (chosen == 0) {
		ctx_invalid(c, "field 'persons': name subjects of the lead by number (1..%zu)",
			    json_array_size(c->aux2));
		return -1;
	}
	return 0;
}

static void file_keyed(struct ctx *c)
{
	json_t *subjects = NULL;
	int rc = subjects_open(c, "subject.", &subjects);

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	c->aux2 = subjects;
	if (choose_persons(c) == 0)
		file_next(c);
}

static void file_org(struct ctx *c)
{
	json_t *f = c->aux;
	const char *filing = json_string_value(json_object_get(f, "filing_unit"));
	const char *handling = json_string_value(json_object_get(f, "handling_unit"));
	const char *joint = json_string_value(json_object_get(f, "joint_units"));
	const char *kind;
	char err[200], unit[65];

	if (org_unit_check(c->org, "filing_unit", filing, err, sizeof(err)) != 0 ||
	    org_unit_check(c->org, "handling_unit", handling, err, sizeof(err)) != 0 ||
	    (in_str(c, "groups") != NULL &&
	     org_groups_check(c->org, "groups", in_str(c, "groups"), err, sizeof(err)) != 0)) {
		ctx_invalid(c, "%s", err);
		return;
	}
	for (const char *p = joint; p && *p;) {
		const char *end = strchr(p, ',');

		snprintf(unit, sizeof(unit), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		if (org_unit_check(c->org, "joint_units", unit, err, sizeof(err)) != 0) {
			ctx_invalid(c, "%s", err);
			return;
		}
		p = end ? end + 1 : NULL;
	}
	kind = json_string_value(json_object_get(org_unit(c->org, filing), "kind"));
	if (json_object_set_new(f, "filing_kind", json_string(kind ? kind : "")) != 0 ||
	    json_object_set_new(
		f, "self", json_boolean(case_self_handled(kind, filing, handling, joint))) != 0) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	ctx_keys(c, file_keyed);
}

static void file_loaded(struct ctx *c)
{
	const char *filing = in_str(c, "filing_unit"), *handling = in_str(c, "handling_unit");
	const char *joint = in_str(c, "joint_units"), *groups = in_str(c, "groups");
	char allowed[300], err[200];
	jd_day since;

	if (ctx_version(c) != 0)
		return;
	if (strcmp(rec_str(c, "state"), "filed") == 0 && rec_str(c, "case")[0]) {
		/* filing is idempotent: a retry answers the case the lead became */
		ctx_reply(c, 200,
			  json_pack("{s:s, s:s, s:I, s:s, s:b, s:b}", "case", rec_str(c, "case"),
				    "lead", c->id, "version", (json_int_t)c->version, "state",
				    "filed", "self_handled", 0, "replayed", 1));
		return;
	}
	if (host->machine_find(&lead_machine, rec_str(c, "state"), "file") == NULL) {
		host->machine_allowed(&lead_machine, rec_str(c, "state"), allowed, sizeof(allowed));
		ctx_conflict(c, "illegal_transition",
			     "lead %s is %s: 'file' is allowed only once its verification ended "
			     "in 'file' and a leader approved it; allowed: %s",
			     c->id, rec_str(c, "state"), allowed);
		return;
	}
	if (!ids_valid(filing, 0) || !ids_valid(handling, 0) || !csv_valid(joint, 64) ||
	    !csv_valid(groups, 64)) {
		ctx_invalid(c, "fields 'filing_unit', 'handling_unit', 'joint_units' and 'groups' "
			       "take codes of [A-Za-z0-9._-], lists comma-separated");
		return;
	}
	if (host->day_parse(rec_str(c, "state_since"), &since) != 0)
		since = -1;
	if (host->date_input("date", in_str(c, "date"), since, "the filing was approved", &c->day,
			     err, sizeof(err)) != 0) {
		ctx_invalid(c, "%s", err);
		return;
	}
	c->late = c->day < host->day_today();
	filing = filing && *filing ? filing : rec_str(c, "unit");
	handling = handling && *handling ? handling : filing;
	/* self-handled (自办) needs the filing unit's kind: decided in file_org */
	c->aux = json_pack("{s:s, s:s, s:s, s:s}", "filing_unit", filing, "handling_unit", handling,
			   "joint_units", joint ? joint : "", "groups",
			   groups ? groups : rec_str(c, "groups"));
	if (c->aux == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	ctx_org(c, file_org);
}

void case_file(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, KIND_LEAD, NULL, file_loaded);
}

/* ---- GET /v1/cases/cases/{id} -------------------------------------------------------------- */

/* The ledger fields "<prefix>.<n>" (JSON values) as an array. */
static json_t *ledger(const struct ctx *c, const char *prefix, const char *count)
{
	json_t *arr = json_array();
	char field[32];

	for (long long i = 1; arr != NULL && i <= rec_int(c, count); i++) {
		json_t *e;

		snprintf(field, sizeof(field), "%s.%lld", prefix, i);
		e = json_loads(rec_str(c, field), 0, NULL);
		if (e != NULL)
			json_array_append_new(arr, e);
	}
	return arr;
}

static void case_show_reply(struct ctx *c)
{
	json_t *o = rec_public(c);
	size_t i;
	json_t *p;

	if (o == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	json_array_foreach(c->aux2, i, p)
	{
		char field[32];
		json_t *d;

		snprintf(field, sizeof(field), "decision.%zu", i + 1);
		d = json_loads(rec_str(c, field), 0, NULL);
		if (d != NULL)
			json_object_set_new(p, "decision", d);
	}
	json_object_set(o, "persons", c->aux2);
	json_object_set_new(o, "measures", ledger(c, "measure", "measures"));
	if (rec_str(c, "pending")[0])
		json_object_set_new(o, "pending", json_loads(rec_str(c, "pending"), 0, NULL));
	for (size_t k = 0; k < 2; k++) {
		const char *f = k == 0 ? "plan" : "report";
		char *plain;

		if (rec_str(c, f)[0] == '\0')
			continue;
		plain =
		    host->open(self, c->req, PERM_READ, c->tenant, "case", c->id, f, rec_str(c, f));
		if (plain != NULL)
			json_object_set_new(o, f, json_string(plain));
		host->plain_free(plain);
	}
	json_object_set_new(o, "review_loaded", json_boolean(review_loaded()));
	/* the definition asked again, as the recount does: never an old case's own flag */
	json_object_set_new(
	    o, "self_handled",
	    json_string(case_self_handled(case_filing_kind(rec_str(c, "filing_kind"), c->org,
							   rec_str(c, "filing_unit")),
					  rec_str(c, "filing_unit"), rec_str(c, "handling_unit"),
					  rec_str(c, "joint_units"))
			    ? "1"
			    : "0"));
	ctx_reply(c, 200, o);
}

static void case_show_keyed(struct ctx *c)
{
	json_t *persons = NULL;
	int rc = subjects_open(c, "person.", &persons);

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	subjects_repeat(c, persons, case_show_reply);
	json_decref(persons);
}

static void case_show_org(struct ctx *c)
{
	ctx_keys(c, case_show_keyed);
}

/* A case filed before its filing unit's kind was kept needs the organization for self_handled. */
static void case_show_loaded(struct ctx *c)
{
	if (rec_str(c, "filing_kind")[0] == '\0')
		ctx_org(c, case_show_org);
	else
		ctx_keys(c, case_show_keyed);
}

void case_show(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, KIND_CASE, NULL, case_show_loaded);
}

void case_list(jd_req *req, void *arg)
{
	(void)arg;
	rec_list(req, KIND_CASE);
}
