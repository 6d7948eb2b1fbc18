/*
 * test_client.c: libmanne against the real manne-ledger (--demo, ephemeral
 * port): every transaction function and read; retry after a lost
 * connection, a stopped daemon and a restarted one, with the same bytes
 * giving the original receipt; checkpoints, inclusion and consistency
 * proofs verified, and each refused after one tampered byte; export.
 *
 * The daemon runs with a 1 s idle timeout, so a handle left idle finds its
 * connection gone and must reconnect (and prove its key again) by itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "client_util.h"
#include "manne.h"

static struct daemon d;
static struct manne_key board[3], association;
static const struct manne_key *board2[] = {&board[0], &board[1]};
static uint8_t checkpoint_key[32];

static int setup(void **state)
{
	static const char *const flags[] = {"--idle-timeout-ms", "1000", NULL};
	(void)state;
	assert_int_equal(manne_init(), MANNE_OK);
	daemon_start(&d, flags);
	for (int i = 0; i < 3; i++)
		key_of(&d.board[i], &board[i]);
	key_of(&d.association, &association);
	memcpy(checkpoint_key, d.checkpoint.public_key, 32);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daemon_finish(&d);
	daemon_cleanup(&d);
	for (int i = 0; i < 3; i++)
		manne_key_wipe(&board[i]);
	return 0;
}

static struct manne *open_handle(void)
{
	struct manne *m = NULL;
	enum manne_status s = manne_open("127.0.0.1", d.port, 5000, &m);
	if (s != MANNE_OK)
		fail_msg("manne_open: %s", manne_message(m));
	assert_string_equal(manne_origin(m), "manne.demo/v1");
	assert_memory_equal(manne_genesis_id(m), d.genesis_id, 32);
	return m;
}

static uint64_t balance_of(struct manne *m, const struct manne_key *key)
{
	struct manne_account a;
	EXPECT(m, manne_authenticate(m, key), MANNE_OK);
	EXPECT(m, manne_account(m, key->public_key, &a), MANNE_OK);
	return a.balance;
}

static void open_account(struct manne *m, const struct manne_key *k, enum manne_role role, bool card)
{
	struct manne_receipt r;
	EXPECT(m, manne_open_account(m, board2, 2, k, role, 0, 0, card, NULL, &r), MANNE_OK);
	assert_false(r.duplicate);
	assert_true(r.leaf_checked);
}

static void test_every_transaction(void **state)
{
	struct manne *m = open_handle();
	struct manne_key member, shop, producer, auditor, member2, card, card_new, newboard, newcheckpoint;
	struct manne_receipt r, pay_receipt, issue_receipt, redeem_receipt;
	struct manne_checkpoint cp;
	struct manne_account a;
	struct manne_entry e, page[8];
	size_t count;
	uint64_t next;
	(void)state;

	manne_key_generate(&member);
	manne_key_generate(&shop);
	manne_key_generate(&producer);
	manne_key_generate(&auditor);
	manne_key_generate(&member2);
	manne_key_generate(&card);
	manne_key_generate(&card_new);
	open_account(m, &member, MANNE_ROLE_MEMBER, false);
	open_account(m, &shop, MANNE_ROLE_SHOP, false);
	open_account(m, &producer, MANNE_ROLE_PRODUCER, false);
	open_account(m, &auditor, MANNE_ROLE_AUDITOR, false);
	open_account(m, &member2, MANNE_ROLE_MEMBER, false);
	open_account(m, &card, MANNE_ROLE_MEMBER, true);
	/* The same key twice: refused with the ledger's own words. */
	EXPECT(m, manne_open_account(m, board2, 2, &member, MANNE_ROLE_MEMBER, 0, 0, false, NULL, &r),
	       MANNE_ERR_KEY_ALREADY_USED);
	assert_non_null(strstr(manne_message(m), "key_already_used"));

	EXPECT(m, manne_fund_reserve(m, board2, 2, 100000, "VIR-2026-001", &r), MANNE_OK);
	EXPECT(m, manne_issue(m, board2, 2, member.public_key, 5000, MANNE_ISSUE_PARTICIPATION, "chantier-2026-11",
			      "hours-12", &issue_receipt), MANNE_OK);
	EXPECT(m, manne_issue(m, board2, 2, card.public_key, 3000, MANNE_ISSUE_ALLOWANCE, "panier-solidaire-2026-11",
			      NULL, &r), MANNE_OK);
	/* Beyond the backing: refused before anything changes. */
	EXPECT(m, manne_issue(m, board2, 2, member.public_key, 10000000, MANNE_ISSUE_GRANT, "x", NULL, &r),
	       MANNE_ERR_BACKING_EXCEEDED);
	/* Not enough board signatures. */
	EXPECT(m, manne_fund_reserve(m, board2, 1, 100, "VIR-X", &r), MANNE_ERR_NOT_ENOUGH_SIGNATURES);

	/* pay, with its proof checked against the pinned checkpoint key. */
	EXPECT(m, manne_pay(m, &member, shop.public_key, 1250, "panier de legumes", "CMD-0042", &pay_receipt), MANNE_OK);
	assert_true(pay_receipt.leaf_checked);
	assert_false(pay_receipt.duplicate);
	EXPECT(m, manne_receipt_verify(&pay_receipt, "manne.demo/v1", checkpoint_key, &cp), MANNE_OK);
	assert_true(cp.tree_size > pay_receipt.leaf_index);
	assert_int_equal(cp.totals.issued, 8000);
	EXPECT(m, manne_pay(m, &member, member2.public_key, 1, NULL, NULL, &r), MANNE_ERR_ROLE_FORBIDDEN);
	EXPECT(m, manne_pay(m, &member, shop.public_key, 999999, NULL, NULL, &r), MANNE_ERR_INSUFFICIENT_FUNDS);
	EXPECT(m, manne_pay(m, &member, shop.public_key, 0, NULL, NULL, &r), MANNE_ERR_ARGUMENT);
	EXPECT(m, manne_pay(m, &member, shop.public_key, 1, "a memo that is far too long to be accepted by the ledger as it is over eighty bytes", NULL, &r),
	       MANNE_ERR_ARGUMENT);

	/* A card-held member pays only on a connection proved by the payee (the till). */
	EXPECT(m, manne_pay(m, &card, shop.public_key, 100, "atelier cuisine", "CMD-0043", &r), MANNE_ERR_NOT_PERMITTED);
	EXPECT(m, manne_authenticate(m, &shop), MANNE_OK);
	EXPECT(m, manne_pay(m, &card, shop.public_key, 100, "atelier cuisine", "CMD-0043", &r), MANNE_OK);

	/* refund by the payee, redeem and settle (paid, then rejected), producer paid by the shop. */
	EXPECT(m, manne_refund(m, &shop, pay_receipt.txid, 250, "une botte en moins", &r), MANNE_OK);
	EXPECT(m, manne_refund(m, &shop, pay_receipt.txid, 1001, NULL, &r), MANNE_ERR_REFUND_EXCEEDS_PAYMENT);
	EXPECT(m, manne_pay(m, &shop, producer.public_key, 300, "caisse de pommes", NULL, &r), MANNE_OK);
	EXPECT(m, manne_redeem(m, &shop, 500, &redeem_receipt), MANNE_OK);
	EXPECT(m, manne_settle_redemption(m, board2, 2, redeem_receipt.txid, MANNE_SETTLE_PAID, "VIR-OUT-1", &r), MANNE_OK);
	EXPECT(m, manne_settle_redemption(m, board2, 2, redeem_receipt.txid, MANNE_SETTLE_PAID, "VIR-OUT-1", &r),
	       MANNE_ERR_ALREADY_SETTLED);
	EXPECT(m, manne_redeem(m, &producer, 100, &redeem_receipt), MANNE_OK);
	EXPECT(m, manne_settle_redemption(m, board2, 2, redeem_receipt.txid, MANNE_SETTLE_REJECTED, NULL, &r), MANNE_OK);
	EXPECT(m, manne_release_reserve(m, board2, 2, 1000, MANNE_RELEASE_BANK_CHARGES, "FRAIS-2026-11", &r), MANNE_OK);
	EXPECT(m, manne_reverse_issue(m, board2, 2, issue_receipt.txid, 500, "heures comptees deux fois", &r), MANNE_OK);
	EXPECT(m, manne_set_ledger(m, board2, 2, 150, &r), MANNE_OK);

	/* Limits, freeze (by the account, then by one board key), unfreeze. */
	EXPECT(m, manne_set_account(m, board2, 2, member.public_key, MANNE_SET_ACCOUNT_LIMITS, 1000, 2000, &r), MANNE_OK);
	EXPECT(m, manne_pay(m, &member, shop.public_key, 1001, NULL, NULL, &r), MANNE_ERR_LIMIT_EXCEEDED);
	EXPECT(m, manne_freeze(m, &member, member.public_key, &r), MANNE_OK);
	EXPECT(m, manne_pay(m, &member, shop.public_key, 1, NULL, NULL, &r), MANNE_ERR_NOT_ACTIVE);
	EXPECT(m, manne_set_account(m, board2, 2, member.public_key, MANNE_SET_ACCOUNT_UNFREEZE, 0, 0, &r), MANNE_OK);
	EXPECT(m, manne_freeze(m, &board[2], member2.public_key, &r), MANNE_OK);
	EXPECT(m, manne_retire_dormant(m, board2, 2, member2.public_key, "dormant", &r), MANNE_ERR_NOT_DORMANT);
	EXPECT(m, manne_set_account(m, board2, 2, member2.public_key, MANNE_SET_ACCOUNT_CLOSE, 0, 0, &r), MANNE_OK);

	/* A lost card: the balance moves to the new key, which then pays. */
	EXPECT(m, manne_recover_account(m, board2, 2, card.public_key, &card_new, &r), MANNE_OK);
	/* A card-held key never authenticates for reads (SPEC §6). */
	EXPECT(m, manne_authenticate(m, &card_new), MANNE_ERR_NOT_PERMITTED);
	EXPECT(m, manne_authenticate(m, &board[0]), MANNE_OK);
	EXPECT(m, manne_account(m, card_new.public_key, &a), MANNE_OK);
	assert_int_equal(a.balance, 2900);
	assert_int_equal(a.next_sequence, 1);
	assert_true(a.card_held);
	/* The till being paid learns the card's next sequence, and nothing else. */
	EXPECT(m, manne_authenticate(m, &shop), MANNE_OK);
	EXPECT(m, manne_account(m, card_new.public_key, &a), MANNE_OK);
	assert_int_equal(a.next_sequence, 1);
	assert_int_equal(a.balance, 0);
	assert_int_equal(a.remaining_today, 0);
	assert_int_equal(a.max_daily, 0);
	EXPECT(m, manne_pay(m, &card_new, shop.public_key, 100, "panier", NULL, &r), MANNE_OK);
	EXPECT(m, manne_account(m, card_new.public_key, &a), MANNE_OK);
	assert_int_equal(a.next_sequence, 2);
	assert_int_equal(a.balance, 0);
	/* A member's own key reads nothing of the card. */
	EXPECT(m, manne_authenticate(m, &member), MANNE_OK);
	EXPECT(m, manne_account(m, card_new.public_key, &a), MANNE_ERR_NOT_PERMITTED);

	/* void: a prepared act that must never apply. */
	{
		struct manne_tx tx = {.kind = MANNE_KIND_FUND_RESERVE, .amount = 777, .text = "VIR-MISTAKE"};
		struct manne_signature sigs[2];
		uint8_t *body, txid[32];
		size_t len;
		char words[2048];
		EXPECT(m, manne_body_build(manne_origin(m), manne_genesis_id(m), &tx, NULL, 0, 3600000,
					   (uint64_t)time(NULL) * 1000, &body, &len), MANNE_OK);
		EXPECT(m, manne_body_describe(body, len, words, sizeof(words), txid), MANNE_OK);
		assert_non_null(strstr(words, "euros into the guarantee fund: 7.77 EUR (777 cents)"));
		assert_non_null(strstr(words, "VIR-MISTAKE"));
		EXPECT(m, manne_void(m, board2, 2, txid, &r), MANNE_OK);
		EXPECT(m, manne_body_sign(body, len, &board[0], &sigs[0]), MANNE_OK);
		EXPECT(m, manne_body_sign(body, len, &board[1], &sigs[1]), MANNE_OK);
		assert_int_equal(manne_body_verify(body, len, &sigs[0]), 0);
		EXPECT(m, manne_submit_signed(m, body, len, sigs, 2, &r), MANNE_ERR_VOIDED);
		/* One flipped byte and the signature no longer holds. */
		body[len - 1] ^= 1;
		assert_int_equal(manne_body_verify(body, len, &sigs[0]), -1);
		manne_free(body);
	}

	/* Reads: the account itself; NOT_PERMITTED for others. */
	EXPECT(m, manne_authenticate(m, &member), MANNE_OK);
	EXPECT(m, manne_account(m, member.public_key, &a), MANNE_OK);
	assert_int_equal(a.balance, 5000 - 1250 + 250 - 500);
	assert_int_equal(a.role, MANNE_ROLE_MEMBER);
	assert_int_equal(a.max_payment, 1000);
	assert_int_equal(a.state, 1);
	EXPECT(m, manne_account(m, shop.public_key, &a), MANNE_ERR_NOT_PERMITTED);
	EXPECT(m, manne_history(m, member.public_key, 0, page, 8, &count, &next), MANNE_OK);
	assert_true(count >= 5 && next == 0); /* newest first, down to the opening */
	for (size_t i = 1; i < count; i++)
		assert_true(page[i].leaf_index < page[i - 1].leaf_index);
	assert_string_equal(page[count - 1].kind, "open_account");
	{ /* the page older than the second entry: everything from the third on */
		size_t all = count;
		uint64_t third = page[2].leaf_index;
		EXPECT(m, manne_history(m, member.public_key, page[1].leaf_index, page, 8, &count, &next), MANNE_OK);
		assert_int_equal(count, all - 2);
		assert_int_equal(page[0].leaf_index, third);
	}
	EXPECT(m, manne_history(m, member.public_key, 1ULL << 40, page, 8, &count, &next), MANNE_ERR_NOT_FOUND);
	EXPECT(m, manne_tx_get(m, pay_receipt.txid, &e), MANNE_OK);
	assert_string_equal(e.kind, "pay");
	assert_int_equal(e.amount, 1250);
	assert_string_equal(e.memo, "panier de legumes");
	assert_int_equal(e.leaf_index, pay_receipt.leaf_index);
	/* The till finds the payment by its order number. */
	EXPECT(m, manne_authenticate(m, &shop), MANNE_OK);
	EXPECT(m, manne_payment_by_reference(m, shop.public_key, "CMD-0042", 0, 0, NULL, &e), MANNE_OK);
	assert_memory_equal(e.txid, pay_receipt.txid, 32);
	EXPECT(m, manne_payment_by_reference(m, shop.public_key, "CMD-0042", 0, 1250, member.public_key, &e), MANNE_OK);
	assert_memory_equal(e.txid, pay_receipt.txid, 32);
	EXPECT(m, manne_payment_by_reference(m, shop.public_key, "CMD-9999", 200, 1250, NULL, &e), MANNE_ERR_NOT_FOUND);
	/* A second payment with a used order number is refused, and the
	 * look-up still finds the first. */
	EXPECT(m, manne_pay(m, &producer, shop.public_key, 1, NULL, "CMD-0042", &r), MANNE_ERR_REFERENCE_USED);
	EXPECT(m, manne_payment_by_reference(m, shop.public_key, "CMD-0042", 0, 1250, member.public_key, &e), MANNE_OK);
	assert_memory_equal(e.txid, pay_receipt.txid, 32);
	/* A payment made first with a guessed order number is found, but it does
	 * not pay the order: another amount, or another payer. */
	EXPECT(m, manne_pay(m, &producer, shop.public_key, 1, NULL, "CMD-0043-G", &r), MANNE_OK);
	EXPECT(m, manne_payment_by_reference(m, shop.public_key, "CMD-0043-G", 0, 1250, NULL, &e), MANNE_ERR_PAYMENT_MISMATCH);
	assert_int_equal(e.amount, 1);
	EXPECT(m, manne_payment_by_reference(m, shop.public_key, "CMD-0043-G", 0, 1, member.public_key, &e),
	       MANNE_ERR_PAYMENT_MISMATCH);
	EXPECT(m, manne_payment_by_reference(m, shop.public_key, "CMD-0043-G", 0, 1, producer.public_key, &e), MANNE_OK);
	/* The auditor reads everyone, and the raw log. */
	EXPECT(m, manne_authenticate(m, &auditor), MANNE_OK);
	EXPECT(m, manne_account(m, shop.public_key, &a), MANNE_OK);
	{
		struct manne_ledger_status st;
		EXPECT(m, manne_status_get(m, &st), MANNE_OK);
		assert_true(st.tree_size > 20);
		assert_string_equal(st.version, "0.1.0");
	}

	/* The board renews itself (an added key co-signs), then the checkpoint key; last, since the
	 * daemon signs no checkpoint with a key it does not hold. */
	manne_key_generate(&newboard);
	{
		const uint8_t *keys[] = {board[0].public_key, board[1].public_key, board[2].public_key, newboard.public_key};
		const struct manne_key *signers[] = {&board[0], &board[1], &newboard};
		struct manne_tx tx = {.kind = MANNE_KIND_SET_BOARD, .keys = keys, .key_count = 4, .threshold = 2};
		/* the new board's M=2 of 4: board[0] and board[1] remain members */
		EXPECT(m, manne_set_board(m, board2, 2, keys, 4, 2, &r), MANNE_ERR_BAD_SIGNATURE);  /* newboard must co-sign */
		EXPECT(m, manne_set_board(m, signers, 3, keys, 4, 2, &r), MANNE_OK);
		EXPECT(m, manne_submit_tx(m, &tx, signers, 3, 0, &r), MANNE_OK);  /* the same act again: a new nonce */
	}
	manne_key_generate(&newcheckpoint);
	EXPECT(m, manne_set_checkpoint_key(m, board2, 2, &newcheckpoint, &r), MANNE_OK);

	manne_key_wipe(&member);
	manne_key_wipe(&shop);
	manne_key_wipe(&producer);
	manne_key_wipe(&auditor);
	manne_key_wipe(&member2);
	manne_key_wipe(&card);
	manne_key_wipe(&card_new);
	manne_key_wipe(&newboard);
	manne_key_wipe(&newcheckpoint);
	manne_close(m);
}

/* Setup for the retry and verification tests, on a fresh ledger. */
static struct manne_key member, shop;

static int setup_funded(void **state)
{
	struct manne *m;
	struct manne_receipt r;
	setup(state);
	m = open_handle();
	manne_key_generate(&member);
	manne_key_generate(&shop);
	open_account(m, &member, MANNE_ROLE_MEMBER, false);
	open_account(m, &shop, MANNE_ROLE_SHOP, false);
	EXPECT(m, manne_fund_reserve(m, board2, 2, 100000, "VIR-1", &r), MANNE_OK);
	EXPECT(m, manne_issue(m, board2, 2, member.public_key, 50000, MANNE_ISSUE_ALLOWANCE, "p", NULL, &r), MANNE_OK);
	manne_close(m);
	return 0;
}

/* A signed pay of `amount` from member to shop, with the next sequence. */
static void signed_pay(struct manne *m, uint64_t amount, uint8_t **body, size_t *len, struct manne_signature *sig)
{
	struct manne_account a;
	struct manne_tx tx = {.kind = MANNE_KIND_PAY, .account = shop.public_key, .amount = amount, .text = "retry"};
	EXPECT(m, manne_authenticate(m, &member), MANNE_OK);
	EXPECT(m, manne_account(m, member.public_key, &a), MANNE_OK);
	EXPECT(m, manne_body_build(manne_origin(m), manne_genesis_id(m), &tx, member.public_key, a.next_sequence,
				   MANNE_ACCOUNT_TX_VALID_MS, (uint64_t)time(NULL) * 1000, body, len), MANNE_OK);
	EXPECT(m, manne_body_sign(*body, *len, &member, sig), MANNE_OK);
}

static uint64_t tree_size(struct manne *m)
{
	struct manne_ledger_status st;
	EXPECT(m, manne_status_get(m, &st), MANNE_OK);
	return st.tree_size;
}

/* A handle pinned to one ledger refuses a server that answers for another,
 * before anything is signed or sent. */
static void test_pinned_ledger(void **state)
{
	struct manne *m = open_handle(), *pinned = NULL, *other = NULL;
	struct manne_receipt r;
	struct manne_ledger_status st;
	char id[MANNE_LEDGER_ID_BYTES], hex[65], wrong[MANNE_LEDGER_ID_BYTES];
	uint8_t wrong_genesis[32];
	uint64_t size;
	(void)state;

	EXPECT(m, manne_ledger_id(m, id, sizeof(id)), MANNE_OK);
	sodium_bin2hex(hex, sizeof(hex), d.genesis_id, 32);
	assert_string_equal(strchr(id, '+') + 1, hex);
	assert_true(strncmp(id, "manne.demo/v1+", 14) == 0);

	/* The right pin: the handle works, and pays. */
	EXPECT(pinned, manne_open("127.0.0.1", d.port, 5000, &pinned), MANNE_OK);
	EXPECT(pinned, manne_pin(pinned, id), MANNE_OK);
	EXPECT(pinned, manne_pay(pinned, &member, shop.public_key, 100, NULL, NULL, &r), MANNE_OK);

	/* Another ledger's id (here, another genesis id): refused, nothing sent. */
	memcpy(wrong_genesis, d.genesis_id, 32);
	wrong_genesis[0] ^= 1;
	sodium_bin2hex(hex, sizeof(hex), wrong_genesis, 32);
	snprintf(wrong, sizeof(wrong), "manne.demo/v1+%s", hex);
	size = tree_size(m);
	EXPECT(other, manne_open("127.0.0.1", d.port, 5000, &other), MANNE_OK);
	EXPECT(other, manne_pin(other, wrong), MANNE_ERR_WRONG_LEDGER);
	assert_string_equal(manne_origin(other), "manne.demo/v1");
	assert_memory_equal(manne_genesis_id(other), wrong_genesis, 32);  /* the pin, never the server's claim */
	EXPECT(other, manne_status_get(other, &st), MANNE_ERR_WRONG_LEDGER);
	EXPECT(other, manne_pay(other, &member, shop.public_key, 100, NULL, NULL, &r), MANNE_ERR_WRONG_LEDGER);
	EXPECT(other, manne_authenticate(other, &member), MANNE_ERR_WRONG_LEDGER);
	assert_int_equal(tree_size(m), size);
	manne_close(other);
	other = NULL;
	/* Another origin with the right genesis id is another ledger too. */
	EXPECT(other, manne_open("127.0.0.1", d.port, 5000, &other), MANNE_OK);
	snprintf(wrong, sizeof(wrong), "manne.other/v1+%s", strchr(id, '+') + 1);
	EXPECT(other, manne_pin(other, wrong), MANNE_ERR_WRONG_LEDGER);
	manne_close(other);
	/* Pins that name no ledger. */
	EXPECT(pinned, manne_pin(pinned, "manne.demo/v1"), MANNE_ERR_ARGUMENT);
	EXPECT(pinned, manne_pin(pinned, "+00"), MANNE_ERR_ARGUMENT);
	EXPECT(pinned, manne_pin(pinned, "a b+0000000000000000000000000000000000000000000000000000000000000000"),
	       MANNE_ERR_ARGUMENT);
	EXPECT(pinned, manne_pin(pinned, NULL), MANNE_ERR_ARGUMENT);
	manne_close(pinned);
	manne_close(m);
}

static void test_retry_duplicate(void **state)
{
	struct manne *m = open_handle();
	struct manne_receipt r;
	struct manne_signature sig;
	struct manne_wire w;
	uint8_t *body;
	size_t len;
	uint64_t before = balance_of(m, &member), size;
	(void)state;

	/* The first sending's receipt is lost: another connection sends the
	 * bytes and closes without reading the reply. */
	signed_pay(m, 300, &body, &len, &sig);
	size = tree_size(m);
	{
		Manne__SignedTx stx = MANNE__SIGNED_TX__INIT;
		Manne__Signature s = MANNE__SIGNATURE__INIT;
		Manne__Signature *sp = &s;
		uint8_t *bytes;
		size_t n;
		s.key = (ProtobufCBinaryData){.len = 32, .data = sig.public_key};
		s.signature = (ProtobufCBinaryData){.len = 64, .data = sig.signature};
		stx.body = (ProtobufCBinaryData){.len = len, .data = body};
		stx.n_signatures = 1;
		stx.signatures = &sp;
		n = manne__signed_tx__get_packed_size(&stx);
		bytes = malloc(n);
		manne__signed_tx__pack(&stx, bytes);
		daemon_connect(&d, &w);
		daemon_send_submit(&w, 1, bytes, n, false);
		for (int i = 0; i < 500 && tree_size(m) == size; i++)
			sleep_ms(10);
		manne_wire_close(&w);
		free(bytes);
	}
	assert_int_equal(tree_size(m), size + 1);
	/* The client, not knowing, sends the same bytes again: the original receipt. */
	EXPECT(m, manne_submit_signed(m, body, len, &sig, 1, &r), MANNE_OK);
	assert_true(r.duplicate);
	assert_true(r.leaf_checked);
	assert_int_equal(r.leaf_index, size);
	assert_int_equal(balance_of(m, &member), before - 300);
	manne_free(body);
	manne_close(m);
}

static void test_retry_idle_reconnect(void **state)
{
	struct manne *m = open_handle();
	struct manne_account a;
	struct manne_receipt r;
	(void)state;

	EXPECT(m, manne_authenticate(m, &member), MANNE_OK);
	/* The daemon closes connections idle for 1 s: the handle reconnects and proves its key again. */
	sleep_ms(1500);
	EXPECT(m, manne_account(m, member.public_key, &a), MANNE_OK);
	sleep_ms(1500);
	EXPECT(m, manne_pay(m, &member, shop.public_key, 10, NULL, NULL, &r), MANNE_OK);
	assert_false(r.duplicate);
	manne_close(m);
}

struct restarter {
	unsigned delay_ms;
	bool kill_first;
	int rc;
};

/* Stops the paused daemon for good and starts it again on the same port. */
static void *restart_later(void *arg)
{
	struct restarter *x = arg;
	char port[16];
	const char *flags[] = {"--listen", NULL, "--idle-timeout-ms", "1000", NULL};
	int status;

	sleep_ms(x->delay_ms);
	snprintf(port, sizeof(port), "127.0.0.1:%u", d.port);
	flags[1] = port;
	if (x->kill_first) {
		kill(d.pid, SIGKILL);   /* the submission in its socket is lost with it */
		waitpid(d.pid, &status, 0);
	} else {
		kill(d.pid, SIGCONT);   /* it applies the submission, answers a closed connection... */
		kill(d.pid, SIGTERM);   /* ...and stops cleanly */
		waitpid(d.pid, &status, 0);
	}
	d.pid = 0;
	x->rc = daemon_try_restart(&d, flags);
	return NULL;
}

static void retry_across_restart(bool kill_first)
{
	struct manne *m = NULL;
	struct manne_receipt r;
	struct manne_signature sig;
	struct restarter x = {.delay_ms = 1500, .kill_first = kill_first};
	pthread_t thread;
	uint8_t *body;
	size_t len;
	uint64_t before;

	/* A reply timeout shorter than the pause, so that the client gives up on
	 * the first connection and resends before the daemon comes back. */
	assert_int_equal(manne_open("127.0.0.1", d.port, 800, &m), MANNE_OK);
	before = balance_of(m, &member);
	signed_pay(m, 700, &body, &len, &sig);
	EXPECT(m, manne_set_retry(m, 12, 100), MANNE_OK);
	/* The daemon stops answering between the submission and its receipt. */
	kill(d.pid, SIGSTOP);
	assert_int_equal(pthread_create(&thread, NULL, restart_later, &x), 0);
	EXPECT(m, manne_submit_signed(m, body, len, &sig, 1, &r), MANNE_OK);
	pthread_join(thread, NULL);
	assert_int_equal(x.rc, 0);
	/* Applied exactly once, whichever attempt landed. */
	assert_true(r.leaf_checked);
	assert_int_equal(balance_of(m, &member), before - 700);
	{
		struct manne_receipt again;
		EXPECT(m, manne_submit_signed(m, body, len, &sig, 1, &again), MANNE_OK);
		assert_true(again.duplicate);
		assert_int_equal(again.leaf_index, r.leaf_index);
	}
	manne_free(body);
	manne_close(m);
}

static void test_retry_daemon_stopped_then_killed(void **state)
{
	(void)state;
	retry_across_restart(true);
}

static void test_retry_daemon_stopped_then_restarted(void **state)
{
	(void)state;
	retry_across_restart(false);
}

static void test_retry_gives_up(void **state)
{
	struct manne *m = open_handle();
	/* Every attempt meets a stopped daemon: MANNE_ERR_TIMEOUT, and the same bytes later are safe. */
	struct manne_receipt r;
	struct manne_signature sig;
	uint8_t *body;
	size_t len;
	(void)state;

	signed_pay(m, 5, &body, &len, &sig);
	manne_close(m);
	/* A short reply timeout, two attempts. */
	assert_int_equal(manne_open("127.0.0.1", d.port, 300, &m), MANNE_OK);
	EXPECT(m, manne_set_retry(m, 0, 100), MANNE_ERR_ARGUMENT);
	EXPECT(m, manne_set_retry(m, 2, 50), MANNE_OK);
	kill(d.pid, SIGSTOP);
	EXPECT(m, manne_submit_signed(m, body, len, &sig, 1, &r), MANNE_ERR_TIMEOUT);
	assert_non_null(strstr(manne_message(m), "no reply"));
	kill(d.pid, SIGCONT);
	/* Later, the same bytes: applied once (by the first attempts, or now). */
	EXPECT(m, manne_set_retry(m, 5, 100), MANNE_OK);
	EXPECT(m, manne_submit_signed(m, body, len, &sig, 1, &r), MANNE_OK);
	manne_free(body);
	manne_close(m);
}

static void test_verification(void **state)
{
	struct manne *m = open_handle();
	struct manne_checkpoint *old = malloc(sizeof(*old)), *now = malloc(sizeof(*now)), *bad = malloc(sizeof(*bad));
	struct manne_receipt r, tampered;
	char vkey[MANNE_VERIFIER_KEY_BYTES_MAX + 1], origin[MANNE_ORIGIN_BYTES_MAX + 1], path[128];
	uint8_t published[32], wrong[32];
	(void)state;

	assert_non_null(old);
	assert_non_null(now);
	assert_non_null(bad);
	EXPECT(m, manne_checkpoint_fetch(m, checkpoint_key, old, vkey), MANNE_OK);
	EXPECT(m, manne_verifier_key_parse(vkey, origin, published), MANNE_OK);
	assert_string_equal(origin, "manne.demo/v1");
	assert_memory_equal(published, checkpoint_key, 32);
	/* Another key: refused. */
	memcpy(wrong, checkpoint_key, 32);
	wrong[0] ^= 1;
	EXPECT(m, manne_checkpoint_fetch(m, wrong, bad, NULL), MANNE_ERR_VERIFY);
	/* Every byte of the note matters: flip some, including the totals and signature. */
	for (size_t i = 0; i < strlen(old->note); i += 7) {
		char note[MANNE_NOTE_BYTES_MAX + 1];
		strcpy(note, old->note);
		note[i] ^= 1;
		if (manne_checkpoint_verify(note, strlen(note), "manne.demo/v1", checkpoint_key, bad) == MANNE_OK)
			fail_msg("a note with byte %zu flipped verified", i);
	}
	EXPECT(m, manne_checkpoint_verify(old->note, strlen(old->note), NULL, checkpoint_key, bad), MANNE_OK);
	EXPECT(m, manne_checkpoint_verify(old->note, strlen(old->note), "manne.other/v1", checkpoint_key, bad),
	       MANNE_ERR_VERIFY);

	EXPECT(m, manne_pay(m, &member, shop.public_key, 42, "verif", NULL, &r), MANNE_OK);
	EXPECT(m, manne_receipt_verify(&r, "manne.demo/v1", checkpoint_key, now), MANNE_OK);
	/* A tampered receipt: a proof hash, the leaf hash, the index, the checkpoint. */
	tampered = r;
	assert_true(tampered.proof_count > 0);
	tampered.proof[0][5] ^= 0x10;
	EXPECT(m, manne_receipt_verify(&tampered, "manne.demo/v1", checkpoint_key, NULL), MANNE_ERR_VERIFY);
	tampered = r;
	tampered.leaf_hash[31] ^= 1;
	EXPECT(m, manne_receipt_verify(&tampered, "manne.demo/v1", checkpoint_key, NULL), MANNE_ERR_VERIFY);
	tampered = r;
	tampered.leaf_index ^= 1;
	EXPECT(m, manne_receipt_verify(&tampered, "manne.demo/v1", checkpoint_key, NULL), MANNE_ERR_VERIFY);
	tampered = r;
	tampered.checkpoint[20] ^= 1;
	EXPECT(m, manne_receipt_verify(&tampered, "manne.demo/v1", checkpoint_key, NULL), MANNE_ERR_VERIFY);
	EXPECT(m, manne_receipt_verify(&r, "manne.demo/v1", wrong, NULL), MANNE_ERR_VERIFY);

	/* Inclusion fetched from the ledger, against the latest checkpoint. */
	EXPECT(m, manne_checkpoint_fetch(m, checkpoint_key, now, NULL), MANNE_OK);
	EXPECT(m, manne_inclusion_check(m, now, r.leaf_index, r.leaf_hash), MANNE_OK);
	tampered = r;
	tampered.leaf_hash[0] ^= 0x80;
	EXPECT(m, manne_inclusion_check(m, now, r.leaf_index, tampered.leaf_hash), MANNE_ERR_VERIFY);

	/* Consistency between the older and the latest checkpoint. */
	assert_true(old->tree_size < now->tree_size);
	EXPECT(m, manne_consistency_check(m, old, now), MANNE_OK);
	EXPECT(m, manne_consistency_check(m, now, now), MANNE_OK);
	*bad = *old;
	bad->root[7] ^= 1;   /* a forked log would show another root for the same size */
	EXPECT(m, manne_consistency_check(m, bad, now), MANNE_ERR_VERIFY);
	assert_non_null(strstr(manne_message(m), "keep both as evidence"));
	*bad = *now;
	bad->root[0] ^= 1;
	EXPECT(m, manne_consistency_check(m, old, bad), MANNE_ERR_VERIFY);
	EXPECT(m, manne_consistency_check(m, now, old), MANNE_ERR_ARGUMENT);

	/* Export: the board reads the log; the leaves hash to the verified root. */
	snprintf(path, sizeof(path), "%s/export.bin", d.dir);
	EXPECT(m, manne_export(m, checkpoint_key, path, bad), MANNE_ERR_NOT_PERMITTED);
	assert_int_equal(access(path, F_OK), -1);  /* nothing left behind */
	EXPECT(m, manne_authenticate(m, &board[0]), MANNE_OK);
	EXPECT(m, manne_export(m, checkpoint_key, path, bad), MANNE_OK);
	EXPECT(m, manne_export(m, checkpoint_key, path, bad), MANNE_ERR_IO);  /* never overwritten */
	{
		FILE *f = fopen(path, "rb");
		uint8_t prefix[4], magic[16], *leaf = malloc(65536);
		uint64_t leaves = 0;
		char note[MANNE_NOTE_BYTES_MAX + 1];
		uint32_t n;
		assert_non_null(f);
		assert_int_equal(fread(magic, 1, 16, f), 16);
		assert_memory_equal(magic, "MANNE-EXPORT-V1\n", 16);
		for (;;) {
			assert_int_equal(fread(prefix, 1, 4, f), 4);
			n = (uint32_t)prefix[0] << 24 | (uint32_t)prefix[1] << 16 | (uint32_t)prefix[2] << 8 | prefix[3];
			if (n == 0)
				break;
			assert_true(n >= 16 && n <= 65535);
			assert_int_equal(fread(leaf, 1, n, f), n);
			assert_int_equal(leaf[7], (uint8_t)leaves);  /* each leaf starts with its index */
			leaves++;
		}
		assert_int_equal(leaves, bad->tree_size);
		assert_int_equal(fread(prefix, 1, 4, f), 4);
		n = (uint32_t)prefix[0] << 24 | (uint32_t)prefix[1] << 16 | (uint32_t)prefix[2] << 8 | prefix[3];
		assert_true(n > 0 && n <= MANNE_NOTE_BYTES_MAX);
		assert_int_equal(fread(note, 1, n, f), n);
		note[n] = '\0';
		assert_string_equal(note, bad->note);
		assert_int_equal(fread(prefix, 1, 1, f), 0);  /* nothing after */
		fclose(f);
		free(leaf);
	}
	free(old);
	free(now);
	free(bad);
	manne_close(m);
}

static void test_bad_arguments(void **state)
{
	struct manne *m = NULL;
	struct manne_receipt r;
	char words[64];
	uint8_t junk[8] = {0x0a, 0x03, 'a', 'b', 'c', 0xff, 0xff, 0xff};
	(void)state;

	/* Nothing listens there: a handle still comes back, with the reason,
	 * at once (a refusal is not retried: 5 attempts would take 3 s). */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(manne_open("127.0.0.1", 1, 5000, &m), MANNE_ERR_CONNECT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	assert_non_null(m);
	assert_non_null(strstr(manne_message(m), "refused the connection"));
	EXPECT(m, manne_set_retry(m, 1, 0), MANNE_OK);
	EXPECT(m, manne_pay(m, &member, shop.public_key, 1, NULL, NULL, &r), MANNE_ERR_CONNECT);
	manne_close(m);
	/* The ledger does not answer at open (stopped), then does: the same handle learns it then. */
	kill(d.pid, SIGSTOP);
	assert_int_equal(manne_open("127.0.0.1", d.port, 300, &m), MANNE_ERR_TIMEOUT);
	assert_string_equal(manne_origin(m), "");
	kill(d.pid, SIGCONT);
	{
		struct manne_ledger_status st;
		EXPECT(m, manne_status_get(m, &st), MANNE_OK);
		assert_string_equal(manne_origin(m), "manne.demo/v1");
		EXPECT(m, manne_pay(m, &member, shop.public_key, 1, NULL, NULL, &r), MANNE_OK);
	}
	manne_close(m);
	/* A FIFO named as a key file is refused at once, never waited on. */
	{
		char fifo[128];
		struct manne_key k;
		snprintf(fifo, sizeof(fifo), "%s/fifo.key", d.dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(manne_key_file_read(fifo, NULL, &k), MANNE_ERR_KEY_FILE);
	}
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(manne_open(long_name, 1, 200, &m), MANNE_ERR_ARGUMENT);
	manne_close(m);
	/* Host names and IPv6 (getaddrinfo): "localhost" reaches the ledger on
	 * 127.0.0.1; on ::1 nothing listens, and that is said. */
	EXPECT(m, manne_open("localhost", d.port, 5000, &m), MANNE_OK);
	assert_string_equal(manne_origin(m), "manne.demo/v1");
	manne_close(m);
	assert_int_equal(manne_open("::1", d.port, 5000, &m), MANNE_ERR_CONNECT);
	assert_non_null(strstr(manne_message(m), "::1")); /* refused, or no IPv6 on this host */
	manne_close(m);
	manne_close(NULL);
	/* A body that does not describe itself exactly is refused, never shown. */
	assert_int_equal(manne_body_describe(junk, sizeof(junk), words, sizeof(words), NULL), MANNE_ERR_MALFORMED);
}

/* The short id on cards, tills and statements: four bytes, upper-case, a space in the middle. */
static void test_short_id(void **state)
{
	uint8_t key[MANNE_PUBLICKEYBYTES] = {0x3f, 0xa2, 0x91, 0xc0, 0xff};
	char id[MANNE_SHORT_ID_BYTES];
	(void)state;
	memset(id, 'x', sizeof(id));
	manne_short_id(key, id);
	assert_string_equal(id, "3FA2 91C0");
	key[0] = 0x0a;
	manne_short_id(key, id);
	assert_string_equal(id, "0AA2 91C0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinned_ledger, setup_funded, teardown),
		cmocka_unit_test_setup_teardown(test_retry_duplicate, setup_funded, teardown),
		cmocka_unit_test_setup_teardown(test_retry_idle_reconnect, setup_funded, teardown),
		cmocka_unit_test_setup_teardown(test_retry_daemon_stopped_then_killed, setup_funded, teardown),
		cmocka_unit_test_setup_teardown(test_retry_daemon_stopped_then_restarted, setup_funded, teardown),
		cmocka_unit_test_setup_teardown(test_retry_gives_up, setup_funded, teardown),
		cmocka_unit_test_setup_teardown(test_verification, setup_funded, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup_funded, teardown),
		cmocka_unit_test(test_short_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
