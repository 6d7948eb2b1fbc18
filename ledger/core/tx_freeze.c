/*
 * tx_freeze.c: freezes an account at once (SPEC §4: a lost card on a
 * Saturday). Signed by any one board key, or by the account itself; an
 * account cannot freeze another.
 */
#include <string.h>

#include "apply.h"

enum manne_status tx_freeze_apply(struct apply_ctx *c)
{
	const uint8_t *key = c->body->freeze->account.data;
	struct account a;
	enum manne_status status;

	if (c->tx->signer != NULL) {
		if (memcmp(key, c->tx->signer, KEY_BYTES) != 0) {
			/* SPEC §5: the other party (unknown, not active) comes before the role. */
			status = apply_counterparty(c, key, true, &a);
			return status != MANNE_OK ? status : MANNE_ERR_ROLE_FORBIDDEN;
		}
		if (c->signer.role == ROLE_ASSOCIATION)
			return MANNE_ERR_ROLE_FORBIDDEN;
		c->signer.state = ACCOUNT_FROZEN;
		c->signer.frozen_since_ms = c->time_ms;
		return MANNE_OK;
	}
	status = apply_counterparty(c, key, true, &a);
	if (status != MANNE_OK)
		return status;
	if (a.role == ROLE_ASSOCIATION)
		return MANNE_ERR_ROLE_FORBIDDEN;
	a.state = ACCOUNT_FROZEN;
	a.frozen_since_ms = c->time_ms;
	apply_party(c, &a);
	return apply_put_account(c, key, &a);
}
