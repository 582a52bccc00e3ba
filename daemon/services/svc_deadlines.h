/*
 * Deadlines per stage, kept in the same mutation as the record
 * (struct jd_deadline_conf): the record's state moves with its indexes and
 * the stage's deadline, a deadline is put, dropped or extended.  The sweep
 * that sends the notices is svc_sweep.c.
 */
#ifndef JD_SVC_DEADLINES_H
#define JD_SVC_DEADLINES_H

#include <jiandu/plugin.h>

jd_day jd_deadline_due(jd_plugin_handle *self, const struct jd_machine *m, const char *state,
		       jd_day start);
void jd_machine_move(jd_plugin_handle *self, const struct jd_machine *m, struct jd_mut *mut,
		     const char *id, const char *from, const char *to, jd_day start);
void jd_deadline_put(const struct jd_machine *m, struct jd_mut *mut, const char *id,
		     const char *stage, jd_day due);
void jd_deadline_drop(const struct jd_machine *m, struct jd_mut *mut, const char *id,
		      const char *stage);
void jd_deadline_extend(const struct jd_machine *m, struct jd_mut *mut, const json_t *rec,
			const char *id, long long days);
/* A day count of the plugin's config: key's value, or def when absent or not a number. */
int jd_config_days(jd_plugin_handle *self, const char *key, int def);

#endif
