/*
 * Proposals and approvals, for every record with a state machine
 * (svc_machine.h): an action marked `approval` is proposed (by staff or a
 * leader), waits in the record's field "pending" and blocks every other
 * proposal until a leader approves it (the transition takes effect, dated
 * by the approval) or rejects it.  Behind the host's proposal_* slots; the
 * plugin adds its own arguments and effects.
 */
#ifndef JD_SVC_PROPOSAL_H
#define JD_SVC_PROPOSAL_H

#include <jiandu/plugin.h>

int jd_proposal_none(const struct jd_machine *m, const json_t *rec, const char *id,
		     struct jd_refusal *r);
int jd_proposal_open(const struct jd_machine *m, const json_t *rec, const char *id,
		     const char *verb, const char *arg_field, const char *arg, jd_req *req,
		     json_t **pending, struct jd_refusal *r);
void jd_proposal_put(struct jd_mut *mut, const json_t *pending);
int jd_proposal_approve(const struct jd_machine *m, const json_t *rec, const char *id,
			const char *date, jd_req *req, struct jd_mut *mut,
			const struct jd_transition **t, json_t **pending, jd_day *day,
			struct jd_refusal *r);
int jd_proposal_reject(const struct jd_machine *m, const json_t *rec, const char *id,
		       const char *reason, jd_req *req, struct jd_mut *mut, struct jd_refusal *r);

#endif
