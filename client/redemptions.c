/*
 * redemptions.c: the reconversions, page by page (manne.h). Every page is
 * checked like any reply: a field over its bound, a fee over its amount or
 * a cursor that does not move on is MANNE_ERR_PROTOCOL.
 */
#include <string.h>

#include "manne_internal.h"

static enum manne_status take(struct manne *m, const Manne__Redemption *in, struct manne_redemption *out)
{
	memset(out, 0, sizeof(*out));
	if (in->txid.len != MANNE_TXIDBYTES || in->partner.len != MANNE_PUBLICKEYBYTES ||
	    in->partner_reference.len > MANNE_ACCOUNT_REFERENCE_BYTES_MAX || in->fee > in->amount ||
	    in->state < MANNE__REDEMPTION_STATE__REDEMPTION_PENDING ||
	    in->state > MANNE__REDEMPTION_STATE__REDEMPTION_REJECTED)
		return manne_fail(m, MANNE_ERR_PROTOCOL, "a redemption in the reply is over its bounds");
	memcpy(out->txid, in->txid.data, MANNE_TXIDBYTES);
	memcpy(out->partner, in->partner.data, MANNE_PUBLICKEYBYTES);
	if (in->partner_reference.len != 0)
		memcpy(out->partner_reference, in->partner_reference.data, in->partner_reference.len);
	out->partner_reference_len = in->partner_reference.len;
	out->leaf_index = in->leaf_index;
	out->time_ms = in->time_ms;
	out->amount = in->amount;
	out->fee = in->fee;
	out->state = (enum manne_redemption_state)in->state;
	return MANNE_OK;
}

/* Pages, at most: each scans up to 16,384 records, so this is over a
 * billion records, and a server that sends empty pages for ever is stopped. */
#define REDEMPTION_PAGES_MAX 65536U

enum manne_status manne_redemptions(struct manne *m, bool include_settled, manne_redemption_fn fn, void *ctx)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__RedemptionsRequest q = MANNE__REDEMPTIONS_REQUEST__INIT;
	uint8_t after[MANNE_TXIDBYTES];
	enum manne_status status = MANNE_OK;

	if (m == NULL || fn == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a callback is needed");
	request.kind_case = MANNE__REQUEST__KIND_REDEMPTIONS;
	request.redemptions = &q;
	q.limit = MANNE_PAGE_ENTRIES_MAX;
	q.include_settled = include_settled;
	for (unsigned pages = 0;; pages++) {
		Manne__Response *r = NULL;
		const Manne__RedemptionsPage *page;
		struct manne_redemption one;

		status = manne_call(m, &request, 0, &r);
		if (status == MANNE_OK && r->kind_case != MANNE__RESPONSE__KIND_REDEMPTIONS)
			status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger answered with another kind of reply");
		page = status == MANNE_OK ? r->redemptions : NULL;
		if (page != NULL && (page->n_redemptions > q.limit ||
				     (page->next_txid.len != 0 && page->next_txid.len != MANNE_TXIDBYTES) ||
				     /* txid order: the cursor only moves forward, so the walk ends */
				     (page->next_txid.len != 0 && q.after_txid.len != 0 &&
				      memcmp(page->next_txid.data, after, MANNE_TXIDBYTES) <= 0)))
			status = manne_fail(m, MANNE_ERR_PROTOCOL, "a page of redemptions is over its bounds");
		if (status == MANNE_OK && pages == REDEMPTION_PAGES_MAX)
			status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger's list of redemptions does not end");
		for (size_t i = 0; status == MANNE_OK && i < page->n_redemptions; i++) {
			const ProtobufCBinaryData *id = &page->redemptions[i]->txid;
			status = take(m, page->redemptions[i], &one);
			/* In txid order, after the cursor and up to the next one: no
			 * redemption twice, so no total counts one twice. */
			if (status == MANNE_OK &&
			    ((q.after_txid.len != 0 && memcmp(id->data, after, MANNE_TXIDBYTES) <= 0) ||
			     (i > 0 && memcmp(id->data, page->redemptions[i - 1]->txid.data, MANNE_TXIDBYTES) <= 0) ||
			     (page->next_txid.len != 0 && memcmp(id->data, page->next_txid.data, MANNE_TXIDBYTES) > 0) ||
			     (!include_settled && one.state != MANNE_REDEMPTION_PENDING)))
				status = manne_fail(m, MANNE_ERR_PROTOCOL, "a page of redemptions is out of order or not asked for");
			if (status == MANNE_OK && fn(ctx, &one) != 0)
				status = manne_fail(m, MANNE_ERR_ARGUMENT, "stopped by the caller");
		}
		bool more = status == MANNE_OK && page->next_txid.len != 0;
		if (more) {
			memcpy(after, page->next_txid.data, MANNE_TXIDBYTES);
			q.after_txid = (ProtobufCBinaryData){.len = MANNE_TXIDBYTES, .data = after};
		}
		if (r != NULL)
			manne__response__free_unpacked(r, NULL);
		if (!more)
			return status;
	}
}
