/*
 * The problems a prompt letter, a recommendation or a talk found, each a
 * rectification item (整改事项): the record names them ("problems", one per
 * line or separated by ';' or '；') and the unit that rectifies them
 * ("rectifier"); each problem becomes the item "<record id>-<n>" (source
 * <type>:<id>, issued by the record's unit, due by "rectify_by"; a
 * letter's default is its reply date).
 *
 * The record and all its items are one mutation (the host's mut_record):
 * each item with its fields, first state, deadline, indexes and counter,
 * written with JD_VERSION_NEW.  A crash leaves the record with all its
 * items or nothing of it, and a retry with the idempotency key replays the
 * whole (the item ids follow from the record's id).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

json_t *problems_split(const char *text)
{
	json_t *out = json_array();
	const char *p = text ? text : "";

	while (out != NULL && *p) {
		size_t n = strcspn(p, ";\n"), cut = n;
		const char *fw = strstr(p, "；"); /* the full-width semicolon, 3 bytes */

		if (fw != NULL && (size_t)(fw - p) < cut)
			cut = (size_t)(fw - p);
		{
			const char *a = p, *b = p + cut;

			while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
				a++;
			while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
				b--;
			if (b > a &&
			    json_array_append_new(out, json_stringn(a, (size_t)(b - a))) != 0) {
				json_decref(out);
				return NULL;
			}
		}
		p += cut;
		p += fw != NULL && p == fw ? 3 : *p ? 1 : 0;
	}
	return out;
}

int problems_check(struct ctx *c, const char *default_by)
{
	jd_day by;

	if ((c->aux = problems_split(in_str(c, "problems"))) == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(c->aux); i++)
		if (strlen(json_string_value(json_array_get(c->aux, i))) > 500) {
			ctx_invalid(c, "field 'problems': problem %zu is longer than 500 bytes",
				    i + 1);
			return -1;
		}
	if (json_array_size(c->aux) > PROBLEMS_MAX) {
		ctx_invalid(c, "field 'problems': at most %d problems per %s", PROBLEMS_MAX,
			    c->type);
		return -1;
	}
	if (json_array_size(c->aux) == 0)
		return 0;
	if (in_str(c, "rectifier") == NULL) {
		ctx_invalid(c, "field 'rectifier': the unit that rectifies the problems (each "
			       "problem becomes its rectification item)");
		return -1;
	}
	if (in_str(c, "rectify_by") == NULL && default_by == NULL) {
		ctx_invalid(c, "field 'rectify_by': the problems' deadline (YYYY-MM-DD)");
		return -1;
	}
	if (in_str(c, "rectify_by") != NULL && ctx_deadline(c, "rectify_by", c->day, &by) != 0)
		return -1;
	return 0;
}

int problems_org_check(struct ctx *c)
{
	const char *rectifier = in_str(c, "rectifier");

	if (json_array_size(c->aux) == 0)
		return 0;
	if (ctx_unit_check(c, "rectifier", rectifier) != 0)
		return -1;
	if (strcmp(rectifier, in_str(c, "unit")) == 0) {
		ctx_invalid(c, "field 'rectifier': the unit that rectifies cannot be the issuing "
			       "unit (it would review and close its own items)");
		return -1;
	}
	return 0;
}

int problem_items_put(struct ctx *c, const char *source_kind, const char *default_by)
{
	char id[96], record[112], src[96];
	const char *by = in_str(c, "rectify_by") ? in_str(c, "rectify_by") : in_str(c, default_by);
	jd_day deadline;

	host->mut_setf(c->m, "items", "%zu", json_array_size(c->aux));
	if (json_array_size(c->aux) == 0)
		return JD_OK;
	if (by == NULL || host->day_parse(by, &deadline) != JD_OK)
		return JD_E_INVALID;
	snprintf(src, sizeof(src), "%s:%s", c->type, c->id);
	for (size_t i = 0; i < json_array_size(c->aux); i++) {
		struct jd_mut *im;

		snprintf(id, sizeof(id), "%s-%zu", c->id, i + 1);
		snprintf(record, sizeof(record), "item:%s", id);
		if ((im = host->mut_record(c->m, record, JD_VERSION_NEW)) == NULL)
			return JD_E_NOMEM;
		item_fields(im, &(const struct item_spec){
				    .id = id,
				    .unit = in_str(c, "rectifier"),
				    .issuer = in_str(c, "unit"),
				    .groups = in_str(c, "groups"),
				    .title = json_string_value(json_array_get(c->aux, i)),
				    .source = src,
				    .source_kind = source_kind,
				    .by = host->req_principal(c->req),
				    .issued = c->day,
				    .deadline = deadline,
				    .late = c->late});
	}
	return JD_OK;
}

void problems_on_created(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;
	const char *colon;
	json_t *ids;

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	/* a replay's id is the first call's; so are its items */
	colon = strchr(res->record, ':');
	snprintf(c->id, sizeof(c->id), "%s", colon ? colon + 1 : res->record);
	if ((ids = json_array()) == NULL) {
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	for (size_t i = 0; i < json_array_size(c->aux); i++)
		if (json_array_append_new(ids, json_sprintf("%s-%zu", c->id, i + 1)) != 0) {
			json_decref(ids);
			ctx_fail(c, JD_E_NOMEM);
			return;
		}
	if (!res->replayed)
		sweeper_note(c->tenant);
	ctx_reply(c, res->replayed ? 200 : 201,
		  json_pack("{s:s, s:I, s:s, s:b, s:o}", "id", c->id, "version",
			    (json_int_t)res->version, "state", c->to, "replayed", res->replayed,
			    "items", ids));
}
