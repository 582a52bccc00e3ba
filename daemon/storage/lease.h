/*
 * Leases in Redis for work that must run once per period however many
 * worker processes tick (docs/operations.md, "Workers").  A lease is a key
 * per kind, jd:{_sys}:lease:<kind>, holding its owner's name for ttl ms:
 * the owner renews it on each run, the others find it taken and skip
 * their run.  Owners are named for their slot (host, master pid, worker
 * number), so a worker the master restarts in the same slot takes its
 * lease back at once; a slot gone for good loses it after ttl.
 *
 * Off (the default, one process): jd_lease_run runs the work at once.
 */
#ifndef JD_LEASE_H
#define JD_LEASE_H

struct jd_redis;

/* held: 1 when this process holds the lease and runs the work now, 0 when it skips. */
typedef void (*jd_lease_cb)(int held, void *arg);

/* Turns leases on over r with this process's owner name; NULL turns them off. */
void jd_lease_share(struct jd_redis *r, const char *owner);
/* 1 when leases are on (this process is one of several workers). */
int jd_lease_on(void);
/*
 * Calls cb exactly once, held = 1 if this process holds (or now takes)
 * the lease `kind` for ttl_ms: at once when leases are off, else from the
 * reply's callback; held = 0 when another holds it or Redis cannot
 * answer (the connection's freeing fails what is in flight: arg must
 * live until then).
 */
void jd_lease_run(const char *kind, unsigned ttl_ms, jd_lease_cb cb, void *arg);
/* The ttl for work repeated every period_ms: two periods and a second, so a
 * holder that runs every period keeps it and a late tick cannot lose it. */
unsigned jd_lease_ttl(unsigned period_ms);

#endif
