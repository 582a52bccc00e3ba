#include "security/permissions.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/log.h"
#include "security/auth.h"

#define PERM_NAME_MAX 64

/*
 * One declared permission.  decl points into its declarer's table: the
 * core's is static, a plugin's lives as long as the plugin is mapped, and
 * the loader drops a plugin's entries before it unmaps it.
 */
struct entry {
	const struct jd_permission *decl;
	char owner[40];
	unsigned roles;
};

static struct entry *entries;
static size_t n_entries, cap_entries;
static int core_state; /* 0 not yet merged, 1 merged, -1 the core's table is broken */

static int ensure_core(void);

static struct entry *find(const char *name)
{
	if (name == NULL || ensure_core() != JD_OK)
		return NULL;
	for (size_t i = 0; i < n_entries; i++)
		if (strcmp(entries[i].decl->name, name) == 0)
			return &entries[i];
	return NULL;
}

/* "<seg>.<seg>[.<seg>...]", each segment [a-z0-9_]+. */
static int valid_name(const char *s)
{
	size_t n = strlen(s), segs = 1;

	if (n == 0 || n > PERM_NAME_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
			segs++;
		} else if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
			     s[i] == '_')) {
			return 0;
		}
	}
	return segs >= 2;
}

static int under_prefix(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(name, prefix, n) == 0 && name[n] == '.';
}

/* Whether some permission of the core's starts with "<owner>.": that prefix is the core's. */
static int core_prefix(const char *owner)
{
	for (const struct jd_permission *p = jd_auth_core_permissions(); p->name; p++)
		if (under_prefix(p->name, owner))
			return 1;
	return 0;
}

static int declared_before(const struct jd_permission *table, const struct jd_permission *p)
{
	for (const struct jd_permission *q = table; q < p; q++)
		if (strcmp(q->name, p->name) == 0)
			return 1;
	return 0;
}

/* Already in the matrix under another owner (a check on reload sees the plugin's own). */
static int declared_by_other(const char *owner, const char *name)
{
	const struct entry *e = find(name);

	return e != NULL && strcmp(e->owner, owner) != 0;
}

static int check_one(const char *owner, const struct jd_permission *table,
		     const struct jd_permission *p, int is_core, unsigned *roles, char *err,
		     size_t errlen)
{
	char why[200];

	if (!valid_name(p->name)) {
		snprintf(err, errlen,
			 "plugin '%s': permission '%.64s' is not a name of [a-z0-9_] segments "
			 "joined by dots",
			 owner, p->name);
		return JD_E_INVALID;
	}
	if (!is_core && !under_prefix(p->name, owner)) {
		snprintf(err, errlen,
			 "plugin '%s': permission '%s' is outside its prefix '%s.' (a plugin "
			 "declares only its own permissions)",
			 owner, p->name, owner);
		return JD_E_INVALID;
	}
	if (declared_before(table, p) || (!is_core && declared_by_other(owner, p->name))) {
		snprintf(err, errlen, "plugin '%s': permission '%s' is declared twice", owner,
			 p->name);
		return JD_E_INVALID;
	}
	if (p->summary == NULL || *p->summary == '\0') {
		snprintf(err, errlen, "plugin '%s': permission '%s' has no summary", owner,
			 p->name);
		return JD_E_INVALID;
	}
	if (jd_auth_parse_roles(p->roles ? p->roles : "", roles, why, sizeof(why)) != JD_OK) {
		snprintf(err, errlen, "plugin '%s': permission '%s': %s", owner, p->name, why);
		return JD_E_INVALID;
	}
	return JD_OK;
}

static int check_table(const char *owner, const struct jd_permission *table, char *err,
		       size_t errlen)
{
	int is_core = strcmp(owner, JD_PERMS_CORE) == 0;
	unsigned roles;

	if (!is_core && core_prefix(owner)) {
		snprintf(err, errlen,
			 "plugin '%s': the permission prefix '%s.' is the core's; rename the "
			 "plugin",
			 owner, owner);
		return JD_E_INVALID;
	}
	for (const struct jd_permission *p = table; p != NULL && p->name != NULL; p++)
		if (check_one(owner, table, p, is_core, &roles, err, errlen) != JD_OK)
			return JD_E_INVALID;
	return JD_OK;
}

static int add(const char *owner, const struct jd_permission *p)
{
	struct entry *e;
	char err[16];

	if (n_entries == cap_entries) {
		size_t cap = cap_entries ? cap_entries * 2 : 32;
		struct entry *grown = realloc(entries, cap * sizeof(*grown));

		if (grown == NULL)
			return JD_E_NOMEM;
		entries = grown;
		cap_entries = cap;
	}
	e = &entries[n_entries];
	e->decl = p;
	snprintf(e->owner, sizeof(e->owner), "%s", owner);
	if (jd_auth_parse_roles(p->roles ? p->roles : "", &e->roles, err, sizeof(err)) != JD_OK)
		return JD_E_INVALID; /* checked before: cannot happen */
	n_entries++;
	return JD_OK;
}

static int merge(const char *owner, const struct jd_permission *table)
{
	for (const struct jd_permission *p = table; p != NULL && p->name != NULL; p++) {
		int rc = add(owner, p);

		if (rc != JD_OK) {
			jd_perms_remove_owner(owner);
			return rc;
		}
	}
	return JD_OK;
}

/* The core's table is merged on first use: it is data, valid from the start. */
static int ensure_core(void)
{
	char err[256];

	if (core_state != 0)
		return core_state > 0 ? JD_OK : JD_ERR;
	core_state = -1; /* find() while checking sees no core yet: it needs none */
	if (check_table(JD_PERMS_CORE, jd_auth_core_permissions(), err, sizeof(err)) != JD_OK ||
	    merge(JD_PERMS_CORE, jd_auth_core_permissions()) != JD_OK) {
		char q[300];

		jd_err("the core's permission table is broken", "reason=%s",
		       jd_log_quote(q, sizeof(q), err));
		return JD_ERR;
	}
	core_state = 1;
	return JD_OK;
}

int jd_perms_check(const char *owner, const struct jd_permission *table, char *err, size_t errlen)
{
	if (ensure_core() != JD_OK) {
		snprintf(err, errlen, "the core's permission table is broken; see the log");
		return JD_ERR;
	}
	return check_table(owner, table, err, errlen);
}

int jd_perms_declare(const char *owner, const struct jd_permission *table, char *err, size_t errlen)
{
	int rc = jd_perms_check(owner, table, err, errlen);

	if (rc != JD_OK)
		return rc;
	rc = merge(owner, table);
	if (rc != JD_OK)
		snprintf(err, errlen, "plugin '%s': out of memory declaring its permissions",
			 owner);
	return rc;
}

void jd_perms_remove_owner(const char *owner)
{
	size_t keep = 0;

	for (size_t i = 0; i < n_entries; i++)
		if (strcmp(entries[i].owner, owner) != 0)
			entries[keep++] = entries[i];
	n_entries = keep;
}

const char *jd_perms_owner(const char *permission)
{
	const struct entry *e = find(permission);

	return e ? e->owner : NULL;
}

unsigned jd_perms_roles(const char *permission)
{
	const struct entry *e = find(permission);

	return e ? e->roles : 0;
}

static json_t *row(const struct entry *e)
{
	json_t *r = json_pack("{s:s, s:s}", "permission", e->decl->name, "declared_by", e->owner);
	unsigned bit;

	for (size_t i = 0; r != NULL && i < jd_auth_role_count(); i++) {
		const char *role = jd_auth_role_at(i, &bit);
		/* the admin holds every permission ("*") */
		int holds = bit == JD_ROLE_ADMIN || (e->roles & bit) != 0;

		if (json_object_set_new(r, role, json_boolean(holds)) != 0) {
			json_decref(r);
			return NULL;
		}
	}
	if (r != NULL && json_object_set_new(r, "summary", json_string(e->decl->summary)) != 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

json_t *jd_perms_matrix(void)
{
	json_t *rows = json_array();

	if (rows == NULL || ensure_core() != JD_OK) {
		json_decref(rows);
		return NULL;
	}
	for (size_t i = 0; i < n_entries; i++) {
		if (json_array_append_new(rows, row(&entries[i])) != 0) {
			json_decref(rows);
			return NULL;
		}
	}
	return json_pack("{s:o}", "permissions", rows);
}
