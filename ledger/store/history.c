/*
 * history.c: walking an account's chain of history links.
 */
#include "history.h"

/* The account's leaf before `index` (plus one; 0: none), from index's links. */
static int previous_of(struct store_txn *txn, uint64_t account_number, uint64_t index, uint64_t *previous)
{
	struct history_link links[HISTORY_LINKS_MAX];
	unsigned count;
	int rc = store_history_links_get(txn, index, links, &count);

	if (rc != STORE_OK)
		return rc;
	for (unsigned i = 0; i < count; i++) {
		if (links[i].account_number == account_number) {
			*previous = links[i].previous;
			return STORE_OK;
		}
	}
	return STORE_NOT_FOUND;
}

int history_has(struct store_txn *txn, uint64_t account_number, uint64_t index)
{
	uint64_t previous;
	return previous_of(txn, account_number, index, &previous);
}

int history_page(struct store_txn *txn, const struct account *account, uint64_t before, uint64_t *indexes,
		 size_t max, size_t *count, uint64_t *next)
{
	uint64_t at = account->history_last; /* the leaf to take next, plus one */
	int rc;

	*count = 0;
	*next = 0;
	if (before != 0) {
		if (before >= account->history_last)
			return STORE_NOT_FOUND;
		rc = previous_of(txn, account->number, before, &at);
		if (rc != STORE_OK)
			return rc;
	}
	while (at != 0 && *count < max) {
		uint64_t index = at - 1;
		indexes[(*count)++] = index;
		rc = previous_of(txn, account->number, index, &at);
		if (rc != STORE_OK)
			return rc == STORE_NOT_FOUND ? STORE_ERROR : rc; /* a broken chain: a damaged store */
	}
	if (at != 0 && *count > 0)
		*next = indexes[*count - 1];
	return STORE_OK;
}
