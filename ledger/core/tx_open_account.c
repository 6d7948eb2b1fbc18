/*
 * tx_open_account.c: registers a key as an account (SPEC §4), signed by the
 * board and by the new key itself (so a weak, small-order or non-canonical
 * key never gets this far: libsodium's strict verification refuses its
 * signature). A key that ever was an account is never opened again.
 */
#include <string.h>

#include "apply.h"

enum manne_status tx_open_account_apply(struct apply_ctx *c)
{
	const Manne__OpenAccount *o = c->body->open_account;
	struct account a;
	int rc = store_account_get(c->txn, o->key.data, &a);

	if (rc == STORE_OK)
		return MANNE_ERR_KEY_ALREADY_USED;
	if (rc != STORE_NOT_FOUND)
		return MANNE_ERR_INTERNAL;
	if (o->role == MANNE__ROLE__ROLE_ASSOCIATION || (o->card_held && o->role != MANNE__ROLE__ROLE_MEMBER))
		return MANNE_ERR_ROLE_FORBIDDEN;

	memset(&a, 0, sizeof(a));
	a.role = (uint8_t)o->role;
	a.state = ACCOUNT_ACTIVE;
	a.card_held = o->card_held ? 1 : 0;
	a.max_payment = o->max_payment;
	a.max_daily = o->max_daily;
	a.next_sequence = 1;
	a.used_day = c->day;
	a.opened_index = c->index;
	a.number = apply_new_account_number(c);
	if (o->reference.len != 0) /* data is NULL when absent: memcpy(d, NULL, 0) is undefined */
		memcpy(a.reference, o->reference.data, o->reference.len);
	a.reference_len = (uint8_t)o->reference.len;
	apply_party(c, &a);
	return apply_put_account(c, o->key.data, &a);
}
