/*
 * durability = replica: a write is acknowledged only once a replica has it.
 * After the command that writes, WAIT <replicas> <timeout> goes on the same
 * connection, pipelined (no extra round trip before it is sent); the
 * operation's answer is held until the last WAIT it sent has answered.
 * WAIT counts the replicas that acknowledged every write this connection
 * made so far, so the last WAIT covers the retries before it too.
 */
#ifndef JD_REPLICA_WAIT_H
#define JD_REPLICA_WAIT_H

struct jd_redis;

struct jd_replica_gate {
	unsigned waits;	 /* WAITs sent and not answered yet */
	unsigned want;	 /* replicas the last WAIT asked for */
	int unconfirmed; /* the last WAIT answered: fewer replicas, an error, or none */
	int unsent;	 /* a WAIT could not be sent: stays unconfirmed */
	int held;	 /* the operation finished while WAITs were in flight */
	/* called once the last WAIT answered, when held is set */
	void (*release)(struct jd_replica_gate *g);
};

/*
 * Sends WAIT replicas timeout_ms on r, after the write just sent.  When it
 * cannot be sent, the gate stays unconfirmed (the write went out alone):
 * the operation answers 503.
 */
void jd_replica_wait_send(struct jd_redis *r, unsigned replicas, unsigned timeout_ms,
			  struct jd_replica_gate *g);

/* 1 when WAITs are in flight: the caller keeps its answer until release(). */
int jd_replica_hold(struct jd_replica_gate *g);
/*
 * rc, or JD_E_UNAVAILABLE (logged) for a success that no replica confirmed:
 * the write may stand, but it is not acknowledged.  what and tenant name it
 * in the log.
 */
int jd_replica_verdict(const struct jd_replica_gate *g, int rc, const char *what,
		       const char *tenant);

#endif
