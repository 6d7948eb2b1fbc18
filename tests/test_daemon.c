/*
 * test_daemon.c: the real manne-ledger on an ephemeral loopback port: a
 * payment with its proof, checked against the signed checkpoint; reads;
 * a clean SIGTERM; a restart that still has every receipted transaction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"

static struct daemon d;
static struct manne_keypair member, shop;

static int setup(void **state)
{
	(void)state;
	daemon_start(&d, NULL);
	crypto_sign_keypair(member.public_key, member.secret_key);
	crypto_sign_keypair(shop.public_key, shop.secret_key);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daemon_cleanup(&d);
	return 0;
}

static void expect_ok(Manne__Response *r)
{
	assert_non_null(r);
	if (r->status != MANNE__STATUS__OK)
		fail_msg("refused: %d %s", r->status, r->message);
	manne__response__free_unpacked(r, NULL);
}

static void open_account(struct manne_wire *w, const struct manne_keypair *kp, Manne__Role role)
{
	const struct manne_keypair *signers[] = {&d.board[0], &d.board[1], kp};
	Manne__TxBody body;
	Manne__OpenAccount o = MANNE__OPEN_ACCOUNT__INIT;
	uint8_t nonce[16];
	daemon_body_board(&d, &body, nonce);
	o.key = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)kp->public_key};
	o.role = role;
	body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
	body.open_account = &o;
	expect_ok(daemon_submit(w, &body, signers, 3, NULL));
}

static void test_pay_with_proof(void **state)
{
	const struct manne_keypair *board[] = {&d.board[0], &d.board[1]};
	struct manne_wire w;
	Manne__TxBody body;
	Manne__FundReserve fund = MANNE__FUND_RESERVE__INIT;
	Manne__Issue issue = MANNE__ISSUE__INIT;
	Manne__Pay pay = MANNE__PAY__INIT;
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__SubmitRequest submit = MANNE__SUBMIT_REQUEST__INIT;
	Manne__AccountRequest account = MANNE__ACCOUNT_REQUEST__INIT;
	uint8_t nonce[16], txid[32], *bytes;
	const struct manne_keypair *signers[] = {&member};
	size_t len;
	Manne__Response *r;
	(void)state;

	daemon_connect(&d, &w);
	open_account(&w, &member, MANNE__ROLE__ROLE_MEMBER);
	open_account(&w, &shop, MANNE__ROLE__ROLE_SHOP);
	daemon_body_board(&d, &body, nonce);
	fund.amount = 10000;
	fund.bank_reference = (char *)"VIR-1";
	body.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
	body.fund_reserve = &fund;
	expect_ok(daemon_submit(&w, &body, board, 2, NULL));
	daemon_body_board(&d, &body, nonce);
	issue.account = (ProtobufCBinaryData){.len = 32, .data = member.public_key};
	issue.amount = 2000;
	issue.reason = MANNE__ISSUE_REASON__ISSUE_ALLOWANCE;
	issue.programme = (char *)"panier-solidaire-2026-11";
	body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	body.issue = &issue;
	expect_ok(daemon_submit(&w, &body, board, 2, NULL));

	daemon_body_account(&d, &body, &member, 1);
	pay.payee = (ProtobufCBinaryData){.len = 32, .data = shop.public_key};
	pay.amount = 750;
	pay.memo = (char *)"panier";
	body.kind_case = MANNE__TX_BODY__KIND_PAY;
	body.pay = &pay;
	assert_int_equal(tx_sign(&body, signers, 1, &bytes, &len, txid), 0);
	submit.signed_tx = (ProtobufCBinaryData){.len = len, .data = bytes};
	submit.want_proof = true;
	request.id = 42;
	request.kind_case = MANNE__REQUEST__KIND_SUBMIT;
	request.submit = &submit;
	r = manne_wire_call(&w, &request);
	assert_non_null(r);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->id, 42);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_RECEIPT);
	assert_memory_equal(r->receipt->txid.data, txid, 32);
	assert_int_equal(r->receipt->leaf_index, 5);

	/* The receipt proves the payment: the checkpoint verifies under the
	 * ledger's key and the leaf hash is included in its root. */
	struct note_verifier v;
	struct checkpoint c;
	char vkey[256];
	size_t text_len;
	uint8_t proof[64][32];
	assert_int_equal(note_verifier_format("manne.demo/v1", d.checkpoint.public_key, vkey, sizeof(vkey)), 0);
	assert_int_equal(note_verifier_parse(vkey, &v), 0);
	assert_int_equal(note_verify(r->receipt->checkpoint, strlen(r->receipt->checkpoint), &v, &text_len), 0);
	assert_int_equal(checkpoint_parse(r->receipt->checkpoint, text_len, &c), 0);
	assert_int_equal(c.tree_size, 6);
	assert_int_equal(c.totals.issued, 2000);
	assert_int_equal(c.totals.outstanding, 2000);
	for (size_t i = 0; i < r->receipt->n_inclusion_proof; i++)
		memcpy(proof[i], r->receipt->inclusion_proof[i].data, 32);
	assert_int_equal(merkle_inclusion_verify(5, 6, r->receipt->leaf_hash.data,
						 (const uint8_t(*)[32])proof, r->receipt->n_inclusion_proof, c.root),
			 0);
	manne__response__free_unpacked(r, NULL);

	/* The same bytes again: the original receipt, marked duplicate. */
	submit.want_proof = false;
	r = manne_wire_call(&w, &request);
	free(bytes);
	assert_non_null(r);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_true(r->receipt->duplicate);
	assert_int_equal(r->receipt->leaf_index, 5);
	manne__response__free_unpacked(r, NULL);

	/* Reading the balance needs the account's own key. */
	account.account = (ProtobufCBinaryData){.len = 32, .data = member.public_key};
	request.kind_case = MANNE__REQUEST__KIND_ACCOUNT;
	request.account = &account;
	r = manne_wire_call(&w, &request);
	assert_int_equal(r->status, MANNE__STATUS__NOT_PERMITTED);
	manne__response__free_unpacked(r, NULL);
	assert_int_equal(daemon_authenticate(&w, &member), MANNE__STATUS__OK);
	r = manne_wire_call(&w, &request);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->account->balance, 1250);
	assert_int_equal(r->account->next_sequence, 2);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);

	/* SIGTERM exits 0; after a restart the payment is still there. */
	assert_int_equal(daemon_stop(&d), 0);
	daemon_restart(&d);
	daemon_connect(&d, &w);
	assert_int_equal(daemon_authenticate(&w, &member), MANNE__STATUS__OK);
	r = manne_wire_call(&w, &request);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	assert_int_equal(r->account->balance, 1250);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
}

static void rewrite_checkpoint(const char *text, size_t len)
{
	char path[128];
	FILE *f;
	snprintf(path, sizeof(path), "%s/checkpoint", d.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* SIGTERM sent the moment the port file appears (as a supervisor or a test
 * does once the port is known) is a clean shutdown, never a kill: the
 * handlers are in place before the port exists. */
static void test_sigterm_as_soon_as_listening(void **state)
{
	(void)state;
	assert_int_equal(daemon_stop(&d), 0);
	for (int i = 0; i < 50; i++) {
		int status = daemon_restart_and_stop_at_once(&d);
		if (status != 0)
			fail_msg("start %d: SIGTERM at the port file gave exit status %d", i, status);
	}
	daemon_restart(&d);
}

/* Whether the daemon's log holds `needle`. */
static bool log_holds(const char *needle)
{
	char path[128], *text;
	long size;
	bool found;
	FILE *f;

	snprintf(path, sizeof(path), "%s/daemon.log", d.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	found = strstr(text, needle) != NULL;
	free(text);
	return found;
}

/* Files of the data directory: the checkpoint is 0600 and never written
 * through a link planted in place of its temporary file; a data directory
 * that others may read is refused at start. */
static void test_data_directory_files(void **state)
{
	char path[128], tmp[128], victim[128];
	struct manne_wire w;
	struct stat st;
	(void)state;

	snprintf(path, sizeof(path), "%s/checkpoint", d.dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(daemon_stop(&d), 0);
	snprintf(tmp, sizeof(tmp), "%s/checkpoint.tmp", d.dir);
	snprintf(victim, sizeof(victim), "%s/victim", d.dir);
	unlink(tmp);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(daemon_try_restart(&d, NULL), 0);
	daemon_connect(&d, &w);
	daemon_fund(&d, &w, 100);  /* a new checkpoint to save: it cannot be */
	manne_wire_close(&w);
	assert_int_equal(daemon_stop(&d), 0);
	assert_int_equal(access(victim, F_OK), -1);
	assert_true(log_holds("checkpoint_save_failed"));
	assert_int_equal(unlink(tmp), 0);

	assert_int_equal(chmod(d.dir, 0755), 0);
	assert_true(daemon_try_restart(&d, NULL) > 0);
	assert_true(log_holds("may be read by others"));
	assert_int_equal(chmod(d.dir, 0700), 0);
	assert_int_equal(daemon_try_restart(&d, NULL), 0);
}

/* Start-up integrity (SPEC §7, §8): a checkpoint file that lags the store
 * (a crash, or a restore) is caught up before the first request, so the
 * first checkpoint served covers the whole store; a store with leaves and no
 * checkpoint file is refused unless told --accept-unsigned-store. */
static void test_startup_checkpoint_covers_store(void **state)
{
	char path[128], saved[128], cmd[320];
	struct manne_wire w;
	struct checkpoint cp;
	Manne__Response *r;
	uint64_t size;
	(void)state;

	snprintf(path, sizeof(path), "%s/checkpoint", d.dir);
	snprintf(saved, sizeof(saved), "%s/checkpoint.saved", d.dir);
	snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s'", path, saved);
	assert_int_equal(system(cmd), 0);
	daemon_connect(&d, &w);
	daemon_fund(&d, &w, 100);
	daemon_fund(&d, &w, 100);
	manne_wire_close(&w);
	assert_int_equal(daemon_stop(&d), 0);
	assert_int_equal(rename(saved, path), 0);  /* the file now lags the store by two leaves */
	assert_int_equal(daemon_try_restart(&d, NULL), 0);
	assert_true(log_holds("checkpoint_caught_up"));
	daemon_connect(&d, &w);
	r = daemon_read_status(&w);
	size = r->status_info->tree_size;
	manne__response__free_unpacked(r, NULL);
	daemon_read_checkpoint(&w, d.checkpoint.public_key, &cp);
	assert_int_equal(cp.tree_size, size);
	manne_wire_close(&w);

	/* SIGKILL right after payments: the first checkpoint served after the
	 * restart covers the whole store, whatever the file held. */
	daemon_connect(&d, &w);
	for (int i = 0; i < 20; i++)
		daemon_fund(&d, &w, 1);
	manne_wire_close(&w);
	assert_int_equal(kill(d.pid, SIGKILL), 0);
	assert_int_equal(waitpid(d.pid, NULL, 0), d.pid);
	d.pid = 0;
	assert_int_equal(daemon_try_restart(&d, NULL), 0);
	daemon_connect(&d, &w);
	r = daemon_read_status(&w);
	size = r->status_info->tree_size;
	manne__response__free_unpacked(r, NULL);
	daemon_read_checkpoint(&w, d.checkpoint.public_key, &cp);
	assert_int_equal(cp.tree_size, size);
	manne_wire_close(&w);

	/* No checkpoint file: refused, then accepted when told (and logged). */
	assert_int_equal(daemon_stop(&d), 0);
	assert_int_equal(unlink(path), 0);
	assert_true(daemon_try_restart(&d, NULL) > 0);
	assert_true(log_holds("--accept-unsigned-store"));
	{
		static const char *const insist[] = {"--accept-unsigned-store", NULL};
		assert_int_equal(daemon_try_restart(&d, insist), 0);
	}
	assert_true(log_holds("unsigned_store_accepted"));
	assert_int_equal(access(path, F_OK), 0);  /* signed at once */
	assert_int_equal(daemon_stop(&d), 0);
	assert_int_equal(daemon_try_restart(&d, NULL), 0);
}

/* The checkpoint file is written without fsync: a torn file (a crash while
 * it was written) is set aside at start-up, but a whole note that does not
 * verify, or that the store does not extend, is refused. */
static void test_checkpoint_file_at_start(void **state)
{
	char path[128], note[4096];
	size_t len;
	FILE *f;
	(void)state;

	assert_int_equal(daemon_stop(&d), 0);
	snprintf(path, sizeof(path), "%s/checkpoint", d.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	len = fread(note, 1, sizeof(note) - 1, f);
	fclose(f);
	assert_true(len > 100);

	rewrite_checkpoint(note, len / 2); /* cut short */
	assert_int_equal(daemon_try_restart(&d, NULL), 0);
	assert_int_equal(daemon_stop(&d), 0);
	rewrite_checkpoint("", 0); /* empty */
	assert_int_equal(daemon_try_restart(&d, NULL), 0);
	assert_int_equal(daemon_stop(&d), 0);

	/* A whole note with one signature character changed. */
	note[len - 3] = note[len - 3] == 'A' ? 'B' : 'A';
	rewrite_checkpoint(note, len);
	assert_true(daemon_try_restart(&d, NULL) > 0);
}

/* The config file: a value that is not wholly a number, a line without
 * "=", an unknown setting, each refused at start with the file's line and
 * in the operator's language (the French catalogue under fr_FR.UTF-8). */
static void test_config_file_refusals(void **state)
{
	static const struct {
		const char *text, *english, *french;
	} cases[] = {
		{"utc-offset-minutes = 60abc\n", "bad value for utc-offset-minutes: '60abc'",
		 "valeur incorrecte pour utc-offset-minutes : '60abc'"},
		{"utc-offset-minutes =\n", "bad value for utc-offset-minutes: ''", "valeur incorrecte pour utc-offset-minutes"},
		{"# two lines\nauth-timeout-ms 5000\n", "ledger.conf:2: expected name = value", "ledger.conf:2 : attendu nom = valeur"},
		{"listen = ::1:7411\n", "bad value for listen", "valeur incorrecte pour listen"},
		{"listen = 127.0.0.1:7K\n", "bad value for listen", "valeur incorrecte pour listen"}, /* sizes only */
		{"connections-max = 1K\n", "bad value for connections-max", "valeur incorrecte pour connections-max"},
		{"colour = blue\n", "unknown setting 'colour'", "colour"},
	};
	const char *exe = getenv("MANNE_LEDGER_EXE");
	char dir[64] = "/tmp/manne-config-XXXXXX", conf[128], data[128], out[4096];
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/ledger.conf", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int french = 0; french <= 1; french++) {
			FILE *f = fopen(conf, "w");
			assert_non_null(f);
			fputs(cases[i].text, f);
			assert_int_equal(fclose(f), 0);
			setenv("LC_ALL", french ? "fr_FR.UTF-8" : "C", 1);
			/* --bogus: were the file taken, the daemon stops there instead of serving. */
			int rc = daemon_run_program((const char *const[]){exe, "--config", conf, "--data", data, "--bogus",
									   NULL},
						    out, sizeof(out));
			unsetenv("LC_ALL");
			if (rc == 0 || strstr(out, french ? cases[i].french : cases[i].english) == NULL)
				fail_msg("%s: exit %d, said: %s", cases[i].text, rc, out);
		}
	}
	/* The same settings well written start the daemon's checks further on. */
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fputs("utc-offset-minutes = -300\nlisten = [::1]:0\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_not_equal(daemon_run_program((const char *const[]){exe, "--config", conf, "--data", data, "--bogus",
								   NULL}, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "unexpected argument '--bogus'"));
	snprintf(out, sizeof(out), "rm -rf '%s'", dir);
	assert_int_equal(system(out), 0);
}

/* The per-address cap, over IPv4 and over IPv6 (where ::1's /64 is the
 * address): the connection past it is closed at once, the others serve. */
static void test_per_address_cap(void **state)
{
	static const char *const listens[] = {"127.0.0.1:0", "[::1]:0"};
	(void)state;

	for (size_t l = 0; l < 2; l++) {
		struct daemon capped;
		struct manne_wire w[4];
		Manne__Request request = MANNE__REQUEST__INIT;
		Manne__StatusRequest st = MANNE__STATUS_REQUEST__INIT;
		Manne__Response *r;

		daemon_start(&capped, (const char *const[]){"--listen", listens[l], "--connections-per-address", "3", NULL});
		request.kind_case = MANNE__REQUEST__KIND_STATUS;
		request.status = &st;
		for (int i = 0; i < 4; i++)
			daemon_connect(&capped, &w[i]);
		for (int i = 0; i < 4; i++) {
			r = manne_wire_call(&w[i], &request);
			if (i < 3)
				assert_non_null(r);   /* under the cap: served */
			else
				assert_null(r);       /* the fourth from the same address: closed */
			if (r != NULL)
				manne__response__free_unpacked(r, NULL);
		}
		for (int i = 0; i < 4; i++)
			manne_wire_close(&w[i]);
		daemon_finish(&capped);
		daemon_cleanup(&capped);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pay_with_proof),
		cmocka_unit_test(test_sigterm_as_soon_as_listening),
		cmocka_unit_test(test_data_directory_files),
		cmocka_unit_test(test_startup_checkpoint_covers_store),
		cmocka_unit_test(test_checkpoint_file_at_start),
		cmocka_unit_test(test_config_file_refusals),
		cmocka_unit_test(test_per_address_cap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
