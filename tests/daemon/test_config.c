/* Config parsing: defaults, every kind of bad value, line numbers, reload diffs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"
#include "testutil.h"

static int load_text(const char *text, struct jd_config **cfg, char *err, size_t errlen)
{
	const char *path = write_temp_file("jiandud.conf", text);
	int rc;

	assert_non_null(path);
	rc = jd_config_load(path, cfg, err, errlen);
	remove_temp_file(path);
	return rc;
}

static void expect_error(const char *text, const char *fragment)
{
	struct jd_config *cfg = NULL;
	char err[512] = "";

	assert_int_not_equal(load_text(text, &cfg, err, sizeof(err)), JD_OK);
	assert_null(cfg);
	if (strstr(err, fragment) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, fragment);
}

static void test_defaults_and_relative_paths(void **state)
{
	struct jd_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(load_text("[server]\nlog_level = debug\n", &cfg, err, sizeof(err)), JD_OK);
	assert_string_equal(cfg->log_level, "debug");
	assert_int_equal(cfg->max_body, 1048576);
	assert_int_equal(cfg->max_connections, 1024);
	assert_string_equal(cfg->control_listen, "127.0.0.1:7443");
	assert_string_equal(cfg->redis_url, "");
	assert_int_equal(cfg->log_syslog, 0);
	/* relative paths are resolved against the config file's directory */
	assert_true(cfg->tls_cert[0] == '/');
	assert_non_null(strstr(cfg->tls_cert, "/tls/server.crt"));
	assert_true(strncmp(cfg->tls_cert, cfg->dir, strlen(cfg->dir)) == 0);
	jd_config_free(cfg);
}

static void test_values(void **state)
{
	struct jd_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(load_text("[limits]\nmax_body = 2048\n[api]\nlisten = [::1]:9443\n"
				   "[server]\nlog_syslog = yes\ndata_dir = /srv/jd\n"
				   "[plugin.example]\ngreeting = ni hao\n",
				   &cfg, err, sizeof(err)),
			 JD_OK);
	assert_int_equal(cfg->max_body, 2048);
	assert_string_equal(cfg->api_listen, "[::1]:9443");
	assert_int_equal(cfg->log_syslog, 1);
	assert_string_equal(cfg->data_dir, "/srv/jd");
	assert_string_equal(jd_config_plugin_value(cfg, "example", "greeting"), "ni hao");
	assert_null(jd_config_plugin_value(cfg, "example", "other"));
	jd_config_free(cfg);
}

static void test_unknown_key_names_line(void **state)
{
	(void)state;
	expect_error("[server]\nlog_level = info\nlog_lvl = debug\n",
		     ":3: unknown key 'log_lvl' in [server]");
}

static void test_unknown_section(void **state)
{
	(void)state;
	expect_error("# comment\n[servr]\nx = 1\n", ":3: unknown section [servr]");
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error("[limits]\nmax_body = lots\n", ":2: limits.max_body: expected a whole number");
	expect_error("[limits]\nmax_body = 12\n", "from 64 to");
	expect_error("[limits]\nidle_timeout = -5\n", ":2: limits.idle_timeout");
	expect_error("[server]\nlog_syslog = maybe\n", "expected yes or no");
	expect_error("[server]\nlog_level = loud\n", "expected debug, info");
	expect_error("[control]\nlisten = localhost\n", "control.listen: expected host:port");
	expect_error("[control]\nlisten = 1.2.3.4:99999\n", "control.listen");
	expect_error("[redis]\nurl = http://x\n", ":2: redis.url");
	expect_error("[server]\nlog_level = info\nlog_level = debug\n",
		     ":3: server.log_level is set twice");
	expect_error("[control]\nlisten = 127.0.0.1:1\n[api]\nlisten = 127.0.0.1:1\n",
		     "same address");
	expect_error("[redis]\nbackoff_min_ms = 500\nbackoff_max_ms = 100\n", "backoff_min_ms");
	expect_error("[server\n", "syntax error");
}

static void test_first_error_wins(void **state)
{
	(void)state;
	expect_error("[limits]\nmax_body = abc\n[server]\nbogus = 1\n",
		     ":2: limits.max_body: expected a whole number");
	expect_error("[plugin.x]\na = 1\na = 2\n", ":3: plugin.x.a is set twice");
}

static void test_keep_fixed(void **state)
{
	struct jd_config *cur = NULL, *next = NULL;
	char err[512];
	const char *path = write_temp_file("jiandud.conf", "[limits]\nmax_body = 4096\n"
							   "[plugin.x]\ngreeting = old\n");
	const char *kept;
	FILE *f;

	(void)state;
	assert_non_null(path);
	assert_int_equal(jd_config_load(path, &cur, err, sizeof(err)), JD_OK);
	kept = jd_config_plugin_value(cur, "x", "greeting");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[limits]\nmax_body = 8192\n[api]\nlisten = 127.0.0.1:9999\n"
	      "[plugin.x]\ngreeting = new\n",
	      f);
	fclose(f);
	assert_int_equal(jd_config_load(path, &next, err, sizeof(err)), JD_OK);
	remove_temp_file(path);
	jd_config_keep_fixed(next, cur);
	jd_config_free(cur);
	assert_int_equal(next->max_body, 8192);			 /* live: the new value */
	assert_string_equal(next->api_listen, "127.0.0.1:8443"); /* restart-only: in force */
	/* what a plugin was handed stays valid and unchanged until a restart */
	assert_ptr_equal(jd_config_plugin_value(next, "x", "greeting"), kept);
	assert_string_equal(kept, "old");
	jd_config_free(next);
}

static void test_missing_file(void **state)
{
	struct jd_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_not_equal(jd_config_load("/nonexistent/jiandud.conf", &cfg, err, sizeof(err)),
			     JD_OK);
	assert_non_null(strstr(err, "/nonexistent/jiandud.conf"));
}

/* Like expect_error, for text holding any byte (a NUL included). */
static void expect_bytes_error(const char *bytes, size_t len, const char *fragment)
{
	const char *path = write_temp_bytes("jiandud.conf", bytes, len);
	struct jd_config *cfg = NULL;
	char err[512] = "";

	assert_non_null(path);
	assert_int_not_equal(jd_config_load(path, &cfg, err, sizeof(err)), JD_OK);
	assert_null(cfg);
	if (strstr(err, path) == NULL || strstr(err, fragment) == NULL)
		fail_msg("error '%s' does not name the file and '%s'", err, fragment);
	remove_temp_file(path);
}

static void test_control_characters(void **state)
{
	static const char nul[] = "[server]\nlog_level = info\n[redis]\nserver = redis\0-evil\n";
	static const char esc[] = "# fine\n[server]\nlog_level = in\x1b[2Jfo\n";
	static const char cr[] = "[server]\nlog_level = info\rdebug\n";
	struct jd_config *cfg = NULL;
	char err[512];

	(void)state;
	/* inih would have cut the value at the NUL: the file is refused, naming the line */
	expect_bytes_error(nul, sizeof(nul) - 1, ":4: control character 0x00 (a NUL byte)");
	expect_bytes_error(esc, sizeof(esc) - 1, ":3: control character 0x1b");
	expect_bytes_error(cr, sizeof(cr) - 1, ":2: control character 0x0d");
	/* tabs and CRLF line ends are text */
	assert_int_equal(load_text("[server]\r\nlog_level =\tdebug\r\n", &cfg, err, sizeof(err)),
			 JD_OK);
	assert_string_equal(cfg->log_level, "debug");
	jd_config_free(cfg);
}

static void test_diff_live_and_fixed(void **state)
{
	struct jd_config *a = NULL, *b = NULL;
	char err[512], live[256], fixed[256];
	const char *path = write_temp_file("jiandud.conf", "[limits]\nmax_body = 4096\n");
	FILE *f;

	(void)state;
	assert_non_null(path);
	assert_int_equal(jd_config_load(path, &a, err, sizeof(err)), JD_OK);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[limits]\nmax_body = 8192\n[api]\nlisten = 127.0.0.1:9999\n", f);
	fclose(f);
	assert_int_equal(jd_config_load(path, &b, err, sizeof(err)), JD_OK);
	remove_temp_file(path);
	assert_int_equal(jd_config_diff(a, b, live, sizeof(live), fixed, sizeof(fixed)), 2);
	assert_string_equal(live, "limits.max_body");
	assert_string_equal(fixed, "api.listen");
	jd_config_free(a);
	jd_config_free(b);
}

static void test_split_hostport(void **state)
{
	char host[64];
	unsigned port;

	(void)state;
	assert_int_equal(jd_config_split_hostport("127.0.0.1:80", host, sizeof(host), &port),
			 JD_OK);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 80);
	assert_int_equal(jd_config_split_hostport("[::1]:0", host, sizeof(host), &port), JD_OK);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 0);
	assert_int_not_equal(jd_config_split_hostport("::1:80", host, sizeof(host), &port), JD_OK);
	assert_int_not_equal(jd_config_split_hostport(":80", host, sizeof(host), &port), JD_OK);
	assert_int_not_equal(jd_config_split_hostport("h:", host, sizeof(host), &port), JD_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_relative_paths),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_unknown_key_names_line),
	    cmocka_unit_test(test_unknown_section),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_first_error_wins),
	    cmocka_unit_test(test_keep_fixed),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_control_characters),
	    cmocka_unit_test(test_diff_live_and_fixed),
	    cmocka_unit_test(test_split_hostport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
