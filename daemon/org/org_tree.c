/* The counties under a tenant, from the tenants' summaries. */
#include "org/org_tree.h"

#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "security/auth.h"
#include "org/org_division.h"
#include "org/org_tenants.h"
#include "transport/server.h"
#include "storage/store.h"

#define DEPTH_MAX 4 /* province > city > county, municipality > district; deeper is a loop */

struct tree_ctx {
	jd_org_tree_cb cb;
	void *arg;
	char code[8];
};

static const char *str_of(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : "";
}

/* Whether `code` lies under `root` (or is it), following parents. */
static int is_under(const json_t *summaries, const char *code, const char *root)
{
	for (int depth = 0; depth <= DEPTH_MAX && *code != '\0'; depth++) {
		if (strcmp(code, root) == 0)
			return 1;
		code = str_of(json_object_get(summaries, code), "parent");
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *jd_org_tree_of(const json_t *summaries, const char *code)
{
	const json_t *self = json_object_get(summaries, code);
	size_t n = 0, cap = json_object_size(summaries), centralized = 0;
	const char **codes = NULL;
	const char *k;
	json_t *v, *out = NULL, *list = NULL;

	if (!json_is_object(self))
		return NULL;
	codes = calloc(cap ? cap : 1, sizeof(*codes));
	list = json_array();
	if (codes == NULL || list == NULL)
		goto cleanup;
	json_object_foreach((json_t *)summaries, k, v)
	{
		if (!jd_division_county_level(str_of(v, "level")) || !is_under(summaries, k, code))
			continue;
		codes[n++] = k;
		if (json_is_true(json_object_get(v, "centralized")))
			centralized++;
	}
	qsort(codes, n, sizeof(*codes), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(list, json_string(codes[i])) != 0)
			goto cleanup;
	out =
	    json_pack("{s:s, s:s, s:s, s:s, s:O, s:I}", "code", code, "name", str_of(self, "name"),
		      "level", str_of(self, "level"), "parent", str_of(self, "parent"), "counties",
		      list, "centralized", (json_int_t)centralized);
cleanup:
	free(codes);
	json_decref(list);
	return out;
}

static void on_summaries(int rc, json_t *result, void *arg)
{
	struct tree_ctx *c = arg;
	json_t *all = NULL, *tree = NULL;

	if (rc == JD_OK) {
		all = json_object();
		rc = all ? JD_OK : JD_E_NOMEM;
	}
	for (size_t i = 0; rc == JD_OK && i + 1 < json_array_size(result); i += 2) {
		const char *k = json_string_value(json_array_get(result, i));
		const char *s = json_string_value(json_array_get(result, i + 1));
		json_t *o = s ? json_loads(s, 0, NULL) : NULL;

		if (k == NULL || !json_is_object(o)) {
			json_decref(o);
			continue;
		}
		if (json_object_set_new(all, k, o) != 0) /* steals o either way */
			rc = JD_E_NOMEM;
	}
	if (rc == JD_OK) {
		tree = jd_org_tree_of(all, c->code);
		if (tree == NULL)
			rc = json_object_get(all, c->code) ? JD_E_NOMEM : JD_E_NOTFOUND;
	}
	c->cb(rc, tree, c->arg);
	json_decref(tree);
	json_decref(all);
	free(c);
}

int jd_org_tree_read(struct jd_server *srv, const char *tenant, jd_org_tree_cb cb, void *arg)
{
	const char *argv[] = {"HGETALL", "tenants:summary"};
	struct tree_ctx *c;
	int rc;

	if (srv == NULL || srv->store == NULL || cb == NULL || !jd_org_code_valid(tenant))
		return JD_E_INVALID;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return JD_E_NOMEM;
	c->cb = cb;
	c->arg = arg;
	memcpy(c->code, tenant, strlen(tenant) + 1);
	rc = jd_store_read(srv->store, JD_SYSTEM_TENANT, 2, argv, on_summaries, c);
	if (rc != JD_OK)
		free(c);
	return rc;
}
