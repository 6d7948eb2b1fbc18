/*
 * ledger.c: opening the store, and batches (see ledger.h).
 */
#include "ledger.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger/log/bytes.h"

int ledger_open(const char *dir, const struct store_options *options, struct ledger **out)
{
	struct ledger *l = calloc(1, sizeof(*l));
	struct store_txn *txn;
	int rc;

	if (l == NULL || sodium_init() < 0)
		goto fail;
	if (store_open(dir, options, &l->store) != STORE_OK)
		goto fail;
	if (store_begin(l->store, false, &txn) != STORE_OK)
		goto fail;
	rc = store_state_get(txn, &l->state);
	store_abort(txn);
	if (rc == STORE_NOT_FOUND) {
		memset(&l->state, 0, sizeof(l->state));
		l->empty = true;
	} else if (rc != STORE_OK || !totals_ok(&l->state.totals)) {
		goto fail;
	}
	*out = l;
	return 0;
fail:
	if (l != NULL)
		store_close(l->store);
	free(l);
	return -1;
}

void ledger_close(struct ledger *ledger)
{
	if (ledger == NULL)
		return;
	store_close(ledger->store);
	free(ledger->arena_buffer);
	free(ledger->work);
	free(ledger);
}

struct tx_identity ledger_identity(const struct ledger_state *state, bool empty)
{
	/* While the ledger is empty, any origin is acceptable: the genesis sets it. */
	return (struct tx_identity){
		.origin = state->origin,
		.origin_len = state->origin_len,
		.genesis_id = empty ? NULL : state->genesis_id,
	};
}

int ledger_batch_begin(struct ledger *ledger, struct batch *batch)
{
	size_t arena_size = tx_arena_bytes(SIGNED_TX_BYTES_MAX);

	memset(batch, 0, sizeof(*batch));
	batch->ledger = ledger;
	batch->state = ledger->state;
	if (ledger->arena_buffer == NULL)
		ledger->arena_buffer = malloc(arena_size);
	if (ledger->work == NULL)
		ledger->work = malloc(sizeof(*ledger->work));
	if (ledger->arena_buffer == NULL || ledger->work == NULL ||
	    store_begin(ledger->store, true, &batch->txn) != STORE_OK)
		return -1;
	batch->arena_buffer = ledger->arena_buffer;
	batch->work = ledger->work;
	arena_init(&batch->arena, batch->arena_buffer, arena_size);
	return 0;
}

static void batch_free(struct batch *batch)
{
	batch->arena_buffer = NULL;
	batch->work = NULL;
	batch->txn = NULL;
}

enum manne_status ledger_batch_apply(struct batch *batch, const struct tx *tx, uint64_t time_ms,
				     struct receipt *receipt)
{
	enum manne_status status;

	memset(receipt, 0, sizeof(*receipt));
	memcpy(receipt->txid, tx->txid, TXID_BYTES);
	if (batch->failed != MANNE_OK)
		return batch->failed;
	if (time_ms < batch->state.last_time_ms)
		time_ms = batch->state.last_time_ms;
	if (time_ms > INT64_MAX)
		return MANNE_ERR_INTERNAL;
	status = apply_tx(batch->txn, &batch->state, tx, time_ms, batch->work, receipt);
	if (store_txn_error(batch->txn) != STORE_OK) {
		batch->failed = apply_store_status(store_txn_error(batch->txn));
		return batch->failed;
	}
	/* An internal fault may come after some writes (a damaged store): the
	 * batch cannot be trusted, so none of it commits. */
	if (status == MANNE_ERR_INTERNAL) {
		batch->failed = MANNE_ERR_INTERNAL;
		return status;
	}
	if (status == MANNE_OK && !receipt->duplicate)
		batch->applied++;
	return status;
}

/* Identity checks need the state the batch has reached: a genesis applied
 * earlier in this batch makes the ledger non-empty. */
static bool batch_empty(const struct batch *batch)
{
	return batch->state.tree_size == 0;
}

enum manne_status ledger_batch_submit(struct batch *batch, const uint8_t *bytes, size_t len, uint64_t time_ms,
				      struct receipt *receipt)
{
	struct tx_identity identity = ledger_identity(&batch->state, batch_empty(batch));
	struct tx tx;
	enum manne_status status;

	arena_reset(&batch->arena);
	memset(receipt, 0, sizeof(*receipt));
	status = tx_decode(bytes, len, &identity, &batch->arena, &tx);
	if (status == MANNE_OK)
		status = tx_verify_signatures(&tx, &(struct tx_board){batch->state.board, batch->state.board_count});
	if (status == MANNE_OK)
		status = ledger_batch_apply(batch, &tx, time_ms, receipt);
	else if (tx.signed_message != NULL)
		memcpy(receipt->txid, tx.txid, TXID_BYTES);
	return status;
}

/* A leaf's header: its index must be the next, its time not earlier than the last. */
static enum manne_status replay_header_check(const struct batch *batch, const uint8_t *leaf, size_t len)
{
	uint64_t time_ms;

	if (len < LEAF_HEADER_BYTES || len > LEAF_BYTES_MAX)
		return MANNE_ERR_MALFORMED;
	time_ms = load_be64(leaf + 8);
	if (load_be64(leaf) != batch->state.tree_size || time_ms < batch->state.last_time_ms || time_ms > INT64_MAX)
		return MANNE_ERR_MALFORMED;
	return MANNE_OK;
}

enum manne_status ledger_replay_decode(const struct tx_identity *identity, const uint8_t *leaf, size_t len,
				       struct arena *arena, struct tx *out)
{
	enum manne_status status;

	if (len < LEAF_HEADER_BYTES || len > LEAF_BYTES_MAX)
		return MANNE_ERR_MALFORMED;
	arena_reset(arena);
	status = tx_decode(leaf + LEAF_HEADER_BYTES, len - LEAF_HEADER_BYTES, identity, arena, out);
	if (status == MANNE_OK)
		status = tx_verify_signatures(out, NULL); /* board acts: apply.c verifies them */
	return status;
}

enum manne_status ledger_batch_replay_decoded(struct batch *batch, const uint8_t *leaf, size_t len,
					      const struct tx *tx)
{
	struct receipt receipt;
	enum manne_status status = replay_header_check(batch, leaf, len);

	if (status != MANNE_OK)
		return status;
	/* The decoded transaction must be this leaf's, and decoded for this ledger. */
	if (tx->bytes != leaf + LEAF_HEADER_BYTES || tx->len != len - LEAF_HEADER_BYTES ||
	    (tx->kind == MANNE__TX_BODY__KIND_GENESIS) != (batch->state.tree_size == 0))
		return MANNE_ERR_WRONG_LEDGER;
	status = ledger_batch_apply(batch, tx, load_be64(leaf + 8), &receipt);
	if (status != MANNE_OK)
		return status;
	/* A leaf that repeats an applied transaction was never written by a ledger. */
	if (receipt.duplicate)
		return MANNE_ERR_ALREADY_SETTLED;
	/* apply wrote index ‖ time ‖ tx->bytes: with the index checked, the
	 * leaf as given, byte for byte (tx->bytes points into it), so the leaf
	 * hash it put in the tree is this leaf's without hashing it again. */
	if (receipt.leaf_index != load_be64(leaf))
		return MANNE_ERR_INTERNAL;
	return MANNE_OK;
}

enum manne_status ledger_batch_replay(struct batch *batch, const uint8_t *leaf, size_t len)
{
	struct tx_identity identity = ledger_identity(&batch->state, batch_empty(batch));
	struct tx tx;
	enum manne_status status = replay_header_check(batch, leaf, len);

	if (status == MANNE_OK)
		status = ledger_replay_decode(&identity, leaf, len, &batch->arena, &tx);
	if (status != MANNE_OK)
		return status;
	return ledger_batch_replay_decoded(batch, leaf, len, &tx);
}

int ledger_batch_commit(struct batch *batch)
{
	int rc;

	if (batch->failed != MANNE_OK) {
		ledger_batch_abort(batch);
		return batch->failed == MANNE_ERR_STORAGE_FULL ? STORE_FULL : STORE_ERROR;
	}
	/* Only refusals and duplicates: nothing to write, so their answers
	 * stand even on a full map (SPEC §8: reads go on), without a sync. */
	if (batch->applied == 0 && !batch->other_writes) {
		ledger_batch_abort(batch);
		return STORE_OK;
	}
	rc = store_state_put(batch->txn, &batch->state);
	if (rc != STORE_OK) {
		ledger_batch_abort(batch);
		return rc;
	}
	rc = store_commit(batch->txn);
	if (rc == STORE_OK) {
		batch->ledger->state = batch->state;
		batch->ledger->empty = batch->state.tree_size == 0;
	}
	batch_free(batch);
	return rc;
}

void ledger_batch_abort(struct batch *batch)
{
	store_abort(batch->txn);
	batch_free(batch);
}

int ledger_root(struct ledger *ledger, uint64_t size, uint8_t root[MERKLE_HASH_BYTES])
{
	struct store_txn *txn;
	struct merkle_nodes nodes;
	int rc;

	if (store_begin(ledger->store, false, &txn) != STORE_OK)
		return -1;
	nodes = store_merkle_nodes(txn);
	rc = merkle_root(&nodes, size, root);
	store_abort(txn);
	return rc;
}
