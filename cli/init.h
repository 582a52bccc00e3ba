/* jianductl init: set up a new instance directory (CA, certificates, keyring, configs). */
#ifndef JDCTL_INIT_H
#define JDCTL_INIT_H

#include "ctl.h"

#define INIT_USAGE                                                                                 \
	"DIR [--name HOST]... [--control-port N] [--api-port N] [--plugins-dir DIR] "              \
	"[--load LIST] [--data-dir DIR]"

int cmd_init(struct ctl *ctl, const struct command *self, int argc, char **argv);

#endif
