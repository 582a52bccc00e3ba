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
 * that counters hold integers) before its first write, with as few reads
 * as it can: a read that fails on a key of another type (HGET, HMGET, GET)
 * is its own check, so TYPE is asked only of keys no read touches, once a
 * key; the counters of one hash are read in one HMGET; and a write an
 * earlier op of the same mutation already made (the same SADD twice) is
 * not made again.
 */
#include "storage/store.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "audit/audit.h"
#include "audit/audit_log.h"
#include "security/auth.h"
#include "runtime/log.h"
#include "runtime/slice.h"
#include "storage/redis.h"
#include "storage/replica_wait.h"
#include "storage/stage.h"
#include "transport/request.h"

#define TENANT_MAX 64
#define KEY_MAX	   200
/* "jd:{" tenant "}:" "idem:" key NUL */
#define FULL_KEY_MAX	  (4 + TENANT_MAX + 2 + 5 + KEY_MAX + 1)
#define IDEM_PREFIX	  "idem:"
#define AUDIT_KEY	  "audit" /* "audit" and "audit:*" are the store's own */
#define IDEM_TTL_S	  86400
#define EVENT_NAME_MAX	  100
#define EVENT_PAYLOAD_MAX 65536
#define PUBLISHER_DEF	  "core"
#define MAX_FIELDS	  1024
#define MAX_OPS		  50000 /* an org import writes a county in one step */
#define MAX_READ_ARGS	  1024

/* The script's answer: {version, outcome, relative record key}. */
#define OUTCOME_APPLIED	 0
#define OUTCOME_REPLAYED 1
#define OUTCOME_CONFLICT 2
#define OUTCOME_STALE	 3     /* audit: {actual head seq, 3, actual chain}; we hold the turn */
#define OUTCOME_YIELD	 4     /* audit: as 3, but another writer holds the turn */
#define AUDIT_TRIES	 32    /* sends of one mutation against a moving chain head */
#define AUDIT_BACKOFF_MS 64    /* the longest random wait before a resend */
#define AUDIT_TURN_MS	 "250" /* how long a writer that lost the head keeps the next turn */
#define AUDIT_TURN_KEY	 AUDIT_KEY ":turn"
#define FIXED_NKEYS	 5 /* record, idempotency, audit stream, audit head, event stream */
#define AUDIT_SYSTEM	 "system"

/*
 * KEYS[1] the record hash, KEYS[2] the idempotency key (the record again
 * when there is none: ARGV[2] says which), KEYS[3] the tenant's audit
 * stream and KEYS[4] its head "seq chain" (the record again when the
 * mutation is not audited: ARGV[8] says which), KEYS[5] the tenant's
 * event stream (the record again when the mutation publishes nothing),
 * KEYS[6+i] the key of op i and, when audited, KEYS[6+nops] the tenant's
 * audit turn (see below).
 * ARGV: expected version, has_idem, idem TTL, nset, ndel, nops, the
 * record's relative key, has_audit, the audit head jiandud expects (seq,
 * chain), nevents, then nset field/value pairs, ndel fields, nops (kind,
 * member, value) triples, nevents (name, tenant, publisher, payload)
 * quadruples and, when audited, the entry's 13 field/value pairs, this
 * writer's id and the turn's lifetime in ms; last, the count of keys
 * the staged writes' manifest lists and the manifest (stage.h; "" when
 * none).  The idempotency key keeps "version record" so that a retry learns which
 * record the first call wrote.
 *
 * Staged writes: after the ops' checks every staged key and its
 * destination are checked (the manifest complete, the types agreeing);
 * after the ops' writes each is moved into place, by RENAME (then PERSIST:
 * it carried the stage's lifetime) when the destination is new, else
 * merged into it, and the manifest goes.  So a staged mutation is as
 * atomic as any other, and its script does one or two commands per key
 * instead of one per op.
 *
 * Events (the transactional outbox): each is XADDed to the event stream
 * after the record's writes, in the same script, so the change and the
 * events it causes are written together or not at all; a replay or a
 * conflict publishes nothing.
 *
 * Audit: every precondition (idempotency, version, key types, counters,
 * and the chain head equal to the one expected) is checked before the
 * first write; a stale head returns {actual seq, 3, actual chain} and
 * writes nothing but the turn.  A replay or a conflict appends nothing: nothing changed,
 * and the entry of the call that made the change is already there.  The
 * head key makes the compare O(1); when it is missing (a tenant written
 * before auditing, or the key deleted) the stream's last entry is the head.
 *
 * The turn keeps two writers on one chain (two daemons on one Redis) from
 * starving each other: the one that finds the head moved takes the next
 * turn (for AUDIT_TURN_MS at most, should it die), and until it appends
 * every other writer is answered {seq, 4, chain} and waits a random while.
 * Without it the writer with work queued wins every round.
 */
static const char mutate_script[] =
    "local rec = KEYS[1]\n"
    "local expect = tonumber(ARGV[1])\n"
    "local has_idem = ARGV[2] == '1'\n"
    "local has_audit = ARGV[8] == '1'\n"
    "if has_idem then\n"
    "  local seen = redis.call('GET', KEYS[2])\n"
    "  if seen then\n"
    "    local sv, srec = string.match(seen, '^(%d+) (.*)$')\n"
    "    return {tonumber(sv), 1, srec}\n"
    "  end\n"
    "end\n"
    "local cur = tonumber(redis.call('HGET', rec, '_v')) or 0\n"
    "if expect == 0 then\n"
    "  if cur ~= 0 or redis.call('EXISTS', rec) == 1 then return {cur, 2, ARGV[7]} end\n"
    "elseif expect > 0 and cur ~= expect then\n"
    "  return {cur, 2, ARGV[7]}\n"
    "end\n"
    "local nset, ndel, nops = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "local nev = tonumber(ARGV[11])\n"
    "local sets = 12\n"
    "local dels = sets + 2 * nset\n"
    "local ops = dels + ndel\n"
    "local evs = ops + 3 * nops\n"
    "local fv = evs + 4 * nev\n"
    "local want = {sadd = 'set', srem = 'set', zadd = 'zset', zrem = 'zset',\n"
    "  hincrby = 'hash', hset = 'hash', hdel = 'hash', incrby = 'string', check = 'hash'}\n"
    "local function fail(msg) return redis.error_reply('ERR jd: ' .. msg) end\n"
    "local function is_int(s)\n"
    "  return s == '0' or (#s <= 20 and string.match(s, '^-?[1-9]%d*$') ~= nil)\n"
    "end\n"
    "local planned, keys, fields = {[rec] = 'hash'}, {}, {}\n"
    "local checked = {[rec] = true}\n"
    "for i = 0, nops - 1 do\n"
    "  local o = ops + 3 * i\n"
    "  local kind, key = ARGV[o], KEYS[6 + i]\n"
    "  local w = want[kind]\n"
    "  if not w then return fail('unknown op') end\n"
    "  if planned[key] and planned[key] ~= w then\n"
    "    return fail('two ops use one key as different types')\n"
    "  end\n"
    "  if not planned[key] then keys[#keys + 1] = key end\n"
    "  planned[key] = w\n"
    "  if kind == 'hincrby' then\n"
    "    if not fields[key] then fields[key] = {} end\n"
    "    table.insert(fields[key], ARGV[o + 1])\n"
    "  elseif kind == 'incrby' and not checked[key] then\n"
    "    local old = redis.call('GET', key)\n"
    "    if old and not is_int(old) then return fail('a counter is not an integer') end\n"
    "    checked[key] = true\n"
    "  elseif kind == 'check' then\n"
    "    if (tonumber(redis.call('HGET', key, '_v')) or 0) ~= tonumber(ARGV[o + 2]) then\n"
    "      return {cur, 2, ARGV[7]}\n"
    "    end\n"
    "    checked[key] = true\n"
    "  end\n"
    "end\n"
    "for _, key in ipairs(keys) do\n"
    "  local f = fields[key]\n"
    "  if f then\n"
    "    local old = redis.call('HMGET', key, unpack(f))\n"
    "    for j = 1, #f do\n"
    "      if old[j] and not is_int(old[j]) then return fail('a counter is not an integer') end\n"
    "    end\n"
    "  elseif not checked[key] then\n"
    "    local kt = redis.call('TYPE', key)['ok']\n"
    "    if kt ~= 'none' and kt ~= planned[key] then return fail('an op key holds another type') "
    "end\n"
    "  end\n"
    "end\n"
    "local staged, man = {}, ARGV[#ARGV]\n"
    "if man ~= '' then\n"
    "  local base = string.match(rec, '^(jd:{[^}]*}:)')\n"
    "  local rels = redis.call('SMEMBERS', man)\n"
    "  if #rels ~= tonumber(ARGV[#ARGV - 1]) then return fail('the staged writes are gone') end\n"
    "  for _, rel in ipairs(rels) do\n"
    "    local src, dst = man .. ':' .. rel, base .. rel\n"
    "    local st, dt = redis.call('TYPE', src)['ok'], redis.call('TYPE', dst)['ok']\n"
    "    if st ~= 'hash' and st ~= 'zset' and st ~= 'set' then\n"
    "      return fail('a staged key is gone')\n"
    "    end\n"
    "    if dt ~= 'none' and dt ~= st then return fail('an op key holds another type') end\n"
    "    if planned[dst] or dst == KEYS[3] or dst == KEYS[4] or dst == KEYS[5] then\n"
    "      return fail('a staged key is an audit or event key')\n"
    "    end\n"
    "    staged[#staged + 1] = {src, dst, st, dt}\n"
    "  end\n"
    "end\n"
    "if nev > 0 then\n"
    "  if planned[KEYS[5]] then return fail('an op uses the event stream') end\n"
    "  local et = redis.call('TYPE', KEYS[5])['ok']\n"
    "  if et ~= 'none' and et ~= 'stream' then return fail('the event stream is not a stream') "
    "end\n"
    "end\n"
    "local turn\n"
    "if has_audit then\n"
    "  if planned[KEYS[3]] or planned[KEYS[4]] then return fail('an op uses an audit key') end\n"
    "  local st = redis.call('TYPE', KEYS[3])['ok']\n"
    "  if st ~= 'none' and st ~= 'stream' then return fail('the audit stream is not a stream') "
    "end\n"
    "  local hseq, hchain = 0, string.rep('0', 64)\n"
    "  local head = redis.call('GET', KEYS[4])\n"
    "  if head then\n"
    "    local a, b = string.match(head, '^(%d+) (%x+)$')\n"
    "    if not a then return fail('the audit head is malformed') end\n"
    "    hseq, hchain = tonumber(a), b\n"
    "  elseif st == 'stream' then\n"
    "    local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)\n"
    "    if #last == 1 then\n"
    "      local f = last[1][2]\n"
    "      for j = 1, #f - 1, 2 do\n"
    "        if f[j] == 'seq' then hseq = tonumber(f[j + 1]) or -1\n"
    "        elseif f[j] == 'chain' then hchain = f[j + 1] end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  local tk = KEYS[6 + nops]\n"
    "  if planned[tk] then return fail('an op uses an audit key') end\n"
    "  turn = redis.call('GET', tk)\n"
    "  local me = ARGV[fv + 26]\n"
    "  if turn and turn ~= me then return {hseq, 4, hchain} end\n"
    "  if hseq ~= tonumber(ARGV[9]) or hchain ~= ARGV[10] then\n"
    "    redis.call('SET', tk, me, 'PX', ARGV[fv + 27])\n"
    "    return {hseq, 3, hchain}\n"
    "  end\n"
    "end\n"
    "if nset > 0 then redis.call('HSET', rec, unpack(ARGV, sets, dels - 1)) end\n"
    "if ndel > 0 then redis.call('HDEL', rec, unpack(ARGV, dels, ops - 1)) end\n"
    "local last = {}\n"
    "for i = 0, nops - 1 do\n"
    "  local o = ops + 3 * i\n"
    "  local kind, key, m, v = ARGV[o], KEYS[6 + i], ARGV[o + 1], ARGV[o + 2]\n"
    "  local at, op = key .. '\\0' .. m, kind .. '\\0' .. v\n"
    "  local again = last[at] == op and kind ~= 'hincrby' and kind ~= 'incrby'\n"
    "  last[at] = op\n"
    "  if again then kind = 'check' end\n"
    "  if kind == 'sadd' then redis.call('SADD', key, m)\n"
    "  elseif kind == 'srem' then redis.call('SREM', key, m)\n"
    "  elseif kind == 'zadd' then redis.call('ZADD', key, v, m)\n"
    "  elseif kind == 'zrem' then redis.call('ZREM', key, m)\n"
    "  elseif kind == 'hincrby' then redis.call('HINCRBY', key, m, v)\n"
    "  elseif kind == 'hset' then redis.call('HSET', key, m, v)\n"
    "  elseif kind == 'hdel' then redis.call('HDEL', key, m)\n"
    "  elseif kind == 'incrby' then redis.call('INCRBY', key, v) end\n"
    "end\n"
    "for _, s in ipairs(staged) do\n"
    "  local src, dst, st, dt = s[1], s[2], s[3], s[4]\n"
    "  if dt == 'none' then\n"
    "    redis.call('RENAME', src, dst)\n"
    "    redis.call('PERSIST', dst)\n"
    "  else\n"
    "    local all, a = redis.call(st == 'hash' and 'HGETALL' or st == 'set' and 'SMEMBERS' or\n"
    "      'ZRANGE', src, unpack(st == 'zset' and {0, -1, 'WITHSCORES'} or {})), {}\n"
    "    local cmd = st == 'hash' and 'HSET' or st == 'set' and 'SADD' or 'ZADD'\n"
    "    for i = 1, #all do\n"
    "      local j = i\n"
    "      if st == 'zset' then j = i % 2 == 1 and i + 1 or i - 1 end\n"
    "      a[#a + 1] = all[j]\n"
    "      if #a == 1000 or i == #all then redis.call(cmd, dst, unpack(a)); a = {} end\n"
    "    end\n"
    "    redis.call('DEL', src)\n"
    "  end\n"
    "end\n"
    "if man ~= '' then redis.call('DEL', man) end\n"
    "for i = 0, nev - 1 do\n"
    "  local e = evs + 4 * i\n"
    "  redis.call('XADD', KEYS[5], '*', 'name', ARGV[e], 'tenant', ARGV[e + 1], 'publisher',\n"
    "    ARGV[e + 2], 'payload', ARGV[e + 3])\n"
    "end\n"
    "local v = redis.call('HINCRBY', rec, '_v', 1)\n"
    "if has_idem then redis.call('SET', KEYS[2], v .. ' ' .. ARGV[7], 'EX', ARGV[3]) end\n"
    "if has_audit then\n"
    "  redis.call('XADD', KEYS[3], '*', unpack(ARGV, fv, fv + 25))\n"
    "  redis.call('SET', KEYS[4], ARGV[fv + 1] .. ' ' .. ARGV[fv + 23])\n"
    "  if turn then redis.call('DEL', KEYS[6 + nops]) end\n"
    "end\n"
    "return {v, 0, ARGV[7]}\n";

/*
 * An audited event that changes no record (jd_store_audit_event): the
 * audit part of mutate_script alone.  KEYS[1] the tenant's audit stream,
 * KEYS[2] its head, KEYS[3] its turn; ARGV[1], ARGV[2] the head jiandud
 * expects (seq, chain), ARGV[3..28] the entry's 13 field/value pairs,
 * ARGV[29] this writer's id, ARGV[30] the turn's lifetime.  Answers like
 * mutate_script: {seq, 0, ""} appended, {actual seq, 3, actual chain} a
 * stale head (nothing written but the turn), 4 another writer's turn.
 */
static const char append_script[] =
    "local function fail(msg) return redis.error_reply('ERR jd: ' .. msg) end\n"
    "local hseq, hchain = 0, string.rep('0', 64)\n"
    "local head = redis.call('GET', KEYS[2])\n"
    "if head then\n"
    "  local a, b = string.match(head, '^(%d+) (%x+)$')\n"
    "  if not a then return fail('the audit head is malformed') end\n"
    "  hseq, hchain = tonumber(a), b\n"
    "else\n"
    "  local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)\n"
    "  if #last == 1 then\n"
    "    local f = last[1][2]\n"
    "    for j = 1, #f - 1, 2 do\n"
    "      if f[j] == 'seq' then hseq = tonumber(f[j + 1]) or -1\n"
    "      elseif f[j] == 'chain' then hchain = f[j + 1] end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local turn = redis.call('GET', KEYS[3])\n"
    "if turn and turn ~= ARGV[29] then return {hseq, 4, hchain} end\n"
    "if hseq ~= tonumber(ARGV[1]) or hchain ~= ARGV[2] then\n"
    "  redis.call('SET', KEYS[3], ARGV[29], 'PX', ARGV[30])\n"
    "  return {hseq, 3, hchain}\n"
    "end\n"
    "redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3, 28))\n"
    "redis.call('SET', KEYS[2], ARGV[4] .. ' ' .. ARGV[26])\n"
    "if turn then redis.call('DEL', KEYS[3]) end\n"
    "return {hseq + 1, 0, ''}\n";

static const char *const op_names[] = {
    [JD_OP_SADD] = "sadd", [JD_OP_SREM] = "srem",	[JD_OP_ZADD] = "zadd",
    [JD_OP_ZREM] = "zrem", [JD_OP_HINCRBY] = "hincrby", [JD_OP_HSET] = "hset",
    [JD_OP_HDEL] = "hdel", [JD_OP_INCRBY] = "incrby",	[JD_OP_CHECK] = "check",
};

static const char *const read_commands[] = {
    "GET",	"HGET",	     "HGETALL", "HMGET",  "HEXISTS",	   "HLEN",	"HKEYS",
    "SMEMBERS", "SISMEMBER", "SCARD",	"ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYSCORE",
    "ZCARD",	"ZCOUNT",    "ZSCORE",	"ZRANK",  "EXISTS",	   "LRANGE",	"LLEN",
    "XRANGE",	"XREVRANGE", "XLEN",	"TYPE",	  "TTL",
};

struct jd_store {
	struct jd_redis *r;
	struct jd_audit_log *audit; /* NULL: mutations are not audited */
	char sha[41];
	char sha_append[41]; /* append_script's */
	unsigned pending;    /* our commands in flight: freeing waits for them */
	unsigned loads;	     /* SCRIPT LOADs in flight */
	int freed;
	char writer[33];		  /* this process's id in the audit turn */
	struct jd_replica_policy replica; /* durability = replica: WAIT after each write */
};

struct mutate_ctx {
	struct jd_audit_waiter w; /* first: the queue of a tenant's audited mutations */
	struct jd_store *s;
	jd_mutate_cb cb;
	void *arg;
	int retried;
	int argc;
	const char **argv;
	size_t *lens;
	/* audited mutations only */
	int audited;
	int tries;
	unsigned epoch;	       /* the pipeline's epoch its entry was built in (audit_log.h) */
	struct event *backoff; /* the wait before a resend, yielding the turn */
	int i_head;	       /* argv index of the expected head's seq (chain follows) */
	int i_fv;	       /* argv index of the entry's first field name */
	char tenant[TENANT_MAX + 1];
	struct jd_audit_entry e;
	char seq_txt[JD_AUDIT_SEQ_TXT];
	char head_seq[JD_AUDIT_SEQ_TXT];
	char head_chain[JD_AUDIT_HEX];
	char time[40];
	char digest[JD_AUDIT_HEX];
	/* durability = replica: the answer waits for the last WAIT */
	struct jd_replica_gate gate;
	int held_rc;
	int held_has_res;
	struct jd_mutate_result held_res; /* its record copied into held_record */
	char *held_record;
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

/* key is `name` or starts "name:" */
static int key_in(const char *key, const char *name)
{
	size_t n = strlen(name);

	return strncmp(key, name, n) == 0 && (key[n] == '\0' || key[n] == ':');
}

/* Keys a caller may write: idempotency keys, the audit trail and the event stream are ours. */
static int writable_key_valid(const char *key)
{
	return key_valid(key) && strncmp(key, IDEM_PREFIX, strlen(IDEM_PREFIX)) != 0 &&
	       !key_in(key, AUDIT_KEY) && !key_in(key, JD_STORE_EVENTS_KEY) &&
	       !key_in(key, JD_STAGE_KEY);
}

/* Event names: 1..100 of [a-z0-9_.-], the first a letter. */
static int event_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > EVENT_NAME_MAX || name[0] < 'a' || name[0] > 'z')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return 0;
	}
	return 1;
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
	int needs_member = op->kind != JD_OP_INCRBY && op->kind != JD_OP_CHECK;
	int needs_int = op->kind == JD_OP_ZADD || op->kind == JD_OP_HINCRBY ||
			op->kind == JD_OP_INCRBY || op->kind == JD_OP_CHECK;

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
	/* the record has its own check (expect_version); versions are not negative */
	if (op->kind == JD_OP_CHECK && (strcmp(op->key, record) == 0 || op->value[0] == '-'))
		return 0;
	/* an op must not reach the record's reserved fields either */
	if (strcmp(op->key, record) == 0 && needs_member && op->member[0] == '_')
		return 0;
	return 1;
}

/* A mutation as checked, with what the store adds to it. */
struct plan {
	const struct jd_mutation *m;
	size_t nset, ndel;
	const char *idem;		     /* the caller's idempotency key, or the event's */
	long long idem_ttl;		     /* seconds */
	const char *publisher;		     /* names the events' publisher */
	char *payloads[JD_STORE_EVENTS_MAX]; /* m->n_events, serialized */
	const char *stage;		     /* the manifest of staged writes (stage.h), or NULL */
	size_t stage_n;			     /* the keys it lists */
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < JD_STORE_EVENTS_MAX; i++)
		free(p->payloads[i]);
}

/* The events: names checked, payloads (objects; NULL is {}) serialized. */
static int plan_events(struct plan *p)
{
	const struct jd_mutation *m = p->m;

	if (m->n_events > JD_STORE_EVENTS_MAX || (m->n_events > 0 && m->events == NULL))
		return JD_E_INVALID;
	for (size_t i = 0; i < m->n_events; i++) {
		const json_t *pl = m->events[i].payload;

		if (!event_name_valid(m->events[i].name) || (pl != NULL && !json_is_object(pl)))
			return JD_E_INVALID;
		p->payloads[i] = pl ? json_dumps(pl, JSON_COMPACT) : strdup("{}");
		if (p->payloads[i] == NULL)
			return JD_E_NOMEM;
		if (strlen(p->payloads[i]) > EVENT_PAYLOAD_MAX)
			return JD_E_INVALID;
	}
	return JD_OK;
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

/* The audit part of a mutation: the expected head and the entry's fields. */
struct audit_args {
	const char *head_seq;
	const char *head_chain;
	const char *fv[2 * JD_AUDIT_NFIELDS];
	const char *writer;
	int i_head, i_fv; /* filled by build_mutation */
};

/* The parts of the argument vector before the ops' keys, up to the events' key. */
static void build_head(struct argv_builder *b, const struct plan *p, const char *sha,
		       const struct audit_args *a)
{
	const struct jd_mutation *m = p->m;
	const char *t = m->tenant;

	emit_str(b, "EVALSHA");
	emit_str(b, sha);
	emit_num(b, FIXED_NKEYS + (long long)m->n_ops + (a != NULL));
	emit_key(b, t, "", m->record);
	if (p->idem != NULL)
		emit_key(b, t, IDEM_PREFIX, p->idem);
	else
		emit_key(b, t, "", m->record);
	if (a != NULL) {
		emit_key(b, t, "", AUDIT_KEY);
		emit_key(b, t, "", AUDIT_KEY ":head");
	} else {
		emit_key(b, t, "", m->record);
		emit_key(b, t, "", m->record);
	}
	emit_key(b, t, "", m->n_events > 0 ? JD_STORE_EVENTS_KEY : m->record);
}

/* Between the ops' keys and their arguments: the turn key, the scalars, set and del. */
static void build_middle(struct argv_builder *b, const struct plan *p, struct audit_args *a)
{
	const struct jd_mutation *m = p->m;
	size_t nset = p->nset, ndel = p->ndel;

	if (a != NULL)
		emit_key(b, m->tenant, "", AUDIT_TURN_KEY);
	emit_num(b, m->expect_version);
	emit_str(b, p->idem != NULL ? "1" : "0");
	emit_num(b, p->idem_ttl);
	emit_num(b, (long long)nset);
	emit_num(b, (long long)ndel);
	emit_num(b, (long long)m->n_ops);
	emit_str(b, m->record);
	emit_str(b, a != NULL ? "1" : "0");
	if (a != NULL)
		a->i_head = b->argc;
	emit_str(b, a != NULL ? a->head_seq : "0");
	emit_str(b, a != NULL ? a->head_chain : "");
	emit_num(b, (long long)m->n_events);
	for (size_t i = 0; i < 2 * nset; i++)
		emit_str(b, m->set[i]);
	for (size_t i = 0; i < ndel; i++)
		emit_str(b, m->del[i]);
}

/* After the ops' arguments: the events and the audit entry. */
static void build_tail(struct argv_builder *b, const struct plan *p, struct audit_args *a)
{
	const struct jd_mutation *m = p->m;

	for (size_t i = 0; i < m->n_events; i++) {
		emit_str(b, m->events[i].name);
		emit_str(b, m->tenant);
		emit_str(b, p->publisher);
		emit_str(b, p->payloads[i]);
	}
	if (a != NULL) {
		a->i_fv = b->argc;
		for (size_t i = 0; i < 2 * JD_AUDIT_NFIELDS; i++)
			emit_str(b, a->fv[i]);
		emit_str(b, a->writer);
		emit_str(b, AUDIT_TURN_MS);
	}
	/* always last: the script finds them at #ARGV */
	emit_num(b, (long long)p->stage_n);
	emit_str(b, p->stage != NULL ? p->stage : "");
}

/* Units of the argument vector: the head, each op's key, the middle, each op's arguments, the tail.
 */
static size_t build_units(const struct plan *p)
{
	return 2 * p->m->n_ops + 3;
}

/* Emits units [from, to) of the argument vector, in order (build_units). */
static void build_range(struct argv_builder *b, const struct plan *p, const char *sha,
			struct audit_args *a, size_t from, size_t to)
{
	size_t n = p->m->n_ops;

	for (size_t u = from; u < to; u++) {
		if (u == 0) {
			build_head(b, p, sha, a);
		} else if (u <= n) {
			emit_key(b, p->m->tenant, "", p->m->ops[u - 1].key);
		} else if (u == n + 1) {
			build_middle(b, p, a);
		} else if (u <= 2 * n + 1) {
			const struct jd_op *op = &p->m->ops[u - n - 2];

			emit_str(b, op_names[op->kind]);
			emit_str(b, op->member ? op->member : "");
			emit_str(b, op->value ? op->value : "");
		} else {
			build_tail(b, p, a);
		}
	}
}

static void build_mutation(struct argv_builder *b, const struct plan *p, const char *sha,
			   struct audit_args *a)
{
	build_range(b, p, sha, a, 0, build_units(p));
}

/* The ctx and its one allocation for the argv that a counting pass (b) measured; NULL: memory. */
static struct mutate_ctx *mutate_ctx_alloc(const struct argv_builder *counted,
					   struct argv_builder *fill)
{
	struct mutate_ctx *x;
	char *mem = malloc(sizeof(*x) + (size_t)counted->argc * (sizeof(char *) + sizeof(size_t)) +
			   counted->bytes);

	if (mem == NULL)
		return NULL;
	x = (struct mutate_ctx *)mem;
	memset(x, 0, sizeof(*x));
	x->argv = (const char **)(mem + sizeof(*x));
	x->lens = (size_t *)(x->argv + counted->argc);
	x->argc = counted->argc;
	*fill = (struct argv_builder){
	    .argv = x->argv, .lens = x->lens, .p = (char *)(x->lens + x->argc)};
	return x;
}

static struct mutate_ctx *mutate_ctx_new(const struct jd_store *s, const struct plan *p,
					 struct audit_args *a)
{
	struct argv_builder b = {0}, fill;
	struct mutate_ctx *x;

	build_mutation(&b, p, s->sha, a);
	x = mutate_ctx_alloc(&b, &fill);
	if (x != NULL)
		build_mutation(&fill, p, s->sha, a);
	return x;
}

/* ---- The audit entry ------------------------------------------------------ */

/*
 * SHA-256 fed in buffered pieces: a change is hundreds of short
 * length-prefixed fields, and one crypto_hash_sha256_update each cost more
 * than hashing them; the digest is the same (the stream is the same bytes).
 */
struct digest {
	crypto_hash_sha256_state st;
	size_t n;
	unsigned char buf[1024];
};

static void digest_init(struct digest *d)
{
	crypto_hash_sha256_init(&d->st);
	d->n = 0;
}

static void digest_bytes(struct digest *d, const void *p, size_t n)
{
	if (d->n + n > sizeof(d->buf)) {
		crypto_hash_sha256_update(&d->st, d->buf, d->n);
		d->n = 0;
	}
	if (n > sizeof(d->buf)) {
		crypto_hash_sha256_update(&d->st, p, n);
		return;
	}
	memcpy(d->buf + d->n, p, n);
	d->n += n;
}

static void digest_final(struct digest *d, unsigned char out[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256_update(&d->st, d->buf, d->n);
	crypto_hash_sha256_final(&d->st, out);
	sodium_memzero(d, sizeof(*d));
}

static void digest_put(struct digest *st, const void *p, size_t n)
{
	unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
				(unsigned char)(n >> 8), (unsigned char)n};

	digest_bytes(st, len, sizeof(len));
	digest_bytes(st, p, n);
}

static void digest_str(struct digest *st, const char *s)
{
	digest_put(st, s ? s : "", s ? strlen(s) : 0);
}

/* Values enter as their BLAKE2b-256: a sealed field's ciphertext, never a plaintext. */
static void digest_value(struct digest *st, const char *v)
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)(v ? v : ""), v ? strlen(v) : 0,
			   NULL, 0);
	digest_put(st, h, sizeof(h));
}

/*
 * The change's digest: SHA-256 over "jd-change-v1", the record key, the
 * set fields (name, BLAKE2b of the value), the deleted names and the ops
 * (kind, key, member, BLAKE2b of the value) and the events published (name,
 * BLAKE2b of the payload), each length-prefixed and the lists preceded by
 * their counts (the events' only when there are some).
 */
static void digest_begin(const struct plan *p, struct digest *st)
{
	const struct jd_mutation *m = p->m;
	char n[24];

	digest_init(st);
	digest_str(st, "jd-change-v1");
	digest_str(st, m->record);
	snprintf(n, sizeof(n), "%zu", p->nset);
	digest_str(st, n);
	for (size_t i = 0; i < p->nset; i++) {
		digest_str(st, m->set[2 * i]);
		digest_value(st, m->set[2 * i + 1]);
	}
	snprintf(n, sizeof(n), "%zu", p->ndel);
	digest_str(st, n);
	for (size_t i = 0; i < p->ndel; i++)
		digest_str(st, m->del[i]);
	snprintf(n, sizeof(n), "%zu", m->n_ops);
	digest_str(st, n);
}

/* ops [from, to) */
static void digest_ops(const struct plan *p, struct digest *st, size_t from, size_t to)
{
	const struct jd_op *ops = p->m->ops;

	for (size_t i = from; i < to; i++) {
		digest_str(st, op_names[ops[i].kind]);
		digest_str(st, ops[i].key);
		digest_str(st, ops[i].member);
		digest_value(st, ops[i].value);
	}
}

static void digest_end(const struct plan *p, struct digest *st, char out[JD_AUDIT_HEX])
{
	const struct jd_mutation *m = p->m;
	unsigned char h[crypto_hash_sha256_BYTES];
	char n[24];

	/* then, only when it publishes (older entries stay verifiable): its events */
	if (m->n_events > 0) {
		snprintf(n, sizeof(n), "%zu", m->n_events);
		digest_str(st, n);
	}
	for (size_t i = 0; i < m->n_events; i++) {
		digest_str(st, m->events[i].name);
		digest_value(st, p->payloads[i]);
	}
	digest_final(st, h);
	sodium_bin2hex(out, JD_AUDIT_HEX, h, sizeof(h));
}

static void change_digest(const struct plan *p, char out[JD_AUDIT_HEX])
{
	struct digest st;

	digest_begin(p, &st);
	digest_ops(p, &st, 0, p->m->n_ops);
	digest_end(p, &st, out);
}

/* RFC 3339, UTC, milliseconds. */
static int now_rfc3339(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return JD_ERR;
	if (snprintf(out, len, "%.24s.%03dZ", base, (int)(ts.tv_nsec / 1000000L) % 1000) >=
	    (int)len)
		return JD_ERR;
	return JD_OK;
}

/* The variable parts of an entry: the head it chains on, its seq and time. */
struct entry_stamp {
	char seq_txt[JD_AUDIT_SEQ_TXT];
	char head_seq[JD_AUDIT_SEQ_TXT];
	char head_chain[JD_AUDIT_HEX];
	char time[40];
};

/*
 * Builds e on the tenant's tip (the head once the entries in flight have
 * appended: seq + 1, prev = its chain), stamps the time and seals it; the
 * texts go to the caller's buffers (head_seq, head_chain, seq_txt, tbuf of
 * 40 bytes), the tip's epoch to *epoch.
 */
static int stamp_entry(struct jd_audit_log *l, const char *tenant, struct jd_audit_entry *e,
		       char *head_seq, char *head_chain, char *seq_txt, char *tbuf, unsigned *epoch)
{
	uint64_t head;

	if (jd_audit_log_held(l, tenant))
		return JD_E_UNAVAILABLE; /* the head moved back: never chain from it */
	jd_audit_log_tip(l, tenant, &head, head_chain, epoch);
	if (head >= JD_AUDIT_SEQ_MAX)
		return JD_ERR;
	snprintf(head_seq, JD_AUDIT_SEQ_TXT, "%llu", (unsigned long long)head);
	e->seq = head + 1;
	snprintf(seq_txt, JD_AUDIT_SEQ_TXT, "%llu", (unsigned long long)e->seq);
	memcpy(e->prev, head_chain, JD_AUDIT_HEX);
	if (now_rfc3339(tbuf, 40) != JD_OK)
		return JD_ERR;
	e->time = tbuf;
	return jd_audit_seal_entry(jd_audit_log_key(l), e);
}

/*
 * Builds the entry on the head this process knows (seq + 1, prev = its
 * chain), stamps the time and seals it.  When the argv exists, points its
 * variable slots at the ctx's buffers.
 */
static int audit_prepare(struct mutate_ctx *x)
{
	int rc = stamp_entry(x->s->audit, x->tenant, &x->e, x->head_seq, x->head_chain, x->seq_txt,
			     x->time, &x->epoch);

	if (rc != JD_OK)
		return rc;
	if (x->argv != NULL) {
		const struct {
			int i;
			const char *v;
		} slots[] = {
		    {x->i_head, x->head_seq},  {x->i_head + 1, x->head_chain},
		    {x->i_fv + 1, x->seq_txt}, {x->i_fv + 3, x->time},
		    {x->i_fv + 21, x->e.prev}, {x->i_fv + 23, x->e.chain},
		    {x->i_fv + 25, x->e.tag},
		};

		for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
			x->argv[slots[i].i] = slots[i].v;
			x->lens[slots[i].i] = strlen(slots[i].v);
		}
	}
	return JD_OK;
}

/*
 * Fills x->e from the mutation (text fields borrowed from m and its
 * request until the argv copies them) and seals it.
 */
static int audit_entry_init(struct mutate_ctx *x, const struct plan *p, int have_digest)
{
	const struct jd_mutation *m = p->m;
	const struct jd_req *req = m->req;

	snprintf(x->tenant, sizeof(x->tenant), "%s", m->tenant);
	if (!have_digest)
		change_digest(p, x->digest);
	x->e = (struct jd_audit_entry){
	    .actor = req ? req->principal.name : AUDIT_SYSTEM,
	    .cred = req ? jd_auth_cred_name(req->principal.cred) : "none",
	    .source = req ? req->source : "",
	    .action = m->action ? m->action : "store.mutate",
	    .target = m->record,
	    .req = req ? req->id : "",
	    .outcome = "ok",
	    .digest = x->digest,
	};
	if (x->e.actor == NULL)
		x->e.actor = "";
	return audit_prepare(x);
}

/* After the argv holds copies: the entry's fixed text fields point at them. */
static void audit_entry_rebase(struct mutate_ctx *x)
{
	const char **v = x->argv + x->i_fv;

	x->e.actor = v[5];
	x->e.cred = v[7];
	x->e.source = v[9];
	x->e.action = v[11];
	x->e.target = v[13];
	x->e.req = v[15];
	x->e.outcome = v[17];
	x->e.digest = v[19];
}

/* ---- Script loading ---------------------------------------------------------- */

static void store_release(struct jd_store *s)
{
	if (--s->pending == 0 && s->freed) {
		jd_audit_log_free(s->audit);
		free(s);
	}
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
		 (memcmp(reply->str, s->sha, 40) != 0 &&
		  memcmp(reply->str, s->sha_append, 40) != 0))
		jd_err("store: SCRIPT LOAD returned an unexpected digest", NULL);
	store_release(s);
}

/* always: on a new connection; otherwise only if no load is already on its way */
static void script_load(struct jd_store *s, int always)
{
	const char *const scripts[] = {mutate_script, append_script};

	if (!always && s->loads > 0)
		return;
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		const char *argv[] = {"SCRIPT", "LOAD", scripts[i]};
		int rc = jd_redis_command(s->r, 3, argv, NULL, script_loaded, s);

		if (rc != JD_OK) {
			jd_warn("store: cannot send SCRIPT LOAD", "rc=%d", rc);
			return;
		}
		s->pending++;
		s->loads++;
	}
}

static void on_redis_connect(struct jd_redis *r, void *arg)
{
	script_load(arg, 1);
}

static int script_sha1(const char *script, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(script, strlen(script), md, &n, EVP_sha1(), NULL) != 1 || n != 20)
		return JD_ERR;
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return JD_OK;
}

/* ---- Mutations ------------------------------------------------------------ */

#define MUTATE_RETRYING 1
#define MUTATE_STALE	2
#define MUTATE_YIELD	3

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
	case OUTCOME_STALE:
		return MUTATE_STALE;
	case OUTCOME_YIELD:
		return MUTATE_YIELD;
	}
	jd_err("store: unexpected mutation outcome", "outcome=%lld", reply->element[1]->integer);
	return JD_ERR;
}

static void mutate_reply(int rc, redisReply *reply, void *arg);
static void mutate_finish(struct mutate_ctx *x, int rc, const struct jd_mutate_result *res);

/* The held answer, once the last WAIT answered. */
static void mutate_release(struct jd_replica_gate *g)
{
	struct mutate_ctx *x = (struct mutate_ctx *)((char *)g - offsetof(struct mutate_ctx, gate));

	mutate_finish(x, x->held_rc, x->held_has_res ? &x->held_res : NULL);
}

/* The script as it is, and with durability = replica its WAIT right behind it. */
static int script_send(struct mutate_ctx *x)
{
	int rc = jd_redis_command(x->s->r, x->argc, x->argv, x->lens, mutate_reply, x);

	if (rc == JD_OK) {
		x->gate.release = mutate_release;
		jd_replica_wait_send(x->s->r, &x->s->replica, &x->gate);
	}
	return rc;
}

/* Keeps the answer until the WAITs in flight answered; 0 when it may go now. */
static int mutate_hold(struct mutate_ctx *x, int rc, const struct jd_mutate_result *res)
{
	if (!jd_replica_hold(&x->gate))
		return 0;
	x->held_rc = rc;
	x->held_has_res = res != NULL;
	if (res != NULL) {
		x->held_res = *res;
		if (res->record != NULL && res->record != x->held_record) {
			free(x->held_record);
			x->held_record = strdup(res->record);
			if (x->held_record == NULL && x->held_rc == JD_OK)
				x->held_rc = JD_E_NOMEM;
			x->held_res.record = x->held_record;
		}
	}
	return 1;
}

/* The script cache was flushed: resend as EVAL (once) and load it again. */
static int handle_noscript(struct mutate_ctx *x)
{
	int rc;

	x->retried = 1;
	x->argv[0] = "EVAL";
	x->lens[0] = 4;
	x->argv[1] = mutate_script;
	x->lens[1] = strlen(mutate_script);
	rc = script_send(x);
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

/* The system trail's alarm: tenant's head in Redis moved behind the one jiandud saw. */
static void raise_alarm(struct jd_store *s, const char *tenant, long long head)
{
	char target[160];
	uint64_t anchor;
	char chain[JD_AUDIT_HEX];
	struct jd_audit_event ev = {.actor = AUDIT_SYSTEM,
				    .cred = "none",
				    .source = "",
				    .req = "",
				    .action = "audit.head_moved_back",
				    .target = target,
				    .outcome = "refused"};

	jd_audit_log_anchor(s->audit, tenant, &anchor, chain);
	snprintf(target, sizeof(target), "%s: head seq %lld behind seq %llu", tenant, head,
		 (unsigned long long)anchor);
	if (jd_store_audit_event(s, JD_SYSTEM_TENANT, &ev, NULL, NULL) != JD_OK)
		jd_warn("audit: the alarm entry was not appended", "tenant=%s", tenant);
}

/*
 * Adopts the head the script saw, unless it is behind the tenant's anchor
 * (the tail was cut): then JD_E_UNAVAILABLE, and the alarm the first time.
 */
static int adopt_head(struct jd_store *s, const char *tenant, const struct jd_mutate_result *res)
{
	int rc;

	if (res->version < 0)
		return JD_ERR;
	/* with durability = replica, what the script saw may be lost in a failover */
	rc = jd_audit_log_set_head(s->audit, tenant, (uint64_t)res->version, res->record,
				   s->replica.replicas > 0 ? JD_AUDIT_HEAD_UNCONFIRMED : 0);
	if (rc == JD_E_CONFLICT) {
		raise_alarm(s, tenant, res->version);
		return JD_E_UNAVAILABLE;
	}
	if (rc != JD_OK && rc != JD_E_UNAVAILABLE)
		jd_err("store: the audit head in Redis is malformed", "tenant=%s", tenant);
	return rc == JD_OK || rc == JD_E_UNAVAILABLE ? rc : JD_ERR;
}

/*
 * A writer that must yield the chain's turn to another (OUTCOME_YIELD)
 * waits a random while (growing with the tries, at most AUDIT_BACKOFF_MS)
 * before it sends again, the timer (*ev, made on first use) then owning
 * the resend.
 */
static int backoff_arm(struct jd_store *s, struct event **ev, int tries, event_callback_fn cb,
		       void *arg)
{
	unsigned span = 1u << (tries < 6 ? tries : 6);
	struct timeval tv;
	unsigned ms;

	if (*ev == NULL && (*ev = evtimer_new(jd_redis_base(s->r), cb, arg)) == NULL)
		return JD_E_NOMEM;
	ms = randombytes_uniform(span < AUDIT_BACKOFF_MS ? span : AUDIT_BACKOFF_MS) + 1;
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)ms * 1000;
	return evtimer_add(*ev, &tv) == 0 ? JD_OK : JD_ERR;
}

/* What is left to do with an audited entry once its reply is in. */
enum chain_next {
	CHAIN_DONE, /* appended, or finished with *rc */
	CHAIN_SEND, /* build it again on the tip and send it now */
	CHAIN_WAIT  /* the same after a random wait: another writer holds the turn */
};

/*
 * The pipeline's part of a reply (audit_log.h).  An entry that appended
 * nothing (a conflict, a replay, an error) sets the tip back to the head it
 * chained on, if it was the first of its epoch to miss: the entries sent
 * after it chained on it and are doomed.  One that found the head stale:
 * if it was the first to miss, the head it found is adopted (unless it is
 * behind the anchor) and becomes the tip, and the try counts; a doomed one
 * is only sent again on the new tip.  At most AUDIT_TRIES tries in all;
 * then 503, since another writer kept the chain busy.
 */
static enum chain_next chain_step(struct jd_store *s, const char *tenant,
				  const struct jd_audit_entry *e, unsigned epoch, int *tries,
				  int *rc, const struct jd_mutate_result *res)
{
	int yield = *rc == MUTATE_YIELD;
	int current = jd_audit_log_current(s->audit, tenant, epoch);
	int adopted;

	if (*rc == JD_OK && !res->replayed)
		return CHAIN_DONE;
	if (*rc != MUTATE_STALE && !yield) {
		(void)jd_audit_log_missed(s->audit, tenant, epoch, e->seq - 1, e->prev);
		return CHAIN_DONE;
	}
	if (current) {
		adopted = adopt_head(s, tenant, res);
		if (adopted != JD_OK) {
			(void)jd_audit_log_missed(s->audit, tenant, epoch, e->seq - 1, e->prev);
			*rc = adopted;
			return CHAIN_DONE;
		}
		(void)jd_audit_log_missed(s->audit, tenant, epoch, (uint64_t)res->version,
					  res->record);
		jd_debug("store: the audit head moved; entry rebuilt", "tenant=%s head=%lld try=%d",
			 tenant, res->version, *tries + 1);
	}
	if ((current || yield) && ++*tries >= AUDIT_TRIES) {
		jd_err("store: the audit chain head kept moving; entry refused",
		       "tenant=%s tries=%d", tenant, *tries);
		*rc = JD_E_UNAVAILABLE;
		return CHAIN_DONE;
	}
	return yield ? CHAIN_WAIT : CHAIN_SEND;
}

/* Builds the entry on the tip, sends it, and makes it the tip. */
static int mutate_send(struct mutate_ctx *x)
{
	int rc = audit_prepare(x);

	if (rc == JD_OK)
		rc = script_send(x);
	if (rc == JD_OK)
		jd_audit_log_sent(x->s->audit, x->tenant, x->e.seq, x->e.chain);
	return rc;
}

/* The backoff's end: sends again; on failure, finishes. */
static void mutate_resend(evutil_socket_t fd, short what, void *arg)
{
	struct mutate_ctx *x = arg;
	int rc = mutate_send(x);

	(void)fd;
	(void)what;
	if (rc != JD_OK)
		mutate_finish(x, rc, NULL);
}

/* Sends a queued audited mutation that now holds a slot; on failure, finishes it. */
static void mutate_start_waiter(struct jd_audit_waiter *w)
{
	struct mutate_ctx *x = (struct mutate_ctx *)w; /* w is its first member */
	int rc = mutate_send(x);

	if (rc != JD_OK)
		mutate_finish(x, rc, NULL);
}

static void mutate_finish(struct mutate_ctx *x, int rc, const struct jd_mutate_result *res)
{
	struct jd_store *s = x->s;
	struct jd_audit_waiter *next = NULL;

	if (mutate_hold(x, rc, res))
		return;
	rc = jd_replica_verdict(&x->gate, rc);
	if (x->audited) {
		if (rc == JD_OK && res != NULL && !res->replayed &&
		    jd_audit_log_set_head(s->audit, x->tenant, x->e.seq, x->e.chain, 1) != JD_OK)
			jd_err("store: cannot remember the audit head", "tenant=%s", x->tenant);
		next = jd_audit_log_release(s->audit, x->tenant);
	}
	x->cb(rc, rc == JD_OK || rc == JD_E_CONFLICT ? res : NULL, x->arg);
	if (x->backoff != NULL)
		event_free(x->backoff);
	free(x->held_record);
	free(x);
	if (next != NULL)
		next->start(next);
	store_release(s);
}

static void mutate_reply(int rc, redisReply *reply, void *arg)
{
	struct mutate_ctx *x = arg;
	struct jd_mutate_result res = {0, 0, NULL};
	enum chain_next next = CHAIN_DONE;

	if (rc == JD_OK)
		rc = mutate_result(x, reply, &res);
	if (rc == MUTATE_RETRYING)
		return;
	if (x->audited)
		next = chain_step(x->s, x->tenant, &x->e, x->epoch, &x->tries, &rc, &res);
	else if (rc == MUTATE_STALE || rc == MUTATE_YIELD)
		rc = JD_ERR;
	if (next == CHAIN_SEND)
		rc = mutate_send(x);
	else if (next == CHAIN_WAIT)
		rc = backoff_arm(x->s, &x->backoff, x->tries, mutate_resend, x);
	if (next != CHAIN_DONE && rc == JD_OK)
		return;
	mutate_finish(x, rc, &res);
}

/* x held its tenant but was never sent: pass the tenant on. */
static void audit_drop(struct jd_store *s, struct mutate_ctx *x)
{
	struct jd_audit_waiter *next = jd_audit_log_release(s->audit, x->tenant);

	if (next != NULL)
		next->start(next);
}

/* The mutation checked and completed: idempotency key, publisher, payloads. */
static int plan_make(struct plan *p, const struct jd_mutation *m, const struct jd_store_origin *o)
{
	const char *event_key = o ? o->event_key : NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	p->m = m;
	rc = mutation_check(m, &p->nset, &p->ndel);
	if (rc != JD_OK)
		return rc;
	/* one key: a handler's mutation is keyed by its event, not by a client */
	if (event_key != NULL && (m->idempotency_key != NULL || !key_valid(event_key)))
		return JD_E_INVALID;
	p->idem = event_key ? event_key : m->idempotency_key;
	p->idem_ttl = event_key ? JD_STORE_EVENT_KEY_TTL_S : IDEM_TTL_S;
	p->publisher = o && o->publisher ? o->publisher : PUBLISHER_DEF;
	return plan_events(p);
}

int jd_store_mutate(struct jd_store *s, const struct jd_mutation *m, jd_mutate_cb cb, void *arg)
{
	return jd_store_mutate_from(s, m, NULL, cb, arg);
}

/* The mutate ctx with its argv; on an audited store, its entry built on the head known. */
static int mutate_ctx_make(struct jd_store *s, const struct jd_mutation *m,
			   const struct jd_store_origin *o, struct mutate_ctx **out,
			   struct mutate_ctx *tmp, struct audit_args *a)
{
	struct audit_args *ap = NULL;
	struct plan p;
	int rc = plan_make(&p, m, o);

	if (rc == JD_OK && s->audit != NULL) {
		/* the entry, built first on a ctx of the stack: its size sets the argv's */
		memset(tmp, 0, sizeof(*tmp));
		tmp->s = s;
		rc = audit_entry_init(tmp, &p, 0);
		memset(a, 0, sizeof(*a));
		a->writer = s->writer;
		a->head_seq = tmp->head_seq;
		a->head_chain = tmp->head_chain;
		if (rc == JD_OK)
			(void)jd_audit_entry_to_fields(&tmp->e, tmp->seq_txt, a->fv);
		ap = a;
	}
	if (rc == JD_OK) {
		*out = mutate_ctx_new(s, &p, ap);
		if (*out == NULL)
			rc = JD_E_NOMEM;
	}
	plan_free(&p);
	return rc;
}

/*
 * Queues x (its argv built; on an audited store, on the entry tmp and the
 * audit args a, else a NULL): JD_OK, cb then runs once, later; else x is
 * freed and cb does not run.
 */
static int mutate_queue(struct jd_store *s, struct mutate_ctx *x, const struct mutate_ctx *tmp,
			const struct audit_args *a, jd_mutate_cb cb, void *arg)
{
	int rc, now = 1;

	x->s = s;
	x->cb = cb;
	x->arg = arg;
	if (a != NULL) {
		struct jd_audit_waiter w = x->w;
		const char **argv = x->argv;
		size_t *lens = x->lens;
		int argc = x->argc;

		*x = *tmp;
		x->w = w;
		x->cb = cb;
		x->arg = arg;
		x->argv = argv;
		x->lens = lens;
		x->argc = argc;
		x->audited = 1;
		x->w.start = mutate_start_waiter;
		x->i_head = a->i_head;
		x->i_fv = a->i_fv;
		audit_entry_rebase(x);
		rc = jd_audit_log_acquire(s->audit, x->tenant, &x->w);
		if (rc < 0)
			goto fail;
		now = rc;
	}
	if (now) {
		/* audited: the variable slots repointed at x's own buffers, rebuilt on the tip */
		rc = x->audited ? mutate_send(x) : script_send(x);
		if (rc != JD_OK) {
			if (x->audited)
				audit_drop(s, x);
			goto fail;
		}
	}
	s->pending++;
	return JD_OK;
fail:
	free(x);
	return rc;
}

int jd_store_mutate_from(struct jd_store *s, const struct jd_mutation *m,
			 const struct jd_store_origin *o, jd_mutate_cb cb, void *arg)
{
	struct mutate_ctx *x = NULL, tmp;
	struct audit_args a;
	int rc;

	if (s == NULL || cb == NULL)
		return JD_E_INVALID;
	rc = mutate_ctx_make(s, m, o, &x, &tmp, &a);
	if (rc != JD_OK)
		return rc;
	return mutate_queue(s, x, &tmp, s->audit != NULL ? &a : NULL, cb, arg);
}

/* ---- A large mutation, prepared in slices ---------------------------------- */

/* Ops digested, or argv units built, per step of a slice. */
#define PREPARE_STEP 512

struct sliced {
	struct jd_store *s;
	struct plan p;
	jd_mutate_cb cb;
	void *arg;
	struct jd_slice *slice;
	enum { SLICED_DIGEST, SLICED_STAGE, SLICED_COUNT, SLICED_FILL } phase;
	size_t at;		   /* the next op (digest) or argv unit (count, fill) */
	int staged;		   /* the ops go through stage.h; the commit has none */
	struct jd_stage *stage;	   /* once started */
	struct jd_mutation commit; /* the mutation without its ops, once staged */
	struct digest st;
	struct mutate_ctx tmp; /* the audit entry, as mutate_ctx_make builds it */
	struct audit_args a;
	struct argv_builder b;
	struct mutate_ctx *x; /* once counted */
};

/* A staged mutation's callback: the stage ends with the commit (keys deleted unless applied). */
struct staged_commit {
	jd_mutate_cb cb;
	void *arg;
	struct jd_stage *stage;
};

static void staged_committed(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct staged_commit *c = arg;

	jd_stage_end(c->stage, rc == JD_OK && res != NULL && !res->replayed);
	c->cb(rc, res, c->arg);
	free(c);
}

static void sliced_end(struct sliced *j, int rc)
{
	struct jd_store *s = j->s;
	struct staged_commit *c = NULL;

	if (rc == JD_OK && s->freed)
		rc = JD_E_UNAVAILABLE;
	if (rc == JD_OK && j->stage != NULL) {
		c = malloc(sizeof(*c));
		if (c == NULL)
			rc = JD_E_NOMEM;
		else
			*c = (struct staged_commit){j->cb, j->arg, j->stage};
	}
	if (rc == JD_OK) {
		rc = mutate_queue(s, j->x, &j->tmp, s->audit != NULL ? &j->a : NULL,
				  c != NULL ? staged_committed : j->cb,
				  c != NULL ? (void *)c : j->arg);
		j->x = NULL; /* queued, or freed */
		if (rc == JD_OK)
			j->stage = NULL; /* the commit's callback ends it */
	}
	if (rc != JD_OK) {
		free(c);
		jd_stage_end(j->stage, 0);
		j->cb(rc == JD_E_NOMEM ? JD_ERR : rc, NULL, j->arg);
	}
	free(j->x);
	plan_free(&j->p);
	jd_slice_free(j->slice); /* the one running this: it runs no further step */
	free(j);
	store_release(s);
}

/* The entry, once the change's digest is known: its fields become the argv's. */
static int sliced_entry(struct sliced *j)
{
	struct mutate_ctx *tmp = &j->tmp;
	int rc;

	digest_end(&j->p, &j->st, tmp->digest);
	tmp->s = j->s;
	rc = audit_entry_init(tmp, &j->p, 1);
	j->a.writer = j->s->writer;
	j->a.head_seq = tmp->head_seq;
	j->a.head_chain = tmp->head_chain;
	if (rc == JD_OK)
		(void)jd_audit_entry_to_fields(&tmp->e, tmp->seq_txt, j->a.fv);
	return rc;
}

/* All staged: the commit is the mutation without its ops, moving the staged keys into place. */
static void sliced_staged(int rc, void *arg)
{
	struct sliced *j = arg;

	if (rc == JD_OK && j->s->freed)
		rc = JD_E_UNAVAILABLE;
	if (rc == JD_OK) {
		j->commit = *j->p.m;
		j->commit.ops = NULL;
		j->commit.n_ops = 0;
		j->p.m = &j->commit;
		j->p.stage = jd_stage_manifest(j->stage);
		j->p.stage_n = jd_stage_count(j->stage);
		j->x = mutate_ctx_new(j->s, &j->p, j->s->audit != NULL ? &j->a : NULL);
		rc = j->x != NULL ? JD_OK : JD_E_NOMEM;
	}
	sliced_end(j, rc);
}

/* Starts the staging; the job goes on in sliced_staged. */
static int sliced_stage(struct sliced *j)
{
	const struct jd_mutation *m = j->p.m;

	j->stage = jd_stage_start(j->s->r, m->tenant, m->ops, m->n_ops, sliced_staged, j);
	if (j->stage == NULL)
		sliced_end(j,
			   jd_redis_state(j->s->r) == JD_REDIS_OK ? JD_E_NOMEM : JD_E_UNAVAILABLE);
	return 0;
}

static int sliced_step(void *arg)
{
	struct sliced *j = arg;
	struct audit_args *a = j->s->audit != NULL ? &j->a : NULL;
	size_t n = j->phase == SLICED_DIGEST ? j->p.m->n_ops : build_units(&j->p);
	size_t to = j->at + PREPARE_STEP < n ? j->at + PREPARE_STEP : n;
	int rc = JD_OK;

	if (j->phase == SLICED_STAGE)
		return sliced_stage(j);
	if (j->phase == SLICED_DIGEST)
		digest_ops(&j->p, &j->st, j->at, to);
	else
		build_range(&j->b, &j->p, j->s->sha, a, j->at, to);
	j->at = to;
	if (to < n)
		return 1;
	j->at = 0;
	if (j->phase == SLICED_DIGEST) {
		rc = sliced_entry(j);
		j->phase = j->staged ? SLICED_STAGE : SLICED_COUNT;
	} else if (j->phase == SLICED_COUNT) {
		struct argv_builder counted = j->b;

		j->x = mutate_ctx_alloc(&counted, &j->b);
		rc = j->x != NULL ? JD_OK : JD_E_NOMEM;
		j->phase = SLICED_FILL;
	} else {
		sliced_end(j, JD_OK);
		return 0;
	}
	if (rc != JD_OK) {
		sliced_end(j, rc);
		return 0;
	}
	return 1;
}

int jd_store_mutate_sliced(struct jd_store *s, const struct jd_mutation *m, jd_mutate_cb cb,
			   void *arg)
{
	struct sliced *j;
	int rc;

	if (s == NULL || cb == NULL)
		return JD_E_INVALID;
	if (jd_redis_state(s->r) != JD_REDIS_OK)
		return JD_E_UNAVAILABLE;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return JD_E_NOMEM;
	rc = plan_make(&j->p, m, NULL);
	if (rc != JD_OK) {
		plan_free(&j->p);
		free(j);
		return rc;
	}
	j->s = s;
	j->cb = cb;
	j->arg = arg;
	j->staged = m->n_ops > 0 && jd_stage_stageable(m->ops, m->n_ops, m->record);
	j->phase = s->audit != NULL ? SLICED_DIGEST : j->staged ? SLICED_STAGE : SLICED_COUNT;
	if (s->audit != NULL)
		digest_begin(&j->p, &j->st);
	j->slice = jd_slice_start(jd_redis_base(s->r), sliced_step, j);
	if (j->slice == NULL) {
		plan_free(&j->p);
		free(j);
		return JD_E_NOMEM;
	}
	s->pending++; /* the store outlives the job */
	return JD_OK;
}

/* ---- Audited events ------------------------------------------------------- */

/* EVALSHA sha 3 keys head entry writer turn-ms */
#define EVENT_ARGC (3 + 3 + 2 + 2 * JD_AUDIT_NFIELDS + 2)

struct event_ctx {
	struct jd_audit_waiter w; /* first: the queue of the tenant's audited work */
	struct jd_store *s;
	jd_audit_event_cb cb;
	void *arg;
	int retried; /* sent as EVAL after NOSCRIPT */
	int tries;
	unsigned epoch; /* as mutate_ctx's */
	struct event *backoff;
	char tenant[TENANT_MAX + 1];
	char stream[FULL_KEY_MAX];
	char head[FULL_KEY_MAX];
	char turn[FULL_KEY_MAX];
	struct jd_audit_entry e;
	struct entry_stamp st;
	char digest[JD_AUDIT_HEX];
	char actor[130], cred[16], source[64], req[48], action[100], target[1024], outcome[32];
	const char *argv[EVENT_ARGC];
	size_t lens[EVENT_ARGC];
	struct jd_replica_gate gate; /* durability = replica */
	int held_rc;
	int merge;	 /* jd_audit_event.merge: later reads may join this entry */
	unsigned merged; /* requests merged into it (their callbacks below) */
	struct {
		jd_audit_event_cb cb;
		void *arg;
	} more[JD_STORE_MERGE_MAX];
};

/* SHA-256 over "jd-event-v1", action, target and outcome, each length-prefixed. */
static void event_digest(struct event_ctx *x)
{
	struct digest st;
	unsigned char h[crypto_hash_sha256_BYTES];

	digest_init(&st);
	digest_str(&st, "jd-event-v1");
	digest_str(&st, x->action);
	digest_str(&st, x->target);
	digest_str(&st, x->outcome);
	digest_final(&st, h);
	sodium_bin2hex(x->digest, sizeof(x->digest), h, sizeof(h));
}

static void event_reply(int rc, redisReply *reply, void *arg);

static void event_finish(struct event_ctx *x, int rc);

static void event_release(struct jd_replica_gate *g)
{
	struct event_ctx *x = (struct event_ctx *)((char *)g - offsetof(struct event_ctx, gate));

	event_finish(x, x->held_rc);
}

/* Builds the entry on the head this process knows and sends it. */

static int event_send(struct event_ctx *x)
{
	const char *fv[2 * JD_AUDIT_NFIELDS];
	int argc = 0;
	int rc = stamp_entry(x->s->audit, x->tenant, &x->e, x->st.head_seq, x->st.head_chain,
			     x->st.seq_txt, x->st.time, &x->epoch);

	if (rc != JD_OK)
		return rc;
	(void)jd_audit_entry_to_fields(&x->e, x->st.seq_txt, fv);
	x->argv[argc++] = x->retried ? "EVAL" : "EVALSHA";
	x->argv[argc++] = x->retried ? append_script : x->s->sha_append;
	x->argv[argc++] = "3";
	x->argv[argc++] = x->stream;
	x->argv[argc++] = x->head;
	x->argv[argc++] = x->turn;
	x->argv[argc++] = x->st.head_seq;
	x->argv[argc++] = x->st.head_chain;
	for (size_t i = 0; i < 2 * JD_AUDIT_NFIELDS; i++)
		x->argv[argc++] = fv[i];
	x->argv[argc++] = x->s->writer;
	x->argv[argc++] = AUDIT_TURN_MS;
	for (int i = 0; i < argc; i++)
		x->lens[i] = strlen(x->argv[i]);
	rc = jd_redis_command(x->s->r, argc, x->argv, x->lens, event_reply, x);
	if (rc == JD_OK) {
		x->gate.release = event_release;
		jd_replica_wait_send(x->s->r, &x->s->replica, &x->gate);
		jd_audit_log_sent(x->s->audit, x->tenant, x->e.seq, x->e.chain);
	}
	return rc;
}

static void event_finish(struct event_ctx *x, int rc)
{
	struct jd_store *s = x->s;
	struct jd_audit_waiter *next;
	char q[160];

	if (jd_replica_hold(&x->gate)) {
		x->held_rc = rc;
		return;
	}
	rc = jd_replica_verdict(&x->gate, rc);
	if (rc == JD_OK &&
	    jd_audit_log_set_head(s->audit, x->tenant, x->e.seq, x->e.chain, 1) != JD_OK)
		jd_err("store: cannot remember the audit head", "tenant=%s", x->tenant);
	if (rc != JD_OK)
		jd_warn("audit: event not appended (or no replica confirmed it)",
			"tenant=%s action=%s rc=%d", x->tenant,
			jd_log_quote(q, sizeof(q), x->action), rc);
	next = jd_audit_log_release(s->audit, x->tenant);
	if (x->cb != NULL)
		x->cb(rc, x->arg);
	for (unsigned i = 0; i < x->merged; i++)
		if (x->more[i].cb != NULL)
			x->more[i].cb(rc, x->more[i].arg);
	if (x->backoff != NULL)
		event_free(x->backoff);
	free(x);
	if (next != NULL)
		next->start(next);
	store_release(s);
}

static void event_resend(evutil_socket_t fd, short what, void *arg)
{
	struct event_ctx *x = arg;
	int rc = event_send(x);

	(void)fd;
	(void)what;
	if (rc != JD_OK)
		event_finish(x, rc);
}

static void event_reply(int rc, redisReply *reply, void *arg)
{
	struct event_ctx *x = arg;
	struct jd_mutate_result res = {0, 0, NULL};
	enum chain_next next;

	if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR) {
		if (!x->retried && reply->str != NULL && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
			x->retried = 1;
			script_load(x->s, 0);
			/* sent again on the tip: the entries sent after it are doomed */
			(void)jd_audit_log_missed(x->s->audit, x->tenant, x->epoch, x->e.seq - 1,
						  x->e.prev);
			rc = event_send(x);
			if (rc == JD_OK)
				return;
		} else {
			log_error_reply(JD_LOG_ERR, "store: audit event failed", reply);
			rc = JD_ERR;
		}
	} else if (rc == JD_OK) {
		rc = mutate_outcome(reply, &res);
	}
	next = chain_step(x->s, x->tenant, &x->e, x->epoch, &x->tries, &rc, &res);
	if (next == CHAIN_SEND)
		rc = event_send(x);
	else if (next == CHAIN_WAIT)
		rc = backoff_arm(x->s, &x->backoff, x->tries, event_resend, x);
	if (next != CHAIN_DONE && rc == JD_OK)
		return;
	event_finish(x, rc);
}

/* A queued event that now holds its tenant: send it; on failure, finish it. */
static void event_start_waiter(struct jd_audit_waiter *w)
{
	struct event_ctx *x = (struct event_ctx *)w; /* w is its first member */
	int rc = event_send(x);

	if (rc != JD_OK)
		event_finish(x, rc);
}

/* ---- Merged reads ---------------------------------------------------------- */

static int same_caller(const struct event_ctx *x, const struct jd_audit_event *ev)
{
	return x->merge && strcmp(x->actor, ev->actor ? ev->actor : "") == 0 &&
	       strcmp(x->cred, ev->cred ? ev->cred : "") == 0 &&
	       strcmp(x->source, ev->source ? ev->source : "") == 0 &&
	       strcmp(x->action, ev->action ? ev->action : "") == 0 &&
	       strcmp(x->outcome, ev->outcome ? ev->outcome : "") == 0;
}

/*
 * Appends ev's request id and reads to x's target ("req:<id> " put before
 * x's own reads at the first merge); 0 when they do not fit: x unchanged.
 */
static int merge_target(struct event_ctx *x, const struct jd_audit_event *ev)
{
	char req[sizeof(x->req)];
	const char *target = ev->target ? ev->target : "";
	size_t len = strlen(x->target), own = 0, add;

	snprintf(req, sizeof(req), "%s", ev->req ? ev->req : "");
	if (x->merged == 0)
		own = strlen("req: ") + strlen(x->req);
	add = strlen(" req: ") + strlen(req) + strlen(target);
	if (x->merged == JD_STORE_MERGE_MAX || len + own + add >= sizeof(x->target))
		return 0;
	if (own > 0) {
		memmove(x->target + own, x->target, len + 1);
		memcpy(x->target, "req:", 4);
		memcpy(x->target + 4, x->req, own - 5);
		x->target[own - 1] = ' ';
		len += own;
	}
	snprintf(x->target + len, sizeof(x->target) - len, " req:%s %s", req, target);
	return 1;
}

/* ev merged into an open waiting entry of the same caller (oldest first): 1, or 0 when none has
 * room. */
static int event_merge(struct jd_store *s, const char *tenant, const struct jd_audit_event *ev,
		       jd_audit_event_cb cb, void *arg)
{
	unsigned n;
	struct jd_audit_waiter *const *open = jd_audit_log_access_open(s->audit, tenant, &n);

	for (unsigned i = 0; i < n; i++) {
		struct event_ctx *x = (struct event_ctx *)open[i]; /* access waiters are events */

		if (!same_caller(x, ev) || !merge_target(x, ev))
			continue;
		x->more[x->merged].cb = cb;
		x->more[x->merged].arg = arg;
		x->merged++;
		event_digest(x);
		jd_audit_log_count_merged();
		return 1;
	}
	return 0;
}

int jd_store_audit_event(struct jd_store *s, const char *tenant, const struct jd_audit_event *ev,
			 jd_audit_event_cb cb, void *arg)
{
	struct event_ctx *x;
	struct jd_audit_waiter *next;
	int rc;

	if (s == NULL || ev == NULL || tenant == NULL || !jd_store_tenant_valid(tenant))
		return JD_E_INVALID;
	if (s->audit == NULL)
		return JD_OK; /* no keyring: nothing is audited */
	if (jd_redis_state(s->r) != JD_REDIS_OK)
		return JD_E_UNAVAILABLE;
	if (ev->merge && event_merge(s, tenant, ev, cb, arg))
		return JD_OK;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return JD_E_NOMEM;
	x->s = s;
	x->cb = cb;
	x->arg = arg;
	x->merge = ev->merge;
	x->w.start = event_start_waiter;
	x->w.access = 1;
	snprintf(x->tenant, sizeof(x->tenant), "%s", tenant);
	snprintf(x->stream, sizeof(x->stream), "jd:{%s}:%s", tenant, AUDIT_KEY);
	snprintf(x->head, sizeof(x->head), "jd:{%s}:%s:head", tenant, AUDIT_KEY);
	snprintf(x->turn, sizeof(x->turn), "jd:{%s}:%s", tenant, AUDIT_TURN_KEY);
	snprintf(x->actor, sizeof(x->actor), "%s", ev->actor ? ev->actor : "");
	snprintf(x->cred, sizeof(x->cred), "%s", ev->cred ? ev->cred : "");
	snprintf(x->source, sizeof(x->source), "%s", ev->source ? ev->source : "");
	snprintf(x->req, sizeof(x->req), "%s", ev->req ? ev->req : "");
	snprintf(x->action, sizeof(x->action), "%s", ev->action ? ev->action : "");
	snprintf(x->target, sizeof(x->target), "%s", ev->target ? ev->target : "");
	snprintf(x->outcome, sizeof(x->outcome), "%s", ev->outcome ? ev->outcome : "");
	event_digest(x);
	x->e = (struct jd_audit_entry){
	    .actor = x->actor,
	    .cred = x->cred,
	    .source = x->source,
	    .action = x->action,
	    .target = x->target,
	    .req = x->req,
	    .outcome = x->outcome,
	    .digest = x->digest,
	};
	rc = jd_audit_log_acquire(s->audit, x->tenant, &x->w);
	if (rc < 0) {
		free(x);
		return rc;
	}
	if (rc == 1 && (rc = event_send(x)) != JD_OK) {
		/* held the tenant but never sent: pass the tenant on */
		next = jd_audit_log_release(s->audit, x->tenant);
		free(x);
		if (next != NULL)
			next->start(next);
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

/* ---- Readiness probe ---------------------------------------------------------- */

struct probe_ctx {
	struct jd_store *s;
	jd_store_probe_cb cb;
	void *arg;
	int left; /* replies still due */
	int rc;	  /* the first failure */
};

/* SCRIPT EXISTS answers [1, 1] when both scripts are loaded; SET answers OK. */
static int probe_outcome(struct jd_store *s, const redisReply *reply)
{
	if (reply->type == REDIS_REPLY_ERROR) {
		log_error_reply(JD_LOG_WARN, "store: readiness probe refused", reply);
		return JD_ERR;
	}
	if (reply->type != REDIS_REPLY_ARRAY)
		return JD_OK;
	for (size_t i = 0; i < reply->elements; i++) {
		if (reply->element[i]->type != REDIS_REPLY_INTEGER ||
		    reply->element[i]->integer != 1) {
			if (!s->freed)
				script_load(s, 0);
			return JD_E_NOTFOUND;
		}
	}
	return JD_OK;
}

static void probe_reply(int rc, redisReply *reply, void *arg)
{
	struct probe_ctx *x = arg;
	struct jd_store *s = x->s;

	if (rc == JD_OK)
		rc = probe_outcome(s, reply);
	if (x->rc == JD_OK)
		x->rc = rc;
	if (--x->left == 0) {
		x->cb(x->rc, x->arg);
		free(x);
	}
	store_release(s);
}

int jd_store_probe(struct jd_store *s, jd_store_probe_cb cb, void *arg)
{
	struct probe_ctx *x;
	char pid[24];
	const char *exists[] = {"SCRIPT", "EXISTS", NULL, NULL};
	const char *set[] = {"SET", "jd:readyz", pid, "PX", "10000"};
	int rc;

	if (s == NULL || cb == NULL)
		return JD_E_INVALID;
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	exists[2] = s->sha;
	exists[3] = s->sha_append;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return JD_E_NOMEM;
	*x = (struct probe_ctx){s, cb, arg, 2, JD_OK};
	rc = jd_redis_command(s->r, 4, exists, NULL, probe_reply, x);
	if (rc != JD_OK) {
		free(x);
		return rc;
	}
	s->pending++;
	rc = jd_redis_command(s->r, 5, set, NULL, probe_reply, x);
	if (rc != JD_OK) {
		x->left--; /* the first reply finishes it */
		x->rc = rc;
	} else {
		s->pending++;
	}
	return JD_OK;
}

/* ---- Life cycle ------------------------------------------------------------- */

/* A random id: this process's name in the audit turn. */
static void writer_id(struct jd_store *s)
{
	unsigned char id[16];

	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(s->writer, sizeof(s->writer), id, sizeof(id));
}

struct jd_store *jd_store_new(struct jd_redis *r)
{
	struct jd_store *s;

	if (r == NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->r = r;
	writer_id(s);
	if (script_sha1(mutate_script, s->sha) != JD_OK ||
	    script_sha1(append_script, s->sha_append) != JD_OK) {
		jd_err("store: cannot hash the mutation script", NULL);
		free(s);
		return NULL;
	}
	jd_redis_on_connect(r, on_redis_connect, s);
	if (jd_redis_state(r) == JD_REDIS_OK)
		script_load(s, 1);
	return s;
}

void jd_store_wait_replicas(struct jd_store *s, unsigned replicas, unsigned timeout_ms)
{
	s->replica.replicas = replicas;
	s->replica.timeout_ms = timeout_ms;
}

struct jd_audit_log *jd_store_audit_log(struct jd_store *s)
{
	return s != NULL ? s->audit : NULL;
}

void jd_store_set_audit(struct jd_store *s, struct jd_audit_log *audit)
{
	if (s->audit != NULL && s->audit != audit)
		jd_audit_log_free(s->audit);
	s->audit = audit;
}

void jd_store_free(struct jd_store *s)
{
	if (s == NULL)
		return;
	jd_redis_on_connect(s->r, NULL, NULL);
	s->freed = 1;
	if (s->pending == 0) {
		jd_audit_log_free(s->audit);
		free(s);
	}
}

const char *jd_hgetall_field(json_t *arr, const char *name)
{
	for (size_t i = 0; i + 1 < json_array_size(arr); i += 2) {
		const char *k = json_string_value(json_array_get(arr, i));

		if (k != NULL && strcmp(k, name) == 0)
			return json_string_value(json_array_get(arr, i + 1));
	}
	return NULL;
}
