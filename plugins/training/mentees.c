/*
 * Mentees and links.  A new cadre of the organization (people marked
 * new_cadre, with a start date) is registered as a mentee: the cohort's
 * "new cadres" are counted by their start date.  A link names the person a
 * user is (need-to-know: a mentee's own plan, a mentor's mentees).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

/* ---- links: which user is which person (need-to-know) ---- */

static void link_apply(struct ctx *c)
{
	const char *user = in_str(c, "user"), *person = in_str(c, "person");

	if (org_person(c->org, person) == NULL) {
		ctx_invalid(c, "field 'person': %s is not a person of county %s", person,
			    c->tenant);
		return;
	}
	host->mut_set(c->m, "person", person);
	host->mut_op(c->m, JD_OP_HSET, "links:user", user, person);
	host->mut_op(c->m, JD_OP_HSET, "links:person", person, user);
	snprintf(c->to, sizeof(c->to), "linked");
	ctx_submit(c, "training.link", JD_VERSION_ANY, NULL);
}

void link_user(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "link");

	(void)arg;
	if (c == NULL)
		return;
	if (!ids_valid(in_str(c, "person"))) {
		ctx_invalid(c, "field 'person': a person id");
		return;
	}
	if (ctx_keyed(c, "user", "link") == 0)
		ctx_org(c, link_apply);
}

/* ---- mentees ---- */

static void mentee_create(struct ctx *c)
{
	const json_t *p = org_person(c->org, c->id);
	const char *start = obj_str(p, "start");
	jd_day sd;
	char score[24];

	if (p == NULL || strcmp(obj_str(p, "status"), "retired") == 0) {
		ctx_invalid(c, "field 'person': %s is not an active person of county %s", c->id,
			    c->tenant);
		return;
	}
	if (!json_is_true(json_object_get(p, "new_cadre"))) {
		ctx_conflict(c, "not_new_cadre",
			     "person %s is not marked a new cadre (new_cadre) in the organization",
			     c->id);
		return;
	}
	if (host->day_parse(start, &sd) != JD_OK) {
		ctx_conflict(c, "no_start", "person %s has no start date in the organization",
			     c->id);
		return;
	}
	host->mut_set(c->m, "person", c->id);
	host->mut_set(c->m, "unit", obj_str(p, "unit"));
	host->mut_set(c->m, "start", start);
	snprintf(score, sizeof(score), "%ld", host->day_number(sd));
	host->mut_op(c->m, JD_OP_ZADD, "mentees:all", c->id, score);
	mentee_summary(c->m, c->id, 0, 0, "");
	cnt_mentee(c->m, obj_str(p, "unit"), sd, 1);
	if (in_str(c, "user") != NULL) {
		host->mut_op(c->m, JD_OP_HSET, "links:user", in_str(c, "user"), c->id);
		host->mut_op(c->m, JD_OP_HSET, "links:person", c->id, in_str(c, "user"));
	}
	snprintf(c->to, sizeof(c->to), "unmatched");
	digest_note_tenant(c->tenant);
	ctx_submit(c, "training.mentee.add", JD_VERSION_NEW, NULL);
}

void mentee_add(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "mentee");

	(void)arg;
	if (c == NULL)
		return;
	if (in_str(c, "user") != NULL && !ids_valid(in_str(c, "user"))) {
		ctx_invalid(c, "field 'user': a user id");
		return;
	}
	if (ctx_keyed(c, "person", "mentee") == 0)
		ctx_org(c, mentee_create);
}

static void mentee_answer(struct ctx *c)
{
	const char *theory = rec_str(c, "theory"), *practice = rec_str(c, "practice");

	if (!ctx_county_wide(c) && strcmp(c->who, c->id) != 0 &&
	    (!*c->who || (strcmp(c->who, theory) != 0 && strcmp(c->who, practice) != 0))) {
		ctx_not_found(c);
		return;
	}
	json_t *o = rec_public(c->rec);

	json_object_set_new(o, "state",
			    json_string(*theory && *practice   ? "matched"
					: *theory || *practice ? "partial"
							       : "unmatched"));
	ctx_reply(c, 200, o);
}

static void mentee_loaded(struct ctx *c)
{
	ctx_whoami(c, mentee_answer);
}

void mentee_show(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "mentee");

	(void)arg;
	if (c == NULL)
		return;
	ctx_load(c, mentee_loaded);
}
