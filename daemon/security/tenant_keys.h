/*
 * Per-tenant data keys for sealed fields and blind indexes.
 *
 * Each tenant has one random 32-byte tenant key.  Redis holds it only
 * wrapped under a master key of the keyring, at the tenant's relative key
 * "keys:tenant" (a hash: "wrapped" = jd_key_wrap(master v, "m<v>",
 * "tenant:<t>", key), "created", "master_version"), created on first use by
 * a store mutation that expects the record not to exist: two workers racing
 * both try, the loser gets a conflict and reads the winner's key.
 *
 * Unwrapped keys and their subkeys (field, blind root, wrap) are cached in
 * sodium_malloc memory (guard pages, locked, read-only), for a bounded number of
 * tenants (least recently used evicted, wiped on eviction and on free).
 */
#ifndef JD_TENANT_KEYS_H
#define JD_TENANT_KEYS_H

#include <stddef.h>

#include "security/seal.h"

#define JD_TENANT_KEYS_RECORD	"keys:tenant"
#define JD_TENANT_KEYS_CAPACITY 256  /* tenants whose keys stay cached */
#define JD_TENANT_SEAL_KEY_ID	"t1" /* key id of values sealed under a tenant's field key */

/*
 * The index of tenants that have a key, for rotation (keys rewrap, keys
 * status): a sorted set "jd:{_sys}:keys:tenants", member the tenant, score
 * the creation time, so that a cursor (an offset) stays valid while new
 * tenants are added behind it.  Written after a tenant key is created, by a
 * separate mutation of the system tenant's record "keys:index" (best effort,
 * idempotent).
 */
#define JD_KEYS_SYS_TENANT    "_sys"
#define JD_KEYS_INDEX_RECORD  "keys:index"
#define JD_KEYS_TENANTS_INDEX "keys:tenants"

struct event_base;
struct jd_store;
struct jd_keyring;
struct jd_tenant_keys;

typedef void (*jd_tenant_keys_cb)(int rc, void *arg);

/* capacity 0 means JD_TENANT_KEYS_CAPACITY.  The keyring and store must outlive it. */
struct jd_tenant_keys *jd_tenant_keys_new(struct event_base *base, struct jd_store *store,
					  const struct jd_keyring *kr, unsigned min_version,
					  size_t capacity);
/*
 * Call before jd_store_free: callbacks waiting for a cached key run now
 * with JD_E_UNAVAILABLE; loads in flight finish (failing) when the store
 * fails them, and the memory goes with the last one.  Every key is wiped.
 */
void jd_tenant_keys_free(struct jd_tenant_keys *tk);

/*
 * Loads (or on first use creates) the tenant's key.  JD_OK: cb runs
 * exactly once, later, from the loop, never inside this call: with JD_OK
 * (the key is cached and stays so at least until cb returns),
 * JD_E_FORBIDDEN (wrapped under a master version the keyring lacks or
 * that is below min_key_version, or it does not unwrap),
 * JD_E_UNAVAILABLE, JD_E_TIMEOUT or JD_ERR.  Otherwise (JD_E_INVALID for a
 * bad tenant, JD_E_NOMEM, JD_E_UNAVAILABLE) cb does not run.
 */
int jd_tenant_keys_ready(struct jd_tenant_keys *tk, const char *tenant, jd_tenant_keys_cb cb,
			 void *arg);

/*
 * Uses kr from now on for unwrapping and wrapping (a reload with a rotated
 * keyring).  Nothing of the old keyring is kept: master keys are used only
 * during a call, and cached tenant keys are unwrapped copies, which a
 * rotation does not change.  The caller may free the old keyring after this.
 */
void jd_tenant_keys_set_keyring(struct jd_tenant_keys *tk, const struct jd_keyring *kr);

/* The master version a wrapped tenant key names ("w1.m<v>.…"); 0 when malformed. */
unsigned jd_tenant_keys_wrapped_version(const char *wrapped);

/*
 * Re-wraps a tenant's stored wrapped key under the keyring's active master
 * version (the tenant key itself stays the same; it is wiped here).  out
 * receives the new wrapped value, *from and *to the versions.  JD_E_INVALID:
 * malformed; JD_E_FORBIDDEN: the keyring lacks the old version or it does
 * not unwrap; JD_E_NOMEM.
 */
int jd_tenant_keys_rewrap(struct jd_tenant_keys *tk, const char *tenant, const char *wrapped,
			  char *out, size_t outlen, unsigned *from, unsigned *to);

/* 1 when the tenant's keys are cached now. */
int jd_tenant_keys_cached(struct jd_tenant_keys *tk, const char *tenant);

/*
 * The operations, with a cached key (JD_E_NOTFOUND when it is not cached:
 * call jd_tenant_keys_ready again).  *out malloc'd "s1.t1.<...>".
 */
int jd_tenant_seal(struct jd_tenant_keys *tk, const struct jd_seal_ad *ad, const char *plain,
		   char **out);
/* *plain to free with jd_plain_free (it wipes).  JD_E_FORBIDDEN: does not open. */
int jd_tenant_open(struct jd_tenant_keys *tk, const struct jd_seal_ad *ad, const char *sealed,
		   unsigned char **plain, size_t *len);
int jd_tenant_blind(struct jd_tenant_keys *tk, const char *tenant, const char *record_type,
		    const char *field, const char *value, char out[2 * JD_BLIND_BYTES + 1]);

/*
 * Record keys (crypto-shredding): a random 32-byte key per record, stored
 * by the plugin in the record itself, wrapped under the tenant's wrap
 * subkey (jd_key_wrap, key id "t", label "record:<t>:<type>:<id>").  It is
 * unwrapped only during a call and wiped before the call returns.  Values
 * sealed under it are "s1.r.<...>".  A ':' in the tenant or record type is
 * refused (JD_E_INVALID): it would make the label ambiguous.
 */
#define JD_RECORD_WRAP_KEY_ID "t"  /* key id of record keys wrapped under a tenant's wrap subkey */
#define JD_RECORD_SEAL_KEY_ID "r"  /* key id of values sealed under a record key */
#define JD_RECORD_LABEL_MAX   4097 /* "record:<t>:<type>:<id>" and NUL (labels: 4096 bytes) */

/* A new record key, wrapped into out (JD_WRAPPED_MAX bytes suffice).  JD_E_NOTFOUND: not cached. */
int jd_tenant_record_key_new(struct jd_tenant_keys *tk, const char *tenant, const char *record_type,
			     const char *record_id, char *out, size_t outlen);
/* As jd_tenant_seal, under the record key that `wrapped` holds: *out "s1.r.<...>". */
int jd_tenant_seal_rk(struct jd_tenant_keys *tk, const struct jd_seal_ad *ad, const char *wrapped,
		      const char *plain, char **out);
/*
 * As jd_tenant_open, under the record key that `wrapped` holds.
 * JD_E_INVALID: malformed or not "s1.r." / "w1.t."; JD_E_FORBIDDEN: the
 * wrapped key is another record's, or the value does not open under it.
 */
int jd_tenant_open_rk(struct jd_tenant_keys *tk, const struct jd_seal_ad *ad, const char *wrapped,
		      const char *sealed, unsigned char **plain, size_t *len);

#endif
