/*
 * tx.h: a signed transaction, decoded and checked as far as it can be without
 * the ledger's state (SPEC §4, the first checks of §5).
 *
 * tx_decode() runs the checks in precedence order up to the amount:
 * MALFORMED (strict decoding, field shapes and limits), WRONG_LEDGER,
 * INVALID_AMOUNT. tx_verify_signatures() makes the cheap checks of the
 * signature list first (not empty, no key twice, an account signs alone) and
 * then verifies an account transaction's one signature over the exact body
 * bytes as received (BAD_SIGNATURE): the expensive part, touching nothing
 * shared, so the daemon runs it on verifier threads. A board act's
 * signatures are verified there too when every key is in the board snapshot
 * given or named by the body as a co-signer; otherwise (keys from nowhere,
 * or a board that changed since the snapshot) apply.c verifies them once it
 * has found every key to be the board's in force or a required
 * co-signer's, so a list of throwaway keys costs no verification at all.
 */
#ifndef MANNE_TX_H
#define MANNE_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manne.pb-c.h"
#include "ledger/store/state.h"
#include "ledger/log/manne_status.h"
#include "wire_strict.h"

/* "MANNE-TX-V1" || 0x00: the domain of transaction signatures. */
#define TX_DOMAIN "MANNE-TX-V1"
#define TX_DOMAIN_BYTES 12U

/* Which ledger a transaction must name. genesis_id NULL: the ledger is being
 * created and only a genesis is accepted. */
struct tx_identity {
	const char *origin;
	size_t origin_len;
	const uint8_t *genesis_id;
};

struct tx {
	const uint8_t *bytes;           /* the SignedTx as received; the caller's buffer */
	size_t len;
	uint8_t txid[TXID_BYTES];       /* SHA-256 of the body bytes */
	const uint8_t *signed_message;  /* TX_DOMAIN || body, in the arena */
	size_t signed_message_len;
	const Manne__SignedTx *signed_tx; /* decoded, in the arena */
	const Manne__TxBody *body;        /* decoded, in the arena */
	Manne__TxBody__KindCase kind;
	const uint8_t *signer;          /* the signing account's key; NULL for board acts */
	bool signatures_verified;       /* a board act's signatures were verified already */
};

/* The board keys a verifier thread may take as the board in force: a
 * snapshot, perhaps a batch old. apply.c checks the board in force again. */
struct tx_board {
	const uint8_t (*keys)[KEY_BYTES];
	uint32_t count;
};

/* Arena bytes enough to decode any valid transaction of len bytes: decoded
 * structures copy every byte string once more and add fixed headers; 4x plus
 * a constant covers the densest valid transaction. */
#define TX_ARENA_BYTES(len) (4 * (size_t)(len) + 16384)
size_t tx_arena_bytes(size_t len);

/* The memory behind tx lives in the arena (and in bytes) until they are reset. */
enum manne_status tx_decode(const uint8_t *bytes, size_t len, const struct tx_identity *identity,
			    struct arena *arena, struct tx *out) __attribute__((warn_unused_result));

/* board may be NULL (no snapshot: board acts are left to apply.c). */
enum manne_status tx_verify_signatures(struct tx *tx, const struct tx_board *board)
	__attribute__((warn_unused_result));
/* Verifies signature i of tx over its body: true if good. Counted. */
bool tx_signature_ok(const struct tx *tx, size_t i);
/* Ed25519 verifications made by this process so far (tests count them). */
uint64_t tx_signature_verifications(void);

/* The kind's name as in the .proto ("pay", "open_account"), or "unknown". */
const char *tx_kind_name(Manne__TxBody__KindCase kind);

/* The amount a kind moves, or 0 for kinds without one. */
uint64_t tx_amount(const struct tx *tx);

/* Origin syntax of SPEC §3. */
int origin_valid(const char *origin, size_t len);

#endif
