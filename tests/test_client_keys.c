/*
 * test_client_keys.c: libmanne's keys at rest: files created 0600 (checked
 * with stat), never overwritten, read back to the same key; sealed files
 * round-trip under their passphrase, refuse a wrong one with its own code,
 * and ask for one when none is given; a file others may read, a truncated
 * or altered one, and a bad header are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manne.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	assert_int_equal(manne_init(), MANNE_OK);
	strcpy(dir, "/tmp/manne-keys-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void assert_mode_0600(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static size_t slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

static void spill(const char *path, const char *buf, size_t len)
{
	FILE *f;
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

static void test_plain_round_trip(void **state)
{
	struct manne_key key, back;
	char path[128], text[128];
	(void)state;

	path_of(path, sizeof(path), "plain.key");
	manne_key_generate(&key);
	umask(0);  /* even with a permissive umask, the file is 0600 */
	assert_int_equal(manne_key_file_write(path, &key, NULL), MANNE_OK);
	umask(022);
	assert_mode_0600(path);
	assert_int_equal(slurp(path, text, sizeof(text)), 65);
	assert_int_equal(text[64], '\n');
	assert_int_equal(manne_key_file_is_sealed(path), 0);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_OK);
	assert_memory_equal(&key, &back, sizeof(key));
	/* A passphrase given for a plain file is not needed and does no harm. */
	assert_int_equal(manne_key_file_read(path, "unused", &back), MANNE_OK);
	/* Never overwritten. */
	assert_int_equal(manne_key_file_write(path, &key, NULL), MANNE_ERR_IO);
	manne_key_wipe(&key);
	manne_key_wipe(&back);
	for (size_t i = 0; i < sizeof(key); i++)
		assert_int_equal(((uint8_t *)&key)[i], 0);
}

static void test_sealed_round_trip(void **state)
{
	struct manne_key key, back;
	char path[128], text[512];
	(void)state;

	path_of(path, sizeof(path), "sealed.key");
	manne_key_generate(&key);
	assert_int_equal(manne_key_file_write(path, &key, "correct horse battery staple"), MANNE_OK);
	assert_mode_0600(path);
	slurp(path, text, sizeof(text));
	assert_true(strncmp(text, "manne-sealed-key-v1\nargon2id opslimit=", 38) == 0);
	/* The seed is not in the file in the clear. */
	{
		char seed_hex[65];
		for (int i = 0; i < 32; i++)
			sprintf(seed_hex + 2 * i, "%02x", key.secret_key[i]);
		assert_null(strstr(text, seed_hex));
	}
	assert_int_equal(manne_key_file_is_sealed(path), 1);
	assert_int_equal(manne_key_file_read(path, "correct horse battery staple", &back), MANNE_OK);
	assert_memory_equal(&key, &back, sizeof(key));
	/* An empty passphrase seals nothing. */
	path_of(path, sizeof(path), "empty.key");
	assert_int_equal(manne_key_file_write(path, &key, ""), MANNE_ERR_ARGUMENT);
	assert_int_equal(access(path, F_OK), -1);
	manne_key_wipe(&key);
	manne_key_wipe(&back);
}

static void test_wrong_passphrase(void **state)
{
	struct manne_key key, back;
	char path[128];
	(void)state;

	path_of(path, sizeof(path), "wrong.key");
	manne_key_generate(&key);
	assert_int_equal(manne_key_file_write(path, &key, "right"), MANNE_OK);
	assert_int_equal(manne_key_file_read(path, "wrong", &back), MANNE_ERR_PASSPHRASE);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_ERR_PASSPHRASE_NEEDED);
	assert_string_equal(manne_status_name(MANNE_ERR_PASSPHRASE), "passphrase");
	assert_non_null(strstr(manne_status_message(MANNE_ERR_PASSPHRASE), "wrong passphrase"));
	manne_key_wipe(&key);
}

static void test_mode_refused(void **state)
{
	struct manne_key key, back;
	char path[128];
	(void)state;

	path_of(path, sizeof(path), "open.key");
	manne_key_generate(&key);
	assert_int_equal(manne_key_file_write(path, &key, NULL), MANNE_OK);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_ERR_KEY_FILE_MODE);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_ERR_KEY_FILE_MODE);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_OK);
	path_of(path, sizeof(path), "missing.key");
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_ERR_IO);
	manne_key_wipe(&key);
	manne_key_wipe(&back);
}

static void test_corrupted_refused(void **state)
{
	struct manne_key key, back;
	char path[128], text[512], bad[512];
	size_t len;
	(void)state;

	/* Plain: a non-hex character, a missing newline, a short file, a long one. */
	path_of(path, sizeof(path), "plain-bad.key");
	manne_key_generate(&key);
	assert_int_equal(manne_key_file_write(path, &key, NULL), MANNE_OK);
	len = slurp(path, text, sizeof(text));
	memcpy(bad, text, len);
	bad[10] = 'g';
	spill(path, bad, len);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_ERR_KEY_FILE);
	memcpy(bad, text, len);
	bad[64] = 'x';
	spill(path, bad, len);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_ERR_KEY_FILE);
	spill(path, text, len - 2);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_ERR_KEY_FILE);
	memcpy(bad, text, len);
	memcpy(bad + len, text, len);
	spill(path, bad, 2 * len);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_ERR_KEY_FILE);
	spill(path, "", 0);
	assert_int_equal(manne_key_file_read(path, NULL, &back), MANNE_ERR_KEY_FILE);

	/* Sealed: every byte of the box changed in turn cannot be opened; a broken header is not a key file. */
	path_of(path, sizeof(path), "sealed-bad.key");
	assert_int_equal(manne_key_file_write(path, &key, "pass"), MANNE_OK);
	len = slurp(path, text, sizeof(text));
	{
		char *box = strstr(text, "box=") + 4;
		size_t at = (size_t)(box - text) + 20;
		memcpy(bad, text, len);
		bad[at] = bad[at] == '0' ? '1' : '0';
		spill(path, bad, len);
		assert_int_equal(manne_key_file_read(path, "pass", &back), MANNE_ERR_PASSPHRASE);
	}
	memcpy(bad, text, len);
	memcpy(strstr(bad, "argon2id"), "argon2ix", 8);
	spill(path, bad, len);
	assert_int_equal(manne_key_file_read(path, "pass", &back), MANNE_ERR_KEY_FILE);
	/* A file may not ask for more memory than the bound (denial of service by key file). */
	{
		char *mem = strstr(text, "memlimit=");
		size_t head = (size_t)(mem - text) + 9;
		const char *rest = strchr(mem, '\n');
		int n = snprintf(bad, sizeof(bad), "%.*s99999999999999%s", (int)head, text, rest);
		spill(path, bad, (size_t)n);
		assert_int_equal(manne_key_file_read(path, "pass", &back), MANNE_ERR_KEY_FILE);
	}
	spill(path, text, len - 5);
	assert_int_equal(manne_key_file_read(path, "pass", &back), MANNE_ERR_KEY_FILE);
	/* Restored, it opens again. */
	spill(path, text, len);
	assert_int_equal(manne_key_file_read(path, "pass", &back), MANNE_OK);
	assert_memory_equal(&key, &back, sizeof(key));
	manne_key_wipe(&key);
	manne_key_wipe(&back);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(manne_status_name(MANNE_OK), "ok");
	assert_string_equal(manne_status_name(MANNE_ERR_INSUFFICIENT_FUNDS), "insufficient_funds");
	assert_string_equal(manne_status_name(MANNE_ERR_VERIFY), "verify");
	assert_string_equal(manne_status_name((enum manne_status)99), "unknown");
	assert_string_equal(manne_status_name(MANNE_ERR_PAYMENT_MISMATCH), "payment_mismatch");
	assert_string_equal(manne_status_name(MANNE_ERR_REFERENCE_USED), "reference_used");
	assert_string_equal(manne_status_name(MANNE_ERR_TLS), "tls");
	assert_string_equal(manne_status_name(MANNE_ERR_CARD_OPEN), "card_open");
	assert_string_equal(manne_status_name(MANNE_ERR_WRONG_PIN), "wrong_pin");
	assert_string_equal(manne_status_name((enum manne_status)118), "unknown");
	assert_string_equal(manne_status_name((enum manne_status)31), "unknown");
	assert_non_null(manne_status_message((enum manne_status)-1));
	assert_string_equal(manne_kind_name(MANNE_KIND_PAY), "pay");
	assert_null(manne_kind_name((enum manne_kind)3));
	enum manne_kind k;
	assert_int_equal(manne_kind_parse("settle_redemption", &k), MANNE_OK);
	assert_int_equal(k, MANNE_KIND_SETTLE_REDEMPTION);
	assert_int_equal(manne_kind_parse("steal", &k), MANNE_ERR_ARGUMENT);
}

/* One spelling per key: a byte with the high bit set where base64 has '/'
 * (libsodium's decoder alone would read 0xaf as '/') is refused. Found by
 * the verifier_key fuzz target. */
static void test_verifier_key_one_spelling(void **state)
{
	(void)state;
	uint8_t key[32];
	char origin[MANNE_ORIGIN_BYTES_MAX + 1];
	assert_int_equal(manne_verifier_key_parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
						  origin, key),
			 MANNE_OK);
	assert_int_not_equal(manne_verifier_key_parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq\xafLDE4izWy10TW",
						      origin, key),
			     MANNE_OK);
}

/* SPEC §11: payment requests round-trip, and anything else is refused. */
static void test_payment_requests(void **state)
{
	(void)state;
	struct manne_payment_request r = {.amount = 1250, .has_counter = true}, back;
	char uri[MANNE_REQUEST_URI_BYTES], bad[MANNE_REQUEST_URI_BYTES + 64];
	const char *payee = "4dea2c1c57790c7cabd4fcd6d273272aa623b5fbdf581875fa2fe02285c3bada";
	memset(r.payee, 0xab, 32);
	memset(r.counter, 0xcd, 32);
	strcpy(r.reference, "CMD-7K2Q 9/é");
	strcpy(r.origin, "manne.demo/v1");
	assert_int_equal(manne_request_format(&r, uri, sizeof(uri)), MANNE_OK);
	assert_non_null(strstr(uri, "&origin=manne.demo%2Fv1"));
	assert_int_equal(manne_request_parse(uri, &back), MANNE_OK);
	assert_memory_equal(&back, &r, sizeof(r));
	static const char *const refused[] = {
		"http:%s?amount=1&reference=A&origin=o",
		"manne:%s?amount=0&reference=A&origin=o",
		"manne:%s?amount=100000000001&reference=A&origin=o",
		"manne:%s?amount=01&reference=A&origin=o",
		"manne:%s?amount=1&reference=A&origin=o&amount=2",
		"manne:%s?amount=1&reference=A&origin=o&tip=5",
		"manne:%s?amount=1&reference=12345678901234567&origin=o",
		"manne:%s?amount=1&reference=&origin=o",
		"manne:%s?amount=1&reference=A&origin=a%%2Bb",
		"manne:%s?amount=1&reference=A",
		"manne:%s?amount=1&reference=A%%0A&origin=o",
		"manne:%s?amount=1&reference=A%%00&origin=o",
		"manne:%s?amount=1&reference=A%%4&origin=o",
		"manne:%s?amount=1&reference=A&origin=o&counter=12",
		"manne:%.63s?amount=1&reference=A&origin=o",
		"manne:%s",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(bad, sizeof(bad), refused[i], payee);
		if (manne_request_parse(bad, &back) != MANNE_ERR_ARGUMENT)
			fail_msg("accepted: %s", bad);
	}
	snprintf(bad, sizeof(bad), "manne:%s?amount=1&reference=A&origin=o", payee);
	assert_int_equal(manne_request_parse(bad, &back), MANNE_OK);
	assert_false(back.has_counter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_round_trip),
		cmocka_unit_test(test_sealed_round_trip),
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_mode_refused),
		cmocka_unit_test(test_corrupted_refused),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_payment_requests),
		cmocka_unit_test(test_verifier_key_one_spelling),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
