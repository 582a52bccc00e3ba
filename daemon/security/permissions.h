/*
 * The role matrix: every permission the core and the loaded plugins
 * declared (struct jd_permission), with the built-in roles that hold it.
 * The core's table is in auth.c; a plugin's is merged at load and dropped
 * at unload (host/plugins.c).  The instance admin holds every permission
 * and is not listed per permission (docs/security.md, "Roles and the
 * permission matrix").
 */
#ifndef JD_PERMISSIONS_H
#define JD_PERMISSIONS_H

#include <stddef.h>
#include <jansson.h>
#include <jiandu/plugin.h>

#define JD_PERMS_CORE "core" /* the owner of the core's permissions */

/*
 * Whether `owner` may declare `table` (name == NULL ends; NULL is empty):
 * names of [a-z0-9_] segments joined by dots, under "<owner>." unless
 * owner is the core, not a prefix the core uses, each once and not
 * already declared, a summary, known roles.  JD_E_INVALID with err naming
 * the plugin, the permission and the reason.
 */
int jd_perms_check(const char *owner, const struct jd_permission *table, char *err, size_t errlen);
/* jd_perms_check, then merges table into the matrix as owner's. */
int jd_perms_declare(const char *owner, const struct jd_permission *table, char *err,
		     size_t errlen);
/* Drops owner's permissions (a plugin unloaded or whose start failed). */
void jd_perms_remove_owner(const char *owner);

/* Who declared `permission`: JD_PERMS_CORE, a plugin's name, or NULL (nobody). */
const char *jd_perms_owner(const char *permission);
/* The role bits (enum jd_role) that hold `permission` by declaration; 0 when undeclared. */
unsigned jd_perms_roles(const char *permission);

/*
 * GET /v1/roles: {"permissions": [{"permission", "declared_by", one
 * boolean per role in the order of auth.c, "summary"}]}, the core's first,
 * then each plugin's in load order.  NULL when out of memory.
 */
json_t *jd_perms_matrix(void);

#endif
