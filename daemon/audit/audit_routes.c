/*
 * Audit routes.  verify is an administrative scan: it reads at most
 * VERIFY_MAX entries of one tenant's stream in pages of PAGE entries
 * (XRANGE), the checkpoints kept in Redis and those of the local file
 * (read on the loop: a bounded, rare, administrative read), and answers
 * jd_audit_verify's report: 200 when ok, 409 "audit_damaged" with the
 * report next to the error otherwise, so that the CLI exits non-zero.
 */
#include "audit/audit_routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "audit/audit.h"
#include "audit/audit_log.h"
#include "runtime/config.h"
#include "security/keyring.h"
#include "runtime/log.h"
#include "runtime/worker.h"
#include "transport/request.h"
#include "transport/router.h"
#include "transport/server.h"
#include "storage/store.h"

#define VERIFY_MAX   100000
#define PAGE	     1000
#define PAGE_TXT     "1000"
#define CP_MAX	     100000
#define CP_FILE_NAME "audit-checkpoints.log"
#define ANCHOR_FILE  "audit-anchors.log"
#define TAIL_MAX     200

/*
 * The tag key derives from the audit signing key's seed (the first 32 bytes
 * of the Ed25519 secret key), not from a master key: master keys rotate,
 * and every old entry's tag must keep verifying after a rotation.
 */
static int audit_key_of(const struct jd_server *srv, unsigned char key[32])
{
	const unsigned char *sk = jd_keyring_sign_sk(srv->keyring);

	if (sk == NULL)
		return JD_ERR;
	return jd_audit_key(key, sk);
}

static int data_path(const struct jd_server *srv, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", srv->cfg->data_dir, name);

	return n > 0 && (size_t)n < len ? JD_OK : JD_E_INVALID;
}

static int cp_path(const struct jd_server *srv, char *out, size_t len)
{
	return data_path(srv, CP_FILE_NAME, out, len);
}

int jd_audit_attach(struct jd_server *srv, char *err, size_t errlen)
{
	unsigned char key[32];
	char path[4096], anchors[4096];
	struct jd_audit_log *l;
	struct jd_audit_log_opts o = {0};

	if (srv->keyring == NULL || srv->store == NULL)
		return JD_OK;
	if (audit_key_of(srv, key) != JD_OK || cp_path(srv, path, sizeof(path)) != JD_OK ||
	    data_path(srv, ANCHOR_FILE, anchors, sizeof(anchors)) != JD_OK) {
		snprintf(err, errlen, "audit: cannot derive the audit key");
		return JD_ERR;
	}
	o.base = srv->base;
	o.redis = srv->redis;
	o.audit_key = key;
	o.sign_sk = jd_keyring_sign_sk(srv->keyring);
	o.cp_path = path;
	o.anchor_path = anchors;
	o.anchor_shared = srv->worker > 0;
	o.pipeline = srv->cfg->audit_pipeline;
	l = jd_audit_log_new(&o);
	sodium_memzero(key, sizeof(key));
	if (l == NULL) {
		snprintf(err, errlen, "audit: cannot open %s or %s", path, anchors);
		return JD_ERR;
	}
	jd_store_set_audit(srv->store, l);
	return JD_OK;
}

/* ---- GET /v1/audit/verify ------------------------------------------------- */

struct ventry {
	const char *id;
	const char **fv;
	size_t *lens;
	size_t n;
};

struct verify_ctx {
	jd_req *req;
	char tenant[65];
	json_t *pages; /* the XRANGE results, kept: entries point into them */
	struct ventry *v;
	size_t n, cap;
	char next[64];	  /* "(" and the last id read */
	struct vjob *job; /* the verification under way */
	/* read before the first page (get_verify): nothing in them is newer than the pages */
	uint64_t anchor;
	char anchor_chain[JD_AUDIT_HEX];
	json_t *cp_lines;   /* the checkpoints in Redis */
	off_t cp_file_size; /* the local checkpoint file's bytes: the later ones are not read */
};

static void vjob_cancel(struct vjob *j);

/* Runs when the request is finished: what the context holds. */
static void verify_dtor(void *ptr)
{
	struct verify_ctx *c = ptr;

	vjob_cancel(c->job);
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].fv);
		free(c->v[i].lens);
	}
	free(c->v);
	json_decref(c->pages);
	json_decref(c->cp_lines);
}

static int read_page(struct verify_ctx *c);

/* One [id, [field, value, ...]] of an XRANGE reply. */
static int add_entry(struct verify_ctx *c, json_t *item)
{
	json_t *id = json_array_get(item, 0), *fields = json_array_get(item, 1);
	struct ventry *e;
	size_t n;

	if (!json_is_string(id) || !json_is_array(fields))
		return JD_ERR;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct ventry *nv = realloc(c->v, cap * sizeof(*nv));

		if (nv == NULL)
			return JD_E_NOMEM;
		c->v = nv;
		c->cap = cap;
	}
	n = json_array_size(fields);
	e = &c->v[c->n];
	e->id = json_string_value(id);
	e->n = n;
	e->fv = calloc(n + 1, sizeof(*e->fv));
	e->lens = calloc(n + 1, sizeof(*e->lens));
	if (e->fv == NULL || e->lens == NULL) {
		free(e->fv);
		free(e->lens);
		return JD_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(fields, i);

		e->fv[i] = json_is_string(s) ? json_string_value(s) : "";
		e->lens[i] = json_is_string(s) ? json_string_length(s) : 0;
	}
	c->n++;
	return JD_OK;
}

struct cp {
	uint64_t seq;
	char chain[JD_AUDIT_HEX];
	int from_local;
};

static int cp_cmp(const void *a, const void *b)
{
	const struct cp *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Adds a checkpoint line; a bad one is reported in `bad`. */
static int add_cp(struct cp **cps, size_t *n, size_t *cap, const unsigned char *pk,
		  const char *tenant, const char *line, int local, json_t *bad)
{
	char t[65], chain[JD_AUDIT_HEX];
	uint64_t seq;
	long long when;
	int rc = jd_audit_checkpoint_parse(pk, line, t, sizeof(t), &seq, chain, &when);

	if (rc != JD_OK) {
		if (local && rc == JD_E_INVALID)
			return JD_OK; /* another tenant's line we cannot read is not ours to judge
				       */
		json_array_append_new(
		    bad,
		    json_pack("{s:s, s:s}", "source", local ? "local" : "redis", "detail",
			      rc == JD_E_FORBIDDEN ? "signature does not verify" : "malformed"));
		return JD_OK;
	}
	if (strcmp(t, tenant) != 0) {
		if (!local)
			json_array_append_new(bad,
					      json_pack("{s:s, s:s}", "source", "redis", "detail",
							"a checkpoint of another tenant"));
		return JD_OK;
	}
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		struct cp *p = realloc(*cps, nc * sizeof(*p));

		if (p == NULL)
			return JD_E_NOMEM;
		*cps = p;
		*cap = nc;
	}
	(*cps)[*n].seq = seq;
	memcpy((*cps)[*n].chain, chain, JD_AUDIT_HEX);
	(*cps)[*n].from_local = local;
	(*n)++;
	return JD_OK;
}

static int read_local_cps(const char *path, off_t upto, struct cp **cps, size_t *n, size_t *cap,
			  const unsigned char *pk, const char *tenant, json_t *bad)
{
	char line[JD_AUDIT_CP_LINE + 2];
	FILE *f = fopen(path, "re");
	size_t count = 0;
	int rc = JD_OK;

	if (f == NULL)
		return errno == ENOENT ? JD_OK : JD_ERR;
	while (rc == JD_OK && count < CP_MAX && ftello(f) < upto &&
	       fgets(line, sizeof(line), f) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(f)) {
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue; /* longer than any checkpoint: not one */
		}
		count++;
		rc = add_cp(cps, n, cap, pk, tenant, line, 1, bad);
	}
	if (ferror(f))
		rc = JD_ERR;
	fclose(f);
	return rc;
}

/*
 * Sorted by seq, one per seq: where the local file and Redis disagree,
 * the local file wins and the disagreement is reported.
 */
static size_t merge_cps(struct cp *cps, size_t n, json_t *disagree)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(cps, n, sizeof(*cps), cp_cmp);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && cps[out - 1].seq == cps[i].seq) {
			struct cp *keep = &cps[out - 1];

			if (strcmp(keep->chain, cps[i].chain) != 0) {
				json_array_append_new(
				    disagree,
				    json_pack(
					"{s:I, s:s, s:s}", "seq", (json_int_t)keep->seq, "local",
					keep->from_local ? keep->chain : cps[i].chain, "redis",
					keep->from_local ? cps[i].chain : keep->chain));
				if (!keep->from_local && cps[i].from_local)
					*keep = cps[i];
			} else if (cps[i].from_local) {
				keep->from_local = 1;
			}
			continue;
		}
		cps[out++] = cps[i];
	}
	return out;
}

/*
 * The verification proper runs on a worker thread (runtime/worker.h): up
 * to VERIFY_MAX entries' tags and chain, sorted and matched, and every
 * checkpoint's signature took the loop for up to a second in one piece.
 * The job takes over what the request read (the pages, the entries, the
 * checkpoint lines) and copies what it needs of the server; the request
 * only answers from what the job made.
 */
struct vjob {
	struct verify_ctx *c; /* NULL once the request went */
	char tenant[65];
	unsigned char key[32];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	int has_pk;
	char path[4096];
	off_t cp_file_size;
	uint64_t anchor;
	char anchor_chain[JD_AUDIT_HEX];
	json_t *cp_lines, *pages;
	struct ventry *v;
	size_t n;
	/* what it makes */
	int rc;
	json_t *report, *bad, *disagree;
};

/* The request went: the job answers no one, and is freed when it ends. */
static void vjob_cancel(struct vjob *j)
{
	if (j != NULL)
		j->c = NULL;
}

static void vjob_free(struct vjob *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->v[i].fv);
		free(j->v[i].lens);
	}
	free(j->v);
	json_decref(j->pages);
	json_decref(j->cp_lines);
	json_decref(j->report);
	json_decref(j->bad);
	json_decref(j->disagree);
	sodium_memzero(j->key, sizeof(j->key));
	free(j);
}

/* The checkpoints kept in Redis and in the local file, merged; *nredis: those of Redis. */
static int verify_cps(struct vjob *j, struct cp **cps, size_t *ncp, size_t *nredis)
{
	const unsigned char *pk = j->has_pk ? j->pk : NULL;
	size_t cap = 0;
	int rc;

	*nredis = 0;
	for (size_t i = 0; i < json_array_size(j->cp_lines); i++) {
		const char *line = json_string_value(json_array_get(j->cp_lines, i));

		if (line == NULL)
			continue;
		if ((rc = add_cp(cps, ncp, &cap, pk, j->tenant, line, 0, j->bad)) != JD_OK)
			return rc;
		(*nredis)++;
	}
	rc = read_local_cps(j->path, j->cp_file_size, cps, ncp, &cap, pk, j->tenant, j->bad);
	if (rc == JD_OK)
		*ncp = merge_cps(*cps, *ncp, j->disagree);
	return rc;
}

/* The report of jd_audit_verify_anchored, with the checkpoints' findings (not "held": the loop's).
 */
static void verify_work(void *arg)
{
	struct vjob *j = arg;
	struct jd_audit_entry *es = NULL;
	const char **ids = NULL, **cp_chain = NULL;
	uint64_t *cp_seq = NULL;
	struct cp *cps = NULL;
	size_t ncp = 0, nredis = 0;
	json_t *r;

	j->rc = JD_E_NOMEM;
	j->bad = json_array();
	j->disagree = json_array();
	if (j->bad == NULL || j->disagree == NULL)
		goto cleanup;
	if ((j->rc = verify_cps(j, &cps, &ncp, &nredis)) != JD_OK)
		goto cleanup;
	j->rc = JD_E_NOMEM;
	es = calloc(j->n + 1, sizeof(*es));
	ids = calloc(j->n + 1, sizeof(*ids));
	cp_seq = calloc(ncp + 1, sizeof(*cp_seq));
	cp_chain = calloc(ncp + 1, sizeof(*cp_chain));
	if (es == NULL || ids == NULL || cp_seq == NULL || cp_chain == NULL)
		goto cleanup;
	for (size_t i = 0; i < j->n; i++) {
		/* a malformed entry is still counted: verify never finds it valid */
		(void)jd_audit_entry_from_fields(&es[i], j->v[i].fv, j->v[i].lens, j->v[i].n);
		ids[i] = j->v[i].id;
	}
	for (size_t i = 0; i < ncp; i++) {
		cp_seq[i] = cps[i].seq;
		cp_chain[i] = cps[i].chain;
	}
	/* a scan cut at VERIFY_MAX entries cannot judge the end of the stream */
	r = jd_audit_verify_anchored(j->key, es, j->n, ids, cp_seq, cp_chain, ncp,
				     j->n >= VERIFY_MAX ? 0 : j->anchor, j->anchor_chain);
	j->report = r;
	if (r == NULL || json_object_set_new(r, "tenant", json_string(j->tenant)) != 0 ||
	    json_object_set_new(r, "truncated", json_boolean(j->n >= VERIFY_MAX)) != 0 ||
	    json_object_set_new(r, "checkpoints_redis", json_integer((json_int_t)nredis)) != 0 ||
	    json_object_set(r, "bad_checkpoints", j->bad) != 0 ||
	    json_object_set(r, "checkpoint_disagreements", j->disagree) != 0)
		goto cleanup;
	if (json_array_size(j->bad) > 0 || json_array_size(j->disagree) > 0)
		json_object_set_new(r, "ok", json_false());
	j->rc = JD_OK;
cleanup:
	sodium_memzero(j->key, sizeof(j->key));
	free(es);
	free(ids);
	free(cp_seq);
	free(cp_chain);
	free(cps);
}

static void verify_reply(struct verify_ctx *c, struct vjob *j)
{
	json_t *report = j->report;
	const char *summary;
	char msg[512];

	if (j->rc == JD_OK &&
	    json_object_set_new(report, "held",
				json_boolean(jd_audit_log_held(
				    jd_store_audit_log(c->req->srv->store), c->tenant))) != 0)
		j->rc = JD_E_NOMEM;
	if (j->rc != JD_OK) {
		jd_reply_rc(c->req, j->rc, "audit");
		return;
	}
	j->report = NULL; /* the answer takes it */
	if (json_is_true(json_object_get(report, "ok"))) {
		jd_reply_json(c->req, 200, report);
		return;
	}
	summary = json_string_value(json_object_get(report, "summary"));
	snprintf(msg, sizeof(msg), "audit trail of '%s' damaged: %s%s", c->tenant,
		 summary ? summary : "see the report",
		 json_array_size(j->bad) || json_array_size(j->disagree)
		     ? " (and bad or disagreeing checkpoints)"
		     : "");
	jd_reply_json(c->req, 409,
		      json_pack("{s:{s:s, s:s, s:s}, s:o}", "error", "code", "audit_damaged",
				"message", msg, "request_id", c->req->id, "report", report));
}

static void verify_done(void *arg)
{
	struct vjob *j = arg;

	if (j->c != NULL) {
		j->c->job = NULL;
		verify_reply(j->c, j);
	}
	vjob_free(j);
}

/* Hands what was read to a verification job; answers when that cannot start. */
static void verify_finish(struct verify_ctx *c)
{
	struct jd_server *srv = c->req->srv;
	const unsigned char *pk = jd_keyring_sign_pk(srv->keyring);
	struct vjob *j = calloc(1, sizeof(*j));
	int rc = JD_E_NOMEM;

	if (j == NULL)
		goto fail;
	j->c = c;
	snprintf(j->tenant, sizeof(j->tenant), "%s", c->tenant);
	if (pk != NULL) {
		memcpy(j->pk, pk, sizeof(j->pk));
		j->has_pk = 1;
	}
	j->anchor = c->anchor;
	memcpy(j->anchor_chain, c->anchor_chain, JD_AUDIT_HEX);
	if ((rc = audit_key_of(srv, j->key)) != JD_OK ||
	    (rc = cp_path(srv, j->path, sizeof(j->path))) != JD_OK)
		goto fail;
	j->cp_lines = json_incref(c->cp_lines);
	j->cp_file_size = c->cp_file_size;
	j->pages = c->pages; /* the entries point into them */
	j->v = c->v;
	j->n = c->n;
	rc = jd_worker_run(srv->base, verify_work, verify_done, j);
	if (rc != JD_OK) {
		j->pages = NULL; /* still the request's */
		j->v = NULL;
		j->n = 0;
		goto fail;
	}
	c->pages = NULL;
	c->v = NULL;
	c->n = c->cap = 0;
	c->job = j;
	return;
fail:
	if (j != NULL)
		vjob_free(j);
	jd_reply_rc(c->req, rc, "audit");
}

static void on_page(int rc, json_t *result, void *arg)
{
	struct verify_ctx *c = arg;
	size_t got = json_array_size(result);

	if (rc != JD_OK || !json_is_array(result) || json_array_append(c->pages, result) != 0) {
		jd_reply_rc(c->req, rc != JD_OK ? rc : JD_ERR, "audit");
		return;
	}
	for (size_t i = 0; i < got; i++) {
		rc = add_entry(c, json_array_get(result, i));
		if (rc != JD_OK) {
			jd_reply_rc(c->req, rc, "audit");
			return;
		}
	}
	if (got == PAGE && c->n < VERIFY_MAX) {
		snprintf(c->next, sizeof(c->next), "(%s", c->v[c->n - 1].id);
		rc = read_page(c);
	} else {
		verify_finish(c);
		return;
	}
	if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "audit");
}

static int read_page(struct verify_ctx *c)
{
	const char *argv[] = {"XRANGE", "audit", c->next, "+", "COUNT", PAGE_TXT};

	if (c->req->srv->store == NULL)
		return JD_E_UNAVAILABLE;
	return jd_store_read(c->req->srv->store, c->tenant, 6, argv, on_page, c);
}

static const char *tenant_param(jd_req *req)
{
	const char *t = json_string_value(json_object_get(req->input, "tenant"));

	return t != NULL && jd_store_tenant_valid(t) ? t : NULL;
}

/*
 * The checkpoints first, then the pages: a checkpoint made while the pages
 * are read would sign a seq beyond them, a cut tail that is not there.
 */
static void on_checkpoints(int rc, json_t *result, void *arg)
{
	struct verify_ctx *c = arg;

	if (rc != JD_OK) {
		jd_reply_rc(c->req, rc, "audit checkpoints");
		return;
	}
	c->cp_lines = json_incref(result);
	rc = read_page(c);
	if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "audit");
}

/* The local checkpoint file's size now: 0 if it is not there. */
static off_t cp_file_size(const struct jd_server *srv)
{
	char path[4096];
	struct stat st;

	if (cp_path(srv, path, sizeof(path)) != JD_OK || stat(path, &st) != 0)
		return 0;
	return st.st_size;
}

static void get_verify(jd_req *req, void *arg)
{
	const char *argv[] = {"LRANGE", "audit:checkpoints", "0", "99999"};
	const char *tenant = tenant_param(req);
	struct verify_ctx *c;
	int rc;

	(void)arg;
	if (tenant == NULL) {
		jd_reply_error(req, 400, "invalid", "tenant: 1..64 of [A-Za-z0-9_-]");
		return;
	}
	c = jd_req_ctx(req, sizeof(*c), verify_dtor);
	if (c == NULL || (c->pages = json_array()) == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "audit");
		return;
	}
	c->req = req;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	snprintf(c->next, sizeof(c->next), "-");
	/*
	 * The anchor, the checkpoints and the local file's size before any page
	 * is read: every entry behind them was in Redis already, so the pages
	 * hold it.  Taken after the pages, an entry appended meanwhile (a sealed
	 * read's access entry, a write) would raise them past what was read: a
	 * cut tail that is not there.
	 */
	if (req->srv->store == NULL) {
		jd_reply_rc(req, JD_E_UNAVAILABLE, "audit");
		return;
	}
	jd_audit_log_anchor(jd_store_audit_log(req->srv->store), c->tenant, &c->anchor,
			    c->anchor_chain);
	c->cp_file_size = cp_file_size(req->srv);
	rc = jd_store_read(req->srv->store, c->tenant, 4, argv, on_checkpoints, c);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "audit");
}

/* ---- GET /v1/audit/tail ----------------------------------------------------- */

/* One [id, [field, value, ...]] of an XRANGE/XREVRANGE reply as {"id", field: value, ...}. */
static json_t *entry_json(json_t *item)
{
	json_t *fields = json_array_get(item, 1), *e = json_object();
	size_t n = json_array_size(fields);

	if (e == NULL || json_object_set(e, "id", json_array_get(item, 0)) != 0) {
		json_decref(e);
		return NULL;
	}
	for (size_t k = 0; k + 1 < n; k += 2) {
		const char *name = json_string_value(json_array_get(fields, k));

		if (name != NULL && json_object_set(e, name, json_array_get(fields, k + 1)) != 0) {
			json_decref(e);
			return NULL;
		}
	}
	return e;
}

static void on_tail(int rc, json_t *result, void *arg)
{
	jd_req *req = arg;
	json_t *out;
	size_t i;
	json_t *item;

	if (rc != JD_OK) {
		jd_reply_rc(req, rc, "audit");
		return;
	}
	out = json_array();
	if (out == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "audit");
		return;
	}
	json_array_foreach(result, i, item)
	{
		if (json_array_append_new(out, entry_json(item)) != 0) {
			json_decref(out);
			jd_reply_rc(req, JD_E_NOMEM, "audit");
			return;
		}
	}
	jd_reply_json(req, 200, json_pack("{s:o}", "entries", out));
}

static void get_tail(jd_req *req, void *arg)
{
	const char *tenant = tenant_param(req);
	json_t *jc = json_object_get(req->input, "count");
	json_int_t count = jc ? json_integer_value(jc) : 20;
	char n[24];
	const char *argv[] = {"XREVRANGE", "audit", "+", "-", "COUNT", n};
	int rc;

	(void)arg;
	if (tenant == NULL) {
		jd_reply_error(req, 400, "invalid", "tenant: 1..64 of [A-Za-z0-9_-]");
		return;
	}
	if (count < 1 || count > TAIL_MAX) {
		jd_reply_error(req, 400, "invalid", "count: 1..%d", TAIL_MAX);
		return;
	}
	snprintf(n, sizeof(n), "%lld", (long long)count);
	rc = jd_store_read(req->srv->store, tenant, 6, argv, on_tail, req);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "audit");
}

/* ---- GET /v1/audit/search --------------------------------------------------- */

/*
 * A bounded administrative scan: the newest entries backwards (XREVRANGE
 * in pages of SEARCH_PAGE, down to `since` by the stream ids' time), at
 * most SEARCH_SCAN_MAX entries read and SEARCH_MATCH_MAX returned, newest
 * first.  Filters: actor, action and target match exactly, or by prefix
 * when they end in '*'; an empty or missing filter matches everything.
 */
#define SEARCH_PAGE	 500
#define SEARCH_PAGE_TXT	 "500"
#define SEARCH_SCAN_MAX	 20000
#define SEARCH_MATCH_MAX 200

struct search_ctx {
	jd_req *req; /* the filters point into its input */
	char tenant[65];
	const char *actor, *action, *target;
	char end[32];  /* "-" or since in ms */
	char next[64]; /* "+" or "(" and the last id read */
	size_t scanned;
	json_t *out;
};

static int filter_match(const char *filter, const char *value)
{
	size_t n;

	if (filter == NULL || *filter == '\0')
		return 1;
	if (value == NULL)
		return 0;
	n = strlen(filter);
	if (filter[n - 1] == '*')
		return strncmp(filter, value, n - 1) == 0;
	return strcmp(filter, value) == 0;
}

/*
 * A target names one record or path, or several space-separated reads
 * ("note:<id>#text note:<id>#source", and "req:<id>" before each
 * request's reads in an entry merged from several requests): the filter
 * matches the whole target or any one of its words.
 */
static int target_match(const char *filter, const char *target)
{
	char word[1024];

	if (filter_match(filter, target))
		return 1;
	for (const char *p = target; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, " ");

		if (n > 0 && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			if (filter_match(filter, word))
				return 1;
		}
		p += n + (p[n] == ' ');
	}
	return 0;
}

static const char *stream_field(json_t *fields, const char *name)
{
	for (size_t k = 0; k + 1 < json_array_size(fields); k += 2) {
		const char *f = json_string_value(json_array_get(fields, k));

		if (f != NULL && strcmp(f, name) == 0)
			return json_string_value(json_array_get(fields, k + 1));
	}
	return NULL;
}

/* since: unix seconds, or RFC 3339 ("2026-11-27T17:30:00Z", fraction and offset allowed). */
static int parse_since(const char *s, long long *ms)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, frac = 0, digits = 0;
	const char *p;
	time_t t;

	if (*s != '\0' && strspn(s, "0123456789") == strlen(s)) {
		if (strlen(s) > 12)
			return JD_E_INVALID;
		*ms = strtoll(s, NULL, 10) * 1000;
		return JD_OK;
	}
	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return JD_E_INVALID;
	p = s + n;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
		if (digits == 0)
			return JD_E_INVALID;
		for (; digits < 3; digits++)
			frac *= 10;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return JD_E_INVALID;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		/* UTC */
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh, om;

		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
			return JD_E_INVALID;
		t += (*p == '+' ? -1 : 1) * (time_t)(oh * 3600 + om * 60);
	} else {
		return JD_E_INVALID;
	}
	if (t < 0)
		return JD_E_INVALID;
	*ms = (long long)t * 1000 + frac;
	return JD_OK;
}

/* Runs when the request is finished: what the context holds. */
static void search_dtor(void *ptr)
{
	struct search_ctx *c = ptr;

	json_decref(c->out);
}

static int search_page(struct search_ctx *c);

static void search_done(struct search_ctx *c, int truncated, int capped)
{
	json_t *body = json_pack("{s:O, s:I, s:b, s:b, s:I}", "entries", c->out, "scanned",
				 (json_int_t)c->scanned, "truncated", truncated, "more_matches",
				 capped, "scan_limit", (json_int_t)SEARCH_SCAN_MAX);

	if (body == NULL)
		jd_reply_rc(c->req, JD_E_NOMEM, "audit");
	else
		jd_reply_json(c->req, 200, body);
}

static void on_search_page(int rc, json_t *result, void *arg)
{
	struct search_ctx *c = arg;
	size_t got = json_array_size(result), i;
	json_t *item;
	const char *last = NULL;

	if (rc != JD_OK || !json_is_array(result)) {
		jd_reply_rc(c->req, rc != JD_OK ? rc : JD_ERR, "audit");
		return;
	}
	json_array_foreach(result, i, item)
	{
		json_t *fields = json_array_get(item, 1);

		c->scanned++;
		last = json_string_value(json_array_get(item, 0));
		if (!filter_match(c->actor, stream_field(fields, "actor")) ||
		    !filter_match(c->action, stream_field(fields, "action")) ||
		    !target_match(c->target, stream_field(fields, "target")))
			continue;
		if (json_array_size(c->out) >= SEARCH_MATCH_MAX) {
			search_done(c, 0, 1);
			return;
		}
		if (json_array_append_new(c->out, entry_json(item)) != 0) {
			jd_reply_rc(c->req, JD_E_NOMEM, "audit");
			return;
		}
	}
	if (got < SEARCH_PAGE || last == NULL) {
		search_done(c, 0, 0);
		return;
	}
	if (c->scanned >= SEARCH_SCAN_MAX) {
		search_done(c, 1, 0);
		return;
	}
	snprintf(c->next, sizeof(c->next), "(%s", last);
	rc = search_page(c);
	if (rc != JD_OK)
		jd_reply_rc(c->req, rc, "audit");
}

static int search_page(struct search_ctx *c)
{
	const char *argv[] = {"XREVRANGE", "audit", c->next, c->end, "COUNT", SEARCH_PAGE_TXT};

	if (c->req->srv->store == NULL)
		return JD_E_UNAVAILABLE;
	return jd_store_read(c->req->srv->store, c->tenant, 6, argv, on_search_page, c);
}

static const char *input_string(jd_req *req, const char *name)
{
	return json_string_value(json_object_get(req->input, name));
}

static void get_search(jd_req *req, void *arg)
{
	const char *tenant = tenant_param(req), *since = input_string(req, "since");
	struct search_ctx *c;
	long long ms = 0;
	int rc;

	(void)arg;
	if (tenant == NULL) {
		jd_reply_error(req, 400, "invalid", "tenant: 1..64 of [A-Za-z0-9_-]");
		return;
	}
	if (since != NULL && *since != '\0' && parse_since(since, &ms) != JD_OK) {
		jd_reply_error(req, 400, "invalid",
			       "since: RFC 3339 (2026-01-31T12:00:00Z) or unix seconds");
		return;
	}
	c = jd_req_ctx(req, sizeof(*c), search_dtor);
	if (c == NULL || (c->out = json_array()) == NULL) {
		jd_reply_rc(req, JD_E_NOMEM, "audit");
		return;
	}
	c->req = req;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	c->actor = input_string(req, "actor");
	c->action = input_string(req, "action");
	c->target = input_string(req, "target");
	snprintf(c->next, sizeof(c->next), "+");
	if (ms > 0)
		snprintf(c->end, sizeof(c->end), "%lld", ms);
	else
		snprintf(c->end, sizeof(c->end), "-");
	rc = search_page(c);
	if (rc != JD_OK)
		jd_reply_rc(req, rc, "audit");
}

/* ---- POST /v1/audit/accept-head ------------------------------------------------
 *
 * The administrator's decision on a tenant held because its chain head in
 * Redis moved behind the anchor (audit_log.h): the head found becomes the
 * anchor, writes resume chaining from it, and the decision (who, the heads,
 * the reason) is the first entry chained on it.  The cut stays visible to
 * `audit verify` through the signed checkpoints.
 */
#define REASON_MAX 200

static void post_accept_head(jd_req *req, void *arg)
{
	const char *tenant = tenant_param(req), *reason = input_string(req, "reason");
	struct jd_audit_log *l = jd_store_audit_log(req->srv->store);
	char chain[JD_AUDIT_HEX], target[320], q[REASON_MAX + 16];
	uint64_t seq = 0, was = 0;
	int rc;

	(void)arg;
	if (tenant == NULL) {
		jd_reply_error(req, 400, "invalid", "tenant: 1..64 of [A-Za-z0-9_-]");
		return;
	}
	if (reason == NULL || *reason == '\0' || strlen(reason) > REASON_MAX) {
		jd_reply_error(req, 400, "invalid",
			       "reason: 1..%d characters, why the head is "
			       "accepted",
			       REASON_MAX);
		return;
	}
	rc = l != NULL ? jd_audit_log_accept_head(l, tenant, &seq, chain, &was) : JD_E_UNAVAILABLE;
	if (rc == JD_E_NOTFOUND) {
		jd_reply_error(req, 409, "not_held",
			       "the audit chain head of '%s' has not moved back: nothing to accept",
			       tenant);
		return;
	}
	if (rc != JD_OK) {
		jd_reply_rc(req, rc, "audit");
		return;
	}
	snprintf(target, sizeof(target), "head seq %llu accepted over seq %llu: %s",
		 (unsigned long long)seq, (unsigned long long)was, reason);
	jd_warn("audit: a chain head behind the anchor accepted by an administrator",
		"tenant=%s head=%llu anchor=%llu actor=%s reason=%s", tenant,
		(unsigned long long)seq, (unsigned long long)was, req->principal.name,
		jd_log_quote(q, sizeof(q), reason));
	jd_req_audit(req, tenant, "audit.accept_head", target, "accepted");
	jd_reply_json(req, 200,
		      json_pack("{s:s, s:I, s:s, s:I, s:s}", "tenant", tenant, "head",
				(json_int_t)seq, "chain", chain, "anchor_was", (json_int_t)was,
				"reason", reason));
}

/* ---- GET /v1/audit/pubkey --------------------------------------------------- */

static void get_pubkey(jd_req *req, void *arg)
{
	const unsigned char *pk = jd_keyring_sign_pk(req->srv->keyring);
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	char hex[65];

	(void)arg;
	if (pk == NULL) {
		jd_reply_rc(req, JD_ERR, "audit");
		return;
	}
	sodium_bin2base64(b64, sizeof(b64), pk, 32, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2hex(hex, sizeof(hex), pk, 32);
	jd_reply_json(
	    req, 200,
	    json_pack("{s:s, s:s, s:s}", "algorithm", "ed25519", "base64", b64, "hex", hex));
}

static const struct jd_field verify_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant whose trail to verify", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field tail_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant", 0},
    {"count", JD_FIELD_INTEGER, 0, 0, "entries, newest first: 1..200 (default 20)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field search_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant", 0},
    {"actor", JD_FIELD_STRING, 0, 128, "principal name (exact; a trailing * matches a prefix)", 0},
    {"action", JD_FIELD_STRING, 0, 96, "action, e.g. sealed.read (exact or prefix*)", 0},
    {"target", JD_FIELD_STRING, 0, 300, "record key, path or type:id#field (exact or prefix*)", 0},
    {"since", JD_FIELD_STRING, 0, 40, "oldest time: RFC 3339 or unix seconds", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field accept_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant whose chain head moved back", 0},
    {"reason", JD_FIELD_STRING, 1, REASON_MAX, "why the head found is accepted (audited)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route audit_routes[] = {
    {"GET", "/v1/audit/verify", "audit.verify",
     "Verify a tenant's audit trail: chain, tags, checkpoints (administrative scan)",
     "audit verify", verify_fields, 0, get_verify, NULL},
    {"GET", "/v1/audit/tail", "audit.read", "The latest audit entries, newest first", "audit tail",
     tail_fields, 0, get_tail, NULL},
    {"GET", "/v1/audit/search", "audit.read",
     "Search the newest audit entries by actor, action, target, since (bounded scan: 20000 "
     "entries, 200 matches)",
     "audit search", search_fields, 0, get_search, NULL},
    {"POST", "/v1/audit/accept-head", "audit.admin",
     "Accept a tenant's audit chain head that moved back (a cut tail) and resume its writes",
     "audit accept-head", accept_fields, JD_ROUTE_CONTROL_ONLY, post_accept_head, NULL},
    {"GET", "/v1/audit/pubkey", "audit.read", "The Ed25519 key that verifies checkpoints",
     "audit pubkey", NULL, JD_ROUTE_NO_STORE, get_pubkey, NULL},
};

int jd_audit_routes_register(struct jd_server *srv, char *err, size_t errlen)
{
	return jd_router_add_table(srv->router, audit_routes,
				   sizeof(audit_routes) / sizeof(audit_routes[0]), "core", err,
				   errlen);
}
