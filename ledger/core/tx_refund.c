/*
 * tx_refund.c: a shop or producer gives back all or part of a payment it
 * received (SPEC §4), in one or more refunds that together never exceed the
 * payment. The signer is the payee or, after a recovery, its successor; the
 * credits go to the account that now holds the payer's balance, even if it
 * is frozen. Refunds do not change daily usage. Who paid whom and how much
 * comes from the payment's own leaf; what was refunded so far is kept with
 * its txid.
 */
#include "apply.h"

#include <string.h>

enum manne_status tx_refund_apply(struct apply_ctx *c)
{
	const Manne__Refund *r = c->body->refund;
	uint8_t payee_now[KEY_BYTES], payer_now[KEY_BYTES];
	struct account payee_account, payer;
	struct tx payment;
	uint64_t index, refunded_before, refunded;
	enum manne_status status;
	int rc;

	if (!apply_is_partner(c->signer.role))
		return MANNE_ERR_ROLE_FORBIDDEN;
	rc = store_txid_get(c->txn, r->payment_txid.data, &index);
	if (rc == STORE_NOT_FOUND)
		return MANNE_ERR_NOT_FOUND;
	if (rc != STORE_OK || store_refunded_get(c->txn, r->payment_txid.data, &refunded_before) != STORE_OK)
		return MANNE_ERR_INTERNAL;
	status = apply_referenced_tx(c, index, &payment);
	if (status != MANNE_OK)
		return status;
	if (payment.kind != MANNE__TX_BODY__KIND_PAY)
		return MANNE_ERR_NOT_FOUND;
	const Manne__Pay *paid = payment.body->pay;
	/* SPEC §5: the other party's state comes before who may refund. */
	status = apply_current_holder(c, payment.signer, payer_now, &payer);
	if (status != MANNE_OK)
		return status;
	if (payer.state == ACCOUNT_CLOSED)
		return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
	status = apply_current_holder(c, paid->payee.data, payee_now, &payee_account);
	if (status != MANNE_OK)
		return status;
	if (memcmp(payee_now, c->tx->signer, KEY_BYTES) != 0)
		return MANNE_ERR_ROLE_FORBIDDEN;
	if (__builtin_add_overflow(refunded_before, r->amount, &refunded) || refunded > paid->amount)
		return MANNE_ERR_REFUND_EXCEEDS_PAYMENT;
	if (c->signer.balance < r->amount)
		return MANNE_ERR_INSUFFICIENT_FUNDS;
	if (__builtin_add_overflow(payer.balance, r->amount, &payer.balance))
		return MANNE_ERR_INVALID_AMOUNT;

	c->signer.balance -= r->amount;
	apply_party(c, &payer);
	status = apply_put_account(c, payer_now, &payer);
	if (status != MANNE_OK)
		return status;
	return apply_store_status(store_refunded_put(c->txn, r->payment_txid.data, refunded));
}
