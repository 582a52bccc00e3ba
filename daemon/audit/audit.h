/*
 * The tamper-evident audit trail: entries hash-chained and tagged by
 * jiandud under a key Redis never sees, checkpoints signed with Ed25519,
 * and the verification that says where a chain breaks.  Pure functions
 * over entries; daemon/storage/store.c appends them inside each mutation's script
 * (compare-and-set on the chain head).
 *
 * An entry, as stored (one Redis stream entry, fields in this order):
 *   seq     decimal, 1, 2, 3, ... per tenant
 *   time    RFC 3339 UTC with milliseconds
 *   actor   principal name          cred    cert | token | none
 *   source  client address          action  e.g. "<plugin>.note.create"
 *   target  record key or route     req     request id
 *   outcome ok | denied | conflict | error
 *   digest  hex SHA-256 of the change's canonical JSON (never plaintext of sealed fields)
 *   prev    hex chain value of entry seq-1 ("0"*64 for seq 1)
 *   chain   hex BLAKE2b-256(prev || canonical(entry without chain, tag))
 *   tag     hex BLAKE2b-256 keyed with the audit key over chain
 */
#ifndef JD_AUDIT_H
#define JD_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define JD_AUDIT_HEX	 65	   /* 64 hex characters and a NUL */
#define JD_AUDIT_SEQ_MAX INT64_MAX /* so that every seq is a JSON integer */
#define JD_AUDIT_NFIELDS 13	   /* fields of a stream entry, seq to tag */
#define JD_AUDIT_SEQ_TXT 21	   /* a seq in decimal and a NUL */
#define JD_AUDIT_CP_LINE 272	   /* the longest checkpoint line and a NUL */

struct jd_audit_entry {
	uint64_t seq;
	const char *time;
	const char *actor;
	const char *cred;
	const char *source;
	const char *action;
	const char *target;
	const char *req;
	const char *outcome;
	const char *digest;
	char prev[JD_AUDIT_HEX];
	char chain[JD_AUDIT_HEX];
	char tag[JD_AUDIT_HEX];
};

/*
 * The bytes an entry's chain value covers (after the 32 raw bytes of
 * prev): "jd-audit-v1", then seq (decimal), time, actor, cred, source,
 * action, target, req, outcome and digest, each as a 4-byte big-endian
 * length and its bytes; a NULL field is the empty string.  *out is
 * malloc'd.  JD_OK, JD_E_INVALID (NULL argument, field over 4 GiB),
 * JD_E_NOMEM.
 */
int jd_audit_canonical(const struct jd_audit_entry *e, unsigned char **out, size_t *len);

/*
 * The field/value array for XADD, in the order above: fv[2k] a name,
 * fv[2k+1] its value (NULL text fields become "").  seq_buf holds the
 * seq's text; fv points into it and into e.  Returns 2 * JD_AUDIT_NFIELDS.
 */
size_t jd_audit_entry_to_fields(const struct jd_audit_entry *e, char seq_buf[JD_AUDIT_SEQ_TXT],
				const char *fv[2 * JD_AUDIT_NFIELDS]);

/*
 * Fills *e from a stream entry's field/value array as Redis returns it
 * (n strings, name then value; lens[k] the length of fv[k], or lens NULL
 * to use strlen).  Text fields point into fv, which must outlive *e.
 * JD_OK, or JD_E_INVALID when a field is missing, repeated or unknown, a
 * value holds a NUL, seq is not a decimal in 1..JD_AUDIT_SEQ_MAX or prev,
 * chain or tag is not 64 lowercase hex digits.  Even then *e is filled as
 * far as it goes (seq 0 when unreadable, NULL for a missing text field)
 * and its tag is emptied, so that jd_audit_verify still counts the entry
 * and never finds it valid.
 */
int jd_audit_entry_from_fields(struct jd_audit_entry *e, const char *const *fv, const size_t *lens,
			       size_t n);

/*
 * Derives the audit tag key (crypto_kdf context "jdaudit_") from 32 bytes
 * of key material: jiandud passes the audit signing key's seed, which does
 * not rotate with the master keys.
 */
int jd_audit_key(unsigned char out[32], const unsigned char master[32]);

/*
 * Fills e->chain and e->tag from e->prev and the other fields.  JD_OK,
 * JD_E_INVALID (prev not 64 lowercase hex digits, seq 0 or above
 * JD_AUDIT_SEQ_MAX), JD_E_NOMEM.
 */
int jd_audit_seal_entry(const unsigned char audit_key[32], struct jd_audit_entry *e);

/*
 * A checkpoint: the chain value at seq, signed.  Text form, one line
 * without a newline (out needs JD_AUDIT_CP_LINE bytes at most):
 *   "cp1 <tenant> <seq> <chain> <unix time> <base64 signature>"
 * tenant is 1..64 of [A-Za-z0-9_-]; the Ed25519 signature covers
 * "jd-audit-cp-v1\n" followed by the line up to, not including, the space
 * before the signature.  jd_audit_checkpoint: JD_OK or JD_E_INVALID.
 * jd_audit_checkpoint_parse accepts one trailing newline and writes its
 * outputs only when the signature verifies: JD_OK, JD_E_INVALID for a
 * malformed line (or tenant_len too small), JD_E_FORBIDDEN for a
 * signature that does not verify under sign_pk.
 */
int jd_audit_checkpoint(const unsigned char sign_sk[64], const char *tenant, uint64_t seq,
			const char *chain, long long when, char *out, size_t outlen);
int jd_audit_checkpoint_parse(const unsigned char sign_pk[32], const char *line, char *tenant,
			      size_t tenant_len, uint64_t *seq, char chain[JD_AUDIT_HEX],
			      long long *when);

enum jd_audit_status {
	JD_AUDIT_VALID,
	JD_AUDIT_MODIFIED,  /* fields changed: chain or tag does not match */
	JD_AUDIT_DELETED,   /* a gap in seq before this entry */
	JD_AUDIT_INSERTED,  /* an entry that does not belong (bad tag, seq repeats) */
	JD_AUDIT_REORDERED, /* seq goes backwards */
	JD_AUDIT_UNSIGNED,  /* valid, but after the last checkpoint */
};
const char *jd_audit_status_name(enum jd_audit_status s);

/*
 * Verifies entries (in stream order) against the key and the checkpoints
 * (sorted by seq).  entry_ids (the stream ids) may be NULL.  Returns a
 * JSON report, or NULL when out of memory or given NULL arrays:
 *   {"entries": M, "valid": N, "problems": [{"seq", "id", "status", "detail"}],
 *    "checkpoints": K, "last_checkpoint": seq or 0, "unsigned_tail": U,
 *    "head_behind_checkpoint": bool, "ok": bool, "summary": "N/M entries valid, ..."}
 * Problems are sorted by seq.  "deleted" and "unsigned" problems cover a
 * range of seqs and carry "last" too; their id is that of the entry after
 * the gap (null at the end) or of the range's first entry.  An "unsigned"
 * problem is not damage: ok is false only for modified, deleted, inserted
 * or reordered entries or a head behind a checkpoint.  The rules are set
 * out in audit.c.
 */
json_t *jd_audit_verify(const unsigned char audit_key[32], const struct jd_audit_entry *entries,
			size_t n, const char *const *entry_ids, const uint64_t *cp_seq,
			const char *const *cp_chain, size_t n_cp);
/*
 * jd_audit_verify against an anchor too: the highest head (anchor_seq,
 * anchor_chain) jiandud wrote or saw, 0 and NULL for none.  The report
 * adds "anchor" (its seq) and "tail_truncated": true, with a "deleted"
 * problem "tail truncated after seq N: ...", when the stream ends before
 * the anchor; an entry at the anchor's seq with another chain is
 * "modified".  ok is then false.
 */
json_t *jd_audit_verify_anchored(const unsigned char audit_key[32],
				 const struct jd_audit_entry *entries, size_t n,
				 const char *const *entry_ids, const uint64_t *cp_seq,
				 const char *const *cp_chain, size_t n_cp, uint64_t anchor_seq,
				 const char *anchor_chain);

#endif
