/* Test plugin: requires a plugin that is never loaded. */
#include <jiandu/plugin.h>

static const char *const requires[] = {"nonexistent", NULL};

static int init(const struct jd_host *h, jd_plugin_handle *s)
{
	(void)h;
	(void)s;
	return JD_OK;
}

JD_PLUGIN_DEFINE(.name = "needs_missing", .version = "0.0.1", .requires = requires, .init = init);
