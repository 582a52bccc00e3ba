/*
 * Per-tenant data keys: loaded from Redis (wrapped), created on first use,
 * cached unwrapped in sodium_malloc memory for a bounded number of tenants.
 */
#include "security/tenant_keys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sodium.h>

#include "security/keyring.h"
#include "runtime/log.h"
#include "storage/store.h"

#define CREATE_RETRIES 1 /* a lost creation race reads the winner's key once more */

/*
 * The key material of one tenant: one sodium_malloc block (guard pages
 * around it, locked, left out of core dumps), read-only once derived.  It
 * is not toggled to no-access between uses: that cost two mprotect calls
 * per sealed field, and a linear over-read from the heap meets the guard
 * page first anyway.
 */
struct tk_keys {
	unsigned char tenant[JD_KEY_BYTES];
	unsigned char field[JD_KEY_BYTES];
	unsigned char blind[JD_KEY_BYTES];
	unsigned char wrap[JD_KEY_BYTES];
};

struct tk_waiter {
	jd_tenant_keys_cb cb;
	void *arg;
	struct tk_entry *entry; /* pinned until cb has run (deferred waiters) */
	struct tk_waiter *next;
};

enum tk_state { TK_LOADING, TK_READY };

struct tk_entry {
	struct jd_tenant_keys *tk;
	char tenant[65];
	enum tk_state state;
	unsigned pins;
	int retries;
	struct tk_keys *keys;	   /* NULL until loaded (or being created) */
	struct tk_waiter *waiters; /* while loading */
	struct tk_entry *prev, *next;
};

struct jd_tenant_keys {
	struct event_base *base;
	struct jd_store *store;
	const struct jd_keyring *kr;
	unsigned min_version;
	size_t capacity, n;
	struct tk_entry *head, *tail; /* most recently used first */
	struct event *due_ev;
	struct tk_waiter *due, *due_tail; /* cached-key callbacks to run from the loop */
	unsigned inflight;		  /* store calls whose callback has not run */
	int closing;
	/* a record key while it is used: locked once, wiped after each use */
	unsigned char *scratch;
	int scratch_busy;
};

/* ---- the list ---------------------------------------------------------------- */

static void unlink_entry(struct jd_tenant_keys *tk, struct tk_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		tk->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		tk->tail = e->prev;
	e->prev = e->next = NULL;
	tk->n--;
}

static void push_front(struct jd_tenant_keys *tk, struct tk_entry *e)
{
	e->prev = NULL;
	e->next = tk->head;
	if (tk->head)
		tk->head->prev = e;
	tk->head = e;
	if (tk->tail == NULL)
		tk->tail = e;
	tk->n++;
}

static void touch(struct jd_tenant_keys *tk, struct tk_entry *e)
{
	if (tk->head == e)
		return;
	unlink_entry(tk, e);
	push_front(tk, e);
}

static struct tk_entry *find(struct jd_tenant_keys *tk, const char *tenant)
{
	for (struct tk_entry *e = tk->head; e; e = e->next)
		if (strcmp(e->tenant, tenant) == 0)
			return e;
	return NULL;
}

static void keys_free(struct tk_keys *k)
{
	if (k != NULL)
		sodium_free(k); /* wipes */
}

static void entry_free(struct tk_entry *e)
{
	keys_free(e->keys);
	free(e);
}

/* Evicts least recently used idle entries while over capacity. */
static void evict(struct jd_tenant_keys *tk)
{
	struct tk_entry *e = tk->tail;

	while (tk->n > tk->capacity && e != NULL) {
		struct tk_entry *prev = e->prev;

		if (e->state == TK_READY && e->pins == 0) {
			unlink_entry(tk, e);
			jd_debug("tenant key evicted from the cache", "tenant=%s", e->tenant);
			entry_free(e);
		}
		e = prev;
	}
}

/* ---- callbacks ------------------------------------------------------------- */

static void run_due(evutil_socket_t fd, short what, void *arg)
{
	struct jd_tenant_keys *tk = arg;
	struct tk_waiter *w = tk->due;

	(void)fd;
	(void)what;
	tk->due = tk->due_tail = NULL;
	while (w != NULL) {
		struct tk_waiter *next = w->next;

		w->cb(JD_OK, w->arg);
		w->entry->pins--;
		free(w);
		w = next;
	}
	evict(tk);
}

/* Calls every waiter of a loaded entry (from a store callback: already "later"). */
static void finish_entry(struct jd_tenant_keys *tk, struct tk_entry *e, int rc)
{
	struct tk_waiter *w = e->waiters;

	e->waiters = NULL;
	if (rc == JD_OK) {
		e->state = TK_READY;
		e->pins++;
	} else {
		unlink_entry(tk, e);
	}
	while (w != NULL) {
		struct tk_waiter *next = w->next;

		w->cb(rc, w->arg);
		free(w);
		w = next;
	}
	if (rc == JD_OK) {
		e->pins--;
		evict(tk);
	} else {
		entry_free(e);
	}
}

static void maybe_release(struct jd_tenant_keys *tk)
{
	if (tk->closing && tk->inflight == 0) {
		if (tk->due_ev != NULL)
			event_free(tk->due_ev);
		sodium_free(tk->scratch); /* wipes; NULL is ignored */
		free(tk);
	}
}

/*
 * Room for one per-operation key (a record key, a key being rewrapped):
 * the locked scratch allocated once, or, should it be in use, a fresh
 * sodium_malloc block.  scratch_put wipes it.  Per-operation sodium_malloc
 * (mmap, mlock, four mprotect, munmap) was most of a sealed read's system
 * time.
 */
static unsigned char *scratch_take(struct jd_tenant_keys *tk)
{
	if (tk != NULL && tk->scratch != NULL && !tk->scratch_busy) {
		tk->scratch_busy = 1;
		return tk->scratch;
	}
	return sodium_malloc(JD_KEY_BYTES);
}

static void scratch_put(struct jd_tenant_keys *tk, unsigned char *key)
{
	if (key == NULL)
		return;
	if (tk != NULL && key == tk->scratch) {
		sodium_memzero(key, JD_KEY_BYTES);
		tk->scratch_busy = 0;
		return;
	}
	sodium_free(key); /* wipes */
}

/* ---- loading ----------------------------------------------------------------- */

static int derive(struct tk_keys *k)
{
	if (jd_subkey(k->field, k->tenant, JD_SUBKEY_FIELD) != JD_OK ||
	    jd_subkey(k->blind, k->tenant, JD_SUBKEY_BLIND) != JD_OK ||
	    jd_subkey(k->wrap, k->tenant, JD_SUBKEY_WRAP) != JD_OK)
		return JD_ERR;
	if (sodium_mprotect_readonly(k) != 0)
		return JD_ERR;
	return JD_OK;
}

/* "m<version>" -> version; 0 when malformed. */
static unsigned master_version_of(const char *key_id)
{
	unsigned long v = 0;

	if (key_id[0] != 'm' || key_id[1] < '1' || key_id[1] > '9')
		return 0;
	for (const char *p = key_id + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > 214748364ul)
			return 0;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	return v <= 2147483647ul ? (unsigned)v : 0;
}

static int unwrap_stored(struct jd_tenant_keys *tk, struct tk_entry *e, const char *wrapped)
{
	char key_id[JD_KEY_ID_MAX + 1], label[80];
	const unsigned char *master;
	unsigned version;
	int rc;

	if (wrapped == NULL || jd_key_wrapped_id(wrapped, key_id, sizeof(key_id)) != JD_OK ||
	    (version = master_version_of(key_id)) == 0) {
		jd_err("tenant key unreadable", "tenant=%s reason=\"malformed wrapped key in %s\"",
		       e->tenant, JD_TENANT_KEYS_RECORD);
		return JD_ERR;
	}
	if (version < tk->min_version) {
		jd_err("tenant key refused",
		       "tenant=%s master_version=%u min_key_version=%u "
		       "reason=\"wrapped under a master version below security.min_key_version; "
		       "run jianductl keys rewrap\"",
		       e->tenant, version, tk->min_version);
		return JD_E_FORBIDDEN;
	}
	master = jd_keyring_master(tk->kr, version);
	if (master == NULL) {
		jd_err("tenant key refused",
		       "tenant=%s master_version=%u reason=\"the keyring has no such master "
		       "version\"",
		       e->tenant, version);
		return JD_E_FORBIDDEN;
	}
	e->keys = sodium_malloc(sizeof(*e->keys));
	if (e->keys == NULL)
		return JD_E_NOMEM;
	snprintf(label, sizeof(label), "tenant:%s", e->tenant);
	rc = jd_key_unwrap(master, label, wrapped, e->keys->tenant);
	if (rc != JD_OK) {
		jd_err("tenant key refused",
		       "tenant=%s master_version=%u reason=\"the wrapped key does not open "
		       "(altered, or moved from another tenant)\"",
		       e->tenant, version);
		keys_free(e->keys);
		e->keys = NULL;
		return rc == JD_E_INVALID ? JD_ERR : JD_E_FORBIDDEN;
	}
	if (derive(e->keys) != JD_OK) {
		keys_free(e->keys);
		e->keys = NULL;
		return JD_ERR;
	}
	return JD_OK;
}

static int start_read(struct tk_entry *e);

static void on_indexed(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct jd_tenant_keys *tk = arg;

	(void)res;
	tk->inflight--;
	if (rc != JD_OK && !tk->closing)
		jd_warn("tenant not added to the key index; keys rewrap and keys status miss it "
			"until it is",
			"rc=%d", rc);
	maybe_release(tk);
}

/* Best effort: the tenant's key exists whether or not the index learns of it. */
static void index_tenant(struct jd_tenant_keys *tk, const char *tenant)
{
	char now[24];
	const char *set[] = {"updated", now, NULL};
	struct jd_op op = {JD_OP_ZADD, JD_KEYS_TENANTS_INDEX, tenant, now};
	struct jd_mutation m = {.tenant = JD_KEYS_SYS_TENANT,
				.record = JD_KEYS_INDEX_RECORD,
				.expect_version = JD_VERSION_ANY,
				.set = set,
				.ops = &op,
				.n_ops = 1,
				.action = "keys.tenant_index"};
	int rc;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	rc = jd_store_mutate(tk->store, &m, on_indexed, tk);
	if (rc == JD_OK)
		tk->inflight++;
	else
		jd_warn("tenant not added to the key index", "tenant=%s rc=%d", tenant, rc);
}

static void on_created(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct tk_entry *e = arg;
	struct jd_tenant_keys *tk = e->tk;

	(void)res;
	tk->inflight--;
	if (tk->closing) {
		rc = JD_E_UNAVAILABLE;
	} else if (rc == JD_OK) {
		if (derive(e->keys) == JD_OK) {
			jd_info("tenant key created", "tenant=%s master_version=%u", e->tenant,
				jd_keyring_active(tk->kr));
			index_tenant(tk, e->tenant);
		} else
			rc = JD_ERR;
	} else if (rc == JD_E_CONFLICT && e->retries < CREATE_RETRIES) {
		/* another worker created it first: read the winner's */
		jd_info("tenant key created by another worker; loading it", "tenant=%s", e->tenant);
		e->retries++;
		keys_free(e->keys);
		e->keys = NULL;
		rc = start_read(e);
		if (rc == JD_OK)
			return;
	} else if (rc == JD_E_CONFLICT) {
		rc = JD_ERR;
	}
	if (rc != JD_OK) {
		keys_free(e->keys);
		e->keys = NULL;
	}
	finish_entry(tk, e, rc);
	maybe_release(tk);
}

static int start_create(struct tk_entry *e)
{
	struct jd_tenant_keys *tk = e->tk;
	unsigned version = jd_keyring_active(tk->kr);
	const unsigned char *master = jd_keyring_master(tk->kr, version);
	char key_id[16], label[80], created[24], vtext[16], wrapped[JD_WRAPPED_MAX];
	int rc;

	if (master == NULL) {
		jd_err(
		    "tenant key not created",
		    "tenant=%s master_version=%u reason=\"the keyring has no active master key\"",
		    e->tenant, version);
		return JD_E_FORBIDDEN;
	}
	e->keys = sodium_malloc(sizeof(*e->keys));
	if (e->keys == NULL)
		return JD_E_NOMEM;
	randombytes_buf(e->keys->tenant, sizeof(e->keys->tenant));
	snprintf(key_id, sizeof(key_id), "m%u", version);
	snprintf(label, sizeof(label), "tenant:%s", e->tenant);
	snprintf(created, sizeof(created), "%lld", (long long)time(NULL));
	snprintf(vtext, sizeof(vtext), "%u", version);
	rc = jd_key_wrap(master, key_id, label, e->keys->tenant, wrapped, sizeof(wrapped));
	if (rc == JD_OK) {
		const char *set[] = {"wrapped",	       wrapped, "created", created,
				     "master_version", vtext,	NULL};
		const struct jd_mutation m = {.tenant = e->tenant,
					      .record = JD_TENANT_KEYS_RECORD,
					      .expect_version = JD_VERSION_NEW,
					      .set = set,
					      .action = "keys.tenant_create"};

		rc = jd_store_mutate(tk->store, &m, on_created, e);
	}
	if (rc != JD_OK) {
		keys_free(e->keys);
		e->keys = NULL;
		return rc;
	}
	tk->inflight++;
	return JD_OK;
}

static void on_read(int rc, json_t *result, void *arg)
{
	struct tk_entry *e = arg;
	struct jd_tenant_keys *tk = e->tk;

	tk->inflight--;
	if (tk->closing)
		rc = JD_E_UNAVAILABLE;
	else if (rc == JD_OK && json_array_size(result) == 0) {
		/* first use; after a lost race the winner's key must be there */
		rc = e->retries > 0 ? JD_ERR : start_create(e);
		if (rc == JD_OK)
			return; /* on_created finishes */
	} else if (rc == JD_OK) {
		rc = unwrap_stored(tk, e, jd_hgetall_field(result, "wrapped"));
	}
	if (rc != JD_OK)
		jd_warn("tenant key not available", "tenant=%s rc=%d", e->tenant, rc);
	finish_entry(tk, e, rc);
	maybe_release(tk);
}

static int start_read(struct tk_entry *e)
{
	const char *argv[] = {"HGETALL", JD_TENANT_KEYS_RECORD};
	int rc = jd_store_read(e->tk->store, e->tenant, 2, argv, on_read, e);

	if (rc == JD_OK)
		e->tk->inflight++;
	return rc;
}

/* ---- API ------------------------------------------------------------------------ */

struct jd_tenant_keys *jd_tenant_keys_new(struct event_base *base, struct jd_store *store,
					  const struct jd_keyring *kr, unsigned min_version,
					  size_t capacity)
{
	struct jd_tenant_keys *tk;

	if (base == NULL || store == NULL || kr == NULL)
		return NULL;
	tk = calloc(1, sizeof(*tk));
	if (tk == NULL)
		return NULL;
	tk->base = base;
	tk->store = store;
	tk->kr = kr;
	tk->min_version = min_version;
	tk->capacity = capacity ? capacity : JD_TENANT_KEYS_CAPACITY;
	tk->due_ev = event_new(base, -1, 0, run_due, tk);
	tk->scratch = sodium_malloc(JD_KEY_BYTES);
	if (tk->due_ev == NULL || tk->scratch == NULL) {
		if (tk->due_ev != NULL)
			event_free(tk->due_ev);
		sodium_free(tk->scratch);
		free(tk);
		return NULL;
	}
	return tk;
}

void jd_tenant_keys_free(struct jd_tenant_keys *tk)
{
	struct tk_waiter *w;
	struct tk_entry *e;

	if (tk == NULL)
		return;
	tk->closing = 1;
	event_del(tk->due_ev);
	w = tk->due;
	tk->due = tk->due_tail = NULL;
	while (w != NULL) {
		struct tk_waiter *next = w->next;

		w->cb(JD_E_UNAVAILABLE, w->arg);
		w->entry->pins--;
		free(w);
		w = next;
	}
	/* cached keys go now; entries still loading go with their store callback */
	e = tk->head;
	while (e != NULL) {
		struct tk_entry *next = e->next;

		if (e->state == TK_READY) {
			unlink_entry(tk, e);
			entry_free(e);
		}
		e = next;
	}
	maybe_release(tk);
}

int jd_tenant_keys_ready(struct jd_tenant_keys *tk, const char *tenant, jd_tenant_keys_cb cb,
			 void *arg)
{
	struct tk_waiter *w;
	struct tk_entry *e;
	int rc;

	if (tk == NULL || tk->closing)
		return JD_E_UNAVAILABLE;
	if (cb == NULL || !jd_store_tenant_valid(tenant))
		return JD_E_INVALID;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return JD_E_NOMEM;
	w->cb = cb;
	w->arg = arg;
	e = find(tk, tenant);
	if (e != NULL && e->state == TK_READY) {
		/* cached: run cb from the loop, with the entry pinned until then */
		touch(tk, e);
		e->pins++;
		w->entry = e;
		if (tk->due_tail)
			tk->due_tail->next = w;
		else
			tk->due = w;
		tk->due_tail = w;
		event_active(tk->due_ev, EV_TIMEOUT, 0);
		return JD_OK;
	}
	if (e != NULL) { /* loading: wait with the others */
		touch(tk, e);
		w->next = e->waiters;
		e->waiters = w;
		return JD_OK;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		free(w);
		return JD_E_NOMEM;
	}
	e->tk = tk;
	snprintf(e->tenant, sizeof(e->tenant), "%s", tenant);
	e->state = TK_LOADING;
	e->waiters = w;
	rc = start_read(e);
	if (rc != JD_OK) {
		free(w);
		free(e);
		return rc;
	}
	push_front(tk, e);
	evict(tk);
	return JD_OK;
}

void jd_tenant_keys_set_keyring(struct jd_tenant_keys *tk, const struct jd_keyring *kr)
{
	if (tk != NULL && kr != NULL)
		tk->kr = kr;
}

unsigned jd_tenant_keys_wrapped_version(const char *wrapped)
{
	char key_id[JD_KEY_ID_MAX + 1];

	if (wrapped == NULL || jd_key_wrapped_id(wrapped, key_id, sizeof(key_id)) != JD_OK)
		return 0;
	return master_version_of(key_id);
}

int jd_tenant_keys_rewrap(struct jd_tenant_keys *tk, const char *tenant, const char *wrapped,
			  char *out, size_t outlen, unsigned *from, unsigned *to)
{
	char key_id[16], label[80];
	const unsigned char *old_kek, *new_kek;
	unsigned char *key = NULL;
	int rc;

	*from = jd_tenant_keys_wrapped_version(wrapped);
	*to = 0;
	if (tk == NULL || tenant == NULL || !jd_store_tenant_valid(tenant) || *from == 0)
		return JD_E_INVALID;
	*to = jd_keyring_active(tk->kr);
	old_kek = jd_keyring_master(tk->kr, *from);
	new_kek = jd_keyring_master(tk->kr, *to);
	if (old_kek == NULL || new_kek == NULL)
		return JD_E_FORBIDDEN;
	key = scratch_take(tk);
	if (key == NULL)
		return JD_E_NOMEM;
	snprintf(label, sizeof(label), "tenant:%s", tenant);
	snprintf(key_id, sizeof(key_id), "m%u", *to);
	rc = jd_key_unwrap(old_kek, label, wrapped, key);
	if (rc != JD_OK) {
		rc = rc == JD_E_INVALID ? JD_E_INVALID : JD_E_FORBIDDEN;
		goto cleanup;
	}
	rc = jd_key_wrap(new_kek, key_id, label, key, out, outlen);
cleanup:
	scratch_put(tk, key);
	return rc;
}

/* The cached keys of a tenant (read-only), or NULL. */
static const struct tk_keys *acquire(struct jd_tenant_keys *tk, const char *tenant)
{
	struct tk_entry *e;

	if (tk == NULL || tenant == NULL)
		return NULL;
	e = find(tk, tenant);
	if (e == NULL || e->state != TK_READY || e->keys == NULL)
		return NULL;
	touch(tk, e);
	return e->keys;
}

int jd_tenant_keys_cached(struct jd_tenant_keys *tk, const char *tenant)
{
	struct tk_entry *e = tk && tenant ? find(tk, tenant) : NULL;

	return e != NULL && e->state == TK_READY;
}

int jd_tenant_seal(struct jd_tenant_keys *tk, const struct jd_seal_ad *ad, const char *plain,
		   char **out)
{
	const struct tk_keys *k;

	*out = NULL;
	if (ad == NULL || plain == NULL)
		return JD_E_INVALID;
	k = acquire(tk, ad->tenant);
	if (k == NULL)
		return JD_E_NOTFOUND;
	return jd_seal(k->field, JD_TENANT_SEAL_KEY_ID, ad, (const unsigned char *)plain,
		       strlen(plain), out);
}

int jd_tenant_open(struct jd_tenant_keys *tk, const struct jd_seal_ad *ad, const char *sealed,
		   unsigned char **plain, size_t *len)
{
	char key_id[JD_KEY_ID_MAX + 1];
	const struct tk_keys *k;
	unsigned format;

	*plain = NULL;
	if (ad == NULL || sealed == NULL)
		return JD_E_INVALID;
	if (jd_sealed_info(sealed, &format, key_id, sizeof(key_id)) != JD_OK ||
	    strcmp(key_id, JD_TENANT_SEAL_KEY_ID) != 0)
		return JD_E_INVALID; /* unknown format or a key id we do not have */
	k = acquire(tk, ad->tenant);
	if (k == NULL)
		return JD_E_NOTFOUND;
	return jd_open(k->field, ad, sealed, plain, len);
}

int jd_tenant_blind(struct jd_tenant_keys *tk, const char *tenant, const char *record_type,
		    const char *field, const char *value, char out[2 * JD_BLIND_BYTES + 1])
{
	const struct tk_keys *k = acquire(tk, tenant);

	if (k == NULL)
		return JD_E_NOTFOUND;
	return jd_blind_index(k->blind, record_type, field, value, out);
}

/* ---- Record keys (crypto-shredding) ------------------------------------------------ */

/*
 * "record:<t>:<type>:<id>" into out.  A ':' in the tenant or record type
 * would make the label ambiguous (another record's wrapped key would
 * unwrap here), so both are refused; the id is last and may hold one.
 */
static int record_label(const char *tenant, const char *record_type, const char *record_id,
			char *out, size_t len)
{
	int n;

	if (tenant == NULL || record_type == NULL || record_id == NULL || tenant[0] == '\0' ||
	    record_type[0] == '\0' || record_id[0] == '\0' || strchr(tenant, ':') != NULL ||
	    strchr(record_type, ':') != NULL)
		return JD_E_INVALID;
	n = snprintf(out, len, "record:%s:%s:%s", tenant, record_type, record_id);
	if (n < 0 || (size_t)n >= len)
		return JD_E_INVALID;
	return JD_OK;
}

int jd_tenant_record_key_new(struct jd_tenant_keys *tk, const char *tenant, const char *record_type,
			     const char *record_id, char *out, size_t outlen)
{
	char label[JD_RECORD_LABEL_MAX];
	const struct tk_keys *k = NULL;
	unsigned char *rkey = NULL;
	int rc;

	if (out == NULL || outlen == 0)
		return JD_E_INVALID;
	out[0] = '\0';
	if ((rc = record_label(tenant, record_type, record_id, label, sizeof(label))) != JD_OK)
		goto cleanup;
	rkey = scratch_take(tk);
	if (rkey == NULL) {
		rc = JD_E_NOMEM;
		goto cleanup;
	}
	randombytes_buf(rkey, JD_KEY_BYTES);
	k = acquire(tk, tenant);
	if (k == NULL) {
		rc = JD_E_NOTFOUND;
		goto cleanup;
	}
	rc = jd_key_wrap(k->wrap, JD_RECORD_WRAP_KEY_ID, label, rkey, out, outlen);
cleanup:
	scratch_put(tk, rkey);
	if (rc != JD_OK && out != NULL && outlen > 0)
		out[0] = '\0';
	return rc;
}

/*
 * The record key of (ad->tenant, ad->record_type, ad->record_id), unwrapped
 * into *rkey (scratch_take's: the caller gives it back with scratch_put).
 */
static int record_key_open(struct jd_tenant_keys *tk, const struct jd_seal_ad *ad,
			   const char *wrapped, unsigned char **rkey)
{
	char label[JD_RECORD_LABEL_MAX], key_id[JD_KEY_ID_MAX + 1];
	const struct tk_keys *k;
	int rc;

	*rkey = NULL;
	if (ad == NULL || wrapped == NULL)
		return JD_E_INVALID;
	if ((rc = record_label(ad->tenant, ad->record_type, ad->record_id, label, sizeof(label))) !=
	    JD_OK)
		return rc;
	if (jd_key_wrapped_id(wrapped, key_id, sizeof(key_id)) != JD_OK ||
	    strcmp(key_id, JD_RECORD_WRAP_KEY_ID) != 0)
		return JD_E_INVALID;
	*rkey = scratch_take(tk);
	if (*rkey == NULL)
		return JD_E_NOMEM;
	k = acquire(tk, ad->tenant);
	if (k == NULL) {
		rc = JD_E_NOTFOUND;
		goto cleanup;
	}
	rc = jd_key_unwrap(k->wrap, label, wrapped, *rkey);
cleanup:
	if (rc != JD_OK) {
		scratch_put(tk, *rkey);
		*rkey = NULL;
	}
	return rc;
}

int jd_tenant_seal_rk(struct jd_tenant_keys *tk, const struct jd_seal_ad *ad, const char *wrapped,
		      const char *plain, char **out)
{
	unsigned char *rkey = NULL;
	int rc;

	*out = NULL;
	if (plain == NULL)
		return JD_E_INVALID;
	if ((rc = record_key_open(tk, ad, wrapped, &rkey)) != JD_OK)
		goto cleanup;
	rc = jd_seal(rkey, JD_RECORD_SEAL_KEY_ID, ad, (const unsigned char *)plain, strlen(plain),
		     out);
cleanup:
	scratch_put(tk, rkey);
	return rc;
}

int jd_tenant_open_rk(struct jd_tenant_keys *tk, const struct jd_seal_ad *ad, const char *wrapped,
		      const char *sealed, unsigned char **plain, size_t *len)
{
	char key_id[JD_KEY_ID_MAX + 1];
	unsigned char *rkey = NULL;
	unsigned format;
	int rc;

	*plain = NULL;
	if (sealed == NULL || jd_sealed_info(sealed, &format, key_id, sizeof(key_id)) != JD_OK ||
	    strcmp(key_id, JD_RECORD_SEAL_KEY_ID) != 0)
		return JD_E_INVALID; /* unknown format, or not sealed under a record key */
	if ((rc = record_key_open(tk, ad, wrapped, &rkey)) != JD_OK)
		goto cleanup;
	rc = jd_open(rkey, ad, sealed, plain, len);
cleanup:
	scratch_put(tk, rkey);
	return rc;
}
