/* The init of a test plugin that only needs to be loadable (each test plugin is one .so). */
#ifndef JD_TEST_NOOP_INIT_H
#define JD_TEST_NOOP_INIT_H

#include <jiandu/plugin.h>

static int noop_init(const struct jd_host *h, jd_plugin_handle *s)
{
	(void)h;
	(void)s;
	return JD_OK;
}

#endif
