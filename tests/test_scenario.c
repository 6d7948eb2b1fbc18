/*
 * test_scenario.c: one ledger's life through every transaction kind, as an
 * association, a shop and a member live it; every step asserts its outcome
 * and its effect, and the end replays the log and compares.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "harness.h"

static int setup(void **state)
{
	static struct harness h;
	h_setup(&h);
	*state = &h;
	return 0;
}

static int teardown(void **state)
{
	h_teardown(*state);
	return 0;
}

static void test_life(void **state)
{
	struct harness *h = *state;
	uint8_t pay_txid[32], redeem_txid[32], issue_txid[32];

	assert_int_equal(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	assert_int_equal(h_fund(h, 100000), MANNE_OK);
	assert_int_equal(h_issue(h, "alice", 1000), MANNE_OK);
	memcpy(issue_txid, h->last_txid, 32);
	assert_int_equal(h_balance(h, "alice"), 1000);
	assert_int_equal(h_pay(h, "alice", "shop", 400), MANNE_OK);
	memcpy(pay_txid, h->last_txid, 32);
	assert_int_equal(h_balance(h, "alice"), 600);
	assert_int_equal(h_balance(h, "shop"), 400);
	assert_int_equal(h_pay(h, "alice", "shop", 601), MANNE_ERR_INSUFFICIENT_FUNDS);
	assert_int_equal(h_refund(h, "shop", pay_txid, 100), MANNE_OK);
	assert_int_equal(h_balance(h, "alice"), 700);
	assert_int_equal(h_redeem(h, "shop", 300), MANNE_OK);
	memcpy(redeem_txid, h->last_txid, 32);
	assert_int_equal(h_settle(h, redeem_txid, true), MANNE_OK);
	assert_int_equal(h_totals(h)->reconverted, 300);
	assert_int_equal(h_totals(h)->fees, 4); /* floor(300 * 150 / 10000) */
	assert_int_equal(h_reverse_issue(h, issue_txid, 100), MANNE_OK);
	assert_int_equal(h_balance(h, "alice"), 600);
	h_check_invariants(h);
	h_check_replay(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_life, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
