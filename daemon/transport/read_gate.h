/*
 * Reads admitted in bounded number while writes are in progress, so that a
 * flood of reads never starves writes (issue 18): while any authenticated
 * request other than a GET is in progress, at most limits.reads_in_flight
 * authenticated GET requests are past routing at once; the others wait, in
 * order of arrival, for one to be answered or for the writes to end.  With
 * no write in progress reads are not bounded (a bound would only lower
 * their rate).  Writes, requests that need no credential (/healthz,
 * /readyz, /livez) and requests on the control listener (the
 * administrators' long reads: verify, exports) are never held or counted.
 *
 * Why it helps: jiandud's loop serves every request it has taken on in
 * turn, so under a flood its time went to the 64 readers' steps, and a
 * write, with four round trips, waited behind all of them four times over.
 * With the readers bounded, a write's steps take their turn among a few.
 */
#ifndef JD_READ_GATE_H
#define JD_READ_GATE_H

struct jd_req;
struct jd_server;
struct jd_read_gate;

typedef void (*jd_read_gate_cb)(struct jd_req *req);

struct jd_read_gate *jd_read_gate_new(struct jd_server *srv);
void jd_read_gate_free(struct jd_read_gate *g);
/* 1: go on now (the caller continues); 0: held, cb(req) runs once it may. */
int jd_read_gate_enter(struct jd_read_gate *g, struct jd_req *req, jd_read_gate_cb cb);
/* req, a write, is in progress (its answer calls jd_read_gate_leave). */
void jd_read_gate_write(struct jd_read_gate *g, struct jd_req *req);
/* req is answered: if it held a place, the next ones waiting go on. */
void jd_read_gate_leave(struct jd_read_gate *g, struct jd_req *req);
/* The daemon stops: every read still waiting is answered 503. */
void jd_read_gate_refuse_waiting(struct jd_read_gate *g);
/* Reads waiting now (a metric). */
unsigned jd_read_gate_waiting(const struct jd_read_gate *g);
/* Reads that had to wait since the start (a metric). */
unsigned long long jd_read_gate_held_total(const struct jd_read_gate *g);

#endif
