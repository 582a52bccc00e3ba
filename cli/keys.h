/*
 * jianductl keys: master key rotation.  rotate works on the instance's
 * keyring file (run it where the instance directory is) and asks the daemon
 * to reload; rewrap and status are the daemon's routes (keys_routes.c).
 */
#ifndef JDCTL_KEYS_H
#define JDCTL_KEYS_H

#include "ctl.h"

#define KEYS_USAGE                                                                                 \
	"rotate [--instance DIR] [--json]\n"                                                       \
	"       jianductl [OPTIONS] keys rewrap [--tenant T]\n"                                    \
	"       jianductl [OPTIONS] keys status"

/* keys rotate; argv[0] is "rotate". */
int cmd_keys_rotate(struct ctl *ctl, const struct command *self, int argc, char **argv);

#endif
