/*
 * tx_reverse_issue.c: the board takes back credits it issued by mistake
 * (SPEC §4): up to what is left of the named issue, from the account that
 * holds the credited balance now (after recoveries), as far as its balance
 * allows. The credits taken back are retired.
 */
#include "apply.h"

enum manne_status tx_reverse_issue_apply(struct apply_ctx *c)
{
	const Manne__ReverseIssue *r = c->body->reverse_issue;
	uint8_t holder[KEY_BYTES];
	struct tx_record record;
	struct account a;
	uint64_t left, taken;
	enum manne_status status;
	int rc = store_record_get(c->txn, r->issue_txid.data, &record);

	if (rc == STORE_NOT_FOUND || (rc == STORE_OK && record.type != RECORD_ISSUE))
		return MANNE_ERR_NOT_FOUND;
	if (rc != STORE_OK)
		return MANNE_ERR_INTERNAL;
	status = apply_current_holder(c, record.party, holder, &a);
	if (status != MANNE_OK)
		return status;
	left = record.amount - record.used;
	if (r->amount > left)
		return MANNE_ERR_REFUND_EXCEEDS_PAYMENT;
	taken = r->amount < a.balance ? r->amount : a.balance;
	if (taken == 0)
		return MANNE_ERR_INSUFFICIENT_FUNDS;
	if (__builtin_add_overflow(c->totals.retired, taken, &c->totals.retired))
		return MANNE_ERR_INVALID_AMOUNT;

	a.balance -= taken;
	record.used += taken;
	apply_party(c, &a);
	status = apply_put_account(c, holder, &a);
	if (status != MANNE_OK)
		return status;
	return apply_store_status(store_record_put(c->txn, r->issue_txid.data, &record));
}
