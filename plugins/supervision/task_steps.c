/*
 * A receiver of a dispatch order signs for it, reports progress and submits
 * its result ("u.<code>": issued, signed, submitted); when the last has
 * submitted the order is complete.  A receiving unit acts in its own scope
 * (the core's record_visible with the unit); a receiving sub-group through
 * its leader or members: the caller's linked person (req_person,
 * "<county>/<id>") named in the sub-group of the organization.
 */
#include <stdio.h>
#include <string.h>

#include "supervision.h"

/* Applies the step of receiver `code` (its checks done). */
static void step_apply(struct ctx *c)
{
	const char *action = c->route, *code = in_str(c, "unit"), *note = in_str(c, "note");
	char f[96], date[11];
	jd_day since = -1;

	host->day_parse(rec_str(c, "dispatched"), &since);
	if (ctx_date(c, "date", since, "the task was dispatched") != 0)
		return;
	host->day_format(c->day, date);
	snprintf(f, sizeof(f), "u.%s", code);
	if (strcmp(action, "sign") == 0) {
		host->mut_set(c->m, f, "signed");
		snprintf(f, sizeof(f), "u.%s.signed", code);
		host->mut_set(c->m, f, date);
	} else if (strcmp(action, "progress") == 0) {
		snprintf(f, sizeof(f), "u.%s.progress", code);
		host->mut_setf(c->m, f, "%s|%s", date, note ? note : "");
	} else {
		host->mut_set(c->m, f, "submitted");
		snprintf(f, sizeof(f), "u.%s.submitted", code);
		host->mut_setf(c->m, f, "%s|%s", date, note ? note : "");
		if (task_all(c, "u.", "submitted", code)) {
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

/* A sub-group acts through its leader or members (the organization read). */
static void sub_group_person(struct ctx *c)
{
	const char *code = in_str(c, "unit");
	const char *person = host->req_person ? host->req_person(c->req) : NULL;
	json_t *g = org_group(c->org, code);
	size_t tl = strlen(c->tenant);
	const char *id = person && strncmp(person, c->tenant, tl) == 0 && person[tl] == '/'
			     ? person + tl + 1
			     : NULL;

	if (id != NULL && g != NULL &&
	    (strcmp(jobj_str(g, "leader"), id) == 0 || csv_names(jobj_str(g, "members"), id))) {
		step_apply(c);
		return;
	}
	ctx_forbidden(c,
		      "task %s: only the leader or a member of sub-group %s signs, reports and "
		      "submits for it; you are %s%.80s",
		      c->id, code, person ? "linked to " : "linked to no person",
		      person ? person : "");
}

static void step_loaded(struct ctx *c)
{
	const char *action = c->route, *code = in_str(c, "unit");
	struct jd_refusal r;
	char f[96];
	const char *now;

	if (ctx_version(c) != 0)
		return;
	if (host->machine_step(&task_machine, c->id, rec_str(c, "state"), action, &r) == NULL) {
		ctx_refused(c, &r);
		return;
	}
	snprintf(f, sizeof(f), "u.%s", code ? code : "");
	now = rec_str(c, f);
	if (!task_receiver(c, code) || *now == '\0') {
		ctx_invalid(c,
			    "field 'unit': %.64s is not a receiving unit or sub-group of task %s",
			    code ? code : "", c->id);
		return;
	}
	if ((strcmp(action, "sign") == 0 && strcmp(now, "issued") != 0) ||
	    (strcmp(action, "sign") != 0 && strcmp(now, "signed") != 0)) {
		ctx_conflict(c, "illegal_transition", "task %s: %s is %s: '%s' is not allowed",
			     c->id, code, now, action);
		return;
	}
	if (csv_names(rec_str(c, "sub_groups"), code)) {
		ctx_org(c, sub_group_person);
		return;
	}
	if (!host->record_visible(c->req, NULL, c->tenant, code, "", "")) {
		ctx_forbidden(c, "task %s: only unit %s signs, reports and submits for itself",
			      c->id, code);
		return;
	}
	step_apply(c);
}

void task_unit_step(jd_req *req, void *arg)
{
	ctx_route(req, "task", arg, step_loaded);
}
