/*
 * The supervision section of the leaders' report (GET /v1/report,
 * docs/report.md): the seed's supervision figures from the counters of
 * GET /v1/supervision/stats; the core runs the statistics query.
 */
#include "supervision.h"

enum {
	R_PERSON_TIMES,
	R_TALKS,
	R_LETTERS,
	R_ISSUED,
	R_RECTIFIED,
	R_ON_TIME_SHARE,
	R_RULES,
	R_LEADS,
	R_SCORE,
	N_FIGURES
};

static const struct jd_report_figure figures[] = {
    [R_PERSON_TIMES] = {"supervision.talks_person_times", "Talks (person-times)", "约谈人次",
			"count",
			"persons talked to, summed over the talks held in the range (by the "
			"talk's date): once per person per talk"},
    [R_TALKS] = {"supervision.talks", "Talks held", "约谈次数", "count",
		 "talks held in the range (by the talk's date), once per talk"},
    [R_LETTERS] = {"supervision.letters_and_recommendations", "Prompt letters and recommendations",
		   "提示函和纪检监察建议", "count",
		   "prompt letters and supervision recommendations sent in the range (by the date "
		   "sent), once per letter"},
    [R_ISSUED] = {"supervision.items_issued", "Problems issued for rectification", "交办整改问题",
		  "count", "items issued in the range (by the date issued), once per item"},
    [R_RECTIFIED] = {"supervision.items_rectified", "Problems rectified", "推动整改问题", "count",
		     "items closed (销号) in the range (by the closing date) and not found "
		     "rebounded since, once per item"},
    [R_ON_TIME_SHARE] = {"supervision.items_on_time_share", "Share rectified on time", "按期整改率",
			 "percent",
			 "of supervision.items_rectified, those closed on or before their "
			 "deadline (approved extensions included)"},
    [R_RULES] = {"supervision.rules_established", "Rules established", "建章立制", "count",
		 "rules adopted in the range (by the adoption date), once per rule"},
    [R_LEADS] = {"supervision.leads_raised", "Leads raised from supervision", "移送问题线索",
		 "count", "findings approved as leads in the range (by the approval's date)"},
    [R_SCORE] = {"supervision.task_average_score", "Average score of tasks assessed",
		 "任务考核平均分", "score",
		 "scores of the assessments made in the range / assessments (a 1+N matter: one "
		 "assessment)"},
    {NULL, NULL, NULL, NULL, NULL},
};

static void count(struct jd_report_value *v, const struct jd_stats_result *r, int m)
{
	*v = (struct jd_report_value){(double)r->sum[m][0], (double)r->sum[m][1], 1, r->compare};
}

/* part / whole, times scale (100: a share; 1: an average) */
static void ratio(struct jd_report_value *v, const struct jd_stats_result *r, int part, int whole,
		  double scale)
{
	v->has_value = r->sum[whole][0] > 0;
	v->value = v->has_value ? scale * (double)r->sum[part][0] / (double)r->sum[whole][0] : 0;
	v->has_previous = r->compare && r->sum[whole][1] > 0;
	v->previous =
	    v->has_previous ? scale * (double)r->sum[part][1] / (double)r->sum[whole][1] : 0;
}

static void values_of(const struct jd_stats_result *r, struct jd_report_value *v)
{
	count(&v[R_PERSON_TIMES], r, M_PERSONS);
	count(&v[R_TALKS], r, M_TALKS);
	count(&v[R_LETTERS], r, M_PROMPT);
	v[R_LETTERS].value += (double)r->sum[M_RECOMMENDATION][0];
	v[R_LETTERS].previous += (double)r->sum[M_RECOMMENDATION][1];
	count(&v[R_ISSUED], r, M_ISSUED);
	count(&v[R_RECTIFIED], r, M_RECTIFIED);
	ratio(&v[R_ON_TIME_SHARE], r, M_ON_TIME, M_RECTIFIED, 100);
	count(&v[R_RULES], r, M_RULES);
	count(&v[R_LEADS], r, M_LEADS);
	ratio(&v[R_SCORE], r, M_SCORE, M_ASSESSED, 1);
}

static const struct jd_report_section section = {
    .name = "supervision",
    .title = "Supervision",
    .title_zh = "日常监督",
    .figures = figures,
    .counters = &sup_counters,
    .values = values_of,
};

/* init() has checked that the host is of our minor: the slot is there */
int report_declare(void)
{
	return host->report_register(self, &section, NULL, NULL);
}
