/*
 * tx_set_account.c: the board unfreezes an account, changes its limits, or
 * closes it (SPEC §4). Closing is refused while the balance is not zero or a
 * redemption is pending; a closed account stays closed for ever.
 */
#include "apply.h"

enum manne_status tx_set_account_apply(struct apply_ctx *c)
{
	const Manne__SetAccount *s = c->body->set_account;
	struct account a;
	enum manne_status status = apply_counterparty(c, s->account.data, false, &a);

	if (status != MANNE_OK)
		return status;
	if (a.state == ACCOUNT_CLOSED)
		return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
	if (a.role == ROLE_ASSOCIATION)
		return MANNE_ERR_ROLE_FORBIDDEN;
	switch (s->action) {
	case MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE:
		a.state = ACCOUNT_ACTIVE;
		break;
	case MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS:
		a.max_payment = s->max_payment;
		a.max_daily = s->max_daily;
		break;
	case MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE:
		if (a.balance != 0 || a.pending_count != 0)
			return MANNE_ERR_ACCOUNT_NOT_EMPTY;
		a.state = ACCOUNT_CLOSED;
		break;
	default:
		return MANNE_ERR_MALFORMED;
	}
	apply_party(c, &a);
	return apply_put_account(c, s->account.data, &a);
}
