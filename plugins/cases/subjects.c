/*
 * Subjects (the persons a lead names, the persons of a case): name, ID
 * number, post and employer, sealed together as one JSON value per person
 * ("subject.<n>" of a lead, "person.<n>" of a case) under the tenant key.
 *
 * Repeat subjects: the blind index of the ID number and of the name
 * (record type "subject", so leads and cases share them) name the sorted
 * sets "subj:idn:<blind>:lead", "subj:idn:<blind>:case" and the same under
 * "subj:name:" of the records ("lead:<id>", "case:<no>") that name such a
 * person, scored by when they were indexed.  A permitted user learns that a
 * subject has earlier leads or cases without any plaintext in Redis and
 * without a plaintext search.  The sets grow with every record naming a
 * common name, so a request never reads one whole: ZCARD for the counts,
 * ZSCORE for the record's own membership, one bounded ZREVRANGE for the
 * latest records named.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "cases.h"

#define REPEAT_SHOW  50		      /* records named per answer, at most */
#define PREFIX_MAX   64		      /* "subj:<idn|name>:<32 hex>" */
#define KIND_KEY_MAX (PREFIX_MAX + 8) /* and ":lead" or ":case" */

static const char *const subject_parts[] = {"name", "id_number", "post", "employer"};

json_t *subject_from_input(struct ctx *c, const char *prefix, char *err, size_t len)
{
	json_t *s = json_object();
	char field[48];

	for (size_t i = 0; s != NULL && i < 4; i++) {
		const char *v;

		snprintf(field, sizeof(field), "%s%s", prefix, subject_parts[i]);
		v = in_str(c, field);
		if (i == 0 && (v == NULL || v[0] == '\0')) {
			snprintf(err, len, "field '%s' is required", field);
			json_decref(s);
			return NULL;
		}
		if (v != NULL && v[0] != '\0')
			json_object_set_new(s, subject_parts[i], json_string(v));
	}
	if (s == NULL)
		snprintf(err, len, "out of memory");
	return s;
}

int subject_seal(struct ctx *c, json_t *subject, const char *field, char **sealed)
{
	char *text = json_dumps(subject, JSON_COMPACT);

	*sealed = NULL;
	if (text == NULL)
		return JD_E_NOMEM;
	*sealed = host->seal(self, c->tenant, kind_type(c->kind), c->id, field, text);
	explicit_bzero(text, strlen(text));
	free(text);
	return *sealed ? JD_OK : (errno == ENOMEM ? JD_E_NOMEM : JD_ERR);
}

/* "subj:<what>:<blind index of value>" (the prefix of the per-kind sets) */
static int index_key(struct ctx *c, const char *what, const char *value, char *out, size_t len)
{
	char blind[33];
	int rc = host->blind_index(self, c->tenant, "subject",
				   strcmp(what, "idn") == 0 ? "id_number" : "name", value, blind);

	if (rc == JD_OK)
		snprintf(out, len, "subj:%s:%s", what, blind);
	return rc;
}

/* "<prefix>:lead" or "<prefix>:case" */
static void kind_key(char *out, size_t len, const char *prefix, enum rec_kind k)
{
	int n = snprintf(out, len, "%s:%s", prefix, kind_type(k));

	if (n < 0 || (size_t)n >= len)
		out[0] =
		    '\0'; /* cannot happen (PREFIX_MAX); an empty key is refused by the store */
}

int subject_index_ops(struct ctx *c, json_t *subject, const char *member)
{
	static const char *const what[2] = {"idn", "name"};
	const char *value[2] = {json_string_value(json_object_get(subject, "id_number")),
				json_string_value(json_object_get(subject, "name"))};
	char prefix[PREFIX_MAX], key[KIND_KEY_MAX], score[24];
	int rc;

	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	for (size_t i = 0; i < 2; i++) {
		if (value[i] == NULL || value[i][0] == '\0')
			continue;
		if ((rc = index_key(c, what[i], value[i], prefix, sizeof(prefix))) != JD_OK)
			return rc;
		kind_key(key, sizeof(key), prefix, c->kind);
		host->mut_op(c->m, JD_OP_ZADD, key, member, score);
	}
	return JD_OK;
}

int subjects_open(struct ctx *c, const char *prefix, json_t **out)
{
	long long n = rec_int(c, c->kind == KIND_LEAD ? "subjects" : "persons");
	json_t *arr = json_array();

	if (arr == NULL)
		return JD_E_NOMEM;
	for (long long i = 1; i <= n; i++) {
		char field[32];
		char *plain;
		json_t *s;

		snprintf(field, sizeof(field), "%s%lld", prefix, i);
		plain = host->open(self, c->req, PERM_READ, c->tenant, kind_type(c->kind), c->id,
				   field, rec_str(c, field));
		if (plain == NULL) {
			json_decref(arr);
			return errno == EACCES	 ? JD_E_FORBIDDEN
			       : errno == ENOMEM ? JD_E_NOMEM
						 : JD_ERR;
		}
		s = json_loads(plain, 0, NULL);
		host->plain_free(plain);
		if (!json_is_object(s)) {
			json_decref(s);
			json_decref(arr);
			return JD_ERR;
		}
		json_object_set_new(s, "n", json_integer(i));
		json_array_append_new(arr, s);
	}
	*out = arr;
	return JD_OK;
}

/* ---- earlier leads and cases of the same person ------------------------------------ */

/*
 * Per subject and index (ID number, name), three reads: ZCARD of the lead
 * set, ZCARD of the case set, ZSCORE of this record in its own kind's set
 * (so the record does not count itself).  Slot of read j:
 * ((subject * 2) + index) * 3 + j.
 */
#define REPEAT_READS 3

/* {"leads": n, "cases": m} from the reads at slot, the record itself left out */
static json_t *earlier_of(const struct ctx *c, json_t *results, size_t slot)
{
	json_int_t n[2] = {json_integer_value(json_array_get(results, slot)),
			   json_integer_value(json_array_get(results, slot + 1))};
	int own = json_is_string(json_array_get(results, slot + 2));
	size_t mine = c->kind == KIND_LEAD ? 0 : 1; /* n[0] leads, n[1] cases */

	if (own && n[mine] > 0)
		n[mine]--;
	return json_pack("{s:I, s:I}", "leads", n[0], "cases", n[1]);
}

static void repeat_done(struct batch *b, void *arg)
{
	struct ctx *c = arg;
	int rc;

	for (size_t i = 0; b->rc == JD_OK && i < json_array_size(c->aux2); i++) {
		json_t *s = json_array_get(c->aux2, i);
		size_t slot = 2 * i * REPEAT_READS;

		json_object_set_new(s, "earlier",
				    json_pack("{s:o, s:o}", "by_id_number",
					      earlier_of(c, b->results, slot), "by_name",
					      earlier_of(c, b->results, slot + REPEAT_READS)));
	}
	rc = b->rc;
	batch_free(b);
	if (rc != JD_OK)
		ctx_fail(c, rc);
	else
		c->next(c);
}

/* The three reads of one index of one subject, from slot */
static void repeat_reads(struct ctx *c, struct batch *b, size_t slot, const char *prefix)
{
	char lead[KIND_KEY_MAX], cas[KIND_KEY_MAX], own[KIND_KEY_MAX];
	const char *a1[2] = {"ZCARD", lead}, *a2[2] = {"ZCARD", cas};
	const char *a3[3] = {"ZSCORE", own, c->record};

	kind_key(lead, sizeof(lead), prefix, KIND_LEAD);
	kind_key(cas, sizeof(cas), prefix, KIND_CASE);
	kind_key(own, sizeof(own), prefix, c->kind);
	batch_read(b, slot, c->tenant, 2, a1);
	batch_read(b, slot + 1, c->tenant, 2, a2);
	batch_read(b, slot + 2, c->tenant, 3, a3);
}

void subjects_repeat(struct ctx *c, json_t *subjects, ctx_step next)
{
	size_t n = json_array_size(subjects);
	struct batch *b = batch_new(2 * n * REPEAT_READS, repeat_done, c);

	if (b == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	json_decref(c->aux2);
	c->aux2 = json_incref(subjects);
	c->next = next;
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(subjects, i);
		const char *idn = json_string_value(json_object_get(s, "id_number"));
		const char *name = json_string_value(json_object_get(s, "name"));
		char k1[PREFIX_MAX], k2[PREFIX_MAX];

		if (idn != NULL && idn[0] && index_key(c, "idn", idn, k1, sizeof(k1)) == JD_OK)
			repeat_reads(c, b, 2 * i * REPEAT_READS, k1);
		if (name != NULL && name[0] && index_key(c, "name", name, k2, sizeof(k2)) == JD_OK)
			repeat_reads(c, b, (2 * i + 1) * REPEAT_READS, k2);
	}
	batch_go(b);
}

/* ---- POST /v1/cases/leads/{id}/subjects ------------------------------------------------ */

static void subject_add_keyed(struct ctx *c)
{
	char err[200], field[32];
	json_t *s = subject_from_input(c, "subject_", err, sizeof(err));
	long long n = rec_int(c, "subjects") + 1;
	char *sealed = NULL;
	int rc;

	if (s == NULL) {
		ctx_invalid(c, "%s", err);
		return;
	}
	snprintf(field, sizeof(field), "subject.%lld", n);
	rc = subject_seal(c, s, field, &sealed);
	if (rc == JD_OK)
		rc = subject_index_ops(c, s, c->record);
	json_decref(s);
	if (rc != JD_OK) {
		free(sealed);
		ctx_fail(c, rc);
		return;
	}
	host->mut_set(c->m, field, sealed);
	host->mut_setf(c->m, "subjects", "%lld", n);
	free(sealed);
	ctx_submit(c, "cases.lead.subject.add");
}

static void subject_add_loaded(struct ctx *c)
{
	if (ctx_version(c) != 0)
		return;
	if (host->machine_terminal(&lead_machine, rec_str(c, "state"))) {
		ctx_conflict(c, "illegal_transition", "lead %s is %s: no subject can be added",
			     c->id, rec_str(c, "state"));
		return;
	}
	if (rec_int(c, "subjects") >= 50) {
		ctx_invalid(c, "lead %s already names 50 subjects", c->id);
		return;
	}
	ctx_keys(c, subject_add_keyed);
}

void subject_add(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, KIND_LEAD, NULL, subject_add_loaded);
}

/* ---- POST /v1/cases/subjects/check ------------------------------------------------------- */

/*
 * Per index (ID number, name): ZCARD of the lead and of the case set, and
 * the latest REPEAT_SHOW of each (ZREVRANGE ... WITHSCORES); the latest
 * REPEAT_SHOW of the two together are then read for scope (one HMGET
 * each), and those the caller may see are named.
 */
#define CHECK_READS 4

struct check {
	struct ctx *c;
	json_t *shown;	/* per index: the records read for scope, latest first */
	json_t *counts; /* per index: {"leads": n, "cases": m} */
};

static void check_free(struct check *k)
{
	json_decref(k->shown);
	json_decref(k->counts);
	free(k);
}

static void check_scoped(struct batch *b, void *arg)
{
	struct check *k = arg;
	struct ctx *c = k->c;
	json_t *out = json_object();
	size_t slot = 0;
	static const char *const names[] = {"by_id_number", "by_name"};

	for (size_t s = 0; b->rc == JD_OK && out != NULL && s < 2; s++) {
		json_t *members = json_array_get(k->shown, s);
		json_t *visible = json_array();

		for (size_t i = 0; i < json_array_size(members); i++, slot++) {
			json_t *r = json_array_get(b->results, slot);

			if (json_string_value(json_array_get(r, 0)) != NULL &&
			    scope_visible(c->req, NULL, c->tenant,
					  json_string_value(json_array_get(r, 1)),
					  json_string_value(json_array_get(r, 2)),
					  json_string_value(json_array_get(r, 3))))
				json_array_append(visible, json_array_get(members, i));
		}
		json_object_set_new(out, names[s],
				    json_pack("{s:O, s:o}", "count", json_array_get(k->counts, s),
					      "visible", visible));
	}
	if (b->rc != JD_OK) {
		json_decref(out);
		ctx_fail(c, b->rc);
	} else {
		ctx_reply(c, 200, out);
	}
	check_free(k);
	batch_free(b);
}

/* The latest `max` members of two [member, score, ...] lists, each latest first. */
static json_t *latest_of(json_t *a, json_t *b, size_t max)
{
	json_t *out = json_array();
	size_t i = 0, j = 0, na = json_array_size(a) / 2, nb = json_array_size(b) / 2;

	while (out != NULL && json_array_size(out) < max && (i < na || j < nb)) {
		const char *sa = i < na ? json_string_value(json_array_get(a, 2 * i + 1)) : NULL;
		const char *sb = j < nb ? json_string_value(json_array_get(b, 2 * j + 1)) : NULL;
		int take_a = sb == NULL || (sa != NULL && atoll(sa) >= atoll(sb));

		json_array_append(out,
				  take_a ? json_array_get(a, 2 * i++) : json_array_get(b, 2 * j++));
	}
	return out;
}

static void check_sets(struct batch *b, void *arg)
{
	struct check *k = arg;
	struct ctx *c = k->c;
	size_t total = 0, slot = 0;
	struct batch *b2;

	k->shown = json_array();
	k->counts = json_array();
	for (size_t s = 0; b->rc == JD_OK && k->shown && k->counts && s < 2; s++) {
		json_t *r = b->results;
		size_t at = s * CHECK_READS;

		json_array_append_new(k->counts,
				      json_pack("{s:I, s:I}", "leads",
						json_integer_value(json_array_get(r, at)), "cases",
						json_integer_value(json_array_get(r, at + 1))));
		json_array_append_new(k->shown, latest_of(json_array_get(r, at + 2),
							  json_array_get(r, at + 3), REPEAT_SHOW));
		total += json_array_size(json_array_get(k->shown, s));
	}
	if (b->rc != JD_OK || json_array_size(k->counts) != 2 || json_array_size(k->shown) != 2 ||
	    (b2 = batch_new(total, check_scoped, k)) == NULL) {
		ctx_fail(c, b->rc != JD_OK ? b->rc : JD_E_NOMEM);
		check_free(k);
		batch_free(b);
		return;
	}
	batch_free(b);
	for (size_t s = 0; s < 2; s++) {
		json_t *members = json_array_get(k->shown, s);

		for (size_t i = 0; i < json_array_size(members); i++, slot++) {
			const char *record = json_string_value(json_array_get(members, i));
			const char *argv[6] = {"HMGET", record, "state", "unit", "groups", "deny"};

			if (record != NULL && strchr(record, ':') != NULL &&
			    ids_valid(strchr(record, ':') + 1, 0))
				batch_read(b2, slot, c->tenant, 6, argv);
		}
	}
	batch_go(b2);
}

/* The four reads of one index, from slot */
static void check_reads(struct ctx *c, struct batch *b, size_t slot, const char *prefix)
{
	char lead[KIND_KEY_MAX], cas[KIND_KEY_MAX], last[16];
	const char *a1[2] = {"ZCARD", lead}, *a2[2] = {"ZCARD", cas};
	const char *a3[5] = {"ZREVRANGE", lead, "0", last, "WITHSCORES"};
	const char *a4[5] = {"ZREVRANGE", cas, "0", last, "WITHSCORES"};

	kind_key(lead, sizeof(lead), prefix, KIND_LEAD);
	kind_key(cas, sizeof(cas), prefix, KIND_CASE);
	snprintf(last, sizeof(last), "%d", REPEAT_SHOW - 1);
	batch_read(b, slot, c->tenant, 2, a1);
	batch_read(b, slot + 1, c->tenant, 2, a2);
	batch_read(b, slot + 2, c->tenant, 5, a3);
	batch_read(b, slot + 3, c->tenant, 5, a4);
}

static void check_keyed(struct ctx *c)
{
	static const char *const field[2] = {"id_number", "name"}, *const what[2] = {"idn", "name"};
	char prefix[2][PREFIX_MAX] = {"", ""};
	struct check *k;
	struct batch *b;

	for (size_t s = 0; s < 2; s++) {
		const char *v = in_str(c, field[s]);
		int rc = v != NULL && v[0] ? index_key(c, what[s], v, prefix[s], sizeof(prefix[s]))
					   : JD_OK;

		if (rc == JD_E_INVALID) {
			ctx_invalid(c, "field '%s': no value to look for", field[s]);
			return;
		}
		if (rc != JD_OK) {
			ctx_fail(c, rc);
			return;
		}
	}
	k = calloc(1, sizeof(*k));
	b = k ? batch_new(2 * CHECK_READS, check_sets, k) : NULL;
	if (b == NULL) {
		free(k);
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	k->c = c;
	for (size_t s = 0; s < 2; s++)
		if (prefix[s][0])
			check_reads(c, b, s * CHECK_READS, prefix[s]);
	batch_go(b);
}

void subjects_check(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, KIND_LEAD, host->req_param(req, "tenant"), "");
	const char *idn, *name;

	(void)arg;
	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "subjects");
		return;
	}
	if (ctx_tenant_check(c) != 0)
		return;
	idn = in_str(c, "id_number");
	name = in_str(c, "name");
	if ((idn == NULL || idn[0] == '\0') && (name == NULL || name[0] == '\0')) {
		ctx_invalid(c, "give field 'id_number' or field 'name' (or both)");
		return;
	}
	ctx_keys(c, check_keyed);
}
