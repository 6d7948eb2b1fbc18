/*
 * ledger_limits.h: every bound of what a transaction and the log may hold, in
 * one place, each with its reason: the daemon, the auditor and libmanne's
 * verification read the same numbers. The daemon's own bounds (connections,
 * frames, queues) are in server/server_limits.h.
 * Changing a wire-visible limit (field sizes, amounts) changes which
 * transactions are valid: the auditor replays with the same numbers, so such
 * a change needs a new origin version.
 */
#ifndef MANNE_LIMITS_H
#define MANNE_LIMITS_H

/* SPEC §2: every amount is > 0 and <= 10^11 centimes (one billion Manne). */
#define AMOUNT_CENTIMES_MAX 100000000000ULL

/* SPEC §2: fee in basis points. */
#define FEE_BP_MAX 10000U

/* SPEC §3: the board has 1..16 keys. */
#define BOARD_KEYS_MAX 16U

/* Signatures on one transaction: a full board plus the keys it adds (set_board). */
#define TX_SIGNATURES_MAX 32U

/* SPEC §3: the origin is 1..128 bytes of printable ASCII without space or '+'. */
#define ORIGIN_BYTES_MAX 128U

/* SPEC §4: field limits of transaction bodies. */
#define MEMO_BYTES_MAX 80U
#define PROGRAMME_BYTES_MAX 64U
#define REFERENCE_BYTES_MAX 64U          /* bank references, issue references, reasons */
#define PAYEE_REFERENCE_BYTES_MAX 16U
#define ACCOUNT_REFERENCE_BYTES_MAX 32U  /* the opaque reference of open_account */

/* SPEC §4: board acts carry a 16-byte random nonce. */
#define BOARD_NONCE_BYTES 16U

/* SPEC §7: a leaf is index (8) + time (8) + the signed transaction; at most 65,535 bytes. */
#define LEAF_HEADER_BYTES 16U
#define LEAF_BYTES_MAX 65535U
#define SIGNED_TX_BYTES_MAX (LEAF_BYTES_MAX - LEAF_HEADER_BYTES)

/* Nesting of protobuf messages in a body: TxBody > kind > DayRules is 3. */
#define WIRE_DEPTH_MAX 4U

/* SPEC §3: the genesis sets a standard offset in minutes (UTC-12:00 .. UTC+14:00). */
#define UTC_OFFSET_MINUTES_MIN (-720)
#define UTC_OFFSET_MINUTES_MAX 840

/* SPEC §5: a body's last-valid time is at most 31 days after its leaf time,
 * so that no signed body stays a live instrument for ever (a prepared board
 * act that was never submitted, a payment kept back). Later is EXPIRED. */
#define TX_VALID_MS_MAX (31ULL * 24U * 3600U * 1000U)

/* SPEC §4: retire_dormant needs 12 ledger-calendar months of freezing. */
#define DORMANT_MONTHS 12U

/* Merkle proofs: a tree of at most 2^63 leaves has at most 63 hashes per proof. */
#define MERKLE_PROOF_HASHES_MAX 64U

/* Signature verifier threads, of the daemon and of the auditor's replay:
 * one per core by default, at most this many. */
#define VERIFIER_THREADS_MAX 64U

/* Cards (SPEC §10, docs/cards.md). The PIN check of set_card is a sealed box
 * (48 bytes more) of account, possession tag, PIN proof and card secret; an
 * unlock request a sealed box of account, till key, possession tag, PIN proof
 * and reply key. Five wrong PINs in a row lock a card until the board unlocks
 * it. */
#define CARD_SECRET_BYTES 32U
#define CARD_PIN_CHECK_BYTES (4U * 32U + 48U)
#define CARD_UNLOCK_SEALED_BYTES (5U * 32U + 48U)
#define CARD_WRONG_PINS_MAX 5U

#endif
