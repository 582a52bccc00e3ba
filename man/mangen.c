/*
 * mangen: fills the man page templates (man/<page>.in) at build time from the
 * tables the daemon itself uses, so the pages cannot drift from the code:
 *
 *   @CONFIG_KEYS@      the configuration table of daemon/runtime/config.c
 *   @CORE_COMMANDS@    the core's catalog commands (jianductl)
 *   @PLUGIN_COMMANDS@  every plugin's catalog commands, one subsection each
 *   @PLUGIN_SETTINGS@  every plugin's [plugin.<name>] keys and defaults
 *   @VERSION@          (anywhere in a line) the version
 *
 * The catalog comes from jd_server_catalog(): the core's routes and the
 * built plugins' (dlopen'd, init run, no Redis, nothing served).
 *
 *   mangen TEMPLATE OUT [PLUGINS_DIR LOAD_LIST]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "runtime/config.h"
#include "runtime/log.h"
#include "transport/server.h"

struct gen {
	const char *plugins_dir, *load;
	json_t *catalog; /* loaded on first use */
};

/* Text safe for roff: backslashes and hyphens escaped, no request at a line start. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

/* An option as jianductl spells it: kebab case (--subject-name for subject_name). */
static void roff_option(FILE *f, const char *name)
{
	for (; *name; name++)
		if (*name == '_' || *name == '-')
			fputs("\\-", f);
		else
			fputc(*name, f);
}

static void config_keys(FILE *f)
{
	const char *section = "";

	for (size_t i = 0; i < jd_config_key_count(); i++) {
		struct jd_config_entry k;

		jd_config_key_at(i, &k);
		if (strcmp(section, k.section) != 0) {
			fprintf(f, ".SS [%s]\n", k.section);
			section = k.section;
		}
		fputs(".TP\n.B ", f);
		roff(f, k.name);
		fputs("\n.br\n", f); /* the tag alone on its line, however short */
		roff(f, k.help);
		fputs("\n.br\n", f);
		fprintf(f, "Type: %s", k.type);
		if (strcmp(k.type, "number") == 0)
			fprintf(f, " (%u to %u)", k.min, k.max);
		fputs(". Default: ", f);
		if (*k.def) {
			fputs("\\fB\\%", f); /* never hyphenated */
			roff(f, k.def);
			fputs("\\fR", f);
		} else {
			fputs("empty", f);
		}
		fprintf(f, ". %s\n", k.live ? "Changes on reload." : "Needs a restart.");
	}
}

static int load_catalog(struct gen *g)
{
	char path[] = "/tmp/mangen-XXXXXX";
	struct jd_config *cfg = NULL;
	char err[1024];
	int fd, rc = -1;
	FILE *f;

	if (g->catalog != NULL)
		return 0;
	if (g->plugins_dir == NULL) {
		fprintf(stderr, "mangen: the template wants commands: give PLUGINS_DIR LOAD\n");
		return -1;
	}
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "mangen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "[plugins]\ndir = %s\nload = %s\n", g->plugins_dir, g->load);
	if (fclose(f) != 0 || jd_config_load(path, &cfg, err, sizeof(err)) != JD_OK ||
	    jd_server_catalog(cfg, &g->catalog, err, sizeof(err)) != JD_OK)
		fprintf(stderr, "mangen: %s\n", err);
	else
		rc = 0;
	unlink(path);
	return rc;
}

static void route_options(FILE *f, json_t *route)
{
	const char *path = json_string_value(json_object_get(route, "path"));
	json_t *fields = json_object_get(route, "fields"), *fl;
	size_t i;

	for (const char *p = path; (p = strchr(p, '{')) != NULL; p++) {
		const char *end = strchr(p, '}');

		if (end == NULL)
			break;
		char name[128];

		snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
		fputs(".TP\n.BI \\-\\-", f);
		roff_option(f, name);
		fputs(" \" VALUE\"\n.br\nthe path parameter\n", f);
	}
	json_array_foreach(fields, i, fl)
	{
		const char *type = json_string_value(json_object_get(fl, "type"));

		fputs(".TP\n.BI \\-\\-", f);
		roff_option(f, json_string_value(json_object_get(fl, "name")));
		fprintf(f, " \" %s\"\n",
			strcmp(type, "boolean") == 0   ? "true|false"
			: strcmp(type, "integer") == 0 ? "N"
						       : "TEXT");
		if (json_is_true(json_object_get(fl, "required")))
			fputs("Required. ", f);
		roff(f, json_string_value(json_object_get(fl, "description")));
		fputc('\n', f);
	}
}

static void route_entry(FILE *f, json_t *route)
{
	fputs(".TP\n.B ", f);
	roff(f, json_string_value(json_object_get(route, "command")));
	fputs("\n.br\n", f);
	roff(f, json_string_value(json_object_get(route, "summary")));
	fprintf(f, "\n.br\n%s ", json_string_value(json_object_get(route, "method")));
	roff(f, json_string_value(json_object_get(route, "path")));
	fputs(", permission ", f);
	roff(f, json_string_value(json_object_get(route, "permission")));
	if (json_is_true(json_object_get(route, "control_only")))
		fputs(", control listener only", f);
	fputs(".\n.RS\n.PD 0\n", f);
	route_options(f, route);
	fputs(".PD\n.RE\n", f);
}

/* The commands of owner (NULL: every plugin, a subsection each, in catalog order). */
static int commands(FILE *f, struct gen *g, const char *owner)
{
	json_t *routes, *r;
	const char *last = "";
	size_t i;

	if (load_catalog(g) != 0)
		return -1;
	routes = json_object_get(g->catalog, "routes");
	json_array_foreach(routes, i, r)
	{
		const char *o = json_string_value(json_object_get(r, "owner"));

		if (!json_is_string(json_object_get(r, "command")))
			continue;
		if (owner != NULL ? strcmp(o, owner) != 0 : strcmp(o, "core") == 0)
			continue;
		if (owner == NULL && strcmp(o, last) != 0) {
			fprintf(f, ".SS %s\n", o);
			last = o;
		}
		route_entry(f, r);
	}
	return 0;
}

static int plugin_settings(FILE *f, struct gen *g)
{
	json_t *p, *k;
	size_t i, j;

	if (load_catalog(g) != 0)
		return -1;
	json_array_foreach(json_object_get(g->catalog, "plugins"), i, p)
	{
		json_t *keys = json_object_get(p, "settings");

		if (json_array_size(keys) == 0)
			continue;
		fputs(".SS [plugin.", f);
		roff(f, json_string_value(json_object_get(p, "name")));
		fputs("]\n", f);
		json_array_foreach(keys, j, k)
		{
			const char *def = json_string_value(json_object_get(k, "default"));

			fputs(".TP\n.B ", f);
			roff(f, json_string_value(json_object_get(k, "name")));
			fputs("\n.br\n", f);
			roff(f, json_string_value(json_object_get(k, "description")));
			fputs("\n.br\nDefault: ", f);
			if (*def) {
				fputs("\\fB\\%", f);
				roff(f, def);
				fputs("\\fR", f);
			} else {
				fputs("empty", f);
			}
			fputs(".\n", f);
		}
	}
	return 0;
}

static int line_out(FILE *f, struct gen *g, char *line)
{
	char *v;

	if (strcmp(line, "@CONFIG_KEYS@\n") == 0) {
		config_keys(f);
		return 0;
	}
	if (strcmp(line, "@CORE_COMMANDS@\n") == 0)
		return commands(f, g, "core");
	if (strcmp(line, "@PLUGIN_COMMANDS@\n") == 0)
		return commands(f, g, NULL);
	if (strcmp(line, "@PLUGIN_SETTINGS@\n") == 0)
		return plugin_settings(f, g);
	if ((v = strstr(line, "@VERSION@")) != NULL) {
		fprintf(f, "%.*s%s%s", (int)(v - line), line, JD_VERSION, v + 9);
		return 0;
	}
	fputs(line, f);
	return 0;
}

static int generate(const char *in_path, const char *out_path, struct gen *g)
{
	char tmp[4096], *line = NULL;
	size_t cap = 0;
	FILE *in = fopen(in_path, "r"), *out = NULL;
	int rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out_path);
	if (in == NULL || (out = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "mangen: %s: %s\n", in ? tmp : in_path, strerror(errno));
		goto done;
	}
	while (getline(&line, &cap, in) != -1)
		if (line_out(out, g, line) != 0)
			goto done;
	if (ferror(in) || fclose(out) != 0) {
		out = NULL;
		fprintf(stderr, "mangen: cannot write %s\n", tmp);
		goto done;
	}
	out = NULL;
	rc = rename(tmp, out_path) == 0 ? 0 : -1;
done:
	if (out != NULL)
		fclose(out);
	if (rc != 0)
		unlink(tmp);
	if (in != NULL)
		fclose(in);
	free(line);
	return rc;
}

int main(int argc, char **argv)
{
	struct gen g = {NULL, NULL, NULL};
	int rc;

	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: mangen TEMPLATE OUT [PLUGINS_DIR LOAD_LIST]\n");
		return 2;
	}
	if (argc == 5) {
		g.plugins_dir = argv[3];
		g.load = argv[4];
	}
	if (sodium_init() < 0)
		return 1;
	jd_log_set_level("warn");
	rc = generate(argv[1], argv[2], &g);
	json_decref(g.catalog);
	return rc == 0 ? 0 : 1;
}
