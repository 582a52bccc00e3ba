/*
 * POST /v1/supervision/recount: recomputes every counter from the records
 * and reports any drift; with fix, corrects it (one audited mutation,
 * supervision.recount.fix).  The host walks each record index in pages and
 * calls back here per record: what a record counts is derived with the
 * writers' own functions (counters.c, talks.c, item_steps.c, tasks.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static const char *field(const json_t *rec, const char *name)
{
	const char *v = json_string_value(json_object_get(rec, name));

	return v ? v : "";
}

static int day_of(const json_t *rec, const char *name, jd_day *d)
{
	return host->day_parse(field(rec, name), d) == JD_OK;
}

static void item_counters(struct jd_mut *m, const json_t *rec)
{
	const char *unit = field(rec, "unit");
	long long n = atoll(field(rec, "lookbacks"));
	jd_day d;

	if (day_of(rec, "issued", &d))
		cnt(m, unit, "items.issued", d, 1);
	if (strcmp(field(rec, "state"), "closed") == 0 && day_of(rec, "closed", &d))
		item_count_closed(m, unit, field(rec, "deadline"), d, 1);
	for (long long i = 1; i <= n; i++) {
		char f[32];
		const char *v, *bar;

		snprintf(f, sizeof(f), "lb.%lld", i);
		v = field(rec, f);
		if ((bar = strchr(v, '|')) == NULL || host->day_parse(bar + 1, &d) != JD_OK)
			continue;
		cnt(m, unit, "lookbacks", d, 1);
		if (strncmp(v, "rebound|", 8) == 0)
			cnt(m, unit, "lookbacks.rebound", d, 1);
	}
}

static void talk_counters(struct jd_mut *m, const json_t *rec)
{
	jd_day d;

	if (day_of(rec, "date", &d))
		talk_count(m, field(rec, "unit"), atoll(field(rec, "persons")),
			   atoll(field(rec, "leaders")), atoll(field(rec, "key_posts")), d);
}

static void letter_counters(struct jd_mut *m, const json_t *rec)
{
	jd_day d;

	if (day_of(rec, "sent", &d))
		cnt(m, field(rec, "unit"),
		    strcmp(field(rec, "kind"), "prompt") == 0 ? "letters.prompt"
							      : "letters.recommendation",
		    d, 1);
}

static void rule_counters(struct jd_mut *m, const json_t *rec)
{
	jd_day d;

	if (day_of(rec, "adopted", &d))
		cnt(m, field(rec, "unit"), "rules", d, 1);
}

static void finding_counters(struct jd_mut *m, const json_t *rec)
{
	jd_day d;

	if (strcmp(field(rec, "state"), "raised") == 0 && day_of(rec, "decided", &d))
		cnt(m, field(rec, "unit"), "leads.raised", d, 1);
}

static const struct jd_recount_walk walks[] = {
    {"items:all", "item", "items", item_counters},
    {"talks:all", "talk", "talks", talk_counters},
    {"letters:all", "letter", "letters", letter_counters},
    {"rules:all", "rule", "rules", rule_counters},
    {"tasks:all", "task", "tasks", task_counters},
    {"findings:all", "finding", "findings", finding_counters},
    {NULL, NULL, NULL, NULL},
};

static const struct jd_recount sup_recount = {
    .counters = &sup_counters,
    .walks = walks,
    .record = "recount:last",
    .fix_action = "supervision.recount.fix",
};

static void on_recounted(int rc, json_t *answer, const char *message, void *arg)
{
	struct ctx *c = arg;

	if (rc == JD_E_INVALID && message != NULL)
		ctx_invalid(c, "%s", message);
	else if (rc != JD_OK)
		ctx_fail(c, rc);
	else
		ctx_reply(c, 200, json_incref(answer));
}

void recount_get(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, "recount", host->req_param(req, "tenant"), "");
	int rc;

	(void)arg;
	if (c == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "recount");
		return;
	}
	if (!code_valid(c->tenant, 0) || c->tenant[0] == '\0') {
		ctx_invalid(c, "field 'tenant': a tenant code");
		return;
	}
	rc = host->recount_run(self, &sup_recount, req, c->tenant,
			       json_is_true(json_object_get(c->in, "fix")), on_recounted, c);
	if (rc != JD_OK)
		ctx_fail(c, rc);
}
