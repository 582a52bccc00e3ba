/*
 * The review office checks the file (受理): it accepts the case (the
 * one-month clock starts, and review.accepted moves the case to
 * in_review), or names the materials missing; the case stays with the
 * investigators until they supply them, and the record is received again.
 */
#include <stdio.h>
#include <string.h>

#include "review.h"

static void accept_loaded(struct rctx *c)
{
	int appeal = strcmp(rec_str(c, "kind"), "appeal") == 0;
	char date[11];

	if (rctx_step_ok(c, "accept") != 0 || rctx_date(c, "the file was received") != 0)
		return;
	host->day_format(c->day, date);
	host->mut_set(c->m, "accepted", date);
	host->mut_set(c->m, "accepted_by", host->req_principal(c->req));
	clock_put(c, clock_month_after(c->day));
	cnt_accepted(c->m, rec_str(c, "count_unit"), appeal, c->day, 1);
	rctx_move(c, "accepted");
	if (!appeal)
		host->mut_event(c->m, "review.accepted",
				json_pack("{s:s, s:s, s:s, s:s}", "tenant", c->tenant, "case",
					  rec_str(c, "case"), "review", c->id, "date", date));
	rctx_submit(c, "review.review.accept");
}

void review_accept(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, accept_loaded);
}

static void missing_loaded(struct rctx *c)
{
	const char *what = in_str(c, "missing");

	if (rctx_step_ok(c, "missing") != 0 || rctx_date(c, "the file was received") != 0)
		return;
	if (what == NULL || what[0] == '\0') {
		rctx_invalid(c, "field 'missing': name the materials the file lacks");
		return;
	}
	host->mut_set(c->m, "missing", what);
	host->mut_setf(c->m, "missing_asked", "%lld", rec_int(c, "missing_asked") + 1);
	rctx_move(c, "awaiting_materials");
	rctx_submit(c, "review.review.missing");
}

void review_missing(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, missing_loaded);
}

static void supplied_loaded(struct rctx *c)
{
	if (rctx_step_ok(c, "supplied") != 0 || rctx_date(c, "the materials were asked for") != 0)
		return;
	host->mut_del(c->m, "missing");
	rctx_move(c, "received");
	rctx_submit(c, "review.review.supplied");
}

void review_supplied(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route_case(req, supplied_loaded);
}
