/* Argon2id off the event loop: one thread per job, its result back through a pipe. */
#include "security/pwhash.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"

struct job {
	int verify; /* 0: hash the password */
	char password[JD_PASSWORD_MAX + 1];
	char hash[JD_PWHASH_STRLEN];
	int rc;
	int fds[2];
	pthread_t thread;
	struct event *ev;
	jd_pwhash_cb cb;
	void *arg;
};

static int running; /* jobs started and not yet handed back (loop thread only) */

int jd_password_length_ok(size_t len)
{
	return len >= JD_PASSWORD_MIN && len <= JD_PASSWORD_MAX;
}

static void *work(void *arg)
{
	struct job *j = arg;
	char one = 1;
	ssize_t n;

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
	do
		n = write(j->fds[1], &one, 1);
	while (n < 0);
	return NULL;
}

static void job_free(struct job *j)
{
	if (j->ev != NULL)
		event_free(j->ev);
	if (j->fds[0] >= 0)
		close(j->fds[0]);
	if (j->fds[1] >= 0)
		close(j->fds[1]);
	sodium_memzero(j, sizeof(*j));
	free(j);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	pthread_join(j->thread, NULL);
	running--;
	j->cb(j->rc, j->rc == JD_OK && !j->verify ? j->hash : NULL, j->arg);
	job_free(j);
}

static int start(struct event_base *base, struct job *j)
{
	if (running >= JD_PWHASH_JOBS)
		return JD_E_UNAVAILABLE;
	if (pipe2(j->fds, O_CLOEXEC) != 0)
		return JD_E_NOMEM;
	j->ev = event_new(base, j->fds[0], EV_READ, on_done, j);
	if (j->ev == NULL || event_add(j->ev, NULL) != 0)
		return JD_E_NOMEM;
	if (pthread_create(&j->thread, NULL, work, j) != 0) {
		jd_warn("password hashing: no thread", "running=%d", running);
		return JD_E_UNAVAILABLE;
	}
	running++;
	return JD_OK;
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
	j->fds[0] = j->fds[1] = -1;
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
