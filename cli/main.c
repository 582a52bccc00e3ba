/*
 * jianductl: the jiandu admin CLI.  Global options, the built-in command
 * table, help, and the hand-over of any other command to the daemon's
 * route catalog.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "builtin.h"
#include "catalog.h"
#include "catalog_cache.h"
#include "certs.h"
#include "complete.h"
#include "ctl.h"
#include "init.h"
#include "keys.h"
#include "org_files.h"
#include "org_report.h"
#include "report.h"
#include "output.h"
#include "suggest.h"

static int cmd_help(struct ctl *ctl, const struct command *self, int argc, char **argv);
static int cmd_keys(struct ctl *ctl, const struct command *self, int argc, char **argv);
static int cmd_complete(struct ctl *ctl, const struct command *self, int argc, char **argv);

static const struct command commands[] = {
    {"init", INIT_USAGE, "Set up a new instance in DIR: CA, certificates, keyring, configs.",
     cmd_init, 0},
    {"status", "", "Show the daemon's version, uptime, plugins, Redis and listeners.", cmd_status,
     0},
    {"plugins", "", "List the loaded plugins.", cmd_plugins, 0},
    {"routes", "", "List the daemon's routes and their permissions.", cmd_routes, 0},
    {"reload", "", "Reload the daemon's configuration and TLS files.", cmd_reload, 0},
    {"certs", CERTS_USAGE, "Issue, list and revoke client certificates of the instance CA.",
     cmd_certs, 0},
    {"keys", KEYS_USAGE,
     "Rotate the master key (local), re-wrap tenant keys and show what each version protects.",
     cmd_keys, 0},
    {"backup", BACKUP_USAGE,
     "Copy the instance's data while it serves: Redis snapshot, audit files, configuration.",
     cmd_backup, 0},
    {"restore", RESTORE_USAGE,
     "Restore a backup into a stopped, fresh instance; then verify every tenant's audit trail.",
     cmd_restore, 0},
    {"help", "[COMMAND]", "Show the commands, or how to use one.", cmd_help, 0},
    /* catalog routes with their own rendering (sections, --csv) */
    {ORG_REPORT_COMMAND, "", "", cmd_org_report, CMD_CATALOG},
    {REPORT_COMMAND, "", "", cmd_report, CMD_CATALOG},
    /* routes without catalog commands: these read and write files */
    {ORG_IMPORT_COMMAND, "", "", cmd_org_import, CMD_CATALOG},
    {ORG_EXPORT_COMMAND, "", "", cmd_org_export, CMD_CATALOG},
    /* the bash completion's candidates, from the cached catalog only */
    {"__complete", "[--] WORD...", "", cmd_complete, CMD_HIDDEN},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char options_help[] =
    "options (before the command):\n"
    "  -c FILE        client config (default: $JIANDUCTL_CONF, then\n"
    "                 ~/.config/jiandu/jianductl.conf)\n"
    "  -s HOST:PORT   the daemon's control listener\n"
    "  --ca FILE      the instance CA, to verify the daemon\n"
    "  --cert FILE    our client certificate\n"
    "  --key FILE     its private key\n"
    "  --json         print the daemon's JSON answers as they are\n"
    "  --output FMT   table (the default), json or csv (a listing's table as CSV)\n"
    "  --no-headers   tables and CSV without their header row\n"
    "  -h, --help     this help\n"
    "  -V, --version  print the version\n"
    "\n"
    "exit status: 0 ok, 1 refused or failed, 2 usage, 3 cannot connect or TLS failed\n";

/* How many words of argv name spells (all of them), or 0. */
static int name_words(const char *name, int argc, char **argv)
{
	int k = 0;

	for (const char *p = name; *p; k++) {
		size_t n = strcspn(p, " ");

		if (k >= argc || strlen(argv[k]) != n || strncmp(argv[k], p, n) != 0)
			return 0;
		p += n + (p[n] == ' ');
	}
	return k;
}

/* The command argv starts with (its words in *words), the longest name first. */
static const struct command *find_command(int argc, char **argv, int *words)
{
	const struct command *best = NULL;

	*words = 0;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		int k = name_words(commands[i].name, argc, argv);

		if (k > *words) {
			*words = k;
			best = &commands[i];
		}
	}
	return best;
}

/* A command that is the CLI's own: listed, helped and suggested as built-in. */
static int builtin(const struct command *cmd)
{
	return !(cmd->flags & (CMD_CATALOG | CMD_HIDDEN));
}

static void list_builtins(FILE *f)
{
	struct table *t = table_new(2, 0);

	if (t)
		table_indent(t, 2);
	for (size_t i = 0; t && i < N_COMMANDS; i++) {
		const char *cells[2] = {commands[i].name, commands[i].summary};
		if (builtin(&commands[i]) && table_add(t, cells) < 0)
			break;
	}
	if (t)
		table_print(t, f);
	table_free(t);
}

static void hide_builtins(struct catalog *cat)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (builtin(&commands[i]))
			catalog_hide(cat, commands[i].name);
}

/* The daemon's catalog, less the commands that built-ins shadow. */
static int fetch_catalog(const struct ctl *ctl, struct catalog *cat, struct ctl_err *err)
{
	int rc = catalog_fetch(ctl, cat, err);

	if (rc != CTL_OK)
		return rc;
	hide_builtins(cat);
	return CTL_OK;
}

/* Never the network: the catalog the last command that reached the daemon cached. */
static int cmd_complete(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	struct catalog cat;
	int cached = catalog_cache_load(&cat) == 0, rc;

	(void)ctl;
	(void)self;
	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argc--;
		argv++;
	}
	if (cached)
		hide_builtins(&cat);
	rc = complete_words(commands, N_COMMANDS, cached ? &cat : NULL, argc - 1, argv + 1, stdout);
	if (cached)
		catalog_free(&cat);
	return rc == 0 ? CTL_OK : ctl_error(CTL_FAIL, "out of memory");
}

static void usage_short(FILE *f)
{
	fputs("usage: jianductl [OPTIONS] COMMAND [ARGS]\n"
	      "       jianductl help   (the commands, including the daemon's)\n",
	      f);
}

/* help with no argument: options, built-ins and, if reachable, the catalog. */
static int help_all(struct ctl *ctl)
{
	struct catalog cat;
	struct ctl_err err = {0};

	fputs("usage: jianductl [OPTIONS] COMMAND [ARGS]\n\n", stdout);
	fputs(options_help, stdout);
	fputs("\nbuilt-in commands (jianductl help COMMAND for its arguments):\n", stdout);
	list_builtins(stdout);
	if (fetch_catalog(ctl, &cat, &err) != CTL_OK) {
		printf("\nthe daemon's commands (from its plugins) need a running daemon; "
		       "could not fetch them:\n  %s\n",
		       err.msg);
		return CTL_OK;
	}
	fputs("\nthe daemon's commands (jianductl COMMAND --help for options):\n", stdout);
	if (catalog_list(&cat, stdout, 0, NULL) == 0)
		puts("  (none)");
	catalog_free(&cat);
	return CTL_OK;
}

static int unknown_command(const struct catalog *cat, int argc, char **argv,
			   const struct ctl_err *offline);

static int help_catalog(struct ctl *ctl, int argc, char **argv)
{
	struct catalog cat;
	struct ctl_err err = {0};
	const struct cat_route *r;
	size_t k;
	int rc;

	if (fetch_catalog(ctl, &cat, &err) != CTL_OK)
		return unknown_command(NULL, argc, argv, &err);
	r = catalog_match(&cat, argc, argv, &k);
	if (r && k == (size_t)argc) {
		catalog_route_help(r, stdout);
		rc = CTL_OK;
	} else {
		rc = unknown_command(&cat, argc, argv, NULL);
	}
	catalog_free(&cat);
	return rc;
}

static int cmd_help(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	const struct command *cmd;
	int words;

	if (argc == 1)
		return help_all(ctl);
	cmd = find_command(argc - 1, argv + 1, &words);
	if (cmd && builtin(cmd) && words == argc - 1) {
		ctl_command_help(cmd, stdout);
		return CTL_OK;
	}
	return help_catalog(ctl, argc - 1, argv + 1);
}

/* ---- commands that are not built in ------------------------------------ */

static int suggest(const struct catalog *cat, int argc, char **argv, const char **best,
		   size_t *typed)
{
	size_t n = 0;
	const char **cands = calloc(N_COMMANDS + (cat ? cat->ncommands : 0), sizeof *cands);

	if (!cands)
		return ctl_error(CTL_FAIL, "out of memory");
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (builtin(&commands[i]))
			cands[n++] = commands[i].name;
	for (size_t i = 0; cat && i < cat->ncommands; i++)
		cands[n++] = cat->commands[i];
	*best = suggest_command(argc, argv, cands, n, typed);
	free(cands);
	return CTL_OK;
}

static void quote_words(FILE *f, int argc, char **argv, size_t n)
{
	char *clean;

	for (size_t i = 0; i < n && i < (size_t)argc; i++) {
		clean = out_clean(argv[i]);
		fprintf(f, "%s%s", i ? " " : "", clean ? clean : "?");
		free(clean);
	}
}

/*
 * Not a command.  With the catalog: a group prefix lists its commands,
 * anything else gets the nearest name.  Without it (offline set): the
 * nearest built-in, or the reason the catalog could not be read.
 */
static int unknown_command(const struct catalog *cat, int argc, char **argv,
			   const struct ctl_err *offline)
{
	const char *best = NULL;
	size_t typed = 1;

	if (cat && catalog_count(cat, argc, argv) > 0) {
		fputs("jianductl: '", stderr);
		quote_words(stderr, argc, argv, (size_t)argc);
		fputs("' is not a command by itself; these commands start with it:\n", stderr);
		catalog_list(cat, stderr, argc, argv);
		return CTL_USAGE;
	}
	if (suggest(cat, argc, argv, &best, &typed) != CTL_OK)
		return CTL_FAIL;
	if (!best && offline) {
		ctl_error(offline->code,
			  "'%s' is not a built-in command, and the daemon's commands "
			  "are not available:",
			  argv[0]);
		return ctl_report(offline);
	}
	fputs("jianductl: unknown command '", stderr);
	quote_words(stderr, argc, argv, best ? typed : 1);
	if (best)
		fprintf(stderr, "'; did you mean '%s'?\n", best);
	else
		fputs("'; 'jianductl help' lists the commands\n", stderr);
	if (offline)
		fprintf(stderr, "jianductl: (the daemon's commands are not available: %s)\n",
			offline->msg);
	return CTL_USAGE;
}

static int run_catalog(struct ctl *ctl, int argc, char **argv)
{
	struct catalog cat;
	struct ctl_err err = {0};
	const struct cat_route *r;
	size_t k;
	int rc;

	if (fetch_catalog(ctl, &cat, &err) != CTL_OK)
		return unknown_command(NULL, argc, argv, &err);
	r = catalog_match(&cat, argc, argv, &k);
	if (r)
		rc = catalog_run(ctl, r, argc - (int)k, argv + k);
	else
		rc = unknown_command(&cat, argc, argv, NULL);
	catalog_free(&cat);
	return rc;
}

/* keys rotate works on the instance's files; keys rewrap and keys status are the daemon's. */
static int cmd_keys(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "rotate") == 0)
		return cmd_keys_rotate(ctl, self, argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		ctl_command_help(self, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	return run_catalog(ctl, argc, argv);
}

/* ---- global options ----------------------------------------------------- */

enum { OPT_CERT = 256, OPT_KEY, OPT_CA, OPT_JSON, OPT_OUTPUT, OPT_NO_HEADERS };

/* parse_global's answers besides the exit codes */
enum { GLOBAL_HELP = -1, GLOBAL_VERSION = -2 };

static int parse_global(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"server", required_argument, NULL, 's'},
	    {"cert", required_argument, NULL, OPT_CERT},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"ca", required_argument, NULL, OPT_CA},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"output", required_argument, NULL, OPT_OUTPUT},
	    {"no-headers", no_argument, NULL, OPT_NO_HEADERS},
	    {"no_headers", no_argument, NULL, OPT_NO_HEADERS},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctl->conf_path = optarg;
			break;
		case 's':
			ctl->server = optarg;
			break;
		case OPT_CERT:
			ctl->cert = optarg;
			break;
		case OPT_KEY:
			ctl->key = optarg;
			break;
		case OPT_CA:
			ctl->ca = optarg;
			break;
		case OPT_JSON:
			ctl->json = 1;
			break;
		case OPT_OUTPUT:
			if (ctl_output(ctl, optarg) != CTL_OK)
				return CTL_USAGE;
			break;
		case OPT_NO_HEADERS:
			out_no_headers(1);
			break;
		case 'h':
			return GLOBAL_HELP;
		case 'V':
			return GLOBAL_VERSION;
		case ':':
			return ctl_error(CTL_USAGE, "option '%s' needs a value", argv[optind - 1]);
		default:
			return ctl_error(CTL_USAGE,
					 "unknown option '%s' (jianductl --help lists them)",
					 argv[optind - 1]);
		}
	}
	return CTL_OK;
}

static int run(int argc, char **argv)
{
	struct ctl ctl;
	const struct command *cmd;
	int rc, words;

	memset(&ctl, 0, sizeof ctl);
	rc = parse_global(&ctl, argc, argv);
	if (rc == GLOBAL_VERSION) {
		puts("jianductl " JD_VERSION);
		return CTL_OK;
	}
	if (rc == GLOBAL_HELP)
		return help_all(&ctl);
	if (rc != CTL_OK)
		return rc;
	if (optind >= argc) {
		usage_short(stderr);
		return ctl_error(CTL_USAGE, "no command given");
	}
	argc -= optind;
	argv += optind;
	cmd = find_command(argc, argv, &words);
	if (cmd)
		return cmd->run(&ctl, cmd, argc - words + 1, argv + words - 1);
	return run_catalog(&ctl, argc, argv);
}

int main(int argc, char **argv)
{
	int rc;

	/* UTF-8 for display widths; without it non-ASCII text shows as '?' */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		ctl_error(CTL_OK, "warning: no C.UTF-8 locale; non-ASCII text is shown as '?'");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ctl_error(CTL_FAIL, "cannot initialise libcurl");
	rc = run(argc, argv);
	curl_global_cleanup();
	if (fflush(stdout) != 0 && rc == CTL_OK)
		rc = ctl_error(CTL_FAIL, "cannot write the output");
	return rc;
}
