/*
 * The durable event the training plugin consumes (docs/cases.md, "Events"):
 * case.team_assigned {tenant, record, type, members} is published in the
 * mutation that sets a lead's verification team or a case's investigation
 * team, so a mentee on the team gets a practice record (业务实践) without a
 * call between the plugins.  members are the ids given as handler and team
 * (person or user ids); never a sealed value.
 */
#include <string.h>

#include "cases.h"

void team_event(struct ctx *c, const char *handler, const char *team)
{
	json_t *members = json_array(), *payload;
	const char *p = team;

	if (members == NULL) {
		host->mut_fail(c->m);
		return;
	}
	if (handler != NULL && *handler)
		json_array_append_new(members, json_string(handler));
	while (p != NULL && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		json_array_append_new(members, json_stringn(p, n));
		p = end ? end + 1 : NULL;
	}
	payload = json_pack("{s:s, s:s, s:s, s:o}", "tenant", c->tenant, "record", c->record,
			    "type", kind_type(c->kind), "members", members);
	if (payload == NULL) {
		host->mut_fail(c->m);
		return;
	}
	host->mut_event(c->m, "case.team_assigned", payload);
}
