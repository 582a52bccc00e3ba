/*
 * Rules established (建章立制): a rule a unit adopts, linked to the items
 * or the letter that caused it ("links": item:<id>, letter:<number>,
 * comma-separated); counted per unit on the date adopted.
 */
#include <stdio.h>
#include <string.h>

#include "supervision.h"

static int links_valid(const char *s)
{
	for (const char *p = s; p != NULL && *p;) {
		const char *end = strchr(p, ','), *colon = strchr(p, ':');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (colon == NULL || (end && colon > end) ||
		    !((colon - p == 4 && strncmp(p, "item", 4) == 0) ||
		      (colon - p == 6 && strncmp(p, "letter", 6) == 0)) ||
		    l == (size_t)(colon - p) + 1)
			return 0;
		for (const char *q = colon + 1; q < p + l; q++)
			if (!code_valid((char[]){*q, 0}, 0))
				return 0;
		p = end ? end + 1 : NULL;
	}
	return 1;
}

static void create_org(struct ctx *c)
{
	const char *links = in_str(c, "links");

	if (ctx_unit_check(c, "unit", in_str(c, "unit")) != 0 ||
	    ctx_groups_check(c, "groups", in_str(c, "groups")) != 0)
		return;
	ctx_new_fields(c, "adopted");
	host->mut_set(c->m, "title", in_str(c, "title"));
	host->mut_set(c->m, "links", links ? links : "");
	host->mut_set(c->m, "state", "adopted");
	ctx_index(c, "rules", in_str(c, "unit"));
	cnt(c->m, in_str(c, "unit"), "rules", c->day, 1);
	snprintf(c->to, sizeof(c->to), "adopted");
	ctx_submit(c, "supervision.rule.create");
}

void rule_create(jd_req *req, void *arg)
{
	struct ctx *c = ctx_create(req, "rule");

	(void)arg;
	if (c == NULL || ctx_date(c, "date", -1, NULL) != 0)
		return;
	if (!links_valid(in_str(c, "links"))) {
		ctx_invalid(c, "field 'links': item:<id> or letter:<number>, comma-separated");
		return;
	}
	ctx_org(c, create_org);
}

static void show_loaded(struct ctx *c)
{
	ctx_reply(c, 200, rec_public(c));
}

void rule_show(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "rule", NULL, show_loaded);
}
