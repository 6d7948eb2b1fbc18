/*
 * test_daemon_full.c: a full LMDB map (SPEC §8). The daemon runs with a
 * 1 MiB map; payments are sent until the store refuses them with
 * STORAGE_FULL. Then no receipt said success for a transaction that is not
 * in the log, reads still work, a transaction already applied still gets its
 * original receipt, the board still acts in the part of the map kept for it
 * while payments stay refused, and after a restart with a larger map the
 * ledger goes on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define PAYMENTS_MAX 20000

static void test_storage_full(void **state)
{
	static uint8_t txids[PAYMENTS_MAX][32];
	const char *const small[] = {"--map-size", "1M", NULL};
	const char *const large[] = {"--map-size", "64M", NULL};
	struct manne_keypair member, shop;
	struct daemon d;
	struct manne_wire w;
	uint64_t applied = 0, sent = 0;
	uint8_t *first_bytes = NULL;
	size_t first_len = 0;
	Manne__Response *r;
	(void)state;

	daemon_start(&d, small);
	daemon_keypair(&member);
	daemon_keypair(&shop);
	daemon_connect(&d, &w);
	daemon_open_account(&d, &w, &member, MANNE__ROLE__ROLE_MEMBER, false, NULL);
	daemon_open_account(&d, &w, &shop, MANNE__ROLE__ROLE_SHOP, false, NULL);
	daemon_fund(&d, &w, 100000000);
	daemon_issue(&d, &w, member.public_key, 100000000, NULL);

	for (; sent < PAYMENTS_MAX; sent++) {
		uint8_t *bytes;
		size_t len;
		daemon_sign_pay(&d, &member, applied + 1, shop.public_key, 1, "memo long enough to fill pages",
				NULL, &bytes, &len, txids[sent]);
		daemon_send_submit(&w, sent + 1, bytes, len, false);
		r = manne_wire_receive(&w);
		assert_non_null(r);
		if (r->status == MANNE__STATUS__STORAGE_FULL) {
			manne__response__free_unpacked(r, NULL);
			free(bytes);
			break;
		}
		assert_int_equal(r->status, MANNE__STATUS__OK);
		manne__response__free_unpacked(r, NULL);
		if (applied == 0) {
			first_bytes = bytes;
			first_len = len;
		} else {
			free(bytes);
		}
		applied++;
	}
	assert_true(sent < PAYMENTS_MAX); /* the map did fill up */
	assert_true(applied > 100);

	/* Reads go on, and show exactly the receipted payments. */
	assert_int_equal(daemon_authenticate(&w, &member), MANNE__STATUS__OK);
	r = daemon_read_account(&w, member.public_key);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->account->balance, 100000000 - applied);
	assert_int_equal(r->account->next_sequence, applied + 1);
	manne__response__free_unpacked(r, NULL);
	r = daemon_read_status(&w);
	assert_int_equal(r->status_info->tree_size, 5 + applied);
	manne__response__free_unpacked(r, NULL);

	/* An applied payment sent again still gets its original receipt. */
	daemon_send_submit(&w, 9999, first_bytes, first_len, false);
	r = manne_wire_receive(&w);
	assert_non_null(r);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_true(r->receipt->duplicate);
	assert_int_equal(r->receipt->leaf_index, 5);
	manne__response__free_unpacked(r, NULL);
	free(first_bytes);

	/* The board's reserve (SPEC §8, docs/daemon.md): the board still acts,
	 * and payments stay refused, however small. */
	{
		Manne__TxBody body;
		Manne__Freeze fr = MANNE__FREEZE__INIT;
		uint8_t nonce[16], *bytes;
		size_t len;
		daemon_body_board(&d, &body, nonce);
		fr.account = (ProtobufCBinaryData){.len = 32, .data = shop.public_key};
		body.kind_case = MANNE__TX_BODY__KIND_FREEZE;
		body.freeze = &fr;
		daemon_expect(daemon_submit_board(&d, &w, &body, NULL, NULL), MANNE__STATUS__OK);
		r = daemon_read_status(&w);
		assert_int_equal(r->status_info->tree_size, 5 + applied + 1);
		manne__response__free_unpacked(r, NULL);
		daemon_sign_pay(&d, &member, applied + 1, d.association.public_key, 1, NULL, NULL, &bytes, &len, NULL);
		daemon_send_submit(&w, 10000, bytes, len, false);
		free(bytes);
		daemon_expect(manne_wire_receive(&w), MANNE__STATUS__STORAGE_FULL);
	}
	manne_wire_close(&w);

	/* With a larger map the refused payment applies. */
	daemon_finish(&d);
	assert_int_equal(daemon_try_restart(&d, large), 0);
	daemon_connect(&d, &w);
	{
		uint8_t *bytes;
		size_t len;
		daemon_sign_pay(&d, &member, applied + 1, d.association.public_key, 1, "after growing the map", NULL,
				&bytes, &len, NULL);
		daemon_send_submit(&w, 1, bytes, len, false);
		free(bytes);
		daemon_expect(manne_wire_receive(&w), MANNE__STATUS__OK);
	}
	manne_wire_close(&w);
	daemon_finish(&d);
	daemon_cleanup(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storage_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
