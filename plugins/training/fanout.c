/*
 * A bounded fan-out of reads for one request: at most FANOUT_MAX items in
 * flight (a roll-up's counties, a range's counter chunks), the first error
 * kept and no new item started after it; done(f) once all have finished.
 */
#include <stdlib.h>

#include "training.h"

#define FANOUT_MAX 4

static void pump(struct fanout *f)
{
	while (f->rc == JD_OK && f->running < FANOUT_MAX && f->next < f->n) {
		size_t i = f->next++;
		int rc;

		f->running++;
		rc = f->one(f, i);
		if (rc != JD_OK) {
			f->running--;
			f->rc = rc;
		}
	}
	if (f->running == 0 && (f->next >= f->n || f->rc != JD_OK))
		f->done(f);
}

void fanout_run(struct fanout *f, size_t n, fanout_one one, fanout_done done)
{
	f->n = n;
	f->next = 0;
	f->running = 0;
	f->rc = JD_OK;
	f->one = one;
	f->done = done;
	pump(f);
}

void fanout_item_done(struct fanout *f, int rc)
{
	f->running--;
	if (rc != JD_OK && f->rc == JD_OK)
		f->rc = rc;
	pump(f);
}
