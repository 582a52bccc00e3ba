/*
 * jianductl restore: a backup into a stopped instance's managed Redis.  The
 * snapshot is loaded by a redis-server of our own on a private socket,
 * which then writes it out as the append-only files the managed Redis
 * starts from; the audit files and the keyring go back beside it.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "instance.h"
#include "proc.h"

#define WAIT_TRIES 600 /* x 100 ms: loading a large snapshot takes a while */

/* What a restore replaces in data_dir (besides the audit files). */
static const char *const redis_files[] = {"appendonlydir", "dump.rdb", NULL};

struct restore {
	const char *src, *keyring;
	int force;
	struct instance_conf ic;
	json_t *manifest;
	char *sock;    /* the loader's socket */
	char *tenants; /* one a line */
	size_t ntenants;
};

static void pause_100ms(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

/* The daemon's managed Redis answering on its socket means the instance is in use. */
static int instance_running(const char *data_dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *path = instance_path(data_dir, "redis.sock");
	int fd, up = 0;

	if (!path || strlen(path) >= sizeof sa.sun_path) {
		free(path);
		return 0;
	}
	strcpy(sa.sun_path, path);
	free(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		up = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
		close(fd);
	}
	return up;
}

/* A file or a non-empty directory of data_dir that a restore would replace: its name. */
static const char *has_data(const char *data_dir)
{
	static const char *const *lists[] = {redis_files, backup_audit_files};

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; lists[l][i]; i++) {
			char *p = instance_path(data_dir, lists[l][i]);
			struct stat st;
			int found = p && stat(p, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size);

			free(p);
			if (found)
				return lists[l][i];
		}
	return NULL;
}

/* --force: what was there goes to data_dir/pre-restore-<time>/, never deleted. */
static int move_aside(struct restore *r, struct ctl_err *err)
{
	char *aside = NULL;
	static const char *const *lists[] = {redis_files, backup_audit_files};

	if (asprintf(&aside, "%s/pre-restore-%ld", r->ic.data_dir, (long)time(NULL)) < 0)
		return ctl_fail(err, CTL_FAIL, "out of memory");
	if (mkdir(aside, 0700) < 0 && errno != EEXIST) {
		ctl_fail(err, CTL_FAIL, "cannot create %s: %s", aside, strerror(errno));
		free(aside);
		return CTL_FAIL;
	}
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; lists[l][i]; i++) {
			char *from = instance_path(r->ic.data_dir, lists[l][i]);
			char *to = instance_path(aside, lists[l][i]);
			int bad = !from || !to || (rename(from, to) < 0 && errno != ENOENT);

			free(from);
			free(to);
			if (bad) {
				ctl_fail(err, CTL_FAIL, "cannot move %s aside: %s", lists[l][i],
					 strerror(errno));
				free(aside);
				return CTL_FAIL;
			}
		}
	fprintf(stderr, "jianductl: --force: the instance's former data is in %s\n", aside);
	free(aside);
	return CTL_OK;
}

/* redis-cli -s <loader socket> args...; its output in *out (if out). */
static int loader_cmd(struct restore *r, char **out, struct ctl_err *err, const char *a1,
		      const char *a2, const char *a3, const char *a4)
{
	char *argv[] = {"redis-cli", "-s",	 r->sock,    (char *)a1,
			(char *)a2,  (char *)a3, (char *)a4, NULL};

	return proc_run(argv, NULL, out, "redis-cli (the restore's loader)", err);
}

/* Waits until cmd's output holds every one of want (NULL ends). */
static int loader_wait(struct restore *r, const char *cmd, const char *section,
		       const char *const *want, struct ctl_err *err)
{
	for (int t = 0; t < WAIT_TRIES; t++) {
		char *out = NULL;
		size_t ok = 0, n = 0;

		if (loader_cmd(r, &out, err, cmd, section, NULL, NULL) == CTL_OK)
			for (n = 0; want[n]; n++)
				ok += strstr(out, want[n]) != NULL;
		free(out);
		if (n > 0 && ok == n)
			return CTL_OK;
		pause_100ms();
	}
	return ctl_fail(err, CTL_FAIL, "restore: the loader did not get to '%s' within %d s%s%s",
			want[0], WAIT_TRIES / 10, err->msg[0] ? "; last: " : "", err->msg);
}

/* The tenants with an audit trail in the loaded data: every one of them gets verified. */
static int list_tenants(struct restore *r, struct ctl_err *err)
{
	char *out = NULL, *line, *next;
	size_t used = 0;

	if (loader_cmd(r, &out, err, "--scan", "--pattern", "jd:{*}:audit", NULL) != CTL_OK)
		return CTL_FAIL;
	r->tenants = calloc(strlen(out) + 1, 1);
	if (!r->tenants) {
		free(out);
		return ctl_fail(err, CTL_FAIL, "out of memory");
	}
	for (line = out; line && *line; line = next) {
		char *open = strchr(line, '{'), *close;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (open && (close = strchr(open, '}')) != NULL) {
			used += (size_t)sprintf(r->tenants + used, "%.*s\n",
						(int)(close - open - 1), open + 1);
			r->ntenants++;
		}
	}
	free(out);
	return CTL_OK;
}

/*
 * Loads the snapshot into a redis-server of our own, which turns it into
 * the append-only files (CONFIG SET appendonly yes: a rewrite from memory)
 * that the managed Redis starts from, then stops it.
 */
static int load_snapshot(struct restore *r, struct ctl_err *err)
{
	static const char *const pong[] = {"PONG", NULL};
	static const char *const written[] = {
	    "aof_rewrite_in_progress:0", "aof_rewrite_scheduled:0", "aof_last_bgrewrite_status:ok",
	    "aof_enabled:1", NULL};
	char *rdb = instance_path(r->ic.data_dir, "restore.rdb");
	char *log = instance_path(r->ic.data_dir, "restore-redis.log");
	char *src = instance_path(r->src, "redis.rdb");
	int rc = CTL_FAIL;
	pid_t pid = -1;

	r->sock = instance_path(r->ic.data_dir, "restore.sock");
	if (!rdb || !log || !src || !r->sock) {
		ctl_fail(err, CTL_FAIL, "out of memory");
		goto done;
	}
	unlink(rdb);
	if (archive_copy(src, rdb, 0600, ARCHIVE_ALL, err) != CTL_OK)
		goto done;
	pid = proc_start((char *const[]){(char *)r->ic.redis_server,
					 "--port",
					 "0",
					 "--unixsocket",
					 r->sock,
					 "--unixsocketperm",
					 "700",
					 "--dir",
					 (char *)r->ic.data_dir,
					 "--dbfilename",
					 "restore.rdb",
					 "--appendonly",
					 "no",
					 "--save",
					 "",
					 "--daemonize",
					 "no",
					 "--logfile",
					 log,
					 NULL});
	if (pid < 0) {
		ctl_fail(err, CTL_FAIL, "restore: cannot start %s", r->ic.redis_server);
		goto done;
	}
	if (loader_wait(r, "ping", NULL, pong, err) != CTL_OK ||
	    loader_cmd(r, NULL, err, "config", "set", "appendonly", "yes") != CTL_OK ||
	    loader_wait(r, "info", "persistence", written, err) != CTL_OK ||
	    list_tenants(r, err) != CTL_OK)
		goto done;
	rc = CTL_OK;
done:
	if (pid > 0) {
		loader_cmd(r, NULL, &(struct ctl_err){0}, "shutdown", NULL, NULL, NULL);
		if (proc_wait(pid) != 0 && rc == CTL_OK)
			rc = ctl_fail(err, CTL_FAIL,
				      "restore: the loader did not stop cleanly; see %s", log);
	}
	if (rdb)
		unlink(rdb);
	if (rc == CTL_OK && log)
		unlink(log);
	free(rdb);
	free(log);
	free(src);
	return rc;
}

static int put_back(struct restore *r, const char *keyring, struct ctl_err *err)
{
	for (size_t i = 0; backup_audit_files[i]; i++) {
		char *rel = NULL, *from, *to;
		int rc;

		if (asprintf(&rel, "audit/%s", backup_audit_files[i]) < 0)
			return ctl_fail(err, CTL_FAIL, "out of memory");
		from = instance_path(r->src, rel);
		to = instance_path(r->ic.data_dir, backup_audit_files[i]);
		rc = !from || !to		     ? ctl_fail(err, CTL_FAIL, "out of memory")
		     : archive_has(r->manifest, rel) ? archive_replace(from, to, 0600, err)
						     : CTL_OK;
		free(rel);
		free(from);
		free(to);
		if (rc != CTL_OK)
			return rc;
	}
	return archive_replace(keyring, r->ic.keyring, 0600, err);
}

/* The keyring to restore with: --keyring, else the backup's own; none: refused. */
static int pick_keyring(struct restore *r, char **out, struct ctl_err *err)
{
	if (r->keyring)
		*out = strdup(r->keyring);
	else if (archive_has(r->manifest, "keys/keyring"))
		*out = instance_path(r->src, "keys/keyring");
	else
		return ctl_fail(err, CTL_USAGE,
				"restore: %s holds no keyring (made without --with-keys): give "
				"--keyring FILE, the keyring of the instance backed up; without it "
				"its sealed fields and audit trail cannot be read",
				r->src);
	return *out ? CTL_OK : ctl_fail(err, CTL_FAIL, "out of memory");
}

static int check_target(struct restore *r, struct ctl_err *err)
{
	const char *found;

	if (*r->ic.redis_url || (r->ic.redis_sentinels && *r->ic.redis_sentinels))
		return ctl_fail(
		    err, CTL_USAGE,
		    "restore: %s uses an external Redis (redis.url or redis.sentinels): "
		    "load %s/redis.rdb "
		    "into that server with its own tools (docs/operations.md)",
		    r->ic.dir, r->src);
	if (instance_running(r->ic.data_dir))
		return ctl_fail(err, CTL_USAGE,
				"restore: %s is running (its Redis answers): stop "
				"jiandud first",
				r->ic.dir);
	found = has_data(r->ic.data_dir);
	if (found && !r->force)
		return ctl_fail(err, CTL_USAGE,
				"restore: %s is not a fresh instance (%s/%s holds data): restore "
				"into a new one (jianductl init), or give --force to move its data "
				"aside",
				r->ic.dir, r->ic.data_dir, found);
	return found ? move_aside(r, err) : CTL_OK;
}

static void report(const struct restore *r)
{
	printf("restored %s into %s: %zu tenant%s with an audit trail\n", r->src, r->ic.dir,
	       r->ntenants, r->ntenants == 1 ? "" : "s");
	printf("the backup's configuration is in %s/config/ (not applied)\n", r->src);
	printf("next: start jiandud on %s, then verify every tenant's trail:\n", r->ic.conf);
	for (const char *t = r->tenants; t && *t; t = strchr(t, '\n') + 1)
		printf("  jianductl audit verify --tenant %.*s\n", (int)strcspn(t, "\n"), t);
}

static int parse_args(const struct command *self, int argc, char **argv, struct restore *r,
		      const char **instance)
{
	for (int i = 1; i < argc; i++) {
		const char *v;
		int m;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			ctl_command_help(self, stdout);
			return CTL_OK;
		}
		if (strcmp(argv[i], "--force") == 0) {
			r->force = 1;
			continue;
		}
		if ((m = ctl_opt(argc, argv, &i, "--instance", &v)) > 0)
			*instance = v;
		else if (m == 0 && (m = ctl_opt(argc, argv, &i, "--keyring", &v)) > 0)
			r->keyring = v;
		else if (m < 0)
			return ctl_error(CTL_USAGE, "restore: %s needs a value", argv[i]);
		else if (argv[i][0] != '-' && !r->src)
			r->src = argv[i];
		else
			return ctl_error(CTL_USAGE, "restore: unexpected argument '%s'", argv[i]);
	}
	if (!r->src) {
		ctl_command_help(self, stderr);
		return ctl_error(CTL_USAGE, "restore: which backup? give DIR");
	}
	return -1;
}

int cmd_restore(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	struct restore r = {0};
	struct ctl_err err = {0};
	const char *instance = NULL;
	char *keyring = NULL;
	int rc;

	if ((rc = parse_args(self, argc, argv, &r, &instance)) >= 0)
		return rc;
	if (archive_verify(r.src, &r.manifest, &err) != CTL_OK ||
	    instance_load(ctl, instance, "restore", &r.ic, &err) != CTL_OK ||
	    pick_keyring(&r, &keyring, &err) != CTL_OK || check_target(&r, &err) != CTL_OK ||
	    load_snapshot(&r, &err) != CTL_OK || put_back(&r, keyring, &err) != CTL_OK) {
		rc = ctl_report(&err);
	} else {
		report(&r);
		rc = CTL_OK;
	}
	free(keyring);
	free(r.sock);
	free(r.tenants);
	json_decref(r.manifest);
	instance_free(&r.ic);
	return rc;
}
