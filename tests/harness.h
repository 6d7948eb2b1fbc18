/*
 * harness.h: a ledger in a temporary directory, keys by name, and one-line
 * transactions, so that tests read like the protocol.
 *
 * Keys are derived from their names (seed = SHA-256(name)), so "alice" is the
 * same key in every test. The ledger is created by h_setup with the board
 * "board0", "board1", "board2" (threshold 2), the checkpoint key
 * "checkpoint", the association account "association", ledger day UTC+1
 * with EU summer time and a fee of 150 basis points. Time is h->now_ms and
 * moves only when a test moves it.
 */
#ifndef MANNE_TEST_HARNESS_H
#define MANNE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/core/ledger.h"
#include "ledger/core/tx_sign.h"

#define H_ORIGIN "manne.test/v1"
#define H_KEYS_MAX 256
#define H_FEE_BP 150U
/* 2026-11-02 10:00 UTC, a Monday. */
#define H_START_MS 1793613600000ULL

struct h_key {
	char name[32];
	struct manne_keypair kp;
	uint64_t next_sequence;  /* what the harness signs next for this account */
};

struct harness {
	char dir[64];
	struct ledger *ledger;
	uint64_t now_ms;
	uint64_t nonce_counter;
	struct h_key keys[H_KEYS_MAX];
	unsigned key_count;
	struct receipt receipt;     /* of the last submission */
	uint8_t last_txid[32];      /* of the last transaction signed */
	const char *board_signers[4]; /* NULL-terminated; default board0, board1 */
};

void h_setup(struct harness *h);
/* h_setup on a store of its own size (h_setup: 256 MiB, no sync). */
void h_setup_options(struct harness *h, const struct store_options *options);
void h_teardown(struct harness *h);

struct h_key *h_key(struct harness *h, const char *name);
const uint8_t *h_pk(struct harness *h, const char *name);

/* Fill the common fields. h_body_account uses the account's next sequence. */
void h_body_account(struct harness *h, Manne__TxBody *body, const char *signer);
void h_body_board(struct harness *h, Manne__TxBody *body);

/* Signs with the named keys (NULL-terminated), submits alone in a batch and
 * commits. On MANNE_OK (not duplicate) an account signer's sequence moves on. */
enum manne_status h_submit(struct harness *h, const Manne__TxBody *body, const char *const *signers);
/* Submits bytes as they are, in a batch of their own. */
enum manne_status h_submit_bytes(struct harness *h, const uint8_t *bytes, size_t len);
/* Signs a body into bytes (caller frees). */
uint8_t *h_sign(struct harness *h, const Manne__TxBody *body, const char *const *signers, size_t *len);

/* One-line transactions; board acts are signed by h->board_signers. */
enum manne_status h_open(struct harness *h, const char *name, Manne__Role role, uint64_t max_payment,
			 uint64_t max_daily, bool card_held);
enum manne_status h_fund(struct harness *h, uint64_t amount);
enum manne_status h_release(struct harness *h, uint64_t amount);
enum manne_status h_issue(struct harness *h, const char *name, uint64_t amount);
enum manne_status h_reverse_issue(struct harness *h, const uint8_t issue_txid[32], uint64_t amount);
enum manne_status h_pay(struct harness *h, const char *payer, const char *payee, uint64_t amount);
enum manne_status h_pay_ref(struct harness *h, const char *payer, const char *payee, uint64_t amount,
			    const char *memo, const char *payee_reference);
enum manne_status h_refund(struct harness *h, const char *signer, const uint8_t payment_txid[32], uint64_t amount);
enum manne_status h_redeem(struct harness *h, const char *name, uint64_t amount);
enum manne_status h_settle(struct harness *h, const uint8_t redeem_txid[32], bool paid);
enum manne_status h_freeze(struct harness *h, const char *name, const char *signer /* NULL: board0 alone */);
enum manne_status h_set_account(struct harness *h, const char *name, Manne__SetAccountAction action,
				uint64_t max_payment, uint64_t max_daily);
enum manne_status h_recover(struct harness *h, const char *old_name, const char *new_name);
enum manne_status h_retire_dormant(struct harness *h, const char *name);
enum manne_status h_set_ledger(struct harness *h, uint32_t fee_bp);
enum manne_status h_set_board(struct harness *h, const char *const *keys, uint32_t threshold,
			      const char *const *signers);
enum manne_status h_set_checkpoint_key(struct harness *h, const char *name);
enum manne_status h_void(struct harness *h, const uint8_t txid[32]);

/* Committed state. */
struct account h_account(struct harness *h, const char *name); /* fails the test if unknown */
bool h_account_exists(struct harness *h, const char *name);
uint64_t h_balance(struct harness *h, const char *name);
const struct totals *h_totals(struct harness *h);

/* SPEC §2 invariants over the committed store: balances plus pending
 * redemptions equal outstanding, reserve >= outstanding. */
void h_check_invariants(struct harness *h);
/* Replays the log into a fresh ledger and compares every account, the
 * state and the root. */
void h_check_replay(struct harness *h);

#endif
