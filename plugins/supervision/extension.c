/*
 * Extensions of an item's deadline: the rectifying unit requests one (days
 * and reason), the issuing side approves or refuses it.  The original
 * deadline ("deadline_orig") is kept and shown; an approved extension moves
 * "deadline", the deadline index and "items:open", and is kept in the
 * ledger of extensions ("ext.<n>": days|reason|date approved).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static void request_loaded(struct ctx *c)
{
	long long days = in_int(c, "days", 0);
	const char *reason = in_str(c, "reason");
	char date[11];

	if (ctx_version(c) != 0 || item_allowed(c, "extend") != 0 || item_date(c) != 0)
		return;
	if (*rec_str(c, "ext_pending") != '\0') {
		ctx_conflict(c, "awaiting_approval",
			     "item %s: an extension request already awaits the issuer", c->id);
		return;
	}
	if (days < 1 || days > 365 || reason == NULL || *reason == '\0' || strchr(reason, '|')) {
		ctx_invalid(c, "fields 'days' (1..365) and 'reason' (no '|') are required");
		return;
	}
	host->day_format(c->day, date);
	host->mut_setf(c->m, "ext_pending", "%lld|%s|%s|%s", days, date,
		       host->req_principal(c->req), reason);
	ctx_submit(c, "supervision.item.extend.request");
}

void item_extend(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "item", NULL, request_loaded);
}

static void decide_loaded(struct ctx *c)
{
	const char *p = rec_str(c, "ext_pending");
	json_t *approve = json_object_get(c->in, "approve");
	long long days = atoll(p), n;
	jd_day dl;
	char date[11], f[32];
	const char *reason;

	if (ctx_version(c) != 0)
		return;
	if (item_issuer_side(c) != 0)
		return;
	if (*p == '\0') {
		ctx_conflict(c, "nothing_pending", "item %s: no extension request awaits", c->id);
		return;
	}
	if (item_date(c) != 0)
		return;
	host->day_format(c->day, date);
	host->mut_del(c->m, "ext_pending");
	if (!json_is_true(approve)) {
		n = rec_int(c, "ext_refused") + 1;
		host->mut_setf(c->m, "ext_refused", "%lld", n);
		ctx_submit(c, "supervision.item.extend.refuse");
		return;
	}
	reason = strrchr(p, '|') ? strrchr(p, '|') + 1 : "";
	if (host->day_parse(rec_str(c, "deadline"), &dl) != JD_OK) {
		ctx_fail(c, JD_ERR);
		return;
	}
	dl += days;
	n = rec_int(c, "extensions") + 1;
	host->mut_setf(c->m, "extensions", "%lld", n);
	snprintf(f, sizeof(f), "ext.%lld", n);
	host->mut_setf(c->m, f, "%lld|%s|%s", days, reason, date);
	host->mut_setf(c->m, "ext_days", "%lld", rec_int(c, "ext_days") + days);
	host->day_format(dl, date);
	host->mut_set(c->m, "deadline", date);
	item_open_put(c->m, c->id, rec_str(c, "unit"), dl);
	ctx_submit(c, "supervision.item.extend.approve");
}

void item_extend_decide(jd_req *req, void *arg)
{
	(void)arg;
	ctx_route(req, "item", NULL, decide_loaded);
}
