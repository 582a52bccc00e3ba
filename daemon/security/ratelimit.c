#include "security/ratelimit.h"

#include <arpa/inet.h>
#include <string.h>

#include <sodium.h>

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
