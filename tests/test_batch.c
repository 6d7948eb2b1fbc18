/*
 * test_batch.c: many transactions in one batch, one durable commit (group
 * commit, SPEC §8): a refusal inside a batch touches nothing else, later
 * transactions of a batch see the effects of earlier ones, a duplicate inside
 * the batch gets the original receipt, an aborted batch leaves no trace, a
 * batch of 500 equals 500 batches of one, and a full map refuses writes
 * cleanly while reads go on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/* A transaction signed ahead of its batch. */
struct stx {
	uint8_t *bytes;
	size_t len;
	uint8_t txid[32];
};

static void stx_free(struct stx *s)
{
	free(s->bytes);
	s->bytes = NULL;
}

static struct stx sign_body(struct harness *h, const Manne__TxBody *body, const char *const *signers)
{
	struct stx s;
	s.bytes = h_sign(h, body, signers, &s.len);
	memcpy(s.txid, h->last_txid, 32);
	return s;
}

/* A payment with an explicit sequence (the harness's counter is not used). */
static struct stx sign_pay(struct harness *h, const char *payer, const char *payee, uint64_t amount, uint64_t sequence)
{
	Manne__TxBody body;
	Manne__Pay p = MANNE__PAY__INIT;
	const char *signers[] = {payer, NULL};
	p.payee.data = (uint8_t *)h_pk(h, payee);
	p.payee.len = 32;
	p.amount = amount;
	p.memo = (char *)"panier";
	p.payee_reference = (char *)"";
	h_body_account(h, &body, payer);
	body.sequence = sequence;
	body.kind_case = MANNE__TX_BODY__KIND_PAY;
	body.pay = &p;
	return sign_body(h, &body, signers);
}

static struct stx sign_issue(struct harness *h, const char *name, uint64_t amount)
{
	Manne__TxBody body;
	Manne__Issue is = MANNE__ISSUE__INIT;
	is.account.data = (uint8_t *)h_pk(h, name);
	is.account.len = 32;
	is.amount = amount;
	is.reason = MANNE__ISSUE_REASON__ISSUE_ALLOWANCE;
	is.programme = (char *)"panier-solidaire-2026-11";
	is.reference = (char *)"batch";
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	body.issue = &is;
	return sign_body(h, &body, h->board_signers);
}

static struct stx sign_open(struct harness *h, const char *name, Manne__Role role)
{
	Manne__TxBody body;
	Manne__OpenAccount o = MANNE__OPEN_ACCOUNT__INIT;
	const char *signers[] = {"board0", "board1", name, NULL};
	o.key.data = (uint8_t *)h_pk(h, name);
	o.key.len = 32;
	o.role = role;
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
	body.open_account = &o;
	return sign_body(h, &body, signers);
}

static bool txid_known(struct harness *h, const uint8_t txid[32])
{
	struct store_txn *txn;
	uint64_t index;
	int rc;
	assert_int_equal(store_begin(h->ledger->store, false, &txn), STORE_OK);
	rc = store_txid_get(txn, txid, &index);
	store_abort(txn);
	assert_true(rc == STORE_OK || rc == STORE_NOT_FOUND);
	return rc == STORE_OK;
}

static void root(struct harness *h, uint8_t out[32])
{
	assert_int_equal(ledger_root(h->ledger, h->ledger->state.tree_size, out), 0);
}

static void assert_receipt_equal(const struct receipt *a, const struct receipt *b)
{
	assert_memory_equal(a->txid, b->txid, 32);
	assert_int_equal(a->leaf_index, b->leaf_index);
	assert_memory_equal(a->leaf_hash, b->leaf_hash, 32);
	assert_int_equal(a->time_ms, b->time_ms);
}

static enum manne_status submit(struct batch *b, const struct stx *s, uint64_t time_ms, struct receipt *r)
{
	return ledger_batch_submit(b, s->bytes, s->len, time_ms, r);
}

/* alice and bob (members), shop (a shop), farm (a producer); alice and
 * shop hold credits, bob holds none. */
static void population(struct harness *h)
{
	assert_int_equal(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "bob", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "farm", MANNE__ROLE__ROLE_PRODUCER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_fund(h, 100000), MANNE_OK);
	assert_int_equal(h_issue(h, "alice", 5000), MANNE_OK);
	assert_int_equal(h_issue(h, "shop", 2000), MANNE_OK);
}

static int setup(void **state)
{
	static struct harness h;
	h_setup(&h);
	population(&h);
	*state = &h;
	return 0;
}

static int teardown(void **state)
{
	h_teardown(*state);
	return 0;
}

/* (a) A refusal between two good transactions leaves no trace; the good
 * ones get consecutive leaves; the refused bytes apply later, once valid. */
static void test_refused_in_the_middle(void **state)
{
	struct harness *h = *state;
	struct batch b;
	struct receipt r1, r2, r3, again;
	uint64_t size = h->ledger->state.tree_size, t = h->now_ms;
	uint64_t seq = h_key(h, "alice")->next_sequence;
	struct totals totals = h->ledger->state.totals;
	struct stx good1 = sign_pay(h, "alice", "shop", 100, seq);
	struct stx bad = sign_pay(h, "bob", "shop", 700, 1); /* bob holds nothing */
	struct stx good2 = sign_pay(h, "alice", "shop", 200, seq + 1);
	struct stx fund_bob = sign_issue(h, "bob", 1000);

	assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
	assert_int_equal(submit(&b, &good1, t, &r1), MANNE_OK);
	assert_int_equal(submit(&b, &bad, t + 1, &r2), MANNE_ERR_INSUFFICIENT_FUNDS);
	assert_memory_equal(r2.txid, bad.txid, 32);
	assert_int_equal(submit(&b, &good2, t + 2, &r3), MANNE_OK);
	/* Refused again within the batch: a refusal is not remembered, not even here. */
	assert_int_equal(submit(&b, &bad, t + 2, &again), MANNE_ERR_INSUFFICIENT_FUNDS);
	/* Nothing is visible outside the batch before the commit. */
	assert_int_equal(h->ledger->state.tree_size, size);
	assert_int_equal(h_balance(h, "alice"), 5000);
	assert_false(txid_known(h, good1.txid));
	assert_int_equal(ledger_batch_commit(&b), STORE_OK);

	assert_false(r1.duplicate);
	assert_false(r3.duplicate);
	assert_int_equal(r1.leaf_index, size);
	assert_int_equal(r3.leaf_index, size + 1);
	assert_int_equal(r1.time_ms, t);
	assert_int_equal(r3.time_ms, t + 2);
	assert_int_equal(h->ledger->state.tree_size, size + 2);
	assert_int_equal(h->ledger->state.last_time_ms, t + 2);
	assert_int_equal(h_balance(h, "alice"), 5000 - 300);
	assert_int_equal(h_balance(h, "shop"), 2000 + 300);
	assert_int_equal(h_balance(h, "bob"), 0);
	assert_int_equal(h_account(h, "bob").next_sequence, 1);
	assert_int_equal(h_account(h, "alice").next_sequence, seq + 2);
	assert_memory_equal(&h->ledger->state.totals, &totals, sizeof(totals));
	assert_true(txid_known(h, good1.txid));
	assert_true(txid_known(h, good2.txid));
	assert_false(txid_known(h, bad.txid));
	h_key(h, "alice")->next_sequence = seq + 2;

	/* Once bob holds credits, the very same bytes apply: a new leaf, no duplicate. */
	h->now_ms = t + 3;
	assert_int_equal(h_submit_bytes(h, fund_bob.bytes, fund_bob.len), MANNE_OK);
	assert_int_equal(h_submit_bytes(h, bad.bytes, bad.len), MANNE_OK);
	assert_false(h->receipt.duplicate);
	assert_int_equal(h->receipt.leaf_index, size + 3);
	assert_int_equal(h_balance(h, "bob"), 300);
	assert_int_equal(h_balance(h, "shop"), 3000);
	h_key(h, "bob")->next_sequence = 2;

	/* The good ones, sent again, get their receipts from the batch. */
	assert_int_equal(h_submit_bytes(h, good1.bytes, good1.len), MANNE_OK);
	assert_true(h->receipt.duplicate);
	assert_receipt_equal(&h->receipt, &r1);
	assert_int_equal(h_submit_bytes(h, good2.bytes, good2.len), MANNE_OK);
	assert_true(h->receipt.duplicate);
	assert_receipt_equal(&h->receipt, &r3);

	stx_free(&good1);
	stx_free(&bad);
	stx_free(&good2);
	stx_free(&fund_bob);
	h_check_invariants(h);
	h_check_replay(h);
}

/* (b) Later transactions of a batch see the earlier ones: sequence n then
 * n + 1, and a partner spending credits received earlier in the batch. */
static void test_dependent_in_one_batch(void **state)
{
	struct harness *h = *state;
	struct batch b;
	struct receipt r[5];
	uint64_t size = h->ledger->state.tree_size, t = h->now_ms;
	uint64_t seq = h_key(h, "alice")->next_sequence;
	uint64_t shop_seq = h_key(h, "shop")->next_sequence;
	struct stx pay1 = sign_pay(h, "alice", "shop", 1000, seq);
	struct stx pay2 = sign_pay(h, "alice", "shop", 1500, seq + 1);
	/* The shop holds 2000; this needs the 2500 alice pays it in this batch. */
	struct stx spend = sign_pay(h, "shop", "farm", 4500, shop_seq);
	struct stx early = sign_pay(h, "alice", "shop", 10, seq + 3);
	struct stx too_much = sign_pay(h, "shop", "farm", 1, shop_seq + 1);

	/* Out of order alone: sequence n + 1 before n is refused. */
	assert_int_equal(h_submit_bytes(h, pay2.bytes, pay2.len), MANNE_ERR_BAD_SEQUENCE);
	/* The shop cannot spend what it has not received yet. */
	assert_int_equal(h_submit_bytes(h, spend.bytes, spend.len), MANNE_ERR_INSUFFICIENT_FUNDS);
	assert_int_equal(h->ledger->state.tree_size, size);

	/* The clock goes back within the batch: leaf times never decrease. */
	assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
	assert_int_equal(submit(&b, &pay1, t + 5, &r[0]), MANNE_OK);
	assert_int_equal(submit(&b, &pay2, t, &r[1]), MANNE_OK);
	assert_int_equal(submit(&b, &spend, t + 1, &r[2]), MANNE_OK);
	assert_int_equal(submit(&b, &early, t, &r[3]), MANNE_ERR_BAD_SEQUENCE);
	assert_int_equal(submit(&b, &too_much, t, &r[4]), MANNE_ERR_INSUFFICIENT_FUNDS);
	assert_int_equal(ledger_batch_commit(&b), STORE_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r[i].time_ms, t + 5);
	assert_int_equal(h->ledger->state.last_time_ms, t + 5);

	for (int i = 0; i < 3; i++) {
		assert_false(r[i].duplicate);
		assert_int_equal(r[i].leaf_index, size + (uint64_t)i);
	}
	assert_int_equal(h->ledger->state.tree_size, size + 3);
	assert_int_equal(h_balance(h, "alice"), 5000 - 2500);
	assert_int_equal(h_balance(h, "shop"), 0);
	assert_int_equal(h_balance(h, "farm"), 4500);
	assert_int_equal(h_account(h, "alice").next_sequence, seq + 2);
	assert_int_equal(h_account(h, "shop").next_sequence, shop_seq + 1);
	assert_int_equal(h_account(h, "alice").used_today, 2500);
	assert_int_equal(h_account(h, "shop").used_today, 4500);
	assert_false(txid_known(h, early.txid));
	assert_false(txid_known(h, too_much.txid));
	h_key(h, "alice")->next_sequence = seq + 2;
	h_key(h, "shop")->next_sequence = shop_seq + 1;

	stx_free(&pay1);
	stx_free(&pay2);
	stx_free(&spend);
	stx_free(&early);
	stx_free(&too_much);
	h_check_invariants(h);
	h_check_replay(h);
}

/* (c) A transaction and its exact duplicate in the same batch: the second
 * answer is the first's receipt, marked duplicate; one leaf. */
static void test_duplicate_in_one_batch(void **state)
{
	struct harness *h = *state;
	struct batch b;
	struct receipt r1, r2, r3, r4;
	uint64_t size = h->ledger->state.tree_size, t = h->now_ms;
	uint64_t seq = h_key(h, "alice")->next_sequence;
	struct stx pay = sign_pay(h, "alice", "shop", 250, seq);
	struct stx issue = sign_issue(h, "bob", 400);
	struct totals totals;

	assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
	assert_int_equal(submit(&b, &pay, t, &r1), MANNE_OK);
	assert_int_equal(submit(&b, &issue, t + 5, &r3), MANNE_OK);
	/* Later in time, still the original receipt (and no expiry check first). */
	assert_int_equal(submit(&b, &pay, t + 11 * 60 * 1000, &r2), MANNE_OK);
	assert_int_equal(submit(&b, &issue, t + 11 * 60 * 1000, &r4), MANNE_OK);
	assert_int_equal(ledger_batch_commit(&b), STORE_OK);

	assert_false(r1.duplicate);
	assert_true(r2.duplicate);
	assert_receipt_equal(&r1, &r2);
	assert_false(r3.duplicate);
	assert_true(r4.duplicate);
	assert_receipt_equal(&r3, &r4);
	assert_int_equal(r1.leaf_index, size);
	assert_int_equal(r3.leaf_index, size + 1);
	assert_int_equal(r3.time_ms, t + 5);
	assert_int_equal(h->ledger->state.tree_size, size + 2);
	/* A duplicate does not move time either. */
	assert_int_equal(h->ledger->state.last_time_ms, t + 5);
	assert_int_equal(h_balance(h, "alice"), 5000 - 250);
	assert_int_equal(h_balance(h, "bob"), 400);
	assert_int_equal(h_account(h, "alice").next_sequence, seq + 1);
	h_key(h, "alice")->next_sequence = seq + 1;

	/* And again after the commit, in a batch of its own. */
	totals = h->ledger->state.totals;
	h->now_ms = t + 20 * 60 * 1000;
	assert_int_equal(h_submit_bytes(h, pay.bytes, pay.len), MANNE_OK);
	assert_true(h->receipt.duplicate);
	assert_receipt_equal(&h->receipt, &r1);
	assert_int_equal(h->ledger->state.tree_size, size + 2);
	assert_memory_equal(&h->ledger->state.totals, &totals, sizeof(totals));

	stx_free(&pay);
	stx_free(&issue);
	h_check_invariants(h);
	h_check_replay(h);
}

/* (d) An aborted batch leaves the committed state as it was, and the same
 * transactions apply afterwards, exactly where they would have. */
static void test_abort(void **state)
{
	struct harness *h = *state;
	struct batch b;
	struct receipt aborted[4], applied[4];
	uint64_t size = h->ledger->state.tree_size, t = h->now_ms;
	uint64_t seq = h_key(h, "alice")->next_sequence;
	struct ledger_state before = h->ledger->state;
	uint8_t root_before[32], root_after[32];
	struct stx txs[4];

	txs[0] = sign_open(h, "dora", MANNE__ROLE__ROLE_MEMBER);
	txs[1] = sign_issue(h, "dora", 700);
	txs[2] = sign_pay(h, "alice", "shop", 300, seq);
	txs[3] = sign_pay(h, "dora", "farm", 200, 1);
	root(h, root_before);

	assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(submit(&b, &txs[i], t + (uint64_t)i, &aborted[i]), MANNE_OK);
	ledger_batch_abort(&b);

	assert_memory_equal(&h->ledger->state, &before, sizeof(before));
	root(h, root_after);
	assert_memory_equal(root_before, root_after, 32);
	assert_false(h_account_exists(h, "dora"));
	assert_int_equal(h_balance(h, "alice"), 5000);
	assert_int_equal(h_account(h, "alice").next_sequence, seq);
	for (int i = 0; i < 4; i++)
		assert_false(txid_known(h, txs[i].txid));
	h_check_invariants(h);

	/* The same bytes at the same times: the same leaves, the same receipts. */
	assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(submit(&b, &txs[i], t + (uint64_t)i, &applied[i]), MANNE_OK);
		assert_false(applied[i].duplicate);
		assert_int_equal(applied[i].leaf_index, size + (uint64_t)i);
		assert_receipt_equal(&applied[i], &aborted[i]);
	}
	assert_int_equal(ledger_batch_commit(&b), STORE_OK);
	assert_int_equal(h->ledger->state.tree_size, size + 4);
	assert_int_equal(h_balance(h, "dora"), 500);
	assert_int_equal(h_balance(h, "alice"), 4700);
	assert_int_equal(h_account(h, "alice").next_sequence, seq + 1);
	h_key(h, "alice")->next_sequence = seq + 1;
	h_key(h, "dora")->next_sequence = 2;

	/* Aborting an empty batch, and one holding only refusals, changes nothing. */
	before = h->ledger->state;
	assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
	ledger_batch_abort(&b);
	assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
	assert_int_equal(submit(&b, &txs[2], t + 10, &applied[0]), MANNE_OK); /* duplicate */
	assert_true(applied[0].duplicate);
	ledger_batch_abort(&b);
	assert_memory_equal(&h->ledger->state, &before, sizeof(before));

	for (int i = 0; i < 4; i++)
		stx_free(&txs[i]);
	h_check_invariants(h);
	h_check_replay(h);
}

/* ------------------------------------------------------------------ */
/* (e) 500 payments in one batch against the same 500 one per batch.   */

#define BIG_BATCH 500
#define BIG_MEMBERS 10
#define BIG_SHOPS 3

struct compare_ctx {
	struct store_txn *other;
	uint64_t count;
};

static int compare_one(void *ctx, const uint8_t key[32], const struct account *a)
{
	struct compare_ctx *c = ctx;
	struct account b;
	assert_int_equal(store_account_get(c->other, key, &b), STORE_OK);
	assert_memory_equal(a, &b, sizeof(b));
	c->count++;
	return 0;
}

static int count_one(void *ctx, const uint8_t key[32], const struct account *a)
{
	(void)key;
	(void)a;
	(*(uint64_t *)ctx)++;
	return 0;
}

static void assert_same_ledger(struct harness *a, struct harness *b)
{
	struct store_txn *ta, *tb;
	struct compare_ctx c = {0};
	uint64_t count_b = 0;
	uint8_t ra[32], rb[32];

	assert_memory_equal(&a->ledger->state, &b->ledger->state, sizeof(struct ledger_state));
	assert_int_equal(store_begin(a->ledger->store, false, &ta), STORE_OK);
	assert_int_equal(store_begin(b->ledger->store, false, &tb), STORE_OK);
	c.other = tb;
	assert_int_equal(store_account_each(ta, compare_one, &c), STORE_OK);
	assert_int_equal(store_account_each(tb, count_one, &count_b), STORE_OK);
	assert_int_equal(c.count, count_b);
	for (uint64_t i = 0; i < a->ledger->state.tree_size; i++) {
		const uint8_t *la, *lb;
		size_t na, nb;
		assert_int_equal(store_leaf_get(ta, i, &la, &na), STORE_OK);
		assert_int_equal(store_leaf_get(tb, i, &lb, &nb), STORE_OK);
		assert_int_equal(na, nb);
		assert_memory_equal(la, lb, na);
	}
	store_abort(ta);
	store_abort(tb);
	root(a, ra);
	root(b, rb);
	assert_memory_equal(ra, rb, 32);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_big_batch(void **state)
{
	static struct harness one, many;
	static struct stx txs[BIG_BATCH];
	static struct receipt r_one[BIG_BATCH], r_many[BIG_BATCH];
	static enum manne_status s_one[BIG_BATCH];
	static const char *const members[BIG_MEMBERS] = {"m0", "m1", "m2", "m3", "m4",
							 "m5", "m6", "m7", "m8", "m9"};
	static const char *const shops[BIG_SHOPS] = {"s0", "s1", "s2"};
	struct harness *hs[2] = {&one, &many};
	struct batch b;
	uint64_t balance[BIG_MEMBERS + BIG_SHOPS];
	uint64_t t, size;
	unsigned applied = 0, refused = 0;
	uint32_t rnd = 12345;
	struct timespec t0;
	(void)state;

	for (int k = 0; k < 2; k++) {
		struct harness *h = hs[k];
		h_setup(h);
		assert_int_equal(h_fund(h, 10000000), MANNE_OK);
		for (int i = 0; i < BIG_MEMBERS; i++) {
			/* Some members with limits, so that some payments hit them. */
			assert_int_equal(h_open(h, members[i], MANNE__ROLE__ROLE_MEMBER, i % 3 == 0 ? 900 : 0,
						i % 3 == 0 ? 6000 : 0, false),
					 MANNE_OK);
			assert_int_equal(h_issue(h, members[i], 20000 + 1000 * (uint64_t)i), MANNE_OK);
		}
		for (int i = 0; i < BIG_SHOPS; i++)
			assert_int_equal(h_open(h, shops[i], MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	}
	assert_same_ledger(&one, &many);

	/* Sign and apply to `one`, all in one batch; a signer's sequence moves
	 * only when its payment applies. */
	t = one.now_ms;
	size = one.ledger->state.tree_size;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ledger_batch_begin(one.ledger, &b), 0);
	for (int i = 0; i < BIG_BATCH; i++) {
		int payer_is_shop, p, q;
		const char *payer, *payee;
		uint64_t amount;

		rnd = rnd * 1103515245u + 12345u;
		payer_is_shop = (rnd >> 16) % 5 == 0;
		p = (int)((rnd >> 8) % (payer_is_shop ? BIG_SHOPS : BIG_MEMBERS));
		q = (int)((rnd >> 4) % BIG_SHOPS);
		payer = payer_is_shop ? shops[p] : members[p];
		payee = shops[q];
		if (payer_is_shop && p == q)
			payee = shops[(q + 1) % BIG_SHOPS];
		amount = 1 + (rnd >> 3) % 1200;
		txs[i] = sign_pay(&one, payer, payee, amount, h_key(&one, payer)->next_sequence);
		s_one[i] = submit(&b, &txs[i], t + (uint64_t)i * 1000, &r_one[i]);
		if (s_one[i] == MANNE_OK) {
			assert_false(r_one[i].duplicate);
			assert_int_equal(r_one[i].leaf_index, size + applied);
			h_key(&one, payer)->next_sequence++;
			applied++;
		} else {
			assert_true(s_one[i] == MANNE_ERR_INSUFFICIENT_FUNDS || s_one[i] == MANNE_ERR_LIMIT_EXCEEDED);
			refused++;
		}
		/* One commit at the end: nothing is committed yet. */
		assert_int_equal(one.ledger->state.tree_size, size);
	}
	assert_int_equal(ledger_batch_commit(&b), STORE_OK);
	print_message("test_batch: %d payments in one batch: %u applied, %u refused, %.3f s\n", BIG_BATCH, applied,
		      refused, seconds_since(&t0));
	assert_true(applied >= BIG_BATCH / 2);
	assert_true(refused > 0);
	assert_int_equal(one.ledger->state.tree_size, size + applied);

	/* The same bytes, at the same times, one batch each. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < BIG_BATCH; i++) {
		many.now_ms = t + (uint64_t)i * 1000;
		assert_int_equal(h_submit_bytes(&many, txs[i].bytes, txs[i].len), s_one[i]);
		r_many[i] = many.receipt;
		assert_memory_equal(r_many[i].txid, r_one[i].txid, 32);
		if (s_one[i] == MANNE_OK)
			assert_receipt_equal(&r_many[i], &r_one[i]);
	}
	print_message("test_batch: the same %d in %d batches: %.3f s\n", BIG_BATCH, BIG_BATCH, seconds_since(&t0));
	assert_same_ledger(&one, &many);

	/* The balances add up: members + shops + retired nothing. */
	for (int i = 0; i < BIG_MEMBERS; i++)
		balance[i] = h_balance(&one, members[i]);
	for (int i = 0; i < BIG_SHOPS; i++)
		balance[BIG_MEMBERS + i] = h_balance(&one, shops[i]);
	uint64_t sum = 0;
	for (int i = 0; i < BIG_MEMBERS + BIG_SHOPS; i++)
		sum += balance[i];
	assert_int_equal(sum, one.ledger->state.totals.issued);

	for (int k = 0; k < 2; k++) {
		h_check_invariants(hs[k]);
		h_check_replay(hs[k]);
	}
	for (int i = 0; i < BIG_BATCH; i++)
		stx_free(&txs[i]);
	h_teardown(&one);
	h_teardown(&many);
}

/* ------------------------------------------------------------------ */
/* (f) A full map: the batch that hits it fails as a whole, the committed
 * state stays the last good commit, reads go on, later batches refuse
 * cleanly, and a larger map brings the ledger back.                   */

#define FULL_MAP_BYTES (256ULL << 10)
#define FULL_BATCH 20
#define FULL_BATCH_MAX 400

static void test_storage_full(void **state)
{
	static struct harness hf;
	struct harness *h = &hf;
	const struct store_options tiny = {.map_bytes = FULL_MAP_BYTES, .no_sync = true};
	const struct store_options larger = {.map_bytes = 8ULL << 20, .no_sync = true};
	struct ledger_state good;
	uint8_t root_good[32], root_now[32];
	uint64_t alice_good, shop_good, seq, commits = 0;
	static struct stx pending[FULL_BATCH_MAX];
	struct stx committed = {0};
	unsigned batch_size = FULL_BATCH, commit_full = 0;
	bool full = false;
	(void)state;

	h_setup_options(h, &tiny);
	assert_int_equal(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	assert_int_equal(h_fund(h, 100000000), MANNE_OK);
	assert_int_equal(h_issue(h, "alice", 50000000), MANNE_OK);

	/* Batches of payments until a payment hits the end of the map. Near
	 * the end, the commit itself may be the write that does not fit:
	 * then the batch fails as a whole too, and larger batches follow. */
	while (!full) {
		struct batch b;
		struct receipt r;
		uint64_t size = h->ledger->state.tree_size;
		unsigned n = 0;
		int rc;

		good = h->ledger->state;
		root(h, root_good);
		alice_good = h_balance(h, "alice");
		shop_good = h_balance(h, "shop");
		seq = h_key(h, "alice")->next_sequence;

		assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
		for (; n < batch_size; n++) {
			enum manne_status s;
			pending[n] = sign_pay(h, "alice", "shop", 1 + n % 100, seq + n);
			s = submit(&b, &pending[n], h->now_ms, &r);
			if (s == MANNE_ERR_STORAGE_FULL) {
				full = true;
				break;
			}
			assert_int_equal(s, MANNE_OK);
			assert_int_equal(r.leaf_index, size + n);
		}
		if (!full) {
			rc = ledger_batch_commit(&b);
			if (rc == STORE_OK) {
				stx_free(&committed);
				committed = pending[batch_size - 1];
				pending[batch_size - 1].bytes = NULL;
			}
			for (unsigned i = 0; i < batch_size; i++)
				stx_free(&pending[i]);
			h->now_ms += 1000;
			if (rc == STORE_FULL) {
				/* The commit found the map full: nothing of the batch stays. */
				commit_full++;
				assert_memory_equal(&h->ledger->state, &good, sizeof(good));
				assert_int_equal(h_balance(h, "alice"), alice_good);
				batch_size = FULL_BATCH_MAX;
				continue;
			}
			assert_int_equal(rc, STORE_OK);
			h_key(h, "alice")->next_sequence = seq + batch_size;
			commits++;
			assert_int_equal(h->ledger->state.tree_size, size + batch_size);
			assert_true(commits < 100000); /* the map is finite */
			continue;
		}
		/* Every later transaction of this batch is refused the same way,
		 * valid or not; a malformed one still gets its own answer. */
		{
			struct stx later = sign_pay(h, "alice", "shop", 1, seq + n + 1);
			struct stx issue = sign_issue(h, "alice", 5);
			assert_int_equal(submit(&b, &later, h->now_ms, &r), MANNE_ERR_STORAGE_FULL);
			assert_int_equal(submit(&b, &issue, h->now_ms, &r), MANNE_ERR_STORAGE_FULL);
			/* Even one applied earlier in this batch: nothing of it may say success. */
			assert_int_equal(submit(&b, &pending[0], h->now_ms, &r), MANNE_ERR_STORAGE_FULL);
			assert_int_equal(ledger_batch_submit(&b, later.bytes, later.len - 1, h->now_ms, &r),
					 MANNE_ERR_MALFORMED);
			stx_free(&later);
			stx_free(&issue);
		}
		assert_int_equal(ledger_batch_commit(&b), STORE_FULL);
		print_message("test_batch: map of %llu KiB full after %" PRIu64 " commits (%u failed at the commit), "
			      "at payment %u of a batch (tree size %" PRIu64 ")\n",
			      (unsigned long long)(FULL_MAP_BYTES >> 10), commits, commit_full, n, size);
		for (unsigned i = 0; i <= n; i++)
			stx_free(&pending[i]);
	}

	/* The committed state is the last good commit; reads still work. */
	assert_memory_equal(&h->ledger->state, &good, sizeof(good));
	root(h, root_now);
	assert_memory_equal(root_now, root_good, 32);
	assert_int_equal(h_balance(h, "alice"), alice_good);
	assert_int_equal(h_balance(h, "shop"), shop_good);
	assert_int_equal(h_account(h, "alice").next_sequence, seq);
	h_check_invariants(h);

	/* Later batches: one payment at a time, until even one does not fit;
	 * then every further attempt refuses cleanly and changes nothing. */
	{
		struct stx one;
		struct receipt r;
		struct batch b;
		enum manne_status s;
		int rc;
		int full_again = 0;

		for (int tries = 0; tries < 10000 && full_again < 5; tries++) {
			good = h->ledger->state;
			root(h, root_good);
			seq = h_key(h, "alice")->next_sequence;
			one = sign_pay(h, "alice", "shop", 1, seq);
			assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
			s = submit(&b, &one, h->now_ms, &r);
			assert_true(s == MANNE_OK || s == MANNE_ERR_STORAGE_FULL);
			rc = ledger_batch_commit(&b);
			if (s == MANNE_OK && rc == STORE_OK) {
				assert_int_equal(h->ledger->state.tree_size, good.tree_size + 1);
				h_key(h, "alice")->next_sequence = seq + 1;
				assert_int_equal(full_again, 0); /* once full, it stays full */
			} else {
				/* Either the payment or the state write found the map full. */
				assert_int_equal(rc, STORE_FULL);
				assert_memory_equal(&h->ledger->state, &good, sizeof(good));
				root(h, root_now);
				assert_memory_equal(root_now, root_good, 32);
				assert_false(txid_known(h, one.txid));
				full_again++;
			}
			stx_free(&one);
		}
		assert_int_equal(full_again, 5);

		/* The smallest writes there are, until they do not fit either. */
		full_again = 0;
		for (int tries = 0; tries < 10000 && full_again < 3; tries++) {
			Manne__TxBody body;
			Manne__VoidTx v = MANNE__VOID_TX__INIT;
			uint8_t txid[32] = {0};
			txid[0] = (uint8_t)tries;
			txid[1] = (uint8_t)(tries >> 8);
			v.txid.data = txid;
			v.txid.len = 32;
			h_body_board(h, &body);
			body.kind_case = MANNE__TX_BODY__KIND_VOID_TX;
			body.void_tx = &v;
			good = h->ledger->state;
			one = sign_body(h, &body, h->board_signers);
			assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
			s = submit(&b, &one, h->now_ms, &r);
			assert_true(s == MANNE_OK || s == MANNE_ERR_STORAGE_FULL);
			rc = ledger_batch_commit(&b);
			if (s != MANNE_OK || rc != STORE_OK) {
				assert_int_equal(rc, STORE_FULL);
				assert_memory_equal(&h->ledger->state, &good, sizeof(good));
				full_again++;
			}
			stx_free(&one);
		}
		assert_int_equal(full_again, 3);

		/* Reads still answer, among them a duplicate's original receipt. */
		h_check_invariants(h);
		assert_int_equal(h_account(h, "alice").next_sequence, h_key(h, "alice")->next_sequence);
		assert_non_null(committed.bytes);
		assert_true(txid_known(h, committed.txid));
		assert_int_equal(ledger_batch_begin(h->ledger, &b), 0);
		assert_int_equal(submit(&b, &committed, h->now_ms, &r), MANNE_OK);
		assert_true(r.duplicate);
		/* Nothing to write: the commit succeeds, and the receipt stands. */
		assert_int_equal(ledger_batch_commit(&b), STORE_OK);
		assert_memory_equal(&h->ledger->state, &good, sizeof(good));
		stx_free(&committed);
	}
	h_check_replay(h);

	/* A larger map, and the ledger goes on where it stopped. */
	ledger_close(h->ledger);
	assert_int_equal(ledger_open(h->dir, &larger, &h->ledger), 0);
	assert_memory_equal(&h->ledger->state, &good, sizeof(good));
	alice_good = h_balance(h, "alice");
	assert_int_equal(h_pay(h, "alice", "shop", 7), MANNE_OK);
	assert_int_equal(h_balance(h, "alice"), alice_good - 7);
	assert_int_equal(h->ledger->state.tree_size, good.tree_size + 1);
	h_check_invariants(h);
	h_check_replay(h);
	h_teardown(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_in_the_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dependent_in_one_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_in_one_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test(test_big_batch),
		cmocka_unit_test(test_storage_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
