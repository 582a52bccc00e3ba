/*
 * What a note counts (docs/plugins.md, "Counters and figures"): a note
 * created and a note published, each on the day the step is dated, added
 * by the host to day and month buckets of the tenant and of the note's
 * unit in the same mutation as the step.  The writers (notes.c, states.c)
 * and the recount (recount.c) call these same functions, so a recount
 * derives exactly what the writers added.
 */
#include "example.h"

static const char *const metrics[] = {"created", "published", NULL};

/* A prefix no other plugin uses: the hashes are "notes:cnt:t", "notes:cnt:u:<unit>". */
const struct jd_counters note_counters = {.prefix = "notes:cnt", .metrics = metrics};

void count_created(struct jd_mut *m, const char *unit, jd_day d, int sign)
{
	host->counter_add(m, &note_counters, unit, "created", d, sign);
}

void count_published(struct jd_mut *m, const char *unit, jd_day d, int sign)
{
	host->counter_add(m, &note_counters, unit, "published", d, sign);
}
