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
#define JD_ABI_MAJOR	1
#define JD_ABI_MINOR	0

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
	 * people, groups, staffing figures' inputs; never declared ties): see
	 * daemon/org/org_snapshot.h for its shape.  JD_OK: cb runs exactly once,
	 * later, with JD_OK and the object (borrowed for the call), or
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
	 * instance admin any tenant, anyone else when tenant or parent is among
	 * their tenants.  The route's permission is checked before; records are
	 * still record_visible's.  Returns 1 or 0.  NULL in an older host.
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
};

/* ---- The descriptor a plugin exports ----------------------------------- */

struct jd_config_key {
	const char *name;
	const char *def;
	const char *description;
};

struct jd_plugin {
	/* these three must stay first: they protect the rest */
	uint32_t magic;
	uint32_t abi_major;
	uint32_t abi_minor;

	const char *name;
	const char *version;
	const char *summary;
	const char *const *requires;	    /* plugin names, NULL-terminated; may be NULL */
	const struct jd_config_key *config; /* keys of [plugin.<name>], name == NULL ends */
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
					    __VA_ARGS__}

#ifdef __cplusplus
}
#endif
#endif
