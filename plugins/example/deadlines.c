/*
 * A draft's review deadline (docs/plugins.md, "Deadlines"): the state
 * "draft" names its config key, review_days (states.c).  The host keeps
 * the deadline in the tenant's sorted set "notes:deadlines" in the same
 * mutation as the note's step, and its sweep publishes the notices
 * note.review_near and note.review_missed once per deadline and due
 * date.  They are notices (in memory, sent again by a later sweep if
 * lost), so this plugin only logs the missed ones: another plugin could
 * subscribe to them as well.
 */
#include "example.h"

/* Keys are the tenant's, shared by every plugin: ours start with "notes:". */
const struct jd_deadline_conf note_deadlines = {
    .index = "notes:deadlines",
    .sent = "notes:deadlines:sent",
    .near_key = "near_days",
    .near_days = 3,
    .interval_key = "check_interval_s",
    .interval_s = 3600,
    .event_near = "note.review_near",
    .event_missed = "note.review_missed",
    .notify_action = "example.deadline.notify",
};

static struct jd_sweeper *sweeper;

/* The sweep looks only at tenants noted here (once per process is enough). */
void deadlines_note_tenant(const char *tenant)
{
	host->sweeper_note_tenant(sweeper, tenant);
}

static void on_review_missed(const char *name, json_t *payload, void *arg)
{
	(void)name;
	(void)arg;
	host->log(self, JD_LOG_INFO, "review missed tenant=%s record=%s due=%s",
		  json_string_value(json_object_get(payload, "tenant")),
		  json_string_value(json_object_get(payload, "record")),
		  json_string_value(json_object_get(payload, "due")));
}

int deadlines_start(void)
{
	if ((sweeper = host->sweeper_start(self, &note_deadlines)) == NULL)
		return JD_E_INVALID; /* a bad check_interval_s: the host logged it */
	return host->subscribe(self, note_deadlines.event_missed, on_review_missed, NULL);
}

void deadlines_stop(void)
{
	host->sweeper_stop(sweeper);
	sweeper = NULL;
}
