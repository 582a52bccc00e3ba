/* The conflict check (熟人社会): reasons, opening ties, one check, /v1/org/conflicts. */
#include "org/org_conflicts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "runtime/log.h"
#include "org/org_codes.h"
#include "org/org_group_model.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"
#include "security/tenant_keys.h"

#define ID_LEN		   JD_ORG_PERSON_ID_LEN
#define UNIT_CODE_MAX	   JD_ORG_CODE_MAX
#define EMPLOYER_MAX	   200
#define EMPLOYER_MIN_CHARS 2
#define EMPLOYER_MIN_BYTES 4
#define REASON_MAX	   600

/* ---- text matching: trimmed, ASCII case-insensitive --------------------------------- */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* s without its leading and trailing ASCII spaces: the start, its length in *n. */
static const char *trimmed(const char *s, size_t len, size_t *n)
{
	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	*n = len;
	return s;
}

/* Whether hay[0..hlen) holds needle (trimmed, non-empty), ignoring ASCII case. */
static int holds(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	const char *n = trimmed(needle, nlen, &nlen);

	if (nlen == 0 || hay == NULL)
		return 0;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (strncasecmp(hay + i, n, nlen) == 0)
			return 1;
	return 0;
}

/* An employer and a supervised unit's name are the same body when one holds the other. */
static int same_body(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t na, nb;
	const char *ta = trimmed(a, alen, &na), *tb = trimmed(b, blen, &nb);

	if (na == 0 || nb == 0)
		return 0;
	return na >= nb ? holds(ta, na, tb, nb) : holds(tb, nb, ta, na);
}

/*
 * Calls fn(item, len, ctx) for each entry of a comma-separated list
 * (spaces around entries ignored, empty entries skipped); stops at the
 * first non-zero return and passes it on.
 */
static int csv_each(const char *csv, int (*fn)(const char *item, size_t len, void *ctx), void *ctx)
{
	const char *p = csv;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p), n;
		const char *t = trimmed(p, len, &n);
		int rc = n > 0 ? fn(t, n, ctx) : 0;

		if (rc != 0)
			return rc;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int jd_org_employer_ok(const char *employer)
{
	size_t n, chars = 0;
	const char *t = trimmed(employer ? employer : "", employer ? strlen(employer) : 0, &n);

	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)t[i] & 0xc0) != 0x80; /* UTF-8: not a continuation byte */
	return chars >= EMPLOYER_MIN_CHARS && n >= EMPLOYER_MIN_BYTES;
}

/* ---- the reasons (pure) ------------------------------------------------------------------ */

/* 1 added, 0 already there, -1 out of memory. */
__attribute__((format(printf, 2, 3))) static int add_reason(json_t *reasons, const char *fmt, ...)
{
	char buf[REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < json_array_size(reasons); i++)
		if (strcmp(json_string_value(json_array_get(reasons, i)), buf) == 0)
			return 0;
	return json_array_append_new(reasons, json_string(buf)) == 0 ? 1 : -1;
}

/* What one person is checked against, and where the reasons go. */
struct check_in {
	const json_t *units;
	const struct jd_org_tie *tie;
	const char *own;      /* their unit's code */
	const char *unit;     /* the unit checked, or "" */
	const json_t *u;      /* its entry, or NULL */
	const char *employer; /* or "" */
	const char *via;      /* the unit whose supervised names are being walked */
	json_t *reasons;
	int added;
};

static int note(struct check_in *c, int rc)
{
	if (rc < 0)
		return -1;
	c->added += rc;
	return 0;
}

static int kind_is(const json_t *unit, const char *kind)
{
	return strcmp(jd_snap_str(unit, "kind"), kind) == 0;
}

/* A supervised name of the checked agency that the ties name. */
static int tie_to_supervised(const char *name, size_t len, void *ctx)
{
	struct check_in *c = ctx;

	if (!holds(c->tie->text, c->tie->len, name, len))
		return 0;
	return note(c, add_reason(c->reasons, "has a declared tie to %.*s, supervised by %s",
				  (int)len, name, c->unit));
}

/* A supervised name (of c->via) that is the subject's employer. */
static int supervises_employer(const char *name, size_t len, void *ctx)
{
	struct check_in *c = ctx;
	int own = strcmp(c->via, c->own) == 0;

	if (!same_body(c->employer, strlen(c->employer), name, len))
		return 0;
	return note(c, add_reason(c->reasons,
				  own ? "is in %s, which supervises %.*s"
				      : "worked in %s, which supervises %.*s",
				  c->via, (int)len, name));
}

/* A former unit that is an agency supervising the employer. */
static int former_supervises(const char *code, size_t len, void *ctx)
{
	struct check_in *c = ctx;
	char buf[UNIT_CODE_MAX + 1];
	const json_t *f;

	if (len > UNIT_CODE_MAX)
		return 0;
	memcpy(buf, code, len);
	buf[len] = '\0';
	f = json_object_get(c->units, buf);
	if (f == NULL || !kind_is(f, "agency"))
		return 0;
	c->via = buf;
	return csv_each(jd_snap_str(f, "supervised"), supervises_employer, c);
}

static int unit_reasons(struct check_in *c, const json_t *p, const json_t *ownu, unsigned mask)
{
	const char *unit = c->unit, *uname = jd_snap_str(c->u, "name");
	size_t ulen = strlen(unit);

	if ((mask & JD_CONFLICT_OWN) && strcmp(c->own, unit) == 0 &&
	    note(c, add_reason(c->reasons, "works in %s", unit)) < 0)
		return -1;
	if ((mask & JD_CONFLICT_FORMER) && jd_csv_has(jd_snap_str(p, "former"), unit, ulen) &&
	    note(c, add_reason(c->reasons, "worked in %s until it moved", unit)) < 0)
		return -1;
	if ((mask & JD_CONFLICT_LINKED) && strcmp(c->own, unit) != 0 &&
	    ((kind_is(ownu, "office") && jd_csv_has(jd_snap_str(ownu, "linked"), unit, ulen)) ||
	     (kind_is(c->u, "office") &&
	      jd_csv_has(jd_snap_str(c->u, "linked"), c->own, strlen(c->own)))) &&
	    note(c, add_reason(c->reasons, "is in %s, linked to %s", c->own, unit)) < 0)
		return -1;
	if ((mask & JD_CONFLICT_LINKED) && kind_is(ownu, "agency") && *uname != '\0' &&
	    jd_csv_has(jd_snap_str(ownu, "supervised"), uname, strlen(uname)) &&
	    note(c, add_reason(c->reasons, "is in %s, which supervises %s", c->own, unit)) < 0)
		return -1;
	if (!(mask & JD_CONFLICT_TIE) || c->tie == NULL)
		return 0;
	if (holds(c->tie->text, c->tie->len, uname, strlen(uname)) &&
	    note(c, add_reason(c->reasons, "has a declared tie to %s", unit)) < 0)
		return -1;
	if (kind_is(c->u, "agency"))
		return csv_each(jd_snap_str(c->u, "supervised"), tie_to_supervised, c);
	return 0;
}

static int employer_reasons(struct check_in *c, const json_t *p, const json_t *ownu, unsigned mask)
{
	if ((mask & JD_CONFLICT_LINKED) && kind_is(ownu, "agency")) {
		c->via = c->own;
		if (csv_each(jd_snap_str(ownu, "supervised"), supervises_employer, c) < 0)
			return -1;
	}
	if ((mask & JD_CONFLICT_FORMER) &&
	    csv_each(jd_snap_str(p, "former"), former_supervises, c) < 0)
		return -1;
	if ((mask & JD_CONFLICT_TIE) && c->tie != NULL &&
	    holds(c->tie->text, c->tie->len, c->employer, strlen(c->employer)) &&
	    note(c, add_reason(c->reasons, "has a declared tie to the subject's employer")) < 0)
		return -1;
	return 0;
}

int jd_org_conflict_reasons(const json_t *snap, const char *person, const struct jd_org_tie *tie,
			    const char *unit, const char *employer, unsigned mask, json_t *reasons)
{
	const json_t *p = json_object_get(json_object_get(snap, "people"), person ? person : "");
	struct check_in c = {.units = json_object_get(snap, "units"),
			     .tie = tie,
			     .unit = unit ? unit : "",
			     .employer = employer ? employer : "",
			     .reasons = reasons};
	const json_t *ownu;

	if (p == NULL || !json_is_array(reasons))
		return -1;
	c.own = jd_snap_str(p, "unit");
	ownu = json_object_get(c.units, c.own);
	if (*c.unit != '\0') {
		c.u = json_object_get(c.units, c.unit);
		if (unit_reasons(&c, p, ownu, mask) < 0)
			return -1;
	}
	if (jd_org_employer_ok(c.employer) && employer_reasons(&c, p, ownu, mask) < 0)
		return -1;
	return c.added;
}

/* ---- opening ties ------------------------------------------------------------------------ */

const struct jd_org_tie *jd_org_ties_find(const struct jd_org_ties *t, const char *person)
{
	for (size_t i = 0; t != NULL && person != NULL && i < t->n; i++)
		if (strcmp(t->v[i].person, person) == 0)
			return &t->v[i];
	return NULL;
}

void jd_org_ties_free(struct jd_org_ties *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; t->owned && i < t->n; i++) {
		sodium_memzero((void *)t->v[i].text, t->v[i].len);
		jd_plain_free((unsigned char *)t->v[i].text);
	}
	free(t->v);
	free(t);
}

/* Appends "org.conflicts" for one person's opened ties: fire and forget, never the text. */
static void audit_opened(struct jd_server *srv, const char *tenant, const char *person,
			 const struct jd_org_actor *who)
{
	char target[64];
	struct jd_audit_event ev;
	int rc;

	if (srv->store == NULL)
		return; /* shutting down */
	snprintf(target, sizeof(target), "person:%s#ties", person);
	ev = (struct jd_audit_event){
	    .actor = who && who->actor && *who->actor ? who->actor : "-",
	    .cred = who && who->cred ? who->cred : "none",
	    .source = who ? who->source : NULL,
	    .req = who ? who->req : NULL,
	    .action = "org.conflicts",
	    .target = target,
	    .outcome = "checked",
	};
	rc = jd_store_audit_event(srv->store, tenant, &ev, NULL, NULL);
	if (rc != JD_OK)
		jd_warn("audit: ties check not appended", "tenant=%s person=%s rc=%d", tenant,
			person, rc);
}

static int open_one(struct jd_server *srv, const char *tenant, const char *id, const char *sealed,
		    struct jd_org_ties *t)
{
	const struct jd_seal_ad ad = {
	    .tenant = tenant, .record_type = "person", .record_id = id, .field = "ties"};
	unsigned char *plain = NULL;
	size_t len = 0;
	int rc;

	if (id == NULL || strlen(id) != ID_LEN)
		return JD_OK; /* not a person id: nothing of ours */
	rc = jd_tenant_open(srv->tenant_keys, &ad, sealed, &plain, &len);
	if (rc != JD_OK) /* names where, never the value */
		return rc == JD_E_NOTFOUND ? JD_E_NOTFOUND : JD_E_FORBIDDEN;
	t->v[t->n].text = (const char *)plain;
	t->v[t->n].len = len;
	snprintf(t->v[t->n].person, sizeof(t->v[t->n].person), "%s", id);
	t->n++;
	return JD_OK;
}

int jd_org_ties_open(struct jd_server *srv, const json_t *snap, const char *tenant,
		     const json_t *ids, const struct jd_org_actor *who, struct jd_org_ties **out)
{
	json_t *sealed = json_object_get(snap, "ties");
	size_t cap = json_array_size(ids);
	struct jd_org_ties *t = calloc(1, sizeof(*t));
	int rc = JD_OK;

	*out = NULL;
	if (t == NULL || (cap > 0 && (t->v = calloc(cap, sizeof(*t->v))) == NULL)) {
		free(t);
		return JD_E_NOMEM;
	}
	t->owned = 1;
	if (srv->tenant_keys == NULL)
		rc = cap > 0 ? JD_E_NOTFOUND : JD_OK;
	for (size_t i = 0; rc == JD_OK && i < cap; i++) {
		const char *pid = json_string_value(json_array_get(ids, i));
		const char *s = json_string_value(json_object_get(sealed, pid ? pid : ""));

		if (pid != NULL && s != NULL && *s != '\0' && jd_org_ties_find(t, pid) == NULL)
			rc = open_one(srv, tenant, pid, s, t);
	}
	if (rc != JD_OK) {
		jd_warn("ties do not open", "tenant=%s record_type=person field=ties rc=%d", tenant,
			rc);
		jd_org_ties_free(t);
		return rc;
	}
	for (size_t i = 0; i < t->n; i++)
		audit_opened(srv, tenant, t->v[i].person, who);
	*out = t;
	return JD_OK;
}

/* ---- one check ----------------------------------------------------------------------------- */

struct check {
	struct jd_server *srv;
	char tenant[8];
	char who[JD_USER_ID_MAX + 1];
	char person[ID_LEN + 1];
	char unit[UNIT_CODE_MAX + 1];
	char *employer;
	char actor[128], cred[16], source[64], req[40];
	jd_org_conflict_cb cb;
	void *arg;
	json_t *snap;
};

static void finish(struct check *c, int rc, const char *missing, json_t *reasons)
{
	const json_t *p = json_object_get(json_object_get(c->snap, "people"), c->person);
	const struct jd_org_conflict_answer a = {
	    .rc = rc,
	    .missing = missing,
	    .person = c->person,
	    .name = jd_snap_str(p, "name"),
	    .reasons = rc == JD_OK ? reasons : NULL,
	};

	c->cb(&a, c->arg);
	json_decref(reasons);
	json_decref(c->snap);
	free(c->employer);
	free(c);
}

/* With the ties opened (or none declared): the reasons. */
static void decide(struct check *c, const struct jd_org_tie *tie)
{
	json_t *reasons = json_array();

	if (reasons == NULL || jd_org_conflict_reasons(c->snap, c->person, tie, c->unit,
						       c->employer, JD_CONFLICT_ALL, reasons) < 0) {
		finish(c, JD_E_NOMEM, NULL, reasons);
		return;
	}
	finish(c, JD_OK, NULL, reasons);
}

static void on_keys(int rc, void *arg)
{
	struct check *c = arg;
	const struct jd_org_actor who = {c->actor, c->cred, c->source, c->req};
	json_t *ids = json_pack("[s]", c->person);
	struct jd_org_ties *t = NULL;

	if (rc == JD_OK)
		rc = ids ? jd_org_ties_open(c->srv, c->snap, c->tenant, ids, &who, &t) : JD_E_NOMEM;
	json_decref(ids);
	if (rc != JD_OK) {
		jd_warn("conflict check: ties not opened", "tenant=%s person=%s rc=%d", c->tenant,
			c->person, rc);
		/* a key that does not unwrap or a value that does not open is ours to fix: 500 */
		if (rc == JD_E_FORBIDDEN || rc == JD_E_NOTFOUND)
			rc = JD_ERR;
		finish(c, rc, NULL, NULL);
		return;
	}
	decide(c, jd_org_ties_find(t, c->person));
	jd_org_ties_free(t); /* wiped as soon as the reasons are made */
}

static void on_snapshot(int rc, json_t *snap, void *arg)
{
	struct check *c = arg;
	const json_t *ties;

	if (rc != JD_OK) {
		finish(c, rc, rc == JD_E_NOTFOUND ? "tenant" : NULL, NULL);
		return;
	}
	c->snap = json_incref(snap); /* the reader frees its reference after this call */
	if (json_object_get(json_object_get(snap, "people"), c->person) == NULL) {
		finish(c, JD_E_NOTFOUND, "person", NULL);
		return;
	}
	if (c->unit[0] != '\0' &&
	    json_object_get(json_object_get(snap, "units"), c->unit) == NULL) {
		finish(c, JD_E_NOTFOUND, "unit", NULL);
		return;
	}
	ties = json_object_get(json_object_get(snap, "ties"), c->person);
	if (json_string_length(ties) == 0) {
		decide(c, NULL);
		return;
	}
	rc = c->srv->tenant_keys ? jd_tenant_keys_ready(c->srv->tenant_keys, c->tenant, on_keys, c)
				 : JD_E_UNAVAILABLE;
	if (rc != JD_OK)
		finish(c, rc, NULL, NULL);
}

static void read_snapshot(struct check *c)
{
	int rc = jd_org_snapshot_read(c->srv, c->tenant, JD_SNAP_TIES, on_snapshot, c);

	if (rc != JD_OK)
		finish(c, rc, NULL, NULL);
}

/* The user's "person": "<county>/<person id>", a person of this county. */
static void on_user(int rc, json_t *result, void *arg)
{
	struct check *c = arg;
	char county[7], id[ID_LEN + 1];

	if (rc != JD_OK) {
		finish(c, rc, NULL, NULL);
		return;
	}
	if (jd_person_link_parse(json_string_value(result), county, id) != JD_OK ||
	    strcmp(county, c->tenant) != 0) {
		finish(c, JD_E_NOTFOUND, "user", NULL); /* linked to none, or to another county's */
		return;
	}
	snprintf(c->person, sizeof(c->person), "%s", id);
	read_snapshot(c);
}

static void copy_actor(struct check *c, const struct jd_org_actor *by)
{
	snprintf(c->actor, sizeof(c->actor), "%s", by->actor ? by->actor : "-");
	snprintf(c->cred, sizeof(c->cred), "%s", by->cred ? by->cred : "none");
	snprintf(c->source, sizeof(c->source), "%s", by->source ? by->source : "");
	snprintf(c->req, sizeof(c->req), "%s", by->req ? by->req : "");
}

int jd_org_conflicts_check(struct jd_server *srv, const struct jd_org_conflict_query *q,
			   jd_org_conflict_cb cb, void *arg)
{
	char key[8 + JD_USER_ID_MAX];
	const char *argv[3] = {"HGET", key, "person"};
	struct check *c;
	int rc;

	if (srv == NULL || q == NULL || cb == NULL || !jd_org_code_valid(q->tenant) ||
	    q->who == NULL || (!jd_org_person_id_ok(q->who) && !jd_auth_user_id_valid(q->who)) ||
	    (q->unit != NULL && strlen(q->unit) > UNIT_CODE_MAX))
		return JD_E_INVALID;
	if (srv->store == NULL)
		return JD_E_UNAVAILABLE;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->employer = strdup(q->employer ? q->employer : "")) == NULL) {
		free(c);
		return JD_E_NOMEM;
	}
	c->srv = srv;
	c->cb = cb;
	c->arg = arg;
	snprintf(c->tenant, sizeof(c->tenant), "%s", q->tenant);
	snprintf(c->who, sizeof(c->who), "%s", q->who);
	snprintf(c->unit, sizeof(c->unit), "%s", q->unit ? q->unit : "");
	copy_actor(c, &q->by);
	if (jd_org_person_id_ok(q->who)) {
		snprintf(c->person, sizeof(c->person), "%s", q->who);
		rc = jd_org_snapshot_read(srv, c->tenant, JD_SNAP_TIES, on_snapshot, c);
	} else {
		snprintf(key, sizeof(key), "user:%s", q->who);
		rc = jd_store_read(srv->store, JD_SYSTEM_TENANT, 3, argv, on_user, c);
	}
	if (rc != JD_OK) {
		free(c->employer);
		free(c);
	}
	return rc;
}

/* ---- GET /v1/org/conflicts ----------------------------------------------------------------- */

static const char *input_str(jd_req *req, const char *name)
{
	const char *s = json_string_value(json_object_get(req->input, name));

	return s ? s : "";
}

static void on_answer(const struct jd_org_conflict_answer *a, void *arg)
{
	jd_req *req = arg;
	const char *who = input_str(req, "person"), *unit = input_str(req, "unit");

	if (a->rc == JD_OK) {
		jd_reply_json(req, 200,
			      json_pack("{s:s, s:s, s:s, s:s?, s:b, s:O}", "tenant",
					input_str(req, "tenant"), "person", a->person, "name",
					a->name, "unit", *unit ? unit : NULL, "conflict",
					json_array_size(a->reasons) > 0, "reasons", a->reasons));
		return;
	}
	if (a->rc == JD_E_NOTFOUND && a->missing != NULL && strcmp(a->missing, "unit") == 0)
		jd_reply_error(req, 400, "invalid", "field 'unit': no unit '%s' in tenant %s", unit,
			       input_str(req, "tenant"));
	else if (a->rc == JD_E_NOTFOUND && a->missing != NULL && strcmp(a->missing, "user") == 0)
		jd_reply_error(req, 404, "not_found",
			       "no person '%s' in tenant %s (no such person id, nor a user "
			       "linked to one of its people)",
			       who, input_str(req, "tenant"));
	else if (a->rc == JD_E_NOTFOUND && a->missing != NULL && strcmp(a->missing, "person") == 0)
		jd_reply_error(req, 404, "not_found", "no person '%s' in tenant %s", a->person,
			       input_str(req, "tenant"));
	else if (a->rc == JD_E_NOTFOUND)
		jd_reply_error(req, 404, "not_found", "no tenant '%s'", input_str(req, "tenant"));
	else if (a->rc == JD_E_INVALID)
		jd_reply_error(req, 400, "invalid",
			       "tenant '%s' is not a county: people belong to a county",
			       input_str(req, "tenant"));
	else
		jd_reply_rc(req, a->rc, "conflict check");
}

/* Admins check any county; everyone else only the counties of their own tenants (auth.c). */
static int may_check(const struct jd_principal *p, const char *tenant)
{
	return jd_auth_tenant_readable(p, tenant, NULL);
}

#define EMPLOYER_PERM "org.conflicts.employer"

static void check_conflicts(jd_req *req, void *arg)
{
	const char *tenant = input_str(req, "tenant"), *who = input_str(req, "person");
	const char *unit = input_str(req, "unit"), *employer = input_str(req, "employer");
	struct jd_org_conflict_query q;
	size_t n;
	int rc;

	(void)arg;
	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", tenant);
		return;
	}
	if (!jd_org_person_id_ok(who) && !jd_auth_user_id_valid(who)) {
		jd_reply_error(req, 404, "not_found", "no person '%.64s' in tenant %s", who,
			       tenant);
		return;
	}
	(void)trimmed(employer, strlen(employer), &n);
	if (*unit == '\0' && n == 0) {
		jd_reply_error(req, 400, "invalid",
			       "give field 'unit' or field 'employer' (or both): what to check "
			       "the person against");
		return;
	}
	if (n > 0 && !jd_org_employer_ok(employer)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'employer' must name a body: at least %d characters and %d "
			       "bytes (e.g. 教育局)",
			       EMPLOYER_MIN_CHARS, EMPLOYER_MIN_BYTES);
		return;
	}
	if (!may_check(&req->principal, tenant)) {
		jd_reply_error(
		    req, 403, "forbidden",
		    "you may only check conflicts in your own tenants and those beneath them");
		return;
	}
	/* any text matched against someone's sealed ties answers "do they contain it" */
	if (n > 0 && !jd_auth_may(&req->principal, EMPLOYER_PERM)) {
		jd_reply_error(req, 403, "forbidden",
			       "field 'employer': checking free text against a person's declared "
			       "ties needs %s (leaders); check a unit instead",
			       EMPLOYER_PERM);
		return;
	}
	q = (struct jd_org_conflict_query){
	    .tenant = tenant,
	    .who = who,
	    .unit = *unit ? unit : NULL,
	    .employer = employer,
	    .by = {req->principal.name, jd_auth_cred_name(req->principal.cred), req->source,
		   req->id},
	};
	rc = jd_org_conflicts_check(req->srv, &q, on_answer, req);
	if (rc == JD_E_INVALID)
		jd_reply_error(req, 400, "invalid", "field 'unit': no unit '%.40s'", unit);
	else if (rc != JD_OK)
		jd_reply_rc(req, rc, "conflict check");
}

static const struct jd_field conflict_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {"person", JD_FIELD_STRING, 1, JD_USER_ID_MAX,
     "the person's id, or a user id linked to a person", 0},
    {"unit", JD_FIELD_STRING, 0, UNIT_CODE_MAX, "a unit code of the county", 0},
    {"employer", JD_FIELD_STRING, 0, EMPLOYER_MAX, "a subject's employer (free text)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route conflict_routes[] = {
    {"GET", "/v1/org/conflicts", "org.conflicts",
     "Why a person must not handle a matter of a unit or employer (never the ties' text)",
     "org conflicts", conflict_fields, 0, check_conflicts, NULL},
};

int jd_org_conflicts_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, conflict_routes,
				   sizeof(conflict_routes) / sizeof(conflict_routes[0]), "core",
				   err, errlen);
}
