/*
 * test_daemon_cards.c: cards end to end on the real daemon (SPEC §10, §3
 * counters, docs/cards.md), through libmanne as a till would use it. A card
 * pays at its payee's till and nowhere else; at the association's counters,
 * naming the counter, and not at a frozen one; five wrong PINs lock it, the
 * count survives a restart and a backup, the board unlocks it; unlock requests are paced
 * and refused with their codes; after recovery the old card stops and the
 * new one pays from the same balance; and neither the card nor the store's
 * files let anyone find the PIN offline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "ledger/keys/card.h"
#include "ledger/keys/keyfile.h"
#include "ledger/server/server_limits.h"
#include "client_util.h"
#include "manne.h"

/* A little over the pause a card takes after a wrong PIN. */
#define CARD_TRY_PAUSE_MS (CARD_TRY_INTERVAL_MS + 100U)

static struct daemon d;
static struct manne_key board[3], association, shop_a, shop_b, counter_c, counter_d, phone;
static const struct manne_key *board2[] = {&board[0], &board[1]};
static uint8_t ledger_card_key[32];

static struct manne *handle_at(uint16_t port)
{
	struct manne *m = NULL;
	if (manne_open("127.0.0.1", port, 5000, &m) != MANNE_OK)
		fail_msg("manne_open: %s", manne_message(m));
	return m;
}

static struct manne *handle(void)
{
	return handle_at(d.port);
}

/* A till: a handle authenticated as the shop or counter being paid. */
static struct manne *till_at(uint16_t port, const struct manne_key *key)
{
	struct manne *m = handle_at(port);
	EXPECT(m, manne_authenticate(m, key), MANNE_OK);
	return m;
}

static struct manne *till(const struct manne_key *key)
{
	return till_at(d.port, key);
}

static void open_account(const struct manne_key *k, enum manne_role role, bool card)
{
	struct manne *m = handle();
	EXPECT(m, manne_open_account(m, board2, 2, k, role, 0, card ? 5000 : 0, card, NULL, NULL), MANNE_OK);
	manne_close(m);
}

static void issue(const struct manne_key *k, uint64_t amount)
{
	struct manne *m = handle();
	EXPECT(m, manne_issue(m, board2, 2, k->public_key, amount, MANNE_ISSUE_ALLOWANCE, "panier-2026-12", NULL, NULL),
	       MANNE_OK);
	manne_close(m);
}

/* A card for member under pin, with light Argon2id limits (tests only), registered. */
static void card_for(const struct manne_key *member, const char *pin, struct manne_card *card)
{
	uint8_t pin_check[MANNE_CARD_PIN_CHECK_BYTES];
	struct manne *m = handle();
	EXPECT(m, manne_card_seal(member, pin, ledger_card_key, 1, 8, card, pin_check), MANNE_OK);
	EXPECT(m, manne_card_register(m, board2, 2, member->public_key, pin_check, NULL), MANNE_OK);
	manne_close(m);
}

/* A new card-held member with a balance and a card. */
static void card_member(struct manne_key *member, const char *pin, struct manne_card *card)
{
	manne_key_generate(member);
	open_account(member, MANNE_ROLE_MEMBER, true);
	issue(member, 3000);
	card_for(member, pin, card);
}

/* A till of its own for a test: each till has its pace of unlocks a minute. */
static void new_shop(struct manne_key *shop)
{
	manne_key_generate(shop);
	open_account(shop, MANNE_ROLE_SHOP, false);
}

static uint64_t balance(const struct manne_key *account)
{
	struct manne *m = till(&board[0]);
	struct manne_account a;
	EXPECT(m, manne_account(m, account->public_key, &a), MANNE_OK);
	manne_close(m);
	return a.balance;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(manne_init(), MANNE_OK);
	daemon_start(&d, NULL);
	for (int i = 0; i < 3; i++)
		key_of(&d.board[i], &board[i]);
	key_of(&d.association, &association);
	struct manne *m = handle();
	EXPECT(m, manne_card_ledger_key(m, ledger_card_key), MANNE_OK);
	EXPECT(m, manne_fund_reserve(m, board2, 2, 1000000, "virement-1", NULL), MANNE_OK);
	manne_close(m);
	manne_key_generate(&shop_a);
	manne_key_generate(&shop_b);
	manne_key_generate(&counter_c);
	manne_key_generate(&counter_d);
	manne_key_generate(&phone);
	open_account(&shop_a, MANNE_ROLE_SHOP, false);
	open_account(&shop_b, MANNE_ROLE_SHOP, false);
	open_account(&counter_c, MANNE_ROLE_COUNTER, false);
	open_account(&counter_d, MANNE_ROLE_COUNTER, false);
	open_account(&phone, MANNE_ROLE_MEMBER, false);
	issue(&phone, 3000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daemon_finish(&d);
	daemon_cleanup(&d);
	return 0;
}

/* The card's payment signed by the till, without submitting it. */
static void sign_card_payment(struct manne *t, const struct manne_card *card, const char *pin, const uint8_t payee[32],
			      const uint8_t *counter, uint8_t **body, size_t *body_len, struct manne_signature *sig)
{
	struct manne_key member;
	struct manne_account a;
	struct manne_tx tx = {.kind = MANNE_KIND_PAY, .account = payee, .amount = 100, .counter = counter};
	EXPECT(t, manne_card_unlock(t, card, pin, &member, NULL), MANNE_OK);
	EXPECT(t, manne_account(t, member.public_key, &a), MANNE_OK);
	EXPECT(t, manne_body_build(manne_origin(t), manne_genesis_id(t), &tx, member.public_key, a.next_sequence,
				   MANNE_ACCOUNT_TX_VALID_MS, (uint64_t)time(NULL) * 1000U, body, body_len),
	       MANNE_OK);
	EXPECT(t, manne_body_sign(*body, *body_len, &member, sig), MANNE_OK);
	manne_key_wipe(&member);
}

static void test_card_pays_at_its_payee_only(void **state)
{
	(void)state;
	struct manne_key member;
	struct manne_card card;
	struct manne_receipt r;
	struct manne_signature sig;
	uint8_t *body;
	size_t body_len;
	uint32_t tries = 99;

	card_member(&member, "2580", &card);
	struct manne *a = till(&shop_a), *b = till(&shop_b), *anyone = handle();
	EXPECT(a, manne_card_pay(a, &card, "2580", shop_a.public_key, NULL, 250, "panier", "T-1", &tries, &r), MANNE_OK);
	assert_int_equal(tries, MANNE_CARD_WRONG_PINS_MAX);
	assert_int_equal(balance(&member), 3000 - 250);

	/* The same signed bytes: refused on any connection but the payee's. */
	sign_card_payment(a, &card, "2580", shop_a.public_key, NULL, &body, &body_len, &sig);
	EXPECT(b, manne_submit_signed(b, body, body_len, &sig, 1, NULL), MANNE_ERR_NOT_PERMITTED);
	EXPECT(anyone, manne_submit_signed(anyone, body, body_len, &sig, 1, NULL), MANNE_ERR_NOT_PERMITTED);
	EXPECT(a, manne_submit_signed(a, body, body_len, &sig, 1, &r), MANNE_OK);
	assert_false(r.duplicate);
	/* Sent again once applied, it is its original receipt wherever it comes. */
	EXPECT(b, manne_submit_signed(b, body, body_len, &sig, 1, &r), MANNE_OK);
	assert_true(r.duplicate);
	manne_free(body);

	/* Another shop's till cannot charge it for shop A, nor for the association. */
	EXPECT(b, manne_card_pay(b, &card, "2580", shop_a.public_key, NULL, 100, NULL, NULL, NULL, NULL),
	       MANNE_ERR_NOT_PERMITTED);
	EXPECT(b, manne_card_pay(b, &card, "2580", association.public_key, NULL, 100, NULL, NULL, NULL, NULL),
	       MANNE_ERR_NOT_PERMITTED);
	assert_int_equal(balance(&member), 3000 - 350);
	/* A member's own key never authenticates: a card is not a till. */
	struct manne *self = handle();
	EXPECT(self, manne_authenticate(self, &member), MANNE_ERR_NOT_PERMITTED);
	manne_close(self);
	manne_close(a);
	manne_close(b);
	manne_close(anyone);
	manne_key_wipe(&member);
}

static bool history_has(struct manne *m, const uint8_t account[32], const uint8_t txid[32])
{
	struct manne_entry entries[32];
	size_t count = 0;
	uint64_t next = 0;
	EXPECT(m, manne_history(m, account, 0, entries, 32, &count, &next), MANNE_OK);
	for (size_t i = 0; i < count; i++)
		if (memcmp(entries[i].txid, txid, 32) == 0)
			return true;
	return false;
}

static void test_card_pays_at_counters(void **state)
{
	(void)state;
	struct manne_key member;
	struct manne_card card;
	struct manne_receipt r;
	uint64_t before;

	card_member(&member, "1357", &card);
	struct manne *c = till(&counter_c), *dd = till(&counter_d), *p = handle();
	before = balance(&member);
	EXPECT(c, manne_card_pay(c, &card, "1357", association.public_key, counter_c.public_key, 400, "panier", "C-1",
				 NULL, &r),
	       MANNE_OK);
	assert_int_equal(balance(&member), before - 400);
	/* The counter reads the payments it took: in its history, by txid, by
	 * its order number; each names it. */
	struct manne_entry e;
	assert_true(history_has(c, counter_c.public_key, r.txid));
	EXPECT(c, manne_tx_get(c, r.txid, &e), MANNE_OK);
	assert_true(e.has_counter);
	assert_memory_equal(e.counter, counter_c.public_key, 32);
	EXPECT(c, manne_payment_by_reference(c, association.public_key, "C-1", 0, 400, NULL, &e), MANNE_OK);
	assert_memory_equal(e.txid, r.txid, 32);
	assert_true(e.has_counter);
	/* At a counter, the payment must name it. */
	EXPECT(c, manne_card_pay(c, &card, "1357", association.public_key, NULL, 100, NULL, NULL, NULL, NULL),
	       MANNE_ERR_NOT_PERMITTED);
	/* Naming another counter than the connection's. */
	EXPECT(c, manne_card_pay(c, &card, "1357", association.public_key, counter_d.public_key, 100, NULL, NULL, NULL,
				 NULL),
	       MANNE_ERR_NOT_PERMITTED);

	/* A frozen counter takes no card: its unlock is refused, and a payment
	 * naming it is refused by the ledger's rule too. */
	EXPECT(p, manne_freeze(p, &board[0], counter_d.public_key, NULL), MANNE_OK);
	EXPECT(dd, manne_card_pay(dd, &card, "1357", association.public_key, counter_d.public_key, 100, NULL, NULL, NULL,
				  NULL),
	       MANNE_ERR_NOT_PERMITTED);
	const struct manne_key *payer = &phone;
	struct manne_tx tx = {.kind = MANNE_KIND_PAY, .account = association.public_key, .amount = 100,
			      .counter = counter_d.public_key};
	EXPECT(p, manne_submit_tx(p, &tx, &payer, 1, 0, NULL), MANNE_ERR_COUNTERPARTY_NOT_ACTIVE);
	/* Counter rules of the log: only payments to the association name a
	 * counter, only a counter is named, an unknown key is unknown. */
	tx.counter = counter_c.public_key;
	tx.account = shop_a.public_key;
	EXPECT(p, manne_submit_tx(p, &tx, &payer, 1, 0, NULL), MANNE_ERR_ROLE_FORBIDDEN);
	tx.account = association.public_key;
	tx.counter = shop_b.public_key;
	EXPECT(p, manne_submit_tx(p, &tx, &payer, 1, 0, NULL), MANNE_ERR_ROLE_FORBIDDEN);
	uint8_t nobody[32];
	randombytes_buf(nobody, 32);
	tx.counter = nobody;
	EXPECT(p, manne_submit_tx(p, &tx, &payer, 1, 0, NULL), MANNE_ERR_COUNTERPARTY_UNKNOWN);
	tx.counter = counter_c.public_key;
	EXPECT(p, manne_submit_tx(p, &tx, &payer, 1, 0, &r), MANNE_OK);
	/* ... and not what the association was paid elsewhere. */
	tx.counter = NULL;
	tx.reference = "A-1";
	EXPECT(p, manne_submit_tx(p, &tx, &payer, 1, 0, &r), MANNE_OK);
	EXPECT(c, manne_tx_get(c, r.txid, &e), MANNE_ERR_NOT_PERMITTED);
	EXPECT(c, manne_payment_by_reference(c, association.public_key, "A-1", 0, 0, NULL, &e), MANNE_ERR_NOT_FOUND);
	EXPECT(c, manne_payment_by_reference(c, association.public_key, "A-404", 0, 0, NULL, &e), MANNE_ERR_NOT_FOUND);
	EXPECT(c, manne_payment_by_reference(c, shop_a.public_key, "T-1", 0, 0, NULL, &e), MANNE_ERR_NOT_PERMITTED);
	tx.reference = NULL;
	/* A counter holds nothing: it is neither paid nor credited. */
	tx.account = counter_c.public_key;
	tx.counter = NULL;
	EXPECT(p, manne_submit_tx(p, &tx, &payer, 1, 0, NULL), MANNE_ERR_ROLE_FORBIDDEN);
	EXPECT(p, manne_issue(p, board2, 2, counter_c.public_key, 100, MANNE_ISSUE_GRANT, "p", NULL, NULL),
	       MANNE_ERR_ROLE_FORBIDDEN);
	manne_close(c);
	manne_close(dd);
	manne_close(p);
	manne_key_wipe(&member);
}

/* One unlock with the wrong PIN, once the per-card pace allows it. */
static void wrong_pin(struct manne *t, const struct manne_card *card, enum manne_status want, uint32_t want_left)
{
	struct manne_key key;
	uint32_t left = 99;
	sleep_ms(CARD_TRY_PAUSE_MS);
	EXPECT(t, manne_card_unlock(t, card, "9999", &key, &left), want);
	assert_int_equal(left, want_left);
}

static void test_wrong_pins_lock_until_the_board_unlocks(void **state)
{
	(void)state;
	struct manne_key member, key;
	struct manne_card card;
	uint32_t left = 99;

	card_member(&member, "4826", &card);
	struct manne *a = till(&shop_a);
	wrong_pin(a, &card, MANNE_ERR_WRONG_PIN, 4);
	/* Straight after a wrong PIN the card takes no try, and counts none. */
	EXPECT(a, manne_card_unlock(a, &card, "9999", &key, &left), MANNE_ERR_TOO_MANY_TRIES);
	assert_int_equal(left, 4);
	wrong_pin(a, &card, MANNE_ERR_WRONG_PIN, 3);
	manne_close(a);

	/* The count is in the store: a restart keeps it. */
	assert_int_equal(daemon_stop(&d), 0);
	daemon_restart(&d);
	a = till(&shop_a);
	wrong_pin(a, &card, MANNE_ERR_WRONG_PIN, 2);
	wrong_pin(a, &card, MANNE_ERR_WRONG_PIN, 1);
	wrong_pin(a, &card, MANNE_ERR_CARD_LOCKED, 0);
	sleep_ms(CARD_TRY_PAUSE_MS);
	EXPECT(a, manne_card_pay(a, &card, "4826", shop_a.public_key, NULL, 100, NULL, NULL, &left, NULL),
	       MANNE_ERR_CARD_LOCKED);
	assert_int_equal(left, 0);

	/* The board unlocks it (a board act in the log): it pays again. */
	struct manne *b = handle();
	EXPECT(b, manne_card_unlock_board(b, board2, 2, member.public_key, NULL), MANNE_OK);
	EXPECT(a, manne_card_pay(a, &card, "4826", shop_a.public_key, NULL, 100, NULL, NULL, &left, NULL), MANNE_OK);
	assert_int_equal(left, 5);
	/* A right PIN starts the count again. */
	wrong_pin(a, &card, MANNE_ERR_WRONG_PIN, 4);
	EXPECT(b, manne_card_unlock_board(b, board2, 2, phone.public_key, NULL), MANNE_ERR_ROLE_FORBIDDEN);
	manne_close(a);
	manne_close(b);
	manne_key_wipe(&member);
}

/* An unlock request on the wire, as any client could send it. */
static Manne__Response *raw_unlock(struct manne_wire *w, const uint8_t account[32], const uint8_t *sealed, size_t len)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__CardUnlockRequest u = MANNE__CARD_UNLOCK_REQUEST__INIT;
	u.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)account};
	u.sealed = (ProtobufCBinaryData){.len = len, .data = (uint8_t *)sealed};
	request.id = 7;
	request.kind_case = MANNE__REQUEST__KIND_CARD_UNLOCK;
	request.card_unlock = &u;
	return daemon_call(w, &request);
}

static void test_unlock_refusals(void **state)
{
	(void)state;
	struct manne_key member, key;
	struct manne_keypair kp_a, kp_p;
	struct manne_card card;
	struct manne_wire w;
	uint8_t sealed[CARD_UNLOCK_SEALED_BYTES];
	struct card_unlock u = {.proof = {1}, .reply_key = {2}};

	card_member(&member, "7391", &card);
	memcpy(kp_a.public_key, shop_a.public_key, 32);
	memcpy(kp_a.secret_key, shop_a.secret_key, 64);
	memcpy(kp_p.public_key, phone.public_key, 32);
	memcpy(kp_p.secret_key, phone.secret_key, 64);

	/* Who may ask: only an active shop, producer or counter. */
	struct card inner;
	assert_int_equal(card_parse(card.text, strlen(card.text), &inner), MANNE_OK);
	memcpy(u.account, member.public_key, 32);
	memcpy(u.till, shop_a.public_key, 32);
	card_possession_tag(&inner, u.tag);
	card_unlock_seal(&u, ledger_card_key, sealed);
	daemon_connect(&d, &w);
	daemon_expect(raw_unlock(&w, member.public_key, sealed, sizeof(sealed)), MANNE__STATUS__NOT_PERMITTED);
	assert_int_equal(daemon_authenticate(&w, &kp_p), MANNE__STATUS__OK);
	daemon_expect(raw_unlock(&w, member.public_key, sealed, sizeof(sealed)), MANNE__STATUS__NOT_PERMITTED);
	manne_wire_close(&w);

	daemon_connect(&d, &w);
	assert_int_equal(daemon_authenticate(&w, &kp_a), MANNE__STATUS__OK);
	daemon_expect(raw_unlock(&w, member.public_key, sealed, sizeof(sealed) - 1), MANNE__STATUS__MALFORMED);
	uint8_t noise[CARD_UNLOCK_SEALED_BYTES];
	randombytes_buf(noise, sizeof(noise));
	daemon_expect(raw_unlock(&w, member.public_key, noise, sizeof(noise)), MANNE__STATUS__MALFORMED);
	/* Sealed for another till, or for another card. */
	memcpy(u.till, shop_b.public_key, 32);
	card_unlock_seal(&u, ledger_card_key, sealed);
	daemon_expect(raw_unlock(&w, member.public_key, sealed, sizeof(sealed)), MANNE__STATUS__MALFORMED);
	memcpy(u.till, shop_a.public_key, 32);
	memcpy(u.account, phone.public_key, 32);
	card_unlock_seal(&u, ledger_card_key, sealed);
	daemon_expect(raw_unlock(&w, member.public_key, sealed, sizeof(sealed)), MANNE__STATUS__MALFORMED);
	/* No card for this account. */
	daemon_expect(raw_unlock(&w, phone.public_key, sealed, sizeof(sealed)), MANNE__STATUS__NOT_FOUND);
	/* Someone who knows the account key but never saw the card (no
	 * possession tag) tries a PIN: refused, and not counted: the card still
	 * has all its tries and pays. */
	memcpy(u.account, member.public_key, 32);
	memset(u.tag, 7, 32);
	for (int i = 0; i < 5; i++) {
		card_unlock_seal(&u, ledger_card_key, sealed);
		daemon_expect(raw_unlock(&w, member.public_key, sealed, sizeof(sealed)), MANNE__STATUS__NOT_FOUND);
	}
	/* With the tag (the card in hand) and a wrong proof: counted. */
	card_possession_tag(&inner, u.tag);
	card_unlock_seal(&u, ledger_card_key, sealed);
	Manne__Response *resp = raw_unlock(&w, member.public_key, sealed, sizeof(sealed));
	assert_int_equal(resp->status, MANNE__STATUS__WRONG_PIN);
	assert_int_equal(resp->card_unlock->tries_left, 4);
	manne__response__free_unpacked(resp, NULL);
	manne_wire_close(&w);

	/* set_card refusals: not a card-held member, an unknown key, no card to unlock. */
	struct manne_key stranger, bare;
	uint8_t pin_check[MANNE_CARD_PIN_CHECK_BYTES];
	manne_key_generate(&stranger);
	manne_key_generate(&bare);
	open_account(&bare, MANNE_ROLE_MEMBER, true);
	struct manne *b = handle();
	struct manne_card phone_card;
	EXPECT(b, manne_card_seal(&phone, "2580", ledger_card_key, 1, 8, &phone_card, pin_check), MANNE_OK);
	EXPECT(b, manne_card_register(b, board2, 2, phone.public_key, pin_check, NULL), MANNE_ERR_ROLE_FORBIDDEN);
	EXPECT(b, manne_card_register(b, board2, 2, stranger.public_key, pin_check, NULL), MANNE_ERR_COUNTERPARTY_UNKNOWN);
	EXPECT(b, manne_card_unlock_board(b, board2, 2, bare.public_key, NULL), MANNE_ERR_NOT_FOUND);
	struct manne *a = till(&shop_a);
	struct manne_card bare_card;
	EXPECT(b, manne_card_seal(&bare, "2580", ledger_card_key, 1, 8, &bare_card, pin_check), MANNE_OK);
	EXPECT(a, manne_card_unlock(a, &bare_card, "2580", &key, NULL), MANNE_ERR_NOT_FOUND);
	/* A frozen card does not open. */
	EXPECT(b, manne_freeze(b, &board[0], member.public_key, NULL), MANNE_OK);
	EXPECT(a, manne_card_unlock(a, &card, "7391", &key, NULL), MANNE_ERR_NOT_ACTIVE);
	manne_close(a);

	/* One till makes at most CARD_TRIES_PER_MINUTE unlocks a minute, and a
	 * new connection does not start its count again; another till may. */
	struct manne_key other, stall;
	struct manne_card other_card;
	card_member(&other, "8642", &other_card);
	manne_key_generate(&stall);
	open_account(&stall, MANNE_ROLE_PRODUCER, false);
	a = till(&stall);
	for (unsigned i = 0; i < CARD_TRIES_PER_MINUTE; i++) {
		EXPECT(a, manne_card_unlock(a, &other_card, "8642", &key, NULL), MANNE_OK);
		manne_key_wipe(&key);
	}
	EXPECT(a, manne_card_unlock(a, &other_card, "8642", &key, NULL), MANNE_ERR_TOO_MANY_TRIES);
	manne_close(a);
	a = till(&stall);
	EXPECT(a, manne_card_unlock(a, &other_card, "8642", &key, NULL), MANNE_ERR_TOO_MANY_TRIES);
	manne_close(a);
	a = till(&shop_a);
	EXPECT(a, manne_card_unlock(a, &other_card, "8642", &key, NULL), MANNE_OK);
	manne_key_wipe(&key);
	/* A PIN that is not 4 to 6 digits is never sent. */
	EXPECT(a, manne_card_unlock(a, &other_card, "12", &key, NULL), MANNE_ERR_PIN_FORMAT);
	manne_close(a);
	manne_close(b);
	manne_key_wipe(&member);
	manne_key_wipe(&other);
	manne_key_wipe(&stall);
}

static void test_recovery_renews_the_card(void **state)
{
	(void)state;
	struct manne_key member, renewed, key;
	struct manne_card old_card, new_card, reprinted;

	card_member(&member, "3691", &old_card);
	struct manne *b = handle(), *a = till(&shop_a);
	EXPECT(a, manne_card_pay(a, &old_card, "3691", shop_a.public_key, NULL, 500, NULL, NULL, NULL, NULL), MANNE_OK);
	/* Lost: one board member freezes it at once; then recovery and a new card. */
	EXPECT(b, manne_freeze(b, &board[1], member.public_key, NULL), MANNE_OK);
	manne_key_generate(&renewed);
	EXPECT(b, manne_recover_account(b, board2, 2, member.public_key, &renewed, NULL), MANNE_OK);
	card_for(&renewed, "1470", &new_card);
	EXPECT(a, manne_card_unlock(a, &old_card, "3691", &key, NULL), MANNE_ERR_NOT_ACTIVE);
	EXPECT(a, manne_card_pay(a, &new_card, "1470", shop_a.public_key, NULL, 700, NULL, NULL, NULL, NULL), MANNE_OK);
	assert_int_equal(balance(&renewed), 3000 - 500 - 700);
	/* A card printed again (a forgotten PIN) replaces the previous one:
	 * the old card is not the one registered, and its tries do not count
	 * against the new one. */
	card_for(&renewed, "2604", &reprinted);
	for (int i = 0; i < 6; i++)
		EXPECT(a, manne_card_unlock(a, &new_card, "1470", &key, NULL), MANNE_ERR_NOT_FOUND);
	EXPECT(a, manne_card_pay(a, &reprinted, "2604", shop_a.public_key, NULL, 100, NULL, NULL, NULL, NULL), MANNE_OK);
	manne_close(a);
	manne_close(b);
	manne_key_wipe(&member);
	manne_key_wipe(&renewed);
}

/* A backup keeps the card and its count of wrong PINs, and with --with-keys
 * the card key: the restored ledger opens the card, and the count goes on. */
static void test_backup_keeps_the_card_and_its_count(void **state)
{
	(void)state;
	const char *exe = getenv("MANNE_LEDGER_EXE");
	char backup[160], pass[160], cmd[256];
	struct manne_key member;
	struct manne_card card;
	struct daemon r;
	FILE *f;

	struct manne_key shop;
	new_shop(&shop);
	card_member(&member, "6048", &card);
	struct manne *a = till(&shop);
	wrong_pin(a, &card, MANNE_ERR_WRONG_PIN, 4);
	wrong_pin(a, &card, MANNE_ERR_WRONG_PIN, 3);
	manne_close(a);
	snprintf(backup, sizeof(backup), "%s/cards.backup", d.dir);
	snprintf(pass, sizeof(pass), "%s/cards.passphrase", d.dir);
	f = fopen(pass, "w");
	assert_non_null(f);
	fputs("une phrase pour la sauvegarde\n", f);
	fclose(f);
	{
		const char *argv[] = {exe, "backup", "--data", d.dir, "--out", backup, "--with-keys", "--passphrase-file", pass,
				      NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	memset(&r, 0, sizeof(r));
	strcpy(r.dir, "/tmp/manne-cards-XXXXXX");
	assert_non_null(mkdtemp(r.dir));
	assert_int_equal(rmdir(r.dir), 0); /* restore makes it */
	{
		const char *argv[] = {exe, "restore", "--in", backup, "--data", r.dir, "--passphrase-file", pass, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	memcpy(r.board, d.board, sizeof(d.board));
	memcpy(&r.checkpoint, &d.checkpoint, sizeof(d.checkpoint));
	assert_int_equal(daemon_try_restart(&r, NULL), 0);
	a = till_at(r.port, &shop);
	struct manne_key key;
	uint32_t left = 99;
	sleep_ms(CARD_TRY_PAUSE_MS);
	EXPECT(a, manne_card_unlock(a, &card, "9999", &key, &left), MANNE_ERR_WRONG_PIN);
	assert_int_equal(left, 2);
	sleep_ms(CARD_TRY_PAUSE_MS);
	EXPECT(a, manne_card_pay(a, &card, "6048", shop.public_key, NULL, 100, NULL, NULL, &left, NULL), MANNE_OK);
	manne_close(a);
	daemon_finish(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r.dir);
	assert_int_equal(system(cmd), 0);
	manne_key_wipe(&member);
}

/* Every regular file under dir except keys/, concatenated. */
static void read_tree(const char *dir, uint8_t **buf, size_t *len)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	assert_non_null(dp);
	while ((e = readdir(dp)) != NULL) {
		char path[1024];
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, "keys") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			read_tree(path, buf, len);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		*buf = realloc(*buf, *len + (size_t)st.st_size);
		assert_non_null(*buf);
		assert_int_equal(fread(*buf + *len, 1, (size_t)st.st_size, f), (size_t)st.st_size);
		*len += (size_t)st.st_size;
		fclose(f);
	}
	closedir(dp);
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Whether the 32 bytes of needle occur anywhere in hay (prefix index first). */
static bool occurs(const uint64_t *prefixes, size_t n, const uint8_t *hay, size_t hay_len, const uint8_t needle[32])
{
	uint64_t p;
	memcpy(&p, needle, 8);
	if (bsearch(&p, prefixes, n, sizeof(p), compare_u64) == NULL)
		return false;
	for (size_t i = 0; i + 32 <= hay_len; i++)
		if (memcmp(hay + i, needle, 32) == 0)
			return true;
	return false;
}

/* SPEC §10: with the card and a copy of every file of the store (all but
 * the keys directory, where the card key stays), no PIN can be tested:
 * neither the card secret, nor the PIN hash or proof of any of the 10,000
 * PINs, is in the files; and no 32 bytes of the files, nor of the card's
 * sealed PIN check, open the card under any PIN. The card key (the control)
 * does open the PIN check. */
static void test_card_and_store_files_open_under_no_pin(void **state)
{
	(void)state;
	struct manne_key member;
	struct card card;
	uint8_t secret[32], salt[CARD_SALT_BYTES], pin_check[CARD_PIN_CHECK_BYTES], h[32], proof[32], out[32];
	uint8_t *files = NULL;
	size_t files_len = 0;
	char pin[8], path[512];

	manne_key_generate(&member);
	open_account(&member, MANNE_ROLE_MEMBER, true);
	randombytes_buf(secret, sizeof(secret));
	randombytes_buf(salt, sizeof(salt));
	assert_int_equal(card_seal_with(member.secret_key, "5173", 1, CARD_MEM_LOG2_KIB_MIN, ledger_card_key, salt, secret,
					&card, pin_check),
			 MANNE_OK);
	struct manne *b = handle();
	EXPECT(b, manne_card_register(b, board2, 2, member.public_key, pin_check, NULL), MANNE_OK);
	manne_close(b);
	struct manne_key shop;
	new_shop(&shop);
	struct manne *a = till(&shop);
	struct manne_card public_card;
	char text[CARD_TEXT_BYTES + 1];
	card_format(&card, text);
	EXPECT(a, manne_card_parse(text, strlen(text), &public_card), MANNE_OK);
	struct manne_key opened;
	sleep_ms(CARD_TRY_PAUSE_MS);
	EXPECT(a, manne_card_unlock(a, &public_card, "5173", &opened, NULL), MANNE_OK);
	assert_memory_equal(opened.public_key, member.public_key, 32);
	manne_key_wipe(&opened);
	manne_close(a);

	assert_int_equal(daemon_stop(&d), 0);
	read_tree(d.dir, &files, &files_len);
	assert_true(files_len > 4096);
	size_t n = files_len >= 32 ? files_len - 31 : 0;
	uint64_t *prefixes = malloc(n * sizeof(*prefixes));
	assert_non_null(prefixes);
	for (size_t i = 0; i < n; i++)
		memcpy(&prefixes[i], files + i, 8);
	qsort(prefixes, n, sizeof(*prefixes), compare_u64);
	/* The store holds the sealed PIN check, and never the secret. */
	assert_true(occurs(prefixes, n, files, files_len, pin_check + 32));
	assert_false(occurs(prefixes, n, files, files_len, secret));

	for (unsigned p = 0; p < 10000; p++) {
		snprintf(pin, sizeof(pin), "%04u", p);
		assert_int_equal(card_pin_hash(&card, pin, h), MANNE_OK);
		card_pin_proof(h, card.account, proof);
		assert_false(occurs(prefixes, n, files, files_len, h));
		assert_false(occurs(prefixes, n, files, files_len, proof));
		for (size_t at = 0; at + 32 <= sizeof(pin_check); at++)
			assert_int_equal(card_open(&card, h, pin_check + at, out), MANNE_ERR_CARD_OPEN);
	}
	/* The right PIN with every 32 bytes of the files as the secret. */
	assert_int_equal(card_pin_hash(&card, "5173", h), MANNE_OK);
	for (size_t i = 0; i + 32 <= files_len; i++)
		if (card_open(&card, h, files + i, out) == MANNE_OK)
			fail_msg("the store's bytes at %zu open the card", i);
	/* The control: the card key, kept outside the store, opens the PIN check. */
	struct manne_keypair card_key;
	uint8_t pk[32], sk[32];
	struct card_check check;
	snprintf(path, sizeof(path), "%s/keys/card.key", d.dir);
	assert_int_equal(keyfile_read(path, &card_key), 0);
	assert_int_equal(card_ledger_keypair(card_key.secret_key, pk, sk), 0);
	assert_memory_equal(pk, ledger_card_key, 32);
	assert_int_equal(card_pin_check_open(pin_check, pk, sk, &check), 0);
	assert_memory_equal(check.secret, secret, 32);
	assert_int_equal(card_open(&card, h, check.secret, out), MANNE_OK);
	free(prefixes);
	free(files);
	/* Without its card key a ledger that has cards does not start (a new key
	 * would open none of them); with it back, it does. */
	char moved[512];
	snprintf(moved, sizeof(moved), "%s/card.key.away", d.dir);
	assert_int_equal(rename(path, moved), 0);
	assert_true(daemon_try_restart(&d, NULL) > 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rename(moved, path), 0);
	assert_int_equal(daemon_try_restart(&d, NULL), 0);
	manne_key_wipe(&member);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_card_pays_at_its_payee_only),
		cmocka_unit_test(test_card_pays_at_counters),
		cmocka_unit_test(test_wrong_pins_lock_until_the_board_unlocks),
		cmocka_unit_test(test_unlock_refusals),
		cmocka_unit_test(test_recovery_renews_the_card),
		cmocka_unit_test(test_backup_keeps_the_card_and_its_count),
		cmocka_unit_test(test_card_and_store_files_open_under_no_pin),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
