/*
 * The cases plugin's pure parts: the state machine tables (the dates are
 * the host's now: test_services.c).  The plugin's files are compiled in
 * here: they need nothing of the host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/cases/states.c"

static void states_lead(void **state)
{
	const struct transition *t;
	char allowed[300];

	(void)state;
	t = transition_find(KIND_LEAD, "registered", "dispose.talk_inquiry");
	assert_non_null(t);
	assert_string_equal(t->to, "inquiring");
	assert_true(t->approval);
	assert_string_equal(t->disposition, "talk_inquiry");
	t = transition_find(KIND_LEAD, "inquiring", "outcome.escalate");
	assert_string_equal(t->to, "verifying");
	assert_string_equal(t->disposition, "prelim_verification");
	assert_null(transition_find(KIND_LEAD, "closed", "dispose.close"));
	assert_null(transition_find(KIND_LEAD, "registered", "file"));
	assert_false(transition_find(KIND_LEAD, "held", "reactivate")->approval);
	transitions_allowed(KIND_LEAD, "registered", allowed, sizeof(allowed));
	assert_string_equal(
	    allowed, "dispose (talk_inquiry, prelim_verification, hold_pending, close), extend");
	transitions_allowed(KIND_LEAD, "verifying", allowed, sizeof(allowed));
	assert_string_equal(allowed, "outcome (file, close, hold), extend");
	transitions_allowed(KIND_LEAD, "closed", allowed, sizeof(allowed));
	assert_string_equal(allowed, "none (closed is final)");
	transitions_allowed(KIND_LEAD, "registered", allowed, 12); /* cut, never overrun */
	assert_int_equal(strlen(allowed), 11);
	assert_true(state_terminal(KIND_LEAD, "filed"));
	assert_false(state_terminal(KIND_LEAD, "to_file"));
	assert_string_equal(state_deadline_key(KIND_LEAD, "verifying"), "verification_days");
	assert_string_equal(state_deadline_key(KIND_LEAD, "closed"), "");
	assert_true(state_valid(KIND_LEAD, "held"));
	assert_false(state_valid(KIND_LEAD, "decided"));
}

static void states_case(void **state)
{
	char allowed[300];

	(void)state;
	assert_string_equal(transition_find(KIND_CASE, "filed", "plan")->to, "investigating");
	assert_null(transition_find(KIND_CASE, "filed", "measure"));
	assert_null(transition_find(KIND_CASE, "investigating", "measure")->to);
	assert_string_equal(transition_find(KIND_CASE, "in_review", "review.return")->to,
			    "investigating");
	transitions_allowed(KIND_CASE, "investigating", allowed, sizeof(allowed));
	assert_string_equal(allowed, "measure, extend, conclude");
	assert_true(state_terminal(KIND_CASE, "decided"));
	assert_string_equal(state_deadline_key(KIND_CASE, "investigating"), "investigation_days");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(states_lead),
	    cmocka_unit_test(states_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
