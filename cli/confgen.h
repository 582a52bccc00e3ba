/*
 * jianductl: the text of a new instance's jiandud.conf and jianductl.conf,
 * and the plugin settings that go into the former.
 */
#ifndef JDCTL_CONFGEN_H
#define JDCTL_CONFGEN_H

#include "ctl.h"

struct instance_settings {
	unsigned control_port;
	unsigned api_port;
	char *plugins_dir;    /* absolute */
	char *load;	      /* comma-separated, may be empty */
	const char *data_dir; /* absolute, or NULL: "data" beside the config */
};

/*
 * Fills s->plugins_dir (dir_opt made absolute, or <dir of this binary>/plugins)
 * and s->load (load_opt checked and normalised, or every <name>.so in that
 * directory, sorted).  CTL_USAGE for a bad option value.
 */
int confgen_plugins(struct instance_settings *s, const char *dir_opt, const char *load_opt,
		    struct ctl_err *err);
void confgen_settings_free(struct instance_settings *s);

/* malloc'd file texts; every line short enough for inih. */
int confgen_daemon(const struct instance_settings *s, char **text, struct ctl_err *err);
int confgen_client(const struct instance_settings *s, char **text, struct ctl_err *err);

#endif
