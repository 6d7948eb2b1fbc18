/*
 * manne.h: libmanne, the client library of the La Manne ledger (SPEC §9).
 * What a till, a partner's software or the board's CLI embeds: connect to
 * manne-ledger with timeouts, build, sign and submit each transaction kind
 * (resending the same bytes after a timeout, a lost connection or
 * OVERLOADED), read balances and histories, and verify what the ledger says
 * without trusting it: signed checkpoints, inclusion and consistency proofs.
 *
 * The header is the manual. Rules that hold everywhere:
 * - No global state. A `struct manne` handle is one connection; use one per
 *   thread (a handle is not locked). Functions without a handle are pure or
 *   touch only the files they are given, and are thread-safe.
 * - Call sodium_init() (or manne_init()) once before anything else.
 * - Every buffer is the caller's: the library fills structures you pass and
 *   never returns memory you must free, except where a function says so
 *   (then free it with manne_free()).
 * - Every function that can fail returns an `enum manne_status`: MANNE_OK or
 *   a code. Codes 1..27 are the ledger's, with the numbers of proto/manne.proto
 *   (never renumbered); codes from 100 are the library's own. On a handle,
 *   manne_message() gives the sentence that goes with the last error (the
 *   ledger's own words when it refused); manne_status_message() gives a
 *   fixed sentence for any code.
 * - Secret keys live in `struct manne_key`; wipe them with manne_key_wipe()
 *   as soon as they are no longer needed. The library wipes every copy it
 *   makes.
 * - Amounts are integer centimes (1 Manne = 100 centimes), 1 .. 10^11.
 */
#ifndef MANNE_H
#define MANNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MANNE_API __attribute__((visibility("default")))
#define MANNE_MUST_CHECK __attribute__((warn_unused_result))
#else
#define MANNE_API
#define MANNE_MUST_CHECK
#endif

/* ---- Sizes ---------------------------------------------------------- */

#define MANNE_PUBLICKEYBYTES 32U
#define MANNE_SECRETKEYBYTES 64U               /* libsodium's: seed || public key */
#define MANNE_SEEDBYTES 32U
#define MANNE_TXIDBYTES 32U                    /* SHA-256 of the body */
#define MANNE_HASHBYTES 32U                    /* leaf hashes, Merkle roots */
#define MANNE_ORIGIN_BYTES_MAX 128U            /* SPEC §3 */
#define MANNE_MEMO_BYTES_MAX 80U               /* SPEC §4 */
#define MANNE_TEXT_BYTES_MAX 64U               /* programmes, references, reasons, bank references */
#define MANNE_PAYEE_REFERENCE_BYTES_MAX 16U    /* the till's order number */
#define MANNE_ACCOUNT_REFERENCE_BYTES_MAX 32U  /* open_account's opaque reference */
#define MANNE_KIND_BYTES_MAX 31U               /* "settle_redemption" and the like */
#define MANNE_NOTE_BYTES_MAX 4096U             /* a signed checkpoint note */
#define MANNE_VERIFIER_KEY_BYTES_MAX 255U      /* a C2SP verifier key string */
#define MANNE_PROOF_HASHES_MAX 64U             /* a Merkle proof in a tree of < 2^63 leaves */
#define MANNE_MESSAGE_BYTES 256U               /* manne_message(), with its NUL */
#define MANNE_BOARD_KEYS_MAX 16U
#define MANNE_SIGNATURES_MAX 32U
#define MANNE_PAGE_ENTRIES_MAX 256U            /* the ledger's page maximum */
#define MANNE_AMOUNT_CENTIMES_MAX 100000000000ULL
#define MANNE_CARD_TEXT_BYTES 204U             /* a card: "MANNE:C1:" and 195 Base45 characters */
#define MANNE_CARD_PIN_CHECK_BYTES 176U        /* what the board registers with a card (set_card) */
#define MANNE_CARD_WRONG_PINS_MAX 5U           /* wrong PINs in a row before a card locks */
/* SPEC §5: what the library signs. Payments (and every account
 * transaction) are valid for 10 minutes; board acts for at most 31 days. */
#define MANNE_ACCOUNT_TX_VALID_MS (10U * 60U * 1000U)
#define MANNE_BOARD_TX_VALID_MS_MAX (31ULL * 24U * 3600U * 1000U)
/* Clocks differ: a body asked valid for the full 31 days is built to end
 * this much earlier, so that a ledger whose clock is behind still takes it,
 * and a signer whose clock is behind still signs it. */
#define MANNE_CLOCK_MARGIN_MS (10U * 60U * 1000U)

MANNE_API size_t manne_publickeybytes(void);
MANNE_API size_t manne_secretkeybytes(void);
MANNE_API size_t manne_txidbytes(void);
MANNE_API size_t manne_note_bytes_max(void);

/* ---- Status codes ------------------------------------------------------ */

/* The enum manne_status, manne_status_name() and manne_status_message():
 * the ledger's outcomes and the library's own, shared with the ledger and
 * installed beside this header. */
#include "manne_status.h"

/* ---- Keys ---------------------------------------------------------------- */

/* An Ed25519 key pair. Wipe with manne_key_wipe(). */
struct manne_key {
	uint8_t public_key[MANNE_PUBLICKEYBYTES];
	uint8_t secret_key[MANNE_SECRETKEYBYTES];
};

/* sodium_init(); MANNE_OK or MANNE_ERR_INTERNAL. Safe to call many times. */
MANNE_API enum manne_status manne_init(void) MANNE_MUST_CHECK;

MANNE_API void manne_key_generate(struct manne_key *out);
MANNE_API void manne_key_wipe(struct manne_key *key);

/* The short id people read and say aloud: the first four bytes of a public
 * key as "XXXX XXXX" (upper-case hex), printed under a card's QR code and
 * shown on tills, statements and reports so the same account reads the same
 * everywhere. Not unique: a name for people, never a key for the ledger. */
#define MANNE_SHORT_ID_BYTES 10U /* with the terminating NUL */
MANNE_API void manne_short_id(const uint8_t key[MANNE_PUBLICKEYBYTES], char out[MANNE_SHORT_ID_BYTES]);

/* Key files (mode 0600, never overwritten: the path must not exist).
 * Plain: 64 hex characters of the seed and a newline.
 * Sealed (passphrase not NULL): the seed in a libsodium secretbox under a key
 * derived from the passphrase with Argon2id (limits written in the file), for
 * keys kept on a laptop. docs/keys.md gives the format. */
MANNE_API enum manne_status manne_key_file_write(const char *path, const struct manne_key *key,
						 const char *passphrase) MANNE_MUST_CHECK;
/* Reads a plain or sealed key file. A file others may read is refused
 * (MANNE_ERR_KEY_FILE_MODE); a sealed one needs the passphrase
 * (MANNE_ERR_PASSPHRASE_NEEDED, then MANNE_ERR_PASSPHRASE if it is wrong). */
MANNE_API enum manne_status manne_key_file_read(const char *path, const char *passphrase, struct manne_key *out)
	MANNE_MUST_CHECK;
/* 1 if sealed, 0 if plain, -1 if not a readable key file. */
MANNE_API int manne_key_file_is_sealed(const char *path);

/* ---- The connection ------------------------------------------------------ */

struct manne;

/* Connects to manne-ledger at a host (a name, an IPv4 or an IPv6 address;
 * each address it resolves to in turn) and port. timeout_ms bounds the
 * connection and every reply (0: 10 s). Learns the ledger's origin and
 * genesis id, which every transaction names.
 * *out is set to a new handle whenever memory allows, even on failure, so
 * that manne_message() can say why; close it with manne_close() in every
 * case. A handle reconnects by itself when a call finds its connection lost
 * (and learns the ledger then, if manne_open could not reach it). A host
 * that refuses the connection, or a name that does not resolve, is
 * MANNE_ERR_CONNECT at once, with the reason in manne_message(); only a
 * host that does not answer is tried again. */
MANNE_API enum manne_status manne_open(const char *host, uint16_t port, uint32_t timeout_ms, struct manne **out)
	MANNE_MUST_CHECK;
/* The same over TLS 1.3, to a server whose certificate holds the pinned
 * public key: `pin` is "SHA256:<base64>" or 64 hex characters, the SHA-256
 * of the certificate's SubjectPublicKeyInfo, as `manne-ledger
 * --make-tls-cert` and `manne tls-pin CERT` print it. A server holding
 * another key is refused (MANNE_ERR_TLS) before anything is sent, on the
 * first connection and on every reconnection; authentication then also
 * signs the TLS session's keying material (RFC 8446 §7.5). */
MANNE_API enum manne_status manne_open_tls(const char *host, uint16_t port, uint32_t timeout_ms, const char *pin,
					   struct manne **out) MANNE_MUST_CHECK;
/* The pin of a PEM certificate file, "SHA256:<base64>" (at most
 * MANNE_TLS_PIN_BYTES with its NUL). */
#define MANNE_TLS_PIN_BYTES 52U
MANNE_API enum manne_status manne_tls_pin_of_cert(const char *cert_path, char *out, size_t size) MANNE_MUST_CHECK;

/* Pins the ledger the handle may speak to: `ledger` is "ORIGIN+GENESIS_ID"
 * (the genesis id in 64 hex characters), as manne_ledger_id() writes it and
 * as the association publishes it with the checkpoint key. If the server
 * already answered for another ledger, MANNE_ERR_WRONG_LEDGER; from then on
 * every new connection is checked before anything else is sent, and nothing
 * is ever signed for another ledger than the pinned one. Without a pin the
 * handle trusts the first server it reaches to say which ledger it is. */
MANNE_API enum manne_status manne_pin(struct manne *m, const char *ledger) MANNE_MUST_CHECK;
#define MANNE_LEDGER_ID_BYTES (MANNE_ORIGIN_BYTES_MAX + 1 + 2 * MANNE_TXIDBYTES + 1)
/* Writes "ORIGIN+GENESIS_ID" of the ledger the handle speaks to (at most
 * MANNE_LEDGER_ID_BYTES with its NUL): what a till saves at enrolment. */
MANNE_API enum manne_status manne_ledger_id(const struct manne *m, char *out, size_t size) MANNE_MUST_CHECK;
/* Closes the connection, wipes the keys the handle holds, frees it. Accepts NULL. */
MANNE_API void manne_close(struct manne *m);

/* Submissions are sent up to `attempts` times in all (1..20, default 5)
 * when the reply does not come in time, the connection is lost or the ledger
 * is OVERLOADED, waiting backoff_ms (default 200), doubled each time, between
 * attempts. The same signed bytes are resent: a transaction that did land
 * comes back as its original receipt, marked duplicate. */
MANNE_API enum manne_status manne_set_retry(struct manne *m, uint32_t attempts, uint32_t backoff_ms)
	MANNE_MUST_CHECK;

/* The sentence for the last error on this handle (empty after success).
 * Valid until the next call on the handle. */
MANNE_API const char *manne_message(const struct manne *m);

/* The ledger this handle talks to, as it said when connecting. */
MANNE_API const char *manne_origin(const struct manne *m);
MANNE_API const uint8_t *manne_genesis_id(const struct manne *m); /* MANNE_TXIDBYTES */

/* Proves `key` on the connection (SPEC §6): reads then see what that
 * account, the board or an auditor may see. The handle keeps a copy of the
 * key, to prove it again after a reconnection, and wipes it on close. A
 * till authenticates as its shop: a card-held member's payment is accepted
 * only on a connection authenticated as its payee. */
MANNE_API enum manne_status manne_authenticate(struct manne *m, const struct manne_key *key) MANNE_MUST_CHECK;

/* ---- Transactions ------------------------------------------------------ */

/* The reply to a submission. With the checkpoint and inclusion proof the
 * payee can prove it was paid (manne_receipt_verify). */
struct manne_receipt {
	uint8_t txid[MANNE_TXIDBYTES];
	uint64_t leaf_index;
	uint8_t leaf_hash[MANNE_HASHBYTES];
	uint64_t time_ms;             /* the ledger's time of the leaf, UTC ms */
	bool duplicate;               /* it was already in: this is the original receipt */
	/* The library checked txid, index, time and leaf hash against the bytes it
	 * sent (false only for a duplicate whose stored signatures differ). */
	bool leaf_checked;
	char checkpoint[MANNE_NOTE_BYTES_MAX + 1];  /* a signed note covering the leaf ("" if none) */
	size_t proof_count;
	uint8_t proof[MANNE_PROOF_HASHES_MAX][MANNE_HASHBYTES];
};

enum manne_role {
	MANNE_ROLE_MEMBER = 1,
	MANNE_ROLE_SHOP = 2,
	MANNE_ROLE_PRODUCER = 3,
	MANNE_ROLE_AUDITOR = 4,
	MANNE_ROLE_ASSOCIATION = 5,
	MANNE_ROLE_COUNTER = 6,         /* a service point of the association: takes payments to it */
};

enum manne_card_action {
	MANNE_CARD_REGISTER = 1,        /* a new card (a PIN check); the account's old card stops opening */
	MANNE_CARD_UNLOCK = 2,          /* a card locked by wrong PINs pays again */
};

enum manne_issue_reason {
	MANNE_ISSUE_PARTICIPATION = 1,  /* worksite hours */
	MANNE_ISSUE_ALLOWANCE = 2,      /* food allowance funded by grants */
	MANNE_ISSUE_PURCHASE = 3,       /* euros the member paid in, recorded first by fund_reserve */
	MANNE_ISSUE_GRANT = 4,
};

enum manne_release_reason {
	MANNE_RELEASE_SURPLUS = 1,
	MANNE_RELEASE_FEES = 2,
	MANNE_RELEASE_BANK_CHARGES = 3,
	MANNE_RELEASE_CORRECTION = 4,   /* a mistaken fund_reserve */
};

enum manne_set_account_action {
	MANNE_SET_ACCOUNT_UNFREEZE = 1,
	MANNE_SET_ACCOUNT_LIMITS = 2,
	MANNE_SET_ACCOUNT_CLOSE = 3,
};

enum manne_settle_outcome {
	MANNE_SETTLE_PAID = 1,
	MANNE_SETTLE_REJECTED = 2,
};

/* The transaction kinds; the numbers are TxBody's field numbers. */
enum manne_kind {
	MANNE_KIND_GENESIS = 16,
	MANNE_KIND_OPEN_ACCOUNT = 17,
	MANNE_KIND_SET_ACCOUNT = 18,
	MANNE_KIND_FREEZE = 19,
	MANNE_KIND_RECOVER_ACCOUNT = 20,
	MANNE_KIND_FUND_RESERVE = 21,
	MANNE_KIND_RELEASE_RESERVE = 22,
	MANNE_KIND_ISSUE = 23,
	MANNE_KIND_REVERSE_ISSUE = 24,
	MANNE_KIND_RETIRE_DORMANT = 25,
	MANNE_KIND_PAY = 26,
	MANNE_KIND_REFUND = 27,
	MANNE_KIND_REDEEM = 28,
	MANNE_KIND_SETTLE_REDEMPTION = 29,
	MANNE_KIND_SET_LEDGER = 30,
	MANNE_KIND_SET_BOARD = 31,
	MANNE_KIND_SET_CHECKPOINT_KEY = 32,
	MANNE_KIND_VOID = 33,
	MANNE_KIND_SET_CARD = 34,
};

/* "pay", "open_account", ...; NULL for a number that is not a kind. */
MANNE_API const char *manne_kind_name(enum manne_kind kind);
/* MANNE_OK and the kind for a name; MANNE_ERR_ARGUMENT otherwise. */
MANNE_API enum manne_status manne_kind_parse(const char *name, enum manne_kind *out) MANNE_MUST_CHECK;

/* Any transaction, field by field: what the per-kind functions below fill
 * in, and what the board's prepare / sign / submit flow writes to a file.
 * Only the fields of the kind are used; texts are NUL-terminated (NULL is
 * empty) and bounded by the MANNE_*_BYTES_MAX above. Keys and txids point to
 * 32 bytes. */
struct manne_tx {
	enum manne_kind kind;
	const uint8_t *account;        /* open_account (the new key), set_account, freeze, issue, retire_dormant,
					  recover_account (the old key), pay (the payee), set_card */
	const uint8_t *new_account;    /* recover_account */
	const uint8_t *txid;           /* refund (the payment), reverse_issue, settle_redemption, void */
	uint64_t amount;               /* centimes */
	int code;                      /* role, set_account action, issue / release reason, settle outcome,
					  set_card action */
	uint64_t max_payment;          /* open_account, set_account limits; 0 = no limit */
	uint64_t max_daily;
	bool card_held;                /* open_account */
	const char *text;              /* memo, bank reference, programme of an issue, reason */
	const char *reference;         /* payee reference of pay; reference of issue; opaque reference of open_account */
	uint32_t fee_bp;               /* set_ledger */
	uint32_t threshold;            /* set_board */
	const uint8_t *const *keys;    /* set_board: the new board; set_checkpoint_key: keys[0] */
	size_t key_count;
	const uint8_t *counter;        /* pay to the association: the counter taking it (NULL: none) */
	const uint8_t *pin_check;      /* set_card register: MANNE_CARD_PIN_CHECK_BYTES (manne_card_seal) */
};

/* Builds, signs and submits `tx` and fills receipt_out (which may be NULL).
 * An account transaction (pay, refund, redeem, and freeze of one's own
 * account) is signed by signers[0] alone, with its next sequence number
 * looked up on the way (on the handle's connection when the ledger answers
 * it there: a till proved as the shop learns a card's next sequence; else on
 * a side connection that proves signers[0]), valid for
 * MANNE_ACCOUNT_TX_VALID_MS. A board
 * act is signed by every key in signers (the board members present, and the
 * keys that must co-sign: the new key of open_account, recover_account and
 * set_checkpoint_key, each key set_board adds), with a random nonce, valid
 * for valid_ms (0: 7 days; at most MANNE_BOARD_TX_VALID_MS_MAX).
 * Returns MANNE_OK (the receipt says whether it was a duplicate) or why not. */
MANNE_API enum manne_status manne_submit_tx(struct manne *m, const struct manne_tx *tx,
					    const struct manne_key *const *signers, size_t signer_count,
					    uint64_t valid_ms, struct manne_receipt *receipt_out) MANNE_MUST_CHECK;

/* One function per kind. `board` is the board members signing now (at least
 * the threshold M of the board in force; one key is enough for freeze). */
MANNE_API enum manne_status manne_pay(struct manne *m, const struct manne_key *payer,
				      const uint8_t payee[MANNE_PUBLICKEYBYTES], uint64_t amount_centimes,
				      const char *memo, const char *payee_reference,
				      struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_refund(struct manne *m, const struct manne_key *payee,
					 const uint8_t payment_txid[MANNE_TXIDBYTES], uint64_t amount_centimes,
					 const char *memo, struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_redeem(struct manne *m, const struct manne_key *partner, uint64_t amount_centimes,
					 struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
/* Freezes `account`: signed by the account itself if `signer` is its key,
 * otherwise as a board act by that one board key. */
MANNE_API enum manne_status manne_freeze(struct manne *m, const struct manne_key *signer,
					 const uint8_t account[MANNE_PUBLICKEYBYTES],
					 struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_open_account(struct manne *m, const struct manne_key *const *board, size_t board_count,
					       const struct manne_key *new_account, enum manne_role role,
					       uint64_t max_payment_centimes, uint64_t max_daily_centimes, bool card_held,
					       const char *reference, struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_set_account(struct manne *m, const struct manne_key *const *board, size_t board_count,
					      const uint8_t account[MANNE_PUBLICKEYBYTES],
					      enum manne_set_account_action action, uint64_t max_payment_centimes,
					      uint64_t max_daily_centimes, struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_recover_account(struct manne *m, const struct manne_key *const *board,
						  size_t board_count, const uint8_t old_account[MANNE_PUBLICKEYBYTES],
						  const struct manne_key *new_account,
						  struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_fund_reserve(struct manne *m, const struct manne_key *const *board, size_t board_count,
					       uint64_t amount_centimes, const char *bank_reference,
					       struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_release_reserve(struct manne *m, const struct manne_key *const *board,
						  size_t board_count, uint64_t amount_centimes,
						  enum manne_release_reason reason, const char *bank_reference,
						  struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_issue(struct manne *m, const struct manne_key *const *board, size_t board_count,
					const uint8_t account[MANNE_PUBLICKEYBYTES], uint64_t amount_centimes,
					enum manne_issue_reason reason, const char *programme, const char *reference,
					struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_reverse_issue(struct manne *m, const struct manne_key *const *board,
						size_t board_count, const uint8_t issue_txid[MANNE_TXIDBYTES],
						uint64_t amount_centimes, const char *reason,
						struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_retire_dormant(struct manne *m, const struct manne_key *const *board,
						 size_t board_count, const uint8_t account[MANNE_PUBLICKEYBYTES],
						 const char *reason, struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_settle_redemption(struct manne *m, const struct manne_key *const *board,
						    size_t board_count, const uint8_t redeem_txid[MANNE_TXIDBYTES],
						    enum manne_settle_outcome outcome, const char *bank_reference,
						    struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_set_ledger(struct manne *m, const struct manne_key *const *board, size_t board_count,
					     uint32_t fee_bp, struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
/* `board` holds M keys of the current board and every key the new board adds. */
MANNE_API enum manne_status manne_set_board(struct manne *m, const struct manne_key *const *board, size_t board_count,
					    const uint8_t *const *new_keys, size_t new_key_count, uint32_t threshold,
					    struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_set_checkpoint_key(struct manne *m, const struct manne_key *const *board,
						     size_t board_count, const struct manne_key *new_key,
						     struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_void(struct manne *m, const struct manne_key *const *board, size_t board_count,
				       const uint8_t txid[MANNE_TXIDBYTES],
				       struct manne_receipt *receipt_out) MANNE_MUST_CHECK;

/* ---- Board acts gathered one signature at a time ---------------------------
 * prepare: manne_body_build() makes the body bytes (valid for valid_ms, with a
 * fresh nonce); sign: each board member reads manne_body_describe() and adds
 * manne_body_sign(); submit: manne_submit_signed() packs the body and the
 * signatures and submits them. */

struct manne_signature {
	uint8_t public_key[MANNE_PUBLICKEYBYTES];
	uint8_t signature[64];
};

/* On MANNE_OK *body_out is malloc'd: free it with manne_free(). For an
 * account transaction `signer` names the account and sequence its next
 * sequence number; for a board act both are ignored (pass NULL, 0). */
MANNE_API enum manne_status manne_body_build(const char *origin, const uint8_t genesis_id[MANNE_TXIDBYTES],
					     const struct manne_tx *tx, const uint8_t *signer, uint64_t sequence,
					     uint64_t valid_ms, uint64_t now_ms, uint8_t **body_out, size_t *body_len)
	MANNE_MUST_CHECK;
/* Writes every field of a body in words, one "name: value" line each, into
 * out (NUL-terminated). Refuses (MANNE_ERR_MALFORMED) a body that does not
 * re-encode to exactly its bytes, so that nothing signed can hide from the
 * description. Also gives the txid if txid_out is not NULL. */
MANNE_API enum manne_status manne_body_describe(const uint8_t *body, size_t body_len, char *out, size_t out_size,
						uint8_t txid_out[MANNE_TXIDBYTES]) MANNE_MUST_CHECK;
/* The body's last-valid time (UTC ms). A signer refuses a body that has
 * expired or that is valid more than MANNE_BOARD_TX_VALID_MS_MAX ahead: the
 * ledger refuses it now (EXPIRED), and it would stay a signed instrument for
 * longer than any prepared act should. */
MANNE_API enum manne_status manne_body_last_valid(const uint8_t *body, size_t body_len, uint64_t *last_valid_ms)
	MANNE_MUST_CHECK;
/* The redeem a settle_redemption body settles (MANNE_ERR_ARGUMENT for
 * another kind), so that whoever signs it can read the partner and the euros
 * to wire from the ledger (manne_tx_get) before signing. */
MANNE_API enum manne_status manne_body_redeem_txid(const uint8_t *body, size_t body_len,
						   uint8_t redeem_txid[MANNE_TXIDBYTES]) MANNE_MUST_CHECK;
/* Signs a body: "MANNE-TX-V1" || 0x00 || body. */
MANNE_API enum manne_status manne_body_sign(const uint8_t *body, size_t body_len, const struct manne_key *key,
					    struct manne_signature *out) MANNE_MUST_CHECK;
/* 0 when sig is a valid signature of body. */
MANNE_API int manne_body_verify(const uint8_t *body, size_t body_len, const struct manne_signature *sig)
	MANNE_MUST_CHECK;
/* Submits body and signatures (with retry) and fills receipt_out (may be NULL). */
MANNE_API enum manne_status manne_submit_signed(struct manne *m, const uint8_t *body, size_t body_len,
						const struct manne_signature *signatures, size_t signature_count,
						struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API void manne_free(void *p);

/* ---- Cards (SPEC §10, docs/cards.md) ------------------------------------
 * A card holds a member's key sealed under the PIN and a secret the ledger
 * releases only for the right PIN, to a till authenticated as an active
 * shop, producer or counter. The till opens the key, signs one payment,
 * and wipes it: libmanne keeps it in memory for that long and never writes
 * it anywhere. */

struct manne_card {
	uint8_t account[MANNE_PUBLICKEYBYTES];  /* the card-held member's account */
	uint32_t argon2_passes;                 /* the Argon2id limits the card names */
	uint64_t argon2_memory_kib;
	char text[MANNE_CARD_TEXT_BYTES + 1];   /* the card, as printed */
};

/* Parses a card as printed or scanned (spaces and line ends around it are
 * ignored): MANNE_ERR_CARD_FORMAT (not a card: a character outside the QR
 * alphanumeric set, truncated, damaged), MANNE_ERR_CARD_VERSION (a card of a
 * later version) or MANNE_ERR_CARD_LIMITS (asks for more than 10 Argon2id
 * passes or 256 MiB, so that a forged card cannot stall a till). */
MANNE_API enum manne_status manne_card_parse(const char *text, size_t len, struct manne_card *out) MANNE_MUST_CHECK;

/* Opens a card with its PIN over a handle authenticated as the till (the
 * shop, producer or counter to be paid): the member's key into key_out
 * (wipe it with manne_key_wipe as soon as it has signed). The ledger counts
 * wrong PINs: MANNE_ERR_WRONG_PIN with *tries_left (may be NULL) the tries
 * before the card locks, then MANNE_ERR_CARD_LOCKED until the board unlocks
 * it; MANNE_ERR_TOO_MANY_TRIES when tries come too fast (wait a second);
 * MANNE_ERR_NOT_ACTIVE for a frozen or closed card; MANNE_ERR_NOT_FOUND when
 * the ledger has no card for the account; MANNE_ERR_CARD_OPEN when the
 * secret does not open this card (a card since replaced); MANNE_ERR_PIN_FORMAT
 * for a PIN that is not 4 to 6 digits (nothing is sent). */
MANNE_API enum manne_status manne_card_unlock(struct manne *m, const struct manne_card *card, const char *pin,
					      struct manne_key *key_out, uint32_t *tries_left) MANNE_MUST_CHECK;

/* The till's whole step: opens the card, signs the payment (to payee; at an
 * association counter, payee is the association and counter the counter's
 * own key, else NULL), wipes the key, submits. The handle must be
 * authenticated as the payee, or as the counter. Errors as manne_card_unlock
 * and manne_pay. */
MANNE_API enum manne_status manne_card_pay(struct manne *m, const struct manne_card *card, const char *pin,
					   const uint8_t payee[MANNE_PUBLICKEYBYTES], const uint8_t *counter,
					   uint64_t amount_centimes, const char *memo, const char *payee_reference,
					   uint32_t *tries_left, struct manne_receipt *receipt_out) MANNE_MUST_CHECK;

/* The board's side. The ledger's card key (what PIN checks are sealed to),
 * as it publishes it in its status. */
MANNE_API enum manne_status manne_card_ledger_key(struct manne *m, uint8_t out[32]) MANNE_MUST_CHECK;
/* Seals member's key into a new card under pin (4 to 6 digits, not one digit
 * repeated nor a run such as 1234: MANNE_ERR_PIN_FORMAT) for the ledger's
 * card key, with a fresh salt and card secret; passes and memory_kib are the
 * Argon2id limits (0, 0: 2 passes, 64 MiB; memory a power of two from 8 KiB
 * to 256 MiB). pin_check is what the board registers (manne_card_register). */
MANNE_API enum manne_status manne_card_seal(const struct manne_key *member, const char *pin,
					    const uint8_t ledger_card_key[32], uint32_t passes, uint64_t memory_kib,
					    struct manne_card *card_out,
					    uint8_t pin_check[MANNE_CARD_PIN_CHECK_BYTES]) MANNE_MUST_CHECK;
/* Board acts (set_card): register a sealed card for a card-held member (its
 * previous card stops opening; wrong tries start again from 0), or unlock a
 * card that wrong PINs locked. */
MANNE_API enum manne_status manne_card_register(struct manne *m, const struct manne_key *const *board,
						size_t board_count, const uint8_t account[MANNE_PUBLICKEYBYTES],
						const uint8_t pin_check[MANNE_CARD_PIN_CHECK_BYTES],
						struct manne_receipt *receipt_out) MANNE_MUST_CHECK;
MANNE_API enum manne_status manne_card_unlock_board(struct manne *m, const struct manne_key *const *board,
						    size_t board_count, const uint8_t account[MANNE_PUBLICKEYBYTES],
						    struct manne_receipt *receipt_out) MANNE_MUST_CHECK;

/* ---- Payment requests (SPEC §11) --------------------------------------
 * What a checkout page shows as a QR code for a member's own wallet:
 * manne:<payee hex>?amount=<centimes>&reference=<order>&origin=<ledger>
 * [&counter=<hex>], values percent-encoded. A wallet pays it with
 * manne_submit_tx (kind pay, payee, amount, reference, counter) after
 * checking that origin is the ledger it speaks to. */
#define MANNE_REQUEST_URI_BYTES 640U
struct manne_payment_request {
	uint8_t payee[MANNE_PUBLICKEYBYTES];
	uint64_t amount;                                   /* centimes */
	char reference[MANNE_PAYEE_REFERENCE_BYTES_MAX + 1];
	char origin[MANNE_ORIGIN_BYTES_MAX + 1];
	bool has_counter;                                  /* taken at an association counter */
	uint8_t counter[MANNE_PUBLICKEYBYTES];
};
/* MANNE_ERR_ARGUMENT for anything but a well-formed request: another scheme,
 * an unknown or repeated parameter, a value out of the ledger's bounds. */
MANNE_API enum manne_status manne_request_parse(const char *uri, struct manne_payment_request *out) MANNE_MUST_CHECK;
/* Writes the URI (size at least MANNE_REQUEST_URI_BYTES). */
MANNE_API enum manne_status manne_request_format(const struct manne_payment_request *r, char *out, size_t size)
	MANNE_MUST_CHECK;

/* ---- Reads ---------------------------------------------------------------- */

struct manne_account {
	uint8_t account[MANNE_PUBLICKEYBYTES];
	enum manne_role role;
	int state;                      /* 1 active, 2 frozen, 3 closed */
	uint64_t balance;               /* centimes */
	uint64_t max_payment, max_daily;/* 0 = no limit */
	uint64_t remaining_today;       /* what may still be paid in this ledger day */
	uint64_t next_sequence;
	uint64_t pending_redemptions;
	bool card_held;
	bool has_successor;
	uint8_t successor[MANNE_PUBLICKEYBYTES];
	uint64_t history_end;           /* the latest leaf of its history plus one (0: none); the balance is after it */
};

/* One transaction as this connection may see it (SPEC §6 redaction). */
struct manne_entry {
	uint8_t txid[MANNE_TXIDBYTES];
	uint64_t leaf_index;
	uint64_t time_ms;
	char kind[MANNE_KIND_BYTES_MAX + 1];
	uint64_t amount;
	bool has_counterparty, has_signer, has_counter;
	uint8_t counterparty[MANNE_PUBLICKEYBYTES];
	uint8_t signer[MANNE_PUBLICKEYBYTES];
	uint8_t counter[MANNE_PUBLICKEYBYTES];  /* a payment taken at an association counter */
	char memo[MANNE_MEMO_BYTES_MAX + 1];
	char payee_reference[MANNE_PAYEE_REFERENCE_BYTES_MAX + 1];
	int issue_reason;               /* board and auditors only; 0 otherwise */
	char programme[MANNE_TEXT_BYTES_MAX + 1];
	char reference[MANNE_TEXT_BYTES_MAX + 1];  /* an issue's (board and auditors), a settlement's bank reference */
	/* Reconversions: the euros to wire are amount - fee, the fee fixed when
	 * the redeem was applied. A settlement carries the redeem's amount and
	 * partner (as counterparty). */
	uint64_t fee;                   /* redeem, settle_redemption */
	bool has_redeem_txid;           /* settle_redemption */
	uint8_t redeem_txid[MANNE_TXIDBYTES];
	int outcome;                    /* settle_redemption: 1 paid, 2 rejected */
	int redemption_state;           /* redeem: MANNE_REDEMPTION_PENDING, _PAID or _REJECTED */
	bool has_leaf_hash;
	uint8_t leaf_hash[32];          /* RFC 6962 leaf hash: what manne_prove_inclusion proves at leaf_index */
};

/* An account's balance, state, limits and next sequence. The connection must
 * be authenticated as that account, the board or an auditor; a connection
 * authenticated as an active shop or producer may read a card-held account's
 * next_sequence (and card_held), everything else zero. Card-held keys never
 * authenticate (MANNE_ERR_NOT_PERMITTED); a frozen, closed or recovered
 * account's key is refused (MANNE_ERR_NOT_ACTIVE), and a connection loses its
 * rights at its next request once its account is no longer active or its key
 * no longer on the board. */
MANNE_API enum manne_status manne_account(struct manne *m, const uint8_t account[MANNE_PUBLICKEYBYTES],
					  struct manne_account *out) MANNE_MUST_CHECK;
/* A page of an account's history, newest first: at most entries_max (and the
 * ledger's page maximum) into entries, their number in *count. before_index
 * is 0 for the latest page, then the *next_index of the page before, which is
 * 0 once the account's first transaction is reached. A before_index that is
 * neither is refused with MANNE_ERR_NOT_FOUND. */
MANNE_API enum manne_status manne_history(struct manne *m, const uint8_t account[MANNE_PUBLICKEYBYTES],
					  uint64_t before_index, struct manne_entry *entries, size_t entries_max,
					  size_t *count, uint64_t *next_index) MANNE_MUST_CHECK;
/* A transaction by txid (its signer, the accounts it names, the board, auditors). */
MANNE_API enum manne_status manne_tx_get(struct manne *m, const uint8_t txid[MANNE_TXIDBYTES], struct manne_entry *out)
	MANNE_MUST_CHECK;
/* The payment to `payee` with the till's order number; waits up to wait_ms
 * (at most 120 s) for it to land. MANNE_ERR_NOT_FOUND when it did not. The
 * ledger keeps the first payment with a reference and refuses any later one
 * (MANNE_ERR_REFERENCE_USED), so the answer is never a substitute; but anyone
 * may pay first with an order number they guessed. So a till passes the
 * amount it charged (and the payer's key when it knows it): a payment of
 * another amount, or from another payer, is MANNE_ERR_PAYMENT_MISMATCH, with
 * *out filled so the cashier can see it, and must not be taken as this
 * order's. expected_amount 0 and expected_payer NULL check nothing (a read
 * for the books). Use order numbers that cannot be guessed. */
MANNE_API enum manne_status manne_payment_by_reference(struct manne *m, const uint8_t payee[MANNE_PUBLICKEYBYTES],
						       const char *payee_reference, uint32_t wait_ms,
						       uint64_t expected_amount, const uint8_t *expected_payer,
						       struct manne_entry *out) MANNE_MUST_CHECK;

/* The raw log (board and auditors): calls fn for each leaf from from_index
 * up to (not including) to_index, in order; stops early if fn returns
 * non-zero (MANNE_ERR_ARGUMENT is then returned). Leaf bytes are valid
 * during the call only. */
typedef int (*manne_leaf_fn)(void *ctx, uint64_t index, const uint8_t *leaf, size_t leaf_len);
MANNE_API enum manne_status manne_log_read(struct manne *m, uint64_t from_index, uint64_t to_index, manne_leaf_fn fn,
					   void *ctx) MANNE_MUST_CHECK;

/* A reconversion (board and auditors): what the treasurer wires. */
enum manne_redemption_state {
	MANNE_REDEMPTION_PENDING = 1,
	MANNE_REDEMPTION_PAID = 2,
	MANNE_REDEMPTION_REJECTED = 3,
};
struct manne_redemption {
	uint8_t txid[MANNE_TXIDBYTES];  /* the redeem's */
	uint64_t leaf_index, time_ms;
	uint8_t partner[MANNE_PUBLICKEYBYTES];
	uint64_t amount, fee;           /* centimes; the euros to wire are amount - fee */
	uint8_t partner_reference[MANNE_ACCOUNT_REFERENCE_BYTES_MAX];
	size_t partner_reference_len;   /* the partner's open_account reference (0: none) */
	enum manne_redemption_state state;
};
/* Calls fn for each redemption (only pending ones unless include_settled),
 * page by page in txid order (sort them yourself); stops early if fn returns
 * non-zero (MANNE_ERR_ARGUMENT is then returned). Board and auditors only. */
typedef int (*manne_redemption_fn)(void *ctx, const struct manne_redemption *r);
MANNE_API enum manne_status manne_redemptions(struct manne *m, bool include_settled, manne_redemption_fn fn, void *ctx)
	MANNE_MUST_CHECK;

struct manne_ledger_status {
	char version[32];
	uint64_t tree_size, connections, applied, refused, batches;
	int32_t utc_offset_minutes;  /* the ledger day's rules (SPEC §5): its standard offset from UTC, */
	bool eu_summer_time;         /* and whether EU summer time adds an hour */
};
MANNE_API enum manne_status manne_status_get(struct manne *m, struct manne_ledger_status *out) MANNE_MUST_CHECK;

/* ---- Verification (audit without trust, SPEC §7) ---------------------- */

struct manne_totals {
	uint64_t issued, retired, reconverted, fees, pending;
	uint64_t funded, paid_out, released, outstanding, reserve;
};

/* A checkpoint whose signature was verified. */
struct manne_checkpoint {
	char origin[MANNE_ORIGIN_BYTES_MAX + 1];
	uint64_t tree_size;
	uint8_t root[MANNE_HASHBYTES];
	struct manne_totals totals;
	char note[MANNE_NOTE_BYTES_MAX + 1];  /* the whole signed note */
};

/* Verifies a signed checkpoint note (C2SP signed-note, Ed25519, key name =
 * origin) under the ledger's checkpoint public key and parses it strictly.
 * origin may be NULL: then the note's own first line is taken as the name.
 * MANNE_ERR_VERIFY if it does not verify or is not a checkpoint of origin. */
MANNE_API enum manne_status manne_checkpoint_verify(const char *note, size_t note_len, const char *origin,
						    const uint8_t checkpoint_key[MANNE_PUBLICKEYBYTES],
						    struct manne_checkpoint *out) MANNE_MUST_CHECK;
/* An inclusion proof in the open (RFC 9162): what a verifier that is not
 * this library needs to check that leaf `index` is in the tree of a signed
 * checkpoint. */
struct manne_inclusion_proof {
	uint64_t index;
	uint64_t tree_size;
	uint8_t root[MANNE_HASHBYTES];
	uint8_t leaf_hash[MANNE_HASHBYTES];
	size_t count;
	uint8_t hashes[MANNE_PROOF_HASHES_MAX][MANNE_HASHBYTES];
};
/* Fetches the proof of leaf `index` in the tree of `checkpoint` (verified
 * by the caller) with the leaf's hash, and verifies it: MANNE_ERR_VERIFY if
 * the proof does not give the checkpoint's root. */
MANNE_API enum manne_status manne_inclusion_proof(struct manne *m, const struct manne_checkpoint *checkpoint,
						  uint64_t index, struct manne_inclusion_proof *out) MANNE_MUST_CHECK;
/* A consistency proof in the open (RFC 9162) between any two sizes, with the
 * roots the server gives for them: the proof is verified to connect the two
 * roots, but a root is worth only what a signed checkpoint of that size
 * says (compare). */
struct manne_consistency_proof {
	uint64_t old_size, new_size;
	uint8_t old_root[MANNE_HASHBYTES], new_root[MANNE_HASHBYTES];
	size_t count;
	uint8_t hashes[MANNE_PROOF_HASHES_MAX][MANNE_HASHBYTES];
};
/* 0 < old_size <= new_size <= the tree size. MANNE_ERR_VERIFY if the proof
 * does not connect the roots. */
MANNE_API enum manne_status manne_consistency_proof(struct manne *m, uint64_t old_size, uint64_t new_size,
						    struct manne_consistency_proof *out) MANNE_MUST_CHECK;
/* Fetches the latest checkpoint and verifies it under checkpoint_key. With
 * checkpoint_key NULL the key the ledger publishes is used: that proves
 * nothing about the ledger, only pin a key you got by other means. The
 * published C2SP verifier key goes to verifier_key_out if not NULL
 * (MANNE_VERIFIER_KEY_BYTES_MAX + 1 bytes). */
MANNE_API enum manne_status manne_checkpoint_fetch(struct manne *m, const uint8_t checkpoint_key[MANNE_PUBLICKEYBYTES],
						   struct manne_checkpoint *out, char *verifier_key_out)
	MANNE_MUST_CHECK;
/* Parses a C2SP verifier key string ("name+id+base64") into its name and key. */
MANNE_API enum manne_status manne_verifier_key_parse(const char *vkey, char origin_out[MANNE_ORIGIN_BYTES_MAX + 1],
						     uint8_t key_out[MANNE_PUBLICKEYBYTES]) MANNE_MUST_CHECK;

/* Pure: the receipt's checkpoint verifies under checkpoint_key for origin,
 * and its inclusion proof puts the receipt's leaf hash at its index in that
 * checkpoint's tree. The verified checkpoint goes to checkpoint_out if not NULL. */
MANNE_API enum manne_status manne_receipt_verify(const struct manne_receipt *receipt, const char *origin,
						 const uint8_t checkpoint_key[MANNE_PUBLICKEYBYTES],
						 struct manne_checkpoint *checkpoint_out) MANNE_MUST_CHECK;
/* Pure: an RFC 9162 inclusion proof of leaf_hash at index in checkpoint's tree. */
MANNE_API enum manne_status manne_inclusion_verify(const struct manne_checkpoint *checkpoint, uint64_t index,
						   const uint8_t leaf_hash[MANNE_HASHBYTES],
						   const uint8_t (*proof)[MANNE_HASHBYTES], size_t proof_count)
	MANNE_MUST_CHECK;
/* Fetches the inclusion proof of leaf `index` in checkpoint's tree and verifies it. */
MANNE_API enum manne_status manne_inclusion_check(struct manne *m, const struct manne_checkpoint *checkpoint,
						  uint64_t index, const uint8_t leaf_hash[MANNE_HASHBYTES])
	MANNE_MUST_CHECK;
/* Pure: an RFC 9162 consistency proof that older's tree is a prefix of newer's. */
MANNE_API enum manne_status manne_consistency_verify(const struct manne_checkpoint *older,
						     const struct manne_checkpoint *newer,
						     const uint8_t (*proof)[MANNE_HASHBYTES], size_t proof_count)
	MANNE_MUST_CHECK;
/* Fetches the consistency proof between two verified checkpoints and verifies it. */
MANNE_API enum manne_status manne_consistency_check(struct manne *m, const struct manne_checkpoint *older,
						    const struct manne_checkpoint *newer) MANNE_MUST_CHECK;
/* RFC 6962 hash of a leaf's bytes (0x00 || leaf). */
MANNE_API void manne_leaf_hash(const uint8_t *leaf, size_t leaf_len, uint8_t out[MANNE_HASHBYTES]);

/* Writes the log up to a verified checkpoint to `path` (which must not
 * exist; created with mode 0600, since the raw log is the board's and
 * auditors'), in the export format of docs/export.md: the board or an
 * auditor only. The leaves' Merkle root is checked against the checkpoint's before
 * the file is finished. checkpoint_key as in manne_checkpoint_fetch. */
MANNE_API enum manne_status manne_export(struct manne *m, const uint8_t checkpoint_key[MANNE_PUBLICKEYBYTES],
					 const char *path, struct manne_checkpoint *checkpoint_out) MANNE_MUST_CHECK;

/* ---- Export files (docs/export.md) ---------------------------------------
 * What manne_export() writes, for tools that write or read the format
 * themselves (manne-audit reads it; a backup tool may write one). */

struct manne_export_writer;

/* Creates `path` (which must not exist) with mode 0600 and writes the magic.
 * On MANNE_OK *out is a writer: finish it or abort it. MANNE_ERR_IO if the
 * file cannot be created. */
MANNE_API enum manne_status manne_export_create(const char *path, struct manne_export_writer **out)
	MANNE_MUST_CHECK;
/* Appends the next leaf: 16..65,535 bytes starting with its own index (the
 * leaves come from 0, in order): MANNE_ERR_MALFORMED otherwise, MANNE_ERR_IO
 * if it cannot be written. The writer stays usable after MANNE_ERR_MALFORMED. */
MANNE_API enum manne_status manne_export_add(struct manne_export_writer *w, const uint8_t *leaf, size_t len)
	MANNE_MUST_CHECK;
/* Checks that the leaves' RFC 6962 root is `root` (the verified
 * checkpoint's: MANNE_ERR_VERIFY otherwise), writes the end of the leaves and
 * the signed note, and syncs. Frees w in every case; on any failure the file
 * is removed, so that nothing is left that looks like an export but is not. */
MANNE_API enum manne_status manne_export_finish(struct manne_export_writer *w, const char *note, size_t note_len,
						const uint8_t root[MANNE_HASHBYTES]) MANNE_MUST_CHECK;
/* Removes the file and frees w. Accepts NULL. */
MANNE_API void manne_export_abort(struct manne_export_writer *w);

struct manne_export_reader;

/* Opens an export and checks its magic. *out is set whenever memory allows,
 * even on failure, so that manne_export_message() can say why: close it in
 * every case. The file is untrusted: the reader bounds every length and
 * holds one leaf at a time, whatever the file's size. */
MANNE_API enum manne_status manne_export_open(const char *path, struct manne_export_reader **out) MANNE_MUST_CHECK;
/* The next leaf: MANNE_OK with *leaf and *len (valid until the next call on
 * r), or MANNE_OK with *leaf NULL once the leaves end and the checkpoint
 * after them has been read. MANNE_ERR_MALFORMED when the file breaks the
 * format (a length over 65,535, a file that ends early, bytes after the
 * checkpoint), MANNE_ERR_IO when it cannot be read; nothing more is read
 * after an error. The leaves' contents are not checked: that is the reader's
 * job (manne-audit replays them). */
MANNE_API enum manne_status manne_export_next(struct manne_export_reader *r, const uint8_t **leaf, size_t *len)
	MANNE_MUST_CHECK;
/* After the last leaf: the checkpoint's signed note as the file holds it,
 * NUL-terminated, NOT verified (verify it with manne_checkpoint_verify under
 * a key known by other means); NULL before the end. Valid until close. */
MANNE_API const char *manne_export_note(const struct manne_export_reader *r, size_t *len);
/* The leaves read so far, and their RFC 6962 root. */
MANNE_API uint64_t manne_export_leaf_count(const struct manne_export_reader *r);
MANNE_API enum manne_status manne_export_root(const struct manne_export_reader *r, uint8_t root[MANNE_HASHBYTES])
	MANNE_MUST_CHECK;
/* Why the last call failed (empty if none). Never NULL. */
MANNE_API const char *manne_export_message(const struct manne_export_reader *r);
/* Closes the file and frees r. Accepts NULL. */
MANNE_API void manne_export_close(struct manne_export_reader *r);

#ifdef __cplusplus
}
#endif

#endif
