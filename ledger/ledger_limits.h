/*
 * ledger_limits.h: every bound of the ledger in one place, each with its reason.
 * (Not named limits.h: that would shadow <limits.h> for every file built with -Iledger.)
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

/* SPEC §4: retire_dormant needs 12 ledger-calendar months of freezing. */
#define DORMANT_MONTHS 12U

/* Merkle proofs: a tree of at most 2^63 leaves has at most 63 hashes per proof. */
#define MERKLE_PROOF_HASHES_MAX 64U

/* ---- The daemon (defaults; most can be set by flag or config file). ---- */

/* SPEC §6: a frame is a 4-byte big-endian length and that many bytes; 64 KiB
 * holds the largest transaction (65,535-byte leaf) with its request envelope. */
#define FRAME_BYTES_MAX_DEFAULT (64U * 1024U + 64U)
#define FRAME_BYTES_MAX_CEILING (1U << 20)

/* Connections at once: each costs two small buffers and a slot table. */
#define CONNECTIONS_MAX_DEFAULT 1024U

/* Requests in flight per connection. Before authentication the bound is
 * tight: an anonymous peer can only read public data or submit. Past it the
 * connection is no longer read (backpressure) until replies go out. */
#define IN_FLIGHT_MAX_DEFAULT 256U
#define IN_FLIGHT_MAX_ANONYMOUS 32U

/* Request bytes in flight per connection: with the count above, what one
 * client can make the daemon hold (a full slot table of 64 KiB frames would
 * be 16 MiB). */
#define IN_FLIGHT_BYTES_MAX (1U << 20)

/* Submissions waiting for verification or the writer, all connections
 * together, by count and by bytes; past either a submission is answered
 * OVERLOADED at once. Bounds the daemon's memory whatever the clients do. */
#define SUBMISSIONS_QUEUED_MAX 65536U
#define SUBMISSIONS_QUEUED_BYTES_MAX (64U << 20)

/* Transactions in one store write transaction (one fsync). */
#define BATCH_TRANSACTIONS_MAX 8192U

/* Replies a client has not read yet; past this the connection is not read. */
#define OUTPUT_BYTES_MAX (4U << 20)

/* A connection with nothing to say for this long is closed. */
#define IDLE_TIMEOUT_MS_DEFAULT 60000U

/* Pages of history and log entries. */
#define PAGE_ENTRIES_MAX 256U

/* A till may wait this long for a payment by payee reference. */
#define PAYMENT_WAIT_MS_MAX 120000U

/* LMDB map: the most the store can grow to before STORAGE_FULL. */
#define MAP_BYTES_DEFAULT (8ULL << 30)

/* Verifier threads: one per core by default, at most this many. */
#define VERIFIER_THREADS_MAX 64U

#endif
