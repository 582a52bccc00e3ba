/*
 * GET /v1/report (report.h): the tenant tree says what the tenant rolls
 * up and whether the caller may read it (the org report's rule); then the
 * org report is gathered (org_report.h) while each plugin section is
 * asked once for the range, and once per month or county with by=, at
 * most IN_FLIGHT questions at a time; the answer is built once all are in.
 */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jiandu/plugin.h>

#include "org/org_division.h"
#include "org/org_report.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "org/org_tree.h"
#include "report/report_figures.h"
#include "report/report_hooks.h"
#include "report/report_org.h"
#include "report/report_units.h"
#include "runtime/config.h"
#include "security/auth.h"
#include "services/svc_dates.h"
#include "services/svc_stats.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"

#define IN_FLIGHT  8
#define MONTHS_MAX 36
#define RANGE_MAX  3660 /* days, as the statistics query */

#define UNITS_MAX 500 /* dispatched agencies of a county ranked by=unit */

enum by { BY_NONE, BY_MONTH, BY_TENANT, BY_UNIT };

/* A range the sections are asked for: [0] the whole, then each month, county or unit. */
struct part {
	char key[65]; /* "YYYY-MM", the county's code or the unit's */
	char tenant[8];
	char unit[65]; /* by=unit: the unit asked; "" otherwise */
	char from[11], to[11];
};

struct section {
	struct jd_report_hook h;	/* a copy: a plugin stopping mid-request keeps it valid */
	struct jd_report_value *values; /* nparts x n_figures */
	int answered;
};

struct report {
	jd_req *req;
	char tenant[8], from[11], to[11], pfrom[11], pto[11];
	int compare;
	enum by by;
	json_t *tree, *scope, *org;
	json_t *months;	    /* the months the organization is asked as of (org_history.h) */
	json_t *unit_names; /* by=unit: code -> name */
	struct part *parts;
	size_t nparts;
	struct section *sections;
	size_t nsections, next, njobs, in_flight;
	int org_pending, pumping, rc;
	char message[300];
};

struct job {
	struct report *r;
	size_t section, part;
};

static void ctx_dtor(void *ptr)
{
	struct report *r = ptr;

	r->req->report_scope = NULL;
	for (size_t i = 0; r->sections != NULL && i < r->nsections; i++)
		free(r->sections[i].values);
	free(r->sections);
	free(r->parts);
	json_decref(r->tree);
	json_decref(r->scope);
	json_decref(r->org);
	json_decref(r->months);
	json_decref(r->unit_names);
}

static void fail(struct report *r, int rc, const char *message)
{
	if (r->rc != JD_OK)
		return;
	r->rc = rc;
	snprintf(r->message, sizeof(r->message), "%s", message ? message : "");
}

/* ---- the answer ----------------------------------------------------------------------------- */

static struct jd_report_view view_for(const struct report *r, int suppressible)
{
	struct jd_report_view v = {r->compare, 0};

	if (suppressible && !jd_auth_may(&r->req->principal, "report.small_counts"))
		v.suppress_below = r->req->srv->cfg->report_suppress_below;
	return v;
}

/* The county's name, from the org report's list. */
static const char *county_name(const struct report *r, const char *code)
{
	const json_t *list = json_object_get(json_object_get(r->org, "counties"), "list");

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *row = json_array_get(list, i);

		if (strcmp(json_string_value(json_object_get(row, "tenant")), code) == 0)
			return json_string_value(json_object_get(row, "name"));
	}
	return NULL;
}

static json_t *section_json(const struct jd_report_section *d)
{
	return json_pack("{s:s, s:s, s:s, s:[]}", "name", d->name, "title", d->title, "title_zh",
			 d->title_zh, "figures");
}

static int plugin_figure(struct report *r, const struct section *s, size_t i, json_t *figures)
{
	const struct jd_report_figure *f = &s->h.section->figures[i];
	struct jd_report_view view = view_for(r, 1);
	json_t *fig = jd_report_figure_json(f, &s->values[i], &view), *by;

	if (fig == NULL || json_array_append_new(figures, fig) != 0)
		return -1;
	if (r->by == BY_NONE)
		return 0;
	if ((by = json_array()) == NULL || json_object_set_new(fig, "by", by) != 0)
		return -1;
	for (size_t p = 1; p < r->nparts; p++) {
		const char *name =
		    r->by == BY_TENANT ? county_name(r, r->parts[p].key)
		    : r->by == BY_UNIT
			? json_string_value(json_object_get(r->unit_names, r->parts[p].key))
			: NULL;

		if (json_array_append_new(by, jd_report_by_json(r->parts[p].key, name, f,
								&s->values[p * s->h.n_figures + i],
								&view)) != 0)
			return -1;
	}
	return 0;
}

static json_t *plugin_section(struct report *r, const struct section *s)
{
	json_t *o = section_json(s->h.section);

	for (size_t i = 0; o != NULL && i < s->h.n_figures; i++)
		if (plugin_figure(r, s, i, json_object_get(o, "figures")) != 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* ---- the organization: today's, and as it stood at the end of a month (org_history.h) ------ */

static void month_of(const char *day, char out[8])
{
	memcpy(out, day, 7);
	out[7] = '\0';
}

static void year_before(const char *day, char out[11])
{
	jd_day d;

	if (jd_day_parse(day, &d) != JD_OK)
		d = 0;
	jd_day_format(jd_day_year_before(d), out);
}

/* The organization's sums at the end of the month of day; NULL: no history reaching back. */
static const json_t *dated(const struct report *r, const char *day)
{
	char m[8];

	month_of(day, m);
	return json_object_get(json_object_get(r->org, "dated"), m);
}

/* The values as of the end of the month of to, and (with compare) of pto. */
static void org_values_at(const struct report *r, const char *to, const char *pto,
			  struct jd_report_value *v)
{
	struct jd_report_value prev[32];
	size_t n = jd_report_org_count();

	jd_report_org_values(dated(r, to), v);
	if (!r->compare || n > 32)
		return;
	jd_report_org_values(dated(r, pto), prev);
	for (size_t i = 0; i < n; i++) {
		v[i].previous = prev[i].value;
		v[i].has_previous = prev[i].has_value;
	}
}

/* Each figure gets "by": []. */
static int org_by_arrays(json_t *figures, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (json_object_set_new(json_array_get(figures, i), "by", json_array()) != 0)
			return -1;
	return 0;
}

/* by=month: the organization at the end of each month, and a year earlier. */
static int org_by_month(struct report *r, json_t *figures)
{
	size_t n = jd_report_org_count();
	struct jd_report_value v[32];
	struct jd_report_view view = view_for(r, 0);

	if (n > 32 || org_by_arrays(figures, n) != 0)
		return -1;
	for (size_t p = 1; p < r->nparts; p++) {
		char pto[11];

		year_before(r->parts[p].to, pto);
		org_values_at(r, r->parts[p].to, pto, v);
		for (size_t i = 0; i < n; i++)
			if (json_array_append_new(
				json_object_get(json_array_get(figures, i), "by"),
				jd_report_by_json(r->parts[p].key, NULL,
						  &jd_report_org_section.figures[i], &v[i],
						  &view)) != 0)
				return -1;
	}
	return 0;
}

/* by=tenant: each county's organization at the end of the month of to, and a year earlier. */
static int org_by(struct report *r, json_t *figures)
{
	const json_t *list = json_object_get(json_object_get(r->org, "counties"), "list");
	const json_t *all = json_object_get(r->org, "county_dated");
	size_t n = jd_report_org_count();
	struct jd_report_value v[32], prev[32];
	struct jd_report_view view = view_for(r, 0);
	char m[8], pm[8];

	if (r->by == BY_MONTH)
		return org_by_month(r, figures);
	if (r->by != BY_TENANT || n > 32)
		return 0;
	if (org_by_arrays(figures, n) != 0)
		return -1;
	month_of(r->to, m);
	month_of(r->pto, pm);
	for (size_t c = 0; c < json_array_size(list); c++) {
		const json_t *row = json_array_get(list, c);
		const char *code = json_string_value(json_object_get(row, "tenant"));
		const json_t *mine = json_object_get(all, code);

		jd_report_org_values(json_object_get(mine, m), v);
		jd_report_org_values(json_object_get(mine, pm), prev);
		for (size_t i = 0; i < n; i++) {
			v[i].previous = prev[i].value;
			v[i].has_previous = r->compare && prev[i].has_value;
			if (json_array_append_new(
				json_object_get(json_array_get(figures, i), "by"),
				jd_report_by_json(
				    code, json_string_value(json_object_get(row, "name")),
				    &jd_report_org_section.figures[i], &v[i], &view)) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * "history_from": the first month the organization's history covers for
 * every county; and a "note" when the report asks for a month before it
 * (those values are null: not kept, which is not zero).
 */
static int org_history_note(struct report *r, json_t *o)
{
	const char *from = json_string_value(json_object_get(r->org, "history_from"));
	char note[300];
	size_t i;
	json_t *m;
	int short_of = 0;

	if (json_object_set_new(o, "history_from", from ? json_string(from) : json_null()) != 0)
		return -1;
	json_array_foreach(r->months, i, m) short_of |=
	    from == NULL || strcmp(json_string_value(m), from) < 0;
	if (!short_of)
		return 0;
	snprintf(note, sizeof(note),
		 "the organization's history begins %s (its figures at the end of each month "
		 "are kept from then on): a value before it is null, not zero",
		 from ? from : "today");
	return json_object_set_new(o, "note", json_string(note));
}

static json_t *org_section(struct report *r)
{
	json_t *o = section_json(&jd_report_org_section);
	json_t *figures = json_object_get(o, "figures");
	struct jd_report_value v[32];
	struct jd_report_view view = view_for(r, 0);
	size_t n = jd_report_org_count();

	if (o == NULL || n > 32)
		goto fail;
	org_values_at(r, r->to, r->pto, v);
	for (size_t i = 0; i < n; i++) {
		json_t *fig =
		    jd_report_figure_json(&jd_report_org_section.figures[i], &v[i], &view);

		if (fig == NULL || json_array_append_new(figures, fig) != 0 ||
		    jd_report_org_decorate(fig, r->org) != 0)
			goto fail;
	}
	if (org_by(r, figures) != 0 || org_history_note(r, o) != 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The sections [report] sections expects that no plugin declared. */
static json_t *missing(struct report *r)
{
	const char *csv = r->req->srv->cfg->report_sections;
	json_t *out = json_array();
	char name[64];

	for (const char *p = csv ? csv : ""; out != NULL && *p;) {
		size_t n = strcspn(p, ", ");

		snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 63), p);
		p += n + strspn(p + n, ", ");
		if (n == 0 || strcmp(name, jd_report_org_section.name) == 0 ||
		    jd_report_hook_find(&r->req->srv->report_hooks, name) != NULL)
			continue;
		if (json_array_append_new(out, json_pack("{s:s, s:s}", "section", name, "reason",
							 "plugin not loaded")) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static json_t *header(struct report *r)
{
	char as_of[32];
	time_t now = time(NULL);
	struct tm tm;
	struct jd_report_view v = view_for(r, 1);
	json_t *o;

	gmtime_r(&now, &tm);
	strftime(as_of, sizeof(as_of), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s, s:s, s:I}", "tenant", r->tenant, "name",
		      json_string_value(json_object_get(r->tree, "name")), "level",
		      json_string_value(json_object_get(r->tree, "level")), "from", r->from, "to",
		      r->to, "compare", r->compare ? "previous-year" : "none", "as_of", as_of,
		      "suppress_below", (json_int_t)v.suppress_below);
	if (o != NULL && r->compare &&
	    json_object_set_new(o, "previous",
				json_pack("{s:s, s:s}", "from", r->pfrom, "to", r->pto)) != 0) {
		json_decref(o);
		return NULL;
	}
	if (o != NULL && r->by != BY_NONE)
		json_object_set_new(o, "by",
				    json_string(r->by == BY_MONTH    ? "month"
						: r->by == BY_TENANT ? "tenant"
								     : "unit"));
	return o;
}

static void reply(struct report *r)
{
	json_t *o = NULL, *sections = json_array();

	if (r->rc != JD_OK) {
		if (r->rc == JD_E_INVALID || r->rc == JD_E_FORBIDDEN)
			jd_reply_error(r->req, r->rc == JD_E_INVALID ? 400 : 403,
				       r->rc == JD_E_INVALID ? "invalid" : "forbidden", "%s",
				       r->message);
		else
			jd_reply_rc(r->req, r->rc, "report");
		json_decref(sections);
		return;
	}
	if (sections == NULL || json_array_append_new(sections, org_section(r)) != 0)
		goto oom;
	for (size_t i = 0; i < r->nsections; i++)
		if (json_array_append_new(sections, plugin_section(r, &r->sections[i])) != 0)
			goto oom;
	if ((o = header(r)) == NULL || json_object_set(o, "sections", sections) != 0 ||
	    json_object_set_new(o, "missing", missing(r)) != 0)
		goto oom;
	json_decref(sections);
	jd_reply_json(r->req, 200, o);
	return;
oom:
	json_decref(sections);
	json_decref(o);
	jd_reply_rc(r->req, JD_E_NOMEM, "report");
}

/* ---- asking the sections, a bounded number at a time -------------------------------------- */

static void pump(struct report *r);

static void on_values(int rc, const struct jd_report_value *values, const char *message, void *arg)
{
	struct job *j = arg;
	struct report *r = j->r;
	struct section *s = &r->sections[j->section];

	r->in_flight--;
	if (rc != JD_OK || values == NULL)
		fail(r, rc != JD_OK ? rc : JD_ERR, message);
	else
		memcpy(&s->values[j->part * s->h.n_figures], values,
		       s->h.n_figures * sizeof(*values));
	free(j);
	pump(r);
}

/* A section declared by its counters: the statistics, turned into values by the plugin. */
static void on_stats(int rc, const struct jd_stats_result *res, const char *message, void *arg)
{
	struct job *j = arg;
	const struct section *s = &j->r->sections[j->section];
	struct jd_report_value *v = NULL;

	if (rc == JD_OK && (v = calloc(s->h.n_figures + 1, sizeof(*v))) == NULL)
		rc = JD_E_NOMEM;
	if (rc == JD_OK)
		s->h.section->values(res, v);
	on_values(rc, v, message, j);
	free(v);
}

static int ask(struct report *r, struct job *j, const struct jd_report_query *q)
{
	const struct section *s = &r->sections[j->section];
	char err[300];
	int rc;

	if (s->h.fn != NULL)
		return s->h.fn(q, on_values, j, s->h.arg);
	rc = jd_stats_query(r->req->srv,
			    &(struct jd_stats_query){
				.req = q->req,
				.tenant = q->tenant,
				.from = q->from,
				.to = q->to,
				.compare = q->compare,
				.unit = r->parts[j->part].unit[0] ? r->parts[j->part].unit : NULL,
				.counters = s->h.section->counters,
				.agencies_with = s->h.section->agencies_with},
			    on_stats, j, err, sizeof(err));
	if (rc != JD_OK)
		fail(r, rc, err);
	return rc;
}

static void start_job(struct report *r, size_t n)
{
	struct job *j = malloc(sizeof(*j));
	const struct part *p;
	struct jd_report_query q;
	int rc;

	if (j == NULL) {
		fail(r, JD_E_NOMEM, NULL);
		return;
	}
	*j = (struct job){r, n / r->nparts, n % r->nparts};
	p = &r->parts[j->part];
	/* a section answering by its own function is asked for the tenant only: no unit's values */
	if (p->unit[0] != '\0' && r->sections[j->section].h.fn != NULL) {
		free(j);
		return;
	}
	q = (struct jd_report_query){r->req, p->tenant, p->from, p->to,
				     r->compare ? "previous-year" : "none"};
	r->in_flight++;
	rc = ask(r, j, &q);
	if (rc != JD_OK) {
		r->in_flight--;
		free(j);
		fail(r, rc, "a report section could not be asked");
	}
}

/* Asks while there is room; replies (last: it frees r) once nothing is pending. */
static void pump(struct report *r)
{
	if (r->pumping)
		return;
	r->pumping = 1;
	while (r->rc == JD_OK && r->in_flight < IN_FLIGHT && r->next < r->njobs)
		start_job(r, r->next++);
	r->pumping = 0;
	if (r->in_flight == 0 && !r->org_pending && (r->rc != JD_OK || r->next == r->njobs))
		reply(r);
}

static void on_org(int rc, json_t *report, void *arg)
{
	struct report *r = arg;

	r->org_pending = 0;
	if (rc != JD_OK)
		fail(r, rc, NULL);
	else
		r->org = json_incref(report);
	pump(r);
}

/* ---- the parts and the sections ------------------------------------------------------------ */

static void set_part(struct part *p, const char *key, const char *tenant, jd_day from, jd_day to)
{
	p->unit[0] = '\0';
	snprintf(p->key, sizeof(p->key), "%s", key);
	snprintf(p->tenant, sizeof(p->tenant), "%s", tenant);
	jd_day_format(from, p->from);
	jd_day_format(to, p->to);
}

/* The months of [from, to], each clipped to the range. */
static int month_parts(struct report *r, jd_day from, jd_day to)
{
	for (jd_day d = from; d <= to;) {
		long n = jd_day_number(d);
		long next =
		    n / 10000 * 10000 + (n / 100 % 100 == 12 ? 10101 : n / 100 % 100 * 100 + 101);
		jd_day end = jd_day_from_number(next) - 1;
		char key_day[11];
		char key[8];

		if (r->nparts > MONTHS_MAX)
			return JD_E_INVALID;
		/* YYYYMMDD of a date 1949..9999: "YYYY-MM" */
		jd_day_format(d, key_day);
		memcpy(key, key_day, 7);
		key[7] = '\0';
		set_part(&r->parts[r->nparts++], key, r->tenant, d, end < to ? end : to);
		d = end + 1;
	}
	return JD_OK;
}

static int plan_parts(struct report *r, jd_day from, jd_day to)
{
	const json_t *counties = json_object_get(r->tree, "counties");
	size_t cap = 1 + (r->by == BY_MONTH ? MONTHS_MAX + 1 : 0) +
		     (r->by == BY_TENANT ? json_array_size(counties) : 0) +
		     (r->by == BY_UNIT ? UNITS_MAX : 0);

	if ((r->parts = calloc(cap, sizeof(*r->parts))) == NULL)
		return JD_E_NOMEM;
	set_part(&r->parts[r->nparts++], "", r->tenant, from, to);
	if (r->by == BY_MONTH)
		return month_parts(r, from, to);
	for (size_t i = 0; r->by == BY_TENANT && i < json_array_size(counties); i++) {
		const char *c = json_string_value(json_array_get(counties, i));

		set_part(&r->parts[r->nparts++], c, c, from, to);
	}
	return JD_OK;
}

static int plan_sections(struct report *r)
{
	const struct jd_report_hooks *h = &r->req->srv->report_hooks;

	r->sections = calloc(h->n ? h->n : 1, sizeof(*r->sections));
	if (r->sections == NULL)
		return JD_E_NOMEM;
	for (size_t i = 0; i < h->n; i++) {
		struct section *s = &r->sections[r->nsections++];

		s->h = h->list[i];
		s->values = calloc(r->nparts * s->h.n_figures + 1, sizeof(*s->values));
		if (s->values == NULL)
			return JD_E_NOMEM;
	}
	r->njobs = r->nsections * r->nparts;
	return JD_OK;
}

static int add_month(struct report *r, const char *day)
{
	char m[8];

	month_of(day, m);
	return json_array_append_new(r->months, json_string(m));
}

/* The months the organization is asked as of: the range's last, and each part's; a year earlier. */
static int plan_months(struct report *r)
{
	size_t first = r->by == BY_MONTH ? 0 : 1;

	if ((r->months = json_array()) == NULL || add_month(r, r->to) != 0 ||
	    (r->compare && add_month(r, r->pto) != 0))
		return JD_E_NOMEM;
	for (size_t p = 1; first == 0 && p < r->nparts; p++) {
		char pto[11];

		year_before(r->parts[p].to, pto);
		if (add_month(r, r->parts[p].to) != 0 || (r->compare && add_month(r, pto) != 0))
			return JD_E_NOMEM;
	}
	return JD_OK;
}

/* The tenants whose figures the caller may now read: the tenant and its counties. */
static int grant_scope(struct report *r)
{
	r->scope = json_deep_copy(json_object_get(r->tree, "counties"));
	if (r->scope == NULL || json_array_append_new(r->scope, json_string(r->tenant)) != 0)
		return JD_E_NOMEM;
	r->req->report_scope = r->scope;
	return JD_OK;
}

static void start(struct report *r)
{
	int rc;

	if ((rc = grant_scope(r)) != JD_OK || (rc = plan_sections(r)) != JD_OK ||
	    (rc = plan_months(r)) != JD_OK) {
		jd_reply_rc(r->req, rc, "report");
		return;
	}
	r->pumping = 1;
	r->org_pending = 1;
	rc = jd_org_report_gather_dated(r->req->srv, r->tree, r->months, r->by == BY_TENANT, on_org,
					r);
	if (rc != JD_OK) {
		r->org_pending = 0;
		fail(r, rc, "the report covers at most 5000 counties");
	}
	r->pumping = 0;
	pump(r);
}

/* ---- the request ---------------------------------------------------------------------------- */

/* by=unit: a part per active dispatched agency of the county (report_units.h). */
static void on_units(int rc, json_t *snap, void *arg)
{
	struct report *r = arg;
	json_t *units = rc == JD_OK ? jd_report_units(snap) : NULL;
	jd_day from, to;
	size_t i;
	json_t *u;

	if (rc == JD_OK && (units == NULL || (r->unit_names = json_object()) == NULL))
		rc = JD_E_NOMEM;
	if (rc != JD_OK) {
		json_decref(units);
		jd_reply_rc(r->req, rc, "report");
		return;
	}
	jd_day_parse(r->from, &from);
	jd_day_parse(r->to, &to);
	json_array_foreach(units, i, u)
	{
		const char *code = json_string_value(json_object_get(u, "code"));
		struct part *p;

		if (i >= UNITS_MAX)
			break;
		p = &r->parts[r->nparts++];
		set_part(p, code, r->tenant, from, to);
		snprintf(p->unit, sizeof(p->unit), "%s", code);
		json_object_set(r->unit_names, code, json_object_get(u, "name"));
	}
	json_decref(units);
	start(r);
}

static void on_may_read(int rc, int ok, void *arg)
{
	struct report *r = arg;

	if (rc != JD_OK)
		jd_reply_rc(r->req, rc, "report");
	else if (!ok)
		jd_reply_error(r->req, 403, "forbidden",
			       "you may read the report of your own tenants, the counties under "
			       "them, and the county under your city or province");
	else if (r->by == BY_UNIT) {
		if ((rc = jd_org_snapshot_read(r->req->srv, r->tenant, 0, on_units, r)) != JD_OK)
			jd_reply_rc(r->req, rc, "report");
	} else
		start(r);
}

static void on_tree(int rc, json_t *tree, void *arg)
{
	struct report *r = arg;
	jd_day from, to;

	if (rc == JD_E_NOTFOUND) {
		jd_reply_error(r->req, 404, "not_found", "field 'tenant': no tenant '%s'",
			       r->tenant);
		return;
	}
	if (rc != JD_OK) {
		jd_reply_rc(r->req, rc, "report");
		return;
	}
	r->tree = json_incref(tree);
	if (r->by == BY_UNIT &&
	    !jd_division_county_level(json_string_value(json_object_get(tree, "level")))) {
		jd_reply_error(
		    r->req, 400, "invalid",
		    "field 'by': by=unit ranks the dispatched agencies of a county; %s is "
		    "a %s (by=tenant ranks its counties)",
		    r->tenant, json_string_value(json_object_get(tree, "level")));
		return;
	}
	jd_day_parse(r->from, &from);
	jd_day_parse(r->to, &to);
	if ((rc = plan_parts(r, from, to)) != JD_OK) {
		if (rc == JD_E_INVALID)
			jd_reply_error(r->req, 400, "invalid",
				       "field 'by': by=month covers at most %d months", MONTHS_MAX);
		else
			jd_reply_rc(r->req, rc, "report");
		return;
	}
	if ((rc = jd_org_report_may_read(r->req, tree, on_may_read, r)) != JD_OK)
		jd_reply_rc(r->req, rc, "report");
}

static const char *in(const jd_req *req, const char *name)
{
	return json_string_value(json_object_get(req->input, name));
}

/* NULL, or what is wrong with the input (then r is not to be used). */
static const char *input(struct report *r, const jd_req *req)
{
	const char *tenant = in(req, "tenant"), *compare = in(req, "compare"), *by = in(req, "by");
	jd_day from, to;

	if (!jd_org_code_valid(tenant))
		return "field 'tenant' must be a 6-digit administrative division code";
	if (jd_day_parse(in(req, "from"), &from) != JD_OK)
		return "field 'from' must be a date YYYY-MM-DD";
	if (jd_day_parse(in(req, "to"), &to) != JD_OK)
		return "field 'to' must be a date YYYY-MM-DD";
	if (to < from || to - from >= RANGE_MAX)
		return "field 'to' must be on or after 'from', within 3660 days";
	if (compare != NULL && strcmp(compare, "previous-year") != 0 &&
	    strcmp(compare, "none") != 0)
		return "field 'compare' must be 'previous-year' (the default) or 'none'";
	if (by != NULL && strcmp(by, "month") != 0 && strcmp(by, "tenant") != 0 &&
	    strcmp(by, "unit") != 0)
		return "field 'by' must be 'month', 'tenant' or 'unit'";
	snprintf(r->tenant, sizeof(r->tenant), "%s", tenant);
	jd_day_format(from, r->from);
	jd_day_format(to, r->to);
	jd_day_format(jd_day_year_before(from), r->pfrom);
	jd_day_format(jd_day_year_before(to), r->pto);
	r->compare = compare == NULL || strcmp(compare, "previous-year") == 0;
	r->by = by == NULL		    ? BY_NONE
		: strcmp(by, "month") == 0  ? BY_MONTH
		: strcmp(by, "tenant") == 0 ? BY_TENANT
					    : BY_UNIT;
	return NULL;
}

static void report_get(jd_req *req, void *arg)
{
	struct report *r = jd_req_ctx(req, sizeof(*r), ctx_dtor);
	const char *bad;
	int rc;

	(void)arg;
	if (r == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "report");
		return;
	}
	r->req = req;
	if ((bad = input(r, req)) != NULL) {
		jd_reply_error(req, 400, "invalid", "%s", bad);
		return;
	}
	if ((rc = jd_org_tree_read(req->srv, r->tenant, on_tree, r)) != JD_OK)
		jd_reply_rc(req, rc, "report");
}

static const struct jd_field report_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 6, "a county's, city's or province's code", 0},
    {"from", JD_FIELD_STRING, 1, 10, "first day (YYYY-MM-DD)", 0},
    {"to", JD_FIELD_STRING, 1, 10, "last day (YYYY-MM-DD)", 0},
    {"compare", JD_FIELD_STRING, 0, 16,
     "previous-year (the default: the same range a year earlier) or none", 0},
    {"by", JD_FIELD_STRING, 0, 8,
     "month (each month's values), tenant (each county's) or unit (each dispatched agency's, "
     "of a county)",
     0},
    JD_FIELD_END,
};

static const struct jd_route report_routes[] = {
    {"GET", "/v1/report", "report.read",
     "The leaders' report: the organization and every plugin's figures of a county, city or "
     "province, year on year, each with its definition",
     "report", report_fields, 0, report_get, NULL},
};

int jd_report_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, report_routes,
				   sizeof(report_routes) / sizeof(report_routes[0]), "core", err,
				   errlen);
}
