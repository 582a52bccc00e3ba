/*
 * jianductl init: a new instance in DIR, like unbound-control-setup.  It
 * never overwrites: an existing instance is refused, and a run that fails
 * midway removes everything it had created.
 */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "confgen.h"
#include "files.h"
#include "keyring.h"
#include "output.h"
#include "pki.h"
#include "suggest.h"

#define DEFAULT_CONTROL_PORT 7443
#define DEFAULT_API_PORT     8443

struct init_opts {
	char *dir; /* without trailing slashes */
	const char **names;
	size_t nnames;
	unsigned control_port, api_port;
	const char *plugins_dir, *load;
	const char
	    *data_dir; /* --data-dir: elsewhere than DIR/data (a package's /var/lib/jiandu) */
};

struct init_paths {
	char *conf, *client_conf, *tls, *keyring, *data;
};

enum {
	OPT_NAME,
	OPT_CONTROL_PORT,
	OPT_API_PORT,
	OPT_PLUGINS_DIR,
	OPT_LOAD,
	OPT_DATA_DIR,
	OPT_COUNT
};

static const char *const opt_names[OPT_COUNT] = {"--name",	  "--control-port", "--api-port",
						 "--plugins-dir", "--load",	    "--data-dir"};

static int parse_port(const char *opt, const char *v, unsigned *out)
{
	char *end;
	long p;

	errno = 0;
	p = strtol(v, &end, 10);
	if (errno || end == v || *end || p < 1 || p > 65535)
		return ctl_error(CTL_USAGE, "init: %s %s: expected a port number from 1 to 65535",
				 opt, v);
	*out = (unsigned)p;
	return CTL_OK;
}

static int twice(const char *opt)
{
	return ctl_error(CTL_USAGE, "init: %s given twice", opt);
}

static int apply_opt(struct init_opts *o, int k, const char *v)
{
	switch (k) {
	case OPT_NAME:
		if (!pki_name_valid(v))
			return ctl_error(
			    CTL_USAGE, "init: --name %s: expected a host name or an IP address", v);
		o->names[o->nnames++] = v;
		return CTL_OK;
	case OPT_CONTROL_PORT:
		if (o->control_port)
			return twice(opt_names[k]);
		return parse_port(opt_names[k], v, &o->control_port);
	case OPT_API_PORT:
		if (o->api_port)
			return twice(opt_names[k]);
		return parse_port(opt_names[k], v, &o->api_port);
	case OPT_PLUGINS_DIR:
		if (o->plugins_dir)
			return twice(opt_names[k]);
		o->plugins_dir = v;
		return CTL_OK;
	case OPT_DATA_DIR:
		if (o->data_dir)
			return twice(opt_names[k]);
		if (v[0] != '/')
			return ctl_error(CTL_USAGE, "init: --data-dir %s: an absolute path, please",
					 v);
		o->data_dir = v;
		return CTL_OK;
	default:
		if (o->load)
			return twice(opt_names[k]);
		o->load = v;
		return CTL_OK;
	}
}

static int unknown_opt(const char *arg)
{
	const char *near = suggest_word(arg, opt_names, OPT_COUNT);

	if (strcmp(arg, "--force") == 0)
		return ctl_error(CTL_USAGE, "init: there is no --force: init never overwrites an "
					    "instance; use a new directory");
	if (near)
		return ctl_error(CTL_USAGE, "init: unknown option '%s'; did you mean '%s'?", arg,
				 near);
	return ctl_error(CTL_USAGE, "init: unknown option '%s' (usage: jianductl init %s)", arg,
			 INIT_USAGE);
}

static int set_dir(struct init_opts *o, const char *arg)
{
	size_t n = strlen(arg);

	if (o->dir)
		return ctl_error(CTL_USAGE, "init: one directory only ('%s' and '%s')", o->dir,
				 arg);
	if (n == 0)
		return ctl_error(CTL_USAGE, "init: the directory name is empty");
	while (n > 1 && arg[n - 1] == '/')
		n--;
	o->dir = strndup(arg, n);
	return o->dir ? CTL_OK : ctl_error(CTL_FAIL, "out of memory");
}

/* CTL_OK to go on, -1 after printing help, or an exit code. */
static int parse_one(struct init_opts *o, int argc, char **argv, int *i)
{
	const char *v;

	if (strcmp(argv[*i], "-h") == 0 || strcmp(argv[*i], "--help") == 0)
		return -1;
	for (int k = 0; k < OPT_COUNT; k++) {
		int m = ctl_opt(argc, argv, i, opt_names[k], &v);
		if (m < 0)
			return ctl_error(CTL_USAGE, "init: %s needs a value", opt_names[k]);
		if (m > 0)
			return apply_opt(o, k, v);
	}
	if (argv[*i][0] == '-' && argv[*i][1] != '\0')
		return unknown_opt(argv[*i]);
	return set_dir(o, argv[*i]);
}

static int parse_args(struct init_opts *o, int argc, char **argv)
{
	int rc;

	o->names = calloc((size_t)argc, sizeof *o->names);
	if (!o->names)
		return ctl_error(CTL_FAIL, "out of memory");
	for (int i = 1; i < argc; i++) {
		rc = parse_one(o, argc, argv, &i);
		if (rc != CTL_OK)
			return rc;
	}
	if (!o->dir)
		return ctl_error(CTL_USAGE, "init: which directory? (usage: jianductl init %s)",
				 INIT_USAGE);
	if (!o->control_port)
		o->control_port = DEFAULT_CONTROL_PORT;
	if (!o->api_port)
		o->api_port = DEFAULT_API_PORT;
	if (o->control_port == o->api_port)
		return ctl_error(CTL_USAGE, "init: the control and api listeners need two ports");
	return CTL_OK;
}

static char *join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static int make_paths(const char *dir, const char *data_dir, struct init_paths *p)
{
	p->conf = join(dir, "jiandud.conf");
	p->client_conf = join(dir, "jianductl.conf");
	p->tls = join(dir, "tls");
	p->keyring = join(dir, "keyring");
	p->data = data_dir ? strdup(data_dir) : join(dir, "data");
	if (p->conf && p->client_conf && p->tls && p->keyring && p->data)
		return CTL_OK;
	return ctl_error(CTL_FAIL, "out of memory");
}

static void free_paths(struct init_paths *p)
{
	free(p->conf);
	free(p->client_conf);
	free(p->tls);
	free(p->keyring);
	free(p->data);
}

/* An empty directory: what a package prepares as the data directory. */
static int empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = d != NULL;

	while (d && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	if (d)
		closedir(d);
	return empty;
}

/*
 * Refuses a directory that holds (part of) an instance; *dir_is_new when
 * DIR is missing, *data_is_new when the data directory is (a --data-dir
 * may exist, empty).
 */
static int check_fresh(const struct init_opts *o, const struct init_paths *p, int *dir_is_new,
		       int *data_is_new)
{
	const char *dir = o->dir;
	const char *const taken[] = {p->conf, p->tls, p->client_conf, p->keyring,
				     o->data_dir ? NULL : p->data};
	struct stat st;

	*dir_is_new = 0;
	*data_is_new = 1;
	if (o->data_dir && stat(p->data, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || !empty_dir(p->data))
			return ctl_error(CTL_FAIL,
					 "init: --data-dir %s exists and is not an empty directory",
					 p->data);
		*data_is_new = 0;
	}
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT)
			return ctl_error(CTL_FAIL, "init: %s: %s", dir, strerror(errno));
		*dir_is_new = 1;
		return CTL_OK;
	}
	if (!S_ISDIR(st.st_mode))
		return ctl_error(CTL_FAIL, "init: %s exists and is not a directory", dir);
	for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
		if (!taken[i])
			continue;
		if (lstat(taken[i], &st) == 0)
			return ctl_error(CTL_FAIL,
					 "init: %s already exists: %s holds an instance and init "
					 "never overwrites one; choose another directory",
					 taken[i], dir);
		if (errno != ENOENT)
			return ctl_error(CTL_FAIL, "init: %s: %s", taken[i], strerror(errno));
	}
	return CTL_OK;
}

struct texts {
	char *daemon, *client;
};

/* The missing parents of path, as mkdir -p makes them (0755); undone with the rest. */
static int make_parents(struct fs_tx *tx, const char *path, struct ctl_err *err)
{
	char *copy = strdup(path);
	struct stat st;
	int rc = CTL_OK;

	if (!copy)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	for (char *p = strchr(copy + 1, '/'); p && rc == CTL_OK; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (stat(copy, &st) < 0)
			rc = errno == ENOENT
				 ? fs_mkdir(tx, copy, 0755, "parent directory", err)
				 : ctl_fail(err, CTL_FAIL, "%s: %s", copy, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			rc = ctl_fail(err, CTL_FAIL, "%s is not a directory", copy);
		*p = '/';
	}
	free(copy);
	return rc;
}

static int create_all(const struct init_opts *o, const struct init_paths *p, const int fresh[2],
		      const struct texts *t, struct fs_tx *tx, struct ctl_err *err)
{
	int rc = CTL_OK;

	if (fresh[0])
		rc = make_parents(tx, o->dir, err);
	if (rc == CTL_OK && fresh[0])
		rc = fs_mkdir(tx, o->dir, 0700, "instance directory", err);
	if (rc == CTL_OK)
		rc = fs_mkdir(tx, p->tls, 0700, "certificates and keys", err);
	if (rc == CTL_OK)
		rc = pki_create(tx, p->tls, o->names, o->nnames, err);
	if (rc == CTL_OK)
		rc = keyring_create(tx, p->keyring, err);
	if (rc == CTL_OK && fresh[1] && o->data_dir)
		rc = make_parents(tx, p->data, err);
	if (rc == CTL_OK && fresh[1])
		rc = fs_mkdir(tx, p->data, 0700, "data: managed Redis, audit checkpoints", err);
	if (rc == CTL_OK)
		rc = fs_create(tx, p->conf, 0644, t->daemon, strlen(t->daemon), "daemon config",
			       err);
	if (rc == CTL_OK)
		rc = fs_create(tx, p->client_conf, 0644, t->client, strlen(t->client),
			       "client config for jianductl -c", err);
	return rc;
}

/* Creates everything with termination signals held back, so no half instance is left. */
static int create_guarded(const struct init_opts *o, const struct init_paths *p, const int fresh[2],
			  const struct texts *t, struct fs_tx *tx)
{
	struct ctl_err err = {0};
	sigset_t block, old;
	int rc;

	if (sigemptyset(&block) < 0 || sigaddset(&block, SIGINT) < 0 ||
	    sigaddset(&block, SIGTERM) < 0 || sigaddset(&block, SIGHUP) < 0 ||
	    sigaddset(&block, SIGQUIT) < 0 || sigprocmask(SIG_BLOCK, &block, &old) < 0)
		return ctl_error(CTL_FAIL, "init: cannot block signals: %s", strerror(errno));
	rc = create_all(o, p, fresh, t, tx, &err);
	if (rc != CTL_OK) {
		int created = tx->n > 0;
		ctl_error(rc, "init: %s", err.msg);
		fs_tx_rollback(tx);
		if (created)
			fprintf(stderr,
				"jianductl: init: removed what this run had created in %s\n",
				o->dir);
	}
	if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
		ctl_error(CTL_FAIL, "init: cannot restore the signal mask: %s", strerror(errno));
	return rc;
}

static int report(const struct init_opts *o, const struct instance_settings *s,
		  const struct fs_tx *tx)
{
	struct table *t = table_new(3, 0);
	char mode[8], *path;
	int rc = 0;

	if (!t)
		return ctl_error(CTL_FAIL, "out of memory");
	table_indent(t, 2);
	for (size_t i = 0; i < tx->n && rc == 0; i++) {
		const struct fs_entry *e = &tx->v[i];
		const char *cells[3] = {NULL, mode, e->what};
		snprintf(mode, sizeof mode, "%04o", (unsigned)e->mode);
		rc = asprintf(&path, "%s%s", e->path, e->is_dir ? "/" : "") < 0 ? -1 : 0;
		if (rc == 0) {
			cells[0] = path;
			rc = table_add(t, cells);
			free(path);
		}
	}
	if (rc == 0) {
		printf("created a jiandu instance in %s:\n", o->dir);
		table_print(t, stdout);
		printf("\nplugins: %s from %s\n", s->load[0] ? s->load : "(none)", s->plugins_dir);
		printf("\nnext:\n  jiandud -c %s/jiandud.conf\n  jianductl -c %s/jianductl.conf "
		       "status\n",
		       o->dir, o->dir);
	}
	table_free(t);
	return rc == 0 ? CTL_OK : ctl_error(CTL_FAIL, "out of memory");
}

static int prepare(const struct init_opts *o, struct instance_settings *s, struct texts *t)
{
	struct ctl_err err = {0};
	int rc;

	s->control_port = o->control_port;
	s->api_port = o->api_port;
	s->data_dir = o->data_dir;
	rc = confgen_plugins(s, o->plugins_dir, o->load, &err);
	if (rc == CTL_OK)
		rc = confgen_daemon(s, &t->daemon, &err);
	if (rc == CTL_OK)
		rc = confgen_client(s, &t->client, &err);
	if (rc != CTL_OK)
		return ctl_error(rc, "init: %s", err.msg);
	if (sodium_init() < 0)
		return ctl_error(CTL_FAIL, "init: libsodium failed to initialise");
	return CTL_OK;
}

int cmd_init(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	struct init_opts o;
	struct init_paths p;
	struct instance_settings s;
	struct texts t = {NULL, NULL};
	struct fs_tx tx = {NULL, 0, 0};
	int rc, fresh[2];

	memset(&o, 0, sizeof o);
	memset(&p, 0, sizeof p);
	memset(&s, 0, sizeof s);
	rc = parse_args(&o, argc, argv);
	if (rc < 0) {
		ctl_command_help(self, stdout);
		rc = CTL_OK;
		goto out;
	}
	if (rc != CTL_OK || (rc = make_paths(o.dir, o.data_dir, &p)) != CTL_OK ||
	    (rc = check_fresh(&o, &p, &fresh[0], &fresh[1])) != CTL_OK ||
	    (rc = prepare(&o, &s, &t)) != CTL_OK)
		goto out;
	rc = create_guarded(&o, &p, fresh, &t, &tx);
	if (rc == CTL_OK)
		rc = report(&o, &s, &tx);
	fs_tx_release(&tx);
out:
	free(t.daemon);
	free(t.client);
	confgen_settings_free(&s);
	free_paths(&p);
	free(o.names);
	free(o.dir);
	return rc;
}
