/*
 * lmdb_access.c: the reads and writes every file of the LMDB store goes
 * through (store_lmdb.c, the records; store_txids.c, the txid index): LMDB's
 * results as store results, fixed-size records checked for size, the first
 * failed write remembered so that the transaction is never committed.
 */
#include "store_lmdb.h"

#include <errno.h>
#include <string.h>

int from_mdb(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return STORE_OK;
	case MDB_NOTFOUND:
		return STORE_NOT_FOUND;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case ENOSPC:
	case EDQUOT:
		return STORE_FULL;
	default:
		return STORE_ERROR;
	}
}

int get_raw(struct store_txn *t, enum store_db db, const void *key, size_t key_len, MDB_val *val)
{
	MDB_val k = {.mv_size = key_len, .mv_data = (void *)key};
	return from_mdb(mdb_get(t->txn, t->store->dbi[db], &k, val));
}

int get_fixed(struct store_txn *t, enum store_db db, const void *key, size_t key_len, void *out, size_t size)
{
	MDB_val v;
	int rc = get_raw(t, db, key, key_len, &v);
	if (rc != STORE_OK)
		return rc;
	if (v.mv_size != size)
		return STORE_ERROR;
	memcpy(out, v.mv_data, size);
	return STORE_OK;
}

int put_raw(struct store_txn *t, enum store_db db, const void *key, size_t key_len, const void *val, size_t val_len,
	    unsigned flags)
{
	MDB_val k = {.mv_size = key_len, .mv_data = (void *)key};
	MDB_val v = {.mv_size = val_len, .mv_data = (void *)val};
	int rc = from_mdb(mdb_put(t->txn, t->store->dbi[db], &k, &v, flags));
	if (rc != STORE_OK && t->write_error == STORE_OK)
		t->write_error = rc == STORE_NOT_FOUND ? STORE_ERROR : rc;
	return rc;
}
