/*
 * tx_set_card.c: the board registers a card for a card-held member, or
 * unlocks one that wrong PINs locked (SPEC §10, docs/cards.md). The PIN
 * check is kept as sealed: only the daemon, which holds the card key outside
 * the store, can open it (server/card_unlock.c). Either act starts a new
 * generation, so the wrong tries counted before it no longer count.
 */
#include <string.h>

#include "apply.h"

enum manne_status tx_set_card_apply(struct apply_ctx *c)
{
	const Manne__SetCard *s = c->body->set_card;
	bool registering = s->action == MANNE__CARD_ACTION__CARD_REGISTER;
	struct card_record card;
	struct account a;
	enum manne_status status = apply_counterparty(c, s->account.data, registering, &a);

	if (status != MANNE_OK)
		return status;
	if (a.state == ACCOUNT_CLOSED)
		return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
	if (a.role != ROLE_MEMBER || !a.card_held)
		return MANNE_ERR_ROLE_FORBIDDEN;
	if (registering) {
		memset(&card, 0, sizeof(card));
		memcpy(card.pin_check, s->pin_check.data, CARD_PIN_CHECK_BYTES);
	} else {
		int rc = store_card_get(c->txn, s->account.data, &card);
		if (rc == STORE_NOT_FOUND)
			return MANNE_ERR_NOT_FOUND;
		if (rc != STORE_OK)
			return apply_store_status(rc);
	}
	card.generation = c->index + 1;
	apply_party(c, &a);
	status = apply_put_account(c, s->account.data, &a);
	if (status != MANNE_OK)
		return status;
	return apply_store_status(store_card_put(c->txn, s->account.data, &card));
}
