/*
 * Recusal (回避) and the acquaintance society: who may handle a lead or a
 * case.
 *
 * Assigning a handler or a team runs the organization's conflict check
 * (host->org_conflicts) for each of them against the record's unit and
 * each subject's employer: their own or former unit, a unit linked to or
 * supervised by theirs, a declared tie.  Any reason refuses the assignment
 * (409, with the reasons), unless a leader assigns through the override
 * route with a reason of their own: the override, the reasons it overrode
 * and who decided are kept in the record ("override.<n>") and audited as
 * cases.<type>.assign.override.  A user the check cannot place (not
 * linked to a person of the organization) is refused the same way: the
 * check fails closed.
 *
 * Handlers declare recusal themselves ("recusal.<user>"); a leader
 * decides, and an accepted recusal puts the user on the record's deny list
 * (the core then hides the record from them, whatever their roles) and
 * takes them off the handler and the team.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

#define CHECKS_MAX 500

struct run {
	struct ctx *c;
	int pending;
	int rc;
	json_t *reasons; /* who -> [reason, ...] */
	int override;
};

struct check {
	struct run *r;
	char who[65];
};

static void add_reason(struct run *r, const char *who, const char *reason)
{
	json_t *list = json_object_get(r->reasons, who);

	if (reason == NULL)
		reason = "a conflict the check could not name";
	if (list == NULL) {
		list = json_array();
		json_object_set_new(r->reasons, who, list);
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *had = json_string_value(json_array_get(list, i));

		if (had != NULL && strcmp(had, reason) == 0)
			return;
	}
	json_array_append_new(list, json_string(reason));
}

/* Appends to out (len bytes, used so far in *used) what fits; *used stops at len - 1. */
static void text_add(char *out, size_t len, size_t *used, const char *a, const char *b)
{
	int n;

	if (*used + 1 >= len)
		return;
	n = snprintf(out + *used, len - *used, "%s%s", a, b ? b : "");
	if (n < 0)
		return;
	*used += (size_t)n < len - *used ? (size_t)n : len - *used - 1;
}

/* "wang: works in ag1; has a declared tie to ag2. li: ..." */
static void reasons_text(json_t *reasons, char *out, size_t len)
{
	const char *who;
	json_t *list;
	size_t used = 0;

	out[0] = '\0';
	json_object_foreach(reasons, who, list)
	{
		size_t i;
		json_t *r;

		text_add(out, len, &used, used ? ". " : "", who);
		text_add(out, len, &used, ": ", NULL);
		json_array_foreach(list, i, r)
		    text_add(out, len, &used, i ? "; " : "", json_string_value(r));
	}
}

static void assign_apply(struct run *r)
{
	struct ctx *c = r->c;
	const char *handler = in_str(c, "handler"), *team = in_str(c, "team");
	char a[96];

	if (handler != NULL)
		host->mut_set(c->m, "handler", handler);
	if (team != NULL)
		host->mut_set(c->m, "team", team);
	team_event(c, handler, team); /* training_events.c */
	if (r->override) {
		long long n = rec_int(c, "overrides") + 1;
		char field[32], date[11];
		json_t *o;
		char *text;

		host->day_format(host->day_today(), date);
		o = json_pack("{s:O, s:s, s:s, s:s}", "reasons", r->reasons, "reason",
			      in_str(c, "reason"), "by", host->req_principal(c->req), "date", date);
		text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		snprintf(field, sizeof(field), "override.%lld", n);
		if (text == NULL)
			host->mut_fail(c->m);
		else
			host->mut_set(c->m, field, text);
		free(text);
		host->mut_setf(c->m, "overrides", "%lld", n);
	}
	snprintf(c->to, sizeof(c->to), "%s", rec_str(c, "state"));
	snprintf(a, sizeof(a), "cases.%s.assign%s", kind_type(c->kind),
		 r->override && json_object_size(r->reasons) ? ".override" : "");
	ctx_submit(c, a);
}

static void run_finish(struct run *r)
{
	struct ctx *c = r->c;
	char text[600];

	if (r->rc != JD_OK) {
		ctx_fail(c, r->rc);
	} else if (json_object_size(r->reasons) > 0 && !r->override) {
		reasons_text(r->reasons, text, sizeof(text));
		host->reply_json(c->req, 409,
				 json_pack("{s:{s:s, s:s, s:O}}", "error", "code",
					   "conflict_of_interest", "message", text, "reasons",
					   r->reasons));
		ctx_free(c);
	} else {
		assign_apply(r);
	}
	json_decref(r->reasons);
	free(r);
}

static void on_conflicts(int rc, json_t *reasons, void *arg)
{
	struct check *k = arg;
	struct run *r = k->r;

	if (rc == JD_E_NOTFOUND)
		add_reason(r, k->who,
			   "is not linked to a person of the organization: the conflict check "
			   "cannot clear them");
	else if (rc != JD_OK && r->rc == JD_OK)
		r->rc = rc;
	for (size_t i = 0; rc == JD_OK && i < json_array_size(reasons); i++)
		add_reason(r, k->who, json_string_value(json_array_get(reasons, i)));
	free(k);
	if (--r->pending == 0)
		run_finish(r);
}

static void check_one(struct run *r, const char *who, const char *employer)
{
	struct check *k = calloc(1, sizeof(*k));
	int rc;

	if (k == NULL) {
		r->rc = JD_E_NOMEM;
		return;
	}
	k->r = r;
	snprintf(k->who, sizeof(k->who), "%s", who);
	rc = host->org_conflicts(self, r->c->tenant, who, rec_str(r->c, "unit"), employer,
				 on_conflicts, k);
	if (rc == JD_E_INVALID) { /* not a user or person id the organization can know */
		add_reason(r, who, "is not a person of the organization");
		free(k);
		return;
	}
	if (rc != JD_OK) {
		r->rc = rc;
		free(k);
		return;
	}
	r->pending++;
}

/* The entries of a comma-separated list (none empty: csv_valid checked it). */
static size_t csv_count(const char *csv)
{
	size_t n = csv != NULL && *csv ? 1 : 0;

	for (const char *p = csv; p != NULL && *p; p++)
		n += *p == ',';
	return n;
}

/* The subjects' employers (a new array of strings; NULL out of memory). */
static json_t *employers_of(json_t *subjects)
{
	json_t *out = json_array(), *s;
	size_t i;

	json_array_foreach(subjects, i, s)
	{
		json_t *emp = json_object_get(s, "employer");

		if (out != NULL && json_is_string(emp))
			json_array_append(out, emp);
	}
	return out;
}

/* Checks who against the record's unit and each employer (or the unit alone). */
static void check_person(struct run *r, const char *who, json_t *employers)
{
	size_t i;
	json_t *emp;

	if (json_array_size(employers) == 0)
		check_one(r, who, NULL);
	json_array_foreach(employers, i, emp) check_one(r, who, json_string_value(emp));
}

/* Every person to check, against the unit and each subject's employer. */
static void assign_keyed(struct ctx *c)
{
	struct run *r = calloc(1, sizeof(*r));
	json_t *subjects = NULL, *employers = NULL;
	const char *people[2] = {in_str(c, "handler"), in_str(c, "team")};
	size_t checks;
	int rc = JD_E_NOMEM;

	if (r == NULL || (r->reasons = json_object()) == NULL ||
	    (rc = subjects_open(c, c->kind == KIND_LEAD ? "subject." : "person.", &subjects)) !=
		JD_OK ||
	    (employers = employers_of(subjects)) == NULL) {
		if (r != NULL)
			json_decref(r->reasons);
		free(r);
		json_decref(subjects);
		ctx_fail(c, rc != JD_OK ? rc : JD_E_NOMEM);
		return;
	}
	json_decref(subjects);
	/* every check is asked for: skipping some would clear a person unchecked */
	checks = (csv_count(people[0]) + csv_count(people[1])) *
		 (json_array_size(employers) ? json_array_size(employers) : 1);
	if (checks > CHECKS_MAX) {
		json_decref(employers);
		json_decref(r->reasons);
		free(r);
		ctx_invalid(c,
			    "fields 'handler' and 'team': %zu conflict checks (persons times the "
			    "subjects' employers), at most %d in one assignment",
			    checks, CHECKS_MAX);
		return;
	}
	r->c = c;
	r->override = c->route != NULL;
	r->pending = 1;
	for (size_t p = 0; p < 2; p++) {
		for (const char *q = people[p]; q != NULL && *q;) {
			const char *end = strchr(q, ',');
			char who[65];

			snprintf(who, sizeof(who), "%.*s", (int)(end ? end - q : (long)strlen(q)),
				 q);
			check_person(r, who, employers);
			q = end ? end + 1 : NULL;
		}
	}
	json_decref(employers);
	if (--r->pending == 0)
		run_finish(r);
}

static void assign_loaded(struct ctx *c)
{
	const char *handler = in_str(c, "handler"), *team = in_str(c, "team");
	const char *people[2] = {handler, team};

	if (ctx_version(c) != 0)
		return;
	if (handler == NULL && team == NULL) {
		ctx_invalid(c, "give field 'handler' or field 'team' (or both)");
		return;
	}
	if (!ids_valid(handler, 0) || !csv_valid(team, 64)) {
		ctx_invalid(c, "fields 'handler' and 'team' take user ids ([A-Za-z0-9._-], at most "
			       "64 each), team comma-separated");
		return;
	}
	if (host->machine_terminal(machine_of(c->kind), rec_str(c, "state"))) {
		ctx_conflict(c, "illegal_transition", "%s %s is %s: nobody can be assigned",
			     kind_type(c->kind), c->id, rec_str(c, "state"));
		return;
	}
	for (size_t p = 0; p < 2; p++)
		for (const char *q = people[p]; q != NULL && *q;) {
			const char *end = strchr(q, ',');
			char who[65];

			snprintf(who, sizeof(who), "%.*s", (int)(end ? end - q : (long)strlen(q)),
				 q);
			if (csv_names(rec_str(c, "deny"), who)) {
				ctx_conflict(c, "recused",
					     "%s is recused from %s %s (on its deny list)", who,
					     kind_type(c->kind), c->id);
				return;
			}
			q = end ? end + 1 : NULL;
		}
	if (c->route != NULL && (in_str(c, "reason") == NULL || in_str(c, "reason")[0] == 0)) {
		ctx_invalid(c, "field 'reason' is required to override a conflict check");
		return;
	}
	ctx_keys(c, assign_keyed);
}

/* 1 when the daemon offers the organization's conflict check; otherwise answers 503. */
static int conflicts_available(jd_req *req)
{
	if (host->org_conflicts != NULL)
		return 1;
	host->reply_error(req, 503, "unavailable",
			  "the organization's conflict check is not available in this daemon");
	return 0;
}

void rec_assign(jd_req *req, void *arg)
{
	const struct verb *v = arg;

	if (!conflicts_available(req))
		return;
	ctx_route(req, v->kind, NULL, assign_loaded);
}

void rec_assign_override(jd_req *req, void *arg)
{
	const struct verb *v = arg;

	if (!conflicts_available(req))
		return;
	ctx_route(req, v->kind, v, assign_loaded); /* route != NULL: the override */
}

/* ---- declared recusal and the leader's decision ---------------------------------------------- */

static void recuse_loaded(struct ctx *c)
{
	const char *who = host->req_principal(c->req), *reason = in_str(c, "reason");
	char field[96], date[11];
	json_t *o;
	char *text;

	if (ctx_version(c) != 0)
		return;
	if (reason == NULL || reason[0] == '\0') {
		ctx_invalid(c, "field 'reason' is required");
		return;
	}
	host->day_format(host->day_today(), date);
	o = json_pack("{s:s, s:s}", "reason", reason, "date", date);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	snprintf(field, sizeof(field), "recusal.%.64s", who);
	host->mut_set(c->m, field, text);
	free(text);
	snprintf(c->to, sizeof(c->to), "%s", rec_str(c, "state"));
	ctx_submit(c, c->kind == KIND_LEAD ? "cases.lead.recusal.declare"
					   : "cases.case.recusal.declare");
}

/* csv without `who` (a copy in out) */
static void csv_without(const char *csv, const char *who, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (const char *p = csv; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (!(l == strlen(who) && strncmp(p, who, l) == 0) && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%.*s", used ? "," : "",
						 (int)l, p);
		p = end ? end + 1 : NULL;
	}
}

static void decide_loaded(struct ctx *c)
{
	const char *who = in_str(c, "user");
	int accept = in_bool(c, "accept");
	char field[96], list[512];
	char a[96];

	if (ctx_version(c) != 0)
		return;
	if (who == NULL || who[0] == '\0' || !ids_valid(who, 0)) {
		ctx_invalid(c, "field 'user' must be a user id");
		return;
	}
	snprintf(field, sizeof(field), "recusal.%.64s", who);
	if (!accept && rec_str(c, field)[0] == '\0') {
		ctx_conflict(c, "nothing_pending", "%s declared no recusal from %s %s", who,
			     kind_type(c->kind), c->id);
		return;
	}
	if (rec_str(c, field)[0] != '\0')
		host->mut_del(c->m, field);
	if (accept) {
		/* never truncated: a deny list cut short would let the last one back in */
		if (!csv_names(rec_str(c, "deny"), who))
			host->mut_setf(c->m, "deny", "%s%s%s", rec_str(c, "deny"),
				       rec_str(c, "deny")[0] ? "," : "", who);
		if (strcmp(rec_str(c, "handler"), who) == 0)
			host->mut_set(c->m, "handler", "");
		csv_without(rec_str(c, "team"), who, list, sizeof(list));
		host->mut_set(c->m, "team", list);
	}
	host->mut_setf(c->m, "recusal_decided", "%s:%s:%s", who, accept ? "accepted" : "refused",
		       host->req_principal(c->req));
	snprintf(c->to, sizeof(c->to), "%s", rec_str(c, "state"));
	snprintf(a, sizeof(a), "cases.%s.recusal.%s", kind_type(c->kind),
		 accept ? "accept" : "refuse");
	ctx_submit(c, a);
}

void rec_recuse(jd_req *req, void *arg)
{
	const struct verb *v = arg;

	ctx_route(req, v->kind, NULL, recuse_loaded);
}

void rec_recusal_decide(jd_req *req, void *arg)
{
	const struct verb *v = arg;

	ctx_route(req, v->kind, NULL, decide_loaded);
}
