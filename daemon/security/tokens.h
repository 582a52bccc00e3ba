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

/*
 * A secret is prefix + base64url of 256 random bits (bearer tokens "jdt_",
 * browser sessions "jds_"); Redis keeps only its BLAKE2b-256, in hex.
 * JD_E_INVALID when token does not have that shape.
 */
int jd_secret_hash(const char *prefix, const char *token, char out[65]);
int jd_secret_new(const char *prefix, char token[JD_TOKEN_MAX], char hash[65]);
/* Hex hash of a token into out (65 bytes); JD_E_INVALID if it is not a token's shape. */
int jd_token_hash(const char *token, char out[65]);
/* A new token and its hash. */
int jd_token_new(char token[JD_TOKEN_MAX], char hash[65]);
/* "30d", "12h", "45m", "3600s" -> seconds (1 minute .. 365 days). */
int jd_token_parse_ttl(const char *s, long long *seconds);

/* POST/GET /v1/tokens, DELETE /v1/tokens/{id}. */
int jd_tokens_register(struct jd_server *srv, char *err, size_t errlen);

#endif
