/*
 * tamper.c: see tamper.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tamper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "ledger/log/bytes.h"
#include "ledger/core/ledger.h"

static const struct store_options tamper_store = {.map_bytes = 1ULL << 30, .no_sync = false};

static struct store *open_store(struct daemon *d, struct store_txn **txn)
{
	char dir[128];
	struct store *s;

	assert_int_equal(d->pid, 0);  /* never behind a running daemon's back: LMDB has one writer */
	snprintf(dir, sizeof(dir), "%s/store", d->dir);
	assert_int_equal(store_open(dir, &tamper_store, &s), STORE_OK);
	assert_int_equal(store_begin(s, true, txn), STORE_OK);
	return s;
}

static void close_store(struct store *s, struct store_txn *txn)
{
	assert_int_equal(store_commit(txn), STORE_OK);
	store_close(s);
}

/* Rewrites a leaf in place with LMDB itself: the store has no such call. */
static void edit_leaf(struct daemon *d, uint64_t index, void (*edit)(uint8_t *leaf, size_t len, const void *arg),
		      const void *arg)
{
	char dir[128];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	uint8_t key[9], *copy;

	assert_int_equal(d->pid, 0);
	snprintf(dir, sizeof(dir), "%s/store", d->dir);
	store_be64(key, index);
	key[8] = 0; /* the leaf itself (docs/storage.md) */
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 1ULL << 30), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "log", 0, &dbi), 0);
	k = (MDB_val){.mv_size = sizeof(key), .mv_data = key};
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	copy = malloc(v.mv_size);
	assert_non_null(copy);
	memcpy(copy, v.mv_data, v.mv_size);
	edit(copy, v.mv_size, arg);
	v.mv_data = copy;
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(copy);
}

struct byte_edit {
	size_t offset;
	uint8_t mask;
};

static void flip(uint8_t *leaf, size_t len, const void *arg)
{
	const struct byte_edit *e = arg;
	assert_true(e->offset < len);
	leaf[e->offset] ^= e->mask;
}

void tamper_leaf_byte(struct daemon *d, uint64_t index, size_t offset, uint8_t mask)
{
	struct byte_edit e = {offset, mask};
	edit_leaf(d, index, flip, &e);
}

static void shift_time(uint8_t *leaf, size_t len, const void *arg)
{
	int64_t delta = *(const int64_t *)arg;
	assert_true(len >= 16);
	store_be64(leaf + 8, (uint64_t)((int64_t)load_be64(leaf + 8) + delta));
}

void tamper_leaf_time(struct daemon *d, uint64_t index, int64_t delta)
{
	edit_leaf(d, index, shift_time, &delta);
}

void tamper_balance(struct daemon *d, const uint8_t key[32], uint64_t delta)
{
	struct store_txn *txn;
	struct store *s = open_store(d, &txn);
	struct account a;

	assert_int_equal(store_account_get(txn, key, &a), STORE_OK);
	a.balance += delta;
	assert_int_equal(store_account_put(txn, key, &a), STORE_OK);
	close_store(s, txn);
}

void tamper_totals(struct daemon *d, uint64_t issued, uint64_t funded)
{
	struct store_txn *txn;
	struct store *s = open_store(d, &txn);
	struct ledger_state state;

	assert_int_equal(store_state_get(txn, &state), STORE_OK);
	state.totals.issued += issued;
	state.totals.funded += funded;
	assert_true(totals_ok(&state.totals));
	assert_int_equal(store_state_put(txn, &state), STORE_OK);
	close_store(s, txn);
}

uint64_t tamper_tree_size(struct daemon *d)
{
	struct store_txn *txn;
	struct store *s = open_store(d, &txn);
	struct ledger_state state;

	assert_int_equal(store_state_get(txn, &state), STORE_OK);
	store_abort(txn);
	store_close(s);
	return state.tree_size;
}

uint64_t tamper_smuggle_issue(struct daemon *d, const uint8_t account[32], uint64_t excess)
{
	const struct manne_keypair *signers[] = {&d->board[0], &d->board[1]};
	struct store_txn *txn;
	struct store *s = open_store(d, &txn);
	struct merkle_nodes nodes = store_merkle_nodes(txn);
	struct ledger_state state;
	struct account a;
	Manne__TxBody body;
	Manne__Issue is = MANNE__ISSUE__INIT;
	uint64_t outstanding, reserve, amount, index;
	uint8_t nonce[16], txid[32], hash[32], *tx, *leaf;
	size_t len;

	assert_int_equal(store_state_get(txn, &state), STORE_OK);
	assert_int_equal(totals_outstanding(&state.totals, &outstanding), 0);
	assert_int_equal(totals_reserve(&state.totals, &reserve), 0);
	amount = reserve - outstanding + excess;

	daemon_body_board(d, &body, nonce);
	is.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)account};
	is.amount = amount;
	is.reason = MANNE__ISSUE_REASON__ISSUE_GRANT;
	is.programme = (char *)"hors-bilan";
	body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	body.issue = &is;
	assert_int_equal(tx_sign(&body, signers, 2, &tx, &len, txid), 0);

	index = state.tree_size;
	leaf = malloc(16 + len);
	assert_non_null(leaf);
	store_be64(leaf, index);
	store_be64(leaf + 8, state.last_time_ms + 1);
	memcpy(leaf + 16, tx, len);
	merkle_leaf_hash(leaf, 16 + len, hash);
	assert_int_equal(store_leaf_put(txn, index, leaf, 16 + len), STORE_OK);
	assert_int_equal(store_txid_put(txn, txid, index), STORE_OK);
	assert_int_equal(merkle_append(&nodes, index, hash), 0);
	assert_int_equal(store_account_get(txn, account, &a), STORE_OK);
	a.balance += amount;
	assert_int_equal(store_account_put(txn, account, &a), STORE_OK);
	/* The daemon refuses a store whose reserve does not cover what is
	 * outstanding: the operator invents the euros too. */
	state.tree_size++;
	state.last_time_ms += 1;
	state.totals.issued += amount;
	state.totals.funded += amount;
	assert_int_equal(store_state_put(txn, &state), STORE_OK);
	close_store(s, txn);
	free(leaf);
	free(tx);
	return index;
}
