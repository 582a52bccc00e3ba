/*
 * Test plugin: the right magic and ABI version, but built against a
 * plugin.h whose struct jd_mutation had one pointer less (a change that
 * should have bumped the major): the loader must refuse it by its layout
 * signature instead of letting it crash.
 */
#include <jiandu/plugin.h>

#include "noop_init.h"

__attribute__((visibility("default"))) const struct jd_plugin jd_plugin = {
    .magic = JD_PLUGIN_MAGIC,
    .abi_major = JD_ABI_MAJOR,
    .abi_minor = JD_ABI_MINOR,
    .layout =
	{
	    .plugin = sizeof(struct jd_plugin),
	    .host = sizeof(struct jd_host),
	    .route = sizeof(struct jd_route),
	    .field = sizeof(struct jd_field),
	    .mutation = sizeof(struct jd_mutation) - sizeof(void *),
	    .op = sizeof(struct jd_op),
	    .mutate_result = sizeof(struct jd_mutate_result),
	    .permission = sizeof(struct jd_permission),
	    .config_key = sizeof(struct jd_config_key),
	},
    .name = "bad_layout",
    .version = "0.0.1",
    .init = noop_init,
};
