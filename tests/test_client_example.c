/*
 * test_client_example.c: the till integrator's example (docs/examples/till.c,
 * built against libmanne) run against the real daemon: a member and a shop
 * are opened and funded with libmanne, their keys written to files as a till
 * would hold them, then the example pays, proves, refunds and looks up; its
 * exit status and the balances afterwards are checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "manne.h"

static struct daemon d;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(manne_init(), MANNE_OK);
	daemon_start(&d, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daemon_finish(&d);
	daemon_cleanup(&d);
	return 0;
}

static int run(const char *const *argv)
{
	int status;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_till_example(void **state)
{
	const char *till = getenv("MANNE_TILL_EXAMPLE");
	struct manne_key board[2], member, shop;
	const struct manne_key *b[] = {&board[0], &board[1]};
	struct manne_receipt r;
	struct manne_account a;
	struct manne *m = NULL;
	char port[16], shop_path[128], member_path[128], ck[65];
	(void)state;

	assert_non_null(till);
	for (int i = 0; i < 2; i++) {
		memcpy(board[i].public_key, d.board[i].public_key, 32);
		memcpy(board[i].secret_key, d.board[i].secret_key, 64);
	}
	manne_key_generate(&member);
	manne_key_generate(&shop);
	assert_int_equal(manne_open("127.0.0.1", d.port, 5000, &m), MANNE_OK);
	assert_int_equal(manne_open_account(m, b, 2, &member, MANNE_ROLE_MEMBER, 0, 0, false, NULL, &r), MANNE_OK);
	assert_int_equal(manne_open_account(m, b, 2, &shop, MANNE_ROLE_SHOP, 0, 0, false, NULL, &r), MANNE_OK);
	assert_int_equal(manne_fund_reserve(m, b, 2, 10000, "VIR-TILL", &r), MANNE_OK);
	assert_int_equal(manne_issue(m, b, 2, member.public_key, 2000, MANNE_ISSUE_ALLOWANCE, "panier", NULL, &r), MANNE_OK);
	snprintf(shop_path, sizeof(shop_path), "%s/shop.key", d.dir);
	snprintf(member_path, sizeof(member_path), "%s/member.key", d.dir);
	assert_int_equal(manne_key_file_write(shop_path, &shop, NULL), MANNE_OK);
	assert_int_equal(manne_key_file_write(member_path, &member, NULL), MANNE_OK);
	snprintf(port, sizeof(port), "%u", d.port);
	for (int i = 0; i < 32; i++)
		sprintf(ck + 2 * i, "%02x", d.checkpoint.public_key[i]);

	{
		const char *argv[] = {till, "127.0.0.1", port, shop_path, member_path, ck, NULL};
		assert_int_equal(run(argv), 0);
	}
	/* 12.50 paid, 2.50 refunded. */
	assert_int_equal(manne_authenticate(m, &member), MANNE_OK);
	assert_int_equal(manne_account(m, member.public_key, &a), MANNE_OK);
	assert_int_equal(a.balance, 2000 - 1250 + 250);
	/* Run again: the order number is taken, but a new payment is a new
	 * transaction; with only 10 Manne left, the ledger refuses: exit 1. */
	assert_int_equal(manne_pay(m, &member, shop.public_key, 900, NULL, NULL, &r), MANNE_OK);
	{
		const char *argv[] = {till, "127.0.0.1", port, shop_path, member_path, ck, NULL};
		assert_int_equal(run(argv), 1);
	}
	/* A wrong checkpoint key: the proof is refused (exit 3) after the sale. */
	assert_int_equal(manne_issue(m, b, 2, member.public_key, 2000, MANNE_ISSUE_ALLOWANCE, "panier", NULL, &r), MANNE_OK);
	ck[0] = ck[0] == '0' ? '1' : '0';
	{
		const char *argv[] = {till, "127.0.0.1", port, shop_path, member_path, ck, NULL};
		assert_int_equal(run(argv), 3);
	}
	{
		const char *argv[] = {till, "127.0.0.1", "nope", shop_path, member_path, ck, NULL};
		assert_int_equal(run(argv), 2);
	}
	manne_key_wipe(&member);
	manne_key_wipe(&shop);
	manne_key_wipe(&board[0]);
	manne_key_wipe(&board[1]);
	manne_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_till_example),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
