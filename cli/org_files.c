/* jianductl org import / org export (what they do: org_files.h). */
#include "org_files.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/org_csv.h"
#include "config.h"
#include "files.h"
#include "http.h"
#include "output.h"

#define FILE_MAX  (64u << 20) /* far above a province's county; the daemon's body limit is lower */
#define FILE_MODE 0640	      /* names and posts of cadres: not for every local user */

static const char import_usage[] =
    "usage: jianductl [OPTIONS] " ORG_IMPORT_COMMAND " --tenant CODE [--json] FILE.csv...\n"
    "\n"
    "Sets up a county's organization from CSV files (UTF-8, RFC 4180 quoting; lists\n"
    "inside a cell separated by ';'), each known by its header row:\n"
    "  units.csv   code,name,kind,supervised,linked,posts,leadership_posts\n"
    "  people.csv  name,post,unit,start,new_cadre,ties   (ties sealed on import)\n"
    "  posts.csv   date,from,to,posts,leadership_posts,reason   (post transfers)\n"
    "  groups.csv  code,name,kind,leader,units,members,parent,function,policy,\n"
    "              rotation,shares,year   (leader, members: unique names or ids)\n"
    "Every row is checked first, against the county and the other rows; when any\n"
    "is bad, each is printed as FILE:LINE: reason and nothing is imported.  Codes\n"
    "that exist already are bad rows: an import only adds.\n"
    "\n"
    "options:\n"
    "  --tenant CODE  required. the county's 6-digit code\n"
    "  --json         the daemon's JSON answer, as it is\n"
    "\n"
    "POST /v1/org/import (permission org.write)\n";

static const char export_usage[] =
    "usage: jianductl [OPTIONS] " ORG_EXPORT_COMMAND " --tenant CODE --dir DIR\n"
    "\n"
    "Writes a county's active organization as DIR/units.csv, people.csv, posts.csv\n"
    "and groups.csv, in the form org import reads: they load into an empty county\n"
    "as the same organization.  People's declared ties are never exported (the\n"
    "ties column is empty), nor retired records or history.  DIR is created if it\n"
    "does not exist; a file that exists already is not overwritten.\n"
    "\n"
    "options:\n"
    "  --tenant CODE  required. the county's 6-digit code\n"
    "  --dir DIR      required. where to write the four files\n"
    "\n"
    "GET /v1/org/export (permission org.read)\n";

/* ---- arguments ------------------------------------------------------------------------------ */

struct args {
	const char *tenant;
	const char *dir;
	const char **files;
	size_t n_files;
};

/* One option taking a value; 1 taken, 0 not this one, or an exit code (2). */
static int value_opt(const char *cmd, int argc, char **argv, int *i, const char *name,
		     const char **slot)
{
	const char *v = NULL;
	int got = ctl_opt(argc, argv, i, name, &v);

	if (got < 0)
		return -ctl_error(CTL_USAGE, "%s: %s needs a value", cmd, name);
	if (got > 0 && *slot != NULL)
		return -ctl_error(CTL_USAGE, "%s: %s given twice", cmd, name);
	if (got > 0)
		*slot = v;
	return got;
}

/*
 * CTL_OK to go on, -1 when help was printed, or an exit code.  with_dir:
 * export's --dir; else import's FILE arguments.
 */
static int parse(struct ctl *ctl, const char *cmd, const char *usage, int with_dir, int argc,
		 char **argv, struct args *a)
{
	a->files = calloc((size_t)argc + 1, sizeof(*a->files));
	if (a->files == NULL)
		return ctl_error(CTL_FAIL, "out of memory");
	for (int i = 0; i < argc; i++) {
		int got = value_opt(cmd, argc, argv, &i, "--tenant", &a->tenant);

		if (got == 0 && with_dir)
			got = value_opt(cmd, argc, argv, &i, "--dir", &a->dir);
		if (got < 0)
			return -got;
		if (got > 0)
			continue;
		if (strcmp(argv[i], "--json") == 0) {
			ctl->json = 1;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return -1;
		} else if (argv[i][0] == '-' || with_dir) {
			return ctl_error(CTL_USAGE,
					 "%s: unexpected argument '%s' (see: jianductl %s --help)",
					 cmd, argv[i], cmd);
		} else {
			a->files[a->n_files++] = argv[i];
		}
	}
	if (a->tenant == NULL)
		return ctl_error(CTL_USAGE, "%s: missing --tenant (the county's code)", cmd);
	if (with_dir && a->dir == NULL)
		return ctl_error(CTL_USAGE, "%s: missing --dir (where to write the files)", cmd);
	if (!with_dir && a->n_files == 0)
		return ctl_error(CTL_USAGE, "%s: no file given (units.csv, people.csv, ...)", cmd);
	return CTL_OK;
}

/* One request with the client config; the error answer's JSON in *errbody. */
static int request(const struct ctl *ctl, const char *method, const char *path, json_t *body,
		   json_t **out, json_t **errbody)
{
	struct client_conf conf;
	struct ctl_err err = {0};
	int rc = client_conf_load(ctl, &conf, &err);

	*out = NULL;
	if (errbody != NULL)
		*errbody = NULL;
	if (rc == CTL_OK) {
		rc = http_request_errbody(&conf, method, path, body, out, &err, errbody);
		client_conf_free(&conf);
	}
	if (rc != CTL_OK && (errbody == NULL || *errbody == NULL ||
			     json_object_get(json_object_get(*errbody, "error"), "rows") == NULL))
		ctl_report(&err);
	return rc;
}

/* ---- import ------------------------------------------------------------------------------ */

/*
 * The whole file, NUL-terminated, in one allocation of its size (no
 * doubling as it grows); NULL with the reason printed.  A file over
 * FILE_MAX is refused before any of it is read.
 */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;

	*len = 0;
	if (f == NULL || fstat(fileno(f), &st) != 0) {
		ctl_error(CTL_FAIL, "cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size >= FILE_MAX) {
		ctl_error(CTL_FAIL,
			  "%s: %lld bytes, over the %u MiB a file may have; split it (the "
			  "units first, then the people a few units at a time)",
			  path, (long long)st.st_size, FILE_MAX >> 20);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		ctl_error(CTL_FAIL, "%s: out of memory", path);
		goto fail;
	}
	*len = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f) || *len != (size_t)st.st_size) {
		ctl_error(CTL_FAIL, "cannot read %s: %s", path,
			  ferror(f) ? strerror(errno) : "it changed while read");
		goto fail;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
fail:
	if (f != NULL)
		fclose(f);
	free(buf);
	return NULL;
}

/* The bytes of the header row: to the first line break outside quotes. */
static size_t header_len(const char *text, size_t len)
{
	int quoted = 0;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"')
			quoted = !quoted;
		else if (text[i] == '\n' && !quoted)
			return i + 1;
	}
	return len;
}

/* The kind of a file's text by its header row; -1 with the reason printed. */
static int kind_of(const char *path, const char *text, size_t len)
{
	struct jd_csv csv;
	size_t map[JD_CSV_MAX_COLS];
	int kind = -1;

	if (memchr(text, '\0', len) != NULL) {
		ctl_error(CTL_USAGE, "%s holds a NUL byte: not a CSV text file", path);
		return -1;
	}
	/*
	 * a bad row after the header is the daemon's to report: the header is
	 * enough here, and parsing only it keeps a large file from being held
	 * twice over as rows
	 */
	(void)jd_csv_parse(text, header_len(text, len), &csv);
	if (csv.n > 0)
		kind = jd_csv_kind_of(&csv.rows[0], map);
	jd_csv_free(&csv);
	if (kind < 0) {
		ctl_error(CTL_USAGE,
			  "cannot tell which file %s is: its first row must be the "
			  "header of one of:",
			  path);
		for (int k = 0; k < JD_CSV_KINDS; k++) {
			fprintf(stderr, "  %-11s", jd_csv_kinds[k].file);
			for (size_t i = 0; i < jd_csv_kinds[k].n_cols; i++)
				fprintf(stderr, "%s%s", i ? "," : "", jd_csv_kinds[k].cols[i]);
			fputc('\n', stderr);
		}
	}
	return kind;
}

/* The request body: {"tenant", "<kind>": text, ...}; paths[kind] the file read for it. */
static int build_body(const struct args *a, json_t *body, const char *paths[JD_CSV_KINDS])
{
	for (size_t i = 0; i < a->n_files; i++) {
		size_t len;
		char *text = read_file(a->files[i], &len);
		int kind = text ? kind_of(a->files[i], text, len) : -1;
		json_t *s;
		int read_failed = text == NULL;

		if (kind >= 0 && paths[kind] != NULL) {
			ctl_error(CTL_USAGE, "%s and %s are both %s files: give one of each kind",
				  paths[kind], a->files[i], jd_csv_kinds[kind].file);
			kind = -1;
		}
		s = kind >= 0 ? json_stringn(text, len) : NULL;
		if (kind >= 0 && s == NULL)
			ctl_error(CTL_USAGE, "%s is not UTF-8 text", a->files[i]);
		free(text);
		if (s == NULL || json_object_set_new(body, jd_csv_kinds[kind].name, s) != 0)
			return read_failed ? CTL_FAIL : CTL_USAGE;
		paths[kind] = a->files[i];
	}
	return json_object_set_new(body, "tenant", json_string(a->tenant)) == 0
		   ? CTL_OK
		   : ctl_error(CTL_FAIL, "out of memory");
}

/*
 * Refuses files that together exceed the daemon's limits.max_body (its
 * route catalog says it) before any is read: a 33 MB file is not read to
 * be refused.  CTL_OK also when the daemon does not say (it answers 413
 * then).
 */
static int within_limit(const struct ctl *ctl, const struct args *a)
{
	struct ctl_err err = {0};
	json_t *cat = NULL;
	unsigned long long total = 0, max = 0;
	struct stat st;

	if (ctl_request(ctl, "GET", "/v1/routes", NULL, &cat, &err) == CTL_OK)
		max = (unsigned long long)json_integer_value(json_object_get(cat, "max_body"));
	json_decref(cat);
	for (size_t i = 0; i < a->n_files; i++)
		if (stat(a->files[i], &st) == 0 && st.st_size > 0)
			total += (unsigned long long)st.st_size;
	if (max == 0 || total <= max)
		return CTL_OK;
	return ctl_error(CTL_FAIL,
			 "the files are %llu bytes together, over the daemon's limits.max_body "
			 "(%llu bytes): split the import: the units first, then the people a few "
			 "units at a time",
			 total, max);
}

/* The bad rows as FILE:LINE: reason, FILE the path given for that kind. */
static int print_bad_rows(const json_t *error, const char *paths[JD_CSV_KINDS])
{
	const json_t *rows = json_object_get(error, "rows");
	size_t i;
	json_t *r;

	json_array_foreach(rows, i, r)
	{
		const char *file = json_string_value(json_object_get(r, "file"));
		const char *path = file ? file : "?";
		char *why = out_clean(json_string_value(json_object_get(r, "error")));

		for (int k = 0; k < JD_CSV_KINDS; k++)
			if (file != NULL && strcmp(file, jd_csv_kinds[k].file) == 0 && paths[k])
				path = paths[k];
		fprintf(stderr, "%s:%lld: %s\n", path,
			(long long)json_integer_value(json_object_get(r, "line")), why ? why : "?");
		free(why);
	}
	ctl_error(CTL_FAIL, "%s", json_string_value(json_object_get(error, "message")));
	return CTL_FAIL;
}

static int print_imported(const json_t *ans)
{
	const json_t *n = json_object_get(ans, "imported");

	printf("imported into %s: %lld units, %lld people, %lld post transfers, %lld groups\n",
	       json_string_value(json_object_get(ans, "tenant")),
	       (long long)json_integer_value(json_object_get(n, "units")),
	       (long long)json_integer_value(json_object_get(n, "people")),
	       (long long)json_integer_value(json_object_get(n, "posts")),
	       (long long)json_integer_value(json_object_get(n, "groups")));
	return CTL_OK;
}

static int run_org_import(struct ctl *ctl, int argc, char **argv)
{
	struct args a = {0};
	const char *paths[JD_CSV_KINDS] = {0};
	json_t *body = NULL, *ans = NULL, *errbody = NULL;
	int rc = parse(ctl, ORG_IMPORT_COMMAND, import_usage, 0, argc, argv, &a);

	if (rc != CTL_OK)
		goto out;
	rc = within_limit(ctl, &a);
	if (rc != CTL_OK)
		goto out;
	body = json_object();
	rc = body ? build_body(&a, body, paths) : ctl_error(CTL_FAIL, "out of memory");
	if (rc != CTL_OK)
		goto out;
	rc = request(ctl, "POST", "/v1/org/import", body, &ans, &errbody);
	if (rc != CTL_OK && json_object_get(json_object_get(errbody, "error"), "rows") != NULL)
		rc = ctl->json ? (out_json(stdout, errbody), CTL_FAIL)
			       : print_bad_rows(json_object_get(errbody, "error"), paths);
	else if (rc == CTL_OK)
		rc = ctl->json ? (out_json(stdout, ans) < 0 ? CTL_FAIL : CTL_OK)
			       : print_imported(ans);
out:
	json_decref(body);
	json_decref(ans);
	json_decref(errbody);
	free(a.files);
	return rc < 0 ? CTL_OK : rc;
}

/* ---- export ------------------------------------------------------------------------------ */

/* Records in a CSV text, its header not counted. */
static size_t rows_in(const char *text, size_t len)
{
	struct jd_csv csv;
	size_t n;

	(void)jd_csv_parse(text, len, &csv);
	n = csv.n > 0 ? csv.n - 1 : 0;
	jd_csv_free(&csv);
	return n;
}

static int write_files(const struct args *a, const json_t *ans)
{
	struct fs_tx tx = {0};
	struct ctl_err err = {0};
	struct stat st;
	size_t counts[JD_CSV_KINDS] = {0};
	int rc = CTL_OK;

	if (stat(a->dir, &st) != 0)
		rc = fs_mkdir(&tx, a->dir, 0750, "the export directory", &err);
	for (int k = 0; rc == CTL_OK && k < JD_CSV_KINDS; k++) {
		const json_t *t = json_object_get(ans, jd_csv_kinds[k].name);
		char *path = NULL;

		if (!json_is_string(t)) {
			rc = ctl_fail(&err, CTL_FAIL, "the daemon's answer has no %s",
				      jd_csv_kinds[k].file);
			break;
		}
		if (asprintf(&path, "%s/%s", a->dir, jd_csv_kinds[k].file) < 0) {
			rc = ctl_fail(&err, CTL_FAIL, "out of memory");
			break;
		}
		rc = fs_create(&tx, path, FILE_MODE, json_string_value(t), json_string_length(t),
			       "an exported file", &err);
		counts[k] = rows_in(json_string_value(t), json_string_length(t));
		free(path);
	}
	if (rc != CTL_OK) {
		fs_tx_rollback(&tx);
		return ctl_report(&err);
	}
	fs_tx_release(&tx);
	for (int k = 0; k < JD_CSV_KINDS; k++)
		printf("wrote %s/%s (%zu rows)\n", a->dir, jd_csv_kinds[k].file, counts[k]);
	return CTL_OK;
}

static int run_org_export(struct ctl *ctl, int argc, char **argv)
{
	struct args a = {0};
	json_t *ans = NULL;
	char *esc = NULL, *path = NULL;
	int rc = parse(ctl, ORG_EXPORT_COMMAND, export_usage, 1, argc, argv, &a);

	if (rc != CTL_OK)
		goto out;
	esc = curl_easy_escape(NULL, a.tenant, 0);
	if (esc == NULL || asprintf(&path, "/v1/org/export?tenant=%s", esc) < 0) {
		path = NULL;
		rc = ctl_error(CTL_FAIL, "out of memory");
		goto out;
	}
	rc = request(ctl, "GET", path, NULL, &ans, NULL);
	if (rc == CTL_OK)
		rc = write_files(&a, ans);
out:
	curl_free(esc);
	free(path);
	json_decref(ans);
	free(a.files);
	return rc < 0 ? CTL_OK : rc;
}

int cmd_org_import(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	(void)self;
	return run_org_import(ctl, argc - 1, argv + 1);
}

int cmd_org_export(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	(void)self;
	return run_org_export(ctl, argc - 1, argv + 1);
}
