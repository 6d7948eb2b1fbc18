/*
 * transactions.c: every transaction kind built from a struct manne_tx,
 * signed and submitted (manne.h), and the receipt checked against the bytes
 * that were sent.
 *
 * The body is packed once and those exact bytes are signed and sent: the
 * ledger stores and hashes them as received (SPEC §4), so a retry resends
 * the same SignedTx bytes, never a rebuilt one (a new nonce or time would
 * make it a second transaction).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "manne_internal.h"

#define TX_DOMAIN "MANNE-TX-V1"
#define TX_DOMAIN_BYTES 12U /* with its NUL, the 0x00 separator */
#define BOARD_NONCE_BYTES 16U

static const char *const kind_names[] = {
	[MANNE_KIND_GENESIS] = "genesis",
	[MANNE_KIND_OPEN_ACCOUNT] = "open_account",
	[MANNE_KIND_SET_ACCOUNT] = "set_account",
	[MANNE_KIND_FREEZE] = "freeze",
	[MANNE_KIND_RECOVER_ACCOUNT] = "recover_account",
	[MANNE_KIND_FUND_RESERVE] = "fund_reserve",
	[MANNE_KIND_RELEASE_RESERVE] = "release_reserve",
	[MANNE_KIND_ISSUE] = "issue",
	[MANNE_KIND_REVERSE_ISSUE] = "reverse_issue",
	[MANNE_KIND_RETIRE_DORMANT] = "retire_dormant",
	[MANNE_KIND_PAY] = "pay",
	[MANNE_KIND_REFUND] = "refund",
	[MANNE_KIND_REDEEM] = "redeem",
	[MANNE_KIND_SETTLE_REDEMPTION] = "settle_redemption",
	[MANNE_KIND_SET_LEDGER] = "set_ledger",
	[MANNE_KIND_SET_BOARD] = "set_board",
	[MANNE_KIND_SET_CHECKPOINT_KEY] = "set_checkpoint_key",
	[MANNE_KIND_VOID] = "void_tx",
	[MANNE_KIND_SET_CARD] = "set_card",
};

_Static_assert((int)MANNE_KIND_PAY == (int)MANNE__TX_BODY__KIND_PAY, "kinds are TxBody's field numbers");
_Static_assert((int)MANNE_KIND_VOID == (int)MANNE__TX_BODY__KIND_VOID_TX, "kinds are TxBody's field numbers");
_Static_assert((int)MANNE_KIND_SET_CARD == (int)MANNE__TX_BODY__KIND_SET_CARD, "kinds are TxBody's field numbers");
_Static_assert((int)MANNE_KIND_GENESIS == (int)MANNE__TX_BODY__KIND_GENESIS, "kinds are TxBody's field numbers");

const char *manne_kind_name(enum manne_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return NULL;
	return kind_names[kind];
}

enum manne_status manne_kind_parse(const char *name, enum manne_kind *out)
{
	for (unsigned k = MANNE_KIND_GENESIS; name != NULL && k <= MANNE_KIND_SET_CARD; k++) {
		if (strcmp(kind_names[k], name) == 0) {
			*out = (enum manne_kind)k;
			return MANNE_OK;
		}
	}
	return MANNE_ERR_ARGUMENT;
}

void manne_free(void *p)
{
	free(p);
}

/* Account transactions are signed by an account; everything else by the board.
 * freeze is either: decided by who signs it. */
static bool kind_is_account(enum manne_kind kind)
{
	return kind == MANNE_KIND_PAY || kind == MANNE_KIND_REFUND || kind == MANNE_KIND_REDEEM;
}

/* Room for a body's sub-messages: one of them is used. */
struct body_parts {
	Manne__TxBody body;
	Manne__OpenAccount open_account;
	Manne__SetAccount set_account;
	Manne__Freeze freeze;
	Manne__RecoverAccount recover_account;
	Manne__FundReserve fund_reserve;
	Manne__ReleaseReserve release_reserve;
	Manne__Issue issue;
	Manne__ReverseIssue reverse_issue;
	Manne__RetireDormant retire_dormant;
	Manne__Pay pay;
	Manne__Refund refund;
	Manne__Redeem redeem;
	Manne__SettleRedemption settle;
	Manne__SetLedger set_ledger;
	Manne__SetBoard set_board;
	Manne__SetCheckpointKey set_checkpoint_key;
	Manne__VoidTx void_tx;
	Manne__SetCard set_card;
	ProtobufCBinaryData keys[MANNE_BOARD_KEYS_MAX];
	uint8_t nonce[BOARD_NONCE_BYTES];
};

static ProtobufCBinaryData key_field(const uint8_t *key)
{
	return (ProtobufCBinaryData){.len = MANNE_PUBLICKEYBYTES, .data = (uint8_t *)key};
}

static char *text_field(const char *s)
{
	return (char *)(s == NULL ? "" : s);
}

static bool amount_ok(uint64_t amount)
{
	return amount >= 1 && amount <= MANNE_AMOUNT_CENTIMES_MAX;
}

/* Fills the kind's sub-message; false on an argument the ledger would refuse
 * as MALFORMED or INVALID_AMOUNT, so that the caller hears it before signing. */
static bool fill_kind(struct body_parts *p, const struct manne_tx *tx)
{
	Manne__TxBody *b = &p->body;

	b->kind_case = (Manne__TxBody__KindCase)tx->kind;
	switch (tx->kind) {
	case MANNE_KIND_OPEN_ACCOUNT:
		manne__open_account__init(&p->open_account);
		if (tx->account == NULL || tx->code < MANNE_ROLE_MEMBER || tx->code > MANNE_ROLE_COUNTER ||
		    tx->code == MANNE_ROLE_ASSOCIATION ||
		    !manne_text_ok(tx->reference, MANNE_ACCOUNT_REFERENCE_BYTES_MAX))
			return false;
		p->open_account.key = key_field(tx->account);
		p->open_account.role = (Manne__Role)tx->code;
		p->open_account.max_payment = tx->max_payment;
		p->open_account.max_daily = tx->max_daily;
		p->open_account.card_held = tx->card_held;
		if (tx->reference != NULL)
			p->open_account.reference =
				(ProtobufCBinaryData){.len = strlen(tx->reference), .data = (uint8_t *)tx->reference};
		b->open_account = &p->open_account;
		return tx->max_payment <= MANNE_AMOUNT_CENTIMES_MAX && tx->max_daily <= MANNE_AMOUNT_CENTIMES_MAX;
	case MANNE_KIND_SET_ACCOUNT:
		manne__set_account__init(&p->set_account);
		if (tx->account == NULL || tx->code < MANNE_SET_ACCOUNT_UNFREEZE || tx->code > MANNE_SET_ACCOUNT_CLOSE)
			return false;
		p->set_account.account = key_field(tx->account);
		p->set_account.action = (Manne__SetAccountAction)tx->code;
		p->set_account.max_payment = tx->max_payment;
		p->set_account.max_daily = tx->max_daily;
		b->set_account = &p->set_account;
		return tx->max_payment <= MANNE_AMOUNT_CENTIMES_MAX && tx->max_daily <= MANNE_AMOUNT_CENTIMES_MAX;
	case MANNE_KIND_FREEZE:
		manne__freeze__init(&p->freeze);
		if (tx->account == NULL)
			return false;
		p->freeze.account = key_field(tx->account);
		b->freeze = &p->freeze;
		return true;
	case MANNE_KIND_RECOVER_ACCOUNT:
		manne__recover_account__init(&p->recover_account);
		if (tx->account == NULL || tx->new_account == NULL)
			return false;
		p->recover_account.old_account = key_field(tx->account);
		p->recover_account.new_account = key_field(tx->new_account);
		b->recover_account = &p->recover_account;
		return true;
	case MANNE_KIND_FUND_RESERVE:
		manne__fund_reserve__init(&p->fund_reserve);
		p->fund_reserve.amount = tx->amount;
		p->fund_reserve.bank_reference = text_field(tx->text);
		b->fund_reserve = &p->fund_reserve;
		return amount_ok(tx->amount) && tx->text != NULL && tx->text[0] != '\0' &&
		       manne_text_ok(tx->text, MANNE_TEXT_BYTES_MAX);
	case MANNE_KIND_RELEASE_RESERVE:
		manne__release_reserve__init(&p->release_reserve);
		p->release_reserve.amount = tx->amount;
		p->release_reserve.bank_reference = text_field(tx->text);
		p->release_reserve.reason = (Manne__ReleaseReason)tx->code;
		b->release_reserve = &p->release_reserve;
		return amount_ok(tx->amount) && tx->text != NULL && tx->text[0] != '\0' &&
		       manne_text_ok(tx->text, MANNE_TEXT_BYTES_MAX) && tx->code >= MANNE_RELEASE_SURPLUS &&
		       tx->code <= MANNE_RELEASE_CORRECTION;
	case MANNE_KIND_ISSUE:
		manne__issue__init(&p->issue);
		if (tx->account == NULL)
			return false;
		p->issue.account = key_field(tx->account);
		p->issue.amount = tx->amount;
		p->issue.reason = (Manne__IssueReason)tx->code;
		p->issue.programme = text_field(tx->text);
		p->issue.reference = text_field(tx->reference);
		b->issue = &p->issue;
		return amount_ok(tx->amount) && tx->code >= MANNE_ISSUE_PARTICIPATION && tx->code <= MANNE_ISSUE_GRANT &&
		       tx->text != NULL && tx->text[0] != '\0' && manne_text_ok(tx->text, MANNE_TEXT_BYTES_MAX) &&
		       manne_text_ok(tx->reference, MANNE_TEXT_BYTES_MAX);
	case MANNE_KIND_REVERSE_ISSUE:
		manne__reverse_issue__init(&p->reverse_issue);
		if (tx->txid == NULL)
			return false;
		p->reverse_issue.issue_txid = (ProtobufCBinaryData){.len = MANNE_TXIDBYTES, .data = (uint8_t *)tx->txid};
		p->reverse_issue.amount = tx->amount;
		p->reverse_issue.reason = text_field(tx->text);
		b->reverse_issue = &p->reverse_issue;
		return amount_ok(tx->amount) && tx->text != NULL && tx->text[0] != '\0' &&
		       manne_text_ok(tx->text, MANNE_TEXT_BYTES_MAX);
	case MANNE_KIND_RETIRE_DORMANT:
		manne__retire_dormant__init(&p->retire_dormant);
		if (tx->account == NULL)
			return false;
		p->retire_dormant.account = key_field(tx->account);
		p->retire_dormant.reason = text_field(tx->text);
		b->retire_dormant = &p->retire_dormant;
		return tx->text != NULL && tx->text[0] != '\0' && manne_text_ok(tx->text, MANNE_TEXT_BYTES_MAX);
	case MANNE_KIND_PAY:
		manne__pay__init(&p->pay);
		if (tx->account == NULL)
			return false;
		p->pay.payee = key_field(tx->account);
		p->pay.amount = tx->amount;
		p->pay.memo = text_field(tx->text);
		p->pay.payee_reference = text_field(tx->reference);
		if (tx->counter != NULL)
			p->pay.counter = key_field(tx->counter);
		b->pay = &p->pay;
		return amount_ok(tx->amount) && manne_text_ok(tx->text, MANNE_MEMO_BYTES_MAX) &&
		       manne_text_ok(tx->reference, MANNE_PAYEE_REFERENCE_BYTES_MAX);
	case MANNE_KIND_REFUND:
		manne__refund__init(&p->refund);
		if (tx->txid == NULL)
			return false;
		p->refund.payment_txid = (ProtobufCBinaryData){.len = MANNE_TXIDBYTES, .data = (uint8_t *)tx->txid};
		p->refund.amount = tx->amount;
		p->refund.memo = text_field(tx->text);
		b->refund = &p->refund;
		return amount_ok(tx->amount) && manne_text_ok(tx->text, MANNE_MEMO_BYTES_MAX);
	case MANNE_KIND_REDEEM:
		manne__redeem__init(&p->redeem);
		p->redeem.amount = tx->amount;
		b->redeem = &p->redeem;
		return amount_ok(tx->amount);
	case MANNE_KIND_SETTLE_REDEMPTION:
		manne__settle_redemption__init(&p->settle);
		if (tx->txid == NULL || (tx->code != MANNE_SETTLE_PAID && tx->code != MANNE_SETTLE_REJECTED))
			return false;
		p->settle.redeem_txid = (ProtobufCBinaryData){.len = MANNE_TXIDBYTES, .data = (uint8_t *)tx->txid};
		p->settle.outcome = (Manne__SettleOutcome)tx->code;
		p->settle.bank_reference = text_field(tx->text);
		b->settle_redemption = &p->settle;
		return manne_text_ok(tx->text, MANNE_TEXT_BYTES_MAX) &&
		       (tx->code != MANNE_SETTLE_PAID || (tx->text != NULL && tx->text[0] != '\0'));
	case MANNE_KIND_SET_LEDGER:
		manne__set_ledger__init(&p->set_ledger);
		p->set_ledger.fee_bp = tx->fee_bp;
		b->set_ledger = &p->set_ledger;
		return tx->fee_bp <= 10000U;
	case MANNE_KIND_SET_BOARD:
		manne__set_board__init(&p->set_board);
		if (tx->key_count == 0 || tx->key_count > MANNE_BOARD_KEYS_MAX || tx->keys == NULL ||
		    tx->threshold == 0 || tx->threshold > tx->key_count)
			return false;
		for (size_t i = 0; i < tx->key_count; i++) {
			if (tx->keys[i] == NULL)
				return false;
			p->keys[i] = key_field(tx->keys[i]);
		}
		p->set_board.n_keys = tx->key_count;
		p->set_board.keys = p->keys;
		p->set_board.threshold = tx->threshold;
		b->set_board = &p->set_board;
		return true;
	case MANNE_KIND_SET_CHECKPOINT_KEY:
		manne__set_checkpoint_key__init(&p->set_checkpoint_key);
		if (tx->key_count != 1 || tx->keys == NULL || tx->keys[0] == NULL)
			return false;
		p->set_checkpoint_key.key = key_field(tx->keys[0]);
		b->set_checkpoint_key = &p->set_checkpoint_key;
		return true;
	case MANNE_KIND_VOID:
		manne__void_tx__init(&p->void_tx);
		if (tx->txid == NULL)
			return false;
		p->void_tx.txid = (ProtobufCBinaryData){.len = MANNE_TXIDBYTES, .data = (uint8_t *)tx->txid};
		b->void_tx = &p->void_tx;
		return true;
	case MANNE_KIND_SET_CARD:
		manne__set_card__init(&p->set_card);
		if (tx->account == NULL || (tx->code != MANNE_CARD_REGISTER && tx->code != MANNE_CARD_UNLOCK) ||
		    (tx->code == MANNE_CARD_REGISTER) != (tx->pin_check != NULL))
			return false;
		p->set_card.account = key_field(tx->account);
		p->set_card.action = (Manne__CardAction)tx->code;
		if (tx->pin_check != NULL)
			p->set_card.pin_check =
				(ProtobufCBinaryData){.len = MANNE_CARD_PIN_CHECK_BYTES, .data = (uint8_t *)tx->pin_check};
		b->set_card = &p->set_card;
		return true;
	case MANNE_KIND_GENESIS:  /* made by `manne create`, offline, with the ledger's own code */
	default:
		return false;
	}
}

enum manne_status manne_body_build(const char *origin, const uint8_t genesis_id[MANNE_TXIDBYTES],
				   const struct manne_tx *tx, const uint8_t *signer, uint64_t sequence,
				   uint64_t valid_ms, uint64_t now_ms, uint8_t **body_out, size_t *body_len)
{
	struct body_parts *p;
	uint8_t *bytes;
	size_t len;
	bool account;

	if (origin == NULL || genesis_id == NULL || tx == NULL || body_out == NULL || body_len == NULL ||
	    origin[0] == '\0' || strlen(origin) > MANNE_ORIGIN_BYTES_MAX)
		return MANNE_ERR_ARGUMENT;
	*body_out = NULL;
	*body_len = 0;
	/* freeze is an account act when signed by the account itself. */
	account = kind_is_account(tx->kind) || (tx->kind == MANNE_KIND_FREEZE && signer != NULL);
	if (account && (signer == NULL || sequence == 0 || valid_ms == 0 || valid_ms > MANNE_ACCOUNT_TX_VALID_MS))
		return MANNE_ERR_ARGUMENT;
	if (!account && (valid_ms == 0 || valid_ms > MANNE_BOARD_TX_VALID_MS_MAX))
		return MANNE_ERR_ARGUMENT;
	if (now_ms > UINT64_MAX - valid_ms)
		return MANNE_ERR_ARGUMENT;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return MANNE_ERR_NO_MEMORY;
	manne__tx_body__init(&p->body);
	p->body.origin = (char *)origin;
	p->body.genesis_id = (ProtobufCBinaryData){.len = MANNE_TXIDBYTES, .data = (uint8_t *)genesis_id};
	if (!account && valid_ms > MANNE_BOARD_TX_VALID_MS_MAX - MANNE_CLOCK_MARGIN_MS)
		valid_ms = MANNE_BOARD_TX_VALID_MS_MAX - MANNE_CLOCK_MARGIN_MS;
	p->body.last_valid_ms = now_ms + valid_ms;
	if (account) {
		p->body.signer_case = MANNE__TX_BODY__SIGNER_ACCOUNT;
		p->body.account = key_field(signer);
		p->body.sequence = sequence;
	} else {
		p->body.signer_case = MANNE__TX_BODY__SIGNER_BOARD;
		p->body.board = true;
		randombytes_buf(p->nonce, sizeof(p->nonce));
		p->body.nonce = (ProtobufCBinaryData){.len = sizeof(p->nonce), .data = p->nonce};
	}
	if (!fill_kind(p, tx)) {
		free(p);
		return MANNE_ERR_ARGUMENT;
	}
	len = manne__tx_body__get_packed_size(&p->body);
	bytes = malloc(len);
	if (bytes == NULL) {
		free(p);
		return MANNE_ERR_NO_MEMORY;
	}
	manne__tx_body__pack(&p->body, bytes);
	free(p);
	*body_out = bytes;
	*body_len = len;
	return MANNE_OK;
}

enum manne_status manne_body_sign(const uint8_t *body, size_t body_len, const struct manne_key *key,
				  struct manne_signature *out)
{
	/* Ed25519 (not Ed25519ph) signs the whole message at once. */
	uint8_t *message = malloc(TX_DOMAIN_BYTES + body_len);

	if (message == NULL)
		return MANNE_ERR_NO_MEMORY;
	memcpy(out->public_key, key->public_key, MANNE_PUBLICKEYBYTES);
	memcpy(message, TX_DOMAIN, TX_DOMAIN_BYTES);
	memcpy(message + TX_DOMAIN_BYTES, body, body_len);
	crypto_sign_detached(out->signature, NULL, message, TX_DOMAIN_BYTES + body_len, key->secret_key);
	free(message);
	return MANNE_OK;
}

int manne_body_verify(const uint8_t *body, size_t body_len, const struct manne_signature *sig)
{
	uint8_t *message = malloc(TX_DOMAIN_BYTES + body_len);
	int rc;

	if (message == NULL)
		return -1;
	memcpy(message, TX_DOMAIN, TX_DOMAIN_BYTES);
	memcpy(message + TX_DOMAIN_BYTES, body, body_len);
	rc = crypto_sign_verify_detached(sig->signature, message, TX_DOMAIN_BYTES + body_len, sig->public_key);
	free(message);
	return rc == 0 ? 0 : -1;
}

/* Packs a SignedTx around body and signatures; *out is malloc'd. */
static enum manne_status pack_signed(const uint8_t *body, size_t body_len, const struct manne_signature *sigs,
				     size_t count, uint8_t **out, size_t *out_len)
{
	Manne__SignedTx signed_tx = MANNE__SIGNED_TX__INIT;
	Manne__Signature fields[MANNE_SIGNATURES_MAX];
	Manne__Signature *ptrs[MANNE_SIGNATURES_MAX];
	size_t len;

	if (count > MANNE_SIGNATURES_MAX)
		return MANNE_ERR_ARGUMENT;
	for (size_t i = 0; i < count; i++) {
		manne__signature__init(&fields[i]);
		fields[i].key = key_field(sigs[i].public_key);
		fields[i].signature = (ProtobufCBinaryData){.len = sizeof(sigs[i].signature), .data = (uint8_t *)sigs[i].signature};
		ptrs[i] = &fields[i];
	}
	signed_tx.body = (ProtobufCBinaryData){.len = body_len, .data = (uint8_t *)body};
	signed_tx.n_signatures = count;
	signed_tx.signatures = ptrs;
	len = manne__signed_tx__get_packed_size(&signed_tx);
	if (len > MANNE_SIGNED_TX_BYTES_MAX)
		return MANNE_ERR_ARGUMENT;
	*out = malloc(len);
	if (*out == NULL)
		return MANNE_ERR_NO_MEMORY;
	manne__signed_tx__pack(&signed_tx, *out);
	*out_len = len;
	return MANNE_OK;
}

/* Checks a receipt against what was sent and copies it out. */
static enum manne_status take_receipt(struct manne *m, const Manne__Receipt *r, const uint8_t *signed_tx, size_t len,
				      const uint8_t *body, size_t body_len, struct manne_receipt *out)
{
	crypto_hash_sha256_state state;
	uint8_t txid[MANNE_TXIDBYTES], leaf_hash[MANNE_HASHBYTES], header[17];
	size_t note_len;

	memset(out, 0, sizeof(*out));
	crypto_hash_sha256(txid, body, body_len);
	if (r->txid.len != MANNE_TXIDBYTES || r->leaf_hash.len != MANNE_HASHBYTES ||
	    memcmp(r->txid.data, txid, MANNE_TXIDBYTES) != 0)
		return manne_fail(m, MANNE_ERR_PROTOCOL, "the receipt is not for the transaction sent");
	/* The leaf of SPEC §7: index, time, the signed transaction; hashed with RFC 6962's 0x00 prefix. */
	header[0] = 0x00;
	for (int i = 0; i < 8; i++) {
		header[1 + i] = (uint8_t)(r->leaf_index >> (56 - 8 * i));
		header[9 + i] = (uint8_t)(r->time_ms >> (56 - 8 * i));
	}
	crypto_hash_sha256_init(&state);
	crypto_hash_sha256_update(&state, header, sizeof(header));
	crypto_hash_sha256_update(&state, signed_tx, len);
	crypto_hash_sha256_final(&state, leaf_hash);
	out->leaf_checked = memcmp(leaf_hash, r->leaf_hash.data, MANNE_HASHBYTES) == 0;
	/* A duplicate may hold other signatures of the same body (a board act
	 * signed twice); a fresh leaf must be exactly the bytes sent. */
	if (!out->leaf_checked && !r->duplicate)
		return manne_fail(m, MANNE_ERR_PROTOCOL, "the receipt's leaf hash is not that of the bytes sent");
	memcpy(out->txid, txid, MANNE_TXIDBYTES);
	memcpy(out->leaf_hash, r->leaf_hash.data, MANNE_HASHBYTES);
	out->leaf_index = r->leaf_index;
	out->time_ms = r->time_ms;
	out->duplicate = r->duplicate;
	note_len = r->checkpoint == NULL ? 0 : strlen(r->checkpoint);
	if (note_len > MANNE_NOTE_BYTES_MAX || r->n_inclusion_proof > MANNE_PROOF_HASHES_MAX)
		return manne_fail(m, MANNE_ERR_PROTOCOL, "the receipt's checkpoint or proof is over its bounds");
	if (note_len > 0)
		memcpy(out->checkpoint, r->checkpoint, note_len + 1);
	for (size_t i = 0; i < r->n_inclusion_proof; i++) {
		if (r->inclusion_proof[i].len != MANNE_HASHBYTES)
			return manne_fail(m, MANNE_ERR_PROTOCOL, "a proof hash is not 32 bytes");
		memcpy(out->proof[i], r->inclusion_proof[i].data, MANNE_HASHBYTES);
	}
	out->proof_count = r->n_inclusion_proof;
	return MANNE_OK;
}

enum manne_status manne_submit_bytes(struct manne *m, const uint8_t *signed_tx, size_t len, const uint8_t *body,
				     size_t body_len, struct manne_receipt *receipt_out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__SubmitRequest submit = MANNE__SUBMIT_REQUEST__INIT;
	Manne__Response *r = NULL;
	struct manne_receipt *receipt;
	enum manne_status status;

	receipt = receipt_out != NULL ? receipt_out : malloc(sizeof(*receipt));
	if (receipt == NULL)
		return manne_fail(m, MANNE_ERR_NO_MEMORY, "out of memory");
	submit.signed_tx = (ProtobufCBinaryData){.len = len, .data = (uint8_t *)signed_tx};
	/* Always ask for the proof: it is what lets a shop prove it was paid. */
	submit.want_proof = true;
	request.kind_case = MANNE__REQUEST__KIND_SUBMIT;
	request.submit = &submit;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK && r->kind_case != MANNE__RESPONSE__KIND_RECEIPT)
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger answered a submission without a receipt");
	if (status == MANNE_OK)
		status = take_receipt(m, r->receipt, signed_tx, len, body, body_len, receipt);
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	if (receipt != receipt_out)
		free(receipt);
	return status;
}

enum manne_status manne_submit_signed(struct manne *m, const uint8_t *body, size_t body_len,
				      const struct manne_signature *signatures, size_t signature_count,
				      struct manne_receipt *receipt_out)
{
	uint8_t *signed_tx = NULL;
	size_t len = 0;
	enum manne_status status;

	if (m == NULL || body == NULL || body_len == 0 || (signatures == NULL && signature_count > 0))
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a body and its signatures are needed");
	status = pack_signed(body, body_len, signatures, signature_count, &signed_tx, &len);
	if (status != MANNE_OK)
		return manne_fail(m, status, "at most %u signatures and %u bytes", MANNE_SIGNATURES_MAX,
				  MANNE_SIGNED_TX_BYTES_MAX);
	status = manne_submit_bytes(m, signed_tx, len, body, body_len, receipt_out);
	free(signed_tx);
	return status;
}

enum manne_status manne_submit_tx(struct manne *m, const struct manne_tx *tx, const struct manne_key *const *signers,
				  size_t signer_count, uint64_t valid_ms, struct manne_receipt *receipt_out)
{
	struct manne_signature sigs[MANNE_SIGNATURES_MAX];
	uint8_t *body = NULL;
	size_t body_len = 0;
	uint64_t sequence = 0;
	const uint8_t *signer = NULL;
	enum manne_status status;
	bool account;

	if (m == NULL || tx == NULL || signers == NULL || signer_count == 0 || signer_count > MANNE_SIGNATURES_MAX)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a transaction and 1..%u signing keys are needed",
				  MANNE_SIGNATURES_MAX);
	for (size_t i = 0; i < signer_count; i++)
		if (signers[i] == NULL)
			return manne_fail(m, MANNE_ERR_ARGUMENT, "signing key %zu is missing", i);
	status = manne_identify(m);  /* the body names the ledger */
	if (status != MANNE_OK)
		return status;
	/* freeze signed by the account's own key is the account's act. */
	account = kind_is_account(tx->kind) ||
		  (tx->kind == MANNE_KIND_FREEZE && tx->account != NULL &&
		   memcmp(tx->account, signers[0]->public_key, MANNE_PUBLICKEYBYTES) == 0);
	if (account) {
		if (signer_count != 1)
			return manne_fail(m, MANNE_ERR_ARGUMENT, "an account transaction is signed by its account alone");
		status = manne_next_sequence(m, signers[0], &sequence);
		if (status != MANNE_OK)
			return status;
		signer = signers[0]->public_key;
		valid_ms = MANNE_ACCOUNT_TX_VALID_MS;
	} else if (valid_ms == 0) {
		valid_ms = MANNE_BOARD_TX_VALID_MS_DEFAULT;
	}
	status = manne_body_build(m->origin, m->genesis_id, tx, signer, sequence, valid_ms, manne_now_ms(), &body,
				  &body_len);
	if (status != MANNE_OK)
		return manne_fail(m, status, "%s: a field is missing, over its limit or out of range",
				  manne_kind_name(tx->kind) != NULL ? manne_kind_name(tx->kind) : "unknown kind");
	for (size_t i = 0; status == MANNE_OK && i < signer_count; i++)
		status = manne_body_sign(body, body_len, signers[i], &sigs[i]);
	if (status == MANNE_OK)
		status = manne_submit_signed(m, body, body_len, sigs, signer_count, receipt_out);
	else
		manne_fail(m, status, "out of memory");
	free(body);
	return status;
}

/* ---- One function per kind ---- */

enum manne_status manne_pay(struct manne *m, const struct manne_key *payer, const uint8_t payee[MANNE_PUBLICKEYBYTES],
			    uint64_t amount_centimes, const char *memo, const char *payee_reference,
			    struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_PAY, .account = payee, .amount = amount_centimes, .text = memo,
			      .reference = payee_reference};
	return manne_submit_tx(m, &tx, &payer, 1, 0, receipt_out);
}

enum manne_status manne_refund(struct manne *m, const struct manne_key *payee, const uint8_t payment_txid[MANNE_TXIDBYTES],
			       uint64_t amount_centimes, const char *memo, struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_REFUND, .txid = payment_txid, .amount = amount_centimes, .text = memo};
	return manne_submit_tx(m, &tx, &payee, 1, 0, receipt_out);
}

enum manne_status manne_redeem(struct manne *m, const struct manne_key *partner, uint64_t amount_centimes,
			       struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_REDEEM, .amount = amount_centimes};
	return manne_submit_tx(m, &tx, &partner, 1, 0, receipt_out);
}

enum manne_status manne_freeze(struct manne *m, const struct manne_key *signer, const uint8_t account[MANNE_PUBLICKEYBYTES],
			       struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_FREEZE, .account = account};
	return manne_submit_tx(m, &tx, &signer, 1, 0, receipt_out);
}

/* Board acts with co-signers: the board's keys, then the co-signer. */
static enum manne_status submit_cosigned(struct manne *m, const struct manne_tx *tx, const struct manne_key *const *board,
					 size_t board_count, const struct manne_key *cosigner,
					 struct manne_receipt *receipt_out)
{
	const struct manne_key *signers[MANNE_SIGNATURES_MAX];

	if (board == NULL || board_count == 0 || board_count >= MANNE_SIGNATURES_MAX || cosigner == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "board keys and the co-signing key are needed");
	memcpy(signers, board, board_count * sizeof(*board));
	signers[board_count] = cosigner;
	return manne_submit_tx(m, tx, signers, board_count + 1, 0, receipt_out);
}

enum manne_status manne_open_account(struct manne *m, const struct manne_key *const *board, size_t board_count,
				     const struct manne_key *new_account, enum manne_role role, uint64_t max_payment_centimes,
				     uint64_t max_daily_centimes, bool card_held, const char *reference,
				     struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_OPEN_ACCOUNT, .account = new_account != NULL ? new_account->public_key : NULL,
			      .code = (int)role, .max_payment = max_payment_centimes, .max_daily = max_daily_centimes,
			      .card_held = card_held, .reference = reference};
	return submit_cosigned(m, &tx, board, board_count, new_account, receipt_out);
}

enum manne_status manne_set_account(struct manne *m, const struct manne_key *const *board, size_t board_count,
				    const uint8_t account[MANNE_PUBLICKEYBYTES], enum manne_set_account_action action,
				    uint64_t max_payment_centimes, uint64_t max_daily_centimes,
				    struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_SET_ACCOUNT, .account = account, .code = (int)action,
			      .max_payment = max_payment_centimes, .max_daily = max_daily_centimes};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_recover_account(struct manne *m, const struct manne_key *const *board, size_t board_count,
					const uint8_t old_account[MANNE_PUBLICKEYBYTES], const struct manne_key *new_account,
					struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_RECOVER_ACCOUNT, .account = old_account,
			      .new_account = new_account != NULL ? new_account->public_key : NULL};
	return submit_cosigned(m, &tx, board, board_count, new_account, receipt_out);
}

enum manne_status manne_fund_reserve(struct manne *m, const struct manne_key *const *board, size_t board_count,
				     uint64_t amount_centimes, const char *bank_reference, struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_FUND_RESERVE, .amount = amount_centimes, .text = bank_reference};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_release_reserve(struct manne *m, const struct manne_key *const *board, size_t board_count,
					uint64_t amount_centimes, enum manne_release_reason reason, const char *bank_reference,
					struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_RELEASE_RESERVE, .amount = amount_centimes, .code = (int)reason,
			      .text = bank_reference};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_issue(struct manne *m, const struct manne_key *const *board, size_t board_count,
			      const uint8_t account[MANNE_PUBLICKEYBYTES], uint64_t amount_centimes,
			      enum manne_issue_reason reason, const char *programme, const char *reference,
			      struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_ISSUE, .account = account, .amount = amount_centimes, .code = (int)reason,
			      .text = programme, .reference = reference};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_reverse_issue(struct manne *m, const struct manne_key *const *board, size_t board_count,
				      const uint8_t issue_txid[MANNE_TXIDBYTES], uint64_t amount_centimes, const char *reason,
				      struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_REVERSE_ISSUE, .txid = issue_txid, .amount = amount_centimes,
			      .text = reason};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_retire_dormant(struct manne *m, const struct manne_key *const *board, size_t board_count,
				       const uint8_t account[MANNE_PUBLICKEYBYTES], const char *reason,
				       struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_RETIRE_DORMANT, .account = account, .text = reason};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_settle_redemption(struct manne *m, const struct manne_key *const *board, size_t board_count,
					  const uint8_t redeem_txid[MANNE_TXIDBYTES], enum manne_settle_outcome outcome,
					  const char *bank_reference, struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_SETTLE_REDEMPTION, .txid = redeem_txid, .code = (int)outcome,
			      .text = bank_reference};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_set_ledger(struct manne *m, const struct manne_key *const *board, size_t board_count,
				   uint32_t fee_bp, struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_SET_LEDGER, .fee_bp = fee_bp};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_set_board(struct manne *m, const struct manne_key *const *board, size_t board_count,
				  const uint8_t *const *new_keys, size_t new_key_count, uint32_t threshold,
				  struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_SET_BOARD, .keys = new_keys, .key_count = new_key_count,
			      .threshold = threshold};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}

enum manne_status manne_set_checkpoint_key(struct manne *m, const struct manne_key *const *board, size_t board_count,
					   const struct manne_key *new_key, struct manne_receipt *receipt_out)
{
	const uint8_t *keys[1] = {new_key != NULL ? new_key->public_key : NULL};
	struct manne_tx tx = {.kind = MANNE_KIND_SET_CHECKPOINT_KEY, .keys = keys, .key_count = 1};
	return submit_cosigned(m, &tx, board, board_count, new_key, receipt_out);
}

enum manne_status manne_void(struct manne *m, const struct manne_key *const *board, size_t board_count,
			     const uint8_t txid[MANNE_TXIDBYTES], struct manne_receipt *receipt_out)
{
	struct manne_tx tx = {.kind = MANNE_KIND_VOID, .txid = txid};
	return manne_submit_tx(m, &tx, board, board_count, 0, receipt_out);
}
