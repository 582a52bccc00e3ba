/*
 * Redis Cluster routing (cluster.h).
 *
 * Why in jiandud and not hiredis-cluster: Debian 12 has no package of it,
 * and our connections are our own (redis.c: timeouts, TLS, reconnects),
 * which hiredis-cluster's async side would replace.  What Cluster needs on
 * top of them is small: a slot map, a slot per key, and two redirections.
 *
 * The slot of a key is never computed here (no CRC16 of our own): the
 * first command naming a hash tag asks CLUSTER KEYSLOT and waits; later
 * commands of that tag find it in the cache.  Tags are tenants (and
 * "_sys"), so the cache stays small; it is emptied should it pass
 * TAGS_MAX all the same.
 *
 * Order: commands of one tag go on one connection in the order they were
 * given, the ones waiting for the tag's slot included.  Commands of
 * different tags may live on different masters and so are not ordered
 * among themselves: nothing in the daemon relies on that across tenants.
 */
#include "storage/cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "runtime/log.h"

#define SLOTS	      16384
#define NODES_MAX     64
#define TAG_BUCKETS   1024
#define TAGS_MAX      65536
#define REDIRECTS_MAX 5
#define TRYAGAIN_MAX  40 /* sends 50 ms apart: 2 s for a slot to finish moving */
#define TRYAGAIN_MS   50
#define REFRESH_MS    5000 /* the map is read again this often, to see failovers */
#define RETRY_MS      200  /* after a failed or partial read of the map */
#define SOON_MS	      20   /* after a MOVED, a lost master or CLUSTERDOWN */
#define ADDR_MAX      300
#define PREFIX_MAX    400

struct node {
	char addr[ADDR_MAX]; /* host:port, [v6]:port */
	struct jd_redis *r;
	struct jd_cluster *c;
	int master; /* serves slots in the current map */
};

struct ccmd {
	struct ccmd *next;
	struct jd_cluster *c;
	jd_redis_cb cb;
	void *arg;
	int node; /* where it was last sent */
	int asking;
	int redirects;
	int tries;		    /* TRYAGAIN answers */
	struct event *retry;	    /* waits TRYAGAIN_MS before sending again */
	struct ccmd *rprev, *rnext; /* in the cluster's list of those waiting */
	int argc;
	const char **argv; /* owned: a redirection sends it again */
	size_t *lens;
};

struct tag {
	struct tag *next;
	struct jd_cluster *c;
	int slot; /* -1 while CLUSTER KEYSLOT is on its way */
	struct ccmd *wait_head, *wait_tail;
	size_t len;
	char name[];
};

struct jd_cluster {
	struct event_base *base;
	struct jd_redis_opts opts; /* url unused; the strings below own its paths */
	char *tls_ca, *tls_cert, *tls_key;
	char prefix[PREFIX_MAX]; /* "redis://[creds@]": a node's url is prefix + addr */

	struct node *nodes[NODES_MAX];
	int nnodes;
	short map[SLOTS]; /* node index, -1: no master */
	int map_loaded;
	unsigned served;
	int refreshing;
	int next_ask; /* the node to ask the map of next, round robin */
	struct event *timer;

	struct ccmd *retrying;

	struct tag *tags[TAG_BUCKETS];
	size_t ntags;

	struct jd_redis *facade;
	jd_redis_connect_cb hook;
	void *hook_arg;
	struct node *hook_node; /* while hook runs: keyless commands go there only */

	int closing;
	struct jd_redis_stats stats;
};

static void refresh(struct jd_cluster *c);

/* ---- Seeds and node addresses --------------------------------------------- */

/* Entry i of the comma-separated list into out, spaces trimmed; 0 at the end. */
static int seed_at(const char *seeds, int i, char *out, size_t outlen)
{
	const char *p = seeds;
	size_t n;

	for (; i > 0; i--) {
		p = strchr(p, ',');
		if (p == NULL)
			return 0;
		p++;
	}
	p += strspn(p, " \t");
	n = strcspn(p, ",");
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

/* A seed as a URL: host:port entries become redis://host:port. */
static void seed_url(const char *seed, char *out, size_t outlen)
{
	if (strstr(seed, "://") != NULL)
		snprintf(out, outlen, "%s", seed);
	else
		snprintf(out, outlen, "redis://%s", seed);
}

int jd_cluster_seeds_check(const char *seeds, char *err, size_t errlen)
{
	char seed[PREFIX_MAX], url[PREFIX_MAX + 16], why[160];
	const char *path;
	int i;

	if (seeds == NULL || seeds[0] == '\0') {
		snprintf(err, errlen, "empty list: give host:port,host:port,...");
		return JD_E_INVALID;
	}
	for (i = 0; seed_at(seeds, i, seed, sizeof(seed)); i++) {
		if (seed[0] == '\0') {
			snprintf(err, errlen, "entry %d is empty", i + 1);
			return JD_E_INVALID;
		}
		if (strncmp(seed, "unix://", 7) == 0) {
			snprintf(err, errlen,
				 "entry %d: a cluster is reached over TCP, not unix://", i + 1);
			return JD_E_INVALID;
		}
		seed_url(seed, url, sizeof(url));
		if (jd_redis_url_check(url, why, sizeof(why)) != JD_OK) {
			snprintf(err, errlen, "entry %d: %s", i + 1, why);
			return JD_E_INVALID;
		}
		path = strchr(strstr(url, "://") + 3, '/');
		if (path != NULL && strcmp(path, "/") != 0 && strcmp(path, "/0") != 0) {
			snprintf(err, errlen, "entry %d: a cluster has database 0 only", i + 1);
			return JD_E_INVALID;
		}
	}
	if (i > NODES_MAX) {
		snprintf(err, errlen, "more than %d entries", NODES_MAX);
		return JD_E_INVALID;
	}
	return JD_OK;
}

/*
 * From a seed URL: its scheme and credentials (the prefix every node's URL
 * starts with), and its host:port.
 */
static void seed_split(const char *url, char *prefix, size_t plen, char *addr, size_t alen)
{
	const char *auth = strstr(url, "://") + 3;
	const char *at = strchr(auth, '@');
	const char *host = at != NULL && at < auth + strcspn(auth, "/") ? at + 1 : auth;
	size_t n = strcspn(host, "/");

	snprintf(prefix, plen, "%.*s", (int)(host - url), url);
	snprintf(addr, alen, "%.*s", (int)n, host);
}

static int node_find(const struct jd_cluster *c, const char *addr)
{
	for (int i = 0; i < c->nnodes; i++) {
		if (strcmp(c->nodes[i]->addr, addr) == 0)
			return i;
	}
	return -1;
}

static void node_connected(struct jd_redis *r, void *arg);

/* The node of addr, connecting to it if new; -1 when full or out of memory. */
static int node_get(struct jd_cluster *c, const char *addr)
{
	char url[PREFIX_MAX + ADDR_MAX + 16];
	struct jd_redis_opts o = c->opts;
	struct node *n;
	int i = node_find(c, addr);

	if (i >= 0)
		return i;
	if (c->nnodes >= NODES_MAX || addr[0] == '\0' || strlen(addr) >= ADDR_MAX) {
		jd_warn("redis cluster: node not added", "addr=%s max=%d", addr, NODES_MAX);
		return -1;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -1;
	snprintf(n->addr, sizeof(n->addr), "%s", addr);
	snprintf(url, sizeof(url), "%s%s", c->prefix, addr);
	o.url = url;
	o.cluster = NULL;
	n->c = c;
	n->r = jd_redis_new(c->base, &o);
	explicit_bzero(url, sizeof(url));
	if (n->r == NULL) {
		free(n);
		return -1;
	}
	c->nodes[c->nnodes] = n;
	jd_redis_on_connect(n->r, node_connected, n);
	return c->nnodes++;
}

/* "host:port" from a reply's host and port, brackets around an IPv6 host. */
static void addr_make(char *out, size_t len, const char *host, long long port)
{
	int n = snprintf(out, len, strchr(host, ':') != NULL ? "[%s]:%lld" : "%s:%lld", host, port);

	if (n < 0 || (size_t)n >= len)
		out[0] = '\0'; /* no such node: node_get refuses it */
}

/* ---- The refresh timer ------------------------------------------------------ */

static void arm(struct jd_cluster *c, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	if (c->closing)
		return;
	evtimer_del(c->timer);
	if (evtimer_add(c->timer, &tv) != 0)
		jd_err("redis cluster: cannot arm the map timer", NULL);
}

/* The map is read again shortly (once, however many ask). */
static void refresh_soon(struct jd_cluster *c)
{
	struct timeval left;

	if (c->closing || c->refreshing)
		return;
	if (evtimer_pending(c->timer, &left) && left.tv_sec == 0 && left.tv_usec <= SOON_MS * 1000)
		return;
	arm(c, SOON_MS);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	refresh(arg);
}

/* ---- The slot map (CLUSTER SLOTS) --------------------------------------------- */

static void hook_run(struct jd_cluster *c, struct node *n)
{
	if (c->hook == NULL)
		return;
	c->hook_node = n;
	c->hook(c->facade, c->hook_arg);
	c->hook_node = NULL;
}

/* One [start, end, [host, port, id], replicas...] range into map. */
static int map_range(struct jd_cluster *c, const redisReply *e, const char *asked_host, short *map)
{
	const redisReply *m;
	char addr[ADDR_MAX];
	int idx;

	if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
	    e->element[0]->type != REDIS_REPLY_INTEGER ||
	    e->element[1]->type != REDIS_REPLY_INTEGER || e->element[2]->type != REDIS_REPLY_ARRAY)
		return JD_ERR;
	m = e->element[2];
	if (m->elements < 2 || m->element[0]->type != REDIS_REPLY_STRING ||
	    m->element[1]->type != REDIS_REPLY_INTEGER)
		return JD_ERR;
	/* an empty host means "the address you reached me at" */
	addr_make(addr, sizeof(addr), m->element[0]->len > 0 ? m->element[0]->str : asked_host,
		  m->element[1]->integer);
	idx = node_get(c, addr);
	if (idx < 0)
		return JD_OK; /* its slots stay without a master: 503 there */
	for (long long s = e->element[0]->integer; s <= e->element[1]->integer; s++) {
		if (s >= 0 && s < SLOTS)
			map[s] = (short)idx;
	}
	return JD_OK;
}

/* The host part of a node's "host:port" / "[v6]:port". */
static void addr_host(const char *addr, char *out, size_t len)
{
	const char *colon = strrchr(addr, ':');
	size_t n = colon ? (size_t)(colon - addr) : strlen(addr);

	if (n >= 2 && addr[0] == '[')
		snprintf(out, len, "%.*s", (int)n - 2, addr + 1);
	else
		snprintf(out, len, "%.*s", (int)n, addr);
}

static void map_adopt(struct jd_cluster *c, const short *map)
{
	int was[NODES_MAX], masters = 0;
	unsigned served = 0;

	for (int i = 0; i < c->nnodes; i++) {
		was[i] = c->nodes[i]->master;
		c->nodes[i]->master = 0;
	}
	for (int s = 0; s < SLOTS; s++) {
		c->map[s] = map[s];
		if (map[s] >= 0) {
			c->nodes[map[s]]->master = 1;
			served++;
		}
	}
	for (int i = 0; i < c->nnodes; i++)
		masters += c->nodes[i]->master;
	if (!c->map_loaded || served != c->served)
		jd_log(served == SLOTS ? JD_LOG_INFO : JD_LOG_WARN, "redis cluster slot map",
		       "masters=%d slots_with_a_master=%u of=%d", masters, served, SLOTS);
	c->map_loaded = 1;
	c->served = served;
	/* a node that became a master gets what a new connection gets (scripts) */
	for (int i = 0; i < c->nnodes; i++) {
		struct node *n = c->nodes[i];

		if (n->master && !was[i] && jd_redis_state(n->r) == JD_REDIS_OK)
			hook_run(c, n);
	}
}

struct map_ask {
	struct jd_cluster *c;
	char host[ADDR_MAX];
};

static void map_reply(int rc, redisReply *reply, void *arg)
{
	struct map_ask *a = arg;
	struct jd_cluster *c = a->c;
	short *map = NULL;
	int ok = 0;

	c->refreshing = 0;
	if (c->closing)
		goto out;
	if (rc != JD_OK || reply->type != REDIS_REPLY_ARRAY) {
		jd_warn("redis cluster: CLUSTER SLOTS failed", "rc=%d err=\"%s\"", rc,
			rc == JD_OK && reply->type == REDIS_REPLY_ERROR ? reply->str : "");
		goto out;
	}
	map = malloc(sizeof(short) * SLOTS);
	if (map == NULL)
		goto out;
	for (int s = 0; s < SLOTS; s++)
		map[s] = -1;
	ok = 1;
	for (size_t i = 0; i < reply->elements && ok; i++)
		ok = map_range(c, reply->element[i], a->host, map) == JD_OK;
	if (ok)
		map_adopt(c, map);
	else
		jd_warn("redis cluster: CLUSTER SLOTS reply not understood", NULL);
out:
	free(map);
	free(a);
	if (!c->closing)
		arm(c, ok && c->served == SLOTS ? REFRESH_MS : RETRY_MS);
}

/* Asks the map of the next node that takes a command (masters first). */
static void refresh(struct jd_cluster *c)
{
	const char *argv[] = {"CLUSTER", "SLOTS"};
	struct map_ask *a;

	if (c->closing || c->refreshing)
		return;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return;
	a->c = c;
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < c->nnodes; k++) {
			struct node *n = c->nodes[(c->next_ask + k) % c->nnodes];

			if (pass == 0 && !n->master)
				continue;
			addr_host(n->addr, a->host, sizeof(a->host));
			if (jd_redis_command(n->r, 2, argv, NULL, map_reply, a) == JD_OK) {
				c->next_ask = (c->next_ask + k + 1) % c->nnodes;
				c->refreshing = 1;
				return;
			}
		}
	}
	free(a);
	arm(c, RETRY_MS); /* nobody answers: try again */
}

static void node_connected(struct jd_redis *r, void *arg)
{
	struct node *n = arg;
	struct jd_cluster *c = n->c;

	if (!c->map_loaded && !c->refreshing) {
		const char *argv[] = {"CLUSTER", "SLOTS"};
		struct map_ask *a = calloc(1, sizeof(*a));

		if (a != NULL) {
			a->c = c;
			addr_host(n->addr, a->host, sizeof(a->host));
			if (jd_redis_command(r, 2, argv, NULL, map_reply, a) == JD_OK)
				c->refreshing = 1;
			else
				free(a);
		}
	}
	if (n->master)
		hook_run(c, n);
}

/* ---- Commands ----------------------------------------------------------------- */

/* One allocation: the command, its argument vector and lengths, their bytes. */
static struct ccmd *ccmd_new(struct jd_cluster *c, int argc, const char **argv,
			     const size_t *argvlen, jd_redis_cb cb, void *arg)
{
	size_t bytes = 0, len;
	struct ccmd *x;
	char *p;

	for (int i = 0; i < argc; i++)
		bytes += (argvlen ? argvlen[i] : strlen(argv[i])) + 1;
	x = malloc(sizeof(*x) + (sizeof(char *) + sizeof(size_t)) * (size_t)argc + bytes);
	if (x == NULL)
		return NULL;
	*x = (struct ccmd){.c = c, .cb = cb, .arg = arg, .node = -1, .argc = argc};
	x->argv = (const char **)(x + 1);
	x->lens = (size_t *)(x->argv + argc);
	p = (char *)(x->lens + argc);
	for (int i = 0; i < argc; i++) {
		len = argvlen ? argvlen[i] : strlen(argv[i]);
		memcpy(p, argv[i], len);
		p[len] = '\0';
		x->argv[i] = p;
		x->lens[i] = len;
		p += len + 1;
	}
	return x;
}

static int is(const char *arg, const char *name)
{
	return strcasecmp(arg, name) == 0;
}

/* The argument that names the command's key; -1 for none (sent to every master). */
static int key_index(int argc, const char **argv)
{
	static const char *const keyless[] = {"PING",	"SCRIPT", "INFO",   "CLUSTER", "TIME",
					      "DBSIZE", "CONFIG", "CLIENT", "COMMAND", "FUNCTION"};

	for (size_t i = 0; i < sizeof(keyless) / sizeof(keyless[0]); i++) {
		if (is(argv[0], keyless[i]))
			return -1;
	}
	if (is(argv[0], "EVAL") || is(argv[0], "EVALSHA") || is(argv[0], "EVAL_RO") ||
	    is(argv[0], "EVALSHA_RO"))
		return argc >= 4 && atoi(argv[2]) > 0 ? 3 : -1;
	if (is(argv[0], "XREADGROUP") || is(argv[0], "XREAD")) {
		for (int i = 1; i + 1 < argc; i++) {
			if (is(argv[i], "STREAMS"))
				return i + 1;
		}
		return -1;
	}
	if (is(argv[0], "XGROUP") || is(argv[0], "XINFO"))
		return argc >= 3 ? 2 : -1;
	return argc >= 2 ? 1 : -1;
}

/* Redis's hash tag rule: the text between the first { and the next }, if not empty. */
static const char *hash_tag(const char *key, size_t len, size_t *taglen)
{
	const char *open = memchr(key, '{', len);
	const char *close;

	if (open != NULL) {
		close = memchr(open + 1, '}', len - (size_t)(open + 1 - key));
		if (close != NULL && close > open + 1) {
			*taglen = (size_t)(close - open - 1);
			return open + 1;
		}
	}
	*taglen = len;
	return key;
}

static void redirected_asking(int rc, redisReply *reply, void *arg)
{
	/* its command's own reply tells what happened */
}

static void node_reply(int rc, redisReply *reply, void *arg);

static int send_to(struct jd_cluster *c, struct ccmd *x, int idx, int asking)
{
	const char *argv[] = {"ASKING"};
	struct jd_redis *r = c->nodes[idx]->r;

	x->node = idx;
	x->asking = asking;
	if (asking && jd_redis_command(r, 1, argv, NULL, redirected_asking, NULL) != JD_OK)
		return JD_E_UNAVAILABLE;
	return jd_redis_command(r, x->argc, x->argv, x->lens, node_reply, x);
}

static int dispatch(struct jd_cluster *c, struct ccmd *x, int slot)
{
	int rc;

	if (c->map[slot] < 0) {
		refresh_soon(c);
		return JD_E_UNAVAILABLE;
	}
	rc = send_to(c, x, c->map[slot], 0);
	if (rc == JD_E_UNAVAILABLE)
		refresh_soon(c); /* its master may have failed over */
	return rc;
}

static void ccmd_free(struct ccmd *x)
{
	if (x->retry != NULL)
		event_free(x->retry);
	free(x);
}

static void retry_unlink(struct jd_cluster *c, struct ccmd *x)
{
	if (x->rprev != NULL)
		x->rprev->rnext = x->rnext;
	else
		c->retrying = x->rnext;
	if (x->rnext != NULL)
		x->rnext->rprev = x->rprev;
	x->rprev = x->rnext = NULL;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct ccmd *x = arg;
	struct jd_cluster *c = x->c;

	retry_unlink(c, x);
	if (send_to(c, x, x->node, x->asking) == JD_OK)
		return;
	refresh_soon(c);
	x->cb(JD_E_UNAVAILABLE, NULL, x->arg);
	ccmd_free(x);
}

/*
 * TRYAGAIN: a command of several keys met a slot half moved (some keys on
 * the old master, some on the new one, or not yet created).  Sent again
 * shortly, to the same node, for as long as a resharding step takes.
 */
static int retry_later(struct jd_cluster *c, struct ccmd *x)
{
	struct timeval tv = {0, TRYAGAIN_MS * 1000};

	if (c->closing || ++x->tries > TRYAGAIN_MAX)
		return JD_E_UNAVAILABLE;
	if (x->retry == NULL && (x->retry = evtimer_new(c->base, on_retry, x)) == NULL)
		return JD_E_NOMEM;
	if (evtimer_add(x->retry, &tv) != 0)
		return JD_ERR;
	x->rnext = c->retrying;
	if (c->retrying != NULL)
		c->retrying->rprev = x;
	c->retrying = x;
	return JD_OK;
}

/* "MOVED 3999 127.0.0.1:6381" / "ASK ...": 0 moved, 1 ask, -1 neither. */
static int redirect_kind(const char *err)
{
	if (strncmp(err, "MOVED ", 6) == 0)
		return 0;
	if (strncmp(err, "ASK ", 4) == 0)
		return 1;
	return -1;
}

/* Sends x where the redirection says; a MOVED also updates the map. */
static int follow(struct jd_cluster *c, struct ccmd *x, const char *err, int ask)
{
	char host[ADDR_MAX], addr[ADDR_MAX];
	const char *sp = strchr(err, ' '), *target, *colon;
	long slot;
	int idx;

	if (sp == NULL || (target = strchr(sp + 1, ' ')) == NULL)
		return JD_E_UNAVAILABLE;
	slot = strtol(sp + 1, NULL, 10);
	target++;
	colon = strrchr(target, ':');
	if (slot < 0 || slot >= SLOTS || colon == NULL)
		return JD_E_UNAVAILABLE;
	if (colon == target) /* no host: the node that answered */
		addr_host(c->nodes[x->node]->addr, host, sizeof(host));
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - target), target);
	addr_make(addr, sizeof(addr), host, atoll(colon + 1));
	idx = node_get(c, addr);
	if (idx < 0)
		return JD_E_UNAVAILABLE;
	if (!ask) {
		c->map[slot] = (short)idx;
		refresh_soon(c);
	}
	x->redirects++;
	return send_to(c, x, idx, ask);
}

/* Replies by which the cluster says it cannot serve the slot for now. */
static int cluster_refuses(const char *err)
{
	return strncmp(err, "CLUSTERDOWN", 11) == 0 || strncmp(err, "TRYAGAIN", 8) == 0;
}

static void node_reply(int rc, redisReply *reply, void *arg)
{
	struct ccmd *x = arg;
	struct jd_cluster *c = x->c;

	if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR && reply->str != NULL) {
		int kind = redirect_kind(reply->str);

		if (kind >= 0 && x->redirects < REDIRECTS_MAX &&
		    follow(c, x, reply->str, kind) == JD_OK)
			return;
		if (strncmp(reply->str, "TRYAGAIN", 8) == 0 && retry_later(c, x) == JD_OK)
			return;
		if (kind >= 0 || cluster_refuses(reply->str))
			rc = JD_E_UNAVAILABLE; /* a redirection not followed is no answer */
	}
	if (rc != JD_OK)
		refresh_soon(c);
	x->cb(rc, rc == JD_OK ? reply : NULL, x->arg);
	ccmd_free(x);
}

/* ---- Hash tags and their slots (CLUSTER KEYSLOT) -------------------------------- */

static unsigned tag_bucket(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a: a table's spread, not a slot */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h % TAG_BUCKETS;
}

static struct tag *tag_find(struct jd_cluster *c, const char *name, size_t len)
{
	for (struct tag *t = c->tags[tag_bucket(name, len)]; t != NULL; t = t->next) {
		if (t->len == len && memcmp(t->name, name, len) == 0)
			return t;
	}
	return NULL;
}

static void tag_unlink(struct jd_cluster *c, struct tag *t)
{
	struct tag **p = &c->tags[tag_bucket(t->name, t->len)];

	while (*p != t)
		p = &(*p)->next;
	*p = t->next;
	c->ntags--;
	free(t);
}

/* Drops every tag whose slot is known (they are asked again when used). */
static void tags_trim(struct jd_cluster *c)
{
	for (int b = 0; b < TAG_BUCKETS; b++) {
		struct tag **p = &c->tags[b];

		while (*p != NULL) {
			struct tag *t = *p;

			if (t->slot >= 0) {
				*p = t->next;
				c->ntags--;
				free(t);
			} else {
				p = &t->next;
			}
		}
	}
}

static struct tag *tag_add(struct jd_cluster *c, const char *name, size_t len)
{
	struct tag *t;
	unsigned b = tag_bucket(name, len);

	if (c->ntags >= TAGS_MAX)
		tags_trim(c);
	t = calloc(1, sizeof(*t) + len + 1);
	if (t == NULL)
		return NULL;
	t->c = c;
	t->slot = -1;
	t->len = len;
	memcpy(t->name, name, len);
	t->next = c->tags[b];
	c->tags[b] = t;
	c->ntags++;
	return t;
}

static void wait_add(struct tag *t, struct ccmd *x)
{
	x->next = NULL;
	if (t->wait_tail != NULL)
		t->wait_tail->next = x;
	else
		t->wait_head = x;
	t->wait_tail = x;
}

/* Runs the commands that waited for t's slot (or fails them: slot < 0). */
static void waiters_run(struct jd_cluster *c, struct ccmd *w, int slot)
{
	while (w != NULL) {
		struct ccmd *next = w->next;
		int rc = slot >= 0 ? dispatch(c, w, slot) : JD_E_UNAVAILABLE;

		if (rc != JD_OK) {
			w->cb(JD_E_UNAVAILABLE, NULL, w->arg);
			ccmd_free(w);
		}
		w = next;
	}
}

static void slot_reply(int rc, redisReply *reply, void *arg)
{
	struct tag *t = arg;
	struct jd_cluster *c = t->c;
	struct ccmd *w = t->wait_head;
	int slot = -1;

	t->wait_head = t->wait_tail = NULL;
	if (rc == JD_OK && reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0 &&
	    reply->integer < SLOTS)
		slot = (int)reply->integer;
	else
		jd_warn("redis cluster: CLUSTER KEYSLOT failed", "rc=%d", rc);
	if (slot >= 0)
		t->slot = slot;
	else
		tag_unlink(c, t); /* asked again by the next command */
	waiters_run(c, w, slot);
}

/* CLUSTER KEYSLOT key, to a master that takes it (any node before the map). */
static int slot_ask(struct jd_cluster *c, struct tag *t, const char *key, size_t keylen)
{
	const char *argv[] = {"CLUSTER", "KEYSLOT", key};
	size_t lens[] = {7, 7, keylen};

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < c->nnodes; i++) {
			if (pass == 0 && !c->nodes[i]->master)
				continue;
			if (jd_redis_command(c->nodes[i]->r, 3, argv, lens, slot_reply, t) == JD_OK)
				return JD_OK;
		}
	}
	return JD_E_UNAVAILABLE;
}

static int route(struct jd_cluster *c, struct ccmd *x, int k)
{
	size_t taglen;
	const char *name = hash_tag(x->argv[k], x->lens[k], &taglen);
	struct tag *t = tag_find(c, name, taglen);
	int rc;

	if (t != NULL && t->slot >= 0)
		return dispatch(c, x, t->slot);
	if (t == NULL) {
		t = tag_add(c, name, taglen);
		if (t == NULL)
			return JD_E_NOMEM;
		rc = slot_ask(c, t, x->argv[k], x->lens[k]);
		if (rc != JD_OK) {
			tag_unlink(c, t);
			return rc;
		}
	}
	wait_add(t, x);
	return JD_OK;
}

/* ---- Commands without a key: every master ------------------------------------- */

struct bcast {
	jd_redis_cb cb;
	void *arg;
	int left;
	int rc;
	int rank;
	redisReply *held; /* our copy of the reply handed over */
};

static void reply_free(redisReply *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->elements; i++)
		reply_free(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

static redisReply *reply_copy(const redisReply *r)
{
	redisReply *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	*c = (redisReply){.type = r->type, .integer = r->integer};
	if (r->str != NULL) {
		c->str = malloc(r->len + 1);
		if (c->str == NULL)
			goto fail;
		memcpy(c->str, r->str, r->len);
		c->str[r->len] = '\0';
		c->len = r->len;
	}
	if (r->elements > 0) {
		c->element = calloc(r->elements, sizeof(*c->element));
		if (c->element == NULL)
			goto fail;
		for (; c->elements < r->elements; c->elements++) {
			c->element[c->elements] = reply_copy(r->element[c->elements]);
			if (c->element[c->elements] == NULL)
				goto fail;
		}
	}
	return c;
fail:
	reply_free(c);
	return NULL;
}

/*
 * Which master's reply the caller gets: an error before an array holding a
 * 0 (SCRIPT EXISTS: missing there) before any other.
 */
static int reply_rank(const redisReply *r)
{
	if (r->type == REDIS_REPLY_ERROR)
		return 3;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		if (r->element[i]->type == REDIS_REPLY_INTEGER && r->element[i]->integer == 0)
			return 2;
	}
	return 1;
}

static void bcast_reply(int rc, redisReply *reply, void *arg)
{
	struct bcast *b = arg;

	if (rc != JD_OK && b->rc == JD_OK)
		b->rc = rc;
	if (rc == JD_OK && reply_rank(reply) > b->rank) {
		reply_free(b->held);
		b->held = reply_copy(reply);
		b->rank = reply_rank(reply);
		if (b->held == NULL && b->rc == JD_OK)
			b->rc = JD_E_NOMEM;
	}
	if (--b->left > 0)
		return;
	b->cb(b->rc, b->rc == JD_OK ? b->held : NULL, b->arg);
	reply_free(b->held);
	free(b);
}

static int broadcast(struct jd_cluster *c, int argc, const char **argv, const size_t *argvlen,
		     jd_redis_cb cb, void *arg)
{
	struct bcast *b = calloc(1, sizeof(*b));
	int missed = 0;

	if (b == NULL)
		return JD_E_NOMEM;
	b->cb = cb;
	b->arg = arg;
	for (int i = 0; i < c->nnodes; i++) {
		struct node *n = c->nodes[i];

		if (c->hook_node != NULL ? n != c->hook_node : !n->master)
			continue;
		if (jd_redis_command(n->r, argc, argv, argvlen, bcast_reply, b) == JD_OK)
			b->left++;
		else
			missed++;
	}
	if (b->left == 0) {
		free(b);
		return JD_E_UNAVAILABLE;
	}
	/* PING answers "ready" only when every slot can be served */
	if (c->hook_node == NULL && (missed > 0 || c->served != SLOTS))
		b->rc = JD_E_UNAVAILABLE;
	return JD_OK;
}

/* ---- Public API ------------------------------------------------------------------ */

int jd_cluster_command(struct jd_cluster *c, int argc, const char **argv, const size_t *argvlen,
		       jd_redis_cb cb, void *arg)
{
	struct ccmd *x;
	int k, rc;

	if (c->closing || !c->map_loaded)
		return JD_E_UNAVAILABLE;
	/* the copy's arguments end in NUL: key_index may read them as strings */
	x = ccmd_new(c, argc, argv, argvlen, cb, arg);
	if (x == NULL)
		return JD_E_NOMEM;
	k = key_index(argc, x->argv);
	if (k < 0) {
		free(x);
		return broadcast(c, argc, argv, argvlen, cb, arg);
	}
	rc = route(c, x, k);
	if (rc != JD_OK)
		ccmd_free(x);
	return rc;
}

static char *dup_opt(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

static int cluster_init(struct jd_cluster *c, const struct jd_redis_opts *opts)
{
	char seed[PREFIX_MAX], url[PREFIX_MAX + 16], addr[ADDR_MAX], why[160];

	if (jd_cluster_seeds_check(opts->cluster, why, sizeof(why)) != JD_OK) {
		jd_err("redis cluster: bad seed list", "reason=\"%s\"", why);
		return JD_E_INVALID;
	}
	c->opts = *opts;
	c->tls_ca = dup_opt(opts->tls_ca);
	c->tls_cert = dup_opt(opts->tls_cert);
	c->tls_key = dup_opt(opts->tls_key);
	c->opts.tls_ca = c->tls_ca;
	c->opts.tls_cert = c->tls_cert;
	c->opts.tls_key = c->tls_key;
	c->opts.url = c->opts.cluster = NULL;
	for (int s = 0; s < SLOTS; s++)
		c->map[s] = -1;
	c->timer = evtimer_new(c->base, on_timer, c);
	if (c->timer == NULL)
		return JD_E_NOMEM;
	for (int i = 0; seed_at(opts->cluster, i, seed, sizeof(seed)); i++) {
		seed_url(seed, url, sizeof(url));
		seed_split(url, i == 0 ? c->prefix : why, i == 0 ? sizeof(c->prefix) : sizeof(why),
			   addr, sizeof(addr));
		if (node_get(c, addr) < 0)
			return JD_ERR;
	}
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(url, sizeof(url));
	explicit_bzero(why, sizeof(why));
	jd_info("redis cluster: connecting to the seeds", "seeds=%d", c->nnodes);
	return JD_OK;
}

struct jd_cluster *jd_cluster_new(struct event_base *base, const struct jd_redis_opts *opts)
{
	struct jd_cluster *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->base = base;
	if (cluster_init(c, opts) != JD_OK) {
		jd_cluster_free(c);
		return NULL;
	}
	return c;
}

void jd_cluster_free(struct jd_cluster *c)
{
	if (c == NULL)
		return;
	c->closing = 1;
	/* first the nodes: their pending commands fail now, KEYSLOT asks included */
	for (int i = 0; i < c->nnodes; i++) {
		jd_redis_free(c->nodes[i]->r);
		free(c->nodes[i]);
	}
	c->nnodes = 0;
	while (c->retrying != NULL) {
		struct ccmd *x = c->retrying;

		retry_unlink(c, x);
		x->cb(JD_E_UNAVAILABLE, NULL, x->arg);
		ccmd_free(x);
	}
	for (int b = 0; b < TAG_BUCKETS; b++) {
		while (c->tags[b] != NULL) {
			struct tag *t = c->tags[b];
			struct ccmd *w = t->wait_head;

			t->wait_head = t->wait_tail = NULL;
			c->tags[b] = t->next;
			free(t);
			waiters_run(c, w, -1);
		}
	}
	if (c->timer != NULL)
		event_free(c->timer);
	free(c->tls_ca);
	free(c->tls_cert);
	free(c->tls_key);
	explicit_bzero(c->prefix, sizeof(c->prefix));
	free(c);
}

void jd_cluster_on_connect(struct jd_cluster *c, struct jd_redis *facade, jd_redis_connect_cb cb,
			   void *arg)
{
	c->facade = facade;
	c->hook = cb;
	c->hook_arg = arg;
}

enum jd_redis_state jd_cluster_state(const struct jd_cluster *c)
{
	if (!c->map_loaded)
		return JD_REDIS_CONNECTING;
	for (int i = 0; i < c->nnodes; i++) {
		if (c->nodes[i]->master && jd_redis_state(c->nodes[i]->r) == JD_REDIS_OK)
			return JD_REDIS_OK;
	}
	return JD_REDIS_DOWN;
}

const struct jd_redis_stats *jd_cluster_stats(struct jd_cluster *c)
{
	memset(&c->stats, 0, sizeof(c->stats));
	for (int i = 0; i < c->nnodes; i++) {
		const struct jd_redis_stats *s = jd_redis_stats(c->nodes[i]->r);

		c->stats.commands += s->commands;
		c->stats.replies += s->replies;
		c->stats.errors += s->errors;
		c->stats.refused += s->refused;
		c->stats.timeouts += s->timeouts;
		c->stats.failed += s->failed;
		c->stats.connects += s->connects;
		c->stats.disconnects += s->disconnects;
	}
	return &c->stats;
}

const char *jd_cluster_refusal(const struct jd_cluster *c)
{
	for (int i = 0; i < c->nnodes; i++) {
		const char *r = jd_redis_refusal(c->nodes[i]->r);

		if (c->nodes[i]->master && r[0] != '\0')
			return r;
	}
	return "";
}

void jd_cluster_set_timeouts(struct jd_cluster *c, const struct jd_redis_opts *opts)
{
	c->opts.command_timeout_ms = opts->command_timeout_ms;
	c->opts.connect_timeout_ms = opts->connect_timeout_ms;
	c->opts.backoff_min_ms = opts->backoff_min_ms;
	c->opts.backoff_max_ms = opts->backoff_max_ms;
	for (int i = 0; i < c->nnodes; i++)
		jd_redis_set_timeouts(c->nodes[i]->r, opts);
}
