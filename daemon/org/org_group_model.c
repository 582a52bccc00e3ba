/* Groups of a county, the pure part: validation, text forms, the scope membership gives. */
#include "org/org_group_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "org/org_codes.h"
#include "org/org_snapshot.h"

#define CSV_BUF_MAX (JD_GROUP_MEMBERS_MAX * 130) /* members: names of up to 128 bytes */

static const char *const kind_names[] = {"task_force",	"case_centre", "area",
					 "joint_group", "matter",      "sub_group"};
static const char *const function_names[] = {"general", "supervision_inspection",
					     "review_investigation", "daily_supervision",
					     "case_handling"};
/* the kinds whose membership feeds the scope: every kind but sub_group */
static const char *const scope_kinds[] = {"area", "joint_group", "task_force", "case_centre",
					  "matter"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int one_of(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return 1;
	return 0;
}

int jd_group_kind_valid(const char *s)
{
	return one_of(s, kind_names, N_OF(kind_names));
}

int jd_group_function_valid(const char *s)
{
	return one_of(s, function_names, N_OF(function_names));
}

int jd_group_policy_valid(const char *s)
{
	return s != NULL &&
	       (*s == '\0' || strcmp(s, "rotating") == 0 || strcmp(s, "division") == 0);
}

/* "an area", "a matter": the kinds' names in replies. */
static const char *article(const char *kind)
{
	return kind[0] != '\0' && strchr("aeiou", kind[0]) != NULL ? "an" : "a";
}

/* An absent status reads as active: summaries written before it existed. */
static int csv_has(const char *csv, const char *item)
{
	return jd_csv_has(csv, item, strlen(item));
}

/*
 * Splits csv at sep into items[] (pointers into buf, spaces around each
 * trimmed), at most max.  JD_E_INVALID with the reason in why.
 */
static int split(const char *field, const char *csv, char sep, char *buf, size_t buflen,
		 const char **items, size_t max, size_t *n, char *why, size_t len)
{
	char *p, *end;

	*n = 0;
	if (*csv == '\0')
		return JD_OK;
	if (strlen(csv) >= buflen) {
		snprintf(why, len, "field '%s' is too long", field);
		return JD_E_INVALID;
	}
	snprintf(buf, buflen, "%s", csv);
	for (p = buf;; p = end + 1) {
		char *e;

		end = strchr(p, sep);
		if (end != NULL)
			*end = '\0';
		while (*p == ' ')
			p++;
		for (e = p + strlen(p); e > p && e[-1] == ' ';)
			*--e = '\0';
		if (*p == '\0') {
			snprintf(why, len, "field '%s' has an empty entry", field);
			return JD_E_INVALID;
		}
		if (*n == max) {
			snprintf(why, len, "field '%s': at most %zu entries", field, max);
			return JD_E_INVALID;
		}
		items[(*n)++] = p;
		if (end == NULL)
			return JD_OK;
	}
}

/* Unit codes: the form, none twice. */
static int split_codes(const char *field, const char *csv, char *buf, size_t buflen,
		       const char **codes, size_t *n, char *why, size_t len)
{
	if (split(field, csv, ',', buf, buflen, codes, JD_GROUP_UNITS_MAX, n, why, len) != JD_OK)
		return JD_E_INVALID;
	for (size_t i = 0; i < *n; i++) {
		if (!jd_org_code_ok(codes[i])) {
			snprintf(why, len,
				 "field '%s': '%.40s' is not a unit code ([a-z0-9_-]{1,32})", field,
				 codes[i]);
			return JD_E_INVALID;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(codes[i], codes[j]) == 0) {
				snprintf(why, len, "field '%s': unit '%s' is named twice", field,
					 codes[i]);
				return JD_E_INVALID;
			}
	}
	return JD_OK;
}

int jd_group_shares_parse(const char *text, json_t **out, char *why, size_t len)
{
	char *buf = malloc(CSV_BUF_MAX);
	const char *items[JD_GROUP_UNITS_MAX];
	json_t *o = json_object();
	size_t n = 0;
	int rc = JD_E_NOMEM;

	*out = NULL;
	if (buf == NULL || o == NULL)
		goto cleanup;
	rc = split("shares", text, ';', buf, CSV_BUF_MAX, items, JD_GROUP_UNITS_MAX, &n, why, len);
	for (size_t i = 0; rc == JD_OK && i < n; i++) {
		char *colon = strchr(items[i], ':'), *what;

		rc = JD_E_INVALID;
		if (colon == NULL) {
			snprintf(why, len,
				 "field 'shares': '%.40s' is not unit:what it answers for",
				 items[i]);
			break;
		}
		*colon = '\0';
		for (what = colon + 1; *what == ' '; what++)
			;
		for (char *e = colon; e > items[i] && e[-1] == ' ';)
			*--e = '\0';
		if (!jd_org_code_ok(items[i]))
			snprintf(why, len, "field 'shares': '%.40s' is not a unit code", items[i]);
		else if (*what == '\0')
			snprintf(why, len, "field 'shares': unit '%s' has no text", items[i]);
		else if (json_object_get(o, items[i]) != NULL)
			snprintf(why, len, "field 'shares': unit '%s' is named twice", items[i]);
		else
			rc = json_object_set_new(o, items[i], json_string(what)) == 0 ? JD_OK
										      : JD_E_NOMEM;
	}
	if (rc == JD_OK) {
		*out = o;
		o = NULL;
	}
cleanup:
	json_decref(o);
	free(buf);
	return rc;
}

int jd_person_link_parse(const char *s, char county[7], char id[33])
{
	if (s == NULL || strlen(s) != 6 + 1 + 32 || s[6] != '/')
		return JD_E_INVALID;
	for (int i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return JD_E_INVALID;
	if (!jd_org_person_id_ok(s + 7))
		return JD_E_INVALID;
	memcpy(county, s, 6);
	county[6] = '\0';
	memcpy(id, s + 7, 32);
	id[32] = '\0';
	return JD_OK;
}

/* ---- checking one group against its county ------------------------------------------ */

/* What one check works on: the snapshot's parts and the message buffer. */
struct check {
	const json_t *people, *units, *groups;
	const json_t *names; /* jd_group_names_index of people, or NULL */
	const char *tenant;
	const json_t *old;
	char *why;
	size_t len;
};

/* Who is named text, counted into the four: by the index, else by walking every person. */
struct named {
	const char *active, *any;
	int n_active, n_any;
};

static void count_named(struct named *n, const char *key, const json_t *p)
{
	n->n_any++;
	n->any = key;
	if (jd_org_active(p)) {
		n->n_active++;
		n->active = key;
	}
}

static void find_named(const struct check *c, const char *text, struct named *n)
{
	const char *key;
	json_t *p;

	*n = (struct named){0};
	if (c->names != NULL) {
		const json_t *ids = json_object_get(c->names, text);

		for (size_t i = 0; i < json_array_size(ids); i++) {
			key = json_string_value(json_array_get(ids, i));
			p = json_object_get(c->people, key ? key : "");
			if (p != NULL)
				count_named(n, key, p);
		}
		return;
	}
	json_object_foreach((json_t *)c->people, key, p)
	{
		if (strcmp(jd_snap_str(p, "name"), text) == 0)
			count_named(n, key, p);
	}
}

json_t *jd_group_names_index(const json_t *people)
{
	json_t *idx = json_object(), *p;
	const char *key;

	json_object_foreach((json_t *)people, key, p)
	{
		const char *name = jd_snap_str(p, "name");
		json_t *ids = idx ? json_object_get(idx, name) : NULL;

		if (idx != NULL && ids == NULL) {
			ids = json_array();
			if (json_object_set_new(idx, name, ids) != 0) /* takes ids, NULL too */
				ids = NULL;
		}
		if (ids == NULL || json_array_append_new(ids, json_string(key)) != 0) {
			json_decref(idx);
			return NULL;
		}
	}
	return idx;
}

/*
 * The person text names: an id of the county, else the one active person
 * of that name (else the one person of that name, whatever their status).
 */
static int resolve_person(struct check *c, const char *field, const char *text, const char **id)
{
	struct named n;

	if (json_object_get(c->people, text) != NULL) {
		*id = text;
		return JD_OK;
	}
	find_named(c, text, &n);
	if (n.n_active == 1 || (n.n_active == 0 && n.n_any == 1)) {
		*id = n.n_active == 1 ? n.active : n.any;
		return JD_OK;
	}
	if (n.n_any == 0)
		snprintf(c->why, c->len, "field '%s': no person '%.128s' in tenant %s", field, text,
			 c->tenant);
	else
		snprintf(c->why, c->len,
			 "field '%s': %d people are named '%.128s'; give the person's id", field,
			 n.n_active > 0 ? n.n_active : n.n_any, text);
	return JD_E_INVALID;
}

static int check_leader(struct check *c, const char *kind, const char *text, const char **id)
{
	const json_t *p;
	const char *post;

	*id = "";
	if (*text == '\0') {
		if (strcmp(kind, "sub_group") == 0)
			return JD_OK;
		snprintf(c->why, c->len,
			 "field 'leader': %s %s needs a leader (a leadership member)",
			 article(kind), kind);
		return JD_E_INVALID;
	}
	if (resolve_person(c, "leader", text, id) != JD_OK)
		return JD_E_INVALID;
	if (strcmp(*id, jd_snap_str(c->old, "leader")) == 0)
		return JD_OK; /* kept: not refused for what changed since */
	p = json_object_get(c->people, *id);
	post = jd_snap_str(p, "post");
	if (!jd_org_active(p)) {
		snprintf(c->why, c->len, "field 'leader': %s is retired", jd_snap_str(p, "name"));
		return JD_E_INVALID;
	}
	if (strcmp(post, "leader") != 0) {
		snprintf(c->why, c->len, "field 'leader': %s is a %s, not a leadership member",
			 jd_snap_str(p, "name"), *post ? post : "person without a post");
		return JD_E_INVALID;
	}
	return JD_OK;
}

/* codes[0..n) -> *out, a JSON string "a,b,c" (normalized: no spaces). */
static int join(const char *const *codes, size_t n, json_t **out)
{
	char buf[JD_GROUP_UNITS_MAX * (JD_GROUP_CODE_MAX + 1) + 1];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? "," : "",
					 codes[i]);
	*out = json_string(buf);
	return *out != NULL ? JD_OK : JD_E_NOMEM;
}

/* units -> *out ("code,code"), each of the county, active unless old has it. */
static int check_units(struct check *c, const char *kind, const char *csv, json_t **out)
{
	char buf[JD_GROUP_UNITS_MAX * (JD_GROUP_CODE_MAX + 1) + 1];
	const char *codes[JD_GROUP_UNITS_MAX];
	const char *old = jd_snap_str(c->old, "units");
	size_t n, min = 0;

	if (split_codes("units", csv, buf, sizeof(buf), codes, &n, c->why, c->len) != JD_OK)
		return JD_E_INVALID;
	for (size_t i = 0; i < n; i++) {
		const json_t *u = json_object_get(c->units, codes[i]);

		if (u == NULL) {
			snprintf(c->why, c->len, "field 'units': no unit '%s' in tenant %s",
				 codes[i], c->tenant);
			return JD_E_INVALID;
		}
		if (!jd_org_active(u) && !csv_has(old, codes[i])) {
			snprintf(c->why, c->len, "field 'units': unit '%s' is retired", codes[i]);
			return JD_E_INVALID;
		}
	}
	if (strcmp(kind, "area") == 0 || strcmp(kind, "joint_group") == 0)
		min = 2;
	else if (strcmp(kind, "matter") == 0)
		min = 1;
	if (n < min) {
		snprintf(c->why, c->len, "field 'units': %s %s needs at least %zu member unit%s",
			 article(kind), kind, min, min > 1 ? "s" : "");
		return JD_E_INVALID;
	}
	return join(codes, n, out);
}

/* members -> *out ("id,id"): each an active person (unless old has them), none twice. */
static int check_members(struct check *c, const char *csv, json_t **out)
{
	char *buf = malloc(CSV_BUF_MAX), *ids = malloc(JD_GROUP_MEMBERS_MAX * 33 + 1);
	const char *items[JD_GROUP_MEMBERS_MAX];
	const char *old = jd_snap_str(c->old, "members");
	size_t n, used = 0;
	int rc = JD_E_NOMEM;

	if (buf == NULL || ids == NULL)
		goto cleanup;
	ids[0] = '\0';
	rc = split("members", csv, ',', buf, CSV_BUF_MAX, items, JD_GROUP_MEMBERS_MAX, &n, c->why,
		   c->len);
	for (size_t i = 0; rc == JD_OK && i < n; i++) {
		const char *id;
		const json_t *p;

		rc = resolve_person(c, "members", items[i], &id);
		if (rc != JD_OK)
			break;
		p = json_object_get(c->people, id);
		rc = JD_E_INVALID;
		if (csv_has(ids, id))
			snprintf(c->why, c->len, "field 'members': %s is named twice",
				 jd_snap_str(p, "name"));
		else if (!jd_org_active(p) && !csv_has(old, id))
			snprintf(c->why, c->len, "field 'members': %s is retired",
				 jd_snap_str(p, "name"));
		else
			rc = JD_OK;
		if (rc == JD_OK)
			used += (size_t)snprintf(ids + used, JD_GROUP_MEMBERS_MAX * 33 + 1 - used,
						 "%s%s", used ? "," : "", id);
	}
	if (rc == JD_OK) {
		*out = json_string(ids);
		rc = *out != NULL ? JD_OK : JD_E_NOMEM;
	}
cleanup:
	free(buf);
	free(ids);
	return rc;
}

/* parent and function: a sub_group's, and only a sub_group's. */
static int check_sub_group(struct check *c, const char *code, const char *kind, const json_t *in)
{
	const char *parent = jd_snap_str(in, "parent"), *function = jd_snap_str(in, "function");
	const json_t *pg;

	if (strcmp(kind, "sub_group") != 0) {
		if (*parent != '\0' || *function != '\0') {
			snprintf(c->why, c->len,
				 "field '%s' is only for a sub_group (this group is %s %s)",
				 *parent ? "parent" : "function", article(kind), kind);
			return JD_E_INVALID;
		}
		return JD_OK;
	}
	if (*parent == '\0') {
		snprintf(c->why, c->len, "field 'parent': a sub_group needs its parent group");
		return JD_E_INVALID;
	}
	if (!jd_group_function_valid(function)) {
		snprintf(c->why, c->len,
			 "field 'function': '%.32s' is not a sub-group function (general, "
			 "supervision_inspection, review_investigation, daily_supervision, "
			 "case_handling)",
			 function);
		return JD_E_INVALID;
	}
	pg = json_object_get(c->groups, parent);
	if (strcmp(parent, code) == 0)
		snprintf(c->why, c->len, "field 'parent': a group cannot be its own parent");
	else if (pg == NULL)
		snprintf(c->why, c->len, "field 'parent': no group '%.40s' in tenant %s", parent,
			 c->tenant);
	else if (!jd_org_active(pg))
		snprintf(c->why, c->len, "field 'parent': group '%s' is retired", parent);
	else if (strcmp(jd_snap_str(pg, "kind"), "sub_group") == 0)
		snprintf(c->why, c->len, "field 'parent': group '%s' is itself a sub_group",
			 parent);
	else
		return JD_OK;
	return JD_E_INVALID;
}

/* rotating: rotation is the order of every member unit, each once. */
static int check_rotation(struct check *c, const char *units, const char *rotation)
{
	char buf[JD_GROUP_UNITS_MAX * (JD_GROUP_CODE_MAX + 1) + 1];
	char ubuf[sizeof(buf)];
	const char *codes[JD_GROUP_UNITS_MAX], *members[JD_GROUP_UNITS_MAX];
	size_t n, m;

	if (*rotation == '\0') {
		snprintf(c->why, c->len,
			 "field 'rotation': policy rotating needs the order of the member units");
		return JD_E_INVALID;
	}
	if (split_codes("rotation", rotation, buf, sizeof(buf), codes, &n, c->why, c->len) !=
		JD_OK ||
	    split_codes("units", units, ubuf, sizeof(ubuf), members, &m, c->why, c->len) != JD_OK)
		return JD_E_INVALID;
	for (size_t i = 0; i < n; i++)
		if (!csv_has(units, codes[i])) {
			snprintf(c->why, c->len,
				 "field 'rotation': unit '%s' is not a member unit of the group",
				 codes[i]);
			return JD_E_INVALID;
		}
	for (size_t i = 0; i < m; i++)
		if (!csv_has(rotation, members[i])) {
			snprintf(c->why, c->len,
				 "field 'rotation': member unit '%s' is not in the rotation",
				 members[i]);
			return JD_E_INVALID;
		}
	return JD_OK;
}

/* division: one share per member unit, and only theirs. */
static int check_shares(struct check *c, const char *units, const json_t *shares)
{
	char ubuf[JD_GROUP_UNITS_MAX * (JD_GROUP_CODE_MAX + 1) + 1];
	const char *members[JD_GROUP_UNITS_MAX], *key;
	size_t m;
	json_t *v;

	if (json_object_size(shares) == 0) {
		snprintf(c->why, c->len,
			 "field 'shares': policy division needs each member unit's share");
		return JD_E_INVALID;
	}
	json_object_foreach((json_t *)shares, key, v)
	{
		if (!csv_has(units, key)) {
			snprintf(c->why, c->len,
				 "field 'shares': unit '%.40s' is not a member unit of the group",
				 key);
			return JD_E_INVALID;
		}
	}
	if (split_codes("units", units, ubuf, sizeof(ubuf), members, &m, c->why, c->len) != JD_OK)
		return JD_E_INVALID;
	for (size_t i = 0; i < m; i++)
		if (json_object_get(shares, members[i]) == NULL) {
			snprintf(c->why, c->len, "field 'shares': member unit '%s' has no share",
				 members[i]);
			return JD_E_INVALID;
		}
	return JD_OK;
}

/* policy, rotation, shares: a joint group's lead policy. */
static int check_policy(struct check *c, const char *kind, const char *units, const json_t *in)
{
	const char *policy = jd_snap_str(in, "policy"), *rotation = jd_snap_str(in, "rotation");
	const json_t *shares = json_object_get(in, "shares");

	if (*policy != '\0' && strcmp(kind, "joint_group") != 0) {
		snprintf(c->why, c->len,
			 "field 'policy' is only for a joint_group (this group is %s %s)",
			 article(kind), kind);
		return JD_E_INVALID;
	}
	if (!jd_group_policy_valid(policy)) {
		snprintf(c->why, c->len, "field 'policy': '%.32s' is not rotating or division",
			 policy);
		return JD_E_INVALID;
	}
	if (*rotation != '\0' && strcmp(policy, "rotating") != 0) {
		snprintf(c->why, c->len, "field 'rotation' is only for policy rotating");
		return JD_E_INVALID;
	}
	if (json_object_size(shares) > 0 && strcmp(policy, "division") != 0) {
		snprintf(c->why, c->len, "field 'shares' is only for policy division");
		return JD_E_INVALID;
	}
	if (strcmp(policy, "rotating") == 0)
		return check_rotation(c, units, rotation);
	if (strcmp(policy, "division") == 0)
		return check_shares(c, units, shares);
	return JD_OK;
}

/* The leader history: old's, with year set to leader (when there is one). */
static json_t *leaders_of(const json_t *old, long long year, const char *leader)
{
	json_t *prev = json_object_get(old, "leaders");
	json_t *h = json_is_object(prev) ? json_copy(prev) : json_object();
	char y[24];

	if (h == NULL || *leader == '\0')
		return h;
	snprintf(y, sizeof(y), "%lld", year);
	if (json_object_set_new(h, y, json_string(leader)) != 0) {
		json_decref(h);
		return NULL;
	}
	return h;
}

static int check_fields(struct check *c, const char *code, const json_t *in, const char *kind)
{
	if (*jd_snap_str(in, "name") == '\0') {
		snprintf(c->why, c->len, "field 'name' must not be empty");
		return JD_E_INVALID;
	}
	if (!jd_group_kind_valid(kind)) {
		snprintf(c->why, c->len,
			 "field 'kind': '%.32s' is not a kind (task_force, case_centre, area, "
			 "joint_group, matter, sub_group)",
			 kind);
		return JD_E_INVALID;
	}
	return check_sub_group(c, code, kind, in);
}

/* The group as stored: the snapshot's shape, every member present. */
static json_t *stored_group(const json_t *in, const char *kind, const char *leader, json_t *units,
			    json_t *members, long long year, const json_t *old)
{
	const char *policy = jd_snap_str(in, "policy"), *status = jd_snap_str(in, "status");
	json_t *shares = json_object_get(in, "shares");
	int division = strcmp(policy, "division") == 0;

	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:s, s:s, s:s, s:o, s:I, s:o}", "name",
	    jd_snap_str(in, "name"), "kind", kind, "status", *status ? status : "active", "leader",
	    leader, "units", units, "members", members, "parent", jd_snap_str(in, "parent"),
	    "function", jd_snap_str(in, "function"), "policy", policy, "rotation",
	    strcmp(policy, "rotating") == 0 ? jd_snap_str(in, "rotation") : "", "shares",
	    division && json_is_object(shares) ? json_copy(shares) : json_object(), "year",
	    (json_int_t)year, "leaders", leaders_of(old, year, leader));
}

int jd_group_check(const json_t *snap, const char *code, const json_t *in, const json_t *old,
		   long long this_year, json_t **out, char *why, size_t len)
{
	json_t *names = jd_group_names_index(json_object_get(snap, "people"));
	int rc = JD_E_NOMEM;

	*out = NULL;
	if (names != NULL)
		rc = jd_group_check_indexed(snap, names, code, in, old, this_year, out, why, len);
	json_decref(names);
	return rc;
}

int jd_group_check_indexed(const json_t *snap, const json_t *names, const char *code,
			   const json_t *in, const json_t *old, long long this_year, json_t **out,
			   char *why, size_t len)
{
	struct check c = {.people = json_object_get(snap, "people"),
			  .names = names,
			  .units = json_object_get(snap, "units"),
			  .groups = json_object_get(snap, "groups"),
			  .tenant = jd_snap_str(snap, "tenant"),
			  .old = old,
			  .why = why,
			  .len = len};
	const char *kind = jd_snap_str(in, "kind"), *leader = "";
	json_t *units = NULL, *members = NULL;
	long long year;
	int rc;

	*out = NULL;
	rc = check_fields(&c, code, in, kind);
	if (rc == JD_OK)
		rc = check_units(&c, kind, jd_snap_str(in, "units"), &units);
	if (rc == JD_OK)
		rc = check_leader(&c, kind, jd_snap_str(in, "leader"), &leader);
	if (rc == JD_OK)
		rc = check_members(&c, jd_snap_str(in, "members"), &members);
	if (rc == JD_OK)
		rc = check_policy(&c, kind, json_string_value(units), in);
	if (rc != JD_OK)
		goto cleanup;
	year = jd_snap_int(in, "year");
	if (year == 0) /* not given: a kept leader keeps their year, a new one leads this year */
		year = old != NULL && strcmp(leader, jd_snap_str(old, "leader")) == 0
			   ? jd_snap_int(old, "year")
			   : this_year;
	if (year < JD_GROUP_YEAR_MIN || year > JD_GROUP_YEAR_MAX) {
		snprintf(why, len, "field 'year': %lld is not a year from %d to %d", year,
			 JD_GROUP_YEAR_MIN, JD_GROUP_YEAR_MAX);
		rc = JD_E_INVALID;
		goto cleanup;
	}
	*out = stored_group(in, kind, leader, units, members, year, old);
	rc = *out != NULL ? JD_OK : JD_E_NOMEM;
cleanup:
	json_decref(units);
	json_decref(members);
	return rc;
}

/* ---- the scope membership gives ---------------------------------------------------------- */

/* Appends "<county>/<item>" to the csv in buf unless there; 1 when it does not fit. */
static size_t append(char *buf, size_t len, const char *county, const char *item, size_t n)
{
	char entry[8 + JD_GROUP_CODE_MAX + 1];
	int m = snprintf(entry, sizeof(entry), "%s/%.*s", county, (int)n, item);
	size_t used = strlen(buf);

	if (m < 0 || (size_t)m >= sizeof(entry))
		return 1;
	if (jd_csv_has(buf, entry, (size_t)m))
		return 0;
	if (used + (used ? 1 : 0) + (size_t)m >= len)
		return 1;
	snprintf(buf + used, len - used, "%s%s", used ? "," : "", entry);
	return 0;
}

static size_t add_group(const char *county, const char *code, const json_t *g, char *units,
			size_t units_len, char *groups, size_t groups_len)
{
	const char *p = jd_snap_str(g, "units");
	size_t dropped = append(groups, groups_len, county, code, strlen(code));

	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > 0)
			dropped += append(units, units_len, county, p, n);
		if (end == NULL)
			break;
		p = end + 1;
	}
	return dropped;
}

static int involves(const json_t *g, const char *person)
{
	return strcmp(jd_snap_str(g, "leader"), person) == 0 ||
	       csv_has(jd_snap_str(g, "members"), person);
}

/* HGETALL [code, JSON, ...] -> {code: group}; entries that do not parse are left out. */
static json_t *groups_of(const json_t *summaries)
{
	json_t *all = json_object();

	for (size_t i = 0; all != NULL && i + 1 < json_array_size(summaries); i += 2) {
		const char *k = json_string_value(json_array_get(summaries, i));
		const char *v = json_string_value(json_array_get(summaries, i + 1));
		json_t *g = v ? json_loads(v, 0, NULL) : NULL;

		if (k == NULL || !json_is_object(g)) {
			json_decref(g);
			continue;
		}
		if (json_object_set_new(all, k, g) != 0) { /* takes g even when it fails */
			json_decref(all);
			return NULL;
		}
	}
	return all;
}

size_t jd_group_scope(const json_t *summaries, const char *county, const char *person, char *units,
		      size_t units_len, char *groups, size_t groups_len)
{
	json_t *all = groups_of(summaries), *g;
	const char *code;
	size_t dropped = 0;

	if (all == NULL)
		return 1;
	json_object_foreach(all, code, g)
	{
		const char *kind = jd_snap_str(g, "kind");
		const char *parent_code = code;
		const json_t *target = g;

		if (!jd_org_active(g) || !involves(g, person))
			continue;
		if (strcmp(kind, "sub_group") == 0) { /* counts as a member of its parent */
			parent_code = jd_snap_str(g, "parent");
			target = json_object_get(all, parent_code);
			if (target == NULL || !jd_org_active(target))
				continue;
			kind = jd_snap_str(target, "kind");
		}
		if (one_of(kind, scope_kinds, N_OF(scope_kinds)))
			dropped += add_group(county, parent_code, target, units, units_len, groups,
					     groups_len);
	}
	json_decref(all);
	return dropped;
}
