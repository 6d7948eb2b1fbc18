/*
 * dispatch.c: from a Request frame to its handler. The Request is decoded
 * strictly (request_decode.c) in a scratch arena.
 */
#include "dispatch.h"

#include <string.h>

#include "request_decode.h"

static const struct req_entry *entry_for(Manne__Request__KindCase kind)
{
	switch (kind) {
	case MANNE__REQUEST__KIND_SUBMIT:
		return &req_submit_entry;
	case MANNE__REQUEST__KIND_ACCOUNT:
		return &req_account_entry;
	case MANNE__REQUEST__KIND_HISTORY:
		return &req_history_entry;
	case MANNE__REQUEST__KIND_TX:
		return &req_tx_entry;
	case MANNE__REQUEST__KIND_PAYMENT_BY_REFERENCE:
		return &req_payment_entry;
	case MANNE__REQUEST__KIND_CHECKPOINT:
		return &req_checkpoint_entry;
	case MANNE__REQUEST__KIND_INCLUSION_PROOF:
		return &req_inclusion_entry;
	case MANNE__REQUEST__KIND_CONSISTENCY_PROOF:
		return &req_consistency_entry;
	case MANNE__REQUEST__KIND_LOG_ENTRIES:
		return &req_log_entry;
	case MANNE__REQUEST__KIND_STATUS:
		return &req_status_entry;
	case MANNE__REQUEST__KIND_AUTH_CHALLENGE:
		return &req_auth_challenge_entry;
	case MANNE__REQUEST__KIND_AUTHENTICATE:
		return &req_authenticate_entry;
	case MANNE__REQUEST__KIND_CARD_UNLOCK:
		return &req_card_unlock_entry;
	case MANNE__REQUEST__KIND_REDEMPTIONS:
		return &req_redemptions_entry;
	default:
		return NULL;
	}
}

/* The loop thread decodes one request at a time: one scratch arena will do. */
static uint8_t scratch[REQUEST_ARENA_BYTES];

/* Decodes the slot's request in the scratch arena (valid until the next
 * call) and notes its id; a malformed one is answered and NULL returned. */
static Manne__Request *slot_request(struct slot *slot)
{
	struct arena arena;
	Manne__Request *request;

	arena_init(&arena, scratch, sizeof(scratch));
	request = request_decode(slot->frame, slot->frame_len, &arena);
	if (request == NULL) {
		slot_reply_status(slot, MANNE_ERR_MALFORMED, "not a strictly valid Request");
		return NULL;
	}
	slot->request_id = request->id;
	return request;
}

static void dispatch_classify(struct slot *slot)
{
	Manne__Request *request = slot_request(slot);
	if (request != NULL)
		slot->is_submit = request->kind_case == MANNE__REQUEST__KIND_SUBMIT;
}

static void dispatch(struct slot *slot)
{
	const struct req_entry *entry;
	Manne__Request *request = slot_request(slot);

	if (request == NULL)
		return;
	entry = entry_for(request->kind_case);
	if (entry == NULL) {
		slot_reply_status(slot, MANNE_ERR_MALFORMED, "the request names no kind");
		return;
	}
	slot->is_submit = entry->writes;
	if ((unsigned)request->kind_case < KIND_SLOTS)
		conn_server(slot->conn)->counters.requests[request->kind_case]++;
	auth_refresh(slot->conn);  /* rights follow the state in force at each request */
	entry->run(slot, request);
}

const struct request_handler dispatch_handler = {
	.classify = dispatch_classify,
	.run = dispatch,
};
