#include "security/ratelimit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <sodium.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"
#include "storage/redis.h"

struct slot {
	uint64_t id; /* 0: free */
	unsigned failures;
	time_t window_start;
	time_t blocked_until;
};

static struct slot slots[JD_RL_SLOTS];
static unsigned char sip_key[crypto_shorthash_KEYBYTES];
static int keyed;

/* An IPv6 client has a /64 to choose addresses from: limit the /64. */
static const char *network_of(const char *kind, const char *key, char *buf, size_t len)
{
	struct in6_addr a;

	if (strcmp(kind, "ip") != 0 || strchr(key, ':') == NULL ||
	    inet_pton(AF_INET6, key, &a) != 1)
		return key;
	memset(a.s6_addr + 8, 0, 8);
	return inet_ntop(AF_INET6, &a, buf, (socklen_t)len) ? buf : key;
}

static uint64_t key_id(const char *kind, const char *key)
{
	char net[INET6_ADDRSTRLEN];

	unsigned char out[crypto_shorthash_BYTES];
	crypto_generichash_state st;
	unsigned char joined[32];
	uint64_t id;

	if (!keyed) {
		randombytes_buf(sip_key, sizeof(sip_key));
		keyed = 1;
	}
	/* any length of key: hash it down first, then SipHash under our secret */
	crypto_generichash_init(&st, NULL, 0, sizeof(joined));
	crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
	key = network_of(kind, key, net, sizeof(net));
	crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
	crypto_generichash_final(&st, joined, sizeof(joined));
	crypto_shorthash(out, joined, sizeof(joined), sip_key);
	memcpy(&id, out, sizeof(id));
	return id ? id : 1;
}

#define WAYS 4 /* a key may sit in any of 4 slots: one busy slot cannot hide it */

/*
 * The key's slot, or a slot claimed for it (claim != 0): a free one, else
 * one whose record has lapsed, else the one with the fewest failures that
 * is not blocking anyone.  When all four hold active blocks, NULL: the
 * caller then treats the key as blocked (fail closed), because an attacker
 * who could fill the table must not thereby switch the limit off.
 */
static struct slot *slot_for(uint64_t id, time_t now, int claim)
{
	struct slot *bucket = &slots[(id % (JD_RL_SLOTS / WAYS)) * WAYS], *pick = NULL;

	for (int w = 0; w < WAYS; w++)
		if (bucket[w].id == id)
			return &bucket[w];
	if (!claim)
		return NULL;
	for (int w = 0; w < WAYS; w++) {
		struct slot *s = &bucket[w];
		int lapsed = s->blocked_until <= now && now - s->window_start >= JD_RL_WINDOW_S;

		if (s->id == 0 || lapsed) {
			pick = s;
			break;
		}
		if (s->blocked_until <= now && (pick == NULL || s->failures < pick->failures))
			pick = s;
	}
	if (pick == NULL)
		return NULL;
	memset(pick, 0, sizeof(*pick));
	pick->id = id;
	pick->window_start = now;
	return pick;
}

static int bucket_full(uint64_t id, time_t now)
{
	struct slot *bucket = &slots[(id % (JD_RL_SLOTS / WAYS)) * WAYS];

	for (int w = 0; w < WAYS; w++)
		if (bucket[w].id == 0 || bucket[w].blocked_until <= now)
			return 0;
	return 1;
}

unsigned jd_ratelimit_blocked(const char *kind, const char *key, time_t now)
{
	uint64_t id = key_id(kind, key);
	struct slot *s = slot_for(id, now, 0);

	if (s == NULL)
		return bucket_full(id, now) ? JD_RL_BLOCK_S : 0;
	if (s->blocked_until <= now)
		return 0;
	return (unsigned)(s->blocked_until - now);
}

void jd_ratelimit_failure(const char *kind, const char *key, time_t now)
{
	struct slot *s = slot_for(key_id(kind, key), now, 1);

	if (s == NULL)
		return;
	if (s->blocked_until <= now && now - s->window_start >= JD_RL_WINDOW_S) {
		s->failures = 0;
		s->window_start = now;
	}
	if (++s->failures >= JD_RL_MAX_FAILURES && s->blocked_until <= now)
		s->blocked_until = now + JD_RL_BLOCK_S;
}

void jd_ratelimit_reset(void)
{
	memset(slots, 0, sizeof(slots));
}

/* ---- shared through Redis ---------------------------------------------------- */

#define SHARED_MAX 4

static struct jd_redis *shared;

/*
 * KEYS: the counters; ARGV: window, max, block (seconds).  Each counter
 * lives for the window from its first failure; the failure that reaches
 * max makes it live for the block instead.  Returns [count, ttl] per key.
 */
static const char shared_script[] =
    "local out = {}\n"
    "for i, k in ipairs(KEYS) do\n"
    "  local n = redis.call('INCR', k)\n"
    "  if n == 1 then redis.call('EXPIRE', k, ARGV[1]) end\n"
    "  if n == tonumber(ARGV[2]) then redis.call('EXPIRE', k, ARGV[3]) end\n"
    "  out[#out + 1] = n\n"
    "  out[#out + 1] = redis.call('TTL', k)\n"
    "end\n"
    "return out\n";

/* KEYS: the counters; returns [count, ttl] per key, changing nothing. */
static const char shared_read_script[] = "local out = {}\n"
					 "for i, k in ipairs(KEYS) do\n"
					 "  out[#out + 1] = tonumber(redis.call('GET', k) or '0')\n"
					 "  out[#out + 1] = redis.call('TTL', k)\n"
					 "end\n"
					 "return out\n";

struct shared_ctx {
	int n;
	char kind[SHARED_MAX][8];
	char key[SHARED_MAX][256];
	jd_ratelimit_cb cb;	     /* a failure counted */
	jd_ratelimit_check_cb check; /* or a check made */
	void *arg;
};

void jd_ratelimit_share(struct jd_redis *r)
{
	shared = r;
}

/* The Redis key of (kind, key): a hash, so no address or token text is stored. */
static void shared_key(const char *kind, const char *key, char out[64])
{
	char net[INET6_ADDRSTRLEN];
	unsigned char h[16];
	char hex[33];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
	key = network_of(kind, key, net, sizeof(net));
	crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out, 64, "jd:{_sys}:rl:%s", hex);
}

/* What Redis counted becomes the local record: a block seen anywhere holds here. */
static void learn(const char *kind, const char *key, long long count, long long ttl, time_t now)
{
	struct slot *s;

	if (count < JD_RL_MAX_FAILURES || ttl <= 0)
		return;
	s = slot_for(key_id(kind, key), now, 1);
	if (s == NULL)
		return;
	if (s->failures < (unsigned)count)
		s->failures = (unsigned)count;
	if (s->blocked_until < now + ttl)
		s->blocked_until = now + (time_t)ttl;
}

/* The first of the n keys blocked here (local table), and for how long. */
static int first_blocked(int n, const char *const kinds[], const char *const keys[], time_t now,
			 unsigned *wait)
{
	for (int i = 0; i < n; i++) {
		*wait = jd_ratelimit_blocked(kinds[i], keys[i], now);
		if (*wait > 0)
			return i;
	}
	*wait = 0;
	return -1;
}

static void check_done(struct shared_ctx *x, time_t now)
{
	const char *kinds[SHARED_MAX], *keys[SHARED_MAX];
	unsigned wait;
	int which;

	for (int i = 0; i < x->n; i++) {
		kinds[i] = x->kind[i];
		keys[i] = x->key[i];
	}
	which = first_blocked(x->n, kinds, keys, now, &wait);
	x->check(which, wait, x->arg);
}

static void shared_reply(int rc, redisReply *reply, void *arg)
{
	struct shared_ctx *x = arg;
	time_t now = time(NULL);

	if (rc == JD_OK && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == (size_t)(2 * x->n)) {
		for (int i = 0; i < x->n; i++)
			learn(x->kind[i], x->key[i], reply->element[2 * i]->integer,
			      reply->element[2 * i + 1]->integer, now);
	} else if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR) {
		char q[160];

		jd_warn("auth: failure counters not shared", "err=%s",
			jd_log_quote(q, sizeof(q), reply->str));
	}
	if (x->check != NULL)
		check_done(x, now);
	else
		x->cb(jd_ratelimit_blocked(x->kind[0], x->key[0], now), x->arg);
	free(x);
}

/* Counts (x->cb) or reads (x->check) x's keys in Redis; shared_reply answers. */
static int shared_send(struct shared_ctx *x)
{
	char keys[SHARED_MAX][64], window[16], max[16], block[16], nkeys[8];
	const char *argv[3 + SHARED_MAX + 3];
	int argc = 0;

	if (shared == NULL || jd_redis_state(shared) != JD_REDIS_OK)
		return JD_E_UNAVAILABLE;
	snprintf(nkeys, sizeof(nkeys), "%d", x->n);
	snprintf(window, sizeof(window), "%d", JD_RL_WINDOW_S);
	snprintf(max, sizeof(max), "%d", JD_RL_MAX_FAILURES);
	snprintf(block, sizeof(block), "%d", JD_RL_BLOCK_S);
	argv[argc++] = "EVAL";
	argv[argc++] = x->check != NULL ? shared_read_script : shared_script;
	argv[argc++] = nkeys;
	for (int i = 0; i < x->n; i++) {
		shared_key(x->kind[i], x->key[i], keys[i]);
		argv[argc++] = keys[i];
	}
	if (x->check == NULL) {
		argv[argc++] = window;
		argv[argc++] = max;
		argv[argc++] = block;
	}
	return jd_redis_command(shared, argc, argv, NULL, shared_reply, x);
}

/* Counts (cb) or reads (check) the keys in Redis; JD_OK: the reply will answer. */
static int shared_ask(int n, const char *const kinds[], const char *const keys[],
		      jd_ratelimit_cb cb, jd_ratelimit_check_cb check, void *arg)
{
	struct shared_ctx *x = n > 0 && n <= SHARED_MAX ? calloc(1, sizeof(*x)) : NULL;

	if (x == NULL)
		return JD_E_NOMEM;
	x->n = n;
	x->cb = cb;
	x->check = check;
	x->arg = arg;
	for (int i = 0; i < n; i++) {
		snprintf(x->kind[i], sizeof(x->kind[i]), "%s", kinds[i]);
		snprintf(x->key[i], sizeof(x->key[i]), "%s", keys[i]);
	}
	if (shared_send(x) == JD_OK)
		return JD_OK;
	free(x);
	return JD_E_UNAVAILABLE;
}

void jd_ratelimit_check(int n, const char *const kinds[], const char *const keys[],
			jd_ratelimit_check_cb cb, void *arg)
{
	time_t now = time(NULL);
	unsigned wait;
	int which = first_blocked(n, kinds, keys, now, &wait);

	if (which >= 0) { /* blocked here already: no need to ask */
		cb(which, wait, arg);
		return;
	}
	if (shared_ask(n, kinds, keys, NULL, cb, arg) == JD_OK)
		return;
	cb(-1, 0, arg); /* Redis cannot be asked: the local counters decide, as they did */
}

void jd_ratelimit_failures(int n, const char *const kinds[], const char *const keys[],
			   jd_ratelimit_cb cb, void *arg)
{
	time_t now = time(NULL);

	for (int i = 0; i < n; i++)
		jd_ratelimit_failure(kinds[i], keys[i], now);
	if (shared_ask(n, kinds, keys, cb, NULL, arg) == JD_OK)
		return;
	cb(n > 0 ? jd_ratelimit_blocked(kinds[0], keys[0], now) : 0, arg);
}
