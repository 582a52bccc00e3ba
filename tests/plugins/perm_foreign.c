/* Test plugin: declares a permission under another plugin's prefix; refused at load. */
#include <jiandu/plugin.h>

#include "noop_init.h"

static const struct jd_permission permissions[] = {
    {"perm_foreign.read", "its own: fine", "staff"},
    {"cases.approve", "another plugin's: refused", "staff"},
    {NULL, NULL, NULL},
};

JD_PLUGIN_DEFINE(.name = "perm_foreign", .version = "0.0.1",
		 .summary = "test: declares a permission of another prefix",
		 .permissions = permissions, .init = noop_init);
