/*
 * req_checkpoint.c: the latest signed checkpoint and the checkpoint key's
 * C2SP verifier key. Public.
 */
#include "dispatch.h"

static void req_checkpoint(struct slot *slot, const Manne__Request *request)
{
	struct server *s = conn_server(slot->conn);
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__CheckpointInfo info = MANNE__CHECKPOINT_INFO__INIT;
	(void)request;

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

const struct req_entry req_checkpoint_entry = {
	.name = "checkpoint",
	.run = req_checkpoint,
};
