/*
 * Practice records (业务实践) from the other plugins, through durable events
 * and never a call: case.team_assigned {tenant, record, members} (the cases
 * plugin publishes it in the mutation that sets a verification or
 * investigation team; members are person or user ids, never sealed text),
 * and supervision.team_assigned with the same payload for a supervision
 * order's team.  Each member who is a registered mentee (by person id, or by
 * a user linked to one) gets a practice record (listed in
 * "practice:<person>" as publisher|record|event) in one mutation keyed by
 * the event (.cause), so a redelivery changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

static void practice_apply(struct ctx *c)
{
	json_t *members = json_object_get(c->cause->payload, "members");
	const char *record = json_string_value(json_object_get(c->cause->payload, "record"));
	size_t i, n = 0;
	json_t *v;
	char date[11], score[24];

	host->day_format(host->day_today(), date);
	snprintf(score, sizeof(score), "%ld", host->day_number(host->day_today()));
	json_array_foreach(members, i, v)
	{
		const char *m = json_string_value(v);
		const char *person = m == NULL ? "" : *obj_str(c->aux, m) ? m : obj_str(c->aux2, m);
		char key[100], member[120];

		if (*person == '\0' || *obj_str(c->aux, person) == '\0')
			continue; /* not a mentee */
		snprintf(key, sizeof(key), "practice:%s", person);
		snprintf(member, sizeof(member), "%s|%s|%s", c->cause->publisher,
			 record ? record : "", c->cause->id);
		host->mut_op(c->m, JD_OP_ZADD, key, member, score);
		snprintf(key, sizeof(key), "mentee:%s", person);
		host->mut_op(c->m, JD_OP_HINCRBY, key, "practice_records", "1");
		cnt_practice(c->m, "", host->day_today(), 1);
		n++;
	}
	if (n == 0) {
		host->event_done(self, c->cause, JD_OK); /* no mentee on the team */
		c->cause = NULL;
		ctx_free(c);
		return;
	}
	host->mut_op(c->m, JD_OP_ZADD, "practices:all", c->cause->id, score);
	host->mut_set(c->m, "event", c->cause->id);
	host->mut_set(c->m, "date", date);
	host->mut_setf(c->m, "mentees", "%zu", n);
	snprintf(c->record, sizeof(c->record), "practice:%s", c->cause->id);
	ctx_submit(c, "training.practice.record", JD_VERSION_ANY, NULL);
}

static void with_links(struct ctx *c)
{
	ctx_read(c, "links:user", &c->aux2, practice_apply);
}

static int on_team(const struct jd_event *ev, void *arg)
{
	struct ctx *c;

	(void)arg;
	if (!json_is_array(json_object_get(ev->payload, "members"))) {
		host->event_done(self, ev, JD_OK);
		return JD_OK;
	}
	c = ctx_new(NULL, "practice", ev->tenant, ev->id);
	if (c == NULL)
		return JD_E_NOMEM;
	c->cause = ev;
	ctx_read(c, "mentees:summary", &c->aux, with_links);
	return JD_OK;
}

int practice_subscribe(void)
{
	if (host->on_event(self, "case.team_assigned", on_team, NULL) != JD_OK)
		return JD_ERR;
	/* the same contract for a supervision order's team (no such plugin loaded yet) */
	return host->on_event(self, "supervision.team_assigned", on_team, NULL);
}
