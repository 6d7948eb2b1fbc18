/*
 * apply_steps.c: the steps the kinds share (apply.h): the totals, the parties
 * and their accounts, a referenced transaction, the backing rule. Called by
 * apply.c and by each tx_<kind>.c; calls neither.
 */
#include "apply.h"

#include <string.h>

#include "ledger/log/bytes.h"

int totals_outstanding(const struct totals *t, uint64_t *out)
{
	uint64_t gone;
	if (__builtin_add_overflow(t->retired, t->reconverted, &gone) || gone > t->issued)
		return -1;
	*out = t->issued - gone;
	return 0;
}

int totals_reserve(const struct totals *t, uint64_t *out)
{
	uint64_t gone;
	if (__builtin_add_overflow(t->paid_out, t->released, &gone) || gone > t->funded)
		return -1;
	*out = t->funded - gone;
	return 0;
}

bool totals_ok(const struct totals *t)
{
	uint64_t outstanding, reserve;
	return totals_outstanding(t, &outstanding) == 0 && totals_reserve(t, &reserve) == 0 &&
	       reserve >= outstanding && t->pending <= outstanding;
}

enum manne_status apply_store_status(int store_result)
{
	switch (store_result) {
	case STORE_OK:
		return MANNE_OK;
	case STORE_FULL:
		return MANNE_ERR_STORAGE_FULL;
	default:
		return MANNE_ERR_INTERNAL;
	}
}

void apply_party(struct apply_ctx *c, struct account *a)
{
	unsigned i = 0;

	while (i < c->party_count && c->parties[i].account_number != a->number)
		i++;
	if (i == c->party_count) {
		assert(c->party_count < HISTORY_LINKS_MAX);
		c->parties[c->party_count++] = (struct history_link){a->number, a->history_last};
	}
	a->history_last = c->index + 1;
}

uint64_t apply_new_account_number(struct apply_ctx *c)
{
	return c->next.accounts_opened++;
}

enum manne_status apply_counterparty(struct apply_ctx *c, const uint8_t key[KEY_BYTES], bool must_be_active,
				     struct account *out)
{
	int rc = store_account_get(c->txn, key, out);
	if (rc == STORE_NOT_FOUND)
		return MANNE_ERR_COUNTERPARTY_UNKNOWN;
	if (rc != STORE_OK)
		return MANNE_ERR_INTERNAL;
	if (must_be_active && out->state != ACCOUNT_ACTIVE)
		return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
	return MANNE_OK;
}

enum manne_status apply_current_holder(struct apply_ctx *c, const uint8_t key[KEY_BYTES],
				       uint8_t current[KEY_BYTES], struct account *out)
{
	memcpy(current, key, KEY_BYTES);
	for (int hops = 0; hops < SUCCESSION_HOPS_MAX; hops++) {
		/* The signer's record in the store is older than c->signer. */
		if (c->tx->signer != NULL && memcmp(current, c->tx->signer, KEY_BYTES) == 0) {
			*out = c->signer;
			return MANNE_OK;
		}
		int rc = store_account_get(c->txn, current, out);
		if (rc == STORE_NOT_FOUND)
			return MANNE_ERR_COUNTERPARTY_UNKNOWN;
		if (rc != STORE_OK)
			return MANNE_ERR_INTERNAL;
		if (!out->has_successor)
			return MANNE_OK;
		memcpy(current, out->successor, KEY_BYTES);
	}
	return MANNE_ERR_INTERNAL;
}

enum manne_status apply_put_account(struct apply_ctx *c, const uint8_t key[KEY_BYTES], const struct account *a)
{
	return apply_store_status(store_account_put(c->txn, key, a));
}

enum manne_status apply_referenced_tx(struct apply_ctx *c, uint64_t index, struct tx *out)
{
	struct tx_identity identity = {
		.origin = c->state->origin,
		.origin_len = c->state->origin_len,
		.genesis_id = c->state->genesis_id,
	};
	struct arena arena;
	const uint8_t *leaf;
	size_t len;

	if (store_leaf_get(c->txn, index, &leaf, &len) != STORE_OK || len < LEAF_HEADER_BYTES)
		return MANNE_ERR_INTERNAL;
	arena_init(&arena, c->work->referenced, sizeof(c->work->referenced));
	/* It was applied, so it decodes; its signatures were checked then. */
	if (tx_decode(leaf + LEAF_HEADER_BYTES, len - LEAF_HEADER_BYTES, &identity, &arena, out) != MANNE_OK)
		return MANNE_ERR_INTERNAL;
	return MANNE_OK;
}

enum manne_status apply_backing(const struct apply_ctx *c)
{
	uint64_t outstanding, reserve;
	if (totals_outstanding(&c->totals, &outstanding) != 0 || totals_reserve(&c->totals, &reserve) != 0)
		return MANNE_ERR_BACKING_EXCEEDED;
	return reserve >= outstanding ? MANNE_OK : MANNE_ERR_BACKING_EXCEEDED;
}

bool apply_is_partner(uint8_t role)
{
	return role == ROLE_SHOP || role == ROLE_PRODUCER;
}
