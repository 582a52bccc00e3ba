/*
 * Several reads at once (a listing's records, the counter hashes of a
 * figure): each result lands in its slot, and `done` runs once, after the
 * last one, with the first failure if any.  Bounded by the caller: a page
 * of a listing, the units of a county, never the number of records.
 */
#include <stdlib.h>

#include "batch.h"

struct slot {
	struct batch *b;
	size_t i;
};

struct batch *batch_new(size_t n, batch_done done, void *arg)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->results = json_array();
	b->slots = calloc(n ? n : 1, sizeof(struct slot));
	if (b->results == NULL || b->slots == NULL) {
		batch_free(b);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(b->results, json_null());
	b->n = n;
	b->pending = 1; /* batch_go's */
	b->done = done;
	b->arg = arg;
	return b;
}

void batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	json_decref(b->results);
	free(b->slots);
	free(b);
}

static void finish_one(struct batch *b)
{
	if (--b->pending == 0)
		b->done(b, b->arg); /* done frees b */
}

static void on_read(int rc, json_t *result, void *arg)
{
	struct slot *s = arg;
	struct batch *b = s->b;

	if (rc != JD_OK && b->rc == JD_OK)
		b->rc = rc;
	if (rc == JD_OK)
		json_array_set(b->results, s->i, result);
	finish_one(b);
}

void batch_read(struct batch *b, size_t i, const char *tenant, int argc, const char **argv)
{
	struct slot *s = &((struct slot *)b->slots)[i];
	int rc;

	s->b = b;
	s->i = i;
	rc = host->store_read(self, tenant, argc, argv, on_read, s);
	if (rc != JD_OK) {
		if (b->rc == JD_OK)
			b->rc = rc;
		return;
	}
	b->pending++;
}

void batch_go(struct batch *b)
{
	finish_one(b);
}
