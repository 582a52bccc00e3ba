/*
 * Deadlines per stage.  Entering a state that has a deadline (states.c
 * names its config key, e.g. "verification_days") puts the record in the
 * tenant's sorted set "deadlines" as "<type>:<id>#<state>" scored by the
 * due date (YYYYMMDD), in the same mutation; leaving it removes it; an
 * approved extension moves it.  A transferred lead's reply date is
 * "lead:<id>#transfer" until the lead reaches a final state.
 *
 * `cases overdue` reads one bounded range of that set.  A timer reads it
 * for every tenant that has leads (the plugin's registry, tenant
 * "_cases") and publishes deadline.near and deadline.missed once per
 * deadline and due date, remembering what it sent in "deadlines:sent".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cases.h"

#define REGISTRY_TENANT "_cases"
#define REGISTRY_RECORD "registry:tenants"
#define OVERDUE_MAX	"200"
#define SENT_KEY	"deadlines:sent"

struct default_days {
	const char *key;
	int days;
};

static const struct default_days defaults[] = {
    {"disposition_days", 30},	{"talk_inquiry_days", 30}, {"verification_days", 60},
    {"hold_review_days", 180},	{"filing_days", 15},	   {"plan_days", 15},
    {"investigation_days", 90}, {"decision_days", 30},	   {"near_days", 7},
};

static int config_days(const char *key)
{
	char def[16] = "0";
	const char *v;

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (strcmp(defaults[i].key, key) == 0)
			snprintf(def, sizeof(def), "%d", defaults[i].days);
	v = host->config_get(self, key, def);
	return v ? atoi(v) : atoi(def);
}

jd_day deadline_due(enum rec_kind k, const char *state, jd_day start)
{
	const char *key = state_deadline_key(k, state);

	if (key == NULL || key[0] == '\0')
		return -1;
	return start + config_days(key);
}

static void member_of(const struct ctx *c, const char *state, char *out, size_t len)
{
	snprintf(out, len, "%s:%s#%s", kind_type(c->kind), c->id, state);
}

void move_state(struct ctx *c, const char *from, const char *to, jd_day start)
{
	char key[64], member[128], score[24], date[11];
	jd_day due;

	day_format(start, date);
	mut_set(c->m, "state", to);
	mut_set(c->m, "state_since", date);
	snprintf(c->to, sizeof(c->to), "%s", to);
	if (from != NULL && from[0] != '\0') {
		snprintf(key, sizeof(key), "%s:state:%s", kind_plural(c->kind), from);
		mut_op(c->m, JD_OP_ZREM, key, c->id, NULL);
		member_of(c, from, member, sizeof(member));
		mut_op(c->m, JD_OP_ZREM, "deadlines", member, NULL);
		mut_op(c->m, JD_OP_HDEL, SENT_KEY, member, NULL);
	}
	snprintf(key, sizeof(key), "%s:state:%s", kind_plural(c->kind), to);
	snprintf(score, sizeof(score), "%ld", day_number(start));
	mut_op(c->m, JD_OP_ZADD, key, c->id, score);
	due = deadline_due(c->kind, to, start);
	if (due >= 0) {
		member_of(c, to, member, sizeof(member));
		snprintf(score, sizeof(score), "%ld", day_number(due));
		mut_op(c->m, JD_OP_ZADD, "deadlines", member, score);
		day_format(due, date);
		mut_set(c->m, "due", date);
	} else {
		mut_set(c->m, "due", "");
	}
	if (c->kind == KIND_LEAD && state_terminal(KIND_LEAD, to)) {
		snprintf(member, sizeof(member), "lead:%s#transfer", c->id);
		mut_op(c->m, JD_OP_ZREM, "deadlines", member, NULL);
		mut_op(c->m, JD_OP_HDEL, SENT_KEY, member, NULL);
	}
}

/* ---- the registry of tenants that have leads ------------------------------------ */

#define KNOWN_MAX 256
static char known[KNOWN_MAX][65];
static size_t n_known;

static void on_registered(int rc, const struct jd_mutate_result *res, void *arg)
{
	(void)res;
	(void)arg;
	if (rc != JD_OK)
		host->log(self, JD_LOG_WARN, "tenant registry not updated rc=%d", rc);
}

void deadlines_note_tenant(const char *tenant)
{
	const char *set[] = {tenant, "1", NULL};

	for (size_t i = 0; i < n_known; i++)
		if (strcmp(known[i], tenant) == 0)
			return;
	if (n_known < KNOWN_MAX)
		snprintf(known[n_known++], 65, "%s", tenant);
	/* idempotent: every worker may write it once */
	host->store_mutate(self,
			   &(const struct jd_mutation){.tenant = REGISTRY_TENANT,
						       .record = REGISTRY_RECORD,
						       .expect_version = JD_VERSION_ANY,
						       .set = set,
						       .action = "cases.registry.tenant"},
			   on_registered, NULL);
}

/* ---- GET /v1/cases/overdue ------------------------------------------------------------ */

struct overdue {
	struct ctx *c;
	json_t *items; /* [member, score, ...] */
	jd_day today;
};

/* "lead:<id>#stage" -> record "lead:<id>", stage */
static int split_member(const char *m, char *record, size_t rlen, const char **stage)
{
	const char *hash = strchr(m, '#');

	if (hash == NULL || (size_t)(hash - m) >= rlen)
		return -1;
	snprintf(record, rlen, "%.*s", (int)(hash - m), m);
	*stage = hash + 1;
	return 0;
}

static void overdue_done(struct batch *b, void *arg)
{
	struct overdue *o = arg;
	struct ctx *c = o->c;
	json_t *out = json_array();

	for (size_t i = 0; b->rc == JD_OK && out && i < b->n; i++) {
		json_t *r = json_array_get(b->results, i);
		const char *m = json_string_value(json_array_get(o->items, 2 * i));
		long due = atol(json_string_value(json_array_get(o->items, 2 * i + 1)));
		const char *stage, *state = json_string_value(json_array_get(r, 0));
		char record[80], date[11];
		jd_day d = day_from_number(due);

		if (state == NULL || split_member(m, record, sizeof(record), &stage) != 0 ||
		    !scope_visible(c->req, NULL, c->tenant, json_string_value(json_array_get(r, 1)),
				   json_string_value(json_array_get(r, 2)),
				   json_string_value(json_array_get(r, 3))))
			continue;
		day_format(d, date);
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "record",
						     record, "stage", stage, "state", state, "due",
						     date, "days_left", (json_int_t)(d - o->today),
						     "late", d < o->today));
	}
	if (b->rc != JD_OK)
		ctx_fail(c, b->rc);
	else
		ctx_reply(c, 200, out ? json_pack("{s:o}", "overdue", out) : NULL);
	if (b->rc != JD_OK)
		json_decref(out);
	json_decref(o->items);
	free(o);
	batch_free(b);
}

static void on_overdue_range(int rc, json_t *result, void *arg)
{
	struct overdue *o = arg;
	size_t n = json_array_size(result) / 2;
	struct batch *b;

	if (rc != JD_OK || (b = batch_new(n, overdue_done, o)) == NULL) {
		ctx_fail(o->c, rc != JD_OK ? rc : JD_E_NOMEM);
		free(o);
		return;
	}
	o->items = json_incref(result);
	for (size_t i = 0; i < n; i++) {
		const char *stage, *m = json_string_value(json_array_get(result, 2 * i));
		char record[80];
		const char *argv[6] = {"HMGET", record, "state", "unit", "groups", "deny"};

		if (m != NULL && split_member(m, record, sizeof(record), &stage) == 0)
			batch_read(b, i, o->c->tenant, 6, argv);
	}
	batch_go(b);
}

void overdue_list(jd_req *req, void *arg)
{
	struct ctx *c = ctx_new(req, KIND_LEAD, host->req_param(req, "tenant"), "");
	struct overdue *o;
	char max[24];
	const char *argv[] = {"ZRANGEBYSCORE", "deadlines", "-inf", max,
			      "WITHSCORES",    "LIMIT",	    "0",    OVERDUE_MAX};
	long long days;
	int rc;

	(void)arg;
	if (c == NULL || (o = calloc(1, sizeof(*o))) == NULL) {
		if (c)
			ctx_free(c);
		host->reply_rc(req, JD_E_NOMEM, "overdue");
		return;
	}
	days = in_int(c, "days", config_days("near_days"));
	if (days < 0 || days > 3650) {
		free(o);
		ctx_invalid(c, "field 'days' must be between 0 and 3650");
		return;
	}
	o->c = c;
	o->today = day_today();
	snprintf(max, sizeof(max), "%ld", day_number(o->today + (jd_day)days));
	rc = host->store_read(self, c->tenant, 8, argv, on_overdue_range, o);
	if (rc != JD_OK) {
		free(o);
		ctx_fail(c, rc);
	}
}

/* ---- the timer ------------------------------------------------------------------------ */

static uint64_t timer_id;

struct sweep {
	char tenant[65];
	json_t *items; /* [member, score, ...] */
	jd_day today;
	int near;
};

static void on_sent_recorded(int rc, const struct jd_mutate_result *res, void *arg)
{
	(void)res;
	if (rc != JD_OK)
		host->log(self, JD_LOG_WARN, "deadline notices not recorded tenant=%s rc=%d",
			  (char *)arg, rc);
	free(arg);
}

/* sent: HMGET deadlines:sent <members> -> publish what was not sent for this due date */
static void on_sent(int rc, json_t *sent, void *arg)
{
	struct sweep *s = arg;
	struct mut *m = mut_new();
	size_t n = json_array_size(s->items) / 2, published = 0;

	for (size_t i = 0; rc == JD_OK && m != NULL && i < n; i++) {
		const char *member = json_string_value(json_array_get(s->items, 2 * i));
		long due = atol(json_string_value(json_array_get(s->items, 2 * i + 1)));
		jd_day d = day_from_number(due);
		const char *kind = d < s->today ? "missed" : "near";
		const char *was = json_string_value(json_array_get(sent, i));
		char mark[40], record[80], date[11];
		const char *stage;

		snprintf(mark, sizeof(mark), "%s:%ld", kind, due);
		if (member == NULL || (was != NULL && strcmp(was, mark) == 0) ||
		    split_member(member, record, sizeof(record), &stage) != 0)
			continue;
		day_format(d, date);
		host->publish(self, d < s->today ? "deadline.missed" : "deadline.near",
			      json_pack("{s:s, s:s, s:s, s:s, s:I}", "tenant", s->tenant, "record",
					record, "stage", stage, "due", date, "days_left",
					(json_int_t)(d - s->today)));
		mut_set(m, member, mark);
		published++;
	}
	if (published > 0) {
		char *t = strdup(s->tenant);

		if (t == NULL || mut_submit(m, s->tenant, SENT_KEY, JD_VERSION_ANY, NULL, NULL,
					    "cases.deadline.notify", on_sent_recorded, t) != JD_OK)
			free(t);
	}
	mut_free(m);
	json_decref(s->items);
	free(s);
}

static void on_due_range(int rc, json_t *result, void *arg)
{
	struct sweep *s = arg;
	size_t n = json_array_size(result) / 2;
	const char **argv = NULL;

	if (rc != JD_OK || n == 0 || (argv = calloc(n + 2, sizeof(*argv))) == NULL) {
		free(s);
		return;
	}
	argv[0] = "HMGET";
	argv[1] = SENT_KEY;
	for (size_t i = 0; i < n; i++)
		argv[2 + i] = json_string_value(json_array_get(result, 2 * i));
	s->items = json_incref(result);
	if (host->store_read(self, s->tenant, (int)n + 2, argv, on_sent, s) != JD_OK) {
		json_decref(s->items);
		free(s);
	}
	free(argv);
}

static void sweep_tenant(const char *tenant, jd_day today, int near)
{
	struct sweep *s = calloc(1, sizeof(*s));
	char max[24];
	const char *argv[] = {"ZRANGEBYSCORE", "deadlines", "-inf", max,
			      "WITHSCORES",    "LIMIT",	    "0",    "1000"};

	if (s == NULL)
		return;
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	s->today = today;
	s->near = near;
	snprintf(max, sizeof(max), "%ld", day_number(today + near));
	if (host->store_read(self, tenant, 8, argv, on_due_range, s) != JD_OK)
		free(s);
}

static void on_registry(int rc, json_t *result, void *arg)
{
	jd_day today = day_today();
	int near = config_days("near_days");

	(void)arg;
	for (size_t i = 0; rc == JD_OK && i < json_array_size(result); i++) {
		const char *t = json_string_value(json_array_get(result, i));

		if (t != NULL && t[0] != '_')
			sweep_tenant(t, today, near);
	}
}

void deadlines_sweep(void)
{
	const char *argv[2] = {"HKEYS", REGISTRY_RECORD};

	host->store_read(self, REGISTRY_TENANT, 2, argv, on_registry, NULL);
}

static void on_tick(void *arg)
{
	(void)arg;
	deadlines_sweep();
}

int deadlines_start(void)
{
	const char *v = host->config_get(self, "check_interval_s", "3600");
	long s = v ? atol(v) : 3600;

	if (s < 1 || s > 86400) {
		host->log(self, JD_LOG_ERR, "check_interval_s must be 1..86400 (got %s)", v);
		return JD_E_INVALID;
	}
	timer_id = host->timer_add(self, (unsigned)s * 1000u, 1, on_tick, NULL);
	return timer_id ? JD_OK : JD_ERR;
}

void deadlines_stop(void)
{
	if (timer_id)
		host->timer_cancel(self, timer_id);
	timer_id = 0;
	n_known = 0;
}
