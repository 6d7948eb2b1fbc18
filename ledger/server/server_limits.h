/*
 * server_limits.h: the daemon's bounds, each with its reason: what one client
 * can make it hold, how long it waits, how much it batches. Most are defaults
 * that a flag or the config file can change (docs/daemon.md). The bounds of
 * the ledger's data are in log/ledger_limits.h.
 */
#ifndef MANNE_SERVER_LIMITS_H
#define MANNE_SERVER_LIMITS_H

/* SPEC §6: a frame is a 4-byte big-endian length and that many bytes; 64 KiB
 * holds the largest transaction (65,535-byte leaf) with its request envelope. */
#define FRAME_BYTES_MAX_DEFAULT (64U * 1024U + 64U)
#define FRAME_BYTES_MAX_CEILING (1U << 20)

/* Connections at once: each costs two small buffers and a slot table. */
#define CONNECTIONS_MAX_DEFAULT 1024U

/* Of those, kept for clients that authenticate (SPEC §13): unauthenticated
 * connections may fill the rest, and a connection that arrives when they
 * have takes a kept slot only on probation, closed unless it authenticates
 * within RESERVED_AUTH_MS. So a host that opens connections and says nothing
 * cannot lock the tills out. */
#define CONNECTIONS_RESERVED_SHARE 16U  /* by default a sixteenth: 64 of 1024 */
#define RESERVED_AUTH_MS 2000U

/* Connections from one IPv4 address: a shop's tills behind one router stay
 * well under it; one host cannot take every slot. */
#define CONNECTIONS_PER_ADDRESS_DEFAULT 64U
/* An IPv6 /48 may hold this many times the per-address cap (its /64s). */
#define ADDRESS_WIDE_SHARE 8U

/* A connection that has not authenticated this long after accept is closed:
 * anonymous clients (public reads, a member's app submitting) reconnect at
 * will; a silent one does not hold a slot. */
#define AUTH_TIMEOUT_MS_DEFAULT 30000U

/* Once the first byte of a frame has arrived, the whole frame must arrive
 * within this: a client that sends one byte a second (which keeps resetting
 * the idle timeout) is closed. */
#define FRAME_TIMEOUT_MS_DEFAULT 10000U

/* Replies owed to a client that does not read them: after this long without
 * progress in writing, the connection is closed. */
#define WRITE_TIMEOUT_MS_DEFAULT 20000U

/* Requests in flight per connection. Before authentication the bound is
 * tight: an anonymous peer can only read public data or submit. Past it the
 * connection is no longer read (backpressure) until replies go out. */
#define IN_FLIGHT_MAX_DEFAULT 256U
#define IN_FLIGHT_MAX_ANONYMOUS 32U

/* Request bytes in flight per connection: with the count above, what one
 * client can make the daemon hold (a full slot table of 64 KiB frames would
 * be 16 MiB). */
#define IN_FLIGHT_BYTES_MAX (1U << 20)

/* Transactions refused as BAD_SIGNATURE on one connection before it
 * authenticates: past this the connection is closed. An honest client signs
 * what it sends; one that sends junk signatures keeps the verifier threads
 * from honest payments, and costs a new connection (with its own bounds) per
 * this many verifications. */
#define BAD_SIGNATURES_ANONYMOUS_MAX 16U

/* Submissions waiting for verification or the writer, all connections
 * together, by count and by bytes; past either a submission is answered
 * OVERLOADED at once. Bounds the daemon's memory whatever the clients do. */
#define SUBMISSIONS_QUEUED_MAX 65536U
#define SUBMISSIONS_QUEUED_BYTES_MAX (64U << 20)

/* Transactions in one store write transaction (one fsync). */
#define BATCH_TRANSACTIONS_MAX 8192U

/* Replies a client has not read yet; past this the connection is not read.
 * Tighter before authentication: an anonymous client that pipelines reads
 * and never reads the replies holds 64 KiB, not 4 MiB. */
#define OUTPUT_BYTES_MAX (4U << 20)
#define OUTPUT_BYTES_MAX_ANONYMOUS (64U << 10)

/* Replies not yet read, all connections together: past it, a connection
 * that still has replies to send is not read (those with none go on), so
 * many clients that never read cannot make the daemon balloon. */
#define REPLY_BYTES_TOTAL_MAX_DEFAULT (64U << 20)

/* A connection with nothing to say for this long is closed. */
#define IDLE_TIMEOUT_MS_DEFAULT 60000U

/* Pages of history and log entries. */
#define PAGE_ENTRIES_MAX 256U

/* A till may wait this long for a payment by payee reference. */
#define PAYMENT_WAIT_MS_MAX 120000U

/* LMDB map: the most the store can grow to before STORAGE_FULL. */
#define MAP_BYTES_DEFAULT (8ULL << 30)

/* Storage (SPEC §8): the last part of the map is kept for board acts, so
 * that the board can always act (freeze a lost card, release euros, open
 * the way to a larger map) once payments fill the store: past map - reserve,
 * transactions signed by an account are refused STORAGE_FULL (and stay
 * refused until the map grows); board acts go on until the map itself is
 * full. A thirty-second of the map, at least 64 KiB, at most 64 MiB. */
#define STORAGE_BOARD_RESERVE_MIN (64ULL << 10)
#define STORAGE_BOARD_RESERVE_MAX (64ULL << 20)
#define STORAGE_BOARD_RESERVE_SHARE 32U

/* Card unlocks (SPEC §10): after a wrong PIN the card takes no other try for
 * CARD_TRY_INTERVAL_MS (a person retyping is slower); one till (by its key,
 * whatever its connections) makes at most CARD_TRIES_PER_MINUTE unlock
 * requests a minute, so that a rogue till cannot cycle through stolen cards
 * (each locks after CARD_WRONG_PINS_MAX). */
#define CARD_TRY_INTERVAL_MS 1000U
#define CARD_TRIES_PER_MINUTE 30U

#endif
