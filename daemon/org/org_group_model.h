/*
 * Groups of a county, the pure part: what makes a group valid against its
 * county's snapshot (org_snapshot.h), the text forms of its fields, and
 * the scope that membership gives (docs/security.md, "Record scope").
 * No I/O here: the routes are in org_groups.c, the access decision in
 * auth.c.
 *
 * Kinds: task_force (专班), case_centre (办案中心), area (片区),
 * joint_group (联组/协作组), matter ("1+N"), sub_group (a part of another
 * group: general 综合组, supervision_inspection 监督检查组,
 * review_investigation 审查调查组, daily_supervision 日常监督组,
 * case_handling 专案查办组).
 */
#ifndef JD_ORG_GROUP_MODEL_H
#define JD_ORG_GROUP_MODEL_H

#include <stddef.h>

#include <jansson.h>

#include "org/org_codes.h"

#define JD_GROUP_CODE_MAX    JD_ORG_CODE_MAX
#define JD_GROUP_UNITS_MAX   100 /* member units of one group */
#define JD_GROUP_MEMBERS_MAX 200 /* members of one group */
#define JD_GROUP_YEAR_MIN    1990
#define JD_GROUP_YEAR_MAX    2100

int jd_group_kind_valid(const char *s);
int jd_group_function_valid(const char *s);
/* "", "rotating" or "division". */
int jd_group_policy_valid(const char *s);

/*
 * "unit:what it answers for;unit:..." -> {"unit": "what"} (*out, the
 * caller's).  Every unit a code, named once, with a non-empty text.
 * JD_E_INVALID with the reason, naming field 'shares', in why.
 */
int jd_group_shares_parse(const char *text, json_t **out, char *why, size_t len);

/*
 * Checks a group against snap (a county's snapshot) and resolves it.  in
 * is the group as proposed, in the snapshot's shape, except that "leader"
 * and the entries of "members" may be people's names (unique among the
 * county's active people) instead of ids, "year" may be absent (0), and
 * "leaders" is ignored.  old is the group as stored before (NULL for a
 * new one): units, members and the leader it has already are not refused
 * for having changed since (retired, another post).  An absent year is
 * old's when the leader stays, else this_year.  JD_OK: *out (the
 * caller's) is the group to store: ids only, every member present, the
 * leader history "leaders" of old with the year set to the leader.
 * JD_E_INVALID: why names the field and the reason.  JD_E_NOMEM.
 */
int jd_group_check(const json_t *snap, const char *code, const json_t *in, const json_t *old,
		   long long this_year, json_t **out, char *why, size_t len);

/*
 * The people of snap "people" by name, {name: [id, ...]}; NULL out of
 * memory.  A group names up to 200 people, and a county may hold
 * thousands: jd_group_check builds this once per group rather than walk
 * every person for each name, and an import, which checks thousands of
 * groups against the same people, builds it once and calls
 * jd_group_check_indexed (the same answers).
 */
json_t *jd_group_names_index(const json_t *people);
/* jd_group_check with names from jd_group_names_index over snap's people (NULL: walks them). */
int jd_group_check_indexed(const json_t *snap, const json_t *names, const char *code,
			   const json_t *in, const json_t *old, long long this_year, json_t **out,
			   char *why, size_t len);

/*
 * A user's link to an org person, "<county code>/<person id>": JD_OK
 * with county (6 digits) and id (32 hex) copied out, else JD_E_INVALID.
 */
int jd_person_link_parse(const char *s, char county[7], char id[33]);

/*
 * The scope person's groups give.  summaries: an HGETALL of a county's
 * "groups:summary" ([code, JSON, ...]).  Every active group of kind area,
 * joint_group, task_force, case_centre or matter that person leads or is
 * a member of (a member or the leader of one of its active sub-groups
 * counts as its member) adds "<county>/<unit>" for each member unit to
 * units and "<county>/<code>" to groups: comma-separated, appended after
 * what is there, none twice, never past the buffers' sizes.  Returns how
 * many entries did not fit (0: all did).
 */
size_t jd_group_scope(const json_t *summaries, const char *county, const char *person, char *units,
		      size_t units_len, char *groups, size_t groups_len);

#endif
