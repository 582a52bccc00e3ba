/*
 * jiandu plugin ABI: the only header a plugin includes.
 *
 * A plugin is a shared object that exports one symbol, `jd_plugin`, a
 * `struct jd_plugin` built with JD_PLUGIN_DEFINE.  The host checks its
 * magic and ABI version before reading anything else, checks that every
 * plugin it requires is loaded, then calls init() in dependency order with
 * a table of host functions.  A plugin calls nothing of the daemon's but
 * what that table holds; it never calls another plugin: plugins talk
 * through events.
 *
 * Return codes, everywhere: JD_OK (0) on success, a negative JD_E* value on
 * failure.
 *
 * The ABI version (docs/plugins.md, "The ABI version"):
 * - appending a slot at the end of struct jd_host bumps JD_ABI_MINOR: a
 *   plugin built against an older minor still loads (it checks host->size
 *   before using a newer slot);
 * - any other change to a struct a plugin fills or reads (jd_plugin,
 *   jd_route, jd_field, jd_mutation, jd_op, jd_mutate_result,
 *   jd_permission, jd_config_key, or a jd_host slot before the end) or to
 *   a callback's signature bumps JD_ABI_MAJOR and resets the minor to 0.
 * Besides the version, the descriptor carries the sizes of those structs
 * as the plugin was compiled (struct jd_layout, put in by
 * JD_PLUGIN_DEFINE); the loader refuses a plugin whose sizes differ from
 * its own, naming both, so a forgotten bump is caught at load, not as a
 * crash.
 */
#ifndef JIANDU_PLUGIN_H
#define JIANDU_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JD_PLUGIN_MAGIC 0x4a44504cu /* "JDPL" */
#define JD_ABI_MAJOR	2
#define JD_ABI_MINOR	3

enum jd_rc {
	JD_OK = 0,
	JD_ERR = -1,	       /* internal failure (500) */
	JD_E_INVALID = -2,     /* bad input (400) */
	JD_E_NOTFOUND = -3,    /* no such record (404) */
	JD_E_CONFLICT = -4,    /* stale version or illegal transition (409) */
	JD_E_UNAVAILABLE = -5, /* storage unreachable (503) */
	JD_E_TIMEOUT = -6,     /* storage did not answer in time (503) */
	JD_E_FORBIDDEN = -7,   /* caller lacks the permission (403) */
	JD_E_NOMEM = -8,       /* out of memory (500) */
};

enum jd_log_level { JD_LOG_DEBUG, JD_LOG_INFO, JD_LOG_NOTICE, JD_LOG_WARN, JD_LOG_ERR };

/* A loaded plugin as the host knows it; opaque to the plugin. */
typedef struct jd_plugin_handle jd_plugin_handle;
/* One HTTP request being served; valid until jd_host.reply* is called. */
typedef struct jd_req jd_req;

/* ---- Routes ---------------------------------------------------------- */

enum jd_field_type { JD_FIELD_STRING, JD_FIELD_INTEGER, JD_FIELD_BOOLEAN };

/*
 * One input field of a route.  The core validates the request body (for
 * POST/PUT/PATCH) or query string (for GET/DELETE) against the route's
 * fields before the handler runs, describes them in /v1/openapi.json, and
 * the CLI turns them into --flags.
 */
struct jd_field {
	const char *name;
	enum jd_field_type type;
	int required;
	size_t max_len; /* strings: longest accepted, in bytes; 0 means 256 */
	const char *description;
	int sensitive; /* sealed by the core (security issue); never logged */
};

/*
 * Fields most domain routes share, for a plugin's field tables (macros
 * only: no part of the ABI).  JD_FIELD_END closes every table.
 */
#define JD_FIELD_TENANT                                                                            \
	{                                                                                          \
		"tenant", JD_FIELD_STRING, 1, 16, "tenant (county code)", 0                        \
	}
#define JD_FIELD_VERSION                                                                           \
	{                                                                                          \
		"version", JD_FIELD_INTEGER, 0, 0, "the version you read (optional check)", 0      \
	}
#define JD_FIELD_DATE(what)                                                                        \
	{                                                                                          \
		"date", JD_FIELD_STRING, 0, 10,                                                    \
		    what " (YYYY-MM-DD; default today; not in the future)", 0                      \
	}
#define JD_FIELD_END                                                                               \
	{                                                                                          \
		NULL, 0, 0, 0, NULL, 0                                                             \
	}

enum jd_route_flags {
	JD_ROUTE_CONTROL_ONLY = 1 << 0, /* served on the control listener only */
	JD_ROUTE_NO_AUTH = 1 << 1,	/* no credential needed (health checks) */
	JD_ROUTE_NO_STORE = 1 << 2,	/* works without Redis: never answers 503 */
};

typedef void (*jd_handler_fn)(jd_req *req, void *arg);

struct jd_route {
	const char *method;	       /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *path;	       /* "/v1/example/notes/{id}": {name} matches one segment */
	const char *permission;	       /* e.g. "example.write"; checked by the core */
	const char *summary;	       /* one line, shown in openapi and the CLI */
	const char *command;	       /* CLI command words, e.g. "example notes add"; NULL: none */
	const struct jd_field *fields; /* terminated by an entry with name == NULL */
	unsigned flags;
	jd_handler_fn handler;
	void *arg;
};

/* ---- Store ----------------------------------------------------------- */

/* The expected version of a mutation's record. */
#define JD_VERSION_ANY (-1LL) /* no check */
#define JD_VERSION_NEW 0LL    /* the record must not exist yet */

enum jd_op_kind {
	JD_OP_SADD,    /* key member */
	JD_OP_SREM,    /* key member */
	JD_OP_ZADD,    /* key member score(value as integer) */
	JD_OP_ZREM,    /* key member */
	JD_OP_HINCRBY, /* key field(member) by(value) */
	JD_OP_HSET,    /* key field(member) value */
	JD_OP_HDEL,    /* key field(member) */
	JD_OP_INCRBY,  /* key by(value) */
	/*
	 * key: another record hash whose version ("_v") must equal value
	 * (decimal; "0": the record must not exist), or the whole mutation
	 * answers JD_E_CONFLICT and changes nothing; member unused.  For a
	 * change validated against records it does not write (e.g. a case
	 * filed from the lead's version read).
	 */
	JD_OP_CHECK,
};

struct jd_op {
	enum jd_op_kind kind;
	const char *key;    /* relative key: "idx:notes", prefixed by the core */
	const char *member; /* member or hash field */
	const char *value;  /* value, score or increment (as decimal text) */
};

/* ---- Durable events: the types (docs/plugins.md "Events") ------------- */

/* An event a mutation publishes: appended to its tenant's event stream in the same step. */
struct jd_event_out {
	const char *name; /* "<thing>.<what_happened>": 1..100 of [a-z0-9_.-] */
	json_t *payload;  /* a JSON object (NULL: {}); borrowed, serialized by the core */
};

/* An event delivered to a handler; everything is valid until the event is finished. */
struct jd_event {
	const char *id; /* its stream id, e.g. "1733500000000-0": unique in its tenant */
	const char *name;
	const char *tenant;
	const char *publisher; /* the plugin that published it */
	json_t *payload;       /* borrowed */
	unsigned attempt;      /* 1 on the first delivery to this plugin, then 2, ... */
};

/*
 * A durable event's handler.  JD_OK: the plugin took the event and will
 * finish it exactly once, later or now: by passing it as `cause` to
 * store_mutate (the core finishes it when that mutation completes,
 * whatever store_mutate returns), or with event_done.  A negative return
 * finishes it as failed (it is delivered again, then dead-lettered).
 */
typedef int (*jd_event_handler)(const struct jd_event *ev, void *arg);

/*
 * One atomic change: the record's fields, its version check, the indexes
 * and counters that move with it, all applied by one server-side script.
 * Keys are relative; the core prefixes them with "jd:{<tenant>}:".
 */
struct jd_mutation {
	const char *tenant;	  /* hash tag of every key; required */
	const char *record;	  /* relative key of the record hash, e.g. "note:42" */
	long long expect_version; /* JD_VERSION_ANY, JD_VERSION_NEW or the version read */
	const char
	    *idempotency_key;	 /* NULL, or the client's key: a retry returns the first result */
	const char *const *set;	 /* field, value, field, value, ..., NULL */
	const char *const *del;	 /* field, ..., NULL; may be NULL */
	const struct jd_op *ops; /* n_ops entries */
	size_t n_ops;
	jd_req *req; /* the request on whose behalf (the audit entry's actor); NULL: system */
	const char *action; /* what, for the audit trail: e.g. "example.note.create" */

	/* ---- durable events (docs/plugins.md "Events"); zero: none ---- */
	const struct jd_event_out *events; /* published with the change, or not at all */
	size_t n_events;		   /* at most 16 */
	/*
	 * The event this mutation handles (the one a handler was given), or
	 * NULL.  The core keys the mutation by the plugin and the event id
	 * (leave idempotency_key NULL), so a redelivery changes nothing, and
	 * acknowledges the event once the mutation is applied (or replayed).
	 */
	const struct jd_event *cause;
};

struct jd_mutate_result {
	long long
	    version;  /* the record's version after the change (the current one on a conflict) */
	int replayed; /* 1: the idempotency key was seen; nothing was applied this time */
	const char *record; /* relative key of the record written: on a replay, the first call's */
};

/*
 * rc: JD_OK, JD_E_CONFLICT (version), JD_E_UNAVAILABLE, JD_E_TIMEOUT, JD_ERR.
 * res is valid during the callback, for JD_OK and JD_E_CONFLICT; NULL otherwise.
 */
typedef void (*jd_mutate_cb)(int rc, const struct jd_mutate_result *res, void *arg);

/*
 * A read's result as JSON: a Redis bulk string becomes a string, an
 * integer an integer, nil null, an array an array (HGETALL an array of
 * alternating fields and values).  rc as for jd_mutate_cb; result is
 * borrowed (valid during the callback) and NULL when rc != JD_OK.
 */
typedef void (*jd_read_cb)(int rc, json_t *result, void *arg);

/* ---- Notices and timers ------------------------------------------------- */

/* A notice of the in-memory bus (not durable; see publish).  payload is borrowed: json_incref it
 * to keep it. */
typedef void (*jd_event_cb)(const char *name, json_t *payload, void *arg);
typedef void (*jd_timer_cb)(void *arg);

/* ---- Domain services: the types (docs/plugins.md "Domain services") -------- */

/*
 * What every domain plugin needs, written once in the host: a mutation
 * builder, calendar dates, counters bucketed by day and month, and the
 * statistics over them.  The plugin declares its tables as data; the
 * host does the machinery.
 */

/* A calendar date as days since 1970-01-01 (proleptic Gregorian, local time). */
typedef long jd_day;

/*
 * A mutation under construction (mut_* slots): fields set and deleted,
 * ops appended, every string copied and owned by it.  Out of memory is
 * remembered and reported once, by mut_submit.
 */
struct jd_mut;

/*
 * A plugin's counters: per event, HINCRBY of "<metric>|YYYYMMDD" and
 * "<metric>|YYYYMM" on the tenant's hash "<prefix>:t" and on the unit's
 * "<prefix>:u:<unit>", and SADD of the unit to "<prefix>:units".
 */
struct jd_counters {
	const char *prefix;	    /* e.g. "cnt"; distinct per plugin */
	const char *const *metrics; /* what a statistics query reads; NULL-terminated */
};

/*
 * A statistics query: the counters' metrics summed over [from, to] (and
 * the same range a year earlier), over a county or the counties a city or
 * province rolls up (org_tenants), optionally one unit or one group of a
 * county.  Field names in error messages are the route's input fields
 * "tenant", "from", "to", "compare", "unit", "group".
 */
struct jd_stats_query {
	jd_req *req;	     /* the caller: who may read what (tenant_readable, record scope) */
	const char *tenant;  /* a county, city or province */
	const char *from;    /* "YYYY-MM-DD" */
	const char *to;	     /* "YYYY-MM-DD", on or after from */
	const char *compare; /* NULL, "none" or "previous-year" */
	const char *unit;    /* NULL or a unit code (a county only) */
	const char *group;   /* NULL or a group code (a county only; its units summed) */
	const struct jd_counters *counters;
	/*
	 * NULL, or a metric: also count the active agencies (of the unit or
	 * group when filtered) whose metric is above 0 in the range.
	 */
	const char *agencies_with;
};

struct jd_stats_result {
	size_t counties; /* how many counties were summed */
	jd_day from, to, prev_from, prev_to;
	int compare;		    /* 1: the previous year's figures were read */
	const long long (*sum)[2];  /* per metric: [0] the range, [1] the year before */
	long long agencies_total;   /* active agencies in the filter (today's) */
	long long agencies_with[2]; /* of which with agencies_with > 0: range, year before */
};

/*
 * rc JD_OK with r; JD_E_INVALID with a message naming the field (reply
 * 400 with it); or JD_E_UNAVAILABLE, JD_E_TIMEOUT, JD_E_NOMEM, JD_ERR (r
 * and message NULL).  Both are borrowed for the call.
 */
typedef void (*jd_stats_cb)(int rc, const struct jd_stats_result *r, const char *message,
			    void *arg);

/*
 * A record's state machine, declared as data: its states and the actions
 * allowed from each.  Action "verb" or "verb.arg" (e.g. "dispose.close"):
 * a route proposes a verb and takes the arg from an input field.
 */
struct jd_state {
	const char *name; /* NULL ends the table */
	const char
	    *deadline_key; /* config key of the stage's days (a deadline); NULL or "": none */
	int deadline_days; /* its default */
};

struct jd_transition {
	const char *from;   /* NULL ends the table */
	const char *action; /* "verb" or "verb.arg" */
	const char *to;	    /* NULL: stays (e.g. an extension) */
	int approval;	    /* 1: proposed, then approved (or rejected) by a leader */
	const char *tag;    /* the plugin's own mark for the step (e.g. what it counts), or NULL */
};

/*
 * A plugin's deadlines: the sorted set `index` of each tenant holds
 * "<type>:<id>#<stage>" scored by the due date (YYYYMMDD), changed in the
 * same mutation as the record (machine_move, deadline_put, deadline_drop,
 * deadline_extend).  The host's sweep (sweeper_start) publishes
 * event_near / event_missed {tenant, record, stage, due, days_left} once
 * per deadline and due date, remembered in the hash `sent`, for every
 * tenant noted (sweeper_note_tenant, kept in the hash "registry:tenants"
 * of tenant "_<plugin name>").
 */
struct jd_deadline_conf {
	const char *index;	   /* e.g. "deadlines" */
	const char *sent;	   /* e.g. "deadlines:sent" */
	const char *near_key;	   /* config key: days before the due date that count as near */
	int near_days;		   /* its default */
	const char *interval_key;  /* config key: seconds between sweeps (1..86400) */
	int interval_s;		   /* its default */
	const char *event_near;	   /* e.g. "deadline.near" */
	const char *event_missed;  /* e.g. "deadline.missed" */
	const char *notify_action; /* audit action of recording the notices sent */
};

struct jd_machine {
	const char *type;   /* record type: record key "<type>:<id>", e.g. "lead" */
	const char *plural; /* index prefix, e.g. "leads": "leads:state:<state>" */
	const struct jd_state *states;
	const struct jd_transition *transitions;
	const struct jd_deadline_conf *deadlines; /* NULL: no state has a deadline */
};

/* A running deadline sweep (sweeper_start). */
struct jd_sweeper;

/*
 * Why a step was refused, for the reply: reply_error(req, status, code,
 * "%s", message).  code: "invalid" (400: a field), "illegal_transition",
 * "awaiting_approval", "nothing_pending" (409).
 */
struct jd_refusal {
	int status;
	const char *code;
	char message[400];
};

/*
 * A paged recount of a plugin's counters (recount_run): the host walks
 * each index (a sorted set of ids, e.g. "leads:all") in pages of 500 by
 * rank, reads each record "<type>:<id>" and calls derive, which adds to m
 * (counter_add) what the record counts, exactly as the writers do.  Then
 * it compares the sums with every counter hash field by field and reports
 * the drift; with fix, corrects it in one audited mutation of the record
 * `record` (fields "drift", "by").
 */
struct jd_recount_walk {
	const char *index; /* NULL ends the table */
	const char *type;  /* record key "<type>:<id>" */
	const char *count; /* the answer's member counting the records walked, e.g. "leads" */
	/* rec: the record's fields as a JSON object (borrowed) */
	void (*derive)(struct jd_mut *m, const json_t *rec);
};

struct jd_recount {
	const struct jd_counters *counters;
	const struct jd_recount_walk *walks;
	const char *record;	/* e.g. "recount:last" */
	const char *fix_action; /* audit action of the fix */
};

/*
 * rc JD_OK with the answer {tenant, <count>..., counters_checked, drift,
 * drifted: [{counter, field, expected, actual}] (the first 50), fixed}
 * (borrowed for the call); JD_E_INVALID with a message; or an error.
 */
typedef void (*jd_recount_cb)(int rc, json_t *answer, const char *message, void *arg);

/* ---- The leaders' report: the types (docs/plugins.md "The report hook") ---- */
/* (Appended in ABI 2.2.  A change to any of these structs bumps the major, as for the others.) */

/*
 * One figure a plugin contributes to GET /v1/report, declared as data.
 * unit: "count" (a whole number; small ones may be suppressed for
 * viewers), "percent", "score" or "days".  definition: its 口径, what is
 * counted, by which date, once per what (shown with every answer).
 */
struct jd_report_figure {
	const char *key;      /* "<section>.<figure>", e.g. "notes.created"; NULL ends */
	const char *label;    /* English */
	const char *label_zh; /* Chinese */
	const char *unit;
	const char *definition;
};

struct jd_report_value;

/*
 * A plugin's section of the report: its figures, in the order shown, and
 * how they are answered: by the function given to report_register, or
 * (that function NULL) by the core's stats_query over `counters` (with
 * `agencies_with`), whose result `values` turns into the figures.
 */
struct jd_report_section {
	const char *name; /* the section, [a-z0-9_]: the plugin's name */
	const char *title;
	const char *title_zh;
	const struct jd_report_figure *figures; /* key == NULL ends */
	const struct jd_counters *counters;	/* NULL: the function answers */
	const char *agencies_with;		/* as struct jd_stats_query's */
	/* one value per figure, in order, from the statistics */
	void (*values)(const struct jd_stats_result *r, struct jd_report_value *out);
};

/*
 * What the core asks a section for: one tenant (a county, or a city or
 * province rolling up its counties) over [from, to], with the same range
 * a year earlier when compare is "previous-year".  The core has checked
 * the input and that req's caller may read the tenant (and the counties
 * under it); pass req on to stats_query.  For by=month or by=tenant the
 * core asks once per month or county.
 */
struct jd_report_query {
	jd_req *req;
	const char *tenant;
	const char *from;    /* "YYYY-MM-DD" */
	const char *to;	     /* "YYYY-MM-DD" */
	const char *compare; /* "previous-year" or "none" */
};

/* A figure's answer: has_*: 0 when null (nothing to divide by, not compared). */
struct jd_report_value {
	double value;
	double previous;
	int has_value;
	int has_previous;
};

/*
 * The section's answer, one value per declared figure in order (values
 * borrowed for the call); rc JD_OK, or a failure (message may name it,
 * values NULL).  Call it exactly once per query.
 */
typedef void (*jd_report_done)(int rc, const struct jd_report_value *values, const char *message,
			       void *done_arg);
/* JD_OK: done runs exactly once (now or later); any other return: done does not run. */
typedef int (*jd_report_fn)(const struct jd_report_query *q, jd_report_done done, void *done_arg,
			    void *arg);

/* ---- The host table -------------------------------------------------- */

struct jd_host {
	uint32_t abi_major;
	uint32_t abi_minor;
	size_t size; /* sizeof(struct jd_host) as the host was built: slots past it are absent */

	/* logfmt line tagged with the plugin's name; never pass a sensitive value */
	void (*log)(jd_plugin_handle *self, enum jd_log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

	/*
	 * value of `key` in the plugin's [plugin.<name>] section, or `def`.
	 * Valid until fini: plugin settings change only with a restart.
	 */
	const char *(*config_get)(jd_plugin_handle *self, const char *key, const char *def);

	/* routes: call from init(); the path must start with /v1/<plugin name>/ */
	int (*route_add)(jd_plugin_handle *self, const struct jd_route *route);

	/* request accessors */
	const char *(*req_param)(jd_req *req, const char *name); /* path {name} or query */
	json_t *(*req_body)(jd_req *req);			 /* validated body; borrowed */
	const char *(*req_principal)(jd_req *req);		 /* who is calling */
	const char *(*req_id)(jd_req *req);			 /* request id for logs */

	/* replies: exactly one per request; body is stolen (json_decref'd by the host) */
	void (*reply_json)(jd_req *req, int status, json_t *body);
	void (*reply_error)(jd_req *req, int status, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
	/* maps a JD_E* code to its HTTP status and error code */
	void (*reply_rc)(jd_req *req, int rc, const char *what);

	/* storage: one atomic script per mutation; reads of one key */
	int (*store_mutate)(jd_plugin_handle *self, const struct jd_mutation *m, jd_mutate_cb cb,
			    void *arg);
	/* read-only commands (HGETALL, HGET, SMEMBERS, ZRANGE, ...); argv[1] is a relative key */
	int (*store_read)(jd_plugin_handle *self, const char *tenant, int argc, const char **argv,
			  jd_read_cb cb, void *arg);

	/*
	 * Notices: in memory, this process only, lost if it dies; delivered on
	 * the loop after the publisher returns.  For what may be lost (timer
	 * notices, "I am loaded"); anything another plugin must act on is a
	 * durable event (jd_mutation.events).
	 */
	int (*subscribe)(jd_plugin_handle *self, const char *name, jd_event_cb cb, void *arg);
	int (*publish)(jd_plugin_handle *self, const char *name, json_t *payload);

	/*
	 * timers: repeat != 0 fires every `ms` until cancelled.  Returns an id
	 * (0 on failure).  Cancelling an id that already fired (a one-shot) or
	 * was cancelled does nothing; the core cancels the rest after fini.
	 */
	uint64_t (*timer_add)(jd_plugin_handle *self, unsigned ms, int repeat, jd_timer_cb cb,
			      void *arg);
	void (*timer_cancel)(jd_plugin_handle *self, uint64_t id);

	/* a fresh random record id: 32 lowercase hex characters and a NUL */
	void (*new_id)(char out[33]);

	/*
	 * Sealed fields (docs/plugins.md, "Sealed fields").  The core keeps one
	 * data key per tenant, stored in Redis only wrapped under a master key
	 * of the keyring; a plugin never sees a key.
	 *
	 * keys_ready: loads (or, on the tenant's first use, creates) the
	 * tenant's key.  JD_OK: cb runs exactly once, later (never inside the
	 * call), with JD_OK, JD_E_FORBIDDEN (the key is wrapped under a master
	 * version the keyring lacks or refuses), JD_E_UNAVAILABLE, JD_E_TIMEOUT
	 * or JD_ERR.  Any other return: cb does not run.  Call seal, open and
	 * blind_index from cb (the key is certain to be loaded then).
	 */
	int (*keys_ready)(jd_plugin_handle *self, const char *tenant, void (*cb)(int rc, void *arg),
			  void *arg);
	/*
	 * Seals `plain` for (tenant, record_type, record_id, field): a
	 * malloc'd "s1.t1.<base64url>" to store instead of the value, or NULL
	 * (errno EAGAIN: call keys_ready first; EINVAL; ENOMEM).  A sealed
	 * value opens only for the same tenant, record and field.
	 */
	char *(*seal)(jd_plugin_handle *self, const char *tenant, const char *record_type,
		      const char *record_id, const char *field, const char *plain);
	/*
	 * Opens a sealed value for the caller of `req`, if the caller's roles
	 * grant `permission`.  Returns the plaintext (free it with plain_free)
	 * or NULL with errno EACCES (no permission: nothing was opened),
	 * EBADMSG (does not open: altered, or moved from another record or
	 * field; unknown format or key), EAGAIN (call keys_ready first), EINVAL
	 * or ENOMEM.  The core logs every open and every refusal (request id,
	 * principal, record, field; never the value).
	 */
	char *(*open)(jd_plugin_handle *self, jd_req *req, const char *permission,
		      const char *tenant, const char *record_type, const char *record_id,
		      const char *field, const char *sealed);
	/* wipes and frees what open returned; NULL is ignored */
	void (*plain_free)(char *plain);
	/*
	 * Blind index of `value` for (tenant, record_type, field): 32 lowercase
	 * hex characters and a NUL, the same for values equal after
	 * normalisation (ASCII case, full-width forms, spaces).  Use it as part
	 * of an index key ("notes:by_title:<blind>").  JD_OK, JD_E_NOTFOUND
	 * (call keys_ready first) or JD_E_INVALID.
	 */
	int (*blind_index)(jd_plugin_handle *self, const char *tenant, const char *record_type,
			   const char *field, const char *value, char out[33]);

	/*
	 * Record scope (docs/security.md "Record scope"; the decision is the
	 * core's).  Call it with the record's tenant, unit (may be empty),
	 * groups and deny list (comma-separated user ids; may be empty) before
	 * showing, changing or listing a record.  Returns 1 (visible) or 0.
	 * On 0 the core appends "record.hidden" to the tenant's audit trail,
	 * with `target` (e.g. "note:<id>") and outcome "out_of_scope" or
	 * "denied_by_list"; target NULL (filtering a listing) is not audited.
	 * On 0 the plugin must answer exactly as if the record did not exist
	 * (404, the same message), and leave it out of a listing.  The deny
	 * list wins over every role, the instance admin's too.  NULL in a host
	 * older than this slot.
	 */
	int (*record_visible)(jd_req *req, const char *target, const char *tenant, const char *unit,
			      const char *groups, const char *deny);
	/* further security services; NULL until then */
	void *security_reserved[2];
	/*
	 * Record keys (crypto-shredding, docs/security.md "Sealed fields").  A
	 * record may have its own random data key; the plugin stores it in the
	 * record, wrapped under the tenant's key, and seals that record's most
	 * sensitive fields under it.  Deleting the wrapped key (HDEL in a
	 * mutation) makes every copy of those sealed values unreadable, once no
	 * copy of the wrapped key is left (a backup taken before still has one).
	 * NULL in a host older than these slots.  Call them from a keys_ready
	 * callback, as seal and open.
	 *
	 * record_key_new: a new record key for (tenant, record_type, record_id),
	 * wrapped: a malloc'd "w1.t.<base64url>" to store in the record (e.g.
	 * field "rkey"), or NULL (errno EAGAIN: call keys_ready first; EINVAL,
	 * also for a ':' in tenant or record_type; ENOMEM).
	 */
	char *(*record_key_new)(jd_plugin_handle *self, const char *tenant, const char *record_type,
				const char *record_id);
	/*
	 * As seal, under the record key that wrapped_rkey (what record_key_new
	 * returned for this record) holds: a malloc'd "s1.r.<base64url>" or NULL
	 * with errno as for seal (EBADMSG: wrapped_rkey is not this record's).
	 */
	char *(*seal_rk)(jd_plugin_handle *self, const char *tenant, const char *record_type,
			 const char *record_id, const char *field, const char *wrapped_rkey,
			 const char *plain);
	/*
	 * As open (the same permission check, logging and audit), under the
	 * record key that wrapped_rkey holds.  EBADMSG also when wrapped_rkey
	 * is missing (NULL: the record was purged), another record's, or does
	 * not unwrap.
	 */
	char *(*open_rk)(jd_plugin_handle *self, jd_req *req, const char *permission,
			 const char *tenant, const char *record_type, const char *record_id,
			 const char *field, const char *wrapped_rkey, const char *sealed);
	/*
	 * The organization (docs/organization.md), read-only.  NULL in a host
	 * older than these slots.
	 *
	 * org_read: a county's organization as one JSON object (units,
	 * people, groups, staffing figures' inputs; never declared ties): its
	 * shape is in docs/plugins.md, "The organization".  JD_OK: cb runs
	 * exactly once, later, with JD_OK and the object (borrowed for the call), or
	 * JD_E_NOTFOUND (no such tenant), JD_E_INVALID (not a county),
	 * JD_E_UNAVAILABLE, JD_E_TIMEOUT, JD_ERR and NULL.  Any other return:
	 * cb does not run.
	 */
	int (*org_read)(jd_plugin_handle *self, const char *tenant,
			void (*cb)(int rc, json_t *org, void *arg), void *arg);
	/*
	 * org_conflicts: why `who` (a user id linked to a person, or a person
	 * id of tenant) must not handle a matter of `unit` (a unit code of
	 * tenant; may be NULL) or of a subject employed by `employer` (free
	 * text; may be NULL): own unit or former unit, a unit linked to or
	 * supervised by theirs, a declared tie.  The core opens the declared
	 * ties itself; the reasons name the kind of tie and the unit, never the
	 * declared text.  JD_OK: cb runs exactly once, later, with JD_OK and a
	 * JSON array of reason strings (empty: no conflict; borrowed for the
	 * call), or JD_E_NOTFOUND (no such person, or the user is linked to
	 * none), JD_E_UNAVAILABLE, JD_E_TIMEOUT, JD_ERR and NULL.  Any other
	 * return (JD_E_INVALID: bad tenant or who): cb does not run.
	 */
	int (*org_conflicts)(jd_plugin_handle *self, const char *tenant, const char *who,
			     const char *unit, const char *employer,
			     void (*cb)(int rc, json_t *reasons, void *arg), void *arg);
	/*
	 * org_tenants: the tenant `tenant` and the counties it rolls up (itself
	 * for a county): cb gets {"code", "name", "level", "counties": [codes,
	 * sorted]} (borrowed for the call).  Same return and callback rules as
	 * org_read.  The system tenant "_sys" (users, tokens, tenants) is the
	 * core's: store_read and store_mutate refuse it to plugins.
	 */
	int (*org_tenants)(jd_plugin_handle *self, const char *tenant,
			   void (*cb)(int rc, json_t *tree, void *arg), void *arg);
	/*
	 * Whether the caller of req may read what is aggregated over `tenant`
	 * (figures, the organization), `parent` being its parent or NULL: an
	 * instance admin any tenant, anyone else when tenant (or parent) is
	 * among their tenants or lies beneath one of them (who may read a
	 * roll-up reads every tenant beneath it).  The route's permission is checked before;
	 * records are still record_visible's.  Returns 1 or 0.  NULL in an older host.
	 */
	int (*tenant_readable)(jd_req *req, const char *tenant, const char *parent);

	/* ---- Durable events (docs/plugins.md "Events") ---- */
	/*
	 * on_event: call from init().  cb handles the durable events named
	 * `name` of every tenant, read through the plugin's own consumer group
	 * (the group is the plugin's name): at least once, in order per tenant,
	 * one at a time per tenant.  NULL in a host older than these slots.
	 */
	int (*on_event)(jd_plugin_handle *self, const char *name, jd_event_handler cb, void *arg);
	/*
	 * Finishes an event the handler took without a mutation of its own (it
	 * had nothing to change: JD_OK acknowledges it) or that failed (rc < 0:
	 * delivered again later).  ev is invalid afterwards.
	 */
	void (*event_done)(jd_plugin_handle *self, const struct jd_event *ev, int rc);
	void *reserved[1];

	/* ==== Domain services (docs/plugins.md "Domain services") ==============
	 * NULL in a host older than these slots (check host->size).
	 */

	/* -- mutation builder: NULL out of memory; mut_free(NULL) does nothing */
	struct jd_mut *(*mut_new)(void);
	void (*mut_free)(struct jd_mut *m);
	void (*mut_set)(struct jd_mut *m, const char *field, const char *value);
	void (*mut_setf)(struct jd_mut *m, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
	void (*mut_del)(struct jd_mut *m, const char *field);
	void (*mut_op)(struct jd_mut *m, enum jd_op_kind kind, const char *key, const char *member,
		       const char *value);
	/* marks m failed (a step's own allocation failed): mut_submit answers JD_E_NOMEM */
	void (*mut_fail)(struct jd_mut *m);
	/* m's ops so far (n of them), e.g. to sum a scratch mutation's counters */
	const struct jd_op *(*mut_ops)(const struct jd_mut *m, size_t *n);
	/*
	 * a durable event published with the change, or not at all (docs/plugins.md
	 * "Events"); payload is stolen; more than 16 marks m failed
	 */
	void (*mut_event)(struct jd_mut *m, const char *name, json_t *payload);
	/*
	 * Submits m with what: tenant, record, expect_version, idempotency_key,
	 * req, action (its set, del, ops and n_ops are ignored: m's are used).
	 * m stays the caller's to free (at once is fine).  Returns as
	 * store_mutate; JD_E_NOMEM when m ran out of memory.
	 */
	int (*mut_submit)(jd_plugin_handle *self, struct jd_mut *m, const struct jd_mutation *what,
			  jd_mutate_cb cb, void *arg);

	/* -- calendar dates, exchanged as "YYYY-MM-DD" */
	/* JD_OK, or JD_E_INVALID when not a real date (1949..9999) */
	int (*day_parse)(const char *s, jd_day *out);
	void (*day_format)(jd_day d, char out[11]);
	jd_day (*day_today)(void); /* local time */
	int (*day_year)(jd_day d);
	long (*day_number)(jd_day d); /* YYYYMMDD as a number: a sorted set's score */
	jd_day (*day_from_number)(long yyyymmdd);
	/*
	 * An event's date from input field `field` (value NULL: today): not
	 * in the future, not before not_before (negative: no bound), which
	 * the message calls after_what ("the case was filed").  JD_OK, or
	 * JD_E_INVALID with a message naming the field in err.
	 */
	int (*date_input)(const char *field, const char *value, jd_day not_before,
			  const char *after_what, jd_day *out, char *err, size_t errlen);

	/* -- counters (struct jd_counters), added to m: by (+1, -1) on day d */
	void (*counter_add)(struct jd_mut *m, const struct jd_counters *c, const char *unit,
			    const char *metric, jd_day d, long long by);
	/*
	 * The statistics query (struct jd_stats_query).  JD_OK: cb runs
	 * exactly once, later.  JD_E_INVALID (bad input) or JD_E_FORBIDDEN
	 * (the caller may not read these figures) with a message in err: cb
	 * does not run; nor on any other return.
	 */
	int (*stats_query)(jd_plugin_handle *self, const struct jd_stats_query *q, jd_stats_cb cb,
			   void *arg, char *err, size_t errlen);

	/* -- state machines (struct jd_machine): lookups in the plugin's tables */
	/* the transition of `action` from `state`, or NULL */
	const struct jd_transition *(*machine_find)(const struct jd_machine *m, const char *state,
						    const char *action);
	/*
	 * As machine_find; NULL with r filled (409 illegal_transition: "<type>
	 * <id> is <state>: '<action>' is not allowed; allowed: a (x, y), b")
	 */
	const struct jd_transition *(*machine_step)(const struct jd_machine *m, const char *id,
						    const char *state, const char *action,
						    struct jd_refusal *r);
	/* "a (x, y), b": the actions allowed from state; "none (<state> is final)" */
	void (*machine_allowed)(const struct jd_machine *m, const char *state, char *out,
				size_t len);
	/* the state's row, or NULL when no such state */
	const struct jd_state *(*machine_state)(const struct jd_machine *m, const char *state);
	/* 1 when no action leaves the state */
	int (*machine_terminal)(const struct jd_machine *m, const char *state);

	/*
	 * -- proposals: an action with `approval` waits in the record's field
	 * "pending" ({"action", "by", "from", ...the plugin's arguments}) and
	 * blocks every other proposal until a leader approves or rejects it.
	 * rec: the record's fields as a JSON object ("state", "state_since",
	 * "pending"); id: the record's id, for messages.
	 *
	 * proposal_open: JD_OK and *pending (a new object to add arguments to,
	 * then proposal_put) when `verb` (with `arg` read from input field
	 * arg_field, or arg_field NULL) may be proposed now; otherwise
	 * JD_E_CONFLICT or JD_E_INVALID with r filled.
	 */
	int (*proposal_open)(const struct jd_machine *m, const json_t *rec, const char *id,
			     const char *verb, const char *arg_field, const char *arg, jd_req *req,
			     json_t **pending, struct jd_refusal *r);
	/* sets field "pending" of mut to the proposal (stays the caller's) */
	void (*proposal_put)(struct jd_mut *mut, const json_t *pending);
	/*
	 * A leader approves: JD_OK with *t the transition, *pending the
	 * proposal (a new reference) and *day the approval's date (input
	 * `date`: today when NULL, not before the record entered its state),
	 * and mut holding the deletion of "pending" and "approved_by"; the
	 * plugin then moves the state (t->to) and adds its own effects.
	 * Otherwise JD_E_CONFLICT or JD_E_INVALID with r filled.
	 */
	int (*proposal_approve)(const struct jd_machine *m, const json_t *rec, const char *id,
				const char *date, jd_req *req, struct jd_mut *mut,
				const struct jd_transition **t, json_t **pending, jd_day *day,
				struct jd_refusal *r);
	/* A leader rejects: mut gets "pending" deleted, "rejected", "rejected_by",
	 * "rejected_reason". */
	int (*proposal_reject)(const struct jd_machine *m, const json_t *rec, const char *id,
			       const char *reason, jd_req *req, struct jd_mut *mut,
			       struct jd_refusal *r);
	/* 0 when nothing waits; otherwise 409 awaiting_approval in r and -1 */
	int (*proposal_none)(const struct jd_machine *m, const json_t *rec, const char *id,
			     struct jd_refusal *r);

	/*
	 * -- deadlines (struct jd_deadline_conf, the machine's `deadlines`).
	 * machine_move: the record `id` moves from `from` (NULL or "": a new
	 * record) to `to` on day start: fields "state", "state_since", "due"
	 * (the stage's due date, or ""), the state indexes
	 * "<plural>:state:<state>" (scored YYYYMMDD) and the deadline of the
	 * old stage dropped, the new one's put (its days: the state's config
	 * key, default deadline_days).
	 */
	void (*machine_move)(jd_plugin_handle *self, const struct jd_machine *m, struct jd_mut *mut,
			     const char *id, const char *from, const char *to, jd_day start);
	/* the stage's due date from its start (config days), or -1 when the state has none */
	jd_day (*deadline_due)(jd_plugin_handle *self, const struct jd_machine *m,
			       const char *state, jd_day start);
	/* "<type>:<id>#<stage>" due on `due` (a notice already sent for it is forgotten) */
	void (*deadline_put)(const struct jd_machine *m, struct jd_mut *mut, const char *id,
			     const char *stage, jd_day due);
	void (*deadline_drop)(const struct jd_machine *m, struct jd_mut *mut, const char *id,
			      const char *stage);
	/*
	 * An approved extension of the record's stage (rec: its fields "state",
	 * "due", "ext_days") by `days`: the deadline and "due" move, "ext_days"
	 * grows.
	 */
	void (*deadline_extend)(const struct jd_machine *m, struct jd_mut *mut, const json_t *rec,
				const char *id, long long days);
	/*
	 * The sweep: a timer every conf->interval_key seconds.  NULL (logged)
	 * on a bad interval or out of memory.  Stop it in fini (the handle is
	 * freed then).
	 */
	struct jd_sweeper *(*sweeper_start)(jd_plugin_handle *self,
					    const struct jd_deadline_conf *conf);
	/* notes that tenant has records with deadlines (once per process) */
	void (*sweeper_note_tenant)(struct jd_sweeper *s, const char *tenant);
	/*
	 * The deadlines of tenant due within `days` from today, late ones
	 * included, earliest first, at most 200: cb gets JD_OK and an array of
	 * {record, stage, due, days_left, late} (borrowed for the call), or an
	 * error and NULL.  JD_OK: cb runs exactly once, later; otherwise it
	 * does not run.  The plugin checks each record's scope before showing it.
	 */
	int (*deadline_list)(jd_plugin_handle *self, const struct jd_deadline_conf *conf,
			     const char *tenant, int days,
			     void (*cb)(int rc, json_t *items, void *arg), void *arg);
	/* sweeps now (as the timer does) */
	void (*sweeper_run)(struct jd_sweeper *s);
	void (*sweeper_stop)(struct jd_sweeper *s);

	/*
	 * -- recount (struct jd_recount) of tenant for the caller of req
	 * (principal recorded by a fix); a roll-up recounts each county-level
	 * tenant under it ("counties" in the answer), and one with none
	 * under it calls back JD_E_INVALID with a message.  JD_OK: cb runs
	 * exactly once, later.
	 * Otherwise cb does not run (JD_E_INVALID: bad tenant or declaration).
	 * Run it while the tenant is quiet: a change made during the walk shows
	 * as drift.
	 */
	int (*recount_run)(jd_plugin_handle *self, const struct jd_recount *r, jd_req *req,
			   const char *tenant, int fix, jd_recount_cb cb, void *arg);
	/* ==== end of domain services ========================================== */

	/* ---- request-owned memory (appended; NULL in an older host) ---- */
	/*
	 * req_ctx: zeroed memory that belongs to req, freed by the host when
	 * the request is finished (its one reply is sent, also when the client
	 * has gone or the daemon is draining), dtor(ptr) first if not NULL.
	 * Keep per-request state there instead of freeing it on every error
	 * path: after reply_* it is gone, so reply last and only when no
	 * callback of the request is still pending.  NULL when out of memory.
	 */
	void *(*req_ctx)(jd_req *req, size_t size, void (*dtor)(void *ptr));

	/* ---- the caller's person (appended, ABI 2.1; NULL in an older host) ---- */
	/*
	 * req_person: the organization person the calling user is linked to
	 * (the user's `person`), as "<county>/<person id>": the link the core
	 * resolves for the record scope.  NULL when the user is linked to
	 * none, or for a principal without a user record (the instance
	 * admin's certificate).  Valid until the request's reply.
	 */
	const char *(*req_person)(jd_req *req);

	/* ---- the leaders' report (appended, ABI 2.2; NULL in an older host) ---- */
	/*
	 * report_register: call from init().  Declares the plugin's section of
	 * GET /v1/report (struct jd_report_section, kept by pointer: static
	 * data) and the function that answers it (struct jd_report_query).
	 * One section per plugin; JD_E_INVALID on a bad declaration (a key not
	 * "<section>.<figure>", an unknown unit), JD_E_CONFLICT on a second.
	 * fn NULL: the section's counters and values answer (the usual case).
	 * Dropped when the plugin stops.
	 */
	int (*report_register)(jd_plugin_handle *self, const struct jd_report_section *section,
			       jd_report_fn fn, void *arg);

	/* ---- further records in one mutation (appended, ABI 2.3; NULL in an older host) ---- */
	/*
	 * mut_record: another record that m's mutation writes in the same
	 * atomic step (e.g. a letter and the rectification item of each of its
	 * problems).  Returns a builder for it: mut_set, mut_setf and mut_del on
	 * it write that record's fields (as HSET / HDEL ops of m; fields
	 * starting with "_" are refused: mut_submit answers JD_E_INVALID), and
	 * mut_op, mut_event and the services that take a struct jd_mut
	 * (machine_move, deadline_put, counter_add, ...) add to m, so the
	 * record's state, deadline, indexes and counters come with it.
	 * expect_version as a mutation's (JD_VERSION_NEW: must not exist yet),
	 * checked with m's own before anything is written (a mismatch: the
	 * whole mutation answers JD_E_CONFLICT); the record's version "_v"
	 * grows by one.  The builder belongs to m (mut_free on it does
	 * nothing; it is freed with m; mut_ops on it gives m's) and is never
	 * submitted itself.  NULL when out of memory or record is NULL or ""
	 * (m then fails).
	 */
	struct jd_mut *(*mut_record)(struct jd_mut *m, const char *record,
				     long long expect_version);
};

/* ---- The descriptor a plugin exports ----------------------------------- */

struct jd_config_key {
	const char *name;
	const char *def;
	const char *description;
};

/* ---- Permissions a plugin declares ------------------------------------- */

/*
 * One permission a plugin defines (docs/plugins.md, "Permissions").  The
 * host merges the plugin's table into the role matrix at load; a route
 * or a sealed-field open may then name it.  The core's own permissions
 * are declared the same way (docs/security.md, "Roles and the permission
 * matrix").
 */
struct jd_permission {
	const char *name;    /* "<plugin name>.<what>", e.g. "cases.approve"; [a-z0-9_.] */
	const char *summary; /* one line, shown by GET /v1/roles and jianductl roles */
	/*
	 * The built-in roles that hold it, comma-separated: "leader,staff";
	 * NULL or "": the instance admin only (who holds every permission).
	 * Roles: admin, tenant_admin, leader, staff, reviewer, trainer,
	 * auditor, viewer (docs/security.md).
	 */
	const char *roles;
};

/* ---- The layout signature ------------------------------------------------ */

/*
 * The sizes of the structs a plugin and the host share, as the plugin was
 * compiled.  The loader compares them with its own (jd_host's with its
 * size at the plugin's minor) and refuses a mismatch, naming both.
 */
struct jd_layout {
	uint32_t plugin, host, route, field, mutation, op, mutate_result, permission, config_key;
};

#define JD_LAYOUT                                                                                  \
	{                                                                                          \
		.plugin = sizeof(struct jd_plugin), .host = sizeof(struct jd_host),                \
		.route = sizeof(struct jd_route), .field = sizeof(struct jd_field),                \
		.mutation = sizeof(struct jd_mutation), .op = sizeof(struct jd_op),                \
		.mutate_result = sizeof(struct jd_mutate_result),                                  \
		.permission = sizeof(struct jd_permission),                                        \
		.config_key = sizeof(struct jd_config_key),                                        \
	}

struct jd_plugin {
	/* these four must stay first: they protect the rest */
	uint32_t magic;
	uint32_t abi_major;
	uint32_t abi_minor;
	struct jd_layout layout;

	const char *name;
	const char *version;
	const char *summary;
	const char *const *requires;	    /* plugin names, NULL-terminated; may be NULL */
	const struct jd_config_key *config; /* keys of [plugin.<name>], name == NULL ends */
	/* the permissions it defines, name == NULL ends; may be NULL (no routes) */
	const struct jd_permission *permissions;
	int (*init)(const struct jd_host *host, jd_plugin_handle *self);
	void (*fini)(void);
	void *reserved[4];
};

#define JD_PLUGIN_SYMBOL "jd_plugin"

#define JD_PLUGIN_DEFINE(...)                                                                      \
	__attribute__((visibility("default")))                                                     \
	const struct jd_plugin jd_plugin = {.magic = JD_PLUGIN_MAGIC,                              \
					    .abi_major = JD_ABI_MAJOR,                             \
					    .abi_minor = JD_ABI_MINOR,                             \
					    .layout = JD_LAYOUT,                                   \
					    __VA_ARGS__}

#ifdef __cplusplus
}
#endif
#endif
