/* Proposals and approvals (svc_proposal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/svc_dates.h"
#include "services/svc_machine.h"
#include "services/svc_mut.h"
#include "services/svc_proposal.h"
#include "transport/request.h"

/* The record's field as a string, "" when absent. */
static const char *field(const json_t *rec, const char *name)
{
	const char *v = json_string_value(json_object_get(rec, name));

	return v ? v : "";
}

static const char *principal(jd_req *req)
{
	return req ? req->principal.name : "";
}

static const char *type_of(const struct jd_machine *m)
{
	return m && m->type ? m->type : "record";
}

int jd_proposal_none(const struct jd_machine *m, const json_t *rec, const char *id,
		     struct jd_refusal *r)
{
	json_t *p;
	const char *action, *by;

	if (field(rec, "pending")[0] == '\0')
		return 0;
	p = json_loads(field(rec, "pending"), 0, NULL);
	action = json_string_value(json_object_get(p, "action"));
	by = json_string_value(json_object_get(p, "by"));
	jd_refuse(r, 409, "awaiting_approval",
		  "%s %s awaits a leader's approval of '%s' (proposed by %s); approve or "
		  "reject it first",
		  type_of(m), id ? id : "", action ? action : "?", by ? by : "?");
	json_decref(p);
	return -1;
}

int jd_proposal_open(const struct jd_machine *m, const json_t *rec, const char *id,
		     const char *verb, const char *arg_field, const char *arg, jd_req *req,
		     json_t **pending, struct jd_refusal *r)
{
	const char *state = field(rec, "state");
	const struct jd_transition *t;
	char action[64], known[200];

	*pending = NULL;
	if (m == NULL || verb == NULL)
		return JD_E_INVALID;
	if (jd_proposal_none(m, rec, id, r) != 0)
		return JD_E_CONFLICT;
	if (arg_field != NULL && !jd_machine_arg_known(m, verb, arg, known, sizeof(known))) {
		jd_refuse(r, 400, "invalid", "field '%s': '%.40s' is not one of %s", arg_field,
			  arg ? arg : "", known);
		return JD_E_INVALID;
	}
	if (arg_field != NULL)
		snprintf(action, sizeof(action), "%s.%.40s", verb, arg);
	else
		snprintf(action, sizeof(action), "%s", verb);
	t = jd_machine_find(m, state, action);
	if (t == NULL || !t->approval) {
		jd_machine_refuse(m, id, state, action, r);
		return JD_E_CONFLICT;
	}
	*pending =
	    json_pack("{s:s, s:s, s:s}", "action", action, "by", principal(req), "from", state);
	return *pending ? JD_OK : JD_E_NOMEM;
}

void jd_proposal_put(struct jd_mut *mut, const json_t *pending)
{
	char *text = json_dumps(pending, JSON_COMPACT);

	if (text == NULL) {
		jd_mut_fail(mut);
		return;
	}
	jd_mut_set(mut, "pending", text);
	free(text);
}

/* Something awaits a decision: 0, or -1 with r filled (409). */
static int awaits(const struct jd_machine *m, const json_t *rec, const char *id,
		  struct jd_refusal *r)
{
	if (field(rec, "pending")[0] != '\0')
		return 0;
	jd_refuse(r, 409, "nothing_pending", "%s %s awaits no approval", type_of(m), id ? id : "");
	return -1;
}

int jd_proposal_approve(const struct jd_machine *m, const json_t *rec, const char *id,
			const char *date, jd_req *req, struct jd_mut *mut,
			const struct jd_transition **t, json_t **pending, jd_day *day,
			struct jd_refusal *r)
{
	const char *state = field(rec, "state");
	jd_day since;
	json_t *p;
	char err[300];

	*pending = NULL;
	*t = NULL;
	if (m == NULL || awaits(m, rec, id, r) != 0)
		return JD_E_CONFLICT;
	p = json_loads(field(rec, "pending"), 0, NULL);
	*t = jd_machine_find(m, state, json_string_value(json_object_get(p, "action")));
	if (*t == NULL) {
		json_decref(p);
		jd_machine_refuse(m, id, state, "approve", r);
		return JD_E_CONFLICT;
	}
	if (jd_day_parse(field(rec, "state_since"), &since) != JD_OK)
		since = -1;
	if (jd_date_input("date", date, since, "the record entered its state", day, err,
			  sizeof(err)) != JD_OK) {
		json_decref(p);
		*t = NULL;
		jd_refuse(r, 400, "invalid", "%s", err);
		return JD_E_INVALID;
	}
	jd_mut_del(mut, "pending");
	jd_mut_set(mut, "approved_by", principal(req));
	*pending = p;
	return JD_OK;
}

int jd_proposal_reject(const struct jd_machine *m, const json_t *rec, const char *id,
		       const char *reason, jd_req *req, struct jd_mut *mut, struct jd_refusal *r)
{
	if (m == NULL || awaits(m, rec, id, r) != 0)
		return JD_E_CONFLICT;
	jd_mut_del(mut, "pending");
	jd_mut_set(mut, "rejected", field(rec, "pending"));
	jd_mut_set(mut, "rejected_by", principal(req));
	jd_mut_set(mut, "rejected_reason", reason ? reason : "");
	return JD_OK;
}
