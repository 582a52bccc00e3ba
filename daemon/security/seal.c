/*
 * Sealed values, wrapped keys and blind indexes.
 *
 * Stored forms (ASCII; a key id holds no '.', so the parts split one way):
 *   s1.<key_id>.<base64url, no padding, of nonce[24] | ciphertext | tag[16]>
 *   w1.<key_id>.<base64url, no padding, of nonce[24] | ciphertext[32] | tag[16]>
 *
 * Associated data: a sequence of components, each written as its length in
 * 4 bytes big-endian followed by its bytes, so two different tuples never
 * encode alike (no separator can be smuggled inside a component):
 *   seal: "jd-seal", "1", key_id, tenant, record_type, record_id, field
 *   wrap: "jd-wrap", "1", key_id, label
 * The leading tag keeps a wrapped key from opening as a sealed field (and
 * back); the format digit keeps a later format from reading this one's
 * values under other rules; the key id is taken from the stored value, so
 * editing it there makes the value fail to open.
 */
#include "security/seal.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define WRAP_RAW    (NONCE_BYTES + JD_KEY_BYTES + TAG_BYTES)
#define B64	    sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MAX_PART    4096 /* longest associated-data component (ids, names, labels) */
#define MAX_FORMAT  9999

/* A stored value split into its parts; payload points into the caller's string. */
struct stored {
	unsigned format;
	char key_id[JD_KEY_ID_MAX + 1];
	const char *payload;
	size_t payload_len;
};

static int key_id_ok(const char *id)
{
	size_t n;

	if (id == NULL)
		return 0;
	for (n = 0; id[n] != '\0'; n++) {
		char c = id[n];

		if (n == JD_KEY_ID_MAX || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return n > 0;
}

/* Non-empty and short: an empty binding would mean "bound to nothing". */
static int part_ok(const char *s)
{
	return s != NULL && s[0] != '\0' && strnlen(s, MAX_PART + 1) <= MAX_PART;
}

/* Length-prefixed components (see the top of this file); *out is malloc'd. */
static int ad_build(const char *const *parts, size_t n, unsigned char **out, size_t *outlen)
{
	size_t total = 0, i, pos = 0;
	unsigned char *p;

	for (i = 0; i < n; i++)
		total += 4 + strlen(parts[i]);
	p = malloc(total);
	if (p == NULL)
		return JD_E_NOMEM;
	for (i = 0; i < n; i++) {
		size_t len = strlen(parts[i]);

		p[pos++] = (unsigned char)(len >> 24);
		p[pos++] = (unsigned char)(len >> 16);
		p[pos++] = (unsigned char)(len >> 8);
		p[pos++] = (unsigned char)len;
		memcpy(p + pos, parts[i], len);
		pos += len;
	}
	*out = p;
	*outlen = total;
	return JD_OK;
}

static int seal_ad(const char *key_id, const struct jd_seal_ad *ad, unsigned char **out,
		   size_t *outlen)
{
	const char *parts[7] = {"jd-seal", "1", key_id, NULL, NULL, NULL, NULL};

	if (ad == NULL || !part_ok(ad->tenant) || !part_ok(ad->record_type) ||
	    !part_ok(ad->record_id) || !part_ok(ad->field))
		return JD_E_INVALID;
	parts[3] = ad->tenant;
	parts[4] = ad->record_type;
	parts[5] = ad->record_id;
	parts[6] = ad->field;
	return ad_build(parts, 7, out, outlen);
}

static int wrap_ad(const char *key_id, const char *label, unsigned char **out, size_t *outlen)
{
	const char *parts[4] = {"jd-wrap", "1", key_id, label};

	if (!part_ok(label))
		return JD_E_INVALID;
	return ad_build(parts, 4, out, outlen);
}

/* "<tag><format>.<key_id>.<payload>": format 1..9999 without leading zeros. */
static int parse_stored(const char *s, char tag, struct stored *st)
{
	const char *p, *dot;
	size_t n;

	if (s == NULL || s[0] != tag || s[1] < '1' || s[1] > '9')
		return JD_E_INVALID;
	st->format = 0;
	for (p = s + 1; *p >= '0' && *p <= '9'; p++) {
		st->format = st->format * 10 + (unsigned)(*p - '0');
		if (st->format > MAX_FORMAT)
			return JD_E_INVALID;
	}
	if (*p != '.')
		return JD_E_INVALID;
	dot = strchr(++p, '.');
	if (dot == NULL || (n = (size_t)(dot - p)) > JD_KEY_ID_MAX)
		return JD_E_INVALID;
	memcpy(st->key_id, p, n);
	st->key_id[n] = '\0';
	if (!key_id_ok(st->key_id))
		return JD_E_INVALID;
	st->payload = dot + 1;
	st->payload_len = strlen(st->payload);
	return JD_OK;
}

/*
 * Decodes a payload into a malloc'd buffer of nonce | ciphertext | tag.
 * Strict: URL-safe alphabet, no padding, nothing ignored, canonical final
 * bits (libsodium refuses non-zero leftover bits), a nonce and a tag at least.
 */
static int decode_payload(const struct stored *st, size_t max_raw, unsigned char **raw,
			  size_t *rawlen)
{
	size_t cap = st->payload_len / 4 * 3 + 3;
	unsigned char *p;

	if (st->payload_len > max_raw / 3 * 4 + 4)
		return JD_E_INVALID;
	p = malloc(cap);
	if (p == NULL)
		return JD_E_NOMEM;
	if (sodium_base642bin(p, cap, st->payload, st->payload_len, NULL, rawlen, NULL, B64) != 0 ||
	    *rawlen < NONCE_BYTES + TAG_BYTES || *rawlen > max_raw) {
		free(p);
		return JD_E_INVALID;
	}
	*raw = p;
	return JD_OK;
}

/* "<tag>1.<key_id>." then base64url(raw) and its NUL */
static size_t stored_len(const char *key_id, size_t rawlen)
{
	return 3 + strlen(key_id) + 1 + sodium_base64_ENCODED_LEN(rawlen, B64);
}

/* Writes "<tag>1.<key_id>.<base64url(raw)>" and its NUL: format 1 is the only one written. */
static int format_stored(char tag, const char *key_id, const unsigned char *raw, size_t rawlen,
			 char *dst, size_t dstlen)
{
	size_t head = 3 + strlen(key_id) + 1;

	/* sodium_bin2base64 aborts the process on a short buffer: check first */
	if (dstlen < stored_len(key_id, rawlen))
		return JD_E_INVALID;
	dst[0] = tag;
	dst[1] = '1';
	dst[2] = '.';
	memcpy(dst + 3, key_id, head - 4);
	dst[head - 1] = '.';
	sodium_bin2base64(dst + head, dstlen - head, raw, rawlen, B64);
	return JD_OK;
}

int jd_subkey(unsigned char out[JD_KEY_BYTES], const unsigned char key[JD_KEY_BYTES],
	      enum jd_subkey which)
{
	const char *ctx;

	switch (which) {
	case JD_SUBKEY_FIELD:
		ctx = "jdseal__";
		break;
	case JD_SUBKEY_BLIND:
		ctx = "jdblind_";
		break;
	case JD_SUBKEY_WRAP:
		ctx = "jdwrap__";
		break;
	default:
		return JD_E_INVALID;
	}
	if (out == NULL || key == NULL)
		return JD_E_INVALID;
	if (crypto_kdf_derive_from_key(out, JD_KEY_BYTES, 1, ctx, key) != 0)
		return JD_ERR;
	return JD_OK;
}

int jd_key_wrap(const unsigned char kek[JD_KEY_BYTES], const char *key_id, const char *label,
		const unsigned char key[JD_KEY_BYTES], char *out, size_t outlen)
{
	unsigned char raw[WRAP_RAW];
	unsigned char *ad = NULL;
	size_t adlen = 0;
	int rc;

	if (kek == NULL || key == NULL || out == NULL || !key_id_ok(key_id))
		return JD_E_INVALID;
	if (sodium_init() < 0)
		return JD_ERR;
	if ((rc = wrap_ad(key_id, label, &ad, &adlen)) != JD_OK)
		return rc;
	randombytes_buf(raw, NONCE_BYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(raw + NONCE_BYTES, NULL, key, JD_KEY_BYTES,
						       ad, adlen, NULL, raw, kek) != 0) {
		rc = JD_ERR;
		goto cleanup;
	}
	rc = format_stored('w', key_id, raw, sizeof raw, out, outlen);
cleanup:
	free(ad);
	return rc;
}

int jd_key_wrapped_id(const char *wrapped, char *key_id, size_t len)
{
	struct stored st;
	int rc;

	if (key_id == NULL)
		return JD_E_INVALID;
	if ((rc = parse_stored(wrapped, 'w', &st)) != JD_OK)
		return rc;
	if (st.format != JD_SEAL_FORMAT || strlen(st.key_id) >= len)
		return JD_E_INVALID;
	memcpy(key_id, st.key_id, strlen(st.key_id) + 1);
	return JD_OK;
}

int jd_key_unwrap(const unsigned char kek[JD_KEY_BYTES], const char *label, const char *wrapped,
		  unsigned char key[JD_KEY_BYTES])
{
	struct stored st;
	unsigned char *raw = NULL, *ad = NULL;
	size_t rawlen = 0, adlen = 0;
	int rc;

	if (key == NULL)
		return JD_E_INVALID;
	sodium_memzero(key, JD_KEY_BYTES);
	if (kek == NULL)
		return JD_E_INVALID;
	if ((rc = parse_stored(wrapped, 'w', &st)) != JD_OK)
		return rc;
	if (st.format != JD_SEAL_FORMAT)
		return JD_E_INVALID;
	if ((rc = decode_payload(&st, WRAP_RAW, &raw, &rawlen)) != JD_OK)
		return rc;
	if (rawlen != WRAP_RAW) {
		rc = JD_E_INVALID;
		goto cleanup;
	}
	if ((rc = wrap_ad(st.key_id, label, &ad, &adlen)) != JD_OK)
		goto cleanup;
	/* authenticated before anything is written: a failure leaves key zeroed */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL, raw + NONCE_BYTES,
						       rawlen - NONCE_BYTES, ad, adlen, raw,
						       kek) != 0) {
		sodium_memzero(key, JD_KEY_BYTES);
		rc = JD_E_FORBIDDEN;
	}
cleanup:
	free(raw);
	free(ad);
	return rc;
}

int jd_seal(const unsigned char key[JD_KEY_BYTES], const char *key_id, const struct jd_seal_ad *ad,
	    const unsigned char *plain, size_t len, char **out)
{
	static const unsigned char empty[1];
	unsigned char *adb = NULL, *raw = NULL;
	size_t adlen = 0, rawlen = NONCE_BYTES + len + TAG_BYTES;
	char *s = NULL;
	int rc;

	if (out == NULL)
		return JD_E_INVALID;
	*out = NULL;
	if (key == NULL || !key_id_ok(key_id) || (plain == NULL && len > 0) ||
	    len > JD_SEAL_MAX_PLAIN)
		return JD_E_INVALID;
	if (sodium_init() < 0)
		return JD_ERR;
	if ((rc = seal_ad(key_id, ad, &adb, &adlen)) != JD_OK)
		return rc;
	raw = malloc(rawlen);
	s = malloc(stored_len(key_id, rawlen));
	if (raw == NULL || s == NULL) {
		rc = JD_E_NOMEM;
		goto cleanup;
	}
	randombytes_buf(raw, NONCE_BYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(raw + NONCE_BYTES, NULL,
						       plain != NULL ? plain : empty, len, adb,
						       adlen, NULL, raw, key) != 0) {
		rc = JD_ERR;
		goto cleanup;
	}
	if ((rc = format_stored('s', key_id, raw, rawlen, s, stored_len(key_id, rawlen))) != JD_OK)
		goto cleanup;
	*out = s;
	s = NULL;
cleanup:
	free(s);
	free(raw);
	free(adb);
	return rc;
}

int jd_sealed_info(const char *sealed, unsigned *format, char *key_id, size_t len)
{
	struct stored st;
	int rc;

	if ((rc = parse_stored(sealed, 's', &st)) != JD_OK)
		return rc;
	if (key_id != NULL) {
		if (strlen(st.key_id) >= len)
			return JD_E_INVALID;
		memcpy(key_id, st.key_id, strlen(st.key_id) + 1);
	}
	if (format != NULL)
		*format = st.format;
	return JD_OK;
}

/*
 * A plaintext's buffer: its length stored before it, so that jd_plain_free
 * can wipe all of it.  Plain heap, not sodium_malloc: the text goes on into
 * JSON and the response's buffers anyway, and a guarded allocation per
 * field (mmap, mlock, mprotect, munmap) was most of a sealed read's system
 * time.  What guarded pages are for, long-lived keys, keep them.
 */
struct plain_buf {
	size_t len;
	unsigned char text[];
};

static struct plain_buf *plain_buf_of(unsigned char *text)
{
	return (struct plain_buf *)(void *)(text - offsetof(struct plain_buf, text));
}

/* Authenticates, then decrypts into a fresh buffer handed over only on success. */
static int open_raw(const unsigned char *key, const unsigned char *raw, size_t rawlen,
		    const unsigned char *ad, size_t adlen, unsigned char **plain, size_t *len)
{
	size_t mlen = rawlen - NONCE_BYTES - TAG_BYTES;
	unsigned char *text;
	struct plain_buf *b = malloc(sizeof(*b) + mlen + 1);

	if (b == NULL)
		return JD_E_NOMEM;
	b->len = mlen + 1;
	text = b->text;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(text, NULL, NULL, raw + NONCE_BYTES,
						       rawlen - NONCE_BYTES, ad, adlen, raw,
						       key) != 0) {
		sodium_memzero(b, sizeof(*b) + b->len);
		free(b);
		return JD_E_FORBIDDEN;
	}
	text[mlen] = '\0';
	*plain = text; /* jd_plain_free finds b again */
	*len = mlen;
	return JD_OK;
}

int jd_open(const unsigned char key[JD_KEY_BYTES], const struct jd_seal_ad *ad, const char *sealed,
	    unsigned char **plain, size_t *len)
{
	struct stored st;
	unsigned char *raw = NULL, *adb = NULL;
	size_t rawlen = 0, adlen = 0;
	int rc;

	if (plain == NULL || len == NULL)
		return JD_E_INVALID;
	*plain = NULL;
	*len = 0;
	if (key == NULL)
		return JD_E_INVALID;
	if (sodium_init() < 0)
		return JD_ERR;
	if ((rc = parse_stored(sealed, 's', &st)) != JD_OK)
		return rc;
	if (st.format != JD_SEAL_FORMAT)
		return JD_E_INVALID;
	rc = decode_payload(&st, NONCE_BYTES + JD_SEAL_MAX_PLAIN + TAG_BYTES, &raw, &rawlen);
	if (rc != JD_OK)
		return rc;
	if ((rc = seal_ad(st.key_id, ad, &adb, &adlen)) == JD_OK)
		rc = open_raw(key, raw, rawlen, adb, adlen, plain, len);
	free(raw);
	free(adb);
	return rc;
}

void jd_plain_free(unsigned char *plain)
{
	struct plain_buf *b;

	if (plain == NULL)
		return;
	b = plain_buf_of(plain);
	sodium_memzero(b->text, b->len);
	free(b);
}

/*
 * Decodes one UTF-8 sequence at s into *cp and returns its length, or 0
 * when it is not well-formed: overlong forms, surrogates, code points
 * above U+10FFFF and truncated sequences are refused (RFC 3629).
 */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;
	uint32_t min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		min = 0x80;
		*cp = s[0] & 0x1Fu;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		min = 0x800;
		*cp = s[0] & 0x0Fu;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		min = 0x10000;
		*cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	/* a NUL terminator is not a continuation byte, so this stops at the end */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3Fu);
	}
	if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
		return 0;
	return n;
}

/* The six ASCII white-space characters of the C locale. */
static int is_space(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r');
}

/* Normalises value into out (room for strlen(value) + 1: it never grows). */
static int normalise_into(const char *value, char *out)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t o = 0, n;
	uint32_t cp;
	int space = 0;

	for (; *s != '\0'; s += n) {
		if ((n = utf8_next(s, &cp)) == 0)
			return JD_E_INVALID;
		if (cp == 0x3000)
			cp = ' ';
		else if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		if (is_space(cp)) {
			space = o > 0; /* leading space is dropped, inner runs become one */
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		if (cp < 0x80) {
			out[o++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);
		} else {
			memcpy(out + o, s, n);
			o += n;
		}
	}
	out[o] = '\0'; /* a trailing run was never written */
	return JD_OK;
}

char *jd_blind_normalise(const char *value)
{
	size_t len;
	char *out;

	if (value == NULL || (len = strnlen(value, JD_BLIND_MAX_INPUT + 1)) > JD_BLIND_MAX_INPUT)
		return NULL;
	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	if (normalise_into(value, out) != JD_OK) {
		sodium_memzero(out, len + 1);
		free(out);
		return NULL;
	}
	return out;
}

/* BLAKE2b-256 keyed with the blind root over "record_type.field". */
static int field_index_key(unsigned char fk[JD_KEY_BYTES], const unsigned char *root,
			   const char *record_type, const char *field)
{
	crypto_generichash_state h;
	int rc = JD_ERR;

	if (crypto_generichash_init(&h, root, JD_KEY_BYTES, JD_KEY_BYTES) != 0)
		goto cleanup;
	if (crypto_generichash_update(&h, (const unsigned char *)record_type,
				      strlen(record_type)) != 0 ||
	    crypto_generichash_update(&h, (const unsigned char *)".", 1) != 0 ||
	    crypto_generichash_update(&h, (const unsigned char *)field, strlen(field)) != 0)
		goto cleanup;
	if (crypto_generichash_final(&h, fk, JD_KEY_BYTES) != 0)
		goto cleanup;
	rc = JD_OK;
cleanup:
	sodium_memzero(&h, sizeof h); /* the state holds the keyed first block */
	return rc;
}

int jd_blind_index(const unsigned char blind_root[JD_KEY_BYTES], const char *record_type,
		   const char *field, const char *value, char out[2 * JD_BLIND_BYTES + 1])
{
	char norm[JD_BLIND_MAX_INPUT + 1];
	unsigned char fk[JD_KEY_BYTES], idx[JD_BLIND_BYTES];
	int rc;

	/* a '.' in the type would let ("a.b", "c") and ("a", "b.c") share a key */
	if (blind_root == NULL || out == NULL || !part_ok(record_type) ||
	    strchr(record_type, '.') != NULL || !part_ok(field) || value == NULL ||
	    strnlen(value, JD_BLIND_MAX_INPUT + 1) > JD_BLIND_MAX_INPUT)
		return JD_E_INVALID;
	if ((rc = normalise_into(value, norm)) != JD_OK)
		goto cleanup;
	if ((rc = field_index_key(fk, blind_root, record_type, field)) != JD_OK)
		goto cleanup;
	if (crypto_generichash(idx, sizeof idx, (const unsigned char *)norm, strlen(norm), fk,
			       sizeof fk) != 0) {
		rc = JD_ERR;
		goto cleanup;
	}
	sodium_bin2hex(out, 2 * JD_BLIND_BYTES + 1, idx, sizeof idx);
cleanup:
	sodium_memzero(norm, sizeof norm);
	sodium_memzero(fk, sizeof fk);
	sodium_memzero(idx, sizeof idx);
	return rc;
}
