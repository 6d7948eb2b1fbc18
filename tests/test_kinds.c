/*
 * test_kinds.c: every transaction kind's success path with its exact effect
 * on balances, accounts and totals (SPEC §2-§4), and every refusal code the
 * state machine can return, each produced at least once, with the check
 * that a refused transaction changed nothing (SPEC §5), and a few cases of
 * §5's precedence order. Each test runs on a fresh ledger (h_setup: board
 * board0..2 with M = 2, ledger day UTC+1 with EU summer time, fee 150 bp)
 * and ends with the invariants and a full replay of the log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MIN_MS 60000ULL
#define HOUR_MS 3600000ULL
#define AMOUNT_MAX 100000000000ULL

/* UTC instants (ms) used below; "local" is the ledger day (UTC+1, UTC+2 in summer). */
#define T_2026_11_02_2300 1793660400000ULL /* 2026-11-03 00:00 local (winter) */
#define T_2026_11_02_2330 1793662200000ULL
#define T_2027_03_27_2300 1806188400000ULL /* 2027-03-28 00:00 local; summer time starts that day */
#define T_2027_03_28_2200 1806271200000ULL /* 2027-03-29 00:00 local (summer) */
#define T_2027_06_15_2200 1813096800000ULL /* 2027-06-16 00:00 local (summer) */
#define T_2027_10_30_2200 1824933600000ULL /* 2027-10-31 00:00 local; summer time ends that day */
#define T_2027_10_31_2300 1825023600000ULL /* 2027-11-01 00:00 local (winter) */
#define T_2027_11_01_2300 1825110000000ULL /* 2027-11-02 00:00 local */
#define T_2027_11_02_2300 1825196400000ULL /* 2027-11-03 00:00 local */
#define T_2028_02_29_1200 1835438400000ULL
#define T_2029_02_28_2300 1867014000000ULL /* 2029-03-01 00:00 local */

/* ------------------------------------------------------------------------
 * Fixture and helpers */

static int setup(void **state)
{
	struct harness *h = malloc(sizeof(*h));
	assert_non_null(h);
	h_setup(h);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;
	h_teardown(h);
	free(h);
	return 0;
}

static void finish(struct harness *h)
{
	h_check_invariants(h);
	h_check_replay(h);
}

/* What a refusal must leave alone: the ledger state (tree size, totals,
 * board, fee, keys), every account, and the txid of the refused transaction
 * (never remembered: neither as applied nor as a record). */
struct snap {
	struct ledger_state state;
	uint8_t accounts[32];
	uint64_t account_count;
};

struct account_hash {
	crypto_hash_sha256_state sha;
	uint64_t count;
};

static int hash_account(void *ctx, const uint8_t key[32], const struct account *a)
{
	struct account_hash *ah = ctx;
	crypto_hash_sha256_update(&ah->sha, key, 32);
	crypto_hash_sha256_update(&ah->sha, (const uint8_t *)a, sizeof(*a));
	ah->count++;
	return 0;
}

static struct snap snap(struct harness *h)
{
	struct snap s;
	struct account_hash ah;
	struct store_txn *txn;

	memset(&s, 0, sizeof(s));
	s.state = h->ledger->state;
	crypto_hash_sha256_init(&ah.sha);
	ah.count = 0;
	assert_int_equal(store_begin(h->ledger->store, false, &txn), STORE_OK);
	assert_int_equal(store_account_each(txn, hash_account, &ah), STORE_OK);
	store_abort(txn);
	crypto_hash_sha256_final(&ah.sha, s.accounts);
	s.account_count = ah.count;
	return s;
}

/* The state and every account are as they were. */
static void assert_same(struct harness *h, const struct snap *before)
{
	struct snap now = snap(h);

	assert_memory_equal(&now.state, &before->state, sizeof(now.state));
	assert_int_equal(now.account_count, before->account_count);
	assert_memory_equal(now.accounts, before->accounts, 32);
}

/* ... and the refused transaction left no trace of its txid. */
static void assert_unchanged(struct harness *h, const struct snap *before)
{
	struct store_txn *txn;
	struct tx_record record;
	uint64_t index;
	static const uint8_t zero[32];

	assert_same(h, before);
	if (memcmp(h->receipt.txid, zero, 32) != 0) {
		assert_int_equal(store_begin(h->ledger->store, false, &txn), STORE_OK);
		assert_int_equal(store_txid_get(txn, h->receipt.txid, &index), STORE_NOT_FOUND);
		assert_int_equal(store_record_get(txn, h->receipt.txid, &record), STORE_NOT_FOUND);
		store_abort(txn);
	}
}

/* expr must return `code` and change nothing. */
#define REFUSED(h, code, expr)                                                                                 \
	do {                                                                                                   \
		struct snap snap_before_ = snap(h);                                                            \
		assert_int_equal((expr), (code));                                                              \
		assert_unchanged((h), &snap_before_);                                                          \
	} while (0)

#define OK(expr) assert_int_equal((expr), MANNE_OK)

static void txid_copy(uint8_t out[32], const struct harness *h)
{
	memcpy(out, h->last_txid, 32);
}

static ProtobufCBinaryData bin(const uint8_t *data, size_t len)
{
	return (ProtobufCBinaryData){.len = len, .data = (uint8_t *)data};
}

static ProtobufCBinaryData key_of(struct harness *h, const char *name)
{
	return bin(h_pk(h, name), 32);
}

static void people(struct harness *h)
{
	OK(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "bob", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false));
	OK(h_open(h, "farm", MANNE__ROLE__ROLE_PRODUCER, 0, 0, false));
	OK(h_open(h, "audit", MANNE__ROLE__ROLE_AUDITOR, 0, 0, false));
	OK(h_fund(h, 1000000));
	OK(h_issue(h, "alice", 10000));
}

/* The bytes of a body and signatures over them, for tampering. */
static uint8_t *pack_body(const Manne__TxBody *body, size_t *len)
{
	*len = manne__tx_body__get_packed_size(body);
	uint8_t *out = malloc(*len + 64);
	assert_non_null(out);
	manne__tx_body__pack(body, out);
	return out;
}

static void sign_as(struct harness *h, const char *name, const uint8_t *body, size_t len, uint8_t sig[64])
{
	uint8_t *message = malloc(TX_DOMAIN_BYTES + len);
	assert_non_null(message);
	memcpy(message, TX_DOMAIN, TX_DOMAIN_BYTES);
	memcpy(message + TX_DOMAIN_BYTES, body, len);
	crypto_sign_detached(sig, NULL, message, TX_DOMAIN_BYTES + len, h_key(h, name)->kp.secret_key);
	free(message);
}

/* A SignedTx from body bytes and (key, signature) pairs exactly as given. */
static uint8_t *assemble(const uint8_t *body, size_t body_len, const uint8_t *const *keys, const uint8_t *const *sigs,
			 size_t n, size_t *out_len)
{
	Manne__SignedTx s = MANNE__SIGNED_TX__INIT;
	Manne__Signature sig[32];
	Manne__Signature *ptr[32];
	uint8_t *out;

	assert_true(n <= 32);
	for (size_t i = 0; i < n; i++) {
		manne__signature__init(&sig[i]);
		sig[i].key = bin(keys[i], 32);
		sig[i].signature = bin(sigs[i], 64);
		ptr[i] = &sig[i];
	}
	s.body = bin(body, body_len);
	s.n_signatures = n;
	s.signatures = ptr;
	*out_len = manne__signed_tx__get_packed_size(&s);
	out = malloc(*out_len);
	assert_non_null(out);
	manne__signed_tx__pack(&s, out);
	return out;
}

/* Signs body bytes with the named keys and submits them. */
static enum manne_status submit_body_bytes(struct harness *h, const uint8_t *body, size_t len,
					   const char *const *signers)
{
	const struct manne_keypair *kps[8];
	size_t n = 0, out_len;
	uint8_t *out;
	enum manne_status status;

	for (; signers[n] != NULL; n++) {
		assert_true(n < 8);
		kps[n] = &h_key(h, signers[n])->kp;
	}
	assert_int_equal(tx_sign_body_bytes(body, len, kps, n, &out, &out_len), 0);
	crypto_hash_sha256(h->last_txid, body, len);
	status = h_submit_bytes(h, out, out_len);
	free(out);
	return status;
}

/* Signs and submits a body as the harness would, but keeps the bytes. */
static uint8_t *signed_bytes(struct harness *h, const Manne__TxBody *body, const char *const *signers, size_t *len)
{
	return h_sign(h, body, signers, len);
}

struct pay_tx {
	Manne__TxBody body;
	Manne__Pay pay;
};

static void pay_init(struct harness *h, struct pay_tx *t, const char *payer, const char *payee, uint64_t amount)
{
	h_body_account(h, &t->body, payer);
	manne__pay__init(&t->pay);
	t->pay.payee = key_of(h, payee);
	t->pay.amount = amount;
	t->pay.memo = (char *)"panier";
	t->body.kind_case = MANNE__TX_BODY__KIND_PAY;
	t->body.pay = &t->pay;
}

struct issue_tx {
	Manne__TxBody body;
	Manne__Issue issue;
};

static void issue_init(struct harness *h, struct issue_tx *t, const char *name, uint64_t amount)
{
	h_body_board(h, &t->body);
	manne__issue__init(&t->issue);
	t->issue.account = key_of(h, name);
	t->issue.amount = amount;
	t->issue.reason = MANNE__ISSUE_REASON__ISSUE_ALLOWANCE;
	t->issue.programme = (char *)"panier-solidaire-2026-11";
	t->issue.reference = (char *)"ref";
	t->body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	t->body.issue = &t->issue;
}

struct open_tx {
	Manne__TxBody body;
	Manne__OpenAccount open;
};

static void open_init(struct harness *h, struct open_tx *t, const uint8_t key[32], Manne__Role role)
{
	h_body_board(h, &t->body);
	manne__open_account__init(&t->open);
	t->open.key = bin(key, 32);
	t->open.role = role;
	t->body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
	t->body.open_account = &t->open;
}

static enum manne_status pay_with_memo(struct harness *h, const char *memo, const char *reference)
{
	return h_pay_ref(h, "alice", "shop", 1, memo, reference);
}

static const char *const BOARD01[] = {"board0", "board1", NULL};

/* ------------------------------------------------------------------------
 * Status codes */

static void test_status_names(void **state)
{
	(void)state;
	for (int i = 0; i < MANNE_STATUS_COUNT; i++) {
		assert_non_null(manne_status_name((enum manne_status)i));
		assert_non_null(manne_status_message((enum manne_status)i));
		assert_string_not_equal(manne_status_name((enum manne_status)i), "");
	}
	assert_string_equal(manne_status_name(MANNE_ERR_INSUFFICIENT_FUNDS), "insufficient_funds");
}

/* ------------------------------------------------------------------------
 * Genesis (applied by h_setup) */

static void test_genesis(void **state)
{
	struct harness *h = *state;
	const struct ledger_state *s = &h->ledger->state;
	struct account a = h_account(h, "association");
	static const struct totals zero;
	static const char *const board_all[] = {"board0", "board1", "board2", NULL};
	Manne__TxBody body;
	Manne__Genesis g = MANNE__GENESIS__INIT;
	Manne__DayRules rules = MANNE__DAY_RULES__INIT;
	ProtobufCBinaryData board[3];

	assert_int_equal(s->tree_size, 1);
	assert_int_equal(s->board_count, 3);
	assert_int_equal(s->threshold, 2);
	assert_int_equal(s->fee_bp, H_FEE_BP);
	assert_int_equal(s->utc_offset_minutes, 60);
	assert_int_equal(s->eu_summer_time, 1);
	assert_memory_equal(s->association_key, h_pk(h, "association"), 32);
	assert_memory_equal(s->checkpoint_key, h_pk(h, "checkpoint"), 32);
	assert_memory_equal(s->board[2], h_pk(h, "board2"), 32);
	assert_memory_equal(&s->totals, &zero, sizeof(zero));
	assert_int_equal(a.role, ROLE_ASSOCIATION);
	assert_int_equal(a.state, ACCOUNT_ACTIVE);
	assert_int_equal(a.balance, 0);

	/* A second genesis names no genesis id: it is another ledger's. */
	for (int i = 0; i < 3; i++)
		board[i] = key_of(h, board_all[i]);
	g.n_board_keys = 3;
	g.board_keys = board;
	g.threshold = 2;
	g.checkpoint_key = key_of(h, "checkpoint");
	g.association_key = key_of(h, "association2");
	g.day_rules = &rules;
	h_body_board(h, &body);
	body.genesis_id.len = 0;
	body.genesis_id.data = NULL;
	body.kind_case = MANNE__TX_BODY__KIND_GENESIS;
	body.genesis = &g;
	REFUSED(h, MANNE_ERR_WRONG_LEDGER, h_submit(h, &body, board_all));
	finish(h);
}

/* ------------------------------------------------------------------------
 * open_account */

static void test_open_account(void **state)
{
	struct harness *h = *state;
	struct open_tx t;
	struct account a;
	uint8_t ref[33];
	const char *signers[] = {"board0", "board1", "carol", NULL};

	OK(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 500, 2000, true));
	a = h_account(h, "alice");
	assert_int_equal(a.role, ROLE_MEMBER);
	assert_int_equal(a.state, ACCOUNT_ACTIVE);
	assert_int_equal(a.balance, 0);
	assert_int_equal(a.max_payment, 500);
	assert_int_equal(a.max_daily, 2000);
	assert_int_equal(a.card_held, 1);
	assert_int_equal(a.next_sequence, 1);
	assert_int_equal(a.pending, 0);
	assert_int_equal(a.has_successor, 0);
	assert_int_equal(a.opened_index, h->ledger->state.tree_size - 1);
	assert_int_equal(a.reference_len, 0);

	OK(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false));
	assert_int_equal(h_account(h, "shop").role, ROLE_SHOP);
	assert_int_equal(h_account(h, "shop").card_held, 0);
	OK(h_open(h, "farm", MANNE__ROLE__ROLE_PRODUCER, 0, 0, false));
	assert_int_equal(h_account(h, "farm").role, ROLE_PRODUCER);
	OK(h_open(h, "audit", MANNE__ROLE__ROLE_AUDITOR, 0, 0, false));
	assert_int_equal(h_account(h, "audit").role, ROLE_AUDITOR);

	/* The opaque reference: 32 bytes is the most. */
	memset(ref, 0xab, sizeof(ref));
	open_init(h, &t, h_pk(h, "carol"), MANNE__ROLE__ROLE_MEMBER);
	t.open.reference = bin(ref, 33);
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &t.body, signers));
	assert_false(h_account_exists(h, "carol"));
	t.open.reference = bin(ref, 32);
	OK(h_submit(h, &t.body, signers));
	a = h_account(h, "carol");
	assert_int_equal(a.reference_len, 32);
	assert_memory_equal(a.reference, ref, 32);

	/* Limits are amounts: at most 10^11. */
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT,
		h_open(h, "dave", MANNE__ROLE__ROLE_MEMBER, AMOUNT_MAX + 1, 0, false));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT,
		h_open(h, "dave", MANNE__ROLE__ROLE_MEMBER, 0, AMOUNT_MAX + 1, false));
	/* A role must be named. */
	open_init(h, &t, h_pk(h, "dave"), MANNE__ROLE__ROLE_UNSPECIFIED);
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &t.body, (const char *const[]){"board0", "board1", "dave", NULL}));

	/* Refusals. */
	REFUSED(h, MANNE_ERR_KEY_ALREADY_USED, h_open(h, "alice", MANNE__ROLE__ROLE_SHOP, 0, 0, false));
	REFUSED(h, MANNE_ERR_KEY_ALREADY_USED, h_open(h, "association", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_open(h, "dave", MANNE__ROLE__ROLE_ASSOCIATION, 0, 0, false));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_open(h, "dave", MANNE__ROLE__ROLE_SHOP, 0, 0, true));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_open(h, "dave", MANNE__ROLE__ROLE_PRODUCER, 0, 0, true));
	/* The new key must sign. */
	open_init(h, &t, h_pk(h, "dave"), MANNE__ROLE__ROLE_MEMBER);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &t.body, BOARD01));
	/* ... and the board too. */
	REFUSED(h, MANNE_ERR_NOT_ENOUGH_SIGNATURES,
		h_submit(h, &t.body, (const char *const[]){"board0", "dave", NULL}));
	OK(h_submit(h, &t.body, (const char *const[]){"board0", "board1", "dave", NULL}));
	assert_true(h_account_exists(h, "dave"));
	assert_int_equal(h_totals(h)->issued, 0);
	finish(h);
}

/* SPEC §3: weak, small-order or non-canonical keys are never registered. The
 * new key must sign its own registration, and libsodium's strict Ed25519
 * verification (crypto_sign_verify_detached) refuses any signature under a
 * small-order or non-canonical public key, so such a key can never be
 * opened. The "signature" used is R = identity, S = 0, which a lax verifier
 * would accept for the identity key A: [S]B = 0 = R + [k]A. */
/* The signature list is checked before any signature is verified (an
 * account signs alone; a board act's keys must be the board's or required
 * co-signers), so a transaction carrying 32 throwaway keys costs no
 * verification; a board act without signatures has not enough of them. */
static void test_signatures_checked_before_verified(void **state)
{
	struct harness *h = *state;
	struct issue_tx it;
	struct pay_tx pt;
	uint8_t throwaway[32][32], junk[64], sk[64], good[64];
	const uint8_t *keys[32], *sigs[32];
	size_t len, out_len;
	uint8_t *body, *out;
	uint64_t before;

	OK(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false));
	OK(h_fund(h, 100000));
	OK(h_issue(h, "alice", 1000));
	randombytes_buf(junk, sizeof(junk));
	for (size_t i = 0; i < 32; i++) {
		crypto_sign_keypair(throwaway[i], sk);
		keys[i] = throwaway[i];
		sigs[i] = junk;
	}
	sodium_memzero(sk, sizeof(sk));

	/* A board act signed by 32 keys from nowhere. */
	issue_init(h, &it, "alice", 500);
	body = pack_body(&it.body, &len);
	out = assemble(body, len, keys, sigs, 32, &out_len);
	before = tx_signature_verifications();
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	assert_int_equal(tx_signature_verifications() - before, 0);
	free(out);
	/* The board's two keys with bad signatures: the first failure ends it. */
	keys[0] = h_pk(h, "board0");
	keys[1] = h_pk(h, "board1");
	out = assemble(body, len, keys, sigs, 2, &out_len);
	before = tx_signature_verifications();
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	assert_int_equal(tx_signature_verifications() - before, 1);
	free(out);
	/* No signature at all: not enough of them (SPEC §4). */
	out = assemble(body, len, keys, sigs, 0, &out_len);
	REFUSED(h, MANNE_ERR_NOT_ENOUGH_SIGNATURES, h_submit_bytes(h, out, out_len));
	free(out);
	/* The board's two good signatures: two verifications, applied. */
	sign_as(h, "board0", body, len, good);
	sign_as(h, "board1", body, len, junk);
	sigs[0] = good;
	sigs[1] = junk;
	out = assemble(body, len, keys, sigs, 2, &out_len);
	before = tx_signature_verifications();
	OK(h_submit_bytes(h, out, out_len));
	assert_int_equal(tx_signature_verifications() - before, 2);
	free(out);
	free(body);

	/* A payment with alice's good signature and 31 more: an account signs alone. */
	pay_init(h, &pt, "alice", "shop", 100);
	body = pack_body(&pt.body, &len);
	sign_as(h, "alice", body, len, good);
	keys[0] = h_pk(h, "alice");
	sigs[0] = good;
	for (size_t i = 1; i < 32; i++) {
		keys[i] = throwaway[i];
		sigs[i] = junk;
	}
	out = assemble(body, len, keys, sigs, 32, &out_len);
	before = tx_signature_verifications();
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	assert_int_equal(tx_signature_verifications() - before, 0);
	free(out);
	out = assemble(body, len, keys, sigs, 0, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	/* The same key twice. */
	keys[1] = keys[0];
	sigs[1] = good;
	out = assemble(body, len, keys, sigs, 2, &out_len);
	before = tx_signature_verifications();
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	assert_int_equal(tx_signature_verifications() - before, 0);
	free(out);
	/* Alone, it is one verification and applies. */
	out = assemble(body, len, keys, sigs, 1, &out_len);
	before = tx_signature_verifications();
	OK(h_submit_bytes(h, out, out_len));
	assert_int_equal(tx_signature_verifications() - before, 1);
	free(out);
	free(body);
	finish(h);
}

/* The genesis's checkpoint and association keys do not sign it, so they are
 * checked as points: a small-order or non-canonical key is MALFORMED. */
static void test_weak_genesis_keys(void **state)
{
	struct harness *h = *state;
	static const uint8_t order1[32] = {1};
	static uint8_t noncanonical[32];
	static const char *const board_all[] = {"board0", "board1", "board2", NULL};
	const uint8_t *weak[] = {order1, noncanonical};
	const struct tx_identity empty = {.origin = NULL, .origin_len = 0, .genesis_id = NULL};
	Manne__TxBody body;
	Manne__Genesis g = MANNE__GENESIS__INIT;
	Manne__DayRules rules = MANNE__DAY_RULES__INIT;
	ProtobufCBinaryData board[3];
	static uint8_t arena_buffer[1 << 16];
	struct arena arena;
	struct tx tx;
	uint8_t *bytes;
	size_t len;

	noncanonical[0] = 0xee;
	memset(noncanonical + 1, 0xff, 30);
	noncanonical[31] = 0x7f;
	for (int i = 0; i < 3; i++)
		board[i] = key_of(h, board_all[i]);
	g.n_board_keys = 3;
	g.board_keys = board;
	g.threshold = 2;
	g.day_rules = &rules;
	h_body_board(h, &body);
	body.genesis_id = (ProtobufCBinaryData){0};
	body.kind_case = MANNE__TX_BODY__KIND_GENESIS;
	body.genesis = &g;
	for (int which = 0; which < 3; which++) {
		for (size_t k = 0; k < 2; k++) {
			g.checkpoint_key = which == 0 ? bin(weak[k], 32) : key_of(h, "checkpoint");
			g.association_key = which == 1 ? bin(weak[k], 32) : key_of(h, "association2");
			bytes = h_sign(h, &body, board_all, &len);
			arena_init(&arena, arena_buffer, sizeof(arena_buffer));
			assert_int_equal(tx_decode(bytes, len, &empty, &arena, &tx), which == 2 ? MANNE_OK : MANNE_ERR_MALFORMED);
			free(bytes);
		}
	}
	finish(h);
}

static void test_weak_keys(void **state)
{
	struct harness *h = *state;
	static const uint8_t identity[32] = {1};                 /* small order (order 1) */
	static const uint8_t order8[32] = {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
					   0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
					   0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a};
	static uint8_t noncanonical[32];                          /* y = p + 1: the identity again */
	static const uint8_t lax_sig[64] = {1};
	const uint8_t *weak[] = {identity, order8, noncanonical};
	uint8_t sig0[64], sig1[64];

	noncanonical[0] = 0xee;
	memset(noncanonical + 1, 0xff, 30);
	noncanonical[31] = 0x7f;
	assert_int_not_equal(crypto_core_ed25519_is_valid_point(identity), 1);
	assert_int_not_equal(crypto_core_ed25519_is_valid_point(order8), 1);

	for (size_t i = 0; i < 3; i++) {
		struct open_tx t;
		size_t len, out_len;
		uint8_t *body, *out;

		open_init(h, &t, weak[i], MANNE__ROLE__ROLE_MEMBER);
		body = pack_body(&t.body, &len);
		sign_as(h, "board0", body, len, sig0);
		sign_as(h, "board1", body, len, sig1);
		/* With the weak key's "signature": it cannot verify. */
		out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "board0"), h_pk(h, "board1"), weak[i]},
			       (const uint8_t *const[]){sig0, sig1, lax_sig}, 3, &out_len);
		REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
		free(out);
		/* Without it: the co-signature is missing. */
		out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "board0"), h_pk(h, "board1")},
			       (const uint8_t *const[]){sig0, sig1}, 2, &out_len);
		REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
		free(out);
		free(body);
	}

	/* The same for a recovery to a weak key. */
	OK(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	{
		Manne__TxBody b;
		Manne__RecoverAccount r = MANNE__RECOVER_ACCOUNT__INIT;
		size_t len, out_len;
		uint8_t *body, *out;

		r.old_account = key_of(h, "alice");
		r.new_account = bin(identity, 32);
		h_body_board(h, &b);
		b.kind_case = MANNE__TX_BODY__KIND_RECOVER_ACCOUNT;
		b.recover_account = &r;
		body = pack_body(&b, &len);
		sign_as(h, "board0", body, len, sig0);
		sign_as(h, "board1", body, len, sig1);
		out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "board0"), h_pk(h, "board1"), identity},
			       (const uint8_t *const[]){sig0, sig1, lax_sig}, 3, &out_len);
		REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
		free(out);
		free(body);
	}
	assert_int_equal(h_account(h, "alice").state, ACCOUNT_ACTIVE);
	finish(h);
}

/* ------------------------------------------------------------------------
 * set_account */

static void test_set_account(void **state)
{
	struct harness *h = *state;
	struct account a;
	uint8_t redeem[32];

	people(h);
	/* LIMITS */
	OK(h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 300, 700));
	a = h_account(h, "alice");
	assert_int_equal(a.max_payment, 300);
	assert_int_equal(a.max_daily, 700);
	assert_int_equal(a.balance, 10000);
	REFUSED(h, MANNE_ERR_LIMIT_EXCEEDED, h_pay(h, "alice", "shop", 301));
	OK(h_pay(h, "alice", "shop", 300));
	OK(h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 0, 0));
	assert_int_equal(h_account(h, "alice").max_payment, 0);
	OK(h_pay(h, "alice", "shop", 5000));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT,
		h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, AMOUNT_MAX + 1, 0));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT,
		h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 0, AMOUNT_MAX + 1));

	/* UNFREEZE */
	OK(h_freeze(h, "bob", NULL));
	assert_int_equal(h_account(h, "bob").state, ACCOUNT_FROZEN);
	OK(h_set_account(h, "bob", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE, 0, 0));
	a = h_account(h, "bob");
	assert_int_equal(a.state, ACCOUNT_ACTIVE);
	assert_int_equal(a.max_payment, 0);

	/* CLOSE: refused with a balance, or with a redemption pending. */
	REFUSED(h, MANNE_ERR_ACCOUNT_NOT_EMPTY,
		h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	assert_int_equal(h_balance(h, "shop"), 5300);
	OK(h_redeem(h, "shop", 5300));
	txid_copy(redeem, h);
	assert_int_equal(h_balance(h, "shop"), 0);
	REFUSED(h, MANNE_ERR_ACCOUNT_NOT_EMPTY,
		h_set_account(h, "shop", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	OK(h_settle(h, redeem, true));
	OK(h_set_account(h, "shop", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	assert_int_equal(h_account(h, "shop").state, ACCOUNT_CLOSED);
	/* Empty member: close at once. */
	OK(h_set_account(h, "bob", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	assert_int_equal(h_account(h, "bob").state, ACCOUNT_CLOSED);

	/* A closed account stays closed, neither pays nor is paid. */
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE,
		h_set_account(h, "bob", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE, 0, 0));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_pay(h, "alice", "shop", 1));
	REFUSED(h, MANNE_ERR_NOT_ACTIVE, h_pay(h, "bob", "farm", 1));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_issue(h, "bob", 1));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_freeze(h, "bob", NULL));
	/* Others. */
	REFUSED(h, MANNE_ERR_COUNTERPARTY_UNKNOWN,
		h_set_account(h, "nobody", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE, 0, 0));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN,
		h_set_account(h, "association", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	assert_int_equal(h_totals(h)->issued, 10000);
	assert_int_equal(h_totals(h)->reconverted, 5300);
	finish(h);
}

/* ------------------------------------------------------------------------
 * freeze */

static void test_freeze(void **state)
{
	struct harness *h = *state;
	struct account a;
	Manne__TxBody body;
	Manne__Freeze f = MANNE__FREEZE__INIT;

	people(h);
	OK(h_issue(h, "bob", 1000));

	/* By one board key. */
	h->now_ms += 5 * MIN_MS;
	OK(h_freeze(h, "alice", NULL));
	a = h_account(h, "alice");
	assert_int_equal(a.state, ACCOUNT_FROZEN);
	assert_int_equal(a.frozen_since_ms, h->now_ms);
	assert_int_equal(a.balance, 10000);
	assert_int_equal(a.next_sequence, 1);

	/* By its own key. */
	h->now_ms += 5 * MIN_MS;
	OK(h_freeze(h, "bob", "bob"));
	a = h_account(h, "bob");
	assert_int_equal(a.state, ACCOUNT_FROZEN);
	assert_int_equal(a.frozen_since_ms, h->now_ms);
	assert_int_equal(a.next_sequence, 2);
	assert_int_equal(a.balance, 1000);

	/* A frozen account neither pays nor is paid, nor is credited. */
	REFUSED(h, MANNE_ERR_NOT_ACTIVE, h_pay(h, "alice", "shop", 1));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_issue(h, "alice", 1));
	OK(h_freeze(h, "farm", NULL));
	OK(h_issue(h, "shop", 100));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_pay(h, "shop", "farm", 1));
	/* Freezing twice: the frozen account is not active. */
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_freeze(h, "alice", NULL));
	REFUSED(h, MANNE_ERR_NOT_ACTIVE, h_freeze(h, "bob", "bob"));
	/* An account cannot freeze another. */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_freeze(h, "shop", "audit"));
	assert_int_equal(h_account(h, "shop").state, ACCOUNT_ACTIVE);
	/* Nor the association be frozen, by the board or its own key. */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_freeze(h, "association", NULL));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_freeze(h, "association", "association"));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_UNKNOWN, h_freeze(h, "nobody", NULL));
	/* A non-board key acting as the board. */
	f.account = key_of(h, "shop");
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_FREEZE;
	body.freeze = &f;
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &body, (const char *const[]){"mallory", NULL}));
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &body, (const char *const[]){"board2", "mallory", NULL}));
	/* Any one board key, here the third. */
	OK(h_submit(h, &body, (const char *const[]){"board2", NULL}));
	assert_int_equal(h_account(h, "shop").state, ACCOUNT_FROZEN);

	/* Unfrozen, alice pays again. */
	OK(h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE, 0, 0));
	OK(h_set_account(h, "shop", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE, 0, 0));
	OK(h_pay(h, "alice", "shop", 10));
	assert_int_equal(h_balance(h, "alice"), 9990);
	assert_int_equal(h_balance(h, "shop"), 110);
	finish(h);
}

/* ------------------------------------------------------------------------
 * recover_account */

static void test_recover(void **state)
{
	struct harness *h = *state;
	struct account a, b;
	uint8_t redeem[32];

	people(h);
	OK(h_open(h, "carol", MANNE__ROLE__ROLE_MEMBER, 600, 1000, true));
	OK(h_issue(h, "carol", 5000));
	OK(h_pay(h, "carol", "shop", 500));
	OK(h_pay(h, "carol", "shop", 300));
	OK(h_issue(h, "shop", 2000));
	OK(h_redeem(h, "shop", 700));
	txid_copy(redeem, h);
	h->now_ms += MIN_MS;

	/* A card lost on a Saturday: frozen first, then recovered. */
	OK(h_freeze(h, "carol", NULL));
	a = h_account(h, "carol");
	OK(h_recover(h, "carol", "carol2"));
	b = h_account(h, "carol2");
	assert_int_equal(b.balance, 4200);
	assert_int_equal(b.role, ROLE_MEMBER);
	assert_int_equal(b.state, ACCOUNT_ACTIVE);
	assert_int_equal(b.max_payment, 600);
	assert_int_equal(b.max_daily, 1000);
	assert_int_equal(b.card_held, 1);
	assert_int_equal(b.used_today, 800);
	assert_int_equal(b.used_day, a.used_day);
	assert_int_equal(b.next_sequence, 1);
	assert_int_equal(b.has_successor, 0);
	assert_int_equal(b.opened_index, h->ledger->state.tree_size - 1);
	a = h_account(h, "carol");
	assert_int_equal(a.state, ACCOUNT_CLOSED);
	assert_int_equal(a.balance, 0);
	assert_int_equal(a.has_successor, 1);
	assert_memory_equal(a.successor, h_pk(h, "carol2"), 32);
	assert_int_equal(h_totals(h)->issued, 17000);

	/* Daily usage moved: 800 of 1000 used today. */
	REFUSED(h, MANNE_ERR_LIMIT_EXCEEDED, h_pay(h, "carol2", "shop", 201));
	OK(h_pay(h, "carol2", "shop", 200));
	assert_int_equal(h_account(h, "carol2").next_sequence, 2);
	/* The old key is closed for ever. */
	REFUSED(h, MANNE_ERR_NOT_ACTIVE, h_pay(h, "carol", "shop", 1));
	REFUSED(h, MANNE_ERR_KEY_ALREADY_USED, h_open(h, "carol", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_recover(h, "carol", "carol3"));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE,
		h_set_account(h, "carol", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE, 0, 0));
	/* To a key that is, or was, an account. */
	REFUSED(h, MANNE_ERR_KEY_ALREADY_USED, h_recover(h, "alice", "bob"));
	REFUSED(h, MANNE_ERR_KEY_ALREADY_USED, h_recover(h, "alice", "carol"));
	REFUSED(h, MANNE_ERR_KEY_ALREADY_USED, h_recover(h, "alice", "alice"));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_UNKNOWN, h_recover(h, "nobody", "carol3"));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_recover(h, "association", "carol3"));
	/* The new key must sign. */
	{
		Manne__TxBody body;
		Manne__RecoverAccount r = MANNE__RECOVER_ACCOUNT__INIT;
		r.old_account = key_of(h, "alice");
		r.new_account = key_of(h, "alice2");
		h_body_board(h, &body);
		body.kind_case = MANNE__TX_BODY__KIND_RECOVER_ACCOUNT;
		body.recover_account = &r;
		REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &body, BOARD01));
	}

	/* An active partner with a pending redemption: it moves too. */
	OK(h_recover(h, "shop", "shop2"));
	b = h_account(h, "shop2");
	assert_int_equal(b.balance, 500 + 300 + 200 + 2000 - 700);
	assert_int_equal(b.pending, 700);
	assert_int_equal(b.pending_count, 1);
	a = h_account(h, "shop");
	assert_int_equal(a.pending, 0);
	assert_int_equal(a.pending_count, 0);
	assert_int_equal(h_totals(h)->pending, 700);
	OK(h_settle(h, redeem, false));
	assert_int_equal(h_balance(h, "shop2"), 2300 + 700);
	assert_int_equal(h_account(h, "shop2").pending, 0);
	assert_int_equal(h_balance(h, "shop"), 0);
	assert_int_equal(h_totals(h)->pending, 0);
	/* Paid to the new key, by the old one's payer. */
	OK(h_pay(h, "alice", "shop2", 100));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_pay(h, "alice", "shop", 100));
	finish(h);
}

/* ------------------------------------------------------------------------
 * fund_reserve, release_reserve */

static void test_reserve(void **state)
{
	struct harness *h = *state;
	const struct totals *t = h_totals(h);

	OK(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_fund(h, 5000));
	assert_int_equal(t->funded, 5000);
	OK(h_release(h, 1000));
	assert_int_equal(t->released, 1000);
	assert_int_equal(t->funded, 5000);
	OK(h_issue(h, "alice", 3000));
	/* reserve 4000, outstanding 3000. */
	REFUSED(h, MANNE_ERR_BACKING_EXCEEDED, h_release(h, 1001));
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_release(h, 4001));
	OK(h_release(h, 1000));
	assert_int_equal(t->released, 2000);
	REFUSED(h, MANNE_ERR_BACKING_EXCEEDED, h_release(h, 1));
	REFUSED(h, MANNE_ERR_BACKING_EXCEEDED, h_issue(h, "alice", 1));
	OK(h_fund(h, AMOUNT_MAX));
	assert_int_equal(t->funded, 5000 + AMOUNT_MAX);
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_fund(h, 0));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_fund(h, AMOUNT_MAX + 1));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_release(h, 0));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_release(h, AMOUNT_MAX + 1));
	assert_int_equal(t->issued, 3000);
	finish(h);
}

/* ------------------------------------------------------------------------
 * issue */

static void test_issue(void **state)
{
	struct harness *h = *state;
	const struct totals *t = h_totals(h);
	struct issue_tx it;

	OK(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false));
	OK(h_open(h, "farm", MANNE__ROLE__ROLE_PRODUCER, 0, 0, false));
	OK(h_open(h, "audit", MANNE__ROLE__ROLE_AUDITOR, 0, 0, false));
	OK(h_fund(h, 10000));
	OK(h_issue(h, "alice", 1000));
	OK(h_issue(h, "shop", 2000));
	OK(h_issue(h, "farm", 3000));
	assert_int_equal(h_balance(h, "alice"), 1000);
	assert_int_equal(h_balance(h, "shop"), 2000);
	assert_int_equal(h_balance(h, "farm"), 3000);
	assert_int_equal(t->issued, 6000);
	/* Up to the backing exactly, not a centime beyond. */
	REFUSED(h, MANNE_ERR_BACKING_EXCEEDED, h_issue(h, "alice", 4001));
	/* Issued with all three board keys. */
	issue_init(h, &it, "alice", 4000);
	OK(h_submit(h, &it.body, (const char *const[]){"board0", "board1", "board2", NULL}));
	assert_int_equal(h_balance(h, "alice"), 5000);
	assert_int_equal(t->issued, 10000);
	REFUSED(h, MANNE_ERR_BACKING_EXCEEDED, h_issue(h, "alice", 1));
	OK(h_fund(h, 100000));

	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_issue(h, "audit", 100));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_issue(h, "association", 100));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_UNKNOWN, h_issue(h, "nobody", 100));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_issue(h, "alice", 0));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_issue(h, "alice", AMOUNT_MAX + 1));
	/* One board key is not enough for an issue. */
	issue_init(h, &it, "alice", 100);
	REFUSED(h, MANNE_ERR_NOT_ENOUGH_SIGNATURES, h_submit(h, &it.body, (const char *const[]){"board2", NULL}));
	/* An account cannot sign an issue: the body's shape says board. */
	h_body_account(h, &it.body, "alice");
	it.body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	it.body.issue = &it.issue;
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &it.body, (const char *const[]){"alice", NULL}));
	/* A programme longer than 64 bytes. */
	issue_init(h, &it, "alice", 100);
	it.issue.programme = (char *)"12345678901234567890123456789012345678901234567890123456789012345";
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &it.body, BOARD01));
	finish(h);
}

/* ------------------------------------------------------------------------
 * reverse_issue */

static void test_reverse_issue(void **state)
{
	struct harness *h = *state;
	const struct totals *t = h_totals(h);
	uint8_t issue[32], issue_bob[32], pay[32];

	OK(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "bob", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false));
	OK(h_fund(h, 100000));
	OK(h_issue(h, "alice", 1000));
	txid_copy(issue, h);
	OK(h_pay(h, "alice", "shop", 700));
	txid_copy(pay, h);

	/* More than the issue: refused. */
	REFUSED(h, MANNE_ERR_REFUND_EXCEEDS_PAYMENT, h_reverse_issue(h, issue, 1001));
	/* The whole issue asked, as far as the balance allows: 300 taken. */
	OK(h_reverse_issue(h, issue, 1000));
	assert_int_equal(h_balance(h, "alice"), 0);
	assert_int_equal(t->retired, 300);
	assert_int_equal(t->issued, 1000);
	/* Nothing left to take. */
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_reverse_issue(h, issue, 1));
	/* 700 of the issue remain reversible; alice gets 200 back by refund. */
	OK(h_refund(h, "shop", pay, 200));
	REFUSED(h, MANNE_ERR_REFUND_EXCEEDS_PAYMENT, h_reverse_issue(h, issue, 701));
	OK(h_reverse_issue(h, issue, 700));
	assert_int_equal(h_balance(h, "alice"), 0);
	assert_int_equal(t->retired, 500);
	/* 500 remain of the issue, alice has nothing. */
	OK(h_issue(h, "alice", 50));
	REFUSED(h, MANNE_ERR_REFUND_EXCEEDS_PAYMENT, h_reverse_issue(h, issue, 501));
	OK(h_reverse_issue(h, issue, 20));
	assert_int_equal(h_balance(h, "alice"), 30);
	assert_int_equal(t->retired, 520);

	/* After a recovery, from the account that holds the balance now. */
	OK(h_issue(h, "bob", 1000));
	txid_copy(issue_bob, h);
	OK(h_recover(h, "bob", "bob2"));
	OK(h_reverse_issue(h, issue_bob, 400));
	assert_int_equal(h_balance(h, "bob2"), 600);
	assert_int_equal(h_balance(h, "bob"), 0);
	assert_int_equal(t->retired, 920);

	/* Naming what is not an issue. */
	REFUSED(h, MANNE_ERR_NOT_FOUND, h_reverse_issue(h, pay, 1));
	REFUSED(h, MANNE_ERR_NOT_FOUND, h_reverse_issue(h, (const uint8_t[32]){1, 2, 3}, 1));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_reverse_issue(h, issue_bob, 0));
	finish(h);
}

/* ------------------------------------------------------------------------
 * retire_dormant */

static void test_retire_dormant(void **state)
{
	struct harness *h = *state;
	const struct totals *t = h_totals(h);

	OK(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "bob", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "carol", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "dave", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_fund(h, 100000));
	OK(h_issue(h, "alice", 1000));
	OK(h_issue(h, "bob", 2000));
	OK(h_issue(h, "carol", 3000));
	OK(h_issue(h, "dave", 4000));

	/* alice frozen on 2026-11-02 (ledger day), 10:00 UTC. */
	OK(h_freeze(h, "alice", NULL));
	OK(h_freeze(h, "dave", NULL));
	REFUSED(h, MANNE_ERR_NOT_DORMANT, h_retire_dormant(h, "alice"));
	REFUSED(h, MANNE_ERR_NOT_DORMANT, h_retire_dormant(h, "carol")); /* not frozen at all */
	/* bob frozen at 23:30 UTC the same UTC day: 00:30 on 2026-11-03 in ledger time. */
	h->now_ms = T_2026_11_02_2330;
	OK(h_freeze(h, "bob", NULL));
	assert_int_equal(h_account(h, "bob").frozen_since_ms, T_2026_11_02_2330);
	/* dave unfrozen and frozen again later: the clock restarts. */
	h->now_ms = T_2026_11_02_2330 + 30 * 24 * HOUR_MS;
	OK(h_set_account(h, "dave", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE, 0, 0));
	OK(h_freeze(h, "dave", NULL));

	/* One millisecond before 2027-11-02 00:00 in ledger time: not yet. */
	h->now_ms = T_2027_11_01_2300 - 1;
	REFUSED(h, MANNE_ERR_NOT_DORMANT, h_retire_dormant(h, "alice"));
	REFUSED(h, MANNE_ERR_NOT_DORMANT, h_retire_dormant(h, "bob"));
	/* At ledger midnight: 12 ledger-calendar months (10 h before 12 UTC months). */
	h->now_ms = T_2027_11_01_2300;
	OK(h_retire_dormant(h, "alice"));
	assert_int_equal(h_balance(h, "alice"), 0);
	assert_int_equal(h_account(h, "alice").state, ACCOUNT_FROZEN);
	assert_int_equal(t->retired, 1000);
	assert_int_equal(t->issued, 10000);
	REFUSED(h, MANNE_ERR_NOT_DORMANT, h_retire_dormant(h, "bob"));
	REFUSED(h, MANNE_ERR_NOT_DORMANT, h_retire_dormant(h, "dave"));
	/* Nothing left to retire. */
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_retire_dormant(h, "alice"));
	/* bob froze on ledger day 2026-11-03: dormant from 2027-11-03 00:00 ledger time,
	 * though 23:00 UTC on 2027-11-02 is not yet 12 months in UTC. */
	h->now_ms = T_2027_11_02_2300 - 1;
	REFUSED(h, MANNE_ERR_NOT_DORMANT, h_retire_dormant(h, "bob"));
	h->now_ms = T_2027_11_02_2300;
	OK(h_retire_dormant(h, "bob"));
	assert_int_equal(h_balance(h, "bob"), 0);
	assert_int_equal(t->retired, 3000);
	/* Closed, unknown. */
	OK(h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_retire_dormant(h, "alice"));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_UNKNOWN, h_retire_dormant(h, "nobody"));

	/* Frozen on 29 February: due on 1 March, there being no 29 February. */
	h->now_ms = T_2028_02_29_1200;
	OK(h_freeze(h, "carol", NULL));
	h->now_ms = T_2029_02_28_2300 - 1;
	REFUSED(h, MANNE_ERR_NOT_DORMANT, h_retire_dormant(h, "carol"));
	h->now_ms = T_2029_02_28_2300;
	OK(h_retire_dormant(h, "carol"));
	assert_int_equal(t->retired, 6000);
	/* dave, refrozen on 2026-12-03 (ledger), is dormant long since. */
	OK(h_retire_dormant(h, "dave"));
	assert_int_equal(t->retired, 10000);
	finish(h);
}

/* ------------------------------------------------------------------------
 * pay */

static void test_pay(void **state)
{
	struct harness *h = *state;
	const struct totals *t = h_totals(h);
	struct account a;

	people(h);
	OK(h_pay(h, "alice", "shop", 1000));
	assert_int_equal(h_balance(h, "alice"), 9000);
	assert_int_equal(h_balance(h, "shop"), 1000);
	a = h_account(h, "alice");
	assert_int_equal(a.next_sequence, 2);
	assert_int_equal(a.used_today, 1000);
	OK(h_pay(h, "alice", "farm", 2000));
	assert_int_equal(h_balance(h, "alice"), 7000);
	assert_int_equal(h_balance(h, "farm"), 2000);
	/* To the association's own services: the credits are retired. */
	OK(h_pay(h, "alice", "association", 500));
	assert_int_equal(h_balance(h, "alice"), 6500);
	assert_int_equal(h_balance(h, "association"), 0);
	assert_int_equal(t->retired, 500);
	assert_int_equal(h_account(h, "alice").used_today, 3500);
	/* Partners between themselves and to the association. */
	OK(h_pay(h, "shop", "farm", 400));
	assert_int_equal(h_balance(h, "shop"), 600);
	assert_int_equal(h_balance(h, "farm"), 2400);
	OK(h_pay(h, "farm", "shop", 100));
	assert_int_equal(h_balance(h, "farm"), 2300);
	assert_int_equal(h_balance(h, "shop"), 700);
	OK(h_pay(h, "shop", "association", 50));
	assert_int_equal(t->retired, 550);
	assert_int_equal(t->issued, 10000);
	/* The whole balance, to the last centime. */
	OK(h_pay(h, "shop", "farm", 650));
	assert_int_equal(h_balance(h, "shop"), 0);
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_pay(h, "shop", "farm", 1));
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_pay(h, "alice", "shop", 6501));
	/* The payee's reference and a memo at their limits. */
	OK(h_pay_ref(h, "alice", "shop", 1,
		     "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		     "1234567890123456"));

	/* Who may pay whom. */
	OK(h_issue(h, "shop", 100));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "alice", "bob", 1));   /* member to member */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "shop", "alice", 1));  /* shop to member */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "farm", "bob", 1));    /* producer to member */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "audit", "shop", 1));  /* an auditor pays */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "alice", "audit", 1)); /* to an auditor */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "shop", "audit", 1));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "alice", "alice", 1)); /* to itself */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "shop", "shop", 1));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "association", "shop", 1)); /* it never pays */
	REFUSED(h, MANNE_ERR_COUNTERPARTY_UNKNOWN, h_pay(h, "alice", "nobody", 1));
	REFUSED(h, MANNE_ERR_UNKNOWN_ACCOUNT, h_pay(h, "stranger", "shop", 1));
	assert_int_equal(h_balance(h, "alice"), 6499);
	assert_int_equal(h_balance(h, "shop"), 101);
	finish(h);
}

/* Limits: per payment and per ledger day (UTC+1, UTC+2 in EU summer time). */
static void use_day(struct harness *h)
{
	OK(h_pay(h, "alice", "shop", 500));
	OK(h_pay(h, "alice", "shop", 500));
	assert_int_equal(h_account(h, "alice").used_today, 1000);
}

static void day_full(struct harness *h)
{
	REFUSED(h, MANNE_ERR_LIMIT_EXCEEDED, h_pay(h, "alice", "shop", 1));
}

static void test_limits(void **state)
{
	struct harness *h = *state;
	uint8_t pay[32];

	OK(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 500, 1000, false));
	OK(h_open(h, "bob", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false));
	OK(h_fund(h, 1000000));
	OK(h_issue(h, "alice", 20000));
	OK(h_issue(h, "bob", 50000));

	/* Per payment. */
	REFUSED(h, MANNE_ERR_LIMIT_EXCEEDED, h_pay(h, "alice", "shop", 501));
	OK(h_pay(h, "alice", "shop", 500));
	txid_copy(pay, h);
	/* Daily: 500 + 500, then not a centime more. */
	OK(h_pay(h, "alice", "shop", 499));
	OK(h_pay(h, "alice", "shop", 1));
	day_full(h);
	/* A refund gives the credits back, not the day's allowance. */
	OK(h_refund(h, "shop", pay, 500));
	assert_int_equal(h_account(h, "alice").used_today, 1000);
	day_full(h);
	/* 0 = no limit. */
	OK(h_pay(h, "bob", "shop", 40000));

	/* Winter: the ledger day ends at 23:00 UTC. */
	h->now_ms = T_2026_11_02_2300 - 1;
	day_full(h);
	h->now_ms = T_2026_11_02_2300;
	use_day(h);
	day_full(h);
	/* The last Sunday of March 2027 (the 28th): it starts at 23:00 UTC on
	 * the 27th, summer time begins at 01:00 UTC, and it ends at 22:00 UTC. */
	h->now_ms = T_2027_03_27_2300 - 1;
	use_day(h);
	day_full(h);
	h->now_ms = T_2027_03_27_2300;
	use_day(h);
	h->now_ms = T_2027_03_28_2200 - 1;
	day_full(h);
	h->now_ms = T_2027_03_28_2200;
	use_day(h);
	day_full(h);
	/* Summer: the ledger day ends at 22:00 UTC. */
	h->now_ms = T_2027_06_15_2200 - 1;
	use_day(h);
	day_full(h);
	h->now_ms = T_2027_06_15_2200;
	use_day(h);
	day_full(h);
	/* The last Sunday of October 2027 (the 31st): 25 hours, from 22:00 UTC
	 * on the 30th to 23:00 UTC on the 31st. */
	h->now_ms = T_2027_10_30_2200 - 1;
	use_day(h);
	h->now_ms = T_2027_10_30_2200;
	use_day(h);
	h->now_ms = T_2027_10_31_2300 - 1;
	day_full(h);
	h->now_ms = T_2027_10_31_2300;
	use_day(h);
	day_full(h);

	assert_int_equal(h_balance(h, "alice"), 20000 - 1000 + 500 - 9 * 1000);
	assert_int_equal(h_balance(h, "shop"), 40000 + 1000 - 500 + 9 * 1000);
	/* Over the limit and over the balance: the limit is the answer. */
	OK(h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 500, 0));
	REFUSED(h, MANNE_ERR_LIMIT_EXCEEDED, h_pay(h, "alice", "shop", 20000));
	finish(h);
}

/* ------------------------------------------------------------------------
 * refund */

static void test_refund(void **state)
{
	struct harness *h = *state;
	uint8_t pay[32], pay2[32], pay_farm[32], pay_shop[32], pay_bob[32], issue[32];

	people(h);
	OK(h_issue(h, "bob", 1000));
	txid_copy(issue, h);
	OK(h_pay(h, "alice", "shop", 1000));
	txid_copy(pay, h);
	OK(h_pay(h, "alice", "shop", 2000));
	txid_copy(pay2, h);
	OK(h_pay(h, "alice", "farm", 500));
	txid_copy(pay_farm, h);
	assert_int_equal(h_balance(h, "alice"), 6500);
	assert_int_equal(h_balance(h, "shop"), 3000);

	/* Partial, then several, never more than the payment. */
	OK(h_refund(h, "shop", pay, 300));
	assert_int_equal(h_balance(h, "alice"), 6800);
	assert_int_equal(h_balance(h, "shop"), 2700);
	assert_int_equal(h_account(h, "shop").next_sequence, 2);
	OK(h_refund(h, "shop", pay, 200));
	REFUSED(h, MANNE_ERR_REFUND_EXCEEDS_PAYMENT, h_refund(h, "shop", pay, 501));
	OK(h_refund(h, "shop", pay, 500));
	assert_int_equal(h_balance(h, "alice"), 7500);
	assert_int_equal(h_balance(h, "shop"), 2000);
	REFUSED(h, MANNE_ERR_REFUND_EXCEEDS_PAYMENT, h_refund(h, "shop", pay, 1));
	/* Refunds move credits; the totals stay. */
	assert_int_equal(h_totals(h)->issued, 11000);
	assert_int_equal(h_totals(h)->retired, 0);

	/* Who may refund. */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_refund(h, "alice", pay2, 1));  /* a member */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_refund(h, "farm", pay2, 1));   /* not its payment */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_refund(h, "shop", pay_farm, 1));
	REFUSED(h, MANNE_ERR_NOT_FOUND, h_refund(h, "shop", (const uint8_t[32]){9, 9, 9}, 1));
	REFUSED(h, MANNE_ERR_NOT_FOUND, h_refund(h, "shop", issue, 1));       /* an issue is not a payment */
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_refund(h, "shop", pay2, 0));

	/* To a frozen payer. */
	OK(h_freeze(h, "alice", NULL));
	OK(h_refund(h, "shop", pay2, 400));
	assert_int_equal(h_balance(h, "alice"), 7900);
	assert_int_equal(h_account(h, "alice").state, ACCOUNT_FROZEN);
	/* After the payer's recovery, to the successor. */
	OK(h_recover(h, "alice", "alice2"));
	OK(h_refund(h, "shop", pay2, 100));
	assert_int_equal(h_balance(h, "alice2"), 8000);
	assert_int_equal(h_balance(h, "alice"), 0);
	/* After the payee's recovery, the successor refunds; the old key cannot. */
	OK(h_recover(h, "shop", "shop2"));
	assert_int_equal(h_balance(h, "shop2"), 1500);
	REFUSED(h, MANNE_ERR_NOT_ACTIVE, h_refund(h, "shop", pay2, 1));
	OK(h_refund(h, "shop2", pay2, 1000));
	assert_int_equal(h_balance(h, "alice2"), 9000);
	assert_int_equal(h_balance(h, "shop2"), 500);
	/* 500 of pay2 left, but only 500 in shop2's balance. */
	OK(h_redeem(h, "shop2", 400));
	REFUSED(h, MANNE_ERR_REFUND_EXCEEDS_PAYMENT, h_refund(h, "shop2", pay2, 501));
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_refund(h, "shop2", pay2, 101));
	OK(h_refund(h, "shop2", pay2, 100));
	assert_int_equal(h_balance(h, "shop2"), 0);

	/* A producer refunds a shop's payment. */
	OK(h_issue(h, "shop2", 300));
	OK(h_pay(h, "shop2", "farm", 300));
	txid_copy(pay_shop, h);
	OK(h_refund(h, "farm", pay_shop, 120));
	assert_int_equal(h_balance(h, "shop2"), 120);
	assert_int_equal(h_balance(h, "farm"), 500 + 300 - 120);

	/* A closed payer cannot be refunded. */
	OK(h_pay(h, "bob", "farm", 1000));
	txid_copy(pay_bob, h);
	OK(h_set_account(h, "bob", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_refund(h, "farm", pay_bob, 1));
	finish(h);
}

/* ------------------------------------------------------------------------
 * redeem, settle_redemption, set_ledger */

static void test_redeem_settle(void **state)
{
	struct harness *h = *state;
	const struct totals *t = h_totals(h);
	uint8_t r1[32], r2[32], r3[32], r4[32], pay[32];
	struct account a;

	people(h);
	OK(h_issue(h, "shop", 10000));
	OK(h_issue(h, "farm", 10000));
	/* funded 1,000,000, issued 30,000. */

	/* Redeemed at 150 bp: fee floor(1999 * 150 / 10000) = floor(29.985) = 29. */
	OK(h_redeem(h, "shop", 1999));
	txid_copy(r1, h);
	a = h_account(h, "shop");
	assert_int_equal(a.balance, 8001);
	assert_int_equal(a.pending, 1999);
	assert_int_equal(a.pending_count, 1);
	assert_int_equal(a.next_sequence, 2);
	assert_int_equal(t->pending, 1999);
	assert_int_equal(t->reconverted, 0);
	/* The fee changes between the redeem and its settlement. */
	OK(h_set_ledger(h, 1000));
	assert_int_equal(h->ledger->state.fee_bp, 1000);
	OK(h_settle(h, r1, true));
	assert_int_equal(t->reconverted, 1999);
	assert_int_equal(t->paid_out, 1999 - 29);
	assert_int_equal(t->fees, 29);
	assert_int_equal(t->pending, 0);
	assert_int_equal(t->funded, 1000000);
	a = h_account(h, "shop");
	assert_int_equal(a.balance, 8001);
	assert_int_equal(a.pending, 0);
	assert_int_equal(a.pending_count, 0);

	/* At the new rate, 10%: floor(999 * 1000 / 10000) = 99. */
	OK(h_redeem(h, "farm", 999));
	txid_copy(r2, h);
	OK(h_set_ledger(h, 0));
	OK(h_settle(h, r2, true));
	assert_int_equal(t->reconverted, 1999 + 999);
	assert_int_equal(t->paid_out, 1970 + 900);
	assert_int_equal(t->fees, 29 + 99);
	/* At 0 bp nothing is kept; at 10000 bp everything is. */
	OK(h_redeem(h, "farm", 500));
	txid_copy(r3, h);
	OK(h_set_ledger(h, 10000));
	OK(h_redeem(h, "farm", 777));
	txid_copy(r4, h);
	assert_int_equal(t->pending, 1277);
	OK(h_settle(h, r4, true));
	OK(h_settle(h, r3, true));
	assert_int_equal(t->reconverted, 2998 + 1277);
	assert_int_equal(t->paid_out, 2870 + 500);
	assert_int_equal(t->fees, 128 + 777);
	assert_int_equal(t->pending, 0);
	assert_int_equal(h_balance(h, "farm"), 10000 - 999 - 500 - 777);
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_set_ledger(h, 10001));
	assert_int_equal(h->ledger->state.fee_bp, 10000);

	/* Settled once only. */
	REFUSED(h, MANNE_ERR_ALREADY_SETTLED, h_settle(h, r1, true));
	REFUSED(h, MANNE_ERR_ALREADY_SETTLED, h_settle(h, r1, false));
	REFUSED(h, MANNE_ERR_NOT_FOUND, h_settle(h, (const uint8_t[32]){7}, true));
	OK(h_pay(h, "alice", "shop", 10));
	txid_copy(pay, h);
	REFUSED(h, MANNE_ERR_NOT_FOUND, h_settle(h, pay, true));
	/* Who may redeem, and how much. */
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_redeem(h, "alice", 1));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_redeem(h, "audit", 1));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_redeem(h, "association", 1));
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_redeem(h, "shop", 8012));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_redeem(h, "shop", 0));
	OK(h_redeem(h, "shop", 8011));
	assert_int_equal(h_balance(h, "shop"), 0);
	/* PAID needs a bank reference. */
	{
		Manne__TxBody body;
		Manne__SettleRedemption s = MANNE__SETTLE_REDEMPTION__INIT;
		txid_copy(r1, h);
		s.redeem_txid = bin(r1, 32);
		s.outcome = MANNE__SETTLE_OUTCOME__SETTLE_PAID;
		s.bank_reference = (char *)"";
		h_body_board(h, &body);
		body.kind_case = MANNE__TX_BODY__KIND_SETTLE_REDEMPTION;
		body.settle_redemption = &s;
		REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &body, BOARD01));
	}
	finish(h);
}

static void test_settle_rejected(void **state)
{
	struct harness *h = *state;
	const struct totals *t = h_totals(h);
	uint8_t r1[32], r2[32];
	struct totals before;
	struct account a;

	people(h);
	OK(h_issue(h, "shop", 5000));
	OK(h_redeem(h, "shop", 3000));
	txid_copy(r1, h);
	OK(h_redeem(h, "shop", 2000));
	txid_copy(r2, h);
	assert_int_equal(h_balance(h, "shop"), 0);
	assert_int_equal(h_account(h, "shop").pending_count, 2);
	REFUSED(h, MANNE_ERR_ACCOUNT_NOT_EMPTY,
		h_set_account(h, "shop", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));

	/* Rejected while the shop is frozen: the credits come back anyway. */
	OK(h_freeze(h, "shop", NULL));
	before = *t;
	OK(h_settle(h, r1, false));
	a = h_account(h, "shop");
	assert_int_equal(a.balance, 3000);
	assert_int_equal(a.pending, 2000);
	assert_int_equal(a.pending_count, 1);
	assert_int_equal(a.state, ACCOUNT_FROZEN);
	assert_int_equal(t->pending, 2000);
	assert_int_equal(t->reconverted, before.reconverted);
	assert_int_equal(t->paid_out, before.paid_out);
	assert_int_equal(t->fees, before.fees);
	assert_int_equal(t->issued, before.issued);
	REFUSED(h, MANNE_ERR_ALREADY_SETTLED, h_settle(h, r1, false));
	REFUSED(h, MANNE_ERR_ALREADY_SETTLED, h_settle(h, r1, true));

	/* Recovered with a redemption pending: rejected to the new key. */
	OK(h_recover(h, "shop", "shop2"));
	OK(h_settle(h, r2, false));
	assert_int_equal(h_balance(h, "shop2"), 5000);
	assert_int_equal(h_account(h, "shop2").pending, 0);
	assert_int_equal(h_balance(h, "shop"), 0);
	assert_int_equal(t->pending, 0);
	/* Empty and nothing pending: it closes. */
	OK(h_pay(h, "shop2", "association", 5000));
	OK(h_set_account(h, "shop2", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	assert_int_equal(t->retired, 5000);
	finish(h);
}

/* ------------------------------------------------------------------------
 * set_board, set_checkpoint_key */

static void test_set_board(void **state)
{
	struct harness *h = *state;
	static const char *const keys[] = {"board1", "board3", "board4", NULL};
	const struct ledger_state *s = &h->ledger->state;
	Manne__TxBody body;
	Manne__Freeze f = MANNE__FREEZE__INIT;

	people(h);
	/* Every added key must sign, and M of the board in force. */
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE,
		h_set_board(h, keys, 2, (const char *const[]){"board0", "board1", "board3", NULL}));
	REFUSED(h, MANNE_ERR_NOT_ENOUGH_SIGNATURES,
		h_set_board(h, keys, 2, (const char *const[]){"board0", "board3", "board4", NULL}));
	OK(h_set_board(h, keys, 2, (const char *const[]){"board0", "board1", "board3", "board4", NULL}));
	assert_int_equal(s->board_count, 3);
	assert_int_equal(s->threshold, 2);
	assert_memory_equal(s->board[0], h_pk(h, "board1"), 32);
	assert_memory_equal(s->board[1], h_pk(h, "board3"), 32);
	assert_memory_equal(s->board[2], h_pk(h, "board4"), 32);

	/* The old board can no longer act. */
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_issue(h, "alice", 100));
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_freeze(h, "alice", NULL)); /* board0 alone */
	h->board_signers[0] = "board2";
	h->board_signers[1] = "board1";
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_issue(h, "alice", 100));
	/* The new one can. */
	h->board_signers[0] = "board3";
	h->board_signers[1] = "board4";
	OK(h_issue(h, "alice", 100));
	assert_int_equal(h_balance(h, "alice"), 10100);
	h->board_signers[0] = "board1";
	OK(h_issue(h, "alice", 100));
	assert_int_equal(h_balance(h, "alice"), 10200);
	f.account = key_of(h, "bob");
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_FREEZE;
	body.freeze = &f;
	OK(h_submit(h, &body, (const char *const[]){"board4", NULL}));
	assert_int_equal(h_account(h, "bob").state, ACCOUNT_FROZEN);

	/* Down to one key, M = 1. */
	OK(h_set_board(h, (const char *const[]){"board4", NULL}, 1, (const char *const[]){"board3", "board4", NULL}));
	assert_int_equal(s->board_count, 1);
	assert_int_equal(s->threshold, 1);
	h->board_signers[0] = "board4";
	h->board_signers[1] = NULL;
	OK(h_issue(h, "alice", 100));
	assert_int_equal(h_balance(h, "alice"), 10300);
	h->board_signers[0] = "board3";
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_issue(h, "alice", 100));
	/* A board of distinct keys with 1 <= M <= N. */
	h->board_signers[0] = "board4";
	REFUSED(h, MANNE_ERR_MALFORMED,
		h_set_board(h, (const char *const[]){"board4", NULL}, 2, (const char *const[]){"board4", NULL}));
	REFUSED(h, MANNE_ERR_MALFORMED,
		h_set_board(h, (const char *const[]){"board4", NULL}, 0, (const char *const[]){"board4", NULL}));
	REFUSED(h, MANNE_ERR_MALFORMED, h_set_board(h, (const char *const[]){"board4", "board4", NULL}, 1,
						  (const char *const[]){"board4", NULL}));
	finish(h);
}

static void test_set_checkpoint_key(void **state)
{
	struct harness *h = *state;
	const struct ledger_state *s = &h->ledger->state;
	Manne__TxBody body;
	Manne__SetCheckpointKey k = MANNE__SET_CHECKPOINT_KEY__INIT;

	people(h);
	assert_int_equal(s->checkpoint_key_since, 0);
	k.key = key_of(h, "checkpoint2");
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY;
	body.set_checkpoint_key = &k;
	/* The new key must sign. */
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &body, BOARD01));
	REFUSED(h, MANNE_ERR_NOT_ENOUGH_SIGNATURES,
		h_submit(h, &body, (const char *const[]){"board0", "checkpoint2", NULL}));
	OK(h_set_checkpoint_key(h, "checkpoint2"));
	assert_memory_equal(s->checkpoint_key, h_pk(h, "checkpoint2"), 32);
	/* It signs from the tree that includes its leaf. */
	assert_int_equal(s->checkpoint_key_since, s->tree_size);
	assert_int_equal(h_totals(h)->issued, 10000);
	finish(h);
}

/* ------------------------------------------------------------------------
 * void */

static void test_void(void **state)
{
	struct harness *h = *state;
	struct issue_tx it;
	struct pay_tx pt;
	uint8_t prepared[32], prepared_pay[32], applied[32];
	uint8_t *bytes, *pay_bytes;
	size_t len, pay_len;
	uint64_t size;

	people(h);
	/* A board act prepared and signed, but never to be applied. */
	issue_init(h, &it, "alice", 5000);
	bytes = signed_bytes(h, &it.body, BOARD01, &len);
	txid_copy(prepared, h);
	/* A payment signed by alice, voided before it arrives. */
	pay_init(h, &pt, "alice", "shop", 100);
	pay_bytes = signed_bytes(h, &pt.body, (const char *const[]){"alice", NULL}, &pay_len);
	txid_copy(prepared_pay, h);

	size = h->ledger->state.tree_size;
	OK(h_void(h, prepared));
	assert_int_equal(h->ledger->state.tree_size, size + 1);
	assert_int_equal(h_totals(h)->issued, 10000);
	OK(h_void(h, prepared_pay));
	REFUSED(h, MANNE_ERR_VOIDED, h_submit_bytes(h, bytes, len));
	REFUSED(h, MANNE_ERR_VOIDED, h_submit_bytes(h, pay_bytes, pay_len));
	assert_int_equal(h_balance(h, "alice"), 10000);
	assert_int_equal(h_account(h, "alice").next_sequence, 1);
	/* Voided twice. */
	REFUSED(h, MANNE_ERR_ALREADY_SETTLED, h_void(h, prepared));
	/* An applied transaction cannot be voided. */
	OK(h_pay(h, "alice", "shop", 150)); /* sequence 1 again, another body */
	txid_copy(applied, h);
	REFUSED(h, MANNE_ERR_ALREADY_SETTLED, h_void(h, applied));
	assert_int_equal(h_balance(h, "shop"), 150);
	/* Still voided when also expired. */
	h->now_ms += 60 * MIN_MS;
	REFUSED(h, MANNE_ERR_VOIDED, h_submit_bytes(h, bytes, len));
	free(bytes);
	free(pay_bytes);
	finish(h);
}

/* ------------------------------------------------------------------------
 * MALFORMED, WRONG_LEDGER, INVALID_AMOUNT */

static void test_malformed(void **state)
{
	struct harness *h = *state;
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x34, 0x00, 0x99};
	const char *alice[] = {"alice", NULL};
	struct pay_tx pt;
	struct issue_tx it;
	uint8_t *body;
	size_t len;

	people(h);
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit_bytes(h, garbage, sizeof(garbage)));
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit_bytes(h, garbage, 0));

	/* An unknown field (15, varint) appended to the signed body bytes. */
	pay_init(h, &pt, "alice", "shop", 100);
	body = pack_body(&pt.body, &len);
	body[len] = 0x78;
	body[len + 1] = 0x01;
	REFUSED(h, MANNE_ERR_MALFORMED, submit_body_bytes(h, body, len + 2, alice));
	/* A singular field (sequence) given twice. */
	body[len] = 0x28;
	body[len + 1] = 0x01;
	REFUSED(h, MANNE_ERR_MALFORMED, submit_body_bytes(h, body, len + 2, alice));
	/* The same bytes without them are fine. */
	OK(submit_body_bytes(h, body, len, alice));
	h_key(h, "alice")->next_sequence++;
	assert_int_equal(h_balance(h, "shop"), 100);
	free(body);

	/* Memo at most 80 bytes, payee reference at most 16. */
	REFUSED(h, MANNE_ERR_MALFORMED,
		pay_with_memo(h, "123456789012345678901234567890123456789012345678901234567890123456789012345678901", ""));
	REFUSED(h, MANNE_ERR_MALFORMED, pay_with_memo(h, "", "12345678901234567"));
	/* Control characters, C1 controls, invalid UTF-8. */
	REFUSED(h, MANNE_ERR_MALFORMED, pay_with_memo(h, "pan\nier", ""));
	REFUSED(h, MANNE_ERR_MALFORMED, pay_with_memo(h, "pan\tier", ""));
	REFUSED(h, MANNE_ERR_MALFORMED, pay_with_memo(h, "pan\x7fier", ""));
	REFUSED(h, MANNE_ERR_MALFORMED, pay_with_memo(h, "pan\xc2\x85ier", ""));
	REFUSED(h, MANNE_ERR_MALFORMED, pay_with_memo(h, "pan\xffier", ""));
	REFUSED(h, MANNE_ERR_MALFORMED, pay_with_memo(h, "", "A\x01"));
	OK(pay_with_memo(h, "légumes d'été", "T1-0042"));

	/* A board act without its nonce. */
	issue_init(h, &it, "alice", 100);
	it.body.nonce.len = 0;
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &it.body, BOARD01));
	/* ... or with a sequence. */
	issue_init(h, &it, "alice", 100);
	it.body.sequence = 1;
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &it.body, BOARD01));
	/* An account signing an issue; the board signing a payment. */
	h_body_account(h, &it.body, "alice");
	it.body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	it.body.issue = &it.issue;
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &it.body, alice));
	pay_init(h, &pt, "alice", "shop", 1);
	h_body_board(h, &pt.body);
	pt.body.kind_case = MANNE__TX_BODY__KIND_PAY;
	pt.body.pay = &pt.pay;
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &pt.body, BOARD01));
	/* No genesis id. */
	pay_init(h, &pt, "alice", "shop", 1);
	pt.body.genesis_id.len = 0;
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &pt.body, alice));
	/* A payee that is not a key. */
	pay_init(h, &pt, "alice", "shop", 1);
	pt.pay.payee.len = 31;
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &pt.body, alice));
	/* No kind. */
	pay_init(h, &pt, "alice", "shop", 1);
	pt.body.kind_case = MANNE__TX_BODY__KIND__NOT_SET;
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &pt.body, alice));
	assert_int_equal(h_balance(h, "alice"), 9899);
	finish(h);
}

static void test_wrong_ledger(void **state)
{
	struct harness *h = *state;
	const char *alice[] = {"alice", NULL};
	struct pay_tx pt;
	struct issue_tx it;
	uint8_t other_genesis[32];

	people(h);
	pay_init(h, &pt, "alice", "shop", 100);
	pt.body.origin = (char *)"manne.other/v1";
	REFUSED(h, MANNE_ERR_WRONG_LEDGER, h_submit(h, &pt.body, alice));
	pay_init(h, &pt, "alice", "shop", 100);
	memcpy(other_genesis, h->ledger->state.genesis_id, 32);
	other_genesis[31] ^= 1;
	pt.body.genesis_id.data = other_genesis;
	REFUSED(h, MANNE_ERR_WRONG_LEDGER, h_submit(h, &pt.body, alice));
	issue_init(h, &it, "alice", 100);
	it.body.origin = (char *)"manne.test/v2";
	REFUSED(h, MANNE_ERR_WRONG_LEDGER, h_submit(h, &it.body, BOARD01));
	/* An origin that is not even valid is malformed. */
	issue_init(h, &it, "alice", 100);
	it.body.origin = (char *)"manne test";
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &it.body, BOARD01));
	assert_int_equal(h_balance(h, "alice"), 10000);
	finish(h);
}

static void test_invalid_amount(void **state)
{
	struct harness *h = *state;
	uint8_t pay[32], issue[32];

	people(h);
	OK(h_pay(h, "alice", "shop", 100));
	txid_copy(pay, h);
	OK(h_issue(h, "shop", 100));
	txid_copy(issue, h);
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_pay(h, "alice", "shop", 0));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_pay(h, "alice", "shop", AMOUNT_MAX + 1));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_pay(h, "alice", "shop", UINT64_MAX));
	/* 10^11 itself is an amount: refused only for the balance. */
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_pay(h, "alice", "shop", AMOUNT_MAX));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_refund(h, "shop", pay, 0));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_refund(h, "shop", pay, AMOUNT_MAX + 1));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_redeem(h, "shop", AMOUNT_MAX + 1));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_issue(h, "alice", 0));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_reverse_issue(h, issue, AMOUNT_MAX + 1));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_set_ledger(h, 10001));
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_set_ledger(h, UINT32_MAX));
	OK(h_set_ledger(h, 10000));
	assert_int_equal(h->ledger->state.fee_bp, 10000);
	finish(h);
}

/* ------------------------------------------------------------------------
 * BAD_SIGNATURE, NOT_ENOUGH_SIGNATURES */

static void test_signatures(void **state)
{
	struct harness *h = *state;
	struct pay_tx pt;
	struct issue_tx it;
	uint8_t *body, *out, sig[64], sig0[64], sig1[64];
	size_t len, out_len;

	people(h);
	/* A flipped bit in the signature of a payment. */
	pay_init(h, &pt, "alice", "shop", 100);
	body = pack_body(&pt.body, &len);
	sign_as(h, "alice", body, len, sig);
	sig[10] ^= 0x04;
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "alice")}, (const uint8_t *const[]){sig}, 1, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	/* In S, the upper half. */
	sig[10] ^= 0x04;
	sig[40] ^= 0x01;
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "alice")}, (const uint8_t *const[]){sig}, 1, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	/* Signed by another key, under alice's name. */
	sign_as(h, "mallory", body, len, sig);
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "alice")}, (const uint8_t *const[]){sig}, 1, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	/* Signed by another key under its own name: not the signer. */
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "mallory")}, (const uint8_t *const[]){sig}, 1,
		       &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	/* No signature, or alice's and a second one. */
	out = assemble(body, len, NULL, NULL, 0, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	sign_as(h, "alice", body, len, sig0);
	sign_as(h, "bob", body, len, sig1);
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "alice"), h_pk(h, "bob")},
		       (const uint8_t *const[]){sig0, sig1}, 2, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	/* alice's own signature twice. */
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "alice"), h_pk(h, "alice")},
		       (const uint8_t *const[]){sig0, sig0}, 2, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	/* A signature over other bytes (the body with one more centime). */
	pt.pay.amount = 101;
	{
		size_t len2;
		uint8_t *body2 = pack_body(&pt.body, &len2);
		sign_as(h, "alice", body2, len2, sig);
		free(body2);
	}
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "alice")}, (const uint8_t *const[]){sig}, 1, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	/* Good: applied. */
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "alice")}, (const uint8_t *const[]){sig0}, 1, &out_len);
	OK(h_submit_bytes(h, out, out_len));
	h_key(h, "alice")->next_sequence++;
	free(out);
	free(body);
	assert_int_equal(h_balance(h, "shop"), 100);

	/* Board acts. */
	issue_init(h, &it, "alice", 100);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &it.body, (const char *const[]){"board0", "board0", "board1", NULL}));
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &it.body, (const char *const[]){"board0", "board0", NULL}));
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &it.body, (const char *const[]){"board0", "board1", "mallory", NULL}));
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &it.body, (const char *const[]){"board0", "alice", NULL}));
	REFUSED(h, MANNE_ERR_NOT_ENOUGH_SIGNATURES, h_submit(h, &it.body, (const char *const[]){NULL})); /* SPEC §4 */
	REFUSED(h, MANNE_ERR_NOT_ENOUGH_SIGNATURES, h_submit(h, &it.body, (const char *const[]){"board1", NULL}));
	body = pack_body(&it.body, &len);
	sign_as(h, "board0", body, len, sig0);
	sign_as(h, "board1", body, len, sig1);
	sig1[63] ^= 0x10;
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "board0"), h_pk(h, "board1")},
		       (const uint8_t *const[]){sig0, sig1}, 2, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	/* board1's signature named as board2's. */
	sig1[63] ^= 0x10;
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "board0"), h_pk(h, "board2")},
		       (const uint8_t *const[]){sig0, sig1}, 2, &out_len);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit_bytes(h, out, out_len));
	free(out);
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "board1"), h_pk(h, "board0")},
		       (const uint8_t *const[]){sig1, sig0}, 2, &out_len);
	OK(h_submit_bytes(h, out, out_len));
	free(out);
	free(body);
	assert_int_equal(h_balance(h, "alice"), 10000); /* 10000 - 100 paid + 100 issued */
	finish(h);
}

/* ------------------------------------------------------------------------
 * Duplicates, EXPIRED, UNKNOWN_ACCOUNT, BAD_SEQUENCE */

static void test_duplicate(void **state)
{
	struct harness *h = *state;
	struct pay_tx pt;
	struct issue_tx it;
	struct receipt first;
	struct snap before;
	uint8_t *bytes;
	size_t len;

	people(h);
	pay_init(h, &pt, "alice", "shop", 300);
	bytes = signed_bytes(h, &pt.body, (const char *const[]){"alice", NULL}, &len);
	OK(h_submit_bytes(h, bytes, len));
	h_key(h, "alice")->next_sequence++;
	first = h->receipt;
	assert_false(first.duplicate);
	assert_int_equal(first.leaf_index, h->ledger->state.tree_size - 1);
	assert_int_equal(h_balance(h, "shop"), 300);

	h->now_ms += MIN_MS;
	OK(h_issue(h, "alice", 1));
	before = snap(h);
	OK(h_submit_bytes(h, bytes, len));
	assert_true(h->receipt.duplicate);
	assert_int_equal(h->receipt.leaf_index, first.leaf_index);
	assert_int_equal(h->receipt.time_ms, first.time_ms);
	assert_memory_equal(h->receipt.leaf_hash, first.leaf_hash, 32);
	assert_memory_equal(h->receipt.txid, first.txid, 32);
	assert_same(h, &before);
	assert_int_equal(h_balance(h, "shop"), 300);
	/* Even when expired since (duplicate comes before expired). */
	h->now_ms += 60 * MIN_MS;
	OK(h_submit_bytes(h, bytes, len));
	assert_true(h->receipt.duplicate);
	assert_int_equal(h->receipt.leaf_index, first.leaf_index);
	assert_same(h, &before);
	free(bytes);

	/* A board act too. */
	issue_init(h, &it, "bob", 700);
	bytes = signed_bytes(h, &it.body, BOARD01, &len);
	OK(h_submit_bytes(h, bytes, len));
	first = h->receipt;
	before = snap(h);
	OK(h_submit_bytes(h, bytes, len));
	assert_true(h->receipt.duplicate);
	assert_int_equal(h->receipt.leaf_index, first.leaf_index);
	assert_memory_equal(h->receipt.leaf_hash, first.leaf_hash, 32);
	assert_same(h, &before);
	assert_int_equal(h_balance(h, "bob"), 700);
	free(bytes);

	/* A refused transaction is not remembered: the same bytes apply later. */
	pay_init(h, &pt, "bob", "shop", 1000);
	bytes = signed_bytes(h, &pt.body, (const char *const[]){"bob", NULL}, &len);
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_submit_bytes(h, bytes, len));
	OK(h_issue(h, "bob", 300));
	OK(h_submit_bytes(h, bytes, len));
	assert_false(h->receipt.duplicate);
	h_key(h, "bob")->next_sequence++;
	assert_int_equal(h_balance(h, "bob"), 0);
	assert_int_equal(h_balance(h, "shop"), 1300);
	free(bytes);
	finish(h);
}

static void test_expired_sequence(void **state)
{
	struct harness *h = *state;
	const char *alice[] = {"alice", NULL};
	struct pay_tx pt;
	struct issue_tx it;
	uint8_t nonce[16];

	people(h);
	/* Valid until its last_valid_ms inclusive. */
	pay_init(h, &pt, "alice", "shop", 100);
	h->now_ms = pt.body.last_valid_ms;
	OK(h_submit(h, &pt.body, alice));
	pay_init(h, &pt, "alice", "shop", 100);
	h->now_ms = pt.body.last_valid_ms + 1;
	REFUSED(h, MANNE_ERR_EXPIRED, h_submit(h, &pt.body, alice));
	issue_init(h, &it, "alice", 100);
	h->now_ms = it.body.last_valid_ms + 1;
	REFUSED(h, MANNE_ERR_EXPIRED, h_submit(h, &it.body, BOARD01));
	assert_int_equal(h_balance(h, "shop"), 100);
	/* And at most 31 days ahead of the leaf (SPEC §5): a body valid 40 days
	 * ahead is a live instrument for too long; 31 days exactly is accepted. */
	issue_init(h, &it, "alice", 100);
	it.body.last_valid_ms = h->now_ms + 40ULL * 24 * 3600 * 1000;
	REFUSED(h, MANNE_ERR_EXPIRED, h_submit(h, &it.body, BOARD01));
	it.body.last_valid_ms = h->now_ms + TX_VALID_MS_MAX + 1;
	REFUSED(h, MANNE_ERR_EXPIRED, h_submit(h, &it.body, BOARD01));
	pay_init(h, &pt, "alice", "shop", 100);
	pt.body.last_valid_ms = h->now_ms + 40ULL * 24 * 3600 * 1000;
	REFUSED(h, MANNE_ERR_EXPIRED, h_submit(h, &pt.body, alice));
	it.body.last_valid_ms = h->now_ms + TX_VALID_MS_MAX;
	OK(h_submit(h, &it.body, BOARD01));

	/* Sequence: exactly the next one. */
	assert_int_equal(h_account(h, "alice").next_sequence, 2);
	pay_init(h, &pt, "alice", "shop", 100);
	pt.body.sequence = 3; /* skips 2 */
	REFUSED(h, MANNE_ERR_BAD_SEQUENCE, h_submit(h, &pt.body, alice));
	pt.body.sequence = 1; /* reused, with another body */
	REFUSED(h, MANNE_ERR_BAD_SEQUENCE, h_submit(h, &pt.body, alice));
	pt.body.sequence = 0;
	REFUSED(h, MANNE_ERR_BAD_SEQUENCE, h_submit(h, &pt.body, alice));
	pt.body.sequence = 2;
	OK(h_submit(h, &pt.body, alice));
	assert_int_equal(h_account(h, "alice").next_sequence, 3);
	assert_int_equal(h_balance(h, "shop"), 200);

	/* Board nonces: once, whatever the body. */
	issue_init(h, &it, "alice", 100);
	memcpy(nonce, it.body.nonce.data, 16);
	OK(h_submit(h, &it.body, BOARD01));
	{
		Manne__TxBody body;
		Manne__FundReserve f = MANNE__FUND_RESERVE__INIT;
		f.amount = 5;
		f.bank_reference = (char *)"VIR-X";
		h_body_board(h, &body);
		body.nonce.data = nonce;
		body.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
		body.fund_reserve = &f;
		REFUSED(h, MANNE_ERR_BAD_SEQUENCE, h_submit(h, &body, BOARD01));
		/* Expired and a used nonce: expired comes first. */
		h->now_ms = body.last_valid_ms + 1;
		REFUSED(h, MANNE_ERR_EXPIRED, h_submit(h, &body, BOARD01));
	}
	issue_init(h, &it, "alice", 100);
	memcpy((uint8_t *)it.body.nonce.data, nonce, 16);
	it.issue.amount = 101;
	REFUSED(h, MANNE_ERR_BAD_SEQUENCE, h_submit(h, &it.body, BOARD01));
	assert_int_equal(h_balance(h, "alice"), 10000 - 200 + 100 + 100); /* the issue valid 31 days ahead */

	/* The signer must be an account. */
	REFUSED(h, MANNE_ERR_UNKNOWN_ACCOUNT, h_pay(h, "stranger", "shop", 1));
	REFUSED(h, MANNE_ERR_UNKNOWN_ACCOUNT, h_freeze(h, "stranger", "stranger"));
	REFUSED(h, MANNE_ERR_UNKNOWN_ACCOUNT, h_redeem(h, "stranger", 1));
	finish(h);
}

/* ------------------------------------------------------------------------
 * Precedence (SPEC §5: the first failure in order is the answer) */

static void test_precedence(void **state)
{
	struct harness *h = *state;
	const char *alice[] = {"alice", NULL};
	struct pay_tx pt;
	struct issue_tx it;
	uint8_t *body, *out, sig[64], pay[32];
	size_t len, out_len;

	people(h);
	OK(h_issue(h, "bob", 100));

	/* malformed before wrong ledger: an 81-byte memo to another origin. */
	pay_init(h, &pt, "alice", "shop", 1);
	pt.body.origin = (char *)"manne.other/v1";
	pt.pay.memo = (char *)"123456789012345678901234567890123456789012345678901234567890123456789012345678901";
	REFUSED(h, MANNE_ERR_MALFORMED, h_submit(h, &pt.body, alice));

	/* wrong ledger before invalid amount and bad signature. */
	pay_init(h, &pt, "alice", "shop", 0);
	pt.body.origin = (char *)"manne.other/v1";
	body = pack_body(&pt.body, &len);
	sign_as(h, "alice", body, len, sig);
	sig[0] ^= 1;
	out = assemble(body, len, (const uint8_t *const[]){h_pk(h, "alice")}, (const uint8_t *const[]){sig}, 1, &out_len);
	REFUSED(h, MANNE_ERR_WRONG_LEDGER, h_submit_bytes(h, out, out_len));
	free(out);
	free(body);

	/* invalid amount before bad signature. */
	pay_init(h, &pt, "alice", "shop", 0);
	REFUSED(h, MANNE_ERR_INVALID_AMOUNT, h_submit(h, &pt.body, (const char *const[]){"mallory", NULL}));
	/* bad signature before not enough signatures, unknown account and expiry. */
	issue_init(h, &it, "alice", 100);
	h->now_ms = it.body.last_valid_ms + 1;
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &it.body, (const char *const[]){"board0", "mallory", NULL}));
	REFUSED(h, MANNE_ERR_NOT_ENOUGH_SIGNATURES, h_submit(h, &it.body, (const char *const[]){"board0", NULL}));
	pay_init(h, &pt, "stranger", "nobody", 1);
	REFUSED(h, MANNE_ERR_BAD_SIGNATURE, h_submit(h, &pt.body, (const char *const[]){"mallory", NULL}));

	/* expired before unknown account, bad sequence, not active. */
	pay_init(h, &pt, "stranger", "shop", 1);
	h->now_ms = pt.body.last_valid_ms + 1;
	REFUSED(h, MANNE_ERR_EXPIRED, h_submit(h, &pt.body, (const char *const[]){"stranger", NULL}));
	pay_init(h, &pt, "alice", "shop", 1);
	pt.body.sequence = 7;
	h->now_ms = pt.body.last_valid_ms + 1;
	REFUSED(h, MANNE_ERR_EXPIRED, h_submit(h, &pt.body, alice));

	/* unknown account before bad sequence. */
	pay_init(h, &pt, "stranger", "shop", 1);
	pt.body.sequence = 9;
	REFUSED(h, MANNE_ERR_UNKNOWN_ACCOUNT, h_submit(h, &pt.body, (const char *const[]){"stranger", NULL}));

	/* bad sequence before not active; not active before the other party. */
	OK(h_freeze(h, "bob", NULL));
	pay_init(h, &pt, "bob", "nobody", 1000);
	pt.body.sequence = 2;
	REFUSED(h, MANNE_ERR_BAD_SEQUENCE, h_submit(h, &pt.body, (const char *const[]){"bob", NULL}));
	REFUSED(h, MANNE_ERR_NOT_ACTIVE, h_pay(h, "bob", "nobody", 1000));

	/* The other party before the roles: alice pays a frozen member, or one never opened. */
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_pay(h, "alice", "bob", 1));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_UNKNOWN, h_pay(h, "alice", "nobody", 20000));
	/* key already used before role forbidden. */
	REFUSED(h, MANNE_ERR_KEY_ALREADY_USED, h_open(h, "association", MANNE__ROLE__ROLE_ASSOCIATION, 0, 0, false));
	REFUSED(h, MANNE_ERR_KEY_ALREADY_USED, h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, true));

	/* role forbidden before limit, funds and backing. */
	OK(h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 10, 10));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay(h, "alice", "audit", 20000));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_redeem(h, "alice", 20000));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_issue(h, "audit", 2000000));
	/* limit before funds. */
	REFUSED(h, MANNE_ERR_LIMIT_EXCEEDED, h_pay(h, "alice", "shop", 20000));
	OK(h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 0, 0));
	/* refund exceeds payment before insufficient funds; not found before both. */
	OK(h_pay(h, "alice", "shop", 100));
	txid_copy(pay, h);
	REFUSED(h, MANNE_ERR_REFUND_EXCEEDS_PAYMENT, h_refund(h, "shop", pay, 101));
	REFUSED(h, MANNE_ERR_NOT_FOUND, h_refund(h, "shop", (const uint8_t[32]){5}, 101));
	/* insufficient funds before backing: more than the fund holds. */
	OK(h_issue(h, "alice", 1000000 - 10100)); /* outstanding = reserve = 1,000,000 */
	REFUSED(h, MANNE_ERR_BACKING_EXCEEDED, h_release(h, 1));
	REFUSED(h, MANNE_ERR_INSUFFICIENT_FUNDS, h_release(h, 1000001));
	REFUSED(h, MANNE_ERR_BACKING_EXCEEDED, h_issue(h, "alice", 1));
	/* backing before non-zero balance does not arise; closing with both a
	 * balance and a pending redemption is ACCOUNT_NOT_EMPTY. */
	OK(h_redeem(h, "shop", 50));
	REFUSED(h, MANNE_ERR_ACCOUNT_NOT_EMPTY,
		h_set_account(h, "shop", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	finish(h);
}

/* The pairs where the order of SPEC §5 was once not the code's: the other
 * party's state comes before role forbidden (a refund by someone other than
 * the payee, for a payment whose payer is closed) and before already settled
 * (a redemption settled twice, its owner closed since); a board act without
 * signatures has not enough of them; voided comes before expired; a used
 * payee reference comes after role forbidden and before the limits;
 * not dormant after the other party. */
static void test_precedence_review(void **state)
{
	struct harness *h = *state;
	struct issue_tx it;
	uint8_t pay[32], redeem[32], txid[32], *bytes;
	size_t len;

	people(h);
	OK(h_open(h, "carol", MANNE__ROLE__ROLE_MEMBER, 0, 0, false));
	OK(h_open(h, "shop2", MANNE__ROLE__ROLE_SHOP, 0, 0, false));
	OK(h_open(h, "shop3", MANNE__ROLE__ROLE_SHOP, 0, 0, false));
	OK(h_issue(h, "carol", 100));
	OK(h_pay(h, "carol", "shop", 100));
	txid_copy(pay, h);
	OK(h_set_account(h, "carol", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	/* refund: the payer closed comes before "not the payee". */
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_refund(h, "shop2", pay, 10));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_refund(h, "shop", pay, 10));
	/* With the payer active, the payee's successor alone refunds. */
	OK(h_pay(h, "alice", "shop", 100));
	txid_copy(pay, h);
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_refund(h, "shop2", pay, 10));

	/* settle: the owner closed comes before "already settled". */
	OK(h_issue(h, "shop3", 100));
	OK(h_redeem(h, "shop3", 100));
	txid_copy(redeem, h);
	OK(h_settle(h, redeem, true));
	REFUSED(h, MANNE_ERR_ALREADY_SETTLED, h_settle(h, redeem, false));
	OK(h_set_account(h, "shop3", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE, 0, 0));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_settle(h, redeem, false));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_settle(h, redeem, true));

	/* A board act without signatures: not enough of them. */
	issue_init(h, &it, "alice", 1);
	REFUSED(h, MANNE_ERR_NOT_ENOUGH_SIGNATURES, h_submit(h, &it.body, (const char *const[]){NULL}));

	/* voided before expired. */
	issue_init(h, &it, "alice", 1);
	bytes = h_sign(h, &it.body, BOARD01, &len);
	memcpy(txid, h->last_txid, 32);
	OK(h_void(h, txid));
	h->now_ms = it.body.last_valid_ms + 1;
	REFUSED(h, MANNE_ERR_VOIDED, h_submit_bytes(h, bytes, len));
	free(bytes);

	/* reference used: after role forbidden, before the limits and funds. */
	OK(h_pay_ref(h, "alice", "shop", 10, NULL, "CMD-77"));
	REFUSED(h, MANNE_ERR_REFERENCE_USED, h_pay_ref(h, "alice", "shop", 1000000, NULL, "CMD-77"));
	OK(h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 5, 5));
	REFUSED(h, MANNE_ERR_REFERENCE_USED, h_pay_ref(h, "alice", "shop", 10, NULL, "CMD-77"));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_pay_ref(h, "alice", "bob", 10, NULL, "CMD-77"));
	REFUSED(h, MANNE_ERR_LIMIT_EXCEEDED, h_pay_ref(h, "alice", "farm", 10, NULL, "CMD-77")); /* another payee's */
	OK(h_set_account(h, "alice", MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS, 0, 0));
	OK(h_pay_ref(h, "alice", "farm", 5, NULL, "CMD-77"));

	/* not dormant after the other party. */
	REFUSED(h, MANNE_ERR_COUNTERPARTY_UNKNOWN, h_retire_dormant(h, "nobody"));
	REFUSED(h, MANNE_ERR_NOT_DORMANT, h_retire_dormant(h, "bob"));
	finish(h);
}

/* SPEC §5 puts "unknown or not active (other party)" before "role
 * forbidden". An account that freezes another account names an other party:
 * when that party was never opened the answer is COUNTERPARTY_UNKNOWN, when
 * it is frozen or closed COUNTERPARTY_NOT_ACTIVE, and only an existing,
 * active one gets ROLE_FORBIDDEN. */
static void test_precedence_freeze_other(void **state)
{
	struct harness *h = *state;

	people(h);
	OK(h_freeze(h, "bob", NULL));
	REFUSED(h, MANNE_ERR_ROLE_FORBIDDEN, h_freeze(h, "shop", "alice"));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_UNKNOWN, h_freeze(h, "nobody", "alice"));
	REFUSED(h, MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, h_freeze(h, "bob", "alice"));
	finish(h);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		T(test_genesis),
		T(test_open_account),
		T(test_weak_genesis_keys),
		T(test_weak_keys),
		T(test_signatures_checked_before_verified),
		T(test_set_account),
		T(test_freeze),
		T(test_recover),
		T(test_reserve),
		T(test_issue),
		T(test_reverse_issue),
		T(test_retire_dormant),
		T(test_pay),
		T(test_limits),
		T(test_refund),
		T(test_redeem_settle),
		T(test_settle_rejected),
		T(test_set_board),
		T(test_set_checkpoint_key),
		T(test_void),
		T(test_malformed),
		T(test_wrong_ledger),
		T(test_invalid_amount),
		T(test_signatures),
		T(test_duplicate),
		T(test_expired_sequence),
		T(test_precedence),
		T(test_precedence_freeze_other),
		T(test_precedence_review),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
