/* The client address behind trusted proxies: who is believed, how the chain is walked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <jiandu/plugin.h>

#include "transport/forwarded.h"

static const char *client(const char *peer, const char *trusted, const char *fwd, const char *xff)
{
	static char out[64];

	jd_forwarded_client(peer, trusted, fwd, xff, out, sizeof(out));
	return out;
}

static void test_untrusted_peer_is_the_client(void **state)
{
	(void)state;
	assert_string_equal(client("198.51.100.1", "", NULL, "10.0.0.9"), "198.51.100.1");
	assert_string_equal(client("198.51.100.1", "10.0.0.0/8", NULL, "10.0.0.9"), "198.51.100.1");
	assert_string_equal(client("-", "10.0.0.0/8", NULL, "10.0.0.9"), "-");
}

static void test_x_forwarded_for_from_the_right(void **state)
{
	const char *t = "10.0.0.0/8, 192.168.1.1";

	(void)state;
	assert_string_equal(client("10.1.2.3", t, NULL, "203.0.113.5"), "203.0.113.5");
	/* the client forges the left part; the proxy's right end names it */
	assert_string_equal(client("10.1.2.3", t, NULL, "6.6.6.6, 203.0.113.5"), "203.0.113.5");
	/* two proxies: both trusted hops are skipped */
	assert_string_equal(client("10.1.2.3", t, NULL, "203.0.113.5, 192.168.1.1"), "203.0.113.5");
	/* garbage ends the walk at the last trusted hop */
	assert_string_equal(client("10.1.2.3", t, NULL, "203.0.113.5, junk, 10.9.9.9"), "10.9.9.9");
	assert_string_equal(client("10.1.2.3", t, NULL, ""), "10.1.2.3");
	assert_string_equal(client("10.1.2.3", t, NULL, NULL), "10.1.2.3");
}

static void test_forwarded_header(void **state)
{
	const char *t = "127.0.0.1 ::1";

	(void)state;
	assert_string_equal(
	    client("127.0.0.1", t, "for=192.0.2.60;proto=http;by=203.0.113.43", NULL),
	    "192.0.2.60");
	assert_string_equal(client("::1", t, "for=\"[2001:db8:cafe::17]:4711\"", NULL),
			    "2001:db8:cafe::17");
	assert_string_equal(client("127.0.0.1", t, "For=\"192.0.2.1:80\", for=198.51.100.17", NULL),
			    "198.51.100.17");
	/* Forwarded wins over X-Forwarded-For */
	assert_string_equal(client("127.0.0.1", t, "for=192.0.2.60", "198.51.100.2"), "192.0.2.60");
	/* unknown and obfuscated nodes are not addresses */
	assert_string_equal(client("127.0.0.1", t, "for=unknown", NULL), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", t, "proto=https", NULL), "127.0.0.1");
}

static void test_long_chain_keeps_the_right_end(void **state)
{
	char xff[2048] = "";

	(void)state;
	for (int i = 0; i < 100; i++)
		snprintf(xff + strlen(xff), sizeof(xff) - strlen(xff), "6.6.6.%d, ", i % 250);
	strcat(xff, "203.0.113.5");
	assert_string_equal(client("10.0.0.1", "10.0.0.0/8", NULL, xff), "203.0.113.5");
}

static void test_cidr(void **state)
{
	char err[200];

	(void)state;
	assert_string_equal(client("10.255.0.1", "10.0.0.0/9", NULL, "1.2.3.4"), "10.255.0.1");
	assert_string_equal(client("10.127.0.1", "10.0.0.0/9", NULL, "1.2.3.4"), "1.2.3.4");
	assert_string_equal(client("2001:db8::5", "2001:db8::/32", NULL, "1.2.3.4"), "1.2.3.4");
	assert_int_equal(jd_forwarded_check("", err, sizeof(err)), JD_OK);
	assert_int_equal(jd_forwarded_check("10.0.0.0/8, ::1 fd00::/8", err, sizeof(err)), JD_OK);
	assert_int_equal(jd_forwarded_check("10.0.0.0/33", err, sizeof(err)), JD_E_INVALID);
	assert_non_null(strstr(err, "'10.0.0.0/33'"));
	assert_int_equal(jd_forwarded_check("proxy.example", err, sizeof(err)), JD_E_INVALID);
	assert_int_equal(jd_forwarded_check("10.0.0.1/", err, sizeof(err)), JD_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_untrusted_peer_is_the_client),
	    cmocka_unit_test(test_x_forwarded_for_from_the_right),
	    cmocka_unit_test(test_forwarded_header),
	    cmocka_unit_test(test_long_chain_keeps_the_right_end),
	    cmocka_unit_test(test_cidr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
