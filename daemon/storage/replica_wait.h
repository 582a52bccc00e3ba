/*
 * durability = replica: a write is acknowledged only once a replica has it.
 * After the command that writes, WAIT <replicas> <timeout> goes on the same
 * connection, pipelined (no extra round trip before it is sent); the
 * operation's answer is held until the last WAIT it sent has answered.
 * WAIT counts the replicas that acknowledged every write this connection
 * made so far, so the last WAIT covers the retries before it too.
 *
 * A WAIT blocks the connection it is sent on: every command behind it
 * waits too.  So once a WAIT found too few replicas (none connected, or
 * all lagging), the next ones wait only SHORT_WAIT_MS until one confirms
 * again: without a replica, writes are refused quickly and reads are not
 * held up behind a queue of full-length WAITs.
 */
#ifndef JD_REPLICA_WAIT_H
#define JD_REPLICA_WAIT_H

struct jd_redis;

/* One per connection (the store's). */
struct jd_replica_policy {
	unsigned replicas;   /* 0: durability = local, no WAIT */
	unsigned timeout_ms; /* redis.replica_timeout_ms */
	int short_wait;	     /* the last WAIT found too few replicas */
};

struct jd_replica_gate {
	struct jd_replica_policy *policy; /* set by jd_replica_wait_send */
	unsigned waits;			  /* WAITs sent and not answered yet */
	int unconfirmed; /* the last WAIT answered: fewer replicas, an error, or none */
	int unsent;	 /* a WAIT could not be sent: stays unconfirmed */
	int held;	 /* the operation finished while WAITs were in flight */
	/* called once the last WAIT answered, when held is set */
	void (*release)(struct jd_replica_gate *g);
};

/*
 * Sends WAIT on r after the write just sent, when p asks for replicas.
 * When it cannot be sent, the gate stays unconfirmed (the write went out
 * alone): the operation answers 503.
 */
void jd_replica_wait_send(struct jd_redis *r, struct jd_replica_policy *p,
			  struct jd_replica_gate *g);

/* 1 when WAITs are in flight: the caller keeps its answer until release(). */
int jd_replica_hold(struct jd_replica_gate *g);
/*
 * rc, or JD_E_UNAVAILABLE for a success that no replica confirmed: the
 * write may stand, but it is not acknowledged.
 */
int jd_replica_verdict(const struct jd_replica_gate *g, int rc);

#endif
