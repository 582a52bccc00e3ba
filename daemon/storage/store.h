/*
 * The store primitive: every mutation is one EVALSHA of one Lua script
 * that checks the record's version and the idempotency key, then writes
 * the record, its indexes and counters.  Reads are single read-only
 * commands.  Keys are given relative and prefixed "jd:{<tenant>}:" here.
 */
#ifndef JD_STORE_H
#define JD_STORE_H

#include <jiandu/plugin.h>

struct jd_redis;
struct jd_store;
struct jd_audit_log;

/* Takes over r's on_connect hook (to load the script on every connection). */
struct jd_store *jd_store_new(struct jd_redis *r);
/*
 * From now on every applied mutation also appends one entry to its
 * tenant's audit stream "jd:{<tenant>}:audit", in the same script, with a
 * compare-and-set on the chain head "jd:{<tenant>}:audit:head"; the store
 * takes `audit` over (freed with the store).  A replay or a conflict
 * appends nothing.  Keys "audit" and "audit:*" are refused to callers.
 */
void jd_store_set_audit(struct jd_store *s, struct jd_audit_log *audit);
/* The store's audit log; NULL when mutations are not audited. */
struct jd_audit_log *jd_store_audit_log(struct jd_store *s);
/*
 * durability = replica: each mutation's script is followed by WAIT replicas
 * timeout_ms, and an applied mutation is answered JD_E_UNAVAILABLE when
 * fewer replicas confirmed it (0 replicas: off, the default).
 */
void jd_store_wait_replicas(struct jd_store *s, unsigned replicas, unsigned timeout_ms);
/*
 * An audited event that changes no record: a refused access, a read of a
 * sealed field.  Text fields are copied (long ones cut); NULL is "".
 */
struct jd_audit_event {
	const char *actor;   /* principal name, "-" when unknown */
	const char *cred;    /* cert | token | none */
	const char *source;  /* client address */
	const char *req;     /* request id */
	const char *action;  /* e.g. the route's permission, "sealed.read" */
	const char *target;  /* a path (never a query) or "type:id#field" */
	const char *outcome; /* e.g. denied, forbidden, opened, refused */
	/*
	 * 1 for sealed reads: while an entry of the same actor, credential,
	 * source, action and outcome waits in the tenant's queue (not yet
	 * sent), ev is merged into it instead of queued: its target becomes
	 * "req:<id> <reads> req:<id> <reads>..." (every merged request's id
	 * and reads) and each merged cb runs once, with that entry's outcome.
	 * A merge that would outgrow the target (1023 bytes) or
	 * JD_STORE_MERGE_MAX requests queues a new entry instead.
	 */
	int merge;
};
#define JD_STORE_MERGE_MAX 32
typedef void (*jd_audit_event_cb)(int rc, void *arg);
/*
 * Appends one entry for ev to tenant's audit stream with a second, small
 * script: the same compare-and-set on the chain head (AUDIT_TRIES sends)
 * and the same per-tenant queue as audited mutations, but no record
 * changes.  Fire and forget: it never blocks its caller, and a failure is
 * logged here.  JD_OK: cb (may be NULL) runs exactly once, later, with the
 * outcome; or, when the store has no audit log (no keyring), nothing is
 * appended and cb does not run.  JD_E_INVALID (bad tenant), JD_E_NOMEM,
 * JD_E_UNAVAILABLE (Redis down): nothing queued, cb does not run.
 */
int jd_store_audit_event(struct jd_store *s, const char *tenant, const struct jd_audit_event *ev,
			 jd_audit_event_cb cb, void *arg);
/*
 * Call before jd_redis_free(r).  Callbacks of work in flight still run
 * (when the replies come, or when jd_redis_free fails them); the memory
 * goes with the last one.
 */
void jd_store_free(struct jd_store *s);

/* Tenant ids: 1..64 of [A-Za-z0-9_-].  Returns 1 when valid, 0 otherwise. */
int jd_store_tenant_valid(const char *tenant);

/*
 * Relative keys: 1..200 printable characters, no space, "{" or "}"; keys
 * starting "idem:", "audit" and "events" are the store's own.  Record fields starting "_" are
 * reserved ("_v" holds the version).  At most 1024 fields and deletions, and
 * 50000 ops.
 * JD_OK: cb runs exactly once, later.  JD_E_INVALID (bad tenant, key or
 * op; nothing queued), JD_E_UNAVAILABLE (Redis down; nothing queued): cb
 * does not run.
 */
int jd_store_mutate(struct jd_store *s, const struct jd_mutation *m, jd_mutate_cb cb, void *arg);
/*
 * jd_store_mutate for a large mutation (an organization import): the same
 * one atomic step, but the change's digest is computed in slices
 * (runtime/slice.h) and, when every op is an hset, zadd or sadd off the
 * record, the ops are staged under temporary keys by short scripts
 * (storage/stage.h) and the one script that commits only checks the
 * preconditions and moves the staged keys into place; other ops are built
 * into the one command in slices.  So tens of thousands of ops hold
 * neither the loop nor Redis for long.  m and all it points to must live
 * until cb runs.  Validated in the call (same returns as jd_store_mutate);
 * JD_OK: cb runs exactly once, later (JD_E_UNAVAILABLE when the store went
 * away meanwhile, JD_ERR out of memory).  No origin (events, event keys).
 */
int jd_store_mutate_sliced(struct jd_store *s, const struct jd_mutation *m, jd_mutate_cb cb,
			   void *arg);
/*
 * The tenant's event stream ("jd:{<tenant>}:events", docs/plugins.md
 * "Events"): a mutation's events are XADDed to it by the same script.
 * "events" and "events:*" are the core's keys (refused to callers).  At
 * most JD_STORE_EVENTS_MAX events per mutation; names 1..100 of
 * [a-z0-9_.-] starting with a letter; payloads JSON objects (NULL is {})
 * of at most 64 KiB serialized.
 */
#define JD_STORE_EVENTS_KEY "events"
#define JD_STORE_EVENTS_MAX 16
/* An event-derived idempotency key lives this long (a redelivery within it changes nothing). */
#define JD_STORE_EVENT_KEY_TTL_S (30 * 86400)

/* What the caller adds to a mutation; NULL or zeroed: nothing. */
struct jd_store_origin {
	const char *publisher; /* names the events' publisher (a plugin); NULL: "core" */
	/*
	 * A mutation that handles a durable event: the idempotency key derived
	 * from the subscriber and the event id (kept JD_STORE_EVENT_KEY_TTL_S).
	 * The mutation must then carry no idempotency_key of its own.
	 */
	const char *event_key;
};
/* jd_store_mutate, with o's publisher and event key. */
int jd_store_mutate_from(struct jd_store *s, const struct jd_mutation *m,
			 const struct jd_store_origin *o, jd_mutate_cb cb, void *arg);
/* Only read-only commands are accepted (JD_E_INVALID otherwise). */
int jd_store_read(struct jd_store *s, const char *tenant, int argc, const char **argv,
		  jd_read_cb cb, void *arg);
/* In an HGETALL result ([field, value, ...]): the value of name, or NULL. */
const char *jd_hgetall_field(json_t *arr, const char *name);

/* PING, for health checks. */
int jd_store_ping(struct jd_store *s, jd_read_cb cb, void *arg);

/*
 * The readiness probe: SCRIPT EXISTS of the store's scripts and one small
 * write (SET jd:readyz <pid> PX 10000), pipelined.  JD_OK: cb runs exactly
 * once, later, with JD_OK (Redis takes writes and the scripts are loaded),
 * JD_E_NOTFOUND (a script is missing: it is being loaded again),
 * JD_E_UNAVAILABLE, JD_E_TIMEOUT or JD_ERR.  Any other return: cb does
 * not run.
 */
typedef void (*jd_store_probe_cb)(int rc, void *arg);
int jd_store_probe(struct jd_store *s, jd_store_probe_cb cb, void *arg);

#endif
