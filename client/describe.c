/*
 * describe.c: a transaction body in words (manne.h), for the board member
 * who is about to sign it on their own machine. Every field of the body is
 * shown; a body that would not re-encode to exactly its bytes (unknown
 * fields, a field given twice, fields out of order) is refused, because a
 * signature covers the bytes and the bytes must say no more than the words.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libintl.h>

#include <sodium.h>

#include "manne_internal.h"

/* Words for people in their language when the program has bound the "manne"
 * catalogue (the manne CLI does; po/): labels through put_*, the rest
 * through T_. A program that binds nothing reads English. */
#define T_(text) dgettext("manne", text)
#define N_(text) (text)

struct out {
	char *p;
	size_t size, len;
	bool overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->overflow = true;
		return;
	}
	o->len += (size_t)n;
}

static void put_hex(struct out *o, const char *label, const ProtobufCBinaryData *b)
{
	char hex[2 * 64 + 1];

	if (b->len > 64) {
		put(o, T_("%s: (%zu bytes)\n"), T_(label), b->len);
		return;
	}
	sodium_bin2hex(hex, sizeof(hex), b->data, b->len);
	put(o, T_("%s: %s\n"), T_(label), b->len == 0 ? T_("(none)") : hex);
}

/* Texts are shown as they are if they are what the ledger accepts (UTF-8
 * without control characters); otherwise every byte outside printable ASCII
 * is escaped, so that nothing can hide or rewrite the terminal. */
static void put_text(struct out *o, const char *label, const char *s)
{
	if (s == NULL || s[0] == '\0') {
		put(o, T_("%s: (none)\n"), T_(label));
		return;
	}
	if (manne_text_ok(s, 4096)) {
		put(o, T_("%s: \"%s\"\n"), T_(label), s);
		return;
	}
	put(o, T_("%s: (not valid text, the ledger will refuse it) \""), T_(label));
	for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
		if (*c >= 0x20 && *c < 0x7f && *c != '\\' && *c != '"')
			put(o, "%c", *c);
		else
			put(o, "\\x%02x", *c);
	}
	put(o, "\"\n");
}

/* Amounts in the C way whatever the locale ("12.50"), with the exact
 * centimes beside them: what is signed must read one way only. */
static void put_amount(struct out *o, const char *label, uint64_t centimes)
{
	put(o, T_("%s: %llu.%02llu Manne (%llu centimes)\n"), T_(label), (unsigned long long)(centimes / 100),
	    (unsigned long long)(centimes % 100), (unsigned long long)centimes);
}

/* Euros into or out of the guarantee fund. */
static void put_euros(struct out *o, const char *label, uint64_t cents)
{
	put(o, T_("%s: %llu.%02llu EUR (%llu cents)\n"), T_(label), (unsigned long long)(cents / 100),
	    (unsigned long long)(cents % 100), (unsigned long long)cents);
}

static void put_limit(struct out *o, const char *label, uint64_t centimes)
{
	if (centimes == 0)
		put(o, T_("%s: no limit\n"), T_(label));
	else
		put_amount(o, label, centimes);
}

static void put_time(struct out *o, const char *label, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000U);
	struct tm tm;
	char when[64];

	if (ms / 1000U > (uint64_t)253402300799ULL || gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof(when), "%s", T_("(out of range)"));
	put(o, T_("%s: %s (%llu ms)\n"), T_(label), when, (unsigned long long)ms);
}

static const char *const roles[] = {NULL, N_("member"), N_("shop"), N_("producer"), N_("auditor"), N_("association"), N_("counter")};
static const char *const card_actions[] = {NULL, N_("register a new card (the old one stops opening)"), N_("unlock the card")};
static const char *const actions[] = {NULL, N_("unfreeze"), N_("set limits"), N_("close")};
static const char *const issue_reasons[] = {NULL, N_("participation (worksite hours)"), N_("allowance (food allowance funded by grants)"),
					    N_("purchase (euros the member paid in)"), N_("grant")};
static const char *const release_reasons[] = {NULL, N_("surplus"), N_("fees"), N_("bank charges"), N_("correction of a mistaken fund_reserve")};
static const char *const outcomes[] = {NULL, N_("PAID (credits destroyed, euros paid out)"), N_("REJECTED (credits returned)")};
/* The words the command line takes for the same values: printed beside the
 * words for people, which a translation may change and these never do. */
static const char *const role_codes[] = {NULL, "member", "shop", "producer", "auditor", "association", "counter"};
static const char *const card_action_codes[] = {NULL, "register", "unlock"};
static const char *const action_codes[] = {NULL, "unfreeze", "limits", "close"};
static const char *const issue_reason_codes[] = {NULL, "participation", "allowance", "purchase", "grant"};
static const char *const release_reason_codes[] = {NULL, "surplus", "fees", "bank-charges", "correction"};
static const char *const outcome_codes[] = {NULL, "paid", "rejected"};

_Static_assert(sizeof(roles) == sizeof(role_codes) && sizeof(actions) == sizeof(action_codes) &&
		       sizeof(card_actions) == sizeof(card_action_codes) &&
		       sizeof(issue_reasons) == sizeof(issue_reason_codes) &&
		       sizeof(release_reasons) == sizeof(release_reason_codes) && sizeof(outcomes) == sizeof(outcome_codes),
	       "every value in words has its command-line word");

/* "label: the value in words [its command-line word]". */
static void put_enum(struct out *o, const char *label, int v, const char *const *words, const char *const *codes,
		     size_t n)
{
	char both[256];

	if (v >= 0 && (size_t)v < n && words[v] != NULL)
		snprintf(both, sizeof(both), "%s [%s]", T_(words[v]), codes[v]);
	else
		snprintf(both, sizeof(both), "%s", T_("(unknown value: the ledger will refuse it)"));
	put(o, T_("%s: %s\n"), T_(label), both);
}

static void describe_kind(struct out *o, const Manne__TxBody *b)
{
	switch (b->kind_case) {
	case MANNE__TX_BODY__KIND_GENESIS:
		put(o, T_("board keys: %zu, threshold %u, fee %u basis points\n"), b->genesis->n_board_keys,
		    b->genesis->threshold, b->genesis->fee_bp);
		for (size_t i = 0; i < b->genesis->n_board_keys; i++)
			put_hex(o, "board key", &b->genesis->board_keys[i]);
		put_hex(o, "checkpoint key", &b->genesis->checkpoint_key);
		put_hex(o, "association key", &b->genesis->association_key);
		if (b->genesis->day_rules != NULL)
			put(o, T_("ledger day: UTC%+d minutes, EU summer time %s\n"), b->genesis->day_rules->utc_offset_minutes,
			    b->genesis->day_rules->eu_summer_time ? T_("yes") : T_("no"));
		break;
	case MANNE__TX_BODY__KIND_OPEN_ACCOUNT:
		put_hex(o, "new account key (must co-sign)", &b->open_account->key);
		put_enum(o, "role", (int)b->open_account->role, roles, role_codes, sizeof(roles) / sizeof(roles[0]));
		put_limit(o, "maximum per payment", b->open_account->max_payment);
		put_limit(o, "maximum per day", b->open_account->max_daily);
		put(o, T_("card-held: %s\n"), b->open_account->card_held ? T_("yes") : T_("no"));
		put_hex(o, "opaque reference", &b->open_account->reference);
		break;
	case MANNE__TX_BODY__KIND_SET_ACCOUNT:
		put_hex(o, "account", &b->set_account->account);
		put_enum(o, "action", (int)b->set_account->action, actions, action_codes, sizeof(actions) / sizeof(actions[0]));
		put_limit(o, "maximum per payment", b->set_account->max_payment);
		put_limit(o, "maximum per day", b->set_account->max_daily);
		break;
	case MANNE__TX_BODY__KIND_FREEZE:
		put_hex(o, "account to freeze", &b->freeze->account);
		break;
	case MANNE__TX_BODY__KIND_RECOVER_ACCOUNT:
		put_hex(o, "old account (closed for ever)", &b->recover_account->old_account);
		put_hex(o, "new account key (must co-sign)", &b->recover_account->new_account);
		break;
	case MANNE__TX_BODY__KIND_FUND_RESERVE:
		put_euros(o, "euros into the guarantee fund", b->fund_reserve->amount);
		put_text(o, "bank reference", b->fund_reserve->bank_reference);
		break;
	case MANNE__TX_BODY__KIND_RELEASE_RESERVE:
		put_euros(o, "euros out of the guarantee fund", b->release_reserve->amount);
		put_enum(o, "reason", (int)b->release_reserve->reason, release_reasons, release_reason_codes,
			 sizeof(release_reasons) / sizeof(release_reasons[0]));
		put_text(o, "bank reference", b->release_reserve->bank_reference);
		break;
	case MANNE__TX_BODY__KIND_ISSUE:
		put_hex(o, "account credited", &b->issue->account);
		put_amount(o, "amount issued", b->issue->amount);
		put_enum(o, "reason", (int)b->issue->reason, issue_reasons, issue_reason_codes,
			 sizeof(issue_reasons) / sizeof(issue_reasons[0]));
		put_text(o, "programme", b->issue->programme);
		put_text(o, "reference", b->issue->reference);
		break;
	case MANNE__TX_BODY__KIND_REVERSE_ISSUE:
		put_hex(o, "issue txid", &b->reverse_issue->issue_txid);
		put_amount(o, "amount taken back (at most)", b->reverse_issue->amount);
		put_text(o, "reason", b->reverse_issue->reason);
		break;
	case MANNE__TX_BODY__KIND_RETIRE_DORMANT:
		put_hex(o, "dormant account", &b->retire_dormant->account);
		put_text(o, "reason", b->retire_dormant->reason);
		break;
	case MANNE__TX_BODY__KIND_PAY:
		put_hex(o, "payee", &b->pay->payee);
		put_amount(o, "amount", b->pay->amount);
		put_text(o, "memo", b->pay->memo);
		put_text(o, "payee reference", b->pay->payee_reference);
		if (b->pay->counter.len != 0)
			put_hex(o, "taken at counter", &b->pay->counter);
		break;
	case MANNE__TX_BODY__KIND_REFUND:
		put_hex(o, "payment txid", &b->refund->payment_txid);
		put_amount(o, "amount refunded", b->refund->amount);
		put_text(o, "memo", b->refund->memo);
		break;
	case MANNE__TX_BODY__KIND_REDEEM:
		put_amount(o, "amount to turn into euros", b->redeem->amount);
		break;
	case MANNE__TX_BODY__KIND_SETTLE_REDEMPTION:
		put_hex(o, "redeem txid", &b->settle_redemption->redeem_txid);
		put_enum(o, "outcome", (int)b->settle_redemption->outcome, outcomes, outcome_codes,
			 sizeof(outcomes) / sizeof(outcomes[0]));
		put_text(o, "bank reference", b->settle_redemption->bank_reference);
		break;
	case MANNE__TX_BODY__KIND_SET_LEDGER:
		put(o, T_("new reconversion fee: %u basis points (%u.%02u %%)\n"), b->set_ledger->fee_bp,
		    b->set_ledger->fee_bp / 100, b->set_ledger->fee_bp % 100);
		break;
	case MANNE__TX_BODY__KIND_SET_BOARD:
		put(o, T_("new board: %zu keys, threshold %u (every added key must co-sign)\n"), b->set_board->n_keys,
		    b->set_board->threshold);
		for (size_t i = 0; i < b->set_board->n_keys; i++)
			put_hex(o, "board key", &b->set_board->keys[i]);
		break;
	case MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY:
		put_hex(o, "new checkpoint key (must co-sign)", &b->set_checkpoint_key->key);
		break;
	case MANNE__TX_BODY__KIND_VOID_TX:
		put_hex(o, "txid voided for ever", &b->void_tx->txid);
		break;
	case MANNE__TX_BODY__KIND_SET_CARD:
		put_hex(o, "card account", &b->set_card->account);
		put_enum(o, "action", (int)b->set_card->action, card_actions, card_action_codes,
			 sizeof(card_actions) / sizeof(card_actions[0]));
		if (b->set_card->pin_check.len != 0)
			put(o, T_("PIN check: %zu bytes sealed to the ledger's card key\n"), b->set_card->pin_check.len);
		break;
	default:
		put(o, T_("kind: (none: the ledger will refuse it)\n"));
		break;
	}
}

enum manne_status manne_body_describe(const uint8_t *body, size_t body_len, char *out, size_t out_size,
				      uint8_t txid_out[MANNE_TXIDBYTES])
{
	struct out o = {.p = out, .size = out_size};
	Manne__TxBody *b;
	uint8_t *again, txid[MANNE_TXIDBYTES];
	char txid_hex[2 * MANNE_TXIDBYTES + 1];
	size_t len;
	bool same;

	if (body == NULL || out == NULL || out_size == 0)
		return MANNE_ERR_ARGUMENT;
	out[0] = '\0';
	if (body_len == 0 || body_len > MANNE_SIGNED_TX_BYTES_MAX)
		return MANNE_ERR_MALFORMED;
	b = manne__tx_body__unpack(NULL, body_len, body);
	if (b == NULL)
		return MANNE_ERR_MALFORMED;
	len = manne__tx_body__get_packed_size(b);
	again = len == body_len ? malloc(len) : NULL;
	same = again != NULL && manne__tx_body__pack(b, again) == len && memcmp(again, body, len) == 0;
	free(again);
	if (!same) {
		manne__tx_body__free_unpacked(b, NULL);
		return MANNE_ERR_MALFORMED;
	}
	crypto_hash_sha256(txid, body, body_len);
	sodium_bin2hex(txid_hex, sizeof(txid_hex), txid, sizeof(txid));
	/* The first line stays as it is in every language: callers read the kind from it. */
	put(&o, "kind: %s\n", manne_kind_name((enum manne_kind)b->kind_case) != NULL
				     ? manne_kind_name((enum manne_kind)b->kind_case)
				     : "(none)");
	put(&o, T_("txid: %s\n"), txid_hex);
	put_text(&o, "ledger (origin)", b->origin);
	put_hex(&o, "genesis id", &b->genesis_id);
	if (b->signer_case == MANNE__TX_BODY__SIGNER_BOARD) {
		put(&o, T_("signed by: the board\n"));
		put_hex(&o, "nonce", &b->nonce);
	} else if (b->signer_case == MANNE__TX_BODY__SIGNER_ACCOUNT) {
		put_hex(&o, "signed by account", &b->account);
		put(&o, T_("sequence: %llu\n"), (unsigned long long)b->sequence);
		if (b->nonce.len != 0)
			put_hex(&o, "nonce (unexpected)", &b->nonce);
	} else {
		put(&o, T_("signed by: (nobody named: the ledger will refuse it)\n"));
	}
	if (b->sequence != 0 && b->signer_case != MANNE__TX_BODY__SIGNER_ACCOUNT)
		put(&o, T_("sequence: %llu (unexpected)\n"), (unsigned long long)b->sequence);
	put_time(&o, "valid until", b->last_valid_ms);
	describe_kind(&o, b);
	manne__tx_body__free_unpacked(b, NULL);
	if (o.overflow) {
		out[0] = '\0';
		return MANNE_ERR_ARGUMENT;
	}
	if (txid_out != NULL)
		memcpy(txid_out, txid, MANNE_TXIDBYTES);
	return MANNE_OK;
}

enum manne_status manne_body_last_valid(const uint8_t *body, size_t body_len, uint64_t *last_valid_ms)
{
	Manne__TxBody *b;

	if (body == NULL || last_valid_ms == NULL)
		return MANNE_ERR_ARGUMENT;
	if (body_len == 0 || body_len > MANNE_SIGNED_TX_BYTES_MAX ||
	    (b = manne__tx_body__unpack(NULL, body_len, body)) == NULL)
		return MANNE_ERR_MALFORMED;
	*last_valid_ms = b->last_valid_ms;
	manne__tx_body__free_unpacked(b, NULL);
	return MANNE_OK;
}

enum manne_status manne_body_redeem_txid(const uint8_t *body, size_t body_len, uint8_t redeem_txid[MANNE_TXIDBYTES])
{
	Manne__TxBody *b;
	enum manne_status status = MANNE_ERR_ARGUMENT;

	if (body == NULL || redeem_txid == NULL)
		return MANNE_ERR_ARGUMENT;
	if (body_len == 0 || body_len > MANNE_SIGNED_TX_BYTES_MAX ||
	    (b = manne__tx_body__unpack(NULL, body_len, body)) == NULL)
		return MANNE_ERR_MALFORMED;
	if (b->kind_case == MANNE__TX_BODY__KIND_SETTLE_REDEMPTION &&
	    b->settle_redemption->redeem_txid.len == MANNE_TXIDBYTES) {
		memcpy(redeem_txid, b->settle_redemption->redeem_txid.data, MANNE_TXIDBYTES);
		status = MANNE_OK;
	}
	manne__tx_body__free_unpacked(b, NULL);
	return status;
}
