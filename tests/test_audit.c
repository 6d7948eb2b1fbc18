/*
 * test_audit.c: manne-audit on export files (docs/audit.md, SPEC §7), with
 * ledgers built in-process by the harness, their checkpoints signed by the
 * harness's checkpoint key, exported with libmanne's writer, and read by the
 * real manne-audit binary:
 *
 *   - a clean ledger audits clean, in full and incrementally, and the report's
 *     figures are the ledger's (totals, issuance by programme, reconversions
 *     by partner, the regulatory window in ledger days);
 *   - each tampering of the file is caught and named: a flipped byte in a
 *     leaf, a leaf's time, a dropped leaf, a checkpoint signed by another key,
 *     totals that are not the log's, a truncated file;
 *   - a history rewritten between two checkpoints, with both as evidence;
 *   - checkpoints collected by others, and a checkpoint key that changes;
 *   - the trust root, the command line and the export reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_util.h"
#include "ledger/log/bytes.h"
#include "harness.h"
#include "manne.h"

#define DAY_MS 86400000ULL

struct fixture {
	struct harness h;
	char dir[64];       /* files of the test */
	char vkey[256];     /* the trust root: the harness's checkpoint key */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	h_setup(&f->h);
	strcpy(f->dir, "/tmp/manne-audit-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	audit_vkey(H_ORIGIN, h_pk(&f->h, "checkpoint"), f->vkey);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	h_teardown(&f->h);
	if (getenv("MANNE_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		assert_int_equal(system(cmd), 0);
	}
	free(f);
	return 0;
}

static void path_of(const struct fixture *f, const char *name, char out[160])
{
	snprintf(out, 160, "%s/%s", f->dir, name);
}

/* The ledger's checkpoint now, signed by `signer`, exported to `name`; the note goes to note_out if not NULL. */
static void export_now(struct fixture *f, const char *signer, const char *name, char *note_out)
{
	char path[160], note[NOTE_BYTES_MAX + 1];

	audit_sign_checkpoint(f->h.ledger, h_key(&f->h, signer)->kp.secret_key, note);
	path_of(f, name, path);
	audit_write_export(f->h.ledger, f->h.ledger->state.tree_size, note, path);
	if (note_out != NULL)
		strcpy(note_out, note);
}

static void save_note(struct fixture *f, const char *name, const char *note)
{
	char path[160];
	path_of(f, name, path);
	audit_file_write(path, (const uint8_t *)note, strlen(note));
}

/* An issue with its own reason and programme (h_issue's are fixed). */
/* A payment to the association at one of its counters, which the body names. */
static enum manne_status pay_at_counter(struct harness *h, const char *payer, const char *counter, uint64_t amount)
{
	Manne__TxBody body;
	Manne__Pay p = MANNE__PAY__INIT;
	const char *signers[] = {payer, NULL};
	p.payee = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)h_pk(h, "association")};
	p.counter = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)h_pk(h, counter)};
	p.amount = amount;
	p.memo = "panier";
	p.payee_reference = "";
	h_body_account(h, &body, payer);
	body.kind_case = MANNE__TX_BODY__KIND_PAY;
	body.pay = &p;
	return h_submit(h, &body, signers);
}

static enum manne_status issue(struct harness *h, const char *name, uint64_t amount, Manne__IssueReason reason,
			       const char *programme)
{
	Manne__TxBody body;
	Manne__Issue is = MANNE__ISSUE__INIT;
	is.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)h_pk(h, name)};
	is.amount = amount;
	is.reason = reason;
	is.programme = (char *)programme;
	h_body_board(h, &body);
	body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	body.issue = &is;
	return h_submit(h, &body, h->board_signers);
}

/* A ledger's life: every kind that moves money, and some that do not. */
static void life(struct harness *h)
{
	uint8_t pay_txid[32], issue_txid[32], redeem_paid[32], redeem_rejected[32];

	assert_int_equal(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "bob", MANNE__ROLE__ROLE_MEMBER, 0, 0, true), MANNE_OK);
	assert_int_equal(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "farm", MANNE__ROLE__ROLE_PRODUCER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "auditor", MANNE__ROLE__ROLE_AUDITOR, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "counter", MANNE__ROLE__ROLE_COUNTER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_fund(h, 1000000), MANNE_OK);
	assert_int_equal(issue(h, "alice", 5000, MANNE__ISSUE_REASON__ISSUE_PARTICIPATION, "jardin-2026-11"), MANNE_OK);
	memcpy(issue_txid, h->last_txid, 32);
	assert_int_equal(issue(h, "bob", 3000, MANNE__ISSUE_REASON__ISSUE_ALLOWANCE, "panier-solidaire-2026-11"),
			 MANNE_OK);
	assert_int_equal(issue(h, "alice", 700, MANNE__ISSUE_REASON__ISSUE_ALLOWANCE, "panier-solidaire-2026-11"),
			 MANNE_OK);
	assert_int_equal(h_pay(h, "alice", "shop", 400), MANNE_OK);
	memcpy(pay_txid, h->last_txid, 32);
	assert_int_equal(h_pay(h, "bob", "farm", 1000), MANNE_OK);
	assert_int_equal(pay_at_counter(h, "alice", "counter", 200), MANNE_OK);  /* retired, taken at the counter */
	assert_int_equal(h_refund(h, "shop", pay_txid, 100), MANNE_OK);
	assert_int_equal(h_pay(h, "shop", "farm", 50), MANNE_OK);
	assert_int_equal(h_redeem(h, "farm", 600), MANNE_OK);
	memcpy(redeem_paid, h->last_txid, 32);
	assert_int_equal(h_redeem(h, "farm", 100), MANNE_OK);
	memcpy(redeem_rejected, h->last_txid, 32);
	assert_int_equal(h_settle(h, redeem_paid, true), MANNE_OK);
	assert_int_equal(h_settle(h, redeem_rejected, false), MANNE_OK);
	assert_int_equal(h_reverse_issue(h, issue_txid, 300), MANNE_OK);
	assert_int_equal(h_release(h, 2000), MANNE_OK);
	assert_int_equal(h_set_ledger(h, 200), MANNE_OK);
	assert_int_equal(h_freeze(h, "bob", NULL), MANNE_OK);
	assert_int_equal(h_pay(h, "bob", "farm", 1), MANNE_ERR_NOT_ACTIVE);  /* refused: not in the log */
	h_check_invariants(h);
}

static char *hex(const uint8_t *key);

static void expect_totals(json_t *j, const struct totals *t)
{
	uint64_t outstanding, reserve;
	assert_int_equal(totals_outstanding(t, &outstanding), 0);
	assert_int_equal(totals_reserve(t, &reserve), 0);
	assert_int_equal(audit_json_u64(j, "totals.issued"), t->issued);
	assert_int_equal(audit_json_u64(j, "totals.retired"), t->retired);
	assert_int_equal(audit_json_u64(j, "totals.reconverted"), t->reconverted);
	assert_int_equal(audit_json_u64(j, "totals.fees"), t->fees);
	assert_int_equal(audit_json_u64(j, "totals.pending"), t->pending);
	assert_int_equal(audit_json_u64(j, "totals.funded"), t->funded);
	assert_int_equal(audit_json_u64(j, "totals.paid_out"), t->paid_out);
	assert_int_equal(audit_json_u64(j, "totals.released"), t->released);
	assert_int_equal(audit_json_u64(j, "totals.outstanding"), outstanding);
	assert_int_equal(audit_json_u64(j, "totals.reserve"), reserve);
	assert_int_equal(audit_json_u64(j, "coverage_bp"), reserve * 10000 / outstanding);
}

#define EXPECT_CLEAN(j, rc)                                                                                       \
	do {                                                                                                      \
		if ((rc) != 0)                                                                                    \
			fail_msg("manne-audit exit %d: %s", (rc), audit_stderr);                                \
		assert_true(audit_json_bool((j), "ok"));                                                          \
		assert_int_equal(json_array_size(audit_json((j), "findings")), 0);                              \
	} while (0)

/* The first finding: its check and leaf. */
static void expect_finding(json_t *j, int rc, const char *check, bool has_leaf, uint64_t leaf)
{
	json_t *f;

	if (rc != 1)
		fail_msg("manne-audit exit %d, want 1: %s", rc, audit_stderr);
	assert_false(audit_json_bool(j, "ok"));
	assert_true(json_array_size(audit_json(j, "findings")) >= 1);
	f = audit_json(j, "findings.0");
	if (strcmp(audit_json_str(f, "check"), check) != 0)
		fail_msg("first finding is %s, want %s: %s", audit_json_str(f, "check"), check, audit_json_str(f, "what"));
	if (has_leaf) {
		if (!json_is_integer(audit_json(f, "leaf_index")) || audit_json_u64(f, "leaf_index") != leaf)
			fail_msg("first finding names leaf %s, want %llu: %s",
				 json_is_integer(audit_json(f, "leaf_index")) ? "another" : "none", (unsigned long long)leaf,
				 audit_json_str(f, "what"));
	}
	/* The first discrepancy is named on stderr too. */
	assert_non_null(strstr(audit_stderr, "DISCREPANCY"));
}

static void test_clean_full_and_incremental(void **state)
{
	struct fixture *f = *state;
	char st[160], e1[160], e2[160];
	uint64_t first_size;
	json_t *j, *row;
	int rc;

	life(&f->h);
	first_size = f->h.ledger->state.tree_size;
	export_now(f, "checkpoint", "e1.bin", NULL);
	path_of(f, "state", st);
	path_of(f, "e1.bin", e1);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e1, "--checkpoint-key", f->vkey, "--report-day", "2026-12-01");
	EXPECT_CLEAN(j, rc);
	expect_totals(j, h_totals(&f->h));
	assert_int_equal(audit_json_u64(j, "checkpoint.tree_size"), first_size);
	assert_true(audit_json_bool(j, "checkpoint.verified"));
	assert_int_equal(audit_json_u64(j, "replayed.from"), 0);
	assert_int_equal(audit_json_u64(j, "replayed.to"), first_size);
	assert_int_equal(audit_json_u64(j, "kinds.issue"), 3);
	assert_int_equal(audit_json_u64(j, "kinds.pay"), 4);   /* the refused one is not in the log */
	/* Issuance by month, reason and programme, in that order. */
	assert_int_equal(json_array_size(audit_json(j, "issuance")), 2);
	row = audit_json(j, "issuance.0");
	assert_string_equal(audit_json_str(row, "month"), "2026-11");
	assert_string_equal(audit_json_str(row, "reason"), "participation");
	assert_string_equal(audit_json_str(row, "programme"), "jardin-2026-11");
	assert_int_equal(audit_json_u64(row, "amount"), 5000);
	row = audit_json(j, "issuance.1");
	assert_string_equal(audit_json_str(row, "reason"), "allowance");
	assert_int_equal(audit_json_u64(row, "amount"), 3700);
	assert_int_equal(audit_json_u64(row, "count"), 2);
	/* Takings by counter: the one payment taken at the counter. */
	assert_int_equal(json_array_size(audit_json(j, "counters")), 1);
	row = audit_json(j, "counters.0");
	assert_string_equal(audit_json_str(row, "counter"), hex(h_pk(&f->h, "counter")));
	assert_int_equal(audit_json_u64(row, "taken"), 200);
	assert_int_equal(audit_json_u64(row, "payments"), 1);
	/* Reconversions by partner: the farm asked 700, 600 paid (fee 9 at 150 bp), 100 rejected. */
	assert_int_equal(json_array_size(audit_json(j, "reconversions")), 1);
	row = audit_json(j, "reconversions.0");
	assert_string_equal(audit_json_str(row, "partner"), hex(h_pk(&f->h, "farm")));
	assert_int_equal(audit_json_u64(row, "redeemed"), 700);
	assert_int_equal(audit_json_u64(row, "requests"), 2);
	assert_int_equal(audit_json_u64(row, "reconverted"), 600);
	assert_int_equal(audit_json_u64(row, "fees"), 9);
	assert_int_equal(audit_json_u64(row, "paid_out"), 591);
	assert_int_equal(audit_json_u64(row, "rejected"), 100);
	assert_int_equal(audit_json_u64(row, "pending"), 0);
	/* The month's reserve movements and circulation add up to the totals. */
	assert_int_equal(json_array_size(audit_json(j, "months")), 1);
	row = audit_json(j, "months.0");
	assert_int_equal(audit_json_u64(row, "funded"), 1000000);
	assert_int_equal(audit_json_u64(row, "released.surplus"), 2000);
	assert_int_equal(audit_json_u64(row, "paid_out"), 591);
	assert_int_equal(audit_json_u64(row, "retired_paid"), 200);
	assert_int_equal(audit_json_u64(row, "retired_reversed"), 300);
	assert_int_equal(audit_json_u64(row, "pay"), 1650);
	assert_int_equal(audit_json_u64(row, "refund"), 100);
	assert_int_equal(audit_json_u64(j, "regulatory.pay"), 1650);
	assert_int_equal(audit_json_u64(j, "regulatory.refund"), 100);
	assert_int_equal(audit_json_u64(j, "regulatory.payments"), 1750);
	assert_false(audit_json_bool(j, "regulatory.payments_over"));
	assert_false(audit_json_bool(j, "regulatory.outstanding_over"));
	assert_int_equal(audit_json_u64(j, "regulatory.threshold"), 100000000);
	json_decref(j);

	/* The same export again: nothing new to replay, still clean. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", e1);
	EXPECT_CLEAN(j, rc);
	assert_int_equal(audit_json_u64(j, "replayed.from"), first_size);
	assert_int_equal(audit_json_u64(j, "replayed.to"), first_size);
	json_decref(j);

	/* Incremental: a longer export of the same log; only the new leaves are replayed. */
	f->h.now_ms += 40 * DAY_MS;  /* into December */
	assert_int_equal(h_pay(&f->h, "alice", "shop", 10), MANNE_OK);
	assert_int_equal(issue(&f->h, "alice", 50, MANNE__ISSUE_REASON__ISSUE_GRANT, "fete-2026-12"), MANNE_OK);
	export_now(f, "checkpoint", "e2.bin", NULL);
	path_of(f, "e2.bin", e2);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e2, "--report-day", "2027-01-01");
	EXPECT_CLEAN(j, rc);
	assert_int_equal(audit_json_u64(j, "anchor.tree_size"), first_size);
	assert_true(audit_json_bool(j, "anchor.extended"));
	assert_int_equal(audit_json_u64(j, "replayed.from"), first_size);
	assert_int_equal(audit_json_u64(j, "replayed.to"), first_size + 2);
	expect_totals(j, h_totals(&f->h));
	assert_int_equal(json_array_size(audit_json(j, "issuance")), 3);
	assert_string_equal(audit_json_str(j, "issuance.2.month"), "2026-12");
	assert_string_equal(audit_json_str(j, "issuance.2.reason"), "grant");
	assert_int_equal(json_array_size(audit_json(j, "months")), 2);
	assert_int_equal(audit_json_u64(j, "regulatory.pay"), 1660);
	json_decref(j);

	/* The people's report of the same run. */
	assert_int_equal(AUDIT_RUN(NULL, "--state", st, "--file", e2), 0);
}

/* SPEC §7: pay and refund over the twelve ledger-calendar months before the
 * report day, the day being the ledger's (UTC+1 with EU summer time here),
 * never the machine's. */
static void test_regulatory_window(void **state)
{
	struct fixture *f = *state;
	char st[160], e[160];
	json_t *j;
	int rc;

	assert_int_equal(h_open(&f->h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(&f->h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	assert_int_equal(h_fund(&f->h, 10000000), MANNE_OK);
	assert_int_equal(h_issue(&f->h, "alice", 10000), MANNE_OK);
	/* 2026-11-02 10:00 UTC: ledger day 2026-11-02. */
	assert_int_equal(h_pay(&f->h, "alice", "shop", 400), MANNE_OK);
	/* 2027-03-01 23:30 UTC is 2027-03-02 00:30 in ledger time (UTC+1, winter). */
	f->h.now_ms = 1803943800000ULL;
	assert_int_equal(h_pay(&f->h, "alice", "shop", 100), MANNE_OK);
	/* 2027-11-10 12:00 UTC. */
	f->h.now_ms = 1825848000000ULL;
	assert_int_equal(h_pay(&f->h, "alice", "shop", 50), MANNE_OK);
	export_now(f, "checkpoint", "e.bin", NULL);
	path_of(f, "state", st);
	path_of(f, "e.bin", e);

	/* Report day 2027-11-02: the window is 2026-11-02 .. 2027-11-01. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--checkpoint-key", f->vkey, "--report-day", "2027-11-02");
	EXPECT_CLEAN(j, rc);
	assert_string_equal(audit_json_str(j, "regulatory.from"), "2026-11-02");
	assert_string_equal(audit_json_str(j, "regulatory.to"), "2027-11-01");
	assert_int_equal(audit_json_u64(j, "regulatory.pay"), 500);
	json_decref(j);
	/* One day later the first payment has left the window. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--report-day", "2027-11-03");
	EXPECT_CLEAN(j, rc);
	assert_int_equal(audit_json_u64(j, "regulatory.pay"), 100);
	json_decref(j);
	/* The payment of 2027-03-01 23:30 UTC belongs to ledger day 2027-03-02. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--report-day", "2028-03-02");
	EXPECT_CLEAN(j, rc);
	assert_string_equal(audit_json_str(j, "regulatory.from"), "2027-03-02");
	assert_int_equal(audit_json_u64(j, "regulatory.pay"), 150);
	json_decref(j);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--report-day", "2028-03-03");
	EXPECT_CLEAN(j, rc);
	assert_int_equal(audit_json_u64(j, "regulatory.pay"), 50);
	json_decref(j);
	/* 29 February has no twin a year before: the window starts on 1 March. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--report-day", "2028-02-29");
	EXPECT_CLEAN(j, rc);
	assert_string_equal(audit_json_str(j, "regulatory.from"), "2027-03-01");
	assert_string_equal(audit_json_str(j, "regulatory.to"), "2028-02-28");
	assert_int_equal(audit_json_u64(j, "regulatory.pay"), 150);
	json_decref(j);
}

/* Runs a fresh audit of `file` (a new state directory each time). */
static int audit_fresh(struct fixture *f, const char *file, json_t **j)
{
	static unsigned n;
	char st[160], name[32];

	snprintf(name, sizeof(name), "state-%u", n++);
	path_of(f, name, st);
	return AUDIT_RUN(j, "--state", st, "--file", file, "--checkpoint-key", f->vkey);
}

static void test_tampered_export(void **state)
{
	struct fixture *f = *state;
	char e[160], bad[160], other_note[NOTE_BYTES_MAX + 1];
	size_t offsets[64], count, note_at, len;
	uint8_t *bytes, *copy;
	json_t *j;
	int rc;

	life(&f->h);
	export_now(f, "checkpoint", "e.bin", NULL);
	path_of(f, "e.bin", e);
	path_of(f, "bad.bin", bad);
	count = audit_export_layout(e, offsets, 64, &note_at);
	assert_int_equal(count, f->h.ledger->state.tree_size);
	bytes = audit_file_read(e, &len);
	copy = malloc(len);
	assert_non_null(copy);

	/* A flipped byte in a leaf's signed transaction: its signatures fail. */
	memcpy(copy, bytes, len);
	copy[offsets[9] + 4 + 16 + 30] ^= 0x01;
	audit_file_write(bad, copy, len);
	rc = audit_fresh(f, bad, &j);
	expect_finding(j, rc, audit_json_str(j, "findings.0.check")[0] == 's' ? "signature" : "replay", true, 9);
	json_decref(j);

	/* A flipped byte in a signature itself. */
	memcpy(copy, bytes, len);
	copy[offsets[12] + 4 + (load_be32(copy + offsets[12]) - 5)] ^= 0x80;
	audit_file_write(bad, copy, len);
	rc = audit_fresh(f, bad, &j);
	expect_finding(j, rc, "signature", true, 12);
	json_decref(j);

	/* A leaf's time moved back before the one before it. */
	memcpy(copy, bytes, len);
	store_be64(copy + offsets[10] + 4 + 8, 1000);
	audit_file_write(bad, copy, len);
	rc = audit_fresh(f, bad, &j);
	expect_finding(j, rc, "leaf", true, 10);
	json_decref(j);

	/* A leaf's time moved forward a little: it still applies, but the tree
	 * is not the one the checkpoint signs. */
	memcpy(copy, bytes, len);
	store_be64(copy + offsets[count - 1] + 4 + 8, load_be64(copy + offsets[count - 1] + 4 + 8) + 1);
	audit_file_write(bad, copy, len);
	rc = audit_fresh(f, bad, &j);
	expect_finding(j, rc, "root", false, 0);
	json_decref(j);

	/* A dropped leaf: the one after it is not where it says it is. */
	{
		size_t drop = offsets[7], next = offsets[8];
		memcpy(copy, bytes, drop);
		memcpy(copy + drop, bytes + next, len - next);
		audit_file_write(bad, copy, len - (next - drop));
		rc = audit_fresh(f, bad, &j);
		expect_finding(j, rc, "leaf", true, 7);
		assert_non_null(strstr(audit_json_str(j, "findings.0.what"), "missing"));
		json_decref(j);
	}

	/* A leaf that repeats the transaction of the leaf before it (a payment
	 * counted twice), under its own header. */
	{
		size_t k = 8, at = offsets[k + 1], tx_len = load_be32(bytes + offsets[k]) - 16, out = 0;
		uint8_t *dup = malloc(len + tx_len + 64);
		assert_non_null(dup);
		memcpy(dup, bytes, at);
		out = at;
		store_be32(dup + out, (uint32_t)(16 + tx_len));
		memcpy(dup + out + 4, bytes + at + 4, 16);
		memcpy(dup + out + 20, bytes + offsets[k] + 20, tx_len);
		out += 20 + tx_len;
		memcpy(dup + out, bytes + offsets[k + 2], len - offsets[k + 2]);
		out += len - offsets[k + 2];
		audit_file_write(bad, dup, out);
		free(dup);
		rc = audit_fresh(f, bad, &j);
		expect_finding(j, rc, "replay", true, k + 1);
		assert_non_null(strstr(audit_json_str(j, "findings.0.what"), "repeats"));
		json_decref(j);
	}

	/* The same checkpoint signed by another key. */
	{
		char other[160];
		export_now(f, "intruder", "other.bin", other_note);
		path_of(f, "other.bin", other);
		rc = audit_fresh(f, other, &j);
		expect_finding(j, rc, "signature", true, count - 1);
		assert_false(audit_json_bool(j, "checkpoint.verified"));
		json_decref(j);
	}

	/* A checkpoint whose totals claim more backing than the log has: the
	 * checkpoint key signed it, the log does not say it. */
	{
		char lying[160];
		struct totals saved = f->h.ledger->state.totals;
		f->h.ledger->state.totals.funded += 500000;
		export_now(f, "checkpoint", "lying.bin", NULL);
		f->h.ledger->state.totals = saved;
		path_of(f, "lying.bin", lying);
		rc = audit_fresh(f, lying, &j);
		expect_finding(j, rc, "totals", true, count - 1);
		assert_non_null(strstr(audit_json_str(j, "findings.0.found"), "funded 1500000"));
		assert_non_null(strstr(audit_json_str(j, "findings.0.expected"), "funded 1000000"));
		json_decref(j);
	}

	/* A file cut short, and bytes after the checkpoint. */
	audit_file_write(bad, bytes, offsets[5] + 10);
	rc = audit_fresh(f, bad, &j);
	expect_finding(j, rc, "format", true, 5);
	json_decref(j);
	memcpy(copy, bytes, len);
	audit_file_write(bad, copy, len);
	{
		FILE *fp = fopen(bad, "ab");
		assert_non_null(fp);
		fputc('x', fp);
		fclose(fp);
	}
	rc = audit_fresh(f, bad, &j);
	expect_finding(j, rc, "format", false, 0);
	json_decref(j);
	free(copy);
	free(bytes);
}

/* Two ledgers with the same genesis and keys that part after `common` leaves. */
static void test_history_rewritten(void **state)
{
	struct fixture *f = *state;
	struct harness *other = calloc(1, sizeof(*other));
	char st[160], a[160], b[160], note_a[NOTE_BYTES_MAX + 1], note_b[NOTE_BYTES_MAX + 1], st2[160], ca[160];
	uint64_t common;
	json_t *j;
	int rc;

	assert_non_null(other);
	assert_int_equal(h_open(&f->h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(&f->h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	assert_int_equal(h_fund(&f->h, 100000), MANNE_OK);
	common = f->h.ledger->state.tree_size;
	assert_int_equal(h_issue(&f->h, "alice", 1000), MANNE_OK);
	assert_int_equal(h_pay(&f->h, "alice", "shop", 300), MANNE_OK);
	export_now(f, "checkpoint", "a.bin", note_a);
	path_of(f, "a.bin", a);
	path_of(f, "state", st);
	rc = AUDIT_RUN(&j, "--state", st, "--file", a, "--checkpoint-key", f->vkey);
	EXPECT_CLEAN(j, rc);
	json_decref(j);

	/* The same start (the harness is deterministic), then another story:
	 * the issue to alice never happened, the shop got it. */
	h_setup(other);
	assert_int_equal(h_open(other, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(other, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	assert_int_equal(h_fund(other, 100000), MANNE_OK);
	assert_int_equal(other->ledger->state.tree_size, common);
	assert_memory_equal(other->ledger->state.genesis_id, f->h.ledger->state.genesis_id, 32);
	assert_int_equal(h_issue(other, "shop", 1000), MANNE_OK);
	assert_int_equal(h_pay(other, "shop", "association", 300), MANNE_OK);
	assert_int_equal(h_issue(other, "alice", 10), MANNE_OK);
	audit_sign_checkpoint(other->ledger, h_key(other, "checkpoint")->kp.secret_key, note_b);
	path_of(f, "b.bin", b);
	audit_write_export(other->ledger, other->ledger->state.tree_size, note_b, b);

	/* The auditor who verified A is shown B: both are signed by the ledger's
	 * key, and B does not extend A. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", b);
	expect_finding(j, rc, "consistency", true, common);
	assert_int_equal(json_array_size(audit_json(j, "findings.0.evidence")), 2);
	assert_string_equal(audit_json_str(j, "findings.0.evidence.0"), note_a);
	assert_string_equal(audit_json_str(j, "findings.0.evidence.1"), note_b);
	json_decref(j);
	/* It stays caught: the anchor is still A. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", b);
	expect_finding(j, rc, "consistency", true, common);
	json_decref(j);

	/* A fresh auditor of B given A as a collected checkpoint (a receipt's
	 * note) sees the same pair. */
	save_note(f, "a.note", note_a);
	path_of(f, "a.note", ca);
	path_of(f, "state2", st2);
	rc = AUDIT_RUN(&j, "--state", st2, "--file", b, "--checkpoint-key", f->vkey, "--checkpoint", ca);
	expect_finding(j, rc, "consistency", false, 0);
	assert_int_equal(json_array_size(audit_json(j, "findings.0.evidence")), 2);
	assert_false(audit_json_bool(j, "collected.0.consistent"));
	json_decref(j);
	/* And another auditor's state file, given as a collected checkpoint, the same. */
	{
		char sf[200];
		snprintf(sf, sizeof(sf), "%s/state", st);
		path_of(f, "state3", st2);
		rc = AUDIT_RUN(&j, "--state", st2, "--file", b, "--checkpoint-key", f->vkey, "--checkpoint", sf);
		expect_finding(j, rc, "consistency", false, 0);
		assert_int_equal(json_array_size(audit_json(j, "findings.0.evidence")), 2);
		json_decref(j);
	}
	h_teardown(other);
	free(other);
}

static void test_collected_and_key_change(void **state)
{
	struct fixture *f = *state;
	char st[160], e[160], c1[160], c2[160], c3[160], vkey2[256], vkey_other[256];
	char n1[NOTE_BYTES_MAX + 1], n2[NOTE_BYTES_MAX + 1], n3[NOTE_BYTES_MAX + 1], note[NOTE_BYTES_MAX + 1];
	json_t *j;
	int rc;

	assert_int_equal(h_open(&f->h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(&f->h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	assert_int_equal(h_fund(&f->h, 100000), MANNE_OK);
	assert_int_equal(h_issue(&f->h, "alice", 1000), MANNE_OK);
	/* A shop's receipt: the checkpoint that covered its payment. */
	assert_int_equal(h_pay(&f->h, "alice", "shop", 100), MANNE_OK);
	audit_sign_checkpoint(f->h.ledger, h_key(&f->h, "checkpoint")->kp.secret_key, n1);
	assert_int_equal(h_set_checkpoint_key(&f->h, "checkpoint2"), MANNE_OK);
	assert_int_equal(h_pay(&f->h, "alice", "shop", 200), MANNE_OK);
	audit_sign_checkpoint(f->h.ledger, h_key(&f->h, "checkpoint2")->kp.secret_key, n2);
	/* After the change the old key signs no more: a note by it is not the ledger's. */
	audit_sign_checkpoint(f->h.ledger, h_key(&f->h, "checkpoint")->kp.secret_key, n3);
	assert_int_equal(h_pay(&f->h, "alice", "shop", 300), MANNE_OK);
	audit_sign_checkpoint(f->h.ledger, h_key(&f->h, "checkpoint2")->kp.secret_key, note);
	path_of(f, "e.bin", e);
	audit_write_export(f->h.ledger, f->h.ledger->state.tree_size, note, e);
	save_note(f, "c1.note", n1);
	save_note(f, "c2.note", n2);
	save_note(f, "c3.note", n3);
	path_of(f, "c1.note", c1);
	path_of(f, "c2.note", c2);
	path_of(f, "c3.note", c3);

	/* Pinned to the genesis key, the auditor follows the log to the new one. */
	path_of(f, "s1", st);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--checkpoint-key", f->vkey, "--checkpoint", c1, "--checkpoint",
		       c2);
	EXPECT_CLEAN(j, rc);
	assert_int_equal(json_array_size(audit_json(j, "collected")), 2);
	assert_true(audit_json_bool(j, "collected.0.consistent"));
	assert_true(audit_json_bool(j, "collected.1.consistent"));
	assert_string_equal(audit_json_str(j, "collected.0.checked"), "signature, root and totals");
	json_decref(j);
	/* Later, the same collected checkpoints are older than the replay: signature and root. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--checkpoint", c1);
	EXPECT_CLEAN(j, rc);
	assert_string_equal(audit_json_str(j, "collected.0.checked"), "signature and root");
	json_decref(j);
	/* A note signed by the retired key for a size after the change. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--checkpoint", c3);
	expect_finding(j, rc, "signature", true, 7);
	json_decref(j);

	/* Pinned to the genesis key but shown no checkpoint it signed: the log
	 * alone cannot prove it is that key's ledger (anyone may name a public
	 * key in a genesis of their own and move to their own key at once). */
	path_of(f, "s0", st);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--checkpoint-key", f->vkey);
	expect_finding(j, rc, "trust", false, 0);
	assert_non_null(strstr(audit_json_str(j, "findings.0.what"), "--checkpoint"));
	json_decref(j);

	/* Pinned to the current key on a first run: also fine. */
	audit_vkey(H_ORIGIN, h_pk(&f->h, "checkpoint2"), vkey2);
	path_of(f, "s2", st);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--checkpoint-key", vkey2);
	EXPECT_CLEAN(j, rc);
	json_decref(j);

	/* Pinned to a key that is not this ledger's: the log proves nothing to it. */
	audit_vkey(H_ORIGIN, h_pk(&f->h, "intruder"), vkey_other);
	path_of(f, "s3", st);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--checkpoint-key", vkey_other);
	expect_finding(j, rc, "trust", false, 0);
	json_decref(j);
	/* ... nor to another origin's. */
	audit_vkey("manne.elsewhere/v1", h_pk(&f->h, "checkpoint"), vkey_other);
	path_of(f, "s4", st);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e, "--checkpoint-key", vkey_other);
	expect_finding(j, rc, "trust", false, 0);
	json_decref(j);
}

/* ---- The treasurer's books (SPEC §12) ---- */


/* Thirty ledger days from 2 November 2026, then ten days of March 2027
 * across the start of summer time (28 March): the next year's books open
 * with the balances carried, and its days follow the new offset. */
static void month_of_life(struct harness *h)
{
	uint8_t issue_txid[32], redeem_paid[32], redeem_rejected[32];

	assert_int_equal(h_open(h, "alice", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "bob", MANNE__ROLE__ROLE_MEMBER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "shop", MANNE__ROLE__ROLE_SHOP, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "farm", MANNE__ROLE__ROLE_PRODUCER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_open(h, "counter", MANNE__ROLE__ROLE_COUNTER, 0, 0, false), MANNE_OK);
	assert_int_equal(h_fund(h, 500000), MANNE_OK);
	assert_int_equal(issue(h, "alice", 2000, MANNE__ISSUE_REASON__ISSUE_GRANT, "accueil-2026"), MANNE_OK);
	assert_int_equal(issue(h, "bob", 2000, MANNE__ISSUE_REASON__ISSUE_GRANT, "accueil-2026"), MANNE_OK);
	for (int d = 0; d < 30; d++) {
		h->now_ms += DAY_MS;
		assert_int_equal(issue(h, d % 2 ? "alice" : "bob", 1000 + (uint64_t)d,
				       d % 3 ? MANNE__ISSUE_REASON__ISSUE_PARTICIPATION : MANNE__ISSUE_REASON__ISSUE_ALLOWANCE,
				       d < 20 ? "jardin-2026-11" : "panier-2026-11"),
				 MANNE_OK);
		if (d == 3)
			memcpy(issue_txid, h->last_txid, 32);
		assert_int_equal(h_pay(h, d % 2 ? "alice" : "bob", "shop", 300), MANNE_OK);
		assert_int_equal(pay_at_counter(h, d % 2 ? "bob" : "alice", "counter", 150), MANNE_OK);
		if (d % 7 == 6)
			assert_int_equal(h_pay(h, "shop", "farm", 200), MANNE_OK);
	}
	assert_int_equal(h_redeem(h, "farm", 500), MANNE_OK);
	memcpy(redeem_paid, h->last_txid, 32);
	assert_int_equal(h_redeem(h, "shop", 1000), MANNE_OK);
	memcpy(redeem_rejected, h->last_txid, 32);
	assert_int_equal(h_settle(h, redeem_paid, true), MANNE_OK);
	assert_int_equal(h_settle(h, redeem_rejected, false), MANNE_OK);
	assert_int_equal(h_reverse_issue(h, issue_txid, 400), MANNE_OK);
	assert_int_equal(h_release(h, 10000), MANNE_OK);
	h->now_ms = 1805493600000ULL; /* 2027-03-22 22:40 UTC */
	assert_int_equal(h_fund(h, 20000), MANNE_OK);
	for (int d = 0; d < 10; d++) {
		h->now_ms += DAY_MS;
		assert_int_equal(issue(h, "alice", 250, MANNE__ISSUE_REASON__ISSUE_PURCHASE, "achat-2027-03"), MANNE_OK);
		assert_int_equal(pay_at_counter(h, "alice", "counter", 70), MANNE_OK);
	}
	h_check_invariants(h);
}

/* Amounts of the books as signed centimes (debit positive). */
static int64_t centimes_of(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || s[n - 3] != ',')
		fail_msg("not an amount with a decimal comma: '%s'", s);
	for (size_t i = 0; i < n; i++)
		if (i != n - 3 && (s[i] < '0' || s[i] > '9'))
			fail_msg("not an amount: '%s'", s);
	return strtoll(s, NULL, 10) * 100 + strtoll(s + n - 2, NULL, 10);
}

struct balances {
	const char *account[16];
	int64_t value[16];
	size_t count;
};

static void book(struct balances *b, const char *account, int64_t v)
{
	for (size_t i = 0; i < b->count; i++)
		if (strcmp(b->account[i], account) == 0) {
			b->value[i] += v;
			return;
		}
	assert_true(b->count < 16);
	b->account[b->count] = strdup(account);
	b->value[b->count++] = v;
}

static int64_t balance_of(const struct balances *b, const char *account)
{
	for (size_t i = 0; i < b->count; i++)
		if (strcmp(b->account[i], account) == 0)
			return b->value[i];
	return 0;
}

static bool date_ok(const char *s, int year)
{
	int y, m, d;
	return strlen(s) == 8 && sscanf(s, "%4d%2d%2d", &y, &m, &d) == 3 && y == year && m >= 1 && m <= 12 && d >= 1 &&
	       d <= 31;
}

/* The FEC checker: the norm's 18 columns and formats, one balanced entry per
 * EcritureNum in an unbroken sequence, plain ASCII; the accounts' balances
 * into b. Returns the number of entries. */
static size_t check_fec(const char *path, int year, struct balances *b)
{
	static const char header[] = "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|"
				     "CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|"
				     "ValidDate|Montantdevise|Idevise";
	size_t len;
	char *text = (char *)audit_file_read(path, &len), *save = NULL, *line;
	uint64_t entry = 0;
	int64_t entry_sum = 0;
	char last_date[9] = "";

	assert_non_null(text);
	text = realloc(text, len + 1);
	text[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] > 0x7e || ((unsigned char)text[i] < 0x20 && text[i] != '\r' && text[i] != '\n'))
			fail_msg("byte %zu of the FEC is not printable ASCII", i);
	line = strtok_r(text, "\n", &save);
	assert_non_null(line);
	line[strcspn(line, "\r")] = '\0';
	assert_string_equal(line, header);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *f[19];
		size_t n = 0;
		line[strcspn(line, "\r")] = '\0';
		for (char *p = line, *bar; n < 19; p = bar + 1) {
			f[n++] = p;
			if ((bar = strchr(p, '|')) == NULL)
				break;
			*bar = '\0';
		}
		if (n != 18)
			fail_msg("a FEC line has %zu fields", n);
		uint64_t num = strtoull(f[2], NULL, 10);
		if (num != entry) {
			if (entry != 0 && entry_sum != 0)
				fail_msg("entry %llu does not balance (%lld)", (unsigned long long)entry, (long long)entry_sum);
			if (num != entry + 1)
				fail_msg("EcritureNum %llu after %llu", (unsigned long long)num, (unsigned long long)entry);
			entry = num;
			entry_sum = 0;
		}
		assert_true(f[0][0] != '\0' && f[1][0] != '\0' && f[4][0] != '\0' && f[5][0] != '\0' && f[8][0] != '\0' &&
			    f[10][0] != '\0');
		assert_true(strlen(f[4]) >= 3 && f[4][0] >= '1' && f[4][0] <= '7');
		assert_true(date_ok(f[3], year) && date_ok(f[9], year) && date_ok(f[15], year));
		assert_true(strcmp(f[3], last_date) >= 0); /* in the order of the dates */
		memcpy(last_date, f[3], 9);
		assert_true(f[13][0] == '\0' && f[14][0] == '\0' && f[16][0] == '\0' && f[17][0] == '\0');
		int64_t debit = centimes_of(f[11]), credit = centimes_of(f[12]);
		assert_true((debit > 0) != (credit > 0)); /* exactly one side */
		entry_sum += debit - credit;
		book(b, f[4], debit - credit);
	}
	if (entry_sum != 0)
		fail_msg("the last entry does not balance");
	free(text);
	return (size_t)entry;
}

/* Paheko's simple entries: 9 quoted or bare fields, a comma between. */
static size_t check_paheko(const char *path, struct balances *b)
{
	size_t len, lines = 0;
	char *text = (char *)audit_file_read(path, &len), *save = NULL, *line;

	assert_non_null(text);
	text = realloc(text, len + 1);
	text[len] = '\0';
	line = strtok_r(text, "\n", &save);
	assert_non_null(strstr(line, "\"Compte de débit\",\"Compte de crédit\",\"Montant\""));
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *f[10], *p = line;
		size_t n = 0;
		line[strcspn(line, "\r")] = '\0';
		while (n < 10) {
			if (*p == '"') {
				char *end = strchr(p + 1, '"');
				assert_non_null(end);
				*end = '\0';
				f[n++] = p + 1;
				p = end + 1;
			} else {
				f[n++] = p;
				p += strcspn(p, ",");
			}
			if (*p != ',')
				break;
			*p++ = '\0';
		}
		assert_int_equal(n, 9);
		assert_string_equal(f[0], ""); /* new entries: Paheko numbers them */
		int dd, mm, yy;
		assert_int_equal(sscanf(f[2], "%2d/%2d/%4d", &dd, &mm, &yy), 3);
		int64_t v = centimes_of(f[8]);
		assert_true(v > 0);
		book(b, f[6], v);
		book(b, f[7], -v);
		lines++;
	}
	free(text);
	return lines;
}

/* Well-formed enough to print: every element closed in order (void ones
 * excepted), no script. Returns the number of <svg> charts. */
static size_t check_html(const char *path)
{
	static const char *const void_tags[] = {"meta", "br", "rect", "line", "polyline", "path", NULL};
	size_t len, svgs = 0, depth = 0;
	char *text = (char *)audit_file_read(path, &len), stack[64][16];

	assert_non_null(text);
	text = realloc(text, len + 1);
	text[len] = '\0';
	assert_int_equal(strncmp(text, "<!DOCTYPE html>", 15), 0);
	assert_null(strstr(text, "<script"));
	for (char *p = strchr(text + 15, '<'); p != NULL; p = strchr(p + 1, '<')) {
		bool closing = p[1] == '/';
		char name[16];
		size_t n = strspn(p + 1 + closing, "abcdefghijklmnopqrstuvwxyz0123456789");
		assert_true(n > 0 && n < sizeof(name));
		memcpy(name, p + 1 + closing, n);
		name[n] = '\0';
		char *end = strchr(p, '>');
		assert_non_null(end);
		bool self_closed = end[-1] == '/';
		bool is_void = false;
		for (size_t i = 0; void_tags[i] != NULL; i++)
			is_void |= strcmp(name, void_tags[i]) == 0;
		if (closing) {
			if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
				fail_msg("</%s> closes <%s>", name, depth > 0 ? stack[depth - 1] : "(nothing)");
			depth--;
		} else if (!self_closed && !is_void) {
			assert_true(depth < 64);
			strcpy(stack[depth++], name);
		}
		if (!closing && strcmp(name, "svg") == 0)
			svgs++;
	}
	assert_int_equal(depth, 0);
	free(text);
	return svgs;
}

/* The value of <... data-figure="name" data-value="N"> in the report. */
static uint64_t html_figure(const char *path, const char *name)
{
	size_t len;
	char *text = (char *)audit_file_read(path, &len), key[64];
	text = realloc(text, len + 1);
	text[len] = '\0';
	snprintf(key, sizeof(key), "data-figure=\"%s\" data-value=\"", name);
	char *at = strstr(text, key);
	if (at == NULL)
		fail_msg("no figure %s in the report", name);
	uint64_t v = strtoull(at + strlen(key), NULL, 10);
	free(text);
	return v;
}

static void test_treasurer_books(void **state)
{
	struct fixture *f = *state;
	char st[160], e1[160], fec26[160], fec27[160], csv[160], again[160];
	struct balances b26 = {0}, b27 = {0}, pk = {0};
	uint64_t outstanding, reserve;
	json_t *j;
	int rc;

	month_of_life(&f->h);
	export_now(f, "checkpoint", "e1.bin", NULL);
	path_of(f, "state", st);
	path_of(f, "e1.bin", e1);
	path_of(f, "FEC2026.txt", fec26);
	path_of(f, "FEC2027.txt", fec27);
	path_of(f, "paheko.csv", csv);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e1, "--checkpoint-key", f->vkey, "--report-day", "2027-01-10",
		       "--fec", fec26, "--year", "2026", "--paheko", csv);
	EXPECT_CLEAN(j, rc);
	json_decref(j);
	/* A later run writes the next year's, from the same replay. */
	rc = AUDIT_RUN(&j, "--state", st, "--file", e1, "--checkpoint-key", f->vkey, "--report-day", "2027-01-10",
		       "--fec", fec27, "--year", "2027");
	EXPECT_CLEAN(j, rc);
	json_decref(j);

	const struct totals *t = h_totals(&f->h);
	assert_int_equal(totals_outstanding(t, &outstanding), 0);
	assert_int_equal(totals_reserve(t, &reserve), 0);
	size_t entries26 = check_fec(fec26, 2026, &b26);
	/* One entry per movement: the fund, 32 issues, 30 sales at the counter,
	 * 2 reconversions asked and 2 settled, a reversal, a release. */
	assert_int_equal(entries26, 1 + 32 + 30 + 2 + 2 + 1 + 1);
	assert_int_equal(balance_of(&b26, "706100"), -(int64_t)t->fees); /* fees: all in 2026 */
	/* 2027 opens with what 2026 closed (à nouveaux), then its own entries:
	 * the balance sheet equals the checkpoint's totals. */
	check_fec(fec27, 2027, &b27);
	assert_int_equal(balance_of(&b27, "512100"), (int64_t)reserve);
	assert_int_equal(-(balance_of(&b27, "467100") + balance_of(&b27, "467200")), (int64_t)outstanding);
	assert_int_equal(balance_of(&b27, "467200"), -(int64_t)t->pending);
	/* Paheko's file (the same --year) holds the same movements: one line per
	 * two-line entry, two for a reconversion paid with its fee; the same
	 * balance on every account. */
	assert_int_equal(check_paheko(csv, &pk), entries26 + 1);
	assert_int_equal(pk.count, b26.count);
	for (size_t i = 0; i < b26.count; i++)
		assert_int_equal(balance_of(&pk, b26.account[i]), b26.value[i]);
	/* The month's report for the board and funders: its figures are the
	 * JSON report's (the last month: its end is the checkpoint's). */
	char html[160];
	path_of(f, "rapport-2027-03.html", html);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e1, "--checkpoint-key", f->vkey, "--report-day", "2027-04-01",
		       "--html", html, "--month", "2027-03");
	EXPECT_CLEAN(j, rc);
	assert_int_equal(check_html(html), 4);
	assert_int_equal(html_figure(html, "coverage_bp"), audit_json_u64(j, "coverage_bp"));
	assert_int_equal(html_figure(html, "outstanding"), audit_json_u64(j, "totals.outstanding"));
	assert_int_equal(html_figure(html, "reserve"), audit_json_u64(j, "totals.reserve"));
	assert_int_equal(html_figure(html, "payments_12_months"),
			 audit_json_u64(j, "regulatory.pay") + audit_json_u64(j, "regulatory.refund"));
	assert_int_equal(html_figure(html, "issued_month"), 10 * 250);
	assert_int_equal(html_figure(html, "paid_month"), 10 * 70);
	json_decref(j);
	path_of(f, "rapport-2026-11.html", html);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e1, "--checkpoint-key", f->vkey, "--html", html, "--month", "2026-11");
	EXPECT_CLEAN(j, rc);
	json_decref(j);
	assert_int_equal(check_html(html), 4);
	assert_int_equal(html_figure(html, "fees_month"), 0);
	assert_int_equal(html_figure(html, "partners_paid"), 2); /* the shop, and the farm the shop paid */
	assert_true(html_figure(html, "issued_month") > 0);

	/* Statements: opening, the month's lines, closing; the lines add up; the
	 * holder's says "crédit de l'association", never why (SPEC §6). */
	char base[160], file[200];
	int64_t sum_lines = 0;
	path_of(f, "releve-alice", base);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e1, "--checkpoint-key", f->vkey, "--statement",
		       hex(h_pk(&f->h, "alice")), "--month", "2026-11", "--statement-out", base);
	EXPECT_CLEAN(j, rc);
	json_decref(j);
	snprintf(file, sizeof(file), "%s.html", base);
	assert_int_equal(check_html(file), 0);
	size_t len;
	char *text = (char *)audit_file_read(file, &len);
	text = realloc(text, len + 1);
	text[len] = '\0';
	assert_null(strstr(text, "participation"));
	assert_null(strstr(text, "jardin"));
	assert_non_null(strstr(text, "crédit de l'association"));
	for (char *p = strstr(text, "<td class=\"n\" data-value=\""); p != NULL;
	     p = strstr(p + 1, "<td class=\"n\" data-value=\""))
		sum_lines += strtoll(p + strlen("<td class=\"n\" data-value=\""), NULL, 10);
	free(text);
	int64_t opening = (int64_t)html_figure(file, "opening"), closing = (int64_t)html_figure(file, "closing");
	assert_int_equal(closing - opening, sum_lines);
	assert_int_equal(opening, 0); /* alice's account opened that month */
	snprintf(file, sizeof(file), "%s.txt", base);
	assert_int_equal(access(file, F_OK), 0);
	/* The board's statement of the last month names the reasons, and closes
	 * on the balance of the checkpoint. */
	path_of(f, "releve-alice-board", base);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e1, "--checkpoint-key", f->vkey, "--statement",
		       hex(h_pk(&f->h, "alice")), "--month", "2027-03", "--statement-out", base, "--statement-for", "board");
	EXPECT_CLEAN(j, rc);
	json_decref(j);
	snprintf(file, sizeof(file), "%s.html", base);
	assert_int_equal((int64_t)html_figure(file, "closing"), (int64_t)h_balance(&f->h, "alice"));
	text = (char *)audit_file_read(file, &len);
	text = realloc(text, len + 1);
	text[len] = '\0';
	assert_non_null(strstr(text, "émission (achat, achat-2027-03)"));
	free(text);

	/* Exports are new files: never over an existing one; --fec needs its year. */
	path_of(f, "again.txt", again);
	rc = AUDIT_RUN(&j, "--state", st, "--file", e1, "--checkpoint-key", f->vkey, "--fec", fec26, "--year", "2026");
	assert_int_equal(rc, 6);
	json_decref(j);
	assert_int_equal(AUDIT_RUN(NULL, "--state", st, "--file", e1, "--checkpoint-key", f->vkey, "--fec", again), 2);
	assert_int_equal(AUDIT_RUN(NULL, "--state", st, "--file", e1, "--fec", again, "--year", "26"), 2);
	assert_int_equal(access(again, F_OK), -1);
	for (size_t i = 0; i < b26.count; i++)
		free((char *)b26.account[i]);
	for (size_t i = 0; i < b27.count; i++)
		free((char *)b27.account[i]);
	for (size_t i = 0; i < pk.count; i++)
		free((char *)pk.account[i]);
}

static void test_command_line(void **state)
{
	struct fixture *f = *state;
	char st[160], e[160], missing[160];
	json_t *j;

	export_now(f, "checkpoint", "e.bin", NULL);
	path_of(f, "e.bin", e);
	path_of(f, "state", st);
	path_of(f, "missing.bin", missing);
	assert_int_equal(AUDIT_RUN(NULL, "--file", e), 2);                                   /* no --state */
	assert_int_equal(AUDIT_RUN(NULL, "--state", st, "--file", e), 2);                    /* no trust root */
	assert_int_equal(AUDIT_RUN(NULL, "--state", st, "--file", e, "--checkpoint-key", "abc"), 2);
	assert_int_equal(AUDIT_RUN(NULL, "--state", st, "--file", e, "--bogus"), 2);
	assert_int_equal(AUDIT_RUN(NULL, "--state", st, "--file", e, "--report-day", "2027-02-30"), 2);
	assert_int_equal(AUDIT_RUN(NULL, "--state", st, "--file", e, "--key", e), 2);
	assert_int_equal(AUDIT_RUN(&j, "--state", st, "--file", missing, "--checkpoint-key", f->vkey), 6);
	assert_false(audit_json_bool(j, "ok"));
	assert_int_equal(audit_json_u64(j, "exit"), 6);
	json_decref(j);
	assert_int_equal(AUDIT_RUN(&j, "--state", st, "--file", e, "--checkpoint-key", f->vkey, "--threads", "0"), 0);
	json_decref(j);
	assert_int_equal(AUDIT_RUN(NULL, "--help"), 0);
	/* The state directory is the auditor's alone. */
	{
		struct stat sb;
		assert_int_equal(stat(st, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0700);
		char state_file[200];
		snprintf(state_file, sizeof(state_file), "%s/state", st);
		assert_int_equal(stat(state_file, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	/* A damaged state file is a local failure, never a silent first run. */
	{
		char state_file[200];
		snprintf(state_file, sizeof(state_file), "%s/state", st);
		audit_file_write(state_file, (const uint8_t *)"manne-audit-state-v1\norigin x\n", 30);
	}
	assert_int_equal(AUDIT_RUN(NULL, "--state", st, "--file", e), 6);
}

/* libmanne's export reader on broken files. */
static void test_export_reader(void **state)
{
	struct fixture *f = *state;
	struct manne_export_reader *r;
	char e[160], bad[160];
	const uint8_t *leaf;
	size_t len, n, note_len;
	uint8_t *bytes, root[32], expected[32];

	export_now(f, "checkpoint", "e.bin", NULL);
	path_of(f, "e.bin", e);
	path_of(f, "bad.bin", bad);
	bytes = audit_file_read(e, &len);

	assert_int_equal(manne_export_open(e, &r), MANNE_OK);
	n = 0;
	while (manne_export_next(r, &leaf, &n) == MANNE_OK && leaf != NULL)
		;
	assert_int_equal(manne_export_leaf_count(r), f->h.ledger->state.tree_size);
	assert_non_null(manne_export_note(r, &note_len));
	assert_int_equal(manne_export_root(r, root), MANNE_OK);
	assert_int_equal(ledger_root(f->h.ledger, f->h.ledger->state.tree_size, expected), 0);
	assert_memory_equal(root, expected, 32);
	manne_export_close(r);

	/* Not an export; a leaf longer than 65,535 bytes; a file ending inside a leaf. */
	audit_file_write(bad, (const uint8_t *)"MANNE-EXPORT-V2\n", 16);
	assert_int_equal(manne_export_open(bad, &r), MANNE_ERR_MALFORMED);
	manne_export_close(r);
	bytes[16] = 0x01;  /* the first length becomes 16 MiB and more */
	audit_file_write(bad, bytes, len);
	assert_int_equal(manne_export_open(bad, &r), MANNE_OK);
	assert_int_equal(manne_export_next(r, &leaf, &n), MANNE_ERR_MALFORMED);
	assert_non_null(strstr(manne_export_message(r), "65,535"));
	assert_int_equal(manne_export_next(r, &leaf, &n), MANNE_ERR_ARGUMENT);  /* nothing more after an error */
	manne_export_close(r);
	bytes[16] = 0x00;
	audit_file_write(bad, bytes, 30);
	assert_int_equal(manne_export_open(bad, &r), MANNE_OK);
	assert_int_equal(manne_export_next(r, &leaf, &n), MANNE_ERR_MALFORMED);
	manne_export_close(r);
	assert_int_equal(manne_export_open("/nonexistent/e.bin", &r), MANNE_ERR_IO);
	manne_export_close(r);

	/* The writer refuses leaves out of order and a root that is not theirs. */
	{
		struct manne_export_writer *w;
		uint8_t leaf0[20] = {0};
		unlink(bad);
		assert_int_equal(manne_export_create(bad, &w), MANNE_OK);
		assert_int_equal(manne_export_create(bad, &(struct manne_export_writer *){NULL}), MANNE_ERR_IO);
		leaf0[7] = 1;  /* index 1 first */
		assert_int_equal(manne_export_add(w, leaf0, sizeof(leaf0)), MANNE_ERR_MALFORMED);
		leaf0[7] = 0;
		assert_int_equal(manne_export_add(w, leaf0, sizeof(leaf0)), MANNE_OK);
		assert_int_equal(manne_export_finish(w, "x\n", 2, expected), MANNE_ERR_VERIFY);
		assert_int_equal(access(bad, F_OK), -1);  /* removed */
	}
	free(bytes);
}

static char *hex(const uint8_t *key)
{
	static char out[65];
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", key[i]);
	return out;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_full_and_incremental, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regulatory_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_treasurer_books, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collected_and_key_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_reader, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
