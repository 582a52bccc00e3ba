/*
 * jianductl certs: issue, list, revoke and re-sign client certificates of
 * the instance CA.  Everything here works on the instance's files; only
 * the reload after a revocation (or a new CRL) talks to the daemon.
 */
#include "certs.h"

#include <errno.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "certindex.h"
#include "config.h"
#include "crl.h"
#include "files.h"
#include "output.h"
#include "pki.h"
#include "suggest.h"

#define DEFAULT_DAYS 730 /* as the certificates `jianductl init` makes */
#define MAX_DAYS     3650
#define MAX_TARGETS  64 /* certificates one revoke --user may name */

enum { O_USER, O_ROLE, O_DAYS, O_OUT, O_INSTANCE, O_SERIAL, O_COUNT };

static const char *const opt_names[O_COUNT] = {"--user", "--role",     "--days",
					       "--out",	 "--instance", "--serial"};

#define OPT(o) (1u << (o))

static const char *const roles[] = {"admin",	"tenant_admin", "leader",  "staff",
				    "reviewer", "trainer",	"auditor", "viewer"};

struct certs_args {
	const char *v[O_COUNT];
};

struct instance {
	char *dir;
	char *tls;
	struct client_conf conf;
	int have_conf;
};

struct sub {
	const char *name;
	const char *usage;
	const char *summary;
	unsigned opts;
	int (*run)(struct ctl *ctl, const struct sub *self, const struct certs_args *a);
};

/* ---- small helpers --------------------------------------------------------- */

static char *join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static char *strip_slashes(const char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		n--;
	return strndup(s, n);
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x;

	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

/* 1..64 of [a-z0-9._-], starting with a letter or a digit: a user id, and a safe file name. */
static int user_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '_' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static int role_valid(const char *s)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(s, roles[i]) == 0)
			return 1;
	return 0;
}

static int parse_days(const char *s, long *days)
{
	char *end;
	long v;

	if (s == NULL) {
		*days = DEFAULT_DAYS;
		return CTL_OK;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > MAX_DAYS)
		return ctl_error(CTL_USAGE,
				 "certs issue: --days %s: expected a whole number from 1 to %d", s,
				 MAX_DAYS);
	*days = v;
	return CTL_OK;
}

/* Termination signals wait while files are written, so no half result is left. */
static int hold_signals(sigset_t *old)
{
	sigset_t block;

	if (sigemptyset(&block) < 0 || sigaddset(&block, SIGINT) < 0 ||
	    sigaddset(&block, SIGTERM) < 0 || sigaddset(&block, SIGHUP) < 0 ||
	    sigaddset(&block, SIGQUIT) < 0 || sigprocmask(SIG_BLOCK, &block, old) < 0)
		return ctl_error(CTL_FAIL, "certs: cannot block signals: %s", strerror(errno));
	return CTL_OK;
}

static void release_signals(const sigset_t *old)
{
	if (sigprocmask(SIG_SETMASK, old, NULL) < 0)
		ctl_error(CTL_FAIL, "certs: cannot restore the signal mask: %s", strerror(errno));
}

static int print_json(const json_t *j)
{
	return out_json(stdout, j) < 0 ? ctl_error(CTL_FAIL, "cannot write the answer") : CTL_OK;
}

/* ---- the instance ------------------------------------------------------------ */

/*
 * --instance DIR, else the directory of the client config in use (init
 * puts jianductl.conf in the instance directory).  The client config, if
 * it loads, also serves to spare our own certificate and to reload.
 */
static int instance_open(const struct ctl *ctl, const char *given, struct instance *in)
{
	struct ctl_err err = {0};
	struct stat st;

	memset(in, 0, sizeof *in);
	in->have_conf = client_conf_load(ctl, &in->conf, &err) == CTL_OK;
	if (given != NULL)
		in->dir = strip_slashes(given);
	else if (in->have_conf && in->conf.file != NULL)
		in->dir = dir_of(in->conf.file);
	else
		return ctl_error(CTL_USAGE,
				 "certs: which instance? give --instance DIR, or -c with the "
				 "instance's jianductl.conf%s%s",
				 err.msg[0] ? ": " : "", err.msg);
	in->tls = in->dir ? join(in->dir, "tls") : NULL;
	if (in->tls == NULL)
		return ctl_error(CTL_FAIL, "out of memory");
	if (stat(in->tls, &st) < 0 || !S_ISDIR(st.st_mode))
		return ctl_error(CTL_FAIL, "certs: %s is not an instance directory (no tls/ in it)",
				 in->dir);
	return CTL_OK;
}

static void instance_close(struct instance *in)
{
	if (in->have_conf)
		client_conf_free(&in->conf);
	free(in->dir);
	free(in->tls);
	memset(in, 0, sizeof *in);
}

/* 1 when the client config trusts this instance's CA: its daemon is this instance's. */
static int conf_is_instance(const struct instance *in, X509 *ca)
{
	X509 *x = in->have_conf ? read_cert(in->conf.ca) : NULL;
	int same = x != NULL && X509_cmp(x, ca) == 0;

	X509_free(x);
	return same;
}

/* The serial of the certificate jianductl presents, if the instance CA issued it; else NULL. */
static char *own_serial(const struct instance *in, X509 *ca)
{
	X509 *x = in->have_conf ? read_cert(in->conf.cert) : NULL;
	char *serial = NULL;

	if (x != NULL && X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca)) == 0)
		serial = certindex_cert_serial(x);
	X509_free(x);
	return serial;
}

/* The instance, locked, with its index: what every subcommand that changes files starts with. */
static int open_locked(const struct ctl *ctl, const struct certs_args *a, const char *what,
		       struct instance *in, int *lock, json_t **index)
{
	struct ctl_err err = {0};
	int rc = instance_open(ctl, a->v[O_INSTANCE], in);

	*lock = -1;
	*index = NULL;
	if (rc != CTL_OK)
		return rc;
	rc = certindex_lock(in->tls, lock, &err);
	if (rc == CTL_OK)
		rc = certindex_load(in->tls, index, &err);
	if (rc != CTL_OK)
		ctl_error(rc, "certs %s: %s", what, err.msg);
	return rc;
}

/*
 * Asks the daemon to reload, so a new CRL takes effect.  Not reachable:
 * a warning, and CTL_OK, since the files are in place and every start or
 * reload reads them.  Reachable but refusing: CTL_FAIL, since the running
 * daemon goes on with the old list.  *reloaded: whether it did.
 */
static int reload_daemon(struct ctl *ctl, const struct instance *in, X509 *ca, int *reloaded)
{
	struct ctl_err err = {0};
	int rc;

	*reloaded = 0;
	if (!conf_is_instance(in, ca)) {
		ctl_error(CTL_OK,
			  "warning: no client config for this instance, so its daemon was not "
			  "asked to reload; the change takes effect at its next reload "
			  "(jianductl reload, or SIGHUP) or start");
		return CTL_OK;
	}
	rc = ctl_post_reload(ctl, &err);
	*reloaded = rc == CTL_OK;
	if (*reloaded)
		return CTL_OK;
	if (rc == CTL_CONNECT) {
		ctl_error(CTL_OK,
			  "warning: the daemon is not reachable (%s); the change is recorded "
			  "and takes effect when jiandud starts or reloads",
			  err.msg);
		return CTL_OK;
	}
	return ctl_error(CTL_FAIL,
			 "the change is recorded, but the daemon did not reload (%s); it keeps "
			 "the old revocation list until a reload succeeds",
			 err.msg);
}

/* ---- certs issue ---------------------------------------------------------------- */

struct issued {
	EVP_PKEY *key;
	X509 *cert;
	json_t *entry; /* borrowed from the index */
	char *crt, *keyfile;
};

static int check_days(X509 *ca, long days)
{
	ASN1_TIME *end = X509_time_adj_ex(NULL, days, 0, NULL);
	int ok = end != NULL && ASN1_TIME_compare(end, X509_get0_notAfter(ca)) <= 0;
	int pday = 0, psec = 0;

	ASN1_TIME_free(end);
	if (ok)
		return CTL_OK;
	if (ASN1_TIME_diff(&pday, &psec, NULL, X509_get0_notAfter(ca)) != 1)
		pday = 0;
	return ctl_error(CTL_USAGE,
			 "certs issue: --days %ld would outlive the instance CA, which expires "
			 "in %d days",
			 days, pday);
}

/* Key and certificate files, then the index; on any failure the files go again. */
static int issue_files(const struct instance *in, const char *outdir, const char *user,
		       json_t *index, struct issued *is, struct ctl_err *err)
{
	struct fs_tx tx = {NULL, 0, 0};
	json_t *e = NULL;
	int rc = pki_write_client(&tx, outdir, user, is->key, is->cert, err);

	if (rc == CTL_OK) {
		e = certindex_entry(is->cert, is->crt);
		if (e == NULL || json_array_append_new(index, e) < 0)
			rc = ctl_fail(err, CTL_FAIL, "out of memory");
		else
			is->entry = e;
	}
	if (rc == CTL_OK)
		rc = certindex_save(in->tls, index, err);
	if (rc != CTL_OK)
		fs_tx_rollback(&tx);
	else
		fs_tx_release(&tx);
	return rc;
}

static int taken(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* The output directory, absolute (the index records where the certificate went). */
static int issue_paths(const struct instance *in, const struct certs_args *a, char **outdir,
		       struct issued *is)
{
	const char *dir = a->v[O_OUT] ? a->v[O_OUT] : in->tls;

	*outdir = realpath(dir, NULL);
	if (*outdir == NULL)
		return ctl_error(CTL_FAIL, "certs issue: %s: %s", dir, strerror(errno));
	if (asprintf(&is->crt, "%s/%s.crt", *outdir, a->v[O_USER]) < 0) {
		is->crt = NULL;
		return ctl_error(CTL_FAIL, "out of memory");
	}
	if (asprintf(&is->keyfile, "%s/%s.key", *outdir, a->v[O_USER]) < 0) {
		is->keyfile = NULL;
		return ctl_error(CTL_FAIL, "out of memory");
	}
	return taken(is->keyfile) || taken(is->crt)
		   ? ctl_error(CTL_FAIL,
			       "certs issue: %s or %s exists: %s has a certificate there already; "
			       "revoke it and move its files away, or give --out DIR",
			       is->keyfile, is->crt, a->v[O_USER])
		   : CTL_OK;
}

static int print_issued(const struct issued *is, int json)
{
	const char *role = json_string_value(json_object_get(is->entry, "role"));
	json_t *out;
	int rc;

	if (json) {
		out = json_deep_copy(is->entry);
		if (out == NULL || json_object_set_new(out, "key", json_string(is->keyfile)) < 0) {
			json_decref(out);
			return ctl_error(CTL_FAIL, "out of memory");
		}
		rc = print_json(out);
		json_decref(out);
		return rc;
	}
	printf("issued a client certificate for %s%s%s%s\n",
	       json_string_value(json_object_get(is->entry, "user")), role ? " (role " : "",
	       role ? role : "", role ? ")" : "");
	printf("  serial       %s\n", json_string_value(json_object_get(is->entry, "serial")));
	printf("  subject      %s\n", json_string_value(json_object_get(is->entry, "subject")));
	printf("  valid until  %s\n", json_string_value(json_object_get(is->entry, "not_after")));
	printf("  key          %s (0600: hand it over privately)\n", is->keyfile);
	printf("  certificate  %s\n", is->crt);
	return CTL_OK;
}

/* Issues under the lock: CA, key and certificate, files, index. */
static int issue_locked(const struct instance *in, const struct certs_args *a, long days,
			json_t *index, struct issued *is)
{
	const struct pki_client spec = {a->v[O_ROLE], a->v[O_USER], days};
	struct ctl_err err = {0};
	EVP_PKEY *ca_key = NULL;
	X509 *ca = NULL;
	char *outdir = NULL;
	sigset_t old;
	int rc = issue_paths(in, a, &outdir, is);

	if (rc != CTL_OK)
		goto out;
	rc = ca_load(in->tls, &ca, &ca_key, &err);
	if (rc == CTL_OK && (rc = check_days(ca, days)) != CTL_OK)
		goto out;
	if (rc == CTL_OK)
		rc = pki_issue_client(ca, ca_key, &spec, &is->key, &is->cert, &err);
	if (rc == CTL_OK && (rc = hold_signals(&old)) == CTL_OK) {
		rc = issue_files(in, outdir, a->v[O_USER], index, is, &err);
		release_signals(&old);
	}
	if (rc != CTL_OK && err.msg[0])
		ctl_error(rc, "certs issue: %s", err.msg);
out:
	EVP_PKEY_free(ca_key);
	X509_free(ca);
	free(outdir);
	return rc;
}

static int issue_args(const struct certs_args *a, long *days)
{
	if (a->v[O_USER] == NULL)
		return ctl_error(CTL_USAGE, "certs issue: --user NAME is required");
	if (!user_valid(a->v[O_USER]))
		return ctl_error(CTL_USAGE,
				 "certs issue: --user %s: expected 1 to 64 of a-z, 0-9, '.', '_' "
				 "and '-', starting with a letter or a digit",
				 a->v[O_USER]);
	if (a->v[O_ROLE] && !role_valid(a->v[O_ROLE]))
		return ctl_error(CTL_USAGE,
				 "certs issue: --role %s: expected one of admin, tenant_admin, "
				 "leader, staff, reviewer, trainer, auditor, viewer",
				 a->v[O_ROLE]);
	return parse_days(a->v[O_DAYS], days);
}

static int certs_issue(struct ctl *ctl, const struct sub *self, const struct certs_args *a)
{
	struct issued is = {NULL, NULL, NULL, NULL, NULL};
	struct instance in;
	json_t *index = NULL;
	int rc, lock = -1;
	long days = 0;

	(void)self;
	if ((rc = issue_args(a, &days)) != CTL_OK)
		return rc;
	rc = open_locked(ctl, a, "issue", &in, &lock, &index);
	if (rc == CTL_OK)
		rc = issue_locked(&in, a, days, index, &is);
	certindex_unlock(lock);
	if (rc == CTL_OK)
		rc = print_issued(&is, ctl->json);
	EVP_PKEY_free(is.key);
	X509_free(is.cert);
	free(is.crt);
	free(is.keyfile);
	json_decref(index);
	instance_close(&in);
	return rc;
}

/* ---- certs list ------------------------------------------------------------------- */

/* The index with each status as of now ("expired" when past not_after). */
static json_t *index_as_of(const json_t *index, time_t now)
{
	json_t *out = json_deep_copy(index), *e;
	size_t i;

	if (out == NULL)
		return NULL;
	json_array_foreach(out, i, e)
	{
		if (json_object_set_new(e, "status", json_string(certindex_status(e, now))) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static int list_row(struct table *t, const json_t *e)
{
	const char *cells[6] = {json_string_value(json_object_get(e, "serial")),
				json_string_value(json_object_get(e, "user")),
				json_string_value(json_object_get(e, "role")),
				json_string_value(json_object_get(e, "status")),
				json_string_value(json_object_get(e, "not_after")),
				json_string_value(json_object_get(e, "revoked_at"))};

	return table_add(t, cells);
}

static int print_index(const json_t *index, const char *tlsdir)
{
	static const char *const header[] = {"serial", "user",	    "role",
					     "status", "not after", "revoked at"};
	struct table *t;
	size_t i;
	json_t *e;
	int rc = 0;

	if (json_array_size(index) == 0 && !out_tables_are_csv()) {
		printf("no client certificates in %s/issued.json\n", tlsdir);
		return CTL_OK;
	}
	t = table_new(6, 1);
	if (t == NULL || table_add_header(t, header) < 0) {
		table_free(t);
		return ctl_error(CTL_FAIL, "out of memory");
	}
	json_array_foreach(index, i, e)
	{
		if (rc == 0)
			rc = list_row(t, e);
	}
	if (rc == 0)
		table_print(t, stdout);
	table_free(t);
	return rc == 0 ? CTL_OK : ctl_error(CTL_FAIL, "out of memory");
}

static int certs_list(struct ctl *ctl, const struct sub *self, const struct certs_args *a)
{
	struct ctl_err err = {0};
	struct instance in;
	json_t *index = NULL, *now = NULL;
	int rc = instance_open(ctl, a->v[O_INSTANCE], &in);

	(void)self;
	if (rc != CTL_OK)
		goto out;
	rc = certindex_load(in.tls, &index, &err);
	if (rc != CTL_OK) {
		ctl_error(rc, "certs list: %s", err.msg);
		goto out;
	}
	now = index_as_of(index, time(NULL));
	if (now == NULL)
		rc = ctl_error(CTL_FAIL, "out of memory");
	else if ((rc = ctl_print_as(ctl, now, 0)) < 0)
		rc = print_index(now, in.tls);
out:
	json_decref(now);
	json_decref(index);
	instance_close(&in);
	return rc;
}

/* ---- certs revoke ------------------------------------------------------------------ */

struct targets {
	json_t *e[MAX_TARGETS];
	size_t n;
	size_t fresh; /* not revoked before */
};

static int find_targets(json_t *index, const struct certs_args *a, const char *serial,
			struct targets *t)
{
	size_t i;
	json_t *e;

	memset(t, 0, sizeof *t);
	json_array_foreach(index, i, e)
	{
		const char *s = json_string_value(json_object_get(e, "serial"));
		const char *u = json_string_value(json_object_get(e, "user"));
		char *norm = s ? certindex_serial_norm(s) : NULL;
		int match =
		    serial ? norm && strcmp(norm, serial) == 0 : u && strcmp(u, a->v[O_USER]) == 0;

		free(norm);
		if (!match)
			continue;
		if (t->n == MAX_TARGETS)
			return ctl_error(CTL_FAIL, "certs revoke: more than %d certificates match",
					 MAX_TARGETS);
		t->e[t->n++] = e;
	}
	if (t->n > 0)
		return CTL_OK;
	if (serial)
		return ctl_error(CTL_FAIL,
				 "certs revoke: no certificate with serial %s in the index "
				 "(jianductl certs list)",
				 serial);
	return ctl_error(CTL_FAIL,
			 "certs revoke: no certificate for user %s in the index (jianductl certs "
			 "list)",
			 a->v[O_USER]);
}

/* Refuses to revoke the certificate this jianductl presents: it could not reload after. */
static int spare_own(const struct instance *in, X509 *ca, const struct targets *t)
{
	char *own = own_serial(in, ca);
	int rc = CTL_OK;

	for (size_t i = 0; own != NULL && i < t->n && rc == CTL_OK; i++) {
		const char *s = json_string_value(json_object_get(t->e[i], "serial"));
		char *norm = certindex_serial_norm(s ? s : "");

		if (norm != NULL && strcmp(norm, own) == 0 && !certindex_is_revoked(t->e[i]))
			rc =
			    ctl_error(CTL_FAIL,
				      "certs revoke: refusing to revoke serial %s (user %s): it is "
				      "the certificate this jianductl uses (%s); issue another "
				      "(jianductl certs issue --user NAME --role admin), point the "
				      "client config at it, then revoke this one",
				      own, json_string_value(json_object_get(t->e[i], "user")),
				      in->conf.cert);
		free(norm);
	}
	free(own);
	return rc;
}

static int mark_revoked(struct targets *t)
{
	char now[32];

	certindex_time_fmt(time(NULL), now, sizeof now);
	for (size_t i = 0; i < t->n; i++) {
		if (certindex_is_revoked(t->e[i]))
			continue;
		if (json_object_set_new(t->e[i], "status", json_string("revoked")) < 0 ||
		    json_object_set_new(t->e[i], "revoked_at", json_string(now)) < 0)
			return ctl_error(CTL_FAIL, "out of memory");
		t->fresh++;
	}
	return CTL_OK;
}

/* The CRL first, then the index: a failure between leaves more revoked, never less. */
static int publish(const struct instance *in, X509 *ca, EVP_PKEY *key, const json_t *index,
		   size_t *listed, const char *what)
{
	struct ctl_err err = {0};
	sigset_t old;
	int rc = hold_signals(&old);

	if (rc != CTL_OK)
		return rc;
	rc = crl_write(in->tls, ca, key, index, listed, &err);
	if (rc == CTL_OK)
		rc = certindex_save(in->tls, index, &err);
	release_signals(&old);
	if (rc != CTL_OK)
		ctl_error(rc, "certs %s: %s", what, err.msg);
	return rc;
}

static void print_targets(const struct targets *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const json_t *e = t->e[i];
		printf("revoked %s (user %s, since %s)\n",
		       json_string_value(json_object_get(e, "serial")),
		       json_string_value(json_object_get(e, "user")),
		       json_string_value(json_object_get(e, "revoked_at")));
	}
	if (t->fresh == 0)
		printf("(revoked before; the revocation list is signed again all the same)\n");
	else if (t->fresh < t->n)
		printf("(%zu of them had been revoked before)\n", t->n - t->fresh);
}

static int print_revoked(const struct targets *t, const struct instance *in, size_t listed,
			 int reloaded, int json)
{
	json_t *arr, *out;
	int rc;

	if (!json) {
		print_targets(t);
		printf("%s/ca.crl lists %zu revoked certificate%s%s\n", in->tls, listed,
		       listed == 1 ? "" : "s",
		       reloaded ? "; the daemon reloaded it: refused from the next request" : "");
		return CTL_OK;
	}
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < t->n; i++)
		if (json_array_append(arr, t->e[i]) < 0)
			break;
	out = json_pack("{s:o?, s:s+, s:I, s:b}", "revoked", arr, "crl", in->tls, "/ca.crl",
			"crl_entries", (json_int_t)listed, "reloaded", reloaded);
	if (out == NULL)
		return ctl_error(CTL_FAIL, "out of memory");
	rc = print_json(out);
	json_decref(out);
	return rc;
}

/* Under the lock: the targets, the check, the new CRL and index.  *ca: the CA, for the reload. */
static int revoke_locked(const struct instance *in, const struct certs_args *a, const char *serial,
			 json_t *index, struct targets *t, X509 **ca, size_t *listed)
{
	struct ctl_err err = {0};
	EVP_PKEY *key = NULL;
	int rc = ca_load(in->tls, ca, &key, &err);

	if (rc != CTL_OK)
		return ctl_error(rc, "certs revoke: %s", err.msg);
	rc = find_targets(index, a, serial, t);
	if (rc == CTL_OK)
		rc = spare_own(in, *ca, t);
	if (rc == CTL_OK)
		rc = mark_revoked(t);
	if (rc == CTL_OK)
		rc = publish(in, *ca, key, index, listed, "revoke");
	EVP_PKEY_free(key);
	return rc;
}

static int revoke_args(const struct certs_args *a, char **serial)
{
	*serial = NULL;
	if ((a->v[O_SERIAL] == NULL) == (a->v[O_USER] == NULL))
		return ctl_error(CTL_USAGE,
				 "certs revoke: give either --serial HEX or --user NAME");
	if (a->v[O_USER] && !user_valid(a->v[O_USER]))
		return ctl_error(CTL_USAGE, "certs revoke: --user %s: not a user name",
				 a->v[O_USER]);
	if (a->v[O_SERIAL] == NULL)
		return CTL_OK;
	*serial = certindex_serial_norm(a->v[O_SERIAL]);
	if (*serial == NULL)
		return ctl_error(CTL_USAGE,
				 "certs revoke: --serial %s: expected the hexadecimal serial that "
				 "jianductl certs list shows",
				 a->v[O_SERIAL]);
	return CTL_OK;
}

static int certs_revoke(struct ctl *ctl, const struct sub *self, const struct certs_args *a)
{
	struct instance in;
	struct targets t;
	json_t *index = NULL;
	X509 *ca = NULL;
	char *serial = NULL;
	size_t listed = 0;
	int rc, lock = -1, reloaded = 0;

	(void)self;
	if ((rc = revoke_args(a, &serial)) != CTL_OK)
		return rc;
	rc = open_locked(ctl, a, "revoke", &in, &lock, &index);
	if (rc == CTL_OK)
		rc = revoke_locked(&in, a, serial, index, &t, &ca, &listed);
	certindex_unlock(lock);
	if (rc == CTL_OK)
		rc = reload_daemon(ctl, &in, ca, &reloaded);
	if (rc == CTL_OK)
		rc = print_revoked(&t, &in, listed, reloaded, ctl->json);
	X509_free(ca);
	json_decref(index);
	free(serial);
	instance_close(&in);
	return rc;
}

/* ---- certs crl ----------------------------------------------------------------------- */

/* Under the lock: a new CRL from the index.  *ca: the CA, for the reload. */
static int crl_locked(const struct instance *in, const json_t *index, X509 **ca, size_t *listed)
{
	struct ctl_err err = {0};
	EVP_PKEY *key = NULL;
	int rc = ca_load(in->tls, ca, &key, &err);

	if (rc != CTL_OK)
		return ctl_error(rc, "certs crl: %s", err.msg);
	rc = publish(in, *ca, key, index, listed, "crl");
	EVP_PKEY_free(key);
	return rc;
}

static int certs_crl(struct ctl *ctl, const struct sub *self, const struct certs_args *a)
{
	struct instance in;
	json_t *index = NULL;
	X509 *ca = NULL;
	size_t listed = 0;
	int rc, lock = -1, reloaded = 0;

	(void)self;
	rc = open_locked(ctl, a, "crl", &in, &lock, &index);
	if (rc == CTL_OK)
		rc = crl_locked(&in, index, &ca, &listed);
	certindex_unlock(lock);
	if (rc == CTL_OK)
		rc = reload_daemon(ctl, &in, ca, &reloaded);
	if (rc == CTL_OK)
		printf(
		    "%s/ca.crl signed again: %zu revoked certificate%s, next update in %d days%s\n",
		    in.tls, listed, listed == 1 ? "" : "s", CRL_NEXT_UPDATE_DAYS,
		    reloaded ? "; the daemon reloaded it" : "");
	X509_free(ca);
	json_decref(index);
	instance_close(&in);
	return rc;
}

/* ---- the subcommands ------------------------------------------------------------------ */

static const struct sub subs[] = {
    {"issue", "--user NAME [--role ROLE] [--days N] [--out DIR] [--instance DIR]",
     "Issue a client certificate (EC P-256, clientAuth, CN=NAME, OU=ROLE) signed by the "
     "instance CA:\nNAME.key (0600) and NAME.crt in --out (default: the instance's tls/), "
     "valid --days (730),\nrecorded in tls/issued.json.",
     OPT(O_USER) | OPT(O_ROLE) | OPT(O_DAYS) | OPT(O_OUT) | OPT(O_INSTANCE), certs_issue},
    {"list", "[--instance DIR] [--json]",
     "List the certificates in tls/issued.json: serial, user, role, status (valid, "
     "expired,\nrevoked), expiry.",
     OPT(O_INSTANCE), certs_list},
    {"revoke", "(--serial HEX | --user NAME) [--instance DIR] [--json]",
     "Revoke a certificate (--user: every certificate of that user), sign a new tls/ca.crl "
     "and\nask the daemon to reload, so the next request with it is refused.  The "
     "certificate\njianductl itself uses is never revoked.  If the daemon is not "
     "reachable, the\nrevocation is recorded, a warning says so, and the exit status is 0: "
     "it takes\neffect when jiandud starts or reloads.",
     OPT(O_SERIAL) | OPT(O_USER) | OPT(O_INSTANCE), certs_revoke},
    {"crl", "[--instance DIR]",
     "Sign tls/ca.crl again (next update in 30 days) and ask the daemon to reload.",
     OPT(O_INSTANCE), certs_crl},
};

#define N_SUBS (sizeof subs / sizeof subs[0])

static void sub_help(const struct sub *s, FILE *f)
{
	fprintf(f, "usage: jianductl [OPTIONS] certs %s %s\n\n%s\n\n", s->name, s->usage,
		s->summary);
	fputs("--instance DIR: the instance directory (default: the directory of the client\n"
	      "config in use, where `jianductl init` put jianductl.conf).\n",
	      f);
}

static int unknown_opt(const struct sub *s, const char *arg)
{
	const char *cands[O_COUNT];
	size_t n = 0;
	const char *near;

	for (int k = 0; k < O_COUNT; k++)
		if (s->opts & OPT(k))
			cands[n++] = opt_names[k];
	near = suggest_word(arg, cands, n);
	if (near)
		return ctl_error(CTL_USAGE, "certs %s: unknown option '%s'; did you mean '%s'?",
				 s->name, arg, near);
	return ctl_error(CTL_USAGE, "certs %s: unknown option '%s' (usage: jianductl certs %s %s)",
			 s->name, arg, s->name, s->usage);
}

/* CTL_OK to go on, -1 after help, or an exit code. */
static int parse_one(struct ctl *ctl, const struct sub *s, int argc, char **argv, int *i,
		     struct certs_args *a)
{
	const char *v;

	if (strcmp(argv[*i], "-h") == 0 || strcmp(argv[*i], "--help") == 0)
		return -1;
	switch (ctl_output_arg(ctl, argc, argv, i)) {
	case 1:
		return CTL_OK;
	case -1:
		return CTL_USAGE;
	}
	for (int k = 0; k < O_COUNT; k++) {
		int m;

		if (!(s->opts & OPT(k)))
			continue;
		m = ctl_opt(argc, argv, i, opt_names[k], &v);
		if (m < 0)
			return ctl_error(CTL_USAGE, "certs %s: %s needs a value", s->name,
					 opt_names[k]);
		if (m == 0)
			continue;
		if (a->v[k] != NULL)
			return ctl_error(CTL_USAGE, "certs %s: %s given twice", s->name,
					 opt_names[k]);
		a->v[k] = v;
		return CTL_OK;
	}
	return unknown_opt(s, argv[*i]);
}

static int run_sub(struct ctl *ctl, const struct sub *s, int argc, char **argv)
{
	struct certs_args a;
	int rc;

	memset(&a, 0, sizeof a);
	for (int i = 1; i < argc; i++) {
		rc = parse_one(ctl, s, argc, argv, &i, &a);
		if (rc < 0) {
			sub_help(s, stdout);
			return CTL_OK;
		}
		if (rc != CTL_OK)
			return rc;
	}
	return s->run(ctl, s, &a);
}

static void list_subs(FILE *f)
{
	for (size_t i = 0; i < N_SUBS; i++)
		fprintf(f, "  jianductl certs %s %s\n", subs[i].name, subs[i].usage);
	fputs("(jianductl certs SUBCOMMAND --help for details)\n", f);
}

int cmd_certs(struct ctl *ctl, const struct command *self, int argc, char **argv)
{
	const char *names[N_SUBS], *near;

	(void)self;
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		FILE *f = argc < 2 ? stderr : stdout;

		fputs("usage:\n", f);
		list_subs(f);
		return argc < 2 ? ctl_error(CTL_USAGE, "certs: which subcommand?") : CTL_OK;
	}
	for (size_t i = 0; i < N_SUBS; i++) {
		names[i] = subs[i].name;
		if (strcmp(argv[1], subs[i].name) == 0)
			return run_sub(ctl, &subs[i], argc - 1, argv + 1);
	}
	near = suggest_word(argv[1], names, N_SUBS);
	if (near)
		return ctl_error(CTL_USAGE, "certs: unknown subcommand '%s'; did you mean '%s'?",
				 argv[1], near);
	ctl_error(CTL_USAGE, "certs: unknown subcommand '%s'; these exist:", argv[1]);
	list_subs(stderr);
	return CTL_USAGE;
}
