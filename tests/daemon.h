/*
 * daemon.h: the real manne-ledger for integration tests, started on an
 * ephemeral loopback port with a fresh --demo ledger, and the demo's keys.
 */
#ifndef MANNE_TEST_DAEMON_H
#define MANNE_TEST_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "client/manne_wire.h"
#include "ledger/log/note.h"
#include "ledger/core/tx_sign.h"

struct daemon {
	char dir[64];
	pid_t pid;
	uint16_t port;
	const char *host;  /* where it listens: 127.0.0.1, or ::1 when started with --listen [::1]:0 */
	struct manne_keypair board[3], checkpoint, association;
	uint8_t genesis_id[32];
	uint64_t nonce_counter;
};

/* Starts the daemon on a new data dir (extra flags may be NULL-terminated list). */
void daemon_start(struct daemon *d, const char *const *extra_flags);
/* Starts it again on the same data dir (after a stop). */
void daemon_restart(struct daemon *d);
/* Starts it again and sends SIGTERM the moment its port file appears;
 * returns the exit status. */
int daemon_restart_and_stop_at_once(struct daemon *d);
/* SIGTERM, and waits; returns the exit status. */
int daemon_stop(struct daemon *d);
void daemon_cleanup(struct daemon *d);

void daemon_connect(struct daemon *d, struct manne_wire *w);
/* Authenticates the connection as key; returns the response status. */
int daemon_authenticate(struct manne_wire *w, const struct manne_keypair *key);

/* Body helpers bound to the demo ledger. */
void daemon_body_board(struct daemon *d, Manne__TxBody *body, uint8_t nonce[16]);
void daemon_body_account(struct daemon *d, Manne__TxBody *body, const struct manne_keypair *signer,
			 uint64_t sequence);
/* Signs and submits; returns the Response (caller frees) and the txid. */
Manne__Response *daemon_submit(struct manne_wire *w, const Manne__TxBody *body,
			       const struct manne_keypair *const *signers, size_t n, uint8_t txid[32]);

/* ---- More helpers (integration tests of kinds, load, frames, permissions, SIGTERM) ---- */

/* Starts it again on the same data dir with extra flags. Returns 0 once it
 * listens, or the exit status (> 0) if it exited at start-up. */
int daemon_try_restart(struct daemon *d, const char *const *extra_flags);
/* SIGTERM; asserts the daemon exited 0 and its log holds no sanitizer report. */
void daemon_finish(struct daemon *d);
/* Fails if daemon.log holds a sanitizer report. */
void daemon_assert_log_clean(struct daemon *d);

/* Runs a program (argv NULL-terminated) and waits: its exit status; what it
 * printed (stdout and stderr) in out when out is not NULL. */
int daemon_run_program(const char *const *argv, char *out, size_t out_size);
/* Connections the daemon has open, besides the one that asks. */
uint32_t daemon_connections(struct daemon *d);

/* A fresh random key. */
void daemon_keypair(struct manne_keypair *kp);

/* Asserts r's status (printing its message otherwise) and frees it. */
void daemon_expect(Manne__Response *r, int status);
/* Sends a request with this id and returns its response (asserts one came). */
Manne__Response *daemon_call(struct manne_wire *w, Manne__Request *request);

/* Reads; each returns the Response (caller frees). */
Manne__Response *daemon_read_account(struct manne_wire *w, const uint8_t key[32]);
/* A page of an account's history, newest first, older than `before` (0: the latest). */
Manne__Response *daemon_read_history(struct manne_wire *w, const uint8_t key[32], uint64_t before, uint32_t limit);
Manne__Response *daemon_read_tx(struct manne_wire *w, const uint8_t txid[32]);
Manne__Response *daemon_read_payment(struct manne_wire *w, const uint8_t payee[32], const char *reference,
				     uint32_t wait_ms);
Manne__Response *daemon_read_log(struct manne_wire *w, uint64_t from, uint32_t limit);
Manne__Response *daemon_read_status(struct manne_wire *w);
Manne__Response *daemon_read_inclusion(struct manne_wire *w, uint64_t leaf_index, uint64_t tree_size);
Manne__Response *daemon_read_consistency(struct manne_wire *w, uint64_t old_size, uint64_t new_size);
/* The latest checkpoint: checks the verifier key in the response is
 * checkpoint_key's, verifies the note with it and parses it into out. */
void daemon_read_checkpoint(struct manne_wire *w, const uint8_t checkpoint_key[32], struct checkpoint *out);
/* Verifies and parses a checkpoint note signed by checkpoint_key. */
void daemon_parse_checkpoint(const char *note, const uint8_t checkpoint_key[32], struct checkpoint *out);

/* Board acts signed by board[0] and board[1] (the demo's M = 2) and the
 * optional co-signer. */
Manne__Response *daemon_submit_board(struct daemon *d, struct manne_wire *w, const Manne__TxBody *body,
				     const struct manne_keypair *cosigner, uint8_t txid[32]);
/* open_account (asserts OK). */
void daemon_open_account(struct daemon *d, struct manne_wire *w, const struct manne_keypair *kp, Manne__Role role,
			 bool card_held, const char *reference);
void daemon_fund(struct daemon *d, struct manne_wire *w, uint64_t amount);
/* issue, reason ALLOWANCE (asserts OK); txid may be NULL. */
void daemon_issue(struct daemon *d, struct manne_wire *w, const uint8_t account[32], uint64_t amount,
		  uint8_t txid[32]);
/* A signed pay, ready to submit (caller frees *bytes). memo and reference may be NULL. */
void daemon_sign_pay(struct daemon *d, const struct manne_keypair *payer, uint64_t sequence, const uint8_t payee[32],
		     uint64_t amount, const char *memo, const char *reference, uint8_t **bytes, size_t *len,
		     uint8_t txid[32]);
/* Sends a submit of signed bytes with this request id (no reply read). */
void daemon_send_submit(struct manne_wire *w, uint64_t id, const uint8_t *bytes, size_t len, bool want_proof);

#endif
