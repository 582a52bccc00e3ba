/*
 * /metrics with workers = N: every worker's figures in one answer.
 *
 * A scrape through the shared listener reaches one worker.  So each worker
 * writes its own figures to data_dir/metrics-worker-<slot>.prom every
 * second (a temporary file, then rename), and the worker that answers
 * gives its own figures, fresh, with the other workers' files no older
 * than a few seconds (a dead worker's file is left out): each sample
 * labelled worker="<slot>", each family once, its samples together, as
 * the Prometheus text format wants.  Sum by family in Prometheus
 * (sum without (worker) (...)).  A single process (workers unset) answers
 * as before, without the label.
 *
 * The file is small (tens of KB) and written without fsync: one write a
 * second on the loop, and a read of each other worker's file per scrape.
 */
#ifndef JD_METRICS_SHARE_H
#define JD_METRICS_SHARE_H

#include <stddef.h>

struct jd_server;

/* Starts the worker's once-a-second write (nothing when not a worker). */
int jd_metrics_share_start(struct jd_server *srv);
/* Stops it and removes the worker's file. */
void jd_metrics_share_stop(struct jd_server *srv);
/*
 * The answer to a scrape: own (this worker's rendered figures, taken over)
 * with the other workers' figures merged in; *len its length.  Not a
 * worker: own as it is.  NULL when out of memory (own freed).
 */
char *jd_metrics_share_merge(struct jd_server *srv, char *own, size_t *len);

#endif
