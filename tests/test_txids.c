/*
 * test_txids.c: the log-structured txid index (ledger/store_txids.c) on its
 * own: thousands of txids put in commits of random sizes, with runs written
 * out every few txids so that every level fills and merges; after each
 * commit every txid put so far is found with its leaf index, txids never put
 * are not, and an aborted batch leaves nothing behind. Refund sums are kept
 * beside the index. A transaction with a failed write never commits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/store/store.h"

#define TXIDS 6000U

static uint8_t txids[TXIDS][TXID_BYTES];

static void txid_of(uint64_t n, uint8_t out[TXID_BYTES])
{
	uint8_t seed[8];
	for (int i = 0; i < 8; i++)
		seed[i] = (uint8_t)(n >> (8 * i));
	crypto_hash_sha256(out, seed, sizeof(seed));
}

static struct store *open_store(char *dir, uint32_t run_entries)
{
	struct store_options options = {.map_bytes = 64ULL << 20, .no_sync = true, .txid_run_entries = run_entries};
	struct store *store;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, &options, &store), STORE_OK);
	return store;
}

static void remove_store(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

/* Every txid below `count` is found at its index; a sample of others is not. */
static void check_all(struct store *store, uint64_t count)
{
	struct store_txn *txn;
	uint64_t index;
	uint8_t other[TXID_BYTES];

	assert_int_equal(store_begin(store, false, &txn), STORE_OK);
	for (uint64_t i = 0; i < count; i++) {
		assert_int_equal(store_txid_get(txn, txids[i], &index), STORE_OK);
		assert_int_equal(index, i);
	}
	for (uint64_t i = 0; i < 50; i++) {
		txid_of(TXIDS + i, other);
		assert_int_equal(store_txid_get(txn, other, &index), STORE_NOT_FOUND);
	}
	store_abort(txn);
}

static void test_levels(void **state)
{
	char dir[] = "/tmp/manne-txids-XXXXXX";
	struct store *store = open_store(dir, 2);
	uint64_t put = 0, step = 0;
	(void)state;

	for (uint64_t i = 0; i < TXIDS; i++)
		txid_of(i, txids[i]);
	while (put < TXIDS) {
		struct store_txn *txn;
		uint64_t batch = 1 + (uint64_t)randombytes_uniform(step % 7 == 0 ? 200 : 5);
		if (batch > TXIDS - put)
			batch = TXIDS - put;
		assert_int_equal(store_begin(store, true, &txn), STORE_OK);
		for (uint64_t i = put; i < put + batch; i++) {
			uint64_t index;
			assert_int_equal(store_txid_put(txn, txids[i], i), STORE_OK);
			/* Seen inside its own batch, before the commit writes runs out. */
			assert_int_equal(store_txid_get(txn, txids[i], &index), STORE_OK);
			assert_int_equal(index, i);
		}
		if (step % 11 == 5) {
			/* An aborted batch: none of it stays. */
			store_abort(txn);
			struct store_txn *r;
			uint64_t index;
			assert_int_equal(store_begin(store, false, &r), STORE_OK);
			assert_int_equal(store_txid_get(r, txids[put], &index), STORE_NOT_FOUND);
			store_abort(r);
		} else {
			assert_int_equal(store_commit(txn), STORE_OK);
			put += batch;
		}
		if (step % 25 == 0 || put == TXIDS)
			check_all(store, put);
		step++;
	}
	store_close(store);
	/* Reopened, with the daemon's run size: the same answers. */
	struct store_options options = {.map_bytes = 64ULL << 20, .no_sync = true};
	assert_int_equal(store_open(dir, &options, &store), STORE_OK);
	check_all(store, TXIDS);
	store_close(store);
	remove_store(dir);
}

static void test_refunded(void **state)
{
	char dir[] = "/tmp/manne-txids-XXXXXX";
	struct store *store = open_store(dir, 0);
	struct store_txn *txn;
	uint8_t a[TXID_BYTES], b[TXID_BYTES];
	uint64_t refunded = 99;
	(void)state;

	txid_of(1, a);
	txid_of(2, b);
	assert_int_equal(store_begin(store, true, &txn), STORE_OK);
	assert_int_equal(store_refunded_get(txn, a, &refunded), STORE_OK);
	assert_int_equal(refunded, 0);
	assert_int_equal(store_refunded_put(txn, a, 250), STORE_OK);
	assert_int_equal(store_refunded_put(txn, a, 400), STORE_OK);
	assert_int_equal(store_commit(txn), STORE_OK);
	assert_int_equal(store_begin(store, false, &txn), STORE_OK);
	assert_int_equal(store_refunded_get(txn, a, &refunded), STORE_OK);
	assert_int_equal(refunded, 400);
	assert_int_equal(store_refunded_get(txn, b, &refunded), STORE_OK);
	assert_int_equal(refunded, 0);
	store_abort(txn);
	store_close(store);
	remove_store(dir);
}

/* A write transaction with a failed write is refused at commit, whole: here
 * a leaf appended twice (MDB_APPEND refuses the second), with a txid put
 * before it that must not survive. */
static void test_failed_write_not_committed(void **state)
{
	char dir[] = "/tmp/manne-txids-XXXXXX";
	struct store *store = open_store(dir, 0);
	struct store_txn *txn;
	uint8_t a[TXID_BYTES];
	uint64_t index;
	(void)state;

	txid_of(7, a);
	assert_int_equal(store_begin(store, true, &txn), STORE_OK);
	assert_int_equal(store_txid_put(txn, a, 0), STORE_OK);
	assert_int_equal(store_leaf_put(txn, 0, (const uint8_t *)"leaf", 4), STORE_OK);
	assert_int_not_equal(store_leaf_put(txn, 0, (const uint8_t *)"leaf", 4), STORE_OK);
	assert_int_not_equal(store_txn_error(txn), STORE_OK);
	assert_int_not_equal(store_commit(txn), STORE_OK);
	assert_int_equal(store_begin(store, false, &txn), STORE_OK);
	assert_int_equal(store_txid_get(txn, a, &index), STORE_NOT_FOUND);
	store_abort(txn);
	store_close(store);
	remove_store(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_refunded),
		cmocka_unit_test(test_failed_write_not_committed),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
