/*
 * verify.c: audit without trust (SPEC §7), from a till's or an auditor's
 * side: a checkpoint is believed only once its signed note verifies under
 * the ledger's checkpoint key, and a leaf or an older checkpoint only once an
 * RFC 9162 proof ties it to a verified root. The ledger's own note.c,
 * checkpoint.c and merkle.c do the work, so client and ledger agree on every
 * byte. The export file is export.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "manne_internal.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"

_Static_assert(MANNE_NOTE_BYTES_MAX == NOTE_BYTES_MAX, "one bound for notes");
_Static_assert(MANNE_PROOF_HASHES_MAX == MERKLE_PROOF_HASHES_MAX, "one bound for proofs");
_Static_assert(MANNE_HASHBYTES == MERKLE_HASH_BYTES, "one hash size");
_Static_assert(MANNE_ORIGIN_BYTES_MAX == NOTE_KEY_NAME_BYTES_MAX, "the note's key name is the origin");

void manne_leaf_hash(const uint8_t *leaf, size_t leaf_len, uint8_t out[MANNE_HASHBYTES])
{
	merkle_leaf_hash(leaf, leaf_len, out);
}

enum manne_status manne_verifier_key_parse(const char *vkey, char origin_out[MANNE_ORIGIN_BYTES_MAX + 1],
					   uint8_t key_out[MANNE_PUBLICKEYBYTES])
{
	struct note_verifier v;

	if (vkey == NULL || strlen(vkey) > MANNE_VERIFIER_KEY_BYTES_MAX || note_verifier_parse(vkey, &v) != 0)
		return MANNE_ERR_ARGUMENT;
	if (origin_out != NULL)
		memcpy(origin_out, v.name, sizeof(v.name));
	if (key_out != NULL)
		memcpy(key_out, v.public_key, MANNE_PUBLICKEYBYTES);
	return MANNE_OK;
}

enum manne_status manne_checkpoint_verify(const char *note, size_t note_len, const char *origin,
					  const uint8_t checkpoint_key[MANNE_PUBLICKEYBYTES], struct manne_checkpoint *out)
{
	char name[MANNE_ORIGIN_BYTES_MAX + 1], vkey[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	struct note_verifier v;
	struct checkpoint c;
	const char *nl;
	size_t text_len = 0;

	if (note == NULL || checkpoint_key == NULL || out == NULL || note_len == 0 || note_len > MANNE_NOTE_BYTES_MAX)
		return MANNE_ERR_ARGUMENT;
	memset(out, 0, sizeof(*out));
	if (origin == NULL) {
		/* The key name is the note's own origin line; the signature check below still needs the pinned key. */
		nl = memchr(note, '\n', note_len);
		if (nl == NULL || nl == note || (size_t)(nl - note) > MANNE_ORIGIN_BYTES_MAX)
			return MANNE_ERR_VERIFY;
		memcpy(name, note, (size_t)(nl - note));
		name[nl - note] = '\0';
		origin = name;
	}
	if (note_verifier_format(origin, checkpoint_key, vkey, sizeof(vkey)) != 0 || note_verifier_parse(vkey, &v) != 0)
		return MANNE_ERR_ARGUMENT;
	if (note_verify(note, note_len, &v, &text_len) != 0 || checkpoint_parse(note, text_len, &c) != 0 ||
	    strcmp(c.origin, origin) != 0)
		return MANNE_ERR_VERIFY;
	memcpy(out->origin, c.origin, sizeof(out->origin));
	out->tree_size = c.tree_size;
	memcpy(out->root, c.root, sizeof(out->root));
	out->totals = (struct manne_totals){c.totals.issued,   c.totals.retired,  c.totals.reconverted, c.totals.fees,
					    c.totals.pending,  c.totals.funded,   c.totals.paid_out,    c.totals.released,
					    c.totals.outstanding, c.totals.reserve};
	memcpy(out->note, note, note_len);
	out->note[note_len] = '\0';
	return MANNE_OK;
}

enum manne_status manne_checkpoint_fetch(struct manne *m, const uint8_t checkpoint_key[MANNE_PUBLICKEYBYTES],
					 struct manne_checkpoint *out, char *verifier_key_out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__CheckpointRequest c = MANNE__CHECKPOINT_REQUEST__INIT;
	Manne__Response *r = NULL;
	uint8_t published[MANNE_PUBLICKEYBYTES];
	char name[MANNE_ORIGIN_BYTES_MAX + 1];
	enum manne_status status;
	size_t note_len;

	if (m == NULL || out == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "room for the checkpoint is needed");
	request.kind_case = MANNE__REQUEST__KIND_CHECKPOINT;
	request.checkpoint = &c;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK && r->kind_case != MANNE__RESPONSE__KIND_CHECKPOINT)
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger did not send a checkpoint");
	if (status != MANNE_OK)
		goto out;
	if (manne_verifier_key_parse(r->checkpoint->verifier_key, name, published) != MANNE_OK) {
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger's verifier key is not a C2SP verifier key");
		goto out;
	}
	if (verifier_key_out != NULL)
		snprintf(verifier_key_out, MANNE_VERIFIER_KEY_BYTES_MAX + 1, "%s", r->checkpoint->verifier_key);
	note_len = strlen(r->checkpoint->note);
	status = manne_checkpoint_verify(r->checkpoint->note, note_len, m->origin,
					 checkpoint_key != NULL ? checkpoint_key : published, out);
	if (status != MANNE_OK)
		status = manne_fail(m, MANNE_ERR_VERIFY, "the checkpoint does not verify under %s for %s",
				    checkpoint_key != NULL ? "the pinned checkpoint key" : "the key the ledger publishes",
				    m->origin);
out:
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	return status;
}

enum manne_status manne_inclusion_verify(const struct manne_checkpoint *checkpoint, uint64_t index,
					 const uint8_t leaf_hash[MANNE_HASHBYTES], const uint8_t (*proof)[MANNE_HASHBYTES],
					 size_t proof_count)
{
	if (checkpoint == NULL || leaf_hash == NULL || (proof == NULL && proof_count > 0) ||
	    proof_count > MANNE_PROOF_HASHES_MAX)
		return MANNE_ERR_ARGUMENT;
	return merkle_inclusion_verify(index, checkpoint->tree_size, leaf_hash, proof, proof_count, checkpoint->root) == 0
		       ? MANNE_OK
		       : MANNE_ERR_VERIFY;
}

enum manne_status manne_receipt_verify(const struct manne_receipt *receipt, const char *origin,
				       const uint8_t checkpoint_key[MANNE_PUBLICKEYBYTES],
				       struct manne_checkpoint *checkpoint_out)
{
	struct manne_checkpoint local, *c = checkpoint_out != NULL ? checkpoint_out : &local;
	enum manne_status status;
	size_t len;

	if (receipt == NULL || checkpoint_key == NULL)
		return MANNE_ERR_ARGUMENT;
	len = strnlen(receipt->checkpoint, sizeof(receipt->checkpoint));
	if (len == 0 || len > MANNE_NOTE_BYTES_MAX)
		return MANNE_ERR_VERIFY;  /* nothing to prove it with */
	status = manne_checkpoint_verify(receipt->checkpoint, len, origin, checkpoint_key, c);
	if (status != MANNE_OK)
		return status;
	return manne_inclusion_verify(c, receipt->leaf_index, receipt->leaf_hash,
				      (const uint8_t(*)[MANNE_HASHBYTES])receipt->proof, receipt->proof_count);
}

/* Copies a proof from a reply; false if over bounds. */
static bool take_proof(ProtobufCBinaryData *hashes, size_t n, uint8_t (*out)[MANNE_HASHBYTES])
{
	if (n > MANNE_PROOF_HASHES_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (hashes[i].len != MANNE_HASHBYTES)
			return false;
		memcpy(out[i], hashes[i].data, MANNE_HASHBYTES);
	}
	return true;
}

enum manne_status manne_inclusion_check(struct manne *m, const struct manne_checkpoint *checkpoint, uint64_t index,
					const uint8_t leaf_hash[MANNE_HASHBYTES])
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__InclusionProofRequest p = MANNE__INCLUSION_PROOF_REQUEST__INIT;
	uint8_t proof[MANNE_PROOF_HASHES_MAX][MANNE_HASHBYTES];
	Manne__Response *r = NULL;
	enum manne_status status;

	if (m == NULL || checkpoint == NULL || leaf_hash == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a checkpoint and a leaf hash are needed");
	p.leaf_index = index;
	p.tree_size = checkpoint->tree_size;
	request.kind_case = MANNE__REQUEST__KIND_INCLUSION_PROOF;
	request.inclusion_proof = &p;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK && (r->kind_case != MANNE__RESPONSE__KIND_INCLUSION_PROOF ||
				   !take_proof(r->inclusion_proof->hashes, r->inclusion_proof->n_hashes, proof)))
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger did not send an inclusion proof");
	if (status == MANNE_OK &&
	    manne_inclusion_verify(checkpoint, index, leaf_hash, (const uint8_t(*)[MANNE_HASHBYTES])proof,
				   r->inclusion_proof->n_hashes) != MANNE_OK)
		status = manne_fail(m, MANNE_ERR_VERIFY, "leaf %llu is not proved to be in the tree of %llu leaves",
				    (unsigned long long)index, (unsigned long long)checkpoint->tree_size);
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	return status;
}

enum manne_status manne_inclusion_proof(struct manne *m, const struct manne_checkpoint *checkpoint, uint64_t index,
					struct manne_inclusion_proof *out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__InclusionProofRequest p = MANNE__INCLUSION_PROOF_REQUEST__INIT;
	Manne__Response *r = NULL;
	enum manne_status status;

	if (m == NULL || checkpoint == NULL || out == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a checkpoint and room for the proof are needed");
	memset(out, 0, sizeof(*out));
	p.leaf_index = index;
	p.tree_size = checkpoint->tree_size;
	request.kind_case = MANNE__REQUEST__KIND_INCLUSION_PROOF;
	request.inclusion_proof = &p;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK && (r->kind_case != MANNE__RESPONSE__KIND_INCLUSION_PROOF ||
				   r->inclusion_proof->leaf_hash.len != MANNE_HASHBYTES ||
				   !take_proof(r->inclusion_proof->hashes, r->inclusion_proof->n_hashes, out->hashes)))
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger did not send an inclusion proof with its leaf hash");
	if (status == MANNE_OK) {
		out->index = index;
		out->tree_size = checkpoint->tree_size;
		out->count = r->inclusion_proof->n_hashes;
		memcpy(out->root, checkpoint->root, MANNE_HASHBYTES);
		memcpy(out->leaf_hash, r->inclusion_proof->leaf_hash.data, MANNE_HASHBYTES);
		if (manne_inclusion_verify(checkpoint, index, out->leaf_hash, (const uint8_t(*)[MANNE_HASHBYTES])out->hashes,
					   out->count) != MANNE_OK)
			status = manne_fail(m, MANNE_ERR_VERIFY, "leaf %llu is not proved to be in the tree of %llu leaves",
					    (unsigned long long)index, (unsigned long long)checkpoint->tree_size);
	}
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	return status;
}

enum manne_status manne_consistency_verify(const struct manne_checkpoint *older, const struct manne_checkpoint *newer,
					   const uint8_t (*proof)[MANNE_HASHBYTES], size_t proof_count)
{
	if (older == NULL || newer == NULL || (proof == NULL && proof_count > 0) || proof_count > MANNE_PROOF_HASHES_MAX)
		return MANNE_ERR_ARGUMENT;
	if (strcmp(older->origin, newer->origin) != 0 || older->tree_size > newer->tree_size)
		return MANNE_ERR_VERIFY;
	return merkle_consistency_verify(older->tree_size, newer->tree_size, older->root, newer->root, proof,
					 proof_count) == 0
		       ? MANNE_OK
		       : MANNE_ERR_VERIFY;
}

enum manne_status manne_consistency_proof(struct manne *m, uint64_t old_size, uint64_t new_size,
					  struct manne_consistency_proof *out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__ConsistencyProofRequest p = MANNE__CONSISTENCY_PROOF_REQUEST__INIT;
	Manne__Response *r = NULL;
	struct manne_checkpoint *older, *newer;
	enum manne_status status;

	if (m == NULL || out == NULL || old_size == 0 || old_size > new_size)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "sizes with 0 < old <= new are needed");
	memset(out, 0, sizeof(*out));
	p.old_size = old_size;
	p.new_size = new_size;
	request.kind_case = MANNE__REQUEST__KIND_CONSISTENCY_PROOF;
	request.consistency_proof = &p;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK &&
	    (r->kind_case != MANNE__RESPONSE__KIND_CONSISTENCY_PROOF || r->consistency_proof->old_root.len != MANNE_HASHBYTES ||
	     r->consistency_proof->new_root.len != MANNE_HASHBYTES ||
	     !take_proof(r->consistency_proof->hashes, r->consistency_proof->n_hashes, out->hashes)))
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger did not send a consistency proof with its roots");
	if (status == MANNE_OK) {
		out->old_size = old_size;
		out->new_size = new_size;
		out->count = r->consistency_proof->n_hashes;
		memcpy(out->old_root, r->consistency_proof->old_root.data, MANNE_HASHBYTES);
		memcpy(out->new_root, r->consistency_proof->new_root.data, MANNE_HASHBYTES);
	}
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	if (status != MANNE_OK)
		return status;
	older = calloc(1, sizeof(*older));
	newer = calloc(1, sizeof(*newer));
	if (older == NULL || newer == NULL) {
		free(older);
		free(newer);
		return manne_fail(m, MANNE_ERR_NO_MEMORY, "out of memory");
	}
	older->tree_size = old_size;
	newer->tree_size = new_size;
	memcpy(older->root, out->old_root, MANNE_HASHBYTES);
	memcpy(newer->root, out->new_root, MANNE_HASHBYTES);
	if (old_size == new_size ? sodium_memcmp(out->old_root, out->new_root, MANNE_HASHBYTES) != 0
				 : manne_consistency_verify(older, newer, (const uint8_t(*)[MANNE_HASHBYTES])out->hashes,
							    out->count) != MANNE_OK)
		status = manne_fail(m, MANNE_ERR_VERIFY, "the proof does not connect the roots of %llu and %llu leaves",
				    (unsigned long long)old_size, (unsigned long long)new_size);
	free(older);
	free(newer);
	return status;
}

enum manne_status manne_consistency_check(struct manne *m, const struct manne_checkpoint *older,
					  const struct manne_checkpoint *newer)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__ConsistencyProofRequest p = MANNE__CONSISTENCY_PROOF_REQUEST__INIT;
	uint8_t proof[MANNE_PROOF_HASHES_MAX][MANNE_HASHBYTES];
	Manne__Response *r = NULL;
	enum manne_status status;
	size_t n = 0;

	if (m == NULL || older == NULL || newer == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "two checkpoints are needed");
	if (older->tree_size > newer->tree_size)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "the older checkpoint must not be the larger");
	/* Equal or empty trees need no proof, and the ledger has none to give for size 0. */
	if (older->tree_size != 0 && older->tree_size != newer->tree_size) {
		p.old_size = older->tree_size;
		p.new_size = newer->tree_size;
		request.kind_case = MANNE__REQUEST__KIND_CONSISTENCY_PROOF;
		request.consistency_proof = &p;
		status = manne_call(m, &request, 0, &r);
		if (status == MANNE_OK && (r->kind_case != MANNE__RESPONSE__KIND_CONSISTENCY_PROOF ||
					   !take_proof(r->consistency_proof->hashes, r->consistency_proof->n_hashes, proof)))
			status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger did not send a consistency proof");
		if (status == MANNE_OK)
			n = r->consistency_proof->n_hashes;
		if (r != NULL)
			manne__response__free_unpacked(r, NULL);
		if (status != MANNE_OK)
			return status;
	} else if (older->tree_size == 0) {
		/* RFC 9162 has no proof from the empty tree: any log extends it. */
		return MANNE_OK;
	}
	if (manne_consistency_verify(older, newer, (const uint8_t(*)[MANNE_HASHBYTES])proof, n) != MANNE_OK)
		return manne_fail(m, MANNE_ERR_VERIFY,
				  "the checkpoint of %llu leaves is not a prefix of the one of %llu leaves: keep both as evidence",
				  (unsigned long long)older->tree_size, (unsigned long long)newer->tree_size);
	manne_clear_error(m);
	return MANNE_OK;
}
