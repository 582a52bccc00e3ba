/*
 * Durable events: the consumer side (docs/plugins.md "Events").
 *
 * A lane is one tenant's stream read by one group.  A lane does one thing
 * at a time: create its group, read a batch, or deliver one entry and wait
 * until the handler finishes it; so events of a tenant reach a plugin in
 * order and one at a time.  Before each delivery the entry's try count
 * ("events:tries") is raised, so a handler that crashes the process is
 * counted too; past max_attempts the entry goes to the dead letters.  A
 * failure stops the batch and the lane reads its own pending entries (id
 * 0) on the next poll, the failed one first.
 *
 * Every Redis callback checks `stopped`: at shutdown the connection fails
 * what is in flight, and nothing new is sent.
 */
#include "host/events.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "runtime/log.h"
#include "storage/lease.h"
#include "storage/redis.h"
#include "storage/store.h"

#define ID_MAX		  48
#define KEY_MAX		  128
#define TENANT_MAX	  64
#define DELIVERY_MAGIC	  0x4a444556u /* "JDEV" */
#define JD_EVENT_NAME_LOG 101	      /* an event name (100) and its NUL */
#define QUIET_MAX	  8	      /* an idle lane is read every 8 ticks at the least */

/* KEYS[1] stream, KEYS[2] tries; ARGV group, entry id. */
static const char ack_script[] = "redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
				 "redis.call('HDEL', KEYS[2], ARGV[1] .. ' ' .. ARGV[2])\n"
				 "return 1\n";

/*
 * KEYS[1] stream, KEYS[2] dead letters, KEYS[3] tries; ARGV group, entry
 * id, event id, name, tenant, publisher, payload, attempts, error.  The
 * dead letter and the acknowledgement in one step: never both or neither.
 */
static const char dead_script[] =
    "redis.call('XADD', KEYS[2], '*', 'group', ARGV[1], 'id', ARGV[3], 'name', ARGV[4],\n"
    "  'tenant', ARGV[5], 'publisher', ARGV[6], 'payload', ARGV[7], 'attempts', ARGV[8],\n"
    "  'error', ARGV[9])\n"
    "redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "redis.call('HDEL', KEYS[3], ARGV[1] .. ' ' .. ARGV[2])\n"
    "return 1\n";

struct sub {
	void *owner;
	size_t group;
	char *name;
	jd_event_handler cb;
	void *arg;
};

struct group {
	void *owner;
	char name[JD_EVENTS_GROUP_MAX];
};

/* One stream entry as read; fields absent (a deleted entry) are NULL. */
struct entry {
	char id[ID_MAX];
	char *name, *tenant, *publisher, *payload, *for_group, *orig;
};

struct lane;

struct delivery {
	struct jd_event pub; /* first: the plugin holds a pointer to it */
	uint32_t magic;
	struct lane *l;
	int in_handler; /* the handler has not returned yet */
	int finished;
	int rc;
	char id[ID_MAX];    /* the event's id: the entry's, or the original's for a retry */
	char entry[ID_MAX]; /* the stream entry's */
};

struct tenant;

struct lane {
	struct tenant *t;
	size_t group;
	int ready; /* the group exists */
	int busy;  /* a command or a delivery in progress */
	int from_pel;
	struct entry *batch;
	size_t n, next;
	int full; /* the batch was as large as asked: read again at once */
	struct delivery *cur;
	unsigned quiet; /* ticks an idle lane lets pass: doubles to QUIET_MAX, 0 after work */
	unsigned skip;	/* ticks left to let pass */
};

struct tenant {
	struct jd_events *e;
	char name[TENANT_MAX + 1];
	char stream[KEY_MAX], dead[KEY_MAX], tries[KEY_MAX];
	struct lane *lanes; /* n_lanes: one per group */
	size_t n_lanes;
	int registered, registering;
	int has_last;
	struct jd_events_tenant_stats last;
};

struct jd_events {
	struct event_base *base;
	struct jd_redis *r;
	struct jd_store *s;
	struct jd_events_opts o;
	struct event *poll_ev, *sweep_ev;
	char consumer[96];
	struct sub *subs;
	size_t n_subs;
	struct group groups[JD_EVENTS_GROUPS_MAX];
	size_t n_groups;
	struct tenant **tenants;
	size_t n_tenants;
	int started, stopped;
	unsigned long long handled, failed, dead_lettered;
};

static void lane_poll(struct lane *l);
static void lane_next(struct lane *l);

/* ---- entries ------------------------------------------------------------------------------- */

static void entry_clear(struct entry *en)
{
	free(en->name);
	free(en->tenant);
	free(en->publisher);
	free(en->payload);
	free(en->for_group);
	free(en->orig);
	memset(en, 0, sizeof(*en));
}

static void batch_free(struct lane *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_clear(&l->batch[i]);
	free(l->batch);
	l->batch = NULL;
	l->n = l->next = 0;
}

static char **entry_slot(struct entry *en, const char *field)
{
	static const char *const names[] = {"name",    "tenant", "publisher",
					    "payload", "for",	 "orig"};
	char **slots[] = {&en->name,	&en->tenant,	&en->publisher,
			  &en->payload, &en->for_group, &en->orig};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(field, names[i]) == 0)
			return slots[i];
	return NULL;
}

static int entry_parse(const redisReply *r, struct entry *en)
{
	const redisReply *f;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= ID_MAX)
		return JD_ERR;
	memcpy(en->id, r->element[0]->str, r->element[0]->len + 1);
	f = r->element[1];
	if (f->type == REDIS_REPLY_NIL)
		return JD_OK; /* deleted while pending */
	if (f->type != REDIS_REPLY_ARRAY)
		return JD_ERR;
	for (size_t i = 0; i + 1 < f->elements; i += 2) {
		char **slot;

		if (f->element[i]->type != REDIS_REPLY_STRING ||
		    f->element[i + 1]->type != REDIS_REPLY_STRING)
			return JD_ERR;
		slot = entry_slot(en, f->element[i]->str);
		if (slot == NULL || *slot != NULL)
			continue;
		*slot = strndup(f->element[i + 1]->str, f->element[i + 1]->len);
		if (*slot == NULL)
			return JD_E_NOMEM;
	}
	return JD_OK;
}

/* XREADGROUP's reply: nil, or [[stream, [entry, ...]]]. */
static int batch_parse(struct lane *l, const redisReply *r)
{
	const redisReply *es;

	if (r->type == REDIS_REPLY_NIL)
		return JD_OK;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2 ||
	    r->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
		return JD_ERR;
	es = r->element[0]->element[1];
	if (es->elements == 0)
		return JD_OK;
	l->batch = calloc(es->elements, sizeof(*l->batch));
	if (l->batch == NULL)
		return JD_E_NOMEM;
	l->n = es->elements;
	for (size_t i = 0; i < es->elements; i++) {
		int rc = entry_parse(es->element[i], &l->batch[i]);

		if (rc != JD_OK)
			return rc;
	}
	return JD_OK;
}

/* ---- tenants and lanes ------------------------------------------------------------------- */

static struct tenant *tenant_find(struct jd_events *e, const char *name)
{
	for (size_t i = 0; i < e->n_tenants; i++)
		if (strcmp(e->tenants[i]->name, name) == 0)
			return e->tenants[i];
	return NULL;
}

/* One lane per group; groups added since (a tenant published before start) get theirs. */
static int tenant_lanes(struct tenant *t, size_t had)
{
	size_t n = t->e->n_groups;
	struct lane *l = realloc(t->lanes, (n ? n : 1) * sizeof(*l));

	if (l == NULL)
		return JD_E_NOMEM;
	t->lanes = l;
	t->n_lanes = n;
	for (size_t g = had; g < n; g++) {
		memset(&l[g], 0, sizeof(l[g]));
		l[g].t = t;
		l[g].group = g;
		l[g].from_pel = 1; /* what this consumer was given before: none yet, cheap */
	}
	return JD_OK;
}

static struct tenant *tenant_new(struct jd_events *e, const char *name)
{
	struct tenant *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->e = e;
	if (tenant_lanes(t, 0) != JD_OK) {
		free(t);
		return NULL;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->stream, sizeof(t->stream), "jd:{%s}:%s", name, JD_STORE_EVENTS_KEY);
	snprintf(t->dead, sizeof(t->dead), "jd:{%s}:%s", name, JD_EVENTS_DEAD_KEY);
	snprintf(t->tries, sizeof(t->tries), "jd:{%s}:%s", name, JD_EVENTS_TRIES_KEY);
	return t;
}

/* The tenant, added when new (NULL: a bad name, or out of memory). */
static struct tenant *tenant_get(struct jd_events *e, const char *name)
{
	struct tenant *t = tenant_find(e, name), **n;

	if (t != NULL || !jd_store_tenant_valid(name))
		return t;
	n = realloc(e->tenants, (e->n_tenants + 1) * sizeof(*n));
	if (n == NULL)
		return NULL;
	e->tenants = n;
	t = tenant_new(e, name);
	if (t != NULL)
		e->tenants[e->n_tenants++] = t;
	return t;
}

static void tenant_poll(struct tenant *t)
{
	for (size_t g = 0; g < t->n_lanes; g++)
		lane_poll(&t->lanes[g]);
}

static void registered(int rc, redisReply *reply, void *arg)
{
	struct tenant *t = arg;

	t->registering = 0;
	if (rc == JD_OK && reply->type == REDIS_REPLY_INTEGER)
		t->registered = 1;
	else
		jd_warn("events: tenant not registered; retried on its next event", "tenant=%s",
			t->name);
}

/*
 * Adds the tenant to the registry before its first publishing mutation:
 * sent first on the same connection, it is applied first.
 */
static void tenant_register(struct tenant *t)
{
	const char *argv[] = {"SADD", JD_EVENTS_REGISTRY, t->name};

	if (t->registered || t->registering)
		return;
	if (jd_redis_command(t->e->r, 3, argv, NULL, registered, t) == JD_OK)
		t->registering = 1;
}

/* ---- commands of a lane ------------------------------------------------------------------- */

static const char *lane_group(const struct lane *l)
{
	return l->t->e->groups[l->group].name;
}

static int reply_ok(int rc, const redisReply *reply, const char *what, const struct lane *l)
{
	char q[300];

	if (rc == JD_OK && reply->type != REDIS_REPLY_ERROR)
		return 1;
	if (rc == JD_OK)
		jd_warn("events: command failed", "what=%s tenant=%s group=%s err=%s", what,
			l->t->name, lane_group(l),
			jd_log_quote(q, sizeof(q), reply->str ? reply->str : ""));
	return 0;
}

/* The lane waits for the next poll; with pel, it reads its own pending entries first. */
static void lane_pause(struct lane *l, int pel)
{
	batch_free(l);
	if (pel)
		l->from_pel = 1;
	l->busy = 0;
}

static void group_created(int rc, redisReply *reply, void *arg)
{
	struct lane *l = arg;

	l->busy = 0;
	if (l->t->e->stopped)
		return;
	if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
	    strncmp(reply->str, "BUSYGROUP", 9) == 0)
		l->ready = 1;
	else if (reply_ok(rc, reply, "XGROUP CREATE", l))
		l->ready = 1;
	if (l->ready)
		lane_poll(l);
}

/* From the stream's first entry: events published before the group existed are its too. */
static void lane_create(struct lane *l)
{
	const char *argv[] = {"XGROUP", "CREATE", l->t->stream, lane_group(l), "0", "MKSTREAM"};

	if (jd_redis_command(l->t->e->r, 6, argv, NULL, group_created, l) == JD_OK)
		l->busy = 1;
}

/*
 * An idle lane is read less often (every tick, then every 2, 4, ... up to
 * QUIET_MAX ticks); a lane that found work, a local publish and a claim
 * read at once.
 */
static void lane_quiet(struct lane *l, int idle)
{
	if (!idle)
		l->quiet = 0;
	else
		l->quiet = l->quiet == 0 ? 1 : l->quiet * 2 > QUIET_MAX ? QUIET_MAX : l->quiet * 2;
	l->skip = l->quiet;
}

static void batch_read(int rc, redisReply *reply, void *arg)
{
	struct lane *l = arg;
	struct jd_events *e = l->t->e;

	if (e->stopped || !reply_ok(rc, reply, "XREADGROUP", l)) {
		if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
		    strncmp(reply->str, "NOGROUP", 7) == 0)
			l->ready = 0; /* the stream was deleted: create the group again */
		lane_pause(l, 1);
		return;
	}
	if (batch_parse(l, reply) != JD_OK) {
		jd_warn("events: unexpected reply to XREADGROUP", "tenant=%s group=%s", l->t->name,
			lane_group(l));
		lane_pause(l, 1);
		return;
	}
	l->full = l->n >= e->o.batch;
	lane_quiet(l, l->n == 0 && !l->from_pel);
	if (l->n == 0 && l->from_pel) {
		l->from_pel = 0; /* nothing of ours pending: read what is new */
		l->busy = 0;
		lane_poll(l);
		return;
	}
	lane_next(l);
}

static void lane_poll(struct lane *l)
{
	struct jd_events *e = l->t->e;
	char count[16];
	const char *argv[] = {"XREADGROUP", "GROUP",	  lane_group(l),
			      e->consumer,  "COUNT",	  count,
			      "STREAMS",    l->t->stream, l->from_pel ? "0" : ">"};

	if (e->stopped || l->busy)
		return;
	if (!l->ready) {
		lane_create(l);
		return;
	}
	snprintf(count, sizeof(count), "%u", e->o.batch);
	if (jd_redis_command(e->r, 9, argv, NULL, batch_read, l) == JD_OK)
		l->busy = 1;
}

/* ---- acknowledging, dead letters ----------------------------------------------------------- */

static void entry_done(int rc, redisReply *reply, void *arg)
{
	struct lane *l = arg;

	if (l->t->e->stopped || !reply_ok(rc, reply, "ack", l)) {
		lane_pause(l, 1); /* still pending: delivered again */
		return;
	}
	l->next++;
	lane_next(l);
}

/* XACK and forget the tries; then the lane goes on. */
static int lane_ack(struct lane *l, const char *entry_id)
{
	const char *argv[] = {"EVAL",	   ack_script,	  "2",	   l->t->stream,
			      l->t->tries, lane_group(l), entry_id};

	return jd_redis_command(l->t->e->r, 7, argv, NULL, entry_done, l);
}

/* The entry to the dead letters, acknowledged in the same step; then the lane goes on. */
static int lane_dead_letter(struct lane *l, const struct entry *en, const char *event_id,
			    unsigned attempts, const char *error)
{
	char n[16];
	const char *argv[] = {"EVAL",
			      dead_script,
			      "3",
			      l->t->stream,
			      l->t->dead,
			      l->t->tries,
			      lane_group(l),
			      en->id,
			      event_id,
			      en->name ? en->name : "",
			      l->t->name,
			      en->publisher ? en->publisher : "",
			      en->payload ? en->payload : "{}",
			      n,
			      error};
	char q[100];
	int rc;

	snprintf(n, sizeof(n), "%u", attempts);
	rc = jd_redis_command(l->t->e->r, 15, argv, NULL, entry_done, l);
	if (rc == JD_OK) {
		l->t->e->dead_lettered++;
		jd_warn("events: event dead-lettered",
			"tenant=%s group=%s event=%s id=%s attempts=%u error=%s", l->t->name,
			lane_group(l), en->name ? en->name : "-", event_id, attempts,
			jd_log_quote(q, sizeof(q), error));
	}
	return rc;
}

/* ---- delivering ------------------------------------------------------------------------------ */

static const struct sub *sub_find(const struct jd_events *e, size_t group, const char *name)
{
	for (size_t i = 0; name != NULL && i < e->n_subs; i++)
		if (e->subs[i].group == group && strcmp(e->subs[i].name, name) == 0)
			return &e->subs[i];
	return NULL;
}

/* Entries the group has nothing to do with: deleted, retried for another group, unhandled. */
static int entry_skipped(const struct lane *l, const struct entry *en)
{
	if (en->name == NULL)
		return 1;
	if (en->for_group != NULL && strcmp(en->for_group, lane_group(l)) != 0)
		return 1;
	return sub_find(l->t->e, l->group, en->name) == NULL;
}

static void delivery_free(struct delivery *d)
{
	if (d == NULL)
		return;
	json_decref(d->pub.payload);
	d->magic = 0;
	free(d);
}

/* The handler's outcome, in Redis: acknowledged, dead-lettered, or left for a retry. */
static void delivery_complete(struct delivery *d)
{
	struct lane *l = d->l;
	struct jd_events *e = l->t->e;
	const struct entry *en = &l->batch[l->next];
	char err[32];
	int rc;

	l->cur = NULL;
	if (e->stopped) {
		delivery_free(d);
		lane_pause(l, 1);
		return;
	}
	if (d->rc == JD_OK) {
		e->handled++;
		rc = lane_ack(l, d->entry);
	} else {
		e->failed++;
		jd_warn("events: handler failed",
			"tenant=%s group=%s event=%s id=%s attempt=%u rc=%d", l->t->name,
			lane_group(l), d->pub.name, d->id, d->pub.attempt, d->rc);
		snprintf(err, sizeof(err), "rc=%d", d->rc);
		rc = d->pub.attempt >= e->o.max_attempts
			 ? lane_dead_letter(l, en, d->id, d->pub.attempt, err)
			 : JD_E_CONFLICT; /* try again on the next poll */
	}
	delivery_free(d);
	if (rc != JD_OK)
		lane_pause(l, 1);
}

static void delivery_finish(struct delivery *d, int rc)
{
	if (d->finished)
		return;
	d->finished = 1;
	d->rc = rc;
	if (!d->in_handler)
		delivery_complete(d);
}

static struct delivery *delivery_new(struct lane *l, const struct entry *en, unsigned attempt)
{
	struct delivery *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->magic = DELIVERY_MAGIC;
	d->l = l;
	snprintf(d->entry, sizeof(d->entry), "%s", en->id);
	snprintf(d->id, sizeof(d->id), "%s", en->orig ? en->orig : en->id);
	d->pub.payload = json_loads(en->payload ? en->payload : "{}", 0, NULL);
	if (!json_is_object(d->pub.payload)) {
		delivery_free(d);
		return NULL;
	}
	d->pub.id = d->id;
	d->pub.name = en->name;
	d->pub.tenant = l->t->name;
	d->pub.publisher = en->publisher ? en->publisher : "";
	d->pub.attempt = attempt;
	return d;
}

static void lane_deliver(struct lane *l, unsigned attempt)
{
	struct jd_events *e = l->t->e;
	const struct entry *en = &l->batch[l->next];
	const struct sub *s = sub_find(e, l->group, en->name);
	struct delivery *d;
	int rc;

	if (attempt > e->o.max_attempts) {
		/* delivered that often without an outcome: the handler took the process down */
		if (lane_dead_letter(l, en, en->orig ? en->orig : en->id, attempt - 1,
				     "no outcome (the process died)") != JD_OK)
			lane_pause(l, 1);
		return;
	}
	d = delivery_new(l, en, attempt);
	if (d == NULL) {
		if (lane_dead_letter(l, en, en->orig ? en->orig : en->id, attempt,
				     "payload is not a JSON object") != JD_OK)
			lane_pause(l, 1);
		return;
	}
	l->cur = d;
	d->in_handler = 1;
	rc = s->cb(&d->pub, s->arg);
	d->in_handler = 0;
	if (rc != JD_OK && !d->finished) {
		d->finished = 1;
		d->rc = rc;
	}
	if (d->finished) /* during the handler, or by its return */
		delivery_complete(d);
}

static void tries_counted(int rc, redisReply *reply, void *arg)
{
	struct lane *l = arg;

	if (l->t->e->stopped || !reply_ok(rc, reply, "HINCRBY", l) ||
	    reply->type != REDIS_REPLY_INTEGER) {
		lane_pause(l, 1);
		return;
	}
	lane_deliver(l, reply->integer > 0 ? (unsigned)reply->integer : 1);
}

/* The next entry of the batch: skipped (acknowledged), or counted and delivered. */
static void lane_next(struct lane *l)
{
	struct jd_events *e = l->t->e;
	char field[JD_EVENTS_GROUP_MAX + ID_MAX + 2];
	const char *argv[] = {"HINCRBY", l->t->tries, field, "1"};
	const struct entry *en;
	int rc;

	if (l->next >= l->n) {
		int again = l->from_pel || l->full;

		lane_pause(l, 0);
		if (again)
			lane_poll(l);
		return;
	}
	en = &l->batch[l->next];
	if (entry_skipped(l, en)) {
		rc = lane_ack(l, en->id);
	} else {
		snprintf(field, sizeof(field), "%s %s", lane_group(l), en->id);
		rc = jd_redis_command(e->r, 4, argv, NULL, tries_counted, l);
	}
	if (rc != JD_OK)
		lane_pause(l, 1);
}

/* ---- the sweep: discover, claim, trim, count -------------------------------------------- */

static void claimed(int rc, redisReply *reply, void *arg)
{
	struct lane *l = arg;

	if (l->t->e->stopped || !reply_ok(rc, reply, "XAUTOCLAIM", l))
		return;
	/* [next start, [ids], [deleted ids]] */
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 &&
	    reply->element[1]->type == REDIS_REPLY_ARRAY && reply->element[1]->elements > 0) {
		jd_notice("events: claimed entries a consumer left pending",
			  "tenant=%s group=%s n=%zu", l->t->name, lane_group(l),
			  reply->element[1]->elements);
		l->from_pel = 1;
		lane_poll(l);
	}
}

static void lane_claim(struct lane *l)
{
	struct jd_events *e = l->t->e;
	char idle[16], count[16];
	const char *argv[] = {"XAUTOCLAIM", l->t->stream, lane_group(l), e->consumer, idle,
			      "0-0",	    "COUNT",	  count,	 "JUSTID"};

	if (!l->ready)
		return;
	snprintf(idle, sizeof(idle), "%u", e->o.claim_idle_ms);
	snprintf(count, sizeof(count), "%u", e->o.batch);
	(void)jd_redis_command(e->r, 9, argv, NULL, claimed, l);
}

static void counted(int rc, const struct jd_events_tenant_stats *st, void *arg)
{
	struct tenant *t = arg;

	if (rc != JD_OK || t->e->stopped)
		return;
	t->last = *st;
	t->has_last = 1;
	if (st->trimmed > 0)
		jd_debug("events: stream trimmed", "tenant=%s trimmed=%lld length=%lld", t->name,
			 st->trimmed, st->length);
}

/* A consumer (a former process) with nothing pending, silent ten claim times: forgotten. */
static unsigned forget_idle_ms(const struct jd_events *e)
{
	return e->o.claim_idle_ms > UINT_MAX / 10 ? UINT_MAX : e->o.claim_idle_ms * 10;
}

static void tenant_sweep(struct tenant *t)
{
	for (size_t g = 0; g < t->n_lanes; g++)
		lane_claim(&t->lanes[g]);
	(void)jd_events_tenant_stats(t->e->r, t->name, 1, forget_idle_ms(t->e), counted, t);
}

static void registry_read(int rc, redisReply *reply, void *arg)
{
	struct jd_events *e = arg;

	if (e->stopped || rc != JD_OK || reply->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < reply->elements; i++) {
		struct tenant *t;

		if (reply->element[i]->type != REDIS_REPLY_STRING)
			continue;
		t = tenant_get(e, reply->element[i]->str);
		if (t != NULL)
			t->registered = 1;
	}
	for (size_t i = 0; i < e->n_tenants; i++)
		tenant_sweep(e->tenants[i]);
}

/*
 * Workers: one process reads and delivers (the holder of the lease
 * "events", for poll and sweep alike), so a tenant's events still reach a
 * plugin in order and one at a time; a holder gone, the next takes the
 * lease and claims what it left pending (XAUTOCLAIM).
 */
static void leased(struct jd_events *e, jd_lease_cb cb)
{
	jd_lease_run("events",
		     jd_lease_ttl(e->o.poll_ms > e->o.sweep_ms ? e->o.poll_ms : e->o.sweep_ms), cb,
		     e);
}

static void sweep_held(int held, void *arg)
{
	struct jd_events *e = arg;
	const char *argv[] = {"SMEMBERS", JD_EVENTS_REGISTRY};

	if (held && !e->stopped)
		(void)jd_redis_command(e->r, 2, argv, NULL, registry_read, e);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	leased(arg, sweep_held);
}

static void poll_held(int held, void *arg)
{
	struct jd_events *e = arg;

	if (!held)
		return;
	for (size_t i = 0; i < e->n_tenants && !e->stopped; i++) {
		struct tenant *t = e->tenants[i];

		for (size_t g = 0; g < t->n_lanes; g++) {
			if (t->lanes[g].skip > 0)
				t->lanes[g].skip--;
			else
				lane_poll(&t->lanes[g]);
		}
	}
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	leased(arg, poll_held);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

struct jd_events *jd_events_new(struct event_base *base, struct jd_redis *r, struct jd_store *s,
				const struct jd_events_opts *o)
{
	struct jd_events *e = calloc(1, sizeof(*e));
	char host[64] = "host";

	if (e == NULL)
		return NULL;
	e->base = base;
	e->r = r;
	e->s = s;
	e->o = *o;
	if (e->o.batch == 0)
		e->o.batch = 1;
	if (e->o.max_attempts == 0)
		e->o.max_attempts = 1;
	(void)gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	/* one consumer per process: what a dead one left pending is claimed by the living */
	snprintf(e->consumer, sizeof(e->consumer), "%.60s-%ld-%08x", host, (long)getpid(),
		 randombytes_random());
	e->poll_ev = event_new(base, -1, EV_PERSIST, on_poll, e);
	e->sweep_ev = event_new(base, -1, EV_PERSIST, on_sweep, e);
	if (e->poll_ev == NULL || e->sweep_ev == NULL) {
		jd_events_free(e);
		return NULL;
	}
	return e;
}

static int add_timer(struct event *ev, unsigned ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	return event_add(ev, &tv) == 0 ? JD_OK : JD_ERR;
}

int jd_events_start(struct jd_events *e)
{
	if (e == NULL)
		return JD_E_INVALID;
	e->started = 1;
	for (size_t i = 0; i < e->n_tenants; i++)
		if (tenant_lanes(e->tenants[i], e->tenants[i]->n_lanes) != JD_OK)
			return JD_E_NOMEM;
	if (e->n_groups == 0)
		return JD_OK; /* nothing subscribes: nothing to read (publishing needs no timer) */
	if (add_timer(e->poll_ev, e->o.poll_ms) != JD_OK ||
	    add_timer(e->sweep_ev, e->o.sweep_ms) != JD_OK)
		return JD_ERR;
	event_active(e->sweep_ev, EV_TIMEOUT, 0); /* discover the tenants at once */
	jd_info("events: consuming", "consumer=%s groups=%zu handlers=%zu", e->consumer,
		e->n_groups, e->n_subs);
	return JD_OK;
}

void jd_events_stop(struct jd_events *e)
{
	if (e == NULL)
		return;
	e->stopped = 1;
	if (e->poll_ev != NULL)
		event_del(e->poll_ev);
	if (e->sweep_ev != NULL)
		event_del(e->sweep_ev);
}

void jd_events_free(struct jd_events *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_tenants; i++) {
		struct tenant *t = e->tenants[i];

		for (size_t g = 0; g < t->n_lanes; g++) {
			delivery_free(t->lanes[g].cur); /* a handler that never finished */
			batch_free(&t->lanes[g]);
		}
		free(t->lanes);
		free(t);
	}
	free(e->tenants);
	for (size_t i = 0; i < e->n_subs; i++)
		free(e->subs[i].name);
	free(e->subs);
	if (e->poll_ev != NULL)
		event_free(e->poll_ev);
	if (e->sweep_ev != NULL)
		event_free(e->sweep_ev);
	free(e);
}

/* ---- plugins' calls ------------------------------------------------------------------------ */

static size_t group_of(struct jd_events *e, void *owner, const char *name)
{
	size_t g;

	for (g = 0; g < e->n_groups; g++)
		if (e->groups[g].owner == owner)
			return g;
	if (g == JD_EVENTS_GROUPS_MAX)
		return g;
	e->groups[g].owner = owner;
	snprintf(e->groups[g].name, sizeof(e->groups[g].name), "%s", name);
	e->n_groups++;
	return g;
}

int jd_events_subscribe(struct jd_events *e, void *owner, const char *group, const char *name,
			jd_event_handler cb, void *arg)
{
	struct sub *n;
	size_t g;

	if (e == NULL || e->started || cb == NULL || name == NULL || *name == '\0' ||
	    group == NULL || strlen(group) >= JD_EVENTS_GROUP_MAX)
		return JD_E_INVALID;
	g = group_of(e, owner, group);
	if (g == JD_EVENTS_GROUPS_MAX)
		return JD_E_INVALID;
	n = realloc(e->subs, (e->n_subs + 1) * sizeof(*n));
	if (n == NULL)
		return JD_E_NOMEM;
	e->subs = n;
	n[e->n_subs] = (struct sub){owner, g, strdup(name), cb, arg};
	if (n[e->n_subs].name == NULL)
		return JD_E_NOMEM;
	e->n_subs++;
	return JD_OK;
}

void jd_events_forget(struct jd_events *e, const void *owner)
{
	size_t keep = 0;

	if (e == NULL || e->started)
		return; /* lanes are sized by the groups once started */
	for (size_t i = 0; i < e->n_subs; i++) {
		if (e->subs[i].owner == owner)
			free(e->subs[i].name);
		else
			e->subs[keep++] = e->subs[i];
	}
	e->n_subs = keep;
	/* a group left without handlers acknowledges everything it reads */
}

/* The delivery behind a plugin's event pointer, if it is one of owner's. */
static struct delivery *delivery_of(const void *owner, const struct jd_event *ev)
{
	struct delivery *d = (struct delivery *)ev; /* pub is its first member */

	if (ev == NULL || d->magic != DELIVERY_MAGIC || d->finished)
		return NULL;
	return d->l->t->e->groups[d->l->group].owner == owner ? d : NULL;
}

void jd_events_done(struct jd_events *e, const void *owner, const struct jd_event *ev, int rc)
{
	struct delivery *d = delivery_of(owner, ev);

	(void)e;
	if (d == NULL) {
		jd_err("events: event_done on an event that is not the caller's, or finished",
		       NULL);
		return;
	}
	delivery_finish(d, rc);
}

struct mutate_wrap {
	struct tenant *t; /* published: poll its lanes once applied */
	struct delivery *d;
	jd_mutate_cb cb;
	void *arg;
	char publisher[JD_EVENTS_GROUP_MAX];
	char names[JD_STORE_EVENTS_MAX][JD_EVENT_NAME_LOG];
	size_t n_names;
};

static void log_published(const struct mutate_wrap *w)
{
	for (size_t i = 0; i < w->n_names; i++)
		jd_debug("event published", "plugin=%s tenant=%s event=%s", w->publisher,
			 w->t->name, w->names[i]);
}

static void wrapped_mutated(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct mutate_wrap *w = arg;

	w->cb(rc, res, w->arg);
	if (rc == JD_OK && !res->replayed && w->t != NULL && !w->t->e->stopped) {
		log_published(w);
		tenant_poll(w->t);
	}
	if (w->d != NULL)
		delivery_finish(w->d, rc);
	free(w);
}

/* What the log says once the mutation is applied. */
static void wrap_names(struct mutate_wrap *w, const char *publisher, const struct jd_mutation *m)
{
	snprintf(w->publisher, sizeof(w->publisher), "%s", publisher ? publisher : "core");
	for (size_t i = 0; i < m->n_events && i < JD_STORE_EVENTS_MAX; i++)
		snprintf(w->names[w->n_names++], JD_EVENT_NAME_LOG, "%s",
			 m->events[i].name ? m->events[i].name : "");
}

int jd_events_mutate(struct jd_events *e, void *owner, const char *publisher,
		     const struct jd_mutation *m, jd_mutate_cb cb, void *arg)
{
	struct delivery *d = m->cause ? delivery_of(owner, m->cause) : NULL;
	struct mutate_wrap *w;
	char key[JD_EVENTS_GROUP_MAX + ID_MAX + 8];
	struct jd_store_origin o = {publisher, NULL};
	int rc = JD_E_NOMEM;

	if (m->cause != NULL && d == NULL)
		return JD_E_INVALID; /* not an event of this plugin's, or already finished */
	if (e->stopped) {
		rc = JD_E_UNAVAILABLE;
		goto fail;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto fail;
	w->d = d;
	w->cb = cb;
	w->arg = arg;
	wrap_names(w, publisher, m);
	if (m->n_events > 0 && (w->t = tenant_get(e, m->tenant)) != NULL)
		tenant_register(w->t);
	if (d != NULL) {
		/* the subscriber and the event: a redelivery replays, changing nothing */
		snprintf(key, sizeof(key), "ev:%s:%s", e->groups[d->l->group].name, d->id);
		o.event_key = key;
	}
	rc = jd_store_mutate_from(e->s, m, &o, cb ? wrapped_mutated : NULL, w);
	if (rc == JD_OK)
		return JD_OK;
	free(w);
fail:
	if (d != NULL)
		delivery_finish(d, rc);
	return rc;
}

/* ---- figures ----------------------------------------------------------------------------------
 */

void jd_events_totals(const struct jd_events *e, struct jd_events_totals *out)
{
	memset(out, 0, sizeof(*out));
	if (e == NULL)
		return;
	out->n_groups = e->n_groups;
	for (size_t g = 0; g < e->n_groups; g++)
		snprintf(out->g[g].name, sizeof(out->g[g].name), "%s", e->groups[g].name);
	for (size_t i = 0; i < e->n_tenants; i++) {
		const struct jd_events_tenant_stats *st = &e->tenants[i]->last;

		out->dead += st->dead;
		for (size_t j = 0; j < st->n_groups; j++) {
			for (size_t g = 0; g < e->n_groups; g++) {
				if (strcmp(st->g[j].name, out->g[g].name) != 0)
					continue;
				out->g[g].pending += st->g[j].pending;
				out->g[g].backlog += st->g[j].backlog;
				if (st->g[j].oldest_ms > out->g[g].oldest_ms)
					out->g[g].oldest_ms = st->g[j].oldest_ms;
			}
		}
	}
	out->handled = e->handled;
	out->failed = e->failed;
	out->dead_lettered = e->dead_lettered;
}

size_t jd_events_tenant_count(const struct jd_events *e)
{
	return e ? e->n_tenants : 0;
}

const char *jd_events_tenant_at(const struct jd_events *e, size_t i)
{
	return e->tenants[i]->name;
}

const struct jd_events_tenant_stats *jd_events_tenant_last(const struct jd_events *e, size_t i)
{
	return e->tenants[i]->has_last ? &e->tenants[i]->last : NULL;
}

struct jd_redis *jd_events_redis(const struct jd_events *e)
{
	return e ? e->r : NULL;
}
