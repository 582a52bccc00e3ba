/* jianductl org report: options, the request, and which rendering. */
#include "org_report.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

enum { AS_HUMAN, AS_JSON, AS_CSV };

static const char usage[] =
    "usage: jianductl [OPTIONS] " ORG_REPORT_COMMAND " --tenant CODE [--json | --csv]\n"
    "\n"
    "The org report of a county, city or province: counties in centralized office\n"
    "(集中办公) out of all, the modes in use, the staffing rate (配备率), agencies\n"
    "breaching the rule 1 head + 1 deputy + 2 cadres (1正+1副+2干部), posts moved out\n"
    "of agencies and their share, and groups by kind (a county: each group and its\n"
    "leader).  A city or province rolls up every county under it.\n"
    "\n"
    "options:\n"
    "  --tenant CODE  required. the county's, city's or province's 6-digit code\n"
    "  --json         the daemon's JSON answer, as it is\n"
    "  --csv          one CSV table per section (summary, county, breach,\n"
    "                 group_kind, and group for a county), separated by an empty\n"
    "                 line; each starts with its header, and every row's first\n"
    "                 cell names its section\n"
    "\n"
    "GET /v1/org/report (permission org.read)\n";

static int parse(struct ctl *ctl, int argc, char **argv, const char **tenant, int *as)
{
	for (int i = 0; i < argc; i++) {
		const char *v = NULL;
		int got = ctl_opt(argc, argv, &i, "--tenant", &v), flag;

		if (got < 0)
			return ctl_error(CTL_USAGE, ORG_REPORT_COMMAND ": --tenant needs a value");
		if (got > 0) {
			if (*tenant)
				return ctl_error(CTL_USAGE,
						 ORG_REPORT_COMMAND ": --tenant given twice");
			*tenant = v;
		} else if ((flag = ctl_output_arg(ctl, argc, argv, &i)) != 0) {
			if (flag < 0)
				return CTL_USAGE;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return -1;
		} else {
			return ctl_error(CTL_USAGE,
					 ORG_REPORT_COMMAND ": unexpected argument '%s' (see: "
							    "jianductl " ORG_REPORT_COMMAND
							    " --help)",
					 argv[i]);
		}
	}
	if (ctl->csv)
		*as = AS_CSV;
	if (ctl->json)
		*as = AS_JSON;
	if (*tenant == NULL)
		return ctl_error(CTL_USAGE,
				 ORG_REPORT_COMMAND ": missing --tenant (the county's, city's or "
						    "province's code)");
	return CTL_OK;
}

static int fetch(struct ctl *ctl, const char *tenant, json_t **report)
{
	struct ctl_err err = {0};
	char *esc = curl_easy_escape(NULL, tenant, 0), *path = NULL;
	int rc;

	if (esc == NULL || asprintf(&path, "/v1/org/report?tenant=%s", esc) < 0) {
		curl_free(esc);
		return ctl_error(CTL_FAIL, "out of memory");
	}
	curl_free(esc);
	rc = ctl_request(ctl, "GET", path, NULL, report, &err);
	free(path);
	if (rc != CTL_OK)
		return ctl_report(&err);
	if (!json_is_object(*report))
		return ctl_error(CTL_FAIL, "GET /v1/org/report: the daemon answered with something "
					   "other than a JSON object");
	return CTL_OK;
}

/*
 * As out_json, with reals at 15 significant digits: the percentages read
 * 66.67, not the 66.670000000000002 of the double's 17.
 */
static int print_json(const json_t *report)
{
	if (json_dumpf(report, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0)
		return -1;
	return fputc('\n', stdout) == EOF ? -1 : 0;
}

static int run_org_report(struct ctl *ctl, int argc, char **argv)
{
	const char *tenant = NULL;
	json_t *report = NULL;
	int as = AS_HUMAN, rc;

	rc = parse(ctl, argc, argv, &tenant, &as);
	if (rc != CTL_OK)
		return rc < 0 ? CTL_OK : rc; /* -1: the help was asked for, and shown */
	rc = fetch(ctl, tenant, &report);
	if (rc == CTL_OK) {
		int w = as == AS_JSON  ? print_json(report)
			: as == AS_CSV ? org_report_csv(stdout, report)
				       : org_report_print(stdout, report);

		if (w < 0)
			rc = ctl_error(CTL_FAIL, "out of memory");
	}
	json_decref(report);
	return rc;
}

int cmd_org_report(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	(void)self;
	return run_org_report(ctl, argc - 1, argv + 1);
}
