/*
 * cli_main.c: `manne`, the command line of the board and partners (SPEC §9;
 * docs/cli.md). Each command names the options it takes; anything else on
 * the command line is refused, so a typo never silently means something
 * else. Secrets (keys, passphrases) are wiped as soon as they are used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"


static const struct option_def {
	const char *name;
	bool has_value;
	bool repeats;
	const char *help;
} options[OPT_COUNT] = {
	[OPT_HOST] = {"host", true, false, N_("the ledger's host name or address, IPv4 or IPv6 (default 127.0.0.1)")},
	[OPT_PORT] = {"port", true, false, N_("the ledger's port (default 7411)")},
	[OPT_TIMEOUT_MS] = {"timeout-ms", true, false, N_("connection and reply timeout (default 10000)")},
	[OPT_JSON] = {"json", false, false, N_("print one JSON object (amounts in centimes) instead of lines for people")},
	[OPT_KEY] = {"key", true, true, N_("a key file that signs (or proves who reads); repeat for board members")},
	[OPT_PASSPHRASE_FILE] = {"passphrase-file", true, false, N_("read the passphrase of sealed key files from this file")},
	[OPT_YES] = {"yes", false, false, N_("sign without asking (scripts; the fields are still printed)")},
	[OPT_TO] = {"to", true, false, N_("the account paid or credited (64 hex characters or a key file)")},
	[OPT_AMOUNT] = {"amount", true, false, N_("in Manne: 12, 12.5 or 12.50")},
	[OPT_MEMO] = {"memo", true, false, N_("what was bought, never who bought it (80 bytes)")},
	[OPT_REFERENCE] = {"reference", true, false, N_("the till's order number (pay, payment: 16 bytes), the issue's or the account's reference")},
	[OPT_PAYMENT] = {"payment", true, false, N_("txid of the payment refunded")},
	[OPT_ACCOUNT] = {"account", true, false, N_("an account (64 hex characters or a key file)")},
	[OPT_NEW_KEY] = {"new-key", true, true, N_("key file of a key that must co-sign (new account, new board member, new checkpoint key)")},
	[OPT_NEW_ACCOUNT] = {"new-account", true, false, N_("the new key of a recovered account (hex or key file)")},
	[OPT_ROLE] = {"role", true, false, N_("member, shop, producer, auditor or counter (a service point of the association)")},
	[OPT_MAX_PAYMENT] = {"max-payment", true, false, N_("largest single payment in Manne (0: no limit)")},
	[OPT_MAX_DAILY] = {"max-daily", true, false, N_("most paid per ledger day in Manne (0: no limit)")},
	[OPT_CARD] = {"card", false, false, N_("the member's key is held on a card (SPEC §10)")},
	[OPT_ACTION] = {"action", true, false, N_("unfreeze, limits or close")},
	[OPT_BANK_REFERENCE] = {"bank-reference", true, false, N_("the bank transfer's reference (64 bytes)")},
	[OPT_REASON] = {"reason", true, false, N_("issue: participation, allowance, purchase or grant; release: surplus, fees, bank-charges or correction; otherwise a text (64 bytes)")},
	[OPT_PROGRAMME] = {"programme", true, false, N_("the programme an issue belongs to, e.g. panier-solidaire-2026-11")},
	[OPT_ISSUE] = {"issue", true, false, N_("txid of the issue to reverse")},
	[OPT_REDEEM] = {"redeem", true, false, N_("txid of the redemption to settle")},
	[OPT_OUTCOME] = {"outcome", true, false, N_("paid or rejected")},
	[OPT_FEE_BP] = {"fee-bp", true, false, N_("reconversion fee in basis points (0..10000)")},
	[OPT_BOARD] = {"board", true, true, N_("a key of the new board (hex or key file); repeat for each")},
	[OPT_THRESHOLD] = {"threshold", true, false, N_("M: board signatures needed")},
	[OPT_CHECKPOINT] = {"checkpoint", true, false, N_("the new checkpoint public key (hex or key file)")},
	[OPT_TXID] = {"txid", true, false, N_("a transaction id (64 hex characters)")},
	[OPT_OUT] = {"out", true, false, N_("write the unsigned body to this file instead of submitting (board acts)")},
	[OPT_VALID_DAYS] = {"valid-days", true, false, N_("a board act stays valid this many days (1..31, default 7)")},
	[OPT_SIGNATURES_NEEDED] = {"signatures-needed", true, false, N_("submit refuses the file until it holds this many signatures")},
	[OPT_CHECKPOINT_KEY] = {"checkpoint-key", true, false, N_("the ledger's checkpoint key: 64 hex characters, its C2SP verifier key, or a key file (pins it; create: the genesis names it)")},
	[OPT_BEFORE] = {"before", true, false, N_("the next_index of the previous page (default: the latest)")},
	[OPT_LIMIT] = {"limit", true, false, N_("entries per page (default 50, at most 256)")},
	[OPT_PAYEE] = {"payee", true, false, N_("the payee (default: the --key's account)")},
	[OPT_WAIT_MS] = {"wait-ms", true, false, N_("wait this long for the payment to land (at most 120000)")},
	[OPT_INDEX] = {"index", true, false, N_("leaf index")},
	[OPT_LEAF_HASH] = {"leaf-hash", true, false, N_("the leaf hash from a receipt (64 hex characters)")},
	[OPT_OLD_CHECKPOINT] = {"old-checkpoint", true, false, N_("a checkpoint note saved earlier (checkpoint --save)")},
	[OPT_SAVE] = {"save", true, false, N_("write the verified checkpoint note to this file")},
	[OPT_SEAL] = {"seal", false, false, N_("seal the key under a passphrase (Argon2id + secretbox)")},
	[OPT_DATA] = {"data", true, false, N_("the ledger's data directory (as manne-ledger --data)")},
	[OPT_ORIGIN] = {"origin", true, false, N_("the ledger's name, e.g. manne.ecopole-audruicq.example/v1")},
	[OPT_BOARD_KEY] = {"board-key", true, true, N_("key file of a board member (every one signs the genesis); repeat")},
	[OPT_ASSOCIATION] = {"association", true, false, N_("the association's account (hex or key file)")},
	[OPT_UTC_OFFSET] = {"utc-offset-minutes", true, false, N_("ledger day: standard offset from UTC (default 60)")},
	[OPT_EU_SUMMER] = {"eu-summer-time", true, false, N_("ledger day: yes or no (default yes)")},
	[OPT_PRINT_PROOF] = {"print-proof", false, false, N_("print the proof itself (RFC 9162, base64) for any verifier: tree size, root, leaf hash, hashes")},
	[OPT_SAVE_PROOF] = {"save-proof", true, false, N_("write the receipt's inclusion proof (as prove --print-proof --json) to this new file; needs --checkpoint-key")},
	[OPT_OLD_SIZE] = {"old-size", true, false, N_("with --print-proof: the older tree size of a consistency proof")},
	[OPT_NEW_SIZE] = {"new-size", true, false, N_("with --print-proof: the newer tree size (default: the latest checkpoint's)")},
	[OPT_FILE] = {"file", true, false, N_("an export of the log (manne export)")},
	[OPT_TLS] = {"tls", false, false, N_("TLS 1.3 to the ledger's TLS port (with --pin)")},
	[OPT_PIN] = {"pin", true, false, N_("the ledger's TLS key pin, SHA256:<base64> or hex (manne tls-pin, published by the association)")},
	[OPT_LEDGER] = {"ledger", true, false, N_("ORIGIN+GENESIS_ID: refuse a server that answers for another ledger (manne status prints it)")},
	[OPT_CARD_FILE] = {"card", true, false, N_("the card file (as card new wrote it, or the text a scanner read)")},
	[OPT_REQUEST] = {"request", true, false, N_("pay a payment request (the manne: URI a checkout page shows): payee, amount, order number and ledger from it")},
	[OPT_CARD_OUT] = {"out", true, false, N_("write the card to this new file (default card-SHORTID.txt here)")},
	[OPT_PNG] = {"png", true, false, N_("also write the card as a printable QR image (with the account's short id) to this new file")},
	[OPT_PIN_FILE] = {"pin-file", true, false, N_("read the PIN from the first line of this file instead of asking on the terminal")},
	[OPT_ARGON_PASSES] = {"argon-passes", true, false, N_("Argon2id passes of the card's PIN (1..10, default 2)")},
	[OPT_PENDING] = {"pending", false, false, N_("only the reconversions still to wire")},
	[OPT_ARGON_MEMORY_KIB] = {"argon-memory-kib", true, false, N_("Argon2id memory of the card's PIN in KiB, a power of two (8..262144, default 65536)")},
};

#define CONNECT OPT_HOST, OPT_PORT, OPT_TIMEOUT_MS, OPT_JSON, OPT_PASSPHRASE_FILE, OPT_LEDGER, OPT_TLS, OPT_PIN
#define BOARD_ACT CONNECT, OPT_KEY, OPT_NEW_KEY, OPT_OUT, OPT_VALID_DAYS, OPT_SIGNATURES_NEEDED
#define END OPT_COUNT

static const struct command {
	const char *name;
	const char *args;      /* positional arguments, for --help */
	const char *summary;
	int (*run)(struct cli *c);
	enum manne_kind kind;  /* transaction commands */
	size_t positional;     /* how many positional arguments */
	enum cli_opt opts[26];
} commands[] = {
	{"keygen", "FILE", N_("make a new key in FILE (mode 0600), optionally sealed; prints its public key"), cmd_keygen, 0, 1,
	 {OPT_JSON, OPT_SEAL, OPT_PASSPHRASE_FILE, END}},
	{"pubkey", "FILE", N_("print the public key of a key file"), cmd_pubkey, 0, 1, {OPT_JSON, OPT_PASSPHRASE_FILE, END}},
	{"tls-pin", "CERT", N_("print the pin of a TLS certificate (PEM), as --pin takes it"), cmd_tls_pin, 0, 1, {OPT_JSON, END}},
	{"create", "", N_("create a new ledger offline: the genesis signed by every board key, in a new store"), cmd_create, 0, 0,
	 {OPT_JSON, OPT_PASSPHRASE_FILE, OPT_DATA, OPT_ORIGIN, OPT_BOARD_KEY, OPT_THRESHOLD, OPT_CHECKPOINT_KEY,
	  OPT_ASSOCIATION, OPT_FEE_BP, OPT_UTC_OFFSET, OPT_EU_SUMMER, END}},
	{"pay", "", N_("pay a shop, a producer or the association (signed by the payer's --key)"), NULL, MANNE_KIND_PAY, 0,
	 {CONNECT, OPT_KEY, OPT_TO, OPT_AMOUNT, OPT_MEMO, OPT_REFERENCE, OPT_CHECKPOINT_KEY, OPT_SAVE_PROOF, OPT_REQUEST,
	  END}},
	{"refund", "", N_("give back up to a payment's amount (signed by its payee's --key)"), NULL, MANNE_KIND_REFUND, 0,
	 {CONNECT, OPT_KEY, OPT_PAYMENT, OPT_AMOUNT, OPT_MEMO, OPT_CHECKPOINT_KEY, END}},
	{"redeem", "", N_("ask for credits to be turned into euros (a shop's or producer's --key)"), NULL, MANNE_KIND_REDEEM, 0,
	 {CONNECT, OPT_KEY, OPT_AMOUNT, OPT_CHECKPOINT_KEY, END}},
	{"freeze", "", N_("freeze an account at once: by its own --key, or by one board member's"), NULL, MANNE_KIND_FREEZE, 0,
	 {BOARD_ACT, OPT_ACCOUNT, OPT_CHECKPOINT_KEY, END}},
	{"open-account", "", N_("board: open an account (the new key co-signs: --new-key, or `sign` later)"), NULL,
	 MANNE_KIND_OPEN_ACCOUNT, 0,
	 {BOARD_ACT, OPT_ACCOUNT, OPT_ROLE, OPT_MAX_PAYMENT, OPT_MAX_DAILY, OPT_CARD, OPT_REFERENCE, OPT_CHECKPOINT_KEY,
	  END}},
	{"set-account", "", N_("board: unfreeze, change limits or close an account"), NULL, MANNE_KIND_SET_ACCOUNT, 0,
	 {BOARD_ACT, OPT_ACCOUNT, OPT_ACTION, OPT_MAX_PAYMENT, OPT_MAX_DAILY, OPT_CHECKPOINT_KEY, END}},
	{"recover-account", "", N_("board: move a lost card's account to a new key"), NULL, MANNE_KIND_RECOVER_ACCOUNT, 0,
	 {BOARD_ACT, OPT_ACCOUNT, OPT_NEW_ACCOUNT, OPT_CHECKPOINT_KEY, END}},
	{"fund", "", N_("board: euros received into the guarantee fund"), NULL, MANNE_KIND_FUND_RESERVE, 0,
	 {BOARD_ACT, OPT_AMOUNT, OPT_BANK_REFERENCE, OPT_CHECKPOINT_KEY, END}},
	{"release", "", N_("board: euros taken out of the guarantee fund"), NULL, MANNE_KIND_RELEASE_RESERVE, 0,
	 {BOARD_ACT, OPT_AMOUNT, OPT_REASON, OPT_BANK_REFERENCE, OPT_CHECKPOINT_KEY, END}},
	{"issue", "", N_("board: credit a member, shop or producer"), NULL, MANNE_KIND_ISSUE, 0,
	 {BOARD_ACT, OPT_TO, OPT_AMOUNT, OPT_REASON, OPT_PROGRAMME, OPT_REFERENCE, OPT_CHECKPOINT_KEY, END}},
	{"reverse-issue", "", N_("board: take back up to an issue's amount"), NULL, MANNE_KIND_REVERSE_ISSUE, 0,
	 {BOARD_ACT, OPT_ISSUE, OPT_AMOUNT, OPT_REASON, OPT_CHECKPOINT_KEY, END}},
	{"retire-dormant", "", N_("board: retire the balance of an account frozen for 12 months"), NULL,
	 MANNE_KIND_RETIRE_DORMANT, 0, {BOARD_ACT, OPT_ACCOUNT, OPT_REASON, OPT_CHECKPOINT_KEY, END}},
	{"settle", "", N_("board: settle a redemption (paid or rejected)"), NULL, MANNE_KIND_SETTLE_REDEMPTION, 0,
	 {BOARD_ACT, OPT_REDEEM, OPT_OUTCOME, OPT_BANK_REFERENCE, OPT_CHECKPOINT_KEY, END}},
	{"set-ledger", "", N_("board: change the reconversion fee"), NULL, MANNE_KIND_SET_LEDGER, 0,
	 {BOARD_ACT, OPT_FEE_BP, OPT_CHECKPOINT_KEY, END}},
	{"set-board", "", N_("board: replace the board and its threshold (added keys co-sign)"), NULL, MANNE_KIND_SET_BOARD, 0,
	 {BOARD_ACT, OPT_BOARD, OPT_THRESHOLD, OPT_CHECKPOINT_KEY, END}},
	{"set-checkpoint-key", "", N_("board: replace the checkpoint key (the new key co-signs)"), NULL,
	 MANNE_KIND_SET_CHECKPOINT_KEY, 0, {BOARD_ACT, OPT_CHECKPOINT, OPT_CHECKPOINT_KEY, END}},
	{"void", "", N_("board: cancel a prepared transaction that was not applied"), NULL, MANNE_KIND_VOID, 0,
	 {BOARD_ACT, OPT_TXID, OPT_CHECKPOINT_KEY, END}},
	{"replay-export", "", N_("bring back a restored store's missing leaves from a verified export (daemon stopped)"),
	 cmd_replay_export, 0, 0, {OPT_DATA, OPT_FILE, OPT_CHECKPOINT_KEY, OPT_JSON, END}},
	{"prepare", "KIND", N_("board: write an unsigned body to --out (same options as KIND)"), cmd_prepare, 0, 1, {END}},
	{"show", "FILE", N_("print a prepared body in words and the signatures it holds (a settlement: the euros to wire, "
	 "read from the ledger with --key)"), cmd_show, 0, 1, {CONNECT, OPT_KEY, OPT_CHECKPOINT_KEY, END}},
	{"sign", "FILE", N_("board: see every field of a prepared body in words, then add your signature"), cmd_sign, 0, 1,
	 {CONNECT, OPT_KEY, OPT_YES, OPT_CHECKPOINT_KEY, END}},
	{"submit", "FILE", N_("board: send a prepared body with its signatures"), cmd_submit, 0, 1,
	 {CONNECT, OPT_CHECKPOINT_KEY, END}},
	{"balance", "", N_("an account's balance, state, limits and next sequence (proved by --key)"), cmd_balance, 0, 0,
	 {CONNECT, OPT_KEY, OPT_ACCOUNT, END}},
	{"history", "", N_("an account's transactions, a page at a time (proved by --key)"), cmd_history, 0, 0,
	 {CONNECT, OPT_KEY, OPT_ACCOUNT, OPT_BEFORE, OPT_LIMIT, END}},
	{"tx", "TXID", N_("a transaction by its txid (proved by --key)"), cmd_tx_get, 0, 1, {CONNECT, OPT_KEY, END}},
	{"payment", "", N_("a payment by the till's reference, optionally waiting for it; with --amount, refused unless it is of that amount"), cmd_payment, 0, 0,
	 {CONNECT, OPT_KEY, OPT_PAYEE, OPT_REFERENCE, OPT_AMOUNT, OPT_WAIT_MS, END}},
	{"redemptions", "", N_("board or auditor: the reconversions (--pending: still to wire), oldest first, with the "
	 "partner, amount, fee and euros to wire, and their totals"), cmd_redemptions, 0, 0,
	 {CONNECT, OPT_KEY, OPT_PENDING, END}},
	{"status", "", N_("the ledger's version, log size and counters"), cmd_status, 0, 0, {CONNECT, END}},
	{"checkpoint", "", N_("the latest signed checkpoint, verified, with the backing totals"), cmd_checkpoint, 0, 0,
	 {CONNECT, OPT_CHECKPOINT_KEY, OPT_SAVE, END}},
	{"prove", "", N_("prove a leaf is in the log (--index, --leaf-hash), or that an old checkpoint is a prefix of the latest"),
	 cmd_prove, 0, 0, {CONNECT, OPT_CHECKPOINT_KEY, OPT_INDEX, OPT_LEAF_HASH, OPT_OLD_CHECKPOINT, OPT_PRINT_PROOF,
			     OPT_OLD_SIZE, OPT_NEW_SIZE, OPT_TXID, OPT_KEY, END}},
	{"export", "FILE", N_("write the whole log up to a verified checkpoint to FILE (board or auditor --key)"), cmd_export, 0,
	 1, {CONNECT, OPT_KEY, OPT_CHECKPOINT_KEY, END}},
	{"card new", "", N_("board: seal a member's key (--account KEY_FILE) into a card under a PIN, register it, write it "
	 "(--out) and its QR image (--png); opens the card-held account first if needed"), cmd_card_new, 0, 0,
	 {CONNECT, OPT_KEY, OPT_ACCOUNT, OPT_CARD_OUT, OPT_PNG, OPT_PIN_FILE, OPT_MAX_PAYMENT, OPT_MAX_DAILY, OPT_REFERENCE,
	  OPT_ARGON_PASSES, OPT_ARGON_MEMORY_KIB, OPT_CHECKPOINT_KEY, END}},
	{"card pay", "", N_("till: a member pays with a card and PIN; --key is the till's (the shop, or a counter paying --to "
	 "the association)"), cmd_card_pay, 0, 0,
	 {CONNECT, OPT_KEY, OPT_CARD_FILE, OPT_TO, OPT_AMOUNT, OPT_MEMO, OPT_REFERENCE, OPT_PIN_FILE, OPT_CHECKPOINT_KEY,
	  END}},
	{"card unlock", "", N_("board: unlock a card that wrong PINs locked"), cmd_card_unlock, 0, 0,
	 {CONNECT, OPT_KEY, OPT_ACCOUNT, OPT_CHECKPOINT_KEY, END}},
	{"card renew", "", N_("board: after a lost card, move the account (--account) to a new key and print it a new card; "
	 "the old card stops working"), cmd_card_renew, 0, 0,
	 {CONNECT, OPT_KEY, OPT_ACCOUNT, OPT_NEW_KEY, OPT_CARD_OUT, OPT_PNG, OPT_PIN_FILE, OPT_ARGON_PASSES,
	  OPT_ARGON_MEMORY_KIB, OPT_CHECKPOINT_KEY, END}},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const char *const usage_text =
	N_("usage: manne COMMAND [options]   (manne COMMAND --help for its options)\n"
	   "\n"
	   "Exit codes: 0 done (a duplicate receipt too), 1 refused by the ledger, 2 bad command line,\n"
	   "3 ledger unreachable or no reply in time, 4 key file or passphrase, 5 a signature or proof\n"
	   "does not verify, 6 local file error, 7 not signed (declined). docs/cli.md has the details.\n"
	   "\n"
	   "Commands:\n");

static void command_help(const struct command *cmd)
{
	printf(_("usage: manne %s%s%s [options]\n\n%s\n\noptions:\n"), cmd->name, cmd->args[0] != '\0' ? " " : "",
	       cmd->args, _(cmd->summary));
	for (size_t i = 0; cmd->opts[i] != END; i++) {
		const struct option_def *o = &options[cmd->opts[i]];
		printf("  --%s%s%s\n      %s\n", o->name, o->has_value ? _(" VALUE") : "", o->repeats ? _(" (repeat)") : "",
		       _(o->help));
	}
	fputs(_("  --help\n      this text\n"), stdout);
	if (cmd->kind != 0 && cmd->kind != MANNE_KIND_PAY && cmd->kind != MANNE_KIND_REFUND &&
	    cmd->kind != MANNE_KIND_REDEEM)
		fputs(_("\nWith --key (repeat for each board member present) the act is signed and submitted now;\n"
			"with --out FILE it is written unsigned for `manne sign FILE` on each member's machine,\n"
			"then `manne submit FILE`.\n"),
		      stdout);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static bool takes(const struct command *cmd, enum cli_opt opt)
{
	for (size_t i = 0; cmd->opts[i] != END; i++)
		if (cmd->opts[i] == opt)
			return true;
	return false;
}

/* Parses argv[first..] against cmd's options into c. */
static int parse(struct cli *c, const struct command *cmd, int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		size_t opt;

		if (strncmp(a, "--", 2) != 0) {
			if (c->arg_count >= cmd->positional)
				return cli_usage_error(c, "unexpected argument '%s' (see manne %s --help)", a, cmd->name);
			c->args[c->arg_count++] = a;
			continue;
		}
		/* Two options may share a name (--card: a flag of open-account,
		 * a file of card pay): the one this command takes. */
		for (opt = 0; opt < OPT_COUNT; opt++)
			if (strcmp(a + 2, options[opt].name) == 0 && takes(cmd, (enum cli_opt)opt))
				break;
		if (opt == OPT_COUNT)
			return cli_usage_error(c, "%s takes no option %s (see manne %s --help)", cmd->name, a, cmd->name);
		if (c->counts[opt] > 0 && !options[opt].repeats)
			return cli_usage_error(c, "%s is given twice", a);
		if (c->counts[opt] >= CLI_VALUES_MAX)
			return cli_usage_error(c, "%s is given too many times", a);
		if (options[opt].has_value) {
			if (i + 1 >= argc)
				return cli_usage_error(c, "%s needs a value", a);
			c->values[opt][c->counts[opt]] = argv[++i];
		} else {
			c->values[opt][c->counts[opt]] = "";
		}
		c->counts[opt]++;
	}
	c->json = cli_flag(c, OPT_JSON);
	if (c->arg_count != cmd->positional)
		return cli_usage_error(c, "%s needs %s (see manne %s --help)", cmd->name, cmd->args, cmd->name);
	return 0;
}

static bool command_takes(enum cli_opt opt, const void *ctx)
{
	return takes((const struct command *)ctx, opt);
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* prepare KIND ...: main() runs the kind's own command, which must write
 * --out; this entry only marks `prepare` in the table. */
int cmd_prepare(struct cli *c)
{
	(void)c;
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static struct cli cli;
	const struct command *cmd;
	int rc, first = 2;
	bool preparing = false;

	i18n_init();
	/* JSON never changes with the locale: with --json, every message (in the
	 * object and on stderr) is the English one. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			i18n_plain();
	if (manne_init() != MANNE_OK) {
		fputs(_("manne: libsodium failed to start\n"), stderr);
		return EXIT_LOCAL;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(_(usage_text), argc < 2 ? stderr : stdout);
		for (size_t i = 0; i < COMMAND_COUNT; i++)
			fprintf(argc < 2 ? stderr : stdout, "  %-19s %s\n", commands[i].name, _(commands[i].summary));
		return argc < 2 ? EXIT_USAGE : EXIT_DONE;
	}
	if (strcmp(argv[1], "card") == 0) {
		/* card new | pay | unlock | renew: a command of two words. */
		char name[32];
		snprintf(name, sizeof(name), "card %s", argc > 2 ? argv[2] : "");
		cmd = find_command(name);
		if (cmd == NULL) {
			fputs(_("manne card: new, pay, unlock or renew (manne card new --help)\n"), stderr);
			return EXIT_USAGE;
		}
		first = 3;
	} else {
		cmd = find_command(argv[1]);
	}
	if (cmd == NULL) {
		fprintf(stderr, _("manne: no command '%s' (manne --help lists them)\n"), argv[1]);
		return EXIT_USAGE;
	}
	cli.command = cmd->name;
	if (cmd->run == cmd_prepare) {
		const struct command *kind_cmd = argc > 2 ? find_command(argv[2]) : NULL;
		if (wants_help(argc, argv) && kind_cmd == NULL) {
			command_help(cmd);
			return EXIT_DONE;
		}
		if (kind_cmd == NULL || kind_cmd->kind == 0 || !takes(kind_cmd, OPT_OUT)) {
			fputs(_("manne prepare: KIND is a board act: open-account, set-account, freeze, recover-account, "
				"fund, release, issue, reverse-issue, retire-dormant, settle, set-ledger, set-board, "
				"set-checkpoint-key or void\n"),
			      stderr);
			return EXIT_USAGE;
		}
		cmd = kind_cmd;
		cli.command = cmd->name;
		first = 3;
		preparing = true;
	}
	if (wants_help(argc, argv)) {
		command_help(cmd);
		return EXIT_DONE;
	}
	rc = parse(&cli, cmd, argc, argv, first);
	if (rc == 0)
		rc = cli_apply_settings(&cli, command_takes, cmd);
	if (rc != 0)
		return rc;
	if (preparing && !cli_flag(&cli, OPT_OUT))
		return cli_usage_error(&cli, "prepare writes the body to --out FILE");
	if (cmd->kind != 0)
		return cmd_tx(&cli, cmd->kind);
	return cmd->run(&cli);
}
