/*
 * cli_tx.c: every transaction kind from the command line, and the board's
 * one-signature-at-a-time flow:
 *
 *   manne issue ... --out act.txt     writes the unsigned body (prepare)
 *   manne sign act.txt --key me.key   shows every field in words, asks, signs
 *   manne submit act.txt              sends body and signatures once M are there
 *
 * A prepared file is text (docs/cli.md):
 *
 *   manne-prepared-v1
 *   body <hex of the TxBody bytes>
 *   signatures-needed <M>              (optional)
 *   signature <public key hex> <signature hex>   (one per signer)
 *
 * The body bytes are never rebuilt after prepare: every member signs the
 * same bytes, and a file whose body does not describe itself exactly (see
 * manne_body_describe) or holds a signature that does not verify is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "cli_prepared.h"

#define DESCRIPTION_BYTES 16384U
#define DAY_MS (24ULL * 3600U * 1000U)

static void print_signatures(const struct cli *c, const struct prepared *p)
{
	out_array_begin(c, "signatures");
	if (!c->json)
		printf(_("signatures (%zu, each verified%s):\n"), p->sig_count,
		       p->needed != 0 ? "" : _("; the ledger checks the board's threshold"));
	for (size_t i = 0; i < p->sig_count; i++) {
		char hex[65];
		sodium_bin2hex(hex, sizeof(hex), p->sigs[i].public_key, 32);
		if (c->json) {
			out_object_begin(c);
			out_str(c, "public_key", NULL, hex);
			out_object_end(c);
		} else {
			printf("  %s\n", hex);
		}
	}
	out_array_end(c);
	if (p->needed != 0)
		out_u64(c, "signatures_needed", "signatures needed", p->needed);
}

/* The kind's name, from the body's own description. */
static void body_kind(const char *description, char *out, size_t size)
{
	const char *nl = strchr(description, '\n');
	size_t n = nl != NULL && strncmp(description, "kind: ", 6) == 0 ? (size_t)(nl - description) - 6 : 0;

	if (n >= size)
		n = size - 1;
	memcpy(out, description + 6 * (n > 0), n);
	out[n] = '\0';
}

static int describe(const struct cli *c, const struct prepared *p, char *description, uint8_t txid[32])
{
	enum manne_status status = manne_body_describe(p->body, p->body_len, description, DESCRIPTION_BYTES, txid);
	if (status != MANNE_OK)
		return cli_fail(c, status, "the body is not a transaction that describes itself exactly: do not sign it");
	return 0;
}

/* sign refuses what prepare refuses: a body already expired, or valid more
 * than 31 days from now (the ledger refuses it as EXPIRED, and a signed body
 * valid for longer stays a live instrument until someone voids it). */
static int check_validity(const struct cli *c, const struct prepared *p)
{
	uint64_t last_valid, now = (uint64_t)time(NULL) * 1000U;
	enum manne_status status = manne_body_last_valid(p->body, p->body_len, &last_valid);

	if (status != MANNE_OK)
		return cli_fail(c, status, "the body is not a transaction: do not sign it");
	if (last_valid < now)
		return cli_fail(c, MANNE_ERR_ARGUMENT, "this body has expired: prepare it again");
	if (last_valid - now > MANNE_BOARD_TX_VALID_MS_MAX + MANNE_CLOCK_MARGIN_MS)
		return cli_fail(c, MANNE_ERR_ARGUMENT,
				"this body is valid for more than 31 days from now: the ledger refuses it, and no signed "
				"body should stay live that long; prepare it again with --valid-days 31 or fewer");
	return 0;
}

/* After a submission: the receipt, checked against a pinned checkpoint key if one was given. */
/* --save-proof FILE: the receipt's inclusion proof in the form of
 * `prove --print-proof --json`, for any RFC 9162 verifier (the receipt was
 * verified under the pinned key first). */
static int save_proof(const struct cli *c, const struct manne_receipt *r, const struct manne_checkpoint *cp)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	FILE *f = fopen(cli_value(c, OPT_SAVE_PROOF), "wx");
	int ok;

	if (f == NULL)
		return -1;
	ok = fprintf(f, "{\"index\":%llu,\"tree_size\":%llu,", (unsigned long long)r->leaf_index,
		     (unsigned long long)cp->tree_size) > 0;
	sodium_bin2base64(b64, sizeof(b64), cp->root, 32, sodium_base64_VARIANT_ORIGINAL);
	ok = ok && fprintf(f, "\"root\":\"%s\",", b64) > 0;
	sodium_bin2base64(b64, sizeof(b64), r->leaf_hash, 32, sodium_base64_VARIANT_ORIGINAL);
	ok = ok && fprintf(f, "\"leaf_hash\":\"%s\",\"proof\":[", b64) > 0;
	for (size_t i = 0; ok && i < r->proof_count; i++) {
		sodium_bin2base64(b64, sizeof(b64), r->proof[i], 32, sodium_base64_VARIANT_ORIGINAL);
		ok = fprintf(f, "%s\"%s\"", i == 0 ? "" : ",", b64) > 0;
	}
	ok = ok && fprintf(f, "]}\n") > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

int cli_report_receipt(const struct cli *c, struct manne *m, const char *kind, const struct manne_receipt *r,
		       const struct manne_entry *reconversion)
{
	uint8_t key[32];
	bool given;
	enum manne_status status;

	if (!cli_checkpoint_key(c, key, &given))
		return EXIT_USAGE;
	if (given) {
		struct manne_checkpoint *cp = malloc(sizeof(*cp));
		status = cp == NULL ? MANNE_ERR_NO_MEMORY : manne_receipt_verify(r, manne_origin(m), key, cp);
		if (status == MANNE_OK && cli_value(c, OPT_SAVE_PROOF) != NULL && save_proof(c, r, cp) != 0)
			status = MANNE_ERR_IO;
		free(cp);
		if (status == MANNE_ERR_IO)
			return cli_fail(c, status, "cannot write the proof file (it must not exist)");
		if (status != MANNE_OK)
			return cli_fail(c, status, "the receipt's checkpoint or inclusion proof does not verify under the pinned key");
	}
	out_begin(c);
	out_receipt(c, kind, r);
	if (reconversion != NULL) {
		/* What the partner will receive: the fee is fixed now, at today's rate. */
		out_euros(c, "fee", "fee kept by the association", reconversion->fee);
		out_euros(c, "to_wire", "euros to be wired to you", reconversion->amount - reconversion->fee);
	}
	out_str(c, "proof", "proof",
		given ? _("verified against the pinned checkpoint key") : _("not checked (pin --checkpoint-key)"));
	out_end(c);
	return EXIT_DONE;
}

int cli_load_keys(const struct cli *c, enum cli_opt opt, struct manne_key *keys, size_t *count)
{
	*count = 0;
	for (size_t i = 0; i < c->counts[opt]; i++) {
		int rc = cli_load_key(c, c->values[opt][i], &keys[i]);
		if (rc != 0) {
			for (size_t k = 0; k < i; k++)
				manne_key_wipe(&keys[k]);
			return rc;
		}
		(*count)++;
	}
	return 0;
}

static bool parse_word(const char *what, const char *s, const char *const *words, size_t n, int *out)
{
	for (size_t i = 1; s != NULL && i < n; i++) {
		if (words[i] != NULL && strcmp(s, words[i]) == 0) {
			*out = (int)i;
			return true;
		}
	}
	/* (The option's name outside the translated text: UBSan's checks make
	 * GCC see a null format in a translated one here.) */
	fprintf(stderr, "manne: --%s %s", what, _("must be one of:"));
	for (size_t i = 1; i < n; i++)
		if (words[i] != NULL)
			fprintf(stderr, " %s", words[i]);
	fputc('\n', stderr);
	return false;
}

#define WORDS(a) a, sizeof(a) / sizeof(a[0])
static const char *const roles[] = {NULL, "member", "shop", "producer", "auditor", NULL, "counter"};
static const char *const actions[] = {NULL, "unfreeze", "limits", "close"};
static const char *const issue_reasons[] = {NULL, "participation", "allowance", "purchase", "grant"};
static const char *const release_reasons[] = {NULL, "surplus", "fees", "bank-charges", "correction"};
static const char *const outcomes[] = {NULL, "paid", "rejected"};

/* Everything a transaction's fields point to while it is built. */
struct tx_fields {
	uint8_t account[32], new_account[32], txid[32];
	struct manne_payment_request request;  /* pay --request */
	uint8_t board[MANNE_BOARD_KEYS_MAX][32];
	const uint8_t *board_ptrs[MANNE_BOARD_KEYS_MAX];
};

/* Fills tx from the options of kind; new_keys are the co-signers loaded already. */
static bool fill_tx(const struct cli *c, enum manne_kind kind, struct manne_tx *tx, struct tx_fields *f,
		    const struct manne_key *new_keys, size_t new_count)
{
	uint64_t v;

	memset(tx, 0, sizeof(*tx));
	memset(f, 0, sizeof(*f));
	tx->kind = kind;
	switch (kind) {
	case MANNE_KIND_PAY:
		tx->account = f->account;
		tx->text = cli_value(c, OPT_MEMO);
		tx->reference = cli_value(c, OPT_REFERENCE);
		if (cli_value(c, OPT_REQUEST) != NULL) {
			/* SPEC §11: everything but the payer comes from the request. */
			if (cli_flag(c, OPT_TO) || cli_flag(c, OPT_AMOUNT) || cli_flag(c, OPT_REFERENCE)) {
				fputs(_("manne: --request gives the payee, the amount and the order number\n"), stderr);
				return false;
			}
			if (manne_request_parse(cli_value(c, OPT_REQUEST), &f->request) != MANNE_OK) {
				fputs(_("manne: --request is not a payment request (manne:PAYEE?amount=..&reference=..&origin=..)\n"),
				      stderr);
				return false;
			}
			memcpy(f->account, f->request.payee, 32);
			tx->amount = f->request.amount;
			tx->reference = f->request.reference;
			tx->counter = f->request.has_counter ? f->request.counter : NULL;
			return true;
		}
		return cli_parse_public(c, "to", cli_value(c, OPT_TO), f->account) &&
		       cli_parse_amount("amount", cli_value(c, OPT_AMOUNT), &tx->amount);
	case MANNE_KIND_REFUND:
		tx->txid = f->txid;
		tx->text = cli_value(c, OPT_MEMO);
		return cli_parse_hex32("payment", cli_value(c, OPT_PAYMENT), f->txid) &&
		       cli_parse_amount("amount", cli_value(c, OPT_AMOUNT), &tx->amount);
	case MANNE_KIND_REDEEM:
		return cli_parse_amount("amount", cli_value(c, OPT_AMOUNT), &tx->amount);
	case MANNE_KIND_FREEZE:
	case MANNE_KIND_RETIRE_DORMANT:
		tx->account = f->account;
		tx->text = cli_value(c, OPT_REASON);
		return cli_parse_public(c, "account", cli_value(c, OPT_ACCOUNT), f->account);
	case MANNE_KIND_OPEN_ACCOUNT:
		tx->account = f->account;
		tx->card_held = cli_flag(c, OPT_CARD);
		tx->reference = cli_value(c, OPT_REFERENCE);
		if (cli_value(c, OPT_ACCOUNT) == NULL && new_count == 1)
			memcpy(f->account, new_keys[0].public_key, 32);
		else if (!cli_parse_public(c, "account", cli_value(c, OPT_ACCOUNT), f->account))
			return false;
		return parse_word("role", cli_value(c, OPT_ROLE), WORDS(roles), &tx->code) &&
		       (cli_value(c, OPT_MAX_PAYMENT) == NULL ||
			cli_parse_amount("max-payment", cli_value(c, OPT_MAX_PAYMENT), &tx->max_payment)) &&
		       (cli_value(c, OPT_MAX_DAILY) == NULL ||
			cli_parse_amount("max-daily", cli_value(c, OPT_MAX_DAILY), &tx->max_daily));
	case MANNE_KIND_SET_ACCOUNT:
		tx->account = f->account;
		return cli_parse_public(c, "account", cli_value(c, OPT_ACCOUNT), f->account) &&
		       parse_word("action", cli_value(c, OPT_ACTION), WORDS(actions), &tx->code) &&
		       (cli_value(c, OPT_MAX_PAYMENT) == NULL ||
			cli_parse_amount("max-payment", cli_value(c, OPT_MAX_PAYMENT), &tx->max_payment)) &&
		       (cli_value(c, OPT_MAX_DAILY) == NULL ||
			cli_parse_amount("max-daily", cli_value(c, OPT_MAX_DAILY), &tx->max_daily));
	case MANNE_KIND_RECOVER_ACCOUNT:
		tx->account = f->account;
		tx->new_account = f->new_account;
		if (cli_value(c, OPT_NEW_ACCOUNT) == NULL && new_count == 1)
			memcpy(f->new_account, new_keys[0].public_key, 32);
		else if (!cli_parse_public(c, "new-account", cli_value(c, OPT_NEW_ACCOUNT), f->new_account))
			return false;
		return cli_parse_public(c, "account", cli_value(c, OPT_ACCOUNT), f->account);
	case MANNE_KIND_FUND_RESERVE:
		tx->text = cli_value(c, OPT_BANK_REFERENCE);
		return cli_parse_amount("amount", cli_value(c, OPT_AMOUNT), &tx->amount);
	case MANNE_KIND_RELEASE_RESERVE:
		tx->text = cli_value(c, OPT_BANK_REFERENCE);
		return cli_parse_amount("amount", cli_value(c, OPT_AMOUNT), &tx->amount) &&
		       parse_word("reason", cli_value(c, OPT_REASON), WORDS(release_reasons), &tx->code);
	case MANNE_KIND_ISSUE:
		tx->account = f->account;
		tx->text = cli_value(c, OPT_PROGRAMME);
		tx->reference = cli_value(c, OPT_REFERENCE);
		return cli_parse_public(c, "to", cli_value(c, OPT_TO), f->account) &&
		       cli_parse_amount("amount", cli_value(c, OPT_AMOUNT), &tx->amount) &&
		       parse_word("reason", cli_value(c, OPT_REASON), WORDS(issue_reasons), &tx->code);
	case MANNE_KIND_REVERSE_ISSUE:
		tx->txid = f->txid;
		tx->text = cli_value(c, OPT_REASON);
		return cli_parse_hex32("issue", cli_value(c, OPT_ISSUE), f->txid) &&
		       cli_parse_amount("amount", cli_value(c, OPT_AMOUNT), &tx->amount);
	case MANNE_KIND_SETTLE_REDEMPTION:
		tx->txid = f->txid;
		tx->text = cli_value(c, OPT_BANK_REFERENCE);
		if (!cli_parse_hex32("redeem", cli_value(c, OPT_REDEEM), f->txid) ||
		    !parse_word("outcome", cli_value(c, OPT_OUTCOME), WORDS(outcomes), &tx->code))
			return false;
		/* Paid means euros wired: the transfer's reference says which (SPEC §4). */
		if (tx->code == 1 && (tx->text == NULL || tx->text[0] == '\0')) {
			fprintf(stderr, "%s\n", _("manne: --outcome paid needs --bank-reference: the reference of the transfer made"));
			return false;
		}
		return true;
	case MANNE_KIND_SET_LEDGER:
		if (!cli_parse_u64("fee-bp", cli_value(c, OPT_FEE_BP), 0, 10000, &v))
			return false;
		tx->fee_bp = (uint32_t)v;
		return true;
	case MANNE_KIND_SET_BOARD:
		if (c->counts[OPT_BOARD] == 0 || c->counts[OPT_BOARD] > MANNE_BOARD_KEYS_MAX) {
			fputs(_("manne: --board names each key of the new board (1..16)\n"), stderr);
			return false;
		}
		for (size_t i = 0; i < c->counts[OPT_BOARD]; i++) {
			if (!cli_parse_public(c, "board", c->values[OPT_BOARD][i], f->board[i]))
				return false;
			f->board_ptrs[i] = f->board[i];
		}
		tx->keys = f->board_ptrs;
		tx->key_count = c->counts[OPT_BOARD];
		if (!cli_parse_u64("threshold", cli_value(c, OPT_THRESHOLD), 1, tx->key_count, &v))
			return false;
		tx->threshold = (uint32_t)v;
		return true;
	case MANNE_KIND_SET_CHECKPOINT_KEY:
		if (cli_value(c, OPT_CHECKPOINT) == NULL && new_count == 1)
			memcpy(f->board[0], new_keys[0].public_key, 32);
		else if (!cli_parse_public(c, "checkpoint", cli_value(c, OPT_CHECKPOINT), f->board[0]))
			return false;
		f->board_ptrs[0] = f->board[0];
		tx->keys = f->board_ptrs;
		tx->key_count = 1;
		return true;
	case MANNE_KIND_VOID:
		tx->txid = f->txid;
		return cli_parse_hex32("txid", cli_value(c, OPT_TXID), f->txid);
	default:
		return false;
	}
}

/* prepare: the body for --out, with the signatures of any --key and --new-key given. */
static int prepare(struct cli *c, struct manne *m, const struct manne_tx *tx, uint64_t valid_ms,
		   const struct manne_key *signers, size_t signer_count)
{
	struct prepared p = {0};
	char *description;
	uint8_t txid[32];
	enum manne_status status;
	int rc;

	if (cli_value(c, OPT_SIGNATURES_NEEDED) != NULL &&
	    !cli_parse_u64("signatures-needed", cli_value(c, OPT_SIGNATURES_NEEDED), 1, MANNE_SIGNATURES_MAX, &p.needed))
		return EXIT_USAGE;
	status = manne_body_build(manne_origin(m), manne_genesis_id(m), tx, NULL, 0, valid_ms, (uint64_t)time(NULL) * 1000U,
				  &p.body, &p.body_len);
	if (status != MANNE_OK)
		return cli_fail(c, status, "a field is missing, over its limit or out of range (see --help)");
	for (size_t i = 0; i < signer_count && status == MANNE_OK; i++, p.sig_count++)
		status = manne_body_sign(p.body, p.body_len, &signers[i], &p.sigs[i]);
	rc = status == MANNE_OK ? prepared_write(c, cli_value(c, OPT_OUT), &p, true) : cli_fail(c, status, NULL);
	description = rc == 0 ? malloc(DESCRIPTION_BYTES) : NULL;
	if (rc == 0 && description == NULL)
		rc = cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	if (rc == 0 && (rc = describe(c, &p, description, txid)) == 0) {
		out_begin(c);
		out_bool(c, "ok", NULL, true);
		out_str(c, "file", "prepared", cli_value(c, OPT_OUT));
		out_hex(c, "txid", "txid", txid, 32);
		out_text(c, description);
		out_str(c, "description", NULL, description);
		print_signatures(c, &p);
		out_text(c, _("next: each board member runs `manne sign FILE --key THEIR.key`, then `manne submit FILE`\n"));
		out_end(c);
	}
	free(description);
	prepared_free(&p);
	return rc;
}

/* A payment over a limit or the balance: the figures that decide it, as
 * the payer's own reads give them (SPEC §6: the payer sees its account). */
static int refusal_with_figures(const struct cli *c, struct manne *m, const struct manne_key *payer,
				enum manne_status status)
{
	struct manne_account a;
	char text[400], x[32], y[32], z[32];

	if (manne_authenticate(m, payer) != MANNE_OK || manne_account(m, payer->public_key, &a) != MANNE_OK)
		return cli_fail(c, status, NULL);
	if (status == MANNE_ERR_INSUFFICIENT_FUNDS) {
		format_amount(x, sizeof(x), a.balance);
		snprintf(text, sizeof(text), _("the balance is too small: balance %s"), x);
		return cli_fail_with(c, status, text, "balance", a.balance);
	}
	format_amount(x, sizeof(x), a.max_payment);
	format_amount(y, sizeof(y), a.max_daily);
	format_amount(z, sizeof(z), a.remaining_today);
	snprintf(text, sizeof(text), _("over a maximum: per payment %s, per day %s, of which %s left today"),
		 a.max_payment != 0 ? x : _("no limit"), a.max_daily != 0 ? y : _("no limit"), a.max_daily != 0 ? z : _("all"));
	return cli_fail_with(c, status, text, "remaining_today", a.remaining_today);
}

/* A board act refused for the fund or an account's content: the figures
 * that decide it, from what the board may read (the checkpoint's totals,
 * the account). */
static int board_refusal_with_figures(const struct cli *c, struct manne *m, const struct manne_key *member,
				      const uint8_t account[32], enum manne_status status, const char *detail)
{
	char text[400], x[48], y[48], z[48];

	if (status == MANNE_ERR_BACKING_EXCEEDED) {
		struct manne_checkpoint *cp = malloc(sizeof(*cp));
		uint8_t key[32];
		bool pinned = false;
		if (cp == NULL || !cli_checkpoint_key(c, key, &pinned) ||
		    manne_checkpoint_fetch(m, pinned ? key : NULL, cp, NULL) != MANNE_OK) {
			free(cp);
			return cli_fail_detail(c, status, detail);
		}
		const struct manne_totals *t = &cp->totals;
		uint64_t margin = t->reserve > t->outstanding ? t->reserve - t->outstanding : 0;
		format_euros(x, sizeof(x), t->reserve);
		format_amount(y, sizeof(y), t->outstanding);
		format_euros(z, sizeof(z), margin);
		free(cp);
		snprintf(text, sizeof(text),
			 _("the guarantee fund would no longer cover the credits in circulation: reserve %s, in circulation "
			   "%s, margin %s"),
			 x, y, z);
		return cli_fail_with(c, status, text, "margin", margin);
	}
	struct manne_account a;
	if (manne_authenticate(m, member) != MANNE_OK || manne_account(m, account, &a) != MANNE_OK)
		return cli_fail_detail(c, status, detail);
	format_amount(x, sizeof(x), a.balance);
	format_amount(y, sizeof(y), a.pending_redemptions);
	snprintf(text, sizeof(text), _("the account still holds %s, and %s in reconversions not yet settled"), x, y);
	return cli_fail_with(c, status, text, "balance", a.balance);
}

int cmd_tx(struct cli *c, enum manne_kind kind)
{
	struct manne_key *keys;
	struct manne_tx tx;
	struct tx_fields f;
	const struct manne_key *signers[MANNE_SIGNATURES_MAX];
	struct manne_receipt receipt;
	struct manne *m = NULL;
	size_t key_count = 0, new_count = 0;
	uint64_t days = 7;
	bool account_act = kind == MANNE_KIND_PAY || kind == MANNE_KIND_REFUND || kind == MANNE_KIND_REDEEM;
	enum manne_status status;
	int rc;

	if (c->counts[OPT_KEY] + c->counts[OPT_NEW_KEY] > MANNE_SIGNATURES_MAX)
		return cli_usage_error(c, "at most %u signing keys", MANNE_SIGNATURES_MAX);
	if (cli_value(c, OPT_VALID_DAYS) != NULL && !cli_parse_u64("valid-days", cli_value(c, OPT_VALID_DAYS), 1, 31, &days))
		return EXIT_USAGE;
	if (account_act && c->counts[OPT_KEY] != 1)
		return cli_usage_error(c, "%s is signed by one --key: the account's", c->command);
	if (cli_value(c, OPT_SAVE_PROOF) != NULL && cli_value(c, OPT_CHECKPOINT_KEY) == NULL)
		return cli_usage_error(c, "--save-proof needs --checkpoint-key: the root saved is the one it verifies");
	if (!account_act && !cli_flag(c, OPT_OUT) && c->counts[OPT_KEY] == 0)
		return cli_usage_error(c, "give the signing board members' --key files, or --out FILE to prepare the act");
	keys = calloc(MANNE_SIGNATURES_MAX, sizeof(*keys));
	if (keys == NULL)
		return cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	rc = cli_load_keys(c, OPT_KEY, keys, &key_count);
	if (rc == 0) {
		rc = cli_load_keys(c, OPT_NEW_KEY, keys + key_count, &new_count);
		if (rc != 0)
			for (size_t i = 0; i < key_count; i++)
				manne_key_wipe(&keys[i]);
	}
	if (rc != 0) {
		free(keys);
		return rc;
	}
	if (!fill_tx(c, kind, &tx, &f, keys + key_count, new_count)) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_connect(c, &m);
	if (rc != 0)
		goto out;
	if (f.request.origin[0] != '\0' && strcmp(f.request.origin, manne_origin(m)) != 0) {
		rc = cli_fail(c, MANNE_ERR_WRONG_LEDGER, "the payment request is for another ledger: nothing was signed");
		goto out;
	}
	for (size_t i = 0; i < key_count + new_count; i++)
		signers[i] = &keys[i];
	if (cli_flag(c, OPT_OUT)) {
		if (kind == MANNE_KIND_FREEZE && key_count == 1 && memcmp(keys[0].public_key, f.account, 32) == 0) {
			rc = cli_usage_error(c, "an account freezing itself signs at once: leave out --out");
			goto out;
		}
		rc = prepare(c, m, &tx, days * DAY_MS, keys, key_count + new_count);
		goto out;
	}
	status = manne_submit_tx(m, &tx, signers, key_count + new_count, days * DAY_MS, &receipt);
	if (status != MANNE_OK) {
		if (account_act && (status == MANNE_ERR_LIMIT_EXCEEDED || status == MANNE_ERR_INSUFFICIENT_FUNDS))
			rc = refusal_with_figures(c, m, &keys[0], status);
		else if (!account_act && key_count > 0 &&
			 (status == MANNE_ERR_BACKING_EXCEEDED ||
			  (status == MANNE_ERR_ACCOUNT_NOT_EMPTY && kind == MANNE_KIND_SET_ACCOUNT)))
			rc = board_refusal_with_figures(c, m, &keys[0], f.account, status, manne_message(m));
		else
			rc = cli_fail_detail(c, status, manne_message(m));
		goto out;
	}
	/* A reconversion's receipt says what will be wired, read back as the
	 * ledger fixed it (the signer may read its own transaction). */
	struct manne_entry redeemed;
	bool figures = kind == MANNE_KIND_REDEEM && manne_authenticate(m, &keys[0]) == MANNE_OK &&
		       manne_tx_get(m, receipt.txid, &redeemed) == MANNE_OK && strcmp(redeemed.kind, "redeem") == 0 &&
		       redeemed.amount == tx.amount && redeemed.fee <= redeemed.amount;
	rc = cli_report_receipt(c, m, manne_kind_name(kind), &receipt, figures ? &redeemed : NULL);
out:
	for (size_t i = 0; i < key_count + new_count; i++)
		manne_key_wipe(&keys[i]);
	free(keys);
	manne_close(m);
	return rc;
}

int cmd_show(struct cli *c)
{
	struct prepared p;
	struct manne_key key;
	char *description = malloc(DESCRIPTION_BYTES);
	uint8_t txid[32];
	bool have_key = false;
	int rc;

	if (description == NULL)
		return cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	if (c->counts[OPT_KEY] > 1) {
		free(description);
		return cli_usage_error(c, "show takes one --key: yours, to read a settlement's figures");
	}
	rc = prepared_read(c, c->args[0], &p);
	if (rc == 0) {
		rc = describe(c, &p, description, txid);
		if (rc == 0 && cli_value(c, OPT_KEY) != NULL) {
			rc = cli_load_key(c, cli_value(c, OPT_KEY), &key);
			have_key = rc == 0;
		}
		if (rc == 0) {
			out_begin(c);
			out_bool(c, "ok", NULL, true);
			out_text(c, description);
			out_str(c, "description", NULL, description);
			out_hex(c, "txid", NULL, txid, 32);
			cli_settle_figures(c, p.body, p.body_len, have_key ? &key : NULL, false);
			print_signatures(c, &p);
			out_end(c);
		}
		if (have_key)
			manne_key_wipe(&key);
		prepared_free(&p);
	}
	free(description);
	return rc;
}

/* Asks on the terminal; true only for "yes" (or "oui"). */
static bool confirm(const char *question)
{
	char answer[16] = "";
	FILE *tty = fopen("/dev/tty", "r+");

	if (tty == NULL)
		return false;
	fputs(question, tty);
	fflush(tty);
	if (fgets(answer, sizeof(answer), tty) == NULL)
		answer[0] = '\0';
	fclose(tty);
	answer[strcspn(answer, "\r\n")] = '\0';
	return strcmp(answer, "yes") == 0 || strcmp(answer, "oui") == 0;
}

int cmd_sign(struct cli *c)
{
	struct prepared p;
	struct manne_key key;
	char *description = malloc(DESCRIPTION_BYTES), hex[65], question[256];
	uint8_t txid[32];
	enum manne_status status;
	int rc;

	if (description == NULL)
		return cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	if (c->counts[OPT_KEY] != 1) {
		free(description);
		return cli_usage_error(c, "sign needs exactly one --key: yours");
	}
	rc = prepared_read(c, c->args[0], &p);
	if (rc != 0) {
		free(description);
		return rc;
	}
	rc = describe(c, &p, description, txid);
	if (rc == 0)
		rc = check_validity(c, &p);
	if (rc == 0)
		rc = cli_load_key(c, cli_value(c, OPT_KEY), &key);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < p.sig_count; i++)
		if (memcmp(p.sigs[i].public_key, key.public_key, 32) == 0)
			rc = cli_fail(c, MANNE_ERR_ARGUMENT, "this key has signed the file already");
	if (rc == 0 && p.sig_count >= MANNE_SIGNATURES_MAX)
		rc = cli_fail(c, MANNE_ERR_ARGUMENT, "the file holds the most signatures a transaction may carry");
	if (rc != 0)
		goto wipe;
	/* Every field in words, on stderr so that --json stays one object. */
	sodium_bin2hex(hex, sizeof(hex), key.public_key, 32);
	fprintf(stderr, _("You are asked to sign this transaction:\n\n%s\nwith the key %s.\n"), description, hex);
	cli_settle_figures(c, p.body, p.body_len, &key, true);
	snprintf(question, sizeof(question), "%s", _("Type yes (or oui) to sign it: "));
	if (!cli_flag(c, OPT_YES) && !confirm(question)) {
		fprintf(stderr, "%s%s\n", _("manne sign: not signed"),
			isatty(STDIN_FILENO) ? "" : _(" (no terminal to ask on: after reading the fields above, --yes signs)"));
		if (c->json)
			printf("{\"ok\":false,\"status\":\"declined\",\"exit\":%d,\"message\":\"not signed\"}\n", EXIT_DECLINED);
		rc = EXIT_DECLINED;
		goto wipe;
	}
	status = manne_body_sign(p.body, p.body_len, &key, &p.sigs[p.sig_count]);
	if (status != MANNE_OK) {
		rc = cli_fail(c, status, NULL);
		goto wipe;
	}
	p.sig_count++;
	rc = prepared_write(c, c->args[0], &p, false);
	if (rc == 0) {
		out_begin(c);
		out_bool(c, "ok", NULL, true);
		out_str(c, "file", "signed", c->args[0]);
		out_hex(c, "txid", "txid", txid, 32);
		out_hex(c, "signer", "signer", key.public_key, 32);
		print_signatures(c, &p);
		out_end(c);
	}
wipe:
	manne_key_wipe(&key);
out:
	free(description);
	prepared_free(&p);
	return rc;
}

int cmd_submit(struct cli *c)
{
	struct prepared p;
	struct manne_receipt receipt;
	struct manne *m = NULL;
	char *description = malloc(DESCRIPTION_BYTES), kind[40], why[128];
	uint8_t txid[32];
	enum manne_status status;
	int rc;

	if (description == NULL)
		return cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	rc = prepared_read(c, c->args[0], &p);
	if (rc != 0) {
		free(description);
		return rc;
	}
	rc = describe(c, &p, description, txid);
	if (rc == 0 && (p.sig_count == 0 || p.sig_count < p.needed)) {
		snprintf(why, sizeof(why), _("the file holds %zu signatures; %llu are needed"), p.sig_count,
			 (unsigned long long)(p.needed != 0 ? p.needed : 1));
		rc = cli_fail(c, MANNE_ERR_NOT_ENOUGH_SIGNATURES, why);
	}
	if (rc == 0)
		rc = cli_connect(c, &m);
	if (rc == 0) {
		body_kind(description, kind, sizeof(kind));
		status = manne_submit_signed(m, p.body, p.body_len, p.sigs, p.sig_count, &receipt);
		rc = status == MANNE_OK ? cli_report_receipt(c, m, kind, &receipt, NULL) : cli_fail_detail(c, status, manne_message(m));
	}
	manne_close(m);
	free(description);
	prepared_free(&p);
	return rc;
}
