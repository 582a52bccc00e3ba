/*
 * Show one review (its ledgers decoded; the talks' notes stay sealed
 * unless the caller may open them) and list the latest reviews the caller
 * may see (one bounded range read, then one read per review for its
 * state and scope).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

/* Ledger fields "<name>.<n>" (JSON) are shown as {"<name>": {"<n>": value}}. */
static const char *const ledgers[] = {"proposal",  "work",    "return",	 "decision", "talk_waived",
				      "talk_date", "talk_by", "recusal", NULL};

static int ledger_put(json_t *o, const char *k, json_t *v)
{
	for (const char *const *p = ledgers; *p; p++) {
		size_t n = strlen(*p);
		json_t *j, *group;

		if (strncmp(k, *p, n) != 0 || k[n] != '.')
			continue;
		if ((group = json_object_get(o, *p)) == NULL) {
			group = json_object();
			json_object_set_new(o, *p, group);
		}
		j = json_loads(json_string_value(v), 0, NULL);
		json_object_set_new(group, k + n + 1, j ? j : json_incref(v));
		return 1;
	}
	return 0;
}

static void show_keyed(struct rctx *c)
{
	json_t *o = json_object(), *talks = json_object();
	const char *k;
	json_t *v;

	json_object_foreach(c->rec, k, v)
	{
		if (k[0] == '_')
			continue;
		if (strncmp(k, "talk.", 5) == 0) {
			char *plain = host->open(self, c->req, PERM_WORK, c->tenant, "review",
						 c->id, k, json_string_value(v));

			json_object_set_new(talks, k + 5,
					    plain ? json_string(plain) : json_string("(sealed)"));
			host->plain_free(plain);
		} else if (ledger_put(o, k, v)) {
			continue;
		} else if (strcmp(k, "excluded") == 0 || strcmp(k, "original") == 0 ||
			   strcmp(k, "pending") == 0) {
			json_t *j = json_loads(json_string_value(v), 0, NULL);

			json_object_set_new(o, k, j ? j : json_incref(v));
		} else {
			json_object_set(o, k, v);
		}
	}
	json_object_set_new(o, "talks", talks);
	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "version", json_integer(c->version));
	rctx_reply(c, 200, o);
}

static void show_loaded(struct rctx *c)
{
	rctx_keys(c, show_keyed);
}

void review_show(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, show_loaded);
}

/* ---- list ------------------------------------------------------------------------------- */

struct list {
	struct rctx *c;
	json_t *items;
	size_t pending;
	int rc;
};

struct item {
	struct list *l;
	size_t pos;
	char id[80];
};

static void list_done(struct list *l)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;

	json_array_foreach(l->items, i, v) if (json_is_object(v)) json_array_append(out, v);
	if (l->rc != JD_OK) {
		json_decref(out);
		rctx_fail(l->c, l->rc);
	} else {
		rctx_reply(l->c, 200, json_pack("{s:o}", "reviews", out));
	}
	json_decref(l->items);
	free(l);
}

static void on_item(int rc, json_t *r, void *arg)
{
	struct item *it = arg;
	struct list *l = it->l;
	static const char *const f[] = {"state", "kind",      "case",	  "unit",
					"deny",	 "clock_due", "received", "lead_reviewer"};

	if (rc != JD_OK) {
		l->rc = rc;
	} else if (json_array_size(r) == 8 && json_string_value(json_array_get(r, 0)) &&
		   host->record_visible(l->c->req, NULL, l->c->tenant,
					json_string_value(json_array_get(r, 3))
					    ? json_string_value(json_array_get(r, 3))
					    : "",
					"",
					json_string_value(json_array_get(r, 4))
					    ? json_string_value(json_array_get(r, 4))
					    : "")) {
		json_t *o = json_pack("{s:s}", "id", it->id);

		for (size_t i = 0; o && i < 8; i++)
			if (i != 4 && json_string_value(json_array_get(r, i)))
				json_object_set(o, f[i], json_array_get(r, i));
		const char *want = in_str(l->c, "state");
		if (o &&
		    (want == NULL || strcmp(want, json_string_value(json_array_get(r, 0))) == 0))
			json_array_set_new(l->items, it->pos, o);
		else
			json_decref(o);
	}
	free(it);
	if (--l->pending == 0)
		list_done(l);
}

static void on_ids(int rc, json_t *ids, void *arg)
{
	struct list *l = arg;
	size_t i;
	json_t *v;

	if (rc != JD_OK) {
		rctx_fail(l->c, rc);
		free(l);
		return;
	}
	l->items = json_array();
	l->pending = 1;
	json_array_foreach(ids, i, v)
	{
		struct item *it = calloc(1, sizeof(*it));
		char key[96];
		const char *argv[] = {"HMGET", key,    "state",	    "kind",	"case",
				      "unit",  "deny", "clock_due", "received", "lead_reviewer"};

		json_array_append_new(l->items, json_null());
		if (it == NULL || !json_string_value(v)) {
			free(it);
			continue;
		}
		it->l = l;
		it->pos = i;
		snprintf(it->id, sizeof(it->id), "%s", json_string_value(v));
		snprintf(key, sizeof(key), "review:%s", it->id);
		l->pending++;
		if (host->store_read(self, l->c->tenant, 10, argv, on_item, it) != JD_OK) {
			l->pending--;
			free(it);
		}
	}
	if (--l->pending == 0)
		list_done(l);
}

void review_list(jd_req *req, void *arg)
{
	const char *tenant = host->req_param(req, "tenant");
	struct rctx *c = rctx_new(req, tenant, "");
	struct list *l = calloc(1, sizeof(*l));
	const char *argv[] = {"ZREVRANGE", "reviews:all", "0", "49"};
	int rc;

	(void)arg;
	if (c == NULL || l == NULL) {
		free(l);
		if (c)
			rctx_free(c);
		host->reply_rc(req, JD_E_NOMEM, "review");
		return;
	}
	l->c = c;
	if (tenant == NULL || !ids_valid(tenant, 0) || strchr(tenant, '.') != NULL ||
	    tenant[0] == '\0') {
		free(l);
		rctx_invalid(c, "field 'tenant': a tenant code");
		return;
	}
	rc = host->store_read(self, tenant, 4, argv, on_ids, l);
	if (rc != JD_OK) {
		free(l);
		rctx_fail(c, rc);
	}
}
