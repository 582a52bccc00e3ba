/* jianductl: the built-in commands that ask the daemon: status, plugins, routes, reload. */
#ifndef JDCTL_BUILTIN_H
#define JDCTL_BUILTIN_H

#include "ctl.h"

int cmd_status(struct ctl *ctl, const struct command *self, int argc, char **argv);
int cmd_plugins(struct ctl *ctl, const struct command *self, int argc, char **argv);
int cmd_routes(struct ctl *ctl, const struct command *self, int argc, char **argv);
int cmd_reload(struct ctl *ctl, const struct command *self, int argc, char **argv);

#endif
