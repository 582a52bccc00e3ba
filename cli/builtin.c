/* jianductl: status, plugins, routes and reload. */
#include "builtin.h"

#include <stdlib.h>
#include <string.h>

#include "output.h"

/* One request; the error, if any, is reported here. */
static int fetch(struct ctl *ctl, const char *method, const char *path, json_t *body, json_t **out)
{
	struct ctl_err err = {0};
	int rc = ctl_request(ctl, method, path, body, out, &err);

	if (rc != CTL_OK)
		return ctl_report(&err);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return ctl_error(CTL_FAIL,
				 "%s %s: the daemon answered with something other than a "
				 "JSON object",
				 method, path);
	}
	return CTL_OK;
}

static char *memstream_done(FILE *m, char **buf)
{
	if (fclose(m) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

/* ---- status ------------------------------------------------------------ */

static char *fmt_uptime(const json_t *v)
{
	json_int_t s = json_integer_value(v), d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
	char *out;
	int n;

	if (!json_is_integer(v) || s < 0)
		return out_scalar(v);
	if (d)
		n = asprintf(&out, "%lldd %lldh %lldm %llds", (long long)d, (long long)h,
			     (long long)m, (long long)(s % 60));
	else if (h)
		n = asprintf(&out, "%lldh %lldm %llds", (long long)h, (long long)m,
			     (long long)(s % 60));
	else if (m)
		n = asprintf(&out, "%lldm %llds", (long long)m, (long long)(s % 60));
	else
		n = asprintf(&out, "%llds", (long long)s);
	return n < 0 ? NULL : out;
}

/* A list of plugins (objects with "name", or names) as "a, b". */
static char *fmt_names(const json_t *v)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *m;

	if (!json_is_array(v))
		return out_scalar(v);
	if (json_array_size(v) == 0)
		return strdup("none");
	m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		const char *name = json_is_object(e) ? json_string_value(json_object_get(e, "name"))
						     : json_string_value(e);
		fprintf(m, "%s%s", i ? ", " : "", name ? name : "?");
	}
	return memstream_done(m, &buf);
}

/* {"control":"a","api":"b"} as "control a, api b". */
static char *fmt_pairs(const json_t *v)
{
	char *buf = NULL, *s;
	size_t len = 0, i = 0;
	FILE *m;

	if (!json_is_object(v))
		return out_scalar(v);
	m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	for (void *it = json_object_iter((json_t *)v); it;
	     it = json_object_iter_next((json_t *)v, it)) {
		s = out_scalar(json_object_iter_value(it));
		fprintf(m, "%s%s %s", i++ ? ", " : "", json_object_iter_key(it), s ? s : "?");
		free(s);
	}
	return memstream_done(m, &buf);
}

/* {"state":"ok","mode":"managed",...} as "ok (managed)" and the rest as "key value". */
static char *fmt_redis(const json_t *v)
{
	const char *state = json_string_value(json_object_get(v, "state"));
	const char *mode = json_string_value(json_object_get(v, "mode"));
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *m;

	if (!json_is_object(v) || !state)
		return out_scalar(v);
	m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	fprintf(m, "%s", state);
	if (mode)
		fprintf(m, " (%s)", mode);
	for (void *it = json_object_iter((json_t *)v); it;
	     it = json_object_iter_next((json_t *)v, it)) {
		const char *key = json_object_iter_key(it);
		if (strcmp(key, "state") == 0 || strcmp(key, "mode") == 0)
			continue;
		s = out_scalar(json_object_iter_value(it));
		fprintf(m, ", %s %s", key, s ? s : "?");
		free(s);
	}
	return memstream_done(m, &buf);
}

static const struct status_key {
	const char *key, *label;
	char *(*fmt)(const json_t *v);
} status_keys[] = {
    {"version", "version", NULL},
    {"uptime_s", "uptime", fmt_uptime},
    {"pid", "pid", NULL},
    {"plugins", "plugins", fmt_names},
    {"redis", "redis", fmt_redis},
    {"listeners", "listeners", fmt_pairs},
    {"connections", "connections", fmt_pairs},
    {"requests_in_flight", "in flight", NULL},
};

static int status_row(struct table *t, const char *key, const json_t *v)
{
	const struct status_key *k = NULL;
	const char *cells[2];
	char *val;
	int rc;

	for (size_t i = 0; i < sizeof status_keys / sizeof status_keys[0]; i++)
		if (strcmp(status_keys[i].key, key) == 0)
			k = &status_keys[i];
	val = k && k->fmt ? k->fmt(v) : out_scalar(v);
	if (!val)
		return -1;
	cells[0] = k ? k->label : key;
	cells[1] = val;
	rc = table_add(t, cells);
	free(val);
	return rc;
}

static int print_status(const json_t *st)
{
	struct table *t = table_new(2, 0);
	int rc = 0;

	if (!t)
		return ctl_error(CTL_FAIL, "out of memory");
	for (void *it = json_object_iter((json_t *)st); it && rc == 0;
	     it = json_object_iter_next((json_t *)st, it))
		rc = status_row(t, json_object_iter_key(it), json_object_iter_value(it));
	if (rc == 0)
		table_print(t, stdout);
	table_free(t);
	return rc == 0 ? CTL_OK : ctl_error(CTL_FAIL, "out of memory");
}

int cmd_status(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	json_t *st = NULL;
	int rc = ctl_no_args(ctl, self, argc, argv);

	if (rc >= 0)
		return rc;
	rc = fetch(ctl, "GET", "/v1/status", NULL, &st);
	if (rc == CTL_OK && (rc = ctl_print_as(ctl, st, 1)) < 0)
		rc = print_status(st);
	json_decref(st);
	return rc;
}

/* ---- plugins and routes: tables ---------------------------------------- */

typedef int (*row_fn)(struct table *t, const json_t *item);

static int print_list(const json_t *list, const char *what, const char *const *header, size_t ncols,
		      row_fn row)
{
	struct table *t;
	int rc = 0;

	if (!json_is_array(list))
		return ctl_error(CTL_FAIL, "the daemon's answer has no \"%s\" list", what);
	if (json_array_size(list) == 0 && !out_tables_are_csv()) {
		printf("no %s\n", what);
		return CTL_OK;
	}
	t = table_new(ncols, 1);
	if (!t || table_add_header(t, header) < 0) {
		table_free(t);
		return ctl_error(CTL_FAIL, "out of memory");
	}
	for (size_t i = 0; i < json_array_size(list) && rc == 0; i++)
		rc = row(t, json_array_get(list, i));
	if (rc == 0)
		table_print(t, stdout);
	table_free(t);
	return rc == 0 ? CTL_OK : ctl_error(CTL_FAIL, "out of memory");
}

static int plugin_row(struct table *t, const json_t *p)
{
	json_t *req = json_object_get(p, "requires");
	char *requires = json_array_size(req) ? fmt_names(req) : strdup("-");
	const char *cells[4] = {json_string_value(json_object_get(p, "name")),
				json_string_value(json_object_get(p, "version")), requires,
				json_string_value(json_object_get(p, "summary"))};
	int rc = requires ? table_add(t, cells) : -1;

	free(requires);
	return rc;
}

static int route_row(struct table *t, const json_t *r)
{
	const char *cells[5] = {json_string_value(json_object_get(r, "method")),
				json_string_value(json_object_get(r, "path")),
				json_string_value(json_object_get(r, "permission")),
				json_string_value(json_object_get(r, "command")),
				json_string_value(json_object_get(r, "summary"))};
	return table_add(t, cells);
}

static int list_command(struct ctl *ctl, const struct command *self, int argc, char **argv,
			const char *path, const char *what, const char *const *header, size_t ncols,
			row_fn row)
{
	json_t *ans = NULL;
	int rc = ctl_no_args(ctl, self, argc, argv);

	if (rc >= 0)
		return rc;
	rc = fetch(ctl, "GET", path, NULL, &ans);
	if (rc == CTL_OK && (rc = ctl_print_as(ctl, ans, 0)) < 0)
		rc = print_list(json_object_get(ans, what), what, header, ncols, row);
	json_decref(ans);
	return rc;
}

int cmd_plugins(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	static const char *const header[] = {"name", "version", "requires", "summary"};

	return list_command(ctl, self, argc, argv, "/v1/plugins", "plugins", header, 4, plugin_row);
}

int cmd_routes(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	static const char *const header[] = {"method", "path", "permission", "command", "summary"};

	return list_command(ctl, self, argc, argv, "/v1/routes", "routes", header, 5, route_row);
}

/* ---- reload ------------------------------------------------------------ */

static int print_reload(const json_t *ans)
{
	json_t *changed = json_object_get(ans, "changed");
	size_t i;
	char *s;

	if (!json_is_true(json_object_get(ans, "reloaded")))
		return ctl_error(CTL_FAIL, "the daemon did not reload");
	if (json_array_size(changed) == 0) {
		puts("reloaded; nothing changed");
		return CTL_OK;
	}
	fputs("reloaded; changed:", stdout);
	for (i = 0; i < json_array_size(changed); i++) {
		const json_t *e = json_array_get(changed, i);
		s = out_clean(json_is_string(e) ? json_string_value(e) : "?");
		if (!s)
			return ctl_error(CTL_FAIL, "out of memory");
		printf("%s %s", i ? "," : "", s);
		free(s);
	}
	putchar('\n');
	return CTL_OK;
}

int cmd_reload(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	json_t *body = NULL, *ans = NULL;
	int rc = ctl_no_args(ctl, self, argc, argv);

	if (rc >= 0)
		return rc;
	body = json_object();
	if (!body)
		return ctl_error(CTL_FAIL, "out of memory");
	rc = fetch(ctl, "POST", "/v1/reload", body, &ans);
	if (rc == CTL_OK && (rc = ctl_print_as(ctl, ans, 1)) < 0)
		rc = print_reload(ans);
	json_decref(ans);
	json_decref(body);
	return rc;
}
