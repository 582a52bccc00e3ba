/*
 * Tenant keys (daemon/security/tenant_keys.c) against a real redis-server started
 * here: creation on first use, the creation race between two workers, a
 * key wrapped under a master version the keyring lacks or refuses.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <sodium.h>

#include "security/keyring.h"
#include "runtime/log.h"
#include "storage/redis.h"
#include "redis_harness.h"
#include "security/seal.h"
#include "storage/store.h"
#include "security/tenant_keys.h"

/* ---- Keyrings ------------------------------------------------------------- */

#define B64 sodium_base64_VARIANT_ORIGINAL

/* A keyring file holding the master versions of `versions` (deterministic keys). */
static struct jd_keyring *keyring(const char *dir, const char *name, unsigned active,
				  const unsigned *versions, size_t n)
{
	unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES], m[JD_MASTER_KEY_BYTES];
	char path[PATH_MAX], b64[128], err[256];
	struct jd_keyring *k = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(chmod(path, 0600), 0);
	fprintf(f, "[keyring]\nformat = 1\nactive = %u\n", active);
	for (size_t i = 0; i < n; i++) {
		for (unsigned j = 0; j < sizeof(m); j++)
			m[j] = (unsigned char)(versions[i] * 7 + j);
		fprintf(f, "master.%u = %s\n", versions[i],
			sodium_bin2base64(b64, sizeof(b64), m, sizeof(m), B64));
	}
	memset(seed, 0x55, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
	fprintf(f, "audit_sign = %s\n", sodium_bin2base64(b64, sizeof(b64), sk, sizeof(sk), B64));
	fprintf(f, "audit_verify = %s\n", sodium_bin2base64(b64, sizeof(b64), pk, sizeof(pk), B64));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(jd_keyring_load(path, 1, &k, err, sizeof(err)), JD_OK);
	return k;
}

/* ---- Fixture: one redis-server, two workers (connection + store) on it ------ */

struct fx {
	struct event_base *base;
	char dir[64];
	char sock[128];
	char url[160];
	pid_t pid;
	struct jd_redis *r[2];
	struct jd_store *s[2];
	struct jd_keyring *kr12; /* masters 1 and 2, active 2 */
	struct jd_keyring *kr1;	 /* master 1 only, active 1 */
};

static struct fx *F;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct jd_redis_opts o = {.command_timeout_ms = 2000,
				  .connect_timeout_ms = 1000,
				  .backoff_min_ms = 10,
				  .backoff_max_ms = 100};
	const unsigned v12[] = {1, 2}, v1[] = {1};

	assert_non_null(f);
	assert_true(sodium_init() >= 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/jdtest-tkeys-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/redis.sock", f->dir);
	snprintf(f->url, sizeof(f->url), "unix://%s", f->sock);
	f->pid = spawn_server(f->dir, NULL);
	f->base = event_base_new();
	assert_non_null(f->base);
	o.url = f->url;
	for (int i = 0; i < 2; i++) {
		f->r[i] = jd_redis_new(f->base, &o);
		assert_non_null(f->r[i]);
		f->s[i] = jd_store_new(f->r[i]);
		assert_non_null(f->s[i]);
		assert_true(run_until_state(f->base, f->r[i], JD_REDIS_OK, 2000));
	}
	f->kr12 = keyring(f->dir, "kr12", 2, v12, 2);
	f->kr1 = keyring(f->dir, "kr1", 1, v1, 1);
	F = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++) {
		jd_store_free(f->s[i]);
		jd_redis_free(f->r[i]);
	}
	event_base_free(f->base);
	jd_keyring_free(f->kr12);
	jd_keyring_free(f->kr1);
	kill_server(&f->pid);
	rm_tree(f->dir);
	free(f);
	F = NULL;
	return 0;
}

/* ---- Helpers ---------------------------------------------------------------- */

struct ready {
	int done;
	int calls;
	int rc;
};

static void ready_cb(int rc, void *arg)
{
	struct ready *r = arg;

	r->calls++;
	r->done = 1;
	r->rc = rc;
}

/* keys_ready and wait: the callback's rc (asserting exactly once, never inside the call). */
static int ready(struct jd_tenant_keys *tk, const char *tenant)
{
	struct ready r = {0};

	assert_int_equal(jd_tenant_keys_ready(tk, tenant, ready_cb, &r), JD_OK);
	assert_int_equal(r.calls, 0);
	assert_true(run_until(F->base, &r.done, 3000));
	run_for(F->base, 5);
	assert_int_equal(r.calls, 1);
	return r.rc;
}

/* A field of the tenant's key record, read directly (NULL when absent); free() it. */
static char *raw_hget(const char *tenant, const char *field)
{
	struct timeval tv = {.tv_sec = 1, .tv_usec = 0};
	redisContext *c = redisConnectUnixWithTimeout(F->sock, tv);
	redisReply *reply;
	char *out = NULL;

	assert_non_null(c);
	assert_int_equal(c->err, 0);
	reply = redisCommand(c, "HGET jd:{%s}:%s %s", tenant, JD_TENANT_KEYS_RECORD, field);
	assert_non_null(reply);
	if (reply->type == REDIS_REPLY_STRING)
		out = strdup(reply->str);
	freeReplyObject(reply);
	redisFree(c);
	return out;
}

static const struct jd_seal_ad AD = {
    .tenant = "ta", .record_type = "note", .record_id = "n1", .field = "text"};

/* ---- Tests ------------------------------------------------------------------- */

static void test_create_on_first_use(void **state)
{
	struct jd_tenant_keys *tk = jd_tenant_keys_new(F->base, F->s[0], F->kr12, 1, 0);
	struct jd_tenant_keys *tk2;
	char *sealed = NULL, *wrapped, *version, blind1[33], blind2[33];
	unsigned char *plain = NULL;
	size_t len = 0;

	assert_non_null(tk);
	/* nothing cached yet: the operations say so */
	assert_int_equal(jd_tenant_seal(tk, &AD, "secret", &sealed), JD_E_NOTFOUND);
	assert_null(raw_hget("ta", "wrapped"));
	assert_int_equal(ready(tk, "ta"), JD_OK);
	assert_true(jd_tenant_keys_cached(tk, "ta"));
	wrapped = raw_hget("ta", "wrapped");
	version = raw_hget("ta", "master_version");
	assert_non_null(wrapped);
	assert_non_null(version);
	assert_true(strncmp(wrapped, "w1.m2.", 6) == 0); /* under the active master */
	assert_string_equal(version, "2");
	assert_int_equal(jd_tenant_seal(tk, &AD, "secret", &sealed), JD_OK);
	assert_true(strncmp(sealed, "s1." JD_TENANT_SEAL_KEY_ID ".", 6) == 0);
	assert_int_equal(jd_tenant_blind(tk, "ta", "note", "title", "Hello", blind1), JD_OK);
	/* cached now: the callback still comes later, never inside the call */
	assert_int_equal(ready(tk, "ta"), JD_OK);
	jd_tenant_keys_free(tk);

	/* another worker (or a restart) loads the same key from Redis */
	tk2 = jd_tenant_keys_new(F->base, F->s[1], F->kr12, 1, 0);
	assert_non_null(tk2);
	assert_int_equal(ready(tk2, "ta"), JD_OK);
	assert_int_equal(jd_tenant_open(tk2, &AD, sealed, &plain, &len), JD_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(plain, "secret", 6);
	jd_plain_free(plain);
	assert_int_equal(jd_tenant_blind(tk2, "ta", "note", "title", "hello", blind2), JD_OK);
	assert_string_equal(blind1, blind2);
	{
		char *again = raw_hget("ta", "wrapped");

		assert_string_equal(again, wrapped); /* loaded, not created again */
		free(again);
	}
	/* moved to another record: does not open */
	{
		struct jd_seal_ad other = AD;

		other.record_id = "n2";
		assert_int_equal(jd_tenant_open(tk2, &other, sealed, &plain, &len), JD_E_FORBIDDEN);
		assert_null(plain);
	}
	jd_tenant_keys_free(tk2);
	free(sealed);
	free(wrapped);
	free(version);
}

/* Record keys: wrapped under the tenant's wrap subkey, bound to their record; a wrong one fails. */
static void test_record_keys(void **state)
{
	struct jd_tenant_keys *tk = jd_tenant_keys_new(F->base, F->s[0], F->kr12, 1, 0);
	struct jd_tenant_keys *tk2 = NULL;
	const struct jd_seal_ad ad1 = {
	    .tenant = "ta", .record_type = "note", .record_id = "n1", .field = "source"};
	struct jd_seal_ad ad2 = ad1;
	char w1[JD_WRAPPED_MAX], w1b[JD_WRAPPED_MAX], w2[JD_WRAPPED_MAX];
	char *sealed = NULL, *tsealed = NULL, *s2 = NULL;
	unsigned char *plain = NULL;
	size_t len = 0;

	ad2.record_id = "n2";
	assert_non_null(tk);
	/* the tenant key is not loaded yet */
	assert_int_equal(jd_tenant_record_key_new(tk, "ta", "note", "n1", w1, sizeof(w1)),
			 JD_E_NOTFOUND);
	assert_string_equal(w1, "");
	assert_int_equal(ready(tk, "ta"), JD_OK);
	assert_int_equal(jd_tenant_record_key_new(tk, "ta", "note", "n1", w1, sizeof(w1)), JD_OK);
	assert_int_equal(jd_tenant_record_key_new(tk, "ta", "note", "n1", w1b, sizeof(w1b)), JD_OK);
	assert_int_equal(jd_tenant_record_key_new(tk, "ta", "note", "n2", w2, sizeof(w2)), JD_OK);
	assert_true(strncmp(w1, "w1." JD_RECORD_WRAP_KEY_ID ".", 5) == 0);
	assert_string_not_equal(w1, w1b);
	/* refused: ':' in tenant or record type (ambiguous label), empty parts, no room */
	{
		char scratch[JD_WRAPPED_MAX], small[8];

		assert_int_equal(
		    jd_tenant_record_key_new(tk, "ta", "no:te", "n1", scratch, sizeof(scratch)),
		    JD_E_INVALID);
		assert_int_equal(
		    jd_tenant_record_key_new(tk, "ta", "note", "", scratch, sizeof(scratch)),
		    JD_E_INVALID);
		assert_int_equal(
		    jd_tenant_record_key_new(tk, "ta", "note", "n1", small, sizeof(small)),
		    JD_E_INVALID);
	}

	assert_int_equal(jd_tenant_seal_rk(tk, &ad1, w1, "who told us", &sealed), JD_OK);
	assert_true(strncmp(sealed, "s1." JD_RECORD_SEAL_KEY_ID ".", 5) == 0);
	assert_int_equal(jd_tenant_open_rk(tk, &ad1, w1, sealed, &plain, &len), JD_OK);
	assert_int_equal(len, 11);
	assert_memory_equal(plain, "who told us", 11);
	jd_plain_free(plain);
	plain = NULL;

	/* another record key of the same record (a restore with the wrong key): does not open */
	assert_int_equal(jd_tenant_open_rk(tk, &ad1, w1b, sealed, &plain, &len), JD_E_FORBIDDEN);
	assert_null(plain);
	/* another record's wrapped key does not unwrap here (bound to its label) */
	assert_int_equal(jd_tenant_open_rk(tk, &ad1, w2, sealed, &plain, &len), JD_E_FORBIDDEN);
	assert_null(plain);
	assert_int_equal(jd_tenant_seal_rk(tk, &ad1, w2, "x", &s2), JD_E_FORBIDDEN);
	assert_null(s2);
	/* the value moved to the other record, with that record's key: does not open */
	assert_int_equal(jd_tenant_open_rk(tk, &ad2, w2, sealed, &plain, &len), JD_E_FORBIDDEN);
	assert_null(plain);
	/* a tenant-key value is not a record-key value, and the reverse */
	assert_int_equal(jd_tenant_seal(tk, &ad1, "x", &tsealed), JD_OK);
	assert_int_equal(jd_tenant_open_rk(tk, &ad1, w1, tsealed, &plain, &len), JD_E_INVALID);
	assert_int_equal(jd_tenant_open(tk, &ad1, sealed, &plain, &len), JD_E_INVALID);
	/* a tenant key (w1.m2.) is not a record key; malformed or missing wrapped keys */
	{
		char *wt = raw_hget("ta", "wrapped");

		assert_non_null(wt);
		assert_int_equal(jd_tenant_open_rk(tk, &ad1, wt, sealed, &plain, &len),
				 JD_E_INVALID);
		free(wt);
	}
	assert_int_equal(jd_tenant_open_rk(tk, &ad1, "w1.t.AAAA", sealed, &plain, &len),
			 JD_E_INVALID);
	assert_int_equal(jd_tenant_open_rk(tk, &ad1, NULL, sealed, &plain, &len), JD_E_INVALID);
	assert_null(plain);
	jd_tenant_keys_free(tk);

	/* after a restart the record key unwraps again (the tenant key comes from Redis) */
	tk2 = jd_tenant_keys_new(F->base, F->s[1], F->kr12, 1, 0);
	assert_non_null(tk2);
	assert_int_equal(jd_tenant_open_rk(tk2, &ad1, w1, sealed, &plain, &len), JD_E_NOTFOUND);
	assert_int_equal(ready(tk2, "ta"), JD_OK);
	assert_int_equal(jd_tenant_open_rk(tk2, &ad1, w1, sealed, &plain, &len), JD_OK);
	assert_memory_equal(plain, "who told us", 11);
	jd_plain_free(plain);
	jd_tenant_keys_free(tk2);
	free(sealed);
	free(tsealed);
}

static void test_creation_race(void **state)
{
	struct jd_tenant_keys *a = jd_tenant_keys_new(F->base, F->s[0], F->kr12, 1, 0);
	struct jd_tenant_keys *b = jd_tenant_keys_new(F->base, F->s[1], F->kr12, 1, 0);
	struct ready ra = {0}, rb = {0};
	const struct jd_seal_ad ad = {
	    .tenant = "tr", .record_type = "note", .record_id = "n1", .field = "text"};
	char *sealed = NULL, ba[33], bb[33];
	unsigned char *plain = NULL;
	size_t len;

	assert_non_null(a);
	assert_non_null(b);
	/* both read "no key" before either creates it: one creation wins */
	assert_int_equal(jd_tenant_keys_ready(a, "tr", ready_cb, &ra), JD_OK);
	assert_int_equal(jd_tenant_keys_ready(b, "tr", ready_cb, &rb), JD_OK);
	assert_true(run_until(F->base, &ra.done, 3000));
	assert_true(run_until(F->base, &rb.done, 3000));
	assert_int_equal(ra.rc, JD_OK);
	assert_int_equal(rb.rc, JD_OK);
	assert_int_equal(ra.calls, 1);
	assert_int_equal(rb.calls, 1);
	/* the same key on both sides */
	assert_int_equal(jd_tenant_seal(a, &ad, "marker", &sealed), JD_OK);
	assert_int_equal(jd_tenant_open(b, &ad, sealed, &plain, &len), JD_OK);
	assert_memory_equal(plain, "marker", 6);
	jd_plain_free(plain);
	assert_int_equal(jd_tenant_blind(a, "tr", "note", "title", "x", ba), JD_OK);
	assert_int_equal(jd_tenant_blind(b, "tr", "note", "title", "x", bb), JD_OK);
	assert_string_equal(ba, bb);
	free(sealed);
	jd_tenant_keys_free(a);
	jd_tenant_keys_free(b);
}

static void test_master_missing_or_retired(void **state)
{
	struct jd_tenant_keys *tk = jd_tenant_keys_new(F->base, F->s[0], F->kr12, 1, 0);
	struct jd_tenant_keys *old;

	assert_non_null(tk);
	assert_int_equal(ready(tk, "tm"), JD_OK); /* wrapped under m2 */
	jd_tenant_keys_free(tk);
	/* a keyring without master 2 */
	old = jd_tenant_keys_new(F->base, F->s[0], F->kr1, 1, 0);
	assert_non_null(old);
	assert_int_equal(ready(old, "tm"), JD_E_FORBIDDEN);
	assert_false(jd_tenant_keys_cached(old, "tm"));
	/* a key under master 1 with min_key_version 2 */
	assert_int_equal(ready(old, "t-old"), JD_OK);
	jd_tenant_keys_free(old);
	tk = jd_tenant_keys_new(F->base, F->s[0], F->kr12, 2, 0);
	assert_non_null(tk);
	assert_int_equal(ready(tk, "t-old"), JD_E_FORBIDDEN);
	assert_int_equal(ready(tk, "tm"), JD_OK);
	jd_tenant_keys_free(tk);
}

static void test_bad_tenant_and_eviction(void **state)
{
	struct jd_tenant_keys *tk = jd_tenant_keys_new(F->base, F->s[0], F->kr12, 1, 2);
	struct ready r = {0};
	char b[33];

	assert_non_null(tk);
	assert_int_equal(jd_tenant_keys_ready(tk, "bad tenant", ready_cb, &r), JD_E_INVALID);
	assert_int_equal(jd_tenant_keys_ready(tk, "{x}", ready_cb, &r), JD_E_INVALID);
	run_for(F->base, 5);
	assert_int_equal(r.calls, 0);
	assert_int_equal(ready(tk, "e1"), JD_OK);
	assert_int_equal(ready(tk, "e2"), JD_OK);
	assert_int_equal(ready(tk, "e3"), JD_OK); /* capacity 2: e1 goes */
	assert_false(jd_tenant_keys_cached(tk, "e1"));
	assert_true(jd_tenant_keys_cached(tk, "e3"));
	assert_int_equal(jd_tenant_blind(tk, "e1", "note", "title", "x", b), JD_E_NOTFOUND);
	assert_int_equal(ready(tk, "e1"), JD_OK); /* loads it again */
	jd_tenant_keys_free(tk);
}

static void test_free_with_work_in_flight(void **state)
{
	struct jd_tenant_keys *tk = jd_tenant_keys_new(F->base, F->s[0], F->kr12, 1, 0);
	struct ready loading = {0}, cached = {0};

	assert_non_null(tk);
	assert_int_equal(ready(tk, "f1"), JD_OK);
	assert_int_equal(jd_tenant_keys_ready(tk, "f1", ready_cb, &cached), JD_OK);
	assert_int_equal(jd_tenant_keys_ready(tk, "f2", ready_cb, &loading), JD_OK);
	jd_tenant_keys_free(tk);
	/* the cached one is failed at once; the load when its reply comes */
	assert_int_equal(cached.calls, 1);
	assert_int_equal(cached.rc, JD_E_UNAVAILABLE);
	assert_true(run_until(F->base, &loading.done, 3000));
	assert_int_equal(loading.calls, 1);
	assert_int_equal(loading.rc, JD_E_UNAVAILABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_on_first_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_record_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_creation_race, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_master_missing_or_retired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_tenant_and_eviction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_with_work_in_flight, setup, teardown),
	};

	jd_log_set_level("warn");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
