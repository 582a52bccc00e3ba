/* Browser sessions' pure parts: the cookie header, the stored value, the secret's shape. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <jiandu/plugin.h>

#include "security/session.h"
#include "security/tokens.h"

static void test_cookie_found_among_others(void **state)
{
	char out[JD_TOKEN_MAX];

	(void)state;
	assert_true(jd_session_from_cookie("__Host-jd_session=jds_abc", out, sizeof(out)));
	assert_string_equal(out, "jds_abc");
	assert_true(jd_session_from_cookie("a=1; __Host-jd_session=jds_x; b=2", out, sizeof(out)));
	assert_string_equal(out, "jds_x");
	assert_true(jd_session_from_cookie("a=1;__Host-jd_session=jds_y", out, sizeof(out)));
	assert_string_equal(out, "jds_y");
}

static void test_cookie_absent_or_unfit(void **state)
{
	char out[8];

	(void)state;
	assert_false(jd_session_from_cookie("", out, sizeof(out)));
	assert_false(jd_session_from_cookie("jd_session=jds_abc", out, sizeof(out)));
	/* another cookie's name ending like ours is not ours */
	assert_false(jd_session_from_cookie("x__Host-jd_session=jds_a", out, sizeof(out)));
	assert_false(jd_session_from_cookie("__Host-jd_session=", out, sizeof(out)));
	assert_false(jd_session_from_cookie("__Host-jd_session=jds_too_long", out, sizeof(out)));
}

static void test_stored_value(void **state)
{
	char user[65];
	long long exp = 0;

	(void)state;
	assert_int_equal(jd_session_parse("lena|1900000000", user, sizeof(user), &exp), JD_OK);
	assert_string_equal(user, "lena");
	assert_int_equal(exp, 1900000000LL);
	assert_int_equal(jd_session_parse("lena|", user, sizeof(user), &exp), JD_E_INVALID);
	assert_int_equal(jd_session_parse("|1900000000", user, sizeof(user), &exp), JD_E_INVALID);
	assert_int_equal(jd_session_parse("Lena Bad|1", user, sizeof(user), &exp), JD_E_INVALID);
	assert_int_equal(jd_session_parse("lena|19x", user, sizeof(user), &exp), JD_E_INVALID);
	assert_int_equal(jd_session_parse("nobar", user, sizeof(user), &exp), JD_E_INVALID);
}

static void test_secret_shape(void **state)
{
	char token[JD_TOKEN_MAX], hash[65], again[65];

	(void)state;
	assert_int_equal(jd_secret_new(JD_SESSION_PREFIX, token, hash), JD_OK);
	assert_int_equal(strncmp(token, "jds_", 4), 0);
	assert_int_equal(strlen(token), 4 + 43); /* 256 bits of base64url */
	assert_int_equal(jd_secret_hash(JD_SESSION_PREFIX, token, again), JD_OK);
	assert_string_equal(hash, again);
	/* a session is no bearer token, nor the other way round */
	assert_int_equal(jd_token_hash(token, again), JD_E_INVALID);
	assert_int_equal(jd_secret_hash(JD_SESSION_PREFIX, "jds_a;b=c", again), JD_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cookie_found_among_others),
	    cmocka_unit_test(test_cookie_absent_or_unfit),
	    cmocka_unit_test(test_stored_value),
	    cmocka_unit_test(test_secret_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
