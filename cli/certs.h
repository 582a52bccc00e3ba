/*
 * jianductl certs: client certificates of the instance CA.  issue writes
 * a key and certificate and records them in tls/issued.json; list shows
 * that index; revoke marks entries revoked, signs a new tls/ca.crl and
 * asks the daemon to reload so the next request is checked against it;
 * crl signs the list again (a fresh nextUpdate).  These work on the
 * instance's files: run them where the instance directory is.
 */
#ifndef JDCTL_CERTS_H
#define JDCTL_CERTS_H

#include "ctl.h"

#define CERTS_USAGE                                                                                \
	"issue --user NAME [--role ROLE] [--days N] [--out DIR] [--instance DIR]\n"                \
	"       jianductl [OPTIONS] certs list [--instance DIR] [--json]\n"                        \
	"       jianductl [OPTIONS] certs revoke (--serial HEX | --user NAME) [--instance DIR] "   \
	"[--json]\n"                                                                               \
	"       jianductl [OPTIONS] certs crl [--instance DIR]"

int cmd_certs(struct ctl *ctl, const struct command *self, int argc, char **argv);

#endif
