/*
 * test_random.c: thousands of random transactions, valid and invalid, against
 * a small independent model of the ledger (SPEC §2-§5).
 *
 * The model predicts the exact outcome of every transaction, following the
 * precedence of SPEC §5, and what it changes. After every transaction the
 * test checks the ledger's answer against the prediction, every account of
 * the store against the model, the totals, the tree size and, for a refusal,
 * that nothing moved (tree size, root, totals, accounts, the txid unknown).
 * Every few transactions it checks the invariants of SPEC §2 and the records
 * (payments, issues, redemptions); at the end it replays the log into a
 * fresh ledger and compares.
 *
 * Deterministic: the seed (default below) can be set with MANNE_SEED and is
 * printed; MANNE_RANDOM_TXS sets the number of steps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "ledger/store/history.h"
#include "ledger/log/ledger_limits.h"
#include "ledger/server/server_limits.h"

#define DEFAULT_SEED 20261102ULL
#define DEFAULT_STEPS 8000U
#define SLOTS_MAX 200       /* model accounts; the harness holds 256 keys */
#define POOL_MAX 64         /* transactions signed earlier, submitted later */
#define MS_MINUTE 60000ULL
#define MS_HOUR 3600000ULL
#define MS_DAY 86400000ULL

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, deterministic from the seed.            */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) /* 0..n-1; n > 0 */
{
	return rnd() % n;
}

static uint64_t between(uint64_t lo, uint64_t hi) /* lo..hi inclusive */
{
	return lo + below(hi - lo + 1);
}

static bool chance(unsigned per_mille)
{
	return below(1000) < per_mille;
}

/* ------------------------------------------------------------------ */
/* The ledger calendar, computed independently of ledger_day.c: UTC+1 and
 * EU summer time (the harness genesis), with the C library's timegm. */

static int64_t last_sunday_1am_ms(int year, int month0)
{
	struct tm tm = {.tm_year = year - 1900, .tm_mon = month0, .tm_mday = 31, .tm_hour = 1};
	struct tm out;
	time_t t = timegm(&tm);
	gmtime_r(&t, &out);
	return ((int64_t)t - (int64_t)out.tm_wday * 86400) * 1000;
}

static bool summer_at(uint64_t time_ms)
{
	time_t secs = (time_t)(time_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	int year = tm.tm_year + 1900;
	return (int64_t)time_ms >= last_sunday_1am_ms(year, 2) && (int64_t)time_ms < last_sunday_1am_ms(year, 9);
}

static int64_t model_day(uint64_t time_ms)
{
	uint64_t local = time_ms + MS_HOUR + (summer_at(time_ms) ? MS_HOUR : 0);
	return (int64_t)(local / MS_DAY);
}

/* 12 calendar months from the day `from` to the day `to` (a missing day
 * counts as the first of the next month: compare as year, month, day). */
static bool dormant(int64_t from, int64_t to)
{
	time_t a = (time_t)(from * 86400), b = (time_t)(to * 86400);
	struct tm f, t;
	gmtime_r(&a, &f);
	gmtime_r(&b, &t);
	if (t.tm_year != f.tm_year + 1)
		return t.tm_year > f.tm_year + 1;
	if (t.tm_mon != f.tm_mon)
		return t.tm_mon > f.tm_mon;
	return t.tm_mday >= f.tm_mday;
}

/* ------------------------------------------------------------------ */
/* The model.                                                          */

enum { ST_NONE = 0 }; /* otherwise ACCOUNT_ACTIVE, _FROZEN, _CLOSED */

struct macct {
	char name[16];
	uint8_t role;  /* enum account_role; the role it would get for NONE slots */
	uint8_t state;
	bool card_held;
	uint64_t balance, pending, pending_count;
	uint64_t max_payment, max_daily, used_today;
	int64_t used_day;
	uint64_t next_sequence, frozen_since_ms, opened_index;
	int successor; /* slot, or -1 */
};

struct mpay {
	uint8_t txid[32];
	char reference[8];      /* the payee reference, "" for none */
	int payer, payee;
	uint64_t amount, refunded;
};

struct missue {
	uint8_t txid[32];
	int account;
	uint64_t amount, used;
};

struct mredeem {
	uint8_t txid[32];
	int shop;
	uint64_t amount, fee;
	uint8_t state; /* enum redemption_state */
};

enum corrupt {
	C_NONE,
	C_TRUNCATE,      /* MALFORMED */
	C_MEMO_LONG,     /* pay: MALFORMED */
	C_BAD_NONCE,     /* board act: 15-byte nonce, MALFORMED */
	C_WRONG_GENESIS, /* WRONG_LEDGER */
	C_WRONG_ORIGIN,  /* WRONG_LEDGER */
};

enum sig {
	S_OK,
	S_OTHER_BOARD,  /* board1 + board2: another valid set */
	S_ONE,          /* board0 alone: enough only for freeze */
	S_OUTSIDER,     /* a key outside the board signs too */
	S_NO_COSIGNER,  /* open/recover without the new key */
	S_REPEAT,       /* board0 twice */
	S_WRONG_KEY,    /* account act signed by another key */
	S_EXTRA,        /* account act with a second signature */
	S_CORRUPT,      /* a flipped bit in the last signature */
};

struct op {
	Manne__TxBody__KindCase kind;
	int signer; /* slot, or -1 for the board */
	uint64_t sequence;
	uint64_t nonce_id;
	uint8_t nonce[BOARD_NONCE_BYTES];
	uint64_t last_valid_ms;
	enum sig sig;
	enum corrupt corrupt;
	int target, target2;
	uint64_t amount;
	uint8_t ref[32];
	bool paid;
	uint32_t fee_bp;
	Manne__SetAccountAction action;
	uint64_t max_payment, max_daily;
	uint8_t role;
	bool card_held;
	char payee_reference[8];
	uint8_t *bytes;
	size_t len;
	uint8_t txid[32];
	struct receipt receipt; /* when applied */
};

struct model {
	struct macct a[SLOTS_MAX];
	int n;
	int association;
	struct mpay *pays;
	size_t npays, cap_pays;
	struct missue *issues;
	size_t nissues, cap_issues;
	struct mredeem *redeems;
	size_t nredeems, cap_redeems;
	uint8_t (*voided)[32];
	size_t nvoided, cap_voided;
	bool *nonce_used;
	size_t cap_nonces;
	struct op **applied;
	size_t napplied, cap_applied;
	struct op *pool[POOL_MAX];
	size_t npool;
	struct totals t;
	uint32_t fee_bp;
	uint64_t tree_size;
	uint64_t next_nonce;
	unsigned next_name;
};

#define GROW(ptr, n, cap)                                                              \
	do {                                                                           \
		if ((n) == (cap)) {                                                    \
			(cap) = (cap) ? 2 * (cap) : 64;                                \
			(ptr) = realloc((ptr), (cap) * sizeof(*(ptr)));                \
			assert_non_null(ptr);                                          \
		}                                                                      \
	} while (0)

static struct harness H;
static struct model M;
static uint64_t seed;

/* Statistics. */
static unsigned count_status[MANNE_STATUS_COUNT];
static unsigned count_duplicate;
static unsigned count_applied_kind[64];
static unsigned count_refused_kind[64];

static uint64_t outstanding(const struct totals *t)
{
	return t->issued - t->retired - t->reconverted;
}

static uint64_t reserve(const struct totals *t)
{
	return t->funded - t->paid_out - t->released;
}

static bool is_partner(uint8_t role)
{
	return role == ROLE_SHOP || role == ROLE_PRODUCER;
}

static int add_slot(const char *name, uint8_t role)
{
	struct macct *a;
	assert_true(M.n < SLOTS_MAX);
	a = &M.a[M.n];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->role = role;
	a->state = ST_NONE;
	a->successor = -1;
	(void)h_key(&H, name);
	return M.n++;
}

static int new_slot(uint8_t role)
{
	char name[16];
	snprintf(name, sizeof(name), "k%u", M.next_name++);
	return add_slot(name, role);
}

static int holder(int slot)
{
	for (int hops = 0; M.a[slot].successor >= 0; hops++) {
		assert_true(hops < SLOTS_MAX);
		slot = M.a[slot].successor;
	}
	return slot;
}

static struct mpay *find_pay(const uint8_t txid[32])
{
	for (size_t i = 0; i < M.npays; i++)
		if (memcmp(M.pays[i].txid, txid, 32) == 0)
			return &M.pays[i];
	return NULL;
}

static struct missue *find_issue(const uint8_t txid[32])
{
	for (size_t i = 0; i < M.nissues; i++)
		if (memcmp(M.issues[i].txid, txid, 32) == 0)
			return &M.issues[i];
	return NULL;
}

static struct mredeem *find_redeem(const uint8_t txid[32])
{
	for (size_t i = 0; i < M.nredeems; i++)
		if (memcmp(M.redeems[i].txid, txid, 32) == 0)
			return &M.redeems[i];
	return NULL;
}

static struct op *find_applied(const uint8_t txid[32])
{
	for (size_t i = 0; i < M.napplied; i++)
		if (memcmp(M.applied[i]->txid, txid, 32) == 0)
			return M.applied[i];
	return NULL;
}

static bool is_voided(const uint8_t txid[32])
{
	for (size_t i = 0; i < M.nvoided; i++)
		if (memcmp(M.voided[i], txid, 32) == 0)
			return true;
	return false;
}

static bool kind_has_amount(Manne__TxBody__KindCase k)
{
	switch (k) {
	case MANNE__TX_BODY__KIND_FUND_RESERVE:
	case MANNE__TX_BODY__KIND_RELEASE_RESERVE:
	case MANNE__TX_BODY__KIND_ISSUE:
	case MANNE__TX_BODY__KIND_REVERSE_ISSUE:
	case MANNE__TX_BODY__KIND_PAY:
	case MANNE__TX_BODY__KIND_REFUND:
	case MANNE__TX_BODY__KIND_REDEEM:
		return true;
	default:
		return false;
	}
}

/* The checks of one kind, then (only when all pass) its effect on the model. */
static enum manne_status model_kind(struct op *op, uint64_t now)
{
	struct macct *s = op->signer >= 0 ? &M.a[op->signer] : NULL;
	struct macct *t = op->target >= 0 ? &M.a[op->target] : NULL;
	int64_t day = model_day(now);
	struct totals *tt = &M.t;

	switch (op->kind) {
	case MANNE__TX_BODY__KIND_PAY: {
		uint64_t used, used_new;
		if (op->target == op->signer)
			return MANNE_ERR_ROLE_FORBIDDEN;
		if (t->state == ST_NONE)
			return MANNE_ERR_COUNTERPARTY_UNKNOWN;
		if (t->state != ACCOUNT_ACTIVE)
			return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
		if ((s->role != ROLE_MEMBER && !is_partner(s->role)) ||
		    (!is_partner(t->role) && t->role != ROLE_ASSOCIATION))
			return MANNE_ERR_ROLE_FORBIDDEN;
		/* The first payment with a payee reference keeps it. */
		for (size_t i = 0; op->payee_reference[0] != '\0' && i < M.npays; i++)
			if (M.pays[i].payee == op->target && strcmp(M.pays[i].reference, op->payee_reference) == 0)
				return MANNE_ERR_REFERENCE_USED;
		used = s->used_day == day ? s->used_today : 0;
		used_new = used + op->amount;
		if ((s->max_payment != 0 && op->amount > s->max_payment) ||
		    (s->max_daily != 0 && used_new > s->max_daily))
			return MANNE_ERR_LIMIT_EXCEEDED;
		if (s->balance < op->amount)
			return MANNE_ERR_INSUFFICIENT_FUNDS;
		s->balance -= op->amount;
		s->used_today = used_new;
		s->used_day = day;
		if (t->role == ROLE_ASSOCIATION)
			tt->retired += op->amount;
		else
			t->balance += op->amount;
		GROW(M.pays, M.npays, M.cap_pays);
		M.pays[M.npays++] = (struct mpay){.payer = op->signer, .payee = op->target, .amount = op->amount};
		memcpy(M.pays[M.npays - 1].txid, op->txid, 32);
		memcpy(M.pays[M.npays - 1].reference, op->payee_reference, sizeof(M.pays[0].reference));
		return MANNE_OK;
	}
	case MANNE__TX_BODY__KIND_REFUND: {
		struct mpay *p;
		struct macct *payer;
		if (!is_partner(s->role))
			return MANNE_ERR_ROLE_FORBIDDEN;
		p = find_pay(op->ref);
		if (p == NULL)
			return MANNE_ERR_NOT_FOUND;
		payer = &M.a[holder(p->payer)];
		if (payer->state == ACCOUNT_CLOSED)
			return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
		if (holder(p->payee) != op->signer)
			return MANNE_ERR_ROLE_FORBIDDEN;
		if (p->refunded + op->amount > p->amount)
			return MANNE_ERR_REFUND_EXCEEDS_PAYMENT;
		if (s->balance < op->amount)
			return MANNE_ERR_INSUFFICIENT_FUNDS;
		s->balance -= op->amount;
		payer->balance += op->amount;
		p->refunded += op->amount;
		return MANNE_OK;
	}
	case MANNE__TX_BODY__KIND_REDEEM:
		if (!is_partner(s->role))
			return MANNE_ERR_ROLE_FORBIDDEN;
		if (s->balance < op->amount)
			return MANNE_ERR_INSUFFICIENT_FUNDS;
		s->balance -= op->amount;
		s->pending += op->amount;
		s->pending_count++;
		tt->pending += op->amount;
		GROW(M.redeems, M.nredeems, M.cap_redeems);
		M.redeems[M.nredeems++] = (struct mredeem){.shop = op->signer,
							   .amount = op->amount,
							   .fee = op->amount * M.fee_bp / 10000,
							   .state = REDEMPTION_PENDING};
		memcpy(M.redeems[M.nredeems - 1].txid, op->txid, 32);
		return MANNE_OK;
	case MANNE__TX_BODY__KIND_SETTLE_REDEMPTION: {
		struct mredeem *r = find_redeem(op->ref);
		struct macct *shop;
		if (r == NULL)
			return MANNE_ERR_NOT_FOUND;
		shop = &M.a[holder(r->shop)];
		if (shop->state == ACCOUNT_CLOSED)
			return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
		if (r->state != REDEMPTION_PENDING)
			return MANNE_ERR_ALREADY_SETTLED;
		assert_true(shop->pending >= r->amount && shop->pending_count > 0);
		if (op->paid) {
			tt->reconverted += r->amount;
			tt->paid_out += r->amount - r->fee;
			tt->fees += r->fee;
			r->state = REDEMPTION_PAID;
		} else {
			shop->balance += r->amount;
			r->state = REDEMPTION_REJECTED;
		}
		tt->pending -= r->amount;
		shop->pending -= r->amount;
		shop->pending_count--;
		return MANNE_OK;
	}
	case MANNE__TX_BODY__KIND_ISSUE:
		if (t->state == ST_NONE)
			return MANNE_ERR_COUNTERPARTY_UNKNOWN;
		if (t->state != ACCOUNT_ACTIVE)
			return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
		if (t->role != ROLE_MEMBER && !is_partner(t->role))
			return MANNE_ERR_ROLE_FORBIDDEN;
		if (outstanding(tt) + op->amount > reserve(tt))
			return MANNE_ERR_BACKING_EXCEEDED;
		t->balance += op->amount;
		tt->issued += op->amount;
		GROW(M.issues, M.nissues, M.cap_issues);
		M.issues[M.nissues++] = (struct missue){.account = op->target, .amount = op->amount};
		memcpy(M.issues[M.nissues - 1].txid, op->txid, 32);
		return MANNE_OK;
	case MANNE__TX_BODY__KIND_REVERSE_ISSUE: {
		struct missue *is = find_issue(op->ref);
		struct macct *a;
		uint64_t taken;
		if (is == NULL)
			return MANNE_ERR_NOT_FOUND;
		a = &M.a[holder(is->account)];
		if (op->amount > is->amount - is->used)
			return MANNE_ERR_REFUND_EXCEEDS_PAYMENT;
		taken = op->amount < a->balance ? op->amount : a->balance;
		if (taken == 0)
			return MANNE_ERR_INSUFFICIENT_FUNDS;
		a->balance -= taken;
		is->used += taken;
		tt->retired += taken;
		return MANNE_OK;
	}
	case MANNE__TX_BODY__KIND_FUND_RESERVE:
		tt->funded += op->amount;
		return MANNE_OK;
	case MANNE__TX_BODY__KIND_RELEASE_RESERVE:
		if (op->amount > reserve(tt))
			return MANNE_ERR_INSUFFICIENT_FUNDS;
		if (reserve(tt) - op->amount < outstanding(tt))
			return MANNE_ERR_BACKING_EXCEEDED;
		tt->released += op->amount;
		return MANNE_OK;
	case MANNE__TX_BODY__KIND_FREEZE:
		if (s != NULL) {
			if (op->target != op->signer) {
				/* SPEC §5: the other party's existence and state come before the role. */
				if (t->state == ST_NONE)
					return MANNE_ERR_COUNTERPARTY_UNKNOWN;
				if (t->state != ACCOUNT_ACTIVE)
					return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
				return MANNE_ERR_ROLE_FORBIDDEN;
			}
			if (s->role == ROLE_ASSOCIATION)
				return MANNE_ERR_ROLE_FORBIDDEN;
		} else {
			if (t->state == ST_NONE)
				return MANNE_ERR_COUNTERPARTY_UNKNOWN;
			if (t->state != ACCOUNT_ACTIVE)
				return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
			if (t->role == ROLE_ASSOCIATION)
				return MANNE_ERR_ROLE_FORBIDDEN;
		}
		t->state = ACCOUNT_FROZEN;
		t->frozen_since_ms = now;
		return MANNE_OK;
	case MANNE__TX_BODY__KIND_SET_ACCOUNT:
		if (t->state == ST_NONE)
			return MANNE_ERR_COUNTERPARTY_UNKNOWN;
		if (t->state == ACCOUNT_CLOSED)
			return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
		if (t->role == ROLE_ASSOCIATION)
			return MANNE_ERR_ROLE_FORBIDDEN;
		switch (op->action) {
		case MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE:
			t->state = ACCOUNT_ACTIVE;
			break;
		case MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS:
			t->max_payment = op->max_payment;
			t->max_daily = op->max_daily;
			break;
		default:
			if (t->balance != 0 || t->pending_count != 0)
				return MANNE_ERR_ACCOUNT_NOT_EMPTY;
			t->state = ACCOUNT_CLOSED;
			break;
		}
		return MANNE_OK;
	case MANNE__TX_BODY__KIND_RECOVER_ACCOUNT: {
		struct macct *n = &M.a[op->target2];
		if (t->state == ST_NONE)
			return MANNE_ERR_COUNTERPARTY_UNKNOWN;
		if (t->state == ACCOUNT_CLOSED)
			return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
		if (n->state != ST_NONE)
			return MANNE_ERR_KEY_ALREADY_USED;
		if (t->role == ROLE_ASSOCIATION)
			return MANNE_ERR_ROLE_FORBIDDEN;
		char name[16];
		memcpy(name, n->name, sizeof(name));
		*n = *t;
		memcpy(n->name, name, sizeof(name));
		n->state = ACCOUNT_ACTIVE;
		n->next_sequence = 1;
		n->frozen_since_ms = 0;
		n->opened_index = M.tree_size;
		n->successor = -1;
		t->balance = 0;
		t->pending = 0;
		t->pending_count = 0;
		t->used_today = 0;
		t->state = ACCOUNT_CLOSED;
		t->successor = op->target2;
		return MANNE_OK;
	}
	case MANNE__TX_BODY__KIND_OPEN_ACCOUNT:
		if (t->state != ST_NONE)
			return MANNE_ERR_KEY_ALREADY_USED;
		if (op->role == ROLE_ASSOCIATION || (op->card_held && op->role != ROLE_MEMBER))
			return MANNE_ERR_ROLE_FORBIDDEN;
		t->role = op->role;
		t->state = ACCOUNT_ACTIVE;
		t->card_held = op->card_held;
		t->max_payment = op->max_payment;
		t->max_daily = op->max_daily;
		t->next_sequence = 1;
		t->used_day = day;
		t->used_today = 0;
		t->opened_index = M.tree_size;
		return MANNE_OK;
	case MANNE__TX_BODY__KIND_RETIRE_DORMANT:
		if (t->state == ST_NONE)
			return MANNE_ERR_COUNTERPARTY_UNKNOWN;
		if (t->state == ACCOUNT_CLOSED)
			return MANNE_ERR_COUNTERPARTY_NOT_ACTIVE;
		if (t->state != ACCOUNT_FROZEN || !dormant(model_day(t->frozen_since_ms), day))
			return MANNE_ERR_NOT_DORMANT;
		if (t->balance == 0)
			return MANNE_ERR_INSUFFICIENT_FUNDS;
		tt->retired += t->balance;
		t->balance = 0;
		return MANNE_OK;
	case MANNE__TX_BODY__KIND_SET_LEDGER:
		M.fee_bp = op->fee_bp;
		return MANNE_OK;
	case MANNE__TX_BODY__KIND_VOID_TX:
		if (find_applied(op->ref) != NULL || is_voided(op->ref))
			return MANNE_ERR_ALREADY_SETTLED;
		GROW(M.voided, M.nvoided, M.cap_voided);
		memcpy(M.voided[M.nvoided++], op->ref, 32);
		return MANNE_OK;
	default:
		fail_msg("kind %d not modelled", op->kind);
		return MANNE_ERR_INTERNAL;
	}
}

/* SPEC §5 in order. On MANNE_OK the model has moved on (or *duplicate is set). */
static enum manne_status model_submit(struct op *op, uint64_t now, struct op **duplicate)
{
	enum manne_status status;

	*duplicate = NULL;
	if (op->corrupt == C_TRUNCATE || op->corrupt == C_MEMO_LONG || op->corrupt == C_BAD_NONCE)
		return MANNE_ERR_MALFORMED;
	if (op->corrupt == C_WRONG_GENESIS || op->corrupt == C_WRONG_ORIGIN)
		return MANNE_ERR_WRONG_LEDGER;
	if ((kind_has_amount(op->kind) && (op->amount == 0 || op->amount > AMOUNT_CENTIMES_MAX)) ||
	    (op->kind == MANNE__TX_BODY__KIND_SET_LEDGER && op->fee_bp > FEE_BP_MAX) ||
	    ((op->kind == MANNE__TX_BODY__KIND_SET_ACCOUNT || op->kind == MANNE__TX_BODY__KIND_OPEN_ACCOUNT) &&
	     (op->max_payment > AMOUNT_CENTIMES_MAX || op->max_daily > AMOUNT_CENTIMES_MAX)))
		return MANNE_ERR_INVALID_AMOUNT;
	switch (op->sig) {
	case S_OK:
	case S_OTHER_BOARD:
		break;
	case S_ONE:
		if (op->kind != MANNE__TX_BODY__KIND_FREEZE)
			return MANNE_ERR_NOT_ENOUGH_SIGNATURES;
		break;
	default:
		return MANNE_ERR_BAD_SIGNATURE;
	}
	*duplicate = find_applied(op->txid);
	if (*duplicate != NULL)
		return MANNE_OK;
	if (is_voided(op->txid))
		return MANNE_ERR_VOIDED;
	if (now > op->last_valid_ms || op->last_valid_ms - now > 31ULL * 24 * MS_HOUR)
		return MANNE_ERR_EXPIRED;
	if (op->signer < 0) {
		if (op->nonce_id < M.cap_nonces && M.nonce_used[op->nonce_id])
			return MANNE_ERR_BAD_SEQUENCE;
	} else {
		struct macct *s = &M.a[op->signer];
		if (s->state == ST_NONE)
			return MANNE_ERR_UNKNOWN_ACCOUNT;
		if (op->sequence != s->next_sequence)
			return MANNE_ERR_BAD_SEQUENCE;
		if (s->state != ACCOUNT_ACTIVE)
			return MANNE_ERR_NOT_ACTIVE;
	}
	status = model_kind(op, now);
	if (status != MANNE_OK)
		return status;
	if (op->signer >= 0)
		M.a[op->signer].next_sequence++;
	else
		M.nonce_used[op->nonce_id] = true;
	M.tree_size++;
	return MANNE_OK;
}

/* ------------------------------------------------------------------ */
/* Building and signing transactions.                                  */

static const char *slot_name(int slot)
{
	return M.a[slot].name;
}

static ProtobufCBinaryData key_of(int slot)
{
	return (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)h_pk(&H, slot_name(slot))};
}

static ProtobufCBinaryData txid_of(uint8_t *txid)
{
	return (ProtobufCBinaryData){.len = 32, .data = txid};
}

static void new_nonce(struct op *op)
{
	op->nonce_id = M.next_nonce++;
	if (op->nonce_id >= M.cap_nonces) {
		size_t cap = M.cap_nonces ? 2 * M.cap_nonces : 1024;
		M.nonce_used = realloc(M.nonce_used, cap);
		assert_non_null(M.nonce_used);
		memset(M.nonce_used + M.cap_nonces, 0, cap - M.cap_nonces);
		M.cap_nonces = cap;
	}
	memset(op->nonce, 0, sizeof(op->nonce));
	memcpy(op->nonce, "random", 6);
	for (int i = 0; i < 8; i++)
		op->nonce[8 + i] = (uint8_t)(op->nonce_id >> (8 * i));
}

static struct op *op_new(Manne__TxBody__KindCase kind, int signer)
{
	struct op *op = calloc(1, sizeof(*op));
	assert_non_null(op);
	op->kind = kind;
	op->signer = signer;
	op->target = op->target2 = -1;
	op->last_valid_ms = H.now_ms + 10 * MS_MINUTE;
	if (signer >= 0)
		op->sequence = M.a[signer].next_sequence;
	else
		new_nonce(op);
	return op;
}

static void op_free(struct op *op)
{
	if (op != NULL)
		free(op->bytes);
	free(op);
}

/* The key that must co-sign a board act, if any. */
static int cosigner(const struct op *op)
{
	if (op->kind == MANNE__TX_BODY__KIND_OPEN_ACCOUNT)
		return op->target;
	if (op->kind == MANNE__TX_BODY__KIND_RECOVER_ACCOUNT)
		return op->target2;
	return -1;
}

static void op_signers(const struct op *op, enum sig sig, const char **signers)
{
	size_t n = 0;
	int co = cosigner(op);

	if (op->signer >= 0) {
		if (sig == S_WRONG_KEY) {
			signers[n++] = "mallory";
		} else {
			signers[n++] = slot_name(op->signer);
			if (sig == S_EXTRA)
				signers[n++] = "mallory";
		}
	} else {
		switch (sig) {
		case S_OTHER_BOARD:
			signers[n++] = "board2";
			signers[n++] = "board1";
			break;
		case S_ONE:
			signers[n++] = "board0";
			break;
		case S_REPEAT:
			signers[n++] = "board0";
			signers[n++] = "board0";
			break;
		case S_OUTSIDER:
			signers[n++] = "board0";
			signers[n++] = "board1";
			signers[n++] = "mallory";
			break;
		default:
			signers[n++] = "board0";
			signers[n++] = "board1";
			break;
		}
		if (co >= 0 && sig != S_NO_COSIGNER)
			signers[n++] = slot_name(co);
	}
	signers[n] = NULL;
}

static void op_sign(struct op *op)
{
	Manne__TxBody body;
	Manne__Pay pay = MANNE__PAY__INIT;
	Manne__Refund refund = MANNE__REFUND__INIT;
	Manne__Redeem redeem = MANNE__REDEEM__INIT;
	Manne__SettleRedemption settle = MANNE__SETTLE_REDEMPTION__INIT;
	Manne__Issue issue = MANNE__ISSUE__INIT;
	Manne__ReverseIssue reverse = MANNE__REVERSE_ISSUE__INIT;
	Manne__FundReserve fund = MANNE__FUND_RESERVE__INIT;
	Manne__ReleaseReserve release = MANNE__RELEASE_RESERVE__INIT;
	Manne__Freeze freeze = MANNE__FREEZE__INIT;
	Manne__SetAccount set_account = MANNE__SET_ACCOUNT__INIT;
	Manne__RecoverAccount recover = MANNE__RECOVER_ACCOUNT__INIT;
	Manne__OpenAccount open = MANNE__OPEN_ACCOUNT__INIT;
	Manne__RetireDormant retire = MANNE__RETIRE_DORMANT__INIT;
	Manne__SetLedger set_ledger = MANNE__SET_LEDGER__INIT;
	Manne__VoidTx void_tx = MANNE__VOID_TX__INIT;
	const char *signers[8];
	uint8_t genesis_id[32];
	char memo[96];

	if (op->signer >= 0) {
		h_body_account(&H, &body, slot_name(op->signer));
		body.sequence = op->sequence;
	} else {
		h_body_board(&H, &body);
		body.nonce.data = op->nonce;
		if (op->corrupt == C_BAD_NONCE)
			body.nonce.len = BOARD_NONCE_BYTES - 1;
	}
	body.last_valid_ms = op->last_valid_ms;
	if (op->corrupt == C_WRONG_GENESIS) {
		memcpy(genesis_id, H.ledger->state.genesis_id, 32);
		genesis_id[between(0, 31)] ^= (uint8_t)between(1, 255);
		body.genesis_id.data = genesis_id;
	}
	if (op->corrupt == C_WRONG_ORIGIN)
		body.origin = (char *)"manne.elsewhere/v1";
	body.kind_case = op->kind;
	switch (op->kind) {
	case MANNE__TX_BODY__KIND_PAY:
		pay.payee = key_of(op->target);
		pay.amount = op->amount;
		if (op->corrupt == C_MEMO_LONG) {
			memset(memo, 'x', MEMO_BYTES_MAX + 1);
			memo[MEMO_BYTES_MAX + 1] = '\0';
		} else {
			strcpy(memo, chance(500) ? "panier" : "");
		}
		pay.memo = memo;
		pay.payee_reference = op->payee_reference;
		body.pay = &pay;
		break;
	case MANNE__TX_BODY__KIND_REFUND:
		refund.payment_txid = txid_of(op->ref);
		refund.amount = op->amount;
		refund.memo = (char *)"retour";
		body.refund = &refund;
		break;
	case MANNE__TX_BODY__KIND_REDEEM:
		redeem.amount = op->amount;
		body.redeem = &redeem;
		break;
	case MANNE__TX_BODY__KIND_SETTLE_REDEMPTION:
		settle.redeem_txid = txid_of(op->ref);
		settle.outcome = op->paid ? MANNE__SETTLE_OUTCOME__SETTLE_PAID : MANNE__SETTLE_OUTCOME__SETTLE_REJECTED;
		settle.bank_reference = (char *)(op->paid ? "VIR-RECONV" : "");
		body.settle_redemption = &settle;
		break;
	case MANNE__TX_BODY__KIND_ISSUE:
		issue.account = key_of(op->target);
		issue.amount = op->amount;
		issue.reason = (Manne__IssueReason)between(1, 4);
		issue.programme = (char *)"panier-solidaire-2026-11";
		issue.reference = (char *)"ref";
		body.issue = &issue;
		break;
	case MANNE__TX_BODY__KIND_REVERSE_ISSUE:
		reverse.issue_txid = txid_of(op->ref);
		reverse.amount = op->amount;
		reverse.reason = (char *)"issued twice";
		body.reverse_issue = &reverse;
		break;
	case MANNE__TX_BODY__KIND_FUND_RESERVE:
		fund.amount = op->amount;
		fund.bank_reference = (char *)"VIR-FUND";
		body.fund_reserve = &fund;
		break;
	case MANNE__TX_BODY__KIND_RELEASE_RESERVE:
		release.amount = op->amount;
		release.bank_reference = (char *)"VIR-RELEASE";
		release.reason = (Manne__ReleaseReason)between(1, 4);
		body.release_reserve = &release;
		break;
	case MANNE__TX_BODY__KIND_FREEZE:
		freeze.account = key_of(op->target);
		body.freeze = &freeze;
		break;
	case MANNE__TX_BODY__KIND_SET_ACCOUNT:
		set_account.account = key_of(op->target);
		set_account.action = op->action;
		set_account.max_payment = op->max_payment;
		set_account.max_daily = op->max_daily;
		body.set_account = &set_account;
		break;
	case MANNE__TX_BODY__KIND_RECOVER_ACCOUNT:
		recover.old_account = key_of(op->target);
		recover.new_account = key_of(op->target2);
		body.recover_account = &recover;
		break;
	case MANNE__TX_BODY__KIND_OPEN_ACCOUNT:
		open.key = key_of(op->target);
		open.role = (Manne__Role)op->role;
		open.max_payment = op->max_payment;
		open.max_daily = op->max_daily;
		open.card_held = op->card_held;
		body.open_account = &open;
		break;
	case MANNE__TX_BODY__KIND_RETIRE_DORMANT:
		retire.account = key_of(op->target);
		retire.reason = (char *)"dormant";
		body.retire_dormant = &retire;
		break;
	case MANNE__TX_BODY__KIND_SET_LEDGER:
		set_ledger.fee_bp = op->fee_bp;
		body.set_ledger = &set_ledger;
		break;
	case MANNE__TX_BODY__KIND_VOID_TX:
		void_tx.txid = txid_of(op->ref);
		body.void_tx = &void_tx;
		break;
	default:
		fail_msg("kind %d", op->kind);
	}
	op_signers(op, op->sig, signers);
	op->bytes = h_sign(&H, &body, signers, &op->len);
	memcpy(op->txid, H.last_txid, 32);
	if (op->corrupt == C_TRUNCATE)
		op->len -= between(1, op->len < 40 ? op->len - 1 : 40);
	if (op->sig == S_CORRUPT)
		op->bytes[op->len - 50] ^= (uint8_t)(1u << between(0, 7));
}

/* The same body, signed again by other keys: the same txid. */
static struct op *op_resign(const struct op *orig, enum sig sig)
{
	struct op *op = malloc(sizeof(*op));
	Manne__SignedTx *st;
	const char *names[8];
	const struct manne_keypair *kps[8];
	size_t n = 0;

	assert_non_null(op);
	*op = *orig;
	op->sig = sig;
	st = manne__signed_tx__unpack(NULL, orig->len, orig->bytes);
	assert_non_null(st);
	op_signers(op, sig, names);
	for (; names[n] != NULL; n++)
		kps[n] = &h_key(&H, names[n])->kp;
	assert_int_equal(tx_sign_body_bytes(st->body.data, st->body.len, kps, n, &op->bytes, &op->len), 0);
	manne__signed_tx__free_unpacked(st, NULL);
	if (sig == S_CORRUPT)
		op->bytes[op->len - 50] ^= 0x10;
	return op;
}

static struct op *op_copy(const struct op *orig)
{
	struct op *op = malloc(sizeof(*op));
	assert_non_null(op);
	*op = *orig;
	op->bytes = malloc(orig->len);
	assert_non_null(op->bytes);
	memcpy(op->bytes, orig->bytes, orig->len);
	return op;
}

/* ------------------------------------------------------------------ */
/* Choosing accounts and amounts.                                      */

typedef bool (*slot_pred)(int slot);

static int pick(slot_pred pred, unsigned per_mille_any)
{
	if (!chance(per_mille_any) && pred != NULL) {
		for (int tries = 0; tries < 64; tries++) {
			int s = (int)below((uint64_t)M.n);
			if (pred(s))
				return s;
		}
	}
	return (int)below((uint64_t)M.n);
}

static bool p_active(int s)
{
	return M.a[s].state == ACCOUNT_ACTIVE;
}

static bool p_payer(int s)
{
	return p_active(s) && (M.a[s].role == ROLE_MEMBER || is_partner(M.a[s].role)) && M.a[s].balance > 0;
}

static bool p_partner(int s)
{
	return p_active(s) && is_partner(M.a[s].role);
}

static bool p_partner_funded(int s)
{
	return p_partner(s) && M.a[s].balance > 0;
}

static bool p_holder(int s)
{
	return p_active(s) && (M.a[s].role == ROLE_MEMBER || is_partner(M.a[s].role));
}

static bool p_frozen(int s)
{
	return M.a[s].state == ACCOUNT_FROZEN;
}

static bool p_opened(int s)
{
	return M.a[s].state != ST_NONE && M.a[s].state != ACCOUNT_CLOSED && s != M.association;
}

static bool p_member_empty(int s)
{
	return p_opened(s) && M.a[s].balance == 0 && M.a[s].pending_count == 0;
}

static bool p_pending(int s)
{
	return p_opened(s) && M.a[s].pending_count > 0;
}

static uint64_t some_amount(uint64_t around)
{
	if (around == 0)
		return between(1, 5000);
	switch (below(10)) {
	case 0:
		return around;
	case 1:
		return around + between(1, 100);
	case 2:
		return between(1, 5000);
	default:
		return between(1, around);
	}
}

/* ------------------------------------------------------------------ */
/* Generators: one per kind, mixing valid and invalid transactions.    */

static bool p_inactive(int s)
{
	return M.a[s].state == ACCOUNT_FROZEN || M.a[s].state == ACCOUNT_CLOSED;
}

static struct op *gen_pay(void)
{
	/* Mostly someone who can pay; sometimes a frozen or closed account. */
	int payer = chance(40) ? pick(p_inactive, 100) : pick(p_payer, 60);
	struct macct *s = &M.a[payer];
	struct op *op = op_new(MANNE__TX_BODY__KIND_PAY, payer);
	int64_t day = model_day(H.now_ms);
	uint64_t used = s->used_day == day ? s->used_today : 0;

	if (chance(800))
		op->target = chance(100) ? M.association : pick(p_partner, 80);
	else
		op->target = pick(NULL, 1000);
	switch (below(12)) {
	case 0:
		op->amount = s->max_payment ? s->max_payment + between(0, 1) : some_amount(s->balance);
		break;
	case 1:
		op->amount = s->max_daily > used ? s->max_daily - used + between(0, 1) : some_amount(s->balance);
		break;
	case 2:
		op->amount = s->balance + between(0, 1);
		break;
	default:
		op->amount = some_amount(s->balance < 4000 ? s->balance : 4000);
		break;
	}
	if (op->amount == 0)
		op->amount = 1;
	if (chance(300)) /* half of them from a few order numbers, so that some are used already */
		snprintf(op->payee_reference, sizeof(op->payee_reference), "T%04u",
			 (unsigned)(chance(500) ? below(30) : below(10000)));
	if (p_inactive(payer) && chance(500))
		op->sequence += between(1, 2); /* BAD_SEQUENCE comes before NOT_ACTIVE */
	return op;
}

static struct mpay *some_payment(void)
{
	if (M.npays == 0)
		return NULL;
	/* Mostly recent payments, which are more often still refundable. */
	if (chance(600) && M.npays > 20)
		return &M.pays[M.npays - 1 - below(20)];
	return &M.pays[below(M.npays)];
}

static struct op *gen_refund(void)
{
	struct mpay *p = some_payment();
	int signer;
	struct op *op;

	if (p == NULL || chance(40)) {
		op = op_new(MANNE__TX_BODY__KIND_REFUND, pick(p_partner, 100));
		if (M.nissues > 0 && chance(500))
			memcpy(op->ref, M.issues[below(M.nissues)].txid, 32);
		else
			for (int i = 0; i < 32; i++)
				op->ref[i] = (uint8_t)rnd();
		op->amount = between(1, 1000);
		return op;
	}
	signer = holder(p->payee);
	if (chance(120) || signer == M.association)
		signer = chance(300) ? holder(p->payer) : pick(p_partner, 100);
	op = op_new(MANNE__TX_BODY__KIND_REFUND, signer);
	memcpy(op->ref, p->txid, 32);
	switch (below(6)) {
	case 0:
		op->amount = p->amount - p->refunded + 1;
		break;
	case 1:
		op->amount = p->amount - p->refunded;
		break;
	case 2:
		op->amount = p->amount + between(0, 50);
		break;
	default:
		op->amount = between(1, p->amount);
		break;
	}
	if (op->amount == 0)
		op->amount = 1;
	return op;
}

static struct op *gen_redeem(void)
{
	int shop = chance(900) ? pick(p_partner_funded, 50) : pick(NULL, 1000);
	struct op *op = op_new(MANNE__TX_BODY__KIND_REDEEM, shop);
	op->amount = some_amount(M.a[shop].balance);
	return op;
}

static struct op *gen_settle(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_SETTLE_REDEMPTION, -1);
	op->paid = chance(600);
	if (M.nredeems == 0 || chance(50)) {
		if (M.npays > 0 && chance(500))
			memcpy(op->ref, M.pays[below(M.npays)].txid, 32);
		else
			for (int i = 0; i < 32; i++)
				op->ref[i] = (uint8_t)rnd();
		return op;
	}
	/* Mostly pending ones; sometimes one settled already. */
	struct mredeem *r = &M.redeems[below(M.nredeems)];
	for (int tries = 0; tries < 16 && r->state != REDEMPTION_PENDING && chance(800); tries++)
		r = &M.redeems[below(M.nredeems)];
	memcpy(op->ref, r->txid, 32);
	return op;
}

static struct op *gen_issue(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_ISSUE, -1);
	uint64_t surplus = reserve(&M.t) - outstanding(&M.t);

	op->target = chance(900) ? pick(p_holder, 30) : pick(NULL, 1000);
	switch (below(10)) {
	case 0:
		op->amount = surplus ? surplus : 1;
		break;
	case 1:
		op->amount = surplus + between(1, 1000);
		break;
	default:
		op->amount = between(100, 20000);
		break;
	}
	return op;
}

static struct op *gen_reverse_issue(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_REVERSE_ISSUE, -1);
	if (M.nissues == 0 || chance(60)) {
		if (M.npays > 0)
			memcpy(op->ref, M.pays[below(M.npays)].txid, 32);
		op->amount = between(1, 100);
		return op;
	}
	struct missue *is = &M.issues[below(M.nissues)];
	memcpy(op->ref, is->txid, 32);
	switch (below(4)) {
	case 0:
		op->amount = is->amount - is->used + 1;
		break;
	default:
		op->amount = is->amount > is->used ? between(1, is->amount - is->used) : 1;
		break;
	}
	return op;
}

static struct op *gen_fund(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_FUND_RESERVE, -1);
	op->amount = between(10000, 400000);
	return op;
}

static struct op *gen_release(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_RELEASE_RESERVE, -1);
	uint64_t surplus = reserve(&M.t) - outstanding(&M.t);
	switch (below(4)) {
	case 0:
		op->amount = surplus + 1;
		break;
	case 1:
		op->amount = reserve(&M.t) + between(1, 10);
		break;
	case 2:
		op->amount = surplus ? surplus : 1;
		break;
	default:
		op->amount = surplus ? between(1, surplus) : 1;
		break;
	}
	return op;
}

static struct op *gen_freeze(void)
{
	struct op *op;
	if (chance(300)) {
		int s = pick(p_opened, 100);
		op = op_new(MANNE__TX_BODY__KIND_FREEZE, s);
		op->target = chance(850) ? s : pick(NULL, 1000);
	} else {
		op = op_new(MANNE__TX_BODY__KIND_FREEZE, -1);
		op->target = pick(p_holder, 150);
		if (chance(600))
			op->sig = S_ONE;
	}
	return op;
}

static struct op *gen_set_account(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_SET_ACCOUNT, -1);
	switch (below(10)) {
	case 0:
	case 1:
		op->action = MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_LIMITS;
		op->target = pick(p_opened, 100);
		op->max_payment = chance(500) ? 0 : between(500, 5000);
		op->max_daily = chance(500) ? 0 : between(1000, 12000);
		if (chance(30))
			op->max_daily = AMOUNT_CENTIMES_MAX + 1;
		break;
	case 2:
		op->action = MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_CLOSE;
		switch (below(3)) {
		case 0:
			op->target = pick(p_member_empty, 100);
			break;
		case 1:
			/* Refused while a redemption is pending, even with nothing left. */
			op->target = pick(p_pending, 100);
			break;
		default:
			op->target = pick(NULL, 1000);
			break;
		}
		break;
	default:
		op->action = MANNE__SET_ACCOUNT_ACTION__SET_ACCOUNT_UNFREEZE;
		op->target = pick(p_frozen, 100);
		break;
	}
	return op;
}

static int fresh_slot_or_any(uint8_t role)
{
	/* Keep some room in the harness for its own keys. */
	if (M.n < SLOTS_MAX - 2 && chance(900))
		return new_slot(role);
	return pick(NULL, 1000);
}

static struct op *gen_recover(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_RECOVER_ACCOUNT, -1);
	op->target = chance(500) ? pick(p_frozen, 100) : pick(p_opened, 150);
	op->target2 = fresh_slot_or_any(M.a[op->target].role);
	if (chance(60))
		op->sig = S_NO_COSIGNER;
	return op;
}

static struct op *gen_open(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_OPEN_ACCOUNT, -1);
	static const uint8_t roles[] = {ROLE_MEMBER, ROLE_MEMBER, ROLE_MEMBER, ROLE_SHOP,
					ROLE_PRODUCER, ROLE_AUDITOR, ROLE_ASSOCIATION};
	op->role = roles[below(sizeof(roles))];
	op->target = fresh_slot_or_any(op->role);
	op->card_held = chance(200);
	if (chance(300)) {
		op->max_payment = between(500, 3000);
		op->max_daily = between(2000, 8000);
	}
	if (chance(40))
		op->sig = S_NO_COSIGNER;
	return op;
}

static struct op *gen_retire(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_RETIRE_DORMANT, -1);
	op->target = chance(800) ? pick(p_frozen, 100) : pick(NULL, 1000);
	return op;
}

static struct op *gen_set_ledger(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_SET_LEDGER, -1);
	switch (below(8)) {
	case 0:
		op->fee_bp = FEE_BP_MAX + (uint32_t)between(1, 5);
		break;
	case 1:
		op->fee_bp = chance(500) ? 0 : FEE_BP_MAX;
		break;
	default:
		op->fee_bp = (uint32_t)between(0, 600);
		break;
	}
	return op;
}

static struct op *gen_void(void)
{
	struct op *op = op_new(MANNE__TX_BODY__KIND_VOID_TX, -1);
	if (M.npool > 0 && chance(500))
		memcpy(op->ref, M.pool[below(M.npool)]->txid, 32);
	else if (M.napplied > 0 && chance(500))
		memcpy(op->ref, M.applied[below(M.napplied)]->txid, 32);
	else
		for (int i = 0; i < 32; i++)
			op->ref[i] = (uint8_t)rnd();
	return op;
}

/* Breaks a transaction in one of the ways SPEC §5 refuses. */
static void maybe_spoil(struct op *op)
{
	if (!chance(150))
		return;
	switch (below(12)) {
	case 0:
		op->corrupt = C_TRUNCATE;
		break;
	case 1:
		op->corrupt = op->kind == MANNE__TX_BODY__KIND_PAY ? C_MEMO_LONG
			      : op->signer < 0			 ? C_BAD_NONCE
								 : C_TRUNCATE;
		break;
	case 2:
		op->corrupt = chance(500) ? C_WRONG_GENESIS : C_WRONG_ORIGIN;
		break;
	case 3:
		if (kind_has_amount(op->kind))
			op->amount = chance(500) ? 0 : AMOUNT_CENTIMES_MAX + between(1, 1000);
		break;
	case 4:
		op->sig = S_CORRUPT;
		break;
	case 5:
		if (op->signer >= 0)
			op->sig = chance(500) ? S_WRONG_KEY : S_EXTRA;
		else
			op->sig = chance(500) ? S_OUTSIDER : S_REPEAT;
		break;
	case 6:
		if (op->signer < 0)
			op->sig = S_ONE;
		break;
	case 7:
		op->last_valid_ms = H.now_ms - between(1, 3 * MS_HOUR);
		break;
	case 8:
		/* The edges: valid up to and including last_valid_ms, and at most
		 * 31 days ahead of the leaf time. */
		switch (below(4)) {
		case 0:
			op->last_valid_ms = H.now_ms;
			break;
		case 1:
			op->last_valid_ms = H.now_ms - 1;
			break;
		case 2:
			op->last_valid_ms = H.now_ms + 31ULL * 24 * MS_HOUR;
			break;
		default:
			op->last_valid_ms = H.now_ms + 31ULL * 24 * MS_HOUR + between(1, 10 * 24 * MS_HOUR);
			break;
		}
		break;
	default:
		if (op->signer >= 0) {
			op->sequence = chance(300) ? op->sequence + between(1, 3)
					: op->sequence > 1 ? op->sequence - between(1, op->sequence - 1)
							   : 0;
		} else if (M.napplied > 0) {
			/* An earlier board act's nonce. */
			for (int tries = 0; tries < 16; tries++) {
				const struct op *o = M.applied[below(M.napplied)];
				if (o->signer < 0 && o->kind != MANNE__TX_BODY__KIND_GENESIS) {
					op->nonce_id = o->nonce_id;
					memcpy(op->nonce, o->nonce, sizeof(op->nonce));
					break;
				}
			}
		}
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Checking the ledger against the model.                              */

static const char *status_name(enum manne_status s)
{
	return manne_status_name(s);
}

static void describe(const struct op *op, char *out, size_t size)
{
	snprintf(out, size,
		 "%s signer=%s seq=%" PRIu64 " target=%s target2=%s amount=%" PRIu64 " sig=%d corrupt=%d "
		 "last_valid=%" PRIu64 " now=%" PRIu64,
		 tx_kind_name(op->kind), op->signer >= 0 ? slot_name(op->signer) : "board", op->sequence,
		 op->target >= 0 ? slot_name(op->target) : "-", op->target2 >= 0 ? slot_name(op->target2) : "-",
		 op->amount, op->sig, op->corrupt, op->last_valid_ms, H.now_ms);
}

static void compare_account(struct store_txn *txn, int slot)
{
	const struct macct *m = &M.a[slot];
	struct account a;
	int rc = store_account_get(txn, h_pk(&H, m->name), &a);

	if (m->state == ST_NONE) {
		if (rc != STORE_NOT_FOUND)
			fail_msg("account %s exists in the store, not in the model", m->name);
		return;
	}
	if (rc != STORE_OK)
		fail_msg("account %s missing from the store", m->name);
	if (a.balance != m->balance || a.pending != m->pending || a.pending_count != m->pending_count ||
	    a.state != m->state || a.role != m->role || a.max_payment != m->max_payment ||
	    a.max_daily != m->max_daily || a.used_today != m->used_today || a.used_day != m->used_day ||
	    a.next_sequence != m->next_sequence || a.frozen_since_ms != m->frozen_since_ms ||
	    a.opened_index != m->opened_index || a.card_held != m->card_held ||
	    a.has_successor != (m->successor >= 0))
		fail_msg("account %s: store balance=%" PRIu64 " pending=%" PRIu64 "/%" PRIu64 " state=%u role=%u "
			 "limits=%" PRIu64 "/%" PRIu64 " used=%" PRIu64 "@%" PRId64 " seq=%" PRIu64
			 " frozen_since=%" PRIu64 " opened=%" PRIu64 "; model balance=%" PRIu64 " pending=%" PRIu64
			 "/%" PRIu64 " state=%u role=%u limits=%" PRIu64 "/%" PRIu64 " used=%" PRIu64 "@%" PRId64
			 " seq=%" PRIu64 " frozen_since=%" PRIu64 " opened=%" PRIu64,
			 m->name, a.balance, a.pending, a.pending_count, a.state, a.role, a.max_payment, a.max_daily,
			 a.used_today, a.used_day, a.next_sequence, a.frozen_since_ms, a.opened_index, m->balance,
			 m->pending, m->pending_count, m->state, m->role, m->max_payment, m->max_daily, m->used_today,
			 m->used_day, m->next_sequence, m->frozen_since_ms, m->opened_index);
	if (m->successor >= 0)
		assert_memory_equal(a.successor, h_pk(&H, M.a[m->successor].name), 32);
}

static void compare_totals(const struct totals *a, const struct totals *b)
{
	if (memcmp(a, b, sizeof(*a)) != 0)
		fail_msg("totals: ledger issued=%" PRIu64 " retired=%" PRIu64 " reconverted=%" PRIu64 " fees=%" PRIu64
			 " pending=%" PRIu64 " funded=%" PRIu64 " paid_out=%" PRIu64 " released=%" PRIu64
			 "; model issued=%" PRIu64 " retired=%" PRIu64 " reconverted=%" PRIu64 " fees=%" PRIu64
			 " pending=%" PRIu64 " funded=%" PRIu64 " paid_out=%" PRIu64 " released=%" PRIu64,
			 a->issued, a->retired, a->reconverted, a->fees, a->pending, a->funded, a->paid_out,
			 a->released, b->issued, b->retired, b->reconverted, b->fees, b->pending, b->funded,
			 b->paid_out, b->released);
}

static void compare_all(void)
{
	struct store_txn *txn;

	assert_int_equal(H.ledger->state.tree_size, M.tree_size);
	assert_int_equal(H.ledger->state.fee_bp, M.fee_bp);
	compare_totals(&H.ledger->state.totals, &M.t);
	assert_int_equal(store_begin(H.ledger->store, false, &txn), STORE_OK);
	for (int i = 0; i < M.n; i++)
		compare_account(txn, i);
	store_abort(txn);
}

static int count_one(void *ctx, const uint8_t key[32], const struct account *a)
{
	(void)key;
	(void)a;
	(*(int *)ctx)++;
	return 0;
}

/* Every account's history, walked back through its chain: newest first,
 * down to the leaf that opened it; pages of 3 give what one page of all
 * gives; and every link of the log is on exactly one walk. */
static uint64_t history_links_walked;

static int check_history(void *ctx, const uint8_t key[32], const struct account *a)
{
	struct store_txn *txn = ctx;
	uint64_t all[PAGE_ENTRIES_MAX], page[3], before = 0, next;
	size_t n_all, n, seen = 0;

	(void)key;
	assert_int_equal(history_page(txn, a, 0, all, PAGE_ENTRIES_MAX, &n_all, &next), STORE_OK);
	assert_true(n_all >= 1 && a->history_last == all[0] + 1);
	for (size_t i = 1; i < n_all; i++)
		assert_true(all[i] < all[i - 1]);
	if (next == 0)
		assert_int_equal(all[n_all - 1], a->opened_index);
	do {
		assert_int_equal(history_page(txn, a, before, page, 3, &n, &next), STORE_OK);
		for (size_t i = 0; i < n && seen < n_all; i++)
			assert_int_equal(page[i], all[seen++]);
		history_links_walked += n;
		before = next;
	} while (next != 0);
	assert_true(seen == n_all || n_all == PAGE_ENTRIES_MAX);
	return 0;
}

static void compare_histories(void)
{
	struct store_txn *txn;
	struct history_link links[HISTORY_LINKS_MAX];
	uint64_t links_total = 0;
	unsigned count;

	history_links_walked = 0;
	assert_int_equal(store_begin(H.ledger->store, false, &txn), STORE_OK);
	assert_int_equal(store_account_each(txn, check_history, txn), STORE_OK);
	for (uint64_t i = 0; i < M.tree_size; i++)
		if (store_history_links_get(txn, i, links, &count) == STORE_OK)
			links_total += count;
	store_abort(txn);
	assert_int_equal(history_links_walked, links_total);
}

/* The records later transactions rely on, and no account the model does not know. */
static void compare_records(void)
{
	struct store_txn *txn;
	struct tx_record r;
	int accounts = 0, opened = 0;

	assert_int_equal(store_begin(H.ledger->store, false, &txn), STORE_OK);
	for (size_t i = 0; i < M.npays; i++) {
		/* A payment's amount, payer and payee are in its leaf (checked when it
		 * was applied); the txid index keeps what was refunded. */
		uint64_t index, refunded;
		assert_int_equal(store_txid_get(txn, M.pays[i].txid, &index), STORE_OK);
		assert_int_equal(store_refunded_get(txn, M.pays[i].txid, &refunded), STORE_OK);
		assert_int_equal(refunded, M.pays[i].refunded);
		assert_int_equal(store_record_get(txn, M.pays[i].txid, &r), STORE_NOT_FOUND);
	}
	for (size_t i = 0; i < M.nissues; i++) {
		assert_int_equal(store_record_get(txn, M.issues[i].txid, &r), STORE_OK);
		assert_int_equal(r.type, RECORD_ISSUE);
		assert_int_equal(r.amount, M.issues[i].amount);
		assert_int_equal(r.used, M.issues[i].used);
	}
	for (size_t i = 0; i < M.nredeems; i++) {
		assert_int_equal(store_record_get(txn, M.redeems[i].txid, &r), STORE_OK);
		assert_int_equal(r.type, RECORD_REDEMPTION);
		assert_int_equal(r.amount, M.redeems[i].amount);
		assert_int_equal(r.fee, M.redeems[i].fee);
		assert_int_equal(r.state, M.redeems[i].state);
	}
	assert_int_equal(store_account_each(txn, count_one, &accounts), STORE_OK);
	store_abort(txn);
	for (int i = 0; i < M.n; i++)
		opened += M.a[i].state != ST_NONE;
	assert_int_equal(accounts, opened);
}

/* SPEC §7: the leaf is index, time, then the transaction as received. */
static void check_leaf(const struct op *op, const struct receipt *r)
{
	struct store_txn *txn;
	const uint8_t *leaf;
	size_t len;
	uint8_t hash[32];
	crypto_hash_sha256_state sha;
	uint8_t prefix = 0;

	assert_int_equal(store_begin(H.ledger->store, false, &txn), STORE_OK);
	assert_int_equal(store_leaf_get(txn, r->leaf_index, &leaf, &len), STORE_OK);
	assert_int_equal(len, 16 + op->len);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(leaf[i], (uint8_t)(r->leaf_index >> (56 - 8 * i)));
		assert_int_equal(leaf[8 + i], (uint8_t)(r->time_ms >> (56 - 8 * i)));
	}
	assert_memory_equal(leaf + 16, op->bytes, op->len);
	crypto_hash_sha256_init(&sha);
	crypto_hash_sha256_update(&sha, &prefix, 1);
	crypto_hash_sha256_update(&sha, leaf, len);
	crypto_hash_sha256_final(&sha, hash);
	assert_memory_equal(hash, r->leaf_hash, 32);
	store_abort(txn);
}

static void pool_add(struct op *op)
{
	if (M.npool == POOL_MAX) {
		size_t i = below(POOL_MAX);
		op_free(M.pool[i]);
		M.pool[i] = op;
		return;
	}
	M.pool[M.npool++] = op;
}

static void remember_applied(struct op *op)
{
	GROW(M.applied, M.napplied, M.cap_applied);
	M.applied[M.napplied++] = op;
}

/* Submits op, checks everything, and keeps or frees it. Returns the status. */
static enum manne_status run(struct op *op, unsigned step, bool to_pool_if_refused)
{
	struct op *dup;
	struct totals before = H.ledger->state.totals;
	uint64_t size = H.ledger->state.tree_size;
	uint8_t root_before[32], root_after[32];
	bool txid_was_applied = find_applied(op->txid) != NULL;
	enum manne_status expected, got;
	char text[512];

	assert_int_equal(ledger_root(H.ledger, size, root_before), 0);
	expected = model_submit(op, H.now_ms, &dup);
	got = h_submit_bytes(&H, op->bytes, op->len);
	if (got != expected || (expected == MANNE_OK && H.receipt.duplicate != (dup != NULL))) {
		describe(op, text, sizeof(text));
		fail_msg("seed %" PRIu64 " step %u: %s: expected %s%s, got %s%s", seed, step, text,
			 status_name(expected), dup ? " (duplicate)" : "", status_name(got),
			 H.receipt.duplicate ? " (duplicate)" : "");
	}
	if (got == MANNE_OK && dup != NULL) {
		/* The original receipt; nothing moves. */
		count_duplicate++;
		assert_memory_equal(H.receipt.txid, dup->receipt.txid, 32);
		assert_int_equal(H.receipt.leaf_index, dup->receipt.leaf_index);
		assert_int_equal(H.receipt.time_ms, dup->receipt.time_ms);
		assert_memory_equal(H.receipt.leaf_hash, dup->receipt.leaf_hash, 32);
		assert_int_equal(H.ledger->state.tree_size, size);
		assert_memory_equal(&H.ledger->state.totals, &before, sizeof(before));
		assert_int_equal(ledger_root(H.ledger, size, root_after), 0);
		assert_memory_equal(root_before, root_after, 32);
		op_free(op);
	} else if (got == MANNE_OK) {
		count_status[MANNE_OK]++;
		count_applied_kind[op->kind]++;
		assert_false(H.receipt.duplicate);
		assert_int_equal(H.receipt.leaf_index, size);
		assert_int_equal(H.receipt.time_ms, H.now_ms);
		assert_memory_equal(H.receipt.txid, op->txid, 32);
		assert_int_equal(H.ledger->state.tree_size, size + 1);
		assert_int_equal(H.ledger->state.last_time_ms, H.now_ms);
		op->receipt = H.receipt;
		check_leaf(op, &H.receipt);
		remember_applied(op);
	} else {
		struct store_txn *txn;
		const uint8_t *leaf;
		size_t len;
		uint64_t index;

		count_status[got]++;
		count_refused_kind[op->kind]++;
		assert_int_equal(H.ledger->state.tree_size, size);
		assert_memory_equal(&H.ledger->state.totals, &before, sizeof(before));
		assert_int_equal(ledger_root(H.ledger, size, root_after), 0);
		assert_memory_equal(root_before, root_after, 32);
		/* Not remembered: no leaf, and the txid unknown unless an earlier
		 * transaction with the same body was applied. */
		assert_int_equal(store_begin(H.ledger->store, false, &txn), STORE_OK);
		assert_int_equal(store_leaf_get(txn, size, &leaf, &len), STORE_NOT_FOUND);
		if (!txid_was_applied && got != MANNE_ERR_MALFORMED)
			assert_int_equal(store_txid_get(txn, op->txid, &index), STORE_NOT_FOUND);
		store_abort(txn);
		if (to_pool_if_refused && op->corrupt == C_NONE && op->sig != S_CORRUPT && chance(600))
			pool_add(op);
		else
			op_free(op);
	}
	compare_all();
	return got;
}

/* ------------------------------------------------------------------ */
/* Time.                                                               */

static void advance_time(void)
{
	unsigned r = (unsigned)below(1000);
	if (r < 100)
		return;                                 /* the same millisecond */
	if (r < 700)
		H.now_ms += between(1, 30000);
	else if (r < 900)
		H.now_ms += between(1, 10 * MS_MINUTE);
	else if (r < 960)
		H.now_ms += between(MS_HOUR, 6 * MS_HOUR);
	else if (r < 990) {
		/* Just before or just after the next ledger midnight. */
		int64_t day = model_day(H.now_ms);
		uint64_t t = (uint64_t)(day + 1) * MS_DAY - 2 * MS_HOUR;
		while (model_day(t) <= day)
			t += MS_HOUR;
		assert_true(model_day(t - 1) == day);
		t = chance(500) ? t - between(1, 3000) : t + between(0, 3000);
		if (t > H.now_ms)
			H.now_ms = t;
	} else {
		H.now_ms += between(1, 4) * MS_DAY + between(0, MS_DAY);
	}
}

/* ------------------------------------------------------------------ */
/* The test.                                                           */

static void setup_population(void)
{
	static const struct {
		const char *prefix;
		uint8_t role;
		int count;
	} groups[] = {
		{"m", ROLE_MEMBER, 12},
		{"s", ROLE_SHOP, 5},
		{"p", ROLE_PRODUCER, 3},
		{"a", ROLE_AUDITOR, 1},
	};
	struct op *op;

	M.association = add_slot("association", ROLE_ASSOCIATION);
	M.a[M.association].state = ACCOUNT_ACTIVE;
	M.a[M.association].next_sequence = 1;
	M.a[M.association].opened_index = 0;
	M.a[M.association].used_day = 0;
	M.fee_bp = H_FEE_BP;
	M.tree_size = 1;
	/* A key that is never an account and never on the board. */
	(void)h_key(&H, "mallory");

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (int i = 0; i < groups[g].count; i++) {
			char name[16];
			snprintf(name, sizeof(name), "%s%d", groups[g].prefix, i);
			op = op_new(MANNE__TX_BODY__KIND_OPEN_ACCOUNT, -1);
			op->target = add_slot(name, groups[g].role);
			op->role = groups[g].role;
			/* A third of the members and one shop have limits. */
			if ((groups[g].role == ROLE_MEMBER && i % 3 == 0) || (groups[g].role == ROLE_SHOP && i == 0)) {
				op->max_payment = 1500 + 500 * (uint64_t)i;
				op->max_daily = 4000 + 1000 * (uint64_t)i;
			}
			op->card_held = groups[g].role == ROLE_MEMBER && i % 4 == 1;
			op_sign(op);
			assert_int_equal(run(op, 0, false), MANNE_OK);
		}
	}
	op = op_new(MANNE__TX_BODY__KIND_FUND_RESERVE, -1);
	op->amount = 2000000;
	op_sign(op);
	assert_int_equal(run(op, 0, false), MANNE_OK);
	for (int i = 0; i < M.n; i++) {
		if (M.a[i].role != ROLE_MEMBER && !is_partner(M.a[i].role))
			continue;
		op = op_new(MANNE__TX_BODY__KIND_ISSUE, -1);
		op->target = i;
		op->amount = between(5000, 30000);
		op_sign(op);
		assert_int_equal(run(op, 0, false), MANNE_OK);
	}
}

static struct op *generate(void)
{
	unsigned r = (unsigned)below(1000);
	if (r < 330)
		return gen_pay();
	if (r < 420)
		return gen_refund();
	if (r < 480)
		return gen_redeem();
	if (r < 540)
		return gen_settle();
	if (r < 630)
		return gen_issue();
	if (r < 660)
		return gen_reverse_issue();
	if (r < 700)
		return gen_fund();
	if (r < 730)
		return gen_release();
	if (r < 770)
		return gen_freeze();
	if (r < 830)
		return gen_set_account();
	if (r < 850)
		return gen_recover();
	if (r < 870)
		return gen_open();
	if (r < 885)
		return gen_retire();
	if (r < 900)
		return gen_set_ledger();
	if (r < 920)
		return gen_void();
	return gen_pay();
}

/* The first millisecond of a ledger day. */
static uint64_t day_start_ms(int64_t day)
{
	uint64_t t = (uint64_t)day * MS_DAY - 2 * MS_HOUR;
	while (model_day(t) < day)
		t += MS_HOUR;
	assert_true(model_day(t) == day && model_day(t - 1) == day - 1);
	return t;
}

/* Twelve ledger-calendar months after the freezes just made, to the
 * millisecond: retire_dormant is refused a day before and a millisecond
 * before, and applies at the first millisecond of the day it falls due. */
static void year_passes(unsigned step)
{
	uint64_t frozen_at = H.now_ms;
	time_t secs = (time_t)(model_day(frozen_at) * 86400);
	struct tm f;
	int target = -1;
	static const struct {
		int64_t before_ms;
		enum manne_status expected;
	} tries[] = {{(int64_t)MS_DAY, MANNE_ERR_NOT_DORMANT}, {1, MANNE_ERR_NOT_DORMANT}, {0, MANNE_OK}};

	gmtime_r(&secs, &f);
	struct tm due_tm = {.tm_year = f.tm_year + 1, .tm_mon = f.tm_mon, .tm_mday = f.tm_mday};
	uint64_t due = day_start_ms((int64_t)(timegm(&due_tm) / 86400));

	for (int i = 0; i < M.n && target < 0; i++)
		if (p_frozen(i) && M.a[i].frozen_since_ms == frozen_at && M.a[i].balance > 0)
			target = i;
	assert_true(target >= 0);
	for (size_t k = 0; k < sizeof(tries) / sizeof(tries[0]); k++) {
		struct op *op;
		H.now_ms = due - (uint64_t)tries[k].before_ms;
		op = op_new(MANNE__TX_BODY__KIND_RETIRE_DORMANT, -1);
		op->target = target;
		op_sign(op);
		assert_int_equal(run(op, step, false), tries[k].expected);
	}
	assert_int_equal(M.a[target].balance, 0);
}

static void random_step(unsigned step)
{
	unsigned r = (unsigned)below(1000);
	struct op *op;

	if (r < 60 && M.napplied > 0) {
		/* The same transaction again: exactly the same bytes (or, for a
		 * board act, the same body under another valid set of board
		 * signatures), or broken on the way. */
		const struct op *orig = M.applied[below(M.napplied)];
		unsigned how = (unsigned)below(10);
		if (how < 7 || orig->kind == MANNE__TX_BODY__KIND_GENESIS)
			op = op_copy(orig);
		else if (how == 7 && orig->signer < 0)
			op = op_resign(orig, S_OTHER_BOARD);
		else if (how == 8)
			op = op_resign(orig, S_CORRUPT);
		else {
			op = op_copy(orig);
			op->corrupt = C_TRUNCATE;
			op->len -= between(1, 20);
		}
		run(op, step, false);
		return;
	}
	if (r < 110 && M.npool > 0) {
		/* A transaction signed earlier, or refused earlier, submitted now. */
		size_t i = below(M.npool);
		op = M.pool[i];
		M.pool[i] = M.pool[--M.npool];
		run(op, step, true);
		return;
	}
	if (r < 140) {
		/* Signed now, submitted later (perhaps expired, voided or out of sequence). */
		op = generate();
		op->last_valid_ms = H.now_ms + between(MS_MINUTE, 30 * MS_MINUTE);
		op_sign(op);
		pool_add(op);
	}
	op = generate();
	maybe_spoil(op);
	op_sign(op);
	run(op, step, true);
}

static uint64_t env_u64(const char *name, uint64_t fallback)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? strtoull(v, NULL, 0) : fallback;
}

static void test_random(void **state)
{
	unsigned steps = (unsigned)env_u64("MANNE_RANDOM_TXS", DEFAULT_STEPS);
	unsigned total, applied, refused;
	unsigned distinct = 0;
	struct timespec t0, t1;
	(void)state;

	seed = env_u64("MANNE_SEED", DEFAULT_SEED);
	rng_state = seed;
	printf("test_random: seed %" PRIu64 " (set MANNE_SEED to change), %u steps\n", seed, steps);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	h_setup(&H);
	memset(&M, 0, sizeof(M));
	setup_population();
	h_check_invariants(&H);
	/* Count the random steps only. */
	memset(count_status, 0, sizeof(count_status));
	memset(count_applied_kind, 0, sizeof(count_applied_kind));
	memset(count_refused_kind, 0, sizeof(count_refused_kind));
	count_duplicate = 0;

	for (unsigned step = 1; step <= steps; step++) {
		advance_time();
		if (step == steps / 2) {
			/* A year passes: accounts frozen now become dormant. Make
			 * sure a few funded ones are frozen first. */
			for (int i = 0; i < 3; i++) {
				struct op *op = op_new(MANNE__TX_BODY__KIND_FREEZE, -1);
				op->target = pick(p_payer, 0);
				op->sig = S_ONE;
				op_sign(op);
				run(op, step, false);
			}
			year_passes(step);
		}
		random_step(step);
		if (step % 10 == 0)
			h_check_invariants(&H);
		if (step % 50 == 0)
			compare_records();
	}
	h_check_invariants(&H);
	compare_records();
	compare_histories();
	h_check_replay(&H);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	applied = count_status[MANNE_OK];
	refused = 0;
	for (int s = 1; s < MANNE_STATUS_COUNT; s++) {
		refused += count_status[s];
		distinct += count_status[s] > 0;
	}
	total = applied + refused + count_duplicate;
	printf("test_random: %u transactions: %u applied, %u duplicates, %u refused (%.1f s)\n", total, applied,
	       count_duplicate, refused, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (int s = 1; s < MANNE_STATUS_COUNT; s++)
		if (count_status[s] > 0)
			printf("  refused %-26s %5u\n", manne_status_name((enum manne_status)s), count_status[s]);
	for (int k = 0; k < 64; k++)
		if (count_applied_kind[k] + count_refused_kind[k] > 0)
			printf("  %-20s applied %5u refused %5u\n", tx_kind_name((Manne__TxBody__KindCase)k),
			       count_applied_kind[k], count_refused_kind[k]);
	printf("  final: tree size %" PRIu64 ", %d keys, outstanding %" PRIu64 ", reserve %" PRIu64
	       ", fee %u bp, time %" PRIu64 "\n",
	       M.tree_size, M.n, outstanding(&M.t), reserve(&M.t), M.fee_bp, H.now_ms);
	fflush(stdout);

	/* The mix must stay a mix: neither all refused nor all applied. */
	assert_true(applied * 100 >= total * 25);
	assert_true(refused * 100 >= total * 20);
	assert_true(count_duplicate * 100 >= total * 2);
	assert_true(distinct >= 18);
	static const Manne__TxBody__KindCase must_apply[] = {
		MANNE__TX_BODY__KIND_PAY,	     MANNE__TX_BODY__KIND_REFUND,
		MANNE__TX_BODY__KIND_REDEEM,	     MANNE__TX_BODY__KIND_SETTLE_REDEMPTION,
		MANNE__TX_BODY__KIND_ISSUE,	     MANNE__TX_BODY__KIND_REVERSE_ISSUE,
		MANNE__TX_BODY__KIND_FUND_RESERVE,   MANNE__TX_BODY__KIND_RELEASE_RESERVE,
		MANNE__TX_BODY__KIND_FREEZE,	     MANNE__TX_BODY__KIND_SET_ACCOUNT,
		MANNE__TX_BODY__KIND_RECOVER_ACCOUNT, MANNE__TX_BODY__KIND_OPEN_ACCOUNT,
		MANNE__TX_BODY__KIND_RETIRE_DORMANT, MANNE__TX_BODY__KIND_SET_LEDGER,
		MANNE__TX_BODY__KIND_VOID_TX,
	};
	if (steps >= DEFAULT_STEPS)
		for (size_t i = 0; i < sizeof(must_apply) / sizeof(must_apply[0]); i++)
			if (count_applied_kind[must_apply[i]] == 0)
				fail_msg("no %s was ever applied", tx_kind_name(must_apply[i]));

	for (size_t i = 0; i < M.napplied; i++)
		op_free(M.applied[i]);
	for (size_t i = 0; i < M.npool; i++)
		op_free(M.pool[i]);
	free(M.applied);
	free(M.pays);
	free(M.issues);
	free(M.redeems);
	free(M.voided);
	free(M.nonce_used);
	h_teardown(&H);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
