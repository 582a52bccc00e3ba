/* jianductl report: options, the request, and the figures as one table (report.h). */
#include "report.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

static const char usage[] =
    "usage: jianductl [OPTIONS] " REPORT_COMMAND " --tenant CODE --from DATE --to DATE\n"
    "       [--compare previous-year|none] [--by month|tenant|unit] [--json | --csv]\n"
    "\n"
    "The leaders' report of a county, city or province over a range: the\n"
    "organization and every loaded plugin's figures, each with the same range a\n"
    "year earlier and the growth.  Every figure's definition (口径) is in --json\n"
    "and in docs/report.md.\n"
    "\n"
    "options:\n"
    "  --tenant CODE   required. the county's, city's or province's code\n"
    "  --from DATE     required. the first day, YYYY-MM-DD\n"
    "  --to DATE       required. the last day, YYYY-MM-DD\n"
    "  --compare WHAT  previous-year (the default) or none\n"
    "  --by WHAT       month: a column per month; tenant: a column per county;\n"
    "                  unit: a column per dispatched agency (of a county)\n"
    "  --json          the daemon's JSON answer, as it is\n"
    "  --csv           one row per figure, the same columns as the table\n"
    "\n"
    "GET /v1/report (permission report.read)\n";

enum { O_TENANT, O_FROM, O_TO, O_COMPARE, O_BY, N_OPTS };
static const char *const opt_names[N_OPTS] = {"--tenant", "--from", "--to", "--compare", "--by"};
static const char *const query_names[N_OPTS] = {"tenant", "from", "to", "compare", "by"};

/* CTL_OK, -1 after the help, or an error. */
static int parse(struct ctl *ctl, int argc, char **argv, const char **v)
{
	for (int i = 0; i < argc; i++) {
		int got = 0, k;

		for (k = 0; k < N_OPTS && got == 0; k++)
			got = ctl_opt(argc, argv, &i, opt_names[k], &v[k]);
		if (got < 0)
			return ctl_error(CTL_USAGE, REPORT_COMMAND ": %s needs a value",
					 opt_names[k - 1]);
		if (got > 0 || (got = ctl_output_arg(ctl, argc, argv, &i)) > 0)
			continue;
		if (got < 0)
			return CTL_USAGE;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return -1;
		}
		return ctl_error(CTL_USAGE,
				 REPORT_COMMAND
				 ": unexpected argument '%s' (see: jianductl report --help)",
				 argv[i]);
	}
	for (int k = O_TENANT; k <= O_TO; k++)
		if (v[k] == NULL)
			return ctl_error(CTL_USAGE, REPORT_COMMAND ": missing %s", opt_names[k]);
	return CTL_OK;
}

/* "/v1/report?tenant=..&from=..": a new string, or NULL. */
static char *path_of(const char *const *v)
{
	size_t len = 16;
	char *path;

	for (int k = 0; k < N_OPTS; k++)
		len += v[k] ? 3 * strlen(v[k]) + 12 : 0;
	if ((path = malloc(len)) == NULL)
		return NULL;
	snprintf(path, len, "/v1/report");
	for (int k = 0, first = 1; k < N_OPTS; k++) {
		char *esc = v[k] ? curl_easy_escape(NULL, v[k], 0) : NULL;

		if (esc == NULL)
			continue;
		snprintf(path + strlen(path), len - strlen(path), "%c%s=%s", first ? '?' : '&',
			 query_names[k], esc);
		first = 0;
		curl_free(esc);
	}
	return path;
}

/* "+41.3%", or NULL (the cell prints "-") */
static json_t *growth_cell(const json_t *g)
{
	char s[32];

	if (!json_is_number(g))
		return json_null();
	snprintf(s, sizeof(s), "%+.1f%%", 100.0 * json_number_value(g));
	return json_string(s);
}

/* One figure as a flat row: the table's and the CSV's columns. */
static json_t *figure_row(const char *section, const json_t *f)
{
	const json_t *by = json_object_get(f, "by");
	json_t *row = json_pack(
	    "{s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:o, s:s}", "section", section, "key",
	    json_object_get(f, "key"), "figure", json_object_get(f, "label_zh"), "unit",
	    json_object_get(f, "unit"), "value", json_object_get(f, "value"), "previous",
	    json_object_get(f, "previous"), "growth", growth_cell(json_object_get(f, "growth")),
	    "note", json_is_true(json_object_get(f, "suppressed")) ? "suppressed" : "");

	for (size_t i = 0; row != NULL && i < json_array_size(by); i++) {
		const json_t *e = json_array_get(by, i);
		const char *k = json_string_value(json_object_get(e, "key"));

		if (k != NULL && json_object_set(row, k, json_object_get(e, "value")) != 0) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

/* The answer for out_result / out_csv: the header lines and the one table of figures. */
static json_t *flat(const json_t *r)
{
	const json_t *sections = json_object_get(r, "sections"), *missing;
	json_t *rows = json_array(), *o;
	char range[32];

	snprintf(range, sizeof(range), "%s .. %s", json_string_value(json_object_get(r, "from")),
		 json_string_value(json_object_get(r, "to")));
	o = json_pack("{s:O?, s:O?, s:s, s:O?, s:o}", "tenant", json_object_get(r, "tenant"),
		      "level", json_object_get(r, "level"), "range", range, "as_of",
		      json_object_get(r, "as_of"), "figures", rows);
	for (size_t s = 0; o != NULL && s < json_array_size(sections); s++) {
		const json_t *sec = json_array_get(sections, s);
		const json_t *figs = json_object_get(sec, "figures");
		const char *name = json_string_value(json_object_get(sec, "name"));

		for (size_t i = 0; i < json_array_size(figs); i++)
			if (json_array_append_new(
				rows, figure_row(name ? name : "", json_array_get(figs, i))) != 0)
				goto fail;
	}
	missing = json_object_get(r, "missing");
	for (size_t i = 0; o != NULL && i < json_array_size(missing); i++) {
		char key[80];

		snprintf(key, sizeof(key), "missing %s",
			 json_string_value(json_object_get(json_array_get(missing, i), "section")));
		if (json_object_set(o, key, json_object_get(json_array_get(missing, i), "reason")))
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int show(const json_t *report, int json, int csv)
{
	json_t *f;
	int w;

	if (json)
		return json_dumpf(report, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0 ||
			       fputc('\n', stdout) == EOF
			   ? -1
			   : 0;
	if ((f = flat(report)) == NULL)
		return -1;
	if (csv)
		w = out_csv(stdout, f);
	else
		w = out_result(stdout, f);
	json_decref(f);
	return w;
}

int cmd_report(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	const char *v[N_OPTS] = {NULL};
	struct ctl_err err = {0};
	json_t *report = NULL;
	char *path;
	int rc;

	(void)self;
	rc = parse(ctl, argc - 1, argv + 1, v);
	if (rc != CTL_OK)
		return rc < 0 ? CTL_OK : rc; /* -1: the help was asked for, and shown */
	if ((path = path_of(v)) == NULL)
		return ctl_error(CTL_FAIL, "out of memory");
	rc = ctl_request(ctl, "GET", path, NULL, &report, &err);
	free(path);
	if (rc != CTL_OK)
		return ctl_report(&err);
	if (!json_is_object(report))
		rc = ctl_error(CTL_FAIL, "GET /v1/report: the daemon answered with something other "
					 "than a JSON object");
	else if (show(report, ctl->json, ctl->csv) != 0)
		rc = ctl_error(CTL_FAIL, "out of memory");
	json_decref(report);
	return rc;
}
