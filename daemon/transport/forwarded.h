/*
 * The client's address behind reverse proxies.  Forwarding headers are
 * believed only when the peer is a configured trusted proxy
 * (security.trusted_proxies); otherwise anyone could name any address and
 * so spend someone else's failed-authentication allowance.
 */
#ifndef JD_FORWARDED_H
#define JD_FORWARDED_H

#include <stddef.h>

/*
 * Checks a trusted_proxies list: addresses or CIDR prefixes (IPv4, IPv6),
 * separated by commas or spaces; "" is none.  JD_OK or JD_E_INVALID with
 * the bad entry named in err.
 */
int jd_forwarded_check(const char *trusted, char *err, size_t errlen);

/*
 * The client address for a request from peer.  When peer is in trusted,
 * the chain of the Forwarded header's for= values (RFC 7239), or else of
 * X-Forwarded-For, is walked from the right, skipping trusted proxies: the
 * first address that is not one is the client.  A value that is no
 * address (unknown, obfuscated, garbage) ends the walk at the last trusted
 * hop.  forwarded and xff may be NULL; out gets peer when nothing applies.
 */
void jd_forwarded_client(const char *peer, const char *trusted, const char *forwarded,
			 const char *xff, char *out, size_t len);

#endif
