/*
 * tx_redeem.c: a shop or producer asks to turn credits into euros (SPEC §2,
 * §4). The amount leaves its balance and waits as a pending redemption, still
 * outstanding, with the fee fixed at the rate in force now.
 */
#include <string.h>

#include "apply.h"

enum manne_status tx_redeem_apply(struct apply_ctx *c)
{
	uint64_t amount = c->body->redeem->amount;
	struct tx_record record;

	if (!apply_is_partner(c->signer.role))
		return MANNE_ERR_ROLE_FORBIDDEN;
	if (c->signer.balance < amount)
		return MANNE_ERR_INSUFFICIENT_FUNDS;
	if (__builtin_add_overflow(c->totals.pending, amount, &c->totals.pending) ||
	    __builtin_add_overflow(c->signer.pending, amount, &c->signer.pending))
		return MANNE_ERR_INVALID_AMOUNT;

	c->signer.balance -= amount;
	c->signer.pending_count++;
	memset(&record, 0, sizeof(record));
	record.type = RECORD_REDEMPTION;
	record.state = REDEMPTION_PENDING;
	record.amount = amount;
	/* amount <= 10^11 and fee_bp <= 10^4: the product fits in 64 bits. */
	record.fee = amount * c->state->fee_bp / 10000;
	memcpy(record.party, c->tx->signer, KEY_BYTES);
	return apply_store_status(store_record_put(c->txn, c->tx->txid, &record));
}
