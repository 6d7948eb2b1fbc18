/*
 * test_daemon_sigterm.c: SIGTERM under load (SPEC §8). Client threads submit
 * pre-signed payments as fast as the daemon takes them, 32 in flight each;
 * SIGTERM comes part-way. The daemon must exit 0; every payment that got an
 * OK receipt must be in the log after a restart on the same data directory
 * (whose start-up check must pass), at the leaf its receipt named; each
 * payer's applied payments are exactly its first ones; the tree holds the
 * setup and the applied payments and nothing else; the balances add up; the
 * last checkpoint file verifies and signs the whole tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"

#define PAYERS 4
#define PAYMENTS 1500
#define DEPTH 32
#define ISSUED_EACH 1000000ULL

static struct daemon d;
static struct manne_keypair payers[PAYERS], shop;
static uint64_t setup_size;
static atomic_uint receipts_ok;

struct worker {
	int index;
	uint8_t *bytes[PAYMENTS];
	size_t len[PAYMENTS];
	uint8_t txid[PAYMENTS][32];
	uint64_t amount[PAYMENTS];
	bool receipted[PAYMENTS];
	uint64_t leaf[PAYMENTS];
	unsigned sent, received;
	char error[256];
	pthread_t thread;
};

static struct worker workers[PAYERS];

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct manne_wire w;

	if (manne_wire_connect(&w, "127.0.0.1", d.port, 30000) != 0) {
		snprintf(wk->error, sizeof(wk->error), "payer %d: cannot connect", wk->index);
		return NULL;
	}
	bool can_send = true;
	while (wk->received < wk->sent || (can_send && wk->received < PAYMENTS)) {
		while (can_send && wk->sent < PAYMENTS && wk->sent - wk->received < DEPTH) {
			Manne__Request request = MANNE__REQUEST__INIT;
			Manne__SubmitRequest submit = MANNE__SUBMIT_REQUEST__INIT;
			submit.signed_tx = (ProtobufCBinaryData){.len = wk->len[wk->sent], .data = wk->bytes[wk->sent]};
			request.id = wk->sent + 1;
			request.kind_case = MANNE__REQUEST__KIND_SUBMIT;
			request.submit = &submit;
			if (manne_wire_send(&w, &request) != 0) {
				can_send = false; /* the daemon is going: read what it answered */
				break;
			}
			wk->sent++;
		}
		Manne__Response *r = manne_wire_receive(&w);
		if (r == NULL)
			goto out; /* closed by the shutdown */
		unsigned i = wk->received;
		if (r->id != i + 1 || r->status != MANNE__STATUS__OK || r->kind_case != MANNE__RESPONSE__KIND_RECEIPT ||
		    memcmp(r->receipt->txid.data, wk->txid[i], 32) != 0) {
			snprintf(wk->error, sizeof(wk->error), "payer %d: payment %u: id %llu status %d (%s)", wk->index,
				 i, (unsigned long long)r->id, r->status, r->message);
			manne__response__free_unpacked(r, NULL);
			goto out;
		}
		wk->receipted[i] = true;
		wk->leaf[i] = r->receipt->leaf_index;
		manne__response__free_unpacked(r, NULL);
		wk->received++;
		atomic_fetch_add(&receipts_ok, 1);
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
	daemon_keypair(&shop);
	daemon_open_account(&d, &w, &shop, MANNE__ROLE__ROLE_SHOP, false, NULL);
	daemon_fund(&d, &w, PAYERS * ISSUED_EACH);
	for (int p = 0; p < PAYERS; p++) {
		daemon_keypair(&payers[p]);
		daemon_open_account(&d, &w, &payers[p], MANNE__ROLE__ROLE_MEMBER, false, NULL);
		daemon_issue(&d, &w, payers[p].public_key, ISSUED_EACH, NULL);
	}
	r = daemon_read_status(&w);
	setup_size = r->status_info->tree_size;
	assert_int_equal(setup_size, 3 + 2 * PAYERS);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
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

/* The txid of a leaf: SHA-256 of the body of the signed transaction after its 16-byte header. */
static void leaf_txid(const ProtobufCBinaryData *leaf, uint8_t txid[32])
{
	Manne__SignedTx *tx;
	assert_true(leaf->len > 16);
	tx = manne__signed_tx__unpack(NULL, leaf->len - 16, leaf->data + 16);
	assert_non_null(tx);
	crypto_hash_sha256(txid, tx->body.data, tx->body.len);
	manne__signed_tx__free_unpacked(tx, NULL);
}

static void test_sigterm_under_load(void **state)
{
	static uint8_t (*log_txids)[32];
	uint64_t applied[PAYERS], applied_total = 0, receipted_total = 0, tree_size;
	uint64_t shop_balance = 0, started, stop_ms;
	struct manne_wire w, till;
	Manne__Response *r;
	int status;
	(void)state;

	for (int p = 0; p < PAYERS; p++) {
		struct worker *wk = &workers[p];
		memset(wk, 0, sizeof(*wk));
		wk->index = p;
		for (unsigned i = 0; i < PAYMENTS; i++) {
			wk->amount[i] = 1 + i % 50;
			daemon_sign_pay(&d, &payers[p], i + 1, shop.public_key, wk->amount[i], NULL, NULL, &wk->bytes[i],
					&wk->len[i], wk->txid[i]);
		}
	}
	atomic_store(&receipts_ok, 0);
	for (int p = 0; p < PAYERS; p++)
		assert_int_equal(pthread_create(&workers[p].thread, NULL, worker_main, &workers[p]), 0);
	/* A till waits for a payment that never comes. */
	daemon_connect(&d, &till);
	assert_int_equal(daemon_authenticate(&till, &shop), MANNE__STATUS__OK);
	{
		Manne__Request request = MANNE__REQUEST__INIT;
		Manne__PaymentByReferenceRequest pr = MANNE__PAYMENT_BY_REFERENCE_REQUEST__INIT;
		struct pollfd pfd = {.fd = till.fd, .events = POLLIN};
		pr.payee = (ProtobufCBinaryData){.len = 32, .data = shop.public_key};
		pr.payee_reference = (char *)"NEVER";
		pr.wait_ms = 60000;
		request.id = 31;
		request.kind_case = MANNE__REQUEST__KIND_PAYMENT_BY_REFERENCE;
		request.payment_by_reference = &pr;
		assert_int_equal(manne_wire_send(&till, &request), 0);
		assert_int_equal(poll(&pfd, 1, 50), 0); /* parked */
	}
	/* SIGTERM once a quarter of the payments have their receipts. */
	for (int i = 0; i < 60000 && atomic_load(&receipts_ok) < PAYERS * PAYMENTS / 4; i++)
		sleep_ms(1);
	started = now_ms();
	status = daemon_stop(&d);
	stop_ms = now_ms() - started;
	for (int p = 0; p < PAYERS; p++)
		assert_int_equal(pthread_join(workers[p].thread, NULL), 0);
	daemon_assert_log_clean(&d);
	assert_int_equal(status, 0);
	/* The waiting till was answered (NOT_FOUND) and did not hold the shutdown. */
	print_message("SIGTERM: the daemon stopped in %llu ms\n", (unsigned long long)stop_ms);
	assert_true(stop_ms < 10000);
	r = manne_wire_receive(&till);
	assert_non_null(r);
	assert_int_equal(r->id, 31);
	assert_int_equal(r->status, MANNE__STATUS__NOT_FOUND);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&till);
	for (int p = 0; p < PAYERS; p++) {
		if (workers[p].error[0] != '\0')
			fail_msg("%s", workers[p].error);
		receipted_total += workers[p].received;
	}

	/* The store passes the start-up check against the last checkpoint. */
	daemon_restart(&d);
	daemon_connect(&d, &w);
	assert_int_equal(daemon_authenticate(&w, &d.board[0]), MANNE__STATUS__OK);

	/* Each payer's applied payments are its first ones, and include every
	 * one that was receipted. */
	for (int p = 0; p < PAYERS; p++) {
		uint64_t spent = 0;
		r = daemon_read_account(&w, payers[p].public_key);
		assert_int_equal(r->status, MANNE__STATUS__OK);
		applied[p] = r->account->next_sequence - 1;
		assert_true(applied[p] >= workers[p].received);
		assert_true(applied[p] <= workers[p].sent);
		for (unsigned i = 0; i < applied[p]; i++)
			spent += workers[p].amount[i];
		assert_int_equal(r->account->balance, ISSUED_EACH - spent);
		manne__response__free_unpacked(r, NULL);
		shop_balance += spent;
		applied_total += applied[p];
	}
	/* SPEC §8 lets a committed payment miss its receipt; on a clean SIGTERM
	 * the daemon answers everything it applied, so the two are usually equal. */
	print_message("SIGTERM: %llu payments receipted, %llu applied, of %u\n", (unsigned long long)receipted_total,
		      (unsigned long long)applied_total, PAYERS * PAYMENTS);
	assert_true(applied_total < PAYERS * PAYMENTS); /* the signal came part-way */
	r = daemon_read_account(&w, shop.public_key);
	assert_int_equal(r->account->balance, shop_balance);
	manne__response__free_unpacked(r, NULL);

	/* The tree: the setup and the applied payments, nothing else. */
	r = daemon_read_status(&w);
	tree_size = r->status_info->tree_size;
	manne__response__free_unpacked(r, NULL);
	assert_int_equal(tree_size, setup_size + applied_total);

	/* Every leaf's txid, from the raw log. */
	log_txids = calloc(tree_size, 32);
	assert_non_null(log_txids);
	{
		uint64_t from = 0, count = 0;
		do {
			r = daemon_read_log(&w, from, 0);
			assert_int_equal(r->status, MANNE__STATUS__OK);
			for (size_t i = 0; i < r->log_entries->n_leaves; i++) {
				assert_true(count < tree_size);
				leaf_txid(&r->log_entries->leaves[i], log_txids[count]);
				count++;
			}
			from = r->log_entries->next_index;
			manne__response__free_unpacked(r, NULL);
		} while (from != 0);
		assert_int_equal(count, tree_size);
	}
	/* Every receipted payment is at the leaf its receipt named; each applied
	 * one is somewhere in the log (by txid); the others are nowhere. */
	for (int p = 0; p < PAYERS; p++) {
		struct worker *wk = &workers[p];
		for (unsigned i = 0; i < PAYMENTS; i++) {
			if (wk->receipted[i]) {
				assert_true(wk->leaf[i] >= setup_size && wk->leaf[i] < tree_size);
				assert_memory_equal(log_txids[wk->leaf[i]], wk->txid[i], 32);
			}
			if (i + 1 == applied[p] || (i == applied[p] && i < PAYMENTS) || i % 97 == 0) {
				r = daemon_read_tx(&w, wk->txid[i]);
				assert_int_equal(r->status, i < applied[p] ? MANNE__STATUS__OK : MANNE__STATUS__NOT_FOUND);
				if (wk->receipted[i])
					assert_int_equal(r->tx->leaf_index, wk->leaf[i]);
				manne__response__free_unpacked(r, NULL);
			}
		}
	}
	free(log_txids);

	/* The last checkpoint file verifies and signs the whole tree; it is the
	 * one the ledger publishes. */
	{
		char path[160], note[4096];
		struct checkpoint c, published;
		FILE *f;
		size_t n;
		snprintf(path, sizeof(path), "%s/checkpoint", d.dir);
		f = fopen(path, "r");
		assert_non_null(f);
		n = fread(note, 1, sizeof(note) - 1, f);
		fclose(f);
		note[n] = '\0';
		daemon_parse_checkpoint(note, d.checkpoint.public_key, &c);
		assert_int_equal(c.tree_size, tree_size);
		assert_int_equal(c.totals.issued, PAYERS * ISSUED_EACH);
		assert_int_equal(c.totals.outstanding, PAYERS * ISSUED_EACH);
		daemon_read_checkpoint(&w, d.checkpoint.public_key, &published);
		assert_int_equal(published.tree_size, c.tree_size);
		assert_memory_equal(published.root, c.root, 32);
	}

	/* And the ledger goes on: each payer's next payment. */
	for (int p = 0; p < PAYERS; p++) {
		if (applied[p] >= PAYMENTS)
			continue;
		daemon_send_submit(&w, 99, workers[p].bytes[applied[p]], workers[p].len[applied[p]], false);
		r = manne_wire_receive(&w);
		assert_non_null(r);
		assert_int_equal(r->status, MANNE__STATUS__OK);
		assert_false(r->receipt->duplicate);
		assert_int_equal(r->receipt->leaf_index, tree_size++);
		manne__response__free_unpacked(r, NULL);
	}
	/* A receipted one sent again: its original receipt. */
	if (workers[0].received > 0) {
		daemon_send_submit(&w, 100, workers[0].bytes[0], workers[0].len[0], false);
		r = manne_wire_receive(&w);
		assert_non_null(r);
		assert_int_equal(r->status, MANNE__STATUS__OK);
		assert_true(r->receipt->duplicate);
		assert_int_equal(r->receipt->leaf_index, workers[0].leaf[0]);
		manne__response__free_unpacked(r, NULL);
	}
	manne_wire_close(&w);
	for (int p = 0; p < PAYERS; p++)
		for (unsigned i = 0; i < PAYMENTS; i++)
			free(workers[p].bytes[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigterm_under_load),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
