/*
 * merkle.c: RFC 9162 §2.1 Merkle tree over a store of complete subtrees.
 *
 * Every range the RFC's recursive definitions (MTH, PATH, SUBPROOF) ever
 * hash starts at a multiple of the smallest power of two not below its
 * length, so it splits into the complete subtrees given by the set bits of
 * its length, largest first: those are exactly the stored nodes, and the
 * range hash is their right fold. This is what lets roots and proofs be
 * built without leaves.
 */
#include "merkle.h"

#include <stdbool.h>
#include <string.h>

#include <sodium.h>

/*
 * limits.h sizes proofs for trees of at most 2^63 leaves (an inclusion path
 * then has at most 63 hashes, a consistency proof at most 64), and leaf
 * positions then never overflow uint64_t.
 */
#define MERKLE_SIZE_MAX (UINT64_C(1) << 63)

static const uint8_t leaf_prefix = 0x00;
static const uint8_t node_prefix = 0x01;

void merkle_leaf_hash(const uint8_t *leaf, size_t leaf_len, uint8_t out[MERKLE_HASH_BYTES])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &leaf_prefix, 1);
	/* The empty leaf may come as NULL: never hand NULL to the hash. */
	if (leaf_len > 0)
		crypto_hash_sha256_update(&st, leaf, leaf_len);
	crypto_hash_sha256_final(&st, out);
}

void merkle_node_hash(const uint8_t left[MERKLE_HASH_BYTES], const uint8_t right[MERKLE_HASH_BYTES],
		      uint8_t out[MERKLE_HASH_BYTES])
{
	crypto_hash_sha256_state st;

	/* Streaming, so out may alias left or right: both are read before final. */
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &node_prefix, 1);
	crypto_hash_sha256_update(&st, left, MERKLE_HASH_BYTES);
	crypto_hash_sha256_update(&st, right, MERKLE_HASH_BYTES);
	crypto_hash_sha256_final(&st, out);
}

static void empty_root(uint8_t out[MERKLE_HASH_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)"", 0);
}

static bool hash_equal(const uint8_t a[MERKLE_HASH_BYTES], const uint8_t b[MERKLE_HASH_BYTES])
{
	return sodium_memcmp(a, b, MERKLE_HASH_BYTES) == 0;
}

static bool nodes_usable(const struct merkle_nodes *nodes)
{
	return nodes != NULL && nodes->get != NULL && nodes->put != NULL;
}

static unsigned floor_log2(uint64_t x)
{
	return 63U - (unsigned)__builtin_clzll(x);
}

/* RFC 9162 §2.1.1: the largest power of two strictly below n, for n >= 2. */
static uint64_t split_point(uint64_t n)
{
	return UINT64_C(1) << floor_log2(n - 1);
}

/*
 * MTH of leaves [start, start + len), len >= 1, start aligned as described
 * at the top. Folding from the smallest (rightmost) subtree needs no buffer.
 */
static int range_hash(const struct merkle_nodes *nodes, uint64_t start, uint64_t len,
		      uint8_t out[MERKLE_HASH_BYTES])
{
	uint8_t node[MERKLE_HASH_BYTES];
	uint64_t rest = len;
	bool first = true;

	while (rest != 0) {
		unsigned level = (unsigned)__builtin_ctzll(rest);
		uint64_t width = UINT64_C(1) << level;
		uint64_t pos = start + rest - width;

		if (nodes->get(nodes->ctx, level, pos >> level, node) != 0)
			return -1;
		if (first)
			memcpy(out, node, MERKLE_HASH_BYTES);
		else
			merkle_node_hash(node, out, out);
		first = false;
		rest -= width;
	}
	return 0;
}

int merkle_append(const struct merkle_nodes *nodes, uint64_t size,
		  const uint8_t leaf_hash[MERKLE_HASH_BYTES])
{
	uint8_t hash[MERKLE_HASH_BYTES];
	uint8_t left[MERKLE_HASH_BYTES];
	uint64_t index = size;
	unsigned level = 0;

	if (!nodes_usable(nodes) || leaf_hash == NULL || size >= MERKLE_SIZE_MAX)
		return -1;
	if (nodes->put(nodes->ctx, 0, size, leaf_hash) != 0)
		return -1;
	memcpy(hash, leaf_hash, MERKLE_HASH_BYTES);
	/* A right child completes its parent: one write per trailing one bit of size. */
	while (index & 1) {
		if (nodes->get(nodes->ctx, level, index - 1, left) != 0)
			return -1;
		merkle_node_hash(left, hash, hash);
		index >>= 1;
		level++;
		if (nodes->put(nodes->ctx, level, index, hash) != 0)
			return -1;
	}
	return 0;
}

int merkle_root(const struct merkle_nodes *nodes, uint64_t size, uint8_t out[MERKLE_HASH_BYTES])
{
	if (!nodes_usable(nodes) || out == NULL || size > MERKLE_SIZE_MAX)
		return -1;
	if (size == 0) {
		empty_root(out);
		return 0;
	}
	return range_hash(nodes, 0, size, out);
}

/*
 * PATH(index, D[0:size]) walked top-down. The RFC lists the hashes bottom-up,
 * so a first pass with proof == NULL only counts them and the second fills
 * proof from the end.
 */
static int inclusion_walk(const struct merkle_nodes *nodes, uint64_t index, uint64_t size,
			  uint8_t proof[][MERKLE_HASH_BYTES], size_t total, size_t *count)
{
	uint64_t start = 0;
	uint64_t end = size;
	size_t n = 0;

	while (end - start > 1) {
		uint64_t k = split_point(end - start);
		uint64_t sib_start, sib_len;

		if (index < start + k) {
			sib_start = start + k;
			sib_len = end - sib_start;
			end = start + k;
		} else {
			sib_start = start;
			sib_len = k;
			start += k;
		}
		if (n >= MERKLE_PROOF_HASHES_MAX)
			return -1;
		if (proof != NULL && range_hash(nodes, sib_start, sib_len, proof[total - 1 - n]) != 0)
			return -1;
		n++;
	}
	*count = n;
	return 0;
}

int merkle_inclusion_proof(const struct merkle_nodes *nodes, uint64_t index, uint64_t size,
			   uint8_t proof[][MERKLE_HASH_BYTES], size_t *count)
{
	size_t total, filled;

	if (count == NULL)
		return -1;
	*count = 0;
	if (!nodes_usable(nodes) || proof == NULL || size > MERKLE_SIZE_MAX || index >= size)
		return -1;
	if (inclusion_walk(nodes, index, size, NULL, 0, &total) != 0)
		return -1;
	if (inclusion_walk(nodes, index, size, proof, total, &filled) != 0)
		return -1;
	*count = total;
	return 0;
}

/*
 * SUBPROOF(old_size, D[0:new_size], true) walked top-down, counted then
 * filled as for inclusion. `known` is the RFC's b: the range is still one
 * whose hash the verifier holds (the old root), so it is not sent.
 */
static int consistency_walk(const struct merkle_nodes *nodes, uint64_t old_size, uint64_t new_size,
			    uint8_t proof[][MERKLE_HASH_BYTES], size_t total, size_t *count)
{
	uint64_t start = 0;
	uint64_t end = new_size;
	bool known = true;
	size_t n = 0;

	/* start < old_size <= end throughout, so end - start >= 2 inside. */
	while (old_size != end) {
		uint64_t k = split_point(end - start);
		uint64_t sib_start, sib_len;

		if (old_size <= start + k) {
			sib_start = start + k;
			sib_len = end - sib_start;
			end = start + k;
		} else {
			sib_start = start;
			sib_len = k;
			start += k;
			known = false;
		}
		if (n >= MERKLE_PROOF_HASHES_MAX)
			return -1;
		if (proof != NULL && range_hash(nodes, sib_start, sib_len, proof[total - 1 - n]) != 0)
			return -1;
		n++;
	}
	if (!known) {
		if (n >= MERKLE_PROOF_HASHES_MAX)
			return -1;
		/* The deepest hash comes first in the proof. */
		if (proof != NULL && range_hash(nodes, start, end - start, proof[0]) != 0)
			return -1;
		n++;
	}
	*count = n;
	return 0;
}

int merkle_consistency_proof(const struct merkle_nodes *nodes, uint64_t old_size, uint64_t new_size,
			     uint8_t proof[][MERKLE_HASH_BYTES], size_t *count)
{
	size_t total, filled;

	if (count == NULL)
		return -1;
	*count = 0;
	if (!nodes_usable(nodes) || proof == NULL || new_size > MERKLE_SIZE_MAX ||
	    old_size > new_size)
		return -1;
	/* Our policy: both cases are proven by the roots alone. */
	if (old_size == 0 || old_size == new_size)
		return 0;
	if (consistency_walk(nodes, old_size, new_size, NULL, 0, &total) != 0)
		return -1;
	if (consistency_walk(nodes, old_size, new_size, proof, total, &filled) != 0)
		return -1;
	*count = total;
	return 0;
}

/* RFC 9162 §2.1.3.2 step 4.b.ii and §2.1.4.2 step 6.b.ii. */
static void skip_left_edge(uint64_t *fn, uint64_t *sn)
{
	while (!(*fn & 1) && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

int merkle_inclusion_verify(uint64_t index, uint64_t size, const uint8_t leaf_hash[MERKLE_HASH_BYTES],
			    const uint8_t proof[][MERKLE_HASH_BYTES], size_t count,
			    const uint8_t root[MERKLE_HASH_BYTES])
{
	uint8_t r[MERKLE_HASH_BYTES];
	uint64_t fn, sn;

	if (leaf_hash == NULL || root == NULL || (proof == NULL && count != 0))
		return -1;
	if (count > MERKLE_PROOF_HASHES_MAX || size > MERKLE_SIZE_MAX || index >= size)
		return -1;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, MERKLE_HASH_BYTES);
	for (size_t i = 0; i < count; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], r, r);
			skip_left_edge(&fn, &sn);
		} else {
			merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return (sn == 0 && hash_equal(r, root)) ? 0 : -1;
}

int merkle_consistency_verify(uint64_t old_size, uint64_t new_size,
			      const uint8_t old_root[MERKLE_HASH_BYTES],
			      const uint8_t new_root[MERKLE_HASH_BYTES],
			      const uint8_t proof[][MERKLE_HASH_BYTES], size_t count)
{
	uint8_t empty[MERKLE_HASH_BYTES];
	uint8_t fr[MERKLE_HASH_BYTES];
	uint8_t sr[MERKLE_HASH_BYTES];
	uint64_t fn, sn;
	size_t i;

	if (old_root == NULL || new_root == NULL || (proof == NULL && count != 0))
		return -1;
	if (count > MERKLE_PROOF_HASHES_MAX || new_size > MERKLE_SIZE_MAX || old_size > new_size)
		return -1;
	empty_root(empty);
	if (old_size == new_size) {
		/* Two sizes-0 roots must also both be the empty tree's. */
		if (count != 0 || !hash_equal(old_root, new_root))
			return -1;
		return (old_size != 0 || hash_equal(old_root, empty)) ? 0 : -1;
	}
	if (old_size == 0)
		return (count == 0 && hash_equal(old_root, empty)) ? 0 : -1;

	if (count == 0)
		return -1;
	/*
	 * Step 2 prepends old_root when old_size is a power of two; rather than
	 * copy the proof, start from old_root and walk all of it.
	 */
	if ((old_size & (old_size - 1)) == 0) {
		memcpy(fr, old_root, MERKLE_HASH_BYTES);
		i = 0;
	} else {
		memcpy(fr, proof[0], MERKLE_HASH_BYTES);
		i = 1;
	}
	memcpy(sr, fr, MERKLE_HASH_BYTES);
	fn = old_size - 1;
	sn = new_size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < count; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], fr, fr);
			merkle_node_hash(proof[i], sr, sr);
			skip_left_edge(&fn, &sn);
		} else {
			merkle_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return (sn == 0 && hash_equal(fr, old_root) && hash_equal(sr, new_root)) ? 0 : -1;
}
