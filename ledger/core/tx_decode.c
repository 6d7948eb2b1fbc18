/*
 * tx_decode.c: from bytes on the wire to a transaction whose shape, ledger,
 * amount and signatures are known good (see tx.h for what is checked where).
 */
#include "tx.h"

#include <stdatomic.h>
#include <string.h>

#include <sodium.h>

#include "ledger/log/ledger_limits.h"


static const struct wire_limit tx_limits[] = {
	{&manne__signed_tx__descriptor, 1, SIGNED_TX_BYTES_MAX},
	{&manne__signature__descriptor, 2, crypto_sign_BYTES},
	{&manne__tx_body__descriptor, 1, ORIGIN_BYTES_MAX},
	{&manne__open_account__descriptor, 6, ACCOUNT_REFERENCE_BYTES_MAX},
	{&manne__fund_reserve__descriptor, 2, REFERENCE_BYTES_MAX},
	{&manne__release_reserve__descriptor, 2, REFERENCE_BYTES_MAX},
	{&manne__issue__descriptor, 4, PROGRAMME_BYTES_MAX},
	{&manne__issue__descriptor, 5, REFERENCE_BYTES_MAX},
	{&manne__reverse_issue__descriptor, 3, REFERENCE_BYTES_MAX},
	{&manne__retire_dormant__descriptor, 2, REFERENCE_BYTES_MAX},
	{&manne__pay__descriptor, 3, MEMO_BYTES_MAX},
	{&manne__pay__descriptor, 4, PAYEE_REFERENCE_BYTES_MAX},
	{&manne__refund__descriptor, 3, MEMO_BYTES_MAX},
	{&manne__settle_redemption__descriptor, 3, REFERENCE_BYTES_MAX},
	{&manne__set_card__descriptor, 3, CARD_PIN_CHECK_BYTES},
};

/* Keys, txids, nonces and the genesis id are at most 32 bytes. */
static const struct wire_rules tx_rules = {
	.limits = tx_limits,
	.limit_count = sizeof(tx_limits) / sizeof(tx_limits[0]),
	.default_max = 32,
	.depth_max = WIRE_DEPTH_MAX,
};

size_t tx_arena_bytes(size_t len)
{
	return TX_ARENA_BYTES(len);
}

int origin_valid(const char *origin, size_t len)
{
	if (len == 0 || len > ORIGIN_BYTES_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)origin[i];
		if (c <= 0x20 || c >= 0x7f || c == '+')
			return -1;
	}
	return 0;
}

static bool is_key(ProtobufCBinaryData b)
{
	return b.len == KEY_BYTES;
}

/* SPEC §3: a key registered without signing (the genesis's checkpoint and
 * association keys) must be a canonical point of the main subgroup, not of
 * small order: libsodium's test is the one its strict verification applies
 * to the keys that do sign. */
static bool is_strong_key(ProtobufCBinaryData b)
{
	return is_key(b) && crypto_core_ed25519_is_valid_point(b.data) == 1;
}

static bool keys_distinct(size_t n, const ProtobufCBinaryData *keys)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (memcmp(keys[i].data, keys[j].data, KEY_BYTES) == 0)
				return false;
	return true;
}

static bool board_shape_ok(size_t n, ProtobufCBinaryData *keys, uint32_t threshold)
{
	if (n == 0 || n > BOARD_KEYS_MAX || threshold == 0 || threshold > n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_key(keys[i]))
			return false;
	return keys_distinct(n, keys);
}

static bool account_signed(Manne__TxBody__KindCase kind)
{
	return kind == MANNE__TX_BODY__KIND_PAY || kind == MANNE__TX_BODY__KIND_REFUND ||
	       kind == MANNE__TX_BODY__KIND_REDEEM;
}

/* The shape of each kind's fields: sizes, required enums and texts. */
static bool kind_shape_ok(const Manne__TxBody *b)
{
	switch (b->kind_case) {
	case MANNE__TX_BODY__KIND_GENESIS: {
		const Manne__Genesis *g = b->genesis;
		return board_shape_ok(g->n_board_keys, g->board_keys, g->threshold) &&
		       is_strong_key(g->checkpoint_key) && is_strong_key(g->association_key) && g->day_rules != NULL &&
		       g->day_rules->utc_offset_minutes >= UTC_OFFSET_MINUTES_MIN &&
		       g->day_rules->utc_offset_minutes <= UTC_OFFSET_MINUTES_MAX;
	}
	case MANNE__TX_BODY__KIND_OPEN_ACCOUNT:
		return is_key(b->open_account->key) && b->open_account->role != MANNE__ROLE__ROLE_UNSPECIFIED;
	case MANNE__TX_BODY__KIND_SET_ACCOUNT:
		return is_key(b->set_account->account) &&
		       b->set_account->action != MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_ACTION_UNSPECIFIED;
	case MANNE__TX_BODY__KIND_FREEZE:
		return is_key(b->freeze->account);
	case MANNE__TX_BODY__KIND_RECOVER_ACCOUNT:
		return is_key(b->recover_account->old_account) && is_key(b->recover_account->new_account);
	case MANNE__TX_BODY__KIND_FUND_RESERVE:
		return b->fund_reserve->bank_reference[0] != '\0';
	case MANNE__TX_BODY__KIND_RELEASE_RESERVE:
		return b->release_reserve->bank_reference[0] != '\0' &&
		       b->release_reserve->reason != MANNE__RELEASE_REASON__RELEASE_REASON_UNSPECIFIED;
	case MANNE__TX_BODY__KIND_ISSUE:
		return is_key(b->issue->account) && b->issue->reason != MANNE__ISSUE_REASON__ISSUE_REASON_UNSPECIFIED &&
		       b->issue->programme[0] != '\0';
	case MANNE__TX_BODY__KIND_REVERSE_ISSUE:
		return b->reverse_issue->issue_txid.len == TXID_BYTES && b->reverse_issue->reason[0] != '\0';
	case MANNE__TX_BODY__KIND_RETIRE_DORMANT:
		return is_key(b->retire_dormant->account) && b->retire_dormant->reason[0] != '\0';
	case MANNE__TX_BODY__KIND_PAY:
		return is_key(b->pay->payee) && (b->pay->counter.len == 0 || is_key(b->pay->counter));
	case MANNE__TX_BODY__KIND_REFUND:
		return b->refund->payment_txid.len == TXID_BYTES;
	case MANNE__TX_BODY__KIND_REDEEM:
		return true;
	case MANNE__TX_BODY__KIND_SETTLE_REDEMPTION: {
		const Manne__SettleRedemption *s = b->settle_redemption;
		if (s->redeem_txid.len != TXID_BYTES)
			return false;
		if (s->outcome == MANNE__SETTLE_OUTCOME__SETTLE_PAID)
			return s->bank_reference[0] != '\0';
		return s->outcome == MANNE__SETTLE_OUTCOME__SETTLE_REJECTED;
	}
	case MANNE__TX_BODY__KIND_SET_LEDGER:
		return true;
	case MANNE__TX_BODY__KIND_SET_BOARD:
		return board_shape_ok(b->set_board->n_keys, b->set_board->keys, b->set_board->threshold);
	case MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY:
		return is_key(b->set_checkpoint_key->key);
	case MANNE__TX_BODY__KIND_VOID_TX:
		return b->void_tx->txid.len == TXID_BYTES;
	case MANNE__TX_BODY__KIND_SET_CARD:
		if (!is_key(b->set_card->account))
			return false;
		if (b->set_card->action == MANNE__CARD_ACTION__CARD_REGISTER)
			return b->set_card->pin_check.len == CARD_PIN_CHECK_BYTES;
		return b->set_card->action == MANNE__CARD_ACTION__CARD_UNLOCK && b->set_card->pin_check.len == 0;
	default:
		return false;
	}
}

/* Who signs is part of a kind's shape: the board, an account, or (freeze) either. */
static bool signer_shape_ok(const Manne__TxBody *b)
{
	if (b->signer_case == MANNE__TX_BODY__SIGNER_BOARD) {
		if (!b->board || b->nonce.len != BOARD_NONCE_BYTES || b->sequence != 0)
			return false;
		return !account_signed(b->kind_case);
	}
	if (b->signer_case == MANNE__TX_BODY__SIGNER_ACCOUNT) {
		if (!is_key(b->account) || b->nonce.len != 0)
			return false;
		return account_signed(b->kind_case) || b->kind_case == MANNE__TX_BODY__KIND_FREEZE;
	}
	return false;
}

uint64_t tx_amount(const struct tx *tx)
{
	const Manne__TxBody *b = tx->body;
	switch (tx->kind) {
	case MANNE__TX_BODY__KIND_FUND_RESERVE:
		return b->fund_reserve->amount;
	case MANNE__TX_BODY__KIND_RELEASE_RESERVE:
		return b->release_reserve->amount;
	case MANNE__TX_BODY__KIND_ISSUE:
		return b->issue->amount;
	case MANNE__TX_BODY__KIND_REVERSE_ISSUE:
		return b->reverse_issue->amount;
	case MANNE__TX_BODY__KIND_PAY:
		return b->pay->amount;
	case MANNE__TX_BODY__KIND_REFUND:
		return b->refund->amount;
	case MANNE__TX_BODY__KIND_REDEEM:
		return b->redeem->amount;
	default:
		return 0;
	}
}

static bool amount_ok(uint64_t amount)
{
	return amount > 0 && amount <= AMOUNT_CENTIMES_MAX;
}

static bool limit_ok(uint64_t limit)
{
	return limit <= AMOUNT_CENTIMES_MAX;
}

/* Amounts, limits and rates (SPEC §2). */
static bool amounts_ok(const struct tx *tx)
{
	const Manne__TxBody *b = tx->body;
	switch (tx->kind) {
	case MANNE__TX_BODY__KIND_GENESIS:
		return b->genesis->fee_bp <= FEE_BP_MAX;
	case MANNE__TX_BODY__KIND_SET_LEDGER:
		return b->set_ledger->fee_bp <= FEE_BP_MAX;
	case MANNE__TX_BODY__KIND_OPEN_ACCOUNT:
		return limit_ok(b->open_account->max_payment) && limit_ok(b->open_account->max_daily);
	case MANNE__TX_BODY__KIND_SET_ACCOUNT:
		return limit_ok(b->set_account->max_payment) && limit_ok(b->set_account->max_daily);
	case MANNE__TX_BODY__KIND_FUND_RESERVE:
	case MANNE__TX_BODY__KIND_RELEASE_RESERVE:
	case MANNE__TX_BODY__KIND_ISSUE:
	case MANNE__TX_BODY__KIND_REVERSE_ISSUE:
	case MANNE__TX_BODY__KIND_PAY:
	case MANNE__TX_BODY__KIND_REFUND:
	case MANNE__TX_BODY__KIND_REDEEM:
		return amount_ok(tx_amount(tx));
	default:
		return true;
	}
}

static enum manne_status ledger_check(const struct tx *tx, const struct tx_identity *id)
{
	const Manne__TxBody *b = tx->body;
	size_t origin_len = strlen(b->origin);

	/* An empty ledger takes its origin from the genesis. */
	if (id->genesis_id == NULL)
		return tx->kind == MANNE__TX_BODY__KIND_GENESIS ? MANNE_OK : MANNE_ERR_WRONG_LEDGER;
	if (origin_len != id->origin_len || memcmp(b->origin, id->origin, origin_len) != 0)
		return MANNE_ERR_WRONG_LEDGER;
	if (b->genesis_id.len != TXID_BYTES || memcmp(b->genesis_id.data, id->genesis_id, TXID_BYTES) != 0)
		return MANNE_ERR_WRONG_LEDGER;
	return MANNE_OK;
}

enum manne_status tx_decode(const uint8_t *bytes, size_t len, const struct tx_identity *identity,
			    struct arena *arena, struct tx *out)
{
	ProtobufCAllocator allocator = arena_allocator(arena);
	Manne__SignedTx *signed_tx;
	Manne__TxBody *body;
	uint8_t *message;

	memset(out, 0, sizeof(*out));
	out->bytes = bytes;
	out->len = len;
	if (len == 0 || len > SIGNED_TX_BYTES_MAX ||
	    wire_strict_check(&manne__signed_tx__descriptor, bytes, len, &tx_rules) != 0)
		return MANNE_ERR_MALFORMED;
	signed_tx = manne__signed_tx__unpack(&allocator, len, bytes);
	if (signed_tx == NULL || signed_tx->body.len == 0 || signed_tx->n_signatures > TX_SIGNATURES_MAX)
		return MANNE_ERR_MALFORMED;
	for (size_t i = 0; i < signed_tx->n_signatures; i++) {
		if (!is_key(signed_tx->signatures[i]->key) ||
		    signed_tx->signatures[i]->signature.len != crypto_sign_BYTES)
			return MANNE_ERR_MALFORMED;
	}
	if (wire_strict_check(&manne__tx_body__descriptor, signed_tx->body.data, signed_tx->body.len,
			      &tx_rules) != 0)
		return MANNE_ERR_MALFORMED;
	body = manne__tx_body__unpack(&allocator, signed_tx->body.len, signed_tx->body.data);
	if (body == NULL)
		return MANNE_ERR_MALFORMED;
	out->signed_tx = signed_tx;
	out->body = body;
	out->kind = body->kind_case;
	if (origin_valid(body->origin, strlen(body->origin)) != 0 || !signer_shape_ok(body) ||
	    !kind_shape_ok(body))
		return MANNE_ERR_MALFORMED;
	if ((body->kind_case == MANNE__TX_BODY__KIND_GENESIS) != (body->genesis_id.len == 0))
		return MANNE_ERR_MALFORMED;
	if (body->signer_case == MANNE__TX_BODY__SIGNER_ACCOUNT)
		out->signer = body->account.data;

	message = allocator.alloc(allocator.allocator_data, TX_DOMAIN_BYTES + signed_tx->body.len);
	if (message == NULL)
		return MANNE_ERR_MALFORMED;
	memcpy(message, TX_DOMAIN, TX_DOMAIN_BYTES); /* the terminating NUL is the 0x00 separator */
	memcpy(message + TX_DOMAIN_BYTES, signed_tx->body.data, signed_tx->body.len);
	out->signed_message = message;
	out->signed_message_len = TX_DOMAIN_BYTES + signed_tx->body.len;
	crypto_hash_sha256(out->txid, signed_tx->body.data, signed_tx->body.len);

	enum manne_status status = ledger_check(out, identity);
	if (status != MANNE_OK)
		return status;
	if (!amounts_ok(out))
		return MANNE_ERR_INVALID_AMOUNT;
	return MANNE_OK;
}

static _Atomic uint64_t verifications;

uint64_t tx_signature_verifications(void)
{
	return atomic_load_explicit(&verifications, memory_order_relaxed);
}

bool tx_signature_ok(const struct tx *tx, size_t i)
{
	const Manne__Signature *sig = tx->signed_tx->signatures[i];
	atomic_fetch_add_explicit(&verifications, 1, memory_order_relaxed);
	return crypto_sign_verify_detached(sig->signature.data, tx->signed_message, tx->signed_message_len,
					   sig->key.data) == 0;
}

/* Keys a board act's body names as co-signers (a superset of those apply.c
 * requires: set_board's keys already on the board are named too). */
static bool named_by_body(const Manne__TxBody *b, const uint8_t key[KEY_BYTES])
{
	switch (b->kind_case) {
	case MANNE__TX_BODY__KIND_GENESIS:
		for (size_t i = 0; i < b->genesis->n_board_keys; i++)
			if (memcmp(b->genesis->board_keys[i].data, key, KEY_BYTES) == 0)
				return true;
		return false;
	case MANNE__TX_BODY__KIND_OPEN_ACCOUNT:
		return memcmp(b->open_account->key.data, key, KEY_BYTES) == 0;
	case MANNE__TX_BODY__KIND_RECOVER_ACCOUNT:
		return memcmp(b->recover_account->new_account.data, key, KEY_BYTES) == 0;
	case MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY:
		return memcmp(b->set_checkpoint_key->key.data, key, KEY_BYTES) == 0;
	case MANNE__TX_BODY__KIND_SET_BOARD:
		for (size_t i = 0; i < b->set_board->n_keys; i++)
			if (memcmp(b->set_board->keys[i].data, key, KEY_BYTES) == 0)
				return true;
		return false;
	default:
		return false;
	}
}

static bool in_snapshot(const struct tx_board *board, const uint8_t key[KEY_BYTES])
{
	for (uint32_t i = 0; i < board->count; i++)
		if (memcmp(board->keys[i], key, KEY_BYTES) == 0)
			return true;
	return false;
}

enum manne_status tx_verify_signatures(struct tx *tx, const struct tx_board *board)
{
	const Manne__SignedTx *s = tx->signed_tx;

	/* SPEC §4: a board act without signatures has not enough of them. */
	if (s->n_signatures == 0)
		return tx->signer != NULL ? MANNE_ERR_BAD_SIGNATURE : MANNE_ERR_NOT_ENOUGH_SIGNATURES;
	for (size_t i = 0; i < s->n_signatures; i++)
		for (size_t j = 0; j < i; j++)
			if (memcmp(s->signatures[j]->key.data, s->signatures[i]->key.data, KEY_BYTES) == 0)
				return MANNE_ERR_BAD_SIGNATURE;
	if (tx->signer == NULL) {
		/* A board act: verified here only if every key is one the board
		 * (as of the snapshot) or the body names; else apply.c decides. */
		if (board == NULL)
			return MANNE_OK;
		for (size_t i = 0; i < s->n_signatures; i++) {
			const uint8_t *key = s->signatures[i]->key.data;
			if (!in_snapshot(board, key) && !named_by_body(tx->body, key))
				return MANNE_OK;
		}
		for (size_t i = 0; i < s->n_signatures; i++)
			if (!tx_signature_ok(tx, i))
				return MANNE_ERR_BAD_SIGNATURE;
		tx->signatures_verified = true;
		return MANNE_OK;
	}
	/* An account signs alone. */
	if (s->n_signatures != 1 || memcmp(s->signatures[0]->key.data, tx->signer, KEY_BYTES) != 0)
		return MANNE_ERR_BAD_SIGNATURE;
	return tx_signature_ok(tx, 0) ? MANNE_OK : MANNE_ERR_BAD_SIGNATURE;
}

const char *tx_kind_name(Manne__TxBody__KindCase kind)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(&manne__tx_body__descriptor, (unsigned)kind);
	return f != NULL && kind >= MANNE__TX_BODY__KIND_GENESIS ? f->name : "unknown";
}
