/*
 * store_lmdb.c: the store on LMDB (store_lmdb.h says which files share it;
 * no file outside the store includes lmdb.h).
 *
 * One environment, one named database per kind of record. Keys that are
 * numbers are big-endian so that LMDB's byte order is numeric order (leaves
 * are appended with MDB_APPEND). Values are the fixed-size records of state.h.
 */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger/log/bytes.h"
#include "store_lmdb.h"

static const char *const db_names[DB_COUNT] = {
	[DB_STATE] = "state",     [DB_ACCOUNTS] = "accounts", [DB_LOG] = "log",
	[DB_TXIDS] = "txids",     [DB_TXIDS_1] = "txids_1",   [DB_TXIDS_2] = "txids_2",
	[DB_TXIDS_3] = "txids_3", [DB_REFUNDED] = "refunded", [DB_NONCES] = "nonces",
	[DB_VOIDS] = "voids",     [DB_RECORDS] = "records",   [DB_PAYEE_REFS] = "payee_refs",
	[DB_CARDS] = "cards",     [DB_CARD_TRIES] = "card_tries", [DB_AUDIT] = "audit",
};

int store_open(const char *dir, const struct store_options *options, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	MDB_txn *txn = NULL;
	unsigned flags = MDB_NOTLS | (options->no_sync ? MDB_NOSYNC : 0);

	if (s == NULL)
		return STORE_ERROR;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		goto fail;
	if (mdb_env_create(&s->env) != 0)
		goto fail;
	if (mdb_env_set_maxdbs(s->env, DB_COUNT) != 0 ||
	    mdb_env_set_mapsize(s->env, (size_t)options->map_bytes) != 0 ||
	    mdb_env_set_maxreaders(s->env, 256) != 0 ||
	    mdb_env_open(s->env, dir, flags, 0600) != 0)
		goto fail;
	if (mdb_txn_begin(s->env, NULL, 0, &txn) != 0)
		goto fail;
	/* The daemon's store never gets the auditor's tables. */
	s->audit_tables = options->audit_tables;
	s->txid_run_entries = options->txid_run_entries != 0 ? options->txid_run_entries : STORE_TXID_RUN_ENTRIES;
	for (int i = 0; i < (s->audit_tables ? DB_COUNT : DB_AUDIT); i++) {
		if (mdb_dbi_open(txn, db_names[i], MDB_CREATE, &s->dbi[i]) != 0) {
			mdb_txn_abort(txn);
			goto fail;
		}
	}
	if (mdb_txn_commit(txn) != 0)
		goto fail;
	*out = s;
	return STORE_OK;
fail:
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
	return STORE_ERROR;
}

int store_copy(const char *dir, int fd)
{
	MDB_env *env = NULL;
	int rc = STORE_ERROR;

	if (mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, DB_COUNT) == 0 &&
	    mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600) == 0 && mdb_env_copyfd2(env, fd, MDB_CP_COMPACT) == 0)
		rc = STORE_OK;
	if (env != NULL)
		mdb_env_close(env);
	return rc;
}

int store_usage(struct store *store, uint64_t *used, uint64_t *map)
{
	MDB_envinfo info;
	MDB_stat st;
	if (mdb_env_info(store->env, &info) != 0 || mdb_env_stat(store->env, &st) != 0)
		return STORE_ERROR;
	*used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	*map = info.me_mapsize;
	return STORE_OK;
}

void store_close(struct store *store)
{
	if (store == NULL)
		return;
	mdb_env_close(store->env);
	free(store);
}

int store_begin(struct store *store, bool write, struct store_txn **out)
{
	struct store_txn *t = malloc(sizeof(*t));
	int rc;

	if (t == NULL)
		return STORE_ERROR;
	t->store = store;
	t->write = write;
	t->write_error = STORE_OK;
	rc = mdb_txn_begin(store->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc != 0) {
		free(t);
		return from_mdb(rc);
	}
	*out = t;
	return STORE_OK;
}

int store_commit(struct store_txn *txn)
{
	/* A write that failed leaves the transaction half-written: never commit it. */
	int rc = txn->write_error != STORE_OK ? txn->write_error : store_txids_settle(txn);

	if (rc != STORE_OK) {
		store_abort(txn);
		return rc;
	}
	rc = mdb_txn_commit(txn->txn);
	free(txn);
	return from_mdb(rc);
}

void store_abort(struct store_txn *txn)
{
	if (txn == NULL)
		return;
	mdb_txn_abort(txn->txn);
	free(txn);
}

int store_txn_error(const struct store_txn *txn)
{
	return txn->write_error;
}

static int has_key(struct store_txn *t, enum store_db db, const void *key, size_t key_len)
{
	MDB_val v;
	return get_raw(t, db, key, key_len, &v);
}

static const uint8_t state_key[] = "ledger";

int store_state_get(struct store_txn *txn, struct ledger_state *out)
{
	return get_fixed(txn, DB_STATE, state_key, sizeof(state_key), out, sizeof(*out));
}

int store_state_put(struct store_txn *txn, const struct ledger_state *state)
{
	return put_raw(txn, DB_STATE, state_key, sizeof(state_key), state, sizeof(*state), 0);
}

int store_account_get(struct store_txn *txn, const uint8_t key[KEY_BYTES], struct account *out)
{
	return get_fixed(txn, DB_ACCOUNTS, key, KEY_BYTES, out, sizeof(*out));
}

int store_account_put(struct store_txn *txn, const uint8_t key[KEY_BYTES], const struct account *account)
{
	return put_raw(txn, DB_ACCOUNTS, key, KEY_BYTES, account, sizeof(*account), 0);
}

int store_account_each(struct store_txn *txn,
		       int (*fn)(void *ctx, const uint8_t key[KEY_BYTES], const struct account *account),
		       void *ctx)
{
	MDB_cursor *cursor;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn->txn, txn->store->dbi[DB_ACCOUNTS], &cursor);
	if (rc != 0)
		return from_mdb(rc);
	for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
		struct account a;
		if (k.mv_size != KEY_BYTES || v.mv_size != sizeof(a)) {
			rc = EINVAL;
			break;
		}
		memcpy(&a, v.mv_data, sizeof(a));
		if (fn(ctx, k.mv_data, &a) != 0) {
			rc = 0;
			break;
		}
	}
	mdb_cursor_close(cursor);
	return rc == MDB_NOTFOUND ? STORE_OK : from_mdb(rc);
}

int store_record_each(struct store_txn *txn, const uint8_t *after,
		      int (*fn)(void *ctx, const uint8_t txid[TXID_BYTES], const struct tx_record *record), void *ctx)
{
	MDB_cursor *cursor;
	MDB_val k = {.mv_size = TXID_BYTES, .mv_data = (void *)after}, v;
	int rc = mdb_cursor_open(txn->txn, txn->store->dbi[DB_RECORDS], &cursor);
	if (rc != 0)
		return from_mdb(rc);
	rc = mdb_cursor_get(cursor, &k, &v, after != NULL ? MDB_SET_RANGE : MDB_FIRST);
	if (rc == 0 && after != NULL && k.mv_size == TXID_BYTES && memcmp(k.mv_data, after, TXID_BYTES) == 0)
		rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
	for (; rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
		struct tx_record record;
		if (k.mv_size != TXID_BYTES || v.mv_size != sizeof(record)) {
			rc = EINVAL;
			break;
		}
		memcpy(&record, v.mv_data, sizeof(record));
		if (fn(ctx, k.mv_data, &record) != 0) {
			rc = 0;
			break;
		}
	}
	mdb_cursor_close(cursor);
	return rc == MDB_NOTFOUND ? STORE_OK : from_mdb(rc);
}

/*
 * The log database holds what each leaf appends, keyed by the leaf's index
 * and then a tag, so that a batch writes it all at the right edge of one
 * B-tree, on a few shared pages, with MDB_APPEND (full pages, no search):
 *
 *   index ‖ 0x00          the leaf
 *   index ‖ 0x01 ‖ level  the Merkle node the leaf completes at that level
 *   index ‖ 0x02          the leaf's history links
 *
 * apply writes them in this order (leaf, merkle_append's nodes from level 0
 * up, links), which MDB_APPEND requires.
 */
enum log_tag { LOG_LEAF = 0, LOG_NODE = 1, LOG_LINKS = 2 };

static size_t log_key(uint8_t k[10], uint64_t index, enum log_tag tag, unsigned level)
{
	store_be64(k, index);
	k[8] = (uint8_t)tag;
	k[9] = (uint8_t)level;
	return tag == LOG_NODE ? 10 : 9;
}

int store_leaf_put(struct store_txn *txn, uint64_t index, const uint8_t *leaf, size_t len)
{
	uint8_t k[10];
	return put_raw(txn, DB_LOG, k, log_key(k, index, LOG_LEAF, 0), leaf, len, MDB_APPEND);
}

int store_leaf_get(struct store_txn *txn, uint64_t index, const uint8_t **leaf, size_t *len)
{
	uint8_t k[10];
	MDB_val v;
	int rc;

	rc = get_raw(txn, DB_LOG, k, log_key(k, index, LOG_LEAF, 0), &v);
	if (rc != STORE_OK)
		return rc;
	*leaf = v.mv_data;
	*len = v.mv_size;
	return STORE_OK;
}

int store_nonce_put(struct store_txn *txn, const uint8_t nonce[BOARD_NONCE_BYTES])
{
	return put_raw(txn, DB_NONCES, nonce, BOARD_NONCE_BYTES, "", 0, 0);
}

int store_nonce_has(struct store_txn *txn, const uint8_t nonce[BOARD_NONCE_BYTES])
{
	return has_key(txn, DB_NONCES, nonce, BOARD_NONCE_BYTES);
}

int store_void_put(struct store_txn *txn, const uint8_t txid[TXID_BYTES])
{
	return put_raw(txn, DB_VOIDS, txid, TXID_BYTES, "", 0, 0);
}

int store_void_has(struct store_txn *txn, const uint8_t txid[TXID_BYTES])
{
	return has_key(txn, DB_VOIDS, txid, TXID_BYTES);
}

int store_card_get(struct store_txn *txn, const uint8_t account[KEY_BYTES], struct card_record *out)
{
	return get_fixed(txn, DB_CARDS, account, KEY_BYTES, out, sizeof(*out));
}

int store_card_put(struct store_txn *txn, const uint8_t account[KEY_BYTES], const struct card_record *card)
{
	return put_raw(txn, DB_CARDS, account, KEY_BYTES, card, sizeof(*card), 0);
}

int store_card_tries_get(struct store_txn *txn, const uint8_t account[KEY_BYTES], struct card_tries *out)
{
	return get_fixed(txn, DB_CARD_TRIES, account, KEY_BYTES, out, sizeof(*out));
}

int store_card_tries_put(struct store_txn *txn, const uint8_t account[KEY_BYTES], const struct card_tries *tries)
{
	return put_raw(txn, DB_CARD_TRIES, account, KEY_BYTES, tries, sizeof(*tries), 0);
}

int store_cards_any(struct store_txn *txn)
{
	MDB_cursor *cursor;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn->txn, txn->store->dbi[DB_CARDS], &cursor);
	if (rc != 0)
		return from_mdb(rc);
	rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
	mdb_cursor_close(cursor);
	return from_mdb(rc);
}

int store_record_put(struct store_txn *txn, const uint8_t txid[TXID_BYTES], const struct tx_record *record)
{
	return put_raw(txn, DB_RECORDS, txid, TXID_BYTES, record, sizeof(*record), 0);
}

int store_record_get(struct store_txn *txn, const uint8_t txid[TXID_BYTES], struct tx_record *out)
{
	return get_fixed(txn, DB_RECORDS, txid, TXID_BYTES, out, sizeof(*out));
}

int store_history_links_put(struct store_txn *txn, uint64_t index, const struct history_link *links,
			    unsigned count)
{
	uint8_t k[10];
	if (count == 0 || count > HISTORY_LINKS_MAX)
		return STORE_ERROR;
	return put_raw(txn, DB_LOG, k, log_key(k, index, LOG_LINKS, 0), links, count * sizeof(*links), MDB_APPEND);
}

int store_history_links_get(struct store_txn *txn, uint64_t index, struct history_link links[HISTORY_LINKS_MAX],
			    unsigned *count)
{
	uint8_t k[10];
	MDB_val v;
	int rc;

	rc = get_raw(txn, DB_LOG, k, log_key(k, index, LOG_LINKS, 0), &v);
	if (rc != STORE_OK)
		return rc;
	if (v.mv_size == 0 || v.mv_size % sizeof(*links) != 0 || v.mv_size > HISTORY_LINKS_MAX * sizeof(*links))
		return STORE_ERROR;
	memcpy(links, v.mv_data, v.mv_size);
	*count = (unsigned)(v.mv_size / sizeof(*links));
	return STORE_OK;
}

static size_t payee_reference_key(uint8_t k[KEY_BYTES + PAYEE_REFERENCE_BYTES_MAX],
				  const uint8_t payee[KEY_BYTES], const char *reference, size_t len)
{
	memcpy(k, payee, KEY_BYTES);
	memcpy(k + KEY_BYTES, reference, len);
	return KEY_BYTES + len;
}

int store_payee_reference_put(struct store_txn *txn, const uint8_t payee[KEY_BYTES], const char *reference,
			      size_t len, uint64_t index)
{
	uint8_t k[KEY_BYTES + PAYEE_REFERENCE_BYTES_MAX], val[8];
	if (len > PAYEE_REFERENCE_BYTES_MAX)
		return STORE_ERROR;
	store_be64(val, index);
	return put_raw(txn, DB_PAYEE_REFS, k, payee_reference_key(k, payee, reference, len), val, sizeof(val), 0);
}

int store_payee_reference_get(struct store_txn *txn, const uint8_t payee[KEY_BYTES], const char *reference,
			      size_t len, uint64_t *index)
{
	uint8_t k[KEY_BYTES + PAYEE_REFERENCE_BYTES_MAX], val[8];
	int rc;
	if (len > PAYEE_REFERENCE_BYTES_MAX)
		return STORE_NOT_FOUND;
	rc = get_fixed(txn, DB_PAYEE_REFS, k, payee_reference_key(k, payee, reference, len), val, sizeof(val));
	if (rc == STORE_OK)
		*index = load_be64(val);
	return rc;
}

int store_audit_get(struct store_txn *txn, const uint8_t *key, size_t key_len, void *out, size_t size)
{
	if (!txn->store->audit_tables || key_len == 0 || key_len > STORE_AUDIT_KEY_BYTES_MAX ||
	    size > STORE_AUDIT_VALUE_BYTES_MAX)
		return STORE_ERROR;
	return get_fixed(txn, DB_AUDIT, key, key_len, out, size);
}

int store_audit_put(struct store_txn *txn, const uint8_t *key, size_t key_len, const void *value, size_t size)
{
	if (!txn->store->audit_tables || key_len == 0 || key_len > STORE_AUDIT_KEY_BYTES_MAX ||
	    size > STORE_AUDIT_VALUE_BYTES_MAX)
		return STORE_ERROR;
	return put_raw(txn, DB_AUDIT, key, key_len, value, size, 0);
}

int store_audit_each(struct store_txn *txn, const uint8_t *prefix, size_t prefix_len, const uint8_t *from,
		     size_t from_len,
		     int (*fn)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len),
		     void *ctx)
{
	MDB_cursor *cursor;
	MDB_val k, v;
	int rc;

	if (!txn->store->audit_tables || prefix_len == 0 || prefix_len > STORE_AUDIT_KEY_BYTES_MAX ||
	    (from != NULL && (from_len == 0 || from_len > STORE_AUDIT_KEY_BYTES_MAX)))
		return STORE_ERROR;
	k = from != NULL ? (MDB_val){.mv_size = from_len, .mv_data = (void *)from}
			 : (MDB_val){.mv_size = prefix_len, .mv_data = (void *)prefix};
	rc = mdb_cursor_open(txn->txn, txn->store->dbi[DB_AUDIT], &cursor);
	if (rc != 0)
		return from_mdb(rc);
	for (rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
		if (k.mv_size < prefix_len || memcmp(k.mv_data, prefix, prefix_len) != 0)
			break;
		if (fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size) != 0)
			break;
	}
	mdb_cursor_close(cursor);
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : from_mdb(rc);
}

/* Node (level, index) covers leaves [index·2^level, (index+1)·2^level) and
 * is completed by the last of them. 0, or -1 for a node no tree has. */
static int node_key(uint8_t k[10], unsigned level, uint64_t index, size_t *len)
{
	if (level >= 64 || index >= (UINT64_MAX >> level))
		return -1;
	*len = log_key(k, ((index + 1) << level) - 1, LOG_NODE, level);
	return 0;
}

static int node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_BYTES])
{
	uint8_t k[10];
	size_t len;
	if (node_key(k, level, index, &len) != 0)
		return -1;
	return get_fixed(ctx, DB_LOG, k, len, out, MERKLE_HASH_BYTES) == STORE_OK ? 0 : -1;
}

static int node_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[MERKLE_HASH_BYTES])
{
	uint8_t k[10];
	size_t len;
	if (node_key(k, level, index, &len) != 0)
		return -1;
	return put_raw(ctx, DB_LOG, k, len, hash, MERKLE_HASH_BYTES, MDB_APPEND) == STORE_OK ? 0 : -1;
}

struct merkle_nodes store_merkle_nodes(struct store_txn *txn)
{
	return (struct merkle_nodes){.ctx = txn, .get = node_get, .put = node_put};
}
