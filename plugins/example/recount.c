/*
 * POST /v1/example/recount: recomputes the note counters from the notes
 * and reports any drift; with fix, corrects it in one audited mutation
 * (docs/plugins.md, "Recount").  The host walks "notes:by_time" in pages
 * and hands each note to derive, which counts it with the writers' own
 * functions (counters.c).  Run it while the tenant is quiet.
 */
#include <stdio.h>

#include "example.h"

/* A note's date field as a day; 0 when absent (a note older than its counters). */
static int day_of(const json_t *rec, const char *field, jd_day *d)
{
	return host->day_parse(json_string_value(json_object_get(rec, field)), d) == JD_OK;
}

static void derive(struct jd_mut *m, const json_t *rec)
{
	const char *unit = json_string_value(json_object_get(rec, "unit"));
	jd_day d;

	if (day_of(rec, "date", &d))
		count_created(m, unit, d, 1);
	if (day_of(rec, "published", &d))
		count_published(m, unit, d, 1);
}

static const struct jd_recount_walk walks[] = {
    {"notes:by_time", "note", "notes", derive},
    {NULL, NULL, NULL, NULL},
};

static const struct jd_recount note_recount = {
    .counters = &note_counters,
    .walks = walks,
    .record = "notes:recount:last",
    .fix_action = "example.recount.fix",
};

static void on_recounted(int rc, json_t *answer, const char *message, void *arg)
{
	jd_req *req = arg;

	if (rc == JD_E_INVALID && message != NULL)
		host->reply_error(req, 400, "invalid", "%s", message);
	else if (rc != JD_OK)
		host->reply_rc(req, rc, "recount");
	else
		host->reply_json(req, 200, json_incref(answer));
}

void recount_notes(jd_req *req, void *arg)
{
	json_t *in = host->req_body(req);
	int rc;

	(void)arg;
	rc = host->recount_run(self, &note_recount, req,
			       json_string_value(json_object_get(in, "tenant")),
			       json_is_true(json_object_get(in, "fix")), on_recounted, req);
	if (rc == JD_E_INVALID)
		host->reply_error(req, 400, "invalid",
				  "field 'tenant': a tenant code is 1 to 64 characters of "
				  "[A-Za-z0-9_-]");
	else if (rc != JD_OK)
		host->reply_rc(req, rc, "recount");
}
