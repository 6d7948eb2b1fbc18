/*
 * dispatch.h: one descriptor per wire request (req_<name>.c), so that the
 * generic steps (decoding, who may ask) live in dispatch.c only.
 */
#ifndef MANNE_DISPATCH_H
#define MANNE_DISPATCH_H

#include "server.h"

struct req_entry {
	const char *name;
	bool writes;                 /* joins the pipeline; never replies inline */
	/* Runs the request. Reads reply (slot_reply) before returning, or park
	 * the slot (slot->started, no reply) to be run again later. */
	void (*run)(struct slot *slot, const Manne__Request *request);
};

extern const struct req_entry req_submit_entry, req_account_entry, req_history_entry, req_tx_entry,
	req_payment_entry, req_checkpoint_entry, req_inclusion_entry, req_consistency_entry,
	req_log_entry, req_status_entry, req_auth_challenge_entry, req_authenticate_entry, req_card_unlock_entry,
	req_redemptions_entry;

#endif
