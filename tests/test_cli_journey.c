/*
 * test_cli_journey.c: a month of the board's and the treasurer's work with
 * the real `manne` against the real daemon, once under LANG=C and once under
 * LANG=fr_FR.UTF-8 (docs/board-guide.md tells the same story): the ledger's
 * address set once in the client configuration, reached by name
 * (localhost) and over IPv6 (::1, the daemon listening there only); fund,
 * issue, a payment and a payment over the daily maximum (the refusal names
 * the maximum and what is left), a reconversion with its fee, the pending
 * list with the euros to wire, the settlement's show/sign/tx/history with
 * the same figures, the running balance, prove --txid, and each exit code of
 * docs/cli.md. JSON is checked to be the same under both locales.
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

#include <jansson.h>

#include "cli_util.h"
#include "daemon.h"

/* What people read, in each language (po/fr.po). */
struct words {
	const char *lang;
	const char *limit_refusal;    /* the daily maximum and what is left today */
	const char *to_wire;          /* a redemption's euros to wire */
	const char *total_to_wire;
	const char *balance_after;    /* the running balance after the payment */
	const char *funded;           /* euros in the locale's way, with thousands */
	const char *zone;             /* December: the ledger's standard time */
	const char *audit_totals;     /* manne-audit's heading of the totals */
	const char *backing_refusal;  /* an issue the fund would not cover: the margin left */
	const char *close_refusal;    /* closing an account that still holds credits */
};

static const struct words english = {
	.lang = "C",
	.limit_refusal = "per day 40.00 Manne, of which 27.50 Manne left today",
	.to_wire = "euros to wire: 9.90 EUR",
	.total_to_wire = "total euros to wire: 9.90 EUR",
	.balance_after = "balance after: 47.50 Manne",
	.funded = "1234.50 EUR",
	.zone = "(UTC+01:00)",
	.audit_totals = "Totals",
	.backing_refusal = "reserve 1234.50 EUR, in circulation 60.00 Manne, margin 1174.50 EUR",
	.close_refusal = "the account still holds 47.50 Manne",
};

static const struct words french = {
	.lang = "fr_FR.UTF-8",
	.limit_refusal = "plafond du jour : 40,00 Manne ; reste 27,50 Manne aujourd'hui",
	.to_wire = "euros à virer : 9,90 EUR",
	.total_to_wire = "total à virer : 9,90 EUR",
	.balance_after = "solde après : 47,50 Manne",
	.funded = "1\u202f234,50 EUR",
	.zone = "(UTC+01:00)",
	.audit_totals = "Totaux",
	.backing_refusal = "réserve 1\u202f234,50 EUR, en circulation 60,00 Manne, marge 1\u202f174,50 EUR",
	.close_refusal = "le compte détient encore 47,50 Manne",
};

static struct daemon d, v6;  /* v6: a ledger listening on ::1 only */
static char b0[192], b1[192], ck[192];

static void expect_out(const char *needle)
{
	if (strstr(out_buf, needle) == NULL)
		fail_msg("\"%s\" not in stdout:\n%s\nstderr: %s", needle, out_buf, err_buf);
}

static void expect_err(const char *needle)
{
	if (strstr(err_buf, needle) == NULL)
		fail_msg("\"%s\" not in stderr:\n%s", needle, err_buf);
}

static json_t *entry(json_t *j, size_t i)
{
	return json_array_get(json_object_get(j, "entries"), i);
}

static json_int_t member_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("no integer %s in %s", key, out_buf);
	return json_integer_value(v);
}

static const char *member_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("no string %s in %s", key, out_buf);
	return json_string_value(v);
}

/* The client configuration: the ledger by name; no --port below. */
static void write_config(void)
{
	char conf[192], text[256];

	path_of(conf, sizeof(conf), "client.conf");
	snprintf(text, sizeof(text), "# the ecopole's ledger\nhost = localhost\nport = %u\n", d.port);
	write_file(conf, text);
	setenv("MANNE_CONFIG", conf, 1);
	unsetenv("MANNE_LEDGER");
	unsetenv("MANNE_KEY");
	unsetenv("MANNE_TLS_PIN");
}

static void journey(const struct words *w)
{
	char member[192], shop[192], act[192], member_pub[65], shop_pub[65], pay_txid[65], pay_hash[65];
	char redeem[65], settle[65], port_text[16];
	json_t *j;

	cli_lang = w->lang;
	daemon_start(&d, NULL);
	snprintf(dir, sizeof(dir), "%s/cli", d.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(b0, sizeof(b0), "%s/keys/board0.key", d.dir);
	snprintf(b1, sizeof(b1), "%s/keys/board1.key", d.dir);
	snprintf(ck, sizeof(ck), "%s/keys/checkpoint.key", d.dir);
	snprintf(port_text, sizeof(port_text), "%u", d.port);
	write_config();

	/* The ledger by name (the configuration's localhost); a ledger on IPv6
	 * only is reached at ::1, and refuses 127.0.0.1 at once (exit 3). */
	EXPECT_EXIT(0, "status");
	{
		char v6_port[16];
		daemon_start(&v6, (const char *const[]){"--listen", "[::1]:0", NULL});
		snprintf(v6_port, sizeof(v6_port), "%u", v6.port);
		EXPECT_EXIT(0, "status", "--host", "::1", "--port", v6_port, "--json");
		EXPECT_EXIT(0, "status", "--host", "[::1]", "--port", v6_port);
		EXPECT_EXIT(3, "status", "--host", "127.0.0.1", "--port", v6_port, "--json");
		j = json_out();
		assert_string_equal(jstr(j, "status"), "connect");
		assert_non_null(strstr(jstr(j, "message"), "refused"));
		json_decref(j);
		daemon_finish(&v6);
		daemon_cleanup(&v6);
	}

	/* Accounts: a member with a daily maximum, a shop with its name as reference. */
	keygen("member.key", member, sizeof(member), member_pub);
	keygen("shop.key", shop, sizeof(shop), shop_pub);
	EXPECT_EXIT(0, "open-account", "--key", b0, "--key", b1, "--new-key", member, "--role", "member", "--max-daily",
		    "40");
	EXPECT_EXIT(0, "open-account", "--key", b0, "--key", b1, "--new-key", shop, "--role", "shop", "--reference",
		    "Boulangerie Dupont");
	EXPECT_EXIT(0, "fund", "--key", b0, "--key", b1, "--amount", "1234,50", "--bank-reference", "VIR-2026-12-01");
	EXPECT_EXIT(0, "checkpoint");
	expect_out(w->funded);
	EXPECT_EXIT(0, "issue", "--key", b0, "--key", b1, "--to", member_pub, "--amount", "60", "--reason",
		    "participation", "--programme", "chantier-2026-12");
	EXPECT_EXIT(0, "set-ledger", "--key", b0, "--key", b1, "--fee-bp", "100");
	/* More credits than the fund covers: refused with the margin that is left. */
	EXPECT_EXIT(1, "issue", "--key", b0, "--key", b1, "--to", member_pub, "--amount", "2000", "--reason", "grant",
		    "--programme", "trop");
	expect_err(w->backing_refusal);
	EXPECT_EXIT(1, "issue", "--key", b0, "--key", b1, "--to", member_pub, "--amount", "2000", "--reason", "grant",
		    "--programme", "trop", "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "backing_exceeded");
	assert_int_equal(jint(j, "margin"), 123450 - 6000);
	json_decref(j);

	/* A payment, then one over what is left of the daily maximum. */
	EXPECT_EXIT(0, "pay", "--key", member, "--to", shop_pub, "--amount", "12,50", "--json");
	j = json_out();
	strcpy(pay_txid, jstr(j, "txid"));
	strcpy(pay_hash, jstr(j, "leaf_hash"));
	json_decref(j);
	EXPECT_EXIT(1, "pay", "--key", member, "--to", shop_pub, "--amount", "30");
	expect_err(w->limit_refusal);
	EXPECT_EXIT(1, "pay", "--key", member, "--to", shop_pub, "--amount", "30", "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "limit_exceeded");
	assert_int_equal(jint(j, "remaining_today"), 2750);
	assert_non_null(strstr(jstr(j, "message"), english.limit_refusal)); /* JSON: the same in every locale */
	json_decref(j);

	/* An account that still holds credits is not closed, and the refusal says what it holds. */
	EXPECT_EXIT(1, "set-account", "--key", b0, "--key", b1, "--account", member_pub, "--action", "close");
	expect_err(w->close_refusal);

	/* The member's history: signed amounts and the running balance. */
	EXPECT_EXIT(0, "history", "--key", member, "--json");
	j = json_out();
	assert_int_equal(jint(j, "balance"), 4750);
	assert_string_equal(member_str(entry(j, 0), "direction"), "out");
	assert_int_equal(member_int(entry(j, 0), "balance_after"), 4750);
	assert_string_equal(member_str(entry(j, 1), "kind"), "issue");
	assert_int_equal(member_int(entry(j, 1), "balance_after"), 6000);
	assert_string_equal(member_str(entry(j, 2), "kind"), "open_account");
	assert_int_equal(member_int(entry(j, 2), "balance_after"), 0);
	json_decref(j);
	EXPECT_EXIT(0, "history", "--key", member);
	expect_out(w->balance_after);
	expect_out(w->zone);
	/* An older page walks down from the latest for its balance. */
	EXPECT_EXIT(0, "history", "--key", member, "--limit", "1", "--json");
	j = json_out();
	char before[24];
	snprintf(before, sizeof(before), "%lld", (long long)jint(j, "next_index"));
	json_decref(j);
	EXPECT_EXIT(0, "history", "--key", member, "--limit", "1", "--before", before, "--json");
	j = json_out();
	assert_string_equal(member_str(entry(j, 0), "kind"), "issue");
	assert_int_equal(member_int(entry(j, 0), "balance_after"), 6000);
	json_decref(j);

	/* tx from the payee's side shows the leaf hash; prove --txid proves it. */
	EXPECT_EXIT(0, "tx", pay_txid, "--key", shop, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "leaf_hash"), pay_hash);
	assert_string_equal(jstr(j, "direction"), "in");
	json_decref(j);
	EXPECT_EXIT(0, "prove", "--txid", pay_txid, "--key", member, "--checkpoint-key", ck, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "proved"), "inclusion");
	assert_string_equal(jstr(j, "leaf_hash"), pay_hash);
	assert_false(jbool(j, "txid_bound"));  /* a member has the leaf hash on the ledger's word */
	json_decref(j);
	EXPECT_EXIT(0, "prove", "--txid", pay_txid, "--key", b0, "--checkpoint-key", ck, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "leaf_hash"), pay_hash);
	assert_true(jbool(j, "txid_bound"));   /* the board reads the leaf: its body hashes to the txid */
	json_decref(j);
	EXPECT_EXIT(2, "prove", "--txid", pay_txid, "--index", "1", "--key", member);

	/* The shop asks for 10.00 in euros: the fee (1 %) is fixed now. */
	EXPECT_EXIT(0, "redeem", "--key", shop, "--amount", "10", "--json");
	j = json_out();
	strcpy(redeem, jstr(j, "txid"));
	assert_int_equal(jint(j, "fee"), 10);      /* the receipt says what will be wired */
	assert_int_equal(jint(j, "to_wire"), 990);
	json_decref(j);
	EXPECT_EXIT(0, "redemptions", "--pending", "--key", b0);
	expect_out(w->to_wire);
	expect_out(w->total_to_wire);
	expect_out("Boulangerie Dupont");
	EXPECT_EXIT(0, "redemptions", "--pending", "--key", b0, "--json");
	j = json_out();
	assert_int_equal(jint(j, "count"), 1);
	assert_int_equal(jint(j, "total_amount"), 1000);
	assert_int_equal(jint(j, "total_fee"), 10);
	assert_int_equal(jint(j, "total_to_wire"), 990);
	json_t *r = json_array_get(json_object_get(j, "redemptions"), 0);
	assert_string_equal(member_str(r, "txid"), redeem);
	assert_string_equal(member_str(r, "partner"), shop_pub);
	assert_string_equal(member_str(r, "partner_reference"), "Boulangerie Dupont");
	assert_string_equal(member_str(r, "state"), "pending");
	json_decref(j);
	EXPECT_EXIT(1, "redemptions", "--key", shop, "--json"); /* the board's and auditors' list only */
	j = json_out();
	assert_string_equal(jstr(j, "status"), "not_permitted");
	json_decref(j);

	/* The settlement, prepared, shown and signed with the figures to wire. */
	EXPECT_EXIT(2, "settle", "--redeem", redeem, "--outcome", "paid", "--key", b0, "--key", b1);
	expect_err("--bank-reference");  /* paid means a transfer was made: its reference is asked for */
	path_of(act, sizeof(act), "settle.act");
	EXPECT_EXIT(0, "settle", "--redeem", redeem, "--outcome", "paid", "--bank-reference", "VIR-OUT-12",
		    "--out", act);
	EXPECT_EXIT(0, "show", act, "--key", b0);
	expect_out(w->to_wire);
	expect_out("[paid]");  /* the outcome in words, and the word of the command line, which no translation changes */
	EXPECT_EXIT(0, "show", act, "--key", b0, "--json", "--checkpoint-key", ck);
	j = json_out();
	assert_true(jbool(j, "proved"));  /* the redeem's own leaf, under the pinned key */
	assert_true(jbool(j, "pinned"));
	assert_int_equal(jint(j, "to_wire"), 990);
	assert_int_equal(jint(j, "fee"), 10);
	assert_string_equal(jstr(j, "partner"), shop_pub);
	json_decref(j);
	EXPECT_EXIT(0, "show", act, "--json");  /* without a key the figures are not read: said so, JSON whole */
	j = json_out();
	assert_false(jbool(j, "redeem_known"));
	json_decref(j);
	EXPECT_EXIT(7, "sign", act, "--key", b0);  /* no terminal, no --yes: not signed */
	expect_err(w->to_wire);
	EXPECT_EXIT(0, "sign", act, "--key", b0, "--yes");
	EXPECT_EXIT(0, "sign", act, "--key", b1, "--yes");
	EXPECT_EXIT(0, "submit", act, "--json");
	j = json_out();
	strcpy(settle, jstr(j, "txid"));
	json_decref(j);
	EXPECT_EXIT(0, "tx", settle, "--key", b0, "--json");
	j = json_out();
	assert_int_equal(jint(j, "amount"), 1000);
	assert_int_equal(jint(j, "to_wire"), 990);
	assert_string_equal(jstr(j, "outcome"), "paid");
	assert_string_equal(jstr(j, "redeem_txid"), redeem);
	assert_string_equal(jstr(j, "reference"), "VIR-OUT-12");
	json_decref(j);
	EXPECT_EXIT(0, "history", "--key", shop, "--json");
	j = json_out();
	assert_string_equal(member_str(entry(j, 0), "kind"), "settle_redemption");
	assert_int_equal(member_int(entry(j, 0), "amount"), 1000);   /* not 0.00 */
	assert_int_equal(member_int(entry(j, 0), "to_wire"), 990);
	assert_int_equal(member_int(entry(j, 0), "balance_after"), 250); /* 12.50 in, 10.00 out to euros */
	assert_string_equal(member_str(entry(j, 1), "redemption_state"), "paid");
	assert_string_equal(member_str(entry(j, 0), "reference"), ""); /* the bank's reference: the board's only */
	json_decref(j);
	EXPECT_EXIT(0, "redemptions", "--pending", "--key", b0, "--json");
	j = json_out();
	assert_int_equal(jint(j, "count"), 0);
	json_decref(j);
	EXPECT_EXIT(0, "redemptions", "--key", b0, "--json");  /* all of them: the paid one too */
	j = json_out();
	assert_int_equal(jint(j, "count"), 1);
	assert_string_equal(member_str(json_array_get(json_object_get(j, "redemptions"), 0), "state"), "paid");
	json_decref(j);

	/* Month end: the export, and the auditor's report of it in the same language. */
	{
		char export[192], state[192], vkey[256];
		const char *manne = cli;
		EXPECT_EXIT(0, "checkpoint", "--json");
		j = json_out();
		snprintf(vkey, sizeof(vkey), "%s", jstr(j, "verifier_key"));
		json_decref(j);
		path_of(export, sizeof(export), "2026-12.export");
		path_of(state, sizeof(state), "audit-state");
		EXPECT_EXIT(0, "export", export, "--key", b0, "--checkpoint-key", vkey);
		cli = getenv("MANNE_AUDIT");
		assert_non_null(cli);
		EXPECT_EXIT(0, "--state", state, "--checkpoint-key", vkey, "--file", export);
		cli = manne;
		expect_out(w->audit_totals);
		expect_out(w->funded);  /* the fund's euros, as euros */
	}

	/* Each exit code of docs/cli.md. */
	EXPECT_EXIT(2, "pay", "--key", member, "--to", shop_pub, "--amount", "1.234");
	{ /* A mistyped setting is said with its file and line. */
		char bad[192], good[192];
		path_of(bad, sizeof(bad), "bad.conf");
		write_file(bad, "host = localhost\nport = sept mille\n");
		snprintf(good, sizeof(good), "%s", getenv("MANNE_CONFIG"));
		setenv("MANNE_CONFIG", bad, 1);
		EXPECT_EXIT(2, "status");
		expect_err("bad.conf:2");
		setenv("MANNE_CONFIG", good, 1);
	}
	EXPECT_EXIT(4, "balance", "--key", "/nonexistent/member.key");
	EXPECT_EXIT(5, "checkpoint", "--checkpoint-key", shop_pub);
	EXPECT_EXIT(6, "keygen", member);
	EXPECT_EXIT(6, "keygen", "/nonexistent-folder/alice.key", "--seal");  /* said before any passphrase is asked */
	expect_err("/nonexistent-folder");
	(void)port_text;

	daemon_finish(&d);
	daemon_cleanup(&d);
	cli_lang = NULL;
}

/* After a failed check: the daemon must not outlive the test. */
static int stop_daemon(void **state)
{
	(void)state;
	if (d.pid > 0)
		daemon_cleanup(&d);
	if (v6.pid > 0)
		daemon_cleanup(&v6);
	cli_lang = NULL;
	return 0;
}

static void test_journey_english(void **state)
{
	(void)state;
	journey(&english);
}

static void test_journey_french(void **state)
{
	(void)state;
	journey(&french);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_journey_english, stop_daemon),
		cmocka_unit_test_teardown(test_journey_french, stop_daemon),
	};
	cli = getenv("MANNE_CLI");
	if (cli == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
