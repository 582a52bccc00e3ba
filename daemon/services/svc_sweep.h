/*
 * Reads of the deadline index: the due listing (deadline_list) and the
 * sweep behind the host's sweeper_* slots, a timer that
 * reads, for every tenant noted in the plugin's registry, the due part of
 * its deadline index in pages and publishes the near and missed notices
 * once per deadline and due date (remembered in the `sent` hash, written
 * by one mutation per page).
 */
#ifndef JD_SVC_SWEEP_H
#define JD_SVC_SWEEP_H

#include <jiandu/plugin.h>

struct jd_sweeper *jd_sweeper_start(jd_plugin_handle *self, const struct jd_deadline_conf *conf);
void jd_sweeper_note_tenant(struct jd_sweeper *s, const char *tenant);
void jd_sweeper_run(struct jd_sweeper *s);
/* As the host's deadline_list slot. */
int jd_deadline_list(jd_plugin_handle *self, const struct jd_deadline_conf *conf,
		     const char *tenant, int days, void (*cb)(int rc, json_t *items, void *arg),
		     void *arg);
void jd_sweeper_stop(struct jd_sweeper *s);

#endif
