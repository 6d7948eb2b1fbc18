/*
 * req_checkpoint.c: the latest signed checkpoint and the checkpoint key's
 * C2SP verifier key. Public.
 *
 * A plain receipt leaves before its batch's checkpoint is signed (the writer
 * signs right after), so a checkpoint asked for on a connection that has
 * receipts it does not cover yet waits for it, at most
 * CHECKPOINT_WAIT_MS: the reply reflects the requests before it.
 */
#include <event2/event.h>

#include "dispatch.h"

#define CHECKPOINT_WAIT_MS 2000

static void reply_checkpoint(struct slot *slot)
{
	struct server *s = conn_server(slot->conn);
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__CheckpointInfo info = MANNE__CHECKPOINT_INFO__INIT;

	if (slot->wait_timer != NULL)
		event_del(slot->wait_timer);
	if (s->checkpoint_len == 0) {
		slot_reply_status(slot, MANNE_ERR_NOT_FOUND, "no checkpoint signed yet");
		return;
	}
	info.note = s->checkpoint;
	info.verifier_key = s->verifier_key;
	response.kind_case = MANNE__RESPONSE__KIND_CHECKPOINT;
	response.checkpoint = &info;
	slot_reply(slot, &response);
}

/* No newer checkpoint came in time (signing failed, or the key retired). */
static void wait_expired(evutil_socket_t fd, short what, void *arg)
{
	struct slot *slot = arg;
	(void)fd;
	(void)what;
	reply_checkpoint(slot);
	conn_slot_done(slot);
}

static void req_checkpoint(struct slot *slot, const Manne__Request *request)
{
	struct server *s = conn_server(slot->conn);
	(void)request;

	if (checkpoint_note_tree_size(s->checkpoint, s->checkpoint_len) >= conn_leaves_seen(slot->conn) ||
	    s->shutting_down) {
		reply_checkpoint(slot);
		return;
	}
	slot->started = true; /* parked: looked at again when the checkpoint is published */
	if (slot->wait_timer == NULL) {
		struct timeval tv = {.tv_sec = CHECKPOINT_WAIT_MS / 1000, .tv_usec = (CHECKPOINT_WAIT_MS % 1000) * 1000};
		slot->wait_timer = evtimer_new(s->base, wait_expired, slot);
		if (slot->wait_timer == NULL || evtimer_add(slot->wait_timer, &tv) != 0)
			reply_checkpoint(slot);
	}
}

const struct req_entry req_checkpoint_entry = {
	.name = "checkpoint",
	.run = req_checkpoint,
};
