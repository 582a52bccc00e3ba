/*
 * The example's section of the leaders' report (docs/plugins.md, "The
 * report hook"; docs/report.md): its figures declared as data, answered
 * from its counters.  The core runs the statistics query for each
 * question (the range, each month, each county) and values_of names the
 * figures, one value per declared figure in order.
 */
#include "example.h"

static const struct jd_report_figure figures[] = {
    {"example.notes_created", "Notes created", "新建笔记", "count",
     "notes created in the range (by the note's date), once per note"},
    {"example.notes_published", "Notes published", "发布笔记", "count",
     "notes whose publication a leader approved in the range (by the approval's date)"},
    {NULL, NULL, NULL, NULL, NULL},
};

/* the metrics of note_counters, in its order: created, published */
static void values_of(const struct jd_stats_result *r, struct jd_report_value *v)
{
	for (int i = 0; i < 2; i++)
		v[i] = (struct jd_report_value){(double)r->sum[i][0], (double)r->sum[i][1], 1,
						r->compare};
}

static const struct jd_report_section section = {
    .name = "example",
    .title = "Example notes",
    .title_zh = "示例笔记",
    .figures = figures,
    .counters = &note_counters,
    .values = values_of,
};

/* init() has checked that the host is of our minor: the slot is there */
int report_declare(void)
{
	return host->report_register(self, &section, NULL, NULL);
}
