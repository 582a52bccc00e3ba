/*
 * The review section of the leaders' report (GET /v1/report,
 * docs/report.md): the review figures of docs/review.md from the counters
 * of GET /v1/review/stats; the core runs the statistics query.
 */
#include "review.h"

enum {
	R_RECEIVED,
	R_ACCEPTED,
	R_COMPLETED,
	R_ON_TIME_SHARE,
	R_RETURNED,
	R_CHANGED,
	R_MEDIAN_DAYS,
	R_APPEALS,
	N_FIGURES
};

static const struct jd_report_figure figures[] = {
    [R_RECEIVED] = {"review.received", "Cases received for review", "移送审理案件", "count",
		    "review records created from a concluded case, by the conclusion's date, once "
		    "per case (appeals not included)"},
    [R_ACCEPTED] = {"review.accepted", "Reviews accepted", "受理审理", "count",
		    "reviews accepted, by the acceptance date, once per review"},
    [R_COMPLETED] = {"review.completed", "Reviews completed", "审结", "count",
		     "reviews whose decision a leader approved, by that date, once per review"},
    [R_ON_TIME_SHARE] = {"review.completed_on_time_share", "Share completed on time", "按期审结率",
			 "percent",
			 "of review.completed, those completed on or before the clock's due date "
			 "(pauses and extension included)"},
    [R_RETURNED] = {"review.returned", "Returned for further investigation",
		    "退回补充调查或重新调查", "count",
		    "returns for supplementary investigation or reinvestigation, by their date, "
		    "once per return"},
    [R_CHANGED] = {"review.changed_by_review",
		   "Persons whose characterization or sanction "
		   "review changed",
		   "审理改变定性或处分人数", "count",
		   "persons whose characterization or sanction the review changed, at completion, "
		   "once per person"},
    [R_MEDIAN_DAYS] = {"review.median_days", "Median days to complete", "审理用时中位数", "days",
		       "median of the days from acceptance to completion less the days paused, "
		       "over the reviews completed in the range (exact to 60 days; 90, 120 beyond; "
		       "null past 120)"},
    [R_APPEALS] = {"review.appeals_received", "Appeals received", "受理申诉", "count",
		   "appeals opened, by the date opened, once per appeal"},
    {NULL, NULL, NULL, NULL, NULL},
};

static void count(struct jd_report_value *v, const struct jd_stats_result *r, const char *m)
{
	*v = (struct jd_report_value){(double)review_sum(r, m, 0), (double)review_sum(r, m, 1), 1,
				      r->compare};
}

static void values_of(const struct jd_stats_result *r, struct jd_report_value *v)
{
	long long done[2] = {review_sum(r, "completed", 0), review_sum(r, "completed", 1)};
	long long on_time[2] = {review_sum(r, "completed.on_time", 0),
				review_sum(r, "completed.on_time", 1)};
	long median[2] = {review_quantile(r, 0, 5), review_quantile(r, 1, 5)};

	count(&v[R_RECEIVED], r, "received");
	count(&v[R_ACCEPTED], r, "accepted");
	count(&v[R_COMPLETED], r, "completed");
	v[R_ON_TIME_SHARE] =
	    (struct jd_report_value){done[0] > 0 ? 100.0 * (double)on_time[0] / (double)done[0] : 0,
				     done[1] > 0 ? 100.0 * (double)on_time[1] / (double)done[1] : 0,
				     done[0] > 0, r->compare && done[1] > 0};
	count(&v[R_RETURNED], r, "returned");
	count(&v[R_CHANGED], r, "changed");
	v[R_MEDIAN_DAYS] = (struct jd_report_value){(double)median[0], (double)median[1],
						    median[0] >= 0, r->compare && median[1] >= 0};
	count(&v[R_APPEALS], r, "appeals");
}

static const struct jd_report_section section = {
    .name = "review",
    .title = "Case review",
    .title_zh = "案件审理",
    .figures = figures,
    .counters = &review_counters,
    .values = values_of,
};

/* init() has checked that the host is of our minor: the slot is there */
int report_declare(void)
{
	return host->report_register(self, &section, NULL, NULL);
}
