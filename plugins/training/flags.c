/*
 * GET /v1/training/flags: the new cadres who need a leader's attention
 * (docs/training.md, "Flags"): a new cadre of the organization without both
 * mentors match_days after their start (registered or not), and a mentee
 * whose pairing ended early, until both mentors are there again.  One read
 * of the organization and one of the mentees' summaries ("theory|practice|flag").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

static void flags_answer(struct ctx *c)
{
	long long n = config_int("match_days", 30);
	jd_day today = host->day_today();
	json_t *out = json_array();
	const char *id;
	json_t *p;

	json_object_foreach(json_object_get(c->org, "people"), id, p)
	{
		const char *s = obj_str(c->aux, id);
		int theory = s[0] == '1', practice = strlen(s) > 2 && s[2] == '1';
		const char *flag = strlen(s) > 4 ? s + 4 : "";
		jd_day start;
		json_t *why = json_array();

		if (!json_is_true(json_object_get(p, "new_cadre")) ||
		    strcmp(obj_str(p, "status"), "retired") == 0 ||
		    host->day_parse(obj_str(p, "start"), &start) != JD_OK) {
			json_decref(why);
			continue;
		}
		if ((!theory || !practice) && today - start > n) {
			char text[160];

			snprintf(text, sizeof(text), "no %s mentor %ld days after the start",
				 !theory && !practice ? "theory or practice"
				 : !theory	      ? "theory"
						      : "practice",
				 (long)(today - start));
			json_array_append_new(why, json_string(text));
		}
		if (strcmp(flag, "ended_early") == 0)
			json_array_append_new(
			    why, json_string("a pairing ended early: to be re-matched"));
		if (json_array_size(why) == 0) {
			json_decref(why);
			continue;
		}
		json_array_append_new(
		    out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "person", id, "name",
				   obj_str(p, "name"), "unit", obj_str(p, "unit"), "start",
				   obj_str(p, "start"), "registered", *s != '\0', "flags", why));
	}
	ctx_reply(c, 200, json_pack("{s:s, s:o}", "tenant", c->tenant, "flagged", out));
}

static void with_summaries(struct ctx *c)
{
	ctx_read(c, "mentees:summary", &c->aux, flags_answer);
}

void flags_list(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "mentee");

	(void)arg;
	if (c == NULL)
		return;
	if (!ctx_county_wide(c)) {
		host->reply_error(req, 403, "forbidden",
				  "the flags of a county are for its leaders");
		ctx_free(c);
		return;
	}
	ctx_org(c, with_summaries);
}
