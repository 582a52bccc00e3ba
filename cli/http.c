/* jianductl: one HTTPS request with libcurl, and its failure in words. */
#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "output.h"

#define MAX_RESPONSE (16u << 20)
#define USER_AGENT   "jianductl/" JD_VERSION

struct buf {
	char *data;
	size_t len, cap;
	int too_big;
};

struct xfer {
	struct buf body;
	char *request_id;
	int alert; /* last fatal TLS alert the server sent us, or -1 */
	char errbuf[CURL_ERROR_SIZE];
	json_t **errbody; /* NULL, or where an error answer's JSON goes */
};

static int alert_index = -1; /* SSL_CTX ex_data slot pointing at the struct xfer */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct buf *b = user;
	size_t n = size * nmemb;
	char *p;

	if (n > MAX_RESPONSE - b->len) {
		b->too_big = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return 0;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user)
{
	static const char name[] = "x-request-id:";
	struct xfer *x = user;
	size_t n = size * nmemb, k = sizeof name - 1;
	char *id;

	if (n <= k || strncasecmp(ptr, name, k) != 0)
		return n;
	while (k < n && (ptr[k] == ' ' || ptr[k] == '\t'))
		k++;
	while (n > k && isspace((unsigned char)ptr[n - 1]))
		n--;
	id = strndup(ptr + k, n - k);
	if (id) { /* the id only decorates error messages: do without it if need be */
		free(x->request_id);
		x->request_id = id;
	}
	return size * nmemb;
}

static void on_tls_info(const SSL *ssl, int where, int ret)
{
	struct xfer *x;

	if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT || (ret >> 8) != SSL3_AL_FATAL)
		return;
	x = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), alert_index);
	if (x)
		x->alert = ret & 0xff;
}

static CURLcode on_ssl_ctx(CURL *curl, void *sslctx, void *user)
{
	SSL_CTX *ctx = sslctx;

	if (!SSL_CTX_set_ex_data(ctx, alert_index, user))
		return CURLE_OUT_OF_MEMORY;
	SSL_CTX_set_info_callback(ctx, on_tls_info);
	return CURLE_OK;
}

static int client_cert_alert(int alert)
{
	switch (alert) {
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_REVOKED:
	case SSL_AD_CERTIFICATE_EXPIRED:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
	case SSL_AD_ACCESS_DENIED:
	case SSL_AD_CERTIFICATE_REQUIRED:
		return 1;
	default:
		return 0;
	}
}

static int untrusted(long verify)
{
	switch (verify) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return 1;
	default:
		return 0;
	}
}

/* libcurl checks the name itself and then reports no (or an unspecified) X509 error. */
static int wrong_name(CURLcode rc, long verify)
{
	if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
		return 1;
	return rc == CURLE_PEER_FAILED_VERIFICATION &&
	       (verify == X509_V_OK || verify == X509_V_ERR_UNSPECIFIED);
}

static int tls_error(CURL *c, CURLcode rc, const struct xfer *x, const struct client_conf *conf,
		     struct ctl_err *err)
{
	long verify = X509_V_OK;

	if (x->alert >= 0 && client_cert_alert(x->alert))
		return ctl_fail(err, CTL_CONNECT,
				"TLS handshake with %s failed: the server rejected our client "
				"certificate %s (%s)",
				conf->server, conf->cert, SSL_alert_desc_string_long(x->alert));
	if (rc == CURLE_SSL_CACERT_BADFILE)
		return ctl_fail(err, CTL_CONNECT, "cannot use CA file %s: %s", conf->ca, x->errbuf);
	if (rc == CURLE_SSL_CERTPROBLEM)
		return ctl_fail(err, CTL_CONNECT,
				"cannot use client certificate %s with key %s: %s", conf->cert,
				conf->key, x->errbuf);
	if (curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &verify) != CURLE_OK)
		verify = X509_V_OK;
	if (wrong_name(rc, verify))
		return ctl_fail(err, CTL_CONNECT,
				"TLS handshake with %s failed: the server certificate is not for "
				"this host name (%s)",
				conf->server, x->errbuf);
	if (verify != X509_V_OK && untrusted(verify))
		return ctl_fail(
		    err, CTL_CONNECT,
		    "TLS handshake with %s failed: server certificate not trusted by %s "
		    "(%s)",
		    conf->server, conf->ca, X509_verify_cert_error_string(verify));
	if (verify != X509_V_OK)
		return ctl_fail(err, CTL_CONNECT,
				"TLS handshake with %s failed: server certificate rejected: %s",
				conf->server, X509_verify_cert_error_string(verify));
	if (x->alert >= 0)
		return ctl_fail(err, CTL_CONNECT,
				"TLS handshake with %s failed: the server said '%s'", conf->server,
				SSL_alert_desc_string_long(x->alert));
	return ctl_fail(err, CTL_CONNECT, "TLS handshake with %s failed: %s", conf->server,
			x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
}

/* The system's reason for the last socket failure ("connection refused"), or def. */
static void os_cause(CURL *c, const char *def, char *buf, size_t size)
{
	long os_errno = 0;

	if (curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno) != CURLE_OK || os_errno == 0) {
		snprintf(buf, size, "%s", def);
		return;
	}
	snprintf(buf, size, "%s", strerror((int)os_errno));
	buf[0] = (char)tolower((unsigned char)buf[0]);
}

static int connect_error(CURL *c, const struct client_conf *conf, const struct xfer *x,
			 struct ctl_err *err)
{
	char cause[CURL_ERROR_SIZE];

	os_cause(c, x->errbuf[0] ? x->errbuf : "connection failed", cause, sizeof cause);
	return ctl_fail(err, CTL_CONNECT, "cannot connect to %s: %s", conf->server, cause);
}

/*
 * With TLS 1.3 the server checks our certificate after the client's side
 * of the handshake is done; when it then drops the connection without its
 * alert reaching us, all we see is a connection closed before any answer.
 */
static int dropped_after_handshake(CURL *c, CURLcode rc)
{
	curl_off_t tls_done = 0;
	long header_bytes = 0;

	if (rc != CURLE_SEND_ERROR && rc != CURLE_RECV_ERROR && rc != CURLE_GOT_NOTHING)
		return 0;
	if (curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &tls_done) != CURLE_OK ||
	    curl_easy_getinfo(c, CURLINFO_HEADER_SIZE, &header_bytes) != CURLE_OK)
		return 0;
	return tls_done > 0 && header_bytes == 0;
}

static int dropped_error(CURL *c, const struct client_conf *conf, struct ctl_err *err)
{
	char cause[128];

	os_cause(c, "no answer", cause, sizeof cause);
	return ctl_fail(err, CTL_CONNECT,
			"TLS handshake with %s failed: the server closed the connection (%s), "
			"most likely because it rejected our client certificate %s",
			conf->server, cause, conf->cert);
}

static int transport_error(CURL *c, CURLcode rc, const struct xfer *x,
			   const struct client_conf *conf, struct ctl_err *err)
{
	curl_off_t tls_done = 0;

	if (x->body.too_big)
		return ctl_fail(err, CTL_FAIL, "the answer from %s is larger than %u bytes",
				conf->server, MAX_RESPONSE);
	if (x->alert >= 0 && client_cert_alert(x->alert))
		return tls_error(c, rc, x, conf, err);
	if (dropped_after_handshake(c, rc))
		return dropped_error(c, conf, err);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return connect_error(c, conf, x, err);
	case CURLE_COULDNT_RESOLVE_HOST:
		return ctl_fail(err, CTL_CONNECT, "cannot connect to %s: unknown host name",
				conf->server);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
		return tls_error(c, rc, x, conf, err);
	case CURLE_OPERATION_TIMEDOUT:
		if (curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &tls_done) != CURLE_OK)
			tls_done = 0;
		return ctl_fail(err, CTL_CONNECT, "%s %s: no answer within %ld s",
				tls_done ? "waiting for" : "cannot connect to", conf->server,
				conf->timeout_s);
	case CURLE_GOT_NOTHING:
		return ctl_fail(err, CTL_CONNECT, "%s closed the connection without answering",
				conf->server);
	default:
		return ctl_fail(err, CTL_CONNECT, "request to %s failed: %s", conf->server,
				x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	}
}

/* "<status> <code>: <message>" from {"error":{"code","message"}}, or the raw start. */
static int status_error(long status, const struct xfer *x, struct ctl_err *err)
{
	json_t *root = x->body.len ? json_loadb(x->body.data, x->body.len, 0, NULL) : NULL;
	json_t *e = json_object_get(root, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	char *clean = NULL;
	char rid[160] = "";

	if (x->request_id)
		snprintf(rid, sizeof rid, " (request id %.128s)", x->request_id);
	if (code || msg)
		clean = out_clean_fmt("%s: %s", code ? code : "error", msg ? msg : "(no message)");
	else if (x->body.len)
		clean = out_clean_fmt("%.200s", x->body.data);
	else
		clean = out_clean_fmt("(empty answer)");
	ctl_fail(err, CTL_FAIL, "%ld %s%s", status, clean ? clean : "(out of memory)", rid);
	free(clean);
	if (x->errbody != NULL)
		*x->errbody = root;
	else
		json_decref(root);
	return CTL_FAIL;
}

static int parse_answer(long status, const struct xfer *x, const struct client_conf *conf,
			json_t **out, struct ctl_err *err)
{
	json_error_t jerr;

	if (status >= 400)
		return status_error(status, x, err);
	if (status < 200 || status >= 300)
		return ctl_fail(err, CTL_FAIL, "unexpected HTTP status %ld from %s", status,
				conf->server);
	if (x->body.len == 0)
		return CTL_OK;
	*out = json_loadb(x->body.data, x->body.len, 0, &jerr);
	if (!*out)
		return ctl_fail(err, CTL_FAIL, "the answer from %s is not JSON: %s", conf->server,
				jerr.text);
	return CTL_OK;
}

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(c, opt, val);                                        \
	} while (0)

static CURLcode set_tls(CURL *c, const struct client_conf *conf, struct xfer *x)
{
	CURLcode rc = CURLE_OK;

	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CAINFO, conf->ca);
	SET(CURLOPT_CAPATH, (char *)NULL);
	SET(CURLOPT_SSLCERT, conf->cert);
	SET(CURLOPT_SSLCERTTYPE, "PEM");
	SET(CURLOPT_SSLKEY, conf->key);
	SET(CURLOPT_SSLKEYTYPE, "PEM");
	SET(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	SET(CURLOPT_SSL_CTX_DATA, x);
	return rc;
}

static CURLcode set_common(CURL *c, const struct client_conf *conf, const char *url,
			   struct curl_slist *headers, struct xfer *x)
{
	CURLcode rc = CURLE_OK;

	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT, conf->timeout_s);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, &x->body);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	if (rc == CURLE_OK)
		rc = set_tls(c, conf, x);
	return rc;
}

static CURLcode set_method(CURL *c, const char *method, const char *payload)
{
	CURLcode rc = CURLE_OK;

	if (strcmp(method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "POST") != 0)
		SET(CURLOPT_CUSTOMREQUEST, method);
	if (payload) {
		SET(CURLOPT_POSTFIELDS, payload);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
	}
	return rc;
}

#undef SET

static struct curl_slist *make_headers(int with_body)
{
	struct curl_slist *h = NULL, *t;
	const char *lines[] = {"Accept: application/json",
			       "Expect:", with_body ? "Content-Type: application/json" : NULL};

	for (size_t i = 0; i < sizeof lines / sizeof lines[0] && lines[i]; i++) {
		t = curl_slist_append(h, lines[i]);
		if (!t) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = t;
	}
	return h;
}

static int perform(CURL *c, const struct client_conf *conf, struct xfer *x, json_t **out,
		   struct ctl_err *err)
{
	CURLcode rc;
	long status = 0;

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		return transport_error(c, rc, x, conf, err);
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		return ctl_fail(err, CTL_FAIL, "no HTTP status from %s", conf->server);
	return parse_answer(status, x, conf, out, err);
}

int http_request(const struct client_conf *conf, const char *method, const char *path, json_t *body,
		 json_t **out, struct ctl_err *err)
{
	return http_request_errbody(conf, method, path, body, out, err, NULL);
}

int http_request_errbody(const struct client_conf *conf, const char *method, const char *path,
			 json_t *body, json_t **out, struct ctl_err *err, json_t **errbody)
{
	struct xfer x = {.alert = -1, .errbody = errbody};
	struct curl_slist *headers = NULL;
	char *url = NULL, *payload = NULL;
	CURL *c = NULL;
	int rc = ctl_fail(err, CTL_FAIL, "out of memory");

	*out = NULL;
	if (errbody != NULL)
		*errbody = NULL;
	if (alert_index < 0)
		alert_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (alert_index < 0)
		goto out;
	if (body && !(payload = json_dumps(body, JSON_COMPACT)))
		goto out;
	if (asprintf(&url, "https://%s%s", conf->server, path) < 0) {
		url = NULL;
		goto out;
	}
	headers = make_headers(payload != NULL);
	c = curl_easy_init();
	if (!headers || !c)
		goto out;
	if (set_common(c, conf, url, headers, &x) != CURLE_OK ||
	    set_method(c, method, payload) != CURLE_OK) {
		rc = ctl_fail(err, CTL_FAIL, "libcurl refused an option: %s", x.errbuf);
		goto out;
	}
	rc = perform(c, conf, &x, out, err);
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	free(url);
	free(payload);
	free(x.body.data);
	free(x.request_id);
	return rc;
}
