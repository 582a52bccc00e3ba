#include "ratelimit.h"

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

static uint64_t key_id(const char *kind, const char *key)
{
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
	crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
	crypto_generichash_final(&st, joined, sizeof(joined));
	crypto_shorthash(out, joined, sizeof(joined), sip_key);
	memcpy(&id, out, sizeof(id));
	return id ? id : 1;
}

static struct slot *slot_for(uint64_t id, time_t now, int claim)
{
	struct slot *s = &slots[id % JD_RL_SLOTS];

	if (s->id == id)
		return s;
	if (!claim)
		return NULL;
	if (s->id != 0 && s->blocked_until > now)
		return NULL; /* never evict an active block */
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->window_start = now;
	return s;
}

unsigned jd_ratelimit_blocked(const char *kind, const char *key, time_t now)
{
	struct slot *s = slot_for(key_id(kind, key), now, 0);

	if (s == NULL || s->blocked_until <= now)
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
