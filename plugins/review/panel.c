/*
 * The panel (审理组): at least two reviewers of the review office, one of
 * them the lead reviewer, assigned by its head.  Separation of duties
 * (查审分离) is enforced, not advised: nobody who handled the lead, sat on
 * the verification or investigation team, proposed or approved a measure
 * or the conclusion (the conclusion's event names them), sat on the first
 * panel of an appealed case, is on the record's deny list, or is flagged
 * by the organization's conflict check against the case's unit may sit
 * on it; the refusal names each person and the reason.  Membership of the
 * review office is the organization's too: the conflict check of the
 * reviewer against the review office must say they work in it.
 *
 * A recusal takes a reviewer off the panel and puts them on the record's
 * deny list (the core hides the record from them from then on).
 *
 * Assigning, changing and recusals are the review office's head's
 * (head.c); the instance admin, who is no person, assigns through the
 * override route, whose reason is kept in the record and the audit entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

#define PANEL_MAX 9

static const int override_route; /* c->route of the admin's override */

struct check {
	struct rctx *c;
	char who[65];
	int office; /* 1: the check against the review office; 0: against the case's unit */
};

static void refuse(struct rctx *c, const char *who, const char *reason)
{
	json_t *r = json_object_get(c->aux, "refused");

	if (json_object_get(r, who) == NULL)
		json_object_set_new(r, who, json_string(reason));
}

static void reasons_join(json_t *reasons, char *out, size_t len)
{
	size_t used = 0;
	json_t *v;
	size_t i;

	out[0] = '\0';
	json_array_foreach(reasons, i, v)
	{
		int n = snprintf(out + used, len - used, "%s%s", i ? ", " : "",
				 json_string_value(v) ? json_string_value(v) : "?");

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static void panel_finish(struct rctx *c);

static void on_conflicts(int rc, json_t *reasons, void *arg)
{
	struct check *k = arg;
	struct rctx *c = k->c;
	char text[300], works[100];

	if (rc == JD_E_NOTFOUND) {
		refuse(c, k->who, "is linked to no person of the organization (cannot be cleared)");
	} else if (rc != JD_OK) {
		c->rc = rc;
	} else if (k->office) {
		int member = 0;
		size_t i;
		json_t *v;

		snprintf(works, sizeof(works), "works in %s", rec_str(c, "unit"));
		json_array_foreach(reasons, i, v) member |=
		    json_string_value(v) && strcmp(json_string_value(v), works) == 0;
		if (!member) {
			snprintf(text, sizeof(text), "is not a reviewer of the review office %s",
				 rec_str(c, "unit"));
			refuse(c, k->who, text);
		}
	} else if (json_array_size(reasons) > 0) {
		char joined[240];

		reasons_join(reasons, joined, sizeof(joined));
		snprintf(text, sizeof(text), "conflict of interest with the case's unit (%s)",
			 joined);
		refuse(c, k->who, text);
	}
	free(k);
	if (--c->pending == 0)
		panel_finish(c);
}

static int check_start(struct rctx *c, const char *who, int office)
{
	struct check *k = calloc(1, sizeof(*k));
	const char *unit = office ? rec_str(c, "unit") : rec_str(c, "case_unit");
	int rc;

	if (k == NULL)
		return JD_E_NOMEM;
	k->c = c;
	k->office = office;
	snprintf(k->who, sizeof(k->who), "%s", who);
	c->pending++;
	rc =
	    host->org_conflicts(self, c->tenant, who, unit[0] ? unit : NULL, NULL, on_conflicts, k);
	if (rc != JD_OK) {
		c->pending--;
		free(k);
		if (rc == JD_E_INVALID)
			refuse(c, who, "is not a user id the conflict check takes");
		else
			return rc;
	}
	return JD_OK;
}

/* "u1: reason; u2: reason" */
static void refusal_text(json_t *refused, char *out, size_t len)
{
	const char *who;
	json_t *v;
	size_t used = 0;

	out[0] = '\0';
	json_object_foreach(refused, who, v)
	{
		int n = snprintf(out + used, len - used, "%s%s %s", used ? "; " : "", who,
				 json_string_value(v));

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static void panel_finish(struct rctx *c)
{
	json_t *refused = json_object_get(c->aux, "refused");
	const char *members = json_string_value(json_object_get(c->aux, "members"));
	const char *lead = json_string_value(json_object_get(c->aux, "lead"));
	char text[500], date[11];

	if (c->rc != JD_OK) {
		rctx_fail(c, c->rc);
		return;
	}
	if (json_object_size(refused) > 0) {
		refusal_text(refused, text, sizeof(text));
		rctx_conflict(c, "separation_of_duties", "review %s: not on this panel: %s", c->id,
			      text);
		return;
	}
	host->day_format(c->day, date);
	host->mut_set(c->m, "panel", members);
	host->mut_set(c->m, "lead_reviewer", lead);
	host->mut_set(c->m, "panel_by", host->req_principal(c->req));
	host->mut_set(c->m, "panel_date", date);
	if (c->route == &override_route) {
		host->mut_set(c->m, "panel_override", in_str(c, "reason"));
		rctx_submit(c, "review.panel.override");
		return;
	}
	host->mut_set(c->m, "panel_override", "");
	rctx_submit(c, "review.panel.assign");
}

/* Refusals that need no organization: the deny list, the case's handlers, the first panel. */
static void local_refusals(struct rctx *c, const char *who)
{
	json_t *ex = rec_json(c, "excluded");
	const char *why = json_string_value(json_object_get(ex, who));
	char text[200];

	if (csv_names(rec_str(c, "deny"), who))
		refuse(c, who, "is on the review's deny list (recused)");
	else if (why != NULL) {
		snprintf(text, sizeof(text), "%s of case %s", why, rec_str(c, "case"));
		refuse(c, who, text);
	} else if (csv_names(rec_str(c, "barred"), who))
		refuse(c, who, "sat on the first panel of this case (an appeal needs a new panel)");
	json_decref(ex);
}

static void panel_checks(struct rctx *c)
{
	const char *lead = in_str(c, "lead"), *others = in_str(c, "members");
	char members[700];
	int n = 1, rc = JD_OK;

	if (!ids_valid(lead, 0) || !ids_valid(others, 1)) {
		rctx_invalid(c,
			     "fields 'lead' and 'members' take user ids, members comma-separated");
		return;
	}
	snprintf(members, sizeof(members), "%s", lead);
	for (const char *p = others; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char who[65];

		snprintf(who, sizeof(who), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		p = end ? end + 1 : NULL;
		if (who[0] == '\0' || csv_names(members, who))
			continue;
		if (strlen(members) + strlen(who) + 2 > sizeof(members) || ++n > PANEL_MAX) {
			rctx_invalid(c, "field 'members': at most %d reviewers", PANEL_MAX);
			return;
		}
		strcat(members, ",");
		strcat(members, who);
	}
	if (n < 2) {
		rctx_invalid(c, "field 'members': a panel has at least two reviewers, the lead "
				"reviewer and one more");
		return;
	}
	c->aux = json_pack("{s:s, s:s, s:{}}", "lead", lead, "members", members, "refused");
	if (c->aux == NULL) {
		rctx_fail(c, JD_E_NOMEM);
		return;
	}
	c->pending = 1; /* held until every check is started */
	for (const char *p = members; rc == JD_OK && p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char who[65];

		snprintf(who, sizeof(who), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		p = end ? end + 1 : NULL;
		local_refusals(c, who);
		if ((rc = check_start(c, who, 0)) == JD_OK)
			rc = check_start(c, who, 1);
	}
	if (rc != JD_OK)
		c->rc = rc;
	if (--c->pending == 0)
		panel_finish(c);
}

static void panel_head(struct rctx *c)
{
	if (head_only(c) == 0)
		panel_checks(c);
}

static void panel_loaded(struct rctx *c)
{
	if (rctx_step_ok(c, "panel") != 0)
		return;
	if (rec_str(c, "unit")[0] == '\0') {
		rctx_conflict(c, "no_review_office",
			      "county %s has no review office (a unit of kind review_office)",
			      c->tenant);
		return;
	}
	if (c->route != &override_route) {
		rctx_org(c, panel_head);
		return;
	}
	if (in_str(c, "reason") == NULL || in_str(c, "reason")[0] == '\0') {
		rctx_invalid(c, "field 'reason': why the admin assigns instead of the review "
				"office's head");
		return;
	}
	panel_checks(c);
}

void panel_assign(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, panel_loaded);
}

void panel_override(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, &override_route, panel_loaded);
}

/* The csv without one entry. */
static void csv_without(const char *csv, const char *who, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (const char *p = csv; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (!(l == strlen(who) && strncmp(p, who, l) == 0)) {
			int n =
			    snprintf(out + used, len - used, "%s%.*s", used ? "," : "", (int)l, p);

			if (n < 0 || (size_t)n >= len - used)
				break;
			used += (size_t)n;
		}
		p = end ? end + 1 : NULL;
	}
}

static void recuse_head(struct rctx *c)
{
	const char *who = in_str(c, "user"), *reason = in_str(c, "reason");
	char panel[700], deny[700], field[100];

	if (head_only(c) != 0)
		return;
	if (who == NULL || !csv_names(rec_str(c, "panel"), who)) {
		rctx_invalid(c, "field 'user': %.64s is not on the panel of review %s",
			     who ? who : "", c->id);
		return;
	}
	if (reason == NULL || reason[0] == '\0') {
		rctx_invalid(c, "field 'reason': why the reviewer recuses");
		return;
	}
	csv_without(rec_str(c, "panel"), who, panel, sizeof(panel));
	snprintf(deny, sizeof(deny), "%s%s%s", rec_str(c, "deny"), rec_str(c, "deny")[0] ? "," : "",
		 who);
	host->mut_set(c->m, "panel", panel);
	host->mut_set(c->m, "deny", deny);
	if (strcmp(rec_str(c, "lead_reviewer"), who) == 0)
		host->mut_set(c->m, "lead_reviewer", "");
	snprintf(field, sizeof(field), "recusal.%s", who);
	host->mut_set(c->m, field, reason);
	rctx_submit(c, "review.panel.recuse");
}

static void recuse_loaded(struct rctx *c)
{
	if (rctx_step_ok(c, "recuse") == 0)
		rctx_org(c, recuse_head);
}

void panel_recuse(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, recuse_loaded);
}
