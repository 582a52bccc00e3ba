/*
 * The stats and the trim of one tenant's event stream, in one script so
 * that the floor it trims to is computed from the groups as they are when
 * it trims.
 *
 * The rule: a group still needs its pending entries (XPENDING's smallest
 * id) and every entry after its last-delivered-id.  The floor is the
 * smallest of those over all groups (for a group that needs nothing: the
 * id just after its last-delivered-id), and XTRIM MINID floor removes only
 * entries below it, which every group has had delivered and acknowledged.
 * A stream without any group is never trimmed: a group created later
 * starts at its first entry.  Retried dead letters are appended (new ids),
 * so they are above every floor.
 */
#include "host/events_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/log.h"
#include "storage/redis.h"
#include "storage/store.h"

#define KEY_MAX 128

/*
 * KEYS[1] the stream, KEYS[2] its dead letters; ARGV[1] "1": trim; ARGV[2]
 * milliseconds after which a consumer with nothing pending is forgotten
 * (XGROUP DELCONSUMER: each process is a new consumer; "0": never).
 */
static const char stats_script[] =
    "local function pid(s)\n"
    "  local a, b = string.match(s, '^(%d+)-(%d+)$')\n"
    "  return tonumber(a), tonumber(b)\n"
    "end\n"
    "local function less(x, y)\n"
    "  local a, b = pid(x)\n"
    "  local c, d = pid(y)\n"
    "  return a < c or (a == c and b < d)\n"
    "end\n"
    "local dead = 0\n"
    "if redis.call('TYPE', KEYS[2])['ok'] == 'stream' then dead = redis.call('XLEN', KEYS[2]) "
    "end\n"
    "if redis.call('TYPE', KEYS[1])['ok'] ~= 'stream' then return {0, dead, 0, {}} end\n"
    "local now = redis.call('TIME')\n"
    "local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)\n"
    "local out, floor_all = {}, nil\n"
    "for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do\n"
    "  local h = {}\n"
    "  for i = 1, #g, 2 do h[g[i]] = g[i + 1] end\n"
    "  local last = h['last-delivered-id']\n"
    "  if ARGV[1] == '1' and tonumber(ARGV[2]) > 0 then\n"
    "    for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], h['name'])) do\n"
    "      local ch = {}\n"
    "      for i = 1, #c, 2 do ch[c[i]] = c[i + 1] end\n"
    "      if ch['pending'] == 0 and ch['idle'] > tonumber(ARGV[2]) then\n"
    "        redis.call('XGROUP', 'DELCONSUMER', KEYS[1], h['name'], ch['name'])\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  local p = redis.call('XPENDING', KEYS[1], h['name'])\n"
    "  local floor = nil\n"
    "  if p[1] > 0 then floor = p[2] end\n"
    "  local undelivered = 0\n"
    "  local nxt = redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', 1)\n"
    "  if #nxt == 1 then\n"
    "    if floor == nil or less(nxt[1][1], floor) then floor = nxt[1][1] end\n"
    "    if type(h['lag']) == 'number' then undelivered = h['lag']\n"
    "    else undelivered = #redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', 10000) "
    "end\n"
    "  end\n"
    "  local cand = floor\n"
    "  if cand == nil then\n"
    "    local a, b = pid(last)\n"
    "    cand = string.format('%.0f-%.0f', a, b + 1)\n"
    "  end\n"
    "  if floor_all == nil or less(cand, floor_all) then floor_all = cand end\n"
    "  local age = 0\n"
    "  if floor then age = math.max(0, now_ms - (pid(floor))) end\n"
    "  out[#out + 1] = {h['name'], p[1], p[1] + undelivered, age}\n"
    "end\n"
    "local trimmed = 0\n"
    "if ARGV[1] == '1' and floor_all then\n"
    "  trimmed = redis.call('XTRIM', KEYS[1], 'MINID', floor_all)\n"
    "end\n"
    "return {redis.call('XLEN', KEYS[1]), dead, trimmed, out}\n";

struct stats_call {
	jd_events_stats_cb cb;
	void *arg;
};

static int is_int(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_INTEGER;
}

static int parse_group(const redisReply *g, struct jd_events_group_stats *out)
{
	if (g->type != REDIS_REPLY_ARRAY || g->elements != 4 ||
	    g->element[0]->type != REDIS_REPLY_STRING || !is_int(g->element[1]) ||
	    !is_int(g->element[2]) || !is_int(g->element[3]))
		return JD_ERR;
	snprintf(out->name, sizeof(out->name), "%s", g->element[0]->str);
	out->pending = g->element[1]->integer;
	out->backlog = g->element[2]->integer;
	out->oldest_ms = g->element[3]->integer;
	return JD_OK;
}

static int parse_stats(const redisReply *r, struct jd_events_tenant_stats *st)
{
	const redisReply *gs;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || !is_int(r->element[0]) ||
	    !is_int(r->element[1]) || !is_int(r->element[2]) ||
	    r->element[3]->type != REDIS_REPLY_ARRAY)
		return JD_ERR;
	st->length = r->element[0]->integer;
	st->dead = r->element[1]->integer;
	st->trimmed = r->element[2]->integer;
	gs = r->element[3];
	for (size_t i = 0; i < gs->elements && st->n_groups < JD_EVENTS_GROUPS_MAX; i++) {
		if (parse_group(gs->element[i], &st->g[st->n_groups]) != JD_OK)
			return JD_ERR;
		st->n_groups++;
	}
	return JD_OK;
}

static void stats_reply(int rc, redisReply *reply, void *arg)
{
	struct stats_call *c = arg;
	struct jd_events_tenant_stats st;

	memset(&st, 0, sizeof(st));
	if (rc == JD_OK && reply->type == REDIS_REPLY_ERROR) {
		char q[300];

		jd_warn("events: stats script failed", "err=%s",
			jd_log_quote(q, sizeof(q), reply->str ? reply->str : ""));
		rc = JD_ERR;
	} else if (rc == JD_OK && parse_stats(reply, &st) != JD_OK) {
		jd_warn("events: unexpected reply to the stats script", NULL);
		rc = JD_ERR;
	}
	c->cb(rc, rc == JD_OK ? &st : NULL, c->arg);
	free(c);
}

int jd_events_tenant_stats(struct jd_redis *r, const char *tenant, int trim,
			   unsigned forget_idle_ms, jd_events_stats_cb cb, void *arg)
{
	char stream[KEY_MAX], dead[KEY_MAX], forget[16];
	const char *argv[] = {"EVAL", stats_script, "2", stream, dead, trim ? "1" : "0", forget};
	struct stats_call *c;
	int rc;

	if (r == NULL || cb == NULL || !jd_store_tenant_valid(tenant))
		return JD_E_INVALID;
	snprintf(stream, sizeof(stream), "jd:{%s}:%s", tenant, JD_STORE_EVENTS_KEY);
	snprintf(dead, sizeof(dead), "jd:{%s}:%s", tenant, JD_EVENTS_DEAD_KEY);
	snprintf(forget, sizeof(forget), "%u", forget_idle_ms);
	c = malloc(sizeof(*c));
	if (c == NULL)
		return JD_E_NOMEM;
	c->cb = cb;
	c->arg = arg;
	rc = jd_redis_command(r, 7, argv, NULL, stats_reply, c);
	if (rc != JD_OK)
		free(c);
	return rc;
}
