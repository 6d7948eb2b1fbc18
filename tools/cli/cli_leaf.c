/*
 * cli_leaf.c: a transaction checked from its own leaf rather than taken on
 * the ledger's word. The board and auditors may read the raw log (SPEC §6):
 * the leaf's body must hash to the txid asked for, and what it says (kind,
 * signer, amount) is then the transaction's, whatever else the ledger
 * reports; its leaf hash is computed here, for an inclusion proof against
 * the pinned checkpoint key.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "ledger/log/bytes.h"
#include "ledger/log/ledger_limits.h"
#include "manne.pb-c.h"

struct leaf_copy {
	uint8_t bytes[LEAF_BYTES_MAX];
	size_t len;
};

static int copy_leaf(void *ctx, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct leaf_copy *copy = ctx;
	(void)index;
	if (len > sizeof(copy->bytes))
		return 1;
	memcpy(copy->bytes, leaf, len);
	copy->len = len;
	return 0;
}

enum manne_status cli_leaf_read(struct manne *m, uint64_t index, const uint8_t txid[32], struct cli_leaf *out)
{
	struct leaf_copy *copy = calloc(1, sizeof(*copy));
	Manne__SignedTx *signed_tx = NULL;
	Manne__TxBody *body = NULL;
	enum manne_status status;
	uint8_t hash[32];

	memset(out, 0, sizeof(*out));
	if (copy == NULL)
		return MANNE_ERR_NO_MEMORY;
	status = manne_log_read(m, index, index + 1, copy_leaf, copy);
	if (status == MANNE_OK && (copy->len < LEAF_HEADER_BYTES || load_be64(copy->bytes) != index))
		status = MANNE_ERR_VERIFY;
	if (status == MANNE_OK) {
		signed_tx = manne__signed_tx__unpack(NULL, copy->len - LEAF_HEADER_BYTES, copy->bytes + LEAF_HEADER_BYTES);
		if (signed_tx == NULL)
			status = MANNE_ERR_VERIFY;
	}
	if (status == MANNE_OK) {
		crypto_hash_sha256(hash, signed_tx->body.data, signed_tx->body.len);
		body = sodium_memcmp(hash, txid, 32) == 0
			       ? manne__tx_body__unpack(NULL, signed_tx->body.len, signed_tx->body.data)
			       : NULL;
		if (body == NULL)
			status = MANNE_ERR_VERIFY;  /* not the transaction asked for */
	}
	if (status == MANNE_OK) {
		out->index = index;
		out->time_ms = load_be64(copy->bytes + 8);
		manne_leaf_hash(copy->bytes, copy->len, out->leaf_hash);
		out->kind = (int)body->kind_case;
		if (body->signer_case == MANNE__TX_BODY__SIGNER_ACCOUNT && body->account.len == 32) {
			memcpy(out->signer, body->account.data, 32);
			out->has_signer = true;
		}
		if (body->kind_case == MANNE__TX_BODY__KIND_REDEEM)
			out->amount = body->redeem->amount;
	}
	if (body != NULL)
		manne__tx_body__free_unpacked(body, NULL);
	if (signed_tx != NULL)
		manne__signed_tx__free_unpacked(signed_tx, NULL);
	free(copy);
	return status;
}

enum manne_status cli_leaf_prove(const struct cli *c, struct manne *m, const struct cli_leaf *leaf, bool *pinned)
{
	struct manne_checkpoint *cp = malloc(sizeof(*cp));
	uint8_t key[32];
	enum manne_status status;

	*pinned = false;
	if (cp == NULL)
		return MANNE_ERR_NO_MEMORY;
	if (!cli_checkpoint_key(c, key, pinned)) {
		free(cp);
		return MANNE_ERR_ARGUMENT;
	}
	status = manne_checkpoint_fetch(m, *pinned ? key : NULL, cp, NULL);
	if (status == MANNE_OK)
		status = manne_inclusion_check(m, cp, leaf->index, leaf->leaf_hash);
	free(cp);
	return status;
}
