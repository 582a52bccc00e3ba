/*
 * The audit trail: known answers for the key, the canonical encoding, the
 * chain and the tag; checkpoints; and each kind of tamper on a chain of 20
 * entries named as what it is, once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "audit/audit.h"

#define N_ENTRIES 20
#define MAX_WORK  32
#define DIGEST	  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define ZEROS	  "0000000000000000000000000000000000000000000000000000000000000000"

/*
 * Known answers, computed once with Python 3.11's hashlib (not with
 * libsodium) by /tmp/jda/kat.py, reproduced here:
 *   master = bytes(range(32))
 *   audit_key = blake2b(b'', key=master, digest_size=32,
 *                       salt=(1).to_bytes(8, 'little') + bytes(8),
 *                       person=b'jdaudit_' + bytes(8))
 *   (libsodium 1.0.18's crypto_kdf_derive_from_key is exactly this:
 *    src/libsodium/crypto_kdf/blake2b/kdf_blake2b.c, empty input, key =
 *    master, salt = LE64(subkey_id) || 8 zero bytes, personal = ctx || 8
 *    zero bytes)
 *   canon = b'jd-audit-v1' + b''.join(struct.pack('>I', len(f)) + f for f in
 *           the ten fields of entry 1 below, seq as b'1')
 *   chain1 = blake2b(bytes(32) + canon, digest_size=32)
 *   tag1 = blake2b(chain1, key=audit_key, digest_size=32)
 */
#define KAT_AUDIT_KEY "eb3036216514f055689cd5b2e579be73f653af4178d10bbb60494f47148f9b06"
#define KAT_CANON_LEN 193
#define KAT_CHAIN1    "ad80697a129b8f6d2414be5440fdf77e757fe4b8a635ea0eb11540518f3338f3"
#define KAT_TAG1      "5251e6073ea3d397a3fa250f708f407e36bebe914f08cb4a590ee48db1f43b19"
/*
 * And a checkpoint line, signed by the same script with the cryptography
 * package (OpenSSL's Ed25519, deterministic per RFC 8032): private key
 * from the seed 32 bytes of 0x07, message b"jd-audit-cp-v1\n" + the line
 * up to the space before the signature, signature in padded base64.
 */
#define KAT_CP_LINE                                                                                \
	"cp1 city-01_x 1 " KAT_CHAIN1 " 1714550400 "                                               \
	"1EmOUn/M9QbYpGtLdmBr3D94BnECmdDP/5gv1kX/AqQPysTl2Kcw4vQvJIYxdf/DK6zWUxxeX9mBQCBGWM7wDA=="

/* The fixture: a chain of N_ENTRIES sealed entries; tests work on copies. */
static unsigned char audit_key[32];
static struct jd_audit_entry chain[N_ENTRIES + 1];
static char times[N_ENTRIES + 1][32], targets[N_ENTRIES + 1][16], reqs[N_ENTRIES + 1][16];
static char ids[N_ENTRIES + 2][24];

struct work {
	struct jd_audit_entry e[MAX_WORK];
	const char *id[MAX_WORK];
	size_t n;
};

static void fill_entry(struct jd_audit_entry *e, uint64_t seq)
{
	memset(e, 0, sizeof(*e));
	snprintf(times[seq], sizeof(times[seq]), "2024-05-01T08:00:%02" PRIu64 ".000Z", seq);
	snprintf(targets[seq], sizeof(targets[seq]), "note:%" PRIu64, seq);
	snprintf(reqs[seq], sizeof(reqs[seq]), "req-%04" PRIu64, seq);
	e->seq = seq;
	e->time = times[seq];
	e->actor = "alice";
	e->cred = "cert";
	e->source = "192.0.2.7";
	e->action = "example.note.create";
	e->target = targets[seq];
	e->req = reqs[seq];
	e->outcome = "ok";
	e->digest = DIGEST;
}

static int setup(void **state)
{
	unsigned char master[32];

	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		master[i] = (unsigned char)i;
	if (jd_audit_key(audit_key, master) != JD_OK)
		return -1;
	for (uint64_t s = 1; s <= N_ENTRIES; s++) {
		fill_entry(&chain[s], s);
		snprintf(chain[s].prev, JD_AUDIT_HEX, "%s", s == 1 ? ZEROS : chain[s - 1].chain);
		if (jd_audit_seal_entry(audit_key, &chain[s]) != JD_OK)
			return -1;
		snprintf(ids[s], sizeof(ids[s]), "1714550400000-%" PRIu64, s);
	}
	snprintf(ids[N_ENTRIES + 1], sizeof(ids[0]), "forged-0");
	return 0;
}

/* A fresh copy of the chain: w->e[k] is seq k + 1. */
static void fresh(struct work *w)
{
	w->n = N_ENTRIES;
	for (size_t k = 0; k < N_ENTRIES; k++) {
		w->e[k] = chain[k + 1];
		w->id[k] = ids[k + 1];
	}
}

static void remove_at(struct work *w, size_t k)
{
	memmove(&w->e[k], &w->e[k + 1], (w->n - k - 1) * sizeof(w->e[0]));
	memmove(&w->id[k], &w->id[k + 1], (w->n - k - 1) * sizeof(w->id[0]));
	w->n--;
}

static void insert_at(struct work *w, size_t k, const struct jd_audit_entry *e, const char *id)
{
	assert_true(w->n < MAX_WORK);
	memmove(&w->e[k + 1], &w->e[k], (w->n - k) * sizeof(w->e[0]));
	memmove(&w->id[k + 1], &w->id[k], (w->n - k) * sizeof(w->id[0]));
	w->e[k] = *e;
	w->id[k] = id;
	w->n++;
}

/* Moves the entry at stream position from to position to (after removing it). */
static void move(struct work *w, size_t from, size_t to)
{
	struct jd_audit_entry e = w->e[from];
	const char *id = w->id[from];

	remove_at(w, from);
	insert_at(w, to, &e, id);
}

static json_t *verify_cp(const struct work *w, uint64_t cp_seq, const char *cp_chain)
{
	const char *cps[1] = {cp_chain};
	json_t *r = jd_audit_verify(audit_key, w->e, w->n, w->id, &cp_seq, cps, cp_chain ? 1 : 0);

	assert_non_null(r);
	return r;
}

/* Verifies against a checkpoint at seq 20 (so nothing is an unsigned tail). */
static json_t *verify(const struct work *w)
{
	return verify_cp(w, N_ENTRIES, chain[N_ENTRIES].chain);
}

/* "seq:status" per problem, "seq-last:status" for ranges, comma-separated. */
static const char *problems(json_t *r)
{
	static char buf[1024];
	json_t *p;
	size_t k, len = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(r, "problems"), k, p)
	{
		json_t *last = json_object_get(p, "last");
		long long seq = json_integer_value(json_object_get(p, "seq"));
		const char *st = json_string_value(json_object_get(p, "status"));

		assert_non_null(st);
		assert_non_null(json_string_value(json_object_get(p, "detail")));
		if (last != NULL)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%lld-%lld:%s",
						k ? "," : "", seq, json_integer_value(last), st);
		else
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%lld:%s",
						k ? "," : "", seq, st);
		assert_true(len < sizeof(buf));
	}
	return buf;
}

static void assert_report(json_t *r, int ok, long long valid, long long entries)
{
	assert_int_equal(json_is_true(json_object_get(r, "ok")), ok);
	assert_int_equal(json_integer_value(json_object_get(r, "valid")), valid);
	assert_int_equal(json_integer_value(json_object_get(r, "entries")), entries);
}

static const char *problem_field(json_t *r, size_t k, const char *key)
{
	return json_string_value(
	    json_object_get(json_array_get(json_object_get(r, "problems"), k), key));
}

/* ---- Known answers ------------------------------------------------------- */

static void test_key_kat(void **state)
{
	char hex[JD_AUDIT_HEX];

	sodium_bin2hex(hex, sizeof(hex), audit_key, sizeof(audit_key));
	assert_string_equal(hex, KAT_AUDIT_KEY);
	assert_int_equal(jd_audit_key(NULL, audit_key), JD_E_INVALID);
}

static void test_chain_kat(void **state)
{
	struct jd_audit_entry e;
	unsigned char *canon = NULL;
	size_t len = 0;

	fill_entry(&e, 1);
	assert_int_equal(jd_audit_canonical(&e, &canon, &len), JD_OK);
	assert_int_equal(len, KAT_CANON_LEN);
	/* domain, then seq "1" as length 00000001 and '1' */
	assert_memory_equal(canon, "jd-audit-v1\0\0\0\0011", 16);
	free(canon);
	snprintf(e.prev, sizeof(e.prev), "%s", ZEROS);
	assert_int_equal(jd_audit_seal_entry(audit_key, &e), JD_OK);
	assert_string_equal(e.chain, KAT_CHAIN1);
	assert_string_equal(e.tag, KAT_TAG1);
	assert_string_equal(chain[1].chain, KAT_CHAIN1);
}

static void test_canonical_fields(void **state)
{
	struct jd_audit_entry a, b;
	unsigned char *ca = NULL, *cb = NULL;
	size_t la = 0, lb = 0;

	/* NULL and "" encode alike; moving a character between fields does not. */
	fill_entry(&a, 3);
	b = a;
	a.req = NULL;
	b.req = "";
	assert_int_equal(jd_audit_canonical(&a, &ca, &la), JD_OK);
	assert_int_equal(jd_audit_canonical(&b, &cb, &lb), JD_OK);
	assert_int_equal(la, lb);
	assert_memory_equal(ca, cb, la);
	free(cb);
	b.actor = "alic";
	b.cred = "ecert";
	assert_int_equal(jd_audit_canonical(&b, &cb, &lb), JD_OK);
	assert_int_equal(la, lb);
	assert_memory_not_equal(ca, cb, la);
	free(ca);
	free(cb);
}

static void test_seal_rejects(void **state)
{
	struct jd_audit_entry e;

	fill_entry(&e, 1);
	snprintf(e.prev, sizeof(e.prev), "%s", "not hex");
	assert_int_equal(jd_audit_seal_entry(audit_key, &e), JD_E_INVALID);
	snprintf(e.prev, sizeof(e.prev), "%s", ZEROS);
	e.prev[0] = 'A'; /* upper case is not the stored form */
	assert_int_equal(jd_audit_seal_entry(audit_key, &e), JD_E_INVALID);
	snprintf(e.prev, sizeof(e.prev), "%s", ZEROS);
	e.seq = 0;
	assert_int_equal(jd_audit_seal_entry(audit_key, &e), JD_E_INVALID);
}

/* ---- Stream fields ----------------------------------------------------------- */

static void test_fields_round_trip(void **state)
{
	const char *fv[2 * JD_AUDIT_NFIELDS];
	char seq[JD_AUDIT_SEQ_TXT];
	struct jd_audit_entry e;
	struct work w;

	assert_int_equal(jd_audit_entry_to_fields(&chain[7], seq, fv), 2 * JD_AUDIT_NFIELDS);
	assert_string_equal(fv[0], "seq");
	assert_string_equal(fv[1], "7");
	assert_string_equal(fv[25], chain[7].tag);
	assert_int_equal(jd_audit_entry_from_fields(&e, fv, NULL, 2 * JD_AUDIT_NFIELDS), JD_OK);
	assert_int_equal(e.seq, 7);
	assert_string_equal(e.actor, "alice");
	assert_string_equal(e.chain, chain[7].chain);
	fresh(&w);
	w.e[6] = e;
	json_t *r = verify(&w);
	assert_report(r, 1, 20, 20);
	json_decref(r);
}

static void test_fields_malformed(void **state)
{
	const char *fv[2 * JD_AUDIT_NFIELDS + 2];
	size_t lens[2 * JD_AUDIT_NFIELDS];
	char seq[JD_AUDIT_SEQ_TXT];
	struct jd_audit_entry e;
	struct work w;

	jd_audit_entry_to_fields(&chain[7], seq, fv);
	/* missing tag: counted by verify, never valid */
	assert_int_equal(jd_audit_entry_from_fields(&e, fv, NULL, 2 * JD_AUDIT_NFIELDS - 2),
			 JD_E_INVALID);
	assert_int_equal(e.seq, 7);
	assert_string_equal(e.tag, "");
	fresh(&w);
	w.e[6] = e;
	json_t *r = verify(&w);
	assert_string_equal(problems(r), "7:modified");
	json_decref(r);
	/* a NUL inside a value: Redis holds more than C would see */
	for (size_t k = 0; k < 2 * JD_AUDIT_NFIELDS; k++)
		lens[k] = strlen(fv[k]);
	lens[5] = 3; /* "alice" claimed 3 long, so its 4th byte would have to be NUL */
	assert_int_equal(jd_audit_entry_from_fields(&e, fv, lens, 2 * JD_AUDIT_NFIELDS),
			 JD_E_INVALID);
	/* unknown name, repeated name, bad seq, odd count */
	jd_audit_entry_to_fields(&chain[7], seq, fv);
	fv[2] = "when";
	assert_int_equal(jd_audit_entry_from_fields(&e, fv, NULL, 2 * JD_AUDIT_NFIELDS),
			 JD_E_INVALID);
	fv[2] = "seq";
	assert_int_equal(jd_audit_entry_from_fields(&e, fv, NULL, 2 * JD_AUDIT_NFIELDS),
			 JD_E_INVALID);
	jd_audit_entry_to_fields(&chain[7], seq, fv);
	fv[1] = "07";
	assert_int_equal(jd_audit_entry_from_fields(&e, fv, NULL, 2 * JD_AUDIT_NFIELDS),
			 JD_E_INVALID);
	assert_int_equal(e.seq, 0);
	/* an unreadable seq alone is put back in its place and named once */
	fresh(&w);
	w.e[6] = e;
	r = verify(&w);
	assert_string_equal(problems(r), "7:modified");
	json_decref(r);
	fv[1] = "7";
	assert_int_equal(jd_audit_entry_from_fields(&e, fv, NULL, 2 * JD_AUDIT_NFIELDS - 1),
			 JD_E_INVALID);
}

/* ---- Verification: intact chains ------------------------------------------- */

static void test_verify_intact(void **state)
{
	struct work w;
	json_t *r;

	fresh(&w);
	r = verify(&w);
	assert_report(r, 1, 20, 20);
	assert_string_equal(problems(r), "");
	assert_string_equal(json_string_value(json_object_get(r, "summary")),
			    "20/20 entries valid");
	assert_false(json_is_true(json_object_get(r, "head_behind_checkpoint")));
	assert_int_equal(json_integer_value(json_object_get(r, "unsigned_tail")), 0);
	json_decref(r);
	r = jd_audit_verify(audit_key, NULL, 0, NULL, NULL, NULL, 0);
	assert_non_null(r);
	assert_report(r, 1, 0, 0);
	assert_string_equal(json_string_value(json_object_get(r, "summary")), "0/0 entries valid");
	json_decref(r);
}

static void test_verify_wrong_key(void **state)
{
	unsigned char other[32];
	struct work w;
	json_t *r;

	memset(other, 0xaa, sizeof(other));
	fresh(&w);
	r = jd_audit_verify(other, w.e, w.n, w.id, NULL, NULL, 0);
	assert_non_null(r);
	assert_report(r, 0, 0, 20);
	json_decref(r);
}

static void test_unsigned_tail(void **state)
{
	struct work w;
	json_t *r;

	fresh(&w);
	r = verify_cp(&w, 15, chain[15].chain);
	assert_report(r, 1, 20, 20);
	assert_string_equal(problems(r), "16-20:unsigned");
	assert_int_equal(json_integer_value(json_object_get(r, "unsigned_tail")), 5);
	assert_string_equal(problem_field(r, 0, "id"), ids[16]);
	assert_string_equal(json_string_value(json_object_get(r, "summary")),
			    "20/20 entries valid, 5 unsigned");
	json_decref(r);
	/* no checkpoint at all: the whole chain is unsigned, still not damage */
	r = verify_cp(&w, 0, NULL);
	assert_report(r, 1, 20, 20);
	assert_string_equal(problems(r), "1-20:unsigned");
	json_decref(r);
}

/* ---- Verification: one tamper each, each named once ------------------------- */

static void test_modified_field(void **state)
{
	struct work w;
	json_t *r;

	fresh(&w);
	w.e[6].actor = "mallory";
	r = verify(&w);
	assert_report(r, 0, 19, 20);
	assert_string_equal(problems(r), "7:modified");
	assert_string_equal(problem_field(r, 0, "id"), ids[7]);
	assert_string_equal(json_string_value(json_object_get(r, "summary")),
			    "19/20 entries valid, 1 modified");
	json_decref(r);
}

static void test_modified_seq_prev_tag(void **state)
{
	struct work w;
	json_t *r;

	/* the seq field itself: placed back at 7 by its neighbour's link */
	fresh(&w);
	w.e[6].seq = 70;
	r = verify(&w);
	assert_string_equal(problems(r), "7:modified");
	json_decref(r);
	/* prev edited */
	fresh(&w);
	w.e[6].prev[0] = w.e[6].prev[0] == 'a' ? 'b' : 'a';
	r = verify(&w);
	assert_string_equal(problems(r), "7:modified");
	json_decref(r);
	/* chain recomputed after an edit by someone without the key: the tag fails */
	fresh(&w);
	w.e[6].outcome = "denied";
	assert_int_equal(
	    jd_audit_seal_entry((const unsigned char *)"0123456789abcdef0123456789abcdef", &w.e[6]),
	    JD_OK);
	r = verify(&w);
	assert_report(r, 0, 19, 20);
	assert_string_equal(problems(r), "7:modified");
	json_decref(r);
	/* tag byte flipped on the last entry */
	fresh(&w);
	w.e[19].tag[10] = w.e[19].tag[10] == '0' ? '1' : '0';
	r = verify(&w);
	assert_string_equal(problems(r), "20:modified");
	json_decref(r);
}

static void test_deleted(void **state)
{
	struct work w;
	json_t *r;

	fresh(&w);
	remove_at(&w, 6);
	r = verify(&w);
	assert_report(r, 0, 19, 19);
	assert_string_equal(problems(r), "7-7:deleted");
	assert_string_equal(problem_field(r, 0, "id"), ids[8]);
	assert_non_null(strstr(problem_field(r, 0, "detail"), "entry 7 missing"));
	json_decref(r);
	/* a run of three is one problem */
	fresh(&w);
	remove_at(&w, 6);
	remove_at(&w, 6);
	remove_at(&w, 6);
	r = verify(&w);
	assert_string_equal(problems(r), "7-9:deleted");
	json_decref(r);
	/* the first entry */
	fresh(&w);
	remove_at(&w, 0);
	r = verify(&w);
	assert_string_equal(problems(r), "1-1:deleted");
	json_decref(r);
}

static void test_inserted(void **state)
{
	unsigned char other[32];
	struct jd_audit_entry forged;
	struct work w;
	json_t *r;

	memset(other, 0x55, sizeof(other));
	/* a well-formed entry 8 linked to 7, tagged with another key */
	fill_entry(&forged, 8);
	forged.actor = "mallory";
	snprintf(forged.prev, sizeof(forged.prev), "%s", chain[7].chain);
	assert_int_equal(jd_audit_seal_entry(other, &forged), JD_OK);
	fresh(&w);
	insert_at(&w, 7, &forged, ids[N_ENTRIES + 1]);
	r = verify(&w);
	assert_report(r, 0, 20, 21);
	assert_string_equal(problems(r), "8:inserted");
	assert_string_equal(problem_field(r, 0, "id"), ids[N_ENTRIES + 1]);
	json_decref(r);
	/* with a seq that fits nowhere */
	forged.seq = 21;
	assert_int_equal(jd_audit_seal_entry(other, &forged), JD_OK);
	fresh(&w);
	insert_at(&w, 7, &forged, ids[N_ENTRIES + 1]);
	r = verify(&w);
	assert_string_equal(problems(r), "21:inserted");
	json_decref(r);
	/* a replayed copy of an authentic entry */
	fresh(&w);
	insert_at(&w, 7, &chain[5], ids[N_ENTRIES + 1]);
	r = verify(&w);
	assert_report(r, 0, 20, 21);
	assert_string_equal(problems(r), "5:inserted");
	assert_string_equal(problem_field(r, 0, "id"), ids[N_ENTRIES + 1]);
	json_decref(r);
}

/* An authentic entry from another chain under the same key (another tenant's). */
static void test_foreign_entry(void **state)
{
	struct jd_audit_entry alien[9];
	struct work w;
	json_t *r;

	for (uint64_t s = 1; s <= 8; s++) {
		fill_entry(&alien[s], s);
		alien[s].actor = "bob";
		snprintf(alien[s].prev, JD_AUDIT_HEX, "%s", s == 1 ? ZEROS : alien[s - 1].chain);
		assert_int_equal(jd_audit_seal_entry(audit_key, &alien[s]), JD_OK);
	}
	/* added before the real 8: the real one links back, the alien does not */
	fresh(&w);
	insert_at(&w, 7, &alien[8], ids[N_ENTRIES + 1]);
	r = verify(&w);
	assert_string_equal(problems(r), "8:inserted");
	assert_string_equal(problem_field(r, 0, "id"), ids[N_ENTRIES + 1]);
	json_decref(r);
	/* in place of the real 7: one report, its successor is not blamed */
	fresh(&w);
	w.e[6] = alien[7];
	r = verify(&w);
	assert_report(r, 0, 19, 20);
	assert_string_equal(problems(r), "7:modified");
	json_decref(r);
}

static void test_reordered(void **state)
{
	struct work w;
	json_t *r;

	/* neighbours swapped: one report, no deletion */
	fresh(&w);
	move(&w, 7, 6);
	r = verify(&w);
	assert_report(r, 0, 19, 20);
	assert_string_equal(problems(r), "8:reordered");
	json_decref(r);
	/* an entry moved far down, and one moved far up: one report each */
	fresh(&w);
	move(&w, 2, 14);
	r = verify(&w);
	assert_string_equal(problems(r), "3:reordered");
	json_decref(r);
	fresh(&w);
	move(&w, 14, 2);
	r = verify(&w);
	assert_string_equal(problems(r), "15:reordered");
	json_decref(r);
}

static void test_head_behind_checkpoint(void **state)
{
	struct work w;
	json_t *r;

	fresh(&w);
	w.n -= 3;
	r = verify(&w);
	assert_report(r, 0, 17, 17);
	assert_true(json_is_true(json_object_get(r, "head_behind_checkpoint")));
	assert_string_equal(problems(r), "18-20:deleted");
	assert_null(problem_field(r, 0, "id"));
	assert_string_equal(json_string_value(json_object_get(r, "summary")),
			    "17/17 entries valid, 3 deleted, head behind the checkpoint at seq 20");
	json_decref(r);
}

/* Rule A: the unsigned tail cut (checkpoint at 15), named against the anchor at 20. */
static void test_tail_truncated_after_anchor(void **state)
{
	uint64_t cp = 15;
	const char *cps[1] = {chain[15].chain};
	struct work w;
	json_t *r;

	fresh(&w);
	w.n -= 3;
	r = jd_audit_verify(audit_key, w.e, w.n, w.id, &cp, cps, 1);
	assert_report(r, 1, 17, 17); /* without the anchor, the cut is invisible */
	json_decref(r);
	r = jd_audit_verify_anchored(audit_key, w.e, w.n, w.id, &cp, cps, 1, N_ENTRIES,
				     chain[N_ENTRIES].chain);
	assert_non_null(r);
	assert_report(r, 0, 17, 17);
	assert_true(json_is_true(json_object_get(r, "tail_truncated")));
	assert_false(json_is_true(json_object_get(r, "head_behind_checkpoint")));
	assert_int_equal(json_integer_value(json_object_get(r, "anchor")), N_ENTRIES);
	assert_string_equal(problems(r), "16-17:unsigned,18-20:deleted");
	assert_string_equal(problem_field(r, 1, "detail"),
			    "tail truncated after seq 17: entries 18-20 missing (jiandud saw the "
			    "head at seq 20)");
	assert_string_equal(json_string_value(json_object_get(r, "summary")),
			    "17/17 entries valid, 3 deleted, 2 unsigned, tail truncated after "
			    "seq 17");
	json_decref(r);
	/* an anchor at the head, or below it (another process went on): nothing to say */
	fresh(&w);
	r = jd_audit_verify_anchored(audit_key, w.e, w.n, w.id, &cp, cps, 1, 18, chain[18].chain);
	assert_non_null(r);
	assert_report(r, 1, 20, 20);
	assert_false(json_is_true(json_object_get(r, "tail_truncated")));
	json_decref(r);
}

/* Rule A: the tail cut and rewritten up to the anchor's seq: the entry there is replaced. */
static void test_anchor_chain_differs(void **state)
{
	struct work w;
	json_t *r;

	fresh(&w);
	r = jd_audit_verify_anchored(audit_key, w.e, w.n, w.id, NULL, NULL, 0, 20, chain[19].chain);
	assert_non_null(r);
	assert_int_equal(json_is_true(json_object_get(r, "ok")), 0);
	assert_string_equal(problems(r), "1-19:unsigned,20:modified");
	assert_string_equal(problem_field(r, 1, "detail"),
			    "chain differs from the head jiandud saw at seq 20: replaced");
	json_decref(r);
}

static void test_checkpoint_mismatch(void **state)
{
	struct work w;
	json_t *r;

	fresh(&w);
	r = verify_cp(&w, 10, chain[9].chain);
	assert_int_equal(json_is_true(json_object_get(r, "ok")), 0);
	assert_string_equal(problems(r), "10:modified,11-20:unsigned");
	json_decref(r);
}

/* ---- Checkpoints ---------------------------------------------------------------- */

static void keypair(unsigned char pk[32], unsigned char sk[64], unsigned char seed_byte)
{
	unsigned char seed[crypto_sign_SEEDBYTES];

	memset(seed, seed_byte, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

static int parse(const unsigned char pk[32], const char *line)
{
	char tenant[65], c[JD_AUDIT_HEX];
	uint64_t seq;
	long long when;

	return jd_audit_checkpoint_parse(pk, line, tenant, sizeof(tenant), &seq, c, &when);
}

static void test_checkpoint_round_trip(void **state)
{
	unsigned char pk[32], sk[64], pk2[32], sk2[64];
	char line[JD_AUDIT_CP_LINE], tenant[65], c[JD_AUDIT_HEX];
	uint64_t seq = 0;
	long long when = 0;

	keypair(pk, sk, 7);
	keypair(pk2, sk2, 8);
	assert_int_equal(jd_audit_checkpoint(sk, "city-01_x", 20, chain[20].chain, 1714550400, line,
					     sizeof(line)),
			 JD_OK);
	assert_int_equal(strncmp(line, "cp1 city-01_x 20 ", 17), 0);
	assert_int_equal(
	    jd_audit_checkpoint_parse(pk, line, tenant, sizeof(tenant), &seq, c, &when), JD_OK);
	assert_string_equal(tenant, "city-01_x");
	assert_int_equal(seq, 20);
	assert_string_equal(c, chain[20].chain);
	assert_int_equal(when, 1714550400);
	assert_int_equal(parse(pk2, line), JD_E_FORBIDDEN);
	strcat(line, "\n"); /* as read from the file */
	assert_int_equal(parse(pk, line), JD_OK);
	assert_int_equal(jd_audit_checkpoint_parse(pk, line, tenant, 9, &seq, c, &when),
			 JD_E_INVALID);
}

static void test_checkpoint_kat(void **state)
{
	unsigned char pk[32], sk[64];
	char line[JD_AUDIT_CP_LINE];

	keypair(pk, sk, 7);
	assert_int_equal(
	    jd_audit_checkpoint(sk, "city-01_x", 1, KAT_CHAIN1, 1714550400, line, sizeof(line)),
	    JD_OK);
	assert_string_equal(line, KAT_CP_LINE);
	assert_int_equal(parse(pk, KAT_CP_LINE), JD_OK);
}

static void test_checkpoint_forged(void **state)
{
	unsigned char pk[32], sk[64], sig[64];
	char line[JD_AUDIT_CP_LINE], bad[JD_AUDIT_CP_LINE + 8], *b64;
	size_t siglen = 0;

	keypair(pk, sk, 7);
	assert_int_equal(
	    jd_audit_checkpoint(sk, "t1", 20, chain[20].chain, 1714550400, line, sizeof(line)),
	    JD_OK);
	/* a flipped signature bit, re-encoded so that the line stays well-formed */
	b64 = strrchr(line, ' ') + 1;
	assert_int_equal(sodium_base642bin(sig, sizeof(sig), b64, strlen(b64), NULL, &siglen, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	sig[5] ^= 0x01;
	snprintf(bad, sizeof(bad), "%.*s", (int)(b64 - line), line);
	sodium_bin2base64(bad + strlen(bad), sizeof(bad) - strlen(bad), sig, sizeof(sig),
			  sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(parse(pk, bad), JD_E_FORBIDDEN);
	/* the signed text changed: seq 20 -> 21, and time */
	snprintf(bad, sizeof(bad), "%s", line);
	assert_int_equal(strncmp(bad, "cp1 t1 20 ", 10), 0);
	bad[8] = '1';
	assert_int_equal(parse(pk, bad), JD_E_FORBIDDEN);
	snprintf(bad, sizeof(bad), "%s", line);
	*strstr(bad, "1714550400") = '2';
	assert_int_equal(parse(pk, bad), JD_E_FORBIDDEN);
}

static void test_checkpoint_malformed(void **state)
{
	unsigned char pk[32], sk[64];
	char line[JD_AUDIT_CP_LINE], bad[JD_AUDIT_CP_LINE + 8];
	const char *sig;

	keypair(pk, sk, 7);
	assert_int_equal(
	    jd_audit_checkpoint(sk, "t1", 20, chain[20].chain, 1714550400, line, sizeof(line)),
	    JD_OK);
	sig = strrchr(line, ' ') + 1;
	assert_int_equal(parse(pk, ""), JD_E_INVALID);
	assert_int_equal(parse(pk, "cp1 t1 20"), JD_E_INVALID);
	snprintf(bad, sizeof(bad), "cp2%s", line + 3);
	assert_int_equal(parse(pk, bad), JD_E_INVALID);
	snprintf(bad, sizeof(bad), "cp1 t.1 20 %s 1714550400 %s", chain[20].chain, sig);
	assert_int_equal(parse(pk, bad), JD_E_INVALID);
	snprintf(bad, sizeof(bad), "cp1 t1 020 %s 1714550400 %s", chain[20].chain, sig);
	assert_int_equal(parse(pk, bad), JD_E_INVALID);
	snprintf(bad, sizeof(bad), "cp1 t1 0 %s 1714550400 %s", chain[20].chain, sig);
	assert_int_equal(parse(pk, bad), JD_E_INVALID);
	snprintf(bad, sizeof(bad), "cp1 t1 20 %.63s 1714550400 %s", chain[20].chain, sig);
	assert_int_equal(parse(pk, bad), JD_E_INVALID);
	snprintf(bad, sizeof(bad), "cp1 t1 20 %s -1 %s", chain[20].chain, sig);
	assert_int_equal(parse(pk, bad), JD_E_INVALID);
	snprintf(bad, sizeof(bad), "cp1 t1  20 %s 1714550400 %s", chain[20].chain, sig);
	assert_int_equal(parse(pk, bad), JD_E_INVALID);
	snprintf(bad, sizeof(bad), "%s ", line);
	assert_int_equal(parse(pk, bad), JD_E_INVALID);
	snprintf(bad, sizeof(bad), "%.*s", (int)strlen(line) - 2, line);
	assert_int_equal(parse(pk, bad), JD_E_INVALID);
	/* making one: bad tenant, seq 0, bad chain, buffer too small */
	assert_int_equal(jd_audit_checkpoint(sk, "", 1, chain[1].chain, 0, line, sizeof(line)),
			 JD_E_INVALID);
	assert_int_equal(jd_audit_checkpoint(sk, "a b", 1, chain[1].chain, 0, line, sizeof(line)),
			 JD_E_INVALID);
	assert_int_equal(jd_audit_checkpoint(sk, "t1", 0, chain[1].chain, 0, line, sizeof(line)),
			 JD_E_INVALID);
	assert_int_equal(jd_audit_checkpoint(sk, "t1", 1, "abc", 0, line, sizeof(line)),
			 JD_E_INVALID);
	assert_int_equal(jd_audit_checkpoint(sk, "t1", 1, chain[1].chain, 0, line, 100),
			 JD_E_INVALID);
	assert_string_equal(line, "");
}

static void test_status_names(void **state)
{
	assert_string_equal(jd_audit_status_name(JD_AUDIT_VALID), "valid");
	assert_string_equal(jd_audit_status_name(JD_AUDIT_MODIFIED), "modified");
	assert_string_equal(jd_audit_status_name(JD_AUDIT_DELETED), "deleted");
	assert_string_equal(jd_audit_status_name(JD_AUDIT_INSERTED), "inserted");
	assert_string_equal(jd_audit_status_name(JD_AUDIT_REORDERED), "reordered");
	assert_string_equal(jd_audit_status_name(JD_AUDIT_UNSIGNED), "unsigned");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_kat),
	    cmocka_unit_test(test_chain_kat),
	    cmocka_unit_test(test_canonical_fields),
	    cmocka_unit_test(test_seal_rejects),
	    cmocka_unit_test(test_fields_round_trip),
	    cmocka_unit_test(test_fields_malformed),
	    cmocka_unit_test(test_verify_intact),
	    cmocka_unit_test(test_verify_wrong_key),
	    cmocka_unit_test(test_unsigned_tail),
	    cmocka_unit_test(test_modified_field),
	    cmocka_unit_test(test_modified_seq_prev_tag),
	    cmocka_unit_test(test_deleted),
	    cmocka_unit_test(test_inserted),
	    cmocka_unit_test(test_foreign_entry),
	    cmocka_unit_test(test_reordered),
	    cmocka_unit_test(test_head_behind_checkpoint),
	    cmocka_unit_test(test_checkpoint_mismatch),
	    cmocka_unit_test(test_tail_truncated_after_anchor),
	    cmocka_unit_test(test_anchor_chain_differs),
	    cmocka_unit_test(test_checkpoint_round_trip),
	    cmocka_unit_test(test_checkpoint_kat),
	    cmocka_unit_test(test_checkpoint_forged),
	    cmocka_unit_test(test_checkpoint_malformed),
	    cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
