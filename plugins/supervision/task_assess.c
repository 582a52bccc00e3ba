/*
 * The assessment of a dispatch order (考核): a score and a comment, per
 * receiving unit or sub-group, except for a 1+N matter, which has one
 * assessment for all its N units (一事一考核).  Only the leader of the
 * issuing group assesses (the organization's group leader, or the parent
 * group's for a sub-group without one), matched against the caller's
 * linked person (req_person, "<county>/<id>"); the instance admin, who is
 * no person, assesses through the override route with a reason, kept in
 * the record ("<who>.override") and in the audit action
 * (supervision.task.assess.override).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static const int override_route; /* c->route of the admin's override */

/* Counts an assessment "score|date" of `unit` (NULL: a sub-group, the tenant only). */
static void count_assessment(struct jd_mut *m, const char *group, const char *unit,
			     const char *value)
{
	long long score = atoll(value);
	const char *bar = strchr(value, '|');
	jd_day d;

	if (bar == NULL || host->day_parse(bar + 1, &d) != JD_OK)
		return;
	cnt(m, unit, "tasks.assessed", d, 1);
	cnt(m, unit, "tasks.score", d, score);
	cnt_group(m, group, "assessed", d, 1);
	cnt_group(m, group, "score", d, score);
}

static int is_matter(const char *kind)
{
	return strcmp(kind, "matter") == 0;
}

/* The assessments "a.<code>" of the receivers in csv (units: counted per unit). */
static void count_receivers(struct jd_mut *m, json_t *rec, const char *csv, int units)
{
	for (const char *p = csv; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char f[80], u[65];

		snprintf(u, sizeof(u), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		snprintf(f, sizeof(f), "a.%s", u);
		if (*jobj_str(rec, f))
			count_assessment(m, jobj_str(rec, "group"), units ? u : NULL,
					 jobj_str(rec, f));
		p = end ? end + 1 : NULL;
	}
}

void task_counters(struct jd_mut *m, const json_t *crec)
{
	json_t *rec = (json_t *)crec;
	const char *lead = jobj_str(rec, "lead_unit"), *group = jobj_str(rec, "group");
	jd_day d;

	if (host->day_parse(jobj_str(rec, "dispatched"), &d) == JD_OK) {
		cnt(m, lead, "tasks.dispatched", d, 1);
		cnt_group(m, group, "dispatched", d, 1);
	}
	if (host->day_parse(jobj_str(rec, "completed"), &d) == JD_OK) {
		cnt(m, lead, "tasks.completed", d, 1);
		cnt_group(m, group, "completed", d, 1);
	}
	if (is_matter(jobj_str(rec, "group_kind"))) {
		if (*jobj_str(rec, "assessment"))
			count_assessment(m, group, lead, jobj_str(rec, "assessment"));
		return;
	}
	count_receivers(m, rec, jobj_str(rec, "units"), 1);
	count_receivers(m, rec, jobj_str(rec, "sub_groups"), 0);
}

/* The issuing group's leader: the group's own, or its parent group's for a sub-group without. */
static const char *group_leader(json_t *org, const char *group)
{
	json_t *g = org_group(org, group);

	if (*jobj_str(g, "leader") == '\0' && *jobj_str(g, "parent"))
		g = org_group(org, jobj_str(g, "parent"));
	return jobj_str(g, "leader");
}

/* Records the assessment (the checks done) and submits it. */
static void assess_apply(struct ctx *c)
{
	const char *unit = in_str(c, "unit"), *comment = in_str(c, "comment");
	int matter = is_matter(rec_str(c, "group_kind"));
	int sub = !matter && csv_names(rec_str(c, "sub_groups"), unit);
	const char *who = matter ? "assessment" : unit;
	char f[80], value[64], date[11];

	host->day_format(c->day, date);
	snprintf(value, sizeof(value), "%lld|%s", in_int(c, "score", -1), date);
	snprintf(f, sizeof(f), matter ? "assessment" : "a.%s", unit);
	host->mut_set(c->m, f, value);
	snprintf(f, sizeof(f), "%s.comment", who);
	host->mut_set(c->m, f, comment ? comment : "");
	snprintf(f, sizeof(f), "%s.by", who);
	host->mut_set(c->m, f, host->req_principal(c->req));
	if (c->route == &override_route) {
		snprintf(f, sizeof(f), "%s.override", who);
		host->mut_set(c->m, f, in_str(c, "reason"));
	}
	count_assessment(c->m, rec_str(c, "group"),
			 matter ? rec_str(c, "lead_unit")
			 : sub	? NULL
				: unit,
			 value);
	if (matter || task_all(c, "a.", NULL, unit)) {
		host->machine_move(self, &task_machine, c->m, c->id, "submitted", "assessed",
				   c->day);
		snprintf(c->to, sizeof(c->to), "assessed");
	}
	ctx_submit(c, c->route == &override_route ? "supervision.task.assess.override"
						  : "supervision.task.assess");
}

static void assess_leader(struct ctx *c)
{
	const char *person = host->req_person ? host->req_person(c->req) : NULL;
	const char *leader = group_leader(c->org, rec_str(c, "group"));
	size_t tl = strlen(c->tenant);

	if (person != NULL && *leader && strncmp(person, c->tenant, tl) == 0 && person[tl] == '/' &&
	    strcmp(person + tl + 1, leader) == 0) {
		assess_apply(c);
		return;
	}
	ctx_forbidden(c,
		      "task %s: only the leader of the issuing group %s (person %s) assesses it; "
		      "you are %s%.80s (an instance admin overrides with assess-override and a "
		      "reason)",
		      c->id, rec_str(c, "group"), *leader ? leader : "none recorded",
		      person ? "linked to " : "linked to no person", person ? person : "");
}

static void assess_loaded(struct ctx *c)
{
	const char *unit = in_str(c, "unit");
	long long score = in_int(c, "score", -1);
	int matter = is_matter(rec_str(c, "group_kind"));
	struct jd_refusal r;
	jd_day since = -1;
	char f[80];

	if (ctx_version(c) != 0)
		return;
	if (host->machine_step(&task_machine, c->id, rec_str(c, "state"), "assess", &r) == NULL) {
		ctx_refused(c, &r);
		return;
	}
	if (score < 0 || score > 100) {
		ctx_invalid(c, "field 'score': 0..100");
		return;
	}
	if (matter && unit != NULL) {
		ctx_invalid(c, "field 'unit': a 1+N matter has one assessment for all its units "
			       "(一事一考核): give no unit");
		return;
	}
	if (!matter && !task_receiver(c, unit)) {
		ctx_invalid(
		    c, "field 'unit': the receiving unit or sub-group assessed (one of %s%s%s)",
		    rec_str(c, "units"), *rec_str(c, "sub_groups") ? "," : "",
		    rec_str(c, "sub_groups"));
		return;
	}
	snprintf(f, sizeof(f), matter ? "assessment" : "a.%s", unit);
	if (*rec_str(c, f) != '\0') {
		ctx_conflict(c, "illegal_transition", "task %s: %s already assessed", c->id,
			     matter ? "the matter is" : unit);
		return;
	}
	host->day_parse(rec_str(c, "completed"), &since);
	if (ctx_date(c, "date", since, "the task was completed") != 0)
		return;
	if (c->route != &override_route) {
		ctx_org(c, assess_leader);
		return;
	}
	if (in_str(c, "reason") == NULL || *in_str(c, "reason") == '\0') {
		ctx_invalid(c,
			    "field 'reason': why the admin assesses instead of the group leader");
		return;
	}
	assess_apply(c);
}

void task_assess(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "task", NULL, assess_loaded);
}

void task_assess_override(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "task", &override_route, assess_loaded);
}
