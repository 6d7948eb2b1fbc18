/*
 * test_daemon_permissions.c: who may read what (SPEC §6), each read allowed
 * and refused. An account reads its own account and history; another
 * account or an anonymous connection may not; the board and auditors read
 * everything, and only they see the opaque reference, an issue's reason,
 * programme and reference. A transaction by txid is for its signer, the
 * accounts it names, the board and auditors; a payment by reference for its
 * payee; the raw log for the board and auditors; checkpoints, proofs and
 * status for anyone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static struct daemon d;
static struct manne_keypair member, other, shop, auditor;
static uint8_t issue_txid[32], pay_txid[32];

/* One connection per reader. */
enum who { ANON, MEMBER, OTHER, SHOP, AUDITOR, BOARD, READERS };
static const char *const names[READERS] = {"anonymous", "member", "other member", "shop", "auditor", "board"};
static struct manne_wire conn[READERS];

static int setup(void **state)
{
	struct manne_wire w;
	Manne__TxBody body;
	Manne__Issue is = MANNE__ISSUE__INIT;
	uint8_t nonce[16], *bytes;
	size_t len;
	(void)state;

	daemon_start(&d, NULL);
	daemon_keypair(&member);
	daemon_keypair(&other);
	daemon_keypair(&shop);
	daemon_keypair(&auditor);
	daemon_connect(&d, &w);
	daemon_open_account(&d, &w, &member, MANNE__ROLE__ROLE_MEMBER, false, "dossier-42");
	daemon_open_account(&d, &w, &other, MANNE__ROLE__ROLE_MEMBER, false, NULL);
	daemon_open_account(&d, &w, &shop, MANNE__ROLE__ROLE_SHOP, false, NULL);
	daemon_open_account(&d, &w, &auditor, MANNE__ROLE__ROLE_AUDITOR, false, NULL);
	daemon_fund(&d, &w, 100000);
	daemon_body_board(&d, &body, nonce);
	is.account = (ProtobufCBinaryData){.len = 32, .data = member.public_key};
	is.amount = 5000;
	is.reason = MANNE__ISSUE_REASON__ISSUE_PURCHASE;
	is.programme = (char *)"achat-2026-11";
	is.reference = (char *)"caisse-17";
	body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	body.issue = &is;
	daemon_expect(daemon_submit_board(&d, &w, &body, NULL, issue_txid), MANNE__STATUS__OK);
	daemon_issue(&d, &w, other.public_key, 1000, NULL);
	daemon_sign_pay(&d, &member, 1, shop.public_key, 1200, "panier", "R-1", &bytes, &len, pay_txid);
	daemon_send_submit(&w, 1, bytes, len, false);
	free(bytes);
	daemon_expect(manne_wire_receive(&w), MANNE__STATUS__OK);
	manne_wire_close(&w);

	for (int i = 0; i < READERS; i++)
		daemon_connect(&d, &conn[i]);
	assert_int_equal(daemon_authenticate(&conn[MEMBER], &member), MANNE__STATUS__OK);
	assert_int_equal(daemon_authenticate(&conn[OTHER], &other), MANNE__STATUS__OK);
	assert_int_equal(daemon_authenticate(&conn[SHOP], &shop), MANNE__STATUS__OK);
	assert_int_equal(daemon_authenticate(&conn[AUDITOR], &auditor), MANNE__STATUS__OK);
	assert_int_equal(daemon_authenticate(&conn[BOARD], &d.board[2]), MANNE__STATUS__OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < READERS; i++)
		manne_wire_close(&conn[i]);
	daemon_finish(&d);
	daemon_cleanup(&d);
	return 0;
}

static void expect_refused(Manne__Response *r, enum who who)
{
	assert_non_null(r);
	if (r->status != MANNE__STATUS__NOT_PERMITTED)
		fail_msg("%s: expected NOT_PERMITTED, got %d (%s)", names[who], r->status, r->message);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND__NOT_SET);
	manne__response__free_unpacked(r, NULL);
}

static Manne__Response *expect_allowed(Manne__Response *r, enum who who)
{
	assert_non_null(r);
	if (r->status != MANNE__STATUS__OK)
		fail_msg("%s: expected OK, got %d (%s)", names[who], r->status, r->message);
	return r;
}

static void test_account(void **state)
{
	(void)state;
	/* Its own account: yes, without the opaque reference. */
	Manne__Response *r = expect_allowed(daemon_read_account(&conn[MEMBER], member.public_key), MEMBER);
	assert_int_equal(r->account->balance, 5000 - 1200);
	assert_int_equal(r->account->reference.len, 0);
	manne__response__free_unpacked(r, NULL);
	/* Another's, or anonymously: no. */
	expect_refused(daemon_read_account(&conn[OTHER], member.public_key), OTHER);
	expect_refused(daemon_read_account(&conn[SHOP], member.public_key), SHOP);
	expect_refused(daemon_read_account(&conn[ANON], member.public_key), ANON);
	expect_refused(daemon_read_account(&conn[MEMBER], other.public_key), MEMBER);
	/* The auditor and the board: yes, with the reference. */
	for (enum who who = AUDITOR; who <= BOARD; who++) {
		r = expect_allowed(daemon_read_account(&conn[who], member.public_key), who);
		assert_int_equal(r->account->balance, 3800);
		assert_int_equal(r->account->reference.len, 10);
		assert_memory_equal(r->account->reference.data, "dossier-42", 10);
		manne__response__free_unpacked(r, NULL);
	}
}

/* The issue in a history page, as `who` sees it. */
static void check_issue_entry(const Manne__TxInfo *e, bool privileged)
{
	assert_string_equal(e->kind, "issue");
	assert_int_equal(e->amount, 5000);
	assert_memory_equal(e->txid.data, issue_txid, 32);
	if (privileged) {
		assert_int_equal(e->issue_reason, MANNE__ISSUE_REASON__ISSUE_PURCHASE);
		assert_string_equal(e->programme, "achat-2026-11");
		assert_string_equal(e->reference, "caisse-17");
	} else {
		assert_int_equal(e->issue_reason, MANNE__ISSUE_REASON__ISSUE_REASON_UNSPECIFIED);
		assert_string_equal(e->programme, "");
		assert_string_equal(e->reference, "");
	}
}

static void test_history(void **state)
{
	(void)state;
	for (enum who who = MEMBER; who <= BOARD; who++) {
		if (who == OTHER || who == SHOP)
			continue;
		Manne__Response *r = expect_allowed(daemon_read_history(&conn[who], member.public_key, 0, 0), who);
		bool found_issue = false, found_pay = false;
		assert_int_equal(r->history->n_entries, 3); /* opened, issue, pay */
		for (size_t i = 0; i < r->history->n_entries; i++) {
			const Manne__TxInfo *e = r->history->entries[i];
			if (strcmp(e->kind, "issue") == 0) {
				check_issue_entry(e, who != MEMBER);
				found_issue = true;
			}
			if (strcmp(e->kind, "pay") == 0) {
				assert_memory_equal(e->counterparty.data, shop.public_key, 32);
				assert_string_equal(e->memo, "panier");
				found_pay = true;
			}
		}
		assert_true(found_issue && found_pay);
		manne__response__free_unpacked(r, NULL);
	}
	expect_refused(daemon_read_history(&conn[OTHER], member.public_key, 0, 0), OTHER);
	expect_refused(daemon_read_history(&conn[SHOP], member.public_key, 0, 0), SHOP);
	expect_refused(daemon_read_history(&conn[ANON], member.public_key, 0, 0), ANON);
	/* The shop's own history shows the payer's key. */
	Manne__Response *r = expect_allowed(daemon_read_history(&conn[SHOP], shop.public_key, 0, 0), SHOP);
	assert_int_equal(r->history->n_entries, 2); /* paid, opened: newest first */
	assert_string_equal(r->history->entries[0]->kind, "pay");
	assert_memory_equal(r->history->entries[0]->counterparty.data, member.public_key, 32);
	assert_string_equal(r->history->entries[1]->kind, "open_account");
	manne__response__free_unpacked(r, NULL);
}

static void test_tx_by_txid(void **state)
{
	Manne__Response *r;
	(void)state;
	/* The payment: its signer, its payee, the auditor and the board. */
	for (enum who who = MEMBER; who <= BOARD; who++) {
		if (who == OTHER)
			continue;
		r = expect_allowed(daemon_read_tx(&conn[who], pay_txid), who);
		assert_string_equal(r->tx->kind, "pay");
		assert_int_equal(r->tx->amount, 1200);
		assert_memory_equal(r->tx->signer.data, member.public_key, 32);
		/* Seen from the payee: the other party is the payer. */
		assert_memory_equal(r->tx->counterparty.data, who == SHOP ? member.public_key : shop.public_key, 32);
		assert_string_equal(r->tx->payee_reference, "R-1");
		manne__response__free_unpacked(r, NULL);
	}
	expect_refused(daemon_read_tx(&conn[OTHER], pay_txid), OTHER);
	expect_refused(daemon_read_tx(&conn[ANON], pay_txid), ANON);
	/* The issue: the member it credited sees it without the programme. */
	for (enum who who = MEMBER; who <= BOARD; who++) {
		if (who == OTHER || who == SHOP)
			continue;
		r = expect_allowed(daemon_read_tx(&conn[who], issue_txid), who);
		check_issue_entry(r->tx, who != MEMBER);
		manne__response__free_unpacked(r, NULL);
	}
	expect_refused(daemon_read_tx(&conn[SHOP], issue_txid), SHOP);
	expect_refused(daemon_read_tx(&conn[OTHER], issue_txid), OTHER);
}

static void test_payment_by_reference(void **state)
{
	Manne__Response *r;
	(void)state;
	for (enum who who = SHOP; who <= BOARD; who++) {
		r = expect_allowed(daemon_read_payment(&conn[who], shop.public_key, "R-1", 0), who);
		assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_PAYMENT);
		assert_memory_equal(r->payment->txid.data, pay_txid, 32);
		assert_int_equal(r->payment->amount, 1200);
		manne__response__free_unpacked(r, NULL);
	}
	/* The payer may not ask by the payee's reference; nor others. */
	expect_refused(daemon_read_payment(&conn[MEMBER], shop.public_key, "R-1", 0), MEMBER);
	expect_refused(daemon_read_payment(&conn[OTHER], shop.public_key, "R-1", 0), OTHER);
	expect_refused(daemon_read_payment(&conn[ANON], shop.public_key, "R-1", 0), ANON);
	/* Refused at once, even with a wait. */
	expect_refused(daemon_read_payment(&conn[MEMBER], shop.public_key, "R-2", 10000), MEMBER);
}

static void test_log_entries(void **state)
{
	Manne__Response *r;
	(void)state;
	expect_refused(daemon_read_log(&conn[MEMBER], 0, 10), MEMBER);
	expect_refused(daemon_read_log(&conn[SHOP], 0, 10), SHOP);
	expect_refused(daemon_read_log(&conn[ANON], 0, 10), ANON);
	for (enum who who = AUDITOR; who <= BOARD; who++) {
		r = expect_allowed(daemon_read_log(&conn[who], 0, 0), who);
		assert_int_equal(r->log_entries->n_leaves, 9);
		assert_int_equal(r->log_entries->next_index, 0);
		manne__response__free_unpacked(r, NULL);
	}
}

static Manne__Response *read_redemptions(struct manne_wire *w, const uint8_t *after, size_t after_len)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__RedemptionsRequest q = MANNE__REDEMPTIONS_REQUEST__INIT;
	q.after_txid = (ProtobufCBinaryData){.len = after_len, .data = (uint8_t *)after};
	q.include_settled = true;
	request.kind_case = MANNE__REQUEST__KIND_REDEMPTIONS;
	request.redemptions = &q;
	return daemon_call(w, &request);
}

/* The reconversions are the board's and auditors' only; a cursor is a txid
 * or nothing. (This ledger has none: the list is empty and complete.) */
static void test_redemptions(void **state)
{
	static const uint8_t short_cursor[5];
	Manne__Response *r;
	(void)state;
	expect_refused(read_redemptions(&conn[MEMBER], NULL, 0), MEMBER);
	expect_refused(read_redemptions(&conn[SHOP], NULL, 0), SHOP);
	expect_refused(read_redemptions(&conn[ANON], NULL, 0), ANON);
	for (enum who who = AUDITOR; who <= BOARD; who++) {
		r = expect_allowed(read_redemptions(&conn[who], NULL, 0), who);
		assert_int_equal(r->redemptions->n_redemptions, 0);
		assert_int_equal(r->redemptions->next_txid.len, 0);
		manne__response__free_unpacked(r, NULL);
	}
	r = read_redemptions(&conn[BOARD], short_cursor, sizeof(short_cursor));
	assert_non_null(r);
	assert_int_equal(r->status, MANNE__STATUS__MALFORMED);
	manne__response__free_unpacked(r, NULL);
}

static void test_public_reads(void **state)
{
	struct checkpoint c;
	Manne__Response *r;
	(void)state;
	for (enum who who = ANON; who < READERS; who++) {
		daemon_read_checkpoint(&conn[who], d.checkpoint.public_key, &c);
		assert_int_equal(c.tree_size, 9);
		assert_int_equal(c.totals.issued, 6000);
		r = expect_allowed(daemon_read_status(&conn[who]), who);
		assert_int_equal(r->status_info->tree_size, 9);
		manne__response__free_unpacked(r, NULL);
		r = expect_allowed(daemon_read_inclusion(&conn[who], 8, 9), who);
		assert_int_equal(r->inclusion_proof->tree_size, 9);
		manne__response__free_unpacked(r, NULL);
		r = expect_allowed(daemon_read_consistency(&conn[who], 3, 9), who);
		assert_true(r->consistency_proof->n_hashes > 0);
		manne__response__free_unpacked(r, NULL);
	}
}

/* Authenticating again as someone else changes what the connection reads. */
static void test_reauthentication(void **state)
{
	struct manne_wire w;
	(void)state;
	daemon_connect(&d, &w);
	assert_int_equal(daemon_authenticate(&w, &auditor), MANNE__STATUS__OK);
	daemon_expect(daemon_read_log(&w, 0, 1), MANNE__STATUS__OK);
	assert_int_equal(daemon_authenticate(&w, &other), MANNE__STATUS__OK);
	expect_refused(daemon_read_log(&w, 0, 1), OTHER);
	expect_refused(daemon_read_account(&w, member.public_key), OTHER);
	daemon_expect(daemon_read_account(&w, other.public_key), MANNE__STATUS__OK);
	manne_wire_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_tx_by_txid),
		cmocka_unit_test(test_payment_by_reference),
		cmocka_unit_test(test_log_entries),
		cmocka_unit_test(test_redemptions),
		cmocka_unit_test(test_public_reads),
		cmocka_unit_test(test_reauthentication),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
