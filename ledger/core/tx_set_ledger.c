/*
 * tx_set_ledger.c: the board changes the reconversion fee (SPEC §4); it
 * applies from the next leaf, and redemptions already pending keep theirs.
 */
#include "apply.h"

enum manne_status tx_set_ledger_apply(struct apply_ctx *c)
{
	c->next.fee_bp = c->body->set_ledger->fee_bp;
	return MANNE_OK;
}
