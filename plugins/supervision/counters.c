/*
 * The figures, kept in the same atomic mutation as each change they count
 * (docs/supervision.md, "Counters"), bucketed by the event's own date.  The
 * host keeps them (counter_add: hashes "scnt:t", "scnt:u:<unit>", set
 * "scnt:units") and sums them (stats_query).  A group's task figures are
 * tenant metrics named "g.<group>.<what>" (a group is not a unit); stats.c
 * reads them with a table made from the county's groups.  recount.c
 * derives the same fields from the records through these functions.
 */
#include <stdio.h>

#include "supervision.h"

static const char *const metrics[] = {
    "talks",
    "talks.persons",
    "talks.leaders",
    "talks.key_posts",
    "letters.prompt",
    "letters.recommendation",
    "items.issued",
    "items.rectified",
    "items.on_time",
    "rules",
    "lookbacks",
    "lookbacks.rebound",
    "tasks.dispatched",
    "tasks.completed",
    "tasks.assessed",
    "tasks.score",
    "leads.raised",
    NULL,
};

const struct jd_counters sup_counters = {.prefix = "scnt", .metrics = metrics};

void cnt(struct jd_mut *m, const char *unit, const char *metric, jd_day d, long long by)
{
	host->counter_add(m, &sup_counters, unit, metric, d, by);
}

void cnt_group(struct jd_mut *m, const char *group, const char *metric, jd_day d, long long by)
{
	char name[128];

	if (group == NULL || *group == '\0')
		return;
	snprintf(name, sizeof(name), "g.%s.%s", group, metric);
	host->counter_add(m, &sup_counters, NULL, name, d, by);
}
