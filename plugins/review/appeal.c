/*
 * Appeals (申诉) and re-review (复审复核): a sanctioned person's appeal
 * opens a new review record on the same case, "<case>-a<n>", about that
 * person only, which no member of the first panel (nor anyone recused
 * from it) may take, and which goes through the same steps.  Its decision
 * is compared with the one appealed: upheld, changed or revoked, and
 * review.appeal_decided carries it back to the case and its figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

static void on_opened(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct rctx *c = arg;

	if (rc == JD_E_CONFLICT) {
		rctx_conflict(c, "conflict", "review %s changed meanwhile: appeal again", c->id);
		return;
	}
	if (rc != JD_OK) {
		rctx_fail(c, rc);
		return;
	}
	review_note_tenant(c->tenant);
	rctx_reply(
	    c, res->replayed ? 200 : 201,
	    json_pack("{s:s, s:s, s:s, s:I}", "id",
		      strncmp(res->record, "review:", 7) == 0 ? res->record + 7 : res->record,
		      "appeal_of", c->id, "state", "received", "version",
		      (json_int_t)res->version));
}

static void copy(struct rctx *c, const char *field, const char *to)
{
	host->mut_set(c->m, to ? to : field, rec_str(c, field));
}

static void appeal_loaded(struct rctx *c)
{
	long long person = in_int(c, "person", 0), k = rec_int(c, "appeals") + 1;
	char field[32], no[128], key[128], date[11], score[24], version[24], barred[800], s[24];
	const char *reason = in_str(c, "reason");

	snprintf(s, sizeof(s), "%lld", person);
	snprintf(field, sizeof(field), "decision.%lld", person);
	if (strcmp(rec_str(c, "state"), "completed") != 0 || strcmp(rec_str(c, "kind"), "review")) {
		rctx_conflict(c, "illegal_transition",
			      "review %s is %s: an appeal follows a completed review of a case",
			      c->id, rec_str(c, "state"));
		return;
	}
	if (!csv_names(rec_str(c, "persons"), s) || rec_str(c, field)[0] == '\0') {
		rctx_invalid(c, "field 'person': review %s decided persons %s", c->id,
			     rec_str(c, "persons"));
		return;
	}
	if (reason == NULL || reason[0] == '\0') {
		rctx_invalid(c, "field 'reason': the grounds of the appeal");
		return;
	}
	if (rctx_date(c, "the review was completed") != 0)
		return;
	snprintf(no, sizeof(no), "review:%s-a%lld", c->id, k);
	host->day_format(c->day, date);
	/* the new record's mutation carries the original's check and count */
	{
		struct jd_mut *m = c->m;

		host->mut_set(m, "kind", "appeal");
		host->mut_set(m, "case", rec_str(c, "case"));
		host->mut_set(m, "appeal_of", c->id);
		host->mut_set(m, "persons", s);
		host->mut_set(m, "original", rec_str(c, field));
		snprintf(key, sizeof(key), "proposal.%lld", person);
		host->mut_set(m, key, rec_str(c, field));
		copy(c, "unit", NULL);
		copy(c, "case_unit", NULL);
		copy(c, "count_unit", NULL);
		copy(c, "excluded", NULL);
		copy(c, "lead", NULL);
		snprintf(barred, sizeof(barred), "%s%s%s", rec_str(c, "panel"),
			 rec_str(c, "deny")[0] ? "," : "", rec_str(c, "deny"));
		host->mut_set(m, "barred", barred);
		host->mut_set(m, "received", date);
		host->mut_set(m, "appeal_reason", reason);
		host->mut_set(m, "appeal_by", host->req_principal(c->req));
		snprintf(version, sizeof(version), "%lld", c->version);
		host->mut_op(m, JD_OP_CHECK, c->record, NULL, version);
		snprintf(s, sizeof(s), "%lld", k);
		host->mut_op(m, JD_OP_HSET, c->record, "appeals", s);
		host->mut_op(m, JD_OP_HINCRBY, c->record, "_v", "1");
		snprintf(score, sizeof(score), "%ld", host->day_number(c->day));
		host->mut_op(m, JD_OP_ZADD, "reviews:all", no + 7, score);
		host->machine_move(self, &review_machine, m, no + 7, NULL, "received", c->day);
		cnt_received(m, rec_str(c, "count_unit"), 1, c->day, 1);
	}
	if (host->mut_submit(self, c->m,
			     &(const struct jd_mutation){.tenant = c->tenant,
							 .record = no,
							 .expect_version = JD_VERSION_NEW,
							 .req = c->req,
							 .action = "review.appeal.open"},
			     on_opened, c) != JD_OK)
		rctx_fail(c, JD_ERR);
}

void appeal_open(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, appeal_loaded);
}
