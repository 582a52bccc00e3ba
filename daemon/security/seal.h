/*
 * Field sealing, key wrapping and blind indexes: pure functions over keys
 * held by the caller.  XChaCha20-Poly1305 (libsodium's IETF construction)
 * with associated data that binds every sealed value to where it belongs;
 * BLAKE2b keyed hashes for blind indexes.  No I/O, no global state.
 *
 * Key hierarchy (docs/security.md):
 *   master key v (keyring)  --wraps-->  tenant key (random, one per tenant)
 *   tenant key --crypto_kdf "jdseal__"--> field key   (seals ordinary fields)
 *   tenant key --crypto_kdf "jdblind_"--> blind root  (--BLAKE2b per field--> index keys)
 *   tenant key --crypto_kdf "jdwrap__"--> record-key wrapping key
 *   record key (random, one per shreddable record, wrapped) seals that record's fields
 */
#ifndef JD_SEAL_H
#define JD_SEAL_H

#include <stddef.h>

#define JD_KEY_BYTES   32
#define JD_BLIND_BYTES 16 /* blind index length: 128 bits, hex-encoded to 32 chars */
#define JD_SEAL_FORMAT 1
#define JD_KEY_ID_MAX  16 /* key ids: 1..16 of [A-Za-z0-9_-] */
/* Room for a wrapped key with the longest key id: "w1." id "." 96 base64url chars, NUL. */
#define JD_WRAPPED_MAX	   (3 + JD_KEY_ID_MAX + 1 + 96 + 1)
#define JD_SEAL_MAX_PLAIN  (16u << 20) /* longest plaintext jd_seal accepts */
#define JD_BLIND_MAX_INPUT 4096	       /* longest value (bytes) normalised or indexed */

enum jd_subkey { JD_SUBKEY_FIELD = 1, JD_SUBKEY_BLIND = 2, JD_SUBKEY_WRAP = 3 };

/* Where a sealed value belongs: all of it is bound as associated data.
 * Each member is required, non-empty, at most 4096 bytes. */
struct jd_seal_ad {
	const char *tenant;
	const char *record_type; /* "lead" */
	const char *record_id;
	const char *field; /* "reporter_name" */
};

/* Derives a purpose-specific subkey (crypto_kdf, distinct 8-byte contexts). */
int jd_subkey(unsigned char out[JD_KEY_BYTES], const unsigned char key[JD_KEY_BYTES],
	      enum jd_subkey which);

/*
 * Wraps a key (tenant key under a master key, or record key under a wrap
 * subkey).  key_id names the wrapping key ("m3" for master version 3, "t"
 * for a tenant's wrap subkey); label binds the wrapped key to its owner
 * ("tenant:<t>" or "record:<t>:<type>:<id>").  Output: NUL-terminated
 * "w1.<key_id>.<base64url(nonce | ciphertext)>".  JD_OK or JD_E_INVALID.
 */
int jd_key_wrap(const unsigned char kek[JD_KEY_BYTES], const char *key_id, const char *label,
		const unsigned char key[JD_KEY_BYTES], char *out, size_t outlen);
/* The key_id a wrapped value names (so the caller can pick the KEK).
 * JD_E_INVALID for a malformed value, an unknown format or len too small. */
int jd_key_wrapped_id(const char *wrapped, char *key_id, size_t len);
/* JD_OK, or JD_E_INVALID for a malformed value, JD_E_FORBIDDEN when it does not open. */
int jd_key_unwrap(const unsigned char kek[JD_KEY_BYTES], const char *label, const char *wrapped,
		  unsigned char key[JD_KEY_BYTES]);

/*
 * Seals plaintext.  key_id names the sealing key (e.g. "t1" for tenant key
 * generation 1, "r" for the record's own key) and is bound too.  Output is
 * malloc'd, NUL-terminated "s1.<key_id>.<base64url(nonce | ciphertext)>".
 */
int jd_seal(const unsigned char key[JD_KEY_BYTES], const char *key_id, const struct jd_seal_ad *ad,
	    const unsigned char *plain, size_t len, char **out);
/* The format version and key id of a sealed value (without opening it). */
int jd_sealed_info(const char *sealed, unsigned *format, char *key_id, size_t len);
/*
 * Opens a sealed value.  *plain is heap memory (free with jd_plain_free,
 * which wipes it), NUL-terminated, *len without the NUL.
 * JD_E_INVALID: malformed or unknown format.  JD_E_FORBIDDEN: does not
 * open (wrong key, tampered, or moved to another record or field).
 */
int jd_open(const unsigned char key[JD_KEY_BYTES], const struct jd_seal_ad *ad, const char *sealed,
	    unsigned char **plain, size_t *len);
void jd_plain_free(unsigned char *plain);

/*
 * Normalises a value for equality search: Unicode NFKC is out of reach
 * without ICU, so: trim ASCII space, collapse inner runs of space to one,
 * ASCII letters to lower case, full-width ASCII (U+FF01..U+FF5E) to
 * ASCII, ideographic space (U+3000) to space.  Output malloc'd.  "ASCII
 * space" is the six C-locale white-space characters (space, \t \n \v \f \r).
 * NULL for NULL, a value over JD_BLIND_MAX_INPUT bytes, invalid UTF-8 or
 * no memory.
 */
char *jd_blind_normalise(const char *value);
/*
 * Blind index of value for (record_type, field): BLAKE2b-128 keyed with
 * BLAKE2b-256(blind_root, "record_type.field") over the normalised value,
 * hex-encoded into out (33 bytes with NUL).  JD_E_INVALID for a value
 * jd_blind_normalise refuses, an empty record_type or field, or a '.' in
 * record_type (which would make "record_type.field" ambiguous).
 */
int jd_blind_index(const unsigned char blind_root[JD_KEY_BYTES], const char *record_type,
		   const char *field, const char *value, char out[2 * JD_BLIND_BYTES + 1]);

#endif
