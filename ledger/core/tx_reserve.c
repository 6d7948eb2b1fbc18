/*
 * tx_reserve.c: euros into and out of the guarantee fund (SPEC §2, §4), board
 * acts with a bank reference. Releasing is refused beyond what the fund
 * holds (INSUFFICIENT_FUNDS) and below the credits outstanding
 * (BACKING_EXCEEDED).
 */
#include "apply.h"

enum manne_status tx_fund_reserve_apply(struct apply_ctx *c)
{
	if (__builtin_add_overflow(c->totals.funded, c->body->fund_reserve->amount, &c->totals.funded))
		return MANNE_ERR_INVALID_AMOUNT;
	return MANNE_OK;
}

enum manne_status tx_release_reserve_apply(struct apply_ctx *c)
{
	uint64_t amount = c->body->release_reserve->amount;
	uint64_t reserve;

	if (totals_reserve(&c->totals, &reserve) != 0)
		return MANNE_ERR_INTERNAL;
	if (amount > reserve)
		return MANNE_ERR_INSUFFICIENT_FUNDS;
	if (__builtin_add_overflow(c->totals.released, amount, &c->totals.released))
		return MANNE_ERR_INVALID_AMOUNT;
	return apply_backing(c);
}
