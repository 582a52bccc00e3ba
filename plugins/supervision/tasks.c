/*
 * Task lists and dispatch orders (任务清单, 派单).  A group of the
 * organization (task force, area, joint group, 1+N matter) dispatches a
 * task for a period to receiving units: title, kind, due date, the lead
 * unit (given, or by the group's policy: the rotation's next unit for a
 * rotating lead, otherwise the first unit) and the cooperating units.
 * Each receiving unit signs for it, reports progress and submits its
 * result ("u.<unit>": issued, signed, submitted); when the last has
 * submitted the order is complete.  A leader assesses it (score, comment):
 * per unit, except for a 1+N matter, which has one assessment for all N
 * units (一事一考核).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static const char *const task_kinds[] = {"coordinated_supervision", "joint_case_handling",
					 "special_rectification", NULL};

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* The n-th entry (mod the count) of a comma-separated list into out. */
static void csv_nth(const char *csv, long long n, char *out, size_t len)
{
	long long count = 1, i = 0;

	for (const char *p = csv; *p; p++)
		count += *p == ',';
	n %= count;
	for (const char *p = csv; p != NULL; i++) {
		const char *end = strchr(p, ',');

		if (i == n) {
			snprintf(out, len, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
			return;
		}
		p = end ? end + 1 : NULL;
	}
	out[0] = '\0';
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static void on_group_count(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg;
	const char *group = in_str(c, "group"), *units = in_str(c, "units");
	json_t *g = org_group(c->org, group);
	long long n = json_is_string(result) ? atoll(json_string_value(result)) : 0;
	char lead[65], date[11];
	jd_day due;

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	if (in_str(c, "lead_unit") != NULL)
		snprintf(lead, sizeof(lead), "%s", in_str(c, "lead_unit"));
	else if (strcmp(jstr(g, "policy"), "rotating") == 0 && *jstr(g, "rotation"))
		csv_nth(jstr(g, "rotation"), n, lead, sizeof(lead));
	else
		csv_nth(units, 0, lead, sizeof(lead));
	host->day_parse(in_str(c, "due"), &due);
	host->day_format(c->day, date);
	host->mut_set(c->m, "unit", lead);
	host->mut_set(c->m, "lead_unit", lead);
	host->mut_set(c->m, "groups", group);
	host->mut_set(c->m, "deny", "");
	host->mut_set(c->m, "group", group);
	host->mut_set(c->m, "group_kind", jstr(g, "kind"));
	host->mut_set(c->m, "policy", jstr(g, "policy"));
	host->mut_set(c->m, "title", in_str(c, "title"));
	host->mut_set(c->m, "kind", in_str(c, "kind"));
	host->mut_set(c->m, "period", in_str(c, "period") ? in_str(c, "period") : "");
	host->mut_set(c->m, "units", units);
	host->mut_set(c->m, "due_date", in_str(c, "due"));
	host->mut_set(c->m, "dispatched", date);
	host->mut_set(c->m, "created_by", host->req_principal(c->req));
	host->mut_set(c->m, "late", c->late ? "1" : "0");
	for (const char *p = units; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char f[80];

		snprintf(f, sizeof(f), "u.%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		host->mut_set(c->m, f, "issued");
		p = end ? end + 1 : NULL;
	}
	host->mut_op(c->m, JD_OP_HINCRBY, "tasks:groups", group, "1");
	host->machine_move(self, &task_machine, c->m, c->id, NULL, "issued", c->day);
	host->deadline_put(&task_machine, c->m, c->id, "due", due);
	ctx_index(c, "tasks", lead);
	cnt(c->m, lead, "tasks.dispatched", c->day, 1);
	cnt_group(c->m, group, "dispatched", c->day, 1);
	snprintf(c->to, sizeof(c->to), "issued");
	ctx_submit(c, "supervision.task.create");
}

static void create_org(struct ctx *c)
{
	const char *group = in_str(c, "group"), *units = in_str(c, "units");
	const char *lead = in_str(c, "lead_unit");
	const char *argv[3] = {"HGET", "tasks:groups", group};
	int rc;

	if (ctx_groups_check(c, "group", group) != 0)
		return;
	for (const char *p = units; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char u[65];

		snprintf(u, sizeof(u), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		if (ctx_unit_check(c, "units", u) != 0)
			return;
		p = end ? end + 1 : NULL;
	}
	if (lead != NULL && !csv_names(units, lead)) {
		ctx_invalid(c, "field 'lead_unit': %.64s is not one of the receiving units", lead);
		return;
	}
	if ((rc = host->store_read(self, c->tenant, 3, argv, on_group_count, c)) != JD_OK)
		ctx_fail(c, rc);
}

void task_create(jd_req *req, void *arg)
{
	struct ctx *c = ctx_create(req, "task");
	jd_day due;

	(void)arg;
	if (c == NULL || ctx_date(c, "date", -1, NULL) != 0 ||
	    ctx_deadline(c, "due", c->day, &due) != 0)
		return;
	if (!one_of(in_str(c, "kind"), task_kinds)) {
		ctx_invalid(c, "field 'kind': coordinated_supervision, joint_case_handling or "
			       "special_rectification");
		return;
	}
	if (!code_valid(in_str(c, "units"), 1) || strstr(in_str(c, "units"), ",,") ||
	    !code_valid(in_str(c, "group"), 0)) {
		ctx_invalid(c, "field 'units': unit codes, comma-separated");
		return;
	}
	ctx_org(c, create_org);
}

static void show_loaded(struct ctx *c)
{
	ctx_reply(c, 200, rec_public(c));
}

void task_show(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "task", NULL, show_loaded);
}

/* ---- a receiving unit: sign, progress, submit -------------------------------------------------
 */

/* Whether every receiving unit but `except` has reached `status` (its "u.<unit>"). */
static int all_units(struct ctx *c, const char *status, const char *except)
{
	for (const char *p = rec_str(c, "units"); p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char f[80];

		snprintf(f, sizeof(f), "u.%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		if (strcmp(f + 2, except) != 0 && strcmp(rec_str(c, f), status) != 0)
			return 0;
		p = end ? end + 1 : NULL;
	}
	return 1;
}

static void unit_loaded(struct ctx *c)
{
	const char *action = c->route, *unit = in_str(c, "unit"), *note = in_str(c, "note");
	struct jd_refusal r;
	jd_day since = -1;
	char f[96], date[11];
	const char *now;

	if (ctx_version(c) != 0)
		return;
	if (host->machine_step(&task_machine, c->id, rec_str(c, "state"), action, &r) == NULL) {
		ctx_refused(c, &r);
		return;
	}
	snprintf(f, sizeof(f), "u.%s", unit ? unit : "");
	now = rec_str(c, f);
	if (*now == '\0') {
		ctx_invalid(c, "field 'unit': %.64s is not a receiving unit of task %s",
			    unit ? unit : "", c->id);
		return;
	}
	if (!host->record_visible(c->req, NULL, c->tenant, unit, "", "")) {
		ctx_forbidden(c, "task %s: only unit %s signs, reports and submits for itself",
			      c->id, unit);
		return;
	}
	if ((strcmp(action, "sign") == 0 && strcmp(now, "issued") != 0) ||
	    (strcmp(action, "sign") != 0 && strcmp(now, "signed") != 0)) {
		ctx_conflict(c, "illegal_transition", "task %s: unit %s is %s: '%s' is not allowed",
			     c->id, unit, now, action);
		return;
	}
	host->day_parse(rec_str(c, "dispatched"), &since);
	if (ctx_date(c, "date", since, "the task was dispatched") != 0)
		return;
	host->day_format(c->day, date);
	if (strcmp(action, "sign") == 0) {
		host->mut_set(c->m, f, "signed");
		snprintf(f, sizeof(f), "u.%s.signed", unit);
		host->mut_set(c->m, f, date);
	} else if (strcmp(action, "progress") == 0) {
		snprintf(f, sizeof(f), "u.%s.progress", unit);
		host->mut_setf(c->m, f, "%s|%s", date, note ? note : "");
	} else {
		host->mut_set(c->m, f, "submitted");
		snprintf(f, sizeof(f), "u.%s.submitted", unit);
		host->mut_setf(c->m, f, "%s|%s", date, note ? note : "");
		if (all_units(c, "submitted", unit)) {
			host->mut_set(c->m, "completed", date);
			host->deadline_drop(&task_machine, c->m, c->id, "due");
			host->machine_move(self, &task_machine, c->m, c->id, "issued", "submitted",
					   c->day);
			snprintf(c->to, sizeof(c->to), "submitted");
			cnt(c->m, rec_str(c, "lead_unit"), "tasks.completed", c->day, 1);
			cnt_group(c->m, rec_str(c, "group"), "completed", c->day, 1);
		}
	}
	snprintf(f, sizeof(f), "supervision.task.%s", action);
	ctx_submit(c, f);
}

void task_unit_step(jd_req *req, void *arg)
{
	ctx_route(req, "task", arg, unit_loaded);
}

/* ---- assessment --------------------------------------------------------------------------------
 */

static void count_assessment(struct jd_mut *m, const json_t *rec, const char *unit,
			     const char *value)
{
	const char *group = json_string_value(json_object_get(rec, "group"));
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

void task_counters(struct jd_mut *m, const json_t *rec)
{
	const char *lead = jstr((json_t *)rec, "lead_unit"), *group = jstr((json_t *)rec, "group");
	jd_day d;

	if (host->day_parse(jstr((json_t *)rec, "dispatched"), &d) == JD_OK) {
		cnt(m, lead, "tasks.dispatched", d, 1);
		cnt_group(m, group, "dispatched", d, 1);
	}
	if (host->day_parse(jstr((json_t *)rec, "completed"), &d) == JD_OK) {
		cnt(m, lead, "tasks.completed", d, 1);
		cnt_group(m, group, "completed", d, 1);
	}
	if (is_matter(jstr((json_t *)rec, "group_kind"))) {
		if (*jstr((json_t *)rec, "assessment"))
			count_assessment(m, rec, lead, jstr((json_t *)rec, "assessment"));
		return;
	}
	for (const char *p = jstr((json_t *)rec, "units"); p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char f[80], u[65];

		snprintf(u, sizeof(u), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		snprintf(f, sizeof(f), "a.%s", u);
		if (*jstr((json_t *)rec, f))
			count_assessment(m, rec, u, jstr((json_t *)rec, f));
		p = end ? end + 1 : NULL;
	}
}

static int all_assessed(struct ctx *c, const char *now)
{
	for (const char *p = rec_str(c, "units"); p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char f[80];

		snprintf(f, sizeof(f), "a.%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		if (strcmp(f + 2, now) != 0 && *rec_str(c, f) == '\0')
			return 0;
		p = end ? end + 1 : NULL;
	}
	return 1;
}

static void assess_loaded(struct ctx *c)
{
	const char *unit = in_str(c, "unit"), *comment = in_str(c, "comment");
	long long score = in_int(c, "score", -1);
	int matter = is_matter(rec_str(c, "group_kind"));
	struct jd_refusal r;
	jd_day since = -1;
	char f[80], value[64];
	json_t *scratch;

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
	if (!matter && (unit == NULL || !csv_names(rec_str(c, "units"), unit))) {
		ctx_invalid(c, "field 'unit': the receiving unit assessed (one of %s)",
			    rec_str(c, "units"));
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
	{
		char date[11];

		host->day_format(c->day, date);
		snprintf(value, sizeof(value), "%lld|%s", score, date);
	}
	host->mut_set(c->m, f, value);
	snprintf(f, sizeof(f), "%s.comment", matter ? "assessment" : unit);
	host->mut_set(c->m, f, comment ? comment : "");
	snprintf(f, sizeof(f), "%s.by", matter ? "assessment" : unit);
	host->mut_set(c->m, f, host->req_principal(c->req));
	scratch = json_pack("{s:s}", "group", rec_str(c, "group"));
	count_assessment(c->m, scratch, matter ? rec_str(c, "lead_unit") : unit, value);
	json_decref(scratch);
	if (matter || all_assessed(c, unit)) {
		host->machine_move(self, &task_machine, c->m, c->id, "submitted", "assessed",
				   c->day);
		snprintf(c->to, sizeof(c->to), "assessed");
	}
	ctx_submit(c, "supervision.task.assess");
}

void task_assess(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "task", NULL, assess_loaded);
}
