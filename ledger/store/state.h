/*
 * state.h: what the ledger remembers between leaves: the ledger-wide state
 * (genesis parameters, board, fee, totals, tree size) and the records kept
 * per account and per referenced transaction.
 *
 * These structures are stored as they are in LMDB (whose files are not
 * portable across byte orders anyway): every field has a fixed size, there is
 * no padding (checked below), and every record is zeroed before it is
 * filled, so the bytes written are fully determined by the ledger state.
 */
#ifndef MANNE_STATE_H
#define MANNE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/log/ledger_limits.h"

#define KEY_BYTES 32U
#define TXID_BYTES 32U

/* SPEC §2 totals, in centimes. outstanding and reserve are derived. */
struct totals {
	uint64_t issued;
	uint64_t retired;
	uint64_t reconverted;
	uint64_t fees;
	uint64_t pending;
	uint64_t funded;
	uint64_t paid_out;
	uint64_t released;
};

struct ledger_state {
	uint64_t tree_size;          /* leaves in the log */
	uint64_t last_time_ms;       /* time of the last leaf; leaf times never decrease */
	struct totals totals;
	uint8_t genesis_id[TXID_BYTES];
	uint8_t association_key[KEY_BYTES];
	uint8_t checkpoint_key[KEY_BYTES];
	uint64_t checkpoint_key_since; /* the tree size from which checkpoint_key signs */
	uint8_t previous_checkpoint_key[KEY_BYTES]; /* the key before it (zero if none) */
	uint64_t accounts_opened;    /* accounts ever opened or recovered to: the next account number */
	uint8_t board[BOARD_KEYS_MAX][KEY_BYTES];
	uint32_t board_count;
	uint32_t threshold;
	uint32_t fee_bp;
	int32_t utc_offset_minutes;
	uint32_t eu_summer_time;     /* 0 or 1 */
	uint32_t origin_len;
	char origin[ORIGIN_BYTES_MAX + 8]; /* NUL-terminated, padded to 8 */
};

enum account_role {
	ROLE_MEMBER = 1,
	ROLE_SHOP = 2,
	ROLE_PRODUCER = 3,
	ROLE_AUDITOR = 4,
	ROLE_ASSOCIATION = 5,
	ROLE_COUNTER = 6,    /* a service point of the association: takes payments to it */
};

enum account_state {
	ACCOUNT_ACTIVE = 1,
	ACCOUNT_FROZEN = 2,
	ACCOUNT_CLOSED = 3,
};

struct account {
	uint64_t balance;
	uint64_t max_payment;        /* 0 = no limit */
	uint64_t max_daily;          /* 0 = no limit */
	uint64_t used_today;         /* pay amounts in ledger day used_day */
	int64_t used_day;
	uint64_t next_sequence;      /* starts at 1 */
	uint64_t pending;            /* centimes in pending redemptions */
	uint64_t pending_count;
	uint64_t frozen_since_ms;    /* when it was last frozen */
	uint64_t opened_index;       /* leaf that opened it (or recovered to it) */
	uint64_t number;             /* its place in opening order: names it in history links */
	uint64_t history_last;       /* the latest leaf that concerns it, plus one; 0: none */
	uint8_t successor[KEY_BYTES];/* the key it was recovered to, when has_successor */
	uint8_t reference[ACCOUNT_REFERENCE_BYTES_MAX];
	uint8_t reference_len;
	uint8_t role;                /* enum account_role */
	uint8_t state;               /* enum account_state */
	uint8_t card_held;
	uint8_t has_successor;
	uint8_t padding[3];
};

/* What later transactions need to know of an earlier one, keyed by its txid.
 * (Payments have none: their leaf says who paid whom, and the txid index
 * keeps what was refunded. Type 1 was the payment record.) */
enum record_type {
	RECORD_ISSUE = 2,      /* party = account credited, used = reversed */
	RECORD_REDEMPTION = 3, /* party = shop, fee fixed when applied, state = redemption_state */
};

enum redemption_state {
	REDEMPTION_PENDING = 0,
	REDEMPTION_PAID = 1,
	REDEMPTION_REJECTED = 2,
};

struct tx_record {
	uint64_t amount;
	uint64_t used;
	uint64_t fee;
	uint8_t party[KEY_BYTES];
	uint8_t other[KEY_BYTES];
	uint8_t type;   /* enum record_type */
	uint8_t state;
	uint8_t padding[6];
};

/* A card (SPEC §10, set_card): its PIN check, sealed to the ledger's card
 * key, and the generation, the leaf of the last register or unlock plus one:
 * wrong tries counted under an older generation no longer count. */
struct card_record {
	uint8_t pin_check[CARD_PIN_CHECK_BYTES];
	uint64_t generation;
};

/* Wrong PINs since the card's generation began (not from the log). */
struct card_tries {
	uint64_t generation;
	uint64_t last_wrong_ms;  /* wall clock of the last wrong PIN (the per-account pace) */
	uint32_t wrong;
	uint32_t padding;
};

_Static_assert(sizeof(struct card_record) == CARD_PIN_CHECK_BYTES + 8, "card_record has no padding");
_Static_assert(sizeof(struct card_tries) == 24, "card_tries has no padding");
_Static_assert(sizeof(struct totals) == 64, "totals has no padding");
_Static_assert(sizeof(struct account) == 96 + KEY_BYTES + ACCOUNT_REFERENCE_BYTES_MAX + 8,
	       "account has no padding");
_Static_assert(sizeof(struct tx_record) == 24 + 2 * KEY_BYTES + 8, "tx_record has no padding");
_Static_assert(sizeof(struct ledger_state) ==
		       16 + sizeof(struct totals) + 4 * 32 + 16 + BOARD_KEYS_MAX * 32 + 24 + ORIGIN_BYTES_MAX + 8,
	       "ledger_state has no padding");

#endif
