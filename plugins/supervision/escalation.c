/*
 * Reminders and escalation (督查问责).  The host's sweep publishes
 * supervision.due_soon / supervision.overdue once per deadline and due date
 * for items (stage "rectify"), letters' replies ("reply") and orders
 * ("due").  On top of it, every check_interval_s this file looks at the
 * open items overdue by escalate_days (N) or more, counted from the
 * deadline or from the item's last step, whichever is later, while it is
 * the rectifying unit's turn (issued, plan filed, in progress): N days:
 * the group leader is told (level 1), 2N days: the commission leader
 * overseeing the group (level 2: the parent group's leader for a sub-group,
 * otherwise "commission", the commission's leadership as a whole).  Each level
 * is recorded in the item ("esc_level", "esc.<n>") in one mutation checked
 * against the version read, so each notice is sent once, and the
 * in-memory notice supervision.escalated {tenant, item, level, to,
 * days_overdue} follows the mutation.  A step of the item (or an approved
 * extension) forgets the level: the clock restarts (escalation_clear).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static struct jd_sweeper *sweeper;
static uint64_t timer;

struct run {
	char tenant[65];
	json_t *org;
	json_t *ids;
	size_t at;
	jd_day today;
	long n;
	struct jd_mut *m;
	char item[80];
	int level;
	char to[65];
	long days;
};

static long escalate_days(void)
{
	long n = atol(host->config_get(self, "escalate_days", "7"));

	return n >= 1 && n <= 365 ? n : 7;
}

void sweeper_note(const char *tenant)
{
	if (sweeper != NULL)
		host->sweeper_note_tenant(sweeper, tenant);
}

void escalation_clear(struct ctx *c)
{
	if (*rec_str(c, "esc_level") != '\0')
		host->mut_del(c->m, "esc_level");
}

static void run_free(struct run *r)
{
	json_decref(r->org);
	json_decref(r->ids);
	host->mut_free(r->m);
	free(r);
}

static void next_item(struct run *r);

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* Who level `level` goes to: the group's leader, or its parent group's. */
static void recipient(struct run *r, const char *groups, int level)
{
	char g[65];
	const char *comma = strchr(groups, ',');
	json_t *grp;

	snprintf(g, sizeof(g), "%.*s", comma ? (int)(comma - groups) : (int)strlen(groups), groups);
	grp = org_group(r->org, g);
	if (level ==
	    2) /* the leader over the group's leader: its parent group's, or the commission */
		grp = *jstr(grp, "parent") ? org_group(r->org, jstr(grp, "parent")) : NULL;
	snprintf(r->to, sizeof(r->to), "%s", grp ? jstr(grp, "leader") : "");
	if (r->to[0] == '\0')
		snprintf(r->to, sizeof(r->to), "commission");
}

static void on_escalated(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct run *r = arg;

	(void)res;
	if (rc == JD_OK)
		host->publish(self, "supervision.escalated",
			      json_pack("{s:s, s:s, s:i, s:s, s:i}", "tenant", r->tenant, "item",
					r->item, "level", r->level, "to", r->to, "days_overdue",
					(int)r->days));
	host->mut_free(r->m);
	r->m = NULL;
	r->at++;
	next_item(r);
}

static int escalate(struct run *r, json_t *rec, int level)
{
	long long n = atoll(jstr(rec, "escalations")) + 1;
	char f[32], date[11];

	if ((r->m = host->mut_new()) == NULL)
		return JD_E_NOMEM;
	recipient(r, jstr(rec, "groups"), level);
	r->level = level;
	host->day_format(r->today, date);
	host->mut_setf(r->m, "esc_level", "%d", level);
	host->mut_setf(r->m, "escalations", "%lld", n);
	snprintf(f, sizeof(f), "esc.%lld", n);
	host->mut_setf(r->m, f, "%d|%s|%s", level, date, r->to);
	return host->mut_submit(
	    self, r->m,
	    &(const struct jd_mutation){.tenant = r->tenant,
					.record = r->item,
					.expect_version = atoll(jstr(rec, "_v")),
					.action = "supervision.item.escalate"},
	    on_escalated, r);
}

static void on_item(int rc, json_t *fields, void *arg)
{
	struct run *r = arg;
	json_t *rec = json_object();
	const char *state;
	jd_day dl, since;
	int level = 0;

	for (size_t i = 0; rc == JD_OK && rec && i + 1 < json_array_size(fields); i += 2)
		json_object_set(rec, json_string_value(json_array_get(fields, i)),
				json_array_get(fields, i + 1));
	state = jstr(rec, "state");
	if (rc == JD_OK && host->day_parse(jstr(rec, "deadline"), &dl) == JD_OK &&
	    host->day_parse(jstr(rec, "state_since"), &since) == JD_OK &&
	    (strcmp(state, "issued") == 0 || strcmp(state, "plan_filed") == 0 ||
	     strcmp(state, "in_progress") == 0)) {
		r->days = r->today - (since > dl ? since : dl);
		level = r->days >= 2 * r->n ? 2 : r->days >= r->n ? 1 : 0;
	}
	/* one level per check: the group leader is told before the overseeing leader */
	if (level > atoi(jstr(rec, "esc_level")) &&
	    escalate(r, rec, atoi(jstr(rec, "esc_level")) + 1) == JD_OK) {
		json_decref(rec);
		return;
	}
	json_decref(rec);
	host->mut_free(r->m);
	r->m = NULL;
	r->at++;
	next_item(r);
}

static void next_item(struct run *r)
{
	const char *argv[2] = {"HGETALL", r->item};

	if (r->at >= json_array_size(r->ids)) {
		run_free(r);
		return;
	}
	snprintf(r->item, sizeof(r->item), "item:%.64s",
		 json_string_value(json_array_get(r->ids, r->at)));
	if (host->store_read(self, r->tenant, 2, argv, on_item, r) != JD_OK)
		run_free(r);
}

static void on_overdue(int rc, json_t *ids, void *arg)
{
	struct run *r = arg;

	if (rc != JD_OK) {
		run_free(r);
		return;
	}
	r->ids = json_incref(ids);
	next_item(r);
}

static void on_org(int rc, json_t *org, void *arg)
{
	struct run *r = arg;
	char before[16];
	const char *argv[] = {"ZRANGEBYSCORE", "items:open", "-inf", before, "LIMIT", "0", "200"};

	if (rc != JD_OK) {
		run_free(r);
		return;
	}
	r->org = json_incref(org);
	snprintf(before, sizeof(before), "%ld", host->day_number(r->today - r->n));
	if (host->store_read(self, r->tenant, 7, argv, on_overdue, r) != JD_OK)
		run_free(r);
}

static void on_registry(int rc, json_t *tenants, void *arg)
{
	(void)arg;
	for (size_t i = 0; rc == JD_OK && i < json_array_size(tenants); i++) {
		const char *t = json_string_value(json_array_get(tenants, i));
		struct run *r;

		if (t == NULL || t[0] == '_' || (r = calloc(1, sizeof(*r))) == NULL)
			continue;
		snprintf(r->tenant, sizeof(r->tenant), "%s", t);
		r->today = host->day_today();
		r->n = escalate_days();
		if (host->org_read(self, r->tenant, on_org, r) != JD_OK)
			run_free(r);
	}
}

static void tick(void *arg)
{
	const char *argv[2] = {"HKEYS", "registry:tenants"};

	(void)arg;
	(void)host->store_read(self, "_supervision", 2, argv, on_registry, NULL);
}

int escalation_start(void)
{
	long s = atol(host->config_get(self, "check_interval_s", "3600"));

	if ((sweeper = host->sweeper_start(self, &sup_deadlines)) == NULL)
		return JD_ERR;
	if (s < 1 || s > 86400 ||
	    (timer = host->timer_add(self, (unsigned)s * 1000u, 1, tick, NULL)) == 0)
		return JD_ERR;
	return JD_OK;
}

void escalation_stop(void)
{
	if (timer != 0)
		host->timer_cancel(self, timer);
	timer = 0;
	if (sweeper != NULL)
		host->sweeper_stop(sweeper);
	sweeper = NULL;
}
