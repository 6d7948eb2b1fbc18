/*
 * status.c: names and messages of the ledger outcomes, checked against the
 * numbers of the wire contract.
 */
#include "manne_status.h"

#include "manne.pb-c.h"

/* Marks a sentence for the catalogue (po/POTFILES): the tools print it in
 * the reader's language through gettext; this library stays English. */
#define N_(text) text

#define SAME(c, p) _Static_assert((int)(c) == (int)(p), #c " must equal " #p)
SAME(MANNE_OK, MANNE__STATUS__OK);
SAME(MANNE_ERR_MALFORMED, MANNE__STATUS__MALFORMED);
SAME(MANNE_ERR_WRONG_LEDGER, MANNE__STATUS__WRONG_LEDGER);
SAME(MANNE_ERR_INVALID_AMOUNT, MANNE__STATUS__INVALID_AMOUNT);
SAME(MANNE_ERR_BAD_SIGNATURE, MANNE__STATUS__BAD_SIGNATURE);
SAME(MANNE_ERR_NOT_ENOUGH_SIGNATURES, MANNE__STATUS__NOT_ENOUGH_SIGNATURES);
SAME(MANNE_ERR_EXPIRED, MANNE__STATUS__EXPIRED);
SAME(MANNE_ERR_UNKNOWN_ACCOUNT, MANNE__STATUS__UNKNOWN_ACCOUNT);
SAME(MANNE_ERR_BAD_SEQUENCE, MANNE__STATUS__BAD_SEQUENCE);
SAME(MANNE_ERR_NOT_ACTIVE, MANNE__STATUS__NOT_ACTIVE);
SAME(MANNE_ERR_COUNTERPARTY_UNKNOWN, MANNE__STATUS__COUNTERPARTY_UNKNOWN);
SAME(MANNE_ERR_COUNTERPARTY_NOT_ACTIVE, MANNE__STATUS__COUNTERPARTY_NOT_ACTIVE);
SAME(MANNE_ERR_ROLE_FORBIDDEN, MANNE__STATUS__ROLE_FORBIDDEN);
SAME(MANNE_ERR_NOT_FOUND, MANNE__STATUS__NOT_FOUND);
SAME(MANNE_ERR_ALREADY_SETTLED, MANNE__STATUS__ALREADY_SETTLED);
SAME(MANNE_ERR_REFUND_EXCEEDS_PAYMENT, MANNE__STATUS__REFUND_EXCEEDS_PAYMENT);
SAME(MANNE_ERR_LIMIT_EXCEEDED, MANNE__STATUS__LIMIT_EXCEEDED);
SAME(MANNE_ERR_INSUFFICIENT_FUNDS, MANNE__STATUS__INSUFFICIENT_FUNDS);
SAME(MANNE_ERR_BACKING_EXCEEDED, MANNE__STATUS__BACKING_EXCEEDED);
SAME(MANNE_ERR_ACCOUNT_NOT_EMPTY, MANNE__STATUS__ACCOUNT_NOT_EMPTY);
SAME(MANNE_ERR_NOT_PERMITTED, MANNE__STATUS__NOT_PERMITTED);
SAME(MANNE_ERR_CARD_LOCKED, MANNE__STATUS__CARD_LOCKED);
SAME(MANNE_ERR_OVERLOADED, MANNE__STATUS__OVERLOADED);
SAME(MANNE_ERR_STORAGE_FULL, MANNE__STATUS__STORAGE_FULL);
SAME(MANNE_ERR_INTERNAL, MANNE__STATUS__INTERNAL);
SAME(MANNE_ERR_VOIDED, MANNE__STATUS__VOIDED);
SAME(MANNE_ERR_KEY_ALREADY_USED, MANNE__STATUS__KEY_ALREADY_USED);
SAME(MANNE_ERR_NOT_DORMANT, MANNE__STATUS__NOT_DORMANT);
SAME(MANNE_ERR_REFERENCE_USED, MANNE__STATUS__REFERENCE_USED);
SAME(MANNE_ERR_WRONG_PIN, MANNE__STATUS__WRONG_PIN);
SAME(MANNE_ERR_TOO_MANY_TRIES, MANNE__STATUS__TOO_MANY_TRIES);

static const struct {
	const char *name;
	const char *message;
} statuses[MANNE_STATUS_COUNT] = {
	[MANNE_OK] = {"ok", N_("applied")},
	[MANNE_ERR_MALFORMED] = {"malformed", N_("the message is not a valid, strictly encoded transaction")},
	[MANNE_ERR_WRONG_LEDGER] = {"wrong_ledger", N_("the transaction names another ledger (origin or genesis id)")},
	[MANNE_ERR_INVALID_AMOUNT] = {"invalid_amount", N_("the amount must be between 1 and 100000000000 centimes")},
	[MANNE_ERR_BAD_SIGNATURE] = {"bad_signature", N_("a signature is missing, invalid, repeated or not from a required key")},
	[MANNE_ERR_NOT_ENOUGH_SIGNATURES] = {"not_enough_signatures", N_("fewer board signatures than the threshold")},
	[MANNE_ERR_EXPIRED] = {"expired", N_("the transaction's last valid time has passed")},
	[MANNE_ERR_UNKNOWN_ACCOUNT] = {"unknown_account", N_("the signing account does not exist")},
	[MANNE_ERR_BAD_SEQUENCE] = {"bad_sequence", N_("not the next sequence number, or a board nonce already used")},
	[MANNE_ERR_NOT_ACTIVE] = {"not_active", N_("the signing account is frozen or closed")},
	[MANNE_ERR_COUNTERPARTY_UNKNOWN] = {"counterparty_unknown", N_("the other account does not exist")},
	[MANNE_ERR_COUNTERPARTY_NOT_ACTIVE] = {"counterparty_not_active", N_("the other account is frozen or closed")},
	[MANNE_ERR_ROLE_FORBIDDEN] = {"role_forbidden", N_("these roles may not do this")},
	[MANNE_ERR_NOT_FOUND] = {"not_found", N_("the transaction it refers to does not exist")},
	[MANNE_ERR_ALREADY_SETTLED] = {"already_settled", N_("already settled, applied or voided")},
	[MANNE_ERR_REFUND_EXCEEDS_PAYMENT] = {"refund_exceeds_payment", N_("more than what is left of the payment or issue")},
	[MANNE_ERR_LIMIT_EXCEEDED] = {"limit_exceeded", N_("over the account's per-payment or daily maximum")},
	[MANNE_ERR_INSUFFICIENT_FUNDS] = {"insufficient_funds", N_("the balance is too small")},
	[MANNE_ERR_BACKING_EXCEEDED] = {"backing_exceeded", N_("the reserve would fall below the credits outstanding")},
	[MANNE_ERR_ACCOUNT_NOT_EMPTY] = {"account_not_empty", N_("the balance is not zero or a redemption is pending")},
	[MANNE_ERR_NOT_PERMITTED] = {"not_permitted", N_("this connection may not read that")},
	[MANNE_ERR_CARD_LOCKED] = {"card_locked", N_("the card is locked after too many wrong PINs")},
	[MANNE_ERR_OVERLOADED] = {"overloaded", N_("too many requests in flight; send again later")},
	[MANNE_ERR_STORAGE_FULL] = {"storage_full", N_("the store is full; reads still work")},
	[MANNE_ERR_INTERNAL] = {"internal", N_("an internal fault; nothing was applied")},
	[MANNE_ERR_VOIDED] = {"voided", N_("the board voided this transaction")},
	[MANNE_ERR_KEY_ALREADY_USED] = {"key_already_used", N_("this key is or once was an account")},
	[MANNE_ERR_NOT_DORMANT] = {"not_dormant", N_("the account has not been frozen for 12 months")},
	[MANNE_ERR_REFERENCE_USED] = {"reference_used", N_("the payee already has a payment with this payee reference")},
	[MANNE_ERR_WRONG_PIN] = {"wrong_pin", N_("wrong PIN for this card")},
	[MANNE_ERR_TOO_MANY_TRIES] = {"too_many_tries", N_("PIN tries come too fast for this card or this till; try again in a few seconds")},
};

/* The client library's own outcomes (manne.h), from 100: never on the wire. */
#define CLIENT_STATUS_FIRST 100
#define CLIENT_STATUS_COUNT 18
_Static_assert(MANNE_ERR_CARD_OPEN == CLIENT_STATUS_FIRST + CLIENT_STATUS_COUNT - 1, "one entry per client code");

static const struct {
	const char *name;
	const char *message;
} client_statuses[CLIENT_STATUS_COUNT] = {
	[MANNE_ERR_CONNECT - CLIENT_STATUS_FIRST] = {"connect", N_("cannot reach the ledger (refused, unknown, or no answer in time)")},
	[MANNE_ERR_TIMEOUT - CLIENT_STATUS_FIRST] = {"timeout", N_("no reply from the ledger in time; the transaction may or may not be in: send the same bytes again")},
	[MANNE_ERR_PROTOCOL - CLIENT_STATUS_FIRST] = {"protocol", N_("the ledger's reply is not what was asked for")},
	[MANNE_ERR_ARGUMENT - CLIENT_STATUS_FIRST] = {"argument", N_("a bad argument: missing, over its limit or out of range")},
	[MANNE_ERR_NO_MEMORY - CLIENT_STATUS_FIRST] = {"no_memory", N_("out of memory")},
	[MANNE_ERR_IO - CLIENT_STATUS_FIRST] = {"io", N_("a file cannot be created, read or written")},
	[MANNE_ERR_KEY_FILE - CLIENT_STATUS_FIRST] = {"key_file", N_("not a key file, or a damaged one")},
	[MANNE_ERR_KEY_FILE_MODE - CLIENT_STATUS_FIRST] = {"key_file_mode", N_("the key file may be read by others: it must have mode 0600")},
	[MANNE_ERR_PASSPHRASE - CLIENT_STATUS_FIRST] = {"passphrase", N_("wrong passphrase: it does not open this sealed key")},
	[MANNE_ERR_PASSPHRASE_NEEDED - CLIENT_STATUS_FIRST] = {"passphrase_needed", N_("the key file is sealed: a passphrase is needed")},
	[MANNE_ERR_VERIFY - CLIENT_STATUS_FIRST] = {"verify", N_("a signature or proof does not verify: do not trust this reply")},
	[MANNE_ERR_TLS - CLIENT_STATUS_FIRST] = {"tls", N_("no TLS 1.3 handshake, or the server does not hold the pinned TLS key: nothing was sent")},
	[MANNE_ERR_PAYMENT_MISMATCH - CLIENT_STATUS_FIRST] = {"payment_mismatch", N_("the payment with this reference is not for the amount or payer expected: it does not pay this order")},
	[MANNE_ERR_CARD_FORMAT - CLIENT_STATUS_FIRST] = {"card_format", N_("not a card: a bad character, truncated, too long or damaged")},
	[MANNE_ERR_CARD_VERSION - CLIENT_STATUS_FIRST] = {"card_version", N_("a card of a version this software does not know")},
	[MANNE_ERR_CARD_LIMITS - CLIENT_STATUS_FIRST] = {"card_limits", N_("the card asks for more Argon2id work or memory than the caps allow")},
	[MANNE_ERR_PIN_FORMAT - CLIENT_STATUS_FIRST] = {"pin_format", N_("a PIN is 4 to 6 digits, and a new card's PIN may not be trivial (0000, 1234)")},
	[MANNE_ERR_CARD_OPEN - CLIENT_STATUS_FIRST] = {"card_open", N_("the card does not open with the ledger's secret: it is not the card registered for this account now")},
};

const char *manne_status_name(enum manne_status status)
{
	unsigned n = (unsigned)status;
	if (n < MANNE_STATUS_COUNT)
		return statuses[n].name;
	if (n >= CLIENT_STATUS_FIRST && n - CLIENT_STATUS_FIRST < CLIENT_STATUS_COUNT)
		return client_statuses[n - CLIENT_STATUS_FIRST].name;
	return "unknown";
}

const char *manne_status_message(enum manne_status status)
{
	unsigned n = (unsigned)status;
	if (n < MANNE_STATUS_COUNT)
		return statuses[n].message;
	if (n >= CLIENT_STATUS_FIRST && n - CLIENT_STATUS_FIRST < CLIENT_STATUS_COUNT)
		return client_statuses[n - CLIENT_STATUS_FIRST].message;
	return "unknown status";
}
