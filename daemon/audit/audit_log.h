/*
 * The audit trail's running state in jiandud: per tenant, the chain head
 * (seq, chain) this process last knew, which store.c uses as the
 * compare-and-set expectation of every appended entry, and the signed
 * checkpoints made from those heads (every `cp_every` entries or
 * `cp_interval_ms`, whichever comes first, for each tenant that had
 * entries): RPUSHed to "jd:{<tenant>}:audit:checkpoints" and appended to a
 * local file, so that a rewrite of Redis cannot also rewrite them.
 *
 * The anchor: per tenant, the highest head (seq, chain) this process has
 * written or seen, kept in memory and in a local append-only file
 * (`anchor_path`, 0600), so that a head set back in Redis (a cut tail) is
 * never chained from nor signed.  A head reported lower than the anchor
 * (or at its seq with another chain) holds the tenant: its audited writes
 * are refused (JD_E_UNAVAILABLE, 503) until an administrator accepts the
 * head (jd_audit_log_accept_head).  See docs/security.md, "Audit trail".
 */
#ifndef JD_AUDIT_LOG_H
#define JD_AUDIT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"

struct event_base;
struct jd_redis;
struct jd_audit_log;

struct jd_audit_log_opts {
	struct event_base *base;
	struct jd_redis *redis;		/* for the checkpoints' RPUSH; may be NULL */
	const unsigned char *audit_key; /* 32 bytes (jd_audit_key), copied */
	const unsigned char *sign_sk;	/* 64 bytes, borrowed; NULL: no checkpoints */
	const char *cp_path;		/* the local append-only file; NULL: none */
	unsigned cp_every;		/* entries; 0: 100 */
	unsigned cp_interval_ms;	/* 0: 60000 */
	const char *anchor_path;	/* the anchor file; NULL: anchors in memory only */
	unsigned anchor_interval_ms;	/* write + fsync of moved anchors; 0: 1000 */
	int anchor_shared; /* workers append to one anchor file: never rewritten (compacted) */
	unsigned pipeline; /* entries of a tenant in flight; 0: JD_AUDIT_PIPELINE */
};

/* NULL when out of memory or the file cannot be opened (logged). */
struct jd_audit_log *jd_audit_log_new(const struct jd_audit_log_opts *o);
/* Call before jd_redis_free: RPUSHes in flight end with the connection. */
void jd_audit_log_free(struct jd_audit_log *l);

const unsigned char *jd_audit_log_key(const struct jd_audit_log *l);

/* The head last known for tenant: seq 0 and 64 zeros when none is. */
void jd_audit_log_head(struct jd_audit_log *l, const char *tenant, uint64_t *seq,
		       char chain[JD_AUDIT_HEX]);
/*
 * A head learned from Redis (appended 0: a stale expectation was
 * corrected) or made by an entry just appended (appended 1: counts toward
 * the next checkpoint).  JD_OK, JD_E_INVALID, JD_E_NOMEM; for a learned
 * head behind the tenant's anchor (seq lower, or equal with another
 * chain): JD_E_CONFLICT when this holds the tenant now (logged, counted:
 * the caller raises the alarm), JD_E_UNAVAILABLE when it was held already.
 * The head is then not adopted.  appended JD_AUDIT_HEAD_UNCONFIRMED: a
 * learned head that no replica has confirmed (durability = replica): it is
 * followed, but the anchor is not raised to it, since a failover may lose
 * it (the anchor holds only what a failover keeps).
 */
#define JD_AUDIT_HEAD_UNCONFIRMED (-1)
int jd_audit_log_set_head(struct jd_audit_log *l, const char *tenant, uint64_t seq,
			  const char *chain, int appended);

/*
 * A tenant's audited mutations and events (store.c) are pipelined: up to
 * JD_AUDIT_PIPELINE of them in flight per process on the one Redis
 * connection, each built on the entry sent before it (the tip), so that
 * Redis applies them in order and fsyncs them together.  Each script still
 * compares the head with the one its entry chains on, so an entry whose
 * predecessor did not append (a conflict, a replay, an error, another
 * process's entry in between) appends nothing and is built again on the
 * tip and sent again (docs/architecture.md, "Group commit").
 * acquire: 1 when w holds a slot now, 0 when queued behind the holders,
 * JD_E_NOMEM.  release: frees the caller's slot; the next waiter, which
 * now holds it, or NULL.  Mutations and access entries wait in two
 * queues: a mutation goes first, but after JD_AUDIT_WRITES_PER_ACCESS
 * mutations in a row a waiting access entry has its turn, so that neither
 * starves the other.
 */
#define JD_AUDIT_PIPELINE	   16 /* the default (limits.audit_pipeline) */
#define JD_AUDIT_WRITES_PER_ACCESS 4
struct jd_audit_waiter {
	struct jd_audit_waiter *next;
	int access; /* an access entry (a refusal, sealed reads), not a mutation */
	/* called by the releaser on the waiter that now holds the tenant */
	void (*start)(struct jd_audit_waiter *w);
};
int jd_audit_log_acquire(struct jd_audit_log *l, const char *tenant, struct jd_audit_waiter *w);
struct jd_audit_waiter *jd_audit_log_release(struct jd_audit_log *l, const char *tenant);
/*
 * The tip: the head the next entry chains on (the head known when nothing
 * is in flight), and the epoch it belongs to.  sent: an entry (seq, chain)
 * built on the tip was sent; it is the tip now.  missed: an entry sent in
 * `epoch` appended nothing; when that epoch is the current one, every entry
 * sent after it is doomed, the tip becomes (seq, chain) (the head the
 * entry found or chained on) and a new epoch begins: returns 1; else 0.
 * current: whether epoch is the current one.
 */
void jd_audit_log_tip(struct jd_audit_log *l, const char *tenant, uint64_t *seq,
		      char chain[JD_AUDIT_HEX], unsigned *epoch);
void jd_audit_log_sent(struct jd_audit_log *l, const char *tenant, uint64_t seq,
		       const char chain[JD_AUDIT_HEX]);
int jd_audit_log_missed(struct jd_audit_log *l, const char *tenant, unsigned epoch, uint64_t seq,
			const char chain[JD_AUDIT_HEX]);
int jd_audit_log_current(struct jd_audit_log *l, const char *tenant, unsigned epoch);

/* Whether tenant's audited writes are refused: its head moved back. */
int jd_audit_log_held(struct jd_audit_log *l, const char *tenant);

/* The tenant's anchor: seq 0 and 64 zeros when none. */
void jd_audit_log_anchor(struct jd_audit_log *l, const char *tenant, uint64_t *seq,
			 char chain[JD_AUDIT_HEX]);

/*
 * An administrator's decision on a held tenant: the head Redis reported
 * (*seq, chain filled) becomes the anchor and the head, the hold ends, and
 * an "accept1" line is written and fsync'd at once.  *was gets the anchor
 * it replaces.  JD_OK, JD_E_NOTFOUND (the tenant is not held), JD_ERR (the
 * file cannot be written: the tenant stays held).
 */
int jd_audit_log_accept_head(struct jd_audit_log *l, const char *tenant, uint64_t *seq,
			     char chain[JD_AUDIT_HEX], uint64_t *was);

/* For /metrics: heads found moved back, and tenants held now (this process). */
unsigned long long jd_audit_log_moved_back_total(void);
/*
 * The entries of tenant waiting for their turn.  A request naming a tenant
 * whose backlog reached the configured limit (limits.audit_backlog) is
 * answered 503 before it runs (request.c), so that a flood cannot grow the
 * queue without bound; those answers are counted.
 */
unsigned jd_audit_log_backlog(struct jd_audit_log *l, const char *tenant);
void jd_audit_log_count_backlog_refusal(void);
unsigned long long jd_audit_log_backlog_refused_total(void);
/* Entries waiting for their tenant's turn, all tenants together. */
unsigned long long jd_audit_log_waiting_now(void);
/*
 * The newest access entries of tenant waiting for their turn (queued, not
 * yet sent), at most JD_AUDIT_OPEN, oldest first, *n of them.  A new sealed
 * read of the same caller may be merged into one of them instead of being
 * queued (store.c, "Merged reads"); each merge is counted.  Only the
 * newest: the older ones are full, and looking through the whole queue
 * made each read cost as much as the queue was long.
 */
#define JD_AUDIT_OPEN 8
struct jd_audit_waiter *const *jd_audit_log_access_open(struct jd_audit_log *l, const char *tenant,
							unsigned *n);
void jd_audit_log_count_merged(void);
unsigned long long jd_audit_log_reads_merged_total(void);
unsigned long long jd_audit_log_held_now(void);

/* Signs and stores a checkpoint of every tenant with entries since its last one. */
void jd_audit_log_checkpoint_all(struct jd_audit_log *l);

#endif
