/*
 * Redis Sentinel client: discovers the master and follows a failover.
 *
 * Three jd_redis connections: "query" to one sentinel at a time (asks
 * SENTINEL get-master-addr-by-name; a sentinel that cannot name the master
 * is left for the next one), "sub" to one sentinel at a time (SUBSCRIBE
 * +switch-master: a failover is heard as it happens), and the master, whose
 * address is resolved before each attempt from what the sentinels said
 * last.  Every master attempt asks the sentinels again, so a lost
 * connection, a READONLY reply (redis.c drops the connection) or a ROLE
 * that is not "master" all lead to a fresh answer; when the answer names
 * another server than the one in use, the master connection is re-made at
 * once.  In between, commands fail with JD_E_UNAVAILABLE (503).
 */
#include "storage/sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"
#include "runtime/log.h"
#include "storage/redis.h"

#define MAX_SENTINELS  16
#define SWITCH_CHANNEL "+switch-master"

struct endpoint {
	char host[256];
	unsigned port;
};

struct jd_sentinel {
	char name[128];
	struct endpoint sentinels[MAX_SENTINELS];
	size_t n;
	size_t next_query, next_sub; /* the sentinel each connection tries next */
	size_t query_at;	     /* the sentinel the query connection is on */
	struct jd_redis *query, *sub, *master;
	struct jd_redis_target query_target, sub_target, master_target;
	struct endpoint known; /* the master the sentinels named last */
	struct endpoint used;  /* the address the master connection was given last */
	int have_known, have_used;
	int asking;
	unsigned unnamed; /* answers in a row that named no master */
};

/* ---- The list of sentinels --------------------------------------------- */

static int parse_one(const char *item, struct endpoint *e, char *err, size_t errlen)
{
	if (jd_config_split_hostport(item, e->host, sizeof(e->host), &e->port) != JD_OK ||
	    e->port == 0) {
		snprintf(err, errlen,
			 "'%.64s' is not host:port (IPv6 as [addr]:port, port 1-65535)", item);
		return JD_E_INVALID;
	}
	return JD_OK;
}

/* Splits "a:1, b:2" into out (at most MAX_SENTINELS); *n may be NULL. */
static int parse_list(const char *list, struct endpoint *out, size_t *n, char *err, size_t errlen)
{
	char *copy = strdup(list != NULL ? list : "");
	char *save = NULL, *tok;
	size_t count = 0;
	int rc = JD_OK;

	if (copy == NULL)
		return JD_E_NOMEM;
	for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == JD_OK;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end = tok + strlen(tok);

		while (*tok == ' ' || *tok == '\t')
			tok++;
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*tok == '\0')
			continue; /* "a:1, ,b:2" or a trailing comma */
		if (count == MAX_SENTINELS) {
			snprintf(err, errlen, "more than %d sentinels", MAX_SENTINELS);
			rc = JD_E_INVALID;
		} else {
			rc = parse_one(tok, &out[count++], err, errlen);
		}
	}
	if (rc == JD_OK && count == 0) {
		snprintf(err, errlen, "no sentinel given (host:port,host:port,...)");
		rc = JD_E_INVALID;
	}
	if (n != NULL)
		*n = count;
	free(copy);
	return rc;
}

int jd_sentinel_list_check(const char *list, char *err, size_t errlen)
{
	struct endpoint e[MAX_SENTINELS];

	return parse_list(list, e, NULL, err, errlen);
}

/* ---- Asking where the master is ------------------------------------------ */

static int same(const struct endpoint *a, const struct endpoint *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* A new answer: re-make the master connection at once if it is elsewhere. */
static void adopt(struct jd_sentinel *s, const struct endpoint *e, const char *how)
{
	if (!s->have_known || !same(&s->known, e))
		jd_notice("redis sentinel: master", "name=%s master=%s:%u how=\"%s\"", s->name,
			  e->host, e->port, how);
	s->known = *e;
	s->have_known = 1;
	if (!s->have_used || !same(&s->used, e))
		jd_redis_reconnect(s->master, 1, "the sentinels name another master");
}

static int parse_answer(const redisReply *reply, struct endpoint *e)
{
	long port;
	char *end;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING ||
	    reply->element[0]->len >= sizeof(e->host) || reply->element[0]->len == 0)
		return JD_E_INVALID;
	port = strtol(reply->element[1]->str, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return JD_E_INVALID;
	memcpy(e->host, reply->element[0]->str, reply->element[0]->len + 1);
	e->port = (unsigned)port;
	return JD_OK;
}

static void answer(int rc, redisReply *reply, void *arg)
{
	struct jd_sentinel *s = arg;
	const struct endpoint *at = &s->sentinels[s->query_at];
	struct endpoint e;

	s->asking = 0;
	if (rc != JD_OK)
		return; /* the query connection is re-made; its hook asks again */
	if (parse_answer(reply, &e) != JD_OK) {
		/* the 1st, 2nd, 4th, 8th... in a row: a wrong master_name would log forever */
		s->unnamed++;
		if ((s->unnamed & (s->unnamed - 1)) == 0)
			jd_warn(
			    "redis sentinel: this sentinel does not name the master; trying the "
			    "next",
			    "sentinel=%s:%u name=%s reply=%s times=%u", at->host, at->port, s->name,
			    reply->type == REDIS_REPLY_ERROR ? reply->str : "no address",
			    s->unnamed);
		jd_redis_reconnect(s->query, 0, "this sentinel does not name the master");
		return;
	}
	s->unnamed = 0;
	adopt(s, &e, "asked");
}

/* Sends the question unless one is in flight or the query connection is down. */
static void ask(struct jd_sentinel *s)
{
	const char *argv[] = {"SENTINEL", "get-master-addr-by-name", s->name};

	if (s->asking || s->query == NULL)
		return;
	if (jd_redis_command(s->query, 3, argv, NULL, answer, s) == JD_OK)
		s->asking = 1;
}

static void query_connected(struct jd_redis *r, void *arg)
{
	(void)r;
	ask(arg);
}

/* ---- Hearing a failover ------------------------------------------------- */

/* "<name> <old-ip> <old-port> <new-ip> <new-port>" */
static int parse_switch(const struct jd_sentinel *s, const char *msg, struct endpoint *e)
{
	char name[sizeof(s->name)], old[256], host[256];
	unsigned old_port, port;

	if (sscanf(msg, "%127s %255s %u %255s %u", name, old, &old_port, host, &port) != 5 ||
	    strcmp(name, s->name) != 0 || port == 0 || port > 65535)
		return JD_E_INVALID;
	memcpy(e->host, host, sizeof(e->host));
	e->port = port;
	return JD_OK;
}

static void on_message(int rc, redisReply *reply, void *arg)
{
	struct jd_sentinel *s = arg;
	struct endpoint e;

	if (rc != JD_OK || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(reply->element[0]->str, "message") != 0 ||
	    reply->element[2]->type != REDIS_REPLY_STRING)
		return;
	if (parse_switch(s, reply->element[2]->str, &e) == JD_OK)
		adopt(s, &e, "+switch-master");
}

static void subscribed(int rc, redisReply *reply, void *arg)
{
	struct jd_sentinel *s = arg;

	if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR) {
		jd_warn("redis sentinel: SUBSCRIBE refused; failovers are noticed by the master "
			"connection only",
			"err=\"%s\"", reply->str);
		jd_redis_reconnect(s->sub, 0, "SUBSCRIBE refused");
	}
}

static void sub_connected(struct jd_redis *r, void *arg)
{
	const char *argv[] = {"SUBSCRIBE", SWITCH_CHANNEL};

	if (jd_redis_command(r, 2, argv, NULL, subscribed, arg) != JD_OK)
		jd_warn("redis sentinel: cannot send SUBSCRIBE", NULL);
}

/* ---- Targets: where each connection goes ------------------------------- */

static void put(const struct endpoint *e, char *host, size_t hostlen, int *port)
{
	snprintf(host, hostlen, "%s", e->host);
	*port = (int)e->port;
}

static int query_where(void *arg, char *host, size_t hostlen, int *port, char *why, size_t len)
{
	struct jd_sentinel *s = arg;

	(void)why;
	(void)len;
	s->query_at = s->next_query;
	s->next_query = (s->next_query + 1) % s->n;
	put(&s->sentinels[s->query_at], host, hostlen, port);
	return JD_OK;
}

static int sub_where(void *arg, char *host, size_t hostlen, int *port, char *why, size_t len)
{
	struct jd_sentinel *s = arg;

	(void)why;
	(void)len;
	put(&s->sentinels[s->next_sub], host, hostlen, port);
	s->next_sub = (s->next_sub + 1) % s->n;
	return JD_OK;
}

static const char *role_of(const redisReply *role)
{
	if (role->type == REDIS_REPLY_ERROR)
		return role->str;
	if (role->type != REDIS_REPLY_ARRAY || role->elements < 1 ||
	    role->element[0]->type != REDIS_REPLY_STRING)
		return "?";
	return role->element[0]->str;
}

/* A sentinel connection must reach a sentinel, not a data server. */
static int sentinel_check(void *arg, const redisReply *role, char *why, size_t len)
{
	const char *r = role_of(role);

	(void)arg;
	if (strcmp(r, "sentinel") == 0)
		return JD_OK;
	snprintf(why, len, "not a sentinel (ROLE: %.100s): check redis.sentinels", r);
	return JD_E_INVALID;
}

static int master_where(void *arg, char *host, size_t hostlen, int *port, char *why, size_t len)
{
	struct jd_sentinel *s = arg;

	ask(s);
	if (!s->have_known) {
		snprintf(why, len, "no sentinel has named the master \"%s\" yet", s->name);
		return JD_E_UNAVAILABLE;
	}
	put(&s->known, host, hostlen, port);
	s->used = s->known;
	s->have_used = 1;
	return JD_OK;
}

static int master_check(void *arg, const redisReply *role, char *why, size_t len)
{
	struct jd_sentinel *s = arg;
	const char *r = role_of(role);

	if (strcmp(r, "master") == 0)
		return JD_OK;
	/* the sentinel that named it may be behind (cut off from the others): ask the next */
	jd_redis_reconnect(s->query, 0, "the server it named is not the master");
	snprintf(why, len, "not the master (ROLE: %.100s): asking the next sentinel", r);
	return JD_E_UNAVAILABLE;
}

/* ---- Life cycle ---------------------------------------------------------- */

static struct jd_redis *connect_to(struct event_base *base, const struct jd_redis_opts *o,
				   const struct jd_redis_target *t)
{
	struct jd_redis_opts opts = *o;

	opts.url = NULL;
	opts.target = t;
	opts.tls_ca = opts.tls_cert = opts.tls_key = NULL;
	return jd_redis_new(base, &opts);
}

struct jd_sentinel *jd_sentinel_new(struct event_base *base, const char *list,
				    const char *master_name, const struct jd_redis_opts *o)
{
	struct jd_sentinel *s = calloc(1, sizeof(*s));
	char err[200] = "";

	if (s == NULL)
		return NULL;
	if (master_name == NULL || master_name[0] == '\0' || strlen(master_name) >= sizeof(s->name))
		snprintf(err, sizeof(err), "master name empty or longer than %zu bytes",
			 sizeof(s->name) - 1);
	else if (parse_list(list, s->sentinels, &s->n, err, sizeof(err)) == JD_OK)
		err[0] = '\0';
	if (err[0] != '\0') {
		jd_err("redis sentinel: bad settings", "reason=\"%s\"", err);
		free(s);
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", master_name);
	s->query_target = (struct jd_redis_target){query_where, sentinel_check, s};
	s->sub_target = (struct jd_redis_target){sub_where, sentinel_check, s};
	s->master_target = (struct jd_redis_target){master_where, master_check, s};
	s->next_sub = s->n > 1 ? 1 : 0; /* the two listen to different sentinels first */
	s->query = connect_to(base, o, &s->query_target);
	s->sub = connect_to(base, o, &s->sub_target);
	if (s->query == NULL || s->sub == NULL)
		goto fail;
	jd_redis_on_connect(s->query, query_connected, s);
	jd_redis_on_connect(s->sub, sub_connected, s);
	jd_redis_on_push(s->sub, on_message, s);
	s->master = connect_to(base, o, &s->master_target);
	if (s->master == NULL)
		goto fail;
	return s;
fail:
	jd_sentinel_free(s);
	return NULL;
}

struct jd_redis *jd_sentinel_master(const struct jd_sentinel *s)
{
	return s->master;
}

void jd_sentinel_set_timeouts(struct jd_sentinel *s, const struct jd_redis_opts *o)
{
	if (s == NULL)
		return;
	jd_redis_set_timeouts(s->master, o);
	jd_redis_set_timeouts(s->query, o);
	jd_redis_set_timeouts(s->sub, o);
}

void jd_sentinel_free(struct jd_sentinel *s)
{
	struct jd_redis *master;

	if (s == NULL)
		return;
	/* the master's where() and check() use s: it goes first, and nothing re-makes it after */
	master = s->master;
	s->master = NULL;
	jd_redis_free(master);
	jd_redis_free(s->query);
	jd_redis_free(s->sub);
	free(s);
}
