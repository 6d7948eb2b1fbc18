/*
 * tx_genesis.c: leaf 0 (SPEC §3). The genesis names the ledger: origin,
 * board and threshold, checkpoint key, the association's account, the
 * ledger-day rules and the fee. Its txid is the genesis id every later
 * transaction carries. tx_decode checked its shape and apply.c that every
 * board key it names signed it.
 */
#include <string.h>

#include "apply.h"

enum manne_status tx_genesis_apply(struct apply_ctx *c)
{
	const Manne__Genesis *g = c->body->genesis;
	struct ledger_state *s = &c->next;
	struct account association;
	size_t origin_len = strlen(c->body->origin);

	memset(s, 0, sizeof(*s));
	memcpy(s->origin, c->body->origin, origin_len);
	s->origin_len = (uint32_t)origin_len;
	memcpy(s->genesis_id, c->tx->txid, TXID_BYTES);
	for (size_t i = 0; i < g->n_board_keys; i++)
		memcpy(s->board[i], g->board_keys[i].data, KEY_BYTES);
	s->board_count = (uint32_t)g->n_board_keys;
	s->threshold = g->threshold;
	memcpy(s->checkpoint_key, g->checkpoint_key.data, KEY_BYTES);
	s->checkpoint_key_since = 0;
	memcpy(s->association_key, g->association_key.data, KEY_BYTES);
	s->utc_offset_minutes = g->day_rules->utc_offset_minutes;
	s->eu_summer_time = g->day_rules->eu_summer_time ? 1 : 0;
	s->fee_bp = g->fee_bp;

	/* The association's account exists from the start: it is paid (and the
	 * credits retired) but never signs and never holds a balance. */
	memset(&association, 0, sizeof(association));
	association.role = ROLE_ASSOCIATION;
	association.state = ACCOUNT_ACTIVE;
	association.next_sequence = 1;
	association.opened_index = c->index;
	association.number = apply_new_account_number(c);
	apply_party(c, &association);
	return apply_put_account(c, g->association_key.data, &association);
}
