/* jianductl: configuration files for a new instance. */
#include "confgen.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* inih reads lines of at most INI_MAX_LINE - 1 (199) bytes, newline included. */
#define MAX_INI_LINE 198

static int name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

/* A value inih reads back as written: no control characters, ';' or outer blanks. */
static int ini_value_ok(const char *v)
{
	size_t n = strlen(v);

	if (n > 0 && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
		return 0;
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f || *v == ';')
			return 0;
	return 1;
}

static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof cwd))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

/*
 * <dir of this binary>/plugins (a build tree), else, when that is missing,
 * <dir of this binary>/../lib/jiandu/plugins (installed: /usr/bin and
 * /usr/lib/jiandu/plugins).
 */
static char *default_plugins_dir(void)
{
	char exe[PATH_MAX], *slash, *out, *up;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	struct stat st;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if (asprintf(&out, "%s/plugins", exe) < 0)
		return NULL;
	if (stat(out, &st) == 0)
		return out;
	slash = strrchr(exe, '/');
	if (slash && slash != exe) {
		*slash = '\0';
		if (asprintf(&up, "%s/lib/jiandu/plugins", exe) >= 0) {
			if (stat(up, &st) == 0) {
				free(out);
				return up;
			}
			free(up);
		}
	}
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "<name>.so" with a plain name: the name, else NULL. */
static char *plugin_name(const char *file)
{
	size_t n = strlen(file);

	if (n <= 3 || strcmp(file + n - 3, ".so") != 0)
		return NULL;
	for (size_t i = 0; i < n - 3; i++)
		if (!name_char((unsigned char)file[i]))
			return NULL;
	return strndup(file, n - 3);
}

static char *join_names(char **names, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s%s", i ? "," : "", names[i]);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int collect(DIR *d, char ***names, size_t *n)
{
	struct dirent *de;
	size_t cap = 0;
	char **p, *name;

	errno = 0;
	while ((de = readdir(d)) != NULL) {
		name = plugin_name(de->d_name);
		if (!name) {
			errno = 0;
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			p = realloc(*names, cap * sizeof *p);
			if (!p) {
				free(name);
				return ENOMEM;
			}
			*names = p;
		}
		(*names)[(*n)++] = name;
		errno = 0;
	}
	return errno;
}

/* Every <name>.so in dir, sorted and comma-separated; "" when dir does not exist. */
static int scan_plugins(const char *dir, char **load, struct ctl_err *err)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	int e;

	if (!d && errno == ENOENT) {
		*load = strdup("");
		return *load ? CTL_OK : ctl_fail(err, CTL_FAIL, "out of memory");
	}
	if (!d)
		return ctl_fail(err, CTL_FAIL, "cannot list %s: %s", dir, strerror(errno));
	e = collect(d, &names, &n);
	closedir(d);
	if (e == 0) {
		if (n > 1)
			qsort(names, n, sizeof *names, cmp_str);
		*load = join_names(names, n);
		e = *load ? 0 : ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (e)
		return ctl_fail(err, CTL_FAIL, "cannot list %s: %s", dir, strerror(e));
	return CTL_OK;
}

/* "a, b" -> "a,b"; each name letters, digits, '_' or '-'. */
static int normalise_load(const char *opt, char **load, struct ctl_err *err)
{
	char *out = malloc(strlen(opt) + 1), *o = out;
	const char *p = opt;

	if (!out)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	while (*p) {
		const char *start;
		while (*p == ' ' || *p == ',')
			p++;
		start = p;
		while (name_char((unsigned char)*p))
			*o++ = *p++;
		if (*p && *p != ',' && *p != ' ') {
			free(out);
			return ctl_fail(err, CTL_USAGE,
					"--load: '%s' is not a list of plugin names "
					"(letters, digits, '_', '-', separated by commas)",
					opt);
		}
		if (p > start && o > out)
			*o++ = ',';
	}
	if (o > out && o[-1] == ',')
		o--;
	*o = '\0';
	*load = out;
	return CTL_OK;
}

int confgen_plugins(struct instance_settings *s, const char *dir_opt, const char *load_opt,
		    struct ctl_err *err)
{
	if (dir_opt && (!*dir_opt || !ini_value_ok(dir_opt)))
		return ctl_fail(err, CTL_USAGE,
				"--plugins-dir: a path without control characters, ';' or "
				"leading or trailing blanks, please");
	s->plugins_dir = dir_opt ? absolute(dir_opt) : default_plugins_dir();
	if (!s->plugins_dir)
		return ctl_fail(err, CTL_FAIL, "cannot work out the plugins directory: %s",
				strerror(errno));
	if (!ini_value_ok(s->plugins_dir))
		return ctl_fail(err, CTL_USAGE,
				"the plugins directory %s cannot be written in an INI file; "
				"give --plugins-dir",
				s->plugins_dir);
	if (load_opt)
		return normalise_load(load_opt, &s->load, err);
	return scan_plugins(s->plugins_dir, &s->load, err);
}

void confgen_settings_free(struct instance_settings *s)
{
	free(s->plugins_dir);
	free(s->load);
	s->plugins_dir = NULL;
	s->load = NULL;
}

static int check_lines(const char *text, struct ctl_err *err)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > MAX_INI_LINE)
			return ctl_fail(err, CTL_USAGE,
					"this line would be too long for the INI parser "
					"(at most %d characters): %.*s",
					MAX_INI_LINE, (int)n, p);
		p += n;
		if (*p)
			p++;
	}
	return CTL_OK;
}

static int finish(FILE *m, char **text, struct ctl_err *err)
{
	int rc;

	if (fclose(m) != 0) {
		free(*text);
		*text = NULL;
		return ctl_fail(err, CTL_FAIL, "out of memory");
	}
	rc = check_lines(*text, err);
	if (rc != CTL_OK) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

static void daemon_head(FILE *m, const struct instance_settings *s)
{
	fprintf(m,
		"# jiandud configuration, written by `jianductl init`.\n"
		"# Relative paths are resolved against the directory of this file.\n"
		"# Every key, with its default: conf/jiandud.conf.example.\n"
		"\n"
		"[server]\n"
		"# Managed Redis (socket, append-only file) and audit checkpoints.\n"
		"data_dir = %s\n"
		"# Written when started with -d (daemonize).\n"
		"pid_file = jiandud.pid\n"
		"# debug, info, notice, warn or err.\n"
		"log_level = info\n"
		"\n"
		"[control]\n"
		"# Administration (jianductl): client certificate from tls/ca.crt required.\n"
		"listen = 127.0.0.1:%u\n"
		"\n"
		"[api]\n"
		"# Clients: client certificate or bearer token.\n"
		"listen = 127.0.0.1:%u\n"
		"\n",
		s->data_dir ? s->data_dir : "data", s->control_port, s->api_port);
}

static void daemon_tail(FILE *m, const struct instance_settings *s)
{
	fprintf(m,
		"[tls]\n"
		"# The daemon's certificate and key, and the CA that signs client certificates.\n"
		"cert = tls/server.crt\n"
		"key = tls/server.key\n"
		"ca = tls/ca.crt\n"
		"\n"
		"[redis]\n"
		"# Empty: jiandud runs its own redis-server on a unix socket in data_dir.\n"
		"url =\n"
		"\n"
		"[plugins]\n"
		"# Where <name>.so live, and which to load (comma-separated; empty: none).\n"
		"dir = %s\n"
		"load =%s%s\n"
		"\n"
		"[security]\n"
		"# Master keys and the audit signing key: keep it secret, never in Redis.\n"
		"keyring = keyring\n",
		s->plugins_dir, s->load[0] ? " " : "", s->load);
}

int confgen_daemon(const struct instance_settings *s, char **text, struct ctl_err *err)
{
	size_t len = 0;
	FILE *m;

	*text = NULL;
	if (s->data_dir && !ini_value_ok(s->data_dir))
		return ctl_fail(err, CTL_USAGE,
				"--data-dir: a path without control characters, ';' or leading or "
				"trailing blanks, please");
	m = open_memstream(text, &len);
	if (!m)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	daemon_head(m, s);
	daemon_tail(m, s);
	return finish(m, text, err);
}

int confgen_client(const struct instance_settings *s, char **text, struct ctl_err *err)
{
	size_t len = 0;
	FILE *m;

	*text = NULL;
	m = open_memstream(text, &len);
	if (!m)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	fprintf(m,
		"# jianductl client configuration, written by `jianductl init`.\n"
		"# Use it with: jianductl -c THIS_FILE COMMAND\n"
		"# Relative paths are resolved against the directory of this file.\n"
		"[client]\n"
		"# The daemon's control listener.\n"
		"server = 127.0.0.1:%u\n"
		"# The instance CA, and the admin's client certificate and key.\n"
		"ca = tls/ca.crt\n"
		"cert = tls/admin.crt\n"
		"key = tls/admin.key\n"
		"# Seconds to wait for the daemon.\n"
		"timeout = 10\n",
		s->control_port);
	return finish(m, text, err);
}
