/*
 * The cap on audited refusals (401, 403, 429): a client flooding bad
 * credentials must not become an unbounded stream of audit writes.  At
 * most JD_AUDIT_REFUSALS_PER_SOURCE entries per source address per
 * minute, and JD_AUDIT_REFUSALS_TOTAL per minute from all sources
 * together (so that many addresses cannot multiply the first bound); the
 * rest are only counted (metric jiandu_audit_refusals_dropped_total) and
 * logged once per source and minute.  A fixed table keyed by SipHash
 * under a random key, per worker process.
 */
#ifndef JD_AUDIT_REFUSALS_H
#define JD_AUDIT_REFUSALS_H

#include <time.h>

#define JD_AUDIT_REFUSALS_PER_SOURCE 30
#define JD_AUDIT_REFUSALS_TOTAL	     600
#define JD_AUDIT_REFUSALS_SLOTS	     1024

/* 1 when the refusal from source may be audited now (and counts), 0 when dropped. */
int jd_audit_refusal_admit(const char *source, time_t now);
unsigned long long jd_audit_refusals_dropped(void);
void jd_audit_refusals_reset(void); /* tests */

#endif
