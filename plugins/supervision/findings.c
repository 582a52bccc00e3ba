/*
 * Findings → leads.  Any record (an item, a talk, a letter, an order, a
 * rule) can raise a discipline finding; a leader approves it and the cases
 * plugin registers it as a problem lead (source self_supervision) through
 * the durable event "supervision.lead_raised", published in the approving
 * mutation (docs/supervision.md, "The lead contract").
 *
 * The lead's id is chosen when the finding is made, and the subject and the
 * allegation are sealed then for the lead's record ("lead", <lead id>,
 * "subject.1" / "allegation": a seal binds tenant, record type, record id
 * and field, not the plugin), so the event carries only ciphertext and
 * references, never plaintext, and the cases plugin stores the values as
 * they are.  The subject's name and ID number also travel as blind indexes
 * (record type "subject", as the cases plugin keys them) for its repeat
 * subjects.  A finding on a rebound item is the look-back's accountability
 * lead (问责).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static const char *const source_types[] = {"item", "talk", "letter", "task", "rule", NULL};

static int seal_for_lead(struct ctx *c, struct jd_mut *m, const char *lead, const char *field,
			 const char *plain)
{
	char *sealed = host->seal(self, c->tenant, "lead", lead, field, plain);

	if (sealed == NULL)
		return errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
	host->mut_set(m, field, sealed);
	free(sealed);
	return JD_OK;
}

static int blind(struct ctx *c, struct jd_mut *m, const char *field, const char *value,
		 const char *into)
{
	char b[33];
	int rc;

	if (value == NULL || *value == '\0')
		return JD_OK;
	if ((rc = host->blind_index(self, c->tenant, "subject", field, value, b)) == JD_OK)
		host->mut_set(m, into, b);
	return rc;
}

static json_t *subject_of(struct ctx *c)
{
	static const char *const parts[] = {"name", "id_number", "post", "employer"};
	json_t *s = json_object();
	char f[32];

	for (size_t i = 0; s != NULL && i < 4; i++) {
		const char *v;

		snprintf(f, sizeof(f), "subject_%s", parts[i]);
		if ((v = in_str(c, f)) != NULL && *v)
			json_object_set_new(s, parts[i], json_string(v));
	}
	return s;
}

int finding_in_input(const struct ctx *c)
{
	return in_str(c, "allegation") != NULL || in_str(c, "subject_name") != NULL;
}

int finding_put(struct ctx *c, struct jd_mut *m, const char *id, const char *unit,
		const char *groups, const char *source)
{
	char lead[33];
	json_t *s = subject_of(c);
	char *text = s ? json_dumps(s, JSON_COMPACT) : NULL;
	int rc = text ? JD_OK : JD_E_NOMEM;

	json_decref(s);
	host->new_id(lead);
	if (rc == JD_OK)
		rc = seal_for_lead(c, m, lead, "subject.1", text);
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	if (rc == JD_OK)
		rc = seal_for_lead(c, m, lead, "allegation", in_str(c, "allegation"));
	if (rc == JD_OK)
		rc = blind(c, m, "name", in_str(c, "subject_name"), "blind_name");
	if (rc == JD_OK)
		rc = blind(c, m, "id_number", in_str(c, "subject_id_number"), "blind_idn");
	if (rc != JD_OK)
		return rc;
	ctx_new_fields_in(c, m, unit, groups, "found");
	host->mut_set(m, "lead", lead);
	host->mut_set(m, "source", source);
	host->machine_move(self, &finding_machine, m, id, NULL, "proposed", c->day);
	ctx_index_in(m, id, "findings", unit);
	return JD_OK;
}

static void create_keyed(struct ctx *c)
{
	int rc = finding_put(c, c->m, c->id, in_str(c, "unit"), in_str(c, "groups"),
			     in_str(c, "source"));

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	snprintf(c->to, sizeof(c->to), "proposed");
	ctx_submit(c, "supervision.finding.create");
}

static void on_source(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg;

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	if (json_array_size(result) == 0) {
		ctx_invalid(c, "field 'source': no record %s in tenant %s", in_str(c, "source"),
			    c->tenant);
		return;
	}
	ctx_keys(c, create_keyed);
}

static void create_org(struct ctx *c)
{
	const char *argv[2] = {"HGETALL", in_str(c, "source")};
	int rc;

	if (ctx_unit_check(c, "unit", in_str(c, "unit")) != 0 ||
	    ctx_groups_check(c, "groups", in_str(c, "groups")) != 0)
		return;
	if ((rc = host->store_read(self, c->tenant, 2, argv, on_source, c)) != JD_OK)
		ctx_fail(c, rc);
}

void finding_create(jd_req *req, void *arg)
{
	struct ctx *c = ctx_create(req, "finding");
	const char *src, *colon;
	char type[16];

	(void)arg;
	if (c == NULL || ctx_date(c, "date", -1, NULL) != 0)
		return;
	src = in_str(c, "source");
	colon = src ? strchr(src, ':') : NULL;
	snprintf(type, sizeof(type), "%.*s", colon ? (int)(colon - src) : 0, src ? src : "");
	if (colon == NULL || !one_of(type, source_types) || colon[1] == '\0' ||
	    !code_valid(colon + 1, 0)) {
		ctx_invalid(c, "field 'source': the record the finding comes from, as item:<id>, "
			       "talk:<id>, letter:<number>, task:<id> or rule:<id>");
		return;
	}
	ctx_org(c, create_org);
}

/* ---- show ------------------------------------------------------------------------------------ */

static json_t *open_lead_field(struct ctx *c, const char *field)
{
	char *plain = host->open(self, c->req, PERM_SEALED, c->tenant, "lead", rec_str(c, "lead"),
				 field, rec_str(c, field));
	json_t *v;

	if (plain == NULL)
		return json_string(errno == EACCES ? "sealed (supervision.sealed.read)"
						   : "unreadable");
	v = strcmp(field, "subject.1") == 0 ? json_loads(plain, 0, NULL) : json_string(plain);
	host->plain_free(plain);
	return v;
}

static void show_keyed(struct ctx *c)
{
	json_t *o = rec_public(c);

	if (o != NULL) {
		json_object_set_new(o, "subject", open_lead_field(c, "subject.1"));
		json_object_set_new(o, "allegation", open_lead_field(c, "allegation"));
	}
	ctx_reply(c, 200, o);
}

static void show_loaded(struct ctx *c)
{
	ctx_keys(c, show_keyed);
}

void finding_show(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "finding", NULL, show_loaded);
}

/* ---- decide: a leader approves (the lead is raised) or rejects ---------------------------------
 */

static json_t *lead_event(struct ctx *c, const char *date)
{
	json_t *p =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "tenant", c->tenant, "lead",
		      rec_str(c, "lead"), "finding", c->id, "source_record", rec_str(c, "source"),
		      "unit", rec_str(c, "unit"), "received", date, "subject",
		      rec_str(c, "subject.1"), "allegation", rec_str(c, "allegation"));

	if (p != NULL && *rec_str(c, "blind_name"))
		json_object_set_new(p, "blind_name", json_string(rec_str(c, "blind_name")));
	if (p != NULL && *rec_str(c, "blind_idn"))
		json_object_set_new(p, "blind_idn", json_string(rec_str(c, "blind_idn")));
	return p;
}

static void decide_loaded(struct ctx *c)
{
	json_t *approve = json_object_get(c->in, "approve");
	const char *action = json_is_true(approve) ? "approve" : "reject";
	const struct jd_transition *t;
	struct jd_refusal r;
	jd_day since = -1;
	char date[11];

	if (ctx_version(c) != 0)
		return;
	if ((t = host->machine_step(&finding_machine, c->id, rec_str(c, "state"), action, &r)) ==
	    NULL) {
		ctx_refused(c, &r);
		return;
	}
	host->day_parse(rec_str(c, "state_since"), &since);
	if (ctx_date(c, "date", since, "the finding was made") != 0)
		return;
	host->day_format(c->day, date);
	host->mut_set(c->m, "decided_by", host->req_principal(c->req));
	host->mut_set(c->m, "decided", date);
	if (in_str(c, "reason") != NULL)
		host->mut_set(c->m, "reason", in_str(c, "reason"));
	if (t->to != NULL && strcmp(t->to, "raised") == 0) {
		host->mut_event(c->m, "supervision.lead_raised", lead_event(c, date));
		host->mut_op(c->m, JD_OP_HSET, rec_str(c, "source"), "lead", rec_str(c, "lead"));
		cnt(c->m, rec_str(c, "unit"), "leads.raised", c->day, 1);
	}
	host->machine_move(self, &finding_machine, c->m, c->id, rec_str(c, "state"), t->to, c->day);
	snprintf(c->to, sizeof(c->to), "%s", t->to);
	ctx_submit(c, json_is_true(approve) ? "supervision.finding.approve"
					    : "supervision.finding.reject");
}

void finding_decide(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "finding", NULL, decide_loaded);
}
