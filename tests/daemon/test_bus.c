/* The event bus: delivery on the loop, after the publisher returns, in subscription order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <event2/event.h>

#include "host/bus.h"

struct seen {
	char log[256];
	struct jd_bus *bus;
	int republish;
};

static void record(const char *name, json_t *payload, void *arg, const char *who)
{
	struct seen *s = arg;
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, "%s:%s:%lld;", who, name,
		 (long long)json_integer_value(json_object_get(payload, "n")));
}

static void sub_a(const char *name, json_t *payload, void *arg)
{
	struct seen *s = arg;

	record(name, payload, arg, "a");
	if (s->republish) {
		s->republish = 0;
		assert_int_equal(jd_bus_publish(s->bus, "later", json_pack("{s:i}", "n", 9)),
				 JD_OK);
	}
}

static void sub_b(const char *name, json_t *payload, void *arg)
{
	record(name, payload, arg, "b");
}

static void test_delivery(void **state)
{
	struct event_base *base = event_base_new();
	struct jd_bus *bus = jd_bus_new(base);
	struct seen s = {.bus = bus};
	int owner_a, owner_b;

	(void)state;
	assert_int_equal(jd_bus_subscribe(bus, &owner_a, "case.filed", sub_a, &s), JD_OK);
	assert_int_equal(jd_bus_subscribe(bus, &owner_b, "case.filed", sub_b, &s), JD_OK);
	assert_int_equal(jd_bus_subscribe(bus, &owner_a, "later", sub_a, &s), JD_OK);
	assert_int_equal(jd_bus_subscribe(bus, &owner_b, "", sub_b, &s), JD_E_INVALID);
	assert_int_equal(jd_bus_publish(bus, "case.filed", json_pack("{s:i}", "n", 1)), JD_OK);
	assert_int_equal(jd_bus_publish(bus, "nobody.listens", json_pack("{s:i}", "n", 2)), JD_OK);
	assert_int_equal(jd_bus_publish(bus, "case.filed", json_pack("{s:i}", "n", 3)), JD_OK);
	assert_string_equal(s.log, ""); /* never inside publish */
	s.republish = 1;
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_string_equal(s.log, "a:case.filed:1;b:case.filed:1;a:case.filed:3;b:case.filed:3;"
				   "a:later:9;");
	assert_int_equal(jd_bus_published(bus), 4);
	/* a stopped plugin hears nothing more */
	s.log[0] = '\0';
	jd_bus_unsubscribe_owner(bus, &owner_a);
	assert_int_equal(jd_bus_publish(bus, "case.filed", NULL), JD_OK);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_string_equal(s.log, "b:case.filed:0;");
	/* undelivered events are released with the bus */
	assert_int_equal(jd_bus_publish(bus, "case.filed", json_pack("{s:i}", "n", 5)), JD_OK);
	jd_bus_free(bus);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_delivery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
