/*
 * jianductl: the instance a local command works on (backup, restore): its
 * directory, and what its jiandud.conf says, as the daemon itself reads it
 * (`jiandud --dump-config`: the same parser, defaults and path rules).
 */
#ifndef JDCTL_INSTANCE_H
#define JDCTL_INSTANCE_H

#include "ctl.h"

struct instance_conf {
	char *dir;  /* the instance directory */
	char *conf; /* <dir>/jiandud.conf */
	/* the daemon's values (absolute paths), pointing into dump */
	const char *data_dir, *keyring, *redis_url, *redis_server;
	const char *redis_tls_ca, *redis_tls_cert, *redis_tls_key;
	const char *redis_cluster;   /* NULL from a daemon that has no such key */
	const char *redis_sentinels; /* NULL or "": no Redis Sentinel */
	char *dump;
};

/*
 * --instance DIR (given), else the directory of the client config in use
 * (init puts jianductl.conf there); then its jiandud.conf read through
 * jiandud.  cmd names the command in messages.
 */
int instance_load(const struct ctl *ctl, const char *given, const char *cmd,
		  struct instance_conf *ic, struct ctl_err *err);
void instance_free(struct instance_conf *ic);

/* dir/name, malloc'd, or NULL. */
char *instance_path(const char *dir, const char *name);

#endif
