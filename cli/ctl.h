/*
 * jianductl: what every command shares: exit codes, error reports, the
 * global options and the command table entry.
 */
#ifndef JDCTL_CTL_H
#define JDCTL_CTL_H

#include <stdio.h>
#include <jansson.h>

/* Exit codes: the contract with scripts. */
enum ctl_exit {
	CTL_OK = 0,	 /* done */
	CTL_FAIL = 1,	 /* the server refused or failed, or a local step failed */
	CTL_USAGE = 2,	 /* bad command line or client config */
	CTL_CONNECT = 3, /* could not connect, or TLS failed */
};

/* An error to report later (or not, when a caller has a fallback). */
struct ctl_err {
	int code; /* enum ctl_exit */
	char msg[1024];
};

/* Global options, as given before the command. */
struct ctl {
	const char *conf_path; /* -c */
	const char *server;    /* -s */
	const char *ca;	       /* --ca */
	const char *cert;      /* --cert */
	const char *key;       /* --key */
	int json;	       /* --json */
	int csv;	       /* --output csv, --csv */
};

/*
 * One command of jianductl's table (main.c), tmux's cmd_entry: its name
 * (one or more words, "org report"), usage, summary and what runs it, with
 * argv[0] the name's last word and then the arguments.
 */
struct command {
	const char *name;
	const char *usage; /* arguments after the name */
	const char *summary;
	int (*run)(struct ctl *ctl, const struct command *self, int argc, char **argv);
	unsigned flags; /* CMD_* */
};

/*
 * The daemon's route under that name, run here (a rendering of its own,
 * files read or written): its help and listing stay the catalog's.
 */
#define CMD_CATALOG 1u
/* Not listed, helped or suggested: plumbing for scripts (__complete). */
#define CMD_HIDDEN 2u

/*
 * --output table|json|csv: sets ctl->json and ctl->csv (table: neither).
 * CTL_OK, or CTL_USAGE for another value.
 */
int ctl_output(struct ctl *ctl, const char *format);

/* Fills *err and returns code. */
int ctl_fail(struct ctl_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints "jianductl: <msg>" on stderr and returns err->code. */
int ctl_report(const struct ctl_err *err);
/* Prints "jianductl: <msg>" on stderr and returns code. */
int ctl_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Option names are written in kebab case (--subject-name), as git, kubectl
 * and systemctl spell them; the underscore spelling of the daemon's field
 * names (--subject_name) works too.  ctl_opt_same: a and b are the same
 * name but for '-' against '_'.  ctl_opt_label: name in kebab case (a
 * static buffer, two alternating: good for two uses in one message).
 */
int ctl_opt_same(const char *a, size_t alen, const char *b, size_t blen);
const char *ctl_opt_label(const char *name);

/*
 * Matches argv[*i] against option `name` ("--name VALUE" or "--name=VALUE").
 * Returns 1 and sets *value (advancing *i past a separate value), 0 when
 * argv[*i] is another option, -1 when the value is missing.
 */
int ctl_opt(int argc, char **argv, int *i, const char *name, const char **value);
/*
 * The output options every command takes after its name as well as
 * before it: --output table|json|csv, --json, --csv (ctl->json, ctl->csv)
 * and --no-headers (or --no_headers).  Returns 1 when argv[*i] was one
 * (advancing *i past a separate value), 0 for anything else, -1 after
 * reporting a bad or missing value.
 */
int ctl_output_arg(struct ctl *ctl, int argc, char **argv, int *i);

/*
 * --output json, or csv of one object (`fields`: its members as
 * out_csv_fields): prints j so and returns CTL_OK or CTL_FAIL.  Otherwise
 * prints nothing and returns -1, for the command's own table (which
 * table_print writes as CSV under --output csv).
 */
int ctl_print_as(const struct ctl *ctl, const json_t *j, int fields);

/*
 * Arguments of a command that takes none but the output options and -h/--help.
 * Returns -1 to go on, or the exit code to return now.
 */
int ctl_no_args(struct ctl *ctl, const struct command *self, int argc, char **argv);

/* "usage: jianductl NAME USAGE" and the summary. */
void ctl_command_help(const struct command *cmd, FILE *f);

/*
 * Loads the client config, sends one request and parses the JSON answer
 * (*out: NULL for an empty body).  On failure fills *err and returns its
 * code; the caller decides whether to report it.
 */
int ctl_request(const struct ctl *ctl, const char *method, const char *path, json_t *body,
		json_t **out, struct ctl_err *err);

/*
 * POST /v1/reload, for commands that changed the instance's files:
 * CTL_OK when the daemon reloaded, else CTL_CONNECT or CTL_FAIL with the
 * reason in err.
 */
int ctl_post_reload(struct ctl *ctl, struct ctl_err *err);

#endif
