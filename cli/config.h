/*
 * jianductl: the client config ([client] server, ca, cert, key, timeout),
 * found through -c, $JIANDUCTL_CONF or ~/.config/jiandu/jianductl.conf,
 * with -s, --ca, --cert and --key on top.
 */
#ifndef JDCTL_CONFIG_H
#define JDCTL_CONFIG_H

#include "ctl.h"

struct client_conf {
	char *server; /* host:port, IPv6 as [::1]:port */
	char *ca;     /* paths, resolved against the config file's directory */
	char *cert;
	char *key;
	long timeout_s;
	char *file; /* the config file read, or NULL */
};

/*
 * Returns CTL_OK with every field set, CTL_USAGE for a bad or missing
 * setting (message in *err), CTL_FAIL when out of memory.
 */
int client_conf_load(const struct ctl *ctl, struct client_conf *out, struct ctl_err *err);
void client_conf_free(struct client_conf *conf);

/* host:port with a port in 1..65535; an IPv6 host in brackets. */
int client_server_valid(const char *s);

#endif
