/*
 * GET /v1/example/stats: how many notes were created and published in a
 * date range, for a county or the counties a city or province rolls up,
 * optionally one unit, with the same range a year earlier
 * (docs/plugins.md, "Counters and figures").  The host does the work
 * (stats_query: checks the input and who may read the figures, rolls up,
 * reads whole months and the edge days); this file names the figures.
 */
#include <stdio.h>

#include "example.h"

struct stats {
	jd_req *req;
	char tenant[65];
};

/* {"from", "to", "notes_created", "notes_published"} of one side of the comparison */
static json_t *side(const struct jd_stats_result *r, jd_day from, jd_day to, int prev)
{
	char f[11], t[11];

	host->day_format(from, f);
	host->day_format(to, t);
	return json_pack("{s:s, s:s, s:I, s:I}", "from", f, "to", t, "notes_created",
			 (json_int_t)r->sum[0][prev], "notes_published",
			 (json_int_t)r->sum[1][prev]);
}

static void on_figures(int rc, const struct jd_stats_result *r, const char *message, void *arg)
{
	struct stats *s = arg;
	json_t *o;

	if (rc == JD_E_INVALID) {
		host->reply_error(s->req, 400, "invalid", "%s", message);
		return;
	}
	if (rc != JD_OK) {
		host->reply_rc(s->req, rc, "stats");
		return;
	}
	/* sum[i] follows the metrics' order in note_counters (counters.c): created, published */
	o = side(r, r->from, r->to, 0);
	if (o != NULL) {
		json_object_set_new(o, "tenant", json_string(s->tenant));
		json_object_set_new(o, "counties", json_integer((json_int_t)r->counties));
		if (r->compare)
			json_object_set_new(o, "previous_year",
					    side(r, r->prev_from, r->prev_to, 1));
	}
	if (o == NULL)
		host->reply_rc(s->req, JD_E_NOMEM, "stats");
	else
		host->reply_json(s->req, 200, o);
}

void stats_get(jd_req *req, void *arg)
{
	struct stats *s = host->req_ctx(req, sizeof(*s), NULL); /* freed with the reply */
	struct jd_stats_query q = {.req = req, .counters = &note_counters};
	char err[300];
	int rc;

	(void)arg;
	if (s == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "stats");
		return;
	}
	s->req = req;
	q.tenant = host->req_param(req, "tenant");
	q.from = host->req_param(req, "from");
	q.to = host->req_param(req, "to");
	q.compare = host->req_param(req, "compare");
	q.unit = host->req_param(req, "unit");
	if (q.tenant != NULL)
		snprintf(s->tenant, sizeof(s->tenant), "%s", q.tenant);
	rc = host->stats_query(self, &q, on_figures, s, err, sizeof(err));
	if (rc == JD_E_INVALID)
		host->reply_error(req, 400, "invalid", "%s", err);
	else if (rc == JD_E_FORBIDDEN)
		host->reply_error(req, 403, "forbidden", "%s", err);
	else if (rc != JD_OK)
		host->reply_rc(req, rc, "stats");
}
