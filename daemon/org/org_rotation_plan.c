/* The rotation plan of a county's area groups (pure; org_rotation.h). */
#include "org/org_rotation.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "org/org_codes.h"
#include "org/org_snapshot.h"

#define REASON_MAX   600
#define SAY_PER_LIST 8 /* people or groups named in one part of a message */

struct agrp {
	const char *code;
	const json_t *g;
	json_t *units;	 /* codes */
	json_t *members; /* ids today, sorted */
	long size, low, high, load;
	long lead; /* candidate index, or -1 */
};

struct cand {
	const char *id;
	const json_t *p;
	const char *other; /* another group they lead, or NULL */
	long match;	   /* area group index, or -1 */
};

struct item {
	const char *id;
	const json_t *p;
	size_t from, k; /* its group, its index among that group's movers */
	long to;
};

struct rot {
	const json_t *snap, *people, *groups;
	int year;
	const struct jd_org_ties *ties;
	struct agrp *g;
	size_t ng;
	struct cand *c;
	size_t nc;
	struct item *it;
	size_t ni;
	unsigned char *lead_ok; /* ng x nc */
	unsigned char *move_ok; /* ni x ng */
	unsigned char *seen;	/* scratch: groups or candidates visited */
	json_t *found;		/* scratch: one conflict check's reasons */
	json_t *dropped;
	char *why;
	size_t len;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "a, b,c" -> ["a", "b", "c"] (trimmed, empty entries skipped), sorted when sort. */
static json_t *csv_list(const char *csv, int sort)
{
	json_t *out = json_array();
	const char *p = csv;

	while (out != NULL && p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0 && json_array_append_new(out, json_stringn(p, n)) != 0) {
			json_decref(out);
			return NULL;
		}
		p = end ? end + 1 : NULL;
	}
	if (out != NULL && sort && json_array_size(out) > 1) {
		size_t n = json_array_size(out);
		const char **v = malloc(n * sizeof(*v));
		json_t *s = v ? json_array() : NULL;

		for (size_t i = 0; s != NULL && i < n; i++)
			v[i] = json_string_value(json_array_get(out, i));
		if (s != NULL)
			qsort(v, n, sizeof(*v), by_str);
		for (size_t i = 0; s != NULL && i < n; i++)
			if (json_array_append_new(s, json_string(v[i])) != 0) {
				json_decref(s);
				s = NULL;
			}
		free(v);
		json_decref(out);
		out = s;
	}
	return out;
}

/* The keys of obj, sorted (borrowed from obj); *n their count.  NULL (with n 0 ok) on failure. */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
	const char **v = malloc((json_object_size(obj) + 1) * sizeof(*v));
	const char *k;
	json_t *val;

	*n = 0;
	if (v == NULL)
		return NULL;
	json_object_foreach((json_t *)obj, k, val)
	{
		(void)val;
		v[(*n)++] = k;
	}
	qsort(v, *n, sizeof(*v), by_str);
	return v;
}

static const char *name_of(const struct rot *r, const char *id)
{
	const char *n = jd_snap_str(json_object_get(r->people, id), "name");

	return *n ? n : id;
}

/* Appends to why; a message cut short ends with "...". */
__attribute__((format(printf, 2, 3))) static void say(struct rot *r, const char *fmt, ...)
{
	size_t used = strlen(r->why);
	va_list ap;
	int n;

	if (used + 4 >= r->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->why + used, r->len - used - 3, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= r->len - used - 3) /* cut at len - 4: room for "..." */
		memcpy(r->why + strlen(r->why), "...", 4);
}

/*
 * Whether person conflicts with group gi's member units (kinds in mask):
 * 1 (the first reason, naming the unit, in reason when not NULL), 0, or -1
 * out of memory.
 */
static int group_conflict(const struct rot *r, const char *person, size_t gi, unsigned mask,
			  char *reason, size_t len)
{
	const struct jd_org_tie *tie = jd_org_ties_find(r->ties, person);
	json_t *units = r->g[gi].units, *found = r->found;
	int rc = 0;

	/* one scratch array for the millions of checks a large county makes */
	if (json_array_clear(found) != 0)
		return -1;
	for (size_t u = 0; rc == 0 && u < json_array_size(units); u++) {
		const char *unit = json_string_value(json_array_get(units, u));

		rc = jd_org_conflict_reasons(r->snap, person, tie, unit, NULL, mask, found);
	}
	if (rc > 0 && reason != NULL)
		snprintf(reason, len, "%s", json_string_value(json_array_get(found, 0)));
	return rc < 0 ? -1 : rc > 0;
}

/* ---- reading the county ----------------------------------------------------------------- */

static void rot_free(struct rot *r)
{
	for (size_t i = 0; r->g != NULL && i < r->ng; i++) {
		json_decref(r->g[i].units);
		json_decref(r->g[i].members);
	}
	free(r->g);
	free(r->c);
	free(r->it);
	free(r->lead_ok);
	free(r->move_ok);
	free(r->seen);
	json_decref(r->found);
	json_decref(r->dropped);
}

/* The active area groups, by code.  JD_E_INVALID when one is led for the year already. */
static int load_groups(struct rot *r)
{
	size_t n;
	const char **codes = sorted_keys(r->groups, &n);

	if (codes == NULL || (r->g = calloc(n + 1, sizeof(*r->g))) == NULL) {
		free(codes);
		return JD_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *g = json_object_get(r->groups, codes[i]);
		struct agrp *a = &r->g[r->ng];

		if (strcmp(jd_snap_str(g, "kind"), "area") != 0 || !jd_org_active(g))
			continue;
		if (jd_snap_int(g, "year") >= r->year) {
			say(r,
			    "field 'year': area group %s is led for %lld already: rotate for a "
			    "later year",
			    codes[i], jd_snap_int(g, "year"));
			free(codes);
			return JD_E_INVALID;
		}
		*a = (struct agrp){.code = codes[i], .g = g, .lead = -1};
		a->units = csv_list(jd_snap_str(g, "units"), 0);
		a->members = csv_list(jd_snap_str(g, "members"), 1);
		r->ng++;
		if (a->units == NULL || a->members == NULL) {
			free(codes);
			return JD_E_NOMEM;
		}
	}
	free(codes);
	return JD_OK;
}

/*
 * JD_OK, or JD_E_INVALID naming field 'tenant' when the county is past a
 * bound (org_rotation.h).  Counted on the loaded groups before anything
 * that grows faster than the county is done.
 */
static int within_bounds(struct rot *r)
{
	const char *tenant = jd_snap_str(r->snap, "tenant"), *id;
	size_t units = 0, members = 0, leaders = 0;
	json_t *p;

	for (size_t gi = 0; gi < r->ng; gi++) {
		units += json_array_size(r->g[gi].units);
		members += json_array_size(r->g[gi].members);
	}
	json_object_foreach((json_t *)r->people, id, p)
	{
		leaders += strcmp(jd_snap_str(p, "post"), "leader") == 0 && jd_org_active(p);
	}
	if (r->ng > JD_ROTATION_GROUPS_MAX)
		say(r, "field 'tenant': %s has %zu active area groups; a rotation plans at most %d",
		    tenant, r->ng, JD_ROTATION_GROUPS_MAX);
	else if (members > JD_ROTATION_MEMBERS_MAX)
		say(r,
		    "field 'tenant': the area groups of %s have %zu members; a rotation plans at "
		    "most %d",
		    tenant, members, JD_ROTATION_MEMBERS_MAX);
	else if (leaders > JD_ROTATION_LEADERS_MAX)
		say(r,
		    "field 'tenant': %s has %zu active leadership members; a rotation weighs at "
		    "most %d",
		    tenant, leaders, JD_ROTATION_LEADERS_MAX);
	else if (units > JD_ROTATION_UNITS_MAX)
		say(r,
		    "field 'tenant': the area groups of %s have %zu member units in all; a "
		    "rotation weighs at most %d",
		    tenant, units, JD_ROTATION_UNITS_MAX);
	else
		return JD_OK;
	return JD_E_INVALID;
}

/* Another active group (not area, not sub_group) that id leads: its code, or NULL. */
static const char *other_group_led(const struct rot *r, const char **codes, size_t n,
				   const char *id)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *g = json_object_get(r->groups, codes[i]);
		const char *kind = jd_snap_str(g, "kind");

		if (jd_org_active(g) && strcmp(kind, "area") != 0 &&
		    strcmp(kind, "sub_group") != 0 && strcmp(jd_snap_str(g, "leader"), id) == 0)
			return codes[i];
	}
	return NULL;
}

/* Active people with post leader, by id. */
static int load_candidates(struct rot *r)
{
	size_t n, ng;
	const char **ids = sorted_keys(r->people, &n);
	const char **codes = sorted_keys(r->groups, &ng);
	int rc = JD_E_NOMEM;

	if (ids == NULL || codes == NULL || (r->c = calloc(n + 1, sizeof(*r->c))) == NULL)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_object_get(r->people, ids[i]);

		if (strcmp(jd_snap_str(p, "post"), "leader") != 0 || !jd_org_active(p))
			continue;
		r->c[r->nc++] = (struct cand){.id = ids[i],
					      .p = p,
					      .other = other_group_led(r, codes, ng, ids[i]),
					      .match = -1};
	}
	rc = JD_OK;
cleanup:
	free(ids);
	free(codes);
	return rc;
}

/* The group id is in today, other than gi: its index, or -1. */
static long member_elsewhere(const struct rot *r, size_t gi, const char *id)
{
	for (size_t i = 0; i < r->ni; i++)
		if (r->it[i].from != gi && strcmp(r->it[i].id, id) == 0)
			return (long)r->it[i].from;
	return -1;
}

/* The members who move; retired ones (or no longer people) are dropped. */
static int load_items(struct rot *r)
{
	size_t total = 0;

	for (size_t gi = 0; gi < r->ng; gi++)
		total += json_array_size(r->g[gi].members);
	r->it = calloc(total + 1, sizeof(*r->it));
	r->dropped = json_array();
	if (r->it == NULL || r->dropped == NULL)
		return JD_E_NOMEM;
	for (size_t gi = 0; gi < r->ng; gi++) {
		struct agrp *a = &r->g[gi];

		for (size_t m = 0; m < json_array_size(a->members); m++) {
			const char *id = json_string_value(json_array_get(a->members, m));
			const json_t *p = json_object_get(r->people, id);
			long other;

			if (p == NULL || !jd_org_active(p)) {
				if (json_array_append_new(r->dropped,
							  json_pack("{s:s, s:s}", "person", id,
								    "group", a->code)) != 0)
					return JD_E_NOMEM;
				continue;
			}
			other = member_elsewhere(r, gi, id);
			if (other >= 0) {
				say(r,
				    "%s is a member of both %s and %s: a member belongs to one "
				    "area group",
				    name_of(r, id), r->g[other].code, a->code);
				return JD_E_CONFLICT;
			}
			r->it[r->ni++] = (struct item){
			    .id = id, .p = p, .from = gi, .k = (size_t)a->size, .to = -1};
			a->size++;
		}
		a->low = a->size > 0 ? a->size - 1 : 0;
		a->high = a->size + 1;
	}
	return JD_OK;
}

/* Whether id led group a in year-1: its history, or its current leader (who leads until replaced).
 */
static int led_last_year(const struct rot *r, const struct agrp *a, const char *id)
{
	char y[16];

	snprintf(y, sizeof(y), "%d", r->year - 1);
	return strcmp(jd_snap_str(a->g, "leader"), id) == 0 ||
	       strcmp(jd_snap_str(json_object_get(a->g, "leaders"), y), id) == 0;
}

static int fill_matrices(struct rot *r)
{
	size_t big = r->ng > r->nc ? r->ng : r->nc;

	r->lead_ok = calloc(r->ng * r->nc + 1, 1);
	r->move_ok = calloc(r->ni * r->ng + 1, 1);
	r->seen = calloc(big + 1, 1);
	if (r->lead_ok == NULL || r->move_ok == NULL || r->seen == NULL)
		return JD_E_NOMEM;
	for (size_t gi = 0; gi < r->ng; gi++)
		for (size_t ci = 0; ci < r->nc; ci++) {
			int c;

			if (r->c[ci].other != NULL || led_last_year(r, &r->g[gi], r->c[ci].id))
				continue;
			c = group_conflict(r, r->c[ci].id, gi, JD_CONFLICT_ALL, NULL, 0);
			if (c < 0)
				return JD_E_NOMEM;
			r->lead_ok[gi * r->nc + ci] = c == 0;
		}
	for (size_t i = 0; i < r->ni; i++)
		for (size_t gi = 0; gi < r->ng; gi++) {
			int c;

			if (gi == r->it[i].from)
				continue;
			c = group_conflict(r, r->it[i].id, gi, JD_CONFLICT_FORMER | JD_CONFLICT_TIE,
					   NULL, 0);
			if (c < 0)
				return JD_E_NOMEM;
			r->move_ok[i * r->ng + gi] = c == 0;
		}
	return JD_OK;
}

/* ---- leaders: bipartite matching (augmenting paths, in id order) ------------------------ */

static int lead_augment(struct rot *r, size_t gi)
{
	for (size_t ci = 0; ci < r->nc; ci++) {
		if (!r->lead_ok[gi * r->nc + ci] || r->seen[ci])
			continue;
		r->seen[ci] = 1;
		if (r->c[ci].match < 0 || lead_augment(r, (size_t)r->c[ci].match)) {
			r->c[ci].match = (long)gi;
			r->g[gi].lead = (long)ci;
			return 1;
		}
	}
	return 0;
}

/* Why group gi has no leader: every candidate and what keeps them out. */
static int explain_leader(struct rot *r, size_t gi)
{
	const struct agrp *a = &r->g[gi];
	char reason[REASON_MAX];
	size_t said = 0;

	say(r, "%sno valid leader for group %s (%s): ", *r->why ? "; " : "", a->code,
	    jd_snap_str(a->g, "name"));
	if (r->nc == 0) {
		say(r, "the county has no active leadership member (post leader)");
		return JD_OK;
	}
	for (size_t ci = 0; ci < r->nc && said < SAY_PER_LIST; ci++, said++) {
		const struct cand *c = &r->c[ci];
		const char *name = name_of(r, c->id), *sep = said ? ", " : "";
		int k;

		if (c->other != NULL) {
			say(r, "%s%s leads %s", sep, name, c->other);
		} else if (led_last_year(r, a, c->id)) {
			say(r, "%s%s led it in %d", sep, name, r->year - 1);
		} else if ((k = group_conflict(r, c->id, gi, JD_CONFLICT_ALL, reason,
					       sizeof(reason))) != 0) {
			if (k < 0)
				return JD_E_NOMEM;
			say(r, "%s%s %s", sep, name, reason);
		} else {
			say(r, "%s%s is needed to lead %s", sep, name,
			    c->match >= 0 ? r->g[c->match].code : "another group");
		}
	}
	if (said < r->nc)
		say(r, " and %zu more", r->nc - said);
	return JD_OK;
}

static int match_leaders(struct rot *r)
{
	int rc = JD_OK;

	for (size_t gi = 0; gi < r->ng; gi++) {
		memset(r->seen, 0, r->nc + 1);
		(void)lead_augment(r, gi);
	}
	for (size_t gi = 0; gi < r->ng; gi++)
		if (r->g[gi].lead < 0) {
			if (explain_leader(r, gi) != JD_OK)
				return JD_E_NOMEM;
			rc = JD_E_CONFLICT;
		}
	return rc;
}

/* ---- members: capacitated assignment (max flow, lower bounds first) ---------------------- */

/* The j-th group item i tries: from the one after its own, shifted by its rank, so a group's
 * members spread over the others. */
static size_t try_order(const struct rot *r, const struct item *it, size_t j)
{
	return (it->from + 1 + it->k + j) % r->ng;
}

/* The phases: fill every group to its lower bound, then to today's size (a balanced plan), then
 * to its upper bound. */
enum { PHASE_LOW, PHASE_SIZE, PHASE_HIGH };

static long cap_of(const struct agrp *a, int phase)
{
	return phase == PHASE_LOW ? a->low : phase == PHASE_SIZE ? a->size : a->high;
}

/*
 * An augmenting path from item i: a group with room under the phase's
 * cap, possibly moving assigned items on along the way.  Loads never drop
 * along a path, so the lower bounds met first hold to the end.
 */
static int move_augment(struct rot *r, size_t i, int phase)
{
	const struct item *it = &r->it[i];

	for (size_t j = 0; j < r->ng; j++) {
		size_t h = try_order(r, it, j);
		struct agrp *a = &r->g[h];

		if (!r->move_ok[i * r->ng + h] || r->seen[h])
			continue;
		r->seen[h] = 1;
		if (a->load < cap_of(a, phase)) {
			a->load++;
			r->it[i].to = (long)h;
			return 1;
		}
		for (size_t x = 0; x < r->ni; x++)
			if (x != i && r->it[x].to == (long)h && move_augment(r, x, phase)) {
				r->it[i].to = (long)h;
				return 1;
			}
	}
	return 0;
}

static void run_phase(struct rot *r, int phase)
{
	for (size_t i = 0; i < r->ni; i++) {
		if (r->it[i].to >= 0)
			continue;
		memset(r->seen, 0, r->ng + 1);
		(void)move_augment(r, i, phase);
	}
}

static size_t may_join(const struct rot *r, size_t h)
{
	size_t n = 0;

	for (size_t i = 0; i < r->ni; i++)
		n += r->move_ok[i * r->ng + h];
	return n;
}

static void explain_low(struct rot *r)
{
	for (size_t h = 0; h < r->ng; h++) {
		const struct agrp *a = &r->g[h];

		if (a->load >= a->low)
			continue;
		say(r,
		    "%sgroup %s (%s) cannot get the %ld members it needs (it has %ld today; sizes "
		    "stay within ±1): %zu members of other groups may join it, the others "
		    "conflict with its units or are needed elsewhere",
		    *r->why ? "; " : "", a->code, jd_snap_str(a->g, "name"), a->low, a->size,
		    may_join(r, h));
	}
}

/* Why item i found no place: the groups it conflicts with, or that they are full. */
static int explain_item(struct rot *r, size_t i)
{
	const struct item *it = &r->it[i];
	char reason[REASON_MAX];
	size_t open = 0, said = 0;

	say(r, "%s%s (in %s) ", *r->why ? "; " : "", name_of(r, it->id), r->g[it->from].code);
	for (size_t h = 0; h < r->ng; h++)
		open += r->move_ok[i * r->ng + h];
	if (open > 0) {
		say(r, "may only move to");
		for (size_t h = 0; h < r->ng; h++)
			if (r->move_ok[i * r->ng + h])
				say(r, "%s %s", said++ ? "," : "", r->g[h].code);
		say(r, ", which %s full (sizes stay within ±1 of today's)",
		    open > 1 ? "are" : "is");
		return JD_OK;
	}
	say(r, "cannot move to any other area group:");
	for (size_t h = 0; h < r->ng && said < SAY_PER_LIST; h++) {
		int k;

		if (h == it->from)
			continue;
		k = group_conflict(r, it->id, h, JD_CONFLICT_FORMER | JD_CONFLICT_TIE, reason,
				   sizeof(reason));
		if (k < 0)
			return JD_E_NOMEM;
		say(r, "%s %s (%s)", said++ ? "," : "", reason, r->g[h].code);
	}
	return JD_OK;
}

static int assign_members(struct rot *r)
{
	size_t placed = 0, named = 0;
	long need = 0;

	if (r->ni == 0)
		return JD_OK;
	if (r->ng < 2) {
		say(r, "%sno member of %s can move: the county has only one active area group",
		    *r->why ? "; " : "", r->g[0].code);
		return JD_E_CONFLICT;
	}
	run_phase(r, PHASE_LOW);
	for (size_t h = 0; h < r->ng; h++) {
		need += r->g[h].low;
		placed += (size_t)r->g[h].load;
	}
	if ((long)placed < need) {
		explain_low(r);
		return JD_E_CONFLICT;
	}
	run_phase(r, PHASE_SIZE);
	run_phase(r, PHASE_HIGH);
	for (size_t i = 0; i < r->ni; i++) {
		if (r->it[i].to >= 0)
			continue;
		if (named++ == SAY_PER_LIST) {
			say(r, "; and more");
			break;
		}
		if (explain_item(r, i) != JD_OK)
			return JD_E_NOMEM;
	}
	return named > 0 ? JD_E_CONFLICT : JD_OK;
}

/* ---- the plan ------------------------------------------------------------------------- */

static json_t *group_plan(const struct rot *r, size_t gi)
{
	const struct agrp *a = &r->g[gi];
	const char **ids = malloc((r->ni + 1) * sizeof(*ids));
	json_t *members = json_array(), *out = NULL;
	size_t n = 0;

	if (ids == NULL || members == NULL)
		goto cleanup;
	for (size_t i = 0; i < r->ni; i++)
		if (r->it[i].to == (long)gi)
			ids[n++] = r->it[i].id;
	qsort(ids, n, sizeof(*ids), by_str);
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(members, json_string(ids[i])) != 0)
			goto cleanup;
	out = json_pack("{s:s, s:s, s:s, s:O, s:O}", "code", a->code, "leader_before",
			jd_snap_str(a->g, "leader"), "leader", r->c[a->lead].id, "members_before",
			a->members, "members", members);
cleanup:
	free(ids);
	json_decref(members);
	return out;
}

static json_t *make_plan(const struct rot *r)
{
	json_t *groups = json_array();
	json_t *plan =
	    groups ? json_pack("{s:s, s:i, s:O, s:O}", "tenant", jd_snap_str(r->snap, "tenant"),
			       "year", r->year, "groups", groups, "dropped", r->dropped)
		   : NULL;

	json_decref(groups);
	for (size_t gi = 0; plan != NULL && gi < r->ng; gi++)
		if (json_array_append_new(json_object_get(plan, "groups"), group_plan(r, gi)) !=
		    0) {
			json_decref(plan);
			plan = NULL;
		}
	return plan;
}

int jd_org_rotation_plan(const json_t *snap, int year, const struct jd_org_ties *ties,
			 json_t **plan, char *why, size_t len)
{
	struct rot r = {.snap = snap,
			.people = json_object_get(snap, "people"),
			.groups = json_object_get(snap, "groups"),
			.year = year,
			.ties = ties,
			.why = why,
			.len = len};
	int rc, members_rc;

	*plan = NULL;
	if (len > 0)
		why[0] = '\0';
	if ((rc = load_groups(&r)) != JD_OK)
		goto cleanup;
	if (r.ng == 0) {
		say(&r, "tenant %s has no active area group: nothing to rotate",
		    jd_snap_str(snap, "tenant"));
		rc = JD_E_CONFLICT;
		goto cleanup;
	}
	if ((rc = within_bounds(&r)) != JD_OK || (rc = load_candidates(&r)) != JD_OK ||
	    (rc = load_items(&r)) != JD_OK)
		goto cleanup;
	r.found = json_array();
	if (r.found == NULL) {
		rc = JD_E_NOMEM;
		goto cleanup;
	}
	if ((rc = fill_matrices(&r)) != JD_OK)
		goto cleanup;
	rc = match_leaders(&r);
	members_rc = rc == JD_E_NOMEM ? rc : assign_members(&r);
	if (rc == JD_OK || members_rc == JD_E_NOMEM)
		rc = members_rc;
	if (rc == JD_OK && (*plan = make_plan(&r)) == NULL)
		rc = JD_E_NOMEM;
cleanup:
	rot_free(&r);
	return rc;
}

int jd_org_rotation_digest(const json_t *plan, long long rev, char out[JD_ROTATION_DIGEST_HEX + 1])
{
	char *text = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char h[JD_ROTATION_DIGEST_HEX / 2];
	crypto_generichash_state st;
	char tail[32];

	if (text == NULL)
		return JD_E_NOMEM;
	snprintf(tail, sizeof(tail), "\nrev=%lld", rev);
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
	crypto_generichash_update(&st, (const unsigned char *)tail, strlen(tail));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, JD_ROTATION_DIGEST_HEX + 1, h, sizeof(h));
	free(text);
	return JD_OK;
}

/* ---- what the plan leaves, and the plan for a human ----------------------------------------- */

/* "a,b,c" from an array of strings; NULL out of memory. */
static char *joined(const json_t *arr, const char *sep)
{
	size_t n = 1;
	char *out;

	for (size_t i = 0; i < json_array_size(arr); i++)
		n += json_string_length(json_array_get(arr, i)) + strlen(sep);
	out = malloc(n);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0, used = 0; i < json_array_size(arr); i++) {
		const json_t *s = json_array_get(arr, i);

		/* n counted every separator and string (a non-string as ""): this fits */
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? sep : "",
					 json_is_string(s) ? json_string_value(s) : "");
	}
	return out;
}

static json_t *history_of(const json_t *g, int year, const char *leader)
{
	json_t *h = json_deep_copy(json_object_get(g, "leaders"));
	const char *old = jd_snap_str(g, "leader");
	long long old_year = jd_snap_int(g, "year");
	char y[16];

	if (!json_is_object(h)) {
		json_decref(h);
		h = json_object();
	}
	snprintf(y, sizeof(y), "%lld", old_year);
	/* the outgoing leader's year, if the history lacks it */
	if (h != NULL && *old != '\0' && old_year > 0 && json_object_get(h, y) == NULL &&
	    json_object_set_new(h, y, json_string(old)) != 0)
		goto fail;
	snprintf(y, sizeof(y), "%d", year);
	if (h != NULL && json_object_set_new(h, y, json_string(leader)) != 0)
		goto fail;
	return h;
fail:
	json_decref(h);
	return NULL;
}

/* Group g (a copy) as the plan entry p leaves it; NULL out of memory. */
static json_t *group_after(const json_t *snap, const json_t *p, int year)
{
	const char *code = jd_snap_str(p, "code"), *leader = jd_snap_str(p, "leader");
	json_t *g = json_deep_copy(json_object_get(json_object_get(snap, "groups"), code));
	char *members = joined(json_object_get(p, "members"), ",");
	json_t *hist = g ? history_of(g, year, leader) : NULL;

	if (g == NULL || members == NULL || hist == NULL) {
		json_decref(hist);
		goto fail;
	}
	/* set_new takes hist, on failure too */
	if (json_object_set_new(g, "leaders", hist) != 0 ||
	    json_object_set_new(g, "leader", json_string(leader)) != 0 ||
	    json_object_set_new(g, "year", json_integer(year)) != 0 ||
	    json_object_set_new(g, "members", json_string(members)) != 0)
		goto fail;
	free(members);
	return g;
fail:
	free(members);
	json_decref(g);
	return NULL;
}

json_t *jd_org_rotation_groups(const json_t *snap, const json_t *plan)
{
	json_t *out = json_object(), *groups = json_object_get(plan, "groups");
	int year = (int)json_integer_value(json_object_get(plan, "year"));

	for (size_t i = 0; out != NULL && i < json_array_size(groups); i++) {
		const json_t *p = json_array_get(groups, i);

		if (json_object_set_new(out, jd_snap_str(p, "code"), group_after(snap, p, year)) !=
		    0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

/* Names of the ids in a but not in b: a new array. */
static json_t *names_not_in(const json_t *people, const json_t *a, const json_t *b)
{
	json_t *out = json_array();

	for (size_t i = 0; out != NULL && i < json_array_size(a); i++) {
		const char *id = json_string_value(json_array_get(a, i));
		const char *name = jd_snap_str(json_object_get(people, id), "name");
		int found = 0;

		for (size_t j = 0; j < json_array_size(b) && !found; j++)
			found = strcmp(json_string_value(json_array_get(b, j)), id) == 0;
		if (!found && json_array_append_new(out, json_string(*name ? name : id)) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

static json_t *group_row(const json_t *snap, const json_t *p)
{
	const json_t *people = json_object_get(snap, "people");
	const json_t *g = json_object_get(json_object_get(snap, "groups"), jd_snap_str(p, "code"));
	const json_t *before = json_object_get(p, "members_before"),
		     *after = json_object_get(p, "members");
	const char *old =
	    jd_snap_str(json_object_get(people, jd_snap_str(p, "leader_before")), "name");
	const char *neu = jd_snap_str(json_object_get(people, jd_snap_str(p, "leader")), "name");
	json_t *in = names_not_in(people, after, before),
	       *gone = names_not_in(people, before, after);
	char *ins = in ? joined(in, ", ") : NULL, *outs = gone ? joined(gone, ", ") : NULL;
	char leader[512], sizes[64];
	json_t *row = NULL;

	snprintf(leader, sizeof(leader), "%s → %s", *old ? old : "-", neu);
	snprintf(sizes, sizeof(sizes), "%zu → %zu", json_array_size(before),
		 json_array_size(after));
	if (ins != NULL && outs != NULL)
		row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "group", jd_snap_str(p, "code"),
				"name", jd_snap_str(g, "name"), "leader", leader, "members", sizes,
				"joining", ins, "leaving", outs);
	json_decref(in);
	json_decref(gone);
	free(ins);
	free(outs);
	return row;
}

/* "name: from → to" for every member, by group then position. */
static int add_moves(const json_t *snap, const json_t *groups, json_t *moves)
{
	const json_t *people = json_object_get(snap, "people");

	for (size_t i = 0; i < json_array_size(groups); i++) {
		const json_t *from = json_array_get(groups, i);
		const json_t *before = json_object_get(from, "members_before");

		for (size_t m = 0; m < json_array_size(before); m++) {
			const char *id = json_string_value(json_array_get(before, m));
			const char *name = jd_snap_str(json_object_get(people, id), "name");
			char line[512];

			for (size_t j = 0; j < json_array_size(groups); j++) {
				const json_t *to = json_array_get(groups, j);
				const json_t *after = json_object_get(to, "members");

				for (size_t k = 0; k < json_array_size(after); k++) {
					if (strcmp(json_string_value(json_array_get(after, k)),
						   id) != 0)
						continue;
					snprintf(line, sizeof(line), "%s: %s → %s",
						 *name ? name : id, jd_snap_str(from, "code"),
						 jd_snap_str(to, "code"));
					if (json_array_append_new(moves, json_string(line)) != 0)
						return JD_E_NOMEM;
				}
			}
		}
	}
	return JD_OK;
}

json_t *jd_org_rotation_view(const json_t *snap, const json_t *plan)
{
	const json_t *groups = json_object_get(plan, "groups");
	const json_t *dropped = json_object_get(plan, "dropped");
	json_t *rows = json_array(), *moves = json_array(), *gone = json_array(), *out = NULL;

	if (rows == NULL || moves == NULL || gone == NULL)
		goto cleanup;
	for (size_t i = 0; i < json_array_size(groups); i++)
		if (json_array_append_new(rows, group_row(snap, json_array_get(groups, i))) != 0)
			goto cleanup;
	if (add_moves(snap, groups, moves) != JD_OK)
		goto cleanup;
	for (size_t i = 0; i < json_array_size(dropped); i++) {
		const json_t *d = json_array_get(dropped, i);
		const char *id = jd_snap_str(d, "person");
		const char *name =
		    jd_snap_str(json_object_get(json_object_get(snap, "people"), id), "name");
		char line[512];

		snprintf(line, sizeof(line), "%s: leaves %s (no longer active)", *name ? name : id,
			 jd_snap_str(d, "group"));
		if (json_array_append_new(gone, json_string(line)) != 0)
			goto cleanup;
	}
	/* an empty list is left out: the CLI shows the one list of objects, groups, as a table */
	out = json_pack("{s:O}", "groups", rows);
	if (out != NULL && ((json_array_size(moves) > 0 && json_object_set(out, "moves", moves)) ||
			    (json_array_size(gone) > 0 && json_object_set(out, "dropped", gone)))) {
		json_decref(out);
		out = NULL;
	}
cleanup:
	json_decref(rows);
	json_decref(moves);
	json_decref(gone);
	return out;
}
