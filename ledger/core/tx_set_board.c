/*
 * tx_set_board.c: the board renews itself (SPEC §4): M of the current board
 * and every added key sign (apply.c checks both); the new board and threshold
 * apply from the next leaf.
 */
#include <string.h>

#include "apply.h"

enum manne_status tx_set_board_apply(struct apply_ctx *c)
{
	const Manne__SetBoard *s = c->body->set_board;

	memset(c->next.board, 0, sizeof(c->next.board));
	for (size_t i = 0; i < s->n_keys; i++)
		memcpy(c->next.board[i], s->keys[i].data, KEY_BYTES);
	c->next.board_count = (uint32_t)s->n_keys;
	c->next.threshold = s->threshold;
	return MANNE_OK;
}
