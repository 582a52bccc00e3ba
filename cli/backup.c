/* jianductl backup: a consistent copy of a serving instance. */
#include "backup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "instance.h"
#include "proc.h"

const char *const backup_audit_files[] = {"audit-checkpoints.log", "audit-anchors.log", NULL};

/* instance files under config/ (public ones; the keyring goes to keys/ only when asked) */
static const char *const config_files[] = {
    "jiandud.conf", "jianductl.conf",  "tls/ca.crt", "tls/server.crt",
    "tls/ca.crl",   "tls/issued.json", NULL};

struct backup {
	const char *dest;
	struct instance_conf ic;
	json_t *manifest;
	char *made[32]; /* paths created, removed again if the backup fails */
	size_t nmade;
	int dest_made;
};

static int made(struct backup *b, char *path)
{
	if (!path || b->nmade == sizeof b->made / sizeof b->made[0]) {
		free(path);
		return -1;
	}
	b->made[b->nmade++] = path;
	return 0;
}

static int make_dir(struct backup *b, const char *rel, struct ctl_err *err)
{
	char *path = instance_path(b->dest, rel);

	if (!path)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	if (mkdir(path, 0700) < 0) {
		ctl_fail(err, CTL_FAIL, "cannot create %s: %s", path, strerror(errno));
		free(path);
		return CTL_FAIL;
	}
	return made(b, path) == 0 ? CTL_OK : ctl_fail(err, CTL_FAIL, "out of memory");
}

/* Copies src (first limit bytes) to dest/rel and lists it in the manifest. */
static int add_file(struct backup *b, const char *src, const char *rel, size_t limit,
		    struct ctl_err *err)
{
	char *dst = instance_path(b->dest, rel);

	if (!dst)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	if (archive_copy(src, dst, 0600, limit, err) != CTL_OK) {
		free(dst);
		return CTL_FAIL;
	}
	if (made(b, dst) < 0)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	return archive_add(b->manifest, b->dest, rel, err);
}

/*
 * The audit files first, cut at their last whole line: taken before the
 * snapshot, they never run ahead of it (a restored anchor past the restored
 * head would hold the tenant; docs/operations.md).
 */
static int copy_audit(struct backup *b, struct ctl_err *err)
{
	for (size_t i = 0; backup_audit_files[i]; i++) {
		char *src = instance_path(b->ic.data_dir, backup_audit_files[i]), *rel = NULL;
		size_t len;
		int rc = CTL_OK;

		if (!src || asprintf(&rel, "audit/%s", backup_audit_files[i]) < 0) {
			free(src);
			return ctl_fail(err, CTL_FAIL, "out of memory");
		}
		if (access(src, F_OK) == 0) {
			rc = archive_whole_lines(src, &len, err);
			if (rc == CTL_OK)
				rc = add_file(b, src, rel, len, err);
		}
		free(src);
		free(rel);
		if (rc != CTL_OK)
			return rc;
	}
	return CTL_OK;
}

/* redis-cli's connection options for the instance's Redis; *auth: REDISCLI_AUTH=... or NULL. */
static int redis_target(const struct instance_conf *ic, char **argv, size_t *n, char **owned,
			char **auth, struct ctl_err *err)
{
	const char *url = ic->redis_url, *scheme_end, *at, *host;
	char *plain = NULL;

	*auth = NULL;
	if (ic->redis_cluster != NULL && *ic->redis_cluster != '\0')
		return ctl_fail(
		    err, CTL_USAGE,
		    "redis.cluster: a cluster's data is on each of its masters: back up "
		    "each master (redis-cli -h HOST -p PORT --rdb FILE), and the audit files "
		    "and keyring as docs/operations.md says");
	if (ic->redis_sentinels != NULL && *ic->redis_sentinels != '\0')
		return ctl_fail(err, CTL_USAGE,
				"backup: %s uses Redis Sentinel (redis.sentinels): take the "
				"snapshot from the master or a replica with redis-cli --rdb "
				"(docs/operations.md, \"Redis Sentinel\")",
				ic->dir);
	if (*url == '\0' || strncmp(url, "unix://", 7) == 0) {
		argv[(*n)++] = "-s";
		if (*url == '\0')
			*owned = instance_path(ic->data_dir, "redis.sock");
		else
			*owned = strndup(url + 7, strcspn(url + 7, "?"));
		argv[(*n)++] = *owned;
		return *owned ? CTL_OK : ctl_fail(err, CTL_FAIL, "out of memory");
	}
	scheme_end = strstr(url, "://");
	host = scheme_end ? scheme_end + 3 : url;
	at = strchr(host, '@');
	/* the password goes through the environment, never on a command line ps shows */
	if (at) {
		const char *colon = memchr(host, ':', (size_t)(at - host));

		if (colon &&
		    asprintf(auth, "REDISCLI_AUTH=%.*s", (int)(at - colon - 1), colon + 1) < 0)
			return ctl_fail(err, CTL_FAIL, "out of memory");
		if (asprintf(&plain, "%.*s%s", (int)(host - url), url, at + 1) < 0)
			return ctl_fail(err, CTL_FAIL, "out of memory");
	} else if (!(plain = strdup(url))) {
		return ctl_fail(err, CTL_FAIL, "out of memory");
	}
	*owned = plain;
	argv[(*n)++] = "-u";
	argv[(*n)++] = plain;
	if (strncmp(url, "rediss://", 9) == 0) {
		argv[(*n)++] = "--tls";
		if (*ic->redis_tls_ca) {
			argv[(*n)++] = "--cacert";
			argv[(*n)++] = (char *)ic->redis_tls_ca;
		}
		if (*ic->redis_tls_cert) {
			argv[(*n)++] = "--cert";
			argv[(*n)++] = (char *)ic->redis_tls_cert;
			argv[(*n)++] = "--key";
			argv[(*n)++] = (char *)ic->redis_tls_key;
		}
	}
	return CTL_OK;
}

/*
 * The snapshot: redis-cli --rdb asks the server for a full resync (what a
 * new replica gets), a point-in-time image of every key, taken by a fork
 * of Redis while it goes on serving, streamed here.
 */
static int snapshot(struct backup *b, struct ctl_err *err)
{
	char *argv[20] = {"redis-cli"}, *owned = NULL, *auth = NULL, *env[2] = {NULL, NULL};
	char *rdb = instance_path(b->dest, "redis.rdb");
	size_t n = 1;
	int rc;

	if (!rdb)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	rc = redis_target(&b->ic, argv, &n, &owned, &auth, err);
	if (rc == CTL_OK) {
		argv[n++] = "--rdb";
		argv[n++] = rdb;
		env[0] = auth;
		rc = proc_run(argv, env, NULL, "redis-cli --rdb (the snapshot)", err);
	}
	if (access(rdb, F_OK) == 0 && made(b, rdb) < 0)
		rc = ctl_fail(err, CTL_FAIL, "out of memory");
	else if (access(rdb, F_OK) != 0)
		free(rdb);
	if (rc == CTL_OK)
		rc = archive_add(b->manifest, b->dest, "redis.rdb", err);
	if (auth)
		memset(auth, 0, strlen(auth));
	free(auth);
	free(owned);
	return rc;
}

static int copy_config(struct backup *b, int with_keys, struct ctl_err *err)
{
	int rc = CTL_OK;

	for (size_t i = 0; rc == CTL_OK && config_files[i]; i++) {
		char *src = instance_path(b->ic.dir, config_files[i]), *rel = NULL;

		if (!src || asprintf(&rel, "config/%s", config_files[i]) < 0)
			rc = ctl_fail(err, CTL_FAIL, "out of memory");
		else if (access(src, F_OK) == 0)
			rc = add_file(b, src, rel, ARCHIVE_ALL, err);
		free(src);
		free(rel);
	}
	if (rc == CTL_OK && with_keys) {
		rc = make_dir(b, "keys", err);
		if (rc == CTL_OK)
			rc = add_file(b, b->ic.keyring, "keys/keyring", ARCHIVE_ALL, err);
	}
	return rc;
}

static int prepare_dest(struct backup *b, struct ctl_err *err)
{
	struct stat st;

	if (stat(b->dest, &st) == 0) {
		/* rmdir succeeds only on an empty directory, made again below, 0700 */
		if (!S_ISDIR(st.st_mode) || rmdir(b->dest) < 0)
			return ctl_fail(err, CTL_USAGE,
					"backup: %s exists and is not an empty directory", b->dest);
	}
	if (mkdir(b->dest, 0700) < 0)
		return ctl_fail(err, CTL_FAIL, "backup: cannot create %s: %s", b->dest,
				strerror(errno));
	b->dest_made = 1;
	if (make_dir(b, "audit", err) != CTL_OK || make_dir(b, "config", err) != CTL_OK ||
	    make_dir(b, "config/tls", err) != CTL_OK)
		return CTL_FAIL;
	return CTL_OK;
}

static void undo(struct backup *b)
{
	while (b->nmade > 0) {
		char *p = b->made[--b->nmade];

		if (unlink(p) < 0)
			rmdir(p); /* a directory, emptied before */
		free(p);
	}
	if (b->dest_made)
		rmdir(b->dest);
}

static json_t *new_manifest(const struct backup *b, int with_keys)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:b, s:[]}", "format", 1, "created", when,
			 "jiandu_version", JD_VERSION, "instance", b->ic.dir, "redis",
			 *b->ic.redis_url ? "external" : "managed", "with_keys", with_keys,
			 "files");
}

static int parse_args(const struct command *self, int argc, char **argv, const char **dest,
		      const char **instance, int *with_keys)
{
	for (int i = 1; i < argc; i++) {
		const char *v;
		int m;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			ctl_command_help(self, stdout);
			return CTL_OK;
		}
		if (strcmp(argv[i], "--with-keys") == 0 || strcmp(argv[i], "--with_keys") == 0) {
			*with_keys = 1;
			continue;
		}
		m = ctl_opt(argc, argv, &i, "--instance", &v);
		if (m < 0)
			return ctl_error(CTL_USAGE, "backup: --instance needs a value");
		if (m > 0)
			*instance = v;
		else if (argv[i][0] != '-' && !*dest)
			*dest = argv[i];
		else
			return ctl_error(CTL_USAGE, "backup: unexpected argument '%s'", argv[i]);
	}
	if (!*dest) {
		ctl_command_help(self, stderr);
		return ctl_error(CTL_USAGE, "backup: which directory? give DIR");
	}
	return -1;
}

int cmd_backup(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	struct backup b = {0};
	struct ctl_err err = {0};
	const char *instance = NULL;
	int with_keys = 0, rc;

	if ((rc = parse_args(self, argc, argv, &b.dest, &instance, &with_keys)) >= 0)
		return rc;
	if (instance_load(ctl, instance, "backup", &b.ic, &err) != CTL_OK)
		return ctl_report(&err);
	if (!(b.manifest = new_manifest(&b, with_keys))) {
		instance_free(&b.ic);
		return ctl_error(CTL_FAIL, "out of memory");
	}
	if (with_keys)
		ctl_error(CTL_OK,
			  "warning: --with-keys: this backup holds the keyring, which opens "
			  "every sealed field in it; keep it as you keep the keyring itself");
	if (prepare_dest(&b, &err) != CTL_OK || copy_audit(&b, &err) != CTL_OK ||
	    snapshot(&b, &err) != CTL_OK || copy_config(&b, with_keys, &err) != CTL_OK ||
	    archive_write_manifest(b.dest, b.manifest, &err) != CTL_OK) {
		undo(&b);
		rc = ctl_report(&err);
	} else {
		printf("backup written to %s: redis.rdb, audit files, configuration%s\n", b.dest,
		       with_keys ? ", keyring" : "");
		if (!with_keys)
			printf("the keyring is not in it: restoring needs the instance's keyring "
			       "(%s), "
			       "kept apart\n",
			       b.ic.keyring);
		for (size_t i = 0; i < b.nmade; i++)
			free(b.made[i]);
		rc = CTL_OK;
	}
	json_decref(b.manifest);
	instance_free(&b.ic);
	return rc;
}
