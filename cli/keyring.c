/* jianductl: a new keyring from libsodium's random and signing key pairs. */
#include "keyring.h"

#include <sodium.h>

#define MASTER_BYTES 32
#define B64	     sodium_base64_VARIANT_ORIGINAL

struct secrets {
	unsigned char master[MASTER_BYTES];
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sign_sk[crypto_sign_SECRETKEYBYTES];
	char master_b64[sodium_base64_ENCODED_LEN(MASTER_BYTES, B64)];
	char pk_b64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, B64)];
	char sk_b64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES, B64)];
	char text[1024];
};

static int render(struct secrets *s)
{
	int n;

	randombytes_buf(s->master, sizeof s->master);
	if (crypto_sign_keypair(s->sign_pk, s->sign_sk) != 0)
		return -1;
	sodium_bin2base64(s->master_b64, sizeof s->master_b64, s->master, sizeof s->master, B64);
	sodium_bin2base64(s->pk_b64, sizeof s->pk_b64, s->sign_pk, sizeof s->sign_pk, B64);
	sodium_bin2base64(s->sk_b64, sizeof s->sk_b64, s->sign_sk, sizeof s->sign_sk, B64);
	n = snprintf(s->text, sizeof s->text,
		     "# jiandu keyring: master keys for sealed fields and the audit signing key. "
		     "Keep it secret; never copy it into Redis.\n"
		     "[keyring]\n"
		     "format = 1\n"
		     "active = 1\n"
		     "master.1 = %s\n"
		     "audit_sign = %s\n"
		     "audit_verify = %s\n",
		     s->master_b64, s->sk_b64, s->pk_b64);
	return n > 0 && (size_t)n < sizeof s->text ? n : -1;
}

int keyring_create(struct fs_tx *tx, const char *path, struct ctl_err *err)
{
	struct secrets *s = sodium_malloc(sizeof *s);
	int n, rc;

	if (!s)
		return ctl_fail(err, CTL_FAIL, "cannot allocate secure memory for the keyring");
	n = render(s);
	if (n < 0)
		rc = ctl_fail(err, CTL_FAIL, "cannot make the audit signing key pair");
	else
		rc = fs_create(tx, path, 0600, s->text, (size_t)n,
			       "keyring: master key and audit signing key", err);
	sodium_memzero(s, sizeof *s);
	sodium_free(s);
	return rc;
}
