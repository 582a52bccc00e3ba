/*
 * Staged writes (docs/architecture.md "Large work"): the ops of a large
 * mutation (an organization import, tens of thousands of writes) are
 * written under temporary keys "jd:{<tenant>}:stage:<id>:<key>" by short
 * scripts of JD_STAGE_OPS ops each, one in flight at a time, so that Redis
 * and the loop serve everyone else between them.  The manifest
 * "jd:{<tenant>}:stage:<id>" lists the keys staged.  Every staged key and
 * the manifest expire after JD_STAGE_TTL_MS: a failure or a crash before
 * the commit leaves nothing visible, and nothing behind for long.
 *
 * The commit is the store's one mutation script (store.c), given the
 * manifest: after all its preconditions (version, idempotency, audit
 * chain head) it moves each staged key into place (RENAME when the key is
 * new, else merged field by field), appends the audit entry and deletes
 * the manifest, all in one atomic step.
 *
 * Only ops that merge are staged: hset, zadd, sadd (a later op on the
 * same key and member overrides an earlier one, as it would one by one).
 */
#ifndef JD_STORAGE_STAGE_H
#define JD_STORAGE_STAGE_H

#include <stddef.h>

#include <jiandu/plugin.h>

struct jd_redis;
struct jd_stage;

/* Ops per staging script, and how long staged keys live. */
#define JD_STAGE_OPS	256
#define JD_STAGE_TTL_MS 600000
/* The store's key prefix of staged writes ("stage" and "stage:*" are refused to callers). */
#define JD_STAGE_KEY "stage"

/* 1 when every op is an hset, zadd or sadd on a key other than record. */
int jd_stage_stageable(const struct jd_op *ops, size_t n, const char *record);

/*
 * Stages ops (validated by the caller: see jd_store_mutate) for tenant.
 * ops and all they point to must live until cb runs.  NULL: out of memory,
 * or Redis is down (cb does not run).  Otherwise cb runs exactly once,
 * later: JD_OK (all staged), or JD_ERR / JD_E_UNAVAILABLE / JD_E_TIMEOUT;
 * then end the stage with jd_stage_end.
 */
typedef void (*jd_stage_cb)(int rc, void *arg);
struct jd_stage *jd_stage_start(struct jd_redis *r, const char *tenant, const struct jd_op *ops,
				size_t n, jd_stage_cb cb, void *arg);
/* The manifest's full key, and how many keys it lists (once cb said JD_OK). */
const char *jd_stage_manifest(const struct jd_stage *st);
size_t jd_stage_count(const struct jd_stage *st);
/*
 * Ends the stage: committed, it is freed; otherwise its keys are deleted
 * (a few hundred per command, in the background) before it is, so that a
 * refused import does not hold memory until the keys expire.
 */
void jd_stage_end(struct jd_stage *st, int committed);

#endif
