/*
 * libFuzzer target: what a client controls before any handler runs: the
 * path (route matching and parameter decoding), the query string and the
 * JSON body (field validation).
 * Input: method byte, then path, '\n', query, '\n', body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/router.h"

static void handler(jd_req *req, void *arg)
{
	(void)req;
	(void)arg;
}

static const struct jd_field fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "t", 0},
    {"n", JD_FIELD_INTEGER, 0, 0, "n", 0},
    {"b", JD_FIELD_BOOLEAN, 0, 0, "b", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static struct jd_router *router(void)
{
	static struct jd_router *r;
	static const struct jd_route routes[] = {
	    {"GET", "/v1/x/notes", "x.read", "l", NULL, fields, 0, handler, NULL},
	    {"GET", "/v1/x/notes/{id}", "x.read", "s", NULL, fields, 0, handler, NULL},
	    {"PUT", "/v1/x/notes/{id}/{sub}", "x.write", "e", NULL, fields, 0, handler, NULL},
	    {"POST", "/v1/x/admin", "x.admin", "a", NULL, fields, JD_ROUTE_CONTROL_ONLY, handler,
	     NULL},
	};
	char err[256];

	if (r != NULL)
		return r;
	r = jd_router_new();
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (jd_router_add(r, &routes[i], "x", err, sizeof(err)) != JD_OK)
			abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "PUT", "POST", "DELETE"};
	char *buf, *path, *query, *body;
	struct jd_params params;
	json_t *in = NULL;
	char err[256];
	int pm;

	if (size < 1)
		return 0;
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	path = buf;
	query = strchr(path, '\n');
	if (query != NULL)
		*query++ = '\0';
	body = query ? strchr(query, '\n') : NULL;
	if (body != NULL)
		*body++ = '\0';
	if (jd_router_match(router(), methods[data[0] % 4], path, data[0] & 4, &params, &pm))
		jd_params_clear(&params);
	if (query != NULL && jd_fields_from_query(fields, query, &in, err, sizeof(err)) == JD_OK)
		json_decref(in);
	if (body != NULL) {
		in = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
		if (in != NULL) {
			jd_fields_validate(fields, in, err, sizeof(err));
			json_decref(in);
		}
	}
	free(buf);
	return 0;
}
