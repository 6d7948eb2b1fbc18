/*
 * test_vectors.c: the published Ed25519 and signed-note vectors
 * (tests/vectors/, each with its source), then our checkpoint notes: round
 * trips, every single-bit flip, and the bounds a hostile note may test.
 *
 * A vector field this file does not know fails the test: a vector we do not
 * check must not look like one we do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "ledger/log/note.h"

/* fail_msg so that a failure names the vector, not only the line. */
#define CHECK(id, cond)                                                     \
	do {                                                                \
		if (!(cond))                                                \
			fail_msg("%s: check failed: %s", (id), #cond);      \
	} while (0)

#define MSG_BYTES_MAX 4096U
#define VKEY_BUF_BYTES 256U
#define OTHER_VKEYS_MAX 8U
#define TEXT_BUF_BYTES (2U * NOTE_BYTES_MAX)
#define ORIGIN_MAX_TEST NOTE_KEY_NAME_BYTES_MAX	/* SPEC §3: an origin is 1..128 bytes */

static const char *const em_dash = "\xe2\x80\x94";

/* ------------------------------------------------------------------ */
/* JSON and hex helpers                                                 */

static json_t *load_vectors(const char *file)
{
	const char *dir = getenv("MANNE_VECTORS");
	char path[4096];
	json_error_t err;
	json_t *root;
	int n;

	if (dir == NULL)
		fail_msg("MANNE_VECTORS is not set (tests/meson.build sets it)");
	n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	/* Duplicate keys would let one reader see a different vector than another. */
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		fail_msg("%s:%d: %s", path, err.line, err.text);
	assert_true(json_is_object(root));
	return root;
}

static void check_fields(const char *id, json_t *obj, const char *const *known)
{
	const char *key;
	json_t *val;

	json_object_foreach(obj, key, val) {
		bool ok = false;

		for (size_t i = 0; known[i] != NULL; i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok)
			fail_msg("%s: field \"%s\" is not checked by this test", id, key);
	}
}

static const char *jstr_opt(json_t *obj, const char *key, size_t *len)
{
	json_t *s = json_object_get(obj, key);

	if (s == NULL)
		return NULL;
	if (!json_is_string(s))
		fail_msg("field \"%s\" is not a string", key);
	if (len != NULL)
		*len = json_string_length(s);
	return json_string_value(s);
}

static const char *jstr(json_t *obj, const char *key, size_t *len)
{
	const char *s = jstr_opt(obj, key, len);

	if (s == NULL)
		fail_msg("missing field \"%s\"", key);
	return s;
}

static bool jbool(json_t *obj, const char *key)
{
	json_t *b = json_object_get(obj, key);

	if (!json_is_boolean(b))
		fail_msg("field \"%s\" is missing or not a boolean", key);
	return json_is_true(b);
}

/* Strict: even length, hex digits only, and it must fill exactly want bytes. */
static void hex_exact(const char *id, const char *hex, uint8_t *out, size_t want)
{
	size_t len = 0;

	CHECK(id, strlen(hex) == 2 * want);
	CHECK(id, sodium_hex2bin(out, want, hex, strlen(hex), NULL, &len, NULL) == 0);
	CHECK(id, len == want);
}

static size_t hex_any(const char *id, const char *hex, uint8_t *out, size_t max)
{
	size_t len = 0;

	CHECK(id, strlen(hex) % 2 == 0 && strlen(hex) / 2 <= max);
	CHECK(id, sodium_hex2bin(out, max, hex, strlen(hex), NULL, &len, NULL) == 0);
	CHECK(id, len == strlen(hex) / 2);
	return len;
}

static void seed_from(const char *label, uint8_t pk[crypto_sign_PUBLICKEYBYTES],
		      uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	crypto_hash_sha256(seed, (const uint8_t *)label, strlen(label));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

/* ------------------------------------------------------------------ */
/* Ed25519                                                              */

static void check_ed25519_flips(const char *id, const uint8_t pk[32], const uint8_t *msg,
				size_t msg_len, const uint8_t sig[64])
{
	uint8_t p[32], s[64], m[MSG_BYTES_MAX];

	memcpy(p, pk, sizeof(p));
	memcpy(s, sig, sizeof(s));
	memcpy(m, msg, msg_len);
	for (size_t i = 0; i < sizeof(s) * 8; i++) {
		s[i / 8] ^= (uint8_t)(1U << (i % 8));
		CHECK(id, crypto_sign_verify_detached(s, m, msg_len, p) != 0);
		s[i / 8] ^= (uint8_t)(1U << (i % 8));
	}
	for (size_t i = 0; i < sizeof(p) * 8; i++) {
		p[i / 8] ^= (uint8_t)(1U << (i % 8));
		CHECK(id, crypto_sign_verify_detached(s, m, msg_len, p) != 0);
		p[i / 8] ^= (uint8_t)(1U << (i % 8));
	}
	/*
	 * Every bit of the message's first and last 32 bytes, and one bit of
	 * each byte between: the full sweep of the 1023-byte vector takes most
	 * of a valgrind run's time and reaches no code the others do not.
	 */
	for (size_t i = 0; i < msg_len * 8; i++) {
		size_t byte = i / 8;

		if (byte >= 32 && byte + 32 < msg_len && i % 8 != byte % 8)
			continue;
		m[byte] ^= (uint8_t)(1U << (i % 8));
		CHECK(id, crypto_sign_verify_detached(s, m, msg_len, p) != 0);
		m[byte] ^= (uint8_t)(1U << (i % 8));
	}
	/* One byte more or less is another message too. */
	if (msg_len > 0)
		CHECK(id, crypto_sign_verify_detached(s, m, msg_len - 1, p) != 0);
	if (msg_len < sizeof(m)) {
		m[msg_len] = 0;
		CHECK(id, crypto_sign_verify_detached(s, m, msg_len + 1, p) != 0);
	}
	CHECK(id, crypto_sign_verify_detached(s, m, msg_len, p) == 0);
}

static void test_ed25519_vectors(void **state)
{
	static const char *const fields[] = {
		"id", "source", "secret_key_seed_hex", "public_key_hex", "message_length",
		"message_hex", "signature_hex", "valid", "note", NULL
	};
	json_t *root = load_vectors("ed25519.json");
	json_t *vecs = json_object_get(root, "vectors");
	size_t i, n_valid = 0, n_invalid = 0, n_seeded = 0;
	json_t *v;

	(void)state;
	assert_true(json_is_array(vecs));
	json_array_foreach(vecs, i, v) {
		const char *id = jstr(v, "id", NULL);
		const char *seed_hex = jstr_opt(v, "secret_key_seed_hex", NULL);
		json_t *mlen = json_object_get(v, "message_length");
		uint8_t pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
		static uint8_t msg[MSG_BYTES_MAX];
		bool valid = jbool(v, "valid");
		size_t msg_len;

		check_fields(id, v, fields);
		hex_exact(id, jstr(v, "public_key_hex", NULL), pk, sizeof(pk));
		hex_exact(id, jstr(v, "signature_hex", NULL), sig, sizeof(sig));
		msg_len = hex_any(id, jstr(v, "message_hex", NULL), msg, sizeof(msg));
		if (mlen != NULL)
			CHECK(id, json_is_integer(mlen) &&
				  json_integer_value(mlen) == (json_int_t)msg_len);

		if (seed_hex != NULL) {
			uint8_t seed[crypto_sign_SEEDBYTES], pk2[crypto_sign_PUBLICKEYBYTES];
			uint8_t sk[crypto_sign_SECRETKEYBYTES], sig2[crypto_sign_BYTES];

			/* A seed says "this signature is ours": only valid vectors carry one. */
			CHECK(id, valid);
			hex_exact(id, seed_hex, seed, sizeof(seed));
			CHECK(id, crypto_sign_seed_keypair(pk2, sk, seed) == 0);
			CHECK(id, memcmp(pk2, pk, sizeof(pk)) == 0);
			CHECK(id, crypto_sign_detached(sig2, NULL, msg, msg_len, sk) == 0);
			CHECK(id, memcmp(sig2, sig, sizeof(sig)) == 0);
			sodium_memzero(sk, sizeof(sk));
			n_seeded++;
		}
		CHECK(id, (crypto_sign_verify_detached(sig, msg, msg_len, pk) == 0) == valid);
		if (valid) {
			check_ed25519_flips(id, pk, msg, msg_len, sig);
			n_valid++;
		} else {
			n_invalid++;
		}
	}
	/* An empty or one-sided file would pass everything above. */
	assert_true(n_valid > 0 && n_invalid > 0 && n_seeded > 0);
	json_decref(root);
}

/* ------------------------------------------------------------------ */
/* Signed notes                                                         */

/*
 * Go's private key format, read here only: "PRIVATE+KEY+<name>+<id hex>+
 * base64(0x01 || seed)". The ledger never parses private keys from text.
 */
static void parse_skey(const char *id, const char *skey, char name[NOTE_KEY_NAME_BYTES_MAX + 1],
		       uint8_t key_id[4], uint8_t pk[crypto_sign_PUBLICKEYBYTES],
		       uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
	static const char prefix[] = "PRIVATE+KEY+";
	const char *p = skey, *plus;
	uint8_t key[1 + crypto_sign_SEEDBYTES];
	char hex[9];
	size_t key_len = 0;

	CHECK(id, strncmp(p, prefix, sizeof(prefix) - 1) == 0);
	p += sizeof(prefix) - 1;
	plus = strchr(p, '+');
	CHECK(id, plus != NULL && plus > p && (size_t)(plus - p) <= NOTE_KEY_NAME_BYTES_MAX);
	memcpy(name, p, (size_t)(plus - p));
	name[plus - p] = '\0';
	p = plus + 1;
	CHECK(id, strlen(p) > 9 && p[8] == '+');
	memcpy(hex, p, 8);
	hex[8] = '\0';
	hex_exact(id, hex, key_id, 4);
	p += 9;
	CHECK(id, sodium_base642bin(key, sizeof(key), p, strlen(p), NULL, &key_len, NULL,
				    sodium_base64_VARIANT_ORIGINAL) == 0);
	CHECK(id, key_len == sizeof(key) && key[0] == 0x01);
	CHECK(id, crypto_sign_seed_keypair(pk, sk, key + 1) == 0);
	sodium_memzero(key, sizeof(key));
}

/* Offsets of the signature line signed by v: [*start, *end) including its '\n'. */
static bool own_sig_line(const char *note, size_t len, size_t text_len,
			 const struct note_verifier *v, size_t *start, size_t *end)
{
	char head[NOTE_KEY_NAME_BYTES_MAX + 8];
	size_t p = text_len + 1;
	int n = snprintf(head, sizeof(head), "%s %s ", em_dash, v->name);

	assert_true(n > 0 && (size_t)n < sizeof(head));
	while (p < len) {
		const char *nl = memchr(note + p, '\n', len - p);
		size_t e = nl == NULL ? len : (size_t)(nl - note) + 1;

		if (e - p > (size_t)n && memcmp(note + p, head, (size_t)n) == 0) {
			*start = p;
			*end = e;
			return true;
		}
		p = e;
	}
	return false;
}

/*
 * Every single-bit flip of a note that v accepts. A flip in the text, the
 * blank line or v's own signature line must be refused. A flip in another
 * key's line may pass (C2SP: unknown keys are ignored), but then the text
 * must be unchanged. Returns how many flips passed.
 */
static size_t check_note_flips(const char *id, const char *note, size_t len,
			       const struct note_verifier *v)
{
	static char buf[NOTE_BYTES_MAX];
	size_t text_len = 0, own_start = 0, own_end = 0, passed = 0;

	CHECK(id, len <= sizeof(buf));
	CHECK(id, note_verify(note, len, v, &text_len) == 0);
	CHECK(id, own_sig_line(note, len, text_len, v, &own_start, &own_end));
	memcpy(buf, note, len);
	for (size_t i = 0; i < len * 8; i++) {
		size_t byte = i / 8, tl = 0;
		int r;

		buf[byte] = (char)(buf[byte] ^ (1 << (i % 8)));
		r = note_verify(buf, len, v, &tl);
		buf[byte] = (char)(buf[byte] ^ (1 << (i % 8)));
		if (r != 0)
			continue;
		if (byte <= text_len || (byte >= own_start && byte < own_end))
			fail_msg("%s: flip of bit %zu (byte %zu) still verifies", id, i % 8, byte);
		CHECK(id, tl == text_len);
		passed++;
	}
	CHECK(id, memcmp(buf, note, len) == 0);
	return passed;
}

/*
 * A plain reader of the three C2SP checkpoint lines, for the published
 * checkpoints, which have no totals lines: our strict checkpoint_parse must
 * refuse them, so this shows what it would read once totals are there.
 */
static void plain_checkpoint(const char *id, const char *text, size_t len, struct checkpoint *c)
{
	const char *l1 = memchr(text, '\n', len), *l2, *l3;
	size_t root_len = 0;
	char num[32], *endp;

	memset(c, 0, sizeof(*c));
	CHECK(id, l1 != NULL && l1 > text && (size_t)(l1 - text) <= NOTE_KEY_NAME_BYTES_MAX);
	memcpy(c->origin, text, (size_t)(l1 - text));
	l2 = memchr(l1 + 1, '\n', len - (size_t)(l1 + 1 - text));
	CHECK(id, l2 != NULL && l2 > l1 + 1 && (size_t)(l2 - l1 - 1) < sizeof(num));
	memcpy(num, l1 + 1, (size_t)(l2 - l1 - 1));
	num[l2 - l1 - 1] = '\0';
	CHECK(id, num[0] >= '0' && num[0] <= '9');
	c->tree_size = strtoull(num, &endp, 10);
	CHECK(id, *endp == '\0');
	l3 = memchr(l2 + 1, '\n', len - (size_t)(l2 + 1 - text));
	CHECK(id, l3 != NULL);
	CHECK(id, sodium_base642bin(c->root, sizeof(c->root), l2 + 1, (size_t)(l3 - l2 - 1), NULL,
				    &root_len, NULL, sodium_base64_VARIANT_ORIGINAL) == 0);
	CHECK(id, root_len == sizeof(c->root));
	CHECK(id, (size_t)(l3 + 1 - text) == len);
}

static const struct checkpoint_totals some_totals = {
	.issued = 1234567, .retired = 0, .reconverted = 89, .fees = 10, .pending = 300,
	.funded = 1000000, .paid_out = 999, .released = 1, .outstanding = 1234468,
	.reserve = 100000000000ULL,
};

static void append_totals(char *buf, size_t size, size_t *len, const struct checkpoint_totals *t)
{
	int n = snprintf(buf + *len, size - *len,
			 "issued %llu\nretired %llu\nreconverted %llu\nfees %llu\npending %llu\n"
			 "funded %llu\npaid_out %llu\nreleased %llu\noutstanding %llu\n"
			 "reserve %llu\n",
			 (unsigned long long)t->issued, (unsigned long long)t->retired,
			 (unsigned long long)t->reconverted, (unsigned long long)t->fees,
			 (unsigned long long)t->pending, (unsigned long long)t->funded,
			 (unsigned long long)t->paid_out, (unsigned long long)t->released,
			 (unsigned long long)t->outstanding, (unsigned long long)t->reserve);

	assert_true(n > 0 && (size_t)n < size - *len);
	*len += (size_t)n;
}

static bool checkpoints_equal(const struct checkpoint *a, const struct checkpoint *b)
{
	return strcmp(a->origin, b->origin) == 0 && a->tree_size == b->tree_size &&
	       memcmp(a->root, b->root, sizeof(a->root)) == 0 &&
	       memcmp(&a->totals, &b->totals, sizeof(a->totals)) == 0;
}

/*
 * Published checkpoint text (no totals): the strict parser refuses it, a
 * plain read gets the C2SP lines, and with totals appended the strict parser
 * reads the same origin, size and root and formats the same bytes back.
 */
static void check_published_checkpoint(const char *id, const char *text, size_t len,
				       struct checkpoint *plain)
{
	static char ext[TEXT_BUF_BYTES], again[TEXT_BUF_BYTES];
	struct checkpoint strict;
	size_t ext_len = len, again_len = 0;

	plain_checkpoint(id, text, len, plain);
	CHECK(id, checkpoint_parse(text, len, &strict) != 0);

	CHECK(id, len < sizeof(ext));
	memcpy(ext, text, len);
	append_totals(ext, sizeof(ext), &ext_len, &some_totals);
	CHECK(id, checkpoint_parse(ext, ext_len, &strict) == 0);
	plain->totals = some_totals;
	CHECK(id, checkpoints_equal(&strict, plain));
	CHECK(id, checkpoint_format(&strict, again, sizeof(again), &again_len) == 0);
	CHECK(id, again_len == ext_len && memcmp(again, ext, ext_len) == 0);
}

static void test_signed_note_vectors(void **state)
{
	static const char *const top_fields[] = {
		"description", "vectors", "key_ids", "checkpoint_parse_only",
		"cosignature_message_layout", NULL
	};
	static const char *const fields[] = {
		"id", "source", "vkey", "skey", "other_vkeys", "note", "text", "want_valid",
		"is_checkpoint", "ed25519_seed_hex", "ed25519_public_key_hex", "key_id_hex", NULL
	};
	json_t *root = load_vectors("signed-note.json");
	json_t *vecs = json_object_get(root, "vectors");
	size_t i, n_valid = 0, n_invalid = 0, n_signed = 0, n_checkpoints = 0;
	json_t *v;

	(void)state;
	check_fields("signed-note.json", root, top_fields);
	assert_true(json_is_array(vecs));
	json_array_foreach(vecs, i, v) {
		const char *id = jstr(v, "id", NULL);
		size_t note_len = 0, text_len = 0, vtext_len = 0, nv = 0;
		const char *note = jstr(v, "note", &note_len);
		const char *vkey = jstr(v, "vkey", NULL);
		const char *text = jstr_opt(v, "text", &text_len);
		const char *skey = jstr_opt(v, "skey", NULL);
		const char *hex;
		json_t *others = json_object_get(v, "other_vkeys");
		struct note_verifier vs[1 + OTHER_VKEYS_MAX], bad;
		bool want = jbool(v, "want_valid"), any = false;
		size_t j;
		json_t *o;

		check_fields(id, v, fields);
		CHECK(id, strlen(note) == note_len && note_len <= NOTE_BYTES_MAX);
		if (vkey[0] != '\0')
			CHECK(id, note_verifier_parse(vkey, &vs[nv++]) == 0);
		else
			CHECK(id, note_verifier_parse(vkey, &bad) != 0);
		if (others != NULL) {
			CHECK(id, json_is_array(others) && json_array_size(others) <= OTHER_VKEYS_MAX);
			json_array_foreach(others, j, o) {
				CHECK(id, json_is_string(o));
				CHECK(id, note_verifier_parse(json_string_value(o), &vs[nv++]) == 0);
			}
		}
		CHECK(id, nv > 0);

		/*
		 * note_verify checks one key. The vector's key set accepts when one
		 * of its keys does: a bad signature by any of them refuses the note
		 * for that key (C2SP SHOULD), and no vector mixes the two.
		 */
		for (j = 0; j < nv; j++) {
			size_t tl = 0;

			if (note_verify(note, note_len, &vs[j], &tl) == 0) {
				any = true;
				vtext_len = tl;
			}
		}
		CHECK(id, any == want);

		if (text != NULL) {
			CHECK(id, strlen(text) == text_len && text_len < note_len);
			CHECK(id, memcmp(note, text, text_len) == 0 && note[text_len] == '\n');
			if (want)
				CHECK(id, vtext_len == text_len);
		}
		if (want) {
			CHECK(id, text != NULL && vkey[0] != '\0');
			check_note_flips(id, note, note_len, &vs[0]);
			/* Bytes past note_len are not the note: a shorter length is refused. */
			CHECK(id, note_verify(note, note_len - 1, &vs[0], NULL) != 0);
			n_valid++;
		} else {
			n_invalid++;
		}

		if (skey != NULL) {
			char name[NOTE_KEY_NAME_BYTES_MAX + 1];
			uint8_t key_id[4], pk[crypto_sign_PUBLICKEYBYTES];
			uint8_t sk[crypto_sign_SECRETKEYBYTES];
			static char out[NOTE_BYTES_MAX + 1];

			CHECK(id, text != NULL && nv == 1);
			parse_skey(id, skey, name, key_id, pk, sk);
			CHECK(id, strcmp(name, vs[0].name) == 0);
			CHECK(id, memcmp(key_id, vs[0].key_id, 4) == 0);
			CHECK(id, memcmp(pk, vs[0].public_key, sizeof(pk)) == 0);
			CHECK(id, note_sign(text, text_len, name, sk, out, sizeof(out)) == 0);
			CHECK(id, strlen(out) == note_len && memcmp(out, note, note_len) == 0);
			sodium_memzero(sk, sizeof(sk));
			n_signed++;
		}
		if ((hex = jstr_opt(v, "ed25519_public_key_hex", NULL)) != NULL) {
			uint8_t pk[crypto_sign_PUBLICKEYBYTES];

			hex_exact(id, hex, pk, sizeof(pk));
			CHECK(id, memcmp(pk, vs[0].public_key, sizeof(pk)) == 0);
		}
		if ((hex = jstr_opt(v, "ed25519_seed_hex", NULL)) != NULL) {
			uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
			uint8_t sk[crypto_sign_SECRETKEYBYTES];

			hex_exact(id, hex, seed, sizeof(seed));
			CHECK(id, crypto_sign_seed_keypair(pk, sk, seed) == 0);
			CHECK(id, memcmp(pk, vs[0].public_key, sizeof(pk)) == 0);
			sodium_memzero(sk, sizeof(sk));
		}
		if ((hex = jstr_opt(v, "key_id_hex", NULL)) != NULL) {
			uint8_t want_id[4], got_id[4];

			hex_exact(id, hex, want_id, sizeof(want_id));
			note_key_id(vs[0].name, vs[0].public_key, got_id);
			CHECK(id, memcmp(got_id, want_id, 4) == 0);
			CHECK(id, memcmp(vs[0].key_id, want_id, 4) == 0);
		}
		if (json_object_get(v, "is_checkpoint") != NULL && jbool(v, "is_checkpoint")) {
			struct checkpoint plain;

			CHECK(id, want && text != NULL);
			check_published_checkpoint(id, text, text_len, &plain);
			/* C2SP tlog-checkpoint: the log's key is named after its origin. */
			CHECK(id, strcmp(plain.origin, vs[0].name) == 0);
			n_checkpoints++;
		}
	}
	assert_true(n_valid > 0 && n_invalid > 0 && n_signed > 0 && n_checkpoints > 0);
	json_decref(root);
}

static void test_key_id_vectors(void **state)
{
	static const char *const fields[] = {
		"vkey", "key_name", "signature_type", "ed25519_public_key_hex", "key_id_hex",
		"rule", "source", NULL
	};
	json_t *root = load_vectors("signed-note.json");
	json_t *ids = json_object_get(root, "key_ids");
	size_t i;
	json_t *v;

	(void)state;
	assert_true(json_is_array(ids) && json_array_size(ids) > 0);
	json_array_foreach(ids, i, v) {
		const char *vkey = jstr(v, "vkey", NULL);
		const char *name = jstr(v, "key_name", NULL);
		json_t *type = json_object_get(v, "signature_type");
		uint8_t pk[crypto_sign_PUBLICKEYBYTES], want_id[4], got_id[4];
		char again[VKEY_BUF_BYTES];
		struct note_verifier nv;

		check_fields(vkey, v, fields);
		CHECK(vkey, json_is_integer(type) && json_integer_value(type) == 1);
		hex_exact(vkey, jstr(v, "ed25519_public_key_hex", NULL), pk, sizeof(pk));
		hex_exact(vkey, jstr(v, "key_id_hex", NULL), want_id, sizeof(want_id));

		note_key_id(name, pk, got_id);
		CHECK(vkey, memcmp(got_id, want_id, 4) == 0);
		CHECK(vkey, note_verifier_parse(vkey, &nv) == 0);
		CHECK(vkey, strcmp(nv.name, name) == 0);
		CHECK(vkey, memcmp(nv.key_id, want_id, 4) == 0);
		CHECK(vkey, memcmp(nv.public_key, pk, sizeof(pk)) == 0);
		CHECK(vkey, note_verifier_format(name, pk, again, sizeof(again)) == 0);
		CHECK(vkey, strcmp(again, vkey) == 0);

		/* Any other key id, even one bit off, is refused. */
		for (size_t bit = 0; bit < 32; bit++) {
			uint8_t id2[4];
			char hex[9], bad[VKEY_BUF_BYTES];
			const char *plus = strchr(vkey, '+');
			size_t nlen = (size_t)(plus - vkey);

			memcpy(id2, want_id, 4);
			id2[bit / 8] ^= (uint8_t)(1U << (bit % 8));
			sodium_bin2hex(hex, sizeof(hex), id2, 4);
			CHECK(vkey, strlen(vkey) < sizeof(bad));
			memcpy(bad, vkey, strlen(vkey) + 1);
			memcpy(bad + nlen + 1, hex, 8);
			CHECK(vkey, note_verifier_parse(bad, &nv) != 0);
		}
	}
	json_decref(root);
}

static void test_checkpoint_parse_only_vectors(void **state)
{
	static const char *const fields[] = {
		"id", "source", "note", "origin", "tree_size", "root_hash_base64", "root_hash_hex",
		"comment", NULL
	};
	json_t *root = load_vectors("signed-note.json");
	json_t *cps = json_object_get(root, "checkpoint_parse_only");
	size_t i;
	json_t *v;

	(void)state;
	assert_true(json_is_array(cps) && json_array_size(cps) > 0);
	json_array_foreach(cps, i, v) {
		const char *id = jstr(v, "id", NULL);
		size_t note_len = 0;
		const char *note = jstr(v, "note", &note_len);
		const char *b64 = jstr(v, "root_hash_base64", NULL);
		json_t *size = json_object_get(v, "tree_size");
		const char *split = NULL;
		uint8_t root_hash[32], pk[crypto_sign_PUBLICKEYBYTES];
		uint8_t sk[crypto_sign_SECRETKEYBYTES];
		struct checkpoint plain;
		struct note_verifier nv;
		char vkey[VKEY_BUF_BYTES];
		size_t text_len;

		check_fields(id, v, fields);
		hex_exact(id, jstr(v, "root_hash_hex", NULL), root_hash, sizeof(root_hash));
		for (size_t k = 1; k < note_len; k++) {
			if (note[k] == '\n' && note[k - 1] == '\n')
				split = note + k - 1;
		}
		CHECK(id, split != NULL);
		text_len = (size_t)(split - note) + 1;

		check_published_checkpoint(id, note, text_len, &plain);
		CHECK(id, strcmp(plain.origin, jstr(v, "origin", NULL)) == 0);
		CHECK(id, json_is_integer(size) &&
			  (uint64_t)json_integer_value(size) == plain.tree_size);
		CHECK(id, memcmp(plain.root, root_hash, sizeof(root_hash)) == 0);
		CHECK(id, memchr(note, '\n', note_len) != NULL &&
			  strstr(note, b64) != NULL && strlen(b64) == 44);

		/*
		 * No key is published for it, but it is a well-formed note: a key
		 * with its name but not its id finds nothing to verify.
		 */
		seed_from("parse-only: not the real key", pk, sk);
		CHECK(id, note_verifier_format(plain.origin, pk, vkey, sizeof(vkey)) == 0);
		CHECK(id, note_verifier_parse(vkey, &nv) == 0);
		CHECK(id, note_verify(note, note_len, &nv, NULL) != 0);
		sodium_memzero(sk, sizeof(sk));
	}
	json_decref(root);
}

/* Message layout only: we do not verify cosignatures, but the bytes are checkable. */
static void test_cosignature_layout_vectors(void **state)
{
	static const char *const fields[] = {
		"id", "source", "checkpoint_body", "timestamp", "signed_message",
		"signature_line_payload", "key_id_rule", "comment", NULL
	};
	json_t *root = load_vectors("signed-note.json");
	json_t *cs = json_object_get(root, "cosignature_message_layout");
	size_t i;
	json_t *v;

	(void)state;
	assert_true(json_is_array(cs) && json_array_size(cs) > 0);
	json_array_foreach(cs, i, v) {
		const char *id = jstr(v, "id", NULL);
		json_t *ts = json_object_get(v, "timestamp");
		size_t body_len = 0;
		const char *body = jstr(v, "checkpoint_body", &body_len);
		static char msg[TEXT_BUF_BYTES];
		struct checkpoint plain;
		int n;

		check_fields(id, v, fields);
		CHECK(id, json_is_integer(ts) && json_integer_value(ts) >= 0);
		n = snprintf(msg, sizeof(msg), "cosignature/v1\ntime %lld\n%s",
			     (long long)json_integer_value(ts), body);
		CHECK(id, n > 0 && (size_t)n < sizeof(msg));
		CHECK(id, strcmp(msg, jstr(v, "signed_message", NULL)) == 0);
		check_published_checkpoint(id, body, body_len, &plain);
	}
	json_decref(root);
}

/* ------------------------------------------------------------------ */
/* Our checkpoint notes                                                 */

static void fill_checkpoint(struct checkpoint *c, const char *origin, uint64_t size)
{
	memset(c, 0, sizeof(*c));
	assert_true(strlen(origin) < sizeof(c->origin));
	memcpy(c->origin, origin, strlen(origin));
	c->tree_size = size;
	crypto_hash_sha256(c->root, (const uint8_t *)origin, strlen(origin));
	c->totals = some_totals;
}

static void round_trip(const struct checkpoint *c, const char *key_label)
{
	static char text[NOTE_BYTES_MAX + 1], note[NOTE_BYTES_MAX + 1];
	char vkey[VKEY_BUF_BYTES];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	struct note_verifier v;
	struct checkpoint back;
	size_t len = 0, text_len = 0;

	seed_from(key_label, pk, sk);
	assert_int_equal(checkpoint_format(c, text, sizeof(text), &len), 0);
	assert_int_equal(strlen(text), len);
	assert_int_equal(note_sign(text, len, c->origin, sk, note, sizeof(note)), 0);
	assert_int_equal(note_verifier_format(c->origin, pk, vkey, sizeof(vkey)), 0);
	assert_int_equal(note_verifier_parse(vkey, &v), 0);
	assert_int_equal(note_verify(note, strlen(note), &v, &text_len), 0);
	assert_int_equal(text_len, len);
	assert_memory_equal(note, text, len);
	assert_int_equal(checkpoint_parse(note, text_len, &back), 0);
	assert_true(checkpoints_equal(&back, c));
	/* The signature covers everything the parser reads: no flip may pass. */
	assert_int_equal(check_note_flips(c->origin, note, strlen(note), &v), 0);
	sodium_memzero(sk, sizeof(sk));
}

static void test_checkpoint_round_trip(void **state)
{
	struct checkpoint c;
	char origin[ORIGIN_MAX_TEST + 1];

	(void)state;
	fill_checkpoint(&c, "manne.example/test", 7);
	round_trip(&c, "round trip key 1");

	fill_checkpoint(&c, "x", 0);
	memset(&c.totals, 0, sizeof(c.totals));
	round_trip(&c, "round trip key 2");

	/* The widest checkpoint: longest origin, every number at its maximum. */
	memset(origin, '~', ORIGIN_MAX_TEST);
	origin[ORIGIN_MAX_TEST] = '\0';
	fill_checkpoint(&c, origin, UINT64_MAX);
	memset(&c.totals, 0xff, sizeof(c.totals));
	round_trip(&c, "round trip key 3");
}

/* Replaces the first `old` in base by `new`; the test fails if there is none. */
static size_t replace_once(const char *base, size_t base_len, const char *old, const char *new,
			   char *out, size_t out_size)
{
	const char *at = NULL;
	size_t old_len = strlen(old), new_len = strlen(new), pre;

	for (size_t i = 0; i + old_len <= base_len && at == NULL; i++) {
		if (memcmp(base + i, old, old_len) == 0)
			at = base + i;
	}
	if (at == NULL)
		fail_msg("\"%s\" not found in the base text", old);
	pre = (size_t)(at - base);
	assert_true(base_len - old_len + new_len < out_size);
	memcpy(out, base, pre);
	memcpy(out + pre, new, new_len);
	memcpy(out + pre + new_len, at + old_len, base_len - pre - old_len);
	return base_len - old_len + new_len;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The same bytes with non-zero trailing bits: a second spelling of one value. */
static char b64_noncanonical(char c, unsigned pad_bits)
{
	const char *at = strchr(b64_alphabet, c);

	assert_non_null(at);
	assert_int_equal((at - b64_alphabet) & ((1 << pad_bits) - 1), 0);
	return b64_alphabet[(at - b64_alphabet) | 1];
}

static void test_checkpoint_strict(void **state)
{
	static char base[NOTE_BYTES_MAX], buf[NOTE_BYTES_MAX];
	static const struct {
		const char *old, *new;
	} refused[] = {
		{ "\n42\n", "\n042\n" },
		{ "\n42\n", "\n+42\n" },
		{ "\n42\n", "\n-42\n" },
		{ "\n42\n", "\n 42\n" },
		{ "\n42\n", "\n42 \n" },
		{ "\n42\n", "\n4 2\n" },
		{ "\n42\n", "\n42\r\n" },
		{ "\n42\n", "\n\n" },
		{ "\n42\n", "\n0x2a\n" },
		{ "\n42\n", "\n18446744073709551616\n" },	/* 2^64 */
		{ "\n42\n", "\n99999999999999999999\n" },
		{ "\n42\n", "\n018446744073709551615\n" },
		{ "\n42\n", "\n\xd9\xa4\xd9\xa2\n" },		/* Arabic-Indic digits */
		{ "issued 1234567\n", "issued 01234567\n" },
		{ "issued 1234567\n", "issued  1234567\n" },
		{ "issued 1234567\n", "issued\t1234567\n" },
		{ "issued 1234567\n", "Issued 1234567\n" },
		{ "issued 1234567\n", "issued 1234567 \n" },
		{ "issued 1234567\n", "issued 1234567\r\n" },
		{ "issued 1234567\n", "issued\n" },
		{ "issued 1234567\n", "issued \n" },
		{ "issued 1234567\n", "issued -1\n" },
		{ "issued 1234567\n", "issued 1234567\nissued 1234567\n" },
		{ "issued 1234567\n", "" },
		{ "issued 1234567\n", "issued1234567\n" },
		{ "issued 1234567\n", "issued_x 1234567\n" },
		{ "retired 0\n", "retired 00\n" },
		{ "retired 0\n", "retired -0\n" },
		{ "retired 0\n", "retired 18446744073709551616\n" },
		{ "fees 10\npending 300\n", "pending 300\nfees 10\n" },
		{ "paid_out 999\n", "paid-out 999\n" },
		{ "reserve 100000000000\n", "reserve 100000000000\nextra 1\n" },
		{ "reserve 100000000000\n", "reserve 100000000000\n\n" },
		{ "reserve 100000000000\n", "reserve 100000000000" },
		{ "manne.example/strict\n", "manne.example/ strict\n" },
		{ "manne.example/strict\n", "manne.example/+strict\n" },
		{ "manne.example/strict\n", "manne.example/str\xc3\xa9" "ct\n" },
		{ "manne.example/strict\n", "manne.example/strict\t\n" },
		{ "manne.example/strict\n", "manne.example/strict\x7f\n" },
		{ "manne.example/strict\n", "\n" },
		{ "manne.example/strict\n", "manne.example/strict\r\n" },
	};
	static const struct {
		const char *old, *new;
		uint64_t tree_size, issued;
	} accepted[] = {
		{ "\n42\n", "\n0\n", 0, 1234567 },
		{ "\n42\n", "\n18446744073709551615\n", UINT64_MAX, 1234567 },
		{ "issued 1234567\n", "issued 0\n", 42, 0 },
		{ "issued 1234567\n", "issued 18446744073709551615\n", 42, UINT64_MAX },
	};
	struct checkpoint c, back;
	size_t len = 0, n;
	const char *root_line, *root_end;
	char root_b64[45];

	(void)state;
	fill_checkpoint(&c, "manne.example/strict", 42);
	assert_int_equal(checkpoint_format(&c, base, sizeof(base), &len), 0);
	assert_int_equal(checkpoint_parse(base, len, &back), 0);
	assert_true(checkpoints_equal(&back, &c));

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		n = replace_once(base, len, refused[i].old, refused[i].new, buf, sizeof(buf));
		if (checkpoint_parse(buf, n, &back) == 0)
			fail_msg("accepted: \"%s\" -> \"%s\"", refused[i].old, refused[i].new);
		/* A refusal leaves nothing half-parsed behind. */
		assert_int_equal(back.tree_size, 0);
		assert_int_equal(back.origin[0], '\0');
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		n = replace_once(base, len, accepted[i].old, accepted[i].new, buf, sizeof(buf));
		assert_int_equal(checkpoint_parse(buf, n, &back), 0);
		assert_true(back.tree_size == accepted[i].tree_size);
		assert_true(back.totals.issued == accepted[i].issued);
	}

	/* The root line: 44 characters of canonical, padded standard base64. */
	root_line = memchr(memchr(base, '\n', len) + 1, '\n', len) + 1;
	root_end = memchr(root_line, '\n', len - (size_t)(root_line - base));
	assert_int_equal(root_end - root_line, 44);
	memcpy(root_b64, root_line, 44);
	root_b64[44] = '\0';
	{
		char alt[64];
		static const char *const bad_roots[] = { "drop=", "noncanonical", "urlsafe",
							 "short", "long", "space" };

		for (size_t i = 0; i < sizeof(bad_roots) / sizeof(bad_roots[0]); i++) {
			memcpy(alt, root_b64, sizeof(root_b64));
			switch (i) {
			case 0: alt[43] = '\0'; break;
			case 1: alt[42] = b64_noncanonical(alt[42], 2); break;
			case 2: alt[0] = '-'; break;
			case 3: memcpy(alt + 40, "AA=", 4); break;
			case 4: memcpy(alt + 43, "AAAA", 5); break;
			default: alt[10] = ' '; break;
			}
			n = replace_once(base, len, root_b64, alt, buf, sizeof(buf));
			if (checkpoint_parse(buf, n, &back) == 0)
				fail_msg("root accepted: %s (%s)", alt, bad_roots[i]);
		}
	}

	/* A NUL after the text is a byte of it, not its end. */
	memcpy(buf, base, len);
	buf[len] = '\0';
	assert_int_not_equal(checkpoint_parse(buf, len + 1, &back), 0);

	/* Every proper prefix is refused, and so is any length past the note bound. */
	for (size_t k = 0; k < len; k++)
		assert_int_not_equal(checkpoint_parse(base, k, &back), 0);
	assert_int_not_equal(checkpoint_parse(base, NOTE_BYTES_MAX + 1, &back), 0);
	assert_int_not_equal(checkpoint_parse(NULL, 0, &back), 0);
	assert_int_not_equal(checkpoint_parse(base, len, NULL), 0);

	/* Origins: 128 bytes is the most, and formatting enforces the same rule. */
	{
		static const char *const bad_origins[] = { "", "a b", "a+b", "caf\xc3\xa9",
							    "a\x7f", "a\tb" };
		char o[ORIGIN_MAX_TEST + 2];

		for (size_t i = 0; i < sizeof(bad_origins) / sizeof(bad_origins[0]); i++) {
			fill_checkpoint(&c, bad_origins[i], 1);
			assert_int_not_equal(checkpoint_format(&c, buf, sizeof(buf), &n), 0);
			assert_int_equal(buf[0], '\0');
		}
		memset(o, 'o', ORIGIN_MAX_TEST);
		o[ORIGIN_MAX_TEST] = '\0';
		fill_checkpoint(&c, o, 1);
		assert_int_equal(checkpoint_format(&c, base, sizeof(base), &len), 0);
		assert_int_equal(checkpoint_parse(base, len, &back), 0);
		n = replace_once(base, len, "o\n", "oo\n", buf, sizeof(buf));
		assert_int_not_equal(checkpoint_parse(buf, n, &back), 0);
		/* An origin array with no NUL in it is refused, not over-read. */
		memset(c.origin, 'o', sizeof(c.origin));
		assert_int_not_equal(checkpoint_format(&c, buf, sizeof(buf), &n), 0);
	}

	/* Output bound: one byte short of text + NUL fails, and writes a NUL only. */
	fill_checkpoint(&c, "manne.example/strict", 42);
	assert_int_equal(checkpoint_format(&c, base, sizeof(base), &len), 0);
	for (size_t size = 0; size <= len; size++) {
		memset(buf, 'z', sizeof(buf));
		assert_int_not_equal(checkpoint_format(&c, buf, size, &n), 0);
		if (size > 0)
			assert_int_equal(buf[0], '\0');
		assert_int_equal(buf[size], 'z');
	}
	assert_int_equal(checkpoint_format(&c, buf, len + 1, &n), 0);
	assert_int_equal(n, len);
	assert_string_equal(buf, base);
	assert_int_not_equal(checkpoint_format(NULL, buf, sizeof(buf), &n), 0);
	assert_int_not_equal(checkpoint_format(&c, buf, sizeof(buf), NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Note bounds and malformations                                        */

struct key {
	char name[NOTE_KEY_NAME_BYTES_MAX + 1];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	struct note_verifier v;
};

static void make_key(struct key *k, const char *name, const char *seed_label)
{
	char vkey[VKEY_BUF_BYTES];

	assert_true(strlen(name) < sizeof(k->name));
	memset(k, 0, sizeof(*k));
	memcpy(k->name, name, strlen(name));
	seed_from(seed_label, k->pk, k->sk);
	assert_int_equal(note_verifier_format(name, k->pk, vkey, sizeof(vkey)), 0);
	assert_int_equal(note_verifier_parse(vkey, &k->v), 0);
}

/* "— name base64(id || payload)\n", built by hand so that it can be wrong. */
static size_t sig_line(char *out, size_t size, const char *name, const uint8_t id[4],
		       const uint8_t *payload, size_t payload_len)
{
	uint8_t raw[4 + 128];
	char b64[sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_ORIGINAL)];
	int n;

	assert_true(payload_len <= 128);
	memcpy(raw, id, 4);
	memcpy(raw + 4, payload, payload_len);
	sodium_bin2base64(b64, sizeof(b64), raw, 4 + payload_len, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, size, "%s %s %s\n", em_dash, name, b64);
	assert_true(n > 0 && (size_t)n < size);
	return (size_t)n;
}

/* A correct signature line of key k over text, whatever the text holds. */
static size_t good_line(char *out, size_t size, const struct key *k, const char *text, size_t len)
{
	uint8_t sig[crypto_sign_BYTES];

	assert_int_equal(crypto_sign_detached(sig, NULL, (const uint8_t *)text, len, k->sk), 0);
	return sig_line(out, size, k->name, k->v.key_id, sig, sizeof(sig));
}

/* text || "\n" || lines, into out (NUL-terminated); returns the length. */
static size_t join(char *out, size_t size, const char *text, size_t text_len, const char *lines)
{
	size_t n = strlen(lines);

	assert_true(text_len + 1 + n < size);
	memcpy(out, text, text_len);
	out[text_len] = '\n';
	memcpy(out + text_len + 1, lines, n + 1);
	return text_len + 1 + n;
}

static bool verifies(const char *note, size_t len, const struct key *k)
{
	return note_verify(note, len, &k->v, NULL) == 0;
}

static void test_note_bounds(void **state)
{
	static const char text[] = "manne.example/bounds\n1\nAAAA\n";
	static char note[2 * NOTE_BYTES_MAX], buf[2 * NOTE_BYTES_MAX], big[2 * NOTE_BYTES_MAX];
	char line[512], lines[4096];
	struct key a, b;
	struct note_verifier v;
	size_t len, n, tl = 0, line_len;
	const size_t text_len = sizeof(text) - 1;

	(void)state;
	make_key(&a, "manne.example/bounds", "bounds key A");
	make_key(&b, "manne.example/other", "bounds key B");
	assert_int_equal(note_sign(text, text_len, a.name, a.sk, note, sizeof(note)), 0);
	len = strlen(note);
	assert_int_equal(note_verify(note, len, &a.v, &tl), 0);
	assert_int_equal(tl, text_len);

	/* Missing final newline, a byte after it, an empty signature block. */
	assert_false(verifies(note, len - 1, &a));
	memcpy(buf, note, len);
	buf[len] = 'x';
	assert_false(verifies(buf, len + 1, &a));
	buf[len] = '\n';
	assert_false(verifies(buf, len + 1, &a));
	n = join(buf, sizeof(buf), text, text_len, "");
	assert_false(verifies(buf, n, &a));
	assert_false(verifies(note, 0, &a));
	assert_false(verifies(note, SIZE_MAX, &a));
	assert_int_not_equal(note_verify(NULL, len, &a.v, NULL), 0);
	assert_int_not_equal(note_verify(note, len, NULL, NULL), 0);

	/* Length: exactly NOTE_BYTES_MAX is a note, one byte more is not. */
	line_len = good_line(line, sizeof(line), &a, "x\n", 2);
	for (size_t extra = 0; extra <= 1; extra++) {
		size_t tlen = NOTE_BYTES_MAX - 1 - line_len + extra;

		memset(big, 'a', tlen);
		for (size_t i = 63; i < tlen; i += 64)
			big[i] = '\n';
		big[tlen - 1] = '\n';
		n = join(buf, sizeof(buf), big, tlen, "");
		n += good_line(buf + n, sizeof(buf) - n, &a, big, tlen);
		assert_int_equal(n, NOTE_BYTES_MAX + extra);
		if (extra == 0) {
			assert_int_equal(note_verify(buf, n, &a.v, &tl), 0);
			assert_int_equal(tl, tlen);
			assert_int_equal(note_sign(big, tlen, a.name, a.sk, note, sizeof(note)), 0);
			assert_string_equal(note, buf);
		} else {
			assert_false(verifies(buf, n, &a));
			assert_int_not_equal(note_sign(big, tlen, a.name, a.sk, note,
						       sizeof(note)), 0);
		}
	}
	assert_int_equal(note_sign(text, text_len, a.name, a.sk, note, sizeof(note)), 0);
	len = strlen(note);

	/* Bad base64 in our own line. */
	{
		static const char subst[] = { '!', '-', '_', ' ', '.', '\xff' };
		size_t at = text_len + 1 + strlen(em_dash) + 1 + strlen(a.name) + 1;
		size_t b64_len = len - at - 1;

		assert_int_equal(b64_len, 92);
		assert_int_equal(note[at - 1], ' ');
		assert_int_equal(note[len - 2], '=');

		for (size_t i = 0; i < sizeof(subst); i++) {
			memcpy(buf, note, len);
			buf[at + 10] = subst[i];
			assert_false(verifies(buf, len, &a));
		}
		/* Padding dropped, or turned into data. */
		memcpy(buf, note, len);
		buf[len - 2] = '\n';
		assert_false(verifies(buf, len - 1, &a));
		buf[len - 2] = 'A';
		buf[len - 1] = '\n';
		assert_false(verifies(buf, len, &a));
		/* Same bytes, second spelling: refused so that a note has one form. */
		memcpy(buf, note, len);
		buf[len - 3] = b64_noncanonical(buf[len - 3], 2);
		assert_false(verifies(buf, len, &a));
		/* Base64 cut by a space is two fields, not a signature. */
		n = replace_once(note, len, "=\n", " =\n", buf, sizeof(buf));
		assert_false(verifies(buf, n, &a));
	}

	/* Wrong key id: in the verifier, in the vkey, or in the signature line. */
	v = a.v;
	v.key_id[3] ^= 0x80;
	assert_int_not_equal(note_verify(note, len, &v, NULL), 0);
	{
		uint8_t id[4], sig[crypto_sign_BYTES];

		memcpy(id, a.v.key_id, 4);
		id[0] ^= 1;
		assert_int_equal(crypto_sign_detached(sig, NULL, (const uint8_t *)text,
						      text_len, a.sk), 0);
		sig_line(line, sizeof(line), a.name, id, sig, sizeof(sig));
		n = join(buf, sizeof(buf), text, text_len, line);
		assert_false(verifies(buf, n, &a));
	}
	/* A verifier with our id under another name finds no signature of its own. */
	v = a.v;
	v.name[0] = 'M';
	assert_int_not_equal(note_verify(note, len, &v, NULL), 0);
	/* A name with no NUL in its array is refused, not over-read. */
	v = a.v;
	memset(v.name, 'a', sizeof(v.name));
	assert_int_not_equal(note_verify(note, len, &v, NULL), 0);

	/* Signed by another key. */
	assert_int_equal(note_sign(text, text_len, a.name, b.sk, buf, sizeof(buf)), 0);
	assert_false(verifies(buf, strlen(buf), &a));
	{
		uint8_t sig[crypto_sign_BYTES];
		struct key b_as_a = b;

		/* B's signature under A's name and id: a known key failing to verify. */
		assert_int_equal(crypto_sign_detached(sig, NULL, (const uint8_t *)text,
						      text_len, b.sk), 0);
		sig_line(line, sizeof(line), a.name, a.v.key_id, sig, sizeof(sig));
		n = join(buf, sizeof(buf), text, text_len, line);
		assert_false(verifies(buf, n, &a));
		/* ...though it is well-formed: B's key under A's name does verify it. */
		memcpy(b_as_a.v.name, a.v.name, sizeof(a.v.name));
		memcpy(b_as_a.v.key_id, a.v.key_id, 4);
		assert_true(verifies(buf, n, &b_as_a));
		/* A good signature by A does not rescue a failing one by A (C2SP SHOULD). */
		n = join(buf, sizeof(buf), text, text_len, "");
		n += good_line(buf + n, sizeof(buf) - n, &a, text, text_len);
		memcpy(buf + n, line, strlen(line) + 1);
		n += strlen(line);
		assert_false(verifies(buf, n, &a));
	}
	/*
	 * C2SP: a line sharing our name or our id, but not both, is another
	 * key's and is ignored, even when its signature is garbage for us.
	 */
	{
		uint8_t sig[crypto_sign_BYTES];
		size_t off;

		assert_int_equal(crypto_sign_detached(sig, NULL, (const uint8_t *)text,
						      text_len, b.sk), 0);
		for (int variant = 0; variant < 2; variant++) {
			off = sig_line(lines, sizeof(lines), variant == 0 ? a.name : b.name,
				       variant == 0 ? b.v.key_id : a.v.key_id, sig, sizeof(sig));
			good_line(lines + off, sizeof(lines) - off, &a, text, text_len);
			n = join(buf, sizeof(buf), text, text_len, lines);
			assert_true(verifies(buf, n, &a));
			/* Alone, it leaves A with nothing verified. */
			lines[off] = '\0';
			n = join(buf, sizeof(buf), text, text_len, lines);
			assert_false(verifies(buf, n, &a));
		}
	}
	/* A repeated good line is harmless; B's line is ignored when checking A. */
	good_line(line, sizeof(line), &a, text, text_len);
	n = (size_t)snprintf(lines, sizeof(lines), "%s%s", line, line);
	good_line(line, sizeof(line), &b, text, text_len);
	n = (size_t)snprintf(lines + n, sizeof(lines) - n, "%s", line);
	n = join(buf, sizeof(buf), text, text_len, lines);
	assert_true(verifies(buf, n, &a));
	assert_true(verifies(buf, n, &b));

	/* Up to 16 signature lines; a 17th refuses the note, wherever ours is. */
	for (size_t total = 16; total <= 17; total++) {
		for (size_t ours = 0; ours < total; ours += total - 1) {
			size_t off = 0;

			for (size_t i = 0; i < total; i++) {
				if (i == ours) {
					off += good_line(lines + off, sizeof(lines) - off, &a,
							 text, text_len);
				} else {
					uint8_t id[4] = { 0, 0, 0, (uint8_t)i };
					char nm[32];

					snprintf(nm, sizeof(nm), "witness.example/%zu", i);
					off += sig_line(lines + off, sizeof(lines) - off, nm, id,
							(const uint8_t *)"0123456789abcdef", 16);
				}
			}
			n = join(buf, sizeof(buf), text, text_len, lines);
			assert_true(verifies(buf, n, &a) == (total <= 16));
		}
	}

	/* Malformed lines of unknown keys still refuse the whole note. */
	{
		static const char *const bad_lines[] = {
			"- witness AAAAAAAA\n",			/* hyphen, not em dash */
			"\xe2\x80\x94witness AAAAAAAA\n",	/* no space after the dash */
			"\xe2\x80\x94 AAAAAAAA\n",		/* no name */
			"\xe2\x80\x94  AAAAAAAA\n",		/* empty name */
			"\xe2\x80\x94 wit+ness AAAAAAAA\n",
			"\xe2\x80\x94 wit\xc2\xa0ness AAAAAAAA\n",	/* NBSP */
			"\xe2\x80\x94 wit\xe3\x80\x80ness AAAAAAAA\n",	/* ideographic space */
			"\xe2\x80\x94 wit\xc2\x85ness AAAAAAAA\n",	/* NEL */
			"\xe2\x80\x94 wit\x7fness AAAAAAAA\n",
			"\xe2\x80\x94 witness AAAA\n",		/* 3 bytes: no room for an id */
			"\xe2\x80\x94 witness AAAAAA==\n",	/* 4 bytes: an id, no signature */
			"\xe2\x80\x94 witness \n",
			"\xe2\x80\x94 witness AAAAAAAA \n",
			"\xe2\x80\x94 witness AAAAAAA\n",
			"\xe2\x80\x94 witness AAAAAAAA=\n",
			"\xe2\x80\x94 witness\n",
			"\n",
		};
		static const char *const ok_lines[] = {
			"\xe2\x80\x94 witness AAAAAAAA\n",
			"\xe2\x80\x94 caf\xc3\xa9/t\xc3\xa9moin AAAAAAAA\n",
			"\xe2\x80\x94 witness AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		};

		for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
			good_line(line, sizeof(line), &a, text, text_len);
			snprintf(lines, sizeof(lines), "%s%s", line, bad_lines[i]);
			n = join(buf, sizeof(buf), text, text_len, lines);
			if (verifies(buf, n, &a))
				fail_msg("accepted signature line %zu", i);
		}
		for (size_t i = 0; i < sizeof(ok_lines) / sizeof(ok_lines[0]); i++) {
			good_line(line, sizeof(line), &a, text, text_len);
			snprintf(lines, sizeof(lines), "%s%s", ok_lines[i], line);
			n = join(buf, sizeof(buf), text, text_len, lines);
			if (!verifies(buf, n, &a))
				fail_msg("refused signature line %zu", i);
		}
	}

	/* The text: blank lines allowed (the last one splits), controls and bad UTF-8 not. */
	{
		static const struct {
			const char *text;
			size_t len;
			bool ok;
		} texts[] = {
			{ "a\n\nb\n", 5, true },
			{ "\n", 1, true },
			{ "a\n\n", 3, true },
			{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xb6\n", 15, true },
			{ "a\x7f\n", 3, true },		/* C2SP forbids only controls below U+0020 */
			{ "a\tb\n", 4, false },
			{ "a\rb\n", 4, false },
			{ "a\r\n", 3, false },
			{ "a\0b\n", 4, false },
			{ "\x80\n", 2, false },
			{ "\xc0\x80\n", 3, false },		/* overlong NUL */
			{ "\xe0\x80\xaf\n", 4, false },		/* overlong '/' */
			{ "\xed\xa0\x80\n", 4, false },		/* surrogate */
			{ "\xf4\x90\x80\x80\n", 5, false },	/* past U+10FFFF */
			{ "\xe2\x82\n", 3, false },		/* truncated */
			{ "\xff\n", 2, false },
		};

		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			const char *t = texts[i].text;
			size_t tlen = texts[i].len;
			int rs = note_sign(t, tlen, a.name, a.sk, note, sizeof(note));

			good_line(line, sizeof(line), &a, t, tlen);
			n = join(buf, sizeof(buf), t, tlen, line);
			tl = 0;
			if ((note_verify(buf, n, &a.v, &tl) == 0) != texts[i].ok)
				fail_msg("text %zu: verify disagrees", i);
			if ((rs == 0) != texts[i].ok)
				fail_msg("text %zu: sign disagrees", i);
			if (texts[i].ok) {
				assert_int_equal(tl, tlen);
				assert_int_equal(strlen(note), n);
				assert_memory_equal(note, buf, n);
			}
		}
	}
}

static void test_verifier_keys(void **state)
{
	static const char good[] =
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
	static const char *const bad[] = {
		"",
		"example.com/foo",
		"example.com/foo+530d903a",
		"example.com/foo+530d903a+",
		"+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903a0+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903g+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k ",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2kAAAA",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2l",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k\n",
		" example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903a++AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k+",
		"example.com/fo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+-30d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
	};
	struct note_verifier v;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t key[2 + crypto_sign_PUBLICKEYBYTES], id[4], h[crypto_hash_sha256_BYTES];
	char name[NOTE_KEY_NAME_BYTES_MAX + 2], vkey[VKEY_BUF_BYTES], b64[64], hex[9];
	crypto_hash_sha256_state st;
	size_t n;

	(void)state;
	assert_int_equal(note_verifier_parse(good, &v), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (note_verifier_parse(bad[i], &v) == 0)
			fail_msg("accepted verifier key %zu: %s", i, bad[i]);
		/* Refused means nothing usable is left in *out. */
		assert_int_equal(v.name[0], '\0');
	}
	assert_int_not_equal(note_verifier_parse(NULL, &v), 0);
	assert_int_not_equal(note_verifier_parse(good, NULL), 0);
	/* Go parses the id with ParseUint(16): either case; the id is checked anyway. */
	assert_int_equal(note_verifier_parse(
		"example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", &v), 0);

	/* Another signature type, or a key of the wrong length, under a matching id. */
	seed_from("verifier key tests", pk, sk);
	for (size_t variant = 0; variant < 3; variant++) {
		size_t key_len = variant == 0 ? 33 : variant == 1 ? 32 : 34;

		key[0] = variant == 0 ? 0x02 : 0x01;
		memcpy(key + 1, pk, sizeof(pk));
		key[33] = 0;
		note_key_id("alg.example", pk, id);
		sodium_bin2hex(hex, sizeof(hex), id, 4);
		sodium_bin2base64(b64, sizeof(b64), variant == 1 ? key + 1 : key, key_len,
				  sodium_base64_VARIANT_ORIGINAL);
		snprintf(vkey, sizeof(vkey), "alg.example+%s+%s", hex, b64);
		assert_int_not_equal(note_verifier_parse(vkey, &v), 0);
	}

	/* Names: 128 bytes at most, and format refuses what parse refuses. */
	memset(name, 'n', NOTE_KEY_NAME_BYTES_MAX);
	name[NOTE_KEY_NAME_BYTES_MAX] = '\0';
	assert_int_equal(note_verifier_format(name, pk, vkey, sizeof(vkey)), 0);
	assert_int_equal(note_verifier_parse(vkey, &v), 0);
	assert_string_equal(v.name, name);
	name[NOTE_KEY_NAME_BYTES_MAX] = 'n';
	name[NOTE_KEY_NAME_BYTES_MAX + 1] = '\0';
	assert_int_not_equal(note_verifier_format(name, pk, vkey, sizeof(vkey)), 0);
	/* A hand-made 129-byte vkey, id and all, is refused too. */
	key[0] = 0x01;
	memcpy(key + 1, pk, sizeof(pk));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_update(&st, key, 33);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, sizeof(hex), h, 4);
	sodium_bin2base64(b64, sizeof(b64), key, 33, sodium_base64_VARIANT_ORIGINAL);
	snprintf(vkey, sizeof(vkey), "%s+%s+%s", name, hex, b64);
	assert_int_not_equal(note_verifier_parse(vkey, &v), 0);

	{
		static const char *const bad_names[] = { "", "a b", "a+b", "a\tb", "a\nb",
							 "a\x7f", "a\xc2\xa0", "a\xff", "a\xc2\x80" };

		for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
			assert_int_not_equal(note_verifier_format(bad_names[i], pk, vkey,
								  sizeof(vkey)), 0);
		assert_int_not_equal(note_verifier_format(NULL, pk, vkey, sizeof(vkey)), 0);
	}
	/* Output bound. */
	assert_int_equal(note_verifier_format("size.example", pk, vkey, sizeof(vkey)), 0);
	n = strlen(vkey);
	for (size_t size = 0; size <= n; size++) {
		char out[VKEY_BUF_BYTES];

		assert_int_not_equal(note_verifier_format("size.example", pk, out, size), 0);
	}
	{
		char out[VKEY_BUF_BYTES];

		assert_int_equal(note_verifier_format("size.example", pk, out, n + 1), 0);
		assert_string_equal(out, vkey);
	}
	sodium_memzero(sk, sizeof(sk));
}

static void test_note_sign_refusals(void **state)
{
	static const char text[] = "manne.example/sign\n3\nAAAA\n";
	static char out[NOTE_BYTES_MAX + 1], inplace[NOTE_BYTES_MAX + 1];
	const size_t text_len = sizeof(text) - 1;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char name[NOTE_KEY_NAME_BYTES_MAX + 2];
	size_t len;

	(void)state;
	seed_from("sign refusals", pk, sk);
	assert_int_equal(note_sign(text, text_len, "s.example", sk, out, sizeof(out)), 0);
	len = strlen(out);

	assert_int_not_equal(note_sign(text, 0, "s.example", sk, out, sizeof(out)), 0);
	assert_int_not_equal(note_sign(text, text_len - 1, "s.example", sk, out, sizeof(out)), 0);
	assert_int_not_equal(note_sign(NULL, text_len, "s.example", sk, out, sizeof(out)), 0);
	assert_int_not_equal(note_sign(text, text_len, NULL, sk, out, sizeof(out)), 0);
	assert_int_not_equal(note_sign(text, text_len, "s.example", NULL, out, sizeof(out)), 0);
	assert_int_not_equal(note_sign(text, text_len, "s.example", sk, NULL, sizeof(out)), 0);
	assert_int_not_equal(note_sign(text, text_len, "", sk, out, sizeof(out)), 0);
	assert_int_not_equal(note_sign(text, text_len, "s example", sk, out, sizeof(out)), 0);
	assert_int_not_equal(note_sign(text, text_len, "s+example", sk, out, sizeof(out)), 0);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_not_equal(note_sign(text, text_len, name, sk, out, sizeof(out)), 0);
	name[NOTE_KEY_NAME_BYTES_MAX] = '\0';
	assert_int_equal(note_sign(text, text_len, name, sk, out, sizeof(out)), 0);

	/* A secret key whose public half is not its seed's is caught before publishing. */
	{
		uint8_t bad[crypto_sign_SECRETKEYBYTES];

		memcpy(bad, sk, sizeof(bad));
		bad[crypto_sign_SEEDBYTES] ^= 1;
		assert_int_not_equal(note_sign(text, text_len, "s.example", bad, out,
					       sizeof(out)), 0);
		sodium_memzero(bad, sizeof(bad));
	}

	/* Output bound: the note and its NUL, not one byte less. */
	assert_int_equal(note_sign(text, text_len, "s.example", sk, out, sizeof(out)), 0);
	memcpy(inplace, out, len + 1);
	for (size_t size = 0; size <= len; size++) {
		static char small[NOTE_BYTES_MAX + 1];

		memset(small, 'z', sizeof(small));
		assert_int_not_equal(note_sign(text, text_len, "s.example", sk, small, size), 0);
		if (size > 0)
			assert_int_equal(small[0], '\0');
		assert_int_equal(small[size], 'z');
	}
	assert_int_equal(note_sign(text, text_len, "s.example", sk, out, len + 1), 0);
	assert_string_equal(out, inplace);

	/* Signing in place: the text is the start of the note anyway. */
	memcpy(inplace, text, text_len);
	assert_int_equal(note_sign(inplace, text_len, "s.example", sk, inplace,
				   sizeof(inplace)), 0);
	assert_string_equal(inplace, out);
	sodium_memzero(sk, sizeof(sk));
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

/* Texts shown as they are (an account's reference on the treasurer's list):
 * printable UTF-8 only; controls of every range and broken sequences are not. */
static bool printable(const char *text)
{
	return note_text_printable(text, strlen(text));
}

static void test_text_printable(void **state)
{
	(void)state;
	assert_true(printable("Boulangerie Dupont"));
	assert_true(printable("\xc3\x89picerie du Marais"));      /* É */
	assert_false(printable("a\nb"));
	assert_false(printable("a\x1b[2Jb"));                     /* ESC */
	assert_false(printable("a\x7f"));                         /* DEL */
	assert_false(printable("a\xc2\x9b"));                     /* C1 CSI */
	assert_false(printable("\xc3"));                         /* cut short */
	assert_false(printable("\xc0\xaf"));                     /* overlong */
	assert_false(printable("\xed\xa0\x80"));                 /* a surrogate */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519_vectors),
		cmocka_unit_test(test_signed_note_vectors),
		cmocka_unit_test(test_key_id_vectors),
		cmocka_unit_test(test_checkpoint_parse_only_vectors),
		cmocka_unit_test(test_cosignature_layout_vectors),
		cmocka_unit_test(test_checkpoint_round_trip),
		cmocka_unit_test(test_checkpoint_strict),
		cmocka_unit_test(test_note_bounds),
		cmocka_unit_test(test_verifier_keys),
		cmocka_unit_test(test_note_sign_refusals),
		cmocka_unit_test(test_text_printable),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
