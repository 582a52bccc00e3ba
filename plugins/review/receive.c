/*
 * Transfer for review (移送审理): the cases plugin's durable event
 * case.investigation_concluded becomes a review record in state
 * "received" (one mutation keyed by the event: a redelivery changes
 * nothing; a daemon killed before it ran gets the event again).  The
 * payload carries references only: the persons by number, the
 * investigators' characterization and proposed sanctions per person, the
 * materials list, and who handled the lead and the case (for the
 * separation of duties); never a sealed field's plaintext.
 *
 * A case returned for supplementary investigation or reinvestigation and
 * concluded again comes back the same way: the record leaves "returned"
 * for "accepted", the clock resumes with the days paused added, the new
 * findings replace the old, and review.accepted tells the case.
 *
 * A conclusion published while no review plugin was loaded
 * (review_loaded false) is the cases plugin's to decide: it is left alone,
 * so loading this plugin takes over new concluded cases only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

/* The first active review office of the county ("" when it has none). */
static const char *review_office(json_t *org)
{
	const char *code;
	json_t *u;

	json_object_foreach(json_object_get(org, "units"), code, u)
	{
		if (strcmp(jstr(u, "kind", ""), "review_office") == 0 &&
		    strcmp(jstr(u, "status", ""), "retired") != 0)
			return code;
	}
	return "";
}

static void exclude(json_t *ex, const char *users, const char *reason)
{
	for (const char *p = users; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char who[65];

		snprintf(who, sizeof(who), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		if (who[0] && json_object_get(ex, who) == NULL)
			json_object_set_new(ex, who, json_string(reason));
		p = end ? end + 1 : NULL;
	}
}

/* Who may not review this case, and why (查审分离). */
static json_t *excluded(const json_t *pl)
{
	json_t *h = json_object_get(pl, "handlers"), *ex = json_object(), *v;
	size_t i;

	exclude(ex, jstr(h, "lead_handler", ""), "handled the lead");
	exclude(ex, jstr(h, "lead_team", ""), "sat on the verification team");
	exclude(ex, jstr(h, "handler", ""), "handled the case");
	exclude(ex, jstr(h, "team", ""), "sat on the investigation team");
	json_array_foreach(json_object_get(h, "measures"), i, v)
	    exclude(ex, json_string_value(v), "proposed or approved a measure in this case");
	exclude(ex, jstr(h, "concluded_by", ""), "proposed the conclusion of the investigation");
	exclude(ex, jstr(h, "conclusion_approved_by", ""),
		"approved the conclusion of the investigation");
	return ex;
}

static void set_json(struct rctx *c, const char *field, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (text == NULL)
		host->mut_fail(c->m);
	else
		host->mut_set(c->m, field, text);
	free(text);
}

/* The investigators' findings per person: "proposal.<n>", and "persons" 1..n. */
static void findings(struct rctx *c, const json_t *pl)
{
	long long n = json_integer_value(json_object_get(pl, "persons"));
	json_t *props = json_object_get(pl, "proposals"), *p;
	char field[32], persons[400] = "";
	size_t i, used = 0;

	if (n < 0 || n > 50)
		n = 0;
	for (long long k = 1; k <= n; k++) {
		int w =
		    snprintf(persons + used, sizeof(persons) - used, "%s%lld", k > 1 ? "," : "", k);

		if (w > 0 && (size_t)w < sizeof(persons) - used)
			used += (size_t)w;
	}
	host->mut_set(c->m, "persons", persons);
	json_array_foreach(props, i, p)
	{
		long long k = json_integer_value(json_object_get(p, "person"));

		if (k < 1 || k > n)
			continue;
		snprintf(field, sizeof(field), "proposal.%lld", k);
		set_json(c, field, p);
	}
	host->mut_set(c->m, "materials", jstr(pl, "materials", ""));
}

static void on_applied(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct rctx *c = arg;

	(void)res;
	if (rc != JD_OK)
		host->log(self, JD_LOG_WARN, "conclusion of case %s not applied rc=%d", c->id, rc);
	else
		review_note_tenant(c->tenant);
	rctx_free(c);
}

static void submit_event(struct rctx *c, long long version, const char *action)
{
	/* the event is the cause: the core finishes it whatever this returns */
	if (host->mut_submit(self, c->m,
			     &(const struct jd_mutation){.tenant = c->tenant,
							 .record = c->record,
							 .expect_version = version,
							 .action = action,
							 .cause = c->cause},
			     on_applied, c) != JD_OK)
		rctx_free(c);
}

/* The file is received on the day the conclusion was approved (a date entered after the fact
 * too), never later than today. */
static void received_day(struct rctx *c)
{
	jd_day d;

	if (host->day_parse(jstr(c->cause->payload, "concluded", ""), &d) == JD_OK &&
	    d <= host->day_today())
		c->day = d;
}

static void create(struct rctx *c)
{
	const json_t *pl = c->cause->payload;
	const char *unit =
	    jstr(pl, "filing_unit", "")[0] ? jstr(pl, "filing_unit", "") : jstr(pl, "unit", "");
	char date[11], score[24];

	received_day(c);
	host->day_format(c->day, date);
	host->mut_set(c->m, "kind", "review");
	host->mut_set(c->m, "case", c->id);
	host->mut_set(c->m, "lead", jstr(pl, "lead", ""));
	host->mut_set(c->m, "case_unit", jstr(pl, "unit", ""));
	host->mut_set(c->m, "count_unit", unit);
	host->mut_set(c->m, "unit", review_office(c->org));
	host->mut_set(c->m, "received", date);
	host->mut_set(c->m, "event", c->cause->id);
	set_json(c, "excluded", json_object_get(c->aux, "excluded"));
	findings(c, pl);
	snprintf(score, sizeof(score), "%ld", host->day_number(c->day));
	host->mut_op(c->m, JD_OP_ZADD, "reviews:all", c->id, score);
	host->machine_move(self, &review_machine, c->m, c->id, NULL, "received", c->day);
	cnt_received(c->m, unit, 0, c->day, 1);
	submit_event(c, JD_VERSION_NEW, "review.review.receive");
}

static jd_day paused_since(struct rctx *c)
{
	jd_day d;

	return host->day_parse(rec_str(c, "state_since"), &d) == JD_OK ? d : 0;
}

/* Back from a return: the clock resumes with the days paused added. */
static void resume(struct rctx *c)
{
	const json_t *pl = c->cause->payload;
	jd_day paused, due;
	long days = 0;
	char date[11];

	received_day(c);
	if (c->day < paused_since(c))
		c->day = paused_since(c);
	if (host->day_parse(rec_str(c, "paused_on"), &paused) == JD_OK)
		days = (long)(c->day - paused);
	if (days < 0)
		days = 0;
	host->mut_setf(c->m, "paused_days", "%lld", rec_int(c, "paused_days") + days);
	host->mut_del(c->m, "paused_on");
	if (host->day_parse(rec_str(c, "clock_due"), &due) == JD_OK)
		clock_put(c, due + days);
	host->deadline_drop(&review_machine, c->m, c->id, "supplementary");
	set_json(c, "excluded", json_object_get(c->aux, "excluded"));
	findings(c, pl);
	host->machine_move(self, &review_machine, c->m, c->id, "returned", "accepted", c->day);
	host->day_format(c->day, date);
	host->mut_event(c->m, "review.accepted",
			json_pack("{s:s, s:s, s:s, s:s}", "tenant", c->tenant, "case", c->id,
				  "review", c->id, "date", date));
	submit_event(c, c->version, "review.review.resume");
}

static void loaded(struct rctx *c)
{
	if (c->rec == NULL) {
		rctx_org(c, create);
		return;
	}
	if (strcmp(rec_str(c, "state"), "returned") == 0) {
		resume(c);
		return;
	}
	host->log(self, JD_LOG_WARN, "case %s concluded again while its review is %s; ignored",
		  c->id, rec_str(c, "state"));
	host->event_done(self, c->cause, JD_OK);
	rctx_free(c);
}

static int on_concluded(const struct jd_event *ev, void *arg)
{
	const char *no = json_string_value(json_object_get(ev->payload, "case"));
	struct rctx *c;
	int rc;

	(void)arg;
	if (!json_is_true(json_object_get(ev->payload, "review_loaded"))) {
		/* concluded before a review plugin was loaded: the case decides directly */
		host->event_done(self, ev, JD_OK);
		return JD_OK;
	}
	if (no == NULL || no[0] == '\0' || strlen(no) > 32 || !ids_valid(no, 0)) {
		host->log(self, JD_LOG_WARN,
			  "case.investigation_concluded %s: no valid case; ignored", ev->id);
		host->event_done(self, ev, JD_OK);
		return JD_OK;
	}
	if ((c = rctx_new(NULL, ev->tenant, no)) == NULL)
		return JD_E_NOMEM;
	c->cause = ev;
	c->aux = json_pack("{s:o}", "excluded", excluded(ev->payload));
	rc = c->aux ? rctx_read(c, loaded) : JD_E_NOMEM;
	if (rc != JD_OK) {
		c->cause = NULL;
		rctx_free(c);
	}
	return rc; /* an error: delivered again */
}

int receive_subscribe(void)
{
	return host->on_event(self, "case.investigation_concluded", on_concluded, NULL);
}
