/*
 * req_payment.c: a payment by the payee's reference (the till's order
 * number), for the payee, the board and auditors; a counter of the
 * association reads the payments to it that it took itself. With wait_ms the request
 * waits for the payment to land, up to PAYMENT_WAIT_MS_MAX: the slot is
 * parked and looked at again after every batch, and answered NOT_FOUND when
 * its time is up. Requests behind it on the connection wait too (order).
 */
#include <string.h>

#include <event2/event.h>

#include "reads.h"

static void wait_expired(evutil_socket_t fd, short what, void *arg)
{
	struct slot *slot = arg;
	(void)fd;
	(void)what;
	slot_reply_status(slot, MANNE_ERR_NOT_FOUND, "no payment with this reference arrived in time");
	conn_slot_done(slot);
}

static void req_payment(struct slot *slot, const Manne__Request *request)
{
	const Manne__PaymentByReferenceRequest *r = request->payment_by_reference;
	struct conn *c = slot->conn;
	struct server *s = conn_server(c);
	Manne__Response response = MANNE__RESPONSE__INIT;
	struct txinfo_buf info;
	struct store_txn *txn;
	size_t ref_len = strlen(r->payee_reference);
	uint64_t index;
	int rc;

	if (r->payee.len != KEY_BYTES || ref_len == 0) {
		slot_reply_status(slot, MANNE_ERR_MALFORMED, "a payee key of 32 bytes and a reference are needed");
		return;
	}
	if ((txn = reads_begin(slot)) == NULL)
		return;
	bool counter = !reads_may_see_account(c, r->payee.data, r->payee.len) && reads_counter_of(txn, c, r->payee.data);
	if (!counter && !reads_may_see_account(c, r->payee.data, r->payee.len)) {
		store_abort(txn);
		slot_reply_status(slot, MANNE_ERR_NOT_PERMITTED, "authenticate as the payee, the board or an auditor");
		return;
	}
	rc = store_payee_reference_get(txn, r->payee.data, r->payee_reference, ref_len, &index);
	if (rc == STORE_OK) {
		enum manne_status status = txinfo_from_leaf(txn, index, r->payee.data, reader_privileged(c), &info);
		store_abort(txn);
		/* Taken at another counter, or not at one: as if there were none,
		 * so that a counter learns nothing of the association's other orders. */
		if (status == MANNE_OK && counter &&
		    (info.info.counter.len != KEY_BYTES || memcmp(info.counter, conn_key(c), KEY_BYTES) != 0))
			status = MANNE_ERR_NOT_FOUND;
		if (slot->wait_timer != NULL)
			event_del(slot->wait_timer);
		if (status != MANNE_OK) {
			slot_reply_status(slot, status, NULL);
			return;
		}
		response.kind_case = MANNE__RESPONSE__KIND_PAYMENT;
		response.payment = &info.info;
		slot_reply(slot, &response);
		return;
	}
	store_abort(txn);
	if (rc != STORE_NOT_FOUND) {
		slot_reply_status(slot, MANNE_ERR_INTERNAL, NULL);
		return;
	}
	if (r->wait_ms == 0 || s->shutting_down) {
		slot_reply_status(slot, MANNE_ERR_NOT_FOUND, "no payment with this reference");
		return;
	}
	slot->started = true; /* parked: server_retry_parked runs it again after each batch */
	if (slot->wait_timer == NULL) {
		uint32_t wait = r->wait_ms > PAYMENT_WAIT_MS_MAX ? PAYMENT_WAIT_MS_MAX : r->wait_ms;
		struct timeval tv = {.tv_sec = wait / 1000, .tv_usec = (wait % 1000) * 1000};
		slot->wait_timer = evtimer_new(s->base, wait_expired, slot);
		if (slot->wait_timer == NULL || evtimer_add(slot->wait_timer, &tv) != 0)
			slot_reply_status(slot, MANNE_ERR_OVERLOADED, "cannot wait now");
	}
}

const struct req_entry req_payment_entry = {
	.name = "payment_by_reference",
	.run = req_payment,
};
