/*
 * The tamper-evident audit trail: entries hash-chained and tagged by
 * jiandud under a key Redis never sees, checkpoints signed with Ed25519,
 * and the verification that says where a chain breaks.  Pure functions
 * over entries; daemon/store.c appends them inside each mutation's script
 * (compare-and-set on the chain head).
 *
 * An entry, as stored (one Redis stream entry, fields in this order):
 *   seq     decimal, 1, 2, 3, ... per tenant
 *   time    RFC 3339 UTC with milliseconds
 *   actor   principal name          cred    cert | token | none
 *   source  client address          action  e.g. "example.note.create"
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

#define JD_AUDIT_HEX 65 /* 64 hex characters and a NUL */

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

/* Derives the audit tag key from a master key (crypto_kdf context "jdaudit_"). */
int jd_audit_key(unsigned char out[32], const unsigned char master[32]);

/* Fills e->chain and e->tag from e->prev and the other fields. */
int jd_audit_seal_entry(const unsigned char audit_key[32], struct jd_audit_entry *e);

/* A checkpoint: the chain value at seq, signed.  Text form, one line:
 * "cp1 <tenant> <seq> <chain> <unix time> <base64 signature>" */
int jd_audit_checkpoint(const unsigned char sign_sk[64], const char *tenant, uint64_t seq,
			const char *chain, long long when, char *out, size_t outlen);
int jd_audit_checkpoint_parse(const unsigned char sign_pk[32], const char *line, char *tenant,
			      size_t tenant_len, uint64_t *seq, char chain[JD_AUDIT_HEX],
			      long long *when);

enum jd_audit_status {
	JD_AUDIT_VALID,
	JD_AUDIT_MODIFIED,    /* fields changed: chain or tag does not match */
	JD_AUDIT_DELETED,     /* a gap in seq before this entry */
	JD_AUDIT_INSERTED,    /* an entry that does not belong (bad tag, seq repeats) */
	JD_AUDIT_REORDERED,   /* seq goes backwards */
	JD_AUDIT_UNSIGNED,    /* valid, but after the last checkpoint */
};
const char *jd_audit_status_name(enum jd_audit_status s);

/*
 * Verifies entries (in stream order) against the key and the checkpoints
 * (sorted by seq).  Returns a JSON report:
 *   {"entries": M, "valid": N, "problems": [{"seq", "id", "status", "detail"}],
 *    "checkpoints": K, "head_behind_checkpoint": bool, "ok": bool}
 */
json_t *jd_audit_verify(const unsigned char audit_key[32], const struct jd_audit_entry *entries,
			size_t n, const char *const *entry_ids, const uint64_t *cp_seq,
			const char *const *cp_chain, size_t n_cp);

#endif
