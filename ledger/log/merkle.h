/*
 * merkle.h: the RFC 6962 / RFC 9162 §2.1 Merkle tree of the log (SHA-256,
 * 0x00 leaf prefix, 0x01 node prefix), kept incrementally in a store of
 * complete subtrees, with inclusion and consistency proofs and their
 * verification.
 *
 * A node (level, index) is the hash of the complete subtree of leaves
 * [index << level, (index + 1) << level). Appending leaf n stores node (0, n)
 * and every node that leaf completes: at most 1 + log2(n + 1) writes, two on
 * average. Roots and proofs are built from stored nodes only: never by
 * rereading leaves.
 *
 * All functions return 0 on success and -1 on failure (a node missing from
 * the store, a store error, arguments out of range, or a proof that does not
 * verify).
 */
#ifndef MANNE_MERKLE_H
#define MANNE_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_limits.h"

#define MERKLE_HASH_BYTES 32U

/* Where complete-subtree nodes live (the store, or an in-memory table in tests). */
struct merkle_nodes {
	void *ctx;
	int (*get)(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_BYTES]);
	int (*put)(void *ctx, unsigned level, uint64_t index, const uint8_t hash[MERKLE_HASH_BYTES]);
};

void merkle_leaf_hash(const uint8_t *leaf, size_t leaf_len, uint8_t out[MERKLE_HASH_BYTES]);
void merkle_node_hash(const uint8_t left[MERKLE_HASH_BYTES], const uint8_t right[MERKLE_HASH_BYTES],
		      uint8_t out[MERKLE_HASH_BYTES]);

/* Adds leaf number `size` (the tree had `size` leaves before) given its leaf hash. */
int merkle_append(const struct merkle_nodes *nodes, uint64_t size,
		  const uint8_t leaf_hash[MERKLE_HASH_BYTES]) __attribute__((warn_unused_result));

/* The root of the first `size` leaves; size 0 gives SHA-256 of the empty string. */
int merkle_root(const struct merkle_nodes *nodes, uint64_t size, uint8_t out[MERKLE_HASH_BYTES])
	__attribute__((warn_unused_result));

/* RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size` leaves.
 * Writes at most MERKLE_PROOF_HASHES_MAX hashes into `proof` and their count into *count. */
int merkle_inclusion_proof(const struct merkle_nodes *nodes, uint64_t index, uint64_t size,
			   uint8_t proof[][MERKLE_HASH_BYTES], size_t *count)
	__attribute__((warn_unused_result));

/* RFC 9162 §2.1.4.1 consistency proof between sizes old_size <= new_size. */
int merkle_consistency_proof(const struct merkle_nodes *nodes, uint64_t old_size, uint64_t new_size,
			     uint8_t proof[][MERKLE_HASH_BYTES], size_t *count)
	__attribute__((warn_unused_result));

/* RFC 9162 §2.1.3.2: 0 when the proof shows leaf_hash at index in the tree of `root`. */
int merkle_inclusion_verify(uint64_t index, uint64_t size, const uint8_t leaf_hash[MERKLE_HASH_BYTES],
			    const uint8_t proof[][MERKLE_HASH_BYTES], size_t count,
			    const uint8_t root[MERKLE_HASH_BYTES]) __attribute__((warn_unused_result));

/* RFC 9162 §2.1.4.2: 0 when the proof shows old_root's tree is a prefix of new_root's.
 * Policy: old_size 0 is consistent with anything iff the proof is empty and
 * old_root is SHA-256 of the empty string; equal sizes need an empty proof and equal roots. */
int merkle_consistency_verify(uint64_t old_size, uint64_t new_size,
			      const uint8_t old_root[MERKLE_HASH_BYTES],
			      const uint8_t new_root[MERKLE_HASH_BYTES],
			      const uint8_t proof[][MERKLE_HASH_BYTES], size_t count)
	__attribute__((warn_unused_result));

#endif
