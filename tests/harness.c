/*
 * harness.c: see harness.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The txid index writes out a run every 3 txids (not 1024): every test goes
 * through its runs and merges (store_txids.c). */
static const struct store_options test_store = {.map_bytes = 256ULL << 20, .no_sync = true, .txid_run_entries = 3};

struct h_key *h_key(struct harness *h, const char *name)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	struct h_key *k;

	for (unsigned i = 0; i < h->key_count; i++)
		if (strcmp(h->keys[i].name, name) == 0)
			return &h->keys[i];
	assert_true(h->key_count < H_KEYS_MAX);
	assert_true(strlen(name) < sizeof(k->name));
	k = &h->keys[h->key_count++];
	memset(k, 0, sizeof(*k));
	strcpy(k->name, name);
	crypto_hash_sha256(seed, (const uint8_t *)name, strlen(name));
	crypto_sign_seed_keypair(k->kp.public_key, k->kp.secret_key, seed);
	k->next_sequence = 1;
	return k;
}

const uint8_t *h_pk(struct harness *h, const char *name)
{
	return h_key(h, name)->kp.public_key;
}

static void body_common(struct harness *h, Manne__TxBody *body)
{
	manne__tx_body__init(body);
	body->origin = (char *)H_ORIGIN;
	if (!h->ledger->empty) {
		body->genesis_id.data = h->ledger->state.genesis_id;
		body->genesis_id.len = 32;
	}
	body->last_valid_ms = h->now_ms + 10 * 60 * 1000;
}

void h_body_account(struct harness *h, Manne__TxBody *body, const char *signer)
{
	struct h_key *k = h_key(h, signer);
	body_common(h, body);
	body->signer_case = MANNE__TX_BODY__SIGNER_ACCOUNT;
	body->account.data = k->kp.public_key;
	body->account.len = 32;
	body->sequence = k->next_sequence;
}

/* Nonces only need to be unique; a counter keeps the log reproducible. */
static uint8_t nonces[1 << 16][BOARD_NONCE_BYTES];

void h_body_board(struct harness *h, Manne__TxBody *body)
{
	uint8_t *nonce = nonces[h->nonce_counter % (1 << 16)];
	body_common(h, body);
	body->signer_case = MANNE__TX_BODY__SIGNER_BOARD;
	body->board = true;
	memset(nonce, 0, BOARD_NONCE_BYTES);
	memcpy(nonce, "nonce", 5);
	for (int i = 0; i < 8; i++)
		nonce[8 + i] = (uint8_t)(h->nonce_counter >> (8 * i));
	h->nonce_counter++;
	body->nonce.data = nonce;
	body->nonce.len = BOARD_NONCE_BYTES;
}

uint8_t *h_sign(struct harness *h, const Manne__TxBody *body, const char *const *signers, size_t *len)
{
	const struct manne_keypair *kps[32];
	size_t n = 0;
	uint8_t *bytes;

	for (; signers[n] != NULL; n++) {
		assert_true(n < 32);
		kps[n] = &h_key(h, signers[n])->kp;
	}
	assert_int_equal(tx_sign(body, kps, n, &bytes, len, h->last_txid), 0);
	return bytes;
}

enum manne_status h_submit_bytes(struct harness *h, const uint8_t *bytes, size_t len)
{
	struct batch batch;
	enum manne_status status;

	assert_int_equal(ledger_batch_begin(h->ledger, &batch), 0);
	status = ledger_batch_submit(&batch, bytes, len, h->now_ms, &h->receipt);
	assert_int_equal(ledger_batch_commit(&batch), STORE_OK);
	return status;
}

enum manne_status h_submit(struct harness *h, const Manne__TxBody *body, const char *const *signers)
{
	size_t len;
	uint8_t *bytes = h_sign(h, body, signers, &len);
	enum manne_status status = h_submit_bytes(h, bytes, len);

	free(bytes);
	if (status == MANNE_OK && !h->receipt.duplicate &&
	    body->signer_case == MANNE__TX_BODY__SIGNER_ACCOUNT) {
		for (unsigned i = 0; i < h->key_count; i++)
			if (memcmp(h->keys[i].kp.public_key, body->account.data, 32) == 0 &&
			    body->sequence == h->keys[i].next_sequence)
				h->keys[i].next_sequence++;
	}
	return status;
}

static ProtobufCBinaryData key_field(struct harness *h, const char *name)
{
	return (ProtobufCBinaryData){.len = 32, .data = h_key(h, name)->kp.public_key};
}

static ProtobufCBinaryData txid_field(const uint8_t txid[32])
{
	return (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)txid};
}

void h_setup(struct harness *h)
{
	h_setup_options(h, &test_store);
}

void h_setup_options(struct harness *h, const struct store_options *options)
{
	static const char *const board_all[] = {"board0", "board1", "board2", NULL};
	Manne__TxBody body;
	Manne__Genesis genesis = MANNE__GENESIS__INIT;
	Manne__DayRules rules = MANNE__DAY_RULES__INIT;
	ProtobufCBinaryData board[3];

	memset(h, 0, sizeof(*h));
	assert_true(sodium_init() >= 0);
	strcpy(h->dir, "/tmp/manne-test-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	assert_int_equal(ledger_open(h->dir, options, &h->ledger), 0);
	h->now_ms = H_START_MS;
	h->board_signers[0] = "board0";
	h->board_signers[1] = "board1";

	for (int i = 0; i < 3; i++)
		board[i] = key_field(h, board_all[i]);
	genesis.n_board_keys = 3;
	genesis.board_keys = board;
	genesis.threshold = 2;
	genesis.checkpoint_key = key_field(h, "checkpoint");
	genesis.association_key = key_field(h, "association");
	rules.utc_offset_minutes = 60;
	rules.eu_summer_time = true;
	genesis.day_rules = &rules;
	genesis.fee_bp = H_FEE_BP;
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_GENESIS;
	body.genesis = &genesis;
	assert_int_equal(h_submit(h, &body, board_all), MANNE_OK);
	assert_false(h->ledger->empty);
	assert_int_equal(h->ledger->state.tree_size, 1);
}

void h_teardown(struct harness *h)
{
	char cmd[128];
	ledger_close(h->ledger);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	assert_int_equal(system(cmd), 0);
}


enum manne_status h_open(struct harness *h, const char *name, Manne__Role role, uint64_t max_payment,
			 uint64_t max_daily, bool card_held)
{
	Manne__TxBody body;
	Manne__OpenAccount o = MANNE__OPEN_ACCOUNT__INIT;
	const char *signers[] = {h->board_signers[0], h->board_signers[1], h->board_signers[2], NULL, NULL};
	size_t n = 0;

	while (signers[n] != NULL)
		n++;
	signers[n] = name;
	o.key = key_field(h, name);
	o.role = role;
	o.max_payment = max_payment;
	o.max_daily = max_daily;
	o.card_held = card_held;
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
	body.open_account = &o;
	return h_submit(h, &body, signers);
}

enum manne_status h_fund(struct harness *h, uint64_t amount)
{
	Manne__TxBody body;
	Manne__FundReserve f = MANNE__FUND_RESERVE__INIT;
	f.amount = amount;
	f.bank_reference = (char *)"VIR-2026-0001";
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
	body.fund_reserve = &f;
	return h_submit(h, &body, h->board_signers);
}

enum manne_status h_release(struct harness *h, uint64_t amount)
{
	Manne__TxBody body;
	Manne__ReleaseReserve r = MANNE__RELEASE_RESERVE__INIT;
	r.amount = amount;
	r.bank_reference = (char *)"VIR-2026-0002";
	r.reason = MANNE__RELEASE_REASON__RELEASE_SURPLUS;
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_RELEASE_RESERVE;
	body.release_reserve = &r;
	return h_submit(h, &body, h->board_signers);
}

enum manne_status h_issue(struct harness *h, const char *name, uint64_t amount)
{
	Manne__TxBody body;
	Manne__Issue is = MANNE__ISSUE__INIT;
	is.account = key_field(h, name);
	is.amount = amount;
	is.reason = MANNE__ISSUE_REASON__ISSUE_PARTICIPATION;
	is.programme = (char *)"jardin-2026-11";
	is.reference = (char *)"chantier-42";
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	body.issue = &is;
	return h_submit(h, &body, h->board_signers);
}

enum manne_status h_reverse_issue(struct harness *h, const uint8_t issue_txid[32], uint64_t amount)
{
	Manne__TxBody body;
	Manne__ReverseIssue r = MANNE__REVERSE_ISSUE__INIT;
	r.issue_txid = txid_field(issue_txid);
	r.amount = amount;
	r.reason = (char *)"issued twice";
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_REVERSE_ISSUE;
	body.reverse_issue = &r;
	return h_submit(h, &body, h->board_signers);
}

enum manne_status h_pay_ref(struct harness *h, const char *payer, const char *payee, uint64_t amount,
			    const char *memo, const char *payee_reference)
{
	Manne__TxBody body;
	Manne__Pay p = MANNE__PAY__INIT;
	const char *signers[] = {payer, NULL};
	p.payee = key_field(h, payee);
	p.amount = amount;
	p.memo = (char *)memo;
	p.payee_reference = (char *)payee_reference;
	h_body_account(h, &body, payer);
	body.kind_case = MANNE__TX_BODY__KIND_PAY;
	body.pay = &p;
	return h_submit(h, &body, signers);
}

enum manne_status h_pay(struct harness *h, const char *payer, const char *payee, uint64_t amount)
{
	return h_pay_ref(h, payer, payee, amount, "panier", "");
}

enum manne_status h_refund(struct harness *h, const char *signer, const uint8_t payment_txid[32], uint64_t amount)
{
	Manne__TxBody body;
	Manne__Refund r = MANNE__REFUND__INIT;
	const char *signers[] = {signer, NULL};
	r.payment_txid = txid_field(payment_txid);
	r.amount = amount;
	h_body_account(h, &body, signer);
	body.kind_case = MANNE__TX_BODY__KIND_REFUND;
	body.refund = &r;
	return h_submit(h, &body, signers);
}

enum manne_status h_redeem(struct harness *h, const char *name, uint64_t amount)
{
	Manne__TxBody body;
	Manne__Redeem r = MANNE__REDEEM__INIT;
	const char *signers[] = {name, NULL};
	r.amount = amount;
	h_body_account(h, &body, name);
	body.kind_case = MANNE__TX_BODY__KIND_REDEEM;
	body.redeem = &r;
	return h_submit(h, &body, signers);
}

enum manne_status h_settle(struct harness *h, const uint8_t redeem_txid[32], bool paid)
{
	Manne__TxBody body;
	Manne__SettleRedemption s = MANNE__SETTLE_REDEMPTION__INIT;
	s.redeem_txid = txid_field(redeem_txid);
	s.outcome = paid ? MANNE__SETTLE_OUTCOME__SETTLE_PAID : MANNE__SETTLE_OUTCOME__SETTLE_REJECTED;
	s.bank_reference = (char *)(paid ? "VIR-RECONV-7" : "");
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_SETTLE_REDEMPTION;
	body.settle_redemption = &s;
	return h_submit(h, &body, h->board_signers);
}

enum manne_status h_freeze(struct harness *h, const char *name, const char *signer)
{
	Manne__TxBody body;
	Manne__Freeze f = MANNE__FREEZE__INIT;
	const char *board_one[] = {"board0", NULL};
	const char *own[] = {signer, NULL};
	f.account = key_field(h, name);
	if (signer == NULL)
		h_body_board(h, &body);
	else
		h_body_account(h, &body, signer);
	body.kind_case = MANNE__TX_BODY__KIND_FREEZE;
	body.freeze = &f;
	return h_submit(h, &body, signer == NULL ? board_one : own);
}

enum manne_status h_set_account(struct harness *h, const char *name, Manne__SetAccountAction action,
				uint64_t max_payment, uint64_t max_daily)
{
	Manne__TxBody body;
	Manne__SetAccount s = MANNE__SET_ACCOUNT__INIT;
	s.account = key_field(h, name);
	s.action = action;
	s.max_payment = max_payment;
	s.max_daily = max_daily;
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_SET_ACCOUNT;
	body.set_account = &s;
	return h_submit(h, &body, h->board_signers);
}

static enum manne_status board_and(struct harness *h, Manne__TxBody *body, const char *extra)
{
	const char *signers[] = {h->board_signers[0], h->board_signers[1], h->board_signers[2], NULL, NULL};
	size_t n = 0;
	while (signers[n] != NULL)
		n++;
	signers[n] = extra;
	return h_submit(h, body, signers);
}

enum manne_status h_recover(struct harness *h, const char *old_name, const char *new_name)
{
	Manne__TxBody body;
	Manne__RecoverAccount r = MANNE__RECOVER_ACCOUNT__INIT;
	r.old_account = key_field(h, old_name);
	r.new_account = key_field(h, new_name);
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_RECOVER_ACCOUNT;
	body.recover_account = &r;
	return board_and(h, &body, new_name);
}

enum manne_status h_retire_dormant(struct harness *h, const char *name)
{
	Manne__TxBody body;
	Manne__RetireDormant r = MANNE__RETIRE_DORMANT__INIT;
	r.account = key_field(h, name);
	r.reason = (char *)"dormant 12 months";
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_RETIRE_DORMANT;
	body.retire_dormant = &r;
	return h_submit(h, &body, h->board_signers);
}

enum manne_status h_set_ledger(struct harness *h, uint32_t fee_bp)
{
	Manne__TxBody body;
	Manne__SetLedger s = MANNE__SET_LEDGER__INIT;
	s.fee_bp = fee_bp;
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_SET_LEDGER;
	body.set_ledger = &s;
	return h_submit(h, &body, h->board_signers);
}

enum manne_status h_set_board(struct harness *h, const char *const *keys, uint32_t threshold,
			      const char *const *signers)
{
	Manne__TxBody body;
	Manne__SetBoard s = MANNE__SET_BOARD__INIT;
	ProtobufCBinaryData k[BOARD_KEYS_MAX + 1];
	size_t n = 0;
	for (; keys[n] != NULL; n++) {
		assert_true(n <= BOARD_KEYS_MAX);
		k[n] = key_field(h, keys[n]);
	}
	s.n_keys = n;
	s.keys = k;
	s.threshold = threshold;
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_SET_BOARD;
	body.set_board = &s;
	return h_submit(h, &body, signers);
}

enum manne_status h_set_checkpoint_key(struct harness *h, const char *name)
{
	Manne__TxBody body;
	Manne__SetCheckpointKey s = MANNE__SET_CHECKPOINT_KEY__INIT;
	s.key = key_field(h, name);
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY;
	body.set_checkpoint_key = &s;
	return board_and(h, &body, name);
}

enum manne_status h_void(struct harness *h, const uint8_t txid[32])
{
	Manne__TxBody body;
	Manne__VoidTx v = MANNE__VOID_TX__INIT;
	v.txid = txid_field(txid);
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_VOID_TX;
	body.void_tx = &v;
	return h_submit(h, &body, h->board_signers);
}

static int account_get(struct harness *h, const uint8_t *pk, struct account *out)
{
	struct store_txn *txn;
	int rc;
	assert_int_equal(store_begin(h->ledger->store, false, &txn), STORE_OK);
	rc = store_account_get(txn, pk, out);
	store_abort(txn);
	return rc;
}

struct account h_account(struct harness *h, const char *name)
{
	struct account a;
	assert_int_equal(account_get(h, h_pk(h, name), &a), STORE_OK);
	return a;
}

bool h_account_exists(struct harness *h, const char *name)
{
	struct account a;
	return account_get(h, h_pk(h, name), &a) == STORE_OK;
}

uint64_t h_balance(struct harness *h, const char *name)
{
	return h_account(h, name).balance;
}

const struct totals *h_totals(struct harness *h)
{
	return &h->ledger->state.totals;
}

struct sums {
	uint64_t balances;
	uint64_t pending;
};

static int add_account(void *ctx, const uint8_t key[32], const struct account *a)
{
	struct sums *s = ctx;
	(void)key;
	assert_false(__builtin_add_overflow(s->balances, a->balance, &s->balances));
	assert_false(__builtin_add_overflow(s->pending, a->pending, &s->pending));
	if (a->role == ROLE_ASSOCIATION || a->role == ROLE_AUDITOR)
		assert_int_equal(a->balance, 0);
	if (a->state == ACCOUNT_CLOSED)
		assert_int_equal(a->balance, 0);
	return 0;
}

void h_check_invariants(struct harness *h)
{
	struct sums sums = {0, 0};
	struct store_txn *txn;
	uint64_t outstanding, reserve, total;
	const struct totals *t = h_totals(h);

	assert_int_equal(store_begin(h->ledger->store, false, &txn), STORE_OK);
	assert_int_equal(store_account_each(txn, add_account, &sums), STORE_OK);
	store_abort(txn);
	assert_int_equal(totals_outstanding(t, &outstanding), 0);
	assert_int_equal(totals_reserve(t, &reserve), 0);
	assert_true(reserve >= outstanding);
	assert_int_equal(sums.pending, t->pending);
	assert_false(__builtin_add_overflow(sums.balances, sums.pending, &total));
	assert_int_equal(total, outstanding);
}

struct compare {
	struct store_txn *other;
	uint64_t count;
};

static int compare_account(void *ctx, const uint8_t key[32], const struct account *a)
{
	struct compare *c = ctx;
	struct account b;
	assert_int_equal(store_account_get(c->other, key, &b), STORE_OK);
	assert_memory_equal(a, &b, sizeof(b));
	c->count++;
	return 0;
}

static int count_account(void *ctx, const uint8_t key[32], const struct account *a)
{
	(void)key;
	(void)a;
	(*(uint64_t *)ctx)++;
	return 0;
}

void h_check_replay(struct harness *h)
{
	char dir[64] = "/tmp/manne-replay-XXXXXX", cmd[128];
	struct ledger *fresh;
	struct store_txn *src, *dst;
	struct batch batch;
	uint64_t size = h->ledger->state.tree_size, fresh_count = 0;
	uint8_t root_a[32], root_b[32];
	struct compare cmp = {0};

	assert_non_null(mkdtemp(dir));
	assert_int_equal(ledger_open(dir, &test_store, &fresh), 0);
	assert_int_equal(store_begin(h->ledger->store, false, &src), STORE_OK);
	assert_int_equal(ledger_batch_begin(fresh, &batch), 0);
	for (uint64_t i = 0; i < size; i++) {
		const uint8_t *leaf;
		size_t len;
		assert_int_equal(store_leaf_get(src, i, &leaf, &len), STORE_OK);
		assert_int_equal(ledger_batch_replay(&batch, leaf, len), MANNE_OK);
	}
	assert_int_equal(ledger_batch_commit(&batch), STORE_OK);
	assert_memory_equal(&fresh->state, &h->ledger->state, sizeof(struct ledger_state));

	assert_int_equal(store_begin(fresh->store, false, &dst), STORE_OK);
	cmp.other = dst;
	assert_int_equal(store_account_each(src, compare_account, &cmp), STORE_OK);
	assert_int_equal(store_account_each(dst, count_account, &fresh_count), STORE_OK);
	assert_int_equal(cmp.count, fresh_count);
	store_abort(dst);
	store_abort(src);

	assert_int_equal(ledger_root(h->ledger, size, root_a), 0);
	assert_int_equal(ledger_root(fresh, size, root_b), 0);
	assert_memory_equal(root_a, root_b, 32);
	ledger_close(fresh);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}
