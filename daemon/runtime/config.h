/*
 * jiandud's configuration: one typed table of every key (section, name,
 * type, default, whether it can change live), parsed with inih.  The
 * table validates, documents (conf/jiandud.conf.example mirrors it) and
 * tells SIGHUP what changed.
 */
#ifndef JD_CONFIG_H
#define JD_CONFIG_H

#include <stddef.h>

struct jd_plugin_setting {
	char *plugin;
	char *key;
	char *value;
	int line;
};

struct jd_config {
	char *path; /* as given */
	char *dir;  /* directory of the file, for relative paths */

	/* [server] */
	char *data_dir;
	char *pid_file;
	char *log_level;
	int log_syslog;
	unsigned shutdown_timeout_ms;
	unsigned workers; /* processes serving the listeners; > 1: a master supervises them */
	/* [control] [api] */
	char *control_listen;
	char *api_listen;
	/* [tls] */
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *tls_crl;
	/* [limits] */
	unsigned max_body;
	unsigned max_headers;
	unsigned max_uri;
	unsigned idle_timeout;
	unsigned request_timeout;
	unsigned max_connections;
	unsigned reads_in_flight; /* authenticated GETs past routing at once; the rest wait */
	unsigned audit_backlog;	  /* entries waiting for a tenant's audit chain: then 503 */
	unsigned audit_pipeline;  /* a tenant's audited entries in flight at once */
	/* [redis] */
	char *redis_url;
	char *redis_cluster;
	char *redis_server;
	unsigned redis_command_timeout_ms;
	unsigned redis_connect_timeout_ms;
	unsigned redis_backoff_min_ms;
	unsigned redis_backoff_max_ms;
	char *redis_tls_ca;
	char *redis_tls_cert;
	char *redis_tls_key;
	char *redis_sentinels;	 /* "host:port,...": the master comes from them */
	char *redis_master_name; /* the name the sentinels know the master by */
	char *redis_durability;	 /* "local" or "replica" (WAIT for one replica) */
	unsigned redis_replica_timeout_ms;
	/* [plugins] */
	char *plugins_dir;
	char *plugins_load;
	/* [security] */
	char *keyring;
	unsigned min_key_version;
	/* [events] (durable events between plugins) */
	unsigned events_poll_ms;
	unsigned events_sweep_ms;
	unsigned events_claim_idle_ms;
	unsigned events_max_attempts;
	unsigned events_batch;
	char *trusted_proxies; /* addresses/CIDRs whose forwarding headers are believed */
	unsigned session_ttl;  /* seconds a browser session lives */
	/* [ui] */
	char *ui_dir; /* the dashboard's files; "": next to the binary or in its prefix */
	/* [report] (docs/report.md) */
	unsigned report_suppress_below; /* count figures under it are null for viewers; 0: off */
	char *report_sections;		/* sections expected: one not declared is listed missing */

	/* [plugin.<name>] sections, checked against each plugin's keys at load */
	struct jd_plugin_setting *plugin_settings;
	size_t n_plugin_settings;
};

/*
 * Loads and validates `path`.  On failure returns a negative JD_E* code
 * and writes "file:line: reason" (or "file: reason") into err.  Relative
 * paths in the file are made absolute against the file's directory.
 */
int jd_config_load(const char *path, struct jd_config **out, char *err, size_t errlen);
void jd_config_free(struct jd_config *cfg);

/*
 * Compares two configs.  Writes the names ("limits.max_body") of changed
 * live keys into `live` and of changed restart-only keys into `fixed`,
 * comma-separated.  Returns the number of changed keys.
 */
/* No redis.url, cluster or sentinels: jiandud starts its own redis-server. */
int jd_config_managed_redis(const struct jd_config *cfg);

int jd_config_diff(const struct jd_config *a, const struct jd_config *b, char *live,
		   size_t live_len, char *fixed, size_t fixed_len);

/*
 * Reload: moves the values in force of every restart-only key, and the
 * plugin settings, from cur into next (and next's into cur, to be freed).
 * What plugins were handed from the config stays valid.
 */
void jd_config_keep_fixed(struct jd_config *next, struct jd_config *cur);

/* Value of a plugin's key, or NULL. */
const char *jd_config_plugin_value(const struct jd_config *cfg, const char *plugin,
				   const char *key);

/*
 * The table of keys, for what documents it (jiandud --dump-config-keys,
 * the generated jiandud.conf(5)): one entry per key, in the table's order.
 */
struct jd_config_entry {
	const char *section;
	const char *name;
	const char *type;  /* "string", "path", "number", "yes/no", ... */
	const char *def;   /* the default, as written in a file */
	unsigned min, max; /* numbers only, else 0 */
	int live;	   /* changes on SIGHUP */
	const char *help;
};

size_t jd_config_key_count(void);
/* Entry i (< jd_config_key_count()) into *out. */
void jd_config_key_at(size_t i, struct jd_config_entry *out);
/* The value in force of key i as a file would spell it (paths made absolute). */
void jd_config_value(const struct jd_config *cfg, size_t i, char *buf, size_t len);

/* Parses "host:port" or "[v6]:port" into host (without brackets) and port. */
int jd_config_split_hostport(const char *s, char *host, size_t hostlen, unsigned *port);

#endif
