/*
 * Who may mentor whom (docs/training.md, "Eligibility").  Enforced, not
 * advised: a pairing is refused (409 not_eligible, with every reason) unless
 * the mentor
 *   - is an active person of the county, not the mentee, not a new cadre;
 *   - holds a post the kind allows ([plugin.training] theory_posts, practice_posts);
 *   - has min_years full years in discipline work, counted from their start date;
 *   - is not already the mentee's mentor of the other kind (two mentors, two people);
 *   - has fewer than capacity mentees of that kind (proposed and active);
 *   - has no conflict: the organization's conflict check, asked with the
 *     mentee's name as the body, finds no declared tie naming the mentee.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

long years_between(const char *start, jd_day day)
{
	jd_day s;
	long ys, yd, md, ms;
	long n;

	if (host->day_parse(start, &s) != JD_OK || s > day)
		return 0;
	ys = host->day_number(s);
	yd = host->day_number(day);
	n = yd / 10000 - ys / 10000;
	ms = ys % 10000;
	md = yd % 10000;
	return md < ms ? n - 1 : n;
}

static void reason(json_t *reasons, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reason(json_t *reasons, const char *fmt, ...)
{
	char text[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(reasons, json_string(text));
}

void eligible_reasons(struct ctx *c, const json_t *mentee, const char *mentor, const char *kind,
		      const json_t *loads, json_t *reasons)
{
	const json_t *p = org_person(c->org, mentor);
	const char *other = strcmp(kind, "theory") == 0 ? "practice" : "theory";
	char key[32];
	const char *posts;
	long min = (long)config_int("min_years", 3), cap = (long)config_int("capacity", 3);
	long years, load;

	if (p == NULL) {
		reason(reasons, "is not a person of the county");
		return;
	}
	if (strcmp(mentor, obj_str(mentee, "person")) == 0)
		reason(reasons, "is the mentee");
	if (strcmp(obj_str(p, "status"), "retired") == 0)
		reason(reasons, "is retired");
	if (json_is_true(json_object_get(p, "new_cadre")))
		reason(reasons, "is a new cadre");
	snprintf(key, sizeof(key), "%s_posts", kind);
	posts =
	    host->config_get(self, key, strcmp(kind, "theory") == 0 ? "leader,head,deputy" : "");
	if (posts != NULL && *posts && !csv_names(posts, obj_str(p, "post")))
		reason(reasons, "holds post %s, not one a mentor of this kind holds",
		       obj_str(p, "post"));
	years = years_between(obj_str(p, "start"), c->day);
	if (years < min) {
		reason(reasons, "has %ld years in discipline work, fewer than %ld", years, min);
	}
	if (strcmp(obj_str(mentee, other), mentor) == 0)
		reason(reasons, "is already the mentee's %s mentor", other);
	load = atol(obj_str(loads, mentor));
	if (load >= cap) {
		reason(reasons, "already has %ld %s mentees (capacity %ld)", load, kind, cap);
	}
}

/* ---- the conflict check, for several candidates at once ---- */

struct run {
	struct ctx *c;
	int pending;
	int rc;
	ctx_step next;
};

struct one {
	struct run *r;
	char who[65];
};

static void add(struct ctx *c, const char *who, const char *text)
{
	json_t *list = json_object_get(c->aux2, who);

	if (list == NULL) {
		list = json_array();
		json_object_set_new(c->aux2, who, list);
	}
	json_array_append_new(list, json_string(text));
}

static void finish(struct run *r)
{
	struct ctx *c = r->c;
	ctx_step next = r->next;
	int rc = r->rc;

	free(r);
	if (rc != JD_OK)
		ctx_fail(c, rc);
	else
		next(c);
}

static void on_conflicts(int rc, json_t *reasons, void *arg)
{
	struct one *o = arg;
	struct run *r = o->r;

	if (rc == JD_OK && json_array_size(reasons) > 0)
		add(r->c, o->who, "has a conflict: a declared tie naming the mentee");
	else if (rc != JD_OK && rc != JD_E_NOTFOUND && r->rc == JD_OK)
		r->rc = rc;
	free(o);
	if (--r->pending == 0)
		finish(r);
}

void eligible_conflicts(struct ctx *c, const char *name, json_t *candidates, ctx_step next)
{
	struct run *r = calloc(1, sizeof(*r));
	size_t i;
	json_t *v;

	json_decref(c->aux2);
	c->aux2 = json_object();
	if (r == NULL || c->aux2 == NULL) {
		free(r);
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	*r = (struct run){c, 1, JD_OK, next};
	json_array_foreach(candidates, i, v)
	{
		struct one *o = calloc(1, sizeof(*o));
		int rc;

		if (o == NULL) {
			r->rc = JD_E_NOMEM;
			break;
		}
		o->r = r;
		snprintf(o->who, sizeof(o->who), "%s", json_string_value(v));
		rc = host->org_conflicts(self, c->tenant, o->who, NULL, name, on_conflicts, o);
		if (rc != JD_OK) {
			free(o);
			if (rc != JD_E_INVALID)
				r->rc = rc;
			continue;
		}
		r->pending++;
	}
	if (--r->pending == 0)
		finish(r);
}
