/*
 * The cases section of the leaders' report (GET /v1/report, docs/report.md):
 * the seed's case figures from the same counters as GET /v1/cases/stats:
 * the core runs the statistics query, values_of names the figures.
 */
#include <stddef.h>

#include "cases.h"

enum {
	R_DISPOSED,
	R_FILED,
	R_SANCTIONED,
	R_AGENCIES_SHARE,
	R_SELF_HANDLED,
	R_SELF_SHARE,
	R_SELF_FOUND,
	R_TRANSFERRED,
	R_RECEIVED,
	R_SOURCE, /* one figure per lead source, in the order of sources[] below */
	N_FIGURES = R_SOURCE + 7
};

static const struct jd_report_figure figures[] = {
    [R_DISPOSED] = {"cases.leads_disposed", "Leads disposed", "处置问题线索", "count",
		    "dispositions approved in the range (by the approval's date), once per "
		    "disposition: an escalation from talk inquiry to verification counts again; "
		    "receiving unit"},
    [R_FILED] = {"cases.cases_filed", "Cases filed", "立案", "count",
		 "cases filed in the range (by the date filed), once per case; filing unit"},
    [R_SANCTIONED] = {"cases.persons_sanctioned", "Persons sanctioned", "处分人数", "count",
		      "persons decided in the range (by the decision's date) with a party or a "
		      "government sanction, once per person and decision"},
    [R_AGENCIES_SHARE] = {"cases.agencies_filed_share", "Share of agencies that filed a case",
			  "立案派驻机构占比", "percent",
			  "active dispatched agencies with a case filed in the range / active "
			  "dispatched agencies (today's, for both years)"},
    [R_SELF_HANDLED] = {"cases.self_handled", "Cases self-handled", "自办案件", "count",
			"of cases.cases_filed, those a dispatched agency filed and handles itself "
			"alone (filing unit an agency, handling unit the same, no joint units); a "
			"case filed or led by an office or a township is filed, not self-handled; "
			"once per case"},
    [R_SELF_SHARE] = {"cases.self_handled_share", "Share of cases self-handled", "自办案件占比",
		      "percent", "cases.self_handled / cases.cases_filed"},
    [R_SELF_FOUND] = {"cases.leads_self_discovered", "Leads self-discovered", "自主发现问题线索",
		      "count",
		      "leads registered in the range (by the date received) with source "
		      "self_supervision or self_investigation, once per lead"},
    [R_TRANSFERRED] = {"cases.transferred", "Leads transferred by other bodies", "移送问题线索",
		       "count",
		       "leads registered in the range (by the date received) with source "
		       "inspection_tour, audit, judicial or other_body, once per lead"},
    [R_RECEIVED] = {"cases.leads_received", "Leads received", "受理问题线索", "count",
		    "leads registered in the range (by the date received), once per lead"},
#define SOURCE_FIGURE(src, en, zh)                                                                 \
	{                                                                                          \
		"cases.leads_source_" src, "Leads from " en, zh, "count",                          \
		    "leads registered in the range (by the date received) with source " src        \
		    ", once per "                                                                  \
		    "lead; the sources together make cases.leads_received"                         \
	}
    SOURCE_FIGURE("letters_visits", "letters and visits", "信访举报线索"),
    SOURCE_FIGURE("inspection_tour", "inspection tours", "巡视巡察移交线索"),
    SOURCE_FIGURE("audit", "audit", "审计移送线索"),
    SOURCE_FIGURE("judicial", "judicial bodies", "司法机关移送线索"),
    SOURCE_FIGURE("other_body", "other bodies", "其他机关移送线索"),
    SOURCE_FIGURE("self_supervision", "daily supervision (self-discovered)", "日常监督发现线索"),
    SOURCE_FIGURE("self_investigation", "investigation (self-discovered)", "审查调查发现线索"),
#undef SOURCE_FIGURE
    {NULL, NULL, NULL, NULL, NULL},
};

/* the counters of the source figures, in their order */
static const char *const sources[] = {
    "received.letters_visits",	  "received.inspection_tour", "received.audit",
    "received.judicial",	  "received.other_body",      "received.self_supervision",
    "received.self_investigation"};
_Static_assert(sizeof(sources) / sizeof(sources[0]) == N_FIGURES - R_SOURCE,
	       "a figure per lead source");

static void count(struct jd_report_value *v, long long cur, long long prev, int compare)
{
	*v = (struct jd_report_value){(double)cur, (double)prev, 1, compare};
}

static void share(struct jd_report_value *v, long long part[2], long long whole[2], int compare)
{
	v->has_value = whole[0] > 0;
	v->value = v->has_value ? 100.0 * (double)part[0] / (double)whole[0] : 0;
	v->has_previous = compare && whole[1] > 0;
	v->previous = v->has_previous ? 100.0 * (double)part[1] / (double)whole[1] : 0;
}

static void metric(struct jd_report_value *v, const struct jd_stats_result *r, const char *name)
{
	const char *names[] = {name, NULL};

	count(v, cases_sum(r, names, 0), cases_sum(r, names, 1), r->compare);
}

static void values_of(const struct jd_stats_result *r, struct jd_report_value *v)
{
	static const char *const filed[] = {"filed", NULL}, *const own[] = {"filed.self", NULL};
	long long f[2] = {cases_sum(r, filed, 0), cases_sum(r, filed, 1)};
	long long o[2] = {cases_sum(r, own, 0), cases_sum(r, own, 1)};
	long long total[2] = {r->agencies_total, r->agencies_total};
	long long with[2] = {r->agencies_with[0], r->agencies_with[1]};

	metric(&v[R_DISPOSED], r, "disposed");
	metric(&v[R_FILED], r, "filed");
	metric(&v[R_SANCTIONED], r, "sanctioned");
	share(&v[R_AGENCIES_SHARE], with, total, r->compare);
	metric(&v[R_SELF_HANDLED], r, "filed.self");
	share(&v[R_SELF_SHARE], o, f, r->compare);
	count(&v[R_SELF_FOUND], cases_sum(r, cases_self_found, 0),
	      cases_sum(r, cases_self_found, 1), r->compare);
	count(&v[R_TRANSFERRED], cases_sum(r, cases_transferred, 0),
	      cases_sum(r, cases_transferred, 1), r->compare);
	metric(&v[R_RECEIVED], r, "received");
	for (size_t i = 0; i < N_FIGURES - R_SOURCE; i++)
		metric(&v[R_SOURCE + i], r, sources[i]);
}

static const struct jd_report_section section = {
    .name = "cases",
    .title = "Cases",
    .title_zh = "执纪审查",
    .figures = figures,
    .counters = &cases_counters,
    .agencies_with = "filed",
    .values = values_of,
};

/* init() has checked that the host is of our minor: the slot is there */
int report_declare(void)
{
	return host->report_register(self, &section, NULL, NULL);
}
