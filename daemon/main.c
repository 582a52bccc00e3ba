/* jiandud: flags, daemonizing, and the life of the server. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "runtime/config.h"
#include "runtime/log.h"
#include "runtime/master.h"
#include "transport/server.h"

#define DEFAULT_CONF "/etc/jiandu/jiandud.conf"

struct flags {
	const char *conf;
	int test;
	int daemonize;
	int dump;		      /* DUMP_KEYS, DUMP_CATALOG */
	struct jd_worker_args worker; /* --worker: started by a master (runtime/master.h) */
};

enum { DUMP_KEYS = 1, DUMP_CATALOG, DUMP_CONFIG };

static void usage(FILE *out)
{
	fprintf(out, "usage: jiandud [-c FILE] [-t] [-d] [-V] [-h]\n"
		     "  -c FILE  configuration file (default " DEFAULT_CONF ")\n"
		     "  -t       check the configuration and exit\n"
		     "  -d       run in the background, writing server.pid_file\n"
		     "  -V       print the version and exit\n"
		     "  -h       this help\n"
		     "  --dump-config-keys  every configuration key: key, default, live or\n"
		     "                      restart, type, description (tab-separated)\n"
		     "  --dump-catalog      the route catalog of the core and FILE's plugins\n"
		     "                      (JSON, as GET /v1/routes), without serving\n"
		     "  --dump-config       FILE's value of every key, defaults included and\n"
		     "                      paths made absolute (key, value: tab-separated)\n");
}

static int parse_flags(int argc, char **argv, struct flags *f)
{
	static const struct option longs[] = {
	    {"dump-config-keys", no_argument, NULL, 'K'},
	    {"dump-catalog", no_argument, NULL, 'C'},
	    {"dump-config", no_argument, NULL, 'D'},
	    {"worker", required_argument, NULL, 'W'},
	    {"worker-redis", required_argument, NULL, 'R'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	f->conf = DEFAULT_CONF;
	while ((c = getopt_long(argc, argv, "c:tdVh", longs, NULL)) != -1) {
		switch (c) {
		case 'K':
			f->dump = DUMP_KEYS;
			break;
		case 'C':
			f->dump = DUMP_CATALOG;
			break;
		case 'D':
			f->dump = DUMP_CONFIG;
			break;
		case 'W':
			if (jd_worker_args_parse(optarg, &f->worker) != JD_OK) {
				fprintf(stderr, "jiandud: bad --worker '%s'\n", optarg);
				return 2;
			}
			break;
		case 'R':
			f->worker.redis_url = optarg;
			break;
		case 'c':
			f->conf = optarg;
			break;
		case 't':
			f->test = 1;
			break;
		case 'd':
			f->daemonize = 1;
			break;
		case 'V':
			printf("jiandud %s (plugin ABI %d.%d)\n", JD_VERSION, JD_ABI_MAJOR,
			       JD_ABI_MINOR);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "jiandud: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return 0;
}

/* --dump-config-keys: the table the parser uses, for jiandud.conf(5) and scripts. */
static int dump_config_keys(void)
{
	for (size_t i = 0; i < jd_config_key_count(); i++) {
		struct jd_config_entry k;

		jd_config_key_at(i, &k);
		printf("%s.%s\t%s\t%s\t%s\t%s\n", k.section, k.name, k.def,
		       k.live ? "live" : "restart", k.type, k.help);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* --dump-config: what this daemon would run with, for jianductl backup and restore. */
static int dump_config(const struct jd_config *cfg)
{
	char v[4096];

	for (size_t i = 0; i < jd_config_key_count(); i++) {
		struct jd_config_entry k;

		jd_config_key_at(i, &k);
		jd_config_value(cfg, i, v, sizeof(v));
		printf("%s.%s\t%s\n", k.section, k.name, v);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* --dump-catalog: what a daemon with this configuration's plugins would offer. */
static int dump_catalog(struct jd_config *cfg)
{
	json_t *cat = NULL;
	char err[1024];
	int rc;

	jd_log_set_level("warn");
	if (jd_server_catalog(cfg, &cat, err, sizeof(err)) != JD_OK) {
		fprintf(stderr, "jiandud: %s\n", err);
		return 1;
	}
	rc = json_dumpf(cat, stdout, JSON_INDENT(1) | JSON_SORT_KEYS) == 0 ? 0 : 1;
	putchar('\n');
	json_decref(cat);
	return rc;
}

/* -t: what start-up would check before binding anything. */
static int test_config(const struct jd_config *cfg)
{
	char err[1024];

	if (jd_server_check(cfg, err, sizeof(err)) != JD_OK) {
		fprintf(stderr, "jiandud: %s: %s\n", cfg->path, err);
		return 1;
	}
	printf("jiandud: configuration file %s test is successful\n", cfg->path);
	return 0;
}

static int write_pid_file(const char *path)
{
	char buf[32];
	int fd, n;

	if (*path == '\0')
		return JD_OK;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return JD_ERR;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return JD_ERR;
	}
	return close(fd) == 0 ? JD_OK : JD_ERR;
}

/*
 * Forks into the background.  The parent waits on a pipe until the child
 * reports that start-up finished, so `jiandud -d` fails visibly when the
 * server cannot start.  Returns the write end in the child.
 */
static int daemonize(void)
{
	int pfd[2];
	pid_t pid;
	char ok = 0;

	if (pipe(pfd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(pfd[1]);
		if (read(pfd[0], &ok, 1) != 1)
			ok = 0;
		_exit(ok ? 0 : 1);
	}
	close(pfd[0]);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	return pfd[1];
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

static void report_ready(int fd, char ok)
{
	if (fd < 0)
		return;
	if (write(fd, &ok, 1) != 1)
		jd_warn("cannot tell the parent process start-up finished", NULL);
	close(fd);
}

/* One of a master's workers: serves the inherited sockets until told to stop. */
static int run_worker(const struct flags *f, struct jd_config *cfg)
{
	struct jd_server srv;
	int rc;

	jd_log_use_syslog(cfg->log_syslog || f->worker.syslog);
	if (getppid() != (pid_t)f->worker.master) {
		jd_err("worker: the master is gone", "master=%ld", f->worker.master);
		jd_config_free(cfg);
		return 1;
	}
	memset(&srv, 0, sizeof(srv));
	srv.worker = f->worker.slot;
	srv.listen_fds[0] = f->worker.control_fd;
	srv.listen_fds[1] = f->worker.api_fd;
	srv.master = f->worker.master;
	srv.master_redis = f->worker.redis_url && *f->worker.redis_url ? f->worker.redis_url : NULL;
	if (jd_server_start(&srv, cfg) != JD_OK) {
		jd_server_free(&srv);
		report_ready(f->worker.ready_fd, 0);
		return 1;
	}
	report_ready(f->worker.ready_fd, 1);
	rc = jd_server_run(&srv);
	jd_server_free(&srv);
	jd_notice("worker stopped", "worker=%u exit=%d", f->worker.slot, rc);
	return rc;
}

int main(int argc, char **argv)
{
	struct jd_server srv;
	struct jd_config *cfg = NULL;
	struct rlimit no_core = {0, 0};
	struct flags f = {0};
	char err[1024];
	int rc, ready_fd = -1;
	char *pid_file = NULL;

	if ((rc = parse_flags(argc, argv, &f)) != 0)
		return rc;
	if (f.dump == DUMP_KEYS)
		return dump_config_keys();
	if (sodium_init() < 0) {
		fprintf(stderr, "jiandud: libsodium failed to initialize\n");
		return 1;
	}
	/* Key material lives in this process: never write it to a core file. */
	setrlimit(RLIMIT_CORE, &no_core);
	if (jd_config_load(f.conf, &cfg, err, sizeof(err)) != JD_OK) {
		fprintf(stderr, "jiandud: %s\n", err);
		return 1;
	}
	if (f.dump == DUMP_CATALOG)
		return dump_catalog(cfg);
	if (f.dump == DUMP_CONFIG) {
		rc = dump_config(cfg);
		jd_config_free(cfg);
		return rc;
	}
	if (f.test) {
		rc = test_config(cfg);
		jd_config_free(cfg);
		return rc;
	}
	if (f.worker.slot > 0)
		return run_worker(&f, cfg);
	jd_log_use_syslog(cfg->log_syslog || f.daemonize);
	if (f.daemonize) {
		ready_fd = daemonize();
		if (ready_fd < 0) {
			fprintf(stderr, "jiandud: cannot daemonize: %s\n", strerror(errno));
			jd_config_free(cfg);
			return 1;
		}
		detach_stdio();
		if (write_pid_file(cfg->pid_file) != JD_OK)
			jd_err("cannot write pid file", "path=%s", cfg->pid_file);
		else if (*cfg->pid_file)
			pid_file = strdup(cfg->pid_file);
	}
	if (cfg->workers > 1) {
		rc = jd_master_run(cfg, cfg->log_syslog || f.daemonize, ready_fd, report_ready);
		if (pid_file != NULL)
			unlink(pid_file);
		free(pid_file);
		return rc;
	}
	memset(&srv, 0, sizeof(srv));
	if (jd_server_start(&srv, cfg) != JD_OK) {
		jd_server_free(&srv);
		if (pid_file != NULL)
			unlink(pid_file);
		free(pid_file);
		report_ready(ready_fd, 0); /* last: the parent's exit means all is cleaned up */
		return 1;
	}
	report_ready(ready_fd, 1);
	rc = jd_server_run(&srv);
	jd_server_free(&srv);
	if (pid_file != NULL)
		unlink(pid_file);
	free(pid_file);
	jd_notice("jiandud stopped", "exit=%d", rc);
	return rc;
}
