/*
 * Sealing, key wrapping, blind indexes: known answers computed outside
 * libsodium, values moved between records or fields, tampering, malformed
 * input, normalisation.
 *
 * Every expected value below was computed once by this Python 3 script
 * (hashlib for BLAKE2b; pyca/cryptography, i.e. OpenSSL, for the IETF
 * ChaCha20-Poly1305; HChaCha20 written out by hand and checked against
 * draft-irtf-cfrg-xchacha-03 sections 2.2.1 and A.3.1), not by this code:
 *
 *   import hashlib, struct, base64
 *   from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
 *   def kdf(key, i, ctx):    # libsodium's crypto_kdf_derive_from_key
 *       return hashlib.blake2b(b'', digest_size=32, key=key,
 *           salt=struct.pack('<Q', i) + bytes(8), person=ctx + bytes(8)).digest()
 *   def rotl(v, c): return ((v << c) & 0xffffffff) | (v >> (32 - c))
 *   def qr(x, a, b, c, d):
 *       x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = rotl(x[d] ^ x[a], 16)
 *       x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = rotl(x[b] ^ x[c], 12)
 *       x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = rotl(x[d] ^ x[a], 8)
 *       x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = rotl(x[b] ^ x[c], 7)
 *   def hchacha20(key, n16):
 *       x = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] + \
 *           list(struct.unpack('<8I', key)) + list(struct.unpack('<4I', n16))
 *       for _ in range(10):
 *           qr(x, 0, 4, 8, 12); qr(x, 1, 5, 9, 13); qr(x, 2, 6, 10, 14); qr(x, 3, 7, 11, 15)
 *           qr(x, 0, 5, 10, 15); qr(x, 1, 6, 11, 12); qr(x, 2, 7, 8, 13); qr(x, 3, 4, 9, 14)
 *       return struct.pack('<8I', *(x[0:4] + x[12:16]))
 *   def xchacha(key, n24, pt, ad):
 *       return ChaCha20Poly1305(hchacha20(key, n24[:16])).encrypt(bytes(4) + n24[16:], pt, ad)
 *   def lp(*parts): return b''.join(struct.pack('>I', len(p)) + p for p in parts)
 *   def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
 *   def bidx(root, t, f, v):
 *       fk = hashlib.blake2b(t + b'.' + f, digest_size=32, key=root).digest()
 *       return hashlib.blake2b(v, digest_size=16, key=fk).hexdigest()
 *   tkey = bytes(range(32))
 *   field, blind = kdf(tkey, 1, b'jdseal__'), kdf(tkey, 1, b'jdblind_')
 *   wrap = kdf(tkey, 1, b'jdwrap__')
 *   bidx(blind, b'lead', b'id_number', b'abc123 4567')   # normalised by hand
 *   bidx(blind, b'lead', b'accused_name', '张三'.encode())
 *   n = bytes(range(0x40, 0x58))
 *   pt = '举报人：张三, ID 110101199003071234'.encode()
 *   's1.t1.' + b64u(n + xchacha(field, n, pt, lp(b'jd-seal', b'1', b't1',
 *       b't-demo', b'lead', b'L-0001', b'accused_name')))
 *   n = bytes(range(0x60, 0x78))
 *   'w1.m1.' + b64u(n + xchacha(bytes(range(0xa0, 0xc0)), n, tkey,
 *       lp(b'jd-wrap', b'1', b'm1', b'tenant:t-demo')))
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "security/seal.h"

#define KAT_FIELD	    "cd7589785987ad942e58e6bdd6ff628c19bdda6f73edfae4342d18592b913c81"
#define KAT_BLIND	    "8e42dfcf5e7a97de96455e6931c2733bfbe92b5af0398038427cf188c7eb536d"
#define KAT_WRAP	    "37ba4e56a9ee644d7f169b02499b030ebc9910f41164a152a17a32332b4b7e92"
#define KAT_INDEX_ID_NUMBER "cb21118ebace741c089ac9388c6529f1"
#define KAT_INDEX_NAME	    "53b444e0453337ade40ece30126d62be"
#define KAT_PLAIN	    "举报人：张三, ID 110101199003071234"
#define KAT_SEALED                                                                                 \
	"s1.t1."                                                                                   \
	"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXFBXnrtKwwsGcqPrdDK2RvyII5wc1VsejppRpNlBrLV588eucN0D"      \
	"bbkSvY6_HePDm-kdFYjlzfENG"
#define KAT_WRAPPED                                                                                \
	"w1.m1."                                                                                   \
	"YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3Q1pBT7xUmKjXmWGHfe9GXXKdQpZ5lXD1uLwW5fPZ6HPvqdGSIsi"      \
	"9efMmaxIE3t35"

static const struct jd_seal_ad kat_ad = {"t-demo", "lead", "L-0001", "accused_name"};

static void fill(unsigned char *b, size_t n, unsigned start)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(start + i);
}

static void assert_hex(const unsigned char *bin, size_t n, const char *hex)
{
	char buf[2 * 64 + 1];

	assert_true(n <= 64);
	sodium_bin2hex(buf, sizeof buf, bin, n);
	assert_string_equal(buf, hex);
}

static void tenant_subkey(unsigned char out[JD_KEY_BYTES], enum jd_subkey which)
{
	unsigned char tkey[JD_KEY_BYTES];

	fill(tkey, sizeof tkey, 0);
	assert_int_equal(jd_subkey(out, tkey, which), JD_OK);
}

/* Opening must fail with rc and leave nothing behind. */
static void expect_open_fails(const unsigned char *key, const struct jd_seal_ad *ad,
			      const char *sealed, int rc)
{
	unsigned char *plain = (unsigned char *)"sentinel";
	size_t len = 99;

	assert_int_equal(jd_open(key, ad, sealed, &plain, &len), rc);
	assert_null(plain);
	assert_int_equal(len, 0);
}

static void test_subkey_kat(void **state)
{
	unsigned char tkey[JD_KEY_BYTES], out[JD_KEY_BYTES];

	(void)state;
	fill(tkey, sizeof tkey, 0);
	assert_int_equal(jd_subkey(out, tkey, JD_SUBKEY_FIELD), JD_OK);
	assert_hex(out, sizeof out, KAT_FIELD);
	assert_int_equal(jd_subkey(out, tkey, JD_SUBKEY_BLIND), JD_OK);
	assert_hex(out, sizeof out, KAT_BLIND);
	assert_int_equal(jd_subkey(out, tkey, JD_SUBKEY_WRAP), JD_OK);
	assert_hex(out, sizeof out, KAT_WRAP);
	assert_int_equal(jd_subkey(out, tkey, (enum jd_subkey)4), JD_E_INVALID);
	assert_int_equal(jd_subkey(out, tkey, (enum jd_subkey)0), JD_E_INVALID);
}

static void test_blind_index_kat(void **state)
{
	unsigned char root[JD_KEY_BYTES];
	char idx[2 * JD_BLIND_BYTES + 1], other[2 * JD_BLIND_BYTES + 1];

	(void)state;
	tenant_subkey(root, JD_SUBKEY_BLIND);
	/* full-width letters and digits, ideographic spaces, padding */
	assert_int_equal(
	    jd_blind_index(root, "lead", "id_number", "  ＡＢＣ１２３\u3000\u30004567 \t", idx),
	    JD_OK);
	assert_string_equal(idx, KAT_INDEX_ID_NUMBER);
	assert_int_equal(jd_blind_index(root, "lead", "id_number", "abc123 4567", idx), JD_OK);
	assert_string_equal(idx, KAT_INDEX_ID_NUMBER);
	assert_int_equal(jd_blind_index(root, "lead", "accused_name", "张三", idx), JD_OK);
	assert_string_equal(idx, KAT_INDEX_NAME);
	/* another field, another type or another root: another index */
	assert_int_equal(jd_blind_index(root, "lead", "reporter_id", "abc123 4567", other), JD_OK);
	assert_string_not_equal(other, KAT_INDEX_ID_NUMBER);
	assert_int_equal(jd_blind_index(root, "case", "id_number", "abc123 4567", other), JD_OK);
	assert_string_not_equal(other, KAT_INDEX_ID_NUMBER);
	root[0] ^= 1;
	assert_int_equal(jd_blind_index(root, "lead", "id_number", "abc123 4567", other), JD_OK);
	assert_string_not_equal(other, KAT_INDEX_ID_NUMBER);
}

static void test_blind_index_refuses(void **state)
{
	unsigned char root[JD_KEY_BYTES];
	char idx[2 * JD_BLIND_BYTES + 1];
	char *big = malloc(JD_BLIND_MAX_INPUT + 2);

	(void)state;
	assert_non_null(big);
	tenant_subkey(root, JD_SUBKEY_BLIND);
	assert_int_equal(jd_blind_index(root, "lead", "id", "\xff", idx), JD_E_INVALID);
	assert_int_equal(jd_blind_index(root, "le.ad", "id", "x", idx), JD_E_INVALID);
	assert_int_equal(jd_blind_index(root, "", "id", "x", idx), JD_E_INVALID);
	assert_int_equal(jd_blind_index(root, "lead", "", "x", idx), JD_E_INVALID);
	assert_int_equal(jd_blind_index(root, "lead", "id", NULL, idx), JD_E_INVALID);
	memset(big, 'a', JD_BLIND_MAX_INPUT);
	big[JD_BLIND_MAX_INPUT] = '\0';
	assert_int_equal(jd_blind_index(root, "lead", "id", big, idx), JD_OK);
	strcpy(big + JD_BLIND_MAX_INPUT, "a");
	assert_int_equal(jd_blind_index(root, "lead", "id", big, idx), JD_E_INVALID);
	free(big);
}

/* The format stays readable: a value sealed outside this code opens. */
static void test_open_kat(void **state)
{
	unsigned char key[JD_KEY_BYTES], *plain = NULL;
	size_t len = 0;
	unsigned format = 0;
	char id[JD_KEY_ID_MAX + 1];

	(void)state;
	tenant_subkey(key, JD_SUBKEY_FIELD);
	assert_int_equal(jd_sealed_info(KAT_SEALED, &format, id, sizeof id), JD_OK);
	assert_int_equal(format, 1);
	assert_string_equal(id, "t1");
	assert_int_equal(jd_sealed_info(KAT_SEALED, &format, id, 2), JD_E_INVALID);
	assert_int_equal(jd_open(key, &kat_ad, KAT_SEALED, &plain, &len), JD_OK);
	assert_non_null(plain);
	assert_int_equal(len, strlen(KAT_PLAIN));
	assert_string_equal((const char *)plain, KAT_PLAIN);
	jd_plain_free(plain);
}

static void test_unwrap_kat(void **state)
{
	unsigned char kek[JD_KEY_BYTES], key[JD_KEY_BYTES], expect[JD_KEY_BYTES];
	char id[JD_KEY_ID_MAX + 1];

	(void)state;
	fill(kek, sizeof kek, 0xa0);
	fill(expect, sizeof expect, 0);
	assert_int_equal(jd_key_wrapped_id(KAT_WRAPPED, id, sizeof id), JD_OK);
	assert_string_equal(id, "m1");
	assert_int_equal(jd_key_unwrap(kek, "tenant:t-demo", KAT_WRAPPED, key), JD_OK);
	assert_memory_equal(key, expect, sizeof key);
	assert_int_equal(jd_key_unwrap(kek, "tenant:t-demo2", KAT_WRAPPED, key), JD_E_FORBIDDEN);
	assert_memory_equal(key, (unsigned char[JD_KEY_BYTES]){0}, sizeof key);
}

static void round_trip(const unsigned char *key, const unsigned char *data, size_t n)
{
	char *sealed = NULL;
	unsigned char *plain = NULL;
	size_t len = 0;

	assert_int_equal(jd_seal(key, "r", &kat_ad, data, n, &sealed), JD_OK);
	assert_non_null(sealed);
	assert_true(strncmp(sealed, "s1.r.", 5) == 0);
	assert_int_equal(jd_open(key, &kat_ad, sealed, &plain, &len), JD_OK);
	assert_int_equal(len, n);
	if (n > 0)
		assert_memory_equal(plain, data, n);
	assert_int_equal(plain[n], '\0');
	jd_plain_free(plain);
	free(sealed);
}

static void test_round_trip(void **state)
{
	unsigned char key[JD_KEY_BYTES], data[1000];
	char *a = NULL, *b = NULL;

	(void)state;
	randombytes_buf(key, sizeof key);
	randombytes_buf(data, sizeof data);
	data[3] = '\0'; /* binary, with a NUL inside */
	round_trip(key, NULL, 0);
	round_trip(key, data, 1);
	round_trip(key, data, sizeof data);
	round_trip(key, (const unsigned char *)KAT_PLAIN, strlen(KAT_PLAIN));
	/* random nonces: the same plaintext never seals the same way twice */
	assert_int_equal(jd_seal(key, "t1", &kat_ad, data, 16, &a), JD_OK);
	assert_int_equal(jd_seal(key, "t1", &kat_ad, data, 16, &b), JD_OK);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

static void test_moved_value_does_not_open(void **state)
{
	unsigned char key[JD_KEY_BYTES], other[JD_KEY_BYTES];
	struct jd_seal_ad ad = kat_ad;
	const unsigned char text[] = "Wang Wu, 13800000000";
	char *sealed = NULL;

	(void)state;
	randombytes_buf(key, sizeof key);
	assert_int_equal(jd_seal(key, "t1", &kat_ad, text, sizeof text - 1, &sealed), JD_OK);
	ad.record_id = "L-0002";
	expect_open_fails(key, &ad, sealed, JD_E_FORBIDDEN);
	ad = kat_ad;
	ad.field = "reporter_name";
	expect_open_fails(key, &ad, sealed, JD_E_FORBIDDEN);
	ad = kat_ad;
	ad.tenant = "t-other";
	expect_open_fails(key, &ad, sealed, JD_E_FORBIDDEN);
	ad = kat_ad;
	ad.record_type = "case";
	expect_open_fails(key, &ad, sealed, JD_E_FORBIDDEN);
	/* the boundary between components is bound too ("t-demo","lead" vs "t-demol","ead") */
	ad = kat_ad;
	ad.tenant = "t-demol";
	ad.record_type = "ead";
	expect_open_fails(key, &ad, sealed, JD_E_FORBIDDEN);
	/* another key id written into the value, or another key */
	sealed[4] = '2';
	expect_open_fails(key, &kat_ad, sealed, JD_E_FORBIDDEN);
	sealed[4] = '1';
	memcpy(other, key, sizeof other);
	other[31] ^= 0x80;
	expect_open_fails(other, &kat_ad, sealed, JD_E_FORBIDDEN);
	free(sealed);
}

static void test_flipped_byte_fails(void **state)
{
	unsigned char key[JD_KEY_BYTES], raw[128];
	char *sealed = NULL, forged[256];
	size_t rawlen = 0, head = strlen("s1.t1."), n;

	(void)state;
	tenant_subkey(key, JD_SUBKEY_FIELD);
	/* every bit of nonce, ciphertext and tag is authenticated */
	assert_int_equal(sodium_base642bin(raw, sizeof raw, KAT_SEALED + head,
					   strlen(KAT_SEALED) - head, NULL, &rawlen, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
			 0);
	for (size_t i = 0; i < rawlen; i++) {
		for (unsigned bit = 0; bit < 8; bit += 7) {
			raw[i] ^= (unsigned char)(1u << bit);
			memcpy(forged, KAT_SEALED, head);
			sodium_bin2base64(forged + head, sizeof forged - head, raw, rawlen,
					  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
			expect_open_fails(key, &kat_ad, forged, JD_E_FORBIDDEN);
			raw[i] ^= (unsigned char)(1u << bit);
		}
	}
	/* any character of the stored text changed: refused one way or the other */
	sealed = strdup(KAT_SEALED);
	assert_non_null(sealed);
	n = strlen(sealed);
	for (size_t i = 0; i < n; i++) {
		unsigned char *plain = NULL;
		size_t len = 0;
		char saved = sealed[i];

		sealed[i] = saved == 'A' ? 'B' : 'A';
		assert_int_not_equal(jd_open(key, &kat_ad, sealed, &plain, &len), JD_OK);
		assert_null(plain);
		sealed[i] = saved;
	}
	free(sealed);
}

static void test_malformed_is_invalid(void **state)
{
	unsigned char key[JD_KEY_BYTES];
	char buf[256];
	unsigned format = 0;
	struct jd_seal_ad ad = kat_ad;

	(void)state;
	tenant_subkey(key, JD_SUBKEY_FIELD);
	/* a format this code does not read: info names it, open refuses it */
	snprintf(buf, sizeof buf, "s2%s", KAT_SEALED + 2);
	assert_int_equal(jd_sealed_info(buf, &format, NULL, 0), JD_OK);
	assert_int_equal(format, 2);
	expect_open_fails(key, &kat_ad, buf, JD_E_INVALID);
	snprintf(buf, sizeof buf, "s01%s", KAT_SEALED + 2);
	expect_open_fails(key, &kat_ad, buf, JD_E_INVALID);
	/* base64 that is not URL-safe, padded, or cut */
	snprintf(buf, sizeof buf, "%s==", KAT_SEALED);
	expect_open_fails(key, &kat_ad, buf, JD_E_INVALID);
	snprintf(buf, sizeof buf, "%s", KAT_SEALED);
	buf[strlen(buf) - 5] = '+';
	expect_open_fails(key, &kat_ad, buf, JD_E_INVALID);
	snprintf(buf, sizeof buf, "%s", KAT_SEALED);
	buf[strlen(buf) - 5] = ' ';
	expect_open_fails(key, &kat_ad, buf, JD_E_INVALID);
	snprintf(buf, sizeof buf, "%.*s", 6 + 50, KAT_SEALED); /* shorter than nonce + tag */
	expect_open_fails(key, &kat_ad, buf, JD_E_INVALID);
	expect_open_fails(key, &kat_ad, "s1.t1.", JD_E_INVALID);
	expect_open_fails(key, &kat_ad, "", JD_E_INVALID);
	expect_open_fails(key, &kat_ad, NULL, JD_E_INVALID);
	expect_open_fails(key, &kat_ad, "s1.t1", JD_E_INVALID);
	/* key ids: 1..16 of [A-Za-z0-9_-] */
	expect_open_fails(key, &kat_ad, "s1..QEFC", JD_E_INVALID);
	expect_open_fails(key, &kat_ad, "s1.abcdefghijklmnopq.QEFC", JD_E_INVALID);
	snprintf(buf, sizeof buf, "s1.t:%s", KAT_SEALED + 4); /* "s1.t:1.<the KAT payload>" */
	expect_open_fails(key, &kat_ad, buf, JD_E_INVALID);
	snprintf(buf, sizeof buf, "s1.%s", KAT_SEALED + 5); /* no key id at all */
	expect_open_fails(key, &kat_ad, buf, JD_E_INVALID);
	/* a wrapped key is not a sealed value */
	expect_open_fails(key, &kat_ad, KAT_WRAPPED, JD_E_INVALID);
	/* the binding must be complete */
	ad.record_id = "";
	expect_open_fails(key, &ad, KAT_SEALED, JD_E_INVALID);
	ad.record_id = NULL;
	expect_open_fails(key, &ad, KAT_SEALED, JD_E_INVALID);
	expect_open_fails(key, NULL, KAT_SEALED, JD_E_INVALID);
}

static void test_seal_refuses(void **state)
{
	unsigned char key[JD_KEY_BYTES] = {0};
	struct jd_seal_ad ad = kat_ad;
	char *out = (char *)"sentinel";

	(void)state;
	assert_int_equal(jd_seal(key, "", &kat_ad, key, 1, &out), JD_E_INVALID);
	assert_null(out);
	assert_int_equal(jd_seal(key, "a.b", &kat_ad, key, 1, &out), JD_E_INVALID);
	assert_int_equal(jd_seal(key, "abcdefghijklmnopq", &kat_ad, key, 1, &out), JD_E_INVALID);
	assert_int_equal(jd_seal(key, "t:1", &kat_ad, key, 1, &out), JD_E_INVALID);
	assert_int_equal(jd_seal(key, "t 1", &kat_ad, key, 1, &out), JD_E_INVALID);
	assert_int_equal(jd_seal(key, "t\xc3\xa9", &kat_ad, key, 1, &out), JD_E_INVALID);
	assert_int_equal(jd_seal(key, "t1", &kat_ad, NULL, 1, &out), JD_E_INVALID);
	assert_int_equal(jd_seal(key, "t1", &kat_ad, key, JD_SEAL_MAX_PLAIN + 1, &out),
			 JD_E_INVALID);
	ad.field = NULL;
	assert_int_equal(jd_seal(key, "t1", &ad, key, 1, &out), JD_E_INVALID);
	assert_null(out);
	assert_int_equal(jd_seal(key, "abcdefghijklmnop", &kat_ad, key, 1, &out), JD_OK);
	free(out);
}

static void test_wrap(void **state)
{
	unsigned char kek[JD_KEY_BYTES], key[JD_KEY_BYTES], back[JD_KEY_BYTES];
	char wrapped[JD_WRAPPED_MAX], id[JD_KEY_ID_MAX + 1];
	const char *label = "record:t-demo:lead:L-0001";

	(void)state;
	randombytes_buf(kek, sizeof kek);
	randombytes_buf(key, sizeof key);
	assert_int_equal(jd_key_wrap(kek, "abcdefghijklmnop", label, key, wrapped, sizeof wrapped),
			 JD_OK);
	assert_int_equal(strlen(wrapped), JD_WRAPPED_MAX - 1);
	assert_int_equal(
	    jd_key_wrap(kek, "abcdefghijklmnop", label, key, wrapped, sizeof wrapped - 1),
	    JD_E_INVALID);
	assert_int_equal(jd_key_wrap(kek, "t", label, key, wrapped, sizeof wrapped), JD_OK);
	assert_int_equal(jd_key_wrapped_id(wrapped, id, sizeof id), JD_OK);
	assert_string_equal(id, "t");
	assert_int_equal(jd_key_unwrap(kek, label, wrapped, back), JD_OK);
	assert_memory_equal(back, key, sizeof key);
	/* another owner, another KEK, another key id: does not open */
	assert_int_equal(jd_key_unwrap(kek, "record:t-demo:lead:L-0002", wrapped, back),
			 JD_E_FORBIDDEN);
	kek[0] ^= 1;
	assert_int_equal(jd_key_unwrap(kek, label, wrapped, back), JD_E_FORBIDDEN);
	kek[0] ^= 1;
	wrapped[3] = 'u';
	assert_int_equal(jd_key_unwrap(kek, label, wrapped, back), JD_E_FORBIDDEN);
	wrapped[3] = 't';
	assert_int_equal(jd_key_unwrap(kek, label, wrapped, back), JD_OK);
	/* malformed */
	wrapped[1] = '2';
	assert_int_equal(jd_key_wrapped_id(wrapped, id, sizeof id), JD_E_INVALID);
	assert_int_equal(jd_key_unwrap(kek, label, wrapped, back), JD_E_INVALID);
	wrapped[1] = '1';
	wrapped[strlen(wrapped) - 4] = '\0';
	assert_int_equal(jd_key_unwrap(kek, label, wrapped, back), JD_E_INVALID);
	assert_int_equal(jd_key_unwrap(kek, label, KAT_SEALED, back), JD_E_INVALID);
	assert_int_equal(jd_key_unwrap(kek, "", KAT_WRAPPED, back), JD_E_INVALID);
	assert_int_equal(jd_key_wrap(kek, "t", NULL, key, wrapped, sizeof wrapped), JD_E_INVALID);
}

static void expect_normal(const char *in, const char *out)
{
	char *got = jd_blind_normalise(in);

	assert_non_null(got);
	assert_string_equal(got, out);
	free(got);
}

static void test_normalise(void **state)
{
	char *big = malloc(JD_BLIND_MAX_INPUT + 2);

	(void)state;
	expect_normal("ＡＢＣ１２３", "abc123");
	expect_normal("  Hello   World\t\n", "hello world");
	expect_normal("张\u3000三", "张 三");
	expect_normal("\u3000\u3000ｘ\u3000 \u3000ｙ\u3000", "x y");
	expect_normal("！～", "!~");		       /* the ends of U+FF01..U+FF5E */
	expect_normal("\uff00\uff5f", "\uff00\uff5f"); /* just outside: unchanged */
	expect_normal("ÄÖ Straße", "ÄÖ straße");       /* only ASCII letters are folded */
	expect_normal("", "");
	expect_normal(" \u3000 ", "");
	expect_normal("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"); /* 4-byte sequences pass */
	/* not UTF-8: stray byte, overlong, surrogate, above U+10FFFF, cut, lone continuation */
	assert_null(jd_blind_normalise("\xff"));
	assert_null(jd_blind_normalise("a\xc0\xaf"));
	assert_null(jd_blind_normalise("\xe0\x80\xaf"));
	assert_null(jd_blind_normalise("\xed\xa0\x80"));
	assert_null(jd_blind_normalise("\xf4\x90\x80\x80"));
	assert_null(jd_blind_normalise("\xe4\xb8"));
	assert_null(jd_blind_normalise("\x80"));
	assert_null(jd_blind_normalise(NULL));
	assert_non_null(big);
	memset(big, 'A', JD_BLIND_MAX_INPUT);
	big[JD_BLIND_MAX_INPUT] = '\0';
	big[0] = ' ';
	char *got = jd_blind_normalise(big);
	assert_non_null(got);
	assert_int_equal(strlen(got), JD_BLIND_MAX_INPUT - 1);
	assert_int_equal(got[0], 'a');
	free(got);
	strcpy(big + JD_BLIND_MAX_INPUT, "A");
	assert_null(jd_blind_normalise(big));
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subkey_kat),
	    cmocka_unit_test(test_blind_index_kat),
	    cmocka_unit_test(test_blind_index_refuses),
	    cmocka_unit_test(test_open_kat),
	    cmocka_unit_test(test_unwrap_kat),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_moved_value_does_not_open),
	    cmocka_unit_test(test_flipped_byte_fails),
	    cmocka_unit_test(test_malformed_is_invalid),
	    cmocka_unit_test(test_seal_refuses),
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_normalise),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
