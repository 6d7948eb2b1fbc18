/*
 * test_daemon_kinds.c: the real manne-ledger, every transaction kind and
 * every request over the wire, in one scenario. Balances and the signed
 * totals are checked along the way; the checkpoint is verified with the
 * verifier key the ledger publishes; inclusion and consistency proofs are
 * checked against the roots of signed checkpoints; the raw log is read page
 * by page; a till waits for a payment by its reference.
 *
 * retire_dormant needs an account frozen for 12 months: over the wire it can
 * only be refused NOT_DORMANT. set_checkpoint_key comes last: the daemon
 * holds only the old checkpoint key, so from then on it signs no checkpoint
 * (the log says the new key signs from the next tree size) yet still commits
 * and answers receipts; it will not start again with the old key file. With
 * the new key it starts (the old key's last checkpoint still checks out) and signs on,
 * consistently with what the old key signed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "daemon.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"

static struct daemon d;

/* member, shop, producer, auditor, a member recovered to a new key, a member closed. */
static struct manne_keypair member, shop, producer, auditor, member2, member2_new, member3;
/* The board in force: the demo's first, then a new one (set_board). */
static struct manne_keypair new_board[3], new_checkpoint;
static const struct manne_keypair *board[2];

/* What the ledger's counters must say. */
static uint64_t applied, refused;

/* One leaf as its receipt described it. */
struct rcpt {
	uint8_t txid[32];
	uint8_t leaf_hash[32];
	uint64_t index, time_ms;
	char *checkpoint;        /* want_proof: the note (owned) */
	size_t proof_count;
	uint8_t proof[64][32];
};

/* The leaves the member's history must show, in order. */
static uint64_t member_history[64];
static size_t member_history_count;

static void note_member(const struct rcpt *r)
{
	assert_true(member_history_count < 64);
	member_history[member_history_count++] = r->index;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Signs, submits, asserts the status; on OK fills out (may be NULL). */
static void submit_full(struct manne_wire *w, const Manne__TxBody *body, const struct manne_keypair *const *signers,
			size_t n, int status, bool want_proof, struct rcpt *out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__SubmitRequest submit = MANNE__SUBMIT_REQUEST__INIT;
	static uint64_t id = 1000;
	uint8_t *bytes, txid[32];
	size_t len;
	Manne__Response *r;

	assert_int_equal(tx_sign(body, signers, n, &bytes, &len, txid), 0);
	submit.signed_tx = (ProtobufCBinaryData){.len = len, .data = bytes};
	submit.want_proof = want_proof;
	request.id = ++id;
	request.kind_case = MANNE__REQUEST__KIND_SUBMIT;
	request.submit = &submit;
	r = daemon_call(w, &request);
	free(bytes);
	if ((int)r->status != status)
		fail_msg("kind %d: expected status %d, got %d (%s)", body->kind_case, status, r->status, r->message);
	if (status != MANNE__STATUS__OK) {
		refused++;
		assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND__NOT_SET);
		manne__response__free_unpacked(r, NULL);
		return;
	}
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_RECEIPT);
	assert_false(r->receipt->duplicate);
	assert_memory_equal(r->receipt->txid.data, txid, 32);
	applied++;
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		memcpy(out->txid, txid, 32);
		memcpy(out->leaf_hash, r->receipt->leaf_hash.data, 32);
		out->index = r->receipt->leaf_index;
		out->time_ms = r->receipt->time_ms;
		if (r->receipt->checkpoint != NULL && r->receipt->checkpoint[0] != '\0')
			out->checkpoint = strdup(r->receipt->checkpoint);
		out->proof_count = r->receipt->n_inclusion_proof;
		for (size_t i = 0; i < out->proof_count && i < 64; i++) {
			assert_int_equal(r->receipt->inclusion_proof[i].len, 32);
			memcpy(out->proof[i], r->receipt->inclusion_proof[i].data, 32);
		}
	}
	manne__response__free_unpacked(r, NULL);
}

static void submit(struct manne_wire *w, const Manne__TxBody *body, const struct manne_keypair *const *signers,
		   size_t n, int status, struct rcpt *out)
{
	submit_full(w, body, signers, n, status, false, out);
}

/* A board act signed by the board in force, and an optional co-signer. */
static void board_act(struct manne_wire *w, Manne__TxBody *body, const struct manne_keypair *cosigner, int status,
		      struct rcpt *out)
{
	const struct manne_keypair *signers[] = {board[0], board[1], cosigner};
	submit(w, body, signers, cosigner != NULL ? 3 : 2, status, out);
}

static void account_act(struct manne_wire *w, Manne__TxBody *body, const struct manne_keypair *signer, int status,
			struct rcpt *out)
{
	const struct manne_keypair *signers[] = {signer};
	submit(w, body, signers, 1, status, out);
}

static void open_account(struct manne_wire *w, const struct manne_keypair *kp, Manne__Role role, const char *reference,
			 struct rcpt *out)
{
	Manne__TxBody body;
	Manne__OpenAccount o = MANNE__OPEN_ACCOUNT__INIT;
	uint8_t nonce[16];
	daemon_body_board(&d, &body, nonce);
	o.key = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)kp->public_key};
	o.role = role;
	if (reference != NULL)
		o.reference = (ProtobufCBinaryData){.len = strlen(reference), .data = (uint8_t *)reference};
	body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
	body.open_account = &o;
	board_act(w, &body, kp, MANNE__STATUS__OK, out);
}

static void issue(struct manne_wire *w, const struct manne_keypair *kp, uint64_t amount, Manne__IssueReason reason,
		  const char *programme, const char *reference, int status, struct rcpt *out)
{
	Manne__TxBody body;
	Manne__Issue is = MANNE__ISSUE__INIT;
	uint8_t nonce[16];
	daemon_body_board(&d, &body, nonce);
	is.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)kp->public_key};
	is.amount = amount;
	is.reason = reason;
	is.programme = (char *)programme;
	if (reference != NULL)
		is.reference = (char *)reference;
	body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	body.issue = &is;
	board_act(w, &body, NULL, status, out);
}

static void pay_full(struct manne_wire *w, const struct manne_keypair *payer, uint64_t sequence,
		     const struct manne_keypair *payee, uint64_t amount, const char *memo, const char *reference,
		     int status, bool want_proof, struct rcpt *out)
{
	const struct manne_keypair *signers[] = {payer};
	Manne__TxBody body;
	Manne__Pay p = MANNE__PAY__INIT;
	daemon_body_account(&d, &body, payer, sequence);
	p.payee = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)payee->public_key};
	p.amount = amount;
	if (memo != NULL)
		p.memo = (char *)memo;
	if (reference != NULL)
		p.payee_reference = (char *)reference;
	body.kind_case = MANNE__TX_BODY__KIND_PAY;
	body.pay = &p;
	submit_full(w, &body, signers, 1, status, want_proof, out);
}

static void pay(struct manne_wire *w, const struct manne_keypair *payer, uint64_t sequence,
		const struct manne_keypair *payee, uint64_t amount, int status, struct rcpt *out)
{
	pay_full(w, payer, sequence, payee, amount, NULL, NULL, status, false, out);
}

static void refund(struct manne_wire *w, const struct manne_keypair *signer, uint64_t sequence,
		   const uint8_t payment_txid[32], uint64_t amount, const char *memo, int status, struct rcpt *out)
{
	Manne__TxBody body;
	Manne__Refund rf = MANNE__REFUND__INIT;
	daemon_body_account(&d, &body, signer, sequence);
	rf.payment_txid = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)payment_txid};
	rf.amount = amount;
	if (memo != NULL)
		rf.memo = (char *)memo;
	body.kind_case = MANNE__TX_BODY__KIND_REFUND;
	body.refund = &rf;
	account_act(w, &body, signer, status, out);
}

static void redeem(struct manne_wire *w, const struct manne_keypair *signer, uint64_t sequence, uint64_t amount,
		   int status, struct rcpt *out)
{
	Manne__TxBody body;
	Manne__Redeem rd = MANNE__REDEEM__INIT;
	daemon_body_account(&d, &body, signer, sequence);
	rd.amount = amount;
	body.kind_case = MANNE__TX_BODY__KIND_REDEEM;
	body.redeem = &rd;
	account_act(w, &body, signer, status, out);
}

static void settle(struct manne_wire *w, const uint8_t redeem_txid[32], Manne__SettleOutcome outcome, int status,
		   struct rcpt *out)
{
	Manne__TxBody body;
	Manne__SettleRedemption s = MANNE__SETTLE_REDEMPTION__INIT;
	uint8_t nonce[16];
	daemon_body_board(&d, &body, nonce);
	s.redeem_txid = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)redeem_txid};
	s.outcome = outcome;
	if (outcome == MANNE__SETTLE_OUTCOME__SETTLE_PAID)
		s.bank_reference = (char *)"VIR-OUT-7";
	body.kind_case = MANNE__TX_BODY__KIND_SETTLE_REDEMPTION;
	body.settle_redemption = &s;
	board_act(w, &body, NULL, status, out);
}

static void set_account(struct manne_wire *w, const struct manne_keypair *kp, Manne__SetAccountAction action,
			uint64_t max_payment, uint64_t max_daily, int status, struct rcpt *out)
{
	Manne__TxBody body;
	Manne__SetAccount s = MANNE__SET_ACCOUNT__INIT;
	uint8_t nonce[16];
	daemon_body_board(&d, &body, nonce);
	s.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)kp->public_key};
	s.action = action;
	s.max_payment = max_payment;
	s.max_daily = max_daily;
	body.kind_case = MANNE__TX_BODY__KIND_SET_ACCOUNT;
	body.set_account = &s;
	board_act(w, &body, NULL, status, out);
}

static void release(struct manne_wire *w, uint64_t amount, int status, struct rcpt *out)
{
	Manne__TxBody body;
	Manne__ReleaseReserve rr = MANNE__RELEASE_RESERVE__INIT;
	uint8_t nonce[16];
	daemon_body_board(&d, &body, nonce);
	rr.amount = amount;
	rr.bank_reference = (char *)"VIR-FEES-1";
	rr.reason = MANNE__RELEASE_REASON__RELEASE_FEES;
	body.kind_case = MANNE__TX_BODY__KIND_RELEASE_RESERVE;
	body.release_reserve = &rr;
	board_act(w, &body, NULL, status, out);
}

static void fund(struct manne_wire *w, uint64_t amount, int status, struct rcpt *out)
{
	Manne__TxBody body;
	Manne__FundReserve f = MANNE__FUND_RESERVE__INIT;
	uint8_t nonce[16];
	daemon_body_board(&d, &body, nonce);
	f.amount = amount;
	f.bank_reference = (char *)"VIR-1";
	body.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
	body.fund_reserve = &f;
	board_act(w, &body, NULL, status, out);
}

/* Reads an account (the connection must be allowed to) and returns it. */
static Manne__Response *account_of(struct manne_wire *w, const struct manne_keypair *kp)
{
	Manne__Response *r = daemon_read_account(w, kp->public_key);
	if (r->status != MANNE__STATUS__OK)
		fail_msg("account: %d %s", r->status, r->message);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_ACCOUNT);
	assert_memory_equal(r->account->account.data, kp->public_key, 32);
	return r;
}

static void expect_balance(struct manne_wire *w, const struct manne_keypair *kp, uint64_t balance,
			   Manne__AccountState state)
{
	Manne__Response *r = account_of(w, kp);
	if (r->account->balance != balance)
		fail_msg("balance %llu, expected %llu", (unsigned long long)r->account->balance,
			 (unsigned long long)balance);
	assert_int_equal(r->account->state, state);
	manne__response__free_unpacked(r, NULL);
}

static void expect_totals(const struct checkpoint *c, uint64_t issued, uint64_t retired, uint64_t reconverted,
			  uint64_t fees, uint64_t pending, uint64_t funded, uint64_t paid_out, uint64_t released)
{
	const struct checkpoint_totals *t = &c->totals;
	assert_int_equal(t->issued, issued);
	assert_int_equal(t->retired, retired);
	assert_int_equal(t->reconverted, reconverted);
	assert_int_equal(t->fees, fees);
	assert_int_equal(t->pending, pending);
	assert_int_equal(t->funded, funded);
	assert_int_equal(t->paid_out, paid_out);
	assert_int_equal(t->released, released);
	assert_int_equal(t->outstanding, issued - retired - reconverted);
	assert_int_equal(t->reserve, funded - paid_out - released);
}

/* Authenticates with a chosen key, signature and client nonce; returns the response. */
static Manne__Response *authenticate_raw(struct manne_wire *w, const struct manne_keypair *key, bool corrupt)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__AuthChallengeRequest challenge = MANNE__AUTH_CHALLENGE_REQUEST__INIT;
	Manne__AuthenticateRequest auth = MANNE__AUTHENTICATE_REQUEST__INIT;
	uint8_t message[14 + 32 + 64], client_nonce[32], signature[64];
	Manne__Response *r;

	request.id = 26;
	request.kind_case = MANNE__REQUEST__KIND_AUTH_CHALLENGE;
	request.auth_challenge = &challenge;
	r = daemon_call(w, &request);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_AUTH_CHALLENGE);
	assert_int_equal(r->auth_challenge->server_nonce.len, 32);
	assert_memory_equal(r->auth_challenge->genesis_id.data, d.genesis_id, 32);
	randombytes_buf(client_nonce, sizeof(client_nonce));
	memcpy(message, "MANNE-AUTH-V1", 14);
	memcpy(message + 14, d.genesis_id, 32);
	memcpy(message + 46, r->auth_challenge->server_nonce.data, 32);
	memcpy(message + 78, client_nonce, 32);
	manne__response__free_unpacked(r, NULL);
	crypto_sign_detached(signature, NULL, message, sizeof(message), key->secret_key);
	if (corrupt)
		signature[5] ^= 0x40;
	auth.key = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)key->public_key};
	auth.client_nonce = (ProtobufCBinaryData){.len = 32, .data = client_nonce};
	auth.signature = (ProtobufCBinaryData){.len = 64, .data = signature};
	request.id = 27;
	request.kind_case = MANNE__REQUEST__KIND_AUTHENTICATE;
	request.authenticate = &auth;
	return daemon_call(w, &request);
}

static void expect_auth(struct manne_wire *w, const struct manne_keypair *key, int status, Manne__Role role)
{
	Manne__Response *r = authenticate_raw(w, key, false);
	if ((int)r->status != status)
		fail_msg("authenticate: expected %d, got %d (%s)", status, r->status, r->message);
	if (status == MANNE__STATUS__OK) {
		assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_AUTH_RESULT);
		assert_int_equal(r->auth_result->role, role);
	}
	manne__response__free_unpacked(r, NULL);
}

static void check_inclusion(const uint8_t leaf_hash[32], uint64_t index, uint64_t size, const uint8_t root[32],
			    size_t count, const uint8_t proof[][32])
{
	assert_int_equal(merkle_inclusion_verify(index, size, leaf_hash, proof, count, root), 0);
}

static int setup(void **state)
{
	(void)state;
	daemon_start(&d, NULL);
	board[0] = &d.board[0];
	board[1] = &d.board[1];
	daemon_keypair(&member);
	daemon_keypair(&shop);
	daemon_keypair(&producer);
	daemon_keypair(&auditor);
	daemon_keypair(&member2);
	daemon_keypair(&member2_new);
	daemon_keypair(&member3);
	for (int i = 0; i < 3; i++)
		daemon_keypair(&new_board[i]);
	daemon_keypair(&new_checkpoint);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (d.pid > 0)
		daemon_finish(&d);
	daemon_cleanup(&d);
	return 0;
}

/* Leaves of the scenario, by name. */
static struct rcpt r_issue_member, r_issue_member2, r_pay1, r_redeem1, r_redeem2, r_redeem3;
static struct checkpoint c_early, c_late;

static void test_accounts_reserve_issue(void **state)
{
	struct manne_wire w, till;
	struct rcpt r;
	(void)state;

	daemon_connect(&d, &w);
	open_account(&w, &member, MANNE__ROLE__ROLE_MEMBER, "dossier-M", &r);
	note_member(&r);
	assert_int_equal(r.index, 1);
	open_account(&w, &shop, MANNE__ROLE__ROLE_SHOP, NULL, NULL);
	open_account(&w, &producer, MANNE__ROLE__ROLE_PRODUCER, NULL, NULL);
	open_account(&w, &auditor, MANNE__ROLE__ROLE_AUDITOR, NULL, NULL);
	open_account(&w, &member2, MANNE__ROLE__ROLE_MEMBER, NULL, NULL);
	open_account(&w, &member3, MANNE__ROLE__ROLE_MEMBER, NULL, &r);
	assert_int_equal(r.index, 6);

	/* A key that is an account cannot be opened again. */
	{
		Manne__TxBody body;
		Manne__OpenAccount o = MANNE__OPEN_ACCOUNT__INIT;
		uint8_t nonce[16];
		daemon_body_board(&d, &body, nonce);
		o.key = (ProtobufCBinaryData){.len = 32, .data = member.public_key};
		o.role = MANNE__ROLE__ROLE_SHOP;
		body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
		body.open_account = &o;
		board_act(&w, &body, &member, MANNE__STATUS__KEY_ALREADY_USED, NULL);
	}

	/* Nothing is issued beyond the backing. */
	issue(&w, &member, 100, MANNE__ISSUE_REASON__ISSUE_ALLOWANCE, "p", NULL, MANNE__STATUS__BACKING_EXCEEDED, NULL);
	fund(&w, 100000, MANNE__STATUS__OK, NULL);
	issue(&w, &member, 20000, MANNE__ISSUE_REASON__ISSUE_ALLOWANCE, "panier-solidaire-2026-11", "dossier-7",
	      MANNE__STATUS__OK, &r_issue_member);
	note_member(&r_issue_member);
	issue(&w, &shop, 5000, MANNE__ISSUE_REASON__ISSUE_PARTICIPATION, "chantier-2026-11", NULL, MANNE__STATUS__OK,
	      NULL);
	issue(&w, &member2, 3000, MANNE__ISSUE_REASON__ISSUE_GRANT, "subvention-2026", NULL, MANNE__STATUS__OK,
	      &r_issue_member2);
	assert_int_equal(r_issue_member2.index, 10);
	issue(&w, &member, 100000, MANNE__ISSUE_REASON__ISSUE_ALLOWANCE, "p", NULL, MANNE__STATUS__BACKING_EXCEEDED,
	      NULL);

	/* The checkpoint: signed by the checkpoint key the ledger publishes. */
	daemon_read_checkpoint(&w, d.checkpoint.public_key, &c_early);
	assert_int_equal(c_early.tree_size, 11);
	expect_totals(&c_early, 28000, 0, 0, 0, 0, 100000, 0, 0);

	/* The auditor sees every account, with the opaque reference. */
	daemon_connect(&d, &till);
	assert_int_equal(daemon_authenticate(&till, &auditor), MANNE__STATUS__OK);
	Manne__Response *a = account_of(&till, &member);
	assert_int_equal(a->account->role, MANNE__ROLE__ROLE_MEMBER);
	assert_int_equal(a->account->state, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	assert_int_equal(a->account->balance, 20000);
	assert_int_equal(a->account->next_sequence, 1);
	assert_int_equal(a->account->reference.len, 9);
	assert_memory_equal(a->account->reference.data, "dossier-M", 9);
	manne__response__free_unpacked(a, NULL);
	expect_balance(&till, &shop, 5000, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	expect_balance(&till, &member2, 3000, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	a = account_of(&till, &auditor);
	assert_int_equal(a->account->role, MANNE__ROLE__ROLE_AUDITOR);
	manne__response__free_unpacked(a, NULL);
	manne_wire_close(&till);
	manne_wire_close(&w);
}

static void test_payments_and_waiting_till(void **state)
{
	struct manne_wire w, till;
	struct rcpt r;
	Manne__Response *p;
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__PaymentByReferenceRequest pr = MANNE__PAYMENT_BY_REFERENCE_REQUEST__INIT;
	struct pollfd pfd;
	uint64_t started;
	(void)state;

	daemon_connect(&d, &w);
	daemon_connect(&d, &till);
	assert_int_equal(daemon_authenticate(&till, &shop), MANNE__STATUS__OK);

	/* The till waits for order T-1 before the member pays it. */
	pr.payee = (ProtobufCBinaryData){.len = 32, .data = shop.public_key};
	pr.payee_reference = (char *)"T-1";
	pr.wait_ms = 20000;
	request.id = 777;
	request.kind_case = MANNE__REQUEST__KIND_PAYMENT_BY_REFERENCE;
	request.payment_by_reference = &pr;
	assert_int_equal(manne_wire_send(&till, &request), 0);
	pfd = (struct pollfd){.fd = till.fd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 300), 0); /* still waiting: nothing to read */

	pay_full(&w, &member, 1, &shop, 1500, "panier de legumes", "T-1", MANNE__STATUS__OK, true, &r_pay1);
	note_member(&r_pay1);
	assert_int_equal(r_pay1.index, 11);
	p = manne_wire_receive(&till);
	assert_non_null(p);
	assert_int_equal(p->id, 777);
	assert_int_equal(p->status, MANNE__STATUS__OK);
	assert_int_equal(p->kind_case, MANNE__RESPONSE__KIND_PAYMENT);
	assert_memory_equal(p->payment->txid.data, r_pay1.txid, 32);
	assert_int_equal(p->payment->leaf_index, 11);
	assert_int_equal(p->payment->time_ms, r_pay1.time_ms);
	assert_string_equal(p->payment->kind, "pay");
	assert_int_equal(p->payment->amount, 1500);
	assert_string_equal(p->payment->memo, "panier de legumes");
	assert_string_equal(p->payment->payee_reference, "T-1");
	/* The shop sees the payer's key and nothing else about the payer. */
	assert_memory_equal(p->payment->counterparty.data, member.public_key, 32);
	assert_memory_equal(p->payment->signer.data, member.public_key, 32);
	assert_string_equal(p->payment->programme, "");
	assert_string_equal(p->payment->reference, "");
	manne__response__free_unpacked(p, NULL);

	/* The receipt proves the payment against the checkpoint it carries. */
	{
		struct checkpoint c;
		assert_non_null(r_pay1.checkpoint);
		daemon_parse_checkpoint(r_pay1.checkpoint, d.checkpoint.public_key, &c);
		assert_int_equal(c.tree_size, 12);
		check_inclusion(r_pay1.leaf_hash, r_pay1.index, c.tree_size, c.root, r_pay1.proof_count,
				(const uint8_t(*)[32])r_pay1.proof);
		free(r_pay1.checkpoint);
		r_pay1.checkpoint = NULL;
	}

	/* Asked again with a wait, an existing payment is answered at once. */
	p = daemon_read_payment(&till, shop.public_key, "T-1", 5000);
	assert_int_equal(p->status, MANNE__STATUS__OK);
	assert_int_equal(p->payment->leaf_index, 11);
	manne__response__free_unpacked(p, NULL);

	/* A wait that times out: NOT_FOUND after the wait. */
	started = now_ms();
	p = daemon_read_payment(&till, shop.public_key, "T-404", 300);
	assert_int_equal(p->status, MANNE__STATUS__NOT_FOUND);
	manne__response__free_unpacked(p, NULL);
	assert_true(now_ms() - started >= 250);
	/* Without a wait: NOT_FOUND at once. */
	daemon_expect(daemon_read_payment(&till, shop.public_key, "T-405", 0), MANNE__STATUS__NOT_FOUND);

	pay(&w, &member, 2, &producer, 700, MANNE__STATUS__OK, &r);
	note_member(&r);
	/* Paid to the association's own services: retired. */
	pay(&w, &member, 3, &d.association, 300, MANNE__STATUS__OK, &r);
	note_member(&r);
	/* Partner to partner. */
	pay(&w, &shop, 1, &producer, 400, MANNE__STATUS__OK, NULL);
	/* Member to member is refused, and not remembered. */
	pay(&w, &member, 4, &member2, 10, MANNE__STATUS__ROLE_FORBIDDEN, NULL);
	/* A shop pays a member only by refund. */
	pay(&w, &shop, 2, &member, 10, MANNE__STATUS__ROLE_FORBIDDEN, NULL);
	/* The auditor holds no balance and pays no one. */
	pay(&w, &member, 4, &auditor, 10, MANNE__STATUS__ROLE_FORBIDDEN, NULL);
	pay(&w, &member, 5, &shop, 10, MANNE__STATUS__BAD_SEQUENCE, NULL);
	pay(&w, &member, 4, &shop, 1000000, MANNE__STATUS__INSUFFICIENT_FUNDS, NULL);

	assert_int_equal(daemon_authenticate(&w, &d.board[2]), MANNE__STATUS__OK);
	expect_balance(&w, &member, 20000 - 1500 - 700 - 300, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	expect_balance(&w, &shop, 5000 + 1500 - 400, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	expect_balance(&w, &producer, 700 + 400, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	{
		struct checkpoint c;
		daemon_read_checkpoint(&w, d.checkpoint.public_key, &c);
		assert_int_equal(c.tree_size, 15);
		expect_totals(&c, 28000, 300, 0, 0, 0, 100000, 0, 0);
	}
	manne_wire_close(&till);
	manne_wire_close(&w);
}

static void test_refund_redeem_settle(void **state)
{
	struct manne_wire w;
	struct rcpt r;
	(void)state;

	daemon_connect(&d, &w);
	/* The shop refunds the member, in two parts, never beyond the payment. */
	refund(&w, &shop, 2, r_pay1.txid, 500, "retour", MANNE__STATUS__OK, &r);
	note_member(&r);
	refund(&w, &shop, 3, r_pay1.txid, 1001, NULL, MANNE__STATUS__REFUND_EXCEEDS_PAYMENT, NULL);
	refund(&w, &producer, 1, r_pay1.txid, 10, NULL, MANNE__STATUS__ROLE_FORBIDDEN, NULL);
	refund(&w, &shop, 3, r_pay1.txid, 1000, NULL, MANNE__STATUS__OK, &r);
	note_member(&r);
	refund(&w, &shop, 4, r_issue_member.txid, 10, NULL, MANNE__STATUS__NOT_FOUND, NULL);

	/* Reconversion at 200 bp: PAID destroys the credits, the fund pays out amount - fee. */
	redeem(&w, &shop, 4, 1000, MANNE__STATUS__OK, &r_redeem1);
	redeem(&w, &member, 4, 10, MANNE__STATUS__ROLE_FORBIDDEN, NULL);
	{
		struct checkpoint c;
		daemon_read_checkpoint(&w, d.checkpoint.public_key, &c);
		expect_totals(&c, 28000, 300, 0, 0, 1000, 100000, 0, 0);
	}
	settle(&w, r_redeem1.txid, MANNE__SETTLE_OUTCOME__SETTLE_PAID, MANNE__STATUS__OK, NULL);
	settle(&w, r_redeem1.txid, MANNE__SETTLE_OUTCOME__SETTLE_REJECTED, MANNE__STATUS__ALREADY_SETTLED, NULL);
	settle(&w, r_pay1.txid, MANNE__SETTLE_OUTCOME__SETTLE_PAID, MANNE__STATUS__NOT_FOUND, NULL);
	/* REJECTED: the credits return to the shop. */
	redeem(&w, &shop, 5, 500, MANNE__STATUS__OK, &r_redeem2);
	assert_int_equal(daemon_authenticate(&w, &shop), MANNE__STATUS__OK);
	{
		Manne__Response *a = account_of(&w, &shop);
		assert_int_equal(a->account->balance, 3100);
		assert_int_equal(a->account->pending_redemptions, 500);
		assert_int_equal(a->account->next_sequence, 6);
		manne__response__free_unpacked(a, NULL);
	}
	settle(&w, r_redeem2.txid, MANNE__SETTLE_OUTCOME__SETTLE_REJECTED, MANNE__STATUS__OK, NULL);
	{
		Manne__Response *a = account_of(&w, &shop);
		assert_int_equal(a->account->balance, 3600);
		assert_int_equal(a->account->pending_redemptions, 0);
		manne__response__free_unpacked(a, NULL);
	}

	/* set_ledger: the fee is 500 bp from the next leaf. */
	{
		Manne__TxBody body;
		Manne__SetLedger sl = MANNE__SET_LEDGER__INIT;
		uint8_t nonce[16];
		daemon_body_board(&d, &body, nonce);
		sl.fee_bp = 500;
		body.kind_case = MANNE__TX_BODY__KIND_SET_LEDGER;
		body.set_ledger = &sl;
		board_act(&w, &body, NULL, MANNE__STATUS__OK, NULL);
		randombytes_buf(nonce, sizeof(nonce)); /* the same act, a fresh nonce */
		sl.fee_bp = 10001;
		board_act(&w, &body, NULL, MANNE__STATUS__INVALID_AMOUNT, NULL);
	}
	redeem(&w, &producer, 1, 200, MANNE__STATUS__OK, &r_redeem3);
	settle(&w, r_redeem3.txid, MANNE__SETTLE_OUTCOME__SETTLE_PAID, MANNE__STATUS__OK, NULL);
	{
		struct checkpoint c;
		daemon_read_checkpoint(&w, d.checkpoint.public_key, &c);
		/* fees 20 + 10; paid out 980 + 190. */
		expect_totals(&c, 28000, 300, 1200, 30, 0, 100000, 1170, 0);
	}

	/* release_reserve: never beyond the fund, never below the backing. */
	release(&w, 200000, MANNE__STATUS__INSUFFICIENT_FUNDS, NULL);
	release(&w, 80000, MANNE__STATUS__BACKING_EXCEEDED, NULL);
	release(&w, 30, MANNE__STATUS__OK, NULL);

	/* reverse_issue: takes back part of an issue, never more than is left of it. */
	{
		Manne__TxBody body;
		Manne__ReverseIssue ri = MANNE__REVERSE_ISSUE__INIT;
		uint8_t nonce[16];
		daemon_body_board(&d, &body, nonce);
		ri.issue_txid = (ProtobufCBinaryData){.len = 32, .data = r_issue_member2.txid};
		ri.amount = 1000;
		ri.reason = (char *)"erreur de saisie";
		body.kind_case = MANNE__TX_BODY__KIND_REVERSE_ISSUE;
		body.reverse_issue = &ri;
		board_act(&w, &body, NULL, MANNE__STATUS__OK, NULL);
		randombytes_buf(nonce, sizeof(nonce)); /* the same act, a fresh nonce */
		ri.amount = 2001;
		board_act(&w, &body, NULL, MANNE__STATUS__REFUND_EXCEEDS_PAYMENT, NULL);
		randombytes_buf(nonce, sizeof(nonce)); /* the same act, a fresh nonce */
		ri.issue_txid = (ProtobufCBinaryData){.len = 32, .data = r_pay1.txid};
		ri.amount = 1;
		board_act(&w, &body, NULL, MANNE__STATUS__NOT_FOUND, NULL);
	}
	assert_int_equal(daemon_authenticate(&w, &auditor), MANNE__STATUS__OK);
	expect_balance(&w, &member, 17500 + 1500, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	expect_balance(&w, &shop, 3600, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	expect_balance(&w, &producer, 900, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	expect_balance(&w, &member2, 2000, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	{
		struct checkpoint c;
		daemon_read_checkpoint(&w, d.checkpoint.public_key, &c);
		expect_totals(&c, 28000, 1300, 1200, 30, 0, 100000, 1170, 30);
	}
	manne_wire_close(&w);
}

static void test_account_lifecycle(void **state)
{
	struct manne_wire w, reader;
	struct rcpt r;
	Manne__Response *a;
	(void)state;

	daemon_connect(&d, &w);
	daemon_connect(&d, &reader);
	assert_int_equal(daemon_authenticate(&reader, &d.board[0]), MANNE__STATUS__OK);

	/* set_account LIMITS: a per-payment maximum. */
	set_account(&w, &member, MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 100, 0, MANNE__STATUS__OK, &r);
	note_member(&r);
	a = account_of(&reader, &member);
	assert_int_equal(a->account->max_payment, 100);
	assert_int_equal(a->account->max_daily, 0);
	assert_int_equal(a->account->remaining_today, 19000);
	manne__response__free_unpacked(a, NULL);
	pay(&w, &member, 4, &shop, 200, MANNE__STATUS__LIMIT_EXCEEDED, NULL);
	pay(&w, &member, 4, &shop, 100, MANNE__STATUS__OK, &r);
	note_member(&r);
	set_account(&w, &member, MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 0, 0, MANNE__STATUS__OK, &r);
	note_member(&r);

	/* freeze by the account's own key; an account cannot freeze another. */
	{
		Manne__TxBody body;
		Manne__Freeze f = MANNE__FREEZE__INIT;
		daemon_body_account(&d, &body, &member, 5);
		f.account = (ProtobufCBinaryData){.len = 32, .data = shop.public_key};
		body.kind_case = MANNE__TX_BODY__KIND_FREEZE;
		body.freeze = &f;
		account_act(&w, &body, &member, MANNE__STATUS__ROLE_FORBIDDEN, NULL);
		f.account = (ProtobufCBinaryData){.len = 32, .data = member.public_key};
		account_act(&w, &body, &member, MANNE__STATUS__OK, &r);
		note_member(&r);
	}
	expect_balance(&reader, &member, 18900, MANNE__ACCOUNT_STATE__ACCOUNT_FROZEN);
	pay(&w, &member, 6, &shop, 100, MANNE__STATUS__NOT_ACTIVE, NULL);
	issue(&w, &member, 100, MANNE__ISSUE_REASON__ISSUE_ALLOWANCE, "p", NULL, MANNE__STATUS__COUNTERPARTY_NOT_ACTIVE,
	      NULL);
	/* set_account UNFREEZE. */
	set_account(&w, &member, MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE, 0, 0, MANNE__STATUS__OK, &r);
	note_member(&r);
	pay(&w, &member, 6, &shop, 100, MANNE__STATUS__OK, &r);
	note_member(&r);
	expect_balance(&reader, &member, 18800, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);

	/* freeze by one board key alone. */
	{
		const struct manne_keypair *one[] = {board[0]};
		Manne__TxBody body;
		Manne__Freeze f = MANNE__FREEZE__INIT;
		uint8_t nonce[16];
		daemon_body_board(&d, &body, nonce);
		f.account = (ProtobufCBinaryData){.len = 32, .data = member2.public_key};
		body.kind_case = MANNE__TX_BODY__KIND_FREEZE;
		body.freeze = &f;
		submit(&w, &body, one, 1, MANNE__STATUS__OK, NULL);
	}
	expect_balance(&reader, &member2, 2000, MANNE__ACCOUNT_STATE__ACCOUNT_FROZEN);

	/* retire_dormant: frozen, but not for 12 months. */
	{
		Manne__TxBody body;
		Manne__RetireDormant rd = MANNE__RETIRE_DORMANT__INIT;
		uint8_t nonce[16];
		daemon_body_board(&d, &body, nonce);
		rd.account = (ProtobufCBinaryData){.len = 32, .data = member2.public_key};
		rd.reason = (char *)"compte dormant";
		body.kind_case = MANNE__TX_BODY__KIND_RETIRE_DORMANT;
		body.retire_dormant = &rd;
		board_act(&w, &body, NULL, MANNE__STATUS__NOT_DORMANT, NULL);
		/* An active account is not dormant either. */
		randombytes_buf(nonce, sizeof(nonce)); /* the same act, a fresh nonce */
		rd.account = (ProtobufCBinaryData){.len = 32, .data = member.public_key};
		board_act(&w, &body, NULL, MANNE__STATUS__NOT_DORMANT, NULL);
	}

	/* recover_account: the frozen card's balance moves to a new key. */
	{
		Manne__TxBody body;
		Manne__RecoverAccount ra = MANNE__RECOVER_ACCOUNT__INIT;
		uint8_t nonce[16];
		daemon_body_board(&d, &body, nonce);
		ra.old_account = (ProtobufCBinaryData){.len = 32, .data = member2.public_key};
		ra.new_account = (ProtobufCBinaryData){.len = 32, .data = member2_new.public_key};
		body.kind_case = MANNE__TX_BODY__KIND_RECOVER_ACCOUNT;
		body.recover_account = &ra;
		/* The new key must sign too. */
		board_act(&w, &body, NULL, MANNE__STATUS__BAD_SIGNATURE, NULL);
		board_act(&w, &body, &member2_new, MANNE__STATUS__OK, NULL);
	}
	a = account_of(&reader, &member2);
	assert_int_equal(a->account->state, MANNE__ACCOUNT_STATE__ACCOUNT_CLOSED);
	assert_int_equal(a->account->balance, 0);
	assert_int_equal(a->account->successor.len, 32);
	assert_memory_equal(a->account->successor.data, member2_new.public_key, 32);
	manne__response__free_unpacked(a, NULL);
	a = account_of(&reader, &member2_new);
	assert_int_equal(a->account->state, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	assert_int_equal(a->account->balance, 2000);
	assert_int_equal(a->account->role, MANNE__ROLE__ROLE_MEMBER);
	assert_int_equal(a->account->next_sequence, 1);
	manne__response__free_unpacked(a, NULL);
	pay(&w, &member2, 1, &producer, 10, MANNE__STATUS__NOT_ACTIVE, NULL);
	pay(&w, &member2_new, 1, &producer, 500, MANNE__STATUS__OK, NULL);

	/* set_account CLOSE: refused while the balance is not zero. */
	set_account(&w, &shop, MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0, MANNE__STATUS__ACCOUNT_NOT_EMPTY,
		    NULL);
	set_account(&w, &member3, MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0, MANNE__STATUS__OK, NULL);
	expect_balance(&reader, &member3, 0, MANNE__ACCOUNT_STATE__ACCOUNT_CLOSED);
	set_account(&w, &member3, MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE, 0, 0,
		    MANNE__STATUS__COUNTERPARTY_NOT_ACTIVE, NULL);

	/* void_tx: a prepared board act that must never be applied. */
	{
		Manne__TxBody body, voided;
		Manne__Issue is = MANNE__ISSUE__INIT;
		Manne__VoidTx v = MANNE__VOID_TX__INIT;
		const struct manne_keypair *signers[] = {board[0], board[1]};
		uint8_t nonce[16], nonce2[16], txid[32], *bytes;
		size_t len;
		daemon_body_board(&d, &voided, nonce);
		is.account = (ProtobufCBinaryData){.len = 32, .data = member.public_key};
		is.amount = 5000;
		is.reason = MANNE__ISSUE_REASON__ISSUE_ALLOWANCE;
		is.programme = (char *)"prepared-by-mistake";
		voided.kind_case = MANNE__TX_BODY__KIND_ISSUE;
		voided.issue = &is;
		assert_int_equal(tx_sign(&voided, signers, 2, &bytes, &len, txid), 0);
		free(bytes);
		daemon_body_board(&d, &body, nonce2);
		v.txid = (ProtobufCBinaryData){.len = 32, .data = txid};
		body.kind_case = MANNE__TX_BODY__KIND_VOID_TX;
		body.void_tx = &v;
		board_act(&w, &body, NULL, MANNE__STATUS__OK, NULL);
		board_act(&w, &voided, NULL, MANNE__STATUS__VOIDED, NULL);
		randombytes_buf(nonce2, sizeof(nonce2));
		board_act(&w, &body, NULL, MANNE__STATUS__ALREADY_SETTLED, NULL);
		/* An applied transaction cannot be voided. */
		randombytes_buf(nonce2, sizeof(nonce2));
		v.txid = (ProtobufCBinaryData){.len = 32, .data = r_pay1.txid};
		board_act(&w, &body, NULL, MANNE__STATUS__ALREADY_SETTLED, NULL);
	}

	expect_balance(&reader, &member, 18800, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	expect_balance(&reader, &shop, 3800, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	expect_balance(&reader, &producer, 1400, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	expect_balance(&reader, &member2_new, 1500, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	daemon_read_checkpoint(&reader, d.checkpoint.public_key, &c_late);
	/* Every credit outstanding is on an account: 18800 + 3800 + 1400 + 1500. */
	expect_totals(&c_late, 28000, 1300, 1200, 30, 0, 100000, 1170, 30);
	assert_int_equal(c_late.totals.outstanding, 25500);
	manne_wire_close(&reader);
	manne_wire_close(&w);
}

static void test_reads(void **state)
{
	struct manne_wire w, anon;
	Manne__Response *r;
	(void)state;

	daemon_connect(&d, &w);
	daemon_connect(&d, &anon);

	/* status: the log size and the counters of this run. */
	r = daemon_read_status(&anon);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_STATUS_INFO);
	assert_true(strlen(r->status_info->version) > 0);
	assert_int_equal(r->status_info->tree_size, c_late.tree_size);
	assert_int_equal(r->status_info->applied, applied);
	assert_int_equal(r->status_info->refused, refused);
	assert_true(r->status_info->batches >= 1 && r->status_info->batches <= applied + refused);
	assert_true(r->status_info->connections >= 2);
	assert_int_equal(c_late.tree_size, 1 + applied);
	manne__response__free_unpacked(r, NULL);

	/* history, newest first, a page of 2 at a time, as the member: every leaf that names it. */
	assert_int_equal(daemon_authenticate(&w, &member), MANNE__STATUS__OK);
	{
		uint64_t before = 0;
		size_t seen = 0;
		for (int pages = 0; pages < 64; pages++) {
			r = daemon_read_history(&w, member.public_key, before, 2);
			assert_int_equal(r->status, MANNE__STATUS__OK);
			assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_HISTORY);
			assert_true(r->history->n_entries <= 2);
			for (size_t i = 0; i < r->history->n_entries; i++) {
				Manne__TxInfo *e = r->history->entries[i];
				assert_true(seen < member_history_count);
				assert_int_equal(e->leaf_index, member_history[member_history_count - 1 - seen]);
				if (e->leaf_index == r_issue_member.index) {
					/* The member sees the amount, not the programme or reference. */
					assert_string_equal(e->kind, "issue");
					assert_int_equal(e->amount, 20000);
					assert_int_equal(e->issue_reason, 0);
					assert_string_equal(e->programme, "");
					assert_string_equal(e->reference, "");
				}
				if (e->leaf_index == r_pay1.index) {
					assert_string_equal(e->kind, "pay");
					assert_memory_equal(e->counterparty.data, shop.public_key, 32);
					assert_string_equal(e->memo, "panier de legumes");
					assert_string_equal(e->payee_reference, "T-1");
					assert_int_equal(e->time_ms, r_pay1.time_ms);
				}
				seen++;
			}
			before = r->history->next_index;
			bool more = before != 0;
			if (more) /* the next page starts below the last entry shown */
				assert_int_equal(before, r->history->entries[r->history->n_entries - 1]->leaf_index);
			manne__response__free_unpacked(r, NULL);
			if (!more)
				break;
		}
		assert_int_equal(seen, member_history_count);
		/* One page of the maximum size holds it all; before_index starts below a leaf of the history. */
		r = daemon_read_history(&w, member.public_key, 0, 0);
		assert_int_equal(r->history->n_entries, member_history_count);
		assert_int_equal(r->history->entries[0]->leaf_index, member_history[member_history_count - 1]);
		assert_int_equal(r->history->next_index, 0);
		manne__response__free_unpacked(r, NULL);
		r = daemon_read_history(&w, member.public_key, member_history[3], 1);
		assert_int_equal(r->history->n_entries, 1);
		assert_int_equal(r->history->entries[0]->leaf_index, member_history[2]);
		assert_int_equal(r->history->next_index, member_history[2]);
		manne__response__free_unpacked(r, NULL);
		r = daemon_read_history(&w, member.public_key, member_history[1], 5);
		assert_int_equal(r->history->n_entries, 1);
		assert_int_equal(r->history->entries[0]->leaf_index, member_history[0]);
		assert_int_equal(r->history->next_index, 0);
		manne__response__free_unpacked(r, NULL);
		/* A before_index that is not a leaf of this history (another's, or past its latest): NOT_FOUND. */
		assert_true(member_history[1] > member_history[0] + 1 || member_history[2] > member_history[1] + 1);
		uint64_t foreign = member_history[1] > member_history[0] + 1 ? member_history[0] + 1 : member_history[1] + 1;
		r = daemon_read_history(&w, member.public_key, foreign, 5);
		assert_int_equal(r->status, MANNE__STATUS__NOT_FOUND);
		manne__response__free_unpacked(r, NULL);
		r = daemon_read_history(&w, member.public_key, member_history[member_history_count - 1] + 1, 5);
		assert_int_equal(r->status, MANNE__STATUS__NOT_FOUND);
		manne__response__free_unpacked(r, NULL);
	}

	/* tx by txid, as its signer. */
	r = daemon_read_tx(&w, r_pay1.txid);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_TX);
	assert_memory_equal(r->tx->txid.data, r_pay1.txid, 32);
	assert_int_equal(r->tx->leaf_index, r_pay1.index);
	assert_int_equal(r->tx->amount, 1500);
	assert_memory_equal(r->tx->counterparty.data, shop.public_key, 32);
	manne__response__free_unpacked(r, NULL);
	{
		uint8_t unknown[32];
		randombytes_buf(unknown, sizeof(unknown));
		daemon_expect(daemon_read_tx(&w, unknown), MANNE__STATUS__NOT_FOUND);
	}

	/* The auditor: tx by txid shows an issue's programme and reference. */
	assert_int_equal(daemon_authenticate(&w, &auditor), MANNE__STATUS__OK);
	r = daemon_read_tx(&w, r_issue_member.txid);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_string_equal(r->tx->kind, "issue");
	assert_int_equal(r->tx->issue_reason, MANNE__ISSUE_REASON__ISSUE_ALLOWANCE);
	assert_string_equal(r->tx->programme, "panier-solidaire-2026-11");
	assert_string_equal(r->tx->reference, "dossier-7");
	assert_memory_equal(r->tx->counterparty.data, member.public_key, 32);
	manne__response__free_unpacked(r, NULL);

	/* log_entries, a page of 5 at a time: every leaf, its index and time. */
	{
		uint64_t from = 0, expected = 0, last_time = 0;
		for (int pages = 0; pages < 100; pages++) {
			r = daemon_read_log(&w, from, 5);
			assert_int_equal(r->status, MANNE__STATUS__OK);
			assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_LOG_ENTRIES);
			assert_true(r->log_entries->n_leaves <= 5);
			for (size_t i = 0; i < r->log_entries->n_leaves; i++) {
				const ProtobufCBinaryData *leaf = &r->log_entries->leaves[i];
				uint64_t index = 0, time_ms = 0;
				assert_true(leaf->len > 16);
				for (int b = 0; b < 8; b++) {
					index = index << 8 | leaf->data[b];
					time_ms = time_ms << 8 | leaf->data[8 + b];
				}
				assert_int_equal(index, expected);
				assert_true(time_ms >= last_time);
				last_time = time_ms;
				if (index == r_pay1.index) {
					uint8_t hash[32];
					merkle_leaf_hash(leaf->data, leaf->len, hash);
					assert_memory_equal(hash, r_pay1.leaf_hash, 32);
					assert_int_equal(time_ms, r_pay1.time_ms);
				}
				expected++;
			}
			from = r->log_entries->next_index;
			manne__response__free_unpacked(r, NULL);
			if (from == 0)
				break;
			assert_int_equal(from, expected);
		}
		assert_int_equal(expected, c_late.tree_size);
		r = daemon_read_log(&w, c_late.tree_size, 5);
		assert_int_equal(r->status, MANNE__STATUS__OK);
		assert_int_equal(r->log_entries->n_leaves, 0);
		assert_int_equal(r->log_entries->next_index, 0);
		manne__response__free_unpacked(r, NULL);
	}

	/* Proofs, anonymously, against the roots of signed checkpoints. */
	r = daemon_read_inclusion(&anon, r_pay1.index, c_late.tree_size);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_INCLUSION_PROOF);
	assert_int_equal(r->inclusion_proof->leaf_index, r_pay1.index);
	assert_int_equal(r->inclusion_proof->tree_size, c_late.tree_size);
	{
		uint8_t proof[64][32];
		assert_true(r->inclusion_proof->n_hashes <= 64);
		for (size_t i = 0; i < r->inclusion_proof->n_hashes; i++)
			memcpy(proof[i], r->inclusion_proof->hashes[i].data, 32);
		check_inclusion(r_pay1.leaf_hash, r_pay1.index, c_late.tree_size, c_late.root,
				r->inclusion_proof->n_hashes, (const uint8_t(*)[32])proof);
		/* The same proof does not place another leaf there. */
		assert_int_not_equal(merkle_inclusion_verify(r_pay1.index, c_late.tree_size, r_issue_member.leaf_hash,
							     (const uint8_t(*)[32])proof,
							     r->inclusion_proof->n_hashes, c_late.root),
				     0);
	}
	manne__response__free_unpacked(r, NULL);
	r = daemon_read_consistency(&anon, c_early.tree_size, c_late.tree_size);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_CONSISTENCY_PROOF);
	assert_int_equal(r->consistency_proof->old_size, c_early.tree_size);
	assert_int_equal(r->consistency_proof->new_size, c_late.tree_size);
	{
		uint8_t proof[64][32];
		assert_true(r->consistency_proof->n_hashes <= 64);
		for (size_t i = 0; i < r->consistency_proof->n_hashes; i++)
			memcpy(proof[i], r->consistency_proof->hashes[i].data, 32);
		assert_int_equal(merkle_consistency_verify(c_early.tree_size, c_late.tree_size, c_early.root,
							   c_late.root, (const uint8_t(*)[32])proof,
							   r->consistency_proof->n_hashes),
				 0);
	}
	manne__response__free_unpacked(r, NULL);
	daemon_expect(daemon_read_inclusion(&anon, c_late.tree_size, c_late.tree_size), MANNE__STATUS__NOT_FOUND);
	daemon_expect(daemon_read_inclusion(&anon, 0, c_late.tree_size + 100), MANNE__STATUS__NOT_FOUND);
	daemon_expect(daemon_read_consistency(&anon, c_late.tree_size, c_early.tree_size), MANNE__STATUS__NOT_FOUND);
	daemon_expect(daemon_read_consistency(&anon, 1, c_late.tree_size + 100), MANNE__STATUS__NOT_FOUND);

	/* Authentication: a bad proof, an unknown key. Either leaves the connection anonymous. */
	{
		struct manne_keypair stranger;
		daemon_keypair(&stranger);
		r = authenticate_raw(&anon, &member, true);
		assert_int_equal(r->status, MANNE__STATUS__BAD_SIGNATURE);
		manne__response__free_unpacked(r, NULL);
		daemon_expect(daemon_read_account(&anon, member.public_key), MANNE__STATUS__NOT_PERMITTED);
		expect_auth(&anon, &stranger, MANNE__STATUS__UNKNOWN_ACCOUNT, 0);
		daemon_expect(daemon_read_account(&anon, stranger.public_key), MANNE__STATUS__NOT_PERMITTED);
		/* A proof is good for its own challenge only: the nonce changes after each attempt. */
		expect_auth(&anon, &auditor, MANNE__STATUS__OK, MANNE__ROLE__ROLE_AUDITOR);
		expect_auth(&anon, &d.board[1], MANNE__STATUS__OK, MANNE__ROLE__ROLE_UNSPECIFIED);
		daemon_expect(daemon_read_account(&anon, stranger.public_key), MANNE__STATUS__UNKNOWN_ACCOUNT);
	}
	manne_wire_close(&anon);
	manne_wire_close(&w);
}

static void test_set_board(void **state)
{
	struct manne_wire w;
	Manne__TxBody body;
	Manne__SetBoard sb = MANNE__SET_BOARD__INIT;
	ProtobufCBinaryData keys[3];
	uint8_t nonce[16];
	(void)state;

	daemon_connect(&d, &w);
	for (int i = 0; i < 3; i++)
		keys[i] = (ProtobufCBinaryData){.len = 32, .data = new_board[i].public_key};
	daemon_body_board(&d, &body, nonce);
	sb.n_keys = 3;
	sb.keys = keys;
	sb.threshold = 2;
	body.kind_case = MANNE__TX_BODY__KIND_SET_BOARD;
	body.set_board = &sb;
	{
		/* Every added key must sign. */
		const struct manne_keypair *partial[] = {board[0], board[1], &new_board[0], &new_board[1]};
		submit(&w, &body, partial, 4, MANNE__STATUS__BAD_SIGNATURE, NULL);
		/* M of the current board. */
		const struct manne_keypair *few[] = {board[0], &new_board[0], &new_board[1], &new_board[2]};
		submit(&w, &body, few, 4, MANNE__STATUS__NOT_ENOUGH_SIGNATURES, NULL);
		const struct manne_keypair *all[] = {board[0], board[1], &new_board[0], &new_board[1], &new_board[2]};
		submit(&w, &body, all, 5, MANNE__STATUS__OK, NULL);
	}
	/* The old board no longer signs. */
	fund(&w, 500, MANNE__STATUS__BAD_SIGNATURE, NULL);
	board[0] = &new_board[0];
	board[1] = &new_board[2];
	fund(&w, 500, MANNE__STATUS__OK, NULL);
	{
		const struct manne_keypair *one[] = {&new_board[1]};
		daemon_body_board(&d, &body, nonce);
		Manne__FundReserve f = MANNE__FUND_RESERVE__INIT;
		f.amount = 1;
		f.bank_reference = (char *)"VIR-2";
		body.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
		body.fund_reserve = &f;
		submit(&w, &body, one, 1, MANNE__STATUS__NOT_ENOUGH_SIGNATURES, NULL);
	}
	/* Reading as the board: the new keys only. */
	expect_auth(&w, &d.board[0], MANNE__STATUS__UNKNOWN_ACCOUNT, 0);
	expect_auth(&w, &new_board[1], MANNE__STATUS__OK, MANNE__ROLE__ROLE_UNSPECIFIED);
	{
		struct checkpoint c;
		daemon_read_checkpoint(&w, d.checkpoint.public_key, &c);
		assert_int_equal(c.tree_size, 1 + applied);
		expect_totals(&c, 28000, 1300, 1200, 30, 0, 100500, 1170, 30);
	}
	manne_wire_close(&w);
}

static void test_set_checkpoint_key(void **state)
{
	struct manne_wire w;
	Manne__TxBody body;
	Manne__SetCheckpointKey sk = MANNE__SET_CHECKPOINT_KEY__INIT;
	struct checkpoint before, after;
	struct rcpt r;
	Manne__Response *s;
	uint8_t nonce[16];
	(void)state;

	daemon_connect(&d, &w);
	daemon_read_checkpoint(&w, d.checkpoint.public_key, &before);
	daemon_body_board(&d, &body, nonce);
	sk.key = (ProtobufCBinaryData){.len = 32, .data = new_checkpoint.public_key};
	body.kind_case = MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY;
	body.set_checkpoint_key = &sk;
	board_act(&w, &body, NULL, MANNE__STATUS__BAD_SIGNATURE, NULL); /* the new key must sign */
	board_act(&w, &body, &new_checkpoint, MANNE__STATUS__OK, &r);
	assert_int_equal(r.index, before.tree_size);

	/* The log now says the new key signs from tree size r.index + 1. The
	 * daemon holds only the old key: it signs no more checkpoints, and the
	 * last one (under the old key) stays the published one. */
	pay_full(&w, &member, 7, &shop, 100, "apres", NULL, MANNE__STATUS__OK, true, &r);
	assert_int_equal(r.index, before.tree_size + 1);
	/* No signed checkpoint covers the leaf: the receipt carries no proof. */
	assert_null(r.checkpoint);
	assert_int_equal(r.proof_count, 0);
	daemon_read_checkpoint(&w, d.checkpoint.public_key, &after);
	assert_int_equal(after.tree_size, before.tree_size);
	assert_memory_equal(after.root, before.root, 32);
	/* ...but the ledger still commits and answers. */
	s = daemon_read_status(&w);
	assert_int_equal(s->status_info->tree_size, before.tree_size + 2);
	manne__response__free_unpacked(s, NULL);
	assert_int_equal(daemon_authenticate(&w, &member), MANNE__STATUS__OK);
	s = daemon_read_tx(&w, r.txid);
	assert_int_equal(s->status, MANNE__STATUS__OK);
	assert_int_equal(s->tx->leaf_index, r.index);
	manne__response__free_unpacked(s, NULL);
	expect_balance(&w, &member, 18700, MANNE__ACCOUNT_STATE__ACCOUNT_ACTIVE);
	/* The tree grows past the checkpoint: proofs up to the current size still come. */
	s = daemon_read_consistency(&w, before.tree_size, before.tree_size + 2);
	assert_int_equal(s->status, MANNE__STATUS__OK);
	manne__response__free_unpacked(s, NULL);
	manne_wire_close(&w);

	/* SIGTERM exits 0. With only the old key file the daemon will not start
	 * again: that key is no longer the ledger's checkpoint key. */
	daemon_finish(&d);
	assert_int_equal(daemon_try_restart(&d, NULL), 1);
	{
		char path[160], line[512];
		bool found = false;
		FILE *f;
		snprintf(path, sizeof(path), "%s/daemon.log", d.dir);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f) != NULL)
			found |= strstr(line, "not the ledger's checkpoint key in force") != NULL;
		fclose(f);
		assert_true(found);
	}

	/* Started with the new key, the start-up check accepts DATA/checkpoint,
	 * which the old key signed for a tree from before the change, then signs
	 * the whole tree with the new key; that checkpoint extends the last one
	 * the old key signed. */
	{
		char key_path[160];
		FILE *f;
		snprintf(key_path, sizeof(key_path), "%s/keys/checkpoint-2.key", d.dir);
		f = fopen(key_path, "w");
		assert_non_null(f);
		for (int i = 0; i < 32; i++)
			fprintf(f, "%02x", new_checkpoint.secret_key[i]);
		fprintf(f, "\n");
		fclose(f);
		assert_int_equal(chmod(key_path, 0600), 0);
		const char *const flags[] = {"--checkpoint-key", key_path, NULL};
		assert_int_equal(daemon_try_restart(&d, flags), 0);
	}
	daemon_connect(&d, &w);
	daemon_read_checkpoint(&w, new_checkpoint.public_key, &after);
	assert_int_equal(after.tree_size, before.tree_size + 2);
	expect_totals(&after, 28000, 1300, 1200, 30, 0, 100500, 1170, 30);
	s = daemon_read_consistency(&w, before.tree_size, after.tree_size);
	assert_int_equal(s->status, MANNE__STATUS__OK);
	{
		uint8_t proof[64][32];
		for (size_t i = 0; i < s->consistency_proof->n_hashes && i < 64; i++)
			memcpy(proof[i], s->consistency_proof->hashes[i].data, 32);
		assert_int_equal(merkle_consistency_verify(before.tree_size, after.tree_size, before.root, after.root,
							   (const uint8_t(*)[32])proof, s->consistency_proof->n_hashes),
				 0);
	}
	manne__response__free_unpacked(s, NULL);
	/* The new key signs what follows. */
	pay_full(&w, &member, 8, &shop, 100, NULL, NULL, MANNE__STATUS__OK, true, &r);
	assert_non_null(r.checkpoint);
	daemon_parse_checkpoint(r.checkpoint, new_checkpoint.public_key, &after);
	assert_int_equal(after.tree_size, r.index + 1);
	check_inclusion(r.leaf_hash, r.index, after.tree_size, after.root, r.proof_count, (const uint8_t(*)[32])r.proof);
	free(r.checkpoint);
	manne_wire_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accounts_reserve_issue),
		cmocka_unit_test(test_payments_and_waiting_till),
		cmocka_unit_test(test_refund_redeem_settle),
		cmocka_unit_test(test_account_lifecycle),
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_set_board),
		cmocka_unit_test(test_set_checkpoint_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
