/*
 * store_lmdb.h: what the files of the LMDB store share: store_lmdb.c (the
 * records, open and commit), store_txids.c (the txid index) and
 * lmdb_access.c (the reads and writes both go through). Calls run one way:
 * store_lmdb.c -> store_txids.c -> lmdb_access.c. Nothing outside the store
 * includes it.
 */
#ifndef MANNE_STORE_LMDB_H
#define MANNE_STORE_LMDB_H

#include <lmdb.h>

#include "store.h"

enum store_db {
	DB_STATE,
	DB_ACCOUNTS,
	DB_LOG,
	DB_TXIDS,    /* the txid index (store_txids.c): level 0, a small B-tree, */
	DB_TXIDS_1,  /* and levels 1-3, sorted runs */
	DB_TXIDS_2,
	DB_TXIDS_3,
	DB_REFUNDED,
	DB_NONCES,
	DB_VOIDS,
	DB_RECORDS,
	DB_PAYEE_REFS,
	DB_CARDS,       /* the card registered for a card-held account (from the log) */
	DB_CARD_TRIES,  /* wrong PINs per card account (the ledger's own, not from the log) */
	DB_AUDIT,    /* only with store_options.audit_tables */
	DB_COUNT
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	bool audit_tables;
	uint32_t txid_run_entries;  /* level 0 is written out as a run past this many */
};

struct store_txn {
	struct store *store;
	MDB_txn *txn;
	bool write;
	int write_error;  /* the first failed write: the transaction must be aborted */
};

/* lmdb_access.c */
int from_mdb(int rc);
int get_raw(struct store_txn *t, enum store_db db, const void *key, size_t key_len, MDB_val *val);
/* Fixed-size records: a value of another size is a damaged store. */
int get_fixed(struct store_txn *t, enum store_db db, const void *key, size_t key_len, void *out, size_t size);
/* Records the first failed write in t->write_error. */
int put_raw(struct store_txn *t, enum store_db db, const void *key, size_t key_len, const void *val, size_t val_len,
	    unsigned flags);

/* store_txids.c: before a write transaction commits, level 0 of the txid
 * index is written out as a run once it is large enough, and full levels are
 * merged down. */
int store_txids_settle(struct store_txn *t);

#endif
