/*
 * Mentoring talks (谈心谈话): date, mentor, kind, sealed notes, recorded by
 * the pair's mentor (or a leader) on an active pair.  Each active pair sits
 * in "pairs:active" scored by its last talk (or its start), so a pair with
 * no talk for stall_days is one range read; "milestones:due" gives the
 * overdue milestones the same way.  The weekly digest publishes both per
 * county as the durable event training.digest {tenant, date, stalled,
 * overdue} (ids and dates only), once per county and date.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

#define REGISTRY_TENANT "_training"

static uint64_t digest_timer;

/* ---- a talk ---- */

static void talk_apply(struct ctx *c)
{
	const char *notes = in_str(c, "notes");
	char tid[33], key[100], date[11], score[24];
	jd_day since = -1, last = -1;
	struct jd_refusal r;

	if (!ctx_county_wide(c) && (!*c->who || strcmp(c->who, rec_str(c, "mentor")) != 0)) {
		ctx_not_found(c);
		return;
	}
	if (host->machine_step(&pair_machine, c->id, rec_str(c, "state"), "talk", &r) == NULL) {
		ctx_refused(c, &r);
		return;
	}
	(void)host->day_parse(rec_str(c, "since"), &since);
	if (ctx_date(c, "date", since, "the pairing began", &c->day) != 0)
		return;
	host->new_id(tid);
	snprintf(key, sizeof(key), "talk:%s", tid);
	host->day_format(c->day, date);
	if (notes != NULL && ctx_seal_set(c, "talk", tid, "notes", notes, key) != 0)
		return;
	host->mut_op(c->m, JD_OP_CHECK, key, NULL, "0");
	host->mut_op(c->m, JD_OP_HINCRBY, key, "_v", "1");
	host->mut_op(c->m, JD_OP_HSET, key, "pair", c->id);
	host->mut_op(c->m, JD_OP_HSET, key, "mentee", rec_str(c, "mentee"));
	host->mut_op(c->m, JD_OP_HSET, key, "mentor", rec_str(c, "mentor"));
	host->mut_op(c->m, JD_OP_HSET, key, "kind", rec_str(c, "kind"));
	host->mut_op(c->m, JD_OP_HSET, key, "date", date);
	host->mut_op(c->m, JD_OP_HSET, key, "unit", rec_str(c, "unit"));
	host->mut_op(c->m, JD_OP_HSET, key, "by", host->req_principal(c->req));
	snprintf(key, sizeof(key), "pair:%s:talks", c->id);
	snprintf(score, sizeof(score), "%ld", host->day_number(c->day));
	host->mut_op(c->m, JD_OP_ZADD, key, tid, score);
	host->mut_op(c->m, JD_OP_ZADD, "talks:all", tid, score);
	host->mut_setf(c->m, "talks", "%lld", rec_int(c, "talks") + 1);
	if (host->day_parse(rec_str(c, "last_talk"), &last) != JD_OK || c->day > last) {
		host->mut_set(c->m, "last_talk", date);
		host->mut_op(c->m, JD_OP_ZADD, "pairs:active", c->id, score);
	}
	cnt_talk(c->m, rec_str(c, "unit"), c->day, 1);
	snprintf(c->to, sizeof(c->to), "active");
	snprintf(c->id, sizeof(c->id), "%s", tid);
	ctx_submit(c, "training.talk.add", c->version, NULL);
}

static void talk_keys(struct ctx *c)
{
	ctx_keys(c, talk_apply);
}

static void talk_pair(struct ctx *c)
{
	ctx_whoami(c, talk_keys);
}

void talk_add(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "pair");

	(void)arg;
	if (c == NULL)
		return;
	if (ctx_keyed(c, "pair", "pair") == 0)
		ctx_load(c, talk_pair);
}

/* ---- stalled pairs and overdue milestones ---- */

static json_t *scored(const json_t *arr, const char *id_name, const char *date_name)
{
	json_t *out = json_array();

	for (size_t i = 0; i + 1 < json_array_size(arr); i += 2) {
		const char *member = json_string_value(json_array_get(arr, i));
		const char *sc = json_string_value(json_array_get(arr, i + 1));
		jd_day d = host->day_from_number(sc ? atol(sc) : 0);
		char date[11];
		json_t *o;

		host->day_format(d, date);
		o = json_pack("{s:s, s:s}", id_name, member ? member : "", date_name, date);
		if (strcmp(id_name, "milestone") == 0 && member && strchr(member, '#')) {
			json_object_set_new(
			    o, "plan",
			    json_stringn(member, (size_t)(strchr(member, '#') - member)));
			json_object_set_new(o, "n", json_integer(atol(strchr(member, '#') + 1)));
		}
		json_array_append_new(out, o);
	}
	return out;
}

static json_t *digest_body(struct ctx *c)
{
	char date[11];

	host->day_format(host->day_today(), date);
	return json_pack("{s:s, s:s, s:I, s:o, s:o}", "tenant", c->tenant, "date", date,
			 "stall_days", (json_int_t)config_int("stall_days", 30), "stalled",
			 scored(c->aux, "pair", "last_talk"), "overdue",
			 scored(c->aux2, "milestone", "due"));
}

static void read_overdue(struct ctx *c)
{
	char max[24];
	const char *argv[6] = {"ZRANGEBYSCORE", "milestones:due", "-inf", max, "WITHSCORES"};

	snprintf(max, sizeof(max), "%ld", host->day_number(host->day_today() - 1));
	ctx_cmd(c, 5, argv, &c->aux2, c->then);
}

/* Reads the stalled pairs into aux and the overdue milestones into aux2, then then(c). */
static void digest_read(struct ctx *c, ctx_step then)
{
	char max[24];
	const char *argv[6] = {"ZRANGEBYSCORE", "pairs:active", "-inf", max, "WITHSCORES"};

	c->then = then;
	snprintf(max, sizeof(max), "%ld",
		 host->day_number(host->day_today() - config_int("stall_days", 30)));
	ctx_cmd(c, 5, argv, &c->aux, read_overdue);
}

static void stalled_answer(struct ctx *c)
{
	ctx_reply(c, 200, digest_body(c));
}

void stalled_list(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "digest");

	(void)arg;
	if (c == NULL)
		return;
	if (!ctx_county_wide(c)) {
		host->reply_error(req, 403, "forbidden",
				  "the digest of a county is for its leaders");
		ctx_free(c);
		return;
	}
	digest_read(c, stalled_answer);
}

static void on_published(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct ctx *c = arg;

	(void)res;
	if (c->req == NULL) {
		if (rc != JD_OK && rc != JD_E_CONFLICT)
			host->log(self, JD_LOG_WARN, "digest of tenant %s not published (rc=%d)",
				  c->tenant, rc);
		ctx_free(c);
		return;
	}
	if (rc != JD_OK) {
		ctx_fail(c, rc);
		return;
	}
	ctx_reply(c, 201, json_incref(c->aux3));
}

/* One digest per county and date: the record digest:<date> is new or the digest was sent. */
static void digest_publish(struct ctx *c)
{
	json_t *body = digest_body(c);
	char date[11];

	host->day_format(host->day_today(), date);
	snprintf(c->id, sizeof(c->id), "%s", date);
	snprintf(c->record, sizeof(c->record), "digest:%s", date);
	host->mut_setf(c->m, "stalled", "%zu", json_array_size(json_object_get(body, "stalled")));
	host->mut_setf(c->m, "overdue", "%zu", json_array_size(json_object_get(body, "overdue")));
	c->aux3 = json_incref(body);
	host->mut_event(c->m, "training.digest", body);
	ctx_submit(c, "training.digest", c->req ? JD_VERSION_ANY : JD_VERSION_NEW, on_published);
}

void digest_now(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "digest");

	(void)arg;
	if (c != NULL)
		digest_read(c, digest_publish);
}

/* ---- the weekly timer over the counties that have mentees ---- */

static void on_registry(int rc, json_t *result, void *arg)
{
	(void)arg;
	for (size_t i = 0; rc == JD_OK && i + 1 < json_array_size(result); i += 2) {
		struct ctx *c =
		    ctx_new(NULL, "digest", json_string_value(json_array_get(result, i)), "");

		if (c != NULL)
			digest_read(c, digest_publish);
	}
}

static void digest_tick(void *arg)
{
	const char *argv[2] = {"HGETALL", "registry:tenants"};

	(void)arg;
	(void)host->store_read(self, REGISTRY_TENANT, 2, argv, on_registry, NULL);
}

static void on_noted(int rc, const struct jd_mutate_result *res, void *arg)
{
	(void)res;
	(void)arg;
	if (rc != JD_OK)
		host->log(self, JD_LOG_WARN, "could not note a tenant for the digest (rc=%d)", rc);
}

void digest_note_tenant(const char *tenant)
{
	const struct jd_op ops[] = {{JD_OP_HSET, "registry:tenants", tenant, "1"}};
	const struct jd_mutation m = {.tenant = REGISTRY_TENANT,
				      .record = "registry",
				      .expect_version = JD_VERSION_ANY,
				      .ops = ops,
				      .n_ops = 1,
				      .action = "training.registry.note"};

	(void)host->store_mutate(self, &m, on_noted, NULL);
}

int digest_start(void)
{
	long long s = config_int("digest_interval_s", 604800);

	if (s < 1 || s > 4000000) {
		host->log(self, JD_LOG_ERR, "digest_interval_s must be 1..4000000 seconds");
		return JD_E_INVALID;
	}
	digest_timer = host->timer_add(self, (unsigned)(s * 1000), 1, digest_tick, NULL);
	return digest_timer != 0 ? JD_OK : JD_ERR;
}

void digest_stop(void)
{
	if (digest_timer != 0)
		host->timer_cancel(self, digest_timer);
	digest_timer = 0;
}
