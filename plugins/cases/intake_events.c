/*
 * Leads raised by another plugin through a durable event: the supervision
 * plugin's "supervision.lead_raised" (docs/cases.md, "Leads from
 * supervision"; docs/supervision.md, "The lead contract").
 *
 * Payload {tenant, lead, finding, source_record, unit, received, subject,
 * allegation, blind_name?, blind_idn?}: the lead's id was chosen by the
 * publisher, and subject ("subject.1") and allegation arrive sealed for
 * this lead's record ("lead", <id>, field), so they are stored as they are
 * and no plaintext ever travels in the stream.  The lead is registered
 * with source self_supervision and links back to the record that raised
 * it ("source_record", "finding", "origin").  One mutation keyed by the
 * event (.cause): a redelivery, or a restart between the publishing
 * mutation and this one, changes nothing twice.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cases.h"

static const char *pstr(const struct jd_event *ev, const char *k)
{
	const char *v = json_string_value(json_object_get(ev->payload, k));

	return v ? v : "";
}

static void on_lead_applied(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;

	(void)res;
	if (rc == JD_OK)
		deadlines_note_tenant(c->tenant);
	else
		host->log(self, JD_LOG_WARN, "lead from supervision not applied lead=%s rc=%d",
			  c->id, rc);
	ctx_free(c);
}

/* The subject's blind indexes, as subjects.c keys them ("subj:<what>:<blind>:lead"). */
static void subject_index(struct ctx *c, const struct jd_event *ev)
{
	static const char *const what[2][2] = {{"blind_idn", "idn"}, {"blind_name", "name"}};
	char key[128], score[24];

	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	for (size_t i = 0; i < 2; i++) {
		const char *b = pstr(ev, what[i][0]);

		if (strlen(b) != 32 || !ids_valid(b, 0))
			continue;
		snprintf(key, sizeof(key), "subj:%s:%s:lead", what[i][1], b);
		host->mut_op(c->m, JD_OP_ZADD, key, c->record, score);
	}
}

static int payload_valid(const struct jd_event *ev, jd_day *received)
{
	const char *lead = pstr(ev, "lead"), *unit = pstr(ev, "unit");

	return strlen(lead) == 32 && ids_valid(lead, 0) && *unit && ids_valid(unit, 0) &&
	       strncmp(pstr(ev, "subject"), "s1.", 3) == 0 &&
	       strncmp(pstr(ev, "allegation"), "s1.", 3) == 0 &&
	       host->day_parse(pstr(ev, "received"), received) == JD_OK;
}

static int on_lead_raised(const struct jd_event *ev, void *arg)
{
	struct ctx *c;
	jd_day day;
	char date[11], score[24];

	(void)arg;
	if (!payload_valid(ev, &day)) {
		host->log(self, JD_LOG_WARN, "%s %s: not a valid lead; ignored", ev->name, ev->id);
		host->event_done(self, ev, JD_OK);
		return JD_OK;
	}
	if ((c = ctx_new(NULL, KIND_LEAD, ev->tenant, pstr(ev, "lead"))) == NULL)
		return JD_E_NOMEM;
	host->day_format(day, date);
	host->mut_set(c->m, "source", "self_supervision");
	host->mut_set(c->m, "unit", pstr(ev, "unit"));
	host->mut_set(c->m, "groups", "");
	host->mut_set(c->m, "deny", "");
	host->mut_set(c->m, "handling", "self");
	host->mut_set(c->m, "received", date);
	host->mut_set(c->m, "created_by", ev->publisher);
	host->mut_setf(c->m, "created_at", "%lld", (long long)time(NULL));
	host->mut_set(c->m, "late", day < host->day_today() ? "1" : "0");
	host->mut_set(c->m, "subjects", "1");
	host->mut_set(c->m, "dispositions", "0");
	host->mut_set(c->m, "subject.1", pstr(ev, "subject"));
	host->mut_set(c->m, "allegation", pstr(ev, "allegation"));
	host->mut_set(c->m, "origin", ev->publisher);
	host->mut_set(c->m, "source_record", pstr(ev, "source_record"));
	host->mut_set(c->m, "finding", pstr(ev, "finding"));
	subject_index(c, ev);
	snprintf(score, sizeof(score), "%lld", (long long)time(NULL));
	host->mut_op(c->m, JD_OP_ZADD, "leads:all", c->id, score);
	move_state(c, NULL, "registered", day);
	cnt_lead_received(c->m, pstr(ev, "unit"), "self_supervision", day, 1);
	/* the event is the cause: the core finishes it whatever this returns */
	if (host->mut_submit(self, c->m,
			     &(const struct jd_mutation){.tenant = c->tenant,
							 .record = c->record,
							 .expect_version = JD_VERSION_NEW,
							 .action = "cases.lead.create.from_event",
							 .cause = ev},
			     on_lead_applied, c) != JD_OK)
		ctx_free(c);
	return JD_OK;
}

int intake_subscribe(void)
{
	return host->on_event(self, "supervision.lead_raised", on_lead_raised, NULL);
}
