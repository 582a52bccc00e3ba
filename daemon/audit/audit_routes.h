/*
 * The audit trail's core routes (GET /v1/audit/verify, /tail, /pubkey)
 * and the wiring of the audit log into the store.
 */
#ifndef JD_AUDIT_ROUTES_H
#define JD_AUDIT_ROUTES_H

#include <stddef.h>

struct jd_server;

/* Audits every store mutation from now on: needs srv->keyring and srv->store. */
int jd_audit_attach(struct jd_server *srv, char *err, size_t errlen);
int jd_audit_routes_register(struct jd_server *srv, char *err, size_t errlen);

#endif
