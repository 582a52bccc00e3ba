/* Route registry: registration rules, matching, parameters, input validation, OpenAPI. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "transport/router.h"

static void handler(jd_req *req, void *arg)
{
	(void)req;
	(void)arg;
}

static const struct jd_field note_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 8, "tenant", 0},
    {"count", JD_FIELD_INTEGER, 0, 0, "a number", 0},
    {"flag", JD_FIELD_BOOLEAN, 0, 0, "a flag", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static struct jd_router *make_router(void)
{
	static const struct jd_route routes[] = {
	    {"GET", "/v1/x/notes", "x.read", "list", "x notes list", note_fields, 0, handler, NULL},
	    {"GET", "/v1/x/notes/{id}", "x.read", "show", "x notes show", NULL, 0, handler, NULL},
	    {"GET", "/v1/x/notes/latest", "x.read", "latest", NULL, NULL, 0, handler, NULL},
	    {"PUT", "/v1/x/notes/{id}", "x.write", "edit", NULL, note_fields, 0, handler, NULL},
	    {"GET", "/v1/x/a/{p}/b/{q}", "x.read", "two", NULL, NULL, 0, handler, NULL},
	    {"POST", "/v1/x/admin", "x.admin", "admin", NULL, NULL, JD_ROUTE_CONTROL_ONLY, handler,
	     NULL},
	};
	struct jd_router *r = jd_router_new();
	char err[256];

	assert_non_null(r);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		assert_int_equal(jd_router_add(r, &routes[i], "x", err, sizeof(err)), JD_OK);
	return r;
}

static void test_match_literal_and_params(void **state)
{
	struct jd_router *r = make_router();
	struct jd_params p;
	struct jd_route_entry *e;
	int pm;

	(void)state;
	e = jd_router_match(r, "GET", "/v1/x/notes", 1, &p, &pm);
	assert_non_null(e);
	assert_string_equal(e->route.summary, "list");
	e = jd_router_match(r, "GET", "/v1/x/notes/abc%20d", 1, &p, &pm);
	assert_non_null(e);
	assert_string_equal(e->route.summary, "show");
	assert_string_equal(jd_params_get(&p, "id"), "abc d");
	jd_params_clear(&p);
	/* a literal segment wins over a parameter */
	e = jd_router_match(r, "GET", "/v1/x/notes/latest", 1, &p, &pm);
	assert_non_null(e);
	assert_string_equal(e->route.summary, "latest");
	e = jd_router_match(r, "GET", "/v1/x/a/1/b/2", 1, &p, &pm);
	assert_non_null(e);
	assert_string_equal(jd_params_get(&p, "p"), "1");
	assert_string_equal(jd_params_get(&p, "q"), "2");
	jd_params_clear(&p);
	jd_router_free(r);
}

static void test_no_match_and_method(void **state)
{
	struct jd_router *r = make_router();
	struct jd_params p;
	int pm;

	(void)state;
	assert_null(jd_router_match(r, "GET", "/v1/x/nope", 1, &p, &pm));
	assert_int_equal(pm, 0);
	assert_null(jd_router_match(r, "DELETE", "/v1/x/notes/1", 1, &p, &pm));
	assert_int_equal(pm, 1); /* 405, not 404 */
	assert_null(jd_router_match(r, "GET", "/v1/x/notes/", 1, &p, &pm));
	/* a control-only route is invisible on the api listener: 404, not 405 */
	assert_non_null(jd_router_match(r, "POST", "/v1/x/admin", 1, &p, &pm));
	assert_null(jd_router_match(r, "POST", "/v1/x/admin", 0, &p, &pm));
	assert_null(jd_router_match(r, "GET", "/v1/x/admin", 0, &p, &pm));
	assert_int_equal(pm, 0);
	assert_null(jd_router_match(r, "GET", "/v1/x/notes/a%00b", 1, &p, &pm));
	assert_null(jd_router_match(r, "GET", "v1/x/notes", 1, &p, &pm));
	assert_null(jd_router_match(r, "GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", 1, &p, &pm));
	jd_router_free(r);
}

static void test_registration_rules(void **state)
{
	struct jd_router *r = make_router();
	char err[256];
	struct jd_route bad = {
	    "GET", "/v1/x/notes/{other}", "x.read", "dup", NULL, NULL, 0, handler, NULL};

	(void)state;
	assert_int_equal(jd_router_add(r, &bad, "y", err, sizeof(err)), JD_E_CONFLICT);
	assert_non_null(strstr(err, "already registered by x"));
	bad.path = "/v1/x/zz";
	bad.command = "x notes list";
	assert_int_equal(jd_router_add(r, &bad, "y", err, sizeof(err)), JD_E_CONFLICT);
	bad.command = NULL;
	bad.path = "no-slash";
	assert_int_equal(jd_router_add(r, &bad, "y", err, sizeof(err)), JD_E_INVALID);
	bad.path = "/v1/{Bad}";
	assert_int_equal(jd_router_add(r, &bad, "y", err, sizeof(err)), JD_E_INVALID);
	bad.path = "/v1/ok";
	bad.method = "BREW";
	assert_int_equal(jd_router_add(r, &bad, "y", err, sizeof(err)), JD_E_INVALID);
	bad.method = "GET";
	bad.path = "/v1/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}";
	assert_int_equal(jd_router_add(r, &bad, "y", err, sizeof(err)), JD_E_INVALID);
	assert_non_null(strstr(err, "more than 8 parameters"));
	bad.path = "/v1/ok";
	bad.handler = NULL;
	assert_int_equal(jd_router_add(r, &bad, "y", err, sizeof(err)), JD_E_INVALID);
	assert_int_equal(jd_router_count(r), 6);
	jd_router_remove_owner(r, "x");
	assert_int_equal(jd_router_count(r), 0);
	jd_router_free(r);
}

static void expect_invalid(const char *body, const char *fragment)
{
	json_t *in = json_loads(body, 0, NULL);
	char err[256] = "";

	assert_non_null(in);
	assert_int_equal(jd_fields_validate(note_fields, in, err, sizeof(err)), JD_E_INVALID);
	if (strstr(err, fragment) == NULL)
		fail_msg("'%s' does not contain '%s'", err, fragment);
	json_decref(in);
}

static void test_validation(void **state)
{
	json_t *ok = json_loads("{\"tenant\":\"t1\",\"count\":3,\"flag\":true}", 0, NULL);
	char err[256];

	(void)state;
	assert_int_equal(jd_fields_validate(note_fields, ok, err, sizeof(err)), JD_OK);
	json_decref(ok);
	expect_invalid("{}", "missing required field 'tenant'");
	expect_invalid("{\"tenant\":5}", "field 'tenant' must be a string");
	expect_invalid("{\"tenant\":\"123456789\"}", "field 'tenant' is longer than 8 bytes");
	expect_invalid("{\"tenant\":\"t\",\"count\":\"3\"}", "field 'count' must be an integer");
	expect_invalid("{\"tenant\":\"t\",\"extra\":1}", "unknown field 'extra'");
	expect_invalid("[1]", "must be a JSON object");
}

static void test_query(void **state)
{
	json_t *out = NULL;
	char err[256];

	(void)state;
	assert_int_equal(jd_fields_from_query(note_fields, "tenant=a%20b&count=12&flag=true", &out,
					      err, sizeof(err)),
			 JD_OK);
	assert_string_equal(json_string_value(json_object_get(out, "tenant")), "a b");
	assert_int_equal(json_integer_value(json_object_get(out, "count")), 12);
	assert_true(json_is_true(json_object_get(out, "flag")));
	json_decref(out);
	assert_int_equal(
	    jd_fields_from_query(note_fields, "tenant=a&count=x", &out, err, sizeof(err)),
	    JD_E_INVALID);
	assert_non_null(strstr(err, "count"));
	assert_int_equal(
	    jd_fields_from_query(note_fields, "tenant=a&tenant=b", &out, err, sizeof(err)),
	    JD_E_INVALID);
	assert_int_equal(jd_fields_from_query(note_fields, "tenant=a&count=99999999999999999999",
					      &out, err, sizeof(err)),
			 JD_E_INVALID);
	assert_int_equal(
	    jd_fields_from_query(note_fields, "tenant=a&count=+5", &out, err, sizeof(err)),
	    JD_E_INVALID);
	assert_int_equal(
	    jd_fields_from_query(note_fields, "tenant=a&count=%205", &out, err, sizeof(err)),
	    JD_E_INVALID);
	assert_int_equal(
	    jd_fields_from_query(note_fields, "tenant=a&count=-5", &out, err, sizeof(err)), JD_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "count")), -5);
	json_decref(out);
	assert_int_equal(jd_fields_from_query(note_fields, "zzz=1", &out, err, sizeof(err)),
			 JD_E_INVALID);
	assert_int_equal(jd_fields_from_query(note_fields, NULL, &out, err, sizeof(err)),
			 JD_E_INVALID); /* tenant is required */
}

static void test_descriptions(void **state)
{
	struct jd_router *r = make_router();
	json_t *api = jd_router_openapi(r, "9.9.9"), *cat = jd_router_catalog(r);
	json_t *show;
	const char *type = NULL;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(api, "openapi")), "3.1.0");
	show = json_object_get(json_object_get(json_object_get(api, "paths"), "/v1/x/notes/{id}"),
			       "get");
	assert_non_null(show);
	assert_string_equal(json_string_value(json_object_get(show, "x-permission")), "x.read");
	/* answers typed for client generators: a JSON object, or the one error body */
	assert_int_equal(json_unpack(show, "{s:{s:{s:{s:{s:{s:s}}}}}}", "responses", "2XX",
				     "content", "application/json", "schema", "type", &type),
			 0);
	assert_string_equal(type, "object");
	assert_int_equal(json_unpack(show, "{s:{s:{s:{s:{s:{s:s}}}}}}", "responses", "4XX",
				     "content", "application/json", "schema", "$ref", &type),
			 0);
	assert_string_equal(type, "#/components/schemas/ApiError");
	assert_non_null(json_object_get(json_object_get(show, "responses"), "503"));
	assert_non_null(json_object_get(
	    json_object_get(json_object_get(api, "components"), "schemas"), "ApiError"));
	assert_non_null(json_object_get(
	    json_object_get(json_object_get(api, "paths"), "/v1/x/notes/{id}"), "put"));
	assert_int_equal(json_array_size(json_object_get(cat, "routes")), 6);
	json_decref(api);
	json_decref(cat);
	jd_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_literal_and_params),
	    cmocka_unit_test(test_no_match_and_method),
	    cmocka_unit_test(test_registration_rules),
	    cmocka_unit_test(test_validation),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_descriptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
