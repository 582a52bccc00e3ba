#include "host/plugin_abi.h"

#include <stdio.h>
#include <string.h>

/*
 * struct jd_host's size as each minor of this major left it, oldest first:
 * a plugin built against minor m saw exactly that many bytes of the table.
 * Appending host slots bumps the minor and adds an entry here: the
 * previous last one becomes offsetof(struct jd_host, <first new slot>).
 * So an appended slot never makes a plugin of an older minor unloadable,
 * while any change before the end still shows in the signature.
 */
static const size_t host_size_by_minor[] = {
    offsetof(struct jd_host, req_person),      /* 2.0 */
    offsetof(struct jd_host, report_register), /* 2.1: req_person */
    offsetof(struct jd_host, mut_record),      /* 2.2: report_register */
    sizeof(struct jd_host),		       /* 2.3: mut_record */
};

_Static_assert(sizeof(host_size_by_minor) / sizeof(host_size_by_minor[0]) == JD_ABI_MINOR + 1,
	       "one jd_host size per minor of this major: see docs/plugins.md, The ABI version");

void jd_plugin_layout_format(const struct jd_layout *l, char *out, size_t len)
{
	snprintf(out, len,
		 "plugin=%u host=%u route=%u field=%u mutation=%u op=%u mutate_result=%u "
		 "permission=%u config_key=%u",
		 l->plugin, l->host, l->route, l->field, l->mutation, l->op, l->mutate_result,
		 l->permission, l->config_key);
}

/* Ours, as a plugin of `minor` (not above ours) should have been compiled. */
static void expected_layout(unsigned minor, struct jd_layout *l)
{
	const struct jd_layout own = JD_LAYOUT;

	*l = own;
	l->host = (uint32_t)host_size_by_minor[minor];
}

static int same_layout(const struct jd_layout *a, const struct jd_layout *b)
{
	return a->plugin == b->plugin && a->host == b->host && a->route == b->route &&
	       a->field == b->field && a->mutation == b->mutation && a->op == b->op &&
	       a->mutate_result == b->mutate_result && a->permission == b->permission &&
	       a->config_key == b->config_key;
}

static int check_layout(const struct jd_plugin *d, const char *name, char *err, size_t errlen)
{
	struct jd_layout want;
	char theirs[200], ours[200];

	expected_layout(d->abi_minor, &want);
	if (same_layout(&d->layout, &want))
		return JD_OK;
	jd_plugin_layout_format(&d->layout, theirs, sizeof(theirs));
	jd_plugin_layout_format(&want, ours, sizeof(ours));
	snprintf(err, errlen,
		 "plugin '%s': layout signature %s differs from this jiandud's %s for ABI %u.%u "
		 "(built against another plugin.h of the same version: rebuild it)",
		 name, theirs, ours, (unsigned)d->abi_major, (unsigned)d->abi_minor);
	return JD_E_INVALID;
}

int jd_plugin_abi_check(const struct jd_plugin *d, const char *name, const char *path, char *err,
			size_t errlen)
{
	if (d->magic != JD_PLUGIN_MAGIC) {
		snprintf(err, errlen,
			 "plugin '%s': %s has a bad descriptor magic (not a jiandu "
			 "plugin, or corrupt)",
			 name, path);
		return JD_E_INVALID;
	}
	if (d->abi_major != JD_ABI_MAJOR || d->abi_minor > JD_ABI_MINOR) {
		snprintf(err, errlen,
			 "plugin '%s': built for plugin ABI %u.%u, this jiandud "
			 "provides %u.%u",
			 name, d->abi_major, d->abi_minor, (unsigned)JD_ABI_MAJOR,
			 (unsigned)JD_ABI_MINOR);
		return JD_E_INVALID;
	}
	return check_layout(d, name, err, errlen);
}
