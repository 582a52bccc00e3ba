/*
 * The example plugin: a template for plugin authors (docs/plugins.md walks
 * through it).  It keeps short notes per tenant and shows each thing a
 * plugin does: export a descriptor, declare config keys, register routes
 * with their fields and permissions, change records with one atomic store
 * mutation (version check, idempotency key, index and counter in the same
 * step), read them back, publish a durable event with a mutation and
 * handle it (the event's own mutation, keyed by the event), and use the
 * host's domain services: a state machine with proposals a leader
 * approves, dated steps, a deadline and its sweep, counters by day and
 * month, figures with the previous year's, a recount.
 *
 * This file holds the descriptor, the config keys, the route table, init
 * and fini, the hello route and the durable event handler; notes.c the note
 * routes, scope.c record scope, secrets.c sealed fields, record keys and
 * blind indexes, states.c the state machine and its steps, deadlines.c the
 * review deadline and its sweep, counters.c what a note counts, stats.c
 * the figures, recount.c the recount; example.h what they share.
 *
 * It includes <jiandu/plugin.h> and nothing else of jiandu's.
 */
#include <jiandu/plugin.h>

#include "example.h"

const struct jd_host *host;
jd_plugin_handle *self;
static unsigned long long notes_created_seen; /* counted from our own events */

/* ---- GET /v1/example/hello ------------------------------------------------ */

static void hello(jd_req *req, void *arg)
{
	(void)arg;
	host->reply_json(req, 200,
			 json_pack("{s:s, s:s, s:I}", "greeting",
				   host->config_get(self, "greeting", "hello"), "principal",
				   host->req_principal(req), "notes_created_seen",
				   (json_int_t)notes_created_seen));
}

/* ---- events ---------------------------------------------------------------- */

static void on_seen_counted(int rc, const struct jd_mutate_result *res, void *arg)
{
	(void)arg;
	if (rc == JD_OK && !res->replayed)
		notes_created_seen++; /* a redelivery replays: counted once */
}

/*
 * A durable event's handler: its own mutation, handed the event as its
 * cause.  The core keys that mutation by this plugin and the event id (a
 * redelivery changes nothing) and acknowledges the event once it is
 * applied; if store_mutate fails, the core counts a failed attempt and
 * delivers the event again later.
 */
static int on_note_created(const struct jd_event *ev, void *arg)
{
	const struct jd_op ops[] = {{JD_OP_HINCRBY, "notes:stats", "seen", "1"}};
	const struct jd_mutation m = {
	    .tenant = ev->tenant,
	    .record = "notes:stats",
	    .expect_version = JD_VERSION_ANY,
	    .ops = ops,
	    .n_ops = 1,
	    .action = "example.note.seen",
	    .cause = ev,
	};

	(void)arg;
	host->log(self, JD_LOG_DEBUG, "note created id=%s event=%s attempt=%u",
		  json_string_value(json_object_get(ev->payload, "id")), ev->id, ev->attempt);
	(void)host->store_mutate(self, &m, on_seen_counted, NULL);
	return JD_OK; /* the event is the core's now, whatever store_mutate returned */
}

/* ---- routes and descriptor ------------------------------------------------- */

static const struct jd_field tenant_only[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field create_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"title", JD_FIELD_STRING, 1, 200, "one-line title", 0},
    {"text", JD_FIELD_STRING, 0, 4000, "the note (sealed)", 1},
    {"source", JD_FIELD_STRING, 0, 200,
     "who told us (sealed under the note's own key: purge destroys it)", 1},
    {"unit", JD_FIELD_STRING, 0, 64, "the unit the note belongs to (scope)", 0},
    {"groups", JD_FIELD_STRING, 0, 256, "groups that see it, comma-separated (scope)", 0},
    {"deny", JD_FIELD_STRING, 0, 256, "users who must never see it, comma-separated (recusal)", 0},
    {"idempotency_key", JD_FIELD_STRING, 0, 64, "retry key: a retry returns the first result", 0},
    {"date", JD_FIELD_STRING, 0, 10, "the day the note is dated, YYYY-MM-DD (default today)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field edit_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"version", JD_FIELD_INTEGER, 1, 0, "the version you read (optimistic check)", 0},
    {"title", JD_FIELD_STRING, 0, 200, "new title", 0},
    {"text", JD_FIELD_STRING, 0, 4000, "new text (sealed)", 1},
    {"unit", JD_FIELD_STRING, 0, 64, "new unit (scope)", 0},
    {"groups", JD_FIELD_STRING, 0, 256, "new groups, comma-separated (scope)", 0},
    {"deny", JD_FIELD_STRING, 0, 256, "new deny list, comma-separated user ids (recusal)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field find_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"title", JD_FIELD_STRING, 1, 200, "the title (case and full-width forms do not matter)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field dated_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"date", JD_FIELD_STRING, 0, 10, "the day of the step, YYYY-MM-DD (default today)", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field reject_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"reason", JD_FIELD_STRING, 1, 400, "why the proposal is rejected", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field stats_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "a county, or a city or province (its counties)", 0},
    {"from", JD_FIELD_STRING, 1, 10, "first day (YYYY-MM-DD)", 0},
    {"to", JD_FIELD_STRING, 1, 10, "last day (YYYY-MM-DD)", 0},
    {"unit", JD_FIELD_STRING, 0, 64, "only this unit (county only)", 0},
    {"compare", JD_FIELD_STRING, 0, 16, "previous-year: the same range a year earlier", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_field recount_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant (commission) id", 0},
    {"fix", JD_FIELD_BOOLEAN, 0, 0, "correct the drift found", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

#define NOTE "/v1/example/notes/{id}"

static const struct jd_route routes[] = {
    {"POST", "/v1/example/notes", "example.write", "Add a note", "example notes add", create_fields,
     0, create_note, NULL},
    {"GET", "/v1/example/notes", "example.read", "List the latest 50 notes", "example notes list",
     tenant_only, 0, list_notes, NULL},
    {"GET", "/v1/example/notes/{id}", "example.read", "Show a note", "example notes show",
     tenant_only, 0, show_note, NULL},
    {"GET", "/v1/example/notes/find", "example.read", "Find the notes with a title (blind index)",
     "example notes find", find_fields, 0, find_notes, NULL},
    {"PUT", "/v1/example/notes/{id}", "example.write", "Change a note (needs its version)",
     "example notes edit", edit_fields, 0, edit_note, NULL},
    {"POST", "/v1/example/notes/{id}/purge", "example.write",
     "Purge a note: destroy its record key, source and text (crypto-shredding)",
     "example notes purge", tenant_only, 0, purge_note, NULL},
    /* the state machine (states.c) */
    {"POST", NOTE "/publish", "example.write", "Propose publishing a draft (a leader approves)",
     "example notes publish", tenant_only, 0, publish_note, NULL},
    {"POST", NOTE "/approve", "example.approve", "Approve what a note awaits",
     "example notes approve", dated_fields, 0, approve_note, NULL},
    {"POST", NOTE "/reject", "example.approve", "Reject what a note awaits", "example notes reject",
     reject_fields, 0, reject_note, NULL},
    {"POST", NOTE "/archive", "example.write", "Archive a published note", "example notes archive",
     dated_fields, 0, archive_note, NULL},
    /* counters (stats.c, recount.c) */
    {"GET", "/v1/example/stats", "example.stats", "Notes created and published in a range",
     "example stats", stats_fields, 0, stats_get, NULL},
    {"POST", "/v1/example/recount", "example.admin", "Recompute the note counters from the notes",
     "example recount", recount_fields, JD_ROUTE_CONTROL_ONLY, recount_notes, NULL},
    {"GET", "/v1/example/hello", "example.read", "Say hello (no storage needed)", "example hello",
     NULL, JD_ROUTE_NO_STORE, hello, NULL},
};

static int example_init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	if (host->size <
	    sizeof(struct jd_host)) { /* the domain services and req_ctx are appended */
		host->log(self, JD_LOG_ERR, "this daemon lacks the domain services: upgrade it");
		return JD_ERR;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (host->route_add(self, &routes[i]) != JD_OK)
			return JD_ERR;
	if (host->on_event(self, "example.note_created", on_note_created, NULL) != JD_OK ||
	    report_declare() != JD_OK || deadlines_start() != JD_OK)
		return JD_ERR;
	host->log(self, JD_LOG_INFO, "example plugin ready");
	return JD_OK;
}

static void example_fini(void)
{
	deadlines_stop();
	notes_created_seen = 0;
}

/* The permissions the routes above name, and the built-in roles that hold them. */
static const struct jd_permission permissions[] = {
    {"example.read", "Read notes in scope and say hello", "leader,staff"},
    {"example.write", "Add, change and purge notes; propose publishing, archive", "leader,staff"},
    {"example.approve", "Approve or reject a proposal", "leader"},
    {"example.stats", "Notes created and published in a range", "leader,staff,viewer"},
    {"example.admin", "Recount the note counters", ""}, /* the instance admin only */
    {NULL, NULL, NULL},
};

static const struct jd_config_key config_keys[] = {
    {"greeting", "hello", "what GET /v1/example/hello says"},
    {"review_days", "14", "days a draft has to be published (its review deadline)"},
    {"near_days", "3", "a deadline this close is near (note.review_near)"},
    {"check_interval_s", "3600", "seconds between two deadline sweeps"},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "example", .version = "0.1.0",
		 .summary = "Notes per tenant: the template for plugin authors", .requires = NULL,
		 .config = config_keys, .permissions = permissions, .init = example_init,
		 .fini = example_fini);
