/*
 * One page of an index: the ids of a sorted set read in order from a
 * cursor, their summaries (HMGET of a hash), optionally one more value per
 * id from a second hash (a join, e.g. a token's owner), then a filter that
 * makes each kept item.  Batches are read until the page is full or the
 * index is exhausted, so a filtered (scoped) listing is not cut short by a
 * fixed cap; the page answers a cursor for the next one.  A cursor is the
 * rank in the index where the next page starts (opaque to clients): ids
 * added or removed before it between two pages shift the next page by as
 * many, as with any offset paging; nothing is read twice within a page.
 */
#ifndef JD_LISTING_H
#define JD_LISTING_H

#include <stddef.h>
#include <jansson.h>

struct jd_store;

#define JD_LISTING_MAX 500 /* the largest page a caller may ask for */

/*
 * Makes the item of one id: *item a new reference, or NULL to leave the
 * id out.  summary and joined may be NULL (absent).  JD_OK or JD_E_NOMEM.
 */
typedef int (*jd_listing_item_fn)(void *arg, const char *id, const char *summary,
				  const char *joined, json_t **item);
/* The field of `join` to read for one id, or NULL for none; may use buf. */
typedef const char *(*jd_listing_join_fn)(void *arg, const char *id, const char *summary, char *buf,
					  size_t len);

struct jd_listing {
	const char *tenant;    /* copied */
	const char *index;     /* relative key of the sorted set; must outlive the page */
	const char *summaries; /* relative key of the hash of summaries by id; likewise */
	int newest_first;      /* ZREVRANGE instead of ZRANGE */
	size_t limit;	       /* items per page: 1..JD_LISTING_MAX */
	const char *cursor;    /* NULL or "": from the start; else a page's `next` (copied) */
	const char *join;      /* NULL, or a hash read with join_key; must outlive the page */
	jd_listing_join_fn join_key;
	jd_listing_item_fn item;
	void *arg; /* for item and join_key; must outlive the page */
};

/*
 * rc JD_OK: items (an array, borrowed for the call) and next (the cursor
 * of the following page, NULL when the index is exhausted); else
 * JD_E_UNAVAILABLE, JD_E_TIMEOUT, JD_E_NOMEM or JD_ERR and NULLs.
 */
typedef void (*jd_listing_cb)(int rc, json_t *items, const char *next, void *arg);

/* JD_OK: cb runs exactly once, later.  JD_E_INVALID: a bad spec or cursor; cb does not run. */
int jd_listing_page(struct jd_store *store, const struct jd_listing *spec, jd_listing_cb cb,
		    void *arg);

/* Whether cursor is one a page could have answered (NULL and "" are the start). */
int jd_listing_cursor_valid(const char *cursor);

/*
 * {"<id_name>": id, ...the fields of summary}: the item of the indexes
 * whose summaries are JSON objects.  *item NULL when summary is absent or
 * not an object.  JD_OK or JD_E_NOMEM.
 */
int jd_listing_object(const char *id_name, const char *id, const char *summary, json_t **item);

/* The filter of an index of JSON summaries: an arg for jd_listing_match_item. */
struct jd_listing_match {
	const char *id_name; /* the item's key for the id: "code", "id" */
	const char *field;   /* NULL: keep every item; else keep those whose */
	char value[64];	     /* field equals value ("" keeps every item) */
};

/* An item fn: jd_listing_object's item, kept when it matches arg (a jd_listing_match). */
int jd_listing_match_item(void *arg, const char *id, const char *summary, const char *joined,
			  json_t **item);

#endif
