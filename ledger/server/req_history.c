/*
 * req_history.c: the leaves that concern an account, newest first, a page at
 * a time, as the account (or the board, or an auditor) may see them.
 */
#include "ledger/store/history.h"
#include "reads.h"

static struct txinfo_buf page[PAGE_ENTRIES_MAX];

static void req_history(struct slot *slot, const Manne__Request *request)
{
	const Manne__HistoryRequest *r = request->history;
	struct conn *c = slot->conn;
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__HistoryPage history = MANNE__HISTORY_PAGE__INIT;
	Manne__TxInfo *entries[PAGE_ENTRIES_MAX];
	uint64_t indexes[PAGE_ENTRIES_MAX], next;
	size_t count, limit = r->limit == 0 || r->limit > PAGE_ENTRIES_MAX ? PAGE_ENTRIES_MAX : r->limit;
	struct store_txn *txn;
	struct account account;

	if (r->account.len != KEY_BYTES) {
		slot_reply_status(slot, MANNE_ERR_MALFORMED, "an account key is 32 bytes");
		return;
	}
	if (!reads_may_see_account(c, r->account.data, r->account.len)) {
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED, "authenticate as this account, the board or an auditor");
		return;
	}
	if ((txn = reads_begin(slot)) == NULL)
		return;
	int rc = store_account_get(txn, r->account.data, &account);
	if (rc != STORE_OK) {
		store_abort(txn);
		slot_reply_status(slot, rc == STORE_NOT_FOUND ? MANNE_ERR_UNKNOWN_ACCOUNT : MANNE_ERR_INTERNAL, NULL);
		return;
	}
	rc = history_page(txn, &account, r->before_index, indexes, limit, &count, &next);
	if (rc != STORE_OK) {
		store_abort(txn);
		if (rc == STORE_NOT_FOUND)
			slot_reply_status(slot, MANNE_ERR_NOT_FOUND,
					  "before_index is 0 or the next_index of a page of this account's history");
		else
			slot_reply_status(slot, MANNE_ERR_INTERNAL, NULL);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		if (txinfo_from_leaf(txn, indexes[i], r->account.data, reader_privileged(c), &page[i]) != MANNE_OK) {
			store_abort(txn);
			slot_reply_status(slot, MANNE_ERR_INTERNAL, "a leaf of the history cannot be read");
			return;
		}
		entries[i] = &page[i].info;
	}
	history.n_entries = count;
	history.entries = entries;
	history.next_index = next;
	response.kind_case = MANNE__RESPONSE__KIND_HISTORY;
	response.history = &history;
	slot_reply(slot, &response);
	store_abort(txn);
}

const struct req_entry req_history_entry = {
	.name = "history",
	.run = req_history,
};
