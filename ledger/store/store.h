/*
 * store.h: the ledger's storage. store_lmdb.c and store_txids.c are the only
 * files that know LMDB; everything above them speaks of accounts, leaves and
 * records.
 *
 * A write transaction holds a whole batch: many ledger transactions are
 * applied inside one store transaction and committed (with fsync) once.
 * Readers run in parallel on their own read transactions.
 *
 * Return values: STORE_OK, STORE_NOT_FOUND for a missing key, STORE_FULL when
 * the map or the disk is full, STORE_ERROR otherwise. After STORE_FULL or
 * STORE_ERROR a write transaction must be aborted. Pointers returned into the
 * store are valid until the transaction ends.
 */
#ifndef MANNE_STORE_H
#define MANNE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/log/merkle.h"
#include "state.h"

enum store_result {
	STORE_OK = 0,
	STORE_NOT_FOUND = 1,
	STORE_ERROR = -1,
	STORE_FULL = -2,
};

struct store;
struct store_txn;

struct store_options {
	uint64_t map_bytes;   /* the LMDB map size: the most the store may grow to */
	bool no_sync;         /* tests only: skip fsync at commit */
	bool audit_tables;    /* manne-audit's replay store: also open the audit tables below */
	uint32_t txid_run_entries; /* 0: STORE_TXID_RUN_ENTRIES; tests make it small */
};

int store_open(const char *dir, const struct store_options *options, struct store **out)
	__attribute__((warn_unused_result));
void store_close(struct store *store); /* accepts NULL */

/* A compacted copy of the store in `dir` (which a daemon may be serving:
 * LMDB readers never block its writer) to fd: one consistent snapshot, as
 * of the last commit when the copy began. */
int store_copy(const char *dir, int fd) __attribute__((warn_unused_result));
/* Bytes the store uses (its pages up to the last one written) and may grow
 * to (the map). */
int store_usage(struct store *store, uint64_t *used, uint64_t *map);

/* The name of the store's data file in its directory (a restore writes it). */
#define STORE_DATA_FILE "data.mdb"

int store_begin(struct store *store, bool write, struct store_txn **out) __attribute__((warn_unused_result));
/* Commits durably (unless no_sync); a transaction with a failed write is
 * refused with that write's result, nothing of it kept. Frees the
 * transaction whatever the result. */
int store_commit(struct store_txn *txn) __attribute__((warn_unused_result));
void store_abort(struct store_txn *txn); /* accepts NULL */
/* STORE_OK, or the result of the first write that failed (STORE_FULL, STORE_ERROR). */
int store_txn_error(const struct store_txn *txn);

/* The ledger-wide state; STORE_NOT_FOUND on an empty store. */
int store_state_get(struct store_txn *txn, struct ledger_state *out);
int store_state_put(struct store_txn *txn, const struct ledger_state *state);

int store_account_get(struct store_txn *txn, const uint8_t key[KEY_BYTES], struct account *out);
int store_account_put(struct store_txn *txn, const uint8_t key[KEY_BYTES], const struct account *account);
/* Calls fn for each account in key order until it returns non-zero. */
int store_account_each(struct store_txn *txn,
		       int (*fn)(void *ctx, const uint8_t key[KEY_BYTES], const struct account *account),
		       void *ctx);

int store_leaf_put(struct store_txn *txn, uint64_t index, const uint8_t *leaf, size_t len);
int store_leaf_get(struct store_txn *txn, uint64_t index, const uint8_t **leaf, size_t *len);

/* txid -> leaf index of every applied transaction: a log-structured index
 * (store_txids.c, docs/storage.md). New txids go into a small B-tree that a
 * batch writes on a few pages; past STORE_TXID_RUN_ENTRIES it is written out
 * in order as a run, and runs are merged into larger runs, so nothing is ever
 * inserted at a random place in a large tree. A look-up reads the small tree
 * and then each run: tens to hundreds of B-tree descents, so the ledger looks up a txid only when
 * the transaction could have been applied (apply.c), never for a new one. */
#define STORE_TXID_RUN_ENTRIES 1024U
int store_txid_put(struct store_txn *txn, const uint8_t txid[TXID_BYTES], uint64_t index);
int store_txid_get(struct store_txn *txn, const uint8_t txid[TXID_BYTES], uint64_t *index);
/* The centimes refunded so far of the payment `txid` (0 before a refund). */
int store_refunded_get(struct store_txn *txn, const uint8_t txid[TXID_BYTES], uint64_t *refunded);
int store_refunded_put(struct store_txn *txn, const uint8_t txid[TXID_BYTES], uint64_t refunded);

/* Board nonces used, and txids voided by the board: sets. */
int store_nonce_put(struct store_txn *txn, const uint8_t nonce[BOARD_NONCE_BYTES]);
int store_nonce_has(struct store_txn *txn, const uint8_t nonce[BOARD_NONCE_BYTES]);
int store_void_put(struct store_txn *txn, const uint8_t txid[TXID_BYTES]);
int store_void_has(struct store_txn *txn, const uint8_t txid[TXID_BYTES]);

int store_record_put(struct store_txn *txn, const uint8_t txid[TXID_BYTES], const struct tx_record *record);
int store_record_get(struct store_txn *txn, const uint8_t txid[TXID_BYTES], struct tx_record *out);
/* Calls fn on each record in txid order, from the first txid greater than
 * `after` (NULL: from the first), until fn returns non-zero. */
int store_record_each(struct store_txn *txn, const uint8_t *after,
		      int (*fn)(void *ctx, const uint8_t txid[TXID_BYTES], const struct tx_record *record), void *ctx);

/* The card of a card-held account (set_card, from the log), and the wrong
 * PINs tried since it was registered or unlocked (the ledger's own count,
 * kept with the store so that a restart or a restore keeps it). */
int store_card_get(struct store_txn *txn, const uint8_t account[KEY_BYTES], struct card_record *out);
int store_card_put(struct store_txn *txn, const uint8_t account[KEY_BYTES], const struct card_record *card);
int store_card_tries_get(struct store_txn *txn, const uint8_t account[KEY_BYTES], struct card_tries *out);
int store_card_tries_put(struct store_txn *txn, const uint8_t account[KEY_BYTES], const struct card_tries *tries);
/* STORE_OK when at least one card was ever registered, STORE_NOT_FOUND when none. */
int store_cards_any(struct store_txn *txn);

/* An account's history is a chain through the log: each leaf that concerns
 * accounts keeps, for each of them, the previous leaf that concerned it, and
 * the account record keeps the latest (struct account.history_last, written
 * with the account anyway). Links are appended in leaf order, so a batch
 * writes them on a few sequential pages rather than one random index page per
 * party (docs/benchmarks.md). history.h walks the chain. */
struct history_link {
	uint64_t account_number;
	uint64_t previous;    /* the account's previous leaf, plus one; 0: none */
};
#define HISTORY_LINKS_MAX 4U
/* Leaves must be linked in increasing order. 1..HISTORY_LINKS_MAX links. */
int store_history_links_put(struct store_txn *txn, uint64_t index, const struct history_link *links,
			    unsigned count);
/* STORE_NOT_FOUND when leaf `index` concerns no account. */
int store_history_links_get(struct store_txn *txn, uint64_t index, struct history_link links[HISTORY_LINKS_MAX],
			    unsigned *count);

/* A payment by the payee's order number: the one payment to `payee` with this
 * reference (tx_pay.c refuses a second). */
int store_payee_reference_put(struct store_txn *txn, const uint8_t payee[KEY_BYTES],
			      const char *reference, size_t len, uint64_t index);
int store_payee_reference_get(struct store_txn *txn, const uint8_t payee[KEY_BYTES],
			      const char *reference, size_t len, uint64_t *index);

/* The auditor's own tables (manne-audit's report: issuance by month, partner
 * figures, daily payment sums, checkpoint keys), kept in the replay store so
 * that they commit with the leaves they sum. Only a store opened with
 * audit_tables has them (STORE_ERROR otherwise); the daemon never does.
 * Keys are 1..STORE_AUDIT_KEY_BYTES_MAX bytes, values fixed-size records of
 * at most STORE_AUDIT_VALUE_BYTES_MAX bytes. */
#define STORE_AUDIT_KEY_BYTES_MAX 128U
#define STORE_AUDIT_VALUE_BYTES_MAX 256U
/* STORE_NOT_FOUND, or the value, which must be exactly `size` bytes (STORE_ERROR otherwise). */
int store_audit_get(struct store_txn *txn, const uint8_t *key, size_t key_len, void *out, size_t size);
int store_audit_put(struct store_txn *txn, const uint8_t *key, size_t key_len, const void *value, size_t size);
/* Calls fn for each entry whose key starts with `prefix`, in key order from
 * the first key >= `from` (NULL: from the prefix itself), until fn returns
 * non-zero. Keys and values are valid during the call only. */
int store_audit_each(struct store_txn *txn, const uint8_t *prefix, size_t prefix_len, const uint8_t *from,
		     size_t from_len,
		     int (*fn)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len),
		     void *ctx);

/* The Merkle tree's complete-subtree nodes, read and written through txn. */
struct merkle_nodes store_merkle_nodes(struct store_txn *txn);

#endif
