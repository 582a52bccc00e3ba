/*
 * A county's whole organization read in one go, for what needs all of it
 * at once: staffing, groups, the conflict check, rotation, import, export
 * and the org report.  A county holds dozens of units and hundreds of
 * people, so this is bounded by the county's size, never by the number of
 * case records.
 *
 * Keys of a county tenant T (hash tag {T}), written only by daemon/org_*.c:
 *   "orgrev"             hash, field "_v": the county organization's revision.
 *                        Every org write bumps it (jd_org_rev_op); writes
 *                        that validate against a snapshot (import, rotation)
 *                        use it as their mutation record with
 *                        expect_version = snapshot "rev", so a change made
 *                        in between answers 409.
 *   "units:summary"      code -> JSON unit (below); "unit:<code>" the record
 *   "people:summary"     id -> JSON person (below); "person:<id>" the record
 *   "people:ties"        id -> the sealed ties (same value as person:<id>.ties)
 *   "groups:summary"     code -> JSON group (below); "group:<code>" the record
 *   "transfers"          sorted set, score YYYYMMDD, member JSON transfer
 *
 * The snapshot (a JSON object, borrowed for the callback: json_incref to keep it):
 * {
 *   "tenant": "510681", "rev": 12,
 *   "county": {"name", "level": "county", "parent", "centralized": bool,
 *              "centralized_since", "modes": "area,joint_group"},
 *   "units": {"<code>": {"name", "kind", "status": "active"|"retired",
 *             "supervised": "name,name" (agency), "linked": "code,code" (office),
 *             "posts": int approved posts (编制), "leadership_posts": int}},
 *   "people": {"<id>": {"name", "post": leader|head|deputy|cadre, "unit",
 *              "start", "new_cadre": bool, "status": "active"|"retired",
 *              "former": "code,code" (units moved away from)}},
 *   "groups": {"<code>": {"name", "kind": task_force|case_centre|area|
 *              joint_group|matter|sub_group, "status": "active"|"retired",
 *              "leader": "<person id>" or "", "units": "code,code",
 *              "members": "id,id", "parent": "<group code>" (sub_group) or "",
 *              "function": sub_group function or "",
 *              "policy": "rotating"|"division"|"" (joint_group),
 *              "rotation": "code,code" (rotating: the order),
 *              "shares": {"<unit code>": "what it answers for"} (division),
 *              "year": int (the year the leader leads),
 *              "leaders": {"<year>": "<person id>"} (history)}},
 *   "transfers": [{"id", "date", "from", "to", "count": int, "leadership_count": int,
 *                  "reason"}],
 *   "ties": {"<id>": "<sealed>"}   only with JD_SNAP_TIES
 *   "history": {"YYYY-MM": entry}  only with JD_SNAP_HISTORY (org_history.h)
 * }
 * Missing optional members read as ""/0/false; fields written before
 * they existed are absent, so readers use the helpers below.
 */
#ifndef JD_ORG_SNAPSHOT_H
#define JD_ORG_SNAPSHOT_H

#include <jansson.h>

#include <jiandu/plugin.h>

struct jd_server;

#define JD_ORG_REV_KEY "orgrev"

/* JD_SNAP_HISTORY: also "history", {month: entry} (org_history.h) */
enum { JD_SNAP_TIES = 1u << 0, JD_SNAP_HISTORY = 1u << 1 };

/*
 * rc JD_OK with snap (borrowed for the call), or JD_E_NOTFOUND
 * (no tenant), JD_E_INVALID (not a county), JD_E_UNAVAILABLE /
 * JD_E_TIMEOUT / JD_ERR (Redis) with snap NULL.
 */
typedef void (*jd_org_snapshot_cb)(int rc, json_t *snap, void *arg);

/*
 * Reads tenant's organization.  JD_OK: cb runs exactly once, later.
 * Otherwise (bad tenant code: JD_E_INVALID; Redis down) cb does not run.
 */
int jd_org_snapshot_read(struct jd_server *srv, const char *tenant, unsigned flags,
			 jd_org_snapshot_cb cb, void *arg);

/*
 * The op every org write adds to its mutation: HINCRBY orgrev _v 1; not
 * the writes whose record is "orgrev" itself (their version bump is it).
 */
struct jd_op jd_org_rev_op(void);

/* HGETALL [field, JSON, ...] -> {field: parsed}; an entry that does not parse is left out. */
json_t *jd_snap_summaries(const json_t *hgetall);

/* Readers that tolerate absent members: "" / 0 / 0. */
const char *jd_snap_str(const json_t *obj, const char *name);
long long jd_snap_int(const json_t *obj, const char *name);
int jd_snap_bool(const json_t *obj, const char *name);

#endif
