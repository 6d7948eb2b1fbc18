/*
 * tx_void.c: the board cancels a prepared transaction that was not applied
 * (SPEC §4), e.g. a board act whose signatures were gathered by mistake: from
 * now on that txid is refused as VOIDED.
 */
#include "apply.h"

enum manne_status tx_void_apply(struct apply_ctx *c)
{
	const uint8_t *txid = c->body->void_tx->txid.data;
	uint64_t index;
	int rc = store_txid_get(c->txn, txid, &index);

	if (rc == STORE_OK)
		return MANNE_ERR_ALREADY_SETTLED;
	if (rc != STORE_NOT_FOUND)
		return MANNE_ERR_INTERNAL;
	rc = store_void_has(c->txn, txid);
	if (rc == STORE_OK)
		return MANNE_ERR_ALREADY_SETTLED;
	if (rc != STORE_NOT_FOUND)
		return MANNE_ERR_INTERNAL;
	return apply_store_status(store_void_put(c->txn, txid));
}
