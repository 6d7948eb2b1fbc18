/*
 * test_audit_daemon.c: manne-audit against the real daemon (--demo on an
 * ephemeral port), connected as an auditor account, as a funder's auditor
 * would run it every night:
 *
 *   - a clean ledger audits clean, in full and incrementally, online and
 *     from an export, with the checkpoints of shops' receipts;
 *   - each tampering of the daemon's store, made while it is stopped, is
 *     caught and named once it runs again: a flipped byte in a stored leaf,
 *     a leaf's time, a balance changed behind the state machine's back,
 *     totals changed, an issue beyond the reserve smuggled into the log;
 *   - another ledger's server answering in its place (a checkpoint signed by
 *     another key), and a history rewritten between two checkpoints from a
 *     restored copy of the store, with both checkpoints as evidence;
 *   - a checkpoint key changed by the board, followed from the log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_util.h"
#include "daemon.h"
#include "ledger/keys/keyfile.h"
#include "manne.h"
#include "tamper.h"

#define ORIGIN "manne.demo/v1"

struct fixture {
	struct daemon d;
	struct manne_wire w;
	struct manne_keypair auditor, alice, shop, farm;
	uint64_t seq_alice, seq_shop;
	char auditor_key[160];
	char vkey[256];
	char port[16];
	unsigned states;
};

static void path_of(struct fixture *f, const char *name, char out[160])
{
	snprintf(out, 160, "%s/%s", f->d.dir, name);
}

static void connect_wire(struct fixture *f)
{
	daemon_connect(&f->d, &f->w);
	snprintf(f->port, sizeof(f->port), "%u", f->d.port);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	daemon_start(&f->d, NULL);
	connect_wire(f);
	path_of(f, "auditor.key", f->auditor_key);
	assert_int_equal(keyfile_create(f->auditor_key, &f->auditor), 0);
	daemon_keypair(&f->alice);
	daemon_keypair(&f->shop);
	daemon_keypair(&f->farm);
	daemon_open_account(&f->d, &f->w, &f->auditor, MANNE__ROLE__ROLE_AUDITOR, false, NULL);
	daemon_open_account(&f->d, &f->w, &f->alice, MANNE__ROLE__ROLE_MEMBER, false, "dossier-1");
	daemon_open_account(&f->d, &f->w, &f->shop, MANNE__ROLE__ROLE_SHOP, false, NULL);
	daemon_open_account(&f->d, &f->w, &f->farm, MANNE__ROLE__ROLE_PRODUCER, false, NULL);
	daemon_fund(&f->d, &f->w, 100000);
	daemon_issue(&f->d, &f->w, f->alice.public_key, 20000, NULL);
	f->seq_alice = f->seq_shop = 1;
	audit_vkey(ORIGIN, f->d.checkpoint.public_key, f->vkey);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	manne_wire_close(&f->w);
	if (f->d.pid > 0)
		daemon_finish(&f->d);
	daemon_cleanup(&f->d);
	free(f);
	return 0;
}

/* A payment, signed and sent; returns the receipt's checkpoint note (caller frees) if asked. */
static char *pay(struct fixture *f, const struct manne_keypair *payer, uint64_t *seq, const uint8_t payee[32],
		 uint64_t amount, bool want_proof)
{
	Manne__Response *r;
	uint8_t *bytes, txid[32];
	size_t len;
	char *note = NULL;

	daemon_sign_pay(&f->d, payer, (*seq)++, payee, amount, "panier", NULL, &bytes, &len, txid);
	daemon_send_submit(&f->w, 99, bytes, len, want_proof);
	free(bytes);
	r = manne_wire_receive(&f->w);
	assert_non_null(r);
	if (r->status != MANNE__STATUS__OK)
		fail_msg("pay refused: %d %s", r->status, r->message);
	if (want_proof) {
		assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_RECEIPT);
		assert_true(strlen(r->receipt->checkpoint) > 0);
		note = strdup(r->receipt->checkpoint);
	}
	manne__response__free_unpacked(r, NULL);
	return note;
}

static void stop(struct fixture *f)
{
	manne_wire_close(&f->w);
	daemon_finish(&f->d);
}

static void restart(struct fixture *f)
{
	daemon_restart(&f->d);
	connect_wire(f);
}

/* An audit over the network in the state directory `name`. */
static int audit_online(struct fixture *f, const char *name, json_t **j)
{
	char st[160];
	path_of(f, name, st);
	return AUDIT_RUN(j, "--state", st, "--port", f->port, "--key", f->auditor_key, "--checkpoint-key", f->vkey,
			 "--report-day", "2027-01-01");
}

/* In a state directory of its own. */
static int audit_fresh(struct fixture *f, json_t **j)
{
	char name[32];
	snprintf(name, sizeof(name), "state-%u", f->states++);
	return audit_online(f, name, j);
}

#define EXPECT_CLEAN(j, rc)                                                                  \
	do {                                                                                 \
		if ((rc) != 0)                                                               \
			fail_msg("manne-audit exit %d: %s", (rc), audit_stderr);           \
		assert_true(audit_json_bool((j), "ok"));                                     \
	} while (0)

static json_t *expect_finding(json_t *j, int rc, const char *check, bool has_leaf, uint64_t leaf)
{
	json_t *first;

	if (rc != 1)
		fail_msg("manne-audit exit %d, want 1: %s", rc, audit_stderr);
	first = audit_json(j, "findings.0");
	if (strcmp(audit_json_str(first, "check"), check) != 0)
		fail_msg("first finding is %s, want %s: %s", audit_json_str(first, "check"), check,
			 audit_json_str(first, "what"));
	if (has_leaf && (!json_is_integer(audit_json(first, "leaf_index")) ||
			 audit_json_u64(first, "leaf_index") != leaf))
		fail_msg("first finding does not name leaf %llu: %s", (unsigned long long)leaf,
			 audit_json_str(first, "what"));
	assert_non_null(strstr(audit_stderr, "DISCREPANCY"));
	return first;
}

static void test_clean_online_incremental_and_export(void **state)
{
	struct fixture *f = *state;
	char *receipt_note, receipt[160], export[160], st[160];
	uint64_t first_size;
	json_t *j;
	int rc;

	receipt_note = pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 1500, true);
	pay(f, &f->alice, &f->seq_alice, f->farm.public_key, 700, false);
	rc = audit_online(f, "state", &j);
	EXPECT_CLEAN(j, rc);
	first_size = audit_json_u64(j, "checkpoint.tree_size");
	assert_int_equal(audit_json_u64(j, "replayed.from"), 0);
	assert_int_equal(audit_json_u64(j, "replayed.to"), first_size);
	assert_int_equal(audit_json_u64(j, "accounts_compared"), 5);  /* and the association's */
	assert_int_equal(audit_json_u64(j, "totals.issued"), 20000);
	assert_int_equal(audit_json_u64(j, "regulatory.pay"), 2200);
	json_decref(j);

	/* The next night: only the new leaves; the shop's receipt checks out. */
	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 300, false);
	pay(f, &f->shop, &f->seq_shop, f->farm.public_key, 100, false);
	path_of(f, "receipt.note", receipt);
	audit_file_write(receipt, (const uint8_t *)receipt_note, strlen(receipt_note));
	path_of(f, "state", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--key", f->auditor_key, "--checkpoint", receipt);
	EXPECT_CLEAN(j, rc);
	assert_int_equal(audit_json_u64(j, "anchor.tree_size"), first_size);
	assert_true(audit_json_bool(j, "anchor.extended"));
	assert_int_equal(audit_json_u64(j, "replayed.from"), first_size);
	assert_int_equal(audit_json_u64(j, "replayed.to"), first_size + 2);
	assert_true(audit_json_bool(j, "collected.0.consistent"));
	json_decref(j);

	/* The same log exported by the auditor, audited offline by someone else. */
	{
		struct manne *m = NULL;
		struct manne_key key;
		path_of(f, "log.export", export);
		assert_int_equal(manne_open("127.0.0.1", f->d.port, 5000, &m), MANNE_OK);
		memcpy(key.public_key, f->auditor.public_key, 32);
		memcpy(key.secret_key, f->auditor.secret_key, 64);
		assert_int_equal(manne_authenticate(m, &key), MANNE_OK);
		manne_key_wipe(&key);
		assert_int_equal(manne_export(m, f->d.checkpoint.public_key, export, NULL), MANNE_OK);
		manne_close(m);
	}
	path_of(f, "offline", st);
	rc = AUDIT_RUN(&j, "--state", st, "--file", export, "--checkpoint-key", f->vkey, "--checkpoint", receipt);
	EXPECT_CLEAN(j, rc);
	assert_int_equal(audit_json_u64(j, "replayed.to"), first_size + 2);
	json_decref(j);

	/* Without a key that may read the raw log: exit 4, named. */
	path_of(f, "nokey", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--checkpoint-key", f->vkey);
	assert_int_equal(rc, 4);
	json_decref(j);
	/* No ledger there: exit 3. */
	rc = AUDIT_RUN(&j, "--state", st, "--port", "1", "--key", f->auditor_key, "--checkpoint-key", f->vkey,
		       "--timeout-ms", "300");
	assert_int_equal(rc, 3);
	json_decref(j);
	free(receipt_note);
}

static void test_stored_leaf_changed(void **state)
{
	struct fixture *f = *state;
	uint64_t size;
	json_t *j;
	int rc;

	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 1000, false);
	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 1000, false);
	pay(f, &f->shop, &f->seq_shop, f->farm.public_key, 500, false);
	stop(f);
	size = tamper_tree_size(&f->d);
	/* A flipped byte inside leaf 8's signed body (a payment): its signature fails. */
	tamper_leaf_byte(&f->d, 8, 16 + 40, 0x04);
	restart(f);
	rc = audit_fresh(f, &j);
	expect_finding(j, rc, audit_json_str(j, "findings.0.check")[0] == 's' ? "signature" : "replay", true, 8);
	json_decref(j);

	/* Put back, then move leaf 9's time back by a millisecond: it still
	 * applies, but the tree the checkpoint signs is not the one served; the
	 * auditor finds the leaf with consistency proofs. */
	stop(f);
	tamper_leaf_byte(&f->d, 8, 16 + 40, 0x04);
	tamper_leaf_time(&f->d, 9, -1);
	restart(f);
	rc = audit_fresh(f, &j);
	{
		json_t *first = audit_json(j, "findings.0");
		const char *check = audit_json_str(first, "check");
		/* A leaf of the same batch as the one before it would now go back in time instead. */
		expect_finding(j, rc, strcmp(check, "leaf") == 0 ? "leaf" : "root", true, 9);
	}
	assert_true(size > 9);
	json_decref(j);
}

static void test_balance_changed(void **state)
{
	struct fixture *f = *state;
	char st[160];
	json_t *j, *first;
	int rc;

	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 1000, false);
	rc = audit_online(f, "state", &j);
	EXPECT_CLEAN(j, rc);
	json_decref(j);
	stop(f);
	tamper_balance(&f->d, f->shop.public_key, 5000);
	restart(f);
	/* The log is untouched: only the server's figures lie. */
	path_of(f, "state", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--key", f->auditor_key);
	first = expect_finding(j, rc, "account", true, 7);  /* the payment, the last leaf that changed it */
	assert_string_equal(audit_json_str(first, "expected"), "balance 10.00");
	assert_string_equal(audit_json_str(first, "found"), "balance 60.00");
	json_decref(j);
}

static void test_totals_changed(void **state)
{
	struct fixture *f = *state;
	char st[160];
	json_t *j, *first;
	int rc;

	rc = audit_online(f, "state", &j);
	EXPECT_CLEAN(j, rc);
	json_decref(j);
	/* Credits out of nowhere, with euros out of nowhere to cover them: the
	 * daemon starts, and signs the lie in its next checkpoint. */
	stop(f);
	tamper_totals(&f->d, 50000, 50000);
	tamper_balance(&f->d, f->farm.public_key, 50000);
	restart(f);
	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 100, false);
	path_of(f, "state", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--key", f->auditor_key);
	first = expect_finding(j, rc, "totals", true, 7);
	assert_non_null(strstr(audit_json_str(first, "expected"), "issued 20000"));
	assert_non_null(strstr(audit_json_str(first, "found"), "issued 70000"));
	json_decref(j);
}

static void test_issuance_smuggled(void **state)
{
	struct fixture *f = *state;
	uint64_t index;
	json_t *j, *first;
	int rc;

	rc = audit_online(f, "state", &j);
	EXPECT_CLEAN(j, rc);
	json_decref(j);
	stop(f);
	index = tamper_smuggle_issue(&f->d, f->alice.public_key, 100);
	restart(f);
	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 100, false);  /* a checkpoint over it */
	rc = audit_fresh(f, &j);
	first = expect_finding(j, rc, "replay", true, index);
	assert_string_equal(audit_json_str(first, "found"), "backing_exceeded");
	json_decref(j);
	/* The nightly auditor, from its anchor, finds the same leaf. */
	rc = audit_online(f, "state", &j);
	first = expect_finding(j, rc, "replay", true, index);
	json_decref(j);
}

/* Another ledger's server with the same origin answers in this one's place. */
static void test_impostor(void **state)
{
	struct fixture *f = *state;
	struct daemon other;
	struct manne_wire w;
	char st[160], port[16];
	json_t *j;
	int rc;

	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 100, false);
	rc = audit_online(f, "state", &j);
	EXPECT_CLEAN(j, rc);
	json_decref(j);

	daemon_start(&other, NULL);
	daemon_connect(&other, &w);
	daemon_open_account(&other, &w, &f->auditor, MANNE__ROLE__ROLE_AUDITOR, false, NULL);
	for (int i = 0; i < 10; i++)
		daemon_fund(&other, &w, 100 + (uint64_t)i);
	manne_wire_close(&w);
	snprintf(port, sizeof(port), "%u", other.port);
	/* A first run pinned to this ledger's key: the impostor's checkpoints
	 * are signed by its own key, which this log never puts in force. */
	path_of(f, "fresh", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", port, "--key", f->auditor_key, "--checkpoint-key", f->vkey);
	expect_finding(j, rc, "trust", false, 0);
	json_decref(j);
	/* The nightly auditor: the impostor's checkpoint does not extend the last one verified. */
	path_of(f, "state", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", port, "--key", f->auditor_key);
	expect_finding(j, rc, "consistency", true, 0);
	assert_int_equal(json_array_size(audit_json(j, "findings.0.evidence")), 2);
	json_decref(j);
	daemon_finish(&other);
	daemon_cleanup(&other);
}

/* The store restored from an older copy, its checkpoint file removed so the
 * daemon starts, and another history written from there. */
static void test_history_rewritten(void **state)
{
	struct fixture *f = *state;
	char cmd[512], st[160], receipt[160], *note;
	uint64_t common, anchor_size;
	json_t *j, *first;
	int rc;

	stop(f);
	common = tamper_tree_size(&f->d);
	snprintf(cmd, sizeof(cmd), "cp -a '%s/store' '%s/store.old'", f->d.dir, f->d.dir);
	assert_int_equal(system(cmd), 0);
	restart(f);
	note = pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 5000, true);
	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 5000, false);
	rc = audit_online(f, "state", &j);
	EXPECT_CLEAN(j, rc);
	anchor_size = audit_json_u64(j, "checkpoint.tree_size");
	json_decref(j);

	stop(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/store' '%s/checkpoint' && mv '%s/store.old' '%s/store'", f->d.dir,
		 f->d.dir, f->d.dir, f->d.dir);
	assert_int_equal(system(cmd), 0);
	/* Without its checkpoint file the daemon refuses the older store; an
	 * operator who insists (loudly logged) rewrites the history. */
	assert_true(daemon_try_restart(&f->d, NULL) > 0);
	{
		static const char *const insist[] = {"--accept-unsigned-store", NULL};
		assert_int_equal(daemon_try_restart(&f->d, insist), 0);
		connect_wire(f);
	}
	/* The payments to the shop never happened; the farm was paid instead. */
	f->seq_alice = 1;
	pay(f, &f->alice, &f->seq_alice, f->farm.public_key, 4000, false);
	pay(f, &f->alice, &f->seq_alice, f->farm.public_key, 4000, false);
	pay(f, &f->alice, &f->seq_alice, f->farm.public_key, 4000, false);

	path_of(f, "state", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--key", f->auditor_key);
	first = expect_finding(j, rc, "consistency", true, common);
	assert_int_equal(json_array_size(audit_json(first, "evidence")), 2);
	assert_non_null(strstr(audit_json_str(first, "evidence.0"), "manne.demo/v1\n"));
	{
		char size_line[32];
		snprintf(size_line, sizeof(size_line), "\n%llu\n", (unsigned long long)anchor_size);
		assert_non_null(strstr(audit_json_str(first, "evidence.0"), size_line));
	}
	json_decref(j);

	/* The shop's receipt from the first history, given to a new auditor. */
	path_of(f, "receipt.note", receipt);
	audit_file_write(receipt, (const uint8_t *)note, strlen(note));
	path_of(f, "fresh", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--key", f->auditor_key, "--checkpoint-key", f->vkey,
		       "--checkpoint", receipt);
	first = expect_finding(j, rc, "consistency", false, 0);
	assert_int_equal(json_array_size(audit_json(first, "evidence")), 2);
	assert_string_equal(audit_json_str(first, "evidence.0"), note);
	json_decref(j);
	free(note);
}

/* The board moves the checkpoint key; the daemon is restarted with the new
 * one. The nightly auditor follows the log to it; a new auditor pinned to
 * the old key needs a checkpoint that key signed. */
static void test_checkpoint_key_changed(void **state)
{
	struct fixture *f = *state;
	struct manne_keypair k2;
	Manne__TxBody body;
	Manne__SetCheckpointKey sk = MANNE__SET_CHECKPOINT_KEY__INIT;
	char k2_path[160], st[160], old_note[160], vkey2[256];
	const char *flags[] = {"--checkpoint-key", k2_path, NULL};
	uint8_t nonce[16];
	json_t *j;
	int rc;

	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 100, false);
	rc = audit_online(f, "state", &j);
	EXPECT_CLEAN(j, rc);
	json_decref(j);
	{
		/* The state file as it is now: its anchor is signed by the genesis key. */
		char from[160], cmd[400];
		path_of(f, "state/state", from);
		path_of(f, "old-state", old_note);
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, old_note);
		assert_int_equal(system(cmd), 0);
	}

	path_of(f, "checkpoint2.key", k2_path);
	assert_int_equal(keyfile_create(k2_path, &k2), 0);
	daemon_body_board(&f->d, &body, nonce);
	sk.key = (ProtobufCBinaryData){.len = 32, .data = k2.public_key};
	body.kind_case = MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY;
	body.set_checkpoint_key = &sk;
	daemon_expect(daemon_submit_board(&f->d, &f->w, &body, &k2, NULL), MANNE__STATUS__OK);
	stop(f);
	assert_int_equal(daemon_try_restart(&f->d, flags), 0);
	connect_wire(f);
	pay(f, &f->alice, &f->seq_alice, f->shop.public_key, 200, false);

	path_of(f, "state", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--key", f->auditor_key);
	EXPECT_CLEAN(j, rc);
	assert_true(audit_json_bool(j, "checkpoint.verified"));
	json_decref(j);

	/* A new auditor pinned to the genesis key: only with a checkpoint it signed
	 * (here the other auditor's state file). */
	path_of(f, "fresh", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--key", f->auditor_key, "--checkpoint-key", f->vkey);
	expect_finding(j, rc, "trust", false, 0);
	json_decref(j);
	path_of(f, "fresh2", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--key", f->auditor_key, "--checkpoint-key", f->vkey,
		       "--checkpoint", old_note);
	EXPECT_CLEAN(j, rc);
	json_decref(j);
	/* Or pinned to the key in force. */
	audit_vkey(ORIGIN, k2.public_key, vkey2);
	path_of(f, "fresh3", st);
	rc = AUDIT_RUN(&j, "--state", st, "--port", f->port, "--key", f->auditor_key, "--checkpoint-key", vkey2);
	EXPECT_CLEAN(j, rc);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_online_incremental_and_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stored_leaf_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_balance_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totals_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issuance_smuggled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_impostor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_key_changed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
