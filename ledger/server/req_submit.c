/*
 * req_submit.c: a signed transaction joins the pipeline; its receipt comes
 * back only after the batch that holds it is durably committed.
 */
#include "dispatch.h"

static void req_submit(struct slot *slot, const Manne__Request *request)
{
	const Manne__SubmitRequest *r = request->submit;
	enum manne_status status = pipeline_submit(conn_server(slot->conn), slot, r->signed_tx.data,
						   r->signed_tx.len, r->want_proof);
	if (status != MANNE_OK) {
		slot_reply_status(slot, status, NULL);
		return;
	}
	slot->started = true;
}

const struct req_entry req_submit_entry = {
	.name = "submit",
	.writes = true,  /* the transaction carries its own signatures: anyone may submit */
	.run = req_submit,
};
