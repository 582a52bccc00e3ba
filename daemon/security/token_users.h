/*
 * Which user a bearer token belongs to, remembered by the token's hash, so
 * that authentication can read the token and its user in one round trip
 * (both reads pipelined) instead of one after the other.  A token's user
 * never changes, so the map needs no invalidation: every request still
 * reads the token (revoked, expired) and the user (suspended, roles) from
 * Redis, and a wrong or missing guess only costs the second round trip.
 * Direct-mapped, a fixed number of slots; the event loop's thread only.
 */
#ifndef JD_TOKEN_USERS_H
#define JD_TOKEN_USERS_H

#include <stddef.h>

/* The user remembered for the token of this hash (64 hex) into user (len bytes): 1, else 0. */
int jd_token_user_get(const char *hash, char *user, size_t len);
/* Remembers the token's user; a longer id than a slot holds is not remembered. */
void jd_token_user_put(const char *hash, const char *user);

#endif
