/*
 * The ledger (台账): the items of a county, a unit, a group (its units' items
 * and those shared with it), or in one state, with
 * their source, state, deadlines (original and current), days overdue,
 * extensions and look-back result; paged by rank in an index ("items:all",
 * "items:u:<unit>", "items:state:<state>"), each page at most 50 records
 * read one by one, those the caller may not see left out.  The CLI prints
 * it as a table, --json or --csv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static const char *const columns[] = {
    "source_kind",  "source",	     "unit",	 "issuer",   "title",	   "responsible", "state",
    "issued",	    "deadline_orig", "deadline", "ext_days", "extensions", "returns",	  "closed",
    "lookback_due", "lookback",	     "sham",	 "lead",     NULL,
};

struct page {
	struct ctx *c;
	char *group_units; /* with a group filter: its units (comma-separated) */
	json_t *ids;
	size_t at;
	long long cursor, limit;
	json_t *rows;
};

/* The page belongs to the request (req_ctx): the host calls this after the reply. */
static void page_dtor(void *ptr)
{
	struct page *p = ptr;

	json_decref(p->ids);
	json_decref(p->rows);
	free(p->group_units);
}

static void next_record(struct page *p);

static json_t *row_of(json_t *fields, const char *id)
{
	json_t *o = json_object(), *r = json_pack("{s:s}", "id", id);
	jd_day dl;
	const char *state, *deadline;

	for (size_t i = 0; o && i + 1 < json_array_size(fields); i += 2)
		json_object_set(o, json_string_value(json_array_get(fields, i)),
				json_array_get(fields, i + 1));
	for (size_t i = 0; r && columns[i]; i++) {
		json_t *v = json_object_get(o, columns[i]);

		json_object_set_new(r, columns[i], json_string(v ? json_string_value(v) : ""));
	}
	state = json_string_value(json_object_get(o, "state"));
	deadline = json_string_value(json_object_get(o, "deadline"));
	if (r != NULL)
		json_object_set_new(r, "days_overdue",
				    json_integer(state && strcmp(state, "closed") != 0 &&
							 deadline &&
							 host->day_parse(deadline, &dl) == JD_OK &&
							 dl < host->day_today()
						     ? host->day_today() - dl
						     : 0));
	json_decref(o);
	return r;
}

static const char *fstr(json_t *fields, const char *name)
{
	for (size_t i = 0; i + 1 < json_array_size(fields); i += 2)
		if (strcmp(json_string_value(json_array_get(fields, i)), name) == 0)
			return json_string_value(json_array_get(fields, i + 1));
	return "";
}

static void on_item(int rc, json_t *fields, void *arg)
{
	struct page *p = arg;
	const char *id = json_string_value(json_array_get(p->ids, p->at));
	const char *state = in_str(p->c, "state");

	if (rc != JD_OK) {
		ctx_fail(p->c, rc);
		return;
	}
	if (json_array_size(fields) > 0 &&
	    host->record_visible(p->c->req, NULL, p->c->tenant, fstr(fields, "unit"),
				 fstr(fields, "groups"), fstr(fields, "deny")) &&
	    (state == NULL || strcmp(state, fstr(fields, "state")) == 0) &&
	    (p->group_units == NULL || csv_names(p->group_units, fstr(fields, "unit")) ||
	     csv_names(fstr(fields, "groups"), in_str(p->c, "group"))))
		json_array_append_new(p->rows, row_of(fields, id));
	p->at++;
	next_record(p);
}

static void next_record(struct page *p)
{
	char key[100];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	if (p->at >= json_array_size(p->ids)) {
		json_t *o = json_pack("{s:s, s:O}", "tenant", p->c->tenant, "items", p->rows);

		if (o != NULL)
			json_object_set_new(o, "next_cursor",
					    (long long)json_array_size(p->ids) == p->limit
						? json_integer(p->cursor + p->limit)
						: json_null());
		ctx_reply(p->c, 200, o);
		return;
	}
	snprintf(key, sizeof(key), "item:%s", json_string_value(json_array_get(p->ids, p->at)));
	if ((rc = host->store_read(self, p->c->tenant, 2, argv, on_item, p)) != JD_OK) {
		ctx_fail(p->c, rc);
	}
}

static void on_ids(int rc, json_t *ids, void *arg)
{
	struct page *p = arg;

	if (rc != JD_OK) {
		ctx_fail(p->c, rc);
		return;
	}
	p->ids = json_incref(ids);
	next_record(p);
}

/* Reads the page of ids (the index, start and stop in c->aux). */
static void page_read(struct ctx *c)
{
	struct page *p = (struct page *)c->route;
	const char *argv[4] = {"ZRANGE", json_string_value(json_object_get(c->aux, "key")),
			       json_string_value(json_object_get(c->aux, "start")),
			       json_string_value(json_object_get(c->aux, "stop"))};
	int rc;

	if ((rc = host->store_read(self, c->tenant, 4, argv, on_ids, p)) != JD_OK) {
		ctx_fail(c, rc);
	}
}

/* --group: the group's units from the organization (ctx_org replied on failure). */
static void group_read(struct ctx *c)
{
	struct page *p = (struct page *)c->route;
	json_t *g = org_group(c->org, in_str(c, "group"));

	if (g == NULL) {
		ctx_invalid(c, "field 'group': no group '%.64s' in tenant %s", in_str(c, "group"),
			    c->tenant);
		return;
	}
	p->group_units = strdup(json_string_value(json_object_get(g, "units"))
				    ? json_string_value(json_object_get(g, "units"))
				    : "");
	page_read(c);
}

void ledger_list(jd_req *req, void *arg)
{
	struct page *p = host->req_ctx ? host->req_ctx(req, sizeof(*p), page_dtor) : NULL;
	struct ctx *c = ctx_new(req, "item", host->req_param(req, "tenant"), "");
	const char *unit, *state;
	char key[100], start[24], stop[24];

	(void)arg;
	if (p == NULL || c == NULL || (p->rows = json_array()) == NULL) {
		ctx_free(c);
		host->reply_rc(req, JD_E_NOMEM, "ledger");
		return;
	}
	p->c = c;
	unit = in_str(c, "unit");
	state = in_str(c, "state");
	p->cursor = in_int(c, "cursor", 0);
	p->limit = in_int(c, "limit", LIST_MAX);
	if (c->tenant[0] == '\0' || !code_valid(c->tenant, 0) || !code_valid(unit, 0) ||
	    !code_valid(state, 0) || p->cursor < 0 || p->limit < 1 || p->limit > LIST_MAX) {
		ctx_invalid(c, "fields 'tenant', 'unit', 'state' take codes; 'cursor' 0 or more; "
			       "'limit' 1..50");
		return;
	}
	if (state != NULL && host->machine_state(&item_machine, state) == NULL) {
		ctx_invalid(c, "field 'state': issued, plan_filed, in_progress, closure_requested, "
			       "reviewed or closed");
		return;
	}
	if (in_str(c, "group") != NULL && unit != NULL) {
		ctx_invalid(c, "give field 'unit' or field 'group', not both");
		return;
	}
	if (unit != NULL)
		snprintf(key, sizeof(key), "items:u:%s", unit);
	else if (state != NULL)
		snprintf(key, sizeof(key), "items:state:%s", state);
	else
		snprintf(key, sizeof(key), "items:all");
	snprintf(start, sizeof(start), "%lld", p->cursor);
	snprintf(stop, sizeof(stop), "%lld", p->cursor + p->limit - 1);
	c->aux = json_pack("{s:s, s:s, s:s}", "key", key, "start", start, "stop", stop);
	c->route = p;
	if (c->aux == NULL) {
		ctx_fail(c, JD_E_NOMEM);
	} else if (in_str(c, "group") != NULL) {
		ctx_org(c, group_read); /* the group's units, then the page */
	} else {
		page_read(c);
	}
}
