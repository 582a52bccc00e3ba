/*
 * libFuzzer target: values read back from Redis that an attacker with
 * write access controls: sealed fields, wrapped keys, audit entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "audit/audit.h"
#include "security/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[JD_KEY_BYTES] = {1, 2, 3};
	const struct jd_seal_ad ad = {"t1", "lead", "42", "subject_name"};
	unsigned char out[JD_KEY_BYTES], *plain = NULL;
	char *s, id[64];
	unsigned fmt;
	size_t len;

	if (sodium_init() < 0)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	jd_sealed_info(s, &fmt, id, sizeof(id));
	if (jd_open(key, &ad, s, &plain, &len) == JD_OK)
		abort(); /* nothing made without the key may open */
	jd_key_wrapped_id(s, id, sizeof(id));
	if (jd_key_unwrap(key, "tenant:t1", s, out) == JD_OK)
		abort();
	{
		/* the same bytes as a stream entry's field array: name, value, ... */
		const char *fv[26];
		size_t lens[26], n = 0;
		char *p = s;
		struct jd_audit_entry e;

		while (n < 26 && p != NULL) {
			char *nl = strchr(p, '\n');

			fv[n] = p;
			lens[n] = nl ? (size_t)(nl - p) : strlen(p);
			n++;
			if (nl != NULL)
				*nl = '\0';
			p = nl ? nl + 1 : NULL;
		}
		memset(&e, 0, sizeof(e));
		jd_audit_entry_from_fields(&e, fv, lens, n);
	}
	free(s);
	return 0;
}
