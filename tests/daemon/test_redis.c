/*
 * jd_redis against a real redis-server started here on a unix socket (and,
 * for TLS, on a loopback port with certificates made here).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "runtime/log.h"
#include "storage/redis.h"
#include "redis_harness.h"

/* Every server here may be made to stall (DEBUG SLEEP). */
static const char *const debug_args[] = {"--enable-debug-command", "yes", NULL};

/* ---- Fixture ------------------------------------------------------------ */

struct fx {
	struct event_base *base;
	char dir[64];
	char url[PATH_MAX];
	pid_t pid;
	pid_t tls_pid;
	struct jd_redis *r;
	struct jd_redis *r2;
};

static struct jd_redis_opts test_opts(const char *url)
{
	struct jd_redis_opts o = {
	    .url = url,
	    .command_timeout_ms = 2000,
	    .connect_timeout_ms = 1000,
	    .backoff_min_ms = 10,
	    .backoff_max_ms = 100,
	};
	return o;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct jd_redis_opts o;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/jdtest-redis-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->url, sizeof(f->url), "unix://%s/redis.sock", f->dir);
	f->pid = spawn_server(f->dir, debug_args);
	f->base = event_base_new();
	assert_non_null(f->base);
	o = test_opts(f->url);
	f->r = jd_redis_new(f->base, &o);
	assert_non_null(f->r);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 2000));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jd_redis_free(f->r);
	jd_redis_free(f->r2);
	event_base_free(f->base);
	kill_server(&f->pid);
	kill_server(&f->tls_pid);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* ---- Command helpers ---------------------------------------------------- */

static int in_command; /* a callback must never run inside jd_redis_command */

struct result {
	int done;
	int calls;
	int rc;
	int type;
	long long integer;
	char str[256];
};

static void record_cb(int rc, redisReply *reply, void *arg)
{
	struct result *res = arg;

	assert_false(in_command);
	res->calls++;
	res->done = 1;
	res->rc = rc;
	if (rc != JD_OK) {
		assert_null(reply);
		return;
	}
	res->type = reply->type;
	res->integer = reply->integer;
	if (reply->str != NULL)
		snprintf(res->str, sizeof(res->str), "%.*s", (int)reply->len, reply->str);
}

static int send_cmd(struct jd_redis *r, struct result *res, int argc, const char **argv)
{
	int rc;

	memset(res, 0, sizeof(*res));
	in_command = 1;
	rc = jd_redis_command(r, argc, argv, NULL, record_cb, res);
	in_command = 0;
	return rc;
}

#define SEND(r, res, ...)                                                                          \
	send_cmd((r), (res), (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),  \
		 (const char *[]){__VA_ARGS__})

/* One command, waited for; returns its rc. */
static int call(struct fx *f, struct jd_redis *r, struct result *res, int argc, const char **argv)
{
	int rc = send_cmd(r, res, argc, argv);

	if (rc != JD_OK)
		return rc;
	assert_true(run_until(f->base, &res->done, 3000));
	assert_int_equal(res->calls, 1);
	return res->rc;
}

#define CALL(f, r, res, ...)                                                                       \
	call((f), (r), (res), (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
	     (const char *[]){__VA_ARGS__})

/* ---- Tests ----------------------------------------------------------------- */

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct result res;

	assert_int_equal(CALL(f, f->r, &res, "SET", "greeting", "hello"), JD_OK);
	assert_int_equal(res.type, REDIS_REPLY_STATUS);
	assert_string_equal(res.str, "OK");
	assert_int_equal(CALL(f, f->r, &res, "GET", "greeting"), JD_OK);
	assert_int_equal(res.type, REDIS_REPLY_STRING);
	assert_string_equal(res.str, "hello");
	/* an error reply is still JD_OK at this layer */
	assert_int_equal(CALL(f, f->r, &res, "NOSUCHCOMMAND"), JD_OK);
	assert_int_equal(res.type, REDIS_REPLY_ERROR);
	assert_int_equal(jd_redis_stats(f->r)->errors, 1);
	assert_int_equal(jd_redis_stats(f->r)->commands, jd_redis_stats(f->r)->replies);
	assert_string_equal(jd_redis_state_name(jd_redis_state(f->r)), "ok");
}

#define PIPELINE 2000

struct pipeline {
	int next;
	int done;
};

static void pipeline_cb(int rc, redisReply *reply, void *arg)
{
	struct pipeline *p = arg;

	assert_int_equal(rc, JD_OK);
	assert_int_equal(reply->type, REDIS_REPLY_INTEGER);
	/* INCR answers 1, 2, 3...: the n-th reply must reach the n-th callback */
	assert_int_equal(reply->integer, ++p->next);
	if (p->next == PIPELINE)
		p->done = 1;
}

static void test_pipeline_in_order(void **state)
{
	struct fx *f = *state;
	struct pipeline p = {0};
	const char *argv[] = {"INCR", "counter"};

	for (int i = 0; i < PIPELINE; i++)
		assert_int_equal(jd_redis_command(f->r, 2, argv, NULL, pipeline_cb, &p), JD_OK);
	assert_true(run_until(f->base, &p.done, 5000));
	assert_int_equal(p.next, PIPELINE);
}

static void test_binary_safe_arguments(void **state)
{
	struct fx *f = *state;
	struct result res;
	const char *argv[] = {"SET", "bin", "a\0b"};
	const size_t lens[] = {3, 3, 3};

	memset(&res, 0, sizeof(res));
	assert_int_equal(jd_redis_command(f->r, 3, argv, lens, record_cb, &res), JD_OK);
	assert_true(run_until(f->base, &res.done, 2000));
	assert_int_equal(CALL(f, f->r, &res, "STRLEN", "bin"), JD_OK);
	assert_int_equal(res.integer, 3);
}

#define NPENDING 6

/* Killed server: pending commands fail, new ones are refused at once. */
static void test_server_killed(void **state)
{
	struct fx *f = *state;
	struct result res[NPENDING], probe;
	uint64_t killed, refused = 0;
	int rc;

	/* the server is asleep: nothing can be answered before the kill */
	assert_int_equal(SEND(f->r, &res[0], "DEBUG", "SLEEP", "2"), JD_OK);
	for (int i = 1; i < NPENDING; i++)
		assert_int_equal(SEND(f->r, &res[i], "PING"), JD_OK);
	run_for(f->base, 20);
	assert_int_equal(kill(f->pid, SIGKILL), 0);
	killed = now_ms();
	while (now_ms() - killed < 1000) {
		run_for(f->base, 2);
		rc = SEND(f->r, &probe, "PING");
		if (rc == JD_E_UNAVAILABLE) {
			refused = now_ms();
			break;
		}
		assert_int_equal(rc, JD_OK); /* queued before the EOF was seen: it will fail */
	}
	assert_true(refused > 0);
	assert_true(refused - killed < 100);
	for (int i = 0; i < NPENDING; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].rc, JD_E_UNAVAILABLE);
	}
	assert_int_not_equal(jd_redis_state(f->r), JD_REDIS_OK);
	assert_true(jd_redis_stats(f->r)->disconnects >= 1);
	kill_server(&f->pid);
	/* and it stays refused, at once, while the server is gone */
	run_for(f->base, 50);
	assert_int_equal(SEND(f->r, &probe, "PING"), JD_E_UNAVAILABLE);
	assert_int_equal(jd_redis_state(f->r), JD_REDIS_DOWN);
}

static void test_server_restarted(void **state)
{
	struct fx *f = *state;
	struct result res;
	uint64_t connects = jd_redis_stats(f->r)->connects;

	assert_int_equal(kill(f->pid, SIGKILL), 0);
	kill_server(&f->pid);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_DOWN, 2000));
	run_for(f->base, 200); /* a few failed attempts */
	f->pid = spawn_server(f->dir, debug_args);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 3000));
	assert_int_equal(jd_redis_stats(f->r)->connects, connects + 1);
	assert_int_equal(CALL(f, f->r, &res, "PING"), JD_OK);
	assert_string_equal(res.str, "PONG");
}

static void test_command_timeout(void **state)
{
	struct fx *f = *state;
	struct jd_redis_opts o = test_opts(f->url);
	struct result slow, behind, res;
	uint64_t t0;

	/* a round trip first: the timer stays armed for its (longer) deadline */
	assert_int_equal(CALL(f, f->r, &res, "PING"), JD_OK);
	o.command_timeout_ms = 100;
	jd_redis_set_timeouts(f->r, &o);
	t0 = now_ms();
	assert_int_equal(SEND(f->r, &slow, "DEBUG", "SLEEP", "0.5"), JD_OK);
	assert_int_equal(SEND(f->r, &behind, "PING"), JD_OK);
	assert_true(run_until(f->base, &slow.done, 2000));
	assert_int_equal(slow.rc, JD_E_TIMEOUT);
	assert_true(now_ms() - t0 >= 90 && now_ms() - t0 < 450);
	/* the reply order is lost with the connection: the next one fails too */
	assert_int_equal(behind.calls, 1);
	assert_int_equal(behind.rc, JD_E_UNAVAILABLE);
	assert_int_equal(jd_redis_stats(f->r)->timeouts, 1);

	o.command_timeout_ms = 2000;
	jd_redis_set_timeouts(f->r, &o);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 2000));
	assert_int_equal(CALL(f, f->r, &res, "PING"), JD_OK);
	assert_string_equal(res.str, "PONG");
}

struct chain {
	struct jd_redis *r;
	struct result second;
	int first_calls;
};

static void chain_first_cb(int rc, redisReply *reply, void *arg)
{
	struct chain *c = arg;

	assert_int_equal(rc, JD_OK);
	c->first_calls++;
	assert_int_equal(SEND(c->r, &c->second, "ECHO", "again"), JD_OK);
}

static void test_callback_sends_command(void **state)
{
	struct fx *f = *state;
	struct chain c = {.r = f->r};
	const char *argv[] = {"PING"};

	assert_int_equal(jd_redis_command(f->r, 1, argv, NULL, chain_first_cb, &c), JD_OK);
	assert_true(run_until(f->base, &c.second.done, 2000));
	assert_int_equal(c.first_calls, 1);
	assert_int_equal(c.second.rc, JD_OK);
	assert_string_equal(c.second.str, "again");
}

struct freeing {
	struct fx *f;
	int calls;
	int rcs[3];
};

static void freeing_cb(int rc, redisReply *reply, void *arg)
{
	struct freeing *fr = arg;

	fr->rcs[fr->calls++] = rc;
	if (fr->calls == 1) {
		jd_redis_free(fr->f->r);
		fr->f->r = NULL;
	}
}

static void test_free_from_callback(void **state)
{
	struct fx *f = *state;
	struct freeing fr = {.f = f};
	const char *argv[] = {"PING"};

	for (int i = 0; i < 3; i++)
		assert_int_equal(jd_redis_command(f->r, 1, argv, NULL, freeing_cb, &fr), JD_OK);
	while (fr.calls < 3)
		run_for(f->base, 5);
	assert_int_equal(fr.rcs[0], JD_OK);
	assert_int_equal(fr.rcs[1], JD_E_UNAVAILABLE);
	assert_int_equal(fr.rcs[2], JD_E_UNAVAILABLE);
	run_for(f->base, 20);
	assert_int_equal(fr.calls, 3);
}

static void test_free_fails_pending(void **state)
{
	struct fx *f = *state;
	struct result res[3];

	for (int i = 0; i < 3; i++)
		assert_int_equal(SEND(f->r, &res[i], "PING"), JD_OK);
	jd_redis_free(f->r);
	f->r = NULL;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].rc, JD_E_UNAVAILABLE);
	}
}

static void test_down_at_start(void **state)
{
	struct fx *f = *state;
	char dir[64], url[PATH_MAX];
	struct jd_redis_opts o;
	struct result res;
	pid_t pid;

	snprintf(dir, sizeof(dir), "/tmp/jdtest-redis-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "unix://%s/redis.sock", dir);
	o = test_opts(url);
	f->r2 = jd_redis_new(f->base, &o);
	assert_non_null(f->r2);
	assert_true(run_until_state(f->base, f->r2, JD_REDIS_DOWN, 1000));
	assert_int_equal(SEND(f->r2, &res, "PING"), JD_E_UNAVAILABLE);
	assert_int_equal(res.calls, 0);
	assert_true(jd_redis_stats(f->r2)->failed >= 1);
	pid = spawn_server(dir, debug_args);
	assert_true(run_until_state(f->base, f->r2, JD_REDIS_OK, 3000));
	assert_int_equal(CALL(f, f->r2, &res, "PING"), JD_OK);
	jd_redis_free(f->r2);
	f->r2 = NULL;
	kill_server(&pid);
	rm_tree(dir);
}

struct hook {
	int calls;
	struct result res;
};

static void hook_cb(struct jd_redis *r, void *arg)
{
	struct hook *h = arg;

	h->calls++;
	/* the hook's commands go first, before the state says ok */
	assert_int_not_equal(jd_redis_state(r), JD_REDIS_OK);
	assert_int_equal(SEND(r, &h->res, "SET", "hooked", "yes"), JD_OK);
}

static void test_on_connect_hook(void **state)
{
	struct fx *f = *state;
	struct hook h = {0};
	struct result res;

	jd_redis_on_connect(f->r, hook_cb, &h);
	assert_int_equal(kill(f->pid, SIGKILL), 0);
	kill_server(&f->pid);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_DOWN, 2000));
	f->pid = spawn_server(f->dir, debug_args);
	assert_true(run_until_state(f->base, f->r, JD_REDIS_OK, 3000));
	assert_int_equal(h.calls, 1);
	assert_int_equal(CALL(f, f->r, &res, "GET", "hooked"), JD_OK);
	assert_string_equal(res.str, "yes");
	assert_int_equal(h.res.rc, JD_OK);
	jd_redis_on_connect(f->r, NULL, NULL);
}

static void test_url_check(void **state)
{
	static const char *const good[] = {
	    "redis://localhost",
	    "redis://127.0.0.1:6380",
	    "redis://127.0.0.1:6380/",
	    "redis://h.example.org:1/15",
	    "redis://:s3cr%40t@host:6379/2",
	    "redis://user:pw@host",
	    "redis://[::1]:6379/0",
	    "redis://[::1]",
	    "rediss://redis.example.org:6380/1",
	    "unix:///run/jiandu/redis.sock",
	    "unix:///tmp/r.sock?db=3",
	};
	static const char *const bad[] = {
	    "",
	    "localhost:6379",
	    "http://localhost",
	    "redis://",
	    "redis://:6379",
	    "redis://host:0",
	    "redis://host:65536",
	    "redis://host:12ab",
	    "redis://host:",
	    "redis://host/db",
	    "redis://host/-1",
	    "redis://host?db=1",
	    "redis://::1:6379",
	    "redis://[::1",
	    "redis://pw@host",
	    "redis://:@host",
	    "redis://:bad%zzpw@host",
	    "redis://ho st",
	    "unix://relative.sock",
	    "unix:///tmp/r.sock?db=x",
	    "unix:///tmp/r.sock?foo=1",
	    "unix:///"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char err[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		if (jd_redis_url_check(good[i], err, sizeof(err)) != JD_OK)
			fail_msg("%s refused: %s", good[i], err);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (jd_redis_url_check(bad[i], err, sizeof(err)) != JD_E_INVALID)
			fail_msg("%s accepted", bad[i]);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(jd_redis_url_check(NULL, err, sizeof(err)), JD_E_INVALID);
	assert_int_equal(jd_redis_url_check("redis://host:99999", err, sizeof(err)), JD_E_INVALID);
	assert_non_null(strstr(err, "port"));
	{
		struct jd_redis_opts o = test_opts("ftp://nope");

		assert_null(jd_redis_new(((struct fx *)*state)->base, &o));
	}
}

/* ---- TLS, AUTH and SELECT ------------------------------------------------ */

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for key, signed by issuer (self-signed when issuer is NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       const char *san)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name), 1);
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		add_ext(x, issuer, NID_subject_alt_name, san);
	}
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static void write_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	if (cert != NULL)
		assert_int_equal(PEM_write_X509(fp, cert), 1);
	if (key != NULL)
		assert_int_equal(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(fp), 0);
}

/* ca.pem, server.pem (cert+key), client.pem (cert+key), other-ca.pem in dir. */
static void make_pki(const char *dir)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256");
	EVP_PKEY *cli_key = EVP_EC_gen("P-256"), *other_key = EVP_EC_gen("P-256");
	X509 *ca, *srv, *cli, *other;

	assert_non_null(ca_key);
	assert_non_null(srv_key);
	assert_non_null(cli_key);
	assert_non_null(other_key);
	ca = make_cert(ca_key, "jiandu test CA", NULL, NULL, NULL);
	other = make_cert(other_key, "another CA", NULL, NULL, NULL);
	srv = make_cert(srv_key, "localhost", ca, ca_key, "DNS:localhost,IP:127.0.0.1");
	cli = make_cert(cli_key, "jiandud", ca, ca_key, "DNS:jiandud");
	write_pem(dir, "ca.pem", ca, NULL);
	write_pem(dir, "other-ca.pem", other, NULL);
	write_pem(dir, "server.pem", srv, srv_key);
	write_pem(dir, "client.pem", cli, cli_key);
	X509_free(ca);
	X509_free(other);
	X509_free(srv);
	X509_free(cli);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(cli_key);
	EVP_PKEY_free(other_key);
}

struct tls_env {
	char dir[80];
	char ca[PATH_MAX], other_ca[PATH_MAX], client[PATH_MAX];
	int port;
};

static void start_tls_server(struct fx *f, struct tls_env *t)
{
	char srv[PATH_MAX], port[16];

	snprintf(t->dir, sizeof(t->dir), "%s/tls", f->dir);
	assert_int_equal(mkdir(t->dir, 0700), 0);
	make_pki(t->dir);
	snprintf(t->ca, sizeof(t->ca), "%s/ca.pem", t->dir);
	snprintf(t->other_ca, sizeof(t->other_ca), "%s/other-ca.pem", t->dir);
	snprintf(t->client, sizeof(t->client), "%s/client.pem", t->dir);
	snprintf(srv, sizeof(srv), "%s/server.pem", t->dir);
	t->port = free_tcp_port();
	snprintf(port, sizeof(port), "%d", t->port);
	const char *extra[] = {"--enable-debug-command",
			       "yes",
			       "--tls-port",
			       port,
			       "--bind",
			       "127.0.0.1",
			       "-::1",
			       "--tls-cert-file",
			       srv,
			       "--tls-key-file",
			       srv,
			       "--tls-ca-cert-file",
			       t->ca,
			       "--tls-auth-clients",
			       "yes",
			       "--requirepass",
			       "s3cr@t",
			       NULL};
	f->tls_pid = spawn_server(t->dir, extra);
}

/* Connects with the given URL and client certificate; returns the final state. */
static enum jd_redis_state tls_try(struct fx *f, const char *url, const char *ca, const char *cert)
{
	struct jd_redis_opts o = test_opts(url);

	o.tls_ca = ca;
	o.tls_cert = cert;
	uint64_t deadline = now_ms() + 2000;

	f->r2 = jd_redis_new(f->base, &o);
	assert_non_null(f->r2);
	/* the first attempt ends either way: ok, or down until the next one */
	while (jd_redis_state(f->r2) == JD_REDIS_CONNECTING && now_ms() < deadline)
		run_for(f->base, 5);
	return jd_redis_state(f->r2);
}

static void tls_done(struct fx *f)
{
	jd_redis_free(f->r2);
	f->r2 = NULL;
}

static void test_tls_auth_select(void **state)
{
	struct fx *f = *state;
	struct tls_env t;
	struct result res;
	char url[256];

	start_tls_server(f, &t);

	snprintf(url, sizeof(url), "rediss://:s3cr%%40t@localhost:%d/3", t.port);
	assert_int_equal(tls_try(f, url, t.ca, t.client), JD_REDIS_OK);
	assert_int_equal(CALL(f, f->r2, &res, "CLIENT", "INFO"), JD_OK);
	assert_non_null(strstr(res.str, " db=3 "));
	assert_int_equal(CALL(f, f->r2, &res, "SET", "over-tls", "1"), JD_OK);
	tls_done(f);

	snprintf(url, sizeof(url), "rediss://default:s3cr%%40t@127.0.0.1:%d", t.port);
	assert_int_equal(tls_try(f, url, t.ca, t.client), JD_REDIS_OK);
	assert_int_equal(CALL(f, f->r2, &res, "PING"), JD_OK);
	assert_string_equal(res.str, "PONG");
	tls_done(f);

	/* wrong password, unknown CA, no client certificate: never ok */
	snprintf(url, sizeof(url), "rediss://:wrong@localhost:%d", t.port);
	assert_int_equal(tls_try(f, url, t.ca, t.client), JD_REDIS_DOWN);
	assert_int_equal(jd_redis_stats(f->r2)->connects, 0);
	tls_done(f);
	snprintf(url, sizeof(url), "rediss://:s3cr%%40t@localhost:%d", t.port);
	assert_int_equal(tls_try(f, url, t.other_ca, t.client), JD_REDIS_DOWN);
	tls_done(f);
	assert_int_equal(tls_try(f, url, t.ca, NULL), JD_REDIS_DOWN);
	tls_done(f);
	/* plain text to a TLS port */
	snprintf(url, sizeof(url), "redis://:s3cr%%40t@localhost:%d", t.port);
	assert_int_equal(tls_try(f, url, NULL, NULL), JD_REDIS_DOWN);
	tls_done(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipeline_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_binary_safe_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_killed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_restarted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_command_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_callback_sends_command, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_from_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_fails_pending, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_down_at_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_on_connect_hook, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_url_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tls_auth_select, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	jd_log_set_level(getenv("JD_TEST_LOG") ? "debug" : "err");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
