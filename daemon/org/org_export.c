/* A county's organization as CSV files (what is exported and why: org_export.h). */
#include "org/org_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "org/org_codes.h"
#include "lib/org_csv.h"
#include "org/org_group_model.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "runtime/worker.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"

static const char *const post_order[] = {"leader", "head", "deputy", "cadre"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* One file being written. */
struct out {
	FILE *f;
	char *buf;
	size_t len;
	int failed;
};

static int out_open(struct out *o, int kind)
{
	const struct jd_csv_kind_info *k = &jd_csv_kinds[kind];

	memset(o, 0, sizeof(*o));
	o->f = open_memstream(&o->buf, &o->len);
	if (o->f == NULL)
		return -1;
	for (size_t i = 0; i < k->n_cols; i++)
		o->failed |= jd_csv_put(o->f, k->cols[i], i + 1 == k->n_cols) != 0;
	return 0;
}

static void out_row(struct out *o, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		o->failed |= jd_csv_put(o->f, cells[i], i + 1 == n) != 0;
}

/* Closes o into result[name]; 0 or -1. */
static int out_close(struct out *o, json_t *result, const char *name)
{
	int rc = fclose(o->f) == 0 && !o->failed ? 0 : -1;

	if (rc == 0 && json_object_set_new(result, name, json_stringn(o->buf, o->len)) != 0)
		rc = -1;
	free(o->buf);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj's active members, sorted; *n of them.  NULL when out of memory (or none). */
static const char **active_keys(const json_t *obj, size_t *n)
{
	const char **keys = malloc((json_object_size(obj) + 1) * sizeof(*keys));
	const char *key;
	json_t *v;

	*n = 0;
	if (keys == NULL)
		return NULL;
	json_object_foreach((json_t *)obj, key, v)
	{
		if (jd_org_active(v))
			keys[(*n)++] = key;
	}
	qsort(keys, *n, sizeof(*keys), cmp_str);
	return keys;
}

/*
 * "a,b,c" as "a;b;c" (an import's list separator), keeping the entries
 * that are active members of among (NULL: all).  malloc'd, NULL when out
 * of memory.
 */
static char *semi_list(const char *csv, const json_t *among)
{
	char *out = malloc(strlen(csv) + 1), *o = out;

	if (out == NULL)
		return NULL;
	*out = '\0';
	for (const char *p = csv; *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char item[64]; /* codes and ids are shorter */
		const json_t *v;

		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		v = among != NULL && n < sizeof(item) ? json_object_get(among, item) : NULL;
		if (n > 0 && (among == NULL || (v != NULL && jd_org_active(v)))) {
			if (o != out)
				*o++ = ';';
			memcpy(o, p, n);
			o += n;
			*o = '\0';
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	return out;
}

/* ---- units ---------------------------------------------------------------------------------- */

static int export_units(const json_t *snap, json_t *result)
{
	const json_t *units = json_object_get(snap, "units");
	size_t n;
	const char **codes = active_keys(units, &n);
	struct out o;
	int rc = -1;

	if (codes == NULL || out_open(&o, JD_CSV_UNITS) != 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		const json_t *u = json_object_get(units, codes[i]);
		char posts[24], leadership[24];
		char *supervised = semi_list(jd_snap_str(u, "supervised"), NULL);
		char *linked = semi_list(jd_snap_str(u, "linked"), units);
		const char *cells[] = {codes[i],
				       jd_snap_str(u, "name"),
				       jd_snap_str(u, "kind"),
				       supervised,
				       linked,
				       posts,
				       leadership};

		snprintf(posts, sizeof(posts), "%lld", jd_snap_int(u, "posts"));
		snprintf(leadership, sizeof(leadership), "%lld",
			 jd_snap_int(u, "leadership_posts"));
		if (supervised == NULL || linked == NULL)
			o.failed = 1;
		else
			out_row(&o, cells, N_OF(cells));
		free(supervised);
		free(linked);
	}
	rc = out_close(&o, result, "units");
cleanup:
	free(codes);
	return rc;
}

/* Whether the unit code is exported: a unit, active. */
static int exported(const json_t *units, const char *code)
{
	const json_t *u = json_object_get(units, code);

	return u != NULL && jd_org_active(u);
}

/* ---- people ------------------------------------------------------------------------------- */

static size_t post_rank(const char *post)
{
	for (size_t i = 0; i < N_OF(post_order); i++)
		if (strcmp(post, post_order[i]) == 0)
			return i;
	return N_OF(post_order);
}

/* qsort has no argument: the people being sorted (exports run on worker threads) */
static _Thread_local const json_t *sort_people;

static int cmp_person(const void *a, const void *b)
{
	const char *ia = *(const char *const *)a, *ib = *(const char *const *)b;
	const json_t *pa = json_object_get(sort_people, ia), *pb = json_object_get(sort_people, ib);
	size_t ra = post_rank(jd_snap_str(pa, "post")), rb = post_rank(jd_snap_str(pb, "post"));
	int c = strcmp(jd_snap_str(pa, "unit"), jd_snap_str(pb, "unit"));

	if (c == 0)
		c = ra < rb ? -1 : ra > rb;
	if (c == 0)
		c = strcmp(jd_snap_str(pa, "name"), jd_snap_str(pb, "name"));
	return c != 0 ? c : strcmp(ia, ib);
}

static int export_people(const json_t *snap, json_t *result)
{
	const json_t *people = json_object_get(snap, "people");
	const json_t *units = json_object_get(snap, "units");
	size_t n;
	const char **ids = active_keys(people, &n);
	struct out o;
	int rc = -1;

	if (ids == NULL || out_open(&o, JD_CSV_PEOPLE) != 0)
		goto cleanup;
	sort_people = people;
	qsort(ids, n, sizeof(*ids), cmp_person);
	sort_people = NULL;
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_object_get(people, ids[i]);
		const char *cells[] = {jd_snap_str(p, "name"),
				       jd_snap_str(p, "post"),
				       jd_snap_str(p, "unit"),
				       jd_snap_str(p, "start"),
				       jd_snap_bool(p, "new_cadre") ? "true" : "false",
				       ""}; /* never the ties */

		if (exported(units, jd_snap_str(p, "unit")))
			out_row(&o, cells, N_OF(cells));
	}
	rc = out_close(&o, result, "people");
cleanup:
	free(ids);
	return rc;
}

/* ---- post transfers ---------------------------------------------------------------------------
 */

static int export_posts(const json_t *snap, json_t *result)
{
	const json_t *units = json_object_get(snap, "units");
	const json_t *list = json_object_get(snap, "transfers");
	struct out o;
	size_t i;
	json_t *t;

	if (out_open(&o, JD_CSV_POSTS) != 0)
		return -1;
	json_array_foreach(list, i, t)
	{
		char posts[24], leadership[24];
		const char *cells[] = {jd_snap_str(t, "date"),
				       jd_snap_str(t, "from"),
				       jd_snap_str(t, "to"),
				       posts,
				       leadership,
				       jd_snap_str(t, "reason")};

		snprintf(posts, sizeof(posts), "%lld", jd_snap_int(t, "count"));
		snprintf(leadership, sizeof(leadership), "%lld",
			 jd_snap_int(t, "leadership_count"));
		if (exported(units, cells[1]) && exported(units, cells[2]))
			out_row(&o, cells, N_OF(cells));
	}
	return out_close(&o, result, "posts");
}

/* ---- groups ------------------------------------------------------------------------------- */

/*
 * How an import finds person id: by name when no other active person has
 * it, else by id.  names: the people by name (jd_group_names_index), so a
 * county's hundreds of members are not each checked against every person.
 */
static const char *person_label(const json_t *people, const json_t *names, const char *id)
{
	const json_t *p = json_object_get(people, id);
	const char *name = jd_snap_str(p, "name");
	const json_t *same = json_object_get(names, name);

	if (p == NULL || !jd_org_active(p) || *name == '\0')
		return id;
	for (size_t i = 0; i < json_array_size(same); i++) {
		const char *key = json_string_value(json_array_get(same, i));

		if (key != NULL && strcmp(key, id) != 0 &&
		    jd_org_active(json_object_get(people, key)))
			return id;
	}
	return name;
}

/* members "id,id" as "label;label", the active ones; malloc'd or NULL. */
static char *member_list(const json_t *people, const json_t *names, const char *csv)
{
	char *ids = semi_list(csv, people), *out = NULL;
	size_t len = 0;
	FILE *f;

	if (ids == NULL)
		return NULL;
	f = open_memstream(&out, &len);
	for (char *p = ids, *end; f != NULL && *ids != '\0'; p = end + 1) {
		end = strchr(p, ';');
		if (end != NULL)
			*end = '\0';
		fprintf(f, "%s%s", p == ids ? "" : ";", person_label(people, names, p));
		if (end == NULL)
			break;
	}
	if (f == NULL || fclose(f) != 0) {
		free(out);
		out = NULL;
	}
	free(ids);
	return out;
}

/* shares {"unit": "what"} as "unit:what;unit:what"; malloc'd or NULL. */
static char *shares_text(const json_t *shares)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *unit;
	json_t *what;
	int first = 1;

	if (f == NULL)
		return NULL;
	json_object_foreach((json_t *)shares, unit, what)
	{
		const char *text = json_string_value(what);

		fprintf(f, "%s%s:%s", first ? "" : ";", unit, text ? text : "");
		first = 0;
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void group_row(struct out *o, const json_t *snap, const json_t *names, const char *code,
		      const json_t *g)
{
	const json_t *people = json_object_get(snap, "people");
	const json_t *units = json_object_get(snap, "units");
	const char *leader = jd_snap_str(g, "leader");
	char *unit_list = semi_list(jd_snap_str(g, "units"), units);
	char *members = member_list(people, names, jd_snap_str(g, "members"));
	char *rotation = semi_list(jd_snap_str(g, "rotation"), units);
	char *shares = shares_text(json_object_get(g, "shares"));
	char year[24];
	const char *cells[] = {code,
			       jd_snap_str(g, "name"),
			       jd_snap_str(g, "kind"),
			       *leader ? person_label(people, names, leader) : "",
			       unit_list,
			       members,
			       jd_snap_str(g, "parent"),
			       jd_snap_str(g, "function"),
			       jd_snap_str(g, "policy"),
			       rotation,
			       shares,
			       year};

	snprintf(year, sizeof(year), "%lld", jd_snap_int(g, "year"));
	if (jd_snap_int(g, "year") == 0)
		year[0] = '\0';
	if (unit_list == NULL || members == NULL || rotation == NULL || shares == NULL)
		o->failed = 1;
	else
		out_row(o, cells, N_OF(cells));
	free(unit_list);
	free(members);
	free(rotation);
	free(shares);
}

static int export_groups(const json_t *snap, json_t *result)
{
	const json_t *groups = json_object_get(snap, "groups");
	json_t *names = jd_group_names_index(json_object_get(snap, "people"));
	size_t n;
	const char **codes = active_keys(groups, &n);
	struct out o;
	int rc = -1;

	if (names == NULL || codes == NULL || out_open(&o, JD_CSV_GROUPS) != 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		group_row(&o, snap, names, codes[i], json_object_get(groups, codes[i]));
	rc = out_close(&o, result, "groups");
cleanup:
	json_decref(names);
	free(codes);
	return rc;
}

json_t *jd_org_export(const json_t *snap)
{
	json_t *result = json_object();

	if (result == NULL || export_units(snap, result) != 0 || export_people(snap, result) != 0 ||
	    export_posts(snap, result) != 0 || export_groups(snap, result) != 0) {
		json_decref(result);
		return NULL;
	}
	return result;
}

/* ---- the route ---------------------------------------------------------------------------- */

/*
 * The files are made, and serialized, on a worker thread (runtime/worker.h):
 * for a county of thousands of people that took the loop for a large part
 * of a second in one piece.  The job keeps its own reference to the
 * snapshot, which nothing else changes, and answers the request unless it
 * went meanwhile.
 */
struct export_job {
	jd_req *req; /* NULL once the request went */
	json_t *snap;
	char tenant[8];
	char *text; /* the answer, serialized; NULL: out of memory */
};

struct export_wait {
	struct export_job *job;
};

static void export_wait_end(void *ptr)
{
	struct export_wait *w = ptr;

	if (w->job != NULL)
		w->job->req = NULL;
}

static void export_work(void *arg)
{
	struct export_job *j = arg;
	json_t *files = jd_org_export(j->snap);

	if (files != NULL && json_object_set_new(files, "tenant", json_string(j->tenant)) == 0)
		j->text = json_dumps(files, JSON_COMPACT);
	json_decref(files);
}

static void export_done(void *arg)
{
	struct export_job *j = arg;

	if (j->req != NULL && j->text != NULL)
		jd_reply_text(j->req, 200, "application/json", j->text, strlen(j->text));
	else if (j->req != NULL)
		jd_reply_rc(j->req, JD_E_NOMEM, "export");
	json_decref(j->snap);
	free(j->text);
	free(j);
}

static void on_snapshot(int rc, json_t *snap, void *arg)
{
	jd_req *req = arg;
	const char *tenant = json_string_value(json_object_get(req->input, "tenant"));
	struct export_wait *w;
	struct export_job *j;

	if (jd_org_snapshot_check(req, rc, snap, tenant, "units and people") != JD_OK)
		return;
	w = jd_req_ctx(req, sizeof(*w), export_wait_end);
	j = calloc(1, sizeof(*j));
	if (w == NULL || j == NULL) {
		free(j);
		jd_reply_rc(req, JD_E_NOMEM, "export");
		return;
	}
	j->req = req;
	j->snap = json_incref(snap);
	snprintf(j->tenant, sizeof(j->tenant), "%s", tenant);
	rc = jd_worker_run(req->srv->base, export_work, export_done, j);
	if (rc != JD_OK) {
		json_decref(j->snap);
		free(j);
		jd_reply_rc(req, rc, "export");
		return;
	}
	w->job = j;
}

static void export_org(jd_req *req, void *arg)
{
	const char *tenant = json_string_value(json_object_get(req->input, "tenant"));
	int rc;

	(void)arg;
	if (!jd_org_code_valid(tenant)) {
		jd_reply_error(req, 404, "not_found", "no tenant '%.16s'", tenant ? tenant : "");
		return;
	}
	rc = jd_org_snapshot_read(req->srv, tenant, 0, on_snapshot, req);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "export");
}

static const struct jd_field export_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "the county's code", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

/* No CLI command from the catalog: jianductl's own "org export" writes the files. */
static const struct jd_route export_routes[] = {
    {"GET", "/v1/org/export", "org.read",
     "A county's active units, people (never their ties), post transfers and groups as CSV", NULL,
     export_fields, 0, export_org, NULL},
};

int jd_org_export_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, export_routes,
				   sizeof(export_routes) / sizeof(export_routes[0]), "core", err,
				   errlen);
}
