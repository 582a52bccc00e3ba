/*
 * The training section of the leaders' report (GET /v1/report,
 * docs/report.md): the figures of docs/training.md that are sums of the
 * counters (pair-months and the figures of now are the stats route's
 * own); the core runs the statistics query.
 */
#include "training.h"

enum {
	R_NEW,
	R_MATCHED,
	R_MATCHED_SHARE,
	R_MEDIAN_DAYS,
	R_PLANS_COMPLETED,
	R_ON_TIME_SHARE,
	R_TALKS,
	R_HOURS,
	R_PRACTICE,
	N_FIGURES
};

static const struct jd_report_figure figures[] = {
    [R_NEW] = {"training.new_cadres", "New cadres", "新进干部数", "count",
	       "mentees registered whose start date is in the range, once per mentee"},
    [R_MATCHED] = {"training.matched_both_mentors", "New cadres with both mentors",
		   "双导师配齐人数", "count",
		   "of training.new_cadres, those who got both mentors (ever), once per mentee"},
    [R_MATCHED_SHARE] = {"training.both_mentors_share", "Share with both mentors", "双导师配备率",
			 "percent", "training.matched_both_mentors / training.new_cadres"},
    [R_MEDIAN_DAYS] = {"training.median_days_to_matched", "Median days to both mentors",
		       "配齐用时中位数", "days",
		       "median of the days from the start date to the approval of the second "
		       "mentor, over the matched of the cohort (null beyond 180)"},
    [R_PLANS_COMPLETED] = {"training.plans_completed", "Training plans completed", "完成培养计划数",
			   "count",
			   "plans completed in the range (by the completion date), once per plan"},
    [R_ON_TIME_SHARE] = {"training.milestones_on_time_share", "Share of milestones on time",
			 "培养节点按期完成率", "percent",
			 "milestones done in the range on or before their due date / milestones "
			 "done in the range"},
    [R_TALKS] = {"training.talks", "Mentoring talks", "谈心谈话次数", "count",
		 "mentoring talks dated in the range, once per talk"},
    [R_HOURS] = {"training.credit_hours", "Credit hours", "学时", "count",
		 "hours earned (present or late) at sessions dated in the range, summed over the "
		 "attendees"},
    [R_PRACTICE] = {"training.practice_records", "Practice on case teams", "业务实践记录", "count",
		    "mentees counted on a case team in the range, once per team joined"},
    {NULL, NULL, NULL, NULL, NULL},
};

static void count(struct jd_report_value *v, const struct jd_stats_result *r, const char *m)
{
	*v = (struct jd_report_value){(double)training_sum(r, m, 0), (double)training_sum(r, m, 1),
				      1, r->compare};
}

static void share(struct jd_report_value *v, const struct jd_stats_result *r, const char *part,
		  const char *whole)
{
	long long a[2] = {training_sum(r, part, 0), training_sum(r, part, 1)};
	long long b[2] = {training_sum(r, whole, 0), training_sum(r, whole, 1)};

	*v = (struct jd_report_value){b[0] > 0 ? 100.0 * (double)a[0] / (double)b[0] : 0,
				      b[1] > 0 ? 100.0 * (double)a[1] / (double)b[1] : 0, b[0] > 0,
				      r->compare && b[1] > 0};
}

static void values_of(const struct jd_stats_result *r, struct jd_report_value *v)
{
	long median[2] = {training_median_days(r, 0), training_median_days(r, 1)};

	count(&v[R_NEW], r, "new");
	count(&v[R_MATCHED], r, "matched");
	share(&v[R_MATCHED_SHARE], r, "matched", "new");
	v[R_MEDIAN_DAYS] = (struct jd_report_value){
	    (double)median[0], (double)median[1], median[0] >= 0 && median[0] <= 180,
	    r->compare && median[1] >= 0 && median[1] <= 180};
	count(&v[R_PLANS_COMPLETED], r, "plans.complete");
	share(&v[R_ON_TIME_SHARE], r, "ms.ontime", "ms.done");
	count(&v[R_TALKS], r, "talks");
	count(&v[R_HOURS], r, "hours");
	count(&v[R_PRACTICE], r, "practice");
}

static const struct jd_report_section section = {
    .name = "training",
    .title = "Training of new cadres",
    .title_zh = "新进干部培养",
    .figures = figures,
    .counters = &training_counters,
    .values = values_of,
};

/* init() has checked that the host is of our minor: the slot is there */
int report_declare(void)
{
	return host->report_register(self, &section, NULL, NULL);
}
