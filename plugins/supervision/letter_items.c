/*
 * The problems a prompt letter or recommendation found, each a
 * rectification item (整改事项): the letter names them ("problems", one per
 * line or separated by ';' or '；') and the unit that rectifies them
 * ("rectifier"); once the letter is written, each problem becomes the item
 * "<letter number>-<n>" (source letter:<number>, issued by the letter's
 * unit, due by "rectify_by" or the reply date), one mutation each, written
 * with JD_VERSION_NEW.  The item ids follow from the letter's number, so a
 * retry of the request with its idempotency key (the letter replays)
 * creates exactly the items still missing and none twice.
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

struct chain {
	struct ctx *c;
	json_t *problems;
	json_t *ids;
	size_t at;
	json_int_t version;
	int replayed;
};

static void chain_end(struct chain *ch, int rc)
{
	struct ctx *c = ch->c;

	if (rc == JD_OK) {
		if (!ch->replayed)
			sweeper_note(c->tenant);
		ctx_reply(c, ch->replayed ? 200 : 201,
			  json_pack("{s:s, s:I, s:s, s:b, s:O}", "id", c->id, "version",
				    ch->version, "state", "sent", "replayed", ch->replayed, "items",
				    ch->ids));
	} else {
		ctx_fail(c, rc);
	}
	json_decref(ch->problems);
	json_decref(ch->ids);
	free(ch);
}

static void next_problem(struct chain *ch);

static void on_item(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct chain *ch = arg;

	(void)res;
	/* JD_E_CONFLICT: the item exists already (a retry): it is not written twice */
	if (rc != JD_OK && rc != JD_E_CONFLICT) {
		chain_end(ch, rc);
		return;
	}
	ch->at++;
	next_problem(ch);
}

static void next_problem(struct chain *ch)
{
	struct ctx *c = ch->c;
	char id[80], record[96], src[80], a[64];
	struct jd_mut *m;
	jd_day deadline;
	int rc;

	if (ch->at >= json_array_size(ch->problems)) {
		chain_end(ch, JD_OK);
		return;
	}
	snprintf(id, sizeof(id), "%s-%zu", c->id, ch->at + 1);
	snprintf(record, sizeof(record), "item:%s", id);
	snprintf(src, sizeof(src), "letter:%s", c->id);
	json_array_append_new(ch->ids, json_string(id));
	if (host->day_parse(in_str(c, "rectify_by") ? in_str(c, "rectify_by")
						    : in_str(c, "reply_due"),
			    &deadline) != JD_OK ||
	    (m = host->mut_new()) == NULL) {
		chain_end(ch, JD_E_NOMEM);
		return;
	}
	item_fields(m, &(const struct item_spec){
			   .id = id,
			   .unit = in_str(c, "rectifier"),
			   .issuer = in_str(c, "unit"),
			   .groups = in_str(c, "groups"),
			   .title = json_string_value(json_array_get(ch->problems, ch->at)),
			   .source = src,
			   .source_kind = in_str(c, "kind"),
			   .by = host->req_principal(c->req),
			   .issued = c->day,
			   .deadline = deadline,
			   .late = c->late});
	snprintf(a, sizeof(a), "supervision.item.create%s", c->late ? ".backdated" : "");
	rc = host->mut_submit(self, m,
			      &(const struct jd_mutation){.tenant = c->tenant,
							  .record = record,
							  .expect_version = JD_VERSION_NEW,
							  .req = c->req,
							  .action = a},
			      on_item, ch);
	host->mut_free(m);
	if (rc != JD_OK)
		chain_end(ch, rc);
}

void letter_items_create(struct ctx *c, const struct jd_mutate_result *res, json_t *problems)
{
	struct chain *ch = calloc(1, sizeof(*ch));
	const char *colon = strchr(res->record, ':');

	if (ch == NULL || (ch->ids = json_array()) == NULL) {
		free(ch);
		json_decref(problems);
		ctx_fail(c, JD_E_NOMEM);
		return;
	}
	/* a replayed letter: its number is the first call's */
	snprintf(c->id, sizeof(c->id), "%s", colon ? colon + 1 : res->record);
	ch->c = c;
	ch->problems = problems;
	ch->version = (json_int_t)res->version;
	ch->replayed = res->replayed;
	next_problem(ch);
}
