/*
 * The mutation builder behind the host's mut_* slots: a mutation under
 * construction (record fields set and deleted, ops appended), every string
 * copied, so a step can add to it from formatted temporaries.  Out of
 * memory is remembered and reported once, when the mutation is made.
 */
#ifndef JD_SVC_MUT_H
#define JD_SVC_MUT_H

#include <stddef.h>

#include <jiandu/plugin.h>

/* as many events as the store takes in one mutation (JD_STORE_EVENTS_MAX) */
#define JD_MUT_EVENTS_MAX 16

struct jd_mut {
	const char **set; /* field, value pairs, NULL-terminated by jd_mut_fill */
	size_t nset, capset;
	const char **del;
	size_t ndel, capdel;
	struct jd_op *ops;
	size_t nops, capops;
	char **owned;
	size_t nowned, capowned;
	int oom;
	/* durable events published with the change (names owned, payloads held) */
	struct jd_event_out events[JD_MUT_EVENTS_MAX];
	size_t nevents;
	/*
	 * Further records of the same step (jd_mut_record): a child's fields
	 * become HSET / HDEL ops of its record in the parent, and its ops and
	 * events the parent's, as they are added; the parent owns and frees it.
	 */
	struct jd_mut *parent; /* NULL: a mutation of its own */
	const char *record;    /* a child's record (owned by the parent) */
	struct jd_mut **kids;
	size_t nkids, capkids;
	int bad; /* a child's reserved field or bad record: JD_E_INVALID */
};

struct jd_mut *jd_mut_new(void);
void jd_mut_free(struct jd_mut *m);
void jd_mut_set(struct jd_mut *m, const char *field, const char *value);
void jd_mut_setf(struct jd_mut *m, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void jd_mut_del(struct jd_mut *m, const char *field);
void jd_mut_op(struct jd_mut *m, enum jd_op_kind kind, const char *key, const char *member,
	       const char *value);
void jd_mut_fail(struct jd_mut *m);
/* A durable event published with the change (docs/plugins.md "Events"); payload is stolen. */
void jd_mut_event(struct jd_mut *m, const char *name, json_t *payload);
/* m's ops so far (a child: its parent's, which hold the child's). */
const struct jd_op *jd_mut_ops(const struct jd_mut *m, size_t *n);
/*
 * A further record `record` written by m's mutation, in its one atomic
 * step: a builder whose set, setf and del write that record's fields (as
 * HSET / HDEL ops), whose ops and events are m's.  expect_version as a
 * mutation's, checked with m's (JD_OP_CHECK) before anything is written;
 * the record's version "_v" grows by one.  Owned by m (mut_free on it does
 * nothing).  NULL, m failed, when out of memory.
 */
struct jd_mut *jd_mut_record(struct jd_mut *m, const char *record, long long expect_version);
/*
 * Points out's set, del, ops and n_ops at m's, and its events when m has
 * any (valid while m lives and is not changed).  JD_OK, JD_E_NOMEM when m
 * ran out of memory, or JD_E_INVALID for a child or a bad child field.
 */
int jd_mut_fill(struct jd_mut *m, struct jd_mutation *out);

#endif
