/* jianductl: the client config file (INI, parsed by inih). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_S 10
#define MAX_TIMEOUT_S	  3600

struct parse_state {
	struct client_conf *conf;
	char *dir; /* of the config file; NULL: values are used as they are */
	int have_timeout;
	char reason[256];
};

static int port_valid(const char *p)
{
	long v = 0;

	if (*p == '\0' || strlen(p) > 5)
		return 0;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		v = v * 10 + (*p - '0');
	}
	return v >= 1 && v <= 65535;
}

static int host_valid(const char *h, size_t n)
{
	int v6 = n >= 2 && h[0] == '[' && h[n - 1] == ']';

	if (v6) {
		h++;
		n -= 2;
	}
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		int ok = v6 ? (isxdigit(c) || c == ':' || c == '.')
			    : (isalnum(c) || c == '.' || c == '-' || c == '_');
		if (!ok)
			return 0;
	}
	return 1;
}

int client_server_valid(const char *s)
{
	const char *colon = strrchr(s, ':');

	if (!colon || colon == s)
		return 0;
	return port_valid(colon + 1) && host_valid(s, (size_t)(colon - s));
}

static char *resolve_path(const char *dir, const char *value)
{
	char *out;

	if (value[0] == '/' || !dir)
		return strdup(value);
	if (asprintf(&out, "%s/%s", dir, value) < 0)
		return NULL;
	return out;
}

static int set_path(struct parse_state *st, char **slot, const char *name, const char *value)
{
	if (*slot) {
		snprintf(st->reason, sizeof st->reason, "'%s' given twice", name);
		return 0;
	}
	*slot = resolve_path(st->dir, value);
	if (!*slot) {
		snprintf(st->reason, sizeof st->reason, "out of memory");
		return 0;
	}
	return 1;
}

static int set_timeout(struct parse_state *st, const char *value)
{
	char *end;
	long v;

	if (st->have_timeout) {
		snprintf(st->reason, sizeof st->reason, "'timeout' given twice");
		return 0;
	}
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < 1 || v > MAX_TIMEOUT_S) {
		snprintf(st->reason, sizeof st->reason,
			 "timeout must be a whole number of seconds from 1 to %d", MAX_TIMEOUT_S);
		return 0;
	}
	st->conf->timeout_s = v;
	st->have_timeout = 1;
	return 1;
}

static int set_server(struct parse_state *st, const char *value)
{
	if (!client_server_valid(value)) {
		snprintf(st->reason, sizeof st->reason,
			 "server must be host:port (IPv6 as [::1]:port), not '%.64s'", value);
		return 0;
	}
	if (st->conf->server) {
		snprintf(st->reason, sizeof st->reason, "'server' given twice");
		return 0;
	}
	st->conf->server = strdup(value);
	if (!st->conf->server) {
		snprintf(st->reason, sizeof st->reason, "out of memory");
		return 0;
	}
	return 1;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	if (st->reason[0])
		return 1; /* report the first error only */
	if (strcmp(section, "client") != 0) {
		snprintf(st->reason, sizeof st->reason, "unknown section [%.64s]", section);
		return 0;
	}
	if (value[0] == '\0') {
		snprintf(st->reason, sizeof st->reason, "'%.64s' has no value", name);
		return 0;
	}
	if (strcmp(name, "server") == 0)
		return set_server(st, value);
	if (strcmp(name, "ca") == 0)
		return set_path(st, &st->conf->ca, name, value);
	if (strcmp(name, "cert") == 0)
		return set_path(st, &st->conf->cert, name, value);
	if (strcmp(name, "key") == 0)
		return set_path(st, &st->conf->key, name, value);
	if (strcmp(name, "timeout") == 0)
		return set_timeout(st, value);
	snprintf(st->reason, sizeof st->reason,
		 "unknown key '%.64s' in [client] (known: server, ca, cert, key, timeout)", name);
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return NULL;
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int read_file(const char *path, int must_exist, struct client_conf *conf,
		     struct ctl_err *err)
{
	struct parse_state st = {.conf = conf};
	FILE *f = fopen(path, "r");
	int line, rc = CTL_OK;

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return CTL_OK;
		return ctl_fail(err, CTL_USAGE, "cannot read client config %s: %s", path,
				strerror(errno));
	}
	st.dir = dir_of(path);
	if (strchr(path, '/') && !st.dir) {
		rc = ctl_fail(err, CTL_FAIL, "out of memory");
		goto out;
	}
	line = ini_parse_file(f, on_entry, &st);
	if (line != 0 || st.reason[0]) {
		rc = ctl_fail(err, CTL_USAGE, "%s:%d: %s", path, line > 0 ? line : 0,
			      st.reason[0] ? st.reason : "not an INI line (key = value)");
		goto out;
	}
	conf->file = strdup(path);
	if (!conf->file)
		rc = ctl_fail(err, CTL_FAIL, "out of memory");
out:
	free(st.dir);
	fclose(f);
	return rc;
}

static int override(char **slot, const char *value)
{
	if (!value)
		return 0;
	free(*slot);
	*slot = strdup(value);
	return *slot ? 0 : -1;
}

static int apply_overrides(const struct ctl *ctl, struct client_conf *conf, struct ctl_err *err)
{
	if (ctl->server && !client_server_valid(ctl->server))
		return ctl_fail(err, CTL_USAGE, "-s %s: expected host:port (IPv6 as [::1]:port)",
				ctl->server);
	if (override(&conf->server, ctl->server) || override(&conf->ca, ctl->ca) ||
	    override(&conf->cert, ctl->cert) || override(&conf->key, ctl->key))
		return ctl_fail(err, CTL_FAIL, "out of memory");
	return CTL_OK;
}

static int check_complete(const struct client_conf *conf, const char *path, struct ctl_err *err)
{
	static const char *const hint[] = {"server", "-s HOST:PORT", "ca",  "--ca FILE",
					   "cert",   "--cert FILE",  "key", "--key FILE"};
	const char *have[] = {conf->server, conf->ca, conf->cert, conf->key};

	for (size_t i = 0; i < 4; i++) {
		if (have[i])
			continue;
		if (conf->file)
			return ctl_fail(err, CTL_USAGE, "%s: no '%s' in [client] (or give %s)",
					conf->file, hint[2 * i], hint[2 * i + 1]);
		return ctl_fail(err, CTL_USAGE,
				"no client config (%s not found; use -c FILE or $JIANDUCTL_CONF) "
				"and no %s given",
				path, hint[2 * i + 1]);
	}
	return CTL_OK;
}

static char *default_path(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;
	char *out;

	if (!home || !*home) {
		pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return NULL;
	if (asprintf(&out, "%s/.config/jiandu/jianductl.conf", home) < 0)
		return NULL;
	return out;
}

static char *config_path(const struct ctl *ctl, int *must_exist)
{
	const char *env = getenv("JIANDUCTL_CONF");

	*must_exist = 1;
	if (ctl->conf_path)
		return strdup(ctl->conf_path);
	if (env && *env)
		return strdup(env);
	*must_exist = 0;
	return default_path();
}

int client_conf_load(const struct ctl *ctl, struct client_conf *out, struct ctl_err *err)
{
	int must_exist, rc;
	char *path;

	memset(out, 0, sizeof *out);
	out->timeout_s = DEFAULT_TIMEOUT_S;
	path = config_path(ctl, &must_exist);
	if (!path)
		return ctl_fail(err, CTL_USAGE, "no client config: give -c FILE (HOME is not set)");
	rc = read_file(path, must_exist, out, err);
	if (rc == CTL_OK)
		rc = apply_overrides(ctl, out, err);
	if (rc == CTL_OK)
		rc = check_complete(out, path, err);
	free(path);
	if (rc != CTL_OK)
		client_conf_free(out);
	return rc;
}

void client_conf_free(struct client_conf *conf)
{
	free(conf->server);
	free(conf->ca);
	free(conf->cert);
	free(conf->key);
	free(conf->file);
	memset(conf, 0, sizeof *conf);
}
