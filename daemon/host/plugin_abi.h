/*
 * Whether a plugin's descriptor speaks this daemon's ABI: the magic, the
 * version (major equal, minor not above ours) and the layout signature
 * (the sizes of the shared structs as the plugin was compiled), checked in
 * that order so that nothing is read past what the previous check vouched
 * for (docs/plugins.md, "The ABI version").
 */
#ifndef JD_PLUGIN_ABI_H
#define JD_PLUGIN_ABI_H

#include <stddef.h>
#include <jiandu/plugin.h>

/* JD_OK, or JD_E_INVALID with the reason, naming the plugin and both signatures, in err. */
int jd_plugin_abi_check(const struct jd_plugin *d, const char *name, const char *path, char *err,
			size_t errlen);

/* The layout signature as text: "plugin=120 host=304 route=72 ...". */
void jd_plugin_layout_format(const struct jd_layout *l, char *out, size_t len);

#endif
