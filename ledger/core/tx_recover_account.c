/*
 * tx_recover_account.c: a card is lost (SPEC §4). Board and the new key sign.
 * The new key takes the balance, role, limits, daily usage and pending
 * redemptions, active at sequence 1; the old key is closed for ever and names
 * its successor, through which refunds of its received payments and
 * settlements of its redemptions find the new key.
 */
#include <string.h>

#include "apply.h"

enum manne_status tx_recover_account_apply(struct apply_ctx *c)
{
	const Manne__RecoverAccount *r = c->body->recover_account;
	struct account old, fresh;
	enum manne_status status = apply_counterparty(c, r->old_account.data, false, &old);
	int rc;

	if (status != MANNE_OK)
		return status;
	if (old.state == ACCOUNT_CLOSED)
		return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
	rc = store_account_get(c->txn, r->new_account.data, &fresh);
	if (rc == STORE_OK)
		return MANNE_ERR_KEY_ALREADY_USED;
	if (rc != STORE_NOT_FOUND)
		return MANNE_ERR_INTERNAL;
	if (old.role == ROLE_ASSOCIATION)
		return MANNE_ERR_ROLE_FORBIDDEN;

	fresh = old;
	fresh.state = ACCOUNT_ACTIVE;
	fresh.next_sequence = 1;
	fresh.frozen_since_ms = 0;
	fresh.opened_index = c->index;
	fresh.number = apply_new_account_number(c);
	fresh.history_last = 0; /* its history starts here; the old one's leads to it */

	old.balance = 0;
	old.pending = 0;
	old.pending_count = 0;
	old.used_today = 0;
	old.state = ACCOUNT_CLOSED;
	old.has_successor = 1;
	memcpy(old.successor, r->new_account.data, KEY_BYTES);

	apply_party(c, &old);
	apply_party(c, &fresh);
	status = apply_put_account(c, r->new_account.data, &fresh);
	if (status != MANNE_OK)
		return status;
	return apply_put_account(c, r->old_account.data, &old);
}
