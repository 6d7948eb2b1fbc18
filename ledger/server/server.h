/*
 * server.h: manne-ledger, the daemon (SPEC §6-§8). One event-loop thread
 * owns the connections and serves reads; verifier threads decode and check
 * signatures; one writer thread applies transactions in arrival order, many
 * per LMDB write transaction, commits durably, signs a checkpoint, and hands
 * the receipts back to the loop. No receipt leaves before its commit.
 *
 *   main.c      start-up checks, the loop, shutdown
 *   conn.c      connections: frames in, replies out in request order
 *   frame.c     the 4-byte length prefix
 *   dispatch.c  a request's descriptor, permission check and handler
 *   request_decode.c  a frame's bytes to a Request, strictly (fuzzed alone)
 *   req_*.c     one file per request; reads.c what the reads share
 *   auth.c      the challenge and the proof of a key
 *   pipeline.c  verifier threads and the writer (group commit)
 *   checkpoint_file.c  the last signed checkpoint, kept outside the store
 *   config.c    flags and the config file;  log_line.c  stderr lines
 *   demo.c      the demo ledger of --demo
 *   tls.c       TLS 1.3: the context, certificates, the session binding
 *   metrics.c   the Prometheus text on metrics-listen
 *   backup.c    manne-ledger backup and restore
 *   card_unlock.c  the writer's PIN check of a card unlock (req_card_unlock.c, the request)
 *
 * Calls run one way: main -> dispatch -> req_* -> reads, pipeline -> conn.
 * conn.c reaches the requests only through the handler main.c gives it.
 *
 * May include: core/, store/, log/, keys/ (docs/architecture.md).
 */
#ifndef MANNE_SERVER_H
#define MANNE_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "i18n/i18n.h"
#include "ledger/core/ledger.h"
#include "ledger/log/ledger_limits.h"
#include "ledger/log/note.h"
#include "server_limits.h"

#define DATA_DIR_BYTES 256U
#define CHECKPOINT_NOTE_BYTES NOTE_BYTES_MAX
/* The checkpoint file is written at most this often while busy (pipeline.c). */
#define CHECKPOINT_FILE_INTERVAL_MS 250U

struct server_config {
	char data_dir[DATA_DIR_BYTES];
	char listen_host[64];
	uint16_t listen_port;          /* 0: an ephemeral port, printed at start-up */
	bool insecure_plain;           /* allow plain TCP on an address that is not loopback */
	char tls_listen_host[64];      /* "" : no TLS listener */
	uint16_t tls_listen_port;
	char tls_cert[DATA_DIR_BYTES]; /* PEM certificate (chain) and its key */
	char tls_key[DATA_DIR_BYTES];
	uint32_t frame_bytes_max;
	uint32_t connections_max;
	uint32_t connections_reserved;  /* kept for clients that authenticate */
	uint32_t connections_per_address;
	uint32_t auth_timeout_ms;
	uint32_t frame_timeout_ms;
	uint32_t write_timeout_ms;
	uint64_t reply_bytes_total_max;
	char metrics_host[64];         /* "" : no metrics listener */
	uint16_t metrics_port;
	uint32_t in_flight_max;
	uint32_t idle_timeout_ms;
	uint64_t map_bytes;
	unsigned verifier_threads;     /* 0: one per core */
	bool demo;                     /* create a demo ledger in an empty data dir */
	bool accept_unsigned_store;    /* start on leaves with no checkpoint file (logged loudly) */
	/* Ledger-day rules and fee of a ledger created with --demo. */
	int32_t utc_offset_minutes;
	bool eu_summer_time;
	uint32_t fee_bp;
	char port_file[DATA_DIR_BYTES]; /* if set, the bound port is written there (tests) */
	char checkpoint_key_file[DATA_DIR_BYTES]; /* default DATA_DIR/keys/checkpoint.key */
	char card_key_file[DATA_DIR_BYTES];       /* default DATA_DIR/keys/card.key (made if missing) */
};

/* Who a connection reads as (SPEC §6). */
enum reader {
	READER_ANYONE = 0,   /* not authenticated */
	READER_ACCOUNT = 1,  /* an account's own key */
	READER_AUDITOR = 2,  /* an auditor account */
	READER_BOARD = 3,    /* a key of the board in force */
};

struct conn;
struct pipeline;

/* One request in flight on a connection, in arrival order. */
struct slot {
	struct slot *next;
	struct conn *conn;         /* NULL once the connection is gone */
	uint8_t *frame;            /* the Request bytes (owned) */
	size_t frame_len;
	uint64_t request_id;
	bool is_submit;
	bool started;              /* submitted to the pipeline, or a read parked */
	bool ready;                /* reply is set */
	uint8_t *reply;            /* length-prefixed Response (owned) */
	size_t reply_len;
	struct event *wait_timer;  /* a parked payment-by-reference read */
	uint64_t wait_deadline_ms;
};

#define BATCH_HISTOGRAM_BUCKETS 16
/* Commit latency buckets, in microseconds (the last is +Inf). */
#define COMMIT_BUCKETS 12
extern const uint64_t commit_bucket_us[COMMIT_BUCKETS - 1];
/* Request kinds and transaction kinds are field numbers under this. */
#define KIND_SLOTS 64

struct counters {
	uint64_t requests[KIND_SLOTS];                   /* by Request kind */
	uint64_t transactions[KIND_SLOTS][MANNE_STATUS_COUNT]; /* by TxBody kind and outcome (0: unknown kind) */
	uint64_t commit_buckets[COMMIT_BUCKETS];         /* commits by duration */
	uint64_t commit_us_total;
	uint64_t batch_sizes[BATCH_HISTOGRAM_BUCKETS]; /* by power of two */
	uint64_t applied;
	uint64_t refused;
	uint64_t duplicates;
	uint64_t batches;
	uint64_t connections;
	uint64_t frames_broken;
	uint64_t closed_bad_signatures; /* unauthenticated connections closed for bad signatures */
	uint64_t refused_at_accept;     /* over connections-max, the address's cap, or no slot left */
	uint64_t closed_deadline;       /* a frame or an authentication not finished in time */
};

/* What conn.c runs for each request: dispatch.c's, set by main.c, so that
 * connections (below) never call the requests (above) by name. */
struct request_handler {
	/* On arrival: the request's id, and whether it is a submission (which
	 * may run ahead of earlier unanswered requests); a malformed one is
	 * answered. */
	void (*classify)(struct slot *slot);
	/* Runs a read request now, or starts a submission, or parks a read
	 * that must wait (a payment not found yet). */
	void (*run)(struct slot *slot);
};

struct server {
	struct server_config config;
	const struct request_handler *requests;
	struct event_base *base;
	struct evconnlistener *listener;
	struct evconnlistener *tls_listener; /* NULL without tls-listen */
	struct evhttp *metrics;              /* NULL without metrics-listen */
	uint64_t checkpoint_ms;              /* when the checkpoint served was signed or loaded (wall clock) */
	void *tls_ctx;                       /* SSL_CTX of the TLS listener */
	struct event *signal_term, *signal_int;
	struct ledger *ledger;
	struct pipeline *pipeline;
	uint8_t checkpoint_secret[64];  /* the checkpoint key (seed || public key) */
	uint8_t card_public[32];        /* the card key (X25519): PIN checks are sealed to it */
	uint8_t card_secret[32];
	/* Owned by the loop thread: what readers see. */
	struct ledger_state state;      /* as of the last batch handed back */
	char checkpoint[CHECKPOINT_NOTE_BYTES]; /* the last signed checkpoint note */
	size_t checkpoint_len;
	char verifier_key[256];         /* C2SP verifier key of the checkpoint key */
	struct counters counters;
	uint32_t connection_count;
	uint32_t anonymous_count;       /* connections that have not proved a key */
	uint64_t reply_bytes;           /* replies not yet read, all connections */
	struct conn *conns;             /* all live connections */
	bool shutting_down;
};

/* conn.c */
/* Who a connection comes from, for the per-address caps: narrow, an IPv4
 * address or an IPv6 /64; wide, an IPv6 /48 (0: not counted). */
struct client_address {
	uint32_t narrow, wide;
};
void conn_accept(struct server *s, int fd, bool tls, struct client_address addr);
/* The keying material an authentication signs: 1 (on TLS, in out), 0 (plain
 * TCP: none), -1 (TLS that cannot give it: refuse). */
int conn_tls_binding(struct conn *c, uint8_t out[32]);
void conn_advance(struct conn *c);             /* run what can run, flush replies */
void conn_slot_done(struct slot *slot);        /* a parked read's reply was set */
/* A submission's reply was set by the pipeline: its connection moves on in
 * the batch's server_retry_parked, once, not once per reply (each advance
 * walks the connection's requests in flight). */
void conn_slot_landed(struct slot *slot);
void conn_close_all(struct server *s);
void conn_finish_all(struct server *s);        /* shutdown: answer, flush, close */
void server_retry_parked(struct server *s);    /* a batch landed: parked reads look again */
enum reader conn_reader(const struct conn *c);
/* The key proved on the connection while it has rights beyond the public's, or NULL. */
const uint8_t *conn_key(const struct conn *c);
/* The key proved on the connection, whatever its rights now, or NULL. */
const uint8_t *conn_proved_key(const struct conn *c);
/* The tree size at which the reader was last decided. */
uint64_t conn_reader_tree_size(const struct conn *c);
/* After an authentication: the key proved (NULL: none) and its reader. */
void conn_set_auth(struct conn *c, const uint8_t key[32], enum reader reader, uint64_t tree_size);
void conn_set_reader(struct conn *c, enum reader reader, uint64_t tree_size);
const uint8_t *conn_server_nonce(struct conn *c); /* made on first use */
void conn_forget_nonce(struct conn *c);            /* after each authentication attempt */
/* A submission of this connection was refused as BAD_SIGNATURE: past
 * BAD_SIGNATURES_ANONYMOUS_MAX before authentication, the connection is
 * answered once more and closed. */
void conn_refused_signature(struct conn *c);
struct server *conn_server(const struct conn *c);

/* Sets slot's reply from a Response message (fills id). */
void slot_reply(struct slot *slot, Manne__Response *response);
void slot_reply_status(struct slot *slot, enum manne_status status, const char *message);

/* auth.c: decides the connection's reader again if a leaf came since. */
void auth_refresh(struct conn *c);

/* dispatch.c: the request handler (struct request_handler). */
extern const struct request_handler dispatch_handler;

/* pipeline.c */
int pipeline_start(struct server *s) __attribute__((warn_unused_result));
/* Finishes the batch in flight and every submission already queued, then stops. */
void pipeline_stop(struct server *s);
/* Takes a copy of signed_tx; the reply goes to slot when its batch is committed.
 * Returns MANNE_OK or MANNE_ERR_OVERLOADED. */
enum manne_status pipeline_submit(struct server *s, struct slot *slot, const uint8_t *signed_tx, size_t len,
				  bool want_proof);

/* The tree size a published checkpoint signs (its second line), 0 if none. */
uint64_t checkpoint_note_tree_size(const char *note, size_t len);
/* The leaves a connection has been given receipts for: a checkpoint read
 * after them must cover them (each reply reflects the requests before it). */
void conn_saw_leaf(struct conn *c, uint64_t index);
uint64_t conn_leaves_seen(const struct conn *c);

/* card_unlock.c: a till asks for a card's secret (SPEC §10). The request
 * is checked and paced on the loop thread, then joins the pipeline, whose
 * writer compares the PIN proof and counts wrong tries in the batch it
 * commits: no answer leaves before the count is durable. */
struct card_job;
/* *wrote: the card's count was written in txn (the batch must commit). */
enum manne_status card_unlock_apply(struct server *s, struct store_txn *txn, struct card_job *job, uint64_t now_ms,
				    bool *wrote);
void card_unlock_reply(struct slot *slot, enum manne_status status, const struct card_job *job);
size_t card_job_size(void);
/* A job for the writer (NULL without memory); sealed is CARD_UNLOCK_SEALED_BYTES. */
struct card_job *card_job_new(const uint8_t account[32], const uint8_t till[32], const uint8_t *sealed);
/* pipeline.c: joins the queue like a submission; takes job (freed with it). */
enum manne_status pipeline_card_unlock(struct server *s, struct slot *slot, struct card_job *job);

/* checkpoint_file.c */
int checkpoint_sign(struct server *s, const struct ledger_state *state, char *out, size_t out_size, size_t *len);
int checkpoint_file_save(const char *data_dir, const char *note, size_t len);
/* Reads the last checkpoint; 1 if none exists. */
int checkpoint_file_load(const char *data_dir, char *out, size_t out_size, size_t *len);
/* Start-up: the store's tree must extend the last signed checkpoint. */
int checkpoint_check_store(struct server *s, char *why, size_t why_size);

/* tls.c: TLS 1.3 (OpenSSL through libevent). The context's certificate pin
 * goes to pin_text (TLS_PIN_TEXT_BYTES). NULL or -1 with why filled. */
void *tls_server_context(const char *cert_file, const char *key_file, char *pin_text, char *why, size_t why_size);
void tls_context_free(void *ctx);
struct bufferevent *tls_accept(void *ctx, struct event_base *base, int fd);
bool tls_binding(struct bufferevent *bev, uint8_t out[32]);
/* Writes DIR/tls.crt (self-signed, Ed25519) and DIR/tls.key (0600); neither may exist. */
int tls_make_cert(const char *dir, char *pin_text, char *why, size_t why_size);

/* log_line.c: "time level event key=value ..." on stderr. */
void log_line(const char *level, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* config.c */
void config_defaults(struct server_config *c);
int config_parse_args(struct server_config *c, int argc, char **argv, char *why, size_t why_size);
/* The settings of a config file already open (`path` names it in `why`);
 * 0, or -1 with why filled. */
int config_load_stream(struct server_config *c, FILE *f, const char *path, char *why, size_t why_size);

/* metrics.c: the Prometheus text exposition on metrics-listen (loopback
 * only); the bound port goes to *port. 0 or -1. */
int metrics_start(struct server *s, uint16_t *port);
void metrics_stop(struct server *s);
/* pipeline.c: submissions waiting to be verified or applied. */
size_t pipeline_queued(struct server *s);

/* backup.c: `manne-ledger backup --data DIR --out FILE` (while the daemon
 * serves) and `manne-ledger restore --in FILE --data DIR`; exit codes. */
int backup_run(const char *data_dir, const char *out_path, const char *passphrase /* NULL: no keys */);
int restore_run(const char *in_path, const char *data_dir, const char *passphrase /* NULL: keys stay sealed */);
/* The backups taken of data_dir and the time of the last (unix seconds),
 * from the stamp the backup command leaves there: 0, or -1 if none. */
int backup_stamp_read(const char *data_dir, unsigned long long *count, unsigned long long *when);

/* demo.c: a demo ledger in an empty data directory. */
int demo_create(struct server *s, char *why, size_t why_size);

uint64_t clock_now_ms(void);

#endif
