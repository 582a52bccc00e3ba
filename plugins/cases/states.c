/*
 * The state machines of leads and cases, as tables (docs/cases.md draws
 * them).  A row is one allowed action from one state; an action that is
 * not in the table for the record's state answers 409 naming the allowed
 * ones.  Actions marked `approval` are proposed (by staff or a leader) and
 * take effect when a leader approves them.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

static const struct transition lead_table[] = {
    {"registered", "dispose.talk_inquiry", "inquiring", 1, "talk_inquiry"},
    {"registered", "dispose.prelim_verification", "verifying", 1, "prelim_verification"},
    {"registered", "dispose.hold_pending", "held", 1, "hold_pending"},
    {"registered", "dispose.close", "closed", 1, "close"},
    {"registered", "extend", NULL, 1, NULL},
    {"inquiring", "outcome.cleared", "concluded", 1, NULL},
    {"inquiring", "outcome.reminder", "concluded", 1, NULL},
    {"inquiring", "outcome.criticism", "concluded", 1, NULL},
    /* escalating to verification is a new disposition (counted as such) */
    {"inquiring", "outcome.escalate", "verifying", 1, "prelim_verification"},
    {"inquiring", "extend", NULL, 1, NULL},
    {"verifying", "outcome.file", "to_file", 1, NULL},
    {"verifying", "outcome.close", "closed", 1, NULL},
    {"verifying", "outcome.hold", "held", 1, NULL},
    {"verifying", "extend", NULL, 1, NULL},
    {"held", "reactivate", "registered", 0, NULL},
    {"held", "extend", NULL, 1, NULL},
    {"to_file", "file", "filed", 0, NULL},
};

static const struct transition case_table[] = {
    {"filed", "plan", "investigating", 1, NULL},
    {"filed", "extend", NULL, 1, NULL},
    {"investigating", "measure", NULL, 1, NULL},
    {"investigating", "extend", NULL, 1, NULL},
    {"investigating", "conclude", "concluded", 1, NULL},
    /* the review plugin's events (decision.c) */
    {"concluded", "review.accept", "in_review", 0, NULL},
    {"concluded", "decide", "decided", 0, NULL},
    {"concluded", "extend", NULL, 1, NULL},
    {"in_review", "review.return", "investigating", 0, NULL},
    {"in_review", "review.done", "reviewed", 0, NULL},
    {"reviewed", "decide", "decided", 0, NULL},
    {"reviewed", "extend", NULL, 1, NULL},
};

struct state_info {
	const char *name;
	const char *deadline_key; /* config key of the stage's days; "" none */
};

static const struct state_info lead_states[] = {
    {"registered", "disposition_days"},
    {"inquiring", "talk_inquiry_days"},
    {"verifying", "verification_days"},
    {"held", "hold_review_days"},
    {"to_file", "filing_days"},
    {"filed", ""},
    {"closed", ""},
    {"concluded", ""},
};

static const struct state_info case_states[] = {
    {"filed", "plan_days"}, {"investigating", "investigation_days"}, {"concluded", "decision_days"},
    {"in_review", ""},	    {"reviewed", "decision_days"},	     {"decided", ""},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct transition *table_of(enum rec_kind k, size_t *n)
{
	*n = k == KIND_LEAD ? N(lead_table) : N(case_table);
	return k == KIND_LEAD ? lead_table : case_table;
}

static const struct state_info *state_of(enum rec_kind k, const char *state)
{
	const struct state_info *s = k == KIND_LEAD ? lead_states : case_states;
	size_t n = k == KIND_LEAD ? N(lead_states) : N(case_states);

	for (size_t i = 0; state != NULL && i < n; i++)
		if (strcmp(s[i].name, state) == 0)
			return &s[i];
	return NULL;
}

const struct transition *transition_find(enum rec_kind k, const char *state, const char *action)
{
	size_t n;
	const struct transition *t = table_of(k, &n);

	for (size_t i = 0; state != NULL && action != NULL && i < n; i++)
		if (strcmp(t[i].from, state) == 0 && strcmp(t[i].action, action) == 0)
			return &t[i];
	return NULL;
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

void transitions_allowed(enum rec_kind k, const char *state, char *out, size_t len)
{
	size_t n;
	const struct transition *t = table_of(k, &n);
	char verb[32], prev[32] = "";

	out[0] = '\0';
	for (size_t i = 0; state != NULL && i < n; i++) {
		const char *arg;
		size_t used = strlen(out);

		if (strcmp(t[i].from, state) != 0)
			continue;
		split_action(t[i].action, verb, sizeof(verb), &arg);
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

/* Whether the table lists t[i]'s action before row i (from another state). */
static int listed_before(const struct transition *t, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(t[j].action, t[i].action) == 0)
			return 1;
	return 0;
}

int action_arg_known(enum rec_kind k, const char *verb, const char *arg, char *out, size_t len)
{
	size_t n, vlen = strlen(verb);
	const struct transition *t = table_of(k, &n);
	int known = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *a = t[i].action;

		if (strncmp(a, verb, vlen) != 0 || a[vlen] != '.')
			continue;
		known |= arg != NULL && strcmp(a + vlen + 1, arg) == 0;
		if (listed_before(t, i))
			continue;
		if (out[0])
			append(out, len, ", ");
		append(out, len, a + vlen + 1);
	}
	return known;
}

int state_terminal(enum rec_kind k, const char *state)
{
	size_t n;
	const struct transition *t = table_of(k, &n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].from, state) == 0)
			return 0;
	return 1;
}

const char *state_deadline_key(enum rec_kind k, const char *state)
{
	const struct state_info *s = state_of(k, state);

	return s ? s->deadline_key : "";
}

int state_valid(enum rec_kind k, const char *state)
{
	return state_of(k, state) != NULL;
}
