/*
 * test_daemon_rights.c: rights follow the state in force at each request
 * (SPEC §6). An auditor frozen mid-connection loses its reads at its next
 * request and gets them back when unfrozen; a frozen or closed account is
 * refused at authentication; a card-held key never authenticates, and the
 * till being paid learns the card's next sequence and nothing else; a key
 * removed from the board reads only what is public from the next request.
 * An unauthenticated connection that keeps sending bad signatures is closed
 * after its budget; an authenticated one is not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "ledger/server/server_limits.h"

static struct daemon d;
static struct manne_keypair auditor, shop, card, member;

static int setup(void **state)
{
	struct manne_wire w;
	(void)state;

	daemon_start(&d, NULL);
	daemon_keypair(&auditor);
	daemon_keypair(&shop);
	daemon_keypair(&card);
	daemon_keypair(&member);
	daemon_connect(&d, &w);
	daemon_open_account(&d, &w, &auditor, MANNE__ROLE__ROLE_AUDITOR, false, NULL);
	daemon_open_account(&d, &w, &shop, MANNE__ROLE__ROLE_SHOP, false, NULL);
	daemon_open_account(&d, &w, &card, MANNE__ROLE__ROLE_MEMBER, true, NULL);
	daemon_open_account(&d, &w, &member, MANNE__ROLE__ROLE_MEMBER, false, NULL);
	daemon_fund(&d, &w, 100000);
	daemon_issue(&d, &w, card.public_key, 3000, NULL);
	daemon_issue(&d, &w, member.public_key, 3000, NULL);
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

static void board_act(Manne__TxBody *body)
{
	struct manne_wire w;
	daemon_connect(&d, &w);
	daemon_expect(daemon_submit_board(&d, &w, body, NULL, NULL), MANNE__STATUS__OK);
	manne_wire_close(&w);
}

static void freeze(const uint8_t account[32])
{
	Manne__TxBody body;
	Manne__Freeze f = MANNE__FREEZE__INIT;
	uint8_t nonce[16];
	daemon_body_board(&d, &body, nonce);
	f.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)account};
	body.kind_case = MANNE__TX_BODY__KIND_FREEZE;
	body.freeze = &f;
	board_act(&body);
}

static void set_account(const uint8_t account[32], Manne__SetAccountAction action)
{
	Manne__TxBody body;
	Manne__SetAccount sa = MANNE__SET_ACCOUNT__INIT;
	uint8_t nonce[16];
	daemon_body_board(&d, &body, nonce);
	sa.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)account};
	sa.action = action;
	body.kind_case = MANNE__TX_BODY__KIND_SET_ACCOUNT;
	body.set_account = &sa;
	board_act(&body);
}

static int read_log_status(struct manne_wire *w)
{
	Manne__Response *r = daemon_read_log(w, 0, 2);
	int status = r->status;
	manne__response__free_unpacked(r, NULL);
	return status;
}

static int read_account_status(struct manne_wire *w, const uint8_t key[32])
{
	Manne__Response *r = daemon_read_account(w, key);
	int status = r->status;
	manne__response__free_unpacked(r, NULL);
	return status;
}

/* An auditor whose appointment ended (frozen by the board) loses the raw
 * log at its next request, on the connection it already has, and cannot
 * authenticate again; unfrozen, it reads again. */
static void test_frozen_auditor(void **state)
{
	struct manne_wire w, again;
	Manne__Response *r;
	(void)state;

	daemon_connect(&d, &w);
	assert_int_equal(daemon_authenticate(&w, &auditor), MANNE__STATUS__OK);
	assert_int_equal(read_log_status(&w), MANNE__STATUS__OK);
	assert_int_equal(read_account_status(&w, member.public_key), MANNE__STATUS__OK);

	freeze(auditor.public_key);
	assert_int_equal(read_log_status(&w), MANNE__STATUS__NOT_PERMITTED);
	assert_int_equal(read_account_status(&w, member.public_key), MANNE__STATUS__NOT_PERMITTED);
	r = daemon_read_status(&w); /* public reads go on */
	assert_int_equal(r->status, MANNE__STATUS__OK);
	manne__response__free_unpacked(r, NULL);
	daemon_connect(&d, &again);
	assert_int_equal(daemon_authenticate(&again, &auditor), MANNE__STATUS__NOT_ACTIVE);
	assert_int_equal(read_log_status(&again), MANNE__STATUS__NOT_PERMITTED);
	manne_wire_close(&again);

	set_account(auditor.public_key, MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE);
	assert_int_equal(read_log_status(&w), MANNE__STATUS__OK);
	manne_wire_close(&w);
}

/* A closed shop reads its old account no more, and cannot authenticate. */
static void test_closed_shop(void **state)
{
	struct manne_wire w, again;
	Manne__Response *r;
	(void)state;

	daemon_connect(&d, &w);
	assert_int_equal(daemon_authenticate(&w, &shop), MANNE__STATUS__OK);
	assert_int_equal(read_account_status(&w, shop.public_key), MANNE__STATUS__OK);
	set_account(shop.public_key, MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE);
	assert_int_equal(read_account_status(&w, shop.public_key), MANNE__STATUS__NOT_PERMITTED);
	r = daemon_read_history(&w, shop.public_key, 0, 10);
	assert_int_equal(r->status, MANNE__STATUS__NOT_PERMITTED);
	manne__response__free_unpacked(r, NULL);
	daemon_connect(&d, &again);
	assert_int_equal(daemon_authenticate(&again, &shop), MANNE__STATUS__NOT_ACTIVE);
	manne_wire_close(&again);
	manne_wire_close(&w);

	/* The next tests need a shop: open another under the same name. */
	daemon_keypair(&shop);
	daemon_connect(&d, &w);
	daemon_open_account(&d, &w, &shop, MANNE__ROLE__ROLE_SHOP, false, NULL);
	manne_wire_close(&w);
}

/* A card-held key never authenticates; the till being paid learns the
 * card's next sequence and nothing else; nobody else learns even that. */
static void test_card_reads(void **state)
{
	struct manne_wire anon, till, other;
	Manne__Response *r;
	uint8_t *bytes;
	size_t len;
	(void)state;

	daemon_connect(&d, &anon);
	assert_int_equal(daemon_authenticate(&anon, &card), MANNE__STATUS__NOT_PERMITTED);
	assert_int_equal(read_account_status(&anon, card.public_key), MANNE__STATUS__NOT_PERMITTED);

	daemon_connect(&d, &till);
	assert_int_equal(daemon_authenticate(&till, &shop), MANNE__STATUS__OK);
	r = daemon_read_account(&till, card.public_key);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->account->next_sequence, 1);
	assert_true(r->account->card_held);
	assert_int_equal(r->account->balance, 0);
	assert_int_equal(r->account->remaining_today, 0);
	assert_int_equal(r->account->state, 0);
	assert_int_equal(r->account->role, 0);
	assert_int_equal(r->account->reference.len, 0);
	manne__response__free_unpacked(r, NULL);
	/* The till charges the card with that sequence; it learns the next. */
	daemon_sign_pay(&d, &card, 1, shop.public_key, 250, "panier", NULL, &bytes, &len, NULL);
	daemon_send_submit(&till, 900, bytes, len, false);
	free(bytes);
	daemon_expect(manne_wire_receive(&till), MANNE__STATUS__OK);
	r = daemon_read_account(&till, card.public_key);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->account->next_sequence, 2);
	assert_int_equal(r->account->balance, 0);
	manne__response__free_unpacked(r, NULL);
	/* A shop reads nothing of an account that is not card-held. */
	assert_int_equal(read_account_status(&till, member.public_key), MANNE__STATUS__NOT_PERMITTED);

	/* A member's connection learns nothing of the card. */
	daemon_connect(&d, &other);
	assert_int_equal(daemon_authenticate(&other, &member), MANNE__STATUS__OK);
	assert_int_equal(read_account_status(&other, card.public_key), MANNE__STATUS__NOT_PERMITTED);
	manne_wire_close(&other);
	manne_wire_close(&till);
	manne_wire_close(&anon);
}

static Manne__Response *receive(struct manne_wire *w)
{
	Manne__Response *r = manne_wire_receive(w);
	assert_non_null(r);
	return r;
}

/* Bad signatures before authentication: the connection is closed past its
 * budget, after answering each one. Authenticated, it is not. */
static void test_bad_signature_budget(void **state)
{
	struct manne_wire anon, till;
	uint8_t *bytes;
	size_t len;
	Manne__Response *r;
	(void)state;

	daemon_sign_pay(&d, &member, 1, shop.public_key, 100, NULL, NULL, &bytes, &len, NULL);
	bytes[len - 1] ^= 0x01; /* the last byte of the signature */

	daemon_connect(&d, &till);
	assert_int_equal(daemon_authenticate(&till, &shop), MANNE__STATUS__OK);
	for (unsigned i = 0; i <= BAD_SIGNATURES_ANONYMOUS_MAX + 4; i++)
		daemon_send_submit(&till, 100 + i, bytes, len, false);
	for (unsigned i = 0; i <= BAD_SIGNATURES_ANONYMOUS_MAX + 4; i++) {
		r = receive(&till);
		assert_int_equal(r->id, 100 + i);
		assert_int_equal(r->status, MANNE__STATUS__BAD_SIGNATURE);
		manne__response__free_unpacked(r, NULL);
	}
	r = daemon_read_status(&till);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&till);

	daemon_connect(&d, &anon);
	for (unsigned i = 0; i <= BAD_SIGNATURES_ANONYMOUS_MAX; i++)
		daemon_send_submit(&anon, 1 + i, bytes, len, false);
	for (unsigned i = 0; i <= BAD_SIGNATURES_ANONYMOUS_MAX; i++) {
		r = receive(&anon);
		assert_int_equal(r->id, 1 + i);
		assert_int_equal(r->status, MANNE__STATUS__BAD_SIGNATURE);
		manne__response__free_unpacked(r, NULL);
	}
	r = receive(&anon);
	assert_int_equal(r->id, 0);
	assert_int_equal(r->status, MANNE__STATUS__NOT_PERMITTED);
	manne__response__free_unpacked(r, NULL);
	assert_null(manne_wire_receive(&anon)); /* closed */
	manne_wire_close(&anon);
	free(bytes);

	/* A new connection is served. */
	daemon_connect(&d, &anon);
	r = daemon_read_status(&anon);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&anon);
}

/* A key the board removed reads only what is public from the next request. */
static void test_key_removed_from_board(void **state)
{
	struct manne_wire w, again;
	Manne__TxBody body;
	Manne__SetBoard sb = MANNE__SET_BOARD__INIT;
	ProtobufCBinaryData keys[2];
	uint8_t nonce[16];
	(void)state;

	daemon_connect(&d, &w);
	assert_int_equal(daemon_authenticate(&w, &d.board[2]), MANNE__STATUS__OK);
	assert_int_equal(read_log_status(&w), MANNE__STATUS__OK);

	daemon_body_board(&d, &body, nonce);
	keys[0] = (ProtobufCBinaryData){.len = 32, .data = d.board[0].public_key};
	keys[1] = (ProtobufCBinaryData){.len = 32, .data = d.board[1].public_key};
	sb.keys = keys;
	sb.n_keys = 2;
	sb.threshold = 2;
	body.kind_case = MANNE__TX_BODY__KIND_SET_BOARD;
	body.set_board = &sb;
	board_act(&body);

	assert_int_equal(read_log_status(&w), MANNE__STATUS__NOT_PERMITTED);
	assert_int_equal(read_account_status(&w, member.public_key), MANNE__STATUS__NOT_PERMITTED);
	daemon_connect(&d, &again);
	assert_int_equal(daemon_authenticate(&again, &d.board[2]), MANNE__STATUS__UNKNOWN_ACCOUNT);
	assert_int_equal(daemon_authenticate(&again, &d.board[0]), MANNE__STATUS__OK);
	assert_int_equal(read_log_status(&again), MANNE__STATUS__OK);
	manne_wire_close(&again);
	manne_wire_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frozen_auditor),
		cmocka_unit_test(test_closed_shop),
		cmocka_unit_test(test_card_reads),
		cmocka_unit_test(test_bad_signature_budget),
		cmocka_unit_test(test_key_removed_from_board),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
