/*
 * Rectification items (整改事项): one record kind for every source (a
 * dispatch order, a talk, a prompt letter, a recommendation, a look-back
 * or a direct finding).  This file creates and shows them; item_steps.c
 * moves them up the ladder.
 *
 * An item's deadline is the client's date: "deadline_orig" is kept as
 * given, "deadline" moves with approved extensions.  While the item is not
 * closed it is in the deadline index (stage "rectify": due_soon / overdue
 * notices) and in "items:open" (and "items:open:u:<unit>") scored by its
 * deadline, so "overdue now" is one ZCOUNT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervision.h"

jd_day item_lookback_days(void)
{
	long d = atol(host->config_get(self, "lookback_days", "90"));

	return d >= 0 && d <= 3660 ? d : 90;
}

void item_open_put(struct jd_mut *m, const char *id, const char *unit, jd_day deadline)
{
	char key[100], score[16];

	snprintf(score, sizeof(score), "%ld", host->day_number(deadline));
	host->mut_op(m, JD_OP_ZADD, "items:open", id, score);
	snprintf(key, sizeof(key), "items:open:u:%s", unit);
	host->mut_op(m, JD_OP_ZADD, key, id, score);
	host->deadline_put(&item_machine, m, id, "rectify", deadline);
}

void item_open_drop(struct jd_mut *m, const char *id, const char *unit)
{
	char key[100];

	host->mut_op(m, JD_OP_ZREM, "items:open", id, NULL);
	snprintf(key, sizeof(key), "items:open:u:%s", unit);
	host->mut_op(m, JD_OP_ZREM, key, id, NULL);
	host->deadline_drop(&item_machine, m, id, "rectify");
}

/* ---- POST /v1/supervision/items ------------------------------------------------------------ */

static const char *const source_types[] = {"task", "talk", "letter", "item", NULL};

void item_fields(struct jd_mut *m, const struct item_spec *s)
{
	char d[11], key[140], score[24];

	host->day_format(s->issued, d);
	host->mut_set(m, "unit", s->unit);
	host->mut_set(m, "groups", s->groups ? s->groups : "");
	host->mut_set(m, "deny", "");
	host->mut_set(m, "issued", d);
	host->mut_set(m, "created_by", s->by ? s->by : "");
	host->mut_setf(m, "created_at", "%lld", (long long)time(NULL));
	host->mut_set(m, "late", s->late ? "1" : "0");
	host->mut_set(m, "issuer", s->issuer);
	host->mut_set(m, "title", s->title);
	host->mut_set(m, "responsible", s->responsible ? s->responsible : "");
	host->mut_set(m, "source", s->source ? s->source : "");
	host->mut_set(m, "source_kind", s->source_kind ? s->source_kind : "direct");
	host->day_format(s->deadline, d);
	host->mut_set(m, "deadline_orig", d);
	host->mut_set(m, "deadline", d);
	host->mut_set(m, "ext_days", "0");
	host->mut_set(m, "returns", "0");
	host->mut_set(m, "lookbacks", "0");
	host->machine_move(self, &item_machine, m, s->id, NULL, "issued", s->issued);
	item_open_put(m, s->id, s->unit, s->deadline);
	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	host->mut_op(m, JD_OP_ZADD, "items:all", s->id, score);
	snprintf(key, sizeof(key), "items:u:%s", s->unit);
	host->mut_op(m, JD_OP_ZADD, key, s->id, score);
	cnt(m, s->unit, "items.issued", s->issued, 1);
}

static void create_submit(struct ctx *c)
{
	const char *src = in_str(c, "source");
	jd_day deadline;

	if (ctx_deadline(c, "deadline", c->day, &deadline) != 0)
		return;
	item_fields(c->m, &(const struct item_spec){.id = c->id,
						    .unit = in_str(c, "unit"),
						    .issuer = in_str(c, "issuer"),
						    .groups = in_str(c, "groups"),
						    .title = in_str(c, "title"),
						    .responsible = in_str(c, "responsible"),
						    .source = src,
						    .source_kind = json_string_value(c->aux),
						    .by = host->req_principal(c->req),
						    .issued = c->day,
						    .deadline = deadline,
						    .late = c->late});
	if (src != NULL && *src)
		host->mut_op(c->m, JD_OP_HINCRBY, src, "items", "1");
	snprintf(c->to, sizeof(c->to), "issued");
	ctx_submit(c, "supervision.item.create");
}

/* The source kind of an item from the record it comes from. */
static const char *kind_of(const char *type, json_t *fields)
{
	if (strcmp(type, "task") == 0)
		return "order";
	if (strcmp(type, "item") == 0)
		return "lookback";
	if (strcmp(type, "letter") == 0) {
		for (size_t i = 0; i + 1 < json_array_size(fields); i += 2)
			if (strcmp(json_string_value(json_array_get(fields, i)), "kind") == 0)
				return json_string_value(json_array_get(fields, i + 1));
		return "prompt";
	}
	return type;
}

static void on_source(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg;
	char type[16];
	const char *src = in_str(c, "source");

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	if (json_array_size(result) == 0) {
		ctx_invalid(c, "field 'source': no record %s in tenant %s", src, c->tenant);
		return;
	}
	snprintf(type, sizeof(type), "%.*s", (int)(strchr(src, ':') - src), src);
	c->aux = json_string(kind_of(type, result));
	create_submit(c);
}

static void create_org(struct ctx *c)
{
	const char *src = in_str(c, "source");
	const char *argv[2] = {"HGETALL", src};
	int rc;

	if (ctx_unit_check(c, "unit", in_str(c, "unit")) != 0 ||
	    ctx_unit_check(c, "issuer", in_str(c, "issuer")) != 0 ||
	    ctx_groups_check(c, "groups", in_str(c, "groups")) != 0)
		return;
	if (strcmp(in_str(c, "unit"), in_str(c, "issuer")) == 0) {
		ctx_invalid(c,
			    "field 'issuer': the unit that rectifies (%s) cannot issue its own "
			    "item (it would review and close it)",
			    in_str(c, "unit"));
		return;
	}
	if (!host->record_visible(c->req, NULL, c->tenant, in_str(c, "issuer"), "", "")) {
		ctx_forbidden(c, "field 'issuer': you issue items for your own unit, not for %.64s",
			      in_str(c, "issuer"));
		return;
	}
	if (src == NULL || *src == '\0') {
		create_submit(c);
		return;
	}
	if ((rc = host->store_read(self, c->tenant, 2, argv, on_source, c)) != JD_OK)
		ctx_fail(c, rc);
}

void item_create(jd_req *req, void *arg)
{
	struct ctx *c = ctx_create(req, "item");
	const char *src;
	char type[16];

	(void)arg;
	if (c == NULL || ctx_date(c, "date", -1, NULL) != 0)
		return;
	src = in_str(c, "source");
	if (src != NULL && *src) {
		const char *colon = strchr(src, ':');

		snprintf(type, sizeof(type), "%.*s", colon ? (int)(colon - src) : 0, src);
		if (colon == NULL || !one_of(type, source_types) || !code_valid(colon + 1, 0) ||
		    colon[1] == '\0') {
			ctx_invalid(c, "field 'source': the record the item comes from, as "
				       "task:<id>, talk:<id>, letter:<number> or item:<id>");
			return;
		}
	}
	ctx_org(c, create_org);
}

/* ---- GET /v1/supervision/items/{id} -------------------------------------------------------- */

static void on_esc(int rc, json_t *fields, void *arg)
{
	struct ctx *c = arg;
	json_t *o, *esc = json_object();
	jd_day dl;

	if (rc != JD_OK || esc == NULL) {
		json_decref(esc);
		ctx_fail(c, rc != JD_OK ? rc : JD_E_NOMEM);
		return;
	}
	for (size_t i = 0; i + 1 < json_array_size(fields); i += 2)
		json_object_set(esc, json_string_value(json_array_get(fields, i)),
				json_array_get(fields, i + 1));
	o = rec_public(c);
	if (o != NULL && strcmp(rec_str(c, "state"), "closed") != 0 &&
	    host->day_parse(rec_str(c, "deadline"), &dl) == JD_OK)
		json_object_set_new(
		    o, "days_overdue",
		    json_integer(dl < host->day_today() ? host->day_today() - dl : 0));
	if (o != NULL)
		json_object_set_new(o, "escalation", escalation_public(c->rec, esc));
	json_decref(esc);
	ctx_reply(c, 200, o);
}

/* The item and its escalation record (escalation.c keeps the levels apart). */
static void show_loaded(struct ctx *c)
{
	char key[80];
	const char *argv[2] = {"HGETALL", key};
	int rc;

	snprintf(key, sizeof(key), "esc:%s", c->id);
	if ((rc = host->store_read(self, c->tenant, 2, argv, on_esc, c)) != JD_OK)
		ctx_fail(c, rc);
}

void item_show(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "item", NULL, show_loaded);
}
