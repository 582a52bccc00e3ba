/*
 * Record scope (docs/plugins.md, "Record scope"): a note may name its unit,
 * groups and deny list (fields "unit", "groups", "deny"); the core decides
 * who sees it (record_visible).  A copy "unit|groups|deny" per note in the
 * hash "notes:scope" lets the list route filter its 50 notes with one more
 * HMGET, not one read per note.
 */
#include <stdio.h>
#include <string.h>

#include "example.h"

/* NULL or "": valid.  Otherwise [A-Za-z0-9._-], and ',' between entries of a list. */
static int scope_text_valid(const char *s, int list)
{
	for (; s != NULL && *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-' ||
		      (list && *s == ',')))
			return 0;
	return 1;
}

void scope_join(char out[SCOPE_MAX], const char *unit, const char *groups, const char *deny)
{
	snprintf(out, SCOPE_MAX, "%.64s|%.256s|%.256s", unit ? unit : "", groups ? groups : "",
		 deny ? deny : "");
}

/* "unit|groups|deny" (or NULL: none) -> its three parts, "" when absent. */
void scope_split(const char *v, char unit[65], char groups[257], char deny[257])
{
	const char *a = v ? strchr(v, '|') : NULL, *b = a ? strchr(a + 1, '|') : NULL;

	unit[0] = groups[0] = deny[0] = '\0';
	if (a == NULL || b == NULL)
		return;
	snprintf(unit, 65, "%.*s", (int)(a - v < 64 ? a - v : 64), v);
	snprintf(groups, 257, "%.*s", (int)(b - a - 1 < 256 ? b - a - 1 : 256), a + 1);
	snprintf(deny, 257, "%.256s", b + 1);
}

/* Copies the optional scope fields of the input; JD_E_INVALID (replied) or JD_E_NOMEM. */
int scope_input(struct pending *p, json_t *in)
{
	const char *unit = json_string_value(json_object_get(in, "unit"));
	const char *groups = json_string_value(json_object_get(in, "groups"));
	const char *deny = json_string_value(json_object_get(in, "deny"));

	if (!scope_text_valid(unit, 0) || !scope_text_valid(groups, 1) ||
	    !scope_text_valid(deny, 1)) {
		host->reply_error(p->req, 400, "invalid",
				  "fields 'unit', 'groups' and 'deny' take ids of [A-Za-z0-9._-], "
				  "groups and deny comma-separated");
		return JD_E_INVALID;
	}
	if (dup_opt(&p->unit, unit) || dup_opt(&p->groups, groups) || dup_opt(&p->deny, deny))
		return JD_E_NOMEM;
	return JD_OK;
}

/*
 * Whether the caller sees note id.  audited: a read or change of this one
 * note (a hidden one is audited by the core); 0: filtering a list.  A host
 * without record_visible hides everything (fail closed).
 */
int note_visible(jd_req *req, const char *tenant, const char *id, const char *unit,
		 const char *groups, const char *deny, int audited)
{
	char target[80];

	if (host->record_visible == NULL)
		return 0;
	snprintf(target, sizeof(target), "note:%.64s", id);
	return host->record_visible(req, audited ? target : NULL, tenant, unit, groups, deny);
}

void reply_not_found(struct pending *p)
{
	host->reply_error(p->req, 404, "not_found", "no note %s in tenant %s", p->id, p->tenant);
}

/*
 * Whether p's note exists and the caller sees it; otherwise replies 404:
 * a hidden note answers exactly as an absent one (and is audited).
 */
int note_found(struct pending *p, int exists, const char *unit, const char *groups,
	       const char *deny)
{
	if (exists && note_visible(p->req, p->tenant, p->id, unit, groups, deny, 1))
		return 1;
	reply_not_found(p);
	return 0;
}
