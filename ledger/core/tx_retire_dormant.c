/*
 * tx_retire_dormant.c: the board retires the balance of an account frozen for
 * at least 12 ledger-calendar months (SPEC §4). Pending redemptions stay.
 */
#include "apply.h"

enum manne_status tx_retire_dormant_apply(struct apply_ctx *c)
{
	const uint8_t *key = c->body->retire_dormant->account.data;
	struct account a;
	enum manne_status status = apply_counterparty(c, key, false, &a);
	struct day_rules rules = state_day_rules(c->state);

	if (status != MANNE_OK)
		return status;
	if (a.state == ACCOUNT_CLOSED)
		return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
	if (a.state != ACCOUNT_FROZEN ||
	    !ledger_months_elapsed(ledger_day(&rules, (int64_t)a.frozen_since_ms), c->day, DORMANT_MONTHS))
		return MANNE_ERR_NOT_DORMANT;
	if (a.balance == 0)
		return MANNE_ERR_INSUFFICIENT_FUNDS;
	if (__builtin_add_overflow(c->totals.retired, a.balance, &c->totals.retired))
		return MANNE_ERR_INVALID_AMOUNT;
	a.balance = 0;
	apply_party(c, &a);
	return apply_put_account(c, key, &a);
}
