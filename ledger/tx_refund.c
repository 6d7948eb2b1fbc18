/*
 * tx_refund.c: a shop or producer gives back all or part of a payment it
 * received (SPEC §4), in one or more refunds that together never exceed the
 * payment. The signer is the payee or, after a recovery, its successor; the
 * credits go to the account that now holds the payer's balance, even if it
 * is frozen. Refunds do not change daily usage.
 */
#include "apply.h"

#include <string.h>

enum manne_status tx_refund_apply(struct apply_ctx *c)
{
	const Manne__Refund *r = c->body->refund;
	uint8_t payee_now[KEY_BYTES], payer_now[KEY_BYTES];
	struct account payee_account, payer;
	struct tx_record record;
	uint64_t refunded;
	enum manne_status status;
	int rc;

	if (!apply_is_partner(c->signer.role))
		return MANNE_ERR_ROLE_FORBIDDEN;
	rc = store_record_get(c->txn, r->payment_txid.data, &record);
	if (rc == STORE_NOT_FOUND || (rc == STORE_OK && record.type != RECORD_PAYMENT))
		return MANNE_ERR_NOT_FOUND;
	if (rc != STORE_OK)
		return MANNE_ERR_INTERNAL;
	status = apply_current_holder(c, record.other, payee_now, &payee_account);
	if (status != MANNE_OK)
		return status;
	if (memcmp(payee_now, c->tx->signer, KEY_BYTES) != 0)
		return MANNE_ERR_ROLE_FORBIDDEN;
	status = apply_current_holder(c, record.party, payer_now, &payer);
	if (status != MANNE_OK)
		return status;
	if (payer.state == ACCOUNT_CLOSED)
		return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
	if (__builtin_add_overflow(record.used, r->amount, &refunded) || refunded > record.amount)
		return MANNE_ERR_REFUND_EXCEEDS_PAYMENT;
	if (c->signer.balance < r->amount)
		return MANNE_ERR_INSUFFICIENT_FUNDS;
	if (__builtin_add_overflow(payer.balance, r->amount, &payer.balance))
		return MANNE_ERR_INVALID_AMOUNT;

	c->signer.balance -= r->amount;
	record.used = refunded;
	apply_party(c, payer_now);
	status = apply_put_account(c, payer_now, &payer);
	if (status != MANNE_OK)
		return status;
	return apply_store_status(store_record_put(c->txn, r->payment_txid.data, &record));
}
