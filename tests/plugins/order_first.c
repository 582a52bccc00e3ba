/* Test plugin: has no dependency; order_second requires it. */
#include <jiandu/plugin.h>

#include "noop_init.h"

JD_PLUGIN_DEFINE(.name = "order_first", .version = "0.0.1", .init = noop_init);
