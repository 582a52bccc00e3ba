/*
 * Reminders and escalation (督查问责).  The host's sweep publishes
 * supervision.due_soon / supervision.overdue once per deadline and due date
 * for items (stage "rectify"), letters' replies ("reply") and orders
 * ("due").  On top of it, every check_interval_s this file looks at the
 * open items overdue by escalate_days (N) or more, counted from the
 * deadline or from the item's last step, whichever is later, while it is
 * the rectifying unit's turn (issued, plan filed, in progress): N days:
 * level 1, the leader of the item's group (of its parent group for a
 * sub-group without one); 2N days: level 2, the commission leader
 * overseeing the group, which the organization records for a sub-group
 * only (its parent group's leader): for a top-level group the notice says
 * that none is recorded.
 *
 * The levels live in the item's own escalation record "esc:<id>", never in
 * the item: the sweeper must not bump the item's version, or a user step
 * that read the item just before would answer 409.  Each level is written
 * with the escalation record's version read (two processes cannot both
 * send it) and with a CHECK of the item's version read (an item that moved
 * meanwhile is not escalated), so each notice is sent once; the in-memory
 * notice supervision.escalated {tenant, item, level, to, to_name,
 * days_overdue, note?} follows the mutation.  The record keeps the basis it
 * was computed on (the item's state, its date, deadline, returns and
 * rebounds): when the item moves or its deadline is extended the basis no
 * longer matches, the level counts as 0 (cancelled) and the clock restarts.
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
	json_t *rec; /* the item read */
	int level;
	char to[65];
	char to_name[130];
	char note[200];
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

static void run_free(struct run *r)
{
	json_decref(r->org);
	json_decref(r->ids);
	json_decref(r->rec);
	host->mut_free(r->m);
	free(r);
}

static void next_item(struct run *r);

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

void escalation_basis(json_t *item, char *out, size_t len)
{
	snprintf(out, len, "%s|%s|%s|%s|%s", jstr(item, "state"), jstr(item, "state_since"),
		 jstr(item, "deadline"), jstr(item, "returns"), jstr(item, "rebounds"));
}

/* The level in force: the record's, if it was computed on the item as it stands. */
static int level_now(json_t *item, json_t *esc)
{
	char basis[200];

	escalation_basis(item, basis, sizeof(basis));
	return strcmp(basis, jstr(esc, "basis")) == 0 ? atoi(jstr(esc, "level")) : 0;
}

json_t *escalation_public(json_t *item, json_t *esc)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "level", json_integer(level_now(item, esc)));
	json_object_foreach(esc, k, v)
	{
		if (strncmp(k, "esc.", 4) == 0 || strcmp(k, "escalations") == 0)
			json_object_set(o, k, v);
	}
	return o;
}

/* Who level `level` goes to (r->to, r->to_name), or why nobody (r->note). */
static void recipient(struct run *r, const char *groups, int level)
{
	char g[65];
	const char *comma = strchr(groups, ',');
	json_t *grp, *parent = NULL;

	snprintf(g, sizeof(g), "%.*s", comma ? (int)(comma - groups) : (int)strlen(groups), groups);
	r->to[0] = r->to_name[0] = r->note[0] = '\0';
	if ((grp = org_group(r->org, g)) == NULL) {
		snprintf(r->note, sizeof(r->note), "item belongs to no group of the organization");
		return;
	}
	if (*jstr(grp, "parent"))
		parent = org_group(r->org, jstr(grp, "parent"));
	if (level == 1) /* the group's leader; a sub-group without one: its parent's */
		snprintf(r->to, sizeof(r->to), "%s",
			 *jstr(grp, "leader") ? jstr(grp, "leader") : jstr(parent, "leader"));
	else if (parent != NULL) /* the leadership member leading the group above */
		snprintf(r->to, sizeof(r->to), "%s", jstr(parent, "leader"));
	if (r->to[0] == '\0') {
		snprintf(r->note, sizeof(r->note),
			 level == 1 ? "group %s has no leader recorded"
				    : "the organization records no commission leader overseeing "
				      "group %s (only a sub-group's parent group)",
			 g);
		return;
	}
	snprintf(r->to_name, sizeof(r->to_name), "%s",
		 jstr(json_object_get(json_object_get(r->org, "people"), r->to), "name"));
}

static void item_done(struct run *r)
{
	host->mut_free(r->m);
	r->m = NULL;
	json_decref(r->rec);
	r->rec = NULL;
	r->at++;
	next_item(r);
}

static void on_escalated(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct run *r = arg;
	json_t *p;

	(void)res;
	if (rc == JD_OK) {
		p = json_pack("{s:s, s:s, s:i, s:s, s:s, s:i}", "tenant", r->tenant, "item",
			      r->item + 5, "level", r->level, "to", r->to, "to_name", r->to_name,
			      "days_overdue", (int)r->days);
		if (p != NULL && r->note[0])
			json_object_set_new(p, "note", json_string(r->note));
		host->publish(self, "supervision.escalated", p);
	}
	item_done(r);
}

static int escalate(struct run *r, json_t *esc, int level)
{
	long long n = atoll(jstr(esc, "escalations")) + 1;
	char f[40], date[11], basis[200], esc_key[80];
	long long ev = atoll(jstr(esc, "_v"));

	if ((r->m = host->mut_new()) == NULL)
		return JD_E_NOMEM;
	recipient(r, jstr(r->rec, "groups"), level);
	r->level = level;
	host->day_format(r->today, date);
	escalation_basis(r->rec, basis, sizeof(basis));
	host->mut_set(r->m, "item", r->item + 5);
	host->mut_set(r->m, "basis", basis);
	host->mut_setf(r->m, "level", "%d", level);
	host->mut_setf(r->m, "escalations", "%lld", n);
	snprintf(f, sizeof(f), "esc.%lld", n);
	host->mut_setf(r->m, f, "%d|%s|%s|%ld", level, date, r->to, r->days);
	if (r->note[0]) {
		snprintf(f, sizeof(f), "esc.%lld.note", n);
		host->mut_set(r->m, f, r->note);
	}
	/* the item as read: one that moved meanwhile is not escalated */
	host->mut_op(r->m, JD_OP_CHECK, r->item, NULL, jstr(r->rec, "_v"));
	snprintf(esc_key, sizeof(esc_key), "esc:%s", r->item + 5);
	return host->mut_submit(
	    self, r->m,
	    &(const struct jd_mutation){.tenant = r->tenant,
					.record = esc_key,
					.expect_version = ev ? ev : JD_VERSION_NEW,
					.action = "supervision.item.escalate"},
	    on_escalated, r);
}

static json_t *fields_obj(json_t *fields)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i + 1 < json_array_size(fields); i += 2)
		json_object_set(o, json_string_value(json_array_get(fields, i)),
				json_array_get(fields, i + 1));
	return o;
}

static void on_esc(int rc, json_t *fields, void *arg)
{
	struct run *r = arg;
	json_t *esc = rc == JD_OK ? fields_obj(fields) : NULL;
	const char *state = jstr(r->rec, "state");
	jd_day dl, since;
	int level = 0, now;

	if (esc != NULL && host->day_parse(jstr(r->rec, "deadline"), &dl) == JD_OK &&
	    host->day_parse(jstr(r->rec, "state_since"), &since) == JD_OK &&
	    (strcmp(state, "issued") == 0 || strcmp(state, "plan_filed") == 0 ||
	     strcmp(state, "in_progress") == 0)) {
		r->days = r->today - (since > dl ? since : dl);
		level = r->days >= 2 * r->n ? 2 : r->days >= r->n ? 1 : 0;
	}
	now = esc ? level_now(r->rec, esc) : 0;
	/* one level per check: the group leader is told before the overseeing leader */
	if (level > now && escalate(r, esc, now + 1) == JD_OK) {
		json_decref(esc);
		return;
	}
	json_decref(esc);
	item_done(r);
}

static void on_item(int rc, json_t *fields, void *arg)
{
	struct run *r = arg;
	char key[80];
	const char *argv[2] = {"HGETALL", key};

	if (rc != JD_OK || (r->rec = fields_obj(fields)) == NULL) {
		item_done(r);
		return;
	}
	snprintf(key, sizeof(key), "esc:%s", r->item + 5);
	if (host->store_read(self, r->tenant, 2, argv, on_esc, r) != JD_OK)
		run_free(r);
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
