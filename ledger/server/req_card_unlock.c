/*
 * req_card_unlock.c: a till asks for a card's secret with the PIN proof
 * (SPEC §10, docs/cards.md). Here, on the loop thread, the request is
 * checked (a connection authenticated as an active shop, producer or
 * counter; the till's pace, by its key) and joins the pipeline, whose writer
 * answers it (card_unlock.c) once the count of wrong PINs is durable.
 */
#include <string.h>

#include "dispatch.h"
#include "ledger/keys/card.h"

static bool is_till(const struct account *a)
{
	return a->state == ACCOUNT_ACTIVE &&
	       (a->role == ROLE_SHOP || a->role == ROLE_PRODUCER || a->role == ROLE_COUNTER);
}

/* The pace of each till, by its key, not by connection (a till that
 * reconnects keeps its pace): the tills that asked lately, each with the
 * minute its count began. A full table gives the slot of the oldest minute. */
#define PACED_TILLS 1024U
static struct {
	uint8_t key[32];
	uint64_t window_ms;
	uint32_t count;
} paced[PACED_TILLS];

static bool till_may_try(const uint8_t key[32], uint64_t now_ms)
{
	size_t slot = 0;
	for (size_t i = 0; i < PACED_TILLS; i++) {
		if (paced[i].count > 0 && memcmp(paced[i].key, key, 32) == 0) {
			slot = i;
			goto found;
		}
		if (paced[i].window_ms < paced[slot].window_ms)
			slot = i;
	}
	memcpy(paced[slot].key, key, 32);
	paced[slot].count = 0;
	paced[slot].window_ms = now_ms;
found:
	if (now_ms < paced[slot].window_ms || now_ms - paced[slot].window_ms >= 60000U) {
		paced[slot].window_ms = now_ms;
		paced[slot].count = 0;
	}
	if (paced[slot].count >= CARD_TRIES_PER_MINUTE)
		return false;
	paced[slot].count++;
	return true;
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
	if (!till_may_try(till, clock_now_ms())) {
		slot_reply_status(slot, MANNE_ERR_TOO_MANY_TRIES, "too many card unlocks from this till: wait a minute");
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
