/*
 * The tenant tree: which counties a city or province rolls up.  Read from
 * "tenants:summary" in the system tenant (one HGETALL, bounded by the
 * number of tenants of the instance: a province has a few hundred).
 */
#ifndef JD_ORG_TREE_H
#define JD_ORG_TREE_H

#include <jansson.h>

struct jd_server;

/*
 * rc JD_OK with tree {"code", "name", "level", "parent", "counties": [codes
 * sorted], "centralized": n counties with centralized office} (borrowed
 * for the call), or JD_E_NOTFOUND (no such tenant), JD_E_UNAVAILABLE,
 * JD_E_TIMEOUT, JD_ERR with NULL.
 */
typedef void (*jd_org_tree_cb)(int rc, json_t *tree, void *arg);

/* JD_OK: cb runs exactly once, later.  JD_E_INVALID (bad code) or a Redis error: it does not. */
int jd_org_tree_read(struct jd_server *srv, const char *tenant, jd_org_tree_cb cb, void *arg);

/* Pure: the tree of `code` from {code: summary} of every tenant; NULL when absent. */
json_t *jd_org_tree_of(const json_t *summaries, const char *code);

#endif
