/*
 * req_account.c: an account's balance, state, limits, what it may still pay
 * today and its next sequence: for the account itself, the board and
 * auditors. The opaque reference is for the board and auditors only. A till
 * learns a card's next sequence, and nothing more.
 */
#include <string.h>

#include "reads.h"

/* SPEC §6, §10: a till about to charge a card signs the card's payment with
 * its next sequence, and learns it on its own connection, authenticated as
 * an active shop, producer or counter; nothing else of the card's account, and only
 * while the card is active. Anyone else is NOT_PERMITTED, whether the
 * account exists or not. (A shop can still learn whether a key is an active
 * card, and how its sequence moves: what it needs to charge it.) */
static void card_sequence(struct slot *slot, const uint8_t card[KEY_BYTES])
{
	const uint8_t *payee = conn_key(slot->conn);
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__AccountInfo info = MANNE__ACCOUNT_INFO__INIT;
	struct account a, till;
	struct store_txn *txn;
	bool may;

	if (payee == NULL || conn_reader(slot->conn) != READER_ACCOUNT) {
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED, "authenticate as this account, the board or an auditor");
		return;
	}
	if ((txn = reads_begin(slot)) == NULL)
		return;
	may = store_account_get(txn, payee, &till) == STORE_OK && till.state == ACCOUNT_ACTIVE &&
	      (till.role == ROLE_SHOP || till.role == ROLE_PRODUCER || till.role == ROLE_COUNTER) &&
	      store_account_get(txn, card, &a) == STORE_OK &&
	      a.card_held && a.state == ACCOUNT_ACTIVE;
	store_abort(txn);
	if (!may) {
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED, "authenticate as this account, the board or an auditor");
		return;
	}
	info.account = (ProtobufCBinaryData){.len = KEY_BYTES, .data = (uint8_t *)card};
	info.next_sequence = a.next_sequence;
	info.card_held = true;
	response.kind_case = MANNE__RESPONSE__KIND_ACCOUNT;
	response.account = &info;
	slot_reply(slot, &response);
}

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
		card_sequence(slot, key->data);
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
	info.history_end = a.history_last;
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
