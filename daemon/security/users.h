/*
 * Users: who may call (id = certificate CN), their roles and scope
 * (tenants, units, groups), active or suspended.  Kept in the system
 * tenant; managed through /v1/users by admins and tenant admins.
 */
#ifndef JD_USERS_H
#define JD_USERS_H

#include <stddef.h>

struct jd_server;
struct jd_store;
struct jd_principal;

struct jd_user_view {
	const char *id;
	const char *display_name;
	const char *roles_csv;
	unsigned roles;
	const char *tenants;
	const char *status;
};

/* u is NULL when there is no such user; valid during the callback only. */
typedef void (*jd_user_cb)(int rc, const struct jd_user_view *u, void *arg);

int jd_users_fetch(struct jd_store *store, const char *id, jd_user_cb cb, void *arg);
/*
 * Whether the caller may manage a user with these tenants and roles:
 * admins anyone; tenant admins users all of whose tenants are theirs and
 * who are not instance admins.
 */
int jd_users_caller_may_manage(const struct jd_principal *caller, const char *tenants_csv,
			       unsigned roles);
/*
 * Whether the caller may hand out a credential acting as a user with these
 * roles (a token, a password): a tenant admin who could would read what
 * leaders read.  Instance admins always; others only for roles they hold.
 */
int jd_users_may_act_as(const struct jd_principal *caller, unsigned roles);
/* The same, for an entry of users:summary ("roles|status|tenants|display"). */
int jd_users_summary_managed(const struct jd_principal *caller, const char *summary);
int jd_users_register(struct jd_server *srv, char *err, size_t errlen);

#endif
