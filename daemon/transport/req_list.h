/* A paged listing answered for a request: storage/listing.h with limit, cursor and reply. */
#ifndef JD_REQ_LIST_H
#define JD_REQ_LIST_H

#include <stddef.h>
#include <jiandu/plugin.h>

#include "storage/listing.h"

/* The input fields of every paged listing route. */
#define JD_LIST_FIELDS                                                                             \
	{"limit", JD_FIELD_INTEGER, 0, 0, "items per page, 1..500 (default: the route's)", 0},     \
	{                                                                                          \
		"cursor", JD_FIELD_STRING, 0, 9,                                                   \
		    "where to go on: the 'next' of the previous page (none: the first)", 0         \
	}

/*
 * Answers one page of spec for req, with req's `limit` (default_limit
 * when absent) and `cursor` (400 naming the field when bad):
 * {"tenant": tenant (when not NULL), "<what>": [items], "next": the
 * cursor of the following page, or null at the end}.  spec->arg must live
 * as long as req (a jd_req_ctx).  With match (copied), spec->item and arg
 * are jd_listing_match_item and the copy.  Always replies, now or later.
 */
void jd_reply_listing(jd_req *req, struct jd_listing *spec, const struct jd_listing_match *match,
		      const char *what, const char *tenant, size_t default_limit);

#endif
