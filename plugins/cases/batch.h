/* Several reads at once, one callback after the last (batch.c). */
#ifndef CASES_BATCH_H
#define CASES_BATCH_H

#include "cases.h"

struct batch;
/* Runs once, after every read; must free b (batch_free). */
typedef void (*batch_done)(struct batch *b, void *arg);

struct batch {
	size_t n;
	int pending;
	int rc;		 /* the first failure, JD_OK when none */
	json_t *results; /* slot i: the result of read i (null when it failed) */
	void *slots;
	batch_done done;
	void *arg;
};

/* n slots; NULL out of memory. */
struct batch *batch_new(size_t n, batch_done done, void *arg);
void batch_free(struct batch *b);
/* Queues read i (argv as for store_read); a failure to queue is kept in b->rc. */
void batch_read(struct batch *b, size_t i, const char *tenant, int argc, const char **argv);
/* After the last batch_read: done runs when every read has answered (maybe at once). */
void batch_go(struct batch *b);

#endif
