/*
 * apply.h: applying one decoded, signature-checked transaction to the store
 * (SPEC §2-§5). apply has no clock, no I/O beyond the store and no
 * randomness: the leaf's time comes in from the caller, so the daemon and the
 * auditor's replay reach the same state bit for bit.
 *
 * Each tx_<kind>.c checks everything first and writes last, so that a
 * refusal writes nothing; the common steps (board signatures, duplicate,
 * voided, expiry, the signer's sequence and state, the leaf itself) are in
 * apply.c; the steps the kinds share are in apply_steps.c. A write that
 * fails (a full map) leaves the store transaction half-written: the caller
 * must abort the whole batch.
 */
#ifndef MANNE_APPLY_H
#define MANNE_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/log/manne_status.h"
#include "ledger/store/state.h"
#include "ledger/store/store.h"
#include "ledger_day.h"
#include "tx.h"

/* outstanding = issued - retired - reconverted; reserve = funded - paid_out - released.
 * Return -1 when the totals are inconsistent (which only a bug or a tampered store can cause). */
int totals_outstanding(const struct totals *t, uint64_t *out);
int totals_reserve(const struct totals *t, uint64_t *out);
/* The ledger's invariant: both derive, and reserve >= outstanding. */
bool totals_ok(const struct totals *t);

/* The ledger-day rules of the state in force. */
static inline struct day_rules state_day_rules(const struct ledger_state *s)
{
	return (struct day_rules){s->utc_offset_minutes, s->eu_summer_time != 0};
}

struct receipt {
	uint8_t txid[TXID_BYTES];
	uint64_t leaf_index;
	uint8_t leaf_hash[MERKLE_HASH_BYTES];
	uint64_t time_ms;
	bool duplicate;
};

/* Memory apply needs, allocated once per batch: the leaf being written, and
 * an arena to decode the earlier transaction a refund names. */
struct apply_work {
	uint8_t leaf[LEAF_BYTES_MAX];
	uint8_t referenced[TX_ARENA_BYTES(SIGNED_TX_BYTES_MAX)];
};

/* What a kind sees and edits. The kind edits `signer` and `totals`; apply.c
 * writes them, with the leaf, once the kind has returned MANNE_OK. */
struct apply_ctx {
	struct store_txn *txn;
	const struct ledger_state *state;
	const struct tx *tx;
	const Manne__TxBody *body;
	uint64_t time_ms;
	int64_t day;                   /* the ledger day of time_ms */
	uint64_t index;                /* the leaf index this transaction gets */
	struct account signer;         /* the signing account, loaded and checked */
	struct totals totals;          /* the totals after this transaction */
	struct ledger_state next;      /* board, fee and keys after this transaction */
	/* Accounts whose history shows this leaf, with the previous leaf of each. */
	struct history_link parties[HISTORY_LINKS_MAX];
	unsigned party_count;
	struct apply_work *work;
};

/*
 * Applies tx as leaf number state->tree_size at time_ms (>= the last leaf's
 * time), updating *state on success. The leaf is written from tx->bytes.
 * work is the batch's scratch memory. On MANNE_OK *receipt says
 * where the leaf is, or (duplicate) where it already was.
 */
enum manne_status apply_tx(struct store_txn *txn, struct ledger_state *state, const struct tx *tx,
			   uint64_t time_ms, struct apply_work *work, struct receipt *receipt)
	__attribute__((warn_unused_result));

/* Helpers for the kinds (apply_steps.c). */
enum manne_status apply_store_status(int store_result);
/* The leaf will show in this account's history: links the leaf to the
 * account's previous one and makes it the latest (a->history_last). Call it
 * on the copy of the account that will be written. */
void apply_party(struct apply_ctx *c, struct account *a);
/* The next account number, for an account opened (or recovered to) now. */
uint64_t apply_new_account_number(struct apply_ctx *c);
/* Loads an account other than the signer: COUNTERPARTY_UNKNOWN, or with
 * must_be_active COUNTERPARTY_NOT_ACTIVE when it is frozen or closed. */
enum manne_status apply_counterparty(struct apply_ctx *c, const uint8_t key[KEY_BYTES], bool must_be_active,
				     struct account *out);
/* Recoveries are board acts; a chain longer than this is a damaged store. */
#define SUCCESSION_HOPS_MAX 4096

/* Follows recoveries from `key` to the account that holds its balance now. */
enum manne_status apply_current_holder(struct apply_ctx *c, const uint8_t key[KEY_BYTES],
				       uint8_t current[KEY_BYTES], struct account *out);
enum manne_status apply_put_account(struct apply_ctx *c, const uint8_t key[KEY_BYTES], const struct account *a);
/* Decodes the applied transaction at leaf `index` into c->work (valid until
 * the next call): a refund reads the payment it names. */
enum manne_status apply_referenced_tx(struct apply_ctx *c, uint64_t index, struct tx *out);
/* BACKING_EXCEEDED when c->totals would leave reserve < outstanding. */
enum manne_status apply_backing(const struct apply_ctx *c);
bool apply_is_partner(uint8_t role); /* shop or producer */

/* One per kind, in tx_<kind>.c. */
enum manne_status tx_genesis_apply(struct apply_ctx *c);
enum manne_status tx_open_account_apply(struct apply_ctx *c);
enum manne_status tx_set_account_apply(struct apply_ctx *c);
enum manne_status tx_freeze_apply(struct apply_ctx *c);
enum manne_status tx_recover_account_apply(struct apply_ctx *c);
enum manne_status tx_fund_reserve_apply(struct apply_ctx *c);
enum manne_status tx_release_reserve_apply(struct apply_ctx *c);
enum manne_status tx_issue_apply(struct apply_ctx *c);
enum manne_status tx_reverse_issue_apply(struct apply_ctx *c);
enum manne_status tx_retire_dormant_apply(struct apply_ctx *c);
enum manne_status tx_pay_apply(struct apply_ctx *c);
enum manne_status tx_refund_apply(struct apply_ctx *c);
enum manne_status tx_redeem_apply(struct apply_ctx *c);
enum manne_status tx_settle_redemption_apply(struct apply_ctx *c);
enum manne_status tx_set_ledger_apply(struct apply_ctx *c);
enum manne_status tx_set_board_apply(struct apply_ctx *c);
enum manne_status tx_set_checkpoint_key_apply(struct apply_ctx *c);
enum manne_status tx_void_apply(struct apply_ctx *c);
enum manne_status tx_set_card_apply(struct apply_ctx *c);

#endif
