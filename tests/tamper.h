/*
 * tamper.h: what someone with write access to the daemon's files could do
 * behind the state machine's back, for the auditor's tests. Every function
 * works on DIR/store while the daemon is stopped, and commits.
 *
 * Balances, totals and a smuggled leaf go through ledger/store.h, as a
 * rogue operator using the ledger's own code would; changing a leaf already
 * written needs LMDB itself (the store only ever appends leaves), which is
 * what an attacker editing the file would use.
 */
#ifndef MANNE_TEST_TAMPER_H
#define MANNE_TEST_TAMPER_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

/* XORs one byte of leaf `index` (offset from the leaf's start) with mask. */
void tamper_leaf_byte(struct daemon *d, uint64_t index, size_t offset, uint8_t mask);
/* Adds delta (may be negative) to the server time in leaf `index`'s header. */
void tamper_leaf_time(struct daemon *d, uint64_t index, int64_t delta);
/* Adds delta centimes to an account's balance. */
void tamper_balance(struct daemon *d, const uint8_t key[32], uint64_t delta);
/* Adds to the state's issued and funded totals (the store still passes the
 * daemon's start-up check: reserve stays >= outstanding). */
void tamper_totals(struct daemon *d, uint64_t issued, uint64_t funded);
/* Appends an issue to `account`, signed by two board keys, for more than
 * the backing allows (reserve - outstanding + excess): the leaf, its txid,
 * the Merkle tree, the balance, and totals that let the daemon start again
 * (funded raised with issued). Returns the leaf's index. */
uint64_t tamper_smuggle_issue(struct daemon *d, const uint8_t account[32], uint64_t excess);
/* The store's tree size. */
uint64_t tamper_tree_size(struct daemon *d);

#endif
