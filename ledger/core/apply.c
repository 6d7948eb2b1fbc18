/*
 * apply.c: the steps every transaction goes through in the batch, in the
 * precedence order of SPEC §5, around the kind's own checks and effects:
 * apply_tx calls the kind (tx_<kind>.c); the kinds and apply.c both call the
 * shared steps of apply_steps.c, never apply.c.
 */
#include "apply.h"

#include <assert.h>
#include <string.h>

#include "ledger/log/bytes.h"

static bool in_board(const struct ledger_state *s, const uint8_t key[KEY_BYTES])
{
	for (uint32_t i = 0; i < s->board_count; i++)
		if (memcmp(s->board[i], key, KEY_BYTES) == 0)
			return true;
	return false;
}

/* Keys that must sign a board act besides the board: the key being
 * registered (open_account, recover_account, set_checkpoint_key) and every
 * key set_board adds. */
static size_t cosigners(const struct ledger_state *s, const Manne__TxBody *b, const uint8_t *out[BOARD_KEYS_MAX])
{
	size_t n = 0;
	switch (b->kind_case) {
	case MANNE__TX_BODY__KIND_OPEN_ACCOUNT:
		out[n++] = b->open_account->key.data;
		break;
	case MANNE__TX_BODY__KIND_RECOVER_ACCOUNT:
		out[n++] = b->recover_account->new_account.data;
		break;
	case MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY:
		out[n++] = b->set_checkpoint_key->key.data;
		break;
	case MANNE__TX_BODY__KIND_SET_BOARD:
		for (size_t i = 0; i < b->set_board->n_keys; i++)
			if (!in_board(s, b->set_board->keys[i].data))
				out[n++] = b->set_board->keys[i].data;
		break;
	default:
		break;
	}
	return n;
}

static bool key_listed(const uint8_t *const *keys, size_t n, const uint8_t key[KEY_BYTES])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(keys[i], key, KEY_BYTES) == 0)
			return true;
	return false;
}

/* Verifies every signature of a board act whose keys were all found
 * allowed: the keys are checked first, so that keys from outside cost no
 * verification. */
static enum manne_status verify_all(const struct tx *tx)
{
	if (tx->signatures_verified)
		return MANNE_OK; /* on a verifier thread, against a snapshot of the board */
	for (size_t i = 0; i < tx->signed_tx->n_signatures; i++)
		if (!tx_signature_ok(tx, i))
			return MANNE_ERR_BAD_SIGNATURE;
	return MANNE_OK;
}

/* SPEC §4: at least M distinct keys of the board in force (one for freeze),
 * every required co-signer, and no key from anywhere else; every signature
 * good. (tx_verify_signatures refused an empty list and repeated keys.) */
static enum manne_status board_signatures(const struct ledger_state *s, const struct tx *tx)
{
	const uint8_t *extra[BOARD_KEYS_MAX];
	size_t extra_count = cosigners(s, tx->body, extra);
	size_t extra_signed = 0;
	uint32_t board_signed = 0;
	uint32_t needed = tx->kind == MANNE__TX_BODY__KIND_FREEZE ? 1 : s->threshold;

	for (size_t i = 0; i < tx->signed_tx->n_signatures; i++) {
		const uint8_t *key = tx->signed_tx->signatures[i]->key.data;
		bool board = in_board(s, key);
		bool cosigner = key_listed(extra, extra_count, key);
		if (!board && !cosigner)
			return MANNE_ERR_BAD_SIGNATURE;
		board_signed += board;
		extra_signed += cosigner;
	}
	if (extra_signed != extra_count || verify_all(tx) != MANNE_OK)
		return MANNE_ERR_BAD_SIGNATURE;
	return board_signed >= needed ? MANNE_OK : MANNE_ERR_NOT_ENOUGH_SIGNATURES;
}

/* The genesis is signed by exactly the board it names, every key of it. */
static enum manne_status genesis_signatures(const struct tx *tx)
{
	const Manne__Genesis *g = tx->body->genesis;
	size_t found = 0;
	for (size_t i = 0; i < tx->signed_tx->n_signatures; i++) {
		const uint8_t *key = tx->signed_tx->signatures[i]->key.data;
		bool listed = false;
		for (size_t k = 0; k < g->n_board_keys; k++)
			listed |= memcmp(g->board_keys[k].data, key, KEY_BYTES) == 0;
		if (!listed)
			return MANNE_ERR_BAD_SIGNATURE;
		found++;
	}
	if (verify_all(tx) != MANNE_OK)
		return MANNE_ERR_BAD_SIGNATURE;
	return found == g->n_board_keys ? MANNE_OK : MANNE_ERR_NOT_ENOUGH_SIGNATURES;
}

static enum manne_status (*const kind_apply[])(struct apply_ctx *) = {
	[MANNE__TX_BODY__KIND_GENESIS] = tx_genesis_apply,
	[MANNE__TX_BODY__KIND_OPEN_ACCOUNT] = tx_open_account_apply,
	[MANNE__TX_BODY__KIND_SET_ACCOUNT] = tx_set_account_apply,
	[MANNE__TX_BODY__KIND_FREEZE] = tx_freeze_apply,
	[MANNE__TX_BODY__KIND_RECOVER_ACCOUNT] = tx_recover_account_apply,
	[MANNE__TX_BODY__KIND_FUND_RESERVE] = tx_fund_reserve_apply,
	[MANNE__TX_BODY__KIND_RELEASE_RESERVE] = tx_release_reserve_apply,
	[MANNE__TX_BODY__KIND_ISSUE] = tx_issue_apply,
	[MANNE__TX_BODY__KIND_REVERSE_ISSUE] = tx_reverse_issue_apply,
	[MANNE__TX_BODY__KIND_RETIRE_DORMANT] = tx_retire_dormant_apply,
	[MANNE__TX_BODY__KIND_PAY] = tx_pay_apply,
	[MANNE__TX_BODY__KIND_REFUND] = tx_refund_apply,
	[MANNE__TX_BODY__KIND_REDEEM] = tx_redeem_apply,
	[MANNE__TX_BODY__KIND_SETTLE_REDEMPTION] = tx_settle_redemption_apply,
	[MANNE__TX_BODY__KIND_SET_LEDGER] = tx_set_ledger_apply,
	[MANNE__TX_BODY__KIND_SET_BOARD] = tx_set_board_apply,
	[MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY] = tx_set_checkpoint_key_apply,
	[MANNE__TX_BODY__KIND_VOID_TX] = tx_void_apply,
	[MANNE__TX_BODY__KIND_SET_CARD] = tx_set_card_apply,
};

/* The original receipt of an applied transaction. */
static enum manne_status duplicate_receipt(struct store_txn *txn, uint64_t index, struct receipt *r)
{
	const uint8_t *leaf;
	size_t len;
	if (store_leaf_get(txn, index, &leaf, &len) != STORE_OK || len < LEAF_HEADER_BYTES)
		return MANNE_ERR_INTERNAL;
	r->leaf_index = index;
	r->time_ms = load_be64(leaf + 8);
	merkle_leaf_hash(leaf, len, r->leaf_hash);
	r->duplicate = true;
	return MANNE_OK;
}

/* Whether the signer's sequence or the board nonce was used already, read
 * once: the account into c->signer, or the nonce's presence. STORE_OK: found. */
static int read_signer(struct apply_ctx *c)
{
	if (c->tx->signer != NULL)
		return store_account_get(c->txn, c->tx->signer, &c->signer);
	if (c->tx->kind == MANNE__TX_BODY__KIND_GENESIS)
		return STORE_NOT_FOUND;
	return store_nonce_has(c->txn, c->body->nonce.data);
}

/* Where this very transaction is in the log already, if it is: STORE_OK and
 * *index, or STORE_NOT_FOUND. A transaction whose signer's sequence (or board
 * nonce) was never used cannot be there, and needs no look-up in the txid
 * index, which is cheap to write and dear to read (store.h): so only
 * retries look. signer_rc is read_signer's answer. */
static int find_applied(struct apply_ctx *c, int signer_rc, uint64_t *index)
{
	if (signer_rc != STORE_OK)
		return signer_rc; /* an unknown signer or an unused nonce: nothing of it was applied */
	if (c->tx->signer != NULL && c->body->sequence >= c->signer.next_sequence)
		return STORE_NOT_FOUND;
	return store_txid_get(c->txn, c->tx->txid, index);
}

/* Everything before the kind: SPEC §5 from the board's signatures to the
 * signer's state. MANNE_OK with r->duplicate set means: answer the original. */
static enum manne_status common_checks(struct apply_ctx *c, struct receipt *r)
{
	const struct tx *tx = c->tx;
	enum manne_status status;
	uint64_t index;
	int rc, signer_rc;

	if (tx->kind == MANNE__TX_BODY__KIND_GENESIS) {
		if (c->state->tree_size != 0)
			return MANNE_ERR_WRONG_LEDGER;
		status = genesis_signatures(tx);
	} else if (tx->signer == NULL) {
		status = board_signatures(c->state, tx);
	} else {
		status = MANNE_OK;
	}
	if (status != MANNE_OK)
		return status;

	signer_rc = read_signer(c);
	rc = find_applied(c, signer_rc, &index);
	if (rc == STORE_OK)
		return duplicate_receipt(c->txn, index, r);
	if (rc != STORE_NOT_FOUND)
		return MANNE_ERR_INTERNAL;
	rc = store_void_has(c->txn, tx->txid);
	if (rc == STORE_OK)
		return MANNE_ERR_VOIDED;
	if (rc != STORE_NOT_FOUND)
		return MANNE_ERR_INTERNAL;
	if (c->time_ms > c->body->last_valid_ms || c->body->last_valid_ms - c->time_ms > TX_VALID_MS_MAX)
		return MANNE_ERR_EXPIRED;

	if (tx->signer == NULL) /* a board act: its nonce once only (the genesis has none) */
		return signer_rc == STORE_OK ? MANNE_ERR_BAD_SEQUENCE : MANNE_OK;
	if (signer_rc == STORE_NOT_FOUND)
		return MANNE_ERR_UNKNOWN_ACCOUNT;
	if (c->body->sequence != c->signer.next_sequence)
		return MANNE_ERR_BAD_SEQUENCE;
	if (c->signer.state != ACCOUNT_ACTIVE)
		return MANNE_ERR_NOT_ACTIVE;
	return MANNE_OK;
}

/* The leaf of SPEC §7: index, time, the signed transaction as received. */
static enum manne_status append_leaf(struct apply_ctx *c, uint8_t *leaf, struct receipt *r)
{
	size_t len = LEAF_HEADER_BYTES + c->tx->len;
	struct merkle_nodes nodes = store_merkle_nodes(c->txn);

	assert(len <= LEAF_BYTES_MAX); /* tx_decode bounds the transaction */
	store_be64(leaf, c->index);
	store_be64(leaf + 8, c->time_ms);
	memcpy(leaf + LEAF_HEADER_BYTES, c->tx->bytes, c->tx->len);
	merkle_leaf_hash(leaf, len, r->leaf_hash);

	int rc = store_leaf_put(c->txn, c->index, leaf, len);
	if (rc == STORE_OK)
		rc = store_txid_put(c->txn, c->tx->txid, c->index);
	if (rc == STORE_OK && merkle_append(&nodes, c->index, r->leaf_hash) != 0)
		rc = store_txn_error(c->txn) != STORE_OK ? store_txn_error(c->txn) : STORE_ERROR;
	if (rc == STORE_OK && c->party_count > 0)
		rc = store_history_links_put(c->txn, c->index, c->parties, c->party_count);
	if (rc == STORE_OK && c->tx->signer != NULL) {
		c->signer.next_sequence++;
		rc = store_account_put(c->txn, c->tx->signer, &c->signer);
	}
	if (rc == STORE_OK && c->tx->signer == NULL && c->tx->kind != MANNE__TX_BODY__KIND_GENESIS)
		rc = store_nonce_put(c->txn, c->body->nonce.data);
	r->leaf_index = c->index;
	r->time_ms = c->time_ms;
	r->duplicate = false;
	return apply_store_status(rc);
}

enum manne_status apply_tx(struct store_txn *txn, struct ledger_state *state, const struct tx *tx,
			   uint64_t time_ms, struct apply_work *work, struct receipt *receipt)
{
	struct apply_ctx c = {
		.txn = txn,
		.state = state,
		.tx = tx,
		.body = tx->body,
		.time_ms = time_ms,
		.index = state->tree_size,
		.totals = state->totals,
		.next = *state,
		.work = work,
	};
	struct day_rules rules = state_day_rules(state);
	enum manne_status status;

	assert(time_ms >= state->last_time_ms && time_ms <= INT64_MAX);
	assert((size_t)tx->kind < sizeof(kind_apply) / sizeof(kind_apply[0]) && kind_apply[tx->kind] != NULL);
	memset(receipt, 0, sizeof(*receipt));
	memcpy(receipt->txid, tx->txid, TXID_BYTES);
	c.day = ledger_day(&rules, (int64_t)time_ms);
	status = common_checks(&c, receipt);
	if (status != MANNE_OK || receipt->duplicate)
		return status;
	if (tx->signer != NULL)
		apply_party(&c, &c.signer);
	status = kind_apply[tx->kind](&c);
	if (status != MANNE_OK)
		return status;
	assert(totals_ok(&c.totals));
	status = append_leaf(&c, work->leaf, receipt);
	if (status != MANNE_OK)
		return status;

	c.next.totals = c.totals;
	c.next.tree_size = state->tree_size + 1;
	c.next.last_time_ms = time_ms;
	*state = c.next;
	return MANNE_OK;
}
