/*
 * status.h: ledger outcomes. The numbers are those of enum Status in
 * proto/manne.proto, fixed for ever; the _Static_asserts in status.c keep the
 * two in step. docs/errors.md lists them in precedence order.
 */
#ifndef MANNE_STATUS_H
#define MANNE_STATUS_H

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
};

#define MANNE_STATUS_COUNT 28

/* "insufficient_funds": stable names for logs, the CLI and JSON. */
const char *manne_status_name(enum manne_status status);
/* A sentence for people. Never NULL. */
const char *manne_status_message(enum manne_status status);

#endif
