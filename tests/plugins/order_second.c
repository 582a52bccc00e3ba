/* Test plugin: requires order_first, so it must start after it and stop before it. */
#include <jiandu/plugin.h>

#include "noop_init.h"

static const char *const requires[] = {"order_first", NULL};
static const struct jd_config_key keys[] = {{"level", "1", "a declared key"}, {NULL, NULL, NULL}};

JD_PLUGIN_DEFINE(.name = "order_second", .version = "0.0.1", .requires = requires, .config = keys,
		 .init = noop_init);
