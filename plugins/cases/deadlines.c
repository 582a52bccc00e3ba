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
	const struct jd_state *st = host->machine_state(machine_of(k), state);
	const char *key = st ? st->deadline_key : NULL;

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

	host->day_format(start, date);
	host->mut_set(c->m, "state", to);
	host->mut_set(c->m, "state_since", date);
	snprintf(c->to, sizeof(c->to), "%s", to);
	if (from != NULL && from[0] != '\0') {
		snprintf(key, sizeof(key), "%s:state:%s", kind_plural(c->kind), from);
		host->mut_op(c->m, JD_OP_ZREM, key, c->id, NULL);
		member_of(c, from, member, sizeof(member));
		host->mut_op(c->m, JD_OP_ZREM, "deadlines", member, NULL);
		host->mut_op(c->m, JD_OP_HDEL, SENT_KEY, member, NULL);
	}
	snprintf(key, sizeof(key), "%s:state:%s", kind_plural(c->kind), to);
	snprintf(score, sizeof(score), "%ld", host->day_number(start));
	host->mut_op(c->m, JD_OP_ZADD, key, c->id, score);
	due = deadline_due(c->kind, to, start);
	if (due >= 0) {
		member_of(c, to, member, sizeof(member));
		snprintf(score, sizeof(score), "%ld", host->day_number(due));
		host->mut_op(c->m, JD_OP_ZADD, "deadlines", member, score);
		host->day_format(due, date);
		host->mut_set(c->m, "due", date);
	} else {
		host->mut_set(c->m, "due", "");
	}
	if (c->kind == KIND_LEAD && host->machine_terminal(&lead_machine, to)) {
		snprintf(member, sizeof(member), "lead:%s#transfer", c->id);
		host->mut_op(c->m, JD_OP_ZREM, "deadlines", member, NULL);
		host->mut_op(c->m, JD_OP_HDEL, SENT_KEY, member, NULL);
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
	if (rc != JD_OK) {
		host->log(self, JD_LOG_WARN, "tenant registry not updated rc=%d", rc);
		n_known = 0; /* forget what we noted: the next lead writes it again */
	}
}

void deadlines_note_tenant(const char *tenant)
{
	const char *set[] = {tenant, "1", NULL};
	int rc;

	for (size_t i = 0; i < n_known; i++)
		if (strcmp(known[i], tenant) == 0)
			return;
	if (n_known < KNOWN_MAX)
		snprintf(known[n_known++], 65, "%s", tenant);
	/* idempotent: every worker may write it once */
	rc = host->store_mutate(self,
				&(const struct jd_mutation){.tenant = REGISTRY_TENANT,
							    .record = REGISTRY_RECORD,
							    .expect_version = JD_VERSION_ANY,
							    .set = set,
							    .action = "cases.registry.tenant"},
				on_registered, NULL);
	if (rc != JD_OK)
		on_registered(rc, NULL, NULL);
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
		const char *score = json_string_value(json_array_get(o->items, 2 * i + 1));
		long due = score ? atol(score) : 0;
		const char *stage, *state = json_string_value(json_array_get(r, 0));
		char record[80], date[11];
		jd_day d = host->day_from_number(due);

		if (state == NULL || m == NULL ||
		    split_member(m, record, sizeof(record), &stage) != 0 ||
		    !scope_visible(c->req, NULL, c->tenant, json_string_value(json_array_get(r, 1)),
				   json_string_value(json_array_get(r, 2)),
				   json_string_value(json_array_get(r, 3))))
			continue;
		host->day_format(d, date);
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
	if (ctx_tenant_check(c) != 0) {
		free(o);
		return;
	}
	days = in_int(c, "days", config_days("near_days"));
	if (days < 0 || days > 3650) {
		free(o);
		ctx_invalid(c, "field 'days' must be between 0 and 3650");
		return;
	}
	o->c = c;
	o->today = host->day_today();
	snprintf(max, sizeof(max), "%ld", host->day_number(o->today + (jd_day)days));
	rc = host->store_read(self, c->tenant, 8, argv, on_overdue_range, o);
	if (rc != JD_OK) {
		free(o);
		ctx_fail(c, rc);
	}
}

/* ---- the timer ------------------------------------------------------------------------ */

static uint64_t timer_id;

/*
 * One tenant's sweep walks the due part of "deadlines" in pages (by rank,
 * each read bounded), so deadlines long missed (and already notified) at
 * the head of the set never hide the ones behind them.
 */
#define SWEEP_PAGE 500

struct sweep {
	char tenant[65];
	json_t *items; /* [member, score, ...] of the page */
	jd_day today;
	int near;
	long offset; /* rank of the page's first member */
};

static void sweep_page(struct sweep *s);

static void sweep_free(struct sweep *s)
{
	json_decref(s->items);
	free(s);
}

static void on_sent_recorded(int rc, const struct jd_mutate_result *res, void *arg)
{
	(void)res;
	if (rc != JD_OK)
		host->log(self, JD_LOG_WARN, "deadline notices not recorded tenant=%s rc=%d",
			  (char *)arg, rc);
	free(arg);
}

/* Publishes the notice of one deadline; 0 when published. */
static int notify(const struct sweep *s, const char *record, const char *stage, jd_day d)
{
	char date[11];
	json_t *payload;
	int rc;

	host->day_format(d, date);
	payload = json_pack("{s:s, s:s, s:s, s:s, s:I}", "tenant", s->tenant, "record", record,
			    "stage", stage, "due", date, "days_left", (json_int_t)(d - s->today));
	if (payload == NULL)
		return -1;
	rc = host->publish(self, d < s->today ? "deadline.missed" : "deadline.near", payload);
	if (rc != JD_OK)
		host->log(self, JD_LOG_WARN, "deadline notice not published tenant=%s rc=%d",
			  s->tenant, rc);
	return rc == JD_OK ? 0 : -1;
}

/* Records what was published in "deadlines:sent" (one mutation). */
static void sent_record(const struct sweep *s, struct jd_mut *m)
{
	char *t = strdup(s->tenant);
	int rc =
	    t ? host->mut_submit(self, m,
				 &(const struct jd_mutation){.tenant = s->tenant,
							     .record = SENT_KEY,
							     .expect_version = JD_VERSION_ANY,
							     .action = "cases.deadline.notify"},
				 on_sent_recorded, t)
	      : JD_E_NOMEM;

	if (rc != JD_OK)
		on_sent_recorded(rc, NULL, t); /* logs, frees t */
}

/* sent: HMGET deadlines:sent <members> -> publish what was not sent for this due date */
static void on_sent(int rc, json_t *sent, void *arg)
{
	struct sweep *s = arg;
	struct jd_mut *m = host->mut_new();
	size_t n = json_array_size(s->items) / 2, published = 0;

	for (size_t i = 0; rc == JD_OK && m != NULL && i < n; i++) {
		const char *member = json_string_value(json_array_get(s->items, 2 * i));
		const char *score = json_string_value(json_array_get(s->items, 2 * i + 1));
		long due = score ? atol(score) : 0;
		jd_day d = host->day_from_number(due);
		const char *was = json_string_value(json_array_get(sent, i));
		char mark[40], record[80];
		const char *stage;

		snprintf(mark, sizeof(mark), "%s:%ld", d < s->today ? "missed" : "near", due);
		if (member == NULL || score == NULL || (was != NULL && strcmp(was, mark) == 0) ||
		    split_member(member, record, sizeof(record), &stage) != 0 ||
		    notify(s, record, stage, d) != 0)
			continue;
		host->mut_set(m, member, mark);
		published++;
	}
	if (published > 0)
		sent_record(s, m);
	host->mut_free(m);
	if (rc != JD_OK || n < SWEEP_PAGE) {
		sweep_free(s);
		return;
	}
	json_decref(s->items);
	s->items = NULL;
	s->offset += SWEEP_PAGE;
	sweep_page(s);
}

static void on_due_range(int rc, json_t *result, void *arg)
{
	struct sweep *s = arg;
	size_t n = json_array_size(result) / 2;
	const char **argv = NULL;

	if (rc != JD_OK || n == 0 || (argv = calloc(n + 2, sizeof(*argv))) == NULL) {
		sweep_free(s);
		return;
	}
	argv[0] = "HMGET";
	argv[1] = SENT_KEY;
	for (size_t i = 0; i < n; i++) {
		const char *member = json_string_value(json_array_get(result, 2 * i));

		argv[2 + i] = member ? member : "-";
	}
	s->items = json_incref(result);
	rc = host->store_read(self, s->tenant, (int)n + 2, argv, on_sent, s);
	free(argv);
	if (rc != JD_OK) {
		host->log(self, JD_LOG_WARN, "deadline sweep: notices not read tenant=%s rc=%d",
			  s->tenant, rc);
		sweep_free(s);
	}
}

static void sweep_page(struct sweep *s)
{
	char max[24], offset[24], page[24];
	const char *argv[] = {"ZRANGEBYSCORE", "deadlines", "-inf", max,
			      "WITHSCORES",    "LIMIT",	    offset, page};
	int rc;

	snprintf(max, sizeof(max), "%ld", host->day_number(s->today + s->near));
	snprintf(offset, sizeof(offset), "%ld", s->offset);
	snprintf(page, sizeof(page), "%d", SWEEP_PAGE);
	rc = host->store_read(self, s->tenant, 8, argv, on_due_range, s);
	if (rc != JD_OK) {
		host->log(self, JD_LOG_WARN, "deadline sweep: deadlines not read tenant=%s rc=%d",
			  s->tenant, rc);
		sweep_free(s);
	}
}

static void sweep_tenant(const char *tenant, jd_day today, int near)
{
	struct sweep *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return;
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	s->today = today;
	s->near = near;
	sweep_page(s);
}

static void on_registry(int rc, json_t *result, void *arg)
{
	jd_day today = host->day_today();
	int near = config_days("near_days");

	(void)arg;
	for (size_t i = 0; rc == JD_OK && i < json_array_size(result); i++) {
		const char *t = json_string_value(json_array_get(result, i));

		if (t != NULL && t[0] != '_' && tenant_valid(t))
			sweep_tenant(t, today, near);
	}
}

void deadlines_sweep(void)
{
	const char *argv[2] = {"HKEYS", REGISTRY_RECORD};
	int rc = host->store_read(self, REGISTRY_TENANT, 2, argv, on_registry, NULL);

	if (rc != JD_OK)
		host->log(self, JD_LOG_WARN, "deadline sweep: tenants not read rc=%d", rc);
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
