/* jianductl: the daemon's route catalog as commands. */
#include "catalog.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_cache.h"
#include "output.h"
#include "suggest.h"

enum { RUN_HELP = -1 };

static const char *str_or(json_t *obj, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : def;
}

/* Command words and option names: printable, no quoting needed. */
static int name_ok(const char *s, int spaces)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.' ||
		      (spaces && *s == ' ')))
			return 0;
	return 1;
}

static int parse_field(json_t *j, struct cat_field *f)
{
	json_t *max = json_object_get(j, "max_len");

	f->name = json_string_value(json_object_get(j, "name"));
	if (!f->name || !name_ok(f->name, 0))
		return -1;
	f->type = str_or(j, "type", "string");
	f->description = str_or(j, "description", "");
	f->required = json_is_true(json_object_get(j, "required"));
	f->max_len = json_is_integer(max) ? (long long)json_integer_value(max) : -1;
	if (f->max_len == 0)
		f->max_len = 256; /* the plugin ABI's default */
	return 0;
}

static int parse_route(json_t *j, struct cat_route *r)
{
	json_t *fields = json_object_get(j, "fields");

	r->method = json_string_value(json_object_get(j, "method"));
	r->path = json_string_value(json_object_get(j, "path"));
	if (!r->method || !r->path || r->path[0] != '/')
		return -1;
	r->permission = str_or(j, "permission", "-");
	r->summary = str_or(j, "summary", "");
	r->command = json_string_value(json_object_get(j, "command"));
	if (r->command &&
	    (!name_ok(r->command, 1) || strspn(r->command, " ") == strlen(r->command)))
		r->command = NULL; /* not usable as a command */
	r->control_only = json_is_true(json_object_get(j, "control_only"));
	if (fields && !json_is_array(fields))
		return -1;
	r->nfields = json_array_size(fields);
	r->fields = calloc(r->nfields ? r->nfields : 1, sizeof *r->fields);
	if (!r->fields)
		return -2;
	for (size_t i = 0; i < r->nfields; i++) {
		if (parse_field(json_array_get(fields, i), &r->fields[i]) < 0) {
			r->nfields = i;
			r->command = NULL; /* fields we cannot offer as options */
			break;
		}
	}
	return 0;
}

static int parse_catalog(struct catalog *cat, struct ctl_err *err)
{
	json_t *routes = json_object_get(cat->root, "routes");
	int rc;

	if (!json_is_array(routes))
		return ctl_fail(err, CTL_FAIL, "the daemon's route catalog has no \"routes\" list");
	cat->routes = calloc(json_array_size(routes) + 1, sizeof *cat->routes);
	cat->commands = calloc(json_array_size(routes) + 1, sizeof *cat->commands);
	if (!cat->routes || !cat->commands)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	for (size_t i = 0; i < json_array_size(routes); i++) {
		rc = parse_route(json_array_get(routes, i), &cat->routes[cat->n]);
		cat->n++;
		if (rc == -2)
			return ctl_fail(err, CTL_FAIL, "out of memory");
		if (rc < 0)
			return ctl_fail(err, CTL_FAIL,
					"the daemon's route catalog is malformed "
					"(route %zu)",
					i);
		if (cat->routes[cat->n - 1].command)
			cat->commands[cat->ncommands++] = cat->routes[cat->n - 1].command;
	}
	return CTL_OK;
}

int catalog_fetch(const struct ctl *ctl, struct catalog *cat, struct ctl_err *err)
{
	int rc;

	memset(cat, 0, sizeof *cat);
	rc = ctl_request(ctl, "GET", "/v1/routes", NULL, &cat->root, err);
	if (rc == CTL_OK)
		rc = parse_catalog(cat, err);
	if (rc != CTL_OK)
		catalog_free(cat);
	else
		catalog_cache_save(cat->root);
	return rc;
}

int catalog_parse(json_t *root, struct catalog *cat)
{
	struct ctl_err err = {0};

	memset(cat, 0, sizeof *cat);
	cat->root = root;
	if (parse_catalog(cat, &err) != CTL_OK) {
		catalog_free(cat);
		return -1;
	}
	return 0;
}

void catalog_free(struct catalog *cat)
{
	for (size_t i = 0; i < cat->n; i++)
		free(cat->routes[i].fields);
	free(cat->routes);
	free((void *)cat->commands);
	json_decref(cat->root);
	memset(cat, 0, sizeof *cat);
}

/*
 * How many leading words of `command` equal argv[0..]: all of them when
 * `whole`, else only argc of them (argv is a prefix of the command).  0: no.
 */
static size_t match_words(const char *command, int argc, char **argv, int whole)
{
	const char *p = command;
	size_t k = 0, len;

	for (;;) {
		p += strspn(p, " ");
		if (!*p || (!whole && k == (size_t)argc))
			return k;
		len = strcspn(p, " ");
		if (k >= (size_t)argc || strlen(argv[k]) != len || strncmp(p, argv[k], len) != 0)
			return 0;
		k++;
		p += len;
	}
}

const struct cat_route *catalog_match(const struct catalog *cat, int argc, char **argv,
				      size_t *nwords)
{
	const struct cat_route *best = NULL;
	size_t best_k = 0;

	for (size_t i = 0; i < cat->n; i++) {
		size_t k;
		if (!cat->routes[i].command)
			continue;
		k = match_words(cat->routes[i].command, argc, argv, 1);
		if (k > best_k) {
			best = &cat->routes[i];
			best_k = k;
		}
	}
	*nwords = best_k;
	return best;
}

void catalog_hide(struct catalog *cat, const char *command)
{
	size_t k = 0;

	for (size_t i = 0; i < cat->n; i++)
		if (cat->routes[i].command && strcmp(cat->routes[i].command, command) == 0)
			cat->routes[i].command = NULL;
	for (size_t i = 0; i < cat->ncommands; i++)
		if (strcmp(cat->commands[i], command) != 0)
			cat->commands[k++] = cat->commands[i];
	cat->ncommands = k;
}

size_t catalog_count(const struct catalog *cat, int argc, char **argv)
{
	size_t n = 0;

	for (size_t i = 0; i < cat->n; i++)
		if (cat->routes[i].command && match_words(cat->routes[i].command, argc, argv, 0))
			n++;
	return n;
}

static int cmp_route(const void *a, const void *b)
{
	const struct cat_route *ra = *(const struct cat_route *const *)a;
	const struct cat_route *rb = *(const struct cat_route *const *)b;
	return strcmp(ra->command, rb->command);
}

size_t catalog_list(const struct catalog *cat, FILE *f, int argc, char **argv)
{
	const struct cat_route **sel = calloc(cat->n + 1, sizeof *sel);
	struct table *t = table_new(2, 0);
	size_t n = 0;

	if (!sel || !t) {
		ctl_error(CTL_FAIL, "out of memory");
		goto out;
	}
	table_indent(t, 2);
	for (size_t i = 0; i < cat->n; i++)
		if (cat->routes[i].command &&
		    (argc == 0 || match_words(cat->routes[i].command, argc, argv, 0)))
			sel[n++] = &cat->routes[i];
	qsort(sel, n, sizeof *sel, cmp_route);
	for (size_t i = 0; i < n; i++) {
		const char *cells[2] = {sel[i]->command, sel[i]->summary};
		if (table_add(t, cells) < 0) {
			ctl_error(CTL_FAIL, "out of memory");
			goto out;
		}
	}
	table_print(t, f);
out:
	table_free(t);
	free(sel);
	return n;
}

/* ---- path parameters ------------------------------------------------- */

struct param {
	const char *name; /* into the route's path, not terminated */
	size_t len;
	const char *value;
};

static size_t count_params(const char *path)
{
	size_t n = 0;

	for (const char *p = path; (p = strchr(p, '{')) != NULL; p++)
		n++;
	return n;
}

static size_t find_params(const char *path, struct param *out)
{
	size_t n = 0;
	const char *p = path, *end;

	while ((p = strchr(p, '{')) != NULL && (end = strchr(p, '}')) != NULL) {
		out[n].name = p + 1;
		out[n].len = (size_t)(end - p - 1);
		out[n].value = NULL;
		n++;
		p = end + 1;
	}
	return n;
}

/* ---- options --------------------------------------------------------- */

struct run {
	struct ctl *ctl;
	const struct cat_route *r;
	const char **vals; /* per field */
	struct param *params;
	size_t nparams;
};

static int is_bool(const struct cat_field *f)
{
	return strcmp(f->type, "boolean") == 0;
}

static int find_field(const struct run *run, const char *name, size_t len)
{
	for (size_t i = 0; i < run->r->nfields; i++)
		if (ctl_opt_same(run->r->fields[i].name, strlen(run->r->fields[i].name), name, len))
			return (int)i;
	return -1;
}

static int find_param(const struct param *params, size_t np, const char *name, size_t len)
{
	for (size_t i = 0; i < np; i++)
		if (ctl_opt_same(params[i].name, params[i].len, name, len))
			return (int)i;
	return -1;
}

static int unknown_option(const struct run *run, const char *name, size_t len)
{
	const char **cands = calloc(run->r->nfields + 1, sizeof *cands);
	char *typed = strndup(name, len);
	const char *near = NULL;

	if (cands && typed) {
		for (size_t i = 0; i < run->r->nfields; i++)
			cands[i] = run->r->fields[i].name;
		for (char *p = typed; *p; p++) /* the fields' spelling, to measure the distance */
			if (*p == '-')
				*p = '_';
		near = suggest_word(typed, cands, run->r->nfields);
	}
	if (near)
		ctl_error(CTL_USAGE, "%s: unknown option '--%.*s'; did you mean '--%s'?",
			  run->r->command, (int)len, name, ctl_opt_label(near));
	else
		ctl_error(CTL_USAGE, "%s: unknown option '--%.*s' (see: jianductl %s --help)",
			  run->r->command, (int)len, name, run->r->command);
	free(cands);
	free(typed);
	return CTL_USAGE;
}

static int bool_word(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0);
}

/* The value of option argv[*i], whose '=' is eq (or NULL): may take argv[*i + 1]. */
static const char *option_value(int boolean, int argc, char **argv, int *i, const char *eq)
{
	if (eq)
		return eq + 1;
	if (boolean) {
		if (*i + 1 < argc && bool_word(argv[*i + 1]))
			return argv[++*i];
		return "true";
	}
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int parse_option(struct run *run, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *name = a + 2, *eq = strchr(name, '='), *v;
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	int fi = find_field(run, name, len), pi = find_param(run->params, run->nparams, name, len);
	const char **slot;

	if (fi < 0 && pi < 0) {
		int got = ctl_output_arg(run->ctl, argc, argv, i);

		if (got != 0)
			return got > 0 ? CTL_OK : CTL_USAGE;
	}
	if (fi < 0 && pi < 0)
		return unknown_option(run, name, len);
	v = option_value(fi >= 0 && is_bool(&run->r->fields[fi]), argc, argv, i, eq);
	if (!v)
		return ctl_error(CTL_USAGE, "%s: --%.*s needs a value", run->r->command, (int)len,
				 name);
	slot = pi >= 0 ? &run->params[pi].value : &run->vals[fi];
	if (*slot)
		return ctl_error(CTL_USAGE, "%s: --%.*s given twice", run->r->command, (int)len,
				 name);
	*slot = v;
	if (pi >= 0 && fi >= 0)
		run->vals[fi] = v;
	return CTL_OK;
}

static int parse_options(struct run *run, int argc, char **argv)
{
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return RUN_HELP;
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0' || argv[i][2] == '=')
			return ctl_error(CTL_USAGE,
					 "%s: unexpected argument '%s' (options are --NAME VALUE; "
					 "see: jianductl %s --help)",
					 run->r->command, argv[i], run->r->command);
		rc = parse_option(run, argc, argv, &i);
		if (rc != CTL_OK)
			return rc;
	}
	return CTL_OK;
}

/* ---- typed values ----------------------------------------------------- */

static json_t *typed_integer(const struct run *run, const struct cat_field *f, const char *v)
{
	long long n;
	char *end;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end) {
		ctl_error(CTL_USAGE, "%s: --%s must be an integer, not '%s'", run->r->command,
			  ctl_opt_label(f->name), v);
		return NULL;
	}
	return json_integer(n);
}

static json_t *typed_boolean(const struct run *run, const struct cat_field *f, const char *v)
{
	if (!bool_word(v)) {
		ctl_error(CTL_USAGE, "%s: --%s must be true or false, not '%s'", run->r->command,
			  ctl_opt_label(f->name), v);
		return NULL;
	}
	return json_boolean(strcmp(v, "true") == 0);
}

static json_t *typed_string(const struct run *run, const struct cat_field *f, const char *v)
{
	json_t *j;

	if (f->max_len >= 0 && strlen(v) > (size_t)f->max_len) {
		ctl_error(CTL_USAGE, "%s: --%s is longer than %lld bytes", run->r->command,
			  ctl_opt_label(f->name), f->max_len);
		return NULL;
	}
	j = json_string(v);
	if (!j)
		ctl_error(CTL_USAGE, "%s: --%s is not valid UTF-8", run->r->command,
			  ctl_opt_label(f->name));
	return j;
}

/* The field's value as JSON of its type; NULL after reporting a usage error. */
static json_t *typed_value(const struct run *run, const struct cat_field *f, const char *v)
{
	if (strcmp(f->type, "integer") == 0)
		return typed_integer(run, f, v);
	if (is_bool(f))
		return typed_boolean(run, f, v);
	return typed_string(run, f, v);
}

static int build_values(const struct run *run, json_t **out)
{
	json_t *obj = json_object(), *v;

	if (!obj)
		return ctl_error(CTL_FAIL, "out of memory");
	for (size_t i = 0; i < run->r->nfields; i++) {
		const struct cat_field *f = &run->r->fields[i];
		if (!run->vals[i]) {
			if (!f->required)
				continue;
			json_decref(obj);
			return ctl_error(CTL_USAGE, "%s: missing --%s (%s%s%s)", run->r->command,
					 ctl_opt_label(f->name), f->type,
					 f->description[0] ? ": " : "", f->description);
		}
		v = typed_value(run, f, run->vals[i]);
		if (!v) {
			json_decref(obj);
			return CTL_USAGE;
		}
		if (json_object_set_new(obj, f->name, v) < 0) { /* v is released too */
			json_decref(obj);
			return ctl_error(CTL_FAIL, "out of memory");
		}
	}
	*out = obj;
	return CTL_OK;
}

/* ---- the request ------------------------------------------------------ */

static int put_escaped(FILE *m, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);

	if (!e)
		return -1;
	fputs(e, m);
	curl_free(e);
	return 0;
}

static int build_path(const struct run *run, FILE *m)
{
	const char *p = run->r->path;
	size_t k = 0;

	while (*p) {
		if (*p != '{' || k >= run->nparams) {
			fputc(*p++, m);
			continue;
		}
		if (!run->params[k].value)
			return ctl_error(CTL_USAGE, "%s: missing --%.*s (path parameter)",
					 run->r->command, (int)run->params[k].len,
					 run->params[k].name);
		if (put_escaped(m, run->params[k].value) < 0)
			return ctl_error(CTL_FAIL, "out of memory");
		p = run->params[k].name + run->params[k].len + 1;
		k++;
	}
	return CTL_OK;
}

static int build_query(json_t *vals, FILE *m)
{
	char sep = '?';

	for (void *it = json_object_iter(vals); it; it = json_object_iter_next(vals, it)) {
		char *s = out_scalar(json_object_iter_value(it));
		int bad = !s;
		fputc(sep, m);
		sep = '&';
		bad = bad || put_escaped(m, json_object_iter_key(it)) < 0;
		fputc('=', m);
		bad = bad || put_escaped(m, s) < 0;
		free(s);
		if (bad)
			return ctl_error(CTL_FAIL, "out of memory");
	}
	return CTL_OK;
}

static int in_query(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0;
}

static int make_target(const struct run *run, json_t *vals, char **target)
{
	size_t len = 0;
	FILE *m = open_memstream(target, &len);
	int rc;

	if (!m)
		return ctl_error(CTL_FAIL, "out of memory");
	rc = build_path(run, m);
	if (rc == CTL_OK && in_query(run->r->method))
		rc = build_query(vals, m);
	if (fclose(m) != 0 && rc == CTL_OK)
		rc = ctl_error(CTL_FAIL, "out of memory");
	if (rc != CTL_OK) {
		free(*target);
		*target = NULL;
	}
	return rc;
}

static int show(const struct ctl *ctl, json_t *answer)
{
	int rc;

	if (!answer) {
		if (!ctl->json)
			puts("ok");
		return CTL_OK;
	}
	if (ctl->csv)
		rc = out_csv(stdout, answer);
	else
		rc = ctl->json ? out_json(stdout, answer) : out_result(stdout, answer);
	return rc < 0 ? ctl_error(CTL_FAIL, "out of memory") : CTL_OK;
}

static int send_request(struct run *run)
{
	json_t *vals = NULL, *answer = NULL;
	char *target = NULL;
	struct ctl_err err = {0};
	int rc;

	rc = build_values(run, &vals);
	if (rc == CTL_OK)
		rc = make_target(run, vals, &target);
	if (rc != CTL_OK)
		goto out;
	rc = ctl_request(run->ctl, run->r->method, target, in_query(run->r->method) ? NULL : vals,
			 &answer, &err);
	if (rc != CTL_OK)
		ctl_report(&err);
	else
		rc = show(run->ctl, answer);
out:
	json_decref(answer);
	json_decref(vals);
	free(target);
	return rc;
}

int catalog_run(struct ctl *ctl, const struct cat_route *r, int argc, char **argv)
{
	struct run run = {.ctl = ctl, .r = r};
	int rc = CTL_FAIL;

	run.vals = calloc(r->nfields + 1, sizeof *run.vals);
	run.params = calloc(count_params(r->path) + 1, sizeof *run.params);
	if (!run.vals || !run.params) {
		ctl_error(CTL_FAIL, "out of memory");
		goto out;
	}
	run.nparams = find_params(r->path, run.params);
	rc = parse_options(&run, argc, argv);
	if (rc == RUN_HELP) {
		catalog_route_help(r, stdout);
		rc = CTL_OK;
	} else if (rc == CTL_OK) {
		rc = send_request(&run);
	}
out:
	free(run.vals);
	free(run.params);
	return rc;
}

/* ---- help -------------------------------------------------------------- */

static const char *placeholder(const struct cat_field *f)
{
	if (strcmp(f->type, "integer") == 0)
		return " N";
	if (is_bool(f))
		return " [true|false]";
	return " TEXT";
}

/* A path parameter's option, in kebab case. */
static const char *param_label(const struct param *p)
{
	char name[128];

	snprintf(name, sizeof name, "%.*s", (int)p->len, p->name);
	return ctl_opt_label(name);
}

static void usage_line(const struct cat_route *r, const struct param *params, size_t np, FILE *f)
{
	fprintf(f, "usage: jianductl [OPTIONS] %s", r->command);
	for (size_t i = 0; i < np; i++)
		fprintf(f, " --%s VALUE", param_label(&params[i]));
	for (size_t i = 0; i < r->nfields; i++)
		if (find_param(params, np, r->fields[i].name, strlen(r->fields[i].name)) < 0)
			fprintf(f, " %s--%s%s%s", r->fields[i].required ? "" : "[",
				ctl_opt_label(r->fields[i].name), placeholder(&r->fields[i]),
				r->fields[i].required ? "" : "]");
	fputc('\n', f);
}

static int option_rows(const struct cat_route *r, const struct param *params, size_t np,
		       struct table *t)
{
	char opt[160], desc[1024];

	for (size_t i = 0; i < np; i++) {
		const char *cells[2] = {opt, "path parameter"};
		snprintf(opt, sizeof opt, "--%s VALUE", param_label(&params[i]));
		if (table_add(t, cells) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->nfields; i++) {
		const struct cat_field *fl = &r->fields[i];
		const char *cells[2] = {opt, desc};
		char limit[48] = "";
		if (fl->max_len >= 0 && !is_bool(fl) && strcmp(fl->type, "integer") != 0)
			snprintf(limit, sizeof limit, " (at most %lld bytes)", fl->max_len);
		snprintf(opt, sizeof opt, "--%s%s", ctl_opt_label(fl->name), placeholder(fl));
		snprintf(desc, sizeof desc, "%s%s%s", fl->required ? "required. " : "",
			 fl->description, limit);
		if (table_add(t, cells) < 0)
			return -1;
	}
	return 0;
}

void catalog_route_help(const struct cat_route *r, FILE *f)
{
	size_t np = count_params(r->path);
	struct param *params = calloc(np + 1, sizeof *params);
	struct table *t = table_new(2, 0);
	char *summary = out_clean(r->summary);
	char *where = out_clean_fmt("%s %s (permission %s%s)", r->method, r->path, r->permission,
				    r->control_only ? ", control listener only" : "");

	if (!params || !t || !summary || !where) {
		ctl_error(CTL_FAIL, "out of memory");
		goto out;
	}
	np = find_params(r->path, params);
	usage_line(r, params, np, f);
	fprintf(f, "\n%s\n", summary);
	table_indent(t, 2);
	if (option_rows(r, params, np, t) < 0) {
		ctl_error(CTL_FAIL, "out of memory");
		goto out;
	}
	if (table_rows(t) > 0) {
		fputs("\noptions:\n", f);
		table_print(t, f);
	}
	fprintf(f, "\n%s\n", where);
out:
	table_free(t);
	free(params);
	free(summary);
	free(where);
}
