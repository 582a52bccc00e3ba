/* Test plugin: requires a plugin that is never loaded. */
#include <jiandu/plugin.h>

#include "noop_init.h"

static const char *const requires[] = {"nonexistent", NULL};

JD_PLUGIN_DEFINE(.name = "needs_missing", .version = "0.0.1", .requires = requires,
		 .init = noop_init);
