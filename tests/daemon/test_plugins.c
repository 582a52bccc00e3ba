/* The plugin loader: every start-up error names the plugin and the reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>

#include "host/bus.h"
#include "runtime/config.h"
#include "host/plugins.h"
#include "security/auth.h"
#include "security/permissions.h"
#include "transport/router.h"
#include "transport/server.h"
#include "testutil.h"

static int load(const char *list, const char *extra, struct jd_plugins **out, char *err,
		size_t errlen, struct jd_server *srv)
{
	const char *build = getenv("JD_BUILD_DIR");
	char text[1024];
	const char *path;
	struct jd_config *cfg = NULL;
	int rc;

	assert_non_null(build);
	snprintf(text, sizeof(text), "[plugins]\ndir = %s/tests/plugins\nload = %s\n%s", build,
		 list, extra ? extra : "");
	path = write_temp_file("jiandud.conf", text);
	assert_non_null(path);
	assert_int_equal(jd_config_load(path, &cfg, err, errlen), JD_OK);
	remove_temp_file(path);
	srv->cfg = cfg;
	rc = jd_plugins_load(srv, cfg, jd_host_table(), out, err, errlen);
	return rc;
}

static void setup_server(struct jd_server *srv)
{
	memset(srv, 0, sizeof(*srv));
	srv->base = event_base_new();
	srv->router = jd_router_new();
	srv->bus = jd_bus_new(srv->base);
	assert_non_null(srv->base);
}

static void teardown_server(struct jd_server *srv)
{
	jd_bus_free(srv->bus);
	jd_router_free(srv->router);
	event_base_free(srv->base);
	jd_config_free(srv->cfg);
}

static void expect_failure(const char *list, const char *extra, const char *fragment)
{
	struct jd_server srv;
	struct jd_plugins *ps = NULL;
	char err[512] = "";

	setup_server(&srv);
	assert_int_not_equal(load(list, extra, &ps, err, sizeof(err), &srv), JD_OK);
	assert_null(ps);
	if (strstr(err, fragment) == NULL)
		fail_msg("'%s' does not contain '%s'", err, fragment);
	/* a failed start leaves no plugin route behind */
	assert_int_equal(jd_router_count(srv.router), 0);
	teardown_server(&srv);
}

static void test_abi_mismatch(void **state)
{
	char want[120];

	(void)state;
	snprintf(want, sizeof(want),
		 "plugin 'bad_abi': built for plugin ABI 3.0, this jiandud provides %d.%d",
		 JD_ABI_MAJOR, JD_ABI_MINOR);
	expect_failure("bad_abi", NULL, want);
}

static void test_layout_mismatch(void **state)
{
	char want[200];

	(void)state;
	/* both signatures, the plugin's (one pointer less in jd_mutation) and ours */
	snprintf(want, sizeof(want), "mutation=%zu", sizeof(struct jd_mutation) - sizeof(void *));
	expect_failure("bad_layout", NULL, "plugin 'bad_layout': layout signature plugin=");
	expect_failure("bad_layout", NULL, want);
	snprintf(want, sizeof(want), "differs from this jiandud's plugin=%zu host=%zu",
		 sizeof(struct jd_plugin), sizeof(struct jd_host));
	expect_failure("bad_layout", NULL, want);
}

static void test_foreign_permission(void **state)
{
	(void)state;
	expect_failure("perm_foreign", NULL,
		       "plugin 'perm_foreign': permission 'cases.approve' is outside its prefix "
		       "'perm_foreign.'");
	assert_null(jd_perms_owner("perm_foreign.read"));
}

static void test_undeclared_permission(void **state)
{
	(void)state;
	/* init went on as if the route were added: start-up stops all the same */
	expect_failure("order_first,perm_undeclared", NULL,
		       "plugin 'perm_undeclared': route POST /v1/perm_undeclared/x: permission "
		       "'perm_undeclared.write' is declared by neither the core nor plugin "
		       "'perm_undeclared'");
	assert_null(jd_perms_owner("perm_undeclared.read"));
}

static void test_permissions_follow_the_plugin(void **state)
{
	struct jd_server srv;
	struct jd_plugins *ps = NULL;
	char err[512] = "";

	(void)state;
	setup_server(&srv);
	assert_null(jd_perms_owner("perm_probe.read"));
	assert_int_equal(load("perm_probe", NULL, &ps, err, sizeof(err), &srv), JD_OK);
	assert_string_equal(jd_perms_owner("perm_probe.read"), "perm_probe");
	assert_int_equal(jd_perms_roles("perm_probe.read"), JD_ROLE_AUDITOR | JD_ROLE_VIEWER);
	assert_int_equal(jd_router_count(srv.router), 2);
	jd_plugins_unload(ps);
	assert_null(jd_perms_owner("perm_probe.read"));
	teardown_server(&srv);
}

static void test_bad_magic(void **state)
{
	(void)state;
	expect_failure("bad_magic", NULL, "plugin 'bad_magic':");
	expect_failure("bad_magic", NULL, "bad descriptor magic");
}

static void test_no_descriptor(void **state)
{
	(void)state;
	expect_failure("no_descriptor", NULL, "exports no 'jd_plugin' descriptor");
}

static void test_missing_file(void **state)
{
	(void)state;
	expect_failure("absent", NULL, "plugin 'absent': cannot load");
}

static void test_missing_dependency(void **state)
{
	(void)state;
	expect_failure("needs_missing", NULL,
		       "plugin 'needs_missing' requires plugin 'nonexistent', which is not in "
		       "[plugins] load");
}

static void test_init_failure(void **state)
{
	(void)state;
	/* order_first starts, then init_fails fails: order_first is stopped again */
	expect_failure("order_first,init_fails", NULL, "plugin 'init_fails': init failed");
}

static void test_bad_names(void **state)
{
	(void)state;
	expect_failure("../etc", NULL, "bad plugin name");
	expect_failure("order_first, order_first", NULL, "listed twice");
}

static void test_unknown_plugin_key(void **state)
{
	(void)state;
	expect_failure("order_first,order_second", "[plugin.order_second]\nlevl = 2\n",
		       "[plugin.order_second] unknown key 'levl'");
}

static void test_dependency_order(void **state)
{
	struct jd_server srv;
	struct jd_plugins *ps = NULL;
	char err[512] = "";

	(void)state;
	setup_server(&srv);
	assert_int_equal(load(" order_second , order_first,slow",
			      "[plugin.order_second]\nlevel = 2\n", &ps, err, sizeof(err), &srv),
			 JD_OK);
	assert_non_null(ps);
	assert_int_equal(ps->n, 3);
	assert_string_equal(ps->list[0]->name, "order_first");
	assert_string_equal(ps->list[1]->name, "order_second");
	assert_string_equal(ps->list[2]->name, "slow");
	assert_int_equal(jd_router_count(srv.router), 1); /* slow's route */
	jd_plugins_unload(ps);
	assert_int_equal(jd_router_count(srv.router), 0);
	teardown_server(&srv);
}

static void test_empty_list(void **state)
{
	struct jd_server srv;
	struct jd_plugins *ps = NULL;
	char err[512] = "";

	(void)state;
	setup_server(&srv);
	assert_int_equal(load("", NULL, &ps, err, sizeof(err), &srv), JD_OK);
	assert_int_equal(ps->n, 0);
	jd_plugins_unload(ps);
	teardown_server(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_abi_mismatch),
	    cmocka_unit_test(test_layout_mismatch),
	    cmocka_unit_test(test_foreign_permission),
	    cmocka_unit_test(test_undeclared_permission),
	    cmocka_unit_test(test_permissions_follow_the_plugin),
	    cmocka_unit_test(test_bad_magic),
	    cmocka_unit_test(test_no_descriptor),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_missing_dependency),
	    cmocka_unit_test(test_init_failure),
	    cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_unknown_plugin_key),
	    cmocka_unit_test(test_dependency_order),
	    cmocka_unit_test(test_empty_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
