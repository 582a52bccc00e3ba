/*
 * The example plugin's own declarations, shared by its files (example.c:
 * descriptor, routes, init; notes.c: the note routes; scope.c: record
 * scope; secrets.c: sealed fields, record keys, blind indexes; states.c:
 * a note's state machine and its steps; deadlines.c: the review deadline
 * and its sweep; counters.c: what a note counts; stats.c: the figures;
 * recount.c: the counters recomputed).  Private to the plugin: built with
 * -fvisibility=hidden, none of this is exported.
 *
 * Like every file of the plugin it includes <jiandu/plugin.h> and nothing
 * else of jiandu's.
 */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include <stddef.h>

#include <jiandu/plugin.h>

/* The host table and our handle, kept by example_init (example.c). */
extern const struct jd_host *host;
extern jd_plugin_handle *self;

/*
 * The note's text is sensitive: the core seals it (keys_ready, then seal)
 * before it is stored, and opens it only for callers holding
 * READ_TEXT_PERMISSION.  The title gets a blind index, so "which notes
 * have this title" is answered without the title in any index key.
 *
 * The note's source (who told us: the template for a reporter's identity)
 * is sealed under the note's own record key (record_key_new, seal_rk,
 * open_rk), kept wrapped in the note's field RKEY_FIELD.  Purging the note
 * deletes that field: from then on no copy of the sealed source opens, in
 * Redis or in a backup, once every copy of the wrapped key is gone
 * (crypto-shredding, docs/security.md).
 */
#define RECORD_TYPE	     "note"
#define READ_TEXT_PERMISSION "example.read"
#define RKEY_FIELD	     "rkey"

/* ---- one request's context, from the handler to the last callback ---------- */

struct pending {
	jd_req *req;
	char id[33];
	char record[80]; /* "note:<id>" */
	char tenant[65];
	char *title;	    /* create and edit: copies of the input */
	char *text;	    /* sensitive: wiped when freed */
	char *source;	    /* create: sensitive, sealed under the note's record key; wiped */
	char *idem;	    /* create */
	char *old_title;    /* edit: the title being replaced (its index entry goes) */
	json_int_t version; /* edit */
	json_t *fields;	    /* show: the record read, until its text is opened */
	char *unit;	    /* create and edit: the note's scope, copies of the input */
	char *groups;
	char *deny;
	jd_day day;			 /* create and the state steps: the step's date */
	struct jd_mut *mut;		 /* the state steps: the change being built */
	char state[16];			 /* the state steps: the note's state once applied */
	void (*next)(struct pending *p); /* the state steps: what runs once the note is read */
};

struct pending *pending_new(jd_req *req, const char *tenant, const char *id);
void pending_free(struct pending *p);
/* Replies rc for the note and frees p. */
void note_fail(struct pending *p, int rc);
/* strdup of an optional string: 0 on success (also for NULL), -1 out of memory. */
int dup_opt(char **dst, const char *s);

/* ---- the routes' handlers (notes.c) ------------------------------------------ */

void create_note(jd_req *req, void *arg);
void list_notes(jd_req *req, void *arg);
void show_note(jd_req *req, void *arg);
void find_notes(jd_req *req, void *arg);
void edit_note(jd_req *req, void *arg);
void purge_note(jd_req *req, void *arg);

/* ---- record scope (scope.c) --------------------------------------------------- */

/* "unit|groups|deny": the copy of a note's scope in the hash "notes:scope". */
#define SCOPE_MAX (64 + 1 + 256 + 1 + 256 + 1)

void scope_join(char out[SCOPE_MAX], const char *unit, const char *groups, const char *deny);
void scope_split(const char *v, char unit[65], char groups[257], char deny[257]);
int scope_input(struct pending *p, json_t *in);
int note_visible(jd_req *req, const char *tenant, const char *id, const char *unit,
		 const char *groups, const char *deny, int audited);
void reply_not_found(struct pending *p);
int note_found(struct pending *p, int exists, const char *unit, const char *groups,
	       const char *deny);

/* ---- sealed fields, record keys, blind indexes (secrets.c) -------------------- */

int title_index_key(const char *tenant, const char *title, char *out, size_t len);
void free_secret(char *s);
int seal_text(struct pending *p, char **sealed);
int seal_source(struct pending *p, char **rkey, char **sealed_source);
int open_into(struct pending *p, json_t *note, const char *field, int under_rkey, const char *rkey);

/* ---- state machine and its steps (states.c) ------------------------------------ */

extern const struct jd_machine note_machine;

/* A new note enters its first state on day d, in m: state, deadline, counter. */
void note_enter(struct jd_mut *m, const char *id, const char *unit, jd_day d);
void publish_note(jd_req *req, void *arg);
void approve_note(jd_req *req, void *arg);
void reject_note(jd_req *req, void *arg);
void archive_note(jd_req *req, void *arg);

/* ---- the review deadline and its sweep (deadlines.c) -------------------------- */

extern const struct jd_deadline_conf note_deadlines;

int deadlines_start(void);
/* declares the leaders' report section (report.c) */
int report_declare(void);
void deadlines_stop(void);
void deadlines_note_tenant(const char *tenant);

/* ---- counters, figures, recount (counters.c, stats.c, recount.c) ------------- */

extern const struct jd_counters note_counters;

void count_created(struct jd_mut *m, const char *unit, jd_day d, int sign);
void count_published(struct jd_mut *m, const char *unit, jd_day d, int sign);
void stats_get(jd_req *req, void *arg);
void recount_notes(jd_req *req, void *arg);

#endif
