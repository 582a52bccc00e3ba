/* jianductl: error reports, small argument helpers, one request. */
#include "ctl.h"

#include <stdarg.h>
#include <string.h>

#include "config.h"
#include "http.h"
#include "output.h"

int ctl_fail(struct ctl_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

int ctl_report(const struct ctl_err *err)
{
	fprintf(stderr, "jianductl: %s\n", err->msg);
	return err->code;
}

int ctl_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("jianductl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int ctl_opt_same(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++)
		if (a[i] != b[i] && !((a[i] == '-' || a[i] == '_') && (b[i] == '-' || b[i] == '_')))
			return 0;
	return 1;
}

const char *ctl_opt_label(const char *name)
{
	static char buf[2][128];
	static int k;
	char *out = buf[k ^= 1];
	size_t i;

	for (i = 0; name[i] && i < sizeof buf[0] - 1; i++)
		out[i] = name[i] == '_' ? '-' : name[i];
	out[i] = '\0';
	return out;
}

int ctl_opt(int argc, char **argv, int *i, const char *name, const char **value)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strlen(a) < n || !ctl_opt_same(a, n, name, n))
		return 0;
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*i += 1;
	*value = argv[*i];
	return 1;
}

int ctl_output_arg(struct ctl *ctl, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *format;
	int m;

	if (strcmp(a, "--json") == 0 || strcmp(a, "--csv") == 0) {
		if (a[2] == 'j' ? ctl->csv : ctl->json) {
			ctl_error(CTL_USAGE, "--json or --csv, not both");
			return -1;
		}
		return ctl_output(ctl, a + 2) == CTL_OK ? 1 : -1;
	}
	if (ctl_opt_same(a, strlen(a), "--no-headers", 12)) {
		out_no_headers(1);
		return 1;
	}
	m = ctl_opt(argc, argv, i, "--output", &format);
	if (m < 0) {
		ctl_error(CTL_USAGE, "--output needs a value: table, json or csv");
		return -1;
	}
	if (m > 0)
		return ctl_output(ctl, format) == CTL_OK ? 1 : -1;
	return 0;
}

int ctl_output(struct ctl *ctl, const char *format)
{
	ctl->json = strcmp(format, "json") == 0;
	ctl->csv = strcmp(format, "csv") == 0;
	out_tables_csv(ctl->csv);
	if (!ctl->json && !ctl->csv && strcmp(format, "table") != 0)
		return ctl_error(CTL_USAGE, "--output %s: expected table, json or csv", format);
	return CTL_OK;
}

int ctl_print_as(const struct ctl *ctl, const json_t *j, int fields)
{
	int rc;

	if (ctl->csv && fields)
		rc = out_csv_fields(stdout, j);
	else if (ctl->json)
		rc = out_json(stdout, j);
	else
		return -1;
	return rc < 0 ? ctl_error(CTL_FAIL, "cannot write the answer") : CTL_OK;
}

void ctl_command_help(const struct command *cmd, FILE *f)
{
	fprintf(f, "usage: jianductl [OPTIONS] %s%s%s\n\n%s\n", cmd->name, cmd->usage[0] ? " " : "",
		cmd->usage, cmd->summary);
}

int ctl_no_args(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int got = ctl_output_arg(ctl, argc, argv, &i);

		if (got < 0)
			return CTL_USAGE;
		if (got > 0)
			continue;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			ctl_command_help(self, stdout);
			return CTL_OK;
		}
		return ctl_error(
		    CTL_USAGE, "%s: unexpected argument '%s' (usage: jianductl %s%s%s)", self->name,
		    argv[i], self->name, self->usage[0] ? " " : "", self->usage);
	}
	return -1;
}

int ctl_request(const struct ctl *ctl, const char *method, const char *path, json_t *body,
		json_t **out, struct ctl_err *err)
{
	struct client_conf conf;
	int rc;

	*out = NULL;
	rc = client_conf_load(ctl, &conf, err);
	if (rc != CTL_OK)
		return rc;
	rc = http_request(&conf, method, path, body, out, err);
	client_conf_free(&conf);
	return rc;
}

int ctl_post_reload(struct ctl *ctl, struct ctl_err *err)
{
	json_t *body = json_object(), *ans = NULL;
	int rc, ok;

	if (body == NULL)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	rc = ctl_request(ctl, "POST", "/v1/reload", body, &ans, err);
	json_decref(body);
	ok = rc == CTL_OK && json_is_true(json_object_get(ans, "reloaded"));
	json_decref(ans);
	if (ok)
		return CTL_OK;
	if (rc == CTL_OK)
		return ctl_fail(err, CTL_FAIL, "it said it did not");
	return rc;
}
