/*
 * history.h: an account's history, newest first, by walking the chain of
 * history links (store.h) back from the account's latest leaf.
 */
#ifndef MANNE_HISTORY_H
#define MANNE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"
#include "store.h"

/* STORE_OK when leaf `index` concerns the account numbered account_number,
 * STORE_NOT_FOUND when it does not. */
int history_has(struct store_txn *txn, uint64_t account_number, uint64_t index);

/* A page of the account's history, newest first: at most `max` leaf indexes
 * older than `before`, where `before` is 0 (start from the latest leaf) or a
 * leaf of this history, as the previous page's *next. *next is 0 when the
 * page reaches the account's first leaf. STORE_NOT_FOUND when `before` is
 * neither: the walk starts only from a link, so a page costs `max` lookups
 * however long the history. */
int history_page(struct store_txn *txn, const struct account *account, uint64_t before, uint64_t *indexes,
		 size_t max, size_t *count, uint64_t *next);

#endif
