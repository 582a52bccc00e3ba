/*
 * jianductl: running the tools backup and restore drive (jiandud
 * --dump-config, redis-cli, redis-server) without a shell: argv as given,
 * their output captured, so an argument is never re-parsed.
 */
#ifndef JDCTL_PROC_H
#define JDCTL_PROC_H

#include <sys/types.h>

#include "ctl.h"

/*
 * Runs argv[0] (looked up in PATH) and waits.  env: "NAME=value" entries
 * added to the environment (NULL-terminated, may be NULL).  *out (if out)
 * gets stdout, malloc'd; stderr is kept for the error.  CTL_FAIL with
 * "<what>: <its last line of stderr>" when it cannot run or exits non-zero.
 */
int proc_run(char *const argv[], char *const env[], char **out, const char *what,
	     struct ctl_err *err);

/* Starts argv in the background, stdout and stderr to /dev/null; -1 if it cannot. */
pid_t proc_start(char *const argv[]);
/* Waits for pid; its exit status (0..255), or -1. */
int proc_wait(pid_t pid);

/* <the directory of this jianductl>/name when that is executable, else name (PATH). */
char *proc_sibling(const char *name);

#endif
