/*
 * test_merkle.c: ledger/merkle.c against the published RFC 6962 / RFC 9162
 * vectors in $MANNE_VECTORS/merkle.json, then a 1000-leaf tree checked
 * against a naive recursive MTH and by mutation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ledger/log/merkle.h"

#define HASH MERKLE_HASH_BYTES
#define PROOF_MAX MERKLE_PROOF_HASHES_MAX
#define TABLE_LEVELS 64U
#define STD_LEAVES 8U
#define BIG_LEAVES 1000U

/*
 * In-memory node table. It refuses to overwrite a node, as the real store
 * would: nodes are immutable once written, and an append that rewrote one
 * would be a bug.
 */
struct table {
	size_t count[TABLE_LEVELS];
	uint8_t (*hash[TABLE_LEVELS])[HASH];
	bool *present[TABLE_LEVELS];
	size_t puts;
	size_t gets;
	bool fail_puts;
};

static int table_get(void *ctx, unsigned level, uint64_t index, uint8_t out[HASH])
{
	struct table *t = ctx;

	t->gets++;
	if (level >= TABLE_LEVELS || index >= t->count[level] || !t->present[level][index])
		return -1;
	memcpy(out, t->hash[level][index], HASH);
	return 0;
}

static int table_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[HASH])
{
	struct table *t = ctx;

	if (t->fail_puts || level >= TABLE_LEVELS || index >= t->count[level] ||
	    t->present[level][index])
		return -1;
	memcpy(t->hash[level][index], hash, HASH);
	t->present[level][index] = true;
	t->puts++;
	return 0;
}

static struct table *table_new(size_t max_leaves)
{
	struct table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	for (unsigned l = 0; l < TABLE_LEVELS; l++) {
		t->count[l] = max_leaves >> l;
		if (t->count[l] == 0)
			continue;
		t->hash[l] = calloc(t->count[l], HASH);
		t->present[l] = calloc(t->count[l], sizeof(bool));
		assert_non_null(t->hash[l]);
		assert_non_null(t->present[l]);
	}
	return t;
}

static void table_free(struct table *t)
{
	for (unsigned l = 0; l < TABLE_LEVELS; l++) {
		free(t->hash[l]);
		free(t->present[l]);
	}
	free(t);
}

static size_t table_nodes_stored(const struct table *t)
{
	size_t n = 0;

	for (unsigned l = 0; l < TABLE_LEVELS; l++)
		for (size_t i = 0; i < t->count[l]; i++)
			n += t->present[l][i];
	return n;
}

static struct merkle_nodes table_nodes(struct table *t)
{
	struct merkle_nodes nodes = { .ctx = t, .get = table_get, .put = table_put };

	return nodes;
}

/* Naive RFC 9162 §2.1.1 MTH straight from the leaf hashes: the independent oracle. */
static void ref_mth(const uint8_t (*leaf)[HASH], size_t n, uint8_t out[HASH])
{
	uint8_t l[HASH], r[HASH];
	size_t k = 1;

	if (n == 0) {
		crypto_hash_sha256(out, (const unsigned char *)"", 0);
		return;
	}
	if (n == 1) {
		memcpy(out, leaf[0], HASH);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	ref_mth(leaf, k, l);
	ref_mth(leaf + k, n - k, r);
	merkle_node_hash(l, r, out);
}

/* Deterministic, so a failing sample can be replayed. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* ---- vector file access ---- */

struct vectors {
	json_t *json;
};

static const json_t *member(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		fail_msg("vector member \"%s\" missing", key);
	return v;
}

static const char *member_str(const json_t *obj, const char *key)
{
	const json_t *v = member(obj, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static bool member_bool(const json_t *obj, const char *key)
{
	const json_t *v = member(obj, key);

	assert_true(json_is_boolean(v));
	return json_is_true(v);
}

/*
 * jansson has no unsigned 64-bit integers and refuses integer literals above
 * INT64_MAX, yet the file holds 2^64 - 1 (Go's uint64 wrap of leafIdx 0 - 1,
 * the leafIdx-sub-@1 mutations). So numbers are parsed as doubles: exact up
 * to 2^53, which covers every other number in the file. The nearest double to
 * 2^64 - 1 is 2^64, mapped back to UINT64_MAX; any index that close to 2^64
 * gets the same verdict, so nothing is lost. Other values above 2^53 are
 * refused as inexact.
 */
static uint64_t member_u64(const json_t *obj, const char *key)
{
	const json_t *v = member(obj, key);
	double d;

	assert_true(json_is_real(v));
	d = json_real_value(v);
	if (d == 18446744073709551616.0)
		return UINT64_MAX;
	if (!(d >= 0.0 && d <= 9007199254740992.0) || (double)(uint64_t)d != d)
		fail_msg("\"%s\" = %f is not an exact uint64", key, d);
	return (uint64_t)d;
}

static void hex_decode(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	if (sodium_hex2bin(out, max, hex, strlen(hex), NULL, len, NULL) != 0)
		fail_msg("bad hex \"%s\"", hex);
}

static void hex_hash(const char *hex, uint8_t out[HASH])
{
	size_t len;

	hex_decode(hex, out, HASH, &len);
	assert_int_equal(len, HASH);
}

/*
 * Decodes a base64 hash of any length (the vectors have 0- and 12-byte
 * "hashes"); returns whether it is 32 bytes, then in out.
 */
static bool b64_hash(const char *b64, uint8_t out[HASH])
{
	uint8_t buf[4 * HASH];
	size_t len;

	if (sodium_base642bin(buf, sizeof(buf), b64, strlen(b64), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		fail_msg("bad base64 \"%s\"", b64);
	if (len != HASH)
		return false;
	memcpy(out, buf, HASH);
	return true;
}

static bool member_hash(const json_t *obj, const char *key, uint8_t out[HASH])
{
	return b64_hash(member_str(obj, key), out);
}

/*
 * The "proof" array (null means empty); false when an entry is not 32 bytes
 * or there are more than the API takes. Where the file gives a hex mirror of
 * the proof, it must say the same.
 */
static bool member_proof(const json_t *obj, uint8_t proof[][HASH], size_t *count)
{
	const json_t *arr = member(obj, "proof");
	const json_t *hex = json_object_get(obj, "proof_hex");
	bool all32 = true;
	size_t i;
	const json_t *e;

	*count = 0;
	if (json_is_null(arr))
		return true;
	assert_true(json_is_array(arr));
	if (hex != NULL) {
		assert_true(json_is_array(hex));
		assert_int_equal(json_array_size(hex), json_array_size(arr));
	}
	if (json_array_size(arr) > PROOF_MAX)
		return false;
	json_array_foreach(arr, i, e) {
		assert_true(json_is_string(e));
		if (!b64_hash(json_string_value(e), proof[i])) {
			all32 = false;
			continue;
		}
		if (hex != NULL) {
			uint8_t mirror[HASH];

			hex_hash(json_string_value(json_array_get(hex, i)), mirror);
			assert_memory_equal(mirror, proof[i], HASH);
		}
	}
	*count = json_array_size(arr);
	return all32;
}

static const json_t *vector_array(void **state, const char *key)
{
	const struct vectors *vec = *state;
	const json_t *arr = member(vec->json, key);

	assert_true(json_is_array(arr));
	return arr;
}

static int group_setup(void **state)
{
	struct vectors *vec;
	const char *dir = getenv("MANNE_VECTORS");
	char path[4096];
	json_error_t err;

	if (sodium_init() < 0)
		return -1;
	if (dir == NULL) {
		fprintf(stderr, "MANNE_VECTORS is not set\n");
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/merkle.json", dir) >= sizeof(path))
		return -1;
	vec = calloc(1, sizeof(*vec));
	if (vec == NULL)
		return -1;
	/* See member_u64 for why every number is read as a double. */
	vec->json = json_load_file(path, JSON_DECODE_INT_AS_REAL, &err);
	if (vec->json == NULL) {
		fprintf(stderr, "%s:%d: %s\n", path, err.line, err.text);
		free(vec);
		return -1;
	}
	*state = vec;
	return 0;
}

static int group_teardown(void **state)
{
	struct vectors *vec = *state;

	json_decref(vec->json);
	free(vec);
	return 0;
}


/* ---- the 8 standard leaves ---- */

/* Leaf hashes computed from the leaves' bytes (checked in test_leaf_hashes). */
static void std_leaf_hashes(void **state, uint8_t out[STD_LEAVES][HASH])
{
	const json_t *leaves = vector_array(state, "leaves");
	const json_t *leaf;
	size_t i;

	assert_int_equal(json_array_size(leaves), STD_LEAVES);
	json_array_foreach(leaves, i, leaf) {
		uint8_t data[64];
		size_t len;

		assert_int_equal(member_u64(leaf, "index"), i);
		hex_decode(member_str(leaf, "hex"), data, sizeof(data), &len);
		merkle_leaf_hash(data, len, out[i]);
	}
}

static void std_roots(void **state, uint8_t out[STD_LEAVES + 1][HASH])
{
	const json_t *roots = vector_array(state, "roots");
	const json_t *r;
	size_t i;

	assert_int_equal(json_array_size(roots), STD_LEAVES + 1);
	json_array_foreach(roots, i, r) {
		uint8_t mirror[HASH];

		assert_int_equal(member_u64(r, "tree_size"), i);
		hex_hash(member_str(r, "root_hex"), out[i]);
		assert_true(member_hash(r, "root_base64", mirror));
		assert_memory_equal(mirror, out[i], HASH);
	}
}

static struct table *std_tree(const uint8_t leaf_hash[STD_LEAVES][HASH])
{
	struct table *t = table_new(STD_LEAVES);
	struct merkle_nodes nodes = table_nodes(t);

	for (uint64_t i = 0; i < STD_LEAVES; i++)
		assert_int_equal(merkle_append(&nodes, i, leaf_hash[i]), 0);
	return t;
}

static void test_leaf_hashes(void **state)
{
	const json_t *leaves = vector_array(state, "leaves");
	uint8_t got[STD_LEAVES][HASH], want[HASH], null_leaf[HASH];
	const json_t *leaf;
	size_t i;

	std_leaf_hashes(state, got);
	json_array_foreach(leaves, i, leaf) {
		hex_hash(member_str(leaf, "leaf_hash_hex"), want);
		assert_memory_equal(got[i], want, HASH);
	}
	/* Leaf 0 is the empty leaf: it may also come as NULL. */
	assert_int_equal(strlen(member_str(json_array_get(leaves, 0), "hex")), 0);
	merkle_leaf_hash(NULL, 0, null_leaf);
	assert_memory_equal(null_leaf, got[0], HASH);
}

static void test_std_roots_and_nodes(void **state)
{
	const json_t *levels = member(member(((struct vectors *)*state)->json, "node_hashes"),
				      "levels_hex");
	uint8_t leaf_hash[STD_LEAVES][HASH], roots[STD_LEAVES + 1][HASH], got[HASH];
	struct table *t = table_new(STD_LEAVES);
	struct merkle_nodes nodes = table_nodes(t);
	size_t level, listed = 0;
	const json_t *row;

	std_leaf_hashes(state, leaf_hash);
	std_roots(state, roots);

	/* Every root of every prefix, as the tree grows, from nodes alone. */
	for (uint64_t size = 0; size <= STD_LEAVES; size++) {
		if (size > 0)
			assert_int_equal(merkle_append(&nodes, size - 1, leaf_hash[size - 1]), 0);
		for (uint64_t s = 0; s <= size; s++) {
			size_t gets = t->gets;

			assert_int_equal(merkle_root(&nodes, s, got), 0);
			assert_memory_equal(got, roots[s], HASH);
			/* One stored node per set bit of the size, nothing else. */
			assert_int_equal(t->gets - gets, (size_t)__builtin_popcountll(s));
		}
		/* The next size needs a node that is not there yet. */
		if (size < STD_LEAVES)
			assert_int_not_equal(merkle_root(&nodes, size + 1, got), 0);
	}

	/* The store holds exactly the published complete-subtree nodes. */
	assert_true(json_is_array(levels));
	json_array_foreach(levels, level, row) {
		const json_t *h;
		size_t i;

		json_array_foreach(row, i, h) {
			uint8_t want[HASH];

			assert_true(json_is_string(h));
			hex_hash(json_string_value(h), want);
			assert_int_equal(table_get(t, (unsigned)level, i, got), 0);
			assert_memory_equal(got, want, HASH);
			listed++;
		}
	}
	assert_int_equal(table_nodes_stored(t), listed);
	table_free(t);
}

/* The file's valid inclusion vectors for (index, size) in our tree must carry our proof. */
static size_t match_inclusion(void **state, uint64_t index, uint64_t size,
			      const uint8_t leaf_hash[HASH], const uint8_t root[HASH],
			      const uint8_t proof[][HASH], size_t count)
{
	const json_t *arr = vector_array(state, "inclusion");
	const json_t *v;
	size_t i, matched = 0;

	json_array_foreach(arr, i, v) {
		uint8_t vproof[PROOF_MAX][HASH], vleaf[HASH], vroot[HASH];
		size_t vcount;

		if (member_bool(v, "lamanne_wantErr") || member_u64(v, "leafIdx") != index ||
		    member_u64(v, "treeSize") != size)
			continue;
		/* A valid vector over some other tree (single-entry/...) says nothing about ours. */
		if (!member_hash(v, "leafHash", vleaf) || !member_hash(v, "root", vroot) ||
		    memcmp(vleaf, leaf_hash, HASH) != 0 || memcmp(vroot, root, HASH) != 0)
			continue;
		assert_true(member_proof(v, vproof, &vcount));
		if (vcount != count || (count > 0 && memcmp(vproof, proof, count * HASH) != 0))
			fail_msg("%s: our proof of %llu in %llu differs", member_str(v, "id"),
				 (unsigned long long)index, (unsigned long long)size);
		matched++;
	}
	return matched;
}

static size_t match_consistency(void **state, uint64_t old_size, uint64_t new_size,
				const uint8_t old_root[HASH], const uint8_t new_root[HASH],
				const uint8_t proof[][HASH], size_t count)
{
	const json_t *arr = vector_array(state, "consistency");
	const json_t *v;
	size_t i, matched = 0;

	json_array_foreach(arr, i, v) {
		uint8_t vproof[PROOF_MAX][HASH], r1[HASH], r2[HASH];
		size_t vcount;

		if (member_bool(v, "lamanne_wantErr") || member_u64(v, "size1") != old_size ||
		    member_u64(v, "size2") != new_size)
			continue;
		if (!member_hash(v, "root1", r1) || !member_hash(v, "root2", r2) ||
		    memcmp(r1, old_root, HASH) != 0 || memcmp(r2, new_root, HASH) != 0)
			continue;
		assert_true(member_proof(v, vproof, &vcount));
		if (vcount != count || (count > 0 && memcmp(vproof, proof, count * HASH) != 0))
			fail_msg("%s: our proof %llu -> %llu differs", member_str(v, "id"),
				 (unsigned long long)old_size, (unsigned long long)new_size);
		matched++;
	}
	return matched;
}

static void test_std_proofs_match_vectors(void **state)
{
	uint8_t leaf_hash[STD_LEAVES][HASH], roots[STD_LEAVES + 1][HASH];
	uint8_t proof[PROOF_MAX][HASH];
	struct table *t;
	struct merkle_nodes nodes;
	size_t count, matched = 0;

	std_leaf_hashes(state, leaf_hash);
	std_roots(state, roots);
	t = std_tree(leaf_hash);
	nodes = table_nodes(t);

	for (uint64_t size = 1; size <= STD_LEAVES; size++) {
		for (uint64_t index = 0; index < size; index++) {
			size_t m;

			assert_int_equal(merkle_inclusion_proof(&nodes, index, size, proof, &count), 0);
			assert_int_equal(merkle_inclusion_verify(index, size, leaf_hash[index], proof,
								 count, roots[size]), 0);
			m = match_inclusion(state, index, size, leaf_hash[index], roots[size], proof,
					    count);
			/* The file has a generated vector for every pair: none may be missed. */
			if (m == 0)
				fail_msg("no vector for inclusion %llu of %llu",
					 (unsigned long long)index, (unsigned long long)size);
			matched += m;
		}
	}
	print_message("inclusion: %zu vectors equal our proofs\n", matched);

	matched = 0;
	for (uint64_t new_size = 0; new_size <= STD_LEAVES; new_size++) {
		for (uint64_t old_size = 0; old_size <= new_size; old_size++) {
			size_t m;

			assert_int_equal(merkle_consistency_proof(&nodes, old_size, new_size, proof,
								  &count), 0);
			assert_int_equal(merkle_consistency_verify(old_size, new_size, roots[old_size],
								   roots[new_size], proof, count), 0);
			m = match_consistency(state, old_size, new_size, roots[old_size],
					      roots[new_size], proof, count);
			if (m == 0 && old_size > 0 && old_size < new_size)
				fail_msg("no vector for consistency %llu -> %llu",
					 (unsigned long long)old_size, (unsigned long long)new_size);
			matched += m;
		}
	}
	print_message("consistency: %zu vectors equal our proofs\n", matched);
	table_free(t);
}

/*
 * Every vector through the verifiers. The C API takes only 32-byte hashes, so
 * a vector with a hash of any other length (empty or 12-byte placeholders,
 * 0-byte "garbage" proof entries) or a proof longer than the API takes cannot
 * be fed to it: our policy fails such a proof before looking at it, so the
 * vector must expect an error, and that is what is asserted for it.
 */
static void test_inclusion_vectors(void **state)
{
	const json_t *arr = vector_array(state, "inclusion");
	const json_t *v;
	size_t i, fed = 0, unrepresentable = 0;

	json_array_foreach(arr, i, v) {
		const char *id = member_str(v, "id");
		bool want_err = member_bool(v, "lamanne_wantErr");
		uint8_t proof[PROOF_MAX][HASH], leaf[HASH], root[HASH];
		uint64_t index = member_u64(v, "leafIdx");
		uint64_t size = member_u64(v, "treeSize");
		bool leaf_ok = member_hash(v, "leafHash", leaf);
		bool root_ok = member_hash(v, "root", root);
		bool proof_ok;
		size_t count;
		int rc;

		proof_ok = member_proof(v, proof, &count);
		if (!leaf_ok || !root_ok || !proof_ok) {
			if (!want_err)
				fail_msg("%s: has a hash that is not 32 bytes but expects success", id);
			unrepresentable++;
			continue;
		}
		rc = merkle_inclusion_verify(index, size, leaf, proof, count, root);
		if ((rc != 0) != want_err)
			fail_msg("%s: verify returned %d, lamanne_wantErr is %s", id, rc,
				 want_err ? "true" : "false");
		fed++;
	}
	print_message("inclusion: %zu vectors verified, %zu with non-32-byte hashes\n", fed,
		      unrepresentable);
	assert_int_equal(fed + unrepresentable, json_array_size(arr));
}

static void test_consistency_vectors(void **state)
{
	const json_t *arr = vector_array(state, "consistency");
	const json_t *v;
	size_t i, fed = 0, unrepresentable = 0;

	json_array_foreach(arr, i, v) {
		const char *id = member_str(v, "id");
		bool want_err = member_bool(v, "lamanne_wantErr");
		uint8_t proof[PROOF_MAX][HASH], r1[HASH], r2[HASH];
		uint64_t size1 = member_u64(v, "size1");
		uint64_t size2 = member_u64(v, "size2");
		bool r1_ok = member_hash(v, "root1", r1);
		bool r2_ok = member_hash(v, "root2", r2);
		bool proof_ok;
		size_t count;
		int rc;

		proof_ok = member_proof(v, proof, &count);
		if (!r1_ok || !r2_ok || !proof_ok) {
			if (!want_err)
				fail_msg("%s: has a hash that is not 32 bytes but expects success", id);
			unrepresentable++;
			continue;
		}
		rc = merkle_consistency_verify(size1, size2, r1, r2, proof, count);
		if ((rc != 0) != want_err)
			fail_msg("%s: verify returned %d, lamanne_wantErr is %s", id, rc,
				 want_err ? "true" : "false");
		fed++;
	}
	print_message("consistency: %zu vectors verified, %zu with non-32-byte hashes\n", fed,
		      unrepresentable);
	assert_int_equal(fed + unrepresentable, json_array_size(arr));
}

/* The source verdicts differ from ours exactly where the file says they do. */
static void test_vector_disagreements(void **state)
{
	const json_t *dis = member(((struct vectors *)*state)->json,
				   "disagreements_with_source_wantErr");
	const json_t *ids = member(dis, "ids");
	const char *sections[] = { "inclusion", "consistency" };
	size_t differing = 0;

	assert_true(json_is_array(ids));
	for (size_t s = 0; s < 2; s++) {
		const json_t *arr = vector_array(state, sections[s]);
		const json_t *v;
		size_t i;

		json_array_foreach(arr, i, v) {
			const char *id = member_str(v, "id");
			bool listed = false;
			const json_t *e;
			size_t j;

			json_array_foreach(ids, j, e)
				listed |= strcmp(json_string_value(e), id) == 0;
			if ((member_bool(v, "wantErr") != member_bool(v, "lamanne_wantErr")) != listed)
				fail_msg("%s: disagreement list is wrong about it", id);
			differing += listed;
		}
	}
	assert_int_equal(differing, json_array_size(ids));
}

/* ---- a larger tree ---- */

struct big_tree {
	struct table *t;
	struct merkle_nodes nodes;
	uint8_t (*leaf_hash)[HASH];
	uint8_t (*root)[HASH];
};

static struct big_tree *big_tree_new(void)
{
	static const uint8_t seed[randombytes_SEEDBYTES] = { 'm', 'e', 'r', 'k', 'l', 'e' };
	struct big_tree *bt = calloc(1, sizeof(*bt));
	uint8_t *data;

	assert_non_null(bt);
	bt->t = table_new(BIG_LEAVES);
	bt->nodes = table_nodes(bt->t);
	bt->leaf_hash = calloc(BIG_LEAVES, HASH);
	bt->root = calloc(BIG_LEAVES + 1, HASH);
	data = malloc(BIG_LEAVES * 16U);
	assert_non_null(bt->leaf_hash);
	assert_non_null(bt->root);
	assert_non_null(data);
	randombytes_buf_deterministic(data, BIG_LEAVES * 16U, seed);

	assert_int_equal(merkle_root(&bt->nodes, 0, bt->root[0]), 0);
	for (uint64_t n = 0; n < BIG_LEAVES; n++) {
		size_t puts = bt->t->puts;
		size_t written, bound = 1;
		uint8_t leaf[8 + 16];

		/* Distinct leaves (the index first) of varying lengths. */
		for (unsigned i = 0; i < 8; i++)
			leaf[i] = (uint8_t)(n >> (8 * i));
		memcpy(leaf + 8, data + 16 * n, 16);
		merkle_leaf_hash(leaf, 8 + n % 16, bt->leaf_hash[n]);
		assert_int_equal(merkle_append(&bt->nodes, n, bt->leaf_hash[n]), 0);
		written = bt->t->puts - puts;
		/* merkle.h: at most 1 + log2(n + 1) writes; exactly 1 + trailing zeros of n + 1. */
		for (uint64_t x = n + 1; x > 1; x >>= 1)
			bound++;
		assert_true(written <= bound);
		assert_int_equal(written, 1 + (size_t)__builtin_ctzll(n + 1));
		assert_int_equal(merkle_root(&bt->nodes, n + 1, bt->root[n + 1]), 0);
	}
	/* Two writes per leaf on average: 2n - popcount(n) in all. */
	assert_int_equal(bt->t->puts, 2 * BIG_LEAVES - (size_t)__builtin_popcountll(BIG_LEAVES));
	free(data);
	return bt;
}

static void big_tree_free(struct big_tree *bt)
{
	table_free(bt->t);
	free(bt->leaf_hash);
	free(bt->root);
	free(bt);
}

static void test_big_roots(void **state)
{
	struct big_tree *bt = big_tree_new();
	uint8_t want[HASH];

	(void)state;
	for (uint64_t size = 0; size <= BIG_LEAVES; size++) {
		/* The oracle is O(size): all small sizes, then a sample and the edges. */
		if (size > 70 && size % 37 != 0 && (size & (size - 1)) != 0 &&
		    ((size - 1) & (size - 2)) != 0 && ((size + 1) & size) != 0 &&
		    size != BIG_LEAVES)
			continue;
		ref_mth(bt->leaf_hash, size, want);
		assert_memory_equal(bt->root[size], want, HASH);
	}
	big_tree_free(bt);
}

static void flip(uint8_t *h, size_t bit)
{
	h[bit / 8] ^= (uint8_t)(1U << (bit % 8));
}

static void check_inclusion_mutations(const struct big_tree *bt, uint64_t index, uint64_t size)
{
	uint8_t proof[PROOF_MAX + 1][HASH], leaf[HASH], root[HASH];
	size_t count;

	assert_int_equal(merkle_inclusion_proof(&bt->nodes, index, size, proof, &count), 0);
	memcpy(leaf, bt->leaf_hash[index], HASH);
	memcpy(root, bt->root[size], HASH);
	assert_int_equal(merkle_inclusion_verify(index, size, leaf, proof, count, root), 0);

	for (size_t bit = 0; bit < 8 * HASH; bit++) {
		for (size_t i = 0; i < count; i++) {
			flip(proof[i], bit);
			assert_int_not_equal(merkle_inclusion_verify(index, size, leaf, proof, count,
								     root), 0);
			flip(proof[i], bit);
		}
		flip(root, bit);
		assert_int_not_equal(merkle_inclusion_verify(index, size, leaf, proof, count, root), 0);
		flip(root, bit);
		flip(leaf, bit);
		assert_int_not_equal(merkle_inclusion_verify(index, size, leaf, proof, count, root), 0);
		flip(leaf, bit);
	}
	if (count > 0)
		assert_int_not_equal(merkle_inclusion_verify(index, size, leaf, proof, count - 1,
							     root), 0);
	memcpy(proof[count], root, HASH);
	assert_int_not_equal(merkle_inclusion_verify(index, size, leaf, proof, count + 1, root), 0);
	assert_int_equal(merkle_inclusion_verify(index, size, leaf, proof, count, root), 0);
}

static void check_consistency_mutations(const struct big_tree *bt, uint64_t old_size,
					uint64_t new_size)
{
	uint8_t proof[PROOF_MAX + 1][HASH], r1[HASH], r2[HASH];
	size_t count;

	assert_int_equal(merkle_consistency_proof(&bt->nodes, old_size, new_size, proof, &count), 0);
	memcpy(r1, bt->root[old_size], HASH);
	memcpy(r2, bt->root[new_size], HASH);
	assert_int_equal(merkle_consistency_verify(old_size, new_size, r1, r2, proof, count), 0);

	for (size_t bit = 0; bit < 8 * HASH; bit++) {
		for (size_t i = 0; i < count; i++) {
			flip(proof[i], bit);
			assert_int_not_equal(merkle_consistency_verify(old_size, new_size, r1, r2,
								       proof, count), 0);
			flip(proof[i], bit);
		}
		flip(r1, bit);
		assert_int_not_equal(merkle_consistency_verify(old_size, new_size, r1, r2, proof,
							       count), 0);
		flip(r1, bit);
		/* The empty tree is consistent with any new root: nothing to break there. */
		if (old_size == 0)
			continue;
		flip(r2, bit);
		assert_int_not_equal(merkle_consistency_verify(old_size, new_size, r1, r2, proof,
							       count), 0);
		flip(r2, bit);
	}
	if (count > 0)
		assert_int_not_equal(merkle_consistency_verify(old_size, new_size, r1, r2, proof,
							       count - 1), 0);
	memcpy(proof[count], r2, HASH);
	assert_int_not_equal(merkle_consistency_verify(old_size, new_size, r1, r2, proof, count + 1),
			     0);
	assert_int_equal(merkle_consistency_verify(old_size, new_size, r1, r2, proof, count), 0);
}

static void test_big_inclusion(void **state)
{
	struct big_tree *bt = big_tree_new();
	uint8_t proof[PROOF_MAX][HASH];
	uint64_t rng = 1;
	size_t count;

	(void)state;
	/* Every size: first, last and a random leaf verify; another leaf's hash does not. */
	for (uint64_t size = 1; size <= BIG_LEAVES; size++) {
		uint64_t picks[3] = { 0, size - 1, splitmix64(&rng) % size };

		for (size_t p = 0; p < 3; p++) {
			uint64_t index = picks[p];
			uint64_t other = (index + 1) % size;

			assert_int_equal(merkle_inclusion_proof(&bt->nodes, index, size, proof, &count),
					 0);
			assert_true(count < PROOF_MAX);
			assert_int_equal(merkle_inclusion_verify(index, size, bt->leaf_hash[index],
								 proof, count, bt->root[size]), 0);
			if (other != index)
				assert_int_not_equal(merkle_inclusion_verify(index, size,
									     bt->leaf_hash[other],
									     proof, count,
									     bt->root[size]), 0);
		}
	}
	/* Every single-bit flip, on the edges and a random sample. */
	check_inclusion_mutations(bt, 0, 1);
	check_inclusion_mutations(bt, 0, BIG_LEAVES);
	check_inclusion_mutations(bt, BIG_LEAVES - 1, BIG_LEAVES);
	check_inclusion_mutations(bt, 511, 512);
	check_inclusion_mutations(bt, 512, 513);
	for (int s = 0; s < 12; s++) {
		uint64_t size = 1 + splitmix64(&rng) % BIG_LEAVES;

		check_inclusion_mutations(bt, splitmix64(&rng) % size, size);
	}
	big_tree_free(bt);
}

static void test_big_consistency(void **state)
{
	struct big_tree *bt = big_tree_new();
	uint8_t proof[PROOF_MAX][HASH];
	uint64_t rng = 2;
	size_t count;

	(void)state;
	for (uint64_t new_size = 1; new_size <= BIG_LEAVES; new_size++) {
		uint64_t picks[5] = { 0, 1, new_size - 1, new_size, 1 + splitmix64(&rng) % new_size };

		for (size_t p = 0; p < 5; p++) {
			uint64_t old_size = picks[p];

			assert_int_equal(merkle_consistency_proof(&bt->nodes, old_size, new_size, proof,
								  &count), 0);
			assert_true(count <= PROOF_MAX);
			assert_int_equal(merkle_consistency_verify(old_size, new_size,
								   bt->root[old_size],
								   bt->root[new_size], proof,
								   count), 0);
			/* A different old tree of the same size must not pass for this one. */
			if (old_size > 0 && old_size < new_size)
				assert_int_not_equal(merkle_consistency_verify(old_size, new_size,
									       bt->root[old_size - 1],
									       bt->root[new_size],
									       proof, count), 0);
		}
	}
	check_consistency_mutations(bt, 0, BIG_LEAVES);
	check_consistency_mutations(bt, BIG_LEAVES, BIG_LEAVES);
	check_consistency_mutations(bt, 1, BIG_LEAVES);
	check_consistency_mutations(bt, 512, BIG_LEAVES);
	check_consistency_mutations(bt, BIG_LEAVES - 1, BIG_LEAVES);
	check_consistency_mutations(bt, 511, 513);
	for (int s = 0; s < 12; s++) {
		uint64_t new_size = 2 + splitmix64(&rng) % (BIG_LEAVES - 1);

		check_consistency_mutations(bt, 1 + splitmix64(&rng) % (new_size - 1), new_size);
	}
	big_tree_free(bt);
}

/* ---- refusals ---- */

static void test_errors(void **state)
{
	uint8_t leaf_hash[STD_LEAVES][HASH], roots[STD_LEAVES + 1][HASH];
	uint8_t proof[PROOF_MAX + 1][HASH], empty[HASH], scratch[HASH];
	struct table *t;
	struct merkle_nodes nodes;
	size_t count = 99;

	std_leaf_hashes(state, leaf_hash);
	std_roots(state, roots);
	t = std_tree(leaf_hash);
	nodes = table_nodes(t);
	crypto_hash_sha256(empty, (const unsigned char *)"", 0);

	/* Generation: out of range or beyond the stored tree. */
	assert_int_not_equal(merkle_inclusion_proof(&nodes, 8, 8, proof, &count), 0);
	assert_int_equal(count, 0);
	assert_int_not_equal(merkle_inclusion_proof(&nodes, 0, 0, proof, &count), 0);
	assert_int_not_equal(merkle_inclusion_proof(&nodes, 0, 9, proof, &count), 0);
	assert_int_not_equal(merkle_consistency_proof(&nodes, 5, 4, proof, &count), 0);
	assert_int_not_equal(merkle_consistency_proof(&nodes, 3, 9, proof, &count), 0);
	assert_int_not_equal(merkle_root(&nodes, 9, scratch), 0);
	assert_int_not_equal(merkle_root(&nodes, UINT64_MAX, scratch), 0);

	/* Appending where a node already is, and a store that fails to write. */
	assert_int_not_equal(merkle_append(&nodes, 7, leaf_hash[7]), 0);
	table_free(t);
	t = table_new(STD_LEAVES);
	nodes = table_nodes(t);
	t->fail_puts = true;
	assert_int_not_equal(merkle_append(&nodes, 0, leaf_hash[0]), 0);
	table_free(t);

	/* Verification: index or old size out of range. */
	assert_int_not_equal(merkle_inclusion_verify(1, 1, leaf_hash[0], proof, 0, roots[1]), 0);
	assert_int_not_equal(merkle_inclusion_verify(0, 0, empty, proof, 0, empty), 0);
	assert_int_not_equal(merkle_consistency_verify(2, 1, roots[2], roots[1], proof, 0), 0);

	/* Old size 0: empty proof and the empty root, nothing else. */
	assert_int_equal(merkle_consistency_verify(0, 5, empty, roots[5], proof, 0), 0);
	assert_int_equal(merkle_consistency_verify(0, 0, empty, empty, proof, 0), 0);
	assert_int_not_equal(merkle_consistency_verify(0, 0, empty, roots[1], proof, 0), 0);
	assert_int_not_equal(merkle_consistency_verify(0, 0, roots[1], roots[1], proof, 0), 0);
	assert_int_not_equal(merkle_consistency_verify(0, 5, roots[1], roots[5], proof, 0), 0);
	memcpy(proof[0], roots[5], HASH);
	assert_int_not_equal(merkle_consistency_verify(0, 5, empty, roots[5], proof, 1), 0);

	/* Equal sizes: empty proof and equal roots. */
	assert_int_equal(merkle_consistency_verify(5, 5, roots[5], roots[5], proof, 0), 0);
	assert_int_not_equal(merkle_consistency_verify(5, 5, roots[5], roots[5], proof, 1), 0);
	assert_int_not_equal(merkle_consistency_verify(5, 5, roots[5], roots[6], proof, 0), 0);

	/* More hashes than any proof may have, and sizes past the 2^63 bound. */
	memset(proof, 0, sizeof(proof));
	assert_int_not_equal(merkle_inclusion_verify(0, 8, leaf_hash[0], proof, PROOF_MAX + 1,
						     roots[8]), 0);
	assert_int_not_equal(merkle_consistency_verify(3, 8, roots[3], roots[8], proof,
						       PROOF_MAX + 1), 0);
	assert_int_not_equal(merkle_consistency_verify(UINT64_MAX, UINT64_MAX, roots[8], roots[8],
						       proof, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_hashes),
		cmocka_unit_test(test_std_roots_and_nodes),
		cmocka_unit_test(test_std_proofs_match_vectors),
		cmocka_unit_test(test_inclusion_vectors),
		cmocka_unit_test(test_consistency_vectors),
		cmocka_unit_test(test_vector_disagreements),
		cmocka_unit_test(test_big_roots),
		cmocka_unit_test(test_big_inclusion),
		cmocka_unit_test(test_big_consistency),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
