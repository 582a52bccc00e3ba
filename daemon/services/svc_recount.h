/*
 * The paged recount behind the host's recount_run slot (struct
 * jd_recount): every counter of a plugin recomputed from its records and
 * compared with what the counter hashes hold.  It walks the declared
 * indexes by rank (no SCAN), reads each page's records together, and
 * derives their counters through the plugin's own derive (the writers'
 * functions) into a scratch mutation whose HINCRBY ops are summed instead
 * of applied.  Counters are compared as they are when read.
 */
#ifndef JD_SVC_RECOUNT_H
#define JD_SVC_RECOUNT_H

#include <jiandu/plugin.h>

struct jd_server;

/*
 * The host's recount_run (svc_recount_tree.c): a county, or a tenant the
 * organization does not know, is recounted as itself; a roll-up (province,
 * municipality, city) recounts every county-level tenant under it, one
 * after the other, and answers the sums with each county's own answer in
 * "counties"; a roll-up with none under it is refused (JD_E_INVALID with a
 * message naming it), never answered as an empty recount.
 */
int jd_recount_run(jd_plugin_handle *self, const struct jd_recount *r, jd_req *req,
		   const char *tenant, int fix, jd_recount_cb cb, void *arg);

/* One tenant's recount, as is (svc_recount.c); the arguments checked by jd_recount_run. */
int jd_recount_tenant(struct jd_server *srv, const struct jd_recount *r, jd_req *req,
		      const char *tenant, int fix, jd_recount_cb cb, void *arg);

#endif
