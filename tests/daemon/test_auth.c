/* The permission matrix, role parsing, user ids, tokens' shape and the failure limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "security/permissions.h"
#include "security/ratelimit.h"
#include "security/tokens.h"

/* As a domain plugin would declare them (the cases plugin's defaults). */
static const struct jd_permission cases_perms[] = {
    {"cases.read", "read", "leader,staff,reviewer"},
    {"cases.write", "write", "leader,staff"},
    {"cases.approve", "approve", "leader"},
    {"cases.stats", "figures", "leader,staff,viewer"},
    {NULL, NULL, NULL},
};

static const struct jd_permission review_perms[] = {
    {"review.decide", "decide", "reviewer"},
    {NULL, NULL, NULL},
};

static void test_matrix(void **state)
{
	char err[300];

	(void)state;
	/* the core's own permissions need no declaration by anyone */
	assert_true(jd_auth_roles_allow(JD_ROLE_TENANT_ADMIN, "users.write"));
	assert_true(jd_auth_roles_allow(JD_ROLE_TENANT_ADMIN, "org.write"));
	assert_false(jd_auth_roles_allow(JD_ROLE_TENANT_ADMIN, "org.ties.read"));
	assert_false(jd_auth_roles_allow(JD_ROLE_TENANT_ADMIN, "metrics.read"));
	assert_false(jd_auth_roles_allow(JD_ROLE_STAFF, "users.read"));
	assert_false(jd_auth_roles_allow(JD_ROLE_STAFF, "audit.read"));
	assert_true(jd_auth_roles_allow(JD_ROLE_AUDITOR, "audit.read"));
	assert_false(jd_auth_roles_allow(0, "status.read"));
	/* a plugin's, only once declared */
	assert_false(jd_auth_roles_allow(JD_ROLE_STAFF, "cases.write"));
	assert_int_equal(jd_perms_declare("cases", cases_perms, err, sizeof(err)), JD_OK);
	assert_int_equal(jd_perms_declare("review", review_perms, err, sizeof(err)), JD_OK);
	assert_string_equal(jd_perms_owner("cases.read"), "cases");
	assert_string_equal(jd_perms_owner("status.read"), JD_PERMS_CORE);
	assert_null(jd_perms_owner("cases.nothing"));
	assert_true(jd_auth_roles_allow(JD_ROLE_ADMIN, "anything.at_all"));
	assert_true(jd_auth_roles_allow(JD_ROLE_STAFF, "cases.write"));
	assert_false(jd_auth_roles_allow(JD_ROLE_STAFF, "cases.approve"));
	assert_true(jd_auth_roles_allow(JD_ROLE_LEADER, "cases.approve"));
	assert_false(jd_auth_roles_allow(JD_ROLE_AUDITOR, "cases.read"));
	assert_true(jd_auth_roles_allow(JD_ROLE_VIEWER, "cases.stats"));
	assert_false(jd_auth_roles_allow(JD_ROLE_VIEWER, "cases.read"));
	assert_false(jd_auth_roles_allow(JD_ROLE_VIEWER, "stats"));
	assert_false(jd_auth_roles_allow(JD_ROLE_TENANT_ADMIN, "cases.read"));
	assert_true(jd_auth_roles_allow(JD_ROLE_REVIEWER | JD_ROLE_VIEWER, "review.decide"));
	assert_false(jd_auth_roles_allow(JD_ROLE_LEADER, "review.decide"));
	assert_false(jd_auth_roles_allow(JD_ROLE_STAFF, "cases"));
	/* unloaded: gone from the matrix */
	jd_perms_remove_owner("review");
	assert_false(jd_auth_roles_allow(JD_ROLE_REVIEWER, "review.decide"));
	assert_true(jd_auth_roles_allow(JD_ROLE_REVIEWER, "cases.read"));
	jd_perms_remove_owner("cases");
	assert_false(jd_auth_roles_allow(JD_ROLE_STAFF, "cases.write"));
}

static void expect_refused(const char *owner, const struct jd_permission *t, const char *want)
{
	char err[300] = "";

	assert_int_equal(jd_perms_declare(owner, t, err, sizeof(err)), JD_E_INVALID);
	if (strstr(err, want) == NULL)
		fail_msg("'%s' does not contain '%s'", err, want);
	assert_null(jd_perms_owner(t[0].name)); /* nothing of a refused table stays */
}

static void test_declare_refused(void **state)
{
	static const struct jd_permission other_prefix[] = {{"cases.read", "r", "staff"},
							    {NULL, NULL, NULL}};
	static const struct jd_permission bad_role[] = {{"probe.read", "r", "staff,boss"},
							{NULL, NULL, NULL}};
	static const struct jd_permission twice[] = {
	    {"probe.read", "r", "staff"}, {"probe.read", "r", "leader"}, {NULL, NULL, NULL}};
	static const struct jd_permission no_summary[] = {{"probe.read", "", "staff"},
							  {NULL, NULL, NULL}};
	static const struct jd_permission bad_name[] = {{"probe.Read", "r", "staff"},
							{NULL, NULL, NULL}};
	static const struct jd_permission wildcard[] = {{"probe.*", "r", "staff"},
							{NULL, NULL, NULL}};
	static const struct jd_permission core_owned[] = {{"org.shadow", "r", "staff"},
							  {NULL, NULL, NULL}};

	(void)state;
	expect_refused("probe", other_prefix,
		       "plugin 'probe': permission 'cases.read' is outside its prefix 'probe.'");
	expect_refused("probe", bad_role, "permission 'probe.read': unknown role 'boss'");
	expect_refused("probe", twice, "permission 'probe.read' is declared twice");
	expect_refused("probe", no_summary, "permission 'probe.read' has no summary");
	expect_refused("probe", bad_name, "is not a name of [a-z0-9_] segments");
	expect_refused("probe", wildcard, "is not a name of [a-z0-9_] segments");
	expect_refused("org", core_owned, "the permission prefix 'org.' is the core's");
}

static void test_matrix_json(void **state)
{
	static const struct jd_permission probe[] = {{"probe.read", "read probes", "auditor"},
						     {NULL, NULL, NULL}};
	char err[300];
	json_t *m, *rows, *last;

	(void)state;
	assert_int_equal(jd_perms_declare("probe", probe, err, sizeof(err)), JD_OK);
	m = jd_perms_matrix();
	assert_non_null(m);
	rows = json_object_get(m, "permissions");
	assert_true(json_array_size(rows) > 10);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(rows, 0), "declared_by")), "core");
	last = json_array_get(rows, json_array_size(rows) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "permission")), "probe.read");
	assert_string_equal(json_string_value(json_object_get(last, "declared_by")), "probe");
	assert_string_equal(json_string_value(json_object_get(last, "summary")), "read probes");
	assert_true(json_is_true(json_object_get(last, "admin")));
	assert_true(json_is_true(json_object_get(last, "auditor")));
	assert_true(json_is_false(json_object_get(last, "leader")));
	json_decref(m);
	jd_perms_remove_owner("probe");
}

static void test_roles_text(void **state)
{
	unsigned r = 0;
	char err[200], out[200];

	(void)state;
	assert_int_equal(jd_auth_parse_roles("staff, leader", &r, err, sizeof(err)), JD_OK);
	assert_int_equal(r, JD_ROLE_STAFF | JD_ROLE_LEADER);
	jd_auth_format_roles(r, out, sizeof(out));
	assert_string_equal(out, "leader,staff");
	assert_int_equal(jd_auth_parse_roles("staff,root", &r, err, sizeof(err)), JD_E_INVALID);
	assert_non_null(strstr(err, "unknown role 'root'"));
	assert_int_equal(jd_auth_parse_roles("", &r, err, sizeof(err)), JD_OK);
	assert_int_equal(r, 0);
}

static void test_user_ids(void **state)
{
	(void)state;
	assert_true(jd_auth_user_id_valid("alice"));
	assert_true(jd_auth_user_id_valid("wang.wei-2"));
	assert_false(jd_auth_user_id_valid(""));
	assert_false(jd_auth_user_id_valid("Alice"));
	assert_false(jd_auth_user_id_valid(".alice"));
	assert_false(jd_auth_user_id_valid("a b"));
	assert_false(jd_auth_user_id_valid("a|b"));
}

static void test_tokens(void **state)
{
	char tok[JD_TOKEN_MAX], hash[65], again[65];
	long long ttl;

	(void)state;
	assert_int_equal(jd_token_new(tok, hash), JD_OK);
	assert_int_equal(strncmp(tok, "jdt_", 4), 0);
	assert_int_equal(strlen(tok), 4 + 43);
	assert_int_equal(jd_token_hash(tok, again), JD_OK);
	assert_string_equal(hash, again);
	assert_int_equal(jd_token_hash("jdt_bad token", again), JD_E_INVALID);
	assert_int_equal(jd_token_hash("Basic xyz", again), JD_E_INVALID);
	/* known answer, from Python: hashlib.blake2b(b"jdt_abcdefgh", digest_size=32).hexdigest()
	 */
	assert_int_equal(jd_token_hash("jdt_abcdefgh", again), JD_OK);
	assert_string_equal(again,
			    "b87cc0f337f94f6d1817e889a82c92710781ec790e6b678177f517a249348469");
	assert_int_equal(jd_token_parse_ttl("30d", &ttl), JD_OK);
	assert_int_equal(ttl, 30 * 86400);
	assert_int_equal(jd_token_parse_ttl("90m", &ttl), JD_OK);
	assert_int_equal(ttl, 5400);
	assert_int_equal(jd_token_parse_ttl("59s", &ttl), JD_E_INVALID);
	assert_int_equal(jd_token_parse_ttl("366d", &ttl), JD_E_INVALID);
	assert_int_equal(jd_token_parse_ttl("10", &ttl), JD_E_INVALID);
	assert_int_equal(jd_token_parse_ttl("-1d", &ttl), JD_E_INVALID);
}

struct checked {
	int calls, which;
	unsigned wait;
};

static void on_checked(int which, unsigned wait, void *arg)
{
	struct checked *c = arg;

	c->calls++;
	c->which = which;
	c->wait = wait;
}

/* Without Redis to ask, the check answers at once from the local counters. */
static void test_ratelimit_check_local(void **state)
{
	const char *kinds[2] = {"pfx", "id"}, *keys[2] = {"jdt_AAAAAAAA", "lena"};
	struct checked c = {0, 0, 0};

	(void)state;
	jd_ratelimit_share(NULL);
	jd_ratelimit_reset();
	jd_ratelimit_check(2, kinds, keys, on_checked, &c);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.which, -1);
	assert_int_equal(c.wait, 0);
	for (int i = 0; i < JD_RL_MAX_FAILURES; i++)
		jd_ratelimit_failure("id", "lena", time(NULL));
	jd_ratelimit_check(2, kinds, keys, on_checked, &c);
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.which, 1); /* the second key, the identity */
	assert_true(c.wait > 0 && c.wait <= JD_RL_BLOCK_S);
	jd_ratelimit_reset();
}

static void test_ratelimit(void **state)
{
	time_t t = 1000000;

	(void)state;
	jd_ratelimit_reset();
	for (int i = 0; i < JD_RL_MAX_FAILURES - 1; i++)
		jd_ratelimit_failure("ip", "10.0.0.1", t);
	assert_int_equal(jd_ratelimit_blocked("ip", "10.0.0.1", t), 0);
	jd_ratelimit_failure("ip", "10.0.0.1", t);
	assert_int_equal(jd_ratelimit_blocked("ip", "10.0.0.1", t), JD_RL_BLOCK_S);
	assert_int_equal(jd_ratelimit_blocked("ip", "10.0.0.2", t), 0);
	assert_int_equal(jd_ratelimit_blocked("id", "10.0.0.1", t), 0); /* kinds are apart */
	assert_int_equal(jd_ratelimit_blocked("ip", "10.0.0.1", t + JD_RL_BLOCK_S), 0);
	/* an IPv6 client is limited by its /64 */
	jd_ratelimit_reset();
	for (int i = 0; i < JD_RL_MAX_FAILURES; i++) {
		char a[64];

		snprintf(a, sizeof(a), "2001:db8:1:2::%x", i + 1);
		jd_ratelimit_failure("ip", a, t);
	}
	assert_true(jd_ratelimit_blocked("ip", "2001:db8:1:2:ffff::1", t) > 0);
	assert_int_equal(jd_ratelimit_blocked("ip", "2001:db8:1:3::1", t), 0);
	/* filling the table does not switch the limit off: a key with no room is refused */
	jd_ratelimit_reset();
	for (int k = 0; k < 4 * JD_RL_SLOTS; k++) {
		char a[32];

		snprintf(a, sizeof(a), "10.%d.%d.%d", (k >> 16) & 255, (k >> 8) & 255, k & 255);
		for (int i = 0; i < JD_RL_MAX_FAILURES; i++)
			jd_ratelimit_failure("ip", a, t);
	}
	{
		int limited = 0;

		for (int k = 0; k < 100; k++) {
			char a[32];

			snprintf(a, sizeof(a), "192.168.%d.%d", k / 250, k % 250);
			for (int i = 0; i < JD_RL_MAX_FAILURES; i++)
				jd_ratelimit_failure("ip", a, t);
			limited += jd_ratelimit_blocked("ip", a, t) > 0;
		}
		assert_int_equal(limited, 100);
	}
	/* failures spread beyond the window do not add up */
	jd_ratelimit_reset();
	for (int i = 0; i < 3 * JD_RL_MAX_FAILURES; i++)
		jd_ratelimit_failure("id", "bob", t + (time_t)i * (JD_RL_WINDOW_S / 5));
	assert_int_equal(
	    jd_ratelimit_blocked("id", "bob", t + 3 * JD_RL_MAX_FAILURES * (JD_RL_WINDOW_S / 5)),
	    0);
}

static struct jd_principal principal(const char *name, unsigned roles, const char *tenants,
				     const char *units, const char *groups)
{
	struct jd_principal p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	p.roles = roles;
	snprintf(p.tenants, sizeof(p.tenants), "%s", tenants);
	snprintf(p.units, sizeof(p.units), "%s", units);
	snprintf(p.groups, sizeof(p.groups), "%s", groups);
	return p;
}

static void test_record_scope(void **state)
{
	struct jd_principal s1 = principal("s1", JD_ROLE_STAFF, "t1", "u1", "");
	struct jd_principal s2 = principal("s2", JD_ROLE_STAFF, "t0, t1", "u2", "g0,g1");
	struct jd_principal tr = principal("tr", JD_ROLE_TRAINER, "t1", "u1", "");
	struct jd_principal l1 = principal("l1", JD_ROLE_LEADER, "t1", "", "");
	struct jd_principal r1 = principal("r1", JD_ROLE_REVIEWER, "t1", "", "");
	struct jd_principal a1 = principal("a1", JD_ROLE_AUDITOR, "t1", "u1", "g1");
	struct jd_principal v1 = principal("v1", JD_ROLE_VIEWER, "t1", "u1", "g1");
	struct jd_principal ta = principal("ta", JD_ROLE_TENANT_ADMIN, "t1", "u1", "g1");
	struct jd_principal admin = principal("admin", JD_ROLE_ADMIN, "", "", "");
	struct jd_principal nobody = principal("", JD_ROLE_ADMIN, "t1", "u1", "g1");
	const struct jd_record_scope n1 = {"t1", "u1", "", ""};
	const struct jd_record_scope n2 = {"t1", "u3", "g1", NULL};
	const struct jd_record_scope n3 = {"t1", "u1", NULL, "s1"};
	const struct jd_record_scope n4 = {"t1", "u1", "", "x, admin"};
	const struct jd_record_scope other = {"t2", "u1", "g1", ""};
	const struct jd_record_scope bare = {"t1", "", "", ""};
	const struct jd_record_scope nulls = {"t1", NULL, NULL, NULL};
	const struct jd_record_scope no_tenant = {NULL, "u1", "g1", NULL};

	(void)state;
	/* staff: own units, or a group in common */
	assert_true(jd_auth_record_visible(&s1, &n1));
	assert_false(jd_auth_record_visible(&s1, &n2));
	assert_true(jd_auth_record_visible(&s2, &n2));
	assert_false(jd_auth_record_visible(&s2, &n1));
	assert_int_equal(jd_auth_record_access(&s2, &n1), JD_RECORD_OUT_OF_SCOPE);
	assert_false(jd_auth_record_visible(&s1, &bare)); /* no unit: not a staff record */
	assert_false(jd_auth_record_visible(&s1, &nulls));
	assert_true(jd_auth_record_visible(&tr, &n1)); /* trainer: like staff */
	assert_false(jd_auth_record_visible(&tr, &n2));
	/* the tenant first: a matching unit in another tenant is out of scope */
	assert_int_equal(jd_auth_record_access(&s1, &other), JD_RECORD_OUT_OF_SCOPE);
	assert_false(jd_auth_record_visible(&s1, &no_tenant));
	/* the deny list wins over unit, roles and admin */
	assert_int_equal(jd_auth_record_access(&s1, &n3), JD_RECORD_DENIED_BY_LIST);
	assert_true(jd_auth_record_visible(&l1, &n3));
	assert_int_equal(jd_auth_record_access(&admin, &n4), JD_RECORD_DENIED_BY_LIST);
	/* leader and reviewer: the whole tenant, only their tenants */
	assert_true(jd_auth_record_visible(&l1, &n1));
	assert_true(jd_auth_record_visible(&l1, &n2));
	assert_true(jd_auth_record_visible(&l1, &bare));
	assert_true(jd_auth_record_visible(&r1, &n2));
	assert_false(jd_auth_record_visible(&l1, &other));
	assert_false(jd_auth_record_visible(&r1, &other));
	/* auditor, viewer, tenant admin: no records, whatever their units and groups */
	assert_int_equal(jd_auth_record_access(&a1, &n1), JD_RECORD_OUT_OF_SCOPE);
	assert_false(jd_auth_record_visible(&v1, &n2));
	assert_false(jd_auth_record_visible(&ta, &n1));
	/* instance admin: every tenant, unless recused */
	assert_true(jd_auth_record_visible(&admin, &n1));
	assert_true(jd_auth_record_visible(&admin, &other));
	assert_true(jd_auth_record_visible(&admin, &n3));
	/* exact entries: no prefix match, no empty entry matching an empty unit */
	{
		struct jd_principal pre = principal("s", JD_ROLE_STAFF, "t1", "u,,u10", "g");
		const struct jd_record_scope u1 = {"t1", "u1", "g1,", ""};
		const struct jd_record_scope deny_prefix = {"t1", "u10", "", "s1x,xs1"};

		assert_false(jd_auth_record_visible(&pre, &u1));
		assert_false(jd_auth_record_visible(&pre, &bare));
		assert_true(
		    jd_auth_record_visible(&s2, &(struct jd_record_scope){"t1", "", " g1 ", ""}));
		assert_int_equal(jd_auth_record_access(&s1, &deny_prefix), JD_RECORD_OUT_OF_SCOPE);
		assert_true(jd_auth_record_visible(&pre, &deny_prefix));
	}
	/* no name, no scope: nothing */
	assert_false(jd_auth_record_visible(&nobody, &n1));
	assert_false(jd_auth_record_visible(&admin, NULL));
	assert_false(jd_auth_record_visible(NULL, &n1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matrix),	 cmocka_unit_test(test_declare_refused),
	    cmocka_unit_test(test_matrix_json),	 cmocka_unit_test(test_roles_text),
	    cmocka_unit_test(test_user_ids),	 cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_ratelimit),	 cmocka_unit_test(test_ratelimit_check_local),
	    cmocka_unit_test(test_record_scope),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
