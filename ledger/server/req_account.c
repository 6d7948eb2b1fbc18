/*
 * req_account.c: an account's balance, state, limits, what it may still pay
 * today and its next sequence: for the account itself, the board and
 * auditors. The opaque reference is for the board and auditors only.
 */
#include <string.h>

#include "reads.h"

static void req_account(struct slot *slot, const Manne__Request *request)
{
	const ProtobufCBinaryData *key = &request->account->account;
	struct conn *c = slot->conn;
	struct server *s = conn_server(c);
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__AccountInfo info = MANNE__ACCOUNT_INFO__INIT;
	struct account a;
	struct store_txn *txn;
	int rc;

	if (key->len != KEY_BYTES) {
		slot_reply_status(slot, MANNE_ERR_MALFORMED, "an account key is 32 bytes");
		return;
	}
	if (!reads_may_see_account(c, key->data, key->len)) {
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED, "authenticate as this account, the board or an auditor");
		return;
	}
	if ((txn = reads_begin(slot)) == NULL)
		return;
	rc = store_account_get(txn, key->data, &a);
	store_abort(txn);
	if (rc != STORE_OK) {
		slot_reply_status(slot, rc == STORE_NOT_FOUND ? MANNE_ERR_UNKNOWN_ACCOUNT : MANNE_ERR_INTERNAL, NULL);
		return;
	}
	struct day_rules rules = state_day_rules(&s->state);
	uint64_t used = a.used_day == ledger_day(&rules, (int64_t)clock_now_ms()) ? a.used_today : 0;
	info.account = *key;
	info.role = (Manne__Role)a.role;
	info.state = (Manne__AccountState)a.state;
	info.balance = a.balance;
	info.max_payment = a.max_payment;
	info.max_daily = a.max_daily;
	info.remaining_today = a.max_daily == 0 ? a.balance : (a.max_daily > used ? a.max_daily - used : 0);
	if (info.remaining_today > a.balance)
		info.remaining_today = a.balance;
	info.next_sequence = a.next_sequence;
	info.card_held = a.card_held;
	if (a.has_successor)
		info.successor = (ProtobufCBinaryData){.len = KEY_BYTES, .data = a.successor};
	info.pending_redemptions = a.pending;
	if (reader_privileged(c))
		info.reference = (ProtobufCBinaryData){.len = a.reference_len, .data = a.reference};
	response.kind_case = MANNE__RESPONSE__KIND_ACCOUNT;
	response.account = &info;
	slot_reply(slot, &response);
}

const struct req_entry req_account_entry = {
	.name = "account",
	.run = req_account,
};
