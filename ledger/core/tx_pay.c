/*
 * tx_pay.c: a payment (SPEC §4, §5), signed by the payer.
 * Members pay shops, producers and the association; shops and producers pay
 * each other and the association; nobody else pays and nobody pays a member
 * (a shop gives back to a member only by refund). Credits paid to the
 * association are retired. The payer's per-payment and daily maximums apply,
 * the day being the ledger day. The payment is indexed by the payee's
 * reference for the till that waits for it; the first payment with a
 * reference keeps it, and a later payment to the same payee reusing it is
 * refused (SPEC §5), so a look-up never returns a substitute. Refunds read
 * the payment's own leaf. A payment to the association may name the counter
 * that took it (SPEC §3): an active counter, whose history then shows it.
 */
#include <string.h>

#include "apply.h"

static bool may_pay(uint8_t payer, uint8_t payee)
{
	if (payer != ROLE_MEMBER && !apply_is_partner(payer))
		return false;
	return apply_is_partner(payee) || payee == ROLE_ASSOCIATION;
}

enum manne_status tx_pay_apply(struct apply_ctx *c)
{
	const Manne__Pay *p = c->body->pay;
	struct account *payer = &c->signer;
	struct account payee, counter;
	bool has_counter = p->counter.len != 0;
	uint64_t used, used_new;
	enum manne_status status;
	size_t reference_len = strlen(p->payee_reference);

	if (memcmp(p->payee.data, c->tx->signer, KEY_BYTES) == 0)
		return MANNE_ERR_ROLE_FORBIDDEN;
	status = apply_counterparty(c, p->payee.data, true, &payee);
	if (status != MANNE_OK)
		return status;
	if (has_counter) {
		status = apply_counterparty(c, p->counter.data, true, &counter);
		if (status != MANNE_OK)
			return status;
		if (counter.role != ROLE_COUNTER || payee.role != ROLE_ASSOCIATION)
			return MANNE_ERR_ROLE_FORBIDDEN;
	}
	if (!may_pay(payer->role, payee.role))
		return MANNE_ERR_ROLE_FORBIDDEN;
	if (reference_len > 0) {
		uint64_t first;
		int rc = store_payee_reference_get(c->txn, p->payee.data, p->payee_reference, reference_len, &first);
		if (rc == STORE_OK)
			return MANNE_ERR_REFERENCE_USED;
		if (rc != STORE_NOT_FOUND)
			return apply_store_status(rc);
	}
	used = payer->used_day == c->day ? payer->used_today : 0;
	if (__builtin_add_overflow(used, p->amount, &used_new))
		return MANNE_ERR_LIMIT_EXCEEDED;
	if ((payer->max_payment != 0 && p->amount > payer->max_payment) ||
	    (payer->max_daily != 0 && used_new > payer->max_daily))
		return MANNE_ERR_LIMIT_EXCEEDED;
	if (payer->balance < p->amount)
		return MANNE_ERR_INSUFFICIENT_FUNDS;
	if (payee.role == ROLE_ASSOCIATION) {
		if (__builtin_add_overflow(c->totals.retired, p->amount, &c->totals.retired))
			return MANNE_ERR_INVALID_AMOUNT;
	} else if (__builtin_add_overflow(payee.balance, p->amount, &payee.balance)) {
		return MANNE_ERR_INVALID_AMOUNT;
	}

	payer->balance -= p->amount;
	payer->used_today = used_new;
	payer->used_day = c->day;
	apply_party(c, &payee);
	if (has_counter) {
		apply_party(c, &counter);
		status = apply_put_account(c, p->counter.data, &counter);
		if (status != MANNE_OK)
			return status;
	}

	status = apply_put_account(c, p->payee.data, &payee);
	if (status != MANNE_OK || reference_len == 0)
		return status;
	return apply_store_status(
		store_payee_reference_put(c->txn, p->payee.data, p->payee_reference, reference_len, c->index));
}
