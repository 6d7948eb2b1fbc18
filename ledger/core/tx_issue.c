/*
 * tx_issue.c: the board creates credits for a member, shop or producer
 * (SPEC §4), with a reason, a programme and a reference, never beyond the
 * backing (SPEC §2). The issue is recorded so that reverse_issue can name it.
 */
#include <string.h>

#include "apply.h"

enum manne_status tx_issue_apply(struct apply_ctx *c)
{
	const Manne__Issue *is = c->body->issue;
	struct tx_record record;
	struct account a;
	enum manne_status status = apply_counterparty(c, is->account.data, true, &a);

	if (status != MANNE_OK)
		return status;
	if (a.role != ROLE_MEMBER && !apply_is_partner(a.role))
		return MANNE_ERR_ROLE_FORBIDDEN;
	if (__builtin_add_overflow(a.balance, is->amount, &a.balance) ||
	    __builtin_add_overflow(c->totals.issued, is->amount, &c->totals.issued))
		return MANNE_ERR_INVALID_AMOUNT;
	status = apply_backing(c);
	if (status != MANNE_OK)
		return status;

	memset(&record, 0, sizeof(record));
	record.type = RECORD_ISSUE;
	record.amount = is->amount;
	memcpy(record.party, is->account.data, KEY_BYTES);
	apply_party(c, &a);
	status = apply_put_account(c, is->account.data, &a);
	if (status != MANNE_OK)
		return status;
	return apply_store_status(store_record_put(c->txn, c->tx->txid, &record));
}
