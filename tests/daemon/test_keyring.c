/* Keyring loading: a good file, file modes, every kind of bad entry, line numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include <jiandu/plugin.h>

#include "security/keyring.h"
#include "testutil.h"

#define B64	      sodium_base64_VARIANT_ORIGINAL
#define MASTER_B64LEN sodium_base64_ENCODED_LEN(JD_MASTER_KEY_BYTES, B64)

/* Deterministic keys: master v is bytes v, v+1, ...; the signing pair comes from a fixed seed. */
struct keys {
	unsigned char sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	char sk64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES, B64)];
	char pk64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, B64)];
	char other_pk64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, B64)];
	/* audit_sign whose public half was replaced by other_pk: sk_to_pk alone would pass */
	char spliced_sk64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES, B64)];
};

static struct keys K;

static void master_bytes(unsigned v, unsigned char out[JD_MASTER_KEY_BYTES])
{
	for (unsigned i = 0; i < JD_MASTER_KEY_BYTES; i++)
		out[i] = (unsigned char)(v * 7 + i);
}

static const char *master_b64(unsigned v)
{
	static char buf[4][MASTER_B64LEN];
	static unsigned next;
	unsigned char m[JD_MASTER_KEY_BYTES];
	char *out = buf[next++ % 4];

	master_bytes(v, m);
	return sodium_bin2base64(out, MASTER_B64LEN, m, sizeof m, B64);
}

static int setup(void **state)
{
	unsigned char seed[crypto_sign_SEEDBYTES], opk[crypto_sign_PUBLICKEYBYTES];
	unsigned char osk[crypto_sign_SECRETKEYBYTES], spliced[crypto_sign_SECRETKEYBYTES];

	(void)state;
	if (sodium_init() < 0)
		return -1;
	memset(seed, 0x55, sizeof seed);
	if (crypto_sign_seed_keypair(K.pk, K.sk, seed) != 0)
		return -1;
	memset(seed, 0x66, sizeof seed);
	if (crypto_sign_seed_keypair(opk, osk, seed) != 0)
		return -1;
	memcpy(spliced, K.sk, 32);
	memcpy(spliced + 32, opk, 32);
	sodium_bin2base64(K.sk64, sizeof K.sk64, K.sk, sizeof K.sk, B64);
	sodium_bin2base64(K.pk64, sizeof K.pk64, K.pk, sizeof K.pk, B64);
	sodium_bin2base64(K.other_pk64, sizeof K.other_pk64, opk, sizeof opk, B64);
	sodium_bin2base64(K.spliced_sk64, sizeof K.spliced_sk64, spliced, sizeof spliced, B64);
	return 0;
}

static int load_mode(const char *text, mode_t mode, unsigned min_version, struct jd_keyring **k,
		     char *err, size_t errlen, char *path_out)
{
	const char *path = write_temp_file("keyring", text);
	int rc;

	assert_non_null(path);
	assert_int_equal(chmod(path, mode), 0);
	if (path_out != NULL)
		strcpy(path_out, path);
	rc = jd_keyring_load(path, min_version, k, err, errlen);
	remove_temp_file(path);
	return rc;
}

static int load(const char *text, unsigned min_version, struct jd_keyring **k, char *err,
		size_t errlen)
{
	return load_mode(text, 0600, min_version, k, err, errlen, NULL);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	return text;
}

/*
 * The keyring `jianductl init` writes, with the given signing pair: line 1
 * a comment, 2 [keyring], 3 format, 4 active, then the master lines, then
 * audit_sign, audit_verify and tail.
 */
static char *keyring_with(const char *active, const char *masters, const char *sk64,
			  const char *pk64, const char *tail)
{
	return xasprintf("# jiandu keyring: keep it secret\n"
			 "[keyring]\n"
			 "format = 1\n"
			 "active = %s\n"
			 "%s"
			 "audit_sign = %s\n"
			 "audit_verify = %s\n"
			 "%s",
			 active, masters, sk64, pk64, tail);
}

static char *keyring_text(const char *active, const char *masters, const char *tail)
{
	return keyring_with(active, masters, K.sk64, K.pk64, tail);
}

static void expect_error(const char *text, unsigned min_version, const char *fragment)
{
	struct jd_keyring *k = (struct jd_keyring *)&K;
	char err[512] = "";

	assert_int_equal(load(text, min_version, &k, err, sizeof err), JD_E_INVALID);
	assert_null(k);
	if (strstr(err, fragment) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, fragment);
}

static void test_good_keyring(void **state)
{
	struct jd_keyring *k = NULL;
	char err[512] = "", masters[512], *text;
	unsigned v[JD_KEYRING_MAX_VERSIONS], two[2];
	unsigned char m[JD_MASTER_KEY_BYTES];

	(void)state;
	snprintf(masters, sizeof masters, "master.3 = %s\n\nmaster.1 = %s ; first\nmaster.2 = %s\n",
		 master_b64(3), master_b64(1), master_b64(2));
	text = keyring_text("3", masters, "");
	assert_int_equal(load(text, 1, &k, err, sizeof err), JD_OK);
	assert_non_null(k);
	assert_int_equal(jd_keyring_active(k), 3);
	assert_int_equal(jd_keyring_versions(k, v, JD_KEYRING_MAX_VERSIONS), 3);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 3);
	assert_int_equal(jd_keyring_versions(k, two, 2), 2);
	assert_int_equal(two[1], 2);
	for (unsigned i = 1; i <= 3; i++) {
		master_bytes(i, m);
		assert_non_null(jd_keyring_master(k, i));
		assert_memory_equal(jd_keyring_master(k, i), m, sizeof m);
	}
	assert_null(jd_keyring_master(k, 0));
	assert_null(jd_keyring_master(k, 4));
	assert_memory_equal(jd_keyring_sign_sk(k), K.sk, sizeof K.sk);
	assert_memory_equal(jd_keyring_sign_pk(k), K.pk, sizeof K.pk);
	jd_keyring_free(k);
	free(text);
}

#define FAULTED 77

static void on_fault(int sig)
{
	(void)sig;
	_exit(FAULTED);
}

/* The keys are read-only once loaded: a stray write faults instead of changing a key. */
static void test_keys_read_only(void **state)
{
	struct jd_keyring *k = NULL;
	char err[512], masters[128], *text;
	int status = 0;
	pid_t pid;

	(void)state;
	snprintf(masters, sizeof masters, "master.1 = %s\n", master_b64(1));
	text = keyring_text("1", masters, "");
	assert_int_equal(load(text, 0, &k, err, sizeof err), JD_OK);
	free(text);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka (or ASan) traps SIGSEGV itself: say plainly that the write faulted */
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_fault;
		if (sigaction(SIGSEGV, &sa, NULL) != 0 || sigaction(SIGBUS, &sa, NULL) != 0)
			_exit(1);
		((volatile unsigned char *)jd_keyring_master(k, 1))[0] ^= 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), FAULTED);
	jd_keyring_free(k);
}

static void test_file_mode(void **state)
{
	struct jd_keyring *k = (struct jd_keyring *)&K;
	char err[512] = "", masters[128], path[256], want[300], *text;
	const mode_t bad[] = {0644, 0640, 0604, 0660, 0602, 0620};

	(void)state;
	snprintf(masters, sizeof masters, "master.1 = %s\n", master_b64(1));
	text = keyring_text("1", masters, "");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(load_mode(text, bad[i], 0, &k, err, sizeof err, path),
				 JD_E_INVALID);
		assert_null(k);
		snprintf(want, sizeof want, "run: chmod 600 %s", path);
		if (strstr(err, want) == NULL)
			fail_msg("error '%s' does not contain '%s'", err, want);
	}
	assert_int_equal(load_mode(text, 0400, 0, &k, err, sizeof err, NULL), JD_OK);
	jd_keyring_free(k);
	free(text);
	k = (struct jd_keyring *)&K;
	assert_int_equal(jd_keyring_load("/nonexistent/jd/keyring", 0, &k, err, sizeof err),
			 JD_E_NOTFOUND);
	assert_null(k);
	assert_non_null(strstr(err, "/nonexistent/jd/keyring"));
}

static void test_bad_values(void **state)
{
	char masters[512], *text;
	unsigned char m[JD_MASTER_KEY_BYTES + 1] = {0};
	char b64[128];

	(void)state;
	text = keyring_text("1", "master.1 = !!!!notbase64!!!!\n", "");
	expect_error(text, 0, ":5: master.1: not valid base64");
	free(text);
	/* the original variant is padded; the URL-safe alphabet is not it */
	sodium_bin2base64(b64, sizeof b64, m, JD_MASTER_KEY_BYTES, B64);
	b64[strlen(b64) - 1] = '\0';
	snprintf(masters, sizeof masters, "master.1 = %s\n", b64);
	text = keyring_text("1", masters, "");
	expect_error(text, 0, ":5: master.1: not valid base64");
	free(text);
	memset(m, 0xfb, sizeof m);
	sodium_bin2base64(b64, sizeof b64, m, JD_MASTER_KEY_BYTES, sodium_base64_VARIANT_URLSAFE);
	snprintf(masters, sizeof masters, "master.1 = %s\n", b64);
	text = keyring_text("1", masters, "");
	expect_error(text, 0, ":5: master.1: not valid base64");
	free(text);
	/* 31 and 33 bytes */
	sodium_bin2base64(b64, sizeof b64, m, JD_MASTER_KEY_BYTES - 1, B64);
	snprintf(masters, sizeof masters, "master.1 = %s\n", b64);
	text = keyring_text("1", masters, "");
	expect_error(text, 0, ":5: master.1: wrong length (31 bytes), expected 32");
	free(text);
	sodium_bin2base64(b64, sizeof b64, m, JD_MASTER_KEY_BYTES + 1, B64);
	snprintf(masters, sizeof masters, "master.1 = %s\n", b64);
	text = keyring_text("1", masters, "");
	expect_error(text, 0, ":5: master.1: wrong length (33 bytes), expected 32");
	free(text);
	/* a master key where the signing keys belong */
	snprintf(masters, sizeof masters, "master.1 = %s\n", master_b64(1));
	text = keyring_with("1", masters, master_b64(1), K.pk64, "");
	expect_error(text, 0, ":6: audit_sign: wrong length (32 bytes), expected 64");
	free(text);
	text = keyring_with("1", masters, K.sk64, K.sk64, "");
	expect_error(text, 0, ":7: audit_verify: wrong length (64 bytes), expected 32");
	free(text);
}

/* Key material never appears in a message. */
static void test_error_hides_value(void **state)
{
	struct jd_keyring *k = NULL;
	unsigned char m[JD_MASTER_KEY_BYTES];
	char err[512] = "", masters[256], b64[128], *text;

	(void)state;
	master_bytes(9, m);
	sodium_bin2base64(b64, sizeof b64, m, JD_MASTER_KEY_BYTES - 2, B64);
	snprintf(masters, sizeof masters, "master.1 = %s\nmaster.2 = %s\n", master_b64(1), b64);
	text = keyring_text("1", masters, "");
	assert_int_equal(load(text, 0, &k, err, sizeof err), JD_E_INVALID);
	assert_non_null(strstr(err, "master.2"));
	assert_null(strstr(err, b64));
	assert_null(strstr(err, master_b64(1)));
	free(text);
}

static void test_missing_and_active(void **state)
{
	char masters[256], *text;

	(void)state;
	snprintf(masters, sizeof masters, "master.1 = %s\nmaster.2 = %s\n", master_b64(1),
		 master_b64(2));
	text = keyring_text("3", masters, "");
	expect_error(text, 0, "active version 3 has no master.3");
	free(text);
	text = keyring_text("0", masters, "");
	expect_error(text, 0, ":4: 'active'");
	free(text);
	text =
	    xasprintf("[keyring]\nformat = 1\nmaster.1 = %s\naudit_sign = %s\naudit_verify = %s\n",
		      master_b64(1), K.sk64, K.pk64);
	expect_error(text, 0, "no 'active' master version");
	free(text);
	text =
	    xasprintf("[keyring]\nactive = 1\nmaster.1 = %s\naudit_sign = %s\naudit_verify = %s\n",
		      master_b64(1), K.sk64, K.pk64);
	expect_error(text, 0, "no 'format'");
	free(text);
	text = xasprintf("[keyring]\nformat = 1\nactive = 1\naudit_sign = %s\naudit_verify = %s\n",
			 K.sk64, K.pk64);
	expect_error(text, 0, "no master key");
	free(text);
	text = xasprintf("[keyring]\nformat = 1\nactive = 1\nmaster.1 = %s\naudit_sign = %s\n",
			 master_b64(1), K.sk64);
	expect_error(text, 0, "no 'audit_verify'");
	free(text);
	text = xasprintf("[keyring]\nformat = 2\nactive = 1\nmaster.1 = %s\n", master_b64(1));
	expect_error(text, 0, ":2: unknown keyring format");
	free(text);
}

static void test_unknown_key_names_line(void **state)
{
	char masters[256], *text;

	(void)state;
	snprintf(masters, sizeof masters, "master.1 = %s\nmaster_2 = %s\n", master_b64(1),
		 master_b64(2));
	text = keyring_text("1", masters, "");
	expect_error(text, 0, ":6: unknown key 'master_2' in [keyring]");
	free(text);
	/* the first failure is the one reported, though inih goes on parsing */
	text = keyring_text("1", masters, "bogus = 1\n");
	expect_error(text, 0, ":6: unknown key 'master_2'");
	free(text);
	snprintf(masters, sizeof masters, "master.1 = %s\n", master_b64(1));
	text = keyring_text("1", masters, "[other]\nformat = 1\n");
	expect_error(text, 0, ":9: unknown key 'format' in [other]");
	free(text);
	text = xasprintf("format = 1\n[keyring]\n");
	expect_error(text, 0, ":1: key 'format' before [keyring]");
	free(text);
	text = keyring_text("1", masters, "this line has no equals sign\n");
	expect_error(text, 0, ":8: syntax error");
	free(text);
}

static void test_versions(void **state)
{
	char masters[256], *text, *big;
	struct jd_keyring *k = NULL;
	char err[512];
	unsigned v[JD_KEYRING_MAX_VERSIONS];
	size_t pos = 0;

	(void)state;
	snprintf(masters, sizeof masters, "master.1 = %s\nmaster.1 = %s\n", master_b64(1),
		 master_b64(2));
	text = keyring_text("1", masters, "");
	expect_error(text, 0, ":6: duplicate 'master.1'");
	free(text);
	const char *bad[] = {"master.0",  "master.01", "master.2147483649",
			     "master.-1", "master.",   "master.1x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(masters, sizeof masters, "master.1 = %s\n%s = %s\n", master_b64(1), bad[i],
			 master_b64(2));
		text = keyring_text("1", masters, "");
		expect_error(text, 0, ":6: 'master.");
		free(text);
	}
	/* the largest version; 64 versions at most */
	snprintf(masters, sizeof masters, "master.2147483648 = %s\n", master_b64(1));
	text = keyring_text("2147483648", masters, "");
	assert_int_equal(load(text, 0, &k, err, sizeof err), JD_OK);
	assert_int_equal(jd_keyring_active(k), 2147483648u);
	jd_keyring_free(k);
	free(text);
	big = malloc(80 * (JD_KEYRING_MAX_VERSIONS + 1));
	assert_non_null(big);
	for (unsigned i = 1; i <= JD_KEYRING_MAX_VERSIONS; i++)
		pos += (size_t)sprintf(big + pos, "master.%u = %s\n", i * 1000, master_b64(i));
	text = keyring_text("64000", big, "");
	assert_int_equal(load(text, 0, &k, err, sizeof err), JD_OK);
	assert_int_equal(jd_keyring_versions(k, v, JD_KEYRING_MAX_VERSIONS),
			 JD_KEYRING_MAX_VERSIONS);
	assert_int_equal(v[63], 64000);
	jd_keyring_free(k);
	free(text);
	sprintf(big + pos, "master.1 = %s\n", master_b64(1));
	text = keyring_text("64000", big, "");
	expect_error(text, 0, ":69: more than 64 master versions");
	free(text);
	free(big);
}

static void test_min_version(void **state)
{
	char masters[256], *text;
	struct jd_keyring *k = NULL;
	char err[512];

	(void)state;
	snprintf(masters, sizeof masters, "master.2 = %s\nmaster.3 = %s\n", master_b64(2),
		 master_b64(3));
	text = keyring_text("3", masters, "");
	assert_int_equal(load(text, 2, &k, err, sizeof err), JD_OK);
	jd_keyring_free(k);
	expect_error(text, 3, "master.2 is below the minimum version 3");
	free(text);
}

static void test_signing_pair(void **state)
{
	char masters[256], *text;

	(void)state;
	snprintf(masters, sizeof masters, "master.1 = %s\n", master_b64(1));
	text = keyring_with("1", masters, K.sk64, K.other_pk64, "");
	expect_error(text, 0, "audit_verify is not the public half of audit_sign");
	free(text);
	/* a secret key whose stored public half was swapped along with audit_verify */
	text = keyring_with("1", masters, K.spliced_sk64, K.other_pk64, "");
	expect_error(text, 0, "audit_verify is not the public half of audit_sign");
	free(text);
	text = keyring_text("1", masters, "audit_verify = x\n");
	expect_error(text, 0, ":8: duplicate 'audit_verify'");
	free(text);
}

static void test_odd_files(void **state)
{
	char masters[512], *text;
	char line[400];

	(void)state;
	/* a line longer than inih's buffer is refused, not split into two */
	memset(line, 'A', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	snprintf(masters, sizeof masters, "master.1 = %s\nmaster.2 = %s\n", master_b64(1), line);
	text = keyring_text("1", masters, "");
	expect_error(text, 0, ":6: line longer than");
	free(text);
	/* ... and does not displace an earlier failure */
	snprintf(masters, sizeof masters, "bogus = 1\nmaster.1 = %s\n", line);
	text = keyring_text("1", masters, "");
	expect_error(text, 0, ":5: unknown key 'bogus'");
	free(text);
	expect_error("[keyring]\nformat = 1\n", 0, "no master key");
	/* a NUL byte would hide the rest of its line from inih */
	{
		const char *path = write_temp_bytes("keyring", "[keyring]\nformat = 1\0x\n", 23);
		struct jd_keyring *k = NULL;
		char err[512] = "";

		assert_non_null(path);
		assert_int_equal(chmod(path, 0600), 0);
		assert_int_equal(jd_keyring_load(path, 0, &k, err, sizeof err), JD_E_INVALID);
		assert_non_null(strstr(err, "NUL byte"));
		remove_temp_file(path);
	}
	/* CRLF line ends, as an editor elsewhere might leave them */
	snprintf(masters, sizeof masters, "master.1 = %s\r\n", master_b64(1));
	text = keyring_text("1\r", masters, "");
	{
		struct jd_keyring *k = NULL;
		char err[512] = "";

		assert_int_equal(load(text, 0, &k, err, sizeof err), JD_OK);
		jd_keyring_free(k);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_keyring),
	    cmocka_unit_test(test_keys_read_only),
	    cmocka_unit_test(test_file_mode),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_error_hides_value),
	    cmocka_unit_test(test_missing_and_active),
	    cmocka_unit_test(test_unknown_key_names_line),
	    cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_min_version),
	    cmocka_unit_test(test_signing_pair),
	    cmocka_unit_test(test_odd_files),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
