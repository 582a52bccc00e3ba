/*
 * The example plugin's sealed fields (docs/plugins.md, section 7): the
 * text sealed under the tenant key, the source under the note's own record
 * key (crypto-shredding), the blind index of the title.  Call these from a
 * keys_ready callback: the tenant's key is loaded then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

/* JD_E_NOMEM or JD_ERR, from the errno a failed seal or record_key_new left. */
static int errno_rc(void)
{
	return errno == ENOMEM ? JD_E_NOMEM : JD_ERR;
}

/* "notes:by_title:<blind index of title>": the ids of the notes with that title. */
int title_index_key(const char *tenant, const char *title, char *out, size_t len)
{
	char blind[33];
	int rc = host->blind_index(self, tenant, RECORD_TYPE, "title", title, blind);

	if (rc == JD_OK)
		snprintf(out, len, "notes:by_title:%s", blind);
	return rc;
}

/* Frees a copy of something a user typed into a sensitive field, wiping it first. */
void free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* p's text sealed under the tenant key into *sealed (NULL: no text); JD_OK or an error. */
int seal_text(struct pending *p, char **sealed)
{
	*sealed = NULL;
	if (p->text != NULL &&
	    (*sealed = host->seal(self, p->tenant, RECORD_TYPE, p->id, "text", p->text)) == NULL)
		return errno_rc();
	return JD_OK;
}

/*
 * A new record key for p's note, wrapped, into *rkey, and p's source sealed
 * under it into *sealed_source (NULL: no source); JD_OK or an error.  Free
 * both whatever it returns.
 */
int seal_source(struct pending *p, char **rkey, char **sealed_source)
{
	*rkey = *sealed_source = NULL;
	if (host->record_key_new == NULL || host->seal_rk == NULL)
		return JD_ERR; /* a host without record keys */
	if ((*rkey = host->record_key_new(self, p->tenant, RECORD_TYPE, p->id)) == NULL)
		return errno_rc();
	if (p->source != NULL &&
	    (*sealed_source = host->seal_rk(self, p->tenant, RECORD_TYPE, p->id, "source", *rkey,
					    p->source)) == NULL)
		return errno_rc();
	return JD_OK;
}

/*
 * Replaces the sealed `field` of note by its plaintext, or drops it when
 * the caller may not read it.  under_rkey 0: sealed under the tenant key
 * (open); otherwise under the record key that rkey holds (open_rk; rkey
 * NULL when the note has none: purged, so it does not open).  JD_OK (also when the
 * note has no such field), JD_E_FORBIDDEN when it does not open,
 * JD_E_UNAVAILABLE (key not loaded) or JD_E_NOMEM.
 */
int open_into(struct pending *p, json_t *note, const char *field, int under_rkey, const char *rkey)
{
	const char *sealed = json_string_value(json_object_get(note, field));
	char *plain;

	if (sealed == NULL)
		return JD_OK;
	if (under_rkey && host->open_rk == NULL)
		return JD_E_FORBIDDEN; /* a host without record keys */
	if (under_rkey)
		plain = host->open_rk(self, p->req, READ_TEXT_PERMISSION, p->tenant, RECORD_TYPE,
				      p->id, field, rkey, sealed);
	else
		plain = host->open(self, p->req, READ_TEXT_PERMISSION, p->tenant, RECORD_TYPE,
				   p->id, field, sealed);
	if (plain != NULL) {
		json_object_set_new(note, field, json_string(plain));
		host->plain_free(plain);
		return JD_OK;
	}
	if (errno == EACCES) {
		json_object_del(note, field); /* not for this caller */
		return JD_OK;
	}
	if (errno == EAGAIN)
		return JD_E_UNAVAILABLE;
	return errno == ENOMEM ? JD_E_NOMEM : JD_E_FORBIDDEN;
}
