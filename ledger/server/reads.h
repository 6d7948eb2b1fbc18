/*
 * reads.h: what the read requests share: a transaction as a reader may see it
 * (SPEC §6 redaction), built from its leaf.
 */
#ifndef MANNE_READS_H
#define MANNE_READS_H

#include "dispatch.h"

/* A TxInfo and the bytes it points to, so it outlives the decoded leaf. */
struct txinfo_buf {
	Manne__TxInfo info;
	uint8_t txid[TXID_BYTES];
	uint8_t counterparty[KEY_BYTES];
	uint8_t signer[KEY_BYTES];
	uint8_t counter[KEY_BYTES];
	uint8_t redeem_txid[TXID_BYTES];
	uint8_t partner[KEY_BYTES];
	uint8_t leaf_hash[MERKLE_HASH_BYTES];
	char memo[MEMO_BYTES_MAX + 1];
	char payee_reference[PAYEE_REFERENCE_BYTES_MAX + 1];
	char programme[PROGRAMME_BYTES_MAX + 1];
	char reference[REFERENCE_BYTES_MAX + 1];
};

/* Fills out from leaf `index`; `viewer` (may be NULL) decides the
 * counterparty shown, `privileged` whether issue reasons, programmes and
 * references are shown. Returns a status. */
enum manne_status txinfo_from_leaf(struct store_txn *txn, uint64_t index, const uint8_t *viewer, bool privileged,
				   struct txinfo_buf *out);

/* The key holding `key`'s account at leaf `index` (UINT64_MAX: now),
 * following recoveries. */
void reads_holder_at(struct store_txn *txn, const uint8_t key[KEY_BYTES], uint64_t index, uint8_t out[KEY_BYTES]);

/* A redemption record's state (enum redemption_state) on the wire. */
Manne__RedemptionState reads_redemption_state(uint8_t state);

/* Reads for the board and auditors only. */
bool reader_privileged(const struct conn *c);

/* Opens a read transaction or answers INTERNAL. */
struct store_txn *reads_begin(struct slot *slot);

/* true when the connection is an active counter of the association and
 * payee is the association: it may read the payments it took itself. */
bool reads_counter_of(struct store_txn *txn, const struct conn *c, const uint8_t payee[KEY_BYTES]);

/* true when the connection may read `account`'s own data. */
bool reads_may_see_account(const struct conn *c, const uint8_t *account, size_t len);

#endif
