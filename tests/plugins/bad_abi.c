/* Test plugin: built for a plugin ABI this jiandud does not speak. */
#include <jiandu/plugin.h>

#include "noop_init.h"

__attribute__((visibility("default"))) const struct jd_plugin jd_plugin = {
    .magic = JD_PLUGIN_MAGIC,
    .abi_major = JD_ABI_MAJOR + 1,
    .abi_minor = 0,
    .name = "bad_abi",
    .version = "0.0.1",
    .init = noop_init,
};
