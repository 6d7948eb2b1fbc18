/*
 * reads.c: see reads.h.
 */
#include "reads.h"

#include <string.h>

#include "ledger/log/bytes.h"
#include "ledger/log/merkle.h"

/* Read at each request: the reader of the connection now. */
bool reader_privileged(const struct conn *c)
{
	enum reader r = conn_reader(c);
	return r == READER_BOARD || r == READER_AUDITOR;
}

/* One leaf decoded at a time, on the loop thread. */
static uint8_t leaf_arena[4 * LEAF_BYTES_MAX + 16384];

struct store_txn *reads_begin(struct slot *slot)
{
	struct store_txn *txn;
	if (store_begin(conn_server(slot->conn)->ledger->store, false, &txn) != STORE_OK) {
		slot_reply_status(slot, MANNE_ERR_INTERNAL, "the store cannot be read");
		return NULL;
	}
	return txn;
}

bool reads_may_see_account(const struct conn *c, const uint8_t *account, size_t len)
{
	const uint8_t *key = conn_key(c);
	if (reader_privileged(c))
		return true;
	return key != NULL && len == KEY_BYTES && memcmp(key, account, KEY_BYTES) == 0;
}

static void copy_text(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The key a kind names besides its signer. */
static const uint8_t *named_account(const Manne__TxBody *b)
{
	switch (b->kind_case) {
	case MANNE__TX_BODY__KIND_OPEN_ACCOUNT:
		return b->open_account->key.data;
	case MANNE__TX_BODY__KIND_SET_ACCOUNT:
		return b->set_account->account.data;
	case MANNE__TX_BODY__KIND_FREEZE:
		return b->freeze->account.data;
	case MANNE__TX_BODY__KIND_RECOVER_ACCOUNT:
		return b->recover_account->new_account.data;
	case MANNE__TX_BODY__KIND_ISSUE:
		return b->issue->account.data;
	case MANNE__TX_BODY__KIND_RETIRE_DORMANT:
		return b->retire_dormant->account.data;
	case MANNE__TX_BODY__KIND_PAY:
		return b->pay->payee.data;
	case MANNE__TX_BODY__KIND_SET_CARD:
		return b->set_card->account.data;
	default:
		return NULL;
	}
}

/* The second leaf a refund's entry needs, decoded in an arena of its own. */
static uint8_t referenced_arena[TX_ARENA_BYTES(SIGNED_TX_BYTES_MAX)];

static int refund_payer(struct store_txn *txn, const uint8_t payment_txid[TXID_BYTES], uint8_t payer[KEY_BYTES])
{
	struct tx_identity any = {0};
	struct arena arena;
	const uint8_t *leaf;
	uint64_t index;
	size_t len;
	struct tx tx;
	enum manne_status status;

	if (store_txid_get(txn, payment_txid, &index) != STORE_OK ||
	    store_leaf_get(txn, index, &leaf, &len) != STORE_OK || len < LEAF_HEADER_BYTES)
		return -1;
	arena_init(&arena, referenced_arena, sizeof(referenced_arena));
	status = tx_decode(leaf + LEAF_HEADER_BYTES, len - LEAF_HEADER_BYTES, &any, &arena, &tx);
	if ((status != MANNE_OK && status != MANNE_ERR_WRONG_LEDGER) || tx.signer == NULL)
		return -1;
	memcpy(payer, tx.signer, KEY_BYTES);
	return 0;
}

/* The key that held `key`'s account at leaf `index` (UINT64_MAX: now): a
 * recovered account's successor holds it from the recovery's leaf on
 * (SPEC §4, recover_account), so its pending reconversions are its own. */
void reads_holder_at(struct store_txn *txn, const uint8_t key[KEY_BYTES], uint64_t index, uint8_t out[KEY_BYTES])
{
	struct account a, next;

	memcpy(out, key, KEY_BYTES);
	for (int hops = 0; hops < SUCCESSION_HOPS_MAX; hops++) {
		if (store_account_get(txn, out, &a) != STORE_OK || !a.has_successor ||
		    store_account_get(txn, a.successor, &next) != STORE_OK || next.opened_index > index)
			return;
		memcpy(out, a.successor, KEY_BYTES);
	}
}

Manne__RedemptionState reads_redemption_state(uint8_t state)
{
	switch (state) {
	case REDEMPTION_PAID:
		return MANNE__REDEMPTION_STATE__REDEMPTION_PAID;
	case REDEMPTION_REJECTED:
		return MANNE__REDEMPTION_STATE__REDEMPTION_REJECTED;
	default:
		return MANNE__REDEMPTION_STATE__REDEMPTION_PENDING;
	}
}

/* What a reconversion's entry adds (SPEC §2): the fee fixed when the redeem
 * was applied, so that the euros to wire (amount - fee) are read, never
 * recomputed at today's rate; a settlement shows the redeem's amount and
 * partner, its outcome, and its bank reference to the board and auditors. */
static enum manne_status reconversion_info(struct store_txn *txn, const struct tx *tx, bool privileged,
					   struct txinfo_buf *out, const uint8_t **other)
{
	Manne__TxInfo *info = &out->info;
	const uint8_t *redeem_txid = tx->txid;
	struct tx_record record;

	if (tx->kind == MANNE__TX_BODY__KIND_SETTLE_REDEMPTION)
		redeem_txid = tx->body->settle_redemption->redeem_txid.data;
	if (store_record_get(txn, redeem_txid, &record) != STORE_OK || record.type != RECORD_REDEMPTION)
		return MANNE_ERR_INTERNAL;
	info->fee = record.fee;
	if (tx->kind == MANNE__TX_BODY__KIND_REDEEM) {
		info->redemption_state = reads_redemption_state(record.state);
		return MANNE_OK;
	}
	const Manne__SettleRedemption *settle = tx->body->settle_redemption;
	memcpy(out->redeem_txid, redeem_txid, TXID_BYTES);
	reads_holder_at(txn, record.party, info->leaf_index, out->partner);
	info->redeem_txid = (ProtobufCBinaryData){.len = TXID_BYTES, .data = out->redeem_txid};
	info->amount = record.amount;
	info->outcome = settle->outcome;
	/* SPEC §6: references are the board's and auditors' only, the bank's too. */
	if (privileged)
		copy_text(out->reference, sizeof(out->reference), settle->bank_reference);
	*other = out->partner;
	return MANNE_OK;
}

enum manne_status txinfo_from_leaf(struct store_txn *txn, uint64_t index, const uint8_t *viewer, bool privileged,
				   struct txinfo_buf *out)
{
	struct arena arena;
	struct tx tx;
	struct tx_identity any = {0};
	const uint8_t *leaf, *other = NULL;
	size_t len;

	memset(out, 0, sizeof(*out));
	manne__tx_info__init(&out->info);
	if (store_leaf_get(txn, index, &leaf, &len) != STORE_OK || len < LEAF_HEADER_BYTES)
		return MANNE_ERR_NOT_FOUND;
	arena_init(&arena, leaf_arena, sizeof(leaf_arena));
	/* The leaf was checked when it was applied; only its shape is needed here. */
	enum manne_status status = tx_decode(leaf + LEAF_HEADER_BYTES, len - LEAF_HEADER_BYTES, &any, &arena, &tx);
	if (status != MANNE_OK && status != MANNE_ERR_WRONG_LEDGER)
		return MANNE_ERR_INTERNAL;

	Manne__TxInfo *info = &out->info;
	const Manne__TxBody *b = tx.body;
	memcpy(out->txid, tx.txid, TXID_BYTES);
	info->txid = (ProtobufCBinaryData){.len = TXID_BYTES, .data = out->txid};
	info->leaf_index = index;
	info->time_ms = load_be64(leaf + 8);
	merkle_leaf_hash(leaf, len, out->leaf_hash);
	info->leaf_hash = (ProtobufCBinaryData){.len = MERKLE_HASH_BYTES, .data = out->leaf_hash};
	info->kind = (char *)tx_kind_name(tx.kind);
	info->amount = tx_amount(&tx);
	if (tx.signer != NULL) {
		memcpy(out->signer, tx.signer, KEY_BYTES);
		info->signer = (ProtobufCBinaryData){.len = KEY_BYTES, .data = out->signer};
	}
	other = named_account(b);
	if ((tx.kind == MANNE__TX_BODY__KIND_REDEEM || tx.kind == MANNE__TX_BODY__KIND_SETTLE_REDEMPTION) &&
	    reconversion_info(txn, &tx, privileged, out, &other) != MANNE_OK)
		return MANNE_ERR_INTERNAL;
	/* A refund goes to whoever paid: the signer of the payment it names. At
	 * function scope, since `other` may point into it until copied below. */
	uint8_t payer[KEY_BYTES];
	if (tx.kind == MANNE__TX_BODY__KIND_REFUND && refund_payer(txn, b->refund->payment_txid.data, payer) == 0)
		other = payer;
	/* Shown from the viewer's side: to the payee, the other party is the payer. */
	if (viewer != NULL && other != NULL && tx.signer != NULL && memcmp(viewer, other, KEY_BYTES) == 0)
		other = tx.signer;
	if (other != NULL) {
		memcpy(out->counterparty, other, KEY_BYTES);
		info->counterparty = (ProtobufCBinaryData){.len = KEY_BYTES, .data = out->counterparty};
	}
	if (tx.kind == MANNE__TX_BODY__KIND_PAY) {
		copy_text(out->memo, sizeof(out->memo), b->pay->memo);
		copy_text(out->payee_reference, sizeof(out->payee_reference), b->pay->payee_reference);
		if (b->pay->counter.len == KEY_BYTES) {
			memcpy(out->counter, b->pay->counter.data, KEY_BYTES);
			info->counter = (ProtobufCBinaryData){.len = KEY_BYTES, .data = out->counter};
		}
	} else if (tx.kind == MANNE__TX_BODY__KIND_REFUND) {
		copy_text(out->memo, sizeof(out->memo), b->refund->memo);
	}
	info->memo = out->memo;
	info->payee_reference = out->payee_reference;
	info->programme = out->programme;
	info->reference = out->reference;
	if (privileged && tx.kind == MANNE__TX_BODY__KIND_ISSUE) {
		info->issue_reason = b->issue->reason;
		copy_text(out->programme, sizeof(out->programme), b->issue->programme);
		copy_text(out->reference, sizeof(out->reference), b->issue->reference);
	}
	return MANNE_OK;
}

bool reads_counter_of(struct store_txn *txn, const struct conn *c, const uint8_t payee[KEY_BYTES])
{
	const uint8_t *key = conn_key(c);
	struct account a;
	return key != NULL && conn_reader(c) == READER_ACCOUNT &&
	       memcmp(payee, conn_server(c)->state.association_key, KEY_BYTES) == 0 &&
	       store_account_get(txn, key, &a) == STORE_OK && a.role == ROLE_COUNTER && a.state == ACCOUNT_ACTIVE;
}
