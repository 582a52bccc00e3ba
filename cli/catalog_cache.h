/*
 * jianductl: the last catalog the daemon sent, kept in
 * $XDG_CACHE_HOME/jianductl/catalog.json (~/.cache/... by default), so that
 * shell completion knows the daemon's commands without asking it.
 */
#ifndef JDCTL_CATALOG_CACHE_H
#define JDCTL_CATALOG_CACHE_H

#include <jansson.h>

#include "catalog.h"

/* Writes root as the cache (atomically); best effort: a failure is only skipped. */
void catalog_cache_save(json_t *root);
/* The cached catalog into *cat; -1 when there is none or it does not parse. */
int catalog_cache_load(struct catalog *cat);

#endif
