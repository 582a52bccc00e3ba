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
 *
 * Anchors (audit_log.h): each head written or learned moves the tenant's
 * anchor up in memory at once; a timer writes the moved anchors to the
 * anchor file and fsyncs it at most once per anchor_interval_ms (one
 * write of a few short lines and one fsync a second at most on the loop),
 * and freeing the log writes the rest.  A crash (kill -9, power loss)
 * therefore loses at most the anchors' last interval: after a restart the
 * anchor may be up to that much behind the head jiandud had written, and
 * a tail cut within that margin while jiandud was down goes unnoticed by
 * the anchor (the signed checkpoints still bound it).  The file is
 * append-only ("anchor1 <tenant> <seq> <chain>" lines, the highest seq
 * wins; an "accept1" line, an administrator's decision, resets the
 * tenant) and rewritten with one line a tenant (temporary file, rename)
 * at start and whenever it holds over 64 KiB and four times that.
 */
#include "audit/audit_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
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
	uint64_t cp_seq;   /* the seq of our last checkpoint */
	unsigned inflight; /* audited entries of this tenant sent, their replies due */
	uint64_t tip_seq;  /* the head once every entry in flight has appended */
	char tip_chain[JD_AUDIT_HEX];
	unsigned epoch;	     /* raised whenever an entry in flight missed: the tip was wrong */
	uint64_t anchor_seq; /* the highest head written or seen */
	char anchor_chain[JD_AUDIT_HEX];
	int anchor_dirty;   /* moved since the file last had it */
	int held;	    /* a head behind the anchor was found: writes refused */
	uint64_t found_seq; /* that head */
	char found_chain[JD_AUDIT_HEX];
	struct jd_audit_waiter *first, *last;	/* mutations */
	struct jd_audit_waiter *afirst, *alast; /* access entries */
	/* the newest access entries queued, oldest first: those a read may join */
	struct jd_audit_waiter *open[JD_AUDIT_OPEN];
	unsigned nopen;
	unsigned waiting; /* in both queues */
	unsigned writes_in_a_row;
};

struct jd_audit_log {
	unsigned char key[32];
	const unsigned char *sign_sk;
	struct jd_redis *redis;
	int fd;
	int anchor_fd;
	char *anchor_path;
	int anchor_shared;  /* several workers append to the file: never compacted */
	size_t anchor_size; /* bytes in the anchor file: compacted when mostly superseded */
	unsigned cp_every;
	unsigned depth; /* the pipeline's: entries of a tenant in flight */
	struct event *anchor_tick;
	struct event *tick;
	struct event *soon;
	struct head *heads;
	size_t n, cap;
	unsigned pending; /* RPUSHes in flight: freeing waits for them */
	int freed;
};

static unsigned long long moved_back_total, held_now, backlog_refused_total, waiting_now;
static unsigned long long reads_merged_total;

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
	memcpy(h->anchor_chain, zero_chain, sizeof(h->anchor_chain));
	memcpy(h->tip_chain, zero_chain, sizeof(h->tip_chain));
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

static void anchor_raise(struct head *h, uint64_t seq, const char *chain)
{
	if (seq < h->anchor_seq || (seq == h->anchor_seq && strcmp(chain, h->anchor_chain) == 0))
		return; /* nothing new for the file */
	h->anchor_seq = seq;
	memcpy(h->anchor_chain, chain, JD_AUDIT_HEX);
	h->anchor_dirty = 1;
}

/* A learned head behind the anchor, or at its seq with another chain: the tail was cut. */
static int moved_back(const struct head *h, uint64_t seq, const char *chain)
{
	if (seq < h->anchor_seq)
		return 1;
	return seq == h->anchor_seq && seq > 0 && strcmp(chain, h->anchor_chain) != 0;
}

static int hold(struct head *h, uint64_t seq, const char *chain)
{
	moved_back_total++;
	if (h->held)
		return JD_E_UNAVAILABLE;
	h->held = 1;
	h->found_seq = seq;
	memcpy(h->found_chain, chain, JD_AUDIT_HEX);
	held_now++;
	jd_err("audit: the chain head in Redis moved back; the tenant's writes are refused until "
	       "an administrator runs `jianductl audit accept-head`",
	       "tenant=%s head=%llu anchor=%llu", h->tenant, (unsigned long long)seq,
	       (unsigned long long)h->anchor_seq);
	return JD_E_CONFLICT;
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
	if (appended <= 0 && moved_back(h, seq, chain))
		return hold(h, seq, chain);
	h->seq = seq;
	memcpy(h->chain, chain, JD_AUDIT_HEX);
	if (appended != JD_AUDIT_HEAD_UNCONFIRMED)
		anchor_raise(h, seq, chain);
	if (appended <= 0 && h->cp_seq > seq)
		h->cp_seq = seq; /* another worker's view: never ahead of the head */
	if (appended > 0 && l->sign_sk != NULL && l->soon != NULL &&
	    seq >= h->cp_seq + l->cp_every) {
		struct timeval now = {0, 0};

		if (evtimer_add(l->soon, &now) != 0)
			jd_warn("audit: cannot schedule a checkpoint", NULL);
	}
	return JD_OK;
}

int jd_audit_log_held(struct jd_audit_log *l, const char *tenant)
{
	struct head *h = l != NULL ? find(l, tenant) : NULL;

	return h != NULL && h->held;
}

void jd_audit_log_anchor(struct jd_audit_log *l, const char *tenant, uint64_t *seq,
			 char chain[JD_AUDIT_HEX])
{
	struct head *h = l != NULL ? find(l, tenant) : NULL;

	*seq = h ? h->anchor_seq : 0;
	memcpy(chain, h ? h->anchor_chain : zero_chain, JD_AUDIT_HEX);
}

unsigned long long jd_audit_log_moved_back_total(void)
{
	return moved_back_total;
}

unsigned long long jd_audit_log_held_now(void)
{
	return held_now;
}

/* A pipeline slot taken; with none in flight before, the tip is the head known. */
static void slot_take(struct head *h)
{
	if (h->inflight++ == 0) {
		h->tip_seq = h->seq;
		memcpy(h->tip_chain, h->chain, JD_AUDIT_HEX);
	}
}

/* w queued: one a read may join, the oldest of a full set no longer. */
static void open_add(struct head *h, struct jd_audit_waiter *w)
{
	if (h->nopen == JD_AUDIT_OPEN) {
		memmove(&h->open[0], &h->open[1], (JD_AUDIT_OPEN - 1) * sizeof(h->open[0]));
		h->nopen--;
	}
	h->open[h->nopen++] = w;
}

/* w leaves the queue (it is sent): no read may join it now. */
static void open_remove(struct head *h, const struct jd_audit_waiter *w)
{
	for (unsigned i = 0; i < h->nopen; i++) {
		if (h->open[i] != w)
			continue;
		memmove(&h->open[i], &h->open[i + 1], (h->nopen - i - 1) * sizeof(h->open[0]));
		h->nopen--;
		return;
	}
}

int jd_audit_log_acquire(struct jd_audit_log *l, const char *tenant, struct jd_audit_waiter *w)
{
	struct head *h = find_or_add(l, tenant);
	struct jd_audit_waiter **first, **last;

	if (h == NULL)
		return JD_E_NOMEM;
	w->next = NULL;
	if (h->inflight < l->depth && h->first == NULL && h->afirst == NULL) {
		slot_take(h);
		return 1;
	}
	if (w->access)
		open_add(h, w);
	first = w->access ? &h->afirst : &h->first;
	last = w->access ? &h->alast : &h->last;
	if (*last != NULL)
		(*last)->next = w;
	else
		*first = w;
	*last = w;
	h->waiting++;
	waiting_now++;
	return 0;
}

void jd_audit_log_tip(struct jd_audit_log *l, const char *tenant, uint64_t *seq,
		      char chain[JD_AUDIT_HEX], unsigned *epoch)
{
	struct head *h = find(l, tenant);

	*seq = h ? h->tip_seq : 0;
	memcpy(chain, h ? h->tip_chain : zero_chain, JD_AUDIT_HEX);
	*epoch = h ? h->epoch : 0;
}

void jd_audit_log_sent(struct jd_audit_log *l, const char *tenant, uint64_t seq,
		       const char chain[JD_AUDIT_HEX])
{
	struct head *h = find(l, tenant);

	if (h == NULL)
		return;
	h->tip_seq = seq;
	memcpy(h->tip_chain, chain, JD_AUDIT_HEX);
}

int jd_audit_log_missed(struct jd_audit_log *l, const char *tenant, unsigned epoch, uint64_t seq,
			const char chain[JD_AUDIT_HEX])
{
	struct head *h = find(l, tenant);

	if (h == NULL || epoch != h->epoch)
		return 0;
	h->epoch++;
	h->tip_seq = seq;
	memcpy(h->tip_chain, chain, JD_AUDIT_HEX);
	return 1;
}

int jd_audit_log_current(struct jd_audit_log *l, const char *tenant, unsigned epoch)
{
	struct head *h = find(l, tenant);

	return h != NULL && h->epoch == epoch;
}

static struct jd_audit_waiter *dequeue(struct jd_audit_waiter **first,
				       struct jd_audit_waiter **last)
{
	struct jd_audit_waiter *w = *first;

	*first = w->next;
	if (*first == NULL)
		*last = NULL;
	w->next = NULL;
	return w;
}

struct jd_audit_waiter *jd_audit_log_release(struct jd_audit_log *l, const char *tenant)
{
	struct head *h = find(l, tenant);

	if (h == NULL || h->inflight == 0)
		return NULL;
	h->inflight--;
	if (h->first == NULL && h->afirst == NULL)
		return NULL;
	slot_take(h);
	h->waiting--;
	waiting_now--;
	if (h->afirst != NULL &&
	    (h->first == NULL || h->writes_in_a_row >= JD_AUDIT_WRITES_PER_ACCESS)) {
		struct jd_audit_waiter *w = dequeue(&h->afirst, &h->alast);

		h->writes_in_a_row = 0;
		open_remove(h, w);
		return w;
	}
	h->writes_in_a_row++;
	return dequeue(&h->first, &h->last);
}

unsigned jd_audit_log_backlog(struct jd_audit_log *l, const char *tenant)
{
	struct head *h = l != NULL && tenant != NULL ? find(l, tenant) : NULL;

	return h != NULL ? h->waiting : 0;
}

void jd_audit_log_count_backlog_refusal(void)
{
	backlog_refused_total++;
}

unsigned long long jd_audit_log_backlog_refused_total(void)
{
	return backlog_refused_total;
}

unsigned long long jd_audit_log_waiting_now(void)
{
	return waiting_now;
}

struct jd_audit_waiter *const *jd_audit_log_access_open(struct jd_audit_log *l, const char *tenant,
							unsigned *n)
{
	struct head *h = l != NULL && tenant != NULL ? find(l, tenant) : NULL;

	*n = h != NULL ? h->nopen : 0;
	return h != NULL ? h->open : NULL;
}

void jd_audit_log_count_merged(void)
{
	reads_merged_total++;
}

unsigned long long jd_audit_log_reads_merged_total(void)
{
	return reads_merged_total;
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

	if (h->seq < h->anchor_seq) { /* set_head never lets this happen: never sign it */
		jd_err("audit: checkpoint refused: the head is behind the anchor", "tenant=%s",
		       h->tenant);
		return;
	}
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

/* ---- The anchor file ------------------------------------------------------ */

#define ANCHOR_INTERVAL_MS_DEFAULT 1000
#define ANCHOR_LINE		   (8 + TENANT_MAX + 1 + JD_AUDIT_SEQ_TXT + JD_AUDIT_HEX + 2)
#define ANCHOR_COMPACT_MIN	   (64 * 1024)

static int anchor_line(char *buf, size_t len, const char *kind, const struct head *h)
{
	int n = snprintf(buf, len, "%s %s %llu %s\n", kind, h->tenant,
			 (unsigned long long)h->anchor_seq, h->anchor_chain);

	return n > 0 && (size_t)n < len ? JD_OK : JD_E_INVALID;
}

/* The anchor lines of every tenant (all) or of those moved since the last write; malloc'd. */
static char *anchor_lines(const struct jd_audit_log *l, int all, size_t *len)
{
	char *buf = malloc(l->n * ANCHOR_LINE + 1), line[ANCHOR_LINE];

	*len = 0;
	if (buf == NULL)
		return NULL;
	for (size_t i = 0; i < l->n; i++) {
		const struct head *h = &l->heads[i];

		if (!(all ? h->anchor_seq > 0 : h->anchor_dirty) ||
		    anchor_line(line, sizeof(line), "anchor1", h) != JD_OK)
			continue;
		memcpy(buf + *len, line, strlen(line));
		*len += strlen(line);
	}
	buf[*len] = '\0';
	return buf;
}

static int fsync_dir_of(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd, rc;

	if (dir == NULL)
		return JD_E_NOMEM;
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return JD_ERR;
	rc = fsync(fd) == 0 ? JD_OK : JD_ERR;
	close(fd);
	return rc;
}

/*
 * Rewrites the file with one line per tenant (a temporary file, fsync,
 * rename, fsync of the directory), once the appended lines are mostly
 * superseded: rare, and bounded by the number of tenants.
 */
static void anchor_compact(struct jd_audit_log *l)
{
	char tmp[4096];
	size_t len = 0;
	char *buf;
	int fd;

	/* shared: a rename would leave the other workers appending to the old file */
	if (l->anchor_shared || l->anchor_size < ANCHOR_COMPACT_MIN ||
	    l->anchor_size < 4 * l->n * ANCHOR_LINE ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", l->anchor_path) >= (int)sizeof(tmp))
		return;
	buf = anchor_lines(l, 1, &len);
	fd =
	    buf != NULL ? open(tmp, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	if (fd < 0 || write_line(fd, buf) != JD_OK || rename(tmp, l->anchor_path) != 0 ||
	    fsync_dir_of(l->anchor_path) != JD_OK) {
		jd_warn("audit: cannot compact the anchor file", "errno=%d", errno);
		if (fd >= 0)
			close(fd);
		free(buf);
		return;
	}
	free(buf);
	close(l->anchor_fd);
	l->anchor_fd = fd; /* the new file, in append mode */
	l->anchor_size = len;
}

/* Writes every moved anchor in one write() and fsyncs: at most once per interval. */
static void anchor_flush(struct jd_audit_log *l)
{
	size_t len = 0;
	char *buf;

	if (l->anchor_fd < 0)
		return;
	buf = anchor_lines(l, 0, &len);
	if (buf == NULL) {
		jd_err("audit: cannot write the anchor file", "err=nomem");
		return;
	}
	if (len > 0 && write_line(l->anchor_fd, buf) != JD_OK) {
		jd_err("audit: cannot write the anchor file", "errno=%d", errno);
	} else if (len > 0) {
		for (size_t i = 0; i < l->n; i++)
			l->heads[i].anchor_dirty = 0;
		l->anchor_size += len;
		anchor_compact(l);
	}
	free(buf);
}

static void on_anchor_tick(evutil_socket_t fd, short what, void *arg)
{
	anchor_flush(arg);
}

int jd_audit_log_accept_head(struct jd_audit_log *l, const char *tenant, uint64_t *seq,
			     char chain[JD_AUDIT_HEX], uint64_t *was)
{
	struct head *h = l != NULL ? find(l, tenant) : NULL;
	struct head next;
	char line[ANCHOR_LINE];

	if (h == NULL || !h->held)
		return JD_E_NOTFOUND;
	/* the anchor's head signed first: the cut stays visible once the anchor is lowered */
	if (l->sign_sk != NULL && h->cp_seq < h->seq)
		checkpoint_one(l, h);
	next = *h;
	next.anchor_seq = h->found_seq;
	memcpy(next.anchor_chain, h->found_chain, JD_AUDIT_HEX);
	if (anchor_line(line, sizeof(line), "accept1", &next) != JD_OK ||
	    (l->anchor_fd >= 0 && write_line(l->anchor_fd, line) != JD_OK)) {
		jd_err("audit: cannot write the anchor file; the tenant stays held", "tenant=%s",
		       tenant);
		return JD_ERR;
	}
	*was = h->anchor_seq;
	h->anchor_seq = h->seq = h->found_seq;
	memcpy(h->anchor_chain, h->found_chain, JD_AUDIT_HEX);
	memcpy(h->chain, h->found_chain, JD_AUDIT_HEX);
	if (h->cp_seq > h->seq)
		h->cp_seq = h->seq;
	h->anchor_dirty = 0;
	h->held = 0;
	held_now--;
	*seq = h->seq;
	memcpy(chain, h->chain, JD_AUDIT_HEX);
	return JD_OK;
}

/* One line of the anchor file; a line that is not one is skipped (logged by the caller). */
static int anchor_apply(struct jd_audit_log *l, const char *line)
{
	char kind[8], tenant[TENANT_MAX + 1], chain[JD_AUDIT_HEX];
	unsigned long long seq;
	struct head *h;
	int end = 0;

	if (sscanf(line, "%7s %64[A-Za-z0-9_-] %20llu %64[0-9a-f]%n", kind, tenant, &seq, chain,
		   &end) != 4 ||
	    (line[end] != '\n' && line[end] != '\0') || !chain_valid(chain) ||
	    seq > JD_AUDIT_SEQ_MAX)
		return JD_E_INVALID;
	h = find_or_add(l, tenant);
	if (h == NULL)
		return JD_E_NOMEM;
	if (strcmp(kind, "accept1") == 0)
		h->anchor_seq = 0; /* the administrator's decision resets the tenant */
	else if (strcmp(kind, "anchor1") != 0)
		return JD_E_INVALID;
	anchor_raise(h, seq, chain);
	h->anchor_dirty = 0;
	/* the head to expect first, and nothing to sign before new entries */
	h->seq = h->cp_seq = h->anchor_seq;
	memcpy(h->chain, h->anchor_chain, JD_AUDIT_HEX);
	return JD_OK;
}

/* Reads the anchors at start (a blocking read, before the loop runs), then opens for appends. */
static int anchor_open(struct jd_audit_log *l, const char *path)
{
	char line[ANCHOR_LINE + 2];
	unsigned bad = 0;
	FILE *f;
	struct stat st;
	int rc = JD_OK;

	l->anchor_path = strdup(path);
	l->anchor_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (l->anchor_path == NULL || l->anchor_fd < 0 || fstat(l->anchor_fd, &st) != 0) {
		jd_err("audit: cannot open the anchor file", "errno=%d", errno);
		return JD_ERR;
	}
	l->anchor_size = (size_t)st.st_size;
	f = fopen(path, "re");
	if (f == NULL) {
		jd_err("audit: cannot read the anchor file", "errno=%d", errno);
		return JD_ERR;
	}
	while (rc != JD_E_NOMEM && fgets(line, sizeof(line), f) != NULL) {
		rc = anchor_apply(l, line);
		bad += rc == JD_E_INVALID;
	}
	if (ferror(f))
		rc = JD_ERR;
	fclose(f);
	if (bad > 0)
		jd_warn("audit: lines of the anchor file skipped", "count=%u", bad);
	if (rc == JD_E_NOMEM || rc == JD_ERR)
		return rc;
	anchor_compact(l); /* at start, before the loop runs */
	return JD_OK;
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
	l->anchor_fd = -1;
	l->cp_every = o->cp_every ? o->cp_every : CP_EVERY_DEFAULT;
	l->depth = o->pipeline ? o->pipeline : JD_AUDIT_PIPELINE;
	ms = o->cp_interval_ms ? o->cp_interval_ms : CP_INTERVAL_MS_DEFAULT;
	if (o->cp_path != NULL) {
		l->fd = open(o->cp_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (l->fd < 0) {
			jd_err("audit: cannot open the checkpoint file", "errno=%d", errno);
			goto fail;
		}
	}
	l->anchor_shared = o->anchor_shared;
	if (o->anchor_path != NULL && anchor_open(l, o->anchor_path) != JD_OK)
		goto fail;
	if (o->base != NULL && l->anchor_fd >= 0) {
		unsigned ams =
		    o->anchor_interval_ms ? o->anchor_interval_ms : ANCHOR_INTERVAL_MS_DEFAULT;

		l->anchor_tick = event_new(o->base, -1, EV_PERSIST, on_anchor_tick, l);
		tv.tv_sec = ams / 1000;
		tv.tv_usec = (suseconds_t)(ams % 1000) * 1000;
		if (l->anchor_tick == NULL || event_add(l->anchor_tick, &tv) != 0)
			goto fail;
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
	if (l->anchor_tick != NULL)
		event_free(l->anchor_tick);
	if (l->anchor_fd >= 0)
		close(l->anchor_fd);
	free(l->anchor_path);
	free(l->heads);
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
	if (l->anchor_tick != NULL)
		event_free(l->anchor_tick);
	l->tick = l->soon = l->anchor_tick = NULL;
	anchor_flush(l);
	if (l->anchor_fd >= 0)
		close(l->anchor_fd);
	l->anchor_fd = -1;
	free(l->anchor_path);
	l->anchor_path = NULL;
	for (size_t i = 0; i < l->n; i++)
		held_now -= l->heads[i].held;
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
