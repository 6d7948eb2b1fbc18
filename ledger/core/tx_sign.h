/*
 * tx_sign.h: turning a transaction body into signed bytes, as a till, the
 * CLI or a test does: pack the body once, sign those exact bytes under the
 * "MANNE-TX-V1" domain with each key, and pack the SignedTx around them.
 */
#ifndef MANNE_TX_SIGN_H
#define MANNE_TX_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "ledger/keys/keyfile.h"
#include "manne.pb-c.h"

/* Packs `body` and signs it with every key of `signers`. On success *out is
 * a malloc'd SignedTx the caller frees, and txid (if not NULL) its txid. */
int tx_sign(const Manne__TxBody *body, const struct manne_keypair *const *signers, size_t signer_count,
	    uint8_t **out, size_t *out_len, uint8_t txid[crypto_hash_sha256_BYTES])
	__attribute__((warn_unused_result));

/* Adds signatures to already-signed bytes (the board's one-by-one flow). */
int tx_sign_body_bytes(const uint8_t *body, size_t body_len, const struct manne_keypair *const *signers,
		       size_t signer_count, uint8_t **out, size_t *out_len) __attribute__((warn_unused_result));

#endif
