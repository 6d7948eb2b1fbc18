/*
 * manne_status.h: the outcomes of the ledger and of libmanne, one enum for
 * both. The numbers below 100 are those of enum Status in proto/manne.proto,
 * fixed for ever; the _Static_asserts in status.c keep the two in step.
 * docs/errors.md lists them in precedence order. Codes from 100 are the
 * client library's own and never travel on the wire.
 *
 * Public: installed beside manne.h, which includes it; the daemon, the
 * auditor and libmanne share it. Self-contained: C headers only.
 */
#ifndef MANNE_STATUS_H
#define MANNE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#ifndef MANNE_API
#if defined(__GNUC__)
#define MANNE_API __attribute__((visibility("default")))
#else
#define MANNE_API
#endif
#endif

/* Codes 0..28 are enum Status of proto/manne.proto, checked by
 * _Static_assert in status.c. */
enum manne_status {
	MANNE_OK = 0,
	MANNE_ERR_MALFORMED = 1,
	MANNE_ERR_WRONG_LEDGER = 2,
	MANNE_ERR_INVALID_AMOUNT = 3,
	MANNE_ERR_BAD_SIGNATURE = 4,
	MANNE_ERR_NOT_ENOUGH_SIGNATURES = 5,
	MANNE_ERR_EXPIRED = 6,
	MANNE_ERR_UNKNOWN_ACCOUNT = 7,
	MANNE_ERR_BAD_SEQUENCE = 8,
	MANNE_ERR_NOT_ACTIVE = 9,
	MANNE_ERR_COUNTERPARTY_UNKNOWN = 10,
	MANNE_ERR_COUNTERPARTY_NOT_ACTIVE = 11,
	MANNE_ERR_ROLE_FORBIDDEN = 12,
	MANNE_ERR_NOT_FOUND = 13,
	MANNE_ERR_ALREADY_SETTLED = 14,
	MANNE_ERR_REFUND_EXCEEDS_PAYMENT = 15,
	MANNE_ERR_LIMIT_EXCEEDED = 16,
	MANNE_ERR_INSUFFICIENT_FUNDS = 17,
	MANNE_ERR_BACKING_EXCEEDED = 18,
	MANNE_ERR_ACCOUNT_NOT_EMPTY = 19,
	MANNE_ERR_NOT_PERMITTED = 20,
	MANNE_ERR_CARD_LOCKED = 21,
	MANNE_ERR_OVERLOADED = 22,
	MANNE_ERR_STORAGE_FULL = 23,
	MANNE_ERR_INTERNAL = 24,
	MANNE_ERR_VOIDED = 25,
	MANNE_ERR_KEY_ALREADY_USED = 26,
	MANNE_ERR_NOT_DORMANT = 27,
	MANNE_ERR_REFERENCE_USED = 28,
	MANNE_ERR_WRONG_PIN = 29,         /* a card unlock with the wrong PIN (tries left are given) */
	MANNE_ERR_TOO_MANY_TRIES = 30,    /* card unlocks too fast for this card or connection: try again later */

	/* The library's own outcomes: never on the wire. */
	MANNE_ERR_CONNECT = 100,          /* cannot reach the ledger in time */
	MANNE_ERR_TIMEOUT = 101,          /* no reply in time, every attempt (the transaction may or may not be in) */
	MANNE_ERR_PROTOCOL = 102,         /* a reply that is not what was asked for */
	MANNE_ERR_ARGUMENT = 103,         /* a bad argument: NULL, a text over its limit, an amount out of range */
	MANNE_ERR_NO_MEMORY = 104,
	MANNE_ERR_IO = 105,               /* a file cannot be created, read or written */
	MANNE_ERR_KEY_FILE = 106,         /* not a key file, or a damaged one */
	MANNE_ERR_KEY_FILE_MODE = 107,    /* a key file that others may read (must be 0600) */
	MANNE_ERR_PASSPHRASE = 108,       /* the passphrase does not open this sealed key */
	MANNE_ERR_PASSPHRASE_NEEDED = 109,/* the key file is sealed: a passphrase is needed */
	MANNE_ERR_VERIFY = 110,           /* a signature or proof does not verify: do not trust this reply */
	MANNE_ERR_PAYMENT_MISMATCH = 111, /* the payment found by reference is not for the amount (or payer) expected */
	MANNE_ERR_TLS = 112,              /* no TLS 1.3 handshake, or the server does not hold the pinned key: nothing was sent */
	MANNE_ERR_CARD_FORMAT = 113,      /* not a card: a bad character, truncated, too long, or damaged */
	MANNE_ERR_CARD_VERSION = 114,     /* a card of a version this library does not know */
	MANNE_ERR_CARD_LIMITS = 115,      /* the card's Argon2id limits are above the caps (or below libsodium's minimum) */
	MANNE_ERR_PIN_FORMAT = 116,       /* a PIN must be 4 to 6 digits (and, for a new card, not a trivial one) */
	MANNE_ERR_CARD_OPEN = 117,        /* the card does not open with the secret the ledger gave: not this account's card now */
};

#define MANNE_STATUS_COUNT 31         /* the ledger's codes: 0 .. MANNE_STATUS_COUNT - 1 */

/* "insufficient_funds": stable names for logs, the CLI and JSON. Never NULL. */
MANNE_API const char *manne_status_name(enum manne_status status);
/* A fixed sentence for people. Never NULL. */
MANNE_API const char *manne_status_message(enum manne_status status);

#ifdef __cplusplus
}
#endif

#endif
