/*
 * store_txids.c: the txid index, log-structured (docs/storage.md).
 *
 * A txid is a hash: kept in one B-tree, every new one lands on a random
 * page, and at a few hundred thousand transactions each payment of a batch
 * dirties a page of its own that the commit must write and sync (half of a
 * batch's pages, measured: docs/benchmarks.md). So new txids go into level
 * 0, a B-tree kept small enough that a batch's inserts share its pages. When
 * it holds txid_run_entries, it is written out, in txid order, as one run of
 * level 1 (keys: run number ‖ txid, appended with MDB_APPEND: sequential,
 * full pages); when a level holds `fanout` runs they are merged into one run
 * of the next level. Level 3 keeps its runs. Every txid is written four
 * times in all, always in order, and never at a random place.
 *
 * A look-up descends level 0 and then each run: at 10 million transactions
 * about 170 runs, two descents each (some 0.3 ms). The ledger looks up a txid only for a
 * transaction that may already be in the log (a retry), a refund's payment,
 * a void, or a read by txid.
 */
#include <errno.h>
#include <string.h>

#include "ledger/log/bytes.h"
#include "store_lmdb.h"

#define RUN_KEY_BYTES (8U + TXID_BYTES)
#define TOP_LEVEL 3U

static const enum store_db level_db[TOP_LEVEL + 1] = {DB_TXIDS, DB_TXIDS_1, DB_TXIDS_2, DB_TXIDS_3};
/* How many runs a level holds before they are merged down: 16 runs of 1 Ki
 * make a run of 16 Ki, 4 of those a run of 64 Ki (3.5 MB written in one
 * commit, the longest pause the index causes); level 3 keeps its runs. */
#define FANOUT_MAX 16U
static const unsigned fanout[TOP_LEVEL] = {0, FANOUT_MAX, 4};

int store_txid_put(struct store_txn *txn, const uint8_t txid[TXID_BYTES], uint64_t index)
{
	uint8_t val[8];
	store_be64(val, index);
	return put_raw(txn, DB_TXIDS, txid, TXID_BYTES, val, sizeof(val), 0);
}

static int index_of(const MDB_val *v, uint64_t *index)
{
	if (v->mv_size != 8)
		return STORE_ERROR;
	*index = load_be64(v->mv_data);
	return STORE_OK;
}

/* Looks for txid in each run of one level: a descent to (run ‖ txid), and
 * when it is not there, one to the first key of the next run. */
static int find_in_runs(struct store_txn *t, enum store_db db, const uint8_t txid[TXID_BYTES], uint64_t *index)
{
	uint8_t k[RUN_KEY_BYTES];
	MDB_cursor *cursor;
	MDB_val mk, mv;
	int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cursor);

	if (rc != 0)
		return from_mdb(rc);
	rc = mdb_cursor_get(cursor, &mk, &mv, MDB_FIRST);
	while (rc == 0) {
		if (mk.mv_size != RUN_KEY_BYTES) {
			rc = EINVAL;
			break;
		}
		uint64_t run = load_be64(mk.mv_data);
		store_be64(k, run);
		memcpy(k + 8, txid, TXID_BYTES);
		mk = (MDB_val){.mv_size = sizeof(k), .mv_data = k};
		rc = mdb_cursor_get(cursor, &mk, &mv, MDB_SET_RANGE);
		if (rc != 0)
			break;
		if (mk.mv_size == RUN_KEY_BYTES && memcmp(mk.mv_data, k, RUN_KEY_BYTES) == 0) {
			mdb_cursor_close(cursor);
			return index_of(&mv, index);
		}
		if (mk.mv_size == RUN_KEY_BYTES && load_be64(mk.mv_data) == run) {
			/* Still in this run, past where txid would be: on to the next run. */
			if (run == UINT64_MAX) {
				rc = MDB_NOTFOUND;
				break;
			}
			store_be64(k, run + 1);
			memset(k + 8, 0, TXID_BYTES);
			mk = (MDB_val){.mv_size = sizeof(k), .mv_data = k};
			rc = mdb_cursor_get(cursor, &mk, &mv, MDB_SET_RANGE);
		}
	}
	mdb_cursor_close(cursor);
	return rc == MDB_NOTFOUND ? STORE_NOT_FOUND : from_mdb(rc);
}

int store_txid_get(struct store_txn *txn, const uint8_t txid[TXID_BYTES], uint64_t *index)
{
	MDB_val v;
	int rc = get_raw(txn, DB_TXIDS, txid, TXID_BYTES, &v);

	if (rc == STORE_OK)
		return index_of(&v, index);
	for (unsigned level = 1; rc == STORE_NOT_FOUND && level <= TOP_LEVEL; level++)
		rc = find_in_runs(txn, level_db[level], txid, index);
	return rc;
}

int store_refunded_get(struct store_txn *txn, const uint8_t txid[TXID_BYTES], uint64_t *refunded)
{
	MDB_val v;
	int rc = get_raw(txn, DB_REFUNDED, txid, TXID_BYTES, &v);

	if (rc == STORE_NOT_FOUND) {
		*refunded = 0;
		return STORE_OK;
	}
	if (rc == STORE_OK)
		rc = index_of(&v, refunded);
	return rc;
}

int store_refunded_put(struct store_txn *txn, const uint8_t txid[TXID_BYTES], uint64_t refunded)
{
	uint8_t val[8];
	store_be64(val, refunded);
	return put_raw(txn, DB_REFUNDED, txid, TXID_BYTES, val, sizeof(val), 0);
}

/* The number the next run of a level gets: runs are numbered from 0 since
 * the level was last merged down, so it is also how many runs it holds. */
static int next_run(struct store_txn *t, enum store_db db, uint64_t *run)
{
	MDB_cursor *cursor;
	MDB_val k, v;
	int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cursor);

	if (rc != 0)
		return from_mdb(rc);
	rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST);
	mdb_cursor_close(cursor);
	if (rc == MDB_NOTFOUND) {
		*run = 0;
		return STORE_OK;
	}
	if (rc != 0)
		return from_mdb(rc);
	if (k.mv_size != RUN_KEY_BYTES || load_be64(k.mv_data) == UINT64_MAX)
		return STORE_ERROR;
	*run = load_be64(k.mv_data) + 1;
	return STORE_OK;
}

static int append(struct store_txn *t, enum store_db db, uint64_t run, const uint8_t *txid, const uint8_t val[8])
{
	uint8_t k[RUN_KEY_BYTES];
	store_be64(k, run);
	memcpy(k + 8, txid, TXID_BYTES);
	return put_raw(t, db, k, sizeof(k), val, 8, MDB_APPEND);
}

static int empty_level(struct store_txn *t, enum store_db db)
{
	int rc = from_mdb(mdb_drop(t->txn, t->store->dbi[db], 0));
	if (rc != STORE_OK && t->write_error == STORE_OK)
		t->write_error = rc;
	return rc;
}

/* Level 0, already in txid order, becomes the next run of level 1. */
static int write_out_level0(struct store_txn *t)
{
	MDB_cursor *cursor;
	MDB_val k, v;
	uint64_t run;
	int rc = next_run(t, DB_TXIDS_1, &run);

	if (rc != STORE_OK)
		return rc;
	rc = mdb_cursor_open(t->txn, t->store->dbi[DB_TXIDS], &cursor);
	if (rc != 0)
		return from_mdb(rc);
	for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
		if (k.mv_size != TXID_BYTES || v.mv_size != 8 || append(t, DB_TXIDS_1, run, k.mv_data, v.mv_data) != 0) {
			rc = EINVAL;
			break;
		}
	}
	mdb_cursor_close(cursor);
	if (rc != MDB_NOTFOUND)
		return t->write_error != STORE_OK ? t->write_error : from_mdb(rc);
	return empty_level(t, DB_TXIDS);
}

struct head {
	bool live;
	uint8_t txid[TXID_BYTES];
	uint8_t val[8];
};

/* Moves a run's cursor to its next entry (MDB_SET_RANGE from `op` = the run's
 * first key, or MDB_NEXT), copying it: no pointer into the map is held
 * across the writes of the merge. */
static int head_next(MDB_cursor *cursor, uint64_t run, MDB_cursor_op op, struct head *h)
{
	uint8_t start[RUN_KEY_BYTES] = {0};
	MDB_val k = {.mv_size = sizeof(start), .mv_data = start}, v;
	int rc;

	store_be64(start, run);
	rc = mdb_cursor_get(cursor, &k, &v, op);
	h->live = false;
	if (rc == MDB_NOTFOUND)
		return STORE_OK;
	if (rc != 0)
		return from_mdb(rc);
	if (k.mv_size != RUN_KEY_BYTES || v.mv_size != 8)
		return STORE_ERROR;
	if (load_be64(k.mv_data) != run)
		return STORE_OK;
	h->live = true;
	memcpy(h->txid, (const uint8_t *)k.mv_data + 8, TXID_BYTES);
	memcpy(h->val, v.mv_data, 8);
	return STORE_OK;
}

/* The runs of `level` (numbered 0 .. fanout[level] - 1), merged in txid
 * order, become the next run of the level below: one cursor a run, and the
 * smallest head goes next, so a merge needs no memory of its own. */
static int merge_down(struct store_txn *t, unsigned level)
{
	enum store_db from = level_db[level], to = level_db[level + 1];
	MDB_cursor *cursor[FANOUT_MAX] = {0};
	struct head head[FANOUT_MAX];
	uint64_t runs, run;
	int rc = next_run(t, from, &runs);

	if (rc == STORE_OK && (runs < fanout[level] || runs > FANOUT_MAX))
		rc = STORE_ERROR; /* merged as soon as there are fanout[level]; more only from a store of another fanout */
	if (rc == STORE_OK)
		rc = next_run(t, to, &run);
	for (unsigned r = 0; rc == STORE_OK && r < runs; r++) {
		rc = from_mdb(mdb_cursor_open(t->txn, t->store->dbi[from], &cursor[r]));
		if (rc == STORE_OK)
			rc = head_next(cursor[r], r, MDB_SET_RANGE, &head[r]);
	}
	while (rc == STORE_OK) {
		int least = -1;
		for (unsigned r = 0; r < runs; r++)
			if (head[r].live && (least < 0 || memcmp(head[r].txid, head[least].txid, TXID_BYTES) < 0))
				least = (int)r;
		if (least < 0)
			break;
		rc = append(t, to, run, head[least].txid, head[least].val);
		if (rc == STORE_OK)
			rc = head_next(cursor[least], (uint64_t)least, MDB_NEXT, &head[least]);
	}
	for (unsigned r = 0; r < FANOUT_MAX; r++)
		if (cursor[r] != NULL)
			mdb_cursor_close(cursor[r]);
	return rc == STORE_OK ? empty_level(t, from) : rc;
}

int store_txids_settle(struct store_txn *t)
{
	MDB_stat st;
	uint64_t runs;
	int rc;

	if (!t->write || t->write_error != STORE_OK)
		return t->write_error; /* store_commit refuses the transaction */
	rc = from_mdb(mdb_stat(t->txn, t->store->dbi[DB_TXIDS], &st));
	if (rc != STORE_OK || st.ms_entries < t->store->txid_run_entries)
		return rc;
	rc = write_out_level0(t);
	for (unsigned level = 1; rc == STORE_OK && level < TOP_LEVEL; level++) {
		rc = next_run(t, level_db[level], &runs);
		if (rc != STORE_OK || runs < fanout[level])
			break;
		rc = merge_down(t, level);
	}
	return rc;
}
