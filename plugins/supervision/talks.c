/*
 * Talks (约谈) with leadership members and key posts of a supervised unit:
 * counted in person-times, leadership members (班子成员) and key posts
 * (关键岗位) told apart; the content is sealed under the tenant key and
 * opened only for supervision.sealed.read (every open audited by the core).
 * A talk may produce rectification items: its "problems", each an item of
 * the "rectifier" made in the talk's own mutation (problem_items.c), or
 * later ones with items add --source talk:<id>.
 */
#include <stdio.h>
#include <string.h>

#include "supervision.h"

void talk_count(struct jd_mut *m, const char *unit, long long persons, long long leaders,
		long long key_posts, jd_day d)
{
	cnt(m, unit, "talks", d, 1);
	cnt(m, unit, "talks.persons", d, persons);
	if (leaders > 0)
		cnt(m, unit, "talks.leaders", d, leaders);
	if (key_posts > 0)
		cnt(m, unit, "talks.key_posts", d, key_posts);
}

static void create_keyed(struct ctx *c)
{
	long long persons = in_int(c, "persons", 0), leaders = in_int(c, "leaders", 0),
		  key_posts = in_int(c, "key_posts", 0);
	int rc;

	if ((rc = ctx_seal(c, "content", in_str(c, "content"))) != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	ctx_new_fields(c, "date");
	host->mut_set(c->m, "supervised", in_str(c, "supervised"));
	host->mut_set(c->m, "reason", in_str(c, "reason"));
	host->mut_set(c->m, "held_by", in_str(c, "held_by") ? in_str(c, "held_by") : "");
	host->mut_setf(c->m, "persons", "%lld", persons);
	host->mut_setf(c->m, "leaders", "%lld", leaders);
	host->mut_setf(c->m, "key_posts", "%lld", key_posts);
	host->mut_set(c->m, "state", "held");
	ctx_index(c, "talks", in_str(c, "unit"));
	talk_count(c->m, in_str(c, "unit"), persons, leaders, key_posts, c->day);
	snprintf(c->to, sizeof(c->to), "held");
	if ((rc = problem_items_put(c, "talk", NULL)) != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	ctx_submit_cb(c, "supervision.talk.create", problems_on_created);
}

static void create_org(struct ctx *c)
{
	if (ctx_unit_check(c, "unit", in_str(c, "unit")) != 0 ||
	    ctx_groups_check(c, "groups", in_str(c, "groups")) != 0 || problems_org_check(c) != 0)
		return;
	ctx_keys(c, create_keyed);
}

void talk_create(jd_req *req, void *arg)
{
	struct ctx *c = ctx_create(req, "talk");
	long long persons, leaders, key_posts;

	(void)arg;
	if (c == NULL || ctx_date(c, "date", -1, NULL) != 0)
		return;
	persons = in_int(c, "persons", 0);
	leaders = in_int(c, "leaders", 0);
	key_posts = in_int(c, "key_posts", 0);
	if (persons < 1 || persons > 10000 || leaders < 0 || key_posts < 0 ||
	    leaders + key_posts > persons) {
		ctx_invalid(c, "field 'persons': the persons talked to (1..10000), of whom "
			       "'leaders' (leadership members) and 'key_posts' (key posts) are "
			       "at most as many together");
		return;
	}
	if (problems_check(c, NULL) != 0)
		return;
	ctx_org(c, create_org);
}

static void show_keyed(struct ctx *c)
{
	json_t *o = rec_public(c);

	if (o != NULL)
		json_object_set_new(o, "content", ctx_open(c, "content"));
	ctx_reply(c, 200, o);
}

static void show_loaded(struct ctx *c)
{
	ctx_keys(c, show_keyed);
}

void talk_show(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "talk", NULL, show_loaded);
}
