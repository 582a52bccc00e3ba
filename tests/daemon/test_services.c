/*
 * The domain services' pure parts (daemon/services/): calendar dates
 * (parsing, order, counter buckets, the year before, event dates checked
 * against the record's history) and state machines declared as data (the
 * cases plugin's tables, compiled in: they are data and need no host),
 * the mutation builder, the counters and deadlines a step adds to its
 * mutation, and proposals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "services/svc_counters.h"
#include "services/svc_dates.h"
#include "services/svc_deadlines.h"
#include "services/svc_machine.h"
#include "services/svc_mut.h"
#include "services/svc_proposal.h"

#include "../../plugins/cases/states.c"

static void dates_parse(void **state)
{
	jd_day d, e;
	char s[11];

	(void)state;
	assert_int_equal(jd_day_parse("2026-03-01", &d), 0);
	assert_int_equal(jd_day_parse("2026-02-28", &e), 0);
	assert_int_equal(d - e, 1);
	assert_int_equal(jd_day_parse("2024-02-29", &d), 0);
	assert_int_equal(jd_day_parse("2026-02-29", &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse("2026-13-01", &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse("2026-1-01", &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse("20260101", &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse(NULL, &d), JD_E_INVALID);
	assert_int_equal(jd_day_parse("1900-01-01", &d), JD_E_INVALID); /* before 1949 is refused */
	assert_int_equal(jd_day_parse("2000-01-01", &d), 0);
	assert_int_equal(d, 10957);
	jd_day_format(d + 366, s);
	assert_string_equal(s, "2001-01-01");
	assert_int_equal(jd_day_number(d), 20000101);
	assert_int_equal(jd_day_from_number(20000101), d);
	assert_int_equal(jd_day_year(d), 2000);
}

static void dates_year_before(void **state)
{
	jd_day d;
	char s[11];

	(void)state;
	jd_day_parse("2024-02-29", &d);
	jd_day_format(jd_day_year_before(d), s);
	assert_string_equal(s, "2023-02-28");
	jd_day_parse("2026-06-30", &d);
	jd_day_format(jd_day_year_before(d), s);
	assert_string_equal(s, "2025-06-30");
}

static void dates_buckets(void **state)
{
	jd_day a, b;
	char **bk;
	int n;

	(void)state;
	jd_day_parse("2026-01-30", &a);
	jd_day_parse("2026-04-02", &b);
	n = jd_buckets_plan(a, b, &bk);
	/* 30, 31 January; February; March; 1, 2 April */
	assert_int_equal(n, 6);
	assert_string_equal(bk[0], "20260130");
	assert_string_equal(bk[1], "20260131");
	assert_string_equal(bk[2], "202602");
	assert_string_equal(bk[3], "202603");
	assert_string_equal(bk[4], "20260401");
	assert_string_equal(bk[5], "20260402");
	jd_buckets_free(bk, n);
	jd_day_parse("2026-01-01", &a);
	jd_day_parse("2026-12-31", &b);
	n = jd_buckets_plan(a, b, &bk);
	assert_int_equal(n, 12); /* a year: twelve months, not 365 days */
	jd_buckets_free(bk, n);
	n = jd_buckets_plan(b, a, &bk);
	assert_int_equal(n, 0);
	jd_buckets_free(bk, n);
}

static void dates_input(void **state)
{
	jd_day d, before;
	char err[200];

	(void)state;
	assert_int_equal(jd_date_input("date", NULL, -1, NULL, &d, err, sizeof(err)), 0);
	assert_int_equal(d, jd_day_today());
	assert_int_equal(jd_date_input("date", "2999-01-01", -1, NULL, &d, err, sizeof(err)),
			 JD_E_INVALID);
	assert_non_null(strstr(err, "field 'date': 2999-01-01 is in the future"));
	assert_int_equal(jd_date_input("date", "2026-02-31", -1, NULL, &d, err, sizeof(err)),
			 JD_E_INVALID);
	assert_non_null(strstr(err, "must be a date"));
	jd_day_parse("2026-01-10", &before);
	assert_int_equal(
	    jd_date_input("date", "2026-01-09", before, "received", &d, err, sizeof(err)),
	    JD_E_INVALID);
	assert_non_null(strstr(err, "is before received (2026-01-10)"));
	assert_int_equal(
	    jd_date_input("date", "2026-01-10", before, "received", &d, err, sizeof(err)), 0);
}

/* A state's deadline key, "" when it has none. */
static const char *deadline_key(const struct jd_machine *m, const char *state)
{
	const struct jd_state *s = jd_machine_state(m, state);

	return s && s->deadline_key ? s->deadline_key : "";
}

static void states_lead(void **state)
{
	const struct jd_transition *t;
	char allowed[300];

	(void)state;
	t = jd_machine_find(&lead_machine, "registered", "dispose.talk_inquiry");
	assert_non_null(t);
	assert_string_equal(t->to, "inquiring");
	assert_true(t->approval);
	assert_string_equal(t->tag, "talk_inquiry");
	t = jd_machine_find(&lead_machine, "inquiring", "outcome.escalate");
	assert_string_equal(t->to, "verifying");
	assert_string_equal(t->tag, "prelim_verification");
	assert_null(jd_machine_find(&lead_machine, "closed", "dispose.close"));
	assert_null(jd_machine_find(&lead_machine, "registered", "file"));
	assert_false(jd_machine_find(&lead_machine, "held", "reactivate")->approval);
	jd_machine_allowed(&lead_machine, "registered", allowed, sizeof(allowed));
	assert_string_equal(
	    allowed, "dispose (talk_inquiry, prelim_verification, hold_pending, close), extend");
	jd_machine_allowed(&lead_machine, "verifying", allowed, sizeof(allowed));
	assert_string_equal(allowed, "outcome (file, close, hold), extend");
	jd_machine_allowed(&lead_machine, "closed", allowed, sizeof(allowed));
	assert_string_equal(allowed, "none (closed is final)");
	jd_machine_allowed(&lead_machine, "registered", allowed, 12); /* cut, never overrun */
	assert_int_equal(strlen(allowed), 11);
	assert_true(jd_machine_terminal(&lead_machine, "filed"));
	assert_false(jd_machine_terminal(&lead_machine, "to_file"));
	assert_string_equal(deadline_key(&lead_machine, "verifying"), "verification_days");
	assert_string_equal(deadline_key(&lead_machine, "closed"), "");
	assert_true(jd_machine_state(&lead_machine, "held") != NULL);
	assert_false(jd_machine_state(&lead_machine, "decided") != NULL);
}

static void states_case(void **state)
{
	char allowed[300];

	(void)state;
	assert_string_equal(jd_machine_find(&case_machine, "filed", "plan")->to, "investigating");
	assert_null(jd_machine_find(&case_machine, "filed", "measure"));
	assert_null(jd_machine_find(&case_machine, "investigating", "measure")->to);
	assert_string_equal(jd_machine_find(&case_machine, "in_review", "review.return")->to,
			    "investigating");
	jd_machine_allowed(&case_machine, "investigating", allowed, sizeof(allowed));
	assert_string_equal(allowed, "measure, extend, conclude");
	assert_true(jd_machine_terminal(&case_machine, "decided"));
	assert_string_equal(deadline_key(&case_machine, "investigating"), "investigation_days");
}

/* Whether m holds op (kind, key, member, value); value NULL matches any. */
static int has_op(struct jd_mut *m, enum jd_op_kind kind, const char *key, const char *member,
		  const char *value)
{
	size_t n;
	const struct jd_op *ops = jd_mut_ops(m, &n);

	for (size_t i = 0; i < n; i++)
		if (ops[i].kind == kind && strcmp(ops[i].key, key) == 0 &&
		    (member == NULL || (ops[i].member && strcmp(ops[i].member, member) == 0)) &&
		    (value == NULL || (ops[i].value && strcmp(ops[i].value, value) == 0)))
			return 1;
	return 0;
}

/* The value m sets field to, or NULL. */
static const char *set_of(struct jd_mut *m, const char *field)
{
	struct jd_mutation w = {0};

	if (jd_mut_fill(m, &w) != JD_OK)
		return NULL;
	for (size_t i = 0; w.set[i] != NULL; i += 2)
		if (strcmp(w.set[i], field) == 0)
			return w.set[i + 1];
	return NULL;
}

static void mut_builder(void **state)
{
	struct jd_mut *m = jd_mut_new();
	struct jd_mutation w = {0};
	char tmp[16];

	(void)state;
	assert_non_null(m);
	snprintf(tmp, sizeof(tmp), "v%d", 1);
	jd_mut_set(m, "a", tmp);
	tmp[0] = 'x'; /* the builder copied it */
	jd_mut_setf(m, "b", "%d-%s", 2, "x");
	jd_mut_del(m, "c");
	jd_mut_op(m, JD_OP_SADD, "idx", "m1", NULL);
	assert_int_equal(jd_mut_fill(m, &w), JD_OK);
	assert_string_equal(w.set[0], "a");
	assert_string_equal(w.set[1], "v1");
	assert_string_equal(w.set[3], "2-x");
	assert_null(w.set[4]);
	assert_string_equal(w.del[0], "c");
	assert_null(w.del[1]);
	assert_int_equal(w.n_ops, 1);
	jd_mut_fail(m);
	assert_int_equal(jd_mut_fill(m, &w), JD_E_NOMEM);
	jd_mut_free(m);
	jd_mut_free(NULL);
}

/*
 * Further records of one mutation: a child's fields become HSET / HDEL ops
 * of its record, its version check a CHECK and a "_v" HINCRBY, its ops and
 * events the parent's; it is never submitted alone, and a reserved field
 * fails the whole.
 */
static void mut_records(void **state)
{
	struct jd_mut *m = jd_mut_new(), *c, *d;
	struct jd_mutation w = {0};
	size_t n;

	(void)state;
	assert_non_null(m);
	jd_mut_set(m, "title", "letter");
	c = jd_mut_record(m, "item:L-1", JD_VERSION_NEW);
	assert_non_null(c);
	jd_mut_set(c, "title", "problem 1");
	jd_mut_setf(c, "n", "%d", 1);
	jd_mut_del(c, "old");
	jd_mut_op(c, JD_OP_ZADD, "items:all", "L-1", "5");
	jd_mut_event(c, "x.made", json_object());
	d = jd_mut_record(c, "item:L-2", 3); /* a child's child is the parent's */
	jd_mut_set(d, "title", "problem 2");
	assert_true(has_op(m, JD_OP_CHECK, "item:L-1", NULL, "0"));
	assert_true(has_op(m, JD_OP_HINCRBY, "item:L-1", "_v", "1"));
	assert_true(has_op(m, JD_OP_HSET, "item:L-1", "title", "problem 1"));
	assert_true(has_op(m, JD_OP_HSET, "item:L-1", "n", "1"));
	assert_true(has_op(m, JD_OP_HDEL, "item:L-1", "old", NULL));
	assert_true(has_op(m, JD_OP_ZADD, "items:all", "L-1", "5"));
	assert_true(has_op(m, JD_OP_CHECK, "item:L-2", NULL, "3"));
	assert_true(has_op(m, JD_OP_HSET, "item:L-2", "title", "problem 2"));
	assert_int_equal(jd_mut_ops(c, &n), jd_mut_ops(m, &n)); /* the child's ops are m's */
	assert_int_equal(jd_mut_fill(c, &w), JD_E_INVALID);	/* never submitted alone */
	assert_int_equal(jd_mut_fill(m, &w), JD_OK);
	assert_string_equal(w.set[1], "letter"); /* the main record's own fields only */
	assert_null(w.set[2]);
	assert_int_equal(w.n_events, 1);
	jd_mut_free(c); /* does nothing: m owns it */
	assert_non_null(jd_mut_record(m, "item:L-3", JD_VERSION_ANY));
	assert_false(has_op(m, JD_OP_CHECK, "item:L-3", NULL, NULL));
	jd_mut_set(jd_mut_record(m, "item:L-4", JD_VERSION_NEW), "_v", "9");
	assert_int_equal(jd_mut_fill(m, &w), JD_E_INVALID);
	jd_mut_free(m);
	m = jd_mut_new();
	assert_null(jd_mut_record(m, "", JD_VERSION_NEW));
	assert_int_equal(jd_mut_fill(m, &w), JD_E_INVALID);
	jd_mut_free(m);
}

static void counters_buckets(void **state)
{
	static const char *const metrics[] = {"received", NULL};
	const struct jd_counters c = {"cnt", metrics};
	struct jd_mut *m = jd_mut_new();
	jd_day d;
	size_t n;

	(void)state;
	jd_day_parse("2026-03-05", &d);
	jd_counter_add(m, &c, "ag1", "received", d, 1);
	assert_true(has_op(m, JD_OP_HINCRBY, "cnt:t", "received|20260305", "1"));
	assert_true(has_op(m, JD_OP_HINCRBY, "cnt:t", "received|202603", "1"));
	assert_true(has_op(m, JD_OP_HINCRBY, "cnt:u:ag1", "received|20260305", "1"));
	assert_true(has_op(m, JD_OP_HINCRBY, "cnt:u:ag1", "received|202603", "1"));
	assert_true(has_op(m, JD_OP_SADD, "cnt:units", "ag1", NULL));
	jd_mut_ops(m, &n);
	assert_int_equal(n, 5);
	jd_counter_add(m, &c, "", "received", d, -1); /* no unit: the tenant's only */
	jd_mut_ops(m, &n);
	assert_int_equal(n, 7);
	jd_mut_free(m);
}

static void deadlines_move(void **state)
{
	struct jd_mut *m = jd_mut_new();
	json_t *rec;
	jd_day d;

	(void)state;
	jd_day_parse("2026-03-05", &d);
	/* no config: the state's default days (talk inquiry: 30) */
	assert_int_equal(jd_deadline_due(NULL, &lead_machine, "inquiring", d), d + 30);
	assert_int_equal(jd_deadline_due(NULL, &lead_machine, "closed", d), -1);
	jd_machine_move(NULL, &lead_machine, m, "L1", "registered", "inquiring", d);
	assert_string_equal(set_of(m, "state"), "inquiring");
	assert_string_equal(set_of(m, "state_since"), "2026-03-05");
	assert_string_equal(set_of(m, "due"), "2026-04-04");
	assert_true(has_op(m, JD_OP_ZREM, "leads:state:registered", "L1", NULL));
	assert_true(has_op(m, JD_OP_ZREM, "deadlines", "lead:L1#registered", NULL));
	assert_true(has_op(m, JD_OP_HDEL, "deadlines:sent", "lead:L1#registered", NULL));
	assert_true(has_op(m, JD_OP_ZADD, "leads:state:inquiring", "L1", "20260305"));
	assert_true(has_op(m, JD_OP_ZADD, "deadlines", "lead:L1#inquiring", "20260404"));
	jd_mut_free(m);

	m = jd_mut_new();
	jd_machine_move(NULL, &lead_machine, m, "L1", "inquiring", "concluded", d);
	assert_string_equal(set_of(m, "due"), ""); /* a final state has no deadline */
	jd_mut_free(m);

	m = jd_mut_new();
	rec = json_pack("{s:s, s:s, s:s}", "state", "verifying", "due", "2026-03-10", "ext_days",
			"5");
	jd_deadline_extend(&lead_machine, m, rec, "L1", 10);
	assert_string_equal(set_of(m, "due"), "2026-03-20");
	assert_string_equal(set_of(m, "ext_days"), "15");
	assert_true(has_op(m, JD_OP_ZADD, "deadlines", "lead:L1#verifying", "20260320"));
	assert_true(has_op(m, JD_OP_HDEL, "deadlines:sent", "lead:L1#verifying", NULL));
	json_decref(rec);
	jd_mut_free(m);
}

static void proposals(void **state)
{
	json_t *rec = json_pack("{s:s, s:s}", "state", "registered", "state_since", "2026-01-10");
	json_t *pending = NULL;
	const struct jd_transition *t;
	struct jd_refusal r;
	struct jd_mut *m = jd_mut_new();
	jd_day day;

	(void)state;
	assert_int_equal(jd_proposal_open(&lead_machine, rec, "L1", "dispose", "way", "bogus", NULL,
					  &pending, &r),
			 JD_E_INVALID);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.message, "field 'way': 'bogus' is not one of talk_inquiry, "
					  "prelim_verification, hold_pending, close"));
	assert_int_equal(jd_proposal_open(&lead_machine, rec, "L1", "outcome", "outcome", "file",
					  NULL, &pending, &r),
			 JD_E_CONFLICT);
	assert_string_equal(r.code, "illegal_transition");
	assert_non_null(strstr(r.message, "lead L1 is registered: 'outcome.file' is not allowed; "
					  "allowed: dispose (talk_inquiry, prelim_verification, "
					  "hold_pending, close), extend"));
	assert_int_equal(jd_proposal_reject(&lead_machine, rec, "L1", NULL, NULL, m, &r),
			 JD_E_CONFLICT);
	assert_string_equal(r.code, "nothing_pending");
	assert_int_equal(jd_proposal_open(&lead_machine, rec, "L1", "dispose", "way", "close", NULL,
					  &pending, &r),
			 JD_OK);
	assert_string_equal(json_string_value(json_object_get(pending, "action")), "dispose.close");
	assert_string_equal(json_string_value(json_object_get(pending, "from")), "registered");
	jd_proposal_put(m, pending);
	json_object_set_new(rec, "pending", json_string(set_of(m, "pending")));
	json_decref(pending);
	assert_int_equal(
	    jd_proposal_open(&lead_machine, rec, "L1", "extend", NULL, NULL, NULL, &pending, &r),
	    JD_E_CONFLICT);
	assert_string_equal(r.code, "awaiting_approval");
	assert_int_equal(jd_proposal_approve(&lead_machine, rec, "L1", "2026-01-09", NULL, m, &t,
					     &pending, &day, &r),
			 JD_E_INVALID);
	assert_non_null(strstr(r.message, "is before the record entered its state (2026-01-10)"));
	assert_int_equal(jd_proposal_approve(&lead_machine, rec, "L1", "2026-01-11", NULL, m, &t,
					     &pending, &day, &r),
			 JD_OK);
	assert_string_equal(t->to, "closed");
	assert_string_equal(t->tag, "close");
	assert_string_equal(json_string_value(json_object_get(pending, "action")), "dispose.close");
	json_decref(pending);
	json_decref(rec);
	jd_mut_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dates_parse),	cmocka_unit_test(dates_year_before),
	    cmocka_unit_test(dates_buckets),	cmocka_unit_test(dates_input),
	    cmocka_unit_test(states_lead),	cmocka_unit_test(states_case),
	    cmocka_unit_test(mut_builder),	cmocka_unit_test(mut_records),
	    cmocka_unit_test(counters_buckets), cmocka_unit_test(deadlines_move),
	    cmocka_unit_test(proposals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
