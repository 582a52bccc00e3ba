/* The token -> user map (token_users.h). */
#include "security/token_users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/auth.h"

#define SLOTS 1024 /* a power of two */

struct slot {
	char hash[65];
	char user[JD_USER_ID_MAX + 1];
};

static struct slot slots[SLOTS];

/* The slot of a hash: its first hex digits (the hash is uniform). */
static struct slot *slot_of(const char *hash)
{
	char head[9];

	memcpy(head, hash, 8);
	head[8] = '\0';
	return &slots[strtoul(head, NULL, 16) & (SLOTS - 1)];
}

static int hash_ok(const char *hash)
{
	return hash != NULL && strlen(hash) == 64 && strspn(hash, "0123456789abcdef") == 64;
}

int jd_token_user_get(const char *hash, char *user, size_t len)
{
	const struct slot *s;

	if (!hash_ok(hash))
		return 0;
	s = slot_of(hash);
	if (strcmp(s->hash, hash) != 0 || strlen(s->user) >= len)
		return 0;
	memcpy(user, s->user, strlen(s->user) + 1);
	return 1;
}

void jd_token_user_put(const char *hash, const char *user)
{
	struct slot *s;

	if (!hash_ok(hash) || user == NULL || strlen(user) > JD_USER_ID_MAX)
		return;
	s = slot_of(hash);
	memcpy(s->hash, hash, 65);
	snprintf(s->user, sizeof(s->user), "%s", user);
}
