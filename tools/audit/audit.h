/*
 * audit.h: manne-audit, the auditor of SPEC §7 (docs/audit.md). It trusts
 * nothing the ledger's server says: it replays the log from leaf 0 with the
 * daemon's own state machine (ledger_batch_replay's two halves) into a
 * replay store of its own, recomputes every balance, the totals and the
 * Merkle root, checks the signed checkpoint against them, proves that the
 * checkpoint extends the last one it verified and any collected from others,
 * and compares its balances with the server's.
 *
 *   audit_main.c    the command line, the run in order
 *   audit_findings.c findings, failures and exit codes, checks at a checkpoint's size
 *   audit_state.c   the auditor's directory: its lock, the state file, collected checkpoints
 *   audit_replay.c  the replay: signatures on verifier threads, leaves applied in order
 *   audit_tables.c  what each leaf adds to the report, and the report's sums
 *   audit_online.c  the ledger over the network: checkpoint, proofs, leaves, accounts
 *   audit_file.c    an export file (docs/export.md), offline
 *   audit_report.c  findings and the report, for people or as one JSON object
 *
 * Plumbing returns 0 / -1. What the audit finds wrong is a finding
 * (audit_finding), never an error code: the first one is the run's answer.
 */
#ifndef MANNE_AUDIT_H
#define MANNE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "i18n/i18n.h"
#include "ledger/core/ledger.h"
#include "manne.h"
#include "ledger/log/note.h"

/* ---- Bounds, each with its reason ---- */

/* Leaves applied per replay-store commit (each commit is synced): a crash
 * loses at most this much work, and LMDB's dirty pages stay well under its
 * per-transaction limit. */
#define AUDIT_COMMIT_LEAVES 4096U
/* Leaves decoded ahead of the one being applied: enough to keep every
 * verifier thread busy while the writer waits on none. */
#define AUDIT_RING_SLOTS 1024U
/* Bytes held by leaves in flight (leaf plus its decoding arena): a log of
 * maximal 64 KiB leaves cannot make the auditor hold more than this. */
#define AUDIT_INFLIGHT_BYTES_MAX (64U << 20)
/* Checkpoints collected by others given in one run (--checkpoint). */
#define AUDIT_COLLECTED_MAX 256U
/* Findings kept in full; later ones are only counted. The first is the answer. */
#define AUDIT_FINDINGS_MAX 64U
/* The state file: a few lines and one signed note. */
#define AUDIT_STATE_BYTES_MAX 16384U
/* Times the auditor fetches a newer checkpoint when the ledger moved while
 * balances were being compared. */
#define AUDIT_CATCH_UP_MAX 3U
/* The replay store's LMDB map, as the daemon's (--map-size changes it). */
#define AUDIT_MAP_BYTES_DEFAULT (8ULL << 30)
/* SPEC §7: the regulatory thresholds, 1 million euros, in centimes. */
#define AUDIT_THRESHOLD_CENTIMES 100000000ULL
/* SPEC §7: the regulatory window, in ledger-calendar months. */
#define AUDIT_WINDOW_MONTHS 12U

/* manne-audit's exit codes (docs/audit.md). */
enum audit_exit {
	AUDIT_EXIT_CLEAN = 0,        /* every check passed */
	AUDIT_EXIT_DISCREPANCY = 1,  /* the log, a checkpoint or the server's figures disagree: the first is named */
	AUDIT_EXIT_USAGE = 2,        /* a bad command line */
	AUDIT_EXIT_UNREACHABLE = 3,  /* the ledger cannot be reached, or kept moving while balances were compared */
	AUDIT_EXIT_KEY = 4,          /* the auditor's key file cannot be read */
	AUDIT_EXIT_LOCAL = 6,        /* the state directory, an input file or the replay store failed */
};

/* A checkpoint note and what it says; `verified` once its signature was
 * checked under the key the log puts in force at its tree size. */
struct audit_checkpoint {
	struct checkpoint c;
	char note[NOTE_BYTES_MAX + 1];
	size_t note_len;
	bool verified;
	enum {
		AUDIT_UNCHECKED = 0,
		AUDIT_CHECKED_ROOT,     /* signature and root at its size (older than this run's replay) */
		AUDIT_CHECKED_FULL,     /* signature, root and totals, at its size during the replay */
		AUDIT_NEWER,            /* beyond the log audited: not checked (an export older than it) */
	} checked;
	bool consistent;            /* checked and found consistent with the log */
	int finding;                /* the finding that says it is not, or -1 */
	char source[160];           /* where it came from: "the ledger", a file name */
};

/* One discrepancy: which check, where in the log, what was expected and
 * what was found, and for an inconsistent pair of checkpoints both notes. */
struct audit_finding {
	const char *check;          /* a stable name: "leaf", "root", "totals", "account", ... */
	bool has_leaf;
	uint64_t leaf_index;
	char what[512];             /* room for a finding in French, longer than in English */
	char expected[256];
	char found[256];
	char *evidence[2];          /* malloc'd notes, or NULL */
};

struct audit_tables;
struct replay;

struct audit {
	/* The command line. */
	const char *state_dir;
	const char *file;           /* an export to read offline, or NULL: the ledger over the network */
	const char *host;
	uint16_t port;
	uint32_t timeout_ms;
	const char *key_file;
	const char *passphrase_file;
	bool json;
	bool rebuild;               /* start the replay store afresh from leaf 0 */
	bool skip_accounts;
	unsigned threads;
	uint64_t map_bytes;
	int64_t report_day;         /* the ledger day the regulatory window ends before */
	bool report_day_given;
	const char *fec_path;       /* --fec FILE (with --year) */
	const char *paheko_path;    /* --paheko FILE */
	int32_t books_year;         /* --year: 0 none */
	const char *html_path;      /* --html FILE (with --month) */
	int32_t html_year;          /* --month YYYY-MM: 0 none */
	uint32_t html_month;
	uint8_t statement_account[KEY_BYTES]; /* --statement ACCOUNT (with --month) */
	bool statement;
	bool statement_privileged;  /* --statement-for board: issue reasons and programmes shown */
	const char *statement_out;  /* --statement-out BASE (default releve-SHORTID-YYYY-MM) */
	const char *collected_files[AUDIT_COLLECTED_MAX];
	size_t collected_file_count;

	/* The trust root: the origin and a checkpoint key (C2SP verifier key). */
	char origin[ORIGIN_BYTES_MAX + 1];
	uint8_t pinned_key[KEY_BYTES];
	bool pinned;
	bool pinned_on_command_line;
	char pinned_vkey[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	char state_vkey[MANNE_VERIFIER_KEY_BYTES_MAX + 1];  /* the trust root the state file keeps */

	/* The state directory: the last checkpoint verified (the anchor). */
	bool first_run;             /* no state file: the trust root is the command line's */
	bool have_anchor;
	uint8_t genesis_id[TXID_BYTES];
	bool have_genesis_id;
	struct audit_checkpoint anchor;
	int lock_fd;

	/* The replay store and the report's tables in it. */
	struct ledger *ledger;
	struct audit_tables *tables;

	/* This run. */
	struct audit_checkpoint target;     /* the checkpoint audited (the ledger's latest, or the file's) */
	bool have_target;
	bool target_ok;                     /* verified, root and totals equal the replay's, extends the anchor */
	struct audit_checkpoint *collected; /* AUDIT_COLLECTED_MAX, sorted by tree size */
	size_t collected_count;
	size_t collected_next;              /* the next one the replay reaches */
	uint64_t replay_from, replay_to;
	uint64_t replay_ms;
	uint64_t accounts_compared;
	bool accounts_moving;               /* the ledger kept moving: balances not settled */
	bool anchor_extended;               /* the target was proved to extend the anchor */

	struct audit_finding findings[AUDIT_FINDINGS_MAX];
	size_t finding_count;
	uint64_t findings_dropped;
	bool local_failure;                 /* a local fault stopped the run (exit 6) */
	bool unreachable;                   /* the ledger could not be reached (exit 3) */
	bool key_failure;                   /* the auditor's key file (exit 4) */
	char failure[512];                  /* in the reader's language: room for French */
};

/* ---- audit_findings.c ---- */
/* Records a finding (printf-style `what`); expected and found may be NULL.
 * `what` is a msgid (po/meson.build reads it), and so are expected and found
 * when they are words (N_() at the call): the report gives them in the
 * reader's language; with --json the catalogue is off and they stay English. */
void audit_finding(struct audit *a, const char *check, bool has_leaf, uint64_t leaf_index, const char *expected,
		   const char *found, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Attaches the two notes of an inconsistent pair to the last finding. */
void audit_evidence(struct audit *a, const struct audit_checkpoint *one, const struct audit_checkpoint *two);
void audit_evidence_at(struct audit *a, int finding, const struct audit_checkpoint *one,
		       const struct audit_checkpoint *two);
/* A local fault (exit 6), an unreachable ledger (exit 3), the auditor's key (exit 4); return -1.
 * fmt is a msgid, as audit_finding's. */
int audit_local_failure(struct audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int audit_unreachable(struct audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int audit_key_failure(struct audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exit code the run has earned (enum audit_exit). */
int audit_exit_code(const struct audit *a);
/* Text helpers: lowercase hex of 32 bytes (65 bytes out), an amount in Manne. */
void audit_hex32(const uint8_t in[32], char out[65]);
void audit_amount(uint64_t centimes, char *out, size_t size);
/* 0 when cp's note carries a valid signature by `key` under the origin's name. */
int audit_note_verify(const struct audit_checkpoint *cp, const uint8_t key[KEY_BYTES]);
/* The C2SP verifier key of `key` under `origin`, or a sentence saying it has none. */
void audit_verifier_key(const char *origin, const uint8_t key[KEY_BYTES], char *out, size_t size);

/* ---- audit_state.c ---- */
/* Creates (0700) and locks the state directory: one run at a time. */
int audit_state_lock(struct audit *a);
void audit_state_unlock(struct audit *a);
/* Reads DIR/state if there is one (0 without one); -1 if it is damaged. */
int audit_state_load(struct audit *a);
/* Replaces DIR/state atomically with the verified target as the new anchor. */
int audit_state_save(struct audit *a);
/* Opens the replay store DIR/replay (from scratch with --rebuild). */
int audit_store_open(struct audit *a);
/* Reads a collected checkpoint: a bare signed note, or another auditor's
 * state file; parses it, unverified. 0, or -1 with why in `why`. */
int audit_note_read(const char *path, struct audit_checkpoint *out, char *why, size_t why_size);
/* Parses a note's checkpoint text without verifying it (that needs the key
 * in force at its size, which the replay tells). */
int audit_note_parse(const char *note, size_t len, struct audit_checkpoint *out);

/* ---- audit_tables.c: the report's tables, in the replay store ----
 * They commit with the leaves they sum, so an interrupted run resumes with
 * both in step; their size grows with the ledger's months, partners and
 * programmes, on disk, never in memory. */

#define AUDIT_KINDS 19U   /* TxBody kinds 16 (genesis) .. 34 (set_card) */
#define AUDIT_RELEASE_REASONS 4U
#define AUDIT_ISSUE_REASONS 4U

/* Per ledger-calendar month. */
struct audit_month_row {
	uint64_t issued, issue_count;
	uint64_t retired_paid, retired_reversed, retired_dormant;
	uint64_t redeemed, reconverted, fees, paid_out, rejected;
	uint64_t funded, released[AUDIT_RELEASE_REASONS];
	uint64_t pay, pay_count, refund, refund_count;
};

/* Per month, issue reason and programme. */
struct audit_issue_row {
	uint64_t amount, count;
};

/* Per partner (the key that asked for the reconversion). */
struct audit_partner_row {
	uint64_t redeemed, redeem_count, reconverted, fees, rejected;
};

/* Per counter of the association (SPEC §3): the payments it took. */
struct audit_counter_row {
	uint64_t taken, count;
};

/* Per leaf that moves money in the association's books (SPEC §12): what
 * the treasurer's exports (audit_books.c) write, one balanced entry each.
 * The amounts are the ones applied (a reversal takes what the balance
 * allowed), from the totals before and after the leaf. */
enum audit_movement {
	MOVE_FUND = 1,            /* euros into the guarantee fund */
	MOVE_RELEASE = 2,         /* euros out of it (reason: release reason) */
	MOVE_ISSUE = 3,           /* new credits (reason: issue reason) */
	MOVE_REVERSE = 4,         /* credits taken back (reason: the issue's) */
	MOVE_DORMANT = 5,         /* a dormant account's credits retired */
	MOVE_SALE = 6,            /* paid to the association's services (party: the counter, if any) */
	MOVE_REDEEM = 7,          /* a partner asks for euros (party: the partner) */
	MOVE_SETTLE_PAID = 8,     /* paid out: amount, of which fee kept */
	MOVE_SETTLE_REJECTED = 9, /* credits back to the partner */
	MOVE_RECOVER = 10,        /* not in the books: the balance a recovery moved (party: the new key), for statements */
};

struct audit_entry_row {
	uint64_t time_ms;
	uint64_t amount;          /* centimes */
	uint64_t fee;             /* MOVE_SETTLE_PAID: the reconversion fee */
	uint8_t movement;         /* enum audit_movement */
	uint8_t reason;
	uint8_t text_len;
	uint8_t padding[5];
	uint8_t party[KEY_BYTES]; /* the account credited, the partner, the counter; zero if none */
	char text[64];            /* the programme of an issue, a bank reference */
};

/* Per ledger day: what the regulatory counters sum. */
struct audit_day_row {
	uint64_t pay, refund;
};

struct audit_kind_row {
	uint64_t count[AUDIT_KINDS];
};

/* Iterations for the report, in key order; fn returns non-zero to stop. */
int audit_tables_each_month(struct store_txn *txn, int (*fn)(void *ctx, int32_t year, uint32_t month,
							     const struct audit_month_row *row), void *ctx);
int audit_tables_each_issue(struct store_txn *txn,
			    int (*fn)(void *ctx, int32_t year, uint32_t month, unsigned reason, const char *programme,
				      const struct audit_issue_row *row),
			    void *ctx);
int audit_tables_each_partner(struct store_txn *txn,
			      int (*fn)(void *ctx, const uint8_t key[KEY_BYTES], const struct audit_partner_row *row),
			      void *ctx);
/* The shops and producers paid in a month (ledger calendar). 0, or -1. */
int audit_tables_partners_paid(struct store_txn *txn, int32_t year, uint32_t month, uint64_t *count);
/* The entry row of one leaf: STORE_OK, STORE_NOT_FOUND, or an error. */
int audit_tables_entry_get(struct store_txn *txn, uint64_t index, struct audit_entry_row *out);
/* The entries of leaves [from, to), in leaf order. */
int audit_tables_each_entry(struct store_txn *txn, uint64_t from, uint64_t to,
			    int (*fn)(void *ctx, uint64_t index, const struct audit_entry_row *row), void *ctx);
/* audit_books.c: the treasurer's exports from the entry rows; new files
 * (never overwritten); fec_path needs the year. 0, or -1. */
int audit_books_write(struct audit *a, const char *fec_path, const char *paheko_path, int32_t year);
/* audit_statement.c: an account's statement for a month, as BASE.txt and
 * BASE.html (new files), for the account's holder or, with privileged, for
 * the board and auditors (issue reasons and programmes shown). 0, or -1. */
int audit_statement_write(struct audit *a, const uint8_t account[KEY_BYTES], int32_t year, uint32_t month,
			  bool privileged, const char *base);
/* audit_html.c: the monthly report (a new file). 0, or -1. */
int audit_html_write(struct audit *a, const char *path, int32_t year, uint32_t month);

int audit_tables_each_counter(struct store_txn *txn,
			      int (*fn)(void *ctx, const uint8_t key[KEY_BYTES], const struct audit_counter_row *row),
			      void *ctx);
/* Sums of the day rows for ledger days [from, to). */
int audit_tables_days(struct store_txn *txn, int64_t from, int64_t to, struct audit_day_row *sum);
int audit_tables_kinds(struct store_txn *txn, struct audit_kind_row *out);

int audit_tables_new(struct audit_tables **out);
void audit_tables_free(struct audit_tables *t);
/* What an applied leaf adds: `before` are the totals before it; the batch's
 * state is after it. 0, or -1 on a store error. */
int audit_tables_leaf(struct audit_tables *t, struct batch *batch, const struct totals *before, const struct tx *tx,
		      uint64_t time_ms);
/* Writes the cached rows into the batch before it commits; drops them if it aborts. */
int audit_tables_flush(struct audit_tables *t, struct store_txn *txn);
void audit_tables_drop(struct audit_tables *t);
/* The checkpoint key in force at tree size `size`, from the log's history of keys. */
int audit_tables_key_at(struct store_txn *txn, uint64_t size, uint8_t key[KEY_BYTES]);
/* True when `key` ever signed checkpoints of this log. */
bool audit_tables_key_known(struct store_txn *txn, const uint8_t key[KEY_BYTES]);

/* ---- audit_replay.c ---- */
int replay_open(struct audit *a, struct replay **out);
/* Feeds the next leaf of the log (the replay store's next index). 0, or -1
 * once a finding or a fault stopped the replay. */
int replay_leaf(struct replay *r, const uint8_t *leaf, size_t len);
/* Applies every leaf fed and commits. 0 or -1. */
int replay_finish(struct replay *r);
/* Stops the verifier threads; commits nothing more. Accepts NULL. */
void replay_close(struct replay *r);

/* ---- checks shared by both sources (audit_findings.c) ---- */
/* Checks a checkpoint against the replay at its own tree size, which the
 * replay store must have just reached (state and txn at that size):
 * signature under the key in force, root, totals. Records findings (a
 * collected checkpoint signed by the ledger whose root differs is a
 * "consistency" finding, its evidence attached once the target is known);
 * true if clean. */
bool audit_check_at_size(struct audit *a, struct audit_checkpoint *cp, const struct ledger_state *state,
			 struct store_txn *txn, bool collected);
/* Collected checkpoints whose size the replay crosses are checked on the
 * way; replay.c calls this after each leaf. */
void audit_collected_at_size(struct audit *a, const struct ledger_state *state, struct store_txn *txn);
/* The checkpoints of the log's key history: the key in force at `size`. */
int audit_key_at(struct audit *a, uint64_t size, uint8_t key[KEY_BYTES]);

/* ---- audit_online.c / audit_file.c ---- */
int audit_online(struct audit *a);
int audit_file(struct audit *a);

/* ---- audit_report.c ---- */
/* Prints the report (JSON with --json) from the replay store; exit code. */
int audit_report(struct audit *a);

#endif
