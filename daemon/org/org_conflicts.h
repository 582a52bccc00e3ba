/*
 * The conflict check against the acquaintance society (熟人社会): why a
 * cadre must not handle a matter of a unit, or of a subject employed
 * somewhere.  A person conflicts with a unit they work in, a unit they
 * worked in (the snapshot's "former"), a unit linked to theirs (an
 * office's "linked"), a unit their agency supervises (by name), and
 * anything their declared ties name.
 *
 * The declared ties are sealed (record type "person", field "ties"); this
 * file opens them under the tenant key only for the check, wipes them as
 * soon as it is done, and appends "org.conflicts" to the tenant's audit
 * trail for every person whose ties it opened.  A reason names the kind of
 * conflict and the unit, never the declared text.
 *
 * GET /v1/org/conflicts (permission org.conflicts) and the host slot
 * org_conflicts (include/jiandu/plugin.h) answer from here.
 */
#ifndef JD_ORG_CONFLICTS_H
#define JD_ORG_CONFLICTS_H

#include <stddef.h>

#include <jansson.h>

struct jd_server;

/* The kinds of conflict; the rotation weighs only some of them for members. */
enum {
	JD_CONFLICT_OWN = 1u << 0,    /* works in the unit */
	JD_CONFLICT_FORMER = 1u << 1, /* worked in it (or in the agency supervising the employer) */
	JD_CONFLICT_LINKED = 1u << 2, /* the unit is linked to theirs, or theirs supervises it */
	JD_CONFLICT_TIE = 1u << 3,    /* their declared ties name it */
	JD_CONFLICT_ALL = 0xfu,
};

/* One person's opened ties: text[0..len) is plaintext, never logged, never copied. */
struct jd_org_tie {
	char person[33];
	const char *text;
	size_t len;
};

/* Opened ties of several people (jd_org_ties_open), or built by hand in tests. */
struct jd_org_ties {
	size_t n;
	struct jd_org_tie *v;
	int owned; /* 1: the texts are jd_tenant_open's, wiped and freed by jd_org_ties_free */
};

/* The entry for person, or NULL (none declared, or not opened). */
const struct jd_org_tie *jd_org_ties_find(const struct jd_org_ties *t, const char *person);

/*
 * Pure: appends to `reasons` (an array) why person (an id of snap
 * "people") conflicts with the unit code `unit` and/or a subject employed
 * by `employer` (either may be NULL or ""), counting only the kinds in
 * mask.  tie is the person's opened ties or NULL.  Each reason is a
 * predicate after the person's name ("works in ag1", "has a declared tie
 * to ag1"); none is added twice.  Returns the number added, or -1 (out of
 * memory, or person not in snap).
 */
int jd_org_conflict_reasons(const json_t *snap, const char *person, const struct jd_org_tie *tie,
			    const char *unit, const char *employer, unsigned mask, json_t *reasons);

/*
 * Whether an employer (trimmed) is long enough to name a body: at least 2
 * characters and 4 bytes ("教育局", "City Bank").  The employer is matched
 * as a part of the declared ties' text, so each check answers "do the
 * ties contain this?"; a shorter one would let a caller spell the ties
 * out a character at a time.  jd_org_conflict_reasons ignores a shorter
 * employer; the route refuses it.
 */
int jd_org_employer_ok(const char *employer);

/* Who asked, for the audit entries of opened ties. */
struct jd_org_actor {
	const char *actor;  /* principal name, or the plugin's */
	const char *cred;   /* cert | token | none */
	const char *source; /* client address, or "" */
	const char *req;    /* request id, or "" */
};

/*
 * Opens the ties of the people `ids` (an array of ids) from snap "ties"
 * (read with JD_SNAP_TIES); the tenant key must be loaded
 * (jd_tenant_keys_ready).  Appends "org.conflicts" (target
 * "person:<id>#ties", outcome "checked") for every one opened.  JD_OK with
 * *out (free with jd_org_ties_free, which wipes), JD_E_FORBIDDEN (a value
 * does not open: nothing kept), JD_E_NOTFOUND (key not loaded), JD_E_NOMEM.
 */
int jd_org_ties_open(struct jd_server *srv, const json_t *snap, const char *tenant,
		     const json_t *ids, const struct jd_org_actor *who, struct jd_org_ties **out);
/* Wipes and frees what jd_org_ties_open made; NULL is ignored. */
void jd_org_ties_free(struct jd_org_ties *t);

/* One conflict check: who, against what. */
struct jd_org_conflict_query {
	const char *tenant;   /* the county */
	const char *who;      /* a person id of tenant, or a user id linked to one */
	const char *unit;     /* a unit code of tenant, or NULL */
	const char *employer; /* a subject's employer, or NULL */
	struct jd_org_actor by;
};

/*
 * The answer: rc JD_OK with the reasons (an array, borrowed for the
 * call), or JD_E_NOTFOUND with `missing` naming what ("tenant", "person",
 * "user", "unit"), JD_E_INVALID (the tenant is not a county),
 * JD_E_UNAVAILABLE, JD_E_TIMEOUT, JD_ERR.
 */
struct jd_org_conflict_answer {
	int rc;
	const char *missing;
	const char *person; /* the person's id, once known */
	const char *name;   /* and name */
	json_t *reasons;
};

typedef void (*jd_org_conflict_cb)(const struct jd_org_conflict_answer *a, void *arg);

/*
 * Runs one check.  JD_OK: cb runs exactly once, later.  JD_E_INVALID (bad
 * tenant or who), JD_E_NOMEM, JD_E_UNAVAILABLE: cb does not run.
 */
int jd_org_conflicts_check(struct jd_server *srv, const struct jd_org_conflict_query *q,
			   jd_org_conflict_cb cb, void *arg);

int jd_org_conflicts_register(struct jd_server *srv, char *err, size_t errlen);

#endif
