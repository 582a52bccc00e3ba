/* jianductl: child processes for backup and restore. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CAPTURE (64u << 20)

struct capture {
	char *buf;
	size_t len, cap;
};

static int capture_read(int fd, struct capture *c)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof chunk);

	if (n <= 0)
		return n < 0 && errno == EINTR ? 1 : 0;
	if (c->len + (size_t)n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16384;
		char *b;

		while (cap < c->len + (size_t)n + 1)
			cap *= 2;
		if (cap > MAX_CAPTURE || !(b = realloc(c->buf, cap)))
			return 1; /* drop the rest, keep reading: the child must not block */
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, chunk, (size_t)n);
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return 1;
}

/* Reads both pipes to their end. */
static void drain(int out_fd, int err_fd, struct capture *out, struct capture *err)
{
	struct pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (p[i].fd >= 0 && p[i].revents &&
			    !capture_read(p[i].fd, i == 0 ? out : err))
				p[i].fd = -1;
	}
}

static void child(char *const argv[], char *const env[], int out_fd, int err_fd)
{
	int devnull = open("/dev/null", O_RDONLY);

	umask(077); /* snapshots, append-only files: the instance's data, private */
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);
	for (size_t i = 0; env && env[i]; i++)
		putenv(env[i]);
	execvp(argv[0], argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The last non-empty line of s, trimmed, in place. */
static const char *last_line(char *s)
{
	char *end, *start;

	if (!s)
		return "";
	end = s + strlen(s);
	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(s, '\n');
	return start ? start + 1 : s;
}

int proc_run(char *const argv[], char *const env[], char **out, const char *what,
	     struct ctl_err *err)
{
	struct capture o = {0}, e = {0};
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, status, rc = CTL_FAIL;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		ctl_fail(err, CTL_FAIL, "%s: %s", what, strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		ctl_fail(err, CTL_FAIL, "%s: cannot fork: %s", what, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, env, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	drain(po[0], pe[0], &o, &e);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			ctl_fail(err, CTL_FAIL, "%s: %s", what, strerror(errno));
			goto out;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *why = last_line(e.buf);

		ctl_fail(err, CTL_FAIL, "%s failed (%s %d)%s%s", what,
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			 *why ? ": " : "", *why ? why : last_line(o.buf));
		goto out;
	}
	if (out) {
		*out = o.buf ? o.buf : strdup("");
		o.buf = NULL;
		if (!*out) {
			ctl_fail(err, CTL_FAIL, "out of memory");
			goto out;
		}
	}
	rc = CTL_OK;
out:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	free(o.buf);
	free(e.buf);
	return rc;
}

pid_t proc_start(char *const argv[])
{
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t pid;

	if (devnull < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		setsid(); /* not in our terminal's process group: a Ctrl-C is ours to handle */
		child(argv, NULL, devnull, devnull);
	}
	close(devnull);
	return pid;
}

int proc_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *proc_sibling(const char *name)
{
	char exe[PATH_MAX], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&path, "%s/%s", exe, name) < 0)
				return NULL;
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	return strdup(name);
}
