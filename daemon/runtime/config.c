#include "runtime/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include <jiandu/plugin.h>

#include "runtime/files.h"
#include "runtime/log.h"
#include "storage/cluster.h"
#include "storage/redis.h"
#include "storage/sentinel.h"
#include "transport/forwarded.h"

enum opt_type {
	OPT_STRING,
	OPT_PATH,
	OPT_UINT,
	OPT_BOOL,
	OPT_LEVEL,
	OPT_HOSTPORT,
	OPT_REDIS_URL,
	OPT_PROXIES
};

struct opt {
	const char *section;
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *def;
	unsigned min, max; /* OPT_UINT */
	int live;	   /* changes on SIGHUP */
	const char *help;  /* one line for jiandud.conf(5), generated from this table */
};

#define F(field) offsetof(struct jd_config, field)

static const struct opt opts[] = {
    {"server", "data_dir", OPT_PATH, F(data_dir), "data", 0, 0, 0,
     "Directory for the managed Redis (socket, append-only file), the audit checkpoints and "
     "anchors; created 0700 if missing."},
    {"server", "pid_file", OPT_PATH, F(pid_file), "jiandud.pid", 0, 0, 0,
     "Pid file written with -d; empty: none."},
    {"server", "log_level", OPT_LEVEL, F(log_level), "info", 0, 0, 1,
     "debug, info, notice, warn or err."},
    {"server", "log_syslog", OPT_BOOL, F(log_syslog), "no", 0, 0, 0,
     "yes: log to syslog (facility daemon) instead of stderr."},
    {"server", "shutdown_timeout_ms", OPT_UINT, F(shutdown_timeout_ms), "10000", 0, 600000, 1,
     "Longest wait for in-flight requests to finish on SIGTERM or SIGINT."},
    {"server", "workers", OPT_UINT, F(workers), "1", 1, 64, 0,
     "Worker processes serving the listeners; above 1 a master process supervises them "
     "(restarts a crashed one, passes SIGHUP and SIGTERM on) and runs the managed Redis."},
    {"control", "listen", OPT_HOSTPORT, F(control_listen), "127.0.0.1:7443", 0, 0, 0,
     "The administration listener (HTTPS, client certificate required): host:port, IPv6 as "
     "[::1]:port."},
    {"api", "listen", OPT_HOSTPORT, F(api_listen), "127.0.0.1:8443", 0, 0, 0,
     "The client listener (HTTPS, client certificate or bearer token)."},
    {"tls", "cert", OPT_PATH, F(tls_cert), "tls/server.crt", 0, 0, 1,
     "Server certificate chain (PEM)."},
    {"tls", "key", OPT_PATH, F(tls_key), "tls/server.key", 0, 0, 1, "Server private key (PEM)."},
    {"tls", "ca", OPT_PATH, F(tls_ca), "tls/ca.crt", 0, 0, 1,
     "The instance CA that signs client certificates."},
    {"tls", "crl", OPT_PATH, F(tls_crl), "tls/ca.crl", 0, 0, 1,
     "The CA's revocation list, written by jianductl certs revoke; missing: nothing revoked."},
    {"limits", "max_body", OPT_UINT, F(max_body), "1048576", 64, 1u << 30, 1,
     "Largest request body in bytes (413 past it)."},
    {"limits", "max_headers", OPT_UINT, F(max_headers), "16384", 1024, 1u << 20, 1,
     "Largest request head in bytes."},
    {"limits", "max_uri", OPT_UINT, F(max_uri), "4096", 64, 1u << 16, 1,
     "Longest request URI in bytes (414 past it)."},
    {"limits", "idle_timeout", OPT_UINT, F(idle_timeout), "30", 1, 3600, 1,
     "Seconds a connection may stay silent."},
    {"limits", "request_timeout", OPT_UINT, F(request_timeout), "20", 1, 3600, 1,
     "Seconds a connection has to finish its TLS handshake and send a whole request."},
    {"limits", "reads_in_flight", OPT_UINT, F(reads_in_flight), "8", 1, 100000, 1,
     "While writes are in progress, authenticated GET requests handled at once by a process; "
     "the others wait their turn, so that a flood of reads never starves writes (which are "
     "never held)."},
    {"limits", "audit_backlog", OPT_UINT, F(audit_backlog), "2048", 1, 1000000, 1,
     "Audit entries that may wait for one tenant's chain; past it, requests naming the tenant "
     "are answered 503 with Retry-After."},
    {"limits", "audit_pipeline", OPT_UINT, F(audit_pipeline), "16", 1, 256, 0,
     "Audited mutations of one tenant in flight to Redis at once, each chained on the one "
     "before and fsynced together (1: one at a time)."},
    {"limits", "max_connections", OPT_UINT, F(max_connections), "1024", 1, 1000000, 1,
     "Simultaneous connections per listener; past it, accepting pauses."},
    {"redis", "url", OPT_REDIS_URL, F(redis_url), "", 0, 0, 0,
     "Empty: jiandud runs its own redis-server on a unix socket in data_dir; else redis://, "
     "rediss:// or unix:// URL."},
    {"redis", "cluster", OPT_STRING, F(redis_cluster), "", 0, 0, 0,
     "Redis Cluster: host:port,... of some of its nodes (the rest is discovered); "
     "jiandud routes each tenant to its slot's master. Excludes url and the managed Redis."},
    {"redis", "server", OPT_STRING, F(redis_server), "redis-server", 0, 0, 0,
     "The redis-server binary for the managed instance."},
    {"redis", "command_timeout_ms", OPT_UINT, F(redis_command_timeout_ms), "2000", 10, 600000, 1,
     "A command taking longer fails and the connection is re-established."},
    {"redis", "connect_timeout_ms", OPT_UINT, F(redis_connect_timeout_ms), "1000", 10, 600000, 1,
     "Longest connection attempt."},
    {"redis", "backoff_min_ms", OPT_UINT, F(redis_backoff_min_ms), "50", 1, 600000, 1,
     "Reconnect backoff, doubling from this..."},
    {"redis", "backoff_max_ms", OPT_UINT, F(redis_backoff_max_ms), "2000", 1, 600000, 1,
     "...to this."},
    {"redis", "tls_ca", OPT_PATH, F(redis_tls_ca), "", 0, 0, 0,
     "rediss:// only: the CA to verify the server with."},
    {"redis", "tls_cert", OPT_PATH, F(redis_tls_cert), "", 0, 0, 0,
     "rediss:// only: a client certificate."},
    {"redis", "tls_key", OPT_PATH, F(redis_tls_key), "", 0, 0, 0,
     "rediss:// only: the client certificate's key."},
    {"redis", "sentinels", OPT_STRING, F(redis_sentinels), "", 0, 0, 0,
     "Redis Sentinel: host:port,host:port,... of the sentinels to ask where the master is "
     "(plain TCP, no password); set with master_name, not with url (no managed Redis then)."},
    {"redis", "master_name", OPT_STRING, F(redis_master_name), "", 0, 0, 0,
     "Redis Sentinel: the name the sentinels know the master by (sentinel monitor <name>)."},
    {"redis", "durability", OPT_STRING, F(redis_durability), "local", 0, 0, 0,
     "local: a mutation is acknowledged once Redis applied it (the managed Redis fsyncs it); "
     "replica: also once one replica has it (WAIT 1), else 503."},
    {"redis", "replica_timeout_ms", OPT_UINT, F(redis_replica_timeout_ms), "500", 1, 600000, 1,
     "durability = replica: the longest wait for a replica (WAIT's timeout); must be below "
     "command_timeout_ms."},
    {"plugins", "dir", OPT_PATH, F(plugins_dir), "plugins", 0, 0, 0,
     "Directory holding <name>.so."},
    {"plugins", "load", OPT_STRING, F(plugins_load), "", 0, 0, 0,
     "Plugins to load, comma-separated (the loader orders dependencies); empty: none."},
    {"security", "keyring", OPT_PATH, F(keyring), "keyring", 0, 0, 0,
     "The keyring made by jianductl init (master keys, audit signing key); mode 0600 or stricter."},
    {"security", "min_key_version", OPT_UINT, F(min_key_version), "1", 1, 2147483647u, 0,
     "Master key versions below this are refused."},
    {"events", "poll_ms", OPT_UINT, F(events_poll_ms), "500", 10, 600000, 0,
     "Milliseconds between two polls of a tenant's event stream per subscribing plugin."},
    {"events", "sweep_ms", OPT_UINT, F(events_sweep_ms), "5000", 100, 3600000, 0,
     "Milliseconds between two sweeps (new tenants, claims, trims, metrics)."},
    {"events", "claim_idle_ms", OPT_UINT, F(events_claim_idle_ms), "60000", 100, 86400000, 0,
     "An event delivered this long ago and not acknowledged is claimed by another process."},
    {"events", "max_attempts", OPT_UINT, F(events_max_attempts), "5", 1, 1000, 0,
     "Deliveries of one event to one plugin before it goes to the dead letters."},
    {"events", "batch", OPT_UINT, F(events_batch), "32", 1, 1000, 0,
     "Events read at once per tenant and plugin."},
    {"security", "trusted_proxies", OPT_PROXIES, F(trusted_proxies), "", 0, 0, 1,
     "Reverse proxies (addresses or CIDR prefixes) whose Forwarded / X-Forwarded-For headers name "
     "the client; empty: the peer is the client."},
    {"security", "session_ttl", OPT_UINT, F(session_ttl), "1800", 60, 43200, 1,
     "Seconds a browser session (the dashboard's cookie) lasts."},
    {"ui", "dir", OPT_PATH, F(ui_dir), "", 0, 0, 0,
     "The dashboard's files, served at /ui/; empty: ui beside jiandud, else the install's "
     "share/jiandu/ui."},
    {"report", "suppress_below", OPT_UINT, F(report_suppress_below), "3", 0, 1000000, 1,
     "In the leaders' report, counts below this are null for callers without "
     "report.small_counts; 0: none suppressed."},
    {"report", "sections", OPT_STRING, F(report_sections), "", 0, 0, 1,
     "Sections the leaders' report should have, comma-separated; one no loaded plugin "
     "declares is listed as missing."},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

struct parse_state {
	struct jd_config *cfg;
	char reason[256];
	int failed; /* libinih goes on after an error: the first one is the one to report */
	int seen[N_OPTS];
};

static char **str_slot(struct jd_config *cfg, const struct opt *o)
{
	return (char **)((char *)cfg + o->offset);
}

static unsigned *uint_slot(struct jd_config *cfg, const struct opt *o)
{
	return (unsigned *)((char *)cfg + o->offset);
}

static int *bool_slot(struct jd_config *cfg, const struct opt *o)
{
	return (int *)((char *)cfg + o->offset);
}

static const struct opt *find_opt(const char *section, const char *name)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strcmp(opts[i].section, section) == 0 && strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

static int section_known(const char *section)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strcmp(opts[i].section, section) == 0)
			return 1;
	return 0;
}

static int parse_uint(const char *v, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return JD_E_INVALID;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return JD_E_INVALID;
	*out = (unsigned)n;
	return JD_OK;
}

static int parse_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0) {
		*out = 1;
		return JD_OK;
	}
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0) {
		*out = 0;
		return JD_OK;
	}
	return JD_E_INVALID;
}

int jd_config_split_hostport(const char *s, char *host, size_t hostlen, unsigned *port)
{
	const char *colon, *hs = s;
	size_t hl;
	unsigned p;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return JD_E_INVALID;
		hs = s + 1;
		hl = (size_t)(close - hs);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return JD_E_INVALID;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen)
		return JD_E_INVALID;
	if (parse_uint(colon + 1, 0, 65535, &p) != JD_OK)
		return JD_E_INVALID;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	*port = p;
	return JD_OK;
}

static char *resolve_path(const struct jd_config *cfg, const char *v)
{
	char *out;

	if (*v == '\0' || *v == '/' || cfg->dir == NULL)
		return strdup(v);
	if (asprintf(&out, "%s/%s", cfg->dir, v) < 0)
		return NULL;
	return out;
}

/* Parses one value into its slot; on failure fills reason. */
static int set_value(struct parse_state *st, const struct opt *o, const char *v)
{
	struct jd_config *cfg = st->cfg;
	char host[256];
	unsigned port;
	enum jd_log_level lvl;
	char *s = NULL;

	switch (o->type) {
	case OPT_UINT:
		if (parse_uint(v, o->min, o->max, uint_slot(cfg, o)) != JD_OK) {
			snprintf(st->reason, sizeof(st->reason),
				 "%s.%s: expected a whole number from %u to %u, got '%.64s'",
				 o->section, o->name, o->min, o->max, v);
			return JD_E_INVALID;
		}
		return JD_OK;
	case OPT_BOOL:
		if (parse_bool(v, bool_slot(cfg, o)) != JD_OK) {
			snprintf(st->reason, sizeof(st->reason),
				 "%s.%s: expected yes or no, got '%.64s'", o->section, o->name, v);
			return JD_E_INVALID;
		}
		return JD_OK;
	case OPT_LEVEL:
		if (jd_log_level_parse(v, &lvl) != JD_OK) {
			snprintf(st->reason, sizeof(st->reason),
				 "%s.%s: expected debug, info, notice, warn or err, got '%.64s'",
				 o->section, o->name, v);
			return JD_E_INVALID;
		}
		s = strdup(v);
		break;
	case OPT_HOSTPORT:
		if (jd_config_split_hostport(v, host, sizeof(host), &port) != JD_OK) {
			snprintf(st->reason, sizeof(st->reason),
				 "%s.%s: expected host:port or [v6]:port, got '%.64s'", o->section,
				 o->name, v);
			return JD_E_INVALID;
		}
		s = strdup(v);
		break;
	case OPT_REDIS_URL: {
		char why[160];

		if (*v != '\0' && jd_redis_url_check(v, why, sizeof(why)) != JD_OK) {
			snprintf(st->reason, sizeof(st->reason), "%s.%s: %s", o->section, o->name,
				 why);
			return JD_E_INVALID;
		}
		s = strdup(v);
		break;
	}
	case OPT_PROXIES: {
		char why[160];

		if (jd_forwarded_check(v, why, sizeof(why)) != JD_OK) {
			snprintf(st->reason, sizeof(st->reason), "%s.%s: %s", o->section, o->name,
				 why);
			return JD_E_INVALID;
		}
		s = strdup(v);
		break;
	}
	case OPT_PATH:
		s = resolve_path(cfg, v);
		break;
	case OPT_STRING:
		s = strdup(v);
		break;
	}
	if (s == NULL) {
		snprintf(st->reason, sizeof(st->reason), "out of memory");
		return JD_E_NOMEM;
	}
	free(*str_slot(cfg, o));
	*str_slot(cfg, o) = s;
	return JD_OK;
}

static int add_plugin_setting(struct parse_state *st, const char *plugin, const char *key,
			      const char *value)
{
	struct jd_config *cfg = st->cfg;
	struct jd_plugin_setting *ps, *n;

	if (*plugin == '\0') {
		snprintf(st->reason, sizeof(st->reason), "section [plugin.] names no plugin");
		return JD_E_INVALID;
	}
	if (jd_config_plugin_value(cfg, plugin, key) != NULL) {
		snprintf(st->reason, sizeof(st->reason), "plugin.%.32s.%.64s is set twice", plugin,
			 key);
		return JD_E_INVALID;
	}
	n = realloc(cfg->plugin_settings, (cfg->n_plugin_settings + 1) * sizeof(*n));
	if (n == NULL)
		return JD_E_NOMEM;
	cfg->plugin_settings = n;
	ps = &n[cfg->n_plugin_settings];
	ps->plugin = strdup(plugin);
	ps->key = strdup(key);
	ps->value = strdup(value);
	ps->line = 0;
	cfg->n_plugin_settings++;
	if (ps->plugin == NULL || ps->key == NULL || ps->value == NULL)
		return JD_E_NOMEM;
	return JD_OK;
}

/* One key = value line: 1 when it is good, 0 with st->reason set. */
static int on_ini_line(struct parse_state *st, const char *section, const char *name,
		       const char *value)
{
	const struct opt *o;

	if (st->failed)
		return 0;
	if (strncmp(section, "plugin.", 7) == 0)
		return add_plugin_setting(st, section + 7, name, value) == JD_OK;
	o = find_opt(section, name);
	if (o == NULL) {
		if (section_known(section))
			snprintf(st->reason, sizeof(st->reason), "unknown key '%.64s' in [%.64s]",
				 name, section);
		else
			snprintf(st->reason, sizeof(st->reason), "unknown section [%.64s]",
				 section);
		return 0;
	}
	if (st->seen[o - opts]) {
		snprintf(st->reason, sizeof(st->reason), "%s.%s is set twice", o->section, o->name);
		return 0;
	}
	st->seen[o - opts] = 1;
	return set_value(st, o, value) == JD_OK;
}

/*
 * inih handler: returns 0 on a bad line (inih reports the first such line's
 * number); inih keeps calling, so later lines are ignored once one failed.
 */
static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	int ok = on_ini_line(st, section, name, value);

	if (!ok)
		st->failed = 1;
	return ok;
}

static int set_defaults(struct parse_state *st)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (set_value(st, &opts[i], opts[i].def) != JD_OK)
			return JD_ERR;
	return JD_OK;
}

static char *dir_of(const char *path)
{
	char *abs = realpath(path, NULL), *slash;

	if (abs == NULL)
		return NULL;
	slash = strrchr(abs, '/');
	if (slash == abs)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	return abs;
}

#define CONFIG_MAX_BYTES (1u << 20)

/*
 * The whole file, NUL-terminated, in *out.  Read once and parsed from
 * memory, so what is checked is what is parsed.
 */
static int read_config(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	int rc = JD_E_INVALID;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return JD_E_INVALID;
	}
	buf = malloc(CONFIG_MAX_BYTES + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = JD_E_NOMEM;
		goto done;
	}
	n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto done;
	}
	if (n > CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes: not a configuration file", path,
			 CONFIG_MAX_BYTES);
		goto done;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	rc = JD_OK;
done:
	free(buf);
	fclose(f);
	return rc;
}

/* ini_parse over the checked bytes: the line of the first bad entry, 0, or -1 (open). */
static int parse_file(const char *path, struct parse_state *st, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = read_config(path, &buf, &len, err, errlen);

	if (rc == JD_OK)
		rc = jd_text_printable(path, buf, len, err, errlen);
	if (rc == JD_OK && (rc = ini_parse_string(buf, on_ini_entry, st)) != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, rc,
			 st->reason[0] ? st->reason : "syntax error");
		rc = JD_E_INVALID;
	}
	free(buf);
	return rc;
}

static int check_redis_cluster(const struct jd_config *cfg, char *reason, size_t len)
{
	char why[160];

	if (cfg->redis_cluster[0] == '\0')
		return JD_OK;
	if (cfg->redis_url[0] != '\0') {
		snprintf(reason, len, "redis.cluster and redis.url exclude each other: set one");
		return JD_E_INVALID;
	}
	if (jd_cluster_seeds_check(cfg->redis_cluster, why, sizeof(why)) != JD_OK) {
		snprintf(reason, len, "redis.cluster: %s", why);
		return JD_E_INVALID;
	}
	if (cfg->redis_sentinels[0] != '\0') {
		snprintf(reason, len,
			 "redis.cluster and redis.sentinels exclude each other: set one");
		return JD_E_INVALID;
	}
	if (strcmp(cfg->redis_durability, "replica") == 0) {
		snprintf(reason, len,
			 "redis.durability = replica is not supported with redis.cluster "
			 "(WAIT would go to one master only): use local");
		return JD_E_INVALID;
	}
	return JD_OK;
}

/* Redis Sentinel and durability: what they need and exclude. */
static int check_redis_topology(const struct jd_config *cfg, char *reason, size_t len)
{
	char why[160];
	int sentinels = cfg->redis_sentinels[0] != '\0';

	if (sentinels && cfg->redis_url[0] != '\0')
		snprintf(reason, len,
			 "redis.sentinels and redis.url exclude each other: with "
			 "sentinels, jiandud connects to the master they name");
	else if (sentinels != (cfg->redis_master_name[0] != '\0'))
		snprintf(reason, len,
			 "redis.sentinels and redis.master_name go together: set both "
			 "or neither");
	else if (sentinels &&
		 jd_sentinel_list_check(cfg->redis_sentinels, why, sizeof(why)) != JD_OK)
		snprintf(reason, len, "redis.sentinels: %s", why);
	else if (strcmp(cfg->redis_durability, "local") != 0 &&
		 strcmp(cfg->redis_durability, "replica") != 0)
		snprintf(reason, len, "redis.durability: expected local or replica, got '%.64s'",
			 cfg->redis_durability);
	else if (strcmp(cfg->redis_durability, "replica") == 0 && !sentinels &&
		 cfg->redis_url[0] == '\0')
		snprintf(reason, len,
			 "redis.durability = replica needs a Redis with replicas "
			 "(redis.sentinels or redis.url), not the managed one");
	else if (strcmp(cfg->redis_durability, "replica") == 0 &&
		 cfg->redis_replica_timeout_ms >= cfg->redis_command_timeout_ms)
		snprintf(reason, len,
			 "redis.replica_timeout_ms must be below redis.command_timeout_ms");
	else
		return JD_OK;
	return JD_E_INVALID;
}

int jd_config_managed_redis(const struct jd_config *cfg)
{
	return cfg->redis_url[0] == '\0' && cfg->redis_cluster[0] == '\0' &&
	       cfg->redis_sentinels[0] == '\0';
}

static int check_coherence(const struct jd_config *cfg, char *reason, size_t len)
{
	if (check_redis_topology(cfg, reason, len) != JD_OK)
		return JD_E_INVALID;
	if (cfg->redis_backoff_min_ms > cfg->redis_backoff_max_ms) {
		snprintf(reason, len, "redis.backoff_min_ms is larger than redis.backoff_max_ms");
		return JD_E_INVALID;
	}
	if (check_redis_cluster(cfg, reason, len) != JD_OK)
		return JD_E_INVALID;
	if (strcmp(cfg->control_listen, cfg->api_listen) == 0) {
		snprintf(reason, len, "control.listen and api.listen are the same address");
		return JD_E_INVALID;
	}
	return JD_OK;
}

int jd_config_load(const char *path, struct jd_config **out, char *err, size_t errlen)
{
	struct parse_state st;
	struct jd_config *cfg;
	int rc = JD_E_INVALID;

	memset(&st, 0, sizeof(st));
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return JD_E_NOMEM;
	}
	st.cfg = cfg;
	cfg->path = strdup(path);
	cfg->dir = dir_of(path);
	if (cfg->path == NULL || cfg->dir == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (set_defaults(&st) != JD_OK) {
		snprintf(err, errlen, "%s: bad built-in default: %s", path, st.reason);
		goto fail;
	}
	rc = parse_file(path, &st, err, errlen);
	if (rc != JD_OK)
		goto fail;
	rc = JD_E_INVALID;
	if (check_coherence(cfg, st.reason, sizeof(st.reason)) != JD_OK) {
		snprintf(err, errlen, "%s: %s", path, st.reason);
		goto fail;
	}
	*out = cfg;
	return JD_OK;
fail:
	jd_config_free(cfg);
	return rc;
}

void jd_config_free(struct jd_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].type != OPT_UINT && opts[i].type != OPT_BOOL)
			free(*str_slot(cfg, &opts[i]));
	for (size_t i = 0; i < cfg->n_plugin_settings; i++) {
		free(cfg->plugin_settings[i].plugin);
		free(cfg->plugin_settings[i].key);
		free(cfg->plugin_settings[i].value);
	}
	free(cfg->plugin_settings);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
}

static int opt_equal(const struct jd_config *a, const struct jd_config *b, const struct opt *o)
{
	struct jd_config *ma = (struct jd_config *)a, *mb = (struct jd_config *)b;

	switch (o->type) {
	case OPT_UINT:
		return *uint_slot(ma, o) == *uint_slot(mb, o);
	case OPT_BOOL:
		return *bool_slot(ma, o) == *bool_slot(mb, o);
	default:
		return strcmp(*str_slot(ma, o), *str_slot(mb, o)) == 0;
	}
}

static void append_name(char *buf, size_t len, const struct opt *o)
{
	size_t used = strlen(buf);

	if (used >= len)
		return;
	snprintf(buf + used, len - used, "%s%s.%s", used ? "," : "", o->section, o->name);
}

static int plugin_settings_equal(const struct jd_config *a, const struct jd_config *b)
{
	if (a->n_plugin_settings != b->n_plugin_settings)
		return 0;
	for (size_t i = 0; i < a->n_plugin_settings; i++) {
		const struct jd_plugin_setting *x = &a->plugin_settings[i];
		const char *v = jd_config_plugin_value(b, x->plugin, x->key);

		if (v == NULL || strcmp(v, x->value) != 0)
			return 0;
	}
	return 1;
}

int jd_config_diff(const struct jd_config *a, const struct jd_config *b, char *live,
		   size_t live_len, char *fixed, size_t fixed_len)
{
	int n = 0;

	live[0] = fixed[0] = '\0';
	for (size_t i = 0; i < N_OPTS; i++) {
		if (opt_equal(a, b, &opts[i]))
			continue;
		n++;
		if (opts[i].live)
			append_name(live, live_len, &opts[i]);
		else
			append_name(fixed, fixed_len, &opts[i]);
	}
	if (!plugin_settings_equal(a, b)) {
		static const struct opt plugin_opt = {"plugin", "*", OPT_STRING, 0, "",
						      0,	0,   0,		 ""};

		n++;
		append_name(fixed, fixed_len, &plugin_opt);
	}
	return n;
}

static void swap_slot(struct jd_config *a, struct jd_config *b, const struct opt *o)
{
	if (o->type == OPT_UINT) {
		unsigned t = *uint_slot(a, o);

		*uint_slot(a, o) = *uint_slot(b, o);
		*uint_slot(b, o) = t;
	} else if (o->type == OPT_BOOL) {
		int t = *bool_slot(a, o);

		*bool_slot(a, o) = *bool_slot(b, o);
		*bool_slot(b, o) = t;
	} else {
		char *t = *str_slot(a, o);

		*str_slot(a, o) = *str_slot(b, o);
		*str_slot(b, o) = t;
	}
}

void jd_config_keep_fixed(struct jd_config *next, struct jd_config *cur)
{
	struct jd_plugin_setting *ps = next->plugin_settings;
	size_t n = next->n_plugin_settings;

	for (size_t i = 0; i < N_OPTS; i++)
		if (!opts[i].live)
			swap_slot(next, cur, &opts[i]);
	next->plugin_settings = cur->plugin_settings;
	next->n_plugin_settings = cur->n_plugin_settings;
	cur->plugin_settings = ps;
	cur->n_plugin_settings = n;
}

const char *jd_config_plugin_value(const struct jd_config *cfg, const char *plugin, const char *key)
{
	for (size_t i = 0; i < cfg->n_plugin_settings; i++) {
		const struct jd_plugin_setting *ps = &cfg->plugin_settings[i];

		if (strcmp(ps->plugin, plugin) == 0 && strcmp(ps->key, key) == 0)
			return ps->value;
	}
	return NULL;
}

static const char *type_name(enum opt_type t)
{
	switch (t) {
	case OPT_PATH:
		return "path";
	case OPT_UINT:
		return "number";
	case OPT_BOOL:
		return "yes/no";
	case OPT_LEVEL:
		return "level";
	case OPT_HOSTPORT:
		return "host:port";
	case OPT_REDIS_URL:
		return "url";
	case OPT_PROXIES:
		return "address list";
	case OPT_STRING:
		break;
	}
	return "string";
}

size_t jd_config_key_count(void)
{
	return N_OPTS;
}

void jd_config_key_at(size_t i, struct jd_config_entry *out)
{
	const struct opt *o = &opts[i];

	*out = (struct jd_config_entry){
	    o->section, o->name, type_name(o->type), o->def, o->min, o->max, o->live, o->help};
}

void jd_config_value(const struct jd_config *cfg, size_t i, char *buf, size_t len)
{
	struct jd_config *m = (struct jd_config *)cfg;
	const struct opt *o = &opts[i];

	if (o->type == OPT_UINT)
		snprintf(buf, len, "%u", *uint_slot(m, o));
	else if (o->type == OPT_BOOL)
		snprintf(buf, len, "%s", *bool_slot(m, o) ? "yes" : "no");
	else
		snprintf(buf, len, "%s", *str_slot(m, o));
}
