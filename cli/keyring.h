/*
 * jianductl: the instance keyring: the first master key for sealed fields
 * and the audit signing key pair, in INI, mode 0600.
 */
#ifndef JDCTL_KEYRING_H
#define JDCTL_KEYRING_H

#include "ctl.h"
#include "files.h"

/* sodium_init() must have succeeded. */
int keyring_create(struct fs_tx *tx, const char *path, struct ctl_err *err);

#endif
