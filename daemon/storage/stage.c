/*
 * Staged writes (stage.h): short scripts under temporary keys, one in
 * flight at a time, each sent when the last one's reply comes, so that a
 * large mutation never holds Redis, nor the one connection every request
 * shares, for more than one short script; and never the loop for more than
 * formatting JD_STAGE_OPS ops.
 *
 * The scripts name the staged keys they derive from the manifest's rather
 * than declaring each: they all carry the tenant's hash tag, so they live
 * in the manifest's slot, and the argument vector stays a quarter smaller.
 * They are sent as EVAL: Redis caches them by digest, and there is no
 * NOSCRIPT to handle.
 */
#include "storage/stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "runtime/log.h"
#include "storage/redis.h"

#define MANIFEST_MAX 128 /* "jd:{" tenant(64) "}:stage:" id(32) NUL */
#define FIXED_ARGS   5	 /* EVAL script 1 manifest ttl */
#define STAGE_ARGS   (FIXED_ARGS + 4 * JD_STAGE_OPS)
#define TXT_(x)	     #x
#define TXT(x)	     TXT_(x)

/*
 * KEYS[1] the manifest; ARGV[1] the keys' lifetime in ms, then (kind,
 * relative key, member, value) per op.  Each staged key is added to the
 * manifest and given its lifetime when first written.  Answers the
 * manifest's size.
 */
static const char stage_script[] =
    "local man, ttl = KEYS[1], ARGV[1]\n"
    "local seen = {}\n"
    "for i = 2, #ARGV, 4 do\n"
    "  local kind, rel, m, v = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]\n"
    "  local k = man .. ':' .. rel\n"
    "  if kind == 'hset' then redis.call('HSET', k, m, v)\n"
    "  elseif kind == 'zadd' then redis.call('ZADD', k, v, m)\n"
    "  else redis.call('SADD', k, m) end\n"
    "  if not seen[k] then\n"
    "    seen[k] = true\n"
    "    redis.call('SADD', man, rel)\n"
    "    redis.call('PEXPIRE', k, ttl)\n"
    "  end\n"
    "end\n"
    "redis.call('PEXPIRE', man, ttl)\n"
    "return redis.call('SCARD', man)\n";

/*
 * KEYS[1] the manifest; deletes up to ARGV[1] of the keys it lists (and
 * takes them off it).  Answers how many are left.
 */
static const char discard_script[] = "local rels = redis.call('SPOP', KEYS[1], ARGV[1])\n"
				     "for _, rel in ipairs(rels) do\n"
				     "  redis.call('UNLINK', KEYS[1] .. ':' .. rel)\n"
				     "end\n"
				     "return redis.call('SCARD', KEYS[1])\n";

struct jd_stage {
	struct jd_redis *r;
	const struct jd_op *ops;
	size_t n, at; /* ops staged so far */
	size_t count; /* keys the manifest lists */
	jd_stage_cb cb;
	void *arg;
	char manifest[MANIFEST_MAX];
	const char *argv[STAGE_ARGS];
	size_t lens[STAGE_ARGS];
};

int jd_stage_stageable(const struct jd_op *ops, size_t n, const char *record)
{
	for (size_t i = 0; i < n; i++) {
		enum jd_op_kind k = ops[i].kind;

		if (k != JD_OP_HSET && k != JD_OP_ZADD && k != JD_OP_SADD)
			return 0;
		if (strcmp(ops[i].key, record) == 0)
			return 0;
	}
	return 1;
}

static const char *kind_name(enum jd_op_kind k)
{
	return k == JD_OP_HSET ? "hset" : k == JD_OP_ZADD ? "zadd" : "sadd";
}

static void staged(int rc, redisReply *reply, void *arg);

/* The next JD_STAGE_OPS ops as one script. */
static int send_next(struct jd_stage *st)
{
	size_t to = st->at + JD_STAGE_OPS < st->n ? st->at + JD_STAGE_OPS : st->n;
	int argc = FIXED_ARGS;

	st->argv[0] = "EVAL";
	st->argv[1] = stage_script;
	st->argv[2] = "1";
	st->argv[3] = st->manifest;
	st->argv[4] = TXT(JD_STAGE_TTL_MS);
	for (size_t i = st->at; i < to; i++) {
		const struct jd_op *op = &st->ops[i];

		st->argv[argc++] = kind_name(op->kind);
		st->argv[argc++] = op->key;
		st->argv[argc++] = op->member != NULL ? op->member : "";
		st->argv[argc++] = op->value != NULL ? op->value : "";
	}
	for (int i = 0; i < argc; i++)
		st->lens[i] = strlen(st->argv[i]);
	st->at = to;
	return jd_redis_command(st->r, argc, st->argv, st->lens, staged, st);
}

static int reply_count(const redisReply *reply, size_t *out)
{
	if (reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0) {
		*out = (size_t)reply->integer;
		return JD_OK;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		char q[300];

		jd_err("stage: a staging script failed", "err=%s",
		       jd_log_quote(q, sizeof(q), reply->str ? reply->str : ""));
	}
	return JD_ERR;
}

static void staged(int rc, redisReply *reply, void *arg)
{
	struct jd_stage *st = arg;

	if (rc == JD_OK)
		rc = reply_count(reply, &st->count);
	if (rc == JD_OK && st->at < st->n) {
		rc = send_next(st);
		if (rc == JD_OK)
			return;
	}
	st->cb(rc, st->arg);
}

struct jd_stage *jd_stage_start(struct jd_redis *r, const char *tenant, const struct jd_op *ops,
				size_t n, jd_stage_cb cb, void *arg)
{
	struct jd_stage *st = calloc(1, sizeof(*st));
	unsigned char id[16];
	char hex[33];

	if (st == NULL)
		return NULL;
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(hex, sizeof(hex), id, sizeof(id));
	*st = (struct jd_stage){.r = r, .ops = ops, .n = n, .cb = cb, .arg = arg};
	snprintf(st->manifest, sizeof(st->manifest), "jd:{%s}:%s:%s", tenant, JD_STAGE_KEY, hex);
	if (send_next(st) != JD_OK) {
		free(st);
		return NULL;
	}
	return st;
}

const char *jd_stage_manifest(const struct jd_stage *st)
{
	return st->manifest;
}

size_t jd_stage_count(const struct jd_stage *st)
{
	return st->count;
}

static void discarded(int rc, redisReply *reply, void *arg);

static int discard_next(struct jd_stage *st)
{
	const char *argv[] = {"EVAL", discard_script, "1", st->manifest, TXT(JD_STAGE_OPS)};

	return jd_redis_command(st->r, 5, argv, NULL, discarded, st);
}

static void discarded(int rc, redisReply *reply, void *arg)
{
	struct jd_stage *st = arg;
	size_t left = 0;

	if (rc == JD_OK && reply_count(reply, &left) == JD_OK && left > 0 &&
	    discard_next(st) == JD_OK)
		return;
	if (left > 0 || rc != JD_OK) /* they expire within JD_STAGE_TTL_MS anyway */
		jd_warn("stage: staged keys left to expire", "manifest=%s rc=%d", st->manifest, rc);
	free(st);
}

void jd_stage_end(struct jd_stage *st, int committed)
{
	if (st == NULL)
		return;
	if (committed || discard_next(st) != JD_OK)
		free(st);
}
