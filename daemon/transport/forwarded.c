#include "transport/forwarded.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jiandu/plugin.h>

#define SEPS	  ", \t"
#define MAX_HOPS  32
#define ENTRY_MAX 64

struct addr {
	int family;
	unsigned char b[16];
};

static int parse_addr(const char *s, struct addr *a)
{
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		return 1;
	}
	return 0;
}

/* "addr" or "addr/bits": 1 with the prefix, 0 when malformed. */
static int parse_cidr(const char *entry, struct addr *a, unsigned *bits)
{
	char buf[ENTRY_MAX];
	char *slash, *end;
	unsigned long n;

	if (strlen(entry) >= sizeof(buf))
		return 0;
	snprintf(buf, sizeof(buf), "%s", entry);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (!parse_addr(buf, a))
		return 0;
	*bits = a->family == AF_INET ? 32 : 128;
	if (slash == NULL)
		return 1;
	if (slash[1] < '0' || slash[1] > '9')
		return 0;
	n = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || n > *bits)
		return 0;
	*bits = (unsigned)n;
	return 1;
}

static int in_prefix(const struct addr *a, const struct addr *net, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (a->family != net->family || memcmp(a->b, net->b, full) != 0)
		return 0;
	return rest == 0 || ((a->b[full] ^ net->b[full]) & (0xff << (8 - rest))) == 0;
}

int jd_forwarded_check(const char *trusted, char *err, size_t errlen)
{
	char *copy = strdup(trusted ? trusted : ""), *save = NULL;
	int rc = JD_OK;

	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return JD_E_NOMEM;
	}
	for (char *t = strtok_r(copy, SEPS, &save); t; t = strtok_r(NULL, SEPS, &save)) {
		struct addr a;
		unsigned bits;

		if (!parse_cidr(t, &a, &bits)) {
			snprintf(err, errlen, "'%.64s' is not an address or address/bits", t);
			rc = JD_E_INVALID;
			break;
		}
	}
	free(copy);
	return rc;
}

static int trusted_addr(const struct addr *a, const char *trusted)
{
	char *copy = strdup(trusted), *save = NULL;
	int found = 0;

	for (char *t = copy ? strtok_r(copy, SEPS, &save) : NULL; t && !found;
	     t = strtok_r(NULL, SEPS, &save)) {
		struct addr net;
		unsigned bits;

		found = parse_cidr(t, &net, &bits) && in_prefix(a, &net, bits);
	}
	free(copy);
	return found;
}

/* A node of Forwarded's for=: quoted or not, "[v6]:port", "v4:port". */
static int node_addr(const char *v, size_t n, char *out, size_t len)
{
	char buf[ENTRY_MAX];
	char *p = buf, *end;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL)
			return 0;
		*end = '\0';
		p++;
	} else if ((end = strchr(p, ':')) != NULL && strchr(end + 1, ':') == NULL) {
		*end = '\0'; /* v4:port */
	}
	snprintf(out, len, "%s", p);
	return 1;
}

/*
 * The hops are kept in a ring of the last MAX_HOPS: the right end is the
 * part trusted proxies wrote, whatever a client put on the left.
 */
static char *hop_slot(char hops[][ENTRY_MAX], size_t n)
{
	return hops[n % MAX_HOPS];
}

/* The for= values of a Forwarded header, left to right; returns how many. */
static size_t forwarded_hops(const char *h, char hops[][ENTRY_MAX])
{
	size_t n = 0;

	while (h != NULL && *h) {
		size_t elen = strcspn(h, ",");
		const char *e = h;

		while (e < h + elen) {
			size_t plen = strcspn(e, ";,");

			while (*e == ' ' || *e == '\t') {
				e++;
				plen--;
			}
			if (plen > 4 && strncasecmp(e, "for=", 4) == 0) {
				size_t vlen = plen - 4;

				while (vlen > 0 &&
				       (e[4 + vlen - 1] == ' ' || e[4 + vlen - 1] == '\t'))
					vlen--;
				if (!node_addr(e + 4, vlen, hop_slot(hops, n), ENTRY_MAX))
					snprintf(hop_slot(hops, n), ENTRY_MAX, "-");
				n++;
				break;
			}
			e += plen;
			if (*e == ';')
				e++;
			else
				break;
		}
		h += elen;
		if (*h == ',')
			h++;
	}
	return n;
}

static size_t xff_hops(const char *h, char hops[][ENTRY_MAX])
{
	char *copy = strdup(h), *save = NULL;
	size_t n = 0;

	for (char *t = copy ? strtok_r(copy, SEPS, &save) : NULL; t;
	     t = strtok_r(NULL, SEPS, &save))
		snprintf(hop_slot(hops, n++), ENTRY_MAX, "%s", t);
	free(copy);
	return n;
}

void jd_forwarded_client(const char *peer, const char *trusted, const char *forwarded,
			 const char *xff, char *out, size_t len)
{
	char hops[MAX_HOPS][ENTRY_MAX];
	size_t n = 0, last;
	struct addr a;

	snprintf(out, len, "%s", peer);
	if (trusted == NULL || *trusted == '\0' || !parse_addr(peer, &a) ||
	    !trusted_addr(&a, trusted))
		return;
	if (forwarded != NULL && *forwarded)
		n = forwarded_hops(forwarded, hops);
	else if (xff != NULL && *xff)
		n = xff_hops(xff, hops);
	last = n > MAX_HOPS ? n - MAX_HOPS : 0;
	/* from the right: each trusted hop vouches for the one to its left */
	while (n-- > last) {
		if (!parse_addr(hop_slot(hops, n), &a))
			return; /* not an address: believe no further */
		snprintf(out, len, "%s", hop_slot(hops, n));
		if (!trusted_addr(&a, trusted))
			return;
	}
}
