/* Test plugin: has no dependency; order_second requires it. */
#include <jiandu/plugin.h>

static int init(const struct jd_host *h, jd_plugin_handle *s)
{
	(void)h;
	(void)s;
	return JD_OK;
}

JD_PLUGIN_DEFINE(.name = "order_first", .version = "0.0.1", .init = init);
