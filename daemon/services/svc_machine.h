/*
 * State machines declared as data (struct jd_machine): the lookups behind
 * the host's machine_* slots.  A row of the transition table is one
 * allowed action from one state; an action not in the table for the
 * record's state is refused with 409 naming the allowed ones.
 */
#ifndef JD_SVC_MACHINE_H
#define JD_SVC_MACHINE_H

#include <stddef.h>

#include <jiandu/plugin.h>

const struct jd_transition *jd_machine_find(const struct jd_machine *m, const char *state,
					    const char *action);
const struct jd_transition *jd_machine_step(const struct jd_machine *m, const char *id,
					    const char *state, const char *action,
					    struct jd_refusal *r);
/* Fills r with the 409 illegal_transition refusal of action from state, naming the allowed ones. */
void jd_machine_refuse(const struct jd_machine *m, const char *id, const char *state,
		       const char *action, struct jd_refusal *r);
void jd_machine_allowed(const struct jd_machine *m, const char *state, char *out, size_t len);
/*
 * Whether arg is an argument of verb from some state, whatever the
 * record's state; the verb's arguments ("a, b, c") into out.
 */
int jd_machine_arg_known(const struct jd_machine *m, const char *verb, const char *arg, char *out,
			 size_t len);
const struct jd_state *jd_machine_state(const struct jd_machine *m, const char *state);
int jd_machine_terminal(const struct jd_machine *m, const char *state);
/* Fills r: status, code and the formatted message. */
void jd_refuse(struct jd_refusal *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
