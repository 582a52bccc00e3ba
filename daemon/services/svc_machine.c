/* State machines declared as data (svc_machine.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "services/svc_machine.h"

void jd_refuse(struct jd_refusal *r, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (r == NULL)
		return;
	r->status = status;
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

const struct jd_transition *jd_machine_find(const struct jd_machine *m, const char *state,
					    const char *action)
{
	if (m == NULL || state == NULL || action == NULL)
		return NULL;
	for (const struct jd_transition *t = m->transitions; t->from != NULL; t++)
		if (strcmp(t->from, state) == 0 && strcmp(t->action, action) == 0)
			return t;
	return NULL;
}

void jd_machine_refuse(const struct jd_machine *m, const char *id, const char *state,
		       const char *action, struct jd_refusal *r)
{
	char allowed[300];

	jd_machine_allowed(m, state, allowed, sizeof(allowed));
	jd_refuse(r, 409, "illegal_transition", "%s %s is %s: '%s' is not allowed; allowed: %s",
		  m->type ? m->type : "record", id ? id : "", state ? state : "",
		  action ? action : "", allowed);
}

const struct jd_transition *jd_machine_step(const struct jd_machine *m, const char *id,
					    const char *state, const char *action,
					    struct jd_refusal *r)
{
	const struct jd_transition *t = jd_machine_find(m, state, action);

	if (t == NULL && m != NULL)
		jd_machine_refuse(m, id, state, action, r);
	return t;
}

/* "dispose.close" -> verb "dispose", arg "close"; "extend" -> "extend", "". */
static void split_action(const char *a, char *verb, size_t vlen, const char **arg)
{
	const char *dot = strchr(a, '.');
	size_t n = dot ? (size_t)(dot - a) : strlen(a);

	snprintf(verb, vlen, "%.*s", (int)n, a);
	*arg = dot ? dot + 1 : "";
}

/* Appends to out (len bytes) what fits. */
static void append(char *out, size_t len, const char *s)
{
	size_t used = strlen(out);

	if (used + 1 < len)
		snprintf(out + used, len - used, "%s", s);
}

void jd_machine_allowed(const struct jd_machine *m, const char *state, char *out, size_t len)
{
	char verb[32], prev[32] = "";

	out[0] = '\0';
	for (const struct jd_transition *t = m->transitions; state != NULL && t->from; t++) {
		const char *arg;
		size_t used = strlen(out);

		if (strcmp(t->from, state) != 0)
			continue;
		split_action(t->action, verb, sizeof(verb), &arg);
		if (*arg && strcmp(verb, prev) == 0 && used > 0 && out[used - 1] == ')') {
			out[used - 1] = '\0'; /* another argument of the same verb */
			append(out, len, ", ");
		} else {
			if (used)
				append(out, len, ", ");
			append(out, len, verb);
			if (*arg)
				append(out, len, " (");
		}
		append(out, len, arg);
		if (*arg)
			append(out, len, ")");
		snprintf(prev, sizeof(prev), "%s", *arg ? verb : "");
	}
	if (out[0] == '\0')
		snprintf(out, len, "none (%s is final)", state ? state : "?");
}

/* Whether the table lists t's action before t (from another state). */
static int listed_before(const struct jd_machine *m, const struct jd_transition *t)
{
	for (const struct jd_transition *u = m->transitions; u != t; u++)
		if (strcmp(u->action, t->action) == 0)
			return 1;
	return 0;
}

int jd_machine_arg_known(const struct jd_machine *m, const char *verb, const char *arg, char *out,
			 size_t len)
{
	size_t vlen = strlen(verb);
	int known = 0;

	out[0] = '\0';
	for (const struct jd_transition *t = m->transitions; t->from != NULL; t++) {
		const char *a = t->action;

		if (strncmp(a, verb, vlen) != 0 || a[vlen] != '.')
			continue;
		known |= arg != NULL && strcmp(a + vlen + 1, arg) == 0;
		if (listed_before(m, t))
			continue;
		if (out[0])
			append(out, len, ", ");
		append(out, len, a + vlen + 1);
	}
	return known;
}

const struct jd_state *jd_machine_state(const struct jd_machine *m, const char *state)
{
	for (const struct jd_state *s = m ? m->states : NULL; s && state && s->name; s++)
		if (strcmp(s->name, state) == 0)
			return s;
	return NULL;
}

int jd_machine_terminal(const struct jd_machine *m, const char *state)
{
	for (const struct jd_transition *t = m->transitions; t->from != NULL; t++)
		if (state != NULL && strcmp(t->from, state) == 0)
			return 0;
	return 1;
}
