/*
 * req_log.c: raw leaves from an index, a page at a time, for the board and
 * auditors (the auditor's replay reads these).
 */
#include "reads.h"

static ProtobufCBinaryData leaves[PAGE_ENTRIES_MAX];

static void req_log(struct slot *slot, const Manne__Request *request)
{
	const Manne__LogEntriesRequest *r = request->log_entries;
	struct server *s = conn_server(slot->conn);
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__LogEntriesPage page = MANNE__LOG_ENTRIES_PAGE__INIT;
	size_t limit = r->limit == 0 || r->limit > PAGE_ENTRIES_MAX ? PAGE_ENTRIES_MAX : r->limit;
	/* A page stays well under the frame maximum whatever the leaves' sizes. */
	size_t bytes = 0, bytes_max = 4U << 20;
	struct store_txn *txn;
	size_t count = 0;

	if (!reader_privileged(slot->conn)) {
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED, "the raw log is for the board and auditors");
		return;
	}
	if ((txn = reads_begin(slot)) == NULL)
		return;
	for (uint64_t i = r->from_index; i < s->state.tree_size && count < limit; i++) {
		const uint8_t *leaf;
		size_t len;
		if (store_leaf_get(txn, i, &leaf, &len) != STORE_OK) {
			store_abort(txn);
			slot_reply_status(slot, MANNE_ERR_INTERNAL, NULL);
			return;
		}
		if (count > 0 && bytes + len > bytes_max)
			break;
		leaves[count++] = (ProtobufCBinaryData){.len = len, .data = (uint8_t *)leaf};
		bytes += len;
	}
	page.n_leaves = count;
	page.leaves = leaves;
	page.next_index = r->from_index + count < s->state.tree_size ? r->from_index + count : 0;
	response.kind_case = MANNE__RESPONSE__KIND_LOG_ENTRIES;
	response.log_entries = &page;
	slot_reply(slot, &response);
	store_abort(txn);
}

const struct req_entry req_log_entry = {
	.name = "log_entries",
	.run = req_log,
};
