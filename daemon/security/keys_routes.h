/*
 * Master key rotation, the daemon's side (docs/security.md, "Key
 * handling"): POST /v1/keys/rewrap re-wraps tenant keys under the active
 * master version, in bounded background batches with their progress kept in
 * Redis; GET /v1/keys/status counts what each master version still wraps.
 */
#ifndef JD_KEYS_ROUTES_H
#define JD_KEYS_ROUTES_H

#include <stddef.h>

struct jd_server;

int jd_keys_routes_register(struct jd_server *srv, char *err, size_t errlen);
/* Stops a rewrap job (before the store goes); its memory goes with its last callback. */
void jd_keys_job_stop(struct jd_server *srv);

#endif
