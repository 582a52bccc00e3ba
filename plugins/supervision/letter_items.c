/*
 * The problems a prompt letter or recommendation found, each a
 * rectification item (整改事项): the letter names them ("problems", one per
 * line or separated by ';' or '；') and the unit that rectifies them
 * ("rectifier"); each problem becomes the item "<letter number>-<n>"
 * (source letter:<number>, issued by the letter's unit, due by
 * "rectify_by" or the reply date).
 *
 * The letter and all its items are one mutation (the host's mut_record):
 * each item with its fields, first state, deadline, indexes and counter,
 * written with JD_VERSION_NEW.  A crash leaves the letter with all its
 * items or nothing of it, and a retry with the idempotency key replays the
 * whole (the item ids follow from the letter's number).
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

int letter_items_put(struct ctx *c, const json_t *problems)
{
	char id[96], record[112], src[80];
	const char *by = in_str(c, "rectify_by") ? in_str(c, "rectify_by") : in_str(c, "reply_due");
	jd_day deadline;

	if (host->day_parse(by, &deadline) != JD_OK)
		return JD_E_INVALID;
	snprintf(src, sizeof(src), "letter:%s", c->id);
	for (size_t i = 0; i < json_array_size(problems); i++) {
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
				    .title = json_string_value(json_array_get(problems, i)),
				    .source = src,
				    .source_kind = in_str(c, "kind"),
				    .by = host->req_principal(c->req),
				    .issued = c->day,
				    .deadline = deadline,
				    .late = c->late});
	}
	return JD_OK;
}

json_t *letter_item_ids(const char *number, size_t n)
{
	json_t *ids = json_array();

	for (size_t i = 0; ids != NULL && i < n; i++)
		if (json_array_append_new(ids, json_sprintf("%s-%zu", number, i + 1)) != 0) {
			json_decref(ids);
			return NULL;
		}
	return ids;
}
