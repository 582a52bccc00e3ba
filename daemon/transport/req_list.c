#include "transport/req_list.h"

#include <stdio.h>

#include "transport/request.h"
#include "transport/server.h"

struct list_reply {
	jd_req *req;
	const char *what; /* a static name */
	char tenant[72];
	int with_tenant;
	struct jd_listing_match match;
};

static void on_page(int rc, json_t *items, const char *next, void *arg)
{
	struct list_reply *l = arg;

	if (rc != JD_OK)
		jd_reply_rc(l->req, rc, l->what);
	else if (l->with_tenant)
		jd_reply_json(l->req, 200,
			      json_pack("{s:s, s:O, s:s?}", "tenant", l->tenant, l->what, items,
					"next", next));
	else
		jd_reply_json(l->req, 200, json_pack("{s:O, s:s?}", l->what, items, "next", next));
}

void jd_reply_listing(jd_req *req, struct jd_listing *spec, const struct jd_listing_match *match,
		      const char *what, const char *tenant, size_t default_limit)
{
	json_t *limit = json_object_get(req->input, "limit");
	const char *cursor = json_string_value(json_object_get(req->input, "cursor"));
	json_int_t n = limit ? json_integer_value(limit) : (json_int_t)default_limit;
	struct list_reply *l;
	int rc;

	if (n < 1 || n > JD_LISTING_MAX) {
		jd_reply_error(req, 400, "invalid", "field 'limit' must be 1..%d", JD_LISTING_MAX);
		return;
	}
	if (!jd_listing_cursor_valid(cursor)) {
		jd_reply_error(req, 400, "invalid",
			       "field 'cursor' must be the 'next' a previous page answered");
		return;
	}
	l = jd_req_ctx(req, sizeof(*l), NULL);
	if (l == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, what);
		return;
	}
	l->req = req;
	l->what = what;
	l->with_tenant = tenant != NULL;
	snprintf(l->tenant, sizeof(l->tenant), "%s", tenant ? tenant : "");
	if (match != NULL) {
		l->match = *match;
		spec->item = jd_listing_match_item;
		spec->arg = &l->match;
	}
	spec->limit = (size_t)n;
	spec->cursor = cursor;
	rc = jd_listing_page(req->srv->store, spec, on_page, l);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, what);
}
