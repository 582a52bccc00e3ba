/*
 * The audit trail's cryptography (encoding, chain, tag, checkpoints) and
 * the verification that names where a chain was damaged.  No I/O, no
 * global state, nothing logged: the only secrets here (the audit key and
 * the signing key) are the caller's, used in place and never copied.
 */
#include "audit/audit.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#define AUDIT_DOMAIN "jd-audit-v1"
#define CP_DOMAIN    "jd-audit-cp-v1\n"
#define CP_MAGIC     "cp1"
#define CP_TOKENS    6
#define CP_SIG_B64   88 /* 64 bytes in padded base64 */
#define CANON_FIELDS 10
#define TENANT_MAX   64
#define HASH_BYTES   32
#define ZERO_CHAIN   "0000000000000000000000000000000000000000000000000000000000000000"
#define DETAIL_MAX   192
#define NO_POS	     SIZE_MAX

/* ---- Encoding ------------------------------------------------------------ */

static const char *const field_names[JD_AUDIT_NFIELDS] = {
    "seq", "time",    "actor",	"cred", "source", "action", "target",
    "req", "outcome", "digest", "prev", "chain",  "tag",
};

/* Exactly 64 lowercase hex digits: the only form jiandud writes, so that equal
 * values compare equal as text. */
static bool hex_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool hex32_ok(const char *s)
{
	return s != NULL && hex_digits(s, 2 * HASH_BYTES) && s[2 * HASH_BYTES] == '\0';
}

static int hex32_decode(const char *hex, unsigned char out[HASH_BYTES])
{
	size_t len = 0;

	if (!hex32_ok(hex))
		return JD_E_INVALID;
	if (sodium_hex2bin(out, HASH_BYTES, hex, 2 * HASH_BYTES, NULL, &len, NULL) != 0 ||
	    len != HASH_BYTES)
		return JD_E_INVALID;
	return JD_OK;
}

/* A strict decimal: digits only, no sign, no leading zero, at most max. */
static int parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (s[0] == '0' && len > 1))
		return JD_E_INVALID;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (max - d) / 10)
			return JD_E_INVALID;
		v = v * 10 + d;
	}
	*out = v;
	return JD_OK;
}

static void canon_fields(const struct jd_audit_entry *e, char seq[JD_AUDIT_SEQ_TXT],
			 const char *f[CANON_FIELDS])
{
	snprintf(seq, JD_AUDIT_SEQ_TXT, "%" PRIu64, e->seq);
	f[0] = seq;
	f[1] = e->time;
	f[2] = e->actor;
	f[3] = e->cred;
	f[4] = e->source;
	f[5] = e->action;
	f[6] = e->target;
	f[7] = e->req;
	f[8] = e->outcome;
	f[9] = e->digest;
	for (size_t i = 0; i < CANON_FIELDS; i++)
		if (f[i] == NULL)
			f[i] = "";
}

int jd_audit_canonical(const struct jd_audit_entry *e, unsigned char **out, size_t *len)
{
	char seq[JD_AUDIT_SEQ_TXT];
	const char *f[CANON_FIELDS];
	size_t flen[CANON_FIELDS], total = sizeof(AUDIT_DOMAIN) - 1;
	unsigned char *buf, *p;

	if (e == NULL || out == NULL || len == NULL)
		return JD_E_INVALID;
	canon_fields(e, seq, f);
	for (size_t i = 0; i < CANON_FIELDS; i++) {
		flen[i] = strlen(f[i]);
		if (flen[i] > UINT32_MAX || total > SIZE_MAX - 4 - flen[i])
			return JD_E_INVALID;
		total += 4 + flen[i];
	}
	buf = malloc(total);
	if (buf == NULL)
		return JD_E_NOMEM;
	memcpy(buf, AUDIT_DOMAIN, sizeof(AUDIT_DOMAIN) - 1);
	p = buf + sizeof(AUDIT_DOMAIN) - 1;
	for (size_t i = 0; i < CANON_FIELDS; i++) {
		/* Length first, big-endian: no field's bytes can pass for a boundary. */
		p[0] = (unsigned char)(flen[i] >> 24);
		p[1] = (unsigned char)(flen[i] >> 16);
		p[2] = (unsigned char)(flen[i] >> 8);
		p[3] = (unsigned char)flen[i];
		memcpy(p + 4, f[i], flen[i]);
		p += 4 + flen[i];
	}
	*out = buf;
	*len = total;
	return JD_OK;
}

size_t jd_audit_entry_to_fields(const struct jd_audit_entry *e, char seq_buf[JD_AUDIT_SEQ_TXT],
				const char *fv[2 * JD_AUDIT_NFIELDS])
{
	const char *canon[CANON_FIELDS];

	canon_fields(e, seq_buf, canon);
	for (size_t i = 0; i < JD_AUDIT_NFIELDS; i++)
		fv[2 * i] = field_names[i];
	for (size_t i = 0; i < CANON_FIELDS; i++)
		fv[2 * i + 1] = canon[i];
	fv[2 * CANON_FIELDS + 1] = e->prev;
	fv[2 * CANON_FIELDS + 3] = e->chain;
	fv[2 * CANON_FIELDS + 5] = e->tag;
	return 2 * JD_AUDIT_NFIELDS;
}

static int field_index(const char *name, size_t len)
{
	for (int i = 0; i < JD_AUDIT_NFIELDS; i++)
		if (strlen(field_names[i]) == len && memcmp(field_names[i], name, len) == 0)
			return i;
	return -1;
}

/* Stores one value; JD_E_INVALID when it is not of its field's form. */
static int set_field(struct jd_audit_entry *e, int idx, const char *v, size_t len)
{
	const char **text[] = {NULL,	   &e->time,   &e->actor, &e->cred,    &e->source,
			       &e->action, &e->target, &e->req,	  &e->outcome, &e->digest};
	char *hex[] = {e->prev, e->chain, e->tag};

	/* The value must be exactly what Redis holds: no NUL inside, one after. */
	if (memchr(v, '\0', len) != NULL || v[len] != '\0')
		return JD_E_INVALID;
	if (idx == 0)
		return parse_dec(v, len, JD_AUDIT_SEQ_MAX, &e->seq) == JD_OK && e->seq > 0
			   ? JD_OK
			   : JD_E_INVALID;
	if (idx < CANON_FIELDS) {
		*text[idx] = v;
		return JD_OK;
	}
	if (len != 2 * HASH_BYTES || !hex_digits(v, len))
		return JD_E_INVALID;
	memcpy(hex[idx - CANON_FIELDS], v, len);
	hex[idx - CANON_FIELDS][len] = '\0';
	return JD_OK;
}

int jd_audit_entry_from_fields(struct jd_audit_entry *e, const char *const *fv, const size_t *lens,
			       size_t n)
{
	unsigned seen = 0;
	bool bad = n % 2 != 0 || fv == NULL, bad_seq = false;

	if (e == NULL)
		return JD_E_INVALID;
	memset(e, 0, sizeof(*e));
	for (size_t k = 0; fv != NULL && k + 1 < n; k += 2) {
		size_t nlen, vlen;
		int idx;

		if (fv[k] == NULL || fv[k + 1] == NULL) {
			bad = true;
			continue;
		}
		nlen = lens ? lens[k] : strlen(fv[k]);
		vlen = lens ? lens[k + 1] : strlen(fv[k + 1]);
		idx = field_index(fv[k], nlen);
		if (idx < 0 || (seen & (1u << idx)) != 0) {
			bad = true;
			continue;
		}
		seen |= 1u << idx;
		if (set_field(e, idx, fv[k + 1], vlen) == JD_OK)
			continue;
		if (idx == 0)
			bad_seq = true;
		else
			bad = true;
	}
	if (seen != (1u << JD_AUDIT_NFIELDS) - 1)
		bad = true;
	/*
	 * An unreadable entry must still be counted, and never as valid: its
	 * tag is emptied.  An unreadable seq alone keeps the tag: seq 0 never
	 * recomputes to the stored chain, and verification puts the entry back
	 * in its place by its neighbours' links, so it is reported once, as
	 * modified.
	 */
	if (bad)
		e->tag[0] = '\0';
	return bad || bad_seq ? JD_E_INVALID : JD_OK;
}

/* ---- Chain, tag, key ------------------------------------------------------- */

int jd_audit_key(unsigned char out[32], const unsigned char master[32])
{
	if (out == NULL || master == NULL)
		return JD_E_INVALID;
	if (crypto_kdf_derive_from_key(out, HASH_BYTES, 1, "jdaudit_", master) != 0)
		return JD_ERR;
	return JD_OK;
}

/* chain = BLAKE2b-256(prev as 32 raw bytes || canonical(e)). */
static int compute_chain(const struct jd_audit_entry *e, unsigned char out[HASH_BYTES])
{
	unsigned char prev[HASH_BYTES], *canon = NULL;
	crypto_generichash_state st;
	size_t len = 0;
	int rc = hex32_decode(e->prev, prev);

	if (rc != JD_OK)
		return rc;
	rc = jd_audit_canonical(e, &canon, &len);
	if (rc != JD_OK)
		return rc;
	if (crypto_generichash_init(&st, NULL, 0, HASH_BYTES) != 0 ||
	    crypto_generichash_update(&st, prev, sizeof(prev)) != 0 ||
	    crypto_generichash_update(&st, canon, len) != 0 ||
	    crypto_generichash_final(&st, out, HASH_BYTES) != 0)
		rc = JD_ERR;
	free(canon);
	return rc;
}

/* tag = BLAKE2b-256 keyed with the audit key over the raw chain value. */
static int compute_tag(const unsigned char key[32], const unsigned char chain[HASH_BYTES],
		       unsigned char out[HASH_BYTES])
{
	if (crypto_generichash(out, HASH_BYTES, chain, HASH_BYTES, key, 32) != 0)
		return JD_ERR;
	return JD_OK;
}

int jd_audit_seal_entry(const unsigned char audit_key[32], struct jd_audit_entry *e)
{
	unsigned char chain[HASH_BYTES], tag[HASH_BYTES];
	int rc;

	if (audit_key == NULL || e == NULL || e->seq == 0 || e->seq > JD_AUDIT_SEQ_MAX)
		return JD_E_INVALID;
	rc = compute_chain(e, chain);
	if (rc != JD_OK)
		return rc;
	rc = compute_tag(audit_key, chain, tag);
	if (rc != JD_OK)
		return rc;
	sodium_bin2hex(e->chain, sizeof(e->chain), chain, sizeof(chain));
	sodium_bin2hex(e->tag, sizeof(e->tag), tag, sizeof(tag));
	return JD_OK;
}

/* ---- Checkpoints ----------------------------------------------------------- */

static bool tenant_ok(const char *t, size_t len)
{
	if (len == 0 || len > TENANT_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = t[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The signed message: a domain line, then the checkpoint's text before its signature. */
static int cp_message(const char *body, size_t len, char *msg, size_t size, size_t *msglen)
{
	size_t dlen = sizeof(CP_DOMAIN) - 1;

	if (len > size - dlen)
		return JD_E_INVALID;
	memcpy(msg, CP_DOMAIN, dlen);
	memcpy(msg + dlen, body, len);
	*msglen = dlen + len;
	return JD_OK;
}

int jd_audit_checkpoint(const unsigned char sign_sk[64], const char *tenant, uint64_t seq,
			const char *chain, long long when, char *out, size_t outlen)
{
	char body[JD_AUDIT_CP_LINE], msg[sizeof(CP_DOMAIN) + JD_AUDIT_CP_LINE];
	char b64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	unsigned char sig[crypto_sign_BYTES];
	size_t msglen = 0;
	int n;

	if (sign_sk == NULL || tenant == NULL || !tenant_ok(tenant, strlen(tenant)) || seq == 0 ||
	    seq > JD_AUDIT_SEQ_MAX || !hex32_ok(chain) || when < 0 || out == NULL || outlen == 0)
		return JD_E_INVALID;
	out[0] = '\0';
	n = snprintf(body, sizeof(body), CP_MAGIC " %s %" PRIu64 " %s %lld", tenant, seq, chain,
		     when);
	if (n < 0 || (size_t)n >= sizeof(body) ||
	    cp_message(body, (size_t)n, msg, sizeof(msg), &msglen) != JD_OK)
		return JD_E_INVALID;
	if (crypto_sign_detached(sig, NULL, (const unsigned char *)msg, msglen, sign_sk) != 0)
		return JD_ERR;
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, outlen, "%s %s", body, b64);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return JD_E_INVALID;
	}
	return JD_OK;
}

struct cp_fields {
	const char *tok[CP_TOKENS];
	size_t len[CP_TOKENS];
	uint64_t seq, when;
	unsigned char sig[crypto_sign_BYTES];
};

/* Splits on single spaces into exactly CP_TOKENS non-empty tokens. */
static int cp_split(const char *line, size_t len, struct cp_fields *f)
{
	size_t start = 0, k = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (i == start || k == CP_TOKENS)
			return JD_E_INVALID;
		f->tok[k] = line + start;
		f->len[k++] = i - start;
		start = i + 1;
	}
	return k == CP_TOKENS ? JD_OK : JD_E_INVALID;
}

static int cp_decode(const char *line, size_t len, struct cp_fields *f)
{
	size_t siglen = 0;
	const char *end = NULL;

	if (cp_split(line, len, f) != JD_OK || f->len[0] != strlen(CP_MAGIC) ||
	    memcmp(f->tok[0], CP_MAGIC, f->len[0]) != 0 || !tenant_ok(f->tok[1], f->len[1]) ||
	    parse_dec(f->tok[2], f->len[2], JD_AUDIT_SEQ_MAX, &f->seq) != JD_OK || f->seq == 0 ||
	    f->len[3] != 2 * HASH_BYTES || !hex_digits(f->tok[3], f->len[3]) ||
	    parse_dec(f->tok[4], f->len[4], INT64_MAX, &f->when) != JD_OK ||
	    f->len[5] != CP_SIG_B64)
		return JD_E_INVALID;
	if (sodium_base642bin(f->sig, sizeof(f->sig), f->tok[5], f->len[5], NULL, &siglen, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    siglen != sizeof(f->sig) || end != f->tok[5] + f->len[5])
		return JD_E_INVALID;
	return JD_OK;
}

int jd_audit_checkpoint_parse(const unsigned char sign_pk[32], const char *line, char *tenant,
			      size_t tenant_len, uint64_t *seq, char chain[JD_AUDIT_HEX],
			      long long *when)
{
	char msg[sizeof(CP_DOMAIN) + JD_AUDIT_CP_LINE];
	struct cp_fields f;
	size_t len, msglen = 0;

	if (sign_pk == NULL || line == NULL || tenant == NULL || seq == NULL || chain == NULL ||
	    when == NULL)
		return JD_E_INVALID;
	len = strnlen(line, JD_AUDIT_CP_LINE + 1);
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len >= JD_AUDIT_CP_LINE || cp_decode(line, len, &f) != JD_OK || f.len[1] >= tenant_len)
		return JD_E_INVALID;
	/* The signature covers everything before the space that precedes it. */
	if (cp_message(line, (size_t)(f.tok[5] - 1 - line), msg, sizeof(msg), &msglen) != JD_OK)
		return JD_E_INVALID;
	if (crypto_sign_verify_detached(f.sig, (const unsigned char *)msg, msglen, sign_pk) != 0)
		return JD_E_FORBIDDEN;
	memcpy(tenant, f.tok[1], f.len[1]);
	tenant[f.len[1]] = '\0';
	memcpy(chain, f.tok[3], 2 * HASH_BYTES);
	chain[2 * HASH_BYTES] = '\0';
	*seq = f.seq;
	*when = (long long)f.when;
	return JD_OK;
}

/* ---- Verification ------------------------------------------------------------
 *
 * Terms.  An entry's tag "verifies" when it is the keyed BLAKE2b of its
 * stored chain value: the chain value is then one jiandud issued (no one
 * without the audit key can make another).  An entry is
 *   FULL   when its tag verifies and its chain recomputes from its own prev
 *          and fields: jiandud wrote it exactly so;
 *   CHAIN  when its tag verifies but the chain does not recompute: jiandud
 *          issued the chain value, the fields or prev were edited since;
 *   NONE   when its tag does not verify (forged, or tag/chain edited).
 * A FULL or CHAIN entry's chain value is "trusted": the next entry's prev
 * may be checked against it.  seq and prev are inside the chain, so for
 * FULL entries both are authentic.
 *
 * Rules, applied in this order (the passes below follow them):
 *
 * E  Effective seq.  The stored seq, except for a CHAIN entry (its seq may
 *    be the edited field): when a FULL entry's prev names its chain value
 *    it is that entry's seq - 1; else when its prev names a FULL entry's
 *    chain value, that entry's seq + 1.  A seq of 0 or above
 *    JD_AUDIT_SEQ_MAX is INSERTED ("not a positive number").
 * D  Duplicates.  FULL and CHAIN entries claiming the same effective seq:
 *    one is kept, preferring an entry whose prev is the chain value of a
 *    FULL entry at seq - 1 (or zeros at seq 1), then FULL over CHAIN, then
 *    the earlier in the stream; the others are INSERTED (a copy or an
 *    authentic entry from another stream does not belong here).
 * O  Order.  Among the kept FULL and CHAIN entries, the longest run that is
 *    strictly increasing in seq, in stream order, stays in place; any other
 *    kept entry was moved: a FULL one is REORDERED.  Taking the longest such
 *    run names the fewest entries, so an entry moved k places is one report,
 *    and a swap of two neighbours is one report, not a deletion followed by
 *    a reordering.
 * M  Modified.  A kept CHAIN entry is MODIFIED (in place or not).  A NONE
 *    entry is MODIFIED when it fills a hole where it stands: no kept entry
 *    claims its seq, it is above the seq of the last entry placed before it
 *    in the stream (in-place FULL/CHAIN or MODIFIED NONE) and below that of
 *    the next in-place FULL/CHAIN entry, or, with none after it, it is that
 *    last seq + 1 and its prev is the last entry's trusted chain.
 *    Otherwise a NONE entry is INSERTED: its seq repeats or does not fit.
 * W  The walk.  All entries not INSERTED, by seq, keeping the next expected
 *    seq and the last trusted chain value.  A seq above the expected one
 *    is a gap: the missing range is one DELETED problem, found at the entry
 *    after it, and the walk resynchronises on that entry (it is not blamed:
 *    its own tag already vouched for it).  Otherwise a FULL entry whose
 *    prev is not the last trusted chain value does not belong to this
 *    chain: MODIFIED, and the walk resynchronises on the entry after it,
 *    so that one replaced entry is one report.  A MODIFIED entry's chain is
 *    trusted only if it is CHAIN (the value is jiandud's even if the fields
 *    are not), so an edited field never blames its successor.
 * C  Checkpoints.  An entry at a checkpoint's seq whose chain differs from
 *    the signed one is MODIFIED.  A checkpoint beyond the highest seq
 *    present means entries were cut from the end: head_behind_checkpoint,
 *    and the cut range is one DELETED problem.
 * A  Anchor.  The highest head jiandud itself wrote or saw (given by the
 *    caller, 0: none) is used like an unsigned checkpoint: an entry at its
 *    seq with another chain value is MODIFIED, and an anchor beyond the
 *    highest seq present means the tail was truncated after that seq:
 *    tail_truncated, and the cut range (up to the anchor or the last
 *    checkpoint, whichever is higher) is one DELETED problem.
 * U  Unsigned tail.  VALID entries above the last checkpoint's seq (all of
 *    them when there is none) become UNSIGNED: counted in "unsigned_tail",
 *    listed as ranges, still valid, not damage.
 * ok is true when nothing is MODIFIED, DELETED, INSERTED or REORDERED and
 * the head is not behind a checkpoint or the anchor.  "valid" counts VALID and UNSIGNED
 * entries.
 */

enum auth { AUTH_NONE, AUTH_CHAIN, AUTH_FULL };

/* Why an entry or range has its status; each selects a detail text. */
enum why {
	W_NONE,
	W_EDITED,
	W_SEQ_EDITED,
	W_BADTAG,
	W_DUP,
	W_FORGED,
	W_BADSEQ,
	W_ORDER,
	W_LINK,
	W_CHECKPOINT,
	W_GAP,
	W_TAIL,
	W_UNSIGNED,
	W_ANCHOR,
	W_TRUNCATED,
};

struct prob {
	uint64_t seq, last; /* the seqs it covers */
	uint64_t aux;	    /* a seq the detail names */
	size_t pos;	    /* the entry it names or was found at; NO_POS: none */
	unsigned char status, why;
};

struct hexref {
	const char *hex;
	size_t i;
};

struct slot {
	uint64_t seq;
	size_t i;
	unsigned char links, rank;
};

struct vrf {
	const unsigned char *key;
	const struct jd_audit_entry *e;
	const char *const *ids;
	size_t n;
	unsigned char *auth, *st, *why, *lis;
	uint64_t *eseq, *aux;
	struct hexref *by_prev, *by_chain; /* FULL entries */
	size_t n_full;
	struct slot *kept; /* kept FULL/CHAIN entries by seq (rule D) */
	size_t n_kept;
	struct slot *order; /* entries not INSERTED, by seq (rule W) */
	size_t n_order;
	struct prob *p;
	size_t np, cap;
	const uint64_t *cp_seq;
	const char *const *cp_chain;
	size_t n_cp;
	uint64_t last_cp, max_seq, unsigned_tail;
	bool head_behind;
	uint64_t anchor_seq; /* rule A; 0: none */
	const char *anchor_chain;
	bool tail_cut;
};

static int add_prob(struct vrf *v, struct prob pr)
{
	if (v->np == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;
		struct prob *p = realloc(v->p, cap * sizeof(*p));

		if (p == NULL)
			return JD_E_NOMEM;
		v->p = p;
		v->cap = cap;
	}
	v->p[v->np++] = pr;
	return JD_OK;
}

static void mark(struct vrf *v, size_t i, enum jd_audit_status st, enum why why, uint64_t aux)
{
	v->st[i] = (unsigned char)st;
	v->why[i] = (unsigned char)why;
	v->aux[i] = aux;
}

static int entry_auth(const unsigned char key[32], const struct jd_audit_entry *e,
		      unsigned char *out)
{
	unsigned char chain[HASH_BYTES], tag[HASH_BYTES], want[HASH_BYTES], calc[HASH_BYTES];
	int rc;

	*out = AUTH_NONE;
	if (hex32_decode(e->chain, chain) != JD_OK || hex32_decode(e->tag, tag) != JD_OK)
		return JD_OK;
	rc = compute_tag(key, chain, want);
	if (rc != JD_OK)
		return rc;
	if (crypto_verify_32(want, tag) != 0)
		return JD_OK;
	*out = AUTH_CHAIN;
	rc = compute_chain(e, calc);
	if (rc == JD_E_INVALID) /* prev or a field unreadable: edited */
		return JD_OK;
	if (rc != JD_OK)
		return rc;
	if (memcmp(calc, chain, HASH_BYTES) == 0)
		*out = AUTH_FULL;
	return JD_OK;
}

static int hexref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hexref *)a)->hex, ((const struct hexref *)b)->hex);
}

/* A FULL entry whose indexed value (prev or chain) is hex, or NO_POS. */
static size_t find_hex(const struct hexref *idx, size_t n, const char *hex)
{
	struct hexref key = {.hex = hex, .i = 0};
	const struct hexref *r;

	if (n == 0 || !hex32_ok(hex))
		return NO_POS;
	r = bsearch(&key, idx, n, sizeof(*idx), hexref_cmp);
	return r ? r->i : NO_POS;
}

static int index_full(struct vrf *v)
{
	v->by_prev = malloc((v->n ? v->n : 1) * sizeof(*v->by_prev));
	v->by_chain = malloc((v->n ? v->n : 1) * sizeof(*v->by_chain));
	if (v->by_prev == NULL || v->by_chain == NULL)
		return JD_E_NOMEM;
	for (size_t i = 0; i < v->n; i++) {
		if (v->auth[i] != AUTH_FULL)
			continue;
		v->by_prev[v->n_full] = (struct hexref){.hex = v->e[i].prev, .i = i};
		v->by_chain[v->n_full++] = (struct hexref){.hex = v->e[i].chain, .i = i};
	}
	qsort(v->by_prev, v->n_full, sizeof(*v->by_prev), hexref_cmp);
	qsort(v->by_chain, v->n_full, sizeof(*v->by_chain), hexref_cmp);
	return JD_OK;
}

/* Rule E for a CHAIN entry: its seq from its neighbours' links when they have one. */
static uint64_t linked_seq(const struct vrf *v, size_t i)
{
	size_t j = find_hex(v->by_prev, v->n_full, v->e[i].chain);

	if (j != NO_POS && v->e[j].seq >= 2)
		return v->e[j].seq - 1;
	j = find_hex(v->by_chain, v->n_full, v->e[i].prev);
	if (j != NO_POS && v->e[j].seq < JD_AUDIT_SEQ_MAX)
		return v->e[j].seq + 1;
	return v->e[i].seq;
}

static int classify(struct vrf *v)
{
	int rc;

	for (size_t i = 0; i < v->n; i++) {
		rc = entry_auth(v->key, &v->e[i], &v->auth[i]);
		if (rc != JD_OK)
			return rc;
	}
	rc = index_full(v);
	if (rc != JD_OK)
		return rc;
	for (size_t i = 0; i < v->n; i++) {
		v->eseq[i] = v->auth[i] == AUTH_CHAIN ? linked_seq(v, i) : v->e[i].seq;
		mark(v, i, JD_AUDIT_VALID, W_NONE, 0);
		if (v->eseq[i] == 0 || v->eseq[i] > JD_AUDIT_SEQ_MAX) {
			v->eseq[i] = 0;
			mark(v, i, JD_AUDIT_INSERTED, W_BADSEQ, 0);
		}
	}
	return JD_OK;
}

/* Whether entry i's prev is the chain value of a FULL entry at seq - 1 (zeros at seq 1). */
static bool links_back(const struct vrf *v, size_t i)
{
	size_t j;

	if (v->eseq[i] == 1)
		return strcmp(v->e[i].prev, ZERO_CHAIN) == 0;
	j = find_hex(v->by_chain, v->n_full, v->e[i].prev);
	return j != NO_POS && v->e[j].seq == v->eseq[i] - 1;
}

static int slot_claim_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->links != y->links)
		return x->links > y->links ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return x->i < y->i ? -1 : (x->i > y->i);
}

/* Rule D: one FULL/CHAIN entry per seq; rule M's first half: kept CHAIN entries are MODIFIED. */
static int resolve_duplicates(struct vrf *v)
{
	size_t m = 0;

	v->kept = malloc((v->n ? v->n : 1) * sizeof(*v->kept));
	if (v->kept == NULL)
		return JD_E_NOMEM;
	for (size_t i = 0; i < v->n; i++)
		if (v->auth[i] != AUTH_NONE && v->st[i] != JD_AUDIT_INSERTED)
			v->kept[m++] = (struct slot){.seq = v->eseq[i],
						     .i = i,
						     .links = links_back(v, i),
						     .rank = v->auth[i]};
	qsort(v->kept, m, sizeof(*v->kept), slot_claim_cmp);
	for (size_t k = 0; k < m; k++) {
		size_t i = v->kept[k].i;

		if (v->n_kept > 0 && v->kept[v->n_kept - 1].seq == v->kept[k].seq) {
			mark(v, i, JD_AUDIT_INSERTED, W_DUP, 0);
			continue;
		}
		if (v->auth[i] == AUTH_CHAIN)
			mark(v, i, JD_AUDIT_MODIFIED,
			     v->eseq[i] != v->e[i].seq ? W_SEQ_EDITED : W_EDITED, 0);
		v->kept[v->n_kept++] = v->kept[k];
	}
	return JD_OK;
}

static bool is_kept(const struct vrf *v, size_t i)
{
	return v->auth[i] != AUTH_NONE && v->st[i] != JD_AUDIT_INSERTED;
}

/* Rule O: marks the longest strictly increasing run (by seq, in stream order) of kept entries. */
static int longest_run(struct vrf *v)
{
	size_t *tail = malloc((v->n ? v->n : 1) * sizeof(*tail));
	size_t *pred = malloc((v->n ? v->n : 1) * sizeof(*pred));
	size_t len = 0;
	int rc = JD_E_NOMEM;

	if (tail == NULL || pred == NULL)
		goto cleanup;
	for (size_t i = 0; i < v->n; i++) {
		size_t lo = 0, hi = len;

		if (!is_kept(v, i))
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (v->eseq[tail[mid]] < v->eseq[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		pred[i] = lo > 0 ? tail[lo - 1] : NO_POS;
		tail[lo] = i;
		if (lo == len)
			len++;
	}
	for (size_t i = len ? tail[len - 1] : NO_POS; i != NO_POS; i = pred[i])
		v->lis[i] = 1;
	rc = JD_OK;
cleanup:
	free(tail);
	free(pred);
	return rc;
}

static bool claimed(const struct vrf *v, uint64_t seq)
{
	size_t lo = 0, hi = v->n_kept;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->kept[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n_kept && v->kept[lo].seq == seq;
}

/* The trusted chain value before the entry at pos (zeros at the start), or NULL. */
static const char *trusted_chain(const struct vrf *v, size_t pos)
{
	if (pos == NO_POS)
		return ZERO_CHAIN;
	if (v->auth[pos] == AUTH_NONE || v->why[pos] == W_LINK)
		return NULL;
	return v->e[pos].chain;
}

/* Rule M for a NONE entry i between placed entry pred and in-place entry succ. */
static bool fills_hole(const struct vrf *v, size_t i, size_t pred, size_t succ)
{
	uint64_t s = v->eseq[i], ps = pred == NO_POS ? 0 : v->eseq[pred];
	const char *chain;

	if (s <= ps)
		return false;
	if (succ != NO_POS)
		return s < v->eseq[succ];
	if (s != ps + 1)
		return false;
	chain = trusted_chain(v, pred);
	return chain == NULL || strcmp(v->e[i].prev, chain) == 0;
}

/* Rules O and M over the stream: REORDERED kept entries, MODIFIED or INSERTED NONE entries. */
static int place(struct vrf *v)
{
	size_t *next = malloc((v->n ? v->n : 1) * sizeof(*next));
	size_t pred = NO_POS, succ = NO_POS;

	if (next == NULL)
		return JD_E_NOMEM;
	for (size_t i = v->n; i-- > 0;) {
		next[i] = succ;
		if (v->lis[i])
			succ = i;
	}
	for (size_t i = 0; i < v->n; i++) {
		uint64_t after = pred == NO_POS ? 0 : v->eseq[pred];

		if (v->lis[i]) {
			pred = i;
		} else if (is_kept(v, i)) {
			if (v->auth[i] == AUTH_FULL)
				mark(v, i, JD_AUDIT_REORDERED, W_ORDER, after);
		} else if (v->st[i] != JD_AUDIT_INSERTED) {
			if (claimed(v, v->eseq[i]))
				mark(v, i, JD_AUDIT_INSERTED, W_DUP, 0);
			else if (!fills_hole(v, i, pred, next[i]))
				mark(v, i, JD_AUDIT_INSERTED, W_FORGED, after);
			else {
				mark(v, i, JD_AUDIT_MODIFIED, W_BADTAG, 0);
				pred = i;
			}
		}
	}
	free(next);
	return JD_OK;
}

static int slot_seq_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static int build_order(struct vrf *v)
{
	v->order = malloc((v->n ? v->n : 1) * sizeof(*v->order));
	if (v->order == NULL)
		return JD_E_NOMEM;
	for (size_t i = 0; i < v->n; i++)
		if (v->st[i] != JD_AUDIT_INSERTED)
			v->order[v->n_order++] = (struct slot){.seq = v->eseq[i], .i = i};
	qsort(v->order, v->n_order, sizeof(*v->order), slot_seq_cmp);
	return JD_OK;
}

/* Rule W. */
static int walk(struct vrf *v)
{
	uint64_t expect = 1;
	const char *last = ZERO_CHAIN;

	for (size_t k = 0; k < v->n_order; k++) {
		size_t i = v->order[k].i;
		uint64_t s = v->order[k].seq;

		if (s > expect) {
			struct prob pr = {.seq = expect,
					  .last = s - 1,
					  .aux = s,
					  .pos = i,
					  .status = JD_AUDIT_DELETED,
					  .why = W_GAP};

			if (add_prob(v, pr) != JD_OK)
				return JD_E_NOMEM;
			last = NULL;
		}
		if (last != NULL && v->auth[i] == AUTH_FULL &&
		    (v->st[i] == JD_AUDIT_VALID || v->st[i] == JD_AUDIT_REORDERED) &&
		    strcmp(v->e[i].prev, last) != 0)
			mark(v, i, JD_AUDIT_MODIFIED, W_LINK, s - 1);
		last = trusted_chain(v, i);
		expect = s + 1;
	}
	v->max_seq = expect - 1;
	return JD_OK;
}

static const struct slot *slot_at(const struct vrf *v, uint64_t seq)
{
	struct slot key = {.seq = seq};

	if (v->n_order == 0)
		return NULL;
	return bsearch(&key, v->order, v->n_order, sizeof(*v->order), slot_seq_cmp);
}

/* Rule A, and the cut end of rules C and A as one problem. */
static int check_anchor(struct vrf *v)
{
	const struct slot *sl = v->anchor_seq ? slot_at(v, v->anchor_seq) : NULL;
	uint64_t top = v->last_cp > v->anchor_seq ? v->last_cp : v->anchor_seq;
	struct prob pr = {.seq = v->max_seq + 1,
			  .last = top,
			  .aux = v->max_seq,
			  .pos = NO_POS,
			  .status = JD_AUDIT_DELETED,
			  .why = W_TAIL};

	if (sl != NULL && v->anchor_chain != NULL &&
	    strcmp(v->e[sl->i].chain, v->anchor_chain) != 0 &&
	    (v->st[sl->i] == JD_AUDIT_VALID || v->st[sl->i] == JD_AUDIT_REORDERED))
		mark(v, sl->i, JD_AUDIT_MODIFIED, W_ANCHOR, v->anchor_seq);
	if (top <= v->max_seq)
		return JD_OK;
	v->head_behind = v->last_cp > v->max_seq;
	v->tail_cut = v->anchor_seq > v->max_seq;
	if (v->tail_cut)
		pr.why = W_TRUNCATED;
	return add_prob(v, pr);
}

/* Rule C. */
static int check_checkpoints(struct vrf *v)
{
	for (size_t c = 0; c < v->n_cp; c++) {
		const struct slot *sl = slot_at(v, v->cp_seq[c]);

		if (v->cp_seq[c] > v->last_cp)
			v->last_cp = v->cp_seq[c];
		if (sl == NULL || v->cp_chain[c] == NULL)
			continue;
		if (strcmp(v->e[sl->i].chain, v->cp_chain[c]) != 0 &&
		    (v->st[sl->i] == JD_AUDIT_VALID || v->st[sl->i] == JD_AUDIT_REORDERED))
			mark(v, sl->i, JD_AUDIT_MODIFIED, W_CHECKPOINT, v->cp_seq[c]);
	}
	return check_anchor(v);
}

/* Rule U: VALID entries past the last checkpoint, listed as runs of consecutive seqs. */
static int mark_unsigned(struct vrf *v)
{
	struct prob run = {.pos = NO_POS};

	for (size_t k = 0; k < v->n_order; k++) {
		size_t i = v->order[k].i;
		uint64_t s = v->order[k].seq;

		if (s <= v->last_cp || v->st[i] != JD_AUDIT_VALID)
			continue;
		mark(v, i, JD_AUDIT_UNSIGNED, W_UNSIGNED, v->last_cp);
		v->unsigned_tail++;
		if (run.pos != NO_POS && run.last + 1 == s) {
			run.last = s;
			continue;
		}
		if (run.pos != NO_POS && add_prob(v, run) != JD_OK)
			return JD_E_NOMEM;
		run = (struct prob){.seq = s,
				    .last = s,
				    .aux = v->last_cp,
				    .pos = i,
				    .status = JD_AUDIT_UNSIGNED,
				    .why = W_UNSIGNED};
	}
	return run.pos != NO_POS ? add_prob(v, run) : JD_OK;
}

/* ---- The report -------------------------------------------------------------- */

static json_int_t jint(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
}

static void range_text(char *buf, size_t size, uint64_t a, uint64_t b)
{
	if (a == b)
		snprintf(buf, size, "entry %" PRIu64, a);
	else
		snprintf(buf, size, "entries %" PRIu64 "-%" PRIu64, a, b);
}

static void detail_text(const struct vrf *v, const struct prob *p, char *buf, size_t size)
{
	char r[64];
	uint64_t stored = p->pos != NO_POS ? v->e[p->pos].seq : 0;

	range_text(r, sizeof(r), p->seq, p->last);
	switch ((enum why)p->why) {
	case W_EDITED:
		snprintf(buf, size, "fields do not match the chain value: the entry was edited");
		break;
	case W_SEQ_EDITED:
		snprintf(buf, size, "seq changed (stored %" PRIu64 "): the entry was edited",
			 stored);
		break;
	case W_BADTAG:
		snprintf(buf, size,
			 "tag does not verify under the audit key: the entry was altered");
		break;
	case W_DUP:
		snprintf(buf, size, "seq appears more than once: this copy does not belong");
		break;
	case W_FORGED:
		snprintf(buf, size,
			 "tag does not verify and the seq does not fit after seq %" PRIu64, p->aux);
		break;
	case W_BADSEQ:
		snprintf(buf, size, "seq is not a positive number");
		break;
	case W_ORDER:
		snprintf(buf, size, "out of stream order: found after seq %" PRIu64, p->aux);
		break;
	case W_LINK:
		snprintf(buf, size, "prev is not the chain value of entry %" PRIu64 ": replaced",
			 p->aux);
		break;
	case W_CHECKPOINT:
		snprintf(buf, size, "chain differs from the signed checkpoint at seq %" PRIu64,
			 p->aux);
		break;
	case W_GAP:
		snprintf(buf, size, "%s missing before seq %" PRIu64, r, p->aux);
		break;
	case W_TAIL:
		snprintf(buf, size,
			 "%s missing: the head (seq %" PRIu64 ") is behind the checkpoint", r,
			 p->aux);
		break;
	case W_ANCHOR:
		snprintf(buf, size,
			 "chain differs from the head jiandud saw at seq %" PRIu64 ": replaced",
			 p->aux);
		break;
	case W_TRUNCATED:
		snprintf(buf, size,
			 "tail truncated after seq %" PRIu64 ": %s missing (jiandud saw the head "
			 "at seq %" PRIu64 ")",
			 p->aux, r, v->anchor_seq);
		break;
	case W_UNSIGNED:
		snprintf(buf, size,
			 "%s after the last checkpoint (seq %" PRIu64 "): not yet signed", r,
			 p->aux);
		break;
	case W_NONE:
	default:
		snprintf(buf, size, "valid");
		break;
	}
}

static int prob_cmp(const void *a, const void *b)
{
	const struct prob *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

/* Adds a problem for every entry whose own status is damage. */
static int entry_probs(struct vrf *v)
{
	for (size_t i = 0; i < v->n; i++) {
		enum jd_audit_status st = (enum jd_audit_status)v->st[i];
		struct prob pr = {.seq = v->eseq[i],
				  .last = v->eseq[i],
				  .aux = v->aux[i],
				  .pos = i,
				  .status = v->st[i],
				  .why = v->why[i]};

		if (st == JD_AUDIT_VALID || st == JD_AUDIT_UNSIGNED)
			continue;
		if (add_prob(v, pr) != JD_OK)
			return JD_E_NOMEM;
	}
	return JD_OK;
}

static json_t *prob_json(const struct vrf *v, const struct prob *p)
{
	char detail[DETAIL_MAX];
	const char *id = (p->pos != NO_POS && v->ids != NULL) ? v->ids[p->pos] : NULL;
	const char *name = jd_audit_status_name((enum jd_audit_status)p->status);

	detail_text(v, p, detail, sizeof(detail));
	if (p->status == JD_AUDIT_DELETED || p->status == JD_AUDIT_UNSIGNED)
		return json_pack("{s:I, s:I, s:s?, s:s, s:s}", "seq", jint(p->seq), "last",
				 jint(p->last), "id", id, "status", name, "detail", detail);
	return json_pack("{s:I, s:s?, s:s, s:s}", "seq", jint(p->seq), "id", id, "status", name,
			 "detail", detail);
}

struct tally {
	uint64_t valid, count[JD_AUDIT_UNSIGNED + 1];
	bool ok;
};

static void tally(const struct vrf *v, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < v->n; i++)
		if (v->st[i] == JD_AUDIT_VALID || v->st[i] == JD_AUDIT_UNSIGNED)
			t->valid++;
	for (size_t k = 0; k < v->np; k++)
		t->count[v->p[k].status] += v->p[k].last - v->p[k].seq + 1;
	t->ok = !v->head_behind && !v->tail_cut;
	for (int s = JD_AUDIT_MODIFIED; s <= JD_AUDIT_REORDERED; s++)
		if (t->count[s] > 0)
			t->ok = false;
}

static void summary_text(const struct vrf *v, const struct tally *t, char *buf, size_t size)
{
	size_t len;

	snprintf(buf, size, "%" PRIu64 "/%zu entries valid", t->valid, v->n);
	for (int s = JD_AUDIT_MODIFIED; s <= JD_AUDIT_UNSIGNED; s++) {
		len = strlen(buf);
		if (t->count[s] > 0)
			snprintf(buf + len, size - len, ", %" PRIu64 " %s", t->count[s],
				 jd_audit_status_name((enum jd_audit_status)s));
	}
	len = strlen(buf);
	if (v->tail_cut)
		snprintf(buf + len, size - len, ", tail truncated after seq %" PRIu64, v->max_seq);
	else if (v->head_behind)
		snprintf(buf + len, size - len, ", head behind the checkpoint at seq %" PRIu64,
			 v->last_cp);
}

static json_t *report(const struct vrf *v)
{
	json_t *out = NULL, *probs = json_array();
	struct tally t;
	char summary[DETAIL_MAX];

	if (probs == NULL)
		return NULL;
	for (size_t k = 0; k < v->np; k++)
		if (json_array_append_new(probs, prob_json(v, &v->p[k])) != 0)
			goto cleanup;
	tally(v, &t);
	summary_text(v, &t, summary, sizeof(summary));
	out = json_pack("{s:I, s:I, s:O, s:I, s:I, s:I, s:b, s:I, s:b, s:b, s:s}", "entries",
			jint(v->n), "valid", jint(t.valid), "problems", probs, "checkpoints",
			jint(v->n_cp), "last_checkpoint", jint(v->last_cp), "unsigned_tail",
			jint(v->unsigned_tail), "head_behind_checkpoint", v->head_behind, "anchor",
			jint(v->anchor_seq), "tail_truncated", v->tail_cut, "ok", t.ok, "summary",
			summary);
cleanup:
	json_decref(probs);
	return out;
}

static void vrf_free(struct vrf *v)
{
	free(v->auth);
	free(v->st);
	free(v->why);
	free(v->lis);
	free(v->eseq);
	free(v->aux);
	free(v->by_prev);
	free(v->by_chain);
	free(v->kept);
	free(v->order);
	free(v->p);
}

static int vrf_alloc(struct vrf *v)
{
	size_t n = v->n ? v->n : 1;

	v->auth = calloc(n, 1);
	v->st = calloc(n, 1);
	v->why = calloc(n, 1);
	v->lis = calloc(n, 1);
	v->eseq = calloc(n, sizeof(*v->eseq));
	v->aux = calloc(n, sizeof(*v->aux));
	if (!v->auth || !v->st || !v->why || !v->lis || !v->eseq || !v->aux)
		return JD_E_NOMEM;
	return JD_OK;
}

static int run_rules(struct vrf *v)
{
	int (*const pass[])(struct vrf *) = {
	    vrf_alloc,	 classify, resolve_duplicates, longest_run,   place,
	    build_order, walk,	   check_checkpoints,  mark_unsigned, entry_probs,
	};

	for (size_t k = 0; k < sizeof(pass) / sizeof(pass[0]); k++) {
		int rc = pass[k](v);

		if (rc != JD_OK)
			return rc;
	}
	if (v->np > 0) /* v->p is NULL until the first problem */
		qsort(v->p, v->np, sizeof(*v->p), prob_cmp);
	return JD_OK;
}

json_t *jd_audit_verify(const unsigned char audit_key[32], const struct jd_audit_entry *entries,
			size_t n, const char *const *entry_ids, const uint64_t *cp_seq,
			const char *const *cp_chain, size_t n_cp)
{
	return jd_audit_verify_anchored(audit_key, entries, n, entry_ids, cp_seq, cp_chain, n_cp, 0,
					NULL);
}

json_t *jd_audit_verify_anchored(const unsigned char audit_key[32],
				 const struct jd_audit_entry *entries, size_t n,
				 const char *const *entry_ids, const uint64_t *cp_seq,
				 const char *const *cp_chain, size_t n_cp, uint64_t anchor_seq,
				 const char *anchor_chain)
{
	struct vrf v = {.key = audit_key,
			.e = entries,
			.ids = entry_ids,
			.n = n,
			.cp_seq = cp_seq,
			.cp_chain = cp_chain,
			.n_cp = n_cp,
			.anchor_seq = anchor_seq,
			.anchor_chain = anchor_chain};
	json_t *out = NULL;

	if (audit_key == NULL || (n > 0 && entries == NULL) ||
	    (n_cp > 0 && (cp_seq == NULL || cp_chain == NULL)))
		return NULL;
	if (run_rules(&v) == JD_OK)
		out = report(&v);
	vrf_free(&v);
	return out;
}

const char *jd_audit_status_name(enum jd_audit_status s)
{
	switch (s) {
	case JD_AUDIT_VALID:
		return "valid";
	case JD_AUDIT_MODIFIED:
		return "modified";
	case JD_AUDIT_DELETED:
		return "deleted";
	case JD_AUDIT_INSERTED:
		return "inserted";
	case JD_AUDIT_REORDERED:
		return "reordered";
	case JD_AUDIT_UNSIGNED:
		return "unsigned";
	}
	return "unknown";
}
