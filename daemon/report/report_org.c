/* The report's organization section (report_org.h). */
#include "report/report_org.h"

#include <string.h>

#include "org/org_snapshot.h"
#include "security/auth.h"

enum {
	F_CENTRALIZED,
	F_CENTRALIZED_SHARE,
	F_MODE_TASK_FORCE,
	F_MODE_AREA,
	F_MODE_JOINT_GROUP,
	F_STAFFING,
	F_AGENCY_STAFFING,
	F_POSTS_MOVED,
	F_LEADERSHIP_MOVED,
	F_MOVED_SHARE,
	F_BREACHES,
	N_FIGURES
};

static const struct jd_report_figure figures[] = {
    [F_CENTRALIZED] =
	{"org.centralized_tenants", "Counties in centralized office", "集中办公县区数", "count",
	 "counties (county-level tenants) marked centralized in the tenant record, "
	 "at the end of the month of the range's last day (the organization's history; "
	 "today's while that month runs); \"of\" is the counties the tenant rolls up "
	 "today; once per county"},
    [F_CENTRALIZED_SHARE] = {"org.centralized_share", "Share of counties in centralized office",
			     "集中办公县区占比", "percent",
			     "centralized counties / counties rolled up, at the end of the month"},
    [F_MODE_TASK_FORCE] =
	{"org.modes_task_force", "Counties working as task forces", "实行专班模式的县区", "count",
	 "counties whose tenant record lists mode task_force, at the end of the month"},
    [F_MODE_AREA] = {"org.modes_area", "Counties working by area", "实行片区协作的县区", "count",
		     "counties whose tenant record lists mode area, at the end of the month"},
    [F_MODE_JOINT_GROUP] =
	{"org.modes_joint_group", "Counties working in joint groups", "实行联合组模式的县区",
	 "count",
	 "counties whose tenant record lists mode joint_group, at the end of the "
	 "month"},
    [F_STAFFING] = {"org.staffing_rate", "Staffing rate", "编制配备率", "percent",
		    "people in post (active, started) / approved posts, of every active unit, "
		    "summed over the counties, at the end of the month"},
    [F_AGENCY_STAFFING] = {"org.agency_staffing_rate", "Staffing rate of the agencies",
			   "派驻机构配备率", "percent",
			   "as org.staffing_rate, over the dispatched agencies only"},
    [F_POSTS_MOVED] = {"org.posts_moved", "Posts moved to the front line", "调剂编制数", "count",
		       "posts moved out of dispatched agencies by recorded post transfers, all "
		       "dates to the end of the month, once per post"},
    [F_LEADERSHIP_MOVED] = {"org.leadership_posts_moved", "Leadership posts moved", "调剂领导职数",
			    "count", "of org.posts_moved, the leadership posts, once per post"},
    [F_MOVED_SHARE] =
	{"org.posts_moved_share", "Share of agency posts moved", "调剂编制占比", "percent",
	 "posts moved / (agency posts + posts moved), at the end of the month: the share of the "
	 "agencies' posts before the moves"},
    [F_BREACHES] = {"org.rule_breaches", "Agencies breaking the staffing rule",
		    "未达配备要求的派驻机构", "count",
		    "active dispatched agencies without 1 head, 1 deputy and 2 cadres in post, "
		    "at the end of the month; once per agency"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct jd_report_section jd_report_org_section = {
    .name = "organization", .title = "Organization", .title_zh = "机构与队伍", .figures = figures};

size_t jd_report_org_count(void)
{
	return N_FIGURES;
}

static void set(struct jd_report_value *v, const json_t *x)
{
	v->has_value = json_is_number(x);
	v->value = v->has_value ? json_number_value(x) : 0;
	v->has_previous = 0;
	v->previous = 0;
}

static const json_t *at(const json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

void jd_report_org_values(const json_t *r, struct jd_report_value *out)
{
	set(&out[F_CENTRALIZED], at(r, "counties", "centralized"));
	set(&out[F_CENTRALIZED_SHARE], at(r, "counties", "share"));
	set(&out[F_MODE_TASK_FORCE], at(r, "modes", "task_force"));
	set(&out[F_MODE_AREA], at(r, "modes", "area"));
	set(&out[F_MODE_JOINT_GROUP], at(r, "modes", "joint_group"));
	set(&out[F_STAFFING], at(r, "staffing", "rate"));
	set(&out[F_AGENCY_STAFFING], at(r, "staffing", "agency_rate"));
	set(&out[F_POSTS_MOVED], at(r, "transfers", "posts_moved"));
	set(&out[F_LEADERSHIP_MOVED], at(r, "transfers", "leadership_moved"));
	set(&out[F_MOVED_SHARE], at(r, "transfers", "share"));
	set(&out[F_BREACHES], at(r, "breaches", "count"));
}

int jd_report_org_decorate(json_t *figure, const json_t *report)
{
	if (strcmp(json_string_value(json_object_get(figure, "key")), figures[F_CENTRALIZED].key) !=
	    0)
		return 0;
	return json_object_set_new(
	    figure, "of", json_integer(jd_snap_int(json_object_get(report, "counties"), "total")));
}
