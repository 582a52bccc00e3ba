/*
 * The store primitive: one Lua script applies a whole mutation (version
 * check, idempotency key, record fields, indexes, counters) atomically.
 *
 * The script is loaded with SCRIPT LOAD on every new connection and called
 * with EVALSHA; its SHA-1 is computed here, so EVALSHA never waits for the
 * SCRIPT LOAD reply.  If the server lost its script cache (SCRIPT FLUSH, a
 * restart that our on_connect hook did not see yet), the reply is NOSCRIPT
 * and the same call is sent once more as EVAL with the whole body.
 *
 * Redis never rolls a script back: a command that fails half-way leaves
 * the earlier writes in place.  So the script checks every key's type (and
 * that counters hold integers) before its first write.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "log.h"
#include "redis.h"

#define TENANT_MAX 64
#define KEY_MAX	   200
/* "jd:{" tenant "}:" "idem:" key NUL */
#define FULL_KEY_MAX  (4 + TENANT_MAX + 2 + 5 + KEY_MAX + 1)
#define IDEM_PREFIX   "idem:"
#define IDEM_TTL_S    86400
#define MAX_FIELDS    1024
#define MAX_OPS	      1024
#define MAX_READ_ARGS 1024

/* The script's answer: {version, outcome, relative record key}. */
#define OUTCOME_APPLIED	 0
#define OUTCOME_REPLAYED 1
#define OUTCOME_CONFLICT 2

/*
 * KEYS[1] the record hash, KEYS[2] the idempotency key (the record again
 * when there is none: ARGV[2] says which), KEYS[2+i] the key of op i.
 * ARGV: expected version, has_idem, idem TTL, nset, ndel, nops, the
 * record's relative key, then nset field/value pairs, ndel fields, and nops
 * (kind, member, value) triples.  The idempotency key keeps "version record"
 * so that a retry learns which record the first call wrote.
 */
static const char mutate_script[] =
    "local rec = KEYS[1]\n"
    "local expect = tonumber(ARGV[1])\n"
    "local has_idem = ARGV[2] == '1'\n"
    "if has_idem then\n"
    "  local seen = redis.call('GET', KEYS[2])\n"
    "  if seen then\n"
    "    local sv, srec = string.match(seen, '^(%d+) (.*)$')\n"
    "    return {tonumber(sv), 1, srec}\n"
    "  end\n"
    "end\n"
    "local t = redis.call('TYPE', rec)['ok']\n"
    "if t ~= 'none' and t ~= 'hash' then\n"
    "  return redis.error_reply('ERR jd: the record is not a hash')\n"
    "end\n"
    "local cur = tonumber(redis.call('HGET', rec, '_v')) or 0\n"
    "if expect == 0 then\n"
    "  if redis.call('EXISTS', rec) == 1 then return {cur, 2, ARGV[7]} end\n"
    "elseif expect > 0 and cur ~= expect then\n"
    "  return {cur, 2, ARGV[7]}\n"
    "end\n"
    "local nset, ndel, nops = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "local sets = 8\n"
    "local dels = sets + 2 * nset\n"
    "local ops = dels + ndel\n"
    "local want = {sadd = 'set', srem = 'set', zadd = 'zset', zrem = 'zset',\n"
    "  hincrby = 'hash', hset = 'hash', hdel = 'hash', incrby = 'string'}\n"
    "local function fail(msg) return redis.error_reply('ERR jd: ' .. msg) end\n"
    "local function is_int(s)\n"
    "  return s == '0' or (#s <= 20 and string.match(s, '^-?[1-9]%d*$') ~= nil)\n"
    "end\n"
    "local planned = {[rec] = 'hash'}\n"
    "for i = 0, nops - 1 do\n"
    "  local o = ops + 3 * i\n"
    "  local kind, key = ARGV[o], KEYS[3 + i]\n"
    "  local w = want[kind]\n"
    "  if not w then return fail('unknown op') end\n"
    "  if planned[key] and planned[key] ~= w then\n"
    "    return fail('two ops use one key as different types')\n"
    "  end\n"
    "  planned[key] = w\n"
    "  local kt = redis.call('TYPE', key)['ok']\n"
    "  if kt ~= 'none' and kt ~= w then return fail('an op key holds another type') end\n"
    "  local old\n"
    "  if kind == 'hincrby' then old = redis.call('HGET', key, ARGV[o + 1])\n"
    "  elseif kind == 'incrby' then old = redis.call('GET', key) end\n"
    "  if old and not is_int(old) then return fail('a counter is not an integer') end\n"
    "end\n"
    "if nset > 0 then redis.call('HSET', rec, unpack(ARGV, sets, dels - 1)) end\n"
    "if ndel > 0 then redis.call('HDEL', rec, unpack(ARGV, dels, ops - 1)) end\n"
    "for i = 0, nops - 1 do\n"
    "  local o = ops + 3 * i\n"
    "  local kind, key, m, v = ARGV[o], KEYS[3 + i], ARGV[o + 1], ARGV[o + 2]\n"
    "  if kind == 'sadd' then redis.call('SADD', key, m)\n"
    "  elseif kind == 'srem' then redis.call('SREM', key, m)\n"
    "  elseif kind == 'zadd' then redis.call('ZADD', key, v, m)\n"
    "  elseif kind == 'zrem' then redis.call('ZREM', key, m)\n"
    "  elseif kind == 'hincrby' then redis.call('HINCRBY', key, m, v)\n"
    "  elseif kind == 'hset' then redis.call('HSET', key, m, v)\n"
    "  elseif kind == 'hdel' then redis.call('HDEL', key, m)\n"
    "  elseif kind == 'incrby' then redis.call('INCRBY', key, v) end\n"
    "end\n"
    "local v = redis.call('HINCRBY', rec, '_v', 1)\n"
    "if has_idem then redis.call('SET', KEYS[2], v .. ' ' .. ARGV[7], 'EX', ARGV[3]) end\n"
    "return {v, 0, ARGV[7]}\n";

static const char *const op_names[] = {
    [JD_OP_SADD] = "sadd", [JD_OP_SREM] = "srem",	[JD_OP_ZADD] = "zadd",
    [JD_OP_ZREM] = "zrem", [JD_OP_HINCRBY] = "hincrby", [JD_OP_HSET] = "hset",
    [JD_OP_HDEL] = "hdel", [JD_OP_INCRBY] = "incrby",
};

static const char *const read_commands[] = {
    "GET",	 "HGET",      "HGETALL", "HMGET",  "HEXISTS",	    "HLEN",	 "HKEYS",
    "SMEMBERS",	 "SISMEMBER", "SCARD",	 "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYSCORE",
    "ZCARD",	 "ZSCORE",    "ZRANK",	 "EXISTS", "LRANGE",	    "LLEN",	 "XRANGE",
    "XREVRANGE", "XLEN",      "TYPE",	 "TTL",
};

struct jd_store {
	struct jd_redis *r;
	char sha[41];
	unsigned pending; /* our commands in flight: freeing waits for them */
	unsigned loads;	  /* SCRIPT LOADs in flight */
	int freed;
};

struct mutate_ctx {
	struct jd_store *s;
	jd_mutate_cb cb;
	void *arg;
	int retried;
	int argc;
	const char **argv;
	size_t *lens;
};

struct read_ctx {
	struct jd_store *s;
	jd_read_cb cb;
	void *arg;
};

/* ---- Validation ---------------------------------------------------------- */

int jd_store_tenant_valid(const char *tenant)
{
	size_t n;

	if (tenant == NULL)
		return 0;
	n = strlen(tenant);
	if (n == 0 || n > TENANT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = tenant[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* 1..200 printable characters, no space, no braces (they would change the hash tag). */
static int key_valid(const char *key)
{
	size_t n;

	if (key == NULL)
		return 0;
	n = strlen(key);
	if (n == 0 || n > KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c <= 0x20 || c >= 0x7f || c == '{' || c == '}')
			return 0;
	}
	return 1;
}

/* Keys a caller may write: idempotency keys are ours. */
static int writable_key_valid(const char *key)
{
	return key_valid(key) && strncmp(key, IDEM_PREFIX, strlen(IDEM_PREFIX)) != 0;
}

/* Record fields starting with "_" (the version "_v") are reserved. */
static int field_valid(const char *field)
{
	return field != NULL && field[0] != '\0' && field[0] != '_';
}

/* What Redis's INCRBY, HINCRBY and ZADD accept: no sign "+", no leading zero. */
static int integer_valid(const char *s)
{
	const char *p = s;
	size_t n;

	if (s == NULL)
		return 0;
	if (*p == '-')
		p++;
	n = strlen(p);
	if (n == 0 || n > 19 || (p[0] == '0' && (n > 1 || p != s)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
	}
	if (n == 19 && strcmp(p, p == s ? "9223372036854775807" : "9223372036854775808") > 0)
		return 0;
	return 1;
}

static int count_pairs(const char *const *list, size_t *npairs)
{
	size_t n = 0;

	for (; list != NULL && list[2 * n] != NULL; n++) {
		if (!field_valid(list[2 * n]) || list[2 * n + 1] == NULL || n == MAX_FIELDS)
			return JD_E_INVALID;
	}
	*npairs = n;
	return JD_OK;
}

static int count_fields(const char *const *list, size_t *nfields)
{
	size_t n = 0;

	for (; list != NULL && list[n] != NULL; n++) {
		if (!field_valid(list[n]) || n == MAX_FIELDS)
			return JD_E_INVALID;
	}
	*nfields = n;
	return JD_OK;
}

static int op_valid(const struct jd_op *op, const char *record)
{
	int needs_member = op->kind != JD_OP_INCRBY;
	int needs_int =
	    op->kind == JD_OP_ZADD || op->kind == JD_OP_HINCRBY || op->kind == JD_OP_INCRBY;

	if ((unsigned)op->kind >= sizeof(op_names) / sizeof(op_names[0]))
		return 0;
	if (!writable_key_valid(op->key))
		return 0;
	if (needs_member && op->member == NULL)
		return 0;
	if (needs_int && !integer_valid(op->value))
		return 0;
	if (op->kind == JD_OP_HSET && op->value == NULL)
		return 0;
	/* an op must not reach the record's reserved fields either */
	if (strcmp(op->key, record) == 0 && needs_member && op->member[0] == '_')
		return 0;
	return 1;
}

static int mutation_check(const struct jd_mutation *m, size_t *nset, size_t *ndel)
{
	if (m == NULL || !jd_store_tenant_valid(m->tenant) || !writable_key_valid(m->record))
		return JD_E_INVALID;
	if (m->expect_version < JD_VERSION_ANY)
		return JD_E_INVALID;
	if (m->idempotency_key != NULL && !key_valid(m->idempotency_key))
		return JD_E_INVALID;
	if (count_pairs(m->set, nset) != JD_OK || count_fields(m->del, ndel) != JD_OK)
		return JD_E_INVALID;
	if (m->n_ops > MAX_OPS || (m->n_ops > 0 && m->ops == NULL))
		return JD_E_INVALID;
	for (size_t i = 0; i < m->n_ops; i++) {
		if (!op_valid(&m->ops[i], m->record))
			return JD_E_INVALID;
	}
	return JD_OK;
}

/* ---- Building the EVALSHA argument vector -------------------------------- */

/*
 * Run twice: once with argv == NULL to count, once to fill the single
 * allocation that holds the argument strings.  The copies outlive the
 * caller's mutation because a NOSCRIPT reply sends them again.
 */
struct argv_builder {
	const char **argv;
	size_t *lens;
	char *p;
	int argc;
	size_t bytes;
};

static void emit(struct argv_builder *b, const char *s, size_t n)
{
	if (b->argv != NULL) {
		memcpy(b->p, s, n);
		b->p[n] = '\0';
		b->argv[b->argc] = b->p;
		b->lens[b->argc] = n;
		b->p += n + 1;
	}
	b->argc++;
	b->bytes += n + 1;
}

static void emit_str(struct argv_builder *b, const char *s)
{
	emit(b, s, strlen(s));
}

static void emit_num(struct argv_builder *b, long long v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", v);

	emit(b, buf, (size_t)n);
}

static void emit_key(struct argv_builder *b, const char *tenant, const char *prefix,
		     const char *rel)
{
	char buf[FULL_KEY_MAX];
	int n = snprintf(buf, sizeof(buf), "jd:{%s}:%s%s", tenant, prefix, rel);

	emit(b, buf, (size_t)n);
}

static void build_mutation(struct argv_builder *b, const struct jd_mutation *m, size_t nset,
			   size_t ndel, const char *sha)
{
	const char *t = m->tenant;

	emit_str(b, "EVALSHA");
	emit_str(b, sha);
	emit_num(b, 2 + (long long)m->n_ops);
	emit_key(b, t, "", m->record);
	if (m->idempotency_key != NULL)
		emit_key(b, t, IDEM_PREFIX, m->idempotency_key);
	else
		emit_key(b, t, "", m->record);
	for (size_t i = 0; i < m->n_ops; i++)
		emit_key(b, t, "", m->ops[i].key);
	emit_num(b, m->expect_version);
	emit_str(b, m->idempotency_key != NULL ? "1" : "0");
	emit_num(b, IDEM_TTL_S);
	emit_num(b, (long long)nset);
	emit_num(b, (long long)ndel);
	emit_num(b, (long long)m->n_ops);
	emit_str(b, m->record);
	for (size_t i = 0; i < 2 * nset; i++)
		emit_str(b, m->set[i]);
	for (size_t i = 0; i < ndel; i++)
		emit_str(b, m->del[i]);
	for (size_t i = 0; i < m->n_ops; i++) {
		const struct jd_op *op = &m->ops[i];

		emit_str(b, op_names[op->kind]);
		emit_str(b, op->member ? op->member : "");
		emit_str(b, op->value ? op->value : "");
	}
}

static struct mutate_ctx *mutate_ctx_new(const struct jd_store *s, const struct jd_mutation *m,
					 size_t nset, size_t ndel)
{
	struct argv_builder b = {0};
	struct mutate_ctx *x;
	char *mem;

	build_mutation(&b, m, nset, ndel, s->sha);
	mem = malloc(sizeof(*x) + (size_t)b.argc * (sizeof(char *) + sizeof(size_t)) + b.bytes);
	if (mem == NULL)
		return NULL;
	x = (struct mutate_ctx *)mem;
	memset(x, 0, sizeof(*x));
	x->argv = (const char **)(mem + sizeof(*x));
	x->lens = (size_t *)(x->argv + b.argc);
	x->argc = b.argc;
	b = (struct argv_builder){
	    .argv = x->argv, .lens = x->lens, .p = (char *)(x->lens + x->argc)};
	build_mutation(&b, m, nset, ndel, s->sha);
	return x;
}

/* ---- Script loading ---------------------------------------------------------- */

static void store_release(struct jd_store *s)
{
	if (--s->pending == 0 && s->freed)
		free(s);
}

static void log_error_reply(enum jd_log_level level, const char *msg, const redisReply *reply)
{
	char q[512];

	jd_log(level, msg, "err=%s", jd_log_quote(q, sizeof(q), reply->str ? reply->str : ""));
}

static void script_loaded(int rc, redisReply *reply, void *arg)
{
	struct jd_store *s = arg;

	s->loads--;
	if (rc != JD_OK)
		jd_warn("store: SCRIPT LOAD got no answer", "rc=%d", rc);
	else if (reply->type == REDIS_REPLY_ERROR)
		log_error_reply(JD_LOG_ERR, "store: SCRIPT LOAD failed", reply);
	else if (reply->type != REDIS_REPLY_STRING || reply->len != 40 ||
		 memcmp(reply->str, s->sha, 40) != 0)
		jd_err("store: SCRIPT LOAD returned an unexpected digest", NULL);
	store_release(s);
}

/* always: on a new connection; otherwise only if no load is already on its way */
static void script_load(struct jd_store *s, int always)
{
	const char *argv[] = {"SCRIPT", "LOAD", mutate_script};
	int rc;

	if (!always && s->loads > 0)
		return;
	rc = jd_redis_command(s->r, 3, argv, NULL, script_loaded, s);
	if (rc != JD_OK) {
		jd_warn("store: cannot send SCRIPT LOAD", "rc=%d", rc);
		return;
	}
	s->pending++;
	s->loads++;
}

static void on_redis_connect(struct jd_redis *r, void *arg)
{
	script_load(arg, 1);
}

static int script_sha1(char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(mutate_script, strlen(mutate_script), md, &n, EVP_sha1(), NULL) != 1 ||
	    n != 20)
		return JD_ERR;
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return JD_OK;
}

/* ---- Mutations ------------------------------------------------------------ */

#define MUTATE_RETRYING 1

static int mutate_outcome(const redisReply *reply, struct jd_mutate_result *res)
{
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER ||
	    reply->element[1]->type != REDIS_REPLY_INTEGER ||
	    reply->element[2]->type != REDIS_REPLY_STRING) {
		jd_err("store: unexpected reply to a mutation", "type=%d", reply->type);
		return JD_ERR;
	}
	res->version = reply->element[0]->integer;
	res->record = reply->element[2]->str;
	switch (reply->element[1]->integer) {
	case OUTCOME_APPLIED:
		return JD_OK;
	case OUTCOME_REPLAYED:
		res->replayed = 1;
		return JD_OK;
	case OUTCOME_CONFLICT:
		return JD_E_CONFLICT;
	}
	jd_err("store: unexpected mutation outcome", "outcome=%lld", reply->element[1]->integer);
	return JD_ERR;
}

static void mutate_reply(int rc, redisReply *reply, void *arg);

/* The script cache was flushed: resend as EVAL (once) and load it again. */
static int handle_noscript(struct mutate_ctx *x)
{
	int rc;

	x->retried = 1;
	x->argv[0] = "EVAL";
	x->lens[0] = 4;
	x->argv[1] = mutate_script;
	x->lens[1] = strlen(mutate_script);
	rc = jd_redis_command(x->s->r, x->argc, x->argv, x->lens, mutate_reply, x);
	if (rc != JD_OK)
		return rc;
	if (x->s->loads == 0)
		jd_info("store: script missing on the server: sent as EVAL, loading it again",
			NULL);
	script_load(x->s, 0);
	return MUTATE_RETRYING;
}

static int mutate_result(struct mutate_ctx *x, const redisReply *reply,
			 struct jd_mutate_result *res)
{
	if (reply->type != REDIS_REPLY_ERROR)
		return mutate_outcome(reply, res);
	if (!x->retried && strncmp(reply->str, "NOSCRIPT", 8) == 0)
		return handle_noscript(x);
	log_error_reply(JD_LOG_ERR, "store: mutation failed", reply);
	return JD_ERR;
}

static void mutate_reply(int rc, redisReply *reply, void *arg)
{
	struct mutate_ctx *x = arg;
	struct jd_store *s = x->s;
	struct jd_mutate_result res = {0, 0, NULL};

	if (rc == JD_OK)
		rc = mutate_result(x, reply, &res);
	if (rc == MUTATE_RETRYING)
		return;
	x->cb(rc, rc == JD_OK || rc == JD_E_CONFLICT ? &res : NULL, x->arg);
	free(x);
	store_release(s);
}

int jd_store_mutate(struct jd_store *s, const struct jd_mutation *m, jd_mutate_cb cb, void *arg)
{
	struct mutate_ctx *x;
	size_t nset = 0, ndel = 0;
	int rc;

	if (s == NULL || cb == NULL)
		return JD_E_INVALID;
	rc = mutation_check(m, &nset, &ndel);
	if (rc != JD_OK)
		return rc;
	x = mutate_ctx_new(s, m, nset, ndel);
	if (x == NULL)
		return JD_E_NOMEM;
	x->s = s;
	x->cb = cb;
	x->arg = arg;
	rc = jd_redis_command(s->r, x->argc, x->argv, x->lens, mutate_reply, x);
	if (rc != JD_OK) {
		free(x);
		return rc;
	}
	s->pending++;
	return JD_OK;
}

/* ---- Reads ---------------------------------------------------------------- */

static int read_command_allowed(int argc, const char *cmd)
{
	for (size_t i = 0; i < sizeof(read_commands) / sizeof(read_commands[0]); i++) {
		if (strcasecmp(cmd, read_commands[i]) == 0)
			/* EXISTS takes several keys: only the first would be prefixed */
			return strcasecmp(cmd, "EXISTS") != 0 || argc == 2;
	}
	return 0;
}

static int reply_to_json(const redisReply *reply, json_t **out)
{
	json_t *a;

	switch (reply->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		/* NULL when the value is not UTF-8: JSON cannot carry it */
		*out = json_stringn(reply->str, reply->len);
		return *out ? JD_OK : JD_ERR;
	case REDIS_REPLY_INTEGER:
		*out = json_integer(reply->integer);
		return *out ? JD_OK : JD_E_NOMEM;
	case REDIS_REPLY_NIL:
		*out = json_null();
		return JD_OK;
	case REDIS_REPLY_ARRAY:
		a = json_array();
		if (a == NULL)
			return JD_E_NOMEM;
		for (size_t i = 0; i < reply->elements; i++) {
			json_t *e;
			int rc = reply_to_json(reply->element[i], &e);

			if (rc != JD_OK || json_array_append_new(a, e) != 0) {
				json_decref(a);
				return rc != JD_OK ? rc : JD_E_NOMEM;
			}
		}
		*out = a;
		return JD_OK;
	case REDIS_REPLY_ERROR:
		log_error_reply(JD_LOG_WARN, "store: read failed", reply);
		return JD_ERR;
	}
	return JD_ERR;
}

static void read_reply(int rc, redisReply *reply, void *arg)
{
	struct read_ctx *x = arg;
	struct jd_store *s = x->s;
	json_t *result = NULL;

	if (rc == JD_OK)
		rc = reply_to_json(reply, &result);
	x->cb(rc, rc == JD_OK ? result : NULL, x->arg);
	json_decref(result);
	free(x);
	store_release(s);
}

static int send_read(struct jd_store *s, int argc, const char **argv, jd_read_cb cb, void *arg)
{
	struct read_ctx *x = malloc(sizeof(*x));
	int rc;

	if (x == NULL)
		return JD_E_NOMEM;
	x->s = s;
	x->cb = cb;
	x->arg = arg;
	rc = jd_redis_command(s->r, argc, argv, NULL, read_reply, x);
	if (rc != JD_OK) {
		free(x);
		return rc;
	}
	s->pending++;
	return JD_OK;
}

int jd_store_read(struct jd_store *s, const char *tenant, int argc, const char **argv,
		  jd_read_cb cb, void *arg)
{
	char key[FULL_KEY_MAX];
	const char **args;
	int rc;

	if (s == NULL || cb == NULL || argv == NULL || argc < 2 || argc > MAX_READ_ARGS ||
	    !jd_store_tenant_valid(tenant))
		return JD_E_INVALID;
	for (int i = 0; i < argc; i++) {
		if (argv[i] == NULL)
			return JD_E_INVALID;
	}
	if (!read_command_allowed(argc, argv[0]) || !key_valid(argv[1]))
		return JD_E_INVALID;
	args = malloc(sizeof(*args) * (size_t)argc);
	if (args == NULL)
		return JD_E_NOMEM;
	snprintf(key, sizeof(key), "jd:{%s}:%s", tenant, argv[1]);
	args[0] = argv[0];
	args[1] = key;
	for (int i = 2; i < argc; i++)
		args[i] = argv[i];
	rc = send_read(s, argc, args, cb, arg);
	free(args);
	return rc;
}

int jd_store_ping(struct jd_store *s, jd_read_cb cb, void *arg)
{
	const char *argv[] = {"PING"};

	if (s == NULL || cb == NULL)
		return JD_E_INVALID;
	return send_read(s, 1, argv, cb, arg);
}

/* ---- Life cycle ------------------------------------------------------------- */

struct jd_store *jd_store_new(struct jd_redis *r)
{
	struct jd_store *s;

	if (r == NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->r = r;
	if (script_sha1(s->sha) != JD_OK) {
		jd_err("store: cannot hash the mutation script", NULL);
		free(s);
		return NULL;
	}
	jd_redis_on_connect(r, on_redis_connect, s);
	if (jd_redis_state(r) == JD_REDIS_OK)
		script_load(s, 1);
	return s;
}

void jd_store_free(struct jd_store *s)
{
	if (s == NULL)
		return;
	jd_redis_on_connect(s->r, NULL, NULL);
	s->freed = 1;
	if (s->pending == 0)
		free(s);
}
