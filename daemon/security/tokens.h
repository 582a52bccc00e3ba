/*
 * Bearer tokens: "jdt_" + 43 characters of base64url (256 random bits),
 * shown once at creation; Redis keeps only their BLAKE2b-256 hash.
 */
#ifndef JD_TOKENS_H
#define JD_TOKENS_H

#include <stddef.h>

#define JD_TOKEN_PREFIX "jdt_"
#define JD_TOKEN_MAX	64

struct jd_server;

/* Hex hash of a token into out (65 bytes); JD_E_INVALID if it is not a token's shape. */
int jd_token_hash(const char *token, char out[65]);
/* A new token and its hash. */
int jd_token_new(char token[JD_TOKEN_MAX], char hash[65]);
/* "30d", "12h", "45m", "3600s" -> seconds (1 minute .. 365 days). */
int jd_token_parse_ttl(const char *s, long long *seconds);

/* POST/GET /v1/tokens, DELETE /v1/tokens/{id}. */
int jd_tokens_register(struct jd_server *srv, char *err, size_t errlen);

#endif
