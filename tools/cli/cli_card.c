/*
 * cli_card.c: cards for members without a smartphone (SPEC §10,
 * docs/cards.md), the board's side and the till's:
 *
 *   manne card new --account MEMBER.key --out CARD.txt [--png CARD.png] [--pin-file F] --key BOARD.key...
 *   manne card pay --card CARD.txt --to SHOP --amount X [--pin-file F] --key TILL.key
 *   manne card unlock --account A --key BOARD.key...
 *   manne card renew --account OLD --out CARD.txt [--png CARD.png] [--new-key F] --key BOARD.key...
 *
 * What the cashier reads at the till is in the till's language (French
 * under LANG=fr_FR.UTF-8); the member's key exists in the clear only in
 * memory, for as long as it takes to seal or to sign.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "card_png.h"
#include "cli.h"

#define PIN_BYTES 16U
#define CARD_FILE_BYTES_MAX 4096U
/* SPEC §10: a card's daily maximum bounds what a till that saw the card and
 * its PIN could charge; a new card account gets this unless --max-daily. */
#define CARD_MAX_DAILY_DEFAULT 3000U

/* The PIN from --pin-file, or asked on the terminal (twice for a new card). */
static int read_pin(const struct cli *c, bool twice, char pin[PIN_BYTES])
{
	char again[PIN_BYTES];
	const char *path = cli_value(c, OPT_PIN_FILE);
	int rc = 0;

	if (path != NULL) {
		if (cli_read_secret_line(path, pin, PIN_BYTES) != 0)
			rc = cli_fail(c, MANNE_ERR_IO, "cannot read the PIN file");
	} else if (cli_prompt_secret(_("The card's PIN (4 to 6 digits): "), pin, PIN_BYTES) != 0) {
		rc = cli_usage_error(c, "no terminal to ask the PIN on: give --pin-file");
	} else if (twice) {
		if (cli_prompt_secret(_("The same PIN again: "), again, sizeof(again)) != 0 ||
		    strcmp(pin, again) != 0)
			rc = cli_usage_error(c, "the two PINs differ");
		sodium_memzero(again, sizeof(again));
	}
	if (rc != 0)
		sodium_memzero(pin, PIN_BYTES); /* what was read of it */
	return rc;
}

/* Writes text and a newline to a new file, 0600. */
static int write_new_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	size_t len = strlen(text);
	bool ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	if (close(fd) != 0 || !ok) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* The board members present (--key each) and the connection their acts go through. */
struct board_session {
	struct manne_key keys[MANNE_SIGNATURES_MAX];
	const struct manne_key *board[MANNE_SIGNATURES_MAX];
	size_t count;
	struct manne *m;
};

static int board_open(const struct cli *c, struct board_session *b)
{
	memset(b, 0, sizeof(*b));
	if (c->counts[OPT_KEY] == 0)
		return cli_usage_error(c, "give the signing board members' --key files");
	int rc = cli_load_keys(c, OPT_KEY, b->keys, &b->count);
	for (size_t i = 0; rc == 0 && i < b->count; i++)
		b->board[i] = &b->keys[i];
	return rc == 0 ? cli_connect(c, &b->m) : rc;
}

static void board_close(struct board_session *b)
{
	for (size_t i = 0; i < b->count; i++)
		manne_key_wipe(&b->keys[i]);
	manne_close(b->m);
}

static bool argon_limits(const struct cli *c, uint32_t *passes, uint64_t *memory_kib)
{
	uint64_t p = 2, kib = 65536;
	if ((cli_value(c, OPT_ARGON_PASSES) != NULL &&
	     !cli_parse_u64("argon-passes", cli_value(c, OPT_ARGON_PASSES), 1, 10, &p)) ||
	    (cli_value(c, OPT_ARGON_MEMORY_KIB) != NULL &&
	     !cli_parse_u64("argon-memory-kib", cli_value(c, OPT_ARGON_MEMORY_KIB), 8, 262144, &kib)))
		return false;
	*passes = (uint32_t)p;
	*memory_kib = kib;
	return true;
}

/* Seals member into a card, writes --out (and --png), registers it: the
 * file first, so that a card the ledger knows always exists on paper; a
 * refused registration removes it. */
static int issue_card(const struct cli *c, struct manne *m, const struct manne_key *const *board, size_t board_count,
		      const struct manne_key *member)
{
	uint8_t ledger_key[32], pin_check[MANNE_CARD_PIN_CHECK_BYTES];
	struct manne_card card;
	struct manne_receipt receipt;
	char pin[PIN_BYTES], why[300], short_id[MANNE_SHORT_ID_BYTES];
	const char *out = cli_value(c, OPT_CARD_OUT), *png = cli_value(c, OPT_PNG);
	char default_out[32];
	uint32_t passes;
	uint64_t memory_kib;
	enum manne_status status;
	int rc;

	if (out == NULL) {
		/* card-C4208760.txt: the short id the QR image shows, in the current directory. */
		snprintf(default_out, sizeof(default_out), "card-%02X%02X%02X%02X.txt", member->public_key[0],
			 member->public_key[1], member->public_key[2], member->public_key[3]);
		out = default_out;
	}
	if (!argon_limits(c, &passes, &memory_kib))
		return EXIT_USAGE;
	rc = read_pin(c, true, pin);
	if (rc != 0)
		return rc;
	status = manne_card_ledger_key(m, ledger_key);
	if (status == MANNE_OK)
		status = manne_card_seal(member, pin, ledger_key, passes, memory_kib, &card, pin_check);
	sodium_memzero(pin, sizeof(pin));
	if (status == MANNE_ERR_PIN_FORMAT)
		return cli_fail(c, status, "a PIN is 4 to 6 digits, not one digit repeated nor a run such as 1234");
	if (status != MANNE_OK)
		return cli_fail_detail(c, status, manne_message(m));
	if (write_new_file(out, card.text) != 0)
		return cli_fail(c, MANNE_ERR_IO, "cannot create the card file (it must not exist)");
	if (png != NULL && card_png_write(png, card.text, card.account, why, sizeof(why)) != 0) {
		unlink(out);
		return cli_fail(c, MANNE_ERR_IO, why);
	}
	status = manne_card_register(m, board, board_count, card.account, pin_check, &receipt);
	if (status != MANNE_OK) {
		unlink(out);
		if (png != NULL)
			unlink(png);
		return cli_fail_detail(c, status, manne_message(m));
	}
	manne_short_id(card.account, short_id);
	out_begin(c);
	out_receipt(c, "set_card", &receipt);
	out_hex(c, "account", "account", card.account, 32);
	out_str(c, "short_id", "short id (printed under the QR code)", short_id);
	out_str(c, "card_file", "card", out);
	if (png != NULL)
		out_str(c, "png", "printable image", png);
	out_text(c, _("next: hand the card over with its PIN apart; destroy the member's key file (the card is its only "
		      "copy the member needs)\n"));
	out_end(c);
	return EXIT_DONE;
}

/* The member's key: --account must be its key file (the card seals it). */
static int member_key(const struct cli *c, enum cli_opt opt, struct manne_key *out)
{
	const char *path = cli_value(c, opt);
	if (path == NULL || access(path, F_OK) != 0)
		return cli_usage_error(c, "--%s: the member's key file is needed to seal it into a card",
				       opt == OPT_ACCOUNT ? "account" : "new-key");
	return cli_load_key(c, path, out);
}

int cmd_card_new(struct cli *c)
{
	static struct board_session b;
	struct manne_key member;
	uint64_t max_payment = 0, max_daily = CARD_MAX_DAILY_DEFAULT;
	enum manne_status status;
	int rc;

	if ((cli_value(c, OPT_MAX_PAYMENT) != NULL &&
	     !cli_parse_amount("max-payment", cli_value(c, OPT_MAX_PAYMENT), &max_payment)) ||
	    (cli_value(c, OPT_MAX_DAILY) != NULL && !cli_parse_amount("max-daily", cli_value(c, OPT_MAX_DAILY), &max_daily)))
		return EXIT_USAGE;
	if (max_daily == 0)
		return cli_usage_error(c, "a card account keeps a daily maximum: it bounds what a till that saw the PIN can take");
	if ((rc = member_key(c, OPT_ACCOUNT, &member)) != 0)
		return rc;
	rc = board_open(c, &b);
	if (rc == 0) {
		/* A member without an account yet gets a card-held one; an existing
		 * card-held account gets a new card (its old one stops opening). */
		const struct manne_key *signers[MANNE_SIGNATURES_MAX + 1];
		memcpy(signers, b.board, b.count * sizeof(b.board[0]));
		signers[b.count] = &member;
		struct manne_tx open = {.kind = MANNE_KIND_OPEN_ACCOUNT, .account = member.public_key,
					.code = MANNE_ROLE_MEMBER, .max_payment = max_payment, .max_daily = max_daily,
					.card_held = true, .reference = cli_value(c, OPT_REFERENCE)};
		status = manne_submit_tx(b.m, &open, signers, b.count + 1, 0, NULL);
		if (status != MANNE_OK && status != MANNE_ERR_KEY_ALREADY_USED)
			rc = cli_fail_detail(c, status, manne_message(b.m));
	}
	if (rc == 0)
		rc = issue_card(c, b.m, b.board, b.count, &member);
	manne_key_wipe(&member);
	board_close(&b);
	return rc;
}

int cmd_card_renew(struct cli *c)
{
	static struct board_session b;
	struct manne_key member;
	uint8_t old[32];
	enum manne_status status;
	int rc = 0;

	if (!cli_parse_public(c, "account", cli_value(c, OPT_ACCOUNT), old))
		return EXIT_USAGE;
	/* Without --new-key the new key is made here and lives only on the card. */
	if (cli_value(c, OPT_NEW_KEY) != NULL)
		rc = member_key(c, OPT_NEW_KEY, &member);
	else
		manne_key_generate(&member);
	if (rc != 0)
		return rc;
	rc = board_open(c, &b);
	if (rc == 0) {
		/* Moves balance, limits and daily usage to the new key; the old
		 * card's key is closed for ever. Already done to this key (by
		 * recover-account --new-key): go on to the card. */
		status = manne_recover_account(b.m, b.board, b.count, old, &member, NULL);
		if (status != MANNE_OK && !(status == MANNE_ERR_KEY_ALREADY_USED && cli_value(c, OPT_NEW_KEY) != NULL))
			rc = cli_fail_detail(c, status, manne_message(b.m));
	}
	if (rc == 0)
		rc = issue_card(c, b.m, b.board, b.count, &member);
	manne_key_wipe(&member);
	board_close(&b);
	return rc;
}

int cmd_card_unlock(struct cli *c)
{
	static struct board_session b;
	struct manne_receipt receipt;
	uint8_t account[32];
	enum manne_status status;
	int rc;

	if (!cli_parse_public(c, "account", cli_value(c, OPT_ACCOUNT), account))
		return EXIT_USAGE;
	rc = board_open(c, &b);
	if (rc == 0) {
		status = manne_card_unlock_board(b.m, b.board, b.count, account, &receipt);
		rc = status == MANNE_OK ? cli_report_receipt(c, b.m, "set_card", &receipt, NULL)
					: cli_fail_detail(c, status, manne_message(b.m));
	}
	board_close(&b);
	return rc;
}

static int read_card(const struct cli *c, struct manne_card *card)
{
	char text[CARD_FILE_BYTES_MAX + 1];
	const char *path = cli_value(c, OPT_CARD_FILE);
	FILE *f = path != NULL ? fopen(path, "r") : NULL;
	size_t len;
	enum manne_status status;

	if (path == NULL)
		return cli_usage_error(c, "--card CARD.txt: the card to pay with");
	if (f == NULL)
		return cli_fail(c, MANNE_ERR_IO, "cannot read the card file");
	len = fread(text, 1, CARD_FILE_BYTES_MAX + 1, f);
	fclose(f);
	if (len > CARD_FILE_BYTES_MAX)
		return cli_fail(c, MANNE_ERR_CARD_FORMAT, "not a card: the file is too long");
	status = manne_card_parse(text, len, card);
	if (status != MANNE_OK)
		return cli_fail(c, status, NULL);
	return 0;
}

/* What the cashier reads when the card does not pay. */
static int card_refused(const struct cli *c, struct manne *m, enum manne_status status, uint32_t tries_left)
{
	char text[200];
	switch (status) {
	case MANNE_ERR_WRONG_PIN:
		snprintf(text, sizeof(text),
			 ngettext("Wrong PIN: %u more try before the card locks.",
				  "Wrong PIN: %u more tries before the card locks.", tries_left),
			 tries_left);
		break;
	case MANNE_ERR_CARD_LOCKED:
		snprintf(text, sizeof(text), _("Card locked after %u wrong PINs: the association's board must unlock it."),
			 MANNE_CARD_WRONG_PINS_MAX);
		break;
	case MANNE_ERR_TOO_MANY_TRIES:
		snprintf(text, sizeof(text), "%s", _("Too many tries in a row: wait a few seconds and try again."));
		break;
	case MANNE_ERR_NOT_ACTIVE:
		snprintf(text, sizeof(text), "%s", _("This card is frozen or replaced: it no longer pays."));
		break;
	case MANNE_ERR_CARD_OPEN:
		snprintf(text, sizeof(text), "%s", _("This card was replaced by a new one: it no longer pays."));
		break;
	default:
		return cli_fail_detail(c, status, manne_message(m));
	}
	if (status != MANNE_ERR_WRONG_PIN)
		return cli_fail(c, status, text);
	if (!c->json)
		fprintf(stderr, "tries_left: %u\n", tries_left);
	return cli_fail_with(c, status, text, "tries_left", tries_left);
}

int cmd_card_pay(struct cli *c)
{
	struct manne_key till;
	struct manne_account self;
	struct manne_card card;
	struct manne_receipt receipt;
	struct manne *m = NULL;
	uint8_t payee[32];
	char pin[PIN_BYTES];
	uint64_t amount;
	uint32_t tries_left = 0;
	enum manne_status status;
	int rc;

	if (c->counts[OPT_KEY] != 1)
		return cli_usage_error(c, "--key: the till's key (the shop's, producer's or counter's)");
	if (!cli_parse_public(c, "to", cli_value(c, OPT_TO), payee) ||
	    !cli_parse_amount("amount", cli_value(c, OPT_AMOUNT), &amount))
		return EXIT_USAGE;
	if ((rc = read_card(c, &card)) != 0)
		return rc;
	if ((rc = cli_load_key(c, cli_value(c, OPT_KEY), &till)) != 0)
		return rc;
	rc = cli_connect(c, &m);
	if (rc == 0 && (status = manne_authenticate(m, &till)) != MANNE_OK)
		rc = cli_fail_detail(c, status, manne_message(m));
	/* A counter takes payments to the association and the payment names it. */
	if (rc == 0 && (status = manne_account(m, till.public_key, &self)) != MANNE_OK)
		rc = cli_fail_detail(c, status, manne_message(m));
	if (rc == 0 && self.role == MANNE_ROLE_COUNTER && memcmp(payee, till.public_key, 32) == 0)
		rc = cli_usage_error(c, "a counter takes payments to the association: --to is the association");
	if (rc == 0)
		rc = read_pin(c, false, pin);
	if (rc == 0) {
		status = manne_card_pay(m, &card, pin, payee, self.role == MANNE_ROLE_COUNTER ? till.public_key : NULL,
					amount, cli_value(c, OPT_MEMO), cli_value(c, OPT_REFERENCE), &tries_left, &receipt);
		sodium_memzero(pin, sizeof(pin));
		rc = status == MANNE_OK ? cli_report_receipt(c, m, "pay", &receipt, NULL)
					: card_refused(c, m, status, tries_left);
	}
	manne_key_wipe(&till);
	manne_close(m);
	return rc;
}
