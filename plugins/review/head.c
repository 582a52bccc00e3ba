/*
 * Who assigns the panel (issue 13: "assigned by its head"): the head of
 * the review office (案件审理室), that is a user linked to a person whose
 * post is head, active, of an active unit of kind review_office in the
 * case's county.  The permission review.assign (leader) only lets a
 * caller try; this says which leader.  The instance admin, who is no
 * person, assigns through the override route with a reason (audited).
 */
#include <stdio.h>
#include <string.h>

#include "review.h"

static int active(const json_t *o)
{
	return strcmp(jstr(o, "status", ""), "retired") != 0;
}

/* Whether person "<county>/<id>" heads an active review office of c->org's county. */
static int heads_review_office(const struct rctx *c, const char *person)
{
	const char *slash = person ? strchr(person, '/') : NULL;
	json_t *p, *u;

	if (slash == NULL || (size_t)(slash - person) != strlen(c->tenant) ||
	    strncmp(person, c->tenant, strlen(c->tenant)) != 0)
		return 0;
	p = json_object_get(json_object_get(c->org, "people"), slash + 1);
	if (p == NULL || !active(p) || strcmp(jstr(p, "post", ""), "head") != 0)
		return 0;
	u = json_object_get(json_object_get(c->org, "units"), jstr(p, "unit", ""));
	return u != NULL && active(u) && strcmp(jstr(u, "kind", ""), "review_office") == 0;
}

int head_only(struct rctx *c)
{
	const char *me = host->req_principal(c->req), *person = host->req_person(c->req);

	if (heads_review_office(c, person))
		return 0;
	host->reply_error(c->req, 403, "forbidden",
			  "only the head of a review office of county %s (a user linked to a "
			  "person of post head in a unit of kind review_office) assigns or "
			  "changes the panel of review %s; '%.64s' is %s%.64s",
			  c->tenant, c->id, me ? me : "",
			  person ? "linked to " : "linked to no person", person ? person : "");
	rctx_free(c);
	return -1;
}
