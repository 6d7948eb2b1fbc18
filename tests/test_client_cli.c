/*
 * test_client_cli.c: the real `manne` binary against the real daemon, as the
 * board and a partner would use it: keys (0600, sealed), open / fund / issue
 * / pay / refund / redeem / settle, the board's prepare -> sign by two
 * members -> submit, balance and history, checkpoint, prove and export;
 * every --json output parsed; documented exit codes; --help everywhere;
 * `create` making a ledger that manne-ledger then serves.
 *
 * Each command runs in a new session without a terminal, so a prompt can
 * never wait for someone (`sign` without --yes is then declined).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli_util.h"
#include "daemon.h"

static struct daemon d;
static pid_t created_ledger;  /* the daemon test_cli_create starts; stopped in teardown if a check failed */
static char port[16];

static int setup(void **state)
{
	(void)state;
	cli = getenv("MANNE_CLI");
	assert_non_null(cli);
	daemon_start(&d, NULL);
	snprintf(port, sizeof(port), "%u", d.port);
	snprintf(dir, sizeof(dir), "%s/cli", d.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (created_ledger > 0) {
		kill(created_ledger, SIGTERM);
		waitpid(created_ledger, NULL, 0);
	}
	daemon_finish(&d);
	daemon_cleanup(&d);
	return 0;
}

/* A prepared fund_reserve whose body is valid for valid_ms from now (0: it
 * expired a minute ago), written as `prepare` would, replacing path. */
static void write_prepared_fund(const char *path, uint64_t valid_ms)
{
	Manne__TxBody body;
	Manne__FundReserve f = MANNE__FUND_RESERVE__INIT;
	uint8_t nonce[16], *bytes;
	char *hex;
	size_t len;
	FILE *out;

	daemon_body_board(&d, &body, nonce);
	body.last_valid_ms = valid_ms == 0 ? (uint64_t)time(NULL) * 1000 - 60000 : (uint64_t)time(NULL) * 1000 + valid_ms;
	f.amount = 100;
	f.bank_reference = (char *)"VIR-L";
	body.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
	body.fund_reserve = &f;
	len = manne__tx_body__get_packed_size(&body);
	bytes = malloc(len);
	hex = malloc(2 * len + 1);
	assert_non_null(bytes);
	assert_non_null(hex);
	assert_int_equal(manne__tx_body__pack(&body, bytes), len);
	sodium_bin2hex(hex, 2 * len + 1, bytes, len);
	out = fopen(path, "w");
	assert_non_null(out);
	fprintf(out, "manne-prepared-v1\nbody %s\n", hex);
	assert_int_equal(fclose(out), 0);
	free(hex);
	free(bytes);
}

/* The JSON in out_buf, written to `name`, passes the verifier script named
 * by the environment variable `script_env` (hashlib only); with the first
 * character of `field`'s value changed, it fails. */
static void third_party_check(const char *script_env, const char *name, const char *field)
{
	char path[192], cmd[512], needle[64];
	const char *script = getenv(script_env);
	char *p;

	assert_non_null(script);
	path_of(path, sizeof(path), name);
	write_file(path, out_buf);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s' >/dev/null", script, path);
	assert_int_equal(system(cmd), 0);
	snprintf(needle, sizeof(needle), "\"%s\":\"", field);
	p = strstr(out_buf, needle);
	assert_non_null(p);
	p += strlen(needle);
	*p = *p == 'A' ? 'B' : 'A';
	write_file(path, out_buf);
	assert_int_not_equal(system(cmd), 0);
}

static void test_cli_round(void **state)
{
	char member[192], shop[192], pp[192], bad_pp[192], sealed[192], act[192], export[192], note[192];
	char member_pub[65], shop_pub[65], sealed_pub[65], txid[65], leaf_hash[65], redeem[65], ck_pub[65];
	char b0[192], b1[192], b2[192], ck[192], index[24];
	json_t *j, *entries;
	FILE *f;
	(void)state;

	snprintf(b0, sizeof(b0), "%s/keys/board0.key", d.dir);
	snprintf(b1, sizeof(b1), "%s/keys/board1.key", d.dir);
	snprintf(b2, sizeof(b2), "%s/keys/board2.key", d.dir);
	snprintf(ck, sizeof(ck), "%s/keys/checkpoint.key", d.dir);

	/* Keys: plain, sealed; wrong passphrase and open modes refused with exit 4. */
	keygen("member.key", member, sizeof(member), member_pub);
	keygen("shop.key", shop, sizeof(shop), shop_pub);
	path_of(pp, sizeof(pp), "passphrase");
	path_of(bad_pp, sizeof(bad_pp), "bad-passphrase");
	f = fopen(pp, "w");
	fputs("quatre mots bien choisis\n", f);
	fclose(f);
	f = fopen(bad_pp, "w");
	fputs("pas le bon\n", f);
	fclose(f);
	path_of(sealed, sizeof(sealed), "board-laptop.key");
	EXPECT_EXIT(0, "keygen", sealed, "--seal", "--passphrase-file", pp, "--json");
	j = json_out();
	assert_true(jbool(j, "sealed"));
	strcpy(sealed_pub, jstr(j, "public_key"));
	json_decref(j);
	EXPECT_EXIT(0, "pubkey", sealed, "--passphrase-file", pp, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "public_key"), sealed_pub);
	json_decref(j);
	EXPECT_EXIT(4, "pubkey", sealed, "--passphrase-file", bad_pp, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "passphrase");
	assert_int_equal(jint(j, "exit"), 4);
	json_decref(j);
	EXPECT_EXIT(4, "pubkey", sealed);  /* sealed, no passphrase, no terminal */
	EXPECT_EXIT(6, "keygen", member);  /* never overwritten */
	EXPECT_EXIT(0, "pubkey", ck, "--json");
	j = json_out();
	strcpy(ck_pub, jstr(j, "public_key"));
	json_decref(j);

	/* The board opens accounts at once (two members present, the new keys co-sign). */
	EXPECT_EXIT(0, "open-account", "--port", port, "--key", b0, "--key", b1, "--new-key", member, "--role", "member",
		    "--max-daily", "40", "--json");
	j = json_out();
	assert_true(jbool(j, "ok"));
	assert_string_equal(jstr(j, "kind"), "open_account");
	assert_false(jbool(j, "duplicate"));
	json_decref(j);
	EXPECT_EXIT(0, "open-account", "--port", port, "--key", b0, "--key", b1, "--new-key", shop, "--role", "shop");
	assert_non_null(strstr(out_buf, "open_account: applied"));
	EXPECT_EXIT(0, "fund", "--port", port, "--key", b1, "--key", b2, "--amount", "500", "--bank-reference", "VIR-42");

	/* prepare -> sign by two board members (on their own machines) -> submit. */
	path_of(act, sizeof(act), "issue.act");
	EXPECT_EXIT(0, "prepare", "issue", "--port", port, "--to", member_pub, "--amount", "60", "--reason", "participation",
		    "--programme", "chantier-2026-11", "--out", act, "--signatures-needed", "2", "--json");
	j = json_out();
	assert_non_null(strstr(jstr(j, "description"), "amount issued: 60.00 Manne (6000 centimes)"));
	assert_non_null(strstr(jstr(j, "description"), "participation"));
	json_decref(j);
	EXPECT_EXIT(7, "sign", act, "--key", b0);   /* no terminal to confirm on: declined */
	assert_non_null(strstr(err_buf, "amount issued: 60.00 Manne"));  /* every field shown first */
	EXPECT_EXIT(0, "sign", act, "--key", b0, "--yes", "--json");
	j = json_out();
	assert_int_equal(json_array_size(json_object_get(j, "signatures")), 1);
	json_decref(j);
	EXPECT_EXIT(2, "sign", act, "--key", b0, "--yes");  /* the same member twice */
	EXPECT_EXIT(1, "submit", act, "--port", port, "--json");  /* 1 of 2: refused before sending */
	j = json_out();
	assert_string_equal(jstr(j, "status"), "not_enough_signatures");
	json_decref(j);
	EXPECT_EXIT(0, "sign", act, "--key", b2, "--yes");
	EXPECT_EXIT(0, "show", act, "--json");
	j = json_out();
	assert_int_equal(json_array_size(json_object_get(j, "signatures")), 2);
	json_decref(j);
	EXPECT_EXIT(0, "submit", act, "--port", port, "--json", "--checkpoint-key", ck_pub);
	j = json_out();
	assert_string_equal(jstr(j, "kind"), "issue");
	assert_false(jbool(j, "duplicate"));
	json_decref(j);

	/* Submitted twice: the original receipt, still exit 0. */
	EXPECT_EXIT(0, "submit", act, "--port", port, "--json");
	j = json_out();
	assert_true(jbool(j, "duplicate"));
	json_decref(j);
	{
		char far[192];
		path_of(far, sizeof(far), "valid.act");
		/* sign refuses what prepare refuses: a body valid 40 days ahead, or expired. */
		EXPECT_EXIT(2, "prepare", "fund", "--port", port, "--amount", "1", "--bank-reference", "VIR-L", "--valid-days", "40",
			    "--out", far);
		write_prepared_fund(far, 40ULL * 24 * 3600 * 1000);
		EXPECT_EXIT(2, "sign", far, "--key", b0, "--yes", "--json");
		j = json_out();
		assert_non_null(strstr(jstr(j, "message"), "more than 31 days"));
		json_decref(j);
		write_prepared_fund(far, 0);
		EXPECT_EXIT(2, "sign", far, "--key", b0, "--yes");
		assert_non_null(strstr(err_buf, "expired"));
		write_prepared_fund(far, 30ULL * 24 * 3600 * 1000);
		EXPECT_EXIT(0, "sign", far, "--key", b0, "--yes");
	}
	/* A body changed after signing is refused whole. */
	{
		char text[8192], *body;
		read_file(act, text, sizeof(text));
		body = strstr(text, "body ") + 5 + 40;
		*body = *body == '0' ? '1' : '0';
		f = fopen(act, "w");
		fputs(text, f);
		fclose(f);
		EXPECT_EXIT(5, "submit", act, "--port", port);
		EXPECT_EXIT(5, "sign", act, "--key", b1, "--yes");
	}

	/* The member pays the shop; the receipt's proof checks against the pinned key. */
	EXPECT_EXIT(0, "pay", "--port", port, "--key", member, "--to", shop_pub, "--amount", "12.50", "--memo",
		    "panier de legumes", "--reference", "CMD-7", "--json", "--checkpoint-key", ck_pub);
	j = json_out();
	assert_string_equal(jstr(j, "kind"), "pay");
	assert_string_equal(jstr(j, "proof"), "verified against the pinned checkpoint key");
	strcpy(txid, jstr(j, "txid"));
	strcpy(leaf_hash, jstr(j, "leaf_hash"));
	snprintf(index, sizeof(index), "%lld", (long long)jint(j, "leaf_index"));
	json_decref(j);
	EXPECT_EXIT(1, "pay", "--port", port, "--key", member, "--to", shop_pub, "--amount", "30", "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "limit_exceeded");
	assert_int_equal(jint(j, "code"), 16);
	json_decref(j);
	EXPECT_EXIT(2, "pay", "--port", port, "--key", member, "--to", shop_pub, "--amount", "1.234");
	EXPECT_EXIT(0, "refund", "--port", port, "--key", shop, "--payment", txid, "--amount", "2.50", "--memo", "abime");
	EXPECT_EXIT(0, "redeem", "--port", port, "--key", shop, "--amount", "5", "--json");
	j = json_out();
	strcpy(redeem, jstr(j, "txid"));
	json_decref(j);
	EXPECT_EXIT(0, "settle", "--port", port, "--key", b0, "--key", b1, "--redeem", redeem, "--outcome", "paid",
		    "--bank-reference", "VIR-OUT-3");

	/* balance and history for people and for scripts. */
	EXPECT_EXIT(0, "balance", "--port", port, "--key", member);
	assert_non_null(strstr(out_buf, "balance: 50.00 Manne"));
	EXPECT_EXIT(0, "balance", "--port", port, "--key", member, "--json");
	j = json_out();
	assert_int_equal(jint(j, "balance"), 6000 - 1250 + 250);
	assert_string_equal(jstr(j, "role"), "member");
	assert_int_equal(jint(j, "next_sequence"), 2);
	json_decref(j);
	EXPECT_EXIT(1, "balance", "--port", port, "--key", member, "--account", shop_pub, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "not_permitted");
	json_decref(j);
	EXPECT_EXIT(0, "history", "--port", port, "--key", shop, "--json");
	j = json_out();
	entries = json_object_get(j, "entries");
	size_t n = json_array_size(entries);
	assert_true(n >= 4); /* newest first: the opening last, the payment just after it */
	assert_int_equal(jint(j, "next_index"), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(entries, n - 1), "kind")), "open_account");
	assert_string_equal(json_string_value(json_object_get(json_array_get(entries, n - 2), "kind")), "pay");
	assert_string_equal(json_string_value(json_object_get(json_array_get(entries, n - 2), "payee_reference")),
			    "CMD-7");
	{ /* --before the second newest: the page below it; a leaf not in the history: not_found. */
		char before[24], third[24];
		snprintf(before, sizeof(before), "%lld",
			 (long long)json_integer_value(json_object_get(json_array_get(entries, 1), "leaf_index")));
		snprintf(third, sizeof(third), "%lld",
			 (long long)json_integer_value(json_object_get(json_array_get(entries, 2), "leaf_index")));
		json_decref(j);
		EXPECT_EXIT(0, "history", "--port", port, "--key", shop, "--json", "--before", before);
		j = json_out();
		entries = json_object_get(j, "entries");
		assert_int_equal(json_array_size(entries), n - 2);
		assert_int_equal(json_integer_value(json_object_get(json_array_get(entries, 0), "leaf_index")),
				 strtoll(third, NULL, 10));
		json_decref(j);
		EXPECT_EXIT(1, "history", "--port", port, "--key", shop, "--json", "--before", "1");
		j = json_out();
		assert_string_equal(jstr(j, "status"), "not_found");
		json_decref(j);
	}
	EXPECT_EXIT(0, "tx", txid, "--port", port, "--key", member, "--json");
	j = json_out();
	assert_int_equal(jint(j, "amount"), 1250);
	json_decref(j);
	EXPECT_EXIT(0, "payment", "--port", port, "--key", shop, "--reference", "CMD-7", "--json");
	j = json_out();
	assert_string_equal(jstr(j, "txid"), txid);
	json_decref(j);

	/* A receipt's proof saved for a verifier that is not ours. */
	{
		char saved[192], cmd[512];
		path_of(saved, sizeof(saved), "receipt-proof.json");
		EXPECT_EXIT(2, "pay", "--port", port, "--key", member, "--to", shop_pub, "--amount", "0.10", "--save-proof",
			    saved); /* no key to verify it: refused before paying */
		EXPECT_EXIT(0, "pay", "--port", port, "--key", member, "--to", shop_pub, "--amount", "0.10", "--save-proof",
			    saved, "--checkpoint-key", ck_pub);
		assert_non_null(getenv("MANNE_VERIFY_INCLUSION"));
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s' >/dev/null", getenv("MANNE_VERIFY_INCLUSION"), saved);
		assert_int_equal(system(cmd), 0);
		EXPECT_EXIT(6, "pay", "--port", port, "--key", member, "--to", shop_pub, "--amount", "0.10", "--save-proof",
			    saved, "--checkpoint-key", ck_pub); /* never over a file (the payment itself went through) */
	}
	/* Checkpoint, inclusion and consistency proofs; a flipped hash is exit 5. */
	path_of(note, sizeof(note), "old.note");
	EXPECT_EXIT(0, "checkpoint", "--port", port, "--checkpoint-key", ck_pub, "--save", note, "--json");
	j = json_out();
	assert_true(jbool(j, "pinned"));
	assert_int_equal(jint(j, "issued"), 6000);
	assert_int_equal(jint(j, "reconverted"), 500);
	json_decref(j);
	EXPECT_EXIT(0, "prove", "--port", port, "--index", index, "--leaf-hash", leaf_hash, "--checkpoint-key", ck_pub);
	/* The proof in the open, checked by a verifier that is not ours
	 * (docs/examples/verify_inclusion.py: hashlib and RFC 9162 only). */
	EXPECT_EXIT(0, "prove", "--port", port, "--index", index, "--print-proof", "--checkpoint-key", ck_pub, "--json");
	j = json_out();
	assert_int_equal(json_object_size(j), 5); /* exactly index, tree_size, root, leaf_hash, proof */
	assert_int_equal((uint64_t)jint(j, "index"), strtoull(index, NULL, 10));
	size_t proof_hashes = json_array_size(json_object_get(j, "proof"));
	json_decref(j);
	third_party_check("MANNE_VERIFY_INCLUSION", "proof.json", "leaf_hash");
	/* A consistency proof between two sizes, checked the same way. */
	EXPECT_EXIT(0, "prove", "--port", port, "--old-size", "3", "--new-size", "7", "--print-proof", "--checkpoint-key",
		    ck_pub, "--json");
	j = json_out();
	assert_int_equal(json_object_size(j), 5); /* exactly old_size, new_size, old_root, new_root, proof */
	assert_int_equal(jint(j, "old_size"), 3);
	assert_int_equal(jint(j, "new_size"), 7);
	json_decref(j);
	third_party_check("MANNE_VERIFY_CONSISTENCY", "consistency.json", "old_root");
	EXPECT_EXIT(0, "prove", "--port", port, "--old-size", "1", "--print-proof", "--checkpoint-key", ck_pub);
	EXPECT_EXIT(2, "prove", "--port", port, "--old-size", "7", "--new-size", "3", "--print-proof", "--checkpoint-key",
		    ck_pub);
	EXPECT_EXIT(2, "prove", "--port", port, "--old-size", "3", "--checkpoint-key", ck_pub);
	EXPECT_EXIT(0, "prove", "--port", port, "--index", index, "--print-proof", "--checkpoint-key", ck_pub);
	{ /* for people: the tree size, root, leaf hash, then each proof hash, one a line */
		size_t lines = 0;
		for (const char *p = out_buf; *p != '\0'; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 3 + proof_hashes);
		assert_true(out_buf[0] >= '1' && out_buf[0] <= '9');
	}
	leaf_hash[10] = leaf_hash[10] == 'a' ? 'b' : 'a';
	EXPECT_EXIT(5, "prove", "--port", port, "--index", index, "--leaf-hash", leaf_hash, "--checkpoint-key", ck_pub);
	EXPECT_EXIT(5, "prove", "--port", port, "--index", index, "--leaf-hash", leaf_hash, "--print-proof",
		    "--checkpoint-key", ck_pub);
	EXPECT_EXIT(0, "fund", "--port", port, "--key", b0, "--key", b1, "--amount", "1", "--bank-reference", "VIR-43");
	EXPECT_EXIT(0, "prove", "--port", port, "--old-checkpoint", note, "--checkpoint-key", ck_pub, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "proved"), "consistency");
	assert_true(jint(j, "tree_size") > jint(j, "old_tree_size"));
	json_decref(j);
	{
		char wrong[65];
		strcpy(wrong, ck_pub);
		wrong[0] = wrong[0] == '0' ? '1' : '0';
		EXPECT_EXIT(5, "checkpoint", "--port", port, "--checkpoint-key", wrong);
	}

	/* Export: the board may, a member may not. */
	path_of(export, sizeof(export), "log.export");
	EXPECT_EXIT(1, "export", export, "--port", port, "--key", member);
	EXPECT_EXIT(0, "export", export, "--port", port, "--key", b0, "--checkpoint-key", ck_pub, "--json");
	j = json_out();
	assert_true(jint(j, "leaves") >= 10);
	json_decref(j);

	/* The ledger pinned by its id (manne status prints it): another is refused. */
	{
		char id[256];
		EXPECT_EXIT(0, "status", "--port", port, "--json");
		j = json_out();
		snprintf(id, sizeof(id), "%s", jstr(j, "ledger_id"));
		json_decref(j);
		assert_true(strncmp(id, "manne.demo/v1+", 14) == 0);
		EXPECT_EXIT(0, "status", "--port", port, "--ledger", id);
		id[strlen(id) - 1] = id[strlen(id) - 1] == '0' ? '1' : '0';
		EXPECT_EXIT(1, "balance", "--port", port, "--key", member, "--ledger", id, "--json");
		j = json_out();
		assert_string_equal(jstr(j, "status"), "wrong_ledger");
		json_decref(j);
		EXPECT_EXIT(2, "status", "--port", port, "--ledger", "manne.demo/v1");
	}

	/* Exit codes: usage, unreachable, key file mode. */
	EXPECT_EXIT(2, "pay", "--bogus");
	EXPECT_EXIT(2, "frobnicate");
	EXPECT_EXIT(3, "status", "--port", "1", "--timeout-ms", "200");
	assert_int_equal(chmod(member, 0644), 0);
	EXPECT_EXIT(4, "balance", "--port", port, "--key", member, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "key_file_mode");
	json_decref(j);
	assert_int_equal(chmod(member, 0600), 0);
}

/* Every kind not met above, each checked by its receipt or the ledger's refusal. */
static void test_cli_every_kind(void **state)
{
	char a[192], a_pub[65], s[192], s_pub[65], n[192], n_pub[65], c2[192], c2_pub[65], nb[192], nb_pub[65];
	char b0[192], b1[192], issue_txid[65], act[192], void_txid[65];
	json_t *j;
	(void)state;

	snprintf(b0, sizeof(b0), "%s/keys/board0.key", d.dir);
	snprintf(b1, sizeof(b1), "%s/keys/board1.key", d.dir);
	keygen("k-member.key", a, sizeof(a), a_pub);
	keygen("k-shop.key", s, sizeof(s), s_pub);
	keygen("k-new.key", n, sizeof(n), n_pub);
	keygen("k-checkpoint.key", c2, sizeof(c2), c2_pub);
	keygen("k-board.key", nb, sizeof(nb), nb_pub);
#define BOARD "--port", port, "--key", b0, "--key", b1, "--json"
	EXPECT_EXIT(0, "open-account", BOARD, "--new-key", a, "--role", "member", "--card", "--reference", "dossier-17");
	EXPECT_EXIT(0, "open-account", BOARD, "--new-key", s, "--role", "producer");
	EXPECT_EXIT(0, "fund", BOARD, "--amount", "100", "--bank-reference", "VIR-K");
	EXPECT_EXIT(0, "issue", BOARD, "--to", a, "--amount", "20", "--reason", "grant", "--programme", "p", "--reference",
		    "r");
	j = json_out();
	strcpy(issue_txid, jstr(j, "txid"));
	json_decref(j);
	EXPECT_EXIT(0, "reverse-issue", BOARD, "--issue", issue_txid, "--amount", "5", "--reason", "erreur");
	EXPECT_EXIT(0, "release", BOARD, "--amount", "1", "--reason", "surplus", "--bank-reference", "VIR-R");
	EXPECT_EXIT(2, "release", BOARD, "--amount", "1", "--reason", "lunch", "--bank-reference", "VIR-R");
	EXPECT_EXIT(0, "set-account", BOARD, "--account", a_pub, "--action", "limits", "--max-payment", "5");
	/* A card-held key never authenticates, so it cannot learn its own sequence. */
	EXPECT_EXIT(1, "freeze", "--port", port, "--key", a, "--account", a_pub, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "not_permitted");
	json_decref(j);
	EXPECT_EXIT(0, "freeze", "--port", port, "--key", s, "--account", s_pub, "--json");  /* by itself */
	EXPECT_EXIT(0, "set-account", BOARD, "--account", s_pub, "--action", "unfreeze");
	EXPECT_EXIT(0, "freeze", "--port", port, "--key", b0, "--account", a_pub, "--json");  /* by one board key */
	EXPECT_EXIT(1, "retire-dormant", BOARD, "--account", a_pub, "--reason", "dormant");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "not_dormant");
	json_decref(j);
	EXPECT_EXIT(0, "recover-account", BOARD, "--account", a_pub, "--new-key", n);
	EXPECT_EXIT(1, "balance", "--port", port, "--key", n, "--json");  /* a card-held key reads nothing */
	EXPECT_EXIT(0, "balance", "--port", port, "--key", b0, "--account", n_pub, "--json");
	j = json_out();
	assert_int_equal(jint(j, "balance"), 1500);
	assert_true(jbool(j, "card_held"));
	json_decref(j);
	EXPECT_EXIT(0, "balance", "--port", port, "--key", b0, "--account", a_pub, "--json");  /* the board reads all */
	j = json_out();
	assert_string_equal(jstr(j, "state"), "closed");
	assert_string_equal(jstr(j, "successor"), n_pub);
	json_decref(j);
	EXPECT_EXIT(0, "set-ledger", BOARD, "--fee-bp", "300");
	EXPECT_EXIT(2, "set-ledger", BOARD, "--fee-bp", "10001");
	/* void a prepared act, then its submission is refused as voided. */
	path_of(act, sizeof(act), "voided.act");
	EXPECT_EXIT(0, "prepare", "fund", "--port", port, "--amount", "3", "--bank-reference", "VIR-V", "--key", b0, "--key",
		    b1, "--out", act, "--json");
	j = json_out();
	strcpy(void_txid, jstr(j, "txid"));
	assert_int_equal(json_array_size(json_object_get(j, "signatures")), 2);
	json_decref(j);
	EXPECT_EXIT(0, "void", BOARD, "--txid", void_txid);
	EXPECT_EXIT(1, "submit", act, "--port", port, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "voided");
	json_decref(j);
	EXPECT_EXIT(0, "set-board", BOARD, "--board", b0, "--board", b1, "--board", nb_pub, "--threshold", "2", "--new-key",
		    nb);
	EXPECT_EXIT(0, "set-checkpoint-key", BOARD, "--new-key", c2);
#undef BOARD
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fchmod(fileno(f), 0600), 0);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void pause_after_wrong_pin(void)
{
	struct timespec ts = {.tv_sec = 1, .tv_nsec = 150000000L};
	nanosleep(&ts, NULL);
}

/* manne card new, pay, unlock, renew (SPEC §10), as the board and a till run them. */
static void test_cli_cards(void **state)
{
	char b0[192], b1[192], m[192], m_pub[65], s[192], s_pub[65], c[192], c_pub[65], assoc[192];
	char card[192], card2[192], png[192], pin[192], bad_pin[192], weak_pin[192], text[1024], cmd[600];
	json_t *j;
	(void)state;

	snprintf(b0, sizeof(b0), "%s/keys/board0.key", d.dir);
	snprintf(b1, sizeof(b1), "%s/keys/board1.key", d.dir);
	snprintf(assoc, sizeof(assoc), "%s/keys/association.key", d.dir);
	keygen("card-member.key", m, sizeof(m), m_pub);
	keygen("card-shop.key", s, sizeof(s), s_pub);
	keygen("card-counter.key", c, sizeof(c), c_pub);
	path_of(card, sizeof(card), "marie-card.txt");
	path_of(card2, sizeof(card2), "marie-card-2.txt");
	path_of(png, sizeof(png), "marie-card.png");
	path_of(pin, sizeof(pin), "pin");
	path_of(bad_pin, sizeof(bad_pin), "bad-pin");
	path_of(weak_pin, sizeof(weak_pin), "weak-pin");
	write_text(pin, "2580\n");
	write_text(bad_pin, "0852\n");
	write_text(weak_pin, "1234\n");
#define BOARD "--port", port, "--key", b0, "--key", b1, "--json"
#define LIGHT "--argon-passes", "1", "--argon-memory-kib", "8"
	EXPECT_EXIT(0, "open-account", BOARD, "--new-key", s, "--role", "shop");
	EXPECT_EXIT(0, "open-account", BOARD, "--new-key", c, "--role", "counter");
	EXPECT_EXIT(0, "fund", BOARD, "--amount", "100", "--bank-reference", "VIR-C");

	/* A trivial PIN is refused before anything is registered. */
	EXPECT_EXIT(2, "card", "new", BOARD, "--account", m, "--out", card, "--pin-file", weak_pin, LIGHT);
	j = json_out();
	assert_string_equal(jstr(j, "status"), "pin_format");
	json_decref(j);
	assert_int_equal(access(card, F_OK), -1);
	EXPECT_EXIT(2, "card", "new", BOARD, "--account", m_pub, "--out", card, "--pin-file", pin, LIGHT);

	EXPECT_EXIT(0, "card", "new", BOARD, "--account", m, "--out", card, "--png", png, "--pin-file", pin, LIGHT);
	j = json_out();
	assert_string_equal(jstr(j, "account"), m_pub);
	assert_string_equal(jstr(j, "kind"), "set_card");
	char short_id[10];
	snprintf(short_id, sizeof(short_id), "%.4s %.4s", m_pub, m_pub + 4);
	for (char *p = short_id; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_string_equal(jstr(j, "short_id"), short_id);
	json_decref(j);
	read_file(card, text, sizeof(text));
	assert_int_equal(strncmp(text, "MANNE:C1:", 9), 0);
	assert_int_equal(strlen(text), 204 + 1);
	/* The printed QR code reads back as the card. */
	snprintf(cmd, sizeof(cmd), "zbarimg --quiet --raw '%s' 2>/dev/null", png);
	FILE *z = popen(cmd, "r");
	char scanned[1024] = "";
	assert_non_null(z);
	size_t got = fread(scanned, 1, sizeof(scanned) - 1, z);
	scanned[got] = '\0';
	assert_int_equal(pclose(z), 0);
	assert_string_equal(scanned, text);
	/* A card account keeps a daily maximum (30.00 by default). */
	EXPECT_EXIT(0, "balance", "--port", port, "--key", b0, "--account", m_pub, "--json");
	j = json_out();
	assert_true(jbool(j, "card_held"));
	assert_int_equal(jint(j, "max_daily"), 3000);
	json_decref(j);
	EXPECT_EXIT(0, "issue", BOARD, "--to", m_pub, "--amount", "40", "--reason", "allowance", "--programme", "p");

	/* The till's side. */
	EXPECT_EXIT(0, "card", "pay", "--port", port, "--json", "--card", card, "--to", s_pub, "--amount", "4.50",
		    "--pin-file", pin, "--key", s, "--reference", "T-42");
	j = json_out();
	assert_string_equal(jstr(j, "kind"), "pay");
	json_decref(j);
	EXPECT_EXIT(0, "card", "pay", "--port", port, "--json", "--card", card, "--to", assoc, "--amount", "2",
		    "--pin-file", pin, "--key", c);
	/* Over the card's daily maximum. */
	EXPECT_EXIT(1, "card", "pay", "--port", port, "--json", "--card", card, "--to", s_pub, "--amount", "25",
		    "--pin-file", pin, "--key", s);
	j = json_out();
	assert_string_equal(jstr(j, "status"), "limit_exceeded");
	json_decref(j);
	/* Wrong PINs print the tries left, then that the card is locked: in
	 * English by default, in French for a till under LANG=fr_FR.UTF-8. */
	for (int left = 4; left >= 1; left--) {
		char want[64];
		cli_lang = left == 4 ? "C" : "fr_FR.UTF-8";
		EXPECT_EXIT(1, "card", "pay", "--port", port, "--card", card, "--to", s_pub, "--amount", "1", "--pin-file",
			    bad_pin, "--key", s);
		if (left == 4)
			snprintf(want, sizeof(want), "Wrong PIN: %d more tries before the card locks.", left);
		else
			snprintf(want, sizeof(want), "Code PIN faux : encore %d essais avant le blocage", left);
		if (strstr(err_buf, want) == NULL)
			fail_msg("want '%s' in: %s", want, err_buf);
		pause_after_wrong_pin();
		if (left == 2) { /* scripts read the same in JSON */
			EXPECT_EXIT(1, "card", "pay", "--port", port, "--json", "--card", card, "--to", s_pub, "--amount", "1",
				    "--pin-file", bad_pin, "--key", s);
			j = json_out();
			assert_string_equal(jstr(j, "status"), "wrong_pin");
			assert_int_equal(jint(j, "tries_left"), 1);
			json_decref(j);
			pause_after_wrong_pin();
			break;
		}
	}
	EXPECT_EXIT(1, "card", "pay", "--port", port, "--json", "--card", card, "--to", s_pub, "--amount", "1",
		    "--pin-file", bad_pin, "--key", s);
	j = json_out();
	assert_string_equal(jstr(j, "status"), "card_locked");
	json_decref(j);
	pause_after_wrong_pin();
	EXPECT_EXIT(1, "card", "pay", "--port", port, "--card", card, "--to", s_pub, "--amount", "1", "--pin-file", pin,
		    "--key", s);
	assert_non_null(strstr(err_buf, "Carte bloquée après 5 codes faux"));
	cli_lang = NULL;
	EXPECT_EXIT(0, "card", "unlock", BOARD, "--account", m_pub);
	EXPECT_EXIT(0, "card", "pay", "--port", port, "--card", card, "--to", s_pub, "--amount", "1", "--pin-file", pin,
		    "--key", s);

	/* Lost: renewed to a key that lives only on the new card. */
	EXPECT_EXIT(0, "card", "renew", BOARD, "--account", m_pub, "--out", card2, "--pin-file", pin, LIGHT);
	j = json_out();
	char new_pub[65];
	strcpy(new_pub, jstr(j, "account"));
	assert_string_not_equal(new_pub, m_pub);
	json_decref(j);
	EXPECT_EXIT(1, "card", "pay", "--port", port, "--json", "--card", card, "--to", s_pub, "--amount", "1",
		    "--pin-file", pin, "--key", s);
	j = json_out();
	assert_string_equal(jstr(j, "status"), "not_active");
	json_decref(j);
	EXPECT_EXIT(0, "card", "pay", "--port", port, "--card", card2, "--to", s_pub, "--amount", "1", "--pin-file", pin,
		    "--key", s);
	EXPECT_EXIT(0, "balance", "--port", port, "--key", b0, "--account", new_pub, "--json");
	j = json_out();
	assert_int_equal(jint(j, "balance"), 4000 - 450 - 200 - 100 - 100);
	json_decref(j);

	/* Without --out the card goes to card-SHORTID.txt in the current directory. */
	char m2[192], m2_pub[65], default_card[256], sh[2048];
	keygen("card-member-2.key", m2, sizeof(m2), m2_pub);
	snprintf(sh, sizeof(sh), "cd '%s' && '%s' card new --port %s --key '%s' --key '%s' --account '%s' "
		 "--pin-file '%s' --argon-passes 1 --argon-memory-kib 8 >/dev/null", dir, cli, port, b0, b1, m2, pin);
	assert_int_equal(system(sh), 0);
	snprintf(default_card, sizeof(default_card), "%s/card-%.8s.txt", dir, m2_pub);
	for (char *p = default_card + strlen(dir) + 6; *p != '.'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	read_file(default_card, text, sizeof(text));
	assert_int_equal(strncmp(text, "MANNE:C1:", 9), 0);

	/* A payment request (SPEC §11): paid once; one for another ledger is refused unsigned. */
	char uri[300], payer[192], payer_pub[65];
	keygen("req-payer.key", payer, sizeof(payer), payer_pub);
	EXPECT_EXIT(0, "open-account", BOARD, "--new-key", payer, "--role", "member");
	EXPECT_EXIT(0, "issue", BOARD, "--to", payer_pub, "--amount", "5", "--reason", "allowance", "--programme", "p");
	snprintf(uri, sizeof(uri), "manne:%s?amount=150&reference=Q-9&origin=manne.demo%%2Fv1", s_pub);
	EXPECT_EXIT(0, "pay", "--port", port, "--key", payer, "--request", uri, "--json");
	EXPECT_EXIT(0, "payment", "--port", port, "--key", s, "--reference", "Q-9", "--amount", "1.50", "--json");
	/* The payer's history from its side: out for the payment, in for the
	 * issue; the reason in words for the board only (SPEC §6). */
	EXPECT_EXIT(0, "history", "--port", port, "--key", payer, "--json");
	j = json_out();
	json_t *entries = json_object_get(j, "entries");
	assert_int_equal(json_array_size(entries), 3); /* pay, issue, open */
	assert_string_equal(jstr(json_array_get(entries, 0), "direction"), "out");
	assert_string_equal(jstr(json_array_get(entries, 1), "direction"), "in");
	assert_null(json_object_get(json_array_get(entries, 1), "issue_reason_name"));
	json_decref(j);
	EXPECT_EXIT(0, "history", "--port", port, "--key", payer);
	assert_non_null(strstr(out_buf, "amount: -1.50 Manne"));
	assert_non_null(strstr(out_buf, "amount: +5.00 Manne"));
	EXPECT_EXIT(0, "history", "--port", port, "--key", b0, "--account", payer_pub);
	assert_non_null(strstr(out_buf, "issue reason: allowance (food allowance)"));
	snprintf(uri, sizeof(uri), "manne:%s?amount=150&reference=Q-10&origin=autre.example%%2Fv1", s_pub);
	EXPECT_EXIT(1, "pay", "--port", port, "--key", payer, "--request", uri, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "wrong_ledger");
	json_decref(j);
	EXPECT_EXIT(0, "balance", "--port", port, "--key", payer, "--json");
	j = json_out();
	assert_int_equal(jint(j, "balance"), 500 - 150);
	json_decref(j);
	/* Refusals give the figure that decides them; amounts the French way too. */
	EXPECT_EXIT(1, "pay", "--port", port, "--key", payer, "--to", s_pub, "--amount", "10", "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "insufficient_funds");
	assert_int_equal(jint(j, "balance"), 350);
	json_decref(j);
	char capped[192], capped_pub[65];
	keygen("capped.key", capped, sizeof(capped), capped_pub);
	EXPECT_EXIT(0, "open-account", BOARD, "--new-key", capped, "--role", "member", "--max-daily", "2");
	EXPECT_EXIT(0, "issue", BOARD, "--to", capped_pub, "--amount", "5", "--reason", "grant", "--programme", "p");
	EXPECT_EXIT(0, "pay", "--port", port, "--key", capped, "--to", s_pub, "--amount", "1,50");
	EXPECT_EXIT(1, "pay", "--port", port, "--key", capped, "--to", s_pub, "--amount", "1", "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "limit_exceeded");
	assert_int_equal(jint(j, "remaining_today"), 50);
	assert_non_null(strstr(jstr(j, "message"), "per day 2.00 Manne, of which 0.50 Manne left today"));
	json_decref(j);
	EXPECT_EXIT(2, "pay", "--port", port, "--key", capped, "--to", s_pub, "--amount", "0");
	assert_non_null(strstr(err_buf, "at least 0.01"));
	EXPECT_EXIT(4, "pay", "--port", port, "--key", "/nonexistent/none.key", "--to", s_pub, "--amount", "1");
	EXPECT_EXIT(2, "pay", "--port", port, "--key", payer, "--request", uri, "--to", s_pub);
	EXPECT_EXIT(2, "pay", "--port", port, "--key", payer, "--request", "manne:nope");

	/* Not a card. */
	write_text(card, "MANNE:C1:ABC\n");
	EXPECT_EXIT(2, "card", "pay", "--port", port, "--json", "--card", card2 /* fine */, "--to", s_pub, "--amount", "1",
		    "--pin-file", pin, "--key", s, "--bogus");
	EXPECT_EXIT(2, "card", "pay", "--port", port, "--json", "--card", card, "--to", s_pub, "--amount", "1",
		    "--pin-file", pin, "--key", s);
	j = json_out();
	assert_string_equal(jstr(j, "status"), "card_format");
	json_decref(j);
	EXPECT_EXIT(2, "card", "lend", "--port", port);
	for (const char *const *sub = (const char *const[]){"new", "pay", "unlock", "renew", NULL}; *sub != NULL; sub++)
		EXPECT_EXIT(0, "card", *sub, "--help");
#undef LIGHT
#undef BOARD
}

/* The client configuration and the environment (docs/cli.md): set once,
 * the flags still win. */
static void test_cli_settings(void **state)
{
	char conf[192], pinned[192], key[192], pub[65], text[1024];
	json_t *j;
	(void)state;

	keygen("settings.key", key, sizeof(key), pub);
	path_of(conf, sizeof(conf), "client.conf");
	EXPECT_EXIT(0, "status", "--port", port, "--json");
	j = json_out();
	char ledger_id[300];
	snprintf(ledger_id, sizeof(ledger_id), "%s", jstr(j, "ledger_id"));
	json_decref(j);
	snprintf(text, sizeof(text), "# the association's ledger\nhost = localhost\nport = %s\nledger-id = %s\nkey = %s\n",
		 port, ledger_id, key);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	setenv("MANNE_CONFIG", conf, 1);
	EXPECT_EXIT(0, "status", "--json");                         /* host and port from the file */
	/* A pin brings TLS though the file names host and port too: the daemon
	 * here speaks plain TCP, so no handshake can be made (it once fell back
	 * to plain TCP); an address on the command line still means plain TCP. */
	path_of(pinned, sizeof(pinned), "pinned.conf");
	f = fopen(pinned, "w");
	assert_non_null(f);
	fprintf(f, "host = localhost\nport = %s\ntls-pin = SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", port);
	fclose(f);
	setenv("MANNE_CONFIG", pinned, 1);
	EXPECT_EXIT(5, "status", "--timeout-ms", "3000", "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "tls");
	json_decref(j);
	EXPECT_EXIT(0, "status", "--port", port, "--json");
	setenv("MANNE_CONFIG", conf, 1);
	/* The default key proves who reads: a key that is no account is refused as such. */
	EXPECT_EXIT(1, "balance", "--json");
	j = json_out();
	assert_string_equal(jstr(j, "status"), "unknown_account");
	json_decref(j);
	setenv("MANNE_LEDGER", "127.0.0.1:1", 1);                   /* the environment wins over the file */
	EXPECT_EXIT(3, "status", "--json");
	j = json_out();
	assert_non_null(strstr(jstr(j, "message"), "refused"));
	json_decref(j);
	EXPECT_EXIT(0, "status", "--port", port, "--json");         /* and the flags over both */
	unsetenv("MANNE_LEDGER");
	f = fopen(conf, "a");
	fputs("colour = green\n", f);
	fclose(f);
	EXPECT_EXIT(2, "status");
	assert_non_null(strstr(err_buf, "client.conf:6: no setting 'colour'"));
	setenv("MANNE_CONFIG", "/nonexistent/client.conf", 1);
	EXPECT_EXIT(2, "status");
	unsetenv("MANNE_CONFIG");
}

static void test_cli_help(void **state)
{
	static const char *const commands[] = {
		"keygen", "pubkey", "create", "pay", "refund", "redeem", "freeze", "open-account", "set-account",
		"recover-account", "fund", "release", "issue", "reverse-issue", "retire-dormant", "settle", "set-ledger",
		"set-board", "set-checkpoint-key", "void", "prepare", "show", "sign", "submit", "balance", "history", "tx",
		"payment", "status", "checkpoint", "prove", "export"};
	(void)state;
	EXPECT_EXIT(0, "--help");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		EXPECT_EXIT(0, commands[i], "--help");
		if (strstr(out_buf, "usage: manne") == NULL || strstr(out_buf, "--help") == NULL)
			fail_msg("%s --help: %s", commands[i], out_buf);
	}
	EXPECT_EXIT(2, "pay", "--amount");  /* an option without its value */
	EXPECT_EXIT(2, "prepare", "pay", "--out", "x");  /* an account's act is not prepared */
}

static void test_cli_create(void **state)
{
	char data[192], b[3][192], ck[192], assoc[192], pub[65], portfile[256], ledger_port[16];
	const char *ledger = getenv("MANNE_LEDGER_EXE");
	json_t *j;
	pid_t pid;
	int status;
	(void)state;

	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "cb%d.key", i);
		keygen(name, b[i], sizeof(b[i]), pub);
	}
	keygen("create-checkpoint.key", ck, sizeof(ck), pub);
	keygen("create-association.key", assoc, sizeof(assoc), pub);
	path_of(data, sizeof(data), "new-ledger");
	EXPECT_EXIT(2, "create", "--data", data, "--origin", "manne.test.example/v1", "--board-key", b[0], "--threshold",
		    "3", "--checkpoint-key", ck, "--association", assoc);  /* M > N */
	EXPECT_EXIT(1, "create", "--data", data, "--origin", "bad origin", "--board-key", b[0], "--threshold", "1",
		    "--checkpoint-key", ck, "--association", assoc);
	EXPECT_EXIT(0, "create", "--data", data, "--origin", "manne.test.example/v1", "--board-key", b[0], "--board-key",
		    b[1], "--board-key", b[2], "--threshold", "2", "--checkpoint-key", ck, "--association", assoc,
		    "--fee-bp", "150", "--utc-offset-minutes", "60", "--eu-summer-time", "yes", "--json");
	j = json_out();
	assert_string_equal(jstr(j, "origin"), "manne.test.example/v1");
	assert_int_equal(jint(j, "threshold"), 2);
	json_decref(j);
	EXPECT_EXIT(6, "create", "--data", data, "--origin", "manne.test.example/v1", "--board-key", b[0], "--threshold",
		    "1", "--checkpoint-key", ck, "--association", assoc);  /* already a ledger there */

	/* manne-ledger serves it, and the board's keys work on it. */
	snprintf(portfile, sizeof(portfile), "%s/port", data);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char log[256];
		snprintf(log, sizeof(log), "%s/daemon.log", data);
		if (freopen(log, "a", stderr) == NULL)
			_exit(127);
		execl(ledger, ledger, "--data", data, "--checkpoint-key", ck, "--listen", "127.0.0.1:0", "--port-file",
		      portfile, (char *)NULL);
		_exit(127);
	}
	created_ledger = pid;
	for (int i = 0; i < 1000; i++) {
		read_file(portfile, ledger_port, sizeof(ledger_port));
		if (atoi(ledger_port) > 0)
			break;
		usleep(10000);
	}
	ledger_port[strcspn(ledger_port, "\n")] = '\0';
	assert_true(atoi(ledger_port) > 0);
	EXPECT_EXIT(0, "status", "--port", ledger_port, "--json");
	j = json_out();
	assert_string_equal(jstr(j, "origin"), "manne.test.example/v1");
	assert_int_equal(jint(j, "tree_size"), 1);
	json_decref(j);
	EXPECT_EXIT(0, "fund", "--port", ledger_port, "--key", b[1], "--key", b[2], "--amount", "10",
		    "--bank-reference", "VIR-1");
	EXPECT_EXIT(0, "checkpoint", "--port", ledger_port, "--checkpoint-key", ck, "--json");
	j = json_out();
	assert_int_equal(jint(j, "funded"), 1000);
	json_decref(j);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	created_ledger = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_round),
		cmocka_unit_test(test_cli_every_kind),
		cmocka_unit_test(test_cli_cards),
		cmocka_unit_test(test_cli_settings),
		cmocka_unit_test(test_cli_help),
		cmocka_unit_test(test_cli_create),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
