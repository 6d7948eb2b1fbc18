/*
 * tx_settle_redemption.c: the board settles a pending redemption (SPEC §2,
 * §4). PAID: the credits are destroyed (reconverted), the fund pays out
 * amount - fee and keeps the fee. REJECTED: the credits return to the
 * partner's current account, even if frozen.
 */
#include "apply.h"

enum manne_status tx_settle_redemption_apply(struct apply_ctx *c)
{
	const Manne__SettleRedemption *s = c->body->settle_redemption;
	uint8_t holder[KEY_BYTES];
	struct tx_record record;
	struct account a;
	struct totals *t = &c->totals;
	enum manne_status status;
	int rc = store_record_get(c->txn, s->redeem_txid.data, &record);

	if (rc == STORE_NOT_FOUND || (rc == STORE_OK && record.type != RECORD_REDEMPTION))
		return MANNE_ERR_NOT_FOUND;
	if (rc != STORE_OK)
		return MANNE_ERR_INTERNAL;
	/* SPEC §5: the other party's state comes before "already settled". A
	 * pending redemption's owner cannot be closed (set_account refuses it);
	 * once settled, it may have been. Frozen is no obstacle. */
	status = apply_current_holder(c, record.party, holder, &a);
	if (status != MANNE_OK)
		return status;
	if (a.state == ACCOUNT_CLOSED)
		return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
	if (record.state != REDEMPTION_PENDING)
		return MANNE_ERR_ALREADY_SETTLED;
	if (a.pending < record.amount || a.pending_count == 0 || t->pending < record.amount)
		return MANNE_ERR_INTERNAL;

	if (s->outcome == MANNE__SETTLE_OUTCOME__SETTLE_PAID) {
		if (__builtin_add_overflow(t->reconverted, record.amount, &t->reconverted) ||
		    __builtin_add_overflow(t->paid_out, record.amount - record.fee, &t->paid_out) ||
		    __builtin_add_overflow(t->fees, record.fee, &t->fees))
			return MANNE_ERR_INVALID_AMOUNT;
		record.state = REDEMPTION_PAID;
	} else {
		if (__builtin_add_overflow(a.balance, record.amount, &a.balance))
			return MANNE_ERR_INVALID_AMOUNT;
		record.state = REDEMPTION_REJECTED;
	}
	t->pending -= record.amount;
	status = apply_backing(c);
	if (status != MANNE_OK)
		return status;

	a.pending -= record.amount;
	a.pending_count--;
	apply_party(c, &a);
	status = apply_put_account(c, holder, &a);
	if (status != MANNE_OK)
		return status;
	return apply_store_status(store_record_put(c->txn, s->redeem_txid.data, &record));
}
