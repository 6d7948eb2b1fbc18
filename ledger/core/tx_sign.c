/*
 * tx_sign.c: see tx_sign.h.
 */
#include "tx_sign.h"

#include <stdlib.h>
#include <string.h>

#define TX_DOMAIN "MANNE-TX-V1"
#define TX_DOMAIN_BYTES 12U  /* with its NUL, the 0x00 separator */
#define SIGNERS_MAX 32U

int tx_sign_body_bytes(const uint8_t *body, size_t body_len, const struct manne_keypair *const *signers,
		       size_t signer_count, uint8_t **out, size_t *out_len)
{
	Manne__SignedTx signed_tx = MANNE__SIGNED_TX__INIT;
	Manne__Signature sigs[SIGNERS_MAX];
	Manne__Signature *sig_ptrs[SIGNERS_MAX];
	uint8_t sig_bytes[SIGNERS_MAX][crypto_sign_BYTES];
	uint8_t *message, *packed;
	size_t len;

	if (signer_count > SIGNERS_MAX)
		return -1;
	message = malloc(TX_DOMAIN_BYTES + body_len);
	if (message == NULL)
		return -1;
	memcpy(message, TX_DOMAIN, TX_DOMAIN_BYTES);
	memcpy(message + TX_DOMAIN_BYTES, body, body_len);
	for (size_t i = 0; i < signer_count; i++) {
		manne__signature__init(&sigs[i]);
		crypto_sign_detached(sig_bytes[i], NULL, message, TX_DOMAIN_BYTES + body_len,
				     signers[i]->secret_key);
		sigs[i].key.data = (uint8_t *)signers[i]->public_key;
		sigs[i].key.len = crypto_sign_PUBLICKEYBYTES;
		sigs[i].signature.data = sig_bytes[i];
		sigs[i].signature.len = crypto_sign_BYTES;
		sig_ptrs[i] = &sigs[i];
	}
	free(message);
	signed_tx.body.data = (uint8_t *)body;
	signed_tx.body.len = body_len;
	signed_tx.n_signatures = signer_count;
	signed_tx.signatures = sig_ptrs;
	len = manne__signed_tx__get_packed_size(&signed_tx);
	packed = malloc(len);
	if (packed == NULL)
		return -1;
	manne__signed_tx__pack(&signed_tx, packed);
	*out = packed;
	*out_len = len;
	return 0;
}

int tx_sign(const Manne__TxBody *body, const struct manne_keypair *const *signers, size_t signer_count,
	    uint8_t **out, size_t *out_len, uint8_t txid[crypto_hash_sha256_BYTES])
{
	size_t body_len = manne__tx_body__get_packed_size(body);
	uint8_t *body_bytes = malloc(body_len ? body_len : 1);
	int rc;

	if (body_bytes == NULL)
		return -1;
	manne__tx_body__pack(body, body_bytes);
	if (txid != NULL)
		crypto_hash_sha256(txid, body_bytes, body_len);
	rc = tx_sign_body_bytes(body_bytes, body_len, signers, signer_count, out, out_len);
	free(body_bytes);
	return rc;
}
