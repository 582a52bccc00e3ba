/*
 * The read gate (transport/read_gate.c): with no write in progress reads
 * are never held; while one is, at most limits.reads_in_flight are past
 * the gate and the others wait in order of arrival, each let on when a
 * place frees (from the loop, not from inside the answer), and all of
 * them when the writes end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "runtime/config.h"
#include "transport/read_gate.h"
#include "transport/request.h"
#include "transport/server.h"

struct fx {
	struct event_base *base;
	struct jd_config cfg;
	struct jd_server srv;
	struct jd_read_gate *g;
};

static int order[16], norder;
static struct jd_req reqs[8];

static void record(struct jd_req *req)
{
	order[norder++] = (int)(req - reqs);
}

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	memset(reqs, 0, sizeof(reqs));
	norder = 0;
	f.base = event_base_new();
	assert_non_null(f.base);
	f.cfg.reads_in_flight = 2;
	f.srv.base = f.base;
	f.srv.cfg = &f.cfg;
	f.g = jd_read_gate_new(&f.srv);
	assert_non_null(f.g);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jd_read_gate_free(f->g);
	event_base_free(f->base);
	return 0;
}

static void run_loop(struct fx *f)
{
	event_base_loop(f->base, EVLOOP_NONBLOCK);
}

static void test_no_write_no_bound(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 5; i++)
		assert_int_equal(jd_read_gate_enter(f->g, &reqs[i], record), 1);
	assert_int_equal(jd_read_gate_waiting(f->g), 0);
	for (int i = 0; i < 5; i++)
		jd_read_gate_leave(f->g, &reqs[i]);
	assert_int_equal(jd_read_gate_held_total(f->g), 0);
}

static void test_bounded_while_writing(void **state)
{
	struct fx *f = *state;
	struct jd_req *w = &reqs[7];

	assert_int_equal(jd_read_gate_enter(f->g, &reqs[0], record), 1);
	jd_read_gate_write(f->g, w);
	assert_int_equal(jd_read_gate_enter(f->g, &reqs[1], record), 1); /* 2 of 2 */
	assert_int_equal(jd_read_gate_enter(f->g, &reqs[2], record), 0);
	assert_int_equal(jd_read_gate_enter(f->g, &reqs[3], record), 0);
	assert_int_equal(jd_read_gate_enter(f->g, &reqs[4], record), 0);
	assert_int_equal(jd_read_gate_waiting(f->g), 3);
	assert_int_equal(jd_read_gate_held_total(f->g), 3);
	/* a place frees: the oldest waiting goes on, from the loop */
	jd_read_gate_leave(f->g, &reqs[0]);
	assert_int_equal(norder, 0);
	run_loop(f);
	assert_int_equal(norder, 1);
	assert_int_equal(order[0], 2);
	assert_int_equal(jd_read_gate_waiting(f->g), 2);
	/* a request answered that never held a place frees none */
	jd_read_gate_leave(f->g, &reqs[6]);
	run_loop(f);
	assert_int_equal(norder, 1);
	/* the writes end: every read waiting goes on, in order */
	jd_read_gate_leave(f->g, w);
	run_loop(f);
	assert_int_equal(norder, 3);
	assert_int_equal(order[1], 3);
	assert_int_equal(order[2], 4);
	assert_int_equal(jd_read_gate_waiting(f->g), 0);
	for (int i = 1; i < 5; i++)
		jd_read_gate_leave(f->g, &reqs[i]);
}

/* A new read never overtakes one waiting, even when a place is free. */
static void test_no_overtaking(void **state)
{
	struct fx *f = *state;
	struct jd_req *w = &reqs[7];

	jd_read_gate_write(f->g, w);
	assert_int_equal(jd_read_gate_enter(f->g, &reqs[0], record), 1);
	assert_int_equal(jd_read_gate_enter(f->g, &reqs[1], record), 1);
	assert_int_equal(jd_read_gate_enter(f->g, &reqs[2], record), 0);
	jd_read_gate_leave(f->g, &reqs[0]); /* a place, but reqs[2] waits for the loop */
	assert_int_equal(jd_read_gate_enter(f->g, &reqs[3], record), 0);
	run_loop(f);
	assert_int_equal(norder, 1);
	assert_int_equal(order[0], 2);
	jd_read_gate_leave(f->g, w);
	run_loop(f);
	assert_int_equal(norder, 2);
	assert_int_equal(order[1], 3);
	for (int i = 1; i < 4; i++)
		jd_read_gate_leave(f->g, &reqs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_no_write_no_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounded_while_writing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_overtaking, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
