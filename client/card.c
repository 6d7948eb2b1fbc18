/*
 * card.c: cards for members without a smartphone (manne.h, SPEC §10,
 * docs/cards.md): parse a card, open it with its PIN and the secret the
 * ledger releases for the right PIN, pay with it; and the board's side,
 * sealing a new card and registering it. The construction is in
 * ledger/keys/card.h; this file speaks to the ledger.
 */
#include <ctype.h>
#include <string.h>

#include <sodium.h>

#include "ledger/keys/card.h"
#include "manne_internal.h"

_Static_assert(MANNE_CARD_TEXT_BYTES == CARD_TEXT_BYTES, "card text");
_Static_assert(MANNE_CARD_PIN_CHECK_BYTES == CARD_PIN_CHECK_BYTES, "pin check");
_Static_assert(MANNE_CARD_WRONG_PINS_MAX == CARD_WRONG_PINS_MAX, "wrong PINs");

static void public_card(const struct card *c, struct manne_card *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->account, c->account, 32);
	out->argon2_passes = c->ops;
	out->argon2_memory_kib = 1ULL << c->mem_log2_kib;
	card_format(c, out->text);
}

enum manne_status manne_card_parse(const char *text, size_t len, struct manne_card *out)
{
	struct card c;
	enum manne_status status;

	if (text == NULL || out == NULL)
		return MANNE_ERR_ARGUMENT;
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)text[0])) {
		text++;
		len--;
	}
	status = card_parse(text, len, &c);
	if (status == MANNE_OK)
		public_card(&c, out);
	return status;
}

/* The parsed card again: a caller's structure is input too. */
static enum manne_status inner_card(struct manne *m, const struct manne_card *card, struct card *out)
{
	if (card == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a card is needed");
	enum manne_status status = card_parse(card->text, strnlen(card->text, sizeof(card->text)), out);
	if (status != MANNE_OK)
		return manne_fail(m, status, "%s", manne_status_message(status));
	return MANNE_OK;
}

/* Sends the sealed unlock request once (a resent wrong PIN would count
 * twice) and opens the reply's box. */
static enum manne_status ask_secret(struct manne *m, const struct card *c, const uint8_t proof[32],
				    uint8_t secret[CARD_SECRET_BYTES], uint32_t *tries_left)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__CardUnlockRequest unlock = MANNE__CARD_UNLOCK_REQUEST__INIT;
	Manne__Response *r = NULL;
	struct card_unlock fields;
	uint8_t sealed[CARD_UNLOCK_SEALED_BYTES];
	uint32_t attempts = m->attempts;
	enum manne_status status;

	memcpy(fields.account, c->account, 32);
	memcpy(fields.till, m->auth_key.public_key, 32);
	card_possession_tag(c, fields.tag);
	memcpy(fields.proof, proof, CARD_PIN_PROOF_BYTES);
	randombytes_buf(fields.reply_key, sizeof(fields.reply_key));
	card_unlock_seal(&fields, c->ledger_key, sealed);
	unlock.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)c->account};
	unlock.sealed = (ProtobufCBinaryData){.len = sizeof(sealed), .data = sealed};
	request.kind_case = MANNE__REQUEST__KIND_CARD_UNLOCK;
	request.card_unlock = &unlock;
	m->attempts = 1;
	status = manne_call(m, &request, 0, &r);
	m->attempts = attempts;
	if (r != NULL && r->kind_case == MANNE__RESPONSE__KIND_CARD_UNLOCK && tries_left != NULL)
		*tries_left = r->card_unlock->tries_left > CARD_WRONG_PINS_MAX ? 0 : r->card_unlock->tries_left;
	if (status == MANNE_OK) {
		const Manne__CardUnlockResult *u = r->kind_case == MANNE__RESPONSE__KIND_CARD_UNLOCK ? r->card_unlock : NULL;
		if (u == NULL || u->nonce.len != CARD_REPLY_NONCE_BYTES || u->secret_box.len != CARD_REPLY_BOX_BYTES ||
		    card_reply_open(u->nonce.data, u->secret_box.data, fields.reply_key, secret) != 0)
			status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger's answer to the unlock does not open");
	}
	sodium_memzero(&fields, sizeof(fields));
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	return status;
}

enum manne_status manne_card_unlock(struct manne *m, const struct manne_card *card, const char *pin,
				    struct manne_key *key_out, uint32_t *tries_left)
{
	uint8_t h[32], proof[CARD_PIN_PROOF_BYTES], secret[CARD_SECRET_BYTES], seed[32];
	struct card c;
	enum manne_status status;

	if (m == NULL)
		return MANNE_ERR_ARGUMENT;
	manne_clear_error(m);
	if (key_out == NULL || pin == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a PIN and room for the key are needed");
	if ((status = inner_card(m, card, &c)) != MANNE_OK)
		return status;
	if (!m->authenticated)
		return manne_fail(m, MANNE_ERR_NOT_PERMITTED,
				  "authenticate as the till (the shop, producer or counter) before opening a card");
	if ((status = card_pin_hash(&c, pin, h)) != MANNE_OK)
		return manne_fail(m, status, "%s", manne_status_message(status));
	card_pin_proof(h, c.account, proof);
	status = ask_secret(m, &c, proof, secret, tries_left);
	if (status == MANNE_OK) {
		status = card_open(&c, h, secret, seed);
		if (status == MANNE_OK) {
			crypto_sign_seed_keypair(key_out->public_key, key_out->secret_key, seed);
		} else {
			status = manne_fail(m, status, "%s", manne_status_message(status));
		}
	}
	sodium_memzero(h, sizeof(h));
	sodium_memzero(proof, sizeof(proof));
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(seed, sizeof(seed));
	return status;
}

enum manne_status manne_card_pay(struct manne *m, const struct manne_card *card, const char *pin,
				 const uint8_t payee[MANNE_PUBLICKEYBYTES], const uint8_t *counter, uint64_t amount_centimes,
				 const char *memo, const char *payee_reference, uint32_t *tries_left,
				 struct manne_receipt *receipt_out)
{
	struct manne_key member;
	const struct manne_key *signer = &member;
	struct manne_tx tx = {.kind = MANNE_KIND_PAY, .account = payee, .amount = amount_centimes, .text = memo,
			      .reference = payee_reference, .counter = counter};
	enum manne_status status;

	if (m != NULL && payee == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a payee is needed");
	status = manne_card_unlock(m, card, pin, &member, tries_left);
	if (status != MANNE_OK)
		return status;
	/* The key signs this one payment (the first attempt signs; a resend
	 * sends the same bytes) and is wiped before the answer is known. */
	status = manne_submit_tx(m, &tx, &signer, 1, 0, receipt_out);
	manne_key_wipe(&member);
	return status;
}

enum manne_status manne_card_ledger_key(struct manne *m, uint8_t out[32])
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest s = MANNE__STATUS_REQUEST__INIT;
	Manne__Response *r = NULL;
	enum manne_status status;

	if (m == NULL || out == NULL)
		return m == NULL ? MANNE_ERR_ARGUMENT : manne_fail(m, MANNE_ERR_ARGUMENT, "room for the key is needed");
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &s;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK) {
		if (r->kind_case != MANNE__RESPONSE__KIND_STATUS_INFO || r->status_info->card_key.len != 32)
			status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger publishes no card key");
		else
			memcpy(out, r->status_info->card_key.data, 32);
	}
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	return status;
}

static bool power_of_two_log2(uint64_t kib, unsigned *log2)
{
	for (unsigned i = 0; i < 64; i++) {
		if (kib == (1ULL << i)) {
			*log2 = i;
			return true;
		}
	}
	return false;
}

enum manne_status manne_card_seal(const struct manne_key *member, const char *pin, const uint8_t ledger_card_key[32],
				  uint32_t passes, uint64_t memory_kib, struct manne_card *card_out,
				  uint8_t pin_check[MANNE_CARD_PIN_CHECK_BYTES])
{
	unsigned mem_log2 = CARD_MEM_LOG2_KIB_DEFAULT;
	struct card c;
	enum manne_status status;

	if (member == NULL || pin == NULL || ledger_card_key == NULL || card_out == NULL || pin_check == NULL)
		return MANNE_ERR_ARGUMENT;
	if (passes == 0 && memory_kib == 0)
		passes = CARD_OPS_DEFAULT;
	else if (!power_of_two_log2(memory_kib, &mem_log2))
		return MANNE_ERR_CARD_LIMITS;
	status = card_seal(member->secret_key, pin, passes, mem_log2, ledger_card_key, &c, pin_check);
	if (status == MANNE_OK)
		public_card(&c, card_out);
	sodium_memzero(&c, sizeof(c));
	return status;
}

enum manne_status manne_card_register(struct manne *m, const struct manne_key *const *board, size_t board_count,
				      const uint8_t account[MANNE_PUBLICKEYBYTES],
				      const uint8_t pin_check[MANNE_CARD_PIN_CHECK_BYTES], struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_SET_CARD, .account = account, .code = MANNE_CARD_REGISTER,
			      .pin_check = pin_check};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_card_unlock_board(struct manne *m, const struct manne_key *const *board, size_t board_count,
					  const uint8_t account[MANNE_PUBLICKEYBYTES], struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_SET_CARD, .account = account, .code = MANNE_CARD_UNLOCK};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}
