/*
 * req_redemptions.c: the reconversions, pending or all, for the board and
 * auditors, so that the treasurer wires from the ledger's own figures
 * (`manne redemptions --pending`): the partner and its account reference,
 * the amount and the fee fixed when the redeem was applied.
 *
 * The records are walked in txid order from the caller's cursor. A page
 * scans at most REDEMPTION_SCAN_MAX records (issues are records too), so a
 * page's work on the loop is bounded however many there are.
 */
#include <string.h>

#include "ledger/log/bytes.h"
#include "reads.h"

#define REDEMPTION_SCAN_MAX 16384U

struct page {
	struct store_txn *txn;
	bool include_settled;
	size_t limit, count, scanned;
	uint8_t last[TXID_BYTES];  /* the last record scanned: the next page's cursor */
	bool more;                 /* stopped before the end */
	bool failed;
	Manne__Redemption items[PAGE_ENTRIES_MAX];
	Manne__Redemption *item_ptrs[PAGE_ENTRIES_MAX];
	uint8_t txids[PAGE_ENTRIES_MAX][TXID_BYTES];
	uint8_t partners[PAGE_ENTRIES_MAX][KEY_BYTES];
	uint8_t references[PAGE_ENTRIES_MAX][ACCOUNT_REFERENCE_BYTES_MAX];
};

static int take(void *ctx, const uint8_t txid[TXID_BYTES], const struct tx_record *record)
{
	struct page *p = ctx;
	const uint8_t *leaf;
	struct account partner;
	uint64_t index;
	size_t len;

	if (p->count == p->limit || p->scanned == REDEMPTION_SCAN_MAX) {
		p->more = true;
		return 1;
	}
	p->scanned++;
	memcpy(p->last, txid, TXID_BYTES);
	if (record->type != RECORD_REDEMPTION || (!p->include_settled && record->state != REDEMPTION_PENDING))
		return 0;
	size_t i = p->count;
	/* The partner now: after a lost card's recovery, the new key is paid. */
	reads_holder_at(p->txn, record->party, UINT64_MAX, p->partners[i]);
	if (store_txid_get(p->txn, txid, &index) != STORE_OK || store_leaf_get(p->txn, index, &leaf, &len) != STORE_OK ||
	    len < LEAF_HEADER_BYTES || store_account_get(p->txn, p->partners[i], &partner) != STORE_OK) {
		p->failed = true;
		return 1;
	}
	p->count++;
	Manne__Redemption *r = &p->items[i];
	manne__redemption__init(r);
	memcpy(p->txids[i], txid, TXID_BYTES);
	memcpy(p->references[i], partner.reference, partner.reference_len);
	r->txid = (ProtobufCBinaryData){.len = TXID_BYTES, .data = p->txids[i]};
	r->leaf_index = index;
	r->time_ms = load_be64(leaf + 8);
	r->partner = (ProtobufCBinaryData){.len = KEY_BYTES, .data = p->partners[i]};
	r->amount = record->amount;
	r->fee = record->fee;
	r->partner_reference = (ProtobufCBinaryData){.len = partner.reference_len, .data = p->references[i]};
	r->state = reads_redemption_state(record->state);
	p->item_ptrs[i] = r;
	return 0;
}

/* One page at a time, on the loop thread. */
static struct page page;

static void req_redemptions(struct slot *slot, const Manne__Request *request)
{
	const Manne__RedemptionsRequest *r = request->redemptions;
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__RedemptionsPage out = MANNE__REDEMPTIONS_PAGE__INIT;
	int rc;

	if (!reader_privileged(slot->conn)) {
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED, "the reconversions are for the board and auditors");
		return;
	}
	if (r->after_txid.len != 0 && r->after_txid.len != TXID_BYTES) {
		slot_reply_status(slot, MANNE_ERR_MALFORMED, "after_txid is empty or a txid of 32 bytes");
		return;
	}
	memset(&page, 0, sizeof(page));
	page.include_settled = r->include_settled;
	page.limit = r->limit == 0 || r->limit > PAGE_ENTRIES_MAX ? PAGE_ENTRIES_MAX : r->limit;
	if ((page.txn = reads_begin(slot)) == NULL)
		return;
	rc = store_record_each(page.txn, r->after_txid.len != 0 ? r->after_txid.data : NULL, take, &page);
	store_abort(page.txn);
	if (rc != STORE_OK || page.failed) {
		slot_reply_status(slot, MANNE_ERR_INTERNAL, "the reconversions cannot be read");
		return;
	}
	out.n_redemptions = page.count;
	out.redemptions = page.item_ptrs;
	if (page.more)
		out.next_txid = (ProtobufCBinaryData){.len = TXID_BYTES, .data = page.last};
	response.kind_case = MANNE__RESPONSE__KIND_REDEMPTIONS;
	response.redemptions = &out;
	slot_reply(slot, &response);
}

const struct req_entry req_redemptions_entry = {
	.name = "redemptions",
	.run = req_redemptions,
};
