/*
 * daemon.h: the real manne-ledger for integration tests, started on an
 * ephemeral loopback port with a fresh --demo ledger, and the demo's keys.
 */
#ifndef MANNE_TEST_DAEMON_H
#define MANNE_TEST_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "manne_wire.h"
#include "tx_sign.h"

struct daemon {
	char dir[64];
	pid_t pid;
	uint16_t port;
	struct manne_keypair board[3], checkpoint, association;
	uint8_t genesis_id[32];
	uint64_t nonce_counter;
};

/* Starts the daemon on a new data dir (extra flags may be NULL-terminated list). */
void daemon_start(struct daemon *d, const char *const *extra_flags);
/* Starts it again on the same data dir (after a stop). */
void daemon_restart(struct daemon *d);
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

#endif
