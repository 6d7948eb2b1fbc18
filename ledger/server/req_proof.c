/*
 * req_proof.c: RFC 9162 inclusion and consistency proofs from the stored
 * tree, for any sizes up to the last batch handed back. Public.
 */
#include "reads.h"

static uint8_t proof[MERKLE_PROOF_HASHES_MAX][MERKLE_HASH_BYTES];
static uint8_t leaf_hash[MERKLE_HASH_BYTES];
static uint8_t roots[2][MERKLE_HASH_BYTES];
static ProtobufCBinaryData fields[MERKLE_PROOF_HASHES_MAX];

static void reply_proof(struct slot *slot, int rc, size_t count, Manne__Response *response)
{
	if (rc != 0) {
		slot_reply_status(slot, MANNE_ERR_NOT_FOUND, "no such proof: sizes or index out of range");
		return;
	}
	(void)count;
	slot_reply(slot, response);
}

static int prove(struct slot *slot, bool inclusion, uint64_t a, uint64_t b, size_t *count)
{
	struct server *s = conn_server(slot->conn);
	struct store_txn *txn;
	struct merkle_nodes nodes;
	int rc;

	if (b > s->state.tree_size || b == 0)
		return -1;
	if (store_begin(s->ledger->store, false, &txn) != STORE_OK)
		return -1;
	nodes = store_merkle_nodes(txn);
	rc = inclusion ? merkle_inclusion_proof(&nodes, a, b, proof, count)
		       : merkle_consistency_proof(&nodes, a, b, proof, count);
	if (rc == 0 && !inclusion)
		rc = merkle_root(&nodes, a, roots[0]) == 0 && merkle_root(&nodes, b, roots[1]) == 0 ? 0 : -1;
	if (rc == 0 && inclusion) {
		/* The leaf's hash too: a verifier that has only the index can
		 * then check the proof (and so the hash) against a signed root. */
		const uint8_t *leaf;
		size_t len;
		rc = store_leaf_get(txn, a, &leaf, &len) == STORE_OK ? 0 : -1;
		if (rc == 0)
			merkle_leaf_hash(leaf, len, leaf_hash);
	}
	store_abort(txn);
	for (size_t i = 0; rc == 0 && i < *count; i++)
		fields[i] = (ProtobufCBinaryData){.len = MERKLE_HASH_BYTES, .data = proof[i]};
	return rc;
}

static void req_inclusion(struct slot *slot, const Manne__Request *request)
{
	const Manne__InclusionProofRequest *r = request->inclusion_proof;
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__InclusionProof p = MANNE__INCLUSION_PROOF__INIT;
	size_t count = 0;
	int rc = prove(slot, true, r->leaf_index, r->tree_size, &count);

	p.leaf_index = r->leaf_index;
	p.tree_size = r->tree_size;
	p.leaf_hash = (ProtobufCBinaryData){.len = rc == 0 ? MERKLE_HASH_BYTES : 0, .data = leaf_hash};
	p.n_hashes = count;
	p.hashes = fields;
	response.kind_case = MANNE__RESPONSE__KIND_INCLUSION_PROOF;
	response.inclusion_proof = &p;
	reply_proof(slot, rc, count, &response);
}

static void req_consistency(struct slot *slot, const Manne__Request *request)
{
	const Manne__ConsistencyProofRequest *r = request->consistency_proof;
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__ConsistencyProof p = MANNE__CONSISTENCY_PROOF__INIT;
	size_t count = 0;
	int rc = r->old_size > r->new_size ? -1 : prove(slot, false, r->old_size, r->new_size, &count);

	p.old_size = r->old_size;
	p.new_size = r->new_size;
	p.old_root = (ProtobufCBinaryData){.len = rc == 0 ? MERKLE_HASH_BYTES : 0, .data = roots[0]};
	p.new_root = (ProtobufCBinaryData){.len = rc == 0 ? MERKLE_HASH_BYTES : 0, .data = roots[1]};
	p.n_hashes = count;
	p.hashes = fields;
	response.kind_case = MANNE__RESPONSE__KIND_CONSISTENCY_PROOF;
	response.consistency_proof = &p;
	reply_proof(slot, rc, count, &response);
}

const struct req_entry req_inclusion_entry = {
	.name = "inclusion_proof",
	.run = req_inclusion,
};

const struct req_entry req_consistency_entry = {
	.name = "consistency_proof",
	.run = req_consistency,
};
