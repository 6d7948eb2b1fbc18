/*
 * test_cards.c: the sealed card of SPEC §10 on its own (ledger/keys/card.h,
 * docs/cards.md): the published vectors in tests/vectors/cards/ open as
 * they say and are rebuilt byte for byte; every malformed card is refused
 * with its code and never crashes the parser; PIN rules; and a card alone
 * opens under none of the 10,000 four-digit PINs.
 *
 * `test_cards --write-vectors FILE` writes the vectors (once: they are
 * published, and the test then holds the code to them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ledger/keys/base45.h"
#include "ledger/keys/card.h"

static void hex_to(const char *hex, uint8_t *out, size_t len)
{
	size_t got = 0;
	assert_non_null(hex);
	assert_int_equal(strlen(hex), 2 * len);
	assert_int_equal(sodium_hex2bin(out, len, hex, 2 * len, NULL, &got, NULL), 0);
	assert_int_equal(got, len);
}

static json_t *hex_json(const uint8_t *b, size_t len)
{
	char hex[2 * 256 + 1];
	return json_string(sodium_bin2hex(hex, sizeof(hex), b, len));
}

/* Deterministic inputs of a vector: SHA-256 of a label. */
static void derive(const char *label, uint8_t *out, size_t len)
{
	uint8_t h[32];
	crypto_hash_sha256(h, (const uint8_t *)label, strlen(label));
	memcpy(out, h, len);
}

static json_t *make_case(const char *name, const char *pin, const char *wrong_pin, unsigned ops, unsigned mem_log2)
{
	char label[128];
	uint8_t seed[32], salt[CARD_SALT_BYTES], secret[32], ledger_seed[32], ledger_pk_ed[32], ledger_sk_ed[64];
	uint8_t ledger_pk[32], ledger_sk[32], pin_check[CARD_PIN_CHECK_BYTES], h[32], proof[32], wrong_proof[32];
	char text[CARD_TEXT_BYTES + 1];
	struct card card;

	snprintf(label, sizeof(label), "manne card vector %s seed", name);
	derive(label, seed, 32);
	snprintf(label, sizeof(label), "manne card vector %s salt", name);
	derive(label, salt, sizeof(salt));
	snprintf(label, sizeof(label), "manne card vector %s secret", name);
	derive(label, secret, 32);
	snprintf(label, sizeof(label), "manne card vector %s ledger", name);
	derive(label, ledger_seed, 32);
	crypto_sign_seed_keypair(ledger_pk_ed, ledger_sk_ed, ledger_seed);
	assert_int_equal(card_ledger_keypair(ledger_sk_ed, ledger_pk, ledger_sk), 0);
	assert_int_equal(card_seal_with(seed, pin, ops, mem_log2, ledger_pk, salt, secret, &card, pin_check), MANNE_OK);
	card_format(&card, text);
	assert_int_equal(card_pin_hash(&card, pin, h), MANNE_OK);
	card_pin_proof(h, card.account, proof);
	uint8_t wrong_h[32];
	assert_int_equal(card_pin_hash(&card, wrong_pin, wrong_h), MANNE_OK);
	card_pin_proof(wrong_h, card.account, wrong_proof);

	json_t *c = json_object();
	json_object_set_new(c, "name", json_string(name));
	json_object_set_new(c, "card", json_string(text));
	json_object_set_new(c, "pin", json_string(pin));
	json_object_set_new(c, "argon2id_passes", json_integer(ops));
	json_object_set_new(c, "argon2id_memory_kib", json_integer(1LL << mem_log2));
	json_object_set_new(c, "salt", hex_json(salt, sizeof(salt)));
	json_object_set_new(c, "seed", hex_json(seed, 32));
	json_object_set_new(c, "account", hex_json(card.account, 32));
	json_object_set_new(c, "ledger_card_key_seed", hex_json(ledger_seed, 32));
	json_object_set_new(c, "ledger_card_public", hex_json(ledger_pk, 32));
	json_object_set_new(c, "card_secret", hex_json(secret, 32));
	json_object_set_new(c, "pin_hash", hex_json(h, 32));
	json_object_set_new(c, "pin_proof", hex_json(proof, 32));
	json_object_set_new(c, "pin_check", hex_json(pin_check, sizeof(pin_check)));
	uint8_t tag[32];
	card_possession_tag(&card, tag);
	json_object_set_new(c, "possession_tag", hex_json(tag, 32));
	json_object_set_new(c, "wrong_pin", json_string(wrong_pin));
	json_object_set_new(c, "wrong_pin_proof", hex_json(wrong_proof, 32));
	return c;
}

/* A valid card's payload with one byte set, re-encoded: cards a till must refuse. */
static void bad_payload(const char *good, size_t at, uint8_t value, char out[CARD_TEXT_BYTES + 1])
{
	uint8_t payload[CARD_PAYLOAD_BYTES];
	assert_int_equal(base45_decode(good + 9, CARD_TEXT_BYTES - 9, payload, sizeof(payload)), CARD_PAYLOAD_BYTES);
	payload[at] = value;
	memcpy(out, good, 9);
	base45_encode(payload, sizeof(payload), out + 9);
	out[CARD_TEXT_BYTES] = '\0';
}

static json_t *invalid_case(const char *card, const char *error, const char *why)
{
	json_t *c = json_object();
	json_object_set_new(c, "card", json_string(card));
	json_object_set_new(c, "error", json_string(error));
	json_object_set_new(c, "why", json_string(why));
	return c;
}

static int write_vectors(const char *path)
{
	json_t *root = json_object(), *cases = json_array(), *invalid = json_array();
	json_t *first = make_case("interactive", "2580", "2581", CARD_OPS_DEFAULT, CARD_MEM_LOG2_KIB_DEFAULT);
	const char *good = json_string_value(json_object_get(first, "card"));
	char bad[CARD_TEXT_BYTES + 2];

	json_array_append_new(cases, first);
	json_array_append_new(cases, make_case("six-digits-small", "402719", "402791", 1, CARD_MEM_LOG2_KIB_MIN));
	json_array_append_new(invalid, invalid_case("", "card_format", "empty"));
	snprintf(bad, sizeof(bad), "%.*s", 150, good);
	json_array_append_new(invalid, invalid_case(bad, "card_format", "truncated"));
	snprintf(bad, sizeof(bad), "%s0", good);
	json_array_append_new(invalid, invalid_case(bad, "card_format", "one character too many"));
	snprintf(bad, sizeof(bad), "%s", good);
	bad[20] = 'a';
	json_array_append_new(invalid, invalid_case(bad, "card_format", "a lower-case letter: not a QR alphanumeric character"));
	snprintf(bad, sizeof(bad), "%s", good);
	bad[7] = '2';
	json_array_append_new(invalid, invalid_case(bad, "card_version", "version 2"));
	json_array_append_new(invalid, invalid_case("MANNE:X1:", "card_format", "not a card"));
	bad_payload(good, 0, CARD_OPS_MAX + 1, bad);
	json_array_append_new(invalid, invalid_case(bad, "card_limits", "11 Argon2id passes: above the cap of 10"));
	bad_payload(good, 1, CARD_MEM_LOG2_KIB_MAX + 1, bad);
	json_array_append_new(invalid, invalid_case(bad, "card_limits", "512 MiB: above the cap of 256 MiB"));
	bad_payload(good, 0, 0, bad);
	json_array_append_new(invalid, invalid_case(bad, "card_limits", "0 passes: below libsodium's minimum"));
	snprintf(bad, sizeof(bad), "%s", good);
	memcpy(bad + 9, ":::", 3); /* 3 x 44 * 45^k: over 65535 */
	json_array_append_new(invalid, invalid_case(bad, "card_format", "a Base45 group over 65535"));

	json_object_set_new(root, "about", json_string("La Manne sealed cards (docs/cards.md): each case opens with its "
							"PIN and card secret to its seed;  the ledger opens pin_check "
							"(account, possession tag, PIN proof, card secret) with the X25519 "
							"key of ledger_card_key_seed (an Ed25519 seed); invalid "
							"cards are refused with the error named"));
	json_object_set_new(root, "cases", cases);
	json_object_set_new(root, "invalid", invalid);
	int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	return rc == 0 ? 0 : 1;
}

static json_t *load_vectors(void)
{
	char path[1024];
	json_error_t err;
	const char *dir = getenv("MANNE_VECTORS");
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/cards/cards.json", dir);
	json_t *root = json_load_file(path, 0, &err);
	if (root == NULL)
		fail_msg("cannot read %s: %s", path, err.text);
	return root;
}

static void check_case(json_t *c)
{
	const char *text = json_string_value(json_object_get(c, "card"));
	const char *pin = json_string_value(json_object_get(c, "pin"));
	const char *wrong = json_string_value(json_object_get(c, "wrong_pin"));
	uint8_t seed[32], account[32], secret[32], ledger_seed[32], ledger_pk[32], h[32], proof[32], wrong_proof[32];
	uint8_t pin_check[CARD_PIN_CHECK_BYTES], salt[CARD_SALT_BYTES], got[32], got_h[32], pk_ed[32], sk_ed[64];
	uint8_t lpk[32], lsk[32], again_check[CARD_PIN_CHECK_BYTES];
	char again[CARD_TEXT_BYTES + 1];
	struct card card, resealed;

	hex_to(json_string_value(json_object_get(c, "seed")), seed, 32);
	hex_to(json_string_value(json_object_get(c, "account")), account, 32);
	hex_to(json_string_value(json_object_get(c, "card_secret")), secret, 32);
	hex_to(json_string_value(json_object_get(c, "ledger_card_key_seed")), ledger_seed, 32);
	hex_to(json_string_value(json_object_get(c, "ledger_card_public")), ledger_pk, 32);
	hex_to(json_string_value(json_object_get(c, "pin_hash")), h, 32);
	hex_to(json_string_value(json_object_get(c, "pin_proof")), proof, 32);
	hex_to(json_string_value(json_object_get(c, "wrong_pin_proof")), wrong_proof, 32);
	hex_to(json_string_value(json_object_get(c, "pin_check")), pin_check, sizeof(pin_check));
	hex_to(json_string_value(json_object_get(c, "salt")), salt, sizeof(salt));

	/* The till's side: parse, derive, open. */
	assert_int_equal(card_parse(text, strlen(text), &card), MANNE_OK);
	assert_memory_equal(card.account, account, 32);
	assert_memory_equal(card.ledger_key, ledger_pk, 32);
	assert_memory_equal(card.salt, salt, sizeof(salt));
	assert_int_equal(card.ops, json_integer_value(json_object_get(c, "argon2id_passes")));
	assert_int_equal(1LL << card.mem_log2_kib, json_integer_value(json_object_get(c, "argon2id_memory_kib")));
	assert_int_equal(card_pin_hash(&card, pin, got_h), MANNE_OK);
	assert_memory_equal(got_h, h, 32);
	card_pin_proof(got_h, card.account, got);
	assert_memory_equal(got, proof, 32);
	assert_int_equal(card_open(&card, got_h, secret, got), MANNE_OK);
	assert_memory_equal(got, seed, 32);
	/* The wrong PIN gives another proof, and does not open the card even with the secret. */
	assert_int_equal(card_pin_hash(&card, wrong, got_h), MANNE_OK);
	card_pin_proof(got_h, card.account, got);
	assert_memory_equal(got, wrong_proof, 32);
	assert_memory_not_equal(got, proof, 32);
	assert_int_equal(card_open(&card, got_h, secret, got), MANNE_ERR_CARD_OPEN);

	/* The ledger's side: its card key opens the PIN check. */
	crypto_sign_seed_keypair(pk_ed, sk_ed, ledger_seed);
	assert_int_equal(card_ledger_keypair(sk_ed, lpk, lsk), 0);
	assert_memory_equal(lpk, ledger_pk, 32);
	struct card_check check;
	uint8_t tag[32], got_tag[32];
	hex_to(json_string_value(json_object_get(c, "possession_tag")), tag, 32);
	card_possession_tag(&card, got_tag);
	assert_memory_equal(got_tag, tag, 32);
	assert_int_equal(card_pin_check_open(pin_check, lpk, lsk, &check), 0);
	assert_memory_equal(check.account, account, 32);
	assert_memory_equal(check.tag, tag, 32);
	assert_memory_equal(check.proof, proof, 32);
	assert_memory_equal(check.secret, secret, 32);

	/* The board's side: sealing the same inputs gives the same card. */
	assert_int_equal(card_seal_with(seed, pin, card.ops, card.mem_log2_kib, ledger_pk, salt, secret, &resealed,
					again_check),
			 MANNE_OK);
	card_format(&resealed, again);
	assert_string_equal(again, text);
}

static void test_vectors_open(void **state)
{
	(void)state;
	json_t *root = load_vectors(), *cases = json_object_get(root, "cases"), *c;
	size_t i;
	assert_true(json_array_size(cases) >= 2);
	json_array_foreach(cases, i, c)
		check_case(c);
	json_decref(root);
}

static void test_vectors_invalid(void **state)
{
	(void)state;
	json_t *root = load_vectors(), *invalid = json_object_get(root, "invalid"), *c;
	struct card card;
	size_t i;
	assert_true(json_array_size(invalid) >= 8);
	json_array_foreach(invalid, i, c) {
		const char *text = json_string_value(json_object_get(c, "card"));
		enum manne_status status = card_parse(text, strlen(text), &card);
		assert_string_equal(manne_status_name(status), json_string_value(json_object_get(c, "error")));
	}
	json_decref(root);
}

static void a_card(const char *pin, unsigned ops, unsigned mem_log2, struct card *card, uint8_t seed[32],
		   uint8_t secret[32], char text[CARD_TEXT_BYTES + 1])
{
	uint8_t ledger_pk[32], pin_check[CARD_PIN_CHECK_BYTES], salt[CARD_SALT_BYTES];
	randombytes_buf(seed, 32);
	randombytes_buf(secret, 32);
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(ledger_pk, 32);
	assert_int_equal(card_seal_with(seed, pin, ops, mem_log2, ledger_pk, salt, secret, card, pin_check), MANNE_OK);
	card_format(card, text);
}

/* Every prefix, every one-character change and one character more: a
 * clear refusal, never a crash (the fuzz target sees far more). */
static void test_parser_refusals(void **state)
{
	(void)state;
	static const char set[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
	uint8_t seed[32], secret[32];
	char text[CARD_TEXT_BYTES + 2], changed[CARD_TEXT_BYTES + 2];
	struct card card, parsed;

	a_card("7391", 1, CARD_MEM_LOG2_KIB_MIN, &card, seed, secret, text);
	assert_int_equal(strlen(text), CARD_TEXT_BYTES);
	for (size_t len = 0; len < CARD_TEXT_BYTES; len++) {
		enum manne_status s = card_parse(text, len, &parsed);
		assert_true(s == MANNE_ERR_CARD_FORMAT || (len >= 8 && s == MANNE_ERR_CARD_VERSION));
	}
	snprintf(changed, sizeof(changed), "%s0", text);
	assert_int_equal(card_parse(changed, strlen(changed), &parsed), MANNE_ERR_CARD_FORMAT);
	for (size_t at = 9; at < CARD_TEXT_BYTES; at++) {
		memcpy(changed, text, sizeof(text));
		changed[at] = (char)(text[at] | 0x20) == text[at] ? '#' : (char)(text[at] | 0x20);
		assert_int_equal(card_parse(changed, CARD_TEXT_BYTES, &parsed), MANNE_ERR_CARD_FORMAT);
	}
	/* Any other character of the set either parses to another card (which
	 * does not open) or is refused: never the same card. */
	for (size_t at = 9 + 6; at < CARD_TEXT_BYTES; at += 7) {
		memcpy(changed, text, sizeof(text));
		changed[at] = set[(strchr(set, text[at]) - set + 1) % 45];
		if (card_parse(changed, CARD_TEXT_BYTES, &parsed) == MANNE_OK)
			assert_memory_not_equal(&parsed, &card, sizeof(card));
	}
	assert_int_equal(card_parse("MANNE:C12345:", 13, &parsed), MANNE_ERR_CARD_FORMAT);
	assert_int_equal(card_parse("MANNE:C01:", 10, &parsed), MANNE_ERR_CARD_VERSION);
}

static void test_pin_rules(void **state)
{
	(void)state;
	static const char *const refused_always[] = {"", "123", "1234567", "12a4", " 1234", "12 34", "١٢٣٤"};
	static const char *const refused_new[] = {"0000", "1234", "4321", "987654", "012345", "111111", "5678"};
	static const char *const accepted[] = {"2580", "1357", "024680", "9713", "40271"};
	for (size_t i = 0; i < sizeof(refused_always) / sizeof(refused_always[0]); i++) {
		assert_int_equal(card_pin_check_format(refused_always[i], false), MANNE_ERR_PIN_FORMAT);
		assert_int_equal(card_pin_check_format(refused_always[i], true), MANNE_ERR_PIN_FORMAT);
	}
	for (size_t i = 0; i < sizeof(refused_new) / sizeof(refused_new[0]); i++) {
		assert_int_equal(card_pin_check_format(refused_new[i], false), MANNE_OK);
		assert_int_equal(card_pin_check_format(refused_new[i], true), MANNE_ERR_PIN_FORMAT);
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		assert_int_equal(card_pin_check_format(accepted[i], true), MANNE_OK);
	/* A new card refuses a trivial PIN, and limits outside the bounds. */
	struct card card;
	uint8_t seed[32] = {1}, key[32] = {9}, pin_check[CARD_PIN_CHECK_BYTES];
	assert_int_equal(card_seal(seed, "1234", 1, CARD_MEM_LOG2_KIB_MIN, key, &card, pin_check), MANNE_ERR_PIN_FORMAT);
	assert_int_equal(card_seal(seed, "2580", 0, CARD_MEM_LOG2_KIB_MIN, key, &card, pin_check), MANNE_ERR_CARD_LIMITS);
	assert_int_equal(card_seal(seed, "2580", 1, CARD_MEM_LOG2_KIB_MAX + 1, key, &card, pin_check),
			 MANNE_ERR_CARD_LIMITS);
}

/* SPEC §10: a card alone lets no one find the PIN. Someone holding the
 * card (a photo of it) tries all 10,000 four-digit PINs, each with every
 * 32-byte value the card itself holds as the missing secret: none opens. */
static void test_card_alone_10000_pins(void **state)
{
	(void)state;
	uint8_t seed[32], secret[32], h[32], out[32], payload[CARD_PAYLOAD_BYTES];
	char text[CARD_TEXT_BYTES + 1], pin[8];
	struct card card;
	unsigned tried = 0;

	a_card("8264", 1, CARD_MEM_LOG2_KIB_MIN, &card, seed, secret, text);
	assert_int_equal(base45_decode(text + 9, CARD_TEXT_BYTES - 9, payload, sizeof(payload)), CARD_PAYLOAD_BYTES);
	for (unsigned p = 0; p < 10000; p++) {
		snprintf(pin, sizeof(pin), "%04u", p);
		assert_int_equal(card_pin_hash(&card, pin, h), MANNE_OK);
		for (size_t at = 0; at + 32 <= sizeof(payload); at += 1)
			assert_int_equal(card_open(&card, h, payload + at, out), MANNE_ERR_CARD_OPEN);
		static const uint8_t zero[32];
		assert_int_equal(card_open(&card, h, zero, out), MANNE_ERR_CARD_OPEN);
		assert_int_equal(card_open(&card, h, h, out), MANNE_ERR_CARD_OPEN);
		tried++;
	}
	assert_int_equal(tried, 10000);
	/* The control: with the secret the ledger holds, the right PIN opens it. */
	assert_int_equal(card_pin_hash(&card, "8264", h), MANNE_OK);
	assert_int_equal(card_open(&card, h, secret, out), MANNE_OK);
	assert_memory_equal(out, seed, 32);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc == 3 && strcmp(argv[1], "--write-vectors") == 0)
		return write_vectors(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_open),
		cmocka_unit_test(test_vectors_invalid),
		cmocka_unit_test(test_parser_refusals),
		cmocka_unit_test(test_pin_rules),
		cmocka_unit_test(test_card_alone_10000_pins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
