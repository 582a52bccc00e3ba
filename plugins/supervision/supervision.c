/*
 * The supervision plugin (监督): task lists and dispatch orders, talks,
 * prompt letters and recommendations, rectification items to the end
 * (整改销号), look-back, rules established, findings raised as leads in the
 * cases plugin, and the figures leaders report (docs/supervision.md).
 *
 * This file holds the descriptor, the config keys, the permissions, init
 * and fini; routes.c the route table; supervision.h says which file holds
 * what else.
 */
#include <stdio.h>

#include "supervision.h"

const struct jd_host *host;
jd_plugin_handle *self;

static int sup_init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	if (host->size < sizeof(struct jd_host) || host->record_visible == NULL ||
	    host->org_read == NULL || host->mut_new == NULL || host->on_event == NULL) {
		host->log(self, JD_LOG_ERR,
			  "this daemon lacks record scope, the organization, the domain services "
			  "or durable events: the supervision plugin needs them");
		return JD_ERR;
	}
	for (size_t i = 0; i < sup_n_routes; i++)
		if (host->route_add(self, &sup_routes[i]) != JD_OK)
			return JD_ERR;
	if (report_declare() != JD_OK || escalation_start() != JD_OK)
		return JD_ERR;
	host->log(self, JD_LOG_INFO, "supervision plugin ready, lookback_days=%ld",
		  (long)item_lookback_days());
	return JD_OK;
}

static void sup_fini(void)
{
	escalation_stop();
}

/* Who holds what by default (docs/supervision.md, "Permissions"); the admin holds all. */
static const struct jd_permission permissions[] = {
    {PERM_READ, "Supervision records in scope: items, talks, letters, rules, orders, the ledger",
     "leader,staff,auditor"},
    {PERM_WRITE,
     "Issue items, record talks, letters, rules, orders; a unit's steps on its items and orders",
     "leader,staff"},
    {PERM_REVIEW, "Review and close items, decide extensions, look back (the issuing side)",
     "leader,staff"},
    {PERM_APPROVE, "Approve or reject a finding as a lead; assess dispatch orders", "leader"},
    {PERM_SEALED, "Open talk content and findings (every open audited)", "leader,staff"},
    {PERM_STATS, "The figures for a range, a county or a roll-up", "leader,staff,viewer"},
    {PERM_ADMIN,
     "Recount every counter; assess an order instead of the group leader (reason audited)", ""},
    {NULL, NULL, NULL},
};

static const struct jd_config_key config_keys[] = {
    {"lookback_days", "90", "days after a closure (销号) when the look-back (回头看) is due"},
    {"escalate_days", "7",
     "days overdue (since the deadline or the item's last step) before the group leader is "
     "told; twice as many: the overseeing leader"},
    {"near_days", "7", "a deadline this close is due soon (supervision.due_soon)"},
    {"check_interval_s", "3600", "seconds between two deadline sweeps and escalation checks"},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "supervision", .version = "0.1.0",
		 .summary = "Dispatch orders, talks, letters, rectification to the end, look-back, "
			    "rules, and the figures leaders report",
		 .requires = NULL, .config = config_keys, .permissions = permissions,
		 .init = sup_init, .fini = sup_fini);
