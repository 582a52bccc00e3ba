/* jianductl: an instance's directory and its daemon configuration. */
#include "instance.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "proc.h"

char *instance_path(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static int locate(const struct ctl *ctl, const char *given, const char *cmd, char **dir,
		  struct ctl_err *err)
{
	struct client_conf conf;
	struct ctl_err why = {0};
	const char *slash;

	if (given != NULL) {
		*dir = strdup(given);
		return *dir ? CTL_OK : ctl_fail(err, CTL_FAIL, "out of memory");
	}
	int loaded = client_conf_load(ctl, &conf, &why) == CTL_OK;

	if (!loaded || conf.file == NULL) {
		if (loaded)
			client_conf_free(&conf);
		return ctl_fail(
		    err, CTL_USAGE,
		    "%s: which instance? give --instance DIR, or -c with the instance's "
		    "jianductl.conf%s%s",
		    cmd, why.msg[0] ? ": " : "", why.msg);
	}
	slash = strrchr(conf.file, '/');
	*dir = slash ? strndup(conf.file, (size_t)(slash - conf.file)) : strdup(".");
	client_conf_free(&conf);
	return *dir ? CTL_OK : ctl_fail(err, CTL_FAIL, "out of memory");
}

/* Points the fields at the values of the daemon's "key\tvalue" lines (cut in place). */
static void pick(struct instance_conf *ic)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
	    {"server.data_dir", offsetof(struct instance_conf, data_dir)},
	    {"security.keyring", offsetof(struct instance_conf, keyring)},
	    {"redis.url", offsetof(struct instance_conf, redis_url)},
	    {"redis.cluster", offsetof(struct instance_conf, redis_cluster)},
	    {"redis.server", offsetof(struct instance_conf, redis_server)},
	    {"redis.tls_ca", offsetof(struct instance_conf, redis_tls_ca)},
	    {"redis.tls_cert", offsetof(struct instance_conf, redis_tls_cert)},
	    {"redis.tls_key", offsetof(struct instance_conf, redis_tls_key)},
	    {"redis.sentinels", offsetof(struct instance_conf, redis_sentinels)},
	};

	for (char *line = ic->dump, *next; line && *line; line = next) {
		char *tab = strchr(line, '\t');

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!tab)
			continue;
		*tab = '\0';
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strcmp(line, keys[i].key) == 0)
				*(const char **)((char *)ic + keys[i].off) = tab + 1;
	}
}

int instance_load(const struct ctl *ctl, const char *given, const char *cmd,
		  struct instance_conf *ic, struct ctl_err *err)
{
	char *jiandud = NULL;
	struct stat st;
	int rc;

	memset(ic, 0, sizeof *ic);
	if ((rc = locate(ctl, given, cmd, &ic->dir, err)) != CTL_OK)
		return rc;
	if (!(ic->conf = instance_path(ic->dir, "jiandud.conf")) ||
	    !(jiandud = proc_sibling("jiandud")))
		return ctl_fail(err, CTL_FAIL, "out of memory");
	if (stat(ic->conf, &st) < 0) {
		free(jiandud);
		return ctl_fail(err, CTL_USAGE,
				"%s: %s is not an instance directory (no jiandud.conf)", cmd,
				ic->dir);
	}
	rc = proc_run((char *const[]){jiandud, "--dump-config", "-c", ic->conf, NULL}, NULL,
		      &ic->dump, "jiandud --dump-config", err);
	free(jiandud);
	if (rc != CTL_OK)
		return rc;
	pick(ic);
	if (!ic->data_dir || !ic->keyring || !ic->redis_url || !ic->redis_server)
		return ctl_fail(err, CTL_FAIL,
				"%s: jiandud --dump-config did not name data_dir, "
				"keyring and redis",
				cmd);
	return CTL_OK;
}

void instance_free(struct instance_conf *ic)
{
	free(ic->dir);
	free(ic->conf);
	free(ic->dump);
	memset(ic, 0, sizeof *ic);
}
