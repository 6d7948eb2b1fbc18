/*
 * cli_read.c: reading the ledger from the command line: balances and
 * histories (proved by a key), the status, and the audit-without-trust
 * commands: checkpoint (verified), prove (a leaf's inclusion, or an old
 * checkpoint's consistency with the latest) and export (the whole log,
 * checked against a verified root).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"

/* The names JSON gives; people read them translated (with --json the
 * catalogue is off, so the same calls give the names). */
static const char *const role_names[] = {N_("none"), N_("member"), N_("shop"), N_("producer"), N_("auditor"),
					 N_("association"), N_("counter")};
static const char *const state_names[] = {N_("none"), N_("active"), N_("frozen"), N_("closed")};

/* --account, or the --key's own account. */
static bool which_account(const struct cli *c, enum cli_opt opt, const struct manne_key *key, bool have_key,
			  uint8_t out[32])
{
	if (cli_value(c, opt) != NULL)
		return cli_parse_public(c, opt == OPT_PAYEE ? "payee" : "account", cli_value(c, opt), out);
	if (!have_key) {
		fputs(_("manne: give --key (yours), and --account for another account\n"), stderr);
		return false;
	}
	memcpy(out, key->public_key, 32);
	return true;
}

/* One entry (a transaction as the reader may see it), or the failure. */
static int print_entry(struct cli *c, struct manne *m, enum manne_status status, const struct manne_entry *e,
		       const uint8_t *reader)
{
	if (status != MANNE_OK)
		return cli_fail_detail(c, status, manne_message(m));
	out_begin(c);
	out_bool(c, "ok", NULL, true);
	out_entry_for(c, e, reader, NULL);
	out_end(c);
	return 0;
}

/* The key is wiped as soon as the ledger no longer needs it. */
int cmd_balance(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_key key;
	struct manne_account a;
	uint8_t account[32];
	enum manne_status status;
	bool have_key;
	int rc = cli_connect_as(c, &m, &key, &have_key);

	if (rc != 0)
		return rc;
	if (!which_account(c, OPT_ACCOUNT, &key, have_key, account)) {
		rc = EXIT_USAGE;
		goto out;
	}
	status = manne_account(m, account, &a);
	if (status != MANNE_OK) {
		rc = cli_fail_detail(c, status, manne_message(m));
		goto out;
	}
	out_begin(c);
	out_bool(c, "ok", NULL, true);
	out_hex(c, "account", "account", a.account, 32);
	out_amount(c, "balance", "balance", a.balance);
	out_str(c, "role", "role", _((unsigned)a.role < 7 ? role_names[a.role] : N_("unknown")));
	out_str(c, "state", "state", _((unsigned)a.state < 4 ? state_names[a.state] : N_("unknown")));
	out_amount(c, "max_payment", a.max_payment != 0 ? "maximum per payment" : NULL, a.max_payment);
	out_amount(c, "max_daily", a.max_daily != 0 ? "maximum per day" : NULL, a.max_daily);
	out_amount(c, "remaining_today", "may still pay today", a.remaining_today);
	out_u64(c, "next_sequence", "next sequence", a.next_sequence);
	out_amount(c, "pending_redemptions", a.pending_redemptions != 0 ? "pending redemptions" : NULL,
		   a.pending_redemptions);
	out_bool(c, "card_held", "card-held", a.card_held);
	if (a.has_successor)
		out_hex(c, "successor", "recovered to", a.successor, 32);
	out_end(c);
out:
	return cli_disconnect(m, &key, have_key, rc);
}

/* The running balance of a history page comes from the account's balance
 * now, walked back entry by entry from the newest. An older page (--before)
 * walks down to it, at most this many pages. */
#define BALANCE_WALK_PAGES_MAX 64U

struct running {
	bool known;
	uint64_t balance;  /* after the next entry to print */
	uint64_t start;    /* the account's balance when the walk began */
};

/* Walks the entries newer than `before` (a leaf index: the page starts
 * below it) to learn the balance after the newest entry of that page. */
static void balance_at_page(struct manne *m, const uint8_t account[32], uint64_t before, struct manne_entry *scratch,
			    struct running *run)
{
	uint64_t at = 0, next = 0;
	size_t count = 0;

	for (unsigned page = 0; run->known && page < BALANCE_WALK_PAGES_MAX; page++) {
		if (manne_history(m, account, at, scratch, MANNE_PAGE_ENTRIES_MAX, &count, &next) != MANNE_OK)
			break;
		for (size_t i = 0; run->known && i < count; i++) {
			if (scratch[i].leaf_index < before)
				return;
			run->known = entry_balance_before(&scratch[i], account, run->balance, &run->balance);
		}
		if (next == 0)
			break;
		at = next;
	}
	run->known = false;
}

/* One page of history and the balance after its newest entry, from one
 * consistent view: the page must start at the account's latest leaf, else
 * a transaction landed in between and both are read again. */
static enum manne_status history_page(struct manne *m, const uint8_t account[32], uint64_t before,
				      struct manne_entry *entries, size_t limit, size_t *count, uint64_t *next,
				      struct running *run)
{
	enum manne_status status = MANNE_OK;

	for (int attempt = 0; attempt < 3; attempt++) {
		struct manne_account a;
		run->known = manne_account(m, account, &a) == MANNE_OK;  /* without it, no running balance */
		run->balance = run->start = run->known ? a.balance : 0;
		status = manne_history(m, account, before, entries, limit, count, next);
		if (status != MANNE_OK || !run->known)
			return status;
		if (before != 0 || *count == 0 || entries[0].leaf_index + 1 == a.history_end)
			break;
		run->known = false;
	}
	if (run->known && before != 0) {
		struct manne_entry *scratch = calloc(MANNE_PAGE_ENTRIES_MAX, sizeof(*scratch));
		struct manne_account first, again;
		if (scratch == NULL || manne_account(m, account, &first) != MANNE_OK)
			run->known = false;
		else
			balance_at_page(m, account, before, scratch, run);
		/* A transaction that landed during the walk would shift every
		 * balance shown: then none is. */
		if (run->known && (manne_account(m, account, &again) != MANNE_OK || again.history_end != first.history_end ||
				   again.balance != first.balance || first.balance != run->start))
			run->known = false;
		free(scratch);
	}
	return status;
}

int cmd_history(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_key key;
	struct manne_entry *entries = NULL;
	struct running run = {0};
	uint8_t account[32];
	uint64_t before = 0, limit = 50, next = 0;
	size_t count = 0;
	enum manne_status status;
	bool have_key;
	int rc;

	if ((cli_value(c, OPT_BEFORE) != NULL &&
	     !cli_parse_u64("before", cli_value(c, OPT_BEFORE), 0, UINT64_MAX, &before)) ||
	    (cli_value(c, OPT_LIMIT) != NULL &&
	     !cli_parse_u64("limit", cli_value(c, OPT_LIMIT), 1, MANNE_PAGE_ENTRIES_MAX, &limit)))
		return EXIT_USAGE;
	rc = cli_connect_as(c, &m, &key, &have_key);
	if (rc != 0)
		return rc;
	entries = calloc(limit, sizeof(*entries));
	if (entries == NULL) {
		rc = cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
		goto out;
	}
	if (!which_account(c, OPT_ACCOUNT, &key, have_key, account)) {
		rc = EXIT_USAGE;
		goto out;
	}
	status = history_page(m, account, before, entries, limit, &count, &next, &run);
	if (status != MANNE_OK) {
		rc = cli_fail_detail(c, status, manne_message(m));
		goto out;
	}
	out_begin(c);
	out_bool(c, "ok", NULL, true);
	out_hex(c, "account", "account", account, 32);
	if (run.known)
		out_amount(c, "balance", "balance", run.balance);
	out_text(c, "\n");
	out_array_begin(c, "entries");
	for (size_t i = 0; i < count; i++) {
		out_object_begin(c);
		out_entry_for(c, &entries[i], account, run.known ? &run.balance : NULL);
		out_object_end(c);
		if (run.known)
			run.known = entry_balance_before(&entries[i], account, run.balance, &run.balance);
	}
	out_array_end(c);
	out_u64(c, "next_index", next != 0 ? "older: --before" : NULL, next);
	if (count == 0)
		out_text(c, _("no transactions\n"));
	out_end(c);
out:
	free(entries);
	return cli_disconnect(m, &key, have_key, rc);
}

int cmd_tx_get(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_key key;
	struct manne_entry e;
	uint8_t txid[32];
	enum manne_status status;
	bool have_key;
	int rc;

	if (!cli_parse_hex32("txid", c->args[0], txid))
		return EXIT_USAGE;
	rc = cli_connect_as(c, &m, &key, &have_key);
	if (rc != 0)
		return rc;
	status = manne_tx_get(m, txid, &e);
	/* Shown from the side of the account that reads, when it is a party. */
	rc = print_entry(c, m, status, &e, have_key ? key.public_key : NULL);
	return cli_disconnect(m, &key, have_key, rc);
}

int cmd_payment(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_key key;
	struct manne_entry e;
	uint8_t payee[32];
	uint64_t wait = 0, amount = 0;
	enum manne_status status;
	bool have_key;
	int rc;

	if (cli_value(c, OPT_REFERENCE) == NULL)
		return cli_usage_error(c, "--reference (the till's order number) is needed");
	if (cli_value(c, OPT_WAIT_MS) != NULL && !cli_parse_u64("wait-ms", cli_value(c, OPT_WAIT_MS), 0, 120000, &wait))
		return EXIT_USAGE;
	if (cli_value(c, OPT_AMOUNT) != NULL && !cli_parse_amount("amount", cli_value(c, OPT_AMOUNT), &amount))
		return EXIT_USAGE;
	rc = cli_connect_as(c, &m, &key, &have_key);
	if (rc != 0)
		return rc;
	if (!which_account(c, OPT_PAYEE, &key, have_key, payee)) {
		rc = EXIT_USAGE;
	} else {
		status = manne_payment_by_reference(m, payee, cli_value(c, OPT_REFERENCE), (uint32_t)wait, amount, NULL,
						    &e);
		rc = print_entry(c, m, status, &e, have_key ? key.public_key : NULL);
	}
	return cli_disconnect(m, &key, have_key, rc);
}

int cmd_status(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_ledger_status s;
	enum manne_status status;
	char id[MANNE_LEDGER_ID_BYTES];
	int rc = cli_connect(c, &m);

	if (rc != 0)
		return rc;
	status = manne_status_get(m, &s);
	if (status != MANNE_OK) {
		rc = cli_fail_detail(c, status, manne_message(m));
	} else {
		out_begin(c);
		out_bool(c, "ok", NULL, true);
		out_str(c, "origin", "ledger", manne_origin(m));
		out_hex(c, "genesis_id", "genesis id", manne_genesis_id(m), 32);
		if (manne_ledger_id(m, id, sizeof(id)) == MANNE_OK)
			out_str(c, "ledger_id", "ledger id (--ledger)", id);
		out_str(c, "version", "version", s.version);
		out_u64(c, "tree_size", "log size", s.tree_size);
		out_u64(c, "connections", "connections", s.connections);
		out_u64(c, "applied", "applied", s.applied);
		out_u64(c, "refused", "refused", s.refused);
		out_u64(c, "batches", "batches", s.batches);
		out_end(c);
	}
	manne_close(m);
	return rc;
}

/* Fetches and verifies the latest checkpoint (pinned key, or the published one). */
static int latest_checkpoint(const struct cli *c, struct manne *m, struct manne_checkpoint *cp, bool *pinned,
			     char *vkey)
{
	uint8_t key[32];
	enum manne_status status;

	if (!cli_checkpoint_key(c, key, pinned))
		return EXIT_USAGE;
	status = manne_checkpoint_fetch(m, *pinned ? key : NULL, cp, vkey);
	if (status != MANNE_OK)
		return cli_fail_detail(c, status, manne_message(m));
	return 0;
}

int cmd_checkpoint(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_checkpoint *cp = malloc(sizeof(*cp));
	char vkey[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	bool pinned;
	FILE *f;
	int rc = cp != NULL ? cli_connect(c, &m) : cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);

	if (rc == 0)
		rc = latest_checkpoint(c, m, cp, &pinned, vkey);
	if (rc == 0 && cli_value(c, OPT_SAVE) != NULL) {
		f = fopen(cli_value(c, OPT_SAVE), "wx");
		if (f == NULL || fputs(cp->note, f) < 0 || fclose(f) != 0)
			rc = cli_fail(c, MANNE_ERR_IO, "cannot write the --save file (it must not exist)");
	}
	if (rc == 0) {
		out_begin(c);
		out_bool(c, "ok", NULL, true);
		out_checkpoint(c, cp);
		out_str(c, "verifier_key", "verifier key", vkey);
		out_bool(c, "pinned", NULL, pinned);
		out_str(c, "signature", "signature",
			pinned ? _("verified under the pinned checkpoint key")
			       : _("verified under the key the ledger publishes only: pin --checkpoint-key to trust it"));
		out_end(c);
	}
	free(cp);
	manne_close(m);
	return rc;
}

/* Reads a saved checkpoint note (at most MANNE_NOTE_BYTES_MAX). */
static int read_note(const struct cli *c, const char *path, char *out, size_t *len)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return cli_fail(c, MANNE_ERR_IO, strerror(errno));
	*len = fread(out, 1, MANNE_NOTE_BYTES_MAX + 1, f);
	fclose(f);
	if (*len == 0 || *len > MANNE_NOTE_BYTES_MAX)
		return cli_fail(c, MANNE_ERR_VERIFY, "the old checkpoint file is not a checkpoint note");
	out[*len] = '\0';
	return 0;
}

/* A 32-byte hash in standard base64: a JSON member, or a bare line for people. */
static void out_b64(const struct cli *c, const char *k, const uint8_t hash[32])
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof(b64), hash, 32, sodium_base64_VARIANT_ORIGINAL);
	if (k != NULL)
		out_str(c, k, NULL, b64);
	if (k == NULL || !c->json)
		out_array_str(c, b64);
}

static void out_proof_hashes(const struct cli *c, const uint8_t (*hashes)[32], size_t count)
{
	out_array_begin(c, "proof");
	for (size_t i = 0; i < count; i++)
		out_b64(c, NULL, hashes[i]);
	out_array_end(c);
}

/* A size: a JSON member, or a bare line for people. */
static void out_size(const struct cli *c, const char *k, uint64_t size)
{
	out_u64(c, k, NULL, size);
	if (!c->json)
		printf("%llu\n", (unsigned long long)size);
}

/* --print-proof: the proof itself, for a verifier that is not ours
 * (RFC 9162; Go's golang.org/x/mod/sumdb/tlog takes the same hashes). With
 * --json exactly: index, tree_size, root, leaf_hash, proof (standard
 * base64); for people the values but the index, one a line, in that order. */
static void print_inclusion(const struct cli *c, const struct manne_inclusion_proof *p)
{
	out_begin(c);
	out_u64(c, "index", NULL, p->index);
	out_size(c, "tree_size", p->tree_size);
	out_b64(c, "root", p->root);
	out_b64(c, "leaf_hash", p->leaf_hash);
	out_proof_hashes(c, (const uint8_t(*)[32])p->hashes, p->count);
	out_end(c);
}

/* --old-size N --new-size M --print-proof: with --json exactly old_size,
 * new_size, old_root, new_root, proof; for people one a line. */
static void print_consistency(const struct cli *c, const struct manne_consistency_proof *p)
{
	out_begin(c);
	out_size(c, "old_size", p->old_size);
	out_size(c, "new_size", p->new_size);
	out_b64(c, "old_root", p->old_root);
	out_b64(c, "new_root", p->new_root);
	out_proof_hashes(c, (const uint8_t(*)[32])p->hashes, p->count);
	out_end(c);
}

/* A consistency proof between any two sizes, printed; the newer root is
 * checked against the latest signed checkpoint when the sizes meet. */
static int prove_sizes(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_checkpoint *latest = malloc(sizeof(*latest));
	struct manne_consistency_proof *proof = malloc(sizeof(*proof));
	char vkey[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	uint64_t old_size = 0, new_size = 0;
	enum manne_status status;
	bool pinned;
	int rc = 0;

	if (latest == NULL || proof == NULL)
		rc = cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	else if (!cli_flag(c, OPT_PRINT_PROOF))
		rc = cli_usage_error(c, "--old-size goes with --print-proof");
	else if (!cli_parse_u64("old-size", cli_value(c, OPT_OLD_SIZE), 1, UINT64_MAX, &old_size) ||
		 (cli_value(c, OPT_NEW_SIZE) != NULL &&
		  !cli_parse_u64("new-size", cli_value(c, OPT_NEW_SIZE), 1, UINT64_MAX, &new_size)))
		rc = EXIT_USAGE;
	if (rc == 0)
		rc = cli_connect(c, &m);
	if (rc == 0)
		rc = latest_checkpoint(c, m, latest, &pinned, vkey);
	if (rc == 0 && new_size == 0)
		new_size = latest->tree_size;
	if (rc == 0 && (old_size > new_size || new_size > latest->tree_size))
		rc = cli_usage_error(c, "sizes with old <= new <= %llu (the latest checkpoint's)",
				     (unsigned long long)latest->tree_size);
	if (rc == 0) {
		status = manne_consistency_proof(m, old_size, new_size, proof);
		if (status != MANNE_OK)
			rc = cli_fail_detail(c, status, manne_message(m));
		else if (new_size == latest->tree_size && sodium_memcmp(proof->new_root, latest->root, 32) != 0)
			rc = cli_fail(c, MANNE_ERR_VERIFY, "the newer root is not the signed checkpoint's");
		else
			print_consistency(c, proof);
	}
	free(latest);
	free(proof);
	manne_close(m);
	return rc;
}

/* prove --txid: the reader (--key, a party to it, the board or an auditor)
 * learns the transaction's leaf from the ledger. The board and auditors read
 * the leaf itself: its body must hash to the txid, and its hash is computed
 * here (*bound). Anyone else has the leaf hash on the ledger's word (a
 * receipt's --leaf-hash, kept since, is the way to hold it to its word). */
static int prove_find_txid(const struct cli *c, struct manne **m, struct manne_key *reader, bool *have_key,
			   uint64_t *index, uint8_t leaf_hash[32], bool *bound)
{
	uint8_t txid[32];
	struct manne_entry e;
	struct cli_leaf leaf;
	enum manne_status status;
	int rc;

	*bound = false;
	if (!cli_parse_hex32("txid", cli_value(c, OPT_TXID), txid))
		return EXIT_USAGE;
	rc = cli_connect_as(c, m, reader, have_key);
	if (rc != 0)
		return rc;
	status = manne_tx_get(*m, txid, &e);
	if (status != MANNE_OK)
		return cli_fail_detail(c, status, manne_message(*m));
	if (!e.has_leaf_hash)
		return cli_fail(c, MANNE_ERR_PROTOCOL, "the ledger did not give the transaction's leaf hash");
	*index = e.leaf_index;
	memcpy(leaf_hash, e.leaf_hash, 32);
	status = cli_leaf_read(*m, e.leaf_index, txid, &leaf);
	if (status == MANNE_ERR_VERIFY || (status == MANNE_OK && sodium_memcmp(leaf.leaf_hash, e.leaf_hash, 32) != 0))
		return cli_fail(c, MANNE_ERR_VERIFY, "the ledger's leaf for this txid holds another transaction");
	*bound = status == MANNE_OK;
	return 0;
}

int cmd_prove(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_checkpoint *latest = malloc(sizeof(*latest)), *old = malloc(sizeof(*old));
	char *note = malloc(MANNE_NOTE_BYTES_MAX + 2), vkey[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	uint8_t leaf_hash[32], key[32];
	uint64_t index = 0;
	size_t note_len = 0;
	enum manne_status status;
	bool pinned, by_txid = cli_value(c, OPT_TXID) != NULL;
	bool inclusion = by_txid || cli_value(c, OPT_INDEX) != NULL || cli_value(c, OPT_LEAF_HASH) != NULL;
	bool print = cli_flag(c, OPT_PRINT_PROOF), have_key = false, hash_given = cli_value(c, OPT_LEAF_HASH) != NULL;
	bool txid_bound = false;
	struct manne_key reader;
	int rc = 0;

	if (cli_value(c, OPT_OLD_SIZE) != NULL || cli_value(c, OPT_NEW_SIZE) != NULL) {
		free(latest);
		free(old);
		free(note);
		return prove_sizes(c);
	}

	if (latest == NULL || old == NULL || note == NULL)
		rc = cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	else if (by_txid && (cli_value(c, OPT_INDEX) != NULL || hash_given))
		rc = cli_usage_error(c, "--txid finds the index and the leaf hash itself: not with --index or --leaf-hash");
	else if (inclusion == (cli_value(c, OPT_OLD_CHECKPOINT) != NULL))
		rc = cli_usage_error(c, "give --index and --leaf-hash (inclusion), or --old-checkpoint FILE (consistency)");
	else if (print && !inclusion)
		rc = cli_usage_error(c, "--print-proof goes with --index (an inclusion proof)");
	else if (by_txid)
		rc = prove_find_txid(c, &m, &reader, &have_key, &index, leaf_hash, &txid_bound);
	else if (inclusion && (!cli_parse_u64("index", cli_value(c, OPT_INDEX), 0, UINT64_MAX, &index) ||
			       (!print && cli_value(c, OPT_LEAF_HASH) == NULL) ||
			       (cli_value(c, OPT_LEAF_HASH) != NULL &&
				!cli_parse_hex32("leaf-hash", cli_value(c, OPT_LEAF_HASH), leaf_hash))))
		rc = cli_value(c, OPT_LEAF_HASH) == NULL && !print
			     ? cli_usage_error(c, "--leaf-hash (or --print-proof, which learns it from the proof)")
			     : EXIT_USAGE;
	hash_given = hash_given || by_txid;
	if (rc == 0 && m == NULL)
		rc = cli_connect(c, &m);
	if (rc == 0)
		rc = latest_checkpoint(c, m, latest, &pinned, vkey);
	if (rc == 0 && inclusion && print) {
		struct manne_inclusion_proof *proof = malloc(sizeof(*proof));
		status = proof == NULL ? MANNE_ERR_NO_MEMORY : manne_inclusion_proof(m, latest, index, proof);
		if (status == MANNE_OK && hash_given && sodium_memcmp(proof->leaf_hash, leaf_hash, 32) != 0)
			status = MANNE_ERR_VERIFY;
		if (status == MANNE_ERR_VERIFY)
			rc = cli_fail(c, status, "the leaf at that index has another hash");
		else if (status != MANNE_OK)
			rc = cli_fail_detail(c, status, manne_message(m));
		else
			print_inclusion(c, proof);
		free(proof);
		free(latest);
		free(old);
		free(note);
		return cli_disconnect(m, &reader, have_key, rc);
	}
	if (rc == 0 && inclusion) {
		status = manne_inclusion_check(m, latest, index, leaf_hash);
		if (status != MANNE_OK)
			rc = cli_fail_detail(c, status, manne_message(m));
	} else if (rc == 0) {
		/* The old note must verify under the same key as the latest one. */
		if (pinned)
			(void)cli_checkpoint_key(c, key, &pinned);
		else if (manne_verifier_key_parse(vkey, NULL, key) != MANNE_OK)
			rc = cli_fail(c, MANNE_ERR_PROTOCOL, "the ledger's verifier key cannot be read");
		if (rc == 0)
			rc = read_note(c, cli_value(c, OPT_OLD_CHECKPOINT), note, &note_len);
		if (rc == 0 && manne_checkpoint_verify(note, note_len, manne_origin(m), key, old) != MANNE_OK)
			rc = cli_fail(c, MANNE_ERR_VERIFY, "the old checkpoint does not verify under the ledger's checkpoint key");
		if (rc == 0 && old->tree_size > latest->tree_size)
			rc = cli_fail(c, MANNE_ERR_VERIFY, "the old checkpoint is larger than the latest: the log went back");
		if (rc == 0) {
			status = manne_consistency_check(m, old, latest);
			if (status != MANNE_OK)
				rc = cli_fail_detail(c, status, manne_message(m));
		}
	}
	if (rc == 0) {
		out_begin(c);
		out_bool(c, "ok", NULL, true);
		if (inclusion) {
			out_str(c, "proved", "proved", _("inclusion"));
			out_u64(c, "index", "leaf", index);
			out_hex(c, "leaf_hash", "leaf hash", leaf_hash, 32);
			if (by_txid) {
				out_bool(c, "txid_bound", NULL, txid_bound);
				out_str(c, NULL, "txid",
					txid_bound ? _("its leaf read and checked: the leaf's body hashes to it")
						   : _("its leaf hash is the ledger's word (the board and auditors read the "
						       "leaf to check it)"));
			}
		} else {
			out_str(c, "proved", "proved", _("consistency"));
			out_u64(c, "old_tree_size", "old tree size", old->tree_size);
		}
		out_u64(c, "tree_size", "tree size", latest->tree_size);
		out_hex(c, "root", "root", latest->root, 32);
		out_bool(c, "pinned", NULL, pinned);
		out_str(c, "signature", "checkpoint",
			pinned ? _("verified under the pinned checkpoint key")
			       : _("verified under the key the ledger publishes only: pin --checkpoint-key to trust it"));
		out_end(c);
	}
	free(latest);
	free(old);
	free(note);
	return cli_disconnect(m, &reader, have_key, rc);
}

int cmd_export(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_key key;
	struct manne_checkpoint *cp = malloc(sizeof(*cp));
	uint8_t pin[32];
	enum manne_status status;
	bool have_key, pinned;
	int rc;

	if (cp == NULL)
		return cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	if (!cli_checkpoint_key(c, pin, &pinned)) {
		free(cp);
		return EXIT_USAGE;
	}
	rc = cli_connect_as(c, &m, &key, &have_key);
	if (rc == 0) {
		status = manne_export(m, pinned ? pin : NULL, c->args[0], cp);
		if (status != MANNE_OK) {
			rc = cli_fail_detail(c, status, manne_message(m));
		} else {
			out_begin(c);
			out_bool(c, "ok", NULL, true);
			out_str(c, "file", "exported", c->args[0]);
			out_u64(c, "leaves", "leaves", cp->tree_size);
			out_hex(c, "root", "root (checked)", cp->root, 32);
			out_bool(c, "pinned", NULL, pinned);
			out_end(c);
		}
		if (have_key)
			manne_key_wipe(&key);
	}
	free(cp);
	manne_close(m);
	return rc;
}
