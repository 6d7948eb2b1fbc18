/*
 * req_tx.c: a transaction by txid, for the accounts it concerns (its signer
 * and the accounts whose history shows it), the board and auditors.
 */
#include "ledger/store/history.h"
#include "reads.h"

static void req_tx(struct slot *slot, const Manne__Request *request)
{
	const ProtobufCBinaryData *txid = &request->tx->txid;
	struct conn *c = slot->conn;
	Manne__Response response = MANNE__RESPONSE__INIT;
	struct txinfo_buf info;
	struct store_txn *txn;
	struct account reader;
	uint64_t index;
	int rc;

	if (txid->len != TXID_BYTES) {
		slot_reply_status(slot, MANNE_ERR_MALFORMED, "a txid is 32 bytes");
		return;
	}
	if (conn_key(c) == NULL) {
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED, "authenticate first");
		return;
	}
	if ((txn = reads_begin(slot)) == NULL)
		return;
	rc = store_txid_get(txn, txid->data, &index);
	if (rc == STORE_OK && !reader_privileged(c) &&
	    (store_account_get(txn, conn_key(c), &reader) != STORE_OK ||
	     history_has(txn, reader.number, index) != STORE_OK)) {
		store_abort(txn);
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED, "not a transaction of this account");
		return;
	}
	if (rc != STORE_OK || txinfo_from_leaf(txn, index, conn_key(c), reader_privileged(c), &info) != MANNE_OK) {
		store_abort(txn);
		slot_reply_status(slot, rc == STORE_NOT_FOUND ? MANNE_ERR_NOT_FOUND : MANNE_ERR_INTERNAL, NULL);
		return;
	}
	response.kind_case = MANNE__RESPONSE__KIND_TX;
	response.tx = &info.info;
	slot_reply(slot, &response);
	store_abort(txn);
}

const struct req_entry req_tx_entry = {
	.name = "tx",
	.run = req_tx,
};
