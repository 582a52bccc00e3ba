/*
 * Input checks the writers share: codes, lists, dates from the client and
 * the units and groups of the county's organization.  Each check that
 * fails replies 400 naming the field and frees the context.
 */
#include <stdio.h>
#include <string.h>

#include "supervision.h"

static int code_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

int code_valid(const char *s, int list)
{
	for (; s != NULL && *s; s++)
		if (!code_char(*s) && !(list && *s == ','))
			return 0;
	return 1;
}

int one_of(const char *v, const char *const *list)
{
	for (; v != NULL && *list; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

int csv_names(const char *csv, const char *code)
{
	size_t n = strlen(code);

	for (const char *p = csv; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (l == n && strncmp(p, code, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int ctx_date(struct ctx *c, const char *field, jd_day not_before, const char *after_what)
{
	char err[200];

	if (host->date_input(field, in_str(c, field), not_before, after_what, &c->day, err,
			     sizeof(err)) != JD_OK) {
		ctx_invalid(c, "%s", err);
		return -1;
	}
	c->late = c->day < host->day_today();
	return 0;
}

int ctx_deadline(struct ctx *c, const char *field, jd_day not_before, jd_day *out)
{
	const char *v = in_str(c, field);

	if (v == NULL || host->day_parse(v, out) != JD_OK || *out < not_before) {
		ctx_invalid(c, "field '%s': a date (YYYY-MM-DD) not before the step it follows",
			    field);
		return -1;
	}
	return 0;
}

static const char *obj_str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

int ctx_unit_check(struct ctx *c, const char *field, const char *code)
{
	json_t *u;

	if (code == NULL || *code == '\0' || !code_valid(code, 0)) {
		ctx_invalid(c, "field '%s': a unit code of [A-Za-z0-9._-]", field);
		return -1;
	}
	u = json_object_get(json_object_get(c->org, "units"), code);
	if (u == NULL || strcmp(obj_str(u, "status"), "retired") == 0) {
		ctx_invalid(c, "field '%s': no unit '%.64s' in tenant %s%s", field, code, c->tenant,
			    u ? " (retired)" : "");
		return -1;
	}
	return 0;
}

json_t *org_group(json_t *org, const char *code)
{
	return json_object_get(json_object_get(org, "groups"), code);
}

int ctx_groups_check(struct ctx *c, const char *field, const char *csv)
{
	if (!code_valid(csv, 1)) {
		ctx_invalid(c, "field '%s': group codes of [A-Za-z0-9._-], comma-separated", field);
		return -1;
	}
	for (const char *p = csv; p != NULL && *p;) {
		const char *end = strchr(p, ',');
		char code[65];
		json_t *g;

		snprintf(code, sizeof(code), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		g = org_group(c->org, code);
		if (g == NULL || strcmp(obj_str(g, "status"), "retired") == 0) {
			ctx_invalid(c, "field '%s': no active group '%s' in tenant %s", field, code,
				    c->tenant);
			return -1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}
