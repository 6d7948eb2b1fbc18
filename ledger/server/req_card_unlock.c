/*
 * req_card_unlock.c: a till asks for a card's secret with the PIN proof
 * (SPEC §10, docs/cards.md). Here, on the loop thread, the request is
 * checked (a connection authenticated as an active shop, producer or
 * counter; the connection's pace) and joins the pipeline, whose writer
 * answers it (card_unlock.c) once the count of wrong PINs is durable.
 */
#include "dispatch.h"
#include "ledger/keys/card.h"

static bool is_till(const struct account *a)
{
	return a->state == ACCOUNT_ACTIVE &&
	       (a->role == ROLE_SHOP || a->role == ROLE_PRODUCER || a->role == ROLE_COUNTER);
}

static void req_card_unlock(struct slot *slot, const Manne__Request *request)
{
	const Manne__CardUnlockRequest *r = request->card_unlock;
	struct server *s = conn_server(slot->conn);
	const uint8_t *till = conn_key(slot->conn);
	struct store_txn *txn;
	struct card_job *job;
	struct account a;
	bool may = false;

	if (r->account.len != 32 || r->sealed.len != CARD_UNLOCK_SEALED_BYTES) {
		slot_reply_status(slot, MANNE_ERR_MALFORMED, "an account is 32 bytes and a sealed unlock request 176");
		return;
	}
	if (till != NULL && conn_reader(slot->conn) == READER_ACCOUNT &&
	    store_begin(s->ledger->store, false, &txn) == STORE_OK) {
		may = store_account_get(txn, till, &a) == STORE_OK && is_till(&a);
		store_abort(txn);
	}
	if (!may) {
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED,
				  "only a till authenticated as an active shop, producer or counter unlocks a card");
		return;
	}
	if (!conn_card_try_allowed(slot->conn, clock_now_ms())) {
		slot_reply_status(slot, MANNE_ERR_TOO_MANY_TRIES, "too many card unlocks on this connection: wait a minute");
		return;
	}
	job = card_job_new(r->account.data, till, r->sealed.data);
	if (job == NULL) {
		slot_reply_status(slot, MANNE_ERR_OVERLOADED, NULL);
		return;
	}
	enum manne_status status = pipeline_card_unlock(s, slot, job);
	if (status != MANNE_OK) {
		slot_reply_status(slot, status, NULL);
		return;
	}
	slot->started = true;
}

const struct req_entry req_card_unlock_entry = {
	.name = "card_unlock",
	.writes = true,  /* counts wrong PINs durably before it answers */
	.run = req_card_unlock,
};
