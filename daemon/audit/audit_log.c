/*
 * Per-tenant chain heads and the checkpoints made from them (audit_log.h).
 *
 * The table is a small array searched linearly: one row per tenant this
 * process has written to, never more rows than tenants.
 *
 * Checkpoints are made on the loop, never inside a mutation's callback
 * path: when a tenant reaches cp_every entries an immediate timer is
 * armed, and a periodic one covers the rest.  The local file is written
 * with write() and fsync()ed each time: a blocking fsync at most once per
 * interval (or per cp_every entries) is accepted on the loop.
 */
#include "audit/audit_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"
#include "storage/redis.h"

#define CP_EVERY_DEFAULT       100
#define CP_INTERVAL_MS_DEFAULT 60000
#define TENANT_MAX	       64
#define KEY_MAX		       (TENANT_MAX + 32)

struct head {
	char tenant[TENANT_MAX + 1];
	uint64_t seq;
	char chain[JD_AUDIT_HEX];
	uint64_t cp_seq; /* the seq of our last checkpoint */
	int busy;	 /* an audited mutation of this tenant is in flight */
	struct jd_audit_waiter *first, *last;
};

struct jd_audit_log {
	unsigned char key[32];
	const unsigned char *sign_sk;
	struct jd_redis *redis;
	int fd;
	unsigned cp_every;
	struct event *tick;
	struct event *soon;
	struct head *heads;
	size_t n, cap;
	unsigned pending; /* RPUSHes in flight: freeing waits for them */
	int freed;
};

static const char zero_chain[JD_AUDIT_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static struct head *find(struct jd_audit_log *l, const char *tenant)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->heads[i].tenant, tenant) == 0)
			return &l->heads[i];
	}
	return NULL;
}

static struct head *find_or_add(struct jd_audit_log *l, const char *tenant)
{
	struct head *h = find(l, tenant);

	if (h != NULL)
		return h;
	if (strlen(tenant) > TENANT_MAX)
		return NULL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct head *nh = realloc(l->heads, cap * sizeof(*nh));

		if (nh == NULL)
			return NULL;
		l->heads = nh;
		l->cap = cap;
	}
	h = &l->heads[l->n++];
	memset(h, 0, sizeof(*h));
	snprintf(h->tenant, sizeof(h->tenant), "%s", tenant);
	memcpy(h->chain, zero_chain, sizeof(h->chain));
	return h;
}

const unsigned char *jd_audit_log_key(const struct jd_audit_log *l)
{
	return l->key;
}

void jd_audit_log_head(struct jd_audit_log *l, const char *tenant, uint64_t *seq,
		       char chain[JD_AUDIT_HEX])
{
	struct head *h = find(l, tenant);

	*seq = h ? h->seq : 0;
	memcpy(chain, h ? h->chain : zero_chain, JD_AUDIT_HEX);
}

static int chain_valid(const char *c)
{
	if (c == NULL || strlen(c) != 64)
		return 0;
	return strspn(c, "0123456789abcdef") == 64;
}

int jd_audit_log_set_head(struct jd_audit_log *l, const char *tenant, uint64_t seq,
			  const char *chain, int appended)
{
	struct head *h;

	if (l == NULL || tenant == NULL || !chain_valid(chain))
		return JD_E_INVALID;
	h = find_or_add(l, tenant);
	if (h == NULL)
		return JD_E_NOMEM;
	h->seq = seq;
	memcpy(h->chain, chain, JD_AUDIT_HEX);
	if (!appended && h->cp_seq > seq)
		h->cp_seq = seq; /* another worker's view: never ahead of the head */
	if (appended && l->sign_sk != NULL && l->soon != NULL && seq >= h->cp_seq + l->cp_every) {
		struct timeval now = {0, 0};

		if (evtimer_add(l->soon, &now) != 0)
			jd_warn("audit: cannot schedule a checkpoint", NULL);
	}
	return JD_OK;
}

int jd_audit_log_acquire(struct jd_audit_log *l, const char *tenant, struct jd_audit_waiter *w)
{
	struct head *h = find_or_add(l, tenant);

	if (h == NULL)
		return JD_E_NOMEM;
	w->next = NULL;
	if (!h->busy) {
		h->busy = 1;
		return 1;
	}
	if (h->last != NULL)
		h->last->next = w;
	else
		h->first = w;
	h->last = w;
	return 0;
}

struct jd_audit_waiter *jd_audit_log_release(struct jd_audit_log *l, const char *tenant)
{
	struct head *h = find(l, tenant);
	struct jd_audit_waiter *w;

	if (h == NULL)
		return NULL;
	w = h->first;
	if (w == NULL) {
		h->busy = 0;
		return NULL;
	}
	h->first = w->next;
	if (h->first == NULL)
		h->last = NULL;
	w->next = NULL;
	return w;
}

/* ---- Checkpoints ------------------------------------------------------------ */

static void log_release(struct jd_audit_log *l)
{
	if (--l->pending == 0 && l->freed)
		free(l);
}

static void pushed(int rc, redisReply *reply, void *arg)
{
	struct jd_audit_log *l = arg;

	if (rc != JD_OK)
		jd_warn("audit: checkpoint not stored in Redis", "rc=%d", rc);
	else if (reply->type == REDIS_REPLY_ERROR)
		jd_warn("audit: checkpoint not stored in Redis", "err=redis");
	log_release(l);
}

static int write_line(int fd, const char *line)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t n = write(fd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return JD_ERR;
		off += (size_t)n;
	}
	return fsync(fd) == 0 ? JD_OK : JD_ERR;
}

static void checkpoint_one(struct jd_audit_log *l, struct head *h)
{
	char line[JD_AUDIT_CP_LINE + 1], key[KEY_MAX];
	const char *argv[3];
	size_t len;
	int rc;

	rc = jd_audit_checkpoint(l->sign_sk, h->tenant, h->seq, h->chain, (long long)time(NULL),
				 line, sizeof(line) - 1);
	if (rc != JD_OK) {
		jd_err("audit: cannot sign a checkpoint", "tenant=%s seq=%llu", h->tenant,
		       (unsigned long long)h->seq);
		return;
	}
	h->cp_seq = h->seq;
	len = strlen(line);
	if (l->fd >= 0) {
		line[len] = '\n';
		line[len + 1] = '\0';
		if (write_line(l->fd, line) != JD_OK)
			jd_err("audit: cannot append to the checkpoint file", "errno=%d", errno);
		line[len] = '\0';
	}
	if (l->redis == NULL)
		return;
	snprintf(key, sizeof(key), "jd:{%s}:audit:checkpoints", h->tenant);
	argv[0] = "RPUSH";
	argv[1] = key;
	argv[2] = line;
	rc = jd_redis_command(l->redis, 3, argv, NULL, pushed, l);
	if (rc != JD_OK)
		jd_warn("audit: checkpoint not stored in Redis", "rc=%d", rc);
	else
		l->pending++;
}

static void checkpoint_pass(struct jd_audit_log *l, unsigned min_entries)
{
	if (l->sign_sk == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct head *h = &l->heads[i];

		if (h->seq > h->cp_seq && h->seq - h->cp_seq >= min_entries)
			checkpoint_one(l, h);
	}
}

void jd_audit_log_checkpoint_all(struct jd_audit_log *l)
{
	if (l != NULL)
		checkpoint_pass(l, 1);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	checkpoint_pass(arg, 1);
}

static void on_soon(evutil_socket_t fd, short what, void *arg)
{
	struct jd_audit_log *l = arg;

	checkpoint_pass(l, l->cp_every);
}

/* ---- Life cycle ------------------------------------------------------------- */

struct jd_audit_log *jd_audit_log_new(const struct jd_audit_log_opts *o)
{
	struct jd_audit_log *l;
	unsigned ms;
	struct timeval tv;

	if (o == NULL || o->audit_key == NULL)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	memcpy(l->key, o->audit_key, sizeof(l->key));
	l->sign_sk = o->sign_sk;
	l->redis = o->redis;
	l->fd = -1;
	l->cp_every = o->cp_every ? o->cp_every : CP_EVERY_DEFAULT;
	ms = o->cp_interval_ms ? o->cp_interval_ms : CP_INTERVAL_MS_DEFAULT;
	if (o->cp_path != NULL) {
		l->fd = open(o->cp_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (l->fd < 0) {
			jd_err("audit: cannot open the checkpoint file", "errno=%d", errno);
			goto fail;
		}
	}
	if (o->base != NULL && l->sign_sk != NULL) {
		l->tick = event_new(o->base, -1, EV_PERSIST, on_tick, l);
		l->soon = evtimer_new(o->base, on_soon, l);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		if (l->tick == NULL || l->soon == NULL || event_add(l->tick, &tv) != 0)
			goto fail;
	}
	return l;
fail:
	if (l->tick != NULL)
		event_free(l->tick);
	if (l->soon != NULL)
		event_free(l->soon);
	if (l->fd >= 0)
		close(l->fd);
	sodium_memzero(l->key, sizeof(l->key));
	free(l);
	return NULL;
}

void jd_audit_log_free(struct jd_audit_log *l)
{
	if (l == NULL)
		return;
	if (l->tick != NULL)
		event_free(l->tick);
	if (l->soon != NULL)
		event_free(l->soon);
	l->tick = l->soon = NULL;
	/* the last heads go to the local file at least (Redis may be going away) */
	l->redis = NULL;
	checkpoint_pass(l, 1);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	sodium_memzero(l->key, sizeof(l->key));
	free(l->heads);
	l->heads = NULL;
	l->n = l->cap = 0;
	l->freed = 1;
	if (l->pending == 0)
		free(l);
}
