#include "storage/listing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "storage/store.h"

/* Ids read per batch at least, so a narrow filter does not cost a round trip per item. */
#define BATCH_MIN 100
/* Ids scanned for one page at most: past it a shorter page answers and the cursor goes on. */
#define SCAN_MAX      5000
#define CURSOR_DIGITS 9

struct page {
	struct jd_store *store;
	struct jd_listing spec;
	char tenant[72];
	long long off; /* the rank in the index of the batch being read */
	size_t batch, scanned;
	json_t *items;
	json_t *ids;  /* the batch's ids */
	json_t *sums; /* their summaries */
	jd_listing_cb cb;
	void *arg;
};

static int read_batch(struct page *p);

static void done(struct page *p, int rc, long long next)
{
	char buf[24];

	if (next >= 0)
		snprintf(buf, sizeof(buf), "%lld", next);
	p->cb(rc, rc == JD_OK ? p->items : NULL, rc == JD_OK && next >= 0 ? buf : NULL, p->arg);
	json_decref(p->items);
	json_decref(p->ids);
	json_decref(p->sums);
	free(p);
}

/* The batch's ids, summaries and joined values are in: keep what the filter keeps. */
static void filter_batch(struct page *p, json_t *joined)
{
	size_t n = json_array_size(p->ids);
	int rc;

	for (size_t i = 0; i < n; i++) {
		json_t *item = NULL;

		rc = p->spec.item(p->spec.arg, json_string_value(json_array_get(p->ids, i)),
				  json_string_value(json_array_get(p->sums, i)),
				  json_string_value(json_array_get(joined, i)), &item);

		if (rc == JD_OK && item != NULL && json_array_append_new(p->items, item) != 0)
			rc = JD_E_NOMEM;
		if (rc != JD_OK) {
			done(p, rc, -1);
			return;
		}
		if (json_array_size(p->items) < p->spec.limit)
			continue;
		/* full: another page follows unless this was the index's last id */
		done(p, JD_OK, i + 1 < n || n == p->batch ? p->off + (long long)i + 1 : -1);
		return;
	}
	p->off += (long long)n;
	p->scanned += n;
	if (n < p->batch)
		done(p, JD_OK, -1);
	else if (p->scanned >= SCAN_MAX)
		done(p, JD_OK, p->off);
	else if ((rc = read_batch(p)) != JD_OK)
		done(p, rc, -1);
}

static void on_joined(int rc, json_t *result, void *arg)
{
	struct page *p = arg;

	if (rc != JD_OK)
		done(p, rc, -1);
	else
		filter_batch(p, result);
}

/* HMGET of the join hash, one field per id (a placeholder where there is none). */
static void read_joined(struct page *p)
{
	size_t n = json_array_size(p->ids);
	const char **argv = calloc(n + 2, sizeof(*argv));
	char(*bufs)[80] = calloc(n, sizeof(*bufs));
	int rc = argv && bufs ? JD_OK : JD_E_NOMEM;

	for (size_t i = 0; rc == JD_OK && i < n; i++) {
		const char *k = p->spec.join_key(
		    p->spec.arg, json_string_value(json_array_get(p->ids, i)),
		    json_string_value(json_array_get(p->sums, i)), bufs[i], sizeof(bufs[i]));

		argv[2 + i] = k && *k ? k : " "; /* no such field: answers nil */
	}
	if (rc == JD_OK) {
		argv[0] = "HMGET";
		argv[1] = p->spec.join;
		rc = jd_store_read(p->store, p->tenant, (int)(n + 2), argv, on_joined, p);
	}
	free(argv); /* the store copied the command */
	free(bufs);
	if (rc != JD_OK)
		done(p, rc, -1);
}

static void on_summaries(int rc, json_t *result, void *arg)
{
	struct page *p = arg;

	if (rc != JD_OK) {
		done(p, rc, -1);
		return;
	}
	p->sums = json_incref(result);
	if (p->spec.join != NULL)
		read_joined(p);
	else
		filter_batch(p, NULL);
}

static void on_ids(int rc, json_t *result, void *arg)
{
	struct page *p = arg;
	const char *argv[2 + JD_LISTING_MAX] = {"HMGET", p->spec.summaries};
	size_t n = json_array_size(result);

	if (rc != JD_OK || n == 0) {
		done(p, rc, -1);
		return;
	}
	if (n > p->batch)
		n = p->batch;
	json_decref(p->ids);
	json_decref(p->sums);
	p->sums = NULL;
	p->ids = json_incref(result);
	for (size_t i = 0; i < n; i++)
		argv[2 + i] = json_string_value(json_array_get(result, i));
	rc = jd_store_read(p->store, p->tenant, (int)(2 + n), argv, on_summaries, p);
	if (rc != JD_OK)
		done(p, rc, -1);
}

static int read_batch(struct page *p)
{
	char start[24], stop[24];
	const char *argv[4] = {p->spec.newest_first ? "ZREVRANGE" : "ZRANGE", p->spec.index, start,
			       stop};

	snprintf(start, sizeof(start), "%lld", p->off);
	snprintf(stop, sizeof(stop), "%lld", p->off + (long long)p->batch - 1);
	return jd_store_read(p->store, p->tenant, 4, argv, on_ids, p);
}

int jd_listing_cursor_valid(const char *cursor)
{
	size_t n = cursor ? strlen(cursor) : 0;

	return n <= CURSOR_DIGITS && strspn(cursor ? cursor : "", "0123456789") == n;
}

int jd_listing_page(struct jd_store *store, const struct jd_listing *spec, jd_listing_cb cb,
		    void *arg)
{
	struct page *p;
	int rc;

	if (spec == NULL || cb == NULL || spec->item == NULL || spec->index == NULL ||
	    spec->summaries == NULL || spec->limit < 1 || spec->limit > JD_LISTING_MAX ||
	    (spec->join != NULL && spec->join_key == NULL) ||
	    !jd_listing_cursor_valid(spec->cursor) || spec->tenant == NULL ||
	    strlen(spec->tenant) >= sizeof(p->tenant))
		return JD_E_INVALID;
	if (store == NULL)
		return JD_E_UNAVAILABLE;
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->items = json_array()) == NULL) {
		free(p);
		return JD_E_NOMEM;
	}
	p->store = store;
	p->spec = *spec;
	snprintf(p->tenant, sizeof(p->tenant), "%s", spec->tenant);
	p->spec.tenant = p->tenant;
	p->spec.cursor = NULL;
	p->off = spec->cursor && *spec->cursor ? atoll(spec->cursor) : 0;
	p->batch = spec->limit < BATCH_MIN ? BATCH_MIN : spec->limit;
	p->cb = cb;
	p->arg = arg;
	rc = read_batch(p);
	if (rc != JD_OK) {
		json_decref(p->items);
		free(p);
	}
	return rc;
}

int jd_listing_object(const char *id_name, const char *id, const char *summary, json_t **item)
{
	json_t *sum = summary ? json_loads(summary, 0, NULL) : NULL;
	json_t *t;

	*item = NULL;
	if (!json_is_object(sum)) {
		json_decref(sum);
		return JD_OK;
	}
	t = json_pack("{s:s}", id_name, id); /* the id first */
	if (t == NULL || json_object_update(t, sum) != 0) {
		json_decref(t);
		json_decref(sum);
		return JD_E_NOMEM;
	}
	json_decref(sum);
	*item = t;
	return JD_OK;
}

int jd_listing_match_item(void *arg, const char *id, const char *summary, const char *joined,
			  json_t **item)
{
	const struct jd_listing_match *m = arg;
	const char *v;
	int rc = jd_listing_object(m->id_name, id, summary, item);

	(void)joined;
	if (rc != JD_OK || *item == NULL || m->field == NULL || m->value[0] == '\0')
		return rc;
	v = json_string_value(json_object_get(*item, m->field));
	if (v == NULL || strcmp(v, m->value) != 0) {
		json_decref(*item);
		*item = NULL;
	}
	return JD_OK;
}
