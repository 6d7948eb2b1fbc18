/*
 * ledger.h: the ledger as the daemon, the tools and the tests use it: a
 * store, its committed state, and batches that apply many transactions in
 * one durable store commit (group commit, SPEC §8).
 *
 * A batch holds the store's single write transaction. Every transaction in
 * it is applied or refused on its own; a refused one changes nothing. If a
 * write fails (a full map), every later transaction of the batch is refused
 * with the same code and the commit aborts: no receipt of that batch may say
 * success. The committed state changes only when the commit succeeds.
 */
#ifndef MANNE_LEDGER_H
#define MANNE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apply.h"
#include "ledger/store/state.h"
#include "ledger/store/store.h"
#include "tx.h"

struct ledger {
	struct store *store;
	struct ledger_state state;  /* as committed; all zero while the ledger is empty */
	bool empty;                 /* no genesis yet */
	/* A batch's scratch memory, kept from one batch to the next (one batch
	 * at a time per ledger): a fresh 600 KiB per batch costs page faults
	 * on every commit of a lone till's payment. */
	uint8_t *arena_buffer;
	struct apply_work *work;
};

struct batch {
	struct ledger *ledger;
	struct store_txn *txn;
	struct ledger_state state;  /* the batch's working state */
	struct arena arena;         /* decoded transactions (submit and replay) */
	uint8_t *arena_buffer;
	struct apply_work *work;    /* apply's scratch memory */
	uint32_t applied;
	bool other_writes;          /* the daemon's own records written in txn (a card's wrong PINs): commit them too */
	enum manne_status failed;   /* MANNE_OK until a write fails */
};

int ledger_open(const char *dir, const struct store_options *options, struct ledger **out)
	__attribute__((warn_unused_result));
void ledger_close(struct ledger *ledger); /* accepts NULL */

/* Which ledger transactions must name (see struct tx_identity); valid while the state is. */
struct tx_identity ledger_identity(const struct ledger_state *state, bool empty);

int ledger_batch_begin(struct ledger *ledger, struct batch *batch) __attribute__((warn_unused_result));
/* Decodes, verifies and applies one signed transaction at time_ms (raised
 * to the last leaf's time if the clock went back). */
enum manne_status ledger_batch_submit(struct batch *batch, const uint8_t *bytes, size_t len, uint64_t time_ms,
				      struct receipt *receipt) __attribute__((warn_unused_result));
/* Applies a transaction already decoded and verified (by verifier threads). */
enum manne_status ledger_batch_apply(struct batch *batch, const struct tx *tx, uint64_t time_ms,
				     struct receipt *receipt) __attribute__((warn_unused_result));
/* Replays one leaf of a log (the auditor's path): its index must be the
 * next, its time not earlier than the last, and it must apply as it did.
 * The same as ledger_replay_decode() then ledger_batch_replay_decoded(). */
enum manne_status ledger_batch_replay(struct batch *batch, const uint8_t *leaf, size_t len)
	__attribute__((warn_unused_result));
/* The pure half of a replay, which the auditor runs on verifier threads as
 * the daemon does: decodes the leaf's transaction strictly for `identity`
 * and checks its signatures. *out points into `leaf` and the arena, which
 * must outlive it. */
enum manne_status ledger_replay_decode(const struct tx_identity *identity, const uint8_t *leaf, size_t len,
				       struct arena *arena, struct tx *out) __attribute__((warn_unused_result));
/* The ordered half: checks the leaf's header and applies `tx`, which
 * ledger_replay_decode() made from this very leaf, as ledger_batch_replay does. */
enum manne_status ledger_batch_replay_decoded(struct batch *batch, const uint8_t *leaf, size_t len,
					      const struct tx *tx) __attribute__((warn_unused_result));
/* Durable commit; 0, or a store_result. Ends the batch either way. */
int ledger_batch_commit(struct batch *batch) __attribute__((warn_unused_result));
void ledger_batch_abort(struct batch *batch);

/* The Merkle root of the first `size` leaves, read in a transaction of its own. */
int ledger_root(struct ledger *ledger, uint64_t size, uint8_t root[MERKLE_HASH_BYTES])
	__attribute__((warn_unused_result));

#endif
