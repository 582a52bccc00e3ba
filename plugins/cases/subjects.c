/*
 * Subjects (the persons a lead names, the persons of a case): name, ID
 * number, post and employer, sealed together as one JSON value per person
 * ("subject.<n>" of a lead, "person.<n>" of a case) under the tenant key.
 *
 * Repeat subjects: the blind index of the ID number and of the name
 * (record type "subject", so leads and cases share them) name the sets
 * "subj:idn:<blind>" and "subj:name:<blind>" of the records ("lead:<id>",
 * "case:<no>") that name such a person.  A permitted user learns that a
 * subject has earlier leads or cases without any plaintext in Redis and
 * without a plaintext search.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cases.h"

#define REPEAT_SHOW 50 /* records named per answer, at most */

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

/* "subj:<what>:<blind index of value>" */
static int index_key(struct ctx *c, const char *what, const char *value, char *out, size_t len)
{
	char blind[33];
	int rc = host->blind_index(self, c->tenant, "subject",
				   strcmp(what, "idn") == 0 ? "id_number" : "name", value, blind);

	if (rc == JD_OK)
		snprintf(out, len, "subj:%s:%s", what, blind);
	return rc;
}

int subject_index_ops(struct ctx *c, json_t *subject, const char *member)
{
	const char *idn = json_string_value(json_object_get(subject, "id_number"));
	const char *name = json_string_value(json_object_get(subject, "name"));
	char key[64];
	int rc;

	if (idn != NULL && idn[0] != '\0') {
		if ((rc = index_key(c, "idn", idn, key, sizeof(key))) != JD_OK)
			return rc;
		mut_op(c->m, JD_OP_SADD, key, member, NULL);
	}
	if (name != NULL && name[0] != '\0') {
		if ((rc = index_key(c, "name", name, key, sizeof(key))) != JD_OK)
			return rc;
		mut_op(c->m, JD_OP_SADD, key, member, NULL);
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

/* {"leads": n, "cases": m} of the members of a set, leaving out `own` */
static json_t *count_members(json_t *members, const char *own)
{
	json_int_t leads = 0, cases = 0;

	for (size_t i = 0; i < json_array_size(members); i++) {
		const char *m = json_string_value(json_array_get(members, i));

		if (m == NULL || (own != NULL && strcmp(m, own) == 0))
			continue;
		if (strncmp(m, "lead:", 5) == 0)
			leads++;
		else
			cases++;
	}
	return json_pack("{s:I, s:I}", "leads", leads, "cases", cases);
}

static void repeat_done(struct batch *b, void *arg)
{
	struct ctx *c = arg;
	int rc;

	for (size_t i = 0; b->rc == JD_OK && i < json_array_size(c->aux2); i++) {
		json_t *s = json_array_get(c->aux2, i);
		json_t *idn = json_array_get(b->results, 2 * i);
		json_t *name = json_array_get(b->results, 2 * i + 1);

		json_object_set_new(s, "earlier",
				    json_pack("{s:o, s:o}", "by_id_number",
					      count_members(idn, c->record), "by_name",
					      count_members(name, c->record)));
	}
	rc = b->rc;
	batch_free(b);
	if (rc != JD_OK)
		ctx_fail(c, rc);
	else
		c->next(c);
}

void subjects_repeat(struct ctx *c, json_t *subjects, ctx_step next)
{
	size_t n = json_array_size(subjects);
	struct batch *b = batch_new(2 * n, repeat_done, c);

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
		char k1[64], k2[64];
		const char *a1[2] = {"SMEMBERS", k1}, *a2[2] = {"SMEMBERS", k2};

		if (idn != NULL && index_key(c, "idn", idn, k1, sizeof(k1)) == JD_OK)
			batch_read(b, 2 * i, c->tenant, 2, a1);
		if (name != NULL && index_key(c, "name", name, k2, sizeof(k2)) == JD_OK)
			batch_read(b, 2 * i + 1, c->tenant, 2, a2);
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
	mut_set(c->m, field, sealed);
	mut_setf(c->m, "subjects", "%lld", n);
	free(sealed);
	ctx_submit(c, "cases.lead.subject.add");
}

static void subject_add_loaded(struct ctx *c)
{
	if (ctx_version(c) != 0)
		return;
	if (state_terminal(KIND_LEAD, rec_str(c, "state"))) {
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
	struct ctx *c =
	    ctx_new(req, KIND_LEAD, host->req_param(req, "tenant"), host->req_param(req, "id"));

	(void)arg;
	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "lead");
		return;
	}
	ctx_load(c, subject_add_loaded);
}

/* ---- POST /v1/cases/subjects/check ------------------------------------------------------- */

/* The records of a set the caller may see, at most REPEAT_SHOW, after one scope read each. */
struct check {
	struct ctx *c;
	json_t *sets; /* [members of idn set, members of name set] */
};

static void check_scoped(struct batch *b, void *arg)
{
	struct check *k = arg;
	struct ctx *c = k->c;
	json_t *out = json_object();
	size_t slot = 0;
	static const char *const names[] = {"by_id_number", "by_name"};

	for (size_t s = 0; b->rc == JD_OK && out != NULL && s < 2; s++) {
		json_t *members = json_array_get(k->sets, s);
		json_t *visible = json_array();

		for (size_t i = 0; i < json_array_size(members) && i < REPEAT_SHOW; i++, slot++) {
			json_t *r = json_array_get(b->results, slot);

			if (json_string_value(json_array_get(r, 0)) != NULL &&
			    scope_visible(c->req, NULL, c->tenant,
					  json_string_value(json_array_get(r, 1)),
					  json_string_value(json_array_get(r, 2)),
					  json_string_value(json_array_get(r, 3))))
				json_array_append(visible, json_array_get(members, i));
		}
		json_object_set_new(out, names[s],
				    json_pack("{s:o, s:o}", "count", count_members(members, NULL),
					      "visible", visible));
	}
	if (b->rc != JD_OK) {
		json_decref(out);
		ctx_fail(c, b->rc);
	} else {
		ctx_reply(c, 200, out);
	}
	json_decref(k->sets);
	free(k);
	batch_free(b);
}

static void check_sets(struct batch *b, void *arg)
{
	struct check *k = arg;
	struct ctx *c = k->c;
	size_t total = 0, slot = 0;
	struct batch *b2;

	if (b->rc != JD_OK) {
		ctx_fail(c, b->rc);
		free(k);
		batch_free(b);
		return;
	}
	k->sets = json_incref(b->results);
	batch_free(b);
	for (size_t s = 0; s < 2; s++) {
		size_t n = json_array_size(json_array_get(k->sets, s));

		total += n < REPEAT_SHOW ? n : REPEAT_SHOW;
	}
	if ((b2 = batch_new(total, check_scoped, k)) == NULL) {
		json_decref(k->sets);
		free(k);
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	for (size_t s = 0; s < 2; s++) {
		json_t *members = json_array_get(k->sets, s);

		for (size_t i = 0; i < json_array_size(members) && i < REPEAT_SHOW; i++) {
			const char *argv[6] = {
			    "HMGET",  json_string_value(json_array_get(members, i)),
			    "state",  "unit",
			    "groups", "deny"};

			if (argv[1] != NULL && strchr(argv[1], ':') != NULL &&
			    ids_valid(strchr(argv[1], ':') + 1, 0))
				batch_read(b2, slot, c->tenant, 6, argv);
			slot++;
		}
	}
	batch_go(b2);
}

static void check_keyed(struct ctx *c)
{
	const char *idn = in_str(c, "id_number"), *name = in_str(c, "name");
	struct check *k = calloc(1, sizeof(*k));
	struct batch *b = k ? batch_new(2, check_sets, k) : NULL;
	char k1[64], k2[64];
	const char *a1[2] = {"SMEMBERS", k1}, *a2[2] = {"SMEMBERS", k2};

	if (b == NULL) {
		free(k);
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	k->c = c;
	if (idn != NULL && idn[0] && index_key(c, "idn", idn, k1, sizeof(k1)) == JD_OK)
		batch_read(b, 0, c->tenant, 2, a1);
	if (name != NULL && name[0] && index_key(c, "name", name, k2, sizeof(k2)) == JD_OK)
		batch_read(b, 1, c->tenant, 2, a2);
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
	idn = in_str(c, "id_number");
	name = in_str(c, "name");
	if ((idn == NULL || idn[0] == '\0') && (name == NULL || name[0] == '\0')) {
		ctx_invalid(c, "give field 'id_number' or field 'name' (or both)");
		return;
	}
	ctx_keys(c, check_keyed);
}
