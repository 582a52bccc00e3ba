/*
 * Prompt letters (提示函) and discipline inspection recommendations
 * (纪检监察建议) to a supervised unit: the problems found, each a
 * rectification item of the unit that rectifies them, made in the letter's
 * own mutation (problem_items.c),
 * and the date the unit's written reply is due (stage "reply" of the
 * deadline index).
 *
 * Numbered per tenant, kind and year: "<year>-P<nnnn>" (prompt) or
 * "<year>-R<nnnn>" (recommendation), the number being the record's key.
 * The number is the year's counter plus one, written with JD_VERSION_NEW:
 * two letters that pick the same number cannot both succeed, and the loser
 * reads the counter again and retries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static const char *const kinds[] = {"prompt", "recommendation", NULL};

static void create_numbered(struct ctx *c);

static void on_created(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;

	if (rc == JD_E_CONFLICT && !res->replayed && ++c->tries < 8) {
		/* another letter took the number: read the counter again */
		host->mut_free(c->m);
		if ((c->m = host->mut_new()) == NULL) {
			ctx_fail(c, JD_E_NOMEM);
			return;
		}
		create_numbered(c);
		return;
	}
	problems_on_created(rc, res, arg);
}

static void on_seq(int rc, json_t *result, void *arg)
{
	struct ctx *c = arg;
	const char *kind = in_str(c, "kind");
	char seqf[32], no[24];
	jd_day due;
	long long n;

	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	n = (json_is_string(result) ? atoll(json_string_value(result)) : 0) + 1;
	snprintf(seqf, sizeof(seqf), "%s:%d", kind, host->day_year(c->day));
	snprintf(c->id, sizeof(c->id), "%d-%c%04lld", host->day_year(c->day),
		 kind[0] == 'p' ? 'P' : 'R', n);
	snprintf(c->record, sizeof(c->record), "letter:%s", c->id);
	snprintf(no, sizeof(no), "%lld", n);
	host->day_parse(in_str(c, "reply_due"), &due);
	ctx_new_fields(c, "sent");
	host->mut_set(c->m, "kind", kind);
	host->mut_set(c->m, "number", c->id);
	host->mut_set(c->m, "supervised", in_str(c, "supervised"));
	host->mut_set(c->m, "problems", in_str(c, "problems") ? in_str(c, "problems") : "");
	host->mut_set(c->m, "reply_due", in_str(c, "reply_due"));
	host->mut_set(c->m, "rectifier", in_str(c, "rectifier") ? in_str(c, "rectifier") : "");
	host->mut_set(c->m, "rectify_by",
		      in_str(c, "rectify_by") ? in_str(c, "rectify_by") : in_str(c, "reply_due"));
	for (size_t i = 0; i < json_array_size(c->aux); i++) {
		char f[32];

		snprintf(f, sizeof(f), "problem.%zu", i + 1);
		host->mut_set(c->m, f, json_string_value(json_array_get(c->aux, i)));
	}
	host->mut_op(c->m, JD_OP_HSET, "letters:seq", seqf, no);
	host->machine_move(self, &letter_machine, c->m, c->id, NULL, "sent", c->day);
	host->deadline_put(&letter_machine, c->m, c->id, "reply", due);
	ctx_index(c, "letters", in_str(c, "unit"));
	cnt(c->m, in_str(c, "unit"), kind[0] == 'p' ? "letters.prompt" : "letters.recommendation",
	    c->day, 1);
	snprintf(c->to, sizeof(c->to), "sent");
	if ((rc = problem_items_put(c, kind, "reply_due")) != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	ctx_submit_cb(c, "supervision.letter.create", on_created);
}

static void create_numbered(struct ctx *c)
{
	char seqf[32];
	const char *argv[3] = {"HGET", "letters:seq", seqf};
	int rc;

	snprintf(seqf, sizeof(seqf), "%s:%d", in_str(c, "kind"), host->day_year(c->day));
	if ((rc = host->store_read(self, c->tenant, 3, argv, on_seq, c)) != JD_OK)
		ctx_fail(c, rc);
}

static void create_org(struct ctx *c)
{
	if (ctx_unit_check(c, "unit", in_str(c, "unit")) != 0 ||
	    ctx_groups_check(c, "groups", in_str(c, "groups")) != 0 || problems_org_check(c) != 0)
		return;
	create_numbered(c);
}

void letter_create(jd_req *req, void *arg)
{
	struct ctx *c = ctx_create(req, "letter");
	jd_day due;

	(void)arg;
	if (c == NULL)
		return;
	if (!one_of(in_str(c, "kind"), kinds)) {
		ctx_invalid(c, "field 'kind': prompt (提示函) or recommendation (纪检监察建议)");
		return;
	}
	if (ctx_date(c, "date", -1, NULL) != 0 || ctx_deadline(c, "reply_due", c->day, &due) != 0 ||
	    problems_check(c, "reply_due") != 0)
		return;
	ctx_org(c, create_org);
}

static void show_loaded(struct ctx *c)
{
	ctx_reply(c, 200, rec_public(c));
}

void letter_show(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "letter", NULL, show_loaded);
}

static void reply_loaded(struct ctx *c)
{
	struct jd_refusal r;
	jd_day since = -1, due;
	char date[11];

	if (ctx_version(c) != 0)
		return;
	if (host->machine_step(&letter_machine, c->id, rec_str(c, "state"), "reply", &r) == NULL) {
		ctx_refused(c, &r);
		return;
	}
	host->day_parse(rec_str(c, "state_since"), &since);
	if (ctx_date(c, "date", since, "the letter was sent") != 0)
		return;
	host->day_format(c->day, date);
	host->mut_set(c->m, "replied", date);
	host->mut_set(c->m, "reply", in_str(c, "reply") ? in_str(c, "reply") : "");
	host->mut_set(
	    c->m, "reply_on_time",
	    host->day_parse(rec_str(c, "reply_due"), &due) == JD_OK && c->day <= due ? "1" : "0");
	host->deadline_drop(&letter_machine, c->m, c->id, "reply");
	host->machine_move(self, &letter_machine, c->m, c->id, "sent", "replied", c->day);
	snprintf(c->to, sizeof(c->to), "replied");
	ctx_submit(c, "supervision.letter.reply");
}

void letter_reply(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "letter", NULL, reply_loaded);
}
