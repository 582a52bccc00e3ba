/* Argon2id off the event loop (runtime/worker.h). */
#include "security/pwhash.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "runtime/worker.h"

struct job {
	int verify; /* 0: hash the password */
	char password[JD_PASSWORD_MAX + 1];
	char hash[JD_PWHASH_STRLEN];
	int rc;
	jd_pwhash_cb cb;
	void *arg;
};

static int running; /* jobs started and not yet handed back (loop thread only) */

int jd_password_length_ok(size_t len)
{
	return len >= JD_PASSWORD_MIN && len <= JD_PASSWORD_MAX;
}

static void work(void *arg)
{
	struct job *j = arg;

	if (j->verify)
		j->rc = crypto_pwhash_str_verify(j->hash, j->password, strlen(j->password)) == 0
			    ? JD_OK
			    : JD_E_FORBIDDEN;
	else
		j->rc = crypto_pwhash_str(j->hash, j->password, strlen(j->password),
					  crypto_pwhash_OPSLIMIT_INTERACTIVE,
					  crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
			    ? JD_OK
			    : JD_E_NOMEM;
	sodium_memzero(j->password, sizeof(j->password));
}

static void job_free(struct job *j)
{
	sodium_memzero(j, sizeof(*j));
	free(j);
}

static void on_done(void *arg)
{
	struct job *j = arg;

	running--;
	j->cb(j->rc, j->rc == JD_OK && !j->verify ? j->hash : NULL, j->arg);
	job_free(j);
}

static int start(struct event_base *base, struct job *j)
{
	int rc;

	if (running >= JD_PWHASH_JOBS)
		return JD_E_UNAVAILABLE;
	rc = jd_worker_run(base, work, on_done, j);
	if (rc == JD_OK)
		running++;
	return rc;
}

static int submit(struct event_base *base, int verify, const char *stored, const char *password,
		  jd_pwhash_cb cb, void *arg)
{
	size_t len = password ? strlen(password) : 0;
	struct job *j;
	int rc;

	if (len == 0 || len > JD_PASSWORD_MAX)
		return JD_E_INVALID;
	if (verify &&
	    (stored == NULL || strlen(stored) >= JD_PWHASH_STRLEN ||
	     strncmp(stored, crypto_pwhash_STRPREFIX, strlen(crypto_pwhash_STRPREFIX)) != 0))
		return JD_E_INVALID;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return JD_E_NOMEM;
	j->verify = verify;
	j->cb = cb;
	j->arg = arg;
	memcpy(j->password, password, len);
	if (verify)
		memcpy(j->hash, stored, strlen(stored));
	rc = start(base, j);
	if (rc != JD_OK)
		job_free(j);
	return rc;
}

int jd_pwhash_hash(struct event_base *base, const char *password, jd_pwhash_cb cb, void *arg)
{
	if (!jd_password_length_ok(password ? strlen(password) : 0))
		return JD_E_INVALID;
	return submit(base, 0, NULL, password, cb, arg);
}

int jd_pwhash_verify(struct event_base *base, const char *stored, const char *password,
		     jd_pwhash_cb cb, void *arg)
{
	return submit(base, 1, stored, password, cb, arg);
}
