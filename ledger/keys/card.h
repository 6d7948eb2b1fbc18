/*
 * card.h: the sealed card of SPEC §10 (docs/cards.md gives the construction
 * and its reasons). A member's Ed25519 seed is sealed under a key that needs
 * both the PIN (through Argon2id, with the limits the card names) and a
 * per-card secret that only the ledger holds, and releases only to a till
 * that proved the PIN:
 *
 *   h         = Argon2id13(PIN, salt, ops, 2^mem KiB)              32 bytes
 *   pin proof = BLAKE2b-256(key h, "manne card pin v1" || account)
 *   seal key  = BLAKE2b-256(key card secret, "manne card seal v1" || h)
 *   sealed    = XChaCha20-Poly1305(seal key, nonce 0, seed, ad = header)
 *
 * The card is "MANNE:C1:" and the Base45 of: ops (1 byte), mem (log2 of KiB,
 * 1 byte), salt (16), account (32), the ledger's card key (X25519, 32), the
 * sealed seed (48): 204 characters of QR code's alphanumeric set, a version
 * 10 QR code at level M. The header is everything before the sealed seed
 * (the prefix included): change a byte of it and the card does not open.
 *
 * The ledger keeps the PIN proof and the card secret sealed to its card key
 * (pin check, set_card); a till sends the PIN proof sealed to the same key
 * (unlock request). Nothing that travels or rests outside the daemon's
 * memory lets anyone test a PIN without that key. Both also hold the card's
 * possession tag, BLAKE2b-256("manne card possession v1" || the card's
 * payload), which only the card gives: a try without it (someone who knows
 * the account key but never saw the card) is refused without counting, so
 * it cannot lock the card.
 *
 * May include: log/ (status codes, limits). Uses libsodium.
 */
#ifndef MANNE_CARD_H
#define MANNE_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/log/ledger_limits.h"
#include "ledger/log/manne_status.h"

#define CARD_PREFIX "MANNE:C"
#define CARD_VERSION 1
#define CARD_SALT_BYTES 16U
#define CARD_SEALED_SEED_BYTES 48U
#define CARD_HEADER_BYTES (2U + CARD_SALT_BYTES + 32U + 32U)
#define CARD_PAYLOAD_BYTES (CARD_HEADER_BYTES + CARD_SEALED_SEED_BYTES)
/* "MANNE:C1:" and the Base45 of the payload. */
#define CARD_TEXT_BYTES (9U + 195U)
#define CARD_PIN_PROOF_BYTES 32U
#define CARD_REPLY_KEY_BYTES 32U

/* Argon2id limits a card may name: at most 10 passes and 256 MiB, so that
 * a forged card cannot make a till work for minutes or run out of memory;
 * at least libsodium's minimum (1 pass, 8 KiB). New cards use 2 passes and
 * 64 MiB (libsodium's "interactive" limits). */
#define CARD_OPS_MIN 1U
#define CARD_OPS_MAX 10U
#define CARD_MEM_LOG2_KIB_MIN 3U
#define CARD_MEM_LOG2_KIB_MAX 18U
#define CARD_OPS_DEFAULT 2U
#define CARD_MEM_LOG2_KIB_DEFAULT 16U

#define CARD_PIN_DIGITS_MIN 4U
#define CARD_PIN_DIGITS_MAX 6U

struct card {
	uint8_t ops;
	uint8_t mem_log2_kib;
	uint8_t salt[CARD_SALT_BYTES];
	uint8_t account[32];
	uint8_t ledger_key[32];          /* X25519: the ledger's card key */
	uint8_t sealed_seed[CARD_SEALED_SEED_BYTES];
};

/* Parses a card (surrounding spaces and line ends are the caller's to
 * strip): MANNE_OK, MANNE_ERR_CARD_FORMAT (not a card, a bad character, a
 * wrong length), MANNE_ERR_CARD_VERSION (MANNE:C<n>: of another n) or
 * MANNE_ERR_CARD_LIMITS (Argon2id limits outside the bounds above). */
enum manne_status card_parse(const char *text, size_t len, struct card *out);
/* Writes the card's text and a NUL into out (CARD_TEXT_BYTES + 1). */
void card_format(const struct card *card, char out[CARD_TEXT_BYTES + 1]);

/* MANNE_OK for 4 to 6 ASCII digits; for a new card (strict) also refuses
 * one digit repeated and runs up or down (1234, 987654). Else
 * MANNE_ERR_PIN_FORMAT. */
enum manne_status card_pin_check_format(const char *pin, bool strict);

/* h of the header comment: MANNE_ERR_PIN_FORMAT, MANNE_ERR_NO_MEMORY (the
 * memory Argon2id asks for), or MANNE_OK. */
enum manne_status card_pin_hash(const struct card *card, const char *pin, uint8_t h[32]);
void card_pin_proof(const uint8_t h[32], const uint8_t account[32], uint8_t proof[CARD_PIN_PROOF_BYTES]);
/* The seed, or MANNE_ERR_CARD_OPEN when h and the secret do not open it. */
enum manne_status card_open(const struct card *card, const uint8_t h[32], const uint8_t secret[CARD_SECRET_BYTES],
			    uint8_t seed[32]);

/* A new card for seed (whose public key is the account), sealed for the
 * ledger's card key with a fresh salt and card secret: fills card and the
 * pin check the board registers (set_card). ops and mem_log2_kib within the
 * bounds. */
enum manne_status card_seal(const uint8_t seed[32], const char *pin, unsigned ops, unsigned mem_log2_kib,
			    const uint8_t ledger_key[32], struct card *card,
			    uint8_t pin_check[CARD_PIN_CHECK_BYTES]);
/* The same with salt and secret given (published vectors). */
enum manne_status card_seal_with(const uint8_t seed[32], const char *pin, unsigned ops, unsigned mem_log2_kib,
				 const uint8_t ledger_key[32], const uint8_t salt[CARD_SALT_BYTES],
				 const uint8_t secret[CARD_SECRET_BYTES], struct card *card,
				 uint8_t pin_check[CARD_PIN_CHECK_BYTES]);

/* The ledger's card key pair from its Ed25519 key (the card key file): X25519. */
int card_ledger_keypair(const uint8_t ed25519_secret_key[64], uint8_t public_key[32], uint8_t secret_key[32]);

/* The card's possession tag (the header comment). */
void card_possession_tag(const struct card *card, uint8_t tag[32]);

/* The pin check, sealed to the ledger: account || tag || pin proof || card secret. */
struct card_check {
	uint8_t account[32];
	uint8_t tag[32];
	uint8_t proof[CARD_PIN_PROOF_BYTES];
	uint8_t secret[CARD_SECRET_BYTES];
};
int card_pin_check_open(const uint8_t pin_check[CARD_PIN_CHECK_BYTES], const uint8_t ledger_pk[32],
			const uint8_t ledger_sk[32], struct card_check *out);

/* The unlock request, sealed to the ledger: account || till key || tag || pin proof || reply key. */
struct card_unlock {
	uint8_t account[32];
	uint8_t till[32];
	uint8_t tag[32];
	uint8_t proof[CARD_PIN_PROOF_BYTES];
	uint8_t reply_key[CARD_REPLY_KEY_BYTES];
};
void card_unlock_seal(const struct card_unlock *request, const uint8_t ledger_pk[32],
		      uint8_t out[CARD_UNLOCK_SEALED_BYTES]);
int card_unlock_open(const uint8_t sealed[CARD_UNLOCK_SEALED_BYTES], const uint8_t ledger_pk[32],
		     const uint8_t ledger_sk[32], struct card_unlock *out);

/* The ledger's reply: the card secret under the reply key. */
#define CARD_REPLY_NONCE_BYTES 24U
#define CARD_REPLY_BOX_BYTES (CARD_SECRET_BYTES + 16U)
void card_reply_seal(const uint8_t secret[CARD_SECRET_BYTES], const uint8_t reply_key[CARD_REPLY_KEY_BYTES],
		     uint8_t nonce[CARD_REPLY_NONCE_BYTES], uint8_t box[CARD_REPLY_BOX_BYTES]);
int card_reply_open(const uint8_t nonce[CARD_REPLY_NONCE_BYTES], const uint8_t box[CARD_REPLY_BOX_BYTES],
		    const uint8_t reply_key[CARD_REPLY_KEY_BYTES], uint8_t secret[CARD_SECRET_BYTES]);

#endif
