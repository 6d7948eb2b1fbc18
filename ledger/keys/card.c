/*
 * card.c: the sealed card of SPEC §10; card.h gives the construction.
 */
#include "card.h"

#include <string.h>

#include <sodium.h>

#include "base45.h"

#define VERSION_TEXT "MANNE:C1:"
#define VERSION_TEXT_BYTES (sizeof(VERSION_TEXT) - 1)

_Static_assert(VERSION_TEXT_BYTES + BASE45_ENCODED_LEN(CARD_PAYLOAD_BYTES) == CARD_TEXT_BYTES, "card length");
_Static_assert(CARD_SEALED_SEED_BYTES == 32 + crypto_aead_xchacha20poly1305_ietf_ABYTES, "sealed seed");
_Static_assert(CARD_PIN_CHECK_BYTES == sizeof(struct card_check) + crypto_box_SEALBYTES, "pin check");
_Static_assert(CARD_UNLOCK_SEALED_BYTES == sizeof(struct card_unlock) + crypto_box_SEALBYTES, "unlock request");
_Static_assert(sizeof(struct card_check) == 128 && sizeof(struct card_unlock) == 160, "no padding");
_Static_assert(CARD_REPLY_NONCE_BYTES == crypto_secretbox_NONCEBYTES, "reply nonce");
_Static_assert(CARD_REPLY_BOX_BYTES == CARD_SECRET_BYTES + crypto_secretbox_MACBYTES, "reply box");

static void header_bytes(const struct card *c, uint8_t out[CARD_HEADER_BYTES])
{
	out[0] = c->ops;
	out[1] = c->mem_log2_kib;
	memcpy(out + 2, c->salt, CARD_SALT_BYTES);
	memcpy(out + 2 + CARD_SALT_BYTES, c->account, 32);
	memcpy(out + 2 + CARD_SALT_BYTES + 32, c->ledger_key, 32);
}

static bool limits_ok(unsigned ops, unsigned mem_log2_kib)
{
	return ops >= CARD_OPS_MIN && ops <= CARD_OPS_MAX && mem_log2_kib >= CARD_MEM_LOG2_KIB_MIN &&
	       mem_log2_kib <= CARD_MEM_LOG2_KIB_MAX;
}

enum manne_status card_parse(const char *text, size_t len, struct card *out)
{
	const size_t prefix = sizeof(CARD_PREFIX) - 1;
	uint8_t payload[CARD_PAYLOAD_BYTES + 1];
	size_t i = prefix;

	if (len < prefix || memcmp(text, CARD_PREFIX, prefix) != 0)
		return MANNE_ERR_CARD_FORMAT;
	while (i < len && i < prefix + 4 && text[i] >= '0' && text[i] <= '9')
		i++;
	if (i == prefix || i >= len || text[i] != ':')
		return MANNE_ERR_CARD_FORMAT;
	if (i != VERSION_TEXT_BYTES - 1 || memcmp(text, VERSION_TEXT, VERSION_TEXT_BYTES) != 0)
		return MANNE_ERR_CARD_VERSION;
	if (len != CARD_TEXT_BYTES ||
	    base45_decode(text + VERSION_TEXT_BYTES, len - VERSION_TEXT_BYTES, payload, sizeof(payload)) !=
		    (long)CARD_PAYLOAD_BYTES)
		return MANNE_ERR_CARD_FORMAT;
	memset(out, 0, sizeof(*out));
	out->ops = payload[0];
	out->mem_log2_kib = payload[1];
	memcpy(out->salt, payload + 2, CARD_SALT_BYTES);
	memcpy(out->account, payload + 2 + CARD_SALT_BYTES, 32);
	memcpy(out->ledger_key, payload + 2 + CARD_SALT_BYTES + 32, 32);
	memcpy(out->sealed_seed, payload + CARD_HEADER_BYTES, CARD_SEALED_SEED_BYTES);
	return limits_ok(out->ops, out->mem_log2_kib) ? MANNE_OK : MANNE_ERR_CARD_LIMITS;
}

void card_format(const struct card *card, char out[CARD_TEXT_BYTES + 1])
{
	uint8_t payload[CARD_PAYLOAD_BYTES];
	header_bytes(card, payload);
	memcpy(payload + CARD_HEADER_BYTES, card->sealed_seed, CARD_SEALED_SEED_BYTES);
	memcpy(out, VERSION_TEXT, VERSION_TEXT_BYTES);
	base45_encode(payload, sizeof(payload), out + VERSION_TEXT_BYTES);
	out[CARD_TEXT_BYTES] = '\0';
}

enum manne_status card_pin_check_format(const char *pin, bool strict)
{
	size_t n = strnlen(pin, CARD_PIN_DIGITS_MAX + 1);
	bool same = true, up = true, down = true;

	if (n < CARD_PIN_DIGITS_MIN || n > CARD_PIN_DIGITS_MAX)
		return MANNE_ERR_PIN_FORMAT;
	for (size_t i = 0; i < n; i++) {
		if (pin[i] < '0' || pin[i] > '9')
			return MANNE_ERR_PIN_FORMAT;
		if (i > 0) {
			same &= pin[i] == pin[i - 1];
			up &= pin[i] == pin[i - 1] + 1;
			down &= pin[i] == pin[i - 1] - 1;
		}
	}
	return strict && (same || up || down) ? MANNE_ERR_PIN_FORMAT : MANNE_OK;
}

enum manne_status card_pin_hash(const struct card *card, const char *pin, uint8_t h[32])
{
	if (card_pin_check_format(pin, false) != MANNE_OK)
		return MANNE_ERR_PIN_FORMAT;
	if (!limits_ok(card->ops, card->mem_log2_kib))
		return MANNE_ERR_CARD_LIMITS;
	if (crypto_pwhash(h, 32, pin, strlen(pin), card->salt, card->ops, (size_t)1024U << card->mem_log2_kib,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return MANNE_ERR_NO_MEMORY;
	return MANNE_OK;
}

static void keyed_hash(uint8_t out[32], const uint8_t key[32], const char *label, const uint8_t *data, size_t len)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, 32, 32);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof(st));
}

void card_pin_proof(const uint8_t h[32], const uint8_t account[32], uint8_t proof[CARD_PIN_PROOF_BYTES])
{
	keyed_hash(proof, h, "manne card pin v1", account, 32);
}

static const uint8_t zero_nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];

enum manne_status card_open(const struct card *card, const uint8_t h[32], const uint8_t secret[CARD_SECRET_BYTES],
			    uint8_t seed[32])
{
	uint8_t key[32], header[CARD_HEADER_BYTES], ad[VERSION_TEXT_BYTES + CARD_HEADER_BYTES];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	int rc;

	keyed_hash(key, secret, "manne card seal v1", h, 32);
	header_bytes(card, header);
	memcpy(ad, VERSION_TEXT, VERSION_TEXT_BYTES);
	memcpy(ad + VERSION_TEXT_BYTES, header, sizeof(header));
	/* The key is used for this card only (a fresh salt and secret), so the
	 * nonce may be fixed. */
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL, card->sealed_seed, CARD_SEALED_SEED_BYTES,
							ad, sizeof(ad), zero_nonce, key);
	sodium_memzero(key, sizeof(key));
	if (rc != 0)
		return MANNE_ERR_CARD_OPEN;
	crypto_sign_seed_keypair(pk, sk, seed);
	rc = sodium_memcmp(pk, card->account, 32);
	sodium_memzero(sk, sizeof(sk));
	if (rc != 0) {
		sodium_memzero(seed, 32);
		return MANNE_ERR_CARD_OPEN;
	}
	return MANNE_OK;
}

enum manne_status card_seal_with(const uint8_t seed[32], const char *pin, unsigned ops, unsigned mem_log2_kib,
				 const uint8_t ledger_key[32], const uint8_t salt[CARD_SALT_BYTES],
				 const uint8_t secret[CARD_SECRET_BYTES], struct card *card,
				 uint8_t pin_check[CARD_PIN_CHECK_BYTES])
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t h[32], key[32], header[CARD_HEADER_BYTES], ad[VERSION_TEXT_BYTES + CARD_HEADER_BYTES];
	struct card_check check;
	enum manne_status status;

	if (!limits_ok(ops, mem_log2_kib))
		return MANNE_ERR_CARD_LIMITS;
	if (card_pin_check_format(pin, true) != MANNE_OK)
		return MANNE_ERR_PIN_FORMAT;
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(sk, sizeof(sk));
	memset(card, 0, sizeof(*card));
	card->ops = (uint8_t)ops;
	card->mem_log2_kib = (uint8_t)mem_log2_kib;
	memcpy(card->salt, salt, CARD_SALT_BYTES);
	memcpy(card->account, pk, 32);
	memcpy(card->ledger_key, ledger_key, 32);
	status = card_pin_hash(card, pin, h);
	if (status != MANNE_OK)
		return status;

	keyed_hash(key, secret, "manne card seal v1", h, 32);
	header_bytes(card, header);
	memcpy(ad, VERSION_TEXT, VERSION_TEXT_BYTES);
	memcpy(ad + VERSION_TEXT_BYTES, header, sizeof(header));
	crypto_aead_xchacha20poly1305_ietf_encrypt(card->sealed_seed, NULL, seed, 32, ad, sizeof(ad), NULL, zero_nonce,
						   key);
	memcpy(check.account, pk, 32);
	card_possession_tag(card, check.tag);
	card_pin_proof(h, pk, check.proof);
	memcpy(check.secret, secret, CARD_SECRET_BYTES);
	status = crypto_box_seal(pin_check, (const uint8_t *)&check, sizeof(check), ledger_key) == 0 ? MANNE_OK
												    : MANNE_ERR_INTERNAL;
	sodium_memzero(h, sizeof(h));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&check, sizeof(check));
	return status;
}

enum manne_status card_seal(const uint8_t seed[32], const char *pin, unsigned ops, unsigned mem_log2_kib,
			    const uint8_t ledger_key[32], struct card *card, uint8_t pin_check[CARD_PIN_CHECK_BYTES])
{
	uint8_t salt[CARD_SALT_BYTES], secret[CARD_SECRET_BYTES];
	enum manne_status status;

	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(secret, sizeof(secret));
	status = card_seal_with(seed, pin, ops, mem_log2_kib, ledger_key, salt, secret, card, pin_check);
	sodium_memzero(secret, sizeof(secret));
	return status;
}

int card_ledger_keypair(const uint8_t ed25519_secret_key[64], uint8_t public_key[32], uint8_t secret_key[32])
{
	if (crypto_sign_ed25519_sk_to_curve25519(secret_key, ed25519_secret_key) != 0)
		return -1;
	return crypto_scalarmult_base(public_key, secret_key);
}

void card_possession_tag(const struct card *card, uint8_t tag[32])
{
	static const char label[] = "manne card possession v1";
	uint8_t header[CARD_HEADER_BYTES];
	crypto_generichash_state st;

	header_bytes(card, header);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)label, sizeof(label) - 1);
	crypto_generichash_update(&st, header, sizeof(header));
	crypto_generichash_update(&st, card->sealed_seed, CARD_SEALED_SEED_BYTES);
	crypto_generichash_final(&st, tag, 32);
}

int card_pin_check_open(const uint8_t pin_check[CARD_PIN_CHECK_BYTES], const uint8_t ledger_pk[32],
			const uint8_t ledger_sk[32], struct card_check *out)
{
	return crypto_box_seal_open((uint8_t *)out, pin_check, CARD_PIN_CHECK_BYTES, ledger_pk, ledger_sk) == 0 ? 0 : -1;
}

void card_unlock_seal(const struct card_unlock *request, const uint8_t ledger_pk[32],
		      uint8_t out[CARD_UNLOCK_SEALED_BYTES])
{
	if (crypto_box_seal(out, (const uint8_t *)request, sizeof(*request), ledger_pk) != 0)
		memset(out, 0, CARD_UNLOCK_SEALED_BYTES); /* a key that is no point: the ledger refuses it */
}

int card_unlock_open(const uint8_t sealed[CARD_UNLOCK_SEALED_BYTES], const uint8_t ledger_pk[32],
		     const uint8_t ledger_sk[32], struct card_unlock *out)
{
	return crypto_box_seal_open((uint8_t *)out, sealed, CARD_UNLOCK_SEALED_BYTES, ledger_pk, ledger_sk) == 0 ? 0
														    : -1;
}

void card_reply_seal(const uint8_t secret[CARD_SECRET_BYTES], const uint8_t reply_key[CARD_REPLY_KEY_BYTES],
		     uint8_t nonce[CARD_REPLY_NONCE_BYTES], uint8_t box[CARD_REPLY_BOX_BYTES])
{
	randombytes_buf(nonce, CARD_REPLY_NONCE_BYTES);
	crypto_secretbox_easy(box, secret, CARD_SECRET_BYTES, nonce, reply_key);
}

int card_reply_open(const uint8_t nonce[CARD_REPLY_NONCE_BYTES], const uint8_t box[CARD_REPLY_BOX_BYTES],
		    const uint8_t reply_key[CARD_REPLY_KEY_BYTES], uint8_t secret[CARD_SECRET_BYTES])
{
	return crypto_secretbox_open_easy(secret, box, CARD_REPLY_BOX_BYTES, nonce, reply_key);
}
