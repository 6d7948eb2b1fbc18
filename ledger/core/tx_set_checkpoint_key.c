/*
 * tx_set_checkpoint_key.c: replaces the key that signs checkpoints (SPEC
 * §4, §7); board and the new key sign. The new key signs from the tree size
 * that includes this leaf, which the log itself records.
 */
#include <string.h>

#include "apply.h"

enum manne_status tx_set_checkpoint_key_apply(struct apply_ctx *c)
{
	memcpy(c->next.previous_checkpoint_key, c->state->checkpoint_key, KEY_BYTES);
	memcpy(c->next.checkpoint_key, c->body->set_checkpoint_key->key.data, KEY_BYTES);
	c->next.checkpoint_key_since = c->index + 1;
	return MANNE_OK;
}
