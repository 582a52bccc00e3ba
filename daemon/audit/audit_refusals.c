/* The cap on audited refusals (audit_refusals.h). */
#include "audit/audit_refusals.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "runtime/log.h"

struct slot {
	char source[64];
	time_t minute;
	unsigned count;
	int warned; /* the drop of this minute was logged */
};

static struct slot slots[JD_AUDIT_REFUSALS_SLOTS];
static unsigned char sip_key[crypto_shorthash_KEYBYTES];
static int keyed;
static time_t total_minute;
static unsigned total_count;
static unsigned long long dropped;

static struct slot *slot_of(const char *source)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	if (!keyed) {
		randombytes_buf(sip_key, sizeof(sip_key));
		keyed = 1;
	}
	crypto_shorthash(h, (const unsigned char *)source, strlen(source), sip_key);
	for (size_t i = 0; i < sizeof(v); i++)
		v = (v << 8) | h[i];
	return &slots[v % JD_AUDIT_REFUSALS_SLOTS];
}

int jd_audit_refusal_admit(const char *source, time_t now)
{
	const char *src = source != NULL && *source ? source : "-";
	time_t minute = now / 60;
	struct slot *s = slot_of(src);

	if (total_minute != minute) {
		total_minute = minute;
		total_count = 0;
	}
	/* a slot that another source held, or an older minute: start over */
	if (s->minute != minute || strcmp(s->source, src) != 0) {
		snprintf(s->source, sizeof(s->source), "%s", src);
		s->minute = minute;
		s->count = 0;
		s->warned = 0;
	}
	if (s->count < JD_AUDIT_REFUSALS_PER_SOURCE && total_count < JD_AUDIT_REFUSALS_TOTAL) {
		s->count++;
		total_count++;
		return 1;
	}
	dropped++;
	if (!s->warned) {
		char q[100];

		s->warned = 1;
		jd_warn("audit: refusals over the cap are counted, not audited, this minute",
			"source=%s per_source=%d total=%d", jd_log_quote(q, sizeof(q), src),
			JD_AUDIT_REFUSALS_PER_SOURCE, JD_AUDIT_REFUSALS_TOTAL);
	}
	return 0;
}

unsigned long long jd_audit_refusals_dropped(void)
{
	return dropped;
}

void jd_audit_refusals_reset(void)
{
	memset(slots, 0, sizeof(slots));
	total_minute = 0;
	total_count = 0;
	dropped = 0;
}
