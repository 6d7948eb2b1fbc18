/*
 * test_daemon_load.c: the real manne-ledger under pipelined load: 8
 * connections at once, each submitting 200 pre-signed payments with 32
 * requests in flight, half of them reading their account every few payments
 * in between. Every receipt is checked (OK, its txid, a leaf index no other
 * receipt has, the request id echoed in order); every read reflects exactly
 * the payments before it on its connection; the final balances and the
 * signed totals add up. Then the card rule of SPEC §10: a card-held member's
 * payment is accepted only on a connection authenticated as its payee.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define CONNECTIONS 8
#define PAYMENTS 200
#define DEPTH 32
#define READ_EVERY 16
#define ISSUED_EACH 100000ULL

static struct daemon d;
static struct manne_keypair payers[CONNECTIONS], shops[2];

struct op {
	bool is_read;          /* an account read of the payer, else a payment */
	unsigned payment;      /* the payment index (a read: payments before it) */
};

struct worker {
	int index;
	bool authenticated;    /* reads its account between payments */
	uint8_t *bytes[PAYMENTS];
	size_t len[PAYMENTS];
	uint8_t txid[PAYMENTS][32];
	uint64_t amount[PAYMENTS];
	int payee[PAYMENTS];
	uint64_t leaf[PAYMENTS];
	struct op ops[PAYMENTS + PAYMENTS / READ_EVERY + 1];
	unsigned op_count;
	unsigned reads_checked;
	char error[512];
	pthread_t thread;
};

static struct worker workers[CONNECTIONS];
static uint64_t setup_size, setup_applied;

static uint64_t request_id(const struct worker *wk, unsigned op)
{
	return (uint64_t)(wk->index + 1) * 1000000 + op + 1;
}

static bool check_response(struct worker *wk, unsigned op_index, Manne__Response *r)
{
	const struct op *op = &wk->ops[op_index];
	if (r == NULL) {
		snprintf(wk->error, sizeof(wk->error), "connection %d: no response to op %u", wk->index, op_index);
		return false;
	}
	if (r->id != request_id(wk, op_index)) {
		snprintf(wk->error, sizeof(wk->error), "connection %d: op %u: response id %llu, expected %llu",
			 wk->index, op_index, (unsigned long long)r->id,
			 (unsigned long long)request_id(wk, op_index));
		return false;
	}
	if (r->status != MANNE__STATUS__OK) {
		snprintf(wk->error, sizeof(wk->error), "connection %d: op %u: status %d %s", wk->index, op_index,
			 r->status, r->message);
		return false;
	}
	if (op->is_read) {
		uint64_t spent = 0;
		for (unsigned i = 0; i < op->payment; i++)
			spent += wk->amount[i];
		if (r->kind_case != MANNE__RESPONSE__KIND_ACCOUNT || r->account->balance != ISSUED_EACH - spent ||
		    r->account->next_sequence != op->payment + 1) {
			snprintf(wk->error, sizeof(wk->error),
				 "connection %d: read after %u payments: balance %llu sequence %llu, expected %llu %u",
				 wk->index, op->payment,
				 (unsigned long long)(r->account ? r->account->balance : 0),
				 (unsigned long long)(r->account ? r->account->next_sequence : 0),
				 (unsigned long long)(ISSUED_EACH - spent), op->payment + 1);
			return false;
		}
		wk->reads_checked++;
		return true;
	}
	if (r->kind_case != MANNE__RESPONSE__KIND_RECEIPT || r->receipt->duplicate ||
	    r->receipt->txid.len != 32 || memcmp(r->receipt->txid.data, wk->txid[op->payment], 32) != 0) {
		snprintf(wk->error, sizeof(wk->error), "connection %d: payment %u: not its receipt", wk->index,
			 op->payment);
		return false;
	}
	wk->leaf[op->payment] = r->receipt->leaf_index;
	return true;
}

static bool send_op(struct worker *wk, struct manne_wire *w, unsigned op_index)
{
	const struct op *op = &wk->ops[op_index];
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__SubmitRequest submit = MANNE__SUBMIT_REQUEST__INIT;
	Manne__AccountRequest account = MANNE__ACCOUNT_REQUEST__INIT;

	request.id = request_id(wk, op_index);
	if (op->is_read) {
		account.account = (ProtobufCBinaryData){.len = 32, .data = payers[wk->index].public_key};
		request.kind_case = MANNE__REQUEST__KIND_ACCOUNT;
		request.account = &account;
	} else {
		submit.signed_tx = (ProtobufCBinaryData){.len = wk->len[op->payment], .data = wk->bytes[op->payment]};
		request.kind_case = MANNE__REQUEST__KIND_SUBMIT;
		request.submit = &submit;
	}
	if (manne_wire_send(w, &request) != 0) {
		snprintf(wk->error, sizeof(wk->error), "connection %d: cannot send op %u", wk->index, op_index);
		return false;
	}
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct manne_wire w;
	unsigned sent = 0, received = 0;

	if (manne_wire_connect(&w, "127.0.0.1", d.port, 30000) != 0) {
		snprintf(wk->error, sizeof(wk->error), "connection %d: cannot connect", wk->index);
		return NULL;
	}
	if (wk->authenticated) {
		/* daemon_authenticate asserts: only cmocka's thread may; do it by hand. */
		Manne__Request request = MANNE__REQUEST__INIT;
		Manne__AuthChallengeRequest challenge = MANNE__AUTH_CHALLENGE_REQUEST__INIT;
		Manne__AuthenticateRequest auth = MANNE__AUTHENTICATE_REQUEST__INIT;
		uint8_t message[14 + 32 + 64], client_nonce[32], signature[64];
		Manne__Response *r;

		request.kind_case = MANNE__REQUEST__KIND_AUTH_CHALLENGE;
		request.auth_challenge = &challenge;
		r = manne_wire_call(&w, &request);
		if (r == NULL || r->kind_case != MANNE__RESPONSE__KIND_AUTH_CHALLENGE) {
			snprintf(wk->error, sizeof(wk->error), "connection %d: no challenge", wk->index);
			goto out;
		}
		randombytes_buf(client_nonce, sizeof(client_nonce));
		memcpy(message, "MANNE-AUTH-V1", 14);
		memcpy(message + 14, d.genesis_id, 32);
		memcpy(message + 46, r->auth_challenge->server_nonce.data, 32);
		memcpy(message + 78, client_nonce, 32);
		manne__response__free_unpacked(r, NULL);
		crypto_sign_detached(signature, NULL, message, sizeof(message), payers[wk->index].secret_key);
		auth.key = (ProtobufCBinaryData){.len = 32, .data = payers[wk->index].public_key};
		auth.client_nonce = (ProtobufCBinaryData){.len = 32, .data = client_nonce};
		auth.signature = (ProtobufCBinaryData){.len = 64, .data = signature};
		request.kind_case = MANNE__REQUEST__KIND_AUTHENTICATE;
		request.authenticate = &auth;
		r = manne_wire_call(&w, &request);
		if (r == NULL || r->status != MANNE__STATUS__OK) {
			snprintf(wk->error, sizeof(wk->error), "connection %d: authentication refused", wk->index);
			if (r != NULL)
				manne__response__free_unpacked(r, NULL);
			goto out;
		}
		manne__response__free_unpacked(r, NULL);
	}
	while (received < wk->op_count) {
		while (sent < wk->op_count && sent - received < DEPTH) {
			if (!send_op(wk, &w, sent))
				goto out;
			sent++;
		}
		Manne__Response *r = manne_wire_receive(&w);
		bool ok = check_response(wk, received, r);
		if (r != NULL)
			manne__response__free_unpacked(r, NULL);
		if (!ok)
			goto out;
		received++;
	}
out:
	manne_wire_close(&w);
	return NULL;
}

static int setup(void **state)
{
	struct manne_wire w;
	Manne__Response *r;
	(void)state;

	daemon_start(&d, NULL);
	daemon_connect(&d, &w);
	for (int i = 0; i < 2; i++) {
		daemon_keypair(&shops[i]);
		daemon_open_account(&d, &w, &shops[i], MANNE__ROLE__ROLE_SHOP, false, NULL);
	}
	daemon_fund(&d, &w, 100000000);
	for (int c = 0; c < CONNECTIONS; c++) {
		daemon_keypair(&payers[c]);
		daemon_open_account(&d, &w, &payers[c], MANNE__ROLE__ROLE_MEMBER, false, NULL);
		daemon_issue(&d, &w, payers[c].public_key, ISSUED_EACH, NULL);
	}
	r = daemon_read_status(&w);
	setup_size = r->status_info->tree_size;
	setup_applied = r->status_info->applied;
	assert_int_equal(setup_size, 1 + 2 + 1 + 2 * CONNECTIONS);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daemon_finish(&d);
	daemon_cleanup(&d);
	return 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_pipelined_connections(void **state)
{
	static uint64_t leaves[CONNECTIONS * PAYMENTS];
	uint64_t to_shop[2] = {0, 0};
	struct manne_wire w;
	Manne__Response *r;
	(void)state;

	/* Every payment signed before any is sent. */
	for (int c = 0; c < CONNECTIONS; c++) {
		struct worker *wk = &workers[c];
		memset(wk, 0, sizeof(*wk));
		wk->index = c;
		wk->authenticated = c % 2 == 1;
		for (unsigned i = 0; i < PAYMENTS; i++) {
			wk->amount[i] = 1 + (i * 7 + (unsigned)c) % 100;
			wk->payee[i] = (int)((i + (unsigned)c) % 2);
			to_shop[wk->payee[i]] += wk->amount[i];
			daemon_sign_pay(&d, &payers[c], i + 1, shops[wk->payee[i]].public_key, wk->amount[i], "panier",
					NULL, &wk->bytes[i], &wk->len[i], wk->txid[i]);
			wk->ops[wk->op_count++] = (struct op){.is_read = false, .payment = i};
			if (wk->authenticated && (i + 1) % READ_EVERY == 0)
				wk->ops[wk->op_count++] = (struct op){.is_read = true, .payment = i + 1};
		}
	}
	for (int c = 0; c < CONNECTIONS; c++)
		assert_int_equal(pthread_create(&workers[c].thread, NULL, worker_main, &workers[c]), 0);
	for (int c = 0; c < CONNECTIONS; c++)
		assert_int_equal(pthread_join(workers[c].thread, NULL), 0);

	for (int c = 0; c < CONNECTIONS; c++) {
		struct worker *wk = &workers[c];
		if (wk->error[0] != '\0')
			fail_msg("%s", wk->error);
		if (wk->authenticated)
			assert_int_equal(wk->reads_checked, PAYMENTS / READ_EVERY);
		for (unsigned i = 0; i < PAYMENTS; i++) {
			leaves[c * PAYMENTS + i] = wk->leaf[i];
			/* One payer's sequence: its leaves come in its order. */
			if (i > 0)
				assert_true(wk->leaf[i] > wk->leaf[i - 1]);
			free(wk->bytes[i]);
		}
	}
	/* Distinct leaf indexes, exactly the ones after the setup. */
	qsort(leaves, CONNECTIONS * PAYMENTS, sizeof(leaves[0]), compare_u64);
	for (size_t i = 0; i < CONNECTIONS * PAYMENTS; i++)
		assert_int_equal(leaves[i], setup_size + i);

	/* The balances and signed totals add up. */
	daemon_connect(&d, &w);
	assert_int_equal(daemon_authenticate(&w, &d.board[1]), MANNE__STATUS__OK);
	for (int c = 0; c < CONNECTIONS; c++) {
		uint64_t spent = 0;
		for (unsigned i = 0; i < PAYMENTS; i++)
			spent += workers[c].amount[i];
		r = daemon_read_account(&w, payers[c].public_key);
		assert_int_equal(r->status, MANNE__STATUS__OK);
		assert_int_equal(r->account->balance, ISSUED_EACH - spent);
		assert_int_equal(r->account->next_sequence, PAYMENTS + 1);
		manne__response__free_unpacked(r, NULL);
	}
	for (int s = 0; s < 2; s++) {
		r = daemon_read_account(&w, shops[s].public_key);
		assert_int_equal(r->status, MANNE__STATUS__OK);
		assert_int_equal(r->account->balance, to_shop[s]);
		manne__response__free_unpacked(r, NULL);
	}
	{
		struct checkpoint c;
		daemon_read_checkpoint(&w, d.checkpoint.public_key, &c);
		assert_int_equal(c.tree_size, setup_size + CONNECTIONS * PAYMENTS);
		assert_int_equal(c.totals.issued, CONNECTIONS * ISSUED_EACH);
		assert_int_equal(c.totals.outstanding, CONNECTIONS * ISSUED_EACH);
		assert_int_equal(c.totals.retired, 0);
		assert_int_equal(c.totals.funded, 100000000);
	}
	r = daemon_read_status(&w);
	assert_int_equal(r->status_info->tree_size, setup_size + CONNECTIONS * PAYMENTS);
	assert_int_equal(r->status_info->applied, setup_applied + CONNECTIONS * PAYMENTS);
	assert_int_equal(r->status_info->refused, 0);
	/* Group commit: many payments per batch. */
	assert_true(r->status_info->batches < setup_applied + CONNECTIONS * PAYMENTS);
	print_message("%u payments on %d connections in %llu batches in all\n", CONNECTIONS * PAYMENTS,
		      CONNECTIONS, (unsigned long long)r->status_info->batches);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
}

/* An anonymous client far over its in-flight bound is held back, not
 * dropped: every request is answered, in order. */
static void test_anonymous_backpressure(void **state)
{
	struct manne_wire w;
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest st = MANNE__STATUS_REQUEST__INIT;
	(void)state;

	daemon_connect(&d, &w);
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &st;
	for (uint64_t i = 1; i <= 200; i++) {
		request.id = i;
		assert_int_equal(manne_wire_send(&w, &request), 0);
	}
	for (uint64_t i = 1; i <= 200; i++) {
		Manne__Response *r = manne_wire_receive(&w);
		assert_non_null(r);
		assert_int_equal(r->id, i);
		assert_true(r->status == MANNE__STATUS__OK || r->status == MANNE__STATUS__OVERLOADED);
		manne__response__free_unpacked(r, NULL);
	}
	manne_wire_close(&w);
}

static void submit_bytes(struct manne_wire *w, const uint8_t *bytes, size_t len, int status, bool duplicate)
{
	Manne__Response *r;
	daemon_send_submit(w, 5, bytes, len, false);
	r = manne_wire_receive(w);
	assert_non_null(r);
	assert_int_equal(r->id, 5);
	if ((int)r->status != status)
		fail_msg("expected %d, got %d (%s)", status, r->status, r->message);
	if (status == MANNE__STATUS__OK)
		assert_int_equal(r->receipt->duplicate, duplicate);
	manne__response__free_unpacked(r, NULL);
}

/* SPEC §10: a card-held key pays only on a connection authenticated as the payee. */
static void test_card_held_member(void **state)
{
	struct manne_keypair card;
	struct manne_wire anon, other, self, till;
	uint8_t *bytes, *bytes2, txid[32], txid2[32];
	size_t len, len2;
	Manne__Response *r;
	(void)state;

	daemon_keypair(&card);
	daemon_connect(&d, &anon);
	daemon_open_account(&d, &anon, &card, MANNE__ROLE__ROLE_MEMBER, true, NULL);
	daemon_issue(&d, &anon, card.public_key, 1000, NULL);
	daemon_sign_pay(&d, &card, 1, shops[0].public_key, 250, "panier", "C-1", &bytes, &len, txid);

	submit_bytes(&anon, bytes, len, MANNE__STATUS__NOT_PERMITTED, false);
	daemon_connect(&d, &other);
	assert_int_equal(daemon_authenticate(&other, &shops[1]), MANNE__STATUS__OK);
	submit_bytes(&other, bytes, len, MANNE__STATUS__NOT_PERMITTED, false);
	daemon_connect(&d, &self);
	assert_int_equal(daemon_authenticate(&self, &card), MANNE__STATUS__NOT_PERMITTED); /* never, for a card */
	submit_bytes(&self, bytes, len, MANNE__STATUS__NOT_PERMITTED, false);
	/* Refused, so not remembered: the payee's till sends the same bytes. */
	daemon_connect(&d, &till);
	assert_int_equal(daemon_authenticate(&till, &shops[0]), MANNE__STATUS__OK);
	submit_bytes(&till, bytes, len, MANNE__STATUS__OK, false);
	submit_bytes(&till, bytes, len, MANNE__STATUS__OK, true);
	/* The till of shop 0 cannot charge the card for shop 1. */
	daemon_sign_pay(&d, &card, 2, shops[1].public_key, 100, NULL, NULL, &bytes2, &len2, txid2);
	submit_bytes(&till, bytes2, len2, MANNE__STATUS__NOT_PERMITTED, false);
	submit_bytes(&other, bytes2, len2, MANNE__STATUS__OK, false);

	r = daemon_read_account(&self, card.public_key);
	assert_int_equal(r->status, MANNE__STATUS__NOT_PERMITTED);
	manne__response__free_unpacked(r, NULL);
	assert_int_equal(daemon_authenticate(&self, &d.board[0]), MANNE__STATUS__OK);
	r = daemon_read_account(&self, card.public_key);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_true(r->account->card_held);
	assert_int_equal(r->account->balance, 1000 - 250 - 100);
	assert_int_equal(r->account->next_sequence, 3);
	manne__response__free_unpacked(r, NULL);
	r = daemon_read_payment(&till, shops[0].public_key, "C-1", 0);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_memory_equal(r->payment->txid.data, txid, 32);
	manne__response__free_unpacked(r, NULL);
	free(bytes);
	free(bytes2);
	manne_wire_close(&anon);
	manne_wire_close(&other);
	manne_wire_close(&self);
	manne_wire_close(&till);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined_connections),
		cmocka_unit_test(test_anonymous_backpressure),
		cmocka_unit_test(test_card_held_member),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
