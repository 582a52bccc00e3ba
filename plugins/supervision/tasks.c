/*
 * Task lists and dispatch orders (任务清单, 派单).  A group of the
 * organization (task force, area, joint group, 1+N matter, or a sub-group)
 * dispatches a task for a period to receiving units and to its own
 * sub-groups: title, kind, due date, the lead unit and the cooperating
 * units by the group's lead policy (docs/organization.md):
 *   - a lead unit given by the caller is kept (one of the receiving units);
 *   - rotating lead (轮岗牵头制): the next unit of the group's rotation that
 *     receives the order, in turn by the group's orders so far;
 *   - division of responsibility (分工负责制): every receiving unit answers
 *     for its share (the order keeps "u.<unit>.share" from the group's
 *     shares; a receiving unit without a share is refused), the lead being
 *     the first receiving unit;
 *   - otherwise the first receiving unit.
 * task_steps.c has each receiver's steps, task_assess.c the assessment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervision.h"

static const char *const task_kinds[] = {"coordinated_supervision", "joint_case_handling",
					 "special_rectification", NULL};

const char *jobj_str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* The first entry of csv from position n on (in turn) that `ok` names, into out. */
static void csv_turn(const char *csv, long long n, const char *ok, char *out, size_t len)
{
	long long count = 1;

	out[0] = '\0';
	for (const char *p = csv; *p; p++)
		count += *p == ',';
	for (long long k = 0; k < count; k++) {
		long long i = 0, want = (n + k) % count;

		for (const char *p = csv; p != NULL; i++) {
			const char *end = strchr(p, ',');

			if (i == want) {
				snprintf(out, len, "%.*s", (int)(end ? end - p : (long)strlen(p)),
					 p);
				break;
			}
			p = end ? end + 1 : NULL;
		}
		if (out[0] && csv_names(ok, out))
			return;
	}
	out[0] = '\0';
}

/* ---- dispatch -------------------------------------------------------------------------------- */

/* "u.<code>" = issued for each receiver of csv; under division its share. */
static void receivers_put(struct ctx *c, const char *csv, json_t *shares)
{
	for (const char *p = csv; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char f[96], code[65];

		snprintf(code, sizeof(code), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		snprintf(f, sizeof(f), "u.%s", code);
		host->mut_set(c->m, f, "issued");
		if (shares != NULL && *jobj_str(shares, code)) {
			snprintf(f, sizeof(f), "u.%s.share", code);
			host->mut_set(c->m, f, jobj_str(shares, code));
		}
		p = end ? end + 1 : NULL;
	}
}

static void on_group_count(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg;
	const char *group = in_str(c, "group"), *units = in_str(c, "units");
	const char *subs = in_str(c, "sub_groups");
	json_t *g = org_group(c->org, group);
	long long n = json_is_string(result) ? atoll(json_string_value(result)) : 0;
	int division = strcmp(jobj_str(g, "policy"), "division") == 0;
	char lead[65], date[11], score[24];
	jd_day due;

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	units = units ? units : "";
	subs = subs ? subs : "";
	if (in_str(c, "lead_unit") != NULL)
		snprintf(lead, sizeof(lead), "%s", in_str(c, "lead_unit"));
	else if (strcmp(jobj_str(g, "policy"), "rotating") == 0 && *jobj_str(g, "rotation"))
		csv_turn(jobj_str(g, "rotation"), n, units, lead, sizeof(lead));
	else
		lead[0] = '\0';
	if (lead[0] == '\0' && *units)
		csv_turn(units, 0, units, lead, sizeof(lead));
	host->day_parse(in_str(c, "due"), &due);
	host->day_format(c->day, date);
	host->mut_set(c->m, "unit", lead);
	host->mut_set(c->m, "lead_unit", lead);
	host->mut_set(c->m, "groups", group);
	host->mut_set(c->m, "deny", "");
	host->mut_set(c->m, "group", group);
	host->mut_set(c->m, "group_kind", jobj_str(g, "kind"));
	host->mut_set(c->m, "policy", jobj_str(g, "policy"));
	host->mut_set(c->m, "title", in_str(c, "title"));
	host->mut_set(c->m, "kind", in_str(c, "kind"));
	host->mut_set(c->m, "period", in_str(c, "period") ? in_str(c, "period") : "");
	host->mut_set(c->m, "units", units);
	host->mut_set(c->m, "sub_groups", subs);
	host->mut_set(c->m, "due_date", in_str(c, "due"));
	host->mut_set(c->m, "dispatched", date);
	host->mut_set(c->m, "created_by", host->req_principal(c->req));
	host->mut_set(c->m, "late", c->late ? "1" : "0");
	receivers_put(c, units, division ? json_object_get(g, "shares") : NULL);
	receivers_put(c, subs, NULL);
	host->mut_op(c->m, JD_OP_HINCRBY, "tasks:groups", group, "1");
	host->machine_move(self, &task_machine, c->m, c->id, NULL, "issued", c->day);
	host->deadline_put(&task_machine, c->m, c->id, "due", due);
	if (lead[0]) {
		ctx_index(c, "tasks", lead);
	} else { /* to sub-groups only: no lead unit */
		snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
		host->mut_op(c->m, JD_OP_ZADD, "tasks:all", c->id, score);
	}
	cnt(c->m, lead, "tasks.dispatched", c->day, 1);
	cnt_group(c->m, group, "dispatched", c->day, 1);
	snprintf(c->to, sizeof(c->to), "issued");
	ctx_submit(c, "supervision.task.create");
}

/* 0, or replies 400: every sub-group is an active sub-group of the issuing group. */
static int subs_check(struct ctx *c, const char *group, const char *subs)
{
	for (const char *p = subs; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char code[65];
		json_t *s;

		snprintf(code, sizeof(code), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		s = org_group(c->org, code);
		if (s == NULL || strcmp(jobj_str(s, "status"), "retired") == 0 ||
		    strcmp(jobj_str(s, "kind"), "sub_group") != 0 ||
		    strcmp(jobj_str(s, "parent"), group) != 0) {
			ctx_invalid(c, "field 'sub_groups': '%s' is not an active sub-group of %s",
				    code, group);
			return -1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* 0, or replies 400: a receiving unit without a share under the division of responsibility. */
static int shares_check(struct ctx *c, json_t *g, const char *units)
{
	json_t *shares = json_object_get(g, "shares");

	if (strcmp(jobj_str(g, "policy"), "division") != 0)
		return 0;
	for (const char *p = units; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char code[65];

		snprintf(code, sizeof(code), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		if (*jobj_str(shares, code) == '\0') {
			ctx_invalid(c,
				    "field 'units': group %s works by division of responsibility "
				    "(分工负责制) and unit %s has no share in it",
				    in_str(c, "group"), code);
			return -1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static void create_org(struct ctx *c)
{
	const char *group = in_str(c, "group"), *units = in_str(c, "units");
	const char *lead = in_str(c, "lead_unit");
	const char *argv[3] = {"HGET", "tasks:groups", group};
	int rc;

	if (ctx_groups_check(c, "group", group) != 0 ||
	    subs_check(c, group, in_str(c, "sub_groups")) != 0)
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
	if (shares_check(c, org_group(c->org, group), units) != 0)
		return;
	if ((rc = host->store_read(self, c->tenant, 3, argv, on_group_count, c)) != JD_OK)
		ctx_fail(c, rc);
}

static int csv_ok(const char *csv)
{
	return csv == NULL || (code_valid(csv, 1) && strstr(csv, ",,") == NULL && csv[0] != ',');
}

void task_create(jd_req *req, void *arg)
{
	struct ctx *c = ctx_create(req, "task");
	const char *units, *subs;
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
	units = in_str(c, "units");
	subs = in_str(c, "sub_groups");
	if (!csv_ok(units) || !csv_ok(subs) || !code_valid(in_str(c, "group"), 0)) {
		ctx_invalid(c, "fields 'units', 'sub_groups': codes, comma-separated");
		return;
	}
	if ((units == NULL || *units == '\0') && (subs == NULL || *subs == '\0')) {
		ctx_invalid(c, "field 'units': the order goes to units or sub-groups (sub_groups): "
			       "give at least one");
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

/* Whether code is a receiver of c's order (a unit or a sub-group). */
int task_receiver(struct ctx *c, const char *code)
{
	return code != NULL &&
	       (csv_names(rec_str(c, "units"), code) || csv_names(rec_str(c, "sub_groups"), code));
}

/* Whether every receiver but `except` has its field "<prefix><code>" (status, or set if NULL). */
int task_all(struct ctx *c, const char *prefix, const char *status, const char *except)
{
	const char *lists[2] = {rec_str(c, "units"), rec_str(c, "sub_groups")};

	for (int l = 0; l < 2; l++)
		for (const char *p = lists[l]; p != NULL && *p;) {
			const char *end = strchr(p, ',');
			char f[96];
			const char *v;

			snprintf(f, sizeof(f), "%s%.*s", prefix,
				 (int)(end ? end - p : (long)strlen(p)), p);
			v = rec_str(c, f);
			if (strcmp(f + strlen(prefix), except) != 0 &&
			    (status ? strcmp(v, status) != 0 : *v == '\0'))
				return 0;
			p = end ? end + 1 : NULL;
		}
	return 1;
}
