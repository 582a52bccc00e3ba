/*
 * jianductl __complete WORD...: the candidates for the last word, one a
 * line, for the bash completion (conf/jianductl.bash-completion).  It reads
 * only the cached catalog (catalog_cache.h): a completion never waits on
 * the network, and without a cache it offers the built-in commands only.
 */
#ifndef JDCTL_COMPLETE_H
#define JDCTL_COMPLETE_H

#include <stdio.h>

#include "catalog.h"
#include "ctl.h"

/*
 * words[0..n): the command line after "jianductl", the last one the word
 * being completed (maybe empty); cmds: the built-in table (hidden ones are
 * never offered); cat: the catalog, or NULL.  Returns 0, -1 out of memory.
 */
int complete_words(const struct command *cmds, size_t ncmds, const struct catalog *cat, int n,
		   char **words, FILE *out);

#endif
