/*
 * cli.h: the `manne` command line (SPEC §9), for the board and partners.
 *
 *   cli_main.c    the commands and the options each takes
 *   cli_args.c    option values, parsers, keys and passphrases, the connection, errors
 *   cli_out.c     output for people, or one JSON object with --json
 *   cli_keys.c    keygen, pubkey
 *   cli_tx.c      every transaction kind; prepare / sign / show / submit
 *   cli_prepared.c  the prepared-transaction file: read (cli_prepared.h, fuzzed) and written
 *   cli_read.c    balance, history, tx, payment, status, checkpoint, prove, export
 *   cli_create.c  create: a new ledger's genesis and store, offline
 *   cli_replay.c  replay-export: a restored store's missing leaves, from an export
 *   cli_card.c    card new, pay, unlock, renew (SPEC §10); card_png.c the printable QR image
 *   cli_redemptions.c  redemptions: the reconversions to wire; a settlement's figures
 *   cli_leaf.c    a transaction checked from its own leaf (its body hashes to the txid)
 *   cli_config.c  the client configuration file (its text parsed in cli_config.h, fuzzed) and the
 *                 environment (MANNE_LEDGER, MANNE_TLS_PIN, MANNE_KEY)
 *
 * Exit codes (docs/cli.md): see enum cli_exit.
 */
#ifndef MANNE_CLI_H
#define MANNE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "i18n/i18n.h"
#include "manne.h"

enum cli_exit {
	EXIT_DONE = 0,        /* done; a duplicate receipt is success too */
	EXIT_REFUSED = 1,     /* the ledger refused (its status is printed) */
	EXIT_USAGE = 2,       /* a bad command line or argument */
	EXIT_UNREACHABLE = 3, /* cannot reach the ledger, no reply in time, or a reply that makes no sense */
	EXIT_KEY = 4,         /* a key file cannot be read, is readable by others, or the passphrase is wrong */
	EXIT_UNVERIFIED = 5,  /* a signature or proof does not verify: do not trust what was shown */
	EXIT_LOCAL = 6,       /* a local file cannot be written or read, or another local failure */
	EXIT_DECLINED = 7,    /* `sign`: the board member did not confirm */
};

#define CLI_KEYS_MAX 32U
#define CLI_VALUES_MAX 16U

/* Every option any command takes, by id. */
enum cli_opt {
	OPT_HOST, OPT_PORT, OPT_TIMEOUT_MS, OPT_JSON, OPT_KEY, OPT_PASSPHRASE_FILE, OPT_YES,
	OPT_TO, OPT_AMOUNT, OPT_MEMO, OPT_REFERENCE, OPT_PAYMENT, OPT_ACCOUNT, OPT_NEW_KEY, OPT_NEW_ACCOUNT,
	OPT_ROLE, OPT_MAX_PAYMENT, OPT_MAX_DAILY, OPT_CARD, OPT_ACTION, OPT_BANK_REFERENCE, OPT_REASON,
	OPT_PROGRAMME, OPT_ISSUE, OPT_REDEEM, OPT_OUTCOME, OPT_FEE_BP, OPT_BOARD, OPT_THRESHOLD,
	OPT_CHECKPOINT, OPT_TXID, OPT_OUT, OPT_VALID_DAYS, OPT_SIGNATURES_NEEDED, OPT_CHECKPOINT_KEY,
	OPT_BEFORE, OPT_LIMIT, OPT_PAYEE, OPT_WAIT_MS, OPT_INDEX, OPT_LEAF_HASH, OPT_OLD_CHECKPOINT, OPT_SAVE,
	OPT_SEAL, OPT_DATA, OPT_ORIGIN, OPT_BOARD_KEY, OPT_ASSOCIATION, OPT_UTC_OFFSET, OPT_EU_SUMMER, OPT_LEDGER, OPT_TLS, OPT_PIN, OPT_FILE, OPT_PRINT_PROOF, OPT_OLD_SIZE, OPT_NEW_SIZE, OPT_SAVE_PROOF,
	OPT_CARD_FILE, OPT_CARD_OUT, OPT_REQUEST, OPT_PNG, OPT_PIN_FILE, OPT_ARGON_PASSES, OPT_ARGON_MEMORY_KIB,
	OPT_PENDING,
	OPT_COUNT
};

struct cli {
	const char *command;
	const char *values[OPT_COUNT][CLI_VALUES_MAX];  /* repeated options keep every value */
	size_t counts[OPT_COUNT];
	const char *args[4];                            /* positional arguments */
	size_t arg_count;
	bool json;
};

/* The value of an option (the last one given) or NULL. */
const char *cli_value(const struct cli *c, enum cli_opt opt);
bool cli_flag(const struct cli *c, enum cli_opt opt);

/* ---- cli_args.c ---- */
/* Parsers; each prints why on failure and returns false. */
bool cli_parse_amount(const char *what, const char *s, uint64_t *centimes);
bool cli_parse_u64(const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *out);
bool cli_parse_hex32(const char *what, const char *s, uint8_t out[32]);
/* A public key: 64 hex characters, or a key file (only its public half is kept). */
bool cli_parse_public(const struct cli *c, const char *what, const char *s, uint8_t out[32]);
/* Reads a key file, asking for the passphrase of a sealed one. Exit code or 0. */
int cli_load_key(const struct cli *c, const char *path, struct manne_key *out);
/* Reads a line from the terminal without echo; 0 or -1 (no terminal). */
int cli_prompt_secret(const char *prompt, char *out, size_t size);
/* The first line of a file (a PIN, a passphrase), its line end dropped; 0 or -1. */
int cli_read_secret_line(const char *path, char *out, size_t size);
/* The first line of --passphrase-file; 0 or -1. */
int cli_read_passphrase_file(const struct cli *c, char *out, size_t size);
/* Opens the connection given by --host/--port/--timeout-ms. Exit code or 0. */
int cli_connect(const struct cli *c, struct manne **out);
/* The same without a word on failure: a status (show and sign try the ledger
 * for a settlement's figures, and go on without them). */
int cli_connect_quiet(const struct cli *c, struct manne **out);
/* Connects and proves --key (one at most) if one is given. Exit code or 0. */
int cli_connect_as(const struct cli *c, struct manne **m, struct manne_key *key, bool *have_key);
/* Wipes the key if have_key, closes m, returns rc. */
int cli_disconnect(struct manne *m, struct manne_key *key, bool have_key, int rc);
/* An exit code for a status, after printing the error (and its JSON). The
 * message is a msgid of the catalogue (po/meson.build reads it), or text
 * already in the reader's language; NULL: the status's own sentence. */
int cli_fail(const struct cli *c, enum manne_status status, const char *message);
/* A failure with a detail from libmanne (English, made on the fly): in
 * another language the status's meaning comes first, the detail after it in
 * parentheses. */
int cli_fail_detail(const struct cli *c, enum manne_status status, const char *detail);
/* A status's sentence (ledger/log/status.c) in the reader's language. */
const char *cli_status_text(enum manne_status status);
/* The same, with one more number in the JSON (key a plain identifier). */
int cli_fail_with(const struct cli *c, enum manne_status status, const char *message, const char *key,
		  uint64_t value);
int cli_usage_error(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The pinned checkpoint key from --checkpoint-key (hex or C2SP verifier key); false if absent. */
bool cli_checkpoint_key(const struct cli *c, uint8_t out[32], bool *given);

/* ---- cli_config.c ---- */
/* The client configuration and the environment, for the options the
 * command takes (takes(opt, ctx)) and the command line did not give. Exit
 * code or 0. */
int cli_apply_settings(struct cli *c, bool (*takes)(enum cli_opt opt, const void *ctx), const void *ctx);

/* ---- cli_out.c: one JSON object per command, or lines for people ----
 * A NULL key prints for people only, a NULL label in JSON only. */
void out_begin(const struct cli *c);         /* "{" with --json */
void out_end(const struct cli *c);           /* "}\n" */
void out_str(const struct cli *c, const char *key, const char *label, const char *value);
void out_u64(const struct cli *c, const char *key, const char *label, uint64_t value);
void out_amount(const struct cli *c, const char *key, const char *label, uint64_t centimes);
void out_bool(const struct cli *c, const char *key, const char *label, bool value);
void out_hex(const struct cli *c, const char *key, const char *label, const uint8_t *bytes, size_t len);
void out_time(const struct cli *c, const char *key, const char *label, uint64_t ms);
void out_array_begin(const struct cli *c, const char *key);
/* A string element of the array begun (a line of its own for people). */
void out_array_str(const struct cli *c, const char *value);
void out_array_end(const struct cli *c);
void out_object_begin(const struct cli *c);  /* an element of an array */
void out_object_end(const struct cli *c);
void out_text(const struct cli *c, const char *text); /* a paragraph for people only */
void json_string(const char *s);             /* a JSON string literal on stdout */
void out_receipt(const struct cli *c, const char *kind, const struct manne_receipt *r);
void out_entry(const struct cli *c, const struct manne_entry *e);
/* The same from an account's side: the amount signed + (in) or - (out) for
 * people, "direction" in JSON. */
void out_entry_for(const struct cli *c, const struct manne_entry *e, const uint8_t *account,
		   const uint64_t *balance_after);
/* The balance before an entry from the one after it, seen from `account`;
 * false when the entry does not say what it moved (a retirement, a recovery). */
bool entry_balance_before(const struct manne_entry *e, const uint8_t *account, uint64_t after, uint64_t *before);
/* A kind's name for people ("payment" for pay), in their language. */
const char *kind_words(const char *kind);
void out_checkpoint(const struct cli *c, const struct manne_checkpoint *cp);
void format_amount(char *out, size_t size, uint64_t centimes);  /* "12.50 Manne" (the locale's way) */
void format_euros(char *out, size_t size, uint64_t cents);       /* "12.50 EUR" */
/* A time for people: the ledger's local time with its offset once known
 * (out_set_time_rules, on connecting), UTC before. */
void format_time(char *out, size_t size, uint64_t ms);
void out_set_time_rules(int32_t utc_offset_minutes, bool eu_summer_time);
/* An amount of euros (cents), labelled EUR for people. */
void out_euros(const struct cli *c, const char *key, const char *label, uint64_t cents);

/* ---- cli_tx.c, shared with cli_card.c ---- */
/* Loads every value of opt as a key file; wipes them all on failure. Exit code or 0. */
int cli_load_keys(const struct cli *c, enum cli_opt opt, struct manne_key *keys, size_t *count);
/* Prints a receipt, verified first under --checkpoint-key if given; a
 * reconversion's fee and euros to wire when given. Exit code. */
int cli_report_receipt(const struct cli *c, struct manne *m, const char *kind, const struct manne_receipt *r,
		       const struct manne_entry *reconversion);  /* a redeem's figures, or NULL */

/* ---- the commands ---- */
int cmd_keygen(struct cli *c);
int cmd_pubkey(struct cli *c);
int cmd_tls_pin(struct cli *c);
int cmd_replay_export(struct cli *c);
int cmd_create(struct cli *c);
int cmd_tx(struct cli *c, enum manne_kind kind);
int cmd_prepare(struct cli *c);
int cmd_sign(struct cli *c);
int cmd_show(struct cli *c);
int cmd_submit(struct cli *c);
int cmd_balance(struct cli *c);
int cmd_history(struct cli *c);
int cmd_tx_get(struct cli *c);
int cmd_payment(struct cli *c);
int cmd_status(struct cli *c);
int cmd_checkpoint(struct cli *c);
int cmd_prove(struct cli *c);
int cmd_export(struct cli *c);
int cmd_card_new(struct cli *c);
int cmd_card_pay(struct cli *c);
int cmd_card_unlock(struct cli *c);
int cmd_card_renew(struct cli *c);
int cmd_redemptions(struct cli *c);

/* ---- cli_leaf.c: a transaction from its own leaf (board and auditors) ---- */
struct cli_leaf {
	uint64_t index, time_ms;
	uint8_t leaf_hash[32];   /* computed from the leaf's bytes */
	int kind;                /* Manne__TxBody__KindCase */
	bool has_signer;
	uint8_t signer[32];      /* the signing account; none for a board act */
	uint64_t amount;         /* a redeem's */
};
/* Reads leaf `index` and checks that its body hashes to txid:
 * MANNE_ERR_VERIFY if it does not, the ledger's refusal if the log may not
 * be read by this connection. */
enum manne_status cli_leaf_read(struct manne *m, uint64_t index, const uint8_t txid[32], struct cli_leaf *out);
/* Proves the leaf in the latest checkpoint (under --checkpoint-key when
 * given: *pinned). */
enum manne_status cli_leaf_prove(const struct cli *c, struct manne *m, const struct cli_leaf *leaf, bool *pinned);

/* ---- cli_redemptions.c ---- */
/* For a settle_redemption body: the redeem's partner, amount, fee and euros
 * to wire, read from the ledger with `reader` (NULL: not read, said so). */
void cli_settle_figures(const struct cli *c, const uint8_t *body, size_t body_len, const struct manne_key *reader,
			bool to_stderr);

#endif
