/*
 * The sealed fields a request opened, gathered into one audit entry per
 * tenant and outcome instead of one entry each: a note with two sealed
 * fields cost two chain steps, a listing that opens fifty records a
 * hundred, each a Redis script and an fsync behind the tenant's writes.
 * The entry's target lists what was read, space-separated
 * ("note:<id>#text note:<id>#source"); a batch that would outgrow
 * SEALED_BATCH_MAX is appended at once and a new one begun.  The rest is
 * appended when the request is finished, after its reply: like every
 * access entry it is fire and forget (jd_req_audit).  The store merges it
 * further, with the sealed reads of other requests by the same caller
 * still waiting in the tenant's queue (store.h, jd_audit_event.merge).
 */
#include <stdlib.h>
#include <string.h>

#include "transport/request.h"

#define SEALED_BATCH_MAX 960 /* the store keeps at most 1023 bytes of a target */

struct jd_sealed_batch {
	struct jd_sealed_batch *next;
	char tenant[65];
	char outcome[24];
	size_t len;
	char targets[SEALED_BATCH_MAX + 1];
};

static void batch_append(jd_req *req, struct jd_sealed_batch *b)
{
	jd_req_audit(req, b->tenant, "sealed.read", b->targets, b->outcome);
	b->len = 0;
	b->targets[0] = '\0';
}

static struct jd_sealed_batch *batch_of(jd_req *req, const char *tenant, const char *outcome)
{
	struct jd_sealed_batch *b;

	for (b = req->sealed; b != NULL; b = b->next)
		if (strcmp(b->tenant, tenant) == 0 && strcmp(b->outcome, outcome) == 0)
			return b;
	if (strlen(tenant) >= sizeof(b->tenant) || strlen(outcome) >= sizeof(b->outcome))
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	memcpy(b->tenant, tenant, strlen(tenant) + 1);
	memcpy(b->outcome, outcome, strlen(outcome) + 1);
	b->next = req->sealed;
	req->sealed = b;
	return b;
}

void jd_req_sealed_read(jd_req *req, const char *tenant, const char *target, const char *outcome)
{
	size_t n = strlen(target);
	struct jd_sealed_batch *b;

	tenant = tenant ? tenant : "";
	b = batch_of(req, tenant, outcome);
	if (b == NULL || n > SEALED_BATCH_MAX) {
		jd_req_audit(req, tenant, "sealed.read", target, outcome); /* alone, then */
		return;
	}
	if (b->len > 0 && b->len + 1 + n > SEALED_BATCH_MAX)
		batch_append(req, b);
	if (b->len > 0)
		b->targets[b->len++] = ' ';
	memcpy(b->targets + b->len, target, n + 1);
	b->len += n;
}

void jd_req_sealed_flush(jd_req *req)
{
	while (req->sealed != NULL) {
		struct jd_sealed_batch *b = req->sealed;

		req->sealed = b->next;
		if (b->len > 0)
			batch_append(req, b);
		free(b);
	}
}
