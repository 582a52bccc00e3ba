/*
 * The report hooks (docs/report.md): the sections plugins declare with
 * the host's report_register slot, in the order the plugins started.
 * The core keeps only the declarations and the functions; it never names
 * a plugin.
 */
#ifndef JD_REPORT_HOOKS_H
#define JD_REPORT_HOOKS_H

#include <stddef.h>

#include <jiandu/plugin.h>

struct jd_server;

struct jd_report_hook {
	const void *owner; /* the plugin's handle */
	const struct jd_report_section *section;
	size_t n_figures;
	jd_report_fn fn;
	void *arg;
};

struct jd_report_hooks {
	struct jd_report_hook *list;
	size_t n, cap;
};

/*
 * Declares a section (as the host slot): JD_E_INVALID with err naming
 * what is wrong, JD_E_CONFLICT when the owner or the name has one.
 */
int jd_report_hook_add(struct jd_report_hooks *h, const void *owner,
		       const struct jd_report_section *section, jd_report_fn fn, void *arg,
		       char *err, size_t errlen);
/* Drops what owner declared (the plugin stopped). */
void jd_report_hooks_forget(struct jd_report_hooks *h, const void *owner);
/* The section named name, or NULL. */
const struct jd_report_hook *jd_report_hook_find(const struct jd_report_hooks *h, const char *name);
void jd_report_hooks_free(struct jd_report_hooks *h);

/* Units a figure may have: 1 when known. */
int jd_report_unit_valid(const char *unit);

#endif
